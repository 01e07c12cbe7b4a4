//! The CARTO 3 sources of the resolution chain: the variables and files of CARTO's own tools.
//!
//! - Environment (the CARTO CLI's variables): `CARTO_API_TOKEN` (a token, used as given), else
//!   `CARTO_M2M_CLIENT_ID` + `CARTO_M2M_CLIENT_SECRET` (an M2M client), with the API base URL
//!   in `CARTO_API_BASE_URL` (or `CARTO_BASE_URL`). Setting them together with CARTO 2's
//!   `CARTO_USERNAME` / `CARTO_API_KEY` is an error: which one was meant cannot be guessed.
//! - `CARTO_PROFILE` names a cartoauth profile, or else a profile of the CARTO CLI's file.
//! - Default files, after cartoauth's own: the CARTO CLI's `~/.carto_credentials.json`
//!   (its `current_profile`), then carto-auth's token caches `~/.carto-auth/token_oauth.json`
//!   and `token_m2m.json` (as tokens; an expired one is skipped).
//! - `CARTO_AUTH_URL` moves the OAuth server of M2M and sign-in credentials from any source but
//!   an explicit one (a self-hosted or local OAuth server).

use crate::config;
use crate::credentials::kind::{CredentialKind, Platform};
use crate::credentials::origin::Origin;
use crate::credentials::Credentials;
use crate::env::{self, Environment};
use crate::error::{Error, ErrorKind, Result};

/// The CARTO 3 environment variables (call when [`variables_set`]).
pub(super) fn from_environment(
    env: &dyn Environment,
    allow_non_secure: bool,
) -> Result<Credentials> {
    let token = env.get(env::API_TOKEN);
    let client_id = env.get(env::M2M_CLIENT_ID);
    let client_secret = env.get(env::M2M_CLIENT_SECRET);
    let carto2: Vec<&str> = [env::USERNAME, env::API_KEY]
        .into_iter()
        .filter(|name| env.get(name).is_some())
        .collect();
    let carto3_name = if token.is_some() {
        env::API_TOKEN
    } else {
        env::M2M_CLIENT_ID
    };
    if !carto2.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidEnvironment,
            format!(
                "both CARTO 2 ({}) and CARTO 3 ({carto3_name}) credentials are set in the environment; unset one",
                carto2.join(", ")
            ),
        ));
    }
    let (url_variable, base_url) = match (env.get(env::API_BASE_URL), env.get(env::BASE_URL)) {
        (Some(url), _) => (env::API_BASE_URL, url),
        (None, Some(url)) => (env::BASE_URL, url),
        (None, None) => {
            return Err(Error::new(
                ErrorKind::InvalidEnvironment,
                format!(
                    "{carto3_name} is set but no API base URL is: set {} (e.g. https://gcp-us-east1.api.carto.com; CARTO Workspace > Developers > Credentials)",
                    env::API_BASE_URL
                ),
            ))
        }
    };
    let mut variables = vec![url_variable.to_owned()];
    let mut builder = Credentials::builder()
        .base_url(base_url)
        .allow_non_secure(allow_non_secure);
    if let Some(platform) = env.get(env::PLATFORM) {
        let platform = Platform::parse(&platform).map_err(|e| {
            Error::new(
                ErrorKind::InvalidEnvironment,
                format!("{}: {}", env::PLATFORM, e.message()),
            )
        })?;
        variables.push(env::PLATFORM.to_owned());
        builder = builder.platform(platform);
    }
    builder = match (token, client_id, client_secret) {
        (Some(token), _, _) => {
            variables.push(env::API_TOKEN.to_owned());
            builder.access_token(token)
        }
        (None, Some(id), Some(secret)) => {
            variables.push(env::M2M_CLIENT_ID.to_owned());
            variables.push(env::M2M_CLIENT_SECRET.to_owned());
            builder.m2m_client(id, secret)
        }
        (None, id, _) => {
            let (set, unset) = if id.is_some() {
                (env::M2M_CLIENT_ID, env::M2M_CLIENT_SECRET)
            } else {
                (env::M2M_CLIENT_SECRET, env::M2M_CLIENT_ID)
            };
            return Err(Error::new(
                ErrorKind::InvalidEnvironment,
                format!("{set} is set but {unset} is not; an M2M client needs both"),
            ));
        }
    };
    let credentials = builder.build().map_err(|e| {
        Error::new(
            ErrorKind::InvalidEnvironment,
            format!("{url_variable}: {}", e.message()),
        )
    })?;
    Ok(credentials.with_origin(Origin::environment(variables)))
}

/// `CARTO_PROFILE=name` when cartoauth has no such profile: the CARTO CLI's profile of that
/// name, or `Ok(None)` when its file has none either.
pub(super) fn cli_profile(
    env: &dyn Environment,
    name: &str,
    allow_non_secure: bool,
) -> Result<Option<Credentials>> {
    let Some(path) = config::carto_cli_file(env) else {
        return Ok(None);
    };
    if !config::carto_cli_profiles(&path)?.iter().any(|p| p == name) {
        return Ok(None);
    }
    let credentials = config::load_carto_cli(&path, Some(name), allow_non_secure)?;
    let origin = credentials.origin().clone().with_variable(env::PROFILE);
    Ok(Some(credentials.with_origin(origin)))
}

/// A carto-auth token cache as credentials, or why it was skipped (an expired token, a
/// broken file: another tool's cache is never an error).
pub(super) fn carto_auth_token(
    path: &std::path::Path,
    allow_non_secure: bool,
) -> std::result::Result<Credentials, String> {
    let now = crate::credentials::jwt::unix_now();
    match config::load_carto_auth_token(path, allow_non_secure) {
        Ok((credentials, Some(exp))) if exp > now => Ok(credentials),
        Ok((_, Some(exp))) => Err(format!(
            "{} (its token expired {} s ago)",
            path.display(),
            now - exp
        )),
        Ok((_, None)) => Err(format!(
            "{} (its token's expiry is unknown)",
            path.display()
        )),
        Err(e) => Err(format!("{} ({e})", path.display())),
    }
}

/// Whether any CARTO 3 variable that makes credentials is set.
pub(super) fn variables_set(env: &dyn Environment) -> bool {
    [env::API_TOKEN, env::M2M_CLIENT_ID, env::M2M_CLIENT_SECRET]
        .into_iter()
        .any(|name| env.get(name).is_some())
}

/// Applies `CARTO_AUTH_URL` to M2M and sign-in credentials.
pub(super) fn with_auth_url(
    credentials: Credentials,
    env: &dyn Environment,
) -> Result<Credentials> {
    let Some(url) = env.get(env::AUTH_URL) else {
        return Ok(credentials);
    };
    if !matches!(
        credentials.kind(),
        CredentialKind::M2m | CredentialKind::OAuthUser
    ) {
        return Ok(credentials);
    }
    let origin = credentials.origin().clone().with_variable(env::AUTH_URL);
    credentials
        .with_auth_url(&url)
        .map(|c| c.with_origin(origin))
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidEnvironment,
                format!("{}: {}", env::AUTH_URL, e.message()),
            )
        })
}
