//! Juniper SRX (Junos) security flow logs: `RT_FLOW_SESSION_CREATE`,
//! `RT_FLOW_SESSION_CLOSE`, `RT_FLOW_SESSION_DENY` (and their `_LS`
//! logical-system variants) and the `APPTRACK_SESSION_*` messages; the
//! IDP and UTM messages from structured data; and the Junos system events
//! a SOC watches on any Junos device (`SSHD_LOGIN_FAILED`,
//! `UI_LOGIN_EVENT`, `UI_AUTH_EVENT`, `UI_LOGOUT_EVENT`, `UI_COMMIT`,
//! `SNMPD_AUTH_FAILURE`, firewall filter logs `PFE_FW_SYSLOG_IP` / `FW:`).
//!
//! Three shapes are understood:
//!
//! - the plain sentence (`set system syslog ... ` without structured data),
//!   whose fields are positional, e.g.
//!
//!   ```text
//!   RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.0.0.5/51234->203.0.113.9/443
//!   0x0 junos-https 198.51.100.1/51234->203.0.113.9/443 0x0 source rule r1 N/A N/A
//!   6 allow-web trust untrust 12345 N/A(N/A) ge-0/0/1.0 UNKNOWN UNKNOWN UNKNOWN N/A N/A -1
//!   ```
//!
//!   in the documented order: the Junos 10 order (no connection tags, one
//!   word per NAT rule) and the later one (connection tags `0x..`, then
//!   `<type> rule <name>` or `N/A N/A` per NAT rule, then the user, the
//!   incoming interface and the application);
//! - structured data written into the text (`structured-data brief`
//!   relayed as BSD syslog): `RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40
//!   source-address="10.0.0.5" ...]`;
//! - RFC 5424 records whose structured data the syslog parser already put
//!   in `log.syslog.structured_data.junos@2636.<...>.<param>`; the text is
//!   then the sentence, which is only used when those fields are missing.
//!
//! Every parameter (by its Junos name, `-` written `_`) is kept under
//! `juniper.srx.`; the known ones are mapped to ECS.

use memchr::memmem;
use vedette_model::{Event, FieldValue, LogSource, Text};

use super::fortigate::{count, set_count, set_ip, set_port, set_proto_number, set_text, Pairs};
use crate::ParseError;

const P: &str = "juniper";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "juniper",
    fields: 64,
    first: |b| {
        matches!(
            b,
            b'R' | b'A' | b's' | b'I' | b'W' | b'S' | b'U' | b'P' | b'F'
        )
    },
    open: |_| false,
    needs: b"",
    gate: Some(gate),
    detect,
    parse,
    claim: None,
};

/// See [`super::Format::gate`]: the flow sentence starts `session ` or
/// `AppTrack `; every tag is upper-case words (`RT_FLOW`, `IDP_...`,
/// `SSHD_LOGIN_FAILED`, `FW:`), so its second byte is upper-case too.
/// (Plain syslog messages that start `Started`, `Failed`, ... stop here.)
fn gate(p: &super::Probe<'_>) -> bool {
    p.first == b's'
        || p.text.starts_with(b"AppTrack ")
        || p.text
            .get(1)
            .is_some_and(|c| c.is_ascii_uppercase() || *c == b'_')
}

/// Where the RFC 5424 parser keeps Junos structured data.
/// (Any enterprise number: test data with it rewritten is published too.)
const SD_PREFIX: &str = "log.syslog.structured_data.junos@";
/// Vendor fields.
const VENDOR: &str = "juniper.srx.";
/// At most this many parameters are taken from one record.
const MAX_PARAMS: usize = 1000;
/// How far into the text the first `a/p->b/q` is looked for by `detect`.
const TUPLE_WINDOW: usize = 160;

/// What happened to the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Close,
    Deny,
    /// AppTrack volume update (a session still open).
    VolumeUpdate,
    /// AppTrack application identified.
    AppUpdate,
}

/// The message kind and whether it is an AppTrack message.
type Msg = (Kind, bool);

/// The kind of a message id (`RT_FLOW_SESSION_CLOSE_LS`, ...).
fn msgid_kind(id: &str) -> Option<Msg> {
    let (rest, apptrack) = match id.strip_prefix("RT_FLOW_SESSION_") {
        Some(r) => (r, false),
        None => (id.strip_prefix("APPTRACK_SESSION_")?, true),
    };
    let kind = if rest.starts_with("CREATE") {
        Kind::Create
    } else if rest.starts_with("CLOSE") {
        Kind::Close
    } else if rest.starts_with("DENY") {
        Kind::Deny
    } else if rest.starts_with("VOL_UPDATE") {
        Kind::VolumeUpdate
    } else if rest.starts_with("APP_UPDATE") {
        Kind::AppUpdate
    } else {
        return None;
    };
    Some((kind, apptrack))
}

/// The sentences, by how they start, and the kind they tell.
const SENTENCES: &[(&str, Msg)] = &[
    ("session created ", (Kind::Create, false)),
    ("session closed ", (Kind::Close, false)),
    ("session denied ", (Kind::Deny, false)),
    ("AppTrack session created ", (Kind::Create, true)),
    ("AppTrack session closed ", (Kind::Close, true)),
    ("AppTrack volume update: ", (Kind::VolumeUpdate, true)),
    ("AppTrack app update: ", (Kind::AppUpdate, true)),
];

/// The sentence `s` starts with: its kind and the text after the prefix.
fn sentence_kind(s: &str) -> Option<(Msg, &str)> {
    SENTENCES
        .iter()
        .find_map(|(p, m)| s.strip_prefix(p).map(|rest| (*m, rest)))
}

/// `text` without a leading `RT_FLOW: ` / `RT_FLOW - ` (the TAG or
/// APP-NAME a relay left in the text).
fn strip_tag(text: &str) -> &str {
    for p in [
        "RT_FLOW: ",
        "RT_FLOW - ",
        "APPTRACK: ",
        "APPTRACK - ",
        "RT_IDP: ",
        "RT_IDP - ",
        "RT_UTM: ",
        "RT_UTM - ",
    ] {
        if let Some(r) = text.strip_prefix(p) {
            return r;
        }
    }
    text
}

