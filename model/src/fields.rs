//! [`Fields`]: an event's fields, a flat map from ECS name to value.
//!
//! Parsing sets tens of fields per record (a PAN-OS traffic record about
//! ninety), so this map is on the hottest path of the pipeline. It is a
//! vector of entries in insertion order with an open-addressing index
//! beside it: setting a new field is one hash, a short probe of a table of
//! `u32`s and a push; a lookup is one hash and a probe. Each entry keeps
//! its hash, so growing the index never hashes a name again.
//!
//! It replaced an `indexmap::IndexMap`, whose general-purpose insert
//! (hashbrown's SIMD groups, growth bookkeeping) was a quarter of the
//! instructions of parsing a firewall record; the numbers are in
//! BENCHMARKS.md. Removing a field shifts the entries after it and rebuilds
//! the index (parsers remove a field rarely). Iteration follows insertion
//! order, which is deterministic for a given record and parser;
//! [`Fields::sorted`] gives the names in order for display. The hasher is
//! seeded per process ([`foldhash`]), since field names come from the
//! network: crafted names cannot make every insert collide.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

use foldhash::fast::RandomState;

use crate::FieldValue;

/// A field's name. Names up to 24 bytes (nearly every ECS name and vendor
/// key) are stored inline, so setting a field allocates nothing for its name.
pub type Name = compact_str::CompactString;

/// A text value ([`FieldValue::Str`]), inline up to 24 bytes like [`Name`].
pub type Text = compact_str::CompactString;

/// The hasher of every map, seeded once per process: random, so crafted
/// names cannot make inserts collide, and shared, so that a [`Key`] works
/// out its hash once for all maps.
static HASHER: LazyLock<RandomState> = LazyLock::new(RandomState::default);

/// A field name known when the program is built, with its hash worked out
/// on first use: setting a field by `Key` neither hashes nor copies the
/// name byte by byte. Made by [`key!`](crate::key):
///
/// ```
/// use vedette_model::{key, Fields, FieldValue};
///
/// let mut f = Fields::new();
/// f.set_key(key!("source.ip"), FieldValue::Str("10.0.0.1".into()));
/// assert_eq!(f.get("source.ip"), Some(&FieldValue::Str("10.0.0.1".into())));
/// ```
pub struct Key {
    name: Name,
    /// The name's hash; 0 until worked out.
    hash: AtomicU64,
}

impl Key {
    /// A key for `name` (for a `static`: see [`key!`](crate::key)).
    pub const fn new(name: &'static str) -> Key {
        Key {
            name: Name::const_new(name),
            hash: AtomicU64::new(0),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    #[inline]
    fn hash(&self) -> u64 {
        match self.hash.load(Ordering::Relaxed) {
            0 => {
                let h = HASHER.hash_one(self.name.as_str());
                // A hash of 0 (one name in 2^64) is worked out every time.
                self.hash.store(h, Ordering::Relaxed);
                h
            }
            h => h,
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.name.as_str(), f)
    }
}

/// A `&'static` [`Key`] for a field name written in the code:
/// `key!("source.ip")`, for [`Fields::set_key`] and `Event::set`.
#[macro_export]
macro_rules! key {
    ($name:literal) => {{
        static KEY: $crate::fields::Key = $crate::fields::Key::new($name);
        &KEY
    }};
}

/// What names a field when one is set: a name computed at run time
/// (`&str`, `&String`, `&Name`, anything `AsRef<str>`) or a [`Key`]
/// written in the code.
pub trait FieldName {
    /// Sets the field this names in `fields` to `value`.
    fn set_in(self, fields: &mut Fields, value: FieldValue);
}

impl<T: AsRef<str> + ?Sized> FieldName for &T {
    #[inline]
    fn set_in(self, fields: &mut Fields, value: FieldValue) {
        fields.set(self.as_ref(), value);
    }
}

impl FieldName for &Key {
    #[inline]
    fn set_in(self, fields: &mut Fields, value: FieldValue) {
        fields.set_key(self, value);
    }
}

/// One field and its name's hash.
#[derive(Clone)]
struct Slot {
    hash: u64,
    name: Name,
    value: FieldValue,
}

/// An event's fields by Elastic Common Schema name (flat, dotted keys).
#[derive(Clone)]
pub struct Fields {
    entries: Vec<Slot>,
    /// Linear-probing index into `entries`: 0 is an empty slot, `i + 1`
    /// the entry `i`. Its length is 0 or a power of two at least twice the
    /// number of entries, so a probe ends at an empty slot.
    index: Vec<u32>,
    hasher: RandomState,
}

/// Where a name is, or where it would go.
enum Found {
    /// The entry's position in `entries`.
    At(usize),
    /// Absent; the empty index slot its probe ended at (none when the
    /// index is not allocated yet).
    Vacant(Option<usize>),
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            entries: Vec::new(),
            index: Vec::new(),
            hasher: HASHER.clone(),
        }
    }
}

