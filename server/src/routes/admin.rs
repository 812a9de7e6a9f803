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
struct Admin(Caller);

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

async fn list_users(
    State(state): State<AppState>,
    _admin: Admin,
) -> AppResult<Json<Vec<UserView>>> {
    Ok(Json(people::users(&state.db).await?))
}

async fn get_user(
    State(state): State<AppState>,
    _admin: Admin,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<UserView>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(people::user(&mut conn, id).await?))
}

async fn create_user(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppJson(input): AppJson<UserInput>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    let user = people::create_user(&state.db, Some(caller.user_id), input).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn update_user(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<UserInput>,
) -> AppResult<Json<UserView>> {
    Ok(Json(
        people::update_user(&state.db, Some(caller.user_id), id, input).await?,
    ))
}

async fn reset_password(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<PasswordInput>,
) -> AppResult<StatusCode> {
    people::reset_password(&state.db, Some(caller.user_id), id, input.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(id): AppPath<i64>,
) -> AppResult<StatusCode> {
    people::sign_out_everywhere(&state.db, Some(caller.user_id), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_wards(
    State(state): State<AppState>,
    _admin: Admin,
) -> AppResult<Json<Vec<WardView>>> {
    Ok(Json(people::wards(&state.db).await?))
}

async fn create_ward(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppJson(input): AppJson<WardInput>,
) -> AppResult<(StatusCode, Json<WardView>)> {
    let ward = people::create_ward(&state.db, Some(caller.user_id), input).await?;
    Ok((StatusCode::CREATED, Json(ward)))
}

async fn update_ward(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<WardInput>,
) -> AppResult<StatusCode> {
    people::update_ward(&state.db, Some(caller.user_id), id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_group(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppPath(ward): AppPath<i64>,
    AppJson(input): AppJson<NameInput>,
) -> AppResult<(StatusCode, Json<Place>)> {
    let group = people::create_group(&state.db, Some(caller.user_id), ward, &input.name).await?;
    Ok((StatusCode::CREATED, Json(group)))
}

async fn rename_group(
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
async fn reorganise(
    State(state): State<AppState>,
    Admin(caller): Admin,
    AppJson(input): AppJson<ReorganisationInput>,
) -> AppResult<Json<ReorganisationDone>> {
    Ok(Json(
        crate::reorganise::reorganise(&state.db, Some(caller.user_id), &input, crate::now_ms())
            .await?,
    ))
}
