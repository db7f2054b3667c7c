//! Collector counters, shared between listeners and exported to Prometheus.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use time::OffsetDateTime;

/// The default number of distinct source addresses tracked one by one.
pub const DEFAULT_MAX_SOURCES: usize = 10_000;

/// A network input of the collectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// Syslog over UDP, one message per datagram.
    SyslogUdp,
    /// Syslog over TCP, RFC 6587 framing.
    SyslogTcp,
}

impl Input {
    /// The input's name as recorded in [`vedette_model::Origin::input`].
    pub fn as_str(self) -> &'static str {
        match self {
            Input::SyslogUdp => crate::INPUT_UDP,
            Input::SyslogTcp => crate::INPUT_TCP,
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key of per-source counters: a peer address, or the aggregate of all
/// sources seen once the table is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKey {
    /// One peer IP address (IPv4-mapped IPv6 addresses are shown as IPv4).
    Ip(IpAddr),
    /// Every source beyond the cap.
    Other,
}

impl fmt::Display for SourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceKey::Ip(ip) => ip.fmt(f),
            SourceKey::Other => f.write_str("other"),
        }
    }
}

/// Counters of one input.
#[derive(Debug, Default)]
struct InputCounters {
    frames: AtomicU64,
    bytes: AtomicU64,
    truncated: AtomicU64,
}

impl InputCounters {
    fn snapshot(&self) -> InputSnapshot {
        InputSnapshot {
            frames: self.frames.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            truncated: self.truncated.load(Ordering::Relaxed),
        }
    }
}

/// Counters of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SourceCounters {
    frames: u64,
    bytes: u64,
    dropped: u64,
    last_seen: OffsetDateTime,
}

/// The collectors' counters. Share one in an `Arc` between all listeners;
/// every method takes `&self` and is thread-safe.
///
/// Totals are atomics. Per-source counters sit behind a mutex, keyed by the
/// peer IP address, for at most `max_sources` addresses; later addresses are
/// aggregated under [`SourceKey::Other`].
#[derive(Debug)]
pub struct CollectorStats {
    udp: InputCounters,
    tcp: InputCounters,
    udp_datagrams: AtomicU64,
    udp_dropped: AtomicU64,
    tcp_accepted: AtomicU64,
    tcp_active: AtomicU64,
    tcp_rejected: AtomicU64,
    max_sources: usize,
    sources: Mutex<HashMap<SourceKey, SourceCounters>>,
}

impl Default for CollectorStats {
    fn default() -> Self {
        Self::new()
    }
}

/// A point-in-time copy of one input's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputSnapshot {
    /// Frames handed to the pipeline.
    pub frames: u64,
    /// Bytes of those frames.
    pub bytes: u64,
    /// Frames among them that were truncated to the frame limit.
    pub truncated: u64,
}

/// A point-in-time copy of one source's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceSnapshot {
    /// The source.
    pub source: SourceKey,
    /// Frames handed to the pipeline.
    pub frames: u64,
    /// Bytes of those frames.
    pub bytes: u64,
    /// UDP datagrams dropped because the pipeline was full.
    pub dropped: u64,
    /// When the source last sent something.
    pub last_seen: OffsetDateTime,
}

/// A point-in-time copy of all counters, from [`CollectorStats::snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Syslog over UDP frames.
    pub udp: InputSnapshot,
    /// Syslog over TCP frames.
    pub tcp: InputSnapshot,
    /// UDP datagrams received (handed over or dropped).
    pub udp_datagrams: u64,
    /// UDP datagrams dropped because the pipeline channel was full.
    pub udp_dropped: u64,
    /// TCP connections accepted and served.
    pub tcp_accepted: u64,
    /// TCP connections open now.
    pub tcp_active: u64,
    /// TCP connections closed at once because of the connection limit.
    pub tcp_rejected: u64,
    /// Per-source counters, sorted by source (addresses first, then other).
    pub sources: Vec<SourceSnapshot>,
}