impl Fields {
    /// No fields.
    pub fn new() -> Self {
        Fields::default()
    }

    /// No fields, with room for `n`.
    pub fn with_capacity(n: usize) -> Self {
        // Allocated outright: one call per event, on the hot path, where
        // `reserve`'s growth path cost more than the allocations.
        Fields {
            entries: Vec::with_capacity(n),
            index: if n == 0 {
                Vec::new()
            } else {
                vec![0; index_size(n)]
            },
            hasher: HASHER.clone(),
        }
    }

    /// Makes room for `n` more fields.
    pub fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        let want = self.entries.len().saturating_add(n);
        if want.saturating_mul(2) > self.index.len() {
            self.rebuild(want);
        }
    }

    #[inline]
    fn hash(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Rebuilds the index for at least `n` entries from the stored hashes.
    fn rebuild(&mut self, n: usize) {
        let size = index_size(n.max(self.entries.len()));
        self.index.clear();
        self.index.resize(size, 0);
        for i in 0..self.entries.len() {
            let at = self.empty_slot(self.entries[i].hash);
            self.index[at] = slot_of(i);
        }
    }

    /// The first empty index slot on `hash`'s probe (the index is
    /// allocated and at most half full).
    fn empty_slot(&self, hash: u64) -> usize {
        let mask = self.index.len() - 1;
        // The low bits pick the slot (foldhash mixes them well).
        let mut at = hash as usize & mask;
        while self.index[at] != 0 {
            at = (at + 1) & mask;
        }
        at
    }

    #[inline]
    fn find(&self, hash: u64, key: &str) -> Found {
        if self.index.is_empty() {
            return Found::Vacant(None);
        }
        let mask = self.index.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let Some(i) = (self.index[at] as usize).checked_sub(1) else {
                return Found::Vacant(Some(at));
            };
            let e = &self.entries[i];
            if e.hash == hash && e.name == key {
                return Found::At(i);
            }
            at = (at + 1) & mask;
        }
    }

    /// Appends a field known to be absent; `at` is the empty index slot
    /// [`Fields::find`] ended at. Its position in `entries`.
    #[inline(always)]
    fn push(&mut self, at: Option<usize>, hash: u64, name: Name, value: FieldValue) -> usize {
        let i = self.entries.len();
        let at = match at {
            Some(at) if (i + 1) * 2 <= self.index.len() => at,
            _ => {
                self.rebuild((i + 1).max(self.entries.capacity()));
                self.empty_slot(hash)
            }
        };
        self.index[at] = slot_of(i);
        self.entries.push(Slot { hash, name, value });
        i
    }

    /// Sets `key` to `value`; the value it had, if any.
    pub fn insert(&mut self, key: impl Into<Name>, value: FieldValue) -> Option<FieldValue> {
        let name = key.into();
        let hash = self.hash(&name);
        match self.find(hash, &name) {
            Found::At(i) => Some(std::mem::replace(&mut self.entries[i].value, value)),
            Found::Vacant(at) => {
                self.push(at, hash, name, value);
                None
            }
        }
    }

    /// Sets `key` to `value`, allocating the name only when it is new.
    pub fn set(&mut self, key: &str, value: FieldValue) {
        self.set_hashed(self.hash(key), key, || Name::new(key), value);
    }

    /// Sets the field named by `key` to `value`: as [`Fields::set`],
    /// without hashing or copying the name's bytes.
    #[inline]
    pub fn set_key(&mut self, key: &Key, value: FieldValue) {
        self.set_hashed(key.hash(), &key.name, || key.name.clone(), value);
    }

    /// Sets `key`, whose hash is `hash`, to `value`; `name` makes the
    /// stored name when the field is new.
    #[inline(always)]
    fn set_hashed(&mut self, hash: u64, key: &str, name: impl FnOnce() -> Name, value: FieldValue) {
        match self.find(hash, key) {
            Found::At(i) => self.entries[i].value = value,
            Found::Vacant(at) => {
                self.push(at, hash, name(), value);
            }
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        match self.find(self.hash(key), key) {
            Found::At(i) => Some(i),
            Found::Vacant(_) => None,
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&FieldValue> {
        self.position(key).map(|i| &self.entries[i].value)
    }

    /// The value of `key`, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut FieldValue> {
        self.position(key).map(|i| &mut self.entries[i].value)
    }

    /// The stored name and the value of `key`.
    pub fn get_key_value(&self, key: &str) -> Option<(&Name, &FieldValue)> {
        self.position(key).map(|i| {
            let e = &self.entries[i];
            (&e.name, &e.value)
        })
    }

    /// Whether `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Removes `key`, keeping the order of the others; its value, if any.
    /// Shifts the later fields and rebuilds the index: linear in the
    /// number of fields.
    pub fn remove(&mut self, key: &str) -> Option<FieldValue> {
        let i = self.position(key)?;
        let e = self.entries.remove(i);
        self.rebuild(self.entries.len());
        Some(e.value)
    }

    /// The entry of `key`, for insert-or-update in one lookup.
    pub fn entry(&mut self, key: impl Into<Name>) -> Entry<'_> {
        let name = key.into();
        let hash = self.hash(&name);
        match self.find(hash, &name) {
            Found::At(i) => Entry::Occupied(OccupiedEntry { map: self, i }),
            Found::Vacant(at) => Entry::Vacant(VacantEntry {
                map: self,
                at,
                hash,
                name,
            }),
        }
    }

    /// How many fields are set.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every field, keeping the room they took.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.index.fill(0);
    }

    /// Names and values, in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// Names, in insertion order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Name> + ExactSizeIterator {
        self.entries.iter().map(|e| &e.name)
    }

    /// Values, in insertion order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &FieldValue> + ExactSizeIterator {
        self.entries.iter().map(|e| &e.value)
    }

    /// Values, to change in place.
    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut FieldValue> + ExactSizeIterator {
        self.entries.iter_mut().map(|e| &mut e.value)
    }

    /// The `i`th field in insertion order.
    pub fn get_index(&self, i: usize) -> Option<(&Name, &FieldValue)> {
        self.entries.get(i).map(|e| (&e.name, &e.value))
    }

    /// The fields whose names start with `prefix`, sorted by name.
    pub fn with_prefix(&self, prefix: &str) -> Vec<(&str, &FieldValue)> {
        let mut v: Vec<_> = self
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

/// The index length for `n` entries: a power of two, at least twice `n`.
fn index_size(n: usize) -> usize {
    n.saturating_mul(2).max(8).next_power_of_two()
}

/// The index slot of entry `i`.
#[inline]
fn slot_of(i: usize) -> u32 {
    // More than u32::MAX - 1 fields would not fit in memory as events.
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

/// A name's entry in [`Fields`]: see [`Fields::entry`].
pub enum Entry<'a> {
    /// The name is set.
    Occupied(OccupiedEntry<'a>),
    /// The name is not set.
    Vacant(VacantEntry<'a>),
}

impl<'a> Entry<'a> {
    /// The value, set to `value` first when the name was not set.
    pub fn or_insert(self, value: FieldValue) -> &'a mut FieldValue {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(value),
        }
    }
}

/// A set name's entry.
pub struct OccupiedEntry<'a> {
    map: &'a mut Fields,
    i: usize,
}

