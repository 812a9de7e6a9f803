//! Two years in the life of Tây Hồ's ward police, for the demo: records of every built-in form
//! from 1 January 2025 to yesterday, with the seasons (fire risks in the dry months, fights and
//! noise around Tết, accidents in the rains), a slow fall in crime, reviews, replies, a few
//! returned and conflicting records, and photos. It lives through the 2025 reform: until
//! 30/06/2025 in Nhật Tân, Quảng An and Xuân La; from 01/07/2025 in Phường Tây Hồ and Phường Phú
//! Thượng, Xuân La's and Nhật Tân's groups split between them (by [`crate::reorganise`], as an
//! administrator would).
//!
//! [`generate`] is pure and deterministic (its own SplitMix64, never the thread's random
//! source): the same day gives the same history on every machine, and tests read it to know
//! the answers. [`load`] writes it in one transaction, once.

use domain::admin::{GroupMove, ReorganisationInput, WardClosure, WardInput, WardKind};
use domain::calendar::{Date, LocalTime, DAY_MS};
use domain::record::RecordStatus;
use domain::review::ReviewAction;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::HashMap;
use uuid::Uuid;

use crate::db::{next_seq, record_audit, write_first, Audit};
use crate::photos::PhotoStore;
use crate::Db;

/// The first day of the history.
pub const START: Date = Date {
    year: 2025,
    month: 1,
    day: 1,
};
/// The first day of the new wards (Resolution 1656/NQ-UBTVQH15: from 1 July 2025).
pub const REFORM: Date = Date {
    year: 2025,
    month: 7,
    day: 1,
};
/// Residential groups per former ward in the history (the demo accounts' four, and four more).
pub const GROUPS: u32 = 8;
/// The wards formed on [`REFORM`].
pub const NEW_WARDS: [&str; 2] = ["Tây Hồ", "Phú Thượng"];

/// Where a former ward's group `n` (1-based) belongs from [`REFORM`]: an index of [`NEW_WARDS`].
pub fn new_ward_of(old: usize, n: u32) -> usize {
    match (super::WARDS[old], n) {
        ("Quảng An", _) => 0,
        ("Nhật Tân", n) if n <= 5 => 0,
        ("Xuân La", n) if n <= 4 => 0,
        _ => 1,
    }
}

/// The demo's photos (placeholders of the right shape: 400×300 JPEG).
pub const PHOTOS: [&[u8]; 4] = [
    include_bytes!("photo1.jpg"),
    include_bytes!("photo2.jpg"),
    include_bytes!("photo3.jpg"),
    include_bytes!("photo4.jpg"),
];

/// SplitMix64: small, fast and the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    /// Picks by weight.
    pub fn weighted<'a, T>(&mut self, xs: &'a [(T, f64)]) -> &'a T {
        let total: f64 = xs.iter().map(|x| x.1).sum();
        let mut at = self.f64() * total;
        for (x, w) in xs {
            if at < *w {
                return x;
            }
            at -= w;
        }
        &xs[xs.len() - 1].0
    }

    pub fn weighted_str(&mut self, xs: &[(&'static str, f64)]) -> &'static str {
        self.weighted::<&'static str>(xs)
    }

    /// How many events of a Poisson process with this mean happen (Knuth; small means).
    pub fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0, 1.0);
        loop {
            p *= self.f64();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }
}

/// Someone of the demo who files or reviews records.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub username: String,
    pub name: String,
    pub role: &'static str,
    /// Their former ward (an index of [`super::WARDS`]).
    pub ward: usize,
    /// A group leader's group number.
    pub group: Option<u32>,
}

/// A review action on a generated record.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub action: ReviewAction,
    pub from: RecordStatus,
    pub to: RecordStatus,
    pub at: i64,
    pub reviewer: String,
    pub comment: Option<String>,
}

/// One generated record.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub id: Uuid,
    pub form: &'static str,
    /// Former ward index and group number (1-based).
    pub ward: usize,
    pub group: u32,
    pub author: String,
    /// When it was filed, on the phone (ms).
    pub filed_at: i64,
    pub received_at: i64,
    pub data: Map<String, Value>,
    pub reviews: Vec<Review>,
    pub status: RecordStatus,
    pub note: Option<String>,
    /// Indices into [`PHOTOS`].
    pub photos: Vec<usize>,
    /// Another copy its author sent under the same id, kept for a reviewer.
    pub conflict: Option<Map<String, Value>>,
}

impl Generated {
    /// The ward (an index of [`NEW_WARDS`]) that answers for it from the reform on.
    pub fn new_ward(&self) -> usize {
        new_ward_of(self.ward, self.group)
    }
}

/// The whole history: people and records, records in the order they were filed.
#[derive(Debug, Clone)]
pub struct History {
    pub people: Vec<Person>,
    pub records: Vec<Generated>,
}

const STREETS: [[&str; 4]; 3] = [
    ["Âu Cơ", "Nhật Tân", "Tứ Liên", "Đường Ven Hồ"],
    ["Xuân La", "Lạc Long Quân", "Võ Chí Công", "Xuân Đỉnh"],
    ["Đặng Thai Mai", "Quảng An", "Xuân Diệu", "Quảng Bá"],
];
const FAMILY: [&str; 12] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý",
];
const MIDDLE: [&str; 8] = ["Văn", "Thị", "Minh", "Đức", "Thu", "Quang", "Ngọc", "Hữu"];
const GIVEN: [&str; 16] = [
    "An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Long", "Mai",
    "Nam", "Phương", "Sơn", "Tuấn",
];
const RANKS: [&str; 4] = ["Thiếu úy", "Trung úy", "Thượng úy", "Đại úy"];

fn full_name(rng: &mut Rng) -> String {
    format!(
        "{} {} {}",
        rng.pick(&FAMILY),
        rng.pick(&MIDDLE),
        rng.pick(&GIVEN)
    )
}

/// RFC 3339 with the ward's offset, as phones write `created_at`.
fn rfc3339(ms: i64) -> String {
    format!("{}:00+07:00", LocalTime::at(ms).iso_hm())
}

fn phone(rng: &mut Rng) -> String {
    format!(
        "0{}{:08}",
        rng.pick(&[3, 5, 7, 8, 9]),
        rng.below(100_000_000)
    )
}

/// A citizen ID of Hà Nội (province code 001).
fn citizen_id(rng: &mut Rng) -> String {
    format!(
        "001{}{:02}{:06}",
        rng.below(4),
        rng.below(100),
        rng.below(1_000_000)
    )
}

fn address(rng: &mut Rng, ward: usize) -> String {
    format!(
        "Số {} ngõ {} {}",
        rng.range(1, 120),
        rng.range(1, 80),
        rng.pick(&STREETS[ward])
    )
}

