//! The JSON layouts of credentials files, detected by their keys.
//!
//! | layout | keys | written by |
//! |---|---|---|
//! | cartocreds | `APIKEY`, `USERNAME`, `USERURL` (may hold `{username}`), optional `ALLOW_NON_SECURE` | this library (default) |
//! | CARTOframes 1.x | `username`, `api_key`, `base_url`, `allow_non_secure` | CARTOframes ≥ 2020 `creds.json`; also its 2019 `cartocreds.json` (same keys minus `allow_non_secure`) |
//! | legacy | `key`, `username`, `base_url` | CARTOframes ≤ 2019-06 `cartocreds.json` |
//!
//! Unknown keys are kept when a file is updated in place.

use crate::credentials::secret::ApiKey;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use serde_json::{Map, Value};
use std::fmt;
use std::path::Path;
use zeroize::Zeroize;

/// The layout to write when saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// `{"APIKEY", "USERNAME", "USERURL"}`: the native `cartocreds.json` layout.
    CartoCreds,
    /// `{"username", "api_key", "base_url", "allow_non_secure"}`: what Python CARTOframes 1.x
    /// saves and loads with `Credentials.save()` / `Credentials.from_file()`.
    CartoFrames,
}

/// A layout found in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    CartoCreds,
    CartoFrames,
    Legacy,
}

/// The key names a layout uses for each field.
struct Keys {
    username: &'static str,
    api_key: &'static str,
    base_url: &'static str,
    allow_non_secure: &'static str,
}

impl Layout {
    fn keys(self) -> Keys {
        match self {
            Layout::CartoCreds => Keys {
                username: "USERNAME",
                api_key: "APIKEY",
                base_url: "USERURL",
                allow_non_secure: "ALLOW_NON_SECURE",
            },
            Layout::CartoFrames => Keys {
                username: "username",
                api_key: "api_key",
                base_url: "base_url",
                allow_non_secure: "allow_non_secure",
            },
            Layout::Legacy => Keys {
                username: "username",
                api_key: "key",
                base_url: "base_url",
                allow_non_secure: "allow_non_secure",
            },
        }
    }
}

const CARTOCREDS_KEYS: [&str; 3] = ["APIKEY", "USERNAME", "USERURL"];
const LOWERCASE_KEYS: [&str; 5] = ["username", "api_key", "base_url", "allow_non_secure", "key"];
const USERNAME_PLACEHOLDER: &str = "{username}";

/// The credential fields read from a file, before CARTOframes' rules are applied. `Debug`
/// masks the key; the key is wiped when the fields are dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Fields {
    pub username: Option<String>,
    pub api_key: Option<String>,
    pub base_url: Option<String>,
    pub allow_non_secure: bool,
}

/// Changes to apply to a stored file; `None` keeps the stored value. `Debug` masks the key
/// (as [`crate::ApiKey`] does). The fields stay plain so that `..Default::default()` works;
/// a caller that cares wipes `api_key` itself (`zeroize::Zeroize`), as the C boundary does.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FileUpdate {
    /// New username.
    pub username: Option<String>,
    /// New API key (e.g. after rotating it).
    pub api_key: Option<String>,
    /// New base URL.
    pub base_url: Option<String>,
    /// New `allow_non_secure` flag.
    pub allow_non_secure: Option<bool>,
}

fn masked(key: &Option<String>) -> Option<String> {
    key.as_ref().map(|k| ApiKey::new(k.as_str()).masked())
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fields")
            .field("username", &self.username)
            .field("api_key", &masked(&self.api_key))
            .field("base_url", &self.base_url)
            .field("allow_non_secure", &self.allow_non_secure)
            .finish()
    }
}

impl Drop for Fields {
    fn drop(&mut self) {
        self.api_key.zeroize();
    }
}

impl fmt::Debug for FileUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileUpdate")
            .field("username", &self.username)
            .field("api_key", &masked(&self.api_key))
            .field("base_url", &self.base_url)
            .field("allow_non_secure", &self.allow_non_secure)
            .finish()
    }
}

/// Parses a whole file; syntax errors name the path, line and column.
pub(crate) fn parse_document(path: &Path, text: &str) -> Result<Map<String, Value>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::FileSyntax,
            format!(
                "{}:{}:{}: not valid JSON: {}",
                path.display(),
                e.line(),
                e.column(),
                describe_json_error(&e)
            ),
        )
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(Error::file_content(
            path,
            None,
            &format!(
                "expected a JSON object with credentials, found {}",
                type_name(&other)
            ),
        )),
    }
}

