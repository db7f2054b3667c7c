//! Incidents and tickets through the router, on a real SQLite store and a
//! real index: escalating alerts into an incident and working it to
//! closed; a ticket handed to an agency, seen and finished by that agency
//! alone; auditors change nothing; every route needs credentials, and a
//! session's changes its CSRF token; the pages render the pivots and mark
//! overdue tickets.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;
use tower::ServiceExt;
use vedette_console::{app, AppState, ConsoleConfig, MetricsSource, StaticCatalog};
use vedette_model::{Event, NewAlert, Origin, Severity};
use vedette_search::EventIndex;
use vedette_store::{Role, Store};

const PASSWORD: &str = "correct horse battery";

struct NoMetrics;
impl MetricsSource for NoMetrics {
    fn render(&self, _out: &mut String) {}
}

struct World {
    _dir: tempfile::TempDir,
    app: Router,
    admin: String,
    analyst: String,
    auditor: String,
    tttt: String,
    yte: String,
    /// Alert ids: [so-tttt high, so-tttt critical, so-yte].
    alerts: Vec<i64>,
}

fn event(seq: u64, at: OffsetDateTime, org: &str) -> Event {
    let msg = format!("event {seq}");
    let mut ev = Event::raw(seq, at, Origin::new("syslog-udp", None), msg.as_bytes());
    ev.set("host.name", format!("host{seq}"));
    ev.set("message", msg.as_str());
    ev.set("organization.id", org);
    ev
}

