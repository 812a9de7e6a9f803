//! Records as the phone creates them (the id is made on the phone), and their status.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::lang::Lang;

/// A filled-in form, exactly as the phone submits it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordEnvelope {
    /// UUIDv7 made on the phone when the user started the record.
    pub id: Uuid,
    pub form_key: String,
    pub form_version: u32,
    /// The residential group the record is about.
    pub group_id: i64,
    /// The phone's clock when the user submitted, RFC 3339; informational only.
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Map<String, Value>,
    /// Set when the record is resubmitted after it was returned: this revision, and the one it
    /// was based on (sync rule 7). Absent on a first submission, whose revision is the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<Revision>,
}

/// A revision of a record after the first: both ids are made on the phone (`id`) or were sent
/// by the server (`base`, the record's current revision when the phone took it up).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub id: Uuid,
    pub base: Uuid,
}

impl RecordEnvelope {
    /// The id of the revision this envelope is: its own for a resubmission, else the record's.
    pub fn revision_id(&self) -> Uuid {
        self.revision.map_or(self.id, |r| r.id)
    }

    /// SHA-256 over the parts of a record the user chose, in a canonical JSON encoding
    /// (object keys sorted), so "same id, same content" can be told from a conflicting edit.
    pub fn content_hash(&self) -> String {
        hash_of(&self.data, &self.form_key, self.form_version, self.group_id)
    }

    /// The content hash as servers computed it before they read numbers exactly (serde_json
    /// without `float_roundtrip`, before 2026-12-07): every number that is not an integer as
    /// that reader took it from its shortest text, often one unit in the last place off (one
    /// GPS latitude in six). `None` when every number reads the same, so the hash is
    /// [`content_hash`](Self::content_hash)'s. A record stored by such a server and sent again
    /// (its answer lost) is the same record when its stored hash is this one.
    pub fn legacy_content_hash(&self) -> Option<String> {
        let mut changed = false;
        let data = self
            .data
            .iter()
            .map(|(k, v)| (k.clone(), quick_read(v, &mut changed)))
            .collect();
        changed.then(|| hash_of(&data, &self.form_key, self.form_version, self.group_id))
    }
}

/// [`RecordEnvelope::content_hash`] of these parts.
fn hash_of(data: &Map<String, Value>, form_key: &str, form_version: u32, group_id: i64) -> String {
    /// The canonical form, fields in sorted order, borrowed and streamed into the hasher
    /// (the server hashes every pushed record; copying `data` first doubled the cost).
    #[derive(Serialize)]
    struct Canonical<'a> {
        data: &'a Map<String, Value>,
        form_key: &'a str,
        form_version: u32,
        group_id: i64,
    }
    struct HashWriter(Sha256);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = HashWriter(Sha256::new());
    let canonical = Canonical {
        data,
        form_key,
        form_version,
        group_id,
    };
    serde_json::to_writer(&mut w, &canonical).expect("writing to a hasher cannot fail");
    hex::encode(w.0.finalize())
}

