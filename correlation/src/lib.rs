//! Detection: Sigma rules matched against events as they stream in.
//!
//! Rules are compiled once into an immutable [`SigmaRuleSet`], shared by
//! every worker behind an `Arc`; each event meets only the rules whose Sigma
//! log source admits it. The pipeline sees only the [`Detector`] trait, so the
//! engine behind it can be replaced without touching the pipeline.
//!
//! Sigma filter rules are applied to the rules they tune when the set is
//! built. Sigma correlation rules run in a [`Correlator`]
//! ([`SigmaRuleSet::correlator`]): stateful, one per node, fed with each
//! event's detections in event order; its state is bounded
//! ([`CorrelationConfig`]) and saved with [`StateFile`].
//!
//! ```
//! use vedette_correlation::{Detector, SigmaRuleSet};
//! use vedette_model::{Event, LogSource, Origin};
//! use time::OffsetDateTime;
//!
//! let rule = r#"
//! title: Root login failed
//! id: 5f0c0f4e-0000-4000-8000-000000000001
//! logsource: { product: linux, service: sshd }
//! detection:
//!     selection: { event.outcome: failure, user.name: root }
//!     condition: selection
//! level: high
//! "#;
//! let (rules, report) = SigmaRuleSet::from_sources([("inline.yml", rule)]);
//! assert_eq!(report.loaded, 1);
//!
//! let mut ev = Event::raw(1, OffsetDateTime::UNIX_EPOCH, Origin::new("test", None), b"x");
//! ev.logsource = LogSource::new(Some("linux"), None, &["sshd", "auth"]);
//! ev.set("event.outcome", "failure");
//! ev.set("user.name", "root");
//! let mut hits = Vec::new();
//! rules.detect(&ev, &mut hits);
//! assert_eq!(hits[0].title, "Root login failed");
//! ```
#![deny(missing_docs)]

mod adapter;
mod correlator;
mod engine;
mod load;
mod meta;
mod reference;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use rsigma_eval::CompiledRule;
use rustc_hash::FxHashMap;
use time::OffsetDateTime;
use vedette_model::{AlertCorrelation, Event, LogSource, NewAlert, Severity};

pub use correlator::{
    CorrelationConfig, Correlator, CorrelatorStats, RestoreOutcome, StateError, StateFile,
};
pub use load::{rule_files, LoadReport, RuleError, RuleErrorKind};
use meta::CorrelationSet;
pub use reference::ReferenceEngine;

/// A rule that matched an event, or a correlation that fired on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The rule id (the title when the rule has none).
    pub rule_id: String,
    /// The rule title.
    pub title: String,
    /// The rule level (`medium` when the rule states none).
    pub level: Severity,
    /// The rule tags.
    pub tags: Vec<String>,
    /// For a correlation rule: its group, aggregate and the events that
    /// made it fire. `None` for a detection rule's match.
    pub correlation: Option<AlertCorrelation>,
}

impl Detection {
    /// The alert this detection raises for `event` (for a correlation: the
    /// event that completed it).
    pub fn to_alert(&self, event: &Event, now: OffsetDateTime) -> NewAlert {
        NewAlert {
            rule_id: self.rule_id.clone(),
            rule_title: self.title.clone(),
            severity: self.level,
            tags: self.tags.clone(),
            event_seq: event.seq,
            event_time: event.timestamp,
            created: now,
            host: event.get_str("host.name").map(str::to_string),
            event: event.to_json(),
            correlation: self.correlation.clone(),
        }
    }
}

/// What the pipeline needs from a detection engine.
pub trait Detector: Send + Sync {
    /// Appends to `out` every rule that matches `event`.
    fn detect(&self, event: &Event, out: &mut Vec<Detection>);
    /// How many rules are loaded.
    fn rule_count(&self) -> usize;
}

/// The Sigma log source a group of rules declares (lowercased).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RuleSource {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
}

impl RuleSource {
    fn of(ls: &rsigma_parser::LogSource) -> RuleSource {
        let low = |s: &Option<String>| s.as_deref().map(str::to_ascii_lowercase);
        RuleSource {
            product: low(&ls.product),
            category: low(&ls.category),
            service: low(&ls.service),
        }
    }
}

