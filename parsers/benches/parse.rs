//! Parser throughput on realistic records: `parse_rfc5424`,
//! `parse_rfc3164` and `parse_sshd_auth`, in bytes per second.

use std::hint::black_box;

use criterion::{criterion_main, Criterion, Throughput};
use time::macros::datetime;
use vedette_model::Origin;
use vedette_parsers::{Parser, ParserConfig};

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
    bench_lines(c, "parse_rfc3164", &rfc3164_lines());
}

fn parse_sshd_auth(c: &mut Criterion) {
    bench_lines(c, "parse_sshd_auth", &sshd_lines());
}

mod group {
    // In a private module: the function criterion_group! makes is undocumented.
    use super::{parse_rfc3164, parse_rfc5424, parse_sshd_auth};
    criterion::criterion_group!(benches, parse_rfc5424, parse_rfc3164, parse_sshd_auth);
}
criterion_main!(group::benches);
