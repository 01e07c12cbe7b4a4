//! The CARTO 3 client against carto-emulator's issuer (`--carto3`): RS256 tokens minted for
//! its M2M application and verified by its Bearer checks, the PKCE sign-in of carto-auth's
//! public client (paste and loopback), SSO organizations, the mint quota, and the counters of
//! mints and of requests that came with an expired token.

use carto_emulator::harness::{Carto3Options, Emulator, Options};
use cartoauth::signin::{Redirect, SignIn};
use cartoauth::token::TokenCache;
use cartoauth::{Client, ClientOptions, Credentials, ErrorKind, Platform, Request};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

fn emulator() -> &'static Emulator {
    static EMU: OnceLock<Emulator> = OnceLock::new();
    EMU.get_or_init(|| {
        Emulator::start_with(Options {
            carto3: Some(Carto3Options::default()),
            ..Options::default()
        })
    })
}

fn auth_url(emu: &Emulator) -> String {
    emu.carto3().issuer.trim_end_matches('/').to_owned()
}

fn m2m(emu: &Emulator) -> Credentials {
    let c3 = emu.carto3();
    Credentials::builder()
        .base_url(&c3.api_base_url)
        .platform(Platform::Carto3)
        .allow_non_secure(true)
        .auth_url(auth_url(emu))
        .m2m_client(&c3.m2m().client_id, &c3.m2m().client_secret)
        .build()
        .unwrap()
}

fn client(credentials: Credentials, cache: &Path) -> Client {
    Client::new(
        credentials,
        ClientOptions {
            token_cache: TokenCache::Directory(cache.to_path_buf()),
            ..Default::default()
        },
    )
    .unwrap()
}

/// A Bearer-checked route of the emulator: discovery's `/accounts`.
fn accounts(c: &Client) -> cartoauth::Result<serde_json::Value> {
    c.send(Request::get("accounts"))?.error_for_status()?.json()
}

#[test]
fn an_m2m_token_minted_by_the_emulator_passes_its_bearer_checks() {
    let emu = emulator();
    let cache = tempfile::tempdir().unwrap();
    let id = emu.carto3().m2m().client_id.clone();
    let before = emu.carto3_counters().minted_by(&id);
    let c = client(m2m(emu), cache.path());
    let answer = accounts(&c).unwrap();
    assert!(answer["api_base_url"].is_string(), "{answer}");
    for _ in 0..5 {
        accounts(&c).unwrap();
    }
    let token = c.access_token().unwrap();
    assert!(token.expires_at.unwrap() > 0);
    // Other tests mint for the same client on this emulator: the emulator's count only
    // bounds ours, the client's own count is exact.
    assert_eq!(c.token_status().unwrap().minted_here, 1);
    let counters = emu.carto3_counters();
    assert!(counters.minted_by(&id) > before);
    assert_eq!(counters.expired_for(&id), 0);
}

#[test]
fn a_user_signs_in_with_carto_auths_public_client_in_both_flows() {
    let emu = emulator();
    let c3 = emu.carto3();
    let cache = tempfile::tempdir().unwrap();
    let credentials = Credentials::builder()
        .base_url(&c3.api_base_url)
        .platform(Platform::Carto3)
        .allow_non_secure(true)
        .auth_url(auth_url(emu))
        .oauth_user(Some(c3.spa_client_id()))
        .build()
        .unwrap();
    let c = client(credentials.clone(), cache.path());
    let agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .new_agent();
    let location = |url: &str| -> String {
        let answer = agent.get(url).call().unwrap();
        assert_eq!(answer.status().as_u16(), 302, "{url}");
        answer.headers()["location"].to_str().unwrap().to_owned()
    };

    // Paste flow, with CARTO's own paste page as the redirect.
    let signin = SignIn::begin(
        &c,
        Redirect::Paste(cartoauth::signin::CARTO_PASTE_REDIRECT.into()),
    )
    .unwrap();
    let pasted = location(signin.authorize_url());
    assert!(
        pasted.starts_with(cartoauth::signin::CARTO_PASTE_REDIRECT),
        "{pasted}"
    );
    let forged = pasted.replace(signin.state(), "not-this-sign-in");
    assert_eq!(
        signin.finish_pasted(&forged).unwrap_err().kind(),
        ErrorKind::SignInFailed
    );
    signin.finish_pasted(&pasted).unwrap();
    let me = accounts(&c).unwrap();
    assert_eq!(me["email"], c3.account().email.as_str());

    // Browser flow: the scripted browser follows the redirect to the loopback listener.
    let other_cache = tempfile::tempdir().unwrap();
    let c = client(credentials, other_cache.path());
    let signin = SignIn::begin(
        &c,
        Redirect::Loopback {
            host: "127.0.0.1".into(),
            port: 0,
            path: "/callback".into(),
        },
    )
    .unwrap();
    let url = signin.authorize_url().to_owned();
    let browser = std::thread::spawn(move || {
        let answer = ureq::get(&url).call().unwrap();
        answer.into_body().read_to_string().unwrap()
    });
    signin
        .wait_loopback(Duration::from_secs(30), &mut || true)
        .unwrap();
    assert!(browser.join().unwrap().contains("signed in"));
    assert_eq!(accounts(&c).unwrap()["email"], c3.account().email.as_str());
}

