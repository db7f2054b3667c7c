//! The OpenAPI 3.0 document of the JSON API, served at `/api/openapi.json`.
//!
//! Written here, beside the routes, as data: one entry per operation. The
//! console's tests check that every documented path answers (and is not a
//! 404 for want of a route), so the document cannot silently drift from
//! the router.

use serde_json::{json, Map, Value};

/// A query or path parameter.
struct Param {
    name: &'static str,
    place: &'static str,
    schema: Value,
    description: &'static str,
}

fn q(name: &'static str, schema: Value, description: &'static str) -> Param {
    Param {
        name,
        place: "query",
        schema,
        description,
    }
}

fn path_id(schema: Value) -> Param {
    Param {
        name: "id",
        place: "path",
        schema,
        description: "the record's id",
    }
}

fn int() -> Value {
    json!({"type": "integer", "format": "int64", "minimum": 0})
}

fn limit() -> Param {
    q(
        "limit",
        json!({"type": "integer", "minimum": 1, "maximum": 1000}),
        "page size (default 50)",
    )
}

fn offset() -> Param {
    q("offset", int(), "how many to skip")
}

fn text(max: u32) -> Value {
    json!({"type": "string", "maxLength": max})
}

/// One operation: method, path, tag, summary, parameters, request body
/// schema, success status.
struct Op {
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    params: Vec<Param>,
    body: Option<Value>,
    ok: &'static str,
}

fn op(method: &'static str, path: &'static str, tag: &'static str, summary: &'static str) -> Op {
    Op {
        method,
        path,
        tag,
        summary,
        params: Vec::new(),
        body: None,
        ok: "200",
    }
}

impl Op {
    fn params(mut self, p: Vec<Param>) -> Op {
        self.params = p;
        self
    }
    fn body(mut self, schema: Value) -> Op {
        self.body = Some(schema);
        self
    }
    fn created(mut self) -> Op {
        self.ok = "201";
        self
    }
}

fn object(required: &[&str], props: Value) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": props,
    })
}

