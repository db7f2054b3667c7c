//! Rule management through the API: the loaded rules with their switch
//! and their hit counts, and switching a rule off or on. The console does
//! not know the detection engine: the binary hands it a [`RuleCatalog`].

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use vedette_model::Severity;
use vedette_store::{NewAudit, Principal, Role, RuleHits, RuleSetting, Scope};

use crate::api::{check_limit, text_param, ApiJson, ApiPath, ApiQuery};
use crate::auth::{Authenticated, ClientIp};
use crate::{ApiError, Shared};

/// A loaded rule, as the engine describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleEntry {
    /// The id alerts carry as `rule_id`.
    pub id: String,
    /// The title.
    pub title: String,
    /// `detection` or `correlation`.
    pub kind: &'static str,
    /// The level.
    pub level: Severity,
    /// The Sigma log source (`product/category/service`).
    pub logsource: String,
    /// The tags.
    pub tags: Vec<String>,
    /// The file it came from.
    pub path: String,
}

/// The running rule set, as the console sees it.
pub trait RuleCatalog: Send + Sync {
    /// Every loaded rule.
    fn rules(&self) -> Arc<[RuleEntry]>;
    /// Makes the running pipeline raise (or stop raising) alerts for a rule.
    fn set_enabled(&self, rule_id: &str, enabled: bool);
}

/// A catalog of fixed rules with a shared set of disabled rule ids: what
/// the binary gives the console, and what the pipeline reads.
#[derive(Debug, Clone, Default)]
pub struct StaticCatalog {
    rules: Arc<RwLock<Arc<[RuleEntry]>>>,
    disabled: Arc<RwLock<HashSet<String>>>,
}

impl StaticCatalog {
    /// A catalog of `rules`, with `disabled` shared with the pipeline.
    pub fn new(rules: Vec<RuleEntry>, disabled: Arc<RwLock<HashSet<String>>>) -> Self {
        StaticCatalog {
            rules: Arc::new(RwLock::new(rules.into())),
            disabled,
        }
    }

    /// Replaces the listed rules (the binary reloaded its rule files).
    pub fn replace(&self, rules: Vec<RuleEntry>) {
        if let Ok(mut r) = self.rules.write() {
            *r = rules.into();
        }
    }
}

impl RuleCatalog for StaticCatalog {
    fn rules(&self) -> Arc<[RuleEntry]> {
        self.rules
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|_| Arc::from(Vec::new()))
    }

    fn set_enabled(&self, rule_id: &str, enabled: bool) {
        if let Ok(mut d) = self.disabled.write() {
            if enabled {
                d.remove(rule_id);
            } else {
                d.insert(rule_id.to_string());
            }
        }
    }
}

/// The rule routes (nested under `/api/v1`).
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/rules", get(list_rules))
        .route("/rules/{id}", get(get_rule))
        .route("/rules/{id}/enabled", post(set_enabled))
}

/// A rule as the API lists it.
#[derive(Debug, Serialize)]
struct RuleView<'a> {
    #[serde(flatten)]
    rule: &'a RuleEntry,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed: Option<&'a RuleSetting>,
    hits: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    last_hit: Option<time::OffsetDateTime>,
}

fn view<'a>(
    rule: &'a RuleEntry,
    settings: &'a std::collections::HashMap<String, RuleSetting>,
    hits: &std::collections::HashMap<String, RuleHits>,
) -> RuleView<'a> {
    let changed = settings.get(&rule.id);
    let h = hits.get(&rule.id);
    RuleView {
        rule,
        enabled: changed.is_none_or(|c| c.enabled),
        changed,
        hits: h.map_or(0, |h| h.hits),
        last_hit: h.map(|h| h.last_hit),
    }
}

/// Query parameters of `GET /rules`.
#[derive(Debug, Default, Deserialize)]
struct RuleParams {
    /// Text in the id, title, tags or log source (case ignored).
    q: Option<String>,
    kind: Option<String>,
    enabled: Option<bool>,
    limit: Option<u32>,
    offset: Option<u64>,
}

async fn list_rules(
    who: Authenticated,
    State(s): State<Shared>,
    ApiQuery(p): ApiQuery<RuleParams>,
) -> Result<Json<Value>, ApiError> {
    let limit = check_limit(p.limit)? as usize;
    let offset = usize::try_from(p.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let q = text_param("q", p.q)?.map(|q| q.to_lowercase());
    let kind = text_param("kind", p.kind)?;
    let rules = s.app.rules.rules();
    let settings = s.app.store.rule_settings().await?;
    let hits = s.app.store.rule_hits(&who.principal.scope).await?;
    let matching: Vec<RuleView<'_>> = rules
        .iter()
        .filter(|r| kind.as_deref().is_none_or(|k| r.kind == k))
        .filter(|r| {
            q.as_deref().is_none_or(|q| {
                r.id.to_lowercase().contains(q)
                    || r.title.to_lowercase().contains(q)
                    || r.logsource.contains(q)
                    || r.tags.iter().any(|t| t.to_lowercase().contains(q))
            })
        })
        .map(|r| view(r, &settings, &hits))
        .filter(|v| p.enabled.is_none_or(|e| v.enabled == e))
        .collect();
    let total = matching.len();
    let page: Vec<&RuleView<'_>> = matching.iter().skip(offset).take(limit).collect();
    Ok(Json(json!({ "total": total, "rules": page })))
}

async fn get_rule(
    who: Authenticated,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let rules = s.app.rules.rules();
    let rule = rules
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ApiError::not_found("rule", &id))?;
    let settings = s.app.store.rule_settings().await?;
    let hits = s.app.store.rule_hits(&who.principal.scope).await?;
    Ok(Json(json!(view(rule, &settings, &hits))))
}

/// Body of `POST /rules/{id}/enabled`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Switch {
    enabled: bool,
    #[serde(default)]
    reason: Option<String>,
}

/// Rules apply to every agency: only province-wide administrators and
/// analysts switch them.
fn may_switch(who: &Principal) -> Result<(), ApiError> {
    if matches!(who.role, Role::Admin | Role::Analyst) && who.scope == Scope::All {
        Ok(())
    } else {
        Err(ApiError::denied(
            "only province-wide administrators and analysts switch rules",
        ))
    }
}

async fn set_enabled(
    who: Authenticated,
    ClientIp(ip): ClientIp,
    State(s): State<Shared>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Switch>,
) -> Result<Json<Value>, ApiError> {
    may_switch(&who.principal)?;
    let rules = s.app.rules.rules();
    if !rules.iter().any(|r| r.id == id) {
        return Err(ApiError::not_found("rule", &id));
    }
    let reason = text_param("reason", body.reason)?;
    s.app
        .store
        .set_rule_enabled(&id, body.enabled, &who.principal.name)
        .await?;
    s.app.rules.set_enabled(&id, body.enabled);
    let target = format!("rule:{id}");
    let detail = format!(
        "{}{}",
        if body.enabled { "enabled" } else { "disabled" },
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
    let ip = ip.map(|i| i.to_string());
    let mut e = NewAudit::by(&who.principal, "rule.switch");
    e.target = Some(&target);
    e.detail = &detail;
    e.source = ip.as_deref();
    s.app.store.audit(&e).await?;
    Ok(Json(json!({ "id": id, "enabled": body.enabled })))
}
