//! User profile values: the nickname and the profile image.
//!
//! Both are validated newtypes (`notifications-sse.md`, "Users"): a [`Nickname`] is 1 to 30
//! characters, a [`ProfileImage`] is an `http://` or `https://` URL. The profile is filled from the
//! token's claims when the user is first seen ([`Nickname::from_claims`]) and can be changed later
//! (`PATCH /api/v1/users/me`), always through [`Nickname::parse`] and [`ProfileImage::parse`].

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The most characters (Unicode scalar values, not bytes) a nickname may have.
pub const NICKNAME_MAX_CHARS: usize = 30;

/// The most characters a profile image URL may have.
pub const PROFILE_IMAGE_MAX_CHARS: usize = 2048;

/// The nickname [`Nickname::from_claims`] falls back to when neither the claims nor the caller's
/// fallback give a usable one.
pub const DEFAULT_NICKNAME: &str = "user";

/// Why a profile value was refused. Each message names the field and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProfileError {
    /// The nickname is empty or only whitespace.
    #[error("nickname must not be blank (1 to 30 characters)")]
    NicknameBlank,
    /// The nickname, once trimmed, has more than [`NICKNAME_MAX_CHARS`] characters.
    #[error("nickname must be 1 to 30 characters")]
    NicknameTooLong,
    /// The nickname contains a control character (newline, tab, NUL, …).
    #[error("nickname must not contain control characters")]
    NicknameControlCharacter,
    /// The profile image URL, once trimmed, has more than [`PROFILE_IMAGE_MAX_CHARS`] characters.
    #[error("profile image URL must be at most 2048 characters")]
    ProfileImageTooLong,
    /// The profile image URL contains whitespace or a control character.
    #[error("profile image URL must not contain whitespace or control characters")]
    ProfileImageWhitespace,
    /// The profile image URL does not start with `http://` or `https://`.
    #[error("profile image must be an http:// or https:// URL")]
    ProfileImageScheme,
    /// The profile image URL has no host (`https:///a.png`, `https://user@/`).
    #[error("profile image URL must have a host")]
    ProfileImageHost,
    /// The profile image URL has a port that is not a number from 0 to 65535.
    #[error("profile image URL port must be a number from 0 to 65535")]
    ProfileImagePort,
}

/// A user's display name: 1 to 30 characters, trimmed of surrounding whitespace, with no control
/// characters.
///
/// Characters are counted as Unicode scalar values, so `"미니"` is 2 characters although it is 6
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nickname(String);

/// How a deleted account is shown wherever it caused something: the actor of the notifications
/// it caused (`actorNickname`, and in their messages in place of its nickname) and the friend
/// whose activity disappears.
pub const DELETED_USER_NICKNAME: &str = "탈퇴한 사용자";

impl Nickname {
    /// Validates a nickname typed by a user.
    ///
    /// Surrounding whitespace is trimmed first; what remains is stored.
    ///
    /// # Errors
    /// [`ProfileError::NicknameBlank`] when nothing remains after trimming,
    /// [`ProfileError::NicknameControlCharacter`] when it contains a control character,
    /// [`ProfileError::NicknameTooLong`] when it has more than [`NICKNAME_MAX_CHARS`] characters.
    pub fn parse(raw: &str) -> Result<Self, ProfileError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ProfileError::NicknameBlank);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ProfileError::NicknameControlCharacter);
        }
        if trimmed.chars().count() > NICKNAME_MAX_CHARS {
            return Err(ProfileError::NicknameTooLong);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The nickname a deleted account is shown with ([`DELETED_USER_NICKNAME`]).
    pub fn deleted_user() -> Self {
        Self(DELETED_USER_NICKNAME.to_owned())
    }

    /// Picks the nickname of a user seen for the first time, from the token's claims.
    ///
    /// The candidates are tried in the order of the contract (`notifications-sse.md`, "Users"):
    /// the `nickname` claim, then `name`, then `preferred_username`. The first one that is usable
    /// wins, where usable means: not blank once trimmed and free of control characters. A usable
    /// candidate longer than [`NICKNAME_MAX_CHARS`] characters is not skipped but truncated to its
    /// first 30 characters (and trimmed again, so a cut never leaves trailing whitespace).
    ///
    /// When no claim is usable, `fallback` is used: the caller derives it from something it has,
    /// e.g. `"user"` followed by a few characters of the token's `sub`. It is cleaned the same way
    /// (control characters removed, trimmed, truncated); if even that leaves nothing,
    /// [`DEFAULT_NICKNAME`] is used. The function therefore never fails.
    ///
    /// This runs only when the user is created: claims never overwrite a nickname the user set.
    pub fn from_claims(
        nickname: Option<&str>,
        name: Option<&str>,
        preferred_username: Option<&str>,
        fallback: &str,
    ) -> Nickname {
        [nickname, name, preferred_username]
            .into_iter()
            .flatten()
            .find_map(Self::truncating)
            .or_else(|| {
                let cleaned: String = fallback.chars().filter(|c| !c.is_control()).collect();
                Self::truncating(&cleaned)
            })
            .unwrap_or_else(|| Self(DEFAULT_NICKNAME.to_owned()))
    }

    /// Like [`Nickname::parse`], but truncates an over-long candidate instead of refusing it.
    fn truncating(raw: &str) -> Option<Self> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.chars().any(char::is_control) {
            return None;
        }
        let cut: String = trimmed.chars().take(NICKNAME_MAX_CHARS).collect();
        Self::parse(&cut).ok()
    }

    /// The nickname as stored and displayed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the nickname, giving back its text.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Nickname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Nickname {
    type Error = ProfileError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<Nickname> for String {
    fn from(nickname: Nickname) -> Self {
        nickname.0
    }
}

