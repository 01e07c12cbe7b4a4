//! The resolution order, provenance, and which broken sources are loud or quiet.

use cartoauth::config::{self, FileFormat, Location};
use cartoauth::env::{self, MapEnvironment};
use cartoauth::{resolve_with, Credentials, ErrorKind, Source};
use std::fs;
use std::path::PathBuf;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cfg");
        Fixture { _dir: dir, root }
    }

    fn env(&self) -> MapEnvironment {
        // HOME too: the CARTO CLI's and carto-auth's files in the real home must not answer.
        MapEnvironment::new()
            .with(env::CONFIG_DIR, self.root.to_str().unwrap())
            .with("HOME", self._dir.path().join("home").to_str().unwrap())
    }

    fn save_default(&self, user: &str, format: FileFormat) -> PathBuf {
        let c = Credentials::new(Some(user), Some("filekey"), None, false).unwrap();
        config::save_with(&c, &Location::Default, Some(format), &self.env()).unwrap()
    }
}

fn creds(user: &str) -> Credentials {
    Credentials::new(Some(user), Some("k"), None, false).unwrap()
}

#[test]
fn explicit_beats_default_beats_environment_beats_files() {
    let f = Fixture::new();
    f.save_default("from-file", FileFormat::CartoCreds);
    let env = f.env().with(env::USERNAME, "from-env");
    let explicit = creds("explicit");
    let default = creds("default");

    let c = resolve_with(Some(&explicit), Some(default.clone()), &env).unwrap();
    assert_eq!(
        (c.username(), c.origin().source()),
        (Some("explicit"), Source::Explicit)
    );
    let c = resolve_with(None, Some(default), &env).unwrap();
    assert_eq!(
        (c.username(), c.origin().source()),
        (Some("default"), Source::ProcessDefault)
    );
    let c = resolve_with(None, None, &env).unwrap();
    assert_eq!(
        (c.username(), c.origin().source()),
        (Some("from-env"), Source::Environment)
    );
    let c = resolve_with(None, None, &f.env()).unwrap();
    assert_eq!(
        (c.username(), c.origin().source()),
        (Some("from-file"), Source::File)
    );
}

#[test]
fn environment_credentials_record_their_variables() {
    let env = MapEnvironment::new()
        .with(env::BASE_URL, "http://127.0.0.1:9/user/alice/")
        .with(env::API_KEY, "k123")
        .with(env::ALLOW_NON_SECURE, "1")
        .with(env::CONFIG_DIR, "/nonexistent");
    let c = resolve_with(None, None, &env).unwrap();
    assert_eq!(c.username(), Some("alice"));
    assert_eq!(c.base_url(), "http://127.0.0.1:9/user/alice");
    assert_eq!(c.api_key().expose(), "k123");
    assert_eq!(c.origin().variables(), ["CARTO_BASE_URL", "CARTO_API_KEY"]);
    assert_eq!(
        c.origin().to_string(),
        "environment (CARTO_BASE_URL, CARTO_API_KEY)"
    );
}

#[test]
fn blank_environment_values_count_as_unset() {
    let f = Fixture::new();
    f.save_default("from-file", FileFormat::CartoCreds);
    let env = f
        .env()
        .with(env::USERNAME, "")
        .with(env::BASE_URL, "   ")
        .with(env::API_KEY, "")
        .with(env::PROFILE, " ")
        .with(env::CREDENTIALS_FILE, "");
    let c = resolve_with(None, None, &env).unwrap();
    assert_eq!(c.username(), Some("from-file"));
}

#[test]
fn cartocreds_is_read_before_creds_json() {
    let f = Fixture::new();
    let creds_json = f.save_default("cartoframes-user", FileFormat::CartoFrames);
    let c = resolve_with(None, None, &f.env()).unwrap();
    assert_eq!(c.username(), Some("cartoframes-user"));
    assert_eq!(c.origin().path(), Some(creds_json.as_path()));
    let seed = f.save_default("seed-user", FileFormat::CartoCreds);
    let c = resolve_with(None, None, &f.env()).unwrap();
    assert_eq!(c.username(), Some("seed-user"));
    assert_eq!(c.origin().path(), Some(seed.as_path()));
}

