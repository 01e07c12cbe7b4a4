//! Asking the OAuth server for a token: `POST {auth_url}/oauth/token`.
//!
//! Two grants: `client_credentials` (an M2M client's id and secret) and `authorization_code`
//! (a browser sign-in's code and PKCE verifier). Failures of the server's own making (429
//! quota, 5xx) are retried a bounded number of times with jittered exponential backoff,
//! honouring `Retry-After` when it fits the budget; every other answer is final. Redirects
//! are never followed (the body holds a secret). The answer's expiry comes from the JWT's
//! `exp`, bounded by `expires_in` counted from the moment the answer arrived.

use super::key::{unix_now, StoredToken};
use crate::credentials::jwt::Claims;
use crate::credentials::kind::AuthServer;
use crate::credentials::secret::Secret;
use crate::error::{Error, ErrorKind, Result};
use std::io::Read;
use std::time::Duration;
use ureq::Agent;

/// The per-attempt limit of a token-endpoint request.
pub(crate) const MINT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts at the token endpoint, the first included.
const MAX_ATTEMPTS: u32 = 4;
/// The first backoff's upper bound; each retry doubles it (full jitter below it).
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// No single backoff waits longer than this.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// All waits of one mint together stay under this.
const MAX_TOTAL_WAIT: Duration = Duration::from_secs(20);
/// Token answers are about 1 KB; a larger one is not a token answer.
const MAX_ANSWER: u64 = 256 * 1024;

/// The grant a mint uses.
pub(crate) enum Grant<'a> {
    ClientCredentials {
        client_id: &'a str,
        client_secret: &'a Secret,
    },
    AuthorizationCode {
        client_id: &'a str,
        code: &'a Secret,
        redirect_uri: &'a str,
        verifier: &'a Secret,
    },
}

impl Grant<'_> {
    fn form(&self, server: &AuthServer) -> zeroize::Zeroizing<String> {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        match self {
            Grant::ClientCredentials {
                client_id,
                client_secret,
            } => {
                form.append_pair("grant_type", "client_credentials")
                    .append_pair("client_id", client_id)
                    .append_pair("client_secret", client_secret.expose());
            }
            Grant::AuthorizationCode {
                client_id,
                code,
                redirect_uri,
                verifier,
            } => {
                form.append_pair("grant_type", "authorization_code")
                    .append_pair("client_id", client_id)
                    .append_pair("code", code.expose())
                    .append_pair("redirect_uri", redirect_uri)
                    .append_pair("code_verifier", verifier.expose());
            }
        }
        form.append_pair("audience", &server.audience);
        zeroize::Zeroizing::new(form.finish())
    }

    fn client_id(&self) -> &str {
        match self {
            Grant::ClientCredentials { client_id, .. }
            | Grant::AuthorizationCode { client_id, .. } => client_id,
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Grant::ClientCredentials { .. } => "minting an M2M token",
            Grant::AuthorizationCode { .. } => "exchanging the sign-in code",
        }
    }
}

/// How token work waits: interruptibly, when it runs inside a call the caller may cancel
/// (the client implements this for its calls' watch).
pub(crate) trait Pause {
    /// Sleeps `wait`, or fails with the reason the call must stop.
    fn pause(&self, wait: Duration) -> Result<()>;
    /// Why the call must stop now, if it must (cancelled, out of time).
    fn interrupted(&self) -> Option<Error>;
}

/// Plain sleeping (no call to interrupt).
pub(crate) struct Sleep;

impl Pause for Sleep {
    fn pause(&self, wait: Duration) -> Result<()> {
        std::thread::sleep(wait);
        Ok(())
    }

    fn interrupted(&self) -> Option<Error> {
        None
    }
}

/// One answer of the token endpoint.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Vec<u8>,
}

/// Mints a token with `grant` at `server`, retrying as the module documentation says.
pub(crate) fn mint(
    agent: &Agent,
    server: &AuthServer,
    grant: &Grant<'_>,
    pause: &dyn Pause,
) -> Result<StoredToken> {
    let url = server.token_url();
    let form = grant.form(server);
    let mut waited = Duration::ZERO;
    let mut attempt = 1;
    loop {
        let answer =
            post(agent, &url, &form, grant).map_err(|e| pause.interrupted().unwrap_or(e))?;
        if (200..300).contains(&answer.status) {
            return read_token(&answer.body, grant, &url);
        }
        let retryable = answer.status == 429 || (500..600).contains(&answer.status);
        let error = endpoint_error(&answer, grant, &url);
        if !retryable || attempt >= MAX_ATTEMPTS {
            return Err(error);
        }
        let ceiling = FIRST_BACKOFF
            .saturating_mul(1 << (attempt - 1))
            .min(MAX_BACKOFF);
        let wait = match answer.retry_after {
            Some(seconds) => Duration::from_secs(seconds),
            None => jitter(ceiling),
        };
        if waited + wait > MAX_TOTAL_WAIT {
            return Err(error);
        }
        pause.pause(wait)?;
        waited += wait;
        attempt += 1;
    }
}

