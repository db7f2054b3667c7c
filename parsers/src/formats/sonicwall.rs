//! SonicWall (SonicOS 6 and 7) logs in the default key=value syslog format:
//!
//! ```text
//! id=firewall sn=0017C5123456 time="2026-11-25 10:00:00 UTC" fw=203.0.113.1
//! pri=6 c=262144 m=98 msg="Connection Opened" app=49169 n=1157227
//! src=10.0.0.5:51234:X0 dst=203.0.113.9:443:X1 proto=tcp/https sent=120
//! rule="22 (LAN->WAN)" fw_action="NA"
//! ```
//!
//! `src` and `dst` are `ip[:port[:interface[:hostname]]]`. Every pair is
//! kept under `sonicwall.firewall.<key>`; the known ones are mapped to ECS
//! as well.

use std::borrow::Cow;

use time::UtcOffset;
use vedette_model::{Event, LogSource};

use super::fortigate::{
    auth_outcome, count, set_count, set_ip, set_mac, set_port, set_proto_number, set_text, set_url,
    set_verdict, verdict, Pairs, Raw,
};
use crate::timestamp::parse_iso;
use crate::ParseError;

pub(crate) const FORMAT: super::Format = super::Format {
    name: "sonicwall",
    fields: 56,
    first: |b| matches!(b, b'i' | b's'),
    open: |_| false,
    needs: b"",
    gate: None,
    detect,
    parse,
    claim: None,
};

/// How far into the record `sn=` and `m=` are looked for.
const DETECT_WINDOW: usize = 256;

fn detect(text: &str) -> bool {
    let b = text.as_bytes();
    let head = b.get(..DETECT_WINDOW.min(b.len())).unwrap_or(b);
    let has = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
    if b.starts_with(b"id=") {
        // Messages without a category or an id still name the firewall.
        has(b" sn=") && (has(b" m=") || has(b" c=") || has(b" fw="))
    } else if b.starts_with(b"sn=") {
        // The Syslog ID left out: `sn=... time=... fw=... pri=... m=...`.
        has(b" fw=") && has(b" m=")
    } else {
        false
    }
}

/// The pairs whose meaning depends on others, kept until all are read.
#[derive(Default)]
struct Sw<'a> {
    time: Option<Cow<'a, str>>,
    msg: Option<Cow<'a, str>>,
    fw_action: Option<Cow<'a, str>>,
    dstname: Option<Cow<'a, str>>,
    arg: Option<Cow<'a, str>>,
    ips: bool,
    sent: Option<i64>,
    rcvd: Option<i64>,
}

/// `pri` as a syslog severity name.
fn level(pri: &str) -> Option<&'static str> {
    Some(match pri {
        "0" => "emergency",
        "1" => "alert",
        "2" => "critical",
        "3" => "error",
        "4" => "warning",
        "5" => "notice",
        "6" => "informational",
        "7" => "debug",
        _ => return None,
    })
}

/// `ip[:port[:interface[:hostname]]]`, or `[ipv6][:port...]`, or a bare
/// IPv6 address, into the `source`/`destination` fields and the observer's
/// interface.
fn set_endpoint(ev: &mut Event, v: &str, side: &str, interface: &str) {
    let (ip, rest) = if let Some(r) = v.strip_prefix('[') {
        match r.split_once(']') {
            Some((ip, rest)) => (ip, rest.strip_prefix(':').unwrap_or(rest)),
            None => return,
        }
    } else if super::is_ip(v) {
        (v, "")
    } else {
        v.split_once(':').unwrap_or((v, ""))
    };
    if !super::is_ip(ip) {
        return;
    }
    let mut key = String::with_capacity(side.len() + 8);
    key.push_str(side);
    key.push_str(".ip");
    ev.set(&key, ip);
    let mut parts = rest.splitn(3, ':');
    if let Some(port) = parts.next() {
        key.truncate(side.len());
        key.push_str(".port");
        set_port(ev, &key, port);
    }
    if let Some(iface) = parts.next() {
        set_text(ev, interface, iface);
    }
    if let Some(host) = parts.next().filter(|h| !h.is_empty()) {
        key.truncate(side.len());
        key.push_str(".domain");
        ev.set(&key, host);
    }
}