fn operations() -> Vec<Op> {
    let status = json!({"type": "string", "enum": crate::api::ALERT_STATUSES});
    let severity =
        json!({"type": "string", "enum": ["informational", "low", "medium", "high", "critical"]});
    vec![
        op(
            "get",
            "/api/v1/alerts",
            "alerts",
            "Alerts in scope, newest first",
        )
        .params(vec![
            limit(),
            offset(),
            q("severity", severity.clone(), "minimum severity"),
            q("status", text(32), "workflow status"),
            q("rule_id", text(4096), "raised by this rule"),
            q("host", text(4096), "about this host.name"),
            q("organization", text(64), "only this organization (within the caller's)"),
            q("user", text(4096), "about this account (the event's user.name)"),
            q(
                "sort",
                json!({"type": "string", "enum": ["newest", "oldest", "severity"]}),
                "order (default newest)",
            ),
        ]),
        op(
            "get",
            "/api/v1/alerts/{id}",
            "alerts",
            "One alert with its event",
        )
        .params(vec![path_id(int())]),
        op(
            "post",
            "/api/v1/alerts/{id}/status",
            "alerts",
            "Change an alert's status (audited)",
        )
        .params(vec![path_id(int())])
        .body(object(
            &["status"],
            json!({"status": status, "reason": text(4096)}),
        )),
        op(
            "post",
            "/api/v1/alerts/{id}/assign",
            "alerts",
            "Assign an alert to a user, or unassign it (audited)",
        )
        .params(vec![path_id(int())])
        .body(object(
            &["assignee"],
            json!({"assignee": {"type": "string", "maxLength": 64, "nullable": true}}),
        )),
        op(
            "post",
            "/api/v1/alerts/bulk",
            "alerts",
            "Change the status of many alerts (audited)",
        )
        .body(object(
            &["alert_ids", "status"],
            json!({
                "alert_ids": {"type": "array", "items": int(), "minItems": 1, "maxItems": 5000},
                "status": status,
                "reason": text(4096),
            }),
        )),
        op(
            "get",
            "/api/v1/dashboard",
            "alerts",
            "Overview in scope: events in the last hour, alerts per hour by severity, top rules and hosts, open incidents, posture per agency",
        ),
        op(
            "get",
            "/api/v1/alerts/stream",
            "alerts",
            "New alerts in scope as server-sent events (text/event-stream; event `alert`, id = alert id; honours Last-Event-ID)",
        )
        .params(vec![q(
            "after",
            int(),
            "only alerts with a higher id (default: the newest now)",
        )]),
        op(
            "get",
            "/api/v1/alerts/groups",
            "alerts",
            "Repeats of a rule on a host as one row",
        )
        .params(vec![q("status", text(32), "only this status"), limit()]),
        op(
            "get",
            "/api/v1/suppressions",
            "alerts",
            "Suppressions in force",
        ),
        op(
            "post",
            "/api/v1/suppressions",
            "alerts",
            "Silence similar alerts for a period (audited)",
        )
        .body(object(
            &["rule_id", "reason", "hours"],
            json!({
                "rule_id": {"type": "string", "minLength": 1, "maxLength": 256},
                "host": text(4096),
                "organization": text(64),
                "reason": {"type": "string", "minLength": 1, "maxLength": 4096},
                "hours": {"type": "integer", "minimum": 1, "maximum": 2160},
            }),
        ))
        .created(),
        op(
            "post",
            "/api/v1/suppressions/{id}/lift",
            "alerts",
            "End a suppression early (audited)",
        )
        .params(vec![path_id(int())]),
        op(
            "get",
            "/api/v1/events",
            "events",
            "Search events, newest first",
        )
        .params(vec![
            q(
                "q",
                text(4096),
                "query: words, \"phrases\", field:value, AND/OR/NOT",
            ),
            q(
                "from",
                json!({"type": "string", "format": "date-time"}),
                "at or after (RFC 3339)",
            ),
            q(
                "to",
                json!({"type": "string", "format": "date-time"}),
                "before (RFC 3339)",
            ),
            limit(),
            offset(),
        ]),
        op(
            "get",
            "/api/v1/events/{id}",
            "events",
            "One event by id (spool sequence number)",
        )
        .params(vec![path_id(int())]),
        op(
            "get",
            "/api/v1/me",
            "identity",
            "Who the caller is, its organization and scope",
        ),
        op(
            "post",
            "/api/v1/me/password",
            "identity",
            "Change one's own password (ends all one's sessions; audited)",
        )
        .body(object(
            &["current", "new"],
            json!({
                "current": {"type": "string", "maxLength": 1024},
                "new": {"type": "string", "minLength": 12, "maxLength": 1024},
            }),
        )),
        op(
            "post",
            "/api/v1/me/language",
            "identity",
            "Choose the console language for every browser (en, vi)",
        )
        .body(object(
            &["lang"],
            json!({"lang": {"type": "string", "enum": ["en", "vi"]}}),
        )),
        op(
            "get",
            "/api/v1/organizations",
            "identity",
            "Organizations in scope",
        ),
        op(
            "post",
            "/api/v1/organizations",
            "identity",
            "Create an organization (admin; audited)",
        )
        .body(object(
            &["slug", "name"],
            json!({
                "slug": {"type": "string", "pattern": "^[a-z0-9._-]{1,64}$"},
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "parent": text(64),
            }),
        ))
        .created(),
        op("get", "/api/v1/users", "identity", "Users (admin)"),
        op(
            "post",
            "/api/v1/users",
            "identity",
            "Create a user (admin; audited)",
        )
        .body(object(
            &["name", "password", "role"],
            json!({
                "name": {"type": "string", "minLength": 1, "maxLength": 64},
                "password": {"type": "string", "minLength": 12, "maxLength": 1024},
                "role": {"type": "string", "enum": ["admin", "analyst", "officer", "auditor"]},
                "organization": text(64),
            }),
        ))
        .created(),
        op(
            "get",
            "/api/v1/audit",
            "identity",
            "The audit log, newest first (admin, auditor)",
        )
        .params(vec![limit(), offset()]),
        op(
            "get",
            "/api/v1/rules",
            "rules",
            "Loaded rules with switch and hit counts",
        )
        .params(vec![
            q("q", text(4096), "text in id, title, tags or log source"),
            q(
                "kind",
                json!({"type": "string", "enum": ["detection", "correlation"]}),
                "rule kind",
            ),
            q(
                "enabled",
                json!({"type": "boolean"}),
                "only enabled or disabled rules",
            ),
            limit(),
            offset(),
        ]),
        op("get", "/api/v1/rules/{id}", "rules", "One rule")
            .params(vec![path_id(json!({"type": "string", "maxLength": 256}))]),
        op(
            "post",
            "/api/v1/rules/{id}/enabled",
            "rules",
            "Switch a rule on or off (audited)",
        )
        .params(vec![path_id(json!({"type": "string", "maxLength": 256}))])
        .body(object(
            &["enabled"],
            json!({"enabled": {"type": "boolean"}, "reason": text(4096)}),
        )),
        op("get", "/api/v1/incidents", "cases", "Incidents in scope, newest first").params(vec![
            limit(),
            offset(),
            q("status", text(32), "only this status"),
            q("organization", text(64), "only this organization"),
        ]),
        op("post", "/api/v1/incidents", "cases", "Open an incident (audited)")
            .body(object(
                &["title"],
                json!({
                    "title": {"type": "string", "minLength": 1, "maxLength": 200},
                    "description": text(10000),
                    "severity": severity.clone(),
                    "organization": text(64),
                    "owner": text(64),
                }),
            ))
            .created(),
        op("get", "/api/v1/incidents/{id}", "cases", "An incident with alerts, observables, comments, tasks, timeline and ATT&CK")
            .params(vec![path_id(int())]),
        op("post", "/api/v1/incidents/{id}/status", "cases", "Move an incident (closing needs a resolution; audited)")
            .params(vec![path_id(int())])
            .body(object(
                &["status"],
                json!({
                    "status": {"type": "string", "enum": vedette_store::INCIDENT_STATUSES},
                    "resolution": text(10000),
                }),
            )),
        op("post", "/api/v1/incidents/{id}/owner", "cases", "Set or clear the owner (audited)")
            .params(vec![path_id(int())])
            .body(object(&["owner"], json!({"owner": {"type": "string", "maxLength": 64, "nullable": true}}))),
        op("post", "/api/v1/incidents/{id}/alerts", "cases", "Link alerts (audited)")
            .params(vec![path_id(int())])
            .body(object(
                &["alert_ids"],
                json!({"alert_ids": {"type": "array", "items": int(), "minItems": 1, "maxItems": 1000}}),
            )),
        op("post", "/api/v1/incidents/{id}/observables", "cases", "Add an observable (audited)")
            .params(vec![path_id(int())])
            .body(object(
                &["kind", "value"],
                json!({
                    "kind": {"type": "string", "enum": vedette_store::OBSERVABLE_KINDS},
                    "value": {"type": "string", "minLength": 1, "maxLength": 2048},
                }),
            ))
            .created(),
        op("post", "/api/v1/incidents/{id}/comments", "cases", "Comment (audited)")
            .params(vec![path_id(int())])
            .body(object(&["text"], json!({"text": {"type": "string", "minLength": 1, "maxLength": 10000}})))
            .created(),
        op("post", "/api/v1/incidents/{id}/tasks", "cases", "Add a task (audited)")
            .params(vec![path_id(int())])
            .body(object(&["title"], json!({"title": {"type": "string", "minLength": 1, "maxLength": 200}})))
            .created(),
        op("post", "/api/v1/incidents/{id}/tasks/{task}", "cases", "Mark a task done or not (audited)")
            .params(vec![
                path_id(int()),
                Param { name: "task", place: "path", schema: int(), description: "the task's id" },
            ])
            .body(object(&["done"], json!({"done": {"type": "boolean"}}))),
        op("post", "/api/v1/alerts/escalate", "cases", "Escalate alerts into a new or existing incident (audited)")
            .body(object(
                &["alert_ids"],
                json!({
                    "alert_ids": {"type": "array", "items": int(), "minItems": 1, "maxItems": 1000},
                    "incident_id": int(),
                }),
            ))
            .created(),
        op("get", "/api/v1/tickets", "cases", "Tickets in scope, newest first").params(vec![
            limit(),
            offset(),
            q("status", text(32), "only this status"),
            q("organization", text(64), "only this organization"),
            q("overdue", json!({"type": "boolean"}), "only overdue tickets"),
        ]),
        op("post", "/api/v1/tickets", "cases", "Hand a ticket to an agency (province-wide analysts and admins; audited)")
            .body(object(
                &["title", "organization"],
                json!({
                    "title": {"type": "string", "minLength": 1, "maxLength": 200},
                    "description": text(10000),
                    "organization": {"type": "string", "minLength": 1, "maxLength": 64},
                    "assignee": text(64),
                    "due": {"type": "string", "format": "date-time"},
                    "sla_hours": {"type": "integer", "minimum": 1, "maximum": 8784},
                    "incident_id": int(),
                }),
            ))
            .created(),
        op("get", "/api/v1/tickets/{id}", "cases", "A ticket with its comments")
            .params(vec![path_id(int())]),
        op("post", "/api/v1/tickets/{id}/status", "cases", "Move a ticket (the agency's officer may; audited)")
            .params(vec![path_id(int())])
            .body(object(
                &["status"],
                json!({"status": {"type": "string", "enum": vedette_store::TICKET_STATUSES}}),
            )),
        op("post", "/api/v1/tickets/{id}/comments", "cases", "Comment on a ticket (audited)")
            .params(vec![path_id(int())])
            .body(object(&["text"], json!({"text": {"type": "string", "minLength": 1, "maxLength": 10000}})))
            .created(),
    ]
}

