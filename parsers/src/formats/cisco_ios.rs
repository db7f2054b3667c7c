//! Cisco IOS, IOS-XE and NX-OS system messages:
//! `%FACILITY-SEVERITY-MNEMONIC: text` (ASA and FTD, whose headers look the
//! same, are left to the `asa` format).
//!
//! Every message gets `event.code`, `cisco.ios.facility`,
//! `cisco.ios.severity`, `cisco.ios.mnemonic`, `log.level` and the
//! observer; the most security-relevant ones (logins, configuration
//! changes, logged commands, interface state, ACL logging, SSH user
//! authentication, 802.1X / MAB / authentication manager) are taken apart
//! into ECS fields by splitting on their fixed words. No regexes.
//!
//! IOS writes `<PRI>seq: [host: ][*|.]Mmm dd [yyyy ]hh:mm:ss[.mmm][ TZ]: %...`
//! and NX-OS `<PRI>: yyyy Mmm dd hh:mm:ss[.mmm] TZ: %...`, which BSD syslog
//! parsing does not take apart: the header is then looked for after that
//! prefix, whose sequence number, host and time are read too. A time marked
//! `*` (the clock is not authoritative) is not used as the event time.

use memchr::memmem;
use time::UtcOffset;
use vedette_model::fields::FieldName;
use vedette_model::{Event, LogSource};

use crate::timestamp::parse_bsd;
use crate::ParseError;

const P: &str = "cisco_ios";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "cisco_ios",
    fields: 32,
    first: |_| true,
    open: |_| false,
    needs: b"%",
    gate: None,
    detect,
    parse,
    claim: Some(claim),
};

/// Built once: constructing a searcher per record costs more than the search.
static HEADER_FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(b": %"));

/// How far into the text a header after a prefix is looked for.
const WINDOW: usize = 96;

/// At most this many `: ` separated parts before the header.
const MAX_PREFIX_PARTS: usize = 5;

const SEVERITIES: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];

/// The `%FACILITY-SEVERITY-MNEMONIC:` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header<'a> {
    /// `FAC-SEV-MNEMONIC` as written.
    code: &'a str,
    facility: &'a str,
    severity: u8,
    mnemonic: &'a str,
}

/// `%FAC-SEV-MNEMONIC:` at the start of `s`: the header and what follows
/// the colon. The facility may have sub-facilities (`%PIM-SW1-6-...`) and,
/// as Cisco's Small Business switches write it, lower-case letters; their
/// severity is a letter (`%SNMP-W-SNMPAUTHFAIL`, see [`letter_severity`]).
fn tag(s: &str) -> Option<(Header<'_>, &str)> {
    let r = s.strip_prefix('%')?;
    let word = |r: &str| {
        r.bytes()
            .take(33)
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
            .count()
    };
    let mut n = word(r);
    if n == 0 || n > 32 || !r.as_bytes()[0].is_ascii_uppercase() {
        return None;
    }
    // Up to two sub-facilities: a `-WORD` that is not `-SEVERITY-`.
    for _ in 0..2 {
        let after = r.get(n + 1..)?;
        if r.as_bytes().get(n) != Some(&b'-') || after.as_bytes().get(1) == Some(&b'-') {
            break;
        }
        let m = word(after);
        if m == 0 || n + 1 + m > 32 {
            return None;
        }
        n += 1 + m;
    }
    let facility = r.get(..n)?;
    if facility == "ASA" || facility == "FTD" {
        return None;
    }
    let r = r.get(n..)?.strip_prefix('-')?;
    let sev = match *r.as_bytes().first()? {
        c @ b'0'..=b'7' => c - b'0',
        c => letter_severity(c)?,
    };
    let r = r.get(1..)?.strip_prefix('-')?;
    let m = r
        .bytes()
        .take(65)
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    if m == 0 || m > 64 {
        return None;
    }
    let mnemonic = r.get(..m)?;
    let rest = r.get(m..)?.strip_prefix(':')?;
    let code = s.get(1..s.len() - rest.len() - 1)?;
    Some((
        Header {
            code,
            facility,
            severity: sev,
            mnemonic,
        },
        rest,
    ))
}

/// The severity letters of Cisco's Small Business switches (`F`atal,
/// `A`lert, `C`ritical, `E`rror, `W`arning, `N`otice, `I`nformational,
/// `D`ebug) as syslog severities.
fn letter_severity(c: u8) -> Option<u8> {
    Some(match c {
        b'F' => 0,
        b'A' => 1,
        b'C' => 2,
        b'E' => 3,
        b'W' => 4,
        b'N' => 5,
        b'I' => 6,
        b'D' => 7,
        _ => return None,
    })
}

