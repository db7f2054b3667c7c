//! Incidents (cases) and tickets.
//!
//! An incident gathers alerts, observables, comments and tasks under one
//! title and a workflow status, and keeps a timeline of every change. It
//! belongs to one organization (or, with none, to the province), and is
//! seen exactly like an alert of that organization: by principals whose
//! scope holds it. A ticket is work handed to an agency: its organization
//! is the agency, whose officers see it, follow it and comment on it.
//!
//! Every method that reads or changes one record takes the principal (or
//! its scope): a record outside the scope is [`StoreError::NotFound`],
//! exactly like a missing one. Role checks (auditors change nothing, who
//! may create tickets) are the caller's.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::Serialize;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;
use vedette_model::{Alert, Severity};

use crate::alerts::{alert_from_row, ALERT_COLUMNS};
use crate::auth::Principal;
use crate::error::{is_unique_violation, Result, StoreError};
use crate::orgs::Scope;
use crate::store::{from_ms, now_ms, to_ms, Store};

/// The workflow statuses of an incident, in their usual order.
pub const INCIDENT_STATUSES: &[&str] = &[
    "new",
    "triage",
    "in_progress",
    "contained",
    "resolved",
    "closed",
];

/// The statuses of a ticket.
pub const TICKET_STATUSES: &[&str] = &["open", "in_progress", "done", "closed", "cancelled"];

/// Ticket statuses that end the work: such a ticket is never overdue.
const TICKET_FINISHED: &[&str] = &["done", "closed", "cancelled"];

/// The kinds of observable an incident records.
pub const OBSERVABLE_KINDS: &[&str] = &["ip", "domain", "url", "hash", "user", "host"];

/// The status an alert takes when it is escalated into an incident.
pub const STATUS_ESCALATED: &str = "escalated";

/// The longest title (incident, task, ticket), in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// The longest description, comment or resolution, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// The most alerts linked (or escalated) by one call.
pub const MAX_ALERTS_PER_CALL: usize = 100;

/// The most alerts one incident holds.
const MAX_ALERTS_PER_INCIDENT: i64 = 1000;

/// The longest observable value, in bytes.
const MAX_OBSERVABLE_BYTES: usize = 2048;

/// The longest SLA accepted: a year.
const MAX_SLA_HOURS: u32 = 24 * 366;

/// The most rows of one kind (comments, observables, tasks, timeline)
/// returned with an incident or a ticket; the newest are kept.
const MAX_DETAIL_ROWS: i64 = 1000;

/// An incident as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// What it is about.
    pub description: String,
    /// How severe it is.
    pub severity: Severity,
    /// One of [`INCIDENT_STATUSES`].
    pub status: String,
    /// How it ended (required to close it).
    pub resolution: Option<String>,
    /// The user in charge, if any.
    pub owner: Option<String>,
    /// The organization it belongs to (slug); `None` is province-wide.
    pub organization: Option<String>,
    /// Who opened it.
    pub created_by: String,
    /// When it was opened.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
    /// How many alerts are linked to it.
    pub alert_count: u64,
}

/// An observable (indicator) recorded on an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observable {
    /// Its id.
    pub id: i64,
    /// One of [`OBSERVABLE_KINDS`].
    pub kind: String,
    /// The value, normalized (an IP in canonical form, a hash or a domain
    /// in lowercase).
    pub value: String,
    /// Who added it.
    pub added_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub added: OffsetDateTime,
}

/// A comment on an incident or a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    /// Its id.
    pub id: i64,
    /// Who wrote it.
    pub author: String,
    /// What it says.
    pub text: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// A task of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Its id.
    pub id: i64,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
    /// Who added it.
    pub created_by: String,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    /// Its id (increasing).
    pub id: i64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// What: `created`, `status`, `alerts`, `observable`, `comment`,
    /// `task`, `task.done`, `severity`, `ticket`.
    pub kind: String,
    /// Details in words.
    pub detail: String,
}

/// MITRE ATT&CK tactics and techniques, from the linked alerts' tags
/// (`attack.credential_access`, `attack.t1110.001`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Attack {
    /// Tactics, such as `credential_access`, sorted.
    pub tactics: Vec<String>,
    /// Techniques, such as `T1110.001`, sorted.
    pub techniques: Vec<String>,
}

impl Attack {
    /// The tactics and techniques named by Sigma-style tags. Groups
    /// (`attack.g0007`) and software (`attack.s0002`) are left out.
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Attack {
        let mut tactics = BTreeSet::new();
        let mut techniques = BTreeSet::new();
        for tag in tags {
            let tag = tag.trim().to_ascii_lowercase();
            let Some(rest) = tag.strip_prefix("attack.") else {
                continue;
            };
            let mut chars = rest.chars();
            let first = chars.next();
            let tail = chars.as_str();
            let numbered = !tail.is_empty()
                && tail.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && tail.as_bytes()[0].is_ascii_digit();
            match first {
                Some('t') if numbered => {
                    techniques.insert(rest.to_ascii_uppercase());
                }
                Some('g' | 's') if numbered => {}
                Some(_)
                    if rest.len() >= 3
                        && rest
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-') =>
                {
                    tactics.insert(rest.replace('-', "_"));
                }
                _ => {}
            }
        }
        Attack {
            tactics: tactics.into_iter().collect(),
            techniques: techniques.into_iter().collect(),
        }
    }
}

