//! Who is calling: token verification and the signed-in user, shared by REST, WebSocket and SSE.
//!
//! A [`TokenVerifier`] checks a JWT's signature and claims (HS256 secret, RS256/ES256 public key,
//! or OIDC JWKS); the [`Authenticator`] then maps its identity to the numeric user, creating the
//! user on first sight.
//!
//! # Identity
//! A user is (issuer, subject), where the issuer names the key source that vouched for the token:
//! [`SECRET_ISSUER`] for `JWT_SECRET`, [`PUBLIC_KEY_ISSUER`] for `JWT_PUBLIC_KEY_FILE`, and the
//! verified `iss` for an OIDC issuer. So a development secret left configured beside OIDC can
//! mint tokens for its own users only, never for an OIDC user with the same `sub`. Users created
//! before identities had an issuer belong to the one source the server marks as primary
//! ([`VerifiedToken::claims_legacy_users`]). Transports only differ in where the token comes from: REST handlers take a
//! [`CurrentUser`] (the `Authorization: Bearer` header, plus the per-user REST rate limit); SSE
//! and WebSocket hand the token they found to [`authenticate`].
//!
//! # Layout
//! - [`hs256`]: `JWT_SECRET`, and the claim checks every verifier shares.
//! - [`public_key`]: `JWT_PUBLIC_KEY_FILE` (RS256/ES256), the algorithm pinned by the key type.
//! - [`oidc`]: `OIDC_ISSUER_URL`, discovery and a cached JWKS.
//! - [`any_of`]: several of them at once, and the rule that picks one.
//! - `extract`: [`CurrentUser`], [`bearer_token`], [`authenticate`] and the mapping to
//!   [`ApiError`](crate::edge::error::ApiError).

pub mod any_of;
mod extract;
pub mod hs256;
pub mod oidc;
pub mod public_key;

pub use extract::{CurrentUser, authenticate, bearer_token};

use std::sync::Arc;

use async_trait::async_trait;
use hourglass_domain::ids::UserId;
use hourglass_domain::profile::{Nickname, ProfileImage};
use hourglass_domain::time::Timestamp;
use hourglass_ports::error::{BoxError, StorageError};
use hourglass_ports::service::user::UserService;
use hourglass_ports::user::{Identity, InitialProfile, SignIn, SignInError};
use thiserror::Error;

/// The identity issuer of users whose tokens `JWT_SECRET` verified.
pub const SECRET_ISSUER: &str = "jwt-secret";
/// The identity issuer of users whose tokens `JWT_PUBLIC_KEY_FILE` verified.
pub const PUBLIC_KEY_ISSUER: &str = "jwt-public-key";

/// The claims of a verified token that Hourglass uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The key source that vouched for it (see the module doc, "Identity").
    pub issuer: String,
    /// `sub`: the stable external identity within its issuer.
    pub subject: String,
    /// `iat`, when present: decides whether a deleted account's identity may sign up again.
    pub issued_at: Option<Timestamp>,
    /// Whether its source is the primary one, which owns the users created before identities
    /// had an issuer.
    pub claims_legacy_users: bool,
    /// `exp`: when the token, and any session opened with it, ends.
    pub expires_at: Timestamp,
    /// `nickname` claim.
    pub nickname: Option<String>,
    /// `name` claim.
    pub name: Option<String>,
    /// `preferred_username` claim.
    pub preferred_username: Option<String>,
    /// `picture` claim.
    pub picture: Option<String>,
}

/// Why a caller is not signed in.
#[derive(Debug, Error)]
pub enum AuthError {
    /// No token was presented.
    #[error("missing access token")]
    Missing,
    /// The token's `exp` has passed.
    #[error("access token expired")]
    Expired,
    /// The token's account was deleted, and the token predates the deletion.
    #[error("the account of this token was deleted")]
    AccountDeleted,
    /// Bad signature, wrong issuer or audience, not yet valid, no `sub`, malformed… (the reason
    /// is safe to show: it never contains the token).
    #[error("invalid access token: {0}")]
    Invalid(String),
    /// The key source (OIDC discovery / JWKS) cannot be reached: not the caller's fault.
    #[error("token keys unavailable")]
    KeysUnavailable(#[source] BoxError),
    /// The user could not be loaded or created.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Checks a token and returns its claims.
#[async_trait]
pub trait TokenVerifier: Send + Sync {
    /// Verifies signature, `exp`, `nbf`, and `iss`/`aud` when configured.
    ///
    /// # Errors
    /// [`AuthError::Expired`], [`AuthError::Invalid`], or [`AuthError::KeysUnavailable`].
    async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError>;
}

/// A signed-in caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// The numeric user id.
    pub user_id: UserId,
    /// When the token expires; long-lived connections close then.
    pub expires_at: Timestamp,
}

/// Turns a token into a [`Principal`].
#[derive(Clone)]
pub struct Authenticator {
    verifier: Arc<dyn TokenVerifier>,
    users: UserService,
}

impl Authenticator {
    /// An authenticator over `verifier`, creating users through `users`.
    pub fn new(verifier: Arc<dyn TokenVerifier>, users: UserService) -> Self {
        Self { verifier, users }
    }

    /// Verifies `token` and finds or creates its user.
    ///
    /// # Errors
    /// Whatever [`TokenVerifier::verify`] returns, or [`AuthError::Storage`].
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        let verified = self.verifier.verify(token).await?;
        let sign_in = SignIn {
            identity: Identity {
                issuer: verified.issuer.clone(),
                subject: verified.subject.clone(),
            },
            issued_at: verified.issued_at,
            claims_legacy_users: verified.claims_legacy_users,
        };
        let user = self
            .users
            .sign_in(&sign_in, initial_profile(&verified))
            .await
            .map_err(|error| match error {
                SignInError::AccountDeleted => AuthError::AccountDeleted,
                SignInError::Storage(storage) => AuthError::Storage(storage),
            })?;
        Ok(Principal {
            user_id: user.id,
            expires_at: verified.expires_at,
        })
    }
}

impl VerifiedToken {
    /// The token as vouched for by a source named `issuer` (`None`: the verified `iss` claim
    /// names it), which owns the legacy users when `claims_legacy_users`.
    #[must_use]
    pub fn vouched_by(mut self, issuer: Option<&str>, claims_legacy_users: bool) -> Self {
        if let Some(issuer) = issuer {
            issuer.clone_into(&mut self.issuer);
        }
        self.claims_legacy_users = claims_legacy_users;
        self
    }
}

fn initial_profile(token: &VerifiedToken) -> InitialProfile {
    let nickname = Nickname::from_claims(
        token.nickname.as_deref(),
        token.name.as_deref(),
        token.preferred_username.as_deref(),
        &token.subject,
    );
    let profile_image = token
        .picture
        .as_deref()
        .and_then(|url| ProfileImage::parse(url).ok());
    InitialProfile {
        nickname,
        profile_image,
    }
}
