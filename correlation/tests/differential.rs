//! Vedette's index and matcher against rsigma's own evaluator on random
//! events: for every event, [`SigmaRuleSet::detect`] and
//! [`SigmaRuleSet::detect_exhaustive`] report the same rules. The rules
//! cover every kind of value the index treats differently (exact values,
//! substrings, keywords, regexes with and without literals, numbers,
//! CIDR, `null`, `exists`, negation, quantified selectors, `|cased`,
//! `|windash`, `|base64offset`, `|all`, the virtual `event.original`
//! field); the events are built from the rules' own literals, in random
//! case, with random text around them.

use proptest::prelude::*;
use time::OffsetDateTime;
use vedette_correlation::{Detection, Detector, SigmaRuleSet};
use vedette_model::{Event, FieldValue, LogSource, Origin};

const RULES: &str = r#"
title: exact and contains
id: r-exact
logsource: { product: windows, category: process_creation }
detection:
    sel: { Image|endswith: '\whoami.exe', CommandLine|contains: '/all' }
    condition: sel
---
title: event id number
id: r-number
logsource: { product: windows }
detection:
    sel: { EventID: 4688, NewProcessName|contains: 'psexec' }
    condition: sel
---
title: event id only
id: r-eid
logsource: { product: windows }
detection:
    sel: { EventID: [4624, 4625] }
    condition: sel
---
title: keywords
id: r-keywords
logsource: { product: windows }
detection:
    keywords: ['mimikatz', 'sekurlsa::']
    condition: keywords
---
title: regex with literal
id: r-regex
logsource: { product: windows, category: process_creation }
detection:
    sel: { CommandLine|re: 'invoke-(web|rest)request\s+-uri' }
    condition: sel
---
title: regex case-insensitive no literal
id: r-regex-i
logsource: { product: windows, category: process_creation }
detection:
    sel: { CommandLine|re|i: '^[a-z]:\\\\temp\\\\[0-9]+' }
    condition: sel
---
title: negation only
id: r-not
logsource: { product: windows, category: process_creation }
detection:
    sel: { User|contains: 'SYSTEM' }
    condition: not sel
