//! The console driven through its router: a real SQLite store and a real
//! event index in a temporary directory.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use time::macros::datetime;
use time::OffsetDateTime;
use tower::ServiceExt;
use vedette_console::{app, AppState, ConsoleConfig, MetricsSource};
use vedette_model::{Event, NewAlert, Origin, Severity};
use vedette_search::EventIndex;
use vedette_store::{Role, Store};

const PASSWORD: &str = "correct horse battery";

struct TestMetrics;

impl MetricsSource for TestMetrics {
    fn render(&self, out: &mut String) {
        out.push_str("# TYPE vedette_events_total counter\nvedette_events_total 3\n");
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    app: Router,
    token: String,
    alert_ids: Vec<i64>,
}

fn event(seq: u64, at: OffsetDateTime, host: &str, msg: &str) -> Event {
    let peer = "192.0.2.10:514".parse().ok();
    let mut ev = Event::raw(seq, at, Origin::new("syslog-udp", peer), msg.as_bytes());
    ev.set("host.name", host);
    ev
}

fn alert(seq: u64, title: &str, severity: Severity, at: OffsetDateTime, ev: &Event) -> NewAlert {
    NewAlert {
        rule_id: format!("rule-{seq}"),
        rule_title: title.to_string(),
        severity,
        tags: vec!["attack.t1110".into()],
        event_seq: seq,
        event_time: at,
        created: at,
        host: ev.get_str("host.name").map(str::to_string),
        event: ev.to_json(),
        correlation: None,
    }
}

async fn fixture_with(config: ConsoleConfig) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/vedette.db", dir.path().display());
    let store = Store::open(&url).await.expect("store");
    store
        .create_user("alice", PASSWORD, Role::Analyst)
        .await
        .expect("user");
    let token = store
        .create_token("ci", Role::Analyst)
        .await
        .expect("token");

    let index = EventIndex::open(&dir.path().join("index")).expect("index");
    let t1 = datetime!(2026-11-25 01:00 UTC);
    let t2 = datetime!(2026-11-25 02:00 UTC);
    let t3 = datetime!(2026-11-25 03:00 UTC);
    let mut e1 = event(1, t1, "web01", "Failed password for root from 10.0.0.5");
    e1.set("source.ip", "10.0.0.5");
    e1.set("user.name", "root");
    let e2 = event(2, t2, "web02", "GET /<script>alert(1)</script> HTTP/1.1");
    let mut e3 = event(3, t3, "db01", "\u{1}garbled");
    e3.error = Some("no parser <b>matched</b>".into());
    {
        let mut w = index.writer(32 << 20).expect("writer");
        for e in [&e1, &e2, &e3] {
            w.add(e).expect("add");
        }
        w.commit(3).expect("commit");
    }
    let search = index.searcher();
    search.reload().expect("reload");

    store
        .insert_alerts(&[
            alert(1, "SSH brute force", Severity::High, t1, &e1),
            alert(2, "XSS <script>probe</script>", Severity::Low, t2, &e2),
        ])
        .await
        .expect("alerts");
    let page = store
        .list_alerts(&vedette_store::AlertQuery::default())
        .await
        .expect("list");
    let alert_ids = page.alerts.iter().map(|a| a.id).collect();

    let state = AppState {
        store: store.clone(),
        search,
        metrics: Arc::new(TestMetrics),
        rules: Arc::new(vedette_console::StaticCatalog::default()),
        config,
    };
    Fixture {
        _dir: dir,
        store,
        app: app(state),
        token,
        alert_ids,
    }
}

async fn fixture() -> Fixture {
    fixture_with(ConsoleConfig::default()).await
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value a `Set-Cookie` header gives `name`, with its attributes.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    fn cookie_value(&self, name: &str) -> Option<String> {
        let c = self.set_cookie(name)?;
        let v = c.split(';').next()?.split_once('=')?.1;
        Some(v.to_string())
    }

    /// The value of the first hidden `csrf` field.
    fn form_csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("csrf field") + marker.len();
        let len = self.body[start..].find('"').expect("end of value");
        self.body[start..start + len].to_string()
    }
}

async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

fn get_with(uri: &str, name: &'static str, value: &str) -> Request<Body> {
    Request::get(uri)
        .header(name, value)
        .body(Body::empty())
        .expect("request")
}

