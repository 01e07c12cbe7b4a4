//! CARTO 3 user sign-in: OAuth 2.0 authorization code with PKCE (RFC 7636), in steps a GUI,
//! an R or Julia session or a command-line tool can drive.
//!
//! 1. [`SignIn::begin`] makes a code verifier and a `state`, and returns the URL to open in a
//!    browser. With the browser flow it first binds a loopback listener on 127.0.0.1.
//! 2. The user signs in (through their SSO `organization`, if given); CARTO redirects the
//!    browser to the redirect URI with `?code=…&state=…`.
//! 3. [`SignIn::wait_loopback`] receives that redirect, or [`SignIn::finish_pasted`] takes the
//!    URL (or the bare code) the user pasted from the paste page.
//! 4. The `state` is checked (a mismatch is refused: it is not this sign-in's answer), the
//!    code is exchanged with the verifier, and the token goes into the token cache, where
//!    every client with these credentials finds it.
//!
//! Where no browser on this machine can reach a loopback listener (SSH sessions, CI, hosted
//! R sessions, Colab, Databricks), [`recommended_flow`] says so, and the paste flow is the
//! default, as carto-auth and gargle do.

mod loopback;

use crate::client::{AccessToken, Client};
use crate::credentials::kind::{self, Auth, CredentialKind};
use crate::credentials::secret::Secret;
use crate::env::{self, Environment};
use crate::error::{Error, ErrorKind, Result};
use crate::token::mint::{self, Grant};
use base64::Engine;
use sha2::Digest;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// carto-auth's loopback redirect, registered for CARTO's public client.
pub const CARTO_LOOPBACK_REDIRECT: &str = "http://localhost:10000/callback/";
/// CARTO's page that shows the code to paste, registered for CARTO's public client.
pub const CARTO_PASTE_REDIRECT: &str = "https://app.carto.com/auth/token";

/// How the browser's answer comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The browser is redirected to a listener on this machine.
    Browser,
    /// The user copies the redirect URL (or the code) from the browser and pastes it here.
    Paste,
}

impl Flow {
    /// `browser` or `paste`.
    pub fn name(self) -> &'static str {
        match self {
            Flow::Browser => "browser",
            Flow::Paste => "paste",
        }
    }
}

/// The flow that suits this machine, and why.
pub fn recommended_flow(env: &dyn Environment) -> Result<(Flow, String)> {
    if let Some(choice) = env.get(env::SIGNIN_FLOW) {
        return match choice.to_ascii_lowercase().as_str() {
            "browser" | "loopback" => Ok((Flow::Browser, format!("{}={choice}", env::SIGNIN_FLOW))),
            "paste" | "oob" => Ok((Flow::Paste, format!("{}={choice}", env::SIGNIN_FLOW))),
            _ => Err(Error::new(
                ErrorKind::InvalidEnvironment,
                format!("{}={choice:?} is not browser or paste", env::SIGNIN_FLOW),
            )),
        };
    }
    let set = |name: &str| env.get(name).is_some();
    let hosted = [
        ("COLAB_RELEASE_TAG", "Google Colab"),
        ("DATABRICKS_RUNTIME_VERSION", "Databricks"),
        ("JUPYTERHUB_API_URL", "JupyterHub"),
        ("SSH_CONNECTION", "an SSH session"),
        ("SSH_CLIENT", "an SSH session"),
        ("SSH_TTY", "an SSH session"),
        ("CI", "a CI job"),
    ];
    if let Some((_, what)) = hosted.iter().find(|(name, _)| set(name)) {
        return Ok((Flow::Paste, format!("running in {what}")));
    }
    let rstudio_server = env
        .get("RSTUDIO_PROGRAM_MODE")
        .is_some_and(|m| m.eq_ignore_ascii_case("server"))
        && !env
            .get("RSTUDIO_HTTP_REFERER")
            .is_some_and(|r| r.contains("localhost") || r.contains("127.0.0.1"));
    if rstudio_server {
        return Ok((
            Flow::Paste,
            "running in RStudio Server or Posit Workbench".to_owned(),
        ));
    }
    if cfg!(all(unix, not(target_os = "macos"))) && !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
        return Ok((
            Flow::Paste,
            "no graphical display (DISPLAY, WAYLAND_DISPLAY)".to_owned(),
        ));
    }
    Ok((Flow::Browser, "a local desktop session".to_owned()))
}

