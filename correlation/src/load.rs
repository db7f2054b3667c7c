//! Reading rule files and turning parser output into a report.

use std::fmt;
use std::path::{Path, PathBuf};

use rsigma_parser::{CorrelationRule, FilterRule, SigmaRule};

/// Why a rule did not load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleErrorKind {
    /// The file could not be read.
    Io,
    /// The YAML or the Sigma structure is invalid.
    Parse,
    /// The rule parsed but its detection could not be compiled.
    Compile,
    /// A valid Sigma document of a kind this engine does not run. No longer
    /// produced since correlation and filter rules run; kept so that codes
    /// stay stable.
    Unsupported,
    /// A correlation rule refers to a rule that is not loaded, or
    /// correlations refer to each other in a cycle.
    Reference,
    /// Warning: a filter rule names no loaded rule, so it filters nothing.
    FilterUnused,
}

impl RuleErrorKind {
    /// A stable code for tools and the console.
    pub fn code(self) -> &'static str {
        match self {
            RuleErrorKind::Io => "E001",
            RuleErrorKind::Parse => "E002",
            RuleErrorKind::Compile => "E003",
            RuleErrorKind::Unsupported => "E004",
            RuleErrorKind::Reference => "E005",
            RuleErrorKind::FilterUnused => "W001",
        }
    }
}

/// A rule (or rule file) that did not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The file it came from.
    pub path: String,
    /// The line in that file (1-based), where known: from the YAML parser,
    /// or the first line that holds what the reason names.
    pub line: Option<usize>,
    /// The rule id or title, when known.
    pub rule: Option<String>,
    /// What went wrong.
    pub kind: RuleErrorKind,
    /// Why, in words.
    pub reason: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {} ", self.path, self.kind.code())?,
            None => write!(f, "{}: {} ", self.path, self.kind.code())?,
        }
        if let Some(r) = &self.rule {
            write!(f, "rule {r:?}: ")?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for RuleError {}

/// The outcome of loading rules: how many loaded, each failure, and the
/// warnings about rules that loaded but may not do what their author meant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Detection rules compiled.
    pub loaded: usize,
    /// Correlation rules compiled.
    pub correlations: usize,
    /// Filter rules applied.
    pub filters: usize,
    /// Rules or files that did not load.
    pub errors: Vec<RuleError>,
    /// Rules that loaded with a problem (codes `W...`), such as a filter
    /// that names no loaded rule.
    pub warnings: Vec<RuleError>,
}

impl LoadReport {
    /// Every rule that loaded: detection, correlation and filter rules.
    pub fn total_loaded(&self) -> usize {
        self.loaded + self.correlations + self.filters
    }
}

/// The documents of one file that are not plain detection rules.
#[derive(Debug, Default)]
pub(crate) struct MetaRules {
    /// Correlation rules with the file they came from.
    pub correlations: Vec<(String, CorrelationRule)>,
    /// Filter rules with the file they came from.
    pub filters: Vec<(String, FilterRule)>,
}

/// Reads every rule file under `paths`, in a stable order.
pub(crate) fn read_sources(paths: &[PathBuf]) -> (Vec<(String, String)>, LoadReport) {
    let mut files = Vec::new();
    let mut report = LoadReport::default();
    for p in paths {
        collect(p, &mut files, &mut report);
    }
    files.sort();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        match std::fs::read_to_string(&f) {
            Ok(text) => out.push((f.display().to_string(), text)),
            Err(e) => report.errors.push(RuleError {
                line: None,
                path: f.display().to_string(),
                rule: None,
                kind: RuleErrorKind::Io,
                reason: e.to_string(),
            }),
        }
    }
    (out, report)
}

/// Every rule file (`.yml`, `.yaml`, not hidden) under `paths`, sorted:
/// the files [`crate::SigmaRuleSet::load`] reads. Unreadable paths are left
/// out (`load` reports them).
pub fn rule_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut ignored = LoadReport::default();
    for p in paths {
        collect(p, &mut files, &mut ignored);
    }
    files.sort();
    files
}

fn collect(p: &Path, files: &mut Vec<PathBuf>, report: &mut LoadReport) {
    let io_error = |report: &mut LoadReport, e: std::io::Error| {
        report.errors.push(RuleError {
            line: None,
            path: p.display().to_string(),
            rule: None,
            kind: RuleErrorKind::Io,
            reason: e.to_string(),
        })
    };
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) => return io_error(report, e),
    };
    if meta.is_file() {
        files.push(p.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(p) {
        Ok(e) => e,
        Err(e) => return io_error(report, e),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(&path, files, report);
        } else if name.ends_with(".yml") || name.ends_with(".yaml") {
            files.push(path);
        }
    }
}

