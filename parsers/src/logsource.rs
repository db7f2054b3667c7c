//! Which Sigma log source a record belongs to: the mapping of Windows
//! channels and event ids and of syslog programs, as data.
//!
//! The mapping is the TOML file `parsers/logsources.toml`, built in; an
//! operator's file of the same shape extends it ([`LogSourceMap::extend`]),
//! its entries first. A [`ParserConfig`](crate::ParserConfig) holds the map
//! its parser classifies with.
//!
//! ```
//! use vedette_parsers::LogSourceMap;
//!
//! let extra = LogSourceMap::from_toml(r#"
//!     [[windows_channel]]
//!     channel = "Microsoft-Windows-Foo/Operational"
//!     services = ["foo"]
//!
//!     [[syslog_program]]
//!     program = "nginx"
//!     services = ["nginx", "syslog"]
//! "#).unwrap();
//! let map = LogSourceMap::builtin().extend(extra);
//! assert_eq!(map.windows_services("microsoft-windows-foo/operational"), ["foo"]);
//! assert_eq!(map.windows_services("Security"), ["security"]);
//! assert_eq!(map.syslog(Some("nginx")).services, ["nginx", "syslog"]);
//! ```

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use vedette_model::{LogSource, Text};

/// The built-in mapping.
const BUILTIN: &str = include_str!("../logsources.toml");

/// A log source mapping file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LogSourceMapError {
    /// Not TOML of the expected shape.
    #[error("log source mapping: {0}")]
    Syntax(String),
    /// An entry that cannot be right.
    #[error("log source mapping: {what}: {why}")]
    Entry {
        /// Which entry.
        what: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    windows_channel: Vec<Channel>,
    #[serde(default)]
    windows_category: Vec<Category>,
    #[serde(default)]
    syslog_program: Vec<Program>,
}

/// Windows: the Sigma services of an event log channel.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// The channel (`Channel` of the event), ASCII case ignored.
    pub channel: String,
    /// Its Sigma services, most specific first.
    pub services: Vec<Text>,
}

/// Windows: the Sigma category of an event by service and `EventID`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// A service of the event (from its channel).
    pub service: String,
    /// Its `EventID`.
    pub event_id: i64,
    /// When set, the event's `EventType` must be this (ASCII case ignored).
    #[serde(default)]
    pub event_type: Option<String>,
    /// The Sigma category.
    pub category: String,
}

/// Syslog: the log source of a program's records.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// APP-NAME or TAG, ASCII case ignored.
    pub program: String,
    /// The Sigma product (default `linux`).
    #[serde(default = "linux")]
    pub product: Text,
    /// Its Sigma services, most specific first.
    pub services: Vec<Text>,
}

fn linux() -> Text {
    "linux".into()
}

/// The mapping: lists in priority order, and indexes over them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSourceMap {
    channels: Vec<Channel>,
    categories: Vec<Category>,
    programs: Vec<Program>,
    /// Lower-cased channel to its first entry.
    by_channel: HashMap<String, usize>,
    /// Lower-cased program to its first entry.
    by_program: HashMap<String, usize>,
}

impl LogSourceMap {
    /// Reads a mapping file.
    pub fn from_toml(text: &str) -> Result<LogSourceMap, LogSourceMapError> {
        let f: File = toml::from_str(text).map_err(|e| LogSourceMapError::Syntax(e.to_string()))?;
        for c in &f.windows_channel {
            if c.services.is_empty() {
                return Err(LogSourceMapError::Entry {
                    what: format!("windows_channel {:?}", c.channel),
                    why: "no services",
                });
            }
        }
        for p in &f.syslog_program {
            if p.services.is_empty() {
                return Err(LogSourceMapError::Entry {
                    what: format!("syslog_program {:?}", p.program),
                    why: "no services",
                });
            }
        }
        Ok(LogSourceMap::new(
            f.windows_channel,
            f.windows_category,
            f.syslog_program,
        ))
    }

    fn new(channels: Vec<Channel>, categories: Vec<Category>, programs: Vec<Program>) -> Self {
        let mut by_channel = HashMap::new();
        for (i, c) in channels.iter().enumerate() {
            by_channel
                .entry(c.channel.to_ascii_lowercase())
                .or_insert(i);
        }
        let mut by_program = HashMap::new();
        for (i, p) in programs.iter().enumerate() {
            by_program
                .entry(p.program.to_ascii_lowercase())
                .or_insert(i);
        }
        LogSourceMap {
            channels,
            categories,
            programs,
            by_channel,
            by_program,
        }
    }

    /// The built-in mapping (`parsers/logsources.toml`).
    pub fn builtin() -> Arc<LogSourceMap> {
        static MAP: OnceLock<Arc<LogSourceMap>> = OnceLock::new();
        MAP.get_or_init(|| {
            // Checked by the tests: the built-in file always reads.
            Arc::new(LogSourceMap::from_toml(BUILTIN).unwrap_or_default())
        })
        .clone()
    }

