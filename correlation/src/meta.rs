//! Filter and correlation rules: what they refer to, checked once at load.

use std::collections::{BTreeMap, HashMap, HashSet};

use rsigma_eval::compiler::compile_detection;
use rsigma_eval::CompiledRule;
use rsigma_parser::{
    ConditionExpr, ConditionOperator, CorrelationCondition, CorrelationRule, CorrelationType,
    FilterRule, FilterRuleTarget, SigmaRule, Timespan,
};
use vedette_model::Severity;

use crate::load::{LoadReport, RuleError, RuleErrorKind};
use crate::{level, rule_key, Loaded};

/// The key under which rsigma keeps and snapshots a rule: its id, else its
/// name, else its title. Rules without an id get this as their id inside
/// the correlation engine, so that rsigma can report, chain and snapshot
/// them (it identifies matches by id only).
fn engine_id(id: &Option<String>, name: &Option<String>, title: &str) -> String {
    id.clone()
        .or_else(|| name.clone())
        .unwrap_or_else(|| title.to_string())
}

/// Whether a rule's log source satisfies every field a filter's log source
/// states (the Sigma filters rule; the same test rsigma applies).
fn logsource_contains(filter: &rsigma_parser::LogSource, rule: &rsigma_parser::LogSource) -> bool {
    let ok = |f: &Option<String>, r: &Option<String>| match (f, r) {
        (None, _) => true,
        (Some(f), Some(r)) => f.eq_ignore_ascii_case(r),
        (Some(_), None) => false,
    };
    ok(&filter.category, &rule.category)
        && ok(&filter.product, &rule.product)
        && ok(&filter.service, &rule.service)
}

/// Applies each filter rule to the detection rules it names (by id, name or
/// title), or to every rule of its log source when it names none (`rules:
/// any` or no `rules`): as rsigma's engine applies filters, its selections
/// join the rule's under names of their own and each condition of the rule
/// becomes `condition and <filter condition>`. `compiled[i]` is
/// `loaded[i]` compiled. Returns how many filters loaded; a filter that
/// applies to no loaded rule still loads, with a warning.
pub(crate) fn apply_filters(
    filters: Vec<(String, FilterRule)>,
    loaded: &[Loaded],
    compiled: &mut [CompiledRule],
    report: &mut LoadReport,
) -> usize {
    let mut count = 0;
    for (fc, (path, filter)) in filters.into_iter().enumerate() {
        let key = rule_key(&filter.id, &filter.title);
        let error = |kind, reason: String| RuleError {
            line: None,
            path: path.clone(),
            rule: Some(key.clone()),
            kind,
            reason,
        };
        // Compiled first, so that a broken filter is reported even when it
        // applies to nothing.
        let mut selections = Vec::new();
        let mut broken = None;
        for (name, d) in &filter.detection.named {
            match compile_detection(d) {
                Ok(c) => selections.push((format!("__filter_{fc}_{name}"), c)),
                Err(e) => broken = Some(e.to_string()),
            }
        }
        if let Some(e) = broken {
            report.errors.push(error(RuleErrorKind::Compile, e));
            continue;
        }
        if selections.is_empty() {
            report.errors.push(error(
                RuleErrorKind::Compile,
                "the filter has no selection".into(),
            ));
            continue;
        }
        // rsigma does not check that the condition names existing
        // selections; an unknown one would silently change the rules.
        if let Some(missing) = filter
            .detection
            .conditions
            .iter()
            .find_map(|c| unknown_identifier(c, &filter.detection.named))
        {
            report.errors.push(error(
                RuleErrorKind::Compile,
                format!(
                    "the filter condition names {missing:?}, which is not one of its selections"
                ),
            ));
            continue;
        }
        let targets: Vec<usize> = loaded
            .iter()
            .enumerate()
            .filter(|(_, l)| match &filter.rules {
                FilterRuleTarget::Any => true,
                FilterRuleTarget::Specific(refs) => refs.iter().any(|r| {
                    l.rule.id.as_deref() == Some(r.as_str())
                        || l.rule.name.as_deref() == Some(r.as_str())
                        || l.rule.title == *r
                }),
            })
            .filter(|(_, l)| {
                filter
                    .logsource
                    .as_ref()
                    .is_none_or(|fl| logsource_contains(fl, &l.rule.logsource))
            })
            .map(|(i, _)| i)
            .collect();
        count += 1;
        if targets.is_empty() {
            let what = match &filter.rules {
                FilterRuleTarget::Any => "no loaded rule has its log source".to_string(),
                FilterRuleTarget::Specific(refs) => {
                    format!("it names {refs:?}, none of them a loaded rule of its log source")
                }
            };
            report.warnings.push(error(
                RuleErrorKind::FilterUnused,
                format!("the filter applies to nothing: {what}"),
            ));
            continue;
        }
        let condition = match filter.detection.conditions.first() {
            Some(c) => prefixed(c, fc),
            // No condition: all of the selections.
            None => ConditionExpr::And(
                selections
                    .iter()
                    .map(|(n, _)| ConditionExpr::Identifier(n.clone()))
                    .collect(),
            ),
        };
        for i in targets {
            let rule = &mut compiled[i];
            for (n, d) in &selections {
                rule.detections.insert(n.clone(), d.clone());
            }
            rule.conditions = rule
                .conditions
                .iter()
                .map(|c| ConditionExpr::And(vec![c.clone(), condition.clone()]))
                .collect();
        }
    }
    count
}