/// An incident with everything attached to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentDetail {
    /// The incident.
    #[serde(flatten)]
    pub incident: Incident,
    /// Its alerts that the reader may see, newest first.
    pub alerts: Vec<Alert>,
    /// Its observables, in the order they were added.
    pub observables: Vec<Observable>,
    /// Its comments, oldest first.
    pub comments: Vec<Comment>,
    /// Its tasks, oldest first.
    pub tasks: Vec<Task>,
    /// Every change, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// ATT&CK tactics and techniques of its alerts.
    pub attack: Attack,
}

/// An incident to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident {
    /// 1 to [`MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// Up to [`MAX_TEXT_CHARS`] characters.
    pub description: String,
    /// How severe it is.
    pub severity: Severity,
    /// The owning organization (slug): within the creator's scope. `None`
    /// is the creator's own organization (province-wide for a
    /// province-wide creator).
    pub organization: Option<String>,
    /// The user in charge (an existing user name).
    pub owner: Option<String>,
}

/// Which incidents [`Store::list_incidents`] returns, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentQuery {
    /// Page size, at most [`crate::MAX_PAGE`].
    pub limit: u32,
    /// How many to skip.
    pub offset: u64,
    /// Only this status.
    pub status: Option<String>,
    /// Only this organization (slug).
    pub organization: Option<String>,
    /// Only these organizations (the reader's scope).
    pub scope: Scope,
}

impl Default for IncidentQuery {
    /// The first 50 incidents, unfiltered.
    fn default() -> Self {
        IncidentQuery {
            limit: 50,
            offset: 0,
            status: None,
            organization: None,
            scope: Scope::All,
        }
    }
}

/// One page of incidents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentPage {
    /// How many match, over all pages.
    pub total: u64,
    /// This page, newest first.
    pub incidents: Vec<Incident>,
}

/// A ticket: work handed to an agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    /// Its id.
    pub id: i64,
    /// What to do.
    pub title: String,
    /// Details.
    pub description: String,
    /// The agency it is handed to (slug).
    pub organization: String,
    /// The user expected to do it, if named.
    pub assignee: Option<String>,
    /// When it is due.
    #[serde(with = "time::serde::rfc3339::option")]
    pub due: Option<OffsetDateTime>,
    /// The service level, in hours from creation.
    pub sla_hours: Option<u32>,
    /// One of [`TICKET_STATUSES`].
    pub status: String,
    /// The incident it comes from, if any.
    pub incident_id: Option<i64>,
    /// Who handed it over.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
    /// Past due and not done, closed or cancelled.
    pub overdue: bool,
}

/// A ticket with its comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketDetail {
    /// The ticket.
    #[serde(flatten)]
    pub ticket: Ticket,
    /// Its comments, oldest first.
    pub comments: Vec<Comment>,
}

/// A ticket to hand over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// 1 to [`MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// Up to [`MAX_TEXT_CHARS`] characters.
    pub description: String,
    /// The agency (slug), within the creator's scope.
    pub organization: String,
    /// The user expected to do it (an existing user name).
    pub assignee: Option<String>,
    /// When it is due; without it, creation plus `sla_hours`.
    pub due: Option<OffsetDateTime>,
    /// The service level in hours (1 to a year).
    pub sla_hours: Option<u32>,
    /// The incident it comes from (visible to the creator).
    pub incident_id: Option<i64>,
}

/// Which tickets [`Store::list_tickets`] returns, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketQuery {
    /// Page size, at most [`crate::MAX_PAGE`].
    pub limit: u32,
    /// How many to skip.
    pub offset: u64,
    /// Only this status.
    pub status: Option<String>,
    /// Only this organization (slug).
    pub organization: Option<String>,
    /// Only overdue tickets.
    pub overdue: bool,
    /// Only these organizations (the reader's scope).
    pub scope: Scope,
}

impl Default for TicketQuery {
    /// The first 50 tickets, unfiltered.
    fn default() -> Self {
        TicketQuery {
            limit: 50,
            offset: 0,
            status: None,
            organization: None,
            overdue: false,
            scope: Scope::All,
        }
    }
}

/// One page of tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketPage {
    /// How many match, over all pages.
    pub total: u64,
    /// This page, newest first.
    pub tickets: Vec<Ticket>,
}

// ------------------------------------------------------------ checking --

/// A text trimmed and checked: `min` to `max` characters, no control
/// characters (but line breaks and tabs when `multiline`).
fn check_text(
    field: &'static str,
    s: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<String> {
    let s = s.trim();
    let n = s.chars().count();
    if n < min || n > max {
        let reason = if min == 0 {
            format!("longer than {max} characters")
        } else {
            format!("must be {min} to {max} characters")
        };
        return Err(StoreError::invalid(field, reason));
    }
    let bad = |c: char| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'));
    if s.chars().any(bad) {
        return Err(StoreError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_string())
}

fn check_status(field: &'static str, status: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&status) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            field,
            format!("expected one of {}", allowed.join(", ")),
        ))
    }
}

