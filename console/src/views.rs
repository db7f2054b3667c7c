//! Page templates (askama, auto-escaped) and the helpers that turn alerts
//! and events into display rows. Every value shown is escaped by askama:
//! events carry attacker-controlled text.

use askama::Template;
use serde_json::Value;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use vedette_model::Alert;

use crate::i18n::{Lang, Texts};

/// The zone pages show times in: Asia/Ho_Chi_Minh (UTC+7, no daylight
/// saving).
pub(crate) const DISPLAY_OFFSET: UtcOffset = offset!(+7);

/// Longest message shown in a table cell, in characters.
const MAX_CELL_CHARS: usize = 2000;

/// A time as `dd/mm/yyyy HH:MM:SS` in Asia/Ho_Chi_Minh.
pub(crate) fn display_time(t: OffsetDateTime) -> String {
    let fmt = format_description!("[day]/[month]/[year] [hour]:[minute]:[second]");
    t.to_offset(DISPLAY_OFFSET)
        .format(&fmt)
        .unwrap_or_else(|_| vedette_model::fmt_time(t))
}

/// Parses a time typed into a page: RFC 3339, or a local time in
/// Asia/Ho_Chi_Minh as `yyyy-mm-ddTHH:MM[:SS]` (what a `datetime-local`
/// input sends; a space may replace the `T`).
pub(crate) fn parse_page_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Some(t) = vedette_model::parse_time(s) {
        return Some(t);
    }
    let s = s.replacen(' ', "T", 1);
    let with_secs = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let without = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(&s, &with_secs)
        .or_else(|_| PrimitiveDateTime::parse(&s, &without))
        .ok()
        .map(|p| p.assume_offset(DISPLAY_OFFSET))
}

/// At most `max` characters of `s`, with an ellipsis when cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Makes attacker-controlled text safe to look at (HTML escaping is
/// askama's job): C0 control characters and DEL become their Unicode
/// control pictures (`␁`), and bidirectional overrides, which can make a
/// log line read differently from what it contains, become `�`.
pub(crate) fn visible(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '\u{fffd}',
            _ => c,
        })
        .collect()
}

/// Percent-encodes a query-string component.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What every page's layout needs.
#[derive(Debug, Clone)]
pub(crate) struct PageCtx {
    pub(crate) t: &'static Texts,
    pub(crate) lang: &'static str,
    /// The signed-in user's name, `None` on the login and error pages.
    pub(crate) user: Option<String>,
    /// The session's CSRF token for the logout form.
    pub(crate) csrf: String,
}

impl PageCtx {
    pub(crate) fn anonymous(lang: Lang) -> Self {
        PageCtx {
            t: lang.texts(),
            lang: lang.code(),
            user: None,
            csrf: String::new(),
        }
    }

    pub(crate) fn signed_in(lang: Lang, user: &str, csrf: &str) -> Self {
        PageCtx {
            t: lang.texts(),
            lang: lang.code(),
            user: Some(user.to_string()),
            csrf: csrf.to_string(),
        }
    }
}

/// Previous/next links.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pager {
    pub(crate) page: u64,
    pub(crate) pages: u64,
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
}

impl Pager {
    /// A pager for `total` items shown `per_page` at a time, at most
    /// `max_page` pages deep; `href(n)` is the link to page `n`.
    pub(crate) fn new(
        page: u64,
        per_page: u64,
        total: u64,
        max_page: u64,
        href: impl Fn(u64) -> String,
    ) -> Self {
        let pages = total.div_ceil(per_page.max(1)).clamp(1, max_page.max(1));
        Pager {
            page,
            pages,
            prev: (page > 1).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
        }
    }
}

/// A row of the alerts table.
#[derive(Debug, Clone)]
pub(crate) struct AlertRow {
    pub(crate) id: i64,
    pub(crate) time: String,
    pub(crate) severity: &'static str,
    pub(crate) severity_class: &'static str,
    pub(crate) title: String,
    pub(crate) host: String,
    pub(crate) status: String,
}

impl AlertRow {
    pub(crate) fn new(a: &Alert, t: &Texts) -> Self {
        AlertRow {
            id: a.id,
            time: display_time(a.alert.event_time),
            severity: t.severity(a.alert.severity),
            severity_class: a.alert.severity.as_str(),
            title: visible(&a.alert.rule_title),
            host: visible(a.alert.host.as_deref().unwrap_or_default()),
            status: a.status.clone(),
        }
    }
}

/// A row of the events table, from an event's JSON.
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub(crate) id: String,
    pub(crate) time: String,
    pub(crate) host: String,
    pub(crate) source: String,
    pub(crate) message: String,
    pub(crate) error: Option<String>,
}

fn json_text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl EventRow {
    pub(crate) fn new(ev: &Value) -> Self {
        let time = json_text(ev, "@timestamp")
            .map(|s| vedette_model::parse_time(&s).map(display_time).unwrap_or(s))
            .unwrap_or_default();
        // The address the activity came from (ECS `source.*`), else the
        // peer that sent the log.
        let source = ["source.ip", "source.address", "log.source.address"]
            .iter()
            .find_map(|k| json_text(ev, k))
            .unwrap_or_default();
        let message = json_text(ev, "message")
            .or_else(|| json_text(ev, "event.original"))
            .unwrap_or_default();
        let cell = |s: &str, max: usize| visible(&truncate_chars(s, max));
        EventRow {
            id: json_text(ev, "event.id").unwrap_or_default(),
            time: cell(&time, 64),
            host: cell(&json_text(ev, "host.name").unwrap_or_default(), 256),
            source: cell(&source, 256),
            message: cell(&message, MAX_CELL_CHARS),
            error: json_text(ev, "error.message").map(|e| cell(&e, MAX_CELL_CHARS)),
        }
    }
}

