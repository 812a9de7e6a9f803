//! The OpenAPI description of the HTTP API. The wire types' schemas come from `domain`; the
//! operations are declared here, beside each other, so the whole API reads in one place.
#![allow(dead_code)] // The functions below only carry `#[utoipa::path]` metadata.

use domain::admin::{
    AuditEntry, NameInput, PasswordInput, ReorganisationDone, ReorganisationInput, SessionView,
    UserInput, UserView, WardInput, WardView,
};
use domain::api::{
    Author, ErrorBody, LoginRequest, LoginResponse, Me, Place, RecordDetail, RecordSummary,
    StateCount,
};
use domain::form::FormDef;
use domain::record::RecordStatus;
use domain::review::{
    BulkReviewRequest, BulkReviewResult, RecordHistory, ResolveRequest, ReviewRequest,
};
use domain::sync::{PullResponse, PushRequest, PushResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::forms::{FormVersions, Published};

#[derive(OpenApi)]
#[openapi(
    info(title = "Wardbook API", description = "Sync, sign-in and review for Wardbook, the ward police field notebook. Every error answers with `ErrorBody`, in the language of `Accept-Language` (Vietnamese by default)."),
    paths(health, openapi_json, login, logout, me, push, pull, list_records, indicators, indicator_wards, province_indicators, record_detail, record_counts, record_authors, review_record, review_records, record_history, resolve_conflict, publish_form, list_forms, form_definition,
        crate::routes::photos::upload_status, crate::routes::photos::upload, crate::routes::photos::download,
        list_users, get_user, create_user, update_user, reset_password, sign_out_everywhere,
        list_wards, create_ward, update_ward, create_group, rename_group, reorganise,
        list_sessions, revoke_session, audit_list, audit_export,
        crate::routes::exports::create, crate::routes::exports::list, crate::routes::exports::status,
        crate::routes::exports::download),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[utoipa::path(get, path = "/api/health", security(), responses((status = 200, description = "The server and its database answer")))]
fn health() {}

#[utoipa::path(post, path = "/api/auth/login", security(), request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse),
    (status = 401, description = "Wrong username or password", body = ErrorBody),
    (status = 429, description = "Too many failed sign-ins for this account or address; see Retry-After", body = ErrorBody),
))]
fn login() {}

#[utoipa::path(post, path = "/api/auth/logout", responses((status = 204, description = "The session is revoked")))]
fn logout() {}

#[utoipa::path(get, path = "/api/me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
fn me() {}

#[utoipa::path(post, path = "/api/sync/push", request_body = PushRequest, responses(
    (status = 200, description = "One result per record: accepted, duplicate, conflict or rejected. Sent only after the commit.", body = PushResponse),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 413, description = "Body or batch too large", body = ErrorBody),
    (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
))]
fn push() {}

#[utoipa::path(get, path = "/api/sync/pull", params(
    ("cursor" = i64, Query, description = "The cursor of the previous page; 0 for everything"),
    ("limit" = Option<u32>, Query, description = "At most this many changes (≤ 500)"),
    ("epoch" = Option<String>, Query, description = "The epoch of the answer that gave the cursor; a cursor of another database is answered with reset"),
), responses((status = 200, body = PullResponse), (status = 401, body = ErrorBody)))]
fn pull() {}

#[utoipa::path(get, path = "/api/records", params(
    ("before" = Option<i64>, Query, description = "Paging back: the received_at of the last record of the previous page (ms since the epoch)"),
    ("before_id" = Option<uuid::Uuid>, Query, description = "With before: the id of that last record, so records received at the same moment are neither skipped nor repeated"),
    ("limit" = Option<i64>, Query, description = "At most this many (≤ 200)"),
    ("status" = Option<RecordStatus>, Query, description = "Only records in this review state"),
    ("form" = Option<String>, Query, description = "Only records of this form key"),
    ("group" = Option<i64>, Query, description = "Only records about this residential group"),
    ("author" = Option<i64>, Query, description = "Only records by this user"),
    ("from" = Option<i64>, Query, description = "Received at or after (ms since the epoch)"),
    ("to" = Option<i64>, Query, description = "Received before (ms since the epoch)"),
    ("q" = Option<String>, Query, description = "Free text in the record's texts, whatever its diacritics, case or Unicode form"),
    ("urgency" = Option<String>, Query, description = "Only records with this urgency answer (normal, urgent, emergency)"),
    ("conflict" = Option<String>, Query, description = "`open`: only records with a conflicting copy waiting for a reviewer"),
), responses((status = 200, body = Vec<RecordSummary>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
fn list_records() {}

#[utoipa::path(get, path = "/api/records/counts", params(
    ("form" = Option<String>, Query), ("group" = Option<i64>, Query), ("author" = Option<i64>, Query),
    ("from" = Option<i64>, Query), ("to" = Option<i64>, Query), ("q" = Option<String>, Query),
    ("urgency" = Option<String>, Query), ("conflict" = Option<String>, Query),
), description = "How many records the list's filter (its state aside) finds in each review state: the queue's tabs.",
responses((status = 200, body = Vec<StateCount>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
fn record_counts() {}

#[utoipa::path(get, path = "/api/records/authors", description = "The people of the caller's ward who file records, for the queue's author filter (supervisors and officers).",
responses((status = 200, body = Vec<Author>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
fn record_authors() {}

#[utoipa::path(get, path = "/api/records/{id}", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = RecordDetail), (status = 404, description = "No such record, or not yours to see", body = ErrorBody),
))]
fn record_detail() {}

#[utoipa::path(post, path = "/api/records/{id}/review", params(("id" = uuid::Uuid, Path)), request_body = ReviewRequest,
    description = "Approve; return to the author (a comment saying what to correct is required); take up or resolve a neighborhood report (resolving requires a reply to the reporter). The same action with the same comment again changes nothing and answers 200.",
    responses(
    (status = 200, description = "The record as it is now", body = RecordSummary),
    (status = 401, body = ErrorBody),
    (status = 403, description = "The caller reviews nothing, or wrote this record", body = ErrorBody),
    (status = 404, description = "No such record, or not in the caller's place", body = ErrorBody),
    (status = 409, description = "The action does not apply to the record's current state (`wrong_state`): someone else reviewed it meanwhile", body = ErrorBody),
    (status = 422, description = "Comment missing, too long or unreadable; handling asked of a record that is not a neighborhood report", body = ErrorBody),
))]
fn review_record() {}

