//! Which credentials to use, in one documented order:
//!
//! 1. credentials given explicitly to the call;
//! 2. the process default (`set_default_credentials`);
//! 3. the environment:
//!    - `CARTO_USERNAME` and/or `CARTO_BASE_URL` (with `CARTO_API_KEY`, `CARTO_ALLOW_NON_SECURE`);
//!    - else `CARTO_CREDENTIALS_FILE`: that file;
//!    - else `CARTO_PROFILE`: that profile in the config directory;
//! 4. the default files of the config directory: `cartocreds.json`, then CARTOframes' `creds.json`;
//! 5. otherwise an error listing every place tried.
//!
//! Blank variables count as unset. A source that was named explicitly but is broken (a
//! variable naming a missing or corrupt file, a bad URL in `CARTO_BASE_URL`, a corrupt default
//! file) is an error; a missing default file is skipped quietly. `CARTO_ALLOW_NON_SECURE`
//! also lets files with `http://` URLs load.

pub(crate) mod defaults;

use crate::config::{self, Location};
use crate::credentials::origin::{Origin, Source};
use crate::credentials::Credentials;
use crate::env::{self, Environment, ProcessEnvironment};
use crate::error::{Error, ErrorKind, Result};

/// Resolves credentials from the real process state (see the module documentation).
pub fn resolve(explicit: Option<&Credentials>) -> Result<Credentials> {
    resolve_with(
        explicit,
        defaults::default_credentials(),
        &ProcessEnvironment,
    )
}

/// Resolves with a given process default and environment (for tests and embedders).
pub fn resolve_with(
    explicit: Option<&Credentials>,
    process_default: Option<Credentials>,
    env: &dyn Environment,
) -> Result<Credentials> {
    resolve_traced(explicit, process_default, env, &mut Vec::new())
}

/// [`resolve_with`] that also reports the sources it tried and skipped before the one that
/// answered (or before giving up), in order, for tools that explain where credentials came
/// from (`cartoauth status`).
pub fn resolve_explained_with(
    explicit: Option<&Credentials>,
    process_default: Option<Credentials>,
    env: &dyn Environment,
) -> (Result<Credentials>, Vec<String>) {
    let mut skipped = Vec::new();
    let result = resolve_traced(explicit, process_default, env, &mut skipped);
    (result, skipped)
}

fn resolve_traced(
    explicit: Option<&Credentials>,
    process_default: Option<Credentials>,
    env: &dyn Environment,
    tried: &mut Vec<String>,
) -> Result<Credentials> {
    if let Some(credentials) = explicit {
        return Ok(credentials.clone());
    }
    if let Some(credentials) = process_default {
        let origin = credentials.origin().clone();
        let origin = match origin.source() {
            Source::File | Source::Profile | Source::Explicit => {
                origin.with_source_kind(Source::ProcessDefault)
            }
            _ => origin,
        };
        return Ok(credentials.with_origin(origin));
    }
    tried.push("explicit credentials (none given)".to_owned());
    tried.push("process default (not set)".to_owned());
    let allow_non_secure = env.flag(env::ALLOW_NON_SECURE)?;
    if let Some(credentials) = from_environment(env, allow_non_secure, tried)? {
        return Ok(credentials);
    }
    match config::default_files_with(env) {
        Ok(files) => {
            for path in files {
                if path.exists() {
                    return config::load_file(&path, allow_non_secure);
                }
                tried.push(format!("{} (no such file)", path.display()));
            }
        }
        Err(e) => tried.push(format!("default credentials files ({e})")),
    }
    Err(Error::new(
        ErrorKind::NotResolved,
        format!("no CARTO credentials found; tried: {}", tried.join("; ")),
    ))
}

/// Step 3. `Ok(None)` when the environment names no credentials.
fn from_environment(
    env: &dyn Environment,
    allow_non_secure: bool,
    tried: &mut Vec<String>,
) -> Result<Option<Credentials>> {
    let username = env.get(env::USERNAME);
    let base_url = env.get(env::BASE_URL);
    let api_key = env.get(env::API_KEY);
    let file = env.get(env::CREDENTIALS_FILE);
    let profile = env.get(env::PROFILE);

    if username.is_some() || base_url.is_some() {
        let credentials = Credentials::new(
            username.as_deref(),
            api_key.as_deref(),
            base_url.as_deref(),
            allow_non_secure,
        )
        .map_err(|e| {
            let var = match e.kind() {
                ErrorKind::InvalidUsername => env::USERNAME,
                _ => env::BASE_URL,
            };
            Error::new(
                ErrorKind::InvalidEnvironment,
                format!("{var}: {}", e.message()),
            )
        })?;
        let variables = [
            (env::USERNAME, &username),
            (env::BASE_URL, &base_url),
            (env::API_KEY, &api_key),
        ]
        .iter()
        .filter(|(_, value)| value.is_some())
        .map(|(name, _)| (*name).to_owned())
        .collect();
        return Ok(Some(
            credentials.with_origin(Origin::environment(variables)),
        ));
    }
    if api_key.is_some() {
        return Err(Error::new(
            ErrorKind::InvalidEnvironment,
            format!(
                "{} is set but neither {} nor {} is; set one of them so the key has an account",
                env::API_KEY,
                env::USERNAME,
                env::BASE_URL
            ),
        ));
    }
    match (file, profile) {
        (Some(_), Some(_)) => Err(Error::new(
            ErrorKind::InvalidEnvironment,
            format!(
                "both {} and {} are set; set only one",
                env::CREDENTIALS_FILE,
                env::PROFILE
            ),
        )),
        (Some(file), None) => {
            let credentials = config::load_with(
                &Location::Path(config::expand_home(&file)),
                env,
                allow_non_secure,
            )
            .map_err(|e| {
                e.context(format!(
                    "{} names a file that cannot be used",
                    env::CREDENTIALS_FILE
                ))
            })?;
            let origin = credentials
                .origin()
                .clone()
                .with_variable(env::CREDENTIALS_FILE);
            Ok(Some(credentials.with_origin(origin)))
        }
        (None, Some(profile)) => {
            let location =
                Location::from_parts(None, Some(&profile)).map_err(|e| e.context(env::PROFILE))?;
            let credentials = config::load_with(&location, env, allow_non_secure)
                .map_err(|e| e.context(format!("{}={profile}", env::PROFILE)))?;
            let origin = credentials.origin().clone().with_variable(env::PROFILE);
            Ok(Some(credentials.with_origin(origin)))
        }
        (None, None) => {
            tried.push(format!(
                "environment ({}, {}, {}, {} not set)",
                env::USERNAME,
                env::BASE_URL,
                env::CREDENTIALS_FILE,
                env::PROFILE
            ));
            Ok(None)
        }
    }
}