/// What an IDP or UTM message (`RT_IDP`, `RT_UTM`) reports: `event.action`,
/// `event.category`, `event.kind` and `event.outcome`. Their parameters
/// come as structured data only.
#[derive(Clone, Copy)]
struct Security {
    action: &'static str,
    category: &'static str,
    kind: &'static str,
    outcome: Option<&'static str>,
}

/// The IDP or UTM message whose id `t` starts with.
fn security_msgid(t: &str) -> Option<Security> {
    const IDS: &[(&str, Security)] = &[
        (
            "IDP_ATTACK_LOG_EVENT",
            Security {
                action: "idp-attack",
                category: "intrusion_detection",
                kind: "alert",
                outcome: None,
            },
        ),
        (
            "WEBFILTER_URL_BLOCKED",
            Security {
                action: "url-blocked",
                category: "web",
                kind: "event",
                outcome: Some("failure"),
            },
        ),
        (
            "WEBFILTER_URL_PERMITTED",
            Security {
                action: "url-permitted",
                category: "web",
                kind: "event",
                outcome: Some("success"),
            },
        ),
        (
            "AV_VIRUS_DETECTED",
            Security {
                action: "virus-detected",
                category: "malware",
                kind: "alert",
                outcome: None,
            },
        ),
        (
            "ANTISPAM_SPAM_DETECTED",
            Security {
                action: "spam-detected",
                category: "email",
                kind: "alert",
                outcome: None,
            },
        ),
    ];
    IDS.iter().find_map(|(id, s)| {
        let rest = t.strip_prefix(id)?;
        // `_MT`, `_LS` variants; then the end, structured data or the text.
        let rest = ["_MT", "_LS"]
            .iter()
            .find_map(|v| rest.strip_prefix(v))
            .unwrap_or(rest);
        (rest.is_empty() || rest.starts_with([' ', ':', '['])).then_some(*s)
    })
}

fn detect(text: &str) -> bool {
    let t = strip_tag(text);
    if system_event(t).is_some() {
        return true;
    }
    if t.starts_with("RT_FLOW_SESSION_")
        || t.starts_with("APPTRACK_SESSION_")
        || security_msgid(t).is_some()
    {
        return true;
    }
    // The bare sentence (the MSG of an RFC 5424 record): it must hold an
    // `addr/port->addr/port` near the start.
    match sentence_kind(t) {
        Some((_, rest)) => {
            let b = rest.as_bytes();
            let head = b.get(..TUPLE_WINDOW).unwrap_or(b);
            memmem::find(head, b"->").is_some() && memchr::memchr(b'/', head).is_some()
        }
        None => false,
    }
}

/// Junos system events a SOC watches (on any Junos device, not only SRX):
/// SSH login failures, CLI and J-Web logins, logouts and commits, SNMP
/// community failures, and firewall filter logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum System {
    SshLoginFailed,
    Login,
    Authenticated,
    Logout,
    Commit,
    SnmpAuthFailure,
    FilterLog,
}

/// The system event `t` starts with, its tag and what follows the tag.
fn system_event(t: &str) -> Option<(System, &str, &str)> {
    const TAGS: &[(&str, System)] = &[
        ("SSHD_LOGIN_FAILED", System::SshLoginFailed),
        ("UI_LOGIN_EVENT", System::Login),
        ("UI_AUTH_EVENT", System::Authenticated),
        ("UI_LOGOUT_EVENT", System::Logout),
        ("UI_COMMIT", System::Commit),
        ("SNMPD_AUTH_FAILURE", System::SnmpAuthFailure),
        ("PFE_FW_SYSLOG_IP", System::FilterLog),
        ("PFE_FW_SYSLOG_IP6_GEN", System::FilterLog),
        ("FW", System::FilterLog),
    ];
    fn first(t: &str) -> Option<(System, &str, &str)> {
        if !matches!(t.as_bytes().first(), Some(b'S' | b'U' | b'P' | b'F')) {
            return None;
        }
        let end = t
            .bytes()
            .position(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_'))
            .unwrap_or(t.len());
        let (tag, rest) = t.split_at(end);
        let (_, sys) = TAGS.iter().find(|(n, _)| *n == tag)?;
        // The tag ends the text, or `: ` or ` [` follows it.
        (rest.is_empty() || rest.starts_with(": ") || rest.starts_with(" ["))
            .then_some((*sys, tag, rest))
    }
    first(t)
}

/// The text between `'` after `after` in `s`: `quoted("user 'bob'", "user ")`.
fn quoted_after<'a>(s: &'a str, after: &str) -> Option<&'a str> {
    let at = s.find(after)? + after.len();
    let r = s.get(at..)?.strip_prefix('\'')?;
    r.get(..r.find('\'')?)
}

