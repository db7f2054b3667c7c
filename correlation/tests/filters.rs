//! Sigma filter rules (global exclusions), loaded from the same rule paths
//! as the rules they tune, across log-source buckets.

use time::OffsetDateTime;
use vedette_correlation::{Detector, RuleErrorKind, SigmaRuleSet};
use vedette_model::{Event, LogSource, Origin};

const RULES: &str = r#"
title: Root login failed
id: 00000000-0000-4000-8000-0000000000a1
name: root_login_failed
logsource: { product: linux, service: sshd }
detection:
    selection: { user.name: root, event.outcome: failure }
    condition: selection
---
title: Sudo failure
id: 00000000-0000-4000-8000-0000000000a2
logsource: { product: linux, service: sudo }
detection:
    selection: { event.outcome: failure }
    condition: selection
---
title: Windows failure
id: 00000000-0000-4000-8000-0000000000a3
logsource: { product: windows, service: security }
detection:
    selection: { event.outcome: failure }
    condition: selection
"#;

fn fired(set: &SigmaRuleSet, ls: LogSource, fields: &[(&str, &str)]) -> Vec<String> {
    let mut e = Event::raw(1, OffsetDateTime::UNIX_EPOCH, Origin::new("t", None), b"x");
    e.logsource = ls;
    for (k, v) in fields {
        e.set(k, *v);
    }
    let mut hits = Vec::new();
    set.detect(&e, &mut hits);
    hits.into_iter()
        .map(|h| h.rule_id[h.rule_id.len() - 2..].to_string())
        .collect()
}

fn sshd() -> LogSource {
    LogSource::new(Some("linux"), None, &["sshd", "auth", "syslog"])
}
fn sudo() -> LogSource {
    LogSource::new(Some("linux"), None, &["sudo", "auth", "syslog"])
}
fn windows() -> LogSource {
    LogSource::new(Some("windows"), None, &["security"])
}

fn failure(ip: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("user.name", "root"),
        ("event.outcome", "failure"),
        ("source.ip", ip),
    ]
}

#[test]
fn filter_by_id_or_name_excludes_matching_events() {
    for target in ["00000000-0000-4000-8000-0000000000a1", "root_login_failed"] {
        let filter = format!(
            r#"
title: Jump hosts may fail
id: 00000000-0000-4000-8000-0000000000f1
logsource: {{ product: linux }}
filter:
    rules:
        - {target}
    selection:
        source.ip|startswith: '10.'
    condition: not selection
"#
        );
        let (set, report) = SigmaRuleSet::from_sources([("r.yml", RULES), ("f.yml", &filter)]);
        assert!(report.errors.is_empty(), "{:#?}", report.errors);
        assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
        assert_eq!((report.loaded, report.filters), (3, 1));
        assert_eq!(set.filter_count(), 1);
        assert!(
            fired(&set, sshd(), &failure("10.1.2.3")).is_empty(),
            "{target}"
        );
        assert_eq!(fired(&set, sshd(), &failure("203.0.113.7")), ["a1"]);
        // Rules the filter does not name are untouched.
        assert_eq!(fired(&set, sudo(), &failure("10.1.2.3")), ["a2"]);
    }
}

#[test]
fn filter_without_rules_applies_to_its_log_source_in_every_bucket() {
    let filter = r#"
title: Lab network is noise
logsource: { product: linux }
filter:
    selection:
        source.ip|startswith: '10.'
    condition: not selection
"#;
    let (set, report) = SigmaRuleSet::from_sources([("r.yml", RULES), ("f.yml", filter)]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert_eq!(report.filters, 1);
    // Both Linux rules (two buckets: sshd and sudo) are filtered...
    assert!(fired(&set, sshd(), &failure("10.1.2.3")).is_empty());
    assert!(fired(&set, sudo(), &failure("10.1.2.3")).is_empty());
    assert_eq!(fired(&set, sudo(), &failure("192.0.2.1")), ["a2"]);
    // ...the Windows one is not of its log source.
    assert_eq!(fired(&set, windows(), &failure("10.1.2.3")), ["a3"]);
}

#[test]
fn filter_that_names_no_loaded_rule_is_a_warning() {
    let filter = r#"
title: For a rule we do not have
id: 00000000-0000-4000-8000-0000000000f2
logsource: { product: linux }
filter:
    rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
    selection: { user.name: admin }
    condition: not selection
"#;
    let (set, report) = SigmaRuleSet::from_sources([("r.yml", RULES), ("f.yml", filter)]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert_eq!(report.filters, 1);
    assert_eq!(report.warnings.len(), 1);
    let w = &report.warnings[0];
    assert_eq!(w.kind, RuleErrorKind::FilterUnused);
    assert_eq!(w.kind.code(), "W001");
    assert_eq!(w.path, "f.yml");
    assert!(w.to_string().contains("6f3e2987"), "{w}");
    assert_eq!(fired(&set, sshd(), &failure("10.1.2.3")), ["a1"]);
    // Named rule, wrong log source: also nothing to filter.
    let other = filter.replace(
        "6f3e2987-db24-4c78-a860-b4f4095a7095",
        "00000000-0000-4000-8000-0000000000a3",
    );
    let (_, report) = SigmaRuleSet::from_sources([("r.yml", RULES), ("f.yml", other.as_str())]);
    assert_eq!(report.warnings.len(), 1);
}

#[test]
fn broken_filter_is_an_error_and_others_load() {
    let filter = r#"
title: Broken
logsource: { product: linux }
filter:
    rules: [root_login_failed]
    selection: { user.name: admin }
    condition: not missing_selection
"#;
    let (set, report) = SigmaRuleSet::from_sources([("r.yml", RULES), ("f.yml", filter)]);
    assert_eq!(report.loaded, 3);
    assert_eq!(report.filters, 0);
    assert_eq!(report.errors.len(), 1, "{:#?}", report.errors);
    assert_eq!(fired(&set, sshd(), &failure("10.1.2.3")), ["a1"]);
}
