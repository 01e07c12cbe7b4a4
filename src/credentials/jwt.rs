//! The claims of a JWT access token, read without verifying its signature.
//!
//! A client cannot verify CARTO's signature usefully (the server does, on every request); what
//! it needs is the expiry, and that comes from `exp` — seconds since the epoch, set by the
//! issuer — never from a field a client computed with its own clock (carto-auth's
//! `expiration` is off by the local UTC offset).

use base64::Engine;
use serde::Deserialize;

/// Seconds since the epoch, now (the clock tokens' `exp` is compared with).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The claims cartoauth reads; others are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct Claims {
    /// Expiry, seconds since the epoch.
    #[serde(default, deserialize_with = "seconds")]
    pub exp: Option<i64>,
    /// Issue time, seconds since the epoch.
    #[serde(default, deserialize_with = "seconds")]
    pub iat: Option<i64>,
    /// Issuer (`https://auth.carto.com/`).
    #[serde(default)]
    pub iss: Option<String>,
    /// Subject: `auth0|…` for users, `<client id>@clients` for M2M clients.
    #[serde(default)]
    pub sub: Option<String>,
    /// Authorized party: the client id that asked for the token.
    #[serde(default)]
    pub azp: Option<String>,
}

/// `exp` and `iat` as integers; a float (`1.7e9`) is accepted and truncated, anything else is
/// treated as absent.
fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        _ => None,
    })
}

/// The largest payload decoded: CARTO's tokens are about 1 KB.
const MAX_PAYLOAD: usize = 16 * 1024;

impl Claims {
    /// The claims of `token`, or `None` when it is not a JWT (three base64url parts whose
    /// middle one is a JSON object).
    pub(crate) fn of(token: &str) -> Option<Claims> {
        let mut parts = token.split('.');
        let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || payload.is_empty() || payload.len() > MAX_PAYLOAD {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        match serde_json::from_slice::<serde_json::Value>(&bytes).ok()? {
            object @ serde_json::Value::Object(_) => serde_json::from_value(object).ok(),
            _ => None,
        }
    }

    /// Whether the token names `client_id` as its client (`azp`, or `sub` = `<id>@clients`);
    /// `None` when it names no client at all.
    pub(crate) fn names_client(&self, client_id: &str) -> Option<bool> {
        if let Some(azp) = &self.azp {
            return Some(azp == client_id);
        }
        let sub = self.sub.as_deref()?;
        sub.strip_suffix("@clients").map(|id| id == client_id)
    }
}

#[cfg(test)]
pub(crate) fn fake(claims: &serde_json::Value) -> String {
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.{}",
        enc(br#"{"alg":"RS256","typ":"JWT"}"#),
        enc(claims.to_string().as_bytes()),
        enc(b"not-a-signature")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exp_iat_and_client_are_read_from_the_payload() {
        let token = fake(&json!({"exp": 1700000120, "iat": 1700000000,
            "iss": "https://auth.carto.com/", "sub": "abc@clients", "gty": "client-credentials"}));
        let claims = Claims::of(&token).unwrap();
        assert_eq!(claims.exp, Some(1700000120));
        assert_eq!(claims.iat, Some(1700000000));
        assert_eq!(claims.names_client("abc"), Some(true));
        assert_eq!(claims.names_client("other"), Some(false));
        let user = Claims::of(&fake(&json!({"exp": 5, "sub": "auth0|x", "azp": "pub"}))).unwrap();
        assert_eq!(user.names_client("pub"), Some(true));
        let anonymous = Claims::of(&fake(&json!({"exp": 5, "sub": "auth0|x"}))).unwrap();
        assert_eq!(anonymous.names_client("pub"), None);
    }

    #[test]
    fn non_jwts_and_odd_claims_are_not_trusted() {
        for token in [
            "opaque-token",
            "a.b",
            "a.b.c.d",
            "a.!!!.c",
            "a..c",
            &format!("a.{}.c", "A".repeat(MAX_PAYLOAD + 1)),
        ] {
            assert_eq!(Claims::of(token), None, "{token}");
        }
        let odd = Claims::of(&fake(&json!({"exp": "tomorrow", "iat": 1.5e9}))).unwrap();
        assert_eq!(odd.exp, None);
        assert_eq!(odd.iat, Some(1_500_000_000));
        let array = fake(&json!([1, 2]));
        assert_eq!(Claims::of(&array), None);
    }
}
