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
    Export => "Xuất dữ liệu", "Export";
    ExportHint => "Xuất các hồ sơ khớp bộ lọc đang chọn. Tệp được giữ trong một ngày; mỗi lần xuất được ghi vào nhật ký.", "Exports the records that match the filter. Files are kept for a day; every export is in the audit trail.";
    ExportXlsx => "Excel (.xlsx)", "Excel (.xlsx)";
    ExportCsvZip => "CSV (.zip)", "CSV (.zip)";
    ExportGeojson => "Bản đồ (GeoJSON)", "Map (GeoJSON)";
    ExportWaiting => "Đang chuẩn bị…", "Preparing…";
    RecordsWord => "hồ sơ", "records";
    Download => "Tải xuống", "Download";
    ExportsRunning => "đang xuất", "running";
    ExportsReady => "tệp sẵn sàng", "ready";
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
    Indicators => "Chỉ tiêu phường kiểu mẫu", "Model ward indicators";
    Month => "Tháng", "Month";
    Year => "Năm", "Year";
    WardOrCommune => "Phường / xã", "Ward or commune";
    Print => "In báo cáo tháng", "Print the monthly report";
    ZeroIndicators => "Các chỉ tiêu \"không để xảy ra\"", "The \"none\" indicators";
    Achieved => "Đạt", "Achieved";
    NotAchieved => "Không đạt", "Not achieved";
    InMonth => "trong tháng", "this month";
    InYear => "từ đầu năm", "this year";
    RecordsBehind => "Hồ sơ liên quan", "The records behind it";
    WaitingNow => "Đang chờ xử lý", "Waiting now";
    WaitingReceived => "Hồ sơ chưa xem", "Records not looked at";
    WaitingInProgress => "Tin báo đang xử lý", "Reports being dealt with";
    WaitingReturned => "Hồ sơ đã trả lại, chờ sửa", "Returned, waiting for a correction";
    WaitingConflicts => "Bản xung đột chờ quyết định", "Conflicting copies to decide";
    ReportsByCategory => "Tin báo, phản ánh theo loại", "Neighborhood reports by category";
    VisitIssues => "Vấn đề phát hiện khi công tác", "Issues found on field visits";
    Category => "Loại", "Category";
    YearToDate => "Từ đầu năm", "Year to date";
    SamePeriodLastYear => "Cùng kỳ năm trước", "Same period last year";
    Change => "Tăng / giảm", "Change";
    ByGroup => "Theo tổ dân phố (từ đầu năm)", "By residential group (year to date)";
    Total => "Tổng", "Total";
    ManagedPeople => "Người thuộc diện quản lý đã gặp trong tháng", "People under management visited this month";
    OfManaged => "trên tổng số đang quản lý", "of those under management";
    OfficersPerWeek => "Hồ sơ công tác của cán bộ theo tuần", "Officers' records per week";
    WeekOf => "Tuần từ", "Week of";
    Officer => "Cán bộ", "Officer";
    ReportSpeed => "Tốc độ xử lý tin báo trong tháng", "How fast the month's reports were dealt with";
    Median => "Trung vị", "Median";
    Slowest => "Lâu nhất", "Slowest";
    Reached => "Đến máy chủ", "Reached the server";
    TakenUp => "Được tiếp nhận xử lý", "Taken up";
    ResolvedIn => "Giải quyết xong", "Resolved";
    ReportsCount => "Số tin báo", "Reports";
    NoneYet => "chưa có", "none yet";
    Minutes => "phút", "min";
    Hours => "giờ", "h";
    Days => "ngày", "days";
    ChartOf => "Biểu đồ số tin báo theo tháng và loại", "Chart of reports by month and category";
    MonthlyReport => "Báo cáo tháng", "Monthly report";
    ReportFor => "Báo cáo kết quả công tác bảo đảm ANTT", "Report on security and public order";
    PrintedOn => "Lập ngày", "Made on";
    CountedAt => "Số liệu tính lúc", "Figures as of";
    Compare => "So sánh các phường, xã trong tỉnh / thành phố", "The province's wards and communes side by side";
    ZeroShort => "Chỉ tiêu \"không để xảy ra\" đạt trong tháng", "\"None\" indicators achieved this month";
    ManagedShort => "Người quản lý đã gặp", "Managed people visited";
    ClosedWard => "đã sáp nhập / chia tách", "merged or split";
    WardKindLabel => "Cấp", "Kind";
    ClosedSince => "Đã sáp nhập / chia tách từ", "Merged or split since";
    Reorganise => "Sắp xếp lại địa bàn (sáp nhập, chia tách, chuyển tổ dân phố)", "Reorganise (merge, split, move residential groups)";
    ReorganiseHint => "Chọn phường / xã mới cho từng tổ dân phố cần chuyển; đánh dấu phường / xã giải thể (không còn tổ nào) và nơi chuyển cán bộ. Hồ sơ giữ phường / xã nơi đã lập.", "Choose the new ward of each group that moves; mark the wards that close (left without groups) and where their staff go. Records keep the ward they were filed in.";
    EffectiveDate => "Có hiệu lực từ ngày (dd/mm/yyyy)", "Effective from (dd/mm/yyyy)";
    Stays => "giữ nguyên", "stays";
    MoveTo => "Chuyển đến", "Move to";
    CloseWard => "Giải thể phường / xã này", "Close this ward";
    StaffTo => "Cán bộ chuyển đến", "Its staff go to";
    ByMostGroups => "nơi nhận nhiều tổ nhất", "where most groups went";
    ApplyChanges => "Thực hiện", "Apply";
    Reorganised => "Đã sắp xếp lại", "Reorganised";
    KindWard => "Phường", "Ward";
    KindCommune => "Xã", "Commune";
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
