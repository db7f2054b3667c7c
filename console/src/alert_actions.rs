//! What analysts do to alerts from the pages: change the status (a false
//! positive with its reason), suppress similar alerts for a period,
//! escalate into an incident, and the same in bulk from the queue. Plain
//! HTML forms carrying the session's CSRF token (the CSP allows no
//! script); each answers with a redirect (303) to where the analyst was.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use vedette_store::{NewAudit, NewSuppression, Scope};

use crate::api::{change_alert_status, require_write, visible_alert};
use crate::auth::{self, ClientIp, PageUser};
use crate::i18n::Lang;
use crate::pages::{OrPage, PageError, PageForm, PagePath};
use crate::{ApiError, Shared};

/// Texts of the alert actions, in English and Vietnamese.
#[derive(Debug)]
pub(crate) struct ActionTexts {
    pub(crate) actions: &'static str,
    pub(crate) set_status: &'static str,
    pub(crate) reason: &'static str,
    pub(crate) reason_hint: &'static str,
    pub(crate) apply: &'static str,
    pub(crate) suppress: &'static str,
    pub(crate) suppress_hint: &'static str,
    pub(crate) hours: &'static str,
    pub(crate) same_host: &'static str,
    pub(crate) escalate: &'static str,
    pub(crate) incident_id: &'static str,
    pub(crate) incident_hint: &'static str,
    pub(crate) selected: &'static str,
    pub(crate) select: &'static str,
    pub(crate) status_names: [(&'static str, &'static str); 6],
    pub(crate) user: &'static str,
    pub(crate) organization: &'static str,
    pub(crate) sort: &'static str,
    pub(crate) newest: &'static str,
    pub(crate) oldest: &'static str,
    pub(crate) by_severity: &'static str,
    pub(crate) filter: &'static str,
    pub(crate) grouped: &'static str,
    pub(crate) assign: &'static str,
    pub(crate) assignee: &'static str,
    pub(crate) ungrouped: &'static str,
    pub(crate) count: &'static str,
    pub(crate) first: &'static str,
    pub(crate) latest: &'static str,
}

const EN: ActionTexts = ActionTexts {
    actions: "Actions",
    set_status: "Set status",
    reason: "Reason",
    reason_hint: "required for a false positive",
    apply: "Apply",
    suppress: "Suppress similar alerts",
    suppress_hint: "New alerts of this rule are marked suppressed until the period ends.",
    hours: "Hours",
    same_host: "only on this host",
    escalate: "Escalate to incident",
    incident_id: "Existing incident #",
    incident_hint: "empty: a new incident",
    selected: "With the selected alerts",
    select: "Select",
    status_names: [
        ("acknowledged", "Acknowledged"),
        ("true_positive", "True positive"),
        ("false_positive", "False positive"),
        ("closed", "Closed"),
        ("new", "New"),
        ("suppressed", "Suppressed"),
    ],
    user: "User",
    organization: "Agency",
    sort: "Order",
    newest: "newest first",
    oldest: "oldest first",
    by_severity: "most severe first",
    filter: "Filter",
    grouped: "Group repeats",
    assign: "Assign to (user name; empty: nobody)",
    assignee: "Assigned to",
    ungrouped: "One row per alert",
    count: "Count",
    first: "First",
    latest: "Latest",
};

