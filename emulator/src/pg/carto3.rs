//! CARTO 3's world as the accounts file defines it (its optional `carto3` section): accounts
//! with their users, machine-to-machine applications and connections, and the browser (SPA)
//! applications that may sign users in. Each connection is backed by a CARTO 2 user of the
//! same file: its queries run as that user's master role, on that user's schema.
//!
//! Without a `carto3` section the emulator derives one from the first CARTO 2 user (see
//! [`Carto3Def::derived`]), so `--carto3` works with the built-in `demo` account as it is.

use serde::Deserialize;

/// The audience of CARTO 3's API (`aud` of every access token).
pub const AUDIENCE: &str = "carto-cloud-native-api";
/// carto-auth's public client id (the PKCE application of `from_oauth`).
pub const CARTO_AUTH_CLIENT_ID: &str = "0dxb8HR3ATXCxJiPOJVHsLoHoAtbRX6u";
/// The built-in machine-to-machine application of the derived definition.
pub const DEFAULT_M2M_CLIENT_ID: &str = "emulator_m2m_client";
pub const DEFAULT_M2M_CLIENT_SECRET: &str = "emulator_m2m_secret";
/// The organization the derived account belongs to (for `organization=` on /authorize).
pub const DEFAULT_ORGANIZATION: &str = "org_emulator";
/// The connection of the derived account (CARTO's own data warehouse is called so).
pub const DEFAULT_CONNECTION: &str = "carto_dw";

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Carto3Def {
    pub accounts: Vec<AccountDef>,
    #[serde(default)]
    pub spa_clients: Vec<SpaClientDef>,
}

/// One CARTO 3 account (organization member) with one user.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccountDef {
    /// CARTO's account id (`ac_…`), the `http://app.carto.com/account_id` claim.
    pub id: String,
    /// The CARTO 2 user (of this file) whose schema and master role back the connections.
    pub user: String,
    /// The signed-in user's e-mail (`http://app.carto.com/email`); also a `login_hint`.
    pub email: String,
    /// Organizations the user may sign in through (`organization=` on /authorize).
    #[serde(default)]
    pub organizations: Vec<String>,
    pub connections: Vec<ConnectionDef>,
    #[serde(default)]
    pub m2m_clients: Vec<M2mClientDef>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConnectionDef {
    pub name: String,
}

#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct M2mClientDef {
    pub client_id: String,
    pub client_secret: String,
    /// Tokens this client may mint per quota period (overrides `--carto3-mint-quota`).
    #[serde(default)]
    pub mint_quota: Option<u32>,
}

/// The secret stays out of `Debug` output.
impl std::fmt::Debug for M2mClientDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("M2mClientDef")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("mint_quota", &self.mint_quota)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpaClientDef {
    pub client_id: String,
    /// Redirect URIs allowed exactly as written.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Also allow any `http://localhost:<port>/…` or `http://127.0.0.1:<port>/…` (RFC 8252's
    /// loopback redirect for native apps, whose port is chosen at run time).
    #[serde(default)]
    pub loopback_redirects: bool,
}

impl SpaClientDef {
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
            || (self.loopback_redirects && is_loopback_http(uri))
    }
}

/// `http://localhost[:port]/…` or `http://127.0.0.1[:port]/…`, nothing else.
fn is_loopback_http(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => h,
        Some(_) => return false,
        None => authority,
    };
    host == "localhost" || host == "127.0.0.1"
}

impl Carto3Def {
    /// The definition used when the accounts file has no `carto3` section: one account backed
    /// by the file's first CARTO 2 user, with carto-auth's public application, a fixed M2M
    /// application and one connection.
    pub fn derived(username: &str, email: Option<&str>) -> Carto3Def {
        Carto3Def {
            accounts: vec![AccountDef {
                id: format!("ac_{}", username.replace('-', "_")),
                user: username.to_string(),
                email: email
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{username}@example.com")),
                organizations: vec![DEFAULT_ORGANIZATION.to_string()],
                connections: vec![ConnectionDef {
                    name: DEFAULT_CONNECTION.to_string(),
                }],
                m2m_clients: vec![M2mClientDef {
                    client_id: DEFAULT_M2M_CLIENT_ID.to_string(),
                    client_secret: DEFAULT_M2M_CLIENT_SECRET.to_string(),
                    mint_quota: None,
                }],
            }],
            spa_clients: vec![SpaClientDef::carto_auth()],
        }
    }