/// What came before the header: `seq: host: time: `.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Prefix<'a> {
    seq: Option<i64>,
    host: Option<&'a str>,
    time: Option<&'a str>,
}

/// Reads the parts of a prefix (the text before `: %`); `None` when a part
/// is neither a sequence number, a timestamp, an uptime nor a host name.
/// A second number (`123: router: 007439: ...`, a relay's count and the
/// device's) and an uptime (`2y10w`, `1d02h`, with `service timestamps
/// log uptime`) are skipped; a host and a time in one part (`host Aug 27
/// 21:40:50 PDT`) are both read.
fn prefix(p: &str) -> Option<Prefix<'_>> {
    let mut out = Prefix::default();
    let p = p.trim_start_matches([' ', ':']).trim_end();
    if p.is_empty() {
        return Some(out);
    }
    let is_host = |part: &str| {
        part.len() <= 255
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    };
    for (i, part) in colon_parts(p).enumerate() {
        let part = part.trim();
        if i >= MAX_PREFIX_PARTS || part.is_empty() {
            return None;
        }
        let number = part.len() <= 18 && part.bytes().all(|b| b.is_ascii_digit());
        if number && out.seq.is_none() && out.host.is_none() && out.time.is_none() {
            out.seq = part.parse().ok();
            out.seq?;
        } else if number && out.time.is_none() {
            // The device's own sequence number after a relay's.
        } else if out.time.is_none() && looks_like_time(part) {
            out.time = Some(part);
        } else if out.time.is_none() && uptime(part) {
            out.time = Some("*");
        } else if out.host.is_none() && out.time.is_none() && is_host(part) {
            out.host = Some(part);
        } else if let Some((host, time)) = super::split_once_byte(part, b' ').filter(|(h, t)| {
            out.host.is_none() && out.time.is_none() && is_host(h) && looks_like_time(t)
        }) {
            out.host = Some(host);
            out.time = Some(time);
        } else {
            return None;
        }
    }
    Some(out)
}

/// An uptime stamp: `2y10w`, `3w4d`, `1d02h` (digits, a unit letter, digits,
/// a unit letter).
fn uptime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = |c: Option<&u8>| matches!(c, Some(b'y' | b'w' | b'd' | b'h' | b'm'));
    let a = digits(b);
    if a == 0 || a > 4 || !unit(b.get(a)) {
        return false;
    }
    let rest = b.get(a + 1..).unwrap_or(&[]);
    let c = digits(rest);
    c > 0 && c <= 4 && unit(rest.get(c)) && rest.len() == c + 1
}

/// `p.split(": ")`, with a byte search instead of a substring searcher
/// built per call.
fn colon_parts(p: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(p);
    std::iter::from_fn(move || {
        let r = rest?;
        let b = r.as_bytes();
        let mut from = 0;
        while let Some(i) = b.get(from..).and_then(|t| memchr::memchr(b':', t)) {
            let at = from + i;
            if b.get(at + 1) == Some(&b' ') {
                rest = r.get(at + 2..);
                return r.get(..at);
            }
            from = at + 1;
        }
        rest = None;
        Some(r)
    })
}

/// Whether `s` is an IOS or NX-OS time (see [`parse_time`]) on a date
/// that exists (Feb 29 in some year): its shape only, no year worked out.
fn looks_like_time(s: &str) -> bool {
    let s = s.trim_start_matches(['*', '.']);
    stamp(s).is_some_and(|(st, _)| {
        // Without a year, a leap year: every month and day that exists.
        const LEAP: i32 = 2024;
        time::Date::from_calendar_date(st.year.unwrap_or(LEAP), st.month, st.day).is_ok()
    })
}

/// An IOS or NX-OS time (without its `*`/`.` marker), resolved near
/// `received`: `Mmm dd [yyyy ]hh:mm:ss[.fff][ TZ]` or
/// `yyyy Mmm dd hh:mm:ss[.fff][ TZ]`. Only `UTC`/`GMT` zones are known;
/// other names are read in the configured default zone.
fn parse_time(s: &str, received: time::OffsetDateTime) -> Option<time::OffsetDateTime> {
    let (stamp, offset) = stamp(s)?;
    stamp.resolve(received, offset)
}

