//! End-to-end tests: the real `vedette` binary, real sockets, real HTTP.
//!
//! Each test starts `vedette serve` on a fresh data directory with every
//! port chosen by the kernel (the server writes the addresses it bound to
//! `listening.json`), feeds it syslog, and checks what the API returns.

mod browser;
mod correlation;
mod evtx;
mod reload;
mod server;

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use server::{wait_until, Server};

#[test]
fn syslog_to_alert_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &[]);
    // A token created while the server runs works at once.
    let token = srv.token("e2e", "admin");

    // Authentication is required on the API, not on /healthz.
    assert_eq!(srv.get("/healthz", None).0, 200);
    assert_eq!(srv.get("/api/v1/alerts", None).0, 401);
    assert_eq!(srv.get("/api/v1/events?q=x", None).0, 401);
    assert_eq!(srv.get("/api/v1/alerts", Some("vdt_wrong")).0, 401);

    // TCP: newline framing and octet counting on one connection.
    let mut tcp = TcpStream::connect(srv.tcp).unwrap();
    tcp.write_all(b"<38>Nov 25 10:01:02 web01 sshd[2211]: Failed password for root from 203.0.113.7 port 50122 ssh2\n")
        .unwrap();
    let msg = b"<86>1 2026-11-25T10:02:00+07:00 app01 useradd 77 - - new user: name=eve, UID=0, GID=0, home=/root, shell=/bin/bash";
    tcp.write_all(format!("{} ", msg.len()).as_bytes()).unwrap();
    tcp.write_all(msg).unwrap();
    tcp.write_all(b"<38>Nov 25 10:01:03 web01 sshd[2212]: Accepted publickey for alice from 10.0.0.9 port 50123 ssh2\n")
        .unwrap();
    // Garbage and a 100 KB line are kept raw and searchable.
    let mut garbage = vec![0xffu8, 0xfe, b'z', b'q', 0x07, 0x01];
    garbage.extend_from_slice(b" garbagemarker \xc3\x28 end\n");
    tcp.write_all(&garbage).unwrap();
    let mut long = b"longlinemarker ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 100 * 1024));
    long.push(b'\n');
    tcp.write_all(&long).unwrap();
    tcp.flush().unwrap();

    // UDP.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.send_to(
        b"<85>Nov 25 10:05:00 db01 sudo:   mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/bash",
        srv.udp,
    )
    .unwrap();

    // Four alerts: the root login failure, the uid-0 account (which is also
    // a new account), and sudo by someone not in sudoers.
    let alerts = wait_until(Duration::from_secs(30), || {
        let (code, body) = srv.get("/api/v1/alerts", Some(&token));
        assert_eq!(code, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        (v["total"].as_u64() >= Some(4)).then_some(v)
    });
    assert_eq!(alerts["total"], 4, "{alerts}");
    let titles: Vec<&str> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule_title"].as_str().unwrap())
        .collect();
    for t in [
        "SSH Login As Root Failed",
        "Local User Created With Root Privileges",
        "Sudo By A User Not In Sudoers",
    ] {
        assert!(titles.contains(&t), "missing alert {t:?} in {titles:?}");
    }
    // The benign line raised nothing.
    assert!(
        !titles.iter().any(|t| t.contains("Succeeded")),
        "{titles:?}"
    );

    let search = |q: &str| -> serde_json::Value {
        let (code, body) = srv.get(
            &format!("/api/v1/events?q={}", server::urlencode(q)),
            Some(&token),
        );
        assert_eq!(code, 200, "{q}: {body}");
        serde_json::from_str(&body).unwrap()
    };
    let ev = wait_until(Duration::from_secs(20), || {
        let v = search("user.name:root AND event.outcome:failure");
        (v["total"] == 1).then_some(v)
    });
    assert_eq!(ev["events"][0]["source.ip"], "203.0.113.7");
    assert_eq!(ev["events"][0]["host.name"], "web01");
    let g = search("garbagemarker");
    assert_eq!(g["total"], 1, "{g}");
    assert!(g["events"][0]["error.message"].is_string(), "{g}");
    let l = search("longlinemarker");
    assert_eq!(l["total"], 1);
    assert!(l["events"][0]["event.original"].as_str().unwrap().len() > 100_000);
    assert_eq!(search("mallory")["total"], 1);
    // Six records in, six searchable; a bad query is a 400 with a reason.
    assert_eq!(search("")["total"], 6);
    let (code, body) = srv.get("/api/v1/events?q=user.name:(", Some(&token));
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("error"));

    let (code, metrics) = srv.get("/metrics", Some(&token));
    assert_eq!(code, 200);
    for m in [
        "vedette_events_in_total 6",
        "vedette_events_failed_total 2",
        "vedette_spool_depth 0",
        "vedette_source_frames_total{source=\"127.0.0.1\"}",
    ] {
        assert!(metrics.contains(m), "{m} not in metrics:\n{metrics}");
    }
    assert_eq!(srv.get("/metrics", None).0, 401);
    srv.stop();
}

