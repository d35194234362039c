//! HS256 tokens for the simulated users, signed with the server's secret (as `hourglass token`
//! does), so the load generator needs no identity provider.

use anyhow::Context as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// Token lifetime: longer than any run.
const TTL_S: u64 = 4 * 3600;

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    name: &'a str,
    iat: u64,
    exp: u64,
}

/// Signs tokens with one secret.
#[derive(Clone)]
pub struct Minter {
    key: EncodingKey,
    now: u64,
}

impl Minter {
    /// A minter for `secret`, issuing tokens dated now.
    ///
    /// # Errors
    /// A system clock before 1970.
    pub fn new(secret: &str) -> anyhow::Result<Self> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("system clock before 1970")?
            .as_secs();
        Ok(Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
            now,
        })
    }

    /// A token for `sub`; its nickname is `sub` cut to the server's 30 characters.
    ///
    /// # Errors
    /// The JWT library refuses to sign.
    pub fn mint(&self, sub: &str) -> anyhow::Result<String> {
        let name: String = sub
            .chars()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let claims = Claims {
            sub,
            name: &name,
            iat: self.now,
            exp: self.now + TTL_S,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .context("signing a token")
    }
}
