//! Windows event log records as JSON, in the three shapes forwarders write:
//!
//! - **evtx** (`evtx_dump -o json`, Chainsaw, Hayabusa):
//!   `{"Event":{"System":{"Provider":{"#attributes":{"Name":..}},"EventID":4624,
//!   "Channel":..,"Computer":..,"TimeCreated":{"#attributes":{"SystemTime":..}}},
//!   "EventData":{..}}}` (also with `separate_json_attributes`:
//!   `Provider_attributes`, and `EventID` as `{"#text":..}`).
//! - **Winlogbeat** (ECS): `{"@timestamp":..,"winlog":{"channel":..,
//!   "event_id":..,"provider_name":..,"computer_name":..,"event_data":{..}},
//!   "event":{"code":..},"host":{"name":..}}`.
//! - **NXLog** `im_msvistalog` with `to_json()`: one flat object,
//!   `{"EventTime":"2026-11-25 10:00:00","Hostname":..,"EventID":4624,
//!   "SourceName":..,"Channel":..,"TargetUserName":..}`.
//!
//! Sigma rules for Windows test the native names, so the event data
//! (`EventData`, `winlog.event_data`, NXLog's flat fields) is put at the top
//! level under those names (`Image`, `CommandLine`, `TargetUserName`,
//! `LogonType`, ...), typed as the JSON had them, along with `EventID` (a
//! number), `Channel`, `Provider_Name` and `Computer`. ECS copies follow
//! (`event.code`, `host.name`, `winlog.*`, `user.name`, `source.ip`,
//! `process.*` for process creation; `event.action`, `event.category`,
//! `event.type` and `event.outcome` for the well-known events of
//! [`CLASSES`]), and the Sigma log source comes from the log source map
//! (`parsers/logsources.toml`, [`crate::LogSourceMap`]). Event data names
//! with spaces (Windows Defender's `Threat Name`, `Process Name`, `New
//! Value`, ...) are also set with the spaces removed (`ThreatName`), the
//! names Sigma rules use, unless the record has that name itself. Everything else in the record is kept
//! flattened under its dotted path (`Event.System.Execution.#attributes.ProcessID`,
//! `agent.version`, ...); Winlogbeat's `winlog` object is kept whole.
//!
//! `EventID` is a number when it reads as one; `event.code` and
//! `winlog.event_id` are its text (ECS keywords). The keys the event model
//! writes itself (`@timestamp`, `event.created`, `event.module`, ...) are
//! not taken from the record. A record nested deeper than [`MAX_DEPTH`] is
//! kept raw; a cut or malformed one keeps what was read before the fault.
//!
//! The JSON is read by [`flatten`], a small strict reader with bounded work
//! (nesting depth, number of values) that never panics.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::IpAddr;

use memchr::memmem;
use time::{OffsetDateTime, UtcOffset};
use vedette_model::{Event, FieldValue};

use crate::timestamp::parse_iso;
use crate::ParseError;

const P: &str = "windows";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "windows",
    fields: 64,
    first: |b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'{'),
    open: |_| false,
    needs: b"",
    gate: None,
    detect,
    parse,
    claim: None,
};

/// How deep objects and arrays may nest.
pub(super) const MAX_DEPTH: usize = 64;
/// How many fields one record may set.
pub(super) const MAX_FIELDS: usize = 1000;
/// The longest value kept, in bytes (longer text is cut at a character
/// boundary).
pub(super) const MAX_VALUE: usize = 64 * 1024;
/// Fields kept back from the record's own for the normalized ones.
const RESERVED: usize = 40;
/// How far into the text the detection looks.
const DETECT_WINDOW: usize = 512;

/// Keys the event model writes itself (`Event::to_json`) or the format
/// framework owns: a record's own are dropped.
pub(super) const RESERVED_KEYS: &[&str] = &[
    "@timestamp",
    "event.id",
    "event.created",
    "event.original",
    "event.module",
    "input.type",
    "log.source.address",
    "error.message",
];

/// `System` fields of the evtx shape put at the top level, by their path
/// under `Event.System.`, and their native name.
const EVTX_SYSTEM: &[(&str, &str)] = &[
    ("EventID", "EventID"),
    ("EventID.#text", "EventID"),
    ("Provider.#attributes.Name", "Provider_Name"),
    ("Provider_attributes.Name", "Provider_Name"),
    ("Provider.#attributes.Guid", "Provider_Guid"),
    ("Provider_attributes.Guid", "Provider_Guid"),
    ("Version", "Version"),
    ("Level", "Level"),
    ("Task", "Task"),
    ("Opcode", "Opcode"),
    ("Keywords", "Keywords"),
    ("EventRecordID", "EventRecordID"),
    ("Channel", "Channel"),
    ("Computer", "Computer"),
];

/// Paths of the record's time, in each shape.
const TIME_KEYS: &[&str] = &[
    "Event.System.TimeCreated.#attributes.SystemTime",
    "Event.System.TimeCreated_attributes.SystemTime",
    "@timestamp",
    "EventTime",
];

fn detect(text: &str) -> bool {
    let t = text.trim_start_matches([' ', '\t', '\r', '\n']);
    if !t.starts_with('{') {
        return false;
    }
    let head = t.as_bytes();
    let head = head.get(..DETECT_WINDOW).unwrap_or(head);
    let [event_id, winlog, winlogbeat, event, system, winlog_object] = &*DETECT_FINDERS;
    // Every key holds `Event` or `winlog`: one pass over the head rules
    // out most JSON that is not Windows.
    let mentions = memchr::memchr2_iter(b'E', b'w', head).any(|i| {
        head.get(i..)
            .is_some_and(|r| r.starts_with(b"Event") || r.starts_with(b"winlog"))
    });
    if mentions
        && (event_id.find(head).is_some()
            || winlog.find(head).is_some()
            || winlogbeat.find(head).is_some()
            || (event.find(head).is_some() && system.find(head).is_some()))
    {
        return true;
    }
    // Beats write keys in order, so Winlogbeat's `winlog` object comes
    // last, after a `message` of often kilobytes; without `agent` (dropped
    // by a processor, or a pipeline's output) only it tells. One search
    // past the head, for JSON only.
    t.len() > DETECT_WINDOW
        && winlog_object
            .find(&t.as_bytes()[DETECT_WINDOW - 16..])
            .is_some()
}

/// The keys `detect` looks for, built once.
static DETECT_FINDERS: std::sync::LazyLock<[memmem::Finder<'static>; 6]> =
    std::sync::LazyLock::new(|| {
        [
            &b"\"EventID\""[..],
            b"\"winlog\"",
            b"winlogbeat\"",
            b"\"Event\"",
            b"\"System\"",
            // Winlogbeat's object, searched for past the head.
            b"\"winlog\":{",
        ]
        .map(|n| memmem::Finder::new(n).into_owned())
    });

// --------------------------------------------------------------- mapping

/// Which forwarder wrote the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Evtx,
    Winlogbeat,
    Nxlog,
}

