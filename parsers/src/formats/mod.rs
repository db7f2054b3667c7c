//! Device and application formats carried in a syslog MSG, or sent as bare
//! lines: CEF, LEEF, firewall key=value logs, Cisco ASA, netfilter,
//! pfSense filterlog, web server access logs.
//!
//! Each format is a cheap `detect` (a prefix or a few bytes, no parsing) and
//! a `parse` that fills ECS fields and the Sigma log source on the event.
//! [`FORMATS`] is tried in order; the first whose `detect` accepts the text
//! parses it, skipping the formats that tables built from their `first`,
//! `open` and `needs` (and MikroTik's `gate`) rule out from a [`Probe`]
//! computed once (its first byte, which of a few bytes it holds). A
//! `parse` that fails half-way keeps every field it already set and
//! returns the error, which becomes `error.message`.

use vedette_model::Event;

use crate::ParseError;

mod asa;
mod auditd;
mod cef;
mod cisco_ios;
mod filterlog;
mod fortigate;
mod json;
mod juniper;
pub(crate) mod kaspersky;
mod leef;
mod mikrotik;
mod modsec;
mod netfilter;
mod panos;
mod sonicwall;
mod sophos;
pub(crate) mod w3c;
mod web;
mod windows;

pub(crate) use web::shape;

/// One format: how to recognize it and how to parse it.
pub(crate) struct Format {
    /// Short name, used in errors and as `event.module`.
    pub(crate) name: &'static str,
    /// About how many fields a record ends with, syslog header included
    /// (a little over the median of the golden records), reserved before
    /// parsing so that the map does not grow and rehash per record.
    pub(crate) fields: usize,
    /// Whether the format may recognize a text that starts with this byte
    /// (0 for an empty text). Worked into a table for every format
    /// ([`Gates`]), so that a text meets only the gates and detectors of
    /// the formats that can start as it does. It must never reject a text
    /// `detect` would accept.
    pub(crate) first: fn(u8) -> bool,
    /// First bytes that let a text through to `detect` outright, whatever
    /// `needs` and `gate` say (`Built ` of ASA, `-` of ModSecurity's
    /// serial format, the digit of an access log's address).
    pub(crate) open: fn(u8) -> bool,
    /// Bytes (of [`PROBED`]) of which a text must hold at least one, unless
    /// `open` let it through; empty when none is needed. Worked into a
    /// table indexed by which probed bytes a text holds ([`Probe`]), so
    /// that a record that is no device format meets few detectors without
    /// a call per format. It must never reject a text `detect` would
    /// accept.
    pub(crate) needs: &'static [u8],
    /// A test of its own past `needs`, for what a few bytes cannot say;
    /// skipped where `open` let the text through. It must never reject a
    /// text `detect` would accept.
    pub(crate) gate: Option<fn(&Probe) -> bool>,
    /// Whether `text` looks like this format (must be cheap).
    pub(crate) detect: fn(&str) -> bool,
    /// Parses `text` into `ev`.
    pub(crate) parse: fn(&str, &mut Event) -> Result<(), ParseError>,
    /// Detects and parses in one pass, for a format whose detection is
    /// most of its header's parse (so that auto-detection does not read
    /// the header twice): `None`, with `ev` untouched, when `detect` would
    /// reject `text`; else it calls [`begin`] and parses. Auto-detection
    /// uses it in place of `detect` and `parse` where it is set.
    pub(crate) claim: Option<Claim>,
}

/// See [`Format::claim`].
pub(crate) type Claim = fn(&str, &mut Event) -> Option<Result<(), ParseError>>;

impl Format {
    /// Whether `first`, `open`, `needs` and `gate` let `detect` see a
    /// text, read from the format itself (what [`Gates`] must agree with).
    #[cfg(test)]
    fn admits(&self, text: &str) -> bool {
        let probe = Probe::new(text);
        let b = probe.first;
        (self.first)(b)
            && ((self.open)(b)
                || ((self.needs.is_empty()
                    || self.needs.iter().any(|c| text.as_bytes().contains(c)))
                    && self.gate.is_none_or(|g| g(&probe))))
    }
}

