//! Validated value types of the timer world.
//!
//! Each value has a private field and a constructor that refuses what the contract forbids, so a
//! timer holding these types cannot be invalid. Errors say which field broke which rule; the
//! adapters turn them into `CREATE_FAILED` / `VALIDATION_FAILED` messages unchanged.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A value that broke one of the contract's rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidationError {
    /// `allocated_duration` outside 1..=86400 seconds.
    #[error("allocated_duration must be between 1 and 86400 seconds, got {value}")]
    AllocatedDurationOutOfRange {
        /// The rejected value.
        value: i64,
    },
    /// A text longer than its maximum, counted in characters.
    #[error("{field} must be at most {max} characters, got {actual}")]
    TooLong {
        /// The field's wire name.
        field: &'static str,
        /// The maximum number of characters.
        max: usize,
        /// The number of characters given.
        actual: usize,
    },
    /// A text holding a C0 control character other than tab and line feed (see
    /// [`forbidden_control`]); U+0000 among them, which no text column can store.
    #[error(
        "{field} must not contain the control character U+{code:04X} (of the C0 controls only tab and line breaks are allowed)",
        code = u32::from(*.character)
    )]
    ControlCharacter {
        /// The field's wire name.
        field: &'static str,
        /// The first refused character.
        character: char,
    },
    /// A required text that is empty or only whitespace.
    #[error("{field} must not be blank")]
    Blank {
        /// The field's wire name.
        field: &'static str,
    },
    /// A value that is not one of the field's allowed words.
    #[error("{field} must be one of {allowed}, got {value:?}")]
    UnknownValue {
        /// The field's wire name.
        field: &'static str,
        /// The allowed values, comma-separated.
        allowed: &'static str,
        /// The rejected value.
        value: String,
    },
    /// A tag color not written `#RRGGBB`.
    #[error("color must be written #RRGGBB (six hexadecimal digits), got {value:?}")]
    InvalidColor {
        /// The rejected value.
        value: String,
    },
    /// An interval whose end lies before its start.
    #[error("{end_field} must not be before {start_field}")]
    EndBeforeStart {
        /// The start field's wire name.
        start_field: &'static str,
        /// The end field's wire name.
        end_field: &'static str,
    },
}

/// Maximum allocated duration: 24 hours.
pub const MAX_ALLOCATED_SECONDS: u32 = 86_400;

/// How long a timer is planned to run, in whole seconds (1..=86400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct AllocatedDuration(u32);

impl AllocatedDuration {
    /// Accepts 1..=86400 seconds.
    pub fn new(seconds: i64) -> Result<Self, ValidationError> {
        match u32::try_from(seconds) {
            Ok(s) if (1..=MAX_ALLOCATED_SECONDS).contains(&s) => Ok(Self(s)),
            _ => Err(ValidationError::AllocatedDurationOutOfRange { value: seconds }),
        }
    }

    /// The duration in seconds.
    pub fn seconds(self) -> i64 {
        i64::from(self.0)
    }
}

impl TryFrom<i64> for AllocatedDuration {
    type Error = ValidationError;
    fn try_from(seconds: i64) -> Result<Self, Self::Error> {
        Self::new(seconds)
    }
}

impl From<AllocatedDuration> for i64 {
    fn from(d: AllocatedDuration) -> Self {
        d.seconds()
    }
}

/// The first C0 control character (U+0000 to U+001F) in `text` that stored text may not hold,
/// if any: all of them except tab, line feed, and a carriage return directly followed by a line
/// feed.
///
/// Why: U+0000 cannot be stored in PostgreSQL text at all, and the other controls (bell,
/// backspace, escape, a lone carriage return, ...) have no meaning in a title or a note but can
/// rewrite what a terminal, a log viewer or a CSV reader shows. Tab and line feed are content:
/// descriptions have several lines. A carriage return is accepted only as part of CR LF:
/// browsers hand `textarea.value` over with LF line breaks, but text pasted or typed in Windows
/// clients keeps CR LF, and refusing that would turn harmless line breaks into a 422.
pub fn forbidden_control(text: &str) -> Option<char> {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let allowed = match c {
            '\t' | '\n' => true,
            '\r' => chars.peek() == Some(&'\n'),
            _ => !('\u{0}'..='\u{1f}').contains(&c),
        };
        if !allowed {
            return Some(c);
        }
    }
    None
}

/// Refuses what a text typed in may not hold (see [`forbidden_control`]), then more than `max`
/// characters.
fn check_input(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    if let Some(character) = forbidden_control(value) {
        return Err(ValidationError::ControlCharacter { field, character });
    }
    check_length(field, value, max)
}

