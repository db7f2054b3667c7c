//! What RFC 5424 and RFC 3164 share: PRI, the facility and severity names,
//! and a cursor that remembers byte offsets for error messages.

use nom::bytes::complete::take_while_m_n;
use nom::character::complete::char;
use nom::combinator::{map_res, verify};
use nom::sequence::delimited;
use nom::IResult;
use vedette_model::Event;

/// Facility names by code (RFC 5424 table 1, with the keywords rsyslog and
/// syslog-ng use).
const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// Severity names by code (RFC 5424 table 2).
const SEVERITIES: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];

/// The UTF-8 byte order mark, as a character.
pub(crate) const BOM: char = '\u{feff}';

/// What the header parsers found that the caller needs after them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parsed<'a> {
    /// The record was recognized as syslog (a PRI or a timestamp).
    pub(crate) syslog: bool,
    /// APP-NAME or TAG.
    pub(crate) program: Option<&'a str>,
    /// MSG.
    pub(crate) message: Option<&'a str>,
    /// A device format already parsed the text after the PRI.
    pub(crate) formatted: bool,
    /// The record has RFC 5424 structured data.
    pub(crate) structured_data: bool,
    /// A relay (Kiwi) named the device's address: the header's host name
    /// is the relay's.
    pub(crate) relayed: bool,
}

/// A position in a record, for parsing and for error offsets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    /// Bytes before `text` in `event.original` (a stripped BOM).
    base: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str, base: usize) -> Self {
        Cursor { text, pos: 0, base }
    }

    /// What is left.
    pub(crate) fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// The offset of `rest()` in `event.original`.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Moves to `rest`, which must be a suffix of `self.rest()`.
    pub(crate) fn advance_to(&mut self, rest: &'a str) {
        self.pos = self.text.len().saturating_sub(rest.len());
    }
}

/// `<PRI>`: one to three digits, 0 to 191.
pub(crate) fn pri(s: &str) -> IResult<&str, u8> {
    delimited(
        char('<'),
        verify(
            map_res(
                take_while_m_n(1, 3, |c: char| c.is_ascii_digit()),
                str::parse::<u8>,
            ),
            |p: &u8| *p <= 191,
        ),
        char('>'),
    )(s)
}

/// Sets the `log.syslog.*` priority fields.
pub(crate) fn set_pri(ev: &mut Event, pri: u8) {
    let (facility, severity) = (pri >> 3, pri & 7);
    ev.set(key!("log.syslog.priority"), i64::from(pri));
    ev.set(key!("log.syslog.facility.code"), i64::from(facility));
    if let Some(name) = FACILITIES.get(usize::from(facility)) {
        ev.set(key!("log.syslog.facility.name"), *name);
    }
    ev.set(key!("log.syslog.severity.code"), i64::from(severity));
    if let Some(name) = SEVERITIES.get(usize::from(severity)) {
        ev.set(key!("log.syslog.severity.name"), *name);
    }
}

/// Sets `process.pid` when `procid` is all digits (and fits), else
/// `log.syslog.procid`.
pub(crate) fn set_procid(ev: &mut Event, procid: &str) {
    if procid.is_empty() {
        return;
    }
    match procid.parse::<i64>() {
        Ok(pid) if procid.bytes().all(|b| b.is_ascii_digit()) => ev.set(key!("process.pid"), pid),
        _ => ev.set(key!("log.syslog.procid"), procid),
    }
}

/// The header's host name is a relay's, not the device's: it moves to
/// `log.syslog.relay` (no ECS field says "relay").
pub(crate) fn host_is_relay(ev: &mut Event) {
    if let Some(host) = ev.fields.remove("host.name") {
        ev.set(key!("log.syslog.relay"), host);
    }
}

/// `s` without a leading byte order mark.
pub(crate) fn strip_bom(s: &str) -> &str {
    s.strip_prefix(BOM).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;
    use vedette_model::{FieldValue, Origin};

    #[test]
    fn pri_values() {
        assert_eq!(pri("<34>Oct"), Ok(("Oct", 34)));
        assert_eq!(pri("<0>x"), Ok(("x", 0)));
        assert_eq!(pri("<191>"), Ok(("", 191)));
        for bad in ["<192>", "<>", "<1234>", "<a>", "34>", "<34", ""] {
            assert!(pri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pri_fields() {
        let mut ev = Event::raw(1, OffsetDateTime::UNIX_EPOCH, Origin::new("t", None), b"");
        set_pri(&mut ev, 165);
        assert_eq!(
            ev.get("log.syslog.facility.code"),
            Some(&FieldValue::Int(20))
        );
        assert_eq!(ev.get_str("log.syslog.facility.name"), Some("local4"));
        assert_eq!(ev.get_str("log.syslog.severity.name"), Some("notice"));
        set_pri(&mut ev, 191);
        assert_eq!(ev.get_str("log.syslog.facility.name"), Some("local7"));
        assert_eq!(ev.get_str("log.syslog.severity.name"), Some("debug"));
    }

    #[test]
    fn procid() {
        let mut ev = Event::raw(1, OffsetDateTime::UNIX_EPOCH, Origin::new("t", None), b"");
        set_procid(&mut ev, "123");
        assert_eq!(ev.get("process.pid"), Some(&FieldValue::Int(123)));
        set_procid(&mut ev, "+5");
        assert_eq!(ev.get_str("log.syslog.procid"), Some("+5"));
        set_procid(&mut ev, "99999999999999999999");
        assert_eq!(
            ev.get_str("log.syslog.procid"),
            Some("99999999999999999999")
        );
    }
}
