//! The sync protocol. Push is idempotent and answers per record; pull pages through the
//! server's change sequence with an opaque cursor that the phone stores with the data.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::form::FormDef;
use crate::record::{RecordEnvelope, RecordStatus};
use crate::validate::FieldError;

/// Most records one push may carry.
pub const MAX_PUSH_BATCH: usize = 200;
/// Most field errors one push answer lists, over all its records (each record lists at most
/// [`crate::validate::MAX_ERRORS_PER_RECORD`]); the rest are counted in the records' messages.
pub const MAX_ERRORS_PER_PUSH: usize = 400;
/// Most changes one pull page returns.
pub const MAX_PULL_PAGE: u32 = 500;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub records: Vec<RecordEnvelope>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One result per pushed record, in the order pushed.
    pub results: Vec<PushResult>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PushResult {
    pub id: Uuid,
    #[serde(flatten)]
    pub outcome: PushOutcome,
}

/// Read through one flat struct rather than serde's `flatten` of an internally tagged enum
/// (the same JSON): `flatten` and internal tags buffer the fields in a generic content tree,
/// code the phone would download (see `FieldDef`'s reader).
impl<'de> Deserialize<'de> for PushResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            id: Uuid,
            outcome: String,
            message: Option<String>,
            errors: Option<Vec<FieldError>>,
        }
        let r = Raw::deserialize(d)?;
        let message = || {
            r.message
                .clone()
                .ok_or_else(|| D::Error::missing_field("message"))
        };
        let outcome = match r.outcome.as_str() {
            "accepted" => PushOutcome::Accepted,
            "duplicate" => PushOutcome::Duplicate,
            "conflict" => PushOutcome::Conflict {
                message: message()?,
            },
            "rejected" => PushOutcome::Rejected {
                message: message()?,
                errors: r.errors.ok_or_else(|| D::Error::missing_field("errors"))?,
            },
            other => {
                return Err(D::Error::unknown_variant(
                    other,
                    &["accepted", "duplicate", "conflict", "rejected"],
                ))
            }
        };
        Ok(PushResult { id: r.id, outcome })
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PushOutcome {
    /// Newly stored and committed.
    Accepted,
    /// The server already had this id with the same content.
    Duplicate,
    /// The server has this id with different content; the new content was recorded, not applied.
    Conflict { message: String },
    /// Not stored; the phone keeps it for the user to correct.
    Rejected {
        message: String,
        errors: Vec<FieldError>,
    },
}

impl PushOutcome {
    /// Whether the phone may drop its outbox entry: the server holds the record.
    pub fn is_settled(&self) -> bool {
        matches!(self, PushOutcome::Accepted | PushOutcome::Duplicate)
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullQuery {
    /// The cursor returned by the previous page; 0 for everything.
    #[serde(default)]
    pub cursor: i64,
    /// The `epoch` of the answer that gave the cursor. A cursor of another database (another
    /// epoch: a restored backup, a new server) is always answered with `reset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Save this with the page's data, in the same transaction, and send it next time.
    pub cursor: i64,
    /// More pages wait behind this one.
    pub more: bool,
    /// The server cannot answer from the given cursor: drop the pulled view and pull from 0.
    #[serde(default)]
    pub reset: bool,
    /// The identity of the database the cursor counts in; save it with the cursor. When it
    /// changes, what the phone holds as synced may be missing on the server: push it again.
    #[serde(default)]
    pub epoch: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A published form version.
    Form { form: FormDef },
    /// The current status of one of the caller's own records.
    Record(RecordState),
}

/// Read through one flat struct, not serde's internally tagged enum (the same JSON), for the
/// reason given at [`PushResult`]'s reader.
impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            kind: String,
            form: Option<FormDef>,
            id: Option<Uuid>,
            form_key: Option<String>,
            form_version: Option<u32>,
            group_id: Option<i64>,
            status: Option<RecordStatus>,
            updated_at: Option<i64>,
            note: Option<String>,
            revision: Option<Uuid>,
            data: Option<Map<String, Value>>,
            conflict_open: Option<bool>,
        }
        fn need<T, E: serde::de::Error>(v: Option<T>, field: &'static str) -> Result<T, E> {
            v.ok_or_else(|| E::missing_field(field))
        }
        let r = Raw::deserialize(d)?;
        match r.kind.as_str() {
            "form" => Ok(Change::Form {
                form: need(r.form, "form")?,
            }),
            "record" => Ok(Change::Record(RecordState {
                id: need(r.id, "id")?,
                form_key: need(r.form_key, "form_key")?,
                form_version: need(r.form_version, "form_version")?,
                group_id: need(r.group_id, "group_id")?,
                status: need(r.status, "status")?,
                updated_at: need(r.updated_at, "updated_at")?,
                note: r.note,
                revision: r.revision,
                data: r.data,
                conflict_open: r.conflict_open.unwrap_or(false),
            })),
            other => Err(D::Error::unknown_variant(other, &["form", "record"])),
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordState {
    pub id: Uuid,
    pub form_key: String,
    pub form_version: u32,
    /// The residential group the record is about.
    pub group_id: i64,
    pub status: RecordStatus,
    /// Server time of the last change, milliseconds since the Unix epoch.
    pub updated_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The record's current revision, when it is not the first (whose id is the record's): the
    /// base a resubmission names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<Uuid>,
    /// The current revision's data, sent while the record is returned to its author: the phone
    /// can correct it even if it no longer kept it (a reinstall, another phone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<Map<String, Value>>,
    /// A copy of the caller's that conflicted with the record still waits for a reviewer: the
    /// phone keeps showing it as a conflict until this is false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub conflict_open: bool,
}

impl RecordState {
    /// The revision a resubmission of this record must name as its base.
    pub fn current_revision(&self) -> Uuid {
        self.revision.unwrap_or(self.id)
    }
}

#[cfg(test)]
mod wire_tests {
    //! Golden JSON of the sync protocol, read back through the hand-written readers.
    use super::*;

