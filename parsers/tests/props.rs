//! Property tests: no input makes the parser panic, `event.original` is
//! always the input, and RFC 5424 records built from random parts parse
//! back to those parts.

use std::collections::BTreeMap;

use proptest::prelude::*;
use time::macros::datetime;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use vedette_model::{Event, FieldValue, Origin};
use vedette_parsers::{Parser, ParserConfig};

const RECEIVED: OffsetDateTime = datetime!(2026-11-25 03:00:00 UTC);

fn parse(bytes: &[u8]) -> Event {
    Parser::new(ParserConfig::default()).parse(9, RECEIVED, Origin::new("prop", None), bytes)
}

/// Inputs that get past the first checks and into the header and message
/// parsers.
fn syslogish() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![
        "<[0-9]{1,3}>[0-9]{1,2} [ -~]{0,80}",
        "<[0-9]{1,3}>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,14}(Z|[+-][0-9]{2}:[0-9]{2})? [ -~]{0,60}",
        "<[0-9]{1,3}>1 - - - - - (-|\\[[ -~]{0,40})( .{0,20})?",
        "(<[0-9]{1,3}>)?(Jan|Feb|Nov|Dec) [ 0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]{1,9})? [ -~]{0,80}",
        "(Nov 25 10:00:00 |2026-11-25T10:00:00Z )?(h )?(sshd|sudo|su|useradd|usermod|userdel|groupadd|passwd|CRON)(\\[[0-9a-z]{0,6}\\])?: {0,3}(Failed|Accepted|Invalid|Connection|Disconnected|error:|pam_unix\\([a-z:-]{0,10}\\):|new user:|new group:|delete user|add '|\\(to|FAILED SU|password for '|user |message repeated )[ -~]{0,60}",
        "[a-z]{1,8} : [ -~]{0,20}(TTY|PWD|USER|COMMAND)=[ -~;]{0,40}",
    ];
    (
        text,
        prop::collection::vec(any::<u8>(), 0..8),
        any::<bool>(),
    )
        .prop_map(|(t, junk, bom)| {
            let mut v = Vec::new();
            if bom {
                v.extend_from_slice("\u{feff}".as_bytes());
            }
            v.extend_from_slice(t.as_bytes());
            v.extend_from_slice(&junk);
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_make_an_event(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let ev = parse(&bytes);
        prop_assert_eq!(&ev.original, &String::from_utf8_lossy(&bytes));
        prop_assert_eq!(ev.seq, 9);
    }

    #[test]
    fn syslogish_bytes_make_an_event(bytes in syslogish()) {
        let ev = parse(&bytes);
        prop_assert_eq!(&ev.original, &String::from_utf8_lossy(&bytes));
        // A parsed record has no error; an error always names a parser: the
        // syslog header's, or a device format's that claimed the MSG (a
        // `{...}` MSG that is not JSON is a `json:` error).
        if let Some(e) = &ev.error {
            let parser = e.split_once(": ").map(|(p, _)| p).unwrap_or("");
            let known = ["syslog", "rfc5424", "rfc3164", "modsec"].contains(&parser)
                || vedette_parsers::format_names().contains(&parser);
            prop_assert!(known, "{}", e);
        }
    }
}

#[derive(Debug, Clone)]
struct Stamp {
    datetime: PrimitiveDateTime,
    digits: usize,
    offset: UtcOffset,
}

impl Stamp {
    fn text(&self) -> String {
        let d = self.datetime;
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        );
        if self.digits > 0 {
            let nanos = format!("{:09}", d.nanosecond());
            s.push('.');
            s.push_str(&nanos[..self.digits]);
        }
        if self.offset == UtcOffset::UTC {
            s.push('Z');
        } else {
            let (h, m, _) = self.offset.as_hms();
            let sign = if self.offset.is_negative() { '-' } else { '+' };
            s.push_str(&format!(
                "{sign}{:02}:{:02}",
                h.unsigned_abs(),
                m.unsigned_abs()
            ));
        }
        s
    }

    fn instant(&self) -> OffsetDateTime {
        let keep = 10u32.pow(9 - self.digits as u32);
        let nanos = self.datetime.nanosecond() / keep * keep;
        self.datetime
            .replace_nanosecond(nanos)
            .expect("valid nanosecond")
            .assume_offset(self.offset)
            .to_offset(UtcOffset::UTC)
    }
}

fn stamp() -> impl Strategy<Value = Stamp> {
    (
        1970i32..2100,
        1u8..=12,
        1u8..=28,
        0u8..24,
        0u8..60,
        0u8..60,
        0u32..1_000_000_000,
        0usize..=6,
        -23i8..=23,
        0i8..60,
    )
        .prop_map(|(y, mo, d, h, mi, s, n, digits, oh, om)| {
            let date =
                Date::from_calendar_date(y, Month::try_from(mo).expect("month"), d).expect("date");
            let time = Time::from_hms_nano(h, mi, s, n).expect("time");
            let om = if oh < 0 { -om } else { om };
            Stamp {
                datetime: PrimitiveDateTime::new(date, time),
                digits,
                offset: UtcOffset::from_hms(oh, om, 0).expect("offset"),
            }
        })
}

