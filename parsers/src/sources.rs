//! Per-source configuration: which format a source speaks and which
//! organization (agency) its events belong to, chosen by the listener that
//! received them, the sender's address (CIDR) or the host name in the record.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use vedette_model::Origin;

/// An IP network, e.g. `10.1.0.0/16` or `2001:db8::/32` (a bare address is
/// a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is inside this network. An IPv4-mapped IPv6 address is
    /// compared as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = SourceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| SourceError::Cidr {
            value: s.to_string(),
            reason: reason.to_string(),
        };
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| bad("not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| bad("prefix length out of range"))?,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A configuration mistake in a source rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A CIDR that does not parse.
    #[error("bad network {value:?}: {reason} (e.g. 10.1.0.0/16)")]
    Cidr {
        /// What was given.
        value: String,
        /// Why it is wrong.
        reason: String,
    },
    /// A format name that no parser has.
    #[error("source {source_name:?}: unknown format {format:?} (known: {known})")]
    Format {
        /// The rule's name.
        source_name: String,
        /// What was given.
        format: String,
        /// The valid names.
        known: String,
    },
}

/// The format a source is fixed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Forced {
    /// Syslog (and Linux auth) only: no device format is tried.
    Syslog,
    /// One device format, without detection.
    Format(crate::formats::Fixed),
}

/// Which sources a rule is for, what format they speak and which
/// organization owns their events. Every condition given must hold; each
/// list is "any of". A rule with no conditions matches everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRule {
    name: String,
    networks: Vec<Cidr>,
    hostnames: Vec<String>,
    inputs: Vec<String>,
    forced: Option<Forced>,
    organization: Option<String>,
}

/// The names `SourceRule::new` accepts as a format.
pub fn format_names() -> Vec<&'static str> {
    let mut v = vec!["auto", "syslog"];
    v.extend(crate::formats::names());
    v
}

impl SourceRule {
    /// A rule. `format`: `auto` (or none) detects per record, `syslog`
    /// parses syslog only, any other name fixes that device format
    /// ([`format_names`]). `hostnames` match `host.name` case-insensitively,
    /// with a trailing `*` matching any suffix.
    pub fn new(
        name: &str,
        networks: &[&str],
        hostnames: &[&str],
        inputs: &[&str],
        format: Option<&str>,
        organization: Option<&str>,
    ) -> Result<SourceRule, SourceError> {
        let networks = networks
            .iter()
            .map(|n| n.parse())
            .collect::<Result<Vec<Cidr>, _>>()?;
        let forced = match format.map(str::trim) {
            None | Some("auto") | Some("") => None,
            Some("syslog") => Some(Forced::Syslog),
            Some(f) => match crate::formats::Fixed::named(f) {
                Some(fixed) => Some(Forced::Format(fixed)),
                None => {
                    return Err(SourceError::Format {
                        source_name: name.to_string(),
                        format: f.to_string(),
                        known: format_names().join(", "),
                    })
                }
            },
        };
        Ok(SourceRule {
            name: name.to_string(),
            networks,
            hostnames: hostnames.iter().map(|h| h.to_ascii_lowercase()).collect(),
            inputs: inputs.iter().map(|i| i.to_string()).collect(),
            forced,
            organization: organization.map(str::to_string),
        })
    }

    /// The rule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the rule needs the record's host name to decide.
    pub(crate) fn needs_host(&self) -> bool {
        !self.hostnames.is_empty()
    }

    pub(crate) fn forced(&self) -> Option<&Forced> {
        self.forced.as_ref()
    }

    pub(crate) fn organization(&self) -> Option<&str> {
        self.organization.as_deref()
    }

    /// Whether the rule applies to a record from `origin` whose host name is
    /// `host` (when known).
    pub(crate) fn matches(&self, origin: &Origin, host: Option<&str>) -> bool {
        let input_ok = self.inputs.is_empty() || self.inputs.contains(&origin.input);
        let net_ok = self.networks.is_empty()
            || origin
                .peer
                .is_some_and(|p| self.networks.iter().any(|n| n.contains(p.ip())));
        let host_ok = self.hostnames.is_empty()
            || host.is_some_and(|h| self.hostnames.iter().any(|pat| host_matches(pat, h)));
        input_ok && net_ok && host_ok
    }
}

fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => host
            .get(..prefix.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(prefix)),
        None => host.eq_ignore_ascii_case(pattern),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(input: &str, peer: &str) -> Origin {
        Origin::new(input, Some(peer.parse().unwrap()))
    }

    #[test]
    fn cidr_contains() {
        let n: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(n.contains("10.1.200.3".parse().unwrap()));
        assert!(!n.contains("10.2.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.0.1".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("10.1.0.1".parse().unwrap()));
        let one: Cidr = "192.0.2.7".parse().unwrap();
        assert_eq!(one.to_string(), "192.0.2.7/32");
        for bad in ["10.0.0.0/33", "x/8", "", "10.0.0.0/-1", "::/129"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_match_all_given_conditions() {
        let r = SourceRule::new(
            "hq-fw",
            &["10.1.0.0/16"],
            &["fgt-*"],
            &["syslog-udp"],
            Some("fortigate"),
            Some("so-tttt"),
        )
        .unwrap();
        assert!(r.needs_host());
        assert!(r.matches(&origin("syslog-udp", "10.1.0.1:514"), Some("FGT-HQ")));
        assert!(!r.matches(&origin("syslog-tcp", "10.1.0.1:514"), Some("fgt-hq")));
        assert!(!r.matches(&origin("syslog-udp", "10.9.0.1:514"), Some("fgt-hq")));
        assert!(!r.matches(&origin("syslog-udp", "10.1.0.1:514"), Some("asa01")));
        assert!(!r.matches(&origin("syslog-udp", "10.1.0.1:514"), None));
        assert_eq!(
            r.forced(),
            Some(&Forced::Format(
                crate::formats::Fixed::named("fortigate").unwrap()
            ))
        );
        assert_eq!(r.organization(), Some("so-tttt"));
        let any = SourceRule::new("all", &[], &[], &[], None, None).unwrap();
        assert!(any.matches(&Origin::new("import", None), None));
    }

    #[test]
    fn unknown_format_is_refused_with_the_list() {
        let e = SourceRule::new("x", &[], &[], &[], Some("fortygate"), None).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("fortygate") && text.contains("fortigate"),
            "{text}"
        );
        assert!(SourceRule::new("x", &[], &[], &[], Some("syslog"), None).is_ok());
        assert!(SourceRule::new("x", &["10/8"], &[], &[], None, None).is_err());
    }
}
