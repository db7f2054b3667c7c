//! `vedette import`: log files through the same pipeline as live syslog.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use time::OffsetDateTime;
use vedette_model::Origin;

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
    for f in files {
        bar.set_message(f.display().to_string());
        let file = std::fs::File::open(f).with_context(|| format!("opening {}", f.display()))?;
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut line = Vec::new();
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
            if line.is_empty() {
                continue;
            }
            writer.append(OffsetDateTime::now_utc(), &origin, false, &line)?;
            lines += 1;
            if lines.is_multiple_of(SYNC_EVERY as u64) {
                writer.sync()?;
            }
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
    eprintln!(
        "imported {lines} lines from {} file(s): {} parsed, {} kept raw, {} new alerts",
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
    for f in files {
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
    eprintln!("sent {lines} lines to {addr}");
    Ok(())
}