/// `cond` with every selection name prefixed as the filter's selections
/// are in the rules it applies to (quantified selectors, as in rsigma,
/// are left as written).
fn prefixed(cond: &ConditionExpr, fc: usize) -> ConditionExpr {
    match cond {
        ConditionExpr::Identifier(n) => ConditionExpr::Identifier(format!("__filter_{fc}_{n}")),
        ConditionExpr::And(xs) => ConditionExpr::And(xs.iter().map(|x| prefixed(x, fc)).collect()),
        ConditionExpr::Or(xs) => ConditionExpr::Or(xs.iter().map(|x| prefixed(x, fc)).collect()),
        ConditionExpr::Not(x) => ConditionExpr::Not(Box::new(prefixed(x, fc))),
        ConditionExpr::Selector { .. } => cond.clone(),
    }
}

/// The first identifier in `cond` that is not a key of `named`.
fn unknown_identifier<V>(cond: &ConditionExpr, named: &HashMap<String, V>) -> Option<String> {
    match cond {
        ConditionExpr::Identifier(i) => (!named.contains_key(i)).then(|| i.clone()),
        ConditionExpr::And(v) | ConditionExpr::Or(v) => {
            v.iter().find_map(|c| unknown_identifier(c, named))
        }
        ConditionExpr::Not(c) => unknown_identifier(c, named),
        ConditionExpr::Selector { .. } => None,
    }
}

/// What an alert of a correlation rule says about the rule.
#[derive(Debug, Clone)]
pub(crate) struct CorrMeta {
    /// Its id, or title without one (as alerts name rules).
    pub key: String,
    pub title: String,
    pub level: Severity,
    pub tags: Vec<String>,
    pub kind: &'static str,
    pub timespan_secs: u64,
    /// Its `group-by` names, in order.
    pub group_by: Vec<String>,
    /// A digest of its definition: saved state is dropped for a
    /// correlation whose definition changed.
    pub fingerprint: u64,
    /// For `value_percentile` only: its condition and suppression window,
    /// applied by the correlator because rsigma 0.23 reports a percentile
    /// correlation on every event without testing its condition.
    pub percentile: Option<PercentileCheck>,
}

/// The condition and suppression of a `value_percentile` correlation.
#[derive(Debug, Clone)]
pub(crate) struct PercentileCheck {
    pub predicates: Vec<(ConditionOperator, u64)>,
    pub suppress_secs: u64,
}

impl PercentileCheck {
    pub fn holds(&self, value: f64) -> bool {
        self.predicates.iter().all(|&(op, t)| {
            let t = t as f64;
            match op {
                ConditionOperator::Lt => value < t,
                ConditionOperator::Lte => value <= t,
                ConditionOperator::Gt => value > t,
                ConditionOperator::Gte => value >= t,
                ConditionOperator::Eq => value == t,
                ConditionOperator::Neq => value != t,
            }
        })
    }
}

