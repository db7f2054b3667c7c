//! Web server access logs, one line at a time.
//!
//! Two variants:
//!
//! - **NCSA common / combined** as Apache (`%h %l %u %t "%r" %>s %b`, plus
//!   `"%{Referer}i" "%{User-agent}i"`) and nginx (`$remote_addr -
//!   $remote_user [$time_local] "$request" $status $body_bytes_sent
//!   "$http_referer" "$http_user_agent"`) write them, with the common
//!   extensions: a leading virtual host (`%v:%p ` or `%v `, into
//!   `destination.*`), IPv6 clients, host names instead of addresses, `-`
//!   for a missing size, and whatever trails the user agent (nginx's
//!   `"$http_x_forwarded_for"`, request times, ...) kept raw in
//!   `http.access.extra`. In quoted fields `\"` and `\\` are unescaped;
//!   other escapes (`\xHH`) are kept as written.
//! - **IIS W3C extended** in IIS's default field order (`date time s-ip
//!   cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip
//!   cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status
//!   time-taken`), times in UTC, for sources that sent no `#Fields:`
//!   directive. A source that did is read in its own layout by `w3c.rs`
//!   (the parser keeps each source's layout); a line in another order from
//!   a source without one keeps its time, server address and method and
//!   gets an error.
//!
//! - **mod_ssl's request log** (`ssl_request_log`, Red Hat's default for
//!   HTTPS sites): `[time] client protocol cipher "request" bytes`.
//! - **IIS log file format**, the older comma-separated one IIS still
//!   offers (`client, user, M/D/YYYY, hh:mm:ss, service, server, server
//!   IP, time taken, bytes received, bytes sent, status, Windows status,
//!   method, target, parameters,`), times in the local (default) zone.
//!
//! A request line that is not `METHOD TARGET HTTP/x.y` (TLS bytes sent to a
//! plain HTTP port, a bare `-`) is a valid log line of an invalid request:
//! it is kept in `http.request.line` and is not an error.
//!
//! Error offsets are byte offsets into the text given to the format (the
//! whole line for a bare line, the syslog MSG otherwise).

use std::borrow::Cow;

/// Built once: constructing a searcher per record costs more than the search.
static OPEN_FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b" ["));

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use vedette_model::{Event, LogSource};

use crate::ParseError;

pub(crate) const FORMAT: super::Format = super::Format {
    name: "web",
    fields: 24,
    first: |b| b.is_ascii_alphanumeric() || b == b':' || b == b'[',
    // A digit or `:` may start an address: an IIS line (W3C or native)
    // has no `[`.
    open: |b| b.is_ascii_digit() || b == b':',
    needs: b"[",
    gate: None,
    detect,
    parse,
    claim: Some(claim),
};

const P: &str = "web";

/// How far into the text the ` [` before an NCSA timestamp is looked for.
const DETECT_WINDOW: usize = 300;

/// `25/Nov/2026:10:00:00 +0700`: `d` a digit, `M` a letter, `s` a sign,
/// anything else itself.
const CLF_TIME: &[u8] = b"dd/MMM/dddd:dd:dd:dd sdddd";

/// `2026-11-25 10:00:00 `, the start of an IIS W3C line.
const IIS_TIME: &[u8] = b"dddd-dd-dd dd:dd:dd ";

/// The fields of IIS's default `#Fields:` line.
const IIS_FIELDS: usize = 15;

/// Methods an IIS line may carry (its detection needs a known one).
const KNOWN_METHODS: &[&str] = &[
    "GET",
    "POST",
    "HEAD",
    "PUT",
    "DELETE",
    "OPTIONS",
    "PATCH",
    "TRACE",
    "CONNECT",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "SEARCH",
    "RPC_IN_DATA",
    "RPC_OUT_DATA",
    "DEBUG",
];

fn detect(text: &str) -> bool {
    kind(text).is_some()
}

/// Which access log a line is: NCSA (its ` [` before the time), or IIS.
#[derive(Clone, Copy)]
enum Kind {
    /// The space before `[` (see [`clf_start`]), and whether a virtual
    /// host comes first (four tokens before the time, not three).
    Ncsa {
        sp: usize,
        vhost: bool,
    },
    Iis,
    /// IIS's own comma-separated format.
    IisNative,
    /// Apache mod_ssl's `ssl_request_log` (`[%t] %h %{SSL_PROTOCOL}x
    /// %{SSL_CIPHER}x "%r" %b`, Red Hat's default for HTTPS).
    SslRequest,
}

fn kind(text: &str) -> Option<Kind> {
    match clf_start(text) {
        Some((sp, vhost)) => Some(Kind::Ncsa { sp, vhost }),
        None if is_iis(text) => Some(Kind::Iis),
        None if text.starts_with('[') => is_ssl_request(text).then_some(Kind::SslRequest),
        None => is_iis_native(text).then_some(Kind::IisNative),
    }
}

fn claim(text: &str, ev: &mut Event) -> Option<Result<(), ParseError>> {
    let k = kind(text)?;
    super::begin(ev, &FORMAT);
    Some(parse_kind(text, Some(k), ev))
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    parse_kind(text, kind(text), ev)
}

