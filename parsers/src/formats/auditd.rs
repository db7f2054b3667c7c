//! Linux audit records (`/var/log/audit/audit.log`, audisp-syslog,
//! audisp-remote), one record per call:
//!
//! ```text
//! node=web1 type=SYSCALL msg=audit(1795575600.123:4567): arch=c000003e
//! syscall=59 success=yes exit=0 ... ppid=1000 pid=1234 auid=1000 uid=0 ...
//! comm="bash" exe="/usr/bin/bash" key="exec"
//! type=EXECVE msg=audit(1795575600.123:4567): argc=3 a0="ls" a1="-la" a2=2F746D70
//! type=USER_LOGIN msg=audit(1795575600.123:4568): pid=1 uid=0 auid=4294967295
//! ses=4294967295 msg='op=login acct="root" exe="/usr/sbin/sshd" hostname=?
//! addr=203.0.113.7 terminal=ssh res=failed'
//! ```
//!
//! Values are bare, double-quoted or (the inner `msg` of user-space records)
//! single-quoted; auditd never escapes inside quotes: a value that holds a
//! space, a quote or a control character is written as unquoted hex
//! instead, which is decoded back for the fields that may be encoded
//! (`proctitle`, `cmd`, `comm`, `exe`, `name`, `cwd`, EXECVE's `aN`, ...).
//! The "enriched" log format appends the interpreted values after a `0x1d`
//! byte (`UID="root" AUID="alice"`); they are kept too, under their
//! upper-case names.
//!
//! Every field is kept under `auditd.data.<key>` (decoded), the common ones
//! are mapped to ECS, and the native names Sigma's `service: auditd` rules
//! use (`type`, `key`, `exe`, `comm`, `a0`..., `syscall`, `name`, ...) are
//! also set at the top level.
//!
//! An audit *event* spans several records sharing one serial (SYSCALL,
//! EXECVE, CWD, PATH, PROCTITLE, ..., EOE). `framing::AuditJoiner` joins
//! their lines into one record (lines separated by `\n`, each may carry its
//! own syslog header); such a record is read here into one event:
//!
//! - the *primary* record (the SYSCALL, else the first) gives the event its
//!   time, `type`, `event.action`, process, user and outcome, and keeps its
//!   raw fields under `auditd.data.<key>`, as a lone record would;
//! - the others add what the primary lacks, their raw fields under
//!   `auditd.<type>.<key>` (`auditd.execve.a0`, `auditd.cwd.cwd`; PATH
//!   records by item: `auditd.path.1.name`), and set the native names
//!   Sigma's auditd rules read: `a0`..`aN` and `process.command_line` from
//!   EXECVE, `cwd`, `proctitle` (decoded), and `name`, `nametype`,
//!   `file.path` from the PATH record that is not a `PARENT` (else the
//!   first);
//! - `auditd.record_types` lists the records' types in order
//!   (`SYSCALL,EXECVE,CWD,PATH,PATH,PROCTITLE,EOE`), `auditd.records` counts
//!   them.
//!
//! One event has one `type`: a Sigma rule that selects `type: EXECVE` (or
//! `PATH`) does not match the joined event, whose `type` is `SYSCALL`; such
//! rules see the EXECVE's fields under their names all the same (`a0`...).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use time::OffsetDateTime;
use vedette_model::{Event, FieldValue, LogSource};

use super::fortigate::{set_ip, MAX_PAIRS, MAX_VALUE};
use crate::ParseError;

/// ` msg=audit(`, built once: a one-off `memmem::find` builds its searcher
/// per call, which cost more than the search on a header.
static MSG_AUDIT: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b" msg=audit("));

const P: &str = "auditd";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "auditd",
    fields: 40,
    first: |b| matches!(b, b't' | b'n'),
    open: |_| false,
    needs: b"",
    gate: None,
    detect,
    parse,
    claim: None,
};

/// How far into the record ` msg=audit(` must start (after `type=...`).
const HEADER_WINDOW: usize = 128;
/// A "key" longer than this is junk.
const MAX_KEY: usize = 64;
/// The unset login uid / session (`(uid_t)-1`).
const UNSET: &str = "4294967295";

/// Fields whose unquoted values are hex-encoded strings (EXECVE's `aN`
/// are handled apart: in SYSCALL records `a0`..`a3` are numbers).
const ENCODED: &[&str] = &[
    "proctitle",
    "cmd",
    "comm",
    "exe",
    "name",
    "path",
    "cwd",
    "data",
    "acct",
    "key",
    "ocomm",
    "dir",
    "file",
    "watch",
    "new",
    "old",
    "root_dir",
    "vm",
    "old-vm",
    "new-vm",
    "device",
    "sauid",
];

/// Raw fields also set at the top level under their native name, for
/// Sigma's `service: auditd` rules (besides `type`, `aN` and the
/// upper-case enriched fields).
const NATIVE: &[&str] = &[
    "key",
    "exe",
    "comm",
    "syscall",
    "success",
    "name",
    "nametype",
    "cwd",
    "proctitle",
    "cmd",
    "acct",
    "op",
    "res",
    "terminal",
    "uid",
    "euid",
    "auid",
    "tty",
    "saddr",
];

fn detect(text: &str) -> bool {
    header_start(text).is_some()
}

/// Where `type=` starts (after an optional `node=... `), when ` msg=audit(`
/// follows within [`HEADER_WINDOW`] bytes.
fn header_start(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let at = if b.starts_with(b"type=") {
        0
    } else if b.starts_with(b"node=") {
        let sp = memchr::memchr(b' ', b.get(..HEADER_WINDOW.min(b.len()))?)?;
        let t = sp + 1;
        b.get(t..)?.starts_with(b"type=").then_some(t)?
    } else {
        return None;
    };
    let window = b.get(at..(at + HEADER_WINDOW).min(b.len()))?;
    MSG_AUDIT.find(window).map(|_| at)
}

