//! The Maps API as CARTO's web client uses it: `GET|POST /v3/maps/{connection}/{query|table}`
//! instantiates a source and answers its `tilejson` and `geojson` URLs with `nrows` and
//! `schema`; the TileJSON names tile URLs (`{z}/{x}/{y}`), `vector_layers` and `tilestats`;
//! the tiles are Mapbox Vector Tiles PostGIS builds (`ST_AsMVT`, `ST_AsMVTGeom`,
//! `ST_TileEnvelope`); the GeoJSON is a FeatureCollection of the whole source.
//!
//! The data URLs are the emulator's own (inferred: CARTO's are not documented); they take
//! the same Bearer token, or `access_token=` for loaders that cannot send headers. The layer
//! in every tile is called `default` (inferred). Only `spatialDataType=geo` and
//! `formatTiles=mvt` are served: CARTO's binary tile format is not emulated.

// Handlers bail out early with finished responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use crate::api::carto3::access::{allow_api, allow_source, connection};
use crate::api::carto3::authenticate::authenticate;
use crate::api::carto3::params;
use crate::api::carto3::sql::checkout;
use crate::api::format::geojson::{self, GeoJsonFormat};
use crate::api::format::v3::schema_type;
use crate::api::format::Column;
use crate::api::query::{self, QueryPlan};
use crate::api::sql_api::request_params;
use crate::http::context::Ctx;
use crate::http::errors::{json_response, v3_error, ApiError};
use crate::http::form;
use crate::oauth::bearer::Caller;
use crate::pg::accounts::quote_ident;
use crate::state::carto3::Carto3;
use crate::state::maps::{map_id, MapDef};
use crate::state::App;

/// The layer name inside every tile.
const LAYER: &str = "default";
/// MVT's usual extent and buffer.
const EXTENT: i32 = 4096;
const BUFFER: i32 = 256;
const MAX_ZOOM: i32 = 24;

fn bad(msg: impl Into<String>) -> Response {
    v3_error(StatusCode::BAD_REQUEST, msg)
}

fn pg_error(e: &tokio_postgres::Error) -> Response {
    ApiError::from_pg(e).into_v3()
}

/// A schema-qualified table name (`schema.table`, or BigQuery's `project.dataset.table`)
/// quoted part by part.
fn table_sql(name: &str) -> Result<String, Response> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(bad(format!("invalid table name {name:?}")));
    }
    // Only the last two parts name something in PostgreSQL (schema and table).
    let tail = &parts[parts.len().saturating_sub(2)..];
    let quoted: Vec<String> = tail.iter().map(|p| quote_ident(p)).collect();
    Ok(format!("SELECT * FROM {}", quoted.join(".")))
}

