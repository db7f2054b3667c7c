//! Sigma correlation and filter rules, streaming: each correlation type with
//! the examples of the Sigma correlation specification (v2.1.0), windows
//! that slide across boundaries, out-of-order events, group-by, aliases,
//! chains, `generate`, the state cap, and a restart in the middle of a
//! window.
//!
//! The specification's example rules are written out below; the test
//! `spec_example_files_load` also reads the specification's own files in
//! place when the corpora are present (`VEDETTE_CORPORA`, else
//! `../shared/corpora` beside the workspace, else `/work/shared/corpora`).

use std::path::PathBuf;

use time::OffsetDateTime;
use vedette_correlation::{
    CorrelationConfig, Correlator, Detection, Detector, RestoreOutcome, RuleErrorKind,
    SigmaRuleSet, StateFile,
};
use vedette_model::{Event, FieldValue, LogSource, Origin};

fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

/// Rules, a correlator, and events numbered from 1.
struct Run {
    set: SigmaRuleSet,
    c: Correlator,
    seq: u64,
}

fn load(yaml: &str) -> SigmaRuleSet {
    let (set, report) = SigmaRuleSet::from_sources([("rules.yml", yaml)]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
    set
}

impl Run {
    fn new(yaml: &str) -> Run {
        Run::with(yaml, CorrelationConfig::default())
    }

    fn with(yaml: &str, cfg: CorrelationConfig) -> Run {
        let set = load(yaml);
        let c = set.correlator(cfg);
        Run { set, c, seq: 0 }
    }

    /// Detects and correlates one event; returns every alert it raises.
    fn event(
        &mut self,
        ls: &LogSource,
        time: &str,
        fields: &[(&str, FieldValue)],
    ) -> Vec<Detection> {
        self.seq += 1;
        let t = at(time);
        let mut e = Event::raw(self.seq, t, Origin::new("test", None), b"x");
        e.timestamp = t;
        e.logsource = ls.clone();
        for (k, v) in fields {
            e.fields.insert(k.to_string(), v.clone());
        }
        let mut hits = Vec::new();
        self.set.detect(&e, &mut hits);
        self.c.process(&e, &mut hits);
        hits
    }

    /// Like [`Run::event`], keeping only correlation alerts.
    fn corr(
        &mut self,
        ls: &LogSource,
        time: &str,
        fields: &[(&str, FieldValue)],
    ) -> Vec<Detection> {
        self.event(ls, time, fields)
            .into_iter()
            .filter(|d| d.correlation.is_some())
            .collect()
    }
}

fn s(v: &str) -> FieldValue {
    FieldValue::Str(v.into())
}

fn n(v: i64) -> FieldValue {
    FieldValue::Int(v)
}

fn win() -> LogSource {
    LogSource::new(Some("windows"), None, &["security"])
}

/// 10:00:00 plus `secs` seconds on 2026-11-25, RFC 3339.
fn ten(secs: i64) -> String {
    let t = at("2026-11-25T10:00:00Z") + time::Duration::seconds(secs);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

const FAILED_LOGON: &str = r#"
title: Failed logon
id: 5638f7c0-ac70-491d-8465-2a65075e0d86
name: failed_logon
logsource: { product: windows, service: security }
detection:
    selection: { EventID: '4625' }
    condition: selection
level: low
"#;

// Specification, "Event Count": many failed logins to one host in an hour.
const SPEC_EVENT_COUNT: &str = r#"
title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
    timespan: 1h
    condition:
        gte: 100
"#;

#[test]
fn event_count_spec_example() {
    let cfg = CorrelationConfig {
        max_linked_events: 200,
        ..CorrelationConfig::default()
    };
    let mut r = Run::with(&format!("{FAILED_LOGON}\n---\n{SPEC_EVENT_COUNT}"), cfg);
    let fail = |pc: &str| vec![("EventID", s("4625")), ("ComputerName", s(pc))];
    let mut pc1 = Vec::new();
    for i in 0..99 {
        assert!(r.corr(&win(), &ten(i * 30), &fail("PC1")).is_empty());
        pc1.push(r.seq);
        // Another host's failures and the same host's other events do not count.
        assert!(r.corr(&win(), &ten(i * 30), &fail("PC2")).is_empty());
        assert!(r
            .corr(
                &win(),
                &ten(i * 30),
                &[("EventID", s("4624")), ("ComputerName", s("PC1"))]
            )
            .is_empty());
    }
    // 99 in 49.5 minutes; the 100th, still within the hour, fires.
    let hits = r.corr(&win(), &ten(99 * 30), &fail("PC1"));
    pc1.push(r.seq);
    assert_eq!(hits.len(), 1, "{hits:?}");
    let d = &hits[0];
    assert_eq!(d.rule_id, "0e95725d-7320-415d-80f7-004da920fc11");
    assert_eq!(d.title, "Many failed logins");
    let c = d.correlation.as_ref().unwrap();
    assert_eq!(c.kind, "event_count");
    assert_eq!(c.value, 100.0);
    assert_eq!(c.timespan_secs, 3600);
    assert_eq!(c.group.get("ComputerName").map(String::as_str), Some("PC1"));
    assert_eq!(c.linked_events, pc1);
    // One alert per group and window: the 101st does not raise another.
    assert!(r.corr(&win(), &ten(100 * 30), &fail("PC1")).is_empty());
}

const FIVE_IN_5M: &str = r#"
title: Five failed logons in five minutes
id: 3f1c9a52-6d0e-4c55-9a8e-5b8d7c6a0001
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [User]
    timespan: 5m
    condition: { gte: 5 }
level: high
"#;

fn five_in_5m() -> Run {
    Run::new(&format!("{FAILED_LOGON}\n---\n{FIVE_IN_5M}"))
}

fn fail_user(u: &str) -> Vec<(&'static str, FieldValue)> {
    vec![("EventID", s("4625")), ("User", s(u))]
}

#[test]
fn window_slides_across_clock_boundaries() {
    // 10:57:30 .. 11:01:30: across the hour and every 5-minute boundary;
    // fixed buckets would never hold all five.
    let mut r = five_in_5m();
    let times = [
        "2026-11-25T10:57:30Z",
        "2026-11-25T10:58:30Z",
        "2026-11-25T10:59:30Z",
        "2026-11-25T11:00:30Z",
    ];
    for t in times {
        assert!(r.corr(&win(), t, &fail_user("bob")).is_empty());
    }
    let hits = r.corr(&win(), "2026-11-25T11:01:30Z", &fail_user("bob"));
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].correlation.as_ref().unwrap().linked_events,
        vec![1, 2, 3, 4, 5]
    );
}