fn alert(ev: &Event, title: &str, severity: Severity) -> NewAlert {
    NewAlert {
        rule_id: format!("rule-{}", ev.seq),
        rule_title: title.to_string(),
        severity,
        tags: vec!["attack.t1110".into(), "attack.credential_access".into()],
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
    for (name, role, org) in [
        ("officer-tttt", Role::Officer, Some("so-tttt")),
        ("officer-yte", Role::Officer, Some("so-yte")),
        ("reader", Role::Auditor, None),
    ] {
        store
            .create_user_in(name, PASSWORD, role, org)
            .await
            .expect("user");
    }

    let t0 = datetime!(2026-11-25 01:00 UTC);
    let events = [
        event(1, t0, "so-tttt"),
        event(2, t0 + time::Duration::minutes(1), "so-tttt"),
        event(3, t0 + time::Duration::minutes(2), "so-yte"),
    ];
    let index = EventIndex::open(&dir.path().join("index")).expect("index");
    {
        let mut w = index.writer(32 << 20).expect("writer");
        for e in &events {
            w.add(e).expect("add");
        }
        w.commit(3).expect("commit");
    }
    let search = index.searcher();
    search.reload().expect("reload");
    let new = [
        alert(&events[0], "SSH brute force TTTT", Severity::High),
        alert(&events[1], "Admin login TTTT", Severity::Critical),
        alert(&events[2], "Ransomware YTE", Severity::High),
    ];
    store.insert_alerts(&new).await.expect("alerts");
    let mut alerts = Vec::new();
    for rule in ["rule-1", "rule-2", "rule-3"] {
        let page = store
            .list_alerts(&vedette_store::AlertQuery {
                rule_id: Some(rule.into()),
                ..Default::default()
            })
            .await
            .expect("list");
        alerts.push(page.alerts[0].id);
    }
    let state = AppState {
        store,
        search,
        metrics: Arc::new(NoMetrics),
        rules: Arc::new(StaticCatalog::default()),
        config: ConsoleConfig::default(),
    };
    World {
        _dir: dir,
        app: app(state),
        admin,
        analyst,
        auditor,
        tttt,
        yte,
        alerts,
    }
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        location,
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

async fn post(w: &World, token: &str, uri: &str, body: Value) -> Reply {
    let req = Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    send(&w.app, req).await
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
    let home = page_get(app, &cookie, "/").await;
    let start = home.body.find(marker).expect("csrf in page") + marker.len();
    let session_csrf: String = home.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    (cookie, session_csrf)
}

async fn page_get(app: &Router, cookie: &str, uri: &str) -> Reply {
    send(
        app,
        Request::get(uri)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("req"),
    )
    .await
}

async fn page_post(app: &Router, cookie: &str, uri: &str, form: &str) -> Reply {
    send(
        app,
        Request::post(uri)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .expect("req"),
    )
    .await
}

async fn audit_actions(w: &World) -> Vec<String> {
    let r = get(w, &w.admin, "/api/v1/audit?limit=1000").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn escalate_and_work_an_incident_to_closed() {
    let w = world().await;
    let [a1, a2, a3] = w.alerts[..] else {
        panic!("three alerts")
    };

    // Two alerts escalated into a new incident.
    let r = post(
        &w,
        &w.tttt,
        "/api/v1/alerts/escalate",
        json!({ "alert_ids": [a1, a2] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let inc = r.json();
    let id = inc["id"].as_i64().expect("id");
    assert_eq!(inc["title"], "SSH brute force TTTT");
    assert_eq!(inc["severity"], "critical", "the highest of the alerts");
    assert_eq!(inc["organization"], "so-tttt");
    assert_eq!(inc["status"], "new");
    assert_eq!(inc["alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(inc["attack"]["techniques"], json!(["T1110"]));
    assert_eq!(inc["attack"]["tactics"], json!(["credential_access"]));
    let r = get(&w, &w.tttt, &format!("/api/v1/alerts/{a1}")).await;
    assert_eq!(r.json()["status"], "escalated");

    // Another agency's alert cannot be escalated by the officer, nor added.
    let r = post(
        &w,
        &w.tttt,
        "/api/v1/alerts/escalate",
        json!({ "alert_ids": [a3] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = post(
        &w,
        &w.analyst,
        &format!("/api/v1/incidents/{id}/alerts"),
        json!({ "alert_ids": [a3] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("outside the incident's organization"));
    // Empty and oversized lists, unknown fields.
    let r = post(
        &w,
        &w.tttt,
        "/api/v1/alerts/escalate",
        json!({ "alert_ids": [] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let many: Vec<i64> = (1..=101).collect();
    let r = post(
        &w,
        &w.tttt,
        "/api/v1/alerts/escalate",
        json!({ "alert_ids": many }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(
        &w,
        &w.tttt,
        "/api/v1/alerts/escalate",
        json!({ "alert_ids": [a1], "sneaky": 1 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("unknown field"), "{}", r.body);

    // The other agency neither sees nor touches it.
    let r = get(&w, &w.yte, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], format!("incident {id} not found"));
    let r = get(&w, &w.yte, "/api/v1/incidents").await;
    assert_eq!(r.json()["total"], 0);
    for (uri, body) in [
        ("status", json!({ "status": "triage" })),
        ("comments", json!({ "text": "mine?" })),
        ("observables", json!({ "kind": "ip", "value": "10.0.0.1" })),
        ("tasks", json!({ "title": "x" })),
    ] {
        let r = post(&w, &w.yte, &format!("/api/v1/incidents/{id}/{uri}"), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}: {}", r.body);
    }
    let r = get(&w, &w.tttt, "/api/v1/incidents").await;
    assert_eq!(r.json()["total"], 1);

    // Observables (checked), a comment, a task.
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/observables"),
        json!({ "kind": "ip", "value": "203.0.113.9" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["observables"][0]["value"], "203.0.113.9");
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/observables"),
        json!({ "kind": "ip", "value": "203.0.113.9" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/observables"),
        json!({ "kind": "hash", "value": "not-hex" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("hexadecimal"), "{}", r.body);
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/observables"),
        json!({ "kind": "user", "value": "admin" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/comments"),
        json!({ "text": "Blocked the address at the firewall." }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let long = "x".repeat(10_001);
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/comments"),
        json!({ "text": long }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/tasks"),
        json!({ "title": "Reset the admin password" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let task = r.json()["tasks"][0]["id"].as_i64().expect("task id");
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/tasks/{task}"),
        json!({ "done": true }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["tasks"][0]["done"], true);

    // Auditors read, change nothing.
    let r = get(&w, &w.auditor, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    for (uri, body) in [
        (
            format!("/api/v1/incidents/{id}/status"),
            json!({ "status": "triage" }),
        ),
        (
            format!("/api/v1/incidents/{id}/comments"),
            json!({ "text": "x" }),
        ),
        (
            format!("/api/v1/incidents/{id}/observables"),
            json!({ "kind": "ip", "value": "10.0.0.1" }),
        ),
        (
            format!("/api/v1/incidents/{id}/tasks"),
            json!({ "title": "x" }),
        ),
        (
            format!("/api/v1/incidents/{id}/alerts"),
            json!({ "alert_ids": [a1] }),
        ),
        (
            "/api/v1/alerts/escalate".into(),
            json!({ "alert_ids": [a1] }),
        ),
        ("/api/v1/incidents".into(), json!({ "title": "x" })),
    ] {
        let r = post(&w, &w.auditor, &uri, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}: {}", r.body);
    }

    // Through the statuses; closing needs a resolution.
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/status"),
        json!({ "status": "closed" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("resolution"), "{}", r.body);
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/status"),
        json!({ "status": "pending" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for status in ["triage", "in_progress", "contained", "resolved"] {
        let r = post(
            &w,
            &w.tttt,
            &format!("/api/v1/incidents/{id}/status"),
            json!({ "status": status }),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{status}: {}", r.body);
        assert_eq!(r.json()["status"], status);
    }
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/incidents/{id}/status"),
        json!({ "status": "closed", "resolution": "Password reset, address blocked." }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let done = r.json();
    assert_eq!(done["status"], "closed");
    assert_eq!(done["resolution"], "Password reset, address blocked.");
    let kinds: Vec<&str> = done["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds.first(), Some(&"created"));
    assert!(kinds.contains(&"alerts") && kinds.contains(&"observable"));
    assert!(kinds.contains(&"comment") && kinds.contains(&"task.done"));
    assert_eq!(kinds.iter().filter(|k| **k == "status").count(), 5);
    let r = get(&w, &w.tttt, "/api/v1/incidents?status=closed").await;
    assert_eq!(r.json()["total"], 1);
    let r = get(&w, &w.tttt, "/api/v1/incidents?status=bogus").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Creating: within the creator's scope only.
    let r = post(
        &w,
        &w.tttt,
        "/api/v1/incidents",
        json!({ "title": "Phishing", "organization": "so-yte" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = post(
        &w,
        &w.analyst,
        "/api/v1/incidents",
        json!({ "title": "Phishing", "severity": "low", "organization": "so-yte" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let yte_inc = r.json()["id"].as_i64().expect("id");
    assert_eq!(
        get(&w, &w.yte, "/api/v1/incidents").await.json()["total"],
        1
    );
    // Escalating into an existing incident.
    let r = post(
        &w,
        &w.yte,
        "/api/v1/alerts/escalate",
        json!({ "alert_ids": [a3], "incident_id": yte_inc }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["severity"], "high", "raised to the alert's");
    assert_eq!(r.json()["alerts"][0]["id"], a3);

    // Every change is in the audit log.
    let actions = audit_actions(&w).await;
    for a in [
        "alert.escalate",
        "incident.observable",
        "incident.comment",
        "incident.task",
        "incident.status",
        "incident.create",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }

    // The pages: list and detail with the pivot links and ATT&CK.
    let (cookie, csrf) = sign_in(&w.app, "officer-tttt").await;
    let r = page_get(&w.app, &cookie, "/incidents").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("SSH brute force TTTT"));
    assert!(r.body.contains("href=\"/incidents\""), "navigation link");
    let r = page_get(&w.app, &cookie, &format!("/incidents/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(
            "/search?q=source.ip%3A%22203.0.113.9%22%20OR%20destination.ip%3A%22203.0.113.9%22"
        ),
        "{}",
        r.body
    );
    assert!(r.body.contains("/search?q=user.name%3A%22admin%22"));
    assert!(r.body.contains("T1110") && r.body.contains("credential_access"));
    assert!(r.body.contains("Blocked the address at the firewall."));
    assert!(r.body.contains("Reset the admin password"));
    assert!(r.body.contains("Password reset, address blocked."));
    let r = page_get(&w.app, &cookie, &format!("/incidents/{id}?lang=vi")).await;
    assert!(r.body.contains("Diễn biến"), "Vietnamese timeline heading");
    // Another agency's incident page is not found.
    let r = page_get(&w.app, &cookie, &format!("/incidents/{yte_inc}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The comment form: needs the session's token.
    let uri = format!("/incidents/{id}/comments");
    let r = page_post(&w.app, &cookie, &uri, "text=from+the+page").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = page_post(
        &w.app,
        &cookie,
        &uri,
        &format!("csrf={csrf}&text=from+the+page"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/incidents/{id}").as_str())
    );
    let r = page_post(
        &w.app,
        &cookie,
        &format!("/incidents/{id}/status"),
        &format!("csrf={csrf}&status=triage&resolution="),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = get(&w, &w.tttt, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(r.json()["status"], "triage");
    assert_eq!(r.json()["comments"][1]["text"], "from the page");
}

#[tokio::test]
async fn tickets_handed_to_an_agency() {
    let w = world().await;
    let ticket = |org: &str, extra: Value| {
        let mut body = json!({
            "title": "Patch the web portal",
            "description": "CVE-2026-0001 is exploited.",
            "organization": org,
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    // Only province-wide analysts and administrators hand tickets out.
    for token in [&w.tttt, &w.auditor] {
        let r = post(&w, token, "/api/v1/tickets", ticket("so-tttt", json!({}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    let r = post(
        &w,
        &w.analyst,
        "/api/v1/tickets",
        ticket("so-tttt", json!({ "sla_hours": 24 })),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let t1 = r.json();
    let t1_id = t1["id"].as_i64().expect("id");
    assert_eq!(t1["status"], "open");
    assert_eq!(t1["overdue"], false);
    assert!(t1["due"].is_string());
    let r = post(
        &w,
        &w.admin,
        "/api/v1/tickets",
        ticket(
            "so-tttt",
            json!({ "title": "Rotate the VPN keys", "due": "2020-01-01T00:00:00Z" }),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["overdue"], true);
    for bad in [
        ticket("nowhere", json!({})),
        ticket("so-tttt", json!({ "due": "tomorrow" })),
        ticket("so-tttt", json!({ "sla_hours": 0 })),
        ticket("so-tttt", json!({ "assignee": "ghost" })),
        ticket("so-tttt", json!({ "title": "" })),
        ticket("so-tttt", json!({ "priority": 1 })),
    ] {
        let r = post(&w, &w.analyst, "/api/v1/tickets", bad.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
    }

    // The agency's officer sees its tickets, moves them along, comments.
    let r = get(&w, &w.tttt, "/api/v1/tickets").await;
    assert_eq!(r.json()["total"], 2);
    let r = get(&w, &w.tttt, "/api/v1/tickets?overdue=true").await;
    assert_eq!(r.json()["total"], 1);
    assert_eq!(r.json()["tickets"][0]["title"], "Rotate the VPN keys");
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/tickets/{t1_id}/comments"),
        json!({ "text": "Patched on web1 and web2." }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/tickets/{t1_id}/status"),
        json!({ "status": "finished" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(
        &w,
        &w.tttt,
        &format!("/api/v1/tickets/{t1_id}/status"),
        json!({ "status": "done" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "done");
    assert_eq!(r.json()["comments"][0]["author"], "tttt");

    // Another agency: not found, not listed, not touched.
    let r = get(&w, &w.yte, &format!("/api/v1/tickets/{t1_id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], format!("ticket {t1_id} not found"));
    assert_eq!(get(&w, &w.yte, "/api/v1/tickets").await.json()["total"], 0);
    let r = post(
        &w,
        &w.yte,
        &format!("/api/v1/tickets/{t1_id}/status"),
        json!({ "status": "cancelled" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = post(
        &w,
        &w.yte,
        &format!("/api/v1/tickets/{t1_id}/comments"),
        json!({ "text": "x" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Auditors read, change nothing.
    assert_eq!(
        get(&w, &w.auditor, &format!("/api/v1/tickets/{t1_id}"))
            .await
            .status,
        StatusCode::OK
    );
    for (uri, body) in [
        (
            format!("/api/v1/tickets/{t1_id}/status"),
            json!({ "status": "open" }),
        ),
        (
            format!("/api/v1/tickets/{t1_id}/comments"),
            json!({ "text": "x" }),
        ),
    ] {
        let r = post(&w, &w.auditor, &uri, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
    }
    let actions = audit_actions(&w).await;
    for a in ["ticket.create", "ticket.status", "ticket.comment"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }

    // Pages: the overdue ticket stands out; the officer works the ticket.
    let (cookie, csrf) = sign_in(&w.app, "officer-tttt").await;
    let r = page_get(&w.app, &cookie, "/tickets").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<tr class=\"overdue\">"), "{}", r.body);
    assert!(r.body.contains("OVERDUE"));
    assert_eq!(r.body.matches("<tr class=\"overdue\">").count(), 1);
    let r = page_get(&w.app, &cookie, "/tickets?lang=vi").await;
    assert!(r.body.contains("QUÁ HẠN"));
    let r = page_get(&w.app, &cookie, &format!("/tickets/{t1_id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Patched on web1 and web2."));
    let uri = format!("/tickets/{t1_id}/status");
    let r = page_post(&w.app, &cookie, &uri, "status=closed").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = page_post(&w.app, &cookie, &uri, &format!("csrf={csrf}&status=closed")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = page_post(
        &w.app,
        &cookie,
        &format!("/tickets/{t1_id}/comments"),
        &format!("csrf={csrf}&text=closing"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = get(&w, &w.tttt, &format!("/api/v1/tickets/{t1_id}")).await;
    assert_eq!(r.json()["status"], "closed");
    assert_eq!(r.json()["comments"][1]["text"], "closing");

    let (yte_cookie, _) = sign_in(&w.app, "officer-yte").await;
    let r = page_get(&w.app, &yte_cookie, &format!("/tickets/{t1_id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = page_get(&w.app, &yte_cookie, "/tickets").await;
    assert!(!r.body.contains("Patch the web portal"));

    // A read-only user gets no forms, and a posted one is refused.
    let (reader, reader_csrf) = sign_in(&w.app, "reader").await;
    let r = page_get(&w.app, &reader, &format!("/tickets/{t1_id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r
        .body
        .contains(&format!("action=\"/tickets/{t1_id}/status\"")));
    let r = page_post(
        &w.app,
        &reader,
        &uri,
        &format!("csrf={reader_csrf}&status=open"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_route_needs_credentials_and_session_posts_need_csrf() {
    let w = world().await;
    let posts = [
        "/api/v1/incidents",
        "/api/v1/incidents/1/status",
        "/api/v1/incidents/1/owner",
        "/api/v1/incidents/1/alerts",
        "/api/v1/incidents/1/observables",
        "/api/v1/incidents/1/comments",
        "/api/v1/incidents/1/tasks",
        "/api/v1/incidents/1/tasks/1",
        "/api/v1/alerts/escalate",
        "/api/v1/tickets",
        "/api/v1/tickets/1/status",
        "/api/v1/tickets/1/comments",
    ];
    let gets = [
        "/api/v1/incidents",
        "/api/v1/incidents/1",
        "/api/v1/tickets",
        "/api/v1/tickets/1",
    ];
    for uri in gets {
        let r = send(&w.app, Request::get(uri).body(Body::empty()).expect("req")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "GET {uri}");
        let r = get(&w, "vdt_not-a-token", uri).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "GET {uri} bad token");
    }
    for uri in posts {
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .expect("req");
        let r = send(&w.app, req).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "POST {uri}");
    }
    // A session without the CSRF header may read but not change.
    let (cookie, _) = sign_in(&w.app, "officer-tttt").await;
    for uri in ["/api/v1/incidents", "/api/v1/tickets"] {
        let r = page_get(&w.app, &cookie, uri).await;
        assert_eq!(r.status, StatusCode::OK, "GET {uri} by session");
    }
    for uri in posts {
        let req = Request::post(uri)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .expect("req");
        let r = send(&w.app, req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "POST {uri} without CSRF");
    }
    // Pages without a session go to the login form.
    for uri in ["/incidents", "/incidents/1", "/tickets", "/tickets/1"] {
        let r = send(&w.app, Request::get(uri).body(Body::empty()).expect("req")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "GET {uri}");
        assert_eq!(r.location.as_deref(), Some("/login"));
    }
    for uri in [
        "/incidents/1/status",
        "/incidents/1/comments",
        "/tickets/1/status",
        "/tickets/1/comments",
    ] {
        let r = page_post(&w.app, "", uri, "csrf=x").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "POST {uri}");
    }
    // Bad ids are a 400, not a crash.
    let r = get(&w, &w.analyst, "/api/v1/incidents/abc").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
