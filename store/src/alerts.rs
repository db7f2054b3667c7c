//! Alerts: batched idempotent inserts and filtered, paginated listing.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Serialize;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row};
use vedette_model::{Alert, NewAlert, Severity};

use crate::error::{Result, StoreError};
use crate::orgs::Scope;
use crate::store::{from_ms, to_ms, Store};

/// The most alerts one [`Store::list_alerts`] call returns; larger limits
/// are lowered to this.
pub const MAX_PAGE: u32 = 1000;

/// The status a new alert gets.
pub const STATUS_NEW: &str = "new";

/// The longest alert status accepted by [`Store::set_alert_status`].
const MAX_STATUS_LEN: usize = 32;

/// Values bound per inserted alert row.
const INSERT_COLUMNS: usize = 13;

/// The largest number of rows in one `INSERT` statement. Batches are cut into
/// statements of 64, 32, 16, 8, 4, 2 and 1 rows, so a connection caches at
/// most seven prepared insert statements whatever the batch sizes.
const INSERT_CHUNK: usize = 64;

/// Which alerts [`Store::list_alerts`] returns, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertQuery {
    /// Page size, at most [`MAX_PAGE`]; 0 returns only the total.
    pub limit: u32,
    /// How many matching alerts to skip.
    pub offset: u64,
    /// Only alerts at least this severe.
    pub min_severity: Option<Severity>,
    /// Only alerts with this workflow status.
    pub status: Option<String>,
    /// Only alerts raised by this rule.
    pub rule_id: Option<String>,
    /// Only alerts about this `host.name`.
    pub host: Option<String>,
    /// Only alerts of this organization (within the scope).
    pub org: Option<String>,
    /// Only alerts about this account (`user.name` of the event).
    pub user: Option<String>,
    /// Only alerts of these organizations (the principal's scope).
    pub scope: Scope,
    /// The order of the page.
    pub order: AlertOrder,
}

/// How [`Store::list_alerts`] orders alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertOrder {
    /// Newest first (by creation time, then id).
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Most severe first, newest first within a severity.
    Severity,
}

impl std::str::FromStr for AlertOrder {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "newest" => Ok(AlertOrder::Newest),
            "oldest" => Ok(AlertOrder::Oldest),
            "severity" => Ok(AlertOrder::Severity),
            _ => Err(StoreError::invalid(
                "sort",
                "expected newest, oldest or severity",
            )),
        }
    }
}

impl AlertOrder {
    fn sql(self) -> &'static str {
        match self {
            AlertOrder::Newest => "created DESC, id DESC",
            AlertOrder::Oldest => "created ASC, id ASC",
            AlertOrder::Severity => "severity_rank DESC, created DESC, id DESC",
        }
    }
}

impl Default for AlertQuery {
    /// The first 50 alerts, unfiltered.
    fn default() -> Self {
        AlertQuery {
            limit: 50,
            offset: 0,
            min_severity: None,
            status: None,
            rule_id: None,
            host: None,
            org: None,
            user: None,
            scope: Scope::All,
            order: AlertOrder::Newest,
        }
    }
}

/// One page of alerts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertPage {
    /// How many alerts match the query, over all pages.
    pub total: u64,
    /// This page, newest first.
    pub alerts: Vec<Alert>,
}

/// The rank stored beside the severity name, so that a minimum severity is a
/// range condition.
fn severity_rank(s: Severity) -> i16 {
    match s {
        Severity::Informational => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// A severity rank read back from a query: SQLite and `MAX()` give a
/// 64-bit integer, PostgreSQL's `SMALLINT` column a 16-bit one.
pub(crate) fn rank_col(row: &sqlx::any::AnyRow, col: &str) -> Result<i64> {
    Ok(row
        .try_get::<i64, _>(col)
        .or_else(|_| row.try_get::<i32, _>(col).map(i64::from))
        .or_else(|_| row.try_get::<i16, _>(col).map(i64::from))?)
}

/// An alert converted to column values.
struct AlertRow<'a> {
    rule_id: &'a str,
    rule_title: &'a str,
    severity: &'static str,
    rank: i16,
    tags: String,
    event_seq: i64,
    event_time: i64,
    created: i64,
    host: Option<&'a str>,
    org: Option<String>,
    user: Option<String>,
    event: String,
    correlation: Option<String>,
}

impl<'a> AlertRow<'a> {
    fn new(a: &'a NewAlert) -> Result<Self> {
        let event_seq = i64::try_from(a.event_seq).map_err(|_| {
            StoreError::invalid(
                "event_seq",
                format!(
                    "{} exceeds the largest storable sequence number",
                    a.event_seq
                ),
            )
        })?;
        Ok(AlertRow {
            rule_id: &a.rule_id,
            rule_title: &a.rule_title,
            severity: a.severity.as_str(),
            rank: severity_rank(a.severity),
            tags: serde_json::to_string(&a.tags)
                .map_err(|e| StoreError::invalid("tags", e.to_string()))?,
            event_seq,
            event_time: to_ms(a.event_time),
            created: to_ms(a.created),
            host: a.host.as_deref(),
            org: alert_org(a),
            user: a
                .event
                .get("user.name")
                .and_then(|v| v.as_str())
                .map(|u| u.chars().take(256).collect()),
            event: serde_json::to_string(&a.event)
                .map_err(|e| StoreError::invalid("event", e.to_string()))?,
            correlation: a
                .correlation
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::invalid("correlation", e.to_string()))?,
        })
    }
}