#[utoipa::path(post, path = "/api/records/review", request_body = BulkReviewRequest,
    description = "One action on up to 200 records, each reviewed on its own: one refused never stops the others.",
    responses(
    (status = 200, description = "One result per distinct id, in order", body = Vec<BulkReviewResult>),
    (status = 401, body = ErrorBody),
    (status = 403, description = "The caller reviews nothing", body = ErrorBody),
    (status = 413, description = "More than 200 ids", body = ErrorBody),
    (status = 422, body = ErrorBody),
))]
fn review_records() {}

#[utoipa::path(get, path = "/api/records/{id}/history", params(("id" = uuid::Uuid, Path)),
    description = "The record's revisions (oldest first, the last is current), its reviews and resubmissions, and copies that conflicted with it.",
    responses(
    (status = 200, body = RecordHistory), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, description = "No such record, or not in the caller's place", body = ErrorBody),
))]
fn record_history() {}

#[utoipa::path(post, path = "/api/records/{id}/conflicts/{conflict}/resolve",
    params(("id" = uuid::Uuid, Path), ("conflict" = i64, Path)), request_body = ResolveRequest,
    description = "A reviewer keeps the current revision or makes the conflicting copy the record's new current revision. The same choice again answers 200 and changes nothing.",
    responses(
    (status = 200, description = "The record as it is now", body = RecordSummary),
    (status = 401, body = ErrorBody),
    (status = 403, description = "The caller reviews nothing, or wrote the record or the copy", body = ErrorBody),
    (status = 404, description = "No such record or conflict in the caller's place", body = ErrorBody),
    (status = 409, description = "Already settled the other way", body = ErrorBody),
))]
fn resolve_conflict() {}

#[utoipa::path(post, path = "/api/forms", request_body(content = FormDef, content_type = "application/json",
    description = "The definition file, read strictly (unknown types or properties, duplicate keys, conditions that do not parse, name missing fields or go round in a circle are refused). Its `version`, if any, is ignored: the server gives the latest version of the key plus one, or 1 for a new key."),
    responses(
    (status = 201, description = "Stored as a new version", body = Published),
    (status = 200, description = "Same content as the latest version: nothing stored, `unchanged` is true", body = Published),
    (status = 401, body = ErrorBody),
    (status = 403, description = "Only administrators publish forms", body = ErrorBody),
    (status = 413, body = ErrorBody),
    (status = 415, description = "The body must be `application/json`", body = ErrorBody),
    (status = 422, description = "`invalid_form`: the message says where and what, in the caller's language; `fields` holds one entry whose `field` is the path in the definition (empty for the form itself)", body = ErrorBody),
))]
fn publish_form() {}

#[utoipa::path(get, path = "/api/forms", responses(
    (status = 200, description = "Every form by key, with every version newest first", body = Vec<FormVersions>),
    (status = 401, body = ErrorBody),
    (status = 403, description = "Administrators and supervisors only", body = ErrorBody),
))]
fn list_forms() {}

#[utoipa::path(get, path = "/api/forms/{key}/{version}", params(("key" = String, Path), ("version" = u32, Path)), responses(
    (status = 200, description = "The stored definition of that version; published versions never change", body = FormDef),
    (status = 401, body = ErrorBody),
    (status = 404, description = "No such form or version", body = ErrorBody),
))]
fn form_definition() {}

#[utoipa::path(get, path = "/api/openapi.json", security(), responses((status = 200, description = "This description")))]
fn openapi_json() {}

// ---- people and places (administrators) ------------------------------------------------------

