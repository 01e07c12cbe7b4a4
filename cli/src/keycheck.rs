//! Whether CARTO accepts an API key: `api/v3/me` names the account only to its master key; any
//! other key is asked a trivial SQL query, and a key that may not use the SQL API (403) is
//! looked up in the Auth API, which lists every key to itself.

use cartoauth::client::KeyValidity;
use cartoauth::{Client, Request};

/// The answer, with what it is based on (safe to print: never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub validity: KeyValidity,
    pub detail: String,
}

impl Verdict {
    fn new(validity: KeyValidity, detail: impl Into<String>) -> Self {
        Verdict {
            validity,
            detail: detail.into(),
        }
    }

    /// "valid", "invalid" or "could not tell".
    pub fn word(&self) -> &'static str {
        word(self.validity)
    }
}

pub fn word(validity: KeyValidity) -> &'static str {
    match validity {
        KeyValidity::Valid => "valid",
        KeyValidity::Invalid => "invalid",
        KeyValidity::Unknown => "could not tell",
    }
}

pub fn check(client: &Client) -> Verdict {
    if client.credentials().api_key().is_default_public() {
        // default_public exists on every account; what can fail is the account itself.
        return sql_check(client, "the public key");
    }
    match client.me() {
        Ok(me) if me.user_id.is_some() => {
            return Verdict::new(KeyValidity::Valid, "the master key, per api/v3/me")
        }
        Ok(_) => {}
        Err(e) if is_network(&e) => return Verdict::new(KeyValidity::Unknown, e.message()),
        // Servers that answer `me` with an error still have a SQL API to ask.
        Err(_) => {}
    }
    sql_check(client, "a key that may use the SQL API")
}

fn sql_check(client: &Client, what: &str) -> Verdict {
    match client.send(Request::sql("select 1", None)) {
        Ok(r) if r.status() == 200 => {
            Verdict::new(KeyValidity::Valid, format!("{what}, per the SQL API"))
        }
        Ok(r) if r.status() == 403 => match client.validate_key() {
            KeyValidity::Valid => Verdict::new(
                KeyValidity::Valid,
                "a key without SQL API access, per the Auth API",
            ),
            other => Verdict::new(other, explain(&r)),
        },
        // 404: no such account at this base URL, so these credentials cannot work either.
        Ok(r) if matches!(r.status(), 401 | 404) => Verdict::new(KeyValidity::Invalid, explain(&r)),
        Ok(r) => Verdict::new(KeyValidity::Unknown, explain(&r)),
        Err(e) => Verdict::new(KeyValidity::Unknown, e.message()),
    }
}

fn explain(response: &cartoauth::Response) -> String {
    match response.check() {
        Err(e) => e.message().to_owned(),
        Ok(()) => format!("HTTP {}", response.status()),
    }
}

fn is_network(e: &cartoauth::Error) -> bool {
    use cartoauth::ErrorKind::*;
    matches!(e.kind(), Timeout | Connection | Tls)
}
