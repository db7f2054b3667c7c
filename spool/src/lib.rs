//! The durable intake spool: an append-only, checksummed, segmented log on
//! disk that every received frame is written to before anything parses it.
//!
//! One [`SpoolWriter`] appends records and makes them durable with
//! [`SpoolWriter::sync`]; any number of [`SpoolReader`]s (made from the
//! cloneable [`SpoolHandle`]) read back records that are durable. After a
//! crash, [`Spool::open`] cuts a torn tail and the pipeline resumes with
//! [`SpoolHandle::reader`] after the last seq it committed.
//!
//! ```
//! use std::time::Duration;
//! use time::OffsetDateTime;
//! use vedette_model::Origin;
//! use vedette_spool::{Spool, SpoolConfig};
//!
//! # fn main() -> Result<(), vedette_spool::SpoolError> {
//! let dir = tempfile::tempdir().unwrap();
//! let (mut writer, handle) = Spool::open(SpoolConfig::new(dir.path()))?;
//!
//! let origin = Origin::new("syslog-udp", Some("192.0.2.7:514".parse().unwrap()));
//! let seq = writer.append(OffsetDateTime::now_utc(), &origin, false, b"<13>hello")?;
//! assert_eq!(seq, 1);
//! assert_eq!(writer.sync()?, 1); // now durable and visible to readers
//!
//! let mut reader = handle.reader(0)?;
//! let batch = reader.next_batch(100, Duration::from_millis(10))?;
//! assert_eq!(batch[0].payload, b"<13>hello");
//! assert_eq!(batch[0].origin, origin);
//!
//! handle.ack(1)?; // processed: old segments may now be deleted
//! assert_eq!(handle.stats().depth, 0);
//! # Ok(())
//! # }
//! ```
//!
//! # Guarantees
//!
//! * Sequence numbers start at 1 and are dense and increasing; each record
//!   carries its seq, so a reader can resume exactly after any seq.
//! * Readers only ever see records at or below the durable watermark (the
//!   highest fsynced seq), so nothing a reader returned can vanish in a crash.
//! * Every record is checked against its CRC-32 and length. [`Spool::open`]
//!   truncates a damaged tail of the last segment (a crash mid-write). A
//!   reader that meets damage elsewhere logs a warning and continues with
//!   the next segment.
//! * Only one process may open a spool directory at a time (`LOCK` file).
#![deny(missing_docs)]

mod error;
mod format;
mod handle;
mod reader;
mod writer;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Condvar, Mutex};

use time::OffsetDateTime;
use vedette_model::Origin;

pub use error::{Corruption, Result, SpoolError};
pub use format::MAX_RECORD_LEN;
pub use handle::{SpoolHandle, SpoolStats};
pub use reader::SpoolReader;
pub use writer::SpoolWriter;

use format::{Step, HEADER_LEN};
use handle::{Durable, Shared, State};

/// Default size at which the writer starts a new segment: 64 MiB.
pub const DEFAULT_SEGMENT_BYTES: u64 = 64 << 20;
/// Default disk budget beyond which [`SpoolWriter::is_full`] is true: 2 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;

/// Where the spool lives and how large it may grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolConfig {
    /// The spool directory (created if missing).
    pub dir: PathBuf,
    /// A segment is closed and a new one started once a record would take
    /// it past this size. A single larger record still gets written, alone
    /// in its segment.
    pub segment_bytes: u64,
    /// When the segment files on disk (which hold unacknowledged records;
    /// acknowledged ones are released a whole segment at a time) exceed this
    /// many bytes, [`SpoolWriter::is_full`] is true. Keep it well above
    /// `segment_bytes`.
    pub max_bytes: u64,
}

impl SpoolConfig {
    /// A configuration for `dir` with the default sizes.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SpoolConfig {
            dir: dir.into(),
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// One spooled frame as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its sequence number (the event's identity everywhere downstream).
    pub seq: u64,
    /// When the collector accepted it, in UTC with nanosecond precision.
    pub received: OffsetDateTime,
    /// The input and peer it came from. IPv6 flow info and scope id are not
    /// kept.
    pub origin: Origin,
    /// Whether the collector cut the frame at its size limit.
    pub truncated: bool,
    /// The frame's bytes.
    pub payload: Vec<u8>,
}

/// Segment names above this are not ours: seqs this large cannot be reached,
/// and refusing them keeps seq arithmetic far from overflow.
const MAX_FIRST_SEQ: u64 = u64::MAX / 4;

/// Opens spool directories.
#[derive(Debug)]
pub struct Spool;

