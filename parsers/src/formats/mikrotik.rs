//! MikroTik RouterOS logs: a comma-separated list of topics
//! (`firewall,info`, `system,info,account`) then the message.
//!
//! Recognized messages:
//!
//! - firewall `log=yes` lines: `[prefix ]chain: in:ether1 out:(unknown 0),
//!   connection-state:new src-mac 00:0c:29:aa:bb:cc, proto TCP (SYN),
//!   203.0.113.7:51234->10.0.0.1:22, [NAT (a->b)->c, ]len 60`;
//! - account lines: `user admin logged in from 10.0.0.5 via ssh`,
//!   `user admin logged out from ...`, `login failure for user admin from
//!   10.0.0.5 via winbox`;
//! - with topics, configuration changes: `mangle rule added by admin`.
//!
//! RouterOS sends the topics as the first word of the syslog MSG (or right
//! after the PRI); when the syslog header has no host name, the topics
//! were read as `host.name` and the chain as the TAG: both are put back.

use vedette_model::{Event, LogSource};

use crate::ParseError;

const P: &str = "mikrotik";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "mikrotik",
    fields: 32,
    // A JSON object is never RouterOS's.
    first: |b| b != b'{',
    open: |b| matches!(b, b' ' | b'i' | b'l' | b'u'),
    needs: b"",
    gate: Some(gate),
    detect,
    parse,
    claim: Some(claim),
};

/// See [`super::Format::gate`], past `open` (firewall lines that start
/// with `in:`, account lines with `login`/`user`): a firewall line has a
/// chain word ending in `:` then `in:` as its first or second word (after
/// a one-word prefix), or after a longer prefix, before the first `: in:`
/// in its first 132 bytes; with topics (`system,info,account`: lowercase, the
/// first word) any message may be a configuration change. Reads up to the
/// second space, and past it only to search the head for `: in:`.
fn gate(p: &super::Probe<'_>) -> bool {
    let lower = p.first.is_ascii_lowercase();
    if !lower && !p.colon() {
        return false;
    }
    let t = p.text;
    let Some(s1) = memchr::memchr(b' ', t) else {
        return lower && t.contains(&b',');
    };
    let (w1, r1) = t.split_at(s1);
    if lower && w1.contains(&b',') {
        return true;
    }
    let r1 = r1.get(1..).unwrap_or_default();
    p.colon()
        && (chain_then_in(w1, r1)
            || memchr::memchr(b' ', r1).is_some_and(|s2| {
                let (w2, r2) = r1.split_at(s2);
                chain_then_in(w2, r2.get(1..).unwrap_or_default())
            })
            // A log prefix with spaces: see `firewall_head`.
            || CHAIN_IN.find(head(t)).is_some())
}

/// A word that ends in `:`, then `in:`: `forward: in:ether1`.
fn chain_then_in(word: &[u8], rest: &[u8]) -> bool {
    word.last() == Some(&b':') && rest.starts_with(b"in:")
}

/// The severity topics, most severe first: every message carries one.
const SEVERITY_TOPICS: &[(&str, &str)] = &[
    ("critical", "critical"),
    ("error", "error"),
    ("warning", "warning"),
    ("info", "informational"),
    ("debug", "debug"),
    ("packet", "debug"),
    ("raw", "debug"),
];

/// At most this many tokens of a firewall line are read.
const MAX_TOKENS: usize = 64;

/// Whether `w` is a topic list: comma-separated lowercase words, one of
/// them a severity topic.
fn is_topics(w: &str) -> bool {
    if w.len() > 128 || !w.as_bytes().contains(&b',') {
        return false;
    }
    let mut severity = false;
    for t in super::split_byte(w, b',') {
        if t.is_empty()
            || !t
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        {
            return false;
        }
        severity |= SEVERITY_TOPICS.iter().any(|(s, _)| *s == t);
    }
    severity
}

/// The topics at the start of `text`, and the message after them.
fn split_topics(text: &str) -> (Option<&str>, &str) {
    let t = text.trim_start_matches(' ');
    match super::split_once_byte(t, b' ') {
        Some((w, rest)) if is_topics(w) => (Some(w), rest.trim_start_matches(' ')),
        None if is_topics(t) => (Some(t), ""),
        _ => (None, t),
    }
}

fn is_chain(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 64
        && w.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
}

