//! JSON request bodies: typed parsing with the field named in every refusal, and tri-state
//! fields for PATCH.
//!
//! Handlers take bodies as [`JsonBody`](crate::edge::middleware::body::JsonBody), which applies the
//! app's `JsonConfig` (size limit → 413, malformed JSON → 422) and names the field that is
//! missing or of the wrong type. The request DTOs' `try_into_domain` then checks values with the
//! domain constructors (`Title::new`, …), whose errors name their field too; [`BodyError`]
//! turns them into 422 `VALIDATION_FAILED`.
//!
//! PATCH distinguishes three cases per field (`absent` keeps, `null` clears, a value sets): such
//! fields are `Option<Option<T>>` deserialized with [`tri`] — the outer `None` is "absent"
//! (`#[serde(default)]`), `Some(None)` is `null`.

use hourglass_domain::ids::TagId;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::FieldUpdate;
use hourglass_domain::validation::ValidationError;
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use crate::edge::error::ApiError;
use crate::edge::query::parse_datetime;

/// A body that could not be used; the message names the field. Always 422.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError(pub String);

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BodyError {}

impl From<ValidationError> for BodyError {
    fn from(error: ValidationError) -> Self {
        Self(error.to_string())
    }
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        ApiError::validation(error.0)
    }
}

/// Deserializes a present field (value or `null`) as `Some(...)`; with `#[serde(default)]`
/// an absent field stays `None`.
///
/// # Errors
/// Whatever `T`'s deserializer returns.
pub fn tri<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A tri-state field as a domain update: absent keeps, `null` clears, a value sets (after
/// `convert`, which validates).
///
/// # Errors
/// Whatever `convert` refuses.
pub fn update<T, U>(
    field: Option<Option<T>>,
    convert: impl FnOnce(T) -> Result<U, BodyError>,
) -> Result<FieldUpdate<Option<U>>, BodyError> {
    Ok(match field {
        None => FieldUpdate::Keep,
        Some(None) => FieldUpdate::Clear,
        Some(Some(value)) => FieldUpdate::Set(Some(convert(value)?)),
    })
}

/// A PATCH field that may be absent but not `null` (a title, a status, a color).
///
/// # Errors
/// [`BodyError`] naming `field` for `null`.
pub fn not_null<T>(field: &str, value: Option<Option<T>>) -> Result<Option<T>, BodyError> {
    match value {
        Some(None) => Err(BodyError(format!("{field} must not be null"))),
        Some(Some(value)) => Ok(Some(value)),
        None => Ok(None),
    }
}

/// A tag-set update: `null` and `[]` both clear.
pub fn tag_update(value: Option<Option<Vec<Uuid>>>) -> FieldUpdate<Vec<TagId>> {
    match value {
        None => FieldUpdate::Keep,
        Some(None) => FieldUpdate::Clear,
        Some(Some(ids)) => FieldUpdate::Set(ids.into_iter().map(TagId::new).collect()),
    }
}

/// Converts a JSON value into `T` the way unit tests need it (the handlers' bodies go through
/// [`JsonBody`](crate::edge::middleware::body::JsonBody), which also names the field of a wrong type).
#[cfg(test)]
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, BodyError> {
    serde_json::from_value(value).map_err(|error| BodyError(error.to_string()))
}

/// A datetime body field: ISO-8601, naive (UTC) or with an offset.
///
/// # Errors
/// [`BodyError`] naming `field` for anything else.
pub fn instant(field: &str, raw: &str) -> Result<Timestamp, BodyError> {
    parse_datetime(raw.trim()).ok_or_else(|| {
        BodyError(format!(
            "{field} must be an ISO-8601 datetime such as 2026-01-28T10:00:00 or \
             2026-01-28T19:00:00+09:00"
        ))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "tri")]
        title: Option<Option<String>>,
        #[serde(default)]
        count: Option<i64>,
    }

    #[test]
    fn absent_null_and_value_are_three_cases() -> Result<(), BodyError> {
        let absent: Sample = from_json(json!({}))?;
        let null: Sample = from_json(json!({"title": null}))?;
        let value: Sample = from_json(json!({"title": "x", "ignored": 1}))?;
        assert_eq!(absent.title, None);
        assert_eq!(null.title, Some(None));
        assert_eq!(value.title, Some(Some("x".to_owned())));
        assert_eq!(absent.count, None);
        Ok(())
    }

    #[test]
    fn updates_map_to_field_updates() -> Result<(), BodyError> {
        let ok = |s: String| Ok::<_, BodyError>(s.len());
        assert_eq!(update(None, ok)?, FieldUpdate::Keep);
        assert_eq!(update(Some(None), ok)?, FieldUpdate::Clear);
        assert_eq!(
            update(Some(Some("abc".to_owned())), ok)?,
            FieldUpdate::Set(Some(3))
        );
        Ok(())
    }

    #[test]
    fn instants_name_the_field() {
        assert!(instant("deadline", "2026-01-28T10:00:00Z").is_ok());
        let Err(error) = instant("deadline", "tomorrow") else {
            panic!("must be refused")
        };
        assert!(error.0.starts_with("deadline must be"), "{error}");
    }
}
