//! Sophos Firewall (XG, SFOS) key=value logs, both the SFOS 17/18 form
//!
//! ```text
//! device="SFW" date=2026-11-25 time=10:00:00 timezone="+07" device_name="XG230"
//! device_id=C01001ABCDEF123 log_id=010101600001 log_type="Firewall"
//! log_component="Firewall Rule" log_subtype="Allowed" status="Allow"
//! priority=Information fw_rule_id=5 src_ip=10.0.0.5 dst_ip=203.0.113.9
//! protocol="TCP" src_port=51234 dst_port=443 sent_bytes=1200 recv_bytes=5400
//! ```
//!
//! and the SFOS 19+ form (`device_name="SFW"`, `timestamp=`,
//! `device_model=`, `device_serial_id=`, `severity=`, `bytes_sent=`,
//! `src_trans_ip=`, ...). Every pair is kept under `sophos.xg.<key>`; the
//! known ones are mapped to ECS as well.
//!
//! Sophos UTM 9 writes its own pairs after the syslog TAG of the daemon
//! (`ulogd`, `httpproxy`, ...): `id="2001" severity="info" sys="SecureNet"
//! sub="packetfilter" name="Packet dropped" action="drop" fwrule="60001"
//! initf="eth0" srcip=... dstip=... proto="6" srcport=... dstport=...`;
//! they are kept under `sophos.utm.<key>`, the packet filter's and the web
//! proxy's mapped to ECS.

use std::borrow::Cow;

use time::UtcOffset;
use vedette_model::{Event, LogSource};

use super::fortigate::{
    auth_outcome, local_in_zone, set_count, set_ip, set_mac, set_port, set_proto_number, set_text,
    set_url, set_verdict, verdict, Pairs, Raw,
};
use crate::timestamp::parse_iso;
use crate::ParseError;

pub(crate) const FORMAT: super::Format = super::Format {
    name: "sophos",
    fields: 96,
    first: |_| true,
    open: |_| false,
    needs: b"=",
    gate: None,
    detect,
    parse,
    claim: None,
};

/// How far into the record `device_name=` and `log_id=` are looked for.
const DETECT_WINDOW: usize = 512;

static DEVICE_NAME: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b" device_name="));
static LOG_ID: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b" log_id="));

/// A Sophos UTM 9 record: `id="NNNN" severity="..." sys="..."`.
fn is_utm(b: &[u8]) -> bool {
    b.starts_with(b"id=\"")
        && b.get(4..12).is_some_and(|r| {
            let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
            n > 0 && r.get(n) == Some(&b'"')
        })
        && memchr::memmem::find(b.get(..96).unwrap_or(b), b" sys=\"").is_some()
}

fn detect(text: &str) -> bool {
    let b = text.as_bytes();
    if b.starts_with(b"device=\"SFW\"") || is_utm(b) {
        return true;
    }
    let head = b.get(..DETECT_WINDOW.min(b.len())).unwrap_or(b);
    (b.starts_with(b"device_name=") || DEVICE_NAME.find(head).is_some())
        && LOG_ID.find(head).is_some()
}

/// The pairs whose meaning depends on others, kept until all are read.
#[derive(Default)]
struct Xg<'a> {
    log_type: Option<Cow<'a, str>>,
    component: Option<Cow<'a, str>>,
    subtype: Option<Cow<'a, str>>,
    status: Option<Cow<'a, str>>,
    date: Option<Cow<'a, str>>,
    time: Option<Cow<'a, str>>,
    timezone: Option<Cow<'a, str>>,
    timestamp: Option<Cow<'a, str>>,
    url: Option<Cow<'a, str>>,
    domain: Option<Cow<'a, str>>,
    message: Option<Cow<'a, str>>,
    signature_id: Option<Cow<'a, str>>,
    signature_msg: Option<Cow<'a, str>>,
    rule_id: Option<Cow<'a, str>>,
    rule_name: Option<Cow<'a, str>>,
    sent: Option<i64>,
    rcvd: Option<i64>,
}