fn shape(leaves: &[(String, JsonScalar<'_>)]) -> Option<Shape> {
    let has = |f: &dyn Fn(&str) -> bool| leaves.iter().any(|(k, _)| f(k));
    if has(&|k| k.starts_with("Event.System.") || k.starts_with("Event.EventData.")) {
        Some(Shape::Evtx)
    } else if has(&|k| k.starts_with("winlog.")) {
        Some(Shape::Winlogbeat)
    } else if has(&|k| k == "EventID") {
        Some(Shape::Nxlog)
    } else {
        None
    }
}

/// The values every shape provides, each from the best of its candidate
/// paths (a lower rank wins).
#[derive(Default)]
struct Core<'l, 'a> {
    slots: [Option<(u8, &'l JsonScalar<'a>)>; 6],
}

const EVENT_ID: usize = 0;
const CHANNEL: usize = 1;
const PROVIDER: usize = 2;
const COMPUTER: usize = 3;
const TIME: usize = 4;
const MESSAGE: usize = 5;

impl<'l, 'a> Core<'l, 'a> {
    fn offer(&mut self, slot: usize, rank: u8, v: &'l JsonScalar<'a>) {
        if self.slots[slot].is_none_or(|(r, _)| rank < r) {
            self.slots[slot] = Some((rank, v));
        }
    }

    fn get(&self, slot: usize) -> Option<&'l JsonScalar<'a>> {
        self.slots[slot].map(|(_, v)| v)
    }

    fn text(&self, slot: usize) -> Option<&'l str> {
        match self.get(slot)? {
            JsonScalar::Str(s) if !s.trim().is_empty() => Some(s.trim()),
            _ => None,
        }
    }
}

/// The core value (slot and rank) at `path`, for each shape.
fn core_slot(shape: Shape, path: &str) -> Option<(usize, u8)> {
    Some(match (shape, path) {
        (Shape::Evtx, "Event.System.EventID" | "Event.System.EventID.#text") => (EVENT_ID, 0),
        (Shape::Evtx, "Event.System.Channel") => (CHANNEL, 0),
        (
            Shape::Evtx,
            "Event.System.Provider.#attributes.Name" | "Event.System.Provider_attributes.Name",
        ) => (PROVIDER, 0),
        (Shape::Evtx, "Event.System.Computer") => (COMPUTER, 0),
        (Shape::Winlogbeat, "winlog.event_id") => (EVENT_ID, 0),
        (Shape::Winlogbeat, "event.code") => (EVENT_ID, 1),
        (Shape::Winlogbeat, "winlog.channel") => (CHANNEL, 0),
        (Shape::Winlogbeat, "winlog.provider_name") => (PROVIDER, 0),
        (Shape::Winlogbeat, "event.provider") => (PROVIDER, 1),
        (Shape::Winlogbeat, "winlog.computer_name") => (COMPUTER, 0),
        (Shape::Winlogbeat, "host.name") => (COMPUTER, 1),
        (Shape::Winlogbeat, "host.hostname") => (COMPUTER, 2),
        (Shape::Nxlog, "EventID") => (EVENT_ID, 0),
        (Shape::Nxlog, "Channel") => (CHANNEL, 0),
        (Shape::Nxlog, "SourceName") => (PROVIDER, 0),
        (Shape::Nxlog, "ProviderName") => (PROVIDER, 1),
        (Shape::Nxlog, "Hostname") => (COMPUTER, 0),
        (Shape::Nxlog, "Message") => (MESSAGE, 0),
        (_, p) => (TIME, TIME_KEYS.iter().position(|t| *t == p)? as u8),
    })
}

/// Sets fields on the event, at most [`MAX_FIELDS`] in all.
struct Sink<'e> {
    ev: &'e mut Event,
    /// Fields the record's own values may still set.
    left: usize,
    dropped: bool,
}

impl Sink<'_> {
    /// A value of the record, under `key`, within the budget.
    fn keep(&mut self, key: &str, v: &JsonScalar<'_>) {
        if key.is_empty()
            || RESERVED_KEYS.contains(&key)
            || key.starts_with("sigma.")
            || matches!(v, JsonScalar::Null)
        {
            return;
        }
        if self.left == 0 {
            self.dropped = true;
            return;
        }
        self.left -= 1;
        self.ev.set(key, value(v));
    }

    /// A value under `name` with its spaces removed, when it has any
    /// (Defender's `Threat Name` is also `ThreatName`, the name Sigma rules
    /// use), unless the record has that name itself: its own value wins,
    /// whichever comes first.
    fn keep_joined(&mut self, name: &str, v: &JsonScalar<'_>) {
        if !name.contains(' ') {
            return;
        }
        let joined: String = name.split(' ').collect();
        if self.ev.get(&joined).is_none() {
            self.keep(&joined, v);
        }
    }

    /// A normalized field (the budget kept back covers these).
    fn put(&mut self, key: &str, v: impl Into<FieldValue>) {
        self.ev.set(key, v);
    }

    /// A normalized field that the record may already carry (Winlogbeat's
    /// own ECS fields win).
    fn put_absent(&mut self, key: &str, v: impl Into<FieldValue>) {
        if self.ev.get(key).is_none() {
            self.ev.set(key, v);
        }
    }
}

