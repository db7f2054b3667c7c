//! `vedette bench`: the end-to-end benchmark.
//!
//! Starts `vedette serve` as a child process on a fresh data directory,
//! sends it realistic syslog over TCP from this process as fast as the
//! connections take it, and waits until every event is committed to the
//! index. Reports sustained events per second end to end (first byte sent
//! to last event searchable), the child's peak memory, and events lost.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;

/// Options of `vedette bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Events to send.
    #[arg(long, default_value_t = 300_000)]
    events: u64,
    /// Concurrent TCP connections sending.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Sigma rules (repeatable) [default: ../shared/corpora/sigmahq/rules/linux
    /// when present, plus the built-in pack].
    #[arg(long)]
    rules: Vec<PathBuf>,
    /// Data directory for the child (deleted afterwards unless --keep).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Keep the data directory.
    #[arg(long)]
    keep: bool,
    /// Give up when no progress is made for this many seconds.
    #[arg(long, default_value_t = 60)]
    stall_secs: u64,
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A GET over a fresh connection; returns status and body.
fn http_get(addr: SocketAddr, path: &str, token: &str) -> Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(name) && l.as_bytes().get(name.len()) == Some(&b' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Realistic Linux syslog: sshd failures and successes, sudo, su, user
/// management, cron and kernel noise, from many hosts and addresses.
pub fn sample_line(i: u64) -> String {
    let host = format!("srv-{:03}", i % 250);
    let ip = format!("10.{}.{}.{}", (i / 65536) % 256, (i / 256) % 256, i % 256);
    let users = [
        "alice", "bob", "root", "admin", "oracle", "deploy", "www-data",
    ];
    let user = users[(i % users.len() as u64) as usize];
    let pid = 1000 + i % 30000;
    let (sec, min) = (i % 60, (i / 60) % 60);
    let ts = format!("Nov 25 10:{min:02}:{sec:02}");
    match i % 10 {
        0..=2 => format!("<38>{ts} {host} sshd[{pid}]: Failed password for {user} from {ip} port {} ssh2", 30000 + i % 30000),
        3 => format!("<38>{ts} {host} sshd[{pid}]: Accepted publickey for {user} from {ip} port {} ssh2: RSA SHA256:abcdefghijklmnop", 30000 + i % 30000),
        4 => format!("<38>{ts} {host} sshd[{pid}]: Invalid user {user}{} from {ip} port {}", i % 100, 30000 + i % 30000),
        5 => format!("<85>{ts} {host} sudo:   {user} : TTY=pts/{} ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx", i % 8),
        6 => format!("<78>{ts} {host} CRON[{pid}]: ({user}) CMD (/usr/local/bin/backup.sh >/dev/null 2>&1)"),
        7 => format!("<6>{ts} {host} kernel: [{}.{:06}] IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc SRC={ip} DST=10.0.0.1 LEN=60 PROTO=TCP SPT={} DPT=22 SYN", i % 100000, i % 1000000, 40000 + i % 20000),
        8 => format!("<13>1 2026-11-25T10:{min:02}:{sec:02}.{:03}+07:00 {host} nginx {pid} - - 10.0.{}.{} - - \"GET /index.php?id={i} HTTP/1.1\" 200 {}", i % 1000, (i / 256) % 256, i % 256, 500 + i % 5000),
        _ => format!("<86>{ts} {host} useradd[{pid}]: new user: name=svc{i}, UID={}, GID={}, home=/home/svc{i}, shell=/bin/bash", 1000 + i % 5000, 1000 + i % 5000),
    }
}

/// CPU seconds (user + system) in a `/proc/.../stat` file.
fn stat_cpu_seconds(path: &Path) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // utime and stime are the 12th and 13th fields after the ")" that
    // closes the command name; both in USER_HZ (100 on Linux) ticks.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| f.get(*i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// CPU seconds used so far by a whole process (exited threads included).
fn process_cpu(pid: u32) -> f64 {
    round1(stat_cpu_seconds(Path::new(&format!("/proc/{pid}/stat"))))
}

/// CPU seconds used so far by each live thread, by thread name.
fn thread_cpu(pid: u32) -> serde_json::Map<String, serde_json::Value> {
    let mut by_name: std::collections::BTreeMap<String, f64> = Default::default();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            let name = name.trim().trim_end_matches(|c: char| c.is_ascii_digit());
            *by_name.entry(name.to_string()).or_default() +=
                stat_cpu_seconds(&t.path().join("stat"));
        }
    }
    by_name
        .into_iter()
        .filter(|(_, v)| *v >= 0.1)
        .map(|(k, v)| (k, round1(v).into()))
        .collect()
}

struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the benchmark and prints the report.
pub fn run(a: BenchArgs) -> Result<()> {
    if a.events == 0 || a.connections == 0 {
        bail!("--events and --connections must be positive");
    }
    let dir = match &a.data_dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("vedette-bench-{}", std::process::id())),
    };
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let mut rules = a.rules.clone();
    if rules.is_empty() {
        let linux = Path::new("../shared/corpora/sigmahq/rules/linux");
        if linux.is_dir() {
            rules.push(linux.to_path_buf());
        }
        if Path::new("rules").is_dir() {
            rules.push(PathBuf::from("rules"));
        }
    }
    let http: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
    let tcp: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
    let exe = std::env::current_exe()?;

    // The token is created before the child starts, through the same store.
    let token = {
        let out = Command::new(&exe)
            .args([
                "token",
                "create",
                "--name",
                "bench",
                "--role",
                "admin",
                "--data-dir",
            ])
            .arg(&dir)
            .stderr(Stdio::inherit())
            .output()
            .context("running vedette token create")?;
        if !out.status.success() {
            bail!("vedette token create failed");
        }
        String::from_utf8(out.stdout)?.trim().to_string()
    };

    let log = std::fs::File::create(dir.join("serve.log"))?;
    let mut cmd = Command::new(&exe);
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(&dir)
        .arg("--http")
        .arg(http.to_string())
        .arg("--syslog-tcp")
        .arg(tcp.to_string())
        .args(["--syslog-udp", "off"])
        .env("VEDETTE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log);
    for r in &rules {
        cmd.arg("--rules").arg(r);
    }
    let child = ChildGuard(cmd.spawn().context("starting vedette serve")?);
    let pid = child.0.id();

    let started = Instant::now();
    let rules_loaded = loop {
        if let Ok((200, body)) = http_get(http, "/metrics", &token) {
            break metric(&body, "vedette_rules_loaded").unwrap_or(0);
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!(
                "the server did not come up; see {}",
                dir.join("serve.log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let rss_idle = status_kib(pid, "VmRSS:").unwrap_or(0);

    let per_conn = a.events / a.connections as u64;
    let extra = a.events % a.connections as u64;
    let batches: Vec<Vec<u8>> = (0..a.connections as u64)
        .map(|c| {
            let n = per_conn + u64::from(c < extra);
            let start = c * per_conn + c.min(extra);
            let mut buf = Vec::with_capacity(n as usize * 130);
            for i in start..start + n {
                buf.extend_from_slice(sample_line(i).as_bytes());
                buf.push(b'\n');
            }
            buf
        })
        .collect();
    let bytes: usize = batches.iter().map(Vec::len).sum();

    eprintln!(
        "sending {} events ({:.1} MiB) over {} TCP connections to {tcp}, {} rules loaded...",
        a.events,
        bytes as f64 / 1048576.0,
        a.connections,
        rules_loaded
    );
    let t0 = Instant::now();
    let senders: Vec<_> = batches
        .into_iter()
        .map(|buf| {
            std::thread::spawn(move || -> Result<()> {
                let mut s = TcpStream::connect(tcp)?;
                s.write_all(&buf)?;
                s.flush()?;
                s.shutdown(std::net::Shutdown::Write)?;
                Ok(())
            })
        })
        .collect();

    let mut sent_at = None;
    let mut last = (0u64, Instant::now());
    let mut peak_rss = 0u64;
    // Anonymous memory (heap, stacks) apart from file pages mapped in (the
    // index's segments, which the kernel may drop): the part that must stay
    // bounded.
    let mut peak_anon = 0u64;
    let mut indexed = 0u64;
    let mut alerts = 0u64;
    let done_at = loop {
        std::thread::sleep(Duration::from_millis(100));
        peak_rss = peak_rss.max(status_kib(pid, "VmRSS:").unwrap_or(0));
        peak_anon = peak_anon.max(status_kib(pid, "RssAnon:").unwrap_or(0));
        if sent_at.is_none() && senders.iter().all(|h| h.is_finished()) {
            sent_at = Some(t0.elapsed());
        }
        if let Ok((200, body)) = http_get(http, "/metrics", &token) {
            indexed = metric(&body, "vedette_events_indexed_total").unwrap_or(0);
            alerts = metric(&body, "vedette_alerts_total").unwrap_or(0);
        }
        if indexed >= a.events {
            // Committed; the searcher picks the commit up within a moment.
            let (_, body) = http_get(http, "/api/v1/events?limit=1", &token)?;
            let searchable = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["total"].as_u64())
                .unwrap_or(0);
            if searchable >= a.events {
                break t0.elapsed();
            }
        }
        if indexed > last.0 {
            last = (indexed, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(a.stall_secs) {
            eprintln!("no progress for {}s; stopping", a.stall_secs);
            break t0.elapsed();
        }
    };
    for h in senders {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("a sender failed: {e}"),
            Err(_) => eprintln!("a sender panicked"),
        }
    }
    let (_, body) = http_get(http, "/api/v1/events?limit=1", &token)?;
    let searchable = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["total"].as_u64())
        .unwrap_or(0);
    let peak_hwm = status_kib(pid, "VmHWM:").unwrap_or(peak_rss);
    let end_anon = status_kib(pid, "RssAnon:").unwrap_or(0);
    let end_file = status_kib(pid, "RssFile:").unwrap_or(0);
    let metrics = http_get(http, "/metrics", &token)
        .map(|(_, body)| body)
        .unwrap_or_default();
    // Where the pipeline thread spent its time, and CPU per thread of the child.
    let stages: serde_json::Map<String, serde_json::Value> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix("vedette_pipeline_seconds_total{stage=\""))
        .filter_map(|l| l.split_once("\"} "))
        .map(|(k, v)| (k.to_string(), v.parse::<f64>().unwrap_or(0.0).into()))
        .collect();
    // Correlation windows held in memory: with the bench's many distinct
    // source addresses each grouped rule opens a group per address, up to
    // [detection] max_correlation_groups; the bulk of the peak memory.
    let open_groups = metric(&metrics, "vedette_correlation_open_groups");
    let evicted = metric(&metrics, "vedette_correlation_groups_evicted_total");
    let threads = thread_cpu(pid);
    let cpu_total = process_cpu(pid);

    // SIGTERM: the child drains and exits cleanly.
    let term = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let mut child = child;
    let stop_started = Instant::now();
    let exit = loop {
        if let Some(s) = child.0.try_wait()? {
            break Some(s);
        }
        if stop_started.elapsed() > Duration::from_secs(30) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let secs = done_at.as_secs_f64();
    let lost = a.events.saturating_sub(searchable);
    let report = serde_json::json!({
        "events_sent": a.events,
        "events_searchable": searchable,
        "events_lost": lost,
        "alerts": alerts,
        "rules_loaded": rules_loaded,
        "connections": a.connections,
        "send_seconds": sent_at.map(|d| d.as_secs_f64()),
        "end_to_end_seconds": secs,
        "events_per_second": (indexed.min(a.events) as f64 / secs).round(),
        "mib_per_second": ((bytes as f64 / 1048576.0) / secs * 10.0).round() / 10.0,
        "rss_idle_mib": rss_idle / 1024,
        "rss_peak_mib": peak_hwm / 1024,
        "rss_anon_peak_mib": peak_anon / 1024,
        "rss_anon_end_mib": end_anon / 1024,
        "rss_file_end_mib": end_file / 1024,
        "correlation_open_groups": open_groups,
        "correlation_groups_evicted": evicted,
        "clean_shutdown": term.is_ok() && exit.is_some_and(|s| s.success()),
        "pipeline_stage_seconds": stages,
        "cpu_seconds_total": cpu_total,
        "cpu_seconds_by_live_thread": threads,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !a.keep && a.data_dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if lost > 0 {
        bail!("{lost} events lost");
    }
    Ok(())
}
