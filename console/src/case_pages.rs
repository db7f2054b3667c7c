//! Incident and ticket pages: lists, details, and the status and comment
//! forms. Like every page they need a session; the forms carry the
//! session's CSRF token and answer with a redirect to the detail page.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use time::macros::format_description;
use time::OffsetDateTime;
use vedette_store::{
    Incident, IncidentQuery, Principal, Ticket, TicketQuery, INCIDENT_STATUSES, TICKET_STATUSES,
};

use crate::auth::{self, ClientIp, PageUser};
use crate::i18n::cases::CaseTexts;
use crate::i18n::{Lang, Texts};
use crate::views::{url_encode, visible, AlertRow, PageCtx, Pager, DISPLAY_OFFSET};
use crate::{ApiError, Shared};

/// Rows per page.
const PER_PAGE: u32 = 50;
/// Deepest list page.
const MAX_PAGE_NO: u64 = 10_000;

/// The incident and ticket page routes.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/incidents", get(incidents_page))
        .route("/incidents/{id}", get(incident_page))
        .route("/incidents/{id}/status", post(incident_status_form))
        .route("/incidents/{id}/comments", post(incident_comment_form))
        .route("/incidents/{id}/observables", post(observable_form))
        .route("/incidents/{id}/owner", post(owner_form))
        .route("/incidents/{id}/tasks", post(task_form))
        .route("/incidents/{id}/tasks/{task}", post(task_done_form))
        .route("/incidents/{id}/tickets", post(ticket_form))
        .route("/tickets", get(tickets_page))
        .route("/tickets/{id}", get(ticket_page))
        .route("/tickets/{id}/status", post(ticket_status_form))
        .route("/tickets/{id}/comments", post(ticket_comment_form))
}

/// An error shown as a page.
struct PageErr(Lang, ApiError);

impl IntoResponse for PageErr {
    fn into_response(self) -> Response {
        crate::pages::error_page(self.0, self.1)
    }
}

type PageResult = Result<Response, PageErr>;

trait Or<T> {
    fn or_page(self, lang: Lang) -> Result<T, PageErr>;
}

impl<T, E: Into<ApiError>> Or<T> for Result<T, E> {
    fn or_page(self, lang: Lang) -> Result<T, PageErr> {
        self.map_err(|e| PageErr(lang, e.into()))
    }
}

/// A numeric id from the path; anything else is a 400 page.
struct IdPath(i64);

impl FromRequestParts<Shared> for IdPath {
    type Rejection = PageErr;

    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, PageErr> {
        match Path::<i64>::from_request_parts(parts, s).await {
            Ok(Path(id)) => Ok(IdPath(id)),
            Err(e) => Err(PageErr(
                Lang::from_parts(parts),
                ApiError::bad_request(e.body_text()),
            )),
        }
    }
}

fn render(tpl: &impl Template, lang: Lang) -> PageResult {
    let html = tpl.render().or_page(lang)?;
    Ok((StatusCode::OK, Html(html)).into_response())
}

fn query<T>(q: Result<Query<T>, QueryRejection>, lang: Lang) -> Result<T, PageErr> {
    q.map(|Query(v)| v)
        .map_err(|e| PageErr(lang, ApiError::bad_request(e.body_text())))
}

fn form<T>(f: Result<Form<T>, FormRejection>, lang: Lang) -> Result<T, PageErr> {
    f.map(|Form(v)| v)
        .map_err(|e| PageErr(lang, ApiError::bad_request(e.body_text())))
}

fn page_no(page: Option<u64>, lang: Lang) -> Result<u64, PageErr> {
    match page.unwrap_or(1) {
        p @ 1..=MAX_PAGE_NO => Ok(p),
        _ => Err(PageErr(
            lang,
            ApiError::bad_request(format!("page must be between 1 and {MAX_PAGE_NO}")),
        )),
    }
}

