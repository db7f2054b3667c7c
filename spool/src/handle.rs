use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::error::{Result, SpoolError};
use crate::format;
use crate::reader::SpoolReader;

/// The durable watermark: the highest fsynced seq and where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Durable {
    /// The highest durable seq (0 when there is none).
    pub(crate) seq: u64,
    /// The first seq of the segment holding it (the active segment as of
    /// the last sync).
    pub(crate) segment: u64,
    /// The byte offset in that segment just past the durable records.
    pub(crate) offset: u64,
}

/// State shared by the writer, the handles and the readers.
#[derive(Debug)]
pub(crate) struct State {
    /// Segment files by first seq, with their sizes (final for sealed
    /// segments; the last entry is the active segment).
    pub(crate) segments: BTreeMap<u64, u64>,
    pub(crate) durable: Durable,
    pub(crate) acked: u64,
    pub(crate) closed: bool,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) state: Mutex<State>,
    /// Notified when the durable watermark moves or the spool is closed.
    pub(crate) cond: Condvar,
    /// The last appended seq (durable or not).
    pub(crate) last_seq: AtomicU64,
    /// Bytes of all segment files, including buffered appends.
    pub(crate) disk_bytes: AtomicU64,
    pub(crate) max_bytes: u64,
    /// Holds the directory lock for as long as anything uses the spool.
    pub(crate) _lock: File,
}

impl Shared {
    /// Locks the state. Nothing panics while holding the lock, but a
    /// poisoned lock is still usable: every update is a few plain stores.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counters describing the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpoolStats {
    /// The last appended seq, durable or not.
    pub last_seq: u64,
    /// The highest fsynced seq: readers see records up to here.
    pub durable_seq: u64,
    /// The highest seq acknowledged as processed. At open it is the seq
    /// before the oldest segment on disk.
    pub acked_seq: u64,
    /// Durable records not yet acknowledged: `durable_seq - acked_seq`.
    pub depth: u64,
    /// Size of all segment files (including appends not yet flushed).
    pub bytes_on_disk: u64,
    /// Number of segment files.
    pub segments: usize,
}

/// A cloneable, thread-safe handle on an open spool: makes readers,
/// acknowledges processed records, reports stats, and closes the spool.
#[derive(Debug, Clone)]
pub struct SpoolHandle {
    shared: Arc<Shared>,
}

impl SpoolHandle {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        SpoolHandle { shared }
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// A reader that returns records with seq greater than `after_seq`
    /// (0 for everything still on disk), starting in the segment that holds
    /// `after_seq + 1`. If those records were already deleted, it warns and
    /// starts at the oldest record on disk.
    pub fn reader(&self, after_seq: u64) -> Result<SpoolReader> {
        let last = self.shared.last_seq.load(Ordering::Acquire);
        if after_seq > last {
            tracing::warn!(
                after_seq,
                last_seq = last,
                "spool reader starts after the last seq in the spool; \
                 new records up to after_seq will be skipped"
            );
        }
        Ok(SpoolReader::new(Arc::clone(&self.shared), after_seq))
    }

    /// Records up to and including `through_seq` are processed. Deletes
    /// every segment whose records all lie at or below it (never the
    /// active segment, and never beyond the durable watermark). A reader
    /// already inside a deleted segment keeps reading it through its open
    /// file handle.
    pub fn ack(&self, through_seq: u64) -> Result<()> {
        let mut st = self.shared.lock();
        let through = through_seq.min(st.durable.seq).max(st.acked);
        st.acked = through;
        loop {
            let mut keys = st.segments.keys();
            let (Some(&first), Some(&next)) = (keys.next(), keys.next()) else {
                break; // only the active segment is left
            };
            if next - 1 > through {
                break;
            }
            let path = format::segment_path(&self.shared.dir, first);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(SpoolError::io(path, e)),
            }
            if let Some(size) = st.segments.remove(&first) {
                self.shared.disk_bytes.fetch_sub(size, Ordering::Relaxed);
            }
            tracing::debug!(segment = %path.display(), through, "deleted processed spool segment");
        }
        Ok(())
    }

    /// Current counters.
    pub fn stats(&self) -> SpoolStats {
        let st = self.shared.lock();
        SpoolStats {
            last_seq: self.shared.last_seq.load(Ordering::Acquire),
            durable_seq: st.durable.seq,
            acked_seq: st.acked,
            depth: st.durable.seq.saturating_sub(st.acked),
            bytes_on_disk: self.shared.disk_bytes.load(Ordering::Relaxed),
            segments: st.segments.len(),
        }
    }

    /// Closes the spool for reading: blocked [`SpoolReader::next_batch`]
    /// calls return at once, and readers hand out the remaining durable
    /// records without waiting, then report
    /// [`SpoolReader::is_drained`]. Appending and syncing still work.
    pub fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.cond.notify_all();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }
}
