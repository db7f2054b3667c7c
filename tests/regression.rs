//! SigmaHQ's regression data: for each rule that ships an EVTX sample
//! (`regression_data/**/info.yml`), that one rule, loaded from the SigmaHQ
//! rule folders, must match at least `match_count` (default 1) of the
//! sample's events, read through Vedette's EVTX reader and parser and run
//! through its detection engine.
//!
//! The data is read in place from `$VEDETTE_CORPORA/sigmahq` (default:
//! `../shared/corpora` beside the workspace, then `/work/shared/corpora`);
//! without it the test says SKIP and passes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod common;
use common::{corpora, walk};

use time::OffsetDateTime;
use vedette_correlation::{Detector, SigmaRuleSet};
use vedette_model::Origin;
use vedette_parsers::evtx::read_evtx;
use vedette_parsers::Parser;

/// The SigmaHQ rule folders searched for a rule id.
const RULE_DIRS: &[&str] = &[
    "rules",
    "rules-emerging-threats",
    "rules-threat-hunting",
    "rules-dfir",
    "rules-compliance",
    "rules-placeholder",
];

fn is_yaml(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yml" || e == "yaml")
}

/// Rule id -> rule file, over every SigmaHQ rule folder.
fn rule_index(sigma: &Path) -> HashMap<String, PathBuf> {
    let mut files = Vec::new();
    for d in RULE_DIRS {
        walk(&sigma.join(d), &is_yaml, &mut files);
    }
    let mut index = HashMap::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if let Some(id) = text.lines().find_map(|l| l.strip_prefix("id: ")) {
            index.insert(id.trim().trim_matches(['\'', '"']).to_string(), f);
        }
    }
    index
}

/// One regression case, from its `info.yml`.
struct Case {
    rule_id: String,
    evtx: PathBuf,
    match_count: usize,
}

/// A case's `info.yml`: `Ok(None)` when it has no EVTX test (SigmaHQ
/// leaves a few with their `regression_tests_info` commented out).
fn read_case(sigma: &Path, info: &Path) -> Result<Option<Case>, String> {
    let dir = info.parent().unwrap_or(sigma).to_path_buf();
    let text = std::fs::read_to_string(info).map_err(|e| format!("reading info.yml: {e}"))?;
    let y: yaml_serde::Value =
        yaml_serde::from_str(&text).map_err(|e| format!("parsing info.yml: {e}"))?;
    let rule_id = y["rule_metadata"][0]["id"]
        .as_str()
        .ok_or("info.yml has no rule_metadata[0].id")?
        .to_string();
    let test = &y["regression_tests_info"][0];
    if test.is_null() {
        return Ok(None);
    }
    if test["type"].as_str().is_some_and(|t| t != "evtx") {
        return Ok(None);
    }
    let match_count = test["match_count"].as_u64().unwrap_or(1) as usize;
    // The path is relative to the SigmaHQ repository; else the one .evtx
    // beside info.yml.
    let evtx = test["path"]
        .as_str()
        .map(|p| sigma.join(p))
        .filter(|p| p.is_file())
        .or_else(|| {
            let mut found = Vec::new();
            walk(
                &dir,
                &|p| p.extension().is_some_and(|e| e == "evtx"),
                &mut found,
            );
            found.into_iter().next()
        })
        .ok_or("no .evtx file")?;
    Ok(Some(Case {
        rule_id,
        evtx,
        match_count,
    }))
}

/// Runs one case: Ok(matches) when the rule fires often enough.
fn run_case(
    case: &Case,
    index: &HashMap<String, PathBuf>,
    parser: &Parser,
) -> Result<usize, String> {
    let rule = index.get(&case.rule_id).ok_or_else(|| {
        format!(
            "rule {} not found in the SigmaHQ rule folders",
            case.rule_id
        )
    })?;
    let (set, report) = SigmaRuleSet::load(std::slice::from_ref(rule));
    if report.loaded == 0 {
        let why: Vec<String> = report.errors.iter().map(|e| e.to_string()).collect();
        return Err(format!(
            "rule {} did not load: {}",
            rule.display(),
            why.join("; ")
        ));
    }
    let records = read_evtx(&case.evtx).map_err(|e| format!("{}: {e}", case.evtx.display()))?;
    let received = OffsetDateTime::now_utc();
    let (mut events, mut matches) = (0usize, 0usize);
    let mut read_errors = Vec::new();
    let mut seen = Vec::new();
    let mut hits = Vec::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                read_errors.push(e.to_string());
                continue;
            }
        };
        events += 1;
        let ev = rec.to_event(parser, events as u64, received, Origin::new("test", None));
        hits.clear();
        set.detect(&ev, &mut hits);
        if hits.iter().any(|h| h.rule_id == case.rule_id) {
            matches += 1;
        }
        let ls = format!(
            "{}/{}/{}",
            ev.logsource.product.as_deref().unwrap_or("-"),
            ev.logsource.category.as_deref().unwrap_or("-"),
            ev.logsource.services.join("+"),
        );
        if !seen.contains(&ls) {
            seen.push(ls);
        }
        if std::env::var_os("VEDETTE_REGRESSION_DUMP").is_some() {
            eprintln!("{}", ev.to_json());
        }
    }
    if matches >= case.match_count && read_errors.is_empty() {
        return Ok(matches);
    }
    let mut why = format!(
        "{matches} of {events} events matched, {} expected; event log sources: {}",
        case.match_count,
        seen.join(", ")
    );
    if !read_errors.is_empty() {
        why.push_str(&format!("; read errors: {}", read_errors.join("; ")));
    }
    Err(why)
}