/// A time as `dd/mm/yyyy HH:MM` in Asia/Ho_Chi_Minh.
pub(crate) fn display_minute(t: OffsetDateTime) -> String {
    let fmt = format_description!("[day]/[month]/[year] [hour]:[minute]");
    t.to_offset(DISPLAY_OFFSET)
        .format(&fmt)
        .unwrap_or_else(|_| vedette_model::fmt_time(t))
}

/// The event search that finds an observable: the fields that hold a
/// value of its kind, the value quoted.
pub(crate) fn pivot_query(kind: &str, value: &str) -> String {
    let quoted = format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    let fields: &[&str] = match kind {
        "ip" => &["source.ip", "destination.ip"],
        "domain" => &["url.domain", "dns.question.name", "destination.domain"],
        "url" => &["url.original", "url.full"],
        "hash" => match value.len() {
            32 => &["file.hash.md5", "process.hash.md5"],
            40 => &["file.hash.sha1", "process.hash.sha1"],
            _ => &["file.hash.sha256", "process.hash.sha256"],
        },
        "user" => &["user.name"],
        "host" => &["host.name"],
        _ => &[],
    };
    if fields.is_empty() {
        return quoted;
    }
    fields
        .iter()
        .map(|f| format!("{f}:{quoted}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// An option of a status select.
pub(crate) struct StatusOpt {
    pub(crate) code: &'static str,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

fn options(
    codes: &[&'static str],
    label: impl Fn(&str) -> String,
    current: &str,
) -> Vec<StatusOpt> {
    codes
        .iter()
        .map(|c| StatusOpt {
            code: c,
            label: label(c),
            selected: *c == current,
        })
        .collect()
}

fn page_ctx(lang: Lang, session: &auth::Session) -> PageCtx {
    PageCtx::signed_in(lang, &session.principal.name, &session.csrf)
}

// ------------------------------------------------------------ incidents --

/// A row of the incident list.
pub(crate) struct IncidentRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) severity: &'static str,
    pub(crate) severity_class: &'static str,
    pub(crate) status: String,
    pub(crate) organization: String,
    pub(crate) owner: String,
    pub(crate) alerts: u64,
    pub(crate) updated: String,
}

impl IncidentRow {
    fn new(i: &Incident, t: &Texts) -> Self {
        IncidentRow {
            id: i.id,
            title: visible(&i.title),
            severity: t.severity(i.severity),
            severity_class: i.severity.as_str(),
            status: t.cases.incident_status(&i.status),
            organization: i
                .organization
                .clone()
                .unwrap_or_else(|| t.cases.province_wide.to_string()),
            owner: visible(i.owner.as_deref().unwrap_or("")),
            alerts: i.alert_count,
            updated: display_minute(i.updated),
        }
    }
}

/// `GET /incidents`.
#[derive(Template)]
#[template(path = "incidents.html")]
pub(crate) struct IncidentsPage {
    pub(crate) page: PageCtx,
    pub(crate) c: &'static CaseTexts,
    pub(crate) total: u64,
    pub(crate) rows: Vec<IncidentRow>,
    pub(crate) statuses: Vec<StatusOpt>,
    pub(crate) pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
struct ListParams {
    page: Option<u64>,
    status: Option<String>,
    overdue: Option<String>,
}

impl ListParams {
    fn status(&self, allowed: &[&str], lang: Lang) -> Result<Option<String>, PageErr> {
        match self.status.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) if allowed.contains(&s) => Ok(Some(s.to_string())),
            Some(_) => Err(PageErr(
                lang,
                ApiError::bad_request(format!("status must be one of {}", allowed.join(", "))),
            )),
        }
    }
}

async fn incidents_page(
    State(s): State<Shared>,
    lang: Lang,
    PageUser(session): PageUser,
    q: Result<Query<ListParams>, QueryRejection>,
) -> PageResult {
    let p = query(q, lang)?;
    let n = page_no(p.page, lang)?;
    let status = p.status(INCIDENT_STATUSES, lang)?;
    let q = IncidentQuery {
        limit: PER_PAGE,
        offset: (n - 1) * u64::from(PER_PAGE),
        status: status.clone(),
        organization: None,
        scope: session.principal.scope.clone(),
    };
    let result = s.app.store.list_incidents(&q).await.or_page(lang)?;
    let t = lang.texts();
    let current = status.unwrap_or_default();
    let base = format!("/incidents?status={}", url_encode(&current));
    let page = IncidentsPage {
        page: page_ctx(lang, &session),
        c: t.cases,
        total: result.total,
        rows: result
            .incidents
            .iter()
            .map(|i| IncidentRow::new(i, t))
            .collect(),
        statuses: options(INCIDENT_STATUSES, |c| t.cases.incident_status(c), &current),
        pager: Pager::new(n, u64::from(PER_PAGE), result.total, MAX_PAGE_NO, |n| {
            format!("{base}&page={n}")
        }),
    };
    render(&page, lang)
}

/// An observable with its pivot link.
pub(crate) struct ObservableRow {
    pub(crate) kind: String,
    pub(crate) value: String,
    pub(crate) pivot: String,
}

/// A comment as shown.
pub(crate) struct CommentRow {
    pub(crate) author: String,
    pub(crate) time: String,
    pub(crate) text: String,
}

impl CommentRow {
    fn new(c: &vedette_store::Comment) -> Self {
        CommentRow {
            author: visible(&c.author),
            time: display_minute(c.created),
            text: visible(&c.text),
        }
    }
}

/// A task as shown.
pub(crate) struct TaskRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) done: bool,
}

