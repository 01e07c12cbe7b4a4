//! CARTO 3's issuer over HTTP: /authorize with PKCE, /oauth/token (form and JSON bodies, both
//! grants, every refusal), the JWKS that verifies the tokens, their lifetime and quota, the
//! counters, and discovery (/accounts, /config.yaml).

mod common;

use std::time::Duration;

use base64::Engine;
use common::{enc, get, send, Resp};
use serde_json::{json, Value};

use carto_emulator::harness::{Carto3Options, Emulator};

fn start(c3: Carto3Options) -> Emulator {
    common::start_with(|o| o.carto3 = Some(c3))
}

fn shared() -> &'static Emulator {
    static EMU: std::sync::OnceLock<Emulator> = std::sync::OnceLock::new();
    EMU.get_or_init(|| start(Carto3Options::default()))
}

/// RFC 7636's example verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://localhost:10000/callback/";

fn authorize(emu: &Emulator, extra: &str) -> Resp {
    let c3 = emu.carto3();
    let url = format!(
        "{}?client_id={}&response_type=code&scope=None&audience={}&redirect_uri={}\
         &code_challenge_method=S256&code_challenge={CHALLENGE}{extra}",
        c3.authorize_url,
        c3.spa_client_id(),
        enc(&c3.audience),
        enc(REDIRECT),
    );
    get(emu, &url, &[])
}

fn location(r: &Resp) -> String {
    assert_eq!(r.status, 302, "{}", r.text());
    r.header("location").expect("Location")
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn code(emu: &Emulator, extra: &str) -> String {
    let loc = location(&authorize(emu, extra));
    query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

fn token_form(emu: &Emulator, pairs: &[(&str, &str)]) -> Resp {
    let url = emu.carto3().token_url;
    send(
        emu,
        "POST",
        &url,
        &[],
        Some(("application/x-www-form-urlencoded", form(pairs))),
    )
}

fn token_json(emu: &Emulator, body: &Value) -> Resp {
    let url = emu.carto3().token_url;
    send(
        emu,
        "POST",
        &url,
        &[],
        Some(("application/json", body.to_string().into_bytes())),
    )
}

fn exchange(emu: &Emulator, code: &str, verifier: &str, redirect: &str) -> Resp {
    let c3 = emu.carto3();
    token_form(
        emu,
        &[
            ("client_id", c3.spa_client_id()),
            ("grant_type", "authorization_code"),
            ("audience", &c3.audience),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ],
    )
}

fn m2m(emu: &Emulator, secret: Option<&str>) -> Resp {
    let c3 = emu.carto3();
    let m = c3.m2m();
    token_form(
        emu,
        &[
            ("grant_type", "client_credentials"),
            ("audience", &c3.audience),
            ("client_id", &m.client_id),
            ("client_secret", secret.unwrap_or(&m.client_secret)),
        ],
    )
}

fn assert_oauth_error(r: &Resp, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).unwrap()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn the_browser_flow_issues_a_signed_user_token_with_cartos_claims() {
    let emu = shared();
    let c3 = emu.carto3();
    let loc = location(&authorize(emu, "&state=abc%20d&organization=org_emulator"));
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(query_param(&loc, "state").as_deref(), Some("abc%20d"));
    let code = query_param(&loc, "code").unwrap();
    let r = exchange(emu, &code, VERIFIER, REDIRECT);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert!(body["scope"].as_str().unwrap().contains("read:connections"));
    let token = body["access_token"].as_str().unwrap();

    // The JWKS verifies it, by its kid; the claims are CARTO's.
    let jwks = get(emu, &c3.jwks_url, &[]).json();
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwk = set
        .find(header.kid.as_deref().unwrap())
        .expect("the token's kid in the JWKS");
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[&c3.audience]);
    v.set_issuer(&[&c3.issuer]);
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let verified = jsonwebtoken::decode::<Value>(token, &key, &v).expect("a valid signature");
    let c = verified.claims;
    assert_eq!(c, claims(token));
    assert_eq!(c["iss"], c3.issuer.as_str());
    assert_eq!(
        c["aud"],
        json!([c3.audience, format!("{}userinfo", c3.issuer)])
    );
    assert_eq!(c["sub"], format!("auth0|{}", c3.account().id));
    assert_eq!(c["azp"], c3.spa_client_id());
    assert_eq!(c["http://app.carto.com/email"], "demo@example.com");
    assert_eq!(
        c["http://app.carto.com/account_id"],
        c3.account().id.as_str()
    );
    assert_eq!(c["org_id"], "org_emulator");
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        86_400
    );
}

