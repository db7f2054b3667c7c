//! [`Fields`]: an event's fields, a flat map from ECS name to value.
//!
//! Parsing sets tens of fields per record (a PAN-OS traffic record about
//! ninety), so this map is on the hottest path of the pipeline. It is a
//! hash-indexed vector ([`indexmap`]): an insert is one hash and a push, a
//! lookup one hash and a probe, where a `BTreeMap` paid a string comparison
//! per level and moved its nodes' entries about (measured in BENCHMARKS.md).
//! Iteration follows insertion order, which is deterministic for a given
//! record and parser; [`Fields::sorted`] gives the names in order for
//! display. The hasher is seeded per process ([`foldhash`]), since field
//! names come from the network: crafted names cannot make every insert
//! collide.

use std::fmt;

use foldhash::fast::RandomState;
use indexmap::IndexMap;

use crate::FieldValue;

/// A field's name. Names up to 24 bytes (nearly every ECS name and vendor
/// key) are stored inline, so setting a field allocates nothing for its name.
pub type Name = compact_str::CompactString;

/// A text value ([`FieldValue::Str`]), inline up to 24 bytes like [`Name`].
pub type Text = compact_str::CompactString;

/// An entry of [`Fields`], for insert-or-update in one lookup.
pub type Entry<'a> = indexmap::map::Entry<'a, Name, FieldValue>;

/// An event's fields by Elastic Common Schema name (flat, dotted keys).
#[derive(Clone, Default)]
pub struct Fields {
    map: IndexMap<Name, FieldValue, RandomState>,
}

impl Fields {
    /// No fields.
    pub fn new() -> Self {
        Fields::default()
    }

    /// No fields, with room for `n`.
    pub fn with_capacity(n: usize) -> Self {
        Fields {
            map: IndexMap::with_capacity_and_hasher(n, RandomState::default()),
        }
    }

    /// Makes room for `n` more fields.
    pub fn reserve(&mut self, n: usize) {
        self.map.reserve(n);
    }

    /// Sets `key` to `value`; the value it had, if any.
    pub fn insert(&mut self, key: impl Into<Name>, value: FieldValue) -> Option<FieldValue> {
        self.map.insert(key.into(), value)
    }

    /// Sets `key` to `value`, allocating the name only when it is new.
    pub fn set(&mut self, key: &str, value: FieldValue) {
        use indexmap::map::raw_entry_v1::{RawEntryApiV1, RawEntryMut};
        use std::hash::BuildHasher;
        // Hashed once: the vacant entry's `insert` would hash the name again.
        let hash = self.map.hasher().hash_one(key);
        match self
            .map
            .raw_entry_mut_v1()
            .from_key_hashed_nocheck(hash, key)
        {
            RawEntryMut::Occupied(mut e) => {
                e.insert(value);
            }
            RawEntryMut::Vacant(e) => {
                e.insert_hashed_nocheck(hash, Name::new(key), value);
            }
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&FieldValue> {
        self.map.get(key)
    }

    /// The value of `key`, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut FieldValue> {
        self.map.get_mut(key)
    }

    /// The stored name and the value of `key`.
    pub fn get_key_value(&self, key: &str) -> Option<(&Name, &FieldValue)> {
        self.map.get_key_value(key)
    }

    /// Whether `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Removes `key`, keeping the order of the others; its value, if any.
    pub fn remove(&mut self, key: &str) -> Option<FieldValue> {
        self.map.shift_remove(key)
    }

    /// The entry of `key`.
    pub fn entry(&mut self, key: impl Into<Name>) -> Entry<'_> {
        self.map.entry(key.into())
    }

    /// How many fields are set.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Removes every field.
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// Names and values, in insertion order.
    pub fn iter(&self) -> indexmap::map::Iter<'_, Name, FieldValue> {
        self.map.iter()
    }

    /// Names, in insertion order.
    pub fn keys(&self) -> indexmap::map::Keys<'_, Name, FieldValue> {
        self.map.keys()
    }

    /// Values, in insertion order.
    pub fn values(&self) -> indexmap::map::Values<'_, Name, FieldValue> {
        self.map.values()
    }

    /// Values, to change in place.
    pub fn values_mut(&mut self) -> indexmap::map::ValuesMut<'_, Name, FieldValue> {
        self.map.values_mut()
    }

    /// The fields whose names start with `prefix`, sorted by name.
    pub fn with_prefix(&self, prefix: &str) -> Vec<(&str, &FieldValue)> {
        let mut v: Vec<_> = self
            .map
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// Names and values sorted by name (for display).
    pub fn sorted(&self) -> Vec<(&str, &FieldValue)> {
        self.with_prefix("")
    }
}

/// Equal when the same names have the same values, in any order.
impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a Name, &'a FieldValue);
    type IntoIter = indexmap::map::Iter<'a, Name, FieldValue>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

impl IntoIterator for Fields {
    type Item = (Name, FieldValue);
    type IntoIter = indexmap::map::IntoIter<Name, FieldValue>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.into_iter()
    }
}

impl<K: Into<Name>> FromIterator<(K, FieldValue)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, FieldValue)>>(iter: I) -> Self {
        let mut f = Fields::new();
        f.extend(iter);
        f
    }
}

impl<K: Into<Name>> Extend<(K, FieldValue)> for Fields {
    fn extend<I: IntoIterator<Item = (K, FieldValue)>>(&mut self, iter: I) {
        self.map
            .extend(iter.into_iter().map(|(k, v)| (k.into(), v)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_values_win_and_order_is_kept() {
        let mut f = Fields::new();
        f.set("b", FieldValue::Int(1));
        f.set("a", "x".into());
        f.set("b", FieldValue::Int(2));
        assert_eq!(f.len(), 2);
        assert_eq!(f.get("b"), Some(&FieldValue::Int(2)));
        let names: Vec<_> = f.keys().map(Name::as_str).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(f.sorted()[0].0, "a");
        f.insert("c", true.into());
        assert_eq!(f.remove("b"), Some(FieldValue::Int(2)));
        let names: Vec<_> = f.keys().map(Name::as_str).collect();
        assert_eq!(names, ["a", "c"]);
        assert!(f.contains_key("c") && !f.contains_key("b"));
    }

    #[test]
    fn equality_ignores_order() {
        let a: Fields = [
            ("x".to_string(), FieldValue::Int(1)),
            ("y".to_string(), FieldValue::Int(2)),
        ]
        .into_iter()
        .collect();
        let b: Fields = [
            ("y".to_string(), FieldValue::Int(2)),
            ("x".to_string(), FieldValue::Int(1)),
        ]
        .into_iter()
        .collect();
        assert_eq!(a, b);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn entry_inserts_once() {
        let mut f = Fields::new();
        f.entry("k").or_insert(FieldValue::Int(1));
        f.entry("k").or_insert(FieldValue::Int(2));
        assert_eq!(f.get("k"), Some(&FieldValue::Int(1)));
    }
}
