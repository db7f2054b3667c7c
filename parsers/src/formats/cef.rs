//! ArcSight Common Event Format:
//! `CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension`.
//!
//! The header fields are split on unescaped `|` (`\|` and `\\` are the
//! header's escapes); the extension is `key=value` pairs separated by
//! spaces, where a value runs until the next ` key=` and may hold `\=`,
//! `\\`, `\n` and `\r`. Every raw extension is kept under
//! `cef.extensions.<key>`, custom fields also under `cef.custom.<label>`
//! (from `cs1Label=Foo cs1=bar`, `cn1Label`, `flexString1Label`, ...), and
//! the standard keys are mapped to ECS fields.
//!
//! The helpers shared with LEEF (addresses, ports, protocols, categories,
//! times) live here too.

use std::borrow::Cow;

use memchr::memchr2;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use vedette_model::fields::FieldName;
use vedette_model::{Event, FieldValue, LogSource};

use crate::timestamp::{nearest_year, parse_bsd, parse_iso};
use crate::ParseError;

const P: &str = "cef";

/// At most this many `key=value` pairs are taken from one record.
pub(super) const MAX_PAIRS: usize = 1000;
/// A longer value is cut to this many bytes (at a character boundary).
pub(super) const MAX_VALUE: usize = 64 * 1024;
/// A longer "key" is not a key (it is part of a value).
const MAX_KEY: usize = 255;

pub(crate) const FORMAT: super::Format = super::Format {
    name: "cef",
    fields: 40,
    first: |b| matches!(b, b' ' | b'C'),
    open: |_| false,
    needs: b"",
    gate: None,
    detect,
    parse,
    claim: None,
};

fn detect(text: &str) -> bool {
    text.trim_start_matches(' ').starts_with("CEF:")
}

/// Header fields: the `cef.*` name and what the error names when the
/// field is not closed by `|`.
const HEADER: [(&str, &str); 7] = [
    ("cef.version", "'|' after the CEF version"),
    ("cef.device_vendor", "'|' after Device Vendor"),
    ("cef.device_product", "'|' after Device Product"),
    ("cef.device_version", "'|' after Device Version"),
    (
        "cef.device_event_class_id",
        "'|' after Device Event Class ID",
    ),
    ("cef.name", "'|' after Name"),
    ("cef.severity", "'|' after Severity"),
];

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let b = text.as_bytes();
    let lead = b.iter().take_while(|&&c| c == b' ').count();
    let mut at = lead + 4;
    if text.get(lead..at) != Some("CEF:") {
        return Err(ParseError::expected(P, "\"CEF:\"", lead));
    }
    // `CEF: 0|`, as Fortinet's log reference writes it.
    at += b
        .get(at..)
        .map_or(0, |r| r.iter().take_while(|&&c| c == b' ').count());
    ev.set(key!("event.kind"), "event");
    for (i, (key, what)) in HEADER.iter().enumerate() {
        let end = match field_end(b, at) {
            Some(e) => e,
            // A severity that ends the record, without the closing '|'.
            None if i == 6 && at <= b.len() => b.len(),
            None => return Err(ParseError::expected(P, what, b.len())),
        };
        let raw = text.get(at..end).unwrap_or("");
        if i == 0 && (raw.is_empty() || !raw.bytes().all(|c| c.is_ascii_digit())) {
            return Err(ParseError::expected(P, "a numeric CEF version", at));
        }
        let value = unescape(raw, header_escape);
        header(ev, i, key, &value);
        at = end + 1;
    }
    let ext = text.get(at..).unwrap_or("");
    let r = extension(ext, at, ev);
    if ev.get_str("cef.device_vendor") == Some("KasperskyLab")
        && ev.get_str("cef.device_product") == Some("SecurityCenter")
    {
        super::kaspersky::cef(ev);
    }
    r
}

/// Sets header field `i`.
fn header(ev: &mut Event, i: usize, key: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    ev.set(key, value);
    match i {
        1 => ev.set(key!("observer.vendor"), value),
        2 => {
            ev.set(key!("observer.product"), value);
            ev.logsource = LogSource {
                product: Some(product_name(value).into()),
                ..LogSource::default()
            };
        }
        3 => ev.set(key!("observer.version"), value),
        4 => ev.set(key!("event.code"), value),
        5 => {
            ev.set(key!("event.reason"), value);
            ev.set(key!("rule.name"), value);
        }
        6 => {
            if let Some(s) = severity(value) {
                ev.set(key!("event.severity"), s);
            }
        }
        _ => {}
    }
}

