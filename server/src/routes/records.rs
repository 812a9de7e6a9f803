//! Records as ward staff read and review them: `GET /api/records`, `GET /api/records/{id}`,
//! `POST /api/records/{id}/review` and `POST /api/records/review` (many at once). Every query is
//! scoped by the caller's role and place; a record outside that scope is "not found", so a
//! denial reveals nothing.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::api::{Author, Place, RecordDetail, RecordSummary, Role, StateCount};
use domain::form::{Choice, FieldKind, FormDef};
use domain::record::RecordStatus;
use domain::review::{
    self, BulkReviewOutcome, BulkReviewRequest, BulkReviewResult, ConflictView, Keep,
    RecordHistory, ResolveRequest, ReviewRequest, ReviewView, RevisionView, Transition,
    MAX_BULK_REVIEW,
};
use domain::{Lang, Text};
use serde::Deserialize;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use sqlx::Row;
use uuid::Uuid;

use crate::auth::{Caller, Signed};
use crate::db::{next_seq, record_audit, Audit, Backend};
use crate::error::{request_lang, AppError, AppJson, AppPath, AppQuery, AppResult};
use crate::revisions;
use crate::{now_ms, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/records", get(list))
        .route("/records/{id}", get(detail))
        .route("/records/review", post(review_many))
        .route("/records/counts", get(counts))
        .route("/records/authors", get(authors))
        .route("/records/{id}/history", get(history))
        .route(
            "/records/{id}/conflicts/{conflict}/resolve",
            post(resolve_conflict),
        )
        .route("/records/{id}/review", post(review_one))
}

/// The SQL condition limiting records to what `caller` may read, and its bound value.
/// Parameters are numbered from `$1`.
pub(crate) fn scope(caller: &Caller) -> AppResult<(&'static str, i64)> {
    match caller.role {
        Role::Supervisor | Role::Officer => {
            Ok(("r.ward_id = $1", caller.ward_id.ok_or(AppError::Forbidden)?))
        }
        // A group leader sees their group's records of forms group leaders file (neighborhood
        // reports), never officers' police records (visits, checks) about the same residents.
        Role::GroupLeader => Ok((
            "r.group_id = $1 AND EXISTS (SELECT 1 FROM forms f WHERE f.form_key = r.form_key \
             AND f.version = r.form_version AND f.for_group_leaders = 1)",
            caller.group_id.ok_or(AppError::Forbidden)?,
        )),
        // Provincial staff read every ward and commune of their province.
        Role::Provincial => Ok((
            "r.ward_id IN (SELECT pw.id FROM wards pw WHERE pw.province_id = $1)",
            caller.province_id.ok_or(AppError::Forbidden)?,
        )),
        // Administrators manage people and forms; they do not read residents' records.
        Role::Admin => Err(AppError::Forbidden),
    }
}

const SUMMARY_COLUMNS: &str =
    "r.id, r.form_key, r.form_version, r.group_id, g.name, u.display_name, r.status, \
     r.received_at, r.data, r.ward_id, w.name, r.client_created_at, \
     (SELECT COUNT(*) FROM record_photos rp WHERE rp.record_id = r.id AND rp.current = 1 \
      AND NOT EXISTS (SELECT 1 FROM photo_owners o \
                      WHERE o.sha256 = rp.sha256 AND o.user_id = r.author_id)), r.status_note, \
     COALESCE(r.revision_id, r.id)";
/// What a summary joins to `records r`.
macro_rules! summary_joined {
    () => {
        "JOIN residential_groups g ON g.id = r.group_id \
         JOIN users u ON u.id = r.author_id JOIN wards w ON w.id = r.ward_id"
    };
}
pub(crate) const SUMMARY_JOINS: &str = concat!("FROM records r ", summary_joined!());

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Paging back: only records after this one in the list's order — received before this time
    /// (ms), or at this time with a smaller id. Records of one push share their time, so the
    /// time alone would skip those on a page boundary; (time, id) is unique and never changes.
    before: Option<i64>,
    /// The id of the last record of the previous page (with `before`, its `received_at`).
    before_id: Option<Uuid>,
    /// At most this many, 50 by default (1 to 200; a number outside is taken as the nearest).
    limit: Option<i64>,
}

/// A query parameter given empty (`conflict=`, as an HTML form sends a choice left unset) is
/// the same as one left out.
mod empty_is_none {
    use serde::de::value::StringDeserializer;
    use serde::{Deserialize, Deserializer};

    fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
    }

    pub fn choice<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        given(d)?
            .map(|s| T::deserialize(StringDeserializer::<D::Error>::new(s)))
            .transpose()
    }

    pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        given(d)?
            .map(|s| s.parse().map_err(serde::de::Error::custom))
            .transpose()
    }

    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        given(d)
    }

    /// The description of [`number`]: an integer, or nothing at all.
    pub fn number_schema() -> utoipa::openapi::schema::Schema {
        use utoipa::openapi::schema::{
            KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
        };
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
            )
            .item(empty())
            .into()
    }

    /// The description of a [`choice`] among `values`, or nothing at all.
    pub fn choice_schema(values: &[&str]) -> utoipa::openapi::schema::Schema {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied().chain([""])))
            .into()
    }

    fn empty() -> utoipa::openapi::schema::Object {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(0))
            .build()
    }

    pub fn status_schema() -> utoipa::openapi::schema::Schema {
        let all = domain::record::RecordStatus::ALL.map(|s| s.as_str());
        choice_schema(&all)
    }

    pub fn conflict_schema() -> utoipa::openapi::schema::Schema {
        choice_schema(&["open"])
    }
}

/// The review queue's filter, shared by the list and its counts. Every part is optional, and
/// a part given empty is left out.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Filter {
    /// Review state.
    #[serde(default, deserialize_with = "empty_is_none::choice")]
    #[param(schema_with = empty_is_none::status_schema)]
    status: Option<RecordStatus>,
    /// Form key.
    #[serde(default, deserialize_with = "empty_is_none::text")]
    form: Option<String>,
    /// Residential group id.
    #[serde(default, deserialize_with = "empty_is_none::number")]
    #[param(schema_with = empty_is_none::number_schema)]
    group: Option<i64>,
    /// Author's user id.
    #[serde(default, deserialize_with = "empty_is_none::number")]
    #[param(schema_with = empty_is_none::number_schema)]
    author: Option<i64>,
    /// Received at or after (ms since the epoch).
    #[serde(default, deserialize_with = "empty_is_none::number")]
    #[param(schema_with = empty_is_none::number_schema)]
    from: Option<i64>,
    /// Received before (ms since the epoch).
    #[serde(default, deserialize_with = "empty_is_none::number")]
    #[param(schema_with = empty_is_none::number_schema)]
    to: Option<i64>,
    /// Free text, found whatever its diacritics, case or Unicode form.
    #[param(max_length = 200)]
    q: Option<String>,
    /// The record's urgency answer (`normal`, `urgent`, `emergency` in neighborhood reports).
    #[serde(default, deserialize_with = "empty_is_none::text")]
    urgency: Option<String>,
    /// `open`: only records with a conflicting copy that waits for a reviewer.
    #[serde(default, deserialize_with = "empty_is_none::choice")]
    #[param(schema_with = empty_is_none::conflict_schema)]
    conflict: Option<ConflictFilter>,
    /// One of the record's indicator categories (`domain::indicators::Facets::category`): a
    /// neighborhood report's category, an issue a field visit found...
    #[serde(default, deserialize_with = "empty_is_none::text")]
    #[param(max_length = 64)]
    category: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ConflictFilter {
    Open,
}

/// A value bound to a numbered parameter.
#[derive(Clone)]
pub(crate) enum Bind {
    Int(i64),
    Text(String),
}

/// The longest free-text search, in characters.
const MAX_QUERY_CHARS: usize = 200;
/// The longest category a filter may name: a stored category is at most
/// [`domain::indicators::MAX_CATEGORY_BYTES`] long, so a longer one finds nothing.
const MAX_CATEGORY_CHARS: usize = domain::indicators::MAX_CATEGORY_BYTES;

impl Filter {
    /// The form it keeps to, if any.
    pub(crate) fn form(&self) -> Option<&str> {
        self.form.as_deref()
    }

