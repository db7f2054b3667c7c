use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A typed field value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// Text (also IP addresses, which parsers validate before storing).
    /// Up to 24 bytes (addresses, ports as text, actions, names) are stored
    /// inline, without an allocation.
    Str(crate::Text),
    /// A whole number (ports, ids, counts).
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// A flag.
    Bool(bool),
}

impl FieldValue {
    /// The value as text when it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FieldValue::Str(s) => serde_json::Value::String(s.to_string()),
            FieldValue::Int(i) => serde_json::Value::from(*i),
            FieldValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            FieldValue::Bool(b) => serde_json::Value::Bool(*b),
        }
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Str(s) => f.write_str(s),
            FieldValue::Int(i) => write!(f, "{i}"),
            FieldValue::Float(x) => write!(f, "{x}"),
            FieldValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Str(s.into())
    }
}
impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Str(s.into())
    }
}
impl From<crate::Text> for FieldValue {
    fn from(s: crate::Text) -> Self {
        FieldValue::Str(s)
    }
}
impl From<i64> for FieldValue {
    fn from(i: i64) -> Self {
        FieldValue::Int(i)
    }
}
impl From<bool> for FieldValue {
    fn from(b: bool) -> Self {
        FieldValue::Bool(b)
    }
}

use crate::fields::Fields;

/// Where an event came in: the listener and the peer that sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The input that accepted it: `syslog-udp`, `syslog-tcp`, `import`, ...
    pub input: String,
    /// The network peer, for network inputs.
    pub peer: Option<SocketAddr>,
}

impl Origin {
    /// An origin from an input name and an optional peer.
    pub fn new(input: &str, peer: Option<SocketAddr>) -> Self {
        Origin {
            input: input.to_string(),
            peer,
        }
    }
}

/// Sigma categories that cover others (Sigma log source taxonomy, and the
/// Sysmon event ids pySigma gives them): `registry_event` is Sysmon 12, 13
/// and 14, which are also `registry_add`/`registry_delete`, `registry_set`
/// and `registry_rename`; `file_delete` is Sysmon 23 and 26, and 26 is also
/// `file_delete_detected`. An event carries the specific category.
pub const CATEGORY_UMBRELLAS: &[(&str, &[&str])] = &[
    (
        "registry_event",
        &[
            "registry_add",
            "registry_delete",
            "registry_set",
            "registry_rename",
        ],
    ),
    ("file_delete", &["file_delete_detected"]),
];

/// The Sigma log source an event belongs to, which decides the rules that
/// apply to it. An event has at most one product and category but may belong
/// to several services: an sshd line from auth.log is `sshd`, `auth` and
/// `syslog` at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogSource {
    /// `linux`, `windows`, ...
    pub product: Option<crate::Text>,
    /// `process_creation`, `firewall`, `webserver`, ...
    pub category: Option<crate::Text>,
    /// `sshd`, `sudo`, `auth`, `syslog`, ... most specific first.
    pub services: Vec<crate::Text>,
}

impl LogSource {
    /// Builds a log source. Names are short and kept inline
    /// ([`crate::Text`]): building one allocates at most the list of
    /// services, once per event on the parsing path.
    pub fn new(product: Option<&str>, category: Option<&str>, services: &[&str]) -> Self {
        LogSource {
            product: product.map(crate::Text::from),
            category: category.map(crate::Text::from),
            services: services.iter().map(|s| crate::Text::from(*s)).collect(),
        }
    }

    /// Whether a rule's log source (each key optional) applies to this
    /// event: every key the rule names must agree, case-insensitively. A
    /// rule's umbrella category of the Sigma taxonomy also admits the
    /// categories under it ([`CATEGORY_UMBRELLAS`]): a `registry_event` rule
    /// sees `registry_set` events.
    pub fn admits(
        &self,
        product: Option<&str>,
        category: Option<&str>,
        service: Option<&str>,
    ) -> bool {
        fn eq(want: Option<&str>, have: Option<&str>) -> bool {
            match want {
                None => true,
                Some(w) => have.is_some_and(|h| h.eq_ignore_ascii_case(w)),
            }
        }
        let category_ok = match (category, self.category.as_deref()) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(want), Some(have)) => {
                want.eq_ignore_ascii_case(have)
                    || CATEGORY_UMBRELLAS.iter().any(|(umbrella, under)| {
                        want.eq_ignore_ascii_case(umbrella)
                            && under.iter().any(|u| u.eq_ignore_ascii_case(have))
                    })
            }
        };
        eq(product, self.product.as_deref())
            && category_ok
            && match service {
                None => true,
                Some(w) => self.services.iter().any(|s| s.eq_ignore_ascii_case(w)),
            }
    }
}

/// One log record, parsed (or kept raw with the reason it did not parse).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The spool sequence number: unique, and the event's id everywhere.
    pub seq: u64,
    /// When a collector accepted the bytes (UTC).
    pub received: OffsetDateTime,
    /// When it happened (`@timestamp`): from the record, else `received`.
    pub timestamp: OffsetDateTime,
    /// Where it came in.
    pub origin: Origin,
    /// The Sigma log source it belongs to.
    pub logsource: LogSource,
    /// Normalized fields (`message`, `host.name`, `user.name`, ...).
    pub fields: Fields,
    /// The record as received (`event.original`), lossily decoded as UTF-8.
    pub original: String,
    /// Why parsing failed (`error.message`), when it did.
    pub error: Option<String>,
}

