//! What both logins (CARTO 2's and CARTO 3's) check before they save credentials: whether to
//! replace what the target holds, and whether an earlier source would hide what is saved.

use crate::account;
use crate::exit::{Failure, Outcome};
use crate::output::note;
use crate::prompt;
use cartoauth::env::ProcessEnvironment;
use cartoauth::{config, Credentials, FileFormat, Location, SaveOptions, Shadowed, Storage};
use std::path::Path;

/// Makes `--store` the store of this command: of the credentials saved and of the tokens the
/// library caches while it runs (a login checks an M2M client by minting one).
pub(super) fn choose_store(store: Option<crate::args::Store>) {
    if let Some(store) = store {
        // Before any other thread starts: the command is still single-threaded here.
        std::env::set_var(cartoauth::env::CREDENTIAL_STORE, store.library().name());
    }
}

/// Saves credentials where the store chosen says, tells any warning (the fallback to a file
/// when no keychain answers, an old item that could not be removed), and returns them as
/// stored.
pub(super) fn save(
    credentials: &Credentials,
    location: &Location,
    format: Option<FileFormat>,
) -> Outcome<Credentials> {
    let options = SaveOptions {
        format,
        store: None,
    };
    let saved = config::save_as(credentials, location, options)
        .map_err(|e| Failure::from(e).context("saving the credentials"))?;
    for warning in saved.origin().warnings() {
        note(&format!("Warning: {warning}"));
    }
    Ok(saved)
}

/// Where saved credentials' secret is: "the key is in the Secret Service", ...
pub(super) fn where_secret_is(saved: &Credentials, secret: &str) -> String {
    match saved.origin().storage() {
        Some(Storage::Keychain) => format!(
            "{secret} in {} (item {})",
            cartoauth::keychain_name(),
            saved.origin().keychain_item().unwrap_or_default()
        ),
        _ => format!("{secret} in the file"),
    }
}

/// Whether to overwrite credentials already stored at `target`: asked on a terminal,
/// `--replace` otherwise.
pub(super) fn may_replace(
    target: &Path,
    location: &Location,
    replace: bool,
    interactive: bool,
) -> Outcome<bool> {
    if replace || !target.exists() {
        return Ok(true);
    }
    let held = match config::load_with(
        &Location::Path(target.to_path_buf()),
        &ProcessEnvironment,
        true,
    ) {
        Ok(c) if c.platform() == cartoauth::Platform::Carto3 => {
            format!("{} holds {}", target.display(), c.summary())
        }
        Ok(c) => format!(
            "{} holds the key {} for {}",
            target.display(),
            c.api_key().masked(),
            c.username().unwrap_or(c.base_url())
        ),
        Err(_) => format!("{} exists", target.display()),
    };
    if !interactive {
        return Err(Failure::usage(format!(
            "not replacing {}: {held}; pass --replace to replace it",
            account::describe(location)
        )));
    }
    prompt::confirm(&format!("{held}. Replace it? [y/N] "))
}

/// Whether to save credentials that an earlier source would hide: asked on a terminal,
/// `--allow-shadowed` otherwise. Saving them silently would leave the old ones in use.
pub(super) fn may_save_shadowed(
    target: &Path,
    shadowing: &[Shadowed],
    allow: bool,
    interactive: bool,
) -> Outcome<bool> {
    if allow || shadowing.is_empty() {
        return Ok(true);
    }
    let why = format!(
        "credentials saved to {} would not be used: {} comes first in the resolution order (remove that file or unset that variable first)",
        target.display(),
        describe_all(shadowing)
    );
    if !interactive {
        return Err(Failure::usage(format!(
            "{why}; pass --allow-shadowed to save them anyway"
        )));
    }
    note(&format!("Warning: {why}."));
    prompt::confirm("Save them anyway? [y/N] ")
}

pub(super) fn describe_all(sources: &[Shadowed]) -> String {
    sources
        .iter()
        .map(|s| s.description.as_str())
        .collect::<Vec<_>>()
        .join(", then ")
}

/// Tells which sources the file just saved now hides (an older `creds.json`, say).
pub(super) fn note_newly_shadowed(saved: &Path) {
    let (resolved, explanation) = cartoauth::resolve_explained_with(
        None,
        cartoauth::default_credentials(),
        &ProcessEnvironment,
    );
    let uses_saved = resolved
        .ok()
        .and_then(|c| c.origin().path().map(|p| same_file(p, saved)))
        .unwrap_or(false);
    if uses_saved && !explanation.shadowed.is_empty() {
        note(&format!(
            "Note: {} is no longer used: {} comes first",
            describe_all(&explanation.shadowed),
            saved.display()
        ));
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
