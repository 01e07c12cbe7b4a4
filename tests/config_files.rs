//! Credentials files: every layout read, saved, updated, deleted and round-tripped; profiles;
//! permissions; corrupt files. Each test gets its own config directory through
//! `CARTO_CONFIG_DIR` in a private environment, so tests run in parallel safely.

use cartoauth::config::{self, FileFormat, FileUpdate, Location};
use cartoauth::env::{MapEnvironment, CONFIG_DIR};
use cartoauth::{Credentials, ErrorKind, Source};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};

const KEY: &str = "c0ffee00deadbeef1234567890abcdef";

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    env: MapEnvironment,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("config");
    let env = MapEnvironment::new().with(CONFIG_DIR, root.to_str().unwrap());
    Fixture {
        _dir: dir,
        root,
        env,
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn johnsmith() -> Credentials {
    Credentials::new(Some("johnsmith"), Some(KEY), None, false).unwrap()
}

#[test]
fn default_save_writes_the_seed_layout_and_round_trips() {
    let f = fixture();
    let path = config::save_with(&johnsmith(), &Location::Default, None, &f.env).unwrap();
    assert_eq!(path, f.root.join("cartocreds.json"));
    assert_eq!(
        read_json(&path),
        json!({"APIKEY": KEY, "USERNAME": "johnsmith", "USERURL": "https://{username}.carto.com/"})
    );
    let loaded = config::load_with(&Location::Default, &f.env, false).unwrap();
    assert_eq!(loaded, johnsmith());
    assert_eq!(loaded.origin().source(), Source::File);
    assert_eq!(loaded.origin().path(), Some(path.as_path()));
}

#[test]
fn the_seed_example_file_loads() {
    let f = fixture();
    fs::create_dir_all(&f.root).unwrap();
    fs::write(
        f.root.join("cartocreds.json"),
        r#"{"APIKEY": "abc123", "USERNAME": "johnsmith", "USERURL": "https://{username}.carto.com/"}"#,
    )
    .unwrap();
    let c = config::load_with(&Location::Default, &f.env, false).unwrap();
    assert_eq!(c.username(), Some("johnsmith"));
    assert_eq!(c.api_key().expose(), "abc123");
    assert_eq!(c.base_url(), "https://johnsmith.carto.com");
}

#[test]
fn cartoframes_format_is_exactly_what_cartoframes_writes_and_reads() {
    let f = fixture();
    let path = config::save_with(
        &johnsmith(),
        &Location::Default,
        Some(FileFormat::CartoFrames),
        &f.env,
    )
    .unwrap();
    assert_eq!(path, f.root.join("creds.json"));
    let doc = read_json(&path);
    assert_eq!(
        doc,
        json!({"username": "johnsmith", "api_key": KEY, "base_url": "https://johnsmith.carto.com", "allow_non_secure": false})
    );
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["username", "api_key", "base_url", "allow_non_secure"]
    );
    assert_eq!(
        config::load_with(&Location::Default, &f.env, false).unwrap(),
        johnsmith()
    );
}

#[test]
fn a_creds_json_saved_by_python_cartoframes_is_found_with_only_home_set() {
    // json.dump of CARTOframes 1.2.4's Credentials.save(), byte for byte.
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join(".config").join("cartoframes");
    fs::create_dir_all(&config_dir).unwrap();
    fs::write(
        config_dir.join("creds.json"),
        r#"{"username": "fake_user", "api_key": "fake_api_key", "base_url": "https://fake_user.carto.com", "allow_non_secure": false}"#,
    )
    .unwrap();
    let env = MapEnvironment::new().with("HOME", dir.path().to_str().unwrap());
    let c = cartoauth::resolve_with(None, None, &env).unwrap();
    assert_eq!(c.username(), Some("fake_user"));
    assert_eq!(c.api_key().expose(), "fake_api_key");
    assert_eq!(c.base_url(), "https://fake_user.carto.com");
    assert_eq!(
        c.origin().path(),
        Some(config_dir.join("creds.json").as_path())
    );
}

