//! The `vedette` binary: wires collectors, spool, parsers, detection, index,
//! store and console into one process, and offers the operator commands.

// mimalloc: parsing allocates a key and a value per field, and the index a
// document per event; measured 8-47 % faster parsing than the system
// allocator (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod bench_detect;
mod config;
mod hunt;
mod import;
mod metrics;
mod node;
mod parse;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use vedette_store::{Role, Store};

use config::{parse_listen, Config};

include!(concat!(env!("OUT_DIR"), "/rules.rs"));

/// Vedette: a security operations center in one binary.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the node: syslog listeners, pipeline, console.
    Serve(ServeArgs),
    /// Send log files (one record per line) or EVTX files through the pipeline.
    Import(ImportArgs),
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// Manage organizations (the province's agencies and their units).
    Org {
        #[command(subcommand)]
        cmd: OrgCmd,
    },
    /// Manage console users.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Check Sigma rules: report each one that does not load.
    Rules {
        #[command(subcommand)]
        cmd: RulesCmd,
    },
    /// End-to-end benchmark: a child `vedette serve` fed over TCP by this process.
    Bench(bench::BenchArgs),
    /// Time the detection engine alone against rsigma's, on the same rules
    /// and events, one thread each.
    BenchDetect(bench_detect::BenchDetectArgs),
    /// Parse records (stdin or a file) and print one JSON event per line.
    Parse(parse::ParseArgs),
    /// Run Sigma rules over files without a server (EVTX, JSON/NDJSON, logs,
    /// folders): one JSON line per match on stdout.
    Hunt(hunt::HuntArgs),
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Create a token and print it (once) on stdout; only its hash is kept.
    Create {
        /// A unique name for the token (who or what uses it).
        #[arg(long)]
        name: String,
        /// admin, analyst, officer or auditor.
        #[arg(long, default_value = "analyst")]
        role: String,
        /// The organization (slug) it belongs to; without one it works
        /// province-wide. An officer needs one.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum OrgCmd {
    /// Create an organization; its slug is what `[[sources]] organization`
    /// puts in events' `organization.id`.
    Create {
        /// Unique slug: a-z, 0-9, '.', '_', '-'.
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The slug of the organization above it.
        #[arg(long)]
        parent: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// List organizations.
    List {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user; the password is read from the VEDETTE_PASSWORD
    /// environment variable, else generated and printed once.
    Create {
        /// Login name.
        name: String,
        /// admin, analyst, officer or auditor.
        #[arg(long, default_value = "analyst")]
        role: String,
        /// The organization (slug) the user belongs to; without one the
        /// user works province-wide. An officer needs one.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum RulesCmd {
    /// Load rule files or directories and list what fails.
    Check {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

/// Options shared by the commands that open a data directory.
#[derive(Args, Clone, Default)]
struct Common {
    /// TOML config file (flags override it).
    #[arg(long, env = "VEDETTE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory [default: ./vedette-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Store URL (sqlite://PATH or postgres://...) [default: SQLite in the data directory].
    #[arg(long)]
    database: Option<String>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    common: Common,
    /// Sigma rule files or directories (repeatable) [default: the built-in pack].
    #[arg(long)]
    rules: Vec<PathBuf>,
    /// Console and API address [default: 127.0.0.1:8080].
    #[arg(long)]
    http: Option<std::net::SocketAddr>,
    /// Syslog UDP address, or `off` [default: `[::]:5514`].
    #[arg(long, value_parser = listen_arg)]
    syslog_udp: Option<Listen>,
    /// Syslog TCP address, or `off` [default: `[::]:5514`].
    #[arg(long, value_parser = listen_arg)]
    syslog_tcp: Option<Listen>,
}

/// A listen address, or none (`off`).
#[derive(Clone, Copy, Debug)]
struct Listen(Option<std::net::SocketAddr>);

fn listen_arg(s: &str) -> Result<Listen, String> {
    parse_listen(s).map(Listen)
}

#[derive(Args)]
struct ImportArgs {
    #[command(flatten)]
    common: Common,
    /// Sigma rules for this import (repeatable) [default: the built-in pack].
    #[arg(long)]
    rules: Vec<PathBuf>,
    /// Send to a running node's syslog TCP listener (HOST:PORT) instead of
    /// opening the data directory.
    #[arg(long)]
    to: Option<String>,
    /// Log files, one record per line, or EVTX files (by the `.evtx` name
    /// or the `ElfFile` magic), one Windows event per record.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

impl Common {
    fn config(&self) -> Result<Config> {
        let mut cfg = match &self.config {
            Some(p) => Config::from_file(p)?,
            None => Config::default(),
        };
        if let Some(d) = &self.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(db) = &self.database {
            cfg.database = Some(db.clone());
        }
        Ok(cfg)
    }
}

/// A random secret of `len` characters from an unambiguous alphabet
/// (about 5.8 bits each).
pub(crate) fn random_secret(len: usize) -> String {
    use rand::RngCore;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        rand::rngs::OsRng.fill_bytes(&mut buf);
        // Rejection sampling keeps the symbols uniform.
        for b in buf {
            if (b as usize) < ALPHABET.len() * 4 && out.len() < len {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    out
}

/// The store URL of a command's settings; creates the data directory when
/// the store is the default SQLite file in it.
fn store_url(common: &Common) -> Result<String> {
    let cfg = common.config()?;
    let url = cfg.database_url()?;
    if cfg.database.is_none() {
        let dir = config::absolute(&cfg.data_dir)?;
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(url)
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VEDETTE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tantivy=warn,sqlx=warn,hyper=warn,evtx=warn"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Serve(a) => {
            let mut cfg = a.common.config()?;
            if !a.rules.is_empty() {
                cfg.rules = a.rules;
            }
            if let Some(h) = a.http {
                cfg.http = h;
            }
            if let Some(Listen(u)) = a.syslog_udp {
                cfg.syslog_udp = u;
            }
            if let Some(Listen(t)) = a.syslog_tcp {
                cfg.syslog_tcp = t;
            }
            runtime()?.block_on(serve::serve(cfg))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Import(a) => {
            let mut cfg = a.common.config()?;
            if !a.rules.is_empty() {
                cfg.rules = a.rules;
            }
            runtime()?.block_on(import::import(cfg, &a.files, a.to.as_deref()))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Token {
            cmd:
                TokenCmd::Create {
                    name,
                    role,
                    org,
                    common,
                },
        } => {
            let role: Role = role.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let url = store_url(&common)?;
            let token = runtime()?.block_on(async {
                let store = Store::open(&url).await.context("opening the store")?;
                let t = store.create_token_in(&name, role, org.as_deref()).await;
                store.close().await;
                t.context("creating the token")
            })?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Org {
            cmd:
                OrgCmd::Create {
                    slug,
                    name,
                    parent,
                    common,
                },
        } => {
            let url = store_url(&common)?;
            runtime()?.block_on(async {
                let store = Store::open(&url).await.context("opening the store")?;
                let r = store.create_org(&slug, &name, parent.as_deref()).await;
                if r.is_ok() {
                    let detail = parent.as_deref().unwrap_or("");
                    let target = format!("organization:{slug}");
                    let e = vedette_store::NewAudit {
                        actor: "cli",
                        actor_kind: "system",
                        action: "organization.create",
                        target: Some(&target),
                        detail,
                        source: None,
                    };
                    store.audit(&e).await.context("writing the audit log")?;
                }
                store.close().await;
                r.context("creating the organization")
            })?;
            println!("organization {slug} created");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Org {
            cmd: OrgCmd::List { common },
        } => {
            let url = store_url(&common)?;
            let orgs = runtime()?.block_on(async {
                let store = Store::open(&url).await.context("opening the store")?;
                let r = store.list_orgs(&vedette_store::Scope::All).await;
                store.close().await;
                r.context("listing organizations")
            })?;
            for o in orgs {
                println!(
                    "{}\t{}\t{}",
                    o.slug,
                    o.parent.as_deref().unwrap_or("-"),
                    o.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::User {
            cmd:
                UserCmd::Create {
                    name,
                    role,
                    org,
                    common,
                },
        } => {
            let role: Role = role.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let url = store_url(&common)?;
            let (password, generated) = match std::env::var("VEDETTE_PASSWORD") {
                Ok(p) if !p.is_empty() => (p, false),
                _ => (random_secret(20), true),
            };
            runtime()?.block_on(async {
                let store = Store::open(&url).await.context("opening the store")?;
                let r = store
                    .create_user_in(&name, &password, role, org.as_deref())
                    .await;
                if r.is_ok() {
                    let target = format!("user:{name}");
                    let detail =
                        format!("role={role} organization={}", org.as_deref().unwrap_or("-"));
                    let e = vedette_store::NewAudit {
                        actor: "cli",
                        actor_kind: "system",
                        action: "user.create",
                        target: Some(&target),
                        detail: &detail,
                        source: None,
                    };
                    store.audit(&e).await.context("writing the audit log")?;
                }
                store.close().await;
                r.context("creating the user")
            })?;
            if generated {
                println!("user {name} created; password (shown once): {password}");
            } else {
                println!("user {name} created");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Rules {
            cmd: RulesCmd::Check { paths },
        } => {
            let (_, report) = vedette_correlation::SigmaRuleSet::load(&paths);
            for e in &report.errors {
                println!("{e}");
            }
            for w in &report.warnings {
                println!("warning: {w}");
            }
            // Detection, correlation and filter rules together.
            println!(
                "{} rules loaded, {} failed",
                report.total_loaded(),
                report.errors.len()
            );
            Ok(if report.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Bench(a) => {
            bench::run(a)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::BenchDetect(a) => {
            bench_detect::run(a)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Parse(a) => {
            parse::run(a)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Hunt(a) => hunt::run(a),
    }
}

fn main() -> ExitCode {
    init_logging();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