/// The `INSERT` statement for `rows` alerts (`rows` a power of two up to
/// [`INSERT_CHUNK`]).
fn insert_sql(rows: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| {
        let mut all = Vec::new();
        let mut n = 1;
        while n <= INSERT_CHUNK {
            let mut sql = String::from(
                "INSERT INTO alerts (rule_id, rule_title, severity, severity_rank, tags, \
                 event_seq, event_time, created, host, org, user_name, event, correlation) VALUES ",
            );
            for r in 0..n {
                sql.push_str(if r == 0 { "(" } else { ", (" });
                for c in 0..INSERT_COLUMNS {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    // Writing to a String cannot fail.
                    let _ = write!(sql, "${}", r * INSERT_COLUMNS + c + 1);
                }
                sql.push(')');
            }
            sql.push_str(" ON CONFLICT (rule_id, event_seq) DO NOTHING");
            all.push(sql);
            n *= 2;
        }
        all
    });
    let idx = rows.max(1).trailing_zeros() as usize;
    all.get(idx)
        .or(all.last())
        .map(String::as_str)
        .unwrap_or_default()
}

/// Cuts `n` rows into statement sizes: 64s, then the binary digits of the
/// remainder.
fn chunk_sizes(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let size = if n >= INSERT_CHUNK {
            INSERT_CHUNK
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        n -= size;
        Some(size)
    })
}

/// Filters of an [`AlertQuery`] as SQL text plus the values to bind.
struct Filters<'a> {
    sql: String,
    rank: Option<i16>,
    texts: Vec<&'a str>,
    next_param: usize,
}

impl<'a> Filters<'a> {
    fn new(q: &'a AlertQuery) -> Self {
        let mut f = Filters {
            sql: String::new(),
            rank: None,
            texts: Vec::new(),
            next_param: 1,
        };
        let mut clauses = Vec::new();
        if let Some(s) = q.min_severity {
            clauses.push(format!("severity_rank >= ${}", f.next_param));
            f.next_param += 1;
            f.rank = Some(severity_rank(s));
        }
        for (column, value) in [
            ("status", &q.status),
            ("rule_id", &q.rule_id),
            ("host", &q.host),
            ("org", &q.org),
            ("user_name", &q.user),
        ] {
            if let Some(v) = value {
                clauses.push(format!("{column} = ${}", f.next_param));
                f.next_param += 1;
                f.texts.push(v);
            }
        }
        match &q.scope {
            Scope::All => {}
            Scope::Orgs(orgs) if orgs.is_empty() => clauses.push("1 = 0".to_string()),
            Scope::Orgs(orgs) => {
                let params: Vec<String> = (0..orgs.len())
                    .map(|i| format!("${}", f.next_param + i))
                    .collect();
                clauses.push(format!("org IN ({})", params.join(", ")));
                f.next_param += orgs.len();
                f.texts.extend(orgs.iter().map(String::as_str));
            }
        }
        if !clauses.is_empty() {
            f.sql = format!(" WHERE {}", clauses.join(" AND "));
        }
        f
    }

    fn bind<'q>(&self, mut q: Query<'q, Any, AnyArguments<'q>>) -> Query<'q, Any, AnyArguments<'q>>
    where
        'a: 'q,
    {
        if let Some(rank) = self.rank {
            q = q.bind(rank);
        }
        for t in &self.texts {
            q = q.bind(*t);
        }
        q
    }
}

pub(crate) const ALERT_COLUMNS: &str =
    "id, status, rule_id, rule_title, severity, tags, event_seq, event_time, created, host, org, assignee, event, correlation";