/// The timestamp of [`parse_time`] and the zone it is in, unresolved.
fn stamp(s: &str) -> Option<(crate::timestamp::BsdStamp, UtcOffset)> {
    let b = s.as_bytes();
    let (year, s) = if b.len() > 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b' ' {
        (Some(s.get(..4)?.parse::<i32>().ok()?), s.get(5..)?)
    } else {
        (None, s)
    };
    let mut stamp = parse_bsd(s)?;
    if year.is_some() {
        if stamp.year.is_some() {
            return None;
        }
        stamp.year = year;
    }
    let zone = s.get(stamp.len..)?;
    let offset = match zone.strip_prefix(' ') {
        None if zone.is_empty() => crate::default_offset(),
        Some(z)
            if (1..=6).contains(&z.len())
                && z.bytes()
                    .all(|c| c.is_ascii_alphabetic() || c == b'+' || c == b'-') =>
        {
            if z.eq_ignore_ascii_case("UTC") || z.eq_ignore_ascii_case("GMT") {
                UtcOffset::UTC
            } else {
                crate::default_offset()
            }
        }
        _ => return None,
    };
    Some((stamp, offset))
}

/// The header in `text`, its prefix, and the offset of the message text.
fn header(text: &str) -> Option<(Header<'_>, Prefix<'_>, usize)> {
    let t = text.trim_start_matches(' ');
    if t.starts_with('%') {
        let (h, rest) = tag(t)?;
        let body = rest.trim_start_matches(' ');
        return Some((h, Prefix::default(), text.len() - body.len()));
    }
    let b = text.as_bytes();
    let head = b.get(..WINDOW).unwrap_or(b);
    let mut from = 0;
    while let Some(i) = head.get(from..).and_then(|h| HEADER_FINDER.find(h)) {
        let at = from + i;
        from = at + 3;
        let Some((h, rest)) = text.get(at + 2..).and_then(tag) else {
            continue;
        };
        let Some(p) = text.get(..at).and_then(prefix) else {
            continue;
        };
        let body = rest.trim_start_matches(' ');
        return Some((h, p, text.len() - body.len()));
    }
    None
}

fn detect(text: &str) -> bool {
    header(text).is_some()
}

fn claim(text: &str, ev: &mut Event) -> Option<Result<(), ParseError>> {
    let found = header(text)?;
    super::begin(ev, &FORMAT);
    set_observer(ev, &[]);
    Some(parse_found(text, found, ev))
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    set_observer(ev, &[]);
    let Some(found) = header(text) else {
        return Err(ParseError::expected(P, "%FACILITY-SEVERITY-MNEMONIC:", 0));
    };
    parse_found(text, found, ev)
}

/// Parses `text`, whose header [`header`] found.
fn parse_found(
    text: &str,
    (h, pre, at): (Header<'_>, Prefix<'_>, usize),
    ev: &mut Event,
) -> Result<(), ParseError> {
    // `host 123: *Nov 25 ...: %...` relayed as BSD syslog: the syslog
    // parser took the sequence number for the TAG.
    let tagged_seq = ev
        .get_str("process.name")
        .filter(|p| p.len() <= 18 && p.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|p| p.parse::<i64>().ok());
    if let Some(seq) = tagged_seq {
        ev.fields.remove("process.name");
        ev.set(key!("cisco.ios.sequence"), seq);
    }
    if let Some(seq) = pre.seq {
        ev.set(key!("cisco.ios.sequence"), seq);
    }
    if let Some(host) = pre.host {
        if ev.get_str("host.name").is_none() {
            ev.set(key!("host.name"), host);
        }
    }
    if let Some(t) = pre.time {
        if !t.starts_with('*') {
            if let Some(ts) = parse_time(t.trim_start_matches('.'), ev.received) {
                ev.timestamp = ts.to_offset(UtcOffset::UTC);
            }
        }
    }
    let body = text.get(at..).unwrap_or("");
    ev.set(key!("event.code"), h.code);
    ev.set(key!("cisco.ios.facility"), h.facility);
    ev.set(key!("cisco.ios.severity"), i64::from(h.severity));
    ev.set(key!("cisco.ios.mnemonic"), h.mnemonic);
    ev.set(key!("log.level"), SEVERITIES[usize::from(h.severity & 7)]);
    ev.set(key!("message"), body);
    ev.set(key!("event.kind"), "event");
    let ok = match (h.facility, h.mnemonic) {
        ("SEC_LOGIN", "LOGIN_SUCCESS") => login(body, ev, true),
        ("SEC_LOGIN", "LOGIN_FAILED") => login(body, ev, false),
        ("SYS", "CONFIG_I" | "CONFIG") => config(body, ev),
        ("PARSER", "CFGLOG_LOGGEDCMD") => logged_command(body, ev),
        ("LINK", "UPDOWN" | "CHANGED") | ("LINEPROTO", "UPDOWN") => updown(body, ev),
        (
            "SEC" | "FMANFP",
            "IPACCESSLOGP" | "IPACCESSLOGDP" | "IPACCESSLOGNP" | "IPACCESSLOGRP",
        )
        | ("IPV6_ACL" | "IPV6", "ACCESSLOGP" | "ACCESSLOGDP" | "ACCESSLOGNP" | "ACCESSLOGSP") => {
            acl(body, ev, true)
        }
        ("SEC" | "FMANFP", "IPACCESSLOGS") | ("IPV6_ACL" | "IPV6", "ACCESSLOGS") => {
            acl(body, ev, false)
        }
        ("SSH", "SSH2_USERAUTH") => ssh_userauth(body, ev),
        ("DOT1X" | "MAB" | "AUTHMGR", _) => port_auth(h.facility, h.mnemonic, body, ev),
        _ => Some(()),
    };
    ok.ok_or_else(|| ParseError::expected(P, "the documented text of the message", at))
}