/// A timeline entry as shown.
pub(crate) struct TimelineRow {
    pub(crate) time: String,
    pub(crate) actor: String,
    pub(crate) kind: String,
    pub(crate) detail: String,
}

/// `GET /incidents/{id}`.
#[derive(Template)]
#[template(path = "incident.html")]
pub(crate) struct IncidentPage {
    pub(crate) page: PageCtx,
    pub(crate) c: &'static CaseTexts,
    pub(crate) row: IncidentRow,
    pub(crate) description: String,
    pub(crate) resolution: String,
    pub(crate) created_by: String,
    pub(crate) created: String,
    pub(crate) alerts: Vec<AlertRow>,
    pub(crate) observables: Vec<ObservableRow>,
    pub(crate) comments: Vec<CommentRow>,
    pub(crate) tasks: Vec<TaskRow>,
    pub(crate) timeline: Vec<TimelineRow>,
    pub(crate) tactics: Vec<String>,
    pub(crate) techniques: Vec<String>,
    pub(crate) statuses: Vec<StatusOpt>,
    pub(crate) can_write: bool,
    /// Texts of the observable and ticket forms.
    pub(crate) f: &'static FormTexts,
    /// Observable kinds offered.
    pub(crate) kinds: &'static [&'static str],
    /// Organizations a ticket can go to (empty: the user may not hand out
    /// tickets).
    pub(crate) ticket_orgs: Vec<String>,
}

/// Texts of the incident page's observable and ticket forms.
#[derive(Debug)]
pub(crate) struct FormTexts {
    pub(crate) add_observable: &'static str,
    pub(crate) owner: &'static str,
    pub(crate) set: &'static str,
    pub(crate) add_task: &'static str,
    pub(crate) mark_done: &'static str,
    pub(crate) reopen: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) value: &'static str,
    pub(crate) new_ticket: &'static str,
    pub(crate) title: &'static str,
    pub(crate) agency: &'static str,
    pub(crate) due_hours: &'static str,
    pub(crate) description: &'static str,
    pub(crate) add: &'static str,
}

const FORMS_EN: FormTexts = FormTexts {
    add_observable: "Add an observable",
    owner: "Owner (user name)",
    set: "Set",
    add_task: "Add a task",
    mark_done: "done",
    reopen: "reopen",
    kind: "Kind",
    value: "Value",
    new_ticket: "Hand a ticket to an agency",
    title: "Title",
    agency: "Agency",
    due_hours: "Due in (hours)",
    description: "What to do",
    add: "Add",
};

