//! A ward's indicators for a month (see `domain::indicators`), counted from the records' facets
//! and times. "This year" runs from 1 January to the month's end (to today in the current
//! month); "last year" is the same days a year before, for the ward's groups as they are now:
//! a record follows its group to the ward that answers for it, so a merged ward's last year is
//! what its groups did, wherever they belonged then.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use domain::api::Place;
use domain::calendar::{Date, LocalTime, DAY_MS};
use domain::form::{
    FIELD_VISIT, FIRE_SAFETY_CHECK, MANAGED_PERSON_VISIT, NEIGHBORHOOD_REPORT, RESIDENCE_CHECK,
};
use domain::indicators::{
    median_and_max_counted, CategorySeries, GroupCounts, IndicatorWard, ManagedVisits,
    OfficerWeeks, ProvinceIndicators, ProvinceRow, ReportSpeed, Waiting, WardIndicators,
    ZeroIndicator, ZeroKind,
};
use domain::record::RecordStatus;
use domain::Text;
use sqlx::Row;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::Db;

/// The periods of a report for `year`/`month` at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    pub month_from: i64,
    pub month_to: i64,
    pub year_from: i64,
    /// Exclusive: the month's end, or the end of today in the current month.
    pub year_to: i64,
    pub last_year_from: i64,
    pub last_year_to: i64,
}

impl Periods {
    /// [`Periods::new`], or the refusal the API answers for a month it cannot report on: a year
    /// outside 2000–9999 or a month outside 1–12 is not valid (422); a month that has not begun
    /// has no report yet (404).
    pub fn of_report(year: i32, month: u32, now: i64) -> AppResult<Periods> {
        use crate::people::invalid;
        if !(2000..=9999).contains(&year) {
            let text = Text::new("Hãy chọn một năm từ 2000.", "Choose a year from 2000 on.");
            return Err(invalid("year", text));
        }
        if !(1..=12).contains(&month) {
            let text = Text::new("Tháng phải từ 1 đến 12.", "The month must be 1 to 12.");
            return Err(invalid("month", text));
        }
        Periods::new(year, month, now).ok_or_else(|| {
            AppError::NotFoundSaying(Text::new(
                "Tháng này chưa bắt đầu nên chưa có số liệu.",
                "That month has not begun, so it has no figures yet.",
            ))
        })
    }

    /// The month a report is asked for, `year`/`month` when given: this year and month by
    /// default, and December of a past year.
    pub fn asked(year: Option<i32>, month: Option<u32>, now: i64) -> (i32, u32) {
        let today = LocalTime::at(now).date;
        let year = year.unwrap_or(today.year);
        let month = month.unwrap_or(if year < today.year { 12 } else { today.month });
        (year, month)
    }

    /// `None` for a month that does not exist or has not begun, or of a year before 2000 (no
    /// ward kept records in Wardbook then; and times stay far from overflowing).
    pub fn new(year: i32, month: u32, now: i64) -> Option<Periods> {
        if !(2000..=9999).contains(&year) {
            return None;
        }
        let first = Date::new(year, month, 1)?;
        let today = LocalTime::at(now).date;
        if first > today {
            return None;
        }
        let end = first.next_month().min(today.next_day());
        // The same calendar day a year before (29 February: 1 March).
        let a_year_before = |d: Date| {
            Date::new(d.year - 1, d.month, d.day)
                .unwrap_or(Date::new(d.year - 1, 3, 1).unwrap_or(d))
        };
        Some(Periods {
            month_from: first.start_ms(),
            month_to: end.start_ms(),
            year_from: Date::new(year, 1, 1)?.start_ms(),
            year_to: end.start_ms(),
            last_year_from: Date::new(year - 1, 1, 1)?.start_ms(),
            last_year_to: a_year_before(end).start_ms(),
        })
    }
}

/// The choices of `field` of the latest published version of `form`, in the form's order.
async fn choices(db: &Db, form: &str, field: &str) -> AppResult<Vec<(String, Text)>> {
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM forms WHERE form_key = $1")
            .bind(form)
            .fetch_one(&db.pool)
            .await?;
    let Some(version) = latest else {
        return Ok(Vec::new());
    };
    let def = db
        .form(form, u32::try_from(version).map_err(anyhow::Error::from)?)
        .await?;
    Ok(def
        .as_deref()
        .and_then(|d| d.fields.iter().find(|f| f.key == field))
        .and_then(|f| f.kind.choices().map(<[_]>::to_vec))
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.value, c.label))
        .collect())
}

/// How many neighborhood reports or field visits of one category and group were
/// received in a month of the report's year (1–12), or in last year's same days (0).
struct Bucket {
    form: String,
    category: String,
    group: i64,
    month: u32,
    n: u32,
}

