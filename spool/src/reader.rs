use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Result, SpoolError};
use crate::format::{self, SegmentCursor, Step};
use crate::handle::{Durable, Shared};
use crate::Record;

/// Reads durable records in seq order with its own file handles, following
/// segment rollover. Made by [`SpoolHandle::reader`](crate::SpoolHandle::reader).
#[derive(Debug)]
pub struct SpoolReader {
    shared: Arc<Shared>,
    /// The segment being read.
    cur: Option<SegmentCursor>,
    /// The length of `cur` once it is known to be sealed.
    cur_len: Option<u64>,
    /// The first seq of the last segment opened (or skipped).
    last_segment: Option<u64>,
    /// The smallest seq to return next.
    next_seq: u64,
    drained: bool,
}

impl SpoolReader {
    pub(crate) fn new(shared: Arc<Shared>, after_seq: u64) -> Self {
        SpoolReader {
            shared,
            cur: None,
            cur_len: None,
            last_segment: None,
            next_seq: after_seq.saturating_add(1),
            drained: false,
        }
    }

    /// Returns up to `max` durable records following the last one returned.
    /// When none is available it waits up to `wait` for a
    /// [`sync`](crate::SpoolWriter::sync) (or a
    /// [`close`](crate::SpoolHandle::close)) and returns what it then has,
    /// possibly nothing.
    ///
    /// Damaged records are never returned: the reader logs a warning and
    /// continues with the next segment. Errors are I/O failures; the reader
    /// stays consistent and the call may be retried.
    pub fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        if max == 0 {
            return Ok(out);
        }
        let deadline = Instant::now().checked_add(wait);
        loop {
            let (durable, closed) = {
                let st = self.shared.lock();
                (st.durable, st.closed)
            };
            self.read_available(durable, max, &mut out)?;
            if !out.is_empty() {
                self.drained = false;
                return Ok(out);
            }
            if closed {
                self.drained = true;
                return Ok(out);
            }
            let mut st = self.shared.lock();
            while !st.closed && st.durable.seq == durable.seq {
                let left = match deadline {
                    Some(d) => d.saturating_duration_since(Instant::now()),
                    None => Duration::from_secs(3600),
                };
                if left.is_zero() {
                    return Ok(out);
                }
                st = self
                    .shared
                    .cond
                    .wait_timeout(st, left)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            }
        }
    }

    /// Whether the spool was closed and this reader has returned every
    /// record it could: the end of a draining shutdown.
    pub fn is_drained(&self) -> bool {
        self.drained
    }

    /// The seq of the next record this reader will return, if it exists.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Reads records up to the durable watermark without blocking.
    fn read_available(
        &mut self,
        durable: Durable,
        max: usize,
        out: &mut Vec<Record>,
    ) -> Result<()> {
        while out.len() < max && self.next_seq <= durable.seq {
            let Some(cur) = self.cur.as_mut() else {
                if self.open_next_segment(durable)? {
                    continue;
                }
                break;
            };
            let limit = if cur.first == durable.segment {
                durable.offset
            } else if cur.first < durable.segment {
                // Sealed: complete, flushed and fsynced; read to its end.
                match self.cur_len {
                    Some(len) => len,
                    None => {
                        let len = cur.file_len()?;
                        self.cur_len = Some(len);
                        len
                    }
                }
            } else {
                break;
            };
            match cur.next(limit, self.next_seq - 1)? {
                Step::Record(r) => {
                    self.next_seq = r.seq + 1;
                    out.push(r);
                }
                Step::Skipped => {}
                Step::End if cur.first < durable.segment => {
                    self.cur = None;
                    self.cur_len = None;
                }
                // The durable end of the active segment.
                Step::End => break,
                Step::Corrupt(reason) => {
                    tracing::warn!(
                        segment = %cur.path.display(),
                        offset = cur.offset,
                        next_seq = cur.next_seq,
                        %reason,
                        "damaged spool record; skipping the rest of this segment"
                    );
                    self.cur = None;
                    self.cur_len = None;
                }
            }
        }
        Ok(())
    }

    /// Opens the next segment to read (the first one holding `next_seq`
    /// when starting). Returns false when there is none (yet).
    fn open_next_segment(&mut self, durable: Durable) -> Result<bool> {
        let candidate = {
            let st = self.shared.lock();
            let segs = &st.segments;
            match self.last_segment {
                None => segs
                    .range(..=self.next_seq)
                    .next_back()
                    .or_else(|| segs.iter().next())
                    .map(|(&f, _)| f),
                Some(prev) => segs.range(prev.saturating_add(1)..).next().map(|(&f, _)| f),
            }
        };
        let Some(first) = candidate else {
            return Ok(false);
        };
        if first > durable.segment {
            return Ok(false);
        }
        let path = format::segment_path(&self.shared.dir, first);
        let cursor = match SegmentCursor::open(path, first) {
            Ok(Ok(c)) => Some(c),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "unreadable spool segment; skipping it");
                None
            }
            Err(SpoolError::Io { path, source }) if source.kind() == io::ErrorKind::NotFound => {
                tracing::debug!(segment = %path.display(), "spool segment deleted before it was read");
                None
            }
            Err(e) => return Err(e),
        };
        self.last_segment = Some(first);
        if let Some(c) = cursor {
            if first > self.next_seq {
                tracing::warn!(
                    missing_from = self.next_seq,
                    missing_to = first - 1,
                    "spool records missing (deleted after ack, or lost to damage); continuing"
                );
                self.next_seq = first;
            }
            self.cur = Some(c);
            self.cur_len = None;
        }
        Ok(true)
    }
}
