//! Parsers that turn one framed log record into a normalized
//! [`Event`].
//!
//! ```
//! use time::macros::datetime;
//! use vedette_model::Origin;
//! use vedette_parsers::{Parser, ParserConfig};
//!
//! let parser = Parser::new(ParserConfig::default()); // zone-less times are +07:00
//! let line = b"<38>Nov 25 10:00:00 web1 sshd[4242]: Accepted publickey for alice from 203.0.113.9 port 50022 ssh2\n";
//! let received = datetime!(2026-11-25 03:00:01 UTC);
//! let ev = parser.parse(1, received, Origin::new("syslog-udp", None), line);
//!
//! assert_eq!(ev.error, None);
//! assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00 UTC));
//! assert_eq!(ev.get_str("host.name"), Some("web1"));
//! assert_eq!(ev.get_str("event.action"), Some("ssh_login"));
//! assert_eq!(ev.get_str("event.outcome"), Some("success"));
//! assert_eq!(ev.get_str("user.name"), Some("alice"));
//! assert_eq!(ev.get_str("source.ip"), Some("203.0.113.9"));
//! assert!(ev.logsource.admits(Some("linux"), None, Some("sshd")));
//!
//! // What does not parse is kept, with the reason.
//! let ev = parser.parse(2, received, Origin::new("syslog-udp", None), b"<165>1 yesterday host - - - -");
//! assert_eq!(ev.error.as_deref(), Some("rfc5424: expected TIMESTAMP at byte 7"));
//! assert_eq!(ev.original, "<165>1 yesterday host - - - -");
//! ```
//!
//! # Formats
//!
//! The format is chosen per record:
//!
//! - **RFC 5424**: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`,
//!   structured data included.
//! - **RFC 3164** (BSD syslog) and its real-world variants: optional PRI,
//!   `Mmm dd hh:mm:ss` (the year inferred from the receive time) or an RFC
//!   3339 timestamp, optional HOSTNAME, optional `TAG[PID]:`. Without PRI
//!   this is the format of `/var/log/auth.log`, traditional or rsyslog's
//!   high-precision one.
//! - Anything else is kept as a raw event whose `error` tells which parser
//!   gave up, what it expected and at which byte.
//!
//! Records from sshd, sudo, su, PAM and shadow-utils are then normalized
//! into ECS fields (`event.action`, `event.outcome`, `user.name`,
//! `source.ip`, ...), and every syslog record gets its Sigma log source from
//! [`LogSourceMap`] (the file `parsers/logsources.toml`).
//!
//! Windows event log files (`.evtx`) are read by [`evtx`]: each record
//! becomes the JSON a forwarder would send and goes through
//! [`Parser::parse`] like any live record.
#![deny(missing_docs)]

mod auth;
mod error;
pub mod evtx;
mod formats;
pub mod framing;
mod logsource;
mod rfc3164;
mod rfc5424;
mod sources;
mod state;
mod syslog;
mod timestamp;

use time::{OffsetDateTime, UtcOffset};
// `key!` for field names written in the code, in every module.
#[macro_use]
extern crate vedette_model;
use vedette_model::{Event, FieldValue, Origin, Text};

pub use error::ParseError;
pub use framing::{AuditJoiner, Framed, Framer, ModsecFramer};
pub use sources::{format_names, Cidr, SourceError, SourceRule};
pub use state::MAX_SOURCES;

pub use logsource::{
    syslog_logsource, Category, Channel, LogSourceMap, LogSourceMapError, Program,
};
use sources::Forced;

use syslog::{Cursor, Parsed, BOM};

thread_local! {
    /// How many fields the last record parsed on this thread ended with
    /// (see [`AUTO_ROOM`]).
    static LAST_FIELDS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };

    /// The zone of zone-less times for the record being parsed on this
    /// thread: `ParserConfig::default_offset`, set by `Parser::parse` so
    /// that device formats deep in their helpers read the configured zone.
    static DEFAULT_OFFSET: std::cell::Cell<UtcOffset> =
        const { std::cell::Cell::new(time::macros::offset!(+7)) };
}

/// The configured zone for times that carry none (see [`ParserConfig`]).
pub(crate) fn default_offset() -> UtcOffset {
    DEFAULT_OFFSET.with(std::cell::Cell::get)
}

