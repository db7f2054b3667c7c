//! The strings of the incident and ticket pages, in one table per language
//! (reached from [`super::Texts::cases`]).

use vedette_store::{INCIDENT_STATUSES, TICKET_STATUSES};

/// The user-visible strings of the incident and ticket pages.
#[derive(Debug)]
pub struct CaseTexts {
    /// Navigation: incidents.
    pub nav_incidents: &'static str,
    /// Navigation: tickets.
    pub nav_tickets: &'static str,
    /// Heading of the incident list.
    pub incidents: &'static str,
    /// "Incident" (detail page heading).
    pub incident: &'static str,
    /// Heading of the ticket list.
    pub tickets: &'static str,
    /// "Ticket" (detail page heading).
    pub ticket: &'static str,
    /// No incidents to show.
    pub no_incidents: &'static str,
    /// No tickets to show.
    pub no_tickets: &'static str,
    /// Column: title.
    pub col_title: &'static str,
    /// Column: organization.
    pub col_organization: &'static str,
    /// Column: owner.
    pub col_owner: &'static str,
    /// Column: number of alerts.
    pub col_alerts: &'static str,
    /// Column: last change.
    pub col_updated: &'static str,
    /// Column: due date.
    pub col_due: &'static str,
    /// Column: assignee.
    pub col_assignee: &'static str,
    /// Label: description.
    pub description: &'static str,
    /// Label: resolution.
    pub resolution: &'static str,
    /// Hint: closing needs a resolution.
    pub resolution_hint: &'static str,
    /// Heading: linked alerts.
    pub alerts: &'static str,
    /// Heading: observables.
    pub observables: &'static str,
    /// Heading: comments.
    pub comments: &'static str,
    /// Heading: tasks.
    pub tasks: &'static str,
    /// Heading: timeline.
    pub timeline: &'static str,
    /// Heading: MITRE ATT&CK.
    pub attack: &'static str,
    /// Label: ATT&CK tactics.
    pub tactics: &'static str,
    /// Label: ATT&CK techniques.
    pub techniques: &'static str,
    /// Link text: search the events for an observable.
    pub pivot: &'static str,
    /// Column: observable kind.
    pub col_kind: &'static str,
    /// Column: observable value.
    pub col_value: &'static str,
    /// Column: who.
    pub col_actor: &'static str,
    /// Column: what happened.
    pub col_change: &'static str,
    /// Button: add a comment.
    pub add_comment: &'static str,
    /// Button: change the status.
    pub change_status: &'static str,
    /// Button: filter a list.
    pub filter: &'static str,
    /// Filter option: every status.
    pub any_status: &'static str,
    /// Filter: only overdue tickets.
    pub only_overdue: &'static str,
    /// The word marking an overdue ticket.
    pub overdue: &'static str,
    /// An incident without organization.
    pub province_wide: &'static str,
    /// Label: opened by.
    pub created_by: &'static str,
    /// Label: SLA in hours.
    pub sla_hours: &'static str,
    /// Label: the incident a ticket comes from.
    pub from_incident: &'static str,
    /// A finished task.
    pub done: &'static str,
    /// A task still to do.
    pub todo: &'static str,
    /// Nothing in a section.
    pub nothing: &'static str,
    /// Shown to read-only users instead of the forms.
    pub read_only: &'static str,
    /// Incident status names, in [`INCIDENT_STATUSES`] order.
    pub incident_statuses: [&'static str; 6],
    /// Ticket status names, in [`TICKET_STATUSES`] order.
    pub ticket_statuses: [&'static str; 5],
}

impl CaseTexts {
    /// The display name of an incident status (the code when unknown).
    pub fn incident_status(&self, code: &str) -> String {
        label(INCIDENT_STATUSES, &self.incident_statuses, code)
    }

    /// The display name of a ticket status (the code when unknown).
    pub fn ticket_status(&self, code: &str) -> String {
        label(TICKET_STATUSES, &self.ticket_statuses, code)
    }
}

fn label(codes: &[&str], names: &[&'static str], code: &str) -> String {
    codes
        .iter()
        .position(|c| *c == code)
        .and_then(|i| names.get(i))
        .map_or_else(|| code.to_string(), |n| (*n).to_string())
}

/// English.
pub static EN: CaseTexts = CaseTexts {
    nav_incidents: "Incidents",
    nav_tickets: "Tickets",
    incidents: "Incidents",
    incident: "Incident",
    tickets: "Tickets",
    ticket: "Ticket",
    no_incidents: "No incidents.",
    no_tickets: "No tickets.",
    col_title: "Title",
    col_organization: "Organization",
    col_owner: "Owner",
    col_alerts: "Alerts",
    col_updated: "Updated",
    col_due: "Due",
    col_assignee: "Assignee",
    description: "Description",
    resolution: "Resolution",
    resolution_hint: "required to close",
    alerts: "Alerts",
    observables: "Observables",
    comments: "Comments",
    tasks: "Tasks",
    timeline: "Timeline",
    attack: "MITRE ATT&CK",
    tactics: "Tactics",
    techniques: "Techniques",
    pivot: "search events",
    col_kind: "Kind",
    col_value: "Value",
    col_actor: "Who",
    col_change: "Change",
    add_comment: "Add comment",
    change_status: "Change status",
    filter: "Filter",
    any_status: "any status",
    only_overdue: "overdue only",
    overdue: "OVERDUE",
    province_wide: "province-wide",
    created_by: "Opened by",
    sla_hours: "SLA (hours)",
    from_incident: "From incident",
    done: "done",
    todo: "to do",
    nothing: "None.",
    read_only: "Your role is read-only.",
    incident_statuses: [
        "new",
        "triage",
        "in progress",
        "contained",
        "resolved",
        "closed",
    ],
    ticket_statuses: ["open", "in progress", "done", "closed", "cancelled"],
};

/// Vietnamese.
pub static VI: CaseTexts = CaseTexts {
    nav_incidents: "Sự cố",
    nav_tickets: "Phiếu việc",
    incidents: "Sự cố",
    incident: "Sự cố",
    tickets: "Phiếu việc",
    ticket: "Phiếu việc",
    no_incidents: "Không có sự cố.",
    no_tickets: "Không có phiếu việc.",
    col_title: "Tiêu đề",
    col_organization: "Đơn vị",
    col_owner: "Người phụ trách",
    col_alerts: "Cảnh báo",
    col_updated: "Cập nhật",
    col_due: "Hạn xử lý",
    col_assignee: "Người thực hiện",
    description: "Mô tả",
    resolution: "Kết quả xử lý",
    resolution_hint: "bắt buộc khi đóng",
    alerts: "Cảnh báo",
    observables: "Dấu hiệu",
    comments: "Bình luận",
    tasks: "Công việc",
    timeline: "Diễn biến",
    attack: "MITRE ATT&CK",
    tactics: "Chiến thuật",
    techniques: "Kỹ thuật",
    pivot: "tìm sự kiện",
    col_kind: "Loại",
    col_value: "Giá trị",
    col_actor: "Người thực hiện",
    col_change: "Thay đổi",
    add_comment: "Thêm bình luận",
    change_status: "Đổi trạng thái",
    filter: "Lọc",
    any_status: "mọi trạng thái",
    only_overdue: "chỉ quá hạn",
    overdue: "QUÁ HẠN",
    province_wide: "toàn tỉnh",
    created_by: "Người tạo",
    sla_hours: "SLA (giờ)",
    from_incident: "Từ sự cố",
    done: "đã xong",
    todo: "chưa xong",
    nothing: "Không có.",
    read_only: "Vai trò của bạn chỉ được xem.",
    incident_statuses: [
        "mới",
        "phân loại",
        "đang xử lý",
        "đã khoanh vùng",
        "đã khắc phục",
        "đã đóng",
    ],
    ticket_statuses: ["mở", "đang thực hiện", "đã xong", "đã đóng", "đã hủy"],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(EN.incident_status("in_progress"), "in progress");
        assert_eq!(VI.ticket_status("done"), "đã xong");
        assert_eq!(EN.ticket_status("weird"), "weird");
    }
}