/// Every format's `first`, `open` and `needs` as tables of bit sets (bit
/// `i` for `FORMATS[i]`), built once.
struct Gates {
    /// For each first byte, the formats whose `first` admits it.
    first: [u32; 256],
    /// For each first byte, the formats whose `first` and `open` admit it.
    open: [u32; 256],
    /// For each set of probed bytes a text holds ([`Probe::found`]), the
    /// formats whose `needs` it meets.
    found: [u32; 1 << PROBED.len()],
    /// The formats with a `gate` of their own.
    gated: u32,
}

impl Gates {
    /// The formats that may claim the text of `probe`, and of those, the
    /// ones whose `gate` must still be asked (`open` did not let it
    /// through).
    fn candidates(&self, probe: &Probe) -> (u32, u32) {
        let b = usize::from(probe.first);
        let open = self.open[b];
        let candidates = self.first[b] & (open | self.found[usize::from(probe.found)]);
        (candidates, candidates & self.gated & !open)
    }
}

fn gates() -> &'static Gates {
    static GATES: std::sync::LazyLock<Gates> = std::sync::LazyLock::new(|| {
        let mut g = Gates {
            first: [0; 256],
            open: [0; 256],
            found: [0; 1 << PROBED.len()],
            gated: 0,
        };
        for (i, f) in FORMATS.iter().enumerate() {
            let bit = 1 << i;
            for b in 0..=u8::MAX {
                if (f.first)(b) {
                    g.first[usize::from(b)] |= bit;
                    if (f.open)(b) {
                        g.open[usize::from(b)] |= bit;
                    }
                }
            }
            let needs = f.needs.iter().fold(0u8, |m, &c| {
                assert!(
                    PROBE_BITS[usize::from(c)] != 0,
                    "{}: {c} is not probed",
                    f.name
                );
                m | PROBE_BITS[usize::from(c)]
            });
            for (found, formats) in g.found.iter_mut().enumerate() {
                if needs == 0 || needs as usize & found != 0 {
                    *formats |= bit;
                }
            }
            if f.gate.is_some() {
                g.gated |= bit;
            }
        }
        g
    });
    &GATES
}

const _: () = assert!(FORMATS.len() <= 32, "Gates keeps one bit per format");

/// What every parse of `f` starts with: room for its fields, and its name
/// as `event.module`.
pub(crate) fn begin(ev: &mut Event, f: &Format) {
    ev.fields.reserve(f.fields.saturating_sub(ev.fields.len()));
    ev.set(key!("event.module"), f.name);
}

/// Every format, most specific first.
pub(crate) const FORMATS: &[Format] = &[
    windows::FORMAT,
    cef::FORMAT,
    leef::FORMAT,
    asa::FORMAT,
    cisco_ios::FORMAT,
    juniper::FORMAT,
    panos::FORMAT,
    fortigate::FORMAT,
    sophos::FORMAT,
    sonicwall::FORMAT,
    filterlog::FORMAT,
    kaspersky::FORMAT,
    auditd::FORMAT,
    // Before ModSecurity and netfilter, which would search every access
    // log line (it holds `:` and often `=`) in vain: an access log line's
    // claim is strict enough (host, `[time]`, quoted request, status) to
    // go first.
    web::FORMAT,
    // After the access logs: its gate searches every text with a colon
    // for `: in:`, which an access line (a colon in its time) would pay.
    mikrotik::FORMAT,
    modsec::FORMAT,
    netfilter::FORMAT,
    // Last: any JSON object no specific format claimed.
    json::FORMAT,
];

/// What the formats' gates test, worked out once per text: its first
/// byte, and which of a few bytes occur anywhere in it.
pub(crate) struct Probe<'a> {
    /// The text, for a gate that reads a few of its bytes itself.
    text: &'a [u8],
    /// The first byte (0 for an empty text).
    pub(crate) first: u8,
    /// Which of [`PROBED`] the text holds (bit `i` for `PROBED[i]`).
    found: u8,
}

