//! Requests for CARTO's SQL API (`api/v2/sql`) and its COPY endpoints.

use super::request::{Body, Request};
use super::Client;
use crate::error::Result;
use crate::result::ResultSet;

/// carto-python's rule: queries shorter than this go by GET, longer ones by POST (form body),
/// so long SQL never hits URL length limits.
pub const MAX_GET_QUERY_LEN: usize = 1024;

const SQL_PATH: &str = "api/v2/sql";

impl Request {
    /// A SQL API query. `format` is `json` (default), `geojson`, `csv`, or any other format the
    /// server supports (`topojson`, `svg`, `kml`, `shp`, `gpkg`, `spatialite`, ...), whose
    /// body is returned as raw bytes. Short queries go by GET, long ones (1024 bytes or more)
    /// by POST; add optional parameters (`skipfields`, `dp`, `filename`, `page`,
    /// `rows_per_page`) with [`Request::param`], which puts them where `q` went.
    pub fn sql(query: &str, format: Option<&str>) -> Request {
        let format = format
            .map(|f| f.trim().to_ascii_lowercase())
            .filter(|f| !f.is_empty() && f != "json");
        let request = if query.len() < MAX_GET_QUERY_LEN {
            Request::get(SQL_PATH).query("q", query)
        } else {
            Request::post(SQL_PATH).form_field("q", query)
        };
        match format {
            Some(format) => request.param("format", &format),
            None => request,
        }
    }

    /// `COPY (...) TO STDOUT` through `api/v2/sql/copyto`; the answer streams (use
    /// [`Request::write_response_to`] for large exports).
    pub fn copy_to(copy_query: &str) -> Request {
        Request::get("api/v2/sql/copyto").query("q", copy_query)
    }

    /// `COPY table FROM STDIN` through `api/v2/sql/copyfrom`, uploading `body` (bytes or a
    /// reader, streamed; combine with [`Request::gzip`]). The query travels in the query
    /// string, as CARTO requires; the key does not, with Basic key transport.
    pub fn copy_from(copy_query: &str, body: Body) -> Request {
        Request::post("api/v2/sql/copyfrom")
            .query("q", copy_query)
            .body(body)
    }
}

impl Client {
    /// Runs a SQL API query and reads its answer into a [`ResultSet`]. The body is dropped as
    /// soon as it has been read.
    pub fn sql_result(&self, query: &str) -> Result<ResultSet> {
        let mut response = self.sql(query, None)?;
        let body = response.take_body();
        drop(response);
        // The failure after the rows and the notices are the server's text.
        let mut result = ResultSet::from_json(&body).map_err(|e| self.scrub(e))?;
        result.rewrite_notices(|message| self.scrub_text(message).into_owned());
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_queries_use_get_and_long_ones_post_a_form() {
        let r = Request::sql("select 1", None).param("dp", "3");
        assert_eq!(r.method(), "GET");
        assert_eq!(
            r.query,
            [("q".into(), "select 1".into()), ("dp".into(), "3".into())]
        );
        let long = format!("select '{}'", "x".repeat(MAX_GET_QUERY_LEN));
        let r = Request::sql(&long, Some("CSV")).param("skipfields", "the_geom");
        assert_eq!(r.method(), "POST");
        assert!(r.query.is_empty());
        match &r.body {
            Body::Form(fields) => {
                let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
                assert_eq!(names, ["q", "format", "skipfields"]);
                assert_eq!(fields[1].1, "csv");
            }
            other => panic!("expected a form, got {other:?}"),
        }
    }

    #[test]
    fn json_is_the_default_and_is_not_sent() {
        for format in [None, Some("json"), Some(" JSON "), Some("")] {
            let r = Request::sql("select 1", format);
            assert!(r.query.iter().all(|(k, _)| k != "format"), "{format:?}");
        }
        let r = Request::sql("select 1", Some("geojson"));
        assert!(r.query.contains(&("format".into(), "geojson".into())));
    }

    #[test]
    fn the_1024_boundary_matches_carto_python() {
        let at_limit = "x".repeat(MAX_GET_QUERY_LEN - 1);
        assert_eq!(Request::sql(&at_limit, None).method(), "GET");
        let over = "x".repeat(MAX_GET_QUERY_LEN);
        assert_eq!(Request::sql(&over, None).method(), "POST");
    }
}
