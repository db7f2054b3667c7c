//! ModSecurity messages in web server error logs: ModSecurity 2 in Apache
//!
//! ```text
//! [Wed Nov 25 10:00:00.123456 2026] [:error] [pid 1234] [client 203.0.113.7:51234]
//! [client 203.0.113.7] ModSecurity: Access denied with code 403 (phase 2).
//! Matched "..." at TX:anomaly_score. [file "/etc/.../REQUEST-949-BLOCKING-EVALUATION.conf"]
//! [line "80"] [id "949110"] [msg "Inbound Anomaly Score Exceeded (Total Score: 8)"]
//! [severity "CRITICAL"] [ver "OWASP_CRS/3.3.2"] [tag "application-multi"]
//! [hostname "www.example.gov.vn"] [uri "/index.php"] [unique_id "..."]
//! ```
//!
//! and libmodsecurity 3 in nginx (`2026/11/25 10:00:00 [error] 1234#1234: *5
//! [client 203.0.113.7] ModSecurity: Warning. Matched ... [id "942100"] ...
//! [ref "..."], client: 203.0.113.7, server: ..., request: "GET /?id=1 HTTP/1.1",
//! host: "..."`), bare or inside a syslog MSG.
//!
//! Every `[name "value"]` is kept under `modsec.<name>` (all `tag`s joined
//! in `modsec.tags`); the rule, the verdict, the client and the request are
//! mapped to ECS.
//!
//! The JSON audit log (`SecAuditLogFormat JSON`), one transaction per
//! line, in both shapes: libmodsecurity 3's
//!
//! ```text
//! {"transaction":{"client_ip":"203.0.113.7","time_stamp":"Wed Nov 25 10:00:00 2026",
//! "client_port":51234,"host_ip":"10.0.0.10","host_port":443,"unique_id":"...",
//! "request":{"method":"GET","http_version":1.1,"uri":"/?id=1","headers":{...}},
//! "response":{"http_code":403,"headers":{...}},"producer":{...},
//! "messages":[{"message":"...","details":{"ruleId":"942100","severity":"2",
//! "tags":[...],...}}]}}
//! ```
//!
//! and ModSecurity 2's (`{"transaction":{"time":"25/Nov/2026:10:00:00 +0700",
//! "transaction_id":...,"remote_address":...,"remote_port":...,"local_address":...,
//! "local_port":...},"request":{"request_line":"GET / HTTP/1.1","headers":{...}},
//! "response":{"status":403,...},"audit_data":{"messages":["Warning. ... [id
//! \"942100\"] ..."],...}}`). The client, server, request, response and rules
//! are mapped to ECS; every other value is kept under `modsec.audit.<path>`
//! (headers included, at most [`AUDIT_FIELDS`] of them).
//!
//! And the native serial audit log (`SecAuditLogType Serial`, ModSecurity
//! 2's default), one transaction in parts that span many lines:
//!
//! ```text
//! --a1b2c3d4-A--
//! [25/Nov/2026:10:00:00.123456 +0700] Zb2Cc38AAQEAAB@1TkkAAAAA 203.0.113.7 51234 10.0.0.10 443
//! --a1b2c3d4-B--
//! GET /index.php?id=1%27%20or%201=1 HTTP/1.1
//! Host: www.example.gov.vn
//! --a1b2c3d4-F--
//! HTTP/1.1 403 Forbidden
//! --a1b2c3d4-H--
//! Message: Access denied with code 403 (phase 2). ... [id "942100"] ...
//! Action: Intercepted (phase 2)
//! --a1b2c3d4-Z--
//! ```
//!
//! libmodsecurity 3 (nginx) writes the same parts with `---ID---P--`
//! boundaries and its messages in part H as `ModSecurity: ...` lines.
//! `framing::ModsecFramer` joins a transaction's lines into one record;
//! it is mapped as the JSON audit log is (parts A, B, F and H; the request
//! body (C, I), the response body (E), the files (J) and the matched rules
//! (K) are kept, cut to a few KiB, under `modsec.audit.*`). A transaction
//! cut short keeps what it has, with an error saying `-Z--` is missing.
//! ModSecurity sent as CEF is `cef.rs`'s.

use std::borrow::Cow;

/// Built once: constructing a searcher per record costs more than the search.
static MARK_FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(MARK));

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use vedette_model::{Event, LogSource};

use super::fortigate::{set_ip, set_port, set_url, MAX_PAIRS, MAX_VALUE};
use super::windows::{flatten, value, JsonScalar, MAX_DEPTH, MAX_FIELDS};
use crate::ParseError;

const P: &str = "modsec";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "modsecurity",
    fields: 56,
    first: |_| true,
    open: |b| b == b'-',
    needs: b"{:",
    gate: None,
    detect,
    parse,
    claim: None,
};

/// `ModSecurity: ` must start within this many bytes.
const WINDOW: usize = 256;
const MARK: &[u8] = b"ModSecurity: ";

fn detect(text: &str) -> bool {
    // A JSON object is an audit record or not ModSecurity's: `parse`
    // reads any text that starts with `{` as an audit record.
    if text.trim_start().starts_with('{') {
        return is_audit_json(text);
    }
    mark(text).is_some() || (text.starts_with("--") && serial_id(text).is_some())
}

/// Where `ModSecurity: ` starts, within [`WINDOW`] bytes.
fn mark(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let window = b.get(..(WINDOW + MARK.len()).min(b.len()))?;
    MARK_FINDER.find(window)
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    // An error-log line never starts with `{`; a JSON audit record does.
    if text.trim_start().starts_with('{') {
        return audit_json(text, ev);
    }
    if let Some(id) = serial_id(text) {
        return audit_serial(text, id, ev);
    }
    let Some(at) = mark(text) else {
        return Err(ParseError::expected(P, "\"ModSecurity: \"", 0));
    };
    common(ev);

    prefix(text.get(..at).unwrap_or(""), ev);
    let body_at = at + MARK.len();
    let body = text.get(body_at..).unwrap_or("");
    verdict(body, ev);

    // The message runs to the first `[name "`.
    let first = first_tag(body, 0).unwrap_or(body.len());
    let message = body.get(..first).unwrap_or("").trim();
    if !message.is_empty() {
        ev.set(key!("modsec.message"), message);
        ev.set(key!("event.reason"), message);
    }
    let mut tags: Vec<String> = Vec::new();
    let mut pos = first;
    let mut taken = 0;
    let mut result = Ok(());
    while let Some(start) = first_tag(body, pos) {
        if taken >= MAX_PAIRS {
            break;
        }
        taken += 1;
        let Some((name, value, end)) = tag(body, start) else {
            result = Err(ParseError::expected(
                P,
                "'\"]' closing a tag",
                body_at + start,
            ));
            break;
        };
        let value = cap(&value);
        if value.is_empty() {
            // `[rev ""]`: nothing to keep.
        } else if name == "tag" {
            tags.push(value.to_string());
        } else {
            let key = format!("modsec.{name}");
            ev.set(&key, value);
            field(ev, name, value);
        }
        pos = end;
    }
    if !tags.is_empty() {
        let joined = tags.join(", ");
        ev.set(key!("modsec.tags"), cap(&joined));
    }
    if let Some(rest) = body.get(pos..) {
        nginx_trailer(rest, ev);
    }
    if ev.get("rule.id").is_some() {
        ev.set(key!("event.kind"), "alert");
    }
    result
}

/// The log source and observer of every ModSecurity record.
fn common(ev: &mut Event) {
    // No Sigma category fits a WAF: `webserver` rules are written for
    // access logs (they would fire a second time on the WAF's record of
    // the same request, which holds only part of it), and an invented
    // `waf` category matches no rule. The product lets rules target it.
    ev.logsource = LogSource::new(Some("modsecurity"), None, &[]);
    ev.set(key!("observer.vendor"), "OWASP");
    ev.set(key!("observer.product"), "ModSecurity");
    ev.set(key!("observer.type"), "waf");
    ev.set(key!("event.kind"), "event");
    ev.set(key!("event.category"), "intrusion_detection");
}

