//! `hourglass token`: mints an HS256 JWT for development and tests, signed with the same secret
//! the server verifies with.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::config::Secret;

/// What goes into a token.
#[derive(Debug, Clone)]
pub struct TokenRequest<'a> {
    /// `sub`: the user.
    pub sub: &'a str,
    /// `name`, when given.
    pub name: Option<&'a str>,
    /// Seconds from `iat` to `exp`.
    pub ttl_seconds: u64,
    /// `iss`, when set.
    pub issuer: Option<&'a str>,
    /// `aud`, when set.
    pub audience: Option<&'a str>,
}

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Nothing to sign with.
    #[error(
        "`hourglass token` signs with JWT_SECRET: set JWT_SECRET (or JWT_SECRET_FILE), or pass \
         --jwt-secret"
    )]
    MissingSecret,
    /// `iat + ttl` does not fit a JWT timestamp.
    #[error("--ttl {0} is too large")]
    TtlTooLarge(u64),
    /// The JWT library refused to sign.
    #[error("cannot sign the token")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    iat: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

/// Signs `request` with `secret` (HS256), issued at `now` (Unix seconds). The caller passes the
/// time so this stays a pure function.
///
/// # Errors
/// [`TokenError::MissingSecret`] without a secret,
/// [`TokenError::TtlTooLarge`] when `exp` would overflow, [`TokenError::Sign`] if signing fails.
pub fn mint(
    secret: Option<&Secret>,
    request: &TokenRequest<'_>,
    now: i64,
) -> Result<String, TokenError> {
    let secret = secret.ok_or(TokenError::MissingSecret)?;
    let exp = i64::try_from(request.ttl_seconds)
        .ok()
        .and_then(|ttl| now.checked_add(ttl))
        .ok_or(TokenError::TtlTooLarge(request.ttl_seconds))?;
    let claims = Claims {
        sub: request.sub,
        name: request.name,
        iat: now,
        exp,
        iss: request.issuer,
        aud: request.audience,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose().as_bytes()),
    )
    .map_err(TokenError::Sign)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use jsonwebtoken::{DecodingKey, Validation};

    use super::*;

    const NOW: i64 = 1_750_000_000;

    fn secret() -> Secret {
        let Some(secret) = Secret::new("s3cret-s3cret-s3cret-s3cret-s3cret!") else {
            panic!("a non-empty secret was refused");
        };
        secret
    }

    fn request(ttl_seconds: u64) -> TokenRequest<'static> {
        TokenRequest {
            sub: "alice",
            name: Some("Alice"),
            ttl_seconds,
            issuer: Some("https://issuer.test"),
            audience: Some("hourglass"),
        }
    }

    fn claims_of(
        token: &str,
        secret: &str,
    ) -> Result<serde_json::Value, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        // The fixed `NOW` lies in the past, so expiry is checked by hand below.
        validation.validate_exp = false;
        validation.required_spec_claims = HashSet::new();
        validation.set_audience(&["hourglass"]);
        validation.set_issuer(&["https://issuer.test"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(
            token,
            &DecodingKey::from_secret(secret.as_bytes()),
            &validation,
        )?;
        Ok(data.claims)
    }

    #[test]
    fn the_token_carries_every_claim() -> anyhow::Result<()> {
        let secret = secret();
        let token = mint(Some(&secret), &request(60), NOW)?;
        let claims = claims_of(&token, "s3cret-s3cret-s3cret-s3cret-s3cret!")?;
        assert_eq!(
            claims,
            serde_json::json!({
                "sub": "alice",
                "name": "Alice",
                "iat": NOW,
                "exp": NOW + 60,
                "iss": "https://issuer.test",
                "aud": "hourglass",
            })
        );
        Ok(())
    }

    #[test]
    fn optional_claims_are_left_out() -> anyhow::Result<()> {
        let secret = secret();
        let bare = TokenRequest {
            sub: "bob",
            name: None,
            ttl_seconds: 5,
            issuer: None,
            audience: None,
        };
        let token = mint(Some(&secret), &bare, NOW)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(b"s3cret-s3cret-s3cret-s3cret-s3cret!"),
            &validation,
        )?;
        assert_eq!(
            data.claims,
            serde_json::json!({ "sub": "bob", "iat": NOW, "exp": NOW + 5 })
        );
        Ok(())
    }

    #[test]
    fn another_secret_does_not_verify_it() -> anyhow::Result<()> {
        let secret = secret();
        let token = mint(Some(&secret), &request(60), NOW)?;
        assert!(claims_of(&token, "other").is_err());
        Ok(())
    }

    #[test]
    fn a_secret_is_required() {
        assert!(matches!(
            mint(None, &request(60), NOW),
            Err(TokenError::MissingSecret)
        ));
        let message = TokenError::MissingSecret.to_string();
        assert!(message.contains("JWT_SECRET"), "{message}");
    }

    #[test]
    fn an_overflowing_ttl_is_refused() {
        let secret = secret();
        assert!(matches!(
            mint(Some(&secret), &request(u64::MAX), NOW),
            Err(TokenError::TtlTooLarge(_))
        ));
    }
}