/// The bytes a format may need: `%` (Cisco's `%FACILITY-n-MNEMONIC`),
/// `=` (key=value formats, `IN=`), `:`, `{` (JSON), `[` (access logs).
const PROBED: [u8; 5] = [b'%', b'=', b':', b'{', b'['];

/// For each byte, its bit in [`Probe`]'s masks if it is one of [`PROBED`].
const PROBE_BITS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < PROBED.len() {
        t[PROBED[i] as usize] = 1 << i;
        i += 1;
    }
    t
};

/// How many bytes of a text are read once for every probed byte; past
/// them, each probed byte not found yet is searched for with `memchr`.
const SHORT: usize = 128;

impl<'a> Probe<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let b = text.as_bytes();
        let (head, tail) = b.split_at(b.len().min(SHORT));
        let mut found = head
            .iter()
            .fold(0u8, |m, &c| m | PROBE_BITS[usize::from(c)]);
        if !tail.is_empty() {
            for (i, c) in PROBED.iter().enumerate() {
                if found & (1 << i) == 0 && memchr::memchr(*c, tail).is_some() {
                    found |= 1 << i;
                }
            }
        }
        Probe {
            text: b,
            first: b.first().copied().unwrap_or(0),
            found,
        }
    }

    /// Whether the text holds `PROBED[i]`.
    fn has(&self, i: usize) -> bool {
        self.found & (1 << i) != 0
    }

    /// Whether the text holds a `:`.
    pub(crate) fn colon(&self) -> bool {
        self.has(2)
    }
}

