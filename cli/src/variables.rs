//! The environment that gives a program the account: the variables cartoauth and its bindings
//! resolve from, and the configuration options GDAL's CARTO driver reads from the environment.

use crate::exit::Outcome;
use cartoauth::env as names;
use cartoauth::{Credentials, Platform, Secret};

/// GDAL's CARTO driver: the SQL API endpoint (it defaults to https://USER.carto.com/api/v2/sql,
/// which is wrong for on-premises and organisation URLs).
pub const GDAL_API_URL: &str = "CARTO_API_URL";

/// Name and value of each variable, the API key in clear: callers only hand these to a child
/// process or print them because the user asked for exactly that.
pub fn of(credentials: &Credentials) -> Vec<(&'static str, String)> {
    let mut vars = Vec::new();
    if let Some(username) = credentials.username() {
        vars.push((names::USERNAME, username.to_owned()));
    }
    vars.push((names::BASE_URL, credentials.base_url().to_owned()));
    // Also GDAL's CARTO_API_KEY: the same name, the same key.
    vars.push((names::API_KEY, credentials.api_key().expose().to_owned()));
    vars.push((
        GDAL_API_URL,
        format!("{}/api/v2/sql", credentials.base_url()),
    ));
    if credentials.allow_non_secure() {
        vars.push((names::ALLOW_NON_SECURE, "1".to_owned()));
    }
    vars
}

/// GDAL (>= 3.6): extra headers for every HTTP request it makes.
pub const GDAL_HTTP_HEADERS: &str = "GDAL_HTTP_HEADERS";

/// CARTO 3 credentials as the variables of a token valid now: the CARTO CLI's
/// `CARTO_API_TOKEN` and `CARTO_API_BASE_URL` (cartoauth and its bindings resolve them too),
/// and with `gdal_headers` the Bearer header for GDAL. The child gets a token, never an M2M
/// client's secret.
pub fn of_carto3(
    credentials: &Credentials,
    token: &Secret,
    gdal_headers: bool,
) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        (names::API_TOKEN, token.expose().to_owned()),
        (names::API_BASE_URL, credentials.base_url().to_owned()),
    ];
    if Platform::detect(credentials.base_url()) != Platform::Carto3 {
        vars.push((names::PLATFORM, "carto3".to_owned()));
    }
    if credentials.allow_non_secure() {
        vars.push((names::ALLOW_NON_SECURE, "1".to_owned()));
    }
    if gdal_headers {
        vars.push((
            GDAL_HTTP_HEADERS,
            format!("Authorization: Bearer {}", token.expose()),
        ));
    }
    vars
}

/// The variables of [`of`] (CARTO 2) or [`of_carto3`] (CARTO 3, getting a token first).
pub fn for_account(
    credentials: &Credentials,
    gdal_headers: bool,
) -> Outcome<Vec<(&'static str, String)>> {
    if credentials.platform() != Platform::Carto3 {
        return Ok(of(credentials));
    }
    let client = crate::account::client(credentials.clone())?;
    let token = client.access_token()?;
    Ok(of_carto3(credentials, &token.token, gdal_headers))
}

/// Variables that would otherwise compete with the ones set here: another account's (a child
/// that resolves credentials itself must see only this one; CARTO 2 and CARTO 3 variables
/// together are an error), and an M2M secret the child does not need.
pub const SUPERSEDED: [&str; 9] = [
    names::PROFILE,
    names::CREDENTIALS_FILE,
    names::USERNAME,
    names::API_KEY,
    names::BASE_URL,
    names::API_TOKEN,
    names::API_BASE_URL,
    names::M2M_CLIENT_ID,
    names::M2M_CLIENT_SECRET,
];
