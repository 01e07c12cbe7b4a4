//! The CARTO 3 token engine against a stand-in OAuth server and SQL API v3
//! (tests/support/carto3.rs): one mint shared by threads, clients and processes; refresh in
//! the advisory window; never an expired token on the wire; bounded retries at the token
//! endpoint; one re-mint after a 401; sign-in with PKCE in the browser and paste flows.

#[path = "support/carto3.rs"]
mod fake;

use cartoauth::signin::{Redirect, SignIn};
use cartoauth::token::TokenCache;
use cartoauth::{Client, ClientOptions, Credentials, ErrorKind};
use fake::FakeCarto3;
use std::path::Path;
use std::time::{Duration, Instant};

fn m2m(server: &FakeCarto3) -> Credentials {
    Credentials::builder()
        .base_url(server.api_base_url())
        .auth_url(server.origin())
        .allow_non_secure(true)
        .m2m_client(fake::CLIENT_ID, fake::CLIENT_SECRET)
        .build()
        .unwrap()
}

fn client(credentials: Credentials, cache: &Path) -> Client {
    let options = ClientOptions {
        token_cache: TokenCache::Directory(cache.to_path_buf()),
        ..Default::default()
    };
    Client::new(credentials, options).unwrap()
}

fn query(client: &Client) -> cartoauth::Result<String> {
    let result = client.sql_v3("carto_dw", "select 1 as n", None)?;
    assert_eq!(result.column(0).unwrap().double(0)?, 1.0);
    result.column(1).unwrap().text(0)
}

#[test]
fn threads_and_clients_of_a_process_share_one_mint() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            // A client per thread: clients of one key share the process's cache entry.
            let c = client(m2m(&server), cache.path());
            std::thread::spawn(move || {
                for _ in 0..10 {
                    assert_eq!(query(&c).unwrap(), format!("{}@clients", fake::CLIENT_ID));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(server.mints(fake::CLIENT_ID), 1);
    assert_eq!(server.api_requests(), 80);
    assert_eq!(server.expired_requests(), 0);
}

#[test]
fn tokens_are_refreshed_in_the_advisory_window_and_never_sent_expired() {
    // 12 s tokens: advisory window 3 s, mandatory 2 s before expiry.
    let server = FakeCarto3::start(12);
    let cache = tempfile::tempdir().unwrap();
    let c = client(m2m(&server), cache.path());
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(14) {
        query(&c).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.expired_requests(), 0);
    // One mint at the start, one when the first token's advisory window opened at ~9 s.
    assert_eq!(server.mints(fake::CLIENT_ID), 2);
}

#[test]
fn a_cached_token_is_reused_by_a_new_client_and_the_cache_file_is_private() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    query(&client(m2m(&server), cache.path())).unwrap();
    let files: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        !text.contains(fake::CLIENT_SECRET),
        "the secret is never cached"
    );
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(doc["expiration"].is_i64() && doc["access_token"].is_string());
    // A client built later (another process would do the same) reads the file: no new mint.
    let c = client(m2m(&server), cache.path());
    let status = c.token_status().unwrap();
    assert!(status.expires_at.is_some());
    query(&c).unwrap();
    assert_eq!(server.mints(fake::CLIENT_ID), 1);
}

/// The worker of `processes_share_one_mint_through_the_cache`: run in a child process.
#[test]
#[ignore = "run by processes_share_one_mint_through_the_cache in child processes"]
fn worker_process() {
    let (Ok(api), Ok(auth), Ok(cache)) = (
        std::env::var("FAKE_API"),
        std::env::var("FAKE_AUTH"),
        std::env::var("FAKE_CACHE"),
    ) else {
        return;
    };
    let credentials = Credentials::builder()
        .base_url(api)
        .auth_url(auth)
        .allow_non_secure(true)
        .m2m_client(fake::CLIENT_ID, fake::CLIENT_SECRET)
        .build()
        .unwrap();
    let c = client(credentials, Path::new(&cache));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    query(&c).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn processes_share_one_mint_through_the_cache() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", "worker_process", "--ignored", "--test-threads=1"])
                .env("FAKE_API", server.api_base_url())
                .env("FAKE_AUTH", server.origin())
                .env("FAKE_CACHE", cache.path())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(server.api_requests(), 120);
    assert_eq!(server.mints(fake::CLIENT_ID), 1, "3 processes, 1 mint");
}