/// How to read records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParserConfig {
    /// The zone of timestamps that carry none (BSD syslog, zone-less ISO).
    /// Defaults to +07:00 (Asia/Ho_Chi_Minh, which has no daylight saving
    /// time).
    pub default_offset: UtcOffset,
    /// Per-source rules, first match wins: a fixed format, the owning
    /// organization (`organization.id`).
    pub sources: Vec<SourceRule>,
    /// The Sigma log sources of Windows channels and event ids and of
    /// syslog programs (the built-in mapping unless an operator's file
    /// extends it).
    pub logsources: std::sync::Arc<LogSourceMap>,
}

impl Default for ParserConfig {
    fn default() -> Self {
        ParserConfig {
            default_offset: time::macros::offset!(+7),
            sources: Vec::new(),
            logsources: LogSourceMap::builtin(),
        }
    }
}

/// Parses records into events: `Send + Sync`, cheap to clone.
///
/// Its configuration is immutable. The one state it keeps between records
/// is per source (see [`MAX_SOURCES`]): the layout a W3C/IIS log declared
/// with `#Fields:`, which applies to that source's following lines. Clones
/// share it; [`Parser::fresh`] makes a parser without it. Records of one
/// source must therefore be parsed in order when one of them may change it
/// ([`changes_state`]).
#[derive(Debug, Clone, Default)]
pub struct Parser {
    cfg: ParserConfig,
    states: std::sync::Arc<state::States>,
}

/// Whether the record `bytes` may change the state a [`Parser`] keeps for
/// its source (a W3C `#Fields:` or `#Date:` directive): a caller that
/// parses records in parallel parses such a record, and the ones after it,
/// in order. Cheap (a substring search).
pub fn changes_state(bytes: &[u8]) -> bool {
    formats::w3c::changes_state(bytes)
}

/// Fields reserved for a record of a source fixed to plain syslog: the
/// header's (about ten) and most of Linux auth's.
const SYSLOG_ROOM: usize = 16;
/// Fields reserved at least for a record whose format is detected: as for
/// plain syslog. A thread that has just parsed a larger record reserves
/// half as many again as it had (above a format's usual count), so that a
/// source sending one large format does not grow the map once per record.
/// (32 cost plain syslog 1.5 % more instructions and saved no device
/// format anything measurable: their records size the next ones.)
const AUTO_ROOM: usize = SYSLOG_ROOM;
/// At most this many fields are reserved after a large record (a hostile
/// one may have a thousand).
const MAX_ROOM: usize = 256;

impl Parser {
    /// A parser for `cfg`.
    pub fn new(cfg: ParserConfig) -> Self {
        Parser {
            cfg,
            states: Default::default(),
        }
    }

    /// A parser with the same configuration and no per-source state (for a
    /// worker that parses one file's lines on its own).
    pub fn fresh(&self) -> Parser {
        Parser::new(self.cfg.clone())
    }

    /// The configuration.
    pub fn config(&self) -> &ParserConfig {
        &self.cfg
    }

    /// Parses one record (a frame's bytes) into an event. Never fails and
    /// never panics: what does not parse is kept raw, with the reason in
    /// `error`, and a partly understood record keeps what was understood.
    ///
    /// `event.original` is `bytes` lossily decoded as UTF-8. A byte order
    /// mark at the start and trailing `\n`, `\r` and NUL are ignored.
    pub fn parse(&self, seq: u64, received: OffsetDateTime, origin: Origin, bytes: &[u8]) -> Event {
        let ev = self.parse_record_bytes(seq, received, origin, bytes);
        LAST_FIELDS.with(|c| c.set(ev.fields.len()));
        ev
    }