#[test]
fn events_that_left_the_window_do_not_count() {
    // Five failures three minutes apart: no five-minute window holds five.
    let mut r = five_in_5m();
    for i in 0..10 {
        assert!(
            r.corr(&win(), &ten(i * 180), &fail_user("bob")).is_empty(),
            "event {i}"
        );
    }
    // Four in the window, then the oldest leaves it just before the fifth.
    let mut r = five_in_5m();
    for i in 0..4 {
        assert!(r.corr(&win(), &ten(i * 60), &fail_user("bob")).is_empty());
    }
    assert!(r.corr(&win(), &ten(301), &fail_user("bob")).is_empty());
    // Exactly five minutes after the first still counts (the window is
    // closed at both ends); the event at +0 has left it by now, but the
    // ones at 1..3 min, +301 s and this one are five.
    assert_eq!(r.corr(&win(), &ten(360), &fail_user("bob")).len(), 1);
}

#[test]
fn group_by_keeps_users_apart() {
    let mut r = five_in_5m();
    for i in 0..4 {
        assert!(r.corr(&win(), &ten(i), &fail_user("bob")).is_empty());
        assert!(r.corr(&win(), &ten(i), &fail_user("eve")).is_empty());
    }
    let hits = r.corr(&win(), &ten(10), &fail_user("eve"));
    assert_eq!(hits.len(), 1);
    let c = hits[0].correlation.as_ref().unwrap();
    assert_eq!(c.group.get("User").map(String::as_str), Some("eve"));
    assert_eq!(c.linked_events, vec![2, 4, 6, 8, 9]);
    // An event without the group-by field forms its own (empty) group.
    for i in 0..4 {
        assert!(r
            .corr(&win(), &ten(20 + i), &[("EventID", s("4625"))])
            .is_empty());
    }
    let hits = r.corr(&win(), &ten(30), &[("EventID", s("4625"))]);
    assert_eq!(hits.len(), 1);
    assert!(hits[0].correlation.as_ref().unwrap().group.is_empty());
}

#[test]
fn out_of_order_events_count_by_their_own_time() {
    let mut r = five_in_5m();
    for secs in [40, 10, 30, 0] {
        assert!(r.corr(&win(), &ten(secs), &fail_user("bob")).is_empty());
    }
    assert_eq!(r.corr(&win(), &ten(20), &fail_user("bob")).len(), 1);

    // A late event (older than those already in the window, but within
    // five minutes of them) counts with them.
    let mut r = five_in_5m();
    for secs in [600, 610, 620, 630] {
        assert!(r.corr(&win(), &ten(secs), &fail_user("bob")).is_empty());
    }
    assert_eq!(r.corr(&win(), &ten(590), &fail_user("bob")).len(), 1);
}

