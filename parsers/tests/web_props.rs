//! Property tests for web server access logs: no text makes the parser
//! panic, and access lines built from random parts parse back to them.

use std::net::IpAddr;

use proptest::prelude::*;
use time::macros::datetime;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use vedette_model::{Event, FieldValue, Origin};
use vedette_parsers::{Parser, ParserConfig};

const RECEIVED: OffsetDateTime = datetime!(2026-11-25 03:00:00 UTC);
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn parse(bytes: &[u8]) -> Event {
    Parser::new(ParserConfig::default()).parse(3, RECEIVED, Origin::new("prop", None), bytes)
}

fn int(ev: &Event, k: &str) -> Option<i64> {
    match ev.get(k) {
        Some(FieldValue::Int(i)) => Some(*i),
        _ => None,
    }
}

/// Apache's escaping of a quoted field.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Text that looks like an access line to the detectors.
fn accessish() -> impl Strategy<Value = String> {
    prop_oneof![
        "([a-z0-9:.]{1,20} ){2,4}\\[[0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\\] \"[ -~]{0,60}",
        "[0-9:.]{1,12} - - \\[25/Nov/2026:10:00:00 \\+0700\\] \"[ -~\\\\\"]{0,30}\"( [0-9-]{0,4}){0,2}( \"[ -~\\\\\"]{0,10}\"?){0,3}.{0,8}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} (::1|10\\.0\\.0\\.1) (GET|POST) [ -~]{0,80}",
    ]
}

#[derive(Debug, Clone)]
struct Line {
    vhost: Option<(String, Option<u16>)>,
    ip: IpAddr,
    user: Option<String>,
    time: PrimitiveDateTime,
    offset_minutes: i16,
    method: String,
    path: String,
    query: Option<String>,
    version: String,
    status: u16,
    size: Option<u32>,
    referrer: Option<String>,
    agent: Option<String>,
    extra: Option<String>,
}

fn line() -> impl Strategy<Value = Line> {
    let time = (1970i32..2100, 1u8..=12, 1u8..=28, 0u8..24, 0u8..60, 0u8..60).prop_map(
        |(y, mo, d, h, mi, s)| {
            let month = Month::try_from(mo).unwrap_or(Month::January);
            PrimitiveDateTime::new(
                Date::from_calendar_date(y, month, d).unwrap_or(Date::MIN),
                Time::from_hms(h, mi, s).unwrap_or(Time::MIDNIGHT),
            )
        },
    );
    let text = "[ -~]{1,24}";
    (
        (
            proptest::option::of((
                "[a-z]{1,10}\\.example\\.com",
                proptest::option::of(any::<u16>()),
            )),
            any::<IpAddr>(),
            proptest::option::of("[a-z][a-z0-9._]{0,11}"),
            time,
            -14i16 * 60..=14 * 60,
            "[A-Z]{3,8}",
        ),
        (
            "/[ -~]{0,30}".prop_filter("no query", |p| !p.contains('?')),
            proptest::option::of("[ -~]{0,20}"),
            "(1\\.0|1\\.1|2\\.0)",
            100u16..600,
            proptest::option::of(any::<u32>()),
            proptest::option::of(text.prop_filter("not -", |s| s != "-")),
            proptest::option::of(text.prop_filter("not -", |s| s != "-")),
            proptest::option::of("[a-z]{1,4}=[0-9.]{1,6}"),
        ),
    )
        .prop_map(
            |(
                (vhost, ip, user, time, offset_minutes, method),
                (path, query, version, status, size, referrer, agent, extra),
            )| Line {
                vhost,
                ip,
                user,
                time,
                offset_minutes,
                method,
                path,
                query,
                version,
                status,
                size,
                referrer,
                agent,
                extra,
            },
        )
}

