//! CARTO 3's shapes that the server writes and the test harness reads, in one definition so
//! the two can never disagree: the `carto3` section of the info file ([`Carto3Info`]) and the
//! issuer's counters ([`Counters`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Where the emulator's CARTO 3 services are and what is configured (`info.json`'s `carto3`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Carto3Info {
    /// The `iss` of every access token, with Auth0's trailing slash.
    pub issuer: String,
    /// The `aud` of every access token (`carto-cloud-native-api`).
    pub audience: String,
    pub authorize_url: String,
    pub token_url: String,
    pub jwks_url: String,
    /// `GET` with a Bearer token: `{"tenant_domain", ...}`.
    pub accounts_url: String,
    /// The tenant's host; it serves `/config.yaml` (naming `api_base_url`).
    pub tenant_domain: String,
    /// The v3 API (`{api_base_url}/v3/...`).
    pub api_base_url: String,
    /// `expires_in` of new tokens (changeable at run time).
    pub token_lifetime_s: u64,
    /// Tokens each client may mint per period (`None`: unlimited), as started.
    pub mint_quota: Option<u32>,
    pub mint_quota_period_s: u64,
    /// `/v3/sql/{connection}/query`'s statement timeout (0: none) and row cap, as started.
    pub sql_statement_timeout_ms: u64,
    pub sql_max_rows: u64,
    pub accounts: Vec<AccountInfo>,
    pub spa_clients: Vec<SpaClientInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// `ac_…`, the `http://app.carto.com/account_id` claim.
    pub id: String,
    /// The CARTO 2 user whose schema backs the connections.
    pub user: String,
    pub email: String,
    pub organizations: Vec<String>,
    pub connections: Vec<String>,
    pub m2m_clients: Vec<M2mClientInfo>,
}

/// A machine-to-machine application (its secret is left out of `Debug`).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct M2mClientInfo {
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for M2mClientInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("M2mClientInfo")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpaClientInfo {
    pub client_id: String,
    pub redirect_uris: Vec<String>,
    /// Any `http://localhost:<port>/…` or `http://127.0.0.1:<port>/…` is allowed too.
    pub loopback_redirects: bool,
}

impl Carto3Info {
    /// The first account (the built-in one is backed by the `demo` user).
    pub fn account(&self) -> &AccountInfo {
        &self.accounts[0]
    }

    /// The first M2M application of the first account.
    pub fn m2m(&self) -> &M2mClientInfo {
        self.account()
            .m2m_clients
            .first()
            .expect("the first CARTO 3 account has an M2M application")
    }

    /// The first connection of the first account (`carto_dw` when built in).
    pub fn connection(&self) -> &str {
        &self.account().connections[0]
    }

    /// The browser application carto-auth uses (the first SPA client).
    pub fn spa_client_id(&self) -> &str {
        &self.spa_clients[0].client_id
    }
}

/// The issuer's counters (`GET /_emulator/carto3/counters`), by OAuth client id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Access tokens minted (both grants).
    pub minted: BTreeMap<String, u64>,
    /// Token requests the mint quota refused (429).
    pub quota_refusals: BTreeMap<String, u64>,
    /// Requests whose correctly signed access token had expired, in total and by `azp`.
    pub expired_token_requests: u64,
    pub expired_by_client: BTreeMap<String, u64>,
    /// Requests accepted with a valid access token, by `azp`.
    pub authenticated_requests: BTreeMap<String, u64>,
}

impl Counters {
    pub fn minted_by(&self, client_id: &str) -> u64 {
        self.minted.get(client_id).copied().unwrap_or(0)
    }
    pub fn expired_for(&self, client_id: &str) -> u64 {
        self.expired_by_client.get(client_id).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_stays_out_of_debug_output() {
        let m = M2mClientInfo {
            client_id: "id".into(),
            client_secret: "s3cret".into(),
        };
        let text = format!("{m:?}");
        assert!(text.contains("id") && !text.contains("s3cret"), "{text}");
    }
}