/// The URL of a user's profile picture: `http://` or `https://`, with a non-empty host, at most
/// 2048 characters, with no whitespace.
///
/// The scheme is matched case-insensitively (`HTTPS://` is accepted) and the URL is stored as given
/// once trimmed. Only the shape is checked; whether the image exists is not the domain's concern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProfileImage(String);

impl ProfileImage {
    /// Validates a profile image URL.
    ///
    /// # Errors
    /// In the order checked: [`ProfileError::ProfileImageTooLong`],
    /// [`ProfileError::ProfileImageWhitespace`], [`ProfileError::ProfileImageScheme`],
    /// [`ProfileError::ProfileImageHost`], [`ProfileError::ProfileImagePort`].
    pub fn parse(raw: &str) -> Result<Self, ProfileError> {
        let url = raw.trim();
        if url.chars().count() > PROFILE_IMAGE_MAX_CHARS {
            return Err(ProfileError::ProfileImageTooLong);
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ProfileError::ProfileImageWhitespace);
        }
        let rest = strip_prefix_ignore_ascii_case(url, "https://")
            .or_else(|| strip_prefix_ignore_ascii_case(url, "http://"))
            .ok_or(ProfileError::ProfileImageScheme)?;
        check_authority(rest)?;
        Ok(Self(url.to_owned()))
    }

    /// The URL as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the value, giving back the URL.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ProfileImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ProfileImage {
    type Error = ProfileError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<ProfileImage> for String {
    fn from(image: ProfileImage) -> Self {
        image.0
    }
}

