//! CARTO 3 in the resolution chain: the CARTO CLI's variables and file, carto-auth's
//! credentials file and token caches, each with its provenance.

use base64::Engine;
use cartoauth::config::{self, Location};
use cartoauth::env::{self, MapEnvironment};
use cartoauth::{
    resolve_explained_with, resolve_with, CredentialKind, Credentials, ErrorKind, Source,
};
use std::fs;
use std::path::PathBuf;

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, rest: &str) -> PathBuf {
        self.dir.path().join(rest)
    }

    fn env(&self) -> MapEnvironment {
        MapEnvironment::new()
            .with("HOME", self.dir.path().to_str().unwrap())
            .with(env::CONFIG_DIR, self.path("cfg").to_str().unwrap())
    }

    fn write(&self, rest: &str, json: serde_json::Value) -> PathBuf {
        let path = self.path(rest);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, json.to_string()).unwrap();
        path
    }
}

fn jwt(exp: i64) -> String {
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.{}",
        enc(br#"{"alg":"RS256"}"#),
        enc(serde_json::json!({"exp": exp, "sub": "auth0|u"})
            .to_string()
            .as_bytes()),
        enc(b"sig")
    )
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const API: &str = "https://gcp-us-east1.api.carto.com";

#[test]
fn carto_api_token_with_an_api_base_url_is_a_static_token() {
    let home = Home::new();
    let env = home
        .env()
        .with(env::API_TOKEN, "tok-from-env")
        .with(env::API_BASE_URL, API);
    let c = resolve_with(None, None, &env).unwrap();
    assert_eq!(c.kind(), CredentialKind::AccessToken);
    assert_eq!(c.access_token().unwrap().expose(), "tok-from-env");
    assert_eq!(c.origin().source(), Source::Environment);
    assert_eq!(c.origin().variables(), [env::API_BASE_URL, env::API_TOKEN]);
    // CARTO_BASE_URL serves as well.
    let env = home
        .env()
        .with(env::API_TOKEN, "t")
        .with(env::BASE_URL, API);
    assert_eq!(resolve_with(None, None, &env).unwrap().base_url(), API);
}

#[test]
fn m2m_variables_make_an_m2m_client_and_carto_auth_url_moves_its_server() {
    let home = Home::new();
    let env = home
        .env()
        .with(env::M2M_CLIENT_ID, "cid")
        .with(env::M2M_CLIENT_SECRET, "csecret")
        .with(env::API_BASE_URL, API)
        .with(env::AUTH_URL, "https://auth.acme.com/");
    let c = resolve_with(None, None, &env).unwrap();
    assert_eq!(c.kind(), CredentialKind::M2m);
    assert_eq!(c.client_id(), Some("cid"));
    assert_eq!(c.auth_server().unwrap().url, "https://auth.acme.com");
    assert!(c.origin().variables().contains(&env::AUTH_URL.to_owned()));
    assert!(!format!("{c:?} {c} {}", c.summary()).contains("csecret"));
}

#[test]
fn half_set_or_mixed_variables_are_errors_naming_them() {
    let home = Home::new();
    for (env, names) in [
        (
            home.env()
                .with(env::M2M_CLIENT_ID, "c")
                .with(env::API_BASE_URL, API),
            vec![env::M2M_CLIENT_SECRET],
        ),
        (
            home.env().with(env::API_TOKEN, "t"),
            vec![env::API_BASE_URL],
        ),
        (
            home.env()
                .with(env::API_TOKEN, "t")
                .with(env::API_BASE_URL, API)
                .with(env::USERNAME, "u"),
            vec![env::USERNAME, env::API_TOKEN],
        ),
        (
            home.env()
                .with(env::API_TOKEN, "t")
                .with(env::API_BASE_URL, "https://alice.carto.com"),
            vec![env::API_BASE_URL],
        ),
    ] {
        let err = resolve_with(None, None, &env).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidEnvironment, "{err}");
        for name in names {
            assert!(err.message().contains(name), "{name}: {err}");
        }
    }
}