fn gps(rng: &mut Rng, ward: usize, at: i64) -> Value {
    // Around each former ward's centre.
    let (lat, lon) = [
        (21.0815, 105.8175),
        (21.0705, 105.7965),
        (21.0620, 105.8205),
    ][ward];
    json!({
        "lat": ((lat + (rng.f64() - 0.5) * 0.012) * 1e6).round() / 1e6,
        "lon": ((lon + (rng.f64() - 0.5) * 0.012) * 1e6).round() / 1e6,
        "accuracy_m": rng.range(4, 30) as f64,
        "at": format!("{}:00.000+07:00", LocalTime::at(at).iso_hm()),
    })
}

fn photo_ref(i: usize) -> Value {
    json!({
        "sha256": hex::encode(Sha256::digest(PHOTOS[i])),
        "type": "image/jpeg",
        "bytes": PHOTOS[i].len(),
        "width": 400,
        "height": 300,
    })
}

/// A UUIDv7 for `ms`, its random part from `rng`.
fn uuid_v7(rng: &mut Rng, ms: i64) -> Uuid {
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    random[8..].copy_from_slice(&rng.next_u64().to_le_bytes()[..2]);
    uuid::Builder::from_unix_timestamp_millis(ms as u64, &random).into_uuid()
}

/// How much more (or less) of something happens in `month` than on average.
fn season(kind: &str, month: u32) -> f64 {
    match kind {
        // Dry, cold months and the weeks before Tết: cooking, heating, incense, fireworks.
        "fire" => [1.6, 1.5, 1.2, 1.0, 0.8, 0.7, 0.6, 0.6, 0.7, 0.9, 1.2, 1.5][month as usize - 1],
        // Tết and summer evenings.
        "disorder" => {
            [1.5, 1.7, 0.9, 0.8, 0.9, 1.1, 1.2, 1.1, 0.9, 0.8, 0.8, 1.0][month as usize - 1]
        }
        // The rainy season.
        "traffic" => {
            [1.0, 1.1, 0.8, 0.8, 1.0, 1.3, 1.4, 1.4, 1.2, 0.9, 0.8, 1.0][month as usize - 1]
        }
        // After Tết and the start of the school year.
        "newcomers" => {
            [0.7, 1.6, 1.5, 1.0, 0.8, 0.8, 0.9, 1.3, 1.6, 1.0, 0.7, 0.6][month as usize - 1]
        }
        _ => 1.0,
    }
}

/// Crime against social order falls slowly over the two years (about 15% a year), as a model
/// ward's should.
fn trend(days_since_start: i64) -> f64 {
    0.85f64.powf(days_since_start as f64 / 365.0)
}

/// The people the history needs besides the demo accounts: a supervisor for Quảng An, officers,
/// and a group leader for every group the demo accounts leave without one.
pub fn people(rng: &mut Rng) -> Vec<Person> {
    let mut out = Vec::new();
    let mut taken: Vec<String> = super::ACCOUNTS.iter().map(|a| a.1.to_owned()).collect();
    let mut unique_name = |rng: &mut Rng| loop {
        let n = full_name(rng);
        if !taken.contains(&n) {
            taken.push(n.clone());
            return n;
        }
    };
    out.push(Person {
        username: "truongquangan".into(),
        name: format!("Thiếu tá {}", unique_name(rng)),
        role: "supervisor",
        ward: 2,
        group: None,
    });
    for ward in 0..super::WARDS.len() {
        // Nhật Tân has the demo's officer (canbo) already.
        let officers = if ward == 0 { 2 } else { 3 };
        for k in 1..=officers {
            out.push(Person {
                username: format!("canbo.{}{k}", ["nt", "xl", "qa"][ward]),
                name: format!("{} {}", rng.pick(&RANKS), unique_name(rng)),
                role: "officer",
                ward,
                group: None,
            });
        }
        for n in 1..=GROUPS {
            // Nhật Tân's group 1 has the demo's group leader (totruong).
            if ward == 0 && n == 1 {
                continue;
            }
            let name = unique_name(rng);
            let title = if name.contains(" Thị ") {
                "Bà"
            } else {
                "Ông"
            };
            out.push(Person {
                username: format!("totruong.{}{n}", ["nt", "xl", "qa"][ward]),
                name: format!("{title} {name}"),
                role: "group_leader",
                ward,
                group: Some(n),
            });
        }
    }
    out
}

/// Usernames of a former ward's staff who file (officers) and who review (supervisors and
/// officers), the demo accounts included.
fn staff(people: &[Person], ward: usize) -> (Vec<String>, Vec<String>) {
    let mut officers: Vec<String> = people
        .iter()
        .filter(|p| p.ward == ward && p.role == "officer")
        .map(|p| p.username.clone())
        .collect();
    let mut supervisors: Vec<String> = people
        .iter()
        .filter(|p| p.ward == ward && p.role == "supervisor")
        .map(|p| p.username.clone())
        .collect();
    for (username, _, role, w, _) in super::ACCOUNTS {
        if w == Some(ward) {
            match role {
                "officer" => officers.insert(0, username.to_owned()),
                "supervisor" => supervisors.insert(0, username.to_owned()),
                _ => {}
            }
        }
    }
    (officers, supervisors)
}

fn leader_of(people: &[Person], ward: usize, group: u32) -> String {
    if ward == 0 && group == 1 {
        return "totruong".into();
    }
    people
        .iter()
        .find(|p| p.ward == ward && p.group == Some(group))
        .map(|p| p.username.clone())
        .expect("every group has a leader")
}

fn display_name(people: &[Person], username: &str) -> String {
    super::ACCOUNTS
        .iter()
        .find(|a| a.0 == username)
        .map(|a| a.1.to_owned())
        .or_else(|| {
            people
                .iter()
                .find(|p| p.username == username)
                .map(|p| p.name.clone())
        })
        .unwrap_or_default()
}

/// A person under management in a former ward: visited about monthly.
struct Managed {
    name: String,
    id: String,
    category: &'static str,
    address: String,
    group: u32,
    risk: &'static str,
}

