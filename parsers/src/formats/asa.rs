//! Cisco ASA and Firepower Threat Defense syslog messages:
//! `%ASA-<severity>-<id>: <text>` (or `%FTD-...`).
//!
//! Every message gets `event.code`, `log.level`, `cisco.asa.severity` and
//! the observer; the most common ids (connections, translations, ACL
//! denies, AAA, logins, VPN sessions, commands, threat detection) are taken
//! apart into ECS fields by splitting on their fixed words. No regexes.
//!
//! The header is found at the start of the text, after a leading `: `
//! (`asa01 : %ASA-...` with `logging device-id`), or after `<timestamp>: `
//! in the first bytes (`Nov 25 2026 10:00:00: %ASA-...`, which BSD syslog
//! parsing leaves whole). When a relay wrote `host %ASA-6-302013: text`,
//! the syslog parser takes `%ASA-6-302013` for the TAG: the header is then
//! read from `process.name` and only the text of the best-known messages is
//! recognized.

/// Built once: constructing a searcher per record costs more than the search.
static ASA_FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(b": %ASA-"));
static FTD_FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(b": %FTD-"));

use memchr::memmem;
use vedette_model::fields::Key;
use vedette_model::{Event, LogSource};

use crate::ParseError;

const P: &str = "asa";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "asa",
    fields: 32,
    first: |_| true,
    open: |b| matches!(b, b'B' | b'T' | b'D'),
    needs: b"%",
    gate: None,
    detect,
    parse,
    claim: None,
};

/// How far into the text a header after a timestamp is looked for.
const HEADER_WINDOW: usize = 64;

/// The starts of message texts that only ASA writes, for records whose
/// `%ASA-x-y` header became the syslog TAG.
const BODY_PREFIXES: &[&str] = &[
    "Built inbound TCP connection ",
    "Built outbound TCP connection ",
    "Built inbound UDP connection ",
    "Built outbound UDP connection ",
    "Built inbound ICMP connection for faddr ",
    "Built outbound ICMP connection for faddr ",
    "Teardown TCP connection ",
    "Teardown UDP connection ",
    "Teardown ICMP connection for faddr ",
    "Built dynamic TCP translation from ",
    "Built dynamic UDP translation from ",
    "Built dynamic ICMP translation from ",
    "Teardown dynamic TCP translation from ",
    "Teardown dynamic UDP translation from ",
    "Teardown dynamic ICMP translation from ",
    "Deny tcp src ",
    "Deny udp src ",
    "Deny icmp src ",
];

#[cfg(test)]
#[test]
fn body_prefixes_start_as_detect_assumes() {
    assert!(BODY_PREFIXES
        .iter()
        .all(|p| matches!(p.as_bytes()[0], b'B' | b'T' | b'D')));
}

/// The `%ASA-<severity>-<id>:` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    ftd: bool,
    severity: u8,
    id: u32,
}

/// `%ASA-6-302013` (or `%FTD-...`) at the start of `s`: the header and
/// what follows the id.
fn tag(s: &str) -> Option<(Header, &str)> {
    let r = s.strip_prefix('%')?;
    let (ftd, r) = match r.strip_prefix("ASA-") {
        Some(r) => (false, r),
        None => (true, r.strip_prefix("FTD-")?),
    };
    // `%ASA-session-5-106100`: a message class first, with `logging
    // timestamp` and class-based logging on some releases.
    let r = match r.as_bytes().first()? {
        b'a'..=b'z' => {
            let (class, rest) = super::split_once_byte(r, b'-')?;
            if class.len() > 16 || !class.bytes().all(|c| c.is_ascii_lowercase()) {
                return None;
            }
            rest
        }
        _ => r,
    };
    let sev = *r.as_bytes().first()?;
    if !(b'0'..=b'7').contains(&sev) {
        return None;
    }
    let r = r.get(1..)?.strip_prefix('-')?;
    let n = r.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > 7 {
        return None;
    }
    let id = r.get(..n)?.parse().ok()?;
    Some((
        Header {
            ftd,
            severity: sev - b'0',
            id,
        },
        r.get(n..)?,
    ))
}

/// The header in `text` and the offset of the message text after it.
fn header(text: &str) -> Option<(Header, usize)> {
    let t = text.trim_start_matches([':', ' ']);
    let start = if t.starts_with('%') {
        text.len() - t.len()
    } else {
        let head = text.as_bytes();
        let head = head.get(..HEADER_WINDOW).unwrap_or(head);
        ASA_FINDER.find(head).or_else(|| FTD_FINDER.find(head))? + 2
    };
    let (h, rest) = tag(text.get(start..)?)?;
    // The colon after the id is missing in some releases' messages and in
    // the message catalogue's examples (`%ASA-4-400013 IPS:2003 ...`).
    let body = match rest.strip_prefix(':') {
        Some(b) => b,
        None if rest.starts_with(' ') => rest,
        None => return None,
    }
    .trim_start_matches(' ');
    Some((h, text.len() - body.len()))
}

fn detect(text: &str) -> bool {
    header(text).is_some()
        // Every body prefix starts with `B`, `T` or `D`.
        || (matches!(text.as_bytes().first(), Some(b'B' | b'T' | b'D'))
            && BODY_PREFIXES.iter().any(|p| text.starts_with(p)))
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let (h, at) = match header(text) {
        Some(found) => found,
        None => {
            let tagged = ev
                .get_str("process.name")
                .and_then(tag)
                .filter(|(_, rest)| rest.is_empty())
                .map(|(h, _)| h);
            match tagged {
                Some(h) => (h, text.len() - text.trim_start_matches(' ').len()),
                None => {
                    set_observer(ev, false);
                    return Err(ParseError::expected(P, "%ASA-<severity>-<id>:", 0));
                }
            }
        }
    };
    let body = text.get(at..).unwrap_or("");
    set_observer(ev, h.ftd);
    ev.set(key!("event.code"), h.id.to_string());
    ev.set(key!("cisco.asa.severity"), i64::from(h.severity));
    ev.set(key!("log.level"), SEVERITIES[usize::from(h.severity & 7)]);
    ev.set(key!("message"), body);
    ev.set(key!("event.kind"), "event");
    ev.set(key!("event.category"), "network");
    let ok = match h.id {
        302013 | 302015 => conn_built(body, ev),
        302014 | 302016 => conn_teardown(body, ev),
        302020 | 302021 => icmp_conn(body, ev),
        106001 | 106006 | 106007 | 106015 => deny_from_to(body, ev),
        106014 | 106023 => deny_src_dst(body, ev),
        106021 => deny_reverse_path(body, ev),
        106100 | 106102 => access_list(body, ev),
        110002 => no_egress(body, ev),
        305011 | 305012 => translation(body, ev),
        313001 | 313004 | 313008 => icmp_denied(body, ev),
        313005 => icmp_no_conn(body, ev),
        419002 => dup_syn(body, ev),
        500004 => invalid_transport(body, ev),
        710003 => acl_to_box(body, ev),
        113004 | 113005 | 113015 => aaa(h.id, body, ev),
        113019 => vpn_disconnected(body, ev),
        605004 | 605005 => login(h.id, body, ev),
        611101..=611103 => local_auth(h.id, body, ev),
        722022 | 722023 | 722051 | 716001 | 716002 | 113039 => vpn_session(h.id, body, ev),
        111008 | 111010 => command(body, ev),
        400000..=400050 => ips(body, ev),
        733100 => threat_rate(body, ev),
        733102 => shun(body, ev),
        _ => Some(()),
    };
    match ok {
        Some(()) => Ok(()),
        None => Err(ParseError::expected(
            P,
            "the documented text of the message",
            at,
        )),
    }
}

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