/// `GET /login`.
#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub(crate) page: PageCtx,
    pub(crate) login_csrf: String,
    pub(crate) username: String,
    pub(crate) error: Option<&'static str>,
}

/// `GET /`.
#[derive(Template)]
#[template(path = "alerts.html")]
pub(crate) struct AlertsPage {
    pub(crate) page: PageCtx,
    /// Texts of the alert actions.
    pub(crate) act: &'static crate::alert_actions::ActionTexts,
    /// Whether the user may act (not an auditor).
    pub(crate) can_write: bool,
    /// Whether new alerts stream in (the first page).
    pub(crate) live: bool,
    /// The highest alert id when the page was made: the stream starts there.
    pub(crate) last_id: i64,
    pub(crate) total: u64,
    pub(crate) rows: Vec<AlertRow>,
    pub(crate) pager: Pager,
    /// The queue's filters as given.
    pub(crate) f: QueueFilters,
}

/// `GET /?view=groups`: repeats of a rule on a host as one row.
#[derive(Template)]
#[template(path = "alert_groups.html")]
pub(crate) struct AlertGroupsPage {
    pub(crate) page: PageCtx,
    pub(crate) act: &'static crate::alert_actions::ActionTexts,
    pub(crate) rows: Vec<GroupRow>,
}

/// One group of repeats.
#[derive(Debug, Clone)]
pub(crate) struct GroupRow {
    pub(crate) title: String,
    pub(crate) host: String,
    pub(crate) count: u64,
    pub(crate) severity_class: &'static str,
    pub(crate) first: String,
    pub(crate) latest: String,
    pub(crate) href: String,
}

/// The alert queue's filter form values.
#[derive(Debug, Clone, Default)]
pub(crate) struct QueueFilters {
    pub(crate) severity: String,
    pub(crate) status: String,
    pub(crate) rule_id: String,
    pub(crate) host: String,
    pub(crate) organization: String,
    pub(crate) user: String,
    pub(crate) sort: String,
}

/// `GET /search`.
#[derive(Template)]
#[template(path = "search.html")]
pub(crate) struct SearchPage {
    pub(crate) page: PageCtx,
    pub(crate) q: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) error: Option<String>,
    pub(crate) total: u64,
    pub(crate) rows: Vec<EventRow>,
    pub(crate) pager: Pager,
}

/// `GET /alerts/{id}`.
#[derive(Template)]
#[template(path = "alert.html")]
pub(crate) struct AlertPage {
    pub(crate) page: PageCtx,
    /// Who works the alert.
    pub(crate) assignee: String,
    /// Texts of the alert actions.
    pub(crate) act: &'static crate::alert_actions::ActionTexts,
    /// Whether the user may act (not an auditor).
    pub(crate) can_write: bool,
    pub(crate) row: AlertRow,
    pub(crate) rule_id: String,
    pub(crate) tags: String,
    pub(crate) created: String,
    pub(crate) event_json: String,
}

/// Error pages.
#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub(crate) page: PageCtx,
    pub(crate) message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_ho_chi_minh() {
        let t = vedette_model::parse_time("2026-11-24T20:05:09Z");
        assert_eq!(t.map(display_time).as_deref(), Some("25/11/2026 03:05:09"));
        let local = parse_page_time("2026-11-25T03:05");
        assert_eq!(local, t.map(|t| t - time::Duration::seconds(9)));
        assert_eq!(parse_page_time("2026-11-25 03:05:09"), t);
        assert_eq!(parse_page_time("2026-11-24T20:05:09Z"), t);
        assert_eq!(parse_page_time("last tuesday"), None);
    }

    #[test]
    fn truncation_respects_chars() {
        assert_eq!(truncate_chars("héllo", 2), "hé…");
        assert_eq!(truncate_chars("hi", 2), "hi");
    }

    #[test]
    fn controls_are_made_visible() {
        assert_eq!(
            visible("a\u{1}b\u{1b}[31m\tc\u{7f}"),
            "a\u{2401}b\u{241b}[31m\tc\u{2421}"
        );
        assert_eq!(visible("x\u{202e}gpj.exe"), "x\u{fffd}gpj.exe");
    }

    #[test]
    fn encoding() {
        assert_eq!(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn pager_links() {
        let p = Pager::new(2, 50, 120, 200, |n| format!("?page={n}"));
        assert_eq!(p.pages, 3);
        assert_eq!(p.prev.as_deref(), Some("?page=1"));
        assert_eq!(p.next.as_deref(), Some("?page=3"));
        let p = Pager::new(1, 50, 0, 200, |n| format!("?page={n}"));
        assert_eq!((p.pages, p.prev, p.next), (1, None, None));
    }

    #[test]
    fn event_rows() {
        let ev = serde_json::json!({
            "@timestamp": "2026-01-01T00:00:00.000Z",
            "event.id": "9",
            "host.name": "web1",
            "log.source.address": "10.0.0.1:514",
            "message": "boom",
            "error.message": "no parser",
        });
        let r = EventRow::new(&ev);
        assert_eq!(r.time, "01/01/2026 07:00:00");
        assert_eq!(r.source, "10.0.0.1:514");
        assert_eq!(r.error.as_deref(), Some("no parser"));
    }
}
