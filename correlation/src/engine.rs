//! Vedette's matcher: which rules an event can match, found in one pass over
//! the event, and those rules evaluated without allocating.
//!
//! rsigma parses each rule, expands its modifiers and compiles its values
//! into matchers ([`CompiledRule`]). From there Vedette takes over:
//!
//! - **Witnesses.** Each rule is analysed once into a set of necessary
//!   conditions, at least one of which holds on every event the rule
//!   matches: a field equals a value, equals a number, contains a literal
//!   (regexes' literals included), some string of the event contains a
//!   literal (keywords), or a field is present. Under `and`, the most
//!   selective side is kept; under `or`, every side contributes; under
//!   `not`, nothing can be claimed and the rule is evaluated on every event
//!   of its log source.
//! - **A route index per set of admitted rules.** The first event of a log
//!   source builds (or finds) the index over the rules that log source
//!   admits: per field, hash maps of the values and numbers rules require
//!   and one Aho-Corasick automaton over the literals they require. Later
//!   events reuse it.
//! - **One pass per event.** Each field of the event that some rule tests
//!   is folded to lower case once (into a reused buffer), looked up in its
//!   maps and scanned by its automaton; the rules hit are marked in a
//!   reused epoch array. Only the marked rules, plus those with no witness,
//!   are evaluated.
//! - **Evaluation** walks conditions precompiled to detection indices, and
//!   matches strings against the folded values from the same pass; only
//!   matchers it does not handle itself (numbers, CIDR, field references,
//!   placeholders, times) go to rsigma's matcher.
//!
//! The index may admit rules that do not match, and never drops one that
//! would: [`crate::SigmaRuleSet::detect_exhaustive`] evaluates every
//! admitted rule with rsigma's own evaluator, and the tests compare both on
//! SigmaHQ's rules and regression events.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use rsigma_eval::event::EventValue;
use rsigma_eval::matcher::GroupMode;
use rsigma_eval::{CompiledDetection, CompiledDetectionItem, CompiledMatcher, CompiledRule};
use rsigma_parser::{ConditionExpr, Quantifier};
use rustc_hash::FxHashMap;
use vedette_model::{Event, FieldValue};

use crate::adapter::SigmaEvent;

// ---------------------------------------------------------------------------
// Witnesses
// ---------------------------------------------------------------------------

/// A necessary condition on an event (values and literals folded to lower
/// case, as the event's values are before they are compared).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Witness {
    /// The field's value equals this.
    Exact { field: Box<str>, value: Box<str> },
    /// The field's value contains this.
    Substring { field: Box<str>, needle: Box<str> },
    /// The field's value is this number (an integer other than 0; as rsigma
    /// compares numbers: integers, floats and text that parses as one).
    Number { field: Box<str>, value: i64 },
    /// Some string value of the event contains this.
    Keyword { needle: Box<str> },
    /// The field is present.
    Present { field: Box<str> },
}

impl Witness {
    /// How selective the witness is likely to be (higher: fewer events).
    fn score(&self) -> usize {
        match self {
            // Event ids and other short numbers hold on whole classes of
            // events.
            Witness::Exact { value, .. }
                if value.len() <= 6 && value.bytes().all(|b| b.is_ascii_digit()) =>
            {
                2
            }
            Witness::Exact { value, .. } => value.len() + 4,
            Witness::Number { .. } => 2,
            Witness::Substring { needle, .. } => needle.len().max(1),
            Witness::Keyword { needle } => needle.len().saturating_sub(2).max(1),
            Witness::Present { .. } => 0,
        }
    }
}

/// What a subtree guarantees: `None` when nothing (open), else a set of
/// witnesses at least one of which holds whenever the subtree matches.
type Analysis = Option<Vec<Witness>>;

/// The score of a set: its weakest member, then fewer members.
fn set_score(ws: &[Witness]) -> (usize, std::cmp::Reverse<usize>) {
    (
        ws.iter().map(Witness::score).min().unwrap_or(0),
        std::cmp::Reverse(ws.len()),
    )
}

