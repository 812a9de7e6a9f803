//! What the crate's tests share.

/// Golden JSON: `value` is written as exactly `json`, and `json` reads back as `value`, so a
/// renamed field or a changed shape fails a test instead of a phone in the field.
pub fn golden<T>(value: &T, json: &str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(serde_json::to_string(value).unwrap(), json);
    assert_eq!(&serde_json::from_str::<T>(json).unwrap(), value);
}