/// serde_json's message without its own " at line X column Y" suffix (we print ours first).
fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Which layout a document uses, from its keys.
pub(crate) fn detect_layout(path: &Path, doc: &Map<String, Value>) -> Result<Layout> {
    let has_upper = CARTOCREDS_KEYS.iter().any(|k| doc.contains_key(*k));
    let lower: Vec<&str> = LOWERCASE_KEYS
        .iter()
        .copied()
        .filter(|k| doc.contains_key(*k))
        .collect();
    match (has_upper, lower.is_empty()) {
        (true, true) => Ok(Layout::CartoCreds),
        (true, false) => Err(Error::file_content(
            path,
            Some(lower[0]),
            "mixes the cartocreds layout (APIKEY/USERNAME/USERURL) with the CARTOframes layout (username/api_key/base_url); keep one",
        )),
        (false, false) if doc.contains_key("key") && !doc.contains_key("api_key") => {
            Ok(Layout::Legacy)
        }
        (false, false) if doc.contains_key("key") => Err(Error::file_content(
            path,
            Some("key"),
            "has both \"key\" and \"api_key\"; keep one",
        )),
        (false, false) => Ok(Layout::CartoFrames),
        (false, true) => Err(Error::file_content(
            path,
            None,
            "is not a CARTO credentials file: expected APIKEY/USERNAME/USERURL (cartocreds.json) or username/api_key/base_url (CARTOframes creds.json)",
        )),
    }
}

fn optional_string(path: &Path, doc: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::file_content(
            path,
            Some(key),
            &format!("expected a string, found {}", type_name(other)),
        )),
    }
}

fn optional_bool(path: &Path, doc: &Map<String, Value>, key: &str) -> Result<bool> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Error::file_content(
            path,
            Some(key),
            &format!("expected true or false, found {}", type_name(other)),
        )),
    }
}

/// Reads the credential fields of a document in `layout`, expanding `{username}` in `USERURL`.
pub(crate) fn read_fields(path: &Path, layout: Layout, doc: &Map<String, Value>) -> Result<Fields> {
    let keys = layout.keys();
    let username = optional_string(path, doc, keys.username)?;
    let mut base_url = optional_string(path, doc, keys.base_url)?;
    if let Some(url) = base_url
        .as_mut()
        .filter(|u| u.contains(USERNAME_PLACEHOLDER))
    {
        let Some(user) = &username else {
            return Err(Error::file_content(
                path,
                Some(keys.base_url),
                &format!(
                    "contains {USERNAME_PLACEHOLDER} but \"{}\" is missing",
                    keys.username
                ),
            ));
        };
        *url = url.replace(USERNAME_PLACEHOLDER, user);
    }
    Ok(Fields {
        username,
        api_key: optional_string(path, doc, keys.api_key)?,
        base_url,
        allow_non_secure: optional_bool(path, doc, keys.allow_non_secure)?,
    })
}

/// Builds credentials from file fields; rule violations name the path and field.
pub(crate) fn credentials_from_fields(
    path: &Path,
    layout: Layout,
    fields: &Fields,
    allow_non_secure_override: bool,
) -> Result<Credentials> {
    let keys = layout.keys();
    Credentials::new(
        fields.username.as_deref(),
        fields.api_key.as_deref(),
        fields.base_url.as_deref(),
        fields.allow_non_secure || allow_non_secure_override,
    )
    .map_err(|e| {
        let field = match e.kind() {
            ErrorKind::InvalidUsername => Some(keys.username),
            ErrorKind::InvalidBaseUrl | ErrorKind::InsecureBaseUrl => Some(keys.base_url),
            _ => None,
        };
        let context = match field {
            Some(field) => format!("{}: field \"{field}\"", path.display()),
            None => format!("{}", path.display()),
        };
        e.context(context)
    })
}

/// The document to save for `credentials` in `format`.
pub(crate) fn render(credentials: &Credentials, format: FileFormat) -> Map<String, Value> {
    let mut doc = Map::new();
    let username = credentials.username();
    match format {
        FileFormat::CartoCreds => {
            doc.insert(
                "APIKEY".into(),
                credentials.api_key().expose().to_owned().into(),
            );
            if let Some(user) = username {
                doc.insert("USERNAME".into(), user.to_owned().into());
            }
            doc.insert(
                "USERURL".into(),
                url_template(credentials.base_url(), username).into(),
            );
            if credentials.allow_non_secure() {
                doc.insert("ALLOW_NON_SECURE".into(), true.into());
            }
        }
        FileFormat::CartoFrames => {
            doc.insert("username".into(), username.map(str::to_owned).into());
            doc.insert(
                "api_key".into(),
                credentials.api_key().expose().to_owned().into(),
            );
            doc.insert("base_url".into(), credentials.base_url().to_owned().into());
            doc.insert(
                "allow_non_secure".into(),
                credentials.allow_non_secure().into(),
            );
        }
    }
    doc
}

