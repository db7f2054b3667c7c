//! Detection throughput: the project's rules plus the SigmaHQ Linux rules
//! (when `../shared/corpora` is present) against realistic Linux auth events.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use time::OffsetDateTime;
use vedette_correlation::{Detector, SigmaRuleSet};
use vedette_model::{Event, LogSource, Origin};

fn events() -> Vec<Event> {
    let users = ["root", "alice", "bob", "admin", "oracle"];
    (0..2000u64)
        .map(|i| {
            let user = users[(i % 5) as usize];
            let ip = format!("10.0.{}.{}", i / 256 % 256, i % 256);
            let (svc, msg) = match i % 4 {
                0 => (
                    "sshd",
                    format!("Failed password for {user} from {ip} port 22 ssh2"),
                ),
                1 => (
                    "sshd",
                    format!("Accepted publickey for {user} from {ip} port 22 ssh2"),
                ),
                2 => (
                    "sudo",
                    format!("{user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/bin/ls"),
                ),
                _ => ("cron", format!("({user}) CMD (/usr/local/bin/backup.sh)")),
            };
            let mut e = Event::raw(
                i,
                OffsetDateTime::UNIX_EPOCH,
                Origin::new("bench", None),
                msg.as_bytes(),
            );
            e.logsource = LogSource::new(Some("linux"), None, &[svc, "auth", "syslog"]);
            e.set("host.name", "srv-01");
            e.set("process.name", svc);
            e.set("user.name", user);
            e.set("source.ip", ip.as_str());
            e.set(
                "event.action",
                if svc == "sshd" { "ssh_login" } else { svc },
            );
            e.set(
                "event.outcome",
                if i % 4 == 0 { "failure" } else { "success" },
            );
            e
        })
        .collect()
}

fn rules() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut v = vec![root.join("rules")];
    let linux = root.join("../shared/corpora/sigmahq/rules/linux");
    if linux.is_dir() {
        v.push(linux);
    }
    v
}

fn detect(c: &mut Criterion) {
    let (set, report) = SigmaRuleSet::load(&rules());
    eprintln!(
        "{} rules loaded, {} not loaded",
        report.loaded,
        report.errors.len()
    );
    let events = events();
    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("sigma_match_linux_ruleset", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            let mut n = 0;
            for e in &events {
                out.clear();
                set.detect(e, &mut out);
                n += out.len();
            }
            n
        })
    });
    // Baseline in the same run: the same events against no rules (routing only).
    let empty = SigmaRuleSet::empty();
    g.bench_function("route_only_empty_ruleset", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            for e in &events {
                out.clear();
                empty.detect(e, &mut out);
            }
        })
    });
    g.finish();
}

/// Criterion entry points.
mod entry {
    use super::*;
    criterion_group!(benches, detect);
}
criterion_main!(entry::benches);
