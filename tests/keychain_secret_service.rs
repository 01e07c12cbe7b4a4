//! The library against a real Secret Service (gnome-keyring on a session bus this test starts),
//! a bus with none, and a stub that never replies. One test: the bus is chosen through the
//! process's DBUS_SESSION_BUS_ADDRESS, which the scenarios change in turn.
#![cfg(all(feature = "keychain", target_os = "linux"))]

#[path = "support/secret_service.rs"]
mod secret_service;

use cartoauth::env::MapEnvironment;
use cartoauth::{
    config, CredentialStore, Credentials, ErrorKind, FileFormat, Location, SaveOptions, Storage,
};
use secret_service::{files_containing, SessionBus};
use std::path::Path;
use std::time::{Duration, Instant};

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4";
const CLIENT_SECRET: &str = "m2m-client-s3cret-0123456789";

fn use_bus(address: &str) {
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", address);
}

fn env_for(home: &Path) -> MapEnvironment {
    MapEnvironment::new().with(
        cartoauth::env::CONFIG_DIR,
        home.join(".config/cartoframes").to_str().unwrap(),
    )
}

fn jo() -> Credentials {
    Credentials::new(Some("jo"), Some(KEY), None, false).unwrap()
}

fn store(store: CredentialStore) -> SaveOptions {
    SaveOptions {
        format: None,
        store: Some(store),
    }
}