fn set_observer(ev: &mut Event, ftd: bool) {
    ev.logsource = LogSource::new(Some("asa"), Some("firewall"), &[]);
    ev.set(key!("observer.vendor"), "Cisco");
    ev.set(key!("observer.product"), if ftd { "ftd" } else { "asa" });
    ev.set(key!("observer.type"), "firewall");
}

// ---------------------------------------------------------------- helpers

/// Words of a message, separated by spaces.
#[derive(Debug, Clone, Copy)]
struct Words<'a> {
    /// The whole text, which `rest` is the end of.
    all: &'a str,
    rest: &'a str,
}

impl<'a> Words<'a> {
    fn new(s: &'a str) -> Self {
        Words { all: s, rest: s }
    }

    fn next(&mut self) -> Option<&'a str> {
        let r = self.rest.trim_start_matches(' ');
        if r.is_empty() {
            self.rest = r;
            return None;
        }
        let (w, rest) = super::split_once_byte(r, b' ').unwrap_or((r, ""));
        self.rest = rest;
        Some(w)
    }

    fn peek(&self) -> Option<&'a str> {
        let mut c = *self;
        c.next()
    }

    /// The next word, which must be `w` (ASCII case ignored).
    fn word(&mut self, w: &str) -> Option<()> {
        self.next()?.eq_ignore_ascii_case(w).then_some(())
    }

    /// Skips words up to and including `w`, when it comes.
    fn skip_to(&mut self, w: &str) -> Option<()> {
        while let Some(x) = self.next() {
            if x == w {
                return Some(());
            }
        }
        None
    }

    fn rest(&self) -> &'a str {
        self.rest.trim_start_matches(' ')
    }

    /// An address word and the identity-firewall user written right
    /// after it without a space, `ip/port(LOCAL\\First Last)`, which may
    /// run over several words (a user name with spaces); else the word's
    /// address alone, for [`skip_user`] to look further.
    fn endpoint(&mut self) -> Option<(Ep<'a>, Option<&'a str>)> {
        let x = self.next()?;
        let Some(open) = x.find('(').filter(|&i| i > 0 && !x.ends_with("))")) else {
            return Some((ep(x)?, None));
        };
        let e = ep(x.get(..open)?)?;
        let after = x.get(open + 1..)?;
        if let Some(u) = after.strip_suffix(')') {
            return Some((e, Some(u)));
        }
        // `(LOCAL\\First` then `Last)`: up to the closing parenthesis,
        // which must come before any other `(`.
        let r = self.rest;
        let close =
            memchr::memchr2(b')', b'(', r.as_bytes()).filter(|&i| r.as_bytes()[i] == b')')?;
        let start = super::web::offset(self.all, after);
        let end = super::web::offset(self.all, r) + close;
        self.rest = r.get(close + 1..)?;
        Some((e, Some(self.all.get(start..end)?)))
    }
}

/// An address as ASA prints it: `[iface:]addr[/port]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ep<'a> {
    iface: Option<&'a str>,
    addr: &'a str,
    port: Option<&'a str>,
}

fn ep(s: &str) -> Option<Ep<'_>> {
    let s = s.trim_end_matches(['.', ',', ';']);
    let (a, port) = match super::rsplit_once_byte(s, b'/') {
        Some((a, p)) if !p.is_empty() => (a, Some(p)),
        Some(_) => return None,
        None => (s, None),
    };
    if a.is_empty() {
        return None;
    }
    if super::is_ip(a) {
        return Some(Ep {
            iface: None,
            addr: a,
            port,
        });
    }
    match super::split_once_byte(a, b':') {
        Some((i, ip)) if !i.is_empty() && !ip.is_empty() => Some(Ep {
            iface: Some(i),
            addr: ip,
            port,
        }),
        _ => Some(Ep {
            iface: None,
            addr: a,
            port,
        }),
    }
}

/// The ECS names of one side of a connection.
struct Side {
    ip: &'static Key,
    port: &'static Key,
    address: &'static Key,
}

static SRC: Side = Side {
    ip: key!("source.ip"),
    port: key!("source.port"),
    address: key!("source.address"),
};
static DST: Side = Side {
    ip: key!("destination.ip"),
    port: key!("destination.port"),
    address: key!("destination.address"),
};
static SRC_NAT: Side = Side {
    ip: key!("source.nat.ip"),
    port: key!("source.nat.port"),
    address: key!("source.nat.address"),
};
static DST_NAT: Side = Side {
    ip: key!("destination.nat.ip"),
    port: key!("destination.nat.port"),
    address: key!("destination.nat.address"),
};

fn set_addr(ev: &mut Event, side: &Side, addr: &str) {
    if super::is_ip(addr) {
        ev.set(side.ip, addr);
    } else if !addr.is_empty() {
        ev.set(side.address, addr);
    }
}

/// Sets the address and port of `e` on `side`: a port that is a service
/// name (`ssh`) goes to `network.protocol`.
fn set_ep(ev: &mut Event, side: &Side, e: &Ep<'_>) {
    set_addr(ev, side, e.addr);
    if let Some(p) = e.port {
        match p.parse::<u16>() {
            Ok(n) => ev.set(side.port, i64::from(n)),
            Err(_) => ev.set(key!("network.protocol"), p.to_ascii_lowercase()),
        }
    }
}

fn set_ingress(ev: &mut Event, iface: Option<&str>) {
    if let Some(i) = iface.filter(|i| !i.is_empty()) {
        ev.set(key!("observer.ingress.interface.name"), i);
    }
}

fn set_egress(ev: &mut Event, iface: Option<&str>) {
    if let Some(i) = iface.filter(|i| !i.is_empty()) {
        ev.set(key!("observer.egress.interface.name"), i);
    }
}

/// `network.transport` from a protocol word (`TCP`, `udp`, `icmp`, `47`).
fn set_transport(ev: &mut Event, proto: &str) {
    ev.set(
        key!("network.transport"),
        super::transport_name(proto).as_ref(),
    );
}

fn outcome(ev: &mut Event, action: &str, ty: &str, success: bool) {
    ev.set(key!("event.action"), action);
    ev.set(key!("event.type"), ty);
    ev.set(
        key!("event.outcome"),
        if success { "success" } else { "failure" },
    );
}

fn deny(ev: &mut Event, action: &str) {
    outcome(ev, action, "denied", false);
}

/// `h:mm:ss` (or `Xh:Ym:Zs`) as nanoseconds.
fn duration_ns(s: &str) -> Option<i64> {
    let mut parts = super::split_byte(s, b':');
    let h = parts.next()?.trim_end_matches('h');
    let m = parts.next()?.trim_end_matches('m');
    let sec = parts.next()?.trim_end_matches('s');
    if parts.next().is_some() {
        return None;
    }
    let num = |x: &str| -> Option<i64> {
        if x.is_empty() || x.len() > 9 || !x.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        x.parse().ok()
    };
    let total = num(h)?
        .checked_mul(3600)?
        .checked_add(num(m)?.checked_mul(60)?)?
        .checked_add(num(sec)?)?;
    total.checked_mul(1_000_000_000)
}

fn int(s: &str) -> Option<i64> {
    let s = s.trim_end_matches([',', '.', ';']);
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn set_user(ev: &mut Event, user: &str) {
    let u = user.trim();
    if !u.is_empty() && u != "*****" {
        ev.set(key!("user.name"), u);
        ev.set(key!("source.user.name"), u);
    }
}

/// Skips a `(user)` or `(user, sg)` group after an address.
fn skip_user<'a>(w: &mut Words<'a>) -> Option<&'a str> {
    let first = w.peek()?;
    if !first.starts_with('(')
        || first == "(type"
        || first.contains('/') && ep(paren_inner(first)).is_some()
    {
        return None;
    }
    w.next();
    if first.ends_with(')') {
        return Some(paren_inner(first));
    }
    // `(user, sg_info)`: bounded by the words that are left.
    while let Some(x) = w.next() {
        if x.ends_with(')') {
            break;
        }
    }
    Some(first.trim_start_matches('(').trim_end_matches(','))
}

