//! The console's error type and how it becomes an HTTP response.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Everything a console request can fail with.
///
/// Client errors (4xx) carry a reason that is safe to show; server errors
/// (5xx) keep their cause for the log and tell the client only
/// `internal error`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No credentials, or credentials that are not valid.
    #[error("authentication required")]
    Unauthorized,

    /// A state-changing request without a valid CSRF token.
    #[error("missing or invalid CSRF token")]
    Forbidden,

    /// The principal's role or organization does not allow the action.
    #[error("not allowed: {0}")]
    Denied(String),

    /// A name that is already taken.
    #[error("{0}")]
    Conflict(String),

    /// A malformed parameter or search query; the text says what is wrong.
    #[error("{0}")]
    BadRequest(String),

    /// The id names nothing.
    #[error("{what} {id} not found")]
    NotFound {
        /// What was looked for: `alert`, `event`, `page`.
        what: &'static str,
        /// The id or path asked for.
        id: String,
    },

    /// A method the route does not support.
    #[error("method not allowed")]
    MethodNotAllowed,

    /// Too many failed logins; try again after `retry_after`.
    #[error("too many failed login attempts; try again later")]
    TooManyRequests {
        /// How long until attempts are accepted again.
        retry_after: Duration,
    },

    /// The store failed.
    #[error("store: {0}")]
    Store(vedette_store::StoreError),

    /// The event index failed (not because of the query).
    #[error("search: {0}")]
    Search(#[source] vedette_search::SearchError),

    /// A page template failed to render.
    #[error("template: {0}")]
    Render(#[from] askama::Error),

    /// A blocking task panicked or was cancelled.
    #[error("background task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl From<vedette_store::StoreError> for ApiError {
    /// Refusals of the input (invalid value, name taken, unknown record)
    /// are client errors with their reason; the rest is a server error.
    fn from(e: vedette_store::StoreError) -> Self {
        use vedette_store::StoreError as E;
        match e {
            E::Invalid { .. } | E::UnknownRole { .. } => ApiError::BadRequest(e.to_string()),
            E::Conflict { .. } => ApiError::Conflict(e.to_string()),
            E::NotFound { what, id } => ApiError::not_found(what, id),
            other => ApiError::Store(other),
        }
    }
}

impl From<vedette_search::SearchError> for ApiError {
    fn from(e: vedette_search::SearchError) -> Self {
        if e.is_user_error() {
            ApiError::BadRequest(e.to_string())
        } else {
            ApiError::Search(e)
        }
    }
}

impl ApiError {
    /// A 400 with a reason.
    pub fn bad_request(reason: impl Into<String>) -> Self {
        ApiError::BadRequest(reason.into())
    }

    /// A 403 saying what the principal may not do.
    pub fn denied(reason: impl Into<String>) -> Self {
        ApiError::Denied(reason.into())
    }

    /// A 404 for `what` `id`.
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        ApiError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::Denied(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Store(_) | ApiError::Search(_) | ApiError::Render(_) | ApiError::Task(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// What the client is told: the reason for client errors, `internal
    /// error` for server errors.
    pub fn public_message(&self) -> String {
        if self.status().is_server_error() {
            "internal error".to_string()
        } else {
            self.to_string()
        }
    }

    /// Logs server errors (their cause stays on this side).
    pub(crate) fn log(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
    }

    /// Headers that go with the status: `WWW-Authenticate` on 401,
    /// `Retry-After` on 429.
    pub(crate) fn add_headers(&self, res: &mut Response) {
        match self {
            ApiError::Unauthorized => {
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests { retry_after } => {
                let secs = retry_after.as_secs().max(1);
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let body = serde_json::json!({ "error": self.public_message() });
        let mut res = (self.status(), Json(body)).into_response();
        self.add_headers(&mut res);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_hide_the_cause() {
        let e = ApiError::Store(vedette_store::StoreError::UnsupportedUrl {
            scheme: "secret-detail".into(),
        });
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.public_message(), "internal error");
        let e = ApiError::bad_request("limit must be between 1 and 1000");
        assert_eq!(e.public_message(), "limit must be between 1 and 1000");
        assert_eq!(
            ApiError::not_found("alert", 7).to_string(),
            "alert 7 not found"
        );
    }

    #[test]
    fn unauthorized_carries_challenge() {
        let res = ApiError::Unauthorized.into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let res = ApiError::TooManyRequests {
            retry_after: Duration::from_secs(90),
        }
        .into_response();
        assert_eq!(res.headers()[header::RETRY_AFTER], "90");
    }
}