pub async fn instantiate(
    app: &Arc<App>,
    c3: &Carto3,
    ctx: &Ctx,
    body: Body,
    conn: &str,
    kind: &str,
) -> Result<Response, Response> {
    if ctx.method != Method::GET && ctx.method != Method::POST {
        return Err(v3_error(StatusCode::METHOD_NOT_ALLOWED, "Use GET or POST"));
    }
    let caller = authenticate(c3, ctx, None)?;
    allow_api(ctx, &caller, "maps")?;
    let p = request_params(ctx, body).await.map_err(ApiError::into_v3)?;
    ctx.record_client(p.merged.get_str("client"));
    let param = if kind == "table" { "name" } else { "q" };
    let source = p
        .merged
        .get_str(param)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad(format!("Missing parameter: {param}")))?;
    allow_source(&caller, conn, &source)?;
    let target = connection(app, c3, &caller, conn)?;
    if let Some(t) = p.merged.get_str("spatialDataType").filter(|t| t != "geo") {
        return Err(bad(format!(
            "spatialDataType {t:?} is not served by the emulator (only geo)"
        )));
    }
    // CARTO's default spatial column; TerriaJS sends the older geo_column.
    let geo_column = p
        .merged
        .get_str("spatialDataColumn")
        .or_else(|| p.merged.get_str("geo_column"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "geom".to_string());
    let sql = if kind == "table" {
        table_sql(&source)?
    } else {
        let values = params::parse(p.merged.0.get("queryParameters")).map_err(bad)?;
        params::bind(&source, values.as_ref()).map_err(bad)?
    };
    let pg = checkout(app, c3, &target.role).await?;
    let described = pg
        .client
        .prepare(&format!("SELECT * FROM ({sql}) AS _carto_map LIMIT 0"))
        .await
        .map_err(|e| pg_error(&e))?;
    let columns: Vec<Column> = described
        .columns()
        .iter()
        .map(|c| Column::typed(c.name(), c.type_(), -1))
        .collect();
    let Some(geo) = columns.iter().find(|c| c.name == geo_column) else {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        return Err(bad(format!(
            "spatialDataColumn {geo_column:?} is not a column of the source (it has: {})",
            names.join(", ")
        )));
    };
    if schema_type(geo) != "geometry" {
        return Err(bad(format!(
            "spatialDataColumn {geo_column:?} is not a geometry column"
        )));
    }
    let stats = pg
        .client
        .query_one(&stats_sql(&sql, &geo_column), &[])
        .await
        .map_err(|e| pg_error(&e))?;
    let nrows: i64 = stats.get(0);
    let bounds = match (
        stats.get::<_, Option<f64>>(1),
        stats.get::<_, Option<f64>>(2),
        stats.get::<_, Option<f64>>(3),
        stats.get::<_, Option<f64>>(4),
    ) {
        (Some(w), Some(s), Some(e), Some(n)) => Some([w, s, e, n]),
        _ => None,
    };
    let account = caller.account_id().to_string();
    let id = map_id(&[&account, conn, kind, &sql, &geo_column]);
    let def = MapDef {
        id: id.clone(),
        account,
        connection: conn.to_string(),
        kind: kind.to_string(),
        source,
        sql,
        geo_column,
        role: target.role,
        columns: columns
            .iter()
            .filter(|c| schema_type(c) != "geometry")
            .map(|c| (c.name.clone(), schema_type(c)))
            .collect(),
        nrows: nrows.max(0) as u64,
        bounds,
        geometry_type: stats.get::<_, Option<String>>(5),
    };
    let base = data_url(c3, &def);
    let schema: Vec<Value> = columns
        .iter()
        .map(|c| json!({"name": c.name, "type": schema_type(c)}))
        .collect();
    let body = json!({
        "id": def.id,
        "nrows": def.nrows,
        "schema": schema,
        "tilejson": {"url": [format!("{base}/tilejson")]},
        "geojson": {"url": [format!("{base}/geojson")]},
    });
    c3.maps.insert(def);
    Ok(json_response(StatusCode::OK, &body))
}

fn data_url(c3: &Carto3, def: &MapDef) -> String {
    format!(
        "{}/v3/maps/{}/{}/{}",
        c3.identity.issuer.settings.api_base_url, def.connection, def.kind, def.id
    )
}

/// Rows, the extent in degrees and the one geometry type (if only one) of a source.
/// Geometries without an SRID are taken as WGS 84, as CARTO's tables store them.
fn stats_sql(sql: &str, geo_column: &str) -> String {
    let g = quote_ident(geo_column);
    format!(
        "WITH src AS (SELECT CASE WHEN ST_SRID(s.{g}::geometry) = 0 \
                THEN ST_SetSRID(s.{g}::geometry, 4326) ELSE s.{g}::geometry END AS g \
              FROM ({sql}) AS s) \
         SELECT (SELECT count(*) FROM src)::int8, \
                ST_XMin(e.b)::float8, ST_YMin(e.b)::float8, ST_XMax(e.b)::float8, ST_YMax(e.b)::float8, \
                (SELECT CASE WHEN count(DISTINCT GeometryType(g)) = 1 THEN min(GeometryType(g)) END \
                   FROM src WHERE g IS NOT NULL) \
           FROM (SELECT ST_Extent(ST_Transform(g, 4326)) AS b FROM src WHERE g IS NOT NULL) AS e"
    )
}

/// A map of the caller's account, with the caller allowed to read it.
fn find_map(c3: &Carto3, ctx: &Ctx, conn: &str, id: &str) -> Result<(Caller, MapDef), Response> {
    // Data URLs also take the token in the query string, for loaders that send no headers.
    let query_token = form::parse_urlencoded(ctx.raw_query()).get_str("access_token");
    let caller = authenticate(c3, ctx, query_token)?;
    allow_api(ctx, &caller, "maps")?;
    let def = c3
        .maps
        .get(id)
        .filter(|d| d.account == caller.account_id() && d.connection == conn)
        .ok_or_else(|| v3_error(StatusCode::NOT_FOUND, format!("Map not found: {id}")))?;
    allow_source(&caller, conn, &def.source)?;
    Ok((caller, def))
}

