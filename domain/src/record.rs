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
            data: &self.data,
            form_key: &self.form_key,
            form_version: self.form_version,
            group_id: self.group_id,
        };
        serde_json::to_writer(&mut w, &canonical).expect("writing to a hasher cannot fail");
        hex::encode(w.0.finalize())
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
        changed.then(|| {
            RecordEnvelope {
                data,
                ..self.clone()
            }
            .content_hash()
        })
    }
}

/// `value` with each number that is not an integer replaced by what serde_json's quick reader
/// made of its shortest text; `changed` is set when one differs.
fn quick_read(value: &Value, changed: &mut bool) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => {
            let exact = n.as_f64().unwrap_or_default();
            match quick_f64(&n.to_string()).and_then(serde_json::Number::from_f64) {
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

/// A JSON number as serde_json read it without `float_roundtrip` (its `f64_from_parts`): the
/// digits as one u64 made an f64, then multiplied or divided once by a power of ten. `None`
/// for a text that reader took another way (more digits than a u64 holds) or refused.
fn quick_f64(text: &str) -> Option<f64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut significand: u64 = 0;
    for c in int.bytes().chain(frac.bytes()) {
        let digit = c.checked_sub(b'0').filter(|d| *d <= 9)?;
        significand = significand.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    let mut exponent = exp.checked_sub(i32::try_from(frac.len()).ok()?)?;
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
    (f.is_finite()).then_some(if negative { -f } else { f })
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

    #[test]
    fn the_quick_reader_is_one_unit_off_where_serde_json_was() {
        // Both seen from serde_json without float_roundtrip: the fuzzer's bound, and a latitude.
        assert_eq!(
            quick_f64("1.0000022222222221e71"),
            Some(1.000002222222222e71)
        );
        assert_eq!(quick_f64("21.067493816419294"), Some(21.067493816419297));
        assert_eq!(quick_f64("-21.067493816419294"), Some(-21.067493816419297));
        // Short numbers it read exactly.
        for (text, exact) in [("21.0812", 21.0812), ("105.8241", 105.8241), ("1e-7", 1e-7)] {
            assert_eq!(quick_f64(text), Some(exact), "{text}");
        }
        assert_eq!(quick_f64("123456789012345678901.5"), None);
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