// Specification, "Value Count": failed logons with 100 different accounts
// per source and destination in a day.
const SPEC_VALUE_COUNT: &str = r#"
title: Failed login
id: 0e95725d-7320-415d-80f7-004da920fc12
correlation:
    type: value_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
        - WorkstationName
    timespan: 1d
    condition:
        field: User
        gte: 100
"#;

#[test]
fn value_count_spec_example() {
    let mut r = Run::new(&format!("{FAILED_LOGON}\n---\n{SPEC_VALUE_COUNT}"));
    let ev = |u: String, ws: &str| {
        vec![
            ("EventID", s("4625")),
            ("ComputerName", s("DC1")),
            ("WorkstationName", s(ws)),
            ("User", FieldValue::from(u)),
        ]
    };
    for i in 0..99 {
        // Each account twice, and the 100th account on another workstation:
        // neither repeats nor other groups count.
        assert!(r
            .corr(&win(), &ten(i * 60), &ev(format!("u{i}"), "WS1"))
            .is_empty());
        assert!(r
            .corr(&win(), &ten(i * 60 + 1), &ev(format!("u{i}"), "WS1"))
            .is_empty());
    }
    assert!(r
        .corr(&win(), &ten(7000), &ev("u99".into(), "WS2"))
        .is_empty());
    let hits = r.corr(&win(), &ten(7001), &ev("u99".into(), "WS1"));
    assert_eq!(hits.len(), 1);
    let c = hits[0].correlation.as_ref().unwrap();
    assert_eq!((c.kind.as_str(), c.value), ("value_count", 100.0));
    assert_eq!(
        c.group.get("WorkstationName").map(String::as_str),
        Some("WS1")
    );
    assert_eq!(c.group.get("ComputerName").map(String::as_str), Some("DC1"));
}

const RECON: &str = r#"
title: Recon command a
name: recon_cmd_a
logsource: { product: windows, category: process_creation }
detection:
    selection: { Image|endswith: '\whoami.exe' }
    condition: selection
---
title: Recon command b
name: recon_cmd_b
logsource: { product: windows, category: process_creation }
detection:
    selection: { Image|endswith: '\net.exe' }
    condition: selection
---
title: Recon command c
name: recon_cmd_c
logsource: { product: windows, category: process_creation }
detection:
    selection: { Image|endswith: '\ipconfig.exe' }
    condition: selection
"#;

// Specification, "Temporal Proximity" and "Ordered Temporal Proximity".
const SPEC_TEMPORAL: &str = r#"
title: Recon
correlation:
    type: temporal
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
"#;

const SPEC_TEMPORAL_ORDERED: &str = r#"
title: Recon ordered
correlation:
    type: temporal_ordered
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
"#;

fn proc() -> LogSource {
    LogSource::new(Some("windows"), Some("process_creation"), &[])
}

fn cmd(exe: &str, user: &str) -> Vec<(&'static str, FieldValue)> {
    vec![
        (
            "Image",
            FieldValue::from(format!("C:\\Windows\\System32\\{exe}")),
        ),
        ("ComputerName", s("PC1")),
        ("User", s(user)),
    ]
}

#[test]
fn temporal_spec_example() {
    let mut r = Run::new(&format!("{RECON}\n---\n{SPEC_TEMPORAL}"));
    // Any order, within five minutes, same host and user.
    assert!(r.corr(&proc(), &ten(0), &cmd("net.exe", "bob")).is_empty());
    assert!(r
        .corr(&proc(), &ten(60), &cmd("ipconfig.exe", "bob"))
        .is_empty());
    assert!(r
        .corr(&proc(), &ten(70), &cmd("whoami.exe", "eve"))
        .is_empty());
    let hits = r.corr(&proc(), &ten(120), &cmd("whoami.exe", "bob"));
    assert_eq!(hits.len(), 1);
    let c = hits[0].correlation.as_ref().unwrap();
    assert_eq!((c.kind.as_str(), c.value), ("temporal", 3.0));
    // Without an id, alerts name the rule by its title.
    assert_eq!(hits[0].rule_id, "Recon");
    assert_eq!(c.linked_events, vec![1, 2, 4]);
    // The third command six minutes after the first: no.
    let mut r = Run::new(&format!("{RECON}\n---\n{SPEC_TEMPORAL}"));
    assert!(r.corr(&proc(), &ten(0), &cmd("net.exe", "bob")).is_empty());
    assert!(r
        .corr(&proc(), &ten(60), &cmd("ipconfig.exe", "bob"))
        .is_empty());
    assert!(r
        .corr(&proc(), &ten(360), &cmd("whoami.exe", "bob"))
        .is_empty());
}

