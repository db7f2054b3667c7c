//! Organizations (tenants): the province, its agencies and their units,
//! and what part of the hierarchy a principal may see.

use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::{is_unique_violation, Result, StoreError};
use crate::store::{from_ms, now_ms, Store};

/// The longest organization slug accepted.
const MAX_SLUG_CHARS: usize = 64;
/// The longest organization display name accepted.
const MAX_ORG_NAME_CHARS: usize = 200;
/// How deep the hierarchy may go (guards the recursive query against a
/// cycle written into the database by hand).
const MAX_DEPTH: usize = 16;

/// What data a principal may see: everything, or the alerts and events of
/// some organizations (by slug).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Province-wide: every organization, and data assigned to none.
    #[default]
    All,
    /// Only these organizations (a principal's own and its descendants),
    /// lowercase slugs.
    Orgs(Vec<String>),
}

impl Scope {
    /// Whether data of organization `org` (`None`: assigned to none) is
    /// visible. Comparison ignores ASCII case.
    pub fn allows(&self, org: Option<&str>) -> bool {
        match (self, org) {
            (Scope::All, _) => true,
            (Scope::Orgs(_), None) => false,
            (Scope::Orgs(orgs), Some(o)) => orgs.iter().any(|s| s.eq_ignore_ascii_case(o.trim())),
        }
    }

    /// The organizations, or `None` when unrestricted.
    pub fn orgs(&self) -> Option<&[String]> {
        match self {
            Scope::All => None,
            Scope::Orgs(o) => Some(o),
        }
    }
}

/// An organization as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    /// Its id.
    pub id: i64,
    /// Its unique slug: the `organization.id` its sources' events carry.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// The slug of the organization above it, if any.
    pub parent: Option<String>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// Checks a slug: 1 to 64 characters among `a-z`, `0-9`, `.`, `_`, `-`.
pub(crate) fn check_slug(slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= MAX_SLUG_CHARS
        && slug.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_' || b == b'-'
        });
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "organization",
            format!("expected 1 to {MAX_SLUG_CHARS} characters among a-z, 0-9, '.', '_' and '-'"),
        ))
    }
}

/// ` AND org IN ($first, ...)` for a scope and the values to bind (nothing
/// for the whole province, a clause that matches nothing for an empty
/// scope): how every query over alerts or incidents is limited to a tenant.
pub(crate) fn scope_clause(scope: &Scope, first: usize) -> (String, Vec<&str>) {
    match scope {
        Scope::All => (String::new(), Vec::new()),
        Scope::Orgs(o) if o.is_empty() => (" AND 1 = 0".into(), Vec::new()),
        Scope::Orgs(o) => {
            let p: Vec<String> = (0..o.len()).map(|i| format!("${}", first + i)).collect();
            (
                format!(" AND org IN ({})", p.join(", ")),
                o.iter().map(String::as_str).collect(),
            )
        }
    }
}

impl Store {
    /// Creates an organization under `parent` (a slug; `None` for a
    /// top-level one) and returns its id.
    pub async fn create_org(&self, slug: &str, name: &str, parent: Option<&str>) -> Result<i64> {
        check_slug(slug)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_ORG_NAME_CHARS {
            return Err(StoreError::invalid(
                "name",
                format!("must be 1 to {MAX_ORG_NAME_CHARS} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(StoreError::invalid(
                "name",
                "must not contain control characters",
            ));
        }
        let parent_id =
            match parent {
                None => None,
                Some(p) => Some(self.org_id(p).await?.ok_or_else(|| {
                    StoreError::invalid("parent", format!("no organization {p:?}"))
                })?),
            };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organizations (slug, name, parent_id, created) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(slug)
        .bind(name)
        .bind(parent_id)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict {
                    what: "organization",
                    name: slug.to_string(),
                }
            } else {
                e.into()
            }
        })?;
        tracing::info!(organization = slug, parent = parent, "organization created");
        Ok(id)
    }

    /// The id of the organization with this slug.
    pub async fn org_id(&self, slug: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM organizations WHERE slug = $1")
                .bind(slug.trim().to_ascii_lowercase())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The organizations visible in `scope`, by slug.
    pub async fn list_orgs(&self, scope: &Scope) -> Result<Vec<Organization>> {
        let rows = sqlx::query(
            "SELECT o.id, o.slug, o.name, p.slug AS parent, o.created \
             FROM organizations o LEFT JOIN organizations p ON p.id = o.parent_id \
             ORDER BY o.slug",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let slug: String = r.try_get("slug")?;
            if !scope.allows(Some(&slug)) {
                continue;
            }
            out.push(Organization {
                id: r.try_get("id")?,
                slug,
                name: r.try_get("name")?,
                parent: r.try_get("parent")?,
                created: from_ms("organization.created", r.try_get("created")?)?,
            });
        }
        Ok(out)
    }

    /// The scope of a principal attached to organization `org_id`: that
    /// organization and everything below it; `None` is province-wide.
    pub async fn scope_of(&self, org_id: Option<i64>) -> Result<Scope> {
        let Some(root) = org_id else {
            return Ok(Scope::All);
        };
        let rows = sqlx::query(
            "WITH RECURSIVE sub (id, slug, depth) AS ( \
                 SELECT id, slug, 0 FROM organizations WHERE id = $1 \
                 UNION ALL \
                 SELECT o.id, o.slug, sub.depth + 1 FROM organizations o \
                 JOIN sub ON o.parent_id = sub.id WHERE sub.depth < $2 \
             ) SELECT DISTINCT slug FROM sub ORDER BY slug",
        )
        .bind(root)
        .bind(MAX_DEPTH as i64)
        .fetch_all(&self.pool)
        .await?;
        let slugs = rows
            .iter()
            .map(|r| r.try_get::<String, _>("slug"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Scope::Orgs(slugs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_allows() {
        let s = Scope::Orgs(vec!["so-tttt".into(), "so-tttt.ttcntt".into()]);
        assert!(s.allows(Some("SO-TTTT")));
        assert!(!s.allows(Some("so-yte")));
        assert!(!s.allows(None));
        assert!(Scope::All.allows(None));
        assert!(!Scope::Orgs(vec![]).allows(Some("x")));
    }

    #[test]
    fn slugs() {
        assert!(check_slug("so-tttt.ttcntt_1").is_ok());
        for bad in ["", "Upper", "with space", "a/b", &"x".repeat(65)] {
            assert!(check_slug(bad).is_err(), "{bad:?}");
        }
    }
}
