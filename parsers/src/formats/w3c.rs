//! W3C extended log files (IIS and others) with their directives:
//!
//! ```text
//! #Software: Microsoft Internet Information Services 10.0
//! #Version: 1.0
//! #Date: 2026-11-25 03:00:00
//! #Fields: date time s-sitename s-computername s-ip cs-method cs-uri-stem ...
//! 2026-11-25 03:00:01 W3SVC1 WEB01 192.0.2.10 GET /index.aspx ...
//! ```
//!
//! A `#Fields:` directive sets the layout of the lines that follow from the
//! same source, until the next `#Fields:`. That is per-source state, which
//! the [`Parser`](crate::Parser) keeps (see `state.rs`); this module reads
//! directives and lines given a layout. The lines of a source that sent no
//! `#Fields:` are read in IIS's default order by `web.rs`.
//!
//! Directive lines are events too (`event.action: w3c-fields`,
//! `w3c-software`, ...; `event.type: info`), so that an analyst sees in the
//! index when a server changed its layout or restarted its log, and nothing
//! a server sent is dropped.
//!
//! Every standard field is mapped to ECS as the default layout is; a field
//! the mapping does not know (`x-custom`, `cs(X-Custom)`, `s-event`, ...) is
//! kept under `iis.field.<name>` (lower case).

use std::net::IpAddr;
use std::sync::Arc;

use time::{Date, Month, PrimitiveDateTime, Time};
use vedette_model::Event;

use super::web::{
    absent, digits, set_common, set_host, set_status, set_target, shape, status_code,
};
use crate::ParseError;

const P: &str = "web";

/// At most this many fields in a `#Fields:` directive.
pub(crate) const MAX_FIELDS: usize = 64;
/// A field name longer than this is kept cut.
const MAX_NAME: usize = 64;

/// One field of a `#Fields:` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Date,
    Time,
    SiteName,
    ComputerName,
    ServerIp,
    Method,
    UriStem,
    UriQuery,
    ServerPort,
    Username,
    ClientIp,
    Version,
    UserAgent,
    Cookie,
    Referer,
    Host,
    Status,
    SubStatus,
    Win32Status,
    ScBytes,
    CsBytes,
    TimeTaken,
    XForwardedFor,
    /// Any other field, by its lower-case name.
    Other(Box<str>),
}

impl Field {
    fn from_name(name: &str) -> Field {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "date" => Field::Date,
            "time" => Field::Time,
            "s-sitename" => Field::SiteName,
            "s-computername" => Field::ComputerName,
            "s-ip" => Field::ServerIp,
            "cs-method" => Field::Method,
            "cs-uri-stem" => Field::UriStem,
            "cs-uri-query" => Field::UriQuery,
            "s-port" => Field::ServerPort,
            "cs-username" => Field::Username,
            "c-ip" => Field::ClientIp,
            "cs-version" => Field::Version,
            "cs(user-agent)" => Field::UserAgent,
            "cs(cookie)" => Field::Cookie,
            "cs(referer)" | "cs(referrer)" => Field::Referer,
            "cs-host" | "cs(host)" => Field::Host,
            "sc-status" => Field::Status,
            "sc-substatus" => Field::SubStatus,
            "sc-win32-status" => Field::Win32Status,
            "sc-bytes" => Field::ScBytes,
            "cs-bytes" => Field::CsBytes,
            "time-taken" => Field::TimeTaken,
            // IIS 10 custom fields are named by the header; some write it
            // as a request header field.
            "x-forwarded-for" | "cs(x-forwarded-for)" | "x_forwarded_for" => Field::XForwardedFor,
            _ => {
                let mut end = lower.len().min(MAX_NAME);
                while !lower.is_char_boundary(end) {
                    end -= 1;
                }
                Field::Other(lower.get(..end).unwrap_or("").into())
            }
        }
    }

    /// The W3C name, for error messages.
    fn name(&self) -> &'static str {
        match self {
            Field::Date => "date",
            Field::Time => "time",
            Field::ServerPort => "s-port",
            Field::Status => "sc-status",
            Field::SubStatus => "sc-substatus",
            Field::Win32Status => "sc-win32-status",
            Field::ScBytes => "sc-bytes",
            Field::CsBytes => "cs-bytes",
            Field::TimeTaken => "time-taken",
            _ => "a W3C field",
        }
    }
}

/// What a source's directives said: its layout and the date of its log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct W3cState {
    /// From the last `#Fields:`.
    pub(crate) fields: Option<Arc<[Field]>>,
    /// From the last `#Date:`, for layouts without a `date` field.
    pub(crate) date: Option<Date>,
}