const FORMS_VI: FormTexts = FormTexts {
    add_observable: "Thêm dấu hiệu",
    owner: "Người phụ trách (tên đăng nhập)",
    set: "Đặt",
    add_task: "Thêm việc",
    mark_done: "xong",
    reopen: "mở lại",
    kind: "Loại",
    value: "Giá trị",
    new_ticket: "Giao việc cho đơn vị",
    title: "Tiêu đề",
    agency: "Đơn vị",
    due_hours: "Hạn (giờ)",
    description: "Nội dung cần làm",
    add: "Thêm",
};

fn form_texts(lang: Lang) -> &'static FormTexts {
    match lang {
        Lang::En => &FORMS_EN,
        Lang::Vi => &FORMS_VI,
    }
}

async fn incident_page(
    State(s): State<Shared>,
    lang: Lang,
    PageUser(session): PageUser,
    IdPath(id): IdPath,
) -> PageResult {
    let d = crate::cases::incident_detail(&s, &session.principal, id)
        .await
        .or_page(lang)?;
    let t = lang.texts();
    let i = &d.incident;
    let page = IncidentPage {
        page: page_ctx(lang, &session),
        c: t.cases,
        row: IncidentRow::new(i, t),
        description: visible(&i.description),
        resolution: visible(i.resolution.as_deref().unwrap_or("")),
        created_by: visible(&i.created_by),
        created: display_minute(i.created),
        alerts: d.alerts.iter().map(|a| AlertRow::new(a, t)).collect(),
        observables: d
            .observables
            .iter()
            .map(|o| ObservableRow {
                kind: o.kind.clone(),
                value: visible(&o.value),
                pivot: format!("/search?q={}", url_encode(&pivot_query(&o.kind, &o.value))),
            })
            .collect(),
        comments: d.comments.iter().map(CommentRow::new).collect(),
        tasks: d
            .tasks
            .iter()
            .map(|k| TaskRow {
                id: k.id,
                title: visible(&k.title),
                done: k.done,
            })
            .collect(),
        timeline: d
            .timeline
            .iter()
            .map(|e| TimelineRow {
                time: display_minute(e.at),
                actor: visible(&e.actor),
                kind: e.kind.clone(),
                detail: visible(&e.detail),
            })
            .collect(),
        tactics: d.attack.tactics.clone(),
        techniques: d.attack.techniques.clone(),
        statuses: options(INCIDENT_STATUSES, |c| t.cases.incident_status(c), &i.status),
        can_write: session.principal.can_write(),
        f: form_texts(lang),
        kinds: vedette_store::OBSERVABLE_KINDS,
        ticket_orgs: if crate::cases::require_dispatcher(&session.principal).is_ok() {
            s.app
                .store
                .list_orgs(&session.principal.scope)
                .await
                .or_page(lang)?
                .into_iter()
                .map(|o| o.slug)
                .collect()
        } else {
            Vec::new()
        },
    };
    render(&page, lang)
}

/// The observable form of the incident page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ObservableForm {
    csrf: String,
    kind: String,
    value: String,
}

async fn observable_form(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    IdPath(id): IdPath,
    f: Result<Form<ObservableForm>, FormRejection>,
) -> PageResult {
    let f = form(f, lang)?;
    check_csrf(&session, &f.csrf, lang)?;
    let who = &session.principal;
    crate::api::require_write(who).or_page(lang)?;
    let kind = f.kind.trim();
    s.app
        .store
        .add_observable(who, id, kind, &f.value)
        .await
        .or_page(lang)?;
    let value = vedette_store::normalize_observable(kind, &f.value).or_page(lang)?;
    crate::cases::audit(
        &s,
        who,
        ip,
        "incident.observable",
        &format!("incident:{id}"),
        &format!("{kind} {value}"),
    )
    .await
    .or_page(lang)?;
    Ok(back(format!("/incidents/{id}")))
}