    use crate::testing::golden;

    const ID: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    #[test]
    fn a_push_answers_each_record_with_its_outcome_beside_its_id() {
        let id: Uuid = ID.parse().unwrap();
        golden(
            &PushResult {
                id,
                outcome: PushOutcome::Accepted,
            },
            &format!(r#"{{"id":"{ID}","outcome":"accepted"}}"#),
        );
        golden(
            &PushResult {
                id,
                outcome: PushOutcome::Duplicate,
            },
            &format!(r#"{{"id":"{ID}","outcome":"duplicate"}}"#),
        );
        golden(
            &PushResult {
                id,
                outcome: PushOutcome::Conflict {
                    message: "Đã có bản khác.".into(),
                },
            },
            &format!(r#"{{"id":"{ID}","outcome":"conflict","message":"Đã có bản khác."}}"#),
        );
        golden(
            &PushResult {
                id,
                outcome: PushOutcome::Rejected {
                    message: "Sai".into(),
                    errors: vec![FieldError {
                        field: "location".into(),
                        violation: crate::validate::Violation::Required,
                        message: "Vui lòng điền mục này.".into(),
                    }],
                },
            },
            &format!(
                r#"{{"id":"{ID}","outcome":"rejected","message":"Sai","errors":[{{"field":"location","violation":{{"kind":"required"}},"message":"Vui lòng điền mục này."}}]}}"#
            ),
        );
        for bad in [
            format!(r#"{{"id":"{ID}","outcome":"conflict"}}"#),
            format!(r#"{{"id":"{ID}","outcome":"rejected","message":"x"}}"#),
            format!(r#"{{"id":"{ID}","outcome":"lost"}}"#),
            r#"{"outcome":"accepted"}"#.to_owned(),
        ] {
            assert!(serde_json::from_str::<PushResult>(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_pulled_change_is_a_form_or_a_record_state_named_by_its_kind() {
        golden(
            &Change::Record(RecordState {
                id: ID.parse().unwrap(),
                form_key: "neighborhood_report".into(),
                form_version: 1,
                group_id: 3,
                status: RecordStatus::Received,
                updated_at: 1_764_000_000_000,
                note: None,
                revision: None,
                data: None,
                conflict_open: false,
            }),
            &format!(
                r#"{{"kind":"record","id":"{ID}","form_key":"neighborhood_report","form_version":1,"group_id":3,"status":"received","updated_at":1764000000000}}"#
            ),
        );
        // Returned: what to correct, the data to correct, and the revision to name as base.
        const REV: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c";
        golden(
            &Change::Record(RecordState {
                id: ID.parse().unwrap(),
                form_key: "neighborhood_report".into(),
                form_version: 1,
                group_id: 3,
                status: RecordStatus::Returned,
                updated_at: 1_764_000_000_000,
                note: Some("Thiếu số nhà.".into()),
                revision: Some(REV.parse().unwrap()),
                data: Some(
                    serde_json::json!({"location": "Ngõ 5"})
                        .as_object()
                        .unwrap()
                        .clone(),
                ),
                conflict_open: false,
            }),
            &format!(
                r#"{{"kind":"record","id":"{ID}","form_key":"neighborhood_report","form_version":1,"group_id":3,"status":"returned","updated_at":1764000000000,"note":"Thiếu số nhà.","revision":"{REV}","data":{{"location":"Ngõ 5"}}}}"#
            ),
        );
        let form = FormDef::builtin().remove(0);
        let change = Change::Form { form };
        let json = serde_json::to_string(&change).unwrap();
        assert!(json.starts_with(r#"{"kind":"form","form":{"#), "{json}");
        assert_eq!(serde_json::from_str::<Change>(&json).unwrap(), change);
        for bad in [
            r#"{"kind":"form"}"#,
            r#"{"kind":"record","id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}"#,
            r#"{"kind":"gossip"}"#,
        ] {
            assert!(serde_json::from_str::<Change>(bad).is_err(), "{bad}");
        }
    }
}

/// The headers of one chunk of a photo upload (`PUT /api/photos/{sha}`), read from the bytes a
/// client sent: `Content-Type` (a photo type), `Upload-Length` (the photo's size, 1 byte to
/// [`crate::form::MAX_PHOTO_BYTES`]) and `Upload-Offset` (where the chunk starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkHeaders {
    pub content_type: &'static str,
    pub total: u64,
    pub offset: u64,
}

/// Why a chunk's headers are refused, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkHeaderError {
    /// Not one of [`crate::form::PHOTO_TYPES`].
    Type,
    /// The header is missing or not a whole number.
    Invalid(&'static str),
    /// `Upload-Length` is 0.
    Empty,
    /// `Upload-Length` is over the largest photo kept.
    TooLarge,
}

impl ChunkHeaders {
    pub fn parse(
        content_type: Option<&[u8]>,
        length: Option<&[u8]>,
        offset: Option<&[u8]>,
    ) -> Result<ChunkHeaders, ChunkHeaderError> {
        fn text(v: Option<&[u8]>) -> Option<&str> {
            v.and_then(|v| std::str::from_utf8(v).ok()).map(str::trim)
        }
        let content_type = text(content_type)
            .and_then(|t| {
                crate::form::PHOTO_TYPES
                    .iter()
                    .find(|p| t.eq_ignore_ascii_case(p))
            })
            .ok_or(ChunkHeaderError::Type)?;
        let number = |v: Option<&[u8]>, name: &'static str| {
            text(v)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or(ChunkHeaderError::Invalid(name))
        };
        let total = number(length, "Upload-Length")?;
        let offset = number(offset, "Upload-Offset")?;
        if total == 0 {
            return Err(ChunkHeaderError::Empty);
        }
        if total > crate::form::MAX_PHOTO_BYTES {
            return Err(ChunkHeaderError::TooLarge);
        }
        Ok(ChunkHeaders {
            content_type,
            total,
            offset,
        })
    }
}

#[cfg(test)]
mod chunk_header_tests {
    use super::{ChunkHeaderError as E, ChunkHeaders};

    #[test]
    fn chunk_headers_are_read_leniently_and_refused_in_order() {
        let ok = ChunkHeaders::parse(Some(b" IMAGE/JPEG "), Some(b"100"), Some(b" 0"));
        assert_eq!(
            ok,
            Ok(ChunkHeaders {
                content_type: "image/jpeg",
                total: 100,
                offset: 0
            })
        );
        assert_eq!(
            ChunkHeaders::parse(Some(b"image/png"), None, None),
            Err(E::Type)
        );
        assert_eq!(
            ChunkHeaders::parse(Some(b"image/webp"), Some(b"-1"), Some(b"0")),
            Err(E::Invalid("Upload-Length"))
        );
        assert_eq!(
            ChunkHeaders::parse(Some(b"image/webp"), Some(b"1"), Some(b"\xff")),
            Err(E::Invalid("Upload-Offset"))
        );
        assert_eq!(
            ChunkHeaders::parse(Some(b"image/webp"), Some(b"0"), Some(b"0")),
            Err(E::Empty)
        );
        let big = (crate::form::MAX_PHOTO_BYTES + 1).to_string();
        assert_eq!(
            ChunkHeaders::parse(Some(b"image/webp"), Some(big.as_bytes()), Some(b"0")),
            Err(E::TooLarge)
        );
    }
}
