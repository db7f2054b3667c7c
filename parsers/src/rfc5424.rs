//! RFC 5424 records: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP
//! PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]`.

use std::borrow::Cow;

use memchr::memchr2;
use nom::bytes::complete::take_while_m_n;
use nom::character::complete::char;
use nom::combinator::map_res;
use nom::sequence::terminated;
use nom::IResult;
use time::UtcOffset;
use vedette_model::fields::Entry;
use vedette_model::{Event, FieldValue};

use crate::syslog::{set_procid, strip_bom, Cursor, Parsed};
use crate::timestamp::parse_iso;
use crate::ParseError;

const P: &str = "rfc5424";

/// Where structured-data params go: `<this><SD-ID>.<PARAM-NAME>`.
pub(crate) const SD_FIELD: &str = "log.syslog.structured_data.";

/// `VERSION SP`: a number without a leading zero, up to three digits.
pub(crate) fn version(s: &str) -> IResult<&str, u16> {
    terminated(
        map_res(
            take_while_m_n(1, 3, |c: char| c.is_ascii_digit()),
            |d: &str| {
                if d.starts_with('0') {
                    Err(())
                } else {
                    d.parse::<u16>().map_err(|_| ())
                }
            },
        ),
        char(' '),
    )(s)
}

/// Parses what follows PRI, filling `ev` as it goes: a failure keeps the
/// fields already understood.
pub(crate) fn parse<'a>(
    ev: &mut Event,
    cur: &mut Cursor<'a>,
    parsed: &mut Parsed<'a>,
    default_offset: UtcOffset,
) -> Result<(), ParseError> {
    let (rest, v) =
        version(cur.rest()).map_err(|_| ParseError::expected(P, "VERSION", cur.offset()))?;
    ev.set(key!("log.syslog.version"), i64::from(v));
    cur.advance_to(rest);
    parse_after_version(ev, cur, parsed, default_offset)
}

/// Whether `s`, which has no PRI, is an RFC 5424 record with its PRI
/// (and perhaps its VERSION) taken off, as relays and files keep them:
/// `Some(true)` for `1 2014-03-19T06:15:38.899 host ...` (parse it with
/// [`parse`]), `Some(false)` for `2023-03-23T20:06:52Z host app - msgid
/// [sd@1 ...] ...` ([`parse_after_version`]). The second must look like
/// 5424 up to its STRUCTURED-DATA: a numeric or nil PROCID and an SD
/// element or nil SD after MSGID, so a BSD record with an RFC 3339 time
/// (`2024-... host sshd[12]: ...`) is not taken for one.
pub(crate) fn headerless(s: &str) -> Option<bool> {
    // Both start with a digit 1-9 (VERSION, or a year): most texts are
    // ruled out by their first byte.
    if !s
        .as_bytes()
        .first()
        .is_some_and(|b| (b'1'..=b'9').contains(b))
    {
        return None;
    }
    let stamp_then_space = |t: &str| {
        let st = parse_iso(t)?;
        (t.as_bytes().get(st.len) == Some(&b' ')).then_some(st.len + 1)
    };
    if let Ok((rest, _)) = version(s) {
        return stamp_then_space(rest).map(|_| true);
    }
    let at = stamp_then_space(s)?;
    let mut parts = s[at..].splitn(5, ' ');
    let (_host, app, procid, _msgid, sd) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let procid_ok =
        procid == "-" || (!procid.is_empty() && procid.bytes().all(|b| b.is_ascii_digit()));
    let sd_ok = sd == "-"
        || sd.starts_with("- ")
        || sd.strip_prefix('[').is_some_and(|r| {
            let name = r.split([' ', ']']).next().unwrap_or("");
            !name.is_empty()
                && r.len() > name.len()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'=' && b != b'"')
        });
    (!app.is_empty() && !app.ends_with(':') && procid_ok && sd_ok).then_some(false)
}

