//! The overview dashboard's figures, computed in the database and limited
//! to a scope.

use serde::Serialize;
use sqlx::Row;

use crate::error::{Result, StoreError};
use crate::orgs::{scope_clause, Scope};
use crate::store::{now_ms, Store};

/// Hours of alert history the dashboard charts.
pub const DASHBOARD_HOURS: i64 = 24;

/// A name and a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// What is counted (a rule, a host, a status).
    pub key: String,
    /// A label for it (a rule's title), when it differs from the key.
    pub label: String,
    /// How many.
    pub n: u64,
}

/// One organization's posture: its alerts still open, by severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgPosture {
    /// The organization (`None`: alerts assigned to none).
    pub org: Option<String>,
    /// Open (`new` or `acknowledged`) alerts of each severity, from
    /// informational to critical.
    pub open: [u64; 5],
    /// Open incidents.
    pub incidents: u64,
}

/// Open incidents in one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentAge {
    /// The status.
    pub status: String,
    /// How many.
    pub n: u64,
    /// Hours since the oldest was opened.
    pub oldest_hours: u64,
}

/// The dashboard's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    /// Alerts raised per hour over the last [`DASHBOARD_HOURS`], oldest
    /// first, by severity (informational to critical).
    pub alerts_by_hour: Vec<[u64; 5]>,
    /// The rules that raised most alerts in that period.
    pub top_rules: Vec<Count>,
    /// The hosts with most alerts in that period.
    pub top_hosts: Vec<Count>,
    /// Open incidents by status, with the age of the oldest.
    pub incidents: Vec<IncidentAge>,
    /// Per organization.
    pub posture: Vec<OrgPosture>,
}

fn n(r: &sqlx::any::AnyRow, col: &str) -> Result<u64> {
    let v: i64 = r.try_get(col)?;
    u64::try_from(v).map_err(|e| StoreError::corrupt("count", e))
}

impl Store {
    /// The dashboard's figures for `scope`.
    pub async fn dashboard(&self, scope: &Scope) -> Result<Dashboard> {
        let now = now_ms();
        let hour = 3_600_000i64;
        let since = now - DASHBOARD_HOURS * hour;
        let (sc, orgs) = scope_clause(scope, 2);
        fn bound<'q>(
            sql: &'q str,
            since: i64,
            orgs: &[&str],
        ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
            let mut q = sqlx::query(sql).bind(since);
            for o in orgs {
                q = q.bind(o.to_string());
            }
            q
        }

        let sql = format!(
            "SELECT (created - $1) / {hour} AS h, severity_rank AS r, COUNT(*) AS n FROM alerts \
             WHERE created >= $1{sc} GROUP BY (created - $1) / {hour}, severity_rank"
        );
        let mut by_hour = vec![[0u64; 5]; DASHBOARD_HOURS as usize];
        for r in bound(&sql, since, &orgs).fetch_all(&self.pool).await? {
            let h: i64 = r.try_get("h")?;
            let rank = crate::alerts::rank_col(&r, "r")?;
            if let (Some(slot), Ok(rank)) = (
                by_hour.get_mut(usize::try_from(h).unwrap_or(usize::MAX)),
                usize::try_from(rank),
            ) {
                if let Some(c) = slot.get_mut(rank) {
                    *c += n(&r, "n")?;
                }
            }
        }

        let sql = format!(
            "SELECT rule_id, MAX(rule_title) AS title, COUNT(*) AS n FROM alerts \
             WHERE created >= $1{sc} GROUP BY rule_id ORDER BY COUNT(*) DESC, rule_id LIMIT 10"
        );
        let top_rules = bound(&sql, since, &orgs)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Count {
                    key: r.try_get("rule_id")?,
                    label: r.try_get("title")?,
                    n: n(r, "n")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let sql = format!(
            "SELECT host, COUNT(*) AS n FROM alerts WHERE created >= $1 AND host IS NOT NULL{sc} \
             GROUP BY host ORDER BY COUNT(*) DESC, host LIMIT 10"
        );
        let top_hosts = bound(&sql, since, &orgs)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let host: String = r.try_get("host")?;
                Ok(Count {
                    label: host.clone(),
                    key: host,
                    n: n(r, "n")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let (sc1, orgs1) = scope_clause(scope, 1);
        let sql = format!(
            "SELECT status, COUNT(*), MIN(created) FROM incidents \
             WHERE status NOT IN ('resolved', 'closed'){sc1} GROUP BY status ORDER BY status"
        );
        let mut q = sqlx::query_as::<_, (String, i64, i64)>(&sql);
        for o in &orgs1 {
            q = q.bind(o.to_string());
        }
        let incidents = q
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(status, count, oldest)| IncidentAge {
                status,
                n: u64::try_from(count).unwrap_or(0),
                oldest_hours: u64::try_from((now - oldest) / hour).unwrap_or(0),
            })
            .collect();

        let sql = format!(
            "SELECT org, severity_rank AS r, COUNT(*) AS n FROM alerts \
             WHERE status IN ('new', 'acknowledged'){sc1} GROUP BY org, severity_rank"
        );
        let mut q = sqlx::query(&sql);
        for o in &orgs1 {
            q = q.bind(o.to_string());
        }
        let mut posture: Vec<OrgPosture> = Vec::new();
        for r in q.fetch_all(&self.pool).await? {
            let org: Option<String> = r.try_get("org")?;
            let rank = crate::alerts::rank_col(&r, "r")?;
            let count = n(&r, "n")?;
            let i = match posture.iter().position(|p| p.org == org) {
                Some(i) => i,
                None => {
                    posture.push(OrgPosture {
                        org,
                        open: [0; 5],
                        incidents: 0,
                    });
                    posture.len() - 1
                }
            };
            if let Some(c) = usize::try_from(rank)
                .ok()
                .and_then(|r| posture[i].open.get_mut(r))
            {
                *c += count;
            }
        }
        let sql = format!(
            "SELECT org, COUNT(*) FROM incidents WHERE status NOT IN ('resolved', 'closed'){sc1} \
             GROUP BY org"
        );
        let mut q = sqlx::query_as::<_, (Option<String>, i64)>(&sql);
        for o in &orgs1 {
            q = q.bind(o.to_string());
        }
        for (org, count) in q.fetch_all(&self.pool).await? {
            let count = u64::try_from(count).unwrap_or(0);
            match posture.iter_mut().find(|p| p.org == org) {
                Some(p) => p.incidents = count,
                None => posture.push(OrgPosture {
                    org,
                    open: [0; 5],
                    incidents: count,
                }),
            }
        }
        // Worst first: critical, then high, ... then open incidents.
        posture.sort_by(|a, b| {
            let key = |p: &OrgPosture| (p.open[4], p.open[3], p.open[2], p.incidents);
            key(b).cmp(&key(a)).then(a.org.cmp(&b.org))
        });
        Ok(Dashboard {
            alerts_by_hour: by_hour,
            top_rules,
            top_hosts,
            incidents,
            posture,
        })
    }
}