/// PostGIS's upper-case geometry type as TileJSON's tilestats writes it.
fn tilestats_geometry(t: &str) -> String {
    match t {
        "POINT" => "Point",
        "MULTIPOINT" => "MultiPoint",
        "LINESTRING" => "LineString",
        "MULTILINESTRING" => "MultiLineString",
        "POLYGON" => "Polygon",
        "MULTIPOLYGON" => "MultiPolygon",
        _ => "GeometryCollection",
    }
    .to_string()
}

fn mvt_field_type(v3: &str) -> &'static str {
    match v3 {
        "number" | "bigint" => "Number",
        "boolean" => "Boolean",
        _ => "String",
    }
}

pub fn tilejson(c3: &Carto3, ctx: &Ctx, conn: &str, id: &str) -> Response {
    let def = match find_map(c3, ctx, conn, id) {
        Ok((_, d)) => d,
        Err(r) => return r,
    };
    let bounds = def.bounds.unwrap_or([-180.0, -85.0511, 180.0, 85.0511]);
    let center = [
        (bounds[0] + bounds[2]) / 2.0,
        (bounds[1] + bounds[3]) / 2.0,
        0.0,
    ];
    let fields: serde_json::Map<String, Value> = def
        .columns
        .iter()
        .map(|(n, t)| (n.clone(), json!(mvt_field_type(t))))
        .collect();
    let attributes: Vec<Value> = def
        .columns
        .iter()
        .map(|(n, t)| json!({"attribute": n, "type": mvt_field_type(t)}))
        .collect();
    let mut layer = json!({
        "layer": LAYER,
        "count": def.nrows,
        "attributeCount": attributes.len(),
        "attributes": attributes,
    });
    if let Some(t) = &def.geometry_type {
        layer["geometry"] = json!(tilestats_geometry(t));
    }
    json_response(
        StatusCode::OK,
        &json!({
            "tilejson": "3.0.0",
            "name": def.id,
            "scheme": "xyz",
            "format": "pbf",
            "tiles": [format!("{}/{{z}}/{{x}}/{{y}}?formatTiles=mvt", data_url(c3, &def))],
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
            "bounds": bounds,
            "center": center,
            "vector_layers": [{"id": LAYER, "minzoom": 0, "maxzoom": MAX_ZOOM, "fields": fields}],
            "tilestats": {"layerCount": 1, "layers": [layer]},
        }),
    )
}

pub async fn geojson(app: &Arc<App>, c3: &Carto3, ctx: &Ctx, conn: &str, id: &str) -> Response {
    let def = match find_map(c3, ctx, conn, id) {
        Ok((_, d)) => d,
        Err(r) => return r,
    };
    let pg = match checkout(app, c3, &def.role).await {
        Ok(pg) => pg,
        Err(r) => return r,
    };
    let plan = QueryPlan {
        sql: geojson::wrap_query(&def.sql, &def.geo_column, 6),
        formatter: Box::new(GeoJsonFormat::new(def.geo_column.clone())),
        skipfields: Vec::new(),
        forbid_system_tables: false,
        max_rows: Some(c3.limits.max_rows()),
    };
    match query::run(pg, plan).await {
        Ok(stream) => {
            let mut resp = Response::new(Body::from_stream(stream));
            resp.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/geo+json; charset=utf-8"),
            );
            resp
        }
        Err(e) => e.into_v3(),
    }
}

/// Parses and checks tile coordinates (`y` may carry an extension such as `.mvt`).
fn tile_coords(z: &str, x: &str, y: &str) -> Result<(i32, i32, i32), String> {
    let y = y.split('.').next().unwrap_or(y);
    let (z, x, y) = match (z.parse::<i32>(), x.parse::<i32>(), y.parse::<i32>()) {
        (Ok(z), Ok(x), Ok(y)) => (z, x, y),
        _ => return Err("tile coordinates must be integers".into()),
    };
    if !(0..=MAX_ZOOM).contains(&z) {
        return Err(format!("zoom {z} is out of 0..={MAX_ZOOM}"));
    }
    let n = 1i64 << z;
    if !(0..n).contains(&i64::from(x)) || !(0..n).contains(&i64::from(y)) {
        return Err(format!("tile {z}/{x}/{y} does not exist"));
    }
    Ok((z, x, y))
}