/// One detection rule as the set keeps it.
struct Compiled {
    /// rsigma's compiled form (filters applied): what
    /// [`SigmaRuleSet::detect_exhaustive`] evaluates.
    rule: CompiledRule,
    /// Vedette's evaluation of the same rule.
    plan: engine::Plan,
    /// Its witnesses (`None`: evaluated on every event of its log source).
    witness: Option<Vec<engine::Witness>>,
    /// Index into `SigmaRuleSet::sources`.
    source: usize,
    /// What a match produces.
    template: Detection,
}

/// A compiled, immutable set of Sigma rules: detection rules (with the
/// filter rules applied to them) for [`Detector::detect`], and the
/// correlation rules a [`Correlator`] runs on their matches.
pub struct SigmaRuleSet {
    /// The distinct log sources rules declare.
    sources: Vec<RuleSource>,
    /// Every detection rule, in load order.
    rules: Vec<Compiled>,
    filters: usize,
    correlations: Arc<CorrelationSet>,
    /// What is loaded, for listings (rule management).
    catalog: Vec<RuleInfo>,
    /// The index of the rules an event log source admits, by event log
    /// source: found at the first event of each (there are few), then
    /// read-only.
    routes: RwLock<FxHashMap<LogSource, Arc<engine::RouteIndex>>>,
    /// The same indexes by the rule log sources they admit: log sources
    /// that admit the same rules share one (a CEF product name comes from
    /// the record, so the event log sources are not a fixed set, but what
    /// they admit is).
    indexes: RwLock<FxHashMap<Vec<u32>, Arc<engine::RouteIndex>>>,
}

/// Most event log sources remembered; beyond, the index is found by what
/// the log source admits (cheap) each time.
const MAX_ROUTES: usize = 4096;

impl std::fmt::Debug for SigmaRuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigmaRuleSet")
            .field("rules", &self.rules.len())
            .field("filters", &self.filters)
            .field("correlations", &self.correlations.len())
            .field("logsources", &self.sources.len())
            .finish()
    }
}

/// A loaded rule as rule management lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// The rule id (the title when the rule has none): what detections and
    /// alerts carry as `rule_id`.
    pub id: String,
    /// The title.
    pub title: String,
    /// `detection` or `correlation`.
    pub kind: &'static str,
    /// The level.
    pub level: Severity,
    /// The log source, `product/category/service` with `*` for a key the
    /// rule leaves open (detection rules); empty for correlations.
    pub logsource: String,
    /// The tags.
    pub tags: Vec<String>,
    /// The file it came from.
    pub path: String,
}

/// A detection rule that compiled, as later steps need to know it.
pub(crate) struct Loaded {
    pub rule: rsigma_parser::SigmaRule,
    pub bucket: usize,
}

impl SigmaRuleSet {
    /// Loads every `.yml`/`.yaml` file under `paths` (files or directories,
    /// recursively). Rules that fail are listed in the report with their file
    /// and reason; they never stop the others.
    pub fn load(paths: &[PathBuf]) -> (SigmaRuleSet, LoadReport) {
        let (sources, mut report) = load::read_sources(paths);
        let (set, compiled) =
            Self::from_sources(sources.iter().map(|(p, s)| (p.as_str(), s.as_str())));
        report.loaded = compiled.loaded;
        report.correlations = compiled.correlations;
        report.filters = compiled.filters;
        report.errors.extend(compiled.errors);
        report.warnings.extend(compiled.warnings);
        (set, report)
    }