    /// Refuses a search longer than anyone types (each one is a scan of the ward's records).
    pub(crate) fn check(&self) -> AppResult<()> {
        if self
            .category
            .as_deref()
            .is_some_and(|c| c.chars().count() > MAX_CATEGORY_CHARS)
        {
            return Err(AppError::invalid(Text::new(
                "Loại hồ sơ không hợp lệ.",
                "Not a known category.",
            )));
        }
        if self
            .q
            .as_deref()
            .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
        {
            return Err(AppError::invalid(Text::new(
                format!("Nội dung tìm kiếm tối đa {MAX_QUERY_CHARS} ký tự."),
                format!("Search for at most {MAX_QUERY_CHARS} characters."),
            )));
        }
        Ok(())
    }

    /// Whether PostgreSQL may plan the queue's ids statement once for any values: true when the
    /// filter keeps to at most one of the review state, the form and the group. Each has an
    /// index whose leading columns it completes (`records_ward_status`, `records_indicators`,
    /// `records_group`), so the one plan walks that index newest first and stops at the page.
    /// Two of them together are left to the values: the generic plan of a state and a group
    /// walked the group's whole history and tested each record's state (1.2 ms against 0.017,
    /// EXPLAIN ANALYZE on the demo's two years). So are the other parts: by urgency the generic
    /// plan read every record of the ward (5.3 ms against 0.1), by author all of theirs, and a
    /// search or a category needs its value to choose between an index and the newest first.
    pub(crate) fn plannable_once(&self) -> bool {
        let Filter {
            status,
            form,
            group,
            author,
            from,
            to,
            q,
            urgency,
            conflict,
            category,
        } = self;
        // Blank texts add no condition (see `sql_planned`).
        let blank = |t: &Option<String>| t.as_deref().is_none_or(|t| t.trim().is_empty());
        let keys = usize::from(status.is_some())
            + usize::from(form.is_some())
            + usize::from(group.is_some());
        keys <= 1
            && author.is_none()
            && from.is_none()
            && to.is_none()
            && blank(q)
            && urgency.is_none()
            && conflict.is_none()
            && blank(category)
    }

    /// SQL conditions (joined with AND, each starting with " AND ") and their values, numbered
    /// from `$first`.
    pub(crate) fn sql(&self, first: usize, with_status: bool) -> (String, Vec<Bind>) {
        self.sql_planned(first, with_status, false)
    }

    /// [`Filter::sql`] for a statement PostgreSQL plans with its values (not a prepared one it
    /// may plan once for any values): `postgres_with_values`.
    pub(crate) fn sql_planned(
        &self,
        first: usize,
        with_status: bool,
        postgres_with_values: bool,
    ) -> (String, Vec<Bind>) {
        let mut sql = String::new();
        let mut binds = Vec::new();
        // Each `?` of `cond` takes the next number, and the values come in the same order.
        let mut add_all = |cond: &str, values: Vec<Bind>| {
            sql.push_str(" AND ");
            for (i, part) in cond.split('?').enumerate() {
                if i > 0 {
                    sql.push_str(&format!("${}", first + binds.len() + i - 1));
                }
                sql.push_str(part);
            }
            binds.extend(values);
        };
        if let (Some(s), true) = (self.status, with_status) {
            add_all("r.status = ?", vec![Bind::Text(s.as_str().into())]);
        }
        if let Some(f) = &self.form {
            add_all("r.form_key = ?", vec![Bind::Text(f.clone())]);
        }
        if let Some(g) = self.group {
            add_all("r.group_id = ?", vec![Bind::Int(g)]);
        }
        if let Some(u) = &self.urgency {
            // The second condition is implied by the first; it is written out so that the
            // partial index `records_pressing` may be used (a bound value proves nothing to
            // the planner). PostgreSQL planning with the values proves it itself, and takes the
            // two conditions as independent: written out, it estimated 54 urgent records where
            // a ward had 6,970, and read and sorted them all instead of walking the newest
            // first (52 ms against 0.7 ms, EXPLAIN ANALYZE after 20,000 pushes into a ward of
            // 4,262 records, autovacuum off: the "stale statistics" of docs/scale.md).
            let cond = if u == "normal" || postgres_with_values {
                "r.urgency = ?"
            } else {
                "r.urgency = ? AND r.urgency <> 'normal'"
            };
            add_all(cond, vec![Bind::Text(u.clone())]);
        }
        if let Some(a) = self.author {
            add_all("r.author_id = ?", vec![Bind::Int(a)]);
        }
        if let Some(c) = self
            .category
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
        {
            // Lower case: SQLite's LIKE ignores ASCII case and PostgreSQL's does not.
            let escaped = c
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
                .replace(',', "");
            // The equality implies the LIKE, so the OR matches what the LIKE alone does. It is
            // written out because PostgreSQL cannot estimate the LIKE and takes it to match
            // almost nothing, then reads and sorts every matching record instead of walking the
            // newest first (21 ms against 0.7 ms for 3,260 thefts of 20,000 records, EXPLAIN
            // ANALYZE); the equality it estimates from its statistics, and most records have one
            // category.
            add_all(
                "(r.category = ? OR (',' || r.category || ',') LIKE ? ESCAPE '\\')",
                vec![
                    Bind::Text(c.replace(',', "")),
                    Bind::Text(format!("%,{escaped},%")),
                ],
            );
        }
        if let Some(t) = self.from {
            add_all("r.received_at >= ?", vec![Bind::Int(t)]);
        }
        if let Some(t) = self.to {
            add_all("r.received_at < ?", vec![Bind::Int(t)]);
        }
        if let Some(q) = self.q.as_deref().map(domain::fold::fold) {
            let q = q.trim();
            if !q.is_empty() {
                // LIKE's own wildcards in the query are taken literally.
                let escaped = q
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                add_all(
                    "r.search_text LIKE ? ESCAPE '\\'",
                    vec![Bind::Text(format!("%{escaped}%"))],
                );
            }
        }
        if let Some(ConflictFilter::Open) = self.conflict {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM record_conflicts c WHERE c.record_id = r.id \
                 AND c.resolution IS NULL)",
            );
        }
        (sql, binds)
    }
}

pub(crate) fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: Vec<Bind>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Int(i) => q.bind(i),
            Bind::Text(s) => q.bind(s),
        };
    }
    q
}

/// Forms by (key, version), loaded once per request.
struct FormCache<'a> {
    state: &'a AppState,
    forms: HashMap<(String, u32), Option<Arc<FormDef>>>,
}

impl FormCache<'_> {
    async fn get(&mut self, key: &str, version: u32) -> sqlx::Result<Option<&FormDef>> {
        let k = (key.to_owned(), version);
        if !self.forms.contains_key(&k) {
            let form = self.state.db.form(key, version).await?;
            self.forms.insert(k.clone(), form);
        }
        Ok(self.forms[&k].as_deref())
    }
}

/// The fields a headline is made of: the first single-choice field (its key and choices) and
/// the first text field's key.
fn headline_fields(form: &FormDef) -> (Option<(&str, &[Choice])>, Option<&str>) {
    let choice = form.fields.iter().find_map(|f| match &f.kind {
        FieldKind::SingleChoice { choices } => Some((f.key.as_str(), choices.as_slice())),
        _ => None,
    });
    let text = form
        .fields
        .iter()
        .find(|f| matches!(f.kind, FieldKind::Text { .. }))
        .map(|f| f.key.as_str());
    (choice, text)
}

/// "Trộm cắp — Số 12 ngõ 45": the first choice field's label and the first text field, from
/// `answer`, which gives a field's answer by its key when it is a string.
fn headline<'d>(
    form: Option<&FormDef>,
    answer: impl Fn(&str) -> Option<&'d str>,
    lang: Lang,
) -> String {
    let Some(form) = form else {
        return String::new();
    };
    let (choice, text) = headline_fields(form);
    let chosen = choice.and_then(|(key, _)| answer(key));
    headline_of(choice, chosen, text.and_then(&answer), lang)
}

