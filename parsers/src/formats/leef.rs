//! IBM QRadar Log Event Extended Format:
//! `LEEF:1.0|Vendor|Product|Version|EventID|` then TAB-separated
//! `key=value` attributes, and
//! `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|` where the delimiter
//! is one character or its hex code (`x09`, `0x5E`); without it, TAB.
//!
//! A TAB that rsyslog escaped on receipt (`#011`) still separates
//! attributes; a LEEF 1.0 record without TAB whose attributes are separated
//! by `|` (PAN-OS's LEEF syslog format) is read with `|`. Every attribute is kept under `leef.<key>` and the
//! predefined ones (`src`, `dst`, `srcPort`, `usrName`, `sev`, `cat`,
//! `devTime` with `devTimeFormat`, ...) are mapped to ECS fields.

use vedette_model::{Event, LogSource};

use super::cef::{
    cap, product_name, rule_label, set_category, set_int, set_ip, set_mac, set_outcome, set_port,
    set_transport, simple_date, stamp, MAX_PAIRS,
};
use crate::ParseError;

const P: &str = "leef";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "leef",
    fields: 40,
    first: |b| matches!(b, b' ' | b'L'),
    open: |_| false,
    needs: b"",
    gate: None,
    detect,
    parse,
    claim: None,
};

fn detect(text: &str) -> bool {
    text.trim_start_matches(' ').starts_with("LEEF:")
}

const HEADER: [(&str, &str); 5] = [
    ("leef.version", "'|' after the LEEF version"),
    ("leef.vendor", "'|' after Vendor"),
    ("leef.product", "'|' after Product"),
    ("leef.product_version", "'|' after Version"),
    ("leef.event_id", "'|' after EventID"),
];

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let b = text.as_bytes();
    let lead = b.iter().take_while(|&&c| c == b' ').count();
    let mut at = lead + 5;
    if text.get(lead..at) != Some("LEEF:") {
        return Err(ParseError::expected(P, "\"LEEF:\"", lead));
    }
    ev.set(key!("event.kind"), "event");
    let mut version2 = false;
    for (i, (key, what)) in HEADER.iter().enumerate() {
        let end = match memchr::memchr(b'|', b.get(at..).unwrap_or(&[])) {
            Some(off) => at + off,
            // An event id that ends the record: no attributes.
            None if i == 4 && at <= b.len() => b.len(),
            None => return Err(ParseError::expected(P, what, b.len())),
        };
        let value = text.get(at..end).unwrap_or("");
        if i == 0 {
            let major = value.split('.').next().unwrap_or("");
            if major.is_empty() || !value.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
                return Err(ParseError::expected(P, "a LEEF version", at));
            }
            version2 = major != "1";
        }
        header(ev, i, key, value);
        at = end + 1;
    }
    let mut rest = text.get(at..).unwrap_or("");
    let mut delim = String::from("\t");
    if version2 {
        if let Some((d, after)) = rest.split_once('|') {
            if d.is_empty() {
                rest = after;
            } else if let Some(c) = delimiter(d) {
                ev.set(key!("leef.delimiter"), d);
                delim = c.to_string();
                rest = after;
            }
        }
    }
    let base = text.len() - rest.len();
    if delim == "\t" && !rest.contains('\t') {
        if rest.contains("#011") {
            delim = String::from("#011");
        } else if !version2 && piped(rest) {
            // LEEF 1.0 as PAN-OS's and other custom syslog formats write
            // it: the attributes separated by `|` like the header.
            delim = String::from("|");
        }
    }
    attributes(rest, &delim, base, ev)
}

/// Whether TAB-less attributes are separated by `|`: the first two pieces
/// between `|` both start with `key=`. (A single TAB-separated attribute
/// whose value holds `|key=` reads the same; no record was seen to.)
fn piped(rest: &str) -> bool {
    let is_attr = |p: &str| {
        p.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        })
    };
    let mut pieces = rest.splitn(3, '|');
    matches!((pieces.next(), pieces.next()), (Some(a), Some(b)) if is_attr(a) && is_attr(b))
}

/// A LEEF 2.0 delimiter: one character, or `xHH` / `0xHH` (up to 4 hex
/// digits).
fn delimiter(d: &str) -> Option<char> {
    let mut chars = d.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(c);
    }
    let hex = d
        .strip_prefix("0x")
        .or_else(|| d.strip_prefix("0X"))
        .or_else(|| d.strip_prefix('x'))
        .or_else(|| d.strip_prefix('X'))?;
    if hex.is_empty() || hex.len() > 4 {
        return None;
    }
    char::from_u32(u32::from_str_radix(hex, 16).ok()?).filter(|&c| c != '\0')
}

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
        _ => {}
    }
}

