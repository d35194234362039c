//! HS256 tokens signed with the shared `JWT_SECRET`.

use async_trait::async_trait;
use hourglass_domain::time::Timestamp;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{AuthError, TokenVerifier, VerifiedToken};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECONDS: u64 = 5;

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    nickname: Option<String>,
    name: Option<String>,
    preferred_username: Option<String>,
    picture: Option<String>,
}

/// Verifies HS256 tokens; any other algorithm (including `none`) is refused.
pub struct Hs256Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl Hs256Verifier {
    /// A verifier for `secret`, checking `iss`/`aud` when given.
    pub fn new(secret: &[u8], issuer: Option<&str>, audience: Option<&str>) -> Self {
        Self {
            key: DecodingKey::from_secret(secret),
            validation: validation(Algorithm::HS256, issuer, audience),
        }
    }
}

/// The checks every verifier applies: `exp` and `sub` required, `nbf` honoured, one algorithm.
pub(crate) fn validation(
    algorithm: Algorithm,
    issuer: Option<&str>,
    audience: Option<&str>,
) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECONDS;
    if let Some(issuer) = issuer {
        validation.set_issuer(&[issuer]);
    }
    match audience {
        Some(audience) => validation.set_audience(&[audience]),
        None => validation.validate_aud = false,
    }
    validation
}

/// Decodes and checks `token` with `key`, mapping failures to [`AuthError`].
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
                ErrorKind::InvalidSignature => AuthError::Invalid("bad signature".into()),
                ErrorKind::InvalidAlgorithm => AuthError::Invalid("algorithm not accepted".into()),
                ErrorKind::MissingRequiredClaim(claim) => {
                    AuthError::Invalid(format!("missing claim {claim}"))
                }
                _ => AuthError::Invalid("malformed token".into()),
            }
        })?;
    let claims = data.claims;
    if claims.sub.trim().is_empty() {
        return Err(AuthError::Invalid("missing claim sub".into()));
    }
    let Some(expires_at) = Timestamp::from_unix_seconds(claims.exp) else {
        return Err(AuthError::Invalid("exp out of range".into()));
    };
    Ok(VerifiedToken {
        subject: claims.sub,
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
    }
}