/// A directive line: `#Name: value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Directive<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
}

/// The directives of the W3C extended log format.
const DIRECTIVES: &[(&str, &str)] = &[
    ("Fields", "w3c-fields"),
    ("Software", "w3c-software"),
    ("Version", "w3c-version"),
    ("Date", "w3c-date"),
    ("Start-Date", "w3c-start-date"),
    ("End-Date", "w3c-end-date"),
    ("Remark", "w3c-remark"),
];

/// `text` as a W3C directive, when it is one.
pub(crate) fn directive(text: &str) -> Option<Directive<'_>> {
    let rest = text.strip_prefix('#')?;
    let (name, value) = rest.split_once(':')?;
    DIRECTIVES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, _)| Directive {
            name: n,
            value: value.trim(),
        })
}

/// Whether `bytes` may hold a directive that changes a source's state
/// (`#Fields:` or `#Date:`): such a record must be parsed before the
/// records that follow it.
pub(crate) fn changes_state(bytes: &[u8]) -> bool {
    // Every record of a batch is checked: one scan for `#`, and the
    // directives' names only where one is.
    memchr::memchr_iter(b'#', bytes).any(|i| {
        let rest = &bytes[i..];
        rest.starts_with(b"#Fields:") || rest.starts_with(b"#Date:")
    })
}

