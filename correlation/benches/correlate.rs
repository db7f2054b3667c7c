//! Correlation cost and state size, printed as a table (not criterion: the
//! figures are throughput ratios and memory, measured once per run).
//!
//! ```sh
//! cargo bench -p vedette-correlation --bench correlate
//! ```
//!
//! 1. Throughput: the same 200,000 Linux auth events through detection only
//!    (the rule pack without its correlation rule, plus the SigmaHQ Linux
//!    rules when `../shared/corpora` is present), then through detection
//!    and the correlator with four correlation rules (event_count twice,
//!    one of them the pack's SSH brute force, value_count,
//!    temporal_ordered).
//! 2. Memory: one million open groups (one failed login from each of a
//!    million addresses within the window), resident memory before and
//!    after, and the time and size of saving and restoring that state, with
//!    the default `max_linked_events` (`LINKED=8 cargo bench ...` for
//!    another; one setting per process, since freed memory is not returned
//!    to the system).

use std::path::{Path, PathBuf};
use std::time::Instant;

use time::OffsetDateTime;
use vedette_correlation::{CorrelationConfig, Detector, SigmaRuleSet, StateFile};
use vedette_model::{Event, LogSource, Origin};

const EXTRA: &str = r#"
title: SSH Login Succeeded
id: 9d7a0000-0000-4000-8000-00000000b001
name: ssh_login_ok
logsource: { product: linux, service: sshd }
detection:
    selection: { event.action: ssh_login, event.outcome: success }
    condition: selection
level: informational
---
title: Password spraying from one address
id: 9d7a0000-0000-4000-8000-00000000b002
correlation:
    type: value_count
    rules: [ssh_login_failed]
    group-by: [source.ip]
    timespan: 10m
    condition: { field: user.name, gte: 10 }
level: high
---
title: Failures then success for one account
id: 9d7a0000-0000-4000-8000-00000000b003
correlation:
    type: temporal_ordered
    rules: [ssh_login_failed, ssh_login_ok]
    group-by: [user.name]
    timespan: 10m
level: high
---
title: Many failures for one account
id: 9d7a0000-0000-4000-8000-00000000b004
correlation:
    type: event_count
    rules: [ssh_login_failed]
    group-by: [user.name]
    timespan: 1h
    condition: { gte: 20 }
level: medium
"#;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn sources(with_correlations: bool) -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs = vec![root.join("rules")];
    let linux = std::env::var_os("VEDETTE_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpora"))
        .join("sigmahq/rules/linux");
    if linux.is_dir() {
        dirs.push(linux);
    }
    let mut out = Vec::new();
    fn walk(p: &Path, out: &mut Vec<(String, String)>) {
        let Ok(rd) = std::fs::read_dir(p) else { return };
        let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for e in entries {
            if e.is_dir() {
                walk(&e, out);
            } else if e.extension().is_some_and(|x| x == "yml") {
                if let Ok(t) = std::fs::read_to_string(&e) {
                    out.push((e.display().to_string(), t));
                }
            }
        }
    }
    for d in dirs {
        walk(&d, &mut out);
    }
    if with_correlations {
        out.push(("extra.yml".into(), EXTRA.into()));
    } else {
        out.retain(|(_, t)| !t.lines().any(|l| l == "correlation:"));
    }
    out
}