/// `or`: every branch must contribute.
fn any_of(parts: impl IntoIterator<Item = Analysis>) -> Analysis {
    let mut out = Vec::new();
    for p in parts {
        out.extend(p?);
    }
    if out.is_empty() {
        return None;
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// `and`: the most selective side that says anything.
fn all_of(parts: impl IntoIterator<Item = Analysis>) -> Analysis {
    parts
        .into_iter()
        .flatten()
        .filter(|ws| !ws.is_empty())
        .max_by_key(|ws| set_score(ws))
}

/// The witnesses of a rule (all its conditions).
pub(crate) fn analyze_rule(rule: &CompiledRule) -> Analysis {
    any_of(
        rule.conditions
            .iter()
            .map(|c| analyze_condition(c, &rule.detections)),
    )
}

fn analyze_condition(c: &ConditionExpr, dets: &HashMap<String, CompiledDetection>) -> Analysis {
    match c {
        ConditionExpr::Identifier(name) => dets.get(name).and_then(analyze_detection),
        ConditionExpr::And(xs) => all_of(xs.iter().map(|x| analyze_condition(x, dets))),
        ConditionExpr::Or(xs) => any_of(xs.iter().map(|x| analyze_condition(x, dets))),
        ConditionExpr::Not(_) => None,
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let matched = dets
                .iter()
                .filter(|(n, _)| pattern.matches_detection_name(n))
                .map(|(_, d)| analyze_detection(d));
            match quantifier {
                Quantifier::Count(0) => None,
                Quantifier::Any | Quantifier::Count(_) => any_of(matched),
                Quantifier::All => all_of(matched),
            }
        }
    }
}

fn analyze_detection(d: &CompiledDetection) -> Analysis {
    match d {
        CompiledDetection::AllOf(items) => all_of(items.iter().map(analyze_item)),
        CompiledDetection::AnyOf(ds) => any_of(ds.iter().map(analyze_detection)),
        CompiledDetection::And(ds) => all_of(ds.iter().map(analyze_detection)),
        CompiledDetection::Keywords(m) => analyze_matcher(m, None),
        CompiledDetection::ArrayMatch { .. } | CompiledDetection::Conditional { .. } => None,
    }
}

fn analyze_item(item: &CompiledDetectionItem) -> Analysis {
    match (item.exists, item.field.as_deref()) {
        (Some(true), Some(f)) => Some(vec![Witness::Present { field: f.into() }]),
        (Some(_), _) => None,
        // Only a bare `null` matcher matches an absent field.
        (None, Some(_)) if matches!(item.matcher, CompiledMatcher::Null) => None,
        (None, Some(f)) => analyze_matcher(&item.matcher, Some(f))
            .or_else(|| Some(vec![Witness::Present { field: f.into() }])),
        (None, None) => analyze_matcher(&item.matcher, None),
    }
}

/// A matcher literal as the index compares it, when it can be folded
/// faithfully: case-insensitive values are folded by rsigma's compiler
/// already; cased ones only fold faithfully when ASCII.
fn fold_literal(value: &str, case_insensitive: bool) -> Option<Box<str>> {
    if value.is_empty() {
        None
    } else if case_insensitive {
        Some(value.into())
    } else if value.is_ascii() {
        Some(value.to_ascii_lowercase().into())
    } else {
        None
    }
}

fn substring(value: &str, ci: bool, field: Option<&str>) -> Analysis {
    let needle = fold_literal(value, ci)?;
    Some(vec![match field {
        Some(f) => Witness::Substring {
            field: f.into(),
            needle,
        },
        None => Witness::Keyword { needle },
    }])
}

fn analyze_matcher(m: &CompiledMatcher, field: Option<&str>) -> Analysis {
    match m {
        CompiledMatcher::Exact {
            value,
            case_insensitive,
        } => {
            let v = fold_literal(value, *case_insensitive)?;
            Some(vec![match field {
                Some(f) => Witness::Exact {
                    field: f.into(),
                    value: v,
                },
                // A keyword equal to some value contains it.
                None => Witness::Keyword { needle: v },
            }])
        }
        CompiledMatcher::Contains {
            value,
            case_insensitive,
        }
        | CompiledMatcher::StartsWith {
            value,
            case_insensitive,
        }
        | CompiledMatcher::EndsWith {
            value,
            case_insensitive,
        } => substring(value, *case_insensitive, field),
        CompiledMatcher::AhoCorasickSet {
            needles,
            case_insensitive,
            ..
        } => any_of(
            needles
                .iter()
                .map(|n| substring(n, *case_insensitive, field)),
        ),
        CompiledMatcher::Regex(re) => regex_literals(re.as_str(), field),
        CompiledMatcher::RegexSetMatch { set, mode } => {
            let parts = set.patterns().iter().map(|p| regex_literals(p, field));
            match mode {
                GroupMode::Any => any_of(parts),
                GroupMode::All => all_of(parts),
            }
        }
        // Equal within f64::EPSILON: for an integer other than 0, equal.
        CompiledMatcher::NumericEq(n)
            if n.fract() == 0.0 && *n != 0.0 && n.abs() < 9e15 && field.is_some() =>
        {
            Some(vec![Witness::Number {
                field: field.unwrap_or_default().into(),
                value: *n as i64,
            }])
        }
        CompiledMatcher::AnyOf(cs) => any_of(cs.iter().map(|c| analyze_matcher(c, field))),
        CompiledMatcher::AllOf(cs) => all_of(cs.iter().map(|c| analyze_matcher(c, field))),
        CompiledMatcher::CaseInsensitiveGroup { children, mode } => {
            let parts = children.iter().map(|c| analyze_matcher(c, field));
            match mode {
                GroupMode::Any => any_of(parts),
                GroupMode::All => all_of(parts),
            }
        }
        // Numbers, CIDR blocks, booleans, times, placeholders, field
        // references, null and negations: no literal is guaranteed to
        // appear; the item's field presence is what remains.
        _ => None,
    }
}

/// Literals of which every match of `pattern` contains one (from the
/// regex's syntax tree), as witnesses.
fn regex_literals(pattern: &str, field: Option<&str>) -> Analysis {
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let lits = mandatory_literals(&hir)?;
    if lits.iter().any(|l| l.len() < 3) {
        return None;
    }
    // A regex runs on the value as written: its literals are cased.
    any_of(lits.iter().map(|l| substring(l, false, field)))
}

/// An ASCII letter in either case (`(?i)a` is the class `[Aa]`), as its
/// lower case: the literals are compared folded, where both are the same.
fn case_pair(hir: &regex_syntax::hir::Hir) -> Option<char> {
    use regex_syntax::hir::{Class, HirKind};
    let HirKind::Class(class) = hir.kind() else {
        return None;
    };
    let chars: Vec<char> = match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(3)
            .collect(),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(3)
            .map(char::from)
            .collect(),
    };
    match chars[..] {
        [a, b] if a.is_ascii_uppercase() && b == a.to_ascii_lowercase() => Some(b),
        _ => None,
    }
}