#[test]
fn temporal_ordered_spec_example() {
    let mut r = Run::new(&format!("{RECON}\n---\n{SPEC_TEMPORAL_ORDERED}"));
    // c, b, a: all three, wrong order.
    assert!(r
        .corr(&proc(), &ten(0), &cmd("ipconfig.exe", "bob"))
        .is_empty());
    assert!(r.corr(&proc(), &ten(10), &cmd("net.exe", "bob")).is_empty());
    assert!(r
        .corr(&proc(), &ten(20), &cmd("whoami.exe", "bob"))
        .is_empty());
    // a (above), b, c in order completes it.
    assert!(r.corr(&proc(), &ten(30), &cmd("net.exe", "bob")).is_empty());
    let hits = r.corr(&proc(), &ten(40), &cmd("ipconfig.exe", "bob"));
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        hits[0].correlation.as_ref().unwrap().kind,
        "temporal_ordered"
    );
}

const WEBSITE_ACCESS: &str = r#"
title: Website access
id: 8c2b1e7a-0f44-4a51-9a43-6e0d5f1b0001
name: website_access
logsource: { category: proxy }
detection:
    selection: { action: allowed }
    condition: selection
"#;

// Specification, "Value Sum".
const SPEC_VALUE_SUM: &str = r#"
title: Possible Exfiltration to Website
correlation:
    type: value_sum
    rules:
        - website_access
    group-by:
        - SourceIP
        - User
    timespan: 1h
    condition:
        field: bytes_sent
        gt: 1000000
"#;

fn proxy() -> LogSource {
    LogSource::new(None, Some("proxy"), &[])
}

fn upload(bytes: i64) -> Vec<(&'static str, FieldValue)> {
    vec![
        ("action", s("allowed")),
        ("SourceIP", s("10.0.0.8")),
        ("User", s("bob")),
        ("bytes_sent", n(bytes)),
    ]
}

#[test]
fn value_sum_spec_example() {
    let mut r = Run::new(&format!("{WEBSITE_ACCESS}\n---\n{SPEC_VALUE_SUM}"));
    assert!(r.corr(&proxy(), &ten(0), &upload(400_000)).is_empty());
    assert!(r.corr(&proxy(), &ten(60), &upload(600_000)).is_empty()); // exactly 1 000 000
    let hits = r.corr(&proxy(), &ten(120), &upload(1));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].correlation.as_ref().unwrap().value, 1_000_001.0);
    // Over more than an hour the first upload no longer counts.
    let mut r = Run::new(&format!("{WEBSITE_ACCESS}\n---\n{SPEC_VALUE_SUM}"));
    assert!(r.corr(&proxy(), &ten(0), &upload(900_000)).is_empty());
    assert!(r.corr(&proxy(), &ten(3700), &upload(900_000)).is_empty());
}

// Specification, "Value Average".
const SPEC_VALUE_AVG: &str = r#"
title: Suspicious average network traffic
correlation:
    type: value_avg
    rules:
        - rule_a_id
    group-by:
        - SourceIP
        - User
    timespan: 24h
    condition:
        field: BytesOut
        gt: 500
"#;

const RULE_A: &str = r#"
title: Outbound traffic
id: rule_a_id
logsource: { category: firewall }
detection:
    selection: { action: accept }
    condition: selection
"#;

#[test]
fn value_avg_spec_example() {
    let mut r = Run::new(&format!("{RULE_A}\n---\n{SPEC_VALUE_AVG}"));
    let fw = LogSource::new(None, Some("firewall"), &[]);
    let out = |b: i64| {
        vec![
            ("action", s("accept")),
            ("SourceIP", s("10.0.0.8")),
            ("User", s("bob")),
            ("BytesOut", n(b)),
        ]
    };
    assert!(r.corr(&fw, &ten(0), &out(400)).is_empty());
    assert!(r.corr(&fw, &ten(10), &out(500)).is_empty()); // average 450
    let hits = r.corr(&fw, &ten(20), &out(900)); // average 600
    assert_eq!(hits.len(), 1);
    let c = hits[0].correlation.as_ref().unwrap();
    assert_eq!((c.kind.as_str(), c.value), ("value_avg", 600.0));
}

