//! FortiGate (FortiOS 6 and 7) key=value logs: traffic (forward, local),
//! UTM (virus, webfilter, ips, app-ctrl, dns, ...) and event (system, user,
//! vpn) records, such as
//!
//! ```text
//! date=2026-11-25 time=10:00:00 devname="FGT-HQ" devid="FG100F0000000001"
//! eventtime=1795575600000000000 tz="+0700" logid="0000000013" type="traffic"
//! subtype="forward" level="notice" vd="root" srcip=10.0.0.5 srcport=51234
//! srcintf="port1" dstip=203.0.113.9 dstport=443 dstintf="wan1" proto=6
//! action="accept" policyid=1 service="HTTPS" sentbyte=1200 rcvdbyte=5400
//! ```
//!
//! Every pair is kept under `fortinet.firewall.<key>`; the known ones are
//! mapped to ECS as well.
//!
//! This file also holds the key=value tokenizer ([`Pairs`]) and the small
//! helpers that the Sophos and SonicWall formats share.

use std::borrow::Cow;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use vedette_model::fields::FieldName;
use vedette_model::{Event, LogSource};

use crate::ParseError;

pub(crate) const FORMAT: super::Format = super::Format {
    name: "fortigate",
    fields: 80,
    first: |b| matches!(b, b'l' | b'd' | b'e'),
    open: |_| false,
    needs: b"=",
    gate: None,
    detect,
    parse,
    claim: None,
};

// ---------------------------------------------------------------------------
// The shared key=value tokenizer.
// ---------------------------------------------------------------------------

/// At most this many pairs are taken from one record; the rest is ignored.
pub(super) const MAX_PAIRS: usize = 1000;
/// Values longer than this many bytes are cut (at a character boundary).
pub(super) const MAX_VALUE: usize = 64 * 1024;
/// A "key" longer than this is junk, not a key.
const MAX_KEY: usize = 256;

/// One `key=value` pair, borrowed from the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pair<'a> {
    /// The key: no space, tab, `=` or `"` in it, never empty.
    pub(super) key: &'a str,
    /// The value as written, without its quotes, escapes not yet undone,
    /// cut at [`MAX_VALUE`] bytes.
    pub(super) raw: &'a str,
    /// Whether `raw` holds a backslash to undo (quoted values only).
    escaped: bool,
}

impl<'a> Pair<'a> {
    /// The value, with `\"` and `\\` undone in quoted values (any other
    /// backslash is kept as written). Borrowed unless there was an escape.
    pub(super) fn value(&self) -> Cow<'a, str> {
        if !self.escaped {
            return Cow::Borrowed(self.raw);
        }
        let mut out = String::with_capacity(self.raw.len());
        let mut chars = self.raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some(e @ ('"' | '\\')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
        Cow::Owned(out)
    }
}

/// The `key=value` pairs of a record, in order: pairs are separated by
/// spaces (or tabs); a value is either bare (up to the next space) or
/// double-quoted with `\"` and `\\` escapes. Junk between pairs (a word
/// without `=`, a stray quote) is skipped up to the next space. At most
/// [`MAX_PAIRS`] pairs are yielded. Linear in the length of the record.
#[derive(Debug, Clone)]
pub(super) struct Pairs<'a> {
    text: &'a str,
    pos: usize,
    taken: usize,
    /// Where the opening quote of a value that never closed is.
    unterminated: Option<usize>,
}

