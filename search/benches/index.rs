//! Indexing and search throughput on synthetic sshd/auth events.
#![allow(missing_docs)] // `criterion_group!` generates undocumented functions.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use time::macros::datetime;
use time::Duration;
use vedette_model::{Event, LogSource, Origin};
use vedette_search::{EventIndex, EventQuery};

const EVENTS: u64 = 20_000;

fn events() -> Vec<Event> {
    let base = datetime!(2026-11-25 00:00 UTC);
    let users = ["root", "admin", "alice", "bob", "deploy", "oracle", "test"];
    (1..=EVENTS)
        .map(|seq| {
            let user = users[(seq % users.len() as u64) as usize];
            let ip = format!("10.{}.{}.{}", seq % 7, (seq / 7) % 256, seq % 251);
            let port = 1024 + (seq % 60_000) as i64;
            let outcome = if seq % 5 == 0 { "success" } else { "failure" };
            let line = format!(
                "<38>Nov 25 10:00:00 web{:02} sshd[{}]: {} password for {user} from {ip} port {port} ssh2",
                seq % 20,
                1000 + seq % 5000,
                if outcome == "success" { "Accepted" } else { "Failed" },
            );
            let at = base + Duration::milliseconds(seq as i64 * 10);
            let mut ev = Event::raw(seq, at, Origin::new("syslog-udp", None), line.as_bytes());
            ev.set("message", line.split(": ").nth(1).unwrap_or_default());
            ev.set("host.name", format!("web{:02}", seq % 20));
            ev.set("user.name", user);
            ev.set("source.ip", ip);
            ev.set("source.port", port);
            ev.set("event.outcome", outcome);
            ev.set("process.name", "sshd");
            ev.logsource = LogSource::new(Some("linux"), None, &["sshd", "auth", "syslog"]);
            ev
        })
        .collect()
}

fn index_events(c: &mut Criterion) {
    let evs = events();
    let mut g = c.benchmark_group("index");
    g.sample_size(10);
    g.throughput(Throughput::Elements(EVENTS));
    g.bench_function("index_20k_events", |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let index = EventIndex::open(dir.path()).expect("open");
            let mut w = index.writer(64 << 20).expect("writer");
            for ev in &evs {
                w.add(ev).expect("add");
            }
            w.commit(EVENTS).expect("commit");
        })
    });
    g.finish();
}

fn search_field_query(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = EventIndex::open(dir.path()).expect("open");
    let mut w = index.writer(64 << 20).expect("writer");
    for ev in &events() {
        w.add(ev).expect("add");
    }
    w.commit(EVENTS).expect("commit");
    let searcher = index.searcher();
    searcher.reload().expect("reload");
    let q = EventQuery::text("user.name:root AND event.outcome:failure password");
    c.bench_function("search_field_query", |b| {
        b.iter(|| {
            let page = searcher.search(&q).expect("search");
            assert!(page.total > 0);
        })
    });
}

criterion_group!(benches, index_events, search_field_query);
criterion_main!(benches);