/// `in:<iface> out:` at the start of `s`.
fn starts_with_interfaces(s: &str) -> bool {
    let Some(r) = s.strip_prefix("in:") else {
        return false;
    };
    // `in:(unknown 0)` when there is no interface.
    let n = if r.starts_with('(') {
        r.bytes()
            .take(65)
            .position(|c| c == b')')
            .map_or(65, |p| p + 1)
    } else {
        r.bytes().take(65).take_while(|c| *c != b' ').count()
    };
    n > 0 && n <= 64 && r.get(n..).is_some_and(|r| r.starts_with(" out:"))
}

/// A firewall line: the log prefix, the chain and the text from `in:`.
fn firewall_head(s: &str) -> Option<(Option<&str>, &str, &str)> {
    let (w1, r1) = super::split_once_byte(s, b' ')?;
    if let Some(chain) = w1.strip_suffix(':') {
        if is_chain(chain) && starts_with_interfaces(r1) {
            return Some((None, chain, r1));
        }
    }
    if let Some((w2, r2)) = super::split_once_byte(r1, b' ') {
        if let Some(chain) = w2.strip_suffix(':') {
            let prefix = w1.trim_end_matches(':');
            if !prefix.is_empty()
                && prefix.len() <= 64
                && is_chain(chain)
                && starts_with_interfaces(r2)
            {
                return Some((Some(prefix), chain, r2));
            }
        }
    }
    // A log prefix with spaces in it (`drop !LAN input: in:pppoe ...`):
    // the chain is the word before the first `: in:`.
    let at = CHAIN_IN.find(head(s.as_bytes()))?;
    let (before, rest) = (s.get(..at)?, s.get(at + 2..)?);
    let (prefix, chain) = super::rsplit_once_byte(before, b' ')?;
    let prefix = prefix.trim_end_matches([' ', ':']);
    (!prefix.is_empty() && prefix.len() <= 64 && is_chain(chain) && starts_with_interfaces(rest))
        .then_some((Some(prefix), chain, rest))
}

/// Where a log prefix and a chain end: `: in:`, looked for in [`head`].
static CHAIN_IN: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b": in:"));

/// The first bytes of a text, as far as a log prefix (64) and a chain (64)
/// with their separators reach.
fn head(b: &[u8]) -> &[u8] {
    b.get(..132).unwrap_or(b)
}

/// A firewall line whose chain the syslog parser took for the TAG.
fn bare_interfaces(s: &str) -> bool {
    starts_with_interfaces(s) && s.contains(", proto ")
}

/// An account line: `(login, success)`, the user, the address, the method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Account<'a> {
    action: &'static str,
    success: bool,
    user: &'a str,
    ip: &'a str,
    via: &'a str,
}

fn account(s: &str) -> Option<Account<'_>> {
    let (action, success, user, r) = if let Some(r) = s.strip_prefix("login failure for user ") {
        let (user, r) = super::split_once_byte(r, b' ')?;
        ("login", false, user, r)
    } else {
        let (user, r) = s.strip_prefix("user ")?.split_once(' ')?;
        match r.strip_prefix("logged in ") {
            Some(r) => ("login", true, user, r),
            None => ("logout", true, user, r.strip_prefix("logged out ")?),
        }
    };
    let r = r.strip_prefix("from ")?;
    let (ip, r) = super::split_once_byte(r, b' ')?;
    if !super::is_ip(ip) {
        return None;
    }
    let via = r.strip_prefix("via ")?.trim_end();
    if user.is_empty() || via.is_empty() || via.contains(' ') {
        return None;
    }
    Some(Account {
        action,
        success,
        user,
        ip,
        via,
    })
}

/// `<object> added|changed|removed|moved|enabled|disabled by <who>`.
fn config_change(s: &str) -> Option<(&str, &str, &str)> {
    let (what, who) = s.rsplit_once(" by ")?;
    let (object, verb) = super::rsplit_once_byte(what, b' ')?;
    if !matches!(
        verb,
        "added" | "changed" | "removed" | "moved" | "enabled" | "disabled"
    ) || object.is_empty()
    {
        return None;
    }
    let who = super::split_byte(who, b' ').next()?;
    (!who.is_empty()).then_some((object, verb, who))
}

