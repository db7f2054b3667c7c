//! The on-disk format: segment names, the segment header and records.
//!
//! ```text
//! segment  = header record*
//! header   = "VDSPOOL1" | u32 version | u32 reserved (0) | u64 first seq     (24 bytes)
//! record   = u32 body len | u32 crc32(body) | body
//! body     = u64 seq | i64 received unix nanos | u8 flags (bit0 truncated)
//!          | u16 input len | input | u8 peer kind (0, 4, 6) | [ip | u16 port]
//!          | payload (rest of the body)
//! ```
//!
//! All integers are little-endian.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use vedette_model::Origin;

use crate::error::{Corruption, Result, SpoolError};
use crate::Record;

/// The magic every segment starts with.
pub(crate) const MAGIC: &[u8; 8] = b"VDSPOOL1";
/// The format version this code writes and reads.
pub(crate) const VERSION: u32 = 1;
/// Size of the segment header.
pub(crate) const HEADER_LEN: u64 = 24;
/// Size of the `len | crc` prefix of a record.
pub(crate) const RECORD_PREFIX_LEN: u64 = 8;
/// The largest record body accepted, written or read; longer is corruption.
pub const MAX_RECORD_LEN: usize = 16 << 20;
/// The smallest possible body: seq, time, flags, empty input, no peer.
const MIN_BODY_LEN: usize = 8 + 8 + 1 + 2 + 1;

const FLAG_TRUNCATED: u8 = 1;
const PEER_NONE: u8 = 0;
const PEER_V4: u8 = 4;
const PEER_V6: u8 = 6;

/// The file name of the segment whose first record is `first`.
pub(crate) fn segment_name(first: u64) -> String {
    format!("{first:020}.seg")
}

/// The path of the segment whose first record is `first`.
pub(crate) fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(segment_name(first))
}

/// The first seq encoded in a segment file name, if it is one.
pub(crate) fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The header of a segment starting at `first`.
pub(crate) fn encode_header(first: u64) -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h[16..24].copy_from_slice(&first.to_le_bytes());
    h
}

/// Checks a full header against the segment's name.
pub(crate) fn check_header(path: &Path, h: &[u8; HEADER_LEN as usize], first: u64) -> Result<()> {
    let corrupt = |reason| SpoolError::Corrupt {
        path: path.to_path_buf(),
        offset: 0,
        reason,
    };
    if &h[..8] != MAGIC {
        return Err(corrupt(Corruption::BadMagic));
    }
    let version = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
    if version != VERSION {
        return Err(SpoolError::UnsupportedVersion {
            path: path.to_path_buf(),
            version,
        });
    }
    let mut s = [0u8; 8];
    s.copy_from_slice(&h[16..24]);
    let found = u64::from_le_bytes(s);
    if found != first {
        return Err(corrupt(Corruption::HeaderSeq {
            expected: first,
            found,
        }));
    }
    Ok(())
}

/// Appends one encoded record (prefix and body) to `buf`.
pub(crate) fn encode_record(
    buf: &mut Vec<u8>,
    seq: u64,
    received: OffsetDateTime,
    origin: &Origin,
    truncated: bool,
    payload: &[u8],
) -> Result<()> {
    let input = origin.input.as_bytes();
    let input_len = u16::try_from(input.len())
        .map_err(|_| SpoolError::InputNameTooLong { len: input.len() })?;
    let peer_len = match origin.peer {
        None => 0,
        Some(SocketAddr::V4(_)) => 4 + 2,
        Some(SocketAddr::V6(_)) => 16 + 2,
    };
    let body_len = MIN_BODY_LEN + input.len() + peer_len + payload.len();
    if body_len > MAX_RECORD_LEN {
        return Err(SpoolError::RecordTooLarge {
            len: body_len,
            max: MAX_RECORD_LEN,
        });
    }
    // Times outside i64 nanoseconds (years 1677..2262) are clamped.
    let nanos = received.unix_timestamp_nanos();
    let nanos = i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX });

    let start = buf.len();
    buf.reserve(RECORD_PREFIX_LEN as usize + body_len);
    // body_len <= MAX_RECORD_LEN, which fits in u32.
    buf.extend_from_slice(&(body_len as u32).to_le_bytes());
    buf.extend_from_slice(&[0; 4]); // crc, filled in below
    let body_start = buf.len();
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(&nanos.to_le_bytes());
    buf.push(if truncated { FLAG_TRUNCATED } else { 0 });
    buf.extend_from_slice(&input_len.to_le_bytes());
    buf.extend_from_slice(input);
    match origin.peer {
        None => buf.push(PEER_NONE),
        Some(SocketAddr::V4(a)) => {
            buf.push(PEER_V4);
            buf.extend_from_slice(&a.ip().octets());
            buf.extend_from_slice(&a.port().to_le_bytes());
        }
        Some(SocketAddr::V6(a)) => {
            buf.push(PEER_V6);
            buf.extend_from_slice(&a.ip().octets());
            buf.extend_from_slice(&a.port().to_le_bytes());
        }
    }
    buf.extend_from_slice(payload);
    let crc = crc32fast::hash(&buf[body_start..]);
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    debug_assert_eq!(buf.len() - body_start, body_len);
    Ok(())
}

