//! The Vedette web console and JSON API.
//!
//! [`app`] builds an axum [`Router`] from an [`AppState`]: the store (alerts,
//! users, sessions, tokens), an event searcher, and a source of Prometheus
//! metrics. Serve it with connection info so login throttling sees client
//! addresses:
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use std::sync::Arc;
//! use vedette_console::{app, AppState, ConsoleConfig, MetricsSource};
//!
//! struct NoMetrics;
//! impl MetricsSource for NoMetrics {
//!     fn render(&self, _out: &mut String) {}
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = vedette_store::Store::open("sqlite:///var/lib/vedette/vedette.db").await?;
//! let index = vedette_search::EventIndex::open("/var/lib/vedette/index".as_ref())?;
//! let state = AppState {
//!     store,
//!     search: index.searcher(),
//!     metrics: Arc::new(NoMetrics),
//!     rules: Arc::new(vedette_console::StaticCatalog::default()),
//!     config: ConsoleConfig { secure_cookies: true },
//! };
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(
//!     listener,
//!     app(state).into_make_service_with_connect_info::<SocketAddr>(),
//! )
//! .await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Routes
//!
//! * `GET /healthz`: liveness, no authentication.
//! * `GET /api/openapi.json`: the OpenAPI 3 document of the JSON API.
//! * `GET /metrics`: Prometheus text; a bearer token or a session.
//! * `/api/v1/*`: JSON API (`alerts`, `alerts/{id}`, `events`,
//!   `events/{id}`, `me`); a bearer token or a session. Errors are JSON
//!   `{"error": "..."}`.
//! * Pages: `/login`, `/logout`, `/` (recent alerts), `/search` (events),
//!   `/alerts/{id}`; a session, else a redirect to `/login`. Every form
//!   carries a CSRF token.
//!
//! Every response carries a strict Content-Security-Policy and the usual
//! hardening headers; pages and API answers are `Cache-Control: no-store`.
#![deny(missing_docs)]

mod admin;
mod alert_actions;
mod api;
mod auth;
mod case_pages;
mod cases;
mod dashboard;
mod error;
pub mod i18n;
mod live;
pub mod openapi;
mod pages;
mod rules;
mod throttle;
mod triage;
mod views;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, OriginalUri, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use rules::{RuleCatalog, RuleEntry, StaticCatalog};
pub use throttle::{LoginThrottle, ThrottleConfig};

use auth::Authenticated;
use i18n::Lang;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "vedette_session";

/// Something that can write Prometheus text-format metrics (the binary's
/// collector and pipeline counters).
pub trait MetricsSource: Send + Sync {
    /// Appends metrics in the Prometheus text exposition format (0.0.4).
    fn render(&self, out: &mut String);

    /// Frames received per sending device since start, busiest first (for
    /// the dashboard; province-wide users only). None by default.
    fn sources(&self) -> Vec<SourceCount> {
        Vec::new()
    }
}

/// What one sending device delivered since the node started.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceCount {
    /// The sender (an address, or `other` past the tracking cap).
    pub source: String,
    /// Frames received.
    pub frames: u64,
    /// When it last sent something.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: time::OffsetDateTime,
}

/// Console settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// Mark cookies `Secure` (set when the console is served over HTTPS,
    /// directly or behind a TLS-terminating proxy).
    pub secure_cookies: bool,
}

/// What the console needs: the store, the event searcher, metrics and
/// settings.
#[derive(Clone)]
pub struct AppState {
    /// Alerts, users, sessions and API tokens.
    pub store: vedette_store::Store,
    /// Event search.
    pub search: vedette_search::EventSearcher,
    /// Metrics of the rest of the process, served on `/metrics`.
    pub metrics: Arc<dyn MetricsSource>,
    /// The loaded rules, and the switch that turns one off in the pipeline.
    pub rules: Arc<dyn RuleCatalog>,
    /// Settings.
    pub config: ConsoleConfig,
}

