//! The JSON API under `/api/v1`. Every route requires a bearer token or a
//! session; every error is JSON.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;
use vedette_model::{Alert, Severity};
use vedette_search::{EventQuery, MAX_WINDOW};
use vedette_store::AlertQuery;

use crate::auth::{Authenticated, ClientIp};
use crate::{ApiError, Shared};
use vedette_store::{NewAudit, Principal, Scope};

/// Default page size.
pub(crate) const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub(crate) const MAX_LIMIT: u32 = 1000;
/// Longest accepted text parameter.
const MAX_PARAM_LEN: usize = 4096;

/// The API routes (nested under `/api/v1`).
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .merge(alert_routes())
        .merge(event_routes())
        .merge(crate::admin::routes())
        .merge(crate::cases::routes())
        .merge(crate::rules::routes())
        .merge(crate::triage::routes())
        .merge(crate::live::routes())
        .merge(crate::dashboard::api_routes())
        .route("/me", get(me))
        .route("/me/password", post(change_password))
        .route("/me/language", post(set_language))
}

fn alert_routes() -> Router<Shared> {
    Router::new()
        .route("/alerts", get(list_alerts))
        .route("/alerts/{id}", get(get_alert))
        .route("/alerts/{id}/status", post(set_alert_status))
        .route("/alerts/{id}/assign", post(assign_alert))
}

fn event_routes() -> Router<Shared> {
    Router::new()
        .route("/events", get(search_events))
        .route("/events/{id}", get(get_event))
}

/// `Query` whose rejection is a JSON 400.
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// `Path` whose rejection is a JSON 400.
pub(crate) struct ApiPath<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// Query parameters of `GET /alerts`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AlertParams {
    pub(crate) limit: Option<u32>,
    pub(crate) offset: Option<u64>,
    pub(crate) severity: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) rule_id: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) sort: Option<String>,
}

/// A page size within bounds.
pub(crate) fn check_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        l @ 1..=MAX_LIMIT => Ok(l),
        _ => Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        ))),
    }
}

/// An optional text filter: blank means absent; overlong is refused.
pub(crate) fn text_param(name: &str, v: Option<String>) -> Result<Option<String>, ApiError> {
    match v {
        Some(s) if s.len() > MAX_PARAM_LEN => Err(ApiError::bad_request(format!(
            "{name} is longer than {MAX_PARAM_LEN} bytes"
        ))),
        Some(s) if s.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

impl AlertParams {
    pub(crate) fn into_query(self, scope: &Scope) -> Result<AlertQuery, ApiError> {
        let min_severity = text_param("severity", self.severity)?
            .map(|s| s.trim().parse::<Severity>())
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("severity: {e}")))?;
        let offset = self.offset.unwrap_or(0);
        if i64::try_from(offset).is_err() {
            return Err(ApiError::bad_request("offset is too large"));
        }
        Ok(AlertQuery {
            limit: check_limit(self.limit)?,
            offset,
            min_severity,
            status: text_param("status", self.status)?,
            rule_id: text_param("rule_id", self.rule_id)?,
            host: text_param("host", self.host)?,
            org: text_param("organization", self.organization)?
                .map(|o| o.trim().to_ascii_lowercase()),
            user: text_param("user", self.user)?,
            scope: scope.clone(),
            order: text_param("sort", self.sort)?
                .map(|o| o.trim().parse())
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

async fn list_alerts(
    who: Authenticated,
    State(s): State<Shared>,
    ApiQuery(params): ApiQuery<AlertParams>,
) -> Result<Json<Value>, ApiError> {
    let query = params.into_query(&who.principal.scope)?;
    let page = s.app.store.list_alerts(&query).await?;
    Ok(Json(json!({ "total": page.total, "alerts": page.alerts })))
}

async fn get_alert(
    who: Authenticated,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(visible_alert(&s, &who.principal, id).await?))
}

/// The alert `id` when the principal may see it; another organization's
/// alert is "not found", exactly like a missing one.
pub(crate) async fn visible_alert(s: &Shared, who: &Principal, id: i64) -> Result<Alert, ApiError> {
    match s.app.store.get_alert(id).await? {
        Some(alert) if who.scope.allows(alert.organization.as_deref()) => Ok(alert),
        _ => Err(ApiError::not_found("alert", id)),
    }
}

/// Body of `POST /alerts/{id}/status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusChange {
    /// The new status: `new`, `acknowledged`, `true_positive`,
    /// `false_positive`, `closed`.
    status: String,
    /// Why (kept in the audit log).
    #[serde(default)]
    reason: Option<String>,
}

/// The workflow statuses an alert can take.
pub(crate) const ALERT_STATUSES: &[&str] = &[
    "new",
    "acknowledged",
    "true_positive",
    "false_positive",
    "suppressed",
    "closed",
];

/// Changes an alert's status, audited. Auditors may not; officers only
/// within their organization.
pub(crate) async fn change_alert_status(
    s: &Shared,
    who: &Principal,
    id: i64,
    status: &str,
    reason: Option<&str>,
    ip: Option<std::net::IpAddr>,
) -> Result<Alert, ApiError> {
    require_write(who)?;
    if !ALERT_STATUSES.contains(&status) {
        return Err(ApiError::bad_request(format!(
            "status must be one of {}",
            ALERT_STATUSES.join(", ")
        )));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.len() > MAX_PARAM_LEN) {
        return Err(ApiError::bad_request(format!(
            "reason is longer than {MAX_PARAM_LEN} bytes"
        )));
    }
    if status == "false_positive" && reason.is_none() {
        return Err(ApiError::bad_request(
            "marking an alert a false positive needs a reason",
        ));
    }
    let before = visible_alert(s, who, id).await?;
    s.app.store.set_alert_status(id, status).await?;
    let target = format!("alert:{id}");
    let detail = match reason {
        Some(r) => format!("{} -> {status}: {r}", before.status),
        None => format!("{} -> {status}", before.status),
    };
    let ip = ip.map(|ip| ip.to_string());
    let mut e = NewAudit::by(who, "alert.status");
    e.target = Some(&target);
    e.detail = &detail;
    e.source = ip.as_deref();
    s.app.store.audit(&e).await?;
    visible_alert(s, who, id).await
}

/// Body of `POST /alerts/{id}/assign`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Assign {
    /// A user name; `null` or empty unassigns.
    assignee: Option<String>,
}

/// Assigns an alert to a user (or unassigns it), audited.
pub(crate) async fn change_assignee(
    s: &Shared,
    who: &Principal,
    id: i64,
    assignee: Option<&str>,
    ip: Option<std::net::IpAddr>,
) -> Result<Alert, ApiError> {
    require_write(who)?;
    let assignee = assignee.map(str::trim).filter(|a| !a.is_empty());
    if assignee.is_some_and(|a| a.len() > 64) {
        return Err(ApiError::bad_request("assignee is longer than 64 bytes"));
    }
    if !s.app.store.assign_alert(id, assignee, &who.scope).await? {
        return Err(ApiError::not_found("alert", id));
    }
    let target = format!("alert:{id}");
    let ip = ip.map(|ip| ip.to_string());
    let mut e = NewAudit::by(who, "alert.assign");
    e.target = Some(&target);
    e.detail = assignee.unwrap_or("-");
    e.source = ip.as_deref();
    s.app.store.audit(&e).await?;
    visible_alert(s, who, id).await
}

async fn assign_alert(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Assign>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(
        change_assignee(&s, &who.principal, id, body.assignee.as_deref(), ip).await?,
    ))
}