/// `s`, cut to [`MAX_VALUE`] bytes at a character boundary.
fn capped(s: &str) -> &str {
    if s.len() <= MAX_VALUE {
        return s;
    }
    let mut end = MAX_VALUE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

pub(super) fn value(v: &JsonScalar<'_>) -> FieldValue {
    match v {
        JsonScalar::Str(s) => FieldValue::Str(capped(s).into()),
        JsonScalar::Int(i) => FieldValue::Int(*i),
        JsonScalar::Float(f) => FieldValue::Float(*f),
        JsonScalar::Bool(b) => FieldValue::Bool(*b),
        JsonScalar::Null => FieldValue::Str(Default::default()),
    }
}

/// The native name a record value also goes under, for each shape: the
/// event data, and the `System` fields of the evtx shape.
fn native_name(shape: Shape, path: &str) -> Option<&str> {
    match shape {
        Shape::Evtx => {
            if let Some(rest) = path.strip_prefix("Event.System.") {
                EVTX_SYSTEM
                    .iter()
                    .find(|(p, _)| *p == rest)
                    .map(|(_, name)| *name)
            } else if let Some(rest) = path.strip_prefix("Event.EventData.") {
                Some(rest)
            } else {
                // `UserData` holds one element named after the event.
                let (_, rest) = path.strip_prefix("Event.UserData.")?.split_once('.')?;
                (!rest.starts_with("#attributes")).then_some(rest)
            }
        }
        Shape::Winlogbeat => path
            .strip_prefix("winlog.event_data.")
            .or_else(|| path.strip_prefix("winlog.user_data.")),
        Shape::Nxlog => None,
    }
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let mut leaves: Vec<(String, JsonScalar<'_>)> = Vec::new();
    let json = flatten(text, MAX_DEPTH, MAX_FIELDS, &mut |k, v| {
        if v != JsonScalar::Null {
            leaves.push((k.to_string(), v));
        }
    });
    let json_err = match json {
        // Nested deeper than any event log record: kept raw.
        Err((at, TOO_DEEP)) => return Err(ParseError::expected(P, TOO_DEEP, at)),
        Err((at, what)) => Some(ParseError::expected(P, what, at)),
        Ok(()) => None,
    };
    let mut sink = Sink {
        ev,
        left: MAX_FIELDS - RESERVED,
        dropped: false,
    };
    let Some(shape) = shape(&leaves) else {
        for (k, v) in &leaves {
            sink.keep(k, v);
        }
        return Err(json_err.unwrap_or_else(|| {
            ParseError::expected(P, "a Windows event (Event.System, winlog or EventID)", 0)
        }));
    };
    let mut core = Core::default();
    for (k, v) in &leaves {
        if let Some((slot, rank)) = core_slot(shape, k) {
            core.offer(slot, rank, v);
        }
        match native_name(shape, k) {
            Some(name) => {
                sink.keep(name, v);
                sink.keep_joined(name, v);
                if shape == Shape::Winlogbeat {
                    sink.keep(k, v);
                }
            }
            None => {
                sink.keep(k, v);
                // NXLog puts the event data at the top level.
                if shape == Shape::Nxlog && !k.contains('.') {
                    sink.keep_joined(k, v);
                }
            }
        }
    }
    normalize(&mut sink, &core);
    if let Some(e) = json_err {
        return Err(e);
    }
    if sink.dropped {
        return Err(ParseError::expected(P, "at most 1000 fields", text.len()));
    }
    Ok(())
}

/// The normalized fields and the log source, from the core values and the
/// native fields now on the event.
fn normalize(sink: &mut Sink<'_>, core: &Core<'_, '_>) {
    let event_id = match core.get(EVENT_ID) {
        Some(JsonScalar::Int(i)) => Some(FieldValue::Int(*i)),
        Some(JsonScalar::Str(s)) => Some(match s.trim().parse::<i64>() {
            Ok(i) => FieldValue::Int(i),
            Err(_) => FieldValue::Str(capped(s).into()),
        }),
        Some(JsonScalar::Float(f)) => Some(FieldValue::from(f.to_string())),
        _ => None,
    };
    if let Some(id) = &event_id {
        sink.put("EventID", id.clone());
        sink.put("event.code", id.to_string());
        sink.put("winlog.event_id", id.to_string());
    }
    let channel = core.text(CHANNEL).map(capped);
    if let Some(c) = channel {
        sink.put("Channel", c);
        sink.put("winlog.channel", c);
    }
    if let Some(p) = core.text(PROVIDER).map(capped) {
        sink.put("Provider_Name", p);
        sink.put("winlog.provider_name", p);
    }
    if let Some(c) = core.text(COMPUTER).map(capped) {
        sink.put("Computer", c);
        sink.put_absent("host.name", c);
    }
    if let Some(m) = core.text(MESSAGE).map(capped) {
        sink.put("message", m);
    }
    if let Some(t) = core.text(TIME).and_then(parse_time) {
        sink.ev.timestamp = t;
    }
    set_user(sink);
    set_endpoint(
        sink,
        "source",
        &["IpAddress", "SourceIp", "SourceAddress"],
        &["IpPort", "SourcePort"],
    );
    set_endpoint(
        sink,
        "destination",
        &["DestinationIp", "DestAddress"],
        &["DestinationPort", "DestPort"],
    );

    let id = match event_id {
        Some(FieldValue::Int(i)) => Some(i),
        _ => None,
    };
    let event_type = sink.ev.get_str("EventType");
    // The channel and event id mapping is data: crate::LogSourceMap.
    sink.ev.logsource = crate::logsource::with_current(|m| m.windows(channel, id, event_type));
    if let (Some(channel), Some(id)) = (channel, id) {
        classify(sink, channel, id);
    }
    if sink.ev.logsource.category.as_deref() == Some("process_creation") {
        for (key, names) in [
            ("process.executable", &["Image", "NewProcessName"][..]),
            ("process.command_line", &["CommandLine"][..]),
            (
                "process.parent.executable",
                &["ParentImage", "ParentProcessName"][..],
            ),
        ] {
            if let Some(v) = first_text(sink.ev, names) {
                let v = v.to_string();
                sink.put_absent(key, v);
            }
        }
    }
}

/// Channel, event id, `event.action`, `event.category`, `event.type`,
/// `event.outcome`.
type Class = (
    &'static str,
    i64,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// What a well-known Windows event is, in ECS terms: `event.action`,
/// `event.category`, `event.type` and, when the event id alone says it,
/// `event.outcome` (Microsoft's Security auditing reference, the Service
/// Control Manager's 7045, Sysmon's event list; the action names are
/// Winlogbeat's, so that searches carry over).
#[rustfmt::skip]
const CLASSES: &[Class] = &[
    ("security", 1102, "audit-log-cleared", "iam", "admin", Some("success")),
    ("security", 4624, "logged-in", "authentication", "start", Some("success")),
    ("security", 4625, "logon-failed", "authentication", "start", Some("failure")),
    ("security", 4634, "logged-out", "authentication", "end", Some("success")),
    ("security", 4647, "logged-out", "authentication", "end", Some("success")),
    ("security", 4648, "logged-in-explicit", "authentication", "start", Some("success")),
    ("security", 4672, "logged-in-special", "iam", "admin", Some("success")),
    ("security", 4688, "created-process", "process", "start", Some("success")),
    ("security", 4689, "exited-process", "process", "end", Some("success")),
    ("security", 4697, "service-installed", "configuration", "creation", Some("success")),
    ("security", 4698, "scheduled-task-created", "configuration", "creation", Some("success")),
    ("security", 4720, "added-user-account", "iam", "creation", Some("success")),
    ("security", 4722, "enabled-user-account", "iam", "change", Some("success")),
    ("security", 4723, "changed-password", "iam", "change", None),
    ("security", 4724, "reset-password", "iam", "change", None),
    ("security", 4725, "disabled-user-account", "iam", "change", Some("success")),
    ("security", 4726, "deleted-user-account", "iam", "deletion", Some("success")),
    ("security", 4728, "added-member-to-group", "iam", "change", Some("success")),
    ("security", 4732, "added-member-to-group", "iam", "change", Some("success")),
    ("security", 4740, "locked-out-user-account", "iam", "change", Some("success")),
    ("security", 4756, "added-member-to-group", "iam", "change", Some("success")),
    ("security", 4768, "kerberos-authentication-ticket-requested", "authentication", "start", None),
    ("security", 4769, "kerberos-service-ticket-requested", "authentication", "start", None),
    ("security", 4771, "kerberos-preauth-failed", "authentication", "start", Some("failure")),
    ("security", 4776, "credential-validated", "authentication", "start", None),
    ("system", 7045, "service-installed", "configuration", "creation", Some("success")),
    ("microsoft-windows-sysmon/operational", 1, "process-created", "process", "start", None),
    ("microsoft-windows-sysmon/operational", 3, "network-connection", "network", "connection", None),
    ("microsoft-windows-sysmon/operational", 5, "process-terminated", "process", "end", None),
    ("microsoft-windows-sysmon/operational", 11, "file-created", "file", "creation", None),
    ("microsoft-windows-sysmon/operational", 13, "registry-value-set", "registry", "change", None),
    ("microsoft-windows-sysmon/operational", 22, "dns-query", "network", "protocol", None),
    ("microsoft-windows-sysmon/operational", 23, "file-deleted", "file", "deletion", None),
];

/// Sets the ECS classification of a well-known event (see [`CLASSES`]),
/// leaving a forwarder's own ECS fields alone. Kerberos and NTLM
/// validation events succeed when their `Status` is `0x0`.
fn classify(sink: &mut Sink<'_>, channel: &str, id: i64) {
    let Some(&(_, _, action, category, kind, outcome)) = CLASSES
        .iter()
        .find(|(c, i, ..)| *i == id && c.eq_ignore_ascii_case(channel))
    else {
        return;
    };
    sink.put_absent("event.action", action);
    sink.put_absent("event.category", category);
    sink.put_absent("event.type", kind);
    let outcome = outcome.or_else(|| {
        let status = first_text(sink.ev, &["Status"])?;
        Some(if status.eq_ignore_ascii_case("0x0") || status == "0" {
            "success"
        } else {
            "failure"
        })
    });
    if let Some(o) = outcome {
        sink.put_absent("event.outcome", o);
    }
}

/// The first of `names` that holds meaningful text (not empty, not `-`).
fn first_text<'e>(ev: &'e Event, names: &[&str]) -> Option<&'e str> {
    names
        .iter()
        .filter_map(|n| ev.get_str(n))
        .map(str::trim)
        .find(|s| !s.is_empty() && *s != "-")
}

/// `user.name` and `user.domain` from the target account, else the
/// subject, else Sysmon's `DOMAIN\user`.
fn set_user(sink: &mut Sink<'_>) {
    let ev = &*sink.ev;
    let found = [
        ("TargetUserName", Some("TargetDomainName")),
        ("SubjectUserName", Some("SubjectDomainName")),
        ("User", None),
    ]
    .into_iter()
    .find_map(|(name, domain)| {
        let user = first_text(ev, &[name])?;
        let (domain, user) = match user.split_once('\\') {
            Some((d, u)) => (Some(d), u),
            None => (domain.and_then(|d| first_text(ev, &[d])), user),
        };
        Some((user.to_string(), domain.map(str::to_string)))
    });
    if let Some((user, domain)) = found {
        if !user.is_empty() {
            sink.put_absent("user.name", user);
        }
        if let Some(d) = domain.filter(|d| !d.is_empty()) {
            sink.put_absent("user.domain", d);
        }
    }
}

/// `<prefix>.ip` from the first of `ips` that holds an IP address, and
/// `<prefix>.port` from the first of `ports` that holds a port.
fn set_endpoint(sink: &mut Sink<'_>, prefix: &str, ips: &[&str], ports: &[&str]) {
    let ev = &*sink.ev;
    let ip = ips
        .iter()
        .filter_map(|n| ev.get_str(n))
        .find_map(|s| s.trim().parse::<IpAddr>().ok());
    let port = ports.iter().filter_map(|n| ev.get(n)).find_map(|v| {
        let p = match v {
            FieldValue::Int(i) => u16::try_from(*i).ok()?,
            FieldValue::Str(s) => s.trim().parse::<u16>().ok()?,
            _ => return None,
        };
        (p != 0).then_some(i64::from(p))
    });
    if let Some(ip) = ip {
        sink.put_absent(&format!("{prefix}.ip"), ip.to_string());
    }
    if let Some(p) = port {
        sink.put_absent(&format!("{prefix}.port"), p);
    }
}

/// An RFC 3339 time (`SystemTime`, `@timestamp`), the zone-less
/// `yyyy-mm-dd hh:mm:ss` of NXLog (read in `ParserConfig::default_offset`), or older
/// evtx's `yyyy-mm-dd hh:mm:ss.ffffff UTC`.
pub(super) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let t = parse_iso(s)?;
    let rest = &s[t.len..];
    let offset = match (t.offset, rest) {
        (Some(o), "") => o,
        (None, "") => crate::default_offset(),
        (None, " UTC") => UtcOffset::UTC,
        _ => return None,
    };
    Some(t.datetime.assume_offset(offset).to_offset(UtcOffset::UTC))
}

