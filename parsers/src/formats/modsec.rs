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
//! Left out: the JSON audit log (needs a bounded JSON reader, which this
//! crate does not have yet) and the native multi-part audit log (`-A--` ...
//! `-Z--`), which spans many lines. ModSecurity sent as CEF is `cef.rs`'s.

use std::borrow::Cow;
use std::net::IpAddr;

/// Built once: constructing a searcher per record costs more than the search.
static MARK_FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(MARK));

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};
use vedette_model::{Event, LogSource};

use super::fortigate::{set_ip, set_port, set_url, MAX_PAIRS, MAX_VALUE};
use crate::ParseError;

const P: &str = "modsec";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "modsecurity",
    detect,
    parse,
};

/// `ModSecurity: ` must start within this many bytes.
const WINDOW: usize = 256;
const MARK: &[u8] = b"ModSecurity: ";

fn detect(text: &str) -> bool {
    mark(text).is_some()
}

/// Where `ModSecurity: ` starts, within [`WINDOW`] bytes.
fn mark(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let window = b.get(..(WINDOW + MARK.len()).min(b.len()))?;
    MARK_FINDER.find(window)
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let Some(at) = mark(text) else {
        return Err(ParseError::expected(P, "\"ModSecurity: \"", 0));
    };
    // No Sigma category fits a WAF: `webserver` rules are written for
    // access logs (they would fire a second time on the WAF's record of
    // the same request, which holds only part of it), and an invented
    // `waf` category matches no rule. The product lets rules target it.
    ev.logsource = LogSource::new(Some("modsecurity"), None, &[]);
    ev.set("observer.vendor", "OWASP");
    ev.set("observer.product", "ModSecurity");
    ev.set("observer.type", "waf");
    ev.set("event.kind", "event");
    ev.set("event.category", "intrusion_detection");

    prefix(text.get(..at).unwrap_or(""), ev);
    let body_at = at + MARK.len();
    let body = text.get(body_at..).unwrap_or("");
    verdict(body, ev);

    // The message runs to the first `[name "`.
    let first = first_tag(body, 0).unwrap_or(body.len());
    let message = body.get(..first).unwrap_or("").trim();
    if !message.is_empty() {
        ev.set("modsec.message", message);
        ev.set("event.reason", message);
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
        ev.set("modsec.tags", cap(&joined));
    }
    if let Some(rest) = body.get(pos..) {
        nginx_trailer(rest, ev);
    }
    if ev.get("rule.id").is_some() {
        ev.set("event.kind", "alert");
    }
    result
}

/// The verdict that opens the message: `Access denied with code 403
/// (phase 2).`, `Warning.`, ...
fn verdict(body: &str, ev: &mut Event) {
    let (action, kind, outcome) = if let Some(r) = body.strip_prefix("Access denied with code ") {
        let code: String = r.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(c) = code.parse::<i64>() {
            ev.set("http.response.status_code", c);
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
    ev.set("event.action", action);
    ev.set("event.type", kind);
    if let Some(o) = outcome {
        ev.set("event.outcome", o);
    }
    let head = body.get(..body.len().min(200)).unwrap_or("");
    if let Some((_, r)) = head.split_once("(phase ") {
        if let Some(Ok(n)) = r.split_once(')').map(|(n, _)| n.parse::<i64>()) {
            ev.set("modsec.phase", n);
        }
    }
}

/// Maps one tag to ECS.
fn field(ev: &mut Event, name: &str, v: &str) {
    match name {
        "id" => ev.set("rule.id", v),
        "msg" => ev.set("rule.name", v),
        "ver" => ev.set("rule.ruleset", v),
        "rev" => ev.set("rule.version", v),
        "severity" => {
            if let Some((n, level)) = severity(v) {
                ev.set("event.severity", n);
                ev.set("log.level", level);
            }
        }
        "uri" => {
            let host = ev.get_str("modsec.hostname").map(str::to_string);
            set_url(ev, Some(v), host.as_deref());
        }
        "hostname" => {
            if v.parse::<IpAddr>().is_ok() {
                ev.set("destination.ip", v);
            } else {
                ev.set("destination.domain", v);
            }
            ev.set("url.domain", v);
        }
        "unique_id" => ev.set("http.request.id", v),
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
                set_ip(ev, "source.ip", value);
            }
            "server" if ev.get("destination.domain").is_none() => {
                ev.set("destination.domain", value)
            }
            "host" => ev.set("url.domain", value),
            "referrer" => ev.set("http.request.referrer", value),
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
    ev.set("http.request.method", method);
    let (target, version) = match rest.rsplit_once(" HTTP/") {
        Some((t, ver)) => (t, Some(ver)),
        None => (rest, None),
    };
    if let Some(ver) = version {
        ev.set("http.version", ver);
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
                    ev.set("process.pid", n);
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
            ev.set("process.pid", n);
        }
        if let Ok(n) = tid.parse::<i64>() {
            ev.set("process.thread.id", n);
        }
    } else if !g.contains(' ') && !g.is_empty() {
        // `[:error]`, `[security2:error]`, `[error]`.
        let level = g.rsplit_once(':').map_or(g, |(_, l)| l);
        if !level.is_empty() {
            ev.set("modsec.error_log.level", level);
        }
    }
}

/// `203.0.113.7:51234`, `203.0.113.7`, `2001:db8::1:51234`, `[2001:db8::1]:51234`.
fn client(c: &str, ev: &mut Event) {
    if ev.get("source.ip").is_some() {
        return;
    }
    if set_ip(ev, "source.ip", c) {
        return;
    }
    if let Some((ip, port)) = c.rsplit_once(':') {
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        if set_ip(ev, "source.ip", ip) {
            set_port(ev, "source.port", port);
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

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}", t in "[a-z0-9 \"\\\\\\[\\]:,*#/.]{0,120}") {
            for text in [
                s.as_str(),
                &format!("ModSecurity: {s}"),
                &format!("[{t}] ModSecurity: Warning. {t}"),
                &format!("2026/11/25 10:00:00 [{t} ModSecurity: {t}"),
                &format!("ModSecurity: x [id \"{t}"),
            ] {
                let (_, _) = run(text);
                let _ = detect(text);
            }
        }
    }
}