#[test]
fn older_cartoframes_layouts_load() {
    let f = fixture();
    fs::create_dir_all(&f.root).unwrap();
    let cases = [
        // <= 2019-06 cartocreds.json
        json!({"key": "k1", "base_url": "https://u1.carto.com/", "username": "u1"}),
        // 2019-07..2019-12 cartocreds.json
        json!({"username": "u2", "api_key": "k2", "base_url": "https://u2.carto.com/"}),
        // CARTOframes' docs/guides/creds.sample.json
        json!({"username": "u3", "api_key": "k3"}),
    ];
    for (i, doc) in cases.iter().enumerate() {
        let path = f.root.join(format!("old{i}.json"));
        fs::write(&path, doc.to_string()).unwrap();
        let c = config::load_with(&Location::Path(path), &f.env, false).unwrap();
        let n = i + 1;
        assert_eq!(c.username(), Some(format!("u{n}").as_str()));
        assert_eq!(c.api_key().expose(), format!("k{n}"));
        assert_eq!(c.base_url(), format!("https://u{n}.carto.com"));
    }
}

#[test]
fn update_rotates_the_key_in_each_layout_keeping_everything_else() {
    let f = fixture();
    fs::create_dir_all(&f.root).unwrap();
    let layouts = [
        (
            json!({"note": "x", "APIKEY": "old", "USERNAME": "jo", "USERURL": "https://{username}.carto.com/", "extra": {"a": 1}}),
            "APIKEY",
        ),
        (
            json!({"username": "jo", "api_key": "old", "base_url": "https://jo.carto.com", "allow_non_secure": false, "session": null}),
            "api_key",
        ),
        (
            json!({"key": "old", "base_url": "https://jo.carto.com/", "username": "jo"}),
            "key",
        ),
    ];
    for (i, (doc, key_field)) in layouts.into_iter().enumerate() {
        let path = f.root.join(format!("c{i}.json"));
        fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        let update = FileUpdate {
            api_key: Some("new-key-123".into()),
            ..Default::default()
        };
        config::update_with(&Location::Path(path.clone()), &update, &f.env).unwrap();
        let mut expected = doc.clone();
        expected[key_field] = json!("new-key-123");
        let after = read_json(&path);
        assert_eq!(after, expected);
        let order = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(order(&after), order(&doc));
        let c = config::load_with(&Location::Path(path), &f.env, false).unwrap();
        assert_eq!(c.api_key().expose(), "new-key-123");
    }
}

#[test]
fn an_update_that_would_break_the_file_writes_nothing() {
    let f = fixture();
    let path = config::save_with(&johnsmith(), &Location::Default, None, &f.env).unwrap();
    let before = fs::read(&path).unwrap();
    let update = FileUpdate {
        base_url: Some("http://insecure.example".into()),
        ..Default::default()
    };
    let err = config::update_with(&Location::Default, &update, &f.env).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsecureBaseUrl);
    assert!(err.message().contains("USERURL"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), before);
    // Allowing it in the same update works.
    let update = FileUpdate {
        base_url: Some("http://insecure.example/user/jo".into()),
        allow_non_secure: Some(true),
        ..Default::default()
    };
    config::update_with(&Location::Default, &update, &f.env).unwrap();
    let c = config::load_with(&Location::Default, &f.env, false).unwrap();
    assert_eq!(c.base_url(), "http://insecure.example/user/jo");
    assert_eq!(read_json(&path)["ALLOW_NON_SECURE"], json!(true));
}

#[test]
fn corrupt_files_are_reported_with_position_and_never_overwritten() {
    let f = fixture();
    fs::create_dir_all(&f.root).unwrap();
    let path = f.root.join("cartocreds.json");
    let corrupt = "{\n  \"APIKEY\": \"k\",\n  \"USERNAME\": \"jo\"\n  \"USERURL\": 1\n}\n";
    fs::write(&path, corrupt).unwrap();
    let err = config::load_with(&Location::Default, &f.env, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileSyntax);
    assert!(
        err.message()
            .starts_with(&format!("{}:4:3: not valid JSON", path.display())),
        "{err}"
    );
    let update = FileUpdate {
        api_key: Some("x".into()),
        ..Default::default()
    };
    let err = config::update_with(&Location::Default, &update, &f.env).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileSyntax);
    assert_eq!(fs::read_to_string(&path).unwrap(), corrupt);

    fs::write(&path, r#"{"APIKEY": ["k"], "USERNAME": "jo"}"#).unwrap();
    let err = config::load_with(&Location::Default, &f.env, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileContent);
    assert!(err.message().contains(&path.display().to_string()), "{err}");
    assert!(
        err.message()
            .contains("\"APIKEY\": expected a string, found an array"),
        "{err}"
    );
}