/// Parses the attributes (which start at byte `base` of the text).
fn attributes(rest: &str, delim: &str, base: usize, ev: &mut Event) -> Result<(), ParseError> {
    let mut err = None;
    let mut taken = 0;
    let mut dev_time = None;
    let mut dev_time_format = None;
    let mut key_buf = String::new();
    let mut offset = base;
    for item in pieces(rest, delim) {
        let item_at = offset;
        offset += item.len() + delim.len();
        if item.trim_ascii().is_empty() {
            continue;
        }
        let Some((key, value)) =
            super::split_once_byte(item, b'=').map(|(k, v)| (k.trim_ascii(), cap(v)))
        else {
            err.get_or_insert(ParseError::expected(P, "attribute key=value", item_at));
            continue;
        };
        if key.is_empty() {
            err.get_or_insert(ParseError::expected(P, "attribute key", item_at));
            continue;
        }
        key_buf.clear();
        key_buf.push_str("leef.");
        key_buf.push_str(key);
        ev.set(&key_buf, value);
        match key {
            "devTime" => dev_time = Some(value),
            "devTimeFormat" => dev_time_format = Some(value),
            _ => standard(ev, key, value),
        }
        taken += 1;
        if taken == MAX_PAIRS {
            break;
        }
    }
    if let Some(t) = dev_time {
        let t = match dev_time_format {
            Some(f) if !t.trim().bytes().all(|c| c.is_ascii_digit()) => {
                simple_date(f.trim(), t, ev.received)
            }
            _ => stamp(t, ev.received),
        };
        if let Some(t) = t {
            ev.timestamp = t;
        }
    }
    err.map_or(Ok(()), Err)
}

