//! Who the key belongs to (`api/v3/me`) and whether a key is valid (Auth API).

use super::request::Request;
use super::Client;
use crate::error::Result;
use serde_json::Value;
use std::fmt;
use zeroize::Zeroizing;

/// The answer of `api/v3/me`. `Debug` leaves out `raw`, which may hold the master key.
#[derive(Clone, PartialEq)]
pub struct Me {
    /// `config.user_name`, which CARTO always returns.
    pub username: Option<String>,
    /// `user_data.id`, returned only to the master key.
    pub user_id: Option<String>,
    /// The whole JSON document (with a master key it contains the key itself: do not log it).
    pub raw: Value,
}

impl fmt::Debug for Me {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Me")
            .field("username", &self.username)
            .field("user_id", &self.user_id)
            .field(
                "raw",
                &format_args!("<JSON document, not shown: it may hold keys>"),
            )
            .finish()
    }
}

/// The result of checking an API key. The numbers are stable (the C ABI hands them out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum KeyValidity {
    /// The server could not be asked or gave no clear answer (network, 5xx, ...).
    Unknown = 0,
    /// The server accepted the key.
    Valid = 1,
    /// The server rejected the key.
    Invalid = 2,
}

impl Client {
    /// `GET api/v3/me` (relative to the base URL): the account's username, and its user id
    /// when the key is the master key.
    pub fn me(&self) -> Result<Me> {
        let raw = self
            .send(Request::get("api/v3/me"))?
            .error_for_status()?
            .json()?;
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        Ok(Me {
            username: text(raw.pointer("/config/user_name"))
                .or_else(|| text(raw.pointer("/user_data/username"))),
            user_id: text(raw.pointer("/user_data/id")),
            raw,
        })
    }

    /// Asks the server whether the client's key is valid, as carto-python does: the Auth API
    /// lists the keys a key can see, which always includes itself. Servers without the Auth
    /// API are asked a trivial SQL query instead.
    pub fn validate_key(&self) -> KeyValidity {
        let key = Zeroizing::new(self.credentials().api_key().expose().to_owned());
        // Reads: safe to send again after a timeout.
        match self.send(Request::get("api/v3/api_keys").idempotent(true)) {
            Ok(r) if r.status() == 200 => {
                let listed = r.json().ok().and_then(|doc| {
                    doc.get("result")?.as_array().map(|keys| {
                        keys.iter()
                            .any(|k| k.get("token").and_then(Value::as_str) == Some(key.as_str()))
                    })
                });
                match listed {
                    Some(true) => KeyValidity::Valid,
                    Some(false) => KeyValidity::Invalid,
                    None => KeyValidity::Unknown,
                }
            }
            Ok(r) if matches!(r.status(), 401 | 403) => KeyValidity::Invalid,
            Ok(r) if r.status() == 404 => self.validate_with_sql(),
            _ => KeyValidity::Unknown,
        }
    }

    fn validate_with_sql(&self) -> KeyValidity {
        match self.send(Request::sql("select 1", None).idempotent(true)) {
            Ok(r) if r.status() == 200 => KeyValidity::Valid,
            Ok(r) if r.status() == 401 => KeyValidity::Invalid,
            _ => KeyValidity::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_leaves_out_the_raw_document() {
        let me = Me {
            username: Some("alice".into()),
            user_id: None,
            raw: serde_json::json!({"user_data": {"api_key": "MASTER-SECRET"}}),
        };
        let shown = format!("{me:?}");
        assert!(
            !shown.contains("MASTER-SECRET") && shown.contains("alice"),
            "{shown}"
        );
    }
}
