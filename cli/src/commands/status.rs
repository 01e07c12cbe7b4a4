//! `cartoauth status`: the credentials that would be used, where they come from (every source
//! tried), the masked key, whether CARTO accepts it, and warnings.

use crate::account;
use crate::args::Status;
use crate::exit::{self, Failure, Outcome};
use crate::keycheck::{self, Verdict};
use crate::output;
use cartoauth::client::KeyValidity;
use cartoauth::env::ProcessEnvironment;
use cartoauth::Credentials;
use serde_json::{json, Value};

pub fn run(args: Status) -> Outcome {
    let (resolved, tried) = match args.account.profile.as_deref() {
        Some(name) => (
            account::load_profile(name),
            vec![format!("--profile {name}")],
        ),
        None => {
            let (result, tried) = cartoauth::resolve_explained_with(
                None,
                cartoauth::default_credentials(),
                &ProcessEnvironment,
            );
            (result.map_err(Failure::from), tried)
        }
    };
    let credentials = match resolved {
        Ok(c) => c,
        Err(failure) if args.json => {
            let answer = json!({"credentials": null, "error": failure.to_string(), "tried": tried});
            output::write(&format!("{answer}\n"))?;
            return Ok(failure.code);
        }
        Err(failure) => return Err(failure),
    };
    let verdict = if args.no_check {
        None
    } else {
        Some(keycheck::check(&account::client(credentials.clone())?))
    };
    if args.json {
        output::write(&format!(
            "{}\n",
            as_json(&credentials, &tried, verdict.as_ref())
        ))?;
    } else {
        output::lines(&as_text(&credentials, &tried, verdict.as_ref()))?;
    }
    Ok(match verdict.map(|v| v.validity) {
        None | Some(KeyValidity::Valid) => exit::OK,
        Some(KeyValidity::Invalid) => exit::KEY_REJECTED,
        Some(KeyValidity::Unknown) => exit::UNREACHABLE,
    })
}

fn as_text(credentials: &Credentials, tried: &[String], verdict: Option<&Verdict>) -> Vec<String> {
    let origin = credentials.origin();
    let mut lines = Vec::new();
    lines.push(format!(
        "Account:  {}",
        credentials.username().unwrap_or("<unknown user>")
    ));
    lines.push(format!("Base URL: {}", credentials.base_url()));
    lines.push(format!("API key:  {}", credentials.api_key().masked()));
    match verdict {
        Some(v) => lines.push(format!("Key:      {} ({})", v.word(), v.detail)),
        None => lines.push("Key:      not checked".to_owned()),
    }
    lines.push(format!("From:     {origin}"));
    lines.push("Sources tried, in order:".to_owned());
    for source in tried {
        lines.push(format!("  - {source}"));
    }
    lines.push(format!("  - {origin} (used)"));
    for warning in origin.warnings() {
        lines.push(format!("Warning:  {warning}"));
    }
    if credentials.base_url().starts_with("http://") {
        lines.push("Warning:  the base URL is http://: the key travels in clear text".to_owned());
    }
    lines
}

fn as_json(credentials: &Credentials, tried: &[String], verdict: Option<&Verdict>) -> Value {
    let origin = credentials.origin();
    json!({
        "credentials": {
            "username": credentials.username(),
            "base_url": credentials.base_url(),
            "api_key_masked": credentials.api_key().masked(),
            "allow_non_secure": credentials.allow_non_secure(),
        },
        "source": {
            "kind": origin.source().name(),
            "description": origin.to_string(),
            "path": origin.path().map(|p| p.display().to_string()),
            "profile": origin.profile(),
            "variables": origin.variables(),
        },
        "tried": tried,
        "key": match verdict {
            Some(v) => json!({"status": v.word(), "detail": v.detail}),
            None => json!({"status": "not checked"}),
        },
        "warnings": origin.warnings(),
    })
}
