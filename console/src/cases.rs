//! Incidents (cases) and tickets through the API under `/api/v1`.
//!
//! Reads are limited to the caller's scope: another organization's
//! incident or ticket is a 404, like a missing one. Changes need a role
//! that writes (auditors are read-only); handing tickets to agencies is for
//! province-wide analysts and administrators, while an agency's officer
//! moves its tickets along and comments on them. Every change is audited.

use std::net::IpAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use vedette_model::Severity;
use vedette_store::{
    IncidentDetail, IncidentQuery, NewAudit, NewIncident, NewTicket, Principal, Role, Scope,
    TicketDetail, TicketQuery, INCIDENT_STATUSES, TICKET_STATUSES,
};

use crate::api::{check_limit, require_write, text_param, ApiJson, ApiPath, ApiQuery};
use crate::auth::{Authenticated, ClientIp};
use crate::{ApiError, Shared};

/// The incident and ticket routes (nested under `/api/v1`).
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/incidents", get(list_incidents).post(create_incident))
        .route("/incidents/{id}", get(get_incident))
        .route("/incidents/{id}/status", post(incident_status))
        .route("/incidents/{id}/owner", post(incident_owner))
        .route("/incidents/{id}/alerts", post(link_alerts))
        .route("/incidents/{id}/observables", post(add_observable))
        .route("/incidents/{id}/comments", post(incident_comment))
        .route("/incidents/{id}/tasks", post(add_task))
        .route("/incidents/{id}/tasks/{task}", post(set_task))
        .route("/alerts/escalate", post(escalate))
        .route("/tickets", get(list_tickets).post(create_ticket))
        .route("/tickets/{id}", get(get_ticket))
        .route("/tickets/{id}/status", post(ticket_status))
        .route("/tickets/{id}/comments", post(ticket_comment))
}

/// Writes an audit record of `action` on `target`.
pub(crate) async fn audit(
    s: &Shared,
    who: &Principal,
    ip: Option<IpAddr>,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), ApiError> {
    let ip = ip.map(|i| i.to_string());
    let mut e = NewAudit::by(who, action);
    e.target = Some(target);
    e.detail = detail;
    e.source = ip.as_deref();
    s.app.store.audit(&e).await?;
    Ok(())
}

/// The incident `id` with everything attached, or a 404.
pub(crate) async fn incident_detail(
    s: &Shared,
    who: &Principal,
    id: i64,
) -> Result<IncidentDetail, ApiError> {
    s.app
        .store
        .incident_detail(id, &who.scope)
        .await?
        .ok_or_else(|| ApiError::not_found("incident", id))
}

/// The ticket `id` with its comments, or a 404.
pub(crate) async fn ticket_detail(
    s: &Shared,
    who: &Principal,
    id: i64,
) -> Result<TicketDetail, ApiError> {
    s.app
        .store
        .ticket_detail(id, &who.scope)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket", id))
}

/// A status filter: blank is none, else one of `allowed`.
fn status_filter(v: Option<String>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match text_param("status", v)? {
        None => Ok(None),
        Some(s) if allowed.contains(&s.trim()) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(ApiError::bad_request(format!(
            "status must be one of {}",
            allowed.join(", ")
        ))),
    }
}

fn check_offset(offset: Option<u64>) -> Result<u64, ApiError> {
    let offset = offset.unwrap_or(0);
    if i64::try_from(offset).is_err() {
        return Err(ApiError::bad_request("offset is too large"));
    }
    Ok(offset)
}

// ------------------------------------------------------------ incidents --

/// Query parameters of `GET /incidents`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct IncidentParams {
    limit: Option<u32>,
    offset: Option<u64>,
    status: Option<String>,
    organization: Option<String>,
}

impl IncidentParams {
    pub(crate) fn into_query(self, scope: &Scope) -> Result<IncidentQuery, ApiError> {
        Ok(IncidentQuery {
            limit: check_limit(self.limit)?,
            offset: check_offset(self.offset)?,
            status: status_filter(self.status, INCIDENT_STATUSES)?,
            organization: text_param("organization", self.organization)?,
            scope: scope.clone(),
        })
    }
}

async fn list_incidents(
    who: Authenticated,
    State(s): State<Shared>,
    ApiQuery(p): ApiQuery<IncidentParams>,
) -> Result<Json<Value>, ApiError> {
    let q = p.into_query(&who.principal.scope)?;
    let page = s.app.store.list_incidents(&q).await?;
    Ok(Json(
        json!({ "total": page.total, "incidents": page.incidents }),
    ))
}