fn mandatory_literals(hir: &regex_syntax::hir::Hir) -> Option<Vec<String>> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Literal(lit) => std::str::from_utf8(&lit.0)
            .ok()
            .filter(|s| !s.is_empty())
            .map(|s| vec![s.to_string()]),
        // All parts must match: any part's set will do; take the one whose
        // shortest literal is longest.
        HirKind::Concat(parts) => {
            // Adjacent literals join into one longer literal.
            let mut best: Option<Vec<String>> = None;
            let mut run = String::new();
            let consider = |cand: Vec<String>, best: &mut Option<Vec<String>>| {
                let key = |v: &Vec<String>| v.iter().map(String::len).min().unwrap_or(0);
                if best.as_ref().is_none_or(|b| key(&cand) > key(b)) {
                    *best = Some(cand);
                }
            };
            for p in parts {
                if let HirKind::Literal(lit) = p.kind() {
                    if let Ok(s) = std::str::from_utf8(&lit.0) {
                        run.push_str(s);
                        continue;
                    }
                }
                if let Some(c) = case_pair(p) {
                    run.push(c);
                    continue;
                }
                if !run.is_empty() {
                    consider(vec![std::mem::take(&mut run)], &mut best);
                }
                if let Some(c) = mandatory_literals(p) {
                    consider(c, &mut best);
                }
            }
            if !run.is_empty() {
                consider(vec![run], &mut best);
            }
            best
        }
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(mandatory_literals(a)?);
            }
            Some(out)
        }
        HirKind::Repetition(r) if r.min >= 1 => mandatory_literals(&r.sub),
        HirKind::Capture(c) => mandatory_literals(&c.sub),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Evaluation plans
// ---------------------------------------------------------------------------

/// A condition with its identifiers and selectors resolved to detections.
#[derive(Debug)]
enum Cond {
    Det(usize),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// At least `n` of these detections (`1 of`, `N of`).
    AtLeast(u64, Vec<usize>),
    /// All of these (`all of`; true when there are none).
    All(Vec<usize>),
    Const(bool),
}

#[derive(Debug)]
enum Det {
    AllOf(Vec<Item>),
    AnyOf(Vec<Det>),
    And(Vec<Det>),
    Keywords(CompiledMatcher),
    /// Array scopes: rsigma evaluates them (`det` named `name` in `map`).
    Fallback {
        map: HashMap<String, CompiledDetection>,
        expr: ConditionExpr,
    },
}

#[derive(Debug)]
struct Item {
    field: Option<Box<str>>,
    /// rsigma's matcher: for values that are not text, and keywords.
    matcher: CompiledMatcher,
    /// The same matcher for text values.
    text: Text,
    exists: Option<bool>,
    /// Whether the matcher compares folded strings.
    folds: bool,
}

