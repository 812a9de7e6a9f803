//! Benchmark (not a test): the server validating 10,000 fire-safety checks.
//!
//! `fire_safety_check` is the built-in form with the most to check: 29 fields, 5 of them
//! conditional, and a `violations` repeat group of up to 20 rows of 5 sub-fields each (kind,
//! description, severity, fix-by date, photos). The records are made up front, deterministically
//! and varied the way real ones are: seven kinds of premises (flats and rooms are only asked of
//! boarding houses and mini-apartments), checklist answers that decide whether violations were
//! found (and so whether there are 1–5 violation rows, each with 0–2 photo references),
//! extinguisher details only when there are extinguishers, a re-check date only when the action
//! calls for one, optional GPS, owner ID, phone, floor area, notes and 0–5 photos.
//! Every tenth record is wrong in one of twelve ways, so the error paths (and the rendering of
//! their messages) run too; each bad record must be refused for exactly the fault it was given
//! and every good one accepted, so the figures are known to be for the intended work.
//!
//! Timed, each as the median and best of several passes over all 10,000:
//!   * `validate` on records already parsed;
//!   * parsing each record's JSON text into a `RecordEnvelope`, then `validate`, which is the
//!     per-record work of a push before the database;
//!   * the same plus `content_hash`, which the server also computes for every pushed record.
//!
//! Run: cargo xtask bench validate   (or: cargo bench -p domain --bench validate)

use std::hint::black_box;
use std::time::{Duration, Instant};

use domain::form::{FormDef, FIRE_SAFETY_CHECK};
use domain::record::RecordEnvelope;
use domain::validate::validate;
use domain::Lang;
use serde_json::{json, Map, Value};

const RECORDS: usize = 10_000;
/// Every `INVALID_EVERY`th record is broken on purpose.
const INVALID_EVERY: usize = 10;
const PASSES: usize = 9;

/// SplitMix64: the same records on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const PREMISES: [&str; 7] = [
    "mini_apartment",
    "boarding_house",
    "business_household",
    "karaoke_bar",
    "restaurant",
    "warehouse",
    "other",
];
const NAMES: [&str; 8] = [
    "Chung cư mini Hoàng Gia",
    "Nhà trọ Bình An",
    "Karaoke Hoa Sen",
    "Quán ăn Bà Ba",
    "Kho hàng Tân Phát",
    "Cửa hàng điện máy Minh Khai",
    "Nhà nghỉ Phương Đông",
    "Xưởng may Thu Hà",
];
const STREETS: [&str; 6] = [
    "Âu Cơ",
    "Nhật Chiêu",
    "Lạc Long Quân",
    "Xuân Diệu",
    "Đặng Thai Mai",
    "Võng Thị",
];
const PEOPLE: [&str; 6] = [
    "Nguyễn Văn An",
    "Trần Thị Bích Ngọc",
    "Lê Hoàng Long",
    "Phạm Thu Trang",
    "Đỗ Mạnh Hùng",
    "Vũ Thị Mai",
];
const SEVERITIES: [&str; 3] = ["minor", "serious", "very_serious"];
const NOTES: [&str; 5] = [
    "Chủ cơ sở cam kết khắc phục trong thời hạn.",
    "Đã hướng dẫn người thuê cách sử dụng bình chữa cháy.",
    "Khu vực sạc xe điện đặt ngay dưới cầu thang, đề nghị di chuyển ra ngoài.",
    "Cửa thoát hiểm tầng 3 bị khóa, chìa khóa do chủ nhà giữ.",
    "Đề nghị tổ dân phố theo dõi, nhắc nhở thêm.",
];

/// The checklist: each yes/no question and the violation a "no" means.
const CHECKLIST: [(&str, &str); 6] = [
    ("has_alarm", "no_alarm"),
    ("second_exit", "no_second_exit"),
    ("exits_clear", "blocked_exit"),
    ("no_sealed_cages", "sealed_cage"),
    ("wiring_safe", "unsafe_wiring"),
    ("fire_plan", "no_fire_plan"),
];

fn photo(rng: &mut Rng) -> Value {
    let sha: String = (0..4).map(|_| format!("{:016x}", rng.next())).collect();
    let (w, h) = if rng.chance(50) {
        (1600, 1200)
    } else {
        (1200, 1600)
    };
    json!({
        "sha256": sha,
        "type": if rng.chance(80) { "image/jpeg" } else { "image/webp" },
        "bytes": 150_000 + rng.below(600_000),
        "width": w,
        "height": h,
    })
}