// Specification, "Value Percentile" (the field made numeric: rsigma takes
// the percentile, by default the 50th, of the field's numeric values).
const SPEC_VALUE_PERCENTILE: &str = r#"
title: A computer spawned a processes name in the last 24h than 1% of all the processes.
correlation:
    type: value_percentile
    rules:
        - process_creation
    group-by:
        - ComputerName
    timespan: 24h
    condition:
        field: image
        lte: 1
"#;

const PROCESS_CREATION: &str = r#"
title: Process created
name: process_creation
logsource: { product: windows, category: process_creation }
detection:
    selection: { EventID: '1' }
    condition: selection
"#;

#[test]
fn value_percentile_spec_example_tests_its_condition() {
    let mut r = Run::new(&format!("{PROCESS_CREATION}\n---\n{SPEC_VALUE_PERCENTILE}"));
    let p = |v: i64| {
        vec![
            ("EventID", s("1")),
            ("ComputerName", s("PC1")),
            ("image", n(v)),
        ]
    };
    // Median 5, then 6: the condition (<= 1) does not hold. rsigma 0.23
    // alone would report both; the correlator tests the condition.
    assert!(r.corr(&proc(), &ten(0), &p(5)).is_empty());
    assert!(r.corr(&proc(), &ten(1), &p(7)).is_empty());
    assert!(r.corr(&proc(), &ten(2), &p(0)).is_empty()); // [0,5,7] -> 5
    assert!(r.corr(&proc(), &ten(3), &p(0)).is_empty()); // [0,0,5,7] -> 2.5
    let hits = r.corr(&proc(), &ten(4), &p(1)); // [0,0,1,5,7] -> 1
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].correlation.as_ref().unwrap().value, 1.0);
    // Suppressed for the rest of the window.
    assert!(r.corr(&proc(), &ten(5), &p(0)).is_empty());
}

#[test]
fn value_median() {
    let rule = r#"
title: High median transfer
id: 6b0f5f0e-2d1c-4f5e-9d7e-000000000042
correlation:
    type: value_median
    rules: [website_access]
    group-by: [User]
    timespan: 1h
    condition: { field: bytes_sent, gte: 100 }
"#;
    let mut r = Run::new(&format!("{WEBSITE_ACCESS}\n---\n{rule}"));
    assert!(r.corr(&proxy(), &ten(0), &upload(10)).is_empty());
    let hits = r.corr(&proxy(), &ten(1), &upload(500)); // median 255
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].correlation.as_ref().unwrap().value, 255.0);
    let mut r = Run::new(&format!("{WEBSITE_ACCESS}\n---\n{rule}"));
    assert!(r.corr(&proxy(), &ten(0), &upload(10)).is_empty());
    assert!(r.corr(&proxy(), &ten(1), &upload(20)).is_empty());
    assert!(r.corr(&proxy(), &ten(2), &upload(30)).is_empty());
    assert!(r.corr(&proxy(), &ten(3), &upload(200)).is_empty()); // 25
}

// Specification, "Failed Logins Followed by Successful Login": a chain,
// rules referred to by name, all in one multi-document file.
const SPEC_CHAIN: &str = r#"
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
description: Detects multiple failed logins by a single user followed by a successful login of that user
references:
    - https://reference.com
author: Florian Roth (Nextron Systems)
date: 2023-06-16
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
falsepositives:
    - Unlikely
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
description: Detects multiple failed logins within a certain amount of time
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
description: Detects a successful login
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
"#;