/// A matcher of text values, compiled from rsigma's: substring searches
/// get a prebuilt SIMD finder; what is not about text goes to rsigma's.
#[derive(Debug)]
enum Text {
    Exact(Box<str>, bool),
    Contains(memchr::memmem::Finder<'static>, bool),
    StartsWith(Box<str>, bool),
    EndsWith(Box<str>, bool),
    Set(AhoCorasick, bool),
    Regex(regex::Regex),
    RegexSet(regex::RegexSet, GroupMode),
    Any(Vec<Text>),
    All(Vec<Text>),
    Not(Box<Text>),
    /// Case-insensitive children, every one on the folded value.
    Folded(Vec<Text>, GroupMode),
    Rsigma(CompiledMatcher),
}

impl Text {
    fn new(m: &CompiledMatcher) -> Text {
        match m {
            CompiledMatcher::Exact {
                value,
                case_insensitive,
            } => Text::Exact(value.as_str().into(), *case_insensitive),
            CompiledMatcher::Contains {
                value,
                case_insensitive,
            } => Text::Contains(
                memchr::memmem::Finder::new(value.as_bytes()).into_owned(),
                *case_insensitive,
            ),
            CompiledMatcher::StartsWith {
                value,
                case_insensitive,
            } => Text::StartsWith(value.as_str().into(), *case_insensitive),
            CompiledMatcher::EndsWith {
                value,
                case_insensitive,
            } => Text::EndsWith(value.as_str().into(), *case_insensitive),
            CompiledMatcher::AhoCorasickSet {
                automaton,
                case_insensitive,
                ..
            } => Text::Set(automaton.clone(), *case_insensitive),
            CompiledMatcher::Regex(re) => Text::Regex(re.clone()),
            CompiledMatcher::RegexSetMatch { set, mode } => Text::RegexSet(set.clone(), *mode),
            CompiledMatcher::AnyOf(cs) => Text::Any(cs.iter().map(Text::new).collect()),
            CompiledMatcher::AllOf(cs) => Text::All(cs.iter().map(Text::new).collect()),
            CompiledMatcher::Not(c) => Text::Not(Box::new(Text::new(c))),
            CompiledMatcher::CaseInsensitiveGroup { children, mode } => {
                let cs: Vec<Text> = children.iter().map(Text::new).collect();
                // Only string matchers run on a folded value; anything
                // else (not expected) leaves the group to rsigma.
                if cs.iter().all(Text::is_textual) {
                    Text::Folded(cs, *mode)
                } else {
                    Text::Rsigma(m.clone())
                }
            }
            other => Text::Rsigma(other.clone()),
        }
    }

    fn is_textual(&self) -> bool {
        match self {
            Text::Rsigma(_) => false,
            Text::Any(cs) | Text::All(cs) | Text::Folded(cs, _) => cs.iter().all(Text::is_textual),
            Text::Not(c) => c.is_textual(),
            _ => true,
        }
    }

    /// Whether `raw` (folded: `folded`, read only by case-insensitive
    /// matchers) matches; `ev` for rsigma's matchers.
    fn matches(&self, raw: &str, folded: &str, ev: &Event) -> bool {
        let pick = |ci: bool| if ci { folded } else { raw };
        match self {
            Text::Exact(v, ci) => pick(*ci) == &**v,
            Text::Contains(f, ci) => f.find(pick(*ci).as_bytes()).is_some(),
            Text::StartsWith(v, ci) => pick(*ci).starts_with(&**v),
            Text::EndsWith(v, ci) => pick(*ci).ends_with(&**v),
            Text::Set(ac, ci) => ac.is_match(pick(*ci)),
            Text::Regex(re) => re.is_match(raw),
            Text::RegexSet(set, GroupMode::Any) => set.is_match(raw),
            Text::RegexSet(set, GroupMode::All) => set.matches(raw).iter().count() == set.len(),
            Text::Any(cs) => cs.iter().any(|c| c.matches(raw, folded, ev)),
            Text::All(cs) => cs.iter().all(|c| c.matches(raw, folded, ev)),
            Text::Not(c) => !c.matches(raw, folded, ev),
            // As rsigma does: regexes in the group carry `(?i)` and run on
            // the folded value too.
            Text::Folded(cs, GroupMode::Any) => cs.iter().any(|c| c.matches(folded, folded, ev)),
            Text::Folded(cs, GroupMode::All) => cs.iter().all(|c| c.matches(folded, folded, ev)),
            Text::Rsigma(m) => m.matches(&EventValue::Str(Cow::Borrowed(raw)), &SigmaEvent(ev)),
        }
    }
}

/// How one rule is evaluated.
#[derive(Debug)]
pub(crate) struct Plan {
    conds: Vec<Cond>,
    dets: Vec<Det>,
}

fn folds(m: &CompiledMatcher) -> bool {
    match m {
        CompiledMatcher::Exact {
            case_insensitive, ..
        }
        | CompiledMatcher::Contains {
            case_insensitive, ..
        }
        | CompiledMatcher::StartsWith {
            case_insensitive, ..
        }
        | CompiledMatcher::EndsWith {
            case_insensitive, ..
        }
        | CompiledMatcher::AhoCorasickSet {
            case_insensitive, ..
        } => *case_insensitive,
        CompiledMatcher::CaseInsensitiveGroup { .. } => true,
        CompiledMatcher::AnyOf(cs) | CompiledMatcher::AllOf(cs) => cs.iter().any(folds),
        CompiledMatcher::Not(c) => folds(c),
        _ => false,
    }
}

impl Plan {
    pub(crate) fn new(rule: &CompiledRule) -> Plan {
        let mut names: Vec<&String> = rule.detections.keys().collect();
        names.sort();
        let dets = names
            .iter()
            .map(|n| Self::detection(n, &rule.detections[*n]))
            .collect();
        let conds = rule
            .conditions
            .iter()
            .map(|c| Self::condition(c, &names))
            .collect();
        Plan { conds, dets }
    }