/// `USERURL` as the seed writes it: `https://{username}.carto.com/` for the cloud default,
/// `…/user/{username}/` for organisation and on-premises URLs, else the URL itself.
fn url_template(base_url: &str, username: Option<&str>) -> String {
    if let Some(user) = username {
        if base_url == crate::credentials::base_url::cloud_base_url(user) {
            return format!("https://{USERNAME_PLACEHOLDER}.carto.com/");
        }
        if let Some(prefix) = base_url.strip_suffix(&format!("/user/{user}")) {
            return format!("{prefix}/user/{USERNAME_PLACEHOLDER}/");
        }
    }
    format!("{base_url}/")
}

/// Applies `update` to a document in place, keeping key order and unknown keys.
pub(crate) fn apply_update(layout: Layout, doc: &mut Map<String, Value>, update: &FileUpdate) {
    let keys = layout.keys();
    let mut set = |key: &str, value: Value| {
        if let Some(slot) = doc.get_mut(key) {
            *slot = value;
        } else {
            doc.insert(key.to_owned(), value);
        }
    };
    if let Some(user) = &update.username {
        set(keys.username, user.clone().into());
    }
    if let Some(key) = &update.api_key {
        set(keys.api_key, key.clone().into());
    }
    if let Some(url) = &update.base_url {
        set(keys.base_url, url.clone().into());
    }
    if let Some(allow) = update.allow_non_secure {
        set(keys.allow_non_secure, allow.into());
    }
}

/// The key that holds the API key in `layout`.
pub(crate) fn secret_key(layout: Layout) -> Option<&'static str> {
    Some(layout.keys().api_key)
}