fn set_observer(ev: &mut Event, services: &[&str]) {
    ev.logsource = LogSource::new(Some("cisco"), None, services);
    ev.set(key!("observer.vendor"), "Cisco");
    ev.set(key!("observer.product"), "IOS");
}

fn set_ip(ev: &mut Event, key: impl FieldName, ip: &str) -> Option<()> {
    if !super::is_ip(ip) {
        return None;
    }
    ev.set(key, ip);
    Some(())
}

fn set_port(ev: &mut Event, key: impl FieldName, port: &str) -> Option<()> {
    let n = port.parse::<u16>().ok()?;
    ev.set(key, i64::from(n));
    Some(())
}

fn authentication(ev: &mut Event, action: &str, success: bool) {
    ev.logsource = LogSource::new(Some("cisco"), None, &["aaa"]);
    ev.set(key!("event.category"), "authentication");
    ev.set(key!("event.action"), action);
    ev.set(key!("event.type"), if success { "start" } else { "info" });
    ev.set(
        key!("event.outcome"),
        if success { "success" } else { "failure" },
    );
}

/// The value of `[key: value]` in `s`.
fn bracketed<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let mut r = s;
    while let Some(i) = r.bytes().position(|c| c == b'[') {
        let inner = r.get(i + 1..)?;
        let end = inner.bytes().position(|c| c == b']')?;
        let item = inner.get(..end)?;
        if let Some((k, v)) = super::split_once_byte(item, b':') {
            if k.trim().eq_ignore_ascii_case(key) {
                return Some(v.trim());
            }
        }
        r = inner.get(end + 1..)?;
    }
    None
}

/// `Login Success [user: admin] [Source: 10.0.0.5] [localport: 22] at ...`
fn login(b: &str, ev: &mut Event, success: bool) -> Option<()> {
    authentication(ev, "login", success);
    let user = bracketed(b, "user")?;
    if !user.is_empty() {
        ev.set(key!("user.name"), user);
    }
    if let Some(src) = bracketed(b, "Source") {
        set_ip(ev, key!("source.ip"), src)?;
    }
    if let Some(port) = bracketed(b, "localport") {
        set_port(ev, key!("destination.port"), port)?;
    }
    if let Some(reason) = bracketed(b, "Reason").filter(|r| !r.is_empty()) {
        ev.set(key!("event.reason"), reason);
    }
    Some(())
}

/// `Configured from console by admin on vty0 (10.0.0.5)`
fn config(b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.action"), "config-change");
    ev.set(key!("event.category"), "configuration");
    ev.set(key!("event.type"), "change");
    let r = b.strip_prefix("Configured from ")?;
    let (from, r) = r.split_once(" by ")?;
    ev.set(key!("cisco.ios.config_source"), from);
    let r = r.trim_end_matches(['.', ' ']);
    let (user, r) = super::split_once_byte(r, b' ').unwrap_or((r, ""));
    if user.is_empty() {
        return None;
    }
    // `by console`: the console line, no user name.
    if user != "console" && user != "vty" {
        ev.set(key!("user.name"), user);
    }
    if let Some(r) = r.strip_prefix("on ") {
        let (line, r) = super::split_once_byte(r, b' ').unwrap_or((r, ""));
        ev.set(key!("cisco.ios.line"), line);
        if let Some(ip) = r.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
            // Not always an address: `(console)` on some releases.
            if set_ip(ev, key!("source.ip"), ip).is_none() {
                ev.set(key!("source.address"), ip);
            }
        }
    }
    Some(())
}