/// A `CASE` numbering `received_at` by the boundaries bound from `$first` on: 0 below the
/// first, 1 below the second, ..., `n` at or above the last.
fn case_by(first: usize, n: usize) -> String {
    if n == 0 {
        return "0".into();
    }
    let mut case = String::from("CASE");
    for k in 0..n {
        case.push_str(&format!(" WHEN received_at < ${} THEN {k}", first + k));
    }
    case.push_str(&format!(" ELSE {n} END"));
    case
}

/// The year's (and last year's same days') reports and field visits, counted by the database:
/// a few hundred rows whatever the number of records.
async fn buckets(db: &Db, ward: i64, p: &Periods, year: i32) -> AppResult<Vec<Bucket>> {
    // $1 ward, $2..$5 the periods, $6/$7 the forms, $8.. January 1st and the next months' starts.
    let mut bounds = vec![p.year_from];
    bounds.extend(
        (2..=12)
            .filter_map(|m| Date::new(year, m, 1))
            .map(Date::start_ms),
    );
    // Two plain time ranges (not one OR) so that each is a range of the indicators' index.
    let sql = format!(
        "SELECT form_key, category, group_id, {case}, COUNT(*) FROM ( \
           SELECT form_key, COALESCE(category, '') AS category, group_id, received_at FROM records \
           WHERE ward_id = $1 AND form_key IN ($6, $7) AND received_at >= $2 AND received_at < $3 \
           UNION ALL \
           SELECT form_key, COALESCE(category, ''), group_id, received_at FROM records \
           WHERE ward_id = $1 AND form_key IN ($6, $7) AND received_at >= $4 AND received_at < $5 \
         ) AS counted GROUP BY 1, 2, 3, 4",
        case = case_by(8, bounds.len())
    );
    let mut q = sqlx::query(&sql)
        .bind(ward)
        .bind(p.year_from)
        .bind(p.year_to)
        .bind(p.last_year_from)
        .bind(p.last_year_to)
        .bind(NEIGHBORHOOD_REPORT)
        .bind(FIELD_VISIT);
    for b in &bounds {
        q = q.bind(*b);
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|r| Bucket {
            form: r.get(0),
            category: r.get(1),
            group: r.get(2),
            month: u32::try_from(r.get::<i64, _>(3)).unwrap_or_default(),
            n: u32::try_from(r.get::<i64, _>(4)).unwrap_or(u32::MAX),
        })
        .collect())
}

fn series(
    choices: &[(String, Text)],
    buckets: &[&Bucket],
    months: u32,
    has: impl Fn(&Bucket, &str) -> bool,
) -> Vec<CategorySeries> {
    choices
        .iter()
        .map(|(value, label)| {
            let mut by_month = vec![0u32; months as usize];
            let mut last_year = 0;
            for b in buckets.iter().filter(|b| has(b, value)) {
                match b.month {
                    0 => last_year += b.n,
                    m => {
                        if let Some(slot) = by_month.get_mut(m as usize - 1) {
                            *slot += b.n;
                        }
                    }
                }
            }
            CategorySeries {
                category: value.clone(),
                label: label.clone(),
                year_to_date: by_month.iter().sum(),
                months: by_month,
                last_year_to_date: last_year,
            }
        })
        .collect()
}

/// Minutes between two times of each of the month's reports, counted by the database:
/// `expr` is the later time's SQL, compared with `from` (a column of `records r`).
async fn minutes_counted(
    db: &Db,
    ward: i64,
    p: &Periods,
    expr: &str,
    from: &str,
) -> AppResult<Vec<(u32, u32)>> {
    // The later time is read once per record (a derived table), then counted by minute.
    let sql = format!(
        "SELECT (later - earlier + 30000) / 60000, COUNT(*) FROM ( \
           SELECT {expr} AS later, r.{from} AS earlier FROM records r \
           WHERE r.ward_id = $1 AND r.form_key = $2 AND r.received_at >= $3 AND r.received_at < $4 \
         ) AS timed GROUP BY 1"
    );
    Ok(sqlx::query(&sql)
        .bind(ward)
        .bind(NEIGHBORHOOD_REPORT)
        .bind(p.month_from)
        .bind(p.month_to)
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .filter_map(|r| {
            let minutes = r.get::<Option<i64>, _>(0)?;
            Some((
                u32::try_from(minutes.max(0)).unwrap_or(u32::MAX),
                u32::try_from(r.get::<i64, _>(1)).unwrap_or(u32::MAX),
            ))
        })
        .collect())
}

/// How old a ward's indicators may be when they are answered again without counting, at
/// least. Counting them reads the ward's records of a year and a half (about 30 ms for 36,000
/// records, 90 ms at a million in the whole database: `cargo xtask bench queue`); a dashboard
/// asked often, by several supervisors or a wall screen, is counted once per this time instead.
/// The review queue's own counts are always live.
pub const FRESH_MS: i64 = 15_000;