/// The history from [`START`] up to `until` (exclusive), the same for the same `until`.
pub fn generate(until: Date) -> History {
    let mut rng = Rng::new(0x5741_5244_424F_4F4B); // "WARDBOOK"
    let people = people(&mut rng);
    let mut records = Vec::new();
    let start = START.days_since_epoch();
    let end = until.days_since_epoch();
    let managed: Vec<Vec<Managed>> = (0..super::WARDS.len())
        .map(|ward| {
            (0..8)
                .map(|_| Managed {
                    name: full_name(&mut rng),
                    id: citizen_id(&mut rng),
                    category: rng.weighted_str(&[
                        ("drug_user", 3.0),
                        ("after_rehab", 2.0),
                        ("released_prisoner", 2.0),
                        ("non_custodial", 1.0),
                    ]),
                    address: address(&mut rng, ward),
                    group: rng.range(1, GROUPS as i64) as u32,
                    risk: rng.weighted_str(&[("low", 4.0), ("medium", 3.0), ("high", 1.0)]),
                })
                .collect()
        })
        .collect();
    for day in start..end {
        let date = Date::from_days_since_epoch(day);
        let midnight = date.start_ms();
        let weekday = (day + 3).rem_euclid(7); // 0 = Monday
        let working = weekday < 5;
        let since = day - start;
        let age_days = end - day;
        for (ward, managed_here) in managed.iter().enumerate() {
            let (officers, supervisors) = staff(&people, ward);
            let mut ctx = Ctx {
                rng: &mut rng,
                people: &people,
                ward,
                midnight,
                age_days,
                officers: &officers,
                supervisors: &supervisors,
            };
            // Neighborhood reports from every group.
            for group in 1..=GROUPS {
                let mean = 0.07 * (0.6 + 0.4 * trend(since));
                for _ in 0..ctx.rng.poisson(mean * 1.0) {
                    records.push(ctx.report(group, date, since));
                }
            }
            if working {
                for officer in &officers {
                    if ctx.rng.chance(0.55) {
                        records.push(ctx.field_visit(officer, date));
                    }
                    if ctx.rng.chance(0.3 * season("newcomers", date.month)) {
                        records.push(ctx.residence_check(officer, date));
                    }
                    if ctx.rng.chance(0.12 * season("fire", date.month)) {
                        records.push(ctx.fire_check(officer, date));
                    }
                }
            }
            // Each person under management is visited on a day of the month of their own,
            // now and then a month is missed.
            for (k, m) in managed_here.iter().enumerate() {
                if date.day == (k as u32 * 3 + 2) && !ctx.rng.chance(0.12) {
                    let officer = officers[k % officers.len()].clone();
                    records.push(ctx.managed_visit(&officer, m, date));
                }
            }
        }
    }
    records.sort_by(|a, b| a.filed_at.cmp(&b.filed_at).then(a.id.cmp(&b.id)));
    History { people, records }
}

struct Ctx<'a> {
    rng: &'a mut Rng,
    people: &'a [Person],
    ward: usize,
    midnight: i64,
    /// Days from this day to the end of the history.
    age_days: i64,
    officers: &'a [String],
    supervisors: &'a [String],
}