fn bearer(uri: &str, token: &str) -> Request<Body> {
    get_with(uri, "authorization", &format!("Bearer {token}"))
}

fn post_form(uri: &str, cookie: Option<&str>, form: &str) -> Request<Body> {
    let mut b =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(form.to_string())).expect("request")
}

/// Signs in as alice; returns the session cookie (`name=value`).
async fn sign_in(app: &Router) -> String {
    let page = send(app, get("/login")).await;
    assert_eq!(page.status, StatusCode::OK);
    let login_cookie = page
        .cookie_value("vedette_login_csrf")
        .expect("login csrf cookie");
    assert_eq!(page.form_csrf(), login_cookie);
    let res = send(
        app,
        post_form(
            "/login",
            Some(&format!("vedette_login_csrf={login_cookie}")),
            &format!("username=alice&password=correct+horse+battery&csrf={login_cookie}"),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/");
    let cookie = res.set_cookie("vedette_session").expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    format!(
        "vedette_session={}",
        res.cookie_value("vedette_session").unwrap_or_default()
    )
}

const PROTECTED: &[&str] = &[
    "/api/v1/alerts",
    "/api/v1/alerts/1",
    "/api/v1/events",
    "/api/v1/events/1",
    "/api/v1/me",
    "/metrics",
];

#[tokio::test]
async fn protected_routes_need_credentials() {
    let f = fixture().await;
    for uri in PROTECTED {
        for req in [
            get(uri),
            bearer(uri, "vdt_not-a-real-token"),
            get_with(uri, "authorization", "Basic YWxpY2U6cHc="),
            get_with(uri, "cookie", "vedette_session=forged"),
        ] {
            let r = send(&f.app, req).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
            assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer", "{uri}");
            assert!(r.json()["error"].is_string(), "{uri}");
        }
        let r = send(&f.app, bearer(uri, &f.token)).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
    }
}

#[tokio::test]
async fn healthz_is_open() {
    let f = fixture().await;
    let r = send(&f.app, get("/healthz")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn metrics_in_prometheus_text() {
    let f = fixture().await;
    let r = send(&f.app, bearer("/metrics", &f.token)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/plain; version=0.0.4");
    assert!(r.body.contains("vedette_events_total 3\n"));
    assert!(r
        .body
        .contains("vedette_console_logins_total{outcome=\"failure\"} 0"));
}

#[tokio::test]
async fn events_newest_first_with_paging() {
    let f = fixture().await;
    let r = send(&f.app, bearer("/api/v1/events", &f.token)).await;
    let v = r.json();
    assert_eq!(v["total"], 3);
    let ids: Vec<_> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["event.id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(ids, ["3", "2", "1"]);

    let v = send(&f.app, bearer("/api/v1/events?limit=1&offset=1", &f.token))
        .await
        .json();
    assert_eq!(v["total"], 3);
    assert_eq!(v["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["events"][0]["event.id"], "2");

    let v = send(&f.app, bearer("/api/v1/events?q=user.name:root", &f.token))
        .await
        .json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["events"][0]["source.ip"], "10.0.0.5");

    let uri = "/api/v1/events?from=2026-11-25T08:30:00%2B07:00&to=2026-11-25T02:30:00Z";
    let v = send(&f.app, bearer(uri, &f.token)).await.json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["events"][0]["event.id"], "2");

    let v = send(&f.app, bearer("/api/v1/events/1", &f.token))
        .await
        .json();
    assert_eq!(v["host.name"], "web01");
}

#[tokio::test]
async fn bad_event_requests_are_json_400s() {
    let f = fixture().await;
    for uri in [
        "/api/v1/events?q=user.name:(",
        "/api/v1/events?q=%22unterminated",
        "/api/v1/events?from=yesterday",
        "/api/v1/events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "/api/v1/events?limit=5000",
        "/api/v1/events?limit=-1",
        "/api/v1/events?offset=999999999",
        "/api/v1/events/not-a-number",
    ] {
        let r = send(&f.app, bearer(uri, &f.token)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
        let msg = r.json()["error"].as_str().unwrap_or("").to_string();
        assert!(!msg.is_empty() && msg != "internal error", "{uri}: {msg}");
    }
    let r = send(&f.app, bearer("/api/v1/events/999", &f.token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], "event 999 not found");
}

#[tokio::test]
async fn alerts_list_filter_and_get() {
    let f = fixture().await;
    let v = send(&f.app, bearer("/api/v1/alerts", &f.token))
        .await
        .json();
    assert_eq!(v["total"], 2);
    assert_eq!(v["alerts"][0]["rule_title"], "XSS <script>probe</script>");

    let v = send(&f.app, bearer("/api/v1/alerts?severity=medium", &f.token))
        .await
        .json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["alerts"][0]["rule_title"], "SSH brute force");

    let v = send(
        &f.app,
        bearer("/api/v1/alerts?host=web02&status=new", &f.token),
    )
    .await
    .json();
    assert_eq!(v["total"], 1);
    let v = send(
        &f.app,
        bearer("/api/v1/alerts?rule_id=rule-1&limit=1", &f.token),
    )
    .await
    .json();
    assert_eq!(v["total"], 1);

    let id = f.alert_ids[1];
    let r = send(&f.app, bearer(&format!("/api/v1/alerts/{id}"), &f.token)).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["id"], id);
    assert_eq!(v["severity"], "high");
    assert_eq!(v["event"]["host.name"], "web01");

    let r = send(&f.app, bearer("/api/v1/alerts/424242", &f.token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], "alert 424242 not found");

    for uri in [
        "/api/v1/alerts/abc",
        "/api/v1/alerts?severity=urgent",
        "/api/v1/alerts?limit=0",
        "/api/v1/alerts?offset=x",
    ] {
        let r = send(&f.app, bearer(uri, &f.token)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.json()["error"].is_string(), "{uri}");
    }
}

#[tokio::test]
async fn me_names_the_principal() {
    let f = fixture().await;
    let v = send(&f.app, bearer("/api/v1/me", &f.token)).await.json();
    assert_eq!(
        v,
        serde_json::json!({"name": "ci", "role": "analyst", "kind": "token",
            "organization": null, "lang": null, "scope": null})
    );
    let cookie = sign_in(&f.app).await;
    let v = send(&f.app, get_with("/api/v1/me", "cookie", &cookie))
        .await
        .json();
    assert_eq!(
        v,
        serde_json::json!({"name": "alice", "role": "analyst", "kind": "user",
            "organization": null, "lang": null, "scope": null})
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_under_api() {
    let f = fixture().await;
    let r = send(&f.app, bearer("/api/v1/nothing", &f.token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json()["error"].is_string());
    let req = Request::delete("/api/v1/alerts")
        .header("authorization", format!("Bearer {}", f.token))
        .body(Body::empty())
        .expect("request");
    let r = send(&f.app, req).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.json()["error"].is_string());
    let r = send(&f.app, get("/no/such/page")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("<html"));
}

#[tokio::test]
async fn login_session_and_logout() {
    let f = fixture().await;
    let cookie = sign_in(&f.app).await;

    let r = send(&f.app, get_with("/", "cookie", &cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("SSH brute force"), "{}", r.body);
    assert!(r.body.contains("sev-high"));
    // 2026-11-25 01:00 UTC in Asia/Ho_Chi_Minh.
    assert!(r.body.contains("25/11/2026 08:00:00"));
    assert!(r
        .body
        .contains(&format!("href=\"/alerts/{}\"", f.alert_ids[1])));
    let csrf = r.form_csrf();

    let id = f.alert_ids[1];
    let r = send(
        &f.app,
        get_with(&format!("/alerts/{id}"), "cookie", &cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("rule-1"));
    assert!(
        r.body.contains("&#34;host.name&#34;: &#34;web01&#34;"),
        "{}",
        r.body
    );
    let r = send(&f.app, get_with("/alerts/999999", "cookie", &cookie)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Logged-in users skip the login form.
    let r = send(&f.app, get_with("/login", "cookie", &cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    let r = send(
        &f.app,
        post_form("/logout", Some(&cookie), &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login");
    assert!(r
        .set_cookie("vedette_session")
        .is_some_and(|c| c.contains("Max-Age=0")));
    let r = send(&f.app, get_with("/", "cookie", &cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(&f.app, get_with("/api/v1/me", "cookie", &cookie)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let f = fixture_with(ConsoleConfig {
        secure_cookies: true,
    })
    .await;
    let page = send(&f.app, get("/login")).await;
    assert!(page
        .set_cookie("vedette_login_csrf")
        .is_some_and(|c| c.contains("; Secure")));
    let token = page.form_csrf();
    let r = send(
        &f.app,
        post_form(
            "/login",
            Some(&format!("vedette_login_csrf={token}")),
            &format!("username=alice&password=correct+horse+battery&csrf={token}"),
        ),
    )
    .await;
    assert!(r
        .set_cookie("vedette_session")
        .is_some_and(|c| c.contains("; Secure")));
}

#[tokio::test]
async fn login_needs_the_csrf_cookie_and_field() {
    let f = fixture().await;
    let token = send(&f.app, get("/login")).await.form_csrf();
    let cookie = format!("vedette_login_csrf={token}");
    let creds = "username=alice&password=correct+horse+battery";
    for (cookie, form) in [
        (None, format!("{creds}&csrf={token}")),
        (Some(cookie.as_str()), creds.to_string()),
        (Some(cookie.as_str()), format!("{creds}&csrf=")),
        (
            Some(cookie.as_str()),
            format!("{creds}&csrf={}", "0".repeat(64)),
        ),
        (Some("vedette_login_csrf="), format!("{creds}&csrf=")),
    ] {
        let r = send(&f.app, post_form("/login", cookie, &form)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{cookie:?} {form}");
        assert!(r.set_cookie("vedette_session").is_none());
    }
}

#[tokio::test]
async fn wrong_password_rerenders_with_401() {
    let f = fixture().await;
    let token = send(&f.app, get("/login")).await.form_csrf();
    let r = send(
        &f.app,
        post_form(
            "/login",
            Some(&format!("vedette_login_csrf={token}")),
            &format!("username=alice&password=wrong-password-here&csrf={token}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("invalid username or password"));
    assert!(r.body.contains("value=\"alice\""));
    assert!(r.set_cookie("vedette_session").is_none());
}

#[tokio::test]
async fn logout_needs_the_session_csrf() {
    let f = fixture().await;
    let cookie = sign_in(&f.app).await;
    for form in ["", "csrf=", "csrf=nope"] {
        let r = send(&f.app, post_form("/logout", Some(&cookie), form)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{form}");
    }
    // The session survived.
    let r = send(&f.app, get_with("/", "cookie", &cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    // And a store-level check: it is still live.
    let id = cookie.trim_start_matches("vedette_session=");
    assert!(f.store.get_session(id).await.expect("store").is_some());
}

#[tokio::test]
async fn pages_redirect_to_login_without_a_session() {
    let f = fixture().await;
    for uri in ["/", "/search", "/search?q=root", "/alerts/1"] {
        for req in [get(uri), get_with(uri, "cookie", "vedette_session=bogus")] {
            let r = send(&f.app, req).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{uri}");
            assert_eq!(r.location(), "/login", "{uri}");
        }
    }
    let r = send(&f.app, post_form("/logout", None, "csrf=x")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login");
}

#[tokio::test]
async fn event_text_is_escaped() {
    let f = fixture().await;
    let cookie = sign_in(&f.app).await;
    let r = send(&f.app, get_with("/search", "cookie", &cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    // The page's one script is the same-origin app.js; event text never
    // becomes markup.
    assert_eq!(r.body.matches("<script").count(), 1, "{}", r.body);
    assert!(r
        .body
        .contains("<script src=\"/static/app.js\" defer></script>"));
    assert!(
        r.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{}",
        r.body
    );
    assert!(r.body.contains("no parser &#60;b&#62;matched&#60;/b&#62;"));
    assert!(r.body.contains("10.0.0.5"));
    assert!(r.body.contains("3 total"));
    // Control characters are shown, not passed through.
    assert!(r.body.contains("\u{2401}garbled"));

    let r = send(&f.app, get_with("/", "cookie", &cookie)).await;
    assert_eq!(r.body.matches("<script").count(), 1, "only app.js");
    assert!(r
        .body
        .contains("XSS &#60;script&#62;probe&#60;/script&#62;"));

    let id = f.alert_ids[0];
    let r = send(
        &f.app,
        get_with(&format!("/alerts/{id}"), "cookie", &cookie),
    )
    .await;
    assert_eq!(r.body.matches("<script").count(), 1, "only app.js");

    // The query is echoed escaped too.
    let uri = "/search?q=%22%3E%3Cscript%3Ex%3C%2Fscript%3E";
    let r = send(&f.app, get_with(uri, "cookie", &cookie)).await;
    assert_eq!(r.body.matches("<script").count(), 1, "{}", r.body);
}

#[tokio::test]
async fn search_page_filters_and_reports_bad_input() {
    let f = fixture().await;
    let cookie = sign_in(&f.app).await;
    let r = send(
        &f.app,
        get_with("/search?q=user.name%3Aroot", "cookie", &cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("1 total"));
    assert!(r.body.contains("Failed password for root"));

    // Local time (UTC+7) bounds: 09:30 local = 02:30 UTC.
    let r = send(
        &f.app,
        get_with("/search?from=2026-11-25T09%3A30", "cookie", &cookie),
    )
    .await;
    assert!(r.body.contains("1 total"), "{}", r.body);

    for uri in [
        "/search?q=user.name%3A(",
        "/search?from=tomorrow",
        "/search?page=0",
    ] {
        let r = send(&f.app, get_with(uri, "cookie", &cookie)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.body.contains("class=\"error\""), "{uri}");
    }
}

#[tokio::test]
async fn security_headers_everywhere() {
    let f = fixture().await;
    for req in [
        get("/healthz"),
        get("/login"),
        get("/"),
        get("/api/v1/alerts"),
        bearer("/api/v1/alerts", &f.token),
        get("/missing"),
        get("/static/app.css"),
    ] {
        let uri = req.uri().to_string();
        let r = send(&f.app, req).await;
        let h = &r.headers;
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            "default-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'",
            "{uri}"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{uri}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{uri}");
        if uri != "/static/app.css" {
            assert_eq!(h[header::CACHE_CONTROL], "no-store", "{uri}");
        }
    }
    let css = send(&f.app, get("/static/app.css")).await;
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(css.body.contains(".sev-critical"));
}

#[tokio::test]
async fn login_is_throttled() {
    let f = fixture().await;
    let token = send(&f.app, get("/login")).await.form_csrf();
    let cookie = format!("vedette_login_csrf={token}");
    for _ in 0..5 {
        let r = send(
            &f.app,
            post_form(
                "/login",
                Some(&cookie),
                &format!("username=alice&password=nope&csrf={token}"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now.
    let r = send(
        &f.app,
        post_form(
            "/login",
            Some(&cookie),
            &format!("username=Alice&password=correct+horse+battery&csrf={token}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert!(r.set_cookie("vedette_session").is_none());
    let m = send(&f.app, bearer("/metrics", &f.token)).await;
    assert!(m
        .body
        .contains("vedette_console_logins_total{outcome=\"failure\"} 5"));
    assert!(m
        .body
        .contains("vedette_console_logins_total{outcome=\"throttled\"} 1"));
}

#[tokio::test]
async fn vietnamese_on_request() {
    let f = fixture().await;
    let r = send(&f.app, get("/login?lang=vi")).await;
    assert!(r.body.contains("Đăng nhập"));
    assert!(r.body.contains("<html lang=\"vi\">"));
    assert!(r
        .set_cookie("vedette_lang")
        .is_some_and(|c| c.starts_with("vedette_lang=vi")));
    let r = send(
        &f.app,
        get_with("/login", "accept-language", "vi-VN,vi;q=0.9"),
    )
    .await;
    assert!(r.body.contains("Mật khẩu"));
    let r = send(&f.app, get_with("/login", "cookie", "vedette_lang=vi")).await;
    assert!(r.body.contains("Mật khẩu"));
    let r = send(&f.app, get("/login")).await;
    assert!(r.body.contains("Password"));
}

#[tokio::test]
async fn login_is_throttled_per_client_address() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;

    let f = fixture().await;
    let token = send(&f.app, get("/login")).await.form_csrf();
    let attempt = |user: &str, pw: &str, ip: &str| {
        let mut req = post_form(
            "/login",
            Some(&format!("vedette_login_csrf={token}")),
            &format!("username={user}&password={pw}&csrf={token}"),
        );
        let addr: SocketAddr = ip.parse().expect("address");
        req.extensions_mut().insert(ConnectInfo(addr));
        req
    };
    for i in 0..5 {
        let r = send(
            &f.app,
            attempt(&format!("guess{i}"), "nope", "198.51.100.7:40000"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = send(
        &f.app,
        attempt("alice", "correct+horse+battery", "198.51.100.7:40001"),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected.
    let r = send(
        &f.app,
        attempt("alice", "correct+horse+battery", "198.51.100.8:40000"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}