fn parse_kind(text: &str, k: Option<Kind>, ev: &mut Event) -> Result<(), ParseError> {
    match k {
        Some(Kind::Ncsa { sp, vhost }) => {
            let product = match ev.get_str("process.name") {
                Some("nginx") => Some("nginx"),
                Some("apache" | "apache2" | "httpd") => Some("apache"),
                _ => None,
            };
            set_common(ev, product);
            clf(text, sp, vhost, ev)
        }
        Some(Kind::Iis) => {
            set_common(ev, None);
            ev.set(key!("observer.vendor"), "Microsoft");
            ev.set(key!("observer.product"), "IIS");
            iis(text, ev)
        }
        Some(Kind::SslRequest) => {
            set_common(ev, Some("apache"));
            ssl_request(text, ev)
        }
        Some(Kind::IisNative) => {
            set_common(ev, None);
            ev.set(key!("observer.vendor"), "Microsoft");
            ev.set(key!("observer.product"), "IIS");
            iis_native(text, ev)
        }
        None => Err(ParseError::expected(P, "an access log line", 0)),
    }
}

pub(super) fn set_common(ev: &mut Event, product: Option<&str>) {
    ev.logsource = LogSource::new(product, Some("webserver"), &[]);
    ev.set(key!("event.kind"), "event");
    ev.set(key!("event.category"), "web");
    ev.set(key!("event.type"), "access");
    ev.set(key!("observer.type"), "web");
    if let Some(p) = product {
        ev.set(key!("observer.product"), p);
    }
}

/// Whether `b` starts with the shape `pat` (see [`CLF_TIME`]).
pub(crate) fn shape(b: &[u8], pat: &[u8]) -> bool {
    b.len() >= pat.len()
        && pat.iter().zip(b).all(|(&p, &c)| match p {
            b'd' => c.is_ascii_digit(),
            b'M' => c.is_ascii_alphabetic(),
            b's' => c == b'+' || c == b'-',
            _ => c == p,
        })
}

/// The position of the space before `[` of an NCSA line's timestamp, when
/// `text` is one: 3 tokens (host, ident, user) or 4 (a virtual host first)
/// before ` [dd/Mon/yyyy:hh:mm:ss +zzzz] "`; and whether there were 4.
fn clf_start(text: &str) -> Option<(usize, bool)> {
    let b = text.as_bytes();
    if !b
        .first()
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b':')
    {
        return None;
    }
    let window = b.get(..DETECT_WINDOW).unwrap_or(b);
    let sp = OPEN_FINDER.find(window)?;
    let head = window.get(..sp)?;
    let list = memchr::memchr(b',', head).is_some();
    let spaces = if list {
        separators(head).count()
    } else {
        head.iter().filter(|&&c| c == b' ').count()
    };
    if !(2..=3).contains(&spaces) || head.windows(2).any(|w| w == b"  ") {
        return None;
    }
    // A list in the client's place holds addresses only.
    if list {
        let text = std::str::from_utf8(head).ok()?;
        if let Some(list) = head_tokens(text).find(|t| t.contains(", ")) {
            if !list
                .split(", ")
                .all(|a| super::is_ip(a) || a == "unknown" || a == "-")
            {
                return None;
            }
        }
    }
    let after = b.get(sp + 2..)?;
    let close = after.get(CLF_TIME.len()..CLF_TIME.len() + 3)?;
    (shape(after, CLF_TIME) && close == b"] \"").then_some((sp, spaces == 3))
}

/// The spaces that separate the tokens before an NCSA line's time: not
/// those after a comma, which belong to a list of addresses in the first
/// token (nginx logging `$http_x_forwarded_for`: `10.0.0.2, 10.0.0.1 - -
/// [...]`).
fn separators(head: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b' ', head).filter(|&i| i == 0 || head[i - 1] != b',')
}

/// The tokens before an NCSA line's time (see [`separators`]): split at
/// every space, or when `list`, not at those after a comma.
struct HeadTokens<'a> {
    rest: Option<&'a str>,
    list: bool,
}

fn head_tokens(head: &str) -> HeadTokens<'_> {
    HeadTokens {
        rest: Some(head),
        list: memchr::memchr(b',', head.as_bytes()).is_some(),
    }
}

impl<'a> Iterator for HeadTokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let r = self.rest?;
        let b = r.as_bytes();
        let cut = if self.list {
            separators(b).next()
        } else {
            memchr::memchr(b' ', b)
        };
        match cut {
            Some(i) => {
                self.rest = r.get(i + 1..);
                r.get(..i)
            }
            None => {
                self.rest = None;
                Some(r)
            }
        }
    }
}

/// Whether `text` starts like an IIS W3C line in the default field order:
/// date, time, server address, a known method.
fn is_iis(text: &str) -> bool {
    let b = text.as_bytes();
    if !shape(b, IIS_TIME) {
        return false;
    }
    let rest = b.get(IIS_TIME.len()..).unwrap_or_default();
    let Some(ip_len) = rest.iter().take(47).position(|&c| c == b' ') else {
        return false;
    };
    let ip = rest.get(..ip_len).unwrap_or_default();
    if !std::str::from_utf8(ip).is_ok_and(super::is_ip) {
        return false;
    }
    let rest = rest.get(ip_len + 1..).unwrap_or_default();
    KNOWN_METHODS.iter().any(|m| {
        rest.strip_prefix(m.as_bytes())
            .is_some_and(|r| r.first() == Some(&b' '))
    })
}

