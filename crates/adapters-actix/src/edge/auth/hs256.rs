//! HS256 tokens signed with the shared `JWT_SECRET`.

use async_trait::async_trait;
use hourglass_domain::time::Timestamp;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{AuthError, TokenVerifier, VerifiedToken};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECONDS: u64 = 5;

/// The reason given when the signature does not verify with the key tried. With several key
/// sources configured, [`super::any_of::AnyOf`] moves on to the next source on this reason.
pub(crate) const BAD_SIGNATURE: &str = "bad signature";

/// The reason given when the token's `alg` is not the one the key is pinned to (including
/// `none`); [`super::any_of::AnyOf`] moves on to the next source on this reason too.
pub(crate) const ALGORITHM_NOT_ACCEPTED: &str = "algorithm not accepted";

// `sub` and `exp` are optional here so that a token without them reaches the claim checks and is
// refused as "missing claim sub" rather than as a malformed token.
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    exp: Option<i64>,
    iss: Option<String>,
    iat: Option<i64>,
    nickname: Option<String>,
    name: Option<String>,
    preferred_username: Option<String>,
    picture: Option<String>,
}

/// Verifies HS256 tokens; any other algorithm (including `none`) is refused.
pub struct Hs256Verifier {
    key: DecodingKey,
    validation: Validation,
    claims_legacy_users: bool,
}

impl Hs256Verifier {
    /// A verifier for `secret`, checking `iss`/`aud` when given.
    pub fn new(secret: &[u8], issuer: Option<&str>, audience: Option<&str>) -> Self {
        Self {
            key: DecodingKey::from_secret(secret),
            validation: validation(Algorithm::HS256, issuer, audience),
            claims_legacy_users: false,
        }
    }

    /// This source is the primary one: it owns the users created before identities had an
    /// issuer.
    #[must_use]
    pub fn claiming_legacy_users(mut self) -> Self {
        self.claims_legacy_users = true;
        self
    }
}