    fn condition(c: &ConditionExpr, names: &[&String]) -> Cond {
        match c {
            ConditionExpr::Identifier(n) => names
                .iter()
                .position(|x| *x == n)
                .map_or(Cond::Const(false), Cond::Det),
            ConditionExpr::And(xs) => {
                Cond::And(xs.iter().map(|x| Self::condition(x, names)).collect())
            }
            ConditionExpr::Or(xs) => {
                Cond::Or(xs.iter().map(|x| Self::condition(x, names)).collect())
            }
            ConditionExpr::Not(x) => Cond::Not(Box::new(Self::condition(x, names))),
            ConditionExpr::Selector {
                quantifier,
                pattern,
            } => {
                let ids: Vec<usize> = names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| pattern.matches_detection_name(n))
                    .map(|(i, _)| i)
                    .collect();
                match quantifier {
                    Quantifier::Any => Cond::AtLeast(1, ids),
                    Quantifier::Count(0) => Cond::Const(true),
                    Quantifier::Count(n) => Cond::AtLeast(*n, ids),
                    Quantifier::All => Cond::All(ids),
                }
            }
        }
    }

    fn detection(name: &str, d: &CompiledDetection) -> Det {
        match d {
            CompiledDetection::AllOf(items) => Det::AllOf(
                items
                    .iter()
                    .map(|i| Item {
                        field: i.field.as_deref().map(Into::into),
                        matcher: i.matcher.clone(),
                        text: Text::new(&i.matcher),
                        exists: i.exists,
                        folds: folds(&i.matcher),
                    })
                    .collect(),
            ),
            CompiledDetection::AnyOf(ds) => {
                Det::AnyOf(ds.iter().map(|d| Self::detection(name, d)).collect())
            }
            CompiledDetection::And(ds) => {
                Det::And(ds.iter().map(|d| Self::detection(name, d)).collect())
            }
            CompiledDetection::Keywords(m) => Det::Keywords(m.clone()),
            other => Det::Fallback {
                map: HashMap::from([(name.to_string(), other.clone())]),
                expr: ConditionExpr::Identifier(name.to_string()),
            },
        }
    }

    /// Whether the rule matches `ev`.
    pub(crate) fn matches(&self, ev: &Event, sc: &mut Scratch) -> bool {
        self.conds.iter().any(|c| self.cond(c, ev, sc))
    }

    fn cond(&self, c: &Cond, ev: &Event, sc: &mut Scratch) -> bool {
        match c {
            Cond::Det(i) => self.det(&self.dets[*i], ev, sc),
            Cond::And(xs) => xs.iter().all(|x| self.cond(x, ev, sc)),
            Cond::Or(xs) => xs.iter().any(|x| self.cond(x, ev, sc)),
            Cond::Not(x) => !self.cond(x, ev, sc),
            Cond::AtLeast(n, ids) => {
                let mut hits = 0u64;
                ids.iter().any(|i| {
                    if self.det(&self.dets[*i], ev, sc) {
                        hits += 1;
                    }
                    hits >= *n
                })
            }
            Cond::All(ids) => ids.iter().all(|i| self.det(&self.dets[*i], ev, sc)),
            Cond::Const(b) => *b,
        }
    }

    fn det(&self, d: &Det, ev: &Event, sc: &mut Scratch) -> bool {
        match d {
            Det::AllOf(items) => items.iter().all(|i| item(i, ev, sc)),
            Det::AnyOf(ds) => ds.iter().any(|d| self.det(d, ev, sc)),
            Det::And(ds) => ds.iter().all(|d| self.det(d, ev, sc)),
            Det::Keywords(m) => m.matches_keyword(&SigmaEvent(ev)),
            Det::Fallback { map, expr } => {
                rsigma_eval::compiler::eval_condition(expr, map, &SigmaEvent(ev), &mut Vec::new())
            }
        }
    }
}

/// Identity of the virtual fields in the fold cache (no field key has these
/// addresses).
const ORIGINAL_KEY: usize = 1;
const ERROR_KEY: usize = 2;

/// A stored field name's cache key: its address, stable while the event
/// is scanned.
fn key_id(k: &vedette_model::Name) -> usize {
    k as *const vedette_model::Name as usize
}