#[test]
fn chain_spec_example_with_generate_false() {
    let (set, report) = SigmaRuleSet::from_sources([("chain.yml", SPEC_CHAIN)]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert_eq!((report.loaded, report.correlations), (2, 2));
    let mut r = Run {
        c: set.correlator(CorrelationConfig::default()),
        set,
        seq: 0,
    };
    let ev = |id: &str, user: &str| vec![("EventID", s(id)), ("User", s(user))];
    // Ten failures for bob (and some for eve). Neither the single failures
    // nor the inner correlation raise alerts: the outer correlation
    // (generate: false by default) uses them.
    for i in 0..10 {
        assert!(r.event(&win(), &ten(i * 10), &ev("4625", "bob")).is_empty());
        assert!(r
            .event(&win(), &ten(i * 10 + 1), &ev("4625", "eve"))
            .is_empty());
    }
    let hits = r.event(&win(), &ten(200), &ev("4624", "bob"));
    assert_eq!(hits.len(), 1, "{hits:?}");
    let d = &hits[0];
    assert_eq!(d.rule_id, "b180ead8-d58f-40b2-ae54-c8940995b9b6");
    assert_eq!(d.level, vedette_model::Severity::High);
    let c = d.correlation.as_ref().unwrap();
    assert_eq!(c.kind, "temporal_ordered");
    assert_eq!(c.group.get("User").map(String::as_str), Some("bob"));
    // Its events: bob's ten failures (through the inner correlation) and
    // his success.
    let bob: Vec<u64> = (0..10).map(|i| 2 * i + 1).chain([21]).collect();
    assert_eq!(c.linked_events, bob);
    // A success without enough failures first: nothing.
    assert!(r.event(&win(), &ten(210), &ev("4624", "carol")).is_empty());
}

#[test]
fn generate_true_keeps_the_rules_own_alerts() {
    let generate = FIVE_IN_5M.replace("level: high", "level: high\ngenerate: true");
    let mut r = Run::new(&format!("{FAILED_LOGON}\n---\n{generate}"));
    let hits = r.event(&win(), &ten(0), &fail_user("bob"));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].rule_id, "5638f7c0-ac70-491d-8465-2a65075e0d86");
    // With the default (generate: false) the failure alone raises nothing,
    // while the same rule set's detector still reports it.
    let mut r = five_in_5m();
    assert!(r.event(&win(), &ten(0), &fail_user("bob")).is_empty());
    let mut e = Event::raw(9, at("2026-11-25T10:00:00Z"), Origin::new("t", None), b"x");
    e.logsource = win();
    e.set("EventID", "4625");
    let mut hits = Vec::new();
    r.set.detect(&e, &mut hits);
    assert_eq!(hits.len(), 1);
}

// Specification, "Field Name Aliases Example".
const SPEC_ALIASES: &str = r#"
title: Internal error
name: internal_error
logsource: { category: webserver }
detection:
    selection:
        http.response.status_code: 500
    condition: selection
---
title: New network connection
name: new_network_connection
logsource: { category: network_connection }
detection:
    selection:
        event.category: network
        event.type: connection
        event.outcome: success
    condition: selection
---
title: Error then connection back
id: 9b7e1c3d-5a2f-4e8b-8c1d-aaaaaaaa0001
correlation:
    type: temporal
    rules:
        - internal_error
        - new_network_connection
    group-by:
        - internal_ip
        - remote_ip
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
"#;

#[test]
fn aliases_spec_example() {
    let web = LogSource::new(None, Some("webserver"), &[]);
    let net = LogSource::new(None, Some("network_connection"), &[]);
    let error = |src: &str, dst: &str| {
        vec![
            ("http.response.status_code", n(500)),
            ("source.ip", s(src)),
            ("destination.ip", s(dst)),
        ]
    };
    let conn = |src: &str, dst: &str| {
        vec![
            ("event.category", s("network")),
            ("event.type", s("connection")),
            ("event.outcome", s("success")),
            ("source.ip", s(src)),
            ("destination.ip", s(dst)),
        ]
    };
    let mut r = Run::new(SPEC_ALIASES);
    assert!(r
        .corr(&web, &ten(0), &error("203.0.113.5", "10.0.0.5"))
        .is_empty());
    // A connection between other hosts: no.
    assert!(r
        .corr(&net, &ten(2), &conn("10.0.0.6", "203.0.113.5"))
        .is_empty());
    // The web server connects back to the client: yes.
    let hits = r.corr(&net, &ten(3), &conn("10.0.0.5", "203.0.113.5"));
    assert_eq!(hits.len(), 1, "{hits:?}");
    let c = hits[0].correlation.as_ref().unwrap();
    assert_eq!(
        c.group.get("internal_ip").map(String::as_str),
        Some("10.0.0.5")
    );
    assert_eq!(
        c.group.get("remote_ip").map(String::as_str),
        Some("203.0.113.5")
    );
    assert_eq!(c.linked_events, vec![1, 3]);
}

#[test]
fn restart_in_the_middle_of_a_window_still_fires() {
    let mut r = five_in_5m();
    for i in 0..3 {
        assert!(r.corr(&win(), &ten(i * 30), &fail_user("bob")).is_empty());
    }
    let saved = r.c.export_bytes(r.seq);
    // A new process: same rules, empty state, then the saved state.
    let mut r2 = five_in_5m();
    r2.seq = r.seq;
    assert_eq!(r2.c.import_bytes(&saved), Ok(1));
    assert!(r2.corr(&win(), &ten(100), &fail_user("bob")).is_empty());
    let hits = r2.corr(&win(), &ten(130), &fail_user("bob"));
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].correlation.as_ref().unwrap().linked_events,
        vec![1, 2, 3, 4, 5]
    );
    // Without the saved state the same two events are not enough.
    let mut r3 = five_in_5m();
    r3.seq = 3;
    assert!(r3.corr(&win(), &ten(100), &fail_user("bob")).is_empty());
    assert!(r3.corr(&win(), &ten(130), &fail_user("bob")).is_empty());
}