#[test]
fn sigmahq_regression_data() {
    let Some(corpora) = corpora() else {
        eprintln!(
            "\n*** SKIP sigmahq_regression_data: no SigmaHQ corpus (set VEDETTE_CORPORA to the folder holding sigmahq/regression_data) ***\n"
        );
        return;
    };
    let sigma = corpora.join("sigmahq");
    let index = rule_index(&sigma);
    let mut infos = Vec::new();
    walk(
        &sigma.join("regression_data"),
        &|p| p.file_name().is_some_and(|n| n == "info.yml"),
        &mut infos,
    );
    // `VEDETTE_REGRESSION_ONLY=text` runs the cases whose folder contains text.
    let only = std::env::var("VEDETTE_REGRESSION_ONLY").ok();
    let parser = Parser::default();
    let (mut passed, mut failures, mut not_evtx) = (0usize, Vec::new(), 0usize);
    for info in &infos {
        let label = info
            .parent()
            .and_then(|d| d.strip_prefix(&sigma).ok())
            .unwrap_or(info)
            .display()
            .to_string();
        if only.as_deref().is_some_and(|o| !label.contains(o)) {
            continue;
        }
        let result = match read_case(&sigma, info) {
            Ok(None) => {
                not_evtx += 1;
                continue;
            }
            Ok(Some(case)) => run_case(&case, &index, &parser),
            Err(why) => Err(why),
        };
        match result {
            Ok(_) => passed += 1,
            Err(why) => failures.push(format!("{label}: {why}")),
        }
    }
    let total = passed + failures.len();
    eprintln!(
        "SigmaHQ regression data: {passed} of {total} EVTX cases pass ({} rules indexed, {not_evtx} cases without an EVTX test)",
        index.len()
    );
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    if only.is_none() {
        assert!(
            total >= 200,
            "only {total} regression cases found under {}",
            sigma.display()
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {total} regression cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Vedette's index and matcher against rsigma's evaluator, rule by rule, on
/// every regression event with every SigmaHQ rule loaded at once: the same
/// matches, and none lost by the index. Each event is also tried with its
/// text in upper case and in lower case, so case folding is exercised both
/// ways.
#[test]
fn fast_matcher_agrees_with_rsigma() {
    let Some(corpora) = corpora() else {
        eprintln!("\n*** SKIP fast_matcher_agrees_with_rsigma: no SigmaHQ corpus ***\n");
        return;
    };
    let sigma = corpora.join("sigmahq");
    let dirs: Vec<PathBuf> = RULE_DIRS.iter().map(|d| sigma.join(d)).collect();
    let (set, report) = SigmaRuleSet::load(&dirs);
    assert!(report.loaded > 3000, "{} rules loaded", report.loaded);
    let mut files = Vec::new();
    walk(
        &sigma.join("regression_data"),
        &|p| p.extension().is_some_and(|e| e == "evtx"),
        &mut files,
    );
    let parser = Parser::default();
    let received = OffsetDateTime::now_utc();
    let (mut events, mut matches) = (0usize, 0usize);
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    for f in &files {
        for rec in read_evtx(f).expect("evtx").flatten() {
            let ev = rec.to_event(&parser, rec.record_id, received, Origin::new("t", None));
            let mut variants = vec![ev.clone()];
            for upper in [true, false] {
                let mut v = ev.clone();
                for val in v.fields.values_mut() {
                    if let vedette_model::FieldValue::Str(s) = val {
                        *s = if upper {
                            s.to_uppercase()
                        } else {
                            s.to_lowercase()
                        };
                    }
                }
                variants.push(v);
            }
            for v in &variants {
                events += 1;
                fast.clear();
                slow.clear();
                set.detect(v, &mut fast);
                set.detect_exhaustive(v, &mut slow);
                let ids = |d: &Vec<vedette_correlation::Detection>| {
                    d.iter().map(|h| h.rule_id.clone()).collect::<Vec<_>>()
                };
                assert_eq!(
                    ids(&fast),
                    ids(&slow),
                    "{}: record {}: fast matcher (left) and rsigma (right) disagree",
                    f.display(),
                    rec.record_id
                );
                matches += fast.len();
            }
        }
    }
    eprintln!(
        "fast matcher agrees with rsigma: {events} events, {matches} matches, {} rules",
        report.loaded
    );
    assert!(
        events > 600 && matches > 300,
        "{events} events, {matches} matches"
    );
}