/// The header of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header<'a> {
    node: Option<&'a str>,
    kind: &'a str,
    /// `audit(SECONDS.FRACTION:SERIAL)`, when it is that.
    time: Option<(i64, u32, u32)>,
    serial: Option<u64>,
    /// Where the fields start.
    body: usize,
}

/// Reads `[node=N ]type=T msg=audit(...):`; the error says what is
/// missing, at which byte of `text`.
fn header(text: &str) -> Result<Header<'_>, ParseError> {
    let Some(start) = header_start(text) else {
        return Err(ParseError::expected(P, "\"type=\"", 0));
    };
    let node = text
        .get(..start)
        .and_then(|n| n.strip_prefix("node="))
        .map(str::trim_end)
        .filter(|n| !n.is_empty());
    let after_type = start + 5;
    let rest = text.get(after_type..).unwrap_or("");
    let kind_len = rest.bytes().position(|c| c == b' ').unwrap_or(rest.len());
    let kind = rest.get(..kind_len).unwrap_or("");
    let open = after_type + kind_len;
    if text.get(open..open + 11) != Some(" msg=audit(") || kind.is_empty() {
        return Err(ParseError::expected(P, "\" msg=audit(\"", open));
    }
    let inner_start = open + 11;
    let inner_rest = text.get(inner_start..).unwrap_or("");
    let Some(close) = inner_rest.bytes().position(|c| c == b')') else {
        return Err(ParseError::expected(P, "')' closing audit(", text.len()));
    };
    let inner = inner_rest.get(..close).unwrap_or("");
    let (time, serial) = match super::rsplit_once_byte(inner, b':') {
        Some((t, s)) => (epoch(t), s.parse::<u64>().ok()),
        None => (None, None),
    };
    let mut body = inner_start + close + 1;
    // `): ` and, from `ausearch -i`, `) : `.
    let tail = text.get(body..).unwrap_or("");
    let colon = tail.trim_start_matches(' ');
    match colon.strip_prefix(':') {
        Some(r) => body = text.len() - r.len(),
        None if tail.is_empty() => {}
        None => return Err(ParseError::expected(P, "':' after audit(...)", body)),
    }
    Ok(Header {
        node,
        kind,
        time,
        serial,
        body,
    })
}

/// `SECONDS.FRACTION` (any number of fraction digits, nanoseconds kept).
fn epoch(t: &str) -> Option<(i64, u32, u32)> {
    let (s, f) = super::split_once_byte(t, b'.').unwrap_or((t, ""));
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) || s.len() > 12 {
        return None;
    }
    if !f.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secs = s.parse::<i64>().ok()?;
    let mut nanos = 0u32;
    for i in 0..9 {
        let d = f.as_bytes().get(i).map_or(0, |c| u32::from(c - b'0'));
        nanos = nanos * 10 + d;
    }
    Some((secs, nanos, f.len().min(9) as u32))
}

/// How a value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Bare,
    Double,
    Single,
}

/// One `key=value` of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field<'a> {
    key: &'a str,
    raw: &'a str,
    quote: Quote,
    /// After the `0x1d` that starts the interpreted fields.
    enriched: bool,
}

/// The fields of a record body: separated by spaces, tabs or `0x1d`;
/// words without `=` (`avc:  denied  { read } for`) are skipped. At most
/// [`MAX_PAIRS`] fields; linear.
struct Fields<'a> {
    text: &'a str,
    pos: usize,
    taken: usize,
    enriched: bool,
    /// Where a quoted value that never closed starts.
    unterminated: Option<usize>,
}

fn is_sep(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == 0x1d
}

/// `s` cut to at most [`MAX_VALUE`] bytes, at a character boundary.
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

impl<'a> Fields<'a> {
    fn new(text: &'a str) -> Self {
        Fields {
            text,
            pos: 0,
            taken: 0,
            enriched: false,
            unterminated: None,
        }
    }

    fn skip_seps(&mut self) {
        let b = self.text.as_bytes();
        while let Some(&c) = b.get(self.pos) {
            if !is_sep(c) {
                break;
            }
            if c == 0x1d {
                self.enriched = true;
            }
            self.pos += 1;
        }
    }

    /// The first separator at or after `from`, else the end.
    fn word_end(&self, from: usize) -> usize {
        let b = self.text.as_bytes();
        let rest = b.get(from..).unwrap_or(&[]);
        rest.iter()
            .position(|&c| is_sep(c))
            .map_or(b.len(), |i| from + i)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let text = self.text;
        let b = text.as_bytes();
        loop {
            if self.taken >= MAX_PAIRS {
                return None;
            }
            self.skip_seps();
            let start = self.pos;
            if start >= b.len() {
                return None;
            }
            let mut eq = start;
            while let Some(&c) = b.get(eq) {
                if c == b'=' || c == b'"' || c == b'\'' || is_sep(c) {
                    break;
                }
                eq += 1;
            }
            let key = match text.get(start..eq) {
                Some(k) if !k.is_empty() && k.len() <= MAX_KEY && b.get(eq) == Some(&b'=') => k,
                _ => {
                    self.pos = self.word_end(eq.max(start + 1));
                    continue;
                }
            };
            let v = eq + 1;
            let quote = match b.get(v) {
                Some(b'"') => Quote::Double,
                Some(b'\'') => Quote::Single,
                _ => Quote::Bare,
            };
            let (raw, next) = if quote == Quote::Bare {
                let end = self.word_end(v);
                (text.get(v..end).unwrap_or(""), end)
            } else {
                let q = if quote == Quote::Double { b'"' } else { b'\'' };
                let open = v + 1;
                match memchr::memchr(q, b.get(open..).unwrap_or(&[])) {
                    Some(i) => (text.get(open..open + i).unwrap_or(""), open + i + 1),
                    None => {
                        self.unterminated = Some(v);
                        (text.get(open..).unwrap_or(""), b.len())
                    }
                }
            };
            // Anything glued to a closing quote is junk.
            self.pos = if quote == Quote::Bare {
                next
            } else {
                self.word_end(next)
            };
            self.taken += 1;
            return Some(Field {
                key,
                raw: cap(raw),
                quote,
                enriched: self.enriched,
            });
        }
    }
}

