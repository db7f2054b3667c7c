//! Parser throughput on realistic records: `parse_rfc5424`,
//! `parse_rfc3164` and `parse_sshd_auth`, in bytes per second; and
//! `parse_format/<name>`: each device format on its golden records
//! (`testdata/<format>/*.log`, repeated to about 1 MiB), auto-detected and,
//! as the baseline in the same run, with the format fixed by a source rule
//! (no detection), which shows what auto-detection costs; and
//! `parse_stream/<name>`: files whose lines depend on each other, about
//! 1 MiB each, read as `vedette parse` reads them (a `Framer`, then one
//! parser): IIS lines in a layout a `#Fields:` directive declared, audit
//! events joined from their records, ModSecurity serial transactions.

use std::hint::black_box;

#[path = "support/golden.rs"]
mod golden;

// The allocator of the `vedette` binary, so that the figures are what it
// runs (parsing allocates the names and values longer than 24 bytes).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_main, Criterion, Throughput};
use time::macros::datetime;
use vedette_model::Origin;
use vedette_parsers::{Framer, Parser, ParserConfig, SourceRule};

const LINES: usize = 4000;

const USERS: [&str; 6] = ["root", "admin", "alice", "bob", "oracle", "deploy"];
const APPS: [&str; 5] = ["nginx", "postfix/smtpd", "systemd", "kernel", "dockerd"];

fn ip(i: usize) -> String {
    format!("198.51.{}.{}", (i / 251) % 256, i % 251 + 1)
}

fn rfc5424_lines() -> Vec<String> {
    (0..LINES)
        .map(|i| {
            let app = APPS[i % APPS.len()];
            let sd = if i % 3 == 0 {
                format!(
                    "[origin ip=\"{}\" software=\"rsyslogd\"][meta sequenceId=\"{i}\" note=\"a \\\"quoted\\\" word\"]",
                    ip(i)
                )
            } else {
                "-".to_string()
            };
            format!(
                "<{}>1 2026-11-25T10:{:02}:{:02}.{:06}+07:00 web{}.example.com {app} {} ID{} {sd} \u{feff}request {i} handled in {} ms for client {}",
                128 + i % 64,
                i % 60,
                (i * 7) % 60,
                i * 13 % 1_000_000,
                i % 9,
                1000 + i,
                i % 50,
                i % 997,
                ip(i),
            )
        })
        .collect()
}

fn rfc3164_lines() -> Vec<String> {
    (0..LINES)
        .map(|i| {
            let app = APPS[i % APPS.len()];
            format!(
                "<{}>Nov {:2} {:02}:{:02}:{:02} web{} {app}[{}]: connection from {} closed after {} bytes, status={}",
                8 + i % 180,
                1 + i % 28,
                i % 24,
                i % 60,
                (i * 7) % 60,
                i % 9,
                1000 + i,
                ip(i),
                i * 31 % 100_000,
                200 + i % 5,
            )
        })
        .collect()
}

fn sshd_lines() -> Vec<String> {
    (0..LINES)
        .map(|i| {
            let user = USERS[i % USERS.len()];
            let src = ip(i);
            let port = 30_000 + i % 30_000;
            let msg = match i % 8 {
                0 => format!("Failed password for {user} from {src} port {port} ssh2"),
                1 => format!("Failed password for invalid user {user}{i} from {src} port {port} ssh2"),
                2 => format!("Accepted publickey for {user} from {src} port {port} ssh2: ED25519 SHA256:q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9"),
                3 => format!("Invalid user {user}{i} from {src} port {port}"),
                4 => format!("Connection closed by authenticating user {user} {src} port {port} [preauth]"),
                5 => format!("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={src}  user={user}"),
                6 => format!("pam_unix(sshd:session): session opened for user {user}(uid=1000) by (uid=0)"),
                _ => format!("Disconnected from user {user} {src} port {port}"),
            };
            format!(
                "Nov 25 10:{:02}:{:02} bastion sshd[{}]: {msg}",
                i % 60,
                (i * 7) % 60,
                2000 + i
            )
        })
        .collect()
}

fn bench_lines(c: &mut Criterion, name: &str, lines: &[String]) {
    let parser = Parser::new(ParserConfig::default());
    let received = datetime!(2026-11-25 03:00:00 UTC);
    let origin = Origin::new("bench", None);
    let bytes: usize = lines.iter().map(String::len).sum();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("{} lines", lines.len()), |b| {
        b.iter(|| {
            for (seq, line) in lines.iter().enumerate() {
                let ev = parser.parse(seq as u64, received, origin.clone(), line.as_bytes());
                black_box(ev);
            }
        })
    });
    group.finish();
}

fn parse_rfc5424(c: &mut Criterion) {
    bench_lines(c, "parse_rfc5424", &rfc5424_lines());
}