    fn parse_record_bytes(
        &self,
        seq: u64,
        received: OffsetDateTime,
        origin: Origin,
        bytes: &[u8],
    ) -> Event {
        DEFAULT_OFFSET.with(|c| c.set(self.cfg.default_offset));
        logsource::set_current(&self.cfg.logsources);
        // Rules that need no host name decide before parsing.
        let pre = self
            .cfg
            .sources
            .iter()
            .find(|r| !r.needs_host() && r.matches(&origin, None));
        let forced = pre.and_then(SourceRule::forced);
        // Room for the fields a record ends with, so that the map is sized
        // once: the fixed format's usual count, else what the last record
        // on this thread needed (see `AUTO_ROOM`).
        let room = match forced {
            Some(Forced::Format(fixed)) => fixed.fields(),
            Some(Forced::Syslog) => SYSLOG_ROOM,
            None => {
                let last = LAST_FIELDS.with(std::cell::Cell::get);
                last.saturating_add(last / 2).clamp(AUTO_ROOM, MAX_ROOM)
            }
        };
        let mut ev = Event::raw_with_room(seq, received, origin, bytes, room);
        let original = std::mem::take(&mut ev.original);
        let trimmed = original.trim_end_matches(['\n', '\r', '\0']);
        let (record, base) = match trimmed.strip_prefix(BOM) {
            Some(r) => (r, BOM.len_utf8()),
            None => (trimmed, 0),
        };

        // A bare line in a device format (CEF, an access log, ...), sent
        // without a syslog header. Lines that start like syslog go to the
        // syslog parser first, except the `yyyy-mm-dd hh:mm:ss` of W3C logs.
        // The timestamp a PRI-less record starts with, read once here for
        // the syslog parser below.
        let leading = (!record.starts_with('<'))
            .then(|| rfc3164::leading(record))
            .flatten();
        if !record.starts_with('<') && (leading.is_none() || starts_with_w3c_time(record)) {
            set_message(&mut ev, record);
            // A bare line that starts like a JSON object is JSON even when
            // cut short: its error then says where the JSON broke.
            let claimed = self
                .device_format(forced, record, base, &mut ev)
                .or_else(|| {
                    (forced.is_none() && record.starts_with("{\""))
                        .then(|| formats::JSON.apply(record, base, &mut ev))
                });
            if let Some(r) = claimed {
                if let Err(e) = r {
                    ev.error = Some(e.to_string());
                }
                set_organization(&mut ev, pre);
                ev.original = original;
                return ev;
            }
        }

        let mut parsed = Parsed::default();
        let mut result = self.parse_record(&mut ev, record, base, &mut parsed, forced, leading);
        if parsed.relayed {
            syslog::host_is_relay(&mut ev);
        }
        // Rules by host name decide once the header named the host.
        // (The host name is looked up only when a rule needs it.)
        let rule = pre.or_else(|| {
            self.cfg
                .sources
                .iter()
                .find(|r| r.needs_host() && r.matches(&ev.origin, ev.get_str("host.name")))
        });
        let forced = rule.and_then(SourceRule::forced);
        if parsed.syslog && !parsed.formatted {
            ev.logsource = self.cfg.logsources.syslog(parsed.program);
        }
        match parsed.message.filter(|m| !m.is_empty()) {
            // The format set `message` itself.
            _ if parsed.formatted => {}
            Some(msg) => set_message(&mut ev, msg),
            None if parsed.syslog && result.is_ok() => {
                // A record without MSG: `Event::message` falls back to
                // `original`.
                ev.fields.remove("message");
            }
            None => set_message(&mut ev, record),
        }
        let auth = parsed
            .program
            .zip(parsed.message)
            .and_then(|(program, msg)| auth::normalize(program, msg));
        // Kaspersky Security Center's structured data says what the record
        // is, whatever its description (MSG) looks like (looked for once).
        let ksc = (parsed.structured_data && !matches!(forced, Some(Forced::Syslog)))
            .then(|| formats::kaspersky::sd_prefix(&ev))
            .flatten();
        let ksc_claims = forced.is_none() && ksc.is_some();
        match (auth, parsed.message) {
            (Some(auth), _) => auth.apply(&mut ev),
            // The MSG of a syslog record may be in a device format.
            (None, Some(msg)) if !parsed.formatted && !ksc_claims => {
                let base = offset_in(&original, msg);
                if let Some(Err(e)) = self.device_format(forced, msg, base, &mut ev) {
                    if result.is_ok() {
                        result = Err(e);
                    }
                }
            }
            // No MSG, only structured data (Junos `structured-data brief`):
            // the MSGID (`RT_FLOW_SESSION_CREATE`) tells the format, whose
            // parser reads the structured data.
            (None, None)
                if parsed.structured_data
                    && !parsed.formatted
                    && !ksc_claims
                    && !matches!(forced, Some(Forced::Format(f)) if f.name() != "juniper") =>
            {
                if let Some(id) = ev.get_str("log.syslog.msgid").map(Text::from) {
                    // Where the MSGID is in the record, for error offsets.
                    let base = original.find(&*id).unwrap_or(0);
                    if let Some(Err(e)) = self.device_format(forced, &id, base, &mut ev) {
                        if result.is_ok() {
                            result = Err(e);
                        }
                    }
                }
            }
            _ => {}
        }
        // Kaspersky Security Center's export: the structured data says it.
        if let Some(prefix) = ksc.filter(|_| ev.get("event.module").is_none()) {
            formats::kaspersky::map(&mut ev, prefix, parsed.message);
        }
        if let Err(e) = result {
            ev.error = Some(e.to_string());
        }
        set_organization(&mut ev, rule);
        ev.original = original;
        ev
    }

