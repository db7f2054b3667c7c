//! BSD syslog (RFC 3164) as found in the wild: an optional PRI, a BSD or
//! RFC 3339 timestamp, an optional HOSTNAME, an optional `TAG[PID]:` and the
//! message. Without PRI this is also the format of `/var/log/auth.log` and
//! friends, in both the traditional and rsyslog's high-precision form.

use nom::bytes::complete::{take_till, take_till1};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::sequence::delimited;
use nom::IResult;
use time::{OffsetDateTime, UtcOffset};
use vedette_model::Event;

use crate::syslog::{set_procid, strip_bom, Cursor, Parsed};
use crate::timestamp::{
    nearest_day, parse_bsd, parse_clock, parse_iso, parse_routeros_date, parse_utm, BsdStamp,
    IsoStamp,
};
use crate::ParseError;

const P: &str = "rfc3164";

/// What the start of a record may be, when it has no PRI.
const NO_PRI_EXPECTED: &str = "<PRI>, a BSD timestamp or an RFC 3339 timestamp";

/// A timestamp at the start of a record, as written.
#[derive(Clone, Copy)]
enum Stamp {
    Iso(IsoStamp),
    Bsd(BsdStamp),
    /// A time of day alone (RouterOS's `/log print` for today's records).
    Clock(time::Time),
}

/// The timestamp at the start of `s` and where it ends, when SP, the end or
/// Cisco's colon follows it (see [`ends_at`]).
#[inline]
fn stamp(s: &str) -> Option<(Stamp, usize)> {
    let (t, len) = if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        match parse_iso(s) {
            Some(t) => (Stamp::Iso(t), t.len),
            None => return console_stamp(s),
        }
    } else {
        match parse_bsd(s) {
            Some(t) => (Stamp::Bsd(t), t.len),
            None => return console_stamp(s),
        }
    };
    Some((t, ends_at(s, len)?))
}

/// RouterOS's console times (`/log print`, the router's log files) and
/// Sophos UTM's (`2026:11:26-10:00:00`), rare:
/// tried only where no ISO or BSD time is found. A bare time of day
/// (`20:20:44`) counts only before RouterOS topics, since it starts other
/// lines too (W3C logs with `time` first); a date is `sep/15 12:42:14` or
/// `sep/15/2026 12:42:14`.
#[cold]
#[inline(never)]
fn console_stamp(s: &str) -> Option<(Stamp, usize)> {
    // Told apart by one byte, so that a line that is none of them (an
    // access log's address) costs three compares.
    let b = s.as_bytes();
    let (t, len) = if b.get(3) == Some(&b'/') {
        let t = parse_routeros_date(s)?;
        (Stamp::Bsd(t), t.len)
    } else if b.get(4) == Some(&b':') {
        let t = parse_utm(s)?;
        (Stamp::Bsd(t), t.len)
    } else if b.get(2) == Some(&b':') {
        let (t, len) = parse_clock(s)?;
        topics_follow(s.get(len..)?).then_some(())?;
        (Stamp::Clock(t), len)
    } else {
        return None;
    };
    Some((t, ends_at(s, len)?))
}

/// Whether `s` is SP then a RouterOS topic list (`firewall,info`: lowercase
/// words, digits and `-`, joined by commas) and SP.
fn topics_follow(s: &str) -> bool {
    let Some(r) = s.strip_prefix(' ') else {
        return false;
    };
    let w = r.split(' ').next().unwrap_or("");
    w.len() < r.len()
        && w.contains(',')
        && w.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b',' || c == b'-')
}

/// A timestamp at the start of `s`: the instant (`None` for an impossible
/// date such as Feb 30) and its length, when it is followed by SP or the end.
fn timestamp(
    s: &str,
    received: OffsetDateTime,
    offset: UtcOffset,
) -> Option<(Option<OffsetDateTime>, usize)> {
    let (t, len) = stamp(s)?;
    Some((instant(t, received, offset), len))
}

