//! EVTX files through the real binary: `vedette import` into a data
//! directory then search through the API, and `vedette hunt` without a
//! server. They use a SigmaHQ regression sample (read in place from
//! `$VEDETTE_CORPORA`, else `../shared/corpora` beside the workspace, else
//! `/work/shared/corpora`) and say SKIP without it.

use std::path::{Path, PathBuf};

use crate::server::{self, urlencode, Server};

/// The Windows Defender sample: one event 1119 (`Threat Name` with a
/// space), and the SigmaHQ rule that must fire on it.
const DEFENDER: &str = "rules-emerging-threats/2026/Exploits/RedSun/win_defender_exploit_redsun_tiering_engine_detected_as_eicar";
const DEFENDER_RULE: &str = "rules-emerging-threats/2026/Exploits/RedSun/win_defender_exploit_redsun_tiering_engine_detected_as_eicar.yml";
const DEFENDER_RULE_ID: &str = "a7c3e5f2-8b1d-4e9a-b6c2-3d7f5e8a9b4c";

fn sigmahq() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    [
        std::env::var_os("VEDETTE_CORPORA").map(PathBuf::from),
        Some(workspace.join("../shared/corpora")),
        Some(PathBuf::from("/work/shared/corpora")),
    ]
    .into_iter()
    .flatten()
    .map(|p| p.join("sigmahq"))
    .find(|p| p.join("regression_data").is_dir())
}

/// The sample's EVTX file and rule file, or None (SKIP).
fn defender_sample() -> Option<(PathBuf, PathBuf)> {
    let Some(sigma) = sigmahq() else {
        eprintln!("*** SKIP: no SigmaHQ regression data (set VEDETTE_CORPORA) ***");
        return None;
    };
    let dir = sigma.join("regression_data").join(DEFENDER);
    let evtx = std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "evtx"))?;
    Some((evtx, sigma.join(DEFENDER_RULE)))
}

#[test]
fn import_evtx_then_search_finds_the_event() {
    let Some((evtx, rule)) = defender_sample() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Named without .evtx: recognized by its magic.
    let copy = dir.path().join("defender.log");
    std::fs::copy(&evtx, &copy).unwrap();
    let data = dir.path().join("data");
    let out = std::process::Command::new(server::exe())
        .arg("import")
        .arg("--data-dir")
        .arg(&data)
        .arg("--rules")
        .arg(&rule)
        .arg(&copy)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("and 1 EVTX records"), "{err}");
    assert!(err.contains("1 parsed, 0 kept raw, 1 new alerts"), "{err}");

    // A .evtx file that is not one stops the import before anything goes in.
    let fake = dir.path().join("fake.evtx");
    std::fs::write(&fake, "hello\n").unwrap();
    let out = std::process::Command::new(server::exe())
        .arg("import")
        .arg("--data-dir")
        .arg(dir.path().join("other"))
        .arg(&copy)
        .arg(&fake)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("fake.evtx: not an EVTX file"), "{err}");
    assert!(!dir.path().join("other").exists(), "{err}");

    let srv = Server::start(&data, &[]);
    let token = srv.token("e2e", "admin");
    let find = |q: &str| {
        let (code, body) = srv.get(&format!("/api/v1/events?q={}", urlencode(q)), Some(&token));
        assert_eq!(code, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()
    };
    // Free text, the native fields, and the name Sigma uses for `Threat Name`.
    for q in [
        "TieringEngineService",
        "EventID:1119",
        "Channel:\"Microsoft-Windows-Windows Defender/Operational\"",
        "ThreatName:\"Tool:Win32/EICAR_Test_File\"",
    ] {
        let v = find(q);
        assert_eq!(v["total"], 1, "{q}: {v}");
        let ev = &v["events"][0];
        assert_eq!(ev["EventID"], 1119, "{ev}");
        assert_eq!(ev["Computer"], "swachchhanda", "{ev}");
        assert_eq!(ev["sigma.service"][0], "windefend", "{ev}");
        assert_eq!(ev["@timestamp"], "2026-04-17T04:14:33.653Z", "{ev}");
    }
    let (_, body) = srv.get("/api/v1/alerts", Some(&token));
    assert!(body.contains(DEFENDER_RULE_ID), "{body}");
    srv.stop();
}