fn is_space(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// The index of the first space or tab at or after `from`, else the length.
fn next_space(b: &[u8], from: usize) -> usize {
    match b.get(from..) {
        Some(rest) => memchr::memchr2(b' ', b'\t', rest).map_or(b.len(), |i| from + i),
        None => b.len(),
    }
}

/// `s` cut to at most [`MAX_VALUE`] bytes, at a character boundary.
fn cap(s: &str) -> &str {
    if s.len() <= MAX_VALUE {
        return s;
    }
    let mut end = MAX_VALUE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

impl<'a> Pairs<'a> {
    /// The pairs of `text`.
    pub(super) fn new(text: &'a str) -> Self {
        Pairs {
            text,
            pos: 0,
            taken: 0,
            unterminated: None,
        }
    }

    /// The error to report once iteration is over: a quoted value that was
    /// never closed (its pair was still yielded, up to the end of the text).
    /// The offset is counted from the start of the text given to
    /// [`Pairs::new`].
    pub(super) fn error(&self, parser: &'static str) -> Result<(), ParseError> {
        match self.unterminated {
            Some(at) => Err(ParseError::expected(parser, "'\"' closing a value", at)),
            // Only reachable when a source forces the format on text that
            // has no pairs at all: the record is kept, with the reason.
            None if self.taken == 0 => Err(ParseError::expected(parser, "key=value pairs", 0)),
            None => Ok(()),
        }
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = Pair<'a>;

    fn next(&mut self) -> Option<Pair<'a>> {
        let text = self.text;
        let b = text.as_bytes();
        loop {
            if self.taken >= MAX_PAIRS {
                return None;
            }
            while b.get(self.pos).is_some_and(|&c| is_space(c)) {
                self.pos += 1;
            }
            let start = self.pos;
            if start >= b.len() {
                return None;
            }
            let mut eq = start;
            while let Some(&c) = b.get(eq) {
                if c == b'=' || c == b'"' || is_space(c) {
                    break;
                }
                eq += 1;
            }
            let key = text.get(start..eq).filter(|k| !k.is_empty());
            let key = match key {
                Some(k) if b.get(eq) == Some(&b'=') && k.len() <= MAX_KEY => k,
                _ => {
                    // Junk: skip the word (at least one byte).
                    self.pos = next_space(b, eq.max(start + 1));
                    continue;
                }
            };
            let vstart = eq + 1;
            if b.get(vstart) == Some(&b'"') {
                let open = vstart + 1;
                let mut at = open;
                let mut escaped = false;
                let close = loop {
                    let rest = b.get(at..).unwrap_or(&[]);
                    match memchr::memchr2(b'"', b'\\', rest) {
                        Some(i) if rest.get(i) == Some(&b'\\') => {
                            escaped = true;
                            at += i + 2;
                        }
                        Some(i) => break Some(at + i),
                        None => break None,
                    }
                };
                let end = close.unwrap_or(b.len());
                let Some(raw) = text.get(open..end) else {
                    self.pos = b.len();
                    return None;
                };
                match close {
                    Some(c) => {
                        // Anything glued to the closing quote is junk.
                        self.pos = next_space(b, c + 1);
                    }
                    None => {
                        self.unterminated = Some(vstart);
                        self.pos = b.len();
                    }
                }
                self.taken += 1;
                return Some(Pair {
                    key,
                    raw: cap(raw),
                    escaped,
                });
            }
            let end = next_space(b, vstart);
            self.pos = end;
            let raw = text.get(vstart..end).unwrap_or("");
            self.taken += 1;
            return Some(Pair {
                key,
                raw: cap(raw),
                escaped: false,
            });
        }
    }
}

/// Sets vendor fields `<prefix><key>` with one reused key buffer.
pub(super) struct Raw {
    known: &'static super::KnownKeys,
    /// `<prefix><key>` for a key `known` lacks; allocated on the first.
    buf: String,
}

impl Raw {
    /// A setter for the keys under `known`'s prefix; the names the format
    /// documents are `known`'s keys (see [`super::KnownKeys`]).
    pub(super) fn new(known: &'static super::KnownKeys) -> Self {
        Raw {
            known,
            buf: String::new(),
        }
    }

    /// Sets `<prefix><key>` to `value`.
    pub(super) fn set(&mut self, ev: &mut Event, key: &str, value: &str) {
        if let Some(k) = self.known.get(key) {
            ev.set(k, value);
            return;
        }
        self.buf.clear();
        self.buf.push_str(self.known.prefix());
        self.buf.push_str(key);
        ev.set(&self.buf, value);
    }
}

/// FortiGate's documented log fields (the FortiOS log reference).
static FORTIGATE_KEYS: std::sync::LazyLock<super::KnownKeys> = std::sync::LazyLock::new(|| {
    super::KnownKeys::new(
        "fortinet.firewall.",
        &[
            "action",
            "agent",
            "analyticscksum",
            "analyticssubmit",
            "app",
            "appcat",
            "appid",
            "applist",
            "apprisk",
            "assignip",
            "attack",
            "attackid",
            "authserver",
            "cat",
            "catdesc",
            "cfgattr",
            "cfgobj",
            "cfgpath",
            "cfgtid",
            "collectedemail",
            "cookies",
            "countapp",
            "countav",
            "countdlp",
            "countips",
            "countweb",
            "craction",
            "crlevel",
            "crscore",
            "date",
            "devid",
            "devname",
            "devtype",
            "direction",
            "dst_host",
            "dstcountry",
            "dstintf",
            "dstintfrole",
            "dstip",
            "dstname",
            "dstport",
            "dstserver",
            "dstuuid",
            "dtype",
            "duration",
            "eventtime",
            "eventtype",
            "fctuid",
            "filename",
            "group",
            "hostname",
            "incidentserialno",
            "lanin",
            "lanout",
            "level",
            "locip",
            "locport",
            "logdesc",
            "logid",
            "logver",
            "masterdstmac",
            "mastersrcmac",
            "method",
            "msg",
            "natip",
            "natport",
            "nextstat",
            "osname",
            "outintf",
            "policyid",
            "policyname",
            "policytype",
            "poluuid",
            "profile",
            "proto",
            "quarskip",
            "rcvdbyte",
            "rcvddelta",
            "rcvdpkt",
            "reason",
            "ref",
            "remip",
            "remport",
            "reqtype",
            "sentbyte",
            "sentdelta",
            "sentpkt",
            "service",
            "sessionid",
            "severity",
            "shaperperipname",
            "shapingpolicyid",
            "sn",
            "srccountry",
            "srcfamily",
            "srchwvendor",
            "srcintf",
            "srcintfrole",
            "srcip",
            "srcmac",
            "srcname",
            "srcport",
            "srcserver",
            "srcuuid",
            "status",
            "subtype",
            "time",
            "trandisp",
            "tranip",
            "tranport",
            "transip",
            "transport",
            "tunnelid",
            "tunnelip",
            "tunneltype",
            "type",
            "tz",
            "ui",
            "unauthuser",
            "unauthusersource",
            "url",
            "user",
            "utmaction",
            "vd",
            "virus",
            "virusid",
            "vrf",
            "vwlid",
            "vwlquality",
            "vwlservice",
            "wanin",
            "wanoptapptype",
            "wanout",
            "xauthgroup",
            "xauthuser",
        ],
    )
});

// ---------------------------------------------------------------------------
// Shared field helpers.
// ---------------------------------------------------------------------------

/// Sets `key` to `v` when it is an IP address; whether it did.
pub(super) fn set_ip(ev: &mut Event, key: impl FieldName, v: &str) -> bool {
    let ok = super::is_ip(v);
    if ok {
        ev.set(key, v);
    }
    ok
}

/// Sets `key` to `v` as a port number, when it is one.
pub(super) fn set_port(ev: &mut Event, key: impl FieldName, v: &str) {
    if let Ok(p) = v.parse::<u16>() {
        ev.set(key, i64::from(p));
    }
}

/// Sets `key` to `v` as a count, when it is a non-negative whole number.
pub(super) fn set_count(ev: &mut Event, key: impl FieldName, v: &str) {
    if let Some(n) = count(v) {
        ev.set(key, n);
    }
}

/// `v` as a non-negative whole number.
pub(super) fn count(v: &str) -> Option<i64> {
    v.parse::<u64>().ok().and_then(|n| i64::try_from(n).ok())
}

/// Sets `key` to `v` unless it is empty or a placeholder (`N/A`, `-`).
pub(super) fn set_text(ev: &mut Event, key: impl FieldName, v: &str) {
    if !v.is_empty() && v != "N/A" && v != "-" {
        ev.set(key, v);
    }
}

/// The `network.transport` name of an IANA protocol number.
pub(super) fn transport(proto: u8) -> Option<&'static str> {
    Some(match proto {
        1 => "icmp",
        2 => "igmp",
        6 => "tcp",
        17 => "udp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        132 => "sctp",
        _ => return None,
    })
}

/// Sets `network.iana_number` and `network.transport` from a protocol
/// number.
pub(super) fn set_proto_number(ev: &mut Event, v: &str) {
    if let Ok(n) = v.parse::<u8>() {
        ev.set(key!("network.iana_number"), i64::from(n));
        if let Some(t) = transport(n) {
            ev.set(key!("network.transport"), t);
        }
    }
}

/// Sets `key` to a MAC address in ECS form (`00-1A-2B-3C-4D-5E`) when `v`
/// is one (six hex pairs separated by `:` or `-`).
pub(super) fn set_mac(ev: &mut Event, key: impl FieldName, v: &str) {
    let b = v.as_bytes();
    if b.len() != 17 {
        return;
    }
    let ok = b.iter().enumerate().all(|(i, c)| {
        if i % 3 == 2 {
            *c == b':' || *c == b'-'
        } else {
            c.is_ascii_hexdigit()
        }
    });
    if ok {
        // ECS's form, `AA-BB-CC-DD-EE-FF`, built on the stack (it fits a
        // field's inline text: no allocation).
        let mut mac = [0u8; 17];
        for (m, c) in mac.iter_mut().zip(b) {
            *m = if *c == b':' {
                b'-'
            } else {
                c.to_ascii_uppercase()
            };
        }
        if let Ok(mac) = std::str::from_utf8(&mac) {
            ev.set(key, mac);
        }
    }
}

/// A zone as vendors write it: `+0700`, `+07:00`, `+07`, `-0530`, `Z`,
/// `UTC`, `GMT`.
pub(super) fn parse_offset(s: &str) -> Option<UtcOffset> {
    let s = s.trim();
    if matches!(s, "Z" | "z" | "UTC" | "GMT" | "utc" | "gmt") {
        return Some(UtcOffset::UTC);
    }
    let b = s.as_bytes();
    let sign: i8 = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let d = |i: usize| -> Option<i8> {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| (c - b'0') as i8)
    };
    let h = d(1)? * 10 + d(2)?;
    let (m, len) = match b.get(3) {
        None => (0, 3),
        Some(b':') => (d(4)? * 10 + d(5)?, 6),
        Some(_) => (d(3)? * 10 + d(4)?, 5),
    };
    if b.len() != len {
        return None;
    }
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

/// `n` ASCII digits at `b[at..]`.
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    b.get(at..at.checked_add(n)?)?
        .iter()
        .try_fold(0u32, |v, &c| {
            c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
        })
}

