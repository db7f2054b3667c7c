use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use time::OffsetDateTime;
use vedette_model::Origin;

use crate::error::{Result, SpoolError};
use crate::format::{self, HEADER_LEN};
use crate::handle::{Durable, Shared};

/// Size of the write buffer in front of the active segment.
const WRITE_BUFFER: usize = 1 << 20;

/// Appends records to the spool. There is exactly one per open spool, used
/// by one thread (the collectors' intake loop).
///
/// [`append`](Self::append) only copies into a buffer; records become
/// visible to readers, and safe from a crash, at the next
/// [`sync`](Self::sync). If a write or fsync fails, the writer refuses all
/// further work with [`SpoolError::WriterFailed`]: the spool must be
/// reopened, which repairs the tail. Dropping the writer flushes the buffer
/// but does not fsync.
#[derive(Debug)]
pub struct SpoolWriter {
    shared: Arc<Shared>,
    segment_bytes: u64,
    pub(crate) out: BufWriter<File>,
    /// First seq of the active segment.
    active: u64,
    active_path: PathBuf,
    /// Bytes in the active segment, including buffered ones.
    active_bytes: u64,
    next_seq: u64,
    /// Records appended since the last sync.
    pending: usize,
    /// Segments closed since the last sync, flushed but not fsynced.
    sealed_unsynced: Vec<(PathBuf, File)>,
    /// A segment was created since the last sync.
    dir_dirty: bool,
    durable_seq: u64,
    scratch: Vec<u8>,
    failed: Option<String>,
}

impl SpoolWriter {
    pub(crate) fn new(
        shared: Arc<Shared>,
        segment_bytes: u64,
        active: u64,
        end: u64,
        next_seq: u64,
    ) -> Result<Self> {
        let active_path = format::segment_path(&shared.dir, active);
        let mut file = OpenOptions::new()
            .write(true)
            .open(&active_path)
            .map_err(|e| SpoolError::io(&active_path, e))?;
        file.seek(SeekFrom::Start(end))
            .map_err(|e| SpoolError::io(&active_path, e))?;
        Ok(SpoolWriter {
            shared,
            segment_bytes,
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            active,
            active_path,
            active_bytes: end,
            next_seq,
            pending: 0,
            sealed_unsynced: Vec::new(),
            dir_dirty: false,
            durable_seq: next_seq - 1,
            scratch: Vec::with_capacity(64 << 10),
            failed: None,
        })
    }

    /// Appends one frame and returns its seq. The record is buffered, not
    /// yet durable: call [`sync`](Self::sync) to publish it.
    ///
    /// Fails without side effects if the frame or input name is too large
    /// for a record; fails for good (see [`SpoolError::WriterFailed`]) if
    /// the write fails.
    pub fn append(
        &mut self,
        received: OffsetDateTime,
        origin: &Origin,
        truncated: bool,
        payload: &[u8],
    ) -> Result<u64> {
        self.check()?;
        let seq = self.next_seq;
        self.scratch.clear();
        format::encode_record(&mut self.scratch, seq, received, origin, truncated, payload)?;
        let len = self.scratch.len() as u64;
        if self.active_bytes > HEADER_LEN && self.active_bytes + len > self.segment_bytes {
            let rolled = self.roll();
            self.guard(rolled)?;
        }
        let written = self
            .out
            .write_all(&self.scratch)
            .map_err(|e| SpoolError::io(&self.active_path, e));
        self.guard(written)?;
        self.active_bytes += len;
        self.next_seq += 1;
        self.pending += 1;
        self.shared.disk_bytes.fetch_add(len, Ordering::Relaxed);
        self.shared.last_seq.store(seq, Ordering::Release);
        // Keep a single huge frame from pinning a huge scratch buffer.
        if self.scratch.capacity() > 1 << 20 {
            self.scratch = Vec::with_capacity(64 << 10);
        }
        Ok(seq)
    }

    /// Flushes and fsyncs everything appended so far (and the directory when
    /// a segment was created), then publishes the durable watermark to
    /// readers and returns it: the highest seq that is now durable.
    pub fn sync(&mut self) -> Result<u64> {
        self.check()?;
        if self.pending == 0 && self.sealed_unsynced.is_empty() && !self.dir_dirty {
            return Ok(self.durable_seq);
        }
        let synced = self.sync_files();
        self.guard(synced)?;
        let durable = Durable {
            seq: self.next_seq - 1,
            segment: self.active,
            offset: self.active_bytes,
        };
        self.shared.lock().durable = durable;
        self.shared.cond.notify_all();
        self.durable_seq = durable.seq;
        self.pending = 0;
        Ok(durable.seq)
    }

    /// Whether the segment files on disk exceed `max_bytes`: the pipeline
    /// is behind, and the caller should apply backpressure (or shed load)
    /// until acks release segments.
    pub fn is_full(&self) -> bool {
        self.shared.disk_bytes.load(Ordering::Relaxed) > self.shared.max_bytes
    }

    /// Records appended since the last sync.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// The seq the next append will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    fn sync_files(&mut self) -> Result<()> {
        self.out
            .flush()
            .and_then(|()| self.out.get_ref().sync_data())
            .map_err(|e| SpoolError::io(&self.active_path, e))?;
        for (path, file) in &self.sealed_unsynced {
            file.sync_data().map_err(|e| SpoolError::io(path, e))?;
        }
        self.sealed_unsynced.clear();
        if self.dir_dirty {
            crate::sync_dir(&self.shared.dir)?;
            self.dir_dirty = false;
        }
        Ok(())
    }

    /// Closes the active segment and starts a new one at `next_seq`.
    fn roll(&mut self) -> Result<()> {
        self.out
            .flush()
            .map_err(|e| SpoolError::io(&self.active_path, e))?;
        let first = self.next_seq;
        let file = crate::create_segment_unsynced(&self.shared.dir, first)?;
        let old = std::mem::replace(&mut self.out, BufWriter::with_capacity(WRITE_BUFFER, file));
        let old_path = std::mem::replace(
            &mut self.active_path,
            format::segment_path(&self.shared.dir, first),
        );
        let old_file = old
            .into_inner()
            .map_err(|e| SpoolError::io(&old_path, e.into_error()))?;
        self.sealed_unsynced.push((old_path, old_file));
        {
            let mut st = self.shared.lock();
            st.segments.insert(self.active, self.active_bytes);
            st.segments.insert(first, HEADER_LEN);
        }
        self.shared
            .disk_bytes
            .fetch_add(HEADER_LEN, Ordering::Relaxed);
        self.active = first;
        self.active_bytes = HEADER_LEN;
        self.dir_dirty = true;
        tracing::debug!(segment = %self.active_path.display(), "spool rolled to a new segment");
        Ok(())
    }

    fn check(&self) -> Result<()> {
        match &self.failed {
            None => Ok(()),
            Some(cause) => Err(SpoolError::WriterFailed {
                cause: cause.clone(),
            }),
        }
    }

    /// Marks the writer failed when an I/O step failed.
    fn guard<T>(&mut self, r: Result<T>) -> Result<T> {
        if let Err(e) = &r {
            tracing::error!(error = %e, "spool writer failed; it must be reopened");
            self.failed = Some(e.to_string());
        }
        r
    }
}
