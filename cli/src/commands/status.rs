//! `cartoauth status`: the credentials that would be used, where they come from (every source
//! tried), the masked key, whether CARTO accepts it, and warnings.

use crate::account;
use crate::args::Status;
use crate::escape;
use crate::exit::{self, Failure, Outcome};
use crate::keycheck::{self, Verdict};
use crate::output;
use cartoauth::client::KeyValidity;
use cartoauth::env::ProcessEnvironment;
use cartoauth::{Credentials, Explanation};
use serde_json::{json, Value};

pub fn run(args: Status) -> Outcome {
    let (resolved, explanation) = match args.account.profile.as_deref() {
        Some(name) => (
            account::load_profile(name),
            Explanation {
                tried: Vec::new(),
                shadowed: Vec::new(),
            },
        ),
        None => {
            let (result, explanation) = cartoauth::resolve_explained_with(
                None,
                cartoauth::default_credentials(),
                &ProcessEnvironment,
            );
            (result.map_err(Failure::from), explanation)
        }
    };
    let credentials = match resolved {
        Ok(c) => c,
        Err(failure) if args.json => {
            let answer =
                json!({"credentials": null, "error": failure.message, "tried": explanation.tried});
            output::write(&format!("{}\n", escape::json(&answer)))?;
            return Ok(failure.code);
        }
        Err(failure) => return Err(failure),
    };
    if credentials.platform() == cartoauth::Platform::Carto3 {
        let report = super::status3::Report {
            credentials: &credentials,
            tried: tried_then_used(&credentials, &explanation, args.account.profile.as_deref()),
            shadowed: explanation
                .shadowed
                .iter()
                .map(|s| s.description.clone())
                .collect(),
            warnings: warnings(&credentials),
        };
        return super::status3::run(report, args.json, args.no_check);
    }
    let verdict = if args.no_check {
        None
    } else {
        Some(keycheck::check(&account::client(credentials.clone())?))
    };
    let report = Report {
        credentials: &credentials,
        tried: tried_then_used(&credentials, &explanation, args.account.profile.as_deref()),
        shadowed: explanation
            .shadowed
            .iter()
            .map(|s| s.description.clone())
            .collect(),
        warnings: warnings(&credentials),
        verdict: verdict.as_ref(),
    };
    if args.json {
        output::write(&format!("{}\n", escape::json(&report.as_json())))?;
    } else {
        output::lines(&report.as_text())?;
    }
    Ok(match verdict.map(|v| v.validity) {
        None | Some(KeyValidity::Valid) => exit::OK,
        Some(KeyValidity::Invalid) => exit::KEY_REJECTED,
        Some(KeyValidity::Unknown) => exit::UNREACHABLE,
    })
}

/// Every source tried, in order, the one used last and marked so.
fn tried_then_used(
    credentials: &Credentials,
    explanation: &Explanation,
    profile: Option<&str>,
) -> Vec<String> {
    let mut tried = explanation.tried.clone();
    if let Some(name) = profile {
        tried.push(format!("--profile {name}"));
    }
    tried.push(format!("{} (used)", credentials.origin()));
    tried
}

/// What the user should know about these credentials: the file's own warnings (permissions)
/// and a key that travels in clear text.
fn warnings(credentials: &Credentials) -> Vec<String> {
    let mut warnings = credentials.origin().warnings().to_vec();
    if credentials.base_url().starts_with("http://") {
        warnings.push(format!(
            "the base URL is http://: the {} travels in clear text",
            if credentials.platform() == cartoauth::Platform::Carto3 {
                "token"
            } else {
                "key"
            }
        ));
    }
    warnings
}

struct Report<'a> {
    credentials: &'a Credentials,
    tried: Vec<String>,
    shadowed: Vec<String>,
    warnings: Vec<String>,
    verdict: Option<&'a Verdict>,
}

impl Report<'_> {
    fn as_text(&self) -> Vec<String> {
        let credentials = self.credentials;
        let mut lines = Vec::new();
        lines.push(format!(
            "Account:  {}",
            credentials.username().unwrap_or("<unknown user>")
        ));
        lines.push(format!("Base URL: {}", credentials.base_url()));
        lines.push(format!("API key:  {}", credentials.api_key().masked()));
        match self.verdict {
            Some(v) => lines.push(format!("Key:      {} ({})", v.word(), v.detail)),
            None => lines.push("Key:      not checked".to_owned()),
        }
        lines.push(format!("From:     {}", credentials.origin()));
        if let Some(storage) = account::storage_text(credentials) {
            lines.push(format!("Storage:  {storage}"));
        }
        lines.push("Sources tried, in order:".to_owned());
        for source in &self.tried {
            lines.push(format!("  - {source}"));
        }
        if !self.shadowed.is_empty() {
            lines.push("Found but not used (the source above comes first):".to_owned());
            for source in &self.shadowed {
                lines.push(format!("  - {source} (shadowed)"));
            }
        }
        for warning in &self.warnings {
            lines.push(format!("Warning:  {warning}"));
        }
        lines
    }

    fn as_json(&self) -> Value {
        let credentials = self.credentials;
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
                "storage": origin.storage().map(|s| s.name()),
                "keychain_item": origin.keychain_item(),
            },
            "tried": self.tried,
            "shadowed": self.shadowed,
            "key": match self.verdict {
                Some(v) => json!({"status": v.word(), "detail": v.detail}),
                None => json!({"status": "not checked"}),
            },
            "warnings": self.warnings,
        })
    }
}