fn paren_inner(s: &str) -> &str {
    s.trim_start_matches('(').trim_end_matches(')')
}

/// An optional `(mapped/port)` word.
fn mapped_ep<'a>(w: &mut Words<'a>) -> Option<Ep<'a>> {
    let x = w.peek()?;
    // `(mapped/port)(LOCAL\user, 123)`: the user that follows without a
    // space is the next word.
    let inner = x.strip_prefix('(')?;
    let b = inner.as_bytes();
    let glued = b
        .iter()
        .position(|&c| c == b')')
        .filter(|&i| b.get(i + 1) == Some(&b'('));
    if let Some(i) = glued {
        let e = ep(inner.get(..i)?)?;
        if e.iface.is_some() || !super::is_ip(e.addr) {
            return None;
        }
        let at = super::web::offset(w.rest, inner) + i + 1;
        w.rest = w.rest.get(at..)?;
        return Some(e);
    }
    let e = ep(inner.strip_suffix(')')?)?;
    if e.iface.is_some() || !super::is_ip(e.addr) {
        return None;
    }
    w.next();
    Some(e)
}

// ------------------------------------------------------------ connections

/// 302013, 302015: `Built {inbound|outbound} TCP connection ID for
/// iface:ip/port (mapped/port) [(user)] to iface:ip/port (mapped/port)
/// [(user)] [(user)]`.
fn conn_built(b: &str, ev: &mut Event) -> Option<()> {
    let mut w = Words::new(b);
    w.word("Built")?;
    let dir = w.next()?.to_ascii_lowercase();
    let proto = w.next()?;
    set_transport(ev, proto);
    outcome(ev, "connection-built", "start", true);
    w.word("connection")?;
    ev.set(key!("cisco.asa.connection_id"), int(w.next()?)?);
    w.word("for")?;
    let (a, a_user) = w.endpoint()?;
    let a_nat = mapped_ep(&mut w);
    let a_user = a_user.or_else(|| skip_user(&mut w));
    w.word("to")?;
    let (z, z_user) = w.endpoint()?;
    let z_nat = mapped_ep(&mut w);
    let z_user = z_user.or_else(|| skip_user(&mut w));
    let user = skip_user(&mut w);
    // Inbound: the `for` side initiated; outbound: the `to` side did.
    let (src, src_nat, src_user, dst, dst_nat, dst_user) = match dir.as_str() {
        "outbound" => (z, z_nat, z_user, a, a_nat, a_user),
        _ => (a, a_nat, a_user, z, z_nat, z_user),
    };
    if dir == "inbound" || dir == "outbound" {
        ev.set(key!("network.direction"), dir);
    }
    set_ep(ev, &SRC, &src);
    set_ep(ev, &DST, &dst);
    // A mapped address equal to the real one is no translation.
    if let Some(n) = src_nat.filter(|n| (n.addr, n.port) != (src.addr, src.port)) {
        set_ep(ev, &SRC_NAT, &n);
    }
    if let Some(n) = dst_nat.filter(|n| (n.addr, n.port) != (dst.addr, dst.port)) {
        set_ep(ev, &DST_NAT, &n);
    }
    set_ingress(ev, src.iface);
    set_egress(ev, dst.iface);
    if let Some(u) = user.or(src_user) {
        set_user(ev, u);
    }
    if let Some(u) = dst_user.filter(|u| !u.is_empty()) {
        ev.set(key!("destination.user.name"), u);
    }
    Some(())
}

/// 302014, 302016: `Teardown TCP connection ID for iface:ip/port [(user)]
/// to iface:ip/port [(user)] duration h:mm:ss bytes N [reason [from
/// initiator]] [(user)]`.
fn conn_teardown(b: &str, ev: &mut Event) -> Option<()> {
    let mut w = Words::new(b);
    w.word("Teardown")?;
    set_transport(ev, w.next()?);
    outcome(ev, "connection-teardown", "end", true);
    w.word("connection")?;
    ev.set(key!("cisco.asa.connection_id"), int(w.next()?)?);
    w.word("for")?;
    let (a, a_user) = w.endpoint()?;
    let a_user = a_user.or_else(|| skip_user(&mut w));
    w.word("to")?;
    let (z, z_user) = w.endpoint()?;
    if z_user.is_none() {
        skip_user(&mut w);
    }
    set_ep(ev, &SRC, &a);
    set_ep(ev, &DST, &z);
    set_ingress(ev, a.iface);
    set_egress(ev, z.iface);
    if let Some(u) = a_user {
        set_user(ev, u);
    }
    w.word("duration")?;
    ev.set(key!("event.duration"), duration_ns(w.next()?)?);
    w.word("bytes")?;
    ev.set(key!("network.bytes"), int(w.next()?)?);
    let mut reason = w.rest().trim_end_matches([' ', '.']);
    if let Some((r, u)) = reason.rsplit_once(" (") {
        if let Some(u) = u.strip_suffix(')') {
            set_user(ev, u);
            reason = r;
        }
    } else if let Some(u) = reason.strip_prefix('(').and_then(|u| u.strip_suffix(')')) {
        set_user(ev, u);
        reason = "";
    }
    if let Some((r, from)) = reason.rsplit_once(" from ") {
        ev.set(key!("cisco.asa.termination_initiator"), from);
        reason = r;
    }
    if !reason.is_empty() {
        ev.set(key!("event.reason"), reason);
    }
    Some(())
}

/// 302020, 302021: `{Built {inbound|outbound}|Teardown} ICMP connection for
/// faddr ip/id [(user)] gaddr ip/id laddr ip/id [(user)] type T code C`.
fn icmp_conn(b: &str, ev: &mut Event) -> Option<()> {
    let mut w = Words::new(b);
    let verb = w.next()?;
    let built = verb.eq_ignore_ascii_case("Built");
    let dir = if built {
        Some(w.next()?.to_ascii_lowercase())
    } else {
        None
    };
    if built {
        outcome(ev, "connection-built", "start", true);
    } else {
        outcome(ev, "connection-teardown", "end", true);
    }
    let proto = w.next()?;
    set_transport(ev, proto);
    w.word("connection")?;
    w.word("for")?;
    w.word("faddr")?;
    let (f, f_user) = w.endpoint()?;
    if f_user.is_none() {
        skip_user(&mut w);
    }
    w.word("gaddr")?;
    let g = ep(w.next()?)?;
    w.word("laddr")?;
    let (l, l_user) = w.endpoint()?;
    if l_user.is_none() {
        skip_user(&mut w);
    }
    let addr_only = |e: Ep<'_>, ev: &mut Event, side: &Side| {
        set_addr(ev, side, e.addr);
    };
    match dir.as_deref() {
        Some("outbound") => {
            ev.set(key!("network.direction"), "outbound");
            addr_only(l, ev, &SRC);
            addr_only(g, ev, &SRC_NAT);
            addr_only(f, ev, &DST);
        }
        Some(d) => {
            if d == "inbound" {
                ev.set(key!("network.direction"), "inbound");
            }
            addr_only(f, ev, &SRC);
            addr_only(l, ev, &DST);
            addr_only(g, ev, &DST_NAT);
        }
        None => {
            addr_only(f, ev, &SRC);
            addr_only(l, ev, &DST);
        }
    }
    if let Some(id) = f.port.and_then(int) {
        ev.set(key!("cisco.asa.icmp_id"), id);
    }
    icmp_type_code(&mut w, ev);
    Some(())
}