/// The Sigma product for a device product: lowercased, spaces as `_`.
pub(super) fn product_name(product: &str) -> String {
    product
        .trim()
        .chars()
        .map(|c| {
            if c.is_whitespace() {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// A CEF severity: 0 to 10, or Low, Medium, High, Very-High.
fn severity(s: &str) -> Option<i64> {
    if let Ok(n) = s.trim().parse::<i64>() {
        return (0..=10).contains(&n).then_some(n);
    }
    let t = s.trim();
    [
        ("low", 3),
        ("medium", 6),
        ("high", 8),
        ("very-high", 10),
        ("very high", 10),
        ("veryhigh", 10),
    ]
    .iter()
    .find(|(name, _)| t.eq_ignore_ascii_case(name))
    .map(|&(_, n)| n)
}

/// Where the header field starting at `from` ends: the first `|` not
/// escaped by a backslash.
fn field_end(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let p = i + memchr2(b'|', b'\\', b.get(i..)?)?;
        if b.get(p) == Some(&b'|') {
            return Some(p);
        }
        i = p + 2;
    }
}

fn header_escape(c: char) -> Option<char> {
    matches!(c, '|' | '\\').then_some(c)
}

fn value_escape(c: char) -> Option<char> {
    match c {
        '=' | '\\' => Some(c),
        'n' => Some('\n'),
        'r' => Some('\r'),
        _ => None,
    }
}

/// `s` with backslash escapes replaced per `esc` (an unknown escape is
/// kept as written). Borrows when there is none.
fn unescape(s: &str, esc: fn(char) -> Option<char>) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(n) => match esc(n) {
                Some(r) => out.push(r),
                None => {
                    out.push('\\');
                    out.push(n);
                }
            },
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// `s` cut to at most [`MAX_VALUE`] bytes at a character boundary.
pub(super) fn cap(s: &str) -> &str {
    if s.len() <= MAX_VALUE {
        return s;
    }
    let mut end = MAX_VALUE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'[' | b']')
}

/// The `key=value` pairs of an extension, raw (escapes still in), at most
/// [`MAX_PAIRS`]; and where text that belongs to no key starts, if any.
fn pairs(ext: &str) -> (Vec<(&str, &str)>, Option<usize>) {
    let b = ext.as_bytes();
    let mut out = Vec::new();
    let mut junk = None;
    // The current key and where its value starts.
    let mut cur: Option<(&str, usize)> = None;
    let mut i = 0;
    while let Some(off) = b.get(i..).and_then(|r| memchr2(b'=', b'\\', r)) {
        let p = i + off;
        if b.get(p) == Some(&b'\\') {
            i = p + 2;
            continue;
        }
        i = p + 1;
        let mut k = p;
        while k > 0 && b.get(k - 1).copied().is_some_and(is_key_byte) && p - k <= MAX_KEY {
            k -= 1;
        }
        let boundary = k == 0 || b.get(k - 1) == Some(&b' ');
        if k == p || p - k > MAX_KEY || !boundary {
            continue;
        }
        let Some(key) = ext.get(k..p) else { continue };
        match cur {
            Some((ck, vs)) => {
                out.push((ck, ext.get(vs..k).unwrap_or("").trim_matches(' ')));
                if out.len() == MAX_PAIRS {
                    return (out, junk);
                }
            }
            None => {
                if !ext.get(..k).unwrap_or("").trim_matches(' ').is_empty() {
                    junk = Some(0);
                }
            }
        }
        cur = Some((key, p + 1));
    }
    match cur {
        Some((ck, vs)) => out.push((ck, ext.get(vs..).unwrap_or("").trim_matches(' '))),
        None => {
            if !ext.trim_matches(' ').is_empty() {
                junk = Some(0);
            }
        }
    }
    (out, junk)
}

/// Parses the extension (which starts at byte `base` of the text).
fn extension(ext: &str, base: usize, ev: &mut Event) -> Result<(), ParseError> {
    let (pairs, junk) = pairs(ext);
    let mut labels = Vec::new();
    let mut key_buf = String::new();
    for (key, raw) in pairs {
        let value = unescape(cap(raw), value_escape);
        key_buf.clear();
        key_buf.push_str("cef.extensions.");
        key_buf.push_str(key);
        ev.set(&key_buf, value.as_ref());
        if let Some(base) = key.strip_suffix("Label") {
            labels.push((base, value));
            continue;
        }
        standard(ev, key, &value);
    }
    for (base, label) in labels {
        key_buf.clear();
        key_buf.push_str("cef.extensions.");
        key_buf.push_str(base);
        let Some(value) = ev.get_str(&key_buf).map(str::to_string) else {
            continue;
        };
        custom(ev, base, &label, value);
    }
    match junk {
        Some(off) => Err(ParseError::expected(P, "extension key=value", base + off)),
        None => Ok(()),
    }
}

/// `cef.custom.<label>` for custom field `base` (`cs1`, `cn2`, ...)
/// labelled `label`, typed for the numeric ones.
fn custom(ev: &mut Event, base: &str, label: &str, value: String) {
    let label = label.trim();
    if label.is_empty() {
        return;
    }
    let name: String = label
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    let key = format!("cef.custom.{name}");
    rule_label(ev, label, &value);
    let numeric = base.starts_with("cn") || base.starts_with("flexNumber");
    let float = base.starts_with("cfp");
    match (numeric, float) {
        (true, _) if value.trim().parse::<i64>().is_ok() => {
            ev.set(&key, value.trim().parse::<i64>().unwrap_or_default());
        }
        (_, true) if value.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
            let f = value.trim().parse::<f64>().unwrap_or_default();
            ev.fields.insert(key, FieldValue::Float(f));
        }
        _ => ev.set(&key, value),
    }
}

/// `rule.name` / `rule.id` from a custom field labelled as a rule.
pub(super) fn rule_label(ev: &mut Event, label: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let norm: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match norm.as_str() {
        "rule" | "rulename" | "policy" | "policyname" | "firewallrule" => {
            ev.set(key!("rule.name"), value)
        }
        "ruleid" | "policyid" | "signatureid" | "sigid" => ev.set(key!("rule.id"), value),
        _ => {}
    }
}

/// Maps a standard extension (short or full name) to ECS.
fn standard(ev: &mut Event, key: &str, v: &str) {
    if v.is_empty() {
        return;
    }
    match key {
        "src" | "sourceAddress" => set_ip(ev, key!("source.ip"), v),
        "dst" | "destinationAddress" => set_ip(ev, key!("destination.ip"), v),
        "c6a2" | "sourceIPv6Address" if ev.get("source.ip").is_none() => {
            set_ip(ev, key!("source.ip"), v);
        }
        "c6a3" | "destinationIPv6Address" if ev.get("destination.ip").is_none() => {
            set_ip(ev, key!("destination.ip"), v);
        }
        "spt" | "sourcePort" => set_port(ev, key!("source.port"), v),
        "dpt" | "destinationPort" => set_port(ev, key!("destination.port"), v),
        "sourceTranslatedAddress" => set_ip(ev, key!("source.nat.ip"), v),
        "destinationTranslatedAddress" => set_ip(ev, key!("destination.nat.ip"), v),
        "sourceTranslatedPort" => set_port(ev, key!("source.nat.port"), v),
        "destinationTranslatedPort" => set_port(ev, key!("destination.nat.port"), v),
        "proto" | "transportProtocol" => set_transport(ev, v),
        "act" | "deviceAction" => ev.set(key!("event.action"), v),
        "suser" | "sourceUserName" => ev.set(key!("source.user.name"), v),
        "duser" | "destinationUserName" => ev.set(key!("destination.user.name"), v),
        "shost" | "sourceHostName" => ev.set(key!("source.domain"), v),
        "dhost" | "destinationHostName" => ev.set(key!("destination.domain"), v),
        "request" | "requestUrl" => ev.set(key!("url.original"), v),
        "requestMethod" => ev.set(key!("http.request.method"), v),
        "requestClientApplication" => ev.set(key!("user_agent.original"), v),
        "app" | "applicationProtocol" => ev.set(key!("network.protocol"), v.to_ascii_lowercase()),
        "cat" | "deviceEventCategory" => set_category(ev, v),
        "msg" | "message" => ev.set(key!("message"), v),
        "outcome" | "eventOutcome" | "categoryOutcome" => set_outcome(ev, v),
        "rt" | "receiptTime" => {
            if let Some(t) = stamp(v, ev.received) {
                ev.timestamp = t;
            }
        }
        "start" | "startTime" => set_time(ev, "event.start", v),
        "end" | "endTime" => set_time(ev, "event.end", v),
        "in" | "bytesIn" => set_int(ev, "source.bytes", v),
        "out" | "bytesOut" => set_int(ev, "destination.bytes", v),
        "smac" | "sourceMacAddress" => set_mac(ev, key!("source.mac"), v),
        "dmac" | "destinationMacAddress" => set_mac(ev, key!("destination.mac"), v),
        "deviceDirection" => match v.trim() {
            "0" => ev.set(key!("network.direction"), "inbound"),
            "1" => ev.set(key!("network.direction"), "outbound"),
            _ => {}
        },
        "fname" | "fileName" => ev.set(key!("file.name"), v),
        "filePath" => ev.set(key!("file.path"), v),
        "fsize" | "fileSize" => set_int(ev, "file.size", v),
        "fileHash" => set_hash(ev, v),
        "deviceExternalId" => ev.set(key!("observer.name"), v),
        "dvc" | "deviceAddress" => set_ip(ev, key!("observer.ip"), v),
        "dvchost" | "deviceHostName" => ev.set(key!("observer.hostname"), v),
        "deviceInboundInterface" => ev.set(key!("observer.ingress.interface.name"), v),
        "deviceOutboundInterface" => ev.set(key!("observer.egress.interface.name"), v),
        "sproc" | "sourceProcessName" => ev.set(key!("process.name"), v),
        "spid" | "sourceProcessId" => set_int(ev, "process.pid", v),
        _ => {}
    }
}

/// Sets `key` to `v` when `v` is an IP address.
pub(super) fn set_ip(ev: &mut Event, key: impl FieldName, v: &str) {
    let v = v.trim();
    if super::is_ip(v) {
        ev.set(key, v);
    }
}

/// Sets `key` to `v` as a port number.
pub(super) fn set_port(ev: &mut Event, key: impl FieldName, v: &str) {
    if let Ok(p) = v.trim().parse::<u16>() {
        ev.set(key, i64::from(p));
    }
}

/// Sets `key` to `v` as a whole number.
pub(super) fn set_int(ev: &mut Event, key: impl FieldName, v: &str) {
    if let Ok(n) = v.trim().parse::<i64>() {
        ev.set(key, n);
    }
}

/// `network.transport` (lowercase), from a name or an IANA number.
pub(super) fn set_transport(ev: &mut Event, v: &str) {
    let v = v.trim();
    let name = match v {
        "1" => Cow::Borrowed("icmp"),
        "6" => Cow::Borrowed("tcp"),
        "17" => Cow::Borrowed("udp"),
        "47" => Cow::Borrowed("gre"),
        "50" => Cow::Borrowed("esp"),
        "58" => Cow::Borrowed("ipv6-icmp"),
        "132" => Cow::Borrowed("sctp"),
        _ if v.bytes().all(|c| c.is_ascii_digit()) => {
            ev.set(key!("network.iana_number"), v);
            return;
        }
        _ => Cow::Owned(v.to_ascii_lowercase()),
    };
    ev.set(key!("network.transport"), name.as_ref());
}

/// `source.mac` / `destination.mac` in the ECS form `AA-BB-CC-DD-EE-FF`
/// (CEF and LEEF values may carry spaces around them).
pub(super) fn set_mac(ev: &mut Event, key: impl FieldName, v: &str) {
    super::fortigate::set_mac(ev, key, v.trim());
}

fn set_hash(ev: &mut Event, v: &str) {
    let v = v.trim();
    if !v.bytes().all(|c| c.is_ascii_hexdigit()) {
        return;
    }
    let algo = match v.len() {
        32 => "file.hash.md5",
        40 => "file.hash.sha1",
        64 => "file.hash.sha256",
        128 => "file.hash.sha512",
        _ => return,
    };
    ev.set(algo, v.to_ascii_lowercase());
}

/// `event.outcome` from a vendor's outcome word.
pub(super) fn set_outcome(ev: &mut Event, v: &str) {
    let w = v.trim().trim_start_matches('/');
    let any = |words: &[&str]| words.iter().any(|x| w.eq_ignore_ascii_case(x));
    if any(&["success", "successful", "succeeded", "ok", "true"]) {
        ev.set(key!("event.outcome"), "success");
    } else if any(&["failure", "failed", "fail", "false", "error", "denied"]) {
        ev.set(key!("event.outcome"), "failure");
    } else if any(&["unknown", "attempt"]) {
        ev.set(key!("event.outcome"), "unknown");
    }
}

/// `event.category` and the Sigma category from a vendor category, when
/// one of its words says it.
pub(super) fn set_category(ev: &mut Event, v: &str) {
    let words = v
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(32);
    for w in words {
        let w = w.to_ascii_lowercase();
        let (ecs, sigma) = match w.as_str() {
            "firewall" | "traffic" => ("network", Some("firewall")),
            "dns" => ("network", Some("dns")),
            "proxy" => ("web", Some("proxy")),
            "virus" | "antivirus" | "malware" => ("malware", Some("antivirus")),
            "intrusion" | "ids" | "ips" | "attack" | "exploit" | "threat" => {
                ("intrusion_detection", None)
            }
            "authentication" | "auth" | "login" | "logon" | "logoff" | "logout" => {
                ("authentication", None)
            }
            "web" | "http" | "url" => ("web", None),
            "file" => ("file", None),
            "process" => ("process", None),
            "network" | "connection" | "session" => ("network", None),
            _ => continue,
        };
        ev.set(key!("event.category"), ecs);
        if sigma.is_some() {
            ev.logsource.category = sigma.map(Into::into);
        }
        return;
    }
}

/// Sets `key` to the time `v` (RFC 3339, UTC) when it has a zone.
fn set_time(ev: &mut Event, key: &str, v: &str) {
    if let Some(t) = stamp(v, ev.received) {
        ev.set(key, vedette_model::fmt_time(t));
    }
}

/// A time as CEF and LEEF write it: epoch milliseconds (or seconds),
/// `MMM dd[ yyyy] HH:mm:ss[.SSS][ zone]` or RFC 3339. `None` when it does
/// not parse or carries no zone.
pub(super) fn stamp(v: &str, received: OffsetDateTime) -> Option<OffsetDateTime> {
    let v = v.trim();
    if !v.is_empty() && v.len() <= 19 && v.bytes().all(|c| c.is_ascii_digit()) {
        let n: i128 = v.parse().ok()?;
        let nanos = if n >= 100_000_000_000 {
            n * 1_000_000
        } else {
            n * 1_000_000_000
        };
        return OffsetDateTime::from_unix_timestamp_nanos(nanos).ok();
    }
    if let Some(iso) = parse_iso(v) {
        let offset = match v.get(iso.len..).unwrap_or("").trim() {
            "" => iso.offset?,
            z if iso.offset.is_none() => zone(z)?,
            _ => return None,
        };
        return Some(iso.datetime.assume_offset(offset).to_offset(UtcOffset::UTC));
    }
    let bsd = parse_bsd(v)?;
    let offset = zone(v.get(bsd.len..)?.trim())?;
    bsd.resolve(received, offset)
        .map(|t| t.to_offset(UtcOffset::UTC))
}

/// A zone: a name (`UTC`, `GMT`, `PST`, ...), an offset (`+07:00`,
/// `+0700`, `-5`) or both (`GMT+07:00`).
pub(super) fn zone(z: &str) -> Option<UtcOffset> {
    const NAMES: &[(&str, i8)] = &[
        ("UTC", 0),
        ("GMT", 0),
        ("UT", 0),
        ("Z", 0),
        ("WET", 0),
        ("WEST", 1),
        ("CET", 1),
        ("CEST", 2),
        ("EET", 2),
        ("EEST", 3),
        ("EST", -5),
        ("EDT", -4),
        ("CST", -6),
        ("CDT", -5),
        ("MST", -7),
        ("MDT", -6),
        ("PST", -8),
        ("PDT", -7),
        ("ICT", 7),
        ("SGT", 8),
        ("HKT", 8),
        ("JST", 9),
        ("KST", 9),
        ("AEST", 10),
        ("AEDT", 11),
    ];
    let alpha = z.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (name, num) = z.split_at_checked(alpha)?;
    let base = if name.is_empty() {
        0
    } else {
        NAMES
            .iter()
            .find(|(n, _)| name.eq_ignore_ascii_case(n))
            .map(|&(_, h)| h)?
    };
    if num.is_empty() {
        return if name.is_empty() {
            None
        } else {
            UtcOffset::from_hms(base, 0, 0).ok()
        };
    }
    let neg = match num.as_bytes().first() {
        Some(b'+') => false,
        Some(b'-') => true,
        _ => return None,
    };
    let digits = num.get(1..)?;
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => digits.split_at_checked(2)?,
        None => (digits, "0"),
    };
    if h.is_empty() || h.len() > 2 || m.is_empty() || m.len() > 2 {
        return None;
    }
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    let (h, m) = if neg { (-h, -m) } else { (h, m) };
    UtcOffset::from_hms(base.checked_add(h)?, m, 0).ok()
}