/// Parses a system event; `at` is where the text after its tag starts.
fn system(
    ev: &mut Event,
    vendor: &mut Vendor,
    (kind, tag, rest): (System, &str, &str),
    at: usize,
) -> Result<(), ParseError> {
    ev.set(key!("observer.product"), "Junos");
    ev.set(key!("event.dataset"), "juniper.junos");
    ev.set(key!("event.code"), tag);
    // Structured data from the 5424 header, or written in the text.
    let mut params = sd_params(ev, vendor);
    let text = match rest.strip_prefix(": ") {
        Some(t) => t,
        None => {
            let r = rest.trim_start_matches(' ');
            if let Some(b) = r.strip_prefix('[') {
                let body = b.get(b.find(' ').unwrap_or(b.len())..).unwrap_or("");
                let mut pairs = Pairs::new(body.trim_end_matches(']'));
                for p in pairs.by_ref() {
                    let v = p.value();
                    apply(ev, vendor, p.key, &v);
                    params += 1;
                }
            }
            ""
        }
    };
    let user = |ev: &mut Event, u: Option<&str>| {
        if let Some(u) = u.filter(|u| !u.is_empty()) {
            set_text(ev, key!("user.name"), u);
        }
    };
    let (category, ty, action, outcome) = match kind {
        System::SshLoginFailed => {
            user(ev, quoted_after(text, "for user "));
            if let Some(h) = quoted_after(text, "from host ") {
                set_ip(ev, key!("source.ip"), h);
            }
            (
                "authentication",
                "start",
                "ssh-login-failed",
                Some("failure"),
            )
        }
        System::Login => {
            user(ev, quoted_after(text, "User "));
            if let Some(class) = quoted_after(text, "class ") {
                ev.set(key!("juniper.junos.class"), class);
            }
            // `ssh-connection '10.0.0.5 53211 10.0.0.1 22'`.
            let conn = quoted_after(text, "-connection ").unwrap_or("");
            let mut w = conn.split(' ');
            if let (Some(sip), Some(sp), Some(dip), Some(dp)) =
                (w.next(), w.next(), w.next(), w.next())
            {
                set_ip(ev, key!("source.ip"), sip);
                set_port(ev, key!("source.port"), sp);
                set_ip(ev, key!("destination.ip"), dip);
                set_port(ev, key!("destination.port"), dp);
            }
            ("authentication", "start", "login", Some("success"))
        }
        System::Authenticated => {
            user(ev, quoted_after(text, "user "));
            if let Some(level) = quoted_after(text, "permission level ") {
                ev.set(key!("juniper.junos.class"), level);
            }
            ("authentication", "info", "authenticated", Some("success"))
        }
        System::Logout => {
            user(ev, quoted_after(text, "User "));
            ("authentication", "end", "logout", Some("success"))
        }
        System::Commit => {
            user(ev, quoted_after(text, "User "));
            ("configuration", "change", "commit", Some("success"))
        }
        System::SnmpAuthFailure => {
            // `nsa_log_community: unauthorized SNMP community from 10.0.0.9
            // to 10.0.0.1 (public)`.
            let mut w = text.split(' ');
            while let Some(x) = w.next() {
                match x {
                    "from" => {
                        if let Some(ip) = w.next() {
                            set_ip(ev, key!("source.ip"), ip);
                        }
                    }
                    "to" => {
                        if let Some(ip) = w.next() {
                            set_ip(ev, key!("destination.ip"), ip);
                        }
                    }
                    _ => {}
                }
            }
            (
                "authentication",
                "info",
                "snmp-auth-failure",
                Some("failure"),
            )
        }
        System::FilterLog => return filter_log(ev, text, at + (rest.len() - text.len())),
    };
    ev.set(key!("event.category"), category);
    ev.set(key!("event.type"), ty);
    ev.set(key!("event.action"), action);
    if let Some(o) = outcome {
        ev.set(key!("event.outcome"), o);
    }
    ev.logsource = LogSource::new(Some("junos"), None, &[]);
    ev.set(key!("observer.type"), "network");
    if text.is_empty() && params == 0 {
        return Err(ParseError::expected(
            P,
            "the event's text or structured data",
            at,
        ));
    }
    Ok(())
}

/// A firewall filter log (`FW: ge-0/0/0.0 D tcp 203.0.113.7 10.0.0.1 51234
/// 22 (1 packets)`): the interface, the action (`A`ccept, `D`iscard,
/// `R`eject), the protocol, the addresses, the ports and the packet count.
fn filter_log(ev: &mut Event, text: &str, at: usize) -> Result<(), ParseError> {
    ev.set(key!("event.category"), "network");
    let mut w = text.split(' ').filter(|w| !w.is_empty());
    let fail = || {
        ParseError::expected(
            P,
            "IFACE ACTION PROTO SRC DST [SPORT DPORT] (N packets)",
            at,
        )
    };
    let iface = w.next().ok_or_else(fail)?;
    ev.set(key!("observer.ingress.interface.name"), iface);
    let (action, ty, outcome) = match w.next().ok_or_else(fail)? {
        "A" => ("accept", "allowed", "success"),
        "D" => ("discard", "denied", "failure"),
        "R" => ("reject", "denied", "failure"),
        _ => return Err(fail()),
    };
    ev.set(key!("event.action"), action);
    ev.set(key!("event.type"), ty);
    ev.set(key!("event.outcome"), outcome);
    let proto = w.next().ok_or_else(fail)?;
    ev.set(
        key!("network.transport"),
        super::transport_name(proto).as_ref(),
    );
    let src = w.next().ok_or_else(fail)?;
    let dst = w.next().ok_or_else(fail)?;
    if !set_ip(ev, key!("source.ip"), src) || !set_ip(ev, key!("destination.ip"), dst) {
        return Err(fail());
    }
    let mut next = w.next();
    if let (Some(sp), Some(dp)) = (next.filter(|p| !p.starts_with('(')), w.clone().next()) {
        if sp != "0" || dp != "0" {
            set_port(ev, key!("source.port"), sp);
            set_port(ev, key!("destination.port"), dp);
        }
        w.next();
        next = w.next();
    }
    if let Some(n) = next.and_then(|p| p.strip_prefix('(')) {
        set_count(ev, key!("network.packets"), n);
    }
    Ok(())
}

/// Sets `juniper.srx.<param>` with `-` written `_`, reusing one buffer.
struct Vendor {
    /// `juniper.srx.<param>` for a parameter [`JUNOS_KEYS`] lacks;
    /// allocated on the first.
    buf: String,
}

impl Vendor {
    fn new() -> Self {
        Vendor { buf: String::new() }
    }

    fn set(&mut self, ev: &mut Event, key: &str, value: &str) {
        if let Some(k) = JUNOS_KEYS.get(key) {
            ev.set(k, value);
            return;
        }
        self.buf.clear();
        self.buf.push_str(VENDOR);
        // Pushed a piece at a time: a `char` map costs a UTF-8 encode per byte.
        for (i, piece) in super::split_byte(key, b'-').enumerate() {
            if i > 0 {
                self.buf.push('_');
            }
            self.buf.push_str(piece);
        }
        ev.set(&self.buf, value);
    }
}