const VI: ActionTexts = ActionTexts {
    actions: "Thao tác",
    set_status: "Đặt trạng thái",
    reason: "Lý do",
    reason_hint: "bắt buộc khi là cảnh báo giả",
    apply: "Áp dụng",
    suppress: "Tạm ẩn các cảnh báo tương tự",
    suppress_hint: "Cảnh báo mới của luật này được đánh dấu tạm ẩn cho đến hết thời hạn.",
    hours: "Số giờ",
    same_host: "chỉ trên máy này",
    escalate: "Chuyển thành sự cố",
    incident_id: "Sự cố đã có #",
    incident_hint: "để trống: tạo sự cố mới",
    selected: "Với các cảnh báo đã chọn",
    select: "Chọn",
    status_names: [
        ("acknowledged", "Đã tiếp nhận"),
        ("true_positive", "Cảnh báo thật"),
        ("false_positive", "Cảnh báo giả"),
        ("closed", "Đã đóng"),
        ("new", "Mới"),
        ("suppressed", "Tạm ẩn"),
    ],
    user: "Người dùng",
    organization: "Đơn vị",
    sort: "Sắp xếp",
    newest: "mới nhất trước",
    oldest: "cũ nhất trước",
    by_severity: "nghiêm trọng nhất trước",
    filter: "Lọc",
    grouped: "Gộp cảnh báo lặp lại",
    assign: "Giao cho (tên đăng nhập; để trống: không ai)",
    assignee: "Người xử lý",
    ungrouped: "Mỗi cảnh báo một dòng",
    count: "Số lần",
    first: "Lần đầu",
    latest: "Gần nhất",
};

/// The action texts for a language.
pub(crate) fn texts(lang: Lang) -> &'static ActionTexts {
    match lang {
        Lang::En => &EN,
        Lang::Vi => &VI,
    }
}

/// The page routes for alert actions.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/alerts/bulk", post(bulk))
        .route("/alerts/{id}/status", post(status))
        .route("/alerts/{id}/suppress", post(suppress))
        .route("/alerts/{id}/escalate", post(escalate))
        .route("/alerts/{id}/assign", post(assign))
}

fn check_csrf(lang: Lang, expected: &str, given: &str) -> Result<(), PageError> {
    if auth::tokens_match(expected, given) {
        Ok(())
    } else {
        Err(PageError(lang, ApiError::Forbidden))
    }
}

fn see_other(to: String) -> Response {
    Redirect::to(&to).into_response()
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    csrf: String,
    status: String,
    #[serde(default)]
    reason: String,
}

async fn status(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    PagePath(id): PagePath<i64>,
    PageForm(f): PageForm<StatusForm>,
) -> Result<Response, PageError> {
    check_csrf(lang, &session.csrf, &f.csrf)?;
    change_alert_status(
        &s,
        &session.principal,
        id,
        f.status.trim(),
        Some(f.reason.as_str()),
        ip,
    )
    .await
    .or_page(lang)?;
    Ok(see_other(format!("/alerts/{id}")))
}

#[derive(Debug, Deserialize)]
struct SuppressForm {
    csrf: String,
    hours: u32,
    reason: String,
    #[serde(default)]
    same_host: Option<String>,
}

async fn suppress(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    PagePath(id): PagePath<i64>,
    PageForm(f): PageForm<SuppressForm>,
) -> Result<Response, PageError> {
    check_csrf(lang, &session.csrf, &f.csrf)?;
    let who = &session.principal;
    require_write(who).or_page(lang)?;
    let alert = visible_alert(&s, who, id).await.or_page(lang)?;
    if f.hours == 0 || f.hours > 24 * 90 {
        return Err(PageError(
            lang,
            ApiError::bad_request("hours must be between 1 and 2160"),
        ));
    }
    // A scoped user silences only within the alert's organization.
    let org = match who.scope {
        Scope::All => None,
        _ => alert.organization.clone(),
    };
    let host = f
        .same_host
        .is_some()
        .then(|| alert.alert.host.clone())
        .flatten();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(i64::from(f.hours));
    let (sid, _) = s
        .app
        .store
        .create_suppression(&NewSuppression {
            rule_id: &alert.alert.rule_id,
            host: host.as_deref(),
            org: org.as_deref(),
            reason: f.reason.trim(),
            created_by: &who.name,
            expires,
        })
        .await
        .or_page(lang)?;
    let target = format!("suppression:{sid}");
    let detail = format!(
        "rule={} host={} organization={} hours={}: {}",
        alert.alert.rule_id,
        host.as_deref().unwrap_or("*"),
        org.as_deref().unwrap_or("*"),
        f.hours,
        f.reason.trim()
    );
    let ip = ip.map(|i| i.to_string());
    let mut e = NewAudit::by(who, "suppression.create");
    e.target = Some(&target);
    e.detail = &detail;
    e.source = ip.as_deref();
    s.app.store.audit(&e).await.or_page(lang)?;
    Ok(see_other(format!("/alerts/{id}")))
}