/// `value` with each number that is not an integer replaced by what serde_json's quick reader
/// made of the phone's text for it; `changed` is set when one differs.
fn quick_read(value: &Value, changed: &mut bool) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => {
            let exact = n.as_f64().unwrap_or_default();
            match quick_f64(&js_text(exact)).and_then(serde_json::Number::from_f64) {
                Some(quick) if quick.as_f64() != Some(exact) => {
                    *changed = true;
                    Value::Number(quick)
                }
                _ => value.clone(),
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| quick_read(v, changed)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), quick_read(v, changed)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// `x` as the phone writes it (`JSON.stringify`, ECMAScript's Number::toString): the shortest
/// digits that read back as `x`, without an exponent from 1e-7 up to 1e21, so that a number
/// of 21 digits is written out in full (with zeros) where serde_json writes an exponent.
fn js_text(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    // The shortest digits as serde_json writes them, which agree with V8's where two are as
    // short (Rust's `{:e}` chose the other in 52 of 200,000 random doubles), and the place of
    // the point: x = 0.digits × 10^n.
    let written = serde_json::Number::from_f64(x.abs()).map_or_else(String::new, |n| n.to_string());
    let (mantissa, e) = written.split_once(['e', 'E']).unwrap_or((&written, "0"));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0').to_string();
    let k = digits.len() as i32;
    let n = int.len() as i32 - lead as i32 + e.trim_start_matches('+').parse::<i32>().unwrap_or(0);
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!(
            "{first}{dot}{rest}e{}{}",
            if n > 0 { "+" } else { "-" },
            (n - 1).abs()
        )
    };
    if x < 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// A JSON number as serde_json 1.0.154 read it without `float_roundtrip`: digits gathered into
/// one u64 (those past its range dropped, counted in the exponent when before the point), made
/// an f64, then multiplied or divided once by a power of ten (`f64_from_parts`). `None` for
/// a text it read as an integer, or refused.
fn quick_f64(text: &str) -> Option<f64> {
    // `significand * 10 + digit` would pass u64::MAX (serde_json's `overflow!`).
    fn overflows(significand: u64, digit: u64) -> bool {
        significand >= u64::MAX / 10 && (significand > u64::MAX / 10 || digit > u64::MAX % 10)
    }
    let mut bytes = text.bytes().peekable();
    let positive = bytes.next_if_eq(&b'-').is_none();
    let mut significand: u64 = 0;
    let mut exponent: i32 = 0;
    let mut full = false;
    let mut float = false;
    let first = bytes.next().filter(u8::is_ascii_digit)?;
    if first != b'0' {
        significand = u64::from(first - b'0');
        while let Some(c) = bytes.next_if(u8::is_ascii_digit) {
            let digit = u64::from(c - b'0');
            if full || overflows(significand, digit) {
                // parse_long_integer: the number is a float from here on.
                (full, float) = (true, true);
                exponent += 1;
            } else {
                significand = significand * 10 + digit;
            }
        }
    }
    if bytes.next_if_eq(&b'.').is_some() {
        float = true;
        while let Some(c) = bytes.next_if(u8::is_ascii_digit) {
            let digit = u64::from(c - b'0');
            if full || overflows(significand, digit) {
                full = true; // parse_decimal_overflow: further digits are ignored
            } else {
                significand = significand * 10 + digit;
                exponent -= 1;
            }
        }
    }
    if bytes.next_if(|c| *c == b'e' || *c == b'E').is_some() {
        float = true;
        let negative = bytes.next_if_eq(&b'-').is_some();
        if !negative {
            bytes.next_if_eq(&b'+');
        }
        let mut exp: i32 = 0;
        while let Some(c) = bytes.next_if(u8::is_ascii_digit) {
            exp = exp.checked_mul(10)?.checked_add(i32::from(c - b'0'))?;
        }
        exponent = if negative {
            exponent.saturating_sub(exp)
        } else {
            exponent.saturating_add(exp)
        };
    }
    if bytes.next().is_some() {
        return None;
    }
    if !float {
        // parse_number: a negative integer past i64 (or -0) became a float, others stayed.
        return (!positive && (significand as i64).wrapping_neg() >= 0)
            .then(|| -(significand as f64));
    }
    let mut f = significand as f64;
    loop {
        if exponent.unsigned_abs() <= 308 {
            // serde_json's table holds the literals 1e0 to 1e308, each rounded once.
            let pow: f64 = format!("1e{}", exponent.unsigned_abs()).parse().ok()?;
            if exponent >= 0 {
                f *= pow;
            } else {
                f /= pow;
            }
            break;
        }
        if f == 0.0 {
            break;
        }
        if exponent >= 0 {
            return None;
        }
        f /= 1e308;
        exponent += 308;
    }
    f.is_finite().then_some(if positive { f } else { -f })
}

/// Where a record is on its way through the ward.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Stored on the server, not yet looked at.
    Received,
    /// A supervisor or officer is dealing with it.
    InProgress,
    Resolved,
    /// Sent back to its author to be corrected.
    Returned,
    /// Looked at and accepted by a reviewer.
    Approved,
}