/// `s` decoded from hex when it is non-empty, of even length, all hex
/// digits, and decodes to UTF-8 text; NULs become `nul` (a space for argv
/// lists, none allowed elsewhere), trailing NULs are dropped.
fn unhex(s: &str, nul: Option<char>) -> Option<String> {
    let b = s.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(2) || !b.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c.wrapping_sub(b'A').wrapping_add(10),
    };
    let mut bytes: Vec<u8> = b
        .chunks(2)
        .map(|p| match p {
            [h, l] => nib(*h) << 4 | nib(*l),
            _ => 0,
        })
        .collect();
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    let text = String::from_utf8(bytes).ok()?;
    if !text.contains('\0') {
        return Some(text);
    }
    let sep = nul?;
    Some(text.replace('\0', sep.encode_utf8(&mut [0; 4])))
}

/// The index of an EXECVE argument key: `a3` is `(3, None)`, a chunk of a
/// long argument `a3[1]` is `(3, Some(1))`.
fn arg_index(key: &str) -> Option<(usize, Option<usize>)> {
    let rest = key.strip_prefix('a')?;
    let (n, chunk) = match super::split_once_byte(rest, b'[') {
        Some((n, c)) => (n, Some(c.strip_suffix(']')?.parse::<usize>().ok()?)),
        None => (rest, None),
    };
    if n.is_empty() || !n.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((n.parse().ok()?, chunk))
}

/// The value of a field, decoded when it is hex in a field that may be.
fn decode<'a>(f: &Field<'a>, execve_arg: bool) -> Cow<'a, str> {
    if f.quote != Quote::Bare {
        return Cow::Borrowed(f.raw);
    }
    let argv = execve_arg || f.key == "proctitle";
    if argv || ENCODED.contains(&f.key) {
        if let Some(s) = unhex(f.raw, argv.then_some(' ')) {
            return Cow::Owned(s);
        }
    }
    Cow::Borrowed(f.raw)
}

/// `s` with up to [`MAX_VALUE`] bytes.
fn capped(mut s: String) -> String {
    let n = cap(&s).len();
    s.truncate(n);
    s
}

/// What the mapping needs from the fields, gathered in one pass.
#[derive(Default)]
struct Seen {
    success: Option<String>,
    res: Option<String>,
    args: Vec<String>,
    argc: Option<usize>,
    saddr: Option<String>,
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    if text.contains('\n') {
        joined(text, ev)
    } else {
        record(text, ev)
    }
}

/// Records joined in one event at most (see `framing::AUDIT_MAX_RECORDS`).
const MAX_RECORDS: usize = 256;

/// Where the audit record starts in a line that may carry a syslog header
/// (`... audispd: node=h type=PATH msg=audit(...)`).
fn record_start(line: &str) -> Option<usize> {
    if header_start(line).is_some() {
        return Some(0);
    }
    let b = line.as_bytes();
    let window = b.get(..1024.min(b.len()))?;
    let m = MSG_AUDIT.find(window)?;
    let t = memchr::memmem::rfind(window.get(..m)?, b" type=")? + 1;
    // A `node=...` word right before it.
    let before = window.get(..t.saturating_sub(1))?;
    let start = before.iter().rposition(|&c| c == b' ').map_or(0, |p| p + 1);
    let at = if before.get(start..).is_some_and(|w| w.starts_with(b"node=")) {
        start
    } else {
        t
    };
    header_start(line.get(at..)?).map(|_| at)
}