/// Makes `ev` the event of directive `d` and updates the source's state.
pub(crate) fn apply_directive(
    d: Directive<'_>,
    text: &str,
    state: &mut W3cState,
    ev: &mut Event,
) -> Result<(), ParseError> {
    set_common(ev, None);
    ev.set(key!("event.type"), "info");
    let action = DIRECTIVES
        .iter()
        .find(|(n, _)| *n == d.name)
        .map_or("w3c-directive", |(_, a)| a);
    ev.set(key!("event.action"), action);
    ev.set(key!("w3c.directive"), d.name);
    if !d.value.is_empty() {
        ev.set(key!("w3c.value"), cap(d.value));
    }
    let value_at = super::web::offset(text, d.value);
    match d.name {
        "Software" => {
            if d.value.contains("Internet Information Services") {
                ev.set(key!("observer.vendor"), "Microsoft");
                ev.set(key!("observer.product"), "IIS");
                if let Some(v) =
                    d.value.rsplit(' ').next().filter(|v| {
                        v.bytes().all(|c| c.is_ascii_digit() || c == b'.') && !v.is_empty()
                    })
                {
                    ev.set(key!("observer.version"), v);
                }
            }
            Ok(())
        }
        "Date" | "Start-Date" | "End-Date" => {
            let b = d.value.as_bytes();
            let date = date(b.get(..10).unwrap_or(b));
            let time = b.get(11..).and_then(clock);
            match (date, time) {
                (Some(day), Some(t)) => {
                    ev.timestamp = PrimitiveDateTime::new(day, t).assume_utc();
                    if d.name == "Date" {
                        state.date = Some(day);
                    }
                    Ok(())
                }
                _ => Err(ParseError::expected(P, "yyyy-mm-dd hh:mm:ss", value_at)),
            }
        }
        "Fields" => {
            let names: Vec<&str> = d.value.split_ascii_whitespace().collect();
            if names.is_empty() {
                return Err(ParseError::expected(P, "field names", value_at));
            }
            if names.len() > MAX_FIELDS {
                // Kept as an event; the layout does not change.
                return Err(ParseError::expected(
                    P,
                    "at most 64 fields in #Fields",
                    value_at,
                ));
            }
            ev.set(key!("w3c.fields"), names.len() as i64);
            state.fields = Some(names.into_iter().map(Field::from_name).collect());
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether `text` is a line of `fields`: as many space-separated values,
/// and a date and a time (when the layout has them) of the right shape.
pub(crate) fn fits(text: &str, fields: &[Field]) -> bool {
    if text.starts_with('#') || text.is_empty() {
        return false;
    }
    let mut n = 0;
    for (i, v) in text.split(' ').enumerate() {
        match fields.get(i) {
            None => return false,
            Some(Field::Date) if !shape(v.as_bytes(), b"dddd-dd-dd") || v.len() != 10 => {
                return false
            }
            Some(Field::Time) if !shape(v.as_bytes(), b"dd:dd:dd") => return false,
            _ => {}
        }
        n += 1;
    }
    n == fields.len()
}

/// Whether `text`, which does not [`fit`](fits) `fields`, still starts
/// like one of its lines (its first value is the layout's first field, a
/// date or a time): a line the server wrote in that layout with a value
/// too many or too few, read in it with an error rather than by another
/// format.
pub(crate) fn starts_like(text: &str, fields: &[Field]) -> bool {
    let first = text.split(' ').next().unwrap_or("").as_bytes();
    match fields.first() {
        Some(Field::Date) => first.len() == 10 && shape(first, b"dddd-dd-dd"),
        Some(Field::Time) => shape(first, b"dd:dd:dd"),
        _ => false,
    }
}

/// `yyyy-mm-dd`.
fn date(b: &[u8]) -> Option<Date> {
    if b.len() != 10 || !shape(b, b"dddd-dd-dd") {
        return None;
    }
    let n = super::web::num;
    let month = Month::try_from(n(b.get(5..7)?) as u8).ok()?;
    Date::from_calendar_date(n(b.get(0..4)?) as i32, month, n(b.get(8..10)?) as u8).ok()
}

/// `hh:mm:ss` with an optional `.fraction` (milliseconds kept).
fn clock(b: &[u8]) -> Option<Time> {
    if !shape(b, b"dd:dd:dd") {
        return None;
    }
    let n = super::web::num;
    let ms = match b.get(8..) {
        None | Some([]) => 0,
        Some([b'.', frac @ ..])
            if !frac.is_empty() && frac.len() <= 9 && frac.iter().all(u8::is_ascii_digit) =>
        {
            let mut ms = 0u16;
            for i in 0..3 {
                ms = ms * 10 + frac.get(i).map_or(0, |c| u16::from(c - b'0'));
            }
            ms
        }
        _ => return None,
    };
    Time::from_hms_milli(
        n(b.get(0..2)?) as u8,
        n(b.get(3..5)?) as u8,
        n(b.get(6..8)?) as u8,
        ms,
    )
    .ok()
}

/// `s` cut to at most 4 KiB, at a character boundary.
fn cap(s: &str) -> &str {
    let mut end = s.len().min(4096);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// W3C writes the spaces of a header value as `+`.
fn header_value(v: &str) -> String {
    v.replace('+', " ")
}

/// A line in the layout `fields` (checked by [`fits`] when detected; when
/// the format is forced, a line with another number of values is an
/// error). `date` is the `#Date:` of the log, for layouts without a date.
pub(crate) fn line(
    text: &str,
    fields: &[Field],
    log_date: Option<Date>,
    ev: &mut Event,
) -> Result<(), ParseError> {
    set_common(ev, None);
    ev.set(key!("observer.vendor"), "Microsoft");
    ev.set(key!("observer.product"), "IIS");
    let values: Vec<&str> = text.split(' ').take(MAX_FIELDS + 1).collect();
    if values.len() != fields.len() {
        let at = if values.len() > fields.len() {
            values
                .get(fields.len())
                .map_or(text.len(), |v| super::web::offset(text, v))
        } else {
            text.len()
        };
        return Err(ParseError::expected(
            P,
            "as many values as the #Fields directive names",
            at,
        ));
    }
    let mut result = Ok(());
    let mut fail = |e: ParseError| {
        if result.is_ok() {
            result = Err(e);
        }
    };
    let (mut day, mut clock_at, mut stem, mut query) = (log_date, None, None, None);
    for (f, v) in fields.iter().zip(&values) {
        let at = super::web::offset(text, v);
        match f {
            Field::Date => match date(v.as_bytes()) {
                Some(d) => day = Some(d),
                None => fail(ParseError::expected(P, "date", at)),
            },
            Field::Time => match clock(v.as_bytes()) {
                Some(t) => clock_at = Some(t),
                None => fail(ParseError::expected(P, "time", at)),
            },
            Field::UriStem => stem = Some(*v),
            Field::UriQuery => query = Some(*v),
            _ => {
                if let Err(what) = set(ev, f, v) {
                    fail(ParseError::expected(P, what, at));
                }
            }
        }
    }
    if let (Some(d), Some(t)) = (day, clock_at) {
        ev.timestamp = PrimitiveDateTime::new(d, t).assume_utc();
    }
    let query = query.filter(|q| !absent(q));
    match stem.filter(|s| !absent(s)) {
        Some(s) => set_target(ev, s, query),
        None => {
            if let Some(q) = query {
                ev.set(key!("url.query"), q);
            }
        }
    }
    result
}

/// Sets the ECS field of one value; the error names the field.
fn set(ev: &mut Event, f: &Field, v: &str) -> Result<(), &'static str> {
    if absent(v) {
        return Ok(());
    }
    let int = |v: &str| digits(v).ok_or(f.name());
    match f {
        Field::Date | Field::Time | Field::UriStem | Field::UriQuery => {}
        Field::SiteName => ev.set(key!("iis.site_name"), v),
        Field::ComputerName => {
            ev.set(key!("iis.server_name"), v);
            if ev.get("host.name").is_none() {
                ev.set(key!("host.name"), v);
            }
        }
        Field::ServerIp => set_host(ev, "destination.ip", "destination.domain", v),
        Field::Method => ev.set(key!("http.request.method"), v),
        Field::ServerPort => match v.parse::<u16>() {
            Ok(p) if digits(v).is_some() => ev.set(key!("destination.port"), i64::from(p)),
            _ => return Err(f.name()),
        },
        Field::Username => ev.set(key!("user.name"), v),
        Field::ClientIp => set_host(ev, "source.ip", "source.domain", v),
        Field::Version => ev.set(key!("http.version"), v.strip_prefix("HTTP/").unwrap_or(v)),
        Field::UserAgent => ev.set(key!("user_agent.original"), header_value(v)),
        Field::Cookie => ev.set(key!("iis.cookie"), header_value(cap(v))),
        Field::Referer => ev.set(key!("http.request.referrer"), v),
        Field::Host => ev.set(key!("url.domain"), v),
        Field::Status => match status_code(v) {
            Some(s) => set_status(ev, s),
            None => return Err(f.name()),
        },
        Field::SubStatus => ev.set(key!("iis.sub_status"), int(v)?),
        Field::Win32Status => ev.set(key!("iis.win32_status"), int(v)?),
        Field::ScBytes => ev.set(key!("http.response.bytes"), int(v)?),
        Field::CsBytes => ev.set(key!("http.request.bytes"), int(v)?),
        Field::TimeTaken => match int(v)?.checked_mul(1_000_000) {
            Some(ns) => ev.set(key!("event.duration"), ns),
            None => return Err(f.name()),
        },
        Field::XForwardedFor => {
            let v = header_value(cap(v));
            // The first address is the original client.
            let first = v.split(',').next().unwrap_or("").trim();
            let first = first.to_string();
            if let Ok(ip) = first.parse::<IpAddr>() {
                ev.set(key!("client.ip"), ip.to_string());
            }
            ev.set(key!("iis.x_forwarded_for"), v);
        }
        Field::Other(name) => {
            let key = format!("iis.field.{name}");
            ev.set(&key, cap(v));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn layout(names: &str) -> Arc<[Field]> {
        let mut st = W3cState::default();
        let text = format!("#Fields: {names}");
        let d = directive(&text).expect("a directive");
        apply_directive(d, &text, &mut st, &mut event()).expect("a layout");
        st.fields.expect("fields")
    }

    fn int(ev: &Event, k: &str) -> Option<i64> {
        match ev.get(k) {
            Some(FieldValue::Int(i)) => Some(*i),
            _ => None,
        }
    }

    const FULL: &str = "date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken X-Forwarded-For";

    #[test]
    fn every_standard_field() {
        let f = layout(FULL);
        assert_eq!(f.len(), 23);
        assert!(!f.iter().any(|f| matches!(f, Field::Other(_))));
        let text = "2026-11-25 03:00:01 W3SVC1 WEB01 192.0.2.10 POST /owa/auth.owa a=1 443 CONTOSO\\alice 10.0.0.5 HTTP/1.1 Mozilla/5.0+(Windows+NT+10.0) s=abc https://mail.example.gov.vn/ mail.example.gov.vn 302 0 0 512 1024 31 203.0.113.9,+10.0.0.1";
        assert!(fits(text, &f));
        let mut ev = event();
        assert_eq!(line(text, &f, None, &mut ev), Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:01 UTC));
        assert_eq!(ev.get_str("iis.site_name"), Some("W3SVC1"));
        assert_eq!(ev.get_str("host.name"), Some("WEB01"));
        assert_eq!(ev.get_str("destination.ip"), Some("192.0.2.10"));
        assert_eq!(ev.get_str("http.request.method"), Some("POST"));
        assert_eq!(ev.get_str("url.original"), Some("/owa/auth.owa?a=1"));
        assert_eq!(int(&ev, "destination.port"), Some(443));
        assert_eq!(ev.get_str("user.name"), Some("CONTOSO\\alice"));
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.5"));
        assert_eq!(ev.get_str("http.version"), Some("1.1"));
        assert_eq!(
            ev.get_str("user_agent.original"),
            Some("Mozilla/5.0 (Windows NT 10.0)")
        );
        assert_eq!(ev.get_str("iis.cookie"), Some("s=abc"));
        assert_eq!(
            ev.get_str("http.request.referrer"),
            Some("https://mail.example.gov.vn/")
        );
        assert_eq!(ev.get_str("url.domain"), Some("mail.example.gov.vn"));
        assert_eq!(int(&ev, "http.response.status_code"), Some(302));
        assert_eq!(int(&ev, "http.response.bytes"), Some(512));
        assert_eq!(int(&ev, "http.request.bytes"), Some(1024));
        assert_eq!(int(&ev, "event.duration"), Some(31_000_000));
        assert_eq!(ev.get_str("client.ip"), Some("203.0.113.9"));
        assert_eq!(ev.get_str("event.outcome"), Some("success"));
    }

    #[test]
    fn layouts_without_a_date_use_the_date_directive() {
        let mut st = W3cState::default();
        let mut ev = event();
        let text = "#Date: 2026-11-24 23:59:58";
        let d = directive(text).expect("directive");
        assert_eq!(apply_directive(d, text, &mut st, &mut ev), Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-24 23:59:58 UTC));
        assert_eq!(ev.get_str("event.action"), Some("w3c-date"));
        let f = layout("time c-ip cs-method cs-uri-stem sc-status x-custom");
        let mut ev = event();
        let text = "23:59:59.250 198.51.100.7 GET /a 404 hello";
        assert!(fits(text, &f));
        assert_eq!(line(text, &f, st.date, &mut ev), Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-24 23:59:59.250 UTC));
        assert_eq!(ev.get_str("iis.field.x-custom"), Some("hello"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
    }

    #[test]
    fn directives() {
        assert_eq!(
            directive("#Fields:"),
            Some(Directive {
                name: "Fields",
                value: ""
            })
        );
        assert_eq!(directive("#remark: hi").map(|d| d.name), Some("Remark"));
        assert_eq!(directive("#Other: x"), None);
        assert_eq!(directive("Fields: x"), None);
        let mut st = W3cState::default();
        let mut ev = event();
        let text = "#Software: Microsoft Internet Information Services 10.0";
        let d = directive(text).expect("directive");
        assert_eq!(apply_directive(d, text, &mut st, &mut ev), Ok(()));
        assert_eq!(ev.get_str("observer.version"), Some("10.0"));
        assert_eq!(ev.get_str("w3c.directive"), Some("Software"));
        assert_eq!(st, W3cState::default());
        // Broken directives are errors and leave the state alone.
        for bad in ["#Fields:   ", "#Date: yesterday"] {
            let d = directive(bad).expect("directive");
            assert!(
                apply_directive(d, bad, &mut st, &mut event()).is_err(),
                "{bad}"
            );
        }
        let many = format!("#Fields: {}", "x ".repeat(MAX_FIELDS + 1));
        let d = directive(&many).expect("directive");
        assert!(apply_directive(d, &many, &mut st, &mut event()).is_err());
        assert_eq!(st, W3cState::default());
    }

    #[test]
    fn fitting_and_errors() {
        let f = layout("date time c-ip sc-status time-taken");
        assert!(!fits("2026-11-25 03:00:00 1.2.3.4 200", &f));
        assert!(!fits("2026-11-25 03:00:00 1.2.3.4 200 1 2", &f));
        assert!(!fits("25/11/2026 03:00:00 1.2.3.4 200 1", &f));
        assert!(!fits("#Remark: a b c d", &f));
        let mut ev = event();
        let text = "2026-11-25 03:00:00 1.2.3.4 2x0 9";
        assert!(fits(text, &f));
        assert_eq!(
            line(text, &f, None, &mut ev),
            Err(ParseError::expected(P, "sc-status", 28))
        );
        // What else parsed is kept.
        assert_eq!(int(&ev, "event.duration"), Some(9_000_000));
        assert_eq!(ev.get_str("source.ip"), Some("1.2.3.4"));
        let mut ev = event();
        assert_eq!(
            line("2026-11-25 03:00:00 1.2.3.4 200 1 extra", &f, None, &mut ev),
            Err(ParseError::expected(
                P,
                "as many values as the #Fields directive names",
                34
            ))
        );
        let mut ev = event();
        assert!(line("2026-11-25 99:00:00 1.2.3.4 200 1", &f, None, &mut ev).is_err());
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
    }
}
