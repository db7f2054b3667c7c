//! Administration through the API: organizations, users and the audit
//! log. Organizations are listed within the caller's scope; creating
//! organizations and users is for administrators; the audit log is read by
//! administrators and auditors.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use vedette_store::{NewAudit, Principal, Role};

use crate::api::{check_limit, ApiJson, ApiQuery};
use crate::auth::{Authenticated, ClientIp};
use crate::{ApiError, Shared};

/// The administration routes (nested under `/api/v1`).
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/organizations", get(list_orgs).post(create_org))
        .route("/users", get(list_users).post(create_user))
        .route("/audit", get(list_audit))
}

/// Refuses everyone but administrators.
pub(crate) fn require_admin(who: &Principal) -> Result<(), ApiError> {
    if who.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::denied("only an administrator may do this"))
    }
}

async fn list_orgs(who: Authenticated, State(s): State<Shared>) -> Result<Json<Value>, ApiError> {
    let orgs = s.app.store.list_orgs(&who.principal.scope).await?;
    Ok(Json(json!({ "organizations": orgs })))
}

/// Body of `POST /organizations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrg {
    slug: String,
    name: String,
    #[serde(default)]
    parent: Option<String>,
}

async fn create_org(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiJson(body): ApiJson<NewOrg>,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    require_admin(&who.principal)?;
    let parent = body
        .parent
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let id = s
        .app
        .store
        .create_org(body.slug.trim(), &body.name, parent)
        .await?;
    let target = format!("organization:{}", body.slug.trim());
    let ip = ip.map(|i| i.to_string());
    let mut e = NewAudit::by(&who.principal, "organization.create");
    e.target = Some(&target);
    e.detail = parent.unwrap_or("");
    e.source = ip.as_deref();
    s.app.store.audit(&e).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({ "id": id, "slug": body.slug.trim() })),
    ))
}

async fn list_users(who: Authenticated, State(s): State<Shared>) -> Result<Json<Value>, ApiError> {
    require_admin(&who.principal)?;
    Ok(Json(json!({ "users": s.app.store.list_users().await? })))
}

/// Body of `POST /users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: String,
    password: String,
    role: String,
    #[serde(default)]
    organization: Option<String>,
}

async fn create_user(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    require_admin(&who.principal)?;
    let role: Role = body.role.trim().parse()?;
    let org = body
        .organization
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    let id = s
        .app
        .store
        .create_user_in(body.name.trim(), &body.password, role, org)
        .await?;
    let target = format!("user:{}", body.name.trim());
    let detail = format!("role={} organization={}", role, org.unwrap_or("-"));
    let ip = ip.map(|i| i.to_string());
    let mut e = NewAudit::by(&who.principal, "user.create");
    e.target = Some(&target);
    e.detail = &detail;
    e.source = ip.as_deref();
    s.app.store.audit(&e).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({ "id": id, "name": body.name.trim() })),
    ))
}

/// Query parameters of `GET /audit`.
#[derive(Debug, Default, Deserialize)]
struct AuditParams {
    limit: Option<u32>,
    offset: Option<u64>,
}

async fn list_audit(
    who: Authenticated,
    State(s): State<Shared>,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<Value>, ApiError> {
    if !matches!(who.principal.role, Role::Admin | Role::Auditor) {
        return Err(ApiError::denied(
            "only administrators and auditors read the audit log",
        ));
    }
    let (total, entries) = s
        .app
        .store
        .list_audit(check_limit(p.limit)?, p.offset.unwrap_or(0))
        .await?;
    Ok(Json(json!({ "total": total, "entries": entries })))
}
