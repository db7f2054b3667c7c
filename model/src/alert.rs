use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How severe an alert is: the Sigma `level` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not one of the five levels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?} (expected informational, low, medium, high or critical)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Severity::Informational,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return Err(UnknownSeverity(s.to_string())),
        })
    }
}

/// An alert as detection produces it, before the store gives it an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAlert {
    /// The Sigma rule id (or its title when the rule has no id).
    pub rule_id: String,
    /// The rule title.
    pub rule_title: String,
    /// The rule level.
    pub severity: Severity,
    /// The rule tags (`attack.t1110`, ...).
    pub tags: Vec<String>,
    /// The spool sequence number of the event that matched.
    pub event_seq: u64,
    /// When the event happened.
    #[serde(with = "time::serde::rfc3339")]
    pub event_time: OffsetDateTime,
    /// When the alert was raised.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// `host.name` of the event, for grouping and display.
    pub host: Option<String>,
    /// The event as JSON ([`crate::Event::to_json`]).
    pub event: serde_json::Value,
    /// For a correlation rule's alert: what it correlated. The event above
    /// is then the one that completed the correlation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<AlertCorrelation>,
}

/// What a Sigma correlation rule saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertCorrelation {
    /// The correlation type: `event_count`, `value_count`, `temporal`,
    /// `temporal_ordered`, `value_sum`, `value_avg`, `value_percentile` or
    /// `value_median`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The `group-by` fields and their values (`source.ip` -> `203.0.113.7`);
    /// fields absent from the events are left out.
    pub group: std::collections::BTreeMap<String, String>,
    /// The aggregate that met the condition: a count, a number of distinct
    /// values or rules, a sum, an average or a percentile.
    pub value: f64,
    /// The correlation window, in seconds.
    pub timespan_secs: u64,
    /// The spool sequence numbers (event ids) of the events in the window
    /// that made it fire, oldest first, at most the configured
    /// `max_linked_events` most recent ones.
    pub linked_events: Vec<u64>,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The store's id.
    pub id: i64,
    /// Workflow status: `new`, `acknowledged`, `closed`, ...
    pub status: String,
    /// The organization (tenant) the alert belongs to: its event's
    /// `organization.id`; `None` for sources not assigned to one (seen
    /// only by province-wide users).
    #[serde(default)]
    pub organization: Option<String>,
    /// The user working the alert, if assigned.
    #[serde(default)]
    pub assignee: Option<String>,
    /// What detection produced.
    #[serde(flatten)]
    pub alert: NewAlert,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_names() {
        for s in [
            Severity::Informational,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ] {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(s));
        }
        assert!("urgent".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::Low);
    }
}