/// The verdict that opens the message: `Access denied with code 403
/// (phase 2).`, `Warning.`, ...
fn verdict(body: &str, ev: &mut Event) {
    let (action, kind, outcome) = if let Some(r) = body.strip_prefix("Access denied with code ") {
        let code: String = r.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(c) = code.parse::<i64>() {
            ev.set(key!("http.response.status_code"), c);
        }
        ("denied", "denied", Some("failure"))
    } else if body.starts_with("Access denied") {
        ("denied", "denied", Some("failure"))
    } else if body.starts_with("Access allowed") {
        ("allowed", "allowed", Some("success"))
    } else if body.starts_with("Warning.") {
        ("warning", "info", None)
    } else {
        return;
    };
    ev.set(key!("event.action"), action);
    ev.set(key!("event.type"), kind);
    if let Some(o) = outcome {
        ev.set(key!("event.outcome"), o);
    }
    let head = body.get(..body.len().min(200)).unwrap_or("");
    if let Some((_, r)) = head.split_once("(phase ") {
        if let Some(Ok(n)) = r.split_once(')').map(|(n, _)| n.parse::<i64>()) {
            ev.set(key!("modsec.phase"), n);
        }
    }
}

/// Maps one tag to ECS.
fn field(ev: &mut Event, name: &str, v: &str) {
    match name {
        "id" => ev.set(key!("rule.id"), v),
        "msg" => ev.set(key!("rule.name"), v),
        "ver" => ev.set(key!("rule.ruleset"), v),
        "rev" => ev.set(key!("rule.version"), v),
        "severity" => {
            if let Some((n, level)) = severity(v) {
                ev.set(key!("event.severity"), n);
                ev.set(key!("log.level"), level);
            }
        }
        "uri" => {
            let host = ev.get_str("modsec.hostname").map(str::to_string);
            set_url(ev, Some(v), host.as_deref());
        }
        "hostname" => {
            if super::is_ip(v) {
                ev.set(key!("destination.ip"), v);
            } else {
                ev.set(key!("destination.domain"), v);
            }
            ev.set(key!("url.domain"), v);
        }
        "unique_id" => ev.set(key!("http.request.id"), v),
        _ => {}
    }
}

/// A ModSecurity severity, by name (v2) or number (v3): the syslog number
/// and the lower-case name.
fn severity(v: &str) -> Option<(i64, &'static str)> {
    const NAMES: [&str; 8] = [
        "emergency",
        "alert",
        "critical",
        "error",
        "warning",
        "notice",
        "info",
        "debug",
    ];
    let n = match v.parse::<usize>() {
        Ok(n) => n,
        Err(_) => NAMES.iter().position(|s| s.eq_ignore_ascii_case(v))?,
    };
    NAMES.get(n).map(|s| (n as i64, *s))
}

/// The start of the first ` [name "` at or after `from`.
fn first_tag(body: &str, from: usize) -> Option<usize> {
    let b = body.as_bytes();
    let mut i = from;
    loop {
        let rel = memchr::memchr(b'[', b.get(i..)?)?;
        let at = i + rel;
        let name_len = b
            .get(at + 1..)?
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let q = at + 1 + name_len;
        if name_len > 0 && b.get(q..q + 2) == Some(b" \"") {
            return Some(at);
        }
        i = at + 1;
    }
}

/// The tag `[name "value"]` at `at`: its name, its value (`\"` and `\\`
/// undone) and where it ends. `None` when the value never closes.
fn tag(body: &str, at: usize) -> Option<(&str, Cow<'_, str>, usize)> {
    let b = body.as_bytes();
    let name_end = at + 1 + b.get(at + 1..)?.iter().position(|&c| c == b' ')?;
    let name = body.get(at + 1..name_end)?;
    let open = name_end + 2;
    let mut i = open;
    let mut escaped = false;
    loop {
        let rel = memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        let p = i + rel;
        if b.get(p) == Some(&b'\\') {
            escaped = true;
            i = p + 2;
            continue;
        }
        if b.get(p + 1) == Some(&b']') {
            let raw = body.get(open..p)?;
            let value = if escaped {
                Cow::Owned(raw.replace("\\\"", "\"").replace("\\\\", "\\"))
            } else {
                Cow::Borrowed(raw)
            };
            return Some((name, value, p + 2));
        }
        i = p + 1;
    }
}

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

/// nginx's `, client: 203.0.113.7, server: x, request: "GET / HTTP/1.1",
/// host: "x"` after the tags.
fn nginx_trailer(rest: &str, ev: &mut Event) {
    let mut r = rest;
    for _ in 0..16 {
        let Some(next) = r.trim_start().strip_prefix(',') else {
            return;
        };
        let next = next.trim_start();
        let Some((key, v)) = next.split_once(": ") else {
            return;
        };
        if key.is_empty() || !key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            return;
        }
        let (value, after) = match v.strip_prefix('"') {
            Some(q) => match q
                .find("\", ")
                .or_else(|| q.strip_suffix('"').map(|s| s.len()))
            {
                Some(e) => (q.get(..e).unwrap_or(""), q.get(e + 1..).unwrap_or("")),
                None => (q, ""),
            },
            None => match v.find(", ") {
                Some(e) => (v.get(..e).unwrap_or(""), v.get(e..).unwrap_or("")),
                None => (v, ""),
            },
        };
        let value = cap(value);
        ev.set(&format!("modsec.nginx.{key}"), value);
        match key {
            "client" => {
                set_ip(ev, key!("source.ip"), value);
            }
            "server" if ev.get("destination.domain").is_none() => {
                ev.set(key!("destination.domain"), value)
            }
            "host" => ev.set(key!("url.domain"), value),
            "referrer" => ev.set(key!("http.request.referrer"), value),
            "request" => request(value, ev),
            _ => {}
        }
        r = after;
    }
}

/// `GET /path?q HTTP/1.1`.
fn request(v: &str, ev: &mut Event) {
    let Some((method, rest)) = v.split_once(' ') else {
        return;
    };
    if method.is_empty() || !method.bytes().all(|c| c.is_ascii_uppercase()) {
        return;
    }
    ev.set(key!("http.request.method"), method);
    let (target, version) = match rest.rsplit_once(" HTTP/") {
        Some((t, ver)) => (t, Some(ver)),
        None => (rest, None),
    };
    if let Some(ver) = version {
        ev.set(key!("http.version"), ver);
    }
    // The request line holds the query string, which `[uri ...]` lacks.
    let host = ev.get_str("url.domain").map(str::to_string);
    set_url(ev, Some(target), host.as_deref());
}

/// The error-log prefix before `ModSecurity: `: Apache's `[time]
/// [module:level] [pid N:tid M] [client ip:port]` or nginx's `yyyy/mm/dd
/// hh:mm:ss [level] pid#tid: *cid [client ip]`.
fn prefix(p: &str, ev: &mut Event) {
    let mut r = p.trim_start();
    // nginx: `2026/11/25 10:00:00 [error] 1234#1234: *5 `
    if let Some(t) = r.get(..19).and_then(nginx_time) {
        ev.timestamp = t
            .assume_offset(crate::default_offset())
            .to_offset(UtcOffset::UTC);
        r = r.get(19..).unwrap_or("").trim_start();
    }
    while let Some(inner_start) = r.strip_prefix('[') {
        let Some((inner, rest)) = inner_start.split_once(']') else {
            return;
        };
        group(inner, ev);
        r = rest.trim_start();
        // nginx: `1234#1234: *5 ` between the level and `[client`.
        if let Some((pid, rest2)) = r.split_once('#') {
            if !pid.is_empty() && pid.bytes().all(|c| c.is_ascii_digit()) {
                if let Ok(n) = pid.parse::<i64>() {
                    ev.set(key!("process.pid"), n);
                }
                let rest2 = rest2.split_once(": ").map_or("", |(_, x)| x).trim_start();
                r = match rest2.strip_prefix('*') {
                    Some(c) => c.split_once(' ').map_or("", |(_, x)| x).trim_start(),
                    None => rest2,
                };
            }
        }
    }
}

