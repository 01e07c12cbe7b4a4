//! The Auth API (`/api/v3/api_keys`): list, create, show, delete and regenerate keys, with the
//! Rails app's error shape and its empty-bodied 401. Created keys become real LOGIN roles with
//! their grants; deleted keys drop their role.

// Handlers bail out early with finished responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::{Method, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

use crate::http::auth::{self, Transport};
use crate::http::context::{read_body, Ctx};
use crate::http::errors::{auth_api_error, empty_unauthorized, json_response};
use crate::http::form::{self, Params};
use crate::http::routes::Route;
use crate::pg::accounts::{
    self, ApiKey, KeyType, SchemaGrant, TableGrant, User, TABLE_PERMISSIONS,
};
use crate::pg::provision;
use crate::state::App;

const DEFAULT_PER_PAGE: u64 = 20;

fn time_str(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S +0000").to_string()
}

/// The key as the Auth API presents it.
pub fn key_json(user: &User, key: &ApiKey) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(key.name));
    m.insert("user".into(), json!({ "username": user.username }));
    m.insert("type".into(), json!(key.key_type.as_str()));
    m.insert("token".into(), json!(key.token));
    let mut grants = vec![
        json!({"type": "apis", "apis": key.apis}),
        json!({"type": "database", "tables": key.tables, "schemas": key.schemas}),
    ];
    if !key.services.is_empty() {
        grants.push(json!({"type": "dataservices", "services": key.services}));
    }
    m.insert("grants".into(), Value::Array(grants));
    m.insert("created_at".into(), json!(time_str(&key.created_at)));
    m.insert("updated_at".into(), json!(time_str(&key.updated_at)));
    Value::Object(m)
}

/// Everything but RFC 3986's unreserved characters is escaped in a key name put in a path.
const PATH_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a key name for a URL path.
fn escape_path(s: &str) -> String {
    utf8_percent_encode(s, PATH_ESCAPED).to_string()
}

pub async fn handle(app: &Arc<App>, ctx: &Ctx, body: Body) -> Response {
    match run(app, ctx, body).await {
        Ok(r) | Err(r) => r,
    }
}

async fn run(app: &Arc<App>, ctx: &Ctx, body: Body) -> Result<Response, Response> {
    let name = ctx.user_name().unwrap_or_default();
    let user = app.registry.read().unwrap().user(&name).cloned();
    let Some(user) = user else {
        return Err(auth_api_error(
            StatusCode::NOT_FOUND,
            format!("Sorry, we can't find CARTO user '{name}'. Please check that you have entered the correct domain."),
        ));
    };
    ctx.record_user(&user.username, &user.id);
    let query = form::parse_urlencoded(ctx.raw_query());
    let body_params = if ctx.method == Method::GET || ctx.method == Method::DELETE {
        Params::default()
    } else {
        let bytes = read_body(&ctx.headers, body, 1024 * 1024)
            .await
            .map_err(|e| auth_api_error(e.status, e.messages()[0].as_str().unwrap_or("")))?;
        let ctype = ctx
            .headers
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if ctype.starts_with("application/x-www-form-urlencoded") {
            form::parse_urlencoded(&bytes)
        } else {
            // Rails parses JSON bodies whatever the client claims, if they are JSON.
            form::parse_json_body(&bytes).map_err(|e| auth_api_error(StatusCode::BAD_REQUEST, e))?
        }
    };
    let merged = Params::merged(&query, &body_params);
    ctx.record_client(merged.get_str("client"));
    let caller = authenticate(ctx, &user, &query, &body_params)?;

    match (ctx.route.clone(), ctx.method.clone()) {
        (Route::ApiKeys, Method::GET) => list(ctx, app, &user, &caller, &merged),
        (Route::ApiKeys, Method::POST) => {
            require_master(&caller)?;
            create(app, &user, &body_params).await
        }
        (Route::ApiKey(name), Method::GET) => {
            let visible = caller.key_type == KeyType::Master || caller.name == name;
            match user.key_by_name(&name).filter(|_| visible) {
                Some(k) => Ok(json_response(StatusCode::OK, &key_json(&user, k))),
                None => Err(key_not_found(&name)),
            }
        }
        (Route::ApiKey(name), Method::DELETE) => {
            require_master(&caller)?;
            destroy(app, &user, &name).await
        }
        (Route::RegenerateKey(name), Method::POST) => {
            require_master(&caller)?;
            regenerate(app, &user, &name)
        }
        _ => Err(auth_api_error(StatusCode::NOT_FOUND, "Not found")),
    }
}

/// A superuser connection, to create or drop a key's role.
async fn superuser(app: &App) -> Result<crate::pg::db::PooledConn, Response> {
    app.pool
        .get(crate::pg::server::SUPERUSER)
        .await
        .map_err(|e| auth_api_error(StatusCode::INTERNAL_SERVER_ERROR, provision::pg_message(&e)))
}

fn key_not_found(name: &str) -> Response {
    auth_api_error(StatusCode::NOT_FOUND, format!("API key not found: {name}"))
}

