//! `vedette parse`: records in, one normalized JSON event per line out, for
//! operators checking a new device's logs and for tests. The records of one
//! audit event and the lines of one ModSecurity serial audit log
//! transaction are joined first (`--format auto`, `auditd`, `modsecurity`),
//! so each makes one event; an audit event without an `EOE` record is
//! printed once 32 more audit records came, or at the end of the input.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use time::OffsetDateTime;
use vedette_model::Origin;
use vedette_parsers::{format_names, Framed, Framer, Parser, SourceRule};

use crate::config::Config;

/// Options of `vedette parse`.
#[derive(Args)]
pub struct ParseArgs {
    /// TOML config file: its time zone and `[[sources]]` rules apply.
    #[arg(long, env = "VEDETTE_CONFIG")]
    config: Option<PathBuf>,
    /// `auto` (detect per line), `syslog`, or a device format.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Pretend the lines came from this sender (for `[[sources]]` rules).
    #[arg(long)]
    peer: Option<SocketAddr>,
    /// Print the format names and exit.
    #[arg(long)]
    list_formats: bool,
    /// Print the log source mapping in force (built in, and the config's
    /// `logsources` file first) and exit.
    #[arg(long)]
    list_logsources: bool,
    /// A file of records, one per line [default: standard input].
    file: Option<PathBuf>,
}

/// Runs `vedette parse`.
pub fn run(a: ParseArgs) -> Result<()> {
    if a.list_formats {
        for n in format_names() {
            println!("{n}");
        }
        return Ok(());
    }
    let cfg = match &a.config {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    let mut pcfg = cfg.parser_config()?;
    if a.list_logsources {
        let m = &pcfg.logsources;
        for c in m.channels() {
            println!(
                "windows channel {:?}: services {}",
                c.channel,
                c.services.join(", ")
            );
        }
        for c in m.categories() {
            let t = c
                .event_type
                .as_deref()
                .map(|t| format!(" EventType {t}"))
                .unwrap_or_default();
            println!(
                "windows service {} EventID {}{t}: category {}",
                c.service, c.event_id, c.category
            );
        }
        for p in m.programs() {
            println!(
                "syslog program {:?}: product {}, services {}",
                p.program,
                p.product,
                p.services.join(", ")
            );
        }
        return Ok(());
    }
    if a.format != "auto" {
        let forced = SourceRule::new("--format", &[], &[], &[], Some(&a.format), None)?;
        pcfg.sources.insert(0, forced);
    }
    let parser = Parser::new(pcfg);
    let input: Box<dyn BufRead> = match &a.file {
        Some(p) => Box::new(BufReader::new(
            std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?,
        )),
        None => Box::new(BufReader::new(std::io::stdin().lock())),
    };
    let origin = Origin::new("parse", a.peer);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut input = input;
    let mut line = Vec::new();
    let mut seq = 0;
    let mut n = 0;
    // Records that span lines (an audit event's records, a ModSecurity
    // serial audit log transaction) are joined into one.
    let mut framer = Framer::for_format(&a.format);
    let mut records = Vec::new();
    let mut emit = |records: &mut Vec<Framed>, out: &mut dyn Write| -> Result<()> {
        for r in records.drain(..) {
            seq += 1;
            let ev = parser.parse(seq, OffsetDateTime::now_utc(), origin.clone(), &r.bytes);
            serde_json::to_writer(&mut *out, &ev.to_json())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    };
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        n += 1;
        if line.iter().all(|b| b.is_ascii_whitespace()) && !framer.in_record() {
            continue;
        }
        framer.push(n, &line, &mut records);
        emit(&mut records, &mut out)?;
    }
    framer.flush(&mut records);
    emit(&mut records, &mut out)?;
    out.flush()?;
    Ok(())
}