fn photos(rng: &mut Rng, n: usize) -> Value {
    Value::Array((0..n).map(|_| photo(rng)).collect())
}

fn date(day: usize) -> String {
    // Days from 1 Nov 2026, into December and January.
    match day {
        0..=29 => format!("2026-11-{:02}", day + 1),
        30..=60 => format!("2026-12-{:02}", day - 29),
        _ => format!("2027-01-{:02}", (day - 60).min(30) + 1),
    }
}

/// A fire-safety check that the form accepts.
fn valid(rng: &mut Rng) -> Map<String, Value> {
    let premises = rng.pick(&PREMISES);
    let day = rng.below(25);
    let mut d = Map::new();
    let mut put = |k: &str, v: Value| {
        d.insert(k.to_owned(), v);
    };
    put(
        "checked_at",
        json!(format!(
            "{}T{:02}:{:02}",
            date(day),
            7 + rng.below(12),
            rng.below(60)
        )),
    );
    put("premises_type", json!(premises));
    put("premises_name", json!(rng.pick(&NAMES)));
    put(
        "address",
        json!(format!(
            "Số {}, ngõ {}, đường {}, phường Tây Hồ",
            1 + rng.below(300),
            1 + rng.below(120),
            rng.pick(&STREETS)
        )),
    );
    if rng.chance(85) {
        put(
            "position",
            json!({
                "lat": 21.05 + rng.below(40_000) as f64 / 1e6,
                "lon": 105.80 + rng.below(40_000) as f64 / 1e6,
                "accuracy_m": 3.0 + rng.below(600) as f64 / 10.0,
                "at": format!("{}T09:{:02}:00.000Z", date(day), rng.below(60)),
            }),
        );
    }
    put("owner_name", json!(rng.pick(&PEOPLE)));
    if rng.chance(70) {
        // Province 001 (Hà Nội), century digit 0–3.
        put(
            "owner_id",
            json!(format!(
                "001{}{:08}",
                rng.below(4),
                rng.next() % 100_000_000
            )),
        );
    }
    if rng.chance(80) {
        let phone = if rng.chance(50) {
            format!("09{:08}", rng.next() % 100_000_000)
        } else {
            format!(
                "+84 9{:02} {:03} {:03}",
                rng.below(100),
                rng.below(1000),
                rng.below(1000)
            )
        };
        put("owner_phone", json!(phone));
    }
    put("floors", json!(1 + rng.below(12)));
    if matches!(premises, "mini_apartment" | "boarding_house") {
        put("units", json!(4 + rng.below(60)));
    }
    if rng.chance(60) {
        put("occupants", json!(rng.below(200)));
    }
    if rng.chance(50) {
        put(
            "floor_area_m2",
            json!((200 + rng.below(20_000)) as f64 / 10.0),
        );
    }
    let mut kinds = Vec::new();
    let extinguishers = rng.chance(85);
    put("has_extinguishers", json!(extinguishers));
    if extinguishers {
        put("extinguishers_count", json!(1 + rng.below(30)));
        let in_date = rng.chance(90);
        put("extinguishers_in_date", json!(in_date));
        if !in_date {
            kinds.push("expired_extinguisher");
        }
    } else {
        kinds.push("no_extinguisher");
    }
    for (key, violation) in CHECKLIST {
        let ok = rng.chance(94);
        put(key, json!(ok));
        if !ok {
            kinds.push(violation);
        }
    }
    let parking_ok = rng.chance(92);
    put("parking_separated", json!(parking_ok));
    if !parking_ok {
        kinds.push("parking_hazard");
    }
    kinds.truncate(5);
    put("violations_found", json!(!kinds.is_empty()));
    if !kinds.is_empty() {
        let rows: Vec<Value> = kinds
            .iter()
            .map(|kind| {
                let mut row = Map::new();
                row.insert("kind".into(), json!(kind));
                row.insert(
                    "description".into(),
                    json!(format!("{} {}", rng.pick(&NOTES), rng.pick(&NOTES))),
                );
                row.insert("severity".into(), json!(rng.pick(&SEVERITIES)));
                if rng.chance(70) {
                    row.insert("fix_by".into(), json!(date(day + 7 + rng.below(30))));
                }
                let n = rng.below(3);
                if n > 0 {
                    row.insert("photos".into(), photos(rng, n));
                }
                Value::Object(row)
            })
            .collect();
        put("violations", Value::Array(rows));
        let action = rng.pick(&[
            "reminded",
            "fix_request",
            "record_made",
            "suspension_proposed",
        ]);
        put("action", json!(action));
        if action != "reminded" {
            put("recheck_on", json!(date(day + 14 + rng.below(30))));
        }
    } else {
        put("action", json!("none"));
    }
    if rng.chance(40) {
        put("notes", json!(rng.pick(&NOTES)));
    }
    let n = rng.below(6);
    if n > 0 {
        put("photos", photos(rng, n));
    }
    put(
        "inspector",
        json!(format!("Thượng úy {}", rng.pick(&PEOPLE))),
    );
    d
}

