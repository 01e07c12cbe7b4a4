//! The harness's CARTO 3 side: the options an emulator starts with, where its issuer and v3
//! API are, its counters, and shortcuts to tokens.

use std::time::Duration;

use serde_json::{json, Value};

use super::Emulator;
use crate::carto3::{Carto3Info, Counters};

/// CARTO 3 settings for [`super::Options::carto3`]. `Default` is CARTO's: a day-long token,
/// no mint quota, the emulator's own loopback names.
#[derive(Debug, Clone, PartialEq)]
pub struct Carto3Options {
    /// `expires_in` of the tokens minted (and `exp - iat`); whole seconds, at least one.
    pub token_lifetime: Duration,
    /// Tokens each OAuth client may mint per `mint_quota_period` before `/oauth/token`
    /// answers 429 (`None`: unlimited).
    pub mint_quota: Option<u32>,
    pub mint_quota_period: Duration,
    /// Put CARTO's host names (auth.carto.com, accounts.app.carto.com, clausa.app.carto.com,
    /// gcp-us-east1.api.carto.com) in URLs and tokens, for a test that maps them to 127.0.0.1
    /// in a network namespace. Needs `tls`; add `--port 443` to `extra_args` for names
    /// without a port.
    pub carto_hosts: bool,
    /// `/v3/sql/{connection}/query`'s statement timeout (CARTO: a minute; zero: none).
    pub sql_statement_timeout: Duration,
    /// `/v3/sql/{connection}/query`'s row cap (CARTO: 200,000).
    pub sql_max_rows: u64,
}

impl Default for Carto3Options {
    fn default() -> Self {
        Carto3Options {
            token_lifetime: Duration::from_secs(86_400),
            mint_quota: None,
            mint_quota_period: Duration::from_secs(86_400),
            carto_hosts: false,
            sql_statement_timeout: Duration::from_secs(60),
            sql_max_rows: 200_000,
        }
    }
}

impl Carto3Options {
    /// The command-line arguments these options stand for.
    pub fn args(&self) -> Vec<String> {
        let mut a = vec![
            "--carto3".to_string(),
            "--carto3-token-lifetime-s".to_string(),
            self.token_lifetime.as_secs().max(1).to_string(),
            "--carto3-mint-quota-period-s".to_string(),
            self.mint_quota_period.as_secs().max(1).to_string(),
            "--carto3-statement-timeout-ms".to_string(),
            self.sql_statement_timeout.as_millis().to_string(),
            "--carto3-max-rows".to_string(),
            self.sql_max_rows.to_string(),
        ];
        if let Some(q) = self.mint_quota {
            a.push("--carto3-mint-quota".to_string());
            a.push(q.to_string());
        }
        if self.carto_hosts {
            a.push("--carto3-hosts".to_string());
            a.push("carto".to_string());
        }
        a
    }
}

/// RFC 7636's example pair, so the harness can sign a user in without hashing anything.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

impl Emulator {
    /// Where CARTO 3 is and what it knows; panics unless started with `Options::carto3`.
    pub fn carto3(&self) -> Carto3Info {
        let v = &self.info["carto3"];
        assert!(
            !v.is_null(),
            "this emulator was started without CARTO 3 (set Options::carto3)"
        );
        serde_json::from_value(v.clone()).expect("the info file's carto3 section")
    }

    /// The issuer's counters: tokens minted and quota refusals by client, requests that came
    /// with an expired token (in total and by client), requests accepted by client.
    pub fn carto3_counters(&self) -> Counters {
        serde_json::from_value(self.admin("GET", "/carto3/counters", None))
            .expect("CARTO 3 counters")
    }

    /// Sets every counter back to zero.
    pub fn reset_carto3_counters(&self) {
        self.admin("DELETE", "/carto3/counters", None);
    }

    /// Sets (or with `None` lifts) a client's mint quota, and starts its period afresh.
    pub fn set_mint_quota(&self, client_id: &str, quota: Option<u32>) {
        self.admin(
            "POST",
            "/carto3/mint_quota",
            Some(&json!({"client_id": client_id, "quota": quota})),
        );
    }

    /// The lifetime of the tokens minted from now on (whole seconds, at least one).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.admin(
            "POST",
            "/carto3/token_lifetime",
            Some(&json!({"seconds": lifetime.as_secs().max(1)})),
        );
    }

    /// Changes `/v3/sql/{connection}/query`'s statement timeout and row cap (`None` keeps one).
    pub fn set_carto3_sql_limits(
        &self,
        statement_timeout: Option<Duration>,
        max_rows: Option<u64>,
    ) {
        let mut body = json!({});
        if let Some(t) = statement_timeout {
            body["statement_timeout_ms"] = json!(t.as_millis() as u64);
        }
        if let Some(n) = max_rows {
            body["max_rows"] = json!(n);
        }
        self.admin("POST", "/carto3/limits", Some(&body));
    }

    fn token_request(&self, form: &[(&str, &str)]) -> Value {
        let c3 = self.carto3();
        let mut resp = self
            .agent
            .post(&c3.token_url)
            .send_form(form.iter().copied())
            .unwrap_or_else(|e| panic!("POST {}: {e}", c3.token_url));
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(status, 200, "POST {}: {text}", c3.token_url);
        serde_json::from_str(&text).expect("a JSON token response")
    }

    /// A `client_credentials` access token of the first M2M application (counted as a mint,
    /// and subject to its quota).
    pub fn mint_m2m_token(&self) -> String {
        let c3 = self.carto3();
        let m2m = c3.m2m();
        let v = self.token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &m2m.client_id),
            ("client_secret", &m2m.client_secret),
            ("audience", &c3.audience),
        ]);
        v["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// A user's access token through the browser flow (authorize with PKCE, follow nothing,
    /// exchange the code) as carto-auth's application, redirecting to a loopback URI that is
    /// never called. Counted as a mint of that client.
    pub fn sign_in_user(&self) -> String {
        let c3 = self.carto3();
        let redirect = "http://127.0.0.1:9/callback";
        let resp = self
            .agent
            .get(&c3.authorize_url)
            .query("client_id", c3.spa_client_id())
            .query("response_type", "code")
            .query("audience", &c3.audience)
            .query("redirect_uri", redirect)
            .query("code_challenge_method", "S256")
            .query("code_challenge", CHALLENGE)
            .call()
            .unwrap_or_else(|e| panic!("GET {}: {e}", c3.authorize_url));
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("/authorize answered {} without a Location", resp.status()))
            .to_string();
        let code = location
            .split_once("code=")
            .map(|(_, rest)| rest.split('&').next().unwrap_or(""))
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| panic!("no code in {location}"));
        let v = self.token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", c3.spa_client_id()),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", VERIFIER),
            ("audience", &c3.audience),
        ]);
        v["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_the_documented_flags() {
        let o = Carto3Options {
            token_lifetime: Duration::from_millis(120_500),
            mint_quota: Some(3),
            carto_hosts: true,
            ..Carto3Options::default()
        };
        assert_eq!(
            o.args(),
            [
                "--carto3",
                "--carto3-token-lifetime-s",
                "120",
                "--carto3-mint-quota-period-s",
                "86400",
                "--carto3-statement-timeout-ms",
                "60000",
                "--carto3-max-rows",
                "200000",
                "--carto3-mint-quota",
                "3",
                "--carto3-hosts",
                "carto"
            ]
        );
        assert!(!Carto3Options::default()
            .args()
            .contains(&"--carto3-mint-quota".to_string()));
    }
}
