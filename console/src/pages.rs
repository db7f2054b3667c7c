//! Server-rendered pages: login, logout, alerts, event search, one alert.
//!
//! Pages need a session; without one they redirect to `/login`. Every
//! state-changing form carries a CSRF token: the session's, or before a
//! session exists (the login form) a double-submit cookie.

use std::sync::atomic::Ordering;

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::api::{event_query, run_search};
use crate::auth::{self, ClientIp, PageUser, LOGIN_CSRF_COOKIE};
use crate::i18n::Lang;
use crate::views::{
    display_time, parse_page_time, url_encode, visible, AlertPage, AlertRow, AlertsPage, ErrorPage,
    EventRow, LoginPage, PageCtx, Pager, QueueFilters, SearchPage,
};
use crate::{ApiError, Shared, SESSION_COOKIE};

/// Rows per page.
const PER_PAGE: u32 = 50;
/// Deepest alerts page.
const MAX_ALERT_PAGE: u64 = 10_000;
/// Deepest events page.
const MAX_EVENT_PAGE: u64 = (vedette_search::MAX_WINDOW / PER_PAGE as usize) as u64;
/// Longest username or password considered (longer ones fail without
/// reaching the password hasher).
const MAX_USERNAME: usize = 256;
const MAX_PASSWORD: usize = 1024;

/// The page routes.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .merge(session_routes())
        .merge(crate::case_pages::routes())
        .route("/", get(alerts_page))
        .route("/search", get(search_page))
        .route("/alerts/{id}", get(alert_page))
        .merge(crate::alert_actions::routes())
        .merge(crate::dashboard::page_routes())
}

fn session_routes() -> Router<Shared> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

/// An error shown as an HTML page.
pub(crate) struct PageError(pub(crate) Lang, pub(crate) ApiError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.0, self.1)
    }
}

pub(crate) trait OrPage<T> {
    fn or_page(self, lang: Lang) -> Result<T, PageError>;
}

impl<T, E: Into<ApiError>> OrPage<T> for Result<T, E> {
    fn or_page(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| PageError(lang, e.into()))
    }
}

/// Renders an error as a page with the error's status.
pub(crate) fn error_page(lang: Lang, err: ApiError) -> Response {
    err.log();
    let t = lang.texts();
    let message = match &err {
        ApiError::Forbidden => t.forbidden.to_string(),
        ApiError::NotFound { .. } => t.not_found.to_string(),
        ApiError::BadRequest(reason) => format!("{}: {reason}", t.bad_request),
        ApiError::TooManyRequests { .. } => t.login_throttled.to_string(),
        e if e.status().is_server_error() => t.internal_error.to_string(),
        e => e.to_string(),
    };
    let page = ErrorPage {
        page: PageCtx::anonymous(lang),
        message,
    };
    let mut res = match page.render() {
        Ok(html) => (err.status(), Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page failed");
            (err.status(), t.internal_error).into_response()
        }
    };
    err.add_headers(&mut res);
    res
}

/// Renders a template as an HTML response.
pub(crate) fn html(status: StatusCode, tpl: &impl Template) -> Result<Response, ApiError> {
    Ok((status, Html(tpl.render()?)).into_response())
}

/// `Query` whose rejection is a 400 page.
pub(crate) struct PageQuery<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(PageQuery(v)),
            Err(e) => Err(PageError(
                Lang::from_parts(parts),
                ApiError::bad_request(e.body_text()),
            )),
        }
    }
}

/// `Path` whose rejection is a 400 page.
pub(crate) struct PagePath<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PagePath<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(PagePath(v)),
            Err(e) => Err(PageError(
                Lang::from_parts(parts),
                ApiError::bad_request(e.body_text()),
            )),
        }
    }
}

/// A form body whose rejection is a 400 page.
pub(crate) struct PageForm<T>(pub(crate) T);

impl<T: DeserializeOwned> axum::extract::FromRequest<Shared> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(req: axum::extract::Request, state: &Shared) -> Result<Self, PageError> {
        let (parts, body) = req.into_parts();
        let lang = Lang::from_parts(&parts);
        let req = axum::extract::Request::from_parts(parts, body);
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(PageForm(v)),
            Err(e) => Err(PageError(lang, ApiError::bad_request(e.body_text()))),
        }
    }
}

// ---------------------------------------------------------------- login --