/// `type T code C` or `(type T, code C)`, when present.
fn icmp_type_code(w: &mut Words<'_>, ev: &mut Event) {
    if w.peek()
        .is_some_and(|x| x.trim_start_matches('(') == "type")
    {
        w.next();
        if let Some(t) = w.next().and_then(|t| int(t.trim_end_matches(')'))) {
            ev.set(key!("cisco.asa.icmp_type"), t);
        }
        if w.peek() == Some("code") {
            w.next();
            if let Some(c) = w.next().and_then(|c| int(c.trim_end_matches(')'))) {
                ev.set(key!("cisco.asa.icmp_code"), c);
            }
        }
    }
}

// ------------------------------------------------------------------ denies

/// 106001 `Inbound TCP connection denied from ip/port to ip/port flags F on
/// interface I`, 106006/106007 `Deny inbound UDP from ip/port to ip/port
/// {on interface I|due to DNS Query}`, 106015 `Deny TCP (no connection)
/// from ip/port to ip/port flags F on interface I`.
fn deny_from_to(b: &str, ev: &mut Event) -> Option<()> {
    deny(ev, "denied");
    let mut w = Words::new(b);
    let first = w.next()?;
    if first.eq_ignore_ascii_case("Inbound") || first.eq_ignore_ascii_case("Outbound") {
        ev.set(key!("network.direction"), first.to_ascii_lowercase());
        set_transport(ev, w.next()?);
    } else {
        let x = w.next()?;
        if x.eq_ignore_ascii_case("inbound") || x.eq_ignore_ascii_case("outbound") {
            ev.set(key!("network.direction"), x.to_ascii_lowercase());
            set_transport(ev, w.next()?);
        } else {
            set_transport(ev, x);
        }
    }
    w.skip_to("from")?;
    let s = ep(w.next()?)?;
    set_ep(ev, &SRC, &s);
    skip_user(&mut w);
    w.word("to")?;
    let d = ep(w.next()?)?;
    set_ep(ev, &DST, &d);
    skip_user(&mut w);
    let rest = w.rest().trim_end_matches(['.', ' ']);
    let rest = match rest.strip_prefix("flags ") {
        Some(r) => {
            let (flags, r) = r.split_once(" on interface ").unwrap_or((r, ""));
            ev.set(key!("cisco.asa.tcp_flags"), flags.trim());
            if !r.is_empty() {
                set_ingress(ev, Some(r.trim()));
            }
            return Some(());
        }
        None => rest,
    };
    if let Some(i) = rest.strip_prefix("on interface ") {
        set_ingress(ev, Some(i.trim()));
    } else if let Some(r) = rest.strip_prefix("due to ") {
        ev.set(key!("event.reason"), r);
    }
    Some(())
}

/// 106014 `Deny inbound icmp src iface:ip dst iface:ip (type T, code C)`,
/// 106023 `Deny PROTO src iface:ip/port [(user)] dst iface:ip/port [(user)]
/// [(type T, code C)] by access-group "ACL" [0x.., 0x..]`.
fn deny_src_dst(b: &str, ev: &mut Event) -> Option<()> {
    let mut w = Words::new(b);
    w.word("Deny")?;
    let mut proto = w.next()?;
    if proto == "inbound" || proto == "outbound" {
        ev.set(key!("network.direction"), proto);
        proto = w.next()?;
    }
    if proto == "protocol" {
        proto = w.next()?;
    }
    set_transport(ev, proto);
    w.word("src")?;
    let s = ep(w.next()?)?;
    set_ep(ev, &SRC, &s);
    set_ingress(ev, s.iface);
    if let Some(u) = skip_user(&mut w) {
        set_user(ev, u);
    }
    w.word("dst")?;
    let d = ep(w.next()?)?;
    set_ep(ev, &DST, &d);
    set_egress(ev, d.iface);
    skip_user(&mut w);
    icmp_type_code(&mut w, ev);
    if w.peek() == Some("by") {
        w.next();
        w.word("access-group")?;
        let acl = w.next()?.trim_matches('"');
        ev.set(key!("rule.name"), acl);
        deny(ev, "firewall-rule-deny");
        let hashes = w.rest();
        if !hashes.is_empty() {
            ev.set(key!("cisco.asa.rule_hash"), hashes.trim_matches(['[', ']']));
        }
    } else {
        deny(ev, "denied");
    }
    Some(())
}

/// 106021 `Deny PROTO reverse path check from ip to ip on interface I`.
fn deny_reverse_path(b: &str, ev: &mut Event) -> Option<()> {
    deny(ev, "denied");
    let mut w = Words::new(b);
    w.word("Deny")?;
    set_transport(ev, w.next()?);
    ev.set(key!("event.reason"), "reverse path check");
    w.skip_to("from")?;
    set_addr(ev, &SRC, w.next()?);
    w.word("to")?;
    set_addr(ev, &DST, w.next()?);
    w.word("on")?;
    w.word("interface")?;
    set_ingress(ev, w.next().map(|i| i.trim_end_matches('.')));
    Some(())
}

/// `iface/ip(port)` as 106100 prints it.
fn acl_ep(s: &str) -> Option<(&str, &str, Option<&str>)> {
    let (iface, r) = super::split_once_byte(s, b'/')?;
    match super::split_once_byte(r, b'(') {
        Some((ip, p)) => Some((iface, ip, Some(p.trim_end_matches(')')))),
        None => Some((iface, r, None)),
    }
}

/// 106100 `access-list ACL {permitted|denied|est-allowed} PROTO
/// iface/ip(port) [(user)] -> iface/ip(port) [(user)] hit-cnt N {first hit|
/// N-second interval} [0x.., 0x..]`.
fn access_list(b: &str, ev: &mut Event) -> Option<()> {
    let mut w = Words::new(b);
    w.word("access-list")?;
    ev.set(key!("rule.name"), w.next()?);
    let verdict = w.next()?;
    let allowed = verdict != "denied";
    outcome(
        ev,
        verdict,
        if allowed { "allowed" } else { "denied" },
        allowed,
    );
    set_transport(ev, w.next()?);
    // 106102: `for user NAME` before the addresses.
    if w.peek() == Some("for") {
        w.next();
        w.word("user")?;
        set_user(ev, w.next()?);
    }
    let (si, sip, sp) = acl_ep(w.next()?)?;
    set_ingress(ev, Some(si));
    set_addr(ev, &SRC, sip);
    if let Some(p) = sp.and_then(|p| p.parse::<u16>().ok()) {
        ev.set(key!("source.port"), i64::from(p));
    }
    if let Some(u) = skip_user(&mut w) {
        set_user(ev, u);
    }
    w.word("->")?;
    let (di, dip, dp) = acl_ep(w.next()?)?;
    set_egress(ev, Some(di));
    set_addr(ev, &DST, dip);
    if let Some(p) = dp.and_then(|p| p.parse::<u16>().ok()) {
        ev.set(key!("destination.port"), i64::from(p));
    }
    skip_user(&mut w);
    w.word("hit-cnt")?;
    ev.set(key!("cisco.asa.hit_count"), int(w.next()?)?);
    Some(())
}

/// 110002 `Failed to locate egress interface for PROTO from iface:ip/port
/// to ip/port`.
fn no_egress(b: &str, ev: &mut Event) -> Option<()> {
    deny(ev, "dropped");
    ev.set(key!("event.reason"), "Failed to locate egress interface");
    let r = b.strip_prefix("Failed to locate egress interface for ")?;
    let mut w = Words::new(r);
    set_transport(ev, w.next()?);
    w.word("from")?;
    let s = ep(w.next()?)?;
    set_ep(ev, &SRC, &s);
    set_ingress(ev, s.iface);
    w.word("to")?;
    set_ep(ev, &DST, &ep(w.next()?)?);
    Some(())
}

