//! `vedette bench-detect`: the detection engine alone, against rsigma's own
//! engine, in the same run.
//!
//! Reads the inputs (EVTX files, or files of lines, folders walked) into
//! normalized events once, compiles the rules into Vedette's rule set and
//! into rsigma's `Engine` as its command line runs it, then matches every
//! event against each, on one thread, for a few seconds each, and prints
//! rule loading time and memory, events per second and matches per pass
//! for both, and the ratio.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Args;
use time::OffsetDateTime;
use vedette_correlation::{Detector, ReferenceEngine, SigmaRuleSet};
use vedette_model::{Event, Origin};
use vedette_parsers::evtx::{is_evtx_file, EvtxFile};
use vedette_parsers::{Parser, ParserConfig};

/// Options of `vedette bench-detect`.
#[derive(Args)]
pub struct BenchDetectArgs {
    /// Sigma rule files or directories (repeatable).
    #[arg(long, value_name = "PATH", required = true)]
    rules: Vec<PathBuf>,
    /// Seconds of matching per engine (at least one full pass is made).
    #[arg(long, default_value_t = 3.0)]
    secs: f64,
    /// Skip rsigma's engine (only Vedette's is measured).
    #[arg(long)]
    no_reference: bool,
    /// Print what the index holds for each event log source.
    #[arg(long)]
    explain: bool,
    /// EVTX files, files of log lines or NDJSON events, or folders of them.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

fn rss_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn read_events(inputs: &[PathBuf]) -> Result<Vec<Event>> {
    let parser = Parser::new(ParserConfig::default());
    let received = OffsetDateTime::now_utc();
    let origin = Origin::new("bench", None);
    let mut events = Vec::new();
    for path in crate::hunt::expand(inputs) {
        if is_evtx_file(&path)? {
            for rec in EvtxFile::open(&path)?.records().flatten() {
                let id = rec.record_id;
                events.push(rec.to_event(&parser, id, received, origin.clone()));
            }
        } else {
            let bytes = std::fs::read(&path)?;
            for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
                if !line.iter().all(u8::is_ascii_whitespace) {
                    events.push(parser.parse(n as u64 + 1, received, origin.clone(), line));
                }
            }
        }
    }
    Ok(events)
}

/// Passes over `events` with `f` (matches per event) for at least `secs`:
/// (events per second, matches in one pass).
fn measure(events: usize, secs: f64, mut pass: impl FnMut() -> usize) -> (f64, usize) {
    let matches = pass();
    let start = Instant::now();
    let mut n = 0u64;
    while n == 0 || start.elapsed() < Duration::from_secs_f64(secs) {
        std::hint::black_box(pass());
        n += 1;
    }
    (
        (n as f64 * events as f64) / start.elapsed().as_secs_f64(),
        matches,
    )
}

/// Runs `vedette bench-detect`.
pub fn run(a: BenchDetectArgs) -> Result<()> {
    let events = read_events(&a.inputs)?;
    if events.is_empty() {
        bail!("no events read from {:?}", a.inputs);
    }
    let bytes: usize = events.iter().map(|e| e.original.len()).sum();
    println!(
        "{} events ({:.1} MiB as received), one thread",
        events.len(),
        bytes as f64 / 1048576.0
    );

    let rss0 = rss_kib("VmRSS:");
    let t = Instant::now();
    let (set, report) = SigmaRuleSet::load(&a.rules);
    let ours_load = t.elapsed().as_secs_f64();
    let ours_mem = rss_kib("VmRSS:").saturating_sub(rss0) as f64 / 1024.0;
    println!(
        "vedette: {} rules loaded, {} failed, compiled in {ours_load:.2} s, +{ours_mem:.0} MiB resident",
        report.loaded,
        report.errors.len()
    );
    // The first event of each log source builds its route index.
    let t = Instant::now();
    let cands: usize = events.iter().map(|e| set.candidate_count(e)).sum();
    let first = t.elapsed().as_secs_f64();
    let mut routes: Vec<&vedette_model::LogSource> = events.iter().map(|e| &e.logsource).collect();
    routes.sort_by_key(|l| format!("{l:?}"));
    routes.dedup();
    let (mut admitted, mut always) = (0usize, 0usize);
    for e in &events {
        let (a, w) = set.route_stats(&e.logsource);
        admitted += a;
        always += w;
    }
    let n = events.len() as f64;
    println!(
        "vedette: per event, {:.0} rules admitted by its log source, {:.1} always evaluated, {:.1} evaluated after the index ({} log sources, their indexes built in {:.2} s)",
        admitted as f64 / n,
        always as f64 / n,
        cands as f64 / n,
        routes.len(),
        first
    );
    if a.explain {
        for ls in routes {
            println!("index for {ls:?}:");
            for (f, presence, exact, lits) in set.describe_route(ls) {
                println!("  {f}: {presence} presence, {exact} values, {lits} literals");
            }
        }
    }
    let mut hits = Vec::new();
    let (ours, ours_matches) = measure(events.len(), a.secs, || {
        let mut m = 0;
        for e in &events {
            hits.clear();
            set.detect(e, &mut hits);
            m += hits.len();
        }
        m
    });
    println!(
        "vedette: {ours:.0} events/s ({:.2} µs/event), {ours_matches} matches per pass",
        1e6 / ours
    );
    drop(set);
    if a.no_reference {
        return Ok(());
    }

    let json: Vec<serde_json::Value> = events.iter().map(Event::to_json).collect();
    let rss0 = rss_kib("VmRSS:");
    let t = Instant::now();
    let (reference, failed) = ReferenceEngine::load(&a.rules);
    let ref_load = t.elapsed().as_secs_f64();
    let ref_mem = rss_kib("VmRSS:").saturating_sub(rss0) as f64 / 1024.0;
    println!(
        "rsigma:  {} rules loaded, {failed} failed, compiled in {ref_load:.2} s, +{ref_mem:.0} MiB resident",
        reference.rule_count()
    );
    let (theirs, their_matches) = measure(events.len(), a.secs, || {
        json.iter().map(|j| reference.matches(j)).sum()
    });
    println!(
        "rsigma:  {theirs:.0} events/s ({:.2} µs/event), {their_matches} matches per pass (no log source routing)",
        1e6 / theirs
    );
    println!("ratio:   {:.1}x rsigma's events/s", ours / theirs);
    Ok(())
}
