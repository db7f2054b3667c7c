//! RFC 5424 records: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP
//! PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]`.

use std::borrow::Cow;

use memchr::memchr2;
use nom::bytes::complete::{take_while1, take_while_m_n};
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
    ev.set("log.syslog.version", i64::from(v));
    cur.advance_to(rest);

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
        ev.set("host.name", host);
    }
    if let Some(app) = header_field(cur, "APP-NAME")? {
        ev.set("process.name", app);
        parsed.program = Some(app);
    }
    if let Some(procid) = header_field(cur, "PROCID")? {
        set_procid(ev, procid);
    }
    if let Some(msgid) = header_field(cur, "MSGID")? {
        ev.set("log.syslog.msgid", msgid);
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
    let Some((tok, rest)) = r.split_once(' ') else {
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
fn sd_name(s: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c > ' ' && c != '=' && c != ']' && c != '"' && c != '\u{7f}')(s)
}

/// One `[SD-ID *(SP PARAM-NAME="PARAM-VALUE")]`, its params stored as
/// `log.syslog.structured_data.<SD-ID>.<PARAM-NAME>`. A param repeated in
/// an element (allowed by the RFC) keeps every value, joined by `", "`.
fn sd_element(ev: &mut Event, cur: &mut Cursor<'_>) -> Result<(), ParseError> {
    let r = cur.rest().strip_prefix('[').unwrap_or_default();
    cur.advance_to(r);
    let (rest, id) = sd_name(r).map_err(|_| ParseError::expected(P, "SD-ID", cur.offset()))?;
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
            sd_name(rest).map_err(|_| ParseError::expected(P, "PARAM-NAME", cur.offset()))?;
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
        let key = format!("log.syslog.structured_data.{id}.{name}");
        match ev.fields.entry(key) {
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
