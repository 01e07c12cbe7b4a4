//! API access tokens (`POST /v3/tokens`): long-lived tokens bound to grants (a connection and
//! a source), the APIs they may call and the referers they may come from. CARTO's are short
//! HS256 JWTs with an account (`a`) and a token id (`jti`) and no expiry (inferred from the
//! tokens in CARTO's public examples); the emulator mints them the same way and keeps what
//! each one allows here.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::oauth::keys::Keys;

/// Tokens kept at once; more are refused rather than grown without bound.
const MAX_TOKENS: usize = 10_000;
/// The APIs a token may be allowed (CARTO's documentation names these four).
pub const APIS: [&str; 4] = ["sql", "maps", "imports", "lds"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub connection_name: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    /// The `jti` of the token.
    pub id: String,
    pub account_id: String,
    pub grants: Vec<Grant>,
    pub referers: Vec<String>,
    pub allowed_apis: Vec<String>,
    pub created_at: String,
}

/// The whitespace-insensitive form of a source, so that a query sent with other line breaks
/// than the grant's still matches (the match is a string comparison, as far as is known).
fn normalized(source: &str) -> String {
    source
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(';')
        .trim_end()
        .to_string()
}

impl ApiToken {
    /// Whether a grant covers `source` on `connection`.
    pub fn covers(&self, connection: &str, source: &str) -> bool {
        let wanted = normalized(source);
        self.grants
            .iter()
            .any(|g| g.connection_name == connection && normalized(&g.source) == wanted)
    }

    pub fn allows_api(&self, api: &str) -> bool {
        self.allowed_apis.iter().any(|a| a == api)
    }

    /// An empty list allows any referer (and requests without one); otherwise the request's
    /// `Referer` (or `Origin`) must start with one of them.
    pub fn allows_referer(&self, referer: Option<&str>) -> bool {
        self.referers.is_empty()
            || referer.is_some_and(|r| self.referers.iter().any(|allowed| r.starts_with(allowed)))
    }
}

#[derive(Serialize, Deserialize)]
struct StaticClaims {
    a: String,
    jti: String,
}

#[derive(Default)]
pub struct ApiTokens {
    tokens: Mutex<HashMap<String, ApiToken>>,
}

impl ApiTokens {
    /// Mints a token; returns it with what it allows.
    pub fn create(
        &self,
        keys: &Keys,
        account_id: &str,
        grants: Vec<Grant>,
        referers: Vec<String>,
        allowed_apis: Vec<String>,
    ) -> Result<(String, ApiToken), String> {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).map_err(|e| e.to_string())?;
        let id: String = b.iter().map(|x| format!("{x:02x}")).collect();
        let record = ApiToken {
            id: id.clone(),
            account_id: account_id.to_string(),
            grants,
            referers,
            allowed_apis,
            created_at: chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
        };
        let token = self.encode(keys, &record);
        let mut all = self.tokens.lock().unwrap();
        if all.len() >= MAX_TOKENS {
            return Err(format!("at most {MAX_TOKENS} API access tokens at once"));
        }
        if all.contains_key(&id) {
            return Err("token id collision; try again".into());
        }
        all.insert(id, record.clone());
        Ok((token, record))
    }

    /// The token of a record (HS256 is deterministic: the same claims give the same token).
    pub fn encode(&self, keys: &Keys, record: &ApiToken) -> String {
        let claims = StaticClaims {
            a: record.account_id.clone(),
            jti: record.id.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.hs_encoding)
            .expect("HS256 signing cannot fail")
    }

    /// The record of a token this emulator minted and has not deleted.
    pub fn verify(&self, keys: &Keys, token: &str) -> Option<ApiToken> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<StaticClaims>(token, &keys.hs_decoding, &v).ok()?;
        let all = self.tokens.lock().unwrap();
        all.get(&data.claims.jti)
            .filter(|t| t.account_id == data.claims.a)
            .cloned()
    }

    pub fn list(&self, account_id: &str) -> Vec<ApiToken> {
        let mut v: Vec<ApiToken> = self
            .tokens
            .lock()
            .unwrap()
            .values()
            .filter(|t| t.account_id == account_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        v
    }

    /// Deletes a token of the account by id; whether it existed.
    pub fn delete(&self, account_id: &str, id: &str) -> bool {
        let mut all = self.tokens.lock().unwrap();
        if all.get(id).is_some_and(|t| t.account_id == account_id) {
            all.remove(id);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_its_grants_and_nothing_else() {
        let keys = Keys::generate().unwrap();
        let store = ApiTokens::default();
        let (token, rec) = store
            .create(
                &keys,
                "ac_demo",
                vec![Grant {
                    connection_name: "carto_dw".into(),
                    source: "SELECT * FROM points_public".into(),
                }],
                vec!["https://app.example/".into()],
                vec!["sql".into()],
            )
            .unwrap();
        let back = store.verify(&keys, &token).unwrap();
        assert_eq!(back, rec);
        assert!(back.covers("carto_dw", "SELECT *\n  FROM points_public;"));
        assert!(!back.covers("carto_dw", "SELECT * FROM points_private"));
        assert!(!back.covers("other", "SELECT * FROM points_public"));
        assert!(back.allows_api("sql") && !back.allows_api("maps"));
        assert!(back.allows_referer(Some("https://app.example/page")));
        assert!(!back.allows_referer(Some("https://evil.example/")));
        assert!(!back.allows_referer(None));
        // Tampering breaks the signature; deleting forgets it.
        let mut forged = token.clone();
        forged.pop();
        assert!(store.verify(&keys, &forged).is_none());
        assert!(store.verify(&Keys::generate().unwrap(), &token).is_none());
        assert!(!store.delete("ac_other", &rec.id));
        assert!(store.delete("ac_demo", &rec.id));
        assert!(store.verify(&keys, &token).is_none());
    }
}
