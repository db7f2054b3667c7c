//! Windows event log files (`.evtx`) read record by record, each record
//! rendered as the JSON of the `evtx` crate (`evtx_dump -o json`, one line):
//! `{"Event":{"#attributes":{..},"System":{..},"EventData":{..}}}`.
//!
//! That JSON text is what a forwarder would send live, and it becomes an
//! [`Event`] the same way: [`Parser::parse`] recognizes the evtx shape and
//! the Windows format flattens it (native names such as `Image`,
//! `CommandLine`, `EventID`, `Channel`, `Provider_Name`, and the Sigma log
//! source). [`EvtxRecord::to_event`] does exactly that.
//!
//! ```no_run
//! use vedette_model::Origin;
//! use vedette_parsers::{evtx::read_evtx, Parser};
//!
//! let parser = Parser::default();
//! for (n, record) in read_evtx("Security.evtx")?.enumerate() {
//!     match record {
//!         Ok(r) => {
//!             let ev = r.to_event(&parser, n as u64 + 1, time::OffsetDateTime::now_utc(), Origin::new("import", None));
//!             println!("{:?} {:?}", ev.get("EventID"), ev.logsource);
//!         }
//!         // One bad record (or chunk) is reported; the others still come.
//!         Err(e) => eprintln!("Security.evtx: {e}"),
//!     }
//! }
//! # Ok::<(), vedette_parsers::evtx::EvtxError>(())
//! ```
//!
//! A file is a 4 KiB header and 64 KiB chunks that decode on their own, so
//! callers that want several threads hand [`EvtxChunk`]s out (see
//! [`EvtxFile::into_chunks`]) and decode them where they are processed.
//! A damaged chunk or record is an [`EvtxError`] item and never stops the
//! file; a file cut short is read up to the cut (its last, partial chunk
//! too) and reported as [`EvtxError::Truncated`]. No input panics: the
//! decoder is a safe-Rust crate, and a panic it might still raise on some
//! unforeseen input is caught per chunk and reported as
//! [`EvtxError::Panicked`].

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use time::OffsetDateTime;
use vedette_model::{Event, Origin};

use crate::Parser;

/// The first bytes of every EVTX file.
pub const MAGIC: &[u8; 8] = b"ElfFile\0";

/// The file header's size.
const HEADER_SIZE: u64 = 4096;
/// Every chunk's size.
const CHUNK_SIZE: u64 = 65536;

/// Whether `head`, the first bytes of a file, starts like an EVTX file.
pub fn is_evtx(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// Whether the file at `path` is an EVTX file: by its first bytes, whatever
/// its name.
pub fn is_evtx_file(path: impl AsRef<Path>) -> io::Result<bool> {
    let mut head = [0u8; 8];
    let mut f = File::open(path)?;
    let mut got = 0;
    while got < head.len() {
        match f.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(is_evtx(&head[..got]))
}

/// Why (part of) an EVTX file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvtxError {
    /// The file could not be opened or read.
    #[error("cannot read the file: {reason}")]
    Io {
        /// The operating system's reason.
        reason: String,
    },
    /// The file does not start with an EVTX file header.
    #[error("not an EVTX file: {reason}")]
    NotEvtx {
        /// What was wrong with the header.
        reason: String,
    },
    /// A chunk that could not be read at all (bad header, short read); the
    /// following chunks are still read.
    #[error("chunk {}: {reason}", fmt_opt(*.chunk))]
    Chunk {
        /// The chunk's number in the file, when known.
        chunk: Option<u64>,
        /// Why.
        reason: String,
    },
    /// One record that could not be decoded; the others are still read.
    #[error("{}: {reason}", record_place(*.chunk, *.record_id))]
    Record {
        /// The chunk's number in the file, when known.
        chunk: Option<u64>,
        /// The record's `EventRecordID`, when its header could be read.
        record_id: Option<u64>,
        /// Why.
        reason: String,
    },
    /// The file ends inside a chunk: what is before the cut was read,
    /// records past it are lost.
    #[error(
        "the file is cut short: {size} bytes, {missing} short of whole 64 KiB chunks (records past the cut are lost)"
    )]
    Truncated {
        /// The file's size.
        size: u64,
        /// The bytes missing to the end of its last chunk.
        missing: u64,
    },
    /// The decoder panicked on a chunk (a bug in it, caught): that chunk's
    /// records are lost, the others are still read.
    #[error("chunk {}: the EVTX decoder failed unexpectedly ({reason})", fmt_opt(*.chunk))]
    Panicked {
        /// The chunk's number in the file, when known.
        chunk: Option<u64>,
        /// The panic message.
        reason: String,
    },
}

