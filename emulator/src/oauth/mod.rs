//! CARTO 3's identity: an issuer in the shapes of CARTO's Auth0 tenant (PKCE and
//! machine-to-machine sign-in, RS256 access tokens, JWKS), the API access tokens of
//! `POST /v3/tokens`, and the check of the Bearer token every v3 request carries.

pub mod api_tokens;
pub mod bearer;
pub mod endpoints;
pub mod issuer;
pub mod keys;

use api_tokens::ApiTokens;
use carto_emulator::carto3::{AccountInfo, Carto3Info, M2mClientInfo, SpaClientInfo};
use issuer::Issuer;

/// Who may call CARTO 3: the issuer and the API access tokens.
pub struct Identity {
    pub issuer: Issuer,
    pub api_tokens: ApiTokens,
}

impl Identity {
    /// The `carto3` section of the info file: where everything is, and the credentials of the
    /// configured applications (the info file is private to its owner, like the CARTO 2 keys
    /// it holds).
    pub fn info(&self, sql_statement_timeout_ms: u64, sql_max_rows: u64) -> Carto3Info {
        let s = &self.issuer.settings;
        let def = &self.issuer.def;
        let base = s.issuer.trim_end_matches('/');
        Carto3Info {
            issuer: s.issuer.clone(),
            audience: crate::pg::carto3::AUDIENCE.to_string(),
            authorize_url: format!("{base}/authorize"),
            token_url: format!("{base}/oauth/token"),
            jwks_url: format!("{base}/.well-known/jwks.json"),
            accounts_url: format!("{}/accounts", s.accounts_base_url),
            tenant_domain: s.tenant_domain.clone(),
            api_base_url: s.api_base_url.clone(),
            token_lifetime_s: self.issuer.token_lifetime_s(),
            mint_quota: s.mint_quota,
            mint_quota_period_s: s.quota_period.as_secs(),
            sql_statement_timeout_ms,
            sql_max_rows,
            accounts: def
                .accounts
                .iter()
                .map(|a| AccountInfo {
                    id: a.id.clone(),
                    user: a.user.clone(),
                    email: a.email.clone(),
                    organizations: a.organizations.clone(),
                    connections: a.connections.iter().map(|c| c.name.clone()).collect(),
                    m2m_clients: a
                        .m2m_clients
                        .iter()
                        .map(|m| M2mClientInfo {
                            client_id: m.client_id.clone(),
                            client_secret: m.client_secret.clone(),
                        })
                        .collect(),
                })
                .collect(),
            spa_clients: def
                .spa_clients
                .iter()
                .map(|c| SpaClientInfo {
                    client_id: c.client_id.clone(),
                    redirect_uris: c.redirect_uris.clone(),
                    loopback_redirects: c.loopback_redirects,
                })
                .collect(),
        }
    }
}
