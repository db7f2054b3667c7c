//! The audit log: who changed what, when and from where. Append-only (the
//! database refuses updates and deletes with a trigger).

use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;

use crate::auth::Principal;
use crate::error::{Result, StoreError};
use crate::store::{from_ms, now_ms, Store};

/// The longest detail text kept; longer is cut.
const MAX_DETAIL: usize = 4096;

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Its id (increasing).
    pub id: i64,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who: a user or token name, or `system`.
    pub actor: String,
    /// `user`, `token` or `system`.
    pub actor_kind: String,
    /// What: `login`, `login.failed`, `alert.status`, `user.create`, ...
    pub action: String,
    /// What it was done to (`alert:42`, `user:alice`), when it applies.
    pub target: Option<String>,
    /// Details in words or JSON.
    pub detail: String,
    /// From where: the client address.
    pub source: Option<String>,
}

/// An audit record to write.
#[derive(Debug, Clone, Copy)]
pub struct NewAudit<'a> {
    /// Who: a user or token name, or `system`.
    pub actor: &'a str,
    /// `user`, `token` or `system`.
    pub actor_kind: &'a str,
    /// What was done.
    pub action: &'a str,
    /// What it was done to.
    pub target: Option<&'a str>,
    /// Details.
    pub detail: &'a str,
    /// The client address.
    pub source: Option<&'a str>,
}

impl<'a> NewAudit<'a> {
    /// A record of `action` by `who`.
    pub fn by(who: &'a Principal, action: &'a str) -> NewAudit<'a> {
        NewAudit {
            actor: &who.name,
            actor_kind: match who.kind {
                crate::PrincipalKind::User => "user",
                crate::PrincipalKind::Token => "token",
            },
            action,
            target: None,
            detail: "",
            source: None,
        }
    }
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Store {
    /// Appends a record to the audit log.
    pub async fn audit(&self, e: &NewAudit<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, actor_kind, action, target, detail, source) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(now_ms())
        .bind(cut(e.actor, 200))
        .bind(cut(e.actor_kind, 16))
        .bind(cut(e.action, 64))
        .bind(e.target.map(|t| cut(t, 200)))
        .bind(cut(e.detail, MAX_DETAIL))
        .bind(e.source.map(|s| cut(s, 64)))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One page of the audit log, newest first, with the total.
    pub async fn list_audit(&self, limit: u32, offset: u64) -> Result<(u64, Vec<AuditEntry>)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&self.pool)
            .await?;
        let offset = i64::try_from(offset)
            .map_err(|_| StoreError::invalid("offset", format!("{offset} is too large")))?;
        let rows = sqlx::query(
            "SELECT id, at, actor, actor_kind, action, target, detail, source FROM audit_log \
             ORDER BY id DESC LIMIT $1 OFFSET $2",
        )
        .bind(i64::from(limit.min(crate::MAX_PAGE)))
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let entries = rows
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: from_ms("audit.at", r.try_get("at")?)?,
                    actor: r.try_get("actor")?,
                    actor_kind: r.try_get("actor_kind")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    detail: r.try_get("detail")?,
                    source: r.try_get("source")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((
            u64::try_from(total).map_err(|e| StoreError::corrupt("count", e))?,
            entries,
        ))
    }
}