/// `text.splitn(n, sep)` for an ASCII `sep`, by a plain byte loop: on the
/// short fields of a CSV record this is cheaper than std's char searcher,
/// whose per-call set-up dominates (measured on filterlog).
pub(crate) fn splitn_byte(text: &str, n: usize, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    let mut left = n;
    std::iter::from_fn(move || {
        let r = rest?;
        left = left.checked_sub(1)?;
        let end = if left == 0 {
            None
        } else {
            r.bytes().position(|b| b == sep)
        };
        match end {
            Some(i) => {
                rest = r.get(i + 1..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `text.split(sep)` for an ASCII `sep`, by a byte loop (see
/// [`splitn_byte`]).
pub(crate) fn split_byte(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    splitn_byte(text, usize::MAX, sep)
}

/// `name` for the life of the process: a key made from a `&'static str`
/// is copied into each event as a pointer, where one that owned a longer
/// name would allocate it again per event. Only the fixed lists of vendor
/// names come here (a few hundred names, once per process); each is also
/// kept in a list, so that a leak checker (the fuzzers' LeakSanitizer)
/// sees it referenced.
fn static_name(name: String) -> &'static str {
    static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let name: &'static str = Box::leak(name.into_boxed_str());
    if let Ok(mut names) = NAMES.lock() {
        names.push(name);
    }
    name
}

/// `<prefix><name>` for each of `names`, as field keys: for a format whose
/// vendor field names are a fixed list (PAN-OS's columns), built once, so
/// that setting one neither builds nor hashes the name.
pub(crate) fn prefixed_keys(prefix: &str, names: &[&str]) -> Vec<vedette_model::fields::Key> {
    names
        .iter()
        .map(|n| vedette_model::fields::Key::new(static_name(format!("{prefix}{n}"))))
        .collect()
}

/// The vendor field keys (`<prefix><name>`) of the names a key=value format
/// documents, built once: setting a known name neither builds nor hashes
/// `<prefix><name>` (nor allocates it when it is longer than a `Name`
/// holds inline). Found by a cheap hash of the name's length and three of
/// its bytes and one compare: a `match` over a hundred names, or a hash
/// map, cost more than the work it saves.
pub(crate) struct KnownKeys {
    prefix: &'static str,
    slots: Box<[Option<(&'static str, vedette_model::fields::Key)>]>,
    mask: usize,
}

impl KnownKeys {
    pub(crate) fn new(prefix: &'static str, names: &[&'static str]) -> Self {
        Self::build(prefix, names, false)
    }

    /// As [`KnownKeys::new`], the field names with `-` written `_`
    /// (Junos's `source-address` is `juniper.srx.source_address`).
    pub(crate) fn underscored(prefix: &'static str, names: &[&'static str]) -> Self {
        Self::build(prefix, names, true)
    }

    fn build(prefix: &'static str, names: &[&'static str], underscored: bool) -> Self {
        let size = (names.len() * 4).max(16).next_power_of_two();
        let mut slots: Box<[Option<(&'static str, vedette_model::fields::Key)>]> =
            (0..size).map(|_| None).collect();
        let mask = size - 1;
        for &n in names {
            let mut at = Self::slot(n.as_bytes()) & mask;
            while let Some((other, _)) = &slots[at] {
                if *other == n {
                    break;
                }
                at = (at + 1) & mask;
            }
            let field = if underscored {
                n.replace('-', "_")
            } else {
                n.to_string()
            };
            let key = vedette_model::fields::Key::new(static_name(format!("{prefix}{field}")));
            slots[at] = Some((n, key));
        }
        KnownKeys {
            prefix,
            slots,
            mask,
        }
    }

    /// What every field name starts with (ends with a dot).
    pub(crate) fn prefix(&self) -> &'static str {
        self.prefix
    }

    #[inline]
    fn slot(b: &[u8]) -> usize {
        let n = b.len();
        let (first, mid, last) = match b {
            [] => (0, 0, 0),
            _ => (b[0], b[n / 2], b[n - 1]),
        };
        let h = (n as u32) ^ u32::from(first) << 8 ^ u32::from(mid) << 16 ^ u32::from(last) << 24;
        (h.wrapping_mul(0x9E37_79B1) >> 16) as usize
    }

    /// The key of `<prefix><name>`, when `name` is a known one.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<&vedette_model::fields::Key> {
        let mut at = Self::slot(name.as_bytes()) & self.mask;
        loop {
            match &self.slots[at] {
                None => return None,
                Some((n, k)) if *n == name => return Some(k),
                Some(_) => at = (at + 1) & self.mask,
            }
        }
    }
}

/// The first `needle` in `hay`: a byte loop over the first 16 bytes, then
/// `memchr`. For columns and values that are mostly a few bytes long, where
/// `memchr`'s vector set-up costs more than the search.
#[inline]
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const SHORT: usize = 16;
    let head = hay.get(..SHORT).unwrap_or(hay);
    match head.iter().position(|&b| b == needle) {
        Some(i) => Some(i),
        None if hay.len() <= SHORT => None,
        None => memchr::memchr(needle, hay.get(SHORT..)?).map(|i| i + SHORT),
    }
}

/// `text.split_once(sep)` for an ASCII `sep`, by a byte loop: for the short
/// words and values of a log record, cheaper than std's char searcher.
pub(crate) fn split_once_byte(text: &str, sep: u8) -> Option<(&str, &str)> {
    let i = text.bytes().position(|b| b == sep)?;
    Some((text.get(..i)?, text.get(i + 1..)?))
}

/// `text.rsplit_once(sep)` for an ASCII `sep`, by a byte loop.
pub(crate) fn rsplit_once_byte(text: &str, sep: u8) -> Option<(&str, &str)> {
    let i = text.bytes().rposition(|b| b == sep)?;
    Some((text.get(..i)?, text.get(i + 1..)?))
}

/// Whether `s` is an IP address as `s.parse::<IpAddr>()` reads one: a
/// dotted quad is checked in one pass over its bytes (std's parser is a
/// few percent of a firewall record's parse, and most addresses are
/// IPv4); what may be IPv6 goes to std.
pub(crate) fn is_ip(s: &str) -> bool {
    is_ipv4(s.as_bytes()) || (may_be_ipv6(s.as_bytes()) && s.parse::<std::net::IpAddr>().is_ok())
}

/// Whether `b` has a `:` and nothing but hex digits, `:` and `.`: the only
/// texts std may read as an IPv6 address (so that `iface:addr` and other
/// words do not go through its parser).
fn may_be_ipv6(b: &[u8]) -> bool {
    let mut colon = false;
    for &c in b {
        if c == b':' {
            colon = true;
        } else if !(c.is_ascii_hexdigit() || c == b'.') {
            return false;
        }
    }
    colon
}

/// Four decimal octets, each 0-255 without a leading zero, as std reads
/// an `Ipv4Addr`.
fn is_ipv4(b: &[u8]) -> bool {
    if b.len() > 15 {
        return false;
    }
    let (mut dots, mut value, mut digits) = (0u8, 0u32, 0u8);
    for &c in b {
        if c == b'.' {
            if digits == 0 || dots == 3 {
                return false;
            }
            dots += 1;
            (value, digits) = (0, 0);
        } else if c.is_ascii_digit() {
            // A second digit after a leading zero.
            if digits == 1 && value == 0 {
                return false;
            }
            value = value * 10 + u32::from(c - b'0');
            digits += 1;
            if value > 255 {
                return false;
            }
        } else {
            return false;
        }
    }
    dots == 3 && digits > 0
}

/// Whether `hay` holds `needle`: a scan for its first byte, then a compare.
/// For the short messages of a record, where building std's substring
/// searcher costs more than the search.
pub(crate) fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, tail)) = needle.split_first() else {
        return true;
    };
    let mut at = 0;
    while let Some(i) = hay
        .get(at..)
        .and_then(|h| h.iter().position(|&b| b == first))
    {
        let next = at + i + 1;
        if hay.get(next..next + tail.len()) == Some(tail) {
            return true;
        }
        at = next;
    }
    false
}

/// Whether `text` holds `needle` (lowercase ASCII), ASCII case ignored:
/// for a short text, one pass without a lowercased copy or a searcher.
pub(crate) fn contains_ignore_case(text: &str, needle: &str) -> bool {
    let (t, n) = (text.as_bytes(), needle.as_bytes());
    n.is_empty() || t.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// The ECS `network.transport` of a protocol as devices write it: a name
/// in any case (`TCP`, `icmpv6`) or an IANA number (`6`, `58`). Names ECS
/// spells otherwise (`icmpv6`, `icmp6`) are mapped, other names lowercased,
/// numbers it does not know kept.
pub(crate) fn transport_name(p: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    const NAMES: [(&str, &str); 11] = [
        ("tcp", "tcp"),
        ("udp", "udp"),
        ("icmp", "icmp"),
        ("ipv6-icmp", "ipv6-icmp"),
        ("icmpv6", "ipv6-icmp"),
        ("icmp6", "ipv6-icmp"),
        ("gre", "gre"),
        ("esp", "esp"),
        ("ah", "ah"),
        ("sctp", "sctp"),
        ("igmp", "igmp"),
    ];
    if let Some(n) = p
        .bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| p.parse::<u8>().ok())
        .flatten()
    {
        return fortigate::transport(n).map_or(Cow::Borrowed(p), Cow::Borrowed);
    }
    match NAMES.iter().find(|(k, _)| p.eq_ignore_ascii_case(k)) {
        Some((_, name)) => Cow::Borrowed(name),
        None if p.bytes().any(|c| c.is_ascii_uppercase()) => Cow::Owned(p.to_ascii_lowercase()),
        None => Cow::Borrowed(p),
    }
}

/// Parses `text` with the first format that recognizes it; `None` when no
/// format does. `base` is where `text` starts in `event.original`, so that
/// error offsets count from there.
pub(crate) fn apply(text: &str, base: usize, ev: &mut Event) -> Option<Result<(), ParseError>> {
    let probe = Probe::new(text);
    let (mut candidates, gated) = gates().candidates(&probe);
    while candidates != 0 {
        let i = candidates.trailing_zeros() as usize;
        let bit = candidates & candidates.wrapping_neg();
        candidates &= candidates - 1;
        let Some(f) = FORMATS.get(i) else { break };
        if gated & bit != 0 && f.gate.is_some_and(|g| !g(&probe)) {
            continue;
        }
        let r = match f.claim {
            Some(claim) => claim(text, ev),
            None if (f.detect)(text) => {
                begin(ev, f);
                Some((f.parse)(text, ev))
            }
            None => None,
        };
        if let Some(r) = r {
            return Some(r.map_err(|e| e.shifted(base)));
        }
    }
    None
}

/// The names a source may force: every format's name.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    FORMATS.iter().map(|f| f.name)
}