#[test]
fn state_file_matches_the_resume_position() {
    let dir = tempfile::tempdir().unwrap();
    let file = StateFile::new(dir.path());
    let mut r = five_in_5m();
    assert_eq!(file.restore(&mut r.c, 0).unwrap(), RestoreOutcome::Missing);
    for i in 0..3 {
        r.corr(&win(), &ten(i), &fail_user("bob"));
    }
    file.save(&r.c, 3).unwrap();
    r.corr(&win(), &ten(3), &fail_user("bob"));
    file.save(&r.c, 4).unwrap();

    // The index committed 4: the current state.
    let mut a = five_in_5m();
    assert_eq!(
        file.restore(&mut a.c, 4).unwrap(),
        RestoreOutcome::Restored { groups: 1 }
    );
    a.seq = 4;
    assert_eq!(a.corr(&win(), &ten(10), &fail_user("bob")).len(), 1);
    // A crash after the state was written but before the index commit:
    // the index says 3, the previous state matches.
    let mut b = five_in_5m();
    assert_eq!(
        file.restore(&mut b.c, 3).unwrap(),
        RestoreOutcome::Restored { groups: 1 }
    );
    b.seq = 3;
    assert!(b.corr(&win(), &ten(10), &fail_user("bob")).is_empty());
    assert_eq!(b.corr(&win(), &ten(11), &fail_user("bob")).len(), 1);
    // Any other position: not used.
    let mut c = five_in_5m();
    assert_eq!(
        file.restore(&mut c.c, 7).unwrap(),
        RestoreOutcome::Stale { found: vec![4, 3] }
    );
    assert_eq!(c.c.open_groups(), 0);
    // A corrupt file is an error, not a panic.
    std::fs::write(dir.path().join("correlation-state.json"), b"{not json").unwrap();
    std::fs::remove_file(dir.path().join("correlation-state.prev.json")).unwrap();
    assert!(file.restore(&mut c.c, 4).is_err());
}

#[test]
fn changed_rule_definition_drops_its_saved_state() {
    let mut r = five_in_5m();
    for i in 0..4 {
        r.corr(&win(), &ten(i), &fail_user("bob"));
    }
    let saved = r.c.export_bytes(4);
    // Same id, now grouped by host: the old groups mean something else.
    let changed = FIVE_IN_5M.replace("group-by: [User]", "group-by: [ComputerName]");
    let mut r2 = Run::new(&format!("{FAILED_LOGON}\n---\n{changed}"));
    assert_eq!(r2.c.import_bytes(&saved), Ok(0));
    // Unchanged: kept.
    let mut r3 = five_in_5m();
    assert_eq!(r3.c.import_bytes(&saved), Ok(1));
}

