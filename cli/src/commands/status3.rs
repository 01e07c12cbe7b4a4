//! `cartoauth status` for CARTO 3 credentials: the kind, the API base URL and OAuth server,
//! the token cache and the expiry of the token it holds, where the credentials come from.
//!
//! The check (unless --no-check) gets a token as every command would: for an M2M client it
//! mints one when the cache holds none that is fresh; a static token or a user's sign-in is
//! checked against its expiry. Nothing secret is shown.

use super::login3::validity;
use crate::account;
use crate::escape;
use crate::exit::{self, Failure, Outcome};
use crate::output;
use cartoauth::{CredentialKind, Credentials};
use serde_json::{json, Value};

pub struct Report<'a> {
    pub credentials: &'a Credentials,
    pub tried: Vec<String>,
    pub shadowed: Vec<String>,
    pub warnings: Vec<String>,
}

fn kind_text(credentials: &Credentials) -> String {
    match credentials.kind() {
        CredentialKind::AccessToken => "access token (used as given)".to_owned(),
        CredentialKind::M2m => {
            format!("M2M client {}", credentials.client_id().unwrap_or_default())
        }
        CredentialKind::OAuthUser => match credentials.organization() {
            Some(org) => format!("user sign-in through organization {org}"),
            None => "user sign-in".to_owned(),
        },
        CredentialKind::ApiKey => "API key".to_owned(),
    }
}

pub fn run(report: Report<'_>, json_out: bool, no_check: bool) -> Outcome {
    let credentials = report.credentials;
    let client = account::client(credentials.clone())?;
    let status = client.token_status()?;
    let (check_word, check_detail, code) = if no_check {
        ("not checked", String::new(), exit::OK)
    } else {
        match client.access_token() {
            Ok(token) => ("valid", validity(token.expires_at), exit::OK),
            Err(e) => {
                let failure = Failure::from(e);
                ("unusable", failure.message.clone(), failure.code)
            }
        }
    };
    // After the check, the cache may hold a new token.
    let status = if no_check {
        status
    } else {
        client.token_status().unwrap_or(status)
    };
    let token_text = match (credentials.kind(), status.expires_at) {
        (_, Some(exp)) => validity(Some(exp)),
        (CredentialKind::OAuthUser, None) => {
            "none cached: sign in with cartoauth login --carto3".to_owned()
        }
        (_, None) => "none cached".to_owned(),
    };
    if json_out {
        let origin = credentials.origin();
        let answer: Value = json!({
            "credentials": {
                "platform": "carto3",
                "kind": credentials.kind().name(),
                "api_base_url": credentials.base_url(),
                "client_id": credentials.client_id(),
                "organization": credentials.organization(),
                "auth_url": credentials.auth_server().map(|s| s.url.clone()),
                "allow_non_secure": credentials.allow_non_secure(),
            },
            "token": {
                "expires_at": status.expires_at,
                "cache": status.store,
                "status": check_word,
                "detail": check_detail,
            },
            "source": {
                "kind": origin.source().name(),
                "description": origin.to_string(),
                "path": origin.path().map(|p| p.display().to_string()),
                "profile": origin.profile(),
                "variables": origin.variables(),
                "storage": origin.storage().map(|s| s.name()),
                "keychain_item": origin.keychain_item(),
            },
            "tried": report.tried,
            "shadowed": report.shadowed,
            "warnings": report.warnings,
        });
        output::write(&format!("{}\n", escape::json(&answer)))?;
        return Ok(code);
    }
    let mut lines = vec![
        "Platform: CARTO 3".to_owned(),
        format!("API base URL: {}", credentials.base_url()),
        format!("Credential: {}", kind_text(credentials)),
    ];
    if let Some(server) = credentials.auth_server() {
        lines.push(format!("OAuth server: {}", server.url));
    }
    lines.push(format!("Token:    {token_text}"));
    if let Some(store) = &status.store {
        lines.push(format!("Cache:    {store}"));
    }
    lines.push(match check_word {
        "not checked" => "Check:    not checked".to_owned(),
        word => format!("Check:    {word} ({check_detail})"),
    });
    lines.push(format!("From:     {}", credentials.origin()));
    if let Some(storage) = account::storage_text(credentials) {
        lines.push(format!("Storage:  {storage}"));
    }
    lines.push("Sources tried, in order:".to_owned());
    for source in &report.tried {
        lines.push(format!("  - {source}"));
    }
    if !report.shadowed.is_empty() {
        lines.push("Found but not used (the source above comes first):".to_owned());
        for source in &report.shadowed {
            lines.push(format!("  - {source} (shadowed)"));
        }
    }
    for warning in &report.warnings {
        lines.push(format!("Warning:  {warning}"));
    }
    output::lines(&lines)?;
    Ok(code)
}
