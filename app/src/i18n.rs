//! Every string the app shows, in Vietnamese (default) and English, in one catalogue.
//! A message missing in one language does not compile.

use domain::value::GpsFix;
use domain::Lang;

/// A catalogue of messages: an enum named first, then `Name => "vi", "en";` lines. Exported so
/// the desk keeps its own catalogue (its strings stay out of the phone's download).
#[macro_export]
macro_rules! catalogue {
    ($msg:ident; $($name:ident => $vi:literal, $en:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $msg { $($name,)* }

        impl $msg {
            pub const ALL: &'static [$msg] = &[$($msg::$name,)*];

            pub fn text(self, lang: domain::Lang) -> &'static str {
                match (self, lang) {
                    $(($msg::$name, domain::Lang::Vi) => $vi, ($msg::$name, domain::Lang::En) => $en,)*
                }
            }
        }
    };
}

catalogue! {
    Msg;
    AppName => "Sổ tay Công an phường", "Ward notebook";
    SignIn => "Đăng nhập", "Sign in";
    SignOut => "Đăng xuất", "Sign out";
    Username => "Tên đăng nhập", "Username";
    Password => "Mật khẩu", "Password";
    SigningIn => "Đang đăng nhập…", "Signing in…";
    SignInNeedsNetwork => "Lần đăng nhập đầu cần có mạng. Hãy thử lại khi có sóng.", "The first sign-in needs a network. Try again when you have signal.";
    OtherUserHasUnsent => "Máy này còn hồ sơ chưa gửi của tài khoản khác. Người đó cần đăng nhập để gửi trước.", "This phone still has unsent records of another account. That person must sign in and send them first.";
    ConfirmSignOutUnsent => "Còn hồ sơ chưa gửi. Nếu đăng xuất, các hồ sơ này sẽ bị xóa khỏi máy. Vẫn đăng xuất?", "Some records are not sent yet. Signing out deletes them from this phone. Sign out anyway?";
    Language => "Ngôn ngữ", "Language";
    NewReport => "Tin báo / phản ánh mới", "New neighborhood report";
    MyRecords => "Hồ sơ của tôi", "My records";
    WardRecords => "Hồ sơ của phường", "Ward records";
    Drafts => "Bản nháp", "Drafts";
    NoRecords => "Chưa có hồ sơ nào.", "No records yet.";
    Waiting => "Đang chờ gửi", "Waiting to send";
    LastSync => "Gửi thành công lần cuối", "Last successful sync";
    Never => "chưa lần nào", "never";
    OldestWaiting => "Hồ sơ chờ lâu nhất", "Oldest waiting";
    JustNow => "vừa xong", "just now";
    Minutes => "phút", "min";
    Hours => "giờ", "h";
    Days => "ngày", "days";
    SyncNow => "Gửi ngay", "Sync now";
    Syncing => "Đang đồng bộ…", "Syncing…";
    Offline => "Không có mạng — hồ sơ được giữ an toàn trên máy và sẽ tự gửi khi có mạng.", "No network — records are kept safe on this phone and will be sent automatically.";
    SessionExpired => "Phiên đăng nhập đã hết hạn. Đăng nhập lại để tiếp tục gửi; hồ sơ chưa gửi vẫn được giữ.", "Your sign-in has expired. Sign in again to keep sending; unsent records are kept.";
    ServerProblem => "Máy chủ đang gặp lỗi, sẽ thử lại sau.", "The server has a problem; will try again later.";
    UnreadableAnswer => "Không đọc được câu trả lời của máy chủ (mạng Wi-Fi có thể đang đòi đăng nhập, hoặc ứng dụng cần cập nhật). Hồ sơ vẫn được giữ trên máy.", "The server's answer could not be read (a Wi-Fi network may be asking you to sign in, or the app needs an update). Records are kept on this phone.";
    Submit => "Gửi", "Submit";
    SaveDraftHint => "Mọi thay đổi được lưu ngay trên máy.", "Every change is saved on this phone as you type.";
    Discard => "Xóa bản nháp", "Discard draft";
    ConfirmDiscard => "Xóa bản nháp này?", "Discard this draft?";
    Back => "Quay lại", "Back";
    Required => "bắt buộc", "required";
    FixErrors => "Hãy sửa các mục được đánh dấu.", "Please correct the marked fields.";
    ResidentialGroup => "Tổ dân phố", "Residential group";
    Yes => "Có", "Yes";
    No => "Không", "No";
    StatusOutbox => "Chờ gửi", "Waiting to send";
    StatusRejected => "Bị từ chối — cần sửa", "Rejected — needs correction";
    StatusConflict => "Xung đột — đang chờ xem xét", "Conflict — awaiting review";
    StatusSynced => "Đã gửi", "Sent";
    Edit => "Sửa", "Edit";
    FormMissing => "Chưa tải được biểu mẫu. Hãy kết nối mạng một lần để tải.", "The form is not downloaded yet. Connect once to download it.";
    UpdateReady => "Có phiên bản mới của ứng dụng.", "A new version of the app is ready.";
    UpdateNow => "Cập nhật", "Update";
    Loading => "Đang tải…", "Loading…";
    LoadFailed => "Không tải được. Kiểm tra mạng rồi thử lại.", "Could not load. Check the network and try again.";
    Author => "Người gửi", "Filed by";
    ReceivedAt => "Nhận lúc", "Received";
    Status => "Trạng thái", "Status";
    Correct => "Sửa và gửi lại", "Correct and resubmit";
    WaitingForYou => "hồ sơ chờ bạn sửa", "records wait for you to correct";
    Ward => "Phường / xã", "Ward or commune";
    WardPrefix => "Phường", "Ward";
    CommunePrefix => "Xã", "Commune";
    NotFound => "Không tìm thấy.", "Not found.";
    Home => "Trang chính", "Home";
    Desk => "Bàn làm việc", "Desk";
    PhoneApp => "Ứng dụng điện thoại", "Phone app";
    DeskNav => "Các trang bàn làm việc", "Desk pages";
    ChooseRecord => "Chọn một hồ sơ trong danh sách để xem chi tiết.", "Choose a record in the list to see it here.";
    DeskOffline => "Không có mạng: trang bàn làm việc cần mở một lần khi có mạng trước khi dùng được ngoại tuyến.", "No network: the desk pages must be opened once online before they work offline.";
    Records => "hồ sơ", "records";
    StorageUse => "Dung lượng đã dùng", "Storage used";
    RoleAdmin => "Quản trị", "Administrator";
    RoleProvincial => "Công an tỉnh / thành phố", "Provincial police";
    RoleSupervisor => "Lãnh đạo Công an phường / xã", "Ward police supervisor";
    RoleOfficer => "Cán bộ Công an phường", "Ward police officer";
    RoleGroupLeader => "Tổ trưởng tổ dân phố", "Residential group leader";
    Note => "Ghi chú", "Note";
    NewRecord => "Lập mới", "New";
    AddRow => "Thêm", "Add";
    RemoveRow => "Bỏ dòng này", "Remove";
    ConfirmRemoveRow => "Bỏ dòng này và các thông tin trong đó?", "Remove this row and what it holds?";
    GpsTake => "Lấy vị trí hiện tại", "Take current position";
    GpsRetake => "Lấy lại vị trí", "Take position again";
    GpsTaking => "Đang lấy vị trí… (ra chỗ thoáng sẽ nhanh hơn)", "Taking position… (faster in the open)";
    GpsNone => "Chưa có vị trí.", "No position yet.";
    GpsDenied => "Ứng dụng chưa được phép dùng vị trí. Hãy cho phép trong cài đặt trình duyệt.", "The app may not use the location. Allow it in the browser settings.";
    GpsUnavailable => "Không lấy được vị trí. Hãy ra chỗ thoáng và thử lại.", "Could not get a position. Move into the open and try again.";
    PhotoAdd => "Chụp hoặc chọn ảnh", "Take or choose a photo";
    PhotoProcessing => "Đang xử lý ảnh…", "Processing photo…";
    PhotoFailed => "Không xử lý được ảnh này. Hãy chụp lại.", "This photo could not be processed. Please take it again.";
    RemovePhoto => "Bỏ ảnh", "Remove photo";
    ConfirmRemovePhoto => "Bỏ ảnh này?", "Remove this photo?";
    Forms => "Biểu mẫu", "Forms";
    FormTitle => "Tên biểu mẫu", "Form";
    FormKey => "Mã", "Key";
    Versions => "Các phiên bản", "Versions";
    PublishForm => "Đăng biểu mẫu", "Publish a form";
    PublishFormHint => "Chọn tệp định nghĩa (JSON). Tệp mới của một biểu mẫu đã có sẽ thành phiên bản tiếp theo; các phiên bản cũ vẫn dùng được.", "Choose a definition file (JSON). A new file for an existing form becomes its next version; earlier versions stay usable.";
    DefinitionFile => "Tệp định nghĩa biểu mẫu", "Form definition file";
    Publish => "Đăng", "Publish";
    FormPublished => "Đã đăng", "Published";
    FormUnchanged => "Không có gì thay đổi:", "Nothing changed:";
    People => "Người dùng và địa bàn", "People and places";
    AddUser => "Thêm người dùng", "Add a user";
    EditUser => "Sửa người dùng", "Edit user";
    DisplayName => "Họ và tên", "Full name";
    Role => "Vai trò", "Role";
    Place => "Địa bàn", "Place";
    Devices => "Thiết bị đang đăng nhập", "Signed-in devices";
    Deactivated => "Đã khóa", "Deactivated";
    Active => "Đang hoạt động", "Active";
    NewPasswordPrompt => "Mật khẩu mới (ít nhất 10 ký tự). Mọi thiết bị của người này sẽ bị đăng xuất.", "New password (at least 10 characters). Every device of this user will be signed out.";
    ConfirmSignOutUser => "Đăng xuất mọi thiết bị của người này? Hồ sơ đã gửi vẫn được giữ.", "Sign out every device of this user? What they already sent is kept.";
    ResetPassword => "Đặt lại mật khẩu", "Reset password";
    SignOutEverywhere => "Đăng xuất mọi thiết bị", "Sign out everywhere";
    ResponsibleGroups => "Tổ dân phố phụ trách (để trống: cả phường)", "Responsible for (none: the whole ward)";
    PasswordRule => "Ít nhất 10 ký tự. Một câu dễ nhớ là tốt nhất, không cần ký tự đặc biệt.", "At least 10 characters. An easy-to-remember phrase is best; no symbols needed.";
    Save => "Lưu", "Save";
    Cancel => "Hủy", "Cancel";
    Wards => "Phường và tổ dân phố", "Wards and residential groups";
    NewGroupPrompt => "Tên tổ dân phố mới", "Name of the new residential group";
    AddGroup => "Thêm tổ dân phố", "Add a group";
    AddWard => "Thêm phường / xã", "Add a ward or commune";
    WardName => "Tên phường / xã", "Name of the ward or commune";
    District => "Quận / huyện cũ (nếu có)", "Former district (if any)";
    City => "Tỉnh / thành phố", "City or province";
    ConfirmSignOutDevice => "Đăng xuất thiết bị này? Hồ sơ chưa gửi trên máy đó sẽ chờ đến khi đăng nhập lại.", "Sign out this device? Unsent records on it wait until someone signs in again.";
    SignedInAt => "Đăng nhập lúc", "Signed in";
    ExpiresAt => "hết hạn", "expires";
    ThisDevice => "Thiết bị này", "This device";
    SignOutDevice => "Đăng xuất thiết bị", "Sign out device";
    AuditTrail => "Nhật ký hệ thống", "Audit trail";
    ExportCsv => "Xuất CSV", "Export CSV";
    When => "Thời gian", "When";
    Who => "Người thực hiện", "Who";
    What => "Việc", "What";
    Before => "Trước", "Before";
    After => "Sau", "After";
    LoadMore => "Xem thêm", "Load more";
    PhotosWaiting => "ảnh chờ gửi", "photos waiting";
    GpsClear => "Xóa vị trí", "Clear position";
    PhotoCamera => "Chụp ảnh", "Take a photo";
    PhotoGallery => "Chọn ảnh có sẵn", "Choose a photo";
    WorkInProgress => "Đang xử lý ảnh hoặc vị trí, vui lòng đợi…", "A photo or position is still being processed, please wait…";
    Rename => "Đổi tên", "Rename";
    StorageProblem => "Không ghi được vào bộ nhớ của máy (có thể đã đầy). Hãy giải phóng dung lượng rồi thử lại; những gì đã lưu vẫn còn.", "The phone's storage refused to save (it may be full). Free some space and try again; what was saved before is kept.";
    PhotoWaiting => "Ảnh đang được gửi lên", "Photo still uploading";
    StoragePersisted => "Dữ liệu được trình duyệt giữ lâu dài", "The browser keeps this data permanently";
    StorageNotPersisted => "Trình duyệt có thể xóa dữ liệu khi máy đầy bộ nhớ", "The browser may delete this data when the phone runs out of space";
    ExportUnsent => "Xuất hồ sơ chưa gửi ra tệp", "Export unsent records to a file";
    ExportFailed => "Không xuất được tệp:", "Could not export the file:";
}