/// Breaks a valid record in one of twelve ways; returns the field path and the violation the
/// validator must report (as the variant's name).
fn break_record(d: &mut Map<String, Value>, way: usize) -> (String, &'static str) {
    let rows = d
        .get("violations")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    match way {
        0 => {
            d.remove("premises_name");
            ("premises_name".into(), "Required")
        }
        1 => {
            // Flats are only asked of boarding houses and mini-apartments.
            d.insert("premises_type".into(), json!("restaurant"));
            d.insert("units".into(), json!(12));
            ("units".into(), "NotApplicable")
        }
        2 => {
            d.insert("violations_found".into(), json!(true));
            d.insert("violations".into(), json!([]));
            if !d.contains_key("recheck_on") {
                d.insert("action".into(), json!("reminded"));
            }
            ("violations".into(), "Required")
        }
        3 if rows > 0 => {
            let last = rows - 1;
            d["violations"][last]["kind"] = json!("smoking");
            (format!("violations[{last}].kind"), "NotAChoice")
        }
        4 => {
            d.insert("owner_phone".into(), json!("0123"));
            ("owner_phone".into(), "BadPhone")
        }
        5 => {
            d.insert(
                "position".into(),
                json!({"lat": 21.07, "lon": 105.81, "accuracy_m": 350.0}),
            );
            ("position".into(), "GpsTooImprecise")
        }
        6 => {
            // One bad reference among the record's photos (at most 5 in all).
            let mut all = d
                .get("photos")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            all.truncate(4);
            all.push(json!({"sha256": "not-a-hash", "type": "image/jpeg", "bytes": 1000, "width": 800, "height": 600}));
            d.insert("photos".into(), Value::Array(all));
            ("photos".into(), "BadPhoto")
        }
        7 => {
            d.insert("action".into(), json!("record_made"));
            d.remove("recheck_on");
            ("recheck_on".into(), "Required")
        }
        8 => {
            d.insert("floors".into(), json!(0));
            ("floors".into(), "TooSmall")
        }
        9 => {
            d.insert("owner_id".into(), json!("999999999999"));
            ("owner_id".into(), "BadCitizenId")
        }
        10 => {
            d.insert("weather".into(), json!("mưa"));
            ("weather".into(), "UnknownField")
        }
        _ => {
            // 21 rows where at most 20 are allowed.
            d.insert("violations_found".into(), json!(true));
            let row = json!({"kind": "other", "description": "Bình gas để sát bếp.", "severity": "minor"});
            d.insert("violations".into(), Value::Array(vec![row; 21]));
            if !d.contains_key("recheck_on") {
                d.insert("action".into(), json!("reminded"));
            }
            ("violations".into(), "TooManyItems")
        }
    }
}

struct Timing {
    median: Duration,
    best: Duration,
}

fn time(passes: usize, mut f: impl FnMut() -> usize) -> Timing {
    let expected = f(); // warm-up; also the answer every pass must give again
    let mut runs: Vec<Duration> = (0..passes)
        .map(|_| {
            let t = Instant::now();
            let n = black_box(f());
            let elapsed = t.elapsed();
            assert_eq!(n, expected, "a pass found a different number of errors");
            elapsed
        })
        .collect();
    runs.sort();
    Timing {
        median: runs[runs.len() / 2],
        best: runs[0],
    }
}