/// What a RouterOS message says.
enum Kind<'a> {
    /// A firewall line: its log prefix, chain and the text from `in:`.
    Firewall(Option<&'a str>, &'a str, &'a str),
    /// A firewall line whose chain the syslog parser took for the TAG.
    Bare,
    Account(Account<'a>),
    /// A configuration change: the object, the verb and who.
    Config(&'a str, &'a str, &'a str),
    /// Any other message after RouterOS topics (`pptp,ppp,info <pptp-x>:
    /// connected`): kept with its topics and level.
    Other,
}

/// What `msg` says. Detection (`need_topics`) takes a configuration
/// change only after topics: `x changed by y` alone is too common.
fn kind<'a>(topics: Option<&str>, msg: &'a str, need_topics: bool) -> Option<Kind<'a>> {
    if let Some((prefix, chain, rest)) = firewall_head(msg) {
        Some(Kind::Firewall(prefix, chain, rest))
    } else if bare_interfaces(msg) {
        Some(Kind::Bare)
    } else if let Some(a) = account(msg) {
        Some(Kind::Account(a))
    } else if topics.is_some() || !need_topics {
        match config_change(msg) {
            Some((object, verb, who)) => Some(Kind::Config(object, verb, who)),
            None => topics.map(|_| Kind::Other),
        }
    } else {
        None
    }
}

/// What detection finds: the topics, the message and what it says. A JSON
/// object is never RouterOS's (its gate skips them too).
fn detected(text: &str) -> Option<(Option<&str>, &str, Kind<'_>)> {
    if text.starts_with('{') {
        return None;
    }
    let (topics, msg) = split_topics(text);
    Some((topics, msg, kind(topics, msg, true)?))
}

fn detect(text: &str) -> bool {
    detected(text).is_some()
}

fn claim(text: &str, ev: &mut Event) -> Option<Result<(), ParseError>> {
    let (topics, msg, k) = detected(text)?;
    super::begin(ev, &FORMAT);
    Some(parse_kind(text, topics, msg, Some(k), ev))
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    let (topics, msg) = split_topics(text);
    let k = kind(topics, msg, false);
    parse_kind(text, topics, msg, k, ev)
}

/// Parses `text`, split into its topics and `msg`, which says `k`.
fn parse_kind(
    text: &str,
    mut topics: Option<&str>,
    msg: &str,
    k: Option<Kind<'_>>,
    ev: &mut Event,
) -> Result<(), ParseError> {
    ev.logsource = LogSource::new(Some("mikrotik"), None, &[]);
    ev.set(key!("observer.vendor"), "MikroTik");
    ev.set(key!("observer.product"), "RouterOS");
    ev.set(key!("event.kind"), "event");
    // A header without a host name: the topics became `host.name`.
    if topics.is_none() {
        if let Some(h) = ev.get_str("host.name").filter(|h| is_topics(h)) {
            let h = h.to_string();
            ev.fields.remove("host.name");
            set_topics(ev, &h);
        }
    }
    if let Some(t) = topics.take() {
        set_topics(ev, t);
    }
    ev.set(key!("message"), msg);
    let at = text.len() - msg.len();
    let ok = match k {
        Some(Kind::Firewall(prefix, chain, rest)) => firewall(prefix, chain, rest, ev),
        Some(Kind::Bare) => match ev.get_str("process.name").filter(|c| is_chain(c)) {
            Some(chain) => {
                let chain = chain.to_string();
                ev.fields.remove("process.name");
                firewall(None, &chain, msg, ev)
            }
            None => firewall(None, "", msg, ev),
        },
        Some(Kind::Account(a)) => {
            set_account(ev, &a);
            Some(())
        }
        Some(Kind::Config(object, verb, who)) => {
            ev.set(key!("event.action"), "config-change");
            ev.set(key!("event.category"), "configuration");
            ev.set(key!("event.type"), "change");
            ev.set(key!("mikrotik.object"), object);
            ev.set(key!("mikrotik.change"), verb);
            set_who(ev, who);
            Some(())
        }
        Some(Kind::Other) => {
            ppp(ev, msg);
            Some(())
        }
        None => None,
    };
    ok.ok_or_else(|| ParseError::expected(P, "a RouterOS firewall or account message", at))
}

fn set_topics(ev: &mut Event, topics: &str) {
    ev.set(key!("mikrotik.topics"), topics);
    if let Some((_, level)) = SEVERITY_TOPICS
        .iter()
        .find(|(s, _)| super::split_byte(topics, b',').any(|t| t == *s))
    {
        ev.set(key!("log.level"), *level);
    }
}