fn fmt_opt(n: Option<u64>) -> String {
    n.map_or_else(|| "?".to_string(), |n| n.to_string())
}

fn record_place(chunk: Option<u64>, record_id: Option<u64>) -> String {
    match (chunk, record_id) {
        (Some(c), Some(r)) => format!("chunk {c}, record {r}"),
        (None, Some(r)) => format!("record {r}"),
        (Some(c), None) => format!("chunk {c}, a record"),
        (None, None) => "a record".to_string(),
    }
}

/// An error and every error below it, joined by `: ` (the `evtx` crate's
/// errors put the detail in their sources).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        let text = inner.to_string();
        if !s.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cur = inner.source();
    }
    s
}

/// Converts the `evtx` crate's error, placed in `chunk` when known.
fn convert(e: &::evtx::err::EvtxError, chunk: Option<u64>) -> EvtxError {
    use ::evtx::err::EvtxError as E;
    match e {
        E::FailedToParseChunk { chunk_id, source } => EvtxError::Chunk {
            chunk: Some(*chunk_id),
            reason: chain(source.as_ref()),
        },
        E::FailedToParseRecord { record_id, source } => EvtxError::Record {
            chunk,
            record_id: Some(*record_id),
            reason: chain(source.as_ref()),
        },
        E::FailedToReadRecordAt {
            chunk: c, source, ..
        } => EvtxError::Record {
            chunk: c.or(chunk),
            record_id: None,
            reason: format!("{e}: {}", chain(source.as_ref())),
        },
        other => EvtxError::Record {
            chunk,
            record_id: None,
            reason: chain(other),
        },
    }
}

/// One record of an EVTX file, as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvtxRecord {
    /// The record's `EventRecordID`.
    pub record_id: u64,
    /// The chunk it came from (its number in the file).
    pub chunk: Option<u64>,
    /// The record as compact JSON on one line, in the `evtx` crate's shape:
    /// `{"Event":{"#attributes":{..},"System":{..},"EventData":{..}}}`.
    pub json: String,
}

impl EvtxRecord {
    /// The record as an event: [`Parser::parse`] of [`EvtxRecord::json`],
    /// the same path a live forwarder's JSON takes.
    pub fn to_event(
        &self,
        parser: &Parser,
        seq: u64,
        received: OffsetDateTime,
        origin: Origin,
    ) -> Event {
        parser.parse(seq, received, origin, self.json.as_bytes())
    }
}

/// The file as the decoder sees it: padded with zeros to whole chunks, so
/// that the records of a last chunk cut short are read up to the cut.
struct Padded<R> {
    inner: R,
    len: u64,
    padded: u64,
    pos: u64,
}

impl<R: Read + Seek> Padded<R> {
    fn new(mut inner: R) -> io::Result<Self> {
        let len = inner.seek(SeekFrom::End(0))?;
        inner.seek(SeekFrom::Start(0))?;
        let padded = if len > HEADER_SIZE {
            HEADER_SIZE + (len - HEADER_SIZE).div_ceil(CHUNK_SIZE) * CHUNK_SIZE
        } else {
            len
        };
        Ok(Padded {
            inner,
            len,
            padded,
            pos: 0,
        })
    }
}

impl<R: Read + Seek> Read for Padded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.padded || buf.is_empty() {
            return Ok(0);
        }
        let n = if self.pos < self.len {
            let want = usize::try_from(self.len - self.pos)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            self.inner.read(&mut buf[..want])?
        } else {
            let want = usize::try_from(self.padded - self.pos)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            buf[..want].fill(0);
            want
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Padded<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.padded.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek out of range"))?;
        self.inner.seek(SeekFrom::Start(target.min(self.len)))?;
        self.pos = target;
        Ok(target)
    }
}

/// The reader's settings: compact JSON, attributes under `#attributes`
/// (the shape the Windows format reads), checksums not enforced (a record
/// of a chunk whose checksum is off is still worth reading).
fn settings() -> ::evtx::ParserSettings {
    ::evtx::ParserSettings::new()
        .indent(false)
        .separate_json_attributes(false)
        .validate_checksums(false)
}

/// An open EVTX file.
pub struct EvtxFile {
    parser: ::evtx::EvtxParser<Padded<Box<dyn ReadSeek>>>,
    truncated: Option<EvtxError>,
}