    fn parse_record<'a>(
        &self,
        ev: &mut Event,
        record: &'a str,
        base: usize,
        parsed: &mut Parsed<'a>,
        forced: Option<&Forced>,
        leading: Option<rfc3164::Leading>,
    ) -> Result<(), ParseError> {
        if record.is_empty() {
            return Err(ParseError::Empty { parser: "syslog" });
        }
        let mut cur = Cursor::new(record, base);
        if !record.starts_with('<') {
            // RFC 5424 without its PRI (files, relays that drop it).
            return match rfc5424::headerless(record) {
                Some(true) => {
                    parsed.syslog = true;
                    rfc5424::parse(ev, &mut cur, parsed, self.cfg.default_offset)
                }
                Some(false) => {
                    parsed.syslog = true;
                    rfc5424::parse_after_version(ev, &mut cur, parsed, self.cfg.default_offset)
                }
                None => rfc3164::parse(
                    ev,
                    &mut cur,
                    parsed,
                    false,
                    self.cfg.default_offset,
                    leading,
                ),
            };
        }
        let (rest, pri) =
            syslog::pri(record).map_err(|_| ParseError::expected("syslog", "PRI", base))?;
        parsed.syslog = true;
        syslog::set_pri(ev, pri);
        cur.advance_to(rest);
        // Kiwi Syslog Server, forwarding with "add original address":
        // `<PRI>Original Address=10.0.0.1 <the record as it arrived>`.
        let rest = match rest.strip_prefix("Original Address=") {
            Some(r) => {
                parsed.relayed = true;
                kiwi_original(ev, &mut cur, r)
            }
            None => rest,
        };
        if rfc5424::version(rest).is_ok() {
            return rfc5424::parse(ev, &mut cur, parsed, self.cfg.default_offset);
        }
        let leading = rfc3164::leading(rest);
        if let Some((r, body)) = leading
            .is_none()
            .then(|| {
                // SonicWall sends `<134>  id=firewall ...`: spaces first.
                let body = rest.trim_start_matches(' ');
                let at = cur.offset() + (rest.len() - body.len());
                set_message(ev, body);
                Some((self.device_format(forced, body, at, ev)?, body))
            })
            .flatten()
        {
            // Devices that send a format right after the PRI, with no
            // timestamp or host (FortiGate `<189>date=...`, `<166>%ASA-...`).
            parsed.formatted = true;
            parsed.message = Some(body);
            r
        } else {
            rfc3164::parse(ev, &mut cur, parsed, true, self.cfg.default_offset, leading)
        }
    }

    /// The device format of `text`: the source's fixed one, none for a
    /// source fixed to plain syslog, else whichever format recognizes it.
    /// W3C directives and the lines of a source that declared its W3C
    /// layout come first (for `auto` and `web`).
    fn device_format(
        &self,
        forced: Option<&Forced>,
        text: &str,
        base: usize,
        ev: &mut Event,
    ) -> Option<Result<(), ParseError>> {
        let web = match forced {
            None => true,
            Some(Forced::Syslog) => return None,
            Some(Forced::Format(fixed)) => fixed.name() == "web",
        };
        if web {
            if let Some(r) = self.w3c(text, forced.is_some(), ev) {
                ev.set(key!("event.module"), "web");
                return Some(r.map_err(|e| e.shifted(base)));
            }
        }
        match forced {
            Some(Forced::Format(fixed)) => Some(fixed.apply(text, base, ev)),
            _ => formats::apply(text, base, ev),
        }
    }

    /// A W3C directive (which may change the source's layout), or a line of
    /// a source that declared its layout; `None` for anything else. A line
    /// of such a source that does not fit its layout but starts like its
    /// lines (or any line, with `forced`) is read in it anyway, with an
    /// error.
    fn w3c(&self, text: &str, forced: bool, ev: &mut Event) -> Option<Result<(), ParseError>> {
        use formats::w3c;
        if text.starts_with('#') {
            let d = w3c::directive(text)?;
            let key = state::SourceKey::of(ev);
            return Some(
                self.states
                    .update(key, |st| w3c::apply_directive(d, text, st, ev)),
            );
        }
        if self.states.is_empty() {
            return None;
        }
        let st = self.states.get(state::SourceKey::of(ev))?;
        let fields = st.fields?;
        if !forced && !w3c::fits(text, &fields) && !w3c::starts_like(text, &fields) {
            return None;
        }
        Some(w3c::line(text, &fields, st.date, ev))
    }
}