#[test]
fn an_organization_the_user_is_not_in_is_refused_as_a_failed_sign_in() {
    let emu = emulator();
    let c3 = emu.carto3();
    let cache = tempfile::tempdir().unwrap();
    let make = |org: &str| {
        Credentials::builder()
            .base_url(&c3.api_base_url)
            .platform(Platform::Carto3)
            .allow_non_secure(true)
            .auth_url(auth_url(emu))
            .oauth_user(Some(c3.spa_client_id()))
            .organization(org)
            .build()
            .unwrap()
    };
    let agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .new_agent();
    let org = c3.account().organizations[0].clone();
    for (organization, works) in [(org.as_str(), true), ("org_nobody", false)] {
        let c = client(make(organization), cache.path());
        let signin = SignIn::begin(
            &c,
            Redirect::Paste(cartoauth::signin::CARTO_PASTE_REDIRECT.into()),
        )
        .unwrap();
        let answer = agent.get(signin.authorize_url()).call().unwrap();
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let outcome = signin.finish_pasted(&location);
        assert_eq!(outcome.is_ok(), works, "{organization}: {outcome:?}");
        if !works {
            let err = outcome.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::SignInFailed);
            assert!(err.message().contains("access_denied"), "{err}");
        }
    }
}

#[test]
fn a_spent_mint_quota_is_retried_within_bounds_then_reported() {
    let emu = Emulator::start_with(Options {
        carto3: Some(Carto3Options {
            mint_quota: Some(1),
            ..Default::default()
        }),
        ..Options::default()
    });
    let cache = tempfile::tempdir().unwrap();
    let id = emu.carto3().m2m().client_id.clone();
    accounts(&client(m2m(&emu), cache.path())).unwrap();
    // Another cache: this client must mint, and the quota is spent.
    let other = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let err = accounts(&client(m2m(&emu), other.path())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpRateLimited, "{err}");
    assert!(err.message().contains("quota"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
    let counters = emu.carto3_counters();
    assert_eq!(counters.minted_by(&id), 1);
    assert!(counters.quota_refusals.get(&id).copied().unwrap_or(0) >= 1);
    // The first cache still serves: the quota never blocks a cached token.
    accounts(&client(m2m(&emu), cache.path())).unwrap();
}

use cartoauth::client::{MapSource, TokenGrants, WaitOptions};
use cartoauth::result::ColumnKind;

fn m2m_client(emu: &Emulator) -> (Client, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    (client(m2m(emu), cache.path()), cache)
}

#[test]
fn sql_v3_queries_are_typed_by_get_and_post_with_parameters() {
    let emu = emulator();
    let (c, _cache) = m2m_client(emu);
    let conn = emu.carto3().connection().to_owned();
    let result = c
        .sql_v3(
            &conn,
            "select cartodb_id, name, score, visits, active, observed_at from points_public order by cartodb_id",
            None,
        )
        .unwrap();
    assert_eq!(result.row_count(), 3);
    let kinds: Vec<ColumnKind> = result.columns().iter().map(|c| c.kind()).collect();
    assert_eq!(
        kinds,
        // cartodb_id is a bigint; int4 and float8 are both CARTO's "number".
        [
            ColumnKind::Int,
            ColumnKind::Text,
            ColumnKind::Float,
            ColumnKind::Float,
            ColumnKind::Bool,
            ColumnKind::Timestamp
        ]
    );
    assert!(result.meta().unwrap().contains("cacheHit"));
    // Parameters ($1) and a query too long for a GET (POST with a JSON body).
    let padding = format!("/* {} */", "x".repeat(8000));
    let long = format!("select $1::int + 1 as n {padding}");
    let result = c.sql_v3(&conn, &long, Some("[41]")).unwrap();
    assert_eq!(result.column(0).unwrap().double(0).unwrap(), 42.0);
    let methods: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/query"))
        .map(|r| r.method.clone())
        .collect();
    assert!(
        methods.contains(&"GET".to_owned()) && methods.contains(&"POST".to_owned()),
        "{methods:?}"
    );
    // CARTO's error message comes through, typed.
    let err = c
        .sql_v3(&conn, "select * from no_such_table", None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpClientError, "{err}");
    assert!(err.message().contains("no_such_table"), "{err}");
}

#[test]
fn sql_v3_jobs_run_to_done_fail_with_a_reason_and_can_be_cancelled() {
    let emu = emulator();
    let (c, _cache) = m2m_client(emu);
    let conn = emu.carto3().connection().to_owned();
    let job = c
        .sql_job_create(&conn, "select pg_sleep(0.3)", None)
        .unwrap();
    let mut polls = 0;
    let done = c
        .sql_job_wait(
            &conn,
            &job.id,
            &WaitOptions::default(),
            Some(&mut |_| {
                polls += 1;
                true
            }),
        )
        .unwrap();
    assert_eq!(done.status, cartoauth::client::JobStatus::Done);
    assert!(polls >= 1);
    let failing = c.sql_job_create(&conn, "select 1/0", None).unwrap();
    let err = c
        .sql_job_wait(&conn, &failing.id, &WaitOptions::default(), None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BatchJobFailed, "{err}");
    assert!(err.message().contains("division by zero"), "{err}");
    let long = c
        .sql_job_create(&conn, "select pg_sleep(30)", None)
        .unwrap();
    let cancelled = c.sql_job_cancel(&conn, &long.id).unwrap();
    assert_eq!(cancelled.status, cartoauth::client::JobStatus::Cancelled);
    // Stopping a wait leaves the job alone.
    let slow = c.sql_job_create(&conn, "select pg_sleep(2)", None).unwrap();
    let err = c
        .sql_job_wait(
            &conn,
            &slow.id,
            &WaitOptions::default(),
            Some(&mut |_| false),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    c.sql_job_cancel(&conn, &slow.id).unwrap();
}

#[test]
fn a_minted_least_privilege_token_reads_its_grant_and_nothing_else() {
    let emu = emulator();
    let (c, _cache) = m2m_client(emu);
    let conn = emu.carto3().connection().to_owned();
    let granted = "select cartodb_id, name from points_public";
    let token = c
        .create_token(&TokenGrants {
            grants: vec![(conn.clone(), granted.to_owned())],
            referers: Vec::new(),
            allowed_apis: vec!["sql".to_owned()],
        })
        .unwrap();
    let static_token = Credentials::builder()
        .base_url(&emu.carto3().api_base_url)
        .platform(Platform::Carto3)
        .allow_non_secure(true)
        .access_token(token.expose())
        .build()
        .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let limited = client(static_token, cache.path());
    assert_eq!(limited.sql_v3(&conn, granted, None).unwrap().row_count(), 3);
    let err = limited
        .sql_v3(&conn, "select * from points_private", None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpForbidden, "{err}");
    assert!(!err.message().contains(token.expose()));
    // A static token cannot mint others: the server refuses, and no token is ever re-minted.
    let err = limited
        .create_token(
            &TokenGrants::from_json(&format!(
                r#"{{"grants": [{{"connection_name": "{conn}", "source": "{granted}"}}]}}"#
            ))
            .unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::HttpForbidden | ErrorKind::HttpUnauthorized
        ),
        "{err}"
    );
}

#[test]
fn connections_the_dw_token_maps_and_lds_answer_with_the_bearer_token() {
    let emu = emulator();
    let (c, _cache) = m2m_client(emu);
    let conn = emu.carto3().connection().to_owned();
    let connections = c.connections().unwrap();
    assert!(
        connections.iter().any(|x| x.name == conn),
        "{connections:?}"
    );
    let dw = c.dw_token().unwrap();
    assert!(!dw.project_id.is_empty() && !dw.token.is_empty());
    assert!(!format!("{dw:?}").contains(dw.token.expose()));
    let map = c
        .map_instantiate(
            &conn,
            MapSource::Query,
            "select * from points_public",
            Some(r#"{"spatialDataColumn": "the_geom"}"#),
        )
        .unwrap();
    assert!(
        !map.tilejson_urls.is_empty() && !map.geojson_urls.is_empty(),
        "{}",
        map.raw
    );
    let geojson = c.map_data(&map.geojson_urls[0]).unwrap().json().unwrap();
    assert_eq!(geojson["type"], "FeatureCollection");
    assert_eq!(geojson["features"].as_array().unwrap().len(), 3);
    let tilejson = c.map_data(&map.tilejson_urls[0]).unwrap().json().unwrap();
    assert!(tilejson["tiles"][0].as_str().unwrap().contains("{z}"));
    // LDS takes access_token= too; whatever the answer, messages never show the token.
    let token = c.access_token().unwrap().token;
    let err = c
        .send(
            Request::get("v3/lds/geocoding/geocode")
                .query("address", "Atlantis")
                .query("access_token", token.expose()),
        )
        .unwrap()
        .error_for_status()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpNotFound, "{err}");
    assert!(!err.message().contains(token.expose()), "{err}");
    for entry in emu.requests() {
        assert!(!entry.query.contains(token.expose()), "{entry:?}");
    }
}
