//! In-memory login throttling.
//!
//! Failures are counted per username and per client address. Once a key
//! collects [`ThrottleConfig::max_failures`] failures within
//! [`ThrottleConfig::window`], further attempts for it are refused for
//! [`ThrottleConfig::lockout`]. The table is bounded: when it is full,
//! expired entries are dropped first, then the stalest entry.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Limits for [`LoginThrottle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures that trigger a lockout.
    pub max_failures: u32,
    /// How far back failures count.
    pub window: Duration,
    /// How long a lockout lasts.
    pub lockout: Duration,
    /// The most keys tracked at once.
    pub max_entries: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            max_failures: 5,
            window: Duration::from_secs(5 * 60),
            lockout: Duration::from_secs(5 * 60),
            max_entries: 50_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Ip(IpAddr),
}

#[derive(Debug)]
struct Entry {
    /// Start of the current counting window.
    window_start: Instant,
    failures: u32,
    locked_until: Option<Instant>,
    last_seen: Instant,
}

/// Counts failed logins and says when to refuse attempts.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    config: ThrottleConfig,
    entries: Mutex<HashMap<Key, Entry>>,
}

impl LoginThrottle {
    /// A throttle with the given limits.
    pub fn new(config: ThrottleConfig) -> Self {
        LoginThrottle {
            config,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, ip: Option<IpAddr>) -> impl Iterator<Item = Key> {
        // Usernames are compared case-insensitively so `Admin` and `admin`
        // share a counter; the length bound keeps the table small.
        let user: String = username
            .trim()
            .chars()
            .take(128)
            .flat_map(char::to_lowercase)
            .collect();
        std::iter::once(Key::User(user)).chain(ip.map(Key::Ip))
    }

    /// When attempts for this username or address are locked out, how long
    /// until they may try again.
    pub fn check(&self, username: &str, ip: Option<IpAddr>) -> Option<Duration> {
        self.check_at(username, ip, Instant::now())
    }

    fn check_at(&self, username: &str, ip: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let entries = self.lock();
        Self::keys(username, ip)
            .filter_map(|k| entries.get(&k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    /// Records a failed attempt.
    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>) {
        self.record_failure_at(username, ip, Instant::now());
    }

    fn record_failure_at(&self, username: &str, ip: Option<IpAddr>, now: Instant) {
        let cfg = self.config;
        let mut entries = self.lock();
        for key in Self::keys(username, ip) {
            if !entries.contains_key(&key) && entries.len() >= cfg.max_entries {
                Self::make_room(&mut entries, &cfg, now);
            }
            let e = entries.entry(key).or_insert(Entry {
                window_start: now,
                failures: 0,
                locked_until: None,
                last_seen: now,
            });
            e.last_seen = now;
            if e.locked_until.is_some_and(|u| u > now) {
                continue;
            }
            if now.saturating_duration_since(e.window_start) > cfg.window
                || e.locked_until.is_some()
            {
                e.window_start = now;
                e.failures = 0;
                e.locked_until = None;
            }
            e.failures = e.failures.saturating_add(1);
            if e.failures >= cfg.max_failures {
                e.locked_until = Some(now + cfg.lockout);
            }
        }
    }

    /// Forgets the failures of a username after a successful login (the
    /// address keeps its count: one host guessing many accounts stays
    /// throttled).
    pub fn record_success(&self, username: &str) {
        let mut entries = self.lock();
        if let Some(key) = Self::keys(username, None).next() {
            entries.remove(&key);
        }
    }

    fn make_room(entries: &mut HashMap<Key, Entry>, cfg: &ThrottleConfig, now: Instant) {
        entries.retain(|_, e| {
            let locked = e.locked_until.is_some_and(|u| u > now);
            locked || now.saturating_duration_since(e.window_start) <= cfg.window
        });
        if entries.len() >= cfg.max_entries {
            let stalest = entries
                .iter()
                .min_by_key(|(_, e)| e.last_seen)
                .map(|(k, _)| k.clone());
            if let Some(k) = stalest {
                entries.remove(&k);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // in a way that matters here, so recover from poisoning.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn locks_after_max_failures_per_user() {
        let t = LoginThrottle::new(ThrottleConfig::default());
        let now = Instant::now();
        for i in 0..4 {
            t.record_failure_at("alice", ip(&format!("10.0.0.{i}")), now);
            assert!(t.check_at("alice", None, now).is_none());
        }
        t.record_failure_at("ALICE", ip("10.0.0.9"), now);
        assert!(t.check_at("alice", None, now).is_some());
        assert!(t.check_at("bob", ip("10.0.0.1"), now).is_none());
        // The lockout ends.
        let later = now + Duration::from_secs(5 * 60 + 1);
        assert!(t.check_at("alice", None, later).is_none());
    }

    #[test]
    fn locks_per_address() {
        let t = LoginThrottle::new(ThrottleConfig::default());
        let now = Instant::now();
        for i in 0..5 {
            t.record_failure_at(&format!("user{i}"), ip("192.0.2.7"), now);
        }
        let wait = t.check_at("someone-else", ip("192.0.2.7"), now);
        assert_eq!(wait, Some(Duration::from_secs(300)));
        assert!(t.check_at("someone-else", ip("192.0.2.8"), now).is_none());
    }

    #[test]
    fn old_failures_expire() {
        let t = LoginThrottle::new(ThrottleConfig::default());
        let now = Instant::now();
        for _ in 0..4 {
            t.record_failure_at("carol", None, now);
        }
        let later = now + Duration::from_secs(301);
        t.record_failure_at("carol", None, later);
        assert!(t.check_at("carol", None, later).is_none());
    }

    #[test]
    fn success_clears_user() {
        let t = LoginThrottle::new(ThrottleConfig::default());
        let now = Instant::now();
        for _ in 0..4 {
            t.record_failure_at("dave", None, now);
        }
        t.record_success("dave");
        t.record_failure_at("dave", None, now);
        assert!(t.check_at("dave", None, now).is_none());
    }

    #[test]
    fn table_is_bounded() {
        let cfg = ThrottleConfig {
            max_entries: 10,
            ..ThrottleConfig::default()
        };
        let t = LoginThrottle::new(cfg);
        let now = Instant::now();
        for i in 0..100 {
            t.record_failure_at(&format!("u{i}"), None, now);
        }
        assert!(t.lock().len() <= 10);
    }
}