/// The organization an alert belongs to: its event's `organization.id`
/// (set by the parsers' per-source rules), lowercased.
fn alert_org(a: &NewAlert) -> Option<String> {
    a.event
        .get("organization.id")
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
}

pub(crate) fn alert_from_row(row: &sqlx::any::AnyRow) -> Result<Alert> {
    let severity: String = row.try_get("severity")?;
    let tags: String = row.try_get("tags")?;
    let event_seq: i64 = row.try_get("event_seq")?;
    let event: String = row.try_get("event")?;
    let correlation: Option<String> = row.try_get("correlation")?;
    Ok(Alert {
        id: row.try_get("id")?,
        status: row.try_get("status")?,
        organization: row.try_get("org")?,
        assignee: row.try_get("assignee")?,
        alert: NewAlert {
            rule_id: row.try_get("rule_id")?,
            rule_title: row.try_get("rule_title")?,
            severity: severity
                .parse()
                .map_err(|e| StoreError::corrupt("alert.severity", e))?,
            tags: serde_json::from_str(&tags).map_err(|e| StoreError::corrupt("alert.tags", e))?,
            event_seq: u64::try_from(event_seq)
                .map_err(|e| StoreError::corrupt("alert.event_seq", e))?,
            event_time: from_ms("alert.event_time", row.try_get("event_time")?)?,
            created: from_ms("alert.created", row.try_get("created")?)?,
            host: row.try_get("host")?,
            event: serde_json::from_str(&event)
                .map_err(|e| StoreError::corrupt("alert.event", e))?,
            correlation: correlation
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(|e| StoreError::corrupt("alert.correlation", e))?,
        },
    })
}

pub(crate) async fn count(pool: &AnyPool, sql: &str) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(sql).fetch_one(pool).await?;
    u64::try_from(n).map_err(|e| StoreError::corrupt("count", e))
}

impl Store {
    /// Assigns an alert visible in `scope` to user `assignee` (an existing
    /// user name; `None` unassigns). Returns whether the alert was found.
    pub async fn assign_alert(
        &self,
        id: i64,
        assignee: Option<&str>,
        scope: &Scope,
    ) -> Result<bool> {
        if let Some(a) = assignee {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE name = $1")
                .bind(a)
                .fetch_optional(&self.pool)
                .await?;
            if exists.is_none() {
                return Err(StoreError::invalid("assignee", format!("no user {a:?}")));
            }
        }
        match self.get_alert(id).await? {
            Some(alert) if scope.allows(alert.organization.as_deref()) => {}
            _ => return Ok(false),
        }
        sqlx::query("UPDATE alerts SET assignee = $1 WHERE id = $2")
            .bind(assignee)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(true)
    }