/// `[` + [`CLF_TIME`] + `] ` then an address: mod_ssl's request log.
fn is_ssl_request(text: &str) -> bool {
    let b = text.as_bytes();
    let Some(rest) = b.get(1..) else {
        return false;
    };
    if !shape(rest, CLF_TIME) || rest.get(CLF_TIME.len()..CLF_TIME.len() + 2) != Some(b"] ") {
        return false;
    }
    let host = text.get(CLF_TIME.len() + 3..).unwrap_or("");
    let host = host.split(' ').next().unwrap_or("");
    super::is_ip(host)
}

/// A line of mod_ssl's request log (see [`is_ssl_request`]).
fn ssl_request(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let b = text.as_bytes();
    match b.get(1..).and_then(clf_time) {
        Some(t) => ev.timestamp = t,
        None => return Err(ParseError::expected(P, "TIMESTAMP", 1)),
    }
    let rest = text.get(CLF_TIME.len() + 3..).unwrap_or("");
    let mut words = rest.splitn(4, ' ');
    let (host, proto, cipher) = (
        words.next().unwrap_or(""),
        words.next().unwrap_or(""),
        words.next().unwrap_or(""),
    );
    set_host(ev, "source.ip", "source.domain", host);
    // `TLSv1.2`, `TLSv1.3`, `SSLv3`.
    if let Some(v) = proto.strip_prefix("TLSv") {
        ev.set(key!("tls.version_protocol"), "tls");
        ev.set(key!("tls.version"), v);
    } else if let Some(v) = proto.strip_prefix("SSLv") {
        ev.set(key!("tls.version_protocol"), "ssl");
        ev.set(key!("tls.version"), v);
    }
    if !absent(cipher) {
        ev.set(key!("tls.cipher"), cipher);
    }
    let rest = words.next().unwrap_or("");
    if !rest.starts_with('"') {
        return Err(ParseError::expected(
            P,
            "'\"' opening the request",
            offset(text, rest),
        ));
    }
    let Some((request, rest)) = quoted(rest) else {
        return Err(ParseError::expected(
            P,
            "'\"' closing the request",
            text.len(),
        ));
    };
    set_request(ev, &request);
    let bytes = rest.trim();
    if !absent(bytes) {
        match digits(bytes) {
            Some(n) => ev.set(key!("http.response.body.bytes"), n),
            None => return Err(ParseError::expected(P, "BYTES", offset(text, bytes))),
        }
    }
    Ok(())
}

/// The fields of IIS's own log file format.
const IIS_NATIVE_FIELDS: usize = 15;

/// Whether `text` is a line of IIS's own format: an address, a user, then
/// `M/D/YYYY, hh:mm:ss, `, fields separated by `, `.
fn is_iis_native(text: &str) -> bool {
    // Cheaply first: an address of at most 45 bytes, then `, `.
    let b = text.as_bytes();
    match b.iter().take(46).position(|&c| c == b',') {
        Some(i) if b.get(i + 1) == Some(&b' ') && text.get(..i).is_some_and(super::is_ip) => {}
        _ => return false,
    }
    let mut it = text.splitn(5, ", ");
    let (Some(client), Some(_user), Some(date), Some(time)) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return false;
    };
    super::is_ip(client) && iis_native_date(date).is_some() && shape(time.as_bytes(), b"dd:dd:dd")
}

/// `M/D/YYYY`.
fn iis_native_date(s: &str) -> Option<Date> {
    let mut it = s.split('/');
    let (m, d, y) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || m.len() > 2 || d.len() > 2 || y.len() != 4 {
        return None;
    }
    let month = Month::try_from(u8::try_from(digits(m)?).ok()?).ok()?;
    let day = u8::try_from(digits(d)?).ok()?;
    Date::from_calendar_date(i32::try_from(digits(y)?).ok()?, month, day).ok()
}

/// A line of IIS's own format (see [`is_iis_native`]).
fn iis_native(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let mut f = [""; IIS_NATIVE_FIELDS];
    let body = text.trim_end().strip_suffix(',').unwrap_or(text.trim_end());
    let mut n = 0;
    for (slot, v) in f.iter_mut().zip(body.split(", ")) {
        *slot = v;
        n += 1;
    }
    let field = |i: usize, what: &'static str| ParseError::expected(P, what, offset(text, f[i]));
    set_host(ev, "source.ip", "source.domain", f[0]);
    if !absent(f[1]) {
        ev.set(key!("user.name"), f[1]);
    }
    let date = iis_native_date(f[2]).ok_or_else(|| field(2, "M/D/YYYY"))?;
    let b = f[3].as_bytes();
    let time = Time::from_hms(
        num(b.get(0..2).unwrap_or_default()) as u8,
        num(b.get(3..5).unwrap_or_default()) as u8,
        num(b.get(6..8).unwrap_or_default()) as u8,
    )
    .map_err(|_| field(3, "hh:mm:ss"))?;
    ev.timestamp = PrimitiveDateTime::new(date, time)
        .assume_offset(crate::default_offset())
        .to_offset(UtcOffset::UTC);
    if n < IIS_NATIVE_FIELDS {
        return Err(ParseError::expected(
            P,
            "the 15 fields of IIS's log file format",
            text.len(),
        ));
    }
    ev.set(key!("iis.site"), f[4]);
    ev.set(key!("iis.server_name"), f[5]);
    set_host(ev, "destination.ip", "destination.domain", f[6]);
    let number = |i: usize, what: &'static str| digits(f[i]).ok_or_else(|| field(i, what));
    if let Some(ns) = number(7, "time taken")?.checked_mul(1_000_000) {
        ev.set(key!("event.duration"), ns);
    }
    ev.set(key!("http.request.bytes"), number(8, "bytes received")?);
    ev.set(key!("http.response.bytes"), number(9, "bytes sent")?);
    set_status(
        ev,
        status_code(f[10]).ok_or_else(|| field(10, "service status"))?,
    );
    ev.set(key!("iis.win32_status"), number(11, "Windows status")?);
    ev.set(key!("http.request.method"), f[12]);
    let query = (!absent(f[14])).then_some(f[14]);
    if !absent(f[13]) {
        set_target(ev, f[13], query);
    }
    Ok(())
}

