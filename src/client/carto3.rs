//! CARTO 3 calls besides SQL: tokens for scripts, `POST /v3/tokens`, connections, the CARTO
//! Data Warehouse token and the Maps API instantiation.

use super::progress::Meter;
use super::request::{Body, Request};
use super::wait::Watch;
use super::Client;
use crate::credentials::kind::CredentialKind;
use crate::credentials::secret::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::token::engine::Bearer;
use crate::token::{CacheKey, StoredToken};
use serde_json::{json, Value};

/// A token valid now, for a script or another tool.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token.
    pub token: Secret,
    /// When it expires, seconds since the epoch (from its `exp`); `None` for a static token
    /// that is not a JWT.
    pub expires_at: Option<i64>,
}

/// What the token cache knows about a client's token, without asking any server.
#[derive(Debug, Clone)]
pub struct TokenStatus {
    /// The credential kind.
    pub kind: CredentialKind,
    /// The cache's description ("file /home/u/.cache/cartoauth/tokens"); `None` for a static
    /// token (it is not cached).
    pub store: Option<String>,
    /// The cache key, for minted and signed-in tokens.
    pub key: Option<CacheKey>,
    /// When the known token expires (seconds since the epoch), if one is known.
    pub expires_at: Option<i64>,
    /// Tokens this process minted for the key.
    pub minted_here: u64,
}

/// Grants of a token minted with `POST /v3/tokens`: what it may read, from where, with which
/// APIs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenGrants {
    /// `(connection_name, source)` pairs: a table name or a SQL query the token may read.
    pub grants: Vec<(String, String)>,
    /// Referers allowed to use it (empty: any).
    pub referers: Vec<String>,
    /// APIs it may use (`sql`, `maps`, `imports`, `lds`); empty: CARTO's default.
    pub allowed_apis: Vec<String>,
}

impl TokenGrants {
    /// Reads `POST /v3/tokens`' own body shape: `{"grants": [{"connection_name", "source"}],
    /// "referers": [...], "allowed_apis": [...]}` (the lists optional), for callers that hold
    /// grants as JSON (the C ABI, R, Julia).
    pub fn from_json(text: &str) -> Result<TokenGrants> {
        let bad = |why: &str| Error::invalid_argument(format!("token grants: {why}"));
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            bad(&format!(
                "not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let strings = |name: &str| -> Result<Vec<String>> {
            match doc.get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| bad(&format!("\"{name}\" must list strings")))
                    })
                    .collect(),
                Some(_) => Err(bad(&format!("\"{name}\" must be a list"))),
            }
        };
        let grants = match doc.get("grants") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|g| {
                    let field = |name: &str| g.get(name).and_then(Value::as_str).map(str::to_owned);
                    match (field("connection_name"), field("source")) {
                        (Some(c), Some(s)) => Ok((c, s)),
                        _ => Err(bad(
                            "each grant needs \"connection_name\" and \"source\" strings",
                        )),
                    }
                })
                .collect::<Result<Vec<_>>>()?,
            _ => {
                return Err(bad(
                    "\"grants\" must be a list of {\"connection_name\", \"source\"}",
                ))
            }
        };
        Ok(TokenGrants {
            grants,
            referers: strings("referers")?,
            allowed_apis: strings("allowed_apis")?,
        })
    }
}

/// A connection of the account (`GET /v3/connections`).
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// Its name, used in `/v3/sql/{name}/...`.
    pub name: String,
    /// The warehouse kind (`bigquery`, `postgres`, `carto_dw`, ...), when given.
    pub provider: Option<String>,
    /// The whole entry, as JSON text.
    pub raw: String,
}

/// The CARTO Data Warehouse's own credentials (`GET /v3/connections/carto-dw/token`).
#[derive(Debug, Clone)]
pub struct DwToken {
    /// The BigQuery project.
    pub project_id: String,
    /// A short-lived BigQuery token.
    pub token: Secret,
}

/// A Maps API instantiation: where the data of a query or table can be fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct MapInstance {
    /// TileJSON URLs (`tilejson.url`).
    pub tilejson_urls: Vec<String>,
    /// GeoJSON URLs (`geojson.url`).
    pub geojson_urls: Vec<String>,
    /// The whole answer, as JSON text.
    pub raw: String,
}