/// A field of `ev` as rules see it (see the adapter), with its cache key.
fn lookup<'e>(ev: &'e Event, name: &str) -> Option<(usize, Val<'e>)> {
    if let Some((k, v)) = ev.fields.get_key_value(name) {
        return Some((key_id(k), Val::Field(v)));
    }
    match name {
        "event.original" => Some((ORIGINAL_KEY, Val::Text(&ev.original))),
        "error.message" => ev.error.as_deref().map(|e| (ERROR_KEY, Val::Text(e))),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Val<'e> {
    Field(&'e FieldValue),
    Text(&'e str),
}

impl<'e> Val<'e> {
    fn str(self) -> Option<&'e str> {
        match self {
            Val::Field(FieldValue::Str(s)) => Some(s),
            Val::Text(s) => Some(s),
            Val::Field(_) => None,
        }
    }

    fn sigma(self) -> EventValue<'e> {
        match self {
            Val::Text(s) => EventValue::Str(Cow::Borrowed(s)),
            Val::Field(FieldValue::Str(s)) => EventValue::Str(Cow::Borrowed(s)),
            Val::Field(FieldValue::Int(i)) => EventValue::Int(*i),
            Val::Field(FieldValue::Float(f)) => EventValue::Float(*f),
            Val::Field(FieldValue::Bool(b)) => EventValue::Bool(*b),
        }
    }
}

fn item(it: &Item, ev: &Event, sc: &mut Scratch) -> bool {
    if let Some(expect) = it.exists {
        return match it.field.as_deref() {
            Some(f) => lookup(ev, f).is_some() == expect,
            None => !expect,
        };
    }
    let Some(f) = it.field.as_deref() else {
        return it.matcher.matches_keyword(&SigmaEvent(ev));
    };
    let Some((key, val)) = lookup(ev, f) else {
        return matches!(it.matcher, CompiledMatcher::Null);
    };
    if let Some(raw) = val.str() {
        return if it.folds {
            let (a, b) = sc.fold(key, raw);
            it.text.matches(raw, &sc.buf[a..b], ev)
        } else {
            it.text.matches(raw, raw, ev)
        };
    }
    it.matcher.matches(&val.sigma(), &SigmaEvent(ev))
}

// ---------------------------------------------------------------------------
// The per-event scratch
// ---------------------------------------------------------------------------

/// The largest fold buffer a thread keeps between events.
const MAX_KEPT_BUFFER: usize = 4 << 20;

/// Buffers one thread reuses from event to event, so that matching does not
/// allocate once they have grown.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Folded values of this event, back to back.
    buf: String,
    /// (field key, start, end) into `buf`.
    spans: FxHashMap<usize, (usize, usize)>,
    /// A text form of a number being indexed.
    num: String,
    /// Per rule: the event epoch that marked it.
    marks: Vec<u32>,
    epoch: u32,
    /// The rules marked for this event.
    pub(crate) cands: Vec<u32>,
}