    /// Stores a batch of alerts in one transaction and returns how many were
    /// new. An alert whose `(rule_id, event_seq)` is already stored is
    /// skipped, so replaying the spool after a crash raises nothing twice.
    ///
    /// Times are stored with millisecond precision. Nothing is written when
    /// any alert is invalid (an `event_seq` above `i64::MAX`).
    pub async fn insert_alerts(&self, alerts: &[NewAlert]) -> Result<u64> {
        if alerts.is_empty() {
            return Ok(0);
        }
        let rows = alerts
            .iter()
            .map(AlertRow::new)
            .collect::<Result<Vec<_>>>()?;
        let mut tx = self.pool.begin().await?;
        // Reading before writing would make this a read transaction that
        // SQLite cannot upgrade when another connection wrote meanwhile:
        // the suppression pass below finds the new rows by creation time.
        let since = rows.iter().map(|r| r.created).min().unwrap_or(0);
        let mut inserted = 0;
        let mut rest = rows.as_slice();
        for size in chunk_sizes(rows.len()) {
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            rest = tail;
            let mut q = sqlx::query(insert_sql(size));
            for r in chunk {
                q = q
                    .bind(r.rule_id)
                    .bind(r.rule_title)
                    .bind(r.severity)
                    .bind(r.rank)
                    .bind(r.tags.as_str())
                    .bind(r.event_seq)
                    .bind(r.event_time)
                    .bind(r.created)
                    .bind(r.host)
                    .bind(r.org.as_deref())
                    .bind(r.user.as_deref())
                    .bind(r.event.as_str())
                    .bind(r.correlation.as_deref());
            }
            inserted += q.execute(&mut *tx).await?.rows_affected();
        }
        if inserted > 0 {
            // Suppressions in force silence the new alerts they cover (older
            // `new` ones were silenced when the suppression was made).
            sqlx::query(
                "UPDATE alerts SET status = 'suppressed' WHERE created >= $1 AND status = 'new' \
                 AND EXISTS (SELECT 1 FROM suppressions s WHERE s.rule_id = alerts.rule_id \
                 AND s.lifted IS NULL AND s.expires > $2 \
                 AND (s.host IS NULL OR s.host = alerts.host) \
                 AND (s.org IS NULL OR s.org = alerts.org))",
            )
            .bind(since)
            .bind(crate::store::now_ms())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// One page of the alerts that match `q`, newest first (by creation
    /// time, then id), with the number of matches over all pages.
    pub async fn list_alerts(&self, q: &AlertQuery) -> Result<AlertPage> {
        let limit = i64::from(q.limit.min(MAX_PAGE));
        let offset = i64::try_from(q.offset)
            .map_err(|_| StoreError::invalid("offset", format!("{} is too large", q.offset)))?;
        let f = Filters::new(q);
        let count_sql = format!("SELECT COUNT(*) FROM alerts{}", f.sql);
        let total: i64 = f
            .bind(sqlx::query(&count_sql))
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let total = u64::try_from(total).map_err(|e| StoreError::corrupt("count", e))?;
        if limit == 0 || q.offset >= total {
            return Ok(AlertPage {
                total,
                alerts: Vec::new(),
            });
        }
        let list_sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts{} ORDER BY {} LIMIT ${} OFFSET ${}",
            f.sql,
            q.order.sql(),
            f.next_param,
            f.next_param + 1
        );
        let rows = f
            .bind(sqlx::query(&list_sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let alerts = rows
            .iter()
            .map(alert_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(AlertPage { total, alerts })
    }

    /// One alert by id.
    pub async fn get_alert(&self, id: i64) -> Result<Option<Alert>> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(alert_from_row).transpose()
    }

    /// How many alerts are stored.
    pub async fn alert_count(&self) -> Result<u64> {
        count(&self.pool, "SELECT COUNT(*) FROM alerts").await
    }

    /// Sets an alert's workflow status (`acknowledged`, `closed`, ...: 1 to
    /// 32 characters among `a-z`, `0-9`, `_` and `-`). Returns whether the
    /// alert exists.
    pub async fn set_alert_status(&self, id: i64, status: &str) -> Result<bool> {
        let ok = !status.is_empty()
            && status.len() <= MAX_STATUS_LEN
            && status
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !ok {
            return Err(StoreError::invalid(
                "status",
                format!("expected 1 to {MAX_STATUS_LEN} characters among a-z, 0-9, _ and -"),
            ));
        }
        let r = sqlx::query("UPDATE alerts SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_batch_with_few_shapes() {
        for n in 0..300 {
            let sizes: Vec<usize> = chunk_sizes(n).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(sizes
                .iter()
                .all(|s| s.is_power_of_two() && *s <= INSERT_CHUNK));
        }
        assert_eq!(chunk_sizes(135).collect::<Vec<_>>(), [64, 64, 4, 2, 1]);
    }

    #[test]
    fn insert_sql_numbers_every_parameter() {
        let params: Vec<String> = (1..=INSERT_COLUMNS).map(|i| format!("${i}")).collect();
        let one = insert_sql(1);
        assert!(one.contains(&format!("VALUES ({}) ON CONFLICT", params.join(", "))));
        let four = insert_sql(4);
        assert!(four.contains(&format!("${})", 4 * INSERT_COLUMNS)));
        assert!(!four.contains(&format!("${}", 4 * INSERT_COLUMNS + 1)));
        assert!(insert_sql(64).contains(&format!("${})", 64 * INSERT_COLUMNS)));
    }

    #[test]
    fn filters_number_parameters_in_order() {
        let q = AlertQuery {
            min_severity: Some(Severity::High),
            host: Some("web1".into()),
            ..AlertQuery::default()
        };
        let f = Filters::new(&q);
        assert_eq!(f.sql, " WHERE severity_rank >= $1 AND host = $2");
        assert_eq!(f.next_param, 3);
        assert_eq!(f.rank, Some(3));
        assert_eq!(f.texts, ["web1"]);
        assert_eq!(Filters::new(&AlertQuery::default()).sql, "");
    }

    #[test]
    fn ranks_follow_severity_order() {
        let all = [
            Severity::Informational,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ];
        for w in all.windows(2) {
            assert!(severity_rank(w[0]) < severity_rank(w[1]));
        }
    }
}