/// Whether a login CSRF cookie looks like one we issued.
fn plausible_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

fn login_page(
    s: &Shared,
    lang: Lang,
    status: StatusCode,
    token: &str,
    username: &str,
    error: Option<&'static str>,
) -> Result<Response, ApiError> {
    let page = LoginPage {
        page: PageCtx::anonymous(lang),
        login_csrf: token.to_string(),
        username: username.to_string(),
        error,
    };
    let mut res = html(status, &page)?;
    res.headers_mut().append(
        header::SET_COOKIE,
        auth::cookie_header(LOGIN_CSRF_COOKIE, token, None, s.app.config.secure_cookies),
    );
    Ok(res)
}

async fn login_form(
    State(s): State<Shared>,
    lang: Lang,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if auth::session_from_headers(&s, &headers)
        .await
        .or_page(lang)?
        .is_some()
    {
        return Ok(Redirect::to("/").into_response());
    }
    let token = match auth::cookie(&headers, LOGIN_CSRF_COOKIE) {
        Some(t) if plausible_token(t) => t.to_string(),
        _ => auth::random_token(),
    };
    login_page(&s, lang, StatusCode::OK, &token, "", None).or_page(lang)
}

/// The login form's fields (absent ones are empty, so a missing token is
/// a 403 rather than a parse error).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

async fn login(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, PageError> {
    let cookie_token = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if !plausible_token(cookie_token) || !auth::tokens_match(cookie_token, &form.csrf) {
        return Err(PageError(lang, ApiError::Forbidden));
    }
    let t = lang.texts();
    let username = form.username.trim();
    let shown_name: String = username.chars().take(MAX_USERNAME).collect();

    if let Some(wait) = s.throttle.check(username, ip) {
        s.counters.login_throttled.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(user = ?shown_name, ip = ?ip, "login refused: throttled");
        let mut res = login_page(
            &s,
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            cookie_token,
            &shown_name,
            Some(t.login_throttled),
        )
        .or_page(lang)?;
        ApiError::TooManyRequests { retry_after: wait }.add_headers(&mut res);
        return Ok(res);
    }

    let principal = if username.is_empty()
        || username.len() > MAX_USERNAME
        || form.password.len() > MAX_PASSWORD
    {
        None
    } else {
        s.app
            .store
            .verify_password(username, &form.password)
            .await
            .or_page(lang)?
    };
    let Some(principal) = principal else {
        s.throttle.record_failure(username, ip);
        s.counters.login_failure.fetch_add(1, Ordering::Relaxed);
        tracing::info!(user = ?shown_name, ip = ?ip, "login failed");
        let ip_text = ip.map(|ip| ip.to_string());
        let audit = vedette_store::NewAudit {
            actor: &shown_name,
            actor_kind: "user",
            action: "login.failed",
            target: None,
            detail: "",
            source: ip_text.as_deref(),
        };
        if let Err(e) = s.app.store.audit(&audit).await {
            tracing::warn!(error = %e, "could not write the audit log");
        }
        return login_page(
            &s,
            lang,
            StatusCode::UNAUTHORIZED,
            cookie_token,
            &shown_name,
            Some(t.login_failed),
        )
        .or_page(lang);
    };

    s.throttle.record_success(username);
    s.counters.login_success.fetch_add(1, Ordering::Relaxed);
    // A fresh session on every login; the one the browser had goes away.
    if let Some(old) = auth::cookie(&headers, SESSION_COOKIE) {
        if !old.is_empty() && old.len() <= 512 {
            if let Err(e) = s.app.store.delete_session(old).await {
                tracing::warn!(error = %e, "could not delete the previous session");
            }
        }
    }
    let session = s
        .app
        .store
        .create_session(principal.id)
        .await
        .or_page(lang)?;
    tracing::info!(user = %principal.name, ip = ?ip, "login");
    let ip_text = ip.map(|ip| ip.to_string());
    let mut audit = vedette_store::NewAudit::by(&principal, "login");
    audit.source = ip_text.as_deref();
    s.app.store.audit(&audit).await.or_page(lang)?;
    let secure = s.app.config.secure_cookies;
    // The cookie lives as long as the session, so the browser drops it then.
    let max_age =
        u64::try_from((session.expires - time::OffsetDateTime::now_utc()).whole_seconds()).ok();
    let mut res = Redirect::to("/").into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        auth::cookie_header(SESSION_COOKIE, &session.id, max_age, secure),
    );
    h.append(
        header::SET_COOKIE,
        auth::cookie_header(LOGIN_CSRF_COOKIE, "", Some(0), secure),
    );
    Ok(res)
}

