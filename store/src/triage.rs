//! Alert triage in bulk: status changes on many alerts at once, grouping
//! of repeats, and suppressions (similar alerts silenced for a period,
//! with who decided it and why).

use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::{Result, StoreError};
use crate::orgs::{scope_clause, Scope};
use crate::store::{from_ms, now_ms, to_ms, Store};

/// The most alerts one bulk change takes.
pub const MAX_BULK: usize = 5000;
/// The longest a suppression may last: 90 days.
pub const MAX_SUPPRESSION: time::Duration = time::Duration::days(90);
/// The status suppressed alerts get.
pub const STATUS_SUPPRESSED: &str = "suppressed";

/// A suppression: alerts of a rule (on a host, in an organization) get the
/// status `suppressed` until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// Its id.
    pub id: i64,
    /// The rule it silences.
    pub rule_id: String,
    /// Only on this `host.name`, when set.
    pub host: Option<String>,
    /// Only in this organization, when set.
    pub org: Option<String>,
    /// Why.
    pub reason: String,
    /// Who decided it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// Until when.
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    /// Who lifted it early, if anyone.
    pub lifted_by: Option<String>,
}

/// A suppression to create.
#[derive(Debug, Clone)]
pub struct NewSuppression<'a> {
    /// The rule to silence.
    pub rule_id: &'a str,
    /// Only on this host.
    pub host: Option<&'a str>,
    /// Only in this organization.
    pub org: Option<&'a str>,
    /// Why (required).
    pub reason: &'a str,
    /// Who.
    pub created_by: &'a str,
    /// Until when (at most [`MAX_SUPPRESSION`] from now).
    pub expires: OffsetDateTime,
}

/// Repeats of one rule on one host, as one row of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertGroup {
    /// The rule.
    pub rule_id: String,
    /// Its title (of the latest alert).
    pub rule_title: String,
    /// The host (`None`: alerts without one).
    pub host: Option<String>,
    /// How many alerts.
    pub count: u64,
    /// The highest severity among them.
    pub severity: String,
    /// The latest alert's id.
    pub latest_id: i64,
    /// When the latest was raised.
    #[serde(with = "time::serde::rfc3339")]
    pub latest: OffsetDateTime,
    /// When the first was raised.
    #[serde(with = "time::serde::rfc3339")]
    pub first: OffsetDateTime,
}

const SEVERITY_BY_RANK: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