/// A format a source fixed, looked up by name once (when its rule is
/// made), not per record.
#[derive(Clone, Copy)]
pub(crate) struct Fixed(&'static Format);

/// Generic JSON, which a bare line that starts like an object falls back to.
pub(crate) const JSON: Fixed = Fixed(&json::FORMAT);

impl Fixed {
    /// The format named `name`, if there is one.
    pub(crate) fn named(name: &str) -> Option<Fixed> {
        FORMATS.iter().find(|f| f.name == name).map(Fixed)
    }

    /// Its name.
    pub(crate) fn name(self) -> &'static str {
        self.0.name
    }

    /// About how many fields one of its records ends with.
    pub(crate) fn fields(self) -> usize {
        self.0.fields
    }

    /// Parses `text` in this format, without detection. `base` as for
    /// [`apply`].
    pub(crate) fn apply(self, text: &str, base: usize, ev: &mut Event) -> Result<(), ParseError> {
        begin(ev, self.0);
        (self.0.parse)(text, ev).map_err(|e| e.shifted(base))
    }
}

impl std::fmt::Debug for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}

/// Formats have unique names.
impl PartialEq for Fixed {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Fixed {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every golden record, and every tail of it after a space or a colon
    /// (where a syslog header may end and the MSG begin).
    fn golden_texts() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let mut out = Vec::new();
        for d in std::fs::read_dir(dir).expect("testdata") {
            let Ok(files) = std::fs::read_dir(d.expect("entry").path()) else {
                continue;
            };
            for f in files {
                let bytes = std::fs::read(f.expect("entry").path()).expect("readable");
                let text = String::from_utf8_lossy(&bytes).into_owned();
                for line in std::iter::once(text.as_str()).chain(text.lines()) {
                    out.push(line.to_string());
                    for (i, c) in line.char_indices() {
                        if c == ' ' || c == ':' || c == '>' {
                            out.push(line[i + 1..].to_string());
                        }
                    }
                }
            }
        }
        out
    }