/// What a map is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapSource {
    /// A SQL query.
    Query,
    /// A table name.
    Table,
}

impl Client {
    fn bearer(&self, what: &str) -> Result<&Bearer> {
        self.inner.endpoint.bearer.as_ref().ok_or_else(|| {
            Error::invalid_argument(format!(
                "{what} needs CARTO 3 credentials, and these are CARTO 2 ({})",
                self.credentials().base_url()
            ))
        })
    }

    /// A watch for work that is not one request (minting for a script), bounded by the
    /// client's total time limit.
    fn token_watch(&self) -> Watch {
        Watch::new(
            Meter::new(None, self.inner.options.interrupt.clone()),
            self.inner.options.total_timeout,
        )
    }

    /// A CARTO 3 token valid now (minted if the cache holds none usable), for a script or a
    /// tool that sends it itself. Never a token in its mandatory refresh window.
    ///
    /// Errors: CARTO 2 credentials ([`ErrorKind::InvalidArgument`]); a user who must sign in
    /// ([`ErrorKind::SignInRequired`]); an expired static token ([`ErrorKind::TokenExpired`]);
    /// the token endpoint's errors.
    pub fn access_token(&self) -> Result<AccessToken> {
        let bearer = self.bearer("a CARTO 3 token")?;
        let watch = self.token_watch();
        let _installed = watch.install();
        let lease = bearer.attach(&watch)?;
        Ok(AccessToken {
            token: lease.token.clone(),
            expires_at: lease.exp,
        })
    }

    /// What a request with CARTO 3 credentials does per attempt to carry its token: attach
    /// the cached token (refreshing it if it is due), copy its header, and remember it as a
    /// secret to scrub. For benchmarks only (benches/carto3.rs); not part of the API.
    #[doc(hidden)]
    pub fn bench_attach_token(&self) -> Result<usize> {
        let bearer = self.bearer("attaching a token")?;
        let lease = bearer.attach(&crate::token::mint::Sleep)?;
        let header = lease.header.clone();
        self.learn_secret(lease.token.expose());
        Ok(header.len())
    }

    /// What the token cache knows (no network).
    pub fn token_status(&self) -> Result<TokenStatus> {
        let bearer = self.bearer("a token status")?;
        let kind = self.credentials().kind();
        Ok(match bearer {
            Bearer::Static(lease) => TokenStatus {
                kind,
                store: None,
                key: None,
                expires_at: lease.exp,
                minted_here: 0,
            },
            Bearer::Managed(managed) => TokenStatus {
                kind,
                store: Some(managed.store_description()),
                key: Some(managed.key().clone()),
                expires_at: managed.peek()?.map(|t| t.exp),
                minted_here: managed.minted(),
            },
        })
    }

    /// Forgets the cached token of these credentials, in this process and in the cache
    /// (signing out). Whether the cache held one.
    pub fn forget_token(&self) -> Result<bool> {
        match self.bearer("forgetting a token")?.managed() {
            Some(managed) => managed.forget(),
            None => Ok(false),
        }
    }

    /// Keeps a token obtained by a sign-in (see [`crate::signin`]) for this process and the
    /// others.
    pub(crate) fn keep_token(&self, token: StoredToken) -> Result<()> {
        match self.bearer("keeping a sign-in token")?.managed() {
            Some(managed) => managed.put(token),
            None => Err(Error::invalid_argument(
                "only user sign-in credentials keep sign-in tokens",
            )),
        }
    }