impl StatsSnapshot {
    /// The counters of one source, if it is tracked.
    pub fn source(&self, key: SourceKey) -> Option<&SourceSnapshot> {
        self.sources.iter().find(|s| s.source == key)
    }
}

/// Decrements the active TCP connection gauge when dropped.
#[derive(Debug)]
pub(crate) struct ActiveConnection<'a>(&'a CollectorStats);

impl Drop for ActiveConnection<'_> {
    fn drop(&mut self) {
        self.0.tcp_active.fetch_sub(1, Ordering::Relaxed);
    }
}

impl CollectorStats {
    /// Empty counters tracking up to [`DEFAULT_MAX_SOURCES`] sources.
    pub fn new() -> Self {
        Self::with_max_sources(DEFAULT_MAX_SOURCES)
    }

    /// Empty counters tracking up to `max_sources` sources one by one.
    pub fn with_max_sources(max_sources: usize) -> Self {
        CollectorStats {
            udp: InputCounters::default(),
            tcp: InputCounters::default(),
            udp_datagrams: AtomicU64::new(0),
            udp_dropped: AtomicU64::new(0),
            tcp_accepted: AtomicU64::new(0),
            tcp_active: AtomicU64::new(0),
            tcp_rejected: AtomicU64::new(0),
            max_sources,
            sources: Mutex::new(HashMap::new()),
        }
    }

    fn input(&self, input: Input) -> &InputCounters {
        match input {
            Input::SyslogUdp => &self.udp,
            Input::SyslogTcp => &self.tcp,
        }
    }

    fn sources(&self) -> MutexGuard<'_, HashMap<SourceKey, SourceCounters>> {
        // Counters stay meaningful even if a holder panicked.
        self.sources.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies `f` to the counters of `ip`'s source, creating them if the
    /// table has room and using the aggregate otherwise.
    fn with_source(&self, ip: IpAddr, f: impl FnOnce(&mut SourceCounters)) {
        let now = OffsetDateTime::now_utc();
        let mut map = self.sources();
        let mut key = SourceKey::Ip(ip.to_canonical());
        if !map.contains_key(&key) {
            let tracked = map.len() - usize::from(map.contains_key(&SourceKey::Other));
            if tracked >= self.max_sources {
                key = SourceKey::Other;
            }
        }
        let entry = map.entry(key).or_insert(SourceCounters {
            frames: 0,
            bytes: 0,
            dropped: 0,
            last_seen: now,
        });
        entry.last_seen = now;
        f(entry);
    }

    /// Counts a frame handed to the pipeline.
    pub(crate) fn record_frame(&self, input: Input, ip: IpAddr, len: usize, truncated: bool) {
        let c = self.input(input);
        c.frames.fetch_add(1, Ordering::Relaxed);
        c.bytes.fetch_add(len as u64, Ordering::Relaxed);
        if truncated {
            c.truncated.fetch_add(1, Ordering::Relaxed);
        }
        self.with_source(ip, |s| {
            s.frames += 1;
            s.bytes += len as u64;
        });
    }

    /// Counts a UDP datagram received.
    pub(crate) fn record_datagram(&self) {
        self.udp_datagrams.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a UDP datagram dropped because the pipeline was full.
    pub(crate) fn record_udp_drop(&self, ip: IpAddr) {
        self.udp_dropped.fetch_add(1, Ordering::Relaxed);
        self.with_source(ip, |s| s.dropped += 1);
    }

    /// Counts an accepted TCP connection; it is active until the guard drops.
    pub(crate) fn connection_opened(&self) -> ActiveConnection<'_> {
        self.tcp_accepted.fetch_add(1, Ordering::Relaxed);
        self.tcp_active.fetch_add(1, Ordering::Relaxed);
        ActiveConnection(self)
    }

