//! Rule files change while events flow: the node notices within
//! `[detection] reload_secs`, swaps the rule set between two batches, and
//! no event is lost or evaluated twice.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use crate::server::{metric, wait_until, Server};

fn rule(id: &str, word: &str) -> String {
    format!(
        "title: Marker {word}\nid: {id}\nlogsource: {{ service: syslog }}\ndetection:\n    sel: {{ message|contains: '{word}' }}\n    condition: sel\nlevel: high\n"
    )
}

fn line(i: usize, word: &str) -> String {
    format!("<38>Nov 25 10:00:00 web01 app[1]: event {i} {word}")
}

fn count(srv: &Server, token: &str, path: &str) -> u64 {
    let (code, body) = srv.get(path, Some(token));
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["total"].as_u64().unwrap_or(0)
}

#[test]
fn changed_rule_files_reload_without_losing_events() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("alpha.yml"),
        rule("marker-alpha", "alpha-marker"),
    )
    .unwrap();
    let config = dir.path().join("vedette.toml");
    std::fs::write(&config, "[detection]\nreload_secs = 1\n").unwrap();
    let data = dir.path().join("data");
    let rules_arg = rules.display().to_string();
    let config_arg = config.display().to_string();
    let srv = Server::start(&data, &["--rules", &rules_arg, "--config", &config_arg]);
    let token = srv.token("reload", "admin");

    // A steady stream before, during and after the change.
    const N: usize = 3000;
    let tcp_addr = srv.tcp;
    let sender = std::thread::spawn(move || {
        let mut tcp = TcpStream::connect(tcp_addr).unwrap();
        for i in 0..N {
            let word = if i % 100 == 0 { "beta-marker" } else { "noise" };
            tcp.write_all(line(i, word).as_bytes()).unwrap();
            tcp.write_all(b"\n").unwrap();
            if i % 100 == 0 {
                tcp.flush().unwrap();
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        tcp.flush().unwrap();
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(count(&srv, &token, "/api/v1/alerts?rule_id=marker-beta"), 0);
    std::fs::write(rules.join("beta.yml"), rule("marker-beta", "beta-marker")).unwrap();
    wait_until(Duration::from_secs(30), || {
        let (_, m) = srv.get("/metrics", Some(&token));
        (metric(&m, "vedette_rule_reloads_total")? >= 1).then_some(())
    });
    sender.join().unwrap();
    // Every line indexed exactly once, whatever rule set saw it.
    wait_until(Duration::from_secs(60), || {
        (count(&srv, &token, "/api/v1/events?limit=1") == N as u64).then_some(())
    });
    // The new rule fires on what came after the swap, and the console lists it.
    let fired = wait_until(Duration::from_secs(30), || {
        let n = count(&srv, &token, "/api/v1/alerts?rule_id=marker-beta");
        (n > 0).then_some(n)
    });
    assert!(fired <= (N / 100) as u64, "{fired}");
    let (_, listed) = srv.get("/api/v1/rules?q=marker", Some(&token));
    assert!(
        listed.contains("marker-beta") && listed.contains("marker-alpha"),
        "{listed}"
    );
    // A later line fires it for certain.
    let mut tcp = TcpStream::connect(srv.tcp).unwrap();
    tcp.write_all(format!("{}\n", line(N, "beta-marker")).as_bytes())
        .unwrap();
    tcp.flush().unwrap();
    wait_until(Duration::from_secs(30), || {
        (count(&srv, &token, "/api/v1/alerts?rule_id=marker-beta") > fired).then_some(())
    });
    assert!(srv.log().contains("rules reloaded"), "{}", srv.log());
    srv.stop();
}
