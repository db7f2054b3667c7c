//! New alerts as they are stored, pushed to the queue page with
//! server-sent events: `GET /api/v1/alerts/stream?after=ID` (or the
//! `Last-Event-ID` header a reconnecting browser sends). Each event is one
//! alert (`event: alert`, `id:` its id, `data:` its row as JSON), limited to
//! the caller's organizations. The store is polled every two seconds, so
//! alerts written by any process (an import, another node on PostgreSQL)
//! are seen.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use serde_json::json;
use vedette_store::{Principal, Scope};

use crate::api::ApiQuery;
use crate::auth::Authenticated;
use crate::views::{display_time, visible};
use crate::{ApiError, Shared};

/// How often the store is asked for new alerts.
const POLL: Duration = Duration::from_secs(2);
/// The most alerts sent per poll (the page shows the newest anyway).
const PER_POLL: u32 = 200;

/// The stream route (nested under `/api/v1`).
pub(crate) fn routes() -> Router<Shared> {
    Router::new().route("/alerts/stream", get(stream_alerts))
}

#[derive(Debug, Default, Deserialize)]
struct StreamParams {
    after: Option<i64>,
}

struct Cursor {
    s: Shared,
    scope: Scope,
    after: i64,
    pending: std::collections::VecDeque<SseEvent>,
    first: bool,
}

async fn stream_alerts(
    who: Authenticated,
    State(s): State<Shared>,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<StreamParams>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let Principal { scope, .. } = who.principal;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let after = match resume.or(p.after) {
        Some(a) if a >= 0 => a,
        Some(_) => return Err(ApiError::bad_request("after must not be negative")),
        None => s.app.store.last_alert_id().await?,
    };
    let cursor = Cursor {
        s,
        scope,
        after,
        pending: Default::default(),
        first: true,
    };
    let events = stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(e) = c.pending.pop_front() {
                return Some((Ok(e), c));
            }
            if !c.first {
                tokio::time::sleep(POLL).await;
            }
            c.first = false;
            match c
                .s
                .app
                .store
                .alerts_after(c.after, &c.scope, PER_POLL)
                .await
            {
                Ok(alerts) => {
                    for a in alerts {
                        c.after = c.after.max(a.id);
                        let row = json!({
                            "id": a.id,
                            "time": display_time(a.alert.event_time),
                            "severity": a.alert.severity.as_str(),
                            "title": visible(&a.alert.rule_title),
                            "host": visible(a.alert.host.as_deref().unwrap_or_default()),
                            "status": a.status,
                        });
                        c.pending.push_back(
                            SseEvent::default()
                                .event("alert")
                                .id(a.id.to_string())
                                .data(row.to_string()),
                        );
                    }
                }
                Err(e) => {
                    // The browser reconnects with Last-Event-ID.
                    tracing::warn!(error = %e, "alert stream: store query failed");
                    return None;
                }
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