    /// Mints a least-privilege API access token (`POST /v3/tokens`). Needs a user or M2M
    /// token (a static API access token cannot mint others).
    pub fn create_token(&self, grants: &TokenGrants) -> Result<Secret> {
        if grants.grants.is_empty() {
            return Err(Error::invalid_argument(
                "a token needs at least one grant (a connection and a table or query)",
            ));
        }
        for (connection, source) in &grants.grants {
            if connection.trim().is_empty() || source.trim().is_empty() {
                return Err(Error::invalid_argument(
                    "every grant needs a connection name and a source (table or query)",
                ));
            }
        }
        let body = json!({
            "grants": grants.grants.iter()
                .map(|(c, s)| json!({"connection_name": c, "source": s}))
                .collect::<Vec<_>>(),
            "referers": grants.referers,
            "allowed_apis": grants.allowed_apis,
        });
        let response = self
            .send(Request::post("v3/tokens").body(Body::Json(body.to_string())))?
            .error_for_status()?;
        let doc = response.json()?;
        let token = doc
            .get("token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(Secret::new)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "POST /v3/tokens answered without a \"token\"",
                )
            })?;
        self.learn_secret(token.expose());
        Ok(token)
    }

    /// The account's connections (`GET /v3/connections`).
    pub fn connections(&self) -> Result<Vec<Connection>> {
        let response = self
            .send(Request::get("v3/connections"))?
            .error_for_status()?;
        let doc = response.json()?;
        let items = match &doc {
            Value::Array(items) => items.as_slice(),
            Value::Object(o) => match o.get("connections").or_else(|| o.get("data")) {
                Some(Value::Array(items)) => items.as_slice(),
                _ => &[],
            },
            _ => &[],
        };
        Ok(items
            .iter()
            .filter_map(|item| {
                let name = item.get("name")?.as_str()?.to_owned();
                let provider = ["provider_id", "providerId", "provider", "type"]
                    .iter()
                    .find_map(|k| item.get(*k).and_then(Value::as_str))
                    .map(str::to_owned);
                Some(Connection {
                    name,
                    provider,
                    raw: item.to_string(),
                })
            })
            .collect())
    }

    /// The CARTO Data Warehouse's BigQuery project and token.
    pub fn dw_token(&self) -> Result<DwToken> {
        let response = self
            .send(Request::get("v3/connections/carto-dw/token"))?
            .error_for_status()?;
        let doc = response.json()?;
        let field = |name: &str| {
            doc.get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        match (field("projectId"), field("token")) {
            (Some(project), Some(token)) => {
                self.learn_secret(token);
                Ok(DwToken {
                    project_id: project.to_owned(),
                    token: Secret::new(token),
                })
            }
            _ => Err(Error::new(
                ErrorKind::Protocol,
                "the CARTO DW token answer has no projectId and token",
            )),
        }
    }

    /// Instantiates a map of a query or table on `connection` (`POST
    /// /v3/maps/{connection}/{query|table}`); `options` is extra JSON (an object:
    /// `spatialDataColumn`, `columns`, `queryParameters`, ...).
    pub fn map_instantiate(
        &self,
        connection: &str,
        source: MapSource,
        what: &str,
        options: Option<&str>,
    ) -> Result<MapInstance> {
        if what.trim().is_empty() {
            return Err(Error::invalid_argument("the map's query or table is empty"));
        }
        let mut body = match options.filter(|o| !o.trim().is_empty()) {
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(o)) => Value::Object(o),
                _ => return Err(Error::invalid_argument("map options must be a JSON object")),
            },
            None => json!({}),
        };
        let (segment, field) = match source {
            MapSource::Query => ("query", "q"),
            MapSource::Table => ("table", "name"),
        };
        body[field] = json!(what);
        body["client"] = json!("cartoauth");
        body["v"] = json!("3.4");
        let path = format!(
            "v3/maps/{}/{segment}",
            super::sql_v3::connection_segment(connection)?
        );
        let response = self
            .send(Request::post(&path).body(Body::Json(body.to_string())))?
            .error_for_status()?;
        let doc = response.json()?;
        let urls = |name: &str| -> Vec<String> {
            match doc.get(name).and_then(|v| v.get("url")) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|u| u.as_str().map(str::to_owned))
                    .collect(),
                Some(Value::String(u)) => vec![u.clone()],
                _ => Vec::new(),
            }
        };
        Ok(MapInstance {
            tilejson_urls: urls("tilejson"),
            geojson_urls: urls("geojson"),
            raw: doc.to_string(),
        })
    }

    /// Fetches a data URL of a [`MapInstance`] (TileJSON, GeoJSON) with the client's token.
    /// The URL must be on the API base URL's origin: the token goes nowhere else.
    pub fn map_data(&self, url: &str) -> Result<super::Response> {
        self.send(
            Request::get(url)
                .query("v", "3.4")
                .query("client", "cartoauth"),
        )?
        .error_for_status()
    }
}
