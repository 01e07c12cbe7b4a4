//! Output formats of the SQL API. Each formatter writes bytes as rows arrive, so results of
//! any size stream in constant memory.

pub mod array;
pub mod csv;
pub mod geojson;
pub mod json;
pub mod types;
pub mod v3;
pub mod values;

use std::time::Duration;

use bytes::BytesMut;
use tokio_postgres::types::Type;

use crate::http::errors::ApiError;
use crate::pg::db::Notice;
use values::ValueKind;

/// One result column: its name and, when the statement could be described, its type.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: Option<Type>,
    pub typmod: i32,
    pub kind: ValueKind,
}

impl Column {
    pub fn typed(name: &str, ty: &Type, typmod: i32) -> Column {
        Column {
            name: name.to_string(),
            ty: Some(ty.clone()),
            typmod,
            kind: values::value_kind(ty),
        }
    }

    pub fn untyped(name: &str) -> Column {
        Column {
            name: name.to_string(),
            ty: None,
            typmod: -1,
            kind: ValueKind::Text,
        }
    }

    pub fn field_json(&self) -> serde_json::Value {
        match &self.ty {
            Some(ty) => types::field_json(ty, self.typmod),
            None => types::untyped_field_json(),
        }
    }

    pub fn value_json(&self, text: Option<&str>) -> serde_json::Value {
        match text {
            None => serde_json::Value::Null,
            Some(t) => values::to_json(&self.kind, t),
        }
    }
}

/// What is known when a query ends.
pub struct Summary<'a> {
    pub elapsed: Duration,
    pub columns: &'a [Column],
    pub total_rows: u64,
    pub notices: &'a [Notice],
    /// An error after rows were already sent (the status stays 200, as in CARTO).
    pub error: Option<&'a ApiError>,
}

pub trait Formatter: Send {
    fn content_type(&self) -> &'static str;
    fn extension(&self) -> &'static str;
    /// Called once, before the first row (or at the end when there are none).
    fn begin(&mut self, columns: &[Column], out: &mut BytesMut);
    fn row(&mut self, columns: &[Column], values: &[Option<&str>], out: &mut BytesMut);
    fn finish(&mut self, summary: &Summary<'_>, out: &mut BytesMut);
}

/// The formats served; CARTO also knows topojson, svg, arraybuffer, shp, kml, gpkg and
/// spatialite, which answer `400 Invalid format` here.
pub const IMPLEMENTED_FORMATS: [&str; 3] = ["json", "geojson", "csv"];