fn set_organization(ev: &mut Event, rule: Option<&SourceRule>) {
    if let Some(org) = rule.and_then(SourceRule::organization) {
        ev.set(key!("organization.id"), org);
    }
}

/// `yyyy-mm-dd hh:mm:ss` (a space, not RFC 3339's `T`): W3C/IIS logs.
fn starts_with_w3c_time(s: &str) -> bool {
    formats::shape(s.as_bytes(), b"dddd-dd-dd dd:dd:dd")
}

/// Reads Kiwi's original address (the device that sent the record) into
/// `host.ip` and moves the cursor past it; what follows.
#[cold]
#[inline(never)]
fn kiwi_original<'a>(ev: &mut Event, cur: &mut Cursor<'a>, r: &'a str) -> &'a str {
    let (addr, rest) = r.split_once(' ').unwrap_or((r, ""));
    if addr.parse::<std::net::IpAddr>().is_ok() {
        ev.set(key!("host.ip"), addr);
    }
    cur.advance_to(rest);
    rest
}

/// Where `inner`, a slice of `outer`, starts in it.
fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

/// Sets `message`, reusing the buffer `Event::raw` filled with a copy of
/// the whole record (always at least as long).
fn set_message(ev: &mut Event, msg: &str) {
    match ev.fields.get_mut("message") {
        Some(FieldValue::Str(m)) => {
            m.clear();
            m.push_str(msg);
        }
        _ => ev.set(key!("message"), msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn parse(line: &str) -> Event {
        Parser::default().parse(
            1,
            datetime!(2026-11-25 03:00:00 UTC),
            Origin::new("test", None),
            line.as_bytes(),
        )
    }

    #[test]
    fn source_rules_fix_the_format_and_the_organization() {
        let cfg = ParserConfig {
            sources: vec![
                SourceRule::new(
                    "hq-fw",
                    &["10.1.0.0/16"],
                    &[],
                    &[],
                    Some("fortigate"),
                    Some("so-tttt"),
                )
                .unwrap(),
                SourceRule::new("web", &[], &["web*"], &[], Some("syslog"), Some("ubnd-hue"))
                    .unwrap(),
            ],
            ..ParserConfig::default()
        };
        let p = Parser::new(cfg);
        let at = datetime!(2026-11-25 03:00:00 UTC);
        let from = |ip: &str| Origin::new("syslog-udp", Some(format!("{ip}:514").parse().unwrap()));
        // Too little for detection to call it FortiGate; the rule says it is.
        let line = b"<189>srcip=10.0.0.5 dstip=203.0.113.9 action=\"deny\"";
        let fixed = p.parse(1, at, from("10.1.2.3"), line);
        assert_eq!(fixed.get_str("event.module"), Some("fortigate"));
        assert_eq!(fixed.get_str("source.ip"), Some("10.0.0.5"));
        assert_eq!(fixed.get_str("organization.id"), Some("so-tttt"));
        let auto = p.parse(2, at, from("10.9.9.9"), line);
        assert_eq!(auto.get_str("source.ip"), None);
        assert_eq!(auto.get_str("organization.id"), None);
        // By host name: plain syslog, so the CEF text stays a message.
        let cef = "<134>Nov 25 10:00:00 web01 app: CEF:0|V|P|1|100|n|5|src=10.0.0.1";
        let ev = p.parse(3, at, from("10.9.9.9"), cef.as_bytes());
        assert_eq!(ev.get_str("event.module"), None);
        assert_eq!(ev.get_str("organization.id"), Some("ubnd-hue"));
        let other = p.parse(
            4,
            at,
            from("10.9.9.9"),
            cef.replace("web01", "db01").as_bytes(),
        );
        assert_eq!(other.get_str("event.module"), Some("cef"));
        assert_eq!(other.get_str("organization.id"), None);
    }

    #[test]
    fn device_formats_use_the_configured_zone() {
        let line =
            b"date=2026-11-25 time=10:00:00 logid=\"0000000013\" type=\"traffic\" srcip=10.0.0.5";
        let at = datetime!(2026-11-25 03:00:00 UTC);
        let default = Parser::default().parse(1, at, Origin::new("t", None), line);
        assert_eq!(default.timestamp, datetime!(2026-11-25 03:00:00 UTC));
        let utc = Parser::new(ParserConfig {
            default_offset: UtcOffset::UTC,
            ..ParserConfig::default()
        })
        .parse(1, at, Origin::new("t", None), line);
        assert_eq!(utc.timestamp, datetime!(2026-11-25 10:00:00 UTC));
    }

    #[test]
    fn w3c_fields_set_the_layout_per_source() {
        let p = Parser::default();
        let at = datetime!(2026-11-25 03:00:00 UTC);
        let from = |ip: &str| Origin::new("syslog-udp", Some(format!("{ip}:514").parse().unwrap()));
        let default_line =
            "2026-11-25 03:00:00 192.0.2.10 GET /a - 80 - 198.51.100.23 Mozilla/5.0 - 200 0 0 15";
        let custom = "2026-11-25 03:00:01 W3SVC1 198.51.100.23 GET /b q=1 404 1200";
        // Before any header: the default layout.
        let ev = p.parse(1, at, from("10.0.0.1"), default_line.as_bytes());
        assert_eq!(ev.error, None);
        assert_eq!(ev.get_str("url.path"), Some("/a"));
        let ev = p.parse(2, at, from("10.0.0.1"), b"#Fields: date time s-sitename c-ip cs-method cs-uri-stem cs-uri-query sc-status sc-bytes\r\n");
        assert_eq!(ev.error, None);
        assert_eq!(ev.get_str("event.action"), Some("w3c-fields"));
        assert_eq!(ev.get_str("event.module"), Some("web"));
        let other_port = Origin::new("syslog-udp", Some("10.0.0.1:5000".parse().unwrap()));
        let ev = p.parse(3, at, other_port, custom.as_bytes());
        assert_eq!(ev.error, None, "the port does not matter");
        assert_eq!(ev.get_str("iis.site_name"), Some("W3SVC1"));
        assert_eq!(ev.get_str("url.original"), Some("/b?q=1"));
        assert_eq!(ev.get("http.response.bytes"), Some(&FieldValue::Int(1200)));
        // Another sender still has the default layout.
        let ev = p.parse(4, at, from("10.0.0.2"), custom.as_bytes());
        assert_eq!(ev.get("iis.site_name"), None);
        // A line of the first source that does not fit its layout but
        // starts like its lines is read in it, with an error.
        let ev = p.parse(5, at, from("10.0.0.1"), default_line.as_bytes());
        assert_eq!(
            ev.error.as_deref(),
            Some("web: expected as many values as the #Fields directive names at byte 59")
        );
        // Anything else goes to the formats as before.
        let ev = p.parse(5, at, from("10.0.0.1"), b"CEF:0|V|P|1|100|n|5|src=10.0.0.1");
        assert_eq!(ev.get_str("event.module"), Some("cef"));
        // In a syslog MSG: the host name is part of the source.
        let ev = p.parse(
            6,
            at,
            from("10.0.0.3"),
            b"<134>Nov 25 10:00:00 web7 iis: #Fields: time c-ip cs-method cs-uri-stem sc-status",
        );
        assert_eq!(ev.get_str("w3c.directive"), Some("Fields"));
        let ev = p.parse(
            7,
            at,
            from("10.0.0.3"),
            b"<134>Nov 25 10:00:00 web7 iis: 03:00:02 198.51.100.9 POST /x 500",
        );
        assert_eq!(ev.error, None);
        assert_eq!(ev.get_str("source.ip"), Some("198.51.100.9"));
        assert_eq!(ev.get_str("host.name"), Some("web7"));
        let ev = p.parse(
            8,
            at,
            from("10.0.0.3"),
            b"<134>Nov 25 10:00:00 web8 iis: 03:00:02 198.51.100.9 POST /x 500",
        );
        assert_eq!(ev.get("source.ip"), None);
        // A fresh parser and a source fixed to plain syslog know nothing of it.
        let ev = p.fresh().parse(9, at, from("10.0.0.1"), custom.as_bytes());
        assert_eq!(ev.get("iis.site_name"), None);
        assert!(changes_state(b"#Fields: date"));
        assert!(!changes_state(b"2026-11-25 03:00:00 a b"));
    }

    #[test]
    fn send_sync() {
        fn assert<T: Send + Sync + Clone>() {}
        assert::<Parser>();
    }

    #[test]
    fn rfc5424_example() {
        let ev = parse("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed for lonvick on /dev/pts/8");
        assert_eq!(ev.error, None);
        assert_eq!(ev.timestamp, datetime!(2003-10-11 22:14:15.003 UTC));
        assert_eq!(
            ev.get_str("message"),
            Some("'su root' failed for lonvick on /dev/pts/8")
        );
        assert_eq!(ev.get_str("process.name"), Some("su"));
        assert_eq!(ev.get("log.syslog.version"), Some(&FieldValue::Int(1)));
        assert_eq!(ev.logsource.services, ["su", "auth", "syslog"]);
    }

    #[test]
    fn errors_carry_offsets() {
        let ev = parse("\u{feff}<34>1 2003-10-11T22:14:15.003Z host");
        assert_eq!(ev.error.as_deref(), Some("rfc5424: expected SP at byte 38"));
        assert_eq!(ev.timestamp, datetime!(2003-10-11 22:14:15.003 UTC));
        let ev = parse("<34>1 - host app - - [x a=\"b]");
        assert_eq!(
            ev.error.as_deref(),
            Some("rfc5424: expected '\"' closing PARAM-VALUE at byte 29")
        );
        assert_eq!(ev.get_str("process.name"), Some("app"));
        let ev = parse("hello world");
        assert_eq!(
            ev.error.as_deref(),
            Some("syslog: expected <PRI>, a BSD timestamp or an RFC 3339 timestamp at byte 0")
        );
        assert_eq!(ev.logsource, vedette_model::LogSource::default());
        assert_eq!(ev.get_str("message"), Some("hello world"));
        let ev = parse("<999>x");
        assert_eq!(ev.error.as_deref(), Some("syslog: expected PRI at byte 0"));
        let ev = parse("\n\r\0");
        assert_eq!(ev.error.as_deref(), Some("syslog: empty record"));
        assert_eq!(ev.original, "\n\r\0");
    }

    #[test]
    fn a_device_format_right_after_the_pri_may_follow_spaces() {
        // A SonicWall as it sends (splunk-connect-for-syslog issue 1367).
        let ev = parse(
            "<134>  id=firewall sn=C0EAE4000000 time=\"2022-05-06 16:10:06\" fw=192.168.255.6 \
             pri=6 c=1024 gcat=6 m=537 msg=\"Connection Closed\" src=192.168.24.228:56783:X4-V1032 \
             dst=67.43.156.12:53:X6 proto=udp/dns",
        );
        assert_eq!(ev.error, None);
        assert_eq!(ev.get_str("event.module"), Some("sonicwall"));
        assert_eq!(ev.get_str("source.ip"), Some("192.168.24.228"));
        assert_eq!(ev.get_str("log.syslog.facility.name"), Some("local0"));
        assert!(ev.get_str("message").unwrap().starts_with("id=firewall"));
        // Plain text after the PRI and spaces is still what it was.
        let ev = parse("<13>  Use the BFG!");
        assert_eq!(ev.get_str("message"), Some("  Use the BFG!"));
    }

    #[test]
    fn rfc5424_without_its_pri_is_read_as_5424() {
        // A Juniper SRX record kept in a file without PRI (araqne's tests).
        let ev = parse(
            "1 2014-03-19T06:15:38.899 IS_8F_DEV_FW_M RT_FLOW - RT_FLOW_SESSION_CREATE \
             [junos@2636.1.1.1.2.49 source-address=\"172.19.112.110\" source-port=\"45233\" \
             destination-address=\"10.10.100.39\" destination-port=\"10051\" protocol-id=\"6\" \
             policy-name=\"38\"]",
        );
        assert_eq!(ev.error, None);
        assert_eq!(ev.get_str("host.name"), Some("IS_8F_DEV_FW_M"));
        assert_eq!(ev.get_str("event.module"), Some("juniper"));
        assert_eq!(ev.get_str("source.ip"), Some("172.19.112.110"));
        assert_eq!(ev.get_str("event.action"), Some("session-create"));
        // The same with its PRI: structured data and no MSG.
        let ev = parse(
            "<14>1 2014-03-19T06:15:38.899 fw RT_FLOW - RT_FLOW_SESSION_DENY \
             [junos@2636.1.1.1.2.49 source-address=\"172.19.112.110\" source-port=\"45233\"]",
        );
        assert_eq!(ev.error, None);
        assert_eq!(ev.get_str("event.action"), Some("session-deny"));
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(45233)));
        // Kaspersky Security Center's export with PRI and VERSION taken
        // off by a relay.
        let ev = parse(
            "2023-03-23T20:06:52.000Z sup-08.aim7.local KES|11.0.0.0 - GNRL_EV_OBJECT_DELETED \
             [event@23668 p2=\"C:\\\\Users\\\\m\\\\eicar.com\" p5=\"EICAR-Test-File\" \
             et=\"GNRL_EV_OBJECT_DELETED\" hip=\"10.81.234.3\"] Result description: Deleted",
        );
        assert_eq!(ev.error, None);
        assert_eq!(ev.timestamp, datetime!(2023-03-23 20:06:52 UTC));
        assert_eq!(ev.get_str("event.module"), Some("kaspersky"));
        assert_eq!(ev.get_str("host.name"), Some("sup-08.aim7.local"));
    }

    #[test]
    fn a_relayed_rfc5424_record_keeps_its_own_header() {
        let ev = parse(
            "<14>Jun 16 06:54:17 relay-1 1 2015-06-16T03:54:16.446-07:00 test-fw-1 RT_FLOW - \
             RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.39 source-address=\"10.34.1.170\" \
             source-port=\"52650\" destination-address=\"10.43.2.83\" destination-port=\"80\"]",
        );
        assert_eq!(ev.error, None);
        assert_eq!(ev.timestamp, datetime!(2015-06-16 10:54:16.446 UTC));
        assert_eq!(ev.get_str("host.name"), Some("test-fw-1"));
        assert_eq!(ev.get_str("log.syslog.relay"), Some("relay-1"));
        assert_eq!(ev.get_str("event.module"), Some("juniper"));
        assert_eq!(ev.get_str("source.ip"), Some("10.34.1.170"));
        // A BSD message that merely starts with a digit stays one.
        let ev = parse("<14>Jun 16 06:54:17 host 1 apple a day");
        assert_eq!(ev.get_str("host.name"), Some("host"));
        assert_eq!(ev.get_str("message"), Some("1 apple a day"));
    }

    #[test]
    fn pri_without_timestamp_keeps_content() {
        let ev = parse("<13>Use the BFG!");
        assert_eq!(
            ev.error.as_deref(),
            Some("rfc3164: expected TIMESTAMP at byte 4")
        );
        assert_eq!(ev.get_str("message"), Some("Use the BFG!"));
        assert_eq!(ev.get_str("log.syslog.facility.name"), Some("user"));
        assert_eq!(ev.logsource.services, ["syslog"]);
    }

    #[test]
    fn huge_records_are_linear_and_safe() {
        let mb = 1 << 20;
        let mut line = String::from("<34>1 - host app - - [x");
        while line.len() < mb {
            line.push_str(" a=\"b\\\"c\"");
        }
        line.push_str("] tail");
        let ev = parse(&line);
        assert_eq!(ev.error, None);
        assert_eq!(ev.get_str("message"), Some("tail"));
        assert!(ev
            .get_str("log.syslog.structured_data.x.a")
            .is_some_and(|v| v.len() > mb / 4));

        let digits = format!("Nov 25 10:00:00.{} host app: x", "9".repeat(mb));
        let ev = parse(&digits);
        assert_eq!(ev.error, None);
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00.999999999 UTC));

        for filler in ["a", " ", "[", "<", "\0", ":", "\u{feff}"] {
            let ev = parse(&format!("<13>Nov 25 10:00:00 {}", filler.repeat(mb)));
            assert_eq!(ev.original.len(), 20 + filler.len() * mb);
        }
    }

    #[test]
    fn timestamp_must_end_at_a_space() {
        let ev = parse("Nov 25 10:00:00x host app: hi");
        assert!(ev.error.is_some());
        let ev = parse("<13>2026-11-25T10:00:00Zhost app: hi");
        assert_eq!(
            ev.error.as_deref(),
            Some("rfc3164: expected TIMESTAMP at byte 4")
        );
    }

    #[test]
    fn no_message_falls_back_to_original() {
        let ev = parse("<34>1 2003-10-11T22:14:15.003Z host app - - -");
        assert_eq!(ev.error, None);
        assert_eq!(ev.get("message"), None);
        assert_eq!(ev.message(), ev.original);
    }
}
