//! Which API a path addresses and which user it is for: `/user/{user}/...` (or Rails' `/u/`),
//! else the first DNS label of the Host header (`{user}.localhost:port`).

use hyper::header::{HeaderMap, HOST};
use hyper::Uri;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/api/{v}/sql` or `/api/{v}/sql.{format}`
    Sql {
        format: Option<String>,
    },
    /// `/api/{v}/sql/job`
    Jobs,
    /// `/api/{v}/sql/job/{id}`
    Job(String),
    CopyFrom,
    CopyTo,
    /// `/api/v3/me`
    Me,
    /// `/api/v3/api_keys`
    ApiKeys,
    /// `/api/v3/api_keys/{name}`
    ApiKey(String),
    /// `/api/v3/api_keys/{name}/token/regenerate`
    RegenerateKey(String),
    /// `/api/v4/do/token`
    DoToken,
    /// CARTO 3 (served with `--carto3` only).
    Carto3(Carto3Route),
    NotFound,
}

/// CARTO 3's routes, all at the root of their hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carto3Route {
    /// The issuer: `/authorize`, `/oauth/token`, `/.well-known/jwks.json`.
    Authorize,
    OAuthToken,
    Jwks,
    /// Discovery: `/accounts` (accounts.app.carto.com) and the tenant's `/config.yaml`.
    Accounts,
    TenantConfig,
    /// The API under `/v3/`.
    V3(V3Route),
}

/// The v3 API's endpoints (relative to the API base URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V3Route {
    /// `/v3/sql/{connection}/query`
    SqlQuery(String),
    /// `/v3/sql/{connection}/job`
    SqlJobs(String),
    /// `/v3/sql/{connection}/job/{id}`
    SqlJob(String, String),
    /// `/v3/sql/jobs`
    AllJobs,
    /// `/v3/tokens`
    Tokens,
    /// `/v3/tokens/{token}`
    Token(String),
    /// `/v3/connections`
    Connections,
    /// `/v3/connections/carto-dw/token`
    DwToken,
    /// `/v3/maps/{connection}/{query|table}`
    MapInstantiate {
        connection: String,
        kind: String,
    },
    /// `/v3/maps/{connection}/{kind}/{id}/tilejson`
    MapTileJson {
        connection: String,
        id: String,
    },
    /// `/v3/maps/{connection}/{kind}/{id}/geojson`
    MapGeoJson {
        connection: String,
        id: String,
    },
    /// `/v3/maps/{connection}/{kind}/{id}/{z}/{x}/{y}`
    MapTile {
        connection: String,
        id: String,
        z: String,
        x: String,
        y: String,
    },
    /// `/v3/lds/geocoding/geocode`
    LdsGeocode,
    NotFound,
}

impl Route {
    /// Routes of the SQL API (rate limited, with Carto-User headers).
    pub fn is_sql_api(&self) -> bool {
        matches!(
            self,
            Route::Sql { .. } | Route::Jobs | Route::Job(_) | Route::CopyFrom | Route::CopyTo
        )
    }
}

/// Decodes a path segment: `%XX` escapes only (`+` is literal in paths); a malformed escape
/// stays as it is, invalid UTF-8 becomes U+FFFD.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Splits a path into (user from the path, route).
pub fn parse(path: &str) -> (Option<String>, Route) {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let (user, rest) = match segs.first().map(String::as_str) {
        Some("user") | Some("u") if segs.len() >= 2 => (Some(segs[1].clone()), &segs[2..]),
        _ => (None, &segs[..]),
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let route = match rest.as_slice() {
        ["api", _v, sql] if *sql == "sql" => Route::Sql { format: None },
        ["api", _v, sql] if sql.starts_with("sql.") => Route::Sql {
            format: Some(sql["sql.".len()..].to_string()),
        },
        ["api", _v, "sql", "job"] => Route::Jobs,
        ["api", _v, "sql", "job", id] => Route::Job(id.to_string()),
        ["api", _v, "sql", "copyfrom"] => Route::CopyFrom,
        ["api", _v, "sql", "copyto"] => Route::CopyTo,
        ["api", "v3", "me"] => Route::Me,
        ["api", "v3", "api_keys"] => Route::ApiKeys,
        ["api", "v3", "api_keys", name] => Route::ApiKey(name.to_string()),
        ["api", "v3", "api_keys", name, "token", "regenerate"] => {
            Route::RegenerateKey(name.to_string())
        }
        ["api", "v4", "do", "token"] => Route::DoToken,
        // CARTO 3 lives at the root of its own hosts, never under /user/{u}.
        ["authorize"] if user.is_none() => Route::Carto3(Carto3Route::Authorize),
        ["oauth", "token"] if user.is_none() => Route::Carto3(Carto3Route::OAuthToken),
        [".well-known", "jwks.json"] if user.is_none() => Route::Carto3(Carto3Route::Jwks),
        ["accounts"] if user.is_none() => Route::Carto3(Carto3Route::Accounts),
        ["config.yaml"] if user.is_none() => Route::Carto3(Carto3Route::TenantConfig),
        ["v3", rest @ ..] if user.is_none() => Route::Carto3(Carto3Route::V3(v3_route(rest))),
        _ => Route::NotFound,
    };
    (user, route)
}

fn v3_route(segs: &[&str]) -> V3Route {
    let s = |x: &str| x.to_string();
    match segs {
        ["sql", "jobs"] => V3Route::AllJobs,
        ["sql", conn, "query"] => V3Route::SqlQuery(s(conn)),
        ["sql", conn, "job"] => V3Route::SqlJobs(s(conn)),
        ["sql", conn, "job", id] => V3Route::SqlJob(s(conn), s(id)),
        ["tokens"] => V3Route::Tokens,
        ["tokens", token] => V3Route::Token(s(token)),
        ["connections"] => V3Route::Connections,
        ["connections", "carto-dw", "token"] => V3Route::DwToken,
        ["maps", conn, kind] if ["query", "table"].contains(kind) => V3Route::MapInstantiate {
            connection: s(conn),
            kind: s(kind),
        },
        ["maps", conn, kind, id, "tilejson"] if ["query", "table"].contains(kind) => {
            V3Route::MapTileJson {
                connection: s(conn),
                id: s(id),
            }
        }
        ["maps", conn, kind, id, "geojson"] if ["query", "table"].contains(kind) => {
            V3Route::MapGeoJson {
                connection: s(conn),
                id: s(id),
            }
        }
        ["maps", conn, kind, id, z, x, y] if ["query", "table"].contains(kind) => {
            V3Route::MapTile {
                connection: s(conn),
                id: s(id),
                z: s(z),
                x: s(x),
                y: s(y),
            }
        }
        ["lds", "geocoding", "geocode"] => V3Route::LdsGeocode,
        _ => V3Route::NotFound,
    }
}

/// The host of the request (Host header, or the URI's authority for HTTP/2).
pub fn request_host(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| uri.authority().map(|a| a.to_string()))
}

/// CARTO's `^([^\.]+)\.` on the Host header: `demo.localhost:8080` → `demo`. A host without a
/// dot has no user; an IP address yields its first number, which is never a valid user.
pub fn host_user(host: &str) -> Option<String> {
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let (label, _) = host.split_once('.')?;
    (!label.is_empty()).then(|| label.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_routes() {
        assert_eq!(
            parse("/user/demo/api/v2/sql"),
            (Some("demo".into()), Route::Sql { format: None })
        );
        assert_eq!(
            parse("/api/v1/sql.csv"),
            (
                None,
                Route::Sql {
                    format: Some("csv".into())
                }
            )
        );
        assert_eq!(
            parse("/user/demo/api/v2/sql/job/"),
            (Some("demo".into()), Route::Jobs)
        );
        assert_eq!(parse("/api/v2/sql/job/abc").1, Route::Job("abc".into()));
        assert_eq!(parse("/api/v2/sql/copyfrom").1, Route::CopyFrom);
        assert_eq!(parse("/api/v2/sql/copyto").1, Route::CopyTo);
        assert_eq!(parse("/u/bob/api/v3/me"), (Some("bob".into()), Route::Me));
        assert_eq!(parse("/api/v3/api_keys/").1, Route::ApiKeys);
        assert_eq!(
            parse("/api/v3/api_keys/Default%20public").1,
            Route::ApiKey("Default public".into())
        );
        assert_eq!(
            parse("/api/v3/api_keys/k/token/regenerate").1,
            Route::RegenerateKey("k".into())
        );
        assert_eq!(parse("/api/v4/do/token").1, Route::DoToken);
        assert_eq!(parse("/").1, Route::NotFound);
        assert_eq!(parse("/user/demo").1, Route::NotFound);
        assert_eq!(parse("/api/v3/sql").1, Route::Sql { format: None });
    }

    #[test]
    fn carto3_routes_live_at_the_root_only() {
        let c3 = |p: &str| match parse(p).1 {
            Route::Carto3(r) => r,
            other => panic!("{p}: {other:?}"),
        };
        assert_eq!(c3("/authorize"), Carto3Route::Authorize);
        assert_eq!(c3("/oauth/token"), Carto3Route::OAuthToken);
        assert_eq!(c3("/.well-known/jwks.json"), Carto3Route::Jwks);
        assert_eq!(c3("/accounts"), Carto3Route::Accounts);
        assert_eq!(c3("/config.yaml"), Carto3Route::TenantConfig);
        assert_eq!(parse("/user/demo/oauth/token").1, Route::NotFound);
        assert_eq!(parse("/user/demo/v3/sql/x/query").1, Route::NotFound);
        let v3 = |p: &str| match parse(p).1 {
            Route::Carto3(Carto3Route::V3(r)) => r,
            other => panic!("{p}: {other:?}"),
        };
        assert_eq!(
            v3("/v3/sql/carto_dw/query"),
            V3Route::SqlQuery("carto_dw".into())
        );
        assert_eq!(v3("/v3/sql/jobs"), V3Route::AllJobs);
        assert_eq!(
            v3("/v3/sql/c/job/j1"),
            V3Route::SqlJob("c".into(), "j1".into())
        );
        assert_eq!(v3("/v3/connections/carto-dw/token"), V3Route::DwToken);
        assert_eq!(v3("/v3/tokens/abc"), V3Route::Token("abc".into()));
        assert_eq!(
            v3("/v3/maps/c/table/m1/3/4/5"),
            V3Route::MapTile {
                connection: "c".into(),
                id: "m1".into(),
                z: "3".into(),
                x: "4".into(),
                y: "5".into()
            }
        );
        assert_eq!(v3("/v3/maps/c/tileset"), V3Route::NotFound);
        assert_eq!(v3("/v3/lds/geocoding/geocode"), V3Route::LdsGeocode);
    }

    #[test]
    fn host_users() {
        assert_eq!(host_user("demo.localhost:8080").as_deref(), Some("demo"));
        assert_eq!(host_user("demo.carto.com").as_deref(), Some("demo"));
        assert_eq!(host_user("localhost:8080"), None);
        assert_eq!(host_user("127.0.0.1:8080").as_deref(), Some("127"));
    }

    #[test]
    fn percent_decoding_is_safe_at_the_end() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%"), "%");
    }
}