// ------------------------------------------------------------------ JSON

/// A JSON value that is not an object or an array.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum JsonScalar<'a> {
    /// A string, borrowed from the text unless it had escapes.
    Str(Cow<'a, str>),
    /// A number without fraction or exponent that fits in an `i64`.
    Int(i64),
    /// Any other number (a fraction, an exponent, or too large an integer).
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// What [`flatten`] reports when nesting goes past `max_depth`.
pub(super) const TOO_DEEP: &str = "shallower nesting";
/// What [`flatten`] reports past `max_fields` values.
pub(super) const TOO_MANY: &str = "fewer values";

/// Reads `text`, one strict JSON value (RFC 8259) with only whitespace
/// around it, and calls `out` with each scalar in document order and its
/// dotted path: object members join their keys with `.`, array elements
/// use their index (`{"a":{"b":[1,true]}}` gives `a.b.0` and `a.b.1`).
/// Empty objects and arrays give nothing; a scalar at the top has the key
/// `""`.
///
/// At most `max_depth` objects and arrays may nest and at most
/// `max_fields` scalars are reported. On an error (bad syntax, either
/// limit) the scalars before it have been reported, and the error is the
/// byte offset in `text` and what was expected there.
pub(super) fn flatten<'a>(
    text: &'a str,
    max_depth: usize,
    max_fields: usize,
    out: &mut dyn FnMut(&str, JsonScalar<'a>),
) -> Result<(), (usize, &'static str)> {
    let mut r = Reader {
        s: text,
        b: text.as_bytes(),
        pos: 0,
        max_depth,
        fields_left: max_fields,
        path: String::new(),
        out,
    };
    r.ws();
    r.value(0)?;
    r.ws();
    if r.pos != r.b.len() {
        return Err((r.pos, "the end of the JSON text"));
    }
    Ok(())
}

struct Reader<'a, 'o> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    max_depth: usize,
    fields_left: usize,
    path: String,
    out: &'o mut dyn FnMut(&str, JsonScalar<'a>),
}