/// A form that carries only the CSRF token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(s): State<Shared>,
    lang: Lang,
    PageUser(session): PageUser,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, PageError> {
    if !auth::tokens_match(&session.csrf, &form.csrf) {
        return Err(PageError(lang, ApiError::Forbidden));
    }
    s.app
        .store
        .delete_session(&session.id)
        .await
        .or_page(lang)?;
    tracing::info!(user = %session.principal.name, "logout");
    s.app
        .store
        .audit(&vedette_store::NewAudit::by(&session.principal, "logout"))
        .await
        .or_page(lang)?;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        auth::cookie_header(SESSION_COOKIE, "", Some(0), s.app.config.secure_cookies),
    );
    Ok(res)
}

// --------------------------------------------------------------- alerts --

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AlertsParams {
    page: Option<u64>,
    severity: String,
    status: String,
    rule_id: String,
    host: String,
    organization: String,
    user: String,
    sort: String,
    /// `groups`: repeats of a rule on a host as one row.
    view: String,
}

impl AlertsParams {
    /// The filters as the form shows them and the pager repeats them.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("severity", self.severity.as_str()),
            ("status", &self.status),
            ("rule_id", &self.rule_id),
            ("host", &self.host),
            ("organization", &self.organization),
            ("user", &self.user),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect()
    }

    fn api(&self) -> crate::api::AlertParams {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
        crate::api::AlertParams {
            limit: None,
            offset: None,
            severity: opt(&self.severity),
            status: opt(&self.status),
            rule_id: opt(&self.rule_id),
            host: opt(&self.host),
            organization: opt(&self.organization),
            user: opt(&self.user),
            sort: opt(&self.sort),
        }
    }
}

fn check_page(page: Option<u64>, max: u64) -> Result<u64, ApiError> {
    match page.unwrap_or(1) {
        p @ 1.. if p <= max => Ok(p),
        _ => Err(ApiError::bad_request(format!(
            "page must be between 1 and {max}"
        ))),
    }
}

async fn alerts_page(
    State(s): State<Shared>,
    lang: Lang,
    PageUser(session): PageUser,
    PageQuery(p): PageQuery<AlertsParams>,
) -> Result<Response, PageError> {
    let page_no = check_page(p.page, MAX_ALERT_PAGE).or_page(lang)?;
    if p.view == "groups" {
        let status = (!p.status.trim().is_empty()).then(|| p.status.trim());
        let groups = s
            .app
            .store
            .alert_groups(&session.principal.scope, status, 200)
            .await
            .or_page(lang)?;
        let page = crate::views::AlertGroupsPage {
            page: PageCtx::signed_in(lang, &session.principal.name, &session.csrf),
            act: crate::alert_actions::texts(lang),
            rows: groups
                .iter()
                .map(|g| crate::views::GroupRow {
                    title: visible(&g.rule_title),
                    host: visible(g.host.as_deref().unwrap_or("")),
                    count: g.count,
                    severity_class: match g.severity.as_str() {
                        "informational" => "informational",
                        "low" => "low",
                        "high" => "high",
                        "critical" => "critical",
                        _ => "medium",
                    },
                    first: display_time(g.first),
                    latest: display_time(g.latest),
                    href: format!(
                        "/?rule_id={}&host={}",
                        url_encode(&g.rule_id),
                        url_encode(g.host.as_deref().unwrap_or(""))
                    ),
                })
                .collect(),
        };
        return html(StatusCode::OK, &page).or_page(lang);
    }
    let mut query = p.api().into_query(&session.principal.scope).or_page(lang)?;
    let keep: String = p
        .pairs()
        .iter()
        .map(|(k, v)| format!("&{k}={}", url_encode(v)))
        .collect();
    query.limit = PER_PAGE;
    query.offset = (page_no - 1) * u64::from(PER_PAGE);
    let last_id = s.app.store.last_alert_id().await.or_page(lang)?;
    let result = s.app.store.list_alerts(&query).await.or_page(lang)?;
    let t = lang.texts();
    let total = result.total;
    let page = AlertsPage {
        page: PageCtx::signed_in(lang, &session.principal.name, &session.csrf),
        act: crate::alert_actions::texts(lang),
        can_write: session.principal.can_write(),
        live: page_no == 1 && p.pairs().is_empty(),
        last_id,
        total,
        rows: result.alerts.iter().map(|a| AlertRow::new(a, t)).collect(),
        pager: Pager::new(page_no, u64::from(PER_PAGE), total, MAX_ALERT_PAGE, |n| {
            format!("/?page={n}{keep}")
        }),
        f: QueueFilters {
            severity: p.severity.clone(),
            status: p.status.clone(),
            rule_id: p.rule_id.clone(),
            host: p.host.clone(),
            organization: p.organization.clone(),
            user: p.user.clone(),
            sort: p.sort.clone(),
        },
    };
    html(StatusCode::OK, &page).or_page(lang)
}

