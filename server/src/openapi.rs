//! The OpenAPI description of the HTTP API, generated from the real handlers: each carries its
//! own `#[utoipa::path]` (method, address, parameters, body, the answers it gives), and the wire
//! types' schemas come from `domain`. [`CommonAnswers`] adds the answers every route shares (a
//! session that ended, a malformed address or body, a busy server), so that each handler lists
//! only its own.

use domain::api::ErrorBody;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Wardbook API", description = "Sync, sign-in and review for Wardbook, the ward police field notebook. Every error answers with `ErrorBody`, in the language of `Accept-Language` (Vietnamese by default)."),
    paths(
        routes::health, routes::openapi_json,
        routes::auth::login, routes::auth::logout, routes::auth::me,
        routes::sync::push, routes::sync::pull,
        routes::records::list, routes::records::counts, routes::records::authors,
        routes::records::detail, routes::records::history, routes::records::review_one,
        routes::records::review_many, routes::records::resolve_conflict,
        routes::forms::publish, routes::forms::list, routes::forms::definition,
        routes::indicators::ward, routes::indicators::wards, routes::indicators::province,
        routes::photos::upload_status, routes::photos::upload, routes::photos::download,
        routes::admin::list_users, routes::admin::get_user, routes::admin::create_user,
        routes::admin::update_user, routes::admin::reset_password,
        routes::admin::sign_out_everywhere, routes::admin::list_wards, routes::admin::create_ward,
        routes::admin::update_ward, routes::admin::create_group, routes::admin::rename_group,
        routes::admin::reorganise,
        routes::sessions::list, routes::sessions::revoke,
        routes::audit::list, routes::audit::export,
        routes::exports::create, routes::exports::list, routes::exports::status,
        routes::exports::download,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth, &CommonAnswers),
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

/// The answers every route shares, added to each operation that does not describe them itself:
/// - 401 where a session is required (none, expired or revoked);
/// - 400 where the address carries parameters (one that does not parse);
/// - with a body: 400 (not JSON), 413 (over the body limit), 415 (not the declared type), 422
///   (JSON of the wrong shape);
/// - 408 (the request, its body or its answer, took longer than the server allows), 500 (a
///   fault: logged, nothing internal said) and 503 (every database connection busy), with
///   `Retry-After` described on 503 and 429.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::SecurityRequirement;
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                let public = op
                    .security
                    .as_ref()
                    .is_some_and(|reqs| reqs.iter().all(|r| *r == SecurityRequirement::default()));
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let has_body = op.request_body.is_some();
                let mut add = |status: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_answer(description).into());
                };
                if !public {
                    add(
                        "401",
                        "Not signed in, or the session expired or was revoked",
                    );
                }
                if has_params || has_body {
                    add("400", "A malformed address or body");
                }
                if has_body {
                    add("413", "The body is over the server's limit");
                    add("415", "The body is not of the declared type");
                    add("422", "The body does not have the expected shape");
                }
                add(
                    "408",
                    "The request took longer than the server allows (its body arriving, or its answer)",
                );
                add(
                    "500",
                    "A fault of the server: logged; nothing internal is said",
                );
                add(
                    "503",
                    "Busy: every database connection is taken; see Retry-After",
                );
                for status in ["429", "503"] {
                    if let Some(utoipa::openapi::RefOr::T(answer)) =
                        op.responses.responses.get_mut(status)
                    {
                        answer
                            .headers
                            .entry("Retry-After".into())
                            .or_insert_with(retry_after);
                    }
                }
            }
        }
    }
}

/// `Retry-After`: the seconds to wait before asking again.
fn retry_after() -> utoipa::openapi::header::Header {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .description(Some("Seconds to wait before asking again"))
        .build()
}

fn error_answer(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

// Bytes sent or answered as they are (a photo, a workbook): a binary string, not the array of
// numbers utoipa makes of `Vec<u8>`. (A plain comment: a doc comment would become the schema's
// description.)
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // Only described, never built.
pub struct Binary(Vec<u8>);

/// The description as served at `/api/openapi.json`.
pub fn spec() -> serde_json::Value {
    let mut json = serde_json::to_value(ApiDoc::openapi()).expect("the description serializes");
    bound_unsigned(&mut json);
    json
}

/// Rust's unsigned integers are described with their real range: utoipa gives only the
/// minimum (0), and a client or a test generator would otherwise take `uint32` for any size.
fn bound_unsigned(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            // utoipa writes the format `u-int32` in some places and `uint32` in others.
            let unsigned = match map.get("format").and_then(Value::as_str) {
                Some("uint8" | "u-int8") => Some(("uint8", u64::from(u8::MAX))),
                Some("uint16" | "u-int16") => Some(("uint16", u64::from(u16::MAX))),
                Some("uint32" | "u-int32") => Some(("uint32", u64::from(u32::MAX))),
                Some("uint64" | "u-int64") => Some(("uint64", u64::MAX)),
                _ => None,
            };
            if let Some((format, max)) = unsigned {
                map.insert("format".into(), format.into());
                map.entry("maximum").or_insert(max.into());
            }
            map.values_mut().for_each(bound_unsigned);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_unsigned),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    // Every route of the router is checked against this description by
    // `every_route_in_the_source_is_in_the_openapi_description_with_its_method` (tests/api).
    #[test]
    fn the_wire_types_schemas_are_included() {
        let json = super::spec();
        assert!(json["components"]["schemas"]["RecordEnvelope"].is_object());
    }

    #[test]
    fn unsigned_numbers_carry_their_maximum_and_photos_are_binary() {
        let json = super::spec();
        let version =
            &json["components"]["schemas"]["RecordEnvelope"]["properties"]["form_version"];
        assert_eq!(version["format"], "uint32");
        assert_eq!(version["maximum"], u64::from(u32::MAX));
        let photo =
            &json["paths"]["/api/photos/{sha}"]["put"]["requestBody"]["content"]["image/jpeg"];
        assert_eq!(
            photo["schema"],
            serde_json::json!({"type": "string", "format": "binary"})
        );
        let params = json["paths"]["/api/photos/{sha}"]["put"]["parameters"]
            .as_array()
            .unwrap();
        let length = params
            .iter()
            .find(|p| p["name"] == "Upload-Length")
            .unwrap();
        assert_eq!(length["schema"]["maximum"], domain::form::MAX_PHOTO_BYTES);
    }
}
