//! Settings: embedded defaults, overridden by a TOML file, overridden by flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// Everything `vedette serve` needs to know.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the spool, the index, the SQLite database and the lock live.
    pub data_dir: PathBuf,
    /// Sigma rule files or directories. Empty: the rule pack built into the
    /// binary (the project's `rules/`).
    pub rules: Vec<PathBuf>,
    /// Console and API address.
    pub http: SocketAddr,
    /// Syslog over UDP (`"off"` disables).
    #[serde(deserialize_with = "de_listen")]
    pub syslog_udp: Option<SocketAddr>,
    /// Syslog over TCP (`"off"` disables).
    #[serde(deserialize_with = "de_listen")]
    pub syslog_tcp: Option<SocketAddr>,
    /// Relational store URL; default: SQLite in the data directory.
    pub database: Option<String>,
    /// Offset for timestamps that carry no zone (RFC 3164), e.g. `+07:00`.
    pub timezone: String,
    /// Largest syslog frame accepted whole; longer frames are kept truncated.
    pub max_frame: usize,
    /// Concurrent TCP syslog connections.
    pub max_connections: usize,
    /// Size of unprocessed spool data beyond which intake pushes back.
    pub spool_max_bytes: u64,
    /// Memory for the index writer.
    pub index_heap_bytes: usize,
    /// Per-source rules (`[[sources]]`): fixed format and owning agency.
    pub sources: Vec<SourceConfig>,
    /// Detection and correlation limits (`[detection]`).
    pub detection: DetectionConfig,
    /// A log source mapping file (the shape of `parsers/logsources.toml`)
    /// whose entries extend and override the built-in ones: Windows
    /// channels and event ids, syslog programs. A relative path is from the
    /// config file's folder.
    pub logsources: Option<PathBuf>,
}

/// `[detection]`: bounds of the correlation rules' state.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectionConfig {
    /// Most open correlation groups (one per correlation rule and
    /// `group-by` value), all rules together; beyond it the groups whose
    /// latest event is oldest are dropped (counted on `/metrics`).
    pub max_correlation_groups: usize,
    /// Most events (or values, or rule hits) one group keeps in its window.
    pub max_group_entries: usize,
    /// Most event ids a correlation alert lists (the newest).
    pub max_linked_events: usize,
    /// How often (seconds) the rule files given with `--rules` are checked
    /// for changes; a change reloads them while events keep flowing. 0
    /// turns it off. The built-in pack never changes.
    pub reload_secs: u64,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        let c = vedette_correlation::CorrelationConfig::default();
        DetectionConfig {
            max_correlation_groups: c.max_groups,
            max_group_entries: c.max_group_entries,
            max_linked_events: c.max_linked_events,
            reload_secs: 5,
        }
    }
}

impl DetectionConfig {
    /// The correlator's settings.
    pub fn correlation(&self) -> vedette_correlation::CorrelationConfig {
        vedette_correlation::CorrelationConfig {
            max_groups: self.max_correlation_groups,
            max_group_entries: self.max_group_entries,
            max_linked_events: self.max_linked_events,
        }
    }
}

/// One `[[sources]]` entry: which senders it covers (every condition given
/// must hold; each list is "any of"), the format they speak, and the
/// organization (agency) their events belong to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// A name for the rule, used in errors.
    pub name: String,
    /// Sender networks, e.g. `["10.1.0.0/16"]`.
    #[serde(default)]
    pub networks: Vec<String>,
    /// Host names in the records (`fw-*` matches a prefix).
    #[serde(default)]
    pub hostnames: Vec<String>,
    /// Listeners: `syslog-udp`, `syslog-tcp`, `import`.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// `auto` (default), `syslog`, or a device format name.
    pub format: Option<String>,
    /// The organization id set on the events (`organization.id`).
    pub organization: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("vedette-data"),
            rules: Vec::new(),
            http: "127.0.0.1:8080".parse().expect("valid literal"),
            syslog_udp: Some("[::]:5514".parse().expect("valid literal")),
            syslog_tcp: Some("[::]:5514".parse().expect("valid literal")),
            database: None,
            timezone: "+07:00".into(),
            max_frame: 1024 * 1024,
            max_connections: 1024,
            spool_max_bytes: 2 * 1024 * 1024 * 1024,
            index_heap_bytes: 128 * 1024 * 1024,
            sources: Vec::new(),
            detection: DetectionConfig::default(),
            logsources: None,
        }
    }
}