/// The parameters Junos documents for its flow, IDP and UTM messages, as
/// vendor field keys (see [`super::KnownKeys`]); others are named at run
/// time.
static JUNOS_KEYS: std::sync::LazyLock<super::KnownKeys> = std::sync::LazyLock::new(|| {
    super::KnownKeys::underscored(
        VENDOR,
        &[
            "action",
            "application",
            "application-category",
            "application-characteristics",
            "application-name",
            "application-risk",
            "application-sub-category",
            "attack-name",
            "bytes-from-client",
            "bytes-from-server",
            "category",
            "connection-tag",
            "destination-address",
            "destination-interface-name",
            "destination-port",
            "destination-zone",
            "destination-zone-name",
            "dst-nat-rule-name",
            "dst-nat-rule-type",
            "elapsed-time",
            "encrypted",
            "export-id",
            "filename",
            "icmp-type",
            "message",
            "nat-connection-tag",
            "nat-destination-address",
            "nat-destination-port",
            "nat-source-address",
            "nat-source-port",
            "nested-application",
            "obj",
            "packet-incoming-interface",
            "packets-from-client",
            "packets-from-server",
            "policy-name",
            "protocol-id",
            "protocol-name",
            "reason",
            "repeat-count",
            "roles",
            "rule-name",
            "rulebase-name",
            "service-name",
            "session-id",
            "session-id-32",
            "severity",
            "source-address",
            "source-interface-name",
            "source-port",
            "source-zone",
            "source-zone-name",
            "src-nat-rule-name",
            "src-nat-rule-type",
            "threat-severity",
            "url",
            "username",
        ],
    )
});

/// Whether a value is a placeholder for "nothing".
fn empty(v: &str) -> bool {
    v.is_empty() || v == "N/A"
}

/// Maps one parameter, by its Junos name, to ECS and the vendor fields.
fn apply(ev: &mut Event, vendor: &mut Vendor, key: &str, v: &str) {
    if empty(v) {
        return;
    }
    vendor.set(ev, key, v);
    match key {
        "source-address" => {
            set_ip(ev, key!("source.ip"), v);
        }
        "source-port" => set_port(ev, key!("source.port"), v),
        "destination-address" => {
            set_ip(ev, key!("destination.ip"), v);
        }
        "destination-port" => set_port(ev, key!("destination.port"), v),
        "nat-source-address" => {
            set_ip(ev, key!("source.nat.ip"), v);
        }
        "nat-source-port" => set_port(ev, key!("source.nat.port"), v),
        "nat-destination-address" => {
            set_ip(ev, key!("destination.nat.ip"), v);
        }
        "nat-destination-port" => set_port(ev, key!("destination.nat.port"), v),
        "protocol-id" => set_proto_number(ev, v),
        "policy-name" => ev.set(key!("rule.name"), v),
        "source-zone-name" => ev.set(key!("observer.ingress.zone"), v),
        "destination-zone-name" => ev.set(key!("observer.egress.zone"), v),
        "session-id-32" | "session-id" => ev.set(key!("juniper.srx.session_id"), v),
        "reason" => ev.set(key!("event.reason"), v),
        "packets-from-client" => set_count(ev, key!("source.packets"), v),
        "bytes-from-client" => set_count(ev, key!("source.bytes"), v),
        "packets-from-server" => set_count(ev, key!("destination.packets"), v),
        "bytes-from-server" => set_count(ev, key!("destination.bytes"), v),
        "elapsed-time" => {
            if let Some(ns) = count(v).and_then(|s| s.checked_mul(1_000_000_000)) {
                ev.set(key!("event.duration"), ns);
            }
        }
        "application" if v != "UNKNOWN" => {
            ev.set(key!("network.application"), v.to_ascii_lowercase())
        }
        "username" => {
            set_text(ev, key!("user.name"), v);
            set_text(ev, key!("source.user.name"), v);
        }
        "packet-incoming-interface" => ev.set(key!("observer.ingress.interface.name"), v),
        // IDP and UTM parameters.
        "source-zone" => ev.set(key!("observer.ingress.zone"), v),
        "destination-zone" => ev.set(key!("observer.egress.zone"), v),
        "source-interface-name" => ev.set(key!("observer.ingress.interface.name"), v),
        "destination-interface-name" => ev.set(key!("observer.egress.interface.name"), v),
        "protocol-name" => ev.set(key!("network.transport"), v.to_ascii_lowercase()),
        "application-name" if v != "UNKNOWN" => {
            ev.set(key!("network.application"), v.to_ascii_lowercase())
        }
        "url" => ev.set(key!("url.domain"), v),
        "obj" => ev.set(key!("url.path"), v),
        "category" => ev.set(key!("rule.category"), v),
        "filename" => ev.set(key!("file.path"), v),
        "threat-severity" => ev.set(key!("event.severity_name"), v.to_ascii_lowercase()),
        _ => {}
    }
}

/// Sets `network.bytes` / `network.packets` from both directions.
fn totals(ev: &mut Event) {
    for (a, b, total) in [
        ("source.bytes", "destination.bytes", "network.bytes"),
        ("source.packets", "destination.packets", "network.packets"),
    ] {
        if let (Some(FieldValue::Int(x)), Some(FieldValue::Int(y))) = (ev.get(a), ev.get(b)) {
            if let Some(t) = x.checked_add(*y) {
                ev.set(total, t);
            }
        }
    }
}