    /// This mapping with `extra`'s entries put before its own (they win).
    pub fn extend(&self, extra: LogSourceMap) -> LogSourceMap {
        let mut channels = extra.channels;
        channels.extend(self.channels.iter().cloned());
        let mut categories = extra.categories;
        categories.extend(self.categories.iter().cloned());
        let mut programs = extra.programs;
        programs.extend(self.programs.iter().cloned());
        LogSourceMap::new(channels, categories, programs)
    }

    /// The Windows channels, in priority order.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// The Windows categories, in priority order.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The syslog programs, in priority order.
    pub fn programs(&self) -> &[Program] {
        &self.programs
    }

    /// The services of a Windows channel (none for a channel not listed).
    pub fn windows_services(&self, channel: &str) -> &[Text] {
        let i = if channel.bytes().any(|b| b.is_ascii_uppercase()) {
            self.by_channel.get(&channel.to_ascii_lowercase())
        } else {
            self.by_channel.get(channel)
        };
        i.map_or(&[], |&i| &self.channels[i].services)
    }

    /// The category of a Windows event of these services: the first entry
    /// for one of them with this `EventID` (and `EventType`, where the
    /// entry names one).
    pub fn windows_category(
        &self,
        services: &[Text],
        event_id: i64,
        event_type: Option<&str>,
    ) -> Option<&str> {
        self.categories
            .iter()
            .find(|c| {
                c.event_id == event_id
                    && services.iter().any(|s| s.eq_ignore_ascii_case(&c.service))
                    && c.event_type
                        .as_deref()
                        .is_none_or(|t| event_type.is_some_and(|e| e.eq_ignore_ascii_case(t)))
            })
            .map(|c| c.category.as_str())
    }

    /// The log source of a Windows event from its channel, `EventID` and
    /// `EventType`.
    pub fn windows(
        &self,
        channel: Option<&str>,
        event_id: Option<i64>,
        event_type: Option<&str>,
    ) -> LogSource {
        let services = channel.map_or(&[][..], |c| self.windows_services(c));
        let category = event_id.and_then(|id| self.windows_category(services, id, event_type));
        LogSource {
            product: Some("windows".into()),
            category: category.map(Text::from),
            services: services.to_vec(),
        }
    }

    /// The log source of a syslog record from `program` (APP-NAME or TAG):
    /// the listed product and services for a listed program, else no
    /// product and the `syslog` service.
    pub fn syslog(&self, program: Option<&str>) -> LogSource {
        let entry = program.and_then(|p| {
            // `/USR/SBIN/CRON`, `/usr/sbin/sshd`, `sshd(pam_unix)`: the
            // program's name.
            let p = p.rsplit('/').next().unwrap_or(p);
            let p = strip_module(p);
            let i = if p.bytes().any(|b| b.is_ascii_uppercase()) {
                self.by_program.get(&p.to_ascii_lowercase())
            } else {
                self.by_program.get(p)
            };
            i.map(|&i| &self.programs[i])
        });
        match entry {
            Some(p) => LogSource {
                product: Some(p.product.clone()),
                category: None,
                services: p.services.clone(),
            },
            None => LogSource::new(None, None, &["syslog"]),
        }
    }
}

/// `sshd` of `sshd(pam_unix)` (old Red Hat PAM modules name themselves
/// after the program); any other name as it is.
pub(crate) fn strip_module(program: &str) -> &str {
    if !program.ends_with(')') {
        return program;
    }
    match program.bytes().position(|b| b == b'(') {
        Some(i) => program.get(..i).unwrap_or(program),
        None => program,
    }
}

thread_local! {
    /// The map of the parser running on this thread (formats read it).
    static CURRENT: std::cell::RefCell<Arc<LogSourceMap>> =
        std::cell::RefCell::new(LogSourceMap::builtin());
}

/// Makes `map` the one formats on this thread classify with.
pub(crate) fn set_current(map: &Arc<LogSourceMap>) {
    CURRENT.with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            if !Arc::ptr_eq(&c, map) {
                *c = Arc::clone(map);
            }
        }
    });
}

/// Runs `f` with the map of the parser running on this thread.
pub(crate) fn with_current<R>(f: impl FnOnce(&LogSourceMap) -> R) -> R {
    CURRENT.with(|c| match c.try_borrow() {
        Ok(m) => f(&m),
        Err(_) => f(&LogSourceMap::builtin()),
    })
}