/// The owner form of the incident page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OwnerForm {
    csrf: String,
    owner: String,
}

async fn owner_form(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    IdPath(id): IdPath,
    f: Result<Form<OwnerForm>, FormRejection>,
) -> PageResult {
    let f = form(f, lang)?;
    check_csrf(&session, &f.csrf, lang)?;
    let who = &session.principal;
    crate::api::require_write(who).or_page(lang)?;
    let owner = f.owner.trim();
    let owner = (!owner.is_empty()).then_some(owner);
    s.app
        .store
        .set_incident_owner(who, id, owner)
        .await
        .or_page(lang)?;
    crate::cases::audit(
        &s,
        who,
        ip,
        "incident.owner",
        &format!("incident:{id}"),
        owner.unwrap_or("-"),
    )
    .await
    .or_page(lang)?;
    Ok(back(format!("/incidents/{id}")))
}

/// The task form of the incident page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TaskForm {
    csrf: String,
    title: String,
}

async fn task_form(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    IdPath(id): IdPath,
    f: Result<Form<TaskForm>, FormRejection>,
) -> PageResult {
    let f = form(f, lang)?;
    check_csrf(&session, &f.csrf, lang)?;
    let who = &session.principal;
    crate::api::require_write(who).or_page(lang)?;
    let task = s
        .app
        .store
        .add_task(who, id, &f.title)
        .await
        .or_page(lang)?;
    crate::cases::audit(
        &s,
        who,
        ip,
        "incident.task",
        &format!("incident:{id}"),
        &format!("task {task} added"),
    )
    .await
    .or_page(lang)?;
    Ok(back(format!("/incidents/{id}")))
}

/// A task's done box.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TaskDoneForm {
    csrf: String,
    done: String,
}

async fn task_done_form(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    crate::pages::PagePath((id, task)): crate::pages::PagePath<(i64, i64)>,
    f: Result<Form<TaskDoneForm>, FormRejection>,
) -> PageResult {
    let f = form(f, lang)?;
    check_csrf(&session, &f.csrf, lang)?;
    let who = &session.principal;
    crate::api::require_write(who).or_page(lang)?;
    let done = f.done == "1";
    s.app
        .store
        .set_task_done(who, id, task, done)
        .await
        .or_page(lang)?;
    crate::cases::audit(
        &s,
        who,
        ip,
        "incident.task",
        &format!("incident:{id}"),
        &format!("task {task} done={done}"),
    )
    .await
    .or_page(lang)?;
    Ok(back(format!("/incidents/{id}")))
}

/// The ticket form of the incident page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TicketForm {
    csrf: String,
    title: String,
    organization: String,
    due_hours: String,
    description: String,
}

async fn ticket_form(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    IdPath(id): IdPath,
    f: Result<Form<TicketForm>, FormRejection>,
) -> PageResult {
    let f = form(f, lang)?;
    check_csrf(&session, &f.csrf, lang)?;
    let who = &session.principal;
    crate::cases::require_dispatcher(who).or_page(lang)?;
    let hours = match f.due_hours.trim() {
        "" => None,
        h => Some(h.parse::<u32>().map_err(|_| {
            PageErr(
                lang,
                ApiError::bad_request("due: expected a number of hours"),
            )
        })?),
    };
    let new = vedette_store::NewTicket {
        title: f.title,
        description: f.description,
        organization: f.organization.trim().to_string(),
        assignee: None,
        due: None,
        sla_hours: hours,
        incident_id: Some(id),
    };
    let ticket = s.app.store.create_ticket(who, &new).await.or_page(lang)?;
    crate::cases::audit(
        &s,
        who,
        ip,
        "ticket.create",
        &format!("ticket:{ticket}"),
        &format!("to {} from incident {id}", new.organization),
    )
    .await
    .or_page(lang)?;
    Ok(back(format!("/tickets/{ticket}")))
}