    /// The formats `apply` lets `detect` see, by its tables.
    fn admitted(text: &str) -> u32 {
        let probe = Probe::new(text);
        let (candidates, gated) = gates().candidates(&probe);
        (0..FORMATS.len())
            .map(|i| 1u32 << i)
            .filter(|bit| candidates & bit != 0)
            .filter(|bit| {
                gated & bit == 0
                    || FORMATS[bit.trailing_zeros() as usize]
                        .gate
                        .is_none_or(|gate| gate(&probe))
            })
            .fold(0, |m, bit| m | bit)
    }

    /// No gate rejects what its detector accepts (and the tables agree
    /// with each format's own gate), and a format's claim
    /// accepts exactly what its detector does, leaving the event alone
    /// when it does not.
    fn gates_admit(text: &str) -> Result<(), String> {
        let by_tables = admitted(text);
        for (i, f) in FORMATS.iter().enumerate() {
            let detected = (f.detect)(text);
            if detected && !f.admits(text) {
                return Err(format!(
                    "{}'s gate rejects what it detects: {text:?}",
                    f.name
                ));
            }
            if f.admits(text) != (by_tables & (1 << i) != 0) {
                return Err(format!(
                    "{}: the tables and the format's own gate differ on {text:?}",
                    f.name
                ));
            }
            if let Some(claim) = f.claim {
                let mut ev = vedette_model::Event::raw(
                    0,
                    time::OffsetDateTime::UNIX_EPOCH,
                    vedette_model::Origin::new("gates", None),
                    text.as_bytes(),
                );
                let before = ev.clone();
                let claimed = claim(text, &mut ev).is_some();
                if claimed != detected {
                    return Err(format!(
                        "{}'s claim ({claimed}) and detect ({detected}) differ: {text:?}",
                        f.name
                    ));
                }
                if !claimed && ev != before {
                    return Err(format!("{} changed an event it did not claim", f.name));
                }
            }
        }
        Ok(())
    }

