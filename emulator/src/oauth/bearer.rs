//! Checking the Bearer token of a CARTO 3 request: an access token the issuer signed (a user's
//! or an M2M application's, RS256), or an API access token from `POST /v3/tokens` (HS256).
//! The refusals are 401s with a JSON `error`; which APIs and sources a token may reach (403)
//! is decided by the v3 handlers.
//!
//! The messages are those of Node's jsonwebtoken/express-jwt (`jwt expired`, `invalid
//! signature`, ...), which CARTO's API appears to pass through (inferred from the
//! `{"error": "…expired…"}` of reference §7C; unconfirmed).

use hyper::header::{HeaderMap, AUTHORIZATION};
use hyper::StatusCode;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};

use crate::oauth::api_tokens::ApiToken;
use crate::oauth::issuer::{unix_now, Claims};
use crate::oauth::Identity;
use crate::pg::carto3::AUDIENCE;

/// Who a request is, once its token checked out.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// An OAuth access token (user or M2M).
    OAuth(Claims),
    /// An API access token with grants.
    Api(ApiToken),
}

impl Caller {
    pub fn account_id(&self) -> &str {
        match self {
            Caller::OAuth(c) => &c.account_id,
            Caller::Api(t) => &t.account_id,
        }
    }

    /// The OAuth client, for the request log (none for API access tokens).
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Caller::OAuth(c) => Some(&c.azp),
            Caller::Api(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum BearerError {
    Missing,
    Malformed,
    BadSignature,
    WrongAudience,
    WrongIssuer,
    /// Correctly signed, for this issuer and audience, but past its `exp`.
    Expired,
    /// An API access token this emulator does not know (or has deleted).
    UnknownApiToken,
}

impl BearerError {
    pub fn status(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    pub fn message(&self, issuer: &str) -> String {
        match self {
            BearerError::Missing => "No authorization token was found".into(),
            BearerError::Malformed => "jwt malformed".into(),
            BearerError::BadSignature => "invalid signature".into(),
            BearerError::WrongAudience => format!("jwt audience invalid. expected: {AUDIENCE}"),
            BearerError::WrongIssuer => format!("jwt issuer invalid. expected: {issuer}"),
            BearerError::Expired => "jwt expired".into(),
            BearerError::UnknownApiToken => "invalid token".into(),
        }
    }
}

/// How the token came: `Authorization: Bearer` or, where a route allows it, `access_token=`
/// in the query string.
pub fn bearer_header(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim().to_string())
        .filter(|t| !t.is_empty())
}

impl Identity {
    /// Checks a presented token; counts expired and accepted OAuth tokens by client.
    pub fn authenticate(&self, token: Option<&str>) -> Result<Caller, BearerError> {
        let token = token.ok_or(BearerError::Missing)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| BearerError::Malformed)?;
        match header.alg {
            Algorithm::HS256 => self
                .api_tokens
                .verify(&self.issuer.keys, token)
                .map(Caller::Api)
                .ok_or(BearerError::UnknownApiToken),
            Algorithm::RS256 => {
                let claims = self.verify_access_token(token)?;
                if unix_now() >= claims.exp {
                    self.issuer.count_expired(&claims.azp);
                    return Err(BearerError::Expired);
                }
                self.issuer.count_authenticated(&claims.azp);
                Ok(Caller::OAuth(claims))
            }
            _ => Err(BearerError::BadSignature),
        }
    }

    /// Signature, issuer and audience; expiry is the caller's check (so that an expired token
    /// is known to be one of ours before it is counted).
    fn verify_access_token(&self, token: &str) -> Result<Claims, BearerError> {
        let mut v = Validation::new(Algorithm::RS256);
        v.validate_exp = false;
        v.leeway = 0;
        v.set_audience(&[AUDIENCE]);
        v.set_issuer(&[&self.issuer.settings.issuer]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.issuer.keys.rs_decoding, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => {
                    BearerError::BadSignature
                }
                ErrorKind::InvalidAudience => BearerError::WrongAudience,
                ErrorKind::InvalidIssuer => BearerError::WrongIssuer,
                _ => BearerError::Malformed,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::api_tokens::ApiTokens;
    use crate::oauth::issuer::tests::issuer;
    use crate::oauth::issuer::Audience;
    use jsonwebtoken::Header;

    fn identity() -> Identity {
        Identity {
            issuer: issuer(),
            api_tokens: ApiTokens::default(),
        }
    }

    fn sign(c: &Identity, claims: &Claims) -> String {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(c.issuer.keys.kid.clone());
        jsonwebtoken::encode(&h, claims, &c.issuer.keys.rs_encoding).unwrap()
    }

    fn claims(c: &Identity) -> Claims {
        let now = unix_now();
        Claims {
            iss: c.issuer.settings.issuer.clone(),
            sub: "x@clients".into(),
            aud: Audience::One(AUDIENCE.into()),
            iat: now,
            exp: now + 60,
            azp: "x".into(),
            scope: String::new(),
            gty: None,
            email: "e".into(),
            account_id: "ac_demo".into(),
            org_id: None,
        }
    }

    #[test]
    fn every_kind_of_bad_token_has_its_own_refusal() {
        let c = identity();
        let good = claims(&c);
        assert!(matches!(
            c.authenticate(Some(&sign(&c, &good))),
            Ok(Caller::OAuth(_))
        ));
        assert_eq!(c.authenticate(None), Err(BearerError::Missing));
        assert_eq!(
            c.authenticate(Some("not.a.jwt")),
            Err(BearerError::Malformed)
        );
        let other = identity();
        assert_eq!(
            c.authenticate(Some(&sign(&other, &claims(&other)))),
            Err(BearerError::BadSignature)
        );
        let mut aud = good.clone();
        aud.aud = Audience::Many(vec!["other".into()]);
        assert_eq!(
            c.authenticate(Some(&sign(&c, &aud))),
            Err(BearerError::WrongAudience)
        );
        let mut iss = good.clone();
        iss.iss = "https://auth.carto.com/".into();
        assert_eq!(
            c.authenticate(Some(&sign(&c, &iss))),
            Err(BearerError::WrongIssuer)
        );
        let mut old = good.clone();
        old.exp = unix_now();
        assert_eq!(
            c.authenticate(Some(&sign(&c, &old))),
            Err(BearerError::Expired)
        );
        let counters = c.issuer.counters();
        assert_eq!(counters.expired_token_requests, 1);
        assert_eq!(counters.expired_by_client["x"], 1);
        assert_eq!(counters.authenticated_requests["x"], 1);
        // An unsigned token ("alg": "none") is no token at all.
        let none = format!(
            "{}.{}.",
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0",
            sign(&c, &good).split('.').nth(1).unwrap()
        );
        assert!(c.authenticate(Some(&none)).is_err());
    }

    #[test]
    fn the_bearer_header_is_found_case_insensitively() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, "bearer  abc ".parse().unwrap());
        assert_eq!(bearer_header(&h).as_deref(), Some("abc"));
        h.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer_header(&h), None);
        h.insert(AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(bearer_header(&h), None);
    }
}
