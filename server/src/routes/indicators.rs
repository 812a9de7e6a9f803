//! `GET /api/indicators`: a ward's "model ward" indicators for a month, for its supervisors and
//! officers, and for the provincial staff of its province. Reading them changes nothing.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use domain::api::Role;
use domain::indicators::{IndicatorWard, ProvinceIndicators, WardIndicators};
use serde::Deserialize;
use sqlx::Row;

use crate::auth::Caller;
use crate::error::{AppError, AppQuery, AppResult};
use crate::indicators::Periods;
use crate::{now_ms, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/indicators", get(ward))
        .route("/indicators/wards", get(wards))
        .route("/indicators/province", get(province))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Query {
    /// The ward; required for provincial staff, a supervisor's or officer's own by default.
    ward: Option<i64>,
    /// The month's year; this year by default. A month that has not begun is not found.
    #[param(minimum = 2000, maximum = 9999)]
    year: Option<i32>,
    /// The month, 1–12; this month by default (December of a past year).
    #[param(minimum = 1, maximum = 12)]
    month: Option<u32>,
}

/// The ward `caller` asks about, if they may read it: their own, or one of their province's.
/// Anything else is "not found", as a ward that does not exist.
async fn ward_of(state: &AppState, caller: &Caller, asked: Option<i64>) -> AppResult<i64> {
    match caller.role {
        Role::Supervisor | Role::Officer => {
            let own = caller.ward_id.ok_or(AppError::Forbidden)?;
            match asked {
                None => Ok(own),
                Some(w) if w == own => Ok(own),
                Some(_) => Err(AppError::NotFound),
            }
        }
        Role::Provincial => {
            let province = caller.province_id.ok_or(AppError::Forbidden)?;
            let Some(w) = asked else {
                return Err(crate::people::invalid(
                    "ward",
                    domain::Text::new("Hãy chọn một phường / xã.", "Choose a ward or commune."),
                ));
            };
            let theirs: Option<i64> =
                sqlx::query_scalar("SELECT id FROM wards WHERE id = $1 AND province_id = $2")
                    .bind(w)
                    .bind(province)
                    .fetch_optional(&state.db.pool)
                    .await?;
            theirs.ok_or(AppError::NotFound)
        }
        Role::Admin | Role::GroupLeader => Err(AppError::Forbidden),
    }
}

#[utoipa::path(get, path = "/api/indicators", tag = "indicators", summary = "A ward's model-ward indicators for a month",
    params(Query, ("Cache-Control" = Option<String>, Header, description = "`no-cache`: counted by a count begun after the request came; otherwise the last count may answer: up to 15 s old as it is (ten times the count's own time for a ward slow to count, up to a minute), up to four times that at once while it is counted again behind, older only after counting. `counted_at` in the answer says when.")),
    responses(
        (status = 200, body = domain::indicators::WardIndicators), (status = 403, body = domain::api::ErrorBody), (status = 404, description = "A ward the caller may not read, or a month that has not begun", body = domain::api::ErrorBody), (status = 422, description = "A year before 2000, a month outside 1–12, or no ward from provincial staff", body = domain::api::ErrorBody),
    ))]
pub(crate) async fn ward(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    AppQuery(q): AppQuery<Query>,
) -> AppResult<Json<WardIndicators>> {
    let ward = ward_of(&state, &caller, q.ward).await?;
    let now = now_ms();
    let asked = Periods::asked(q.year, q.month, now);
    // `Cache-Control: no-cache`, as HTTP means it: counted now, not answered from a count before.
    let fresh = headers
        .get_all(axum::http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-cache"))
        });
    Ok(Json(
        crate::indicators::ward(&state.db, ward, asked, now, fresh).await?,
    ))
}

/// The wards whose indicators the caller may read: their own, or every ward and commune of a
/// provincial user's province (closed ones last, for months before they closed).
#[utoipa::path(get, path = "/api/indicators/wards", tag = "indicators", summary = "The wards whose indicators the caller may read", responses(
    (status = 200, description = "The caller's ward, or every ward and commune of a provincial user's province", body = Vec<domain::indicators::IndicatorWard>),
    (status = 403, body = domain::api::ErrorBody),
))]
pub(crate) async fn wards(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<IndicatorWard>>> {
    let (cond, place) = match caller.role {
        Role::Supervisor | Role::Officer => ("id = $1", caller.ward_id.ok_or(AppError::Forbidden)?),
        Role::Provincial => (
            "province_id = $1",
            caller.province_id.ok_or(AppError::Forbidden)?,
        ),
        Role::Admin | Role::GroupLeader => return Err(AppError::Forbidden),
    };
    let rows = sqlx::query(&format!(
        "SELECT id, name, kind, closed_from FROM wards WHERE {cond} \
         ORDER BY CASE WHEN closed_from IS NULL THEN 0 ELSE 1 END, name"
    ))
    .bind(place)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| IndicatorWard {
                id: r.get(0),
                name: r.get(1),
                commune: r.get::<String, _>(2) == "commune",
                closed_from: r.get(3),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProvinceQuery {
    /// The month's year; this year by default. A month that has not begun is not found.
    #[param(minimum = 2000, maximum = 9999)]
    year: Option<i32>,
    /// The month, 1–12; this month by default (December of a past year).
    #[param(minimum = 1, maximum = 12)]
    month: Option<u32>,
}

/// `GET /api/indicators/province`: the caller's province's wards and communes side by side
/// (provincial staff only).
#[utoipa::path(get, path = "/api/indicators/province", tag = "indicators", summary = "A province's wards side by side for a month",
    params(ProvinceQuery),
    responses(
        (status = 200, description = "The provincial user's wards and communes side by side", body = domain::indicators::ProvinceIndicators),
        (status = 403, body = domain::api::ErrorBody), (status = 404, description = "A month that has not begun", body = domain::api::ErrorBody), (status = 422, body = domain::api::ErrorBody),
    ))]
pub(crate) async fn province(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<ProvinceQuery>,
) -> AppResult<Json<ProvinceIndicators>> {
    let province = match caller.role {
        Role::Provincial => caller.province_id.ok_or(AppError::Forbidden)?,
        _ => return Err(AppError::Forbidden),
    };
    let now = now_ms();
    let (year, month) = Periods::asked(q.year, q.month, now);
    Ok(Json(
        crate::indicators::province(&state.db, province, year, month, now).await?,
    ))
}