/// The log source of a syslog record from `program`, by the built-in
/// mapping (see [`LogSourceMap::syslog`]).
pub fn syslog_logsource(program: Option<&str>) -> LogSource {
    LogSourceMap::builtin().syslog(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_file_reads() {
        let map = LogSourceMap::from_toml(BUILTIN).unwrap();
        assert!(map.channels().len() >= 60, "{}", map.channels().len());
        assert!(map.categories().len() >= 38);
        assert!(map.programs().len() >= 46);
    }

    #[test]
    fn known_and_unknown() {
        let ls = syslog_logsource(Some("sshd"));
        assert_eq!(ls.product.as_deref(), Some("linux"));
        assert_eq!(ls.services, ["sshd", "auth", "syslog"]);
        assert_eq!(syslog_logsource(Some("CRON")).services, ["cron", "syslog"]);
        assert_eq!(
            syslog_logsource(Some("/USR/SBIN/CRON")).services,
            ["cron", "syslog"]
        );
        assert_eq!(
            syslog_logsource(Some("useradd")).services,
            ["useradd", "auth", "syslog"]
        );
        assert_eq!(
            syslog_logsource(Some("systemd-logind")).services,
            ["syslog"]
        );
        assert_eq!(
            syslog_logsource(Some("kernel")).product.as_deref(),
            Some("linux")
        );
        let ls = syslog_logsource(Some("myapp"));
        assert_eq!(ls.product, None);
        assert_eq!(ls.services, ["syslog"]);
        assert_eq!(
            syslog_logsource(None),
            LogSource::new(None, None, &["syslog"])
        );
    }

    #[test]
    fn windows_sources() {
        let map = LogSourceMap::builtin();
        let ls = map.windows(Some("Microsoft-Windows-Sysmon/Operational"), Some(1), None);
        assert_eq!(ls.category.as_deref(), Some("process_creation"));
        assert_eq!(ls.services, ["sysmon"]);
        let ls = map.windows(Some("security"), Some(4688), None);
        assert_eq!(ls.category.as_deref(), Some("process_creation"));
        let del = map.windows(
            Some("Microsoft-Windows-Sysmon/Operational"),
            Some(12),
            Some("deletekey"),
        );
        assert_eq!(del.category.as_deref(), Some("registry_delete"));
        let add = map.windows(
            Some("Microsoft-Windows-Sysmon/Operational"),
            Some(12),
            Some("CreateKey"),
        );
        assert_eq!(add.category.as_deref(), Some("registry_add"));
        let unknown = map.windows(Some("Nope"), Some(1), None);
        assert_eq!(unknown.product.as_deref(), Some("windows"));
        assert!(unknown.services.is_empty() && unknown.category.is_none());
    }

    #[test]
    fn table_is_sane() {
        let map = LogSourceMap::builtin();
        for (i, p) in map.programs().iter().enumerate() {
            assert_eq!(p.services.last().map(Text::as_str), Some("syslog"), "{p:?}");
            assert!(
                !map.programs()[..i]
                    .iter()
                    .any(|q| q.program.eq_ignore_ascii_case(&p.program)),
                "duplicate {p:?}"
            );
        }
        for c in map.categories() {
            assert!(
                map.channels()
                    .iter()
                    .any(|ch| ch.services.iter().any(|s| *s == c.service)),
                "category for a service no channel has: {c:?}"
            );
        }
    }

    #[test]
    fn an_operators_file_extends_and_overrides() {
        let extra = LogSourceMap::from_toml(
            r#"
            [[windows_channel]]
            channel = "Security"
            services = ["security", "custom"]

            [[windows_category]]
            service = "custom"
            event_id = 4625
            category = "failed_logon"

            [[syslog_program]]
            program = "myapp"
            product = "acme"
            services = ["myapp", "syslog"]
            "#,
        )
        .unwrap();
        let map = LogSourceMap::builtin().extend(extra);
        assert_eq!(map.windows_services("Security"), ["security", "custom"]);
        let ls = map.windows(Some("Security"), Some(4625), None);
        assert_eq!(ls.category.as_deref(), Some("failed_logon"));
        // The built-in entries remain.
        let ls = map.windows(Some("Security"), Some(4688), None);
        assert_eq!(ls.category.as_deref(), Some("process_creation"));
        let ls = map.syslog(Some("MyApp"));
        assert_eq!(ls.product.as_deref(), Some("acme"));
        assert_eq!(
            map.syslog(Some("sshd")).services,
            ["sshd", "auth", "syslog"]
        );
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        for (text, want) in [
            ("[[windows_channel]]\nchannel = 1\n", "log source mapping"),
            (
                "[[windows_channel]]\nchannel = \"x\"\nservices = []\n",
                "no services",
            ),
            ("[[nonsense]]\nx = 1\n", "unknown field"),
            (
                "[[windows_category]]\nservice = \"s\"\ncategory = \"c\"\n",
                "event_id",
            ),
        ] {
            let e = LogSourceMap::from_toml(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