#[test]
fn pkce_refusals_are_invalid_grant() {
    let emu = shared();
    // A wrong verifier, and then the code is spent even for the right one.
    let c = code(emu, "");
    let wrong = exchange(emu, &c, &VERIFIER.replace('d', "e"), REDIRECT);
    assert_oauth_error(&wrong, 403, "invalid_grant");
    assert_oauth_error(&exchange(emu, &c, VERIFIER, REDIRECT), 403, "invalid_grant");
    // A reused code.
    let c = code(emu, "");
    assert_eq!(exchange(emu, &c, VERIFIER, REDIRECT).status, 200);
    assert_oauth_error(&exchange(emu, &c, VERIFIER, REDIRECT), 403, "invalid_grant");
    // A redirect_uri that is not the authorize call's, to the character.
    let c = code(emu, "");
    let r = exchange(emu, &c, VERIFIER, "http://localhost:10000/callback");
    assert_oauth_error(&r, 403, "invalid_grant");
    assert!(r.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("redirect_uri"));
    // A code nobody issued, and none at all.
    assert_oauth_error(
        &exchange(emu, "made-up", VERIFIER, REDIRECT),
        403,
        "invalid_grant",
    );
    assert_oauth_error(
        &exchange(emu, "", VERIFIER, REDIRECT),
        400,
        "invalid_request",
    );
}

#[test]
fn authorize_refusals() {
    let emu = shared();
    let c3 = emu.carto3();
    // Not a member of the organization: back to the client with error= and the state.
    let loc = location(&authorize(emu, "&organization=org_elsewhere&state=s1"));
    assert_eq!(query_param(&loc, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&loc, "state").as_deref(), Some("s1"));
    assert!(query_param(&loc, "code").is_none());
    // An audience the tenant does not serve.
    let url = format!(
        "{}?client_id={}&response_type=code&audience=other&redirect_uri={}&code_challenge_method=S256&code_challenge={CHALLENGE}",
        c3.authorize_url,
        c3.spa_client_id(),
        enc(REDIRECT)
    );
    let loc = location(&get(emu, &url, &[]));
    assert_eq!(query_param(&loc, "error").as_deref(), Some("access_denied"));
    // A plain challenge is not accepted.
    let url = url
        .replace("audience=other", "audience=carto-cloud-native-api")
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let loc = location(&get(emu, &url, &[]));
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("invalid_request")
    );
    // A redirect URI the client does not have, or an unknown client: no redirect at all.
    let evil = authorize(emu, "").header("location").unwrap();
    assert!(evil.starts_with(REDIRECT));
    let url = format!(
        "{}?client_id={}&response_type=code&audience=carto-cloud-native-api&redirect_uri={}&code_challenge_method=S256&code_challenge={CHALLENGE}",
        c3.authorize_url,
        c3.spa_client_id(),
        enc("https://evil.example/cb")
    );
    let r = get(emu, &url, &[]);
    assert_oauth_error(&r, 400, "invalid_request");
    assert!(r.header("location").is_none());
    let r = get(emu, &url.replace(c3.spa_client_id(), "nope"), &[]);
    assert_oauth_error(&r, 400, "invalid_request");
}

#[test]
fn machine_to_machine_tokens_from_form_and_json_bodies() {
    let emu = shared();
    let c3 = emu.carto3();
    let m = c3.m2m();
    let r = m2m(emu, None);
    assert_eq!(r.status, 200, "{}", r.text());
    let c = claims(r.json()["access_token"].as_str().unwrap());
    assert_eq!(c["sub"], format!("{}@clients", m.client_id));
    assert_eq!(c["gty"], "client-credentials");
    assert_eq!(c["aud"], c3.audience.as_str());
    assert_eq!(c["azp"], m.client_id.as_str());
    let r = token_json(
        emu,
        &json!({"grant_type": "client_credentials", "audience": c3.audience,
                "client_id": m.client_id, "client_secret": m.client_secret}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["access_token"]
        .as_str()
        .unwrap()
        .starts_with("eyJ"));
    // Refusals: a bad secret, an unknown client, a foreign audience, an unknown grant.
    assert_oauth_error(&m2m(emu, Some("not-the-secret")), 401, "access_denied");
    let unknown = token_form(
        emu,
        &[
            ("grant_type", "client_credentials"),
            ("audience", &c3.audience),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ],
    );
    assert_oauth_error(&unknown, 401, "access_denied");
    let aud = token_json(
        emu,
        &json!({"grant_type": "client_credentials", "audience": "https://other.example/",
                "client_id": m.client_id, "client_secret": m.client_secret}),
    );
    assert_oauth_error(&aud, 403, "access_denied");
    assert_oauth_error(
        &token_form(emu, &[("grant_type", "refresh_token")]),
        400,
        "unsupported_grant_type",
    );
    let bad_json = send(
        emu,
        "POST",
        &c3.token_url,
        &[],
        Some(("application/json", b"{".to_vec())),
    );
    assert_oauth_error(&bad_json, 400, "invalid_request");
}

#[test]
fn the_mint_quota_answers_429_until_its_period_ends_and_counts_refusals() {
    let emu = start(Carto3Options {
        mint_quota: Some(2),
        mint_quota_period: Duration::from_secs(3),
        ..Carto3Options::default()
    });
    let client = emu.carto3().m2m().client_id.clone();
    assert_eq!(m2m(&emu, None).status, 200);
    assert_eq!(m2m(&emu, None).status, 200);
    let spent = m2m(&emu, None);
    assert_oauth_error(&spent, 429, "too_many_requests");
    let after: u64 = spent.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3).contains(&after), "{after}");
    let c = emu.carto3_counters();
    assert_eq!((c.minted_by(&client), c.quota_refusals[&client]), (2, 1));
    std::thread::sleep(Duration::from_secs(after));
    assert_eq!(m2m(&emu, None).status, 200, "a new period has room again");
    // A quota set at run time, and lifted.
    emu.set_mint_quota(&client, Some(0));
    assert_eq!(m2m(&emu, None).status, 429);
    emu.set_mint_quota(&client, None);
    assert_eq!(m2m(&emu, None).status, 200);
    emu.reset_carto3_counters();
    assert_eq!(emu.carto3_counters(), Default::default());
}