/// Where the browser is sent after the sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// A listener on 127.0.0.1 at this port (0: any free port) and path. The redirect URI is
    /// `http://{host}:{port}{path}`.
    Loopback {
        /// `127.0.0.1` (RFC 8252's advice), or `localhost` where the OAuth client registered
        /// that name (CARTO's public client does).
        host: String,
        /// The port; 0 picks a free one.
        port: u16,
        /// The path, e.g. `/callback/`.
        path: String,
    },
    /// The paste flow with this redirect URI (a page that shows the URL or the code).
    Paste(String),
}

impl Redirect {
    /// The redirect of `flow` for credentials signing in with `client_id` at `auth_url`:
    /// carto-auth's registered URIs for CARTO's public client, else a free loopback port.
    pub fn default_for(flow: Flow, client_id: &str, auth_url: &str) -> Redirect {
        let carto_public =
            client_id == kind::DEFAULT_OAUTH_CLIENT_ID && auth_url == kind::DEFAULT_AUTH_URL;
        match (flow, carto_public) {
            (Flow::Browser, true) => Redirect::Loopback {
                host: "localhost".to_owned(),
                port: 10000,
                path: "/callback/".to_owned(),
            },
            (Flow::Browser, false) => Redirect::Loopback {
                host: "127.0.0.1".to_owned(),
                port: 0,
                path: "/callback".to_owned(),
            },
            (Flow::Paste, _) => Redirect::Paste(CARTO_PASTE_REDIRECT.to_owned()),
        }
    }
}

/// A sign-in in progress. `Debug` never shows the verifier.
pub struct SignIn {
    client: Client,
    flow: Flow,
    state: String,
    verifier: Secret,
    redirect_uri: String,
    authorize_url: String,
    listener: Option<loopback::Listener>,
    finished: AtomicBool,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("flow", &self.flow)
            .field("redirect_uri", &self.redirect_uri)
            .field("authorize_url", &self.authorize_url)
            .finish()
    }
}

/// `len` random bytes, base64url without padding.
fn random_text(len: usize) -> Result<String> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("the system's random number generator failed: {e}"),
        )
    })?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// PKCE's S256 challenge: base64url(sha256(verifier)), no padding.
fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// The longest pasted text or code accepted.
const MAX_PASTED: usize = 8 * 1024;
/// How long [`SignIn::wait_loopback`] waits when asked for no limit.
pub const DEFAULT_LOOPBACK_TIMEOUT: Duration = Duration::from_secs(300);

