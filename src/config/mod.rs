//! Credentials files: load, save, update in place, delete, and named profiles.
//!
//! A [`Location`] says which file: the default files of the config directory, an explicit path,
//! or a named profile. Every write goes through [`store`] (atomic, 0600, locked).

mod format;
mod format3;
mod location;
pub(crate) mod store;

pub use format::{FileFormat, FileUpdate};
pub(crate) use format3::to_carto_auth_clock;
pub use location::{
    carto_auth_token_files, carto_cli_file, expand_home, CARTOCREDS_FILE_NAME,
    CARTOFRAMES_FILE_NAME, CARTO_AUTH_DIR_NAME, CARTO_CLI_FILE_NAME, PROFILES_DIR_NAME,
};

use crate::credentials::origin::Origin;
use crate::credentials::Credentials;
use crate::env::{Environment, ProcessEnvironment};
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// Which credentials file an operation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `cartocreds.json`, then `creds.json`, in the config directory.
    Default,
    /// A file named by the caller.
    Path(PathBuf),
    /// `<config dir>/profiles/<name>.json`.
    Profile(String),
}

impl Location {
    /// From the optional path and profile of the C and binding APIs (a leading `~/` in the path
    /// is the home directory). `None` means "not given"; an empty or blank string is an error
    /// (it must not silently mean the default files), and so is giving both.
    pub fn from_parts(path: Option<&str>, profile: Option<&str>) -> Result<Self> {
        for (name, value) in [("path", path), ("profile", profile)] {
            if value.is_some_and(|v| v.trim().is_empty()) {
                return Err(Error::invalid_argument(format!(
                    "{name} is empty or blank; give none (NULL) for the default files"
                )));
            }
        }
        match (path, profile) {
            (Some(_), Some(_)) => Err(Error::invalid_argument(
                "give a file path or a profile name, not both",
            )),
            (Some(path), None) => Ok(Location::Path(location::expand_home(path))),
            (None, Some(profile)) => {
                location::validate_profile_name(profile)?;
                Ok(Location::Profile(profile.to_owned()))
            }
            (None, None) => Ok(Location::Default),
        }
    }
}

/// The directory holding the default files and profiles (see [`location`] for the rules).
pub fn config_dir() -> Result<PathBuf> {
    location::config_dir(&ProcessEnvironment)
}

/// [`config_dir`] with a given environment.
pub fn config_dir_with(env: &dyn Environment) -> Result<PathBuf> {
    location::config_dir(env)
}

/// The default files in reading order: `cartocreds.json`, then `creds.json`.
pub fn default_files_with(env: &dyn Environment) -> Result<[PathBuf; 2]> {
    location::default_files(env)
}

/// The file a location designates for reading: for [`Location::Default`], the first default
/// file that exists (or `cartocreds.json` when none does).
pub fn path_of(location: &Location) -> Result<PathBuf> {
    path_of_with(location, &ProcessEnvironment)
}

/// [`path_of`] with a given environment.
pub fn path_of_with(location: &Location, env: &dyn Environment) -> Result<PathBuf> {
    match location {
        Location::Path(path) => Ok(path.clone()),
        Location::Profile(name) => location::profile_path(env, name),
        Location::Default => {
            let files = location::default_files(env)?;
            Ok(files
                .iter()
                .find(|p| p.exists())
                .unwrap_or(&files[0])
                .clone())
        }
    }
}

/// Loads credentials from a file or profile. The result's origin names the file and carries
/// warnings (e.g. a file other users can read).
pub fn load(location: &Location) -> Result<Credentials> {
    load_with(location, &ProcessEnvironment, false)
}

/// [`load`] with a given environment (which decides the config directory); `allow_non_secure`
/// also accepts `http://` URLs that the
/// file itself does not allow (the `CARTO_ALLOW_NON_SECURE` override).
pub fn load_with(
    location: &Location,
    env: &dyn Environment,
    allow_non_secure: bool,
) -> Result<Credentials> {
    match location {
        Location::Path(path) => load_file(path, allow_non_secure),
        Location::Profile(name) => {
            let path = location::profile_path(env, name)?;
            match load_file(&path, allow_non_secure) {
                Ok(c) => {
                    let origin = Origin::for_profile(name, &path, c.origin().warnings().to_vec());
                    Ok(c.with_origin(origin))
                }
                Err(e) if e.kind() == ErrorKind::FileNotFound => {
                    Err(profile_not_found(env, name, &path))
                }
                Err(e) => Err(e),
            }
        }
        Location::Default => {
            let files = location::default_files(env)?;
            match files.iter().find(|p| p.exists()) {
                Some(path) => load_file(path, allow_non_secure),
                None => Err(Error::new(
                    ErrorKind::FileNotFound,
                    format!(
                        "there is no default credentials file (looked for {} and {}); save credentials first",
                        files[0].display(),
                        files[1].display()
                    ),
                )),
            }
        }
    }
}