/// ...or this many times as long as the last count took, if that is longer, up to
/// [`FRESH_MAX_MS`]: a ward whose count takes 7 s (a million reports in one month, on SQLite) is
/// counted at most once a minute.
pub const FRESH_PER_COUNT: i64 = 10;

/// The longest figures are answered without counting again, however slow the last count was
/// (its time includes waiting for a connection and the CPU).
pub const FRESH_MAX_MS: i64 = 60_000;

/// Figures past their freshness but younger than this many times it are answered at once and
/// counted again behind the answer; older ones are counted while the request waits (a
/// dashboard opened again after hours is not shown the morning's figures).
pub const STALE_PER_FRESH: i64 = 4;

/// Counts under way at once, the whole server: more requests wait their turn (each count
/// keeps a core busy for as long as it takes).
const COUNTS_AT_ONCE: usize = 2;

/// A count that takes longer is given up: the request answers 503, "try again shortly" (within
/// the default time limit of a request, 120 s).
const COUNT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// At most this many wards' months are remembered (a few megabytes); beyond them, the least
/// recently asked that is not being counted is forgotten.
const RECENT_MAX: usize = 200;

/// How long figures that took `took_ms` to count may be answered without counting again.
fn fresh_for(took_ms: i64) -> i64 {
    FRESH_MS
        .max(took_ms.saturating_mul(FRESH_PER_COUNT))
        .min(FRESH_MAX_MS)
}

/// One ward's month as last counted.
struct Counted {
    /// Which count of its slot this was (see [`Slot::started`]).
    serial: u64,
    /// The `now` it was counted at, and the periods counted then.
    at: i64,
    periods: Periods,
    /// How long counting took (ms).
    took_ms: i64,
    figures: WardIndicators,
}

