//! The alert queue's bulk side: status changes on many alerts at once,
//! repeats grouped into one row, and suppressions of similar alerts for a
//! period.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;
use vedette_store::{NewAudit, NewSuppression, Scope, MAX_BULK};

use crate::api::{
    check_limit, require_write, text_param, ApiJson, ApiPath, ApiQuery, ALERT_STATUSES,
};
use crate::auth::{Authenticated, ClientIp};
use crate::{ApiError, Shared};

/// The triage routes (nested under `/api/v1`).
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/alerts/bulk", post(bulk_status))
        .route("/alerts/groups", get(groups))
        .route(
            "/suppressions",
            get(list_suppressions).post(create_suppression),
        )
        .route("/suppressions/{id}/lift", post(lift))
}

/// Body of `POST /alerts/bulk`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bulk {
    alert_ids: Vec<i64>,
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn bulk_status(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiJson(body): ApiJson<Bulk>,
) -> Result<Json<Value>, ApiError> {
    let who = &who.principal;
    require_write(who)?;
    let status = body.status.trim();
    if !ALERT_STATUSES.contains(&status) {
        return Err(ApiError::bad_request(format!(
            "status must be one of {}",
            ALERT_STATUSES.join(", ")
        )));
    }
    if body.alert_ids.is_empty() || body.alert_ids.len() > MAX_BULK {
        return Err(ApiError::bad_request(format!(
            "alert_ids must hold 1 to {MAX_BULK} ids"
        )));
    }
    let reason = text_param("reason", body.reason)?;
    if status == "false_positive" && reason.is_none() {
        return Err(ApiError::bad_request(
            "marking alerts false positives needs a reason",
        ));
    }
    let changed = s
        .app
        .store
        .set_alerts_status(&body.alert_ids, status, &who.scope)
        .await?;
    let not_found: Vec<i64> = body
        .alert_ids
        .iter()
        .filter(|id| !changed.contains(id))
        .copied()
        .collect();
    let mut ids_text = changed
        .iter()
        .take(50)
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    if changed.len() > 50 {
        ids_text.push_str(",...");
    }
    let detail = format!(
        "{} alerts -> {status}{} [{ids_text}]",
        changed.len(),
        reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    );
    let ip = ip.map(|i| i.to_string());
    let mut e = NewAudit::by(who, "alert.bulk_status");
    e.detail = &detail;
    e.source = ip.as_deref();
    s.app.store.audit(&e).await?;
    Ok(Json(
        json!({ "updated": changed.len(), "not_found": not_found }),
    ))
}

/// Query parameters of `GET /alerts/groups`.
#[derive(Debug, Default, Deserialize)]
struct GroupParams {
    status: Option<String>,
    limit: Option<u32>,
}

async fn groups(
    who: Authenticated,
    State(s): State<Shared>,
    ApiQuery(p): ApiQuery<GroupParams>,
) -> Result<Json<Value>, ApiError> {
    let status = text_param("status", p.status)?;
    let groups = s
        .app
        .store
        .alert_groups(
            &who.principal.scope,
            status.as_deref(),
            check_limit(p.limit)?,
        )
        .await?;
    Ok(Json(json!({ "groups": groups })))
}

async fn list_suppressions(
    who: Authenticated,
    State(s): State<Shared>,
) -> Result<Json<Value>, ApiError> {
    let list = s
        .app
        .store
        .active_suppressions(&who.principal.scope)
        .await?;
    Ok(Json(json!({ "suppressions": list })))
}

/// Body of `POST /suppressions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSupp {
    rule_id: String,
    #[serde(default)]
    host: Option<String>,
    /// The organization whose alerts to silence; a scoped principal's
    /// own organization by default (and no other).
    #[serde(default)]
    organization: Option<String>,
    reason: String,
    /// How long, in hours (1 to 2160).
    hours: u32,
}

async fn create_suppression(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiJson(body): ApiJson<NewSupp>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let who = &who.principal;
    require_write(who)?;
    if body.hours == 0 || body.hours > 24 * 90 {
        return Err(ApiError::bad_request("hours must be between 1 and 2160"));
    }
    let host = text_param("host", body.host)?;
    let org = text_param("organization", body.organization)?.map(|o| o.to_ascii_lowercase());
    // A scoped principal silences only its own organizations' alerts.
    let org = match (&who.scope, org) {
        (Scope::All, o) => o,
        (scope, Some(o)) if scope.allows(Some(&o)) => Some(o),
        (_, Some(_)) => return Err(ApiError::not_found("organization", "")),
        (_, None) => match who.org.clone() {
            Some(o) => Some(o),
            None => return Err(ApiError::denied("no organization to suppress in")),
        },
    };
    let reason = body.reason.trim();
    let expires = OffsetDateTime::now_utc() + time::Duration::hours(i64::from(body.hours));
    let (id, silenced) = s
        .app
        .store
        .create_suppression(&NewSuppression {
            rule_id: body.rule_id.trim(),
            host: host.as_deref(),
            org: org.as_deref(),
            reason,
            created_by: &who.name,
            expires,
        })
        .await?;
    let target = format!("suppression:{id}");
    let detail = format!(
        "rule={} host={} organization={} hours={}: {reason}",
        body.rule_id.trim(),
        host.as_deref().unwrap_or("*"),
        org.as_deref().unwrap_or("*"),
        body.hours
    );
    let ip = ip.map(|i| i.to_string());
    let mut e = NewAudit::by(who, "suppression.create");
    e.target = Some(&target);
    e.detail = &detail;
    e.source = ip.as_deref();
    s.app.store.audit(&e).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "id": id, "silenced": silenced, "expires": vedette_model::fmt_time(expires) }),
        ),
    ))
}

async fn lift(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let who = &who.principal;
    require_write(who)?;
    let visible = s.app.store.active_suppressions(&who.scope).await?;
    if !visible.iter().any(|x| x.id == id) {
        return Err(ApiError::not_found("suppression", id));
    }
    s.app.store.lift_suppression(id, &who.name).await?;
    let target = format!("suppression:{id}");
    let ip = ip.map(|i| i.to_string());
    let mut e = NewAudit::by(who, "suppression.lift");
    e.target = Some(&target);
    e.source = ip.as_deref();
    s.app.store.audit(&e).await?;
    Ok(Json(json!({ "id": id, "lifted": true })))
}