#[test]
fn a_file_or_profile_named_in_the_environment_is_used_and_recorded() {
    let f = Fixture::new();
    let file = f.root.join("elsewhere.json");
    fs::create_dir_all(&f.root).unwrap();
    fs::write(&file, r#"{"username": "named", "api_key": "x"}"#).unwrap();
    let env = f.env().with(env::CREDENTIALS_FILE, file.to_str().unwrap());
    let c = resolve_with(None, None, &env).unwrap();
    assert_eq!(c.username(), Some("named"));
    assert_eq!(c.origin().source(), Source::File);
    assert_eq!(c.origin().variables(), ["CARTO_CREDENTIALS_FILE"]);

    config::save_with(
        &creds("profiled"),
        &Location::Profile("work".into()),
        None,
        &f.env(),
    )
    .unwrap();
    let env = f.env().with(env::PROFILE, "work");
    let c = resolve_with(None, None, &env).unwrap();
    assert_eq!(c.username(), Some("profiled"));
    assert_eq!(c.origin().source(), Source::Profile);
    assert_eq!(c.origin().profile(), Some("work"));
    assert!(c.origin().to_string().starts_with("profile 'work' ("));
}

#[test]
fn explicitly_named_but_broken_sources_are_loud() {
    let f = Fixture::new();
    f.save_default("would-be-fallback", FileFormat::CartoCreds);
    let cases = [
        (
            f.env().with(env::CREDENTIALS_FILE, "/no/such/file.json"),
            ErrorKind::FileNotFound,
            "CARTO_CREDENTIALS_FILE",
        ),
        (
            f.env().with(env::PROFILE, "missing"),
            ErrorKind::FileNotFound,
            "CARTO_PROFILE=missing",
        ),
        (
            f.env().with(env::PROFILE, "../x"),
            ErrorKind::InvalidArgument,
            "CARTO_PROFILE",
        ),
        (
            f.env().with(env::API_KEY, "k"),
            ErrorKind::InvalidEnvironment,
            "CARTO_API_KEY",
        ),
        (
            f.env().with(env::BASE_URL, "http://insecure.carto.com"),
            ErrorKind::InvalidEnvironment,
            "CARTO_BASE_URL",
        ),
        (
            f.env()
                .with(env::USERNAME, "u")
                .with(env::ALLOW_NON_SECURE, "perhaps"),
            ErrorKind::InvalidEnvironment,
            "CARTO_ALLOW_NON_SECURE",
        ),
        (
            f.env()
                .with(env::PROFILE, "a")
                .with(env::CREDENTIALS_FILE, "/x.json"),
            ErrorKind::InvalidEnvironment,
            "set only one",
        ),
    ];
    for (env, kind, needle) in cases {
        let err = resolve_with(None, None, &env).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.message().contains(needle), "{needle}: {err}");
    }
}

#[test]
fn a_corrupt_default_file_is_loud_but_a_missing_one_is_skipped() {
    let f = Fixture::new();
    fs::create_dir_all(&f.root).unwrap();
    fs::write(f.root.join("cartocreds.json"), "{oops").unwrap();
    f.save_default("fallback", FileFormat::CartoFrames);
    let err = resolve_with(None, None, &f.env()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileSyntax);
    fs::remove_file(f.root.join("cartocreds.json")).unwrap();
    let c = resolve_with(None, None, &f.env()).unwrap();
    assert_eq!(c.username(), Some("fallback"));
}

#[test]
fn nothing_found_lists_every_place_tried() {
    let f = Fixture::new();
    let err = resolve_with(None, None, &f.env()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotResolved);
    let m = err.message();
    for needle in [
        "explicit credentials",
        "process default",
        "CARTO_USERNAME",
        "CARTO_PROFILE",
        &f.root.join("cartocreds.json").display().to_string(),
        &f.root.join("creds.json").display().to_string(),
    ] {
        assert!(m.contains(needle), "missing {needle:?} in {m}");
    }
}