#[test]
fn tokens_expire_at_the_configured_lifetime_and_expired_use_is_counted() {
    let emu = start(Carto3Options {
        token_lifetime: Duration::from_secs(2),
        ..Carto3Options::default()
    });
    let c3 = emu.carto3();
    let token = emu.mint_m2m_token();
    let c = claims(&token);
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 2);
    let ok = get(
        &emu,
        &c3.accounts_url,
        &[("Authorization", &bearer(&token))],
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    // Past exp (whole seconds), the same token is refused and counted.
    let wait = c["exp"].as_u64().unwrap() + 1;
    while carto_emulator_now() < wait {
        std::thread::sleep(Duration::from_millis(100));
    }
    let expired = get(
        &emu,
        &c3.accounts_url,
        &[("Authorization", &bearer(&token))],
    );
    assert_eq!(expired.status, 401);
    assert!(expired.json()["error"]
        .as_str()
        .unwrap()
        .contains("expired"));
    let counters = emu.carto3_counters();
    let client = &c3.m2m().client_id;
    assert_eq!(counters.expired_token_requests, 1);
    assert_eq!(counters.expired_for(client), 1);
    assert_eq!(counters.authenticated_requests[client], 1);
    let log = emu.requests();
    let last = log.iter().rev().find(|e| e.path == "/accounts").unwrap();
    assert!(last.token_expired && last.key_transport == "bearer");
    assert!(log
        .iter()
        .all(|e| !e.query.contains(&token) && !e.path.contains(&token)));
    // A lifetime changed at run time applies to the next token.
    emu.set_token_lifetime(Duration::from_secs(120));
    let c = claims(&emu.mint_m2m_token());
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 120);
}

fn carto_emulator_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn discovery_leads_from_a_token_to_the_api_base_url() {
    let emu = shared();
    let c3 = emu.carto3();
    let token = emu.sign_in_user();
    let r = get(emu, &c3.accounts_url, &[("Authorization", &bearer(&token))]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["tenant_domain"], c3.tenant_domain.as_str());
    let config = get(
        emu,
        &format!("http://{}/config.yaml", c3.tenant_domain),
        &[],
    );
    assert_eq!(config.status, 200);
    assert!(
        config
            .text()
            .contains(&format!("baseUrl: \"{}\"", c3.api_base_url)),
        "{}",
        config.text()
    );
    // Without a token, or with a forged one, /accounts says why in `error`.
    let none = get(emu, &c3.accounts_url, &[]);
    assert_eq!(none.status, 401);
    assert!(none.json()["error"].as_str().is_some());
    let mut forged = token.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let r = get(
        emu,
        &c3.accounts_url,
        &[("Authorization", &bearer(&forged))],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (401, "invalid signature")
    );
}

#[test]
fn without_carto3_the_routes_are_carto2s_404() {
    let emu = common::shared();
    assert!(emu.info()["carto3"].is_null());
    for path in [
        "/oauth/token",
        "/authorize",
        "/.well-known/jwks.json",
        "/accounts",
        "/v3/connections",
    ] {
        let r = get(emu, &format!("{}{path}", emu.root_url()), &[]);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.text().starts_with("Cannot GET"), "{path}: {}", r.text());
    }
}
