//! Where credentials files live.
//!
//! The directory is the one CARTOframes uses, appdirs' `user_config_dir('cartoframes')`:
//! - Linux and other Unix: `$XDG_CONFIG_HOME/cartoframes`, else `~/.config/cartoframes`;
//! - macOS: `~/Library/Application Support/cartoframes`;
//! - Windows: `%LOCALAPPDATA%\cartoframes\cartoframes`.
//!
//! `CARTO_CONFIG_DIR` replaces it. In it: `cartocreds.json` (this library's native layout),
//! `creds.json` (CARTOframes 1.x) and `profiles/<name>.json`.

use crate::env::{self, Environment};
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// The native credentials file name.
pub const CARTOCREDS_FILE_NAME: &str = "cartocreds.json";
/// CARTOframes 1.x's credentials file name.
pub const CARTOFRAMES_FILE_NAME: &str = "creds.json";
/// The sub-directory of the config directory that holds one file per profile.
pub const PROFILES_DIR_NAME: &str = "profiles";
const APP_NAME: &str = "cartoframes";
const MAX_PROFILE_NAME_LEN: usize = 64;

/// A path as a user wrote it: a leading `~/` (or a lone `~`) means the home directory, as in a
/// shell, since paths from environment files and R or Julia strings never went through one.
pub fn expand_home(path: &str) -> PathBuf {
    let rest = match path.strip_prefix('~') {
        Some("") => "",
        Some(rest) if rest.starts_with('/') || rest.starts_with(std::path::MAIN_SEPARATOR) => {
            &rest[1..]
        }
        _ => return PathBuf::from(path),
    };
    match dirs::home_dir() {
        Some(home) if rest.is_empty() => home,
        Some(home) => home.join(rest),
        None => PathBuf::from(path),
    }
}

/// The directory that holds the default credentials files and profiles.
pub fn config_dir(env: &dyn Environment) -> Result<PathBuf> {
    if let Some(dir) = env.get(env::CONFIG_DIR) {
        return Ok(expand_home(&dir));
    }
    platform_config_dir(env).ok_or_else(|| {
        Error::new(
            ErrorKind::Io,
            format!(
                "cannot find the user's configuration directory (no home directory); set {}",
                env::CONFIG_DIR
            ),
        )
    })
}

#[cfg(all(unix, not(target_os = "macos")))]
fn platform_config_dir(env: &dyn Environment) -> Option<PathBuf> {
    // appdirs takes XDG_CONFIG_HOME as given; we follow it so both find the same file.
    let base = match env.get("XDG_CONFIG_HOME") {
        Some(xdg) => PathBuf::from(xdg),
        None => home_dir(env)?.join(".config"),
    };
    Some(base.join(APP_NAME))
}

#[cfg(target_os = "macos")]
fn platform_config_dir(env: &dyn Environment) -> Option<PathBuf> {
    Some(
        home_dir(env)?
            .join("Library")
            .join("Application Support")
            .join(APP_NAME),
    )
}

#[cfg(windows)]
fn platform_config_dir(_env: &dyn Environment) -> Option<PathBuf> {
    // appdirs: CSIDL_LOCAL_APPDATA \ appauthor \ appname, and appauthor defaults to appname.
    Some(dirs::data_local_dir()?.join(APP_NAME).join(APP_NAME))
}

#[cfg(not(any(unix, windows)))]
fn platform_config_dir(_env: &dyn Environment) -> Option<PathBuf> {
    Some(dirs::config_dir()?.join(APP_NAME))
}

#[cfg(unix)]
fn home_dir(env: &dyn Environment) -> Option<PathBuf> {
    env.get("HOME").map(PathBuf::from).or_else(dirs::home_dir)
}

#[cfg(not(unix))]
fn home_dir(_env: &dyn Environment) -> Option<PathBuf> {
    dirs::home_dir()
}

/// The CARTO CLI's credentials file: `~/.carto_credentials.json`.
pub const CARTO_CLI_FILE_NAME: &str = ".carto_credentials.json";
/// carto-auth's directory of token caches: `~/.carto-auth`.
pub const CARTO_AUTH_DIR_NAME: &str = ".carto-auth";

/// `~/.carto_credentials.json`, if there is a home directory.
pub fn carto_cli_file(env: &dyn Environment) -> Option<PathBuf> {
    Some(home_dir(env)?.join(CARTO_CLI_FILE_NAME))
}