impl Line {
    fn render(&self) -> String {
        let mut s = String::new();
        if let Some((host, port)) = &self.vhost {
            s.push_str(host);
            if let Some(p) = port {
                s.push_str(&format!(":{p}"));
            }
            s.push(' ');
        }
        let off = self.offset_minutes;
        let sign = if off < 0 { '-' } else { '+' };
        let t = self.time;
        let target = match &self.query {
            Some(q) => format!("{}?{}", self.path, q),
            None => self.path.clone(),
        };
        s.push_str(&format!(
            "{} - {} [{:02}/{}/{:04}:{:02}:{:02}:{:02} {}{:02}{:02}] \"{} {} HTTP/{}\" {} {}",
            self.ip,
            self.user.as_deref().unwrap_or("-"),
            t.day(),
            MONTHS[usize::from(u8::from(t.month())) - 1],
            t.year(),
            t.hour(),
            t.minute(),
            t.second(),
            sign,
            off.abs() / 60,
            off.abs() % 60,
            self.method,
            escape(&target),
            self.version,
            self.status,
            self.size.map_or("-".to_string(), |n| n.to_string()),
        ));
        if self.referrer.is_some() || self.agent.is_some() {
            for v in [&self.referrer, &self.agent] {
                s.push_str(&format!(" \"{}\"", escape(v.as_deref().unwrap_or("-"))));
            }
        }
        if let Some(x) = &self.extra {
            s.push(' ');
            s.push_str(x);
        }
        s
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_text_makes_an_event(text in ".{0,400}") {
        let ev = parse(text.as_bytes());
        prop_assert_eq!(&ev.original, &text);
    }

    #[test]
    fn accessish_text_makes_an_event(text in accessish()) {
        let ev = parse(text.as_bytes());
        prop_assert_eq!(&ev.original, &text);
        if let Some(e) = &ev.error {
            prop_assert!(!e.is_empty());
        }
    }

    #[test]
    fn built_lines_parse_back(l in line(), syslog in any::<bool>()) {
        let text = l.render();
        let record = if syslog {
            format!("<190>Nov 25 10:00:00 web1 nginx: {text}")
        } else {
            text.clone()
        };
        let ev = parse(record.as_bytes());
        prop_assert_eq!(ev.error.as_deref(), None, "{}", record);
        prop_assert_eq!(ev.get_str("event.module"), Some("web"));
        let offset = UtcOffset::from_whole_seconds(i32::from(l.offset_minutes) * 60).unwrap();
        prop_assert_eq!(ev.timestamp, l.time.assume_offset(offset).to_offset(UtcOffset::UTC));
        let ip = l.ip.to_string();
        prop_assert_eq!(ev.get_str("source.ip"), Some(ip.as_str()));
        prop_assert_eq!(ev.get_str("user.name"), l.user.as_deref());
        prop_assert_eq!(ev.get_str("http.request.method"), Some(l.method.as_str()));
        prop_assert_eq!(ev.get_str("url.path"), Some(l.path.as_str()));
        prop_assert_eq!(ev.get_str("url.query"), l.query.as_deref());
        prop_assert_eq!(ev.get_str("http.version"), Some(l.version.as_str()));
        prop_assert_eq!(int(&ev, "http.response.status_code"), Some(i64::from(l.status)));
        prop_assert_eq!(int(&ev, "http.response.body.bytes"), l.size.map(i64::from));
        prop_assert_eq!(ev.get_str("http.request.referrer"), l.referrer.as_deref());
        prop_assert_eq!(ev.get_str("user_agent.original"), l.agent.as_deref());
        prop_assert_eq!(ev.get_str("http.access.extra"), l.extra.as_deref());
        prop_assert_eq!(ev.get_str("destination.domain"), l.vhost.as_ref().map(|v| v.0.as_str()));
        prop_assert_eq!(
            int(&ev, "destination.port"),
            l.vhost.as_ref().and_then(|v| v.1).map(i64::from)
        );
        prop_assert_eq!(
            ev.get_str("event.outcome"),
            Some(if l.status < 400 { "success" } else { "failure" })
        );
    }
}

/// Throughput of the whole parser on a typical combined line (run with
/// `cargo test --release -p vedette-parsers --test web_props -- --ignored`).
#[test]
#[ignore]
fn throughput() {
    let line = br#"203.0.113.9 - - [25/Nov/2026:10:00:01 +0700] "GET /wp-login.php?redirect_to=%2Fwp-admin%2F HTTP/1.1" 404 153 "https://www.example.com/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" "-" 0.001"#;
    let parser = Parser::new(ParserConfig::default());
    let n = 200_000;
    let start = std::time::Instant::now();
    for i in 0..n {
        let ev = parser.parse(i, RECEIVED, Origin::new("bench", None), line);
        assert!(ev.error.is_none());
    }
    let secs = start.elapsed().as_secs_f64();
    let mib = (line.len() as f64 * n as f64) / (1 << 20) as f64;
    println!(
        "{:.1} MiB/s, {:.0} ns/line",
        mib / secs,
        secs * 1e9 / n as f64
    );
}