/// A header field: printable US-ASCII, never the NILVALUE.
fn field(max: usize) -> impl Strategy<Value = Option<String>> {
    let printable =
        proptest::string::string_regex(&format!("[!-~]{{1,{max}}}")).expect("a valid regex");
    prop::option::of(printable.prop_filter("not NILVALUE", |s| s != "-"))
}

/// SD-NAME, without `.` so that keys cannot collide across elements.
const SD_NAME: &str = "[!-~&&[^=\\]\" .]]{1,12}";

type Sd = BTreeMap<String, BTreeMap<String, String>>;

fn sd() -> impl Strategy<Value = Sd> {
    prop::collection::btree_map(
        SD_NAME,
        prop::collection::btree_map(SD_NAME, "\\PC{0,16}", 0..4),
        0..3,
    )
}

fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn record(
    pri: u8,
    ts: &Option<Stamp>,
    host: &Option<String>,
    app: &Option<String>,
    procid: &Option<String>,
    msgid: &Option<String>,
    sd: &Sd,
    msg: &Option<String>,
) -> String {
    let nil = |f: &Option<String>| f.clone().unwrap_or_else(|| "-".into());
    let mut s = format!(
        "<{pri}>1 {} {} {} {} {} ",
        ts.as_ref().map_or_else(|| "-".into(), Stamp::text),
        nil(host),
        nil(app),
        nil(procid),
        nil(msgid)
    );
    if sd.is_empty() {
        s.push('-');
    }
    for (id, params) in sd {
        s.push('[');
        s.push_str(id);
        for (name, value) in params {
            s.push_str(&format!(" {name}=\"{}\"", escape(value)));
        }
        s.push(']');
    }
    if let Some(m) = msg {
        s.push(' ');
        s.push_str(m);
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn rfc5424_roundtrip(
        pri in 0u8..=191,
        ts in prop::option::of(stamp()),
        host in field(40),
        app in field(20),
        procid in prop_oneof![field(10), (0u32..4_000_000).prop_map(|p| Some(p.to_string()))],
        msgid in field(32),
        sd in sd(),
        msg in prop::option::of("[^\r\n\u{0}\u{feff}]\\PC{0,40}".prop_filter("no trailing NL", |m| !m.ends_with(['\n', '\r', '\0']))),
    ) {
        let line = record(pri, &ts, &host, &app, &procid, &msgid, &sd, &msg);
        let ev = parse(format!("{line}\n").as_bytes());
        // The header always parses; a MSG that a device format claims may
        // fail in that format (`{A}` is not JSON), which is not the header's.
        let header_error = ev
            .error
            .as_deref()
            .filter(|e| e.starts_with("rfc5424: ") || e.starts_with("syslog: "));
        prop_assert_eq!(header_error, None, "{}", line);
        prop_assert_eq!(ev.get("log.syslog.priority"), Some(&FieldValue::Int(i64::from(pri))));
        prop_assert_eq!(ev.get("log.syslog.facility.code"), Some(&FieldValue::Int(i64::from(pri >> 3))));
        prop_assert_eq!(ev.get("log.syslog.severity.code"), Some(&FieldValue::Int(i64::from(pri & 7))));
        prop_assert_eq!(ev.get("log.syslog.version"), Some(&FieldValue::Int(1)));
        prop_assert_eq!(ev.timestamp, ts.as_ref().map_or(RECEIVED, Stamp::instant));
        prop_assert_eq!(ev.get_str("host.name"), host.as_deref());
        prop_assert_eq!(ev.get_str("process.name"), app.as_deref());
        prop_assert_eq!(ev.get_str("log.syslog.msgid"), msgid.as_deref());
        match procid.as_deref() {
            Some(p) if p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<i64>().is_ok() => {
                prop_assert_eq!(ev.get("process.pid"), Some(&FieldValue::Int(p.parse::<i64>().unwrap_or_default())));
            }
            p => prop_assert_eq!(ev.get_str("log.syslog.procid"), p),
        }
        let got_sd: BTreeMap<&str, &FieldValue> = ev
            .fields
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("log.syslog.structured_data.").map(|k| (k, v)))
            .collect();
        let want_sd: BTreeMap<String, FieldValue> = sd
            .iter()
            .flat_map(|(id, params)| params.iter().map(move |(n, v)| (format!("{id}.{n}"), FieldValue::from(v.clone()))))
            .collect();
        prop_assert_eq!(got_sd.len(), want_sd.len());
        for (k, v) in &want_sd {
            prop_assert_eq!(got_sd.get(k.as_str()).copied(), Some(v), "{}", k);
        }
        prop_assert_eq!(ev.get_str("message"), msg.as_deref());
    }
}