#[test]
fn carto_auths_credentials_file_is_read_through_carto_credentials_file() {
    let home = Home::new();
    let path = home.write(
        "work/carto_credentials.json",
        serde_json::json!({"api_base_url": API, "client_id": "cid", "client_secret": "cs"}),
    );
    let env = home
        .env()
        .with(env::CREDENTIALS_FILE, path.to_str().unwrap());
    let c = resolve_with(None, None, &env).unwrap();
    assert_eq!(c.kind(), CredentialKind::M2m);
    assert_eq!(c.origin().source(), Source::File);
    assert_eq!(c.origin().path(), Some(path.as_path()));
}

#[test]
fn the_carto_cli_file_answers_after_cartoauths_files_and_carto_profile_picks_its_profiles() {
    let home = Home::new();
    let cli = home.write(
        ".carto_credentials.json",
        serde_json::json!({"current_profile": "production", "profiles": {
            "production": {"token": "tok-prod", "tenant_id": "gcp-us-east1"},
            "eu": {"token": "tok-eu", "tenant_id": "gcp-europe-west1"}}}),
    );
    let c = resolve_with(None, None, &home.env()).unwrap();
    assert_eq!(c.access_token().unwrap().expose(), "tok-prod");
    assert_eq!(c.origin().source(), Source::Profile);
    assert_eq!(c.origin().profile(), Some("production"));
    assert_eq!(c.origin().path(), Some(cli.as_path()));
    let c = resolve_with(None, None, &home.env().with(env::PROFILE, "eu")).unwrap();
    assert_eq!(c.base_url(), "https://gcp-europe-west1.api.carto.com");
    // A cartoauth profile of the same name wins.
    let own = Credentials::new(Some("alice"), Some("k"), None, false).unwrap();
    config::save_with(&own, &Location::Profile("eu".into()), None, &home.env()).unwrap();
    let c = resolve_with(None, None, &home.env().with(env::PROFILE, "eu")).unwrap();
    assert_eq!(c.username(), Some("alice"));
    let err = resolve_with(None, None, &home.env().with(env::PROFILE, "nowhere")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileNotFound);
    assert!(err.message().contains(".carto_credentials.json"), "{err}");
    // cartoauth's own default file comes first.
    config::save_with(&own, &Location::Default, None, &home.env()).unwrap();
    assert_eq!(
        resolve_with(None, None, &home.env()).unwrap().username(),
        Some("alice")
    );
}

#[test]
fn carto_auths_token_caches_are_tokens_whose_expiry_comes_from_the_jwt() {
    let home = Home::new();
    // carto-auth's expiration says the token is alive for a day; its JWT says it expired.
    home.write(
        ".carto-auth/token_oauth.json",
        serde_json::json!({"api_base_url": API, "access_token": jwt(now() - 60), "expiration": now() + 86400}),
    );
    let (result, explanation) = resolve_explained_with(None, None, &home.env());
    let tried = explanation.tried;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotResolved);
    assert!(
        tried
            .iter()
            .any(|t| t.contains("token_oauth.json (its token expired")),
        "{tried:?}"
    );
    let live = jwt(now() + 3600);
    home.write(
        ".carto-auth/token_m2m.json",
        serde_json::json!({"api_base_url": API, "access_token": live, "expiration": now() - 86400}),
    );
    let c = resolve_with(None, None, &home.env()).unwrap();
    assert_eq!(c.kind(), CredentialKind::AccessToken);
    assert_eq!(c.access_token().unwrap().expose(), live);
    assert!(c
        .origin()
        .path()
        .unwrap()
        .ends_with(".carto-auth/token_m2m.json"));
}

#[test]
fn carto3_credentials_save_in_carto_auths_layout_and_load_back() {
    let home = Home::new();
    let c = Credentials::builder()
        .base_url(API)
        .m2m_client("cid", "csecret")
        .build()
        .unwrap();
    let path = config::save_with(&c, &Location::Profile("m2m".into()), None, &home.env()).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"api_base_url": API, "client_id": "cid", "client_secret": "csecret"})
    );
    let back = config::load_with(&Location::Profile("m2m".into()), &home.env(), false).unwrap();
    assert_eq!(back, c);
    let err = config::update_with(
        &Location::Profile("m2m".into()),
        &config::FileUpdate {
            api_key: Some("k".into()),
            ..Default::default()
        },
        &home.env(),
    )
    .unwrap_err();
    assert!(err.message().contains("CARTO 3"), "{err}");
}