    #[test]
    fn gates_never_reject_a_golden_record() {
        let texts = golden_texts();
        assert!(texts.len() > 1000, "{} texts", texts.len());
        let mut detected = 0;
        for t in &texts {
            gates_admit(t).unwrap();
            detected += usize::from(FORMATS.iter().any(|f| (f.detect)(t)));
        }
        // The texts do exercise the detectors.
        assert!(detected > 300, "{detected} detected");
    }

    #[test]
    fn ip_addresses() {
        for s in [
            "0.0.0.0",
            "10.0.0.1",
            "255.255.255.255",
            "::1",
            "::ffff:192.0.2.7",
            "2001:db8::1",
        ] {
            assert!(is_ip(s), "{s}");
        }
        for s in [
            "",
            "256.1.1.1",
            "01.1.1.1",
            "1.2.3",
            "1.2.3.4.",
            ".1.2.3",
            "1..2.3",
            "1.2.3.4:80",
            "1.2.3.4 ",
            "0000.0.0.0",
            "host",
            ":::",
        ] {
            assert!(!is_ip(s), "{s}");
        }
    }

    #[test]
    fn transport_names() {
        for (p, want) in [
            ("TCP", "tcp"),
            ("udp", "udp"),
            ("6", "tcp"),
            ("58", "ipv6-icmp"),
            ("ICMPv6", "ipv6-icmp"),
            ("icmp6", "ipv6-icmp"),
            ("50", "esp"),
            ("99", "99"),
            ("OSPF", "ospf"),
            ("", ""),
        ] {
            assert_eq!(transport_name(p), want, "{p}");
        }
    }

    #[test]
    fn known_keys() {
        let k = KnownKeys::new("v.", &["srcip", "dstip", "srcport", "a", ""]);
        assert_eq!(k.prefix(), "v.");
        assert_eq!(k.get("srcip").map(|k| k.as_str()), Some("v.srcip"));
        assert_eq!(k.get("dstip").map(|k| k.as_str()), Some("v.dstip"));
        assert_eq!(k.get("a").map(|k| k.as_str()), Some("v.a"));
        assert_eq!(k.get("").map(|k| k.as_str()), Some("v."));
        assert!(k.get("srcipx").is_none() && k.get("b").is_none() && k.get("srcpor").is_none());
        let k = KnownKeys::underscored("j.", &["source-address"]);
        assert_eq!(
            k.get("source-address").map(|k| k.as_str()),
            Some("j.source_address")
        );
    }