pub fn role_label(role: domain::api::Role) -> Msg {
    use domain::api::Role;
    match role {
        Role::Admin => Msg::RoleAdmin,
        Role::Provincial => Msg::RoleProvincial,
        Role::Supervisor => Msg::RoleSupervisor,
        Role::Officer => Msg::RoleOfficer,
        Role::GroupLeader => Msg::RoleGroupLeader,
    }
}

/// `dd/mm/yyyy HH:MM` on the ward's clocks (UTC+07:00), whatever the device's time zone.
pub fn format_ms(ms: f64) -> String {
    domain::calendar::LocalTime::at(ms as i64).dmy_hm()
}

/// A `YYYY-MM-DDTHH:MM` form value shown as `dd/mm/yyyy HH:MM`.
pub fn format_local_date_time(v: &str) -> String {
    match (v.get(0..4), v.get(5..7), v.get(8..10), v.get(11..16)) {
        (Some(y), Some(m), Some(d), Some(hm)) => format!("{d}/{m}/{y} {hm}"),
        _ => v.to_owned(),
    }
}

/// A form value as a reader expects it: choice labels, dd/mm/yyyy dates, yes/no, units,
/// `1,5` for decimals in Vietnamese, a GPS point with its accuracy.
pub fn show_field_value(
    kind: &domain::form::FieldKind,
    v: &serde_json::Value,
    lang: Lang,
) -> String {
    use domain::form::FieldKind;
    use serde_json::Value;
    let label_of = |choices: &[domain::form::Choice], s: &str| {
        choices
            .iter()
            .find(|c| c.value == s)
            .map_or_else(|| s.to_owned(), |c| c.label.get(lang).to_owned())
    };
    let with_unit = |n: String, unit: &Option<domain::Text>| match unit {
        Some(u) => format!("{n} {}", u.get(lang)),
        None => n,
    };
    match (kind, v) {
        (FieldKind::SingleChoice { choices }, Value::String(s)) => label_of(choices, s),
        (FieldKind::MultipleChoice { choices, .. }, Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| label_of(choices, s))
            .collect::<Vec<_>>()
            .join("; "),
        (FieldKind::DateTime, Value::String(s)) => format_local_date_time(s),
        (FieldKind::Date, Value::String(s)) => match (s.get(0..4), s.get(5..7), s.get(8..10)) {
            (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
            _ => s.clone(),
        },
        (FieldKind::YesNo, Value::Bool(b)) => {
            if *b { Msg::Yes } else { Msg::No }.text(lang).to_owned()
        }
        (FieldKind::Integer { unit, .. }, Value::Number(n)) => with_unit(n.to_string(), unit),
        (FieldKind::Decimal { unit, .. }, Value::Number(n)) => {
            let n = n.to_string();
            with_unit(
                if lang == Lang::Vi {
                    n.replace('.', ",")
                } else {
                    n
                },
                unit,
            )
        }
        (FieldKind::Gps { .. }, v) => {
            GpsFix::parse(v).map_or_else(|| show_value(v), |fix| fix.display())
        }
        (FieldKind::Photo { .. }, Value::Array(items)) => format!("{} 📷", items.len()),
        (_, other) => show_value(other),
    }
}

/// How long ago, in words: "5 phút", "3 giờ", "2 ngày".
pub fn format_age(ms: f64, lang: Lang) -> String {
    let minutes = (ms.max(0.0) / 60_000.0) as u64;
    let (n, unit) = match minutes {
        0 => return Msg::JustNow.text(lang).to_owned(),
        1..=59 => (minutes, Msg::Minutes),
        60..=1439 => (minutes / 60, Msg::Hours),
        _ => (minutes / 1440, Msg::Days),
    };
    format!("{n} {}", unit.text(lang))
}

/// A form value as text, for values that are not text already.
pub fn show_value(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n
            .as_i64()
            .map(|i| i.to_string())
            .unwrap_or_else(|| n.to_string()),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(show_value).collect::<Vec<_>>().join(", "),
        Value::Object(_) => "…".into(),
    }
}