/// `admin`, or v7's `winbox-3.40/tcp-msg(winbox):admin@10.0.0.5`.
fn set_who(ev: &mut Event, who: &str) {
    let who = who.rsplit_once("):").map_or(who, |(_, u)| u);
    match super::rsplit_once_byte(who, b'@') {
        Some((u, ip)) if super::is_ip(ip) => {
            ev.set(key!("source.ip"), ip);
            if !u.is_empty() {
                ev.set(key!("user.name"), u);
            }
        }
        _ => ev.set(key!("user.name"), who),
    }
}

fn set_account(ev: &mut Event, a: &Account<'_>) {
    ev.set(key!("event.category"), "authentication");
    ev.set(key!("event.action"), a.action);
    ev.set(
        "event.type",
        match (a.action, a.success) {
            ("logout", _) => "end",
            (_, true) => "start",
            _ => "info",
        },
    );
    ev.set(
        "event.outcome",
        if a.success { "success" } else { "failure" },
    );
    ev.set(key!("user.name"), a.user);
    ev.set(key!("source.ip"), a.ip);
    ev.set(key!("mikrotik.via"), a.via);
    let proto = match a.via {
        "web" => Some("http"),
        "ssh" | "telnet" | "winbox" | "api" | "ftp" => Some(a.via),
        "api-ssl" => Some("api-ssl"),
        _ => None,
    };
    if let Some(p) = proto {
        ev.set(key!("network.protocol"), p);
    }
}

/// PPP and VPN sessions (PPTP, L2TP, SSTP, OpenVPN, PPPoE): `<pptp-bob>:
/// connected`, `<l2tp-bob>: disconnected`, `bob logged in, 10.8.0.5` (the
/// address given to the client) and `bob logged out, 3600 1200 5400 30 40`
/// (seconds connected, bytes in and out, packets in and out).
fn ppp(ev: &mut Event, msg: &str) {
    if let Some(r) = msg.strip_prefix('<') {
        let Some((iface, what)) = r.split_once(">: ") else {
            return;
        };
        let Some((service, user)) = super::split_once_byte(iface, b'-') else {
            return;
        };
        let (action, ty) = match what.trim_end() {
            "connected" => ("vpn-connected", "start"),
            "disconnected" => ("vpn-disconnected", "end"),
            "authenticated" => ("vpn-authenticated", "info"),
            _ => return,
        };
        session(ev, action, ty, user);
        ev.set(key!("network.protocol"), service);
        return;
    }
    let Some((user, r)) = super::split_once_byte(msg, b' ') else {
        return;
    };
    if let Some(addr) = r.strip_prefix("logged in, ") {
        session(ev, "vpn-logged-in", "start", user);
        if super::is_ip(addr.trim_end()) {
            ev.set(key!("mikrotik.ppp.address"), addr.trim_end());
        }
    } else if let Some(counts) = r.strip_prefix("logged out, ") {
        session(ev, "vpn-logged-out", "end", user);
        let mut n = counts.split(' ').map(|c| c.parse::<i64>().ok());
        if let (Some(Some(secs)), Some(Some(bin)), Some(Some(bout))) =
            (n.next(), n.next(), n.next())
        {
            if let Some(ns) = secs.checked_mul(1_000_000_000) {
                ev.set(key!("event.duration"), ns);
            }
            ev.set(key!("source.bytes"), bin);
            ev.set(key!("destination.bytes"), bout);
        }
    }
}

/// A PPP session's start, end or step, by `user` (when named).
fn session(ev: &mut Event, action: &'static str, ty: &'static str, user: &str) {
    ev.set(key!("event.category"), "session");
    ev.set(key!("event.action"), action);
    ev.set(key!("event.type"), ty);
    if !user.is_empty() {
        ev.set(key!("user.name"), user);
    }
}

/// Splits on spaces outside parentheses.
fn tokens(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let r = rest.trim_start_matches(' ');
        if r.is_empty() {
            rest = r;
            return None;
        }
        let mut depth = 0u32;
        let mut end = r.len();
        for (i, c) in r.bytes().enumerate() {
            match c {
                b'(' => depth = depth.saturating_add(1),
                b')' => depth = depth.saturating_sub(1),
                b' ' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let (t, r2) = r.split_at(end);
        rest = r2;
        Some(t)
    })
    .take(MAX_TOKENS)
}

