//! Administration of people and places, for administrators only: users (create, edit, deactivate,
//! reset a password, sign out every device), wards and residential groups. The work is done in
//! [`crate::people`], which the `wardbook user|ward|group` commands share.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use domain::admin::{
    NameInput, PasswordInput, ReorganisationDone, ReorganisationInput, UserInput, UserView,
    WardInput, WardView,
};
use domain::api::{Place, Role};

use crate::auth::Caller;
use crate::error::{AppError, AppJson, AppPath, AppResult};
use crate::people;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list_users).post(create_user))
        .route("/admin/users/{id}", get(get_user).put(update_user))
        .route("/admin/users/{id}/password", post(reset_password))
        .route("/admin/users/{id}/signout", post(sign_out_everywhere))
        .route("/admin/wards", get(list_wards).post(create_ward))
        .route("/admin/wards/{id}", put(update_ward))
        .route("/admin/wards/{id}/groups", post(create_group))
        .route("/admin/groups/{id}", put(rename_group))
        .route("/admin/reorganisations", post(reorganise))
}

fn admin(caller: &Caller) -> AppResult<()> {
    if caller.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The caller, known to be an administrator. As an extractor it runs before the body is read,
/// so anyone else is refused with 403 whatever they sent, and learns nothing of the expected body.
pub(crate) struct Admin(Caller);

impl axum::extract::FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, AppError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        admin(&caller)?;
        Ok(Admin(caller))
    }
}

#[utoipa::path(get, path = "/api/admin/users", tag = "admin", summary = "List every user", responses(
    (status = 200, body = Vec<domain::admin::UserView>), (status = 403, body = domain::api::ErrorBody),
))]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    _admin: Admin,
) -> AppResult<Json<Vec<UserView>>> {
    Ok(Json(people::users(&state.db).await?))
}

#[utoipa::path(get, path = "/api/admin/users/{id}", tag = "admin", summary = "Read one user", params(("id" = i64, Path)), responses(
    (status = 200, body = domain::admin::UserView), (status = 403, body = domain::api::ErrorBody),
    (status = 404, body = domain::api::ErrorBody),
))]
pub(crate) async fn get_user(
    State(state): State<AppState>,
    _admin: Admin,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<UserView>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(people::user(&mut conn, id).await?))
}

#[utoipa::path(post, path = "/api/admin/users", tag = "admin", summary = "Add a user", request_body = domain::admin::UserInput, responses(
    (status = 201, body = domain::admin::UserView), (status = 403, body = domain::api::ErrorBody), (status = 422, description = "A field is not valid (a username taken, a weak password)", body = domain::api::ErrorBody),
))]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppJson(input): AppJson<UserInput>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    let user = people::create_user(&state.db, Some(caller.user_id), input).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(put, path = "/api/admin/users/{id}", tag = "admin", summary = "Change a user: name, role, place, active", params(("id" = i64, Path)), request_body = domain::admin::UserInput, responses(
    (status = 200, body = domain::admin::UserView), (status = 403, body = domain::api::ErrorBody), (status = 404, body = domain::api::ErrorBody), ))]
pub(crate) async fn update_user(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<UserInput>,
) -> AppResult<Json<UserView>> {
    Ok(Json(
        people::update_user(&state.db, Some(caller.user_id), id, input).await?,
    ))
}