/// Several records of one audit event, one per line, into one event. The
/// primary record is parsed straight into `ev`; the others, one by one,
/// into a scratch event whose fields are then merged.
fn joined(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    // Where each record starts in `text`, its text and its type.
    let mut records: Vec<(usize, &str, &str)> = Vec::new();
    let mut result = Ok(());
    let mut at = 0;
    let mut skipped = 0i64;
    for line in text.split('\n') {
        let line_at = at;
        at += line.len() + 1;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        if records.len() >= MAX_RECORDS {
            skipped += 1;
            continue;
        }
        let Some(start) = record_start(line) else {
            if result.is_ok() {
                result = Err(ParseError::expected(P, "an audit record", line_at));
            }
            continue;
        };
        let rec = line.get(start..).unwrap_or("");
        let kind = header(rec).map_or("", |h| h.kind);
        records.push((line_at + start, rec, kind));
    }
    if records.is_empty() {
        return Err(ParseError::expected(P, "\"type=\"", 0));
    }
    let primary = records
        .iter()
        .position(|(_, _, k)| *k == "SYSCALL")
        .unwrap_or(0);
    let (p_at, p_text, _) = records[primary];
    if let Err(e) = record(p_text, ev) {
        result = Err(e.shifted(p_at));
    }
    // PATH's names come from the record that is not a PARENT, else the
    // first.
    let mut path_pick: Option<(bool, [Option<FieldValue>; 3])> = None;
    let mut one = Event::raw(ev.seq, ev.received, ev.origin.clone(), b"");
    // `auditd.<type>.` or `auditd.path.<item>.`, then each field's name.
    let mut name = String::with_capacity(64);
    for (i, &(r_at, r_text, kind)) in records.iter().enumerate() {
        if i == primary {
            continue;
        }
        one.fields.clear();
        if let Err(e) = record(r_text, &mut one) {
            if result.is_ok() {
                result = Err(e.shifted(r_at));
            }
        }
        name.clear();
        if kind == "PATH" {
            name.push_str("auditd.path.");
            name.push_str(one.get_str("auditd.data.item").unwrap_or("x"));
        } else {
            name.push_str("auditd.");
            name.extend(kind.chars().map(|c| c.to_ascii_lowercase()));
        }
        name.push('.');
        let prefix_len = name.len();
        if kind == "PATH" {
            let parent = one.get_str("nametype") == Some("PARENT");
            if path_pick.as_ref().is_none_or(|(p, _)| *p && !parent) {
                let names = ["name", "nametype", "file.path"].map(|k| one.fields.remove(k));
                path_pick = Some((parent, names));
            }
        }
        for (k, v) in std::mem::take(&mut one.fields) {
            if let Some(rest) = k.strip_prefix("auditd.data.") {
                name.truncate(prefix_len);
                name.push_str(rest);
                ev.fields.entry(name.as_str()).or_insert(v);
                continue;
            }
            let wins = match kind {
                "EXECVE" => {
                    k == "process.command_line" || arg_index(&k).is_some_and(|(_, c)| c.is_none())
                }
                "PROCTITLE" => k == "proctitle",
                "CWD" => k == "cwd",
                _ => false,
            };
            // PATH's names are set from the one picked, below.
            if kind == "PATH" && matches!(k.as_str(), "name" | "nametype" | "file.path") {
                continue;
            }
            if wins {
                ev.fields.insert(k, v);
            } else {
                ev.fields.entry(k).or_insert(v);
            }
        }
    }
    if let Some((_, names)) = path_pick {
        for (k, v) in ["name", "nametype", "file.path"].into_iter().zip(names) {
            if let Some(v) = v {
                ev.fields.insert(k.to_string(), v);
            }
        }
    }
    ev.set(key!("auditd.records"), records.len() as i64);
    if skipped > 0 {
        // Kept in `event.original`, not read.
        ev.set(key!("auditd.records_not_read"), skipped);
    }
    let types: Vec<&str> = records.iter().map(|(_, _, k)| *k).collect();
    ev.set(key!("auditd.record_types"), capped(types.join(",")));
    result
}

/// One audit record.
fn record(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let h = header(text)?;
    ev.set(key!("event.kind"), "event");
    ev.logsource = LogSource::new(Some("linux"), None, &["auditd"]);
    ev.set(key!("auditd.message_type"), h.kind);
    ev.set(key!("type"), h.kind);
    ev.set(key!("event.action"), h.kind.to_ascii_lowercase());
    if let Some(n) = h.node {
        ev.set(key!("auditd.node"), n);
        if ev.get("host.name").is_none() {
            ev.set(key!("host.name"), n);
        }
    }
    if let Some(s) = h.serial.and_then(|s| i64::try_from(s).ok()) {
        ev.set(key!("auditd.sequence"), s);
    }
    let mut result = Ok(());
    match h.time {
        Some((secs, nanos, _)) => {
            let t = OffsetDateTime::from_unix_timestamp(secs)
                .ok()
                .and_then(|t| t.replace_nanosecond(nanos).ok());
            match t {
                Some(t) => ev.timestamp = t,
                None => result = Err(ParseError::expected(P, "a valid audit time", 0)),
            }
        }
        None => {
            result = Err(ParseError::expected(
                P,
                "audit(SECONDS.MILLIS:SERIAL)",
                h.body.saturating_sub(1),
            ))
        }
    }
    if let Some(c) = category(h.kind) {
        ev.set(key!("event.category"), c);
    }

    let body = text.get(h.body..).unwrap_or("");
    if h.kind == "AVC" {
        avc(body, ev);
    }
    let execve = h.kind == "EXECVE";
    let mut seen = Seen::default();
    let mut key_buf = String::from("auditd.data.");
    let mut fields = Fields::new(body);
    let mut inner_err = None;
    for f in fields.by_ref() {
        if f.key == "msg" && f.quote == Quote::Single {
            let mut inner = Fields::new(f.raw);
            for g in inner.by_ref() {
                field(ev, &g, false, &mut seen, &mut key_buf);
            }
            if let Some(at) = inner.unterminated {
                let base = crate::offset_in(text, f.raw);
                inner_err = Some(base + at);
            }
            continue;
        }
        let arg = execve && !f.enriched && arg_index(f.key).is_some();
        field(ev, &f, arg, &mut seen, &mut key_buf);
    }

    if execve {
        let n = seen.argc.unwrap_or(seen.args.len()).min(seen.args.len());
        let mut cmd = String::new();
        for (i, raw) in seen.args.iter().take(n).enumerate() {
            let v = unhex(raw, Some(' ')).unwrap_or_else(|| raw.clone());
            let v = capped(v);
            let k = format!("a{i}");
            key_buf.truncate(12);
            key_buf.push_str(&k);
            ev.set(&key_buf, v.as_str());
            ev.set(&k, v.as_str());
            if cmd.len() < MAX_VALUE {
                if i > 0 {
                    cmd.push(' ');
                }
                cmd.push_str(&v);
            }
        }
        if !cmd.is_empty() {
            ev.set(key!("process.command_line"), capped(cmd));
        }
    }
    if let Some(sa) = seen.saddr.as_deref() {
        sockaddr(sa, ev);
    }
    let outcome = match (seen.success.as_deref(), seen.res.as_deref()) {
        (Some("yes"), _) | (None, Some("success" | "1" | "yes")) => Some("success"),
        (Some("no"), _) | (None, Some("failed" | "0" | "no")) => Some("failure"),
        _ => None,
    };
    if let Some(o) = outcome {
        ev.set(key!("event.outcome"), o);
    }

    if let Some(at) = fields.unterminated {
        let at = h.body + at;
        return Err(ParseError::expected(P, "a closing quote", at));
    }
    if let Some(at) = inner_err {
        return Err(ParseError::expected(P, "a closing quote", at));
    }
    result
}

