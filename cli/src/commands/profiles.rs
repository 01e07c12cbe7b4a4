//! `cartoauth profiles`: the saved profiles, and which credentials are used by default.

use crate::args::Profiles;
use crate::exit::Outcome;
use crate::output;
use cartoauth::env::{self, Environment, ProcessEnvironment};
use cartoauth::{config, Location};
use serde_json::json;

/// One saved set of credentials, described without its key.
struct Entry {
    name: String,
    path: String,
    account: Result<(Option<String>, String), String>,
    is_default: bool,
}

pub fn run(args: Profiles) -> Outcome {
    let environment = ProcessEnvironment;
    let allow_non_secure = environment.flag(env::ALLOW_NON_SECURE)?;
    let by_profile = environment.get(env::PROFILE);
    let default_path = config::path_of(&Location::Default)?;
    let accounts_from_env =
        environment.get(env::USERNAME).is_some() || environment.get(env::BASE_URL).is_some();
    let file_from_env = environment.get(env::CREDENTIALS_FILE);
    // What resolution uses when nothing names a profile: the environment's account or file,
    // else CARTO_PROFILE, else the default file.
    let default_is_elsewhere = accounts_from_env || file_from_env.is_some();

    let mut entries = Vec::new();
    if default_path.exists() {
        entries.push(entry(
            "(default file)".to_owned(),
            &Location::Default,
            allow_non_secure,
            !default_is_elsewhere && by_profile.is_none(),
        ));
    }
    for name in config::profiles()? {
        let is_default = !default_is_elsewhere && by_profile.as_deref() == Some(name.as_str());
        entries.push(entry(
            name.clone(),
            &Location::Profile(name),
            allow_non_secure,
            is_default,
        ));
    }
    let note = if accounts_from_env {
        Some(format!(
            "{} / {} are set: they are used by default",
            env::USERNAME,
            env::BASE_URL
        ))
    } else {
        file_from_env.map(|f| format!("{}={f} is used by default", env::CREDENTIALS_FILE))
    };

    if args.json {
        let list: Vec<_> = entries
            .iter()
            .map(|e| {
                let (username, base_url, error) = match &e.account {
                    Ok((u, b)) => (u.clone(), Some(b.clone()), None),
                    Err(err) => (None, None, Some(err.clone())),
                };
                json!({"name": e.name, "path": e.path, "default": e.is_default,
                       "username": username, "base_url": base_url, "error": error})
            })
            .collect();
        return output::write(&format!("{}\n", json!({"profiles": list, "note": note})));
    }
    let mut lines = Vec::new();
    if entries.is_empty() {
        lines.push("No saved credentials (cartoauth login saves some).".to_owned());
    }
    for e in &entries {
        let marker = if e.is_default { "*" } else { " " };
        let account = match &e.account {
            Ok((username, base_url)) => {
                format!(
                    "{} {base_url}",
                    username.as_deref().unwrap_or("<unknown user>")
                )
            }
            Err(err) => format!("unusable: {err}"),
        };
        lines.push(format!("{marker} {}  {account}  ({})", e.name, e.path));
    }
    if let Some(note) = note {
        lines.push(format!("Note: {note}"));
    }
    output::lines(&lines)
}

fn entry(name: String, location: &Location, allow_non_secure: bool, is_default: bool) -> Entry {
    let path = config::path_of(location)
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let account = config::load_with(location, &ProcessEnvironment, allow_non_secure)
        .map(|c| (c.username().map(str::to_owned), c.base_url().to_owned()))
        .map_err(|e| e.message().to_owned());
    Entry {
        name,
        path,
        account,
        is_default,
    }
}