/// The document.
pub(crate) fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for o in operations() {
        let params: Vec<Value> = o
            .params
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "in": p.place,
                    "required": p.place == "path",
                    "schema": p.schema,
                    "description": p.description,
                })
            })
            .collect();
        let mut responses = Map::new();
        responses.insert(
            o.ok.into(),
            json!({"description": "success", "content": {"application/json": {"schema": {"type": "object"}}}}),
        );
        for (code, what) in [
            ("400", "bad input: the reason says what"),
            ("401", "no valid credentials"),
            (
                "403",
                "the role may not, or a session call lacks X-CSRF-Token",
            ),
            (
                "404",
                "no such record (or not in the caller's organizations)",
            ),
        ] {
            responses.insert(
                code.into(),
                json!({"description": what, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
            );
        }
        if o.method == "post" {
            responses.insert(
                "409".into(),
                json!({"description": "already exists", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
            );
        }
        let mut operation = json!({
            "tags": [o.tag],
            "summary": o.summary,
            "parameters": params,
            "responses": responses,
        });
        if let Some(b) = o.body {
            operation["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": b}}});
        }
        let entry = paths.entry(o.path.to_string()).or_insert_with(|| json!({}));
        entry[o.method] = operation;
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Vedette API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The JSON API of the Vedette SOC console. Every answer is limited to the caller's organizations. Errors are {\"error\": reason}.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "an API token (vdt_...) from `vedette token create`"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            },
        },
    })
}