/// What an [`EvtxFile`] reads from.
trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

impl std::fmt::Debug for EvtxFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvtxFile")
            .field("truncated", &self.truncated)
            .finish_non_exhaustive()
    }
}

impl EvtxFile {
    /// Opens the file at `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<EvtxFile, EvtxError> {
        let f = File::open(path).map_err(|e| EvtxError::Io {
            reason: e.to_string(),
        })?;
        // Unbuffered: the decoder reads in large pieces (the header, chunk
        // headers, whole chunks) and seeks between them, which would make a
        // buffer refill and discard 64 KiB each time.
        Self::from_reader(Box::new(f))
    }

    /// Reads an EVTX file held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<EvtxFile, EvtxError> {
        Self::from_reader(Box::new(io::Cursor::new(bytes)))
    }

    fn from_reader(r: Box<dyn ReadSeek>) -> Result<EvtxFile, EvtxError> {
        let padded = Padded::new(r).map_err(|e| EvtxError::Io {
            reason: e.to_string(),
        })?;
        let truncated = (padded.padded != padded.len).then_some(EvtxError::Truncated {
            size: padded.len,
            missing: padded.padded - padded.len,
        });
        let mut head = padded;
        let mut magic = [0u8; 8];
        let got = head.read(&mut magic).and_then(|n| {
            head.seek(SeekFrom::Start(0))?;
            Ok(n)
        });
        match got {
            Ok(n) if is_evtx(&magic[..n]) => {}
            Ok(_) => {
                return Err(EvtxError::NotEvtx {
                    reason: "it does not start with \"ElfFile\"".into(),
                })
            }
            Err(e) => {
                return Err(EvtxError::Io {
                    reason: e.to_string(),
                })
            }
        }
        let parser = caught(|| ::evtx::EvtxParser::from_read_seek(head))
            .map_err(|reason| EvtxError::NotEvtx { reason })?
            .map_err(|e| EvtxError::NotEvtx { reason: chain(&e) })?
            .with_configuration(settings());
        Ok(EvtxFile { parser, truncated })
    }

    /// The chunks, oldest first, each to decode with
    /// [`EvtxChunk::records`] (on any thread). A chunk that cannot be read
    /// is an error item; a cut file starts with [`EvtxError::Truncated`].
    pub fn into_chunks(self) -> EvtxChunks {
        let settings = Arc::new(settings());
        EvtxChunks {
            truncated: self.truncated,
            inner: self.parser.into_chunks(),
            settings,
            done: false,
        }
    }

    /// Every record, oldest first; errors are items of their own.
    pub fn records(self) -> EvtxRecords {
        EvtxRecords {
            chunks: self.into_chunks(),
            pending: Vec::new().into_iter(),
        }
    }
}

/// Runs `f`, turning a panic into its message.
fn caught<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string())
    })
}

/// Opens `path` and iterates over its records (see [`EvtxFile::records`]).
pub fn read_evtx(path: impl AsRef<Path>) -> Result<EvtxRecords, EvtxError> {
    Ok(EvtxFile::open(path)?.records())
}

/// The chunks of an [`EvtxFile`].
pub struct EvtxChunks {
    truncated: Option<EvtxError>,
    inner: ::evtx::IntoIterChunks<Padded<Box<dyn ReadSeek>>>,
    settings: Arc<::evtx::ParserSettings>,
    done: bool,
}

impl std::fmt::Debug for EvtxChunks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvtxChunks").finish_non_exhaustive()
    }
}

impl Iterator for EvtxChunks {
    type Item = Result<EvtxChunk, EvtxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(t) = self.truncated.take() {
            return Some(Err(t));
        }
        if self.done {
            return None;
        }
        let next = match caught(|| self.inner.next()) {
            Ok(n) => n?,
            Err(reason) => {
                // The reader's state is unknown after a panic: stop here.
                self.done = true;
                return Some(Err(EvtxError::Panicked {
                    chunk: None,
                    reason,
                }));
            }
        };
        Some(match next {
            Ok(data) => Ok(EvtxChunk {
                number: data.number,
                data,
                settings: Arc::clone(&self.settings),
            }),
            Err(e) => Err(convert(&e, None)),
        })
    }
}

/// One 64 KiB chunk of an EVTX file, read but not decoded: `Send`, so it
/// can be decoded on another thread.
pub struct EvtxChunk {
    data: ::evtx::EvtxChunkData,
    number: Option<u64>,
    settings: Arc<::evtx::ParserSettings>,
}