    /// Compiles rules from (name, YAML text) pairs. Files are parsed and
    /// their rules compiled on every core; the result does not depend on
    /// how they were split.
    pub fn from_sources<'a, I>(sources: I) -> (SigmaRuleSet, LoadReport)
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let sources: Vec<(&str, &str)> = sources.into_iter().collect();
        let mut report = LoadReport::default();
        let mut meta = load::MetaRules::default();
        let texts: HashMap<&str, &str> = sources.iter().copied().collect();
        let mut buckets: Vec<RuleSource> = Vec::new();
        let mut by_source: HashMap<RuleSource, usize> = HashMap::new();
        let mut loaded: Vec<Loaded> = Vec::new();
        let mut compiled: Vec<CompiledRule> = Vec::new();
        let mut catalog: Vec<RuleInfo> = Vec::new();
        for file in load::parse_all(&sources) {
            report.errors.extend(file.report.errors);
            meta.correlations.extend(file.meta.correlations);
            meta.filters.extend(file.meta.filters);
            for (rule, result) in file.rules {
                let rule_compiled = match result {
                    Ok(c) => c,
                    Err(reason) => {
                        report.errors.push(RuleError {
                            line: None,
                            path: file.name.to_string(),
                            rule: Some(rule_key(&rule.id, &rule.title)),
                            kind: RuleErrorKind::Compile,
                            reason,
                        });
                        continue;
                    }
                };
                let source = RuleSource::of(&rule.logsource);
                let idx = *by_source.entry(source.clone()).or_insert_with(|| {
                    buckets.push(source);
                    buckets.len() - 1
                });
                report.loaded += 1;
                let ls = &rule.logsource;
                let part = |p: &Option<String>| p.clone().unwrap_or_else(|| "*".into());
                catalog.push(RuleInfo {
                    id: rule_key(&rule.id, &rule.title),
                    title: rule.title.clone(),
                    kind: "detection",
                    level: level(rule.level.as_ref()),
                    logsource: format!(
                        "{}/{}/{}",
                        part(&ls.product),
                        part(&ls.category),
                        part(&ls.service)
                    ),
                    tags: rule.tags.clone(),
                    path: file.name.to_string(),
                });
                loaded.push(Loaded { rule, bucket: idx });
                compiled.push(rule_compiled);
            }
        }
        let correlation_info: Vec<RuleInfo> = meta
            .correlations
            .iter()
            .map(|(path, c)| RuleInfo {
                id: rule_key(&c.id, &c.title),
                title: c.title.clone(),
                kind: "correlation",
                level: level(c.level.as_ref()),
                logsource: String::new(),
                tags: c.tags.clone(),
                path: path.clone(),
            })
            .collect();
        let filters = meta::apply_filters(meta.filters, &loaded, &mut compiled, &mut report);
        let correlations = CorrelationSet::build(meta.correlations, &loaded, &mut report);
        report.filters = filters;
        report.correlations = correlations.len();
        for e in report.errors.iter_mut().filter(|e| e.line.is_none()) {
            if let Some(text) = texts.get(e.path.as_str()) {
                e.line = load::locate(text, &e.reason);
            }
        }
        // Only the correlations that passed their checks are listed.
        catalog.extend(
            correlation_info
                .into_iter()
                .filter(|c| correlations.meta.values().any(|m| m.key == c.id)),
        );
        let rules: Vec<Compiled> = compiled
            .into_iter()
            .zip(&loaded)
            .map(|(rule, l)| Compiled {
                template: Detection {
                    rule_id: rule_key(&rule.id, &rule.title),
                    title: rule.title.clone(),
                    level: level(rule.level.as_ref()),
                    tags: rule.tags.clone(),
                    correlation: None,
                },
                plan: engine::Plan::new(&rule),
                witness: engine::analyze_rule(&rule),
                rule,
                source: l.bucket,
            })
            .collect();
        let set = SigmaRuleSet {
            sources: buckets,
            rules,
            filters,
            correlations: Arc::new(correlations),
            catalog,
            routes: RwLock::new(FxHashMap::default()),
            indexes: RwLock::new(FxHashMap::default()),
        };
        (set, report)
    }

    /// An empty rule set.
    pub fn empty() -> SigmaRuleSet {
        Self::from_sources(std::iter::empty()).0
    }

    /// How many correlation rules are loaded.
    pub fn correlation_count(&self) -> usize {
        self.correlations.len()
    }

    /// Every loaded detection and correlation rule, in load order.
    pub fn catalog(&self) -> &[RuleInfo] {
        &self.catalog
    }

    /// Whether any of `hits` (one event's detections) feeds a correlation
    /// rule: such an event must go through a [`Correlator`], in time order,
    /// before its detections are final (a `generate: false` correlation
    /// silences them).
    pub fn feeds_correlation(&self, hits: &[Detection]) -> bool {
        hits.iter()
            .any(|h| self.correlations.feed.contains_key(&h.rule_id))
    }

    /// Every event field a correlation rule reads (its `group-by` fields,
    /// the fields its condition aggregates, and what its aliases map to):
    /// an event kept only for a [`Correlator`] needs only these.
    pub fn correlation_fields(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.correlations.rules {
            out.extend(r.group_by.iter().cloned());
            if let rsigma_parser::CorrelationCondition::Threshold { field: Some(f), .. } =
                &r.condition
            {
                out.extend(f.iter().cloned());
            }
            for a in &r.aliases {
                out.extend(a.mapping.values().cloned());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// How many filter rules were applied.
    pub fn filter_count(&self) -> usize {
        self.filters
    }

    /// A new, empty correlation state for this rule set's correlation
    /// rules. One per node, fed in event order (see [`Correlator`]).
    pub fn correlator(&self, config: CorrelationConfig) -> Correlator {
        Correlator::new(self.correlations.clone(), config)
    }

    fn admits(&self, ls: &LogSource, c: &Compiled) -> bool {
        let src = &self.sources[c.source];
        ls.admits(
            src.product.as_deref(),
            src.category.as_deref(),
            src.service.as_deref(),
        )
    }

    fn route(&self, ls: &LogSource) -> Arc<engine::RouteIndex> {
        if let Some(r) = self.routes.read().ok().and_then(|m| m.get(ls).cloned()) {
            return r;
        }
        // Which rule log sources it admits (a few hundred checks).
        let admitted: Vec<u32> = self
            .sources
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                ls.admits(
                    s.product.as_deref(),
                    s.category.as_deref(),
                    s.service.as_deref(),
                )
            })
            .map(|(i, _)| i as u32)
            .collect();
        let known = self
            .indexes
            .read()
            .ok()
            .and_then(|m| m.get(&admitted).cloned());
        let r = match known {
            Some(r) => r,
            None => {
                let r = Arc::new(engine::RouteIndex::build(
                    self.rules
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| admitted.binary_search(&(c.source as u32)).is_ok())
                        .map(|(i, c)| (i as u32, &c.witness)),
                ));
                if let Ok(mut m) = self.indexes.write() {
                    // Bounded by the combinations of the rules' own log
                    // sources; the cap is a guard.
                    if m.len() < MAX_ROUTES {
                        m.insert(admitted, r.clone());
                    }
                }
                r
            }
        };
        if let Ok(mut m) = self.routes.write() {
            if m.len() < MAX_ROUTES {
                m.insert(ls.clone(), r.clone());
            }
        }
        r
    }

    /// For an event log source: how many rules it admits, and how many of
    /// those are evaluated on every such event because no literal or value
    /// they require could be indexed (the rest only when the event holds
    /// one).
    pub fn route_stats(&self, ls: &LogSource) -> (usize, usize) {
        let r = self.route(ls);
        (r.admitted, r.always())
    }

    /// How many rules the index leaves to evaluate on `event` (diagnostics;
    /// [`Detector::detect`] evaluates exactly these).
    pub fn candidate_count(&self, event: &Event) -> usize {
        engine::with_scratch(|sc| {
            self.mark_candidates(event, sc);
            sc.cands.len()
        })
    }

    /// Marks in `sc` the rules `event` could match (what `detect`
    /// evaluates).
    fn mark_candidates(&self, event: &Event, sc: &mut engine::Scratch) {
        let route = self.route(&event.logsource);
        sc.begin(self.rules.len());
        if route.admitted > 0 {
            route.candidates(event, sc);
        }
    }

    /// What the index holds for an event log source, one line per field:
    /// (field, rules gated on its presence, exact values, literals); the
    /// field `*` holds the keyword literals (diagnostics).
    pub fn describe_route(&self, ls: &LogSource) -> Vec<(String, usize, usize, usize)> {
        self.route(ls).describe()
    }

    /// Like [`Detector::detect`], without Vedette's index and matcher:
    /// every rule the event's log source admits, evaluated by rsigma's own
    /// evaluator. Slow; the reference the tests hold the fast path to.
    pub fn detect_exhaustive(&self, event: &Event, out: &mut Vec<Detection>) {
        let ev = adapter::SigmaEvent(event);
        for c in &self.rules {
            if self.admits(&event.logsource, c)
                && rsigma_eval::evaluate_rule(&c.rule, &ev).is_some()
            {
                out.push(c.template.clone());
            }
        }
    }
}