#[test]
fn a_revoked_token_is_reminted_once() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    let c = client(m2m(&server), cache.path());
    query(&c).unwrap();
    server.revoke_all_issued();
    query(&c).unwrap();
    assert_eq!(server.mints(fake::CLIENT_ID), 2);
    assert_eq!(
        server.api_requests(),
        3,
        "the refused request went once more"
    );
}

#[test]
fn a_client_the_server_refuses_gets_the_401_after_one_remint_and_mints_no_more() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    let c = client(m2m(&server), cache.path());
    query(&c).unwrap();
    server.refuse_all(true);
    let err = query(&c).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpUnauthorized, "{err}");
    assert!(err.message().contains("revoked"), "{err}");
    assert_eq!(server.mints(fake::CLIENT_ID), 2, "one re-mint");
    // Right after, another 401 does not mint again: the client cannot burn the quota.
    for _ in 0..5 {
        let err = query(&c).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::HttpUnauthorized);
    }
    assert_eq!(server.mints(fake::CLIENT_ID), 2);
}

#[test]
fn the_token_endpoint_is_retried_on_429_and_5xx_a_bounded_number_of_times() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    server.fail_token_requests(2, 429, None);
    server.fail_token_requests(1, 503, Some(0));
    query(&client(m2m(&server), cache.path())).unwrap();
    assert_eq!(server.token_requests(), 4);
    assert_eq!(server.mints(fake::CLIENT_ID), 1);

    let other = tempfile::tempdir().unwrap();
    server.fail_token_requests(100, 429, None);
    let before = server.token_requests();
    let err = query(&client(m2m(&server), other.path())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpRateLimited, "{err}");
    assert!(err.message().contains("quota"), "{err}");
    assert_eq!(server.token_requests() - before, 4, "four attempts in all");
    assert_eq!(
        server.api_requests(),
        1,
        "no request went out without a token"
    );
}

#[test]
fn a_long_retry_after_is_not_waited_for() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    server.fail_token_requests(1, 429, Some(3600));
    let started = Instant::now();
    let err = query(&client(m2m(&server), cache.path())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpRateLimited);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn wrong_client_secrets_fail_with_the_servers_reason_and_no_secret() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    let credentials = Credentials::builder()
        .base_url(server.api_base_url())
        .auth_url(server.origin())
        .allow_non_secure(true)
        .m2m_client(fake::CLIENT_ID, "the-wrong-s3cret")
        .build()
        .unwrap();
    let err = query(&client(credentials, cache.path())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpUnauthorized);
    assert!(err.message().contains("access_denied"), "{err}");
    assert!(!err.message().contains("the-wrong-s3cret"));
    assert!(!format!("{err:?}").contains("the-wrong-s3cret"));
    assert_eq!(server.token_requests(), 1, "a 401 is not retried");
}

#[test]
fn an_expired_static_token_is_never_sent() {
    let server = FakeCarto3::start(3600);
    let token = server.issue("auth0|u", "x", -10);
    let credentials = Credentials::builder()
        .base_url(server.api_base_url())
        .allow_non_secure(true)
        .access_token(token)
        .build()
        .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let err = query(&client(credentials, cache.path())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokenExpired, "{err}");
    assert_eq!(server.api_requests(), 0);
    // A live static token works as given.
    let live = server.issue("auth0|u", "x", 600);
    let credentials = Credentials::builder()
        .base_url(server.api_base_url())
        .allow_non_secure(true)
        .access_token(live)
        .build()
        .unwrap();
    assert_eq!(
        query(&client(credentials, cache.path())).unwrap(),
        "auth0|u"
    );
}