#[test]
fn allow_non_secure_in_the_environment_lets_http_files_load() {
    let f = Fixture::new();
    fs::create_dir_all(&f.root).unwrap();
    fs::write(
        f.root.join("cartocreds.json"),
        r#"{"APIKEY": "k", "USERURL": "http://127.0.0.1:8080/user/demo/"}"#,
    )
    .unwrap();
    let err = resolve_with(None, None, &f.env()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsecureBaseUrl);
    let c = resolve_with(None, None, &f.env().with(env::ALLOW_NON_SECURE, "true")).unwrap();
    assert_eq!(c.username(), Some("demo"));
}

#[test]
fn the_process_default_keeps_the_file_it_came_from() {
    let f = Fixture::new();
    let path = f.save_default("jo", FileFormat::CartoCreds);
    let loaded = config::load_with(&Location::Default, &f.env(), false).unwrap();
    let c = resolve_with(None, Some(loaded), &MapEnvironment::new()).unwrap();
    assert_eq!(c.origin().source(), Source::ProcessDefault);
    assert_eq!(c.origin().path(), Some(path.as_path()));
    assert!(c
        .origin()
        .to_string()
        .contains("process default (loaded from"));
}

#[test]
fn process_default_set_get_unset_and_dispatch() {
    // The only test in this binary that touches the process-wide default.
    assert!(cartoauth::default_credentials().is_none());
    let set = cartoauth::set_default_from(Some("johnsmith"), Some("key"), false).unwrap();
    assert_eq!(cartoauth::default_credentials(), Some(set));
    let err = cartoauth::set_default_from(Some("http://x.carto.com"), None, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsecureBaseUrl);
    assert_eq!(
        cartoauth::default_credentials().unwrap().username(),
        Some("johnsmith"),
        "a failed set keeps the previous default"
    );
    let threads: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                for _ in 0..200 {
                    cartoauth::set_default_credentials(creds(&format!("t{i}")));
                    let got = cartoauth::default_credentials().unwrap();
                    assert!(got.username().unwrap().starts_with('t'));
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    cartoauth::unset_default_credentials();
    assert!(cartoauth::default_credentials().is_none());
}

#[test]
fn explained_resolution_lists_the_sources_skipped_before_the_one_used() {
    let f = Fixture::new();
    let (result, explained) = cartoauth::resolve_explained_with(None, None, &f.env());
    let tried = explained.tried;
    assert_eq!(result.unwrap_err().kind(), ErrorKind::NotResolved);
    assert_eq!(tried.len(), 8, "{tried:?}");
    assert!(tried[4].contains("creds.json (no such file)"), "{tried:?}");
    assert!(
        tried[5].contains(".carto_credentials.json (no such file)"),
        "{tried:?}"
    );
    assert!(
        tried[7].contains("token_m2m.json (no such file)"),
        "{tried:?}"
    );

    let path = f.save_default("filed", FileFormat::CartoCreds);
    let (result, explained) = cartoauth::resolve_explained_with(None, None, &f.env());
    assert_eq!(result.unwrap().origin().path(), Some(path.as_path()));
    assert_eq!(
        explained.tried,
        [
            "explicit credentials (none given)",
            "process default (not set)",
            "environment (CARTO_API_TOKEN, CARTO_M2M_CLIENT_ID, CARTO_USERNAME, CARTO_BASE_URL, CARTO_CREDENTIALS_FILE, CARTO_PROFILE not set)",
        ]
    );
    assert!(explained.shadowed.is_empty(), "{explained:?}");

    let env = f.env().with(env::USERNAME, "from-env");
    let (result, explained) = cartoauth::resolve_explained_with(None, None, &env);
    assert_eq!(result.unwrap().origin().source(), Source::Environment);
    assert_eq!(explained.tried.len(), 2);
}

#[test]
fn explained_resolution_names_the_sources_it_hides() {
    let f = Fixture::new();
    let cartocreds = f.save_default("native", FileFormat::CartoCreds);
    let creds_json = f.save_default("python", FileFormat::CartoFrames);
    let described = |e: &cartoauth::Explanation| -> Vec<(String, Option<PathBuf>)> {
        e.shadowed
            .iter()
            .map(|s| (s.description.clone(), s.path.clone()))
            .collect()
    };

    // cartocreds.json answers; creds.json, behind it, is hidden.
    let (result, explained) = cartoauth::resolve_explained_with(None, None, &f.env());
    assert_eq!(result.unwrap().username(), Some("native"));
    assert_eq!(
        described(&explained),
        [(creds_json.display().to_string(), Some(creds_json.clone()))]
    );

    // A profile named by CARTO_PROFILE hides both default files.
    let c = creds("work");
    config::save_with(&c, &Location::Profile("work".into()), None, &f.env()).unwrap();
    let env = f.env().with(env::PROFILE, "work");
    let (result, explained) = cartoauth::resolve_explained_with(None, None, &env);
    assert_eq!(result.unwrap().username(), Some("work"));
    let paths: Vec<_> = explained.shadowed.iter().map(|s| s.path.clone()).collect();
    assert_eq!(paths, [Some(cartocreds.clone()), Some(creds_json.clone())]);

    // The environment's account hides the profile it also names, and the files.
    let env = env.with(env::USERNAME, "from-env");
    let (_, explained) = cartoauth::resolve_explained_with(None, None, &env);
    let shown = described(&explained);
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(shown[0].0.starts_with("CARTO_PROFILE=work ("), "{shown:?}");

    // A file named by CARTO_CREDENTIALS_FILE that is the default file itself hides only the
    // other one.
    let env = f
        .env()
        .with(env::CREDENTIALS_FILE, cartocreds.to_str().unwrap());
    let (_, explained) = cartoauth::resolve_explained_with(None, None, &env);
    assert_eq!(described(&explained).len(), 1);
    assert_eq!(explained.shadowed[0].path, Some(creds_json.clone()));

    // The process default hides everything stored.
    let (_, explained) = cartoauth::resolve_explained_with(None, Some(creds("d")), &f.env());
    assert_eq!(explained.shadowed.len(), 2);
}

#[test]
fn shadowing_says_what_would_hide_a_file_before_it_is_saved() {
    let f = Fixture::new();
    let [cartocreds, creds_json] = config::default_files_with(&f.env()).unwrap();
    // Nothing saved yet: either file would be used.
    assert!(cartoauth::shadowing_with(&creds_json, &f.env()).is_empty());
    f.save_default("native", FileFormat::CartoCreds);
    let hidden_by = cartoauth::shadowing_with(&creds_json, &f.env());
    assert_eq!(hidden_by.len(), 1);
    assert_eq!(hidden_by[0].path, Some(cartocreds.clone()));
    // cartocreds.json comes first: nothing hides it, even with creds.json there.
    f.save_default("python", FileFormat::CartoFrames);
    assert!(cartoauth::shadowing_with(&cartocreds, &f.env()).is_empty());
    // The environment's account hides every file.
    let env = f.env().with(env::BASE_URL, "https://x.carto.com");
    let hidden_by = cartoauth::shadowing_with(&cartocreds, &env);
    assert_eq!(hidden_by.len(), 1);
    assert_eq!(hidden_by[0].description, "environment (CARTO_BASE_URL)");
    // A profile nothing names is not in the order at all, so nothing hides it.
    let profile = config::path_of_with(&Location::Profile("p".into()), &env).unwrap();
    assert!(cartoauth::shadowing_with(&profile, &env).is_empty());
    // The same file named another way is the same file.
    let env = f.env().with(
        env::CREDENTIALS_FILE,
        cartocreds
            .parent()
            .unwrap()
            .join(".")
            .join("cartocreds.json")
            .to_str()
            .unwrap(),
    );
    assert!(cartoauth::shadowing_with(&cartocreds, &env).is_empty());
}