/// Refuses a text longer than `max` characters.
fn check_length(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    let actual = value.chars().count();
    if actual > max {
        return Err(ValidationError::TooLong { field, max, actual });
    }
    Ok(())
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The maximum length in characters.
            pub const MAX_CHARS: usize = $max;

            /// Accepts at most `MAX_CHARS` characters, without the control characters
            /// [`forbidden_control`] names.
            pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
                let value = value.into();
                check_input($field, &value, Self::MAX_CHARS)?;
                Ok(Self(value))
            }

            /// Takes back a text read from storage: the length rule only, because text stored
            /// before the control-character rule may hold such characters and must still load.
            pub fn restore(value: impl Into<String>) -> Result<Self, ValidationError> {
                let value = value.into();
                check_length($field, &value, Self::MAX_CHARS)?;
                Ok(Self(value))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

bounded_text!(
    /// A timer, schedule or todo title: at most 200 characters.
    Title,
    "title",
    200
);
bounded_text!(
    /// A timer, schedule or todo description: at most 2000 characters.
    Description,
    "description",
    2000
);

/// Who besides the owner may read a timer and receive its activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// The owner only.
    Private,
    /// The owner's friends (mutual follows): readable and its activity is pushed to them.
    #[default]
    Friends,
    /// Any signed-in user may read it by id; friends receive its activity.
    Public,
}

impl Visibility {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Friends => "friends",
            Self::Public => "public",
        }
    }

    /// Whether the owner's friends may read the timer and get its activity.
    pub fn visible_to_friends(self) -> bool {
        matches!(self, Self::Friends | Self::Public)
    }
}

impl FromStr for Visibility {
    type Err = ValidationError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "private" => Ok(Self::Private),
            "friends" => Ok(Self::Friends),
            "public" => Ok(Self::Public),
            _ => Err(ValidationError::UnknownValue {
                field: "visibility",
                allowed: "private, friends, public",
                value: value.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tag's color, stored upper-case as `#RRGGBB`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagColor(String);

impl TagColor {
    /// Accepts `#` followed by exactly six hexadecimal digits (any case).
    pub fn new(value: &str) -> Result<Self, ValidationError> {
        let digits = value.strip_prefix('#').unwrap_or("");
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(format!("#{}", digits.to_ascii_uppercase())))
        } else {
            Err(ValidationError::InvalidColor {
                value: value.to_owned(),
            })
        }
    }

    /// The color as `#RRGGBB`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TagColor {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<TagColor> for String {
    fn from(value: TagColor) -> Self {
        value.0
    }
}

/// A tag name: 1 to 50 characters after trimming, unique per owner (the storage enforces that).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagName(String);

impl TagName {
    /// The maximum length in characters.
    pub const MAX_CHARS: usize = 50;

    /// Trims surrounding whitespace, then accepts 1 to 50 characters without the control
    /// characters [`forbidden_control`] names.
    pub fn new(value: &str) -> Result<Self, ValidationError> {
        let trimmed = value.trim();
        if let Some(character) = forbidden_control(trimmed) {
            return Err(ValidationError::ControlCharacter {
                field: "name",
                character,
            });
        }
        Self::restore(trimmed)
    }