impl<'a> OccupiedEntry<'a> {
    /// The value.
    pub fn get(&self) -> &FieldValue {
        &self.map.entries[self.i].value
    }

    /// The value, to change in place.
    pub fn get_mut(&mut self) -> &mut FieldValue {
        &mut self.map.entries[self.i].value
    }

    /// The value, for as long as the map is borrowed.
    pub fn into_mut(self) -> &'a mut FieldValue {
        &mut self.map.entries[self.i].value
    }

    /// Sets the value; the one it had.
    pub fn insert(&mut self, value: FieldValue) -> FieldValue {
        std::mem::replace(self.get_mut(), value)
    }
}

/// An unset name's entry.
pub struct VacantEntry<'a> {
    map: &'a mut Fields,
    at: Option<usize>,
    hash: u64,
    name: Name,
}

impl<'a> VacantEntry<'a> {
    /// Sets the name to `value`.
    pub fn insert(self, value: FieldValue) -> &'a mut FieldValue {
        let i = self.map.push(self.at, self.hash, self.name, value);
        &mut self.map.entries[i].value
    }
}

/// The fields of [`Fields::iter`], in insertion order.
#[derive(Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, Slot>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Name, &'a FieldValue);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|e| (&e.name, &e.value))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|e| (&e.name, &e.value))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The fields of a [`Fields`] taken apart, in insertion order.
pub struct IntoIter(std::vec::IntoIter<Slot>);

impl Iterator for IntoIter {
    type Item = (Name, FieldValue);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|e| (e.name, e.value))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|e| (e.name, e.value))
    }
}

