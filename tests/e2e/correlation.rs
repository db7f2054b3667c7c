//! Sigma correlation rules end to end: failed sshd logins over TCP syslog,
//! a correlation rule from a `--rules` directory, a crash (`kill -9`) in
//! the middle of its window, and one alert listing the events that made it.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use crate::server::{self, wait_until, Server};

const RULES: &str = r#"
title: SSH login failed (any account)
id: 7d9c3c1e-5b0a-4f7e-9a51-0e2e00000001
name: ssh_failed_any
logsource: { product: linux, service: sshd }
detection:
    selection: { event.action: ssh_login, event.outcome: failure }
    condition: selection
level: low
---
title: Five failed SSH logins for one account
id: 7d9c3c1e-5b0a-4f7e-9a51-0e2e00000002
correlation:
    type: event_count
    rules: [ssh_failed_any]
    group-by: [user.name]
    timespan: 5m
    condition: { gte: 5 }
level: high
tags: [attack.t1110]
"#;

fn send(srv: &Server, lines: &[String]) {
    let mut tcp = TcpStream::connect(srv.tcp).unwrap();
    for l in lines {
        tcp.write_all(l.as_bytes()).unwrap();
        tcp.write_all(b"\n").unwrap();
    }
    tcp.flush().unwrap();
}

fn failed(user: &str, second: u32) -> String {
    format!(
        "<38>Nov 25 10:01:{second:02} web01 sshd[2211]: Failed password for {user} from 203.0.113.7 port 5{second:04} ssh2"
    )
}

fn alerts(srv: &Server, token: &str) -> serde_json::Value {
    let (code, body) = srv.get("/api/v1/alerts", Some(token));
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn five_failed_logins_one_correlation_alert_across_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("brute.yml"), RULES).unwrap();
    let data = dir.path().join("data");
    let args = ["--rules", rules.to_str().unwrap()];
    let srv = Server::start(&data, &args);
    let token = srv.token("e2e", "admin");

    // Three failures for mallory and four for other accounts, then wait
    // until they are committed (and the correlation state with them).
    let mut first: Vec<String> = (0..3).map(|i| failed("mallory", i)).collect();
    first.extend((3..7).map(|i| failed(&format!("user{i}"), i)));
    send(&srv, &first);
    wait_until(Duration::from_secs(30), || {
        let (_, m) = srv.get("/metrics", Some(&token));
        (server::metric(&m, "vedette_index_committed_seq")? >= 7).then_some(())
    });
    let (_, m) = srv.get("/metrics", Some(&token));
    assert_eq!(
        server::metric(&m, "vedette_correlation_rules_loaded"),
        Some(1)
    );
    assert_eq!(
        server::metric(&m, "vedette_correlation_open_groups"),
        Some(5)
    );
    assert_eq!(
        server::metric(&m, "vedette_correlation_groups_evicted_total"),
        Some(0)
    );
    // The single failures raise nothing on their own (generate: false).
    assert_eq!(alerts(&srv, &token)["total"], 0);

    // A crash in the middle of the window, and a restart.
    srv.kill9();
    let srv = Server::start(&data, &args);
    assert!(
        srv.log().contains("correlation state restored"),
        "{}",
        srv.log()
    );

    // Two more complete it: five within five minutes, by their own time.
    send(&srv, &[failed("mallory", 30), failed("mallory", 40)]);
    let v = wait_until(Duration::from_secs(30), || {
        let v = alerts(&srv, &token);
        (v["total"].as_u64()? >= 1).then_some(v)
    });
    assert_eq!(v["total"], 1, "{v}");
    let a = &v["alerts"][0];
    assert_eq!(a["rule_id"], "7d9c3c1e-5b0a-4f7e-9a51-0e2e00000002");
    assert_eq!(a["rule_title"], "Five failed SSH logins for one account");
    assert_eq!(a["severity"], "high");
    let c = &a["correlation"];
    assert_eq!(c["type"], "event_count");
    assert_eq!(c["value"], 5.0);
    assert_eq!(c["timespan_secs"], 300);
    assert_eq!(c["group"]["user.name"], "mallory");
    // The linked events are mallory's five failures, by event id (alerts
    // are stored before the index commit that covers their events).
    let linked: Vec<u64> = c["linked_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    let ev = wait_until(Duration::from_secs(30), || {
        let (_, body) = srv.get("/api/v1/events?q=user.name:mallory&limit=10", Some(&token));
        let ev: serde_json::Value = serde_json::from_str(&body).ok()?;
        (ev["total"] == 5).then_some(ev)
    });
    let mut ids: Vec<u64> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match &e["event.id"] {
            serde_json::Value::String(s) => s.parse().unwrap(),
            n => n.as_u64().unwrap(),
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(linked, ids, "{v}\n{ev}");
    assert_eq!(linked.len(), 5);
    // The alert's event is the one that completed the correlation.
    assert_eq!(a["event_seq"].as_u64(), linked.last().copied());

    // A sixth failure in the same window raises no second alert.
    send(&srv, &[failed("mallory", 50)]);
    wait_until(Duration::from_secs(30), || {
        let (_, m) = srv.get("/metrics", Some(&token));
        (server::metric(&m, "vedette_index_committed_seq")? >= 10).then_some(())
    });
    assert_eq!(alerts(&srv, &token)["total"], 1);
    srv.stop();
}