/// One `[...]` group of the prefix.
fn group(g: &str, ev: &mut Event) {
    if let Some(t) = apache_time(g) {
        ev.timestamp = t
            .assume_offset(crate::default_offset())
            .to_offset(UtcOffset::UTC);
    } else if let Some(c) = g.strip_prefix("client ") {
        client(c.trim(), ev);
    } else if let Some(p) = g.strip_prefix("pid ") {
        let (pid, tid) = p.split_once(":tid ").unwrap_or((p, ""));
        if let Ok(n) = pid.parse::<i64>() {
            ev.set(key!("process.pid"), n);
        }
        if let Ok(n) = tid.parse::<i64>() {
            ev.set(key!("process.thread.id"), n);
        }
    } else if !g.contains(' ') && !g.is_empty() {
        // `[:error]`, `[security2:error]`, `[error]`.
        let level = g.rsplit_once(':').map_or(g, |(_, l)| l);
        if !level.is_empty() {
            ev.set(key!("modsec.error_log.level"), level);
        }
    }
}

/// `203.0.113.7:51234`, `203.0.113.7`, `2001:db8::1:51234`, `[2001:db8::1]:51234`.
fn client(c: &str, ev: &mut Event) {
    if ev.get("source.ip").is_some() {
        return;
    }
    if set_ip(ev, key!("source.ip"), c) {
        return;
    }
    if let Some((ip, port)) = c.rsplit_once(':') {
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        if set_ip(ev, key!("source.ip"), ip) {
            set_port(ev, key!("source.port"), port);
        }
    }
}

fn num(b: &[u8], at: usize, n: usize) -> Option<u32> {
    b.get(at..at.checked_add(n)?)?
        .iter()
        .try_fold(0u32, |v, &c| {
            c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
        })
}