async fn alert_page(
    State(s): State<Shared>,
    lang: Lang,
    PageUser(session): PageUser,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    let alert = crate::api::visible_alert(&s, &session.principal, id)
        .await
        .or_page(lang)?;
    let t = lang.texts();
    let page = AlertPage {
        page: PageCtx::signed_in(lang, &session.principal.name, &session.csrf),
        assignee: visible(alert.assignee.as_deref().unwrap_or("")),
        act: crate::alert_actions::texts(lang),
        can_write: session.principal.can_write(),
        row: AlertRow::new(&alert, t),
        rule_id: alert.alert.rule_id.clone(),
        tags: alert.alert.tags.join(", "),
        created: display_time(alert.alert.created),
        // serde_json escapes control characters; `visible` catches the
        // bidirectional overrides it leaves as they are.
        event_json: visible(
            &serde_json::to_string_pretty(&alert.alert.event)
                .unwrap_or_else(|_| alert.alert.event.to_string()),
        ),
    };
    html(StatusCode::OK, &page).or_page(lang)
}

// --------------------------------------------------------------- search --

#[derive(Debug, Default, Deserialize)]
struct SearchParams {
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
}

async fn search_page(
    State(s): State<Shared>,
    lang: Lang,
    PageUser(session): PageUser,
    PageQuery(p): PageQuery<SearchParams>,
) -> Result<Response, PageError> {
    let q = p.q.unwrap_or_default();
    let from = p.from.unwrap_or_default();
    let to = p.to.unwrap_or_default();
    let mut page = SearchPage {
        page: PageCtx::signed_in(lang, &session.principal.name, &session.csrf),
        q: q.clone(),
        from: from.clone(),
        to: to.clone(),
        error: None,
        total: 0,
        rows: Vec::new(),
        pager: Pager::default(),
    };
    let t = lang.texts();
    let outcome = async {
        let page_no = check_page(p.page, MAX_EVENT_PAGE)?;
        let bound = |name: &str, v: &str| {
            if v.trim().is_empty() {
                return Ok(None);
            }
            parse_page_time(v)
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("{name}: {}", t.time_hint)))
        };
        let (f, to_t) = (bound(t.from, &from)?, bound(t.to, &to)?);
        let mut query = event_query(
            Some(q.clone()),
            f,
            to_t,
            PER_PAGE,
            (page_no - 1) * u64::from(PER_PAGE),
        )?;
        query.orgs = session.principal.scope.orgs().map(<[String]>::to_vec);
        Ok::<_, ApiError>((page_no, run_search(&s, query).await?))
    }
    .await;
    let status = match outcome {
        Ok((page_no, result)) => {
            page.total = result.total;
            page.rows = result.events.iter().map(EventRow::new).collect();
            let base = format!(
                "/search?q={}&from={}&to={}",
                url_encode(&q),
                url_encode(&from),
                url_encode(&to)
            );
            page.pager = Pager::new(
                page_no,
                u64::from(PER_PAGE),
                result.total,
                MAX_EVENT_PAGE,
                |n| format!("{base}&page={n}"),
            );
            StatusCode::OK
        }
        Err(ApiError::BadRequest(reason)) => {
            page.error = Some(format!("{}: {reason}", t.bad_request));
            StatusCode::BAD_REQUEST
        }
        Err(e) => return Err(PageError(lang, e)),
    };
    html(status, &page).or_page(lang)
}
