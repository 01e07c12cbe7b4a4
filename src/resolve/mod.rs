//! Which credentials to use, in one documented order:
//!
//! 1. credentials given explicitly to the call;
//! 2. the process default (`set_default_credentials`);
//! 3. the environment:
//!    - CARTO 3: `CARTO_API_TOKEN`, else `CARTO_M2M_CLIENT_ID` + `CARTO_M2M_CLIENT_SECRET`,
//!      with `CARTO_API_BASE_URL` (or `CARTO_BASE_URL`) (see [`carto3`]);
//!    - else `CARTO_USERNAME` and/or `CARTO_BASE_URL` (with `CARTO_API_KEY`,
//!      `CARTO_ALLOW_NON_SECURE`);
//!    - else `CARTO_CREDENTIALS_FILE`: that file (any layout, carto-auth's and the CARTO
//!      CLI's included);
//!    - else `CARTO_PROFILE`: that profile in the config directory, else that profile of the
//!      CARTO CLI's `~/.carto_credentials.json`;
//! 4. the default files of the config directory: `cartocreds.json`, then CARTOframes'
//!    `creds.json`; then the CARTO CLI's `~/.carto_credentials.json` (its current profile),
//!    then carto-auth's token caches `~/.carto-auth/token_oauth.json` and `token_m2m.json`
//!    (an expired token is skipped);
//! 5. otherwise an error listing every place tried.
//!
//! `CARTO_AUTH_URL` then moves the OAuth server of M2M and sign-in credentials.
//!
//! Blank variables count as unset. A source that was named explicitly but is broken (a
//! variable naming a missing or corrupt file, a bad URL in `CARTO_BASE_URL`, a corrupt default
//! file) is an error; a missing default file is skipped quietly. `CARTO_ALLOW_NON_SECURE`
//! also lets files with `http://` URLs load.
//!
//! The first source that answers hides every later one. Credentials saved behind another
//! source are silently not the ones in use, so [`Explanation::shadowed`] names the hidden
//! sources after a resolution and [`shadowing`] names what would hide a file before saving.

mod carto3;
pub(crate) mod defaults;

use crate::config::{self, Location};
use crate::credentials::origin::{Origin, Source};
use crate::credentials::Credentials;
use crate::env::{self, Environment, ProcessEnvironment};
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

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
    resolve_traced(explicit, process_default, env, &mut Explanation::default())
}

/// What a resolution looked at, for tools that explain where credentials came from
/// (`cartoauth status`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Explanation {
    /// The sources tried and skipped before the one that answered (or before giving up), in
    /// order.
    pub tried: Vec<String>,
    /// Sources that hold credentials but were not used because one before them in the order
    /// answered: a `creds.json` behind a `cartocreds.json`, a default file while
    /// `CARTO_USERNAME` is set, ... Credentials saved there are silently not the ones in use.
    pub shadowed: Vec<Shadowed>,
}

/// A source of credentials that an earlier source hides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadowed {
    /// The source as a user would name it: a path, `CARTO_PROFILE=work (<path>)`, ...
    pub description: String,
    /// Its file, for file and profile sources.
    pub path: Option<PathBuf>,
}

/// [`resolve_with`] that also reports what it looked at: the sources skipped before the one
/// that answered, and the ones that answer too but come after it.
pub fn resolve_explained_with(
    explicit: Option<&Credentials>,
    process_default: Option<Credentials>,
    env: &dyn Environment,
) -> (Result<Credentials>, Explanation) {
    let mut explanation = Explanation::default();
    let result = resolve_traced(explicit, process_default, env, &mut explanation);
    (result, explanation)
}

/// The sources that come before the file `path` in the resolution order (after explicit
/// credentials and the process default) and hold credentials now: while they do, credentials
/// saved at `path` are not the ones resolution uses. Empty when `path` would be used, and
/// when resolution does not read `path` at all (a profile that `CARTO_PROFILE` does not name).
pub fn shadowing(path: &Path) -> Vec<Shadowed> {
    shadowing_with(path, &ProcessEnvironment)
}

/// [`shadowing`] with a given environment.
pub fn shadowing_with(path: &Path, env: &dyn Environment) -> Vec<Shadowed> {
    let chain = Chain::of(env);
    let target = identity(path);
    let Some(position) = chain
        .steps
        .iter()
        .position(|step| step.path(env).is_some_and(|p| identity(&p) == target))
    else {
        return Vec::new();
    };
    chain.steps[..position]
        .iter()
        .filter(|step| step.is_present())
        .map(|step| step.shadowed(env))
        .collect()
}