/// The instant a timestamp names (`None` for an impossible date).
fn instant(t: Stamp, received: OffsetDateTime, offset: UtcOffset) -> Option<OffsetDateTime> {
    match t {
        Stamp::Iso(t) => Some(t.resolve(offset)),
        Stamp::Bsd(t) => t.resolve(received, offset),
        Stamp::Clock(t) => Some(nearest_day(t, received, offset)),
    }
}

/// Where a timestamp of `len` bytes at the start of `s` ends, with the
/// colon Cisco writes after it (`Nov 25 2026 10:00:00: %ASA-...`); `None`
/// when something else follows it.
fn ends_at(s: &str, len: usize) -> Option<usize> {
    match s.as_bytes().get(len) {
        None | Some(b' ') => Some(len),
        Some(b':') if matches!(s.as_bytes().get(len + 1), None | Some(b' ')) => Some(len + 1),
        _ => None,
    }
}

/// The timestamp a record starts with, as [`leading`] found it: given to
/// [`parse`] so that the record's timestamp is read once.
#[derive(Clone, Copy)]
pub(crate) struct Leading(Stamp, usize);

/// The timestamp `s` starts with, when this parser accepts one (which
/// makes it syslog rather than a bare device-format line). Only its shape:
/// the year of a BSD time is not worked out yet.
pub(crate) fn leading(s: &str) -> Option<Leading> {
    stamp(s).map(|(t, len)| Leading(t, len))
}

/// Parses a BSD record from the cursor (after PRI when `had_pri`).
/// `known` is the timestamp [`leading`] found at the cursor, if the caller
/// looked.
pub(crate) fn parse<'a>(
    ev: &mut Event,
    cur: &mut Cursor<'a>,
    parsed: &mut Parsed<'a>,
    had_pri: bool,
    default_offset: UtcOffset,
    known: Option<Leading>,
) -> Result<(), ParseError> {
    let r = cur.rest();
    let at = cur.offset();
    // Some senders put a space after PRI (`<166> 2026-11-26T10:54:24Z ...`).
    let spaced = || {
        let t = r.trim_start_matches(' ');
        let skip = r.len() - t.len();
        (had_pri && skip > 0)
            .then(|| timestamp(t, ev.received, default_offset))
            .flatten()
            .map(|(ts, len)| (ts, len + skip))
    };
    let found = match known {
        Some(Leading(t, len)) => Some((instant(t, ev.received, default_offset), len)),
        None => timestamp(r, ev.received, default_offset),
    };
    let Some((t, len)) = found.or_else(spaced) else {
        if !had_pri {
            return Err(ParseError::expected("syslog", NO_PRI_EXPECTED, at));
        }
        // RFC 3164 4.3.3: a PRI without a valid TIMESTAMP; the rest is the
        // content.
        if !r.is_empty() {
            parsed.message = Some(strip_bom(r));
        }
        return Err(ParseError::expected(P, "TIMESTAMP", at));
    };
    parsed.syslog = true;
    let mut deferred = None;
    match t {
        Some(t) => ev.timestamp = t.to_offset(UtcOffset::UTC),
        None => deferred = Some(ParseError::expected(P, "a valid date in TIMESTAMP", at)),
    }
    let r = r.get(len..).unwrap_or("").trim_start_matches(' ');
    cur.advance_to(r);

    // No host name has a comma: a record without one (PAN-OS's CSV right
    // after the time, `Oct 30 09:46:12 1,2012/10/30 ...`) starts its
    // message there.
    let r = match r.split_once(' ') {
        Some((tok, rest)) if !looks_like_tag(tok) && !tok.contains(',') => {
            ev.set(key!("host.name"), tok);
            rest.trim_start_matches(' ')
        }
        _ => r,
    };
    cur.advance_to(r);

    // A relay that put its own BSD header before a whole RFC 5424 record
    // (`Jun 16 06:54:17 relay 1 2015-06-16T03:54:16.446-07:00 fw RT_FLOW -
    // ...`): the record's own header says when and where it happened (its
    // time replaces the relay's, whatever that was).
    if crate::rfc5424::headerless(r) == Some(true) {
        return relayed_5424(ev, cur, parsed, default_offset);
    }

    // A Cisco mnemonic (`%ASA-6-302013:`, `%SYS-5-CONFIG_I:`) is part of the
    // message, not a program name.
    // Nor is `CEF:` (`CEF: 0|Fortinet|...`, with a space after the colon).
    let tagged = if r.starts_with('%') || r.starts_with("CEF:") {
        None
    } else {
        tag(r).ok()
    };
    match tagged {
        Some((msg, (name, pid))) => {
            ev.set(key!("process.name"), name);
            if let Some(pid) = pid {
                set_procid(ev, pid);
            }
            parsed.program = Some(name);
            parsed.message = Some(strip_bom(msg));
        }
        None => {
            if !r.is_empty() {
                parsed.message = Some(strip_bom(r));
            }
        }
    }
    deferred.map_or(Ok(()), Err)
}