/// How alerts and the store name a rule: its id, or its title without one.
pub(crate) fn rule_key(id: &Option<String>, title: &str) -> String {
    id.clone().unwrap_or_else(|| title.to_string())
}

pub(crate) fn level(l: Option<&rsigma_parser::Level>) -> Severity {
    use rsigma_parser::Level;
    match l {
        Some(Level::Informational) => Severity::Informational,
        Some(Level::Low) => Severity::Low,
        Some(Level::Medium) | None => Severity::Medium,
        Some(Level::High) => Severity::High,
        Some(Level::Critical) => Severity::Critical,
    }
}

impl Detector for SigmaRuleSet {
    fn detect(&self, event: &Event, out: &mut Vec<Detection>) {
        engine::with_scratch(|sc| {
            self.mark_candidates(event, sc);
            let mut cands = std::mem::take(&mut sc.cands);
            // Matches come out in load order.
            cands.sort_unstable();
            for &r in &cands {
                let c = &self.rules[r as usize];
                if c.plan.matches(event, sc) {
                    out.push(c.template.clone());
                }
            }
            sc.cands = cands;
        });
    }

    fn rule_count(&self) -> usize {
        self.rules.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vedette_model::Origin;

    fn ev(ls: LogSource, fields: &[(&str, &str)], msg: &str) -> Event {
        let mut e = Event::raw(
            1,
            OffsetDateTime::UNIX_EPOCH,
            Origin::new("t", None),
            msg.as_bytes(),
        );
        e.logsource = ls;
        e.set("message", msg);
        for (k, v) in fields {
            e.set(k, *v);
        }
        e
    }

    const RULES: &str = r#"
title: Keyword rule
id: k1
logsource: { product: linux }
detection:
    keywords: ['new user']
    condition: keywords
level: low
---
title: Sshd root failure
id: s1
logsource: { product: linux, service: sshd }
detection:
    sel: { user.name: root, event.outcome: failure }
    condition: sel
level: high
tags: [attack.t1110]
---
title: Windows only
id: w1
logsource: { product: windows, category: process_creation }
detection:
    sel: { message|contains: 'new user' }
    condition: sel
"#;

    #[test]
    fn routes_by_logsource() {
        let (set, report) = SigmaRuleSet::from_sources([("r.yml", RULES)]);
        assert_eq!(report.loaded, 3, "{:?}", report.errors);
        assert_eq!(set.rule_count(), 3);
        let linux_sshd = LogSource::new(Some("linux"), None, &["sshd", "auth", "syslog"]);
        let mut out = Vec::new();
        set.detect(
            &ev(
                linux_sshd.clone(),
                &[("user.name", "root"), ("event.outcome", "failure")],
                "Failed password for root",
            ),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule_id, "s1");
        assert_eq!(out[0].level, Severity::High);
        assert_eq!(out[0].tags, vec!["attack.t1110".to_string()]);

        out.clear();
        set.detect(
            &ev(linux_sshd, &[("user.name", "alice")], "new user: name=x"),
            &mut out,
        );
        assert_eq!(
            out.iter().map(|d| d.rule_id.as_str()).collect::<Vec<_>>(),
            vec!["k1"]
        );

        // Same text, no product: neither the linux nor the windows rule applies.
        out.clear();
        set.detect(&ev(LogSource::default(), &[], "new user"), &mut out);
        assert!(out.is_empty());
    }

    /// Log sources taken from records (a CEF product name) are not a fixed
    /// set: those that admit the same rules share one index, and the map
    /// of event log sources stays bounded.
    #[test]
    fn logsources_from_input_share_indexes() {
        let (set, _) = SigmaRuleSet::from_sources([("r.yml", RULES)]);
        for i in 0..(MAX_ROUTES + 500) {
            let ls = LogSource::new(Some(&format!("product{i}")), None, &[]);
            let mut out = Vec::new();
            set.detect(&ev(ls, &[], "new user"), &mut out);
            assert!(out.is_empty());
        }
        let linux = LogSource::new(Some("linux"), None, &["sshd"]);
        let mut out = Vec::new();
        set.detect(&ev(linux, &[], "new user"), &mut out);
        assert_eq!(out.len(), 1);
        assert!(set.indexes.read().unwrap().len() <= 2);
        assert!(set.routes.read().unwrap().len() <= MAX_ROUTES);
    }

    #[test]
    fn bad_rules_reported_not_fatal() {
        let bad =
            "title: x\nlogsource: {product: linux}\ndetection:\n  sel: {a: b}\n  condition: nope\n";
        let (set, report) = SigmaRuleSet::from_sources([
            ("good.yml", RULES),
            ("bad.yml", bad),
            ("junk.yml", ": : ["),
        ]);
        assert_eq!(set.rule_count(), 3);
        assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
        assert!(report.errors.iter().any(|e| e.path == "bad.yml"));
        assert!(report.errors.iter().any(|e| e.path == "junk.yml"));
    }
}