impl ExactSizeIterator for IntoIter {}

/// Equal when the same names have the same values, in any order.
impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a Name, &'a FieldValue);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Fields {
    type Item = (Name, FieldValue);
    type IntoIter = IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        IntoIter(self.entries.into_iter())
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
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// What a test does to a map.
    #[derive(Debug, Clone)]
    enum Op {
        Set(u8, i64),
        Insert(u8, i64),
        Remove(u8),
        EntryOrInsert(u8, i64),
        Reserve(u8),
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => (any::<u8>(), any::<i64>()).prop_map(|(k, v)| Op::Set(k, v)),
            3 => (any::<u8>(), any::<i64>()).prop_map(|(k, v)| Op::Insert(k, v)),
            2 => any::<u8>().prop_map(Op::Remove),
            2 => (any::<u8>(), any::<i64>()).prop_map(|(k, v)| Op::EntryOrInsert(k, v)),
            1 => any::<u8>().prop_map(Op::Reserve),
            1 => Just(Op::Clear),
        ]
    }

    /// Names of every length around the inline limit of 24 bytes.
    fn name(k: u8) -> String {
        format!("{}.{k}", "f".repeat(usize::from(k % 40)))
    }

    proptest! {
        /// The map behaves as an insertion-ordered list of unique names.
        #[test]
        fn behaves_as_an_ordered_list(ops in prop::collection::vec(op(), 0..300)) {
            let mut f = Fields::new();
            let mut want: Vec<(String, i64)> = Vec::new();
            for op in ops {
                match op {
                    Op::Set(k, v) | Op::Insert(k, v) => {
                        let n = name(k);
                        let old = match want.iter_mut().find(|(w, _)| *w == n) {
                            Some(slot) => Some(std::mem::replace(&mut slot.1, v)),
                            None => {
                                want.push((n.clone(), v));
                                None
                            }
                        };
                        if matches!(op, Op::Set(..)) {
                            f.set(&n, FieldValue::Int(v));
                        } else {
                            prop_assert_eq!(f.insert(n, FieldValue::Int(v)), old.map(FieldValue::Int));
                        }
                    }
                    Op::Remove(k) => {
                        let n = name(k);
                        let old = want.iter().position(|(w, _)| *w == n).map(|i| want.remove(i).1);
                        prop_assert_eq!(f.remove(&n), old.map(FieldValue::Int));
                    }
                    Op::EntryOrInsert(k, v) => {
                        let n = name(k);
                        let now = match want.iter().find(|(w, _)| *w == n) {
                            Some((_, x)) => *x,
                            None => {
                                want.push((n.clone(), v));
                                v
                            }
                        };
                        prop_assert_eq!(f.entry(n).or_insert(FieldValue::Int(v)), &FieldValue::Int(now));
                    }
                    Op::Reserve(n) => f.reserve(usize::from(n)),
                    Op::Clear => {
                        f.clear();
                        want.clear();
                    }
                }
                prop_assert_eq!(f.len(), want.len());
            }
            let got: Vec<(String, i64)> = f
                .iter()
                .map(|(k, v)| (k.to_string(), match v { FieldValue::Int(n) => *n, _ => i64::MIN }))
                .collect();
            prop_assert_eq!(&got, &want);
            for (k, v) in &want {
                prop_assert_eq!(f.get(k), Some(&FieldValue::Int(*v)));
            }
            for k in 0..=u8::MAX {
                let n = name(k);
                prop_assert_eq!(f.contains_key(&n), want.iter().any(|(w, _)| *w == n));
            }
        }
    }

    #[test]
    fn many_fields_grow_the_index() {
        let mut f = Fields::with_capacity(2);
        for i in 0..10_000 {
            f.set(&format!("k{i}"), FieldValue::Int(i));
        }
        assert_eq!(f.len(), 10_000);
        assert!((0..10_000).all(|i| f.get(&format!("k{i}")) == Some(&FieldValue::Int(i))));
        assert_eq!(f.get("k10000"), None);
        let mut g = f.clone();
        assert_eq!(g.remove("k0"), Some(FieldValue::Int(0)));
        assert_eq!(g.keys().next().map(Name::as_str), Some("k1"));
        assert_ne!(f, g);
    }

    #[test]
    fn entry_inserts_once() {
        let mut f = Fields::new();
        f.entry("k").or_insert(FieldValue::Int(1));
        f.entry("k").or_insert(FieldValue::Int(2));
        assert_eq!(f.get("k"), Some(&FieldValue::Int(1)));
    }
}
