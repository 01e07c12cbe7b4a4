//! Credentials files: load, save, update in place, delete, and named profiles.
//!
//! A [`Location`] says which file: the default files of the config directory, an explicit path,
//! or a named profile. Every write goes through [`store`] (atomic, 0600, locked).
//!
//! Secrets (API keys, M2M client secrets, access tokens) go to the OS keychain when one answers
//! ([`CredentialStore`], `CARTO_CREDENTIAL_STORE`): the file then keeps the other fields and a
//! reference to the item (see [`reference`]), loading resolves it, deleting deletes the item,
//! and [`move_to`] moves a stored secret between the keychain and the file.

mod format;
mod format3;
#[cfg(test)]
mod keychain_tests;
mod location;
mod reference;
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
use crate::keychain::{self, CredentialStore, Keychain};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

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
                    let origin = c.origin().clone().for_the_profile(name);
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

/// Reads and checks one file; never modifies it. A reference to a keychain item is resolved
/// (the origin then says [`crate::Storage::Keychain`]).
pub(crate) fn load_file(path: &Path, allow_non_secure: bool) -> Result<Credentials> {
    let file = store::read(path)?;
    let keychain = keychain::process();
    let (credentials, account) =
        credentials_in(path, &file.text, allow_non_secure, Some(&keychain))?;
    let mut origin = Origin::file(path, file.warnings);
    if let Some(account) = &account {
        origin = origin.in_keychain(account);
    }
    Ok(credentials.with_origin(origin))
}

/// The credentials in a file's text (`path` is only named in messages). Never consults a
/// keychain: a reference to one is checked, then refused.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn credentials_from_text(
    path: &Path,
    text: &str,
    allow_non_secure: bool,
) -> Result<Credentials> {
    credentials_in(path, text, allow_non_secure, None).map(|(credentials, _)| credentials)
}

/// The credentials in a file's text and the keychain item their secret came from.
fn credentials_in(
    path: &Path,
    text: &str,
    allow_non_secure: bool,
    keychain: Option<&Keychain>,
) -> Result<(Credentials, Option<String>)> {
    let doc = format::parse_document(path, text)?;
    let read = |doc: &Map<String, Value>| credentials_from_doc(path, doc, allow_non_secure);
    let Some(found) = reference::check(path, &doc, &read)? else {
        return Ok((read(&doc)?, None));
    };
    let Some(keychain) = keychain else {
        return Err(Error::new(
            ErrorKind::KeychainUnavailable,
            format!(
                "{}: the secret is in the keychain, which is not consulted here",
                crate::text::excerpt::path(path)
            ),
        ));
    };
    let credentials = reference::resolve(path, &doc, &found, keychain, &read)?;
    Ok((credentials, Some(found.account)))
}

/// The credentials of a parsed document with its secret in place.
fn credentials_from_doc(
    path: &Path,
    doc: &Map<String, Value>,
    allow_non_secure: bool,
) -> Result<Credentials> {
    if format3::is_carto3(doc) {
        return format3::credentials(path, doc, None, allow_non_secure);
    }
    let layout = format::detect_layout(path, doc)?;
    let fields = format::read_fields(path, layout, doc)?;
    format::credentials_from_fields(path, layout, &fields, allow_non_secure)
}

/// The document `save` writes for `credentials` in `format`, secret included (CARTO 3
/// credentials have one layout, whatever the format).
fn render(credentials: &Credentials, format: FileFormat) -> Map<String, Value> {
    match credentials.platform() {
        crate::Platform::Carto3 => format3::render(credentials),
        crate::Platform::Carto2 => format::render(credentials, format),
    }
}

/// The text `save` writes for `credentials` in `format` with the secret in the file.
#[cfg(feature = "fuzzing")]
pub(crate) fn text_of(credentials: &Credentials, format: FileFormat) -> Vec<u8> {
    format::to_bytes(&render(credentials, format))
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

/// How [`save_as`] stores credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SaveOptions {
    /// The file layout; `None`: [`FileFormat::CartoCreds`] for files, [`FileFormat::CartoFrames`]
    /// for profiles (see [`save`]).
    pub format: Option<FileFormat>,
    /// Where the secret goes; `None`: `CARTO_CREDENTIAL_STORE`, else
    /// [`CredentialStore::Auto`]. [`CredentialStore::File`] writes the plain file that Python
    /// CARTOframes and carto-auth read.
    pub store: Option<CredentialStore>,
}