/// `yyyy/mm/dd hh:mm:ss`.
fn nginx_time(s: &str) -> Option<PrimitiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 19 || b.get(4) != Some(&b'/') || b.get(7) != Some(&b'/') {
        return None;
    }
    if b.get(10) != Some(&b' ') || b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let date = Date::from_calendar_date(
        i32::try_from(num(b, 0, 4)?).ok()?,
        Month::try_from(u8::try_from(num(b, 5, 2)?).ok()?).ok()?,
        u8::try_from(num(b, 8, 2)?).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(
        u8::try_from(num(b, 11, 2)?).ok()?,
        u8::try_from(num(b, 14, 2)?).ok()?,
        u8::try_from(num(b, 17, 2)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

/// `Wed Nov 25 10:00:00.123456 2026` (fraction optional).
fn apache_time(s: &str) -> Option<PrimitiveDateTime> {
    let mut parts = s.split(' ').filter(|p| !p.is_empty());
    let _weekday = parts.next().filter(|w| w.len() == 3)?;
    let month = parts.next()?;
    let day = parts.next()?;
    let clock = parts.next()?;
    let year = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| *x == month)?;
    let month = Month::try_from(u8::try_from(m + 1).ok()?).ok()?;
    let day: u8 = day.parse().ok()?;
    let year: i32 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let c = hms.as_bytes();
    if c.len() != 8 || c.get(2) != Some(&b':') || c.get(5) != Some(&b':') {
        return None;
    }
    if frac.len() > 9 || !frac.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    let mut nanos = 0u32;
    for i in 0..9 {
        nanos = nanos * 10 + frac.as_bytes().get(i).map_or(0, |d| u32::from(d - b'0'));
    }
    let time = Time::from_hms_nano(
        u8::try_from(num(c, 0, 2)?).ok()?,
        u8::try_from(num(c, 3, 2)?).ok()?,
        u8::try_from(num(c, 6, 2)?).ok()?,
        nanos,
    )
    .ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

// ------------------------------------------------------- JSON audit log

/// How far into the text `"audit_data"` may start, for a v2 record whose
/// `transaction` is not the first object member's value.
const AUDIT_WINDOW: usize = 4096;
/// How many values the JSON reader may report (linear work either way).
const JSON_VALUES: usize = 4 * MAX_FIELDS;
/// How many `modsec.audit.*` fields one record may set.
const AUDIT_FIELDS: usize = MAX_FIELDS - 200;
/// The longest path kept under `modsec.audit.` (header names are free).
const MAX_KEY: usize = 200;
/// Messages (matched rules) read per record.
const MAX_MESSAGES: usize = 100;
/// Distinct tags kept per record.
const MAX_TAGS: usize = 100;
/// `[name "value"]` tags read per v2 message.
const MAX_MESSAGE_TAGS: usize = 64;

/// `{"transaction":{` (both shapes), or `{"transaction":` with
/// `"audit_data"` in the first [`AUDIT_WINDOW`] bytes (v2). Whitespace
/// between tokens is allowed.
fn is_audit_json(text: &str) -> bool {
    let Some(r) = text.trim_start().strip_prefix('{') else {
        return false;
    };
    let Some(r) = r.trim_start().strip_prefix("\"transaction\"") else {
        return false;
    };
    let Some(r) = r.trim_start().strip_prefix(':') else {
        return false;
    };
    if r.trim_start().starts_with('{') {
        return true;
    }
    let b = text.as_bytes();
    let head = b.get(..AUDIT_WINDOW.min(b.len())).unwrap_or(b);
    memchr::memmem::find(head, b"\"audit_data\"").is_some()
}

/// One message (a matched rule) of the record.
#[derive(Debug, Default)]
struct Msg {
    text: Option<String>,
    id: Option<String>,
    ver: Option<String>,
    severity: Option<(i64, &'static str)>,
    tags: Vec<String>,
}

/// What the record holds that needs more than one value to map.
#[derive(Debug, Default)]
struct Audit {
    time: Option<String>,
    uri: Option<String>,
    request_line: Option<String>,
    version: Option<String>,
    host: Option<String>,
    status: Option<i64>,
    intercepted: bool,
    messages: Vec<Msg>,
    audit_fields: usize,
    truncated: bool,
}

fn audit_json(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    common(ev);
    let mut a = Audit::default();
    let result = flatten(text, MAX_DEPTH, JSON_VALUES, &mut |path, v| {
        if v == JsonScalar::Null {
            return;
        }
        if !audit_value(path, &v, ev, &mut a) {
            keep(path, &v, ev, &mut a);
        }
    });
    finish(a, ev);
    result.map_err(|(at, expected)| ParseError::expected(P, expected, at))
}

/// `v` as text: strings, and numbers written back.
fn scalar_text(v: &JsonScalar<'_>) -> Option<String> {
    match v {
        JsonScalar::Str(s) => Some(cap(s).to_string()),
        JsonScalar::Int(i) => Some(i.to_string()),
        JsonScalar::Float(f) => Some(f.to_string()),
        JsonScalar::Bool(_) | JsonScalar::Null => None,
    }
}

/// `v` as a whole number: an integer, or a string of digits.
fn scalar_int(v: &JsonScalar<'_>) -> Option<i64> {
    match v {
        JsonScalar::Int(i) => Some(*i),
        JsonScalar::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Keeps `v` under `modsec.audit.<path>`, within [`AUDIT_FIELDS`].
fn keep(path: &str, v: &JsonScalar<'_>, ev: &mut Event, a: &mut Audit) {
    if path.is_empty() || path.len() > MAX_KEY {
        return;
    }
    if let JsonScalar::Str(s) = v {
        if s.is_empty() {
            return;
        }
    }
    if a.audit_fields >= AUDIT_FIELDS {
        a.truncated = true;
        return;
    }
    a.audit_fields += 1;
    ev.set(&format!("modsec.audit.{path}"), value(v));
}

/// Maps one value of the record; whether it is mapped whole (and so not
/// kept under `modsec.audit.`).
fn audit_value(path: &str, v: &JsonScalar<'_>, ev: &mut Event, a: &mut Audit) -> bool {
    // v3 nests everything in `transaction`; v2 only the connection.
    let p = path.strip_prefix("transaction.").unwrap_or(path);
    let endpoint = |ev: &mut Event, key: &str| match v {
        JsonScalar::Str(s) => set_ip(ev, key, s),
        _ => false,
    };
    let port = |ev: &mut Event, key: &str| match scalar_int(v) {
        Some(n) if (0..=65535).contains(&n) => {
            ev.set(key, n);
            true
        }
        _ => false,
    };
    match p {
        "client_ip" | "remote_address" => endpoint(ev, "source.ip"),
        "client_port" | "remote_port" => port(ev, "source.port"),
        "host_ip" | "local_address" => endpoint(ev, "destination.ip"),
        "host_port" | "local_port" => port(ev, "destination.port"),
        "unique_id" | "transaction_id" => match scalar_text(v) {
            Some(id) if !id.is_empty() => {
                ev.set(key!("http.request.id"), id);
                true
            }
            _ => false,
        },
        "time_stamp" | "time" => {
            a.time = scalar_text(v);
            false
        }
        "request.method" => match v {
            JsonScalar::Str(m) if !m.is_empty() => {
                ev.set(key!("http.request.method"), cap(m));
                true
            }
            _ => false,
        },
        "request.uri" => {
            a.uri = scalar_text(v);
            a.uri.is_some()
        }
        "request.request_line" => {
            a.request_line = scalar_text(v);
            a.request_line.is_some()
        }
        "request.http_version" => {
            a.version = match v {
                // `2.0` is read as the number 2.
                JsonScalar::Float(f) if f.fract() == 0.0 => Some(format!("{f:.1}")),
                _ => scalar_text(v),
            };
            a.version.is_some()
        }
        "response.http_code" | "response.status" => match scalar_int(v) {
            Some(c) if (0..1000).contains(&c) => {
                ev.set(key!("http.response.status_code"), c);
                a.status = Some(c);
                true
            }
            _ => false,
        },
        "audit_data.action.intercepted" => {
            a.intercepted = *v == JsonScalar::Bool(true);
            false
        }
        _ => {
            if let Some(h) = p.strip_prefix("request.headers.") {
                header(h, v, ev, a);
            } else if let Some(m) = p.strip_prefix("messages.") {
                v3_message(m, v, a);
            } else if let Some(m) = p.strip_prefix("audit_data.messages.") {
                if let (Ok(i), JsonScalar::Str(s)) = (m.parse::<usize>(), v) {
                    if let Some(msg) = message_at(a, i) {
                        v2_message(s, msg);
                    }
                }
            }
            false
        }
    }
}

/// A request header (kept under `modsec.audit.` too).
fn header(name: &str, v: &JsonScalar<'_>, ev: &mut Event, a: &mut Audit) {
    let JsonScalar::Str(s) = v else {
        return;
    };
    let s = cap(s);
    if s.is_empty() {
        return;
    }
    if name.eq_ignore_ascii_case("host") {
        a.host = Some(s.to_string());
    } else if name.eq_ignore_ascii_case("user-agent") {
        ev.set(key!("user_agent.original"), s);
    } else if name.eq_ignore_ascii_case("referer") {
        ev.set(key!("http.request.referrer"), s);
    }
}

/// The message at index `i`, created when it is the next one; `None` past
/// [`MAX_MESSAGES`] (indexes come in order, so at most one is added).
fn message_at(a: &mut Audit, i: usize) -> Option<&mut Msg> {
    if i >= MAX_MESSAGES {
        return None;
    }
    while a.messages.len() <= i {
        a.messages.push(Msg::default());
    }
    a.messages.get_mut(i)
}

/// `N.message`, `N.details.ruleId`, ... of a v3 message.
fn v3_message(rest: &str, v: &JsonScalar<'_>, a: &mut Audit) {
    let Some((i, field)) = rest.split_once('.') else {
        return;
    };
    let Ok(i) = i.parse::<usize>() else {
        return;
    };
    let Some(msg) = message_at(a, i) else {
        return;
    };
    let Some(t) = scalar_text(v).filter(|t| !t.is_empty()) else {
        return;
    };
    match field {
        "message" => msg.text = Some(t),
        "details.ruleId" => msg.id = Some(t),
        "details.ver" => msg.ver = Some(t),
        "details.severity" => msg.severity = severity(&t),
        f if f.starts_with("details.tags.") && msg.tags.len() < MAX_TAGS => msg.tags.push(t),
        _ => {}
    }
}

/// A v2 message: `Warning. Matched ... [file "..."] [id "942100"] [msg
/// "..."] [severity "CRITICAL"] [tag "..."] ...`.
fn v2_message(s: &str, msg: &mut Msg) {
    let first = first_tag(s, 0).unwrap_or(s.len());
    let lead = s.get(..first).unwrap_or("").trim();
    let mut pos = first;
    for _ in 0..MAX_MESSAGE_TAGS {
        let Some(start) = first_tag(s, pos) else {
            break;
        };
        let Some((name, value, end)) = tag(s, start) else {
            break;
        };
        let value = cap(&value);
        match name {
            _ if value.is_empty() => {}
            "id" => msg.id = Some(value.to_string()),
            "msg" => msg.text = Some(value.to_string()),
            "ver" => msg.ver = Some(value.to_string()),
            "severity" => msg.severity = severity(value),
            "tag" if msg.tags.len() < MAX_TAGS => msg.tags.push(value.to_string()),
            _ => {}
        }
        pos = end;
    }
    if msg.text.is_none() && !lead.is_empty() {
        msg.text = Some(lead.to_string());
    }
}

/// Maps what needed the whole record: the time, the URL, the rules and the
/// verdict.
fn finish(a: Audit, ev: &mut Event) {
    if let Some(t) = a.time.as_deref().and_then(audit_time) {
        ev.timestamp = t;
    }
    let host = a.host.as_deref().map(host_name).filter(|h| !h.is_empty());
    if let Some(h) = host {
        if !super::is_ip(h) {
            ev.set(key!("destination.domain"), h);
        }
    }
    if let Some(v) = a.version.as_deref() {
        ev.set(key!("http.version"), v);
    }
    match (a.uri.as_deref(), a.request_line.as_deref()) {
        (Some(uri), _) => set_url(ev, Some(uri), host),
        (None, Some(line)) => {
            if let Some(h) = host {
                ev.set(key!("url.domain"), h);
            }
            request(line, ev);
        }
        (None, None) => {
            if let Some(h) = host {
                ev.set(key!("url.domain"), h);
            }
        }
    }
    if a.truncated {
        ev.set(key!("modsec.audit_truncated"), true);
    }

    let messages: Vec<&Msg> = a
        .messages
        .iter()
        .filter(|m| m.text.is_some() || m.id.is_some())
        .collect();
    if let Some(first) = messages.first() {
        if let Some(id) = &first.id {
            ev.set(key!("rule.id"), id.as_str());
        }
        if let Some(t) = &first.text {
            ev.set(key!("rule.name"), t.as_str());
            ev.set(key!("event.reason"), t.as_str());
        }
        if let Some(v) = &first.ver {
            ev.set(key!("rule.ruleset"), v.as_str());
        }
    }
    let mut ids: Vec<&str> = Vec::new();
    let mut texts: Vec<&str> = Vec::new();
    let mut tags: Vec<&str> = Vec::new();
    let mut worst: Option<(i64, &'static str)> = None;
    for m in &messages {
        if let Some(id) = m.id.as_deref() {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if let Some(t) = m.text.as_deref() {
            texts.push(t);
        }
        for t in &m.tags {
            if tags.len() < MAX_TAGS && !tags.contains(&t.as_str()) {
                tags.push(t);
            }
        }
        if let Some(s) = m.severity {
            if worst.is_none_or(|w| s.0 < w.0) {
                worst = Some(s);
            }
        }
    }
    for (key, list, sep) in [
        ("modsec.rule_ids", &ids, ", "),
        ("modsec.messages", &texts, " | "),
        ("modsec.tags", &tags, ", "),
    ] {
        if !list.is_empty() {
            ev.set(key, cap(&list.join(sep)));
        }
    }
    if let Some((n, level)) = worst {
        ev.set(key!("event.severity"), n);
        ev.set(key!("log.level"), level);
    }

    let error_status = a.status.is_some_and(|c| c >= 400);
    let detected = !messages.is_empty();
    if detected && (error_status || a.intercepted) {
        ev.set(key!("event.action"), "denied");
        ev.set(key!("event.type"), "denied");
        ev.set(key!("event.outcome"), "failure");
    } else {
        ev.set(key!("event.action"), "detected");
        ev.set(key!("event.type"), "info");
        match a.status {
            Some(c) if c >= 400 => ev.set(key!("event.outcome"), "failure"),
            Some(_) => ev.set(key!("event.outcome"), "success"),
            None => {}
        }
    }
    if detected {
        ev.set(key!("event.kind"), "alert");
    }
}

// ------------------------------------------------- serial audit log

/// Kept of a body part (C, E, I, J, K), at most.
const BODY_KEEP: usize = 4096;

/// The transaction id, when `text` starts with an `--ID-A--` boundary.
fn serial_id(text: &str) -> Option<&str> {
    let first = text.split('\n').next().unwrap_or("");
    let (id, part) = crate::framing::modsec_boundary(first.as_bytes())?;
    if part != b'A' {
        return None;
    }
    let at = first.find(std::str::from_utf8(id).ok()?)?;
    first.get(at..at + id.len())
}

/// `s` cut to at most `n` bytes, at a character boundary.
fn cut(s: &str, n: usize) -> &str {
    let mut end = s.len().min(n);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// A serial audit log transaction (the lines of one, joined by `\n`).
fn audit_serial(text: &str, id: &str, ev: &mut Event) -> Result<(), ParseError> {
    common(ev);
    let mut a = Audit::default();
    let mut result = Ok(());
    let fail = |e: ParseError, result: &mut Result<(), ParseError>| {
        if result.is_ok() {
            *result = Err(e);
        }
    };
    let mut part = 0u8;
    let mut parts = String::new();
    let mut first_in_part = false;
    let mut ended = false;
    // Body parts, kept as text up to BODY_KEEP bytes each.
    let mut bodies: Vec<(u8, String)> = Vec::new();
    let mut rules = 0i64;
    let mut at = 0;
    for raw in text.split('\n') {
        let line_at = at;
        at += raw.len() + 1;
        let line = raw.trim_end_matches('\r');
        if let Some((bid, p)) = crate::framing::modsec_boundary(line.as_bytes()) {
            if bid == id.as_bytes() {
                part = p;
                if parts.len() < 32 {
                    parts.push(char::from(p));
                }
                first_in_part = true;
                if p == b'Z' {
                    ended = true;
                    break;
                }
                continue;
            }
        }
        let first = std::mem::take(&mut first_in_part);
        match part {
            // The header line of part A (mapped by `serial_header`).
            b'A' if first && !serial_header(line, ev, &mut a) => fail(
                ParseError::expected(
                    P,
                    "[TIME] UNIQUE_ID CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT",
                    line_at,
                ),
                &mut result,
            ),
            b'B' if first && !line.is_empty() => a.request_line = Some(cap(line).to_string()),
            b'B' => serial_header_line(line, "request.headers", ev, &mut a),
            b'F' if first => {
                let mut words = line.splitn(3, ' ');
                let proto = words.next().unwrap_or("");
                match words.next().map(str::parse::<i64>) {
                    Some(Ok(c)) if proto.starts_with("HTTP/") && (100..1000).contains(&c) => {
                        ev.set(key!("http.response.status_code"), c);
                        a.status = Some(c);
                    }
                    _ if line.is_empty() => {}
                    _ => fail(
                        ParseError::expected(P, "HTTP/x.y STATUS", line_at),
                        &mut result,
                    ),
                }
            }
            b'F' => serial_header_line(line, "response.headers", ev, &mut a),
            b'H' => {
                let Some((name, value)) = line.split_once(": ") else {
                    continue;
                };
                match name {
                    // libmodsecurity 3 writes its messages as the error log does.
                    "Message" | "ModSecurity" => {
                        let i = a.messages.len();
                        if let Some(m) = message_at(&mut a, i) {
                            v2_message(value, m);
                        }
                    }
                    "Action" => {
                        a.intercepted = value.starts_with("Intercepted");
                        ev.set(key!("modsec.audit.audit_data.action"), cap(value));
                    }
                    _ => {
                        let key = name.to_ascii_lowercase().replace('-', "_");
                        if key.len() <= 64
                            && key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
                        {
                            keep(
                                &format!("audit_data.{key}"),
                                &JsonScalar::Str(Cow::Borrowed(value)),
                                ev,
                                &mut a,
                            );
                        }
                    }
                }
            }
            b'C' | b'E' | b'I' | b'J' | b'K' => {
                if part == b'K' && !line.is_empty() {
                    rules += 1;
                }
                let body = match bodies.iter_mut().find(|(p, _)| *p == part) {
                    Some((_, b)) => b,
                    None => {
                        bodies.push((part, String::new()));
                        match bodies.last_mut() {
                            Some((_, b)) => b,
                            None => continue,
                        }
                    }
                };
                if body.len() < BODY_KEEP {
                    if !first {
                        body.push('\n');
                    }
                    let room = BODY_KEEP.saturating_sub(body.len());
                    body.push_str(cut(line, room));
                }
            }
            _ => {}
        }
    }
    for (p, body) in bodies {
        let body = body.trim_end_matches('\n');
        if body.is_empty() {
            continue;
        }
        let key = match p {
            b'C' => "modsec.audit.request.body",
            b'I' => "modsec.audit.request.body_alternative",
            b'J' => "modsec.audit.request.files",
            b'E' => "modsec.audit.response.body",
            _ => "modsec.audit.matched_rules",
        };
        ev.set(key, body);
    }
    if rules > 0 {
        ev.set(key!("modsec.audit.matched_rules_count"), rules);
    }
    ev.set(key!("modsec.audit.transaction_id"), id);
    ev.set(key!("modsec.audit.parts"), parts);
    finish(a, ev);
    if !ended {
        fail(
            ParseError::expected(P, "the --ID-Z-- boundary", text.len()),
            &mut result,
        );
    }
    result
}

/// Part A: `[25/Nov/2026:10:00:00.123456 +0700] UNIQUE_ID CLIENT_IP
/// CLIENT_PORT SERVER_IP SERVER_PORT`; whether it read so.
fn serial_header(line: &str, ev: &mut Event, a: &mut Audit) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let Some((time, rest)) = rest.split_once("] ") else {
        return false;
    };
    a.time = Some(cut(time, 64).to_string());
    let mut words = rest.split(' ');
    let (id, cip, cport, sip, sport) = (
        words.next(),
        words.next(),
        words.next(),
        words.next(),
        words.next(),
    );
    if let Some(id) = id.filter(|i| !i.is_empty() && *i != "-") {
        ev.set(key!("http.request.id"), cap(id));
    }
    let mut ok = audit_time(time).is_some();
    ok &= cip.is_some_and(|v| set_ip(ev, key!("source.ip"), v));
    // libmodsecurity (v3) may write the server's name where v2 writes its
    // address (`... 59672 webmail.example.org 443`).
    ok &= sip.is_some_and(|v| {
        set_ip(ev, key!("destination.ip"), v)
            || (is_host_name(v) && {
                ev.set(key!("destination.domain"), cap(v));
                true
            })
    });
    for (v, key) in [(cport, "source.port"), (sport, "destination.port")] {
        match v.map(str::parse::<u16>) {
            Some(Ok(port)) => ev.set(key, i64::from(port)),
            _ => ok = false,
        }
    }
    ok
}

/// A DNS name as a server is named: letters, digits, `-` and `.`, with a
/// letter somewhere (so that a mangled address is not taken for one).
fn is_host_name(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 253
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
        && v.bytes().any(|c| c.is_ascii_alphabetic())
}

/// `Name: value` of part B or F, kept under `modsec.audit.<under>.<Name>`;
/// the request's `Host`, `User-Agent` and `Referer` are mapped.
fn serial_header_line(line: &str, under: &str, ev: &mut Event, a: &mut Audit) {
    let Some((name, value)) = line.split_once(':') else {
        return;
    };
    let value = value.trim();
    if name.is_empty() || name.len() > 64 || name.contains(' ') || value.is_empty() {
        return;
    }
    let v = JsonScalar::Str(Cow::Borrowed(value));
    if under == "request.headers" {
        header(name, &v, ev, a);
    }
    keep(&format!("{under}.{name}"), &v, ev, a);
}

/// The `Host` header without its port.
fn host_name(h: &str) -> &str {
    let h = h.trim();
    if let Some(v6) = h.strip_prefix('[') {
        return v6.split_once(']').map_or(v6, |(a, _)| a);
    }
    match h.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|c| c.is_ascii_digit()) => {
            name
        }
        _ => h,
    }
}

/// v3's `Wed Nov 25 10:00:00 2026` (the configured zone) or v2's
/// `25/Nov/2026:10:00:00 +0700` (fraction optional), in UTC.
fn audit_time(s: &str) -> Option<OffsetDateTime> {
    if let Some(t) = apache_time(s.trim()) {
        return Some(
            t.assume_offset(crate::default_offset())
                .to_offset(UtcOffset::UTC),
        );
    }
    let (clock, zone) = s.trim().split_once(' ')?;
    let b = clock.as_bytes();
    if b.get(2) != Some(&b'/') || b.get(6) != Some(&b'/') || b.get(11) != Some(&b':') {
        return None;
    }
    let day = clock.get(..2)?;
    let month = clock.get(3..6)?;
    let year = clock.get(7..11)?;
    let time = clock.get(12..)?;
    // Reuse the Apache reader for the clock and the calendar.
    let t = apache_time(&format!("Mon {month} {day} {time} {year}"))?;
    let z = zone.as_bytes();
    if z.len() != 5 {
        return None;
    }
    let sign = match z.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let hh = i8::try_from(num(z, 1, 2)?).ok()?;
    let mm = i8::try_from(num(z, 3, 2)?).ok()?;
    let offset = UtcOffset::from_hms(sign * hh, sign * mm, 0).ok()?;
    Some(t.assume_offset(offset).to_offset(UtcOffset::UTC))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;
    use vedette_model::{FieldValue, Origin};

    fn run(text: &str) -> (Event, Result<(), ParseError>) {
        let mut ev = Event::raw(
            1,
            datetime!(2026-11-25 03:00:00 UTC),
            Origin::new("test", None),
            b"",
        );
        let r = parse(text, &mut ev);
        (ev, r)
    }

    const APACHE: &str = r#"[Wed Nov 25 10:00:00.123456 2026] [:error] [pid 1234] [client 203.0.113.7:51234] [client 203.0.113.7] ModSecurity: Access denied with code 403 (phase 2). Matched "Operator `Ge' with parameter `5' against variable `TX:ANOMALY_SCORE' (Value: `8' )" at TX:anomaly_score. [file "/etc/modsecurity/crs/REQUEST-949-BLOCKING-EVALUATION.conf"] [line "80"] [id "949110"] [msg "Inbound Anomaly Score Exceeded (Total Score: 8)"] [severity "CRITICAL"] [ver "OWASP_CRS/3.3.2"] [tag "application-multi"] [tag "attack-generic"] [hostname "www.example.gov.vn"] [uri "/index.php"] [unique_id "X9abc"]"#;

    #[test]
    fn detection() {
        assert!(detect(APACHE));
        assert!(detect("ModSecurity: Warning. x"));
        assert!(!detect("ModSecurity for Apache/2.9.3 configured."));
        assert!(!detect(&format!("{} ModSecurity: x", "a".repeat(400))));
        assert!(!detect(""));
    }

    #[test]
    fn apache_denied() {
        let (ev, r) = run(APACHE);
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00.123456 UTC));
        assert_eq!(ev.get("process.pid"), Some(&FieldValue::Int(1234)));
        assert_eq!(ev.get_str("source.ip"), Some("203.0.113.7"));
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(51234)));
        assert_eq!(ev.get_str("event.action"), Some("denied"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        assert_eq!(
            ev.get("http.response.status_code"),
            Some(&FieldValue::Int(403))
        );
        assert_eq!(ev.get("modsec.phase"), Some(&FieldValue::Int(2)));
        assert_eq!(ev.get_str("rule.id"), Some("949110"));
        assert_eq!(
            ev.get_str("rule.name"),
            Some("Inbound Anomaly Score Exceeded (Total Score: 8)")
        );
        assert_eq!(ev.get("event.severity"), Some(&FieldValue::Int(2)));
        assert_eq!(ev.get_str("log.level"), Some("critical"));
        assert_eq!(
            ev.get_str("modsec.tags"),
            Some("application-multi, attack-generic")
        );
        assert_eq!(ev.get_str("modsec.line"), Some("80"));
        assert_eq!(ev.get_str("url.path"), Some("/index.php"));
        assert_eq!(ev.get_str("destination.domain"), Some("www.example.gov.vn"));
        assert_eq!(ev.get_str("modsec.error_log.level"), Some("error"));
        assert_eq!(ev.get_str("event.kind"), Some("alert"));
        assert!(ev.get_str("modsec.message").is_some_and(
            |m| m.starts_with("Access denied with code 403 (phase 2). Matched \"Operator")
        ));
    }

    #[test]
    fn nginx_v3() {
        let (ev, r) = run(
            r#"2026/11/25 10:00:00 [error] 1234#1234: *5 [client 203.0.113.7] ModSecurity: Warning. Matched "Operator `Rx' ..." at ARGS:id. [file "/etc/crs/REQUEST-942.conf"] [line "45"] [id "942100"] [rev ""] [msg "SQL Injection Attack Detected via libinjection"] [data "Matched Data: s&1 found within ARGS:id: 1' OR 1=1"] [severity "2"] [ver "OWASP_CRS/3.3.2"] [maturity "0"] [accuracy "0"] [tag "attack-sqli"] [tag "paranoia-level/1"] [hostname "198.51.100.2"] [uri "/"] [unique_id "1795575600"] [ref "v8,10"], client: 203.0.113.7, server: www.example.gov.vn, request: "GET /?id=1' OR 1=1 HTTP/1.1", host: "www.example.gov.vn""#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(ev.get("process.pid"), Some(&FieldValue::Int(1234)));
        assert_eq!(ev.get_str("source.ip"), Some("203.0.113.7"));
        assert_eq!(ev.get_str("event.action"), Some("warning"));
        assert_eq!(ev.get("event.outcome"), None);
        assert_eq!(ev.get_str("log.level"), Some("critical"));
        assert_eq!(ev.get_str("http.request.method"), Some("GET"));
        assert_eq!(ev.get_str("http.version"), Some("1.1"));
        assert_eq!(ev.get_str("modsec.ref"), Some("v8,10"));
        assert_eq!(ev.get_str("modsec.nginx.host"), Some("www.example.gov.vn"));
        assert_eq!(ev.get_str("destination.ip"), Some("198.51.100.2"));
        assert_eq!(ev.get_str("url.original"), Some("/?id=1' OR 1=1"));
    }

    #[test]
    fn escapes_and_broken_tags() {
        let (ev, r) = run(r#"ModSecurity: Warning. x [id "1"] [data "a \"q\" ] b"] [msg "m"]"#);
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("modsec.data"), Some(r#"a "q" ] b"#));
        assert_eq!(ev.get_str("rule.name"), Some("m"));
        let (ev, r) = run(r#"ModSecurity: Warning. x [id "1"] [msg "never"#);
        assert_eq!(r, Err(ParseError::expected(P, "'\"]' closing a tag", 33)));
        assert_eq!(ev.get_str("rule.id"), Some("1"));
    }

    #[test]
    fn times_and_clients() {
        assert_eq!(
            apache_time("Wed Nov 25 10:00:00 2026"),
            Some(datetime!(2026-11-25 10:00:00))
        );
        assert_eq!(apache_time("Wed Nov 31 10:00:00 2026"), None);
        assert_eq!(apache_time("Wed Nov 25 10:00:00.x 2026"), None);
        assert_eq!(nginx_time("2026/13/25 10:00:00"), None);
        // Apache writes no brackets around IPv6: a valid address is whole.
        let (ev, _) = run("[client 2001:db8::1] ModSecurity: x");
        assert_eq!(ev.get_str("source.ip"), Some("2001:db8::1"));
    }

    const V3: &str = r#"{"transaction":{"client_ip":"203.0.113.7","time_stamp":"Wed Nov 25 10:00:00 2026","server_id":"a1b2c3","client_port":51234,"host_ip":"10.0.0.10","host_port":443,"unique_id":"176404320012.345678","request":{"method":"GET","http_version":1.1,"uri":"/index.php?id=1%27","headers":{"Host":"www.example.gov.vn:443","User-Agent":"sqlmap/1.7","Referer":"https://x.example/"}},"response":{"http_code":403,"headers":{"Server":"nginx"}},"producer":{"modsecurity":"ModSecurity v3.0.12 (Linux)","connector":"ModSecurity-nginx v1.0.3","secrules_engine":"Enabled","components":["OWASP_CRS/3.3.5\""]},"messages":[{"message":"SQL Injection Attack Detected via libinjection","details":{"match":"detected SQLi using libinjection.","reference":"v9,4","ruleId":"942100","file":"/etc/crs/rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf","lineNumber":"45","data":"Matched Data: s&sos found within ARGS:id: 1'","severity":"2","ver":"OWASP_CRS/3.3.5","rev":"","tags":["application-multi","attack-sqli"],"maturity":"0","accuracy":"0"}},{"message":"Inbound Anomaly Score Exceeded (Total Score: 5)","details":{"ruleId":"949110","severity":"0","tags":["application-multi","anomaly-evaluation"]}}]}}"#;

    const V2: &str = r#"{"transaction":{"time":"25/Nov/2026:10:00:00.250000 +0700","transaction_id":"ZWJ4kH8AAQEAAAQTn0YAAAAB","remote_address":"2001:db8::7","remote_port":40000,"local_address":"10.0.0.10","local_port":80},"request":{"request_line":"GET /download.php?file=../../etc/passwd HTTP/1.1","headers":{"host":"www.example.gov.vn","user-agent":"curl/8.5.0"}},"response":{"protocol":"HTTP/1.1","status":200,"headers":{"Content-Type":"text/html"}},"audit_data":{"messages":["Warning. Pattern match \"(?:etc/passwd)\" at ARGS:file. [file \"/etc/crs/REQUEST-930-APPLICATION-ATTACK-LFI.conf\"] [line \"100\"] [id \"930120\"] [msg \"OS File Access Attempt\"] [severity \"CRITICAL\"] [ver \"OWASP_CRS/3.3.2\"] [tag \"attack-lfi\"]","Warning. Operator GE matched 5 at TX:inbound_anomaly_score. [id \"980130\"] [severity \"NOTICE\"] [tag \"event-correlation\"] [tag \"attack-lfi\"]"],"producer":["ModSecurity for Apache/2.9.7 (http://www.modsecurity.org/)","OWASP_CRS/3.3.2"],"engine_mode":"ENABLED"}}"#;

    #[test]
    fn json_detection() {
        assert!(detect(V3));
        assert!(detect(V2));
        assert!(detect(r#" { "transaction" : { "x":1}}"#));
        assert!(detect(r#"{"transaction":null,"audit_data":{}}"#));
        assert!(!detect(r#"{"transaction":null,"x":{}}"#));
        assert!(!detect(r#"{"a":{"transaction":{}}}"#));
        let far = format!(
            r#"{{"transaction":null,"x":"{}","audit_data":{{}}}}"#,
            "a".repeat(5000)
        );
        assert!(!detect(&far));
    }

    #[test]
    fn json_v3() {
        let (ev, r) = run(V3);
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(ev.get_str("source.ip"), Some("203.0.113.7"));
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(51234)));
        assert_eq!(ev.get_str("destination.ip"), Some("10.0.0.10"));
        assert_eq!(ev.get("destination.port"), Some(&FieldValue::Int(443)));
        assert_eq!(ev.get_str("destination.domain"), Some("www.example.gov.vn"));
        assert_eq!(ev.get_str("url.domain"), Some("www.example.gov.vn"));
        assert_eq!(ev.get_str("url.original"), Some("/index.php?id=1%27"));
        assert_eq!(ev.get_str("url.path"), Some("/index.php"));
        assert_eq!(ev.get_str("url.query"), Some("id=1%27"));
        assert_eq!(ev.get_str("http.request.method"), Some("GET"));
        assert_eq!(ev.get_str("http.version"), Some("1.1"));
        assert_eq!(ev.get_str("http.request.id"), Some("176404320012.345678"));
        assert_eq!(
            ev.get_str("http.request.referrer"),
            Some("https://x.example/")
        );
        assert_eq!(
            ev.get("http.response.status_code"),
            Some(&FieldValue::Int(403))
        );
        assert_eq!(ev.get_str("user_agent.original"), Some("sqlmap/1.7"));
        assert_eq!(ev.get_str("event.action"), Some("denied"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        assert_eq!(ev.get_str("event.kind"), Some("alert"));
        assert_eq!(ev.get_str("event.category"), Some("intrusion_detection"));
        assert_eq!(ev.get_str("rule.id"), Some("942100"));
        assert_eq!(
            ev.get_str("rule.name"),
            Some("SQL Injection Attack Detected via libinjection")
        );
        assert_eq!(ev.get_str("rule.ruleset"), Some("OWASP_CRS/3.3.5"));
        assert_eq!(ev.get_str("modsec.rule_ids"), Some("942100, 949110"));
        assert_eq!(
            ev.get_str("modsec.messages"),
            Some("SQL Injection Attack Detected via libinjection | Inbound Anomaly Score Exceeded (Total Score: 5)")
        );
        assert_eq!(
            ev.get_str("modsec.tags"),
            Some("application-multi, attack-sqli, anomaly-evaluation")
        );
        assert_eq!(ev.get("event.severity"), Some(&FieldValue::Int(0)));
        assert_eq!(ev.get_str("log.level"), Some("emergency"));
        assert_eq!(
            ev.get_str("modsec.audit.transaction.request.headers.User-Agent"),
            Some("sqlmap/1.7")
        );
        assert_eq!(
            ev.get_str("modsec.audit.transaction.messages.0.details.file"),
            Some("/etc/crs/rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf")
        );
        assert_eq!(
            ev.get_str("modsec.audit.transaction.producer.components.0"),
            Some("OWASP_CRS/3.3.5\"")
        );
        // Mapped whole: not repeated under modsec.audit.
        assert_eq!(ev.get("modsec.audit.transaction.client_ip"), None);
        assert_eq!(
            ev.get("modsec.audit.transaction.messages.0.details.rev"),
            None
        );
        assert_eq!(ev.logsource.product.as_deref(), Some("modsecurity"));
    }

    #[test]
    fn json_v2() {
        let (ev, r) = run(V2);
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00.25 UTC));
        assert_eq!(ev.get_str("source.ip"), Some("2001:db8::7"));
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(40000)));
        assert_eq!(ev.get("destination.port"), Some(&FieldValue::Int(80)));
        assert_eq!(
            ev.get_str("http.request.id"),
            Some("ZWJ4kH8AAQEAAAQTn0YAAAAB")
        );
        assert_eq!(ev.get_str("http.request.method"), Some("GET"));
        assert_eq!(ev.get_str("http.version"), Some("1.1"));
        assert_eq!(ev.get_str("url.path"), Some("/download.php"));
        assert_eq!(ev.get_str("url.query"), Some("file=../../etc/passwd"));
        assert_eq!(ev.get_str("url.domain"), Some("www.example.gov.vn"));
        assert_eq!(ev.get_str("user_agent.original"), Some("curl/8.5.0"));
        assert_eq!(
            ev.get("http.response.status_code"),
            Some(&FieldValue::Int(200))
        );
        assert_eq!(ev.get_str("event.action"), Some("detected"));
        assert_eq!(ev.get_str("event.outcome"), Some("success"));
        assert_eq!(ev.get_str("rule.id"), Some("930120"));
        assert_eq!(ev.get_str("rule.name"), Some("OS File Access Attempt"));
        assert_eq!(ev.get_str("modsec.rule_ids"), Some("930120, 980130"));
        assert_eq!(
            ev.get_str("modsec.messages"),
            Some("OS File Access Attempt | Warning. Operator GE matched 5 at TX:inbound_anomaly_score.")
        );
        assert_eq!(
            ev.get_str("modsec.tags"),
            Some("attack-lfi, event-correlation")
        );
        assert_eq!(ev.get("event.severity"), Some(&FieldValue::Int(2)));
        assert_eq!(
            ev.get_str("modsec.audit.audit_data.producer.0"),
            Some("ModSecurity for Apache/2.9.7 (http://www.modsecurity.org/)")
        );
        assert_eq!(
            ev.get_str("modsec.audit.transaction.time"),
            Some("25/Nov/2026:10:00:00.250000 +0700")
        );
    }

    #[test]
    fn json_no_messages_and_intercepted() {
        let (ev, r) = run(
            r#"{"transaction":{"client_ip":"203.0.113.9","time_stamp":"bad","request":{"method":"POST","http_version":2.0,"uri":"/"},"response":{"http_code":404},"messages":[]}}"#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(ev.get_str("http.version"), Some("2.0"));
        assert_eq!(ev.get_str("event.action"), Some("detected"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        assert_eq!(ev.get_str("event.kind"), Some("event"));
        assert_eq!(ev.get("rule.id"), None);
        assert_eq!(
            ev.get_str("modsec.audit.transaction.time_stamp"),
            Some("bad")
        );
        let (ev, _) = run(
            r#"{"transaction":{"remote_address":"h"},"response":{"status":200},"audit_data":{"action":{"intercepted":true},"messages":["Access denied [id \"1\"]"]}}"#,
        );
        assert_eq!(ev.get_str("event.action"), Some("denied"));
        assert_eq!(ev.get_str("rule.name"), Some("Access denied"));
        // Not an address: kept as it came.
        assert_eq!(ev.get("source.ip"), None);
        assert_eq!(
            ev.get_str("modsec.audit.transaction.remote_address"),
            Some("h")
        );
    }

    #[test]
    fn json_broken_keeps_what_was_read() {
        let cut = V3.get(..V3.find("\"response\"").unwrap_or(0)).unwrap_or("");
        let (ev, r) = run(cut);
        assert!(
            matches!(r, Err(ParseError::Expected { parser: P, .. })),
            "{r:?}"
        );
        assert_eq!(ev.get_str("source.ip"), Some("203.0.113.7"));
        assert_eq!(ev.get_str("url.path"), Some("/index.php"));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        let (_, r) = run(r#"{"transaction":{"a":1}} trailing"#);
        assert!(r.is_err());
    }

    #[test]
    fn json_bounds() {
        let headers: Vec<String> = (0..3000).map(|i| format!("\"h{i}\":\"v\"")).collect();
        let text = format!(
            r#"{{"transaction":{{"client_ip":"203.0.113.7","request":{{"headers":{{{}}}}}}}}}"#,
            headers.join(",")
        );
        let (ev, r) = run(&text);
        assert_eq!(r, Ok(()));
        assert_eq!(
            ev.get("modsec.audit_truncated"),
            Some(&FieldValue::Bool(true))
        );
        let kept = ev
            .fields
            .keys()
            .filter(|k| k.starts_with("modsec.audit."))
            .count();
        assert_eq!(kept, AUDIT_FIELDS);
        let msgs: Vec<String> = (0..500)
            .map(|i| {
                format!(r#"{{"message":"m{i}","details":{{"ruleId":"{i}","tags":["t{i}"]}}}}"#)
            })
            .collect();
        let text = format!(r#"{{"transaction":{{"messages":[{}]}}}}"#, msgs.join(","));
        let (ev, _) = run(&text);
        assert_eq!(
            ev.get_str("modsec.rule_ids").map(|s| s.split(", ").count()),
            Some(MAX_MESSAGES)
        );
        let deep = format!(
            "{{\"transaction\":{}1{}}}",
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(run(&deep).1.is_err());
    }

    #[test]
    fn audit_times() {
        assert_eq!(
            audit_time("25/Nov/2026:10:00:00 +0700"),
            Some(datetime!(2026-11-25 03:00:00 UTC))
        );
        assert_eq!(
            audit_time("05/Jan/2026:00:30:00 -0130"),
            Some(datetime!(2026-01-05 02:00:00 UTC))
        );
        assert_eq!(audit_time("25/Nov/2026:10:00:00"), None);
        assert_eq!(audit_time("25/Xyz/2026:10:00:00 +0700"), None);
        assert_eq!(audit_time("25/Nov/2026:10:00:00 +07"), None);
        assert_eq!(host_name("[2001:db8::1]:8443"), "2001:db8::1");
        assert_eq!(host_name("a.example:80"), "a.example");
        assert_eq!(host_name("2001:db8::1"), "2001:db8::1");
    }

    #[test]
    fn serial_transactions_cut_short_or_broken() {
        let text = "--abcd1234-A--\n[25/Nov/2026:10:00:00 +0700] U1 203.0.113.7 x 10.0.0.10 80\n--abcd1234-B--\nGET /a HTTP/1.1\nHost: h.example\n--abcd1234-F--\nHTTP/1.1 200 OK";
        assert!(detect(text));
        let (ev, r) = run(text);
        assert_eq!(
            r,
            Err(ParseError::expected(
                P,
                "[TIME] UNIQUE_ID CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT",
                15
            ))
        );
        assert_eq!(ev.get_str("source.ip"), Some("203.0.113.7"));
        assert_eq!(ev.get_str("url.path"), Some("/a"));
        assert_eq!(
            ev.get("http.response.status_code"),
            Some(&FieldValue::Int(200))
        );
        assert_eq!(ev.get_str("event.outcome"), Some("success"));
        let text = "--abcd1234-A--\n[25/Nov/2026:10:00:00 +0700] U1 203.0.113.7 1 10.0.0.10 80";
        assert_eq!(
            run(text).1,
            Err(ParseError::expected(P, "the --ID-Z-- boundary", text.len()))
        );
        // A boundary of another transaction inside is a line like any other.
        let text = "--abcd1234-A--\n[25/Nov/2026:10:00:00 +0700] U1 ::1 1 ::1 80\n--abcd1234-C--\n--ffff0000-Z--\n--abcd1234-Z--";
        let (ev, r) = run(text);
        assert_eq!(r, Ok(()));
        assert_eq!(
            ev.get_str("modsec.audit.request.body"),
            Some("--ffff0000-Z--")
        );
        assert!(!detect("--abcd1234-B--\nx"));
        // libmodsecurity naming the server instead of its address.
        let text = "---QFUgjGHE---A--\n[03/Jul/2026:18:13:40 +0000] 178310242058.385654 104.234.179.64 59672 webmail.example.org 443\n---QFUgjGHE---B--\nGET /?q=1 HTTP/1.1\n\n---QFUgjGHE---Z--";
        let (ev, r) = run(text);
        assert_eq!(r, Ok(()));
        assert_eq!(
            ev.get_str("destination.domain"),
            Some("webmail.example.org")
        );
        assert_eq!(ev.get("destination.port"), Some(&FieldValue::Int(443)));
        assert_eq!(ev.get_str("source.ip"), Some("104.234.179.64"));
        assert!(!is_host_name("10.0.0.x!"));
        assert!(!is_host_name("10.0.0"));
    }

    proptest! {
        #[test]
        fn never_panics(
            s in "\\PC{0,200}",
            t in "[a-z0-9 \"\\\\\\[\\]:,*#/.]{0,120}",
            j in "[{}\\[\\]\":,0-9a-z_. \\\\-]{0,200}",
        ) {
            for text in [
                s.as_str(),
                &format!("ModSecurity: {s}"),
                &format!("[{t}] ModSecurity: Warning. {t}"),
                &format!("2026/11/25 10:00:00 [{t} ModSecurity: {t}"),
                &format!("ModSecurity: x [id \"{t}"),
                &format!("{{\"transaction\":{s}"),
                &format!("{{\"transaction\":{j}"),
                &format!("{{\"transaction\":{{\"messages\":[{{\"details\":{j}"),
                &format!("{{\"transaction\":{{\"messages\":[\"{t}"),
                &format!("{{\"transaction\":{{\"time_stamp\":\"{t}\",\"request\":{{\"headers\":{{\"Host\":\"{t}\"}}}}}}}}"),
                &format!("{{\"transaction\":{{}},\"audit_data\":{{\"messages\":[\"{t}\"]}}}}"),
            ] {
                let (_, _) = run(text);
                let _ = detect(text);
            }
        }
    }
}