impl Ctx<'_> {
    /// A moment of the day between `from` and `to` o'clock (ward time).
    fn at(&mut self, from: i64, to: i64) -> i64 {
        self.midnight + self.rng.range(from * 60, to * 60 - 1) * 60_000
    }

    fn record(
        &mut self,
        form: &'static str,
        group: u32,
        author: String,
        filed_at: i64,
        data: Map<String, Value>,
    ) -> Generated {
        // Officers out of signal send later; most records arrive within minutes.
        let delay = if self.rng.chance(0.15) {
            self.rng.range(30, 600) * 60_000
        } else {
            self.rng.range(1, 20) * 60_000
        };
        Generated {
            id: uuid_v7(self.rng, filed_at),
            form,
            ward: self.ward,
            group,
            author,
            filed_at,
            received_at: filed_at + delay,
            data,
            reviews: Vec::new(),
            status: RecordStatus::Received,
            note: None,
            photos: Vec::new(),
            conflict: None,
        }
    }

    fn reviewer(&mut self, author: &str) -> String {
        let pool: Vec<&String> = self
            .supervisors
            .iter()
            .chain(self.officers.iter())
            .filter(|u| u.as_str() != author)
            .collect();
        (*self.rng.pick(&pool)).clone()
    }

    /// An officer's record: approved within a few days once it is a week old, sometimes
    /// returned first for a correction (and corrected), now and then still returned.
    fn review_police_record(&mut self, r: &mut Generated) {
        if self.age_days > 7 {
            let reviewer = self.reviewer(&r.author);
            let at = r.received_at + self.rng.range(2, 72) * 3_600_000;
            r.reviews.push(Review {
                action: ReviewAction::Approve,
                from: RecordStatus::Received,
                to: RecordStatus::Approved,
                at,
                reviewer,
                comment: None,
            });
            r.status = RecordStatus::Approved;
        } else if self.rng.chance(0.15) {
            let reviewer = self.reviewer(&r.author);
            let note = self
                .rng
                .pick(&[
                    "Bổ sung số CCCD của chủ hộ.",
                    "Ghi rõ địa chỉ (số nhà, ngõ).",
                    "Chụp thêm ảnh hiện trường.",
                    "Kiểm tra lại số người có mặt.",
                ])
                .to_string();
            r.reviews.push(Review {
                action: ReviewAction::Return,
                from: RecordStatus::Received,
                to: RecordStatus::Returned,
                at: r.received_at + self.rng.range(1, 20) * 3_600_000,
                reviewer,
                comment: Some(note.clone()),
            });
            r.status = RecordStatus::Returned;
            r.note = Some(note);
        }
    }

    fn report(&mut self, group: u32, date: Date, since: i64) -> Generated {
        let month = date.month;
        let t = trend(since);
        let category = *self.rng.weighted(&[
            ("theft", 2.2 * t),
            ("disturbance", 1.2 * t * season("disorder", month)),
            ("drugs", 0.6 * t),
            ("fire_risk", 1.0 * season("fire", month)),
            ("fire_explosion", 0.05 * season("fire", month)),
            ("traffic_accident", 0.35 * season("traffic", month)),
            ("illegal_racing", 0.08 * t * season("disorder", month)),
            ("new_residents", 1.2 * season("newcomers", month)),
            ("encroachment", 1.4),
            ("noise", 1.0 * season("disorder", month)),
            ("other", 0.6),
        ]);
        // Evenings and nights for fights, noise and racing; daytime for the rest.
        let occurred = if matches!(category, "disturbance" | "noise" | "illegal_racing") {
            self.at(18, 24)
        } else {
            self.at(6, 22)
        };
        let filed_at = occurred + self.rng.range(10, 180) * 60_000;
        let urgency = match category {
            "fire_explosion" | "traffic_accident" | "illegal_racing" => {
                *self.rng.weighted(&[("urgent", 2.0), ("emergency", 1.0)])
            }
            _ => *self
                .rng
                .weighted(&[("normal", 7.0), ("urgent", 2.5), ("emergency", 0.3)]),
        };
        let description = match category {
            "theft" => self.rng.pick(&[
                "Mất trộm xe máy để trước cửa nhà trong đêm.",
                "Kẻ gian cắt khóa, lấy trộm bình ga và nồi cơm điện.",
                "Mất điện thoại khi để trên bàn quán nước.",
                "Trộm đột nhập phòng trọ, lấy tiền và laptop.",
            ]),
            "disturbance" => self.rng.pick(&[
                "Một nhóm thanh niên uống rượu, cãi nhau, xô xát ở đầu ngõ.",
                "Hai gia đình to tiếng, ném đồ đạc vì tranh chấp lối đi.",
                "Say rượu gây rối tại quán karaoke.",
            ]),
            "drugs" => self.rng.pick(&[
                "Nghi có người tụ tập sử dụng ma túy ở bãi đất trống cuối ngõ.",
                "Phát hiện bơm kim tiêm vứt ở gốc cây cạnh nhà văn hóa.",
            ]),
            "fire_risk" => self.rng.pick(&[
                "Dây điện câu móc chằng chịt trước nhà trọ, có tia lửa khi mưa.",
                "Hộ kinh doanh để nhiều can xăng trong nhà.",
                "Xe điện sạc qua đêm ở lối thoát nạn của chung cư mini.",
                "Đốt vàng mã cạnh đống rác, gió to.",
            ]),
            "fire_explosion" => self.rng.pick(&[
                "Cháy tủ điện tầng 1 nhà dân, đã dập được bằng bình chữa cháy.",
                "Nổ bình ga mini tại quán lẩu, một người bị bỏng nhẹ.",
            ]),
            "traffic_accident" => self.rng.pick(&[
                "Va chạm giữa hai xe máy ở ngã ba, một người bị xây xát.",
                "Ô tô lùi va vào xe máy đỗ bên đường.",
                "Xe máy trượt ngã do đường trơn sau mưa.",
            ]),
            "illegal_racing" => self.rng.pick(&[
                "Nhóm thanh niên tụ tập, rú ga, lạng lách trên đường ven hồ lúc nửa đêm.",
                "Khoảng 10 xe máy chạy tốc độ cao, bốc đầu trên đường Âu Cơ.",
            ]),
            "new_residents" => self.rng.pick(&[
                "Có 4 sinh viên mới thuê trọ, chưa khai báo tạm trú.",
                "Một gia đình mới chuyển đến, chủ nhà chưa báo.",
            ]),
            "encroachment" => self.rng.pick(&[
                "Quán nước lấn chiếm vỉa hè, người đi bộ phải xuống lòng đường.",
                "Đổ phế thải xây dựng ra đầu ngõ.",
            ]),
            "noise" => self.rng.pick(&[
                "Hát karaoke to sau 22 giờ.",
                "Công trình thi công ban đêm gây ồn.",
            ]),
            _ => self.rng.pick(&[
                "Chó thả rông không rọ mõm.",
                "Đèn chiếu sáng ngõ bị hỏng nhiều ngày.",
            ]),
        }
        .to_string();
        let mut data = Map::new();
        data.insert("category".into(), json!(category));
        data.insert("urgency".into(), json!(urgency));
        if matches!(
            category,
            "theft" | "disturbance" | "drugs" | "fire_explosion" | "traffic_accident"
        ) {
            // Serious cases are rare, and rarer as the ward improves.
            let p = match category {
                "traffic_accident" => 0.06,
                "fire_explosion" => 0.15,
                _ => 0.012 * trend(since),
            };
            data.insert("serious".into(), json!(self.rng.chance(p)));
        }
        data.insert(
            "occurred_at".into(),
            json!(LocalTime::at(occurred).iso_hm()),
        );
        data.insert("location".into(), json!(address(self.rng, self.ward)));
        if self.rng.chance(0.5) {
            data.insert("position".into(), gps(self.rng, self.ward, filed_at));
        }
        data.insert("description".into(), json!(description));
        if self.rng.chance(0.6) {
            data.insert("people_involved".into(), json!(self.rng.range(0, 6)));
        }
        let mut photos = Vec::new();
        if self.rng.chance(0.12) {
            let i = self.rng.below(PHOTOS.len() as u64) as usize;
            photos.push(i);
            data.insert("photos".into(), json!([photo_ref(i)]));
        }
        if self.rng.chance(0.3) {
            data.insert("reporter_phone".into(), json!(phone(self.rng)));
        }
        let author = leader_of(self.people, self.ward, group);
        let mut r = self.record("neighborhood_report", group, author, filed_at, data);
        r.photos = photos;
        // Taken up within hours (urgent ones within minutes) and resolved within days; the
        // last few days' reports are still waiting or being dealt with.
        let pick_up = match urgency {
            "emergency" => self.rng.range(5, 30) * 60_000,
            "urgent" => self.rng.range(20, 240) * 60_000,
            _ => self.rng.range(60, 36 * 60) * 60_000,
        };
        let resolve_after = self.rng.range(2, 7 * 24) * 3_600_000;
        let reviewer = self.reviewer(&r.author);
        if self.age_days > 1 || self.rng.chance(0.3) {
            r.reviews.push(Review {
                action: ReviewAction::StartHandling,
                from: RecordStatus::Received,
                to: RecordStatus::InProgress,
                at: r.received_at + pick_up,
                reviewer: reviewer.clone(),
                comment: None,
            });
            r.status = RecordStatus::InProgress;
            if (self.age_days * DAY_MS) > pick_up + resolve_after + 2 * DAY_MS {
                let reply = self
                    .rng
                    .pick(&[
                        "Công an phường đã xác minh, lập biên bản và xử lý theo quy định.",
                        "Đã đến hiện trường, nhắc nhở các hộ liên quan; sẽ tiếp tục theo dõi.",
                        "Đã phối hợp với tổ dân phố giải quyết xong.",
                        "Đã chuyển cơ quan chức năng xử lý; cảm ơn bác đã báo tin.",
                    ])
                    .to_string();
                r.reviews.push(Review {
                    action: ReviewAction::Resolve,
                    from: RecordStatus::InProgress,
                    to: RecordStatus::Resolved,
                    at: r.received_at + pick_up + resolve_after,
                    reviewer,
                    comment: Some(reply),
                });
                r.status = RecordStatus::Resolved;
            }
        }
        r
    }

    fn field_visit(&mut self, officer: &str, date: Date) -> Generated {
        let _ = date;
        let started = self.at(8, 17);
        let kind = *self.rng.weighted(&[
            ("patrol", 4.0),
            ("awareness", 1.0),
            ("verification", 2.0),
            ("mediation", 1.0),
            ("business_visit", 1.0),
            ("other", 0.3),
        ]);
        let mut data = Map::new();
        data.insert("visit_type".into(), json!(kind));
        data.insert("started_at".into(), json!(LocalTime::at(started).iso_hm()));
        data.insert("duration_minutes".into(), json!(self.rng.range(20, 180)));
        data.insert("address".into(), json!(address(self.rng, self.ward)));
        if self.rng.chance(0.7) {
            data.insert("position".into(), gps(self.rng, self.ward, started));
        }
        if kind == "awareness" {
            data.insert(
                "topic".into(),
                json!(self.rng.pick(&[
                    "Phòng cháy chữa cháy trong nhà ở kết hợp kinh doanh",
                    "Phòng chống lừa đảo qua mạng",
                    "Phòng chống ma túy trong thanh thiếu niên",
                    "Đăng ký cư trú, tạm trú",
                ])),
            );
            data.insert("attendees".into(), json!(self.rng.range(15, 120)));
        }
        if self.rng.chance(0.4) {
            let rows: Vec<Value> = (0..self.rng.range(1, 3))
                .map(|_| {
                    json!({
                        "name": full_name(self.rng),
                        "role": *self.rng.pick(&["resident", "business_owner", "group_leader", "involved_person"]),
                    })
                })
                .collect();
            data.insert("people_met".into(), Value::Array(rows));
        }
        let issues = self.rng.chance(0.3);
        data.insert(
            "findings".into(),
            json!(if issues {
                "Phát hiện một số tồn tại, đã nhắc nhở và hướng dẫn khắc phục."
            } else {
                "Tình hình an ninh trật tự ổn định, không phát hiện vi phạm."
            }),
        );
        data.insert("issues_found".into(), json!(issues));
        if issues {
            let kinds = [
                "drugs",
                "gambling",
                "disturbance",
                "fire_risk",
                "residence",
                "traffic",
                "environment",
            ];
            let first = *self.rng.pick(&kinds);
            let mut chosen = vec![first];
            if self.rng.chance(0.3) {
                let second = *self.rng.pick(&kinds);
                if second != first {
                    chosen.push(second);
                }
            }
            data.insert("issue_kinds".into(), json!(chosen));
        }
        let follow = issues && self.rng.chance(0.5);
        data.insert("follow_up_needed".into(), json!(follow));
        if follow {
            data.insert(
                "follow_up".into(),
                json!("Kiểm tra lại việc khắc phục sau một tuần."),
            );
            let due =
                Date::from_days_since_epoch(LocalTime::at(started).date.days_since_epoch() + 7);
            data.insert("follow_up_due".into(), json!(due.iso()));
        }
        let mut photos = Vec::new();
        if self.rng.chance(0.1) {
            let i = self.rng.below(PHOTOS.len() as u64) as usize;
            photos.push(i);
            data.insert("photos".into(), json!([photo_ref(i)]));
        }
        data.insert("officer".into(), json!(display_name(self.people, officer)));
        let group = self.rng.range(1, GROUPS as i64) as u32;
        let filed = started + self.rng.range(30, 240) * 60_000;
        let mut r = self.record("field_visit", group, officer.to_owned(), filed, data);
        r.photos = photos;
        self.review_police_record(&mut r);
        r
    }

    fn residence_check(&mut self, officer: &str, date: Date) -> Generated {
        let _ = date;
        let checked = self.at(8, 20);
        let housing = *self.rng.weighted(&[
            ("own_home", 3.0),
            ("rented_home", 2.0),
            ("boarding_house", 2.0),
            ("other", 0.3),
        ]);
        let mut data = Map::new();
        data.insert("checked_at".into(), json!(LocalTime::at(checked).iso_hm()));
        data.insert("address".into(), json!(address(self.rng, self.ward)));
        if self.rng.chance(0.6) {
            data.insert("position".into(), gps(self.rng, self.ward, checked));
        }
        data.insert("housing".into(), json!(housing));
        if matches!(housing, "rented_home" | "boarding_house") {
            data.insert("landlord_name".into(), json!(full_name(self.rng)));
            if self.rng.chance(0.7) {
                data.insert("landlord_phone".into(), json!(phone(self.rng)));
            }
        }
        data.insert("household_head".into(), json!(full_name(self.rng)));
        if self.rng.chance(0.6) {
            data.insert("head_id".into(), json!(citizen_id(self.rng)));
        }
        let registered = self.rng.range(1, 6);
        let present = (registered + self.rng.range(-1, 2)).max(0);
        data.insert("registered_count".into(), json!(registered));
        data.insert("present_count".into(), json!(present));
        let unregistered =
            matches!(housing, "rented_home" | "boarding_house") && self.rng.chance(0.25);
        let rows: Vec<Value> = (0..present.min(4))
            .map(|k| {
                let status = if unregistered && k == 0 {
                    "not_registered"
                } else {
                    *self
                        .rng
                        .weighted(&[("permanent", 3.0), ("temporary", 2.0), ("away", 0.3)])
                };
                json!({
                    "full_name": full_name(self.rng),
                    "birth_year": self.rng.range(1950, 2018),
                    "status": status,
                })
            })
            .collect();
        if !rows.is_empty() {
            data.insert("people".into(), Value::Array(rows));
        }
        data.insert("unregistered_found".into(), json!(unregistered));
        if unregistered {
            let action =
                *self
                    .rng
                    .weighted(&[("guided", 2.0), ("deadline", 2.0), ("record_made", 0.5)]);
            data.insert("action".into(), json!(action));
            if action == "deadline" {
                let by = Date::from_days_since_epoch(
                    LocalTime::at(checked).date.days_since_epoch() + 15,
                );
                data.insert("register_by".into(), json!(by.iso()));
            }
        }
        data.insert("officer".into(), json!(display_name(self.people, officer)));
        let group = self.rng.range(1, GROUPS as i64) as u32;
        let filed = checked + self.rng.range(10, 90) * 60_000;
        let mut r = self.record("residence_check", group, officer.to_owned(), filed, data);
        self.review_police_record(&mut r);
        r
    }

    fn fire_check(&mut self, officer: &str, date: Date) -> Generated {
        let _ = date;
        let checked = self.at(8, 17);
        let premises = *self.rng.weighted(&[
            ("mini_apartment", 2.0),
            ("boarding_house", 2.0),
            ("business_household", 3.0),
            ("karaoke_bar", 0.7),
            ("restaurant", 1.5),
            ("warehouse", 0.5),
        ]);
        let name = match premises {
            "mini_apartment" => format!("Chung cư mini số {}", self.rng.range(1, 60)),
            "boarding_house" => format!("Nhà trọ {}", full_name(self.rng)),
            "karaoke_bar" => format!(
                "Karaoke {}",
                self.rng.pick(&["Hoa Sen", "Ánh Dương", "Sao Mai"])
            ),
            "restaurant" => format!(
                "Quán {}",
                self.rng
                    .pick(&["Lẩu Nấm", "Phở Tây Hồ", "Bánh Tôm", "Ốc Hồ Tây"])
            ),
            "warehouse" => "Kho hàng tạp hóa".to_owned(),
            _ => format!("Hộ kinh doanh {}", full_name(self.rng)),
        };
        let mut data = Map::new();
        data.insert("checked_at".into(), json!(LocalTime::at(checked).iso_hm()));
        data.insert("premises_type".into(), json!(premises));
        data.insert("premises_name".into(), json!(name));
        data.insert("address".into(), json!(address(self.rng, self.ward)));
        if self.rng.chance(0.6) {
            let mut fix = gps(self.rng, self.ward, checked);
            fix["accuracy_m"] = json!(self.rng.range(4, 25) as f64);
            data.insert("position".into(), fix);
        }
        data.insert("owner_name".into(), json!(full_name(self.rng)));
        if self.rng.chance(0.5) {
            data.insert("owner_id".into(), json!(citizen_id(self.rng)));
        }
        if self.rng.chance(0.6) {
            data.insert("owner_phone".into(), json!(phone(self.rng)));
        }
        data.insert("floors".into(), json!(self.rng.range(2, 9)));
        if matches!(premises, "mini_apartment" | "boarding_house") {
            data.insert("units".into(), json!(self.rng.range(6, 40)));
        }
        data.insert("occupants".into(), json!(self.rng.range(3, 90)));
        let has_ext = self.rng.chance(0.85);
        data.insert("has_extinguishers".into(), json!(has_ext));
        if has_ext {
            data.insert("extinguishers_count".into(), json!(self.rng.range(1, 12)));
            data.insert("extinguishers_in_date".into(), json!(self.rng.chance(0.8)));
        }
        let checks = [
            ("has_alarm", 0.6),
            ("second_exit", 0.55),
            ("exits_clear", 0.8),
            ("no_sealed_cages", 0.85),
            ("wiring_safe", 0.8),
            ("parking_separated", 0.6),
            ("fire_plan", 0.65),
        ];
        let mut failed = Vec::new();
        for (key, p) in checks {
            let ok = self.rng.chance(p);
            data.insert(key.into(), json!(ok));
            if !ok {
                failed.push(key);
            }
        }
        if !has_ext {
            failed.push("no_extinguisher");
        }
        let violations: Vec<Value> = failed
            .iter()
            .take(4)
            .map(|key| {
                let (kind, text) = match *key {
                    "has_alarm" => ("no_alarm", "Chưa lắp hệ thống báo cháy."),
                    "second_exit" => ("no_second_exit", "Chỉ có một lối thoát nạn."),
                    "exits_clear" => ("blocked_exit", "Lối thoát nạn bị chắn bởi xe máy."),
                    "no_sealed_cages" => ("sealed_cage", "Ban công bịt kín bằng lồng sắt."),
                    "wiring_safe" => ("unsafe_wiring", "Dây điện không đi trong ống, nhiều mối nối."),
                    "parking_separated" => ("parking_hazard", "Sạc xe điện cạnh lối đi chung."),
                    "fire_plan" => ("no_fire_plan", "Chưa có phương án chữa cháy được duyệt."),
                    _ => ("no_extinguisher", "Không có bình chữa cháy."),
                };
                json!({
                    "kind": kind,
                    "description": text,
                    "severity": *self.rng.weighted(&[("minor", 3.0), ("serious", 1.5), ("very_serious", 0.3)]),
                })
            })
            .collect();
        data.insert("violations_found".into(), json!(!violations.is_empty()));
        let action = if violations.is_empty() {
            *self.rng.weighted(&[("none", 3.0), ("reminded", 1.0)])
        } else {
            *self.rng.weighted(&[
                ("reminded", 2.0),
                ("fix_request", 3.0),
                ("record_made", 1.0),
                ("suspension_proposed", 0.15),
            ])
        };
        if !violations.is_empty() {
            data.insert("violations".into(), Value::Array(violations));
        }
        data.insert("action".into(), json!(action));
        if matches!(
            action,
            "fix_request" | "record_made" | "suspension_proposed"
        ) {
            let on =
                Date::from_days_since_epoch(LocalTime::at(checked).date.days_since_epoch() + 30);
            data.insert("recheck_on".into(), json!(on.iso()));
        }
        let mut photos = Vec::new();
        if self.rng.chance(0.2) {
            let i = self.rng.below(PHOTOS.len() as u64) as usize;
            photos.push(i);
            data.insert("photos".into(), json!([photo_ref(i)]));
        }
        data.insert(
            "inspector".into(),
            json!(display_name(self.people, officer)),
        );
        let group = self.rng.range(1, GROUPS as i64) as u32;
        let filed = checked + self.rng.range(20, 120) * 60_000;
        let mut r = self.record("fire_safety_check", group, officer.to_owned(), filed, data);
        r.photos = photos;
        self.review_police_record(&mut r);
        // Now and then the inspector's phone sent a second, different copy under the same id
        // (edited after an interrupted sync): kept for a reviewer.
        if self.rng.chance(0.01) {
            let mut copy = r.data.clone();
            copy.insert(
                "notes".into(),
                json!("Bản sửa: chủ cơ sở cam kết khắc phục trong 7 ngày."),
            );
            r.conflict = Some(copy);
        }
        r
    }

    fn managed_visit(&mut self, officer: &str, m: &Managed, date: Date) -> Generated {
        let visited = self.at(8, 19);
        let met = self.rng.chance(0.85);
        let mut data = Map::new();
        data.insert("visited_at".into(), json!(LocalTime::at(visited).iso_hm()));
        data.insert("person_name".into(), json!(m.name));
        data.insert("person_id".into(), json!(m.id));
        data.insert("category".into(), json!(m.category));
        data.insert("address".into(), json!(m.address));
        data.insert("met_in_person".into(), json!(met));
        if met {
            let situation = *self.rng.pick(&[
                "stable_job",
                "looking_for_job",
                "family_support",
                "health_problem",
            ]);
            data.insert("situation".into(), json!([situation]));
            if matches!(m.category, "drug_user" | "after_rehab") {
                let tested = self.rng.chance(0.6);
                data.insert("drug_test_done".into(), json!(tested));
                if tested {
                    let positive = self.rng.chance(if m.risk == "high" { 0.25 } else { 0.05 });
                    data.insert(
                        "drug_test_result".into(),
                        json!(if positive { "positive" } else { "negative" }),
                    );
                }
            }
        } else {
            data.insert(
                "absence_reason".into(),
                json!(self.rng.pick(&["Đi làm xa", "Về quê", "Đi viện"])),
            );
        }
        data.insert("risk_level".into(), json!(m.risk));
        data.insert(
            "notes".into(),
            json!(if met {
                "Đã gặp, trao đổi, nhắc nhở chấp hành quy định."
            } else {
                "Không gặp; đã làm việc với gia đình."
            }),
        );
        let next = Date::from_days_since_epoch(date.days_since_epoch() + 30);
        data.insert("next_visit".into(), json!(next.iso()));
        data.insert("officer".into(), json!(display_name(self.people, officer)));
        let filed = visited + self.rng.range(10, 60) * 60_000;
        let mut r = self.record(
            "managed_person_visit",
            m.group,
            officer.to_owned(),
            filed,
            data,
        );
        self.review_police_record(&mut r);
        r
    }
}