impl Spool {
    /// Opens (or creates) the spool in `cfg.dir`: takes the directory lock,
    /// validates the last segment record by record and truncates a torn or
    /// damaged tail (logging how many bytes were cut), fsyncs what is on
    /// disk so that all of it counts as durable, and recovers the next seq.
    ///
    /// Returns the single writer and a handle for readers, acks and stats.
    /// The directory stays locked until the writer, every handle and every
    /// reader are dropped.
    pub fn open(cfg: SpoolConfig) -> Result<(SpoolWriter, SpoolHandle)> {
        if cfg.segment_bytes == 0 {
            return Err(SpoolError::InvalidConfig {
                reason: "segment_bytes must be greater than zero",
            });
        }
        let dir = cfg.dir.clone();
        fs::create_dir_all(&dir).map_err(|e| SpoolError::io(&dir, e))?;
        let lock = lock_dir(&dir)?;

        let mut segments = list_segments(&dir)?;
        let (active, end, next_seq) = match segments.last_key_value() {
            Some((&last, _)) => {
                // Make everything already on disk durable before readers may
                // see it: after a kill -9 the page cache may hold records the
                // old process never fsynced.
                for &first in segments.keys().filter(|&&f| f != last) {
                    sync_file(&format::segment_path(&dir, first))?;
                }
                let (end, next_seq) = recover_segment(&dir, last)?;
                segments.insert(last, end);
                (last, end, next_seq)
            }
            None => {
                create_segment(&dir, 1)?;
                segments.insert(1, HEADER_LEN);
                (1, HEADER_LEN, 1)
            }
        };
        sync_dir(&dir)?;

        let disk_bytes: u64 = segments.values().sum();
        let oldest = segments.first_key_value().map_or(active, |(&f, _)| f);
        let last_seq = next_seq - 1;
        tracing::info!(
            dir = %dir.display(),
            segments = segments.len(),
            bytes = disk_bytes,
            first_seq = oldest,
            last_seq,
            "spool opened"
        );

        let shared = Arc::new(Shared {
            dir: dir.clone(),
            state: Mutex::new(State {
                segments,
                durable: Durable {
                    seq: last_seq,
                    segment: active,
                    offset: end,
                },
                acked: oldest - 1,
                closed: false,
            }),
            cond: Condvar::new(),
            last_seq: AtomicU64::new(last_seq),
            disk_bytes: AtomicU64::new(disk_bytes),
            max_bytes: cfg.max_bytes,
            _lock: lock,
        });
        let writer = SpoolWriter::new(
            Arc::clone(&shared),
            cfg.segment_bytes,
            active,
            end,
            next_seq,
        )?;
        Ok((writer, SpoolHandle::new(shared)))
    }
}

/// Takes the exclusive lock on `dir/LOCK`, held for as long as the writer
/// or any handle lives.
fn lock_dir(dir: &Path) -> Result<File> {
    let path = dir.join("LOCK");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| SpoolError::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(SpoolError::Locked { path }),
        Err(TryLockError::Error(e)) => Err(SpoolError::io(&path, e)),
    }
}

/// The segment files in `dir`: first seq to size in bytes.
fn list_segments(dir: &Path) -> Result<BTreeMap<u64, u64>> {
    let mut segments = BTreeMap::new();
    let entries = fs::read_dir(dir).map_err(|e| SpoolError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| SpoolError::io(dir, e))?;
        let name = entry.file_name();
        let Some(first) = name.to_str().and_then(format::parse_segment_name) else {
            continue;
        };
        if first == 0 || first > MAX_FIRST_SEQ {
            tracing::warn!(file = %entry.path().display(), "ignoring segment with an impossible seq");
            continue;
        }
        let meta = entry
            .metadata()
            .map_err(|e| SpoolError::io(entry.path(), e))?;
        if meta.is_file() {
            segments.insert(first, meta.len());
        }
    }
    Ok(segments)
}

/// Creates an empty segment (header only), fsynced; the caller fsyncs the
/// directory.
fn create_segment(dir: &Path, first: u64) -> Result<File> {
    let file = create_segment_unsynced(dir, first)?;
    let path = format::segment_path(dir, first);
    file.sync_data().map_err(|e| SpoolError::io(&path, e))?;
    Ok(file)
}

/// Creates an empty segment (header only) without fsyncing it.
pub(crate) fn create_segment_unsynced(dir: &Path, first: u64) -> Result<File> {
    let path = format::segment_path(dir, first);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| SpoolError::io(&path, e))?;
    file.write_all(&format::encode_header(first))
        .map_err(|e| SpoolError::io(&path, e))?;
    Ok(file)
}

fn sync_file(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| SpoolError::io(path, e))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| SpoolError::io(dir, e))
}

/// Validates the last segment, truncates whatever follows its last good
/// record, and returns its valid length and the next seq.
fn recover_segment(dir: &Path, first: u64) -> Result<(u64, u64)> {
    let path = format::segment_path(dir, first);
    let io = |e| SpoolError::io(&path, e);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io)?;
    let len = file.metadata().map_err(io)?.len();

    let mut header = [0u8; HEADER_LEN as usize];
    let torn_header = if len < HEADER_LEN {
        true
    } else {
        file.read_exact(&mut header).map_err(io)?;
        header.iter().all(|&b| b == 0)
    };
    if torn_header {
        // The process died while creating this segment: no record can
        // follow an incomplete header, so start it over.
        tracing::warn!(
            segment = %path.display(),
            bytes = len,
            "spool segment header incomplete (crash while creating it); rewriting it"
        );
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&format::encode_header(first)).map_err(io)?;
        file.sync_all().map_err(io)?;
        return Ok((HEADER_LEN, first));
    }
    format::check_header(&path, &header, first)?;

    let mut cursor = format::SegmentCursor::open(path.clone(), first)??;
    let mut damage = None;
    loop {
        match cursor.next(len, 0)? {
            Step::Record(_) | Step::Skipped => {}
            Step::End => break,
            Step::Corrupt(reason) => {
                damage = Some(reason);
                break;
            }
        }
    }
    let end = cursor.offset;
    if let Some(reason) = damage {
        tracing::warn!(
            segment = %path.display(),
            offset = end,
            cut_bytes = len - end,
            kept_records = cursor.next_seq - first,
            %reason,
            "spool segment has a torn or damaged tail; truncating it"
        );
        file.set_len(end).map_err(io)?;
    }
    file.sync_all().map_err(io)?;
    Ok((end, cursor.next_seq))
}

#[cfg(test)]
mod tests;