#[test]
fn secrets_round_trip_through_a_real_secret_service_and_fall_back_honestly() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();

    // No session bus at all: the fallback is decided at once, announced once, recorded.
    let nowhere = home.join("no-bus-here");
    use_bus(&format!("unix:path={}", nowhere.display()));
    let env = env_for(home);
    let started = Instant::now();
    let saved = config::save_as_with(
        &jo(),
        &Location::Profile("nobus".into()),
        SaveOptions::default(),
        &env,
    )
    .unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(50), "fallback took {took:?}");
    assert_eq!(saved.origin().storage(), Some(Storage::File));
    assert_eq!(
        saved.origin().warnings().len(),
        1,
        "{:?}",
        saved.origin().warnings()
    );
    assert!(saved.origin().warnings()[0].contains("the Secret Service"));
    let loaded = config::load_with(&Location::Profile("nobus".into()), &env, false).unwrap();
    assert_eq!(loaded.origin().storage(), Some(Storage::File));
    config::delete_with(&Location::Profile("nobus".into()), &env).unwrap();

    // A bus with no Secret Service on it: the same, quickly.
    {
        let bare = SessionBus::bare();
        use_bus(&bare.address);
        let started = Instant::now();
        let saved = config::save_as_with(
            &jo(),
            &Location::Profile("bare".into()),
            SaveOptions::default(),
            &env,
        )
        .unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(saved.origin().storage(), Some(Storage::File));
        let err = config::save_as_with(
            &jo(),
            &Location::Profile("bare2".into()),
            store(CredentialStore::Keychain),
            &env,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::KeychainUnavailable, "{err}");
        config::delete_with(&Location::Profile("bare".into()), &env).unwrap();
    }

    // gnome-keyring: the secret is in the keychain and in no file.
    let keyring = SessionBus::with_keyring(home);
    use_bus(&keyring.address);
    let work = Location::Profile("work".into());
    let saved = config::save_as_with(&jo(), &work, SaveOptions::default(), &env).unwrap();
    assert_eq!(saved.origin().storage(), Some(Storage::Keychain));
    assert!(saved.origin().warnings().is_empty());
    let account = saved.origin().keychain_item().unwrap().to_owned();
    assert_eq!(keyring.lookup(home, &account).as_deref(), Some(KEY));
    assert_eq!(
        files_containing(home, KEY),
        Vec::<std::path::PathBuf>::new()
    );
    let loaded = config::load_with(&work, &env, false).unwrap();
    assert_eq!(loaded, jo());
    assert_eq!(loaded.origin().keychain_item(), Some(account.as_str()));
    // Through the resolution chain too.
    let resolved = cartoauth::resolve_with(
        None,
        None,
        &env.clone().with(cartoauth::env::PROFILE, "work"),
    )
    .unwrap();
    assert_eq!(resolved.api_key().expose(), KEY);

    // An M2M client's secret.
    let m2m = Credentials::builder()
        .base_url("https://gcp-us-east1.api.carto.com")
        .m2m_client("my-client", CLIENT_SECRET)
        .build()
        .unwrap();
    let m2m_saved = config::save_as_with(
        &m2m,
        &Location::Profile("m2m".into()),
        SaveOptions::default(),
        &env,
    )
    .unwrap();
    let m2m_account = m2m_saved.origin().keychain_item().unwrap().to_owned();
    assert_eq!(
        keyring.lookup(home, &m2m_account).as_deref(),
        Some(CLIENT_SECRET)
    );
    assert!(files_containing(home, CLIENT_SECRET).is_empty());

    // Moved to a plain CARTOframes file and back.
    let moved = config::move_to_with(&work, CredentialStore::File, &env).unwrap();
    assert_eq!(moved.origin().storage(), Some(Storage::File));
    assert_eq!(
        keyring.lookup(home, &account),
        None,
        "the item went with the move"
    );
    assert_eq!(files_containing(home, KEY).len(), 1);
    let moved = config::move_to_with(&work, CredentialStore::Keychain, &env).unwrap();
    let account = moved.origin().keychain_item().unwrap().to_owned();
    assert_eq!(keyring.lookup(home, &account).as_deref(), Some(KEY));
    assert!(files_containing(home, KEY).is_empty());
    // An explicit plain file for CARTOframes is a choice, and the only file with the key.
    let plain = config::save_as_with(
        &jo(),
        &Location::Path(home.join("export/creds.json")),
        SaveOptions {
            format: Some(FileFormat::CartoFrames),
            store: Some(CredentialStore::File),
        },
        &env,
    )
    .unwrap();
    assert!(plain.origin().warnings().is_empty());
    assert_eq!(
        files_containing(home, KEY),
        vec![home.join("export/creds.json")]
    );
    std::fs::remove_file(home.join("export/creds.json")).unwrap();

    // Deleting deletes the item.
    let keep = std::fs::read(config::path_of_with(&work, &env).unwrap()).unwrap();
    config::delete_with(&Location::Profile("m2m".into()), &env).unwrap();
    assert_eq!(keyring.lookup(home, &m2m_account), None);
    assert_eq!(keyring.accounts(home), vec![account.clone()]);
    drop(keyring);

    // A stub that never replies: every call returns within 3.5 s with its own status.
    let stub = SessionBus::with_silent_stub();
    use_bus(&stub.address);
    let started = Instant::now();
    let err = config::load_with(&work, &env, false).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::KeychainTimeout, "{err}");
    assert!(took <= Duration::from_millis(3500), "{took:?}");
    assert!(!err.message().contains(KEY));
    let started = Instant::now();
    let err = config::save_as_with(
        &jo(),
        &Location::Profile("forced".into()),
        store(CredentialStore::Keychain),
        &env,
    )
    .unwrap_err();
    assert!(started.elapsed() <= Duration::from_millis(3500));
    assert_eq!(err.kind(), ErrorKind::KeychainTimeout, "{err}");
    assert!(
        !config::path_of_with(&Location::Profile("forced".into()), &env)
            .unwrap()
            .exists()
    );
    // Automatic storage takes it as no keychain (the fallback was announced above already).
    let started = Instant::now();
    let saved = config::save_as_with(
        &jo(),
        &Location::Profile("auto".into()),
        SaveOptions::default(),
        &env,
    )
    .unwrap();
    assert!(started.elapsed() <= Duration::from_millis(3500));
    assert_eq!(saved.origin().storage(), Some(Storage::File));
    assert_eq!(
        std::fs::read(config::path_of_with(&work, &env).unwrap()).unwrap(),
        keep,
        "a failed call changed nothing"
    );
}