/// Refuses read-only principals (auditors).
pub(crate) fn require_write(who: &Principal) -> Result<(), ApiError> {
    if who.can_write() {
        Ok(())
    } else {
        Err(ApiError::denied("the auditor role is read-only"))
    }
}

async fn set_alert_status(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StatusChange>,
) -> Result<Json<Alert>, ApiError> {
    let alert = change_alert_status(
        &s,
        &who.principal,
        id,
        body.status.trim(),
        body.reason.as_deref(),
        ip,
    )
    .await?;
    Ok(Json(alert))
}

/// `Json` whose rejection is a JSON 400 (or 415) with the reason.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| ApiJson(v))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// Query parameters of `GET /events`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EventParams {
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// Parses an RFC 3339 bound.
fn rfc3339_param(name: &str, v: Option<String>) -> Result<Option<OffsetDateTime>, ApiError> {
    text_param(name, v)?
        .map(|s| {
            vedette_model::parse_time(s.trim()).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{name}: expected an RFC 3339 time such as 2026-01-31T08:00:00Z"
                ))
            })
        })
        .transpose()
}

/// Checks a time range and an offset, and builds the index query.
pub(crate) fn event_query(
    text: Option<String>,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
    limit: u32,
    offset: u64,
) -> Result<EventQuery, ApiError> {
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::bad_request("from is after to"));
        }
    }
    // The index pages at most `MAX_WINDOW` deep; say so before asking it.
    let limit = limit as usize;
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    if offset.saturating_add(limit) > MAX_WINDOW {
        return Err(ApiError::bad_request(format!(
            "offset + limit must be at most {MAX_WINDOW}; narrow the query or the time range"
        )));
    }
    Ok(EventQuery {
        text: text_param("q", text)?,
        from,
        to,
        limit,
        offset,
        orgs: None,
    })
}

/// Runs an index search off the async runtime.
pub(crate) async fn run_search(
    s: &Shared,
    query: EventQuery,
) -> Result<vedette_search::SearchPage, ApiError> {
    let searcher = s.app.search.clone();
    Ok(tokio::task::spawn_blocking(move || searcher.search(&query)).await??)
}

