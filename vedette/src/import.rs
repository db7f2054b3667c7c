//! `vedette import`: log files through the same pipeline as live syslog.
//!
//! A text file goes in line by line, except that the lines of one
//! ModSecurity serial audit log transaction are joined into one record
//! first (`vedette_parsers::Framer`), so that each makes one event (with
//! `--to`, lines are sent as they are: newline framing cannot carry a
//! multi-line record). Audit records are not joined here: a joined audit
//! event has one `type` (its SYSCALL's), and Sigma's auditd rules select
//! records by `type: EXECVE`, `type: PATH`, ...; imported audit records stay
//! one event each, as live ones, until detection can match a joined event's
//! `type` against every record it holds. An EVTX file (by its `.evtx` name or
//! its `ElfFile` magic) goes in record by record, each record as the JSON a
//! forwarder would send (`{"Event":{"System":..,"EventData":..}}`, one
//! frame), which the pipeline's parser reads as a Windows event like any
//! live one.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use time::OffsetDateTime;
use vedette_model::Origin;
use vedette_parsers::evtx::EvtxFile;
use vedette_parsers::Framer;

use crate::config::Config;
use crate::node::Node;

/// Lines appended between spool syncs.
const SYNC_EVERY: usize = 8192;

/// Imports `files`: into the data directory when no server holds it, or
/// over TCP syslog to a running node with `to`.
pub async fn import(cfg: Config, files: &[PathBuf], to: Option<&str>) -> Result<()> {
    let total: u64 = files
        .iter()
        .map(|f| {
            std::fs::metadata(f)
                .map(|m| m.len())
                .with_context(|| format!("reading {}", f.display()))
        })
        .sum::<Result<u64>>()?;
    // An EVTX file whose header does not read stops the import before
    // anything is sent (damage further in is reported and skipped).
    for f in files {
        if is_evtx(f)? {
            EvtxFile::open(f).with_context(|| format!("reading {}", f.display()))?;
        }
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if let Some(addr) = to {
        return send(addr, files, &bar);
    }
    let (node, mut writer) = Node::open(cfg).await.map_err(|e| {
        e.context("cannot open the data directory (if `vedette serve` is running on it, add --to HOST:PORT to send through its syslog TCP listener)")
    })?;
    let pipeline = node.start_pipeline(
        tokio::runtime::Handle::current(),
        tokio_util::sync::CancellationToken::new(),
    )?;
    let origin = Origin::new("import", None);
    let mut lines = 0u64;
    let mut records = 0u64;
    let mut records_text = 0u64;
    for f in files {
        bar.set_message(f.display().to_string());
        if is_evtx(f)? {
            let mut appended = 0u64;
            let n = evtx_records(f, &bar, &mut |json| {
                writer.append(OffsetDateTime::now_utc(), &origin, false, json)?;
                appended += 1;
                if appended.is_multiple_of(SYNC_EVERY as u64) {
                    writer.sync()?;
                }
                Ok(())
            })?;
            records += n;
            continue;
        }
        let file = std::fs::File::open(f).with_context(|| format!("opening {}", f.display()))?;
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut line = Vec::new();
        // The lines of one ModSecurity serial transaction go in as one
        // spool record (joined here, before the spool, so that nothing
        // acknowledged depends on memory).
        let mut framer = Framer::for_format("modsecurity");
        let mut framed = Vec::new();
        let mut number = 0u64;
        loop {
            line.clear();
            let n = r
                .read_until(b'\n', &mut line)
                .with_context(|| format!("reading {}", f.display()))?;
            if n == 0 {
                break;
            }
            bar.inc(n as u64);
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            number += 1;
            if line.is_empty() && !framer.in_record() {
                continue;
            }
            framer.push(number, &line, &mut framed);
            for rec in framed.drain(..) {
                writer.append(OffsetDateTime::now_utc(), &origin, false, &rec.bytes)?;
                lines += rec.lines as u64;
                records_text += 1;
                if records_text.is_multiple_of(SYNC_EVERY as u64) {
                    writer.sync()?;
                }
            }
        }
        framer.flush(&mut framed);
        for rec in framed.drain(..) {
            writer.append(OffsetDateTime::now_utc(), &origin, false, &rec.bytes)?;
            lines += rec.lines as u64;
            records_text += 1;
        }
    }
    writer.sync()?;
    node.spool.close();
    bar.set_message("indexing");
    let joined = tokio::task::spawn_blocking(move || pipeline.join()).await?;
    match joined {
        Ok(r) => r?,
        Err(_) => anyhow::bail!("the pipeline thread panicked"),
    }
    bar.finish_and_clear();
    node.store.close().await;
    let as_records = if records_text < lines {
        format!(" as {records_text} records")
    } else {
        String::new()
    };
    eprintln!(
        "imported {lines} lines{as_records}{} from {} file(s): {} parsed, {} kept raw, {} new alerts",
        evtx_note(records),
        files.len(),
        node.stats.parsed.load(Ordering::Relaxed),
        node.stats.failed.load(Ordering::Relaxed),
        node.stats.alerts.load(Ordering::Relaxed),
    );
    Ok(())
}

/// Streams the files as newline-framed syslog to a running node.
fn send(addr: &str, files: &[PathBuf], bar: &ProgressBar) -> Result<()> {
    let stream =
        std::net::TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, stream);
    let mut lines = 0u64;
    let mut records = 0u64;
    for f in files {
        if is_evtx(f)? {
            let n = evtx_records(f, bar, &mut |json| {
                w.write_all(json)
                    .and_then(|()| w.write_all(b"\n"))
                    .with_context(|| format!("sending to {addr}"))
            })?;
            records += n;
            continue;
        }
        let file = std::fs::File::open(f).with_context(|| format!("opening {}", f.display()))?;
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = r.read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            bar.inc(n as u64);
            if line.last() != Some(&b'\n') {
                line.push(b'\n');
            }
            w.write_all(&line)
                .with_context(|| format!("sending to {addr}"))?;
            lines += 1;
        }
    }
    w.flush()?;
    bar.finish_and_clear();
    eprintln!("sent {lines} lines{} to {addr}", evtx_note(records));
    Ok(())
}

/// ` and N EVTX records`, when there were any.
fn evtx_note(records: u64) -> String {
    if records == 0 {
        String::new()
    } else {
        format!(" and {records} EVTX records")
    }
}

/// Whether `f` is an EVTX file: by its name, else by its first bytes.
fn is_evtx(f: &Path) -> Result<bool> {
    if f.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
    {
        return Ok(true);
    }
    vedette_parsers::evtx::is_evtx_file(f).with_context(|| format!("reading {}", f.display()))
}

/// Hands each record of the EVTX file `f` to `each` as one line of JSON;
/// the number of records. A record or chunk that cannot be read is
/// reported and skipped; a file that is not EVTX at all is an error.
fn evtx_records(
    f: &Path,
    bar: &ProgressBar,
    each: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<u64> {
    let file = EvtxFile::open(f).with_context(|| format!("reading {}", f.display()))?;
    bar.inc(4096);
    let mut n = 0u64;
    for chunk in file.into_chunks() {
        bar.inc(65536);
        let records = match chunk {
            Ok(c) => c.records(),
            Err(e) => vec![Err(e)],
        };
        for r in records {
            match r {
                Ok(r) => {
                    each(r.json.as_bytes())?;
                    n += 1;
                }
                Err(e) => bar.suspend(|| eprintln!("{}: {e}", f.display())),
            }
        }
    }
    Ok(n)
}
