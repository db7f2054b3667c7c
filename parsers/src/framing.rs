//! Records that span lines, joined before parsing: the records of one Linux
//! audit event ([`AuditJoiner`]) and the parts of one ModSecurity 2 serial
//! audit log transaction ([`ModsecFramer`]). [`Framer`] chains both.
//!
//! Both work on raw lines, in arrival order, and hand out a [`Framed`]
//! record: the lines joined by `\n`, which [`Parser::parse`] then reads as
//! one record (the `auditd` format merges an audit event's records into one
//! event; the `modsecurity` format reads a whole transaction). Joining
//! bytes rather than events means a joined record can be stored as one
//! (the spool, an import) and parsed again the same way, and that its
//! `event.original` is every line it was made of.
//!
//! A line neither claims is handed out at once, unchanged. Both are
//! bounded: a record too long, too many open audit events, or a
//! transaction without its end are handed out as they are (the parser then
//! says what is missing), never dropped.
//!
//! [`Parser::parse`]: crate::Parser::parse

/// A record of one or more lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed {
    /// The caller's number of its first line (a line number, a sequence).
    pub first: u64,
    /// The number of lines in it.
    pub lines: usize,
    /// The line as given (one line), or the lines without their line ends,
    /// joined by `\n`.
    pub bytes: Vec<u8>,
}

/// How many records later an audit event without its `EOE` is complete.
pub const AUDIT_WINDOW: u64 = 32;
/// Audit events open at once, at most (the oldest is handed out).
pub const AUDIT_MAX_OPEN: usize = 128;
/// Records in one audit event, at most.
pub const AUDIT_MAX_RECORDS: usize = 256;
/// Bytes in one joined record (audit event or transaction), at most.
pub const MAX_JOINED_BYTES: usize = 1 << 20;
/// Lines in one ModSecurity transaction, at most.
pub const MODSEC_MAX_LINES: usize = 20_000;

/// `line` without its line end.
fn trim_eol(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    line.get(..end).unwrap_or(line)
}

/// The key of an audit record: its node (`node=`, empty without one), the
/// inside of `msg=audit(...)`, and whether it is an `EOE` record.
fn audit_key(line: &[u8]) -> Option<(&[u8], &[u8], bool)> {
    const MARK: &[u8] = b" msg=audit(";
    let window = line.get(..1024.min(line.len()))?;
    let m = memchr::memmem::find(window, MARK)?;
    let head = window.get(..m)?;
    // `type=T` right before the mark, at the start or after a space.
    let t = memchr::memmem::rfind(head, b"type=")?;
    if t > 0 && head.get(t - 1) != Some(&b' ') {
        return None;
    }
    let kind = head.get(t + 5..)?;
    if kind.is_empty() || kind.contains(&b' ') {
        return None;
    }
    let node = match t.checked_sub(1).and_then(|e| head.get(..e)) {
        Some(before) => {
            let start = before.iter().rposition(|&c| c == b' ').map_or(0, |p| p + 1);
            before
                .get(start..)
                .and_then(|w| w.strip_prefix(b"node="))
                .unwrap_or(b"")
        }
        None => b"",
    };
    let inner = line.get(m + MARK.len()..)?;
    let close = memchr::memchr(b')', inner.get(..64.min(inner.len()))?)?;
    let id = inner.get(..close)?;
    if !id.contains(&b':') {
        return None;
    }
    Some((node, id, kind == b"EOE"))
}

#[derive(Debug)]
struct OpenEvent {
    node: Vec<u8>,
    id: Vec<u8>,
    first: u64,
    /// The joiner's record count when its last record came.
    last: u64,
    lines: usize,
    bytes: Vec<u8>,
}

impl OpenEvent {
    fn framed(self) -> Framed {
        Framed {
            first: self.first,
            lines: self.lines,
            bytes: self.bytes,
        }
    }
}

/// Joins the records of one Linux audit event (SYSCALL, EXECVE, CWD, PATH,
/// PROCTITLE, ... sharing `node` and `msg=audit(TIME:SERIAL)`), fed in
/// arrival order, into one [`Framed`] record.
///
/// An event is complete when its `EOE` record comes; else (user-space
/// records have no `EOE`) when [`AUDIT_WINDOW`] other audit records came
/// after its last one, or on [`flush`](Self::flush). At most
/// [`AUDIT_MAX_OPEN`] events are open (the oldest goes out first) and one
/// holds at most [`AUDIT_MAX_RECORDS`] records and [`MAX_JOINED_BYTES`]
/// bytes (beyond, what it has goes out and the rest starts another).
/// Lines that are not audit records go out at once.
#[derive(Debug, Default)]
pub struct AuditJoiner {
    open: Vec<OpenEvent>,
    records: u64,
}

