//! CARTO's Auth API (`api/v3/api_keys`): list, read, create, delete API keys and regenerate
//! their tokens.
//!
//! Any key may list and read itself; only the master key may see other keys or change
//! anything. A key's token is handed out only by the calls that make it (create and
//! regenerate), as an [`ApiKey`] secret: lists and reads drop the tokens the server sends.

use super::request::{Body, Request};
use super::Client;
use crate::credentials::secret::ApiKey;
use crate::error::{Error, ErrorKind, Result};
use serde_json::{json, Value};
use std::time::Instant;

const KEYS_PATH: &str = "api/v3/api_keys";
/// The page size asked for when listing; every page is fetched.
const PAGE_SIZE: u32 = 20;
/// A lying server (a `total` it never reaches, pages that never end) cannot keep a listing
/// going or growing forever: at most this many keys, and this many bytes of pages, in all.
/// The whole listing also ends within the client's total time limit.
const MAX_KEYS: usize = 10_000;
const MAX_LISTING_BYTES: u64 = 64 << 20;

/// What a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiKeyType {
    /// The account's master key (full access).
    Master,
    /// `default_public`: read-only access to public data.
    Default,
    /// A key with the grants it was created with.
    Regular,
    /// A type this library does not know.
    Unknown,
}

impl ApiKeyType {
    fn parse(text: &str) -> Self {
        match text {
            "master" => ApiKeyType::Master,
            "default" => ApiKeyType::Default,
            "regular" => ApiKeyType::Regular,
            _ => ApiKeyType::Unknown,
        }
    }

    /// CARTO's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyType::Master => "master",
            ApiKeyType::Default => "default",
            ApiKeyType::Regular => "regular",
            ApiKeyType::Unknown => "unknown",
        }
    }
}

/// Access to one table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableGrant {
    /// The table's schema (CARTO uses the account's schema when empty).
    pub schema: String,
    /// The table's name.
    pub name: String,
    /// Any of `select`, `insert`, `update`, `delete`.
    pub permissions: Vec<String>,
}

/// Access to a schema.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaGrant {
    /// The schema's name.
    pub name: String,
    /// CARTO's schema permissions (`create`).
    pub permissions: Vec<String>,
}

/// What a key may do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grants {
    /// The APIs: any of `sql`, `maps`, `do`.
    pub apis: Vec<String>,
    /// Tables and their permissions.
    pub tables: Vec<TableGrant>,
    /// Schemas and their permissions.
    pub schemas: Vec<SchemaGrant>,
    /// Data services: `geocoding`, `routing`, `isolines`, `observatory`.
    pub services: Vec<String>,
}

/// A grant's name, trimmed; blank names are refused (`what` names it in the message).
fn name_of(text: &str, what: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid_argument(format!(
            "argument '{what}' is blank"
        )));
    }
    Ok(text.to_owned())
}

/// "select, insert" as its non-blank items; a list that names none is refused.
fn permission_list(text: &str) -> Result<Vec<String>> {
    let items: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if items.is_empty() {
        return Err(Error::invalid_argument(
            "argument 'permissions' names no permission",
        ));
    }
    Ok(items)
}

/// Building grants item by item, checking each (the server checks the names themselves).
impl Grants {
    /// Grants an API (`sql`, `maps`, `do`). Errors: a blank name.
    pub fn add_api(&mut self, api: &str) -> Result<&mut Self> {
        self.apis.push(name_of(api, "api")?);
        Ok(self)
    }

    /// Grants a data service (`geocoding`, `routing`, `isolines`, `observatory`). Errors: a
    /// blank name.
    pub fn add_service(&mut self, service: &str) -> Result<&mut Self> {
        self.services.push(name_of(service, "service")?);
        Ok(self)
    }

    /// Grants `permissions` ("select,insert,update,delete", comma-separated) on a table, in
    /// `schema` when given. Errors: a blank table, a list that names no permission.
    pub fn add_table(
        &mut self,
        schema: Option<&str>,
        table: &str,
        permissions: &str,
    ) -> Result<&mut Self> {
        self.tables.push(TableGrant {
            schema: schema.unwrap_or_default().trim().to_owned(),
            name: name_of(table, "table")?,
            permissions: permission_list(permissions)?,
        });
        Ok(self)
    }

