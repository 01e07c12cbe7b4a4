//! `cartoauth logout`: delete stored credentials, after asking.

use crate::account;
use crate::args::Logout;
use crate::exit::{self, Failure, Outcome};
use crate::output::note;
use crate::prompt;
use cartoauth::env::{self, Environment, ProcessEnvironment};
use cartoauth::{config, Location};
use std::io::IsTerminal;

pub fn run(args: Logout) -> Outcome {
    let location = account::stored_location(args.target.profile.as_deref())?;
    let what = describe_files(&location)?;
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::usage(format!(
                "not deleting {what} without confirmation: no terminal to ask; pass --yes"
            )));
        }
        if !prompt::confirm(&format!("Delete {what}? [y/N] "))? {
            note("Nothing was deleted.");
            return Ok(exit::OK);
        }
    }
    // The keychain items go with their files (config::delete removes them first).
    let items: Vec<(std::path::PathBuf, String)> = candidates(&location)?
        .into_iter()
        .filter_map(|path| config::keychain_item(&path).map(|item| (path, item)))
        .collect();
    let forgot = forget_cached_token(&location);
    let deleted = config::delete(&location)?;
    if forgot {
        note("Forgot the cached CARTO 3 token of these credentials.");
    }
    for path in deleted {
        note(&format!("Deleted {}", path.display()));
    }
    for (path, item) in items {
        note(&format!(
            "Deleted the keychain item {item} of {} ({})",
            path.display(),
            cartoauth::keychain_name()
        ));
    }
    let env = ProcessEnvironment;
    if env.get(env::USERNAME).is_some() || env.get(env::BASE_URL).is_some() {
        note(&format!(
            "Note: {} / {} are set in this environment and still provide credentials.",
            env::USERNAME,
            env::BASE_URL
        ));
    }
    Ok(exit::OK)
}

/// Signs CARTO 3 credentials out of the token cache (a file or a keychain item) before their
/// file goes: a token of credentials nobody has any more should not stay behind. Whether a
/// token was forgotten; credentials that cannot be loaded have none that can be found.
fn forget_cached_token(location: &Location) -> bool {
    let Ok(credentials) = config::load_with(location, &ProcessEnvironment, true) else {
        return false;
    };
    if credentials.platform() != cartoauth::Platform::Carto3 {
        return false;
    }
    account::client(credentials)
        .ok()
        .and_then(|client| client.forget_token().ok())
        .unwrap_or(false)
}

/// The files `config::delete` considers for a location.
fn candidates(location: &Location) -> Outcome<Vec<std::path::PathBuf>> {
    Ok(match location {
        Location::Default => config::default_files_with(&ProcessEnvironment)?.to_vec(),
        other => vec![config::path_of(other)?],
    })
}

/// The files a location deletes, named so the user knows what they agree to.
fn describe_files(location: &Location) -> Outcome<String> {
    Ok(match location {
        Location::Default => {
            let existing: Vec<String> = config::default_files_with(&ProcessEnvironment)?
                .iter()
                .filter(|p| p.exists())
                .map(|p| p.display().to_string())
                .collect();
            if existing.is_empty() {
                return Err(Failure::new(
                    exit::NO_CREDENTIALS,
                    "there is no default credentials file to delete",
                ));
            }
            existing.join(" and ")
        }
        Location::Path(path) => path.display().to_string(),
        other => format!(
            "{} ({})",
            account::describe(other),
            config::path_of(other)?.display()
        ),
    })
}