#[derive(Debug, Deserialize)]
struct AssignForm {
    csrf: String,
    #[serde(default)]
    assignee: String,
}

async fn assign(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    PagePath(id): PagePath<i64>,
    PageForm(f): PageForm<AssignForm>,
) -> Result<Response, PageError> {
    check_csrf(lang, &session.csrf, &f.csrf)?;
    crate::api::change_assignee(&s, &session.principal, id, Some(f.assignee.as_str()), ip)
        .await
        .or_page(lang)?;
    Ok(see_other(format!("/alerts/{id}")))
}

#[derive(Debug, Deserialize)]
struct EscalateForm {
    csrf: String,
    #[serde(default)]
    incident: String,
}

/// The incident id typed in a form: blank means a new incident.
fn incident_field(lang: Lang, s: &str) -> Result<Option<i64>, PageError> {
    let s = s.trim().trim_start_matches('#');
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| PageError(lang, ApiError::bad_request("incident: expected a number")))
}

async fn escalate_ids(
    s: &Shared,
    lang: Lang,
    who: &vedette_store::Principal,
    ids: &[i64],
    into: Option<i64>,
    ip: Option<std::net::IpAddr>,
) -> Result<i64, PageError> {
    require_write(who).or_page(lang)?;
    let incident = s
        .app
        .store
        .escalate_alerts(who, ids, into)
        .await
        .or_page(lang)?;
    let target = format!("incident:{incident}");
    let detail = format!(
        "alerts {}",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    );
    let ip = ip.map(|i| i.to_string());
    let mut e = NewAudit::by(who, "alert.escalate");
    e.target = Some(&target);
    e.detail = &detail;
    e.source = ip.as_deref();
    s.app.store.audit(&e).await.or_page(lang)?;
    Ok(incident)
}

async fn escalate(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    PagePath(id): PagePath<i64>,
    PageForm(f): PageForm<EscalateForm>,
) -> Result<Response, PageError> {
    check_csrf(lang, &session.csrf, &f.csrf)?;
    let into = incident_field(lang, &f.incident)?;
    let incident = escalate_ids(&s, lang, &session.principal, &[id], into, ip).await?;
    Ok(see_other(format!("/incidents/{incident}")))
}

/// The queue's bulk form: `csrf`, `action` (`status` or `escalate`),
/// `status`, `reason`, `incident`, and one `id` per checked alert.
async fn bulk(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let form_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !form_type.starts_with("application/x-www-form-urlencoded") {
        return Err(PageError(lang, ApiError::bad_request("expected a form")));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| PageError(lang, ApiError::bad_request(format!("form: {e}"))))?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    check_csrf(lang, &session.csrf, field("csrf"))?;
    let ids = pairs
        .iter()
        .filter(|(k, _)| k == "id")
        .map(|(_, v)| v.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| PageError(lang, ApiError::bad_request("id: expected numbers")))?;
    if ids.is_empty() {
        return Err(PageError(lang, ApiError::bad_request("no alert selected")));
    }
    if ids.len() > vedette_store::MAX_BULK {
        return Err(PageError(
            lang,
            ApiError::bad_request("too many alerts at once"),
        ));
    }
    let who = &session.principal;
    match field("action") {
        "escalate" => {
            let into = incident_field(lang, field("incident"))?;
            let incident = escalate_ids(&s, lang, who, &ids, into, ip).await?;
            Ok(see_other(format!("/incidents/{incident}")))
        }
        "status" => {
            let status = field("status").trim();
            let reason = field("reason").trim();
            for id in &ids {
                change_alert_status(&s, who, *id, status, Some(reason), ip)
                    .await
                    .or_page(lang)?;
            }
            Ok(see_other("/".to_string()))
        }
        _ => Err(PageError(
            lang,
            ApiError::bad_request("action must be status or escalate"),
        )),
    }
}