type JsonResult<T> = Result<T, (usize, &'static str)>;

impl<'a> Reader<'a, '_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn emit(&mut self, v: JsonScalar<'a>, at: usize) -> JsonResult<()> {
        if self.fields_left == 0 {
            return Err((at, TOO_MANY));
        }
        self.fields_left -= 1;
        (self.out)(&self.path, v);
        Ok(())
    }

    fn value(&mut self, depth: usize) -> JsonResult<()> {
        let at = self.pos;
        match self.b.get(at) {
            Some(b'{') | Some(b'[') if depth >= self.max_depth => Err((at, TOO_DEEP)),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => {
                let s = self.string()?;
                self.emit(JsonScalar::Str(s), at)
            }
            Some(b't') => self.literal("true", JsonScalar::Bool(true)),
            Some(b'f') => self.literal("false", JsonScalar::Bool(false)),
            Some(b'n') => self.literal("null", JsonScalar::Null),
            Some(b'-' | b'0'..=b'9') => {
                let n = self.number()?;
                self.emit(n, at)
            }
            _ => Err((at, "a JSON value")),
        }
    }

    fn literal(&mut self, word: &'static str, v: JsonScalar<'a>) -> JsonResult<()> {
        let at = self.pos;
        if self.b.get(at..at + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            self.emit(v, at)
        } else {
            Err((at, "a JSON value"))
        }
    }

    /// The path is restored to `base` after each member.
    fn object(&mut self, depth: usize) -> JsonResult<()> {
        self.pos += 1; // `{`
        let base = self.path.len();
        self.ws();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.ws();
            if self.b.get(self.pos) != Some(&b'"') {
                return Err((self.pos, "'\"' starting a member name"));
            }
            let key = self.string()?;
            if base > 0 {
                self.path.push('.');
            }
            self.path.push_str(&key);
            self.ws();
            if !self.eat(b':') {
                return Err((self.pos, "':'"));
            }
            self.ws();
            self.value(depth)?;
            self.path.truncate(base);
            self.ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(());
            }
            return Err((self.pos, "',' or '}'"));
        }
    }

    fn array(&mut self, depth: usize) -> JsonResult<()> {
        self.pos += 1; // `[`
        let base = self.path.len();
        self.ws();
        if self.eat(b']') {
            return Ok(());
        }
        let mut i = 0usize;
        loop {
            self.ws();
            if base > 0 {
                self.path.push('.');
            }
            let _ = write!(self.path, "{i}");
            self.value(depth)?;
            self.path.truncate(base);
            i += 1;
            self.ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(());
            }
            return Err((self.pos, "',' or ']'"));
        }
    }

    /// A string at `pos` (which holds `"`).
    fn string(&mut self) -> JsonResult<Cow<'a, str>> {
        self.pos += 1;
        let start = self.pos;
        // The common case: no escapes, borrowed.
        loop {
            match self.b.get(self.pos) {
                None => return Err((self.pos, "'\"' closing a string")),
                Some(b'"') => {
                    let s = &self.s[start..self.pos];
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(&c) if c < 0x20 => return Err((self.pos, "an escaped control character")),
                Some(_) => self.pos += 1,
            }
        }
        let mut owned = String::with_capacity(self.pos - start + 16);
        owned.push_str(&self.s[start..self.pos]);
        loop {
            let at = self.pos;
            match self.b.get(at) {
                None => return Err((at, "'\"' closing a string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    let c = match self.b.get(at + 1) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos = at + 2;
                            owned.push(self.unicode_escape()?);
                            continue;
                        }
                        _ => return Err((at + 1, "an escape character")),
                    };
                    self.pos = at + 2;
                    owned.push(c);
                }
                Some(&c) if c < 0x20 => return Err((at, "an escaped control character")),
                Some(_) => {
                    // The run up to the next quote, backslash or control
                    // character: ASCII bytes, so a character boundary.
                    let run = self.b[at..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                        .unwrap_or(self.b.len() - at);
                    owned.push_str(&self.s[at..at + run]);
                    self.pos = at + run;
                }
            }
        }
    }

    /// Four hex digits at `pos`, as a UTF-16 code unit.
    fn hex4(&mut self) -> JsonResult<u32> {
        let at = self.pos;
        let digits = self
            .b
            .get(at..at + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .ok_or((at, "four hex digits"))?;
        let mut v = 0u32;
        for &d in digits {
            v = v * 16 + char::from(d).to_digit(16).unwrap_or(0);
        }
        self.pos = at + 4;
        Ok(v)
    }

    /// The character of a `\uXXXX` escape whose digits start at `pos`,
    /// with the second half of a surrogate pair.
    fn unicode_escape(&mut self) -> JsonResult<char> {
        let at = self.pos;
        let hi = self.hex4()?;
        let code = match hi {
            0xD800..=0xDBFF => {
                if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err((self.pos, "'\\u' and a low surrogate"));
                }
                self.pos += 2;
                let lo_at = self.pos;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return Err((lo_at, "a low surrogate"));
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err((at, "a high surrogate before a low one")),
            c => c,
        };
        char::from_u32(code).ok_or((at, "a Unicode scalar value"))
    }

    /// A number at `pos`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> JsonResult<JsonScalar<'a>> {
        let start = self.pos;
        self.eat(b'-');
        match self.b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err((self.pos, "a digit")),
        }
        let mut integer = true;
        if self.eat(b'.') {
            integer = false;
            if !self.b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                return Err((self.pos, "a digit"));
            }
            self.digits();
        }
        if matches!(self.b.get(self.pos), Some(b'e' | b'E')) {
            integer = false;
            self.pos += 1;
            if matches!(self.b.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                return Err((self.pos, "a digit"));
            }
            self.digits();
        }
        let lexeme = &self.s[start..self.pos];
        if integer {
            if let Ok(i) = lexeme.parse::<i64>() {
                return Ok(JsonScalar::Int(i));
            }
        }
        lexeme
            .parse::<f64>()
            .map(JsonScalar::Float)
            .map_err(|_| (start, "a number"))
    }

    fn digits(&mut self) {
        while self.b.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;
    use vedette_model::LogSource;
    use vedette_model::Origin;

    fn flat(text: &str) -> Result<Vec<(String, JsonScalar<'_>)>, (usize, &'static str)> {
        let mut v = Vec::new();
        flatten(text, MAX_DEPTH, MAX_FIELDS, &mut |k, s| {
            v.push((k.to_string(), s))
        })?;
        Ok(v)
    }

    fn s(x: &str) -> JsonScalar<'_> {
        JsonScalar::Str(Cow::Borrowed(x))
    }

    fn parse(line: &str) -> Event {
        crate::Parser::default().parse(
            1,
            datetime!(2026-11-25 03:00:05 UTC),
            Origin::new("test", None),
            line.as_bytes(),
        )
    }

    #[test]
    fn flatten_paths_and_scalars() {
        let v =
            flat(r##" {"a":{"b":[1,true,null,{"c":-2.5e1}],"e":{},"f":[]},"g":"h"} "##).unwrap();
        assert_eq!(
            v,
            [
                ("a.b.0".to_string(), JsonScalar::Int(1)),
                ("a.b.1".to_string(), JsonScalar::Bool(true)),
                ("a.b.2".to_string(), JsonScalar::Null),
                ("a.b.3.c".to_string(), JsonScalar::Float(-25.0)),
                ("g".to_string(), s("h")),
            ]
        );
        assert_eq!(flat("42").unwrap(), [(String::new(), JsonScalar::Int(42))]);
        assert_eq!(
            flat("[[0],-0,9223372036854775808]").unwrap(),
            [
                ("0.0".to_string(), JsonScalar::Int(0)),
                ("1".to_string(), JsonScalar::Int(0)),
                ("2".to_string(), JsonScalar::Float(9223372036854775808.0)),
            ]
        );
    }

    #[test]
    fn flatten_string_escapes() {
        let v = flat(r##"{"k\u00e9":"a\"b\\c\/d\b\f\n\r\t\u0041\ud83d\ude00é"}"##).unwrap();
        assert_eq!(v[0].0, "ké");
        assert_eq!(v[0].1, s("a\"b\\c/d\u{8}\u{c}\n\r\tA😀é"));
        // Borrowed when there is nothing to unescape.
        assert!(matches!(
            &flat(r##"["plain"]"##).unwrap()[0].1,
            JsonScalar::Str(Cow::Borrowed("plain"))
        ));
    }

    #[test]
    fn flatten_rejects() {
        for (text, at, what) in [
            ("", 0, "a JSON value"),
            ("{", 1, "'\"' starting a member name"),
            ("{\"a\" 1}", 5, "':'"),
            ("{\"a\":1,}", 7, "'\"' starting a member name"),
            ("[1 2]", 3, "',' or ']'"),
            ("{\"a\":1 \"b\":2}", 7, "',' or '}'"),
            ("\"abc", 4, "'\"' closing a string"),
            ("\"a\nb\"", 2, "an escaped control character"),
            ("\"\\x\"", 2, "an escape character"),
            ("\"\\u12\"", 3, "four hex digits"),
            ("\"\\ud83d\"", 7, "'\\u' and a low surrogate"),
            ("\"\\ud83d\\u0041\"", 9, "a low surrogate"),
            ("\"\\ude00\"", 3, "a high surrogate before a low one"),
            ("01", 1, "the end of the JSON text"),
            ("-", 1, "a digit"),
            ("1.", 2, "a digit"),
            ("1e+", 3, "a digit"),
            ("tru", 0, "a JSON value"),
            ("nul", 0, "a JSON value"),
            ("{} x", 3, "the end of the JSON text"),
            ("'a'", 0, "a JSON value"),
        ] {
            assert_eq!(flat(text).err(), Some((at, what)), "{text:?}");
        }
    }

    #[test]
    fn flatten_limits() {
        let deep = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(flat(&deep).is_ok());
        let deeper = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(flat(&deeper), Err((64, TOO_DEEP)));
        // Huge nesting stops at the limit: no stack overflow.
        let huge = "{\"a\":".repeat(1 << 20);
        assert_eq!(flat(&huge).err().map(|e| e.1), Some(TOO_DEEP));

        let mut n = 0;
        let r = flatten("[1,2,3,4]", 8, 3, &mut |_, _| n += 1);
        assert_eq!((r, n), (Err((7, TOO_MANY)), 3));
    }

    #[test]
    fn detects_three_shapes_only() {
        assert!(detect(r##"{"Event":{"System":{"EventID":1}}}"##));
        assert!(detect(r##"  {"winlog":{}}"##));
        assert!(detect(r##"{"agent":{"type":"winlogbeat"}}"##));
        assert!(detect(r##"{"EventTime":"x","EventID":4624}"##));
        assert!(!detect(r##"{"event":{"code":"4624"}}"##));
        assert!(!detect(r##"x {"EventID":1}"##));
        let late = format!(r##"{{"pad":"{}","EventID":1}}"##, "x".repeat(600));
        assert!(!detect(&late));
        // Winlogbeat's object after a long message, no `agent`.
        let beat = format!(
            r##"{{"event":{{"code":"4688"}},"message":"{}","winlog":{{"event_id":"4688"}}}}"##,
            "x".repeat(2000)
        );
        assert!(detect(&beat));
        let other = format!(r##"{{"message":"{}","winlog":1}}"##, "x".repeat(2000));
        assert!(!detect(&other));
    }

    const SYSMON: &str = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},"EventID":1,"Version":5,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":{"#attributes":{"SystemTime":"2026-11-25T03:00:00.123456Z"}},"EventRecordID":4711,"Correlation":null,"Execution":{"#attributes":{"ProcessID":2988,"ThreadID":3708}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS01.corp.example","Security":{"#attributes":{"UserID":"S-1-5-18"}}},"EventData":{"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami","ParentImage":"C:\\Windows\\explorer.exe","User":"CORP\\alice","ProcessId":4242}}}"##;

    #[test]
    fn evtx_sysmon_process_creation() {
        let ev = parse(SYSMON);
        assert_eq!(ev.error, None);
        assert_eq!(ev.get("EventID"), Some(&FieldValue::Int(1)));
        assert_eq!(
            ev.get_str("Provider_Name"),
            Some("Microsoft-Windows-Sysmon")
        );
        assert_eq!(
            ev.get_str("Channel"),
            Some("Microsoft-Windows-Sysmon/Operational")
        );
        assert_eq!(ev.get_str("Computer"), Some("WS01.corp.example"));
        assert_eq!(ev.get_str("Image"), Some("C:\\Windows\\System32\\cmd.exe"));
        assert_eq!(ev.get("ProcessId"), Some(&FieldValue::Int(4242)));
        assert_eq!(
            ev.get_str("process.executable"),
            Some("C:\\Windows\\System32\\cmd.exe")
        );
        assert_eq!(
            ev.get_str("process.command_line"),
            Some("cmd.exe /c whoami")
        );
        assert_eq!(
            ev.get_str("process.parent.executable"),
            Some("C:\\Windows\\explorer.exe")
        );
        assert_eq!(ev.get_str("user.name"), Some("alice"));
        assert_eq!(ev.get_str("user.domain"), Some("CORP"));
        assert_eq!(ev.get_str("event.code"), Some("1"));
        assert_eq!(ev.get_str("host.name"), Some("WS01.corp.example"));
        assert_eq!(
            ev.get("Event.System.Execution.#attributes.ProcessID"),
            Some(&FieldValue::Int(2988))
        );
        assert_eq!(ev.get("Event.System.EventID"), None);
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00.123456 UTC));
        assert_eq!(
            ev.logsource,
            LogSource::new(Some("windows"), Some("process_creation"), &["sysmon"])
        );
        assert_eq!(ev.get_str("event.module"), Some("windows"));
    }

    #[test]
    fn names_with_spaces_also_go_without() {
        let ev = parse(
            r##"{"Event":{"System":{"EventID":1116,"Channel":"Microsoft-Windows-Windows Defender/Operational"},"EventData":{"Threat Name":"Tool:Win32/EICAR_Test_File","Process Name":"C:\\x.exe","Severity ID":"5","New  Value":"a","SourceName":"own","Source Name":"joined"}}}"##,
        );
        assert_eq!(ev.error, None);
        assert_eq!(
            ev.get_str("Threat Name"),
            Some("Tool:Win32/EICAR_Test_File")
        );
        assert_eq!(ev.get_str("ThreatName"), Some("Tool:Win32/EICAR_Test_File"));
        assert_eq!(ev.get_str("ProcessName"), Some("C:\\x.exe"));
        assert_eq!(ev.get_str("SeverityID"), Some("5"));
        assert_eq!(ev.get_str("NewValue"), Some("a"));
        // The record's own name wins, whichever comes first.
        assert_eq!(ev.get_str("SourceName"), Some("own"));
        assert_eq!(ev.get_str("Source Name"), Some("joined"));
        let ev = parse(
            r##"{"EventID":1116,"Channel":"Microsoft-Windows-Windows Defender/Operational","Threat Name":"x","ThreatName":"y"}"##,
        );
        assert_eq!(ev.get_str("ThreatName"), Some("y"));
        assert_eq!(ev.get_str("Threat Name"), Some("x"));
        assert_eq!(ev.logsource.services, ["windefend"]);
    }

    #[test]
    fn event_data_cannot_spoof_the_core() {
        let ev = parse(
            r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7036},"Channel":"System"},"EventData":{"Channel":"Security","EventID":"4688","param1":"Spooler"}}}"##,
        );
        assert_eq!(ev.get("EventID"), Some(&FieldValue::Int(7036)));
        assert_eq!(ev.get_str("Channel"), Some("System"));
        assert_eq!(
            ev.get("Event.System.EventID.#attributes.Qualifiers"),
            Some(&FieldValue::Int(16384))
        );
        assert_eq!(
            ev.logsource,
            LogSource::new(Some("windows"), None, &["system"])
        );
    }

    #[test]
    fn winlogbeat_logon() {
        let ev = parse(
            r##"{"@timestamp":"2026-11-25T03:00:00.5Z","agent":{"type":"winlogbeat","version":"8.15.0"},"event":{"code":"4624","kind":"event","module":"security","created":"2026-11-25T03:00:01Z","category":["authentication"]},"host":{"name":"dc01.corp.example"},"message":"An account was successfully logged on.","winlog":{"channel":"Security","event_id":"4624","provider_name":"Microsoft-Windows-Security-Auditing","computer_name":"DC01.corp.example","event_data":{"TargetUserName":"bob","TargetDomainName":"CORP","LogonType":"3","IpAddress":"::ffff:192.0.2.7","IpPort":"51234"}}}"##,
        );
        assert_eq!(ev.error, None);
        assert_eq!(ev.get("EventID"), Some(&FieldValue::Int(4624)));
        assert_eq!(ev.get_str("LogonType"), Some("3"));
        assert_eq!(ev.get_str("winlog.event_data.LogonType"), Some("3"));
        assert_eq!(ev.get_str("Computer"), Some("DC01.corp.example"));
        assert_eq!(ev.get_str("host.name"), Some("dc01.corp.example"));
        assert_eq!(ev.get_str("user.name"), Some("bob"));
        assert_eq!(ev.get_str("user.domain"), Some("CORP"));
        assert_eq!(ev.get_str("source.ip"), Some("::ffff:192.0.2.7"));
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(51234)));
        assert_eq!(
            ev.get_str("message"),
            Some("An account was successfully logged on.")
        );
        assert_eq!(ev.get_str("event.category.0"), Some("authentication"));
        // The model's own keys are not taken from the record.
        assert_eq!(ev.get("event.created"), None);
        assert_eq!(ev.get_str("event.module"), Some("windows"));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00.5 UTC));
        assert_eq!(
            ev.logsource,
            LogSource::new(Some("windows"), None, &["security"])
        );
    }

    #[test]
    fn nxlog_flat() {
        let ev = parse(
            r##"{"EventTime":"2026-11-25 10:00:00","Hostname":"WS01","EventID":4688,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","SubjectUserName":"alice","NewProcessName":"C:\\Windows\\System32\\net.exe","CommandLine":"net user","ParentProcessName":"C:\\Windows\\System32\\cmd.exe","Message":"A new process has been created."}"##,
        );
        assert_eq!(ev.error, None);
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(
            ev.get_str("Provider_Name"),
            Some("Microsoft-Windows-Security-Auditing")
        );
        assert_eq!(
            ev.get_str("SourceName"),
            Some("Microsoft-Windows-Security-Auditing")
        );
        assert_eq!(
            ev.get_str("process.executable"),
            Some("C:\\Windows\\System32\\net.exe")
        );
        assert_eq!(
            ev.get_str("process.parent.executable"),
            Some("C:\\Windows\\System32\\cmd.exe")
        );
        assert_eq!(
            ev.get_str("message"),
            Some("A new process has been created.")
        );
        assert_eq!(ev.get_str("user.name"), Some("alice"));
        assert_eq!(
            ev.logsource,
            LogSource::new(Some("windows"), Some("process_creation"), &["security"])
        );
    }

    #[test]
    fn categories_and_services() {
        for (channel, id, extra, category, services) in [
            (
                "Microsoft-Windows-Sysmon/Operational",
                3,
                "",
                Some("network_connection"),
                &["sysmon"][..],
            ),
            (
                "Microsoft-Windows-Sysmon/Operational",
                12,
                r##","EventType":"CreateKey""##,
                Some("registry_add"),
                &["sysmon"],
            ),
            (
                "Microsoft-Windows-Sysmon/Operational",
                12,
                r##","EventType":"DeleteKey""##,
                Some("registry_delete"),
                &["sysmon"],
            ),
            (
                "microsoft-windows-sysmon/operational",
                13,
                "",
                Some("registry_set"),
                &["sysmon"],
            ),
            (
                "Microsoft-Windows-Sysmon/Operational",
                22,
                "",
                Some("dns_query"),
                &["sysmon"],
            ),
            (
                "Microsoft-Windows-Sysmon/Operational",
                14,
                "",
                Some("registry_rename"),
                &["sysmon"],
            ),
            (
                "Microsoft-Windows-Sysmon/Operational",
                16,
                "",
                Some("sysmon_status"),
                &["sysmon"],
            ),
            (
                "Microsoft-Windows-Sysmon/Operational",
                26,
                "",
                Some("file_delete_detected"),
                &["sysmon"],
            ),
            (
                "PowerShellCore/Operational",
                4103,
                "",
                Some("ps_module"),
                &["powershell"],
            ),
            (
                "Microsoft-Windows-LDAP-Client/Debug",
                30,
                "",
                None,
                &["ldap", "ldap_debug"],
            ),
            (
                "Microsoft-Windows-SMBServer/Connectivity",
                1022,
                "",
                None,
                &["smbserver-connectivity"],
            ),
            (
                "Microsoft-Windows-PowerShell/Operational",
                4104,
                "",
                Some("ps_script"),
                &["powershell"],
            ),
            (
                "Windows PowerShell",
                400,
                "",
                Some("ps_classic_start"),
                &["powershell-classic", "powershell"],
            ),
            (
                "Microsoft-Windows-Windows Defender/Operational",
                1116,
                "",
                None,
                &["windefend"],
            ),
            ("Security", 1, "", None, &["security"]),
            ("Custom/Operational", 1, "", None, &[]),
        ] {
            let ev = parse(&format!(
                r##"{{"EventID":{id},"Channel":"{channel}"{extra}}}"##
            ));
            assert_eq!(ev.error, None);
            assert_eq!(
                ev.logsource,
                LogSource::new(Some("windows"), category, services),
                "{channel} {id}"
            );
        }
    }

    #[test]
    fn broken_records_keep_what_was_read() {
        // Cut by a syslog relay: the fields before the cut are kept.
        let ev = parse(r##"{"EventID":4625,"Channel":"Security","TargetUserName":"adm"##);
        assert_eq!(
            ev.error.as_deref(),
            Some("windows: expected '\"' closing a string at byte 58")
        );
        assert_eq!(ev.get("EventID"), Some(&FieldValue::Int(4625)));
        assert_eq!(ev.logsource.services, ["security"]);

        let deep = format!(
            r##"{{"EventID":1,"x":{}1{}}}"##,
            "[".repeat(100),
            "]".repeat(100)
        );
        let ev = parse(&deep);
        assert_eq!(
            ev.error.as_deref(),
            Some("windows: expected shallower nesting at byte 80")
        );
        assert_eq!(ev.get("EventID"), None);
        assert_eq!(ev.logsource, LogSource::default());

        let ev = parse(r##"{"EventIDs":[1],"note":"EventID"}"##);
        assert_eq!(
            ev.error.as_deref(),
            Some("windows: expected a Windows event (Event.System, winlog or EventID) at byte 0")
        );
        assert_eq!(ev.get("EventIDs.0"), Some(&FieldValue::Int(1)));
    }

    #[test]
    fn bounded_fields_and_values() {
        let mut many =
            String::from(r##"{"winlog":{"channel":"Security","event_id":4624,"event_data":{"##);
        for i in 0..700 {
            many.push_str(&format!(r##""F{i}":{i},"##));
        }
        many.push_str(r##""big":""##);
        many.push_str(&"é".repeat(40_000));
        many.push_str("\"}}}");
        let ev = parse(&many);
        assert_eq!(
            ev.error.as_deref(),
            Some(&*format!(
                "windows: expected at most 1000 fields at byte {}",
                many.len()
            ))
        );
        assert!(ev.fields.len() <= MAX_FIELDS + 2, "{}", ev.fields.len());
        assert_eq!(ev.get("EventID"), Some(&FieldValue::Int(4624)));
        assert_eq!(ev.logsource.services, ["security"]);

        let big = format!(r##"{{"EventID":1,"Data":"{}"}}"##, "é".repeat(40_000));
        let ev = parse(&big);
        assert_eq!(ev.error, None);
        assert_eq!(ev.get_str("Data").map(str::len), Some(MAX_VALUE));
    }

    #[test]
    fn times() {
        assert_eq!(
            parse_time("2026-11-25T03:00:00Z"),
            Some(datetime!(2026-11-25 03:00:00 UTC))
        );
        assert_eq!(
            parse_time("2026-11-25 10:00:00"),
            Some(datetime!(2026-11-25 03:00:00 UTC))
        );
        assert_eq!(
            parse_time("2026-11-25 03:00:00.5 UTC"),
            Some(datetime!(2026-11-25 03:00:00.5 UTC))
        );
        assert_eq!(
            parse_time("2026-11-25 10:00:00+07:00"),
            Some(datetime!(2026-11-25 03:00:00 UTC))
        );
        assert_eq!(parse_time("2026-11-25T03:00:00Z junk"), None);
        assert_eq!(parse_time("11/25/2026"), None);
    }

    fn json_string(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// A flat object of random keys and values (strings with any
        /// characters, integers, booleans) reads back as written.
        #[test]
        fn flat_objects_round_trip(
            members in prop::collection::btree_map(
                "[^.]{0,8}",
                prop_oneof![
                    any::<String>().prop_map(FieldValue::from),
                    any::<i64>().prop_map(FieldValue::Int),
                    any::<bool>().prop_map(FieldValue::Bool),
                ],
                0..12,
            ),
            ascii_escapes in any::<bool>(),
        ) {
            let mut text = String::from("{");
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 { text.push_str(" , "); }
                let key = if ascii_escapes {
                    // serde_json's ensure-ASCII-like form: every char as \u.
                    k.encode_utf16().map(|u| format!("\\u{u:04x}")).collect::<String>()
                } else {
                    let q = json_string(k);
                    q[1..q.len() - 1].to_string()
                };
                text.push('"');
                text.push_str(&key);
                text.push_str("\":");
                match v {
                    FieldValue::Str(s) => text.push_str(&json_string(s)),
                    other => text.push_str(&other.to_string()),
                }
            }
            text.push('}');
            let mut got = std::collections::BTreeMap::new();
            flatten(&text, MAX_DEPTH, MAX_FIELDS, &mut |k, v| {
                let v = match v {
                    JsonScalar::Str(s) => FieldValue::Str(s.into()),
                    JsonScalar::Int(i) => FieldValue::Int(i),
                    JsonScalar::Bool(b) => FieldValue::Bool(b),
                    JsonScalar::Float(f) => FieldValue::Float(f),
                    JsonScalar::Null => FieldValue::Str("null".into()),
                };
                got.insert(k.to_string(), v);
            }).map_err(|e| TestCaseError::fail(format!("{e:?} in {text}")))?;
            prop_assert_eq!(got, members);
        }

        #[test]
        fn flatten_never_panics(text in "[\\[\\]{}\":,0-9a-z\\\\.eE+ -]{0,64}") {
            let _ = flatten(&text, 4, 8, &mut |_, _| {});
        }
    }

    #[test]
    fn well_known_events_get_their_ecs_classification() {
        let ev = parse(
            r##"{"winlog":{"channel":"Security","event_id":4625,"event_data":{"TargetUserName":"bob","IpAddress":"198.51.100.20","LogonType":"3"}}}"##,
        );
        assert_eq!(ev.get_str("event.action"), Some("logon-failed"));
        assert_eq!(ev.get_str("event.category"), Some("authentication"));
        assert_eq!(ev.get_str("event.type"), Some("start"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        // NTLM validation: the outcome is in its status.
        let ev = parse(
            r##"{"EventID":4776,"Channel":"Security","TargetUserName":"adm","Status":"0xc000006a"}"##,
        );
        assert_eq!(ev.get_str("event.action"), Some("credential-validated"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        let ev = parse(
            r##"{"EventID":4776,"Channel":"Security","TargetUserName":"adm","Status":"0x0"}"##,
        );
        assert_eq!(ev.get_str("event.outcome"), Some("success"));
        // A forwarder's own ECS fields win; unknown events get none.
        let ev = parse(
            r##"{"event":{"category":"session"},"winlog":{"channel":"Security","event_id":"4624","event_data":{"TargetUserName":"bob"}}}"##,
        );
        assert_eq!(ev.get_str("event.category"), Some("session"));
        assert_eq!(ev.get_str("event.action"), Some("logged-in"));
        let ev = parse(r##"{"EventID":4624,"Channel":"Application"}"##);
        assert_eq!(ev.get("event.action"), None);
        let ev = parse(
            r##"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Image":"C:\\x.exe"}"##,
        );
        assert_eq!(ev.get_str("event.category"), Some("process"));
    }
}