/// Applies the Junos structured data the RFC 5424 parser kept; how many
/// parameters there were. Each is copied out (into buffers reused for the
/// record) before it is applied, since applying sets fields; the walk
/// stops at the fields there were before.
fn sd_params(ev: &mut Event, vendor: &mut Vendor) -> usize {
    let (mut param, mut value) = (String::new(), String::new());
    let mut params = 0;
    for i in 0..ev.fields.len() {
        if params == MAX_PARAMS {
            break;
        }
        let Some((k, v)) = ev.fields.get_index(i) else {
            break;
        };
        let (Some(v), true) = (v.as_str(), k.starts_with(SD_PREFIX)) else {
            continue;
        };
        let Some((_, p)) = super::rsplit_once_byte(k, b'.') else {
            continue;
        };
        param.clear();
        param.push_str(p);
        value.clear();
        value.push_str(v);
        params += 1;
        apply(ev, vendor, &param, &value);
    }
    params
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    ev.logsource = LogSource::new(Some("junos"), Some("firewall"), &[]);
    ev.set(key!("observer.vendor"), "Juniper");
    ev.set(key!("observer.product"), "SRX");
    ev.set(key!("observer.type"), "firewall");
    ev.set(key!("event.kind"), "event");
    ev.set(key!("event.category"), "network");
    ev.set(key!("event.dataset"), "juniper.srx");

    let t = strip_tag(text);
    let base = text.len() - t.len();
    let mut vendor = Vendor::new();
    if let Some(found) = system_event(t) {
        return system(ev, &mut vendor, found, base + (t.len() - found.2.len()));
    }
    let mut msg: Option<Msg> = None;
    let mut result = Ok(());
    let mut sentence: Option<(&str, usize)> = None;
    let mut brief: Option<(&str, usize)> = None;

    let security = security_msgid(t);
    if t.starts_with("RT_FLOW_SESSION_") || t.starts_with("APPTRACK_SESSION_") || security.is_some()
    {
        let end = t.find([' ', ':', '[']).unwrap_or(t.len());
        let id = t.get(..end).unwrap_or("");
        ev.set(key!("event.code"), id);
        msg = msgid_kind(id);
        let rest = t.get(end..).unwrap_or("");
        let rest_at = base + end;
        if let Some(r) = rest.strip_prefix(": ") {
            sentence = Some((r, rest_at + 2));
        } else {
            let r = rest.trim_start_matches(' ');
            if r.starts_with('[') {
                brief = Some((r, rest_at + rest.len() - r.len()));
            } else if !r.is_empty() {
                result = Err(ParseError::expected(P, "': ' or '['", rest_at));
            }
        }
    } else {
        sentence = Some((t, base));
    }
    if msg.is_none() {
        msg = ev.get_str("log.syslog.msgid").and_then(msgid_kind);
    }

    // Structured data: from the RFC 5424 header, else written in the text.
    let params = sd_params(ev, &mut vendor);
    let have_sd = params > 0;
    if let Some((b, at)) = brief {
        // `[junos@2636.1.1.1.2.40 k="v" ...]`: skip the SD-ID.
        let body_at = b.bytes().position(|c| c == b' ').unwrap_or(b.len());
        let body = b.get(body_at..).unwrap_or("");
        let mut pairs = Pairs::new(body);
        for p in pairs.by_ref() {
            let v = p.value();
            apply(ev, &mut vendor, p.key, &v);
        }
        if let Err(e) = pairs.error(P) {
            result = Err(e.shifted(at + body_at));
        }
    }

    if let Some((s, at)) = sentence {
        let found = sentence_kind(s);
        if msg.is_none() {
            msg = found.map(|(m, _)| m);
        }
        match found {
            // The structured data says it all: the sentence only repeats it.
            Some(_) if have_sd => {}
            Some((m, rest)) => {
                let rest_at = at + (s.len() - rest.len());
                if let Err(e) = positional(ev, &mut vendor, m, rest, rest_at) {
                    result = Err(e);
                }
            }
            None if have_sd => {}
            None => {
                result = Err(ParseError::expected(
                    P,
                    "'session created', 'session closed' or 'session denied'",
                    at,
                ))
            }
        }
    }

    if let Some(sec) = security {
        ev.set(key!("event.action"), sec.action);
        ev.set(key!("event.category"), sec.category);
        ev.set(key!("event.kind"), sec.kind);
        if let Some(o) = sec.outcome {
            ev.set(key!("event.outcome"), o);
        }
        // What was detected names the event, not the policy it was in
        // (the parameters are kept as `juniper.srx.<param>`).
        let named = ["juniper.srx.attack_name", "juniper.srx.name"]
            .iter()
            .find_map(|k| ev.get_str(k).map(Text::from));
        if let Some(n) = named {
            ev.set(key!("rule.name"), n);
        }
        if !have_sd && brief.is_none() && result.is_ok() {
            result = Err(ParseError::expected(P, "structured data", t.len() + base));
        }
    }
    if let Some((kind, apptrack)) = msg {
        let (action, ty, outcome) = match kind {
            Kind::Create => ("session-create", "start", "success"),
            Kind::Close => ("session-close", "end", "success"),
            Kind::Deny => ("session-deny", "denied", "failure"),
            Kind::VolumeUpdate => ("volume-update", "info", "success"),
            Kind::AppUpdate => ("app-update", "info", "success"),
        };
        if apptrack {
            ev.set(key!("event.action"), format!("apptrack-{action}"));
        } else {
            ev.set(key!("event.action"), action);
        }
        ev.set(key!("event.type"), ty);
        ev.set(key!("event.outcome"), outcome);
    }
    totals(ev);
    result
}

/// Space-separated words with their offsets.
struct Words<'a> {
    text: &'a str,
    pos: usize,
    base: usize,
}

impl<'a> Words<'a> {
    fn new(text: &'a str, base: usize) -> Self {
        Words { text, pos: 0, base }
    }

    /// The next word, or an error naming `what` at the end of the text.
    fn want(&mut self, what: &'static str) -> Result<(&'a str, usize), ParseError> {
        self.next()
            .ok_or_else(|| ParseError::expected(P, what, self.base + self.text.len()))
    }

