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
    let deleted = config::delete(&location)?;
    for path in deleted {
        note(&format!("Deleted {}", path.display()));
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
