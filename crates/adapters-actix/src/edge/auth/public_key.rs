//! RS256/ES256 tokens verified with one PEM public key (`JWT_PUBLIC_KEY_FILE`).
//!
//! The accepted algorithms follow from the key, never from the token: an RSA key accepts only
//! `RS256`/`RS384`/`RS512`, an EC key only `ES256`/`ES384`. A token that names `HS256` and was
//! signed with the public key's bytes as an HMAC secret (the classic key-confusion attack) is
//! therefore refused before any signature is computed, and so is `alg: none`.

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use thiserror::Error;

use super::hs256::{decode, validation};
use super::{AuthError, TokenVerifier, VerifiedToken};

/// The algorithms an RSA public key may verify.
const RSA_ALGORITHMS: [Algorithm; 3] = [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512];

/// The algorithms an EC public key may verify (the curve decides which one actually succeeds).
const EC_ALGORITHMS: [Algorithm; 2] = [Algorithm::ES256, Algorithm::ES384];

/// The PEM file holds no RSA or EC public key.
#[derive(Debug, Error)]
#[error("not an RSA or EC public key in PEM form (-----BEGIN PUBLIC KEY-----)")]
pub struct KeyFileError;

/// The kind of key, which pins the algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA: RS256, RS384, RS512.
    Rsa,
    /// Elliptic curve: ES256, ES384.
    Ec,
}

/// Verifies tokens signed by the holder of one private key.
pub struct PublicKeyVerifier {
    kind: KeyKind,
    key: DecodingKey,
    validation: Validation,
    claims_legacy_users: bool,
}

impl PublicKeyVerifier {
    /// A verifier for the PEM public key `pem` (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`),
    /// checking `iss`/`aud` when given.
    ///
    /// # Errors
    /// [`KeyFileError`] when `pem` holds neither an RSA nor an EC public key.
    pub fn from_pem(
        pem: &[u8],
        issuer: Option<&str>,
        audience: Option<&str>,
    ) -> Result<Self, KeyFileError> {
        let (kind, key, algorithms) = if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            (KeyKind::Rsa, key, &RSA_ALGORITHMS[..])
        } else if let Ok(key) = DecodingKey::from_ec_pem(pem) {
            (KeyKind::Ec, key, &EC_ALGORITHMS[..])
        } else {
            return Err(KeyFileError);
        };
        let mut validation = validation(algorithms[0], issuer, audience);
        validation.algorithms = algorithms.to_vec();
        Ok(Self {
            kind,
            key,
            validation,
            claims_legacy_users: false,
        })
    }

    /// This source is the primary one: it owns the users created before identities had an
    /// issuer.
    #[must_use]
    pub fn claiming_legacy_users(mut self) -> Self {
        self.claims_legacy_users = true;
        self
    }

    /// The kind of key loaded.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }
}

#[async_trait]
impl TokenVerifier for PublicKeyVerifier {
    async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        decode(token, &self.key, &self.validation)
            .map(|token| token.vouched_by(Some(super::PUBLIC_KEY_ISSUER), self.claims_legacy_users))
    }
}