/// The headline of the first choice field, `choice`, answered `chosen`, and the first text
/// field answered `written`.
fn headline_of(
    choice: Option<(&str, &[Choice])>,
    chosen: Option<&str>,
    written: Option<&str>,
    lang: Lang,
) -> String {
    let mut parts = Vec::new();
    if let Some(c) = choice
        .zip(chosen)
        .and_then(|((_, choices), v)| choices.iter().find(|c| c.value == v))
    {
        parts.push(c.label.get(lang).to_owned());
    }
    if let Some(text) = written {
        parts.push(text.chars().take(80).collect());
    }
    parts.join(" — ")
}

/// The headline of a record whose answers are the JSON object `data`, read without building
/// the object (every key and value allocated) to read two of its answers.
fn headline_of_json(form: Option<&FormDef>, data: &str, lang: Lang) -> AppResult<String> {
    let Some(form) = form else {
        return Ok(String::new());
    };
    let (choice, text) = headline_fields(form);
    let mut de = serde_json::Deserializer::from_str(data);
    let [chosen, written] =
        serde::de::DeserializeSeed::deserialize(Pick([choice.map(|(k, _)| k), text]), &mut de)
            .and_then(|answers| de.end().map(|()| answers))
            .map_err(anyhow::Error::from)?;
    Ok(headline_of(
        choice,
        chosen.as_deref(),
        written.as_deref(),
        lang,
    ))
}

/// Reads the string answers of two keys from a JSON object, skipping everything else.
struct Pick<'k>([Option<&'k str>; 2]);

type Picked<'de> = [Option<std::borrow::Cow<'de, str>>; 2];