/// carto-auth's token caches in the order they are read: `~/.carto-auth/token_oauth.json`
/// (a user's browser login), then `token_m2m.json`.
pub fn carto_auth_token_files(env: &dyn Environment) -> Vec<PathBuf> {
    home_dir(env)
        .map(|home| {
            let dir = home.join(CARTO_AUTH_DIR_NAME);
            vec![dir.join("token_oauth.json"), dir.join("token_m2m.json")]
        })
        .unwrap_or_default()
}

/// The default files in the order they are read: `cartocreds.json`, then `creds.json`.
pub(crate) fn default_files(env: &dyn Environment) -> Result<[PathBuf; 2]> {
    let dir = config_dir(env)?;
    Ok([
        dir.join(CARTOCREDS_FILE_NAME),
        dir.join(CARTOFRAMES_FILE_NAME),
    ])
}

/// The file of profile `name`.
pub(crate) fn profile_path(env: &dyn Environment, name: &str) -> Result<PathBuf> {
    validate_profile_name(name)?;
    Ok(profiles_dir(env)?.join(format!("{name}.json")))
}

pub(crate) fn profiles_dir(env: &dyn Environment) -> Result<PathBuf> {
    Ok(config_dir(env)?.join(PROFILES_DIR_NAME))
}

/// Profile names become file names: letters, digits, `.`, `_`, `-`; not starting with `.`.
pub(crate) fn validate_profile_name(name: &str) -> Result<()> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if name.is_empty() || name.len() > MAX_PROFILE_NAME_LEN || !valid_chars || name.starts_with('.')
    {
        return Err(Error::invalid_argument(format!(
            "profile name {} is not valid: use 1 to {MAX_PROFILE_NAME_LEN} letters, digits, '.', '_' or '-', not starting with '.'",
            crate::text::excerpt::quoted(name)
        )));
    }
    Ok(())
}

/// The profile name of a file in the profiles directory, if it is one.
pub(crate) fn profile_name_of(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?.strip_suffix(".json")?;
    validate_profile_name(name).ok()?;
    Some(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnvironment;

    #[test]
    fn carto_config_dir_wins() {
        let env = MapEnvironment::new()
            .with(env::CONFIG_DIR, "/tmp/carto-x")
            .with("XDG_CONFIG_HOME", "/tmp/xdg");
        assert_eq!(config_dir(&env).unwrap(), PathBuf::from("/tmp/carto-x"));
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn linux_follows_appdirs() {
        let env = MapEnvironment::new().with("XDG_CONFIG_HOME", "/tmp/xdg");
        assert_eq!(
            config_dir(&env).unwrap(),
            PathBuf::from("/tmp/xdg/cartoframes")
        );
        let env = MapEnvironment::new().with("HOME", "/home/jo");
        assert_eq!(
            config_dir(&env).unwrap(),
            PathBuf::from("/home/jo/.config/cartoframes")
        );
        let [seed, cartoframes] = default_files(&env).unwrap();
        assert!(seed.ends_with("cartoframes/cartocreds.json"));
        assert!(cartoframes.ends_with("cartoframes/creds.json"));
    }

    #[test]
    fn a_leading_tilde_means_home() {
        let home = dirs::home_dir().unwrap();
        assert_eq!(expand_home("~/a/b.json"), home.join("a/b.json"));
        assert_eq!(expand_home("~"), home);
        assert_eq!(expand_home("~bob/x"), PathBuf::from("~bob/x"));
        assert_eq!(expand_home("/abs/~/x"), PathBuf::from("/abs/~/x"));
        assert_eq!(expand_home("rel.json"), PathBuf::from("rel.json"));
    }

    #[test]
    fn profile_names_are_file_name_safe() {
        for good in ["work", "a.b_c-1", "PROD"] {
            validate_profile_name(good).unwrap();
        }
        for bad in ["", ".hidden", "a/b", "../x", "a b", &"x".repeat(65)] {
            assert!(validate_profile_name(bad).is_err(), "{bad}");
        }
        let env = MapEnvironment::new().with(env::CONFIG_DIR, "/c");
        assert_eq!(
            profile_path(&env, "work").unwrap(),
            PathBuf::from("/c/profiles/work.json")
        );
        assert_eq!(
            profile_name_of(Path::new("/c/profiles/work.json")).as_deref(),
            Some("work")
        );
        assert_eq!(profile_name_of(Path::new("/c/profiles/.x.json")), None);
    }
}