impl AuditJoiner {
    /// An empty joiner.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes line number `n`; complete records go to `out`.
    pub fn push(&mut self, n: u64, line: &[u8], out: &mut Vec<Framed>) {
        let Some((node, id, eoe)) = audit_key(line) else {
            out.push(Framed {
                first: n,
                lines: 1,
                bytes: line.to_vec(),
            });
            return;
        };
        self.records += 1;
        let line = trim_eol(line);
        let at = self.open.iter().position(|o| o.node == node && o.id == id);
        let at = match at {
            Some(i)
                if self.open[i].lines < AUDIT_MAX_RECORDS
                    && self.open[i].bytes.len() + line.len() < MAX_JOINED_BYTES =>
            {
                let o = &mut self.open[i];
                o.bytes.push(b'\n');
                o.bytes.extend_from_slice(line);
                o.lines += 1;
                o.last = self.records;
                i
            }
            full => {
                if let Some(i) = full {
                    out.push(self.open.remove(i).framed());
                }
                if self.open.len() >= AUDIT_MAX_OPEN {
                    out.push(self.open.remove(0).framed());
                }
                self.open.push(OpenEvent {
                    node: node.to_vec(),
                    id: id.to_vec(),
                    first: n,
                    last: self.records,
                    lines: 1,
                    bytes: line.to_vec(),
                });
                self.open.len() - 1
            }
        };
        if eoe {
            out.push(self.open.remove(at).framed());
        }
        // Events whose records stopped coming a while ago, oldest first
        // (`open` is in order of first records).
        let records = self.records;
        let mut i = 0;
        while i < self.open.len() {
            if records - self.open[i].last > AUDIT_WINDOW {
                out.push(self.open.remove(i).framed());
            } else {
                i += 1;
            }
        }
    }

    /// Hands out every open event (at the end of the input).
    pub fn flush(&mut self, out: &mut Vec<Framed>) {
        out.extend(self.open.drain(..).map(OpenEvent::framed));
    }

    /// Events open.
    pub fn open(&self) -> usize {
        self.open.len()
    }
}

/// A ModSecurity 2 serial audit log boundary, `--ID-P--`: the ID and the
/// part letter.
///
/// ModSecurity 2 writes `--a1b2c3d4-A--`, libmodsecurity 3
/// `---GZ9kYLxq---A--`.
pub(crate) fn modsec_boundary(line: &[u8]) -> Option<(&[u8], u8)> {
    let b = trim_eol(line);
    let inner = b.strip_prefix(b"--")?.strip_suffix(b"--")?;
    let inner = inner.strip_prefix(b"-").unwrap_or(inner);
    let (id, part) = inner.split_at(inner.len().checked_sub(2)?);
    let id = id.strip_suffix(b"--").unwrap_or(id);
    let ok = (8..=32).contains(&id.len())
        && id.iter().all(u8::is_ascii_alphanumeric)
        && part.first() == Some(&b'-')
        && part.get(1).is_some_and(u8::is_ascii_uppercase);
    ok.then(|| (id, part.get(1).copied().unwrap_or(b'A')))
}

#[derive(Debug)]
struct OpenTx {
    id: Vec<u8>,
    first: u64,
    lines: usize,
    bytes: Vec<u8>,
}

/// Joins the lines of one ModSecurity 2 serial audit log transaction, from
/// its `--ID-A--` boundary to its `--ID-Z--`, into one [`Framed`] record.
///
/// A new `-A--` before the `-Z--` hands out the open transaction as it is
/// (cut short); so does [`flush`](Self::flush). A transaction over
/// [`MODSEC_MAX_LINES`] lines or [`MAX_JOINED_BYTES`] bytes goes out as far
/// as it got, and its remaining lines go out one by one. Lines outside a
/// transaction go out at once.
#[derive(Debug, Default)]
pub struct ModsecFramer {
    open: Option<OpenTx>,
    /// The transaction whose remaining lines go out one by one.
    overflow: Option<Vec<u8>>,
}

impl ModsecFramer {
    /// An empty framer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes line number `n`; whether it was taken (else the caller hands
    /// it on). Complete records go to `out`.
    pub fn push(&mut self, n: u64, line: &[u8], out: &mut Vec<Framed>) -> bool {
        let boundary = modsec_boundary(line);
        if let Some((id, part)) = boundary {
            if part == b'A' {
                self.overflow = None;
                if let Some(tx) = self.open.take() {
                    out.push(tx.framed());
                }
                self.open = Some(OpenTx {
                    id: id.to_vec(),
                    first: n,
                    lines: 1,
                    bytes: trim_eol(line).to_vec(),
                });
                return true;
            }
            if part == b'Z' && self.overflow.as_deref() == Some(id) {
                self.overflow = None;
                return false;
            }
        }
        let Some(tx) = self.open.as_mut() else {
            return false;
        };
        let line = trim_eol(line);
        if tx.lines >= MODSEC_MAX_LINES || tx.bytes.len() + line.len() >= MAX_JOINED_BYTES {
            let id = tx.id.clone();
            if let Some(tx) = self.open.take() {
                out.push(tx.framed());
            }
            self.overflow = Some(id);
            return false;
        }
        tx.bytes.push(b'\n');
        tx.bytes.extend_from_slice(line);
        tx.lines += 1;
        if boundary.is_some_and(|(id, part)| part == b'Z' && id == tx.id.as_slice()) {
            if let Some(tx) = self.open.take() {
                out.push(tx.framed());
            }
        }
        true
    }

