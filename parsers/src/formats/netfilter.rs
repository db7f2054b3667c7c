//! Linux netfilter `LOG` target lines (iptables, nftables, UFW) as the
//! kernel writes them: `[ts] [prefix ]IN=eth0 OUT= MAC=... SRC=... DST=...
//! LEN=60 ... PROTO=TCP SPT=40000 DPT=22 WINDOW=... RES=0x00 SYN URGP=0`.
//!
//! Words are split on spaces; `KEY=VALUE` words become fields, bare words
//! are IP flags (`DF`, `MF`, `CE`) before `PROTO=` and TCP flags after it.
//! An ICMP error's quoted packet (`[SRC=... ]`) is not read.

/// Built once: constructing a searcher per record costs more than the search.
static IN_FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"IN="));

use vedette_model::{Event, LogSource, Text};

use super::{split_byte, split_once_byte};

use crate::ParseError;

const P: &str = "netfilter";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "netfilter",
    fields: 48,
    first: |_| true,
    open: |_| false,
    needs: b"=",
    gate: None,
    detect,
    parse,
    claim: None,
};

/// How far into the text `IN=` is looked for.
const WINDOW: usize = 200;

/// Where `IN=` starts: at the start of the text or after a space or `]`,
/// within the first bytes, and followed by ` OUT=`.
fn find_in(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let head = b.get(..WINDOW).unwrap_or(b);
    let mut from = 0;
    while let Some(i) = head.get(from..).and_then(|h| IN_FINDER.find(h)) {
        let at = from + i;
        from = at + 3;
        let before = at.checked_sub(1).and_then(|j| b.get(j));
        if !matches!(before, None | Some(b' ' | b']')) {
            continue;
        }
        // `IN=` then the interface (no spaces) then ` OUT=`.
        let rest = b.get(at + 3..)?;
        let n = rest.iter().take(64).take_while(|&&c| c != b' ').count();
        if rest.get(n..).is_some_and(|r| r.starts_with(b" OUT=")) {
            return Some(at);
        }
    }
    None
}

fn detect(text: &str) -> bool {
    find_in(text).is_some()
}

/// The log prefix in `s` (what comes before `IN=`), without a leading
/// kernel timestamp, brackets and a trailing colon.
fn prefix(s: &str) -> &str {
    let mut p = s.trim();
    if let Some(r) = p.strip_prefix('[') {
        if let Some((ts, rest)) = split_once_byte(r, b']') {
            if ts
                .bytes()
                .all(|c| c.is_ascii_digit() || c == b'.' || c == b' ')
            {
                p = rest.trim();
            }
        }
    }
    let p = p.trim_end_matches(':').trim();
    match p.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        Some(inner) => inner.trim(),
        None => p,
    }
}

/// `aa:bb:cc:dd:ee:ff` as ECS writes MAC addresses: `AA-BB-CC-DD-EE-FF`.
fn ecs_mac(octets: &[&str]) -> Option<Text> {
    let mut out = Text::default();
    for (i, o) in octets.iter().enumerate() {
        if o.len() != 2 || !o.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        if i > 0 {
            out.push('-');
        }
        out.extend(o.chars().map(|c| c.to_ascii_uppercase()));
    }
    Some(out)
}

/// `MAC=dst:src:type` (14 octets) into `destination.mac` and `source.mac`.
fn set_mac(ev: &mut Event, v: &str) {
    if v.is_empty() {
        return;
    }
    let mut octets = [""; 14];
    let mut n = 0;
    for o in split_byte(v, b':') {
        match octets.get_mut(n) {
            Some(slot) => *slot = o,
            None => return,
        }
        n += 1;
    }
    if n == 14 {
        if let Some(d) = ecs_mac(&octets[..6]) {
            ev.set(key!("destination.mac"), d);
        }
        if let Some(s) = ecs_mac(&octets[6..12]) {
            ev.set(key!("source.mac"), s);
        }
    }
}

