//! `/api/{v}/sql` and `/api/{v}/sql.{format}`: any method, parameters merged from the query
//! string and the body (form or JSON, body wins), run as the key's role.

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::header::{HeaderValue, CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::{Method, StatusCode};

use crate::api::format::csv::CsvFormat;
use crate::api::format::geojson::{self, GeoJsonFormat};
use crate::api::format::json::JsonFormat;
use crate::api::format::{Formatter, IMPLEMENTED_FORMATS};
use crate::api::query::{self, QueryPlan};
use crate::http::auth::{self, AuthFailure};
use crate::http::context::{read_body, Ctx};
use crate::http::errors::ApiError;
use crate::http::form::{self, Params};
use crate::pg::accounts::{KeyType, User};
use crate::state::App;

/// Large enough for GDAL's batched inserts (15 MB chunks by default).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Parameters of a request: query string, body, merged.
pub struct RequestParams {
    pub query: Params,
    pub body: Params,
    pub merged: Params,
}

/// Reads and decodes the body by content type (GET and HEAD bodies are ignored, as Express).
pub async fn request_params(ctx: &Ctx, body: Body) -> Result<RequestParams, ApiError> {
    let query = form::parse_urlencoded(ctx.raw_query());
    let body_params = if ctx.method == Method::GET || ctx.method == Method::HEAD {
        Params::default()
    } else {
        let raw_ctype = ctx
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let ctype = raw_ctype.to_ascii_lowercase();
        if ctype.starts_with("application/json") || ctype.ends_with("+json") {
            let bytes = read_body(&ctx.headers, body, MAX_BODY).await?;
            form::parse_json_body(&bytes).map_err(ApiError::bad_request)?
        } else if ctype.starts_with("application/x-www-form-urlencoded") {
            let bytes = read_body(&ctx.headers, body, MAX_BODY).await?;
            form::parse_urlencoded(&bytes)
        } else if ctype.starts_with("multipart/form-data") {
            multipart_params(raw_ctype, body).await?
        } else {
            Params::default()
        }
    };
    let merged = Params::merged(&query, &body_params);
    Ok(RequestParams {
        query,
        body: body_params,
        merged,
    })
}

/// The text fields of a `multipart/form-data` body (CARTO accepts those too).
async fn multipart_params(content_type: &str, body: Body) -> Result<Params, ApiError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| ApiError::bad_request(format!("invalid multipart body: {e}")))?;
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(MAX_BODY as u64));
    let mut parts =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut map = serde_json::Map::new();
    let bad = |e: multer::Error| ApiError::bad_request(format!("invalid multipart body: {e}"));
    while let Some(field) = parts.next_field().await.map_err(bad)? {
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        let text = field.text().await.map_err(bad)?;
        map.insert(name, serde_json::Value::String(text));
    }
    Ok(Params(map))
}

/// Looks up the request's user or answers CARTO's 404.
pub fn find_user(app: &App, ctx: &Ctx) -> Result<User, ApiError> {
    let name = ctx.user_name().unwrap_or_default();
    let reg = app.registry.read().unwrap();
    match reg.user(&name) {
        Some(u) => {
            ctx.record_user(&u.username, &u.id);
            Ok(u.clone())
        }
        None => Err(ApiError::unknown_user(&name)),
    }
}

/// Resolves the request's key (CARTO's order) and records how it came.
pub fn find_key(
    ctx: &Ctx,
    user: &User,
    query: &Params,
    body: &Params,
) -> Result<crate::pg::accounts::ApiKey, ApiError> {
    let presented = auth::extract(&ctx.headers, query, body);
    match auth::resolve(user, &presented) {
        Ok(k) => {
            ctx.record_key(presented.transport, Some(k));
            Ok(k.clone())
        }
        Err(f) => {
            ctx.record_key(presented.transport, None);
            Err(match f {
                AuthFailure::WrongUser => ApiError::permission_denied(),
                AuthFailure::UnknownKey => ApiError::unauthorized(),
            })
        }
    }
}

/// The start of every SQL API request with parameters in the query string and the body: the
/// user, the parameters, a key allowed to use the SQL API and within its rate limit.
pub async fn sql_request(
    app: &App,
    ctx: &Ctx,
    body: Body,
) -> Result<(User, RequestParams, crate::pg::accounts::ApiKey), ApiError> {
    let user = find_user(app, ctx)?;
    let p = request_params(ctx, body).await?;
    ctx.record_client(p.merged.get_str("client"));
    let key = find_key(ctx, &user, &p.query, &p.body)?;
    check_rate(app, ctx, &user, &key.name)?;
    if !key.has_api("sql") {
        return Err(ApiError::forbidden());
    }
    Ok((user, p, key))
}

/// Applies the key's rate limit; a blocked request gets CARTO's 429.
pub fn check_rate(app: &App, ctx: &Ctx, user: &User, key_name: &str) -> Result<(), ApiError> {
    if let Some(d) = app.rate.check(&user.username, key_name) {
        ctx.record_rate_headers(d.headers());
        if !d.allowed {
            return Err(ApiError::rate_limited(d.headers()));
        }
    }
    Ok(())
}