impl Scratch {
    /// Starts an event for a rule set of `rules` rules.
    pub(crate) fn begin(&mut self, rules: usize) {
        self.buf.clear();
        self.spans.clear();
        // One huge event does not keep its buffer on the thread forever.
        if self.buf.capacity() > MAX_KEPT_BUFFER {
            self.buf = String::new();
        }
        self.cands.clear();
        if self.marks.len() < rules {
            self.marks.resize(rules, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.marks.iter_mut().for_each(|m| *m = 0);
            self.epoch = 1;
        }
    }

    fn mark(&mut self, rules: &[u32]) {
        for &r in rules {
            let m = &mut self.marks[r as usize];
            if *m != self.epoch {
                *m = self.epoch;
                self.cands.push(r);
            }
        }
    }

    /// The span of the folded form of the value under `key` (folded once
    /// per event), as rsigma's `to_lowercase` would fold it.
    fn fold(&mut self, key: usize, s: &str) -> (usize, usize) {
        if let Some(&(a, b)) = self.spans.get(&key) {
            return (a, b);
        }
        let start = self.buf.len();
        if s.contains('Σ') {
            // Final sigma depends on context: only `to_lowercase` on the
            // whole string gets it right.
            self.buf.push_str(&s.to_lowercase());
        } else {
            // ASCII runs in bulk, other characters one by one.
            let mut rest = s;
            while !rest.is_empty() {
                let run = rest
                    .bytes()
                    .position(|b| !b.is_ascii())
                    .unwrap_or(rest.len());
                let at = self.buf.len();
                self.buf.push_str(&rest[..run]);
                self.buf[at..].make_ascii_lowercase();
                rest = &rest[run..];
                if let Some(c) = rest.chars().next() {
                    self.buf.extend(c.to_lowercase());
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        let span = (start, self.buf.len());
        self.spans.insert(key, span);
        span
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch (a fresh one if it is in use).
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut Scratch::default()),
    })
}

// ---------------------------------------------------------------------------
// The route index
// ---------------------------------------------------------------------------

/// One automaton over folded literals, with the rules each literal admits.
///
/// It finds every literal a folded value contains, with the fastest kind of
/// search the crate has (leftmost-longest, which can use its SIMD
/// prefilters, rather than overlapping): from each match it searches again
/// one byte after the match's start, so every position where some literal
/// starts is reported with the longest literal starting there; the shorter
/// literals starting there are its prefixes, whose rules each literal's
/// list includes.
struct Needles {
    ac: AhoCorasick,
    /// Per literal: its rules and those of the literals that are its
    /// prefixes.
    rules: Vec<Vec<u32>>,
}

/// Literal sets up to this size are scanned with a DFA.
const DFA_MAX_LITERALS: usize = 1000;

impl Needles {
    fn build(map: FxHashMap<Box<str>, Vec<u32>>) -> Option<Needles> {
        if map.is_empty() {
            return None;
        }
        let mut pairs: Vec<(Box<str>, Vec<u32>)> = map.into_iter().collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut rules: Vec<Vec<u32>> = pairs
            .iter()
            .map(|(n, own)| {
                let mut r = own.clone();
                for (end, _) in n.char_indices().skip(1) {
                    if let Ok(i) = pairs.binary_search_by(|p| p.0.as_ref().cmp(&n[..end])) {
                        r.extend(&pairs[i].1);
                    }
                }
                r.sort_unstable();
                r.dedup();
                r
            })
            .collect();
        rules.shrink_to_fit();
        // A DFA scans fastest while it fits in cache; over thousands of
        // literals (SigmaHQ's `CommandLine`: 6,000, 55 MB as a DFA) the
        // contiguous NFA is as fast and 50 times smaller.
        let kind = if pairs.len() <= DFA_MAX_LITERALS {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let builder = |kind| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(kind)
                .build(pairs.iter().map(|(n, _)| n.as_bytes()))
        };
        let ac = builder(Some(kind)).or_else(|_| builder(None)).ok()?;
        Some(Needles { ac, rules })
    }

    /// Marks the rules of every literal the folded form of `text` (the
    /// value under `key`) contains.
    fn scan_value(&self, key: usize, text: &str, sc: &mut Scratch) {
        let (a, b) = sc.fold(key, text);
        // The buffer is only read here; taking it out lets `mark` borrow
        // the scratch.
        let hay = std::mem::take(&mut sc.buf);
        self.scan(&hay[a..b], sc);
        sc.buf = hay;
    }

    fn scan(&self, hay: &str, sc: &mut Scratch) {
        let mut at = 0;
        while at < hay.len() {
            let Some(m) = self.ac.find(aho_corasick::Input::new(hay).range(at..)) else {
                break;
            };
            sc.mark(&self.rules[m.pattern().as_usize()]);
            at = m.start() + 1;
        }
    }
}

#[derive(Default)]
struct FieldBuild {
    presence: Vec<u32>,
    numbers: FxHashMap<i64, Vec<u32>>,
    exact: FxHashMap<Box<str>, Vec<u32>>,
    needles: FxHashMap<Box<str>, Vec<u32>>,
}

/// What the index knows about one field.
struct FieldEntry {
    presence: Vec<u32>,
    /// Rules gated on the value being this number.
    numbers: FxHashMap<i64, Vec<u32>>,
    exact: FxHashMap<Box<str>, Vec<u32>>,
    needles: Option<Needles>,
    /// Every rule with a witness on this field (for values with no text
    /// form the index compares).
    all: Vec<u32>,
}

/// The index over the rules one event log source admits.
pub(crate) struct RouteIndex {
    /// Rules with no witness: evaluated on every event.
    always: Vec<u32>,
    fields: FxHashMap<Box<str>, FieldEntry>,
    keyword: Option<Needles>,
    /// How many rules the route admits.
    pub(crate) admitted: usize,
    /// Whether some rule tests `event.original` or `error.message`.
    virtual_fields: bool,
}

impl RouteIndex {
    /// Indexes the rules (global index, witnesses) this route admits.
    pub(crate) fn build<'a>(rules: impl Iterator<Item = (u32, &'a Analysis)>) -> RouteIndex {
        let mut always = Vec::new();
        let mut fields: FxHashMap<Box<str>, FieldBuild> = FxHashMap::default();
        let mut keyword: FxHashMap<Box<str>, Vec<u32>> = FxHashMap::default();
        let mut admitted = 0;
        for (i, w) in rules {
            admitted += 1;
            let Some(ws) = w else {
                always.push(i);
                continue;
            };
            for w in ws {
                match w {
                    Witness::Exact { field, value } => fields
                        .entry(field.clone())
                        .or_default()
                        .exact
                        .entry(value.clone())
                        .or_default()
                        .push(i),
                    Witness::Substring { field, needle } => fields
                        .entry(field.clone())
                        .or_default()
                        .needles
                        .entry(needle.clone())
                        .or_default()
                        .push(i),
                    Witness::Keyword { needle } => {
                        keyword.entry(needle.clone()).or_default().push(i)
                    }
                    Witness::Present { field } => {
                        fields.entry(field.clone()).or_default().presence.push(i)
                    }
                    Witness::Number { field, value } => fields
                        .entry(field.clone())
                        .or_default()
                        .numbers
                        .entry(*value)
                        .or_default()
                        .push(i),
                }
            }
        }
        let virtual_fields =
            fields.contains_key("event.original") || fields.contains_key("error.message");
        let fields = fields
            .into_iter()
            .map(|(name, b)| {
                let mut all: Vec<u32> = b
                    .presence
                    .iter()
                    .chain(b.exact.values().flatten())
                    .chain(b.numbers.values().flatten())
                    .chain(b.needles.values().flatten())
                    .copied()
                    .collect();
                all.sort_unstable();
                all.dedup();
                let entry = FieldEntry {
                    presence: b.presence,
                    numbers: b.numbers,
                    exact: b.exact,
                    needles: Needles::build(b.needles),
                    all,
                };
                (name, entry)
            })
            .collect();
        RouteIndex {
            always,
            fields,
            keyword: Needles::build(keyword),
            admitted,
            virtual_fields,
        }
    }