impl Store {
    /// Sets the status of every alert of `ids` visible in `scope`; returns
    /// the ids changed (the others do not exist or are out of scope).
    pub async fn set_alerts_status(
        &self,
        ids: &[i64],
        status: &str,
        scope: &Scope,
    ) -> Result<Vec<i64>> {
        if ids.len() > MAX_BULK {
            return Err(StoreError::invalid(
                "alert_ids",
                format!("at most {MAX_BULK} alerts at once"),
            ));
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        let mut changed = Vec::with_capacity(ids.len());
        // 500 ids per statement keeps PostgreSQL and SQLite within their
        // parameter limits.
        for chunk in ids.chunks(500) {
            let id_params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let (scope_sql, orgs) = scope_clause(scope, chunk.len() + 1);
            let select = format!(
                "SELECT id FROM alerts WHERE id IN ({}){scope_sql}",
                id_params.join(", ")
            );
            let mut q = sqlx::query(&select);
            for id in chunk {
                q = q.bind(*id);
            }
            for o in &orgs {
                q = q.bind(*o);
            }
            let rows = q.fetch_all(&mut *tx).await?;
            let visible: Vec<i64> = rows
                .iter()
                .map(|r| r.try_get::<i64, _>("id"))
                .collect::<std::result::Result<_, _>>()?;
            if visible.is_empty() {
                continue;
            }
            let p: Vec<String> = (0..visible.len()).map(|i| format!("${}", i + 2)).collect();
            let update = format!(
                "UPDATE alerts SET status = $1 WHERE id IN ({})",
                p.join(", ")
            );
            let mut q = sqlx::query(&update).bind(status);
            for id in &visible {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
            changed.extend(visible);
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Repeats of the same rule on the same host as one row each, newest
    /// group first, within `scope`, optionally of one status only.
    pub async fn alert_groups(
        &self,
        scope: &Scope,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AlertGroup>> {
        let mut next = 1;
        let status_sql = if status.is_some() {
            next += 1;
            " AND status = $1".to_string()
        } else {
            String::new()
        };
        let (scope_sql, orgs) = scope_clause(scope, next);
        let sql = format!(
            "SELECT rule_id, MAX(rule_title) AS title, host, COUNT(*) AS n, MAX(severity_rank) AS rank, MAX(id) AS latest_id, \
             MAX(created) AS latest, MIN(created) AS first FROM alerts WHERE 1 = 1{status_sql}{scope_sql} \
             GROUP BY rule_id, host ORDER BY MAX(created) DESC LIMIT {}",
            limit.min(crate::MAX_PAGE)
        );
        let mut q = sqlx::query(&sql);
        if let Some(s) = status {
            q = q.bind(s);
        }
        for o in &orgs {
            q = q.bind(*o);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let latest_id: i64 = r.try_get("latest_id")?;
            let rank = crate::alerts::rank_col(r, "rank")?;
            let title: String = r.try_get("title")?;
            let n: i64 = r.try_get("n")?;
            out.push(AlertGroup {
                rule_id: r.try_get("rule_id")?,
                rule_title: title,
                host: r.try_get("host")?,
                count: u64::try_from(n).map_err(|e| StoreError::corrupt("count", e))?,
                severity: SEVERITY_BY_RANK
                    .get(usize::try_from(rank).unwrap_or(0))
                    .copied()
                    .unwrap_or("medium")
                    .to_string(),
                latest_id,
                latest: from_ms("alerts.created", r.try_get("latest")?)?,
                first: from_ms("alerts.created", r.try_get("first")?)?,
            });
        }
        Ok(out)
    }

    /// Creates a suppression and marks the matching alerts still `new`
    /// as suppressed. Returns its id and how many alerts it silenced.
    pub async fn create_suppression(&self, s: &NewSuppression<'_>) -> Result<(i64, u64)> {
        let now = OffsetDateTime::now_utc();
        if s.rule_id.is_empty() || s.rule_id.len() > 256 {
            return Err(StoreError::invalid("rule_id", "must be 1 to 256 bytes"));
        }
        if s.reason.trim().is_empty() || s.reason.len() > 4096 {
            return Err(StoreError::invalid(
                "reason",
                "a suppression needs a reason (at most 4096 bytes)",
            ));
        }
        if s.expires <= now || s.expires > now + MAX_SUPPRESSION {
            return Err(StoreError::invalid(
                "expires",
                "must be in the future and at most 90 days away",
            ));
        }
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO suppressions (rule_id, host, org, reason, created_by, created, expires) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(s.rule_id)
        .bind(s.host)
        .bind(s.org)
        .bind(s.reason.trim())
        .bind(s.created_by)
        .bind(now_ms())
        .bind(to_ms(s.expires))
        .fetch_one(&mut *tx)
        .await?;
        let r = sqlx::query(
            "UPDATE alerts SET status = $1 WHERE status = 'new' AND rule_id = $2 \
             AND ($3 IS NULL OR host = $3) AND ($4 IS NULL OR org = $4)",
        )
        .bind(STATUS_SUPPRESSED)
        .bind(s.rule_id)
        .bind(s.host)
        .bind(s.org)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((id, r.rows_affected()))
    }

    /// Suppressions in force (not expired, not lifted) visible in `scope`:
    /// a scoped principal sees those of its organizations.
    pub async fn active_suppressions(&self, scope: &Scope) -> Result<Vec<Suppression>> {
        let rows = sqlx::query(
            "SELECT id, rule_id, host, org, reason, created_by, created, expires, lifted_by \
             FROM suppressions WHERE lifted IS NULL AND expires > $1 ORDER BY id DESC",
        )
        .bind(now_ms())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let org: Option<String> = r.try_get("org")?;
            if scope != &Scope::All && !scope.allows(org.as_deref()) {
                continue;
            }
            out.push(Suppression {
                id: r.try_get("id")?,
                rule_id: r.try_get("rule_id")?,
                host: r.try_get("host")?,
                org,
                reason: r.try_get("reason")?,
                created_by: r.try_get("created_by")?,
                created: from_ms("suppressions.created", r.try_get("created")?)?,
                expires: from_ms("suppressions.expires", r.try_get("expires")?)?,
                lifted_by: r.try_get("lifted_by")?,
            });
        }
        Ok(out)
    }

    /// Ends a suppression early. Returns whether one in force was lifted.
    pub async fn lift_suppression(&self, id: i64, by: &str) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE suppressions SET lifted = $1, lifted_by = $2 WHERE id = $3 AND lifted IS NULL",
        )
        .bind(now_ms())
        .bind(by)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }
}

impl Store {
    /// Alerts with an id above `after` visible in `scope`, oldest first, at
    /// most `limit`: what a live queue has not shown yet.
    pub async fn alerts_after(
        &self,
        after: i64,
        scope: &Scope,
        limit: u32,
    ) -> Result<Vec<vedette_model::Alert>> {
        let (scope_sql, orgs) = scope_clause(scope, 2);
        let sql = format!(
            "SELECT {} FROM alerts WHERE id > $1{scope_sql} ORDER BY id LIMIT {}",
            crate::alerts::ALERT_COLUMNS,
            limit.min(crate::MAX_PAGE)
        );
        let mut q = sqlx::query(&sql).bind(after);
        for o in &orgs {
            q = q.bind(*o);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(crate::alerts::alert_from_row).collect()
    }

    /// The highest alert id (0 when there is none).
    pub async fn last_alert_id(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM alerts")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