---
title: one of with filter
id: r-oneof
logsource: { product: windows, category: process_creation }
detection:
    sel_a: { CommandLine|contains|all: ['net', 'user', '/add'] }
    sel_b: { ParentImage|endswith: ['\wmiprvse.exe', '\mshta.exe'] }
    filter: { Image|startswith: 'C:\Program Files\' }
    condition: 1 of sel_* and not filter
---
title: all of them
id: r-allof
logsource: { product: windows }
detection:
    a: { Channel: Security }
    b: { TargetUserName|startswith: 'adm' }
    condition: all of them
---
title: cased
id: r-cased
logsource: { product: windows }
detection:
    sel: { CommandLine|cased|contains: 'FromBase64String' }
    condition: sel
---
title: windash
id: r-windash
logsource: { product: windows, category: process_creation }
detection:
    sel: { CommandLine|windash|contains: ' -enc ' }
    condition: sel
---
title: base64offset
id: r-b64
logsource: { product: windows, category: process_creation }
detection:
    sel: { CommandLine|base64offset|contains: 'http://' }
    condition: sel
---
title: null and exists
id: r-null
logsource: { product: windows }
detection:
    sel: { OriginalFileName: null }
    ex: { Image|exists: true }
    condition: sel and ex
---
title: numeric and cidr
id: r-num
logsource: { product: windows }
detection:
    sel: { LogonType|gte: 10, IpAddress|cidr: '10.0.0.0/8' }
    condition: sel
---
title: raw text
id: r-raw
logsource: { product: windows }
detection:
    sel: { event.original|contains: 'lsass' }
    condition: sel
---
title: count of
id: r-count
logsource: { product: windows }
detection:
    s1: { CommandLine|contains: 'vssadmin' }
    s2: { CommandLine|contains: 'delete' }
    s3: { CommandLine|contains: 'shadows' }
    condition: 2 of s*
---
title: regex case-insensitive with literal
id: r-regex-lit-i
logsource: { product: windows, category: process_creation }
detection:
    sel: { CommandLine|re|i: 'net\s+user\s+.*/add' }
    condition: sel
---
title: wildcard in the middle
id: r-wildcard
logsource: { product: windows }
detection:
    sel: { CommandLine: 'vssadmin*delete*shadows*' }
    condition: sel
---
title: unicode
id: r-unicode
logsource: { product: windows }
detection:
    sel: { TargetUserName|contains: 'quản trị' }
    condition: sel
"#;

const FRAGMENTS: &[&str] = &[
    "\\whoami.exe",
    "/all",
    "psexec",
    "mimikatz",
    "sekurlsa::",
    "invoke-webrequest -uri",
    "Invoke-RestRequest  -Uri",
    "c:\\temp\\123",
    "SYSTEM",
    "net",
    "user",
    "/add",
    "\\wmiprvse.exe",
    "\\mshta.exe",
    "C:\\Program Files\\",
    "Security",
    "adm",
    "FromBase64String",
    "frombase64string",
    " -enc ",
    " /enc ",
    " –enc ",
    "aHR0cDovL",
    "odHRwOi8v",
    "h0dHA6Ly",
    "lsass",
    "vssadmin",
    "delete",
    "shadows",
    "Quản Trị",
    "QUẢN TRỊ",
    "10.1.2.3",
    "192.168.1.1",
    "12",
    "4688",
    "4624",
    " ",
    "x",
    "Σ",
];

const FIELDS: &[&str] = &[
    "Image",
    "CommandLine",
    "ParentImage",
    "User",
    "NewProcessName",
    "Channel",
    "TargetUserName",
    "OriginalFileName",
    "IpAddress",
    "message",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec((0..FRAGMENTS.len(), 0..3u8, "[a-z ]{0,3}"), 0..5).prop_map(|parts| {
        let mut s = String::new();
        for (i, case, junk) in parts {
            let f = FRAGMENTS[i];
            match case {
                0 => s.push_str(f),
                1 => s.push_str(&f.to_uppercase()),
                _ => s.push_str(&f.to_lowercase()),
            }
            s.push_str(&junk);
        }
        s
    })
}

fn event() -> impl Strategy<Value = Event> {
    (
        prop::collection::vec((0..FIELDS.len(), text()), 0..8),
        prop::option::of(prop_oneof![
            Just(4688i64),
            Just(4624),
            Just(4625),
            0..5000i64
        ]),
        any::<bool>(),
        prop::option::of(0..20i64),
        any::<bool>(),
        text(),
    )
        .prop_map(|(fields, eid, eid_text, logon, proc_creation, raw)| {
            let mut e = Event::raw(
                1,
                OffsetDateTime::UNIX_EPOCH,
                Origin::new("t", None),
                raw.as_bytes(),
            );
            e.fields.clear();
            e.logsource = LogSource::new(
                Some("windows"),
                proc_creation.then_some("process_creation"),
                &["security"],
            );
            for (i, v) in fields {
                e.set(FIELDS[i], v);
            }
            match (eid, eid_text) {
                (Some(id), false) => {
                    e.fields.insert("EventID", FieldValue::Int(id));
                }
                // Some forwarders send numbers as text.
                (Some(id), true) => e.set("EventID", format!("{id}.0").as_str()),
                (None, _) => {}
            }
            if let Some(l) = logon {
                e.fields.insert("LogonType", FieldValue::Int(l));
            }
            e
        })
}

fn set() -> &'static SigmaRuleSet {
    static SET: std::sync::OnceLock<SigmaRuleSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| SigmaRuleSet::from_sources([("rules.yml", RULES)]).0)
}

fn ids(d: &[Detection]) -> Vec<&str> {
    d.iter().map(|h| h.rule_id.as_str()).collect()
}

#[test]
fn every_rule_loads() {
    let (set, report) = SigmaRuleSet::from_sources([("rules.yml", RULES)]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(set.rule_count(), 19);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn index_and_matcher_agree_with_rsigma(ev in event()) {
        let set = set();
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        set.detect(&ev, &mut fast);
        set.detect_exhaustive(&ev, &mut slow);
        prop_assert_eq!(ids(&fast), ids(&slow));
    }
}

/// Some random events match (the property above is not vacuous).
#[test]
fn the_generator_reaches_matches() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let set = set();
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..5000 {
        let ev = event().new_tree(&mut runner).unwrap().current();
        let mut out = Vec::new();
        set.detect_exhaustive(&ev, &mut out);
        seen.extend(out.into_iter().map(|d| d.rule_id));
    }
    assert!(seen.len() >= 14, "rules ever matched: {seen:?}");
}
