//! Which credentials a command uses or changes, and the client that uses them. Everything goes
//! through the library, so the tool reads and writes exactly what the bindings do.

use crate::exit::{Failure, Outcome};
use cartoauth::env::{self, Environment, ProcessEnvironment};
use cartoauth::{config, Client, ClientOptions, Credentials, KeyTransport, Location};

/// The credentials a command uses: the profile named with `--profile`, else the library's
/// resolution (environment, then files).
pub fn credentials(profile: Option<&str>) -> Outcome<Credentials> {
    match profile {
        Some(name) => load_profile(name),
        None => Ok(cartoauth::resolve(None)?),
    }
}

pub fn load_profile(name: &str) -> Outcome<Credentials> {
    let location = Location::from_parts(None, Some(name)).map_err(|e| profile_failure(&e))?;
    Ok(config::load_with(
        &location,
        &ProcessEnvironment,
        allow_non_secure_from_env()?,
    )?)
}

fn profile_failure(e: &cartoauth::Error) -> Failure {
    Failure::usage(format!("--profile: {}", e.message()))
}

/// `CARTO_ALLOW_NON_SECURE`, as the library reads it.
pub fn allow_non_secure_from_env() -> Outcome<bool> {
    Ok(ProcessEnvironment.flag(env::ALLOW_NON_SECURE)?)
}

/// The stored credentials that `login` writes and `logout` deletes: `--profile`, else the file
/// the environment names (`CARTO_PROFILE`, `CARTO_CREDENTIALS_FILE`), else the default files.
pub fn stored_location(profile: Option<&str>) -> Outcome<Location> {
    if let Some(name) = profile {
        return Location::from_parts(None, Some(name)).map_err(|e| profile_failure(&e));
    }
    let env = ProcessEnvironment;
    let by_profile = env.get(env::PROFILE);
    let by_file = env.get(env::CREDENTIALS_FILE);
    Location::from_parts(by_file.as_deref(), by_profile.as_deref()).map_err(|e| {
        Failure::new(
            crate::exit::NO_CREDENTIALS,
            format!(
                "{} / {}: {}",
                env::CREDENTIALS_FILE,
                env::PROFILE,
                e.message()
            ),
        )
    })
}

/// A short description of a stored location: "profile 'work'", "the default file", a path.
pub fn describe(location: &Location) -> String {
    match location {
        Location::Default => "the default credentials file".to_owned(),
        Location::Path(path) => path.display().to_string(),
        Location::Profile(name) => format!("profile '{name}'"),
    }
}

/// A client for `credentials`, identifying itself as this tool. The key goes in an
/// Authorization header when there is a username, so it never sits in a URL.
pub fn client(credentials: Credentials) -> Outcome<Client> {
    let key_transport = if credentials.username().is_some() {
        KeyTransport::Basic
    } else {
        KeyTransport::Query
    };
    let options = ClientOptions {
        key_transport,
        user_agent_suffix: Some(concat!("cartoauth-cli/", env!("CARGO_PKG_VERSION")).to_owned()),
        ..ClientOptions::default()
    };
    Ok(Client::new(credentials, options)?)
}

/// Where stored credentials' secret lives: "keychain (the Secret Service, item ...)" or
/// "file"; `None` for credentials that were not stored (the environment).
pub fn storage_text(credentials: &Credentials) -> Option<String> {
    let origin = credentials.origin();
    Some(match origin.storage()? {
        cartoauth::Storage::Keychain => format!(
            "keychain ({}, item {})",
            cartoauth::keychain_name(),
            origin.keychain_item().unwrap_or_default()
        ),
        cartoauth::Storage::File => "file (the secret, if any, in plain text, 0600)".to_owned(),
    })
}
