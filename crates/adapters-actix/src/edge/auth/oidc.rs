//! Tokens of an OpenID Connect issuer (`OIDC_ISSUER_URL`), verified with its published keys.
//!
//! On first use the verifier reads `<issuer>/.well-known/openid-configuration`, takes its
//! `issuer` and `jwks_uri`, and caches the key set (JWKS). A token whose `kid` is not in the cache
//! triggers one refetch, but never more often than the configured minimum interval, so forged
//! `kid`s cannot make us hammer the issuer. The issuer claim is checked against discovery's
//! `issuer` unless `JWT_ISSUER` overrides it.
//!
//! Each key's algorithm is pinned by the key itself (its `alg`, else its type: RSA → RS256…,
//! EC P-256 → ES256, P-384 → ES384); HMAC and `none` tokens never reach a key. When discovery or
//! the JWKS cannot be fetched the answer is [`AuthError::KeysUnavailable`] (a 503, not "bad
//! token"): the caller did nothing wrong.
//!
//! The HTTP client speaks `http://` and `https://` (rustls with the aws-lc-rs provider and the
//! platform's CA roots); tests use a local `http://` issuer.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use super::hs256::{ALGORITHM_NOT_ACCEPTED, decode, validation};
use super::{AuthError, TokenVerifier, VerifiedToken};

/// The reason given when no cached key has the token's `kid`, even after a refetch.
pub(crate) const UNKNOWN_KEY_ID: &str = "unknown key id";

/// How long one discovery or JWKS request may take; a hung issuer must not hold requests long.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// After a failed fetch, the least time before the next attempt (capped by the configured
/// minimum): long enough to spare a struggling issuer, short enough to recover quickly.
const FAILED_FETCH_BACKOFF: Duration = Duration::from_secs(5);

/// What `OIDC_ISSUER_URL` and its neighbours configure.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The issuer URL; discovery is at `<url>/.well-known/openid-configuration`.
    pub issuer_url: String,
    /// `JWT_ISSUER`: when set, the `iss` required instead of discovery's `issuer`.
    pub issuer_override: Option<String>,
    /// `JWT_AUDIENCE`: the `aud` required, when set.
    pub audience: Option<String>,
    /// Least time between two JWKS refetches triggered by an unknown `kid`.
    pub min_refresh: Duration,
    /// Whether this issuer owns the users created before identities had an issuer (it is the
    /// server's primary key source).
    pub claims_legacy_users: bool,
}

/// The discovery document fields we use.
#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

/// A JWKS read key by key: one key we cannot parse (an encryption key, a new algorithm) is
/// skipped rather than making the whole set unusable.
#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<serde_json::Value>,
}

/// The cached keys and the issuer they belong to.
struct KeySet {
    issuer: String,
    keys: Vec<Jwk>,
}

/// When the keys were last fetched, and whether that worked.
struct FetchState {
    at: Instant,
    succeeded: bool,
}

/// Verifies tokens with an OIDC issuer's JWKS.
pub struct OidcVerifier {
    settings: OidcSettings,
    client: reqwest::Client,
    /// The current keys; read without waiting, replaced after each successful fetch.
    cache: RwLock<Option<Arc<KeySet>>>,
    /// Held across a fetch so that concurrent requests with the same unknown `kid` cause one
    /// fetch, not one each.
    fetch: tokio::sync::Mutex<Option<FetchState>>,
}

impl OidcVerifier {
    /// A verifier for `settings`; nothing is fetched until the first token arrives, so the
    /// server starts even while the issuer is down.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(settings: OidcSettings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .build()?;
        Ok(Self {
            settings,
            client,
            cache: RwLock::new(None),
            fetch: tokio::sync::Mutex::new(None),
        })
    }

    fn cached(&self) -> Option<Arc<KeySet>> {
        // A poisoned lock only means a panic while swapping an `Arc`; the value is still whole.
        match self.cache.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn store(&self, keys: Arc<KeySet>) {
        match self.cache.write() {
            Ok(mut guard) => *guard = Some(keys),
            Err(poisoned) => *poisoned.into_inner() = Some(keys),
        }
    }

    /// The cached keys, fetching them when there are none (or when `refresh` asks for newer
    /// ones and the minimum interval has passed). `seen` is the key set the caller already
    /// looked in: if another request refreshed meanwhile, its result is used instead.
    async fn keys(
        &self,
        refresh: bool,
        seen: Option<&Arc<KeySet>>,
    ) -> Result<Arc<KeySet>, AuthError> {
        let mut last = self.fetch.lock().await;
        let current = self.cached();
        if let Some(current) = &current {
            let newer = seen.is_none_or(|seen| !Arc::ptr_eq(seen, current));
            if !refresh || newer {
                return Ok(current.clone());
            }
        }
        if let Some(previous) = last.as_ref() {
            let wait = if previous.succeeded {
                self.settings.min_refresh
            } else {
                self.settings.min_refresh.min(FAILED_FETCH_BACKOFF)
            };
            if previous.at.elapsed() < wait {
                return match current {
                    Some(current) => Ok(current),
                    None => Err(AuthError::KeysUnavailable(
                        "the issuer's keys could not be fetched recently; retrying later".into(),
                    )),
                };
            }
        }
        let fetched = self.fetch_keys().await;
        *last = Some(FetchState {
            at: Instant::now(),
            succeeded: fetched.is_ok(),
        });
        let keys = Arc::new(fetched?);
        self.store(keys.clone());
        Ok(keys)
    }

    async fn fetch_keys(&self) -> Result<KeySet, AuthError> {
        let unavailable = |error: reqwest::Error| AuthError::KeysUnavailable(Box::new(error));
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.settings.issuer_url.trim_end_matches('/')
        );
        let discovery: Discovery = self
            .client
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let raw: RawKeySet = self
            .client
            .get(&discovery.jwks_uri)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let keys: Vec<Jwk> = raw
            .keys
            .into_iter()
            .filter_map(|key| serde_json::from_value(key).ok())
            .collect();
        tracing::info!(
            jwks_uri = %discovery.jwks_uri,
            keys = keys.len(),
            "fetched the OIDC key set"
        );
        Ok(KeySet {
            issuer: discovery.issuer,
            keys,
        })
    }

    fn verify_with(
        &self,
        token: &str,
        keys: &KeySet,
        jwk: &Jwk,
    ) -> Result<VerifiedToken, AuthError> {
        let Some(algorithms) = pinned_algorithms(jwk) else {
            return Err(AuthError::Invalid(ALGORITHM_NOT_ACCEPTED.into()));
        };
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|_| AuthError::Invalid(ALGORITHM_NOT_ACCEPTED.into()))?;
        let issuer = self
            .settings
            .issuer_override
            .as_deref()
            .unwrap_or(&keys.issuer);
        let mut validation = validation(
            algorithms[0],
            Some(issuer),
            self.settings.audience.as_deref(),
        );
        validation.algorithms = algorithms;
        // The issuer half of the identity is the verified `iss` (required by `validation`).
        decode(token, &key, &validation)
            .map(|token| token.vouched_by(None, self.settings.claims_legacy_users))
    }
}