async fn search_events(
    who: Authenticated,
    State(s): State<Shared>,
    ApiQuery(p): ApiQuery<EventParams>,
) -> Result<Json<Value>, ApiError> {
    let from = rfc3339_param("from", p.from)?;
    let to = rfc3339_param("to", p.to)?;
    let mut query = event_query(p.q, from, to, check_limit(p.limit)?, p.offset.unwrap_or(0))?;
    query.orgs = who.principal.scope.orgs().map(<[String]>::to_vec);
    let page = run_search(&s, query).await?;
    Ok(Json(json!({ "total": page.total, "events": page.events })))
}

async fn get_event(
    who: Authenticated,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(visible_event(&s, &who.principal, id).await?))
}

/// The event `id` when the principal may see it (else "not found").
pub(crate) async fn visible_event(s: &Shared, who: &Principal, id: u64) -> Result<Value, ApiError> {
    let searcher = s.app.search.clone();
    match tokio::task::spawn_blocking(move || searcher.get(id)).await?? {
        Some(event)
            if who
                .scope
                .allows(event.get("organization.id").and_then(Value::as_str)) =>
        {
            Ok(event)
        }
        _ => Err(ApiError::not_found("event", id)),
    }
}

/// Body of `POST /me/password`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current: String,
    new: String,
}

/// A user changes their own password: the current one is checked, the new
/// one hashed with argon2id, every session of the user ends (so this one
/// too), and the change is audited. Tokens have no password.
async fn change_password(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Json<Value>, ApiError> {
    let p = &who.principal;
    if p.kind != vedette_store::PrincipalKind::User {
        return Err(ApiError::denied("an API token has no password"));
    }
    if body.current.len() > 1024 || body.new.len() > 4096 {
        return Err(ApiError::bad_request("password too long"));
    }
    match s.app.store.verify_password(&p.name, &body.current).await? {
        Some(u) if u.id == p.id => {}
        _ => return Err(ApiError::denied("the current password is wrong")),
    }
    s.app.store.set_password(p.id, &body.new).await?;
    let ip = ip.map(|i| i.to_string());
    let target = format!("user:{}", p.name);
    let mut e = NewAudit::by(p, "user.password");
    e.target = Some(&target);
    e.source = ip.as_deref();
    s.app.store.audit(&e).await?;
    Ok(Json(json!({ "changed": true, "sessions_ended": true })))
}

/// Body of `POST /me/language`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageChoice {
    lang: String,
}

/// A user chooses the console's language (`en` or `vi`) for every browser.
async fn set_language(
    who: Authenticated,
    State(s): State<Shared>,
    ApiJson(body): ApiJson<LanguageChoice>,
) -> Result<Json<Value>, ApiError> {
    let p = &who.principal;
    if p.kind != vedette_store::PrincipalKind::User {
        return Err(ApiError::denied("an API token has no console language"));
    }
    let lang = body.lang.trim();
    s.app.store.set_user_lang(p.id, Some(lang)).await?;
    Ok(Json(json!({ "lang": lang })))
}

async fn me(who: Authenticated) -> Json<Value> {
    let p = &who.principal;
    Json(json!({
        "name": p.name,
        "role": p.role.as_str(),
        "kind": p.kind,
        "organization": p.org,
        "lang": p.lang,
        "scope": p.scope.orgs(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(check_limit(None).ok(), Some(50));
        assert_eq!(check_limit(Some(1000)).ok(), Some(1000));
        assert!(check_limit(Some(0)).is_err());
        assert!(check_limit(Some(1001)).is_err());
    }

    #[test]
    fn alert_params() {
        let q = AlertParams {
            severity: Some("HIGH".into()),
            status: Some("  ".into()),
            ..AlertParams::default()
        }
        .into_query(&Scope::All)
        .ok();
        let q = q.as_ref();
        assert_eq!(q.map(|q| q.min_severity), Some(Some(Severity::High)));
        assert_eq!(q.map(|q| q.status.is_none()), Some(true));
        let bad = AlertParams {
            severity: Some("urgent".into()),
            ..AlertParams::default()
        };
        assert!(bad.into_query(&Scope::All).is_err());
    }

    #[test]
    fn time_bounds() {
        assert!(rfc3339_param("from", Some("yesterday".into())).is_err());
        assert!(rfc3339_param("from", Some("".into())).ok() == Some(None));
        let t = rfc3339_param("from", Some("2026-01-31T08:00:00+07:00".into()));
        assert!(matches!(t, Ok(Some(_))));
        let (a, b) = (
            vedette_model::parse_time("2026-01-02T00:00:00Z"),
            vedette_model::parse_time("2026-01-01T00:00:00Z"),
        );
        assert!(event_query(None, a, b, 10, 0).is_err());
        assert!(event_query(None, b, a, 10, MAX_WINDOW as u64).is_err());
        assert!(event_query(None, b, a, 10, 0).is_ok());
    }
}