/// A bounds-checked little-endian cursor over a record body.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
}

/// Decodes a verified body into a record, reusing the body's allocation for
/// the payload.
pub(crate) fn decode_body(mut body: Vec<u8>) -> std::result::Result<Record, Corruption> {
    let bad = Corruption::BadRecord;
    let mut c = Cursor { buf: &body, pos: 0 };
    let seq = u64::from_le_bytes(c.array().ok_or(bad("short header"))?);
    let nanos = i64::from_le_bytes(c.array().ok_or(bad("short header"))?);
    let received = OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .map_err(|_| bad("time out of range"))?;
    let [flags] = c.array().ok_or(bad("short header"))?;
    if flags & !FLAG_TRUNCATED != 0 {
        return Err(bad("unknown flags"));
    }
    let input_len = u16::from_le_bytes(c.array().ok_or(bad("short header"))?);
    let input = c
        .take(usize::from(input_len))
        .ok_or(bad("input name overruns record"))?;
    let input = std::str::from_utf8(input).map_err(|_| bad("input name is not UTF-8"))?;
    let [kind] = c.array().ok_or(bad("missing peer kind"))?;
    let peer = match kind {
        PEER_NONE => None,
        PEER_V4 => {
            let ip: [u8; 4] = c.array().ok_or(bad("short peer address"))?;
            let port = u16::from_le_bytes(c.array().ok_or(bad("short peer address"))?);
            Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port))
        }
        PEER_V6 => {
            let ip: [u8; 16] = c.array().ok_or(bad("short peer address"))?;
            let port = u16::from_le_bytes(c.array().ok_or(bad("short peer address"))?);
            Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port))
        }
        _ => return Err(bad("unknown peer kind")),
    };
    let origin = Origin::new(input, peer);
    let payload_start = c.pos;
    body.drain(..payload_start);
    Ok(Record {
        seq,
        received,
        origin,
        truncated: flags & FLAG_TRUNCATED != 0,
        payload: body,
    })
}

/// What [`SegmentCursor::next`] found.
#[derive(Debug)]
pub(crate) enum Step {
    /// A valid record.
    Record(Record),
    /// A record with seq <= the skip bound, passed over without decoding.
    Skipped,
    /// The cursor is at the limit: no more records yet.
    End,
    /// The record at `offset` is damaged. The cursor must not be used
    /// again (its file position is unspecified), but `offset` still points
    /// at the bad record.
    Corrupt(Corruption),
}

/// Reads the records of one segment file in order with its own handle.
#[derive(Debug)]
pub(crate) struct SegmentCursor {
    /// The segment file.
    pub(crate) path: PathBuf,
    /// The seq of its first record.
    pub(crate) first: u64,
    reader: BufReader<File>,
    /// Byte offset of the next record.
    pub(crate) offset: u64,
    /// The seq the next record must carry.
    pub(crate) next_seq: u64,
}

