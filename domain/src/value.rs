//! The structured values a record's fields hold — a photo reference and a GPS fix — read and
//! written one way by the phone, the desk and the server.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::form::{MAX_PHOTO_BYTES, MAX_PHOTO_SIDE, PHOTO_TYPES};

/// A photo a record names: its content address and what the phone measured when it resized it.
/// The bytes travel separately (resumable upload by SHA-256).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoRef {
    /// SHA-256 of the bytes, 64 lowercase hexadecimal digits.
    pub sha256: String,
    /// `image/jpeg` or `image/webp`.
    #[serde(rename = "type")]
    pub content_type: String,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
}

impl PhotoRef {
    /// Reads a field value as a photo reference: exactly its five keys, each within the limits.
    pub fn parse(v: &Value) -> Option<Self> {
        let p = Self::deserialize(v).ok()?;
        let side_ok = |n: u32| (1..=MAX_PHOTO_SIDE).contains(&n);
        (is_sha256(&p.sha256)
            && PHOTO_TYPES.contains(&p.content_type.as_str())
            && (1..=MAX_PHOTO_BYTES).contains(&p.bytes)
            && side_ok(p.width)
            && side_ok(p.height))
        .then_some(p)
    }

    /// The value a photo field's list holds.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a photo reference is plain JSON")
    }
}

/// A position the phone's GPS gave, rounded to what it can tell (about 10 cm, 0.1 m).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpsFix {
    pub lat: f64,
    pub lon: f64,
    /// The radius, in metres, the position is within (as the phone reports it).
    pub accuracy_m: f64,
    /// When the fix was taken, RFC 3339 (the phone's clock); absent in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl GpsFix {
    /// A fix from the phone's raw reading: six decimals of a degree and one of a metre, since
    /// more digits are noise.
    pub fn rounded(lat: f64, lon: f64, accuracy_m: f64, at: String) -> Self {
        let round = |x: f64, p: f64| (x * p).round() / p;
        Self {
            lat: round(lat, 1e6),
            lon: round(lon, 1e6),
            accuracy_m: round(accuracy_m, 10.0),
            at: Some(at),
        }
    }

    /// Reads a field value as a GPS fix: `lat`, `lon` and `accuracy_m` (and an optional `at`),
    /// on the globe, nothing else.
    pub fn parse(v: &Value) -> Option<Self> {
        let g = Self::deserialize(v).ok()?;
        ((-90.0..=90.0).contains(&g.lat)
            && (-180.0..=180.0).contains(&g.lon)
            && g.accuracy_m >= 0.0
            && g.at.as_ref().is_none_or(|a| a.len() <= 40))
        .then_some(g)
    }

    /// The value a GPS field holds.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a GPS fix is plain JSON")
    }

    /// "21.071234, 105.812345 (± 8 m)": the same in both languages.
    pub fn display(&self) -> String {
        format!(
            "{:.6}, {:.6} (± {} m)",
            self.lat,
            self.lon,
            self.accuracy_m.round() as i64
        )
    }
}

/// 64 lowercase hexadecimal digits.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// The SHA-256 names of the photos a record's data refers to, at the top level and in repeat
/// rows, each once, in the order they appear.
pub fn photo_shas(data: &Map<String, Value>) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(sha)) = o.get("sha256") {
                    if is_sha256(sha) && !out.contains(sha) {
                        out.push(sha.clone());
                    }
                }
                o.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    data.values().for_each(|v| walk(v, &mut out));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn a_photo_reference_is_its_five_fields_in_this_order() {
        let p = PhotoRef {
            sha256: SHA.into(),
            content_type: "image/jpeg".into(),
            bytes: 183_204,
            width: 1600,
            height: 1200,
        };
        let json = format!(
            r#"{{"sha256":"{SHA}","type":"image/jpeg","bytes":183204,"width":1600,"height":1200}}"#
        );
        assert_eq!(serde_json::to_string(&p).unwrap(), json);
        assert_eq!(
            PhotoRef::parse(&serde_json::from_str(&json).unwrap()),
            Some(p)
        );
    }

    #[test]
    fn a_gps_fix_is_lat_lon_accuracy_and_when() {
        let g = GpsFix::rounded(
            21.071_234_49,
            105.812_345_51,
            8.04,
            "2026-11-25T21:30:00.000Z".into(),
        );
        let json = r#"{"lat":21.071234,"lon":105.812346,"accuracy_m":8.0,"at":"2026-11-25T21:30:00.000Z"}"#;
        assert_eq!(serde_json::to_string(&g).unwrap(), json);
        assert_eq!(GpsFix::parse(&serde_json::from_str(json).unwrap()), Some(g));
        assert_eq!(
            GpsFix::parse(&json!({"lat": 21, "lon": 105, "accuracy_m": 5}))
                .unwrap()
                .display(),
            "21.000000, 105.000000 (± 5 m)"
        );
    }

    #[test]
    fn a_photo_reference_with_a_key_too_many_or_out_of_its_limits_is_not_one() {
        let good =
            json!({"sha256": SHA, "type": "image/webp", "bytes": 1, "width": 1, "height": 1600});
        assert!(PhotoRef::parse(&good).is_some());
        let with = |k: &str, v: Value| {
            let mut o = good.clone();
            o[k] = v;
            o
        };
        for bad in [
            with("extra", json!(1)),
            with("sha256", json!(SHA.to_uppercase())),
            with("type", json!("image/png")),
            with("bytes", json!(0)),
            with("bytes", json!(MAX_PHOTO_BYTES + 1)),
            with("bytes", json!(1000.5)),
            with("width", json!(1601)),
            with("height", json!(-1)),
            json!({"sha256": SHA}),
            json!(SHA),
        ] {
            assert_eq!(PhotoRef::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn a_gps_fix_off_the_globe_or_with_strange_keys_is_not_one() {
        for bad in [
            json!({"lat": 91.0, "lon": 105.0, "accuracy_m": 5}),
            json!({"lat": 21.0, "lon": -181.0, "accuracy_m": 5}),
            json!({"lat": 21.0, "lon": 105.0, "accuracy_m": -1}),
            json!({"lat": 21.0, "lon": 105.0}),
            json!({"lat": 21.0, "lon": 105.0, "accuracy_m": 5, "extra": 1}),
            json!({"lat": 21.0, "lon": 105.0, "accuracy_m": 5, "at": "x".repeat(41)}),
            json!({"lat": "21", "lon": 105.0, "accuracy_m": 5}),
        ] {
            assert_eq!(GpsFix::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn the_photos_of_a_record_are_found_in_fields_and_repeat_rows_once_each() {
        let other = "a".repeat(64);
        let data = json!({
            "photos": [{"sha256": SHA, "type": "image/jpeg", "bytes": 1, "width": 1, "height": 1}],
            "rows": [{"photo": [{"sha256": other}, {"sha256": SHA}]}],
            "note": "sha256",
            "bogus": {"sha256": "not-a-hash"},
        });
        assert_eq!(
            photo_shas(data.as_object().unwrap()),
            vec![SHA.to_owned(), other]
        );
    }
}