    fn peek(&self) -> Option<&'a str> {
        let r = self.text.get(self.pos..)?.trim_start_matches(' ');
        let end = r.bytes().position(|c| c == b' ').unwrap_or(r.len());
        r.get(..end).filter(|w| !w.is_empty())
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = (&'a str, usize);

    fn next(&mut self) -> Option<(&'a str, usize)> {
        let b = self.text.as_bytes();
        while b.get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
        let start = self.pos;
        if start >= b.len() {
            return None;
        }
        // Words are short: a byte loop beats memchr's set-up.
        let end = b
            .get(start..)?
            .iter()
            .position(|&c| c == b' ')
            .map_or(b.len(), |i| start + i);
        self.pos = end;
        Some((self.text.get(start..end)?, self.base + start))
    }
}

/// `a/p->b/q`: the two addresses and ports.
fn tuple(w: &str) -> Option<(&str, &str, &str, &str)> {
    let (src, dst) = w.split_once("->")?;
    let (sa, sp) = super::rsplit_once_byte(src, b'/')?;
    let (da, dp) = super::rsplit_once_byte(dst, b'/')?;
    Some((sa, sp, da, dp))
}

/// `name(inner)`: the name and the inner text.
fn paren(w: &str) -> (&str, Option<&str>) {
    match super::split_once_byte(w, b'(') {
        Some((a, b)) => (a, Some(b.strip_suffix(')').unwrap_or(b))),
        None => (w, None),
    }
}

/// The positional fields of a sentence, after `session created ` (or
/// closed, denied, ...). `at` is where `s` starts in the text.
fn positional(
    ev: &mut Event,
    vendor: &mut Vendor,
    (kind, apptrack): Msg,
    s: &str,
    at: usize,
) -> Result<(), ParseError> {
    let mut s = s;
    let mut at = at;
    if kind == Kind::Close {
        // `session closed <reason>: ...`; the reason may hold spaces.
        let Some(i) = memmem::find(s.as_bytes(), b": ") else {
            return Err(ParseError::expected(P, "': ' after the close reason", at));
        };
        apply(ev, vendor, "reason", s.get(..i).unwrap_or(""));
        s = s.get(i + 2..).unwrap_or("");
        at += i + 2;
    }
    let mut w = Words::new(s, at);
    const TUPLE: &str = "source-address/source-port->destination-address/destination-port";
    let (t, t_at) = w.want(TUPLE)?;
    let (sa, sp, da, dp) = tuple(t).ok_or_else(|| ParseError::expected(P, TUPLE, t_at))?;
    apply(ev, vendor, "source-address", sa);
    apply(ev, vendor, "source-port", sp);
    apply(ev, vendor, "destination-address", da);
    apply(ev, vendor, "destination-port", dp);
    let tagged = w.peek().is_some_and(|p| p.starts_with("0x"));
    if tagged {
        let (tag, _) = w.want("connection-tag")?;
        apply(ev, vendor, "connection-tag", tag);
    }
    apply(ev, vendor, "service-name", w.want("service-name")?.0);
    if apptrack {
        apply(ev, vendor, "application", w.want("application")?.0);
        apply(
            ev,
            vendor,
            "nested-application",
            w.want("nested-application")?.0,
        );
    }

    if kind == Kind::Deny {
        let (proto, _) = w.want("protocol-id")?;
        let (p, icmp) = paren(proto);
        apply(ev, vendor, "protocol-id", p);
        if let Some(i) = icmp {
            apply(ev, vendor, "icmp-type", i);
        }
        apply(ev, vendor, "policy-name", w.want("policy-name")?.0);
        apply(
            ev,
            vendor,
            "source-zone-name",
            w.want("source-zone-name")?.0,
        );
        apply(
            ev,
            vendor,
            "destination-zone-name",
            w.want("destination-zone-name")?.0,
        );
        // Later versions: application nested-application username(roles)
        // packet-incoming-interface ...
        if let Some((a, _)) = w.next() {
            apply(ev, vendor, "application", a);
        }
        if let Some((a, _)) = w.next() {
            apply(ev, vendor, "nested-application", a);
        }
        if let Some((u, _)) = w.next() {
            user(ev, vendor, u);
        }
        if let Some((i, _)) = w.next() {
            apply(ev, vendor, "packet-incoming-interface", i);
        }
        return Ok(());
    }

    const NAT: &str =
        "nat-source-address/nat-source-port->nat-destination-address/nat-destination-port";
    let (t, t_at) = w.want(NAT)?;
    let (sa, sp, da, dp) = tuple(t).ok_or_else(|| ParseError::expected(P, NAT, t_at))?;
    apply(ev, vendor, "nat-source-address", sa);
    apply(ev, vendor, "nat-source-port", sp);
    apply(ev, vendor, "nat-destination-address", da);
    apply(ev, vendor, "nat-destination-port", dp);
    if w.peek().is_some_and(|p| p.starts_with("0x")) {
        let (tag, _) = w.want("nat-connection-tag")?;
        apply(ev, vendor, "nat-connection-tag", tag);
    }
    for (ty, name) in [
        ("src-nat-rule-type", "src-nat-rule-name"),
        ("dst-nat-rule-type", "dst-nat-rule-name"),
    ] {
        if tagged {
            // `source rule r1`, `static rule s1` or `N/A N/A`.
            let (t, _) = w.want(ty)?;
            if w.peek() == Some("rule") {
                let _ = w.next();
            }
            apply(ev, vendor, ty, t);
        }
        apply(ev, vendor, name, w.want(name)?.0);
    }
    apply(ev, vendor, "protocol-id", w.want("protocol-id")?.0);
    apply(ev, vendor, "policy-name", w.want("policy-name")?.0);
    apply(
        ev,
        vendor,
        "source-zone-name",
        w.want("source-zone-name")?.0,
    );
    apply(
        ev,
        vendor,
        "destination-zone-name",
        w.want("destination-zone-name")?.0,
    );
    apply(ev, vendor, "session-id-32", w.want("session-id-32")?.0);

    if matches!(kind, Kind::Close | Kind::VolumeUpdate | Kind::AppUpdate) {
        for (pk, by) in [
            ("packets-from-client", "bytes-from-client"),
            ("packets-from-server", "bytes-from-server"),
        ] {
            let (v, v_at) = w.want("packets(bytes)")?;
            let (p, b) = paren(v);
            if count(p).is_none() || b.and_then(count).is_none() {
                return Err(ParseError::expected(P, "packets(bytes)", v_at));
            }
            apply(ev, vendor, pk, p);
            apply(ev, vendor, by, b.unwrap_or(""));
        }
        apply(ev, vendor, "elapsed-time", w.want("elapsed-time")?.0);
    }
    if apptrack {
        return Ok(());
    }
    // Later versions append more fields; older ones end here.
    if kind == Kind::Create {
        if let Some((u, _)) = w.next() {
            user(ev, vendor, u);
        }
        if let Some((i, _)) = w.next() {
            apply(ev, vendor, "packet-incoming-interface", i);
        }
        if let Some((a, _)) = w.next() {
            apply(ev, vendor, "application", a);
        }
        if let Some((a, _)) = w.next() {
            apply(ev, vendor, "nested-application", a);
        }
    } else {
        if let Some((a, _)) = w.next() {
            apply(ev, vendor, "application", a);
        }
        if let Some((a, _)) = w.next() {
            apply(ev, vendor, "nested-application", a);
        }
        if let Some((u, _)) = w.next() {
            user(ev, vendor, u);
        }
        if let Some((i, _)) = w.next() {
            apply(ev, vendor, "packet-incoming-interface", i);
        }
    }
    Ok(())
}

/// `username(roles)`.
fn user(ev: &mut Event, vendor: &mut Vendor, w: &str) {
    let (u, roles) = paren(w);
    apply(ev, vendor, "username", u);
    if let Some(r) = roles {
        apply(ev, vendor, "roles", r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;
    use vedette_model::Origin;

    fn event() -> Event {
        Event::raw(
            1,
            datetime!(2026-11-25 03:00:00 UTC),
            Origin::new("test", None),
            b"",
        )
    }

    const CREATE: &str = "RT_FLOW_SESSION_CREATE: session created 10.0.0.5/51234->203.0.113.9/443 0x0 junos-https 198.51.100.1/51234->203.0.113.9/443 0x0 source rule r1 N/A N/A 6 allow-web trust untrust 12345 N/A(N/A) ge-0/0/1.0 UNKNOWN UNKNOWN UNKNOWN N/A N/A -1";

    #[test]
    fn detects_only_junos_flow() {
        assert!(detect(CREATE));
        assert!(detect(&format!("RT_FLOW: {CREATE}")));
        assert!(detect(
            "RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.40 a=\"b\"]"
        ));
        assert!(detect("APPTRACK_SESSION_CLOSE [junos@2636.1.1.1.2.40]"));
        assert!(detect(
            "session closed TCP FIN: 10.0.0.5/1->10.0.0.6/2 junos-http"
        ));
        assert!(!detect("session closed for user root"));
        assert!(!detect("session opened for user root by (uid=0)"));
        assert!(!detect("RT_FLOW: something else"));
        assert!(!detect("%ASA-6-302013: Built inbound TCP connection"));
        assert!(!detect(""));
    }

    #[test]
    fn create_plain() {
        let mut ev = event();
        assert_eq!(parse(&format!("RT_FLOW: {CREATE}"), &mut ev), Ok(()));
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.5"));
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(51234)));
        assert_eq!(ev.get_str("destination.ip"), Some("203.0.113.9"));
        assert_eq!(ev.get("destination.port"), Some(&FieldValue::Int(443)));
        assert_eq!(ev.get_str("source.nat.ip"), Some("198.51.100.1"));
        assert_eq!(ev.get_str("juniper.srx.src_nat_rule_name"), Some("r1"));
        assert_eq!(ev.get_str("juniper.srx.src_nat_rule_type"), Some("source"));
        assert_eq!(ev.get("juniper.srx.dst_nat_rule_name"), None);
        assert_eq!(ev.get_str("network.transport"), Some("tcp"));
        assert_eq!(ev.get_str("rule.name"), Some("allow-web"));
        assert_eq!(ev.get_str("observer.ingress.zone"), Some("trust"));
        assert_eq!(ev.get_str("observer.egress.zone"), Some("untrust"));
        assert_eq!(ev.get_str("juniper.srx.session_id"), Some("12345"));
        assert_eq!(
            ev.get_str("observer.ingress.interface.name"),
            Some("ge-0/0/1.0")
        );
        assert_eq!(ev.get("user.name"), None);
        assert_eq!(ev.get("network.application"), None);
        assert_eq!(ev.get_str("event.action"), Some("session-create"));
        assert_eq!(ev.get_str("event.type"), Some("start"));
        assert!(ev.logsource.admits(Some("junos"), Some("firewall"), None));
    }

    #[test]
    fn close_old_format() {
        let mut ev = event();
        let r = parse(
            "RT_FLOW_SESSION_CLOSE: session closed idle Timeout: 10.0.0.5/5353->10.0.0.255/5353 junos-mdns 10.0.0.5/5353->10.0.0.255/5353 None None 17 default-permit trust trust 99 3(300) 0(0) 60",
            &mut ev,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("event.reason"), Some("idle Timeout"));
        assert_eq!(ev.get_str("network.transport"), Some("udp"));
        assert_eq!(ev.get("source.bytes"), Some(&FieldValue::Int(300)));
        assert_eq!(ev.get("destination.packets"), Some(&FieldValue::Int(0)));
        assert_eq!(ev.get("network.bytes"), Some(&FieldValue::Int(300)));
        assert_eq!(
            ev.get("event.duration"),
            Some(&FieldValue::Int(60_000_000_000))
        );
        assert_eq!(ev.get_str("event.type"), Some("end"));
    }

    #[test]
    fn deny_and_truncated() {
        let mut ev = event();
        let r = parse(
            "RT_FLOW_SESSION_DENY: session denied 10.0.0.5/0->203.0.113.9/0 0x0 icmp 1(8) deny-all trust untrust UNKNOWN UNKNOWN alice(staff) ge-0/0/1.0 No policy deny",
            &mut ev,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("network.transport"), Some("icmp"));
        assert_eq!(ev.get_str("juniper.srx.icmp_type"), Some("8"));
        assert_eq!(ev.get_str("user.name"), Some("alice"));
        assert_eq!(ev.get_str("juniper.srx.roles"), Some("staff"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));

        let mut ev = event();
        let text = "RT_FLOW_SESSION_CREATE: session created 10.0.0.5/1->10.0.0.6/2 0x0 svc";
        let r = parse(text, &mut ev);
        assert_eq!(
            r,
            Err(ParseError::expected(
                P,
                "nat-source-address/nat-source-port->nat-destination-address/nat-destination-port",
                text.len()
            ))
        );
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.5"));
        let mut ev = event();
        let r = parse("RT_FLOW_SESSION_CREATE: session created garbage", &mut ev);
        assert!(matches!(r, Err(ParseError::Expected { offset: 40, .. })));
    }

    #[test]
    fn brief_structured_in_text() {
        let mut ev = event();
        let r = parse(
            r#"RT_FLOW_SESSION_CLOSE [junos@2636.1.1.1.2.40 reason="TCP FIN" source-address="10.0.0.5" source-port="51234" destination-address="203.0.113.9" destination-port="443" protocol-id="6" policy-name="allow-web" bytes-from-client="1188" bytes-from-server="4036" elapsed-time="2" application="SSL" username="bob"]"#,
            &mut ev,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("event.reason"), Some("TCP FIN"));
        assert_eq!(ev.get("destination.port"), Some(&FieldValue::Int(443)));
        assert_eq!(ev.get("network.bytes"), Some(&FieldValue::Int(5224)));
        assert_eq!(ev.get_str("network.application"), Some("ssl"));
        assert_eq!(ev.get_str("user.name"), Some("bob"));
        assert_eq!(ev.get_str("event.action"), Some("session-close"));
        let mut ev = event();
        let r = parse(
            r#"RT_FLOW_SESSION_CLOSE [junos@2636.1 reason="open"#,
            &mut ev,
        );
        assert!(r.is_err());
        assert_eq!(ev.get_str("event.reason"), Some("open"));
    }

    #[test]
    fn rfc5424_fields_win() {
        let mut ev = event();
        ev.set(key!("log.syslog.msgid"), "RT_FLOW_SESSION_DENY");
        ev.set(
            "log.syslog.structured_data.junos@2636.1.1.1.2.40.source-address",
            "10.0.0.7",
        );
        let r = parse("session denied 10.0.0.5/1->10.0.0.6/2 x", &mut ev);
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.7"));
        assert_eq!(ev.get_str("event.type"), Some("denied"));
    }

    #[test]
    fn idp_and_utm_messages() {
        // RT_IDP from an RFC 5424 record (elastic/integrations' test log).
        let mut ev = event();
        ev.set(key!("log.syslog.msgid"), "IDP_ATTACK_LOG_EVENT");
        for (k, v) in [
            ("source-address", "1.128.3.4"),
            ("source-port", "12345"),
            ("destination-address", "175.16.199.1"),
            ("destination-port", "123"),
            ("protocol-name", "TCP"),
            ("policy-name", "Recommended"),
            ("action", "DROP"),
            ("threat-severity", "HIGH"),
            ("attack-name", "HTTP:MISC:GENERIC-DIR-TRAVERSAL"),
            ("source-zone-name", "UNTRUST"),
        ] {
            ev.set(&format!("{SD_PREFIX}2636.1.1.1.2.28.{k}"), v);
        }
        assert!(detect("IDP_ATTACK_LOG_EVENT"));
        assert_eq!(parse("IDP_ATTACK_LOG_EVENT", &mut ev), Ok(()));
        assert_eq!(ev.get_str("event.action"), Some("idp-attack"));
        assert_eq!(ev.get_str("event.category"), Some("intrusion_detection"));
        assert_eq!(ev.get_str("event.kind"), Some("alert"));
        assert_eq!(
            ev.get_str("rule.name"),
            Some("HTTP:MISC:GENERIC-DIR-TRAVERSAL")
        );
        assert_eq!(ev.get_str("juniper.srx.action"), Some("DROP"));
        assert_eq!(ev.get_str("juniper.srx.policy_name"), Some("Recommended"));
        assert_eq!(ev.get_str("network.transport"), Some("tcp"));
        assert_eq!(ev.get_str("source.ip"), Some("1.128.3.4"));
        assert_eq!(ev.get("destination.port"), Some(&FieldValue::Int(123)));
        assert_eq!(ev.get_str("event.severity_name"), Some("high"));
        // RT_UTM web filtering, relayed as BSD with the data in the text.
        let mut ev = event();
        let r = parse(
            r#"RT_UTM: WEBFILTER_URL_BLOCKED [junos@2636.1.1.1.2.129 source-zone="trust" destination-zone="untrust" source-address="1.128.3.4" source-port="59075" destination-address="175.16.199.1" destination-port="443" category="Enhanced_Advertisements" reason="BY_SITE_REPUTATION_SUSPICIOUS" profile="WCF1" url="dsp.adfarm1.adition.com" obj="/" username="N/A"]"#,
            &mut ev,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("event.action"), Some("url-blocked"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        assert_eq!(ev.get_str("url.domain"), Some("dsp.adfarm1.adition.com"));
        assert_eq!(ev.get_str("rule.category"), Some("Enhanced_Advertisements"));
        assert_eq!(ev.get_str("observer.ingress.zone"), Some("trust"));
        assert_eq!(ev.get_str("user.name"), None);
        // Anti-virus: the virus names the event.
        let mut ev = event();
        let r = parse(
            r#"AV_VIRUS_DETECTED_MT [junos@2636.1.1.1.2.40 source-address="1.128.3.4" source-port="80" destination-address="175.16.199.1" destination-port="47095" filename="www.eicar.org/download/eicar.com" name="EICAR-Test-File"]"#,
            &mut ev,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("event.category"), Some("malware"));
        assert_eq!(ev.get_str("rule.name"), Some("EICAR-Test-File"));
        assert_eq!(
            ev.get_str("file.path"),
            Some("www.eicar.org/download/eicar.com")
        );
        // The id alone, without structured data, is an error that says so.
        let mut ev = event();
        assert!(parse("IDP_ATTACK_LOG_EVENT", &mut ev).is_err());
        assert!(!detect("IDP_ATTACK_LOG_EVENTS are here"));
        assert!(!detect("AV_VIRUS_DETECTEDx"));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}", t in "[a-zA-Z0-9/>().:\" -]{0,120}") {
            for text in [
                s.clone(),
                t.clone(),
                format!("RT_FLOW_SESSION_CLOSE: session closed {t}"),
                format!("RT_FLOW_SESSION_DENY: session denied {t}"),
                format!("APPTRACK_SESSION_CLOSE: AppTrack session closed {t}"),
                format!("RT_FLOW_SESSION_CREATE [junos@2636 {t}"),
                format!("RT_IDP: IDP_ATTACK_LOG_EVENT [junos@2636 {t}"),
            ] {
                let mut ev = event();
                let _ = detect(&text);
                let _ = parse(&text, &mut ev);
            }
        }
    }
}