#[utoipa::path(get, path = "/api/indicators", tag = "indicators",
    params(
        ("ward" = Option<i64>, Query, description = "The ward; required for provincial staff, a supervisor's or officer's own by default"),
        ("year" = Option<i32>, Query, description = "This year by default"),
        ("month" = Option<u32>, Query, description = "1-12; this month by default (December of a past year)"),
    ),
    responses(
        (status = 200, body = domain::indicators::WardIndicators), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
fn indicators() {}

#[utoipa::path(get, path = "/api/indicators/wards", tag = "indicators", responses(
    (status = 200, description = "The caller's ward, or every ward and commune of a provincial user's province", body = Vec<domain::indicators::IndicatorWard>),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
))]
fn indicator_wards() {}

#[utoipa::path(get, path = "/api/indicators/province", tag = "indicators",
    params(("year" = Option<i32>, Query), ("month" = Option<u32>, Query)),
    responses(
        (status = 200, description = "The provincial user's wards and communes side by side", body = domain::indicators::ProvinceIndicators),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
fn province_indicators() {}

#[utoipa::path(get, path = "/api/admin/users", tag = "admin", responses(
    (status = 200, body = Vec<UserView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
))]
fn list_users() {}

#[utoipa::path(get, path = "/api/admin/users/{id}", tag = "admin", params(("id" = i64, Path)), responses(
    (status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody),
))]
fn get_user() {}

#[utoipa::path(post, path = "/api/admin/users", tag = "admin", request_body = UserInput, responses(
    (status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 422, description = "A field is not valid (a username taken, a weak password)", body = ErrorBody),
))]
fn create_user() {}

#[utoipa::path(put, path = "/api/admin/users/{id}", tag = "admin", params(("id" = i64, Path)), request_body = UserInput, responses(
    (status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
))]
fn update_user() {}

#[utoipa::path(post, path = "/api/admin/users/{id}/password", tag = "admin", params(("id" = i64, Path)), request_body = PasswordInput, responses(
    (status = 204, description = "The new password is set and every device signed out"), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
))]
fn reset_password() {}

#[utoipa::path(post, path = "/api/admin/users/{id}/signout", tag = "admin", params(("id" = i64, Path)), responses(
    (status = 204, description = "Every device of the user is signed out; nothing it sent is lost"),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
))]
fn sign_out_everywhere() {}

#[utoipa::path(get, path = "/api/admin/wards", tag = "admin", responses(
    (status = 200, body = Vec<WardView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
))]
fn list_wards() {}

#[utoipa::path(post, path = "/api/admin/wards", tag = "admin", request_body = WardInput, responses(
    (status = 201, body = WardView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
))]
fn create_ward() {}

#[utoipa::path(put, path = "/api/admin/wards/{id}", tag = "admin", params(("id" = i64, Path)), request_body = WardInput, responses(
    (status = 204, description = "Renamed"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
))]
fn update_ward() {}

#[utoipa::path(post, path = "/api/admin/wards/{id}/groups", tag = "admin", params(("id" = i64, Path)), request_body = NameInput, responses(
    (status = 201, body = Place), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
))]
fn create_group() {}

#[utoipa::path(put, path = "/api/admin/groups/{id}", tag = "admin", params(("id" = i64, Path)), request_body = NameInput, responses(
    (status = 200, body = Place), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
))]
fn rename_group() {}

#[utoipa::path(post, path = "/api/admin/reorganisations", tag = "admin", request_body = ReorganisationInput, responses(
    (status = 200, description = "Groups moved, wards closed, from the effective date", body = ReorganisationDone),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
))]
fn reorganise() {}

// ---- own sessions and the audit trail ------------------------------------------------------

#[utoipa::path(get, path = "/api/sessions", tag = "sessions", responses(
    (status = 200, description = "The caller's signed-in devices", body = Vec<SessionView>), (status = 401, body = ErrorBody),
))]
fn list_sessions() {}

#[utoipa::path(delete, path = "/api/sessions/{id}", tag = "sessions", params(("id" = String, Path, description = "The session's 16-character id")), responses(
    (status = 204, description = "That device is signed out"), (status = 401, body = ErrorBody),
    (status = 404, description = "No such session of the caller", body = ErrorBody),
))]
fn revoke_session() {}

#[utoipa::path(get, path = "/api/audit", tag = "audit", params(crate::routes::audit::AuditQuery), responses(
    (status = 200, description = "Newest first: everything for administrators, their ward for supervisors", body = Vec<AuditEntry>),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
))]
fn audit_list() {}

#[utoipa::path(get, path = "/api/audit/export", tag = "audit", params(crate::routes::audit::AuditQuery), responses(
    (status = 200, description = "The same entries as CSV", content_type = "text/csv"),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
))]
fn audit_export() {}

#[cfg(test)]
mod tests {
    // Every route of the router is checked against this description by
    // `every_route_in_the_source_is_in_the_openapi_description_with_its_method` (tests/api).
    #[test]
    fn the_wire_types_schemas_are_included() {
        let json = serde_json::to_value(super::spec()).unwrap();
        assert!(json["components"]["schemas"]["RecordEnvelope"].is_object());
    }
}
