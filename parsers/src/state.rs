//! Per-source state the [`Parser`](crate::Parser) keeps between records:
//! today the W3C layout a source declared with `#Fields:` (and its
//! `#Date:`).
//!
//! A source is the input, the sender's address (not its port: a TCP sender
//! reconnects from another one) and the host name of the syslog header, if
//! any (a relay forwards several servers). The table is shared by the
//! clones of a parser, behind a mutex taken only for records that need it:
//! directive lines, and lines of sources once some source declared a
//! layout. It holds at most [`MAX_SOURCES`] sources; beyond that the one
//! whose state is the oldest is forgotten (its next lines are read in the
//! default layout until it sends `#Fields:` again, which IIS does in every
//! new log file).
//!
//! The state lives in memory: after a restart a node reads a source's lines
//! in the default layout until the next `#Fields:`.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use vedette_model::Event;

use crate::formats::w3c::W3cState;

/// Sources remembered at most.
pub const MAX_SOURCES: usize = 4096;

/// The key of a source: a hash of its input, address and host name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SourceKey(u64);

impl SourceKey {
    /// The source of `ev` (origin, and `host.name` when the syslog header
    /// set it).
    pub(crate) fn of(ev: &Event) -> SourceKey {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        ev.origin.input.hash(&mut h);
        ev.origin.peer.map(|p| p.ip()).hash(&mut h);
        ev.get_str("host.name").hash(&mut h);
        SourceKey(h.finish())
    }

    #[cfg(test)]
    fn test(input: &str, ip: Option<std::net::IpAddr>) -> SourceKey {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        input.hash(&mut h);
        ip.hash(&mut h);
        None::<&str>.hash(&mut h);
        SourceKey(h.finish())
    }
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<SourceKey, (u64, W3cState)>,
    /// Incremented at each change: the age of an entry.
    clock: u64,
}

/// The table of per-source state.
#[derive(Debug, Default)]
pub(crate) struct States {
    inner: Mutex<Inner>,
    /// Entries in the table, read without the lock.
    len: AtomicUsize,
}

impl States {
    /// Whether no source has state (no lock taken).
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::Relaxed) == 0
    }

    /// A copy of the state of `key`, if it has one.
    pub(crate) fn get(&self, key: SourceKey) -> Option<W3cState> {
        if self.is_empty() {
            return None;
        }
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.map.get(&key).map(|(_, s)| s.clone())
    }

    /// Runs `f` on the state of `key` (a default one if it has none) and
    /// keeps the result, unless it is still the default.
    pub(crate) fn update<R>(&self, key: SourceKey, f: impl FnOnce(&mut W3cState) -> R) -> R {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut state = inner
            .map
            .get(&key)
            .map(|(_, s)| s.clone())
            .unwrap_or_default();
        let before = state.clone();
        let r = f(&mut state);
        if state != before {
            inner.clock += 1;
            let clock = inner.clock;
            if !inner.map.contains_key(&key) && inner.map.len() >= MAX_SOURCES {
                // Forget the oldest (a scan, only when the table is full).
                if let Some(oldest) = inner
                    .map
                    .iter()
                    .min_by_key(|(_, (c, _))| *c)
                    .map(|(k, _)| *k)
                {
                    inner.map.remove(&oldest);
                }
            }
            inner.map.insert(key, (clock, state));
            self.len.store(inner.map.len(), Ordering::Relaxed);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;
    use time::macros::date;

    #[test]
    fn bounded_and_oldest_forgotten() {
        let s = States::default();
        assert!(s.is_empty());
        let key =
            |i: usize| SourceKey::test("t", Some(IpAddr::from([10, 0, (i >> 8) as u8, i as u8])));
        for i in 0..MAX_SOURCES + 10 {
            s.update(key(i), |st| st.date = Some(date!(2026 - 11 - 25)));
        }
        assert_eq!(s.len.load(Ordering::Relaxed), MAX_SOURCES);
        assert!(s.get(key(0)).is_none());
        assert!(s.get(key(9)).is_none());
        assert!(s.get(key(10)).is_some());
        assert!(s.get(key(MAX_SOURCES + 9)).is_some());
        // An update that changes nothing stores nothing.
        s.update(SourceKey::test("other", None), |_| ());
        assert!(s.get(SourceKey::test("other", None)).is_none());
    }
}