/// Parses from TIMESTAMP on (what follows `VERSION SP`).
pub(crate) fn parse_after_version<'a>(
    ev: &mut Event,
    cur: &mut Cursor<'a>,
    parsed: &mut Parsed<'a>,
    default_offset: UtcOffset,
) -> Result<(), ParseError> {
    let at = cur.offset();
    if let Some(ts) = header_field(cur, "TIMESTAMP")? {
        match parse_iso(ts) {
            Some(t) if t.len == ts.len() => {
                ev.timestamp = t.resolve(default_offset).to_offset(UtcOffset::UTC);
            }
            _ => return Err(ParseError::expected(P, "TIMESTAMP", at)),
        }
    }
    if let Some(host) = header_field(cur, "HOSTNAME")? {
        ev.set(key!("host.name"), host);
    }
    // A relay template that writes a CEF or LEEF record right after the
    // host name, without APP-NAME, PROCID, MSGID and STRUCTURED-DATA
    // (`<29>1 2022-03-18T18:08:07Z ksc01 CEF:0|KasperskyLab|...`).
    let r = cur.rest();
    if r.starts_with("CEF:") || r.starts_with("LEEF:") {
        parsed.message = Some(r);
        return Ok(());
    }
    if let Some(app) = header_field(cur, "APP-NAME")? {
        ev.set(key!("process.name"), app);
        parsed.program = Some(app);
    }
    if let Some(procid) = header_field(cur, "PROCID")? {
        set_procid(ev, procid);
    }
    if let Some(msgid) = header_field(cur, "MSGID")? {
        ev.set(key!("log.syslog.msgid"), msgid);
    }

    let r = cur.rest();
    if let Some(after) = r
        .strip_prefix('-')
        .filter(|a| a.is_empty() || a.starts_with(' '))
    {
        cur.advance_to(after);
    } else if r.starts_with('[') {
        parsed.structured_data = true;
        while cur.rest().starts_with('[') {
            sd_element(ev, cur)?;
        }
    } else if parsed.relayed && !r.is_empty() {
        // Kiwi's forwarded records have no STRUCTURED-DATA: MSG follows.
        parsed.message = Some(strip_bom(r));
        return Ok(());
    } else {
        return Err(ParseError::expected(P, "STRUCTURED-DATA", cur.offset()));
    }

    let r = cur.rest();
    if r.is_empty() {
        return Ok(());
    }
    match r.strip_prefix(' ') {
        Some(msg) => {
            parsed.message = Some(strip_bom(msg));
            Ok(())
        }
        None => Err(ParseError::expected(P, "SP", cur.offset())),
    }
}

/// A header field and the SP after it; `None` for NILVALUE.
fn header_field<'a>(
    cur: &mut Cursor<'a>,
    what: &'static str,
) -> Result<Option<&'a str>, ParseError> {
    let r = cur.rest();
    let Some((tok, rest)) = crate::formats::split_once_byte(r, b' ') else {
        return Err(if r.is_empty() {
            ParseError::expected(P, what, cur.offset())
        } else {
            ParseError::expected(P, "SP", cur.offset() + r.len())
        });
    };
    if tok.is_empty() {
        return Err(ParseError::expected(P, what, cur.offset()));
    }
    cur.advance_to(rest);
    Ok((tok != "-").then_some(tok))
}

/// SD-NAME: printable, no `=`, SP, `]` or `"`.
/// A byte loop: every byte that ends a name is ASCII, so it splits at a
/// character boundary, and bytes of other characters are above SP.
fn sd_name(s: &str) -> Option<(&str, &str)> {
    let n = s
        .bytes()
        .position(|c| c <= b' ' || matches!(c, b'=' | b']' | b'"' | 0x7f))
        .unwrap_or(s.len());
    (n > 0).then(|| (s.get(n..).unwrap_or(""), s.get(..n).unwrap_or("")))
}

/// One `[SD-ID *(SP PARAM-NAME="PARAM-VALUE")]`, its params stored as
/// `log.syslog.structured_data.<SD-ID>.<PARAM-NAME>`. A param repeated in
/// an element (allowed by the RFC) keeps every value, joined by `", "`.
fn sd_element(ev: &mut Event, cur: &mut Cursor<'_>) -> Result<(), ParseError> {
    let r = cur.rest().strip_prefix('[').unwrap_or_default();
    cur.advance_to(r);
    let (rest, id) = sd_name(r).ok_or_else(|| ParseError::expected(P, "SD-ID", cur.offset()))?;
    // Each param's name, `log.syslog.structured_data.<SD-ID>.<PARAM-NAME>`,
    // written over the same buffer.
    let mut key = String::with_capacity(SD_FIELD.len() + id.len() + 24);
    key.push_str(SD_FIELD);
    key.push_str(id);
    key.push('.');
    let key_len = key.len();
    cur.advance_to(rest);
    loop {
        let r = cur.rest();
        if let Some(rest) = r.strip_prefix(']') {
            cur.advance_to(rest);
            return Ok(());
        }
        let Some(rest) = r.strip_prefix(' ') else {
            return Err(ParseError::expected(P, "SP or ']'", cur.offset()));
        };
        // Lenient: several spaces, or a space before the closing bracket.
        let rest = rest.trim_start_matches(' ');
        cur.advance_to(rest);
        if rest.starts_with(']') {
            continue;
        }
        let (rest, name) =
            sd_name(rest).ok_or_else(|| ParseError::expected(P, "PARAM-NAME", cur.offset()))?;
        cur.advance_to(rest);
        let Some(rest) = rest.strip_prefix("=\"") else {
            return Err(ParseError::expected(P, "'=\"'", cur.offset()));
        };
        cur.advance_to(rest);
        let Some((value, rest)) = param_value(rest) else {
            return Err(ParseError::expected(
                P,
                "'\"' closing PARAM-VALUE",
                cur.offset() + rest.len(),
            ));
        };
        cur.advance_to(rest);
        key.truncate(key_len);
        key.push_str(name);
        match ev.fields.entry(key.as_str()) {
            Entry::Vacant(e) => {
                e.insert(FieldValue::Str(value.into()));
            }
            Entry::Occupied(mut e) => {
                if let FieldValue::Str(s) = e.get_mut() {
                    s.push_str(", ");
                    s.push_str(&value);
                }
            }
        }
    }
}