/// The status form of the incident page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IncidentStatusForm {
    csrf: String,
    status: String,
    resolution: String,
}

/// The CSRF check of a page form.
fn check_csrf(session: &auth::Session, given: &str, lang: Lang) -> Result<(), PageErr> {
    if auth::tokens_match(&session.csrf, given) {
        Ok(())
    } else {
        Err(PageErr(lang, ApiError::Forbidden))
    }
}

fn back(path: String) -> Response {
    Redirect::to(&path).into_response()
}

async fn incident_status_form(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    IdPath(id): IdPath,
    f: Result<Form<IncidentStatusForm>, FormRejection>,
) -> PageResult {
    let f = form(f, lang)?;
    check_csrf(&session, &f.csrf, lang)?;
    let who: &Principal = &session.principal;
    let resolution = Some(f.resolution.as_str()).filter(|r| !r.trim().is_empty());
    crate::cases::change_incident_status(&s, who, id, &f.status, resolution, ip)
        .await
        .or_page(lang)?;
    Ok(back(format!("/incidents/{id}")))
}

/// A comment form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CommentForm {
    csrf: String,
    text: String,
}

async fn incident_comment_form(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    IdPath(id): IdPath,
    f: Result<Form<CommentForm>, FormRejection>,
) -> PageResult {
    let f = form(f, lang)?;
    check_csrf(&session, &f.csrf, lang)?;
    crate::cases::comment_incident(&s, &session.principal, id, &f.text, ip)
        .await
        .or_page(lang)?;
    Ok(back(format!("/incidents/{id}")))
}

// -------------------------------------------------------------- tickets --

/// A row of the ticket list.
pub(crate) struct TicketRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) organization: String,
    pub(crate) assignee: String,
    pub(crate) due: String,
    pub(crate) status: String,
    pub(crate) overdue: bool,
}

impl TicketRow {
    fn new(k: &Ticket, t: &Texts) -> Self {
        TicketRow {
            id: k.id,
            title: visible(&k.title),
            organization: k.organization.clone(),
            assignee: visible(k.assignee.as_deref().unwrap_or("")),
            due: k.due.map(display_minute).unwrap_or_default(),
            status: t.cases.ticket_status(&k.status),
            overdue: k.overdue,
        }
    }
}

/// `GET /tickets`.
#[derive(Template)]
#[template(path = "tickets.html")]
pub(crate) struct TicketsPage {
    pub(crate) page: PageCtx,
    pub(crate) c: &'static CaseTexts,
    pub(crate) total: u64,
    pub(crate) rows: Vec<TicketRow>,
    pub(crate) statuses: Vec<StatusOpt>,
    pub(crate) overdue_only: bool,
    pub(crate) pager: Pager,
}

async fn tickets_page(
    State(s): State<Shared>,
    lang: Lang,
    PageUser(session): PageUser,
    q: Result<Query<ListParams>, QueryRejection>,
) -> PageResult {
    let p = query(q, lang)?;
    let n = page_no(p.page, lang)?;
    let status = p.status(TICKET_STATUSES, lang)?;
    let overdue = matches!(p.overdue.as_deref(), Some("1" | "true" | "on"));
    let q = TicketQuery {
        limit: PER_PAGE,
        offset: (n - 1) * u64::from(PER_PAGE),
        status: status.clone(),
        organization: None,
        overdue,
        scope: session.principal.scope.clone(),
    };
    let result = s.app.store.list_tickets(&q).await.or_page(lang)?;
    let t = lang.texts();
    let current = status.unwrap_or_default();
    let base = format!(
        "/tickets?status={}&overdue={}",
        url_encode(&current),
        if overdue { "1" } else { "" }
    );
    let page = TicketsPage {
        page: page_ctx(lang, &session),
        c: t.cases,
        total: result.total,
        rows: result
            .tickets
            .iter()
            .map(|k| TicketRow::new(k, t))
            .collect(),
        statuses: options(TICKET_STATUSES, |c| t.cases.ticket_status(c), &current),
        overdue_only: overdue,
        pager: Pager::new(n, u64::from(PER_PAGE), result.total, MAX_PAGE_NO, |n| {
            format!("{base}&page={n}")
        }),
    };
    render(&page, lang)
}

