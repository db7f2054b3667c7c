//! Tenancy and roles through the router: an agency officer sees and acts on
//! only their organization (and those below it) by every route: alert
//! list, alert by id, alert status, event search, event by id, pages,
//! organizations, metrics; auditors read and change nothing; only
//! administrators manage organizations and users; every change is audited.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use time::macros::datetime;
use time::OffsetDateTime;
use tower::ServiceExt;
use vedette_console::{app, AppState, ConsoleConfig, MetricsSource, RuleEntry, StaticCatalog};
use vedette_model::{Event, NewAlert, Origin, Severity};
use vedette_search::EventIndex;
use vedette_store::{Role, Store};

const PASSWORD: &str = "correct horse battery";

struct NoMetrics;
impl MetricsSource for NoMetrics {
    fn render(&self, out: &mut String) {
        out.push_str("vedette_events_total 3\n");
    }
}

struct World {
    _dir: tempfile::TempDir,
    app: Router,
    admin: String,
    analyst: String,
    tttt: String,
    yte: String,
    auditor: String,
    /// Alert ids: [so-tttt, so-tttt.ttcntt, so-yte, unassigned].
    alerts: Vec<i64>,
    /// Rule ids switched off, as the pipeline sees them.
    disabled: Arc<RwLock<HashSet<String>>>,
}

fn event(seq: u64, at: OffsetDateTime, org: Option<&str>, msg: &str) -> Event {
    let mut ev = Event::raw(seq, at, Origin::new("syslog-udp", None), msg.as_bytes());
    ev.set("host.name", format!("host{seq}"));
    ev.set("message", msg);
    if let Some(o) = org {
        ev.set("organization.id", o);
    }
    ev
}

fn alert(ev: &Event, title: &str) -> NewAlert {
    NewAlert {
        rule_id: format!("rule-{}", ev.seq),
        rule_title: title.to_string(),
        severity: Severity::High,
        tags: vec![],
        event_seq: ev.seq,
        event_time: ev.timestamp,
        created: ev.timestamp,
        host: ev.get_str("host.name").map(str::to_string),
        event: ev.to_json(),
        correlation: None,
    }
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/vedette.db", dir.path().display());
    let store = Store::open(&url).await.expect("store");
    store
        .create_org("province", "Tỉnh", None)
        .await
        .expect("org");
    store
        .create_org("so-tttt", "Sở Thông tin và Truyền thông", Some("province"))
        .await
        .expect("org");
    store
        .create_org("so-tttt.ttcntt", "Trung tâm CNTT", Some("so-tttt"))
        .await
        .expect("org");
    store
        .create_org("so-yte", "Sở Y tế", Some("province"))
        .await
        .expect("org");
    let admin = store.create_token("admin", Role::Admin).await.expect("t");
    let analyst = store
        .create_token("analyst", Role::Analyst)
        .await
        .expect("t");
    let auditor = store
        .create_token("auditor", Role::Auditor)
        .await
        .expect("t");
    let tttt = store
        .create_token_in("tttt", Role::Officer, Some("so-tttt"))
        .await
        .expect("t");
    let yte = store
        .create_token_in("yte", Role::Officer, Some("so-yte"))
        .await
        .expect("t");
    store
        .create_user_in("officer-tttt", PASSWORD, Role::Officer, Some("so-tttt"))
        .await
        .expect("user");

    let t0 = datetime!(2026-11-25 01:00 UTC);
    let events = [
        event(1, t0, Some("so-tttt"), "tttt portal defaced"),
        event(
            2,
            t0 + time::Duration::minutes(1),
            Some("so-tttt.ttcntt"),
            "ttcntt scan",
        ),
        event(
            3,
            t0 + time::Duration::minutes(2),
            Some("so-yte"),
            "yte ransomware",
        ),
        event(4, t0 + time::Duration::minutes(3), None, "unassigned probe"),
    ];
    let index = EventIndex::open(&dir.path().join("index")).expect("index");
    {
        let mut w = index.writer(32 << 20).expect("writer");
        for e in &events {
            w.add(e).expect("add");
        }
        w.commit(4).expect("commit");
    }
    let search = index.searcher();
    search.reload().expect("reload");
    let titles = [
        "Defacement TTTT",
        "Scan TTCNTT",
        "Ransomware YTE",
        "Probe NONE",
    ];
    let new: Vec<NewAlert> = events
        .iter()
        .zip(titles)
        .map(|(e, t)| alert(e, t))
        .collect();
    store.insert_alerts(&new).await.expect("alerts");
    let mut alerts = Vec::new();
    for rule in ["rule-1", "rule-2", "rule-3", "rule-4"] {
        let page = store
            .list_alerts(&vedette_store::AlertQuery {
                rule_id: Some(rule.into()),
                ..Default::default()
            })
            .await
            .expect("list");
        alerts.push(page.alerts[0].id);
    }
    let disabled = Arc::new(RwLock::new(HashSet::new()));
    let state = AppState {
        store,
        search,
        metrics: Arc::new(NoMetrics),
        rules: Arc::new(StaticCatalog::new(
            (1..=4)
                .map(|i| RuleEntry {
                    id: format!("rule-{i}"),
                    title: titles[i - 1].to_string(),
                    kind: "detection",
                    level: Severity::High,
                    logsource: "linux/*/sshd".into(),
                    tags: vec!["attack.t1110".into()],
                    path: format!("rules/r{i}.yml"),
                })
                .collect(),
            disabled.clone(),
        )),
        config: ConsoleConfig::default(),
    };
    World {
        _dir: dir,
        app: app(state),
        admin,
        analyst,
        tttt,
        yte,
        auditor,
        alerts,
        disabled,
    }
}