/// The algorithms `jwk` may verify: its own `alg` when it names one, else what its type implies.
/// `None` for keys that must not verify signatures (HMAC secrets in a public JWKS, unknown types).
fn pinned_algorithms(jwk: &Jwk) -> Option<Vec<Algorithm>> {
    let family_ok = |algorithm: Algorithm| match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            algorithm,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(_) => {
            matches!(algorithm, Algorithm::ES256 | Algorithm::ES384)
        }
        AlgorithmParameters::OctetKeyPair(_) => algorithm == Algorithm::EdDSA,
        _ => false,
    };
    if let Some(declared) = jwk.common.key_algorithm {
        let algorithm = Algorithm::try_from(declared).ok()?;
        return family_ok(algorithm).then(|| vec![algorithm]);
    }
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Some(vec![Algorithm::RS256]),
        AlgorithmParameters::EllipticCurve(params) => match params.curve {
            EllipticCurve::P256 => Some(vec![Algorithm::ES256]),
            EllipticCurve::P384 => Some(vec![Algorithm::ES384]),
            _ => None,
        },
        AlgorithmParameters::OctetKeyPair(_) => Some(vec![Algorithm::EdDSA]),
        _ => None,
    }
}

/// The key of `keys` for a token with `kid` (or, without one, the first key whose algorithm
/// fits the token's).
fn find_key<'a>(keys: &'a KeySet, kid: Option<&str>, algorithm: Algorithm) -> Option<&'a Jwk> {
    match kid {
        Some(kid) => keys
            .keys
            .iter()
            .find(|jwk| jwk.common.key_id.as_deref() == Some(kid)),
        None => keys.keys.iter().find(|jwk| {
            pinned_algorithms(jwk).is_some_and(|algorithms| algorithms.contains(&algorithm))
        }),
    }
}

#[async_trait]
impl TokenVerifier for OidcVerifier {
    async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::Invalid("malformed token".into()))?;
        // HMAC tokens are never an issuer's: refuse them before touching the network.
        if matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return Err(AuthError::Invalid(ALGORITHM_NOT_ACCEPTED.into()));
        }
        let kid = header.kid.as_deref();
        let keys = self.keys(false, None).await?;
        if let Some(jwk) = find_key(&keys, kid, header.alg) {
            return self.verify_with(token, &keys, jwk);
        }
        // Perhaps the issuer rotated its keys: look once more, at most once per interval.
        let refreshed = self.keys(true, Some(&keys)).await?;
        match find_key(&refreshed, kid, header.alg) {
            Some(jwk) => self.verify_with(token, &refreshed, jwk),
            None => Err(AuthError::Invalid(UNKNOWN_KEY_ID.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token whose header names RS256 and `kid` "a"; the rest is never looked at when the
    /// keys cannot be fetched.
    const RS256_HEADER_ONLY: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImEifQ.e30.c2ln";

    fn settings(issuer_url: &str) -> OidcSettings {
        OidcSettings {
            issuer_url: issuer_url.to_owned(),
            issuer_override: None,
            audience: None,
            min_refresh: Duration::ZERO,
            claims_legacy_users: false,
        }
    }

    #[actix_web::test]
    async fn an_unreachable_https_issuer_is_keys_unavailable() -> Result<(), reqwest::Error> {
        // Nothing listens there: the TLS connection fails, which is no "bad token".
        let verifier = OidcVerifier::new(settings("https://127.0.0.1:1"))?;
        let outcome = verifier.verify(RS256_HEADER_ONLY).await;
        assert!(
            matches!(outcome, Err(AuthError::KeysUnavailable(_))),
            "{outcome:?}"
        );
        Ok(())
    }

    #[actix_web::test]
    async fn hmac_tokens_are_refused_without_fetching() -> Result<(), reqwest::Error> {
        let verifier = OidcVerifier::new(settings("http://127.0.0.1:1"))?;
        // {"alg":"HS256"}
        let outcome = verifier.verify("eyJhbGciOiJIUzI1NiJ9.e30.c2ln").await;
        assert!(
            matches!(&outcome, Err(AuthError::Invalid(reason)) if reason == ALGORITHM_NOT_ACCEPTED),
            "{outcome:?}"
        );
        Ok(())
    }
}
