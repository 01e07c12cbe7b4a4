//! `cartoauth profiles`: the saved credentials (default files and profiles), which of them
//! are used by default, and which are hidden by a source that comes before them.

use crate::args::Profiles;
use crate::escape;
use crate::exit::Outcome;
use crate::output;
use cartoauth::env::{self, ProcessEnvironment};
use cartoauth::{config, ErrorKind, Location, Source};
use serde_json::json;
use std::path::{Path, PathBuf};

/// One saved set of credentials, described without its key.
struct Entry {
    name: String,
    path: PathBuf,
    account: Result<(Option<String>, String), String>,
    is_default: bool,
    /// The source that comes first and hides this one.
    shadowed_by: Option<String>,
}

pub fn run(args: Profiles) -> Outcome {
    let environment = ProcessEnvironment;
    let allow_non_secure = crate::account::allow_non_secure_from_env()?;
    let (resolved, explanation) =
        cartoauth::resolve_explained_with(None, cartoauth::default_credentials(), &environment);
    let used = resolved.as_ref().ok().map(|c| c.origin().clone());
    let used_path = used.as_ref().and_then(|o| o.path()).map(identity);
    let shadowed: Vec<PathBuf> = explanation
        .shadowed
        .iter()
        .filter_map(|s| s.path.as_deref().map(identity))
        .collect();

    let mut saved: Vec<(String, PathBuf, Location)> = config::default_files_with(&environment)?
        .into_iter()
        .filter(|p| p.exists())
        .map(|p| ("(default file)".to_owned(), p.clone(), Location::Path(p)))
        .collect();
    for name in config::profiles()? {
        let location = Location::Profile(name.clone());
        saved.push((name, config::path_of(&location)?, location));
    }
    let entries: Vec<Entry> = saved
        .into_iter()
        .map(|(name, path, location)| {
            let id = identity(&path);
            Entry {
                account: config::load_with(&location, &environment, allow_non_secure)
                    .map(|c| (c.username().map(str::to_owned), c.base_url().to_owned()))
                    .map_err(|e| e.message().to_owned()),
                is_default: used_path.as_ref() == Some(&id),
                shadowed_by: shadowed
                    .contains(&id)
                    .then(|| used.as_ref().map(|o| o.to_string()).unwrap_or_default()),
                name,
                path,
            }
        })
        .collect();
    let note = match (&resolved, &used) {
        (_, Some(origin)) if origin.source() == Source::Environment => Some(format!(
            "{} / {} are set: they are used by default",
            env::USERNAME,
            env::BASE_URL
        )),
        (_, Some(origin))
            if origin
                .variables()
                .iter()
                .any(|v| v == env::CREDENTIALS_FILE) =>
        {
            Some(format!(
                "{}={origin} is used by default",
                env::CREDENTIALS_FILE
            ))
        }
        (Err(e), _) if e.kind() != ErrorKind::NotResolved => Some(format!(
            "the default credentials cannot be used: {}",
            e.message()
        )),
        _ => None,
    };

    if args.json {
        let list: Vec<_> = entries
            .iter()
            .map(|e| {
                let (username, base_url, error) = match &e.account {
                    Ok((u, b)) => (u.clone(), Some(b.clone()), None),
                    Err(err) => (None, None, Some(err.clone())),
                };
                json!({"name": e.name, "path": e.path.display().to_string(), "default": e.is_default,
                       "shadowed_by": e.shadowed_by,
                       "username": username, "base_url": base_url, "error": error})
            })
            .collect();
        let answer = json!({"profiles": list, "note": note});
        return output::write(&format!("{}\n", escape::json(&answer)));
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
        let mut line = format!("{marker} {}  {account}  ({})", e.name, e.path.display());
        if let Some(by) = &e.shadowed_by {
            line.push_str(&format!("  not used: {by} comes first"));
        }
        lines.push(line);
    }
    if let Some(note) = note {
        lines.push(format!("Note: {note}"));
    }
    output::lines(&lines)
}

/// A file's identity for comparison (the same file named two ways is one entry).
fn identity(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}