/// 305011/305012 `{Built|Teardown} {dynamic|static} PROTO translation from
/// iface:ip/port [(user)] to iface:ip/port [duration h:mm:ss]`.
fn translation(b: &str, ev: &mut Event) -> Option<()> {
    let mut w = Words::new(b);
    let verb = w.next()?;
    if verb == "Built" {
        outcome(ev, "translation-built", "start", true);
    } else {
        outcome(ev, "translation-teardown", "end", true);
    }
    ev.set(key!("cisco.asa.translation_type"), w.next()?);
    set_transport(ev, w.next()?);
    w.word("translation")?;
    w.word("from")?;
    let real = ep(w.next()?)?;
    set_ep(ev, &SRC, &real);
    set_ingress(ev, real.iface);
    if let Some(u) = skip_user(&mut w) {
        set_user(ev, u);
    }
    w.word("to")?;
    let m = ep(w.next()?)?;
    set_ep(ev, &SRC_NAT, &m);
    set_egress(ev, m.iface);
    if w.peek() == Some("duration") {
        w.next();
        ev.set(key!("event.duration"), duration_ns(w.next()?)?);
    }
    Some(())
}

/// 313001 `Denied ICMP type=T, code=C from ip on interface I`, 313004
/// `Denied ICMP type=T, from laddr ip on interface I to ip: no matching
/// session`.
fn icmp_denied(b: &str, ev: &mut Event) -> Option<()> {
    deny(ev, "denied");
    let mut w = Words::new(b);
    w.word("Denied")?;
    set_transport(ev, w.next()?);
    while let Some(x) = w.next() {
        let x = x.trim_end_matches(',');
        if let Some(t) = x.strip_prefix("type=") {
            ev.set(key!("cisco.asa.icmp_type"), int(t)?);
        } else if let Some(c) = x.strip_prefix("code=") {
            ev.set(key!("cisco.asa.icmp_code"), int(c)?);
        } else if x == "from" {
            break;
        }
    }
    if w.peek() == Some("laddr") {
        w.next();
    }
    set_addr(ev, &SRC, w.next()?);
    w.word("on")?;
    w.word("interface")?;
    set_ingress(ev, Some(w.next()?));
    if w.peek() == Some("to") {
        w.next();
        set_addr(ev, &DST, w.next()?.trim_end_matches(':'));
        let r = w.rest();
        if !r.is_empty() {
            ev.set(key!("event.reason"), r);
        }
    }
    Some(())
}

/// 313005 `No matching connection for ICMP error message: icmp src
/// iface:ip dst iface:ip (type T, code C) on I interface. Original IP
/// payload: ...`.
fn icmp_no_conn(b: &str, ev: &mut Event) -> Option<()> {
    deny(ev, "denied");
    ev.set(key!("event.reason"), "No matching connection");
    let r = b.strip_prefix("No matching connection for ICMP error message: ")?;
    let mut w = Words::new(r);
    set_transport(ev, w.next()?);
    w.word("src")?;
    let (s, s_user) = w.endpoint()?;
    set_ep(ev, &SRC, &s);
    match s_user {
        Some(u) => set_user(ev, u),
        None => {
            skip_user(&mut w);
        }
    }
    w.word("dst")?;
    let (d, d_user) = w.endpoint()?;
    set_ep(ev, &DST, &d);
    if d_user.is_none() {
        skip_user(&mut w);
    }
    icmp_type_code(&mut w, ev);
    w.word("on")?;
    set_ingress(ev, Some(w.next()?));
    Some(())
}

/// 419002 `Duplicate TCP SYN from iface:ip/port to iface:ip/port with
/// different initial sequence number`.
fn dup_syn(b: &str, ev: &mut Event) -> Option<()> {
    deny(ev, "dropped");
    ev.set(key!("event.reason"), "Duplicate TCP SYN");
    let r = b.strip_prefix("Duplicate TCP SYN from ")?;
    ev.set(key!("network.transport"), "tcp");
    let mut w = Words::new(r);
    let s = ep(w.next()?)?;
    set_ep(ev, &SRC, &s);
    set_ingress(ev, s.iface);
    w.word("to")?;
    let d = ep(w.next()?)?;
    set_ep(ev, &DST, &d);
    set_egress(ev, d.iface);
    Some(())
}

/// 500004 `Invalid transport field for protocol=P, from ip/port to
/// ip/port`.
fn invalid_transport(b: &str, ev: &mut Event) -> Option<()> {
    deny(ev, "dropped");
    ev.set(key!("event.reason"), "Invalid transport field");
    let r = b.strip_prefix("Invalid transport field for protocol=")?;
    let mut w = Words::new(r);
    set_transport(ev, w.next()?.trim_end_matches(','));
    w.word("from")?;
    set_ep(ev, &SRC, &ep(w.next()?)?);
    w.word("to")?;
    set_ep(ev, &DST, &ep(w.next()?)?);
    Some(())
}

/// 710003 `{TCP|UDP} access denied by ACL from ip/port to iface:ip/port`.
fn acl_to_box(b: &str, ev: &mut Event) -> Option<()> {
    deny(ev, "firewall-rule-deny");
    let mut w = Words::new(b);
    set_transport(ev, w.next()?);
    w.skip_to("from")?;
    set_ep(ev, &SRC, &ep(w.next()?)?);
    w.word("to")?;
    let d = ep(w.next()?)?;
    set_ep(ev, &DST, &d);
    set_ingress(ev, d.iface);
    Some(())
}

// ------------------------------------------------------------ users, VPN

/// The value after `key = ` (or `key: `) up to the next ` : `, `, ` or
/// the end; the key must start the text or follow a space or a comma.
///
/// Found from the separators: each `=` or `:` is a candidate, the text
/// before it (spaces trimmed) must end with the key. One pass over the
/// bytes, where searching the key and the value's end with std's
/// substring searchers cost more in set-up than in search (measured).
fn kv<'a>(b: &'a str, key: &str) -> Option<&'a str> {
    let bytes = b.as_bytes();
    for (at, &c) in bytes.iter().enumerate() {
        if c != b'=' && c != b':' {
            continue;
        }
        let Some(head) = b
            .get(..at)
            .and_then(|h| h.trim_end_matches(' ').strip_suffix(key))
        else {
            continue;
        };
        if !(head.is_empty() || head.ends_with(' ') || head.ends_with(',')) {
            continue;
        }
        let r = b.get(at + 1..)?.trim_start_matches(' ');
        let rb = r.as_bytes();
        let end = (0..rb.len())
            .find(|&i| {
                rb.get(i..)
                    .is_some_and(|t| t.starts_with(b" : ") || t.starts_with(b", "))
            })
            .unwrap_or(r.len());
        return r.get(..end).map(|v| v.trim_end_matches([' ', '.']));
    }
    None
}

/// 113004 `AAA user authentication Successful : server = ip : user = u`,
/// 113005 `AAA user authentication Rejected : reason = R : server = ip :
/// user = u : user IP = ip`, 113015 `... Rejected : reason = R : local
/// database : user = u : user IP = ip`.
fn aaa(id: u32, b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.category"), "authentication");
    let ok = id == 113004;
    outcome(ev, "user-authentication", "start", ok);
    let r = b.strip_prefix("AAA user ")?;
    let kind = super::split_byte(r, b' ').next()?;
    ev.set(key!("cisco.asa.aaa_type"), kind);
    if let Some(s) = kv(b, "server") {
        set_addr(ev, &DST, s);
    }
    if let Some(reason) = kv(b, "reason") {
        ev.set(key!("event.reason"), reason);
    }
    if let Some(ip) = kv(b, "user IP") {
        set_addr(ev, &SRC, ip);
    }
    set_user(ev, kv(b, "user")?);
    Some(())
}

