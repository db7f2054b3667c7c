//! Palo Alto Networks PAN-OS logs in the default syslog format: CSV records
//! of type TRAFFIC, THREAT, SYSTEM, GLOBALPROTECT (VPN logins and
//! connections), USERID (which user an address belongs to) and CONFIG
//! (parsed minimally), such
//! as
//!
//! ```text
//! 1,2026/11/25 10:00:00,012345678901,TRAFFIC,end,2561,2026/11/25 10:00:00,
//! 10.0.0.5,203.0.113.9,198.51.100.1,203.0.113.9,allow-web,,,ssl,vsys1,trust,
//! untrust,ethernet1/2,ethernet1/1,Log-Fwd,2026/11/25 10:00:00,12345,1,51234,
//! 443,51234,443,0x400019,tcp,allow,5224,1188,4036,33,2026/11/25 09:59:58,2,
//! any,0,123456,0x0,10.0.0.0-10.255.255.255,United States,0,17,16,tcp-fin
//! ```
//!
//! Columns follow the documented PAN-OS 10.x order ("Syslog Field
//! Descriptions"); columns that newer versions append are ignored, and
//! records cut short keep what they have. Every non-empty column is kept
//! under `panos.<column name in snake_case>` (`FUTURE_USE` columns are
//! dropped); the known ones are mapped to ECS as well. Values may be
//! double-quoted, with commas inside and `""` for a quote.

use std::borrow::Cow;
use std::sync::LazyLock;

use time::UtcOffset;
use vedette_model::fields::Key;
use vedette_model::{Event, LogSource};

use super::fortigate::{
    count, local_datetime, set_count, set_ip, set_port, set_text, MAX_PAIRS, MAX_VALUE,
};
use crate::ParseError;

const P: &str = "panos";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "panos",
    fields: 96,
    first: |b| b.is_ascii_digit(),
    open: |_| false,
    needs: b"",
    gate: None,
    detect,
    parse,
    claim: None,
};

/// The columns every log type shares, up to the type.
const HEAD: [&str; 7] = [
    "future_use",
    "receive_time",
    "serial_number",
    "type",
    "threat_content_type",
    "future_use",
    "generated_time",
];

/// The columns that TRAFFIC and THREAT share after [`HEAD`].
const SESSION: [&str; 24] = [
    "source_address",
    "destination_address",
    "nat_source_ip",
    "nat_destination_ip",
    "rule_name",
    "source_user",
    "destination_user",
    "application",
    "virtual_system",
    "source_zone",
    "destination_zone",
    "inbound_interface",
    "outbound_interface",
    "log_action",
    "future_use",
    "session_id",
    "repeat_count",
    "source_port",
    "destination_port",
    "nat_source_port",
    "nat_destination_port",
    "flags",
    "protocol",
    "action",
];

/// TRAFFIC columns after [`SESSION`] (PAN-OS 10.x).
const TRAFFIC: &[&str] = &[
    "bytes",
    "bytes_sent",
    "bytes_received",
    "packets",
    "start_time",
    "elapsed_time",
    "category",
    "future_use",
    "sequence_number",
    "action_flags",
    "source_country",
    "destination_country",
    "future_use",
    "packets_sent",
    "packets_received",
    "session_end_reason",
    "device_group_hierarchy_level_1",
    "device_group_hierarchy_level_2",
    "device_group_hierarchy_level_3",
    "device_group_hierarchy_level_4",
    "virtual_system_name",
    "device_name",
    "action_source",
    "source_vm_uuid",
    "destination_vm_uuid",
    "tunnel_id_imsi",
    "monitor_tag_imei",
    "parent_session_id",
    "parent_start_time",
    "tunnel_type",
    "sctp_association_id",
    "sctp_chunks",
    "sctp_chunks_sent",
    "sctp_chunks_received",
    "rule_uuid",
    "http_2_connection",
    "app_flap_count",
    "policy_id",
    "link_switches",
    "sd_wan_cluster",
    "sd_wan_device_type",
    "sd_wan_cluster_type",
    "sd_wan_site",
    "dynamic_user_group_name",
];