fn main() {
    let form = FormDef::builtin()
        .into_iter()
        .find(|f| f.key == FIRE_SAFETY_CHECK)
        .expect("fire_safety_check is built in");

    let mut rng = Rng(0xF1E5_AFE7);
    let mut expected = Vec::with_capacity(RECORDS);
    let records: Vec<RecordEnvelope> = (0..RECORDS)
        .map(|i| {
            let mut data = valid(&mut rng);
            let fault = (i % INVALID_EVERY == INVALID_EVERY - 1)
                .then(|| break_record(&mut data, (i / INVALID_EVERY) % 12));
            expected.push(fault);
            let hi = rng.next();
            RecordEnvelope {
                // A UUIDv7-shaped id.
                id: uuid::Uuid::from_u64_pair(
                    (hi & !0xF000) | 0x7000,
                    (rng.next() & !(0b11 << 62)) | (0b10 << 62),
                ),
                form_key: FIRE_SAFETY_CHECK.into(),
                form_version: form.version,
                group_id: 1 + rng.below(12) as i64,
                created_at: "2026-11-25T09:30:00.000Z".into(),
                data,
                revision: None,
            }
        })
        .collect();
    let texts: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();

    // The records are what they claim to be: every good one accepted, every bad one refused
    // with the expected violation on the expected field.
    let (mut good, mut bad, mut rows, mut with_rows, mut photo_refs) = (0, 0, 0, 0, 0);
    for (r, fault) in records.iter().zip(&expected) {
        let errors = validate(&form, &r.data, Lang::Vi);
        match fault {
            None => {
                assert!(errors.is_empty(), "a good record was refused: {errors:?}");
                good += 1;
                let n = r
                    .data
                    .get("violations")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                assert!(n <= 5);
                rows += n;
                with_rows += usize::from(n > 0);
            }
            Some((field, kind)) => {
                assert!(
                    errors.iter().any(
                        |e| &e.field == field && format!("{:?}", e.violation).starts_with(kind)
                    ),
                    "expected {kind} on {field}, got {errors:?}"
                );
                bad += 1;
            }
        }
        let text = serde_json::to_string(&r.data).unwrap();
        photo_refs += text.matches("\"sha256\"").count();
    }
    assert_eq!(good + bad, RECORDS);
    assert_eq!(bad, RECORDS / INVALID_EVERY);
    let bytes: usize = texts.iter().map(String::len).sum();

    let validate_all = || {
        records
            .iter()
            .map(|r| validate(&form, &r.data, Lang::Vi).len())
            .sum::<usize>()
    };
    let parse_validate = || {
        texts
            .iter()
            .map(|t| {
                let r: RecordEnvelope = serde_json::from_str(black_box(t)).unwrap();
                validate(&form, &r.data, Lang::Vi).len()
            })
            .sum::<usize>()
    };
    let parse_validate_hash = || {
        texts
            .iter()
            .map(|t| {
                let r: RecordEnvelope = serde_json::from_str(black_box(t)).unwrap();
                let errors = validate(&form, &r.data, Lang::Vi).len();
                errors + black_box(r.content_hash()).len() - 64
            })
            .sum::<usize>()
    };
    let errors = validate_all();
    let results = [
        (
            "validate (records already parsed)",
            time(PASSES, validate_all),
        ),
        ("parse JSON text + validate", time(PASSES, parse_validate)),
        (
            "parse + validate + content_hash",
            time(PASSES, parse_validate_hash),
        ),
    ];

    println!(
        "\nfire_safety_check: {RECORDS} records, {good} valid + {bad} invalid (all as expected, {errors} errors in all);"
    );
    println!(
        "  {:.0} B of JSON per record on average; {with_rows} of the valid ones with violations ({rows} rows, {:.1} each), {photo_refs} photo references in all",
        bytes as f64 / RECORDS as f64,
        rows as f64 / with_rows.max(1) as f64,
    );
    println!(
        "  {PASSES} timed passes after one warm-up, single thread, error messages in Vietnamese\n"
    );
    println!(
        "  {:<36} {:>14} {:>12} {:>14} {:>12}",
        "", "median/10,000", "best/10,000", "median/record", "records/s"
    );
    for (name, t) in &results {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / RECORDS as f64;
        println!(
            "  {:<36} {:>11.2} ms {:>9.2} ms {:>11.2} µs {:>12.0}",
            name,
            t.median.as_secs_f64() * 1e3,
            t.best.as_secs_f64() * 1e3,
            per(t.median),
            RECORDS as f64 / t.median.as_secs_f64()
        );
    }
}