/// Sophos XG's documented log fields (the SFOS log file guide).
static SOPHOS_KEYS: std::sync::LazyLock<super::KnownKeys> = std::sync::LazyLock::new(|| {
    super::KnownKeys::new(
        "sophos.xg.",
        &[
            "activityname",
            "app_is_cloud",
            "appfilter_policy_id",
            "application",
            "application_category",
            "application_risk",
            "application_technology",
            "appresolvedby",
            "av_policy_name",
            "bytes_received",
            "bytes_sent",
            "category",
            "category_type",
            "classification",
            "con_duration",
            "con_event",
            "con_id",
            "connevent",
            "connid",
            "contenttype",
            "date",
            "device",
            "device_id",
            "device_model",
            "device_name",
            "device_serial_id",
            "dir_disp",
            "domain",
            "download_file_name",
            "download_file_type",
            "dst_country",
            "dst_country_code",
            "dst_ip",
            "dst_port",
            "dst_trans_ip",
            "dst_trans_port",
            "dst_zone",
            "dst_zone_type",
            "dstzone",
            "dstzonetype",
            "duration",
            "exceptions",
            "file_name",
            "file_path",
            "ftpcommand",
            "fw_rule_id",
            "fw_rule_name",
            "fw_rule_section",
            "fw_rule_type",
            "gw_id_request",
            "gw_name_request",
            "hb_health",
            "iap",
            "idp_policy_id",
            "in_interface",
            "ips_policy_id",
            "log_component",
            "log_id",
            "log_subtype",
            "log_type",
            "log_version",
            "message",
            "nat_rule_id",
            "nat_rule_name",
            "out_interface",
            "override_authorizer",
            "override_name",
            "override_token",
            "packets_received",
            "packets_sent",
            "platform",
            "policy_type",
            "priority",
            "protocol",
            "reason",
            "recv_bytes",
            "recv_pkts",
            "referer",
            "rule_priority",
            "sent_bytes",
            "sent_pkts",
            "severity",
            "signature_id",
            "signature_msg",
            "src_country",
            "src_country_code",
            "src_ip",
            "src_mac",
            "src_port",
            "src_trans_ip",
            "src_trans_port",
            "src_zone",
            "src_zone_type",
            "srczone",
            "srczonetype",
            "status",
            "status_code",
            "target",
            "time",
            "timestamp",
            "timezone",
            "tran_dst_ip",
            "tran_dst_port",
            "tran_src_ip",
            "tran_src_port",
            "transactionid",
            "upload_file_name",
            "upload_file_type",
            "url",
            "user_agent",
            "user_gp",
            "user_name",
            "vconnid",
            "virus",
        ],
    )
});

/// Sophos UTM 9's documented log fields.
static UTM_KEYS: std::sync::LazyLock<super::KnownKeys> = std::sync::LazyLock::new(|| {
    super::KnownKeys::new(
        "sophos.utm.",
        &[
            "id",
            "severity",
            "sys",
            "sub",
            "name",
            "action",
            "fwrule",
            "initf",
            "outitf",
            "srcmac",
            "dstmac",
            "srcip",
            "dstip",
            "proto",
            "length",
            "tos",
            "prec",
            "ttl",
            "srcport",
            "dstport",
            "tcpflags",
            "type",
            "code",
            "method",
            "user",
            "ad_domain",
            "statuscode",
            "cached",
            "profile",
            "filteraction",
            "size",
            "request",
            "url",
            "referer",
            "error",
            "authtime",
            "dnstime",
            "cattime",
            "avscantime",
            "fullreqtime",
            "device",
            "auth",
            "ua",
            "exceptions",
            "category",
            "reputation",
            "categoryname",
            "content-type",
            "application",
            "app-id",
            "virus",
            "reason",
            "extra",
            "info",
        ],
    )
});

