//! Sign-in, the caller's identity and places, record views for supervisors, and the one JSON
//! error body every endpoint answers with.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::record::RecordStatus;
use crate::validate::FieldError;

pub use crate::role::Role;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token; the server keeps only its hash.
    pub token: String,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
    pub me: Me,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub id: i64,
    pub name: String,
}

/// Who is signed in, and where they work.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub ward: Option<Place>,
    /// A group leader's own residential group.
    pub group: Option<Place>,
    /// The residential groups this user may file records for.
    pub groups: Vec<Place>,
    /// A provincial user's province (Công an tỉnh / thành phố).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<Place>,
    /// Whether `ward` is a phường or a xã.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ward_kind: Option<WardKind>,
}

/// Someone whose records the review queue can be filtered by: a person of the ward who files.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// A group leader's residential group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Still able to sign in; people who left stay listed, their records remain.
    pub active: bool,
}

/// One row of a supervisor's list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordSummary {
    pub id: Uuid,
    pub form_key: String,
    pub form_version: u32,
    pub group: Place,
    pub author: String,
    pub status: RecordStatus,
    /// Server time its current revision was stored (a correction is received anew), milliseconds
    /// since the Unix epoch; the first revision's time is in its history.
    pub received_at: i64,
    /// A short human description taken from the record (category and location).
    pub headline: String,
    /// Photos the record names that have not reached the server yet; the record is complete
    /// when this is 0.
    #[serde(default)]
    pub photos_missing: u32,
    /// Its current revision (the record's own id until a correction is accepted): what a
    /// reviewer names when acting on what they saw.
    #[serde(default)]
    pub revision: Uuid,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordDetail {
    pub summary: RecordSummary,
    /// The ward or commune that answers for the record now: its group's.
    pub ward: Place,
    /// The ward its group belonged to when it was filed, when a reorganisation moved the group
    /// since (e.g. Phường Xuân La before 1 July 2025).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filed_ward: Option<Place>,
    pub client_created_at: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Map<String, Value>,
    /// The review actions the caller may take on it now (`review::allowed`): what the desk offers.
    #[serde(default)]
    pub actions: Vec<crate::review::ReviewAction>,
}

/// How many records of the review queue's filter are in one review state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCount {
    pub status: RecordStatus,
    pub count: i64,
}

/// The body of every error response.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `unauthenticated`, `validation`.
    pub code: String,
    /// For a person, in the caller's language.
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// Where the upload of one photo stands on the server: the answer to
/// `GET /api/photos/{sha}/upload` and to every chunk.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    /// The photo is stored and checked; nothing more to send.
    pub complete: bool,
    /// Bytes the server holds; the next chunk starts here.
    pub received: u64,
}

/// The answer to publishing a form definition.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub key: String,
    /// The version stored, or, when `unchanged`, the latest version that already says the same.
    pub version: u32,
    /// True when the definition has the same content as the latest version: nothing was stored.
    pub unchanged: bool,
}

/// One published form and its versions.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormVersions {
    pub key: String,
    /// The title of the latest version.
    pub title: crate::Text,
    /// Newest first.
    pub versions: Vec<FormVersion>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormVersion {
    pub version: u32,
    /// Milliseconds since the Unix epoch.
    pub published_at: i64,
}

#[cfg(test)]
mod wire_tests {
    //! Golden JSON: what the phone and the server exchange, byte for byte, so that a renamed
    //! field or a changed shape fails here instead of on a phone in the field.
    use super::*;

    use crate::testing::golden;

    #[test]
    fn an_upload_state_is_two_fields() {
        golden(
            &UploadState {
                complete: false,
                received: 131_072,
            },
            r#"{"complete":false,"received":131072}"#,
        );
    }

    #[test]
    fn a_publication_names_its_key_version_and_whether_it_changed_anything() {
        golden(
            &Published {
                key: "neighborhood_report".into(),
                version: 2,
                unchanged: false,
            },
            r#"{"key":"neighborhood_report","version":2,"unchanged":false}"#,
        );
    }

    #[test]
    fn a_form_lists_its_versions_newest_first() {
        golden(
            &FormVersions {
                key: "field_visit".into(),
                title: crate::Text::new("Nhật ký công tác", "Field visit log"),
                versions: vec![FormVersion {
                    version: 3,
                    published_at: 1_764_000_000_000,
                }],
            },
            r#"{"key":"field_visit","title":{"vi":"Nhật ký công tác","en":"Field visit log"},"versions":[{"version":3,"published_at":1764000000000}]}"#,
        );
    }
}

/// Phường (an urban ward) or xã (a rural commune): the two commune-level units.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WardKind {
    #[default]
    Ward,
    Commune,
}

impl WardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WardKind::Ward => "ward",
            WardKind::Commune => "commune",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ward" => Some(WardKind::Ward),
            "commune" => Some(WardKind::Commune),
            _ => None,
        }
    }
}

/// What an export file of records is made of.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// A zip of CSV files: one per form, one per repeat group, joined by record id.
    Csv,
    /// An Excel workbook: a sheet per form and per repeat group.
    Xlsx,
    /// GeoJSON: the records' GPS points.
    Geojson,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] =
        [ExportFormat::Xlsx, ExportFormat::Csv, ExportFormat::Geojson];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Geojson => "geojson",
        }
    }

    pub fn parse(s: &str) -> Option<ExportFormat> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The file name's ending.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv.zip",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Geojson => "geojson",
        }
    }
}

/// Where an export stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportState {
    Running,
    Done,
    Failed,
}

/// An export of records: made by the server in the background, then downloaded by whoever
/// asked for it, for a day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportJob {
    pub id: Uuid,
    pub format: ExportFormat,
    pub file_name: String,
    pub state: ExportState,
    /// Records the export holds when done.
    pub total: u64,
    /// Records written so far.
    pub done: u64,
    /// The file's size once done.
    pub bytes: Option<u64>,
    /// When it was asked for (ms).
    pub created_at: i64,
    /// The queue's filter it was made with, as a query string (`status=new&form=...`).
    pub filter: String,
    /// Why it failed, in the caller's language.
    pub error: Option<String>,
}