fn profile_not_found(env: &dyn Environment, name: &str, path: &Path) -> Error {
    let known = profiles_with(env).unwrap_or_default();
    let known = if known.is_empty() {
        "no profiles are saved".to_owned()
    } else {
        format!("saved profiles: {}", known.join(", "))
    };
    Error::new(
        ErrorKind::FileNotFound,
        format!(
            "there is no profile '{name}' (expected {}); {known}",
            path.display()
        ),
    )
}

/// Reads and checks one file; never modifies it.
pub(crate) fn load_file(path: &Path, allow_non_secure: bool) -> Result<Credentials> {
    let file = store::read(path)?;
    let credentials = credentials_from_text(path, &file.text, allow_non_secure)?;
    Ok(credentials.with_origin(Origin::file(path, file.warnings)))
}

/// The credentials in a file's text (`path` is only named in messages).
pub(crate) fn credentials_from_text(
    path: &Path,
    text: &str,
    allow_non_secure: bool,
) -> Result<Credentials> {
    let doc = format::parse_document(path, text)?;
    if format3::is_carto3(&doc) {
        return format3::credentials(path, &doc, None, allow_non_secure);
    }
    let layout = format::detect_layout(path, &doc)?;
    let fields = format::read_fields(path, layout, &doc)?;
    format::credentials_from_fields(path, layout, &fields, allow_non_secure)
}

/// The text `save` writes for `credentials` in `format` (CARTO 3 credentials have one
/// layout, whatever the format).
pub(crate) fn text_of(credentials: &Credentials, format: FileFormat) -> Vec<u8> {
    match credentials.platform() {
        crate::Platform::Carto3 => format::to_bytes(&format3::render(credentials)),
        crate::Platform::Carto2 => format::to_bytes(&format::render(credentials, format)),
    }
}

/// A CARTO CLI credentials file (`~/.carto_credentials.json`): profile `profile`, or its
/// `current_profile`. The origin names the file and the profile.
pub fn load_carto_cli(
    path: &Path,
    profile: Option<&str>,
    allow_non_secure: bool,
) -> Result<Credentials> {
    let file = store::read(path)?;
    let doc = format::parse_document(path, &file.text)?;
    if !format3::is_cli(&doc) {
        return Err(Error::file_content(
            path,
            Some("profiles"),
            "is missing: this is not a CARTO CLI credentials file",
        ));
    }
    let name = match profile {
        Some(name) => name.to_owned(),
        None => doc
            .get("current_profile")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned(),
    };
    let credentials = format3::credentials(path, &doc, profile, allow_non_secure)?;
    let origin = Origin::for_profile(&name, path, file.warnings);
    Ok(credentials.with_origin(origin))
}

/// A carto-auth token cache (`~/.carto-auth/token_oauth.json`, `token_m2m.json`) as CARTO 3
/// access-token credentials, and when its token expires (from the JWT's `exp`, never from
/// carto-auth's time-zone-skewed `expiration` unless the token is not a JWT).
pub fn load_carto_auth_token(
    path: &Path,
    allow_non_secure: bool,
) -> Result<(Credentials, Option<i64>)> {
    let file = store::read(path)?;
    let doc = format::parse_document(path, &file.text)?;
    let (credentials, exp) = format3::carto_auth_token(path, &doc, allow_non_secure)?;
    Ok((
        credentials.with_origin(Origin::file(path, file.warnings)),
        exp,
    ))
}