    proptest! {
        #[test]
        fn contains_bytes_is_contains(hay in "[ab]{0,24}", needle in "[ab]{0,4}") {
            prop_assert_eq!(contains_bytes(hay.as_bytes(), needle.as_bytes()), hay.contains(&needle));
        }

        #[test]
        fn find_byte_is_position(hay in "[a,]{0,40}") {
            let hay = hay.as_bytes();
            prop_assert_eq!(find_byte(hay, b','), hay.iter().position(|&b| b == b','));
        }

        #[test]
        fn splitn_byte_is_splitn(text in "[a,é\\-]{0,24}", n in 0usize..8) {
            let got: Vec<_> = splitn_byte(&text, n, b',').collect();
            let want: Vec<_> = text.splitn(n, ',').collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn byte_splitters_are_std(text in "[a,=é\\- ]{0,24}", sep in prop::sample::select(vec![b',', b'=', b' '])) {
            let c = char::from(sep);
            prop_assert_eq!(split_byte(&text, sep).collect::<Vec<_>>(), text.split(c).collect::<Vec<_>>());
            prop_assert_eq!(split_once_byte(&text, sep), text.split_once(c));
            prop_assert_eq!(rsplit_once_byte(&text, sep), text.rsplit_once(c));
        }

        #[test]
        fn is_ip_is_std(s in "([0-9]{1,4}\\.){0,4}[0-9]{0,4}|[0-9a-fA-F:.]{0,20}|[0-9. x]{0,17}|[a-z]{0,4}:[0-9a-f:.%]{0,12}") {
            prop_assert_eq!(is_ip(&s), s.parse::<std::net::IpAddr>().is_ok(), "{:?}", s);
        }

        #[test]
        fn contains_ignore_case_is_lowercased_contains(text in "[aAbBé ]{0,16}", needle in "[ab]{0,3}") {
            prop_assert_eq!(
                contains_ignore_case(&text, &needle),
                text.to_ascii_lowercase().contains(needle.as_str())
            );
        }

        #[test]
        fn transport_names_are_lowercase(p in "[a-zA-Z0-9-]{0,8}") {
            let t = transport_name(&p);
            prop_assert_eq!(t.to_ascii_lowercase(), t.as_ref());
        }

        #[test]
        fn gates_never_reject_what_a_detector_accepts(
            prefix in prop::sample::select(vec![
                "", " ", "  ", "{", " {", "\t{", "CEF:", " LEEF:", "%ASA-6-302013: ", ": %FTD-1-1: ",
                "Built ", "Teardown ", "Deny ", "%LINK-3-UPDOWN: ", "1: *Mar  1: %SYS-5-CONFIG_I: ",
                "firewall,info ", "info  fw: forward: in:", "drop forward: in:(unknown 0) out:", "login failure for user ", "user admin logged in ", "in:ether1 out:",
                "RT_FLOW: ", "RT_FLOW_SESSION_CREATE: ", "session created ", "AppTrack session closed ",
                "1,2026/11/25 10:00:00,0123456789,TRAFFIC,", "date=", "logver=7 ", "devname=",
                "device=\"SFW\" ", "device_name=", "id=firewall sn=1 m=2 ", "sn=1 fw=2 m=3 ",
                "5,,,1000,em0,match,block,in,4,", "type=SYSCALL msg=audit(1.0:2): ", "node=h type=X msg=audit(",
                "--a1b2c3d4-A--", "ModSecurity: ", "IN=eth0 OUT= ", "kernel: [1.0] IN=eth0 OUT= ",
                "10.0.0.1 - - [", "2026-11-25 10:00:00 10.0.0.1 GET ", "{\"transaction\":{",
                "\u{3000}{", "\u{a0}{", "\u{85}{", "\u{1680}{", "\u{2028}{", "\u{205f}{", "\r\n{",
                "FW_DROP forward: in:ether1 out:", "forward: in:", "firewall,info x forward: in:",
                "SSHD_LOGIN_FAILED: ", "UI_LOGIN_EVENT [", "FW: ", "PFE_FW_SYSLOG_IP: ",
                "SNMPD_AUTH_FAILURE", "AppTrack volume update: ",
            ]),
            body in "[ -~]{0,80}",
            tail in prop::sample::select(vec!["", "}", " ->1.2.3.4/5", "] \"GET / HTTP/1.1\" 200 1", " log_id=1"]),
        ) {
            let text = format!("{prefix}{body}{tail}");
            prop_assert!(gates_admit(&text).is_ok(), "{}", gates_admit(&text).unwrap_err());
        }
    }
}