/// An RFC 5424 record after a relay's BSD header, from its VERSION; the
/// relay's name is kept apart.
#[cold]
#[inline(never)]
fn relayed_5424<'a>(
    ev: &mut Event,
    cur: &mut Cursor<'a>,
    parsed: &mut Parsed<'a>,
    default_offset: UtcOffset,
) -> Result<(), ParseError> {
    crate::syslog::host_is_relay(ev);
    crate::rfc5424::parse(ev, cur, parsed, default_offset)
}

/// Whether the token after the timestamp is the TAG rather than HOSTNAME.
fn looks_like_tag(tok: &str) -> bool {
    tok.ends_with(':') || tok.contains('[')
}

/// `TAG[PID]: `, `TAG: ` or `TAG[PID] `, and the message after it. A
/// bare `word:` only counts when followed by SP or the end, so that
/// `http://...` stays in the message.
fn tag(s: &str) -> IResult<&str, (&str, Option<&str>)> {
    let (r, name) = take_till1(|c: char| c == ' ' || c == '[' || c == ':')(s)?;
    let (r, pid) = opt(delimited(
        char('['),
        take_till(|c: char| c == ']' || c == ' '),
        char(']'),
    ))(r)?;
    let (r, colon) = opt(char(':'))(r)?;
    let fail = || nom::Err::Error(nom::error::Error::new(s, nom::error::ErrorKind::Tag));
    let msg = match (pid, colon) {
        (None, None) => return Err(fail()),
        (Some(_), Some(_)) => r.strip_prefix(' ').unwrap_or(r),
        _ if r.is_empty() => r,
        _ => r.strip_prefix(' ').ok_or_else(fail)?,
    };
    Ok((msg, (name, pid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert_eq!(tag("sshd[123]: hi"), Ok(("hi", ("sshd", Some("123")))));
        assert_eq!(tag("sshd[123]:hi"), Ok(("hi", ("sshd", Some("123")))));
        assert_eq!(tag("sshd[123] hi"), Ok(("hi", ("sshd", Some("123")))));
        assert_eq!(
            tag("su: 'su root' failed"),
            Ok(("'su root' failed", ("su", None)))
        );
        assert_eq!(tag("kernel:"), Ok(("", ("kernel", None))));
        assert_eq!(
            tag("sudo:    alice : TTY"),
            Ok(("   alice : TTY", ("sudo", None)))
        );
        assert_eq!(
            tag("postfix/smtpd[9]: x"),
            Ok(("x", ("postfix/smtpd", Some("9"))))
        );
        assert!(tag("Use the BFG!").is_err());
        assert!(tag("http://example.org").is_err());
        assert!(tag(": x").is_err());
        assert!(tag("").is_err());
    }

    #[test]
    fn tag_detection() {
        assert!(looks_like_tag("sshd[1]:"));
        assert!(looks_like_tag("su:"));
        assert!(looks_like_tag("sshd[1]"));
        assert!(!looks_like_tag("host1"));
        assert!(!looks_like_tag("fe80::1"));
    }
}
