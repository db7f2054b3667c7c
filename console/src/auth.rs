//! Who is asking: bearer tokens, session cookies, CSRF tokens, and the
//! small request helpers (cookies, query parameters, client address) they
//! rely on.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Redirect, Response};
use subtle::ConstantTimeEq;
use vedette_store::Principal;

use crate::i18n::Lang;
use crate::{ApiError, Shared, SESSION_COOKIE};

/// Cookie holding the pre-session CSRF token of the login form.
pub(crate) const LOGIN_CSRF_COOKIE: &str = "vedette_login_csrf";

/// Cookie remembering the chosen language.
pub(crate) const LANG_COOKIE: &str = "vedette_lang";

/// Header carrying the session's CSRF token on state-changing API calls
/// made with a session cookie.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// Credentials longer than this are refused without asking the store.
const MAX_CREDENTIAL_LEN: usize = 512;

/// A fresh random token (256 bits, hex).
pub(crate) fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Whether a submitted CSRF token matches the expected one, in constant
/// time. An empty expected token never matches.
pub(crate) fn tokens_match(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// A cookie's value from the request (the first one with that name).
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, `Secure` when
/// asked. `max_age` of `Some(0)` deletes the cookie; `None` makes it last
/// for the browser session.
pub(crate) fn cookie_header(
    name: &str,
    value: &str,
    max_age: Option<u64>,
    secure: bool,
) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        s.push_str("; Secure");
    }
    // Names and values are ours (fixed names, hex or store tokens); an
    // unexpected byte yields an expired cookie rather than a panic.
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// A query parameter's raw value (for short ASCII values such as `lang`;
/// not percent-decoded).
pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The bearer token of an `Authorization` header, if the header is there:
/// `Some(Err(()))` for a header that is not a usable bearer token.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let parsed = v.to_str().ok().and_then(|v| {
        let (scheme, token) = v.trim().split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer")
            && !token.is_empty()
            && token.len() <= MAX_CREDENTIAL_LEN)
            .then_some(token)
    });
    Some(parsed.ok_or(()))
}

/// A session found from the request's cookie.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) principal: Principal,
    pub(crate) csrf: String,
}

/// Looks up the session named by the request's session cookie.
pub(crate) async fn session_from_headers(
    s: &Shared,
    headers: &HeaderMap,
) -> Result<Option<Session>, ApiError> {
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if id.is_empty() || id.len() > MAX_CREDENTIAL_LEN {
        return Ok(None);
    }
    Ok(s.app
        .store
        .get_session(id)
        .await?
        .map(|(principal, csrf)| Session {
            id: id.to_string(),
            principal,
            csrf,
        }))
}

/// The session a request's cookie names, looked up once per request: the
/// language, page and API extractors all ask for it.
#[derive(Clone)]
struct CachedSession(Option<Session>);

/// [`session_from_headers`], remembered in the request's extensions.
pub(crate) async fn request_session(
    s: &Shared,
    parts: &mut Parts,
) -> Result<Option<Session>, ApiError> {
    if let Some(CachedSession(c)) = parts.extensions.get::<CachedSession>() {
        return Ok(c.clone());
    }
    let found = session_from_headers(s, &parts.headers).await?;
    parts.extensions.insert(CachedSession(found.clone()));
    Ok(found)
}

/// An authenticated API caller: a bearer token, else a session cookie.
///
/// A request that has an `Authorization` header is judged by it alone. A
/// state-changing request authenticated by cookie must also carry the
/// session's CSRF token in `X-CSRF-Token`.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated {
    pub(crate) principal: Principal,
}

impl FromRequestParts<Shared> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, ApiError> {
        match bearer(&parts.headers) {
            Some(Ok(token)) => {
                return match s.app.store.verify_token(token).await? {
                    Some(principal) => Ok(Authenticated { principal }),
                    None => Err(ApiError::Unauthorized),
                };
            }
            Some(Err(())) => return Err(ApiError::Unauthorized),
            None => {}
        }
        let session = request_session(s, parts)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if !is_safe_method(&parts.method) {
            let given = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !tokens_match(&session.csrf, given) {
                return Err(ApiError::Forbidden);
            }
        }
        Ok(Authenticated {
            principal: session.principal,
        })
    }
}

fn is_safe_method(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A signed-in page user. Without a valid session the request is
/// redirected (303) to `/login`.
#[derive(Debug, Clone)]
pub(crate) struct PageUser(pub(crate) Session);

impl FromRequestParts<Shared> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, Response> {
        match request_session(s, parts).await {
            Ok(Some(session)) => Ok(PageUser(session)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => {
                let lang = Lang::from_parts(parts);
                Err(crate::pages::error_page(lang, e))
            }
        }
    }
}

/// The client's address, when the server was started with connection info.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub(crate) Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

impl Lang {
    /// The language for a request: `?lang=`, the language cookie,
    /// `Accept-Language`, English.
    pub(crate) fn from_parts(parts: &Parts) -> Lang {
        Lang::negotiate(
            query_param(parts.uri.query(), "lang"),
            cookie(&parts.headers, LANG_COOKIE),
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    }
}

/// A page's language: `?lang=` (remembered for a signed-in user, so the
/// choice follows them to any browser), else the signed-in user's choice,
/// else the language cookie, then `Accept-Language`, then English.
impl FromRequestParts<Shared> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, Self::Rejection> {
        let asked = query_param(parts.uri.query(), "lang").and_then(Lang::from_tag);
        if let Ok(Some(session)) = request_session(s, parts).await {
            let p = &session.principal;
            if let Some(l) = asked {
                if p.lang.as_deref() != Some(l.code()) {
                    if let Err(e) = s.app.store.set_user_lang(p.id, Some(l.code())).await {
                        tracing::warn!(error = %e, "could not remember the language");
                    }
                }
                return Ok(l);
            }
            if let Some(l) = p.lang.as_deref().and_then(Lang::from_tag) {
                return Ok(l);
            }
        }
        Ok(Lang::from_parts(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; vedette_session=abc"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&h, "vedette_session"), Some("abc"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "session"), None);
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert!(bearer(&h).is_none());
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&h), Some(Ok("abc")));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  abc "),
        );
        assert_eq!(bearer(&h), Some(Ok("abc")));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YTpi"),
        );
        assert_eq!(bearer(&h), Some(Err(())));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer"));
        assert_eq!(bearer(&h), Some(Err(())));
    }

    #[test]
    fn csrf_compare() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("", ""));
        assert_eq!(random_token().len(), 64);
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn query_params() {
        assert_eq!(query_param(Some("q=x&lang=vi"), "lang"), Some("vi"));
        assert_eq!(query_param(Some("lang"), "lang"), None);
        assert_eq!(query_param(None, "lang"), None);
    }
}