/// 113019 `Group = G, Username = U, IP = ip, Session disconnected. Session
/// Type: T, Duration: D, Bytes xmt: N, Bytes rcv: N, Reason: R`.
fn vpn_disconnected(b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.category"), "session");
    outcome(ev, "vpn-session-disconnected", "end", true);
    if let Some(g) = kv(b, "Group") {
        ev.set(key!("cisco.asa.group_policy"), g);
    }
    if let Some(ty) = kv(b, "Session Type") {
        ev.set(key!("cisco.asa.session_type"), ty);
    }
    if let Some(d) = kv(b, "Duration") {
        if let Some(ns) = vpn_duration(d) {
            ev.set(key!("event.duration"), ns);
        }
    }
    let xmt = kv(b, "Bytes xmt").and_then(int);
    let rcv = kv(b, "Bytes rcv").and_then(int);
    if let Some(x) = xmt {
        ev.set(key!("source.bytes"), x);
    }
    if let Some(r) = rcv {
        ev.set(key!("destination.bytes"), r);
    }
    if let (Some(x), Some(r)) = (xmt, rcv) {
        ev.set(key!("network.bytes"), x.saturating_add(r));
    }
    if let Some(r) = kv(b, "Reason") {
        ev.set(key!("event.reason"), r);
    }
    set_addr(ev, &SRC, kv(b, "IP")?);
    set_user(ev, kv(b, "Username")?);
    Some(())
}

/// `[Nd ]Hh:Mm:Ss` as nanoseconds.
fn vpn_duration(d: &str) -> Option<i64> {
    let (days, hms) = match d.split_once("d ") {
        Some((n, r)) => (int(n)?, r),
        None => (0, d),
    };
    days.checked_mul(86_400_000_000_000)?
        .checked_add(duration_ns(hms)?)
}

/// 605004/605005 `Login {denied|permitted} from ip/port to iface:ip/service
/// for user "u"`.
fn login(id: u32, b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.category"), "authentication");
    outcome(ev, "login", "start", id == 605005);
    let mut w = Words::new(b);
    w.word("Login")?;
    w.next()?;
    w.word("from")?;
    set_ep(ev, &SRC, &ep(w.next()?)?);
    w.word("to")?;
    let d = ep(w.next()?)?;
    set_ep(ev, &DST, &d);
    set_ingress(ev, d.iface);
    w.word("for")?;
    w.word("user")?;
    let u = w.rest();
    let u = u
        .strip_prefix('"')
        .and_then(|u| super::split_once_byte(u, b'"'))
        .map_or(u, |(u, _)| u);
    set_user(ev, u);
    Some(())
}

/// 611101 `User authentication succeeded: IP address: ip, Uname: u`,
/// 611102 `User authentication failed: ...`, 611103 `User logged out:
/// Uname: u`.
fn local_auth(id: u32, b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.category"), "authentication");
    match id {
        611101 => outcome(ev, "user-authentication", "start", true),
        611102 => outcome(ev, "user-authentication", "start", false),
        _ => outcome(ev, "logout", "end", true),
    }
    if let Some(ip) = kv(b, "IP address") {
        set_addr(ev, &SRC, ip);
    }
    set_user(ev, kv(b, "Uname")?);
    Some(())
}

/// `Group <G> User <U> IP <ip> ...`: AnyConnect (722022, 722023, 722051)
/// and WebVPN (716001, 716002) sessions.
fn vpn_session(id: u32, b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.category"), "session");
    let (action, ty) = match id {
        722022 => ("vpn-connection-established", "start"),
        722023 => ("vpn-connection-terminated", "end"),
        722051 => ("vpn-address-assigned", "info"),
        716001 => ("webvpn-session-started", "start"),
        113039 => ("anyconnect-session-started", "start"),
        _ => ("webvpn-session-terminated", "end"),
    };
    outcome(ev, action, ty, true);
    let angle = |r: &str| -> Option<(usize, usize)> {
        let open = r.bytes().position(|c| c == b'<')?;
        let close = open + r.get(open..)?.find('>')?;
        Some((open + 1, close))
    };
    let mut r = b;
    let mut user = None;
    let mut ip = None;
    for key in ["Group", "User", "IP"] {
        r = r.trim_start_matches(' ').strip_prefix(key)?;
        // `<value>`, or (as the message catalogue writes 716001/716002)
        // a bare word.
        let (o, c) = if r.trim_start_matches(' ').starts_with('<') {
            angle(r)?
        } else {
            let o = r.len() - r.trim_start_matches(' ').len();
            let n = r.get(o..)?.find(' ').unwrap_or(r.len() - o);
            (o, o + n)
        };
        if c == o {
            return None;
        }
        let v = r.get(o..c)?;
        match key {
            "Group" => ev.set(key!("cisco.asa.group_policy"), v),
            "User" => user = Some(v),
            _ => ip = Some(v),
        }
        r = r.get(c + 1..)?;
    }
    if let Some(u) = user {
        set_user(ev, u);
    }
    if let Some(ip) = ip {
        set_addr(ev, &SRC, ip);
    }
    let rest = r.trim();
    if id == 722051 {
        if let Some(a) = rest
            .strip_prefix("IPv4 Address <")
            .and_then(|a| super::split_once_byte(a, b'>'))
        {
            if super::is_ip(a.0) {
                ev.set(key!("source.nat.ip"), a.0);
            }
        }
    } else if let Some((_, reason)) = rest.split_once(": ") {
        ev.set(key!("event.reason"), reason.trim_end_matches('.'));
    }
    if rest.contains(" SVC ") || rest.starts_with("SVC ") || id == 722051 {
        ev.set(key!("cisco.asa.vpn_type"), "anyconnect");
    } else if rest.starts_with("WebVPN") {
        ev.set(key!("cisco.asa.vpn_type"), "webvpn");
    }
    Some(())
}

/// 400000-400050, the built-in IPS signatures: `IPS:2003 ICMP redirect
/// from 10.4.1.2 to 10.2.1.1 on interface dmz`.
fn ips(b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.category"), "intrusion_detection");
    ev.set(key!("event.kind"), "alert");
    ev.set(key!("event.action"), "ips-signature");
    let r = b.strip_prefix("IPS:")?;
    let (sig, r) = super::split_once_byte(r, b' ')?;
    if sig.is_empty() || !sig.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    ev.set(key!("rule.id"), sig);
    let (name, r) = r.rsplit_once(" from ")?;
    ev.set(key!("rule.name"), name.trim());
    let (src, r) = r.split_once(" to ")?;
    let (dst, iface) = r.split_once(" on interface ")?;
    set_addr(ev, &SRC, src.trim());
    set_addr(ev, &DST, dst.trim());
    set_ingress(ev, Some(iface.trim().trim_end_matches('.')));
    Some(())
}

/// The text between the first pair of single quotes in `s`, and what
/// follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let r = s.split_once('\'')?.1;
    r.split_once('\'')
}

/// 111008 `User 'u' executed the 'cmd' command.`, 111010 `User 'u',
/// running 'app' from IP ip, executed 'cmd'`.
fn command(b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.category"), "configuration");
    outcome(ev, "command-executed", "change", true);
    let r = b.strip_prefix("User ")?;
    let (user, r) = quoted(r)?;
    set_user(ev, user);
    if let Some(r) = r.strip_prefix(", running ") {
        let (app, r) = quoted(r)?;
        ev.set(key!("cisco.asa.application"), app);
        if let Some(ip) = r
            .strip_prefix(" from IP ")
            .and_then(|x| super::split_once_byte(x, b','))
        {
            set_addr(ev, &SRC, ip.0);
        }
        let cmd = r.split_once("executed ")?.1;
        let cmd = quoted(cmd).map_or(cmd, |(c, _)| c);
        ev.set(key!("process.command_line"), cmd);
        return Some(());
    }
    let (cmd, _) = quoted(r)?;
    ev.set(key!("process.command_line"), cmd);
    Some(())
}