/// The profile names of a CARTO CLI credentials file (empty when it does not exist).
pub fn carto_cli_profiles(path: &Path) -> Result<Vec<String>> {
    let file = match store::read(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::FileNotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let doc = format::parse_document(path, &file.text)?;
    Ok(format3::cli_profile_names(&doc))
}

fn parse(
    path: &Path,
    text: &str,
) -> Result<(format::Layout, serde_json::Map<String, serde_json::Value>)> {
    let doc = format::parse_document(path, text)?;
    Ok((format::detect_layout(path, &doc)?, doc))
}

/// Saves `credentials` and returns the path written. `format` defaults to
/// [`FileFormat::CartoCreds`] for files and to [`FileFormat::CartoFrames`] for profiles (so
/// Python CARTOframes can load a profile by its path). The default location with the
/// CARTOframes format is CARTOframes' own `creds.json`.
pub fn save(
    credentials: &Credentials,
    location: &Location,
    format: Option<FileFormat>,
) -> Result<PathBuf> {
    save_with(credentials, location, format, &ProcessEnvironment)
}

/// [`save`] with a given environment (which decides the config directory).
pub fn save_with(
    credentials: &Credentials,
    location: &Location,
    format: Option<FileFormat>,
    env: &dyn Environment,
) -> Result<PathBuf> {
    let (path, format) = save_target(location, format, env)?;
    let bytes = zeroize::Zeroizing::new(text_of(credentials, format));
    store::locked(&path, |target| store::write_atomic(target, &bytes))?;
    Ok(path)
}

/// The file [`save_with`] writes for `location` and `format`, without writing it.
pub fn save_path_with(
    location: &Location,
    format: Option<FileFormat>,
    env: &dyn Environment,
) -> Result<PathBuf> {
    Ok(save_target(location, format, env)?.0)
}

fn save_target(
    location: &Location,
    format: Option<FileFormat>,
    env: &dyn Environment,
) -> Result<(PathBuf, FileFormat)> {
    Ok(match (location, format) {
        (Location::Path(path), format) => (path.clone(), format.unwrap_or(FileFormat::CartoCreds)),
        (Location::Profile(name), format) => (
            location::profile_path(env, name)?,
            format.unwrap_or(FileFormat::CartoFrames),
        ),
        (Location::Default, Some(FileFormat::CartoFrames)) => (
            location::default_files(env)?[1].clone(),
            FileFormat::CartoFrames,
        ),
        (Location::Default, _) => (
            location::default_files(env)?[0].clone(),
            FileFormat::CartoCreds,
        ),
    })
}

/// Updates a stored file in place (e.g. rotates its key), keeping its layout, its other fields
/// and any unknown keys. The result must still be valid credentials, or nothing is written.
/// Returns the path written.
pub fn update(location: &Location, update: &FileUpdate) -> Result<PathBuf> {
    update_with(location, update, &ProcessEnvironment)
}

/// [`update`] with a given environment.
pub fn update_with(
    location: &Location,
    update: &FileUpdate,
    env: &dyn Environment,
) -> Result<PathBuf> {
    let path = path_of_with(location, env)?;
    store::locked(&path, |target| {
        let file = store::read(target)?;
        if format3::is_carto3(&format::parse_document(&path, &file.text)?) {
            return Err(Error::file_content(
                &path,
                None,
                "holds CARTO 3 credentials, which are not updated in place (they have no API key); save new credentials instead",
            ));
        }
        let (layout, mut doc) = parse(&path, &file.text)?;
        format::apply_update(layout, &mut doc, update);
        let fields = format::read_fields(&path, layout, &doc)?;
        format::credentials_from_fields(&path, layout, &fields, false)?;
        let bytes = zeroize::Zeroizing::new(format::to_bytes(&doc));
        store::write_atomic(target, &bytes)
    })?;
    Ok(path)
}

/// Deletes a credentials file and returns what was deleted. For [`Location::Default`] both
/// default files are deleted (so no default credentials remain). Nothing to delete is
/// [`ErrorKind::FileNotFound`].
pub fn delete(location: &Location) -> Result<Vec<PathBuf>> {
    delete_with(location, &ProcessEnvironment)
}

/// [`delete`] with a given environment.
pub fn delete_with(location: &Location, env: &dyn Environment) -> Result<Vec<PathBuf>> {
    let candidates: Vec<PathBuf> = match location {
        Location::Default => location::default_files(env)?.to_vec(),
        other => vec![path_of_with(other, env)?],
    };
    let mut deleted = Vec::new();
    let mut missing = None;
    for path in candidates {
        // Through a symbolic link, what holds the key is the file it leads to: that goes, the
        // link stays (a later save through it writes the file again).
        match store::locked(&path, |target| {
            store::remove(target).map(|()| target.to_path_buf())
        }) {
            Ok(target) => deleted.push(target),
            Err(e) if e.kind() == ErrorKind::FileNotFound => missing = Some(e),
            Err(e) => return Err(e),
        }
    }
    match (deleted.is_empty(), missing, location) {
        (false, _, _) => Ok(deleted),
        (true, _, Location::Profile(name)) => Err(profile_not_found(
            env,
            name,
            &location::profile_path(env, name)?,
        )),
        (true, Some(e), Location::Path(_)) => Err(e),
        (true, _, _) => Err(Error::new(
            ErrorKind::FileNotFound,
            "there is no default credentials file to delete",
        )),
    }
}

/// The names of saved profiles, sorted.
pub fn profiles() -> Result<Vec<String>> {
    profiles_with(&ProcessEnvironment)
}

/// [`profiles`] with a given environment.
pub fn profiles_with(env: &dyn Environment) -> Result<Vec<String>> {
    let dir = location::profiles_dir(env)?;
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("list", &dir, &e)),
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| location::profile_name_of(&e.path()))
        .collect();
    names.sort();
    Ok(names)
}