/// Basic (user must match) or `api_key` from the query string or JSON body; else 401, empty.
fn authenticate(ctx: &Ctx, user: &User, query: &Params, body: &Params) -> Result<ApiKey, Response> {
    let (transport, token) = if let Some((basic_user, key)) = auth::parse_basic(&ctx.headers) {
        if basic_user != user.username {
            ctx.record_key(Transport::Basic, None);
            return Err(empty_unauthorized());
        }
        (Transport::Basic, Some(key))
    } else if let Some(k) = query.get_str("api_key").filter(|k| !k.is_empty()) {
        (Transport::Query, Some(k))
    } else if let Some(k) = body.get_str("api_key").filter(|k| !k.is_empty()) {
        (Transport::Body, Some(k))
    } else {
        (Transport::None, None)
    };
    let key = token.and_then(|t| user.key_by_token(&t).cloned());
    ctx.record_key(transport, key.as_ref());
    key.ok_or_else(empty_unauthorized)
}

fn require_master(caller: &ApiKey) -> Result<(), Response> {
    if caller.key_type == KeyType::Master {
        Ok(())
    } else {
        Err(empty_unauthorized())
    }
}

fn list(
    ctx: &Ctx,
    app: &App,
    user: &User,
    caller: &ApiKey,
    params: &Params,
) -> Result<Response, Response> {
    let types = params.get_list("type");
    let mut wanted = Vec::new();
    for t in &types {
        match KeyType::parse(t) {
            Some(k) => wanted.push(k),
            None => {
                return Err(auth_api_error(
                    StatusCode::BAD_REQUEST,
                    "Wrong 'type' parameter value. Valid values are one of [\"master\", \"default\", \"regular\"]",
                ))
            }
        }
    }
    let page = params
        .get_str("page")
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = params
        .get_str("per_page")
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, 1000);
    // A non-master key only ever sees itself.
    let visible: Vec<&ApiKey> = user
        .keys
        .iter()
        .filter(|k| caller.key_type == KeyType::Master || k.name == caller.name)
        .filter(|k| wanted.is_empty() || wanted.contains(&k.key_type))
        .collect();
    let total = visible.len() as u64;
    let base = ctx.user_base_url(app.scheme, &user.username);
    let result: Vec<Value> = visible
        .iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .map(|k| {
            let mut v = key_json(user, k);
            if let Value::Object(m) = &mut v {
                m.insert(
                    "_links".into(),
                    json!({"self": format!("{base}/api/v3/api_keys/{}", escape_path(&k.name))}),
                );
            }
            v
        })
        .collect();
    let last = total.div_ceil(per_page).max(1);
    let type_suffix = if types.is_empty() {
        String::new()
    } else {
        format!("&type={}", escape_path(&types.join(",")))
    };
    let link = |p: u64| json!({"href": format!("{base}/api/v3/api_keys?page={p}&per_page={per_page}{type_suffix}")});
    let mut links = Map::new();
    links.insert("first".into(), link(1));
    if page > 1 {
        links.insert("prev".into(), link(page - 1));
    }
    if last > page {
        links.insert("next".into(), link(page + 1));
    }
    links.insert("last".into(), link(last));
    let body = json!({
        "total": total,
        "count": result.len(),
        "result": result,
        "_links": Value::Object(links),
    });
    Ok(json_response(StatusCode::OK, &body))
}

fn validation(msg: impl Into<String>) -> Response {
    auth_api_error(StatusCode::UNPROCESSABLE_ENTITY, msg)
}

/// Reads the `grants` of a create request into (apis, tables, schemas, services).
#[allow(clippy::type_complexity)]
fn parse_grants(
    user: &User,
    grants: Option<&Value>,
) -> Result<(Vec<String>, Vec<TableGrant>, Vec<SchemaGrant>, Vec<String>), Response> {
    let Some(Value::Array(grants)) = grants else {
        return Err(validation("grants has to be an array"));
    };
    let mut apis = Vec::new();
    let mut tables = Vec::new();
    let mut schemas = Vec::new();
    let mut services = Vec::new();
    let strings = |v: Option<&Value>, what: &str| -> Result<Vec<String>, Response> {
        match v {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str().map(String::from).ok_or_else(|| {
                        validation(format!("Validation failed: Grants {what} must be strings"))
                    })
                })
                .collect(),
            Some(_) => Err(validation(format!(
                "Validation failed: Grants {what} has to be an array"
            ))),
        }
    };
    for g in grants {
        let kind = g.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "apis" => {
                apis = strings(g.get("apis"), "apis")?;
                for a in &apis {
                    if !["sql", "maps", "do"].contains(&a.as_str()) {
                        return Err(validation(format!(
                            "Validation failed: Grants api \"{a}\" did not match one of the following values: sql, maps, do"
                        )));
                    }
                }
            }
            "database" => {
                for t in g.get("tables").and_then(Value::as_array).into_iter().flatten() {
                    let name = t.get("name").and_then(Value::as_str).unwrap_or("");
                    if name.is_empty() {
                        return Err(validation("Validation failed: Grants table name can't be blank"));
                    }
                    let schema = t
                        .get("schema")
                        .and_then(Value::as_str)
                        .unwrap_or(&user.schema);
                    if schema != user.schema && schema != "public" {
                        return Err(validation(format!(
                            "Validation failed: Grants schema \"{schema}\" is not the user's schema"
                        )));
                    }
                    let permissions = strings(t.get("permissions"), "permissions")?;
                    for p in &permissions {
                        if !TABLE_PERMISSIONS.contains(&p.as_str()) {
                            return Err(validation(format!(
                                "Validation failed: Grants permissions \"{p}\" did not match one of the following values: {}",
                                TABLE_PERMISSIONS.join(", ")
                            )));
                        }
                    }
                    tables.push(TableGrant {
                        schema: user.schema.clone(),
                        name: name.to_string(),
                        owner: user.master_role(),
                        permissions: provision::normalize_permissions(&permissions),
                    });
                }
                for s in g.get("schemas").and_then(Value::as_array).into_iter().flatten() {
                    let sg = SchemaGrant {
                        name: s
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        permissions: strings(s.get("permissions"), "schema permissions")?,
                    };
                    if sg.name != user.schema {
                        return Err(validation(format!(
                            "Validation failed: Grants schema \"{}\" is not the user's schema",
                            sg.name
                        )));
                    }
                    provision::validate_schema_grant(&sg).map_err(validation)?;
                    schemas.push(sg);
                }
            }
            "dataservices" => services = strings(g.get("services"), "services")?,
            "user" => {}
            other => {
                return Err(validation(format!(
                    "Validation failed: Grants type \"{other}\" did not match one of the following values: apis, database, dataservices, user"
                )))
            }
        }
    }
    Ok((apis, tables, schemas, services))
}