/// THREAT columns after [`SESSION`] (PAN-OS 10.x).
const THREAT: &[&str] = &[
    "url_filename",
    "threat_id",
    "category",
    "severity",
    "direction",
    "sequence_number",
    "action_flags",
    "source_country",
    "destination_country",
    "future_use",
    "content_type",
    "pcap_id",
    "file_digest",
    "cloud",
    "url_index",
    "user_agent",
    "file_type",
    "x_forwarded_for",
    "referer",
    "sender",
    "subject",
    "recipient",
    "report_id",
    "device_group_hierarchy_level_1",
    "device_group_hierarchy_level_2",
    "device_group_hierarchy_level_3",
    "device_group_hierarchy_level_4",
    "virtual_system_name",
    "device_name",
    "future_use",
    "source_vm_uuid",
    "destination_vm_uuid",
    "http_method",
    "tunnel_id_imsi",
    "monitor_tag_imei",
    "parent_session_id",
    "parent_start_time",
    "tunnel_type",
    "threat_category",
    "content_version",
    "future_use",
    "sctp_association_id",
    "payload_protocol_id",
    "http_headers",
    "url_category_list",
    "rule_uuid",
    "http_2_connection",
    "dynamic_user_group_name",
];

/// SYSTEM columns after [`HEAD`].
const SYSTEM: &[&str] = &[
    "virtual_system",
    "event_id",
    "object",
    "future_use",
    "future_use",
    "module",
    "severity",
    "description",
    "sequence_number",
    "action_flags",
    "device_group_hierarchy_level_1",
    "device_group_hierarchy_level_2",
    "device_group_hierarchy_level_3",
    "device_group_hierarchy_level_4",
    "virtual_system_name",
    "device_name",
    "future_use",
    "future_use",
    "high_resolution_timestamp",
];

/// CONFIG columns after [`HEAD`] (only the first ones are taken).
const CONFIG: &[&str] = &[
    "host",
    "virtual_system",
    "command",
    "admin",
    "client",
    "result",
    "configuration_path",
];

/// GLOBALPROTECT columns after [`HEAD`] (PAN-OS 10.x). The endpoint's
/// serial number is named apart from the firewall's.
const GLOBALPROTECT: &[&str] = &[
    "virtual_system",
    "event_id",
    "stage",
    "authentication_method",
    "tunnel_type",
    "source_user",
    "source_region",
    "machine_name",
    "public_ip",
    "public_ipv6",
    "private_ip",
    "private_ipv6",
    "host_id",
    "endpoint_serial_number",
    "client_version",
    "client_os",
    "client_os_version",
    "repeat_count",
    "reason",
    "error",
    "description",
    "status",
    "location",
    "login_duration",
    "connect_method",
    "error_code",
    "portal",
    "sequence_number",
    "action_flags",
    "high_resolution_timestamp",
    "selection_type",
    "response_time",
    "priority",
    "attempted_gateways",
    "gateway",
    "device_group_hierarchy_level_1",
    "device_group_hierarchy_level_2",
    "device_group_hierarchy_level_3",
    "device_group_hierarchy_level_4",
    "virtual_system_name",
    "device_name",
    "virtual_system_id",
];

/// USERID columns after [`HEAD`]: which user an address belongs to, as
/// User-ID learnt it (login, logout, tag registration).
const USERID: &[&str] = &[
    "virtual_system",
    "source_address",
    "source_user",
    "data_source_name",
    "event_id",
    "repeat_count",
    "timeout_threshold",
    "source_port",
    "destination_port",
    "data_source",
    "data_source_type",
    "sequence_number",
    "action_flags",
    "device_group_hierarchy_level_1",
    "device_group_hierarchy_level_2",
    "device_group_hierarchy_level_3",
    "device_group_hierarchy_level_4",
    "virtual_system_name",
    "device_name",
    "virtual_system_id",
    "factor_type",
    "factor_completion_time",
    "factor_number",
    "user_group_flags",
    "user_by_source",
    "tag_name",
    "high_resolution_timestamp",
];

/// The log types parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Traffic,
    Threat,
    System,
    Config,
    GlobalProtect,
    UserId,
}

impl Type {
    fn of(s: &str) -> Option<Type> {
        Some(match s {
            "TRAFFIC" => Type::Traffic,
            "THREAT" => Type::Threat,
            "SYSTEM" => Type::System,
            "CONFIG" => Type::Config,
            "GLOBALPROTECT" => Type::GlobalProtect,
            "USERID" => Type::UserId,
            _ => return None,
        })
    }