/// Saves `credentials` and returns the path written. `format` defaults to
/// [`FileFormat::CartoCreds`] for files and to [`FileFormat::CartoFrames`] for profiles (so
/// Python CARTOframes can load a profile by its path). The default location with the
/// CARTOframes format is CARTOframes' own `creds.json`.
///
/// The secret goes where `CARTO_CREDENTIAL_STORE` says (the OS keychain when one answers, by
/// default); [`save_as`] takes the choice as an argument and returns where the secret went,
/// with the warning of a fallback to the file.
pub fn save(
    credentials: &Credentials,
    location: &Location,
    format: Option<FileFormat>,
) -> Result<PathBuf> {
    save_with(credentials, location, format, &ProcessEnvironment)
}

/// [`save`] with a given environment (which decides the config directory and the store).
pub fn save_with(
    credentials: &Credentials,
    location: &Location,
    format: Option<FileFormat>,
    env: &dyn Environment,
) -> Result<PathBuf> {
    let options = SaveOptions {
        format,
        store: None,
    };
    let saved = save_stored(credentials, location, options, env, false)?;
    Ok(saved
        .origin()
        .path()
        .map(Path::to_path_buf)
        .unwrap_or_default())
}

/// Saves `credentials` and returns them as stored: their origin names the file (and the
/// profile), says where the secret is ([`crate::Origin::storage`], the keychain item), and
/// carries a warning when [`CredentialStore::Auto`] found no keychain and the secret went to
/// the file (once per process). A replaced file's keychain item is deleted.
///
/// [`CredentialStore::Keychain`] fails with [`ErrorKind::KeychainUnavailable`] or
/// [`ErrorKind::KeychainTimeout`] instead of writing the secret to the file; nothing is
/// written then.
pub fn save_as(
    credentials: &Credentials,
    location: &Location,
    options: SaveOptions,
) -> Result<Credentials> {
    save_as_with(credentials, location, options, &ProcessEnvironment)
}

/// [`save_as`] with a given environment.
pub fn save_as_with(
    credentials: &Credentials,
    location: &Location,
    options: SaveOptions,
    env: &dyn Environment,
) -> Result<Credentials> {
    save_stored(credentials, location, options, env, true)
}

fn save_stored(
    credentials: &Credentials,
    location: &Location,
    options: SaveOptions,
    env: &dyn Environment,
    announce: bool,
) -> Result<Credentials> {
    let (path, format) = save_target(location, options.format, env)?;
    let choice = CredentialStore::chosen(options.store, env)?;
    let keychain = keychain::process();
    let mut doc = render(credentials, format);
    let item = match choice {
        CredentialStore::File => None,
        _ => reference::item_for(&path, credentials, &doc)?,
    };
    let mut stored_as = None;
    let mut fallback = None;
    let mut replaced = None;
    let written = store::locked(&path, |target| {
        replaced = checked_account(target);
        if let Some(item) = &item {
            match keychain.put(&item.account, &item.label, item.secret.clone()) {
                Ok(()) => {
                    reference::externalize(&mut doc, item.field, &item.account);
                    stored_as = Some(item.account.clone());
                }
                Err(failure) if choice == CredentialStore::Auto => {
                    if announce {
                        fallback =
                            keychain.announce_fallback(&failure, &path.display().to_string());
                    }
                }
                Err(failure) => {
                    return Err(keychain
                        .error("storing the secret", &failure)
                        .with_hint("nothing was saved (the keychain store was chosen: it never falls back to the file); choose the file store to keep the secret in the file"))
                }
            }
        }
        let bytes = Zeroizing::new(format::to_bytes(&doc));
        let written = store::write_atomic(target, &bytes);
        if let (Err(_), Some(account)) = (&written, &stored_as) {
            let _ = keychain.delete(account);
        }
        written
    });
    if let Some(item) = &item {
        reference::wipe(&mut doc, item.field);
    }
    written?;
    let mut origin = match location {
        Location::Profile(name) => Origin::for_profile(name, &path, Vec::new()),
        _ => Origin::file(&path, Vec::new()),
    };
    if let Some(account) = &stored_as {
        origin = origin.in_keychain(account);
    }
    if let Some(warning) = fallback {
        origin = origin.with_warning(warning);
    }
    if let Some(old) = replaced.filter(|old| Some(old) != stored_as.as_ref()) {
        if let Some(warning) = forget_quietly(&keychain, &old) {
            origin = origin.with_warning(warning);
        }
    }
    Ok(credentials.clone().with_origin(origin))
}