/// `User:admin  logged command:no logging host 10.0.0.1`
fn logged_command(b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.action"), "command-logged");
    ev.set(key!("event.category"), "configuration");
    ev.set(key!("event.type"), "change");
    let r = b.strip_prefix("User:")?;
    let (user, r) = super::split_once_byte(r, b' ')?;
    if !user.is_empty() {
        ev.set(key!("user.name"), user);
    }
    // Some releases write `location :vty0 ` before `logged command:`.
    let (_, cmd) = r.split_once("logged command:")?;
    ev.set(key!("process.command_line"), cmd.trim());
    Some(())
}

/// `[Line protocol on ]Interface Gi0/1, changed state to down`
fn updown(b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.action"), "state-change");
    let r = b.strip_prefix("Line protocol on ").unwrap_or(b);
    let r = r.strip_prefix("Interface ")?;
    let (iface, state) = r.split_once(", changed state to ")?;
    if iface.is_empty() || iface.contains(' ') {
        return None;
    }
    ev.set(key!("interface.name"), iface);
    ev.set(key!("cisco.ios.state"), state.trim_end_matches(['.', ' ']));
    Some(())
}

/// `ip(port)` or `ip`, with an optional trailing comma.
fn acl_ep(s: &str) -> Option<(&str, Option<&str>)> {
    let s = s.trim_end_matches(',');
    match super::split_once_byte(s, b'(') {
        Some((ip, port)) => Some((ip, Some(port.strip_suffix(')')?))),
        None => Some((s, None)),
    }
}

/// `list 101 denied tcp 10.0.0.5(51234) [(Gi0/1 0011.2233.4455)] ->
/// 203.0.113.9(22), 1 packet` and the ICMP, protocol-number and standard
/// list forms.
fn acl(b: &str, ev: &mut Event, extended: bool) -> Option<()> {
    ev.logsource = LogSource::new(Some("cisco"), Some("firewall"), &[]);
    ev.set(key!("event.category"), "network");
    // IOS-XE's forwarding manager writes `F0/0: fman_fp_image: list ...`.
    let r = match b.strip_prefix("list ") {
        Some(r) => r,
        None => {
            let head = b.get(..b.len().min(64)).unwrap_or(b);
            let at = memmem::find(head.as_bytes(), b" list ")?;
            b.get(at + 6..)?
        }
    };
    let (list, r) = super::split_once_byte(r, b' ')?;
    ev.set(key!("rule.name"), list);
    let (verdict, r) = super::split_once_byte(r, b' ')?;
    match verdict {
        "denied" => {
            ev.set(key!("event.action"), "denied");
            ev.set(key!("event.type"), "denied");
            ev.set(key!("event.outcome"), "failure");
        }
        "permitted" => {
            ev.set(key!("event.action"), "permitted");
            ev.set(key!("event.type"), "allowed");
            ev.set(key!("event.outcome"), "success");
        }
        _ => return None,
    }
    let mut words = super::split_byte(r, b' ').filter(|w| !w.is_empty());
    if extended {
        let proto = words.next()?;
        ev.set(
            key!("network.transport"),
            super::transport_name(proto).as_ref(),
        );
    }
    let mut w = words.next()?;
    // IOS-XE puts the source MAC first: `00-00-5E-00-53-23 198.51.100.10(56279)`.
    if w.len() == 17 && w.as_bytes()[2] == b'-' {
        super::fortigate::set_mac(ev, key!("source.mac"), w);
        w = words.next()?;
    }
    let (ip, port) = acl_ep(w)?;
    set_ip(ev, key!("source.ip"), ip)?;
    if let Some(p) = port {
        set_port(ev, key!("source.port"), p)?;
    }
    w = words.next()?;
    // `(GigabitEthernet0/1 0011.2233.4455)` with `log-input`.
    if let Some(iface) = w.strip_prefix('(') {
        let iface = iface.trim_end_matches([')', ',']);
        if !iface.is_empty() {
            ev.set(key!("observer.ingress.interface.name"), iface);
        }
        if !w.ends_with(')') && !w.ends_with("),") {
            let mac = words.next()?;
            if let Some(m) = dotted_mac(mac.trim_end_matches([')', ','])) {
                ev.set(key!("source.mac"), m);
            }
        }
        w = words.next()?;
    }
    if extended {
        // IOS-XE: `TenGigabitEthernet0/1/1->`, the ingress interface.
        if let Some(iface) = w.strip_suffix("->").filter(|i| !i.is_empty()) {
            ev.set(key!("observer.ingress.interface.name"), iface);
        } else if w != "->" {
            return None;
        }
        let (ip, port) = acl_ep(words.next()?)?;
        set_ip(ev, key!("destination.ip"), ip)?;
        if let Some(p) = port {
            set_port(ev, key!("destination.port"), p)?;
        }
        w = words.next()?;
        // ICMP `(8/0),`.
        if let Some(tc) = w.strip_prefix('(') {
            let tc = tc.trim_end_matches([')', ',']);
            let (t, c) = super::split_once_byte(tc, b'/')?;
            ev.set(
                key!("cisco.ios.icmp_type"),
                i64::from(t.parse::<u8>().ok()?),
            );
            ev.set(
                key!("cisco.ios.icmp_code"),
                i64::from(c.parse::<u8>().ok()?),
            );
            w = words.next()?;
        }
    }
    if w.len() > 18 || !w.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    ev.set(key!("network.packets"), w.parse::<i64>().ok()?);
    Some(())
}