/// Checks an observable and returns its normalized value.
pub fn normalize_observable(kind: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.len() > MAX_OBSERVABLE_BYTES {
        return Err(StoreError::invalid(
            "value",
            format!("must be 1 to {MAX_OBSERVABLE_BYTES} bytes"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "value",
            "must not contain control characters",
        ));
    }
    let no_space = || {
        if v.chars().any(char::is_whitespace) {
            Err(StoreError::invalid("value", "must not contain spaces"))
        } else {
            Ok(())
        }
    };
    match kind {
        "ip" => v
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .map_err(|_| StoreError::invalid("value", "not an IPv4 or IPv6 address")),
        "hash" => {
            let ok = matches!(v.len(), 32 | 40 | 64) && v.bytes().all(|b| b.is_ascii_hexdigit());
            if ok {
                Ok(v.to_ascii_lowercase())
            } else {
                Err(StoreError::invalid(
                    "value",
                    "a hash is 32, 40 or 64 hexadecimal digits (MD5, SHA-1, SHA-256)",
                ))
            }
        }
        "domain" => {
            let d = v.trim_end_matches('.').to_ascii_lowercase();
            let label_ok = |l: &str| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            };
            if d.len() <= 253 && d.contains('.') && d.split('.').all(label_ok) {
                Ok(d)
            } else {
                Err(StoreError::invalid(
                    "value",
                    "not a domain name (labels of a-z, 0-9 and '-', separated by dots)",
                ))
            }
        }
        "url" => {
            no_space()?;
            let scheme_ok = v.split_once("://").is_some_and(|(scheme, rest)| {
                !scheme.is_empty()
                    && !rest.is_empty()
                    && scheme
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
            });
            if scheme_ok {
                Ok(v.to_string())
            } else {
                Err(StoreError::invalid(
                    "value",
                    "not a URL (expected scheme://...)",
                ))
            }
        }
        "user" | "host" => {
            if v.chars().count() > 256 {
                return Err(StoreError::invalid("value", "longer than 256 characters"));
            }
            if kind == "host" {
                no_space()?;
            }
            Ok(v.to_string())
        }
        _ => Err(StoreError::invalid(
            "kind",
            format!("expected one of {}", OBSERVABLE_KINDS.join(", ")),
        )),
    }
}

// ------------------------------------------------------------- queries --

/// A value to bind, in order.
enum Bind {
    Text(String),
    Int(i64),
}