/// The checks every verifier applies: `exp` and `sub` required, `nbf` honoured, one algorithm.
pub(crate) fn validation(
    algorithm: Algorithm,
    issuer: Option<&str>,
    audience: Option<&str>,
) -> Validation {
    let mut validation = Validation::new(algorithm);
    // jsonwebtoken checks `iss`/`aud` only when the token carries them: a configured issuer or
    // audience must also make the claim required, or a token without it would pass.
    let mut required = vec!["exp", "sub"];
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECONDS;
    if let Some(issuer) = issuer {
        validation.set_issuer(&[issuer]);
        required.push("iss");
    }
    match audience {
        Some(audience) => {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(&required);
    validation
}

/// Decodes and checks `token` with `key`, mapping failures to [`AuthError`].
/// The longest `sub` accepted, in characters: the `users.subject` column's CHECK.
pub const MAX_SUBJECT_CHARS: usize = 255;

pub(crate) fn decode(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<VerifiedToken, AuthError> {
    let data =
        jsonwebtoken::decode::<Claims>(token, key, validation).map_err(|error| {
            match error.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::ImmatureSignature => AuthError::Invalid("token not yet valid".into()),
                ErrorKind::InvalidIssuer => AuthError::Invalid("wrong issuer".into()),
                ErrorKind::InvalidAudience => AuthError::Invalid("wrong audience".into()),
                ErrorKind::InvalidSignature => AuthError::Invalid(BAD_SIGNATURE.into()),
                ErrorKind::InvalidAlgorithm => AuthError::Invalid(ALGORITHM_NOT_ACCEPTED.into()),
                ErrorKind::MissingRequiredClaim(claim) => {
                    AuthError::Invalid(format!("missing claim {claim}"))
                }
                _ => AuthError::Invalid("malformed token".into()),
            }
        })?;
    let claims = data.claims;
    let Some(subject) = claims.sub.filter(|sub| !sub.trim().is_empty()) else {
        return Err(AuthError::Invalid("missing claim sub".into()));
    };
    // What `users.subject` can hold: a longer or NUL-holding `sub` would fail the user's insert
    // as a server error, after the token was already accepted.
    if subject.chars().count() > MAX_SUBJECT_CHARS || subject.contains('\0') {
        return Err(AuthError::Invalid(format!(
            "claim sub must be at most {MAX_SUBJECT_CHARS} characters without NUL"
        )));
    }
    let Some(expires_at) = claims.exp.and_then(Timestamp::from_unix_seconds) else {
        return Err(AuthError::Invalid(
            "missing or out-of-range claim exp".into(),
        ));
    };
    Ok(VerifiedToken {
        issuer: claims.iss.unwrap_or_default(),
        subject,
        issued_at: claims.iat.and_then(Timestamp::from_unix_seconds),
        claims_legacy_users: false,
        expires_at,
        nickname: claims.nickname,
        name: claims.name,
        preferred_username: claims.preferred_username,
        picture: claims.picture,
    })
}

#[async_trait]
impl TokenVerifier for Hs256Verifier {
    async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        decode(token, &self.key, &self.validation)
            .map(|token| token.vouched_by(Some(super::SECRET_ISSUER), self.claims_legacy_users))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: &serde_json::Value) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(b"k"),
        )
    }

    fn in_ten_minutes() -> i64 {
        chrono::Utc::now().timestamp() + 600
    }

    #[actix_web::test]
    async fn a_configured_issuer_and_audience_are_required()
    -> Result<(), Box<dyn std::error::Error>> {
        let verifier = Hs256Verifier::new(b"k", Some("https://iss"), Some("aud"));
        let exp = in_ten_minutes();
        let bare = token(&serde_json::json!({ "sub": "a", "exp": exp }))?;
        let no_aud = token(&serde_json::json!({ "sub": "a", "exp": exp, "iss": "https://iss" }))?;
        let full = token(
            &serde_json::json!({ "sub": "a", "exp": exp, "iss": "https://iss", "aud": "aud" }),
        )?;
        assert!(
            matches!(verifier.verify(&bare).await, Err(AuthError::Invalid(r)) if r.contains("iss"))
        );
        assert!(
            matches!(verifier.verify(&no_aud).await, Err(AuthError::Invalid(r)) if r.contains("aud"))
        );
        assert_eq!(verifier.verify(&full).await?.subject, "a");
        Ok(())
    }

    #[actix_web::test]
    async fn sub_and_exp_are_required_and_expiry_is_its_own_reason()
    -> Result<(), Box<dyn std::error::Error>> {
        let verifier = Hs256Verifier::new(b"k", None, None);
        let no_sub = token(&serde_json::json!({ "exp": in_ten_minutes() }))?;
        let no_exp = token(&serde_json::json!({ "sub": "a" }))?;
        let expired = token(&serde_json::json!({ "sub": "a", "exp": 1_000 }))?;
        assert!(
            matches!(verifier.verify(&no_sub).await, Err(AuthError::Invalid(r)) if r.contains("sub"))
        );
        assert!(
            matches!(verifier.verify(&no_exp).await, Err(AuthError::Invalid(r)) if r.contains("exp"))
        );
        assert!(matches!(
            verifier.verify(&expired).await,
            Err(AuthError::Expired)
        ));
        Ok(())
    }

    /// A `sub` the users table cannot hold is refused as an invalid token (401), not left to
    /// fail the user's insert (500).
    #[actix_web::test]
    async fn a_sub_the_users_table_cannot_hold_is_refused() -> Result<(), Box<dyn std::error::Error>>
    {
        let verifier = Hs256Verifier::new(b"k", None, None);
        let exp = in_ten_minutes();
        let longest = "s".repeat(MAX_SUBJECT_CHARS);
        for refused in ["s".repeat(MAX_SUBJECT_CHARS + 1), "a\0b".to_owned()] {
            let token = token(&serde_json::json!({ "sub": refused, "exp": exp }))?;
            assert!(
                matches!(verifier.verify(&token).await, Err(AuthError::Invalid(r)) if r.contains("sub")),
                "{refused:?}"
            );
        }
        let token = token(&serde_json::json!({ "sub": longest, "exp": exp }))?;
        assert_eq!(verifier.verify(&token).await?.subject, longest);
        Ok(())
    }
}
