//! The overview: events in the last hour, alerts by severity over the last
//! day (a stacked bar chart drawn as inline SVG, no script), top rules and
//! hosts, open incidents by status and age, and each agency's posture; all
//! within the viewer's organizations. `GET /dashboard` (page) and `GET
//! /api/v1/dashboard` (JSON).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use time::OffsetDateTime;
use vedette_search::EventQuery;
use vedette_store::{Dashboard, Principal, DASHBOARD_HOURS};

use crate::api::run_search;
use crate::auth::{Authenticated, PageUser};
use crate::i18n::Lang;
use crate::pages::{html, OrPage, PageError};
use crate::views::{visible, PageCtx, DISPLAY_OFFSET};
use crate::{ApiError, Shared};

/// The API route (nested under `/api/v1`).
pub(crate) fn api_routes() -> Router<Shared> {
    Router::new().route("/dashboard", get(api_dashboard))
}

/// The page route.
pub(crate) fn page_routes() -> Router<Shared> {
    Router::new().route("/dashboard", get(page))
}

/// Events indexed in the last hour, in scope.
async fn events_last_hour(s: &Shared, who: &Principal) -> Result<u64, ApiError> {
    let now = OffsetDateTime::now_utc();
    let q = EventQuery {
        text: None,
        from: Some(now - time::Duration::hours(1)),
        to: None,
        limit: 0,
        offset: 0,
        orgs: who.scope.orgs().map(<[String]>::to_vec),
    };
    Ok(run_search(s, q).await?.total)
}

async fn api_dashboard(
    who: Authenticated,
    State(s): State<Shared>,
) -> Result<Json<Value>, ApiError> {
    let d = s.app.store.dashboard(&who.principal.scope).await?;
    let events = events_last_hour(&s, &who.principal).await?;
    // Per-device counters name every agency's devices: province-wide only.
    let sources = if who.principal.scope == vedette_store::Scope::All {
        s.app.metrics.sources()
    } else {
        Vec::new()
    };
    Ok(Json(json!({
        "sources": sources,
        "events_last_hour": events,
        "events_per_second": events as f64 / 3600.0,
        "hours": DASHBOARD_HOURS,
        "dashboard": d,
    })))
}

/// One stacked bar segment.
pub(crate) struct Bar {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) height: u32,
    pub(crate) class: &'static str,
    pub(crate) title: String,
}

/// A row of a ranked list, with a bar width in percent.
pub(crate) struct Ranked {
    pub(crate) label: String,
    pub(crate) n: u64,
    pub(crate) width: u32,
}

/// One agency's row.
pub(crate) struct PostureRow {
    pub(crate) org: String,
    pub(crate) critical: u64,
    pub(crate) high: u64,
    pub(crate) medium: u64,
    pub(crate) low: u64,
    pub(crate) incidents: u64,
}

/// `GET /dashboard`.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub(crate) struct DashboardPage {
    pub(crate) page: PageCtx,
    pub(crate) events_last_hour: u64,
    pub(crate) eps: String,
    pub(crate) alerts_day: u64,
    pub(crate) bars: Vec<Bar>,
    pub(crate) chart_height: u32,
    pub(crate) max_label: u64,
    pub(crate) first_hour: String,
    pub(crate) top_rules: Vec<Ranked>,
    pub(crate) top_hosts: Vec<Ranked>,
    pub(crate) incidents: Vec<(String, u64, u64)>,
    pub(crate) posture: Vec<PostureRow>,
    pub(crate) sources: Vec<(String, u64, String)>,
    pub(crate) vi: bool,
}

const LEVELS: [&str; 5] = ["informational", "low", "medium", "high", "critical"];
const CHART_H: u32 = 160;
const BAR_W: u32 = 24;

fn ranked(items: &[vedette_store::Count]) -> Vec<Ranked> {
    let max = items.iter().map(|c| c.n).max().unwrap_or(1).max(1);
    items
        .iter()
        .map(|c| Ranked {
            label: visible(&c.label),
            n: c.n,
            width: u32::try_from(c.n * 100 / max).unwrap_or(100),
        })
        .collect()
}

fn bars(d: &Dashboard) -> (Vec<Bar>, u64) {
    let max = d
        .alerts_by_hour
        .iter()
        .map(|h| h.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut out = Vec::new();
    for (i, hour) in d.alerts_by_hour.iter().enumerate() {
        let mut top = CHART_H;
        for (level, &count) in hour.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let h = u32::try_from(count * u64::from(CHART_H) / max)
                .unwrap_or(CHART_H)
                .max(1);
            top = top.saturating_sub(h);
            out.push(Bar {
                x: u32::try_from(i).unwrap_or(0) * (BAR_W + 4),
                y: top,
                height: h,
                class: LEVELS[level],
                title: format!("{count} {}", LEVELS[level]),
            });
        }
    }
    (out, max)
}

async fn page(
    State(s): State<Shared>,
    lang: Lang,
    PageUser(session): PageUser,
) -> Result<Response, PageError> {
    let who = &session.principal;
    let d = s.app.store.dashboard(&who.scope).await.or_page(lang)?;
    let events = events_last_hour(&s, who).await.or_page(lang)?;
    let (bars, max) = bars(&d);
    let first = OffsetDateTime::now_utc().to_offset(DISPLAY_OFFSET)
        - time::Duration::hours(DASHBOARD_HOURS);
    let page = DashboardPage {
        page: PageCtx::signed_in(lang, &who.name, &session.csrf),
        events_last_hour: events,
        eps: format!("{:.2}", events as f64 / 3600.0),
        alerts_day: d.alerts_by_hour.iter().flatten().sum(),
        bars,
        chart_height: CHART_H,
        max_label: max,
        first_hour: format!("{:02}:00", first.hour()),
        top_rules: ranked(&d.top_rules),
        top_hosts: ranked(&d.top_hosts),
        incidents: d
            .incidents
            .iter()
            .map(|i| (i.status.clone(), i.n, i.oldest_hours))
            .collect(),
        posture: d
            .posture
            .iter()
            .map(|p| PostureRow {
                org: p.org.clone().unwrap_or_else(|| "-".into()),
                critical: p.open[4],
                high: p.open[3],
                medium: p.open[2],
                low: p.open[1],
                incidents: p.incidents,
            })
            .collect(),
        vi: lang == Lang::Vi,
        sources: if who.scope == vedette_store::Scope::All {
            s.app
                .metrics
                .sources()
                .into_iter()
                .map(|c| {
                    (
                        visible(&c.source),
                        c.frames,
                        crate::views::display_time(c.last_seen),
                    )
                })
                .collect()
        } else {
            Vec::new()
        },
    };
    html(StatusCode::OK, &page).or_page(lang)
}