/// The keychain item (its account, under the service `cartoauth`) whose secret the file at
/// `path` refers to, without asking the keychain; `None` when the file holds its secret, has
/// none, or cannot be read. Only a reference made for the file's own credentials counts.
pub fn keychain_item(path: &Path) -> Option<String> {
    checked_account(path)
}

/// The keychain item a stored file refers to, when its reference is sound (a file that
/// cannot be read or checked has none that cartoauth would delete).
fn checked_account(path: &Path) -> Option<String> {
    let file = store::read(path).ok()?;
    let doc = format::parse_document(path, &file.text).ok()?;
    let read = |doc: &Map<String, Value>| credentials_from_doc(path, doc, true);
    reference::check(path, &doc, &read)
        .ok()
        .flatten()
        .map(|r| r.account)
}

/// Deletes a keychain item that nothing refers to any more; a failure is a warning (the item
/// is an orphan then, and its name is given so it can be removed by hand).
fn forget_quietly(keychain: &Keychain, account: &str) -> Option<String> {
    match keychain.delete(account) {
        Ok(_) => None,
        Err(failure) => Some(format!(
            "{}; remove it by hand (service {}, account {account})",
            keychain.error(
                &format!("the replaced secret's keychain item could not be deleted ({account})"),
                &failure
            ),
            keychain::SERVICE
        )),
    }
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
/// A secret kept in the keychain stays there: it is stored again under a new item, bound to
/// the updated account, and the old item is deleted. Returns the path written.
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
    let keychain = keychain::process();
    let mut replaced = None;
    store::locked(&path, |target| {
        let file = store::read(target)?;
        let doc = format::parse_document(&path, &file.text)?;
        if format3::is_carto3(&doc) {
            return Err(Error::file_content(
                &path,
                None,
                "holds CARTO 3 credentials, which are not updated in place (they have no API key); save new credentials instead",
            ));
        }
        let read = |doc: &Map<String, Value>| credentials_from_doc(&path, doc, false);
        let found = reference::check(&path, &doc, &read)?;
        let mut doc = match &found {
            Some(r) => {
                reference::with_secret(&doc, r.field, &reference::fetch(&path, r, &keychain)?)
            }
            None => doc,
        };
        let layout = format::detect_layout(&path, &doc)?;
        format::apply_update(layout, &mut doc, update);
        let fields = format::read_fields(&path, layout, &doc)?;
        let credentials = format::credentials_from_fields(&path, layout, &fields, false)?;
        let mut stored_as = None;
        if let Some(old) = &found {
            if let Some(item) = reference::item_for(&path, &credentials, &doc)? {
                keychain
                    .put(&item.account, &item.label, item.secret.clone())
                    .map_err(|f| keychain.error("storing the updated secret", &f))?;
                reference::externalize(&mut doc, item.field, &item.account);
                stored_as = Some(item.account);
            }
            replaced = Some(old.account.clone());
        }
        let bytes = Zeroizing::new(format::to_bytes(&doc));
        if let Some(field) = format::secret_key(layout) {
            reference::wipe(&mut doc, field);
        }
        let written = store::write_atomic(target, &bytes);
        if written.is_err() {
            if let Some(account) = &stored_as {
                let _ = keychain.delete(account);
            }
            replaced = None;
        }
        written
    })?;
    if let Some(old) = replaced {
        let _ = forget_quietly(&keychain, &old);
    }
    Ok(path)
}

/// Deletes a credentials file and returns what was deleted. For [`Location::Default`] both
/// default files are deleted (so no default credentials remain). Nothing to delete is
/// [`ErrorKind::FileNotFound`]. The keychain item a file refers to is deleted first; when
/// the keychain cannot delete it, the file is kept and the error says so.
pub fn delete(location: &Location) -> Result<Vec<PathBuf>> {
    delete_with(location, &ProcessEnvironment)
}

