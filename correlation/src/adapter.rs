//! Presents a Vedette [`Event`] to the Sigma evaluator without copying it.

use std::borrow::Cow;

use rsigma_eval::event::{Event as SigmaEventTrait, EventValue};
use vedette_model::{Event, FieldValue};

/// A borrowed view of an event for rsigma.
pub(crate) struct SigmaEvent<'a>(pub &'a Event);

fn value(v: &FieldValue) -> EventValue<'_> {
    match v {
        FieldValue::Str(s) => EventValue::Str(Cow::Borrowed(s)),
        FieldValue::Int(i) => EventValue::Int(*i),
        FieldValue::Float(f) => EventValue::Float(*f),
        FieldValue::Bool(b) => EventValue::Bool(*b),
    }
}

/// A field of `ev` as rsigma sees it.
fn field<'e>(ev: &'e Event, path: &str) -> Option<EventValue<'e>> {
    if let Some(v) = ev.fields.get(path) {
        return Some(value(v));
    }
    match path {
        "event.original" => Some(EventValue::Str(Cow::Borrowed(&ev.original))),
        "error.message" => ev
            .error
            .as_deref()
            .map(|e| EventValue::Str(Cow::Borrowed(e))),
        _ => None,
    }
}

impl SigmaEventTrait for SigmaEvent<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        field(self.0, path)
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.0
            .fields
            .values()
            .any(|v| matches!(v, FieldValue::Str(s) if pred(s)))
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        self.0
            .fields
            .values()
            .filter_map(|v| v.as_str().map(Cow::Borrowed))
            .collect()
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        for v in self.0.fields.values() {
            if let FieldValue::Str(s) = v {
                visit(s);
            }
        }
    }

    fn to_json(&self) -> serde_json::Value {
        self.0.to_json()
    }
}

/// An event as the correlation engine sees it: fields for `group-by` and
/// aggregated values, and, as its JSON, only `{"id": seq}`: rsigma keeps
/// the `id` of each event in a window (its "refs" mode), which is how a
/// correlation alert lists its events, and nothing else is needed.
pub(crate) struct CorrelationEvent<'a>(pub &'a Event);

impl SigmaEventTrait for CorrelationEvent<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        field(self.0, path)
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.0
            .fields
            .values()
            .any(|v| matches!(v, FieldValue::Str(s) if pred(s)))
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        self.0
            .fields
            .values()
            .filter_map(|v| v.as_str().map(Cow::Borrowed))
            .collect()
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "id": self.0.seq })
    }
}