    /// Marks in `sc` every rule `ev` could match.
    pub(crate) fn candidates(&self, ev: &Event, sc: &mut Scratch) {
        sc.mark(&self.always);
        for (k, v) in &ev.fields {
            if let Some(fe) = self.fields.get(k.as_str()) {
                self.field(fe, key_id(k), Val::Field(v), sc);
            }
        }
        if self.virtual_fields {
            for (name, key, val) in [
                ("event.original", ORIGINAL_KEY, Some(ev.original.as_str())),
                ("error.message", ERROR_KEY, ev.error.as_deref()),
            ] {
                if let (Some(v), Some(fe)) = (val, self.fields.get(name)) {
                    if !ev.fields.contains_key(name) {
                        self.field(fe, key, Val::Text(v), sc);
                    }
                }
            }
        }
        if let Some(kw) = &self.keyword {
            for (k, v) in &ev.fields {
                if let FieldValue::Str(s) = v {
                    kw.scan_value(key_id(k), s, sc);
                }
            }
        }
    }

    fn field(&self, fe: &FieldEntry, key: usize, v: Val<'_>, sc: &mut Scratch) {
        sc.mark(&fe.presence);
        if !fe.numbers.is_empty() {
            let n = match v {
                Val::Field(FieldValue::Int(i)) => Some(*i as f64),
                Val::Field(FieldValue::Float(f)) => Some(*f),
                Val::Field(FieldValue::Str(s)) => s.parse::<f64>().ok(),
                Val::Text(s) => s.parse::<f64>().ok(),
                Val::Field(FieldValue::Bool(_)) => None,
            };
            if let Some(n) = n.filter(|n| n.fract() == 0.0 && n.abs() < 9e15) {
                if let Some(r) = fe.numbers.get(&(n as i64)) {
                    sc.mark(r);
                }
            }
        }
        if fe.exact.is_empty() && fe.needles.is_none() {
            return;
        }
        let text = match v {
            Val::Text(s) => s,
            Val::Field(FieldValue::Str(s)) => s.as_str(),
            Val::Field(FieldValue::Int(i)) => {
                use std::fmt::Write;
                let mut num = std::mem::take(&mut sc.num);
                num.clear();
                let _ = write!(num, "{i}");
                if let Some(r) = fe.exact.get(num.as_str()) {
                    sc.mark(r);
                }
                if let Some(n) = &fe.needles {
                    n.scan(&num, sc);
                }
                sc.num = num;
                return;
            }
            Val::Field(_) => {
                sc.mark(&fe.all);
                return;
            }
        };
        if !fe.exact.is_empty() {
            let (a, b) = sc.fold(key, text);
            // The buffer is only read here; taking it out lets `mark`
            // borrow the scratch.
            let hay = std::mem::take(&mut sc.buf);
            if let Some(r) = fe.exact.get(&hay[a..b]) {
                sc.mark(r);
            }
            sc.buf = hay;
        }
        if let Some(n) = &fe.needles {
            n.scan_value(key, text, sc);
        }
    }

    /// Rules evaluated on every event of this route.
    pub(crate) fn always(&self) -> usize {
        self.always.len()
    }

    /// A line per indexed field: its name, rules gated on its presence,
    /// exact values, literals (keywords under `*`).
    pub(crate) fn describe(&self) -> Vec<(String, usize, usize, usize)> {
        let lits = |n: &Option<Needles>| n.as_ref().map_or(0, |n| n.rules.len());
        let mut v: Vec<_> = self
            .fields
            .iter()
            .map(|(k, f)| {
                (
                    k.to_string(),
                    f.presence.len(),
                    f.exact.len(),
                    lits(&f.needles),
                )
            })
            .collect();
        v.push(("*".into(), 0, 0, lits(&self.keyword)));
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only two characters fold into ASCII: why scanning an ASCII needle
    /// over a value's folded form finds what rsigma's `to_lowercase`
    /// comparison finds, character for character (see `Scratch::fold`).
    #[test]
    fn only_two_characters_fold_into_ascii() {
        let odd: Vec<char> = (0x80..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| c.to_lowercase().any(|l| l.is_ascii()))
            .collect();
        assert_eq!(odd, vec!['\u{130}', '\u{212A}']);
    }

    #[test]
    fn fold_is_to_lowercase() {
        for s in [
            "C:\\Windows\\System32\\CMD.EXE",
            "Quản Trị Viên ĐÀ NẴNG",
            "ΟΔΟΣ Σ",
            "İstanbul KELVIN \u{212A}",
            "mixed ÄÖÜ ascii ABC",
            "",
        ] {
            let mut sc = Scratch::default();
            let (a, b) = sc.fold(7, s);
            assert_eq!(&sc.buf[a..b], s.to_lowercase(), "{s}");
        }
    }
}