impl<'de> serde::de::DeserializeSeed<'de> for Pick<'_> {
    type Value = Picked<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Picked<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Pick<'_> {
    type Value = Picked<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record's answers")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Picked<'de>, A::Error> {
        let mut out: Picked<'de> = [None, None];
        while let Some(key) = map.next_key::<MaybeStr<'de>>()? {
            let at = key
                .0
                .as_deref()
                .and_then(|k| self.0.iter().position(|want| *want == Some(k)));
            match at {
                // The last of repeated keys counts, as when the object is built.
                Some(i) => out[i] = map.next_value::<MaybeStr<'de>>()?.0,
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// A JSON value's text if it is a string (borrowed where it has no escapes), else nothing.
struct MaybeStr<'de>(Option<std::borrow::Cow<'de, str>>);

impl<'de> Deserialize<'de> for MaybeStr<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = MaybeStr<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<MaybeStr<'de>, E> {
                Ok(MaybeStr(Some(std::borrow::Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<MaybeStr<'de>, E> {
                Ok(MaybeStr(Some(std::borrow::Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<MaybeStr<'de>, E> {
                Ok(MaybeStr(Some(std::borrow::Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<MaybeStr<'de>, E> {
                Ok(MaybeStr(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<MaybeStr<'de>, E> {
                Ok(MaybeStr(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<MaybeStr<'de>, E> {
                Ok(MaybeStr(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<MaybeStr<'de>, E> {
                Ok(MaybeStr(None))
            }
            fn visit_unit<E>(self) -> Result<MaybeStr<'de>, E> {
                Ok(MaybeStr(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<MaybeStr<'de>, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(MaybeStr(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<MaybeStr<'de>, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(MaybeStr(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// What a summary is made of, however it was read.
struct SummaryParts {
    id: String,
    form_key: String,
    form_version: i64,
    group: Place,
    author: String,
    status: String,
    received_at: i64,
    data: String,
    photos_missing: i64,
    revision: String,
}

impl SummaryParts {
    /// From a row of [`SUMMARY_COLUMNS`].
    fn of_summary_row(row: &AnyRow) -> SummaryParts {
        SummaryParts {
            id: row.get(0),
            form_key: row.get(1),
            form_version: row.get(2),
            group: Place {
                id: row.get(3),
                name: row.get(4),
            },
            author: row.get(5),
            status: row.get(6),
            received_at: row.get(7),
            data: row.get(8),
            photos_missing: row.get(12),
            revision: row.get(14),
        }
    }

    async fn summary(
        self,
        forms: &mut FormCache<'_>,
        lang: Lang,
    ) -> AppResult<(RecordSummary, serde_json::Map<String, serde_json::Value>)> {
        let form_version = u32::try_from(self.form_version).map_err(anyhow::Error::from)?;
        let data: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&self.data).map_err(anyhow::Error::from)?;
        let form = forms.get(&self.form_key, form_version).await?;
        let headline = headline(form, |k| data.get(k).and_then(|v| v.as_str()), lang);
        Ok((self.into_summary(form_version, headline)?, data))
    }

    /// The summary alone (a queue page): the answers are read for the headline only.
    async fn summary_only(self, forms: &mut FormCache<'_>, lang: Lang) -> AppResult<RecordSummary> {
        let form_version = u32::try_from(self.form_version).map_err(anyhow::Error::from)?;
        let form = forms.get(&self.form_key, form_version).await?;
        let headline = headline_of_json(form, &self.data, lang)?;
        self.into_summary(form_version, headline)
    }

    fn into_summary(self, form_version: u32, headline: String) -> AppResult<RecordSummary> {
        let status = self.status;
        Ok(RecordSummary {
            id: self.id.parse().map_err(anyhow::Error::from)?,
            headline,
            form_key: self.form_key,
            form_version,
            group: self.group,
            author: self.author,
            status: RecordStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("unknown status {status:?}"))?,
            received_at: self.received_at,
            photos_missing: u32::try_from(self.photos_missing).unwrap_or(u32::MAX),
            revision: self.revision.parse().map_err(anyhow::Error::from)?,
        })
    }
}

/// The summary of a row of [`SUMMARY_COLUMNS`], and the record's answers.
async fn summary(
    row: &AnyRow,
    forms: &mut FormCache<'_>,
    lang: Lang,
) -> AppResult<(RecordSummary, serde_json::Map<String, serde_json::Value>)> {
    SummaryParts::of_summary_row(row).summary(forms, lang).await
}

#[utoipa::path(get, path = "/api/records", tag = "records", summary = "The review queue: records of the caller's place, filtered, a page at a time", params(ListQuery, Filter), responses(
    (status = 200, body = Vec<domain::api::RecordSummary>),
    (status = 403, description = "Administrators read no records", body = domain::api::ErrorBody),
    (status = 422, description = "Search text or a category too long", body = domain::api::ErrorBody),
))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Signed { caller, mut conn }: Signed,
    AppQuery(q): AppQuery<ListQuery>,
    // The same query string, read a second time for the filter (serde's flatten cannot read
    // numbers from a query string).
    AppQuery(filter): AppQuery<Filter>,
) -> AppResult<Json<Vec<RecordSummary>>> {
    let (cond, place) = scope(&caller)?;
    filter.check()?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    // Two statements. The first reads the page from `records` alone, without joins: planned
    // with its values (see below), a join made its planning most of the queue's database time
    // (1.2 ms of planning against 0.1 ms of execution, EXPLAIN ANALYZE, a ward of 30,000
    // records). The second reads the page's group and author names and photo counts by the
    // page's ids, and is prepared once. On PostgreSQL the first is prepared only where one plan
    // serves every value (see `Filter::plannable_once`), and planned with its values otherwise;
    // planning was most of its time (0.165 ms of 0.27, PostgreSQL's statement log, the demo's
    // two years). A province's scope is a list of wards, whose plan is left to the values.
    let once = state.db.backend == Backend::Sqlite
        || (filter.plannable_once() && caller.role != Role::Provincial);
    let (filter, binds) = filter.sql_planned(6, true, state.db.backend == Backend::Postgres);
    let before = q.before.unwrap_or(i64::MAX);
    let before_id = q.before_id.map(|id| id.to_string()).unwrap_or_default();
    let cursor = (place, before, before_id.as_str(), limit);
    let page = read_page(&mut conn, cond, &filter, cursor, (binds, once)).await?;
    // Forms not yet cached are read through the pool.
    drop(conn);
    let lang = request_lang();
    let mut forms = FormCache {
        state: &state,
        forms: HashMap::new(),
    };
    let mut out = Vec::with_capacity(page.len());
    for parts in page {
        out.push(parts.summary_only(&mut forms, lang).await?);
    }
    Ok(Json(out))
}

/// The queue's own columns of a record, read by the statement that finds the page.
const PAGE_COLUMNS: &str = "r.id, r.form_key, r.form_version, r.group_id, r.author_id, \
     r.status, r.received_at, r.data, COALESCE(r.revision_id, r.id)";

/// A page of the queue, newest first: `cond` is the caller's scope (see [`scope`]), `filter`
/// the filter's SQL over `binds`, prepared (planned once for any values) if `once`.
///
/// The page's records are read in one statement, so that the page is the one a single
/// snapshot holds (a record moved, resubmitted or reviewed meanwhile is where it was then).
/// Their group and author names and photo counts follow in a second statement, by the
/// records' ids: read in the first, the joins cost about 500 buffer reads for a page of 50
/// (every record looked up again by id, then its group, its author and its photos, EXPLAIN
/// ANALYZE), the queue's dearest statement under `cargo xtask bench load --postgres`.
async fn read_page(
    conn: &mut AnyConnection,
    cond: &str,
    filter: &str,
    cursor: (i64, i64, &str, i64),
    (binds, once): (Vec<Bind>, bool),
) -> sqlx::Result<Vec<SummaryParts>> {
    let limit = cursor.3;
    let sql = format!(
        "SELECT {PAGE_COLUMNS} FROM records r WHERE {cond} \
         AND r.received_at <= $2 AND (r.received_at < $3 OR r.id < $4){filter} \
         ORDER BY r.received_at DESC, r.id DESC LIMIT $5"
    );
    let rows = fetch_page(&mut *conn, &sql, cursor, binds, once).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // As many slots as the page may hold (rounded up to 50, so that a few statements serve
    // every size), the empty ones "" (no record's id) by nobody (0) of no group (0).
    let slots = (limit as usize).next_multiple_of(50);
    let values = (0..slots)
        .map(|k| match k {
            0 => "(CAST($1 AS TEXT), CAST($2 AS BIGINT), CAST($3 AS BIGINT))".to_owned(),
            k => format!("(${}, ${}, ${})", 3 * k + 1, 3 * k + 2, 3 * k + 3),
        })
        .collect::<Vec<_>>()
        .join(", ");
    // Kind 0: a record's photos not uploaded yet (those whose bytes its author has not sent);
    // 1: a group's name; 2: an author's.
    let sql = format!(
        "WITH page (id, author, grp) AS (VALUES {values}) \
         SELECT CAST(0 AS BIGINT), rp.record_id, COUNT(*) FROM page p \
         JOIN record_photos rp ON rp.record_id = p.id \
         WHERE rp.current = 1 AND NOT EXISTS (SELECT 1 FROM photo_owners o \
                                             WHERE o.sha256 = rp.sha256 AND o.user_id = p.author) \
         GROUP BY rp.record_id \
         UNION ALL SELECT CAST(1 AS BIGINT), g.name, g.id FROM residential_groups g \
         WHERE g.id IN (SELECT grp FROM page) \
         UNION ALL SELECT CAST(2 AS BIGINT), u.display_name, u.id FROM users u \
         WHERE u.id IN (SELECT author FROM page)"
    );
    let mut query = sqlx::query(&sql);
    for k in 0..slots {
        query = match rows.get(k) {
            Some(row) => query
                .bind(row.get::<String, _>(0))
                .bind(row.get::<i64, _>(4))
                .bind(row.get::<i64, _>(3)),
            None => query.bind("").bind(0_i64).bind(0_i64),
        };
    }
    let (mut missing, mut groups, mut authors) = (HashMap::new(), HashMap::new(), HashMap::new());
    for row in query.fetch_all(&mut *conn).await? {
        let (text, number) = (row.get::<String, _>(1), row.get::<i64, _>(2));
        match row.get::<i64, _>(0) {
            0 => {
                missing.insert(text, number);
            }
            1 => {
                groups.insert(number, text);
            }
            _ => {
                authors.insert(number, text);
            }
        }
    }
    Ok(rows
        .iter()
        .map(|row| {
            let (id, group_id, author_id): (String, i64, i64) =
                (row.get(0), row.get(3), row.get(4));
            SummaryParts {
                photos_missing: missing.get(&id).copied().unwrap_or(0),
                id,
                form_key: row.get(1),
                form_version: row.get(2),
                group: Place {
                    id: group_id,
                    name: groups.get(&group_id).cloned().unwrap_or_default(),
                },
                author: authors.get(&author_id).cloned().unwrap_or_default(),
                status: row.get(5),
                received_at: row.get(6),
                data: row.get(7),
                revision: row.get(8),
            }
        })
        .collect())
}

/// A page of the queue by `sql` (see [`list`]): `cursor` is the caller's place, the time and id
/// to page back from and the page's size, bound as $1 to $5, then the filter's values. The
/// statement is kept prepared only if `once` (sqlx uses one it already holds for the same text
/// either way): PostgreSQL may plan a prepared statement once for any values after five runs,
/// and for some filters that plan reads and sorts the whole ward (7.4 ms at 4,000 records,
/// EXPLAIN ANALYZE); planned for the values at hand it walks the newest first and stops at the
/// page (1.4 ms).
async fn fetch_page(
    conn: &mut AnyConnection,
    sql: &str,
    (place, before, before_id, limit): (i64, i64, &str, i64),
    binds: Vec<Bind>,
    once: bool,
) -> sqlx::Result<Vec<AnyRow>> {
    let query = sqlx::query(sql)
        .persistent(once)
        .bind(place)
        .bind(before)
        .bind(before)
        // No id: strictly before the time ("" is below every id).
        .bind(before_id)
        .bind(limit);
    bind_all(query, binds).fetch_all(conn).await
}

fn parse_map(text: &str) -> AppResult<serde_json::Map<String, serde_json::Value>> {
    Ok(serde_json::from_str(text).map_err(anyhow::Error::from)?)
}

fn parse_uuid(text: Option<String>) -> AppResult<Option<Uuid>> {
    Ok(text
        .map(|t| t.parse())
        .transpose()
        .map_err(anyhow::Error::from)?)
}

/// `GET /api/records/{id}/history`: the record's revisions, reviews and conflicting copies.
#[utoipa::path(get, path = "/api/records/{id}/history", tag = "records", summary = "A record's revisions, reviews and conflicting copies", params(("id" = uuid::Uuid, Path)),
    description = "The record's revisions (oldest first, the last is current), its reviews and resubmissions, and copies that conflicted with it.",
    responses(
    (status = 200, body = domain::review::RecordHistory), (status = 403, body = domain::api::ErrorBody),
    (status = 404, description = "No such record, or not in the caller's place", body = domain::api::ErrorBody),
))]
pub(crate) async fn history(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<RecordHistory>> {
    let row = fetch_scoped(&state, &caller, id).await?;
    let key = id.to_string();
    let pool = &state.db.pool;
    // Every revision's data is a view of the record, audited as the detail is.
    if matches!(
        caller.role,
        Role::Supervisor | Role::Admin | Role::Provincial
    ) {
        record_audit(
            &mut *state.db.writer.acquire().await?,
            Audit {
                actor: Some(caller.user_id),
                action: "record.history",
                entity: "record",
                entity_id: &key,
                ward_id: row.get(9),
                before: None,
                after: None,
                detail: "",
            },
        )
        .await?;
    }
    let mut revisions = Vec::new();
    let rows = sqlx::query(
        "SELECT v.id, v.base_id, u.display_name, v.received_at, v.data FROM record_revisions v \
         JOIN users u ON u.id = v.author_id WHERE v.record_id = $1 ORDER BY v.received_at, v.id",
    )
    .bind(&key)
    .fetch_all(pool)
    .await?;
    for r in rows {
        revisions.push(RevisionView {
            id: r.get::<String, _>(0).parse().map_err(anyhow::Error::from)?,
            base: parse_uuid(r.get(1))?,
            author: r.get(2),
            received_at: r.get(3),
            data: parse_map(&r.get::<String, _>(4))?,
        });
    }
    if revisions.is_empty() {
        // One revision only: the record itself.
        let r = sqlx::query(
            "SELECT u.display_name, r.received_at, r.data FROM records r \
             JOIN users u ON u.id = r.author_id WHERE r.id = $1",
        )
        .bind(&key)
        .fetch_one(pool)
        .await?;
        revisions.push(RevisionView {
            id,
            base: None,
            author: r.get(0),
            received_at: r.get(1),
            data: parse_map(&r.get::<String, _>(2))?,
        });
    }
    let mut reviews = Vec::new();
    for r in sqlx::query(
        "SELECT v.action, v.from_status, v.to_status, v.comment, u.display_name, v.at \
         FROM record_reviews v JOIN users u ON u.id = v.reviewer_id \
         WHERE v.record_id = $1 ORDER BY v.id",
    )
    .bind(&key)
    .fetch_all(pool)
    .await?
    {
        let status = |s: String| {
            RecordStatus::parse(&s).ok_or_else(|| anyhow::anyhow!("unknown status {s:?}"))
        };
        reviews.push(ReviewView {
            action: r.get(0),
            from: status(r.get(1))?,
            to: status(r.get(2))?,
            comment: r.get(3),
            by: r.get(4),
            at: r.get(5),
        });
    }
    let mut conflicts = Vec::new();
    for r in sqlx::query(
        "SELECT c.id, u.display_name, c.received_at, c.data, c.revision_id, c.base_id, c.resolution \
         FROM record_conflicts c JOIN users u ON u.id = c.author_id \
         WHERE c.record_id = $1 ORDER BY CASE WHEN c.resolution IS NULL THEN 0 ELSE 1 END, c.id DESC LIMIT 50",
    )
    .bind(&key)
    .fetch_all(pool)
    .await?
    {
        conflicts.push(ConflictView {
            id: r.get(0),
            author: r.get(1),
            received_at: r.get(2),
            data: parse_map(&r.get::<String, _>(3))?,
            revision: parse_uuid(r.get(4))?,
            base: parse_uuid(r.get(5))?,
            resolution: r.get(6),
        });
    }
    Ok(Json(RecordHistory {
        revisions,
        reviews,
        conflicts,
    }))
}

/// `POST /api/records/{id}/conflicts/{conflict}/resolve`: a reviewer keeps the current revision
/// or makes the conflicting copy the record's new current revision (checked against the record's
/// form first, and back for review). The choice is in the record's reviews and the audit trail,
/// and reaches the author's phone at its next pull. Once only; 409 if the record changed since
/// the reviewer looked (`current`).
#[utoipa::path(post, path = "/api/records/{id}/conflicts/{conflict}/resolve", tag = "records", summary = "Settle a conflicting copy of a record",
    params(("id" = uuid::Uuid, Path), ("conflict" = i64, Path)), request_body = domain::review::ResolveRequest,
    description = "A reviewer keeps the current revision or makes the conflicting copy the record's new current revision. The same choice again answers 200 and changes nothing.",
    responses(
    (status = 200, description = "The record as it is now", body = domain::api::RecordSummary),
    (status = 403, description = "The caller reviews nothing, or wrote the record or the copy", body = domain::api::ErrorBody),
    (status = 404, description = "No such record or conflict in the caller's place", body = domain::api::ErrorBody),
    (status = 409, description = "Already settled the other way", body = domain::api::ErrorBody),
))]
pub(crate) async fn resolve_conflict(
    State(state): State<AppState>,
    caller: Caller,
    AppPath((id, conflict)): AppPath<(Uuid, i64)>,
    AppJson(req): AppJson<ResolveRequest>,
) -> AppResult<Json<RecordSummary>> {
    // Out of the caller's place: "not found". What the choice acts on is read again below,
    // under the lock.
    fetch_scoped(&state, &caller, id).await?;
    if !caller.role.reviews() {
        return Err(AppError::Review(review::Refusal::NotAReviewer));
    }
    let key = id.to_string();
    let answer = |state: &AppState| {
        let state = state.clone();
        let caller = caller.clone();
        async move {
            let row = fetch_scoped(&state, &caller, id).await?;
            let mut forms = FormCache {
                state: &state,
                forms: HashMap::new(),
            };
            AppResult::Ok(Json(summary(&row, &mut forms, request_lang()).await?.0))
        }
    };
    let mut tx = state.db.writer.begin().await?;
    let seq = next_seq(&mut tx, 1).await?;
    let facts = ReviewFacts::read(&mut tx, id).await?;
    let Some(c) = sqlx::query(
        "SELECT c.data, c.content_hash, c.revision_id, c.resolution, c.author_id, \
         COALESCE(c.group_id, r.group_id), COALESCE(c.form_version, r.form_version), r.ward_id, \
         r.form_key FROM record_conflicts c JOIN records r ON r.id = c.record_id \
         WHERE c.id = $1 AND c.record_id = $2",
    )
    .bind(conflict)
    .bind(&key)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Err(AppError::NotFound);
    };
    // Nobody settles a conflict over their own record or their own copy.
    if facts.author == caller.user_id || c.get::<i64, _>(4) == caller.user_id {
        return Err(AppError::Review(review::Refusal::OwnRecord));
    }
    let keep = match req.keep {
        Keep::Current => "current",
        Keep::Theirs => "theirs",
    };
    match c.get::<Option<String>, _>(3) {
        // The same choice again (a retried request): nothing more happens.
        Some(done) if done == keep => {
            drop(tx);
            return answer(&state).await;
        }
        Some(_) => return Err(AppError::Review(review::Refusal::AlreadySettled)),
        None => {}
    }
    let current: String =
        sqlx::query_scalar("SELECT COALESCE(revision_id, id) FROM records WHERE id = $1")
            .bind(&key)
            .fetch_one(&mut *tx)
            .await?;
    // The copy replaces what the reviewer compared it with, never a revision they did not see.
    match req.current {
        Some(seen) if seen.to_string() != current => {
            return Err(AppError::Review(review::Refusal::ChangedMeanwhile))
        }
        None if req.keep == Keep::Theirs => {
            return Err(AppError::invalid(Text::new(
                "Hãy cho biết bản hiện tại bạn đã so sánh (current).",
                "Name the current revision you compared the copy with (current).",
            )))
        }
        _ => {}
    }
    let now = now_ms();
    let parsed = parse_map(&c.get::<String, _>(0))?;
    let (group_id, form_version, ward_id): (i64, i64, i64) = (c.get(5), c.get(6), c.get(7));
    let form_key: String = c.get(8);
    // The copy's form, when the copy is the one kept.
    let mut kept_form = None;
    if req.keep == Keep::Theirs {
        // The copy's group must still be one of the record's ward (a group moved away since
        // would carry the record out of the place its reviewers see).
        let group_ward: Option<i64> =
            sqlx::query_scalar("SELECT ward_id FROM residential_groups WHERE id = $1")
                .bind(group_id)
                .fetch_optional(&mut *tx)
                .await?;
        if group_ward != Some(ward_id) {
            return Err(AppError::Review(review::Refusal::CopyInvalid));
        }
        // A copy pushed under the record's id was never checked: it must pass its form (the
        // version it was made with) before it becomes the record.
        let version = u32::try_from(form_version).map_err(anyhow::Error::from)?;
        // Read through the transaction: the writer's connection must not wait for the pool's.
        let form = state
            .db
            .form_on(&mut tx, &form_key, version)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no form {form_key}@{version}"))?;
        let lang = request_lang();
        let errors = domain::validate::validate(&form, &parsed, lang);
        if !errors.is_empty() {
            return Err(AppError::Validation {
                message: Some(review::Refusal::CopyInvalid.message(lang)),
                fields: errors,
            });
        }
        kept_form = Some(form);
    }
    sqlx::query(
        "UPDATE record_conflicts SET resolution = $1, resolved_by = $2, resolved_at = $3 WHERE id = $4",
    )
    .bind(keep)
    .bind(caller.user_id)
    .bind(now)
    .bind(conflict)
    .execute(&mut *tx)
    .await?;
    let to = if req.keep == Keep::Theirs {
        let hash: String = c.get(1);
        // The phone's revision id, unless the record already holds a revision of that id
        // (a replay with other content): then one made here for the reviewer's choice.
        let phone_id = c.get::<Option<String>, _>(2);
        let taken = match &phone_id {
            Some(r) => revisions::owner_of(&mut tx, r).await?.is_some(),
            None => true,
        };
        let rev_id = match phone_id {
            Some(r) if !taken => r,
            _ => Uuid::now_v7().to_string(),
        };
        revisions::make_current(
            &mut tx,
            revisions::NewRevision {
                record_id: &key,
                id: &rev_id,
                base: &current,
                author_id: c.get::<i64, _>(4),
                form_version,
                form: kept_form.as_deref(),
                group_id,
                ward_id,
                data: &parsed,
                content_hash: &hash,
                now,
                seq,
            },
        )
        .await?;
        RecordStatus::Received
    } else {
        // The record is unchanged, but its author's phone learns that its copy was set aside.
        sqlx::query("UPDATE records SET updated_at = $1, seq = $2 WHERE id = $3")
            .bind(now)
            .bind(seq)
            .bind(&key)
            .execute(&mut *tx)
            .await?;
        facts.status
    };
    sqlx::query(
        "INSERT INTO record_reviews (record_id, action, from_status, to_status, comment, reviewer_id, at) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6)",
    )
    .bind(&key)
    .bind(format!("conflict_{keep}"))
    .bind(facts.status.as_str())
    .bind(to.as_str())
    .bind(caller.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let detail = format!("conflict {conflict}: keep {keep}");
    record_audit(
        &mut tx,
        Audit {
            actor: Some(caller.user_id),
            action: "record.conflict_resolved",
            entity: "record",
            entity_id: &key,
            ward_id: Some(ward_id),
            before: Some(serde_json::json!({"status": facts.status.as_str(), "revision": current})),
            after: Some(
                serde_json::json!({"conflict": conflict, "keep": keep, "status": to.as_str()}),
            ),
            detail: &detail,
        },
    )
    .await?;
    tx.commit().await?;
    answer(&state).await
}

/// `GET /api/records/counts`: how many records the filter finds in each review state (the
/// filter's own state aside), for the queue's tabs.
#[utoipa::path(get, path = "/api/records/counts", tag = "records", summary = "How many records the filter finds in each review state", params(Filter), description = "How many records the list's filter (its state aside) finds in each review state: the queue's tabs.",
responses(
    (status = 200, body = Vec<domain::api::StateCount>),
    (status = 403, description = "Administrators read no records", body = domain::api::ErrorBody),
    (status = 422, description = "Search text or a category too long", body = domain::api::ErrorBody),
))]
pub(crate) async fn counts(
    Signed { caller, mut conn }: Signed,
    AppQuery(filter): AppQuery<Filter>,
) -> AppResult<Json<Vec<StateCount>>> {
    let (cond, place) = scope(&caller)?;
    filter.check()?;
    let (filter_sql, binds) = filter.sql(2, false);
    // Without a filter a ward's counts are kept by the database's triggers, a row a state
    // (record_status_counts: postgres/0027, sqlite/0025), instead of counting every record of the ward: 12 ms
    // for 20,000 records on PostgreSQL, and the tallies by form and month (0023) 1.3 ms for
    // the demo's two years and more each month. A group leader's scope is narrower than a
    // ward's.
    let kept = match caller.role {
        Role::Supervisor | Role::Officer => Some("t.ward_id = $1"),
        Role::Provincial => {
            Some("t.ward_id IN (SELECT pw.id FROM wards pw WHERE pw.province_id = $1)")
        }
        Role::GroupLeader | Role::Admin => None,
    }
    .filter(|_| filter_sql.is_empty());
    let sql = match kept {
        Some(cond) => format!(
            "SELECT t.status, CAST(SUM(t.n) AS BIGINT) FROM record_status_counts t WHERE {cond} \
             GROUP BY t.status"
        ),
        None => format!(
            "SELECT r.status, COUNT(*) FROM records r WHERE {cond}{filter_sql} GROUP BY r.status"
        ),
    };
    let rows = bind_all(sqlx::query(&sql).bind(place), binds)
        .fetch_all(&mut *conn)
        .await?;
    let mut out: Vec<StateCount> = RecordStatus::ALL
        .into_iter()
        .map(|status| StateCount { status, count: 0 })
        .collect();
    for r in rows {
        let status: String = r.get(0);
        if let Some(c) = out.iter_mut().find(|c| c.status.as_str() == status) {
            c.count = r.get::<i64, _>(1).max(0);
        }
    }
    Ok(Json(out))
}

/// `GET /api/records/authors`: the people of the caller's ward who file records (officers,
/// group leaders, supervisors; those who left too), for the queue's author filter. Supervisors
/// and officers only: a group leader's list holds just their group's records.
#[utoipa::path(get, path = "/api/records/authors", tag = "records", summary = "The people who file records in the caller's ward", description = "The people of the caller's ward who file records, for the queue's author filter (supervisors and officers).",
responses((status = 200, body = Vec<domain::api::Author>), (status = 403, body = domain::api::ErrorBody)))]
pub(crate) async fn authors(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Author>>> {
    // The people of the caller's ward, or of every ward of a provincial user's province.
    let (wards, place) = match caller.role {
        Role::Supervisor | Role::Officer => {
            ("SELECT $1", caller.ward_id.ok_or(AppError::Forbidden)?)
        }
        Role::Provincial => (
            "SELECT id FROM wards WHERE province_id = $1",
            caller.province_id.ok_or(AppError::Forbidden)?,
        ),
        Role::Admin | Role::GroupLeader => return Err(AppError::Forbidden),
    };
    let rows = sqlx::query(&format!(
        "SELECT u.id, u.display_name, u.role, g.name, u.active FROM users u \
         LEFT JOIN residential_groups g ON g.id = u.group_id \
         WHERE u.role IN ('supervisor', 'officer', 'group_leader') \
         AND (u.ward_id IN ({wards}) OR g.ward_id IN ({wards})) ORDER BY u.display_name, u.id"
    ))
    .bind(place)
    .fetch_all(&state.db.pool)
    .await?;
    let people = rows
        .iter()
        .filter_map(|r| {
            Some(Author {
                id: r.get(0),
                name: r.get(1),
                role: Role::parse(&r.get::<String, _>(2))?,
                group: r.get(3),
                active: r.get::<i64, _>(4) != 0,
            })
        })
        .collect();
    Ok(Json(people))
}

async fn fetch_scoped(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<AnyRow> {
    fetch_scoped_on(&mut *state.db.pool.acquire().await?, caller, id, "", "").await
}

/// Record `id` with its summary's columns and `more` (over `joins`), if the caller may see it,
/// read on `conn`.
async fn fetch_scoped_on(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: Uuid,
    more: &str,
    joins: &str,
) -> AppResult<AnyRow> {
    let (cond, place) = scope(caller)?;
    let sql =
        format!("SELECT {SUMMARY_COLUMNS}{more} {SUMMARY_JOINS}{joins} WHERE {cond} AND r.id = $2");
    sqlx::query(&sql)
        .bind(place)
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound)
}

/// What a record's detail reads beside its summary's columns (from column 15 on): what
/// [`ReviewFacts`] holds, and the ward it was filed in when that is not its ward now.
const DETAIL_COLUMNS: &str = ", r.author_id, COALESCE(f.for_group_leaders, 0), fw.id, fw.name";
const DETAIL_JOINS: &str =
    " LEFT JOIN forms f ON f.form_key = r.form_key AND f.version = r.form_version \
     LEFT JOIN wards fw ON fw.id = r.filed_ward_id AND r.filed_ward_id <> r.ward_id";

#[utoipa::path(get, path = "/api/records/{id}", tag = "records", summary = "One record with its answers and photos", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = domain::api::RecordDetail), (status = 403, description = "Administrators read no records", body = domain::api::ErrorBody),
    (status = 404, description = "No such record, or not yours to see", body = domain::api::ErrorBody),
))]
pub(crate) async fn detail(
    State(state): State<AppState>,
    Signed { caller, mut conn }: Signed,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<RecordDetail>> {
    // One statement for all the detail reads, and the record's form read on the same
    // connection (another taken while this one is held could wait for it); the view's audit
    // row is written once the answer is made (see `Db::audit_beside`).
    let row = fetch_scoped_on(&mut conn, &caller, id, DETAIL_COLUMNS, DETAIL_JOINS).await?;
    let facts = ReviewFacts::of_detail(&row)?;
    let filed_ward = row.get::<Option<i64>, _>(17).map(|id| Place {
        id,
        name: row.get(18),
    });
    let (key, version): (String, i64) = (row.get(1), row.get(2));
    let version = u32::try_from(version).map_err(anyhow::Error::from)?;
    let form = state.db.form_on(&mut conn, &key, version).await?;
    let mut forms = FormCache {
        state: &state,
        forms: HashMap::from([((key, version), form)]),
    };
    let (summary, data) = summary(&row, &mut forms, request_lang()).await?;
    if matches!(
        caller.role,
        Role::Supervisor | Role::Admin | Role::Provincial
    ) {
        state
            .db
            .audit_beside(
                conn,
                Audit {
                    actor: Some(caller.user_id),
                    action: "record.view",
                    entity: "record",
                    entity_id: &id.to_string(),
                    ward_id: row.get(9),
                    before: None,
                    after: None,
                    detail: "",
                },
            )
            .await?;
    }
    Ok(Json(RecordDetail {
        summary,
        ward: Place {
            id: row.get(9),
            name: row.get(10),
        },
        filed_ward,
        client_created_at: row.get(11),
        data,
        actions: review::allowed(facts.reviewed(), facts.reviewer(&caller)),
    }))
}

/// What the review state machine needs to know of a record.
struct ReviewFacts {
    status: RecordStatus,
    /// The current revision.
    revision: String,
    note: Option<String>,
    author: i64,
    is_report: bool,
}

impl ReviewFacts {
    /// From `row`, whose columns `at` are the status, its note, the author, whether the form
    /// is a report (non-zero) and the current revision.
    fn at(
        row: &AnyRow,
        [status, note, author, report, revision]: [usize; 5],
    ) -> AppResult<ReviewFacts> {
        let status: String = row.get(status);
        Ok(ReviewFacts {
            status: RecordStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("unknown status {status:?}"))?,
            note: row.get(note),
            author: row.get(author),
            is_report: row.get::<i64, _>(report) != 0,
            revision: row.get(revision),
        })
    }

    /// From a row of [`SUMMARY_COLUMNS`] and [`DETAIL_COLUMNS`].
    fn of_detail(row: &AnyRow) -> AppResult<ReviewFacts> {
        Self::at(row, [6, 13, 15, 16, 14])
    }

    async fn read(conn: &mut sqlx::AnyConnection, id: Uuid) -> AppResult<ReviewFacts> {
        let row = sqlx::query(
            "SELECT r.status, r.status_note, r.author_id, COALESCE(f.for_group_leaders, 0), \
             COALESCE(r.revision_id, r.id) \
             FROM records r LEFT JOIN forms f \
             ON f.form_key = r.form_key AND f.version = r.form_version WHERE r.id = $1",
        )
        .bind(id.to_string())
        .fetch_one(conn)
        .await?;
        Self::at(&row, [0, 1, 2, 3, 4])
    }

    fn reviewed(&self) -> review::Reviewed<'_> {
        review::Reviewed {
            status: self.status,
            is_report: self.is_report,
            note: self.note.as_deref(),
        }
    }

    fn reviewer(&self, caller: &Caller) -> review::Reviewer {
        review::Reviewer {
            role: caller.role,
            is_author: self.author == caller.user_id,
        }
    }
}

/// Where one review took a record.
enum Reviewed {
    Moved(RecordStatus),
    Already(RecordStatus),
}

/// Reviews one record in its own transaction: the state machine of `domain::review` decides,
/// against the record as it is under the lock (another reviewer may have been quicker).
async fn apply_review(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    req: &ReviewRequest,
) -> AppResult<Reviewed> {
    // Out of the caller's place (or no such record): "not found", whatever the role.
    let row = fetch_scoped(state, caller, id).await?;
    let ward_id: i64 = row.get(9);
    let mut tx = state.db.writer.begin().await?;
    let seq = next_seq(&mut tx, 1).await?;
    // Read again under the lock next_seq took: a change made meanwhile is the true "before".
    let facts = ReviewFacts::read(&mut tx, id).await?;
    let status = facts.status;
    let before_note = facts.note.clone();
    if req
        .revision
        .is_some_and(|seen| seen.to_string() != facts.revision)
    {
        return Err(AppError::Review(review::Refusal::ChangedMeanwhile));
    }
    let (to, comment) = match review::review(
        facts.reviewed(),
        req.action,
        facts.reviewer(caller),
        req.comment.as_deref(),
    ) {
        Ok(Transition::Already) => return Ok(Reviewed::Already(status)),
        Ok(Transition::To { to, comment }) => (to, comment),
        Err(refusal) => return Err(AppError::Review(refusal)),
    };
    let now = now_ms();
    sqlx::query(
        "UPDATE records SET status = $1, status_note = $2, updated_at = $3, seq = $4 WHERE id = $5",
    )
    .bind(to.as_str())
    .bind(&comment)
    .bind(now)
    .bind(seq)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO record_reviews (record_id, action, from_status, to_status, comment, reviewer_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(req.action.as_str())
    .bind(status.as_str())
    .bind(to.as_str())
    .bind(&comment)
    .bind(caller.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let detail = format!("{} -> {}", status.as_str(), to.as_str());
    record_audit(
        &mut tx,
        Audit {
            actor: Some(caller.user_id),
            action: "record.review",
            entity: "record",
            entity_id: &id.to_string(),
            ward_id: Some(ward_id),
            before: Some(serde_json::json!({"status": status.as_str(), "note": before_note})),
            after: Some(serde_json::json!({
                "status": to.as_str(), "note": comment, "action": req.action.as_str()
            })),
            detail: &detail,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Reviewed::Moved(to))
}

/// `POST /api/records/{id}/review`: a supervisor or officer approves, returns (with what to
/// correct), takes up or resolves (with a reply) a record; its author's phone gets the new state
/// and the comment at its next pull. Answers the record as it is now.
#[utoipa::path(post, path = "/api/records/{id}/review", tag = "records", summary = "Approve, return or handle one record", params(("id" = uuid::Uuid, Path)), request_body = domain::review::ReviewRequest,
    description = "Approve; return to the author (a comment saying what to correct is required); take up or resolve a neighborhood report (resolving requires a reply to the reporter). The same action with the same comment again changes nothing and answers 200.",
    responses(
    (status = 200, description = "The record as it is now", body = domain::api::RecordSummary),
    (status = 403, description = "The caller reviews nothing, or wrote this record", body = domain::api::ErrorBody),
    (status = 404, description = "No such record, or not in the caller's place", body = domain::api::ErrorBody),
    (status = 409, description = "The action does not apply to the record's current state (`wrong_state`): someone else reviewed it meanwhile", body = domain::api::ErrorBody),
    (status = 422, description = "Comment missing, too long or unreadable; handling asked of a record that is not a neighborhood report", body = domain::api::ErrorBody),
))]
pub(crate) async fn review_one(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
    AppJson(req): AppJson<ReviewRequest>,
) -> AppResult<Json<RecordSummary>> {
    apply_review(&state, &caller, id, &req).await?;
    let row = fetch_scoped(&state, &caller, id).await?;
    let mut forms = FormCache {
        state: &state,
        forms: HashMap::new(),
    };
    Ok(Json(summary(&row, &mut forms, request_lang()).await?.0))
}

/// `POST /api/records/review`: one action on many records, each on its own.
#[utoipa::path(post, path = "/api/records/review", tag = "records", summary = "One review action on many records", request_body = domain::review::BulkReviewRequest,
    description = "One action on up to 200 records, each reviewed on its own: one refused never stops the others.",
    responses(
    (status = 200, description = "One result per distinct id, in order", body = Vec<domain::review::BulkReviewResult>),
    (status = 403, description = "The caller reviews nothing", body = domain::api::ErrorBody),
    (status = 413, description = "More than 200 ids", body = domain::api::ErrorBody),
    ))]
pub(crate) async fn review_many(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(req): AppJson<BulkReviewRequest>,
) -> AppResult<Json<Vec<BulkReviewResult>>> {
    // Callers who review nothing are told so once, not per record.
    scope(&caller)?;
    if !caller.role.reviews() {
        return Err(AppError::Review(review::Refusal::NotAReviewer));
    }
    if req.ids.len() > MAX_BULK_REVIEW {
        return Err(AppError::BatchTooLarge {
            max: MAX_BULK_REVIEW,
        });
    }
    // A comment that is wrong for every record is refused once, before any record is touched.
    let comment = review::clean_comment(req.comment.as_deref()).map_err(AppError::Review)?;
    if req.action.needs_comment() && comment.is_none() {
        return Err(AppError::Review(review::Refusal::CommentRequired(
            req.action,
        )));
    }
    if !req.revisions.is_empty() && req.revisions.len() != req.ids.len() {
        return Err(AppError::invalid(Text::new(
            "Danh sách bản đã xem phải có đúng một bản cho mỗi hồ sơ.",
            "The revisions seen must name exactly one per record.",
        )));
    }
    let lang = request_lang();
    let mut out = Vec::with_capacity(req.ids.len());
    let mut seen = std::collections::HashSet::new();
    for (i, &id) in req.ids.iter().enumerate() {
        if !seen.insert(id) {
            continue;
        }
        let one = ReviewRequest {
            action: req.action,
            comment: comment.clone(),
            revision: req.revisions.get(i).copied(),
        };
        let outcome = match apply_review(&state, &caller, id, &one).await {
            Ok(Reviewed::Moved(status)) => BulkReviewOutcome::Done { status },
            Ok(Reviewed::Already(status)) => BulkReviewOutcome::Already { status },
            Err(AppError::NotFound) => BulkReviewOutcome::NotFound,
            Err(AppError::Review(refusal)) => BulkReviewOutcome::Refused {
                message: refusal.message(lang),
            },
            // A fault on this record (the database busy, a lost connection) is reported for it
            // alone: the records before it are reviewed already, the ones after still try.
            Err(e) => {
                tracing::error!(record = %id, error = ?e, "bulk review of one record failed");
                BulkReviewOutcome::Failed {
                    message: e.message(lang),
                }
            }
        };
        out.push(BulkReviewResult { id, outcome });
    }
    Ok(Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pushes::tests::{demo_db, report};
    use crate::Db;

    #[test]
    fn a_headline_read_from_the_json_is_the_one_read_from_the_answers() {
        let forms = FormDef::builtin();
        let report = forms
            .iter()
            .find(|f| f.key == "neighborhood_report")
            .expect("the built-in report");
        let (choice, text) = headline_fields(report);
        let (choice, text) = (
            choice.expect("a choice field").0,
            text.expect("a text field"),
        );
        let cases = [
            format!(r#"{{"{choice}":"theft","{text}":"Số 12 ngõ 45","n":3}}"#),
            // Escapes (the text is then copied, not borrowed), nested values, other types.
            format!(
                r#"{{"x":[1,{{"a":"b"}}],"{text}":"Ng\u00f5 \"45\"\\n","{choice}":"noise","y":null}}"#
            ),
            // The answers are not strings, or name no choice.
            format!(r#"{{"{choice}":7,"{text}":["a"]}}"#),
            format!(r#"{{"{choice}":"no such choice","{text}":{{"a":1}}}}"#),
            // The last of repeated keys counts.
            format!(r#"{{"{choice}":"noise","{choice}":"theft","{text}":"a","{text}":"b"}}"#),
            // Longer than the 80 characters a headline keeps.
            format!(r#"{{"{text}":"{}"}}"#, "ă".repeat(100)),
            "{}".to_owned(),
        ];
        for data in &cases {
            let answers: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(data).unwrap_or_else(|e| panic!("{data}: {e}"));
            for lang in [Lang::Vi, Lang::En] {
                let built = headline(
                    Some(report),
                    |k| answers.get(k).and_then(|v| v.as_str()),
                    lang,
                );
                let read = headline_of_json(Some(report), data, lang).expect("an object");
                assert_eq!(read, built, "{data}");
            }
        }
        let first = headline_of_json(Some(report), &cases[0], Lang::En).expect("an object");
        assert!(first.ends_with(" — Số 12 ngõ 45"), "{first}");
        assert!(headline_of_json(Some(report), "[1, 2]", Lang::Vi).is_err());
        assert!(headline_of_json(Some(report), r#"{"a": 1} x"#, Lang::Vi).is_err());
        assert_eq!(
            headline_of_json(None, "not even JSON", Lang::Vi).expect("no form"),
            ""
        );
    }

    /// Each record of the ward's first page, as the queue reads it and as one joined statement
    /// does: (id, group id, group name, author, photos not uploaded), newest first.
    async fn first_page_both_ways(
        db: &Db,
        ward: i64,
    ) -> (
        Vec<(String, i64, String, String, i64)>,
        Vec<(String, i64, String, String, i64)>,
    ) {
        let supervisor = Caller {
            user_id: 0,
            username: String::new(),
            display_name: String::new(),
            role: Role::Supervisor,
            ward_id: Some(ward),
            group_id: None,
            province_id: None,
            session: String::new(),
            created_at: 0,
        };
        let (cond, place) = scope(&supervisor).unwrap();
        let page = read_page(
            &mut db.pool.acquire().await.unwrap(),
            cond,
            "",
            (place, i64::MAX, "", 50),
            (Vec::new(), true),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.group.id, p.group.name, p.author, p.photos_missing))
        .collect();
        let joined = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} {SUMMARY_JOINS} WHERE {cond} \
             ORDER BY r.received_at DESC, r.id DESC LIMIT 50"
        ))
        .bind(place)
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(3), r.get(4), r.get(5), r.get(12)))
        .collect();
        (page, joined)
    }

    #[tokio::test]
    async fn a_queue_page_gives_each_record_its_own_group_author_and_missing_photos() {
        let (_dir, db, leader, group, ward) = demo_db().await;
        let pushes = crate::pushes::Pushes::start(db.clone());
        // The ward's officer files in another group of the ward.
        let (officer, other_group): (i64, i64) = sqlx::query_as(
            "SELECT u.id, g.id FROM users u JOIN residential_groups g ON g.ward_id = u.ward_id \
             WHERE u.username = 'canbo' AND g.id <> $1 ORDER BY g.id LIMIT 1",
        )
        .bind(group)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let mut ids = Vec::new();
        for k in 0..6 {
            let push = if k % 2 == 0 {
                report(leader, group, ward)
            } else {
                report(officer, other_group, ward)
            };
            ids.push(push.fresh[0].id.clone());
            pushes.write(push).await.unwrap();
        }
        // Two photos named by the first record, the bytes of one sent by its author.
        for (sha, owned) in [("a".repeat(64), true), ("b".repeat(64), false)] {
            sqlx::query(
                "INSERT INTO record_photos (record_id, sha256, current) VALUES ($1, $2, 1)",
            )
            .bind(&ids[0])
            .bind(&sha)
            .execute(&db.writer)
            .await
            .unwrap();
            if owned {
                sqlx::query("INSERT INTO photo_owners (sha256, user_id) VALUES ($1, $2)")
                    .bind(&sha)
                    .bind(leader)
                    .execute(&db.writer)
                    .await
                    .unwrap();
            }
        }
        let (page, joined) = first_page_both_ways(&db, ward).await;
        assert_eq!(page, joined);
        let groups: std::collections::HashSet<i64> = page.iter().map(|r| r.1).collect();
        assert!(groups.contains(&group) && groups.contains(&other_group));
        let first = page.iter().find(|r| r.0 == ids[0]).unwrap();
        assert_eq!(first.4, 1, "one of its two photos is not uploaded");
        assert!(page.iter().filter(|r| r.0 != ids[0]).all(|r| r.4 == 0));
    }

    #[test]
    fn only_filters_one_plan_serves_are_planned_once() {
        let once = |query: &str| {
            let uri: axum::http::Uri = format!("/api/records?{query}").parse().unwrap();
            axum::extract::Query::<Filter>::try_from_uri(&uri)
                .unwrap()
                .0
                .plannable_once()
        };
        for query in [
            "",
            "status=received",
            "form=neighborhood_report",
            "group=3",
            "q=%20%20&category=&status=",
        ] {
            assert!(once(query), "{query:?} is planned once");
        }
        for query in [
            "status=received&group=3",
            "status=received&form=neighborhood_report",
            "form=neighborhood_report&group=3",
            "urgency=urgent",
            "author=2",
            "q=tr%E1%BB%99m",
            "category=theft",
            "from=1",
            "to=1",
            "conflict=open",
        ] {
            assert!(!once(query), "{query:?} is planned with its values");
        }
    }
}