struct Reply {
    status: StatusCode,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(w: &World, token: &str, uri: &str) -> Reply {
    let req = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    send(&w.app, req).await
}

async fn post(w: &World, token: &str, uri: &str, body: serde_json::Value) -> Reply {
    let req = Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    send(&w.app, req).await
}

fn titles(v: &serde_json::Value) -> Vec<String> {
    let mut t: Vec<String> = v["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["rule_title"].as_str().unwrap_or_default().to_string())
        .collect();
    t.sort();
    t
}

fn event_ids(v: &serde_json::Value) -> Vec<String> {
    let mut t: Vec<String> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["event.id"].as_str().unwrap_or_default().to_string())
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn officers_see_only_their_subtree() {
    let w = world().await;
    // Alerts, list.
    let r = get(&w, &w.tttt, "/api/v1/alerts").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(titles(&r.json()), ["Defacement TTTT", "Scan TTCNTT"]);
    assert_eq!(r.json()["total"], 2);
    let r = get(&w, &w.yte, "/api/v1/alerts").await;
    assert_eq!(titles(&r.json()), ["Ransomware YTE"]);
    let r = get(&w, &w.analyst, "/api/v1/alerts").await;
    assert_eq!(r.json()["total"], 4);
    // Filters cannot widen the scope.
    let r = get(&w, &w.tttt, "/api/v1/alerts?rule_id=rule-3").await;
    assert_eq!(r.json()["total"], 0);

    // Alerts, by id: another agency's alert is not found, like a missing one.
    let [tttt_id, _, yte_id, none_id] = w.alerts[..] else {
        panic!("four alerts")
    };
    assert_eq!(
        get(&w, &w.tttt, &format!("/api/v1/alerts/{tttt_id}"))
            .await
            .status,
        StatusCode::OK
    );
    for id in [yte_id, none_id] {
        let r = get(&w, &w.tttt, &format!("/api/v1/alerts/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(
            r.json()["error"],
            format!("alert {id} not found"),
            "same answer as a missing id"
        );
    }
    assert_eq!(
        get(&w, &w.analyst, &format!("/api/v1/alerts/{yte_id}"))
            .await
            .status,
        StatusCode::OK
    );

    // Events: search and by id.
    let r = get(&w, &w.tttt, "/api/v1/events").await;
    assert_eq!(event_ids(&r.json()), ["1", "2"]);
    let r = get(&w, &w.tttt, "/api/v1/events?q=ransomware").await;
    assert_eq!(r.json()["total"], 0);
    let r = get(&w, &w.tttt, "/api/v1/events?q=organization.id:so-yte").await;
    assert_eq!(r.json()["total"], 0);
    let r = get(&w, &w.analyst, "/api/v1/events?q=ransomware").await;
    assert_eq!(r.json()["total"], 1);
    assert_eq!(
        get(&w, &w.tttt, "/api/v1/events/2").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&w, &w.tttt, "/api/v1/events/3").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&w, &w.tttt, "/api/v1/events/4").await.status,
        StatusCode::NOT_FOUND
    );

    // Organizations: only the subtree.
    let r = get(&w, &w.tttt, "/api/v1/organizations").await;
    let slugs: Vec<String> = r.json()["organizations"]
        .as_array()
        .expect("orgs")
        .iter()
        .map(|o| o["slug"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(slugs, ["so-tttt", "so-tttt.ttcntt"]);
    let me = get(&w, &w.tttt, "/api/v1/me").await.json();
    assert_eq!(me["organization"], "so-tttt");

    // Metrics name every agency's sources: province-wide users only.
    assert_eq!(
        get(&w, &w.tttt, "/metrics").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(get(&w, &w.analyst, "/metrics").await.status, StatusCode::OK);
}

#[tokio::test]
async fn alert_status_changes_respect_roles_and_are_audited() {
    let w = world().await;
    let [tttt_id, _, yte_id, _] = w.alerts[..] else {
        panic!("four alerts")
    };
    let url = |id: i64| format!("/api/v1/alerts/{id}/status");
    // Another agency's alert: not found.
    let r = post(
        &w,
        &w.tttt,
        &url(yte_id),
        serde_json::json!({"status": "closed"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Auditors change nothing.
    let r = post(
        &w,
        &w.auditor,
        &url(tttt_id),
        serde_json::json!({"status": "closed"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Bad input: a 400 with the reason.
    let r = post(
        &w,
        &w.tttt,
        &url(tttt_id),
        serde_json::json!({"status": "pwned"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("status must be one of"));
    let r = post(
        &w,
        &w.tttt,
        &url(tttt_id),
        serde_json::json!({"status": "false_positive"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a false positive needs a reason"
    );
    let r = post(&w, &w.tttt, &url(tttt_id), serde_json::json!({"nope": 1})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The officer's own alert.
    let r = post(
        &w,
        &w.tttt,
        &url(tttt_id),
        serde_json::json!({"status": "false_positive", "reason": "planned pentest"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "false_positive");

    // The audit log: auditors and admins read it, others do not.
    assert_eq!(
        get(&w, &w.tttt, "/api/v1/audit").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&w, &w.analyst, "/api/v1/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let log = get(&w, &w.auditor, "/api/v1/audit").await.json();
    assert_eq!(log["total"], 1);
    let e = &log["entries"][0];
    assert_eq!(e["actor"], "tttt");
    assert_eq!(e["action"], "alert.status");
    assert_eq!(e["target"], format!("alert:{tttt_id}"));
    assert_eq!(e["detail"], "new -> false_positive: planned pentest");
}

#[tokio::test]
async fn only_admins_manage_organizations_and_users() {
    let w = world().await;
    let org = serde_json::json!({"slug": "so-gd", "name": "Sở Giáo dục", "parent": "province"});
    for t in [&w.tttt, &w.analyst, &w.auditor] {
        assert_eq!(
            post(&w, t, "/api/v1/organizations", org.clone())
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            get(&w, t, "/api/v1/users").await.status,
            StatusCode::FORBIDDEN
        );
    }
    let r = post(&w, &w.admin, "/api/v1/organizations", org.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(&w, &w.admin, "/api/v1/organizations", org).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = post(
        &w,
        &w.admin,
        "/api/v1/organizations",
        serde_json::json!({"slug": "Bad Slug", "name": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    let user = serde_json::json!({
        "name": "gd-officer", "password": PASSWORD, "role": "officer", "organization": "so-gd"
    });
    let r = post(&w, &w.tttt, "/api/v1/users", user.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(&w, &w.admin, "/api/v1/users", user).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        &w,
        &w.admin,
        "/api/v1/users",
        serde_json::json!({"name": "x", "password": PASSWORD, "role": "officer"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "an officer needs an organization"
    );
    let users = get(&w, &w.admin, "/api/v1/users").await.json();
    let gd = users["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == "gd-officer")
        .cloned()
        .expect("created");
    assert_eq!(gd["org"], "so-gd");
    assert!(gd.get("password_hash").is_none());
    let log = get(&w, &w.admin, "/api/v1/audit").await.json();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(actions, ["user.create", "organization.create"]);
}

#[tokio::test]
async fn new_routes_need_credentials() {
    let w = world().await;
    for uri in ["/api/v1/organizations", "/api/v1/users", "/api/v1/audit"] {
        let r = send(&w.app, Request::get(uri).body(Body::empty()).expect("req")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    for uri in [
        "/api/v1/organizations",
        "/api/v1/users",
        "/api/v1/alerts/1/status",
    ] {
        let r = send(
            &w.app,
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .expect("req"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
}

/// Signs in through the login form; returns the session cookie and its
/// CSRF token.
async fn sign_in(app: &Router, user: &str) -> (String, String) {
    let page = send(
        app,
        Request::get("/login").body(Body::empty()).expect("req"),
    )
    .await;
    let marker = "name=\"csrf\" value=\"";
    let start = page.body.find(marker).expect("csrf field") + marker.len();
    let csrf: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("vedette_login_csrf={csrf}"))
        .body(Body::from(format!(
            "username={user}&password=correct+horse+battery&csrf={csrf}"
        )))
        .expect("req");
    let res = app.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("vedette_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_string();
    let home = send(
        app,
        Request::get("/")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    let start = home.body.find(marker).expect("csrf in page") + marker.len();
    let session_csrf: String = home.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    (cookie, session_csrf)
}

#[tokio::test]
async fn pages_and_session_api_respect_the_scope() {
    let w = world().await;
    let (cookie, csrf) = sign_in(&w.app, "officer-tttt").await;
    let page = |uri: String| {
        Request::get(uri)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("req")
    };
    let home = send(&w.app, page("/".into())).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Defacement TTTT"));
    assert!(!home.body.contains("Ransomware YTE"));
    assert!(!home.body.contains("Probe NONE"));
    let other = send(&w.app, page(format!("/alerts/{}", w.alerts[2]))).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let search = send(&w.app, page("/search?q=ransomware".into())).await;
    assert_eq!(search.status, StatusCode::OK);
    assert!(!search.body.contains("yte ransomware"));
    let search = send(&w.app, page("/search?q=".into())).await;
    assert!(search.body.contains("tttt portal defaced"));
    assert!(!search.body.contains("unassigned probe"));

    // A state change with the session but without the CSRF header: refused.
    let url = format!("/api/v1/alerts/{}/status", w.alerts[0]);
    let body = serde_json::json!({"status": "acknowledged"}).to_string();
    let no_csrf = Request::post(&url)
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.clone()))
        .expect("req");
    assert_eq!(send(&w.app, no_csrf).await.status, StatusCode::FORBIDDEN);
    let with_csrf = Request::post(&url)
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("req");
    let r = send(&w.app, with_csrf).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The login itself was audited, with who and from where.
    let log = get(&w, &w.admin, "/api/v1/audit").await.json();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(actions, ["alert.status", "login"]);
}

#[tokio::test]
async fn rules_list_hits_and_switch() {
    let w = world().await;
    let r = get(&w, &w.analyst, "/api/v1/rules").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["total"], 4);
    assert_eq!(v["rules"][0]["id"], "rule-1");
    assert_eq!(v["rules"][0]["hits"], 1);
    assert_eq!(v["rules"][0]["enabled"], true);
    assert!(v["rules"][0]["last_hit"].is_string());
    // Hit counts are scoped: the so-tttt officer does not count so-yte's.
    let r = get(&w, &w.tttt, "/api/v1/rules/rule-3").await.json();
    assert_eq!(r["hits"], 0);
    assert!(r["last_hit"].is_null());
    let r = get(&w, &w.analyst, "/api/v1/rules?q=ransomware")
        .await
        .json();
    assert_eq!(r["total"], 1);
    assert_eq!(
        get(&w, &w.analyst, "/api/v1/rules/nope").await.status,
        StatusCode::NOT_FOUND
    );

    // Switching: province-wide analysts and admins only, audited, and the
    // pipeline's set follows.
    let off = serde_json::json!({"enabled": false, "reason": "noisy on the mail relay"});
    for t in [&w.tttt, &w.auditor] {
        let r = post(&w, t, "/api/v1/rules/rule-2/enabled", off.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    let r = post(&w, &w.analyst, "/api/v1/rules/rule-2/enabled", off).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(w.disabled.read().expect("lock").contains("rule-2"));
    let r = get(&w, &w.analyst, "/api/v1/rules?enabled=false")
        .await
        .json();
    assert_eq!(r["total"], 1);
    assert_eq!(r["rules"][0]["changed"]["changed_by"], "analyst");
    let r = post(
        &w,
        &w.analyst,
        "/api/v1/rules/nope/enabled",
        serde_json::json!({"enabled": false}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = post(
        &w,
        &w.analyst,
        "/api/v1/rules/rule-2/enabled",
        serde_json::json!({"enabled": "no"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(
        &w,
        &w.admin,
        "/api/v1/rules/rule-2/enabled",
        serde_json::json!({"enabled": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(w.disabled.read().expect("lock").is_empty());
    let log = get(&w, &w.auditor, "/api/v1/audit").await.json();
    assert_eq!(
        log["entries"][1]["detail"],
        "disabled: noisy on the mail relay"
    );
    assert_eq!(log["entries"][1]["target"], "rule:rule-2");
}

#[tokio::test]
async fn bulk_groups_and_suppressions() {
    let w = world().await;
    let ids = serde_json::json!(w.alerts.clone());
    // Bulk: an officer changes only their organization's alerts.
    let r = post(
        &w,
        &w.tttt,
        "/api/v1/alerts/bulk",
        serde_json::json!({"alert_ids": ids, "status": "acknowledged"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["updated"], 2);
    assert_eq!(r.json()["not_found"].as_array().map(Vec::len), Some(2));
    let r = post(
        &w,
        &w.auditor,
        "/api/v1/alerts/bulk",
        serde_json::json!({"alert_ids": [w.alerts[0]], "status": "closed"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        &w,
        &w.analyst,
        "/api/v1/alerts/bulk",
        serde_json::json!({"alert_ids": [], "status": "closed"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(
        &w,
        &w.analyst,
        "/api/v1/alerts/bulk",
        serde_json::json!({"alert_ids": [w.alerts[2]], "status": "false_positive"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "needs a reason");

    // Groups: scoped.
    let g = get(&w, &w.yte, "/api/v1/alerts/groups").await.json();
    assert_eq!(g["groups"].as_array().map(Vec::len), Some(1));
    assert_eq!(g["groups"][0]["rule_id"], "rule-3");
    assert_eq!(g["groups"][0]["count"], 1);

    // Suppressions: an officer's are confined to their organization.
    let r = post(
        &w,
        &w.yte,
        "/api/v1/suppressions",
        serde_json::json!({"rule_id": "rule-1", "reason": "x", "hours": 1, "organization": "so-tttt"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = post(
        &w,
        &w.yte,
        "/api/v1/suppressions",
        serde_json::json!({"rule_id": "rule-3", "reason": "backup job", "hours": 0}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(
        &w,
        &w.yte,
        "/api/v1/suppressions",
        serde_json::json!({"rule_id": "rule-3", "reason": "backup job", "hours": 24}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["silenced"], 1);
    let sid = r.json()["id"].as_i64().expect("id");
    let a = get(&w, &w.analyst, &format!("/api/v1/alerts/{}", w.alerts[2]))
        .await
        .json();
    assert_eq!(a["status"], "suppressed");
    let list = get(&w, &w.tttt, "/api/v1/suppressions").await.json();
    assert_eq!(list["suppressions"].as_array().map(Vec::len), Some(0));
    let list = get(&w, &w.analyst, "/api/v1/suppressions").await.json();
    assert_eq!(list["suppressions"][0]["created_by"], "yte");
    assert_eq!(list["suppressions"][0]["org"], "so-yte");
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/suppressions/{sid}/lift"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = post(
        &w,
        &w.yte,
        &format!("/api/v1/suppressions/{sid}/lift"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let log = get(&w, &w.auditor, "/api/v1/audit").await.json();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        actions,
        [
            "suppression.lift",
            "suppression.create",
            "alert.bulk_status"
        ]
    );
}

#[tokio::test]
async fn openapi_documents_routes_that_exist() {
    let w = world().await;
    let doc = send(
        &w.app,
        Request::get("/api/openapi.json")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert_eq!(doc["openapi"], "3.0.3");
    for (method, path) in vedette_console::openapi::paths() {
        let uri = path.replace("{id}", "1").replace("{task}", "1");
        // A route that exists answers a method it lacks with 405; one that
        // does not exist answers 404.
        let r = send(
            &w.app,
            Request::delete(&uri)
                .header(header::AUTHORIZATION, format!("Bearer {}", w.admin))
                .body(Body::empty())
                .expect("req"),
        )
        .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
}

async fn form(w: &World, cookie: &str, uri: &str, body: &str) -> (StatusCode, String) {
    let req = Request::post(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .expect("req");
    let res = w.app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, location)
}

#[tokio::test]
async fn alert_actions_from_the_pages() {
    let w = world().await;
    let (cookie, csrf) = sign_in(&w.app, "officer-tttt").await;
    let [mine, sub, theirs, _] = w.alerts[..] else {
        panic!("four alerts")
    };
    let page = send(
        &w.app,
        Request::get(format!("/alerts/{mine}"))
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert!(page
        .body
        .contains(&format!("action=\"/alerts/{mine}/status\"")));
    assert!(page
        .body
        .contains(&format!("action=\"/alerts/{mine}/suppress\"")));

    // Without the CSRF token: refused.
    let (st, _) = form(
        &w,
        &cookie,
        &format!("/alerts/{mine}/status"),
        "csrf=nope&status=closed",
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // A false positive needs its reason.
    let (st, _) = form(
        &w,
        &cookie,
        &format!("/alerts/{mine}/status"),
        &format!("csrf={csrf}&status=false_positive&reason="),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, loc) = form(
        &w,
        &cookie,
        &format!("/alerts/{mine}/status"),
        &format!("csrf={csrf}&status=false_positive&reason=pentest+window"),
    )
    .await;
    assert_eq!(
        (st, loc.as_str()),
        (StatusCode::SEE_OTHER, format!("/alerts/{mine}").as_str())
    );
    let a = get(&w, &w.analyst, &format!("/api/v1/alerts/{mine}"))
        .await
        .json();
    assert_eq!(a["status"], "false_positive");

    // Another agency's alert: not found, whatever the form.
    let (st, _) = form(
        &w,
        &cookie,
        &format!("/alerts/{theirs}/suppress"),
        &format!("csrf={csrf}&hours=24&reason=x"),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, loc) = form(
        &w,
        &cookie,
        &format!("/alerts/{sub}/suppress"),
        &format!("csrf={csrf}&hours=24&reason=scanner&same_host=1"),
    )
    .await;
    assert_eq!(
        (st, loc.as_str()),
        (StatusCode::SEE_OTHER, format!("/alerts/{sub}").as_str())
    );
    let list = get(&w, &w.analyst, "/api/v1/suppressions").await.json();
    assert_eq!(list["suppressions"][0]["org"], "so-tttt.ttcntt");
    assert_eq!(list["suppressions"][0]["host"], "host2");

    // Bulk from the queue: escalate two alerts into a new incident; an
    // alert of another agency in the selection refuses the whole action.
    let (st, _) = form(
        &w,
        &cookie,
        "/alerts/bulk",
        &format!("csrf={csrf}&action=escalate&id={mine}&id={theirs}"),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, loc) = form(
        &w,
        &cookie,
        "/alerts/bulk",
        &format!("csrf={csrf}&action=escalate&id={mine}&id={sub}&incident="),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(loc.starts_with("/incidents/"), "{loc}");
    let (st, _) = form(
        &w,
        &cookie,
        "/alerts/bulk",
        &format!("csrf={csrf}&action=status&status=closed"),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "nothing selected");
}

#[tokio::test]
async fn live_alert_stream_is_scoped() {
    let w = world().await;
    let req = Request::get("/api/v1/alerts/stream?after=0")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.yte))
        .body(Body::empty())
        .expect("req");
    let res = w.app.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default(),
        "text/event-stream"
    );
    let mut body = res.into_body();
    let mut text = String::new();
    // The first poll sends at once everything already stored in scope;
    // read until the stream goes quiet (the next poll is 2 s away).
    while let Ok(Some(frame)) =
        tokio::time::timeout(std::time::Duration::from_millis(1000), body.frame()).await
    {
        if let Ok(data) = frame.expect("no error").into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert_eq!(text.matches("event: alert").count(), 1, "{text}");
    assert!(text.contains("event: alert"), "{text}");
    assert!(text.contains("Ransomware YTE"), "{text}");
    assert!(
        !text.contains("TTTT"),
        "another agency's alert streamed: {text}"
    );
    assert!(!text.contains("NONE"), "{text}");
    let r = send(
        &w.app,
        Request::get("/api/v1/alerts/stream")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn dashboard_is_scoped() {
    let w = world().await;
    let all = get(&w, &w.analyst, "/api/v1/dashboard").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let v = all.json();
    assert_eq!(v["hours"], 24);
    assert_eq!(
        v["dashboard"]["alerts_by_hour"].as_array().map(Vec::len),
        Some(24)
    );
    let orgs: Vec<String> = v["dashboard"]["posture"]
        .as_array()
        .expect("posture")
        .iter()
        .map(|p| p["org"].as_str().unwrap_or("-").to_string())
        .collect();
    assert_eq!(orgs.len(), 4, "{orgs:?}");
    let mine = get(&w, &w.tttt, "/api/v1/dashboard").await.json();
    let orgs: Vec<&str> = mine["dashboard"]["posture"]
        .as_array()
        .expect("posture")
        .iter()
        .filter_map(|p| p["org"].as_str())
        .collect();
    assert!(orgs.iter().all(|o| o.starts_with("so-tttt")), "{orgs:?}");
    assert!(!mine.to_string().contains("host3"), "so-yte's host leaked");
    let (cookie, _) = sign_in(&w.app, "officer-tttt").await;
    let page = send(
        &w.app,
        Request::get("/dashboard")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg class=\"chart\""));
    assert!(page.body.contains("so-tttt"));
    assert!(!page.body.contains("so-yte"));
}

#[tokio::test]
async fn users_change_their_password() {
    let w = world().await;
    let (cookie, csrf) = sign_in(&w.app, "officer-tttt").await;
    let change = |current: &str, new: &str, csrf: &str| {
        Request::post("/api/v1/me/password")
            .header(header::COOKIE, &cookie)
            .header("x-csrf-token", csrf)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({"current": current, "new": new}).to_string(),
            ))
            .expect("req")
    };
    let r = send(&w.app, change(PASSWORD, "a new long passphrase", "bad")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "CSRF");
    let r = send(
        &w.app,
        change("wrong password!", "a new long passphrase", &csrf),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = send(&w.app, change(PASSWORD, "short", &csrf)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = send(&w.app, change(PASSWORD, "a new long passphrase", &csrf)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The session ended with the change.
    let r = send(
        &w.app,
        Request::get("/api/v1/me")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = post(
        &w,
        &w.tttt,
        "/api/v1/me/password",
        serde_json::json!({"current": "x", "new": "y"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "tokens have no password");
    let log = get(&w, &w.admin, "/api/v1/audit").await.json();
    assert_eq!(log["entries"][0]["action"], "user.password");
}

#[tokio::test]
async fn the_language_choice_follows_the_user() {
    let w = world().await;
    let (cookie, csrf) = sign_in(&w.app, "officer-tttt").await;
    let page = |uri: &str, cookie: &str, accept: &str| {
        Request::get(uri)
            .header(header::COOKIE, cookie)
            .header(header::ACCEPT_LANGUAGE, accept)
            .body(Body::empty())
            .expect("req")
    };
    let home = send(&w.app, page("/", &cookie, "en-US")).await;
    assert!(home.body.contains("lang=\"en\""));
    // Choosing Vietnamese once, in one browser...
    let home = send(&w.app, page("/?lang=vi", &cookie, "en-US")).await;
    assert!(home.body.contains("lang=\"vi\""));
    // ...holds in another (a new session, no language cookie, an English
    // browser).
    let (other, _) = sign_in(&w.app, "officer-tttt").await;
    let home = send(&w.app, page("/", &other, "en-US")).await;
    assert!(home.body.contains("lang=\"vi\""), "{}", &home.body[..200]);
    // And through the API.
    let r = send(
        &w.app,
        Request::post("/api/v1/me/language")
            .header(header::COOKIE, &other)
            .header("x-csrf-token", &csrf)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"lang":"en"}"#))
            .expect("req"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the other session's CSRF token"
    );
    let r = post(
        &w,
        &w.tttt,
        "/api/v1/me/language",
        serde_json::json!({"lang": "vi"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "tokens have no language");
    let me = send(&w.app, page("/api/v1/me", &other, "en")).await.json();
    assert_eq!(me["lang"], "vi");
}

#[tokio::test]
async fn queue_filters_on_the_page_and_the_api() {
    let w = world().await;
    // API: organization within the scope, user, order.
    let r = get(&w, &w.analyst, "/api/v1/alerts?organization=so-yte")
        .await
        .json();
    assert_eq!(titles(&r), ["Ransomware YTE"]);
    let r = get(&w, &w.tttt, "/api/v1/alerts?organization=so-yte")
        .await
        .json();
    assert_eq!(r["total"], 0, "another agency by filter: nothing");
    let r = get(&w, &w.analyst, "/api/v1/alerts?sort=oldest")
        .await
        .json();
    assert_eq!(r["alerts"][0]["rule_title"], "Defacement TTTT");
    let r = get(&w, &w.analyst, "/api/v1/alerts?sort=sideways").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The page: the form keeps its values, the list follows them.
    let (cookie, _) = sign_in(&w.app, "officer-tttt").await;
    let page = send(
        &w.app,
        Request::get("/?host=host2&sort=oldest")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Scan TTCNTT"));
    assert!(!page.body.contains("Defacement TTTT"));
    assert!(page.body.contains("name=\"host\" value=\"host2\""));
    assert!(
        !page.body.contains("data-stream"),
        "a filtered page is not live"
    );
    let groups = send(
        &w.app,
        Request::get("/?view=groups")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(groups.status, StatusCode::OK);
    assert!(groups.body.contains("id=\"groups\""));
    assert!(groups.body.contains("Defacement TTTT"));
    assert!(!groups.body.contains("Ransomware YTE"), "scoped");
    assert!(
        groups.body.contains("/?rule_id=rule-1&amp;host=host1")
            || groups.body.contains("/?rule_id=rule-1&#38;host=host1"),
        "{}",
        groups.body
    );
}

#[tokio::test]
async fn alerts_are_assigned_within_the_scope() {
    let w = world().await;
    let [mine, _, theirs, _] = w.alerts[..] else {
        panic!("four alerts")
    };
    let body = serde_json::json!({"assignee": "officer-tttt"});
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/alerts/{theirs}/assign"),
        body.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = post(
        &w,
        &w.auditor,
        &format!("/api/v1/alerts/{mine}/assign"),
        body.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/alerts/{mine}/assign"),
        serde_json::json!({"assignee": "ghost"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = post(&w, &w.tttt, &format!("/api/v1/alerts/{mine}/assign"), body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["assignee"], "officer-tttt");
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/alerts/{mine}/assign"),
        serde_json::json!({"assignee": null}),
    )
    .await;
    assert!(r.json()["assignee"].is_null());
    let log = get(&w, &w.auditor, "/api/v1/audit").await.json();
    assert_eq!(log["entries"][0]["action"], "alert.assign");
}
