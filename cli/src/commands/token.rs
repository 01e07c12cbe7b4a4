//! `cartoauth token`: a CARTO 3 token valid now, in the form a script or another tool takes.

use crate::account;
use crate::args::{Token, TokenFormat};
use crate::exit::{self, Failure, Outcome};
use crate::output;
use cartoauth::env as names;
use cartoauth::Platform;
use serde_json::json;

pub fn run(args: Token) -> Outcome {
    let credentials = account::credentials(args.account.profile.as_deref())?;
    if credentials.platform() != Platform::Carto3 {
        return Err(Failure::new(
            exit::NO_CREDENTIALS,
            format!(
                "{} holds CARTO 2 credentials (an API key), which have no token; `cartoauth env` gives the key",
                credentials.origin()
            ),
        ));
    }
    let base_url = credentials.base_url().to_owned();
    let client = account::client(credentials)?;
    let token = client.access_token()?;
    let secret = token.token.expose();
    let text = match args.format {
        TokenFormat::Raw => format!("{secret}\n"),
        TokenFormat::Header => format!("Authorization: Bearer {secret}\n"),
        TokenFormat::Json => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let answer = json!({
                "access_token": secret,
                "token_type": "Bearer",
                "expires_at": token.expires_at,
                "expires_in": token.expires_at.map(|exp| (exp - now).max(0)),
                "api_base_url": base_url,
            });
            format!("{answer}\n")
        }
        TokenFormat::Env => {
            let shell = super::env::shell_from_env();
            format!(
                "{}\n{}\n",
                super::env::assign(shell, names::API_TOKEN, secret),
                super::env::assign(shell, names::API_BASE_URL, &base_url)
            )
        }
    };
    output::write(&text)
}