fn load(with_correlations: bool) -> SigmaRuleSet {
    let src = sources(with_correlations);
    let (set, report) =
        SigmaRuleSet::from_sources(src.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    eprintln!(
        "rules: {} detection, {} correlation, {} not loaded",
        report.loaded,
        report.correlations,
        report.errors.len()
    );
    set
}

fn event(i: u64, t0: OffsetDateTime, ip: String, user: &str, kind: u64) -> Event {
    let (svc, action, outcome, msg) = match kind {
        0 | 1 => ("sshd", "ssh_login", "failure", "Failed password"),
        2 => ("sshd", "ssh_login", "success", "Accepted publickey"),
        3 => ("sudo", "sudo", "success", "sudo"),
        _ => ("cron", "cron", "success", "CMD"),
    };
    let t = t0 + time::Duration::milliseconds(i as i64 * 5);
    let text = format!("{msg} for {user} from {ip} port 22 ssh2");
    let mut e = Event::raw(i + 1, t, Origin::new("bench", None), text.as_bytes());
    e.timestamp = t;
    e.logsource = LogSource::new(Some("linux"), None, &[svc, "auth", "syslog"]);
    e.set("host.name", "srv-01");
    e.set("process.name", svc);
    e.set("user.name", user);
    e.set("source.ip", ip);
    e.set("event.action", action);
    e.set("event.outcome", outcome);
    e
}

fn stream(n: u64, t0: OffsetDateTime) -> Vec<Event> {
    let users: Vec<String> = (0..500).map(|u| format!("user{u}")).collect();
    (0..n)
        .map(|i| {
            let ip = format!("10.{}.{}.{}", i % 7, (i / 7) % 250, (i * 13) % 250);
            event(i, t0, ip, &users[(i * 31 % 500) as usize], i % 6)
        })
        .collect()
}

fn main() {
    let t0 = OffsetDateTime::parse(
        "2026-11-25T00:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let events = stream(200_000, t0);

    let linked: usize = std::env::var("LINKED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CorrelationConfig::default().max_linked_events);
    if std::env::var_os("LINKED").is_some() {
        memory(t0, linked);
        return;
    }

    // 1. Throughput.
    let plain = load(false);
    let with = load(true);
    for round in 0..3 {
        let mut hits = Vec::new();
        let start = Instant::now();
        let mut n = 0usize;
        for e in &events {
            hits.clear();
            plain.detect(e, &mut hits);
            n += hits.len();
        }
        let detect_only = start.elapsed().as_secs_f64();

        let mut c = with.correlator(CorrelationConfig::default());
        let mut alerts = 0usize;
        let mut corr_time = 0.0;
        let start = Instant::now();
        for e in &events {
            hits.clear();
            with.detect(e, &mut hits);
            let t = Instant::now();
            c.process(e, &mut hits);
            corr_time += t.elapsed().as_secs_f64();
            alerts += hits.len();
        }
        let both = start.elapsed().as_secs_f64();
        let k = events.len() as f64;
        println!(
            "round {round}: detect only {:.0} ev/s ({n} hits) | detect+correlate {:.0} ev/s ({alerts} alerts, {} open groups) | correlate alone {:.0} ev/s | ratio {:.2}x",
            k / detect_only,
            k / both,
            c.open_groups(),
            k / corr_time,
            both / detect_only
        );
    }

    drop(events);
    // `THROUGHPUT_ONLY=1` stops here (for profiling).
    if std::env::var_os("THROUGHPUT_ONLY").is_none() {
        memory(t0, linked);
    }
}

/// One million open groups.
fn memory(t0: OffsetDateTime, linked: usize) {
    {
        let only_brute = {
            let src = sources(false);
            let mut src: Vec<(String, String)> = src
                .into_iter()
                .filter(|(p, _)| p.contains("ssh_login_failed"))
                .collect();
            let root =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules/ssh_brute_force.yml");
            src.push(("b.yml".into(), std::fs::read_to_string(root).unwrap()));
            SigmaRuleSet::from_sources(src.iter().map(|(p, t)| (p.as_str(), t.as_str()))).0
        };
        let cfg = CorrelationConfig {
            max_groups: 1_100_000,
            max_linked_events: linked,
            ..CorrelationConfig::default()
        };
        let mut c = only_brute.correlator(cfg);
        let before = rss_kib();
        let start = Instant::now();
        let mut hits = Vec::new();
        for i in 0..1_000_000u64 {
            let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            // 5 ms apart: 1,000,000 events in 5,000 s would leave the
            // 5-minute window; all in the same second instead.
            let mut e = event(i, t0, ip, "root", 0);
            e.timestamp = t0;
            hits.clear();
            only_brute.detect(&e, &mut hits);
            c.process(&e, &mut hits);
        }
        let fill = start.elapsed().as_secs_f64();
        let after = rss_kib();
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path());
        let t = Instant::now();
        file.save(&c, 1_000_000).unwrap();
        let save = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(dir.path().join("correlation-state.json"))
            .map(|m| m.len())
            .unwrap_or(0);
        let mut c2 = only_brute.correlator(cfg);
        let t = Instant::now();
        let restored = file.restore(&mut c2, 1_000_000).unwrap();
        let restore = t.elapsed().as_secs_f64();
        println!(
            "1M groups (max_linked_events {linked}): {} open, fill {fill:.1} s, RSS +{} MiB ({} B/group), state file {} MiB, save {save:.2} s, restore {restore:.2} s ({restored:?})",
            c.open_groups(),
            (after.saturating_sub(before)) / 1024,
            (after.saturating_sub(before)) * 1024 / 1_000_000,
            size / (1 << 20),
        );
        drop(c2);
        drop(c);
    }
}