/// The byte offset of `part` (a sub-slice of `text`, or its end) in `text`.
pub(super) fn offset(text: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// An address or a host name into `<prefix>.ip` or `<prefix>.domain`.
pub(super) fn set_host(ev: &mut Event, ip_key: &str, domain_key: &str, host: &str) {
    if host.is_empty() || host == "-" {
        return;
    }
    if super::is_ip(host) {
        ev.set(ip_key, host);
    } else {
        ev.set(domain_key, host);
    }
}

pub(super) fn set_status(ev: &mut Event, status: i64) {
    ev.set(key!("http.response.status_code"), status);
    ev.set(
        "event.outcome",
        if status < 400 { "success" } else { "failure" },
    );
}

/// A value that means "none" in an access log.
pub(super) fn absent(v: &str) -> bool {
    v.is_empty() || v == "-"
}

/// An NCSA common / combined line; `sp` and `vhost` are from [`clf_start`].
fn clf(text: &str, sp: usize, vhost: bool, ev: &mut Event) -> Result<(), ParseError> {
    let head = text.get(..sp).unwrap_or_default();
    let mut tokens = head_tokens(head);
    if vhost {
        let vhost = tokens.next().unwrap_or_default();
        let (name, port) = match vhost.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && !h.contains(':') => match p.parse::<u16>() {
                Ok(port) => (h, Some(port)),
                Err(_) => (vhost, None),
            },
            _ => (vhost, None),
        };
        set_host(ev, "destination.ip", "destination.domain", name);
        if let Some(port) = port {
            ev.set(key!("destination.port"), i64::from(port));
        }
    }
    let host = tokens.next().unwrap_or_default();
    match memchr::memchr(b',', host.as_bytes()).and_then(|i| host.get(..i)) {
        // A list of addresses (`X-Forwarded-For`): the first is the client
        // as the first proxy saw it; the list is kept.
        Some(first) => {
            ev.set(key!("http.access.remote_ip_list"), host);
            set_host(ev, "source.ip", "source.domain", first);
        }
        None => set_host(ev, "source.ip", "source.domain", host),
    }
    let ident = tokens.next().unwrap_or_default();
    if !absent(ident) {
        ev.set(key!("http.access.ident"), ident);
    }
    let user = tokens.next().unwrap_or_default();
    if !absent(user) && user != "\"\"" {
        ev.set(key!("user.name"), user);
    }

    let stamp = text
        .get(sp + 2..sp + 2 + CLF_TIME.len())
        .unwrap_or_default();
    match clf_time(stamp.as_bytes()) {
        Some(t) => ev.timestamp = t,
        None => return Err(ParseError::expected(P, "TIMESTAMP", sp + 2)),
    }

    // `] "` follows the timestamp (checked by `clf_start`).
    let req_at = sp + 2 + CLF_TIME.len() + 2;
    let rest = text.get(req_at..).unwrap_or_default();
    let Some((request, rest)) = quoted(rest) else {
        return Err(ParseError::expected(
            P,
            "'\"' closing the request",
            text.len(),
        ));
    };
    set_request(ev, &request);

    let Some(rest) = rest.strip_prefix(' ') else {
        return Err(ParseError::expected(P, "SP", offset(text, rest)));
    };
    let (status, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    match status_code(status) {
        Some(s) => set_status(ev, s),
        None => return Err(ParseError::expected(P, "STATUS", offset(text, status))),
    }

    if rest.is_empty() {
        return Err(ParseError::expected(P, "BYTES", text.len()));
    }
    let (bytes, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    // Some nginx formats quote every value (`"173"`).
    let bytes = bytes
        .strip_prefix('"')
        .and_then(|b| b.strip_suffix('"'))
        .unwrap_or(bytes);
    if bytes != "-" {
        match digits(bytes) {
            Some(n) => ev.set(key!("http.response.body.bytes"), n),
            None => return Err(ParseError::expected(P, "BYTES", offset(text, bytes))),
        }
    }

    // Combined: referrer and user agent, then anything else.
    let mut rest = rest;
    for (key, what) in [
        ("http.request.referrer", "'\"' closing the referrer"),
        ("user_agent.original", "'\"' closing the user agent"),
    ] {
        if !rest.starts_with('"') {
            break;
        }
        let Some((value, after)) = quoted(rest) else {
            return Err(ParseError::expected(P, what, text.len()));
        };
        if !absent(&value) {
            ev.set(key, value.into_owned());
        }
        rest = after.strip_prefix(' ').unwrap_or(after);
    }
    let extra = rest.trim();
    if !extra.is_empty() {
        ev.set(key!("http.access.extra"), extra);
    }
    Ok(())
}

/// `dd/Mon/yyyy:hh:mm:ss +zzzz` in UTC.
fn clf_time(b: &[u8]) -> Option<OffsetDateTime> {
    if !shape(b, CLF_TIME) {
        return None;
    }
    let day = num(b.get(0..2)?);
    let month = month(b.get(3..6)?)?;
    let year = num(b.get(7..11)?);
    let time = Time::from_hms(
        num(b.get(12..14)?) as u8,
        num(b.get(15..17)?) as u8,
        num(b.get(18..20)?) as u8,
    )
    .ok()?;
    let date = Date::from_calendar_date(year as i32, month, day as u8).ok()?;
    let (oh, om) = (num(b.get(22..24)?) as i8, num(b.get(24..26)?) as i8);
    let sign = if b.get(21) == Some(&b'-') { -1 } else { 1 };
    let offset = UtcOffset::from_hms(sign * oh, sign * om, 0).ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .to_offset(UtcOffset::UTC),
    )
}

/// The value of ASCII digits (at most 4, checked by the caller's shape).
pub(super) fn num(b: &[u8]) -> u32 {
    b.iter()
        .fold(0, |n, &c| n * 10 + u32::from(c.wrapping_sub(b'0') % 10))
}

fn month(b: &[u8]) -> Option<Month> {
    let mut m = [0u8; 3];
    m.copy_from_slice(b.get(..3)?);
    m.make_ascii_lowercase();
    Some(match &m {
        b"jan" => Month::January,
        b"feb" => Month::February,
        b"mar" => Month::March,
        b"apr" => Month::April,
        b"may" => Month::May,
        b"jun" => Month::June,
        b"jul" => Month::July,
        b"aug" => Month::August,
        b"sep" => Month::September,
        b"oct" => Month::October,
        b"nov" => Month::November,
        b"dec" => Month::December,
        _ => return None,
    })
}

/// A non-negative decimal number of at most 18 digits.
pub(super) fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A three-digit HTTP status code.
pub(super) fn status_code(s: &str) -> Option<i64> {
    if s.len() != 3 {
        return None;
    }
    digits(s).filter(|n| *n >= 100)
}

/// A quoted field at the start of `s`: its value (`\"` and `\\` unescaped)
/// and what follows the closing quote. The closing quote is the first
/// unescaped `"` followed by a space or the end, so a stray quote from a
/// server that does not escape them does not end the field.
fn quoted(s: &str) -> Option<(Cow<'_, str>, &str)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    let mut escaped = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                escaped = true;
                i += 2;
                continue;
            }
            b'"' if matches!(b.get(i + 1), None | Some(b' ')) => {
                let raw = s.get(1..i)?;
                let rest = s.get(i + 1..)?;
                let value = if escaped {
                    Cow::Owned(unescape(raw))
                } else {
                    Cow::Borrowed(raw)
                };
                return Some((value, rest));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `\"` to `"` and `\\` to `\`; other escapes kept as written.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(n @ ('"' | '\\')) => out.push(n),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Whether `m` looks like an HTTP method: upper-case letters, `-`, `_`.
fn is_method(m: &str) -> bool {
    (1..=32).contains(&m.len())
        && m.bytes()
            .all(|c| c.is_ascii_uppercase() || c == b'-' || c == b'_')
}

/// `METHOD TARGET HTTP/x.y` into the method, URL and version fields;
/// anything else into `http.request.line`.
fn set_request(ev: &mut Event, req: &str) {
    let parts = req.split_once(' ').and_then(|(method, rest)| {
        let (target, proto) = rest.rsplit_once(' ')?;
        let version = proto.strip_prefix("HTTP/")?;
        (is_method(method) && !target.is_empty()).then_some((method, target, version))
    });
    let Some((method, target, version)) = parts else {
        if !absent(req) {
            ev.set(key!("http.request.line"), req);
        }
        return;
    };
    ev.set(key!("http.request.method"), method);
    set_target(ev, target, None);
    if !version.is_empty() {
        ev.set(key!("http.version"), version);
    }
}

/// `url.original`, and `url.path` / `url.query` for an origin-form target
/// (`/path?query`). With `query` the path and query come apart (IIS).
pub(super) fn set_target(ev: &mut Event, target: &str, query: Option<&str>) {
    match query {
        Some(q) => {
            ev.set(key!("url.original"), format!("{target}?{q}"));
            ev.set(key!("url.path"), target);
            ev.set(key!("url.query"), q);
        }
        None => {
            ev.set(key!("url.original"), target);
            if target.starts_with('/') {
                let (path, query) = match target.split_once('?') {
                    Some((p, q)) => (p, Some(q)),
                    None => (target, None),
                };
                ev.set(key!("url.path"), path);
                if let Some(q) = query {
                    ev.set(key!("url.query"), q);
                }
            }
        }
    }
}

/// An IIS W3C line in the default field order (checked by [`is_iis`]).
fn iis(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let mut f = [""; IIS_FIELDS];
    let mut it = text.split(' ');
    let mut n = 0;
    for slot in f.iter_mut() {
        match it.next() {
            Some(s) => {
                *slot = s;
                n += 1;
            }
            None => break,
        }
    }
    let surplus = it.next();

    match iis_time(text.as_bytes()) {
        Some(t) => ev.timestamp = t,
        None => return Err(ParseError::expected(P, "TIMESTAMP", 0)),
    }
    set_host(ev, "destination.ip", "destination.domain", f[2]);
    ev.set(key!("http.request.method"), f[3]);
    if n < IIS_FIELDS {
        return Err(ParseError::expected(
            P,
            "the 15 fields of IIS's default #Fields",
            text.len(),
        ));
    }
    if let Some(s) = surplus {
        return Err(ParseError::expected(
            P,
            "the end of IIS's default #Fields",
            offset(text, s),
        ));
    }

    let field = |i: usize, what: &'static str| ParseError::expected(P, what, offset(text, f[i]));
    let query = (!absent(f[5])).then_some(f[5]);
    if !absent(f[4]) {
        set_target(ev, f[4], query);
    } else if let Some(q) = query {
        ev.set(key!("url.query"), q);
    }
    match f[6].parse::<u16>() {
        Ok(p) if digits(f[6]).is_some() => ev.set(key!("destination.port"), i64::from(p)),
        _ => return Err(field(6, "s-port")),
    }
    if !absent(f[7]) {
        ev.set(key!("user.name"), f[7]);
    }
    set_host(ev, "source.ip", "source.domain", f[8]);
    if !absent(f[9]) {
        // W3C writes the spaces of a header value as `+`.
        ev.set(key!("user_agent.original"), f[9].replace('+', " "));
    }
    if !absent(f[10]) {
        ev.set(key!("http.request.referrer"), f[10]);
    }
    match status_code(f[11]) {
        Some(s) => set_status(ev, s),
        None => return Err(field(11, "sc-status")),
    }
    match digits(f[12]) {
        Some(s) => ev.set(key!("iis.sub_status"), s),
        None => return Err(field(12, "sc-substatus")),
    }
    match digits(f[13]) {
        Some(s) => ev.set(key!("iis.win32_status"), s),
        None => return Err(field(13, "sc-win32-status")),
    }
    match digits(f[14]).and_then(|ms| ms.checked_mul(1_000_000)) {
        Some(ns) => ev.set(key!("event.duration"), ns),
        None => return Err(field(14, "time-taken")),
    }
    Ok(())
}

/// `yyyy-mm-dd hh:mm:ss` at the start of `b`, in UTC.
fn iis_time(b: &[u8]) -> Option<OffsetDateTime> {
    if !shape(b, IIS_TIME) {
        return None;
    }
    let month = Month::try_from(num(b.get(5..7)?) as u8).ok()?;
    let date =
        Date::from_calendar_date(num(b.get(0..4)?) as i32, month, num(b.get(8..10)?) as u8).ok()?;
    let time = Time::from_hms(
        num(b.get(11..13)?) as u8,
        num(b.get(14..16)?) as u8,
        num(b.get(17..19)?) as u8,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use vedette_model::{FieldValue, Origin};

    #[test]
    fn iis_native_lines() {
        let line = "10.0.0.9, -, 2/29/2028, 08:00:01, W3SVC1, WEB1, 10.0.0.1, 5, 100, 200, 500, 0, POST, /a.aspx, -,";
        assert!(detect(line));
        assert!(!detect("10.0.0.9, -, 2/30/2027, 08:00:01, W3SVC1"));
        assert!(!detect("alice, -, 2/1/2027, 08:00:01, W3SVC1"));
        let mut ev = event(None);
        assert_eq!(parse(line, &mut ev), Ok(()));
        assert_eq!(ev.get_str("url.path"), Some("/a.aspx"));
        assert_eq!(
            ev.get("http.response.status_code"),
            Some(&FieldValue::Int(500))
        );
        // Cut short: what came before the cut is kept.
        let mut ev = event(None);
        let r = parse("10.0.0.9, bob, 2/1/2027, 08:00:01, W3SVC1, WEB1", &mut ev);
        assert!(r.is_err());
        assert_eq!(ev.get_str("user.name"), Some("bob"));
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.9"));
    }

    fn event(process: Option<&str>) -> Event {
        let mut ev = Event::raw(
            1,
            datetime!(2026-11-25 03:00:00 UTC),
            Origin::new("test", None),
            b"",
        );
        if let Some(p) = process {
            ev.set(key!("process.name"), p);
        }
        ev
    }

    fn run(text: &str) -> (Event, Result<(), ParseError>) {
        let mut ev = event(None);
        assert!(detect(text), "not detected: {text}");
        let r = parse(text, &mut ev);
        (ev, r)
    }

    fn int(ev: &Event, k: &str) -> Option<i64> {
        match ev.get(k) {
            Some(FieldValue::Int(i)) => Some(*i),
            _ => None,
        }
    }

    #[test]
    fn apache_combined() {
        let (ev, r) = run(
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?a=1&b=2 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2000-10-10 20:55:36 UTC));
        assert_eq!(ev.get_str("source.ip"), Some("127.0.0.1"));
        assert_eq!(ev.get_str("user.name"), Some("frank"));
        assert_eq!(ev.get_str("http.request.method"), Some("GET"));
        assert_eq!(ev.get_str("url.original"), Some("/apache_pb.gif?a=1&b=2"));
        assert_eq!(ev.get_str("url.path"), Some("/apache_pb.gif"));
        assert_eq!(ev.get_str("url.query"), Some("a=1&b=2"));
        assert_eq!(ev.get_str("http.version"), Some("1.0"));
        assert_eq!(int(&ev, "http.response.status_code"), Some(200));
        assert_eq!(int(&ev, "http.response.body.bytes"), Some(2326));
        assert_eq!(
            ev.get_str("http.request.referrer"),
            Some("http://www.example.com/start.html")
        );
        assert_eq!(
            ev.get_str("user_agent.original"),
            Some("Mozilla/4.08 [en] (Win98; I ;Nav)")
        );
        assert_eq!(ev.get_str("event.outcome"), Some("success"));
        assert_eq!(ev.get_str("event.category"), Some("web"));
        assert_eq!(ev.get("http.access.extra"), None);
        assert_eq!(ev.logsource, LogSource::new(None, Some("webserver"), &[]));
    }

    #[test]
    fn a_list_of_forwarded_addresses_first() {
        let (ev, r) = run(
            r#"203.0.113.9, 10.0.0.1, 127.0.0.1 - - [07/Dec/2026:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "curl/8.5.0""#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("source.ip"), Some("203.0.113.9"));
        assert_eq!(
            ev.get_str("http.access.remote_ip_list"),
            Some("203.0.113.9, 10.0.0.1, 127.0.0.1")
        );
        assert_eq!(int(&ev, "http.response.status_code"), Some(200));
        // With a virtual host first.
        let (ev, r) = run(
            r#"www.example.org:443 203.0.113.9, 10.0.0.1 - bob [07/Dec/2026:11:05:07 +0100] "GET / HTTP/1.1" 200 5"#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("destination.domain"), Some("www.example.org"));
        assert_eq!(ev.get_str("source.ip"), Some("203.0.113.9"));
        assert_eq!(ev.get_str("user.name"), Some("bob"));
        // Words with commas are no list of addresses in a sentence.
        assert!(!detect(
            "one, two, three four five [07/Dec/2026:11:05:07 +0100] \"x"
        ));
    }

    #[test]
    fn common_with_missing_size_and_vhost() {
        let (ev, r) = run(
            r#"www.example.com:443 2001:db8::7 - - [25/Nov/2026:10:00:00 +0700] "HEAD / HTTP/1.1" 304 -"#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(ev.get_str("destination.domain"), Some("www.example.com"));
        assert_eq!(int(&ev, "destination.port"), Some(443));
        assert_eq!(ev.get_str("source.ip"), Some("2001:db8::7"));
        assert_eq!(ev.get("user.name"), None);
        assert_eq!(ev.get("http.response.body.bytes"), None);
        assert_eq!(ev.get_str("url.path"), Some("/"));
        assert_eq!(ev.get("url.query"), None);
    }

    #[test]
    fn nginx_extras_and_product() {
        let text = r#"203.0.113.9 - - [25/Nov/2026:10:00:00 +0000] "POST /login HTTP/2.0" 401 15 "-" "curl/8.5.0" "198.51.100.1, 10.0.0.2" 0.004"#;
        let mut ev = event(Some("nginx"));
        assert_eq!(parse(text, &mut ev), Ok(()));
        assert_eq!(ev.get("http.request.referrer"), None);
        assert_eq!(ev.get_str("user_agent.original"), Some("curl/8.5.0"));
        assert_eq!(
            ev.get_str("http.access.extra"),
            Some(r#""198.51.100.1, 10.0.0.2" 0.004"#)
        );
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        assert_eq!(ev.logsource.product.as_deref(), Some("nginx"));
        let mut ev = event(Some("httpd"));
        assert_eq!(parse(text, &mut ev), Ok(()));
        assert_eq!(ev.logsource.product.as_deref(), Some("apache"));
    }

    #[test]
    fn invalid_requests_are_not_errors() {
        let (ev, r) = run(
            r#"198.51.100.7 - - [25/Nov/2026:10:00:00 +0700] "\x16\x03\x01\x00\xa5\x01" 400 157 "-" "-""#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(
            ev.get_str("http.request.line"),
            Some(r"\x16\x03\x01\x00\xa5\x01")
        );
        assert_eq!(ev.get("url.original"), None);
        assert_eq!(ev.get("http.request.method"), None);
        assert_eq!(ev.get("user_agent.original"), None);
        let (ev, r) = run(r#"198.51.100.7 - - [25/Nov/2026:10:00:00 +0700] "-" 408 0 "-" "-""#);
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get("http.request.line"), None);
        assert_eq!(int(&ev, "http.response.status_code"), Some(408));
    }

    #[test]
    fn escaped_quotes() {
        let (ev, r) = run(
            r#"crawler.example.net - - [25/Nov/2026:10:00:00 +0700] "GET /a\"b\\c HTTP/1.1" 404 0 "-" "x\" y""#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("source.domain"), Some("crawler.example.net"));
        assert_eq!(ev.get_str("url.original"), Some(r#"/a"b\c"#));
        assert_eq!(ev.get_str("user_agent.original"), Some(r#"x" y"#));
        // An unescaped quote (old servers) does not end the field early.
        let (ev, r) = run(r#"10.0.0.1 - - [25/Nov/2026:10:00:00 +0700] "GET /"x HTTP/1.1" 404 0"#);
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("url.original"), Some(r#"/"x"#));
    }

    #[test]
    fn broken_lines_keep_what_parsed() {
        let (ev, r) = run(r#"10.0.0.1 - bob [25/Nov/2026:10:00:00 +0700] "GET / HTTP/1.1" abc 12"#);
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("web: expected STATUS at byte 61".into())
        );
        assert_eq!(ev.get_str("user.name"), Some("bob"));
        assert_eq!(ev.get_str("url.original"), Some("/"));
        let (_, r) = run(r#"10.0.0.1 - - [25/Nov/2026:10:00:00 +0700] "GET / HTTP/1.1"#);
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("web: expected '\"' closing the request at byte 57".into())
        );
        let (ev, r) = run(r#"10.0.0.1 - - [31/Feb/2026:10:00:00 +0700] "GET / HTTP/1.1" 200 1"#);
        assert_eq!(r, Err(ParseError::expected(P, "TIMESTAMP", 14)));
        assert_eq!(ev.get_str("source.ip"), Some("10.0.0.1"));
        let (_, r) =
            run(r#"10.0.0.1 - - [25/Nov/2026:10:00:00 +0700] "GET / HTTP/1.1" 200 1 "ref"#);
        assert_eq!(
            r,
            Err(ParseError::expected(P, "'\"' closing the referrer", 69))
        );
    }

    #[test]
    fn iis_default_fields() {
        let (ev, r) = run("2026-11-25 03:00:00 192.0.2.10 GET /owa/auth/logon.aspx replaceCurrent=1 443 CONTOSO\\alice 198.51.100.23 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) https://mail.example.com/ 200 0 0 187");
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        assert_eq!(ev.get_str("destination.ip"), Some("192.0.2.10"));
        assert_eq!(int(&ev, "destination.port"), Some(443));
        assert_eq!(
            ev.get_str("url.original"),
            Some("/owa/auth/logon.aspx?replaceCurrent=1")
        );
        assert_eq!(ev.get_str("url.path"), Some("/owa/auth/logon.aspx"));
        assert_eq!(ev.get_str("user.name"), Some("CONTOSO\\alice"));
        assert_eq!(ev.get_str("source.ip"), Some("198.51.100.23"));
        assert_eq!(
            ev.get_str("user_agent.original"),
            Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
        );
        assert_eq!(int(&ev, "iis.sub_status"), Some(0));
        assert_eq!(int(&ev, "event.duration"), Some(187_000_000));
        assert_eq!(ev.get_str("observer.product"), Some("IIS"));
    }

    #[test]
    fn iis_other_field_orders_are_errors() {
        let text = "2026-11-25 03:00:00 192.0.2.10 GET / - 80 - 198.51.100.23 HTTP/1.1 - - 200 0 0 15 extra";
        let (ev, r) = run(text);
        assert_eq!(
            r,
            Err(ParseError::expected(
                P,
                "the end of IIS's default #Fields",
                text.len() - 8
            ))
        );
        assert_eq!(ev.get_str("http.request.method"), Some("GET"));
        assert_eq!(ev.get("source.ip"), None);
        let (_, r) =
            run("2026-11-25 03:00:00 192.0.2.10 GET / - http - 198.51.100.23 - - 200 0 0 15");
        assert_eq!(r, Err(ParseError::expected(P, "s-port", 39)));
    }

    #[test]
    fn detect_is_specific() {
        for text in [
            "",
            "hello world",
            "#Fields: date time s-ip cs-method cs-uri-stem",
            "#Software: Microsoft Internet Information Services 10.0",
            "Accepted publickey for alice from 203.0.113.9 port 50022 ssh2",
            "[Wed Nov 25 10:00:00.123 2026] [core:error] [pid 1] AH00126: Invalid URI",
            "a b c d e [25/Nov/2026:10:00:00 +0700] \"GET / HTTP/1.1\" 200 1",
            "a - - [25/Nov/2026:10:00:00 +0700] GET",
            "a - - [25/Nov/2026:10:00 +0700] \"GET / HTTP/1.1\" 200 1",
            "2026-11-25 03:00:00 not-an-ip GET / - 80",
            "2026-11-25 03:00:00 192.0.2.1 FROB / - 80",
            "2026-11-25 03:00:00 host app: message",
        ] {
            assert!(!detect(text), "claimed: {text}");
        }
        assert!(detect(
            "::1 - - [25/Nov/2026:10:00:00 +0700] \"GET / HTTP/1.1\" 200 1"
        ));
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let mut ev = event(None);
        for text in [
            "a - - [25/Nov/2026:10:00:00 +0700] \"",
            "a - - [25/Nov/2026:10:00:00 +0700] \"\\",
            "a - - [25/Nov/2026:10:00:00 +0700] \"x\\\"",
            "a - - [25/Xyz/2026:99:99:99 +9999] \"GET / HTTP/1.1\" 200",
            "a - - [25/Nov/2026:10:00:00 +0700] \"GET / HTTP/1.1\" 200 99999999999999999999",
            "a - - [25/Nov/2026:10:00:00 +0700] \"é\" 200 1 \"é\\",
            "2026-11-25 03:00:00 ::1 GET",
            "2026-13-45 03:00:00 ::1 GET / - 1 - - - - 200 0 0 99999999999999999",
        ] {
            let _ = parse(text, &mut ev);
        }
        let _ = parse("x", &mut ev);
    }
}
