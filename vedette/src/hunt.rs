//! `vedette hunt`: Sigma rules over files, without a server. The same
//! parser and detection engine as `serve`, on EVTX files, JSON or NDJSON
//! event files and plain log files (or folders of them), with one JSON line
//! on stdout per match.
//!
//! One reader thread walks the inputs and hands out batches: lines of a
//! text file, JSON documents, or one undecoded 64 KiB EVTX chunk. A pool of
//! workers (one per core) decodes, parses and matches each batch and sends
//! its output lines, whole, to the main thread, the only writer.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use time::OffsetDateTime;
use vedette_correlation::{CorrelationConfig, Detection, Detector, SigmaRuleSet};
use vedette_model::{Event, Origin};
use vedette_parsers::evtx::{EvtxChunk, EvtxFile};
use vedette_parsers::{Framer, Parser, SourceRule};

use crate::config::Config;

/// Options of `vedette hunt`.
#[derive(Args)]
#[command(after_help = "\
Inputs are EVTX files (recognized by their first bytes, whatever their name), \
JSON files (one document, an array of events, or several documents), NDJSON \
files and plain log files (one record per line, format detected per line), or \
folders of them, walked recursively (binary files that are not EVTX are skipped).

Each match is one JSON line on stdout:
  {\"rule_id\",\"title\",\"level\",\"tags\",\"file\",\"event\":{...}}
where event is the normalized event (event.id: the line number, the JSON \
document number or the EVTX EventRecordID). Rule load failures, unreadable \
inputs and a summary go to stderr, with a progress bar when stderr is a terminal.

Detection rules run, with the filter rules that apply to them. Correlation \
rules run too: the events that match a rule a correlation refers to are held \
back, and once every input is read they go through the correlation rules in \
time order (@timestamp); their matches and the correlations that fire are \
printed then, a correlation as a line with a \"correlation\" object (type, \
group, value, timespan_secs, linked_events: the file and event.id of each of \
its events). \
They are held in a temporary file, about 40 bytes each in memory.

The exit status is 0 whether or not rules matched; 1 when no input could be read.

Examples:
  vedette hunt --rules sigma/rules/windows Security.evtx Sysmon.evtx
  vedette hunt --rules sigma/rules/linux /var/log/auth.log > hits.ndjson
  vedette hunt --rules my-rules/ --rules extra.yml collected-logs/")]
pub struct HuntArgs {
    /// Sigma rule files or directories (repeatable) [default: the built-in
    /// pack, the project's rules/].
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// TOML config file: its time zone (for times without one) applies.
    #[arg(long, env = "VEDETTE_CONFIG")]
    config: Option<PathBuf>,
    /// Format of the lines of text files: `auto` (detect per line),
    /// `syslog`, or a format name from `vedette parse --list-formats`.
    /// EVTX records are always Windows events.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Worker threads [default: the number of cores].
    #[arg(long)]
    threads: Option<usize>,
    /// EVTX files, JSON/NDJSON files, log files, or folders of them.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// Lines (or JSON documents) per batch.
const BATCH_RECORDS: usize = 1024;
/// Bytes of text per batch, at most (a batch also ends at a file's end).
const BATCH_BYTES: usize = 1 << 20;
/// Error messages printed before the rest are only counted.
const MAX_MESSAGES: u64 = 200;

/// What a worker gets: records of one file.
enum Work {
    /// Text records (lines or JSON documents), each with its number.
    Text {
        file: Arc<str>,
        records: Vec<(u64, Vec<u8>)>,
        /// The W3C directives (`#Fields:`, `#Date:`) in force where the
        /// batch starts, to replay into the batch's own parser.
        preamble: Vec<Vec<u8>>,
    },
    /// One EVTX chunk, to decode.
    Evtx { file: Arc<str>, chunk: EvtxChunk },
}

/// What a worker sends back.
struct Output {
    /// Whole JSON lines, one per match.
    text: Vec<u8>,
    events: u64,
    matches: u64,
    /// Records that could not be read (with their file).
    errors: Vec<String>,
    /// Events whose matches feed correlation rules, held back to go
    /// through them in time order.
    deferred: Vec<Held>,
}

/// The inputs, rules and parsers shared by every thread.
struct Hunt {
    rules: SigmaRuleSet,
    /// For lines of text files (honours `--format`).
    text_parser: Parser,
    /// For EVTX records: always detected as Windows events.
    evtx_parser: Parser,
    received: OffsetDateTime,
    /// The fields correlation rules read (what a held event keeps).
    correlation_fields: Vec<String>,
}

impl Hunt {
    fn event_out(&self, file: &Arc<str>, ev: Event, hits: &mut Vec<Detection>, out: &mut Output) {
        out.events += 1;
        hits.clear();
        self.rules.detect(&ev, hits);
        if hits.is_empty() {
            return;
        }
        if self.rules.feeds_correlation(hits) {
            let held = Held::new(file, &ev, std::mem::take(hits), &self.correlation_fields);
            out.deferred.push(held);
            return;
        }
        out.matches += write_matches(&mut out.text, file, &ev, hits);
    }

    fn work(&self, w: Work, hits: &mut Vec<Detection>) -> Output {
        let mut out = Output {
            text: Vec::new(),
            events: 0,
            matches: 0,
            errors: Vec::new(),
            deferred: Vec::new(),
        };
        let origin = Origin::new("hunt", None);
        match w {
            Work::Text {
                file,
                records,
                preamble,
            } => {
                // A W3C layout is per file: a batch that holds or follows a
                // directive gets a parser of its own, so that no other file
                // (parsed by another worker under the same origin) sees it.
                let own = (!preamble.is_empty()
                    || records
                        .iter()
                        .any(|(_, b)| vedette_parsers::changes_state(b)))
                .then(|| self.text_parser.fresh());
                let parser = own.as_ref().unwrap_or(&self.text_parser);
                for line in &preamble {
                    parser.parse(0, self.received, origin.clone(), line);
                }
                for (n, bytes) in records {
                    let ev = parser.parse(n, self.received, origin.clone(), &bytes);
                    self.event_out(&file, ev, hits, &mut out);
                }
            }
            Work::Evtx { file, chunk } => {
                for rec in chunk.records() {
                    match rec {
                        Ok(r) => {
                            let ev = r.to_event(
                                &self.evtx_parser,
                                r.record_id,
                                self.received,
                                origin.clone(),
                            );
                            self.event_out(&file, ev, hits, &mut out);
                        }
                        Err(e) => out.errors.push(format!("{file}: {e}")),
                    }
                }
            }
        }
        out
    }
}

/// An event held back for the correlation rules, as a worker sends it.
struct Held {
    file: Arc<str>,
    timestamp: OffsetDateTime,
    /// The event id (line, document or record number).
    seq: u64,
    /// `{"fields":{...},"hits":[...],"event":{...}}`: the fields the
    /// correlation rules read, the ids of the rules it matched, the event.
    record: String,
    hits: Vec<Detection>,
}

impl Held {
    fn new(file: &Arc<str>, ev: &Event, hits: Vec<Detection>, fields: &[String]) -> Held {
        let kept: serde_json::Map<String, serde_json::Value> = ev
            .fields
            .iter()
            .filter(|(k, _)| fields.iter().any(|f| f == *k))
            .map(|(k, v)| (k.to_string(), v.to_json()))
            .collect();
        let ids: Vec<&str> = hits.iter().map(|h| h.rule_id.as_str()).collect();
        let record = format!(
            "{{\"fields\":{},\"hits\":{},\"event\":{}}}",
            serde_json::Value::Object(kept),
            serde_json::json!(ids),
            ev.to_json()
        );
        Held {
            file: Arc::clone(file),
            timestamp: ev.timestamp,
            seq: ev.seq,
            record,
            hits,
        }
    }
}

/// Where a held event is: its sort key and its record's place in the
/// spill file.
struct HeldKey {
    timestamp: OffsetDateTime,
    file: u32,
    seq: u64,
    at: u64,
    len: u32,
}

/// Held events, written to an unnamed temporary file as they come; memory
/// keeps about 40 bytes per event, so that hunting years of
/// authentication logs with a brute-force rule does not hold them all.
struct Spill {
    out: std::io::BufWriter<std::fs::File>,
    written: u64,
    keys: Vec<HeldKey>,
    files: Vec<Arc<str>>,
    /// Each rule's detection, by id (what a record's `hits` name).
    rules: std::collections::HashMap<String, Detection>,
}

impl Spill {
    fn new() -> std::io::Result<Spill> {
        Ok(Spill {
            out: std::io::BufWriter::with_capacity(1 << 20, tempfile::tempfile()?),
            written: 0,
            keys: Vec::new(),
            files: Vec::new(),
            rules: std::collections::HashMap::new(),
        })
    }

    fn push(&mut self, h: Held) -> std::io::Result<()> {
        let file = match self.files.iter().rposition(|f| Arc::ptr_eq(f, &h.file)) {
            Some(i) => i,
            None => {
                self.files.push(h.file);
                self.files.len() - 1
            }
        };
        for d in h.hits {
            if !self.rules.contains_key(&d.rule_id) {
                self.rules.insert(d.rule_id.clone(), d);
            }
        }
        self.out.write_all(h.record.as_bytes())?;
        self.keys.push(HeldKey {
            timestamp: h.timestamp,
            file: file as u32,
            seq: h.seq,
            at: self.written,
            len: h.record.len() as u32,
        });
        self.written += h.record.len() as u64;
        Ok(())
    }
}

/// Writes one JSON line per detection in `hits` for `ev`; how many.
fn write_matches(text: &mut Vec<u8>, file: &str, ev: &Event, hits: &[Detection]) -> u64 {
    write_lines(text, file, &ev.to_json().to_string(), hits, &|_| {
        serde_json::Value::Null
    })
}

/// [`write_matches`] for an event already serialized (`event`), with a
/// correlation's linked events (its events' positions in the correlated
/// sequence) written as `linked(position)`.
fn write_lines(
    text: &mut Vec<u8>,
    file: &str,
    event: &str,
    hits: &[Detection],
    linked: &dyn Fn(u64) -> serde_json::Value,
) -> u64 {
    for h in hits {
        let mut line = serde_json::json!({
            "rule_id": h.rule_id,
            "title": h.title,
            "level": h.level.as_str(),
            "tags": h.tags,
            "file": file,
        });
        if let Some(c) = &h.correlation {
            line["correlation"] = serde_json::json!({
                "type": c.kind,
                "group": c.group,
                "value": c.value,
                "timespan_secs": c.timespan_secs,
                "linked_events": c.linked_events.iter().map(|&i| linked(i)).collect::<Vec<_>>(),
            });
        }
        // Serializing a Value into a Vec cannot fail. The event goes last,
        // spliced in as it was serialized once.
        let _ = serde_json::to_writer(&mut *text, &line);
        text.pop();
        text.extend_from_slice(b",\"event\":");
        text.extend_from_slice(event.as_bytes());
        text.extend_from_slice(b"}\n");
    }
    hits.len() as u64
}

/// Counters the reader keeps.
#[derive(Default)]
struct ReadStats {
    files: AtomicU64,
    unreadable: AtomicU64,
    skipped: AtomicU64,
}

/// Runs `vedette hunt`; the exit status.
pub fn run(a: HuntArgs) -> Result<std::process::ExitCode> {
    let started = Instant::now();
    let cfg = match &a.config {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    let pcfg = cfg.parser_config()?;
    let mut text_cfg = pcfg.clone();
    if a.format != "auto" {
        let forced = SourceRule::new("--format", &[], &[], &[], Some(&a.format), None)?;
        text_cfg.sources.insert(0, forced);
    }
    let (rules, report) = if a.rules.is_empty() {
        SigmaRuleSet::from_sources(crate::EMBEDDED_RULES.iter().copied())
    } else {
        SigmaRuleSet::load(&a.rules)
    };
    for e in &report.errors {
        eprintln!("rule not loaded: {e}");
    }
    for w in &report.warnings {
        eprintln!("rule warning: {w}");
    }
    if report.loaded == 0 {
        bail!("no detection rule loaded from {:?}", a.rules);
    }
    let rule_count = report.loaded;
    let correlation_rules = report.correlations;
    let loaded_in = started.elapsed().as_secs_f64();
    let scan_started = Instant::now();
    let inputs = expand(&a.inputs);
    let total_bytes: u64 = inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress_bar(total_bytes);
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let hunt = Hunt {
        correlation_fields: rules.correlation_fields(),
        rules,
        text_parser: Parser::new(text_cfg),
        evtx_parser: Parser::new(pcfg),
        received: OffsetDateTime::now_utc(),
    };
    let stats = ReadStats::default();
    let stop = AtomicBool::new(false);
    let messages = AtomicU64::new(0);
    let say = |msg: String| {
        if messages.fetch_add(1, Ordering::Relaxed) < MAX_MESSAGES {
            bar.suspend(|| eprintln!("{msg}"));
        }
    };
    let (mut events, mut matches, mut record_errors) = (0u64, 0u64, 0u64);
    let mut write_err = None;
    let mut spill = Spill::new().context("creating a temporary file for the correlation rules")?;
    let mut spill_err = None;
    let mut correlations_fired = 0u64;
    std::thread::scope(|s| {
        let (work_tx, work_rx) = sync_channel::<Work>(threads * 2);
        let (out_tx, out_rx) = sync_channel::<Output>(threads * 4);
        let work_rx = Arc::new(Mutex::new(work_rx));
        for _ in 0..threads {
            let work_rx = Arc::clone(&work_rx);
            let out_tx = out_tx.clone();
            let hunt = &hunt;
            s.spawn(move || worker(hunt, &work_rx, &out_tx));
        }
        drop(out_tx);
        let (stats, stop, bar, say) = (&stats, &stop, &bar, &say);
        let inputs = &inputs;
        // ModSecurity serial transactions are joined unless the lines are
        // fixed to another format.
        let join_modsec = matches!(a.format.as_str(), "auto" | "modsecurity");
        s.spawn(move || {
            for path in inputs {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                read_input(path, &work_tx, stats, bar, say, join_modsec);
            }
        });
        let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        for out in out_rx {
            events += out.events;
            matches += out.matches;
            for h in out.deferred {
                if spill_err.is_none() {
                    if let Err(e) = spill.push(h) {
                        spill_err = Some(e);
                    }
                }
            }
            for e in out.errors {
                record_errors += 1;
                say(e);
            }
            if let Err(e) = stdout.write_all(&out.text) {
                // Dropping the receiver stops the workers, then the reader.
                write_err = Some(e);
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        if write_err.is_none() && spill_err.is_none() && !spill.keys.is_empty() {
            match correlate(&hunt.rules, spill, &mut stdout, &mut write_err) {
                Ok((m, fired)) => {
                    matches += m;
                    correlations_fired = fired;
                }
                Err(e) => spill_err = Some(e),
            }
        }
        if write_err.is_none() {
            if let Err(e) = stdout.flush() {
                write_err = Some(e);
            }
        }
    });
    bar.finish_and_clear();
    match write_err {
        // `vedette hunt ... | head`: the reader went away, not an error.
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Some(e) => return Err(e).context("writing to stdout"),
        None => {}
    }
    if let Some(e) = spill_err {
        return Err(e).context("holding events for the correlation rules in a temporary file");
    }
    let scanned_in = scan_started.elapsed().as_secs_f64();
    let files = stats.files.load(Ordering::Relaxed);
    let unreadable = stats.unreadable.load(Ordering::Relaxed);
    let skipped = stats.skipped.load(Ordering::Relaxed);
    let said = messages.load(Ordering::Relaxed);
    if said > MAX_MESSAGES {
        eprintln!("... and {} more messages", said - MAX_MESSAGES);
    }
    eprintln!(
        "hunt: {files} files, {events} events, {matches} matches{}, {rule_count} rules (loaded in {loaded_in:.2} s), scanned in {scanned_in:.2} s, {:.0} events/s, {threads} threads{}{}{}",
        if correlation_rules > 0 {
            format!(" ({correlations_fired} from {correlation_rules} correlation rules)")
        } else {
            String::new()
        },
        events as f64 / scanned_in.max(1e-9),
        if unreadable > 0 { format!(", {unreadable} unreadable") } else { String::new() },
        if skipped > 0 { format!(", {skipped} skipped (binary)") } else { String::new() },
        if record_errors > 0 { format!(", {record_errors} unreadable records") } else { String::new() },
    );
    Ok(if files == 0 && (unreadable > 0 || inputs.is_empty()) {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    })
}

/// Runs the held-back events through the correlation rules in time order
/// (file and record order among equal times) and writes their lines:
/// (lines written, correlations fired).
fn correlate(
    rules: &SigmaRuleSet,
    spill: Spill,
    out: &mut impl Write,
    err: &mut Option<std::io::Error>,
) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::FileExt;
    let Spill {
        out: writer,
        mut keys,
        files,
        rules: detections,
        ..
    } = spill;
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    keys.sort_by(|a, b| {
        (a.timestamp, &files[a.file as usize], a.seq).cmp(&(
            b.timestamp,
            &files[b.file as usize],
            b.seq,
        ))
    });
    let mut correlator = rules.correlator(CorrelationConfig::default());
    let (mut lines, mut fired) = (0u64, 0u64);
    let mut text = Vec::new();
    // The correlator links events by `seq`: here, their position in time
    // order, since record numbers repeat across files.
    let linked = |i: u64| match keys.get(i as usize) {
        Some(k) => serde_json::json!({
            "file": &*files[k.file as usize],
            "event.id": k.seq.to_string(),
        }),
        None => serde_json::Value::Null,
    };
    let mut buf = Vec::new();
    let origin = Origin::new("hunt", None);
    for (i, k) in keys.iter().enumerate() {
        buf.resize(k.len as usize, 0);
        file.read_exact_at(&mut buf, k.at)?;
        let rec: serde_json::Value = serde_json::from_slice(&buf)?;
        let mut slim = Event::raw(i as u64, k.timestamp, origin.clone(), b"");
        slim.fields.clear();
        slim.timestamp = k.timestamp;
        if let Some(m) = rec["fields"].as_object() {
            for (name, v) in m {
                if let Some(v) = field_value(v) {
                    slim.fields.insert(name.clone(), v);
                }
            }
        }
        let mut hits: Vec<Detection> = rec["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| detections.get(id.as_str()?).cloned())
            .collect();
        correlator.process(&slim, &mut hits);
        fired += hits.iter().filter(|h| h.correlation.is_some()).count() as u64;
        text.clear();
        let event = rec["event"].to_string();
        lines += write_lines(&mut text, &files[k.file as usize], &event, &hits, &linked);
        if let Err(e) = out.write_all(&text) {
            *err = Some(e);
            break;
        }
    }
    Ok((lines, fired))
}

/// A field value back from its JSON form.
fn field_value(v: &serde_json::Value) -> Option<vedette_model::FieldValue> {
    use vedette_model::FieldValue;
    Some(match v {
        serde_json::Value::String(s) => FieldValue::from(s.as_str()),
        serde_json::Value::Bool(b) => FieldValue::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => FieldValue::Int(i),
            None => FieldValue::Float(n.as_f64()?),
        },
        _ => return None,
    })
}

fn progress_bar(total: u64) -> ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn worker(hunt: &Hunt, work: &Mutex<Receiver<Work>>, out: &SyncSender<Output>) {
    let mut hits = Vec::new();
    loop {
        // Hold the lock only to take one batch.
        let next = match work.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(w) = next else { return };
        if out.send(hunt.work(w, &mut hits)).is_err() {
            return;
        }
    }
}

/// The files named, folders walked recursively (sorted); a name that does
/// not exist is kept, to be reported when read.
pub(crate) fn expand(inputs: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            out.push(dir.to_path_buf());
            return;
        };
        let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// How a file is read.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Evtx,
    /// JSON documents that span lines (one, an array, or several).
    JsonDocuments,
    /// One record per line (NDJSON included).
    Lines,
    /// Neither text nor EVTX.
    Binary,
}

/// The kind of a file, from its first bytes.
fn kind(head: &[u8]) -> Kind {
    if vedette_parsers::evtx::is_evtx(head) {
        return Kind::Evtx;
    }
    if head.contains(&0) {
        return Kind::Binary;
    }
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('[') {
        return Kind::JsonDocuments;
    }
    if t.starts_with('{') {
        // NDJSON when the first line is a whole JSON document.
        let first = t.lines().next().unwrap_or("");
        if serde_json::from_str::<serde::de::IgnoredAny>(first).is_err() {
            return Kind::JsonDocuments;
        }
    }
    Kind::Lines
}

/// Reads one input into batches for the workers.
fn read_input(
    path: &Path,
    work: &SyncSender<Work>,
    stats: &ReadStats,
    bar: &ProgressBar,
    say: &(dyn Fn(String) + Sync),
    join_modsec: bool,
) {
    let name: Arc<str> = path.display().to_string().into();
    bar.set_message(name.to_string());
    let mut head = Vec::with_capacity(8192);
    let opened =
        std::fs::File::open(path).and_then(|f| f.take(8192).read_to_end(&mut head).map(|_| ()));
    if let Err(e) = opened {
        stats.unreadable.fetch_add(1, Ordering::Relaxed);
        say(format!("{name}: cannot read: {e}"));
        return;
    }
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let k = kind(&head);
    let read = match k {
        Kind::Binary => {
            stats.skipped.fetch_add(1, Ordering::Relaxed);
            say(format!("{name}: skipped: binary, and not an EVTX file"));
            bar.inc(size);
            return;
        }
        Kind::Evtx => read_evtx(path, &name, work, bar, say),
        Kind::JsonDocuments => read_json_documents(path, &name, work, bar, say),
        Kind::Lines => read_lines(path, &name, work, bar, join_modsec),
    };
    match read {
        Ok(()) => {
            stats.files.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => {
            stats.unreadable.fetch_add(1, Ordering::Relaxed);
            say(format!("{name}: {e:#}"));
        }
    }
}

fn read_evtx(
    path: &Path,
    name: &Arc<str>,
    work: &SyncSender<Work>,
    bar: &ProgressBar,
    say: &(dyn Fn(String) + Sync),
) -> Result<()> {
    let file = EvtxFile::open(path)?;
    bar.inc(4096);
    for chunk in file.into_chunks() {
        bar.inc(65536);
        match chunk {
            Ok(chunk) => {
                let w = Work::Evtx {
                    file: Arc::clone(name),
                    chunk,
                };
                if work.send(w).is_err() {
                    break;
                }
            }
            Err(e) => say(format!("{name}: {e}")),
        }
    }
    Ok(())
}

/// Sends `records` as one batch (and empties it).
fn flush(name: &Arc<str>, records: &mut Vec<(u64, Vec<u8>)>, work: &SyncSender<Work>) -> bool {
    flush_with(name, records, Vec::new(), work)
}

/// Sends `records` as one batch, with the W3C directives in force where it
/// starts.
fn flush_with(
    name: &Arc<str>,
    records: &mut Vec<(u64, Vec<u8>)>,
    preamble: Vec<Vec<u8>>,
    work: &SyncSender<Work>,
) -> bool {
    if records.is_empty() {
        return true;
    }
    work.send(Work::Text {
        file: Arc::clone(name),
        records: std::mem::take(records),
        preamble,
    })
    .is_ok()
}

/// The W3C directives that set a file's layout, as the reader meets them:
/// the last `#Fields:` and the last `#Date:`.
#[derive(Default)]
struct Directives {
    fields: Option<Vec<u8>>,
    date: Option<Vec<u8>>,
}

impl Directives {
    fn see(&mut self, line: &[u8]) {
        if !vedette_parsers::changes_state(line) {
            return;
        }
        let fields = line.windows(8).any(|w| w == b"#Fields:");
        let slot = if fields {
            &mut self.fields
        } else {
            &mut self.date
        };
        *slot = Some(line.to_vec());
    }

    fn preamble(&self) -> Vec<Vec<u8>> {
        self.date.iter().chain(&self.fields).cloned().collect()
    }
}

/// A file of lines. The lines of one ModSecurity serial audit log
/// transaction are joined into one record (`join_modsec`), and each batch
/// carries the W3C directives in force where it starts (so that an IIS
/// log's `#Fields:` applies to the lines after it whichever worker parses
/// them). Audit records are not joined: Sigma's auditd rules select single
/// records by `type`.
fn read_lines(
    path: &Path,
    name: &Arc<str>,
    work: &SyncSender<Work>,
    bar: &ProgressBar,
    join_modsec: bool,
) -> Result<()> {
    let f = std::fs::File::open(path).context("cannot open")?;
    let mut r = BufReader::with_capacity(1 << 20, f);
    let (mut n, mut bytes) = (0u64, 0usize);
    let mut batch = Vec::with_capacity(BATCH_RECORDS);
    let mut line = Vec::new();
    let mut framer = Framer::for_format(if join_modsec { "modsecurity" } else { "none" });
    let mut framed = Vec::new();
    let mut directives = Directives::default();
    let mut preamble = Vec::new();
    loop {
        line.clear();
        let got = r.read_until(b'\n', &mut line).context("cannot read")?;
        if got == 0 {
            break;
        }
        bar.inc(got as u64);
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) && !framer.in_record() {
            continue;
        }
        framer.push(n, &line, &mut framed);
        for rec in framed.drain(..) {
            directives.see(&rec.bytes);
            bytes += rec.bytes.len();
            batch.push((rec.first, rec.bytes));
        }
        if batch.len() >= BATCH_RECORDS || bytes >= BATCH_BYTES {
            bytes = 0;
            let next = directives.preamble();
            if !flush_with(
                name,
                &mut batch,
                std::mem::replace(&mut preamble, next),
                work,
            ) {
                return Ok(());
            }
        }
    }
    framer.flush(&mut framed);
    batch.extend(framed.drain(..).map(|rec| (rec.first, rec.bytes)));
    flush_with(name, &mut batch, preamble, work);
    Ok(())
}

/// A JSON file of documents that span lines: each top-level document, or
/// each element of a top-level array, is one record (as compact JSON).
fn read_json_documents(
    path: &Path,
    name: &Arc<str>,
    work: &SyncSender<Work>,
    bar: &ProgressBar,
    say: &(dyn Fn(String) + Sync),
) -> Result<()> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let f = std::fs::File::open(path).context("cannot open")?;
    let docs = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, f))
        .into_iter::<serde_json::Value>();
    let (mut n, mut bytes) = (0u64, 0usize);
    let mut batch = Vec::with_capacity(BATCH_RECORDS);
    for doc in docs {
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                // The stream cannot resume after a syntax error.
                say(format!(
                    "{name}: JSON document {}: {e}; the rest of the file is skipped",
                    n + 1
                ));
                break;
            }
        };
        let items = match doc {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        for item in items {
            n += 1;
            let text = serde_json::to_vec(&item).context("re-encoding a JSON document")?;
            bytes += text.len();
            batch.push((n, text));
            if batch.len() >= BATCH_RECORDS || bytes >= BATCH_BYTES {
                bytes = 0;
                if !flush(name, &mut batch, work) {
                    return Ok(());
                }
            }
        }
    }
    flush(name, &mut batch, work);
    bar.inc(size);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(kind(b"ElfFile\0\x00\x00"), Kind::Evtx);
        assert_eq!(kind(b"\x1f\x8b\x08\x00\x00"), Kind::Binary);
        assert_eq!(kind(b"Nov 25 10:00:00 host sshd[1]: x\n"), Kind::Lines);
        assert_eq!(kind(b"{\"a\":1}\n{\"a\":2}\n"), Kind::Lines);
        assert_eq!(kind(b"{\n  \"Event\": {\n"), Kind::JsonDocuments);
        assert_eq!(kind(b"  [{\"a\":1},"), Kind::JsonDocuments);
        assert_eq!(kind(b""), Kind::Lines);
    }
}
