//! `cartoauth login --carto3` (a user's browser sign-in) and `login --m2m` (a machine client).
//!
//! Neither puts a secret on the command line: the M2M secret comes from carto-auth's file or
//! the environment, the user's token from the sign-in. Sign-in tokens and minted tokens go to
//! the token cache; the file saved holds the account (and, for M2M, the client's secret, as
//! carto-auth's own file does), so every later command and binding finds both.

use super::saving::{describe_all, may_replace, may_save_shadowed, note_newly_shadowed};
use crate::account;
use crate::args::{Login, SignInFlow};
use crate::exit::{self, Failure, Outcome};
use crate::output::note;
use crate::prompt;
use cartoauth::env::{self as names, Environment, ProcessEnvironment};
use cartoauth::signin::{self, Flow, Redirect, SignIn};
use cartoauth::{config, Client, CredentialKind, Credentials, Location, Platform};
use std::io::{BufRead, IsTerminal, Read};
use std::time::Duration;

/// The longest line read as a pasted sign-in address.
const MAX_PASTED_LINE: u64 = 8 * 1024;

pub fn run(args: Login) -> Outcome {
    super::saving::choose_store(args.store);
    let location = account::stored_location(args.target.profile.as_deref())?;
    let interactive = std::io::stdin().is_terminal();
    let allow_non_secure = args.allow_non_secure || account::allow_non_secure_from_env()?;
    let credentials = if args.carto3 {
        user(&args, allow_non_secure, interactive)?
    } else {
        machine(&args, allow_non_secure)?
    };
    let target = config::save_path_with(&location, None, &ProcessEnvironment)?;
    if !may_replace(&target, &location, args.replace, interactive)? {
        note("Nothing was saved.");
        return Ok(exit::OK);
    }
    let shadowing = cartoauth::shadowing(&target);
    if !may_save_shadowed(&target, &shadowing, args.allow_shadowed, interactive)? {
        note("Nothing was saved.");
        return Ok(exit::OK);
    }
    let client = account::client(credentials.clone())?;
    if args.carto3 {
        let token = sign_in(&client, &args)?;
        note(&format!("Signed in; {}.", validity(token.expires_at)));
    } else if !args.no_check {
        let token = client.access_token().map_err(|e| {
            Failure::from(e).context("the M2M client could not get a token; nothing was saved")
        })?;
        note(&format!(
            "The M2M client got a token; {}.",
            validity(token.expires_at)
        ));
    }
    let saved = super::saving::save(&credentials, &location, None)?;
    let path = saved.origin().path().unwrap_or(&target).to_path_buf();
    let secret = match credentials.kind() {
        CredentialKind::M2m => "the client secret",
        CredentialKind::AccessToken => "the token",
        _ => "",
    };
    let stored = if secret.is_empty() {
        String::new()
    } else {
        format!(", {}", super::saving::where_secret_is(&saved, secret))
    };
    note(&format!(
        "Saved {} to {}{stored}",
        credentials.summary(),
        path.display()
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

/// "valid until 2026-05-01 12:00:00 UTC (in 23 h 59 min)".
pub fn validity(expires_at: Option<i64>) -> String {
    match expires_at {
        None => "its expiry is unknown (not a JWT)".to_owned(),
        Some(exp) => {
            let left = exp - now();
            let when = utc(exp);
            if left <= 0 {
                format!("expired at {when} ({} ago)", span(-left))
            } else {
                format!("valid until {when} (in {})", span(left))
            }
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC` (civil-from-days, no time zones).
pub fn utc(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A duration for people: "2 h 5 min", "45 s".
pub fn span(seconds: i64) -> String {
    match seconds {
        s if s >= 86_400 => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{s} s"),
    }
}

/// The API base URL: `--api-base-url`, `CARTO_API_BASE_URL`, else asked on a terminal.
fn api_base_url(args: &Login, interactive: bool) -> Outcome<String> {
    if let Some(url) = args
        .api_base_url
        .clone()
        .or_else(|| ProcessEnvironment.get(names::API_BASE_URL))
    {
        return Ok(url);
    }
    if !interactive {
        return Err(Failure::usage(
            "give the CARTO 3 API base URL with --api-base-url or CARTO_API_BASE_URL (e.g. https://gcp-us-east1.api.carto.com)",
        ));
    }
    let answer =
        prompt::ask("CARTO 3 API base URL (CARTO Workspace > Developers > Credentials): ")?;
    match answer.trim() {
        "" => Err(Failure::usage("no API base URL was given")),
        url => Ok(url.to_owned()),
    }
}

/// Options every CARTO 3 credential shares: http:// only when asked, CARTO_PLATFORM, the
/// OAuth server.
fn finish(
    mut builder: cartoauth::CredentialsBuilder,
    base_url: &str,
    args: &Login,
    allow_non_secure: bool,
) -> Outcome<Credentials> {
    let is_http = |u: &str| u.trim().to_ascii_lowercase().starts_with("http://");
    let auth_url = args
        .auth_url
        .clone()
        .or_else(|| ProcessEnvironment.get(names::AUTH_URL));
    let needs_http = is_http(base_url) || auth_url.as_deref().is_some_and(is_http);
    builder = builder
        .base_url(base_url)
        .allow_non_secure(allow_non_secure && needs_http);
    if let Some(url) = &auth_url {
        builder = builder.auth_url(url.as_str());
    }
    if let Some(platform) = ProcessEnvironment.get(names::PLATFORM) {
        builder = builder.platform(Platform::parse(&platform).map_err(|e| {
            Failure::new(
                exit::NO_CREDENTIALS,
                format!("{}: {}", names::PLATFORM, e.message()),
            )
        })?);
    }
    builder.build().map_err(|e| {
        let hint = if e.kind() == cartoauth::ErrorKind::InsecureBaseUrl {
            " (--allow-non-secure accepts it, for test servers only)"
        } else {
            ""
        };
        Failure::usage(format!("{}{hint}", e.message()))
    })
}

fn user(args: &Login, allow_non_secure: bool, interactive: bool) -> Outcome<Credentials> {
    let base_url = api_base_url(args, interactive)?;
    let mut builder = Credentials::builder().oauth_user(args.client_id.as_deref());
    if let Some(org) = &args.organization {
        builder = builder.organization(org.as_str());
    }
    finish(builder, &base_url, args, allow_non_secure)
}

fn machine(args: &Login, allow_non_secure: bool) -> Outcome<Credentials> {
    let file = args.m2m.as_deref().unwrap_or_default();
    if !file.is_empty() {
        let path = config::expand_home(file);
        let loaded =
            config::load_with(&Location::Path(path), &ProcessEnvironment, allow_non_secure)
                .map_err(|e| Failure::from(e).context("--m2m"))?;
        if loaded.kind() != CredentialKind::M2m {
            return Err(Failure::usage(format!(
                "--m2m {file}: the file holds {} credentials, not an M2M client (client_id, client_secret)",
                loaded.kind().name()
            )));
        }
        let auth_url = args
            .auth_url
            .clone()
            .or_else(|| ProcessEnvironment.get(names::AUTH_URL));
        return match auth_url {
            Some(url) => loaded
                .with_auth_url(&url)
                .map_err(|e| Failure::usage(format!("--auth-url: {}", e.message()))),
            None => Ok(loaded),
        };
    }
    let env = ProcessEnvironment;
    let (Some(id), Some(secret)) = (
        env.get(names::M2M_CLIENT_ID),
        env.get(names::M2M_CLIENT_SECRET),
    ) else {
        return Err(Failure::usage(format!(
            "--m2m without FILE takes the client from {} and {}, and they are not both set (never give the secret on the command line)",
            names::M2M_CLIENT_ID,
            names::M2M_CLIENT_SECRET
        )));
    };
    let base_url = api_base_url(args, false)?;
    finish(
        Credentials::builder().m2m_client(id, secret),
        &base_url,
        args,
        allow_non_secure,
    )
}

/// Runs the sign-in in the flow that suits the machine (or the one asked for).
fn sign_in(client: &Client, args: &Login) -> Outcome<cartoauth::client::AccessToken> {
    let (flow, why) = match args.flow {
        Some(SignInFlow::Browser) => (Flow::Browser, "--flow browser".to_owned()),
        Some(SignInFlow::Paste) => (Flow::Paste, "--flow paste".to_owned()),
        None => signin::recommended_flow(&ProcessEnvironment)?,
    };
    let credentials = client.credentials();
    let server = credentials
        .auth_server()
        .map(|s| s.url.clone())
        .unwrap_or_default();
    let redirect =
        Redirect::default_for(flow, credentials.client_id().unwrap_or_default(), &server);
    let session = SignIn::begin(client, redirect).map_err(|e| {
        Failure::from(e).context("starting the sign-in (--flow paste needs no local listener)")
    })?;
    match flow {
        Flow::Browser => {
            note(&format!("Sign in to CARTO in your browser ({why}):"));
            note(session.authorize_url());
            if !args.no_browser && !open_browser(session.authorize_url()) {
                note("(no browser could be started: open the address above yourself)");
            }
            note("Waiting for the browser...");
            Ok(session.wait_loopback(Duration::from_secs(args.timeout.max(1)), &mut || true)?)
        }
        Flow::Paste => {
            note(&format!(
                "Open this address in a browser and sign in ({why}); then paste here the address the browser ends on (or the code the page shows):"
            ));
            note(session.authorize_url());
            let pasted = read_pasted()?;
            Ok(session.finish_pasted(&pasted)?)
        }
    }
}

/// The first line of standard input (a terminal or a pipe), bounded.
fn read_pasted() -> Outcome<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_PASTED_LINE)
        .read_line(&mut line)
        .map_err(|e| Failure::new(exit::FAILURE, format!("reading standard input: {e}")))?;
    if line.trim().is_empty() {
        return Err(Failure::usage(
            "nothing was pasted: paste the address the browser ends on, or the code",
        ));
    }
    Ok(line)
}

/// Starts the user's browser on `url` without waiting for it: `$BROWSER` (the first of its
/// `:`-separated commands, `%s` standing for the URL), else the desktop's opener. The URL is
/// one argument, never a shell string.
fn open_browser(url: &str) -> bool {
    let from_env = std::env::var("BROWSER").ok().and_then(|b| {
        b.split(':')
            .map(str::trim)
            .find(|c| !c.is_empty())
            .map(str::to_owned)
    });
    let (program, mut arguments): (String, Vec<String>) = match from_env {
        Some(command) => {
            let mut words = command.split_whitespace().map(str::to_owned);
            let Some(program) = words.next() else {
                return false;
            };
            (program, words.collect())
        }
        None if cfg!(target_os = "macos") => ("open".to_owned(), Vec::new()),
        None if cfg!(windows) => (
            "rundll32".to_owned(),
            vec!["url.dll,FileProtocolHandler".to_owned()],
        ),
        None => ("xdg-open".to_owned(), Vec::new()),
    };
    if arguments.iter().any(|a| a.contains("%s")) {
        arguments = arguments.iter().map(|a| a.replace("%s", url)).collect();
    } else {
        arguments.push(url.to_owned());
    }
    std::process::Command::new(program)
        .args(arguments)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_utc_and_spans_for_people() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(span(59), "59 s");
        assert_eq!(span(3 * 3600 + 120), "3 h 2 min");
        assert_eq!(span(90_000), "1 d 1 h");
    }
}