impl SignIn {
    /// Starts a sign-in for `client`'s user credentials ([`CredentialKind::OAuthUser`]).
    /// With [`Redirect::Loopback`] the listener is bound now, so the URL can be opened at
    /// once.
    pub fn begin(client: &Client, redirect: Redirect) -> Result<SignIn> {
        let credentials = client.credentials();
        let Auth::OAuthUser {
            client_id,
            organization,
            server,
        } = credentials.auth()
        else {
            return Err(Error::invalid_argument(format!(
                "only user sign-in credentials sign in (these are {}); build them with oauth_user",
                credentials.kind().name()
            )));
        };
        let (flow, listener, redirect_uri) = match redirect {
            Redirect::Loopback { host, port, path } => {
                if host != "127.0.0.1" && host != "localhost" {
                    return Err(Error::invalid_argument(format!(
                        "the loopback redirect host {} must be 127.0.0.1 or localhost",
                        crate::text::excerpt::quoted(&host)
                    )));
                }
                if !path.starts_with('/') || path.contains(['?', '#', ' ']) {
                    return Err(Error::invalid_argument(format!(
                        "the loopback redirect path {} must start with / and hold no query",
                        crate::text::excerpt::quoted(&path)
                    )));
                }
                let listener = loopback::Listener::bind(port, &path)?;
                let uri = format!("http://{host}:{}{path}", listener.port());
                (Flow::Browser, Some(listener), uri)
            }
            Redirect::Paste(uri) => {
                let parsed = url::Url::parse(uri.trim()).map_err(|e| {
                    Error::invalid_argument(format!("the paste redirect URI is not a URL: {e}"))
                })?;
                (Flow::Paste, None, parsed.to_string())
            }
        };
        let state = random_text(24)?;
        let verifier = Secret::new(random_text(48)?);
        let mut url = url::Url::parse(&server.authorize_url())
            .map_err(|e| Error::invalid_argument(format!("the authorize URL: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", client_id)
                .append_pair("response_type", "code")
                .append_pair("audience", &server.audience)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("code_challenge_method", "S256")
                .append_pair("code_challenge", &challenge(verifier.expose()))
                .append_pair("state", &state);
            if let Some(organization) = organization {
                query.append_pair("organization", organization);
            }
        }
        Ok(SignIn {
            client: client.clone(),
            flow,
            state,
            verifier,
            redirect_uri,
            authorize_url: url.to_string(),
            listener,
            finished: AtomicBool::new(false),
        })
    }

    /// The URL to open in a browser (it holds no secret: the verifier stays here).
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    /// The `state` this sign-in expects back.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The redirect URI sent.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The flow chosen at [`SignIn::begin`].
    pub fn flow(&self) -> Flow {
        self.flow
    }

    /// Waits for the browser's redirect on the loopback listener (browser flow), at most
    /// `timeout`; `keep_waiting` is called every 50 ms on this thread and may stop the wait.
    /// Then checks `state`, exchanges the code and caches the token.
    pub fn wait_loopback(
        &self,
        timeout: Duration,
        keep_waiting: &mut dyn FnMut() -> bool,
    ) -> Result<AccessToken> {
        let Some(listener) = &self.listener else {
            return Err(Error::invalid_argument(
                "this sign-in uses the paste flow: finish it with the pasted URL or code",
            ));
        };
        let callback = listener.wait(timeout, keep_waiting)?;
        let outcome = self.accept_query(&callback.query);
        match &outcome {
            Ok(_) => callback.answer(
                true,
                "You are signed in. You can close this tab and return to the application.",
            ),
            Err(e) => callback.answer(false, e.message()),
        }
        outcome
    }

    /// Finishes with what the user pasted: the whole redirect URL (its `state` is checked) or
    /// the bare code (which has no `state` to check).
    pub fn finish_pasted(&self, pasted: &str) -> Result<AccessToken> {
        let text = pasted.trim();
        if text.is_empty() {
            return Err(Error::new(ErrorKind::SignInFailed, "nothing was pasted"));
        }
        if text.len() > MAX_PASTED {
            return Err(Error::new(
                ErrorKind::SignInFailed,
                format!(
                    "the pasted text is {} bytes, too long to be a sign-in URL or code",
                    text.len()
                ),
            ));
        }
        let looks_like_url = text.contains('?') || text.contains("code=") || text.contains("://");
        if !looks_like_url {
            if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::new(
                    ErrorKind::SignInFailed,
                    "the pasted code contains spaces; paste the code or the whole URL, on one line",
                ));
            }
            return self.exchange(&Secret::new(text));
        }
        let query = text.split_once('?').map_or(text, |(_, q)| q);
        let query = query.split('#').next().unwrap_or_default();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        self.accept_query(&pairs)
    }

    /// Checks a redirect's query (`error`, `state`, `code`) and exchanges the code.
    fn accept_query(&self, query: &[(String, String)]) -> Result<AccessToken> {
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if let Some(error) = get("error") {
            let description = get("error_description").unwrap_or("");
            return Err(Error::new(
                ErrorKind::SignInFailed,
                format!(
                    "the sign-in was refused: {}{}{}",
                    crate::text::excerpt::quoted(error),
                    if description.is_empty() { "" } else { ": " },
                    crate::text::excerpt::quoted(description)
                ),
            ));
        }
        match get("state") {
            Some(state) if constant_time_eq(state.as_bytes(), self.state.as_bytes()) => {}
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::SignInFailed,
                    "the redirect's state does not match this sign-in's: it answers another sign-in (or was forged); refused",
                ))
            }
            None => {
                return Err(Error::new(
                    ErrorKind::SignInFailed,
                    "the redirect carries no state, so it cannot be checked to answer this sign-in; refused",
                ))
            }
        }
        let code = get("code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::new(ErrorKind::SignInFailed, "the redirect carries no code"))?;
        self.exchange(&Secret::new(code))
    }

    fn exchange(&self, code: &Secret) -> Result<AccessToken> {
        if self.finished.swap(true, Ordering::SeqCst) {
            return Err(Error::new(
                ErrorKind::SignInFailed,
                "this sign-in already finished; begin a new one",
            ));
        }
        let credentials = self.client.credentials();
        let (Some(client_id), Some(server)) = (credentials.client_id(), credentials.auth_server())
        else {
            return Err(Error::invalid_argument("not user sign-in credentials"));
        };
        debug_assert_eq!(credentials.kind(), CredentialKind::OAuthUser);
        let grant = Grant::AuthorizationCode {
            client_id,
            code,
            redirect_uri: &self.redirect_uri,
            verifier: &self.verifier,
        };
        let token = mint::mint(self.client.agent(), server, &grant, &mint::Sleep).map_err(|e| {
            match e.kind() {
                ErrorKind::HttpClientError
                | ErrorKind::HttpUnauthorized
                | ErrorKind::HttpForbidden => {
                    let status = e.http_status();
                    let error = Error::new(ErrorKind::SignInFailed, e.message());
                    match status {
                        Some(status) => error.with_http_status(status),
                        None => error,
                    }
                }
                _ => e,
            }
        })?;
        let expires_at = token.exp;
        let secret = token.token.clone();
        self.client.keep_token(token)?;
        Ok(AccessToken {
            token: secret,
            expires_at: Some(expires_at),
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnvironment;

    #[test]
    fn the_s256_challenge_matches_rfc7636s_example() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn headless_machines_get_the_paste_flow() {
        let desktop = MapEnvironment::new().with("DISPLAY", ":0");
        assert_eq!(recommended_flow(&desktop).unwrap().0, Flow::Browser);
        for (name, value) in [
            ("SSH_CONNECTION", "1.2.3.4 5 6.7.8.9 22"),
            ("CI", "true"),
            ("COLAB_RELEASE_TAG", "release-colab"),
            ("DATABRICKS_RUNTIME_VERSION", "13.3"),
        ] {
            let env = MapEnvironment::new()
                .with("DISPLAY", ":0")
                .with(name, value);
            let (flow, why) = recommended_flow(&env).unwrap();
            assert_eq!(flow, Flow::Paste, "{name}");
            assert!(!why.is_empty());
        }
        let server = MapEnvironment::new()
            .with("DISPLAY", ":0")
            .with("RSTUDIO_PROGRAM_MODE", "server")
            .with("RSTUDIO_HTTP_REFERER", "https://workbench.acme.com/");
        assert_eq!(recommended_flow(&server).unwrap().0, Flow::Paste);
        let local = server
            .clone()
            .with("RSTUDIO_HTTP_REFERER", "http://localhost:8787/");
        assert_eq!(recommended_flow(&local).unwrap().0, Flow::Browser);
        let forced = MapEnvironment::new()
            .with(env::SIGNIN_FLOW, "browser")
            .with("CI", "1");
        assert_eq!(recommended_flow(&forced).unwrap().0, Flow::Browser);
        let bad = MapEnvironment::new().with(env::SIGNIN_FLOW, "carrier-pigeon");
        assert_eq!(
            recommended_flow(&bad).unwrap_err().kind(),
            ErrorKind::InvalidEnvironment
        );
        if cfg!(all(unix, not(target_os = "macos"))) {
            assert_eq!(
                recommended_flow(&MapEnvironment::new()).unwrap().0,
                Flow::Paste
            );
        }
    }

    fn user_client() -> Client {
        let credentials = crate::Credentials::builder()
            .base_url("https://gcp-us-east1.api.carto.com")
            .oauth_user(None)
            .organization("ACME")
            .build()
            .unwrap();
        let options = crate::ClientOptions {
            token_cache: crate::token::TokenCache::Off,
            ..Default::default()
        };
        Client::new(credentials, options).unwrap()
    }

    #[test]
    fn the_authorize_url_carries_pkce_state_and_organization_but_no_verifier() {
        let signin = SignIn::begin(
            &user_client(),
            Redirect::Paste(CARTO_PASTE_REDIRECT.to_owned()),
        )
        .unwrap();
        let url = url::Url::parse(signin.authorize_url()).unwrap();
        assert_eq!(
            url.as_str().split('?').next(),
            Some("https://auth.carto.com/authorize")
        );
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], kind::DEFAULT_OAUTH_CLIENT_ID);
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["audience"], "carto-cloud-native-api");
        assert_eq!(q["redirect_uri"], CARTO_PASTE_REDIRECT);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], challenge(signin.verifier.expose()));
        assert_eq!(q["state"], signin.state());
        assert_eq!(q["organization"], "ACME");
        assert!(!signin.authorize_url().contains(signin.verifier.expose()));
        assert!(!format!("{signin:?}").contains(signin.verifier.expose()));
        let v = signin.verifier.expose().len();
        assert!((43..=128).contains(&v), "RFC 7636 verifier length {v}");
        let other = SignIn::begin(
            &user_client(),
            Redirect::Paste(CARTO_PASTE_REDIRECT.to_owned()),
        )
        .unwrap();
        assert_ne!(signin.state(), other.state());
    }

    #[test]
    fn a_state_mismatch_error_or_missing_state_is_refused_before_any_exchange() {
        let signin = SignIn::begin(
            &user_client(),
            Redirect::Paste(CARTO_PASTE_REDIRECT.to_owned()),
        )
        .unwrap();
        let cases = [
            format!("{CARTO_PASTE_REDIRECT}?code=abc&state=forged"),
            format!("{CARTO_PASTE_REDIRECT}?code=abc"),
            format!(
                "{CARTO_PASTE_REDIRECT}?error=access_denied&error_description=no&state={}",
                signin.state()
            ),
            format!("{CARTO_PASTE_REDIRECT}?state={}", signin.state()),
            " ".to_owned(),
            "two words".to_owned(),
        ];
        for pasted in &cases {
            let err = signin.finish_pasted(pasted).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::SignInFailed, "{pasted}: {err}");
        }
        let err = signin
            .finish_pasted(&format!("{CARTO_PASTE_REDIRECT}?code=abc&state=forged"))
            .unwrap_err();
        assert!(err.message().contains("does not match"), "{err}");
        // None of these used the sign-in up.
        assert!(!signin.finished.load(Ordering::SeqCst));
    }

    #[test]
    fn only_user_credentials_sign_in() {
        let credentials = crate::Credentials::builder()
            .base_url("https://gcp-us-east1.api.carto.com")
            .m2m_client("c", "s")
            .build()
            .unwrap();
        let client = Client::new(credentials, crate::ClientOptions::default()).unwrap();
        let err = SignIn::begin(&client, Redirect::Paste(CARTO_PASTE_REDIRECT.into())).unwrap_err();
        assert!(err.message().contains("only user sign-in"));
    }
}
