//! pfSense / OPNsense `filterlog` CSV lines:
//! `rule,subrule,anchor,tracker,interface,reason,action,direction,ipver,`
//! then the IPv4 fields (`tos,ecn,ttl,id,offset,flags,protoid,proto,
//! length,src,dst`) or the IPv6 ones (`class,flowlabel,hoplimit,proto,
//! protoid,length,src,dst`), then for TCP and UDP `srcport,dstport,datalen`
//! and for TCP `flags,seq,ack,window,urg,options`.

use vedette_model::{Event, FieldValue, LogSource};

use crate::ParseError;

const P: &str = "filterlog";

pub(crate) const FORMAT: super::Format = super::Format {
    name: "filterlog",
    fields: 48,
    first: |b| b.is_ascii_digit(),
    open: |_| false,
    needs: b"",
    gate: None,
    detect,
    parse,
    claim: None,
};

/// The fields read at most: the rest of a hostile line is ignored.
const MAX_FIELDS: usize = 32;

fn digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 18 && s.bytes().all(|c| c.is_ascii_digit())
}

/// The first nine fields have the filterlog shape.
fn detect(text: &str) -> bool {
    // The rule number and its comma, before splitting the whole line.
    let rule_len = text.bytes().take(19).take_while(u8::is_ascii_digit).count();
    if text.as_bytes().get(rule_len) != Some(&b',') {
        return false;
    }
    let mut f = super::splitn_byte(text, 10, b',');
    let mut next = || f.next().unwrap_or("");
    let (rule, _sub, _anchor, tracker, iface) = (next(), next(), next(), next(), next());
    let (_reason, action, dir, ver) = (next(), next(), next(), next());
    digits(rule)
        && tracker.len() <= 64
        && tracker.bytes().all(|c| c.is_ascii_alphanumeric())
        && !iface.is_empty()
        && !iface.contains(' ')
        // pf's own `unkn(%u)` for an action it has no name for (a
        // printf left unformatted, seen in pfSense logs).
        && (matches!(action, "pass" | "block" | "reject") || action.starts_with("unkn("))
        && matches!(dir, "in" | "out")
        && matches!(ver, "4" | "6")
}

fn int(s: &str) -> Option<i64> {
    digits(s).then(|| s.parse().ok()).flatten()
}

/// The fields and where each starts in the text.
struct Fields<'a> {
    text: &'a str,
    items: Vec<(usize, &'a str)>,
}

impl<'a> Fields<'a> {
    fn new(text: &'a str) -> Self {
        let mut items = Vec::with_capacity(MAX_FIELDS);
        let mut at = 0;
        for f in super::splitn_byte(text, MAX_FIELDS, b',') {
            items.push((at, f));
            at += f.len() + 1;
        }
        Fields { text, items }
    }

    fn get(&self, i: usize) -> &'a str {
        self.items.get(i).map_or("", |f| f.1)
    }

    fn offset(&self, i: usize) -> usize {
        self.items.get(i).map_or(self.text.len(), |f| f.0)
    }

    fn set_str(&self, ev: &mut Event, i: usize, key: &str) {
        let v = self.get(i);
        if !v.is_empty() {
            ev.set(key, v);
        }
    }

    /// Sets a number; an empty field is skipped, anything else is an error.
    fn set_int(
        &self,
        ev: &mut Event,
        i: usize,
        key: &str,
        what: &'static str,
    ) -> Result<Option<i64>, ParseError> {
        let v = self.get(i);
        if v.is_empty() {
            return Ok(None);
        }
        match int(v) {
            Some(n) => {
                ev.set(key, n);
                Ok(Some(n))
            }
            None => Err(ParseError::expected(P, what, self.offset(i))),
        }
    }

    fn set_ip(
        &self,
        ev: &mut Event,
        i: usize,
        key: &str,
        what: &'static str,
    ) -> Result<(), ParseError> {
        let v = self.get(i);
        if !super::is_ip(v) {
            return Err(ParseError::expected(P, what, self.offset(i)));
        }
        ev.set(key, v);
        Ok(())
    }
}