    /// The name of column `i`, and its vendor field's key.
    fn column(self, i: usize) -> Option<(&'static str, &'static Key)> {
        fn at(
            names: &'static [&'static str],
            keys: &'static LazyLock<Vec<Key>>,
            i: usize,
        ) -> Option<(&'static str, &'static Key)> {
            Some((names.get(i)?, keys.get(i)?))
        }
        if i < HEAD.len() {
            return at(&HEAD, &HEAD_KEYS, i);
        }
        let i = i - HEAD.len();
        match self {
            Type::Traffic | Type::Threat => {
                if i < SESSION.len() {
                    return at(&SESSION, &SESSION_KEYS, i);
                }
                let i = i - SESSION.len();
                if self == Type::Traffic {
                    at(TRAFFIC, &TRAFFIC_KEYS, i)
                } else {
                    at(THREAT, &THREAT_KEYS, i)
                }
            }
            Type::System => at(SYSTEM, &SYSTEM_KEYS, i),
            Type::Config => at(CONFIG, &CONFIG_KEYS, i),
            Type::GlobalProtect => at(GLOBALPROTECT, &GLOBALPROTECT_KEYS, i),
            Type::UserId => at(USERID, &USERID_KEYS, i),
        }
    }
}

/// The vendor field keys of each column list (`panos.<column>`).
static HEAD_KEYS: LazyLock<Vec<Key>> = LazyLock::new(|| super::prefixed_keys("panos.", &HEAD));
static SESSION_KEYS: LazyLock<Vec<Key>> =
    LazyLock::new(|| super::prefixed_keys("panos.", &SESSION));
static TRAFFIC_KEYS: LazyLock<Vec<Key>> = LazyLock::new(|| super::prefixed_keys("panos.", TRAFFIC));
static THREAT_KEYS: LazyLock<Vec<Key>> = LazyLock::new(|| super::prefixed_keys("panos.", THREAT));
static SYSTEM_KEYS: LazyLock<Vec<Key>> = LazyLock::new(|| super::prefixed_keys("panos.", SYSTEM));
static CONFIG_KEYS: LazyLock<Vec<Key>> = LazyLock::new(|| super::prefixed_keys("panos.", CONFIG));
static GLOBALPROTECT_KEYS: LazyLock<Vec<Key>> =
    LazyLock::new(|| super::prefixed_keys("panos.", GLOBALPROTECT));
static USERID_KEYS: LazyLock<Vec<Key>> = LazyLock::new(|| super::prefixed_keys("panos.", USERID));

/// `yyyy/mm/dd hh:mm:ss`, PAN-OS's time (see [`super::shape`]).
const TIME: &[u8] = b"dddd/dd/dd dd:dd:dd";

/// `yyyy-mm-ddThh:mm:ss`, the ISO 8601 time Prisma Access and Cortex Data
/// Lake forward.
const ISO_TIME: &[u8] = b"dddd-dd-ddTdd:dd:dd";

fn detect(text: &str) -> bool {
    let b = text.as_bytes();
    let n = b.iter().take(12).take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || b.get(n) != Some(&b',') {
        return false;
    }
    let t = n + 1;
    let s = if b.get(t..).is_some_and(|r| super::shape(r, TIME)) && b.get(t + 19) == Some(&b',') {
        t + 20
    } else if b.get(t..).is_some_and(|r| super::shape(r, ISO_TIME)) {
        // Prisma Access and Cortex Data Lake forward ISO 8601 times
        // (`2021-10-22T16:10:10.000000Z`).
        match b.iter().skip(t).take(40).position(|&c| c == b',') {
            Some(i) => t + i + 1,
            None => return false,
        }
    } else {
        return false;
    };
    let serial = b
        .iter()
        .skip(s)
        .take(33)
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-' || **c == b'_')
        .count();
    if serial > 32 || b.get(s + serial) != Some(&b',') {
        return false;
    }
    let rest = b.get(s + serial + 1..).unwrap_or(&[]);
    [
        &b"TRAFFIC,"[..],
        b"THREAT,",
        b"SYSTEM,",
        b"CONFIG,",
        b"GLOBALPROTECT,",
        b"USERID,",
    ]
    .iter()
    .any(|ty| rest.starts_with(ty))
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

/// The comma-separated values of a record, unquoted. At most
/// [`MAX_PAIRS`] columns. Linear in the length of the text.
struct Csv<'a> {
    text: &'a str,
    pos: usize,
    done: bool,
    taken: usize,
    /// Where a quoted value that never closed starts.
    unterminated: Option<usize>,
}

impl<'a> Csv<'a> {
    fn new(text: &'a str) -> Self {
        Csv {
            text,
            pos: 0,
            done: false,
            taken: 0,
            unterminated: None,
        }
    }
}

impl<'a> Iterator for Csv<'a> {
    type Item = Cow<'a, str>;