impl std::fmt::Debug for EvtxChunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvtxChunk")
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

impl EvtxChunk {
    /// The chunk's number in the file.
    pub fn number(&self) -> Option<u64> {
        self.number
    }

    /// Decodes the chunk's records, in order; a record that does not
    /// decode is an error item.
    pub fn records(mut self) -> Vec<Result<EvtxRecord, EvtxError>> {
        let number = self.number;
        let settings = Arc::clone(&self.settings);
        let mut out = Vec::new();
        let r = caught(|| {
            let mut chunk = match self.data.parse(settings) {
                Ok(c) => c,
                Err(e) => {
                    out.push(Err(EvtxError::Chunk {
                        chunk: number,
                        reason: chain(&e),
                    }));
                    return;
                }
            };
            for rec in chunk.iter() {
                out.push(
                    rec.and_then(|r| r.into_json())
                        .map(|r| EvtxRecord {
                            record_id: r.event_record_id,
                            chunk: number,
                            json: r.data,
                        })
                        .map_err(|e| convert(&e, number)),
                );
            }
        });
        if let Err(reason) = r {
            out.push(Err(EvtxError::Panicked {
                chunk: number,
                reason,
            }));
        }
        out
    }
}

/// The records of an [`EvtxFile`], oldest first.
#[derive(Debug)]
pub struct EvtxRecords {
    chunks: EvtxChunks,
    pending: std::vec::IntoIter<Result<EvtxRecord, EvtxError>>,
}

impl Iterator for EvtxRecords {
    type Item = Result<EvtxRecord, EvtxError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.pending.next() {
                return Some(r);
            }
            match self.chunks.next()? {
                Ok(chunk) => self.pending = chunk.records().into_iter(),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_evtx() {
        assert!(matches!(
            EvtxFile::from_bytes(b"hello".to_vec()),
            Err(EvtxError::NotEvtx { .. })
        ));
        assert!(matches!(
            EvtxFile::from_bytes(Vec::new()),
            Err(EvtxError::NotEvtx { .. })
        ));
        // The magic and garbage: the decoder is lenient with the header,
        // but nothing comes out of it but errors.
        let mut fake = MAGIC.to_vec();
        fake.resize(4096 + 65536 + 100, 0xff);
        if let Ok(f) = EvtxFile::from_bytes(fake) {
            let items: Vec<_> = f.records().collect();
            assert!(!items.is_empty());
            assert!(
                items.iter().all(|r| matches!(
                    r,
                    Err(EvtxError::Chunk { .. } | EvtxError::Truncated { .. })
                )),
                "{items:?}"
            );
        }
        assert!(is_evtx(b"ElfFile\0rest"));
        assert!(!is_evtx(b"ElfFile"));
        assert!(matches!(
            read_evtx("/nonexistent/x.evtx"),
            Err(EvtxError::Io { .. })
        ));
    }

    #[test]
    fn padded_reads_zeros_past_the_end() {
        let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let mut p = Padded::new(io::Cursor::new(data.clone())).unwrap();
        assert_eq!(p.padded, HEADER_SIZE + CHUNK_SIZE);
        let mut all = Vec::new();
        p.read_to_end(&mut all).unwrap();
        assert_eq!(all.len() as u64, HEADER_SIZE + CHUNK_SIZE);
        assert_eq!(&all[..5000], &data[..]);
        assert!(all[5000..].iter().all(|b| *b == 0));
        assert_eq!(p.seek(SeekFrom::Start(4990)).unwrap(), 4990);
        let mut buf = [1u8; 20];
        let n = p.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], &data[4990..4990 + n]);
        assert_eq!(p.seek(SeekFrom::End(0)).unwrap(), p.padded);
        assert_eq!(p.read(&mut buf).unwrap(), 0);
        assert!(p.seek(SeekFrom::Current(-1_000_000)).is_err());
    }

    #[test]
    fn errors_read_well() {
        let e = EvtxError::Record {
            chunk: Some(3),
            record_id: Some(77),
            reason: "bad token".into(),
        };
        assert_eq!(e.to_string(), "chunk 3, record 77: bad token");
        let e = EvtxError::Truncated {
            size: 70000,
            missing: 65168,
        };
        assert!(e
            .to_string()
            .starts_with("the file is cut short: 70000 bytes"));
    }
}