async fn get_incident(
    who: Authenticated,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<IncidentDetail>, ApiError> {
    Ok(Json(incident_detail(&s, &who.principal, id).await?))
}

/// Body of `POST /incidents`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewIncidentBody {
    title: String,
    #[serde(default)]
    description: String,
    /// Default `medium`.
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    owner: Option<String>,
}

async fn create_incident(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiJson(body): ApiJson<NewIncidentBody>,
) -> Result<(StatusCode, Json<IncidentDetail>), ApiError> {
    let who = &who.principal;
    require_write(who)?;
    let severity = match text_param("severity", body.severity)? {
        None => Severity::Medium,
        Some(s) => s
            .trim()
            .parse()
            .map_err(|e| ApiError::bad_request(format!("severity: {e}")))?,
    };
    let new = NewIncident {
        title: body.title,
        description: body.description,
        severity,
        organization: body.organization,
        owner: body.owner,
    };
    let id = s.app.store.create_incident(who, &new).await?;
    let detail = incident_detail(&s, who, id).await?;
    let info = format!(
        "{} ({}, organization {})",
        detail.incident.title,
        severity,
        detail.incident.organization.as_deref().unwrap_or("-")
    );
    audit(
        &s,
        who,
        ip,
        "incident.create",
        &format!("incident:{id}"),
        &info,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// Body of `POST /incidents/{id}/status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentStatusBody {
    status: String,
    /// Required to close.
    #[serde(default)]
    resolution: Option<String>,
}

/// Moves an incident to another status, audited.
pub(crate) async fn change_incident_status(
    s: &Shared,
    who: &Principal,
    id: i64,
    status: &str,
    resolution: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    require_write(who)?;
    let status = status.trim();
    let before = s
        .app
        .store
        .set_incident_status(who, id, status, resolution)
        .await?;
    let detail = format!("{before} -> {status}");
    audit(
        s,
        who,
        ip,
        "incident.status",
        &format!("incident:{id}"),
        &detail,
    )
    .await
}

async fn incident_status(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<IncidentStatusBody>,
) -> Result<Json<IncidentDetail>, ApiError> {
    let who = &who.principal;
    change_incident_status(&s, who, id, &body.status, body.resolution.as_deref(), ip).await?;
    Ok(Json(incident_detail(&s, who, id).await?))
}

/// Body of `POST /incidents/{id}/owner`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnerBody {
    /// A user name; `null` clears the owner.
    owner: Option<String>,
}

async fn incident_owner(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<OwnerBody>,
) -> Result<Json<IncidentDetail>, ApiError> {
    let who = &who.principal;
    require_write(who)?;
    s.app
        .store
        .set_incident_owner(who, id, body.owner.as_deref())
        .await?;
    let detail = body.owner.as_deref().unwrap_or("-");
    audit(
        &s,
        who,
        ip,
        "incident.owner",
        &format!("incident:{id}"),
        detail,
    )
    .await?;
    Ok(Json(incident_detail(&s, who, id).await?))
}

/// Body of `POST /incidents/{id}/alerts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertIdsBody {
    alert_ids: Vec<i64>,
}

fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

async fn link_alerts(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AlertIdsBody>,
) -> Result<Json<IncidentDetail>, ApiError> {
    let who = &who.principal;
    require_write(who)?;
    let n = s.app.store.link_alerts(who, id, &body.alert_ids).await?;
    let detail = format!("{n} linked: alerts {}", id_list(&body.alert_ids));
    audit(
        &s,
        who,
        ip,
        "incident.alerts",
        &format!("incident:{id}"),
        &detail,
    )
    .await?;
    Ok(Json(incident_detail(&s, who, id).await?))
}

/// Body of `POST /alerts/escalate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalateBody {
    alert_ids: Vec<i64>,
    /// An existing incident to add them to; without it, a new incident.
    #[serde(default)]
    incident_id: Option<i64>,
}

async fn escalate(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiJson(body): ApiJson<EscalateBody>,
) -> Result<(StatusCode, Json<IncidentDetail>), ApiError> {
    let who = &who.principal;
    require_write(who)?;
    let id = s
        .app
        .store
        .escalate_alerts(who, &body.alert_ids, body.incident_id)
        .await?;
    let detail = format!("alerts {}", id_list(&body.alert_ids));
    audit(
        &s,
        who,
        ip,
        "alert.escalate",
        &format!("incident:{id}"),
        &detail,
    )
    .await?;
    let status = if body.incident_id.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(incident_detail(&s, who, id).await?)))
}

