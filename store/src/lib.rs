//! The relational state of Vedette: alerts, users, API tokens and console
//! sessions, in SQLite (the default) or PostgreSQL, through one
//! implementation over `sqlx::Any`.
//!
//! ```
//! use vedette_store::{AlertQuery, Role, Store};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), vedette_store::StoreError> {
//! let store = Store::open("sqlite::memory:").await?;
//! assert_eq!(store.backend(), "sqlite");
//!
//! let token = store.create_token("ingest", Role::Analyst).await?;
//! let who = store.verify_token(&token).await?.expect("a live token");
//! assert_eq!((who.name.as_str(), who.role), ("ingest", Role::Analyst));
//!
//! let page = store.list_alerts(&AlertQuery::default()).await?;
//! assert_eq!(page.total, 0);
//! store.close().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Storage
//!
//! * The URL scheme picks the backend and its migrations (embedded from
//!   `migrations/sqlite` and `migrations/postgres`), applied by
//!   [`Store::open`].
//! * Times are unix milliseconds, JSON documents (alert events and tags) are
//!   text, so the column types stay within what `sqlx::Any` maps.
//! * SQLite runs in WAL mode with a 5 s busy timeout: a second process (the
//!   `vedette token create` CLI) can write while the server runs.
//!
//! # Secrets
//!
//! Passwords are stored as argon2id PHC strings. API tokens and session ids
//! are 32 random bytes of which only the SHA-256 is stored; the plaintext is
//! returned once, on creation. No error or log line carries a secret.
#![deny(missing_docs)]

mod alerts;
mod audit;
mod auth;
mod dashboard;
mod error;
mod incidents;
mod orgs;
mod rules;
mod store;
mod triage;

#[cfg(test)]
mod tests;

pub use alerts::{AlertOrder, AlertPage, AlertQuery, MAX_PAGE, STATUS_NEW};
pub use audit::{AuditEntry, NewAudit};
pub use auth::{
    csrf_matches, NewSession, Principal, PrincipalKind, Role, TokenInfo, UserInfo,
    MIN_PASSWORD_CHARS, TOKEN_PREFIX,
};
pub use dashboard::{Count, Dashboard, IncidentAge, OrgPosture, DASHBOARD_HOURS};
pub use error::{Result, StoreError};
pub use incidents::{
    normalize_observable, Attack, Comment, Incident, IncidentDetail, IncidentPage, IncidentQuery,
    NewIncident, NewTicket, Observable, Task, Ticket, TicketDetail, TicketPage, TicketQuery,
    TimelineEntry, INCIDENT_STATUSES, MAX_ALERTS_PER_CALL, MAX_TEXT_CHARS, MAX_TITLE_CHARS,
    OBSERVABLE_KINDS, STATUS_ESCALATED, TICKET_STATUSES,
};
pub use orgs::{Organization, Scope};
pub use rules::{RuleHits, RuleSetting};
pub use store::{Store, DEFAULT_SESSION_TTL};
pub use triage::{
    AlertGroup, NewSuppression, Suppression, MAX_BULK, MAX_SUPPRESSION, STATUS_SUPPRESSED,
};