/// SonicWall's documented log fields (the SonicOS log events reference).
static SONICWALL_KEYS: std::sync::LazyLock<super::KnownKeys> = std::sync::LazyLock::new(|| {
    super::KnownKeys::new(
        "sonicwall.firewall.",
        &[
            "Category",
            "af_action",
            "af_object",
            "af_polid",
            "af_service",
            "af_type",
            "app",
            "appName",
            "appcat",
            "appid",
            "arg",
            "bid",
            "c",
            "catid",
            "cdur",
            "code",
            "dpi",
            "dst",
            "dstMac",
            "dstV6",
            "dstname",
            "dyn",
            "f",
            "fw",
            "fw_action",
            "gcat",
            "icmpCode",
            "id",
            "ipscat",
            "ipspri",
            "m",
            "msg",
            "n",
            "natDst",
            "natSrc",
            "note",
            "op",
            "pri",
            "proto",
            "rcvd",
            "result",
            "rpkt",
            "rule",
            "sent",
            "session",
            "sid",
            "sn",
            "spkt",
            "src",
            "srcMac",
            "srcV6",
            "time",
            "type",
            "usr",
            "vpnpolicy",
        ],
    )
});

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let mut raw = Raw::new(&SONICWALL_KEYS);
    let mut f = Sw::default();
    let mut pairs = Pairs::new(text);
    for p in pairs.by_ref() {
        let v = p.value();
        raw.set(ev, p.key, &v);
        let s: &str = &v;
        match p.key {
            "id" => set_text(ev, key!("observer.name"), s),
            "sn" => set_text(ev, key!("observer.serial_number"), s),
            "fw" => {
                set_ip(ev, key!("observer.ip"), s);
            }
            "pri" => {
                if let Some(l) = level(s) {
                    ev.set(key!("log.level"), l);
                }
            }
            "m" => set_text(ev, key!("event.code"), s),
            "src" => set_endpoint(ev, s, "source", "observer.ingress.interface.name"),
            "dst" => set_endpoint(ev, s, "destination", "observer.egress.interface.name"),
            "natSrc" => set_endpoint(ev, s, "source.nat", "observer.ingress.interface.name"),
            "natDst" => set_endpoint(ev, s, "destination.nat", "observer.egress.interface.name"),
            "srcMac" => set_mac(ev, key!("source.mac"), s),
            "dstMac" => set_mac(ev, key!("destination.mac"), s),
            "srcZone" => set_text(ev, key!("observer.ingress.zone"), s),
            "dstZone" => set_text(ev, key!("observer.egress.zone"), s),
            "proto" => {
                // `tcp/https`, `udp/dns`, `icmp`, `tcp/8080`, or a number.
                let (transport, service) = s.split_once('/').unwrap_or((s, ""));
                if transport.bytes().all(|c| c.is_ascii_digit()) {
                    set_proto_number(ev, transport);
                } else if !transport.is_empty() {
                    ev.set(key!("network.transport"), transport.to_ascii_lowercase());
                }
                if !service.is_empty() && !service.bytes().all(|c| c.is_ascii_digit()) {
                    ev.set(key!("network.protocol"), service.to_ascii_lowercase());
                }
            }
            "sent" => {
                f.sent = count(s);
                set_count(ev, key!("source.bytes"), s);
            }
            "rcvd" => {
                f.rcvd = count(s);
                set_count(ev, key!("destination.bytes"), s);
            }
            "spkt" => set_count(ev, key!("source.packets"), s),
            "rpkt" => set_count(ev, key!("destination.packets"), s),
            "usr" | "user" => set_text(ev, key!("user.name"), s),
            "rule" => set_text(ev, key!("rule.name"), s),
            "sid" => set_text(ev, key!("rule.id"), s),
            "appName" => set_text(ev, key!("network.application"), &s.to_ascii_lowercase()),
            "result" => set_count(ev, key!("http.response.status_code"), s),
            "op" => {
                let method = match s {
                    "1" => "GET",
                    "2" => "POST",
                    "3" => "HEAD",
                    _ => "",
                };
                set_text(ev, key!("http.request.method"), method);
            }
            "ipscat" => f.ips = true,
            "time" => f.time = Some(v),
            "msg" => f.msg = Some(v),
            "fw_action" => f.fw_action = Some(v),
            "dstname" => f.dstname = Some(v),
            "arg" => f.arg = Some(v),
            _ => {}
        }
    }
    finish(ev, &f);
    pairs.error("sonicwall")
}