/// Body of `POST /incidents/{id}/observables`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservableBody {
    /// `ip`, `domain`, `url`, `hash`, `user` or `host`.
    kind: String,
    value: String,
}

async fn add_observable(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ObservableBody>,
) -> Result<(StatusCode, Json<IncidentDetail>), ApiError> {
    let who = &who.principal;
    require_write(who)?;
    let kind = body.kind.trim();
    s.app
        .store
        .add_observable(who, id, kind, &body.value)
        .await?;
    let value = vedette_store::normalize_observable(kind, &body.value)?;
    let detail = format!("{kind} {value}");
    audit(
        &s,
        who,
        ip,
        "incident.observable",
        &format!("incident:{id}"),
        &detail,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(incident_detail(&s, who, id).await?),
    ))
}

/// Body of `POST /incidents/{id}/comments` and `/tickets/{id}/comments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    text: String,
}

/// The first characters of a text, for the audit log.
fn gist(text: &str) -> String {
    crate::views::truncate_chars(text.trim(), 200)
}

/// Comments on an incident, audited.
pub(crate) async fn comment_incident(
    s: &Shared,
    who: &Principal,
    id: i64,
    text: &str,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    require_write(who)?;
    s.app.store.add_incident_comment(who, id, text).await?;
    audit(
        s,
        who,
        ip,
        "incident.comment",
        &format!("incident:{id}"),
        &gist(text),
    )
    .await
}

async fn incident_comment(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<(StatusCode, Json<IncidentDetail>), ApiError> {
    let who = &who.principal;
    comment_incident(&s, who, id, &body.text, ip).await?;
    Ok((
        StatusCode::CREATED,
        Json(incident_detail(&s, who, id).await?),
    ))
}

/// Body of `POST /incidents/{id}/tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskBody {
    title: String,
}

async fn add_task(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TaskBody>,
) -> Result<(StatusCode, Json<IncidentDetail>), ApiError> {
    let who = &who.principal;
    require_write(who)?;
    let task = s.app.store.add_task(who, id, &body.title).await?;
    let target = format!("incident:{id}");
    let detail = format!("task {task}: {}", gist(&body.title));
    audit(&s, who, ip, "incident.task", &target, &detail).await?;
    Ok((
        StatusCode::CREATED,
        Json(incident_detail(&s, who, id).await?),
    ))
}

/// Body of `POST /incidents/{id}/tasks/{task}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskDoneBody {
    done: bool,
}

async fn set_task(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath((id, task)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<TaskDoneBody>,
) -> Result<Json<IncidentDetail>, ApiError> {
    let who = &who.principal;
    require_write(who)?;
    s.app.store.set_task_done(who, id, task, body.done).await?;
    let detail = format!("task {task} done={}", body.done);
    audit(
        &s,
        who,
        ip,
        "incident.task",
        &format!("incident:{id}"),
        &detail,
    )
    .await?;
    Ok(Json(incident_detail(&s, who, id).await?))
}

// -------------------------------------------------------------- tickets --

/// Query parameters of `GET /tickets`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TicketParams {
    limit: Option<u32>,
    offset: Option<u64>,
    status: Option<String>,
    organization: Option<String>,
    overdue: Option<bool>,
}

impl TicketParams {
    pub(crate) fn into_query(self, scope: &Scope) -> Result<TicketQuery, ApiError> {
        Ok(TicketQuery {
            limit: check_limit(self.limit)?,
            offset: check_offset(self.offset)?,
            status: status_filter(self.status, TICKET_STATUSES)?,
            organization: text_param("organization", self.organization)?,
            overdue: self.overdue.unwrap_or(false),
            scope: scope.clone(),
        })
    }
}

async fn list_tickets(
    who: Authenticated,
    State(s): State<Shared>,
    ApiQuery(p): ApiQuery<TicketParams>,
) -> Result<Json<Value>, ApiError> {
    let q = p.into_query(&who.principal.scope)?;
    let page = s.app.store.list_tickets(&q).await?;
    Ok(Json(
        json!({ "total": page.total, "tickets": page.tickets }),
    ))
}

async fn get_ticket(
    who: Authenticated,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(ticket_detail(&s, &who.principal, id).await?))
}