/// The correlation rules that loaded, with everything a
/// [`crate::Correlator`] needs to build its engine and read its output.
#[derive(Debug, Default)]
pub(crate) struct CorrelationSet {
    /// The correlation rules, each with its engine id as `id` and a default
    /// suppression window (its timespan) unless it sets `rsigma.suppress`.
    pub rules: Vec<CorrelationRule>,
    /// The detection rules they refer to, each with its engine id as `id`.
    pub detections: Vec<SigmaRule>,
    /// A detection's `rule_id` (id or title) to the engine id of its rule,
    /// for the rules correlations refer to.
    pub feed: HashMap<String, String>,
    /// `rule_id`s (of detection or correlation rules) that raise no alert of
    /// their own: referred to by `generate: false` correlations only.
    pub silenced: HashSet<String>,
    /// Engine id of a correlation to its alert metadata.
    pub meta: HashMap<String, CorrMeta>,
    /// Engine id of a correlation to the engine ids of the correlations that
    /// refer to it (chains).
    pub parents: HashMap<String, Vec<String>>,
}

fn kind_name(t: CorrelationType) -> &'static str {
    match t {
        CorrelationType::EventCount => "event_count",
        CorrelationType::ValueCount => "value_count",
        CorrelationType::Temporal => "temporal",
        CorrelationType::TemporalOrdered => "temporal_ordered",
        CorrelationType::ValueSum => "value_sum",
        CorrelationType::ValueAvg => "value_avg",
        CorrelationType::ValuePercentile => "value_percentile",
        CorrelationType::ValueMedian => "value_median",
    }
}

/// JSON with every object's keys sorted, so that a digest does not depend
/// on hash map order.
fn canonical(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let sorted: BTreeMap<String, serde_json::Value> =
                m.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(canonical).collect())
        }
        other => other,
    }
}