    fn next(&mut self) -> Option<Cow<'a, str>> {
        if self.done || self.taken >= MAX_PAIRS {
            return None;
        }
        self.taken += 1;
        let text = self.text;
        let b = text.as_bytes();
        let start = self.pos;
        if b.get(start) != Some(&b'"') {
            let rest = b.get(start..).unwrap_or(&[]);
            let end = match super::find_byte(rest, b',') {
                Some(i) => {
                    self.pos = start + i + 1;
                    start + i
                }
                None => {
                    self.done = true;
                    b.len()
                }
            };
            return Some(Cow::Borrowed(cap(text.get(start..end).unwrap_or(""))));
        }
        // Quoted: `""` is a quote; the value ends at a lone quote.
        let open = start + 1;
        let mut at = open;
        let mut escaped = false;
        let close = loop {
            let rest = b.get(at..).unwrap_or(&[]);
            match memchr::memchr(b'"', rest) {
                Some(i) if rest.get(i + 1) == Some(&b'"') => {
                    escaped = true;
                    at += i + 2;
                }
                Some(i) => break Some(at + i),
                None => break None,
            }
        };
        let end = close.unwrap_or(b.len());
        let raw = cap(text.get(open..end).unwrap_or(""));
        match close {
            Some(c) => {
                // Anything between the closing quote and the comma is junk.
                let rest = b.get(c + 1..).unwrap_or(&[]);
                match memchr::memchr(b',', rest) {
                    Some(i) => self.pos = c + 1 + i + 1,
                    None => self.done = true,
                }
            }
            None => {
                self.unterminated = Some(start);
                self.done = true;
            }
        }
        Some(if escaped {
            Cow::Owned(raw.replace("\"\"", "\""))
        } else {
            Cow::Borrowed(raw)
        })
    }
}

/// Sets `panos.<column>` with one reused key buffer.
/// What the columns told that needs the whole record.
#[derive(Debug, Default)]
struct Seen<'a> {
    subtype: Cow<'a, str>,
    action: Option<Cow<'a, str>>,
    url_filename: Option<Cow<'a, str>>,
    event_id: Option<Cow<'a, str>>,
    result: Option<Cow<'a, str>>,
    description: Option<Cow<'a, str>>,
    stage: Option<Cow<'a, str>>,
}

/// The ECS `event.severity` of a PAN-OS severity.
fn severity(s: &str) -> Option<i64> {
    Some(match s {
        "informational" => 1,
        "low" => 2,
        "medium" => 3,
        "high" => 4,
        "critical" => 5,
        _ => return None,
    })
}

/// Sets an IP column unless it is the "no address" `0.0.0.0`.
fn set_addr(ev: &mut Event, key: &str, v: &str) {
    if v != "0.0.0.0" {
        set_ip(ev, key, v);
    }
}