#[test]
fn delete_reports_missing_files_with_their_own_kind() {
    let f = fixture();
    let err = config::delete_with(&Location::Default, &f.env).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileNotFound);
    config::save_with(&johnsmith(), &Location::Default, None, &f.env).unwrap();
    config::save_with(
        &johnsmith(),
        &Location::Default,
        Some(FileFormat::CartoFrames),
        &f.env,
    )
    .unwrap();
    let deleted = config::delete_with(&Location::Default, &f.env).unwrap();
    assert_eq!(deleted.len(), 2, "both default files go: {deleted:?}");
    let err = config::load_with(&Location::Default, &f.env, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileNotFound);

    let explicit = f.root.join("project.json");
    config::save_with(
        &johnsmith(),
        &Location::Path(explicit.clone()),
        None,
        &f.env,
    )
    .unwrap();
    assert_eq!(
        config::delete_with(&Location::Path(explicit.clone()), &f.env).unwrap(),
        vec![explicit.clone()]
    );
    let err = config::delete_with(&Location::Path(explicit.clone()), &f.env).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileNotFound);
    assert!(err.message().contains(&explicit.display().to_string()));
}

#[test]
fn profiles_live_side_by_side_as_cartoframes_files() {
    let f = fixture();
    let work = Credentials::new(Some("work-user"), Some("workkey000000000"), None, false).unwrap();
    let home = Credentials::new(
        None,
        Some("homekey000000000"),
        Some("https://carto.example.org/user/me"),
        false,
    )
    .unwrap();
    let wp = config::save_with(&work, &Location::Profile("work".into()), None, &f.env).unwrap();
    config::save_with(&home, &Location::Profile("home".into()), None, &f.env).unwrap();
    assert_eq!(wp, f.root.join("profiles").join("work.json"));
    assert_eq!(
        read_json(&wp),
        json!({"username": "work-user", "api_key": "workkey000000000", "base_url": "https://work-user.carto.com", "allow_non_secure": false})
    );
    assert_eq!(config::profiles_with(&f.env).unwrap(), ["home", "work"]);
    let loaded = config::load_with(&Location::Profile("home".into()), &f.env, false).unwrap();
    assert_eq!(loaded, home);
    assert_eq!(loaded.username(), Some("me"));
    assert_eq!(loaded.origin().source(), Source::Profile);
    assert_eq!(loaded.origin().profile(), Some("home"));

    let err = config::load_with(&Location::Profile("nope".into()), &f.env, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileNotFound);
    assert!(
        err.message().contains("saved profiles: home, work"),
        "{err}"
    );
    config::delete_with(&Location::Profile("home".into()), &f.env).unwrap();
    assert_eq!(config::profiles_with(&f.env).unwrap(), ["work"]);
    assert!(Location::from_parts(Some("a.json"), Some("work")).is_err());
    assert!(Location::from_parts(None, Some("../etc")).is_err());
}

