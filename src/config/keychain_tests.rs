//! Credentials files whose secrets live in a keychain: the rules of `config` and `reference`
//! against a keychain in memory that can work, refuse or hang. The same flows against a real
//! Secret Service are in tests/keychain_secret_service.rs and cli/tests/keychain.rs.

use super::*;
use crate::env::MapEnvironment;
use crate::keychain::memory::{Memory, Mode};
use crate::keychain::Storage;
use crate::keychain::{install_memory, install_none, Installed};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0";

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn env(&self) -> MapEnvironment {
        MapEnvironment::new().with(crate::env::CONFIG_DIR, self.dir.path().to_str().unwrap())
    }

    /// Every byte of every file under the directory, as text.
    fn all_files(&self) -> String {
        let mut text = String::new();
        let mut dirs = vec![self.dir.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
                }
            }
        }
        text
    }
}

fn jo() -> Credentials {
    Credentials::new(Some("jo"), Some(KEY), None, false).unwrap()
}

fn working() -> (Arc<Memory>, Installed) {
    install_memory(Duration::from_millis(300))
}

fn options(store: CredentialStore) -> SaveOptions {
    SaveOptions {
        format: None,
        store: Some(store),
    }
}

fn doc_of(path: &Path) -> Map<String, Value> {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_saved_key_lives_in_the_keychain_and_loads_back_through_the_reference() {
    let (memory, _installed) = working();
    let home = Home::new();
    for (location, format) in [
        (Location::Default, None),
        (Location::Default, Some(FileFormat::CartoFrames)),
        (Location::Profile("work".into()), None),
    ] {
        let options = SaveOptions {
            format,
            store: None,
        };
        let saved = save_as_with(&jo(), &location, options, &home.env()).unwrap();
        assert_eq!(saved.origin().storage(), Some(Storage::Keychain));
        assert!(saved.origin().warnings().is_empty());
        let account = saved.origin().keychain_item().unwrap().to_owned();
        assert!(account.starts_with("api_key/"), "{account}");
        assert_eq!(memory.secret(&account).as_deref(), Some(KEY));
        let path = saved.origin().path().unwrap().to_path_buf();
        let doc = doc_of(&path);
        assert_eq!(doc[reference::KEY]["service"], "cartoauth");
        assert_eq!(doc[reference::KEY]["account"], account.as_str());

        let loaded = load_with(&Location::Path(path), &home.env(), false).unwrap();
        assert_eq!(loaded.api_key().expose(), KEY);
        assert_eq!(loaded, jo());
        assert_eq!(loaded.origin().storage(), Some(Storage::Keychain));
        assert_eq!(loaded.origin().keychain_item(), Some(account.as_str()));
    }
    assert!(!home.all_files().contains(KEY), "the key is in no file");
}

#[test]
fn carto3_secrets_and_tokens_go_to_the_keychain_and_a_sign_in_keeps_none() {
    let (memory, _installed) = working();
    let home = Home::new();
    let m2m = Credentials::builder()
        .base_url("https://gcp-us-east1.api.carto.com")
        .m2m_client("cid", "m2m-s3cret-value")
        .build()
        .unwrap();
    let token = Credentials::builder()
        .base_url("https://gcp-us-east1.api.carto.com")
        .access_token("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
        .build()
        .unwrap();
    let user = Credentials::builder()
        .base_url("https://gcp-us-east1.api.carto.com")
        .oauth_user(None)
        .build()
        .unwrap();
    let m2m_loc = Location::Profile("m2m".into());
    let saved = save_as_with(&m2m, &m2m_loc, SaveOptions::default(), &home.env()).unwrap();
    let account = saved.origin().keychain_item().unwrap();
    assert!(account.starts_with("client_secret/"), "{account}");
    assert_eq!(memory.secret(account).as_deref(), Some("m2m-s3cret-value"));
    let loaded = load_with(&m2m_loc, &home.env(), false).unwrap();
    assert_eq!(loaded.client_secret().unwrap().expose(), "m2m-s3cret-value");
    assert_eq!(loaded.client_id(), Some("cid"));

    let tok_loc = Location::Profile("tok".into());
    save_as_with(&token, &tok_loc, SaveOptions::default(), &home.env()).unwrap();
    assert_eq!(load_with(&tok_loc, &home.env(), false).unwrap(), token);

    let user_loc = Location::Profile("user".into());
    let saved = save_as_with(&user, &user_loc, SaveOptions::default(), &home.env()).unwrap();
    assert_eq!(saved.origin().storage(), Some(Storage::File));
    assert!(
        saved.origin().warnings().is_empty(),
        "nothing secret: no fallback"
    );
    assert!(!doc_of(saved.origin().path().unwrap()).contains_key(reference::KEY));

    let all = home.all_files();
    assert!(!all.contains("m2m-s3cret-value") && !all.contains("c2lnbmF0dXJl"));
    assert_eq!(memory.accounts().len(), 2);
}

#[test]
fn the_public_key_is_not_a_secret_and_stays_in_the_file() {
    let (memory, _installed) = working();
    let home = Home::new();
    let public = Credentials::new(Some("jo"), None, None, false).unwrap();
    let saved = save_as_with(
        &public,
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    assert_eq!(saved.origin().storage(), Some(Storage::File));
    assert!(memory.accounts().is_empty());
    assert_eq!(
        doc_of(saved.origin().path().unwrap())["APIKEY"],
        "default_public"
    );
}

#[test]
fn no_keychain_falls_back_to_the_file_quickly_with_one_warning() {
    let (memory, _installed) = working();
    memory.set_mode(Mode::Unavailable);
    let home = Home::new();
    let started = Instant::now();
    let saved = save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(saved.origin().storage(), Some(Storage::File));
    assert_eq!(
        saved.origin().warnings().len(),
        1,
        "{:?}",
        saved.origin().warnings()
    );
    assert!(saved.origin().warnings()[0].contains("plain text"));
    assert!(home.all_files().contains(KEY));
    // Announced once: the next fallback of the process is only recorded.
    let again = save_as_with(
        &jo(),
        &Location::Profile("p".into()),
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    assert_eq!(again.origin().storage(), Some(Storage::File));
    assert!(again.origin().warnings().is_empty());
    let loaded = load_with(&Location::Default, &home.env(), false).unwrap();
    assert_eq!(loaded.origin().storage(), Some(Storage::File));
}

#[test]
fn a_build_without_keychain_support_says_so_when_it_falls_back() {
    let _installed = install_none();
    let home = Home::new();
    let saved = save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    assert_eq!(saved.origin().storage(), Some(Storage::File));
    assert!(
        saved.origin().warnings()[0].contains("no keychain support"),
        "{:?}",
        saved.origin().warnings()
    );
    let err = save_as_with(
        &jo(),
        &Location::Profile("k".into()),
        options(CredentialStore::Keychain),
        &home.env(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeychainUnavailable);
}

#[test]
fn the_keychain_store_never_falls_back_and_writes_nothing_on_failure() {
    let (memory, _installed) = working();
    let home = Home::new();
    memory.set_mode(Mode::Unavailable);
    let err = save_as_with(
        &jo(),
        &Location::Default,
        options(CredentialStore::Keychain),
        &home.env(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeychainUnavailable);
    assert!(err.message().contains("nothing was saved"), "{err}");
    assert!(!err.message().contains(KEY));
    assert!(!home.all_files().contains(KEY));
    assert!(!path_of_with(&Location::Default, &home.env())
        .unwrap()
        .exists());
    // The environment chooses too.
    let env = home.env().with(crate::env::CREDENTIAL_STORE, "keychain");
    let err = save_with(&jo(), &Location::Default, None, &env).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeychainUnavailable);
}

#[test]
fn a_keychain_that_never_answers_is_cut_off_with_its_own_error() {
    let (memory, _installed) = working();
    let home = Home::new();
    let saved = save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    memory.set_mode(Mode::Hanging);
    let started = Instant::now();
    let err = load_with(&Location::Default, &home.env(), false).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::KeychainTimeout);
    assert!(
        err.message()
            .contains(saved.origin().keychain_item().unwrap()),
        "{err}"
    );
    let err = save_as_with(
        &jo(),
        &Location::Profile("k".into()),
        options(CredentialStore::Keychain),
        &home.env(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeychainTimeout);
    // Automatic storage takes a keychain that does not answer as none, and says why.
    let saved = save_as_with(
        &jo(),
        &Location::Profile("a".into()),
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    assert_eq!(saved.origin().storage(), Some(Storage::File));
    assert!(saved.origin().warnings()[0].contains("did not answer"));
}

#[test]
fn the_file_store_is_an_explicit_plain_file_for_cartoframes() {
    let (memory, _installed) = working();
    let home = Home::new();
    let saved = save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions {
            format: Some(FileFormat::CartoFrames),
            store: Some(CredentialStore::File),
        },
        &home.env(),
    )
    .unwrap();
    assert_eq!(saved.origin().storage(), Some(Storage::File));
    assert!(
        saved.origin().warnings().is_empty(),
        "a choice, not a fallback"
    );
    assert!(memory.accounts().is_empty());
    let path = saved.origin().path().unwrap();
    assert!(path.ends_with("creds.json"));
    assert_eq!(doc_of(path)["api_key"], KEY);
}

#[test]
fn replacing_or_deleting_credentials_deletes_their_item() {
    let (memory, _installed) = working();
    let home = Home::new();
    let first = save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    let second = save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    let (a, b) = (
        first.origin().keychain_item().unwrap(),
        second.origin().keychain_item().unwrap(),
    );
    assert_ne!(a, b, "each save makes a new item");
    assert_eq!(
        memory.accounts(),
        vec![b.to_owned()],
        "the replaced one is gone"
    );
    // Replaced by a plain file: the item goes too.
    save_as_with(
        &jo(),
        &Location::Default,
        options(CredentialStore::File),
        &home.env(),
    )
    .unwrap();
    assert!(memory.accounts().is_empty());

    let saved = save_as_with(
        &jo(),
        &Location::Profile("w".into()),
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    let account = saved.origin().keychain_item().unwrap().to_owned();
    // A keychain that cannot delete keeps the file, so nothing is left orphaned.
    memory.set_mode(Mode::Unavailable);
    let err = delete_with(&Location::Profile("w".into()), &home.env()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeychainUnavailable);
    assert!(err.message().contains("not deleted"), "{err}");
    assert!(saved.origin().path().unwrap().exists());
    memory.set_mode(Mode::Working);
    delete_with(&Location::Profile("w".into()), &home.env()).unwrap();
    assert!(!saved.origin().path().unwrap().exists());
    assert_eq!(memory.secret(&account), None);
}

#[test]
fn an_item_deleted_elsewhere_is_its_own_error() {
    let (memory, _installed) = working();
    let home = Home::new();
    let saved = save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    let account = saved.origin().keychain_item().unwrap().to_owned();
    let keychain = crate::keychain::process();
    keychain.delete(&account).unwrap();
    let err = load_with(&Location::Default, &home.env(), false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeychainItemNotFound);
    assert!(err.message().contains("log in again"), "{err}");
    // Logging out still works.
    delete_with(&Location::Default, &home.env()).unwrap();
    assert!(memory.accounts().is_empty());
}

#[test]
fn a_reference_is_honoured_only_for_the_credentials_it_was_made_for() {
    let (memory, _installed) = working();
    let home = Home::new();
    let saved = save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    let path = saved.origin().path().unwrap().to_path_buf();
    let good = doc_of(&path);
    let write = |doc: &Map<String, Value>| std::fs::write(&path, format::to_bytes(doc)).unwrap();
    let load = || load_with(&Location::Default, &home.env(), false);

    // Sending jo's key to another host by editing the file: refused, nothing fetched.
    let mut moved = good.clone();
    moved.insert(
        "USERURL".into(),
        "https://evil.example/user/{username}/".into(),
    );
    write(&moved);
    let err = load().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileContent);
    assert!(err.message().contains("log in again"), "{err}");
    assert!(!err.message().contains(KEY));

    // Another program's item.
    let mut foreign = good.clone();
    foreign.insert(
        reference::KEY.into(),
        serde_json::json!({"service": "gh:github.com", "account": "jo"}),
    );
    write(&foreign);
    let err = load().unwrap_err();
    assert!(err.message().contains("only its own items"), "{err}");

    // A secret and a reference at once.
    let mut both = good.clone();
    both.insert("APIKEY".into(), "other".into());
    write(&both);
    assert!(load().unwrap_err().message().contains("keep one"));

    // Malformed references.
    for bad in [
        serde_json::json!("x"),
        serde_json::json!({"service": "cartoauth"}),
    ] {
        let mut broken = good.clone();
        broken.insert(reference::KEY.into(), bad);
        write(&broken);
        assert_eq!(load().unwrap_err().kind(), ErrorKind::FileContent);
    }
    write(&good);
    assert_eq!(load().unwrap().api_key().expose(), KEY);
    assert_eq!(memory.accounts().len(), 1);
}

#[test]
fn a_profile_moves_between_the_keychain_and_the_file_and_keeps_its_other_keys() {
    let (memory, _installed) = working();
    let home = Home::new();
    let location = Location::Profile("work".into());
    let path = save_as_with(
        &jo(),
        &location,
        options(CredentialStore::File),
        &home.env(),
    )
    .unwrap()
    .origin()
    .path()
    .unwrap()
    .to_path_buf();
    let mut doc = doc_of(&path);
    doc.insert("comment".into(), "mine".into());
    std::fs::write(&path, format::to_bytes(&doc)).unwrap();

    let moved = move_to_with(&location, CredentialStore::Keychain, &home.env()).unwrap();
    assert_eq!(moved.origin().storage(), Some(Storage::Keychain));
    assert_eq!(moved.origin().profile(), Some("work"));
    assert_eq!(moved, jo());
    let account = moved.origin().keychain_item().unwrap().to_owned();
    assert_eq!(memory.secret(&account).as_deref(), Some(KEY));
    let doc = doc_of(&path);
    assert_eq!(doc["comment"], "mine");
    assert!(!doc.contains_key("api_key"));
    assert!(!home.all_files().contains(KEY));
    // Again: nothing to do.
    let again = move_to_with(&location, CredentialStore::Keychain, &home.env()).unwrap();
    assert_eq!(again.origin().keychain_item(), Some(account.as_str()));

    let back = move_to_with(&location, CredentialStore::File, &home.env()).unwrap();
    assert_eq!(back.origin().storage(), Some(Storage::File));
    assert_eq!(back, jo());
    assert!(memory.accounts().is_empty());
    let doc = doc_of(&path);
    assert_eq!(
        (doc["api_key"].as_str(), doc["comment"].as_str()),
        (Some(KEY), Some("mine"))
    );

    let err = move_to_with(&location, CredentialStore::Auto, &home.env()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    memory.set_mode(Mode::Unavailable);
    let err = move_to_with(&location, CredentialStore::Keychain, &home.env()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeychainUnavailable);
    assert_eq!(doc_of(&path)["api_key"], KEY, "unchanged");
    let err = move_to_with(
        &Location::Profile("none".into()),
        CredentialStore::File,
        &home.env(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FileNotFound);
}

#[test]
fn rotating_a_key_kept_in_the_keychain_keeps_it_there() {
    let (memory, _installed) = working();
    let home = Home::new();
    let first = save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    let new_key = "f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9";
    update_with(
        &Location::Default,
        &FileUpdate {
            api_key: Some(new_key.into()),
            ..Default::default()
        },
        &home.env(),
    )
    .unwrap();
    let loaded = load_with(&Location::Default, &home.env(), false).unwrap();
    assert_eq!(loaded.api_key().expose(), new_key);
    assert_eq!(loaded.origin().storage(), Some(Storage::Keychain));
    assert_ne!(
        loaded.origin().keychain_item(),
        first.origin().keychain_item()
    );
    assert_eq!(memory.accounts().len(), 1, "the old item is gone");
    assert!(!home.all_files().contains(new_key));
    // Moving the account to another URL re-binds the item (the same key, now bound there).
    update_with(
        &Location::Default,
        &FileUpdate {
            base_url: Some("https://carto.acme.com/user/{username}/".into()),
            ..Default::default()
        },
        &home.env(),
    )
    .unwrap();
    let loaded = load_with(&Location::Default, &home.env(), false).unwrap();
    assert_eq!(loaded.base_url(), "https://carto.acme.com/user/jo");
    assert_eq!(loaded.api_key().expose(), new_key);
}

#[test]
fn the_resolution_chain_resolves_references_transparently() {
    let (_memory, _installed) = working();
    let home = Home::new();
    save_as_with(
        &jo(),
        &Location::Profile("work".into()),
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    let resolved = crate::resolve_with(None, None, &home.env()).unwrap();
    assert_eq!(resolved.api_key().expose(), KEY);
    assert_eq!(resolved.origin().storage(), Some(Storage::Keychain));
    let env = home.env().with(crate::env::PROFILE, "work");
    let resolved = crate::resolve_with(None, None, &env).unwrap();
    assert_eq!(resolved.origin().profile(), Some("work"));
    assert_eq!(resolved.origin().storage(), Some(Storage::Keychain));
}

#[test]
fn text_parsing_never_consults_a_keychain() {
    let (_memory, _installed) = working();
    let home = Home::new();
    let saved = save_as_with(
        &jo(),
        &Location::Default,
        SaveOptions::default(),
        &home.env(),
    )
    .unwrap();
    let text = std::fs::read_to_string(saved.origin().path().unwrap()).unwrap();
    let err = credentials_from_text(Path::new("f.json"), &text, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeychainUnavailable);
}