/// Maps one column to ECS.
fn column<'a>(ev: &mut Event, seen: &mut Seen<'a>, name: &str, v: Cow<'a, str>) {
    match name {
        "serial_number" => ev.set(key!("observer.serial_number"), v.as_ref()),
        "threat_content_type" => seen.subtype = v,
        "generated_time" => {
            // The record's times carry no zone: they are the firewall's
            // local time, taken to be the deployment's zone (+07:00). Prisma
            // Access writes ISO 8601 with its zone.
            if super::shape(v.as_bytes(), ISO_TIME) {
                if let Some(t) = crate::timestamp::parse_iso(&v) {
                    ev.timestamp = t.resolve(crate::default_offset()).to_offset(UtcOffset::UTC);
                }
                return;
            }
            let mut date = [0u8; 10];
            if let Some(d) = v.as_bytes().get(..10) {
                date.copy_from_slice(d);
                date[4] = b'-';
                date[7] = b'-';
            }
            let local = std::str::from_utf8(&date)
                .ok()
                .zip(v.get(11..))
                .and_then(|(d, t)| local_datetime(d, t));
            if let Some(t) = local {
                ev.timestamp = t
                    .assume_offset(crate::default_offset())
                    .to_offset(UtcOffset::UTC);
            }
        }
        "source_address" => set_addr(ev, "source.ip", &v),
        "destination_address" => set_addr(ev, "destination.ip", &v),
        "nat_source_ip" => set_addr(ev, "source.nat.ip", &v),
        "nat_destination_ip" => set_addr(ev, "destination.nat.ip", &v),
        "source_port" => set_port(ev, key!("source.port"), &v),
        "destination_port" => set_port(ev, key!("destination.port"), &v),
        "nat_source_port" if v != "0" => set_port(ev, key!("source.nat.port"), &v),
        "nat_destination_port" if v != "0" => set_port(ev, key!("destination.nat.port"), &v),
        "rule_name" => ev.set(key!("rule.name"), v.as_ref()),
        "rule_uuid" => ev.set(key!("rule.uuid"), v.as_ref()),
        "source_user" => {
            ev.set(key!("user.name"), v.as_ref());
            ev.set(key!("source.user.name"), v.as_ref());
        }
        "destination_user" => ev.set(key!("destination.user.name"), v.as_ref()),
        "application" => ev.set(key!("network.application"), v.to_ascii_lowercase()),
        "source_zone" => ev.set(key!("observer.ingress.zone"), v.as_ref()),
        "destination_zone" => ev.set(key!("observer.egress.zone"), v.as_ref()),
        "inbound_interface" => ev.set(key!("observer.ingress.interface.name"), v.as_ref()),
        "outbound_interface" => ev.set(key!("observer.egress.interface.name"), v.as_ref()),
        "protocol" => ev.set(key!("network.transport"), v.to_ascii_lowercase()),
        "action" => seen.action = Some(v),
        "bytes" => set_count(ev, key!("network.bytes"), &v),
        "bytes_sent" => set_count(ev, key!("source.bytes"), &v),
        "bytes_received" => set_count(ev, key!("destination.bytes"), &v),
        "packets" => set_count(ev, key!("network.packets"), &v),
        "packets_sent" => set_count(ev, key!("source.packets"), &v),
        "packets_received" => set_count(ev, key!("destination.packets"), &v),
        "elapsed_time" => {
            if let Some(ns) = count(&v).and_then(|s| s.checked_mul(1_000_000_000)) {
                ev.set(key!("event.duration"), ns);
            }
        }
        "session_end_reason" => set_text(ev, key!("event.reason"), &v),
        "device_name" => ev.set(key!("observer.name"), v.as_ref()),
        "url_filename" => seen.url_filename = Some(v),
        "threat_id" => {
            // `Eicar Test File(39040)`, or `(9999)` for URL filtering.
            let (name, id) = match v.rsplit_once('(') {
                Some((n, id)) => (n.trim_end(), id.strip_suffix(')').unwrap_or(id)),
                None => (v.as_ref(), ""),
            };
            set_text(ev, key!("panos.threat.name"), name);
            set_text(ev, key!("panos.threat_id"), id);
        }
        "severity" => {
            ev.set(key!("log.level"), v.as_ref());
            if let Some(n) = severity(&v) {
                ev.set(key!("event.severity"), n);
            }
        }
        "user_agent" => ev.set(key!("user_agent.original"), v.as_ref()),
        "referer" => ev.set(key!("http.request.referrer"), v.as_ref()),
        "http_method" => ev.set(key!("http.request.method"), v.to_ascii_uppercase()),
        "event_id" => seen.event_id = Some(v),
        "description" => {
            ev.set(key!("message"), v.as_ref());
            seen.description = Some(v);
        }
        "host" => {
            set_ip(ev, key!("source.ip"), &v);
        }
        "command" => ev.set(key!("event.action"), v.as_ref()),
        "admin" => ev.set(key!("user.name"), v.as_ref()),
        "result" | "status" => seen.result = Some(v),
        // GlobalProtect: the client's address on the Internet, and the
        // one it was given in the tunnel.
        "public_ip" | "public_ipv6" => set_addr(ev, "source.ip", &v),
        "private_ip" | "private_ipv6" => set_addr(ev, "source.nat.ip", &v),
        "machine_name" => ev.set(key!("host.hostname"), v.as_ref()),
        "error" => set_text(ev, key!("event.reason"), &v),
        "stage" => seen.stage = Some(v),
        _ => {}
    }
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    ev.set(key!("observer.vendor"), "Palo Alto Networks");
    ev.set(key!("observer.product"), "PAN-OS");
    ev.set(key!("observer.type"), "firewall");
    ev.logsource = LogSource::new(Some("panos"), Some("firewall"), &[]);

    let mut csv = Csv::new(text);
    // Sized for the longest column list (a 10.x traffic record has about
    // 115 columns), so that collecting does not grow it step by step.
    let mut cols: Vec<Cow<'_, str>> = Vec::with_capacity(128);
    cols.extend(csv.by_ref());
    let ty = match cols.get(3).and_then(|t| Type::of(t)) {
        Some(t) => t,
        None => {
            return Err(ParseError::expected(
                P,
                "TRAFFIC, THREAT, SYSTEM, CONFIG, GLOBALPROTECT or USERID",
                0,
            ))
        }
    };
    let mut seen = Seen::default();
    for (i, v) in cols.into_iter().enumerate() {
        let Some((name, vendor)) = ty.column(i) else {
            // Columns a newer version appended.
            break;
        };
        if v.is_empty() || name == "future_use" {
            continue;
        }
        // User-ID writes 0 for the ports it did not learn.
        if ty == Type::UserId && v == "0" && name.ends_with("_port") {
            continue;
        }
        ev.set(vendor, v.as_ref());
        column(ev, &mut seen, name, v);
    }
    finish(ev, ty, &seen);
    match csv.unterminated {
        Some(at) => Err(ParseError::expected(P, "'\"' closing a value", at)),
        None => Ok(()),
    }
}