    /// Grants `permissions` (comma-separated; CARTO's schema permission is "create") on a
    /// schema. Errors: a blank schema, a list that names no permission.
    pub fn add_schema(&mut self, schema: &str, permissions: &str) -> Result<&mut Self> {
        self.schemas.push(SchemaGrant {
            name: name_of(schema, "schema")?,
            permissions: permission_list(permissions)?,
        });
        Ok(self)
    }

    /// CARTO's `grants` array (the form carto-python sends).
    fn to_json(&self) -> Value {
        let mut grants = vec![json!({"type": "apis", "apis": self.apis})];
        if !self.tables.is_empty() || !self.schemas.is_empty() {
            let tables: Vec<Value> = self
                .tables
                .iter()
                .map(|t| {
                    let mut o = json!({"name": t.name, "permissions": t.permissions});
                    if !t.schema.is_empty() {
                        o["schema"] = json!(t.schema);
                    }
                    o
                })
                .collect();
            let schemas: Vec<Value> = self
                .schemas
                .iter()
                .map(|s| json!({"name": s.name, "permissions": s.permissions}))
                .collect();
            grants.push(json!({"type": "database", "tables": tables, "schemas": schemas}));
        }
        if !self.services.is_empty() {
            grants.push(json!({"type": "dataservices", "services": self.services}));
        }
        Value::Array(grants)
    }

    fn from_json(grants: Option<&Value>) -> Grants {
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let text = |v: &Value, name: &str| {
            v.get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let mut out = Grants::default();
        for grant in grants.and_then(Value::as_array).into_iter().flatten() {
            match grant.get("type").and_then(Value::as_str) {
                Some("apis") => out.apis = strings(grant.get("apis")),
                Some("dataservices") => out.services = strings(grant.get("services")),
                Some("database") => {
                    for t in grant
                        .get("tables")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        out.tables.push(TableGrant {
                            schema: text(t, "schema"),
                            name: text(t, "name"),
                            permissions: strings(t.get("permissions")),
                        });
                    }
                    for s in grant
                        .get("schemas")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        out.schemas.push(SchemaGrant {
                            name: text(s, "name"),
                            permissions: strings(s.get("permissions")),
                        });
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// A key as the Auth API describes it, without its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    /// The key's name (unique per account).
    pub name: String,
    /// What it is.
    pub key_type: ApiKeyType,
    /// What it may do.
    pub grants: Grants,
    /// Creation time, as the server sent it.
    pub created_at: Option<String>,
    /// Last change, as the server sent it.
    pub updated_at: Option<String>,
}

impl ApiKeyInfo {
    fn from_json(doc: &Value) -> Result<ApiKeyInfo> {
        let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
        let name = text("name").ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "the Auth API answered a key without a \"name\"",
            )
        })?;
        Ok(ApiKeyInfo {
            name,
            key_type: ApiKeyType::parse(text("type").as_deref().unwrap_or("")),
            grants: Grants::from_json(doc.get("grants")),
            created_at: text("created_at"),
            updated_at: text("updated_at"),
        })
    }
}

/// A key together with its token, as returned by create and regenerate only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// The key.
    pub info: ApiKeyInfo,
    /// Its token (masked in `Debug`; [`ApiKey::expose`] reveals it).
    pub token: ApiKey,
}

impl NewApiKey {
    fn from_json(doc: &Value) -> Result<NewApiKey> {
        let info = ApiKeyInfo::from_json(doc)?;
        let token = doc
            .get("token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "the Auth API answered key {} without its token",
                        crate::text::excerpt::quoted(&info.name)
                    ),
                )
            })?;
        Ok(NewApiKey {
            info,
            token: ApiKey::new(token),
        })
    }
}

/// `api/v3/api_keys/{name}`, the name percent-encoded as one path segment.
fn key_path(name: &str, suffix: &str) -> Result<String> {
    if name.trim().is_empty() || name == "." || name == ".." {
        return Err(Error::invalid_argument(format!(
            "API key name {name:?} is blank or a path step"
        )));
    }
    let escaped = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    Ok(format!("{KEYS_PATH}/{escaped}{suffix}"))
}