#[test]
fn logger_over_tcp_and_udp() {
    if !std::path::Path::new("/usr/bin/logger").exists() {
        eprintln!("note: /usr/bin/logger missing (apt-get install bsdutils); test skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &[]);
    let token = srv.token("e2e", "analyst");
    let run = |args: &[&str]| {
        let st = std::process::Command::new("/usr/bin/logger")
            .args(args)
            .status()
            .unwrap();
        assert!(st.success(), "logger {args:?}");
    };
    let tcp_port = srv.tcp.port().to_string();
    let udp_port = srv.udp.port().to_string();
    run(&[
        "-n",
        "127.0.0.1",
        "-P",
        &tcp_port,
        "-T",
        "-t",
        "sshd",
        "Failed password for root from 198.51.100.4 port 4444 ssh2",
    ]);
    run(&[
        "-n",
        "127.0.0.1",
        "-P",
        &tcp_port,
        "-T",
        "--rfc3164",
        "-t",
        "app",
        "loggertcp3164 hello",
    ]);
    run(&[
        "-n",
        "127.0.0.1",
        "-P",
        &udp_port,
        "-d",
        "-t",
        "app",
        "loggerudp hello",
    ]);
    run(&[
        "-n",
        "127.0.0.1",
        "-P",
        &tcp_port,
        "-T",
        "--octet-count",
        "-t",
        "app",
        "loggeroctet hello",
    ]);
    for q in [
        "loggertcp3164",
        "loggerudp",
        "loggeroctet",
        "source.ip:198.51.100.4",
    ] {
        wait_until(Duration::from_secs(20), || {
            let (_, body) = srv.get(
                &format!("/api/v1/events?q={}", server::urlencode(q)),
                Some(&token),
            );
            let v: serde_json::Value = serde_json::from_str(&body).ok()?;
            (v["total"] == 1).then_some(())
        });
    }
    wait_until(Duration::from_secs(20), || {
        let (_, body) = srv.get(
            "/api/v1/alerts?rule_id=02a1e608-1bd2-4491-85d3-fc73031c9b03",
            Some(&token),
        );
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        (v["total"] == 1).then_some(())
    });
    srv.stop();
}

#[test]
fn kill_9_mid_burst_loses_nothing_that_reached_the_spool() {
    const N: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &[]);
    let token = srv.token("e2e", "admin");
    let tcp = srv.tcp;
    let sender = std::thread::spawn(move || {
        let mut s = std::io::BufWriter::new(TcpStream::connect(tcp).unwrap());
        for i in 0..N {
            if writeln!(s, "<38>Nov 25 10:00:00 burst sshd[1]: Failed password for u{i} from 10.9.{}.{} port 22 ssh2 burstseq={i}", i / 256 % 256, i % 256).is_err() {
                return i;
            }
        }
        let _ = s.flush();
        N
    });
    // Kill once a good part of the burst is in the spool.
    wait_until(Duration::from_secs(60), || {
        let (_, m) = srv.get("/metrics", Some(&token));
        (server::metric(&m, "vedette_events_in_total")? > 20_000).then_some(())
    });
    srv.kill9();
    let _ = sender.join();

    let srv = Server::start(dir.path(), &[]);
    let (_, m) = srv.get("/metrics", Some(&token));
    let spooled = server::metric(&m, "vedette_spool_last_seq").unwrap();
    assert!(spooled > 20_000, "{spooled}");
    let total = wait_until(Duration::from_secs(120), || {
        let (_, body) = srv.get("/api/v1/events?limit=1", Some(&token));
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let t = v["total"].as_u64()?;
        (t >= spooled).then_some(t)
    });
    // Every record that reached the spool is searchable, none twice.
    assert_eq!(total, spooled);
    // One connection, so the spool holds a prefix of the burst in order.
    for i in [0, 1, spooled / 2, spooled - 1] {
        let (_, body) = srv.get(&format!("/api/v1/events?q=burstseq%3D{i}"), Some(&token));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["total"], 1, "burstseq={i}: {body}");
    }
    srv.stop();
}