/// 733100 `[ Object] drop rate-N exceeded. Current burst rate is N per
/// second, max configured rate is N; Current average rate is N per second,
/// max configured rate is N; Cumulative total count is N`.
fn threat_rate(b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.category"), "intrusion_detection");
    ev.set(key!("event.action"), "threat-detection-rate-exceeded");
    ev.set(key!("event.type"), "info");
    ev.set(key!("event.kind"), "alert");
    let r = b.strip_prefix('[')?;
    let (object, r) = super::split_once_byte(r, b']')?;
    ev.set(key!("cisco.asa.threat_detection.object"), object.trim());
    let r = r.trim_start().strip_prefix("drop ")?;
    let (rate, r) = r.split_once(" exceeded")?;
    ev.set(key!("cisco.asa.threat_detection.rate_id"), rate);
    let num_after = |key: &str| {
        r.split_once(key)
            .and_then(|(_, v)| super::split_byte(v, b' ').next())
            .and_then(int)
    };
    if let Some(n) = num_after("Current burst rate is ") {
        ev.set(key!("cisco.asa.threat_detection.burst_rate"), n);
    }
    if let Some(n) = num_after("Current average rate is ") {
        ev.set(key!("cisco.asa.threat_detection.average_rate"), n);
    }
    ev.set(
        "cisco.asa.threat_detection.total_count",
        num_after("Cumulative total count is ")?,
    );
    Some(())
}