/// A vendor's separate local `date` and `time`, in `zone` when it is an
/// offset (`+0700`, `+07:00`, `+07`, `Z`/`UTC`), else in the configured
/// default zone (a zone name, or none).
pub(super) fn local_in_zone(date: &str, time: &str, zone: Option<&str>) -> Option<OffsetDateTime> {
    let local = local_datetime(date, time)?;
    let offset = zone
        .and_then(parse_offset)
        .unwrap_or_else(crate::default_offset);
    Some(local.assume_offset(offset))
}

/// `YYYY-MM-DD` and `HH:MM:SS` (exactly) as a local date and time.
pub(super) fn local_datetime(date: &str, time: &str) -> Option<PrimitiveDateTime> {
    let (d, t) = (date.as_bytes(), time.as_bytes());
    if d.len() != 10 || d.get(4) != Some(&b'-') || d.get(7) != Some(&b'-') {
        return None;
    }
    if t.len() != 8 || t.get(2) != Some(&b':') || t.get(5) != Some(&b':') {
        return None;
    }
    let month = Month::try_from(u8::try_from(digits(d, 5, 2)?).ok()?).ok()?;
    let date = Date::from_calendar_date(
        i32::try_from(digits(d, 0, 4)?).ok()?,
        month,
        u8::try_from(digits(d, 8, 2)?).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(
        u8::try_from(digits(t, 0, 2)?).ok()?,
        u8::try_from(digits(t, 3, 2)?).ok()?,
        u8::try_from(digits(t, 6, 2)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

/// An epoch time whose unit is told by its size: seconds, milliseconds,
/// microseconds or nanoseconds (FortiOS writes `eventtime` in any of them
/// depending on the version).
fn epoch(v: &str) -> Option<OffsetDateTime> {
    let n = v.parse::<u64>().ok()?;
    let nanos: i128 = if n >= 100_000_000_000_000_000 {
        i128::from(n)
    } else if n >= 100_000_000_000_000 {
        i128::from(n) * 1_000
    } else if n >= 100_000_000_000 {
        i128::from(n) * 1_000_000
    } else {
        i128::from(n) * 1_000_000_000
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// Sets `url.original`, and `url.domain`, `url.path`, `url.query` from a
/// URL that may be absolute (`https://host/path?q`) or only a path;
/// `host` (a separate field) wins for `url.domain`.
pub(super) fn set_url(ev: &mut Event, url: Option<&str>, host: Option<&str>) {
    let host = host.filter(|h| !h.is_empty());
    if let Some(h) = host {
        ev.set(key!("url.domain"), h);
    }
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        return;
    };
    ev.set(key!("url.original"), url);
    let rest = match url.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty() && scheme.bytes().all(|c| c.is_ascii_alphanumeric()) =>
        {
            ev.set(key!("url.scheme"), scheme.to_ascii_lowercase());
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, path) = rest.split_at(end);
            let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let domain = match hostport.strip_prefix('[') {
                Some(v6) => v6.split_once(']').map_or(v6, |(h, _)| h),
                None => hostport.split_once(':').map_or(hostport, |(h, _)| h),
            };
            if host.is_none() && !domain.is_empty() {
                ev.set(key!("url.domain"), domain);
            }
            path
        }
        _ => url,
    };
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if !path.is_empty() {
        ev.set(key!("url.path"), path);
    }
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        ev.set(key!("url.query"), q);
    }
}

/// Whether a firewall's action lets the traffic through (`Some(true)`),
/// stops it (`Some(false)`), or says neither.
pub(super) fn verdict(action: &str) -> Option<bool> {
    let a = action.to_ascii_lowercase();
    match a.as_str() {
        "accept" | "allow" | "allowed" | "pass" | "passthrough" | "permit" | "close"
        | "timeout" | "client-rst" | "server-rst" | "start" | "forward" | "detected" | "detect"
        | "monitored" | "monitor" | "allow session" | "established" => Some(true),
        "deny" | "denied" | "block" | "blocked" | "drop" | "dropped" | "reject" | "reset"
        | "deny session" | "would deny" | "ip-conn" | "clear_session" => Some(false),
        _ => None,
    }
}

/// Sets `event.type` (`allowed`/`denied`) and `event.outcome` from a
/// verdict.
pub(super) fn set_verdict(ev: &mut Event, allowed: Option<bool>) {
    match allowed {
        Some(true) => {
            ev.set(key!("event.type"), "allowed");
            ev.set(key!("event.outcome"), "success");
        }
        Some(false) => {
            ev.set(key!("event.type"), "denied");
            ev.set(key!("event.outcome"), "failure");
        }
        None => {}
    }
}

/// `event.outcome` of an authentication status word, if it says.
pub(super) fn auth_outcome(status: &str) -> Option<&'static str> {
    let s = status.to_ascii_lowercase();
    if s.contains("fail") || s == "denied" || s == "deny" || s == "blocked" {
        Some("failure")
    } else if s.contains("success") || s == "succeeded" || s == "allowed" {
        Some("success")
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// FortiGate.
// ---------------------------------------------------------------------------

/// How far into the record `logid=` is looked for.
const DETECT_WINDOW: usize = 512;

fn detect(text: &str) -> bool {
    let b = text.as_bytes();
    let head = b.get(..DETECT_WINDOW.min(b.len())).unwrap_or(b);
    let has = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
    if b.starts_with(b"logver=") {
        // FortiAnalyzer/FortiOS forms that lead with the log version.
        return has(b" logid=") || has(b" type=");
    }
    (b.starts_with(b"date=") || b.starts_with(b"eventtime=") || b.starts_with(b"devname="))
        && has(b" logid=")
}

/// The pairs whose meaning depends on others, kept until all are read.
#[derive(Default)]
struct Fg<'a> {
    kind: Option<Cow<'a, str>>,
    subtype: Option<Cow<'a, str>>,
    action: Option<Cow<'a, str>>,
    status: Option<Cow<'a, str>>,
    date: Option<Cow<'a, str>>,
    time: Option<Cow<'a, str>>,
    eventtime: Option<Cow<'a, str>>,
    tz: Option<Cow<'a, str>>,
    url: Option<Cow<'a, str>>,
    hostname: Option<Cow<'a, str>>,
    msg: Option<Cow<'a, str>>,
    reason: Option<Cow<'a, str>>,
    attack: Option<Cow<'a, str>>,
    attackid: Option<Cow<'a, str>>,
    policyid: Option<Cow<'a, str>>,
    policyname: Option<Cow<'a, str>>,
    logdesc: Option<Cow<'a, str>>,
    ui: Option<Cow<'a, str>>,
    remip: Option<Cow<'a, str>>,
    cfgpath: bool,
    srcip: bool,
    sent: Option<i64>,
    rcvd: Option<i64>,
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let mut raw = Raw::new(&FORTIGATE_KEYS);
    let mut f = Fg::default();
    let mut pairs = Pairs::new(text);
    for p in pairs.by_ref() {
        let v = p.value();
        raw.set(ev, p.key, &v);
        let s: &str = &v;
        match p.key {
            "srcip" => f.srcip = set_ip(ev, key!("source.ip"), s),
            "srcport" => set_port(ev, key!("source.port"), s),
            "dstip" => {
                set_ip(ev, key!("destination.ip"), s);
            }
            "dstport" => set_port(ev, key!("destination.port"), s),
            "srcintf" => set_text(ev, key!("observer.ingress.interface.name"), s),
            "dstintf" => set_text(ev, key!("observer.egress.interface.name"), s),
            "transip" => {
                set_ip(ev, key!("source.nat.ip"), s);
            }
            "transport" => set_port(ev, key!("source.nat.port"), s),
            "tranip" => {
                set_ip(ev, key!("destination.nat.ip"), s);
            }
            "tranport" => set_port(ev, key!("destination.nat.port"), s),
            "srcmac" => set_mac(ev, key!("source.mac"), s),
            "dstmac" => set_mac(ev, key!("destination.mac"), s),
            "srccountry" if s != "Reserved" => set_text(ev, key!("source.geo.country_name"), s),
            "dstcountry" if s != "Reserved" => {
                set_text(ev, key!("destination.geo.country_name"), s)
            }
            "proto" => set_proto_number(ev, s),
            "sentbyte" => {
                f.sent = count(s);
                set_count(ev, key!("source.bytes"), s);
            }
            "rcvdbyte" => {
                f.rcvd = count(s);
                set_count(ev, key!("destination.bytes"), s);
            }
            "sentpkt" => set_count(ev, key!("source.packets"), s),
            "rcvdpkt" => set_count(ev, key!("destination.packets"), s),
            "duration" => {
                if let Some(n) = count(s).and_then(|n| n.checked_mul(1_000_000_000)) {
                    ev.set(key!("event.duration"), n);
                }
            }
            "service" if !s.contains('/') && !s.is_empty() => {
                ev.set(key!("network.protocol"), s.to_ascii_lowercase());
            }
            "app" => set_text(ev, key!("network.application"), &s.to_ascii_lowercase()),
            "virus" => set_text(ev, key!("threat.software.name"), s),
            "remip" => f.remip = Some(v),
            "direction" => match s {
                "incoming" => ev.set(key!("network.direction"), "inbound"),
                "outgoing" => ev.set(key!("network.direction"), "outbound"),
                _ => {}
            },
            "user" | "dstuser" if !ev.fields.contains_key("user.name") => {
                set_text(ev, key!("user.name"), s)
            }
            "group" => set_text(ev, key!("group.name"), s),
            "filename" => set_text(ev, key!("file.name"), s),
            "level" => set_text(ev, key!("log.level"), s),
            "logid" => set_text(ev, key!("event.code"), s),
            "devname" => set_text(ev, key!("observer.name"), s),
            "devid" => set_text(ev, key!("observer.serial_number"), s),
            "sessionid" => set_text(ev, key!("network.session_id"), s),
            "type" => f.kind = Some(v),
            "subtype" => f.subtype = Some(v),
            "action" => f.action = Some(v),
            "status" => f.status = Some(v),
            "date" => f.date = Some(v),
            "time" => f.time = Some(v),
            "eventtime" => f.eventtime = Some(v),
            "tz" => f.tz = Some(v),
            "url" => f.url = Some(v),
            "hostname" => f.hostname = Some(v),
            "msg" => f.msg = Some(v),
            "reason" => f.reason = Some(v),
            "attack" => f.attack = Some(v),
            "attackid" => f.attackid = Some(v),
            "policyid" => f.policyid = Some(v),
            "policyname" => f.policyname = Some(v),
            "logdesc" => f.logdesc = Some(v),
            "ui" => f.ui = Some(v),
            "cfgpath" => f.cfgpath = true,
            _ => {}
        }
    }
    finish(ev, &f);
    pairs.error("fortigate")
}

fn finish(ev: &mut Event, f: &Fg<'_>) {
    ev.set(key!("observer.vendor"), "Fortinet");
    ev.set(key!("observer.product"), "FortiGate");
    ev.set(key!("observer.type"), "firewall");

    let kind = f.kind.as_deref().unwrap_or("");
    let subtype = f.subtype.as_deref().unwrap_or("");
    let action = f.action.as_deref().filter(|a| !a.is_empty());
    ev.set(
        "event.dataset",
        if kind.is_empty() {
            "fortinet.firewall".to_string()
        } else {
            format!("fortinet.firewall.{kind}")
        },
    );
    if let Some(a) = action {
        ev.set(key!("event.action"), a);
    }
    let login = action.is_some_and(|a| {
        let a = a.to_ascii_lowercase();
        a.contains("login") || a.contains("logout") || a.contains("auth")
    }) || f.logdesc.as_deref().is_some_and(|d| {
        let d = d.to_ascii_lowercase();
        d.contains("login") || d.contains("authentication")
    });

    let (category, event_kind, firewall) = match kind {
        "traffic" => ("network", "event", true),
        "utm" => match subtype {
            "virus" => ("malware", "alert", true),
            "ips" | "anomaly" => ("intrusion_detection", "alert", true),
            "webfilter" | "waf" => ("web", "event", true),
            _ => ("network", "event", true),
        },
        "event" if login || subtype == "user" => ("authentication", "event", false),
        "event" if f.cfgpath => ("configuration", "event", false),
        "event" if subtype == "vpn" => ("network", "event", false),
        "event" => ("host", "event", false),
        _ => ("network", "event", false),
    };
    ev.set(key!("event.category"), category);
    ev.set(key!("event.kind"), event_kind);
    ev.logsource = LogSource::new(Some("fortigate"), firewall.then_some("firewall"), &[]);

    match kind {
        "traffic" | "utm" => set_verdict(ev, action.and_then(verdict)),
        _ => {
            let outcome = f
                .status
                .as_deref()
                .and_then(auth_outcome)
                .or_else(|| action.and_then(auth_outcome));
            if let Some(o) = outcome {
                ev.set(key!("event.outcome"), o);
            }
        }
    }

    if subtype == "ips" && (f.attack.is_some() || f.attackid.is_some()) {
        if let Some(id) = f.attackid.as_deref() {
            set_text(ev, key!("rule.id"), id);
        }
        if let Some(name) = f.attack.as_deref() {
            set_text(ev, key!("rule.name"), name);
        }
    } else {
        if let Some(id) = f.policyid.as_deref() {
            set_text(ev, key!("rule.id"), id);
        }
        if let Some(name) = f.policyname.as_deref() {
            set_text(ev, key!("rule.name"), name);
        }
    }
    if let Some(d) = f.logdesc.as_deref() {
        set_text(ev, key!("rule.description"), d);
    }
    if let Some(r) = f.msg.as_deref().or(f.reason.as_deref()) {
        set_text(ev, key!("event.reason"), r);
    }
    set_url(ev, f.url.as_deref(), f.hostname.as_deref());
    if let (Some(s), Some(r)) = (f.sent, f.rcvd) {
        if let Some(total) = s.checked_add(r) {
            ev.set(key!("network.bytes"), total);
        }
    }
    // A VPN peer (`remip`) is the source when there is no `srcip`.
    if let Some(ip) = f.remip.as_deref().filter(|_| !f.srcip) {
        set_ip(ev, key!("source.ip"), ip);
    }
    // `ui="ssh(203.0.113.9)"`, `ui="GUI(10.0.0.5)"`: where an administrator
    // came from, when the record has no srcip.
    if let Some(ui) = f.ui.as_deref() {
        let inner = ui
            .split_once('(')
            .and_then(|(_, r)| r.strip_suffix(')'))
            .filter(|_| !f.srcip);
        if let Some(ip) = inner {
            set_ip(ev, key!("source.ip"), ip);
        }
    }

    // `eventtime` is an absolute epoch time; `date`/`time` are local to
    // `tz`, or to the deployment's zone (+07:00) when there is no `tz`.
    let at = f
        .eventtime
        .as_deref()
        .and_then(epoch)
        .or_else(|| local_in_zone(f.date.as_deref()?, f.time.as_deref()?, f.tz.as_deref()));
    if let Some(t) = at {
        ev.timestamp = t.to_offset(UtcOffset::UTC);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;
    use vedette_model::{FieldValue, Origin};

    fn event() -> Event {
        Event::raw(
            1,
            datetime!(2026-11-25 03:00:00 UTC),
            Origin::new("test", None),
            b"",
        )
    }

    fn pairs(s: &str) -> Vec<(String, String)> {
        Pairs::new(s)
            .map(|p| (p.key.to_string(), p.value().into_owned()))
            .collect()
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tokenizer_basics() {
        assert_eq!(
            pairs(r#"a=1 b="two words" c= d="x\"y\\z" e=f=g"#),
            kv(&[
                ("a", "1"),
                ("b", "two words"),
                ("c", ""),
                ("d", r#"x"y\z"#),
                ("e", "f=g")
            ])
        );
        // Junk between pairs is skipped.
        assert_eq!(
            pairs(r#"  junk a=1 "stray quote" =x b="q"glued c=3 ="#),
            kv(&[("a", "1"), ("b", "q"), ("c", "3")])
        );
        // Other backslashes are kept; bare values have no escapes.
        assert_eq!(pairs(r#"p="C:\dir\x""#), kv(&[("p", r#"C:\dir\x"#)]));
        assert_eq!(pairs(r#"q=a\"b"#), kv(&[("q", r#"a\"b"#)]));
        assert!(pairs("").is_empty());
        assert!(pairs("   \t ").is_empty());
        assert_eq!(pairs("k=\u{e9}t\u{e9}"), kv(&[("k", "\u{e9}t\u{e9}")]));
    }

    #[test]
    fn unterminated_quote_keeps_the_rest_and_errors() {
        let mut it = Pairs::new(r#"a=1 b="open end"#);
        let got: Vec<_> = it.by_ref().map(|p| p.value().into_owned()).collect();
        assert_eq!(got, ["1", "open end"]);
        assert_eq!(
            it.error("fortigate"),
            Err(ParseError::expected("fortigate", "'\"' closing a value", 6))
        );
        // A trailing backslash cannot escape past the end.
        let mut it = Pairs::new(r#"a="x\"#);
        assert_eq!(
            it.next().map(|p| p.value().into_owned()),
            Some("x\\".into())
        );
        assert!(it.error("x").is_err());
    }

    #[test]
    fn limits() {
        let many: String = (0..10_000).map(|i| format!("k{i}=v{i} ")).collect();
        assert_eq!(Pairs::new(&many).count(), MAX_PAIRS);
        let long = format!("k={} j=1", "\u{e9}".repeat(MAX_VALUE));
        let p: Vec<_> = Pairs::new(&long).collect();
        assert_eq!(p.len(), 2);
        assert!(p[0].raw.len() <= MAX_VALUE && p[0].raw.len() > MAX_VALUE - 4);
        let mut ev = event();
        let start = std::time::Instant::now();
        let r = parse(&format!("date=2026-11-25 logid=1 {many}"), &mut ev);
        assert_eq!(r, Ok(()));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        assert!(ev.fields.len() < MAX_PAIRS + 40);
    }

    #[test]
    fn offsets_and_times() {
        assert_eq!(parse_offset("+0700"), Some(time::macros::offset!(+7)));
        assert_eq!(parse_offset("+07:00"), Some(time::macros::offset!(+7)));
        assert_eq!(parse_offset("+07"), Some(time::macros::offset!(+7)));
        assert_eq!(parse_offset("-0530"), Some(time::macros::offset!(-5:30)));
        assert_eq!(parse_offset("UTC"), Some(UtcOffset::UTC));
        assert_eq!(parse_offset("IST"), None);
        assert_eq!(parse_offset("+7"), None);
        assert_eq!(parse_offset("+99"), None);
        assert_eq!(
            epoch("1795575600"),
            Some(datetime!(2026-11-25 03:00:00 UTC))
        );
        assert_eq!(
            epoch("1795575600123"),
            Some(datetime!(2026-11-25 03:00:00.123 UTC))
        );
        assert_eq!(
            epoch("1795575600123456"),
            Some(datetime!(2026-11-25 03:00:00.123456 UTC))
        );
        assert_eq!(
            epoch("1795575600123456789"),
            Some(datetime!(2026-11-25 03:00:00.123456789 UTC))
        );
        assert_eq!(epoch("-1"), None);
        assert_eq!(
            local_datetime("2026-11-25", "10:00:00"),
            Some(datetime!(2026-11-25 10:00:00))
        );
        assert_eq!(local_datetime("2026-02-30", "10:00:00"), None);
        assert_eq!(local_datetime("2026-11-25", "25:00:00"), None);
    }

    #[test]
    fn detects_only_fortigate() {
        assert!(detect(
            r#"date=2026-11-25 time=10:00:00 devname="FGT" devid="FG1" logid="0000000013" type="traffic""#
        ));
        assert!(detect(r#"logver=700 date=2026-11-25 logid="0000000013""#));
        assert!(!detect("date=2026-11-25 time=10:00:00 something else"));
        assert!(!detect(
            r#"device="SFW" date=2026-11-25 log_id=010101600001"#
        ));
        assert!(!detect("id=firewall sn=1 m=98 c=1"));
        assert!(!detect(""));
    }

    #[test]
    fn traffic_deny() {
        let mut ev = event();
        let r = parse(
            r#"date=2026-11-25 time=10:00:00 devname="FGT-HQ" devid="FG100F" tz="+0700" logid="0000000013" type="traffic" subtype="forward" level="notice" srcip=10.0.0.5 srcport=51234 srcintf="port1" dstip=bad-ip dstport=99999 proto=17 action="deny" policyid=7 policyname="block dns""#,
            &mut ev,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.5"));
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(51234)));
        assert_eq!(ev.get("destination.ip"), None);
        assert_eq!(ev.get("destination.port"), None);
        assert_eq!(ev.get_str("fortinet.firewall.dstip"), Some("bad-ip"));
        assert_eq!(ev.get_str("network.transport"), Some("udp"));
        assert_eq!(ev.get("network.iana_number"), Some(&FieldValue::Int(17)));
        assert_eq!(ev.get_str("event.type"), Some("denied"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        assert_eq!(ev.get_str("rule.id"), Some("7"));
        assert_eq!(ev.get_str("rule.name"), Some("block dns"));
        assert_eq!(
            ev.get_str("event.dataset"),
            Some("fortinet.firewall.traffic")
        );
        assert!(ev
            .logsource
            .admits(Some("fortigate"), Some("firewall"), None));
    }

    #[test]
    fn broken_record_keeps_fields() {
        let mut ev = event();
        let r = parse(
            r#"date=2026-11-25 time=10:00:00 logid="0100032002" type="event" subtype="system" srcip=10.0.0.9 msg="never closed"#,
            &mut ev,
        );
        assert!(r.is_err());
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.9"));
        assert_eq!(ev.get_str("event.reason"), Some("never closed"));
        // No tz: the deployment's +07:00.
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
    }

    fn arb_value() -> impl Strategy<Value = String> {
        "[ a-zA-Z0-9=\"\\\\\t\u{e9}/:.-]{0,24}"
    }

    proptest! {
        #[test]
        fn pairs_round_trip(
            items in prop::collection::vec(
                ("[a-zA-Z_][a-zA-Z0-9_.-]{0,12}", arb_value(), any::<bool>()),
                0..20,
            ),
            seps in prop::collection::vec("[ \t]{1,3}", 20),
        ) {
            let mut line = String::new();
            for (i, (k, v, force_quote)) in items.iter().enumerate() {
                if i > 0 {
                    line.push_str(&seps[i % seps.len()]);
                }
                line.push_str(k);
                line.push('=');
                let bare_ok = !v.is_empty()
                    && !v.starts_with('"')
                    && !v.contains([' ', '\t']);
                if *force_quote || !bare_ok {
                    line.push('"');
                    for c in v.chars() {
                        if c == '"' || c == '\\' {
                            line.push('\\');
                        }
                        line.push(c);
                    }
                    line.push('"');
                } else {
                    line.push_str(v);
                }
            }
            let want: Vec<(String, String)> =
                items.iter().map(|(k, v, _)| (k.clone(), v.clone())).collect();
            let mut it = Pairs::new(&line);
            let got: Vec<(String, String)> = it
                .by_ref()
                .map(|p| (p.key.to_string(), p.value().into_owned()))
                .collect();
            prop_assert_eq!(got, want);
            // No pairs at all is an error (a forced format on other text).
            prop_assert_eq!(it.error("t").is_ok(), !items.is_empty());
        }

        #[test]
        fn never_panics(s in "\\PC{0,200}", t in "[a-z= \"\\\\]{0,80}") {
            for text in [s.as_str(), t.as_str(), &format!("date=x logid=1 {t}")] {
                let mut ev = event();
                let _ = parse(text, &mut ev);
                let _ = detect(text);
                for p in Pairs::new(text) {
                    let _ = p.value();
                }
            }
        }
    }
}