#[test]
fn sigterm_drains_and_restart_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &[]);
    let token = srv.token("e2e", "admin");
    let mut s = TcpStream::connect(srv.tcp).unwrap();
    for i in 0..5000 {
        writeln!(s, "<13>Nov 25 10:00:00 h app[1]: drainmarker n{i}").unwrap();
    }
    drop(s);
    wait_until(Duration::from_secs(30), || {
        let (_, m) = srv.get("/metrics", Some(&token));
        (server::metric(&m, "vedette_events_in_total")? == 5000).then_some(())
    });
    // SIGTERM right away: whatever was spooled is indexed before exit.
    let status = srv.terminate();
    assert!(status.success(), "{status:?}");
    let srv = Server::start(dir.path(), &[]);
    let (_, body) = srv.get("/api/v1/events?q=drainmarker&limit=1", Some(&token));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], 5000, "{body}");
    srv.stop();
}

#[test]
fn second_server_on_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &[]);
    let out = std::process::Command::new(server::exe())
        .args([
            "serve",
            "--http",
            "127.0.0.1:0",
            "--syslog-udp",
            "off",
            "--syslog-tcp",
            "off",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another Vedette process"));
    srv.stop();
}

#[test]
fn import_files_then_serve_finds_them() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    std::fs::write(
        &log,
        "Nov 25 10:01:02 web01 sshd[2211]: Failed password for root from 203.0.113.9 port 50122 ssh2\n\
         Nov 25 10:01:03 web01 sshd[2211]: Connection closed by authenticating user root 203.0.113.9 port 50122 [preauth]\n\
         not a syslog line importmarker\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let out = std::process::Command::new(server::exe())
        .arg("import")
        .arg("--data-dir")
        .arg(&data)
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("imported 3 lines"), "{err}");
    assert!(err.contains("1 new alerts"), "{err}");
    let srv = Server::start(&data, &[]);
    let token = srv.token("e2e", "admin");
    let (_, body) = srv.get("/api/v1/events?q=importmarker", Some(&token));
    assert!(body.contains("\"total\":1"), "{body}");
    let (_, body) = srv.get("/api/v1/alerts", Some(&token));
    assert!(body.contains("SSH Login As Root Failed"), "{body}");
    srv.stop();
}

#[test]
fn first_start_creates_admin_and_console_login_works() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &[]);
    let pw = std::fs::read_to_string(dir.path().join("initial-admin-password")).unwrap();
    let pw = pw.trim();
    assert!(pw.len() >= 16);
    let client = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap();
    let base = format!("http://{}", srv.http);
    let page = client.get(format!("{base}/")).send().unwrap();
    assert!(page.url().path().starts_with("/login"));
    let html = page.text().unwrap();
    let csrf = server::form_value(&html, "csrf").expect("login form has a csrf field");
    let resp = client
        .post(format!("{base}/login"))
        .form(&[("username", "admin"), ("password", pw), ("csrf", &csrf)])
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url().path(), "/");
    // The session works for the API too.
    let me = client
        .get(format!("{base}/api/v1/me"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(me.contains("admin"), "{me}");
    srv.stop();
}

#[test]
fn rules_check_reports_bad_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yml"),
        "title: broken\nlogsource: {product: linux}\ndetection:\n  sel: {a: b}\n  condition: missing_selection\n",
    )
    .unwrap();
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let out = std::process::Command::new(server::exe())
        .args(["rules", "check"])
        .arg(&rules)
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(text.contains("bad.yml"), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .ends_with("rules loaded, 1 failed"),
        "{text}"
    );
}

