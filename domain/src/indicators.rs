//! The "model ward" indicators (Công an phường điển hình, kiểu mẫu về ANTT): what a ward's
//! records add up to, month by month, as supervisors report it to the provincial police.
//!
//! A record's [`Facets`] are read from its data once, when it is stored, and kept beside it, so
//! that a year of a ward's indicators is counted from small columns, never by reading every
//! record's JSON again.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::api::Place;
use crate::Text;

/// What the indicators need of a record, beside its form, group, author and times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// The record's classification, comma-separated when several: a neighborhood report's
    /// category, the issues a field visit found, `violations` for a fire-safety check that found
    /// some, `unregistered` for a residence check that found people not registered, a managed
    /// person's category. Empty when none.
    pub category: String,
    /// A neighborhood report marked serious (someone died or was badly hurt, heavy damage).
    pub serious: bool,
    /// Who a visit to a person under management was about: their citizen ID, or their folded
    /// name when it was not written.
    pub subject: Option<String>,
}

/// The longest classification kept (choice values are short identifiers).
pub const MAX_CATEGORY_BYTES: usize = 64;

/// The facets of a record of `form_key` holding `data`.
pub fn facets(form_key: &str, data: &Map<String, Value>) -> Facets {
    let text = |key: &str| data.get(key).and_then(Value::as_str);
    let yes = |key: &str| data.get(key).and_then(Value::as_bool) == Some(true);
    let category = match form_key {
        crate::form::FIELD_VISIT if yes("issues_found") => data
            .get("issue_kinds")
            .and_then(Value::as_array)
            .map(|kinds| {
                kinds
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
        crate::form::FIELD_VISIT => String::new(),
        crate::form::FIRE_SAFETY_CHECK if yes("violations_found") => "violations".into(),
        crate::form::FIRE_SAFETY_CHECK => String::new(),
        crate::form::RESIDENCE_CHECK if yes("unregistered_found") => "unregistered".into(),
        crate::form::RESIDENCE_CHECK => String::new(),
        // A choice's value; a form the indicators do not know counts for nothing (its
        // "category" could be free text, too long for an index).
        crate::form::NEIGHBORHOOD_REPORT | crate::form::MANAGED_PERSON_VISIT => text("category")
            .filter(|c| c.len() <= MAX_CATEGORY_BYTES)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    let subject = (form_key == crate::form::MANAGED_PERSON_VISIT)
        .then(|| match text("person_id").map(str::trim) {
            Some(id) if !id.is_empty() => Some(format!("id:{id}")),
            _ => text("person_name")
                .map(crate::fold::fold)
                .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|n| !n.is_empty())
                .map(|n| format!("name:{n}")),
        })
        .flatten();
    Facets {
        category,
        serious: yes("serious"),
        subject,
    }
}

/// The programme's zero-indicators: a model ward has none of these in the period.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZeroKind {
    /// Serious crime: a theft, fight or drug case reported as serious.
    SeriousCrime,
    /// A serious fire or explosion.
    SeriousFire,
    /// A serious traffic accident.
    SeriousTrafficAccident,
    /// Illegal street racing, any.
    IllegalRacing,
}

impl ZeroKind {
    pub const ALL: [ZeroKind; 4] = [
        ZeroKind::SeriousCrime,
        ZeroKind::SeriousFire,
        ZeroKind::SeriousTrafficAccident,
        ZeroKind::IllegalRacing,
    ];

    /// The categories of neighborhood report that count against it.
    pub fn categories(self) -> &'static [&'static str] {
        match self {
            ZeroKind::SeriousCrime => &["theft", "disturbance", "drugs"],
            ZeroKind::SeriousFire => &["fire_explosion"],
            ZeroKind::SeriousTrafficAccident => &["traffic_accident"],
            ZeroKind::IllegalRacing => &["illegal_racing"],
        }
    }

    /// Whether only a report marked serious counts against it.
    pub fn serious_only(self) -> bool {
        self != ZeroKind::IllegalRacing
    }

    /// Whether a neighborhood report of `category` (serious or not) counts against it.
    pub fn counts(self, category: &str, serious: bool) -> bool {
        (serious || !self.serious_only()) && self.categories().contains(&category)
    }

    pub fn label(self) -> Text {
        match self {
            ZeroKind::SeriousCrime => {
                Text::new("Không để xảy ra tội phạm nghiêm trọng", "No serious crime")
            }
            ZeroKind::SeriousFire => Text::new(
                "Không để xảy ra cháy, nổ nghiêm trọng",
                "No serious fire or explosion",
            ),
            ZeroKind::SeriousTrafficAccident => Text::new(
                "Không để xảy ra tai nạn giao thông nghiêm trọng",
                "No serious traffic accident",
            ),
            ZeroKind::IllegalRacing => Text::new(
                "Không để xảy ra đua xe trái phép",
                "No illegal street racing",
            ),
        }
    }
}