/// Sets `network.transport` and the protocol number; the name, lowercase.
fn set_proto(ev: &mut Event, name: &str, id: &str) -> String {
    let proto = name.to_ascii_lowercase();
    match proto.as_str() {
        "" => {}
        "icmpv6" | "ipv6-icmp" => ev.set(key!("network.transport"), "ipv6-icmp"),
        p => ev.set(key!("network.transport"), p),
    }
    if let Some(n) = int(id) {
        ev.set(key!("network.iana_number"), id);
        ev.set(key!("pf.protocol_id"), FieldValue::Int(n));
    }
    proto
}

fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    ev.logsource = LogSource::new(Some("pfsense"), Some("firewall"), &[]);
    ev.set(key!("observer.vendor"), "Netgate");
    ev.set(key!("observer.product"), "pfsense");
    ev.set(key!("observer.type"), "firewall");
    ev.set(key!("event.kind"), "event");
    ev.set(key!("event.category"), "network");
    let f = Fields::new(text);

    f.set_int(ev, 0, "pf.rule_number", "a rule number")?;
    f.set_str(ev, 1, "pf.sub_rule_number");
    f.set_str(ev, 2, "pf.anchor");
    f.set_str(ev, 3, "rule.id");
    let iface = f.get(4);
    f.set_str(ev, 5, "event.reason");
    let action = f.get(6);
    let (ty, outcome) = match action {
        "pass" => ("allowed", "success"),
        "block" | "reject" => ("denied", "failure"),
        // The rest of the record is still read; the verdict is unknown.
        a if a.starts_with("unkn(") => ("info", "unknown"),
        _ => {
            return Err(ParseError::expected(
                P,
                "pass, block or reject",
                f.offset(6),
            ))
        }
    };
    ev.set(key!("event.action"), action);
    ev.set(key!("event.type"), ty);
    ev.set(key!("event.outcome"), outcome);
    let dir = f.get(7);
    match dir {
        "in" => {
            ev.set(key!("network.direction"), "inbound");
            ev.set(key!("observer.ingress.interface.name"), iface);
        }
        "out" => {
            ev.set(key!("network.direction"), "outbound");
            ev.set(key!("observer.egress.interface.name"), iface);
        }
        _ => return Err(ParseError::expected(P, "in or out", f.offset(7))),
    }

    // Where the protocol fields start.
    let (proto, next) = match f.get(8) {
        "4" => {
            ev.set(key!("network.type"), "ipv4");
            f.set_str(ev, 9, "pf.tos");
            f.set_str(ev, 10, "pf.ecn");
            f.set_int(ev, 11, "pf.ttl", "a number in TTL")?;
            f.set_int(ev, 12, "pf.id", "a number in ID")?;
            f.set_int(ev, 13, "pf.offset", "a number in OFFSET")?;
            f.set_str(ev, 14, "pf.flags");
            let proto = set_proto(ev, f.get(16), f.get(15));
            if let Some(n) = f.set_int(ev, 17, "pf.length", "a number in LENGTH")? {
                ev.set(key!("network.bytes"), n);
            }
            f.set_ip(ev, 18, "source.ip", "a source IP address")?;
            f.set_ip(ev, 19, "destination.ip", "a destination IP address")?;
            (proto, 20)
        }
        "6" => {
            ev.set(key!("network.type"), "ipv6");
            f.set_str(ev, 9, "pf.class");
            f.set_str(ev, 10, "pf.flow_label");
            f.set_int(ev, 11, "pf.hop_limit", "a number in HOP LIMIT")?;
            let proto = set_proto(ev, f.get(12), f.get(13));
            if let Some(n) = f.set_int(ev, 14, "pf.length", "a number in LENGTH")? {
                ev.set(key!("network.bytes"), n);
            }
            f.set_ip(ev, 15, "source.ip", "a source IP address")?;
            f.set_ip(ev, 16, "destination.ip", "a destination IP address")?;
            (proto, 17)
        }
        _ => return Err(ParseError::expected(P, "IP version 4 or 6", f.offset(8))),
    };
    match proto.as_str() {
        "tcp" | "udp" => {
            f.set_int(ev, next, "source.port", "a source port")?;
            f.set_int(ev, next + 1, "destination.port", "a destination port")?;
            f.set_int(ev, next + 2, "pf.data_length", "a number in DATA LENGTH")?;
            if proto == "tcp" {
                f.set_str(ev, next + 3, "pf.tcp.flags");
                f.set_str(ev, next + 4, "pf.tcp.sequence");
                f.set_str(ev, next + 5, "pf.tcp.ack");
                f.set_int(ev, next + 6, "pf.tcp.window", "a number in WINDOW")?;
                f.set_str(ev, next + 7, "pf.tcp.urg");
                f.set_str(ev, next + 8, "pf.tcp.options");
            }
        }
        "icmp" | "icmpv6" | "ipv6-icmp" => {
            f.set_str(ev, next, "pf.icmp.type");
            if matches!(f.get(next), "request" | "reply") {
                f.set_str(ev, next + 1, "pf.icmp.id");
                f.set_str(ev, next + 2, "pf.icmp.sequence");
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use vedette_model::Origin;

    const TCP4: &str = "5,,,1000000103,em0,match,block,in,4,0x0,,64,12345,0,none,6,tcp,60,203.0.113.5,10.0.0.1,51234,22,0,S,1234567,,64240,,mss;sackOK;TS;nop;wscale";

    fn run(text: &str) -> (Event, Result<(), ParseError>) {
        let mut e = Event::raw(
            1,
            datetime!(2026-11-25 03:00:00 UTC),
            Origin::new("t", None),
            b"",
        );
        assert!(detect(text), "{text}");
        let r = parse(text, &mut e);
        (e, r)
    }

    #[test]
    fn detection() {
        assert!(detect(TCP4));
        assert!(!detect("1,2,3,4,5,6,7,8,9,10"));
        assert!(!detect("5,,,1,em0,match,allow,in,4"));
        assert!(!detect("5,,,1,em0,match,pass,sideways,4"));
        assert!(!detect("5,,,1,em0,match,pass,in,5"));
        assert!(!detect(",,,1,em0,match,pass,in,4"));
        assert!(!detect(""));
        // A pfSense record whose action pf could not name.
        let unkn = "143,16777216,,1456347399,em1,match,unkn(%u),in,4,0x22,0,114,63190,0,none,6,tcp,52,40.76.59.167,1.2.3.4,1032,22,0,SEC,599887371,,8192,,mss;nop;wscale;nop;nop;sackOK";
        let (ev, r) = run(unkn);
        assert_eq!(r, Ok(()));
        assert_eq!(ev.get_str("event.outcome"), Some("unknown"));
        assert_eq!(ev.get_str("source.ip"), Some("40.76.59.167"));
        assert_eq!(ev.get("destination.port"), Some(&FieldValue::Int(22)));
        assert!(detect(
            "77,,,02f4bab031b57d1e30553ce08e0ec131,vtnet0,match,block,in,6,"
        ));
        assert!(!detect("77,,,02f4 bab,vtnet0,match,block,in,6,"));
    }

    #[test]
    fn tcp4() {
        let (e, r) = run(TCP4);
        assert_eq!(r, Ok(()));
        assert_eq!(e.get_str("source.ip"), Some("203.0.113.5"));
        assert_eq!(e.get("destination.port"), Some(&FieldValue::Int(22)));
        assert_eq!(e.get_str("event.type"), Some("denied"));
        assert_eq!(e.get_str("rule.id"), Some("1000000103"));
        assert_eq!(e.get_str("pf.tcp.flags"), Some("S"));
        assert_eq!(e.get("pf.length"), Some(&FieldValue::Int(60)));
    }

    #[test]
    fn truncated_keeps_fields() {
        let (e, r) =
            run("5,,,1000000103,em0,match,pass,out,4,0x0,,64,12345,0,DF,17,udp,76,10.0.0.1");
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("filterlog: expected a destination IP address at byte 73".into())
        );
        assert_eq!(e.get_str("source.ip"), Some("10.0.0.1"));
        assert_eq!(e.get_str("network.direction"), Some("outbound"));
        assert_eq!(e.get_str("observer.egress.interface.name"), Some("em0"));
    }
}
