//! Finding the API key of a request in CARTO's order: `Authorization: Basic` first, then
//! `api_key`/`map_key` in the query string, then in the body.

use base64::Engine;
use hyper::header::{HeaderMap, AUTHORIZATION};

use crate::http::form::Params;
use crate::pg::accounts::{ApiKey, User};

/// How the key reached the server (recorded in the request log instead of the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Basic,
    Query,
    Body,
    /// `Authorization: Bearer` (CARTO 3).
    Bearer,
    None,
}

impl Transport {
    /// Its name in the request log.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Basic => "basic",
            Transport::Query => "query",
            Transport::Body => "body",
            Transport::Bearer => "bearer",
            Transport::None => "none",
        }
    }
}

/// The credentials a request presented, before they are checked against a user.
#[derive(Debug, Clone, PartialEq)]
pub struct Presented {
    pub transport: Transport,
    pub token: Option<String>,
    /// The user name of a Basic header (must match the request's user).
    pub basic_user: Option<String>,
}

/// Parses `Authorization: Basic base64(user:key)`; anything else yields `None`.
pub fn parse_basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, key) = text.split_once(':')?;
    Some((user.to_string(), key.to_string()))
}

fn key_param(p: &Params) -> Option<String> {
    p.get_str("api_key")
        .filter(|s| !s.is_empty())
        .or_else(|| p.get_str("map_key").filter(|s| !s.is_empty()))
}

pub fn extract(headers: &HeaderMap, query: &Params, body: &Params) -> Presented {
    if let Some((user, key)) = parse_basic(headers) {
        return Presented {
            transport: Transport::Basic,
            token: Some(key),
            basic_user: Some(user),
        };
    }
    if let Some(token) = key_param(query) {
        return Presented {
            transport: Transport::Query,
            token: Some(token),
            basic_user: None,
        };
    }
    if let Some(token) = key_param(body) {
        return Presented {
            transport: Transport::Body,
            token: Some(token),
            basic_user: None,
        };
    }
    Presented {
        transport: Transport::None,
        token: None,
        basic_user: None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// The Basic user is not the request's user: 403 `permission denied`.
    WrongUser,
    /// The key does not exist: 401 `Unauthorized`.
    UnknownKey,
}

/// Resolves presented credentials to one of the user's keys; no key means the public key.
pub fn resolve<'u>(user: &'u User, presented: &Presented) -> Result<&'u ApiKey, AuthFailure> {
    if let Some(basic_user) = &presented.basic_user {
        if basic_user != &user.username {
            return Err(AuthFailure::WrongUser);
        }
    }
    match &presented.token {
        None => Ok(user.default_key()),
        Some(token) => user.key_by_token(token).ok_or(AuthFailure::UnknownKey),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::form::parse_urlencoded;
    use crate::pg::accounts::{KeyType, User};
    use hyper::header::HeaderValue;

    fn key(name: &str, t: KeyType, token: &str) -> ApiKey {
        let now = chrono::Utc::now();
        ApiKey {
            name: name.into(),
            key_type: t,
            token: token.into(),
            role: format!("r_{name}"),
            apis: vec!["sql".into()],
            tables: vec![],
            schemas: vec![],
            services: vec![],
            created_at: now,
            updated_at: now,
        }
    }

    fn demo() -> User {
        User {
            username: "demo".into(),
            id: "id".into(),
            email: "e".into(),
            schema: "demo".into(),
            keys: vec![
                key("Master", KeyType::Master, "m"),
                key("Default public", KeyType::Default, "default_public"),
                key("r", KeyType::Regular, "rk"),
            ],
        }
    }

    fn basic(user: &str, key: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{key}"));
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {v}")).unwrap(),
        );
        h
    }

    #[test]
    fn basic_beats_query_beats_body() {
        let q = parse_urlencoded(b"api_key=fromquery");
        let b = parse_urlencoded(b"api_key=frombody");
        let p = extract(&basic("demo", "frombasic"), &q, &b);
        assert_eq!(p.transport, Transport::Basic);
        assert_eq!(p.token.as_deref(), Some("frombasic"));
        let p = extract(&HeaderMap::new(), &q, &b);
        assert_eq!(
            (p.transport, p.token.as_deref()),
            (Transport::Query, Some("fromquery"))
        );
        let p = extract(&HeaderMap::new(), &Params::default(), &b);
        assert_eq!(
            (p.transport, p.token.as_deref()),
            (Transport::Body, Some("frombody"))
        );
        let p = extract(&HeaderMap::new(), &Params::default(), &Params::default());
        assert_eq!((p.transport, p.token), (Transport::None, None));
    }

    #[test]
    fn map_key_is_used_when_api_key_is_absent() {
        let q = parse_urlencoded(b"map_key=mk");
        let p = extract(&HeaderMap::new(), &q, &Params::default());
        assert_eq!(p.token.as_deref(), Some("mk"));
        let q = parse_urlencoded(b"map_key=mk&api_key=ak");
        assert_eq!(
            extract(&HeaderMap::new(), &q, &Params::default())
                .token
                .as_deref(),
            Some("ak")
        );
    }

    #[test]
    fn a_malformed_basic_header_falls_through_to_the_query() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        let q = parse_urlencoded(b"api_key=q");
        assert_eq!(
            extract(&h, &q, &Params::default()).transport,
            Transport::Query
        );
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(
            extract(&h, &q, &Params::default()).transport,
            Transport::Query
        );
    }

    #[test]
    fn resolution_follows_cartos_rules() {
        let u = demo();
        let none = extract(&HeaderMap::new(), &Params::default(), &Params::default());
        assert_eq!(resolve(&u, &none).unwrap().key_type, KeyType::Default);
        let wrong_user = extract(&basic("other", "m"), &Params::default(), &Params::default());
        assert_eq!(resolve(&u, &wrong_user), Err(AuthFailure::WrongUser));
        let bad = extract(
            &HeaderMap::new(),
            &parse_urlencoded(b"api_key=nope"),
            &Params::default(),
        );
        assert_eq!(resolve(&u, &bad), Err(AuthFailure::UnknownKey));
        let good = extract(&basic("demo", "rk"), &Params::default(), &Params::default());
        assert_eq!(resolve(&u, &good).unwrap().name, "r");
    }
}