/// `ip:port`, `[v6]:port`, `ip` or `v6`.
fn ep(s: &str) -> Option<(&str, Option<u16>)> {
    if let Some(r) = s.strip_prefix('[') {
        let (ip, r) = super::split_once_byte(r, b']')?;
        if !super::is_ip(ip) {
            return None;
        }
        let port = match r.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if r.is_empty() => None,
            None => return None,
        };
        return Some((ip, port));
    }
    if super::is_ip(s) {
        return Some((s, None));
    }
    let (ip, port) = super::rsplit_once_byte(s, b':')?;
    ip.parse::<std::net::Ipv4Addr>().ok()?;
    Some((ip, Some(port.parse().ok()?)))
}

fn set_ep(ev: &mut Event, ip_key: &str, port_key: &str, s: &str) -> Option<()> {
    let (ip, port) = ep(s)?;
    ev.set(ip_key, ip);
    if let Some(p) = port {
        ev.set(port_key, i64::from(p));
    }
    Some(())
}

/// `a->b` split at the arrow outside parentheses.
fn arrow(s: &str) -> Option<(&str, &str)> {
    let mut depth = 0u32;
    let b = s.as_bytes();
    for (i, c) in b.iter().enumerate() {
        match c {
            b'(' => depth = depth.saturating_add(1),
            b')' => depth = depth.saturating_sub(1),
            b'-' if depth == 0 && b.get(i + 1) == Some(&b'>') => {
                return Some((s.get(..i)?, s.get(i + 2..)?));
            }
            _ => {}
        }
    }
    None
}

fn iface(s: &str) -> Option<&str> {
    (!s.is_empty() && !s.starts_with('(')).then_some(s)
}

fn firewall(prefix: Option<&str>, chain: &str, rest: &str, ev: &mut Event) -> Option<()> {
    ev.logsource = LogSource::new(Some("mikrotik"), Some("firewall"), &[]);
    ev.set(key!("observer.type"), "firewall");
    ev.set(key!("event.category"), "network");
    if let Some(p) = prefix {
        ev.set(key!("rule.name"), p);
    }
    if !chain.is_empty() {
        ev.set(key!("mikrotik.chain"), chain);
    }
    let mut toks = tokens(rest).map(|t| t.trim_end_matches(',')).peekable();
    let mut addresses = false;
    while let Some(t) = toks.next() {
        if let Some(i) = t.strip_prefix("in:") {
            if let Some(i) = iface(i) {
                ev.set(key!("observer.ingress.interface.name"), i);
            }
        } else if let Some(o) = t.strip_prefix("out:") {
            if let Some(o) = iface(o) {
                ev.set(key!("observer.egress.interface.name"), o);
            }
        } else if let Some(c) = t.strip_prefix("connection-state:") {
            ev.set(key!("mikrotik.connection_state"), c);
        } else if t == "src-mac" {
            super::fortigate::set_mac(ev, key!("source.mac"), toks.next()?);
        } else if t == "proto" {
            let p = toks.next()?;
            let (name, detail) = match super::split_once_byte(p, b' ') {
                Some((n, d)) => (n, Some(d)),
                None => (p, None),
            };
            let name = super::transport_name(name);
            ev.set(key!("network.transport"), name.as_ref());
            // `proto TCP (SYN)` or `proto ICMP (type 8, code 0)`: the
            // parenthesized part is a token of its own when spaced.
            let detail = match detail {
                Some(d) => Some(d),
                None => match toks.peek() {
                    Some(d) if d.starts_with('(') => toks.next(),
                    _ => None,
                },
            };
            if let Some(d) = detail.and_then(|d| d.strip_prefix('(')?.strip_suffix(')')) {
                proto_detail(ev, &name, d);
            }
        } else if t == "NAT" {
            nat(ev, toks.next()?)?;
        } else if t == "len" {
            let n = toks.next()?;
            if n.len() > 9 || !n.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            ev.set(key!("mikrotik.length"), n.parse::<i64>().ok()?);
        } else if !addresses && t.contains("->") {
            let (s, d) = arrow(t)?;
            set_ep(ev, "source.ip", "source.port", s)?;
            set_ep(ev, "destination.ip", "destination.port", d)?;
            addresses = true;
        }
    }
    addresses.then_some(())
}