/// A random wait in `[ceiling / 10, ceiling]`: jitter keeps N processes that hit the same 429
/// from coming back at the same instant.
fn jitter(ceiling: Duration) -> Duration {
    let random = getrandom::u64().unwrap_or(0x2545_f491_4f6c_dd1d);
    let floor = ceiling / 10;
    let span = (ceiling - floor).as_micros().max(1) as u64;
    floor + Duration::from_micros(random % span)
}

fn post(agent: &Agent, url: &str, form: &str, grant: &Grant<'_>) -> Result<Answer> {
    let shown = format!("POST {url}");
    let response = agent
        .post(url)
        .config()
        .timeout_global(Some(MINT_ATTEMPT_TIMEOUT))
        .build()
        .header("Accept", "application/json")
        .content_type("application/x-www-form-urlencoded")
        .send(form.as_bytes())
        .map_err(|e| {
            Error::new(
                transport_kind(&e),
                format!("{} ({shown}) failed: {e}", grant.what()),
            )
        })?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(MAX_ANSWER)
        .read_to_end(&mut body)
        .map_err(|e| {
            Error::new(
                ErrorKind::Connection,
                format!("{} ({shown}): the answer broke off: {e}", grant.what()),
            )
        })?;
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

fn transport_kind(e: &ureq::Error) -> ErrorKind {
    match e {
        ureq::Error::Timeout(_) => ErrorKind::Timeout,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => ErrorKind::Tls,
        _ => ErrorKind::Connection,
    }
}

/// RFC 6749's `{"error", "error_description"}`, or the status alone.
fn endpoint_error(answer: &Answer, grant: &Grant<'_>, url: &str) -> Error {
    let body: Option<serde_json::Value> = serde_json::from_slice(&answer.body).ok();
    let field = |name: &str| {
        body.as_ref()
            .and_then(|b| b.get(name))
            .and_then(|v| v.as_str())
            .map(|s| crate::text::excerpt::quoted(s).trim_matches('"').to_owned())
    };
    let detail = match (field("error"), field("error_description")) {
        (Some(code), Some(text)) => format!("{code}: {text}"),
        (Some(code), None) => code,
        (None, Some(text)) => text,
        (None, None) => "no error message in the answer".to_owned(),
    };
    let status = answer.status;
    let kind = match status {
        401 => ErrorKind::HttpUnauthorized,
        403 => ErrorKind::HttpForbidden,
        404 => ErrorKind::HttpNotFound,
        429 => ErrorKind::HttpRateLimited,
        500..=599 => ErrorKind::HttpServerError,
        300..=399 => ErrorKind::Protocol,
        _ => ErrorKind::HttpClientError,
    };
    let hint = match (status, grant) {
        (401 | 403, Grant::ClientCredentials { .. }) => {
            "; check the M2M client's id and secret (CARTO Workspace > Developers > Credentials)"
        }
        (400 | 403, Grant::AuthorizationCode { .. }) => {
            "; the sign-in code is used once and expires quickly: sign in again"
        }
        (429, _) => "; the token quota is spent: reuse cached tokens, or wait",
        (300..=399, _) => "; token endpoints are never followed through redirects",
        _ => "",
    };
    Error::new(
        kind,
        format!(
            "{} for client {}: HTTP {status} from POST {url}: {detail}{hint}",
            grant.what(),
            grant.client_id()
        ),
    )
    .with_http_status(status)
}

/// The token of a 2xx answer: `access_token` and `expires_in`, the expiry from the JWT.
fn read_token(body: &[u8], grant: &Grant<'_>, url: &str) -> Result<StoredToken> {
    let received = unix_now();
    let protocol = |why: &str| {
        Error::new(
            ErrorKind::Protocol,
            format!("{} (POST {url}): the answer {why}", grant.what()),
        )
    };
    #[derive(serde::Deserialize)]
    struct TokenAnswer {
        access_token: Option<String>,
        expires_in: Option<serde_json::Value>,
        token_type: Option<String>,
    }
    let answer: TokenAnswer =
        serde_json::from_slice(body).map_err(|_| protocol("is not a JSON token answer"))?;
    let Some(token) = answer.access_token.filter(|t| !t.trim().is_empty()) else {
        return Err(protocol("has no access_token"));
    };
    let token = Secret::new(token);
    if let Some(kind) = answer.token_type.as_deref() {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(protocol(&format!(
                "has token_type {}, not Bearer",
                crate::text::excerpt::quoted(kind)
            )));
        }
    }
    let expires_in = answer.expires_in.as_ref().and_then(|v| match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    let claims = Claims::of(token.expose());
    let jwt_exp = claims.as_ref().and_then(|c| c.exp);
    let exp = match (jwt_exp, expires_in) {
        (Some(exp), Some(secs)) => exp.min(received.saturating_add(secs as i64)),
        (Some(exp), None) => exp,
        (None, Some(secs)) => received.saturating_add(secs as i64),
        (None, None) => {
            return Err(protocol(
                "says neither when the token expires (no expires_in, no JWT exp)",
            ))
        }
    };
    let lifetime = match (claims.as_ref().and_then(|c| c.iat), expires_in) {
        (Some(iat), _) if exp > iat => (exp - iat) as u64,
        (_, Some(secs)) => secs,
        _ => exp.saturating_sub(received).max(0) as u64,
    };
    if exp <= received {
        return Err(protocol(&format!(
            "holds a token that expired {} s ago; check this machine's clock",
            received - exp
        )));
    }
    Ok(StoredToken {
        token,
        exp,
        lifetime,
    })
}

/// How long a mint may take, retries included, for the lock other minters wait on.
pub(crate) fn budget(per_attempt: Duration) -> Duration {
    per_attempt.saturating_mul(MAX_ATTEMPTS) + MAX_TOTAL_WAIT
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn grant_secret() -> Secret {
        Secret::new("the-client-secret")
    }

    #[test]
    fn the_expiry_is_the_jwts_bounded_by_expires_in() {
        let secret = grant_secret();
        let grant = Grant::ClientCredentials {
            client_id: "c",
            client_secret: &secret,
        };
        let now = unix_now();
        let jwt = crate::credentials::jwt::fake(&json!({"exp": now + 100, "iat": now - 20}));
        let body = json!({"access_token": jwt, "expires_in": 86400, "token_type": "Bearer"});
        let t = read_token(body.to_string().as_bytes(), &grant, "u").unwrap();
        assert_eq!(t.exp, now + 100);
        assert_eq!(t.lifetime, 120);
        let body = json!({"access_token": jwt, "expires_in": 10});
        let t = read_token(body.to_string().as_bytes(), &grant, "u").unwrap();
        assert!(t.exp <= now + 11, "expires_in shortens it");
        let opaque = json!({"access_token": "opaque", "expires_in": "60"});
        let t = read_token(opaque.to_string().as_bytes(), &grant, "u").unwrap();
        assert!((t.exp - (now + 60)).abs() <= 1);
    }

    #[test]
    fn answers_that_are_not_tokens_are_protocol_errors_without_the_secret() {
        let secret = grant_secret();
        let grant = Grant::ClientCredentials {
            client_id: "c",
            client_secret: &secret,
        };
        let now = unix_now();
        for body in [
            json!({"expires_in": 5}).to_string(),
            json!({"access_token": "x"}).to_string(),
            json!({"access_token": "x", "expires_in": 5, "token_type": "mac"}).to_string(),
            json!({"access_token": crate::credentials::jwt::fake(&json!({"exp": now - 5}))})
                .to_string(),
            "<html>".to_owned(),
        ] {
            let err = read_token(body.as_bytes(), &grant, "u").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "{body}");
            assert!(!err.message().contains("the-client-secret"));
        }
    }

    #[test]
    fn endpoint_errors_name_rfc6749_codes_and_hint() {
        let secret = grant_secret();
        let grant = Grant::ClientCredentials {
            client_id: "abc",
            client_secret: &secret,
        };
        let answer = Answer {
            status: 401,
            retry_after: None,
            body: br#"{"error":"access_denied","error_description":"Unauthorized"}"#.to_vec(),
        };
        let err = endpoint_error(&answer, &grant, "https://auth/oauth/token");
        assert_eq!(err.kind(), ErrorKind::HttpUnauthorized);
        assert_eq!(err.http_status(), Some(401));
        assert!(
            err.message().contains("access_denied: Unauthorized"),
            "{err}"
        );
        assert!(err.message().contains("client abc"));
    }

    #[test]
    fn jitter_stays_within_its_bounds() {
        for _ in 0..1000 {
            let j = jitter(Duration::from_secs(1));
            assert!(j >= Duration::from_millis(100) && j <= Duration::from_secs(1));
        }
    }

    #[test]
    fn the_form_carries_the_grant_and_audience() {
        let secret = grant_secret();
        let grant = Grant::ClientCredentials {
            client_id: "c i",
            client_secret: &secret,
        };
        let form = grant.form(&AuthServer::default());
        assert_eq!(
            form.as_str(),
            "grant_type=client_credentials&client_id=c+i&client_secret=the-client-secret&audience=carto-cloud-native-api"
        );
    }
}