/// Counters the console itself keeps.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) login_success: AtomicU64,
    pub(crate) login_failure: AtomicU64,
    pub(crate) login_throttled: AtomicU64,
}

impl Counters {
    fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        out.push_str("# HELP vedette_console_logins_total Console login attempts by outcome.\n");
        out.push_str("# TYPE vedette_console_logins_total counter\n");
        for (outcome, c) in [
            ("success", &self.login_success),
            ("failure", &self.login_failure),
            ("throttled", &self.login_throttled),
        ] {
            let _ = writeln!(
                out,
                "vedette_console_logins_total{{outcome=\"{outcome}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
    }
}

/// The router's state: what the caller gave plus what the console keeps.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) app: AppState,
    pub(crate) throttle: Arc<LoginThrottle>,
    pub(crate) counters: Arc<Counters>,
}

/// Largest request body accepted (forms and, later, JSON bodies).
const MAX_BODY: usize = 64 * 1024;

/// Longest time a request may take before it is answered 503.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The console: pages, JSON API, `/metrics` and `/healthz`.
pub fn app(state: AppState) -> Router {
    app_with_throttle(state, ThrottleConfig::default())
}

/// [`app`] with explicit login-throttling limits.
pub fn app_with_throttle(state: AppState, throttle: ThrottleConfig) -> Router {
    let shared = Shared {
        app: state,
        throttle: Arc::new(LoginThrottle::new(throttle)),
        counters: Arc::new(Counters::default()),
    };
    Router::new()
        .merge(ops_routes())
        .nest("/api/v1", api::routes())
        .merge(pages::routes())
        .fallback(fallback_not_found)
        .method_not_allowed_fallback(fallback_method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        // Outermost, so that timeouts and rejections get the headers too.
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            common_headers,
        ))
        .with_state(shared)
}

/// `/healthz`, `/metrics` and the stylesheet.
fn ops_routes() -> Router<Shared> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi))
        .route("/metrics", get(metrics))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The OpenAPI document: public, like any API reference.
async fn openapi() -> Json<serde_json::Value> {
    Json(openapi::document())
}

async fn metrics(who: Authenticated, State(s): State<Shared>) -> Response {
    // Per-source counters name every agency's devices: province-wide only.
    if who.principal.scope != vedette_store::Scope::All {
        return ApiError::denied("metrics are for province-wide users").into_response();
    }
    let mut out = String::new();
    s.app.metrics.render(&mut out);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    s.counters.render(&mut out);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        out,
    )
        .into_response()
}

const STYLESHEET: &str = include_str!("../static/app.css");
const SCRIPT: &str = include_str!("../static/app.js");

/// The pages' one script (live alerts on the queue); same origin, so the
/// CSP's `default-src 'self'` admits it, and no inline script is needed.
async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        SCRIPT,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Whether a path is answered in JSON rather than HTML.
fn is_machine_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/metrics" || path == "/healthz"
}

async fn fallback_not_found(OriginalUri(uri): OriginalUri, lang: Lang) -> Response {
    let err = ApiError::not_found("page", uri.path());
    if is_machine_path(uri.path()) {
        err.into_response()
    } else {
        pages::error_page(lang, err)
    }
}

async fn fallback_method_not_allowed(OriginalUri(uri): OriginalUri, lang: Lang) -> Response {
    if is_machine_path(uri.path()) {
        ApiError::MethodNotAllowed.into_response()
    } else {
        pages::error_page(lang, ApiError::MethodNotAllowed)
    }
}

const CSP: &str = "default-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to every response, and remembers a language
/// chosen with `?lang=` in a cookie.
async fn common_headers(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let chosen = auth::query_param(req.uri().query(), "lang").and_then(Lang::from_tag);
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(lang) = chosen {
        let cookie = auth::cookie_header(
            auth::LANG_COOKIE,
            lang.code(),
            Some(365 * 24 * 3600),
            s.app.config.secure_cookies,
        );
        h.append(header::SET_COOKIE, cookie);
    }
    res
}
