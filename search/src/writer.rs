//! The single writer.

use std::fmt::Write as _;
use std::ops::Bound;
use std::time::Instant;

use tantivy::query::RangeQuery;
use tantivy::{IndexWriter, TantivyDocument, Term};
use time::OffsetDateTime;
use vedette_model::Event;

use crate::error::{Result, TantivyContext};
use crate::fields::{to_tantivy, IndexedFields};
use crate::index::EventIndex;
use crate::schema::Fields;

/// tantivy's minimum indexing buffer per thread.
const MIN_HEAP_PER_THREAD: usize = 15_000_000;
/// Indexing threads at most (the pipeline has other work to do).
const MAX_THREADS: usize = 2;

/// Adds events to the index; the pipeline's only writer.
///
/// Events added are not visible, nor durable, until [`EventWriter::commit`].
/// Dropping the writer discards what was added since the last commit.
pub struct EventWriter {
    writer: IndexWriter<TantivyDocument>,
    fields: Fields,
    pending: u64,
    /// Reused buffers for the per-event texts.
    id: String,
    peer: String,
}

impl std::fmt::Debug for EventWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventWriter")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl EventWriter {
    pub(crate) fn new(index: &EventIndex, heap_bytes: usize) -> Result<EventWriter> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let threads = (heap_bytes / MIN_HEAP_PER_THREAD).clamp(1, cores.clamp(1, MAX_THREADS));
        let writer = index
            .index
            .writer_with_num_threads(threads, heap_bytes)
            .op("open writer")?;
        tracing::debug!(threads, heap_bytes, "event index writer opened");
        Ok(EventWriter {
            writer,
            fields: index.fields,
            pending: 0,
            id: String::new(),
            peer: String::new(),
        })
    }

    /// Adds an event (it becomes searchable at the next commit).
    pub fn add(&mut self, event: &Event) -> Result<()> {
        let f = &self.fields;
        let stored = event.to_json().to_string();
        self.id.clear();
        let _ = write!(self.id, "{}", event.seq);
        let peer = match event.origin.peer {
            Some(p) => {
                self.peer.clear();
                let _ = write!(self.peer, "{p}");
                Some(self.peer.as_str())
            }
            None => None,
        };

        let mut doc = TantivyDocument::default();
        doc.add_u64(f.seq, event.seq);
        doc.add_date(f.timestamp, to_tantivy(event.timestamp));
        doc.add_date(f.received, to_tantivy(event.received));
        let message = event.message();
        doc.add_text(f.message, message);
        // A record kept raw has `message` == `event.original`: index it once.
        if event.original != message {
            doc.add_text(f.original, &event.original);
        }
        doc.add_field_value(
            f.fields,
            IndexedFields::Root {
                event,
                id: &self.id,
                peer,
            },
        );
        doc.add_text(f.doc, &stored);
        self.writer.add_document(doc).op("add")?;
        self.pending += 1;
        Ok(())
    }

    /// Deletes every event whose `@timestamp` is before `before` (retention),
    /// effective at the next commit. Events added after this call are kept.
    pub fn delete_before(&mut self, before: OffsetDateTime) -> Result<()> {
        let upper = Term::from_field_date(self.fields.timestamp, to_tantivy(before));
        let query = RangeQuery::new(Bound::Unbounded, Bound::Excluded(upper));
        self.writer.delete_query(Box::new(query)).op("delete")?;
        Ok(())
    }

    /// Events added since the last commit.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// Makes everything added so far durable and searchable, recording
    /// `through_seq` (the last spool seq handled) atomically with it: after a
    /// crash [`EventIndex::committed_seq`] says where to resume. Committing
    /// with nothing added still moves `through_seq`.
    pub fn commit(&mut self, through_seq: u64) -> Result<()> {
        let started = Instant::now();
        let mut prepared = self.writer.prepare_commit().op("commit")?;
        prepared.set_payload(&through_seq.to_string());
        prepared.commit().op("commit")?;
        tracing::debug!(
            through_seq,
            events = self.pending,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "event index committed"
        );
        self.pending = 0;
        Ok(())
    }

    /// Discards everything added since the last commit.
    pub fn rollback(&mut self) -> Result<()> {
        self.writer.rollback().op("rollback")?;
        self.pending = 0;
        Ok(())
    }

    /// Waits for background merges to finish and releases the index lock;
    /// what was not committed is discarded. Use it at shutdown.
    pub fn close(self) -> Result<()> {
        self.writer.wait_merging_threads().op("close")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SearchError;
    use time::macros::datetime;
    use vedette_model::Origin;

    fn event(seq: u64) -> Event {
        Event::raw(
            seq,
            datetime!(2026-01-01 0:00 UTC),
            Origin::new("import", None),
            b"x",
        )
    }

    #[test]
    fn one_writer_at_a_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = EventIndex::open(dir.path()).expect("open");
        let w = index.writer(20 << 20).expect("first");
        assert!(index.writer(20 << 20).is_err());
        w.close().expect("close");
        index.writer(20 << 20).expect("again");
    }

    #[test]
    fn too_small_heap_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = EventIndex::open(dir.path()).expect("open");
        let err = index.writer(1 << 20).expect_err("too small");
        assert!(matches!(err, SearchError::Tantivy { .. }), "{err}");
    }

    #[test]
    fn uncommitted_events_are_discarded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = EventIndex::open(dir.path()).expect("open");
        let mut w = index.writer(20 << 20).expect("writer");
        w.add(&event(1)).expect("add");
        w.commit(1).expect("commit");
        w.add(&event(2)).expect("add");
        assert_eq!(w.pending(), 1);
        w.rollback().expect("rollback");
        assert_eq!(w.pending(), 0);
        w.add(&event(3)).expect("add");
        drop(w);
        let s = index.searcher();
        s.reload().expect("reload");
        assert!(s.get(1).expect("get").is_some());
        assert!(s.get(2).expect("get").is_none());
        assert!(s.get(3).expect("get").is_none());
        assert_eq!(index.committed_seq().expect("seq"), 1);
    }

    #[test]
    fn retention_deletes_old_events_at_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = EventIndex::open(dir.path()).expect("open");
        let mut w = index.writer(20 << 20).expect("writer");
        for seq in 1..=3u64 {
            let mut ev = event(seq);
            ev.timestamp += time::Duration::days(seq as i64);
            w.add(&ev).expect("add");
        }
        w.commit(3).expect("commit");
        w.delete_before(datetime!(2026-01-03 0:00 UTC))
            .expect("delete");
        w.commit(3).expect("commit");
        let s = index.searcher();
        s.reload().expect("reload");
        assert!(s.get(1).expect("get").is_none());
        assert!(s.get(2).expect("get").is_some());
        let page = s.search(&crate::EventQuery::default()).expect("search");
        assert_eq!(page.total, 2);
    }

    #[test]
    fn empty_commit_moves_seq() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = EventIndex::open(dir.path()).expect("open");
        let mut w = index.writer(20 << 20).expect("writer");
        w.commit(41).expect("commit");
        assert_eq!(index.committed_seq().expect("seq"), 41);
        w.commit(42).expect("commit");
        assert_eq!(index.committed_seq().expect("seq"), 42);
    }
}