/// Cisco's `0011.2233.4455` as ECS `00-11-22-33-44-55`.
fn dotted_mac(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() != 14 || b[4] != b'.' || b[9] != b'.' {
        return None;
    }
    let hex: Vec<u8> = b.iter().copied().filter(|c| *c != b'.').collect();
    if hex.len() != 12 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = String::with_capacity(17);
    for (i, c) in hex.iter().enumerate() {
        if i > 0 && i % 2 == 0 {
            out.push('-');
        }
        out.push(char::from(c.to_ascii_uppercase()));
    }
    Some(out)
}

/// `User 'admin' authentication for SSH2 Session from 10.0.0.5 (tty = 0)
/// using crypto cipher 'aes256-ctr', hmac 'hmac-sha2-256' Succeeded`
fn ssh_userauth(b: &str, ev: &mut Event) -> Option<()> {
    let r = b.strip_prefix("User '")?;
    let (user, r) = r.split_once('\'')?;
    let success = if b.trim_end().ends_with("Succeeded") {
        true
    } else if b.trim_end().ends_with("Failed") {
        false
    } else {
        authentication(ev, "ssh-login", false);
        ev.fields.remove("event.outcome");
        ev.set(key!("user.name"), user);
        return None;
    };
    authentication(ev, "ssh-login", success);
    ev.set(key!("network.protocol"), "ssh");
    if !user.is_empty() {
        ev.set(key!("user.name"), user);
    }
    let r = r.strip_prefix(" authentication for SSH2 Session from ")?;
    let ip = super::split_byte(r, b' ').next()?;
    set_ip(ev, key!("source.ip"), ip)?;
    Some(())
}