/// PARAM-VALUE up to the unescaped closing quote, unescaped (`\"`, `\\`,
/// `\]`; any other backslash stays as written), and what follows the quote.
fn param_value(s: &str) -> Option<(Cow<'_, str>, &str)> {
    let b = s.as_bytes();
    let mut owned: Option<String> = None;
    let (mut start, mut i) = (0, 0);
    loop {
        let j = i + memchr2(b'"', b'\\', b.get(i..)?)?;
        if b.get(j) == Some(&b'"') {
            let tail = s.get(start..j)?;
            let rest = s.get(j + 1..)?;
            let value = match owned {
                Some(mut o) => {
                    o.push_str(tail);
                    Cow::Owned(o)
                }
                None => Cow::Borrowed(tail),
            };
            return Some((value, rest));
        }
        match b.get(j + 1) {
            Some(&c @ (b'"' | b'\\' | b']')) => {
                let o = owned.get_or_insert_with(String::new);
                o.push_str(s.get(start..j)?);
                o.push(char::from(c));
                start = j + 2;
                i = j + 2;
            }
            _ => i = j + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn headerless_records_are_told_from_bsd_ones() {
        use super::headerless;
        assert_eq!(
            headerless("1 2014-03-19T06:15:38.899 fw RT_FLOW - X [a@1 b=\"c\"]"),
            Some(true)
        );
        assert_eq!(
            headerless("2023-03-23T20:06:52.000Z sup-08 KES|11.0.0.0 - GNRL_EV_OBJECT_DELETED [event@23668 p1=\"x\"] text"),
            Some(false)
        );
        assert_eq!(
            headerless("2023-03-23T20:06:52Z host app 42 ID47 - message"),
            Some(false)
        );
        assert_eq!(
            headerless("2023-03-23T20:06:52Z host app 42 ID47 -"),
            Some(false)
        );
        // BSD records with an RFC 3339 time, and text.
        assert_eq!(
            headerless("2024-03-01T12:00:00.123456+07:00 host sshd[123]: Accepted password"),
            None
        );
        assert_eq!(
            headerless("2024-03-01T12:00:00Z host app: 123 foo [bar] x"),
            None
        );
        assert_eq!(
            headerless("2024-03-01T12:00:00Z host app 123 foo [=x"),
            None
        );
        assert_eq!(headerless("1 apple a day"), None);
        assert_eq!(headerless("Nov 25 10:00:00 host app: hi"), None);
        assert_eq!(headerless(""), None);
    }

    use super::*;

    #[test]
    fn versions() {
        assert_eq!(version("1 x"), Ok(("x", 1)));
        assert_eq!(version("12 x"), Ok(("x", 12)));
        assert!(version("0 x").is_err());
        assert!(version("1x").is_err());
        assert!(version("1234 x").is_err());
        assert!(version("Oct").is_err());
    }

    #[test]
    fn param_values() {
        assert_eq!(
            param_value(r#"abc"] x"#),
            Some((Cow::Borrowed("abc"), "] x"))
        );
        let (v, rest) = param_value(r#"a\"b\\c\]d\e"]"#).unwrap();
        assert_eq!(v, r#"a"b\c]d\e"#);
        assert_eq!(rest, "]");
        assert_eq!(param_value(r#"""#), Some((Cow::Borrowed(""), "")));
        assert_eq!(param_value(r#"unterminated\""#), None);
        assert_eq!(param_value("x\\"), None);
        assert_eq!(
            param_value("é\\\"ü\""),
            Some((Cow::Owned("é\"ü".to_string()), ""))
        );
    }
}