fn user(server: &FakeCarto3) -> Credentials {
    Credentials::builder()
        .base_url(server.api_base_url())
        .auth_url(server.origin())
        .allow_non_secure(true)
        .oauth_user(Some(fake::USER_CLIENT_ID))
        .build()
        .unwrap()
}

/// A scripted browser: asks for the authorize URL and returns the redirect's Location.
fn browser(authorize_url: &str) -> String {
    let agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .new_agent();
    let response = agent.get(authorize_url).call().unwrap();
    assert_eq!(response.status().as_u16(), 302);
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[test]
fn a_user_without_a_sign_in_gets_sign_in_required_without_a_request() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    let err = query(&client(user(&server), cache.path())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInRequired, "{err}");
    assert!(err.message().contains("sign in"), "{err}");
    assert_eq!(server.api_requests(), 0);
}

#[test]
fn the_browser_flow_completes_through_the_loopback_listener() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    let c = client(user(&server), cache.path());
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
        let location = browser(&url);
        // The browser follows the redirect to the listener.
        let page = ureq::get(&location).call().unwrap();
        page.into_body().read_to_string().unwrap()
    });
    let token = signin
        .wait_loopback(Duration::from_secs(30), &mut || true)
        .unwrap();
    let page = browser.join().unwrap();
    assert!(page.contains("signed in"), "{page}");
    assert!(token.expires_at.unwrap() > fake::now());
    assert_eq!(query(&c).unwrap(), "auth0|fake-user");
    // Another client (another process would do the same) finds the sign-in in the cache.
    let other = client(user(&server), cache.path());
    assert_eq!(query(&other).unwrap(), "auth0|fake-user");
    assert_eq!(server.code_exchanges(), 1);
}

#[test]
fn the_paste_flow_completes_with_the_pasted_url_and_refuses_a_foreign_state() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    let c = client(user(&server), cache.path());
    let paste_page = format!("{}/paste", server.origin());
    let signin = SignIn::begin(&c, Redirect::Paste(paste_page.clone())).unwrap();
    let location = browser(signin.authorize_url());
    assert!(location.starts_with(&paste_page), "{location}");
    // Another sign-in's answer (a forged or stale redirect) is refused before any exchange.
    let forged = location.replace(signin.state(), "someone-elses-state");
    let err = signin.finish_pasted(&forged).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInFailed);
    assert_eq!(server.code_exchanges(), 0);
    signin.finish_pasted(&format!("  {location}\n")).unwrap();
    assert_eq!(query(&c).unwrap(), "auth0|fake-user");
    // A sign-in finishes once.
    let err = signin.finish_pasted(&location).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInFailed);
}

#[test]
fn a_pasted_bare_code_works_and_a_reused_code_is_the_servers_refusal() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    let c = client(user(&server), cache.path());
    let signin = SignIn::begin(&c, Redirect::Paste(format!("{}/p", server.origin()))).unwrap();
    let location = browser(signin.authorize_url());
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    signin.finish_pasted(&code).unwrap();
    let again = SignIn::begin(&c, Redirect::Paste(format!("{}/p", server.origin()))).unwrap();
    let err = again.finish_pasted(&code).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInFailed, "{err}");
    assert!(err.message().contains("invalid_grant"), "{err}");
}

#[test]
fn a_user_token_is_not_sent_in_its_last_moments_and_signing_in_again_is_asked() {
    let server = FakeCarto3::start(3600);
    let cache = tempfile::tempdir().unwrap();
    // A 30 s user token: its mandatory window is 5 s (a sixth), so after 26 s it is refused.
    server.set_lifetime(30);
    let c = client(user(&server), cache.path());
    let signin = SignIn::begin(&c, Redirect::Paste(format!("{}/p", server.origin()))).unwrap();
    signin
        .finish_pasted(&browser(signin.authorize_url()))
        .unwrap();
    query(&c).unwrap();
    let status = c.token_status().unwrap();
    let exp = status.expires_at.unwrap();
    while fake::now() < exp - 4 {
        std::thread::sleep(Duration::from_millis(200));
    }
    let err = query(&c).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInRequired, "{err}");
    assert_eq!(server.expired_requests(), 0);
}