/// `rest.split(delim)`, by a byte loop for the usual one-byte delimiter
/// (std's substring searcher was a third of a record's parse).
fn pieces<'a>(rest: &'a str, delim: &'a str) -> impl Iterator<Item = &'a str> {
    let mut rest = Some(rest);
    std::iter::from_fn(move || {
        let r = rest?;
        let at = match delim.as_bytes() {
            [d] => r.bytes().position(|b| b == *d),
            _ => r.find(delim),
        };
        match at {
            Some(i) => {
                rest = r.get(i + delim.len()..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Maps a predefined (or common) LEEF attribute to ECS.
fn standard(ev: &mut Event, key: &str, v: &str) {
    let v = v.trim_ascii();
    if v.is_empty() {
        return;
    }
    match key {
        "src" => set_ip(ev, key!("source.ip"), v),
        "dst" => set_ip(ev, key!("destination.ip"), v),
        "srcPort" => set_port(ev, key!("source.port"), v),
        "dstPort" => set_port(ev, key!("destination.port"), v),
        "srcPostNAT" => set_ip(ev, key!("source.nat.ip"), v),
        "dstPostNAT" => set_ip(ev, key!("destination.nat.ip"), v),
        "srcPostNATPort" => set_port(ev, key!("source.nat.port"), v),
        "dstPostNATPort" => set_port(ev, key!("destination.nat.port"), v),
        "proto" => set_transport(ev, v),
        "usrName" => ev.set(key!("user.name"), v),
        "accountName" if ev.get("user.name").is_none() => ev.set(key!("user.name"), v),
        "domain" => ev.set(key!("user.domain"), v),
        "sev" => {
            if let Ok(n) = v.parse::<i64>() {
                if (0..=10).contains(&n) {
                    ev.set(key!("event.severity"), n);
                }
            }
        }
        "cat" => set_category(ev, v),
        "srcBytes" => set_int(ev, "source.bytes", v),
        "dstBytes" => set_int(ev, "destination.bytes", v),
        "srcPackets" => set_int(ev, "source.packets", v),
        "dstPackets" => set_int(ev, "destination.packets", v),
        "totalPackets" => set_int(ev, "network.packets", v),
        "srcMAC" => set_mac(ev, key!("source.mac"), v),
        "dstMAC" => set_mac(ev, key!("destination.mac"), v),
        "url" => ev.set(key!("url.original"), v),
        "action" => {
            ev.set(key!("event.action"), v);
            // A firewall's verdict (`deny`, `allow`, `drop`, ...) is also the
            // outcome, unless the record states one.
            if ev.get("event.outcome").is_none() {
                super::fortigate::set_verdict(ev, super::fortigate::verdict(v));
            }
        }
        "outcome" | "result" => set_outcome(ev, v),
        "msg" => ev.set(key!("message"), v),
        "reason" => ev.set(key!("event.reason"), v),
        "identHostName" => ev.set(key!("host.hostname"), v),
        "policy" | "ruleName" | "RuleName" => rule_label(ev, "rule", v),
        "ruleId" | "ruleID" | "policyId" => rule_label(ev, "ruleid", v),
        "isLoginEvent" if v.eq_ignore_ascii_case("true") => {
            ev.set(key!("event.category"), "authentication");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::OffsetDateTime;
    use vedette_model::{FieldValue, Origin};

    const RECEIVED: OffsetDateTime = datetime!(2026-11-25 03:00:00 UTC);

    fn run(text: &str) -> (Event, Result<(), ParseError>) {
        let mut e = Event::raw(1, RECEIVED, Origin::new("test", None), b"");
        let r = parse(text, &mut e);
        (e, r)
    }

    #[test]
    fn detects() {
        assert!(detect("LEEF:1.0|a|b|c|d|"));
        assert!(detect(" LEEF:2.0|"));
        assert!(!detect("CEF:0|"));
        assert!(!detect("LEEF"));
    }

    #[test]
    fn leef1() {
        let (e, r) = run("LEEF:1.0|Microsoft|MSExchange|2013 SP1|15345|src=10.50.1.1\tdst=2.10.20.20\tspt=1200\tsrcPort=1200\tdstPort=443\tproto=TCP\tusrName=alice\tsev=5\tdevTime=Nov 25 2026 10:00:00 GMT+07:00");
        assert_eq!(r, Ok(()));
        assert_eq!(e.get_str("observer.vendor"), Some("Microsoft"));
        assert_eq!(e.get_str("observer.version"), Some("2013 SP1"));
        assert_eq!(e.get_str("event.code"), Some("15345"));
        assert_eq!(e.get_str("source.ip"), Some("10.50.1.1"));
        assert_eq!(e.get("destination.port"), Some(&FieldValue::Int(443)));
        assert_eq!(e.get_str("network.transport"), Some("tcp"));
        assert_eq!(e.get_str("user.name"), Some("alice"));
        assert_eq!(e.get("event.severity"), Some(&FieldValue::Int(5)));
        assert_eq!(e.get_str("leef.spt"), Some("1200"));
        assert_eq!(e.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(e.logsource.product.as_deref(), Some("msexchange"));
    }

    #[test]
    fn leef2_delimiters() {
        for (d, sep) in [("^", "^"), ("x5E", "^"), ("0x5e", "^"), ("x09", "\t")] {
            let (e, r) = run(&format!(
                "LEEF:2.0|Lancope|StealthWatch|1.0|41|{d}|src=10.0.1.8{sep}dst=10.0.0.5{sep}sev=5{sep}devTime=2026-11-25T10:00:00.000+07:00{sep}devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
            ));
            assert_eq!(r, Ok(()), "{d}");
            assert_eq!(e.get_str("destination.ip"), Some("10.0.0.5"), "{d}");
            assert_eq!(e.timestamp, datetime!(2026-11-25 03:00:00 UTC), "{d}");
        }
        // Without a delimiter field: TAB.
        let (e, r) = run("LEEF:2.0|V|P|1|E|src=1.2.3.4\tdst=5.6.7.8");
        assert_eq!(r, Ok(()));
        assert_eq!(e.get_str("destination.ip"), Some("5.6.7.8"));
        // rsyslog's escaped TAB.
        let (e, r) = run("LEEF:1.0|V|P|1|E|src=1.2.3.4#011dst=5.6.7.8");
        assert_eq!(r, Ok(()));
        assert_eq!(e.get_str("destination.ip"), Some("5.6.7.8"));
        // PAN-OS: `|` between attributes too; a `|` inside a TAB-separated
        // value does not make it the delimiter.
        let (e, r) = run("LEEF:1.0|V|P|1|E|cat=TRAFFIC|src=1.2.3.4|dst=5.6.7.8|usrName=");
        assert_eq!(r, Ok(()));
        assert_eq!(e.get_str("destination.ip"), Some("5.6.7.8"));
        assert_eq!(e.get_str("leef.cat"), Some("TRAFFIC"));
        let (e, _) = run("LEEF:1.0|V|P|1|E|msg=a|b\tsrc=1.2.3.4");
        assert_eq!(e.get_str("leef.msg"), Some("a|b"));
    }

    #[test]
    fn broken_records_keep_what_parsed() {
        let (e, r) = run("LEEF:1.0|V|P");
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("leef: expected '|' after Product at byte 12".into())
        );
        assert_eq!(e.get_str("observer.vendor"), Some("V"));
        let (e, r) = run("LEEF:1.0|V|P|1|E|src=1.2.3.4\tnonsense\tdst=5.6.7.8");
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("leef: expected attribute key=value at byte 29".into())
        );
        assert_eq!(e.get_str("destination.ip"), Some("5.6.7.8"));
        let (_, r) = run("LEEF:abc|V|P|1|E|");
        assert!(r.is_err());
        let (e, r) = run("LEEF:1.0|V|P|1|E");
        assert_eq!(r, Ok(()));
        assert_eq!(e.get_str("event.code"), Some("E"));
    }

    #[test]
    fn hostile_inputs() {
        let mb = 1 << 20;
        for filler in ["=", "\t", "|", "a=b\t", "#011"] {
            let _ = run(&format!("LEEF:2.0|{}", filler.repeat(mb / filler.len())));
            let _ = run(&format!(
                "LEEF:1.0|a|b|c|d|{}",
                filler.repeat(mb / filler.len())
            ));
        }
    }
}