impl SegmentCursor {
    /// Opens a segment and checks its header. `Ok(Err(_))` is a damaged or
    /// foreign header; `Err(_)` an I/O error.
    pub(crate) fn open(path: PathBuf, first: u64) -> Result<Result<SegmentCursor>> {
        let file = File::open(&path).map_err(|e| SpoolError::io(&path, e))?;
        let mut reader = BufReader::with_capacity(256 << 10, file);
        let mut h = [0u8; HEADER_LEN as usize];
        match reader.read_exact(&mut h) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Ok(Err(SpoolError::Corrupt {
                    path,
                    offset: 0,
                    reason: Corruption::Truncated,
                }));
            }
            Err(e) => return Err(SpoolError::io(&path, e)),
        }
        if let Err(e) = check_header(&path, &h, first) {
            return Ok(Err(e));
        }
        Ok(Ok(SegmentCursor {
            path,
            first,
            reader,
            offset: HEADER_LEN,
            next_seq: first,
        }))
    }

    /// Reads the next record, never past byte `limit` (which must be a
    /// record boundary or the file's length). Records with seq <=
    /// `skip_through` are passed over without CRC or decoding.
    pub(crate) fn next(&mut self, limit: u64, skip_through: u64) -> Result<Step> {
        let remaining = limit.saturating_sub(self.offset);
        if remaining == 0 {
            return Ok(Step::End);
        }
        if remaining < RECORD_PREFIX_LEN {
            return Ok(Step::Corrupt(Corruption::Truncated));
        }
        let mut prefix = [0u8; RECORD_PREFIX_LEN as usize];
        if let Some(step) = self.read(&mut prefix)? {
            return Ok(step);
        }
        let len = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        let stored = u32::from_le_bytes([prefix[4], prefix[5], prefix[6], prefix[7]]);
        let body_len = len as usize;
        if !(MIN_BODY_LEN..=MAX_RECORD_LEN).contains(&body_len) {
            return Ok(Step::Corrupt(Corruption::BadLength(len)));
        }
        if u64::from(len) > remaining - RECORD_PREFIX_LEN {
            return Ok(Step::Corrupt(Corruption::Truncated));
        }
        let total = RECORD_PREFIX_LEN + u64::from(len);

        if self.next_seq <= skip_through {
            let mut seq = [0u8; 8];
            if let Some(step) = self.read(&mut seq)? {
                return Ok(step);
            }
            let seq = u64::from_le_bytes(seq);
            if seq != self.next_seq {
                let reason = Corruption::Sequence {
                    expected: self.next_seq,
                    found: seq,
                };
                return Ok(Step::Corrupt(reason));
            }
            let rest = i64::from(len) - 8;
            self.reader
                .seek_relative(rest)
                .map_err(|e| SpoolError::io(&self.path, e))?;
            self.offset += total;
            self.next_seq += 1;
            return Ok(Step::Skipped);
        }

        let mut body = vec![0u8; body_len];
        if let Some(step) = self.read(&mut body)? {
            return Ok(step);
        }
        let computed = crc32fast::hash(&body);
        if computed != stored {
            return Ok(Step::Corrupt(Corruption::Checksum { stored, computed }));
        }
        let record = match decode_body(body) {
            Ok(r) => r,
            Err(reason) => return Ok(Step::Corrupt(reason)),
        };
        if record.seq != self.next_seq {
            let reason = Corruption::Sequence {
                expected: self.next_seq,
                found: record.seq,
            };
            return Ok(Step::Corrupt(reason));
        }
        self.offset += total;
        self.next_seq += 1;
        Ok(Step::Record(record))
    }

    /// The current length of the file.
    pub(crate) fn file_len(&self) -> Result<u64> {
        self.reader
            .get_ref()
            .metadata()
            .map(|m| m.len())
            .map_err(|e| SpoolError::io(&self.path, e))
    }

    /// `read_exact`, with a short file reported as corruption.
    fn read(&mut self, buf: &mut [u8]) -> Result<Option<Step>> {
        match self.reader.read_exact(buf) {
            Ok(()) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Ok(Some(Step::Corrupt(Corruption::Truncated)))
            }
            Err(e) => Err(SpoolError::io(&self.path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin_v6() -> Origin {
        Origin::new("syslog-tcp", Some("[2001:db8::1]:6514".parse().unwrap()))
    }

    #[test]
    fn names_round_trip() {
        assert_eq!(segment_name(1), "00000000000000000001.seg");
        assert_eq!(parse_segment_name(&segment_name(u64::MAX)), Some(u64::MAX));
        assert_eq!(parse_segment_name("00000000000000000001.seg"), Some(1));
        assert_eq!(parse_segment_name("1.seg"), None);
        assert_eq!(parse_segment_name("0000000000000000000a.seg"), None);
        assert_eq!(parse_segment_name("00000000000000000001.tmp"), None);
        assert_eq!(parse_segment_name("+0000000000000000001.seg"), None);
        assert_eq!(parse_segment_name("99999999999999999999.seg"), None);
    }

    #[test]
    fn header_checks() {
        let p = Path::new("x.seg");
        let h = encode_header(42);
        assert!(check_header(p, &h, 42).is_ok());
        assert!(matches!(
            check_header(p, &h, 43),
            Err(SpoolError::Corrupt {
                reason: Corruption::HeaderSeq {
                    expected: 43,
                    found: 42
                },
                ..
            })
        ));
        let mut v = h;
        v[8] = 9;
        assert!(matches!(
            check_header(p, &v, 42),
            Err(SpoolError::UnsupportedVersion { version: 9, .. })
        ));
        let mut m = h;
        m[0] = b'X';
        assert!(matches!(
            check_header(p, &m, 42),
            Err(SpoolError::Corrupt {
                reason: Corruption::BadMagic,
                ..
            })
        ));
    }

    #[test]
    fn record_round_trip() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        let mut buf = Vec::new();
        encode_record(&mut buf, 7, t, &origin_v6(), true, b"<13>hello").unwrap();
        let len = u32::from_le_bytes(buf[..4].try_into().unwrap()) as usize;
        assert_eq!(buf.len(), 8 + len);
        let crc = u32::from_le_bytes(buf[4..8].try_into().unwrap());
        assert_eq!(crc, crc32fast::hash(&buf[8..]));
        let r = decode_body(buf[8..].to_vec()).unwrap();
        assert_eq!(r.seq, 7);
        assert_eq!(r.received, t);
        assert_eq!(r.origin, origin_v6());
        assert!(r.truncated);
        assert_eq!(r.payload, b"<13>hello");
    }

    #[test]
    fn limits_are_enforced() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let mut buf = Vec::new();
        let long = "x".repeat(70_000);
        assert!(matches!(
            encode_record(&mut buf, 1, t, &Origin::new(&long, None), false, b""),
            Err(SpoolError::InputNameTooLong { len: 70_000 })
        ));
        let big = vec![0u8; MAX_RECORD_LEN];
        assert!(matches!(
            encode_record(&mut buf, 1, t, &Origin::new("a", None), false, &big),
            Err(SpoolError::RecordTooLarge { .. })
        ));
        assert!(buf.is_empty());
    }

    #[test]
    fn extreme_times_are_clamped() {
        let mut buf = Vec::new();
        let far = time::macros::datetime!(9000-01-01 0:00 UTC);
        encode_record(&mut buf, 1, far, &Origin::new("a", None), false, b"").unwrap();
        let r = decode_body(buf[8..].to_vec()).unwrap();
        assert_eq!(r.received.unix_timestamp_nanos(), i128::from(i64::MAX));
    }

    #[test]
    fn malformed_bodies_are_rejected() {
        let mut buf = Vec::new();
        let o = origin_v6();
        encode_record(&mut buf, 1, OffsetDateTime::UNIX_EPOCH, &o, false, b"").unwrap();
        let body = buf[8..].to_vec();
        // Every strict prefix that cuts into the fixed fields fails cleanly.
        let fixed = MIN_BODY_LEN + o.input.len() + 18;
        for n in 0..fixed {
            assert!(decode_body(body[..n].to_vec()).is_err(), "prefix {n}");
        }
        let mut bad_kind = body.clone();
        bad_kind[8 + 8 + 1 + 2 + o.input.len()] = 5;
        assert_eq!(
            decode_body(bad_kind).unwrap_err(),
            Corruption::BadRecord("unknown peer kind")
        );
        let mut bad_flags = body;
        bad_flags[16] = 0x80;
        assert!(decode_body(bad_flags).is_err());
    }
}