    /// Hands out the open transaction, if any.
    pub fn flush(&mut self, out: &mut Vec<Framed>) {
        if let Some(tx) = self.open.take() {
            out.push(tx.framed());
        }
    }
}

impl OpenTx {
    fn framed(self) -> Framed {
        Framed {
            first: self.first,
            lines: self.lines,
            bytes: self.bytes,
        }
    }
}

/// Lines in, records out: ModSecurity transactions first, then audit
/// events, any other line as it is. What it joins depends on the format a
/// reader was told: `auto` both, `auditd` or `modsecurity` that one, any
/// other none (every line is a record).
#[derive(Debug)]
pub struct Framer {
    modsec: Option<ModsecFramer>,
    audit: Option<AuditJoiner>,
}

impl Framer {
    /// A framer for lines of `format` (a `vedette parse --format` name).
    pub fn for_format(format: &str) -> Framer {
        let (modsec, audit) = match format {
            "auto" => (true, true),
            "auditd" => (false, true),
            "modsecurity" => (true, false),
            _ => (false, false),
        };
        Framer {
            modsec: modsec.then(ModsecFramer::new),
            audit: audit.then(AuditJoiner::new),
        }
    }

    /// Whether it is inside a multi-line record whose blank lines belong to
    /// it (a ModSecurity transaction): a reader that skips blank lines
    /// hands them over while this is true.
    pub fn in_record(&self) -> bool {
        self.modsec.as_ref().is_some_and(|m| m.open.is_some())
    }

    /// Whether it joins anything (else every line is a record).
    pub fn joins(&self) -> bool {
        self.modsec.is_some() || self.audit.is_some()
    }

    /// Takes line number `n`; the records it completes go to `out`.
    pub fn push(&mut self, n: u64, line: &[u8], out: &mut Vec<Framed>) {
        if let Some(m) = self.modsec.as_mut() {
            if m.push(n, line, out) {
                return;
            }
        }
        match self.audit.as_mut() {
            Some(a) => a.push(n, line, out),
            None => out.push(Framed {
                first: n,
                lines: 1,
                bytes: line.to_vec(),
            }),
        }
    }

    /// Hands out everything still open (at the end of the input).
    pub fn flush(&mut self, out: &mut Vec<Framed>) {
        if let Some(m) = self.modsec.as_mut() {
            m.flush(out);
        }
        if let Some(a) = self.audit.as_mut() {
            a.flush(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: &mut Framer, lines: &[&str]) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            f.push(i as u64 + 1, format!("{l}\n").as_bytes(), &mut out);
        }
        f.flush(&mut out);
        out.into_iter()
            .map(|r| (r.first, String::from_utf8_lossy(&r.bytes).into_owned()))
            .collect()
    }

    #[test]
    fn audit_keys() {
        assert_eq!(
            audit_key(b"type=SYSCALL msg=audit(1.2:3): a=b"),
            Some((&b""[..], &b"1.2:3"[..], false))
        );
        assert_eq!(
            audit_key(b"node=web1 type=EOE msg=audit(1.2:3): "),
            Some((&b"web1"[..], &b"1.2:3"[..], true))
        );
        assert_eq!(
            audit_key(b"<14>Nov 25 10:00:00 h audispd: node=h2 type=PATH msg=audit(1.2:3): x"),
            Some((&b"h2"[..], &b"1.2:3"[..], false))
        );
        assert_eq!(audit_key(b"xtype=PATH msg=audit(1.2:3)"), None);
        assert_eq!(audit_key(b"type=PATH msg=audit(123)"), None);
        assert_eq!(audit_key(b"hello"), None);
    }