#[test]
fn group_cap_evicts_the_stalest_and_counts_it() {
    let rule = r#"
title: Two failures per address
id: 0d7c4a5e-1c2b-4b3a-9f8e-000000000002
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [IpAddress]
    timespan: 1h
    condition: { gte: 2 }
"#;
    let cfg = CorrelationConfig {
        max_groups: 10,
        ..CorrelationConfig::default()
    };
    let mut r = Run::with(&format!("{FAILED_LOGON}\n---\n{rule}"), cfg);
    let from = |ip: usize| {
        vec![
            ("EventID", s("4625")),
            ("IpAddress", FieldValue::from(format!("10.0.0.{ip}"))),
        ]
    };
    for ip in 0..10 {
        assert!(r.corr(&win(), &ten(ip as i64), &from(ip)).is_empty());
    }
    let stats = r.c.stats();
    assert_eq!(r.c.open_groups(), 10);
    // An eleventh address: the cap is reached, the stalest (10.0.0.0) goes.
    assert!(r.corr(&win(), &ten(20), &from(10)).is_empty());
    assert_eq!(stats.evicted.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(r.c.open_groups(), 10);
    // 10.0.0.5 kept its first failure (10.0.0.1 is evicted on the way).
    assert_eq!(r.corr(&win(), &ten(21), &from(5)).len(), 1);
    // 10.0.0.0 lost its first failure to the cap: its second is the first.
    assert!(r.corr(&win(), &ten(22), &from(0)).is_empty());
    assert_eq!(stats.evicted.load(std::sync::atomic::Ordering::Relaxed), 2);
    assert!(r.c.open_groups() <= 10);
}

#[test]
fn ended_windows_are_swept_without_counting_as_evictions() {
    let mut r = five_in_5m();
    for u in ["a", "b", "c", "d"] {
        r.corr(&win(), &ten(0), &fail_user(u));
    }
    assert_eq!(r.c.open_groups(), 4);
    // Ten minutes later every five-minute window has ended.
    r.corr(&win(), &ten(600), &fail_user("e"));
    assert_eq!(r.c.open_groups(), 1);
    assert_eq!(
        r.c.stats()
            .evicted
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}

#[test]
fn per_group_cap_bounds_a_window() {
    let cfg = CorrelationConfig {
        max_group_entries: 3,
        ..CorrelationConfig::default()
    };
    // Threshold 5 with at most 3 entries kept: it can never fire.
    let mut r = Run::with(&format!("{FAILED_LOGON}\n---\n{FIVE_IN_5M}"), cfg);
    for i in 0..20 {
        assert!(r.corr(&win(), &ten(i), &fail_user("bob")).is_empty());
    }
}

#[test]
fn bad_correlations_are_reported_and_the_rest_runs() {
    let unknown = r#"
title: Refers to nothing loaded
id: 11111111-0000-4000-8000-000000000001
correlation:
    type: event_count
    rules: [no_such_rule]
    group-by: [User]
    timespan: 5m
    condition: { gte: 2 }
---
title: Cycle a
id: cycle_a
name: cycle_a
correlation:
    type: event_count
    rules: [cycle_b]
    group-by: [User]
    timespan: 5m
    condition: { gte: 2 }
---
title: Cycle b
id: cycle_b
name: cycle_b
correlation:
    type: event_count
    rules: [cycle_a]
    group-by: [User]
    timespan: 5m
    condition: { gte: 2 }
---
title: Bad condition
id: 11111111-0000-4000-8000-000000000002
correlation:
    type: value_count
    rules: [failed_logon]
    group-by: [User]
    timespan: 5m
    condition: { gte: 2 }
"#;
    let (set, report) = SigmaRuleSet::from_sources([
        (
            "good.yml",
            format!("{FAILED_LOGON}\n---\n{FIVE_IN_5M}").as_str(),
        ),
        ("bad.yml", unknown),
    ]);
    assert_eq!(report.correlations, 1, "{:#?}", report.errors);
    assert_eq!(set.correlation_count(), 1);
    let kinds: Vec<(String, RuleErrorKind)> = report
        .errors
        .iter()
        .map(|e| (e.rule.clone().unwrap_or_default(), e.kind))
        .collect();
    assert!(kinds.contains(&(
        "11111111-0000-4000-8000-000000000001".into(),
        RuleErrorKind::Reference
    )));
    assert!(kinds.contains(&("cycle_a".into(), RuleErrorKind::Reference)));
    assert!(kinds.contains(&("cycle_b".into(), RuleErrorKind::Reference)));
    assert!(kinds
        .iter()
        .any(|(r, k)| r == "11111111-0000-4000-8000-000000000002" && *k == RuleErrorKind::Compile));
    assert_eq!(RuleErrorKind::Reference.code(), "E005");
}

fn corpora() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("VEDETTE_CORPORA") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora"));
    candidates.push(PathBuf::from("/work/shared/corpora"));
    candidates
        .into_iter()
        .find(|p| p.join("sigma-specification").is_dir())
}

#[test]
fn spec_example_files_load() {
    let Some(root) = corpora() else {
        eprintln!("note: Sigma specification corpus not found (VEDETTE_CORPORA); skipped");
        return;
    };
    let dir = root.join("sigma-specification/tests/schema/correlation");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    // The detection rules the examples refer to, by id or name.
    let referred = format!(
        "{FAILED_LOGON}\n---\n{RECON}\n---\n{WEBSITE_ACCESS}\n---\n{RULE_A}\n---\n{PROCESS_CREATION}"
    );
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let (set, report) =
            SigmaRuleSet::from_sources([("referred.yml", referred.as_str()), ("spec.yml", &text)]);
        assert!(
            report.errors.is_empty(),
            "{}: {:#?}",
            f.display(),
            report.errors
        );
        assert_eq!(set.correlation_count(), 1, "{}", f.display());
    }
    // The filter examples load too; their rules are not loaded here, which
    // is a warning.
    for name in ["filter_1.yml", "filter_ecs.yml"] {
        let p = root
            .join("sigma-specification/tests/schema/filter")
            .join(name);
        let text = std::fs::read_to_string(&p).unwrap();
        let (_, report) = SigmaRuleSet::from_sources([("f.yml", text.as_str())]);
        assert!(report.errors.is_empty(), "{name}: {:#?}", report.errors);
        assert_eq!(report.filters, 1);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].kind, RuleErrorKind::FilterUnused);
    }
}