#[path = "support/mod.rs"]
mod scripted;

#[test]
fn a_bearer_token_never_follows_a_redirect_to_another_origin_nor_goes_to_v2_paths() {
    let other = scripted::Scripted::start(|_, stream| {
        scripted::answer(stream, "200 OK", "", br#"{"rows":[],"schema":[]}"#)
    });
    let location = format!("{}/elsewhere", other.origin());
    let base = scripted::Scripted::start(move |_, stream| {
        scripted::answer(
            stream,
            "307 Temporary Redirect",
            &format!("Location: {location}\r\n"),
            b"",
        )
    });
    let jwt = FakeCarto3::start(60).issue("auth0|u", "x", 600);
    let credentials = Credentials::builder()
        .base_url(format!("{}/api", base.origin()))
        .allow_non_secure(true)
        .access_token(&jwt)
        .build()
        .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let c = client(credentials, cache.path());
    c.sql_v3("carto_dw", "select 1", None).unwrap();
    let first = &base.seen()[0];
    assert_eq!(
        first.header("authorization"),
        Some(format!("Bearer {jwt}").as_str())
    );
    let hop = &other.seen()[0];
    assert_eq!(hop.header("authorization"), None, "the token stayed home");
    // An absolute URL on another origin is refused before anything is sent.
    let err = c
        .send(cartoauth::Request::get(&format!("{}/v3/x", other.origin())))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    // CARTO 2 API paths are refused with CARTO 3 credentials, and the other way round.
    let err = c.sql("select 1", None).unwrap_err();
    assert!(err.message().contains("CARTO 2 API request"), "{err}");
    assert_eq!(base.seen().len(), 1);
    let v2 = Client::new(
        Credentials::new(
            Some("alice"),
            Some("k"),
            Some(&format!("{}/user/alice", base.origin())),
            true,
        )
        .unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    let err = v2.sql_v3("carto_dw", "select 1", None).unwrap_err();
    assert!(err.message().contains("CARTO 3 API request"), "{err}");
    assert_eq!(base.seen().len(), 1);
}

#[test]
fn a_token_carto_auth_cached_for_the_same_client_is_adopted_instead_of_minting() {
    let server = FakeCarto3::start(3600);
    let home = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let theirs = server.issue(
        &format!("{}@clients", fake::CLIENT_ID),
        fake::CLIENT_ID,
        3600,
    );
    let dir = home.path().join(".carto-auth");
    std::fs::create_dir_all(&dir).unwrap();
    // carto-auth's own layout; its expiration is skewed and is not what decides.
    let doc = serde_json::json!({"api_base_url": server.api_base_url(), "access_token": theirs,
        "expiration": fake::now() - 7200});
    std::fs::write(dir.join("token_m2m.json"), doc.to_string()).unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "worker_process", "--ignored", "--test-threads=1"])
        .env("HOME", home.path())
        .env("FAKE_API", server.api_base_url())
        .env("FAKE_AUTH", server.origin())
        .env("FAKE_CACHE", cache.path())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(server.api_requests(), 40);
    assert_eq!(
        server.mints(fake::CLIENT_ID),
        0,
        "carto-auth's token was used"
    );

    // A token carto-auth cached for another client is not.
    let other = server.issue("someone-else@clients", "someone-else", 3600);
    let doc = serde_json::json!({"api_base_url": server.api_base_url(), "access_token": other,
        "expiration": fake::now() + 3600});
    std::fs::write(dir.join("token_m2m.json"), doc.to_string()).unwrap();
    let fresh_cache = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "worker_process", "--ignored", "--test-threads=1"])
        .env("HOME", home.path())
        .env("FAKE_API", server.api_base_url())
        .env("FAKE_AUTH", server.origin())
        .env("FAKE_CACHE", fresh_cache.path())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(server.mints(fake::CLIENT_ID), 1);
}