/// What [`load`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub records: usize,
    pub people: usize,
}

const MARKER: &str = "demo_history";

/// Writes the history up to yesterday (ward time) in one transaction, once: a database that
/// has it already is left alone. The demo accounts are loaded first.
pub async fn load(db: &Db, photos: &PhotoStore, now: i64) -> anyhow::Result<Option<Loaded>> {
    let done: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
        .bind(MARKER)
        .fetch_optional(&db.pool)
        .await?;
    if done.is_some() {
        return Ok(None);
    }
    super::load(db).await?;
    let today = LocalTime::at(now).date;
    let history = generate(today);
    for bytes in PHOTOS {
        let sha = hex::encode(Sha256::digest(bytes));
        photos.put_photo(&sha, bytes.to_vec()).await?;
    }
    let mut tx = db.writer.begin().await?;
    write_first(&mut tx).await?;
    let start = START.start_ms();

    // Former wards and their groups (the demo accounts' four, and more).
    let mut old_wards = Vec::new();
    let mut group_ids: HashMap<(usize, u32), i64> = HashMap::new();
    for (w, name) in super::WARDS.iter().enumerate() {
        let id: i64 =
            sqlx::query_scalar("SELECT id FROM wards WHERE name = $1 AND city = 'Hà Nội'")
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
        old_wards.push(id);
        for n in 1..=GROUPS {
            let group_name = format!("Tổ dân phố số {n}");
            sqlx::query(
                "INSERT INTO residential_groups (ward_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(&group_name)
            .execute(&mut *tx)
            .await?;
            let gid: i64 = sqlx::query_scalar(
                "SELECT id FROM residential_groups WHERE ward_id = $1 AND name = $2",
            )
            .bind(id)
            .bind(&group_name)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO group_places (group_id, ward_id, since, applied_at) VALUES ($1, $2, 0, 0) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(gid)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            group_ids.insert((w, n), gid);
        }
    }

    // People: one hash for all (they share the demo password), accounts made at the start.
    let hash = crate::auth::hash_password(super::PASSWORD)?;
    for p in &history.people {
        sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, role, ward_id, group_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING",
        )
        .bind(&p.username)
        .bind(&p.name)
        .bind(&hash)
        .bind(p.role)
        .bind(old_wards[p.ward])
        .bind(p.group.map(|n| group_ids[&(p.ward, n)]))
        .bind(start)
        .execute(&mut *tx)
        .await?;
    }
    for username in super::ACCOUNTS
        .iter()
        .map(|a| a.0)
        .chain(history.people.iter().map(|p| p.username.as_str()))
    {
        sqlx::query("UPDATE users SET created_at = $1 WHERE username = $2 AND created_at > $1")
            .bind(start)
            .bind(username)
            .execute(&mut *tx)
            .await?;
    }
    let users: HashMap<String, i64> = sqlx::query("SELECT username, id FROM users")
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let user = |name: &str| -> anyhow::Result<i64> {
        users
            .get(name)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("no demo user {name}"))
    };

    let reform = REFORM.start_ms();
    let (before, after): (Vec<&Generated>, Vec<&Generated>) =
        history.records.iter().partition(|r| r.filed_at < reform);
    for r in &before {
        let ward = old_wards[r.ward];
        insert(&mut tx, r, group_ids[&(r.ward, r.group)], ward, ward, &user).await?;
    }

    // The reform, entered on its first morning as an administrator would.
    let mut new_wards = Vec::new();
    if today > REFORM {
        for name in NEW_WARDS {
            let view = crate::people::create_ward_in(
                &mut tx,
                None,
                WardInput {
                    name: name.to_owned(),
                    kind: WardKind::Ward,
                    district: String::new(),
                    city: "Hà Nội".to_owned(),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            new_wards.push(view.id);
        }
        let moves = group_ids
            .iter()
            .map(|(&(w, n), &gid)| GroupMove {
                group_id: gid,
                ward_id: new_wards[new_ward_of(w, n)],
            })
            .collect();
        let close = (0..super::WARDS.len())
            .map(|w| WardClosure {
                ward_id: old_wards[w],
                // Nhật Tân's and Quảng An's staff to Tây Hồ, Xuân La's to Phú Thượng.
                staff_to: Some(new_wards[usize::from(super::WARDS[w] == "Xuân La")]),
            })
            .collect();
        let input = ReorganisationInput {
            effective: REFORM.dmy(),
            moves,
            close,
        };
        crate::reorganise::reorganise_in(&mut tx, None, &input, reform + 8 * 3_600_000)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    for r in &after {
        let ward = new_wards[r.new_ward()];
        insert(&mut tx, r, group_ids[&(r.ward, r.group)], ward, ward, &user).await?;
    }

    sqlx::query("INSERT INTO counters (name, value) VALUES ($1, 1)")
        .bind(MARKER)
        .execute(&mut *tx)
        .await?;
    record_audit(
        &mut tx,
        Audit {
            actor: None,
            action: "demo.history",
            entity: "demo",
            entity_id: &today.dmy(),
            ward_id: None,
            before: None,
            after: Some(json!({
                "records": history.records.len(), "people": history.people.len(),
                "from": START.dmy(), "until": today.dmy(),
            })),
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Loaded {
        records: history.records.len(),
        people: history.people.len(),
    }))
}

/// The built-in forms, which the demo's records are filed in.
static BUILTIN: std::sync::LazyLock<Vec<domain::form::FormDef>> =
    std::sync::LazyLock::new(domain::form::FormDef::builtin);

async fn insert(
    tx: &mut sqlx::AnyConnection,
    r: &Generated,
    group: i64,
    ward: i64,
    filed_ward: i64,
    user: &impl Fn(&str) -> anyhow::Result<i64>,
) -> anyhow::Result<()> {
    let seq = next_seq(tx, 1).await?;
    let id = r.id.to_string();
    let author = user(&r.author)?;
    let data = serde_json::to_string(&r.data)?;
    let hash = content_hash(r.form, group, &r.data);
    let updated = r.reviews.last().map_or(r.received_at, |v| v.at);
    let facets = domain::indicators::facets(r.form, &r.data);
    sqlx::query(
        "INSERT INTO records (id, form_key, form_version, ward_id, filed_ward_id, group_id, author_id, data, \
         content_hash, status, status_note, client_created_at, received_at, updated_at, seq, search_text, urgency, \
         category, serious, subject, filed_at) \
         VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&id)
    .bind(r.form)
    .bind(ward)
    .bind(filed_ward)
    .bind(group)
    .bind(author)
    .bind(&data)
    .bind(&hash)
    .bind(r.status.as_str())
    .bind(r.note.as_deref())
    .bind(rfc3339(r.filed_at))
    .bind(r.received_at)
    .bind(updated)
    .bind(seq)
    .bind(domain::fold::search_text(
        BUILTIN.iter().find(|f| f.key == r.form),
        &r.data,
    ))
    .bind(domain::fold::urgency(&r.data))
    .bind(&facets.category)
    .bind(i64::from(facets.serious))
    .bind(&facets.subject)
    .bind(r.filed_at)
    .execute(&mut *tx)
    .await?;
    for v in &r.reviews {
        sqlx::query(
            "INSERT INTO record_reviews (record_id, action, from_status, to_status, comment, reviewer_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(v.action.as_str())
        .bind(v.from.as_str())
        .bind(v.to.as_str())
        .bind(v.comment.as_deref())
        .bind(user(&v.reviewer)?)
        .bind(v.at)
        .execute(&mut *tx)
        .await?;
    }
    for &i in &r.photos {
        let sha = hex::encode(Sha256::digest(PHOTOS[i]));
        sqlx::query(
            "INSERT INTO photos (sha256, content_type, bytes, uploaded_by, uploaded_at) \
             VALUES ($1, 'image/jpeg', $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&sha)
        .bind(PHOTOS[i].len() as i64)
        .bind(author)
        .bind(r.received_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO photo_owners (sha256, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&sha)
        .bind(author)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO record_photos (record_id, sha256, current) VALUES ($1, $2, 1) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(&sha)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(copy) = &r.conflict {
        let copy_hash = content_hash(r.form, group, copy);
        sqlx::query(
            "INSERT INTO record_conflicts (record_id, author_id, data, content_hash, received_at, group_id, form_version) \
             VALUES ($1, $2, $3, $4, $5, $6, 1) ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(author)
        .bind(serde_json::to_string(copy)?)
        .bind(&copy_hash)
        .bind(r.received_at + 3_600_000)
        .bind(group)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The hash a phone's push of this content would carry.
fn content_hash(form: &str, group: i64, data: &Map<String, Value>) -> String {
    domain::record::RecordEnvelope {
        id: Uuid::nil(),
        form_key: form.to_owned(),
        form_version: 1,
        group_id: group,
        created_at: String::new(),
        data: data.clone(),
        revision: None,
    }
    .content_hash()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::form::FormDef;

    fn until() -> Date {
        Date::new(2026, 12, 5).unwrap()
    }

    #[test]
    fn the_same_day_gives_the_same_history() {
        let (a, b) = (generate(until()), generate(until()));
        assert_eq!(a.people, b.people);
        assert_eq!(a.records, b.records);
    }

    #[test]
    fn every_generated_record_is_valid_on_its_built_in_form() {
        let forms: HashMap<String, FormDef> = FormDef::builtin()
            .into_iter()
            .map(|f| (f.key.clone(), f))
            .collect();
        let history = generate(until());
        for r in &history.records {
            let errors = domain::validate::validate(&forms[r.form], &r.data, domain::Lang::En);
            assert!(
                errors.is_empty(),
                "{} {}: {errors:?}",
                r.form,
                Value::Object(r.data.clone())
            );
            if let Some(copy) = &r.conflict {
                assert!(
                    domain::validate::validate(&forms[r.form], copy, domain::Lang::En).is_empty()
                );
            }
        }
    }

    #[test]
    fn the_history_is_lived_in_two_years_of_every_form_with_reviews_returns_conflicts_and_photos() {
        let history = generate(until());
        let n = history.records.len();
        assert!((5_000..30_000).contains(&n), "{n} records");
        for form in FormDef::builtin() {
            let count = history
                .records
                .iter()
                .filter(|r| r.form == form.key)
                .count();
            assert!(count >= 100, "{}: {count}", form.key);
        }
        let reform = REFORM.start_ms();
        assert!(history.records.iter().any(|r| r.filed_at < reform));
        assert!(history.records.iter().any(|r| r.filed_at >= reform));
        assert!(history.records.first().unwrap().filed_at >= START.start_ms());
        assert!(history.records.last().unwrap().filed_at < until().start_ms() + DAY_MS);
        let count = |s: RecordStatus| history.records.iter().filter(|r| r.status == s).count();
        assert!(count(RecordStatus::Approved) > n / 2);
        assert!(count(RecordStatus::Resolved) > 500);
        assert!(count(RecordStatus::Returned) >= 3);
        assert!(
            count(RecordStatus::Received) >= 10,
            "the queue has work waiting"
        );
        assert!(
            history
                .records
                .iter()
                .filter(|r| r.conflict.is_some())
                .count()
                >= 2
        );
        assert!(
            history
                .records
                .iter()
                .filter(|r| !r.photos.is_empty())
                .count()
                > 100
        );
        // A record's state is where its reviews took it, each from the state before, never by
        // its own author, after it arrived.
        for r in &history.records {
            let mut state = RecordStatus::Received;
            let mut at = r.received_at;
            for v in &r.reviews {
                assert_eq!(v.from, state, "{r:?}");
                assert!(v.at > at && v.reviewer != r.author, "{r:?}");
                state = v.to;
                at = v.at;
            }
            assert_eq!(state, r.status);
            assert!(r.received_at > r.filed_at);
        }
        // Usernames are unique and every author and reviewer is somebody.
        let mut names: Vec<&str> = history
            .people
            .iter()
            .map(|p| p.username.as_str())
            .chain(super::super::ACCOUNTS.iter().map(|a| a.0))
            .collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
        for r in &history.records {
            assert!(names.contains(&r.author.as_str()), "{}", r.author);
            for v in &r.reviews {
                assert!(names.contains(&v.reviewer.as_str()), "{}", v.reviewer);
            }
        }
    }

    #[test]
    fn the_seasons_show_more_fire_risks_in_the_dry_months_than_in_the_rains() {
        let history = generate(until());
        let fire_risks = |months: &[u32]| {
            history
                .records
                .iter()
                .filter(|r| r.form == "neighborhood_report" && r.data["category"] == "fire_risk")
                .filter(|r| months.contains(&LocalTime::at(r.filed_at).date.month))
                .count()
        };
        assert!(fire_risks(&[12, 1, 2]) > fire_risks(&[6, 7, 8]) * 3 / 2);
    }
}