impl Counted {
    /// How the figures may be answered at `now`, for `periods`.
    fn age(&self, now: i64, periods: &Periods) -> Age {
        let fresh = fresh_for(self.took_ms);
        let age = now.saturating_sub(self.at);
        if self.periods != *periods {
            Age::Old
        } else if age < fresh {
            Age::Young
        } else if age < fresh.saturating_mul(STALE_PER_FRESH) {
            Age::Stale
        } else {
            Age::Old
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Age {
    /// Answered as they are.
    Young,
    /// Answered, and counted again behind the answer.
    Stale,
    /// Counted again before answering.
    Old,
}

/// One ward's month: its last count, read without waiting, and a lock held while it is
/// counted, so that many requests at once count it once.
#[derive(Default)]
struct Slot {
    last: std::sync::Mutex<Option<Arc<Counted>>>,
    counting: Arc<tokio::sync::Mutex<()>>,
    /// Counts started so far: a count numbered above what a request saw when it came began
    /// after it, so it has everything written before the request.
    started: std::sync::atomic::AtomicU64,
    /// When it was last asked for (for forgetting the least recently asked).
    asked: std::sync::atomic::AtomicI64,
}

impl Slot {
    fn last(&self) -> Option<Arc<Counted>> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Wards' indicators counted lately, by (ward, year, month).
pub struct Recent {
    slots: std::sync::Mutex<HashMap<(i64, i32, u32), Arc<Slot>>>,
    /// Every count holds one of these [`COUNTS_AT_ONCE`] permits while it runs.
    counts: Arc<tokio::sync::Semaphore>,
    /// A count behind an answer also holds this one: one at a time, and only when a permit of
    /// `counts` is free at once, so that many wards' dashboards going stale together neither
    /// count all at once nor keep out the requests that must wait for a count.
    behind: Arc<tokio::sync::Semaphore>,
}

impl Default for Recent {
    fn default() -> Recent {
        Recent {
            slots: std::sync::Mutex::default(),
            counts: Arc::new(tokio::sync::Semaphore::new(COUNTS_AT_ONCE)),
            behind: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }
}

impl Recent {
    fn slot(&self, key: (i64, i32, u32), now: i64) -> Arc<Slot> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut map = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = match map.get(&key) {
            Some(slot) => slot.clone(),
            None => {
                if map.len() >= RECENT_MAX {
                    // The least recently asked of those not being counted goes.
                    let idle = map
                        .iter()
                        .filter(|(_, s)| s.counting.try_lock().is_ok())
                        .min_by_key(|(_, s)| s.asked.load(Relaxed))
                        .map(|(k, _)| *k);
                    if let Some(k) = idle {
                        map.remove(&k);
                    }
                }
                let slot = Arc::<Slot>::default();
                // Every slot is being counted: this one is counted and not kept.
                if map.len() < RECENT_MAX {
                    map.insert(key, slot.clone());
                }
                slot
            }
        };
        slot.asked.fetch_max(now, Relaxed);
        slot
    }

    /// The slot of `key` if it is remembered.
    fn remembered(&self, key: (i64, i32, u32)) -> Option<Arc<Slot>> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .cloned()
    }

    /// Forgets every ward's figures (wards were merged or split: their records moved).
    pub fn forget_all(&self) {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

/// The indicators of ward `ward` (which must exist) for `year`/`month`, at `now`.
///
/// Counted at most once in [`FRESH_MS`] (longer for a ward that takes long to count, see
/// [`FRESH_PER_COUNT`]): younger figures of the same periods are answered as they are; older
/// ones, up to [`STALE_PER_FRESH`] times that, are answered at once and counted again behind
/// the answer; older still, they are counted while the request waits. `fresh` (`Cache-Control:
/// no-cache`) asks for a count begun after the request came. Requests waiting at once share one
/// count, and counts run at most [`COUNTS_AT_ONCE`] at a time. `counted_at` says when they were.
pub async fn ward(
    db: &Db,
    ward: i64,
    (year, month): (i32, u32),
    now: i64,
    fresh: bool,
) -> AppResult<WardIndicators> {
    use std::sync::atomic::Ordering::SeqCst;
    // A month that cannot be reported on is refused before anything is remembered.
    let periods = Periods::of_report(year, month, now)?;
    let slot = db.indicators.slot((ward, year, month), now);
    let seen = slot.started.load(SeqCst);
    if !fresh {
        if let Some(last) = slot.last() {
            match last.age(now, &periods) {
                Age::Young => return Ok(last.figures.clone()),
                Age::Stale => {
                    count_behind(db, ward, (year, month), (now, periods), &slot);
                    return Ok(last.figures.clone());
                }
                Age::Old => {}
            }
        }
    }
    let counting = slot.counting.clone().lock_owned().await;
    // Counted while this request waited?
    if let Some(last) = slot.last() {
        let will_do = if fresh {
            last.serial > seen && last.periods == periods
        } else {
            last.age(now, &periods) != Age::Old
        };
        if will_do {
            return Ok(last.figures.clone());
        }
    }
    let permit = db
        .indicators
        .counts
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| AppError::Busy)?;
    // Counted apart from the request, so that a request given up on does not waste the count.
    let (db, slot) = (db.clone(), slot.clone());
    tokio::spawn(async move {
        let _held = (counting, permit);
        count_into(&db, ward, (year, month), (now, periods), &slot).await
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("counting indicators: {e}")))?
}

/// Waits until no count of ward `ward`'s `year`/`month` is under way (a count behind an answer
/// included), for tests.
pub async fn settled(db: &Db, ward: i64, (year, month): (i32, u32)) {
    if let Some(slot) = db.indicators.remembered((ward, year, month)) {
        drop(slot.counting.lock().await);
    }
}

/// Counts `ward`'s month again after an answer, unless it is being counted already or the
/// server is counting another ward's (see [`Recent::behind`]): then the stale figures stay a
/// while longer.
fn count_behind(
    db: &Db,
    ward: i64,
    month: (i32, u32),
    (now, periods): (i64, Periods),
    slot: &Arc<Slot>,
) {
    let Ok(counting) = slot.counting.clone().try_lock_owned() else {
        return;
    };
    // Counted by another request since its figures were found stale?
    if slot
        .last()
        .is_some_and(|c| c.age(now, &c.periods) == Age::Young)
    {
        return;
    }
    let Ok(behind) = db.indicators.behind.clone().try_acquire_owned() else {
        return;
    };
    let Ok(permit) = db.indicators.counts.clone().try_acquire_owned() else {
        return;
    };
    let (db, slot) = (db.clone(), slot.clone());
    tokio::spawn(async move {
        let _held = (counting, behind, permit);
        if let Err(e) = count_into(&db, ward, month, (now, periods), &slot).await {
            tracing::warn!(ward, error = %e, "counting a ward's indicators behind an answer failed");
        }
    });
}

/// Counts and remembers ward `ward`'s month at `now` (whose periods are `periods`); the caller
/// holds the slot's `counting` lock and a permit of [`Recent::counts`].
async fn count_into(
    db: &Db,
    ward: i64,
    (year, month): (i32, u32),
    (now, periods): (i64, Periods),
    slot: &Slot,
) -> AppResult<WardIndicators> {
    let serial = slot
        .started
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    let started = std::time::Instant::now();
    let counting = count_ward(db, ward, (year, month), (now, periods));
    let figures = tokio::time::timeout(COUNT_TIMEOUT, counting)
        .await
        .map_err(|_| AppError::Busy)??;
    let counted = Counted {
        serial,
        at: now,
        periods,
        took_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        figures: figures.clone(),
    };
    *slot
        .last
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(counted));
    Ok(figures)
}

/// The indicators of ward `ward` (which must exist) for `year`/`month`, counted at `now`, whose
/// periods are `p` (`Periods::of_report`).
async fn count_ward(
    db: &Db,
    ward: i64,
    (year, month): (i32, u32),
    (now, p): (i64, Periods),
) -> AppResult<WardIndicators> {
    let (name, kind): (String, String) =
        sqlx::query_as("SELECT name, kind FROM wards WHERE id = $1")
            .bind(ward)
            .fetch_optional(&db.pool)
            .await?
            .ok_or(AppError::NotFound)?;
    let counted = buckets(db, ward, &p, year).await?;
    let reports_counted: Vec<&Bucket> = counted
        .iter()
        .filter(|b| b.form == NEIGHBORHOOD_REPORT)
        .collect();
    let visits_counted: Vec<&Bucket> = counted.iter().filter(|b| b.form == FIELD_VISIT).collect();

    let report_choices = choices(db, NEIGHBORHOOD_REPORT, "category").await?;
    let issue_choices = choices(db, FIELD_VISIT, "issue_kinds").await?;
    let reports = series(&report_choices, &reports_counted, month, |b, c| {
        b.category == c
    });
    let visit_issues = series(&issue_choices, &visits_counted, month, |b, c| {
        b.category.split(',').any(|k| k == c)
    });

    // By residential group: the ward's groups now.
    let groups: Vec<Place> =
        sqlx::query("SELECT id, name FROM residential_groups WHERE ward_id = $1 ORDER BY id")
            .bind(ward)
            .fetch_all(&db.pool)
            .await?
            .into_iter()
            .map(|r| Place {
                id: r.get(0),
                name: r.get(1),
            })
            .collect();
    let index: HashMap<&str, usize> = report_choices
        .iter()
        .enumerate()
        .map(|(i, c)| (c.0.as_str(), i))
        .collect();
    let groups = groups
        .into_iter()
        .map(|g| {
            let mut counts = vec![0u32; report_choices.len()];
            for b in reports_counted
                .iter()
                .filter(|b| b.group == g.id && b.month > 0)
            {
                if let Some(&i) = index.get(b.category.as_str()) {
                    counts[i] += b.n;
                }
            }
            GroupCounts {
                total: counts.iter().sum(),
                group: g,
                counts,
            }
        })
        .collect();

    // The records behind each zero-indicator, newest first: the first tells whether the month
    // is clear, none that the year is. At most 50 are read per kind (one query for all four
    // read every breaking record of the year: 100,000 rows at a million reports in a month).
    // The condition every kind implies (`ZeroKind::counts`) is written out for the partial
    // index `records_breaking`, which holds only such records.
    let mut zero = Vec::with_capacity(ZeroKind::ALL.len());
    for kind in ZeroKind::ALL {
        let categories = kind.categories();
        let sql = format!(
            "SELECT id, received_at FROM records \
             WHERE ward_id = $1 AND form_key = $2 AND received_at >= $3 AND received_at < $4 \
               AND (serious = 1 OR category = 'illegal_racing') \
               AND category IN ({}){} ORDER BY received_at DESC LIMIT 50",
            (5..5 + categories.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", "),
            if kind.serious_only() {
                " AND serious = 1"
            } else {
                ""
            }
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql)
            .bind(ward)
            .bind(NEIGHBORHOOD_REPORT)
            .bind(p.year_from)
            .bind(p.year_to);
        for c in categories {
            q = q.bind(*c);
        }
        let these = q.fetch_all(&db.pool).await?;
        zero.push(ZeroIndicator {
            kind,
            label: kind.label(),
            month_clear: these.first().is_none_or(|r| r.1 < p.month_from),
            year_clear: these.is_empty(),
            records: these
                .iter()
                .filter_map(|r| Uuid::parse_str(&r.0).ok())
                .collect(),
        });
    }

    // People under management: anyone visited in the twelve months to the month's end.
    let visits: Vec<(String, i64)> = sqlx::query_as(
        "SELECT subject, received_at FROM records WHERE ward_id = $1 AND form_key = $2 \
         AND received_at >= $3 AND received_at < $4 AND subject IS NOT NULL",
    )
    .bind(ward)
    .bind(MANAGED_PERSON_VISIT)
    .bind(p.month_to - 365 * DAY_MS)
    .bind(p.month_to)
    .fetch_all(&db.pool)
    .await?;
    let persons: BTreeSet<&str> = visits.iter().map(|v| v.0.as_str()).collect();
    let visited: BTreeSet<&str> = visits
        .iter()
        .filter(|v| v.1 >= p.month_from)
        .map(|v| v.0.as_str())
        .collect();
    let managed = ManagedVisits {
        persons: persons.len() as u32,
        visited: visited.len() as u32,
    };

    // Police records per officer per week of the month (weeks start on Monday).
    let first_monday = {
        let d = LocalTime::at(p.month_from).date;
        let days = d.days_since_epoch();
        let weekday = (days + 3).rem_euclid(7); // 0 = Monday
        Date::from_days_since_epoch(days - weekday).start_ms()
    };
    let weeks: Vec<i64> = (0..)
        .map(|k| first_monday + k * 7 * DAY_MS)
        .take_while(|w| *w < p.month_to)
        .collect();
    let police = [
        FIELD_VISIT,
        RESIDENCE_CHECK,
        FIRE_SAFETY_CHECK,
        MANAGED_PERSON_VISIT,
    ];
    let mut per_officer: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
    // $1 ward, $2/$3 the month, $4..$7 the forms, $8.. the Mondays after the first.
    let sql = format!(
        "SELECT author_id, {}, COUNT(*) FROM records WHERE ward_id = $1 \
         AND received_at >= $2 AND received_at < $3 AND form_key IN ($4, $5, $6, $7) GROUP BY 1, 2",
        case_by(8, weeks.len().saturating_sub(1))
    );
    let mut q = sqlx::query(&sql)
        .bind(ward)
        .bind(p.month_from)
        .bind(p.month_to);
    for form in police {
        q = q.bind(form);
    }
    for w in weeks.iter().skip(1) {
        q = q.bind(*w);
    }
    for r in q.fetch_all(&db.pool).await? {
        let week = usize::try_from(r.get::<i64, _>(1)).unwrap_or_default();
        let slots = per_officer
            .entry(r.get(0))
            .or_insert_with(|| vec![0; weeks.len()]);
        if let Some(s) = slots.get_mut(week) {
            *s += u32::try_from(r.get::<i64, _>(2)).unwrap_or(u32::MAX);
        }
    }
    let mut names: HashMap<i64, String> = HashMap::new();
    for id in per_officer.keys() {
        let name: Option<String> =
            sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                .bind(*id)
                .fetch_optional(&db.pool)
                .await?;
        names.insert(*id, name.unwrap_or_default());
    }
    let mut officers: Vec<OfficerWeeks> = per_officer
        .into_iter()
        .map(|(id, weeks)| OfficerWeeks {
            officer: Place {
                id,
                name: names.get(&id).cloned().unwrap_or_default(),
            },
            total: weeks.iter().sum(),
            weeks,
        })
        .collect();
    officers.sort_by(|a, b| {
        b.total
            .cmp(&a.total)
            .then(a.officer.name.cmp(&b.officer.name))
    });

    // How fast the month's neighborhood reports were dealt with, counted by the database.
    let mut speed = ReportSpeed::default();
    for r in sqlx::query(
        "SELECT status, COUNT(*) FROM records WHERE ward_id = $1 AND form_key = $2 \
         AND received_at >= $3 AND received_at < $4 GROUP BY status",
    )
    .bind(ward)
    .bind(NEIGHBORHOOD_REPORT)
    .bind(p.month_from)
    .bind(p.month_to)
    .fetch_all(&db.pool)
    .await?
    {
        let n = u32::try_from(r.get::<i64, _>(1)).unwrap_or(u32::MAX);
        speed.reports += n;
        match RecordStatus::parse(&r.get::<String, _>(0)) {
            Some(RecordStatus::Received) => speed.waiting += n,
            Some(RecordStatus::InProgress) => speed.in_progress += n,
            _ => {}
        }
    }
    let review_at = |action: &str| {
        format!(
            "(SELECT MIN(v.at) FROM record_reviews v WHERE v.record_id = r.id \
             AND v.action = '{action}' AND v.at >= r.received_at)"
        )
    };
    (speed.received_median, speed.received_slowest) = median_and_max_counted(
        &mut minutes_counted(db, ward, &p, "r.received_at", "filed_at").await?,
    );
    (speed.handled_median, speed.handled_slowest) = median_and_max_counted(
        &mut minutes_counted(db, ward, &p, &review_at("start_handling"), "received_at").await?,
    );
    (speed.resolved_median, speed.resolved_slowest) = median_and_max_counted(
        &mut minutes_counted(db, ward, &p, &review_at("resolve"), "received_at").await?,
    );

    // What waits now.
    let mut waiting = Waiting::default();
    for r in sqlx::query("SELECT status, COUNT(*) FROM records WHERE ward_id = $1 GROUP BY status")
        .bind(ward)
        .fetch_all(&db.pool)
        .await?
    {
        let n = u32::try_from(r.get::<i64, _>(1)).unwrap_or(u32::MAX);
        match RecordStatus::parse(&r.get::<String, _>(0)) {
            Some(RecordStatus::Received) => waiting.received = n,
            Some(RecordStatus::InProgress) => waiting.in_progress = n,
            Some(RecordStatus::Returned) => waiting.returned = n,
            _ => {}
        }
    }
    // From the copies still waiting (few), not from the ward's records (many).
    let conflicts: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT c.record_id) FROM record_conflicts c WHERE c.resolution IS NULL \
         AND EXISTS (SELECT 1 FROM records r WHERE r.id = c.record_id AND r.ward_id = $1)",
    )
    .bind(ward)
    .fetch_one(&db.pool)
    .await?;
    waiting.conflicts = u32::try_from(conflicts).unwrap_or(u32::MAX);

    Ok(WardIndicators {
        ward: Place { id: ward, name },
        ward_kind: domain::admin::WardKind::parse(&kind).unwrap_or_default(),
        year,
        month,
        month_from: p.month_from,
        month_to: p.month_to,
        year_from: p.year_from,
        last_year_from: p.last_year_from,
        last_year_to: p.last_year_to,
        reports,
        visit_issues,
        groups,
        zero,
        managed,
        officers,
        weeks,
        speed,
        waiting,
        counted_at: now,
    })
}

/// A month's key in `record_tallies`: yyyymm.
fn month_key(year: i32, month: u32) -> i32 {
    year * 100 + month as i32
}

/// The wards and communes of province `province` side by side for `year`/`month`: a few
/// grouped queries over the province, not one ward after another.
pub async fn province(
    db: &Db,
    province: i64,
    year: i32,
    month: u32,
    now: i64,
) -> AppResult<ProvinceIndicators> {
    let p = Periods::of_report(year, month, now)?;
    let name: String = sqlx::query_scalar("SELECT name FROM provinces WHERE id = $1")
        .bind(province)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut rows: Vec<ProvinceRow> = sqlx::query(
        // A ward that closed answers for nothing: its groups' records went with them.
        "SELECT id, name, kind, closed_from FROM wards WHERE province_id = $1 \
         AND closed_from IS NULL ORDER BY name",
    )
    .bind(province)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|r| ProvinceRow {
        ward: IndicatorWard {
            id: r.get(0),
            name: r.get(1),
            commune: r.get::<String, _>(2) == "commune",
            closed_from: r.get(3),
        },
        reports: 0,
        reports_last_year: 0,
        zero: ZeroKind::ALL.iter().map(|k| (*k, true, true)).collect(),
        managed: ManagedVisits {
            persons: 0,
            visited: 0,
        },
        waiting: Waiting::default(),
    })
    .collect();
    let at: HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.ward.id, i))
        .collect();

    // Whole months come from the wards' tallies (migrations/*/0023_record_tallies.sql): this
    // year's January to the month asked (the current month holds what came in so far), last
    // year's January up to the month of the day a year before the period's end.
    let this_year = (month_key(year, 1), month_key(year, month));
    let last_year_end = LocalTime::at(p.last_year_to).date;
    let last_year = (
        month_key(year - 1, 1),
        month_key(last_year_end.year, last_year_end.month),
    );
    let counts = sqlx::query(
        "SELECT t.ward_id, CAST(t.month AS BIGINT), t.category, t.serious, CAST(SUM(t.n) AS BIGINT) \
         FROM record_tallies t JOIN wards w ON w.id = t.ward_id \
         WHERE w.province_id = $1 AND t.form_key = $2 \
           AND ((t.month >= $3 AND t.month <= $4) OR (t.month >= $5 AND t.month < $6)) \
         GROUP BY t.ward_id, t.month, t.category, t.serious",
    )
    .bind(province)
    .bind(NEIGHBORHOOD_REPORT)
    .bind(this_year.0)
    .bind(this_year.1)
    .bind(last_year.0)
    .bind(last_year.1)
    .fetch_all(&db.pool)
    .await?;
    for c in counts {
        let Some(&i) = at.get(&c.get::<i64, _>(0)) else {
            continue;
        };
        let key = i32::try_from(c.get::<i64, _>(1)).unwrap_or(0);
        let (category, serious): (String, bool) = (c.get(2), c.get::<i64, _>(3) != 0);
        // A row whose records all moved away (another ward, another category) stays at 0.
        let n = u32::try_from(c.get::<i64, _>(4).max(0)).unwrap_or(u32::MAX);
        if n == 0 {
            continue;
        }
        let row = &mut rows[i];
        if (this_year.0..=this_year.1).contains(&key) {
            row.reports = row.reports.saturating_add(n);
            for z in row.zero.iter_mut() {
                if z.0.counts(&category, serious) {
                    z.2 = false;
                    if key == this_year.1 {
                        z.1 = false;
                    }
                }
            }
        } else {
            row.reports_last_year = row.reports_last_year.saturating_add(n);
        }
    }
    // Last year's period ends inside a month unless it ends on a 1st: those days are counted
    // from the records themselves, a month of the province at most.
    let partial_from = last_year_end.month_start().start_ms();
    if partial_from < p.last_year_to {
        for c in sqlx::query(
            "SELECT r.ward_id, COUNT(*) FROM records r JOIN wards w ON w.id = r.ward_id \
             WHERE w.province_id = $1 AND r.form_key = $2 \
               AND r.received_at >= $3 AND r.received_at < $4 \
             GROUP BY r.ward_id",
        )
        .bind(province)
        .bind(NEIGHBORHOOD_REPORT)
        .bind(partial_from)
        .bind(p.last_year_to)
        .fetch_all(&db.pool)
        .await?
        {
            if let Some(&i) = at.get(&c.get::<i64, _>(0)) {
                let n = u32::try_from(c.get::<i64, _>(1)).unwrap_or(u32::MAX);
                rows[i].reports_last_year = rows[i].reports_last_year.saturating_add(n);
            }
        }
    }

    for m in sqlx::query(
        "SELECT r.ward_id, COUNT(DISTINCT r.subject), \
                COUNT(DISTINCT CASE WHEN r.received_at >= $2 THEN r.subject END) \
         FROM records r JOIN wards w ON w.id = r.ward_id \
         WHERE w.province_id = $1 AND r.form_key = $4 AND r.subject IS NOT NULL \
           AND r.received_at >= $3 AND r.received_at < $5 GROUP BY r.ward_id",
    )
    .bind(province)
    .bind(p.month_from)
    .bind(p.month_to - 365 * DAY_MS)
    .bind(MANAGED_PERSON_VISIT)
    .bind(p.month_to)
    .fetch_all(&db.pool)
    .await?
    {
        if let Some(&i) = at.get(&m.get::<i64, _>(0)) {
            rows[i].managed = ManagedVisits {
                persons: u32::try_from(m.get::<i64, _>(1)).unwrap_or(u32::MAX),
                visited: u32::try_from(m.get::<i64, _>(2)).unwrap_or(u32::MAX),
            };
        }
    }

    for w in sqlx::query(
        "SELECT t.ward_id, t.status, CAST(SUM(t.n) AS BIGINT) \
         FROM record_tallies t JOIN wards w ON w.id = t.ward_id \
         WHERE w.province_id = $1 AND t.status IN ('received', 'in_progress', 'returned') \
         GROUP BY t.ward_id, t.status",
    )
    .bind(province)
    .fetch_all(&db.pool)
    .await?
    {
        if let Some(&i) = at.get(&w.get::<i64, _>(0)) {
            let n = u32::try_from(w.get::<i64, _>(2)).unwrap_or(u32::MAX);
            match RecordStatus::parse(&w.get::<String, _>(1)) {
                Some(RecordStatus::Received) => rows[i].waiting.received = n,
                Some(RecordStatus::InProgress) => rows[i].waiting.in_progress = n,
                Some(RecordStatus::Returned) => rows[i].waiting.returned = n,
                _ => {}
            }
        }
    }
    Ok(ProvinceIndicators {
        province: Place { id: province, name },
        year,
        month,
        month_from: p.month_from,
        month_to: p.month_to,
        year_from: p.year_from,
        last_year_from: p.last_year_from,
        last_year_to: p.last_year_to,
        wards: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(y: i32, m: u32, d: u32) -> i64 {
        Date::new(y, m, d).unwrap().start_ms()
    }

    #[test]
    fn figures_are_kept_fifteen_seconds_or_ten_times_as_long_as_counting_them_took_up_to_a_minute()
    {
        assert_eq!(fresh_for(0), FRESH_MS);
        assert_eq!(fresh_for(1_500), FRESH_MS);
        assert_eq!(fresh_for(4_000), 40_000);
        assert_eq!(fresh_for(7_000), FRESH_MAX_MS);
        assert_eq!(fresh_for(i64::MAX), FRESH_MAX_MS);
    }

    #[test]
    fn a_past_month_counts_to_its_end_and_last_year_the_same_days() {
        let p = Periods::new(2026, 3, ms(2026, 12, 5) + 3_600_000).unwrap();
        assert_eq!((p.month_from, p.month_to), (ms(2026, 3, 1), ms(2026, 4, 1)));
        assert_eq!((p.year_from, p.year_to), (ms(2026, 1, 1), ms(2026, 4, 1)));
        assert_eq!(
            (p.last_year_from, p.last_year_to),
            (ms(2025, 1, 1), ms(2025, 4, 1))
        );
    }

    #[test]
    fn the_current_month_counts_to_today_and_last_year_to_the_same_day_not_its_whole() {
        let p = Periods::new(2026, 12, ms(2026, 12, 5) + 3_600_000).unwrap();
        assert_eq!(
            (p.month_from, p.month_to),
            (ms(2026, 12, 1), ms(2026, 12, 6))
        );
        assert_eq!(p.last_year_to, ms(2025, 12, 6));
        // A leap day: last year's same period ends with February.
        let p = Periods::new(2028, 2, ms(2028, 2, 29) + 1).unwrap();
        assert_eq!(p.last_year_to, ms(2027, 3, 1));
    }

    #[test]
    fn a_month_that_has_not_begun_has_no_indicators() {
        assert_eq!(Periods::new(2027, 1, ms(2026, 12, 31)), None);
        assert_eq!(Periods::new(2026, 13, ms(2026, 12, 31)), None);
    }
}