fn resolve_traced(
    explicit: Option<&Credentials>,
    process_default: Option<Credentials>,
    env: &dyn Environment,
    explanation: &mut Explanation,
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
        explanation.shadowed = Chain::of(env).present_after(0, origin.path(), env);
        return Ok(credentials.with_origin(origin));
    }
    let tried = &mut explanation.tried;
    tried.push("explicit credentials (none given)".to_owned());
    tried.push("process default (not set)".to_owned());
    let allow_non_secure = env.flag(env::ALLOW_NON_SECURE)?;
    let chain = Chain::of(env);
    check_environment(env)?;
    if !chain.steps.iter().any(Step::is_from_environment) {
        tried.push(format!(
            "environment ({}, {}, {}, {}, {}, {} not set)",
            env::API_TOKEN,
            env::M2M_CLIENT_ID,
            env::USERNAME,
            env::BASE_URL,
            env::CREDENTIALS_FILE,
            env::PROFILE
        ));
    }
    for (i, step) in chain.steps.iter().enumerate() {
        match step.load(env, allow_non_secure)? {
            Ok(credentials) => {
                explanation.shadowed = chain.present_after(i + 1, credentials.origin().path(), env);
                return carto3::with_auth_url(credentials, env);
            }
            Err(skipped) => tried.push(skipped),
        }
    }
    if let Some(e) = chain.default_files_error {
        tried.push(format!("default credentials files ({e})"));
    }
    Err(Error::new(
        ErrorKind::NotResolved,
        format!("no CARTO credentials found; tried: {}", tried.join("; ")),
    ))
}

/// The places read after explicit credentials and the process default, in order: steps 3
/// and 4 of the module documentation. The environment's steps are listed only when their
/// variables are set; both default files always are.
struct Chain {
    steps: Vec<Step>,
    /// Why the default files could not be named (no home directory).
    default_files_error: Option<Error>,
}

enum Step {
    /// `CARTO_API_TOKEN`, or `CARTO_M2M_CLIENT_ID` / `CARTO_M2M_CLIENT_SECRET`.
    Carto3Variables,
    /// `CARTO_USERNAME` and/or `CARTO_BASE_URL` (with `CARTO_API_KEY`).
    Variables,
    /// `CARTO_CREDENTIALS_FILE`'s value.
    CredentialsFile(String),
    /// `CARTO_PROFILE`'s value.
    Profile(String),
    /// `cartocreds.json`, then `creds.json`.
    DefaultFile(PathBuf),
    /// The CARTO CLI's `~/.carto_credentials.json`.
    CartoCliFile(PathBuf),
    /// carto-auth's `~/.carto-auth/token_oauth.json`, then `token_m2m.json`.
    CartoAuthToken(PathBuf),
}

impl Chain {
    fn of(env: &dyn Environment) -> Chain {
        let mut steps = Vec::new();
        if carto3::variables_set(env) {
            steps.push(Step::Carto3Variables);
        } else if env.get(env::USERNAME).is_some() || env.get(env::BASE_URL).is_some() {
            steps.push(Step::Variables);
        }
        if let Some(file) = env.get(env::CREDENTIALS_FILE) {
            steps.push(Step::CredentialsFile(file));
        }
        if let Some(profile) = env.get(env::PROFILE) {
            steps.push(Step::Profile(profile));
        }
        let default_files_error = match config::default_files_with(env) {
            Ok(files) => {
                steps.extend(files.into_iter().map(Step::DefaultFile));
                None
            }
            Err(e) => Some(e),
        };
        steps.extend(config::carto_cli_file(env).map(Step::CartoCliFile));
        steps.extend(
            config::carto_auth_token_files(env)
                .into_iter()
                .map(Step::CartoAuthToken),
        );
        Chain {
            steps,
            default_files_error,
        }
    }

    /// The present steps from `start` on, except the file that answered (`used`), which a
    /// variable may also name.
    fn present_after(
        &self,
        start: usize,
        used: Option<&Path>,
        env: &dyn Environment,
    ) -> Vec<Shadowed> {
        let used = used.map(identity);
        self.steps[start.min(self.steps.len())..]
            .iter()
            .filter(|step| step.is_present())
            .filter(|step| used.is_none() || step.path(env).map(|p| identity(&p)) != used)
            .map(|step| step.shadowed(env))
            .collect()
    }
}

impl Step {
    fn is_from_environment(&self) -> bool {
        !matches!(
            self,
            Step::DefaultFile(_) | Step::CartoCliFile(_) | Step::CartoAuthToken(_)
        )
    }

    /// Whether the step holds credentials now: a set variable names them (broken or not, it
    /// is used, and loudly); a default file must exist.
    fn is_present(&self) -> bool {
        match self {
            Step::DefaultFile(path) | Step::CartoCliFile(path) | Step::CartoAuthToken(path) => {
                path.exists()
            }
            _ => true,
        }
    }

    fn path(&self, env: &dyn Environment) -> Option<PathBuf> {
        match self {
            Step::Variables | Step::Carto3Variables => None,
            Step::CredentialsFile(file) => Some(config::expand_home(file)),
            Step::Profile(name) => config::path_of_with(&Location::Profile(name.clone()), env).ok(),
            Step::DefaultFile(path) | Step::CartoCliFile(path) | Step::CartoAuthToken(path) => {
                Some(path.clone())
            }
        }
    }