fn proto_detail(ev: &mut Event, proto: &str, d: &str) {
    if proto.contains("icmp") {
        for part in d.split(", ") {
            if let Some(v) = part
                .strip_prefix("type ")
                .and_then(|v| v.parse::<u8>().ok())
            {
                ev.set(key!("mikrotik.icmp_type"), i64::from(v));
            } else if let Some(v) = part
                .strip_prefix("code ")
                .and_then(|v| v.parse::<u8>().ok())
            {
                ev.set(key!("mikrotik.icmp_code"), i64::from(v));
            }
        }
    } else if !d.is_empty() && d.len() <= 64 {
        ev.set(key!("mikrotik.tcp_flags"), d);
    }
}

/// `(src->nat)->dst` (src-nat), `src->(dst->real)` (dst-nat) or both.
fn nat(ev: &mut Event, t: &str) -> Option<()> {
    let (l, r) = arrow(t)?;
    if let Some(inner) = l.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        let (_, natted) = arrow(inner)?;
        set_ep(ev, "source.nat.ip", "source.nat.port", natted)?;
    }
    if let Some(inner) = r.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        let (public, _) = arrow(inner)?;
        set_ep(ev, "destination.nat.ip", "destination.nat.port", public)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;
    use vedette_model::{FieldValue, Origin};

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
    fn detection() {
        // A log prefix with spaces (crowdsecurity/hub issue 915).
        let line = "drop !LAN input: in:pppoe out:(unknown 0), proto TCP (SYN), 137.124.88.7:43836->137.124.88.8:51104, len 44";
        assert!(detect(line));
        let mut ev = Event::raw(
            1,
            time::OffsetDateTime::UNIX_EPOCH,
            vedette_model::Origin::new("t", None),
            b"",
        );
        assert_eq!(parse(line, &mut ev), Ok(()));
        assert_eq!(ev.get_str("rule.name"), Some("drop !LAN"));
        assert_eq!(ev.get_str("source.ip"), Some("137.124.88.7"));
        assert_eq!(ev.get_str("destination.ip"), Some("137.124.88.8"));
        assert!(!detect("note: in: the box"));
        assert!(!detect("a b c d: in:x"));
        assert!(is_topics("firewall,info"));
        assert!(is_topics("system,info,account"));
        assert!(!is_topics("a,b"));
        assert!(!is_topics("firewall"));
        assert!(detect(
            "input: in:ether1 out:(unknown 0), proto TCP (SYN), 1.2.3.4:1->5.6.7.8:2, len 60"
        ));
        assert!(detect("firewall,info DROP input: in:ether1 out:(none), proto UDP, 1.2.3.4:1->5.6.7.8:2, len 60"));
        assert!(detect("user admin logged in from 10.0.0.5 via ssh"));
        assert!(!detect("user admin logged in from somewhere via ssh"));
        assert!(!detect("input: hello"));
        assert!(!detect("mangle rule added by admin"));
        assert!(detect("system,info mangle rule added by admin"));
        // A prefix of several words (RouterOS allows spaces in it).
        assert!(detect("a b input: in:x out:y"));
        assert!(!detect("a b input: in:x"));
        assert!(!detect(""));
    }

    #[test]
    fn firewall_lines() {
        let (e, r) = run("firewall,info DROP-SSH input: in:ether1 out:(unknown 0), connection-state:new src-mac 00:0c:29:aa:bb:cc, proto TCP (SYN), 203.0.113.7:51234->10.0.0.1:22, len 60");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "rule.name"), Some("DROP-SSH"));
        assert_eq!(s(&e, "mikrotik.chain"), Some("input"));
        assert_eq!(s(&e, "observer.ingress.interface.name"), Some("ether1"));
        assert_eq!(s(&e, "observer.egress.interface.name"), None);
        assert_eq!(s(&e, "source.mac"), Some("00-0C-29-AA-BB-CC"));
        assert_eq!(s(&e, "mikrotik.tcp_flags"), Some("SYN"));
        assert_eq!(s(&e, "mikrotik.connection_state"), Some("new"));
        assert_eq!(i(&e, "destination.port"), Some(22));
        assert_eq!(i(&e, "mikrotik.length"), Some(60));
        assert_eq!(s(&e, "log.level"), Some("informational"));
        assert!(e.logsource.admits(Some("mikrotik"), Some("firewall"), None));

        let (e, r) = run("forward: in:bridge out:ether1, proto TCP (ACK,PSH), 10.0.0.5:51234->203.0.113.9:443, NAT (10.0.0.5:51234->203.0.113.1:51234)->203.0.113.9:443, len 52");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "source.nat.ip"), Some("203.0.113.1"));
        assert_eq!(i(&e, "source.nat.port"), Some(51234));
        assert_eq!(s(&e, "destination.ip"), Some("203.0.113.9"));

        let (e, r) = run("forward: in:ether1 out:bridge, proto TCP (SYN), 198.51.100.4:40000->10.0.0.10:80, NAT 198.51.100.4:40000->(203.0.113.1:8080->10.0.0.10:80), len 60");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "destination.nat.ip"), Some("203.0.113.1"));
        assert_eq!(i(&e, "destination.nat.port"), Some(8080));

        let (e, r) = run("output: in:(unknown 0) out:ether1, proto ICMP (type 8, code 0), 10.0.0.5->8.8.8.8, len 84");
        assert_eq!(r, Ok(()));
        assert_eq!(i(&e, "mikrotik.icmp_type"), Some(8));
        assert_eq!(i(&e, "mikrotik.icmp_code"), Some(0));
        assert_eq!(s(&e, "network.transport"), Some("icmp"));
        assert_eq!(s(&e, "source.port"), None);

        let (e, r) = run("input: in:ether1 out:(unknown 0), proto TCP (SYN), [2001:db8::1]:5000->[2001:db8::2]:22, len 80");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "source.ip"), Some("2001:db8::1"));
        assert_eq!(i(&e, "destination.port"), Some(22));

        let (e, r) = run("input: in:ether1 out:(unknown 0), proto TCP (SYN), garbage->x, len 80");
        assert!(r.is_err());
        assert_eq!(s(&e, "mikrotik.chain"), Some("input"));
    }

    #[test]
    fn chain_as_tag_and_topics_as_host() {
        let mut e = ev();
        e.set(key!("process.name"), "input");
        e.set(key!("host.name"), "firewall,info");
        let t = "in:ether1 out:(unknown 0), proto UDP, 10.0.0.1:520->10.0.0.255:520, len 452";
        assert!(detect(t));
        assert_eq!(parse(t, &mut e), Ok(()));
        assert_eq!(s(&e, "mikrotik.chain"), Some("input"));
        assert_eq!(s(&e, "mikrotik.topics"), Some("firewall,info"));
        assert_eq!(s(&e, "host.name"), None);
        assert_eq!(s(&e, "process.name"), None);
    }

    #[test]
    fn accounts() {
        let (e, r) =
            run("system,error,critical login failure for user admin from 10.0.0.5 via winbox");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "event.outcome"), Some("failure"));
        assert_eq!(s(&e, "user.name"), Some("admin"));
        assert_eq!(s(&e, "mikrotik.via"), Some("winbox"));
        assert_eq!(s(&e, "log.level"), Some("critical"));
        let (e, r) = run("system,info,account user bob logged out from 10.0.0.5 via web");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "event.action"), Some("logout"));
        assert_eq!(s(&e, "network.protocol"), Some("http"));
        let (e, r) = run("system,info filter rule changed by winbox-3.40/tcp-msg(winbox):admin@10.0.0.5 (/ip firewall filter set *1 disabled=yes)");
        assert_eq!(r, Ok(()));
        assert_eq!(s(&e, "user.name"), Some("admin"));
        assert_eq!(s(&e, "source.ip"), Some("10.0.0.5"));
        assert_eq!(s(&e, "mikrotik.object"), Some("filter rule"));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}", t in "[a-z0-9 ():,\\[\\]>.-]{0,120}") {
            for text in [
                s.as_str(),
                t.as_str(),
                &format!("firewall,info input: in:{t}"),
                &format!("input: in:e out:(none), proto {t}"),
                &format!("forward: in:e out:x, NAT {t}"),
                &format!("user {t}"),
                &format!("system,info {t} by {s}"),
            ] {
                let mut e = ev();
                let _ = detect(text);
                let _ = parse(text, &mut e);
            }
        }
    }
}