#[utoipa::path(post, path = "/api/admin/users/{id}/password", tag = "admin", summary = "Set a user's password (signs out every device)", params(("id" = i64, Path)), request_body = domain::admin::PasswordInput, responses(
    (status = 204, description = "The new password is set and every device signed out"), (status = 403, body = domain::api::ErrorBody), (status = 404, body = domain::api::ErrorBody), ))]
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<PasswordInput>,
) -> AppResult<StatusCode> {
    people::reset_password(&state.db, Some(caller.user_id), id, input.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/admin/users/{id}/signout", tag = "admin", summary = "Sign out every device of a user", params(("id" = i64, Path)), responses(
    (status = 204, description = "Every device of the user is signed out; nothing it sent is lost"),
    (status = 403, body = domain::api::ErrorBody), (status = 404, body = domain::api::ErrorBody),
))]
pub(crate) async fn sign_out_everywhere(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(id): AppPath<i64>,
) -> AppResult<StatusCode> {
    people::sign_out_everywhere(&state.db, Some(caller.user_id), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/admin/wards", tag = "admin", summary = "List wards and their residential groups", responses(
    (status = 200, body = Vec<domain::admin::WardView>), (status = 403, body = domain::api::ErrorBody),
))]
pub(crate) async fn list_wards(
    State(state): State<AppState>,
    _admin: Admin,
) -> AppResult<Json<Vec<WardView>>> {
    Ok(Json(people::wards(&state.db).await?))
}

#[utoipa::path(post, path = "/api/admin/wards", tag = "admin", summary = "Add a ward", request_body = domain::admin::WardInput, responses(
    (status = 201, body = domain::admin::WardView), (status = 403, body = domain::api::ErrorBody), ))]
pub(crate) async fn create_ward(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppJson(input): AppJson<WardInput>,
) -> AppResult<(StatusCode, Json<WardView>)> {
    let ward = people::create_ward(&state.db, Some(caller.user_id), input).await?;
    Ok((StatusCode::CREATED, Json(ward)))
}

#[utoipa::path(put, path = "/api/admin/wards/{id}", tag = "admin", summary = "Rename a ward", params(("id" = i64, Path)), request_body = domain::admin::WardInput, responses(
    (status = 204, description = "Renamed"), (status = 403, body = domain::api::ErrorBody),
    (status = 404, body = domain::api::ErrorBody), ))]
pub(crate) async fn update_ward(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<WardInput>,
) -> AppResult<StatusCode> {
    people::update_ward(&state.db, Some(caller.user_id), id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/admin/wards/{id}/groups", tag = "admin", summary = "Add a residential group to a ward", params(("id" = i64, Path)), request_body = domain::admin::NameInput, responses(
    (status = 201, body = domain::api::Place), (status = 403, body = domain::api::ErrorBody),
    (status = 404, body = domain::api::ErrorBody), ))]
pub(crate) async fn create_group(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(ward): AppPath<i64>,
    AppJson(input): AppJson<NameInput>,
) -> AppResult<(StatusCode, Json<Place>)> {
    let group = people::create_group(&state.db, Some(caller.user_id), ward, &input.name).await?;
    Ok((StatusCode::CREATED, Json(group)))
}

#[utoipa::path(put, path = "/api/admin/groups/{id}", tag = "admin", summary = "Rename a residential group", params(("id" = i64, Path)), request_body = domain::admin::NameInput, responses(
    (status = 200, body = domain::api::Place), (status = 403, body = domain::api::ErrorBody),
    (status = 404, body = domain::api::ErrorBody), ))]
pub(crate) async fn rename_group(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<NameInput>,
) -> AppResult<Json<Place>> {
    Ok(Json(
        people::rename_group(&state.db, Some(caller.user_id), id, &input.name).await?,
    ))
}

/// Moves residential groups, merges or splits wards, from a date (see [`crate::reorganise`]).
#[utoipa::path(post, path = "/api/admin/reorganisations", tag = "admin", summary = "Move groups, merge or split wards from a date", request_body = domain::admin::ReorganisationInput, responses(
    (status = 200, description = "Groups moved, wards closed, from the effective date", body = domain::admin::ReorganisationDone),
    (status = 403, body = domain::api::ErrorBody), ))]
pub(crate) async fn reorganise(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppJson(input): AppJson<ReorganisationInput>,
) -> AppResult<Json<ReorganisationDone>> {
    Ok(Json(
        crate::reorganise::reorganise(&state.db, Some(caller.user_id), &input, crate::now_ms())
            .await?,
    ))
}
