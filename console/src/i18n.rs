//! Every string the pages show, in one table per language.
//!
//! Pages pick a table with [`Lang::negotiate`]: an explicit `?lang=` query
//! parameter wins, then the `vedette_lang` cookie (set when `?lang=` was
//! used), then the `Accept-Language` header, then English.

use vedette_model::Severity;

pub mod cases;

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Vietnamese.
    Vi,
}

impl Lang {
    /// The BCP 47 tag (`en`, `vi`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Vi => "vi",
        }
    }

    /// The language for a tag such as `vi`, `vi-VN` or `en-GB`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("vi") {
            Some(Lang::Vi)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The best language from an `Accept-Language` header value: the
    /// supported tag with the highest quality (the first one on a tie).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(Lang, u16)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let mut q = 1000u16;
            for p in parts {
                if let Some(v) = p.trim().strip_prefix("q=") {
                    q = parse_quality(v).unwrap_or(0);
                }
            }
            if q > 0 && best.is_none_or(|(_, bq)| q > bq) {
                best = Some((lang, q));
            }
        }
        best.map(|(l, _)| l)
    }

    /// Chooses the language: the query parameter, else the cookie, else the
    /// `Accept-Language` header, else English.
    pub fn negotiate(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Lang {
        query
            .and_then(Lang::from_tag)
            .or_else(|| cookie.and_then(Lang::from_tag))
            .or_else(|| accept.and_then(Lang::from_accept_language))
            .unwrap_or_default()
    }

    /// The strings for this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Vi => &VI,
        }
    }
}

/// A quality value (`0`, `0.5`, `1.000`) in thousandths.
fn parse_quality(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    Some((whole + thousandths).min(1000))
}

/// The user-visible strings of the console.
#[derive(Debug)]
pub struct Texts {
    /// Product name in the title bar.
    pub app_name: &'static str,
    /// Navigation: alerts page.
    pub nav_alerts: &'static str,
    /// Navigation: event search.
    pub nav_search: &'static str,
    /// "Signed in as".
    pub signed_in_as: &'static str,
    /// Log out button.
    pub logout: &'static str,
    /// Login page heading and button.
    pub login_title: &'static str,
    /// Username label.
    pub username: &'static str,
    /// Password label.
    pub password: &'static str,
    /// Login button.
    pub login_button: &'static str,
    /// Failed login.
    pub login_failed: &'static str,
    /// Throttled login.
    pub login_throttled: &'static str,
    /// Heading of the alerts page.
    pub recent_alerts: &'static str,
    /// No alerts to show.
    pub no_alerts: &'static str,
    /// Column: event id.
    pub col_id: &'static str,
    /// Column: time.
    pub col_time: &'static str,
    /// Column: severity.
    pub col_severity: &'static str,
    /// Column: rule.
    pub col_rule: &'static str,
    /// Column: host.
    pub col_host: &'static str,
    /// Column: status.
    pub col_status: &'static str,
    /// Column: source address.
    pub col_source: &'static str,
    /// Column: message.
    pub col_message: &'static str,
    /// Label before a parse error.
    pub parse_error: &'static str,
    /// Search box placeholder.
    pub search_placeholder: &'static str,
    /// Search button.
    pub search_button: &'static str,
    /// Label: from (time).
    pub from: &'static str,
    /// Label: to (time).
    pub to: &'static str,
    /// Hint for the time inputs.
    pub time_hint: &'static str,
    /// Heading of the search page.
    pub events: &'static str,
    /// "total" in "N total".
    pub total: &'static str,
    /// No events found.
    pub no_events: &'static str,
    /// Previous page.
    pub prev_page: &'static str,
    /// Next page.
    pub next_page: &'static str,
    /// "Page".
    pub page: &'static str,
    /// "of" in "page 1 of 3".
    pub of: &'static str,
    /// Heading of the alert page.
    pub alert: &'static str,
    /// Label: rule id.
    pub rule_id: &'static str,
    /// Label: tags.
    pub tags: &'static str,
    /// Label: event time.
    pub event_time: &'static str,
    /// Label: alert creation time.
    pub created: &'static str,
    /// Label: the event that matched.
    pub event: &'static str,
    /// Heading of error pages.
    pub error_title: &'static str,
    /// Page not found.
    pub not_found: &'static str,
    /// Forbidden (bad CSRF token).
    pub forbidden: &'static str,
    /// Bad request.
    pub bad_request: &'static str,
    /// Internal error.
    pub internal_error: &'static str,
    /// Note that times are shown in Asia/Ho_Chi_Minh.
    pub timezone_note: &'static str,
    /// Severity names, from informational to critical.
    pub severities: [&'static str; 5],
    /// The incident and ticket pages.
    pub cases: &'static cases::CaseTexts,
}

impl Texts {
    /// The display name of a severity.
    pub fn severity(&self, s: Severity) -> &'static str {
        self.severities[match s {
            Severity::Informational => 0,
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::High => 3,
            Severity::Critical => 4,
        }]
    }
}

