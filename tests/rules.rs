//! The project's rule pack: every rule loads, and each fires on the real log
//! lines it is meant for and stays quiet on the benign ones beside them
//! (`rules/tests/<rule>.txt`), through the real parser and engine. For a
//! correlation rule the lines are one sequence through the correlator.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use vedette_correlation::{CorrelationConfig, Detector, SigmaRuleSet};
use vedette_model::Origin;
use vedette_parsers::{Parser, ParserConfig};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")
}

fn rule_id(yaml: &str) -> String {
    yaml.lines()
        .find_map(|l| l.strip_prefix("id: "))
        .expect("every rule has an id")
        .trim()
        .to_string()
}

#[test]
fn rule_pack_loads_and_each_rule_fires_only_where_it_should() {
    let dir = rules_dir();
    let (set, report) = SigmaRuleSet::load(std::slice::from_ref(&dir));
    assert!(
        report.errors.is_empty(),
        "rules failed to load: {:#?}",
        report.errors
    );
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
    let mut correlator = set.correlator(CorrelationConfig::default());
    let received = OffsetDateTime::parse(
        "2026-11-25T03:30:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let parser = Parser::new(ParserConfig::default());
    let mut rules = 0;
    let mut correlations = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
    {
        rules += 1;
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let yaml = std::fs::read_to_string(path).unwrap();
        let id = rule_id(&yaml);
        let is_correlation = yaml.lines().any(|l| l == "correlation:");
        if is_correlation {
            correlations += 1;
        }
        let cases_path = dir.join("tests").join(format!("{stem}.txt"));
        let cases = std::fs::read_to_string(&cases_path)
            .unwrap_or_else(|_| panic!("{stem}: no test cases at {}", cases_path.display()));
        let (mut pos, mut neg) = (0, 0);
        for (n, line) in cases.lines().enumerate() {
            let (want, text) = match line.split_at_checked(2) {
                Some(("+ ", t)) => (true, t),
                Some(("- ", t)) => (false, t),
                _ => continue,
            };
            let ev = parser.parse(
                n as u64 + 1,
                received,
                Origin::new("test", None),
                text.as_bytes(),
            );
            let mut hits = Vec::new();
            set.detect(&ev, &mut hits);
            if is_correlation {
                correlator.process(&ev, &mut hits);
            }
            let fired = hits.iter().any(|h| h.rule_id == id);
            assert_eq!(
                fired,
                want,
                "{stem} line {}: expected {} on {text:?}\nparsed as {:#}",
                n + 1,
                if want { "a match" } else { "no match" },
                ev.to_json()
            );
            if want {
                pos += 1
            } else {
                neg += 1
            }
        }
        assert!(
            pos > 0 && neg > 0,
            "{stem}: needs at least one matching and one benign line"
        );
    }
    assert!(rules >= 5, "the pack has {rules} rules");
    assert!(correlations >= 1, "the pack has no correlation rule");
    assert_eq!(set.rule_count(), rules - correlations);
    assert_eq!(set.correlation_count(), correlations);
}