fn parse_rfc3164(c: &mut Criterion) {
    let lines = rfc3164_lines();
    bench_lines(c, "parse_rfc3164", &lines);
    // Baseline in the same run: the same lines with device-format detection
    // switched off (a source fixed to plain syslog), which shows what trying
    // every format's detector costs on records that are none of them.
    let parser = Parser::new(ParserConfig {
        sources: vec![
            SourceRule::new("bench", &[], &[], &[], Some("syslog"), None).expect("valid"),
        ],
        ..ParserConfig::default()
    });
    let received = datetime!(2026-11-25 03:00:00 UTC);
    let origin = Origin::new("bench", None);
    let bytes: usize = lines.iter().map(String::len).sum();
    let mut group = c.benchmark_group("parse_rfc3164_no_detection");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("{} lines", lines.len()), |b| {
        b.iter(|| {
            for (seq, line) in lines.iter().enumerate() {
                black_box(parser.parse(seq as u64, received, origin.clone(), line.as_bytes()));
            }
        })
    });
    group.finish();
}

fn parse_sshd_auth(c: &mut Criterion) {
    bench_lines(c, "parse_sshd_auth", &sshd_lines());
}

/// The golden records of a format directory, without the deliberately
/// broken ones, repeated to about 1 MiB.
fn golden_lines(dir: &str) -> Vec<String> {
    let base = golden::golden_records(dir);
    let size: usize = base.iter().map(String::len).sum::<usize>().max(1);
    let copies = (1 << 20) / size + 1;
    base.iter()
        .cycle()
        .take(base.len() * copies)
        .cloned()
        .collect()
}

fn parse_formats(c: &mut Criterion) {
    let received = datetime!(2026-11-25 03:00:00 UTC);
    let origin = Origin::new("bench", None);
    let dirs = [
        "cef",
        "leef",
        "asa",
        "cisco_ios",
        "mikrotik",
        "juniper",
        "panos",
        "fortigate",
        "sophos",
        "sonicwall",
        "filterlog",
        "kaspersky",
        "auditd",
        "modsec",
        "netfilter",
        "web",
        "windows",
        "json",
    ];
    let auto = Parser::new(ParserConfig::default());
    let mut group = c.benchmark_group("parse_format");
    for dir in dirs {
        let name = golden::format_of(dir);
        let lines = golden_lines(dir);
        if lines.is_empty() {
            continue;
        }
        let fixed = Parser::new(ParserConfig {
            sources: vec![
                SourceRule::new("bench", &[], &[], &[], Some(name), None).expect("known format")
            ],
            ..ParserConfig::default()
        });
        let bytes: usize = lines.iter().map(String::len).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        for (mode, parser) in [("auto", &auto), ("fixed", &fixed)] {
            group.bench_function(format!("{name}/{mode}"), |b| {
                b.iter(|| {
                    for (seq, line) in lines.iter().enumerate() {
                        black_box(parser.parse(
                            seq as u64,
                            received,
                            origin.clone(),
                            line.as_bytes(),
                        ));
                    }
                })
            });
        }
    }
    group.finish();
}

/// The lines of `testdata/<dir>/<file>`.
fn testdata_lines(dir: &str, file: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(dir)
        .join(file);
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// About 1 MiB of lines: `head` once, then `body` repeated, each copy
/// passed through `vary` with its number (so that serials and ids differ).
fn stream(head: &[String], body: &[String], vary: impl Fn(&str, usize) -> String) -> Vec<String> {
    let mut out: Vec<String> = head.to_vec();
    let mut size = 0;
    let mut copy = 0;
    while size < 1 << 20 && !body.is_empty() {
        for l in body {
            let l = vary(l, copy);
            size += l.len() + 1;
            out.push(l);
        }
        copy += 1;
    }
    out
}

fn parse_streams(c: &mut Criterion) {
    let received = datetime!(2026-11-25 03:00:00 UTC);
    let origin = Origin::new("bench", None);
    let iis = testdata_lines("web", "101.stream");
    let (head, body) = iis.split_at(4.min(iis.len()));
    let audit = testdata_lines("auditd", "101.stream");
    let modsec = testdata_lines("modsec", "008.log");
    let cases = [
        ("w3c_fields", stream(head, body, |l, _| l.to_string())),
        (
            "auditd_joined",
            stream(&[], &audit, |l, i| {
                l.replace(":50", &format!(":{}", 50 + i))
            }),
        ),
        (
            "modsec_serial",
            stream(&[], &modsec, |l, i| {
                l.replace("5b8a0c1d", &format!("{i:08x}"))
            }),
        ),
    ];
    let mut group = c.benchmark_group("parse_stream");
    for (name, lines) in cases {
        let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let parser = Parser::new(ParserConfig::default());
                let mut framer = Framer::for_format("auto");
                let mut records = Vec::new();
                let mut events = 0usize;
                for (n, line) in lines.iter().enumerate() {
                    framer.push(n as u64, line.as_bytes(), &mut records);
                    for r in records.drain(..) {
                        black_box(parser.parse(r.first, received, origin.clone(), &r.bytes));
                        events += 1;
                    }
                }
                framer.flush(&mut records);
                for r in records.drain(..) {
                    black_box(parser.parse(r.first, received, origin.clone(), &r.bytes));
                    events += 1;
                }
                events
            })
        });
    }
    group.finish();
}

mod group {
    // In a private module: the function criterion_group! makes is undocumented.
    use super::{parse_formats, parse_rfc3164, parse_rfc5424, parse_sshd_auth, parse_streams};
    criterion::criterion_group!(
        benches,
        parse_rfc5424,
        parse_rfc3164,
        parse_sshd_auth,
        parse_formats,
        parse_streams
    );
}
criterion_main!(group::benches);