    /// Counts a TCP connection rejected over the limit.
    pub(crate) fn record_rejected(&self) {
        self.tcp_rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// A copy of all counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        let mut sources: Vec<SourceSnapshot> = self
            .sources()
            .iter()
            .map(|(k, c)| SourceSnapshot {
                source: *k,
                frames: c.frames,
                bytes: c.bytes,
                dropped: c.dropped,
                last_seen: c.last_seen,
            })
            .collect();
        sources.sort_unstable_by_key(|s| s.source);
        StatsSnapshot {
            udp: self.udp.snapshot(),
            tcp: self.tcp.snapshot(),
            udp_datagrams: self.udp_datagrams.load(Ordering::Relaxed),
            udp_dropped: self.udp_dropped.load(Ordering::Relaxed),
            tcp_accepted: self.tcp_accepted.load(Ordering::Relaxed),
            tcp_active: self.tcp_active.load(Ordering::Relaxed),
            tcp_rejected: self.tcp_rejected.load(Ordering::Relaxed),
            sources,
        }
    }

    /// Appends the counters to `out` in the Prometheus text exposition
    /// format (version 0.0.4).
    pub fn render_prometheus(&self, out: &mut String) {
        let s = self.snapshot();
        let inputs = [(Input::SyslogUdp, s.udp), (Input::SyslogTcp, s.tcp)];
        type Pick<T> = fn(&T) -> u64;
        let per_input: [(&str, &str, Pick<InputSnapshot>); 3] = [
            (
                "vedette_collector_frames_total",
                "Frames handed to the pipeline.",
                |c| c.frames,
            ),
            (
                "vedette_collector_bytes_total",
                "Bytes of the frames handed to the pipeline.",
                |c| c.bytes,
            ),
            (
                "vedette_collector_frames_truncated_total",
                "Frames truncated to the maximum frame size.",
                |c| c.truncated,
            ),
        ];
        for (name, help, pick) in per_input {
            header(out, name, help, "counter");
            for (input, c) in &inputs {
                sample(out, name, Some(("input", input.as_str())), pick(c));
            }
        }
        let totals = [
            (
                "vedette_udp_datagrams_total",
                "UDP datagrams received.",
                "counter",
                s.udp_datagrams,
            ),
            (
                "vedette_udp_dropped_total",
                "UDP datagrams dropped because the pipeline was full.",
                "counter",
                s.udp_dropped,
            ),
            (
                "vedette_tcp_connections_accepted_total",
                "TCP connections accepted.",
                "counter",
                s.tcp_accepted,
            ),
            (
                "vedette_tcp_connections_active",
                "TCP connections open now.",
                "gauge",
                s.tcp_active,
            ),
            (
                "vedette_tcp_connections_rejected_total",
                "TCP connections closed at once over the connection limit.",
                "counter",
                s.tcp_rejected,
            ),
        ];
        for (name, help, kind, value) in totals {
            header(out, name, help, kind);
            sample(out, name, None, value);
        }
        let per_source: [(&str, &str, &str, Pick<SourceSnapshot>); 4] = [
            (
                "vedette_source_frames_total",
                "Frames handed to the pipeline, by source address.",
                "counter",
                |c| c.frames,
            ),
            (
                "vedette_source_bytes_total",
                "Bytes of the frames handed to the pipeline, by source address.",
                "counter",
                |c| c.bytes,
            ),
            (
                "vedette_source_dropped_total",
                "UDP datagrams dropped because the pipeline was full, by source address.",
                "counter",
                |c| c.dropped,
            ),
            (
                "vedette_source_last_seen_seconds",
                "When the source last sent something, in Unix seconds.",
                "gauge",
                |c| u64::try_from(c.last_seen.unix_timestamp()).unwrap_or(0),
            ),
        ];
        let labels: Vec<String> = s.sources.iter().map(|c| c.source.to_string()).collect();
        for (name, help, kind, pick) in per_source {
            header(out, name, help, kind);
            for (c, label) in s.sources.iter().zip(&labels) {
                sample(out, name, Some(("source", label)), pick(c));
            }
        }
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, label: Option<(&str, &str)>, value: u64) {
    out.push_str(name);
    if let Some((key, value)) = label {
        out.push('{');
        out.push_str(key);
        out.push_str("=\"");
        escape_label_value(out, value);
        out.push_str("\"}");
    }
    let _ = writeln!(out, " {value}");
}

/// Escapes a label value for the text exposition format: backslash, double
/// quote and line feed.
fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    #[test]
    fn counts_frames_drops_and_connections() {
        let st = CollectorStats::new();
        st.record_datagram();
        st.record_frame(Input::SyslogUdp, v4(10, 0, 0, 1), 5, false);
        st.record_datagram();
        st.record_udp_drop(v4(10, 0, 0, 1));
        st.record_frame(Input::SyslogTcp, v4(10, 0, 0, 2), 7, true);
        {
            let _guard = st.connection_opened();
            assert_eq!(st.snapshot().tcp_active, 1);
        }
        st.record_rejected();
        let s = st.snapshot();
        assert_eq!(
            s.udp,
            InputSnapshot {
                frames: 1,
                bytes: 5,
                truncated: 0
            }
        );
        assert_eq!(
            s.tcp,
            InputSnapshot {
                frames: 1,
                bytes: 7,
                truncated: 1
            }
        );
        assert_eq!((s.udp_datagrams, s.udp_dropped), (2, 1));
        assert_eq!((s.tcp_accepted, s.tcp_active, s.tcp_rejected), (1, 0, 1));
        let a = s.source(SourceKey::Ip(v4(10, 0, 0, 1))).copied();
        assert_eq!(a.map(|a| (a.frames, a.bytes, a.dropped)), Some((1, 5, 1)));
        assert_eq!(s.sources.len(), 2);
    }