impl RecordStatus {
    pub const ALL: [RecordStatus; 5] = [
        RecordStatus::Received,
        RecordStatus::InProgress,
        RecordStatus::Resolved,
        RecordStatus::Returned,
        RecordStatus::Approved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Received => "received",
            RecordStatus::InProgress => "in_progress",
            RecordStatus::Resolved => "resolved",
            RecordStatus::Returned => "returned",
            RecordStatus::Approved => "approved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (RecordStatus::Received, Lang::Vi) => "Đã tiếp nhận",
            (RecordStatus::Received, Lang::En) => "Received",
            (RecordStatus::InProgress, Lang::Vi) => "Đang xử lý",
            (RecordStatus::InProgress, Lang::En) => "Being handled",
            (RecordStatus::Resolved, Lang::Vi) => "Đã giải quyết",
            (RecordStatus::Resolved, Lang::En) => "Resolved",
            (RecordStatus::Returned, Lang::Vi) => "Trả lại để sửa",
            (RecordStatus::Returned, Lang::En) => "Returned for correction",
            (RecordStatus::Approved, Lang::Vi) => "Đã duyệt",
            (RecordStatus::Approved, Lang::En) => "Approved",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(data: Value) -> RecordEnvelope {
        RecordEnvelope {
            id: Uuid::nil(),
            form_key: "neighborhood_report".into(),
            form_version: 1,
            group_id: 7,
            created_at: "2026-11-25T14:00:00Z".into(),
            data: data.as_object().unwrap().clone(),
            revision: None,
        }
    }

    /// Each pair: the phone's text (`JSON.stringify` in Node 20) and what serde_json 1.0.154
    /// without float_roundtrip read from it (its answers, run beside this change).
    const READ_THEN: [(&str, f64); 9] = [
        ("21.067493816419294", 21.067493816419297),
        ("-21.067493816419294", -21.067493816419297),
        ("1.0000022222222221e+71", 1.000002222222222e71),
        ("360444779168249000000", 3.6044477916824895e20),
        ("98765432109876540000", 9.876543210987653e19),
        ("123456789012345.67", 123456789012345.69),
        ("1.5e-7", 1.5e-7),
        ("0.000001234567890123456", 1.234567890123456e-6),
        ("18446744073709552000", 1.8446744073709552e19),
    ];

    #[test]
    fn the_phones_text_is_read_as_serde_json_read_it_before_exact_numbers() {
        for (text, then) in READ_THEN {
            let exact: f64 = text.parse().unwrap();
            assert_eq!(
                js_text(exact),
                text,
                "written as the phone writes {exact:e}"
            );
            assert_eq!(quick_f64(text), Some(then), "{text}");
        }
        assert_eq!(js_text(1e21), "1e+21");
        assert_eq!(js_text(0.1), "0.1");
        assert_eq!(js_text(3.0), "3");
        // Integers it kept as such; a negative one past i64 it made a float.
        assert_eq!(quick_f64("12345"), None);
        assert_eq!(quick_f64("-12345"), None);
        assert_eq!(
            quick_f64("-10272773166607378000"),
            Some(-1.0272773166607378e19)
        );
    }

    #[test]
    fn a_record_with_a_number_read_one_unit_off_has_the_old_servers_hash_as_its_legacy_hash() {
        let exact = record(json!({"position": {"lat": 21.067493816419294, "lon": 105.8241}}));
        let as_read_then =
            record(json!({"position": {"lat": 21.067493816419297, "lon": 105.8241}}));
        assert_ne!(exact.content_hash(), as_read_then.content_hash());
        assert_eq!(
            exact.legacy_content_hash(),
            Some(as_read_then.content_hash())
        );
        // Nothing read differently: no second hash.
        assert_eq!(
            record(json!({"lat": 21.0812, "n": 3})).legacy_content_hash(),
            None
        );
    }

    #[test]
    fn content_hash_ignores_key_order_and_client_clock_but_not_content() {
        let a = record(json!({"a": 1, "b": "x"}));
        let mut b = record(json!({"b": "x", "a": 1}));
        b.created_at = "2030-01-01T00:00:00Z".into();
        assert_eq!(a.content_hash(), b.content_hash());
        assert_ne!(
            a.content_hash(),
            record(json!({"a": 2, "b": "x"})).content_hash()
        );
    }

    #[test]
    fn content_hash_is_sha256_of_the_sorted_json_object() {
        let r = record(json!({"z": [1, "ễ"], "a": {"b": null}}));
        let reference = json!({
            "form_key": r.form_key, "form_version": r.form_version, "group_id": r.group_id, "data": r.data,
        });
        assert_eq!(
            r.content_hash(),
            hex::encode(Sha256::digest(reference.to_string().as_bytes()))
        );
    }

    #[test]
    fn status_round_trips_through_its_name() {
        for st in RecordStatus::ALL {
            assert_eq!(RecordStatus::parse(st.as_str()), Some(st));
        }
    }
}