/// [`delete`] with a given environment.
pub fn delete_with(location: &Location, env: &dyn Environment) -> Result<Vec<PathBuf>> {
    let candidates: Vec<PathBuf> = match location {
        Location::Default => location::default_files(env)?.to_vec(),
        other => vec![path_of_with(other, env)?],
    };
    let keychain = keychain::process();
    let mut deleted = Vec::new();
    let mut missing = None;
    for path in candidates {
        // Through a symbolic link, what holds the key is the file it leads to: that goes, the
        // link stays (a later save through it writes the file again). Its keychain item goes
        // first.
        let removed = store::locked(&path, |target| {
            if let Some(account) = checked_account(target) {
                keychain.delete(&account).map_err(|failure| {
                    keychain
                        .error(
                            &format!(
                                "{}: deleting its keychain item {account}",
                                crate::text::excerpt::path(&path)
                            ),
                            &failure,
                        )
                        .with_hint("the file was not deleted; try again once the keychain answers")
                })?;
            }
            store::remove(target).map(|()| target.to_path_buf())
        });
        match removed {
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

/// Moves the secret of stored credentials to `to`: from the file into the OS keychain (the
/// file then refers to the item), or back into the file (the plain file Python CARTOframes
/// and carto-auth read; the item is deleted). The file keeps its layout, other fields and
/// unknown keys. Credentials already there, or without a secret, are left as they are.
/// Returns the credentials as now stored.
///
/// [`CredentialStore::Auto`] is not a place: it is [`ErrorKind::InvalidArgument`]. Moving to
/// a keychain that does not answer is [`ErrorKind::KeychainUnavailable`] or
/// [`ErrorKind::KeychainTimeout`], and the file is unchanged.
pub fn move_to(location: &Location, to: CredentialStore) -> Result<Credentials> {
    move_to_with(location, to, &ProcessEnvironment)
}

/// [`move_to`] with a given environment.
pub fn move_to_with(
    location: &Location,
    to: CredentialStore,
    env: &dyn Environment,
) -> Result<Credentials> {
    if to == CredentialStore::Auto {
        return Err(Error::invalid_argument(
            "say where to move the secret: keychain or file (auto is a choice when saving, not a place)",
        ));
    }
    let allow_non_secure = env.flag(crate::env::ALLOW_NON_SECURE)?;
    let path = path_of_with(location, env)?;
    if !path.exists() {
        return load_with(location, env, allow_non_secure);
    }
    let keychain = keychain::process();
    let mut replaced = None;
    store::locked(&path, |target| {
        let file = store::read(target)?;
        let doc = format::parse_document(&path, &file.text)?;
        let read = |doc: &Map<String, Value>| credentials_from_doc(&path, doc, true);
        match (reference::check(&path, &doc, &read)?, to) {
            (Some(found), CredentialStore::File) => {
                let secret = reference::fetch(&path, &found, &keychain)?;
                let mut doc = reference::with_secret(&doc, found.field, &secret);
                let bytes = Zeroizing::new(format::to_bytes(&doc));
                reference::wipe(&mut doc, found.field);
                store::write_atomic(target, &bytes)?;
                replaced = Some(found.account);
                Ok(())
            }
            (None, CredentialStore::Keychain) => {
                let credentials = read(&doc)?;
                let Some(item) = reference::item_for(&path, &credentials, &doc)? else {
                    return Ok(());
                };
                keychain
                    .put(&item.account, &item.label, item.secret.clone())
                    .map_err(|f| {
                        keychain
                            .error("storing the secret", &f)
                            .with_hint("the file is unchanged")
                    })?;
                let mut doc = doc;
                reference::externalize(&mut doc, item.field, &item.account);
                let written = store::write_atomic(target, &format::to_bytes(&doc));
                if written.is_err() {
                    let _ = keychain.delete(&item.account);
                }
                written
            }
            _ => Ok(()),
        }
    })?;
    let mut moved = load_with(location, env, allow_non_secure)?;
    if let Some(warning) = replaced.and_then(|old| forget_quietly(&keychain, &old)) {
        let origin = moved.origin().clone().with_warning(warning);
        moved = moved.with_origin(origin);
    }
    Ok(moved)
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