#[cfg(unix)]
#[test]
fn files_are_private_and_lax_permissions_are_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let f = fixture();
    let path = config::save_with(&johnsmith(), &Location::Default, None, &f.env).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&f.root), 0o700);
    assert!(config::load_with(&Location::Default, &f.env, false)
        .unwrap()
        .origin()
        .warnings()
        .is_empty());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let c = config::load_with(&Location::Default, &f.env, false).unwrap();
    assert_eq!(c, johnsmith());
    assert_eq!(c.origin().warnings().len(), 1);
    assert!(c.origin().warnings()[0].contains("chmod 600"));
    // Saving again tightens it.
    config::save_with(&johnsmith(), &Location::Default, None, &f.env).unwrap();
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn the_key_never_appears_in_messages_or_descriptions() {
    let f = fixture();
    fs::create_dir_all(&f.root).unwrap();
    let path = f.root.join("c.json");
    let bad_files = [
        format!(r#"{{"APIKEY": "{KEY}", "USERNAME": "a b"}}"#),
        format!(r#"{{"APIKEY": "{KEY}", "USERURL": "http://x.carto.com"}}"#),
        format!(r#"{{"APIKEY": "{KEY}", "USERURL": 5}}"#),
        format!(r#"{{"APIKEY": "{KEY}" "USERNAME": "jo"}}"#),
        format!(r#"{{"APIKEY": "{KEY}", "username": "jo"}}"#),
    ];
    for content in bad_files {
        fs::write(&path, &content).unwrap();
        let err = config::load_with(&Location::Path(path.clone()), &f.env, false).unwrap_err();
        assert!(!err.message().contains(KEY), "{err}");
        assert!(!format!("{err:?}").contains(KEY));
    }
    let c = johnsmith();
    for text in [c.to_string(), format!("{c:?}"), c.summary()] {
        assert!(!text.contains(KEY), "{text}");
        assert!(text.contains("c0ff…"), "{text}");
    }
}

#[test]
fn every_accepted_base_url_round_trips_through_every_format() {
    let f = fixture();
    for url in [
        "https://h.example.com/user/a b",
        "https://h.example.com/user/x%2Fy",
        "https://h.example.com/user/%00",
        "https://h.example.com/user/{username}",
    ] {
        let err = Credentials::new(None, Some(KEY), Some(url), false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidBaseUrl, "{url}");
    }
    for url in [
        "https://h.example.com/user/john-smith_2",
        "https://org.example.com/u/bob",
        "https://alice.carto.com",
        "https://10.0.0.1:8443/user/x.y",
    ] {
        let creds = Credentials::new(None, Some(KEY), Some(url), false).unwrap();
        for (name, format) in [
            ("a.json", FileFormat::CartoCreds),
            ("b.json", FileFormat::CartoFrames),
        ] {
            let location = Location::Path(f.root.join(name));
            config::save_with(&creds, &location, Some(format), &f.env).unwrap();
            let loaded = config::load_with(&location, &f.env, false)
                .unwrap_or_else(|e| panic!("{url} in {format:?}: {e}"));
            assert_eq!(loaded.base_url(), creds.base_url(), "{url}");
            assert_eq!(loaded.username(), creds.username(), "{url}");
        }
    }
}

#[test]
fn blank_paths_and_profiles_are_errors_not_the_default_files() {
    for (path, profile) in [
        (Some(""), None),
        (Some("  "), None),
        (None, Some("")),
        (None, Some("\t")),
        (Some(""), Some("")),
    ] {
        let err = Location::from_parts(path, profile).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidArgument,
            "{path:?} {profile:?}"
        );
    }
    assert_eq!(Location::from_parts(None, None).unwrap(), Location::Default);
    let huge = "p".repeat(10 * 1024 * 1024);
    let err = Location::from_parts(None, Some(&huge)).unwrap_err();
    assert!(err.message().len() < 1000, "{}", err.message().len());
    assert!(
        err.message().contains("10485760 bytes"),
        "{}",
        err.message()
    );
    let f = fixture();
    let err = config::load_with(&Location::Path(f.root.join(&huge)), &f.env, false).unwrap_err();
    assert!(err.message().len() < 1000, "{}", err.message().len());
}

#[cfg(unix)]
#[test]
fn logout_through_a_symlinked_file_deletes_the_file_that_holds_the_key() {
    let f = fixture();
    // Dotfiles kept elsewhere (stow): the default file is a link into them.
    let dotfiles = f.root.with_file_name("dotfiles");
    fs::create_dir(&dotfiles).unwrap();
    let real = dotfiles.join("cartocreds.json");
    fs::create_dir_all(&f.root).unwrap();
    let link = f.root.join("cartocreds.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    config::save_with(&johnsmith(), &Location::Default, None, &f.env).unwrap();
    assert!(fs::read_to_string(&real).unwrap().contains(KEY));

    let deleted = config::delete_with(&Location::Default, &f.env).unwrap();
    assert_eq!(deleted, std::slice::from_ref(&real));
    assert!(!real.exists(), "the key is still in {}", real.display());
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let err = config::load_with(&Location::Default, &f.env, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileNotFound, "{err}");
    // Signing in again writes through the link, where the dotfiles are.
    config::save_with(&johnsmith(), &Location::Default, None, &f.env).unwrap();
    assert!(fs::read_to_string(&real).unwrap().contains(KEY));
}
