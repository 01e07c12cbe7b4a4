//! One entry of the request log, shared by the server (which writes it as JSON) and the test
//! harness (which reads it back), so the two can never disagree on a field. It holds what a
//! request did, never which key it carried.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: u64,
    /// RFC 3339, UTC, milliseconds.
    pub ts: String,
    pub method: String,
    pub path: String,
    /// The raw query string with `api_key`/`map_key`/`access_token` values replaced by
    /// `REDACTED`.
    pub query: String,
    pub user: Option<String>,
    /// How the key reached the server: `basic`, `query`, `body`, `bearer` or `none`.
    pub key_transport: String,
    pub key_name: Option<String>,
    pub key_type: Option<String>,
    pub status: u16,
    pub request_bytes: u64,
    /// Final once `complete` is true; streamed bodies are counted as they are sent.
    pub response_bytes: u64,
    /// Whether the response body has been sent completely (byte counts are final).
    pub complete: bool,
    pub user_agent: Option<String>,
    /// The injected fault, if any (its JSON as given).
    pub fault: Option<serde_json::Value>,
    /// CARTO 3: the OAuth client (`azp`) of the request's access token.
    #[serde(default)]
    pub client_id: Option<String>,
    /// CARTO 3: the request carried a correctly signed access token past its expiry.
    #[serde(default)]
    pub token_expired: bool,
}