#[test]
fn parse_command_prints_one_event_per_line() {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = std::process::Command::new(server::exe())
        .args(["parse", "--peer", "10.1.2.3:514"])
        .arg("--config")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vedette.example.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(
            b"<38>Nov 25 10:01:02 web01 sshd[2211]: Failed password for root from 203.0.113.7 port 50122 ssh2\n\
              srcip=10.0.0.5 dstip=203.0.113.9 action=deny\n\
              \n\
              \xff\xfe not a log line\n",
        )
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 3, "blank lines are skipped");
    assert_eq!(events[0]["user.name"], "root");
    assert_eq!(events[0]["sigma.service"][0], "sshd");
    // The example config fixes 10.1.0.0/16 to FortiGate for agency so-tttt.
    assert_eq!(events[1]["event.module"], "fortigate");
    assert_eq!(events[1]["source.ip"], "10.0.0.5");
    assert_eq!(events[1]["organization.id"], "so-tttt");
    assert!(events[2]["error.message"].is_string());
    assert!(events[2]["event.original"]
        .as_str()
        .unwrap()
        .contains("not a log line"));
}

/// `vedette parse` on files whose lines belong together: an audit.log
/// (records of one event joined), a ModSecurity serial audit log (one event
/// per transaction, blank lines inside kept), an IIS log with its own
/// `#Fields:` layout.
#[test]
fn parse_command_joins_multi_line_records_and_follows_w3c_fields() {
    let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../parsers/testdata");
    let run = |file: &str, format: &str| -> Vec<serde_json::Value> {
        let out = std::process::Command::new(server::exe())
            .args(["parse", "--format", format])
            .arg(testdata.join(file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    // 11 lines: two syscall events and two user-space records.
    let audit = run("auditd/101.stream", "auditd");
    assert_eq!(audit.len(), 4);
    let passwd = audit
        .iter()
        .find(|e| e["key"] == "passwd_changes")
        .expect("the vi event");
    assert_eq!(passwd["name"], "/etc/passwd");
    assert_eq!(passwd["cwd"], "/root");
    assert_eq!(passwd["proctitle"], "vi /etc/passwd");
    assert_eq!(passwd["auditd.records"], 6);
    assert_eq!(
        passwd["event.original"].as_str().unwrap().lines().count(),
        6
    );
    let chattr = audit.iter().find(|e| e["comm"] == "chattr").unwrap();
    assert_eq!(chattr["a1"], "-i");
    // A transaction of 41 lines, blank ones included, and one cut short.
    let modsec = run("modsec/101.stream", "auto");
    assert_eq!(modsec.len(), 3);
    assert_eq!(modsec[1]["rule.id"], "942100");
    assert_eq!(modsec[1]["http.response.status_code"], 403);
    assert!(modsec[2]["error.message"]
        .as_str()
        .unwrap()
        .contains("--ID-Z--"));
    // Directives are events; lines follow the layout of the last #Fields.
    let iis = run("web/102.stream", "auto");
    assert_eq!(iis.len(), 11);
    assert_eq!(iis[4]["event.action"], "w3c-fields");
    assert_eq!(iis[5]["url.path"], "/a");
    assert_eq!(iis[5]["iis.field.s-event"], "Log");
    assert_eq!(iis[9]["source.ip"], "198.51.100.8");
}

/// `vedette hunt` over an IIS log with its own `#Fields:` layout, longer
/// than one batch (its lines are parsed by several workers, each told the
/// layout in force), and a ModSecurity serial audit log (one event per
/// transaction).
#[test]
fn hunt_follows_w3c_fields_across_batches_and_joins_modsec_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../parsers/testdata");
    let iis = std::fs::read_to_string(testdata.join("web/101.stream")).unwrap();
    let lines: Vec<&str> = iis.lines().collect();
    let mut log = lines[..4].join("\n");
    for _ in 0..700 {
        log.push('\n');
        log.push_str(&lines[4..7].join("\n"));
    }
    std::fs::write(dir.path().join("u_ex261125.log"), log).unwrap();
    std::fs::copy(
        testdata.join("modsec/101.stream"),
        dir.path().join("modsec_audit.log"),
    )
    .unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("iis.yml"),
        "title: Webshell command in query\nid: 5f0b1a2c-0000-4000-8000-000000000001\nlogsource:\n  category: webserver\ndetection:\n  selection:\n    url.query|contains: 'cmd='\n    iis.site_name: W3SVC1\n  condition: selection\nlevel: high\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("modsec.yml"),
        "title: ModSecurity SQLi\nid: 5f0b1a2c-0000-4000-8000-000000000002\nlogsource:\n  product: modsecurity\ndetection:\n  selection:\n    rule.id: '942100'\n  condition: selection\nlevel: high\n",
    )
    .unwrap();
    let out = std::process::Command::new(server::exe())
        .args(["hunt", "--threads", "2", "--rules"])
        .arg(&rules)
        .arg(dir.path().join("u_ex261125.log"))
        .arg(dir.path().join("modsec_audit.log"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hits: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |title: &str| hits.iter().filter(|h| h["title"] == title).count();
    assert_eq!(count("Webshell command in query"), 700);
    assert_eq!(count("ModSecurity SQLi"), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 2,104 IIS lines and 3 transactions (two whole, one cut short).
    assert!(stderr.contains("2107 events"), "{stderr}");
}

/// The log source mapping is data an operator extends: a config's
/// `logsources` file gives a channel Windows does not ship and a program
/// the built-in list lacks their Sigma services, and `--list-logsources`
/// shows them first.
#[test]
fn an_operators_logsource_file_classifies_events() {
    use std::io::Write as _;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("logsources.toml"),
        r#"
[[windows_channel]]
channel = "Acme-Agent/Operational"
services = ["acme-agent"]

[[windows_category]]
service = "acme-agent"
event_id = 7
category = "process_creation"

[[syslog_program]]
program = "nginx"
services = ["nginx", "syslog"]
"#,
    )
    .unwrap();
    let cfg = dir.path().join("vedette.toml");
    std::fs::write(&cfg, "logsources = \"logsources.toml\"\n").unwrap();
    let run = |args: &[&str], input: &[u8]| {
        let mut child = std::process::Command::new(server::exe())
            .arg("parse")
            .args(args)
            .arg("--config")
            .arg(&cfg)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{err}");
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run(
        &[],
        b"{\"EventID\":7,\"Channel\":\"Acme-Agent/Operational\",\"Image\":\"C:\\\\x.exe\",\"CommandLine\":\"x /y\"}\n\
          <30>Nov 25 10:01:02 web01 nginx[77]: worker started\n\
          {\"EventID\":4688,\"Channel\":\"Security\",\"NewProcessName\":\"C:\\\\a.exe\"}\n",
    );
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["sigma.product"], "windows", "{}", events[0]);
    assert_eq!(events[0]["sigma.service"][0], "acme-agent", "{}", events[0]);
    assert_eq!(
        events[0]["sigma.category"], "process_creation",
        "{}",
        events[0]
    );
    assert_eq!(events[0]["process.command_line"], "x /y", "{}", events[0]);
    assert_eq!(events[1]["sigma.product"], "linux", "{}", events[1]);
    assert_eq!(events[1]["sigma.service"][0], "nginx", "{}", events[1]);
    // The built-in entries still apply.
    assert_eq!(events[2]["sigma.service"][0], "security", "{}", events[2]);
    assert_eq!(
        events[2]["sigma.category"], "process_creation",
        "{}",
        events[2]
    );

    let listing = run(&["--list-logsources"], b"");
    let first = listing.lines().next().unwrap_or_default();
    assert!(first.contains("Acme-Agent/Operational"), "{listing}");
    assert!(
        listing.contains("windows channel \"Security\": services security"),
        "{listing}"
    );
    assert!(listing.contains("syslog program \"sshd\""), "{listing}");

    // A broken file is refused with its name and the reason.
    std::fs::write(
        dir.path().join("logsources.toml"),
        "[[windows_channel]]\nchannel = \"x\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(server::exe())
        .args(["parse", "--list-logsources", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("logsources.toml") && err.contains("services"),
        "{err}"
    );
}