/// Every documented (method, path), as written (with `{id}` placeholders).
pub fn paths() -> Vec<(&'static str, &'static str)> {
    operations().iter().map(|o| (o.method, o.path)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_well_formed() {
        let d = document();
        assert_eq!(d["openapi"], "3.0.3");
        let paths = d["paths"].as_object().expect("paths");
        assert!(paths.len() >= 15);
        for (p, item) in paths {
            assert!(p.starts_with("/api/v1/"), "{p}");
            for (method, op) in item.as_object().expect("item") {
                assert!(matches!(method.as_str(), "get" | "post"), "{p} {method}");
                assert!(op["responses"]["401"].is_object(), "{p}");
                let declared: Vec<String> = op["parameters"]
                    .as_array()
                    .expect("params")
                    .iter()
                    .filter(|x| x["in"] == "path")
                    .filter_map(|x| x["name"].as_str())
                    .map(|n| format!("{{{n}}}"))
                    .collect();
                let placeholders: Vec<String> = p
                    .split('/')
                    .filter(|seg| seg.starts_with('{'))
                    .map(str::to_string)
                    .collect();
                assert_eq!(declared, placeholders, "{p}");
            }
        }
        assert_eq!(paths.len(), {
            let mut u: Vec<&str> = super::paths().iter().map(|(_, p)| *p).collect();
            u.dedup();
            u.len()
        });
    }
}