/// Parses one file's text; detection rules are returned, correlation and
/// filter rules go into `meta`, and parse errors into the report.
pub(crate) fn parse_rules(
    name: &str,
    text: &str,
    report: &mut LoadReport,
    meta: &mut MetaRules,
) -> Vec<SigmaRule> {
    let collection = match rsigma_parser::parse_sigma_yaml(text) {
        Ok(c) => c,
        Err(e) => {
            report.errors.push(RuleError {
                line: None,
                path: name.to_string(),
                rule: None,
                kind: RuleErrorKind::Parse,
                reason: e.to_string(),
            });
            return Vec::new();
        }
    };
    for e in &collection.errors {
        report.errors.push(RuleError {
            line: None,
            path: name.to_string(),
            rule: None,
            kind: RuleErrorKind::Parse,
            reason: e.clone(),
        });
    }
    meta.correlations.extend(
        collection
            .correlations
            .into_iter()
            .map(|c| (name.to_string(), c)),
    );
    meta.filters.extend(
        collection
            .filters
            .into_iter()
            .map(|f| (name.to_string(), f)),
    );
    collection.rules
}

/// One file's documents, parsed, its detection rules compiled by rsigma.
pub(crate) struct ParsedFile<'a> {
    pub name: &'a str,
    pub report: LoadReport,
    pub meta: MetaRules,
    pub rules: Vec<(SigmaRule, Result<rsigma_eval::CompiledRule, String>)>,
}

fn parse_file<'a>(name: &'a str, text: &str) -> ParsedFile<'a> {
    let mut report = LoadReport::default();
    let mut meta = MetaRules::default();
    let rules = parse_rules(name, text, &mut report, &mut meta)
        .into_iter()
        .map(|r| {
            let c = rsigma_eval::compile_rule(&r).map_err(|e| e.to_string());
            (r, c)
        })
        .collect();
    ParsedFile {
        name,
        report,
        meta,
        rules,
    }
}

/// Parses and compiles `sources` on every core, in contiguous runs of
/// files; the result is in the order of `sources`.
pub(crate) fn parse_all<'a>(sources: &[(&'a str, &str)]) -> Vec<ParsedFile<'a>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(sources.len() / 64 + 1);
    if threads <= 1 {
        return sources.iter().map(|(n, t)| parse_file(n, t)).collect();
    }
    let chunk = sources.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = sources
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(n, t)| parse_file(n, t))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(sources.len());
        for (h, part) in handles.into_iter().zip(sources.chunks(chunk)) {
            match h.join() {
                Ok(files) => out.extend(files),
                // A panic in rsigma on one run of files: parse them again
                // one by one here, so that the panic reaches the caller as
                // it would without threads.
                Err(_) => out.extend(part.iter().map(|(n, t)| parse_file(n, t))),
            }
        }
        out
    })
}

/// Where in `text` the problem `reason` describes is, as a 1-based line:
/// the YAML parser's `at line N`, else the first line that holds the quoted
/// or trailing name the reason gives (an unknown modifier, a missing
/// selection named by a condition).
pub(crate) fn locate(text: &str, reason: &str) -> Option<usize> {
    if let Some(at) = reason.find("at line ") {
        let n: String = reason[at + 8..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = n.parse::<usize>() {
            return Some(n);
        }
    }
    let quoted = reason
        .split(['\'', '"'])
        .nth(1)
        .filter(|q| !q.trim().is_empty());
    let trailing = reason
        .rsplit(": ")
        .next()
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() < 200 && !t.contains(' '));
    let needle = quoted.or(trailing)?;
    let lines: Vec<&str> = text.lines().collect();
    // A condition naming it comes first for "identifier" errors.
    if reason.contains("identifier") {
        if let Some(i) = lines
            .iter()
            .position(|l| l.trim_start().starts_with("condition") && l.contains(needle))
        {
            return Some(i + 1);
        }
    }
    lines.iter().position(|l| l.contains(needle)).map(|i| i + 1)
}

#[cfg(test)]
mod locate_tests {
    use super::locate;

    #[test]
    fn finds_lines() {
        let text = "title: a\ndetection:\n  sel:\n    a|nosuchmod: b\n  condition: sel and nope\n";
        assert_eq!(locate(text, "Unknown modifier 'nosuchmod'"), Some(4));
        assert_eq!(locate(text, "unknown detection identifier: nope"), Some(5));
        assert_eq!(
            locate(text, "mapping values are not allowed at line 7 column 3"),
            Some(7)
        );
        assert_eq!(locate(text, "something vague happened"), None);
    }
}