/// 733102 `Threat-detection adds host ip to shun list`.
fn shun(b: &str, ev: &mut Event) -> Option<()> {
    ev.set(key!("event.category"), "intrusion_detection");
    deny(ev, "host-shunned");
    let r = b.strip_prefix("Threat-detection adds host ")?;
    let ip = super::split_byte(r, b' ').next()?;
    set_addr(ev, &SRC, ip);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;
    use vedette_model::{FieldValue, Origin};

    /// `kv` as first written, by substring search: the reference the
    /// one-pass `kv` is held to.
    fn kv_by_search<'a>(b: &'a str, key: &str) -> Option<&'a str> {
        let mut from = 0;
        while let Some(i) = b.get(from..).and_then(|r| r.find(key)) {
            let at = from + i;
            let before = b.get(..at).unwrap_or("");
            from = at + key.len();
            if !(before.is_empty() || before.ends_with(' ') || before.ends_with(',')) {
                continue;
            }
            let r = b.get(from..)?.trim_start_matches(' ');
            let r = match r.strip_prefix('=').or_else(|| r.strip_prefix(':')) {
                Some(r) => r.trim_start_matches(' '),
                None => continue,
            };
            let end = [r.find(" : "), r.find(", ")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(r.len());
            return r.get(..end).map(|v| v.trim_end_matches([' ', '.']));
        }
        None
    }

    proptest! {
        #[test]
        fn kv_is_kv_by_search(
            parts in prop::collection::vec(prop::sample::select(vec![
                "user", "user IP", "IP", "server", " ", " = ", "=", ":", " : ", ", ", ",", ".",
                "1.2.3.4", "fe80::1", "bob", "é", "Duration: 0h:01m:05s",
            ]), 0..12),
            key in prop::sample::select(vec!["user", "user IP", "IP", "server", "Duration"]),
        ) {
            let b = parts.concat();
            prop_assert_eq!(kv(&b, key), kv_by_search(&b, key), "{:?}", b);
        }
    }

    fn ev() -> Event {
        Event::raw(
            1,
            datetime!(2026-11-25 03:00:00 UTC),
            Origin::new("t", None),
            b"",
        )
    }

    fn run(text: &str) -> (Event, Result<(), ParseError>) {
        let mut e = ev();
        assert!(detect(text), "{text}");
        let r = parse(text, &mut e);
        (e, r)
    }

    fn s<'a>(e: &'a Event, k: &str) -> Option<&'a str> {
        e.get_str(k)
    }

    fn i(e: &Event, k: &str) -> Option<i64> {
        match e.get(k) {
            Some(FieldValue::Int(n)) => Some(*n),
            _ => None,
        }
    }

    #[test]
    fn variants_seen_in_published_lines() {
        // No colon after the id; the message catalogue's IPS example.
        let (e, r) =
            run("%ASA-4-400013 IPS:2003 ICMP redirect from 10.4.1.2 to 10.2.1.1 on interface dmz");
        r.unwrap();
        assert_eq!(s(&e, "event.code"), Some("400013"));
        assert_eq!(s(&e, "rule.id"), Some("2003"));
        assert_eq!(s(&e, "rule.name"), Some("ICMP redirect"));
        assert_eq!(s(&e, "source.ip"), Some("10.4.1.2"));
        assert_eq!(s(&e, "destination.ip"), Some("10.2.1.1"));
        assert_eq!(s(&e, "observer.ingress.interface.name"), Some("dmz"));
        let (e, r) = run("%ASA-6-302016 Teardown UDP connection 40 for outside:10.44.4.4/500 to inside:10.44.2.2/500 duration 0:02:02 bytes 1416");
        r.unwrap();
        assert_eq!(i(&e, "network.bytes"), Some(1416));
        // A message class between ASA and the severity.
        let (e, r) = run("EDT: %ASA-session-5-106100: access-list acl_in permitted tcp inside/10.1.2.16(2241) -> outside/192.168.0.89(2000) hit-cnt 1 first hit [0x71a87d94, 0x0]");
        r.unwrap();
        assert_eq!(s(&e, "event.code"), Some("106100"));
        assert_eq!(i(&e, "cisco.asa.severity"), Some(5));
        assert_eq!(s(&e, "rule.name"), Some("acl_in"));
        assert!(!detect("%ASA-Session-5-106100: x"));
        assert!(!detect("%ASA-6-302016Teardown"));
        // An identity-firewall user with a space, written right after
        // the port.
        let (e, r) = run("%ASA-6-302014: Teardown TCP connection 261246338 for outside:67.43.156.15/63790(LOCAL\\First Last) to inside:192.168.0.1/53 duration 0:35:58 bytes 27451 TCP FINs from outside (First Last)");
        r.unwrap();
        assert_eq!(s(&e, "source.ip"), Some("67.43.156.15"));
        assert_eq!(i(&e, "source.port"), Some(63790));
        assert_eq!(s(&e, "destination.ip"), Some("192.168.0.1"));
        assert_eq!(s(&e, "user.name"), Some("First Last"));
        assert_eq!(s(&e, "event.reason"), Some("TCP FINs"));
        let (e, r) = run("%FTD-4-313005: No matching connection for ICMP error message: icmp src srcif:192.168.2.2(LOCAL\\testgroup\\testuser) dst dstif:192.168.2.3 (type 3, code 3) on myif interface.  Original IP payload: udp src 192.168.2.2/53 dst 192.168.2.3/10872.");
        r.unwrap();
        assert_eq!(s(&e, "source.ip"), Some("192.168.2.2"));
        assert_eq!(s(&e, "user.name"), Some("LOCAL\\testgroup\\testuser"));
        // An unclosed parenthesis is no user.
        let (e, _) = run("%ASA-6-302014: Teardown TCP connection 1 for outside:1.2.3.4/5(LOCAL\\x (y) to inside:5.6.7.8/9 duration 0:00:01 bytes 1");
        assert_eq!(s(&e, "user.name"), None);
        // 716002 as the catalogue writes it, without angle brackets.
        let (e, r) = run("%ASA-6-716002: Group another-policy User alice IP 192.168.50.1 WebVPN session terminated: Idle timeout.");
        r.unwrap();
        assert_eq!(s(&e, "user.name"), Some("alice"));
        assert_eq!(s(&e, "source.ip"), Some("192.168.50.1"));
        assert_eq!(s(&e, "cisco.asa.group_policy"), Some("another-policy"));
        assert_eq!(s(&e, "event.reason"), Some("Idle timeout"));
    }

    #[test]
    fn headers() {
        assert_eq!(
            header("%ASA-6-302013: Built"),
            Some((
                Header {
                    ftd: false,
                    severity: 6,
                    id: 302013
                },
                15
            ))
        );
        assert!(header(": %FTD-4-106023: x").is_some_and(|(h, _)| h.ftd));
        assert!(header("Nov 25 2026 10:00:00: %ASA-4-106023: x").is_some());
        assert!(header("%ASA-8-106023: x").is_none());
        assert!(header("%ASA-6-: x").is_none());
        // Without the colon (older releases, the catalogue's examples).
        assert!(header("%ASA-6-302013 x").is_some());
        assert!(header("%ASA-6-302013x").is_none());
        assert!(header("hello %ASA-6-302013: x").is_none());
        assert!(!detect("Built something"));
        assert!(!detect(""));
        assert!(!detect("%"));
    }

    #[test]
    fn built_outbound_swaps_sides() {
        let (e, r) = run("%ASA-6-302013: Built outbound TCP connection 1234 for outside:93.184.216.34/443 (93.184.216.34/443) to inside:10.0.0.5/51234 (198.51.100.1/51234)");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "source.ip"), Some("10.0.0.5"));
        assert_eq!(i(&e, "source.port"), Some(51234));
        assert_eq!(s(&e, "source.nat.ip"), Some("198.51.100.1"));
        assert_eq!(s(&e, "destination.ip"), Some("93.184.216.34"));
        assert_eq!(s(&e, "observer.ingress.interface.name"), Some("inside"));
        assert_eq!(s(&e, "observer.egress.interface.name"), Some("outside"));
        assert_eq!(s(&e, "network.direction"), Some("outbound"));
        assert_eq!(i(&e, "cisco.asa.connection_id"), Some(1234));
        assert_eq!(s(&e, "network.transport"), Some("tcp"));
    }

    #[test]
    fn ipv6_and_users() {
        let (e, r) = run("%ASA-6-302015: Built inbound UDP connection 9 for outside:2001:db8::1/5353 (2001:db8::1/5353) (LOCAL\\bob) to inside:2001:db8:1::10/53 (2001:db8:1::10/53)");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "source.ip"), Some("2001:db8::1"));
        assert_eq!(i(&e, "source.port"), Some(5353));
        assert_eq!(s(&e, "user.name"), Some("LOCAL\\bob"));
        assert_eq!(s(&e, "destination.nat.ip"), None, "identity NAT");
    }

    #[test]
    fn teardown_reason_and_duration() {
        let (e, r) = run("%ASA-6-302014: Teardown TCP connection 43 for outside:203.0.113.5/51234 to inside:10.0.0.10/443 duration 1:02:03 bytes 12345 TCP FINs from outside (alice)");
        assert_eq!(r, Ok(()));
        assert_eq!(i(&e, "event.duration"), Some(3723 * 1_000_000_000));
        assert_eq!(i(&e, "network.bytes"), Some(12345));
        assert_eq!(s(&e, "event.reason"), Some("TCP FINs"));
        assert_eq!(s(&e, "cisco.asa.termination_initiator"), Some("outside"));
        assert_eq!(s(&e, "user.name"), Some("alice"));
    }

    #[test]
    fn broken_record_keeps_fields() {
        let (e, r) = run("%ASA-6-302014: Teardown TCP connection 43 for outside:203.0.113.5/51234 to inside:10.0.0.10/443 duration soon");
        assert!(r.is_err());
        assert_eq!(s(&e, "source.ip"), Some("203.0.113.5"));
        assert_eq!(s(&e, "event.code"), Some("302014"));
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("asa: expected the documented text of the message at byte 15".into())
        );
    }

    #[test]
    fn denies() {
        let (e, r) = run("%ASA-4-106023: Deny icmp src outside:203.0.113.5 dst inside:10.0.0.1 (type 8, code 0) by access-group \"outside_access_in\" [0x0, 0x0]");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "rule.name"), Some("outside_access_in"));
        assert_eq!(i(&e, "cisco.asa.icmp_type"), Some(8));
        assert_eq!(i(&e, "cisco.asa.icmp_code"), Some(0));
        assert_eq!(s(&e, "event.outcome"), Some("failure"));
        let (e, r) = run("%ASA-4-106023: Deny protocol 47 src outside:203.0.113.5 dst inside:10.0.0.1 by access-group \"acl\" [0x0, 0x0]");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "network.transport"), Some("gre"));
        let (e, r) = run("%ASA-2-106001: Inbound TCP connection denied from 203.0.113.5/4444 to 10.0.0.1/80 flags SYN  on interface outside");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "cisco.asa.tcp_flags"), Some("SYN"));
        assert_eq!(s(&e, "observer.ingress.interface.name"), Some("outside"));
        let (e, r) = run("%ASA-2-106007: Deny inbound UDP from 203.0.113.5/53 to 10.0.0.1/5353 due to DNS Response.");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "event.reason"), Some("DNS Response"));
        let (e, r) = run("%ASA-1-106021: Deny TCP reverse path check from 10.0.0.9 to 203.0.113.1 on interface outside");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "source.ip"), Some("10.0.0.9"));
    }

    #[test]
    fn users_and_vpn() {
        let (e, r) = run("%ASA-6-113004: AAA user authentication Successful : server =  10.0.0.20 : user = alice");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "user.name"), Some("alice"));
        assert_eq!(s(&e, "destination.ip"), Some("10.0.0.20"));
        let (e, r) =
            run("%ASA-6-611101: User authentication succeeded: IP address: 10.0.0.5, Uname: admin");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "source.ip"), Some("10.0.0.5"));
        assert_eq!(s(&e, "user.name"), Some("admin"));
        let (e, r) = run("%ASA-6-611103: User logged out: Uname: admin");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "event.action"), Some("logout"));
        let (e, r) = run("%ASA-6-716002: Group <DfltGrpPolicy> User <bob> IP <203.0.113.7> WebVPN session terminated: User Requested.");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "event.reason"), Some("User Requested"));
        assert_eq!(s(&e, "source.ip"), Some("203.0.113.7"));
        let (e, r) = run(
            "%ASA-5-111010: User 'admin', running 'CLI' from IP 10.0.0.5, executed 'write memory'",
        );
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "process.command_line"), Some("write memory"));
        assert_eq!(
            vpn_duration("1d 2h:03m:04s"),
            Some((86400 + 7384) * 1_000_000_000)
        );
    }

    #[test]
    fn unknown_ids_get_the_header() {
        let (e, r) = run("%ASA-7-609001: Built local-host inside:10.0.0.5");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "event.code"), Some("609001"));
        assert_eq!(s(&e, "log.level"), Some("debug"));
        assert_eq!(s(&e, "message"), Some("Built local-host inside:10.0.0.5"));
    }

    #[test]
    fn tag_in_process_name() {
        let mut e = ev();
        e.set(key!("process.name"), "%ASA-4-106023");
        let t = "Deny tcp src outside:203.0.113.5/1 dst inside:10.0.0.1/22 by access-group \"x\" [0x0, 0x0]";
        assert!(detect(t));
        assert_eq!(parse(t, &mut e), Ok(()));
        assert_eq!(s(&e, "event.code"), Some("106023"));
        let mut e = ev();
        assert!(parse(t, &mut e).is_err());
    }
}