/// English.
pub static EN: Texts = Texts {
    app_name: "Vedette",
    nav_alerts: "Alerts",
    nav_search: "Search",
    signed_in_as: "Signed in as",
    logout: "Log out",
    login_title: "Sign in",
    username: "Username",
    password: "Password",
    login_button: "Sign in",
    login_failed: "invalid username or password",
    login_throttled: "too many failed attempts; try again in a few minutes",
    recent_alerts: "Recent alerts",
    no_alerts: "No alerts.",
    col_id: "Id",
    col_time: "Time",
    col_severity: "Severity",
    col_rule: "Rule",
    col_host: "Host",
    col_status: "Status",
    col_source: "Source address",
    col_message: "Message",
    parse_error: "parse error",
    search_placeholder: "search events, e.g. user.name:root AND sshd",
    search_button: "Search",
    from: "From",
    to: "To",
    time_hint: "RFC 3339, or local time (UTC+7) as yyyy-mm-ddThh:mm",
    events: "Events",
    total: "total",
    no_events: "No events match.",
    prev_page: "Previous",
    next_page: "Next",
    page: "Page",
    of: "of",
    alert: "Alert",
    rule_id: "Rule id",
    tags: "Tags",
    event_time: "Event time",
    created: "Raised",
    event: "Event",
    error_title: "Error",
    not_found: "Not found.",
    forbidden: "Forbidden: the form token is missing or invalid. Reload the page and try again.",
    bad_request: "Bad request",
    internal_error: "Internal error.",
    timezone_note: "Times are in Asia/Ho_Chi_Minh (UTC+7).",
    severities: ["informational", "low", "medium", "high", "critical"],
    cases: &cases::EN,
};

/// Vietnamese.
pub static VI: Texts = Texts {
    app_name: "Vedette",
    nav_alerts: "Cảnh báo",
    nav_search: "Tìm kiếm",
    signed_in_as: "Đăng nhập với tên",
    logout: "Đăng xuất",
    login_title: "Đăng nhập",
    username: "Tên đăng nhập",
    password: "Mật khẩu",
    login_button: "Đăng nhập",
    login_failed: "tên đăng nhập hoặc mật khẩu không đúng",
    login_throttled: "quá nhiều lần thử không thành công; vui lòng thử lại sau vài phút",
    recent_alerts: "Cảnh báo gần đây",
    no_alerts: "Không có cảnh báo.",
    col_id: "Mã",
    col_time: "Thời gian",
    col_severity: "Mức độ",
    col_rule: "Quy tắc",
    col_host: "Máy chủ",
    col_status: "Trạng thái",
    col_source: "Địa chỉ nguồn",
    col_message: "Nội dung",
    parse_error: "lỗi phân tích",
    search_placeholder: "tìm sự kiện, ví dụ user.name:root AND sshd",
    search_button: "Tìm",
    from: "Từ",
    to: "Đến",
    time_hint: "RFC 3339, hoặc giờ địa phương (UTC+7) dạng yyyy-mm-ddThh:mm",
    events: "Sự kiện",
    total: "tổng cộng",
    no_events: "Không có sự kiện phù hợp.",
    prev_page: "Trang trước",
    next_page: "Trang sau",
    page: "Trang",
    of: "/",
    alert: "Cảnh báo",
    rule_id: "Mã quy tắc",
    tags: "Nhãn",
    event_time: "Thời điểm sự kiện",
    created: "Thời điểm cảnh báo",
    event: "Sự kiện",
    error_title: "Lỗi",
    not_found: "Không tìm thấy.",
    forbidden:
        "Bị từ chối: mã xác thực biểu mẫu bị thiếu hoặc không hợp lệ. Hãy tải lại trang và thử lại.",
    bad_request: "Yêu cầu không hợp lệ",
    internal_error: "Lỗi hệ thống.",
    timezone_note: "Thời gian theo giờ Asia/Ho_Chi_Minh (UTC+7).",
    severities: ["thông tin", "thấp", "trung bình", "cao", "nghiêm trọng"],
    cases: &cases::VI,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("vi-VN,vi;q=0.9,en;q=0.8"),
            Some(Lang::Vi)
        );
        assert_eq!(Lang::from_accept_language("en-US,vi;q=0.5"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("fr, vi;q=0.7, en;q=0.3"),
            Some(Lang::Vi)
        );
        assert_eq!(
            Lang::from_accept_language("vi;q=0, en;q=0.1"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("fr-FR"), None);
        assert_eq!(Lang::from_accept_language("vi;q=garbage"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn negotiation_order() {
        assert_eq!(
            Lang::negotiate(Some("vi"), Some("en"), Some("en")),
            Lang::Vi
        );
        assert_eq!(
            Lang::negotiate(Some("xx"), Some("vi"), Some("en")),
            Lang::Vi
        );
        assert_eq!(Lang::negotiate(None, None, Some("vi")), Lang::Vi);
        assert_eq!(Lang::negotiate(None, None, None), Lang::En);
    }

    #[test]
    fn tables_agree() {
        assert_eq!(EN.severity(Severity::Critical), "critical");
        assert_eq!(VI.severity(Severity::Low), "thấp");
    }
}
