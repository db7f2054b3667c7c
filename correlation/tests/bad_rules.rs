//! Rules that do not load are reported with file, line, code and reason,
//! and never stop the others; a regular expression that would backtrack
//! catastrophically elsewhere runs in linear time here (the `regex` crate
//! has no backtracking), so it loads and matches safely.

use std::time::{Duration, Instant};

use time::OffsetDateTime;
use vedette_correlation::{Detector, SigmaRuleSet};
use vedette_model::{Event, LogSource, Origin};

const GOOD: &str = "title: good\nid: good-1\nlogsource: {product: linux}\ndetection:\n  sel: {user.name: root}\n  condition: sel\n";

#[test]
fn bad_rules_are_located_and_the_rest_run() {
    let sources = [
        ("good.yml", GOOD),
        (
            "missing.yml",
            "title: a\nlogsource: {product: linux}\ndetection:\n  sel: {a: b}\n  condition: sel or nope\n",
        ),
        (
            "modifier.yml",
            "title: b\nlogsource: {product: linux}\ndetection:\n  sel:\n    a|nosuchmod: b\n  condition: sel\n",
        ),
        ("yaml.yml", "title: c\n  bad: [\n"),
        (
            "redos.yml",
            "title: d\nid: redos-1\nlogsource: {product: linux}\ndetection:\n  sel:\n    message|re: '^(a+)+$'\n  condition: sel\n",
        ),
    ];
    let (set, report) = SigmaRuleSet::from_sources(sources);
    assert_eq!(report.loaded, 2, "{:?}", report.errors);
    let shown: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    let find = |file: &str| {
        shown
            .iter()
            .find(|s| s.starts_with(file))
            .unwrap_or_else(|| panic!("{file} not reported: {shown:?}"))
            .clone()
    };
    assert!(
        find("missing.yml").starts_with("missing.yml:5: E003"),
        "{shown:?}"
    );
    assert!(
        find("modifier.yml").starts_with("modifier.yml:5: E002"),
        "{shown:?}"
    );
    assert!(
        find("yaml.yml").starts_with("yaml.yml:2: E002"),
        "{shown:?}"
    );

    let mut ev = Event::raw(1, OffsetDateTime::UNIX_EPOCH, Origin::new("t", None), b"x");
    ev.logsource = LogSource::new(Some("linux"), None, &["syslog"]);
    ev.set("user.name", "root");
    ev.set("message", format!("{}b", "a".repeat(100_000)));
    let mut hits = Vec::new();
    let t = Instant::now();
    set.detect(&ev, &mut hits);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    let ids: Vec<&str> = hits.iter().map(|d| d.rule_id.as_str()).collect();
    assert_eq!(ids, ["good-1"]);
}
