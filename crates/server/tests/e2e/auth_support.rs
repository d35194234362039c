//! What the authentication tests share: token minting for every variant, the key fixtures, and a
//! tiny local OpenID Connect issuer whose key set can be rotated or taken down.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context as _;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TEST_JWT_SECRET, TestApp};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Valid claims for `sub`: issued now, expiring in ten minutes.
pub fn claims(sub: &str) -> Value {
    json!({ "sub": sub, "iat": now(), "exp": now() + 600 })
}

/// `claims` with `extra` merged in (a `null` value removes the claim).
pub fn with(mut claims: Value, extra: Value) -> Value {
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        for (name, value) in extra {
            if value.is_null() {
                claims.remove(name);
            } else {
                claims.insert(name.clone(), value.clone());
            }
        }
    }
    claims
}

/// An HS256 token signed with `secret`.
pub fn hs256_with(secret: &[u8], claims: &Value) -> anyhow::Result<String> {
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )?)
}

/// An HS256 token signed with the test servers' secret.
pub fn hs256(claims: &Value) -> anyhow::Result<String> {
    hs256_with(TEST_JWT_SECRET.as_bytes(), claims)
}

/// A fixture file under `tests/e2e/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e/fixtures")
        .join(name)
}

/// The path of a fixture as a `&str` flag value.
pub fn fixture_arg(name: &str) -> anyhow::Result<String> {
    fixture(name)
        .to_str()
        .map(str::to_owned)
        .context("the fixture path is not UTF-8")
}

/// The encoding key of a private-key fixture (`rsa-…` or `ec-…`).
pub fn private_key(name: &str) -> anyhow::Result<EncodingKey> {
    let pem = std::fs::read(fixture(name))?;
    Ok(if name.starts_with("ec") {
        EncodingKey::from_ec_pem(&pem)?
    } else {
        EncodingKey::from_rsa_pem(&pem)?
    })
}

/// A token signed with `algorithm` by the private-key fixture `key`, with `kid` when given.
pub fn signed(
    algorithm: Algorithm,
    key: &str,
    kid: Option<&str>,
    claims: &Value,
) -> anyhow::Result<String> {
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    Ok(jsonwebtoken::encode(&header, claims, &private_key(key)?)?)
}

/// An unsigned token (`alg: none`, empty signature).
pub fn alg_none(claims: &Value) -> String {
    let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = base64url(claims.to_string().as_bytes());
    format!("{header}.{payload}.")
}

/// Unpadded base64url, as JWTs use.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [n >> 18, n >> 12, n >> 6, n];
        for sextet in sextets.iter().take(chunk.len() + 1) {
            let index = usize::try_from(sextet & 63).unwrap_or(0);
            if let Some(&c) = ALPHABET.get(index) {
                out.push(char::from(c));
            }
        }
    }
    out
}

/// `GET /api/v1/users/me` with `token`: the status, the JSON body and `WWW-Authenticate`.
pub async fn me(app: &TestApp, token: &str) -> anyhow::Result<(StatusCode, Value, Option<String>)> {
    let response = app
        .client
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(token)
        .send()
        .await?;
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await?;
    Ok((status, body, challenge))
}

/// Asserts that `token` is refused with 401, `WWW-Authenticate: Bearer` and a message holding
/// `reason` (and never the token).
pub async fn assert_refused(app: &TestApp, token: &str, reason: &str) -> anyhow::Result<()> {
    let (status, body, challenge) = me(app, token).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{reason}: {body}");
    assert_eq!(body["code"], "UNAUTHORIZED", "{reason}: {body}");
    assert_eq!(challenge.as_deref(), Some("Bearer"), "{reason}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(reason),
        "expected {reason:?} in {message:?}"
    );
    assert!(!message.contains(token), "the message echoes the token");
    Ok(())
}

/// Asserts that `token` signs in (200 with a user).
pub async fn assert_accepted(app: &TestApp, token: &str) -> anyhow::Result<Value> {
    let (status, body, _) = me(app, token).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["id"].is_i64(), "{body}");
    Ok(body)
}

/// A local OpenID Connect issuer over http: discovery plus a JWKS that tests can rotate or
/// take down, counting how often the JWKS is fetched.
pub struct TestIssuer {
    /// `http://127.0.0.1:<port>`, also the `issuer` its discovery document names.
    pub url: String,
    keys: Arc<Mutex<JwkSet>>,
    fetches: Arc<AtomicUsize>,
    up: Arc<AtomicBool>,
    handle: ServerHandle,
}

#[derive(Clone)]
struct IssuerState {
    url: String,
    keys: Arc<Mutex<JwkSet>>,
    fetches: Arc<AtomicUsize>,
    up: Arc<AtomicBool>,
}

async fn discovery(state: web::Data<IssuerState>) -> HttpResponse {
    if !state.up.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    HttpResponse::Ok().json(json!({
        "issuer": state.url,
        "jwks_uri": format!("{}/jwks", state.url),
    }))
}

async fn jwks(state: web::Data<IssuerState>) -> HttpResponse {
    if !state.up.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    state.fetches.fetch_add(1, Ordering::SeqCst);
    let keys = match state.keys.lock() {
        Ok(keys) => keys.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    HttpResponse::Ok().json(keys)
}

/// The public JWK of the private-key fixture `key`, for `algorithm`, named `kid`.
pub fn jwk(key: &str, algorithm: Algorithm, kid: &str) -> anyhow::Result<Jwk> {
    let mut jwk = Jwk::from_encoding_key(&private_key(key)?, algorithm)?;
    jwk.common.key_id = Some(kid.to_owned());
    Ok(jwk)
}

impl TestIssuer {
    /// Starts the issuer on `127.0.0.1:0` publishing `keys`.
    pub async fn start(keys: Vec<Jwk>) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = IssuerState {
            url: url.clone(),
            keys: Arc::new(Mutex::new(JwkSet { keys })),
            fetches: Arc::new(AtomicUsize::new(0)),
            up: Arc::new(AtomicBool::new(true)),
        };
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            url,
            keys: state.keys,
            fetches: state.fetches,
            up: state.up,
            handle,
        })
    }

    /// Replaces the published keys (a key rotation).
    pub fn rotate(&self, keys: Vec<Jwk>) {
        match self.keys.lock() {
            Ok(mut current) => current.keys = keys,
            Err(poisoned) => poisoned.into_inner().keys = keys,
        }
    }

    /// How often the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Makes discovery and the JWKS answer 503 (`false`) or work again (`true`).
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    /// Stops the issuer.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}