#[test]
fn hunt_finds_the_sample_without_a_server() {
    let Some((evtx, rule)) = defender_sample() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A folder: the EVTX file, an NDJSON file holding the same record as
    // JSON, a log file and a binary file.
    std::fs::copy(&evtx, dir.path().join("a.evtx")).unwrap();
    let json = std::fs::read_to_string(evtx.with_extension("json")).unwrap();
    let one_line: serde_json::Value = serde_json::from_str(&json).unwrap();
    std::fs::write(
        dir.path().join("b.ndjson"),
        format!("{one_line}\n{{\"other\":1}}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("pretty.json"), &json).unwrap();
    std::fs::write(
        dir.path().join("c.log"),
        "Nov 25 10:01:02 web01 sshd[2211]: Failed password for root from 203.0.113.9 port 50122 ssh2\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("d.gz"), b"\x1f\x8b\x08\x00\x00\x00").unwrap();
    let out = std::process::Command::new(server::exe())
        .args(["hunt", "--threads", "2", "--rules"])
        .arg(&rule)
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The EVTX record, its NDJSON line and the pretty JSON document.
    assert_eq!(lines.len(), 3, "{lines:#?}\n{err}");
    let mut files: Vec<&str> = lines.iter().map(|l| l["file"].as_str().unwrap()).collect();
    files.sort();
    assert!(files[0].ends_with("a.evtx"), "{files:?}");
    assert!(files[1].ends_with("b.ndjson"), "{files:?}");
    assert!(files[2].ends_with("pretty.json"), "{files:?}");
    for l in &lines {
        assert_eq!(l["rule_id"], DEFENDER_RULE_ID);
        assert_eq!(l["level"], "critical");
        assert!(l["title"].as_str().unwrap().contains("RedSun"));
        assert!(l["tags"].is_array());
        assert_eq!(l["event"]["ThreatName"], "Tool:Win32/EICAR_Test_File");
    }
    assert!(err.contains("d.gz: skipped"), "{err}");
    assert!(
        err.contains("hunt: 4 files, 5 events, 3 matches, 1 rules (loaded in"),
        "{err}"
    );

    // Nothing readable at all: a failure.
    let out = std::process::Command::new(server::exe())
        .args(["hunt", "--rules"])
        .arg(&rule)
        .arg(dir.path().join("missing.evtx"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.evtx: cannot read"));
}

/// Correlation rules in `hunt`: the built-in pack's SSH brute-force rule
/// (five failed logins from one address in five minutes) fires once over
/// two files whose lines are out of time order, and its line lists the
/// events that made it.
#[test]
fn hunt_runs_correlation_rules_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let line = |sec: u32, port: u32| {
        format!("Nov 25 10:01:{sec:02} web01 sshd[2211]: Failed password for root from 203.0.113.9 port {port} ssh2\n")
    };
    let a: String = [(5, 1), (4, 2), (3, 3)]
        .iter()
        .map(|&(s, p)| line(s, p))
        .collect();
    let b: String = [(0, 4), (1, 5), (2, 6)]
        .iter()
        .map(|&(s, p)| line(s, p))
        .collect();
    std::fs::write(dir.path().join("a.log"), a).unwrap();
    std::fs::write(dir.path().join("b.log"), b).unwrap();
    let out = std::process::Command::new(server::exe())
        .args(["hunt", "--threads", "2"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let corr: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l.get("correlation").is_some())
        .collect();
    assert_eq!(corr.len(), 1, "{lines:#?}\n{err}");
    let c = corr[0];
    assert_eq!(c["title"], "SSH Brute Force From One Address");
    assert_eq!(c["correlation"]["type"], "event_count");
    assert_eq!(c["correlation"]["group"]["source.ip"], "203.0.113.9");
    assert!(c["correlation"]["value"].as_f64().unwrap() >= 5.0, "{c}");
    assert!(
        c["correlation"]["linked_events"].as_array().unwrap().len() >= 5,
        "{c}"
    );
    // It fired on the fifth failure in time order (10:01:04).
    assert!(
        c["event"]["@timestamp"]
            .as_str()
            .unwrap()
            .contains(":01:04"),
        "{c}"
    );
    // Every failure is still reported as a match of its own rule.
    let failed = lines
        .iter()
        .filter(|l| l.get("correlation").is_none())
        .filter(|l| {
            l["title"]
                .as_str()
                .unwrap_or("")
                .to_lowercase()
                .contains("failed")
        })
        .count();
    assert!(failed >= 6, "{lines:#?}");
    assert!(err.contains("(1 from 1 correlation rules)"), "{err}");
}