/// Serialises a document the way it is stored: pretty JSON and a final newline.
pub(crate) fn to_bytes(doc: &Map<String, Value>) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(doc).expect("a JSON map always serialises");
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn load(value: Value) -> Result<Credentials> {
        let path = Path::new("/x/c.json");
        let d = doc(value);
        let layout = detect_layout(path, &d)?;
        let fields = read_fields(path, layout, &d)?;
        credentials_from_fields(path, layout, &fields, false)
    }

    #[test]
    fn the_seed_layout_expands_the_username_template() {
        let c = load(json!({"APIKEY": "k1", "USERNAME": "johnsmith", "USERURL": "https://{username}.carto.com/"})).unwrap();
        assert_eq!(c.username(), Some("johnsmith"));
        assert_eq!(c.base_url(), "https://johnsmith.carto.com");
        assert_eq!(c.api_key().expose(), "k1");
    }

    #[test]
    fn every_layout_is_detected_by_its_keys() {
        let cf = json!({"username": "u", "api_key": "k", "base_url": "https://u.carto.com", "allow_non_secure": false});
        let legacy = json!({"key": "k", "username": "u", "base_url": "https://u.carto.com"});
        let v2019 = json!({"username": "u", "api_key": "k", "base_url": "https://u.carto.com/"});
        let p = Path::new("f");
        assert_eq!(
            detect_layout(p, &doc(cf.clone())).unwrap(),
            Layout::CartoFrames
        );
        assert_eq!(
            detect_layout(p, &doc(legacy.clone())).unwrap(),
            Layout::Legacy
        );
        assert_eq!(
            detect_layout(p, &doc(v2019.clone())).unwrap(),
            Layout::CartoFrames
        );
        for v in [cf, legacy, v2019] {
            let c = load(v).unwrap();
            assert_eq!((c.username(), c.api_key().expose()), (Some("u"), "k"));
        }
    }

    #[test]
    fn missing_or_null_key_means_default_public() {
        let c = load(json!({"username": "u", "api_key": null})).unwrap();
        assert!(c.api_key().is_default_public());
        let c = load(json!({"USERNAME": "u"})).unwrap();
        assert_eq!(c.base_url(), "https://u.carto.com");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let err = load(json!({"APIKEY": 12, "USERNAME": "u"})).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileContent);
        assert!(err.message().contains("\"APIKEY\""), "{err}");
        assert!(err.message().contains("a number"), "{err}");
        let err = load(json!({"username": "u", "allow_non_secure": "yes"})).unwrap_err();
        assert!(err.message().contains("allow_non_secure"), "{err}");
    }

    #[test]
    fn a_template_without_username_names_both_fields() {
        let err =
            load(json!({"APIKEY": "k", "USERURL": "https://{username}.carto.com/"})).unwrap_err();
        assert!(err.message().contains("USERURL"), "{err}");
        assert!(err.message().contains("USERNAME"), "{err}");
    }

    #[test]
    fn an_insecure_url_in_a_file_names_path_and_field() {
        let err = load(json!({"username": "u", "base_url": "http://u.carto.com"})).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InsecureBaseUrl);
        assert!(
            err.message().starts_with("/x/c.json: field \"base_url\""),
            "{err}"
        );
        load(json!({"username": "u", "base_url": "http://u.carto.com", "allow_non_secure": true}))
            .unwrap();
    }

    #[test]
    fn unknown_or_mixed_layouts_are_refused() {
        assert!(load(json!({})).is_err());
        assert!(load(json!({"token": "x"})).is_err());
        let err = load(json!({"APIKEY": "k", "username": "u"})).unwrap_err();
        assert!(err.message().contains("mixes"), "{err}");
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let err = parse_document(Path::new("/x/c.json"), "{\n  \"APIKEY\": \"k\",\n  oops\n}")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileSyntax);
        assert!(
            err.message().starts_with("/x/c.json:3:3: not valid JSON"),
            "{err}"
        );
        let err = parse_document(Path::new("f"), "[1]").unwrap_err();
        assert!(err.message().contains("found an array"), "{err}");
    }

    #[test]
    fn render_writes_templates_for_cloud_and_on_premises_urls() {
        let c = Credentials::new(Some("jo"), Some("k"), None, false).unwrap();
        let d = render(&c, FileFormat::CartoCreds);
        assert_eq!(
            Value::Object(d),
            json!({"APIKEY": "k", "USERNAME": "jo", "USERURL": "https://{username}.carto.com/"})
        );
        let c = Credentials::new(
            Some("jo"),
            Some("k"),
            Some("https://h.example/user/jo"),
            false,
        )
        .unwrap();
        assert_eq!(
            render(&c, FileFormat::CartoCreds)["USERURL"],
            json!("https://h.example/user/{username}/")
        );
        let c = Credentials::new(None, Some("k"), Some("http://127.0.0.1:8080"), true).unwrap();
        let d = render(&c, FileFormat::CartoCreds);
        assert_eq!(
            Value::Object(d),
            json!({"APIKEY": "k", "USERURL": "http://127.0.0.1:8080/", "ALLOW_NON_SECURE": true})
        );
    }

    #[test]
    fn render_cartoframes_matches_what_cartoframes_saves() {
        let c = Credentials::new(Some("jo"), Some("k"), None, false).unwrap();
        let d = render(&c, FileFormat::CartoFrames);
        let keys: Vec<&String> = d.keys().collect();
        assert_eq!(
            keys,
            ["username", "api_key", "base_url", "allow_non_secure"]
        );
        assert_eq!(
            Value::Object(d),
            json!({"username": "jo", "api_key": "k", "base_url": "https://jo.carto.com", "allow_non_secure": false})
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let secret = "0123456789abcdef-SECRET";
        let update = FileUpdate {
            api_key: Some(secret.into()),
            ..Default::default()
        };
        let fields = Fields {
            username: None,
            api_key: Some(secret.into()),
            base_url: None,
            allow_non_secure: false,
        };
        for shown in [
            format!("{update:?}"),
            format!("{fields:?}"),
            format!("{update:#?}"),
        ] {
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(shown.contains("0123…"), "{shown}");
        }
    }

    #[test]
    fn update_keeps_order_and_unknown_keys() {
        let mut d = doc(
            json!({"comment": "mine", "APIKEY": "old", "USERNAME": "jo", "USERURL": "https://{username}.carto.com/", "extra": [1]}),
        );
        apply_update(
            Layout::CartoCreds,
            &mut d,
            &FileUpdate {
                api_key: Some("new".into()),
                ..Default::default()
            },
        );
        let keys: Vec<&String> = d.keys().collect();
        assert_eq!(keys, ["comment", "APIKEY", "USERNAME", "USERURL", "extra"]);
        assert_eq!(d["APIKEY"], json!("new"));
        assert_eq!(d["extra"], json!([1]));
    }
}