/// FNV-1a over the canonical JSON of the parts of a rule that shape its
/// state (stable across runs and platforms, unlike `DefaultHasher`).
fn fingerprint(rule: &CorrelationRule) -> u64 {
    let shape = serde_json::json!({
        "type": kind_name(rule.correlation_type),
        "rules": rule.rules,
        "group_by": rule.group_by,
        "timespan": rule.timespan.seconds,
        "window": rule.window,
        "gap": rule.gap.as_ref().map(|g| g.seconds),
        "condition": rule.condition,
        "aliases": rule.aliases,
    });
    let text = canonical(shape).to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl CorrelationSet {
    /// How many correlation rules loaded.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no correlation rule loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Checks the correlation rules (they compile, every rule they refer to
    /// is loaded, no cycle, no duplicate id) and keeps those that pass; the
    /// others are reported.
    pub fn build(
        correlations: Vec<(String, CorrelationRule)>,
        loaded: &[Loaded],
        report: &mut LoadReport,
    ) -> CorrelationSet {
        let mut set = CorrelationSet::default();
        if correlations.is_empty() {
            return set;
        }
        let fail = |report: &mut LoadReport, path: &str, c: &CorrelationRule, kind, reason| {
            report.errors.push(RuleError {
                line: None,
                path: path.to_string(),
                rule: Some(rule_key(&c.id, &c.title)),
                kind,
                reason,
            })
        };

        // Detection rules by the names a correlation may use: id or name.
        let mut detections: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, l) in loaded.iter().enumerate() {
            for k in [l.rule.id.as_deref(), l.rule.name.as_deref()]
                .into_iter()
                .flatten()
            {
                detections.entry(k).or_default().push(i);
            }
        }

        // Compile each on its own; refuse a second rule with the same id.
        let mut alive: Vec<(String, CorrelationRule)> = Vec::new();
        let mut ids: HashSet<String> = HashSet::new();
        for (path, mut c) in correlations {
            let needs_field = !matches!(
                c.correlation_type,
                CorrelationType::EventCount
                    | CorrelationType::Temporal
                    | CorrelationType::TemporalOrdered
            );
            if let CorrelationCondition::Threshold {
                predicates, field, ..
            } = &mut c.condition
            {
                if needs_field && field.as_ref().is_none_or(|f| f.is_empty()) {
                    let kind = kind_name(c.correlation_type);
                    fail(
                        report,
                        &path,
                        &c,
                        RuleErrorKind::Compile,
                        format!("a {kind} correlation needs condition.field"),
                    );
                    continue;
                }
                // A temporal correlation without a condition means "all the
                // rules" (specification); rsigma's parser reads it as
                // `gte: 1`, indistinguishable from writing that, which
                // would make the correlation a plain detection. Both are
                // read as all the rules.
                if matches!(
                    c.correlation_type,
                    CorrelationType::Temporal | CorrelationType::TemporalOrdered
                ) && field.is_none()
                    && predicates.as_slice() == [(ConditionOperator::Gte, 1)]
                {
                    *predicates = vec![(ConditionOperator::Gte, c.rules.len() as u64)];
                }
            }
            if let Err(e) = rsigma_eval::correlation::compile_correlation(&c) {
                fail(report, &path, &c, RuleErrorKind::Compile, e.to_string());
                continue;
            }
            let eid = engine_id(&c.id, &c.name, &c.title);
            if !ids.insert(eid.clone()) {
                fail(
                    report,
                    &path,
                    &c,
                    RuleErrorKind::Reference,
                    format!("another correlation rule is already known as {eid:?}"),
                );
                continue;
            }
            alive.push((path, c));
        }

        // Drop correlations whose references do not resolve, or that take
        // part in a cycle, until what is left is consistent.
        loop {
            let by_ref: HashMap<&str, usize> = alive
                .iter()
                .enumerate()
                .flat_map(|(i, (_, c))| {
                    [c.id.as_deref(), c.name.as_deref()]
                        .into_iter()
                        .flatten()
                        .map(move |k| (k, i))
                })
                .collect();
            let mut bad: Vec<(usize, String)> = Vec::new();
            for (i, (_, c)) in alive.iter().enumerate() {
                if c.rules.is_empty() {
                    bad.push((i, "it refers to no rule".into()));
                    continue;
                }
                if let Some(r) = c.rules.iter().find(|r| {
                    !detections.contains_key(r.as_str()) && !by_ref.contains_key(r.as_str())
                }) {
                    bad.push((
                        i,
                        format!(
                            "it refers to {r:?}, which is neither the id nor the name of a loaded rule"
                        ),
                    ));
                }
            }
            if bad.is_empty() {
                // Cycles: depth-first search over correlation references.
                let edges: Vec<Vec<usize>> = alive
                    .iter()
                    .map(|(_, c)| {
                        c.rules
                            .iter()
                            .filter_map(|r| by_ref.get(r.as_str()).copied())
                            .collect()
                    })
                    .collect();
                if let Some(cycle) = find_cycle(&edges) {
                    let names: Vec<String> = cycle
                        .iter()
                        .map(|&i| engine_id(&alive[i].1.id, &alive[i].1.name, &alive[i].1.title))
                        .collect();
                    for &i in &cycle {
                        bad.push((
                            i,
                            format!(
                                "correlations refer to each other in a cycle: {}",
                                names.join(" -> ")
                            ),
                        ));
                    }
                }
            }
            if bad.is_empty() {
                break;
            }
            bad.sort_by_key(|(i, _)| *i);
            bad.dedup_by_key(|(i, _)| *i);
            for (i, reason) in bad.into_iter().rev() {
                let (path, c) = alive.remove(i);
                fail(report, &path, &c, RuleErrorKind::Reference, reason);
            }
        }

        // What `generate` says for each referenced name.
        let mut generate_false: HashSet<String> = HashSet::new();
        let mut generate_true: HashSet<String> = HashSet::new();
        for (_, c) in &alive {
            for r in &c.rules {
                if c.generate {
                    generate_true.insert(r.clone());
                } else {
                    generate_false.insert(r.clone());
                }
            }
        }
        let silenced = |id: &Option<String>, name: &Option<String>| {
            let names = [id.as_deref(), name.as_deref()];
            names.iter().flatten().any(|n| generate_false.contains(*n))
                && !names.iter().flatten().any(|n| generate_true.contains(*n))
        };

        // The detection rules referred to, with their engine ids.
        let mut used: Vec<usize> = alive
            .iter()
            .flat_map(|(_, c)| c.rules.iter())
            .filter_map(|r| detections.get(r.as_str()))
            .flatten()
            .copied()
            .collect();
        used.sort_unstable();
        used.dedup();
        for i in used {
            let r = &loaded[i].rule;
            let eid = engine_id(&r.id, &r.name, &r.title);
            let key = rule_key(&r.id, &r.title);
            if silenced(&r.id, &r.name) {
                set.silenced.insert(key.clone());
            }
            set.feed.insert(key, eid.clone());
            let mut rule = r.clone();
            rule.id = Some(eid);
            set.detections.push(rule);
        }

        // Chains: which correlations each correlation feeds.
        let by_ref: HashMap<&str, String> = alive
            .iter()
            .flat_map(|(_, c)| {
                let eid = engine_id(&c.id, &c.name, &c.title);
                [c.id.as_deref(), c.name.as_deref()]
                    .into_iter()
                    .flatten()
                    .map(move |k| (k, eid.clone()))
            })
            .collect();
        for (_, c) in &alive {
            let eid = engine_id(&c.id, &c.name, &c.title);
            for r in &c.rules {
                if let Some(child) = by_ref.get(r.as_str()) {
                    let parents = set.parents.entry(child.clone()).or_default();
                    if !parents.contains(&eid) {
                        parents.push(eid.clone());
                    }
                }
            }
        }

        for (_, c) in alive {
            let eid = engine_id(&c.id, &c.name, &c.title);
            let key = rule_key(&c.id, &c.title);
            if silenced(&c.id, &c.name) {
                set.silenced.insert(key.clone());
            }
            let suppress_secs = c
                .custom_attributes
                .get("rsigma.suppress")
                .and_then(|v| v.as_str())
                .and_then(|s| Timespan::parse(s).ok())
                .map_or(c.timespan.seconds, |t| t.seconds);
            let percentile = match (&c.correlation_type, &c.condition) {
                (
                    CorrelationType::ValuePercentile,
                    CorrelationCondition::Threshold { predicates, .. },
                ) => Some(PercentileCheck {
                    predicates: predicates.clone(),
                    suppress_secs,
                }),
                _ => None,
            };
            set.meta.insert(
                eid.clone(),
                CorrMeta {
                    key,
                    title: c.title.clone(),
                    level: level(c.level.as_ref()),
                    tags: c.tags.clone(),
                    kind: kind_name(c.correlation_type),
                    timespan_secs: c.timespan.seconds,
                    group_by: c.group_by.clone(),
                    fingerprint: fingerprint(&c),
                    percentile: percentile.clone(),
                },
            );
            let mut rule = c;
            rule.id = Some(eid);
            if percentile.is_some() {
                // The correlator tests the condition and suppresses; rsigma
                // must not suppress the reports it makes regardless.
                rule.custom_attributes.insert(
                    "rsigma.suppress".into(),
                    yaml_serde::Value::String("0s".into()),
                );
            }
            // One alert per group per window unless the rule says otherwise
            // (`rsigma.suppress`): without it every further event in a
            // window that still meets the condition would raise another.
            if !rule.custom_attributes.contains_key("rsigma.suppress") {
                rule.custom_attributes.insert(
                    "rsigma.suppress".into(),
                    yaml_serde::Value::String(format!("{}s", rule.timespan.seconds)),
                );
            }
            set.rules.push(rule);
        }
        set
    }
}

/// Some cycle in a directed graph given as adjacency lists, as the nodes
/// on it.
fn find_cycle(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    // 0: unseen, 1: on the current path, 2: done.
    let mut state = vec![0u8; edges.len()];
    let mut path = Vec::new();
    fn visit(
        n: usize,
        edges: &[Vec<usize>],
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[n] = 1;
        path.push(n);
        for &m in &edges[n] {
            if state[m] == 1 {
                let at = path.iter().position(|&p| p == m).unwrap_or(0);
                return Some(path[at..].to_vec());
            }
            if state[m] == 0 {
                if let Some(c) = visit(m, edges, state, path) {
                    return Some(c);
                }
            }
        }
        path.pop();
        state[n] = 2;
        None
    }
    for n in 0..edges.len() {
        if state[n] == 0 {
            if let Some(c) = visit(n, edges, &mut state, &mut path) {
                return Some(c);
            }
        }
    }
    None
}
