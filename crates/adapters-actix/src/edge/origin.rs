//! The browser `Origin` allow-list of the WebSocket (and SSE) handshakes.
//!
//! `timer-api.md`, "Connecting": a request without `Origin` (native apps, servers) or whose
//! `Origin` is the server's own scheme and host is allowed; any other origin must be listed in
//! `CORS_ALLOWED_ORIGINS`, where entries written `ws://` / `wss://` match `http://` / `https://`
//! (the original guide tells front-end developers to list their WebSocket URL, and a browser
//! always sends the page's http(s) origin), and `null` (a `file://` page, a sandboxed frame) is
//! allowed only when listed literally. Anything else is refused with 403 `FORBIDDEN` before the
//! upgrade, because a browser would otherwise let any web page act with the user's token.
//!
//! Comparison is ASCII case-insensitive and ignores an explicit default port (`:80` for http,
//! `:443` for https), since browsers never send one.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::edge::error::ApiError;

/// The `Origin` value of opaque origins.
const NULL_ORIGIN: &str = "null";

/// Which browser origins may open a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OriginPolicy {
    /// Listed origins, normalised by [`normalise`].
    allowed: Vec<String>,
}

impl OriginPolicy {
    /// The policy for the configured `CORS_ALLOWED_ORIGINS` entries.
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Self {
        Self {
            allowed: entries.iter().map(|e| normalise(e.as_ref())).collect(),
        }
    }

    /// Whether a request with this `Origin` (`None`: no header) may connect to the server whose
    /// own origin is `own` (`scheme://host[:port]` of the request).
    pub fn allows(&self, origin: Option<&str>, own: &str) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        let origin = normalise(origin);
        if origin == NULL_ORIGIN {
            return self.allowed.iter().any(|a| a == NULL_ORIGIN);
        }
        origin == normalise(own) || self.allowed.contains(&origin)
    }

    /// Refuses `request` with 403 `FORBIDDEN` unless its `Origin` is allowed.
    ///
    /// # Errors
    /// [`ApiError::forbidden`] naming the refused origin.
    pub fn check(&self, request: &HttpRequest) -> Result<(), ApiError> {
        let origin = match request.headers().get(header::ORIGIN) {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| ApiError::forbidden("the Origin header is not readable text"))?,
            ),
        };
        let info = request.connection_info();
        let own = format!("{}://{}", info.scheme(), info.host());
        if self.allows(origin, &own) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "origin {:?} is not allowed; list it in CORS_ALLOWED_ORIGINS",
                origin.unwrap_or_default()
            )))
        }
    }
}

/// Lower case, `ws`/`wss` as `http`/`https`, no default port, no trailing slash.
fn normalise(origin: &str) -> String {
    let lower = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = match lower.split_once("://") {
        Some(("ws", rest)) => ("http", rest),
        Some(("wss", rest)) => ("https", rest),
        Some((scheme, rest)) => (scheme, rest),
        None => return lower,
    };
    let default_port = match scheme {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    let host = default_port
        .and_then(|port| rest.strip_suffix(port))
        .unwrap_or(rest);
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "http://api.example.com:8000";

    #[test]
    fn no_origin_and_same_origin_are_allowed() {
        let policy = OriginPolicy::default();
        assert!(policy.allows(None, OWN));
        assert!(policy.allows(Some("http://api.example.com:8000"), OWN));
        assert!(policy.allows(Some("HTTP://API.example.com:8000"), OWN));
        assert!(!policy.allows(Some("https://api.example.com:8000"), OWN));
        assert!(!policy.allows(Some("http://evil.example.com"), OWN));
    }

    #[test]
    fn listed_origins_match_and_ws_entries_match_http() {
        let policy = OriginPolicy::new(&["https://app.example.com", "ws://localhost:5173"]);
        assert!(policy.allows(Some("https://app.example.com"), OWN));
        assert!(policy.allows(Some("http://localhost:5173"), OWN));
        assert!(!policy.allows(Some("http://app.example.com"), OWN));
        assert!(!policy.allows(Some("http://localhost:5174"), OWN));
        let secure = OriginPolicy::new(&["wss://app.example.com"]);
        assert!(secure.allows(Some("https://app.example.com"), OWN));
        assert!(!secure.allows(Some("http://app.example.com"), OWN));
    }

    #[test]
    fn default_ports_are_ignored() {
        let policy = OriginPolicy::new(&["https://app.example.com:443", "http://a.example:80"]);
        assert!(policy.allows(Some("https://app.example.com"), OWN));
        assert!(policy.allows(Some("http://a.example"), OWN));
        assert!(policy.allows(Some("http://h"), "http://h:80"));
    }

    #[test]
    fn null_is_allowed_only_when_listed() {
        assert!(!OriginPolicy::default().allows(Some("null"), OWN));
        assert!(!OriginPolicy::default().allows(Some("null"), "null"));
        assert!(OriginPolicy::new(&["null"]).allows(Some("null"), OWN));
    }
}