/// `text` without `prefix`, comparing ASCII letters case-insensitively.
fn strip_prefix_ignore_ascii_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// Checks the authority of a URL (what follows `scheme://`, up to the path, query or fragment):
/// `[userinfo@]host[:port]`, where host is a name, an IPv4 address or a bracketed IPv6 address.
fn check_authority(after_scheme: &str) -> Result<(), ProfileError> {
    let end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let authority = after_scheme.get(..end).unwrap_or(after_scheme);
    // Userinfo ends at the last '@'; the host comes after it.
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host_port)| host_port);

    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (inside, after) = bracketed
            .split_once(']')
            .ok_or(ProfileError::ProfileImageHost)?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or(ProfileError::ProfileImagePort)?,
            ),
        };
        (inside, port)
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };

    if host.is_empty() {
        return Err(ProfileError::ProfileImageHost);
    }
    if let Some(port) = port {
        // An empty port (`http://host:/`) is allowed by RFC 3986 and means the default one.
        let numeric = port.chars().all(|c| c.is_ascii_digit());
        if !numeric || (!port.is_empty() && port.parse::<u16>().is_err()) {
            return Err(ProfileError::ProfileImagePort);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nickname_is_trimmed() {
        assert_eq!(
            Nickname::parse("  미니 \t").map(|n| n.into_string()),
            Ok("미니".to_owned())
        );
    }

    #[test]
    fn nickname_refuses_empty_and_blank() {
        assert_eq!(Nickname::parse(""), Err(ProfileError::NicknameBlank));
        assert_eq!(Nickname::parse("   \t "), Err(ProfileError::NicknameBlank));
    }

    #[test]
    fn nickname_counts_characters_not_bytes() {
        let thirty_korean = "가".repeat(30);
        assert!(thirty_korean.len() > 30);
        assert!(Nickname::parse(&thirty_korean).is_ok());
        assert_eq!(
            Nickname::parse(&"가".repeat(31)),
            Err(ProfileError::NicknameTooLong)
        );
    }

    #[test]
    fn nickname_length_bounds() {
        assert!(Nickname::parse("a").is_ok());
        assert!(Nickname::parse(&"a".repeat(30)).is_ok());
        assert_eq!(
            Nickname::parse(&"a".repeat(31)),
            Err(ProfileError::NicknameTooLong)
        );
        // Surrounding whitespace does not count.
        assert!(Nickname::parse(&format!("  {}  ", "a".repeat(30))).is_ok());
    }

    #[test]
    fn nickname_refuses_control_characters() {
        for raw in ["a\nb", "a\u{0}b", "a\u{7f}b", "a\tb", "a\u{9b}b"] {
            assert_eq!(
                Nickname::parse(raw),
                Err(ProfileError::NicknameControlCharacter),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn nickname_keeps_inner_spaces() {
        assert_eq!(
            Nickname::parse(" Jane  Doe ").map(|n| n.into_string()),
            Ok("Jane  Doe".to_owned())
        );
    }

    #[test]
    fn nickname_errors_name_the_field_and_rule() {
        assert_eq!(
            ProfileError::NicknameTooLong.to_string(),
            "nickname must be 1 to 30 characters"
        );
        assert!(
            ProfileError::NicknameBlank
                .to_string()
                .starts_with("nickname")
        );
        assert!(
            ProfileError::NicknameControlCharacter
                .to_string()
                .starts_with("nickname")
        );
    }

    #[test]
    fn nickname_display_and_conversions() {
        let Ok(nick) = Nickname::parse("user0") else {
            panic!("valid nickname")
        };
        assert_eq!(nick.to_string(), "user0");
        assert_eq!(nick.as_str(), "user0");
        assert_eq!(String::from(nick.clone()), "user0");
        assert_eq!(Nickname::try_from(" user0 ".to_owned()), Ok(nick));
        assert_eq!(
            Nickname::try_from(String::new()),
            Err(ProfileError::NicknameBlank)
        );
    }

    #[test]
    fn claims_prefer_nickname_then_name_then_preferred_username() {
        let pick = |a, b, c| Nickname::from_claims(a, b, c, "fallback").into_string();
        assert_eq!(pick(Some("nick"), Some("name"), Some("pref")), "nick");
        assert_eq!(pick(None, Some("name"), Some("pref")), "name");
        assert_eq!(pick(None, None, Some("pref")), "pref");
        assert_eq!(pick(None, None, None), "fallback");
    }

    #[test]
    fn claims_skip_unusable_candidates() {
        let pick = |a, b, c| Nickname::from_claims(a, b, c, "fallback").into_string();
        assert_eq!(pick(Some("  "), Some("name"), None), "name");
        assert_eq!(pick(Some("bad\nnick"), None, Some("pref")), "pref");
        assert_eq!(pick(Some(""), Some("\t"), Some("\u{0}")), "fallback");
    }

    #[test]
    fn claims_trim_candidates() {
        assert_eq!(
            Nickname::from_claims(Some("  Alice "), None, None, "x").as_str(),
            "Alice"
        );
    }

    #[test]
    fn claims_truncate_long_candidates_instead_of_skipping() {
        let long = "a".repeat(40);
        let picked = Nickname::from_claims(Some(&long), Some("name"), None, "x");
        assert_eq!(picked.as_str(), "a".repeat(30));

        let korean = "가".repeat(31);
        assert_eq!(
            Nickname::from_claims(Some(&korean), None, None, "x").as_str(),
            "가".repeat(30)
        );
    }

    #[test]
    fn claims_truncation_never_leaves_trailing_whitespace() {
        let raw = format!("{} tail", "a".repeat(29));
        assert_eq!(
            Nickname::from_claims(Some(&raw), None, None, "x").as_str(),
            "a".repeat(29)
        );
    }

    #[test]
    fn claims_fallback_is_cleaned() {
        assert_eq!(
            Nickname::from_claims(None, None, None, " user\u{0}42 ").as_str(),
            "user42"
        );
        let long = format!("user{}", "9".repeat(40));
        assert_eq!(
            Nickname::from_claims(None, None, None, &long)
                .as_str()
                .chars()
                .count(),
            30
        );
    }

    #[test]
    fn claims_default_when_fallback_is_unusable() {
        assert_eq!(
            Nickname::from_claims(None, None, None, "").as_str(),
            DEFAULT_NICKNAME
        );
        assert_eq!(
            Nickname::from_claims(None, None, None, " \n ").as_str(),
            DEFAULT_NICKNAME
        );
    }

    #[test]
    fn image_accepts_http_and_https() {
        for raw in [
            "https://example.com/profile/user0.jpg",
            "http://example.com",
            "HTTPS://Example.com/a.png",
            "https://we-go-bucket.s3.ap-northeast-2.amazonaws.com/20251215083204_24ff6cae-f4a2-4e68-8f7a-fa4a087488b3_440x240.webp",
            "https://cdn.example.com:8443/a.png?size=64#x",
            "https://user:pw@example.com/a.png",
            "http://127.0.0.1/a.png",
            "http://[::1]:8080/a.png",
            "http://[::1]/a.png",
            "https://example.com?x=1",
            "https://example.com:/a.png",
        ] {
            let parsed = ProfileImage::parse(raw);
            assert_eq!(parsed.as_ref().map(ProfileImage::as_str), Ok(raw), "{raw}");
        }
    }

    #[test]
    fn image_is_trimmed() {
        assert_eq!(
            ProfileImage::parse("  https://example.com/a.png\n").map(ProfileImage::into_string),
            Ok("https://example.com/a.png".to_owned())
        );
    }

    #[test]
    fn image_refuses_other_schemes() {
        for raw in [
            "ftp://example.com/a.png",
            "example.com/a.png",
            "//example.com/a.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "https:/example.com",
            "http:example.com",
            "",
        ] {
            assert_eq!(
                ProfileImage::parse(raw),
                Err(ProfileError::ProfileImageScheme),
                "{raw}"
            );
        }
    }

    #[test]
    fn image_refuses_empty_host() {
        for raw in [
            "https://",
            "https:///a.png",
            "https://?x",
            "https://#x",
            "https://user@/a.png",
            "https://:443/a.png",
            "http://[]/a.png",
            "http://[::1/a.png",
        ] {
            assert_eq!(
                ProfileImage::parse(raw),
                Err(ProfileError::ProfileImageHost),
                "{raw}"
            );
        }
    }

    #[test]
    fn image_refuses_bad_ports() {
        for raw in [
            "https://example.com:http/a.png",
            "https://example.com:65536/a.png",
            "https://example.com:1:2/a.png",
            "http://[::1]x/a.png",
        ] {
            assert_eq!(
                ProfileImage::parse(raw),
                Err(ProfileError::ProfileImagePort),
                "{raw}"
            );
        }
    }

    #[test]
    fn image_refuses_whitespace_and_control_characters() {
        for raw in [
            "https://exa mple.com/a.png",
            "https://example.com/a b.png",
            "https://example.com/\u{0}",
        ] {
            assert_eq!(
                ProfileImage::parse(raw),
                Err(ProfileError::ProfileImageWhitespace),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn image_length_bound() {
        let prefix = "https://example.com/";
        let at_limit = format!(
            "{prefix}{}",
            "a".repeat(PROFILE_IMAGE_MAX_CHARS - prefix.len())
        );
        assert_eq!(at_limit.chars().count(), 2048);
        assert!(ProfileImage::parse(&at_limit).is_ok());
        let over = format!("{at_limit}a");
        assert_eq!(
            ProfileImage::parse(&over),
            Err(ProfileError::ProfileImageTooLong)
        );
    }

    #[test]
    fn image_errors_name_the_field_and_rule() {
        assert_eq!(
            ProfileError::ProfileImageScheme.to_string(),
            "profile image must be an http:// or https:// URL"
        );
        for error in [
            ProfileError::ProfileImageTooLong,
            ProfileError::ProfileImageWhitespace,
            ProfileError::ProfileImageHost,
            ProfileError::ProfileImagePort,
        ] {
            assert!(error.to_string().starts_with("profile image"), "{error}");
        }
    }

    #[test]
    fn image_display_and_conversions() {
        let raw = "https://example.com/a.png";
        let Ok(image) = ProfileImage::parse(raw) else {
            panic!("valid URL")
        };
        assert_eq!(image.to_string(), raw);
        assert_eq!(String::from(image.clone()), raw);
        assert_eq!(ProfileImage::try_from(raw.to_owned()), Ok(image));
    }

    proptest! {
        #[test]
        fn from_claims_always_gives_a_valid_nickname(
            nickname in proptest::option::of(".*"),
            name in proptest::option::of(".*"),
            preferred in proptest::option::of(".*"),
            fallback in ".*",
        ) {
            let picked = Nickname::from_claims(
                nickname.as_deref(),
                name.as_deref(),
                preferred.as_deref(),
                &fallback,
            );
            prop_assert_eq!(Nickname::parse(picked.as_str()), Ok(picked.clone()));
        }

        #[test]
        fn parse_is_idempotent(raw in ".*") {
            if let Ok(nick) = Nickname::parse(&raw) {
                prop_assert_eq!(Nickname::parse(nick.as_str()), Ok(nick.clone()));
            }
        }

        #[test]
        fn image_parse_never_panics(raw in ".*") {
            let _ = ProfileImage::parse(&raw);
        }
    }
}
