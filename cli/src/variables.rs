//! The environment that gives a program the account: the variables cartoauth and its bindings
//! resolve from, and the configuration options GDAL's CARTO driver reads from the environment.

use cartoauth::env as names;
use cartoauth::Credentials;

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

/// Variables that would otherwise compete with the ones set here (`CARTO_USERNAME` /
/// `CARTO_BASE_URL` win over them anyway, but a child that reads them itself should not see
/// another account).
pub const SUPERSEDED: [&str; 2] = [names::PROFILE, names::CREDENTIALS_FILE];