/// A listing's failure: a page larger than what is left of the listing's bytes, or the
/// listing's time spent, says so.
fn listing_failed(error: Error, keys: &[ApiKeyInfo]) -> Error {
    match error.kind() {
        ErrorKind::BodyTooLarge => Error::new(
            ErrorKind::Protocol,
            format!(
                "the Auth API's key list did not end within {MAX_LISTING_BYTES} bytes ({} keys so far)",
                keys.len()
            ),
        ),
        _ => error.context(format!("listing API keys ({} so far)", keys.len())),
    }
}

impl Client {
    /// Every key this client's key may see (all pages): with the master key every key of the
    /// account (master, default, then regular keys), with another key only itself.
    pub fn api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        self.api_keys_paged(PAGE_SIZE)
    }

    pub(crate) fn api_keys_paged(&self, per_page: u32) -> Result<Vec<ApiKeyInfo>> {
        let deadline = self
            .options()
            .total_timeout
            .and_then(|limit| Instant::now().checked_add(limit));
        let mut keys = Vec::new();
        let mut bytes = 0u64;
        // Every page but the last adds keys, so MAX_KEYS bounds the pages too.
        let mut page = 0u32;
        loop {
            page += 1;
            let request = Request::get(KEYS_PATH)
                .idempotent(true)
                .until(deadline)
                .body_limit(MAX_LISTING_BYTES - bytes)
                .query("page", &page.to_string())
                .query("per_page", &per_page.to_string());
            let response = self.send(request).map_err(|e| listing_failed(e, &keys))?;
            bytes += response.body().len() as u64;
            let doc = response.error_for_status()?.json()?;
            let items = doc.get("result").and_then(Value::as_array).ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "the Auth API answered a key list without a \"result\" array",
                )
            })?;
            if keys.len() + items.len() > MAX_KEYS {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "the Auth API's key list did not end within {MAX_KEYS} keys (page {page})"
                    ),
                ));
            }
            for item in items {
                keys.push(ApiKeyInfo::from_json(item)?);
            }
            // carto-python's paginator: keep going while fewer than `total` were seen. A page
            // shorter than asked for is the last one, whatever `total` says.
            let total = ["total", "total_entries", "total_user_entries"]
                .iter()
                .find_map(|k| doc.get(*k).and_then(Value::as_u64));
            let more = total.is_some_and(|t| (keys.len() as u64) < t);
            if items.is_empty() || items.len() < per_page as usize || !more {
                return Ok(keys);
            }
        }
    }

    /// One key by name. A key other than the master key may read only itself; any other
    /// name is [`ErrorKind::HttpNotFound`] ("API key not found: name").
    pub fn api_key(&self, name: &str) -> Result<ApiKeyInfo> {
        let doc = self
            .send(Request::get(&key_path(name, "")?).idempotent(true))?
            .error_for_status()?
            .json()?;
        ApiKeyInfo::from_json(&doc)
    }

    /// Creates a regular key with `grants` (master key only) and returns it with its token.
    /// A taken name is [`ErrorKind::HttpClientError`] (422 "Validation failed: Name has already
    /// been taken").
    pub fn create_api_key(&self, name: &str, grants: &Grants) -> Result<NewApiKey> {
        if name.trim().is_empty() {
            return Err(Error::invalid_argument("API key name is blank"));
        }
        if grants.apis.is_empty() {
            // carto-python refuses this too: a key without APIs can do nothing.
            return Err(Error::invalid_argument(
                "grants.apis is empty: a key needs at least one API (sql, maps, do)",
            ));
        }
        let body = json!({"name": name, "grants": grants.to_json()}).to_string();
        let response = self.send(Request::post(KEYS_PATH).body(Body::Json(body)))?;
        let response = self.master_only(response, "create an API key")?;
        self.new_key(&response.json()?)
    }

    /// Deletes a regular key (master key only; the master and default keys cannot be deleted:
    /// 403).
    pub fn delete_api_key(&self, name: &str) -> Result<()> {
        let response = self.send(Request::new("DELETE", &key_path(name, "")?))?;
        self.master_only(response, "delete an API key")?;
        Ok(())
    }

    /// Gives a key a new token (master key only) and returns it; the old token stops working.
    pub fn regenerate_api_key(&self, name: &str) -> Result<NewApiKey> {
        let path = key_path(name, "/token/regenerate")?;
        let response = self.send(Request::post(&path).body(Body::Json("{}".into())))?;
        let response = self.master_only(response, "regenerate an API key")?;
        self.new_key(&response.json()?)
    }

    /// The key and token of a create or regenerate answer; the token is remembered so that no
    /// later message shows it.
    fn new_key(&self, doc: &Value) -> Result<NewApiKey> {
        let new = NewApiKey::from_json(doc)?;
        self.learn_secret(new.token.expose());
        Ok(new)
    }

    /// The Auth API answers an empty 401 both to a wrong key and to a valid key that is not
    /// the master key. Tell them apart (a valid key can list itself) so that a regular key
    /// gets a clear 403 instead of "wrong key".
    fn master_only(&self, response: super::Response, action: &str) -> Result<super::Response> {
        if response.status() != 401 {
            return response.error_for_status();
        }
        let listed = self
            .send(
                Request::get(KEYS_PATH)
                    .idempotent(true)
                    .query("per_page", "1"),
            )
            .is_ok_and(|r| r.status() == 200);
        if listed {
            return Err(Error::new(
                ErrorKind::HttpForbidden,
                format!(
                    "only the account's master key may {action}; this client's key ({}) is valid but not the master key",
                    self.credentials().api_key().masked()
                ),
            )
            .with_http_status(401));
        }
        response.error_for_status()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn grants_are_built_item_by_item_and_checked() {
        let mut grants = Grants::default();
        grants
            .add_api(" sql ")
            .unwrap()
            .add_service("geocoding")
            .unwrap();
        grants
            .add_table(None, "points", "select, insert,,")
            .unwrap();
        grants.add_schema("public", "create").unwrap();
        assert_eq!(grants.apis, ["sql"]);
        assert_eq!(grants.tables[0].permissions, ["select", "insert"]);
        assert_eq!(grants.tables[0].schema, "");
        let refused = |r: Result<&mut Grants>| r.err().unwrap().to_string();
        let mut g = Grants::default();
        assert!(refused(g.add_api(" ")).contains("'api' is blank"));
        assert!(refused(g.add_table(Some("s"), "t", " , ")).contains("names no permission"));
        assert!(refused(g.add_schema("", "create")).contains("'schema' is blank"));
        assert_eq!(g, Grants::default(), "refused items are not added");
    }

    use super::*;

    #[test]
    fn grants_round_trip_through_carto_json() {
        let grants = Grants {
            apis: vec!["sql".into(), "maps".into()],
            tables: vec![TableGrant {
                schema: "public".into(),
                name: "t".into(),
                permissions: vec!["select".into()],
            }],
            schemas: vec![SchemaGrant {
                name: "public".into(),
                permissions: vec!["create".into()],
            }],
            services: vec!["geocoding".into()],
        };
        let doc = grants.to_json();
        assert_eq!(doc[0], json!({"type": "apis", "apis": ["sql", "maps"]}));
        assert_eq!(doc[1]["tables"][0]["schema"], "public");
        assert_eq!(Grants::from_json(Some(&doc)), grants);
        let bare = Grants {
            apis: vec!["sql".into()],
            ..Default::default()
        };
        assert_eq!(bare.to_json().as_array().unwrap().len(), 1);
    }

    #[test]
    fn names_are_one_escaped_path_segment() {
        assert_eq!(
            key_path("Default public", "").unwrap(),
            "api/v3/api_keys/Default%20public"
        );
        assert_eq!(
            key_path("a/../b?x#y", "/token/regenerate").unwrap(),
            "api/v3/api_keys/a%2F%2E%2E%2Fb%3Fx%23y/token/regenerate"
        );
        for bad in ["", "  ", ".", ".."] {
            assert_eq!(
                key_path(bad, "").unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
        }
    }

    #[test]
    fn tokens_are_kept_only_by_new_keys_and_masked() {
        let doc = json!({"name": "k", "type": "regular", "token": "tok-1234567890abcdef",
            "grants": [{"type": "apis", "apis": ["sql"]}]});
        let info = ApiKeyInfo::from_json(&doc).unwrap();
        assert!(!format!("{info:?}").contains("tok-"));
        let new = NewApiKey::from_json(&doc).unwrap();
        assert_eq!(new.token.expose(), "tok-1234567890abcdef");
        assert!(!format!("{new:?}").contains("567890"), "{new:?}");
        let e = NewApiKey::from_json(&json!({"name": "k"})).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }
}
