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
//!
//! The server's own origin is where the connection was accepted (`http(s)://<local address>`)
//! unless the peer is one of `TRUSTED_PROXIES`: only then are `Forwarded`, `X-Forwarded-Host`,
//! `X-Forwarded-Proto` and `Host` believed. Anyone can send those headers, and a page whose
//! name was re-pointed at the server (DNS rebinding) makes the browser send its own name as
//! `Host` and `Origin`, so trusting them from any peer would turn the same-origin rule into
//! "whatever the request claims".

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;
use ipnet::IpNet;

use crate::edge::error::ApiError;

/// The `Origin` value of opaque origins.
const NULL_ORIGIN: &str = "null";

/// The peers (`TRUSTED_PROXIES`: addresses and CIDR blocks) whose `Host`, `Forwarded` and
/// `X-Forwarded-*` headers say what the server's own origin is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of IP addresses (`10.0.0.1`, `::1`) and CIDR blocks
    /// (`10.0.0.0/8`, `fd00::/8`); blank entries are skipped, so `""` trusts no one.
    ///
    /// # Errors
    /// A message naming the first entry that is neither.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "{entry:?} is not an IP address or CIDR block (e.g. 10.0.0.1, 10.0.0.0/8, fd00::/8)"
                        )
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether `peer` is trusted. An IPv4 peer seen on an IPv6 socket (`::ffff:10.0.0.1`)
    /// matches IPv4 entries.
    pub fn contains(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.0.iter().any(|net| net.contains(&peer))
    }
}

/// Which browser origins may open a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OriginPolicy {
    /// Listed origins, normalised by [`normalise`].
    allowed: Vec<String>,
    /// Whose forwarding headers name the server's own origin.
    trusted_proxies: TrustedProxies,
}

impl OriginPolicy {
    /// The policy for the configured `CORS_ALLOWED_ORIGINS` entries and `TRUSTED_PROXIES`.
    pub fn new<S: AsRef<str>>(entries: &[S], trusted_proxies: &TrustedProxies) -> Self {
        Self {
            allowed: entries.iter().map(|e| normalise(e.as_ref())).collect(),
            trusted_proxies: trusted_proxies.clone(),
        }
    }

    /// The server's own origin as this request reached it: from the forwarding headers when
    /// the peer is a trusted proxy, else the scheme and local address the connection was
    /// accepted on, whatever `Host` says.
    fn own_origin(&self, request: &HttpRequest) -> String {
        let proxied = request
            .peer_addr()
            .is_some_and(|peer| self.trusted_proxies.contains(peer.ip()));
        if proxied {
            let info = request.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        } else {
            let config = request.app_config();
            let scheme = if config.secure() { "https" } else { "http" };
            format!("{scheme}://{}", config.local_addr())
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
        if self.allows(origin, &self.own_origin(request)) {
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
        let policy = OriginPolicy::new(
            &["https://app.example.com", "ws://localhost:5173"],
            &TrustedProxies::default(),
        );
        assert!(policy.allows(Some("https://app.example.com"), OWN));
        assert!(policy.allows(Some("http://localhost:5173"), OWN));
        assert!(!policy.allows(Some("http://app.example.com"), OWN));
        assert!(!policy.allows(Some("http://localhost:5174"), OWN));
        let secure = OriginPolicy::new(&["wss://app.example.com"], &TrustedProxies::default());
        assert!(secure.allows(Some("https://app.example.com"), OWN));
        assert!(!secure.allows(Some("http://app.example.com"), OWN));
    }

    #[test]
    fn default_ports_are_ignored() {
        let policy = OriginPolicy::new(
            &["https://app.example.com:443", "http://a.example:80"],
            &TrustedProxies::default(),
        );
        assert!(policy.allows(Some("https://app.example.com"), OWN));
        assert!(policy.allows(Some("http://a.example"), OWN));
        assert!(policy.allows(Some("http://h"), "http://h:80"));
    }

    #[test]
    fn null_is_allowed_only_when_listed() {
        assert!(!OriginPolicy::default().allows(Some("null"), OWN));
        assert!(!OriginPolicy::default().allows(Some("null"), "null"));
        assert!(OriginPolicy::new(&["null"], &TrustedProxies::default()).allows(Some("null"), OWN));
    }

    #[test]
    fn trusted_proxies_are_addresses_and_cidr_blocks() -> Result<(), String> {
        let trusted = TrustedProxies::parse(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,")?;
        for peer in ["10.1.2.3", "192.168.1.7", "fd00::1", "::ffff:10.0.0.1"] {
            let ip: IpAddr = peer.parse().map_err(|e| format!("{e}"))?;
            assert!(trusted.contains(ip), "{peer}");
        }
        for peer in ["11.0.0.1", "192.168.1.8", "fe80::1", "127.0.0.1"] {
            let ip: IpAddr = peer.parse().map_err(|e| format!("{e}"))?;
            assert!(!trusted.contains(ip), "{peer}");
        }
        assert_eq!(TrustedProxies::parse("")?, TrustedProxies::default());
        for bad in ["10.0.0.0/33", "proxy.internal", "10.0.0"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    fn handshake(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
        let mut request = actix_web::test::TestRequest::get()
            .uri("/v1/ws/timers")
            .peer_addr(peer.parse().unwrap_or_else(|_| panic!("{peer}")));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        request.to_http_request()
    }

    /// A spoofed `Host`, `Forwarded` or `X-Forwarded-*` makes no origin "our own" unless the
    /// peer is a trusted proxy.
    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() -> Result<(), String> {
        let spoofs: [&[(&str, &str)]; 3] = [
            &[
                ("origin", "https://evil.example"),
                ("x-forwarded-host", "evil.example"),
                ("x-forwarded-proto", "https"),
            ],
            &[
                ("origin", "https://evil.example"),
                ("forwarded", "host=evil.example;proto=https"),
            ],
            &[("origin", "http://evil.example"), ("host", "evil.example")],
        ];
        let untrusted = OriginPolicy::new(&[] as &[&str], &TrustedProxies::default());
        let trusted = OriginPolicy::new(&[] as &[&str], &TrustedProxies::parse("10.0.0.0/8")?);
        for headers in spoofs {
            let direct = handshake("203.0.113.9:4000", headers);
            assert!(untrusted.check(&direct).is_err(), "{headers:?}");
            assert!(trusted.check(&direct).is_err(), "{headers:?}");
            let proxied = handshake("10.0.0.2:4000", headers);
            assert!(untrusted.check(&proxied).is_err(), "{headers:?}");
            assert!(trusted.check(&proxied).is_ok(), "{headers:?}");
        }
        Ok(())
    }
}
