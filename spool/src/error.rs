use std::fmt;
use std::io;
use std::path::PathBuf;

/// What is wrong with a segment file that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Corruption {
    /// The file does not start with the `VDSPOOL1` magic.
    BadMagic,
    /// The header names a different first sequence number than the file name.
    HeaderSeq {
        /// The first seq in the file name.
        expected: u64,
        /// The first seq in the header.
        found: u64,
    },
    /// A record length is zero or larger than the 16 MiB limit.
    BadLength(u32),
    /// The file ends inside a record.
    Truncated,
    /// The record body does not match its CRC-32.
    Checksum {
        /// The checksum stored in the record.
        stored: u32,
        /// The checksum of the body as read.
        computed: u32,
    },
    /// The record body does not decode.
    BadRecord(&'static str),
    /// The record does not carry the next sequence number of its segment.
    Sequence {
        /// The seq the record should have.
        expected: u64,
        /// The seq it has.
        found: u64,
    },
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corruption::BadMagic => f.write_str("bad magic (not a Vedette spool segment)"),
            Corruption::HeaderSeq { expected, found } => write!(
                f,
                "header names first seq {found} but the file name says {expected}"
            ),
            Corruption::BadLength(len) => write!(f, "implausible record length {len}"),
            Corruption::Truncated => f.write_str("file ends inside a record"),
            Corruption::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            Corruption::BadRecord(why) => write!(f, "malformed record: {why}"),
            Corruption::Sequence { expected, found } => {
                write!(f, "record has seq {found}, expected {expected}")
            }
        }
    }
}

/// Errors from the spool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpoolError {
    /// A file system operation failed.
    #[error("spool I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A segment file is damaged in a way the spool will not repair by itself.
    #[error("corrupt spool segment {} at byte {offset}: {reason}", path.display())]
    Corrupt {
        /// The segment file.
        path: PathBuf,
        /// The byte offset of the damaged header or record.
        offset: u64,
        /// What is wrong.
        reason: Corruption,
    },
    /// A segment was written by a newer (or unknown) format version.
    #[error("spool segment {} has unsupported format version {version}", path.display())]
    UnsupportedVersion {
        /// The segment file.
        path: PathBuf,
        /// The version found in its header.
        version: u32,
    },
    /// Another process (or another `Spool::open` in this one) holds the spool.
    #[error("spool directory {} is locked by another writer", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A frame is larger than a record may be.
    #[error("record of {len} bytes exceeds the {max} byte limit")]
    RecordTooLarge {
        /// The encoded record body size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The origin's input name does not fit in a record (more than 65535 bytes).
    #[error("input name of {len} bytes is too long")]
    InputNameTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// An earlier write or fsync failed, so the state of the active segment
    /// is unknown; the spool must be reopened (which repairs the tail).
    #[error("spool writer failed earlier ({cause}); reopen the spool")]
    WriterFailed {
        /// The first error, as text.
        cause: String,
    },
    /// The configuration cannot work.
    #[error("invalid spool configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
}

impl SpoolError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        SpoolError::Io {
            path: path.into(),
            source,
        }
    }
}

/// `Result` with [`SpoolError`].
pub type Result<T, E = SpoolError> = std::result::Result<T, E>;