/// A Sophos UTM 9 record (see the module documentation).
fn utm(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let mut raw = Raw::new(&UTM_KEYS);
    ev.set(key!("observer.vendor"), "Sophos");
    ev.set(key!("observer.product"), "UTM");
    ev.set(key!("observer.type"), "firewall");
    ev.set(key!("event.kind"), "event");
    let (mut sub, mut action, mut url, mut name) = (None, None, None, None);
    let mut pairs = Pairs::new(text);
    for p in pairs.by_ref() {
        let v = p.value();
        raw.set(ev, p.key, &v);
        let s: &str = &v;
        if s.is_empty() {
            continue;
        }
        match p.key {
            "srcip" => {
                set_ip(ev, key!("source.ip"), s);
            }
            "dstip" => {
                set_ip(ev, key!("destination.ip"), s);
            }
            "srcport" => set_port(ev, key!("source.port"), s),
            "dstport" => set_port(ev, key!("destination.port"), s),
            "srcmac" => set_mac(ev, key!("source.mac"), s),
            "dstmac" => set_mac(ev, key!("destination.mac"), s),
            "proto" => set_proto_number(ev, s),
            "initf" => set_text(ev, key!("observer.ingress.interface.name"), s),
            "outitf" => set_text(ev, key!("observer.egress.interface.name"), s),
            "fwrule" => set_text(ev, key!("rule.id"), s),
            "severity" => set_text(ev, key!("log.level"), s),
            "length" | "size" => set_count(ev, key!("network.bytes"), s),
            "user" => set_text(ev, key!("user.name"), s),
            "method" => set_text(ev, key!("http.request.method"), s),
            "statuscode" => {
                if let Ok(n) = s.parse::<u16>() {
                    ev.set(key!("http.response.status_code"), i64::from(n));
                }
            }
            "ua" => set_text(ev, key!("user_agent.original"), s),
            "referer" => set_text(ev, key!("http.request.referrer"), s),
            "sub" => sub = Some(v),
            "action" => action = Some(v),
            "url" => url = Some(v),
            "name" => name = Some(v),
            _ => {}
        }
    }
    let sub = sub.as_deref().unwrap_or("");
    let web = matches!(sub, "http" | "https" | "ftp");
    ev.set(key!("event.category"), if web { "web" } else { "network" });
    // Sigma's `proxy` category for the web proxy's records.
    let category = if web { "proxy" } else { "firewall" };
    ev.logsource = LogSource::new(Some("sophos_utm"), Some(category), &[]);
    if let Some(n) = name.as_deref() {
        ev.set(key!("event.reason"), n);
    }
    if let Some(a) = action.as_deref() {
        ev.set(key!("event.action"), a.to_ascii_lowercase());
        set_verdict(ev, verdict(a));
    }
    set_url(ev, url.as_deref(), None);
    pairs.error("sophos")
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    if is_utm(text.as_bytes()) {
        return utm(text, ev);
    }
    let mut raw = Raw::new(&SOPHOS_KEYS);
    let mut f = Xg::default();
    let mut pairs = Pairs::new(text);
    for p in pairs.by_ref() {
        let v = p.value();
        raw.set(ev, p.key, &v);
        let s: &str = &v;
        match p.key {
            "src_ip" => {
                set_ip(ev, key!("source.ip"), s);
            }
            "dst_ip" => {
                set_ip(ev, key!("destination.ip"), s);
            }
            "src_port" => set_port(ev, key!("source.port"), s),
            "dst_port" => set_port(ev, key!("destination.port"), s),
            "tran_src_ip" | "src_trans_ip" => {
                set_ip(ev, key!("source.nat.ip"), s);
            }
            "tran_src_port" | "src_trans_port" if s != "0" => {
                set_port(ev, key!("source.nat.port"), s)
            }
            "tran_dst_ip" | "dst_trans_ip" => {
                set_ip(ev, key!("destination.nat.ip"), s);
            }
            "tran_dst_port" | "dst_trans_port" if s != "0" => {
                set_port(ev, key!("destination.nat.port"), s)
            }
            "src_mac" => set_mac(ev, key!("source.mac"), s),
            "dst_mac" => set_mac(ev, key!("destination.mac"), s),
            "in_interface" | "in_display_interface" => {
                set_text(ev, key!("observer.ingress.interface.name"), s)
            }
            "out_interface" | "out_display_interface" => {
                set_text(ev, key!("observer.egress.interface.name"), s)
            }
            "srczone" | "src_zone" => set_text(ev, key!("observer.ingress.zone"), s),
            "dstzone" | "dst_zone" => set_text(ev, key!("observer.egress.zone"), s),
            "protocol" => {
                if s.bytes().all(|c| c.is_ascii_digit()) {
                    set_proto_number(ev, s);
                } else if !s.is_empty() {
                    ev.set(key!("network.transport"), s.to_ascii_lowercase());
                }
            }
            "sent_bytes" | "bytes_sent" => {
                f.sent = super::fortigate::count(s);
                set_count(ev, key!("source.bytes"), s);
            }
            "recv_bytes" | "bytes_received" => {
                f.rcvd = super::fortigate::count(s);
                set_count(ev, key!("destination.bytes"), s);
            }
            "sent_pkts" | "packets_sent" => set_count(ev, key!("source.packets"), s),
            "recv_pkts" | "packets_received" => set_count(ev, key!("destination.packets"), s),
            "duration" => {
                if let Some(n) =
                    super::fortigate::count(s).and_then(|n| n.checked_mul(1_000_000_000))
                {
                    ev.set(key!("event.duration"), n);
                }
            }
            "user_name" => set_text(ev, key!("user.name"), s),
            "user_gp" | "user_group" => set_text(ev, key!("group.name"), s),
            "application" | "app_name" => {
                set_text(ev, key!("network.application"), &s.to_ascii_lowercase())
            }
            "priority" | "severity" => set_text(ev, key!("log.level"), s),
            "log_id" => set_text(ev, key!("event.code"), s),
            "device_name" if s != "SFW" => set_text(ev, key!("observer.name"), s),
            "device_id" | "device_serial_id" => set_text(ev, key!("observer.serial_number"), s),
            "con_id" | "connid" => set_text(ev, key!("network.session_id"), s),
            "file_name" | "filename" => set_text(ev, key!("file.name"), s),
            "virus" | "malware" => set_text(ev, key!("threat.software.name"), s),
            "log_type" => f.log_type = Some(v),
            "log_component" => f.component = Some(v),
            "log_subtype" => f.subtype = Some(v),
            "status" => f.status = Some(v),
            "date" => f.date = Some(v),
            "time" => f.time = Some(v),
            "timezone" => f.timezone = Some(v),
            "timestamp" => f.timestamp = Some(v),
            "url" => f.url = Some(v),
            "domain" | "fqdn" => f.domain = Some(v),
            "message" => f.message = Some(v),
            "signature_id" => f.signature_id = Some(v),
            "signature_msg" => f.signature_msg = Some(v),
            "fw_rule_id" => f.rule_id = Some(v),
            "fw_rule_name" => f.rule_name = Some(v),
            _ => {}
        }
    }
    finish(ev, &f);
    pairs.error("sophos")
}