    /// Takes back a name read from storage: not blank and at most 50 characters, with no
    /// control-character rule, because names stored before it may hold such characters and must
    /// still load.
    pub fn restore(value: &str) -> Result<Self, ValidationError> {
        if value.trim().is_empty() {
            return Err(ValidationError::Blank { field: "name" });
        }
        check_length("name", value, Self::MAX_CHARS)?;
        Ok(Self(value.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TagName {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<TagName> for String {
    fn from(value: TagName) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_text_may_hold_nul() {
        assert_eq!(
            Title::new("a\0b"),
            Err(ValidationError::ControlCharacter {
                field: "title",
                character: '\0'
            })
        );
        assert_eq!(
            Description::new("\0"),
            Err(ValidationError::ControlCharacter {
                field: "description",
                character: '\0'
            })
        );
        assert_eq!(
            TagName::new("fo\0cus"),
            Err(ValidationError::ControlCharacter {
                field: "name",
                character: '\0'
            })
        );
        assert!(Title::new("tab\tand\nnewline").is_ok());
    }

    #[test]
    fn c0_controls_other_than_tab_and_line_breaks_are_refused() {
        for code in (0..0x20).filter(|c| ![0x09, 0x0A].contains(c)) {
            let Some(control) = char::from_u32(code) else {
                panic!("U+{code:04X} is a char");
            };
            let text = format!("a{control}b");
            assert_eq!(forbidden_control(&text), Some(control), "U+{code:04X}");
            assert_eq!(
                Description::new(text.as_str()),
                Err(ValidationError::ControlCharacter {
                    field: "description",
                    character: control
                })
            );
            assert!(Title::new(text.as_str()).is_err(), "U+{code:04X}");
            assert!(TagName::new(&text).is_err(), "U+{code:04X}");
        }
        let Err(err) = Title::new("ring\u{7}") else {
            panic!("BEL must be refused")
        };
        assert_eq!(
            err.to_string(),
            "title must not contain the control character U+0007 (of the C0 controls only tab and line breaks are allowed)"
        );
    }

    #[test]
    fn tab_line_feed_and_crlf_are_content() {
        for text in [
            "a\tb",
            "line\nline",
            "windows\r\nline\r\n",
            "\u{7f}",
            "\u{85}é가\u{200f}",
        ] {
            assert_eq!(forbidden_control(text), None, "{text:?}");
            assert!(Description::new(text).is_ok(), "{text:?}");
        }
        // A carriage return not followed by a line feed rewrites the line in a terminal.
        assert_eq!(forbidden_control("ok\rfake"), Some('\r'));
        assert_eq!(forbidden_control("end\r"), Some('\r'));
        assert_eq!(forbidden_control("\r\r\n"), Some('\r'));
    }

    #[test]
    fn stored_text_with_controls_still_restores() {
        assert_eq!(
            Title::restore("old\u{1b}[31m").map(|t| t.as_str().to_owned()),
            Ok("old\u{1b}[31m".to_owned())
        );
        assert!(Description::restore("bell\u{7}").is_ok());
        assert!(TagName::restore("tag\u{8}").is_ok());
        assert!(Title::restore("x".repeat(201)).is_err());
        assert!(TagName::restore(" ").is_err());
    }

    #[test]
    fn allocated_duration_accepts_one_second_to_a_day() {
        assert_eq!(
            AllocatedDuration::new(1).map(AllocatedDuration::seconds),
            Ok(1)
        );
        assert_eq!(
            AllocatedDuration::new(86_400).map(AllocatedDuration::seconds),
            Ok(86_400)
        );
    }

    #[test]
    fn allocated_duration_refuses_zero_negative_and_over_a_day() {
        for value in [0, -5, 86_401, i64::MAX] {
            assert_eq!(
                AllocatedDuration::new(value),
                Err(ValidationError::AllocatedDurationOutOfRange { value })
            );
        }
    }

    #[test]
    fn allocated_duration_error_names_field_and_range() {
        let Err(err) = AllocatedDuration::new(0) else {
            panic!("0 must be refused")
        };
        assert_eq!(
            err.to_string(),
            "allocated_duration must be between 1 and 86400 seconds, got 0"
        );
    }

    #[test]
    fn title_counts_characters_not_bytes() {
        let korean = "가".repeat(200);
        assert!(Title::new(korean).is_ok());
        let Err(err) = Title::new("가".repeat(201)) else {
            panic!("201 characters must be refused")
        };
        assert_eq!(
            err,
            ValidationError::TooLong {
                field: "title",
                max: 200,
                actual: 201
            }
        );
        assert_eq!(
            err.to_string(),
            "title must be at most 200 characters, got 201"
        );
    }

    #[test]
    fn description_allows_2000_characters() {
        assert!(Description::new("a".repeat(2000)).is_ok());
        assert!(matches!(
            Description::new("a".repeat(2001)),
            Err(ValidationError::TooLong {
                field: "description",
                ..
            })
        ));
    }

    #[test]
    fn visibility_parses_wire_values_only() {
        assert_eq!("private".parse(), Ok(Visibility::Private));
        assert_eq!("friends".parse(), Ok(Visibility::Friends));
        assert_eq!("public".parse(), Ok(Visibility::Public));
        let Err(err) = "Public".parse::<Visibility>() else {
            panic!("wire values are lower case")
        };
        assert_eq!(
            err.to_string(),
            "visibility must be one of private, friends, public, got \"Public\""
        );
        assert_eq!(Visibility::default(), Visibility::Friends);
    }

    #[test]
    fn only_friends_and_public_reach_friends() {
        assert!(!Visibility::Private.visible_to_friends());
        assert!(Visibility::Friends.visible_to_friends());
        assert!(Visibility::Public.visible_to_friends());
    }

    #[test]
    fn tag_color_normalises_case() {
        assert_eq!(
            TagColor::new("#a1b2c3").map(|c| c.as_str().to_owned()),
            Ok("#A1B2C3".to_owned())
        );
    }

    #[test]
    fn tag_color_refuses_other_shapes() {
        for bad in ["A1B2C3", "#A1B2C", "#A1B2C3D", "#GGGGGG", "", "#", "red"] {
            assert!(
                matches!(
                    TagColor::new(bad),
                    Err(ValidationError::InvalidColor { .. })
                ),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn tag_name_is_trimmed_and_bounded() {
        assert_eq!(
            TagName::new("  focus ").map(|n| n.as_str().to_owned()),
            Ok("focus".to_owned())
        );
        assert_eq!(
            TagName::new("   "),
            Err(ValidationError::Blank { field: "name" })
        );
        assert!(TagName::new(&"x".repeat(50)).is_ok());
        assert!(matches!(
            TagName::new(&"x".repeat(51)),
            Err(ValidationError::TooLong { field: "name", .. })
        ));
    }
}