    /// Checks the section against the CARTO 2 users of the same file.
    pub fn validate(&self, usernames: &[&str]) -> Result<(), String> {
        let err = |m: String| Err(format!("accounts file: carto3: {m}"));
        if self.accounts.is_empty() {
            return err("\"accounts\" is empty".into());
        }
        let mut ids = std::collections::HashSet::new();
        let mut clients = std::collections::HashSet::new();
        for a in &self.accounts {
            if a.id.trim().is_empty() || !ids.insert(a.id.as_str()) {
                return err(format!("account id {:?} is empty or used twice", a.id));
            }
            if !usernames.contains(&a.user.as_str()) {
                return err(format!(
                    "account {}: user {:?} is not a user of this file",
                    a.id, a.user
                ));
            }
            if a.email.trim().is_empty() {
                return err(format!("account {}: empty email", a.id));
            }
            let mut names = std::collections::HashSet::new();
            for c in &a.connections {
                if c.name.is_empty()
                    || !c
                        .name
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "_-".contains(ch))
                {
                    return err(format!(
                        "account {}: connection name {:?} must be letters, digits, '_' or '-'",
                        a.id, c.name
                    ));
                }
                if !names.insert(c.name.as_str()) {
                    return err(format!("account {}: connection {:?} twice", a.id, c.name));
                }
            }
            for m in &a.m2m_clients {
                if m.client_id.is_empty() || m.client_secret.is_empty() {
                    return err(format!(
                        "account {}: an M2M client id or secret is empty",
                        a.id
                    ));
                }
                if !clients.insert(m.client_id.as_str()) {
                    return err(format!("client id {:?} used twice", m.client_id));
                }
            }
        }
        for s in &self.spa_clients {
            if s.client_id.is_empty() || !clients.insert(s.client_id.as_str()) {
                return err(format!(
                    "SPA client id {:?} is empty or used twice",
                    s.client_id
                ));
            }
            if s.redirect_uris.is_empty() && !s.loopback_redirects {
                return err(format!(
                    "SPA client {}: no redirect_uris and no loopback_redirects",
                    s.client_id
                ));
            }
        }
        Ok(())
    }

    /// The account an M2M client belongs to, and the client.
    pub fn m2m_client(&self, client_id: &str) -> Option<(&AccountDef, &M2mClientDef)> {
        self.accounts.iter().find_map(|a| {
            a.m2m_clients
                .iter()
                .find(|m| m.client_id == client_id)
                .map(|m| (a, m))
        })
    }

    pub fn spa_client(&self, client_id: &str) -> Option<&SpaClientDef> {
        self.spa_clients.iter().find(|s| s.client_id == client_id)
    }

    pub fn account(&self, id: &str) -> Option<&AccountDef> {
        self.accounts.iter().find(|a| a.id == id)
    }
}

impl SpaClientDef {
    /// carto-auth 0.2.0's application: its loopback callback and its copy/paste page, plus any
    /// loopback redirect (for other native clients tested against the emulator).
    pub fn carto_auth() -> SpaClientDef {
        SpaClientDef {
            client_id: CARTO_AUTH_CLIENT_ID.to_string(),
            redirect_uris: vec![
                "http://localhost:10000/callback/".to_string(),
                "https://app.carto.com/auth/token".to_string(),
            ],
            loopback_redirects: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derived_definition_is_valid_for_the_builtin_accounts() {
        let d = Carto3Def::derived("demo", Some("demo@example.com"));
        d.validate(&["demo"]).unwrap();
        assert_eq!(d.accounts[0].user, "demo");
        assert_eq!(d.accounts[0].email, "demo@example.com");
        assert!(d.m2m_client(DEFAULT_M2M_CLIENT_ID).is_some());
        assert!(d.spa_client(CARTO_AUTH_CLIENT_ID).is_some());
        assert!(!format!("{d:?}").contains(DEFAULT_M2M_CLIENT_SECRET));
    }

    #[test]
    fn loopback_redirects_are_loopback_only() {
        let c = SpaClientDef::carto_auth();
        assert!(c.allows_redirect("http://localhost:10000/callback/"));
        assert!(c.allows_redirect("http://127.0.0.1:41234/cb"));
        assert!(c.allows_redirect("http://localhost/cb"));
        assert!(!c.allows_redirect("http://localhost.evil.example/cb"));
        assert!(!c.allows_redirect("http://127.0.0.1:80@evil.example/"));
        assert!(!c.allows_redirect("https://localhost:1/cb"));
        assert!(!c.allows_redirect("http://10.0.0.1:1/cb"));
        let strict = SpaClientDef {
            loopback_redirects: false,
            ..SpaClientDef::carto_auth()
        };
        assert!(!strict.allows_redirect("http://127.0.0.1:41234/cb"));
        assert!(strict.allows_redirect("https://app.carto.com/auth/token"));
    }

    #[test]
    fn a_section_naming_an_unknown_user_is_refused() {
        let mut d = Carto3Def::derived("demo", None);
        assert_eq!(d.accounts[0].email, "demo@example.com");
        d.accounts[0].user = "nobody".into();
        assert!(d.validate(&["demo"]).unwrap_err().contains("\"nobody\""));
        let mut d = Carto3Def::derived("demo", None);
        d.spa_clients[0].client_id = DEFAULT_M2M_CLIENT_ID.into();
        assert!(d.validate(&["demo"]).unwrap_err().contains("twice"));
    }
}
