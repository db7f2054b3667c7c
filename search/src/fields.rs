//! What goes into the `fields` JSON field, read straight from the borrowed
//! event: tantivy copies it into the document once, with no intermediate
//! JSON tree.

use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf, Value};
use time::OffsetDateTime;
use vedette_model::{Event, FieldValue};

/// A node of the event's indexed fields: the normalized fields (except
/// `message`, which has its own tokenized field), the Sigma log source,
/// `input.type`, `log.source.address`, `error.message` and `event.id`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IndexedFields<'a> {
    /// The whole object; `id` is the event id text, `peer` the peer address
    /// text (both formatted by the caller, who owns them).
    Root {
        /// The event.
        event: &'a Event,
        /// `event.id`.
        id: &'a str,
        /// `log.source.address`, when there is a peer.
        peer: Option<&'a str>,
    },
    /// A normalized field value.
    Field(&'a FieldValue),
    /// A text value.
    Str(&'a str),
    /// A list of text values (`sigma.service`).
    List(&'a [vedette_model::Text]),
}

impl<'a> IndexedFields<'a> {
    fn entries(
        event: &'a Event,
        id: &'a str,
        peer: Option<&'a str>,
    ) -> Vec<(&'a str, IndexedFields<'a>)> {
        let mut out = Vec::with_capacity(event.fields.len() + 8);
        out.push(("event.id", IndexedFields::Str(id)));
        out.push(("input.type", IndexedFields::Str(&event.origin.input)));
        if let Some(peer) = peer {
            out.push(("log.source.address", IndexedFields::Str(peer)));
        }
        let ls = &event.logsource;
        if let Some(p) = &ls.product {
            out.push(("sigma.product", IndexedFields::Str(p)));
        }
        if let Some(c) = &ls.category {
            out.push(("sigma.category", IndexedFields::Str(c)));
        }
        if !ls.services.is_empty() {
            out.push(("sigma.service", IndexedFields::List(&ls.services)));
        }
        for (k, v) in &event.fields {
            // `message` is searched as text; these are not field values.
            if matches!(
                k.as_str(),
                "message" | "@timestamp" | "event.original" | "event.created"
            ) {
                continue;
            }
            out.push((k.as_str(), IndexedFields::Field(v)));
        }
        if let Some(e) = &event.error {
            out.push(("error.message", IndexedFields::Str(e)));
        }
        out
    }
}

/// Iterates a [`IndexedFields::List`].
#[derive(Debug, Clone)]
pub(crate) struct ListIter<'a>(std::slice::Iter<'a, vedette_model::Text>);

impl<'a> Iterator for ListIter<'a> {
    type Item = IndexedFields<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|s| IndexedFields::Str(s))
    }
}

impl<'a> Value<'a> for IndexedFields<'a> {
    type ArrayIter = ListIter<'a>;
    type ObjectIter = std::vec::IntoIter<(&'a str, IndexedFields<'a>)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        match *self {
            IndexedFields::Root { event, id, peer } => {
                ReferenceValue::Object(Self::entries(event, id, peer).into_iter())
            }
            IndexedFields::Field(v) => ReferenceValue::Leaf(match v {
                FieldValue::Str(s) => ReferenceValueLeaf::Str(s),
                FieldValue::Int(i) => ReferenceValueLeaf::I64(*i),
                FieldValue::Float(f) if f.is_finite() => ReferenceValueLeaf::F64(*f),
                FieldValue::Float(_) => ReferenceValueLeaf::Null,
                FieldValue::Bool(b) => ReferenceValueLeaf::Bool(*b),
            }),
            IndexedFields::Str(s) => ReferenceValue::Leaf(ReferenceValueLeaf::Str(s)),
            IndexedFields::List(items) => ReferenceValue::Array(ListIter(items.iter())),
        }
    }
}

/// A time as tantivy stores it (nanoseconds since the epoch in an `i64`),
/// clamped to what fits: about years 1677 to 2262. Parsers may produce
/// absurd years from garbage; they must not wrap around.
pub(crate) fn to_tantivy(t: OffsetDateTime) -> tantivy::DateTime {
    let nanos = t.unix_timestamp_nanos();
    let clamped = nanos.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
    // The clamp makes the conversion lossless.
    tantivy::DateTime::from_timestamp_nanos(i64::try_from(clamped).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use vedette_model::{LogSource, Origin};

    fn keys(v: &IndexedFields<'_>) -> Vec<String> {
        match v.as_value() {
            ReferenceValue::Object(it) => it.map(|(k, _)| k.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn root_lists_fields_without_message() {
        let mut ev = Event::raw(
            3,
            datetime!(2026-01-01 0:00 UTC),
            Origin::new("syslog-udp", Some("10.1.1.1:514".parse().expect("addr"))),
            b"hello",
        );
        ev.set("user.name", "root");
        ev.set("source.port", 22i64);
        ev.set("ratio", FieldValue::Float(f64::NAN));
        ev.logsource = LogSource::new(Some("linux"), None, &["sshd", "auth"]);
        ev.error = Some("no parser".into());
        let root = IndexedFields::Root {
            event: &ev,
            id: "3",
            peer: Some("10.1.1.1:514"),
        };
        let k = keys(&root);
        assert!(k.contains(&"user.name".to_string()));
        assert!(k.contains(&"sigma.service".to_string()));
        assert!(k.contains(&"log.source.address".to_string()));
        assert!(k.contains(&"error.message".to_string()));
        assert!(!k.contains(&"message".to_string()));
        assert!(matches!(
            IndexedFields::Field(&FieldValue::Float(f64::NAN)).as_value(),
            ReferenceValue::Leaf(ReferenceValueLeaf::Null)
        ));
        let services: Vec<_> = match IndexedFields::List(&ev.logsource.services).as_value() {
            ReferenceValue::Array(it) => it.filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        assert_eq!(services, ["sshd", "auth"]);
    }

    #[test]
    fn times_clamp_instead_of_wrapping() {
        let t = datetime!(2026-01-01 0:00 UTC);
        assert_eq!(
            to_tantivy(t).into_timestamp_nanos(),
            i64::try_from(t.unix_timestamp_nanos()).expect("fits")
        );
        let far = datetime!(9999-12-31 23:59 UTC);
        assert_eq!(to_tantivy(far).into_timestamp_nanos(), i64::MAX);
        let early = datetime!(1000-01-01 0:00 UTC);
        assert_eq!(to_tantivy(early).into_timestamp_nanos(), i64::MIN);
    }
}