    #[test]
    fn mapped_addresses_count_as_ipv4() {
        let st = CollectorStats::new();
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
        st.record_frame(Input::SyslogTcp, mapped, 1, false);
        let s = st.snapshot();
        assert!(s.source(SourceKey::Ip(v4(192, 0, 2, 1))).is_some());
    }

    #[test]
    fn sources_beyond_the_cap_are_aggregated() {
        let st = CollectorStats::with_max_sources(2);
        for i in 1..=5 {
            st.record_frame(Input::SyslogUdp, v4(10, 0, 0, i), 1, false);
        }
        // Known sources keep their own counters after the cap is reached.
        st.record_frame(Input::SyslogUdp, v4(10, 0, 0, 1), 1, false);
        let s = st.snapshot();
        assert_eq!(s.sources.len(), 3);
        let first = s.source(SourceKey::Ip(v4(10, 0, 0, 1))).map(|c| c.frames);
        assert_eq!(first, Some(2));
        assert_eq!(s.source(SourceKey::Other).map(|c| c.frames), Some(3));
        assert_eq!(s.sources.last().map(|c| c.source), Some(SourceKey::Other));
    }

    #[test]
    fn prometheus_text() {
        let st = CollectorStats::new();
        st.record_frame(Input::SyslogTcp, v4(10, 0, 0, 1), 12, false);
        st.record_udp_drop(IpAddr::V6(Ipv6Addr::LOCALHOST));
        let mut out = String::new();
        st.render_prometheus(&mut out);
        for line in [
            "# TYPE vedette_collector_frames_total counter",
            "vedette_collector_frames_total{input=\"syslog-tcp\"} 1",
            "vedette_collector_frames_total{input=\"syslog-udp\"} 0",
            "vedette_collector_bytes_total{input=\"syslog-tcp\"} 12",
            "vedette_udp_dropped_total 1",
            "# TYPE vedette_tcp_connections_active gauge",
            "vedette_source_frames_total{source=\"10.0.0.1\"} 1",
            "vedette_source_dropped_total{source=\"::1\"} 1",
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
        }
        // Every line is a comment or `name[{labels}] value`.
        for l in out.lines() {
            assert!(
                l.starts_with("# ")
                    || l.rsplit_once(' ')
                        .is_some_and(|(_, v)| v.parse::<u64>().is_ok())
            );
        }
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        sample(&mut out, "m", Some(("k", "a\"b\\c\nd")), 3);
        assert_eq!(out, "m{k=\"a\\\"b\\\\c\\nd\"} 3\n");
    }
}
