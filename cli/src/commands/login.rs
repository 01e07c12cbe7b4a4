//! `cartoauth login`: ask for what is missing, check the key with CARTO, then save.

use super::saving::{describe_all, may_replace, may_save_shadowed, note_newly_shadowed};
use crate::account;
use crate::args::{Layout, Login};
use crate::exit::{self, Failure, Outcome};
use crate::keycheck;
use crate::output::note;
use crate::prompt;
use cartoauth::client::KeyValidity;
use cartoauth::env::ProcessEnvironment;
use cartoauth::{config, Credentials, ErrorKind, FileFormat};
use std::io::{BufRead, IsTerminal, Read};

/// Longer lines than this on standard input are not an API key (CARTO keys are 40 characters).
const MAX_KEY_LINE: u64 = 4096;

pub fn run(args: Login) -> Outcome {
    if args.carto3 || args.m2m.is_some() {
        return super::login3::run(args);
    }
    super::saving::choose_store(args.store);
    let location = account::stored_location(args.target.profile.as_deref())?;
    let interactive = std::io::stdin().is_terminal();
    let (username, base_url) = account_of(&args, interactive)?;
    let allow_non_secure = args.allow_non_secure || account::allow_non_secure_from_env()?;
    // Everything that can be checked is checked before the key is asked for, so nothing
    // typed is lost to a refusal.
    build(username.clone(), base_url.clone(), None, allow_non_secure)?;
    let format = args.format.map(|layout| match layout {
        Layout::Cartocreds => FileFormat::CartoCreds,
        Layout::Cartoframes => FileFormat::CartoFrames,
    });
    let target = config::save_path_with(&location, format, &ProcessEnvironment)?;
    if !may_replace(&target, &location, args.replace, interactive)? {
        note("Nothing was saved.");
        return Ok(exit::OK);
    }
    let shadowing = cartoauth::shadowing(&target);
    if !may_save_shadowed(&target, &shadowing, args.allow_shadowed, interactive)? {
        note("Nothing was saved.");
        return Ok(exit::OK);
    }
    let key = read_key(args.with_key, interactive)?;
    let credentials = build(username, base_url, Some(key), allow_non_secure)?;

    if !args.no_check {
        let client = account::client(credentials.clone())?;
        let verdict = keycheck::check(&client);
        match verdict.validity {
            KeyValidity::Valid => {}
            KeyValidity::Invalid => {
                return Err(Failure::new(
                    exit::KEY_REJECTED,
                    format!(
                        "CARTO rejected the key for {}: {}; nothing was saved",
                        credentials.base_url(),
                        verdict.detail
                    ),
                ))
            }
            KeyValidity::Unknown => {
                return Err(Failure::new(
                    exit::UNREACHABLE,
                    format!(
                        "could not check the key with {}: {}; nothing was saved (--no-check saves without checking)",
                        credentials.base_url(),
                        verdict.detail
                    ),
                ))
            }
        }
        note(&format!("The key is valid: {}.", verdict.detail));
    }

    let saved = super::saving::save(&credentials, &location, format)?;
    let path = saved.origin().path().unwrap_or(&target).to_path_buf();
    note(&format!(
        "Logged in as {} ({}), key {}; saved to {}, {}",
        credentials.username().unwrap_or("<unknown user>"),
        credentials.base_url(),
        credentials.api_key().masked(),
        path.display(),
        super::saving::where_secret_is(&saved, "the key")
    ));
    if !shadowing.is_empty() {
        note(&format!(
            "Warning: these credentials are not used by default: {} comes first",
            describe_all(&shadowing)
        ));
    } else {
        note_newly_shadowed(&path);
    }
    Ok(exit::OK)
}

/// The username and base URL: from the options, else asked on the terminal.
fn account_of(args: &Login, interactive: bool) -> Outcome<(Option<String>, Option<String>)> {
    if args.username.is_some() || args.base_url.is_some() {
        return Ok((args.username.clone(), args.base_url.clone()));
    }
    if args.with_key {
        return Err(Failure::usage(
            "--with-key reads the key from standard input, so give the account with --username or --base-url",
        ));
    }
    if !interactive {
        return Err(Failure::usage(
            "no terminal to ask for the account: give --username or --base-url (and the key with --with-key)",
        ));
    }
    let answer = prompt::ask("CARTO username or base URL: ")?;
    let answer = answer.trim();
    if answer.is_empty() {
        return Err(Failure::usage("no username or base URL was given"));
    }
    Ok(if answer.contains("://") {
        (None, Some(answer.to_owned()))
    } else {
        (Some(answer.to_owned()), None)
    })
}

/// The key: typed on the terminal with echo off when standard input is one (with --with-key
/// too, so it is never shown), else standard input's first line with --with-key.
fn read_key(with_key: bool, interactive: bool) -> Outcome<String> {
    let key = if interactive {
        rpassword::prompt_password("API key (typing is hidden): ").map_err(|e| {
            Failure::new(
                exit::FAILURE,
                format!("reading the key from the terminal: {e}"),
            )
        })?
    } else if with_key {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .take(MAX_KEY_LINE)
            .read_line(&mut line)
            .map_err(|e| Failure::new(exit::FAILURE, format!("reading standard input: {e}")))?;
        if line.len() as u64 >= MAX_KEY_LINE && !line.ends_with('\n') {
            return Err(Failure::usage(format!(
                "standard input: the first line is longer than {MAX_KEY_LINE} bytes, which is not an API key"
            )));
        }
        line
    } else {
        return Err(Failure::usage(
            "no terminal to read the key from: pipe it with --with-key (never on the command line)",
        ));
    };
    let key = key.trim().to_owned();
    if key.is_empty() {
        let from = if with_key {
            "standard input"
        } else {
            "the terminal"
        };
        return Err(Failure::usage(format!("no API key was given on {from}")));
    }
    Ok(key)
}

/// The credentials (without a key: only the account is checked), with a hint when an
/// http:// URL needs --allow-non-secure.
fn build(
    username: Option<String>,
    base_url: Option<String>,
    key: Option<String>,
    allow_non_secure: bool,
) -> Outcome<Credentials> {
    let mut builder = Credentials::builder();
    if let Some(key) = key {
        builder = builder.api_key(key);
    }
    if let Some(username) = username {
        builder = builder.username(username);
    }
    if let Some(base_url) = &base_url {
        builder = builder.base_url(base_url.as_str());
    }
    // Recorded in the file only for http:// URLs, where it is needed.
    let is_http = base_url
        .as_deref()
        .is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("http://"));
    builder
        .allow_non_secure(allow_non_secure && is_http)
        .build()
        .map_err(|e| {
            let hint = if e.kind() == ErrorKind::InsecureBaseUrl {
                " (for cartoauth: --allow-non-secure)"
            } else {
                ""
            };
            Failure::new(exit::USAGE, format!("{}{hint}", e.message()))
        })
}
