//! Vedette's detection engine against an independent Sigma implementation:
//! pySigma (its SQLite backend, as Zircolite uses it), through
//! `shared/tools/sigma-oracle.py`, on the same rules (every SigmaHQ Windows
//! rule) and the same events (every SigmaHQ regression EVTX record, read
//! and normalized by Vedette). Every rule-event pair on which the two
//! disagree must be explained below ([`EXPLAINED`]); a new disagreement
//! fails the test with the list.
//!
//! Needs the corpora (`$VEDETTE_CORPORA`, else `../shared/corpora` beside the
//! workspace, else `/work/shared/corpora`), the oracle script beside them
//! (`tools/sigma-oracle.py`) and a Python with pySigma
//! (`$VEDETTE_ORACLE_PYTHON`, else `/var/tmp/vedette-oracle-venv/bin/python`,
//! which `.ci/run` sets up); without them it says SKIP and passes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

mod common;
use common::{corpora, walk};
use std::process::Command;

use time::OffsetDateTime;
use vedette_correlation::{Detector, SigmaRuleSet};
use vedette_model::{Event, FieldValue, Origin};
use vedette_parsers::evtx::read_evtx;
use vedette_parsers::Parser;

/// Disagreements understood, by rule id: why pySigma and Vedette differ on
/// it, and which side is right.
const EXPLAINED: &[(&str, &str)] = &[
    (
        "460479f3-80b7-42da-9c43-2cc1d54dbccd",
        "the rule's category is registry_event, the Sigma taxonomy's umbrella over registry_add, registry_delete, registry_set and registry_rename; the event is Sysmon 12 (registry_add). Vedette admits it (LogSource::admits), as SigmaHQ's regression data for such rules requires; the oracle compares category names literally.",
    ),
    (
        "93ff0ceb-e0ef-4586-8cd8-a6c277d738e3",
        "registry_event umbrella again: Sysmon 12 and 13 events (registry_add, registry_set) under a registry_event rule. Vedette is right.",
    ),
];

fn python() -> Option<PathBuf> {
    let py = std::env::var_os("VEDETTE_ORACLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/vedette-oracle-venv/bin/python"));
    let ok = Command::new(&py)
        .args(["-c", "import sigma.backends.sqlite"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(py)
}

/// An event as the oracle reads it: its fields, and its log source (the
/// most specific service).
fn oracle_line(ev: &Event) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in &ev.fields {
        let v = match v {
            FieldValue::Str(s) => serde_json::Value::from(s.as_str()),
            FieldValue::Int(i) => serde_json::Value::from(*i),
            FieldValue::Float(f) => serde_json::Value::from(*f),
            FieldValue::Bool(b) => serde_json::Value::from(*b),
        };
        m.insert(k.to_string(), v);
    }
    let mut ls = serde_json::Map::new();
    if let Some(p) = &ev.logsource.product {
        ls.insert("product".into(), p.as_str().into());
    }
    if let Some(c) = &ev.logsource.category {
        ls.insert("category".into(), c.as_str().into());
    }
    if let Some(s) = ev.logsource.services.first() {
        ls.insert("service".into(), s.as_str().into());
    }
    m.insert("_logsource".into(), ls.into());
    m.into()
}

#[test]
fn detections_agree_with_pysigma() {
    let (Some(corpora), Some(python)) = (corpora(), python()) else {
        eprintln!("\n*** SKIP detections_agree_with_pysigma: needs the SigmaHQ corpus and a Python with pySigma (see the file's docs) ***\n");
        return;
    };
    let oracle = corpora.join("../tools/sigma-oracle.py");
    let oracle = if oracle.is_file() {
        oracle
    } else {
        corpora.join("tools/sigma-oracle.py")
    };
    assert!(
        oracle.is_file(),
        "no sigma-oracle.py beside {}",
        corpora.display()
    );
    let sigma = corpora.join("sigmahq");
    let rule_dirs = [
        sigma.join("rules/windows"),
        sigma.join("rules-threat-hunting/windows"),
        sigma.join("rules-emerging-threats"),
    ];

    // The events, as Vedette reads them.
    let mut files = Vec::new();
    walk(
        &sigma.join("regression_data"),
        &|p| p.extension().is_some_and(|e| e == "evtx"),
        &mut files,
    );
    let parser = Parser::default();
    let received = OffsetDateTime::now_utc();
    let mut events = Vec::new();
    for f in &files {
        for rec in read_evtx(f).expect("evtx").flatten() {
            let n = events.len() as u64 + 1;
            events.push(rec.to_event(&parser, n, received, Origin::new("t", None)));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("events.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&jsonl).unwrap());
    for ev in &events {
        writeln!(w, "{}", oracle_line(ev)).unwrap();
    }
    drop(w);

    // pySigma's matches: rule id -> event lines.
    let mut cmd = Command::new(&python);
    cmd.arg(&oracle);
    for d in &rule_dirs {
        cmd.arg("--rules").arg(d);
    }
    let out = cmd.arg("--events").arg(&jsonl).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "oracle failed: {err}");
    // pySigma's SQLite backend cannot convert keyword (full-text) rules;
    // those are compared by the regression test and the differential one.
    eprintln!("pySigma: {}", err.trim());
    let mut theirs: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut titles: BTreeMap<String, String> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["rule_id"].as_str().unwrap_or_default().to_string();
        titles.insert(id.clone(), v["title"].as_str().unwrap_or_default().into());
        theirs.entry(id).or_default().extend(
            v["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e.as_u64()),
        );
    }

    // Vedette's.
    let (set, report) = SigmaRuleSet::load(&rule_dirs);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut ours: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut hits = Vec::new();
    for ev in &events {
        hits.clear();
        set.detect(ev, &mut hits);
        for h in &hits {
            titles
                .entry(h.rule_id.clone())
                .or_insert_with(|| h.title.clone());
            ours.entry(h.rule_id.clone()).or_default().insert(ev.seq);
        }
    }

    let ids: BTreeSet<&String> = theirs.keys().chain(ours.keys()).collect();
    let empty = BTreeSet::new();
    let (mut agreed, mut explained, mut unexplained) = (0usize, Vec::new(), Vec::new());
    for id in ids {
        let t = theirs.get(id).unwrap_or(&empty);
        let o = ours.get(id).unwrap_or(&empty);
        if t == o {
            agreed += t.len();
            continue;
        }
        let only_theirs: Vec<&u64> = t.difference(o).collect();
        let only_ours: Vec<&u64> = o.difference(t).collect();
        let line = format!(
            "{id} {:?}: only pySigma matches events {only_theirs:?}, only Vedette {only_ours:?}",
            titles.get(id).map(String::as_str).unwrap_or("")
        );
        match EXPLAINED.iter().find(|(r, _)| r == id) {
            Some((_, why)) => explained.push(format!("{line}\n    explained: {why}")),
            None => unexplained.push(line),
        }
    }
    eprintln!(
        "{} events, {} rules: {agreed} rule-event matches agreed, {} rules differ and are explained, {} unexplained",
        events.len(),
        report.loaded,
        explained.len(),
        unexplained.len()
    );
    for e in &explained {
        eprintln!("{e}");
    }
    assert!(agreed > 200, "only {agreed} matches in common");
    assert!(
        unexplained.is_empty(),
        "{} rules on which pySigma and Vedette disagree without an explanation:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
