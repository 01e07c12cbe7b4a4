//! `format=geojson`: a FeatureCollection. As in CARTO, the query is wrapped so PostGIS renders
//! the geometry column (`the_geom` unless another geometry column is the only one) with `dp`
//! decimals; every other column becomes a property.

use bytes::{BufMut, BytesMut};
use serde_json::{json, Map, Value};

use super::{Column, Formatter, Summary};

/// The alias of the rendered geometry in the wrapped query.
pub const GEOJSON_COLUMN: &str = "_cdb_emulator_geojson";

pub struct GeoJsonFormat {
    features: u64,
    /// The geometry column of the original query (left out of the properties).
    pub geometry_column: String,
}

impl GeoJsonFormat {
    pub fn new(geometry_column: String) -> GeoJsonFormat {
        GeoJsonFormat {
            features: 0,
            geometry_column,
        }
    }
}

/// Wraps `sql` so the geometry comes back as GeoJSON text.
pub fn wrap_query(sql: &str, geometry_column: &str, dp: u32) -> String {
    format!(
        "SELECT *, ST_AsGeoJSON(cdbq.{}, {dp}) AS {GEOJSON_COLUMN} FROM ({}) AS cdbq",
        crate::pg::accounts::quote_ident(geometry_column),
        sql
    )
}

impl Formatter for GeoJsonFormat {
    fn content_type(&self) -> &'static str {
        "application/json; charset=utf-8"
    }
    fn extension(&self) -> &'static str {
        "geojson"
    }
    fn begin(&mut self, _columns: &[Column], out: &mut BytesMut) {
        out.put_slice(b"{\"type\": \"FeatureCollection\", \"features\": [");
    }
    fn row(&mut self, columns: &[Column], values: &[Option<&str>], out: &mut BytesMut) {
        let mut geometry = Value::Null;
        let mut props = Map::new();
        for (c, v) in columns.iter().zip(values) {
            if c.name == GEOJSON_COLUMN {
                geometry = v
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or(Value::Null);
            } else if c.name != self.geometry_column {
                props.insert(c.name.clone(), c.value_json(*v));
            }
        }
        if self.features > 0 {
            out.put_u8(b',');
        }
        self.features += 1;
        let feature = json!({"type": "Feature", "geometry": geometry, "properties": props});
        serde_json::to_writer(out.writer(), &feature).expect("in-memory write");
    }
    fn finish(&mut self, s: &Summary<'_>, out: &mut BytesMut) {
        out.put_slice(b"]");
        if let Some(e) = s.error {
            out.put_slice(b",\"error\":");
            serde_json::to_writer(out.writer(), &e.messages()).expect("in-memory write");
        }
        out.put_slice(b"}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio_postgres::types::Type;

    #[test]
    fn features_have_geometry_and_properties() {
        let cols = vec![
            Column::typed("cartodb_id", &Type::INT8, -1),
            Column::untyped("the_geom"),
            Column::typed(GEOJSON_COLUMN, &Type::TEXT, -1),
        ];
        let mut f = GeoJsonFormat::new("the_geom".into());
        let mut out = BytesMut::new();
        f.begin(&cols, &mut out);
        f.row(
            &cols,
            &[
                Some("7"),
                Some("0101"),
                Some(r#"{"type":"Point","coordinates":[1,2]}"#),
            ],
            &mut out,
        );
        f.finish(
            &Summary {
                elapsed: Duration::ZERO,
                columns: &cols,
                total_rows: 1,
                notices: &[],
                error: None,
            },
            &mut out,
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["type"], "FeatureCollection");
        assert_eq!(v["features"][0]["geometry"]["coordinates"], json!([1, 2]));
        assert_eq!(v["features"][0]["properties"], json!({"cartodb_id": 7}));
        assert!(wrap_query("select 1", "g", 6).contains("ST_AsGeoJSON(cdbq.\"g\", 6)"));
    }
}