/// WHERE clauses with numbered parameters.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Where {
    fn param(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    fn eq(&mut self, column: &str, b: Bind) {
        let p = self.param(b);
        self.clauses.push(format!("{column} = {p}"));
    }

    fn scope(&mut self, column: &str, scope: &Scope) {
        match scope {
            Scope::All => {}
            Scope::Orgs(orgs) if orgs.is_empty() => self.clauses.push("1 = 0".into()),
            Scope::Orgs(orgs) => {
                let params: Vec<String> = orgs
                    .iter()
                    .map(|o| self.param(Bind::Text(o.clone())))
                    .collect();
                self.clauses
                    .push(format!("{column} IN ({})", params.join(", ")));
            }
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn next(&self) -> usize {
        self.binds.len() + 1
    }

    fn bind<'q>(
        &'q self,
        mut q: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

fn page_bounds(limit: u32, offset: u64) -> Result<(i64, i64)> {
    let offset = i64::try_from(offset)
        .map_err(|_| StoreError::invalid("offset", format!("{offset} is too large")))?;
    Ok((i64::from(limit.min(crate::MAX_PAGE)), offset))
}

fn to_u64(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|e| StoreError::corrupt("count", e))
}

const INCIDENT_COLUMNS: &str = "i.id, i.title, i.description, i.severity, i.status, i.resolution, \
     i.owner, i.org, i.created_by, i.created, i.updated, \
     (SELECT COUNT(*) FROM incident_alerts ia WHERE ia.incident_id = i.id) AS alert_count";

fn incident_from_row(r: &AnyRow) -> Result<Incident> {
    let severity: String = r.try_get("severity")?;
    Ok(Incident {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        severity: severity
            .parse()
            .map_err(|e| StoreError::corrupt("incident.severity", e))?,
        status: r.try_get("status")?,
        resolution: r.try_get("resolution")?,
        owner: r.try_get("owner")?,
        organization: r.try_get("org")?,
        created_by: r.try_get("created_by")?,
        created: from_ms("incident.created", r.try_get("created")?)?,
        updated: from_ms("incident.updated", r.try_get("updated")?)?,
        alert_count: to_u64(r.try_get("alert_count")?)?,
    })
}

const TICKET_COLUMNS: &str = "id, title, description, org, assignee, due, sla_hours, status, \
     incident_id, created_by, created, updated";

fn ticket_from_row(r: &AnyRow, now: i64) -> Result<Ticket> {
    let due: Option<i64> = r.try_get("due")?;
    let status: String = r.try_get("status")?;
    let sla: Option<i64> = r.try_get("sla_hours")?;
    Ok(Ticket {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        organization: r.try_get("org")?,
        assignee: r.try_get("assignee")?,
        due: due.map(|d| from_ms("ticket.due", d)).transpose()?,
        sla_hours: sla
            .map(u32::try_from)
            .transpose()
            .map_err(|e| StoreError::corrupt("ticket.sla_hours", e))?,
        overdue: due.is_some_and(|d| d < now) && !TICKET_FINISHED.contains(&status.as_str()),
        status,
        incident_id: r.try_get("incident_id")?,
        created_by: r.try_get("created_by")?,
        created: from_ms("ticket.created", r.try_get("created")?)?,
        updated: from_ms("ticket.updated", r.try_get("updated")?)?,
    })
}

fn comment_from_row(r: &AnyRow) -> Result<Comment> {
    Ok(Comment {
        id: r.try_get("id")?,
        author: r.try_get("author")?,
        text: r.try_get("body")?,
        created: from_ms("comment.created", r.try_get("created")?)?,
    })
}

/// Appends to an incident's timeline and marks it updated.
async fn timeline(
    conn: &mut AnyConnection,
    incident: i64,
    actor: &str,
    kind: &str,
    detail: &str,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO incident_events (incident_id, at, actor, kind, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(incident)
    .bind(now)
    .bind(actor)
    .bind(kind)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE incidents SET updated = $1 WHERE id = $2")
        .bind(now)
        .bind(incident)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Store {
    /// Whether a user of this name exists.
    async fn user_exists(&self, name: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// An optional user name (owner, assignee): trimmed, blank is none,
    /// else an existing user.
    async fn check_user(&self, field: &'static str, name: Option<&str>) -> Result<Option<String>> {
        let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
            return Ok(None);
        };
        if name.chars().count() > 64 || !self.user_exists(name).await? {
            return Err(StoreError::invalid(
                field,
                format!("no user named {name:?}"),
            ));
        }
        Ok(Some(name.to_string()))
    }

    /// An organization given for a new record: an existing slug within the
    /// principal's scope; none means the principal's own organization.
    async fn owning_org(&self, who: &Principal, org: Option<&str>) -> Result<Option<String>> {
        let org = org
            .map(|o| o.trim().to_ascii_lowercase())
            .filter(|o| !o.is_empty())
            .or_else(|| who.org.clone());
        if let Some(o) = &org {
            if self.org_id(o).await?.is_none() || !who.scope.allows(Some(o)) {
                return Err(StoreError::invalid(
                    "organization",
                    format!("no organization {o:?} within your scope"),
                ));
            }
        }
        Ok(org)
    }

    /// The scope an incident's content is confined to: its organization and
    /// those below it (everything for a province-wide incident).
    async fn incident_scope(&self, org: Option<&str>) -> Result<Scope> {
        match org {
            None => Ok(Scope::All),
            Some(o) => match self.org_id(o).await? {
                Some(id) => self.scope_of(Some(id)).await,
                None => Ok(Scope::Orgs(vec![o.to_string()])),
            },
        }
    }

    /// Opens an incident and returns its id.
    pub async fn create_incident(&self, who: &Principal, new: &NewIncident) -> Result<i64> {
        let title = check_text("title", &new.title, 1, MAX_TITLE_CHARS, false)?;
        let description = check_text("description", &new.description, 0, MAX_TEXT_CHARS, true)?;
        let org = self.owning_org(who, new.organization.as_deref()).await?;
        let owner = self.check_user("owner", new.owner.as_deref()).await?;
        let mut tx = self.pool.begin().await?;
        let id = insert_incident(
            &mut tx,
            who,
            &title,
            &description,
            new.severity,
            org.as_deref(),
            owner.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One page of incidents, newest first.
    pub async fn list_incidents(&self, q: &IncidentQuery) -> Result<IncidentPage> {
        let (limit, offset) = page_bounds(q.limit, q.offset)?;
        let mut w = Where::default();
        if let Some(s) = &q.status {
            w.eq("i.status", Bind::Text(s.clone()));
        }
        if let Some(o) = &q.organization {
            w.eq("i.org", Bind::Text(o.trim().to_ascii_lowercase()));
        }
        w.scope("i.org", &q.scope);
        let count_sql = format!("SELECT COUNT(*) FROM incidents i{}", w.sql());
        let total: i64 = w
            .bind(sqlx::query(&count_sql))
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let total = to_u64(total)?;
        if limit == 0 || q.offset >= total {
            return Ok(IncidentPage {
                total,
                incidents: Vec::new(),
            });
        }
        let sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i{} ORDER BY i.created DESC, i.id DESC \
             LIMIT ${} OFFSET ${}",
            w.sql(),
            w.next(),
            w.next() + 1
        );
        let rows = w
            .bind(sqlx::query(&sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let incidents = rows
            .iter()
            .map(incident_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(IncidentPage { total, incidents })
    }

    /// The incident `id` when `scope` holds it.
    pub async fn get_incident(&self, id: i64, scope: &Scope) -> Result<Option<Incident>> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents i WHERE i.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row.as_ref().map(incident_from_row).transpose()? {
            Some(i) if scope.allows(i.organization.as_deref()) => Ok(Some(i)),
            _ => Ok(None),
        }
    }

    /// The incident `id` or [`StoreError::NotFound`].
    async fn visible_incident(&self, id: i64, scope: &Scope) -> Result<Incident> {
        self.get_incident(id, scope)
            .await?
            .ok_or(StoreError::NotFound {
                what: "incident",
                id,
            })
    }

    /// The incident `id` with its alerts (those `scope` holds),
    /// observables, comments, tasks, timeline and ATT&CK tactics and
    /// techniques, when `scope` holds it.
    pub async fn incident_detail(&self, id: i64, scope: &Scope) -> Result<Option<IncidentDetail>> {
        let Some(incident) = self.get_incident(id, scope).await? else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE id IN \
             (SELECT alert_id FROM incident_alerts WHERE incident_id = $1) \
             ORDER BY created DESC, id DESC LIMIT $2"
        );
        let alerts = sqlx::query(&sql)
            .bind(id)
            .bind(MAX_ALERTS_PER_INCIDENT)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(alert_from_row)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|a| scope.allows(a.organization.as_deref()))
            .collect::<Vec<_>>();
        let attack = Attack::from_tags(
            alerts
                .iter()
                .flat_map(|a| a.alert.tags.iter().map(String::as_str)),
        );
        let rows = |sql: &'static str| {
            sqlx::query(sql)
                .bind(id)
                .bind(MAX_DETAIL_ROWS)
                .fetch_all(&self.pool)
        };
        let observables = rows(
            "SELECT id, kind, value, added_by, added FROM incident_observables \
             WHERE incident_id = $1 ORDER BY id LIMIT $2",
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Observable {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                value: r.try_get("value")?,
                added_by: r.try_get("added_by")?,
                added: from_ms("observable.added", r.try_get("added")?)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let comments = rows(
            "SELECT id, author, body, created FROM incident_comments \
             WHERE incident_id = $1 ORDER BY id LIMIT $2",
        )
        .await?
        .iter()
        .map(comment_from_row)
        .collect::<Result<Vec<_>>>()?;
        let tasks = rows(
            "SELECT id, title, done, created_by, created, updated FROM incident_tasks \
             WHERE incident_id = $1 ORDER BY id LIMIT $2",
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Task {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                done: r.try_get::<i64, _>("done")? != 0,
                created_by: r.try_get("created_by")?,
                created: from_ms("task.created", r.try_get("created")?)?,
                updated: from_ms("task.updated", r.try_get("updated")?)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let timeline = rows(
            "SELECT id, at, actor, kind, detail FROM incident_events \
             WHERE incident_id = $1 ORDER BY id LIMIT $2",
        )
        .await?
        .iter()
        .map(|r| {
            Ok(TimelineEntry {
                id: r.try_get("id")?,
                at: from_ms("incident_event.at", r.try_get("at")?)?,
                actor: r.try_get("actor")?,
                kind: r.try_get("kind")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Some(IncidentDetail {
            incident,
            alerts,
            observables,
            comments,
            tasks,
            timeline,
            attack,
        }))
    }

    /// Moves an incident to `status` (one of [`INCIDENT_STATUSES`]).
    /// Closing needs a resolution; a resolution given with another status
    /// is kept too. Returns the status it had.
    pub async fn set_incident_status(
        &self,
        who: &Principal,
        id: i64,
        status: &str,
        resolution: Option<&str>,
    ) -> Result<String> {
        check_status("status", status, INCIDENT_STATUSES)?;
        let resolution = resolution
            .map(|r| check_text("resolution", r, 0, MAX_TEXT_CHARS, true))
            .transpose()?
            .filter(|r| !r.is_empty());
        if status == "closed" && resolution.is_none() {
            return Err(StoreError::invalid(
                "resolution",
                "closing an incident needs a resolution",
            ));
        }
        let before = self.visible_incident(id, &who.scope).await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE incidents SET status = $1, resolution = COALESCE($2, resolution) \
             WHERE id = $3",
        )
        .bind(status)
        .bind(resolution.as_deref())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let detail = match &resolution {
            Some(r) => format!("{} -> {status}: {r}", before.status),
            None => format!("{} -> {status}", before.status),
        };
        timeline(&mut tx, id, &who.name, "status", &detail).await?;
        tx.commit().await?;
        Ok(before.status)
    }

    /// Names the user in charge of an incident (`None` clears it).
    pub async fn set_incident_owner(
        &self,
        who: &Principal,
        id: i64,
        owner: Option<&str>,
    ) -> Result<()> {
        let owner = self.check_user("owner", owner).await?;
        self.visible_incident(id, &who.scope).await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE incidents SET owner = $1 WHERE id = $2")
            .bind(owner.as_deref())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let detail = owner.as_deref().unwrap_or("-");
        timeline(&mut tx, id, &who.name, "owner", detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The alerts `ids` after checking that the principal sees each and
    /// that each belongs within `confine` (an incident's organization).
    async fn linkable_alerts(
        &self,
        who: &Principal,
        ids: &[i64],
        confine: Option<(&Scope, Option<&str>)>,
    ) -> Result<Vec<Alert>> {
        if ids.is_empty() {
            return Err(StoreError::invalid("alert_ids", "no alert given"));
        }
        if ids.len() > MAX_ALERTS_PER_CALL {
            return Err(StoreError::invalid(
                "alert_ids",
                format!("at most {MAX_ALERTS_PER_CALL} at a time"),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(ids.len());
        for &aid in ids {
            if !seen.insert(aid) {
                continue;
            }
            let alert = match self.get_alert(aid).await? {
                Some(a) if who.scope.allows(a.organization.as_deref()) => a,
                _ => {
                    return Err(StoreError::NotFound {
                        what: "alert",
                        id: aid,
                    })
                }
            };
            if let Some((scope, org)) = confine {
                if !scope.allows(alert.organization.as_deref()) {
                    return Err(StoreError::invalid(
                        "alert_ids",
                        format!(
                            "alert {aid} (organization {}) is outside the incident's organization {}",
                            alert.organization.as_deref().unwrap_or("-"),
                            org.unwrap_or("-")
                        ),
                    ));
                }
            }
            out.push(alert);
        }
        Ok(out)
    }

    /// Links alerts to an incident (each visible to the principal and
    /// within the incident's organization), marks them
    /// [`STATUS_ESCALATED`], and raises the incident's severity to the
    /// highest of theirs. Returns how many were newly linked.
    pub async fn link_alerts(&self, who: &Principal, id: i64, alert_ids: &[i64]) -> Result<u64> {
        let incident = self.visible_incident(id, &who.scope).await?;
        let confine = self
            .incident_scope(incident.organization.as_deref())
            .await?;
        let alerts = self
            .linkable_alerts(
                who,
                alert_ids,
                Some((&confine, incident.organization.as_deref())),
            )
            .await?;
        let mut tx = self.pool.begin().await?;
        let n = attach(&mut tx, who, &incident, &alerts).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Opens an incident from alerts, or adds them to incident `into`: the
    /// title is the first alert's rule title, the severity the highest of
    /// theirs, the organization theirs when they share one (else the
    /// principal's). The alerts become [`STATUS_ESCALATED`]. Returns the
    /// incident's id.
    pub async fn escalate_alerts(
        &self,
        who: &Principal,
        alert_ids: &[i64],
        into: Option<i64>,
    ) -> Result<i64> {
        if let Some(id) = into {
            self.link_alerts(who, id, alert_ids).await?;
            return Ok(id);
        }
        let alerts = self.linkable_alerts(who, alert_ids, None).await?;
        let first = &alerts[0];
        let shared = alerts.iter().all(|a| a.organization == first.organization);
        let org = if shared {
            first.organization.clone()
        } else {
            who.org.clone()
        };
        let severity = alerts
            .iter()
            .map(|a| a.alert.severity)
            .max()
            .unwrap_or(Severity::Medium);
        let title: String = first
            .alert
            .rule_title
            .chars()
            .take(MAX_TITLE_CHARS)
            .collect();
        let title = if title.trim().is_empty() {
            format!("Alert {}", first.id)
        } else {
            title.trim().to_string()
        };
        let description = format!(
            "Escalated from alert{} {}.",
            if alerts.len() > 1 { "s" } else { "" },
            alerts
                .iter()
                .map(|a| format!("#{}", a.id))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut tx = self.pool.begin().await?;
        let id = insert_incident(
            &mut tx,
            who,
            &title,
            &description,
            severity,
            org.as_deref(),
            None,
        )
        .await?;
        let incident = Incident {
            id,
            title,
            description,
            severity,
            status: "new".into(),
            resolution: None,
            owner: None,
            organization: org,
            created_by: who.name.clone(),
            created: OffsetDateTime::now_utc(),
            updated: OffsetDateTime::now_utc(),
            alert_count: 0,
        };
        attach(&mut tx, who, &incident, &alerts).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records an observable on an incident and returns its id; the same
    /// kind and value twice is [`StoreError::Conflict`].
    pub async fn add_observable(
        &self,
        who: &Principal,
        id: i64,
        kind: &str,
        value: &str,
    ) -> Result<i64> {
        let value = normalize_observable(kind, value)?;
        self.visible_incident(id, &who.scope).await?;
        let mut tx = self.pool.begin().await?;
        let oid: i64 = sqlx::query_scalar(
            "INSERT INTO incident_observables (incident_id, kind, value, added_by, added) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(id)
        .bind(kind)
        .bind(value.as_str())
        .bind(who.name.as_str())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict {
                    what: "observable",
                    name: format!("{kind}:{value}"),
                }
            } else {
                e.into()
            }
        })?;
        timeline(
            &mut tx,
            id,
            &who.name,
            "observable",
            &format!("{kind} {value}"),
        )
        .await?;
        tx.commit().await?;
        Ok(oid)
    }

    /// Comments on an incident and returns the comment's id.
    pub async fn add_incident_comment(&self, who: &Principal, id: i64, text: &str) -> Result<i64> {
        let text = check_text("text", text, 1, MAX_TEXT_CHARS, true)?;
        self.visible_incident(id, &who.scope).await?;
        let mut tx = self.pool.begin().await?;
        let cid: i64 = sqlx::query_scalar(
            "INSERT INTO incident_comments (incident_id, author, body, created) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(id)
        .bind(who.name.as_str())
        .bind(text.as_str())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let summary: String = text.chars().take(200).collect();
        timeline(&mut tx, id, &who.name, "comment", &summary).await?;
        tx.commit().await?;
        Ok(cid)
    }

    /// Adds a task to an incident and returns its id.
    pub async fn add_task(&self, who: &Principal, id: i64, title: &str) -> Result<i64> {
        let title = check_text("title", title, 1, MAX_TITLE_CHARS, false)?;
        self.visible_incident(id, &who.scope).await?;
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let tid: i64 = sqlx::query_scalar(
            "INSERT INTO incident_tasks (incident_id, title, done, created_by, created, updated) \
             VALUES ($1, $2, 0, $3, $4, $4) RETURNING id",
        )
        .bind(id)
        .bind(title.as_str())
        .bind(who.name.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        timeline(&mut tx, id, &who.name, "task", &title).await?;
        tx.commit().await?;
        Ok(tid)
    }

    /// Marks a task of an incident done or not done.
    pub async fn set_task_done(
        &self,
        who: &Principal,
        id: i64,
        task: i64,
        done: bool,
    ) -> Result<()> {
        self.visible_incident(id, &who.scope).await?;
        let mut tx = self.pool.begin().await?;
        let title: Option<String> = sqlx::query_scalar(
            "UPDATE incident_tasks SET done = $1, updated = $2 \
             WHERE id = $3 AND incident_id = $4 RETURNING title",
        )
        .bind(i64::from(done))
        .bind(now_ms())
        .bind(task)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(title) = title else {
            return Err(StoreError::NotFound {
                what: "task",
                id: task,
            });
        };
        let kind = if done { "task.done" } else { "task.reopened" };
        timeline(&mut tx, id, &who.name, kind, &title).await?;
        tx.commit().await?;
        Ok(())
    }

    // ------------------------------------------------------------ tickets

    /// Hands a ticket to an agency and returns its id. The agency must be
    /// within the principal's scope, the incident (if any) visible to it.
    pub async fn create_ticket(&self, who: &Principal, new: &NewTicket) -> Result<i64> {
        let title = check_text("title", &new.title, 1, MAX_TITLE_CHARS, false)?;
        let description = check_text("description", &new.description, 0, MAX_TEXT_CHARS, true)?;
        if new.organization.trim().is_empty() {
            return Err(StoreError::invalid(
                "organization",
                "a ticket is handed to an organization",
            ));
        }
        let Some(org) = self.owning_org(who, Some(&new.organization)).await? else {
            return Err(StoreError::invalid(
                "organization",
                "a ticket is handed to an organization",
            ));
        };
        let assignee = self.check_user("assignee", new.assignee.as_deref()).await?;
        if let Some(h) = new.sla_hours {
            if h == 0 || h > MAX_SLA_HOURS {
                return Err(StoreError::invalid(
                    "sla_hours",
                    format!("must be 1 to {MAX_SLA_HOURS}"),
                ));
            }
        }
        if let Some(i) = new.incident_id {
            self.visible_incident(i, &who.scope).await?;
        }
        let now = now_ms();
        let due = match (new.due, new.sla_hours) {
            (Some(d), _) => Some(to_ms(d)),
            (None, Some(h)) => Some(now + i64::from(h) * 3_600_000),
            (None, None) => None,
        };
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tickets (title, description, org, assignee, due, sla_hours, status, \
             incident_id, created_by, created, updated) \
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $9) RETURNING id",
        )
        .bind(title.as_str())
        .bind(description.as_str())
        .bind(org.as_str())
        .bind(assignee.as_deref())
        .bind(due)
        .bind(new.sla_hours.map(i64::from))
        .bind(new.incident_id)
        .bind(who.name.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(i) = new.incident_id {
            let detail = format!("ticket #{id} to {org}: {title}");
            timeline(&mut tx, i, &who.name, "ticket", &detail).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// One page of tickets, newest first.
    pub async fn list_tickets(&self, q: &TicketQuery) -> Result<TicketPage> {
        let (limit, offset) = page_bounds(q.limit, q.offset)?;
        let now = now_ms();
        let mut w = Where::default();
        if let Some(s) = &q.status {
            w.eq("status", Bind::Text(s.clone()));
        }
        if let Some(o) = &q.organization {
            w.eq("org", Bind::Text(o.trim().to_ascii_lowercase()));
        }
        if q.overdue {
            let p = w.param(Bind::Int(now));
            w.clauses.push(format!(
                "due IS NOT NULL AND due < {p} AND status NOT IN ('done', 'closed', 'cancelled')"
            ));
        }
        w.scope("org", &q.scope);
        let count_sql = format!("SELECT COUNT(*) FROM tickets{}", w.sql());
        let total: i64 = w
            .bind(sqlx::query(&count_sql))
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let total = to_u64(total)?;
        if limit == 0 || q.offset >= total {
            return Ok(TicketPage {
                total,
                tickets: Vec::new(),
            });
        }
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets{} ORDER BY created DESC, id DESC \
             LIMIT ${} OFFSET ${}",
            w.sql(),
            w.next(),
            w.next() + 1
        );
        let rows = w
            .bind(sqlx::query(&sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let tickets = rows
            .iter()
            .map(|r| ticket_from_row(r, now))
            .collect::<Result<Vec<_>>>()?;
        Ok(TicketPage { total, tickets })
    }

    /// The ticket `id` when `scope` holds its organization.
    pub async fn get_ticket(&self, id: i64, scope: &Scope) -> Result<Option<Ticket>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row
            .as_ref()
            .map(|r| ticket_from_row(r, now_ms()))
            .transpose()?
        {
            Some(t) if scope.allows(Some(&t.organization)) => Ok(Some(t)),
            _ => Ok(None),
        }
    }

    async fn visible_ticket(&self, id: i64, scope: &Scope) -> Result<Ticket> {
        self.get_ticket(id, scope)
            .await?
            .ok_or(StoreError::NotFound { what: "ticket", id })
    }

    /// The ticket `id` with its comments, when `scope` holds it.
    pub async fn ticket_detail(&self, id: i64, scope: &Scope) -> Result<Option<TicketDetail>> {
        let Some(ticket) = self.get_ticket(id, scope).await? else {
            return Ok(None);
        };
        let comments = sqlx::query(
            "SELECT id, author, body, created FROM ticket_comments \
             WHERE ticket_id = $1 ORDER BY id LIMIT $2",
        )
        .bind(id)
        .bind(MAX_DETAIL_ROWS)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(comment_from_row)
        .collect::<Result<Vec<_>>>()?;
        Ok(Some(TicketDetail { ticket, comments }))
    }

    /// Moves a ticket to `status` (one of [`TICKET_STATUSES`]) and returns
    /// the status it had.
    pub async fn set_ticket_status(
        &self,
        who: &Principal,
        id: i64,
        status: &str,
    ) -> Result<String> {
        check_status("status", status, TICKET_STATUSES)?;
        let before = self.visible_ticket(id, &who.scope).await?;
        sqlx::query("UPDATE tickets SET status = $1, updated = $2 WHERE id = $3")
            .bind(status)
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(before.status)
    }

    /// Comments on a ticket and returns the comment's id.
    pub async fn add_ticket_comment(&self, who: &Principal, id: i64, text: &str) -> Result<i64> {
        let text = check_text("text", text, 1, MAX_TEXT_CHARS, true)?;
        self.visible_ticket(id, &who.scope).await?;
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let cid: i64 = sqlx::query_scalar(
            "INSERT INTO ticket_comments (ticket_id, author, body, created) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(id)
        .bind(who.name.as_str())
        .bind(text.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE tickets SET updated = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(cid)
    }
}

/// Inserts an incident and its first timeline entry.
async fn insert_incident(
    conn: &mut AnyConnection,
    who: &Principal,
    title: &str,
    description: &str,
    severity: Severity,
    org: Option<&str>,
    owner: Option<&str>,
) -> Result<i64> {
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO incidents (title, description, severity, status, owner, org, created_by, \
         created, updated) VALUES ($1, $2, $3, 'new', $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(title)
    .bind(description)
    .bind(severity.as_str())
    .bind(owner)
    .bind(org)
    .bind(who.name.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let detail = format!("{title} ({severity}, organization {})", org.unwrap_or("-"));
    timeline(conn, id, &who.name, "created", &detail).await?;
    Ok(id)
}

/// Links checked alerts to an incident inside a transaction: skips those
/// already linked, marks them escalated, raises the severity.
async fn attach(
    conn: &mut AnyConnection,
    who: &Principal,
    incident: &Incident,
    alerts: &[Alert],
) -> Result<u64> {
    let linked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM incident_alerts WHERE incident_id = $1")
            .bind(incident.id)
            .fetch_one(&mut *conn)
            .await?;
    let now = now_ms();
    let mut added = Vec::new();
    for a in alerts {
        let exists: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM incident_alerts WHERE incident_id = $1 AND alert_id = $2",
        )
        .bind(incident.id)
        .bind(a.id)
        .fetch_one(&mut *conn)
        .await?;
        if exists > 0 {
            continue;
        }
        if linked + added.len() as i64 >= MAX_ALERTS_PER_INCIDENT {
            return Err(StoreError::invalid(
                "alert_ids",
                format!("an incident holds at most {MAX_ALERTS_PER_INCIDENT} alerts"),
            ));
        }
        sqlx::query(
            "INSERT INTO incident_alerts (incident_id, alert_id, added_by, added) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(incident.id)
        .bind(a.id)
        .bind(who.name.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE alerts SET status = $1 WHERE id = $2")
            .bind(STATUS_ESCALATED)
            .bind(a.id)
            .execute(&mut *conn)
            .await?;
        added.push(a);
    }
    if added.is_empty() {
        return Ok(0);
    }
    let detail = added
        .iter()
        .map(|a| format!("#{} {}", a.id, a.alert.rule_title))
        .collect::<Vec<_>>()
        .join("; ");
    timeline(conn, incident.id, &who.name, "alerts", &detail).await?;
    let max = added.iter().map(|a| a.alert.severity).max();
    if let Some(max) = max.filter(|m| *m > incident.severity) {
        sqlx::query("UPDATE incidents SET severity = $1 WHERE id = $2")
            .bind(max.as_str())
            .bind(incident.id)
            .execute(&mut *conn)
            .await?;
        let detail = format!("{} -> {max}", incident.severity);
        timeline(conn, incident.id, &who.name, "severity", &detail).await?;
    }
    Ok(added.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observables_are_checked_and_normalized() {
        let ok = |k: &str, v: &str| normalize_observable(k, v).unwrap();
        assert_eq!(ok("ip", " 10.0.0.1 "), "10.0.0.1");
        assert_eq!(ok("ip", "2001:DB8::0:1"), "2001:db8::1");
        assert_eq!(ok("hash", &"AB".repeat(16)), "ab".repeat(16));
        assert_eq!(ok("hash", &"a".repeat(40)).len(), 40);
        assert_eq!(ok("hash", &"0".repeat(64)).len(), 64);
        assert_eq!(ok("domain", "Evil.Example.COM."), "evil.example.com");
        assert_eq!(ok("url", "https://x.test/a?b=c"), "https://x.test/a?b=c");
        assert_eq!(ok("user", "Nguyễn Văn A"), "Nguyễn Văn A");
        assert_eq!(ok("host", "web-01"), "web-01");
        for (k, v) in [
            ("ip", "10.0.0.256"),
            ("ip", "evil.com"),
            ("hash", "abc"),
            ("hash", &"g".repeat(32)),
            ("hash", &"a".repeat(33)),
            ("domain", "localhost"),
            ("domain", "a..b"),
            ("domain", "-a.b"),
            ("url", "no scheme"),
            ("url", "x.test/a"),
            ("host", "two words"),
            ("user", "a\u{1}b"),
            ("user", ""),
            ("email", "a@b.c"),
        ] {
            assert!(normalize_observable(k, v).is_err(), "{k} {v:?}");
        }
    }

    #[test]
    fn attack_from_tags() {
        let a = Attack::from_tags([
            "attack.t1110.001",
            "attack.credential_access",
            "attack.T1078",
            "attack.g0007",
            "attack.s0002",
            "attack.initial-access",
            "cve.2021-44228",
            "attack.",
            "attack.t",
        ]);
        assert_eq!(a.techniques, ["T1078", "T1110.001"]);
        assert_eq!(a.tactics, ["credential_access", "initial_access"]);
    }

    #[test]
    fn texts() {
        assert_eq!(check_text("t", "  hi ", 1, 5, false).unwrap(), "hi");
        assert!(check_text("t", "", 1, 5, false).is_err());
        assert!(check_text("t", "123456", 1, 5, false).is_err());
        assert!(check_text("t", "a\nb", 1, 5, false).is_err());
        assert_eq!(check_text("t", "a\nb", 1, 5, true).unwrap(), "a\nb");
        assert!(check_text("t", "a\u{7}b", 1, 5, true).is_err());
    }
}