/// One category's counts, month by month, and this year to date against the same period of
/// last year.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategorySeries {
    /// The choice's value in the form (`theft`, `drugs`...).
    pub category: String,
    pub label: Text,
    /// January to the report's month of its year.
    pub months: Vec<u32>,
    /// 1 January to the report's last day (or today, in the current month).
    pub year_to_date: u32,
    /// The same days of last year, for the groups of the ward now (wherever they belonged).
    pub last_year_to_date: u32,
}

/// A residential group's counts for the year to date, by category.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupCounts {
    pub group: Place,
    /// (category, count), categories in the order of [`WardIndicators::reports`].
    pub counts: Vec<u32>,
    pub total: u32,
}

/// A zero-indicator, with the records behind a "no".
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZeroIndicator {
    pub kind: ZeroKind,
    pub label: Text,
    /// None in the report's month.
    pub month_clear: bool,
    /// None in the year to date.
    pub year_clear: bool,
    /// The records that break it this year (at most 50, newest first).
    pub records: Vec<Uuid>,
}

/// People under management: who was visited in the month, of those the ward manages (anyone
/// visited in the twelve months before the month's end).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedVisits {
    pub persons: u32,
    pub visited: u32,
}

/// How many police records (visits and checks) an officer filed each week of the month.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficerWeeks {
    pub officer: Place,
    /// One per week that starts (Monday) in the report's month or is cut by its first day.
    pub weeks: Vec<u32>,
    pub total: u32,
}

/// How fast neighborhood reports of the month were dealt with, in minutes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportSpeed {
    pub reports: u32,
    /// From the phone to the server.
    pub received_median: Option<u32>,
    pub received_slowest: Option<u32>,
    /// From arrival to being taken up.
    pub handled_median: Option<u32>,
    pub handled_slowest: Option<u32>,
    /// From arrival to resolved.
    pub resolved_median: Option<u32>,
    pub resolved_slowest: Option<u32>,
    /// Not taken up yet, and taken up but not resolved.
    pub waiting: u32,
    pub in_progress: u32,
}

/// What waits for the ward now, whatever the month.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// Records not looked at yet.
    pub received: u32,
    /// Neighborhood reports being dealt with.
    pub in_progress: u32,
    /// Returned to their authors, not corrected yet.
    pub returned: u32,
    /// Records with a conflicting copy waiting for a reviewer.
    pub conflicts: u32,
}

/// A ward's indicators for a month of a year.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WardIndicators {
    pub ward: Place,
    /// Phường or xã, for its title.
    #[serde(default)]
    pub ward_kind: crate::admin::WardKind,
    pub year: i32,
    pub month: u32,
    /// The periods counted (ms, ward time): the month, the year to date and last year's same
    /// days; `to` is exclusive.
    pub month_from: i64,
    pub month_to: i64,
    pub year_from: i64,
    pub last_year_from: i64,
    pub last_year_to: i64,
    /// Incidents reported by the neighborhoods, by category.
    pub reports: Vec<CategorySeries>,
    /// Issues officers found on field visits, by kind.
    pub visit_issues: Vec<CategorySeries>,
    /// The year to date by residential group (the categories of `reports`).
    pub groups: Vec<GroupCounts>,
    pub zero: Vec<ZeroIndicator>,
    pub managed: ManagedVisits,
    pub officers: Vec<OfficerWeeks>,
    /// The Mondays (ms) of the weeks of `officers`.
    pub weeks: Vec<i64>,
    pub speed: ReportSpeed,
    pub waiting: Waiting,
    /// When these figures were counted (ms): a dashboard asked often is answered from its last
    /// count (see the server's `indicators::ward`).
    #[serde(default)]
    pub counted_at: i64,
}

/// A ward or commune whose indicators the caller may read.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorWard {
    pub id: i64,
    pub name: String,
    /// A xã (commune) rather than a phường (ward).
    pub commune: bool,
    /// Merged or split away from this instant (ms); its earlier months still have indicators.
    pub closed_from: Option<i64>,
}

/// One ward or commune of a province, beside the others.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvinceRow {
    pub ward: IndicatorWard,
    /// Neighborhood reports this year to date, and the same days of last year.
    pub reports: u32,
    pub reports_last_year: u32,
    /// Each zero-indicator: (kind, clear in the month, clear in the year).
    pub zero: Vec<(ZeroKind, bool, bool)>,
    pub managed: ManagedVisits,
    pub waiting: Waiting,
}

/// A province's wards and communes side by side for a month.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvinceIndicators {
    pub province: Place,
    pub year: i32,
    pub month: u32,
    pub month_from: i64,
    pub month_to: i64,
    pub year_from: i64,
    pub last_year_from: i64,
    pub last_year_to: i64,
    /// The wards and communes that exist now, by name (a closed one's groups, with their
    /// records, are in the wards that took them).
    pub wards: Vec<ProvinceRow>,
}

/// The median and the largest of `values` (sorted here).
pub fn median_and_max(values: &mut [u32]) -> (Option<u32>, Option<u32>) {
    values.sort_unstable();
    let n = values.len();
    let median = match n {
        0 => None,
        n if n % 2 == 1 => Some(values[n / 2]),
        n => Some(((u64::from(values[n / 2 - 1]) + u64::from(values[n / 2])) / 2) as u32),
    };
    (median, values.last().copied())
}