fn de_listen<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    let s = String::deserialize(d)?;
    parse_listen(&s).map_err(serde::de::Error::custom)
}

/// Parses a listen address, where `off` (or `none`) disables the listener.
pub fn parse_listen(s: &str) -> Result<Option<SocketAddr>, String> {
    match s {
        "off" | "none" | "" => Ok(None),
        _ => s.parse().map(Some).map_err(|e| {
            format!("bad listen address {s:?}: {e} (e.g. 0.0.0.0:5514, [::]:5514 or off)")
        }),
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

impl Config {
    /// Reads a TOML config file.
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        let mut cfg: Config = toml::from_str(&text)
            .with_context(|| format!("parsing config file {}", path.display()))?;
        // A relative `logsources` is beside the config file.
        if let (Some(l), Some(dir)) = (&cfg.logsources, path.parent()) {
            if l.is_relative() {
                cfg.logsources = Some(dir.join(l));
            }
        }
        Ok(cfg)
    }

    /// The store URL: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> Result<String> {
        if let Some(url) = &self.database {
            return Ok(url.clone());
        }
        let path = absolute(&self.data_dir)?.join("vedette.db");
        Ok(format!("sqlite://{}", path.display()))
    }

    /// The parsers' settings: time zone and per-source rules.
    pub fn parser_config(&self) -> Result<vedette_parsers::ParserConfig> {
        let mut sources = Vec::with_capacity(self.sources.len());
        for s in &self.sources {
            sources.push(
                vedette_parsers::SourceRule::new(
                    &s.name,
                    &strs(&s.networks),
                    &strs(&s.hostnames),
                    &strs(&s.inputs),
                    s.format.as_deref(),
                    s.organization.as_deref(),
                )
                .with_context(|| format!("in [[sources]] {:?}", s.name))?,
            );
        }
        let builtin = vedette_parsers::LogSourceMap::builtin();
        let logsources = match &self.logsources {
            None => builtin,
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading logsources {}", p.display()))?;
                let extra = vedette_parsers::LogSourceMap::from_toml(&text)
                    .with_context(|| format!("in logsources {}", p.display()))?;
                std::sync::Arc::new(builtin.extend(extra))
            }
        };
        Ok(vedette_parsers::ParserConfig {
            default_offset: self.utc_offset()?,
            sources,
            logsources,
        })
    }

    /// The configured time zone offset.
    pub fn utc_offset(&self) -> Result<time::UtcOffset> {
        let fmt = time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
        match time::UtcOffset::parse(&self.timezone, &fmt) {
            Ok(o) => Ok(o),
            Err(_) if self.timezone == "Asia/Ho_Chi_Minh" => {
                Ok(time::UtcOffset::from_hms(7, 0, 0).expect("valid offset"))
            }
            Err(e) => bail!(
                "bad timezone {:?}: {e} (give an offset such as +07:00)",
                self.timezone
            ),
        }
    }
}

/// `path` made absolute against the current directory.
pub fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(std::env::current_dir()
        .context("reading the current directory")?
        .join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_defaults() {
        let c: Config = toml::from_str(
            "data_dir = \"/srv/v\"\nsyslog_udp = \"off\"\nsyslog_tcp = \"0.0.0.0:6514\"\nrules = [\"a\", \"b\"]\n",
        )
        .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/v"));
        assert_eq!(c.syslog_udp, None);
        assert_eq!(c.syslog_tcp, Some("0.0.0.0:6514".parse().unwrap()));
        assert_eq!(c.rules.len(), 2);
        assert_eq!(c.http, Config::default().http);
        assert!(toml::from_str::<Config>("colour = 1").is_err());
        assert_eq!(c.utc_offset().unwrap().whole_hours(), 7);
        assert_eq!(c.database_url().unwrap(), "sqlite:///srv/v/vedette.db");
        assert_eq!(c.detection.max_correlation_groups, 1_000_000);
        let c: Config = toml::from_str("[detection]\nmax_correlation_groups = 5000\n").unwrap();
        assert_eq!(c.detection.correlation().max_groups, 5000);
        assert_eq!(c.detection.max_linked_events, 16);
        assert!(toml::from_str::<Config>("[detection]\nmax_groups = 1\n").is_err());
    }
}

#[cfg(test)]
mod example {
    #[test]
    fn example_config_parses() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vedette.example.toml");
        let c = super::Config::from_file(&path).unwrap();
        assert_eq!(c.data_dir, std::path::PathBuf::from("/var/lib/vedette"));
        assert_eq!(c.max_frame, 1048576);
    }
}