async fn create(app: &Arc<App>, user: &User, body: &Params) -> Result<Response, Response> {
    let name = body.get_str("name").unwrap_or_default();
    if name.trim().is_empty() {
        return Err(validation("Validation failed: Name can't be blank"));
    }
    let (apis, tables, schemas, services) = parse_grants(user, body.0.get("grants"))?;
    let _serial = app.keys_lock.lock().await;
    let current = app.registry.read().unwrap().user(&user.username).cloned();
    let Some(current) = current else {
        return Err(auth_api_error(StatusCode::NOT_FOUND, "user vanished"));
    };
    if current.key_by_name(&name).is_some() {
        return Err(validation("Validation failed: Name has already been taken"));
    }
    let now = chrono::Utc::now();
    let key = ApiKey {
        name: name.clone(),
        key_type: KeyType::Regular,
        token: accounts::random_token(),
        role: accounts::regular_role(&user.username, &name),
        apis,
        tables,
        schemas,
        services,
        created_at: now,
        updated_at: now,
    };
    let su = superuser(app).await?;
    if let Err(e) = provision::create_key_role(&su.client, &current, &key).await {
        // Leave nothing half made behind.
        let _ = provision::drop_key_role(&su.client, &key.role).await;
        return Err(validation(format!("Validation failed: Grants {e}")));
    }
    let body = {
        let mut reg = app.registry.write().unwrap();
        let u = reg
            .user_mut(&user.username)
            .expect("user checked above under the keys lock");
        u.keys.push(key.clone());
        u.sort_keys();
        key_json(u, &key)
    };
    Ok(json_response(StatusCode::CREATED, &body))
}

async fn destroy(app: &Arc<App>, user: &User, name: &str) -> Result<Response, Response> {
    let _serial = app.keys_lock.lock().await;
    let key = app
        .registry
        .read()
        .unwrap()
        .user(&user.username)
        .and_then(|u| u.key_by_name(name).cloned());
    let Some(key) = key else {
        return Err(key_not_found(name));
    };
    if key.key_type != KeyType::Regular {
        return Err(auth_api_error(
            StatusCode::FORBIDDEN,
            format!("Cannot delete the {} API key", key.key_type),
        ));
    }
    // Forget it first so no new request picks it up, then drop its role.
    if let Some(u) = app.registry.write().unwrap().user_mut(&user.username) {
        u.keys.retain(|k| k.name != name);
    }
    app.pool.purge_role(&key.role);
    app.rate.set(&user.username, name, None);
    let su = superuser(app).await?;
    provision::drop_key_role(&su.client, &key.role)
        .await
        .map_err(|e| auth_api_error(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn regenerate(app: &Arc<App>, user: &User, name: &str) -> Result<Response, Response> {
    let mut reg = app.registry.write().unwrap();
    let Some(u) = reg.user_mut(&user.username) else {
        return Err(key_not_found(name));
    };
    let Some(key) = u.keys.iter_mut().find(|k| k.name == name) else {
        return Err(key_not_found(name));
    };
    if key.key_type == KeyType::Default {
        return Err(auth_api_error(
            StatusCode::FORBIDDEN,
            "Cannot regenerate the default API key",
        ));
    }
    key.token = accounts::random_token();
    key.updated_at = chrono::Utc::now();
    let key = key.clone();
    let body = key_json(u, &key);
    Ok(json_response(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_in_links() {
        assert_eq!(escape_path("Default public"), "Default%20public");
        assert_eq!(escape_path("a/b"), "a%2Fb");
    }
}