fn finish(ev: &mut Event, f: &Xg<'_>) {
    ev.set(key!("observer.vendor"), "Sophos");
    ev.set(key!("observer.product"), "XG Firewall");
    ev.set(key!("observer.type"), "firewall");
    ev.set(key!("event.dataset"), "sophos.xg");

    let log_type = f.log_type.as_deref().unwrap_or("");
    let component = f.component.as_deref().unwrap_or("");
    let subtype = f.subtype.as_deref().unwrap_or("");
    let status = f.status.as_deref().filter(|s| !s.is_empty());
    let auth = component.contains("Authentication")
        || subtype.contains("Authentication")
        || component == "GUI"
        || component == "SSH"
        || component == "CLI";

    let (category, kind) = match log_type {
        "Firewall" => ("network", "event"),
        "IPS" | "Advanced Threat Protection" | "ATP" => ("intrusion_detection", "alert"),
        "Anti-Virus" | "Antivirus" | "Sandbox" | "Anti-Malware" => ("malware", "alert"),
        "Content Filtering" | "Web Filter" | "WAF" | "Web Server Protection" => ("web", "event"),
        "Event" if auth => ("authentication", "event"),
        "Event" if subtype == "Admin" || component == "Admin" => ("configuration", "event"),
        "Event" => ("host", "event"),
        _ => ("network", "event"),
    };
    ev.set(key!("event.category"), category);
    ev.set(key!("event.kind"), kind);
    ev.logsource = LogSource::new(Some("sophos_xg"), Some("firewall"), &[]);

    // `status` says Allow/Deny for traffic, Successful/Failed for logins;
    // `log_subtype` says Allowed/Denied/Drop/Alert.
    // For logins the message says what was attempted: "User admin failed
    // to login to WebAdmin ...".
    let message = f.message.as_deref().unwrap_or("").to_ascii_lowercase();
    let attempted = if category != "authentication" {
        None
    } else if message.contains("logout") || message.contains("logged out") {
        Some("logout")
    } else if message.contains("login") || message.contains("logged in") {
        Some("login")
    } else {
        None
    };
    let action = status.or(Some(subtype).filter(|s| !s.is_empty()));
    match (attempted, action) {
        (Some(a), _) => ev.set(key!("event.action"), a),
        (None, Some(a)) => ev.set(key!("event.action"), a.to_ascii_lowercase()),
        (None, None) => {}
    }
    if category == "authentication" {
        if let Some(o) = status.and_then(auth_outcome) {
            ev.set(key!("event.outcome"), o);
        }
    } else {
        set_verdict(ev, status.and_then(verdict).or_else(|| verdict(subtype)));
    }

    if log_type == "IPS" && (f.signature_id.is_some() || f.signature_msg.is_some()) {
        if let Some(id) = f.signature_id.as_deref() {
            set_text(ev, key!("rule.id"), id);
        }
        if let Some(name) = f.signature_msg.as_deref() {
            set_text(ev, key!("rule.name"), name);
        }
    } else {
        if let Some(id) = f.rule_id.as_deref() {
            set_text(ev, key!("rule.id"), id);
        }
        if let Some(name) = f.rule_name.as_deref() {
            set_text(ev, key!("rule.name"), name);
        }
    }
    if let Some(m) = f.message.as_deref() {
        set_text(ev, key!("event.reason"), m);
    }
    set_url(ev, f.url.as_deref(), f.domain.as_deref());
    if let (Some(s), Some(r)) = (f.sent, f.rcvd) {
        if let Some(total) = s.checked_add(r) {
            ev.set(key!("network.bytes"), total);
        }
    }

    // SFOS 19+: `timestamp="2026-11-25T10:00:00+0700"`. Older: `date`,
    // `time` and a `timezone` that may be an offset (`+07`) or a name
    // (`IST`): a name, or no zone, is read in the deployment's zone
    // (+07:00).
    let at = f
        .timestamp
        .as_deref()
        .and_then(parse_iso)
        .map(|t| t.resolve(crate::default_offset()))
        .or_else(|| {
            local_in_zone(
                f.date.as_deref()?,
                f.time.as_deref()?,
                f.timezone.as_deref(),
            )
        });
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

    #[test]
    fn detects_only_sophos() {
        assert!(detect(r#"device="SFW" date=2026-11-25 time=10:00:00"#));
        assert!(detect(
            r#"device_name="SFW" timestamp="2026-11-25T10:00:00+0700" device_model="XGS2100" log_id=010101600001"#
        ));
        assert!(!detect(
            r#"date=2026-11-25 devname="FGT" logid="0000000013""#
        ));
        assert!(!detect("id=firewall sn=1 m=98 c=1"));
        assert!(!detect("device_name=x but no id"));
    }

    #[test]
    fn firewall_allowed_v18() {
        let mut ev = event();
        let r = parse(
            r#"device="SFW" date=2026-11-25 time=10:00:00 timezone="+07" device_name="XG230" device_id=C01001 log_id=010101600001 log_type="Firewall" log_component="Firewall Rule" log_subtype="Allowed" status="Allow" priority=Information fw_rule_id=5 src_ip=10.0.0.5 dst_ip=203.0.113.9 protocol="TCP" src_port=51234 dst_port=443 sent_bytes=100 recv_bytes=200 tran_src_ip=198.51.100.1 tran_src_port=0"#,
            &mut ev,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(ev.get_str("network.transport"), Some("tcp"));
        assert_eq!(ev.get_str("event.type"), Some("allowed"));
        assert_eq!(ev.get_str("event.outcome"), Some("success"));
        assert_eq!(ev.get_str("event.action"), Some("allow"));
        assert_eq!(ev.get_str("rule.id"), Some("5"));
        assert_eq!(ev.get("network.bytes"), Some(&FieldValue::Int(300)));
        assert_eq!(ev.get_str("source.nat.ip"), Some("198.51.100.1"));
        assert_eq!(ev.get("source.nat.port"), None);
        assert_eq!(ev.get_str("observer.name"), Some("XG230"));
        assert!(ev
            .logsource
            .admits(Some("sophos_xg"), Some("firewall"), None));
    }

    #[test]
    fn zone_names_fall_back_to_the_default() {
        let mut ev = event();
        let r = parse(
            r#"device="SFW" date=2026-11-25 time=10:00:00 timezone="IST" log_type="Event" log_component="Firewall Authentication" status="Failed" user_name="bob""#,
            &mut ev,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(ev.get_str("event.category"), Some("authentication"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        assert_eq!(ev.get_str("user.name"), Some("bob"));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}", t in "[a-z_= \"\\\\0-9.:-]{0,80}") {
            for text in [s.as_str(), t.as_str(), &format!("device=\"SFW\" {t}")] {
                let mut ev = event();
                let _ = parse(text, &mut ev);
                let _ = detect(text);
            }
        }
    }
}