/// [`median_and_max`] of values given as (value, how many times) pairs, as a database counts
/// them; the same answers as for the values written out.
pub fn median_and_max_counted(counted: &mut [(u32, u32)]) -> (Option<u32>, Option<u32>) {
    counted.sort_unstable();
    let n: u64 = counted.iter().map(|c| u64::from(c.1)).sum();
    if n == 0 {
        return (None, None);
    }
    // The value at position `k` (0-based) of the values in order.
    let at = |k: u64| {
        let mut seen = 0u64;
        for (v, c) in counted.iter() {
            seen += u64::from(*c);
            if k < seen {
                return *v;
            }
        }
        counted.last().map_or(0, |c| c.0)
    };
    let median = if n % 2 == 1 {
        at(n / 2)
    } else {
        ((u64::from(at(n / 2 - 1)) + u64::from(at(n / 2))) / 2) as u32
    };
    (
        Some(median),
        counted.iter().rev().find(|c| c.1 > 0).map(|c| c.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn facets_name_what_each_form_counts_for() {
        let report = facets(
            "neighborhood_report",
            &data(json!({"category": "traffic_accident", "serious": true})),
        );
        assert_eq!(report.category, "traffic_accident");
        assert!(report.serious);
        let visit = facets(
            "field_visit",
            &data(json!({"issues_found": true, "issue_kinds": ["drugs", "gambling"]})),
        );
        assert_eq!(visit.category, "drugs,gambling");
        // Kinds left from before "no issues" was chosen do not count.
        let none = facets(
            "field_visit",
            &data(json!({"issues_found": false, "issue_kinds": ["drugs"]})),
        );
        assert_eq!(none.category, "");
        assert_eq!(
            facets(
                "fire_safety_check",
                &data(json!({"violations_found": true}))
            )
            .category,
            "violations"
        );
        let by_id = facets(
            "managed_person_visit",
            &data(
                json!({"category": "drug_user", "person_id": "001099012345", "person_name": "Lê Văn Tám"}),
            ),
        );
        assert_eq!(by_id.subject.as_deref(), Some("id:001099012345"));
        assert_eq!(by_id.category, "drug_user");
        let by_name = facets(
            "managed_person_visit",
            &data(json!({"category": "drug_user", "person_name": "  Lê  Văn TÁM "})),
        );
        assert_eq!(by_name.subject.as_deref(), Some("name:le van tam"));
        assert_eq!(
            facets("other_form", &data(json!({"x": 1}))),
            Facets::default()
        );
    }

    #[test]
    fn another_forms_category_or_a_long_one_counts_for_nothing() {
        let free_text = data(json!({"category": "x".repeat(5000)}));
        assert_eq!(facets("other_form", &free_text), Facets::default());
        let long = data(json!({"category": "x".repeat(65)}));
        assert_eq!(facets("neighborhood_report", &long).category, "");
    }

    #[test]
    fn zero_indicators_count_only_what_the_programme_names() {
        use ZeroKind::*;
        assert!(SeriousCrime.counts("theft", true));
        assert!(!SeriousCrime.counts("theft", false));
        assert!(!SeriousCrime.counts("traffic_accident", true));
        assert!(SeriousFire.counts("fire_explosion", true));
        assert!(!SeriousFire.counts("fire_risk", true));
        assert!(SeriousTrafficAccident.counts("traffic_accident", true));
        assert!(IllegalRacing.counts("illegal_racing", false));
    }

    /// The server finds the breaking records through a partial index on `serious = 1 OR
    /// category = 'illegal_racing'` (migration `records_breaking`): no kind may count another.
    #[test]
    fn every_record_a_zero_indicator_counts_is_serious_or_illegal_racing() {
        for kind in ZeroKind::ALL {
            for category in kind.categories() {
                for serious in [false, true] {
                    if kind.counts(category, serious) {
                        assert!(
                            serious || *category == "illegal_racing",
                            "{kind:?} {category}"
                        );
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn counted_values_have_the_median_of_the_values_written_out(
            values in proptest::collection::vec(0u32..500, 0..60)
        ) {
            let mut counted: std::collections::BTreeMap<u32, u32> = Default::default();
            for v in &values {
                *counted.entry(*v).or_default() += 1;
            }
            let mut pairs: Vec<(u32, u32)> = counted.into_iter().collect();
            let mut written = values.clone();
            proptest::prop_assert_eq!(median_and_max_counted(&mut pairs), median_and_max(&mut written));
        }
    }

    #[test]
    fn the_median_of_an_even_count_is_between_the_middle_two() {
        assert_eq!(median_and_max(&mut []), (None, None));
        assert_eq!(median_and_max(&mut [5]), (Some(5), Some(5)));
        assert_eq!(median_and_max(&mut [9, 1, 4]), (Some(4), Some(9)));
        assert_eq!(median_and_max(&mut [10, 2, 4, 8]), (Some(6), Some(10)));
    }
}