/// `GET /tickets/{id}`.
#[derive(Template)]
#[template(path = "ticket.html")]
pub(crate) struct TicketPage {
    pub(crate) page: PageCtx,
    pub(crate) c: &'static CaseTexts,
    pub(crate) row: TicketRow,
    pub(crate) description: String,
    pub(crate) sla_hours: String,
    pub(crate) incident_id: Option<i64>,
    pub(crate) created_by: String,
    pub(crate) created: String,
    pub(crate) comments: Vec<CommentRow>,
    pub(crate) statuses: Vec<StatusOpt>,
    pub(crate) can_write: bool,
}

async fn ticket_page(
    State(s): State<Shared>,
    lang: Lang,
    PageUser(session): PageUser,
    IdPath(id): IdPath,
) -> PageResult {
    let d = crate::cases::ticket_detail(&s, &session.principal, id)
        .await
        .or_page(lang)?;
    let t = lang.texts();
    let k = &d.ticket;
    // The incident is linked only when the reader may open it.
    let incident_id = match k.incident_id {
        Some(i) => s
            .app
            .store
            .get_incident(i, &session.principal.scope)
            .await
            .or_page(lang)?
            .map(|_| i),
        None => None,
    };
    let page = TicketPage {
        page: page_ctx(lang, &session),
        c: t.cases,
        row: TicketRow::new(k, t),
        description: visible(&k.description),
        sla_hours: k.sla_hours.map(|h| h.to_string()).unwrap_or_default(),
        incident_id,
        created_by: visible(&k.created_by),
        created: display_minute(k.created),
        comments: d.comments.iter().map(CommentRow::new).collect(),
        statuses: options(TICKET_STATUSES, |c| t.cases.ticket_status(c), &k.status),
        can_write: session.principal.can_write(),
    };
    render(&page, lang)
}

/// The status form of the ticket page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TicketStatusForm {
    csrf: String,
    status: String,
}

async fn ticket_status_form(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    IdPath(id): IdPath,
    f: Result<Form<TicketStatusForm>, FormRejection>,
) -> PageResult {
    let f = form(f, lang)?;
    check_csrf(&session, &f.csrf, lang)?;
    crate::cases::change_ticket_status(&s, &session.principal, id, &f.status, ip)
        .await
        .or_page(lang)?;
    Ok(back(format!("/tickets/{id}")))
}

async fn ticket_comment_form(
    State(s): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PageUser(session): PageUser,
    IdPath(id): IdPath,
    f: Result<Form<CommentForm>, FormRejection>,
) -> PageResult {
    let f = form(f, lang)?;
    check_csrf(&session, &f.csrf, lang)?;
    crate::cases::comment_ticket(&s, &session.principal, id, &f.text, ip)
        .await
        .or_page(lang)?;
    Ok(back(format!("/tickets/{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivots() {
        assert_eq!(
            pivot_query("ip", "1.2.3.4"),
            "source.ip:\"1.2.3.4\" OR destination.ip:\"1.2.3.4\""
        );
        assert_eq!(pivot_query("user", "a\"b"), "user.name:\"a\\\"b\"");
        assert_eq!(pivot_query("host", "web1"), "host.name:\"web1\"");
        assert!(pivot_query("hash", &"a".repeat(64)).starts_with("file.hash.sha256:"));
        assert!(pivot_query("hash", &"a".repeat(32)).starts_with("file.hash.md5:"));
    }

    #[test]
    fn minutes() {
        let t = vedette_model::parse_time("2026-11-24T20:05:09Z");
        assert_eq!(t.map(display_minute).as_deref(), Some("25/11/2026 03:05"));
    }
}