/// Sets one field: `auditd.data.<key>`, the native name, ECS.
fn field(ev: &mut Event, f: &Field<'_>, execve_arg: bool, seen: &mut Seen, buf: &mut String) {
    if execve_arg {
        // Kept for the end: a long argument comes in chunks (`a1[0]`...).
        if let Some((i, chunk)) = arg_index(f.key) {
            if i < MAX_PAIRS {
                if seen.args.len() <= i {
                    seen.args.resize(i + 1, String::new());
                }
                if let Some(a) = seen.args.get_mut(i) {
                    let v = if f.quote == Quote::Bare {
                        f.raw.to_string()
                    } else {
                        hex_of(f.raw)
                    };
                    if chunk.is_none() {
                        *a = v;
                    } else if a.len() < 2 * MAX_VALUE {
                        a.push_str(&v);
                    }
                }
            }
        }
        return;
    }
    let value = decode(f, false);
    let v = value.as_ref();
    buf.truncate(12);
    buf.push_str(f.key);
    ev.set(buf.as_str(), v);
    if f.enriched {
        // The interpreted fields: `UID="root"`, `SYSCALL=execve`, ...
        ev.set(f.key, v);
        match f.key {
            "UID" => ev.set(key!("user.name"), v),
            "EUID" => ev.set(key!("user.effective.name"), v),
            "AUID" if v != "unset" => ev.set(key!("user.audit.name"), v),
            _ => {}
        }
        return;
    }
    if NATIVE.contains(&f.key) {
        ev.set(f.key, v);
    }
    let known = v != "?" && v != "(null)" && !v.is_empty();
    match f.key {
        "pid" => set_int(ev, "process.pid", v),
        "ppid" => set_int(ev, "process.parent.pid", v),
        "exe" if known => ev.set(key!("process.executable"), v),
        "comm" if known => ev.set(key!("process.name"), v),
        "cwd" if known => ev.set(key!("process.working_directory"), v),
        "proctitle" | "cmd" if known => ev.set(key!("process.command_line"), v),
        "name" if known => ev.set(key!("file.path"), v),
        "uid" if known => ev.set(key!("user.id"), v),
        "euid" if known => ev.set(key!("user.effective.id"), v),
        "auid" if known && v != UNSET => ev.set(key!("user.audit.id"), v),
        "acct" if known => ev.set(key!("user.name"), v),
        "addr" if known => {
            set_ip(ev, key!("source.ip"), v);
        }
        "success" => seen.success = Some(v.to_string()),
        "res" => seen.res = Some(v.to_string()),
        "argc" => seen.argc = v.parse().ok(),
        "saddr" => seen.saddr = Some(v.to_string()),
        _ => {}
    }
}

/// The hex of a quoted EXECVE argument, so that chunks and whole
/// arguments are decoded alike.
fn hex_of(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        for nibble in [b >> 4, b & 0xf] {
            out.push(char::from(HEX[usize::from(nibble)]));
        }
    }
    out
}

fn set_int(ev: &mut Event, key: &str, v: &str) {
    if let Ok(n) = v.parse::<i64>() {
        ev.set(key, n);
    }
}

/// The ECS `event.category` of a record type, when it has an obvious one.
fn category(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "USER_AUTH" | "USER_LOGIN" | "USER_LOGOUT" | "USER_ACCT" | "USER_ERR" | "CRED_ACQ"
        | "CRED_DISP" | "CRED_REFR" | "USER_START" | "USER_END" | "LOGIN" => "authentication",
        "EXECVE" | "PROCTITLE" | "USER_CMD" => "process",
        "ADD_USER" | "DEL_USER" | "ADD_GROUP" | "DEL_GROUP" | "USER_MGMT" | "GRP_MGMT"
        | "USER_CHAUTHTOK" | "GRP_CHAUTHTOK" | "ROLE_ASSIGN" | "ROLE_REMOVE" => "iam",
        "PATH" | "CWD" => "file",
        "SOCKADDR" => "network",
        "CONFIG_CHANGE" | "DAEMON_START" | "DAEMON_END" | "SERVICE_START" | "SERVICE_STOP" => {
            "configuration"
        }
        "AVC" | "SELINUX_ERR" | "ANOM_ABEND" | "ANOM_PROMISCUOUS" => "intrusion_detection",
        _ => return None,
    })
}

/// `avc:  denied  { read write } for ...`: the verdict and permissions.
fn avc(body: &str, ev: &mut Event) {
    let Some(rest) = body.trim_start().strip_prefix("avc:") else {
        return;
    };
    let rest = rest.trim_start();
    let verdict = super::split_byte(rest, b' ').next().unwrap_or("");
    if matches!(verdict, "denied" | "granted") {
        ev.set(key!("auditd.data.seresult"), verdict);
    }
    if let Some((perms, _)) = rest
        .split_once('{')
        .and_then(|(_, r)| super::split_once_byte(r, b'}'))
        .filter(|(p, _)| p.len() < 256)
    {
        let perms: Vec<&str> = perms.split_whitespace().collect();
        ev.set(key!("auditd.data.seperms"), perms.join(","));
    }
}

