//! The desk's own strings, in both languages (a missing one does not compile). Kept apart from
//! `app::i18n` so that phones never download them.

use leptos::prelude::*;

app::catalogue! {
    DeskMsg;
    Search => "Tìm trong hồ sơ (không cần dấu)", "Search records (accents optional)";
    AllStates => "Tất cả", "All";
    DateFrom => "Từ ngày (dd/mm/yyyy)", "From (dd/mm/yyyy)";
    DateTo => "Đến hết ngày (dd/mm/yyyy)", "To (dd/mm/yyyy)";
    BadDate => "Ngày phải có dạng dd/mm/yyyy, ví dụ 05/12/2026.", "Write dates as dd/mm/yyyy, for example 05/12/2026.";
    Apply => "Lọc", "Filter";
    ClearFilter => "Bỏ lọc", "Clear filter";
    LoadMore => "Xem thêm", "Show more";
    SelectRecord => "Chọn hồ sơ", "Select record";
    ApproveSelected => "Duyệt các hồ sơ đã chọn", "Approve the selected records";
    Approved => "Đã duyệt", "Approved";
    NotApproved => "Không duyệt được", "Not approved";
    Keys => "Phím tắt: j / k — hồ sơ sau / trước, a — duyệt hồ sơ đang mở, r — viết ghi chú để trả lại.", "Keys: j / k — next / previous record, a — approve the open record, r — write the note to return it.";
    AnyGroup => "Mọi tổ dân phố", "Any residential group";
    FormKind => "Loại hồ sơ", "Form";
    AnyForm => "Mọi loại hồ sơ", "Any form";
    AnyAuthor => "Mọi người gửi", "Anyone";
    Inactive => "đã nghỉ", "left";
    Filter => "Bộ lọc", "Filter";
    Urgency => "Mức độ khẩn", "Urgency";
    OnlyConflicts => "Chỉ hồ sơ có bản xung đột chờ quyết định", "Only records with a conflicting copy to decide";
    RecordAudit => "Nhật ký thao tác trên hồ sơ", "Audit trail of this record";
    AnyUrgency => "Mọi mức độ", "Any urgency";
    UrgencyNormal => "Bình thường", "Normal";
    UrgencyUrgent => "Khẩn", "Urgent";
    UrgencyEmergency => "Rất khẩn — đang xảy ra", "Emergency — happening now";
    History => "Lịch sử hồ sơ", "Record history";
    Revision => "Bản", "Revision";
    FirstRevision => "bản đầu", "first revision";
    NoDifference => "không khác bản trước", "no change from the one before";
    Conflicts => "Bản xung đột chờ quyết định", "Conflicting copies to decide";
    ConflictHint => "Bản này được gửi khi hồ sơ đã thay đổi. Chọn bản giữ lại; bản kia vẫn được lưu trong lịch sử.", "This copy was sent after the record had changed. Choose the one to keep; the other stays in the history.";
    Field => "Mục", "Field";
    CurrentCopy => "Bản hiện tại", "Current revision";
    TheirCopy => "Bản xung đột", "Conflicting copy";
    KeepCurrent => "Giữ bản hiện tại", "Keep the current revision";
    UseTheirs => "Dùng bản xung đột", "Use the conflicting copy";
    ResolvedKeepCurrent => "Đã giữ bản hiện tại", "Current revision kept";
    ResolvedTheirs => "Đã dùng bản xung đột", "Conflicting copy used";
    Resubmitted => "Gửi lại bản sửa", "Resubmitted a correction";
}

/// `text` as a view child that follows the language switch.
pub fn dt(msg: DeskMsg) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let lang = app::state::use_app().lang;
    move || msg.text(lang.get())
}

/// `dd/mm/yyyy` (also d/m/yyyy) as the start of that day in the ward's time, in ms.
pub fn parse_date(s: &str) -> Option<i64> {
    domain::calendar::Date::parse_dmy(s).map(|d| d.start_ms())
}

/// The next day's start after `ms` (a day's start in the ward): the end of an inclusive "to" date.
pub fn next_day(ms: i64) -> i64 {
    ms + domain::calendar::DAY_MS
}