impl Event {
    /// An event that holds only the raw bytes (`event.original`, which
    /// [`Event::message`] gives until a parser sets `message`); parsers
    /// start from here and fill in what they understand.
    pub fn raw(seq: u64, received: OffsetDateTime, origin: Origin, bytes: &[u8]) -> Self {
        Event::raw_with_room(seq, received, origin, bytes, 16)
    }

    /// [`Event::raw`], with room for `fields` fields in all: a parser that
    /// knows about how many a record of its format ends with sizes the map
    /// once, rather than growing it (and rebuilding its index) per record.
    pub fn raw_with_room(
        seq: u64,
        received: OffsetDateTime,
        origin: Origin,
        bytes: &[u8],
        fields: usize,
    ) -> Self {
        // Valid UTF-8 (nearly every record) takes the faster validator.
        let original = match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        };
        let fields = Fields::with_capacity(fields.max(1));
        Event {
            seq,
            received,
            timestamp: received,
            origin,
            logsource: LogSource::default(),
            fields,
            original,
            error: None,
        }
    }

    /// Sets a field. `key` is a name (`&str`, `&String`) or, for a name written in the
    /// code, a [`Key`](crate::fields::Key) made by [`key!`](crate::key),
    /// which spares hashing and copying it.
    pub fn set(&mut self, key: impl crate::fields::FieldName, value: impl Into<FieldValue>) {
        key.set_in(&mut self.fields, value.into());
    }

    /// A field by name.
    pub fn get(&self, key: &str) -> Option<&FieldValue> {
        self.fields.get(key)
    }

    /// A text field by name.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(FieldValue::as_str)
    }

    /// `message`, or the original record when there is none.
    pub fn message(&self) -> &str {
        self.get_str("message").unwrap_or(&self.original)
    }

    /// The event as one flat JSON object with ECS names: the normalized
    /// fields plus `@timestamp`, `event.id`, `event.created`,
    /// `event.original`, `error.message`, `input.type`,
    /// `log.source.address` and the Sigma log source under `sigma.*`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("@timestamp".into(), crate::fmt_time(self.timestamp).into());
        m.insert("event.id".into(), self.seq.to_string().into());
        m.insert(
            "event.created".into(),
            crate::fmt_time(self.received).into(),
        );
        m.insert("input.type".into(), self.origin.input.clone().into());
        if let Some(p) = self.origin.peer {
            m.insert("log.source.address".into(), p.to_string().into());
        }
        if let Some(p) = &self.logsource.product {
            m.insert("sigma.product".into(), p.as_str().into());
        }
        if let Some(c) = &self.logsource.category {
            m.insert("sigma.category".into(), c.as_str().into());
        }
        if !self.logsource.services.is_empty() {
            m.insert(
                "sigma.service".into(),
                self.logsource
                    .services
                    .iter()
                    .map(|s| serde_json::Value::from(s.as_str()))
                    .collect(),
            );
        }
        for (k, v) in &self.fields {
            m.insert(k.to_string(), v.to_json());
        }
        m.insert("event.original".into(), self.original.clone().into());
        if let Some(e) = &self.error {
            m.insert("error.message".into(), e.clone().into());
        }
        serde_json::Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umbrella_categories_admit_the_specific_ones() {
        let set = LogSource::new(Some("windows"), Some("registry_set"), &["sysmon"]);
        assert!(set.admits(Some("windows"), Some("registry_set"), None));
        assert!(set.admits(Some("windows"), Some("Registry_Event"), None));
        assert!(!set.admits(Some("windows"), Some("registry_add"), None));
        let umbrella = LogSource::new(Some("windows"), Some("registry_event"), &[]);
        assert!(!umbrella.admits(None, Some("registry_set"), None));
        let deleted = LogSource::new(Some("windows"), Some("file_delete_detected"), &[]);
        assert!(deleted.admits(None, Some("file_delete"), None));
        assert!(deleted.admits(None, Some("file_delete_detected"), None));
        assert!(!LogSource::default().admits(None, Some("registry_event"), None));
    }

    #[test]
    fn admits_multi_service() {
        let ls = LogSource::new(Some("linux"), None, &["sshd", "auth"]);
        assert!(ls.admits(Some("linux"), None, None));
        assert!(ls.admits(Some("Linux"), None, Some("auth")));
        assert!(ls.admits(None, None, Some("sshd")));
        assert!(!ls.admits(Some("windows"), None, None));
        assert!(!ls.admits(Some("linux"), Some("process_creation"), None));
        assert!(!ls.admits(None, None, Some("sudo")));
    }

    #[test]
    fn raw_event_keeps_bytes() {
        let ev = Event::raw(
            1,
            OffsetDateTime::UNIX_EPOCH,
            Origin::new("import", None),
            b"\xffbad",
        );
        assert_eq!(ev.message(), "\u{fffd}bad");
        assert_eq!(ev.to_json()["event.id"], "1");
    }
}
