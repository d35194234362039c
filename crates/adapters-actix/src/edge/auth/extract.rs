//! Where REST finds the token, and how authentication failures become HTTP answers.
//!
//! 401 `UNAUTHORIZED` (with `WWW-Authenticate: Bearer`) carries a reason ("access token
//! expired", "invalid access token: wrong issuer") so clients can tell "refresh the token" from
//! other faults; the token itself is never repeated. A token of a deleted account gets 401
//! `ACCOUNT_DELETED` instead, so a client knows not to retry. Key sources that cannot be reached give 503,
//! storage failures 503/500, as everywhere else.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};

use super::{AuthError, Principal};
use crate::edge::error::ApiError;
use crate::edge::rate_limit::retry_after_seconds;
use crate::state::AppState;

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Missing | AuthError::Expired | AuthError::Invalid(_) => {
                Self::unauthorized(error.to_string())
            }
            AuthError::AccountDeleted => Self::account_deleted(),
            AuthError::KeysUnavailable(_) => Self::unavailable(&error),
            AuthError::Storage(storage) => Self::from(storage),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case).
///
/// # Errors
/// [`AuthError::Missing`] without the header; [`AuthError::Invalid`] for another scheme or an
/// unreadable value.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(AuthError::Missing);
    };
    let value = value
        .to_str()
        .map_err(|_| AuthError::Invalid("unreadable Authorization header".into()))?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Invalid(
            "the Authorization header must use the Bearer scheme".into(),
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token)
}

/// Authenticates a raw token (from SSE's `accessToken`, a WebSocket subprotocol, …).
///
/// # Errors
/// 401 for a missing or refused token, 503 when the keys or the database are unreachable.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    Ok(state.auth.authenticate(token).await?)
}

/// The signed-in caller of a REST request; taking it as a handler argument requires
/// `Authorization: Bearer` and counts the request against the caller's REST rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentUser(pub Principal);

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req.headers()).map(str::to_owned);
        Box::pin(async move {
            let Some(state) = state else {
                return Err(ApiError::internal(&std::io::Error::other(
                    "AppState is not registered with the App",
                )));
            };
            let principal = authenticate(&state, &token?).await?;
            state
                .limits
                .rest
                .check(&principal.user_id)
                .map_err(|wait| ApiError::rate_limited(retry_after_seconds(wait)))?;
            Ok(Self(principal))
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn headers(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn the_scheme_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER   abc "] {
            assert!(
                matches!(bearer_token(&headers(value)), Ok("abc")),
                "{value}"
            );
        }
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_refused() {
        assert!(matches!(
            bearer_token(&headers("Basic abc")),
            Err(AuthError::Invalid(_))
        ));
        assert!(matches!(
            bearer_token(&headers("Bearer")),
            Err(AuthError::Invalid(_) | AuthError::Missing)
        ));
        assert!(matches!(
            bearer_token(&HeaderMap::new()),
            Err(AuthError::Missing)
        ));
    }

    #[test]
    fn refusals_never_echo_the_token() {
        let error = ApiError::from(AuthError::Invalid("bad signature".into()));
        assert_eq!(error.code(), "UNAUTHORIZED");
        assert_eq!(error.message(), "invalid access token: bad signature");
    }
}