/// Whether a traffic or threat action let the session through.
fn allowed(action: &str) -> bool {
    matches!(action, "allow" | "alert" | "continue" | "override")
}

fn finish(ev: &mut Event, ty: Type, seen: &Seen<'_>) {
    let subtype = seen.subtype.as_ref();
    let dataset = match ty {
        Type::Traffic => "panos.traffic",
        Type::Threat => "panos.threat",
        Type::System => "panos.system",
        Type::Config => "panos.config",
        Type::GlobalProtect => "panos.globalprotect",
        Type::UserId => "panos.userid",
    };
    ev.set(key!("event.dataset"), dataset);
    match ty {
        Type::Traffic | Type::Threat => {
            if let Some(a) = seen.action.as_deref() {
                ev.set(key!("event.action"), a);
                let ok = allowed(a);
                ev.set(key!("event.type"), if ok { "allowed" } else { "denied" });
                ev.set(
                    key!("event.outcome"),
                    if ok { "success" } else { "failure" },
                );
            }
            let (category, kind) = match (ty, subtype) {
                (Type::Traffic, _) => ("network", "event"),
                (_, "url") => ("web", "event"),
                (_, "virus" | "wildfire" | "wildfire-virus") => ("malware", "alert"),
                (_, "spyware" | "vulnerability" | "scan" | "flood") => {
                    ("intrusion_detection", "alert")
                }
                _ => ("network", "event"),
            };
            ev.set(key!("event.category"), category);
            ev.set(key!("event.kind"), kind);
            if let Some(u) = seen.url_filename.as_deref() {
                if subtype == "url" {
                    ev.set(key!("url.original"), u);
                } else {
                    ev.set(key!("file.name"), u);
                }
            }
        }
        Type::System => {
            ev.logsource.category = None;
            ev.set(key!("event.kind"), "event");
            let id = seen.event_id.as_deref().unwrap_or("");
            if !id.is_empty() {
                ev.set(key!("event.action"), id);
            }
            if id.contains("auth") || subtype == "auth" {
                ev.set(key!("event.category"), "authentication");
                // `failed authentication for user 'admin'. ...`
                let user = seen
                    .description
                    .as_deref()
                    .and_then(|d| d.split_once("user '"))
                    .and_then(|(_, r)| r.split_once('\''))
                    .map(|(u, _)| u)
                    .filter(|u| !u.is_empty());
                if let Some(u) = user {
                    ev.set(key!("user.name"), u);
                }
                if id.contains("fail") {
                    ev.set(key!("event.outcome"), "failure");
                } else if id.contains("succ") {
                    ev.set(key!("event.outcome"), "success");
                }
            } else {
                ev.set(key!("event.category"), "host");
            }
        }
        Type::GlobalProtect => {
            ev.logsource.category = None;
            ev.set(key!("event.kind"), "event");
            // `portal-auth`, `gateway-auth`, `portal-prelogin`, ... are
            // logins; `gateway-connected`, `gateway-logout`, ... sessions.
            let id = seen.event_id.as_deref().unwrap_or("");
            let login = id.contains("auth")
                || id.contains("login")
                || seen.stage.as_deref() == Some("login");
            ev.set(
                key!("event.category"),
                if login { "authentication" } else { "session" },
            );
            if !id.is_empty() {
                ev.set(key!("event.action"), id);
            }
            match seen.result.as_deref() {
                Some("success") => ev.set(key!("event.outcome"), "success"),
                Some("failure") => ev.set(key!("event.outcome"), "failure"),
                _ => {}
            }
        }
        Type::UserId => {
            // `login`, `logout`, `register-tag`, `unregister-tag`: the
            // address's user as a directory, a VPN or a probe reported it.
            ev.logsource.category = None;
            ev.set(key!("event.kind"), "event");
            ev.set(key!("event.category"), "iam");
            if !subtype.is_empty() {
                ev.set(key!("event.action"), subtype);
            }
            ev.set(
                key!("event.type"),
                match subtype {
                    "login" => "start",
                    "logout" => "end",
                    _ => "info",
                },
            );
        }
        Type::Config => {
            ev.logsource.category = None;
            ev.set(key!("event.kind"), "event");
            ev.set(key!("event.category"), "configuration");
            match seen.result.as_deref() {
                Some("Succeeded") => ev.set(key!("event.outcome"), "success"),
                Some("Failed") => ev.set(key!("event.outcome"), "failure"),
                _ => {}
            }
        }
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

    const TRAFFIC_END: &str = "1,2026/11/25 10:00:00,012345678901,TRAFFIC,end,2561,2026/11/25 10:00:00,10.0.0.5,203.0.113.9,198.51.100.1,203.0.113.9,allow-web,,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,Log-Fwd,2026/11/25 10:00:00,12345,1,51234,443,51234,443,0x400019,tcp,allow,5224,1188,4036,33,2026/11/25 09:59:58,2,any,0,123456,0x0,10.0.0.0-10.255.255.255,United States,0,17,16,tcp-fin";

    fn csv(s: &str) -> Vec<String> {
        Csv::new(s).map(Cow::into_owned).collect()
    }

    #[test]
    fn globalprotect_logins() {
        // The documented PAN-OS 10.x GLOBALPROTECT layout.
        let text = "1,2026/11/25 10:00:05,012345678901,GLOBALPROTECT,0,2561,2026/11/25 10:00:04,vsys1,gateway-auth,login,LDAP,,alice,VN,LAPTOP-42,203.0.113.50,,10.200.0.7,,6f1c2a1e-1111-2222-3333-444455556666,SER123,6.2.1,Windows,\"Microsoft Windows 11 Pro , 64-bit\",1,,,,success,HQ,0,user-logon,0,GP-Gateway,7312345678901234567,0x8000000000000000,2026-11-25T10:00:04.123+07:00,,0,,,gw-hanoi,,,,,,fw-hq,0";
        assert!(detect(text));
        let mut ev = event();
        assert_eq!(parse(text, &mut ev), Ok(()));
        assert_eq!(ev.get_str("event.dataset"), Some("panos.globalprotect"));
        assert_eq!(ev.get_str("event.category"), Some("authentication"));
        assert_eq!(ev.get_str("event.action"), Some("gateway-auth"));
        assert_eq!(ev.get_str("event.outcome"), Some("success"));
        assert_eq!(ev.get_str("user.name"), Some("alice"));
        assert_eq!(ev.get_str("source.ip"), Some("203.0.113.50"));
        assert_eq!(ev.get_str("source.nat.ip"), Some("10.200.0.7"));
        assert_eq!(ev.get_str("host.hostname"), Some("LAPTOP-42"));
        assert_eq!(ev.get_str("observer.serial_number"), Some("012345678901"));
        assert_eq!(ev.get_str("panos.endpoint_serial_number"), Some("SER123"));
        assert_eq!(ev.get_str("panos.portal"), Some("GP-Gateway"));
        assert_eq!(ev.get_str("observer.name"), Some("fw-hq"));
        assert_eq!(ev.logsource.category, None);
        // A failed login, with its error.
        let failed = text.replace(",success,HQ,", ",failure,HQ,").replace(
            ",1,,,,",
            ",1,,Authentication failed: Invalid username or password,,",
        );
        let mut ev = event();
        assert_eq!(parse(&failed, &mut ev), Ok(()));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        assert_eq!(
            ev.get_str("event.reason"),
            Some("Authentication failed: Invalid username or password")
        );
    }

    #[test]
    fn csv_values() {
        assert_eq!(csv("a,,b"), ["a", "", "b"]);
        assert_eq!(csv(""), [""]);
        assert_eq!(csv("a,"), ["a", ""]);
        assert_eq!(csv(r#""x,y",z"#), ["x,y", "z"]);
        assert_eq!(csv(r#""say ""hi""",2"#), [r#"say "hi""#, "2"]);
        assert_eq!(csv(r#""q"junk,3"#), ["q", "3"]);
        let mut c = Csv::new(r#"a,"open"#);
        assert_eq!(c.by_ref().count(), 2);
        assert_eq!(c.unterminated, Some(2));
        assert_eq!(Csv::new(&",".repeat(5000)).count(), MAX_PAIRS);
    }

    #[test]
    fn detects_only_panos() {
        assert!(detect(TRAFFIC_END));
        assert!(detect(
            "1,2026/11/25 10:00:00,012345678901,SYSTEM,auth,0,2026/11/25 10:00:00,,auth-fail"
        ));
        assert!(!detect(
            "1,2026/11/25 10:00:00,012345678901,HIPMATCH,0,2026/11/25"
        ));
        assert!(!detect("1,2,3,TRAFFIC,"));
        assert!(!detect("2026/11/25 10:00:00,012345678901,TRAFFIC,end"));
        assert!(!detect(""));
    }

    #[test]
    fn traffic() {
        let mut ev = event();
        assert_eq!(parse(TRAFFIC_END, &mut ev), Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.5"));
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(51234)));
        assert_eq!(ev.get_str("source.nat.ip"), Some("198.51.100.1"));
        assert_eq!(ev.get("destination.nat.port"), Some(&FieldValue::Int(443)));
        assert_eq!(ev.get_str("rule.name"), Some("allow-web"));
        assert_eq!(ev.get_str("observer.serial_number"), Some("012345678901"));
        assert_eq!(
            ev.get_str("observer.egress.interface.name"),
            Some("ethernet1/1")
        );
        assert_eq!(ev.get("network.bytes"), Some(&FieldValue::Int(5224)));
        assert_eq!(ev.get("destination.bytes"), Some(&FieldValue::Int(4036)));
        assert_eq!(ev.get("source.packets"), Some(&FieldValue::Int(17)));
        assert_eq!(
            ev.get("event.duration"),
            Some(&FieldValue::Int(2_000_000_000))
        );
        assert_eq!(ev.get_str("event.type"), Some("allowed"));
        assert_eq!(ev.get_str("event.reason"), Some("tcp-fin"));
        assert_eq!(
            ev.get_str("panos.source_country"),
            Some("10.0.0.0-10.255.255.255")
        );
        assert_eq!(ev.get("panos.future_use"), None);
        assert!(ev.logsource.admits(Some("panos"), Some("firewall"), None));
    }

    #[test]
    fn threat_url_and_extra_columns() {
        let mut ev = event();
        let line = "1,2026/11/25 10:00:00,012345678901,THREAT,url,2561,2026/11/25 10:00:00,10.0.0.5,203.0.113.9,0.0.0.0,0.0.0.0,allow-web,corp\\alice,,web-browsing,vsys1,trust,untrust,ethernet1/2,ethernet1/1,Log-Fwd,2026/11/25 10:00:00,12345,1,51234,80,0,0,0x8000,tcp,block-url,\"example.com/a,b\",(9999),gambling,informational,client-to-server,7,0x0,10.0.0.0-10.255.255.255,US,0,text/html";
        let long = format!("{line}{}", ",x".repeat(200));
        assert_eq!(parse(&long, &mut ev), Ok(()));
        assert_eq!(ev.get_str("url.original"), Some("example.com/a,b"));
        assert_eq!(ev.get_str("panos.threat_id"), Some("9999"));
        assert_eq!(ev.get("panos.threat.name"), None);
        assert_eq!(ev.get("source.nat.ip"), None);
        assert_eq!(ev.get("source.nat.port"), None);
        assert_eq!(ev.get_str("event.category"), Some("web"));
        assert_eq!(ev.get_str("event.type"), Some("denied"));
        assert_eq!(ev.get_str("user.name"), Some("corp\\alice"));
        assert_eq!(ev.get("event.severity"), Some(&FieldValue::Int(1)));
    }

    #[test]
    fn short_and_unknown() {
        let mut ev = event();
        let r = parse(
            "1,2026/11/25 10:00:00,0123,TRAFFIC,end,1,2026/11/25 10:00:00,10.0.0.5",
            &mut ev,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.5"));
        let mut ev = event();
        assert!(parse("1,2,3,HIPMATCH", &mut ev).is_err());
        let mut ev = event();
        let r = parse(
            "1,2026/11/25 10:00:00,0123,CONFIG,0,0,2026/11/25 10:00:00,\"10.0.0.9",
            &mut ev,
        );
        assert_eq!(r, Err(ParseError::expected(P, "'\"' closing a value", 58)));
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.9"));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}", t in "[a-zA-Z0-9,\"/. :()-]{0,200}") {
            for ty in ["TRAFFIC", "THREAT", "SYSTEM", "CONFIG"] {
                let text = format!("1,2026/11/25 10:00:00,0123,{ty},{t}");
                let mut ev = event();
                prop_assert!(detect(&text));
                let _ = parse(&text, &mut ev);
            }
            let mut ev = event();
            let _ = detect(&s);
            let _ = parse(&s, &mut ev);
        }
    }
}