pub async fn tile(
    app: &Arc<App>,
    c3: &Carto3,
    ctx: &Ctx,
    conn: &str,
    id: &str,
    zxy: (&str, &str, &str),
) -> Response {
    let def = match find_map(c3, ctx, conn, id) {
        Ok((_, d)) => d,
        Err(r) => return r,
    };
    let (z, x, y) = match tile_coords(zxy.0, zxy.1, zxy.2) {
        Ok(t) => t,
        Err(e) => return bad(e),
    };
    let format = form::parse_urlencoded(ctx.raw_query()).get_str("formatTiles");
    if format.as_deref().is_some_and(|f| f != "mvt") {
        return bad("only formatTiles=mvt is served by the emulator");
    }
    let pg = match checkout(app, c3, &def.role).await {
        Ok(pg) => pg,
        Err(r) => return r,
    };
    let bytes: Vec<u8> = match pg.client.query_one(&tile_sql(&def), &[&z, &x, &y]).await {
        Ok(row) => row.get::<_, Option<Vec<u8>>>(0).unwrap_or_default(),
        Err(e) => return pg_error(&e),
    };
    if bytes.is_empty() {
        // No feature in this tile.
        return StatusCode::NO_CONTENT.into_response();
    }
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    resp
}

/// One tile of the map's source: features whose geometry meets the tile, clipped and
/// quantised by PostGIS, with the other columns as properties (basic types as they are, the
/// rest as text, as MVT holds only numbers, booleans and strings).
fn tile_sql(def: &MapDef) -> String {
    let g = quote_ident(&def.geo_column);
    let props: Vec<String> = def
        .columns
        .iter()
        .map(|(name, t)| {
            let col = format!("src.{}", quote_ident(name));
            match *t {
                "number" | "bigint" | "boolean" | "string" => {
                    format!("{col} AS {}", quote_ident(name))
                }
                _ => format!("{col}::text AS {}", quote_ident(name)),
            }
        })
        .collect();
    let props = if props.is_empty() {
        String::new()
    } else {
        format!(", {}", props.join(", "))
    };
    format!(
        "WITH env AS (SELECT ST_TileEnvelope($1, $2, $3) AS e), \
         src AS (SELECT s.*, ST_Transform(CASE WHEN ST_SRID(s.{g}::geometry) = 0 \
                   THEN ST_SetSRID(s.{g}::geometry, 4326) ELSE s.{g}::geometry END, 3857) \
                   AS _carto_mvt_3857 FROM ({sql}) AS s) \
         SELECT ST_AsMVT(t, '{LAYER}', {EXTENT}, '_carto_mvt_geom') FROM ( \
           SELECT ST_AsMVTGeom(src._carto_mvt_3857, env.e, {EXTENT}, {BUFFER}, true) AS _carto_mvt_geom{props} \
             FROM src, env WHERE src._carto_mvt_3857 && env.e) AS t \
         WHERE t._carto_mvt_geom IS NOT NULL",
        sql = def.sql
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_coordinates_are_checked() {
        assert_eq!(tile_coords("0", "0", "0"), Ok((0, 0, 0)));
        assert_eq!(tile_coords("3", "7", "5.mvt"), Ok((3, 7, 5)));
        assert!(tile_coords("3", "8", "0").is_err());
        assert!(tile_coords("-1", "0", "0").is_err());
        assert!(tile_coords("25", "0", "0").is_err());
        assert!(tile_coords("a", "0", "0").is_err());
    }

    #[test]
    fn table_names_are_quoted_part_by_part() {
        assert_eq!(
            table_sql("points").ok(),
            Some("SELECT * FROM \"points\"".into())
        );
        assert_eq!(
            table_sql("carto-dw.demo.points\"x").ok(),
            Some("SELECT * FROM \"demo\".\"points\"\"x\"".into())
        );
        assert!(table_sql("a..b").is_err());
    }
}