    fn shadowed(&self, env: &dyn Environment) -> Shadowed {
        let path = self.path(env);
        let description = match self {
            Step::Variables | Step::Carto3Variables => {
                let set: Vec<&str> = [
                    env::API_TOKEN,
                    env::M2M_CLIENT_ID,
                    env::USERNAME,
                    env::BASE_URL,
                ]
                .into_iter()
                .filter(|name| env.get(name).is_some())
                .collect();
                format!("environment ({})", set.join(", "))
            }
            Step::CredentialsFile(_) => format!(
                "{}={}",
                env::CREDENTIALS_FILE,
                path.as_deref().unwrap_or(Path::new("")).display()
            ),
            Step::Profile(name) => match &path {
                Some(p) => format!("{}={name} ({})", env::PROFILE, p.display()),
                None => format!("{}={name}", env::PROFILE),
            },
            Step::DefaultFile(p) | Step::CartoCliFile(p) | Step::CartoAuthToken(p) => {
                p.display().to_string()
            }
        };
        Shadowed { description, path }
    }

    /// The step's credentials, or (`Ok(Err)`) why a default file was skipped: it does not
    /// exist, or holds an expired token. A source the environment names is used or fails
    /// loudly.
    fn load(
        &self,
        env: &dyn Environment,
        allow_non_secure: bool,
    ) -> Result<std::result::Result<Credentials, String>> {
        let missing = |path: &Path| Err(format!("{} (no such file)", path.display()));
        match self {
            Step::Carto3Variables => carto3::from_environment(env, allow_non_secure).map(Ok),
            Step::Variables => from_variables(env, allow_non_secure).map(Ok),
            Step::CredentialsFile(file) => {
                let credentials = config::load_with(
                    &Location::Path(config::expand_home(file)),
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
                Ok(Ok(credentials.with_origin(origin)))
            }
            Step::Profile(profile) => {
                let location = Location::from_parts(None, Some(profile))
                    .map_err(|e| e.context(env::PROFILE))?;
                let credentials = match config::load_with(&location, env, allow_non_secure) {
                    Err(e) if e.kind() == ErrorKind::FileNotFound => {
                        match carto3::cli_profile(env, profile, allow_non_secure)? {
                            Some(credentials) => return Ok(Ok(credentials)),
                            None => {
                                let cli = config::carto_cli_file(env)
                                    .map(|p| format!(" nor in {}", p.display()))
                                    .unwrap_or_default();
                                return Err(e.context(format!(
                                    "{}={profile} (not a cartoauth profile{cli})",
                                    env::PROFILE
                                )));
                            }
                        }
                    }
                    other => other.map_err(|e| e.context(format!("{}={profile}", env::PROFILE)))?,
                };
                let origin = credentials.origin().clone().with_variable(env::PROFILE);
                Ok(Ok(credentials.with_origin(origin)))
            }
            Step::DefaultFile(path) if path.exists() => {
                config::load_file(path, allow_non_secure).map(Ok)
            }
            Step::CartoCliFile(path) if path.exists() => {
                config::load_carto_cli(path, None, allow_non_secure).map(Ok)
            }
            Step::CartoAuthToken(path) if path.exists() => {
                Ok(carto3::carto_auth_token(path, allow_non_secure))
            }
            Step::DefaultFile(path) | Step::CartoCliFile(path) | Step::CartoAuthToken(path) => {
                Ok(missing(path))
            }
        }
    }
}

/// A file's identity for comparison: its canonical path, or its directory's canonical path
/// and its name when it does not exist yet.
fn identity(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize()
            .map(|d| d.join(name))
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// The environment's own contradictions, which fail resolution whatever else is there.
fn check_environment(env: &dyn Environment) -> Result<()> {
    if env.get(env::USERNAME).is_some() || env.get(env::BASE_URL).is_some() {
        return Ok(());
    }
    if env.get(env::API_KEY).is_some() {
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
    if env.get(env::CREDENTIALS_FILE).is_some() && env.get(env::PROFILE).is_some() {
        return Err(Error::new(
            ErrorKind::InvalidEnvironment,
            format!(
                "both {} and {} are set; set only one",
                env::CREDENTIALS_FILE,
                env::PROFILE
            ),
        ));
    }
    Ok(())
}

/// Step 3's first source: `CARTO_USERNAME` / `CARTO_BASE_URL`, with `CARTO_API_KEY`.
fn from_variables(env: &dyn Environment, allow_non_secure: bool) -> Result<Credentials> {
    let username = env.get(env::USERNAME);
    let base_url = env.get(env::BASE_URL);
    let api_key = env.get(env::API_KEY);
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
    Ok(credentials.with_origin(Origin::environment(variables)))
}