/// A SOCKADDR record's `saddr`: the kernel's `struct sockaddr` in hex.
fn sockaddr(hex: &str, ev: &mut Event) {
    let b = hex.as_bytes();
    if !b.len().is_multiple_of(2) || b.len() < 4 || !b.iter().all(u8::is_ascii_hexdigit) {
        return;
    }
    let bytes: Vec<u8> = b
        .chunks(2)
        .filter_map(|p| std::str::from_utf8(p).ok())
        .filter_map(|p| u8::from_str_radix(p, 16).ok())
        .collect();
    let family = match bytes.get(..2) {
        Some([lo, hi]) => u16::from_le_bytes([*lo, *hi]),
        _ => return,
    };
    let port = match bytes.get(2..4) {
        Some([h, l]) => Some(u16::from_be_bytes([*h, *l])),
        _ => None,
    };
    let ip: Option<IpAddr> = match family {
        1 => {
            ev.set(key!("auditd.data.socket.family"), "unix");
            let path = bytes.get(2..).unwrap_or(&[]);
            // An abstract socket starts with a NUL.
            let path = path.strip_prefix(&[0u8]).unwrap_or(path);
            let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
            if let Ok(p) = std::str::from_utf8(path.get(..end).unwrap_or(&[])) {
                if !p.is_empty() {
                    ev.set(key!("auditd.data.socket.path"), p);
                }
            }
            return;
        }
        2 => {
            ev.set(key!("auditd.data.socket.family"), "ipv4");
            bytes
                .get(4..8)
                .and_then(|a| <[u8; 4]>::try_from(a).ok())
                .map(|a| IpAddr::V4(Ipv4Addr::from(a)))
        }
        10 => {
            ev.set(key!("auditd.data.socket.family"), "ipv6");
            bytes
                .get(8..24)
                .and_then(|a| <[u8; 16]>::try_from(a).ok())
                .map(|a| IpAddr::V6(Ipv6Addr::from(a)))
        }
        16 => {
            ev.set(key!("auditd.data.socket.family"), "netlink");
            return;
        }
        n => {
            ev.set(key!("auditd.data.socket.family"), i64::from(n));
            return;
        }
    };
    if let Some(p) = port {
        ev.set(key!("auditd.data.socket.port"), i64::from(p));
    }
    if let Some(ip) = ip {
        ev.set(key!("auditd.data.socket.addr"), ip.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
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

    fn run(text: &str) -> (Event, Result<(), ParseError>) {
        let mut ev = event();
        let r = parse(text, &mut ev);
        (ev, r)
    }

    #[test]
    fn detects_only_audit_records() {
        assert!(detect("type=SYSCALL msg=audit(1.2:3): a=b"));
        assert!(detect("node=web1 type=PATH msg=audit(1.2:3): item=0"));
        assert!(!detect("type=traffic subtype=forward"));
        assert!(!detect("node=web1 msg=audit(1.2:3)"));
        assert!(!detect("node=web1type=PATH msg=audit(1.2:3)"));
        assert!(!detect("date=2026-11-25 type=SYSCALL msg=audit(1.2:3)"));
        assert!(!detect(""));
        assert!(!detect("node="));
    }

    #[test]
    fn syscall() {
        let (ev, r) = run(
            r#"type=SYSCALL msg=audit(1795575600.123:4567): arch=c000003e syscall=59 success=yes exit=0 a0=55d1 a1=55d2 a2=55d3 a3=0 items=2 ppid=1000 pid=1234 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="bash" exe="/usr/bin/bash" subj=unconfined_u:unconfined_r:unconfined_t:s0 key="exec""#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00.123 UTC));
        assert_eq!(ev.get("auditd.sequence"), Some(&FieldValue::Int(4567)));
        assert_eq!(ev.get_str("event.action"), Some("syscall"));
        assert_eq!(ev.get_str("event.outcome"), Some("success"));
        assert_eq!(ev.get("process.pid"), Some(&FieldValue::Int(1234)));
        assert_eq!(ev.get("process.parent.pid"), Some(&FieldValue::Int(1000)));
        assert_eq!(ev.get_str("process.name"), Some("bash"));
        assert_eq!(ev.get_str("process.executable"), Some("/usr/bin/bash"));
        assert_eq!(ev.get_str("user.id"), Some("0"));
        assert_eq!(ev.get_str("user.audit.id"), Some("1000"));
        assert_eq!(ev.get_str("user.effective.id"), Some("0"));
        // SYSCALL's a0..a3 are numbers, kept as written.
        assert_eq!(ev.get_str("auditd.data.a0"), Some("55d1"));
        assert_eq!(ev.get_str("key"), Some("exec"));
        assert_eq!(ev.get_str("syscall"), Some("59"));
        assert_eq!(ev.get_str("type"), Some("SYSCALL"));
        assert!(ev.logsource.admits(Some("linux"), None, Some("auditd")));
    }

    #[test]
    fn execve_decodes_hex_and_chunks() {
        let (ev, r) = run(
            r#"type=EXECVE msg=audit(1795575600.123:4567): argc=4 a0="ls" a1="-la" a2=2F746D702F6120622E747874 a3_len=6 a3[0]=666F6F a3[1]="bar""#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("a0"), Some("ls"));
        assert_eq!(ev.get_str("a2"), Some("/tmp/a b.txt"));
        assert_eq!(ev.get_str("auditd.data.a3"), Some("foobar"));
        assert_eq!(
            ev.get_str("process.command_line"),
            Some("ls -la /tmp/a b.txt foobar")
        );
        assert_eq!(ev.get_str("event.category"), Some("process"));
        // Hex that is not text stays hex.
        let (ev, _) = run("type=EXECVE msg=audit(1.0:1): argc=1 a0=FF00");
        assert_eq!(ev.get_str("a0"), Some("FF00"));
    }

    #[test]
    fn proctitle_and_paths() {
        let (ev, _) =
            run("type=PROCTITLE msg=audit(1795575600.123:4567): proctitle=6C73002D6C6100");
        assert_eq!(ev.get_str("process.command_line"), Some("ls -la"));
        assert_eq!(ev.get_str("proctitle"), Some("ls -la"));
        let (ev, _) = run(r#"type=CWD msg=audit(1795575600.123:4567): cwd="/root""#);
        assert_eq!(ev.get_str("process.working_directory"), Some("/root"));
        let (ev, _) =
            run("type=PATH msg=audit(1.5:9): item=0 name=2F746D702F782079 nametype=CREATE");
        assert_eq!(ev.get_str("file.path"), Some("/tmp/x y"));
        assert_eq!(ev.get_str("nametype"), Some("CREATE"));
        // An unquoted word that is not hex stays as written.
        let (ev, _) = run("type=PATH msg=audit(1.5:9): item=0 name=(null)");
        assert_eq!(ev.get_str("name"), Some("(null)"));
        assert_eq!(ev.get("file.path"), None);
    }

    #[test]
    fn user_records_read_the_inner_msg() {
        let (ev, r) = run(
            r#"node=web1 type=USER_LOGIN msg=audit(1795575600.500:4568): pid=2222 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0 msg='op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.7 terminal=ssh res=failed'"#,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("user.name"), Some("root"));
        assert_eq!(ev.get_str("source.ip"), Some("203.0.113.7"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        assert_eq!(ev.get_str("event.category"), Some("authentication"));
        assert_eq!(ev.get_str("host.name"), Some("web1"));
        assert_eq!(ev.get("user.audit.id"), None);
        assert_eq!(ev.get_str("auditd.data.hostname"), Some("?"));
        // USER_CMD: the command is hex.
        let (ev, _) = run("type=USER_CMD msg=audit(1.0:2): pid=1 uid=1000 auid=1000 ses=1 msg='cwd=\"/home/a\" cmd=6C73202D6C61 exe=\"/usr/bin/sudo\" terminal=pts/0 res=success'");
        assert_eq!(ev.get_str("process.command_line"), Some("ls -la"));
        assert_eq!(ev.get_str("event.outcome"), Some("success"));
    }

    #[test]
    fn enriched_fields() {
        let (ev, _) = run("type=SYSCALL msg=audit(1.0:2): syscall=59 uid=0 auid=1000\u{1d}ARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"root\"");
        assert_eq!(ev.get_str("SYSCALL"), Some("execve"));
        assert_eq!(ev.get_str("auditd.data.UID"), Some("root"));
        assert_eq!(ev.get_str("user.name"), Some("root"));
        assert_eq!(ev.get_str("user.audit.name"), Some("alice"));
        assert_eq!(ev.get_str("uid"), Some("0"));
    }

    #[test]
    fn sockaddrs() {
        let (ev, _) = run("type=SOCKADDR msg=audit(1.0:2): saddr=020000357F0000350000000000000000");
        assert_eq!(ev.get_str("auditd.data.socket.family"), Some("ipv4"));
        assert_eq!(ev.get_str("auditd.data.socket.addr"), Some("127.0.0.53"));
        assert_eq!(
            ev.get("auditd.data.socket.port"),
            Some(&FieldValue::Int(53))
        );
        let (ev, _) = run("type=SOCKADDR msg=audit(1.0:2): saddr=0A0001BB0000000020010DB8000000000000000000000001");
        assert_eq!(ev.get_str("auditd.data.socket.addr"), Some("2001:db8::1"));
        assert_eq!(
            ev.get("auditd.data.socket.port"),
            Some(&FieldValue::Int(443))
        );
        let (ev, _) = run(
            "type=SOCKADDR msg=audit(1.0:2): saddr=01002F7661722F72756E2F6E7363642F736F636B657400",
        );
        assert_eq!(
            ev.get_str("auditd.data.socket.path"),
            Some("/var/run/nscd/socket")
        );
        let (ev, _) = run("type=SOCKADDR msg=audit(1.0:2): saddr=02");
        assert_eq!(ev.get("auditd.data.socket.family"), None);
    }

    #[test]
    fn avc_and_interpreted_headers() {
        let (ev, r) = run("type=AVC msg=audit(1795575600.000:10): avc:  denied  { read write } for  pid=42 comm=\"httpd\" name=\"x\" tclass=file permissive=0");
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("auditd.data.seresult"), Some("denied"));
        assert_eq!(ev.get_str("auditd.data.seperms"), Some("read,write"));
        assert_eq!(ev.get_str("process.name"), Some("httpd"));
        // `ausearch -i` output: a time that is not epoch, `) : `.
        let (ev, r) = run("type=PROCTITLE msg=audit(11/25/2026 10:00:00.123:4567) : proctitle=ls");
        assert!(r.is_err());
        assert_eq!(ev.get_str("proctitle"), Some("ls"));
        assert_eq!(ev.get("auditd.sequence"), Some(&FieldValue::Int(4567)));
    }

    #[test]
    fn broken_records_keep_fields() {
        let (ev, r) = run(r#"type=SYSCALL msg=audit(1.0:2): pid=7 comm="never closed"#);
        assert_eq!(r, Err(ParseError::expected(P, "a closing quote", 42)));
        assert_eq!(ev.get("process.pid"), Some(&FieldValue::Int(7)));
        assert_eq!(ev.get_str("process.name"), Some("never closed"));
        let (_, r) = run("type=SYSCALL msg=audit(1.0:2");
        assert!(r.is_err());
        let (_, r) = run("type=X msg=audit(1.0:2)junk");
        assert!(r.is_err());
        let (ev, r) = run("type=X msg=audit(1.0:2)");
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("event.action"), Some("x"));
    }

    #[test]
    fn limits() {
        let many: String = (0..5000).map(|i| format!("k{i}=v ")).collect();
        let (ev, r) = run(&format!("type=X msg=audit(1.0:2): {many}"));
        assert_eq!(r, Ok(()));
        assert!(ev.fields.len() < MAX_PAIRS + 40);
        let args: String = (0..5000).map(|i| format!("a{i}=\"x\" ")).collect();
        let (ev, _) = run(&format!("type=EXECVE msg=audit(1.0:2): argc=5000 {args}"));
        assert!(ev.fields.len() < 2 * MAX_PAIRS + 40);
        let (ev, _) = run("type=EXECVE msg=audit(1.0:2): a99999999999999999999=1 a4294967296=2");
        assert_eq!(ev.get("process.command_line"), None);
        let long = format!(
            "type=PATH msg=audit(1.0:2): name={}",
            "41".repeat(MAX_VALUE)
        );
        let (ev, _) = run(&long);
        assert_eq!(ev.get_str("file.path").map(str::len), Some(MAX_VALUE / 2));
    }

    const EXEC: &str = "type=SYSCALL msg=audit(1795575600.123:4567): arch=c000003e syscall=59 success=yes exit=0 a0=55d1c2a0 a1=55d1c2b0 a2=55d1c2c0 a3=0 items=2 ppid=1000 pid=1234 auid=1000 uid=0 gid=0 euid=0 tty=pts0 ses=3 comm=\"base64\" exe=\"/usr/bin/base64\" key=\"exec\"
type=EXECVE msg=audit(1795575600.123:4567): argc=3 a0=\"base64\" a1=\"-d\" a2=2F746D702F7020712E623634
type=CWD msg=audit(1795575600.123:4567): cwd=\"/tmp\"
type=PATH msg=audit(1795575600.123:4567): item=0 name=\"/usr/bin/base64\" inode=1 nametype=NORMAL
type=PATH msg=audit(1795575600.123:4567): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=2 nametype=NORMAL
type=PROCTITLE msg=audit(1795575600.123:4567): proctitle=62617365363400
type=EOE msg=audit(1795575600.123:4567): ";

    #[test]
    fn joined_event() {
        let (ev, r) = run(EXEC);
        assert_eq!(r, Ok(()));
        assert_eq!(ev.timestamp, datetime!(2026-11-25 03:00:00.123 UTC));
        assert_eq!(ev.get_str("type"), Some("SYSCALL"));
        assert_eq!(ev.get_str("syscall"), Some("59"));
        assert_eq!(ev.get_str("exe"), Some("/usr/bin/base64"));
        assert_eq!(ev.get_str("comm"), Some("base64"));
        assert_eq!(ev.get_str("key"), Some("exec"));
        assert_eq!(ev.get_str("a0"), Some("base64"));
        assert_eq!(ev.get_str("a1"), Some("-d"));
        assert_eq!(ev.get_str("a2"), Some("/tmp/p q.b64"));
        assert_eq!(
            ev.get_str("process.command_line"),
            Some("base64 -d /tmp/p q.b64")
        );
        assert_eq!(ev.get_str("cwd"), Some("/tmp"));
        assert_eq!(ev.get_str("name"), Some("/usr/bin/base64"));
        assert_eq!(ev.get_str("file.path"), Some("/usr/bin/base64"));
        assert_eq!(ev.get_str("proctitle"), Some("base64"));
        // The SYSCALL's raw a0 stays its own; the others' under their type.
        assert_eq!(ev.get_str("auditd.data.a0"), Some("55d1c2a0"));
        assert_eq!(ev.get_str("auditd.execve.a0"), Some("base64"));
        assert_eq!(
            ev.get_str("auditd.path.1.name"),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(ev.get_str("auditd.cwd.cwd"), Some("/tmp"));
        assert_eq!(
            ev.get_str("auditd.record_types"),
            Some("SYSCALL,EXECVE,CWD,PATH,PATH,PROCTITLE,EOE")
        );
        assert_eq!(ev.get("auditd.records"), Some(&FieldValue::Int(7)));
        assert_eq!(ev.get_str("event.outcome"), Some("success"));
        assert_eq!(ev.get_str("event.category"), Some("process"));
        assert!(ev.logsource.admits(Some("linux"), None, Some("auditd")));
    }

    #[test]
    fn joined_parent_paths_and_errors() {
        let text = "node=h1 type=PATH msg=audit(1.0:5): item=0 name=\"/etc/\" nametype=PARENT\n<14>Nov 25 10:00:00 h1 audispd: node=h1 type=PATH msg=audit(1.0:5): item=1 name=\"/etc/shadow\" nametype=CREATE\nnode=h1 type=SYSCALL msg=audit(1.0:5): syscall=257 success=no comm=\"x\n";
        let (ev, r) = run(text);
        // The SYSCALL is the primary even when it comes last.
        assert_eq!(ev.get_str("type"), Some("SYSCALL"));
        assert_eq!(ev.get_str("name"), Some("/etc/shadow"));
        assert_eq!(ev.get_str("nametype"), Some("CREATE"));
        assert_eq!(ev.get_str("auditd.path.0.name"), Some("/etc/"));
        assert_eq!(ev.get_str("auditd.record_types"), Some("PATH,PATH,SYSCALL"));
        assert_eq!(ev.get_str("event.outcome"), Some("failure"));
        // The unclosed quote, at its byte in the whole record.
        let at = text.find("comm=").unwrap_or(0) + 5;
        assert_eq!(r, Err(ParseError::expected(P, "a closing quote", at)));
        let (ev, r) = run("type=SYSCALL msg=audit(1.0:5): pid=1\ngarbage");
        assert_eq!(r, Err(ParseError::expected(P, "an audit record", 37)));
        assert_eq!(ev.get("process.pid"), Some(&FieldValue::Int(1)));
        let (_, r) = run("\n\n");
        assert!(r.is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}", t in "[a-z0-9A-F= \"'\\x1d\\[\\]():.]{0,120}") {
            for text in [
                s.as_str(),
                t.as_str(),
                &format!("type=EXECVE msg=audit({t}"),
                &format!("node=h type=SOCKADDR msg=audit(1.0:1): {t}"),
                &format!("type=USER_LOGIN msg=audit(1.0:1): msg='{t}"),
            ] {
                let mut ev = event();
                let _ = detect(text);
                let _ = parse(text, &mut ev);
            }
        }
    }
}