/// A short message as an action name: `Connection Opened` ->
/// `connection-opened`.
fn slug(msg: &str) -> Option<String> {
    if msg.is_empty() || msg.len() > 64 {
        return None;
    }
    let mut out = String::with_capacity(msg.len());
    for c in msg.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    (!out.is_empty()).then_some(out)
}

fn finish(ev: &mut Event, f: &Sw<'_>) {
    ev.set(key!("observer.vendor"), "SonicWall");
    ev.set(key!("observer.product"), "SonicOS");
    ev.set(key!("observer.type"), "firewall");
    ev.set(key!("event.dataset"), "sonicwall.firewall");

    let msg = f.msg.as_deref().unwrap_or("");
    let lower = msg.to_ascii_lowercase();
    let has = |w: &str| super::contains_bytes(lower.as_bytes(), w.as_bytes());
    let fw_action = f
        .fw_action
        .as_deref()
        .filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case("NA"));
    if !msg.is_empty() {
        ev.set(key!("event.reason"), msg);
    }
    let login = has("login") || has("logout") || has("authenticat");
    let (category, kind) = if f.ips || lower.starts_with("ips ") {
        ("intrusion_detection", "alert")
    } else if has("virus") || has("malware") || has("spyware") {
        ("malware", "alert")
    } else if login {
        ("authentication", "event")
    } else if lower.starts_with("web site") || f.dstname.is_some() && f.arg.is_some() {
        ("web", "event")
    } else {
        ("network", "event")
    };
    let attempted = if category != "authentication" {
        None
    } else if has("logout") {
        Some("logout".to_string())
    } else if has("login") {
        Some("login".to_string())
    } else {
        None
    };
    let action = fw_action
        .map(str::to_ascii_lowercase)
        .or(attempted)
        .or_else(|| slug(msg));
    if let Some(a) = action {
        ev.set(key!("event.action"), a);
    }
    // "IPS Prevention Alert: WEB-ATTACKS Apache Struts ...": the signature.
    if category == "intrusion_detection" && !ev.fields.contains_key("rule.name") {
        if let Some((_, name)) = msg.split_once(": ").filter(|(_, n)| !n.is_empty()) {
            ev.set(key!("rule.name"), name);
        }
    }
    ev.set(key!("event.category"), category);
    ev.set(key!("event.kind"), kind);
    ev.logsource = LogSource::new(Some("sonicwall"), Some("firewall"), &[]);

    if category == "authentication" {
        // "Administrator login allowed", "User login denied due to bad
        // credentials", "User login failure rate exceeded", ...
        let word = ["allowed", "successful", "denied", "failed", "failure"]
            .into_iter()
            .find(|w| has(w));
        if let Some(o) = word.and_then(auth_outcome) {
            ev.set(key!("event.outcome"), o);
        }
    } else {
        let from_msg = if has("dropped") || has("denied") || has("blocked") || has("prevention") {
            Some(false)
        } else if lower.starts_with("connection opened")
            || lower.starts_with("connection closed")
            || has("access allowed")
        {
            Some(true)
        } else {
            None
        };
        set_verdict(ev, fw_action.and_then(verdict).or(from_msg));
    }

    let url = f
        .arg
        .as_deref()
        .filter(|a| a.starts_with('/') || a.contains("://"));
    if url.is_some() || f.dstname.is_some() {
        set_url(ev, url, f.dstname.as_deref());
    }
    if let (Some(s), Some(r)) = (f.sent, f.rcvd) {
        if let Some(total) = s.checked_add(r) {
            ev.set(key!("network.bytes"), total);
        }
    }

    // `time="2026-11-25 10:00:00 UTC"`; without a zone the time is local
    // to the firewall, read in the deployment's zone (+07:00).
    if let Some(t) = f.time.as_deref().and_then(|t| {
        let stamp = parse_iso(t)?;
        let rest = t.get(stamp.len..).unwrap_or("").trim();
        let offset = match rest {
            "" => None,
            zone => Some(super::fortigate::parse_offset(zone)?),
        };
        Some(
            stamp.datetime.assume_offset(
                stamp
                    .offset
                    .or(offset)
                    .unwrap_or_else(crate::default_offset),
            ),
        )
    }) {
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

    #[test]
    fn detects_only_sonicwall() {
        assert!(detect(
            "id=firewall sn=0017C5 time=\"x\" fw=1.2.3.4 pri=6 c=262144 m=98"
        ));
        assert!(detect("sn=0017C5 time=\"x\" fw=1.2.3.4 pri=6 c=1024 m=537"));
        assert!(!detect("id=abc other=1"));
        // An IPv6 drop notice: neither `c=` nor `m=`.
        assert!(detect(
            "id=firewall sn=XXXXXXX time=\"2015-11-21 14:30:38\" fw=10.0.0.1 pri=5 msg=\"x\""
        ));
        assert!(!detect(
            r#"date=2026-11-25 devname="FGT" logid="0000000013""#
        ));
        assert!(!detect(r#"device="SFW" date=2026-11-25"#));
    }

    #[test]
    fn endpoints() {
        let mut ev = event();
        set_endpoint(&mut ev, "10.0.0.5:51234:X0-V5:pc1.lan", "source", "in");
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.5"));
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(51234)));
        assert_eq!(ev.get_str("in"), Some("X0-V5"));
        assert_eq!(ev.get_str("source.domain"), Some("pc1.lan"));
        let mut ev = event();
        set_endpoint(&mut ev, "192.168.0.12:53:X1:", "destination", "out");
        assert_eq!(ev.get_str("destination.ip"), Some("192.168.0.12"));
        assert_eq!(ev.get_str("out"), Some("X1"));
        assert_eq!(ev.get("destination.domain"), None);
        let mut ev = event();
        set_endpoint(&mut ev, "2001:db8::1", "source", "in");
        assert_eq!(ev.get_str("source.ip"), Some("2001:db8::1"));
        let mut ev = event();
        set_endpoint(&mut ev, "[2001:db8::1]:443:X1", "source", "in");
        assert_eq!(ev.get_str("source.ip"), Some("2001:db8::1"));
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(443)));
        let mut ev = event();
        set_endpoint(&mut ev, "not-an-ip:80:X0", "source", "in");
        assert_eq!(ev.get("source.ip"), None);
        assert_eq!(ev.get("source.port"), None);
    }

    #[test]
    fn times() {
        let mut ev = event();
        let _ = parse(
            r#"id=firewall sn=1 time="2026-11-25 10:00:00" m=1"#,
            &mut ev,
        );
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        let mut ev = event();
        let _ = parse(
            r#"id=firewall sn=1 time="2026-11-25 03:00:05 UTC" m=1"#,
            &mut ev,
        );
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:05 UTC));
        let mut ev = event();
        let _ = parse(
            r#"id=firewall sn=1 time="2026-11-25 03:00:05 Mars" m=1"#,
            &mut ev,
        );
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Connection Opened").as_deref(),
            Some("connection-opened")
        );
        assert_eq!(
            slug("TCP packet dropped (SYN)").as_deref(),
            Some("tcp-packet-dropped-syn")
        );
        assert_eq!(slug("  ").as_deref(), None);
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}", t in "[a-z= \"\\\\0-9.:\\[\\]/-]{0,80}") {
            for text in [s.as_str(), t.as_str(), &format!("id=firewall sn=1 m=1 {t}")] {
                let mut ev = event();
                let _ = parse(text, &mut ev);
                let _ = detect(text);
            }
        }
    }
}