fn content_disposition(inline: bool, filename: &str, ext: &str) -> String {
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
    format!(
        "{}; filename={filename}.{ext}; modification-date=\"{date}\";",
        if inline { "inline" } else { "attachment" }
    )
}

pub async fn handle(
    app: &Arc<App>,
    ctx: &Ctx,
    body: Body,
    path_format: Option<String>,
) -> Response {
    let mut callback: Option<String> = None;
    match run(app, ctx, body, path_format, &mut callback).await {
        Ok(r) => r,
        Err(e) => match callback {
            Some(cb) => e.into_jsonp(&cb),
            None => e.into_response(),
        },
    }
}

async fn run(
    app: &Arc<App>,
    ctx: &Ctx,
    body: Body,
    path_format: Option<String>,
    callback: &mut Option<String>,
) -> Result<Response, ApiError> {
    let (_user, p, key) = sql_request(app, ctx, body).await?;
    *callback = p.merged.get_str("callback").filter(|c| {
        !c.is_empty()
            && c.chars()
                .all(|ch| ch.is_alphanumeric() || "_.$".contains(ch))
    });

    let sql = p
        .merged
        .get_str("q")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("You must indicate a sql query"))?;
    let format_param = p.merged.get_str("format").filter(|f| !f.is_empty());
    let format = path_format
        .clone()
        .or_else(|| format_param.clone())
        .unwrap_or_else(|| "json".into())
        .to_lowercase();
    // CARTO's other formats (topojson, svg, shp, kml, ...) are not implemented here.
    if !IMPLEMENTED_FORMATS.contains(&format.as_str()) {
        return Err(ApiError::bad_request(format!("Invalid format: {format}")));
    }
    let filename_param = p.merged.get_str("filename").filter(|f| !f.is_empty());
    let inline = format_param.is_none() && filename_param.is_none();
    let filename = filename_param.unwrap_or_else(|| "cartodb-query".into());
    let parse_u64 = |name: &str| -> Result<Option<u64>, ApiError> {
        match p.merged.get_str(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
                ApiError::bad_request(format!("{name} must be a non-negative integer"))
            }),
        }
    };
    let rows_per_page = parse_u64("rows_per_page")?;
    let page = parse_u64("page")?;
    let dp = parse_u64("dp")?.unwrap_or(6).min(15) as u32;
    let skipfields = p.merged.get_list("skipfields");
    let sql = query::paged_sql(&sql, rows_per_page, page);

    let conn = app
        .pool
        .get(&key.role)
        .await
        .map_err(|e| ApiError::from_pg(&e))?;

    let (formatter, sql): (Box<dyn Formatter>, String) = match format.as_str() {
        "geojson" => {
            let gn = match p.merged.get_str("gn").filter(|g| !g.is_empty()) {
                Some(g) => g,
                None => pick_geometry_column(&conn, &sql).await?,
            };
            let wrapped = geojson::wrap_query(&sql, &gn, dp);
            (Box::new(GeoJsonFormat::new(gn)), wrapped)
        }
        "csv" => (Box::new(CsvFormat), sql),
        _ => (Box::new(JsonFormat::new(callback.clone())), sql),
    };
    let content_type = formatter.content_type();
    let ext = formatter.extension();
    let plan = QueryPlan {
        sql,
        formatter,
        skipfields,
        forbid_system_tables: key.key_type != KeyType::Master,
        max_rows: None,
    };
    let stream = query::run(conn, plan).await?;
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(inline, &filename, ext)) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    h.insert(
        hyper::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache,max-age=0,must-revalidate,public"),
    );
    Ok(resp)
}

/// `the_geom` when the query has it, else its only geometry column, else `the_geom` (which then
/// fails in PostgreSQL with a clear message, as on CARTO).
async fn pick_geometry_column(
    conn: &crate::pg::db::PooledConn,
    sql: &str,
) -> Result<String, ApiError> {
    let stmt = conn
        .client
        .prepare(sql)
        .await
        .map_err(|e| ApiError::from_pg(&e))?;
    let cols = stmt.columns();
    if cols.iter().any(|c| c.name() == "the_geom") {
        return Ok("the_geom".into());
    }
    Ok(cols
        .iter()
        .find(|c| ["geometry", "geography"].contains(&c.type_().name()))
        .map(|c| c.name().to_string())
        .unwrap_or_else(|| "the_geom".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_inline_only_without_format_or_filename() {
        let d = content_disposition(true, "cartodb-query", "json");
        assert!(d.starts_with("inline; filename=cartodb-query.json; modification-date=\""));
        assert!(d.ends_with("GMT\";"));
        assert!(content_disposition(false, "x", "csv").starts_with("attachment; filename=x.csv;"));
    }
}