/// Body of `POST /tickets`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTicketBody {
    title: String,
    #[serde(default)]
    description: String,
    /// The agency (slug).
    organization: String,
    #[serde(default)]
    assignee: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    due: Option<String>,
    #[serde(default)]
    sla_hours: Option<u32>,
    #[serde(default)]
    incident_id: Option<i64>,
}

/// Refuses all but province-wide analysts and administrators.
pub(crate) fn require_dispatcher(who: &Principal) -> Result<(), ApiError> {
    require_write(who)?;
    if matches!(who.role, Role::Admin | Role::Analyst) && who.scope == Scope::All {
        Ok(())
    } else {
        Err(ApiError::denied(
            "tickets are handed out by province-wide analysts and administrators",
        ))
    }
}

async fn create_ticket(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiJson(body): ApiJson<NewTicketBody>,
) -> Result<(StatusCode, Json<TicketDetail>), ApiError> {
    let who = &who.principal;
    require_dispatcher(who)?;
    let due = text_param("due", body.due)?
        .map(|d| {
            vedette_model::parse_time(d.trim()).ok_or_else(|| {
                ApiError::bad_request("due: expected an RFC 3339 time such as 2026-01-31T08:00:00Z")
            })
        })
        .transpose()?;
    let new = NewTicket {
        title: body.title,
        description: body.description,
        organization: body.organization,
        assignee: body.assignee,
        due,
        sla_hours: body.sla_hours,
        incident_id: body.incident_id,
    };
    let id = s.app.store.create_ticket(who, &new).await?;
    let detail = ticket_detail(&s, who, id).await?;
    let info = format!(
        "to {}: {}",
        detail.ticket.organization,
        gist(&detail.ticket.title)
    );
    audit(&s, who, ip, "ticket.create", &format!("ticket:{id}"), &info).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// Body of `POST /tickets/{id}/status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TicketStatusBody {
    status: String,
}

/// Moves a ticket to another status, audited.
pub(crate) async fn change_ticket_status(
    s: &Shared,
    who: &Principal,
    id: i64,
    status: &str,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    require_write(who)?;
    let status = status.trim();
    let before = s.app.store.set_ticket_status(who, id, status).await?;
    let detail = format!("{before} -> {status}");
    audit(
        s,
        who,
        ip,
        "ticket.status",
        &format!("ticket:{id}"),
        &detail,
    )
    .await
}

async fn ticket_status(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TicketStatusBody>,
) -> Result<Json<TicketDetail>, ApiError> {
    let who = &who.principal;
    change_ticket_status(&s, who, id, &body.status, ip).await?;
    Ok(Json(ticket_detail(&s, who, id).await?))
}

/// Comments on a ticket, audited.
pub(crate) async fn comment_ticket(
    s: &Shared,
    who: &Principal,
    id: i64,
    text: &str,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    require_write(who)?;
    s.app.store.add_ticket_comment(who, id, text).await?;
    audit(
        s,
        who,
        ip,
        "ticket.comment",
        &format!("ticket:{id}"),
        &gist(text),
    )
    .await
}

async fn ticket_comment(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<(StatusCode, Json<TicketDetail>), ApiError> {
    let who = &who.principal;
    comment_ticket(&s, who, id, &body.text, ip).await?;
    Ok((StatusCode::CREATED, Json(ticket_detail(&s, who, id).await?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_filters() {
        assert_eq!(status_filter(None, TICKET_STATUSES).ok(), Some(None));
        assert_eq!(
            status_filter(Some(" done ".into()), TICKET_STATUSES).ok(),
            Some(Some("done".into()))
        );
        assert!(status_filter(Some("triage".into()), TICKET_STATUSES).is_err());
        assert!(check_offset(Some(u64::MAX)).is_err());
    }

    #[test]
    fn dispatchers() {
        let p = |role: Role, scope: Scope| Principal {
            kind: vedette_store::PrincipalKind::Token,
            id: 1,
            name: "x".into(),
            role,
            org: None,
            scope,
            lang: None,
        };
        assert!(require_dispatcher(&p(Role::Analyst, Scope::All)).is_ok());
        assert!(require_dispatcher(&p(Role::Admin, Scope::All)).is_ok());
        assert!(require_dispatcher(&p(Role::Auditor, Scope::All)).is_err());
        assert!(require_dispatcher(&p(Role::Officer, Scope::Orgs(vec!["a".into()]))).is_err());
        assert!(require_dispatcher(&p(Role::Analyst, Scope::Orgs(vec!["a".into()]))).is_err());
    }
}
