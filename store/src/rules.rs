//! Rule management state: which rules are switched off, and how often each
//! rule has fired (from the alerts themselves, within a scope).

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::{Result, StoreError};
use crate::orgs::Scope;
use crate::store::{from_ms, now_ms, Store};

/// The longest rule id accepted.
const MAX_RULE_ID: usize = 256;

/// A rule's switch, as last set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSetting {
    /// Whether the rule raises alerts.
    pub enabled: bool,
    /// Who set it.
    pub changed_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub changed_at: OffsetDateTime,
}

/// How often a rule fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleHits {
    /// Alerts it raised.
    pub hits: u64,
    /// When the latest was raised.
    #[serde(with = "time::serde::rfc3339")]
    pub last_hit: OffsetDateTime,
}

impl Store {
    /// Every rule that has a switch set, by rule id.
    pub async fn rule_settings(&self) -> Result<HashMap<String, RuleSetting>> {
        let rows =
            sqlx::query("SELECT rule_id, enabled, changed_by, changed_at FROM rule_settings")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("rule_id")?,
                    RuleSetting {
                        enabled: r.try_get::<i64, _>("enabled")? != 0,
                        changed_by: r.try_get("changed_by")?,
                        changed_at: from_ms("rule_settings.changed_at", r.try_get("changed_at")?)?,
                    },
                ))
            })
            .collect()
    }

    /// Switches a rule on or off.
    pub async fn set_rule_enabled(&self, rule_id: &str, enabled: bool, by: &str) -> Result<()> {
        if rule_id.is_empty() || rule_id.len() > MAX_RULE_ID {
            return Err(StoreError::invalid(
                "rule_id",
                format!("must be 1 to {MAX_RULE_ID} bytes"),
            ));
        }
        sqlx::query(
            "INSERT INTO rule_settings (rule_id, enabled, changed_by, changed_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (rule_id) DO UPDATE SET \
             enabled = excluded.enabled, changed_by = excluded.changed_by, \
             changed_at = excluded.changed_at",
        )
        .bind(rule_id)
        .bind(i64::from(enabled))
        .bind(by)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        tracing::info!(rule_id, enabled, by, "rule switched");
        Ok(())
    }

    /// Alerts per rule and the latest one's time, counting only alerts
    /// visible in `scope`.
    pub async fn rule_hits(&self, scope: &Scope) -> Result<HashMap<String, RuleHits>> {
        let (sql, orgs) = match scope {
            Scope::All => (
                "SELECT rule_id, COUNT(*) AS n, MAX(created) AS last FROM alerts GROUP BY rule_id"
                    .to_string(),
                &[][..],
            ),
            Scope::Orgs(orgs) if orgs.is_empty() => return Ok(HashMap::new()),
            Scope::Orgs(orgs) => {
                let params: Vec<String> = (1..=orgs.len()).map(|i| format!("${i}")).collect();
                (
                    format!(
                        "SELECT rule_id, COUNT(*) AS n, MAX(created) AS last FROM alerts \
                         WHERE org IN ({}) GROUP BY rule_id",
                        params.join(", ")
                    ),
                    orgs.as_slice(),
                )
            }
        };
        let mut q = sqlx::query(&sql);
        for o in orgs {
            q = q.bind(o.as_str());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get("n")?;
                Ok((
                    r.try_get::<String, _>("rule_id")?,
                    RuleHits {
                        hits: u64::try_from(n).map_err(|e| StoreError::corrupt("count", e))?,
                        last_hit: from_ms("alerts.created", r.try_get("last")?)?,
                    },
                ))
            })
            .collect()
    }
}
