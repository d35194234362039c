//! Several key sources at once (`JWT_SECRET`, `JWT_PUBLIC_KEY_FILE`, `OIDC_ISSUER_URL` together).
//!
//! The rule: sources are tried in the order given (the server passes secret, public key file,
//! OIDC). A source that refuses the token only because the token is not *its* token — the `alg`
//! is not the one its key is pinned to, the signature does not verify with its key, or the `kid`
//! is not in its key set — hands over to the next source. The first source whose key matches
//! decides: a token whose signature verifies but whose claims fail (expired, wrong issuer, …) is
//! refused with that reason and no other source is asked. When every source hands over, the last
//! one's reason is returned.

use std::sync::Arc;

use async_trait::async_trait;

use super::hs256::{ALGORITHM_NOT_ACCEPTED, BAD_SIGNATURE};
use super::oidc::UNKNOWN_KEY_ID;
use super::{AuthError, TokenVerifier, VerifiedToken};

/// Accepts a token that any of its sources accepts (see the module doc for the rule).
pub struct AnyOf {
    sources: Vec<Arc<dyn TokenVerifier>>,
}

impl AnyOf {
    /// Tries `sources` in this order.
    pub fn new(sources: Vec<Arc<dyn TokenVerifier>>) -> Self {
        Self { sources }
    }
}

/// Whether `error` only says "this token was not signed with my key".
fn is_not_mine(error: &AuthError) -> bool {
    matches!(
        error,
        AuthError::Invalid(reason)
            if reason == BAD_SIGNATURE || reason == ALGORITHM_NOT_ACCEPTED || reason == UNKNOWN_KEY_ID
    )
}

fn is_wrong_algorithm(error: &AuthError) -> bool {
    matches!(error, AuthError::Invalid(reason) if reason == ALGORITHM_NOT_ACCEPTED)
}

#[async_trait]
impl TokenVerifier for AnyOf {
    async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        let mut last = AuthError::Invalid(ALGORITHM_NOT_ACCEPTED.into());
        for source in &self.sources {
            match source.verify(token).await {
                Ok(verified) => return Ok(verified),
                // "Bad signature" or "unknown key id" from a source of the token's algorithm
                // says more than another source's "algorithm not accepted": keep it.
                Err(error) if is_not_mine(&error) => {
                    if !is_wrong_algorithm(&error) || is_wrong_algorithm(&last) {
                        last = error;
                    }
                }
                Err(error) => return Err(error),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::auth::hs256::Hs256Verifier;

    fn hs256_token(secret: &[u8], sub: &str) -> Result<String, jsonwebtoken::errors::Error> {
        let exp = chrono::Utc::now().timestamp() + 600;
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &serde_json::json!({ "sub": sub, "exp": exp }),
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
    }

    fn any_of_two() -> AnyOf {
        AnyOf::new(vec![
            Arc::new(Hs256Verifier::new(b"first-secret", None, None)),
            Arc::new(Hs256Verifier::new(
                b"second-secret",
                Some("https://issuer"),
                None,
            )),
        ])
    }

    #[actix_web::test]
    async fn the_source_whose_key_matches_decides() -> Result<(), Box<dyn std::error::Error>> {
        let verifier = any_of_two();
        // Accepted by the first source.
        let first = verifier.verify(&hs256_token(b"first-secret", "a")?).await?;
        assert_eq!(first.subject, "a");
        // The second source requires an issuer, which this token lacks: its key matched, so
        // that reason is the answer.
        let second = verifier.verify(&hs256_token(b"second-secret", "b")?).await;
        assert!(
            matches!(&second, Err(AuthError::Invalid(reason)) if reason.contains("iss")),
            "{second:?}"
        );
        Ok(())
    }

    #[actix_web::test]
    async fn a_token_no_source_knows_is_a_bad_signature() -> Result<(), Box<dyn std::error::Error>>
    {
        let outcome = any_of_two().verify(&hs256_token(b"third", "c")?).await;
        assert!(
            matches!(&outcome, Err(AuthError::Invalid(reason)) if reason == BAD_SIGNATURE),
            "{outcome:?}"
        );
        Ok(())
    }
}
