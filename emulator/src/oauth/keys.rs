//! The issuer's keys, made when the emulator starts (none is ever written to disk or
//! committed): an RS256 key pair for access tokens, published at `/.well-known/jwks.json`
//! with a `kid`, and an HS256 secret for the API access tokens `POST /v3/tokens` issues (those
//! are only ever checked by the emulator itself, as CARTO's own are).

use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;

/// RS256 needs at least 2048 bits; that is also what Auth0 uses.
const RSA_BITS: usize = 2048;

pub struct Keys {
    pub kid: String,
    pub rs_encoding: EncodingKey,
    pub rs_decoding: DecodingKey,
    jwks: serde_json::Value,
    pub hs_encoding: EncodingKey,
    pub hs_decoding: DecodingKey,
}

fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| format!("OS random source: {e}"))?;
    Ok(b)
}

impl Keys {
    /// Generates the key pair (a fraction of a second to a second or so; the emulator does it
    /// while PostgreSQL starts).
    pub fn generate() -> Result<Keys, String> {
        let err = |e: &dyn std::fmt::Display| format!("generating the CARTO 3 signing key: {e}");
        let mut rng = rsa::rand_core::UnwrapErr(getrandom::SysRng);
        let private = rsa::PrivateKey::new(&mut rng, RSA_BITS).map_err(|e| err(&e))?;
        let der = private.to_pkcs1_der().map_err(|e| err(&e))?;
        let rs_encoding = EncodingKey::from_rsa_der(der.as_bytes());
        let kid: String = random_bytes::<8>()?
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut jwk =
            Jwk::from_encoding_key(&rs_encoding, Algorithm::RS256).map_err(|e| err(&e))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let rs_decoding = DecodingKey::from_jwk(&jwk).map_err(|e| err(&e))?;
        let jwks = serde_json::to_value(JwkSet { keys: vec![jwk] }).map_err(|e| err(&e))?;
        let secret = random_bytes::<32>()?;
        Ok(Keys {
            kid,
            rs_encoding,
            rs_decoding,
            jwks,
            hs_encoding: EncodingKey::from_secret(&secret).map_err(|e| err(&e))?,
            hs_decoding: DecodingKey::from_secret(&secret).map_err(|e| err(&e))?,
        })
    }

    /// The JWKS document: the public half only (`kty`, `n`, `e`, `kid`, `use`, `alg`).
    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwks_publishes_only_the_public_key_with_its_kid() {
        let k = Keys::generate().unwrap();
        let key = &k.jwks()["keys"][0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["kid"], k.kid.as_str());
        assert_eq!(key["e"], "AQAB");
        // 2048 bits of modulus in unpadded base64url.
        assert_eq!(key["n"].as_str().unwrap().len(), 342);
        let members: Vec<&str> = key
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(!members.contains(&private), "{members:?}");
        }
        assert!(!format!("{k:?}").contains("encoding"));
    }
}