    #[test]
    fn audit_events_join_by_node_and_serial() {
        let mut f = Framer::for_format("auditd");
        let out = run(
            &mut f,
            &[
                "type=SYSCALL msg=audit(1.0:10): syscall=59",
                "type=USER_LOGIN msg=audit(1.0:11): res=failed",
                "type=EXECVE msg=audit(1.0:10): argc=1 a0=\"ls\"",
                "node=b type=SYSCALL msg=audit(1.0:10): syscall=2",
                "not an audit line",
                "type=EOE msg=audit(1.0:10): ",
                "node=b type=EOE msg=audit(1.0:10): ",
            ],
        );
        assert_eq!(
            out,
            vec![
                (5, "not an audit line\n".into()),
                (
                    1,
                    "type=SYSCALL msg=audit(1.0:10): syscall=59\ntype=EXECVE msg=audit(1.0:10): argc=1 a0=\"ls\"\ntype=EOE msg=audit(1.0:10): ".into()
                ),
                (
                    4,
                    "node=b type=SYSCALL msg=audit(1.0:10): syscall=2\nnode=b type=EOE msg=audit(1.0:10): ".into()
                ),
                (2, "type=USER_LOGIN msg=audit(1.0:11): res=failed".into()),
            ]
        );
    }

    #[test]
    fn audit_window_and_caps() {
        let mut j = AuditJoiner::new();
        let mut out = Vec::new();
        j.push(1, b"type=USER_LOGIN msg=audit(1.0:1): x", &mut out);
        for i in 0..AUDIT_WINDOW {
            j.push(
                2 + i,
                format!("type=X msg=audit(1.0:{}): x", 100 + i).as_bytes(),
                &mut out,
            );
        }
        assert!(out.is_empty());
        j.push(99, b"type=X msg=audit(1.0:999): x", &mut out);
        assert_eq!(out.len(), 1, "the first is past the window");
        assert_eq!(out[0].first, 1);
        let mut j = AuditJoiner::new();
        let mut out = Vec::new();
        for i in 0..(AUDIT_MAX_OPEN as u64 + 5) {
            j.push(
                i,
                format!("type=X msg=audit(1.0:{i}): x").as_bytes(),
                &mut out,
            );
            assert!(j.open() <= AUDIT_MAX_OPEN);
        }
        let mut j = AuditJoiner::new();
        let mut out = Vec::new();
        for i in 0..(AUDIT_MAX_RECORDS as u64 + 1) {
            j.push(i, b"type=PATH msg=audit(1.0:7): item=0", &mut out);
        }
        j.flush(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].lines, AUDIT_MAX_RECORDS);
        assert_eq!(out[1].lines, 1);
    }

    #[test]
    fn modsec_transactions() {
        let mut f = Framer::for_format("auto");
        let out = run(
            &mut f,
            &[
                "stray line",
                "--a1b2c3d4-A--",
                "[25/Nov/2026:10:00:00 +0700] X 203.0.113.7 51234 10.0.0.10 443",
                "--a1b2c3d4-B--",
                "GET / HTTP/1.1",
                "",
                "--a1b2c3d4-Z--",
                "type=EOE msg=audit(1.0:1): ",
                "--ffff0000-A--",
                "cut short",
                "--eeee0000-A--",
                "--eeee0000-Z--",
            ],
        );
        assert_eq!(out[0], (1, "stray line\n".into()));
        assert_eq!(out[1].0, 2);
        assert!(out[1].1.starts_with("--a1b2c3d4-A--\n[25/Nov"));
        assert!(out[1].1.ends_with("GET / HTTP/1.1\n\n--a1b2c3d4-Z--"));
        assert_eq!(out[2], (8, "type=EOE msg=audit(1.0:1): ".into()));
        assert_eq!(out[3], (9, "--ffff0000-A--\ncut short".into()));
        assert_eq!(out[4], (11, "--eeee0000-A--\n--eeee0000-Z--".into()));
        assert_eq!(out.len(), 5);
        assert_eq!(
            modsec_boundary(b"--a1b2c3d4-A--\r\n"),
            Some((&b"a1b2c3d4"[..], b'A'))
        );
        assert_eq!(modsec_boundary(b"--a1b2-A--"), None);
        assert_eq!(
            modsec_boundary(b"---GZ9kYLxq---H--"),
            Some((&b"GZ9kYLxq"[..], b'H'))
        );
        assert_eq!(modsec_boundary(b"--a1b2c3d4-a--"), None);
        assert_eq!(modsec_boundary(b"----"), None);
    }

    #[test]
    fn modsec_overflow_keeps_every_line() {
        let mut m = ModsecFramer::new();
        let mut out = Vec::new();
        let mut passed = 0;
        assert!(m.push(0, b"--a1b2c3d4-A--", &mut out));
        for i in 0..(MODSEC_MAX_LINES as u64 + 10) {
            if !m.push(i + 1, b"body line", &mut out) {
                passed += 1;
            }
        }
        assert!(!m.push(99_999, b"--a1b2c3d4-Z--", &mut out));
        m.flush(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].lines + passed, MODSEC_MAX_LINES + 11);
    }

    #[test]
    fn no_joining_for_other_formats() {
        let mut f = Framer::for_format("web");
        assert!(!f.joins());
        let out = run(&mut f, &["--a1b2c3d4-A--", "type=EOE msg=audit(1.0:1): "]);
        assert_eq!(out.len(), 2);
    }
}