/// 802.1X, MAB and the authentication manager: `... for client
/// (0011.2233.4455) on Interface Gi1/0/1 AuditSessionID 0A0A...`.
fn port_auth(facility: &str, mnemonic: &str, b: &str, ev: &mut Event) -> Option<()> {
    match mnemonic {
        "SUCCESS" | "AUTHZSUCCESS" => authentication(ev, "port-authentication", true),
        "FAIL" | "AUTHZFAIL" | "SECURITY_VIOLATION" => {
            authentication(ev, "port-authentication", false)
        }
        _ => {
            ev.logsource = LogSource::new(Some("cisco"), None, &["aaa"]);
            ev.set(key!("event.category"), "authentication");
            ev.set(key!("event.action"), mnemonic.to_ascii_lowercase());
        }
    }
    if facility != "AUTHMGR" {
        ev.set(key!("cisco.ios.auth_method"), facility.to_ascii_lowercase());
    }
    if let Some((_, r)) = b.split_once("client (") {
        let (mac, _) = super::split_once_byte(r, b')')?;
        match dotted_mac(mac) {
            Some(m) => ev.set(key!("source.mac"), m),
            None if mac != "unknown" && !mac.is_empty() => ev.set(key!("user.name"), mac),
            None => {}
        }
    }
    if let Some((_, r)) = b.split_once(" on Interface ") {
        let iface = super::split_byte(r, b' ').next().unwrap_or("");
        if !iface.is_empty() {
            ev.set(key!("interface.name"), iface);
        }
    }
    if let Some((_, r)) = b.split_once("AuditSessionID ") {
        let id = super::split_byte(r, b' ').next().unwrap_or("");
        if !id.is_empty() {
            ev.set(key!("cisco.ios.audit_session_id"), id);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;
    use vedette_model::{FieldValue, Origin};

    fn ev() -> Event {
        Event::raw(
            1,
            datetime!(2026-11-25 03:00:00 UTC),
            Origin::new("t", None),
            b"",
        )
    }

    fn run(text: &str) -> (Event, Result<(), ParseError>) {
        let mut e = ev();
        assert!(detect(text), "{text}");
        let r = parse(text, &mut e);
        (e, r)
    }

    fn s<'a>(e: &'a Event, k: &str) -> Option<&'a str> {
        e.get_str(k)
    }

    fn i(e: &Event, k: &str) -> Option<i64> {
        match e.get(k) {
            Some(FieldValue::Int(n)) => Some(*n),
            _ => None,
        }
    }

    #[test]
    fn prefixes() {
        // A relay's count, the host, the device's own count and an uptime.
        let p = prefix("7433: edge1: 007439: 2y10w").unwrap();
        assert_eq!(
            (p.seq, p.host, p.time),
            (Some(7433), Some("edge1"), Some("*"))
        );
        // A host and a time in one part.
        let p = prefix(": sw3 Aug 27 21:40:50 PDT").unwrap();
        assert_eq!((p.host, p.time), (Some("sw3"), Some("Aug 27 21:40:50 PDT")));
        assert!(uptime("1d02h") && uptime("3w4d") && !uptime("1d") && !uptime("12345"));
        assert!(prefix("12: Nov 25 10:00:00: 13").is_none());
        assert!(prefix("hello world: x").is_none());
    }

    #[test]
    fn headers() {
        let (h, rest) = tag("%SYS-5-CONFIG_I: x").unwrap();
        assert_eq!(
            h,
            Header {
                code: "SYS-5-CONFIG_I",
                facility: "SYS",
                severity: 5,
                mnemonic: "CONFIG_I"
            }
        );
        assert_eq!(rest, " x");
        // Sub-facilities, and the letter severities of Small Business switches.
        let (h, _) = tag("%PIM-SW1-6-INVALID_RP_JOIN: x").unwrap();
        assert_eq!((h.facility, h.severity), ("PIM-SW1", 6));
        let (h, _) = tag("%HAL_config_poe-A-POEFailDetected: x").unwrap();
        assert_eq!(
            (h.code, h.severity),
            ("HAL_config_poe-A-POEFailDetected", 1)
        );
        assert!(tag("%SNMP-X-AUTHFAIL: x").is_none());
        assert!(tag("%A-B-C-D-5-X: x").is_none());
        assert!(tag("%ASA-6-302013: x").is_none());
        assert!(tag("%FTD-6-302013: x").is_none());
        assert!(tag("%SYS-8-CONFIG_I: x").is_none());
        assert!(tag("%SYS-5-CONFIG_I x").is_none());
        assert!(tag("%sys-5-CONFIG_I: x").is_none());
        assert!(tag("%SYS-5-: x").is_none());
        assert!(tag("%-5-X: x").is_none());
        assert!(!detect("hello %SYS-5-CONFIG_I: x"));
        assert!(!detect("user: a: b: c: d: e: %SYS-5-CONFIG_I: x"));
        assert!(!detect("%ASA-4-106023: Deny"));
        assert!(!detect(""));
        assert!(!detect("%"));
        assert!(detect("123: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: x"));
        assert!(detect(
            "45: router01: *Nov 25 10:00:00.123 ICT: %LINK-3-UPDOWN: x"
        ));
        assert!(detect(": 2026 Nov 25 10:00:00 UTC: %ETHPORT-5-IF_UP: x"));
        assert!(detect("*Nov 25 10:00:00.123: %SYS-5-CONFIG_I: x"));
    }

    #[test]
    fn colon_parts_split_as_str_split() {
        for p in [
            "",
            "a",
            "a: b",
            "a: : b",
            "10:00:00: x",
            ": a",
            "a: ",
            "a:b: c:d",
        ] {
            let want: Vec<_> = p.split(": ").collect();
            assert_eq!(colon_parts(p).collect::<Vec<_>>(), want, "{p:?}");
        }
    }

    #[test]
    fn prefix_time_and_sequence() {
        let (e, r) = run("45: router01: Nov 25 03:00:00.250 UTC: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down");
        assert_eq!(r, Ok(()));
        assert_eq!(i(&e, "cisco.ios.sequence"), Some(45));
        assert_eq!(s(&e, "host.name"), Some("router01"));
        assert_eq!(e.timestamp, datetime!(2026-11-25 03:00:00.25 UTC));
        // Not authoritative: the receive time stays.
        let (e, _) =
            run("7: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured from console by console");
        assert_eq!(e.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(s(&e, "user.name"), None);
        // NX-OS, local zone name.
        let (e, _) =
            run(": 2026 Nov 25 10:00:00 ICT: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up");
        assert_eq!(e.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(s(&e, "event.code"), Some("ETHPORT-5-IF_UP"));
    }

    #[test]
    fn logins() {
        let (e, r) = run("%SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: x] [Source: 10.0.0.5] [localport: 22] [Reason: Login Authentication Failed] at 10:00:00 UTC Wed Nov 25 2026");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "user.name"), Some("x"));
        assert_eq!(s(&e, "source.ip"), Some("10.0.0.5"));
        assert_eq!(i(&e, "destination.port"), Some(22));
        assert_eq!(s(&e, "event.outcome"), Some("failure"));
        assert_eq!(s(&e, "event.reason"), Some("Login Authentication Failed"));
        assert!(e.logsource.admits(Some("cisco"), None, Some("aaa")));
        let (e, r) = run("%SSH-5-SSH2_USERAUTH: User 'admin' authentication for SSH2 Session from 10.0.0.5 (tty = 0) using crypto cipher 'aes256-ctr', hmac 'hmac-sha2-256' Succeeded");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "user.name"), Some("admin"));
        assert_eq!(s(&e, "event.outcome"), Some("success"));
        assert_eq!(s(&e, "source.ip"), Some("10.0.0.5"));
    }

    #[test]
    fn commands_and_config() {
        let (e, r) =
            run("%PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:no logging host 10.0.0.1");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "user.name"), Some("admin"));
        assert_eq!(
            s(&e, "process.command_line"),
            Some("no logging host 10.0.0.1")
        );
        let (e, r) = run("%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.5)");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "user.name"), Some("admin"));
        assert_eq!(s(&e, "source.ip"), Some("10.0.0.5"));
        assert_eq!(s(&e, "cisco.ios.line"), Some("vty0"));
    }

    #[test]
    fn access_lists() {
        let (e, r) = run(
            "%SEC-6-IPACCESSLOGP: list 101 denied tcp 10.0.0.5(51234) -> 203.0.113.9(22), 1 packet",
        );
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "rule.name"), Some("101"));
        assert_eq!(i(&e, "source.port"), Some(51234));
        assert_eq!(i(&e, "destination.port"), Some(22));
        assert_eq!(i(&e, "network.packets"), Some(1));
        let (e, r) = run("%SEC-6-IPACCESSLOGDP: list OUTSIDE permitted icmp 10.0.0.5 (GigabitEthernet0/1 0011.2233.4455) -> 8.8.8.8 (8/0), 5 packets");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "source.mac"), Some("00-11-22-33-44-55"));
        assert_eq!(i(&e, "cisco.ios.icmp_type"), Some(8));
        assert_eq!(i(&e, "network.packets"), Some(5));
        assert_eq!(s(&e, "event.outcome"), Some("success"));
        let (e, r) = run("%SEC-6-IPACCESSLOGS: list 10 denied 192.0.2.7 3 packets");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "source.ip"), Some("192.0.2.7"));
        assert_eq!(i(&e, "network.packets"), Some(3));
        let (e, r) = run("%SEC-6-IPACCESSLOGP: list 101 denied tcp bogus(1) -> x, 1 packet");
        assert!(r.is_err());
        assert_eq!(s(&e, "event.code"), Some("SEC-6-IPACCESSLOGP"));
    }

    #[test]
    fn interfaces_and_dot1x() {
        let (e, r) = run("%LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet0/1, changed state to up");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "interface.name"), Some("GigabitEthernet0/1"));
        assert_eq!(s(&e, "cisco.ios.state"), Some("up"));
        let (e, r) = run("%DOT1X-5-FAIL: Authentication failed for client (0011.2233.4455) on Interface Gi1/0/1 AuditSessionID 0A0A0A0A000000120003C2E1");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "event.outcome"), Some("failure"));
        assert_eq!(s(&e, "interface.name"), Some("Gi1/0/1"));
        assert_eq!(s(&e, "source.mac"), Some("00-11-22-33-44-55"));
    }

    #[test]
    fn sequence_as_tag() {
        let mut e = ev();
        e.set(key!("process.name"), "123");
        let t = "*Nov 25 10:00:00.123: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.5)";
        assert_eq!(parse(t, &mut e), Ok(()));
        assert_eq!(s(&e, "process.name"), None);
        assert_eq!(i(&e, "cisco.ios.sequence"), Some(123));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}", t in "[A-Za-z0-9_ ().:>,'\\[\\]/-]{0,100}") {
            for text in [
                s.as_str(),
                t.as_str(),
                &format!("%SEC-6-IPACCESSLOGP: list {t}"),
                &format!("%SEC_LOGIN-5-LOGIN_SUCCESS: {t}"),
                &format!("%DOT1X-5-FAIL: {t}"),
                &format!("%SYS-5-CONFIG_I: {t}"),
                &format!("%SSH-5-SSH2_USERAUTH: {t}"),
                &format!("{t}: %LINK-3-UPDOWN: {s}"),
            ] {
                let mut e = ev();
                let _ = detect(text);
                let _ = parse(text, &mut e);
            }
        }
    }
}