fn int(v: &str) -> Option<i64> {
    if v.is_empty() || v.len() > 18 || !v.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let Some(start) = find_in(text) else {
        return Err(ParseError::expected(P, "IN=", 0));
    };
    ev.logsource = LogSource::new(Some("linux"), Some("firewall"), &[]);
    ev.set(key!("observer.vendor"), "Linux");
    ev.set(key!("observer.product"), "netfilter");
    ev.set(key!("observer.type"), "firewall");
    ev.set(key!("event.kind"), "event");
    ev.set(key!("event.category"), "network");
    ev.set(key!("event.type"), "connection");

    let pre = prefix(text.get(..start).unwrap_or(""));
    if !pre.is_empty() {
        ev.set(key!("rule.name"), pre);
        let has = |w: &&str| super::contains_ignore_case(pre, w);
        let (action, ty, outcome) = if ["block", "drop", "deny", "reject"].iter().any(has) {
            ("denied", "denied", "failure")
        } else if ["allow", "accept", "pass"].iter().any(has) {
            ("allowed", "allowed", "success")
        } else {
            ("", "", "")
        };
        if !action.is_empty() {
            ev.set(key!("event.action"), action);
            ev.set(key!("event.type"), ty);
            ev.set(key!("event.outcome"), outcome);
        }
    }

    let body = text.get(start..).unwrap_or("");
    let mut in_if = "";
    let mut out_if = "";
    let mut after_proto = false;
    let mut tcp_flags = Text::default();
    let mut ip_flags = Text::default();
    let mut bad: Option<(&'static str, usize)> = None;
    let mut pos = start;
    for word in split_byte(body, b' ') {
        let at = pos;
        pos += word.len() + 1;
        if word.is_empty() {
            continue;
        }
        if word.starts_with('[') {
            // The packet quoted by an ICMP error.
            break;
        }
        let Some((k, v)) = split_once_byte(word, b'=') else {
            let flags = if after_proto {
                &mut tcp_flags
            } else {
                &mut ip_flags
            };
            if flags.len() < 64 {
                if !flags.is_empty() {
                    flags.push(' ');
                }
                flags.push_str(word);
            }
            continue;
        };
        let mut need_int = |ev: &mut Event, key: &str, what: &'static str| match int(v) {
            Some(n) => ev.set(key, n),
            None => {
                bad.get_or_insert((what, at + k.len() + 1));
            }
        };
        match k {
            "IN" => in_if = v,
            "OUT" => out_if = v,
            "MAC" => set_mac(ev, v),
            "SRC" | "DST" => {
                let (ip, what) = if k == "SRC" {
                    ("source.ip", "an IP address in SRC")
                } else {
                    ("destination.ip", "an IP address in DST")
                };
                if super::is_ip(v) {
                    ev.set(ip, v);
                    let ipv6 = v.contains(':');
                    ev.set(key!("network.type"), if ipv6 { "ipv6" } else { "ipv4" });
                } else {
                    bad.get_or_insert((what, at + 4));
                }
            }
            "LEN" if !after_proto => need_int(ev, "iptables.length", "a number in LEN"),
            "TTL" | "HOPLIMIT" => need_int(ev, "iptables.ttl", "a number in TTL"),
            "ID" if !after_proto => need_int(ev, "iptables.id", "a number in ID"),
            "TOS" | "TC" => ev.set(key!("iptables.tos"), v),
            "PREC" => ev.set(key!("iptables.precedence"), v),
            "FLOWLBL" => ev.set(key!("iptables.flow_label"), v),
            "PROTO" => {
                after_proto = true;
                ev.set(key!("network.transport"), super::transport_name(v).as_ref());
            }
            "SPT" => need_int(ev, "source.port", "a number in SPT"),
            "DPT" => need_int(ev, "destination.port", "a number in DPT"),
            "WINDOW" => need_int(ev, "iptables.tcp.window", "a number in WINDOW"),
            "RES" => ev.set(key!("iptables.tcp.reserved_bits"), v),
            "URGP" => need_int(ev, "iptables.tcp.urgent_pointer", "a number in URGP"),
            "SEQ" => ev.set(key!("iptables.sequence"), v),
            "ACK" => ev.set(key!("iptables.tcp.ack"), v),
            "LEN" => need_int(ev, "iptables.udp.length", "a number in LEN"),
            "TYPE" => need_int(ev, "iptables.icmp.type", "a number in TYPE"),
            "CODE" => need_int(ev, "iptables.icmp.code", "a number in CODE"),
            "ID" => ev.set(key!("iptables.icmp.id"), v),
            "MARK" => ev.set(key!("iptables.mark"), v),
            "UID" => ev.set(key!("user.id"), v),
            "GID" => ev.set(key!("group.id"), v),
            "PHYSIN" => ev.set(key!("iptables.physical_in"), v),
            "PHYSOUT" => ev.set(key!("iptables.physical_out"), v),
            _ => {}
        }
    }
    if !in_if.is_empty() {
        ev.set(key!("observer.ingress.interface.name"), in_if);
    }
    if !out_if.is_empty() {
        ev.set(key!("observer.egress.interface.name"), out_if);
    }
    match (in_if.is_empty(), out_if.is_empty()) {
        (false, true) => ev.set(key!("network.direction"), "inbound"),
        (true, false) => ev.set(key!("network.direction"), "outbound"),
        _ => {}
    }
    if !tcp_flags.is_empty() {
        ev.set(key!("iptables.tcp.flags"), tcp_flags);
    }
    if !ip_flags.is_empty() {
        ev.set(key!("iptables.fragment_flags"), ip_flags);
    }
    match bad {
        Some((what, at)) => Err(ParseError::expected(P, what, at)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use vedette_model::{FieldValue, Origin};

    fn run(text: &str) -> (Event, Result<(), ParseError>) {
        let mut e = Event::raw(
            1,
            datetime!(2026-11-25 03:00:00 UTC),
            Origin::new("t", None),
            b"",
        );
        assert!(detect(text), "{text}");
        let r = parse(text, &mut e);
        (e, r)
    }

    #[test]
    fn detection() {
        assert!(detect("IN=eth0 OUT= SRC=1.2.3.4"));
        assert!(detect("[1.5] [UFW BLOCK] IN=eth0 OUT= MAC="));
        assert!(!detect("LOGIN=eth0 OUT= SRC="));
        assert!(!detect("IN=eth0 SRC=1.2.3.4"));
        assert!(!detect(""));
        assert!(!detect(&format!("{}IN=a OUT=", "x ".repeat(150))));
    }

    #[test]
    fn ufw_block() {
        let (e, r) = run("[12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=203.0.113.5 DST=198.51.100.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1234 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0");
        assert_eq!(r, Ok(()));
        assert_eq!(e.get_str("rule.name"), Some("UFW BLOCK"));
        assert_eq!(e.get_str("event.action"), Some("denied"));
        assert_eq!(e.get_str("source.mac"), Some("52-54-00-AB-CD-EF"));
        assert_eq!(e.get("destination.port"), Some(&FieldValue::Int(22)));
        assert_eq!(e.get_str("iptables.tcp.flags"), Some("SYN"));
        assert_eq!(e.get_str("iptables.fragment_flags"), Some("DF"));
        assert_eq!(e.get_str("network.direction"), Some("inbound"));
    }

    #[test]
    fn bad_values_are_reported() {
        let (e, r) = run("IN=eth0 OUT= SRC=nope DST=10.0.0.1 LEN=x PROTO=UDP SPT=1 DPT=2");
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("netfilter: expected an IP address in SRC at byte 17".into())
        );
        assert_eq!(e.get_str("destination.ip"), Some("10.0.0.1"));
        assert_eq!(e.get("destination.port"), Some(&FieldValue::Int(2)));
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix("[ 1.2] iptables-drop: "), "iptables-drop");
        assert_eq!(prefix("[UFW ALLOW] "), "UFW ALLOW");
        assert_eq!(prefix(""), "");
    }
}