/// Parses `s` with a Java `SimpleDateFormat` pattern (`yyyy`, `yy`, `MM`,
/// `MMM`, `dd`, `HH`, `hh` with `a`, `mm`, `ss`, `SSS`, `E`, `z`, `Z`,
/// `X`, quoted literals). `None` when it does not match, carries no zone,
/// or uses a letter this does not know.
pub(super) fn simple_date(fmt: &str, s: &str, received: OffsetDateTime) -> Option<OffsetDateTime> {
    let s = s.trim();
    let sb = s.as_bytes();
    let fb = fmt.as_bytes();
    let (mut i, mut f) = (0usize, 0usize);
    let (mut year, mut month, mut day) = (None, None, None);
    let (mut hour, mut minute, mut second, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    let mut pm = None;
    let mut offset = None;
    // `n` digits at `i` (exactly `n`, or 1 to `max` when `n` is 0).
    let num = |i: &mut usize, n: usize, max: usize| -> Option<u32> {
        let avail = sb
            .get(*i..)?
            .iter()
            .take(if n == 0 { max } else { n })
            .take_while(|c| c.is_ascii_digit())
            .count();
        if avail == 0 || (n != 0 && avail != n) {
            return None;
        }
        let v = s.get(*i..*i + avail)?.parse().ok()?;
        *i += avail;
        Some(v)
    };
    while let Some(&c) = fb.get(f) {
        if c == b'\'' {
            let close = fb.get(f + 1..)?.iter().position(|&x| x == b'\'')?;
            let lit = fb.get(f + 1..f + 1 + close)?;
            if lit.is_empty() {
                (sb.get(i) == Some(&b'\'')).then_some(())?;
                i += 1;
            } else {
                (sb.get(i..i + lit.len())? == lit).then_some(())?;
                i += lit.len();
            }
            f += close + 2;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            (sb.get(i) == Some(&c)).then_some(())?;
            i += 1;
            f += 1;
            continue;
        }
        let run = fb.get(f..)?.iter().take_while(|&&x| x == c).count();
        f += run;
        let fixed = if run >= 2 { run } else { 0 };
        match c {
            b'y' => {
                let y = num(&mut i, if run == 2 || run == 4 { run } else { 0 }, 4)?;
                year = Some(if run == 2 { 2000 + y } else { y });
            }
            b'M' if run >= 3 => {
                let name = sb.get(i..i + 3)?;
                let m = MONTHS
                    .iter()
                    .position(|m| m.as_bytes().eq_ignore_ascii_case(name))?;
                i += 3;
                if run >= 4 {
                    i += sb
                        .get(i..)?
                        .iter()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .count();
                }
                month = Some(u32::try_from(m).ok()? + 1);
            }
            b'M' => month = Some(num(&mut i, fixed, 2)?),
            b'd' => day = Some(num(&mut i, fixed, 2)?),
            b'H' | b'k' | b'h' | b'K' => hour = num(&mut i, fixed, 2)?,
            b'm' => minute = num(&mut i, fixed, 2)?,
            b's' => second = num(&mut i, fixed, 2)?,
            b'S' => {
                let start = i;
                let frac = num(&mut i, if run == 1 { 0 } else { run }, 9)?;
                let len = u32::try_from(i - start).ok()?;
                nanos = frac.checked_mul(10u32.checked_pow(9 - len.min(9))?)?;
            }
            b'a' => {
                let w = sb.get(i..i + 2)?;
                pm = Some(w.eq_ignore_ascii_case(b"PM"));
                (pm == Some(true) || w.eq_ignore_ascii_case(b"AM")).then_some(())?;
                i += 2;
            }
            b'E' => {
                i += sb
                    .get(i..)?
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
            }
            b'z' | b'Z' | b'X' => {
                let len = sb
                    .get(i..)?
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b':'))
                    .count();
                offset = Some(zone(s.get(i..i + len)?)?);
                i += len;
            }
            _ => return None,
        }
    }
    (i == sb.len()).then_some(())?;
    let offset = offset?;
    if let Some(p) = pm {
        hour = hour % 12 + if p { 12 } else { 0 };
    }
    let time = Time::from_hms_nano(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanos,
    )
    .ok()?;
    let month = Month::try_from(u8::try_from(month?).ok()?).ok()?;
    let day = u8::try_from(day?).ok()?;
    let t = match year {
        Some(y) => {
            let date = Date::from_calendar_date(i32::try_from(y).ok()?, month, day).ok()?;
            PrimitiveDateTime::new(date, time).assume_offset(offset)
        }
        None => nearest_year(month, day, time, received, offset)?,
    };
    Some(t.to_offset(UtcOffset::UTC))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use vedette_model::Origin;

    const RECEIVED: OffsetDateTime = datetime!(2026-11-25 03:00:00 UTC);

    fn ev() -> Event {
        Event::raw(1, RECEIVED, Origin::new("test", None), b"")
    }

    fn run(text: &str) -> (Event, Result<(), ParseError>) {
        let mut e = ev();
        let r = parse(text, &mut e);
        (e, r)
    }

    #[test]
    fn detects() {
        assert!(detect("CEF:0|a|b|c|d|e|1|"));
        assert!(detect("  CEF:1|"));
        assert!(!detect("LEEF:1.0|a"));
        assert!(!detect("xCEF:0|"));
        assert!(!detect(""));
    }

    #[test]
    fn spec_example() {
        let (e, r) = run(
            r"CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232",
        );
        assert_eq!(r, Ok(()));
        assert_eq!(e.get_str("observer.vendor"), Some("Security"));
        assert_eq!(e.get_str("observer.product"), Some("threatmanager"));
        assert_eq!(e.get_str("observer.version"), Some("1.0"));
        assert_eq!(e.get_str("event.code"), Some("100"));
        assert_eq!(e.get_str("rule.name"), Some("worm successfully stopped"));
        assert_eq!(e.get("event.severity"), Some(&FieldValue::Int(10)));
        assert_eq!(e.get_str("source.ip"), Some("10.0.0.1"));
        assert_eq!(e.get_str("destination.ip"), Some("2.1.2.2"));
        assert_eq!(e.get("source.port"), Some(&FieldValue::Int(1232)));
        assert_eq!(e.get_str("cef.extensions.spt"), Some("1232"));
        assert_eq!(e.logsource.product.as_deref(), Some("threatmanager"));
    }

    #[test]
    fn header_escapes() {
        let (e, r) = run(
            r"CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1",
        );
        assert_eq!(r, Ok(()));
        assert_eq!(e.get_str("cef.name"), Some("detected a | in message"));
        assert_eq!(e.get_str("event.action"), Some(r"blocked a \"));
        let (e, _) = run(r"CEF:0|a\\|b|");
        assert_eq!(e.get_str("observer.vendor"), Some(r"a\"));
        assert_eq!(e.get_str("observer.product"), Some("b"));
    }

    #[test]
    fn extension_values() {
        let (e, r) = run(
            r"CEF:0|V|P|1|id|n|Low|msg=hello world\= it\\s \n next request=http://x/?a=b&c=d suser=bob cs1Label=Rule Name cs1=Allow web cn1Label=hits cn1=42 cfp1Label=score cfp1=1.5",
        );
        assert_eq!(r, Ok(()));
        assert_eq!(e.get("event.severity"), Some(&FieldValue::Int(3)));
        assert_eq!(e.get_str("message"), Some("hello world= it\\s \n next"));
        assert_eq!(e.get_str("url.original"), Some("http://x/?a=b&c=d"));
        assert_eq!(e.get_str("source.user.name"), Some("bob"));
        assert_eq!(e.get_str("cef.extensions.cs1Label"), Some("Rule Name"));
        assert_eq!(e.get_str("cef.custom.Rule_Name"), Some("Allow web"));
        assert_eq!(e.get_str("rule.name"), Some("Allow web"));
        assert_eq!(e.get("cef.custom.hits"), Some(&FieldValue::Int(42)));
        assert_eq!(e.get("cef.custom.score"), Some(&FieldValue::Float(1.5)));
    }

    #[test]
    fn broken_records_keep_what_parsed() {
        let (e, r) = run("CEF:0|Vendor|Prod");
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("cef: expected '|' after Device Product at byte 17".into())
        );
        assert_eq!(e.get_str("observer.vendor"), Some("Vendor"));
        let (_, r) = run("CEF:x|a|b|c|d|e|1|");
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("cef: expected a numeric CEF version at byte 4".into())
        );
        let (e, r) = run("CEF:0|a|b|c|d|e|5");
        assert_eq!(r, Ok(()));
        assert_eq!(e.get("event.severity"), Some(&FieldValue::Int(5)));
        let (e, r) = run("CEF:0|a|b|c|d|e|5|junk src=1.2.3.4");
        assert!(r.is_err());
        assert_eq!(e.get_str("source.ip"), Some("1.2.3.4"));
        let (e, r) = run("CEF:0|a|b|c|d|e|5|src=not-an-ip spt=99999 smac=00:0d:60:af:1b:61");
        assert_eq!(r, Ok(()));
        assert_eq!(e.get("source.ip"), None);
        assert_eq!(e.get("source.port"), None);
        assert_eq!(e.get_str("cef.extensions.src"), Some("not-an-ip"));
        assert_eq!(e.get_str("source.mac"), Some("00-0D-60-AF-1B-61"));
    }

    #[test]
    fn times() {
        let t = |s| stamp(s, RECEIVED);
        assert_eq!(t("1764039600000"), Some(datetime!(2025-11-25 03:00:00 UTC)));
        assert_eq!(t("1764039600"), Some(datetime!(2025-11-25 03:00:00 UTC)));
        assert_eq!(
            t("Nov 25 2026 10:00:00.250 +07:00"),
            Some(datetime!(2026-11-25 03:00:00.25 UTC))
        );
        assert_eq!(
            t("Nov 25 2026 10:00:00 PST"),
            Some(datetime!(2026-11-25 18:00:00 UTC))
        );
        assert_eq!(
            t("Nov 25 09:00:00 UTC"),
            Some(datetime!(2026-11-25 09:00:00 UTC))
        );
        assert_eq!(t("Nov 25 2026 10:00:00"), None);
        assert_eq!(
            t("2026-11-25T10:00:00+07:00"),
            Some(datetime!(2026-11-25 03:00:00 UTC))
        );
        assert_eq!(t("2026-11-25T10:00:00"), None);
        assert_eq!(t("garbage"), None);
        assert_eq!(t("99999999999999999999"), None);
        assert_eq!(zone("GMT+07:00"), UtcOffset::from_hms(7, 0, 0).ok());
        assert_eq!(zone("-0530"), UtcOffset::from_hms(-5, -30, 0).ok());
        assert_eq!(zone("XYZ"), None);
        assert_eq!(zone("+99"), None);
    }

    #[test]
    fn simple_dates() {
        let d = |f, s| simple_date(f, s, RECEIVED);
        assert_eq!(
            d(
                "MMM dd yyyy HH:mm:ss.SSS z",
                "Nov 25 2026 10:00:00.123 GMT+07:00"
            ),
            Some(datetime!(2026-11-25 03:00:00.123 UTC))
        );
        assert_eq!(
            d("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2026-11-25T10:00:00.500+0700"),
            Some(datetime!(2026-11-25 03:00:00.5 UTC))
        );
        assert_eq!(
            d(
                "EEE, d MMMM yyyy hh:mm a X",
                "Wed, 5 November 2026 01:30 PM Z"
            ),
            Some(datetime!(2026-11-05 13:30:00 UTC))
        );
        assert_eq!(
            d("yyyyMMddHHmmss z", "20261125100000 UTC"),
            Some(datetime!(2026-11-25 10:00:00 UTC))
        );
        assert_eq!(d("yyyy-MM-dd HH:mm:ss", "2026-11-25 10:00:00"), None);
        assert_eq!(d("yyyy-MM-dd HH:mm:ss Q", "2026-11-25 10:00:00 Q"), None);
        assert_eq!(d("yyyy-MM-dd'", "2026-11-25"), None);
        assert_eq!(d("", ""), None);
    }

    #[test]
    fn caps() {
        let mut line = String::from("CEF:0|a|b|c|d|e|1|");
        for i in 0..1500 {
            line.push_str(&format!("k{i}=v "));
        }
        let (e, r) = run(&line);
        assert_eq!(r, Ok(()));
        assert!(e.get("cef.extensions.k999").is_some());
        assert!(e.get("cef.extensions.k1000").is_none());
        let big = format!("CEF:0|a|b|c|d|e|1|msg={}", "é".repeat(100_000));
        let (e, _) = run(&big);
        assert!(e
            .get_str("cef.extensions.msg")
            .is_some_and(|m| m.len() <= MAX_VALUE));
    }

    #[test]
    fn hostile_inputs_are_linear() {
        let mb = 1 << 20;
        for filler in [
            "=", "a", "\\", "|", " ", "a=", " a=", "\\=", "\\|", "Label=",
        ] {
            let line = format!("CEF:0|{}", filler.repeat(mb / filler.len()));
            let _ = run(&line);
            let line = format!("CEF:0|a|b|c|d|e|1|{}", filler.repeat(mb / filler.len()));
            let _ = run(&line);
        }
    }
}
