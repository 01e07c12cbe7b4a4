//! CARTO's view of PostgreSQL type names: the `fields` metadata the SQL API derives from a fixed
//! oid table, and PostGIS's typmod bits.

use serde_json::{json, Map, Value};
use tokio_postgres::types::Type;

/// The oid → name table node-cartodb-psql knows, by oid; other oids are `unknown(oid)` unless
/// they are PostGIS's geometry, geography or raster.
#[rustfmt::skip]
const PG_TYPE_NAMES: &[(u32, &str)] = &[
    (16, "bool"), (17, "bytea"), (18, "char"), (19, "name"), (20, "int8"), (21, "int2"),
    (22, "int2vector"), (23, "int4"), (24, "regproc"), (25, "text"), (26, "oid"), (27, "tid"),
    (28, "xid"), (29, "cid"), (30, "oidvector"), (32, "pg_ddl_command"), (71, "pg_type"),
    (75, "pg_attribute"), (81, "pg_proc"), (83, "pg_class"), (114, "JSON"), (142, "xml"),
    (143, "_xml"), (194, "pg_node_tree"), (199, "_json"), (210, "smgr"), (600, "point"),
    (601, "lseg"), (602, "path"), (603, "box"), (604, "polygon"), (628, "line"), (629, "_line"),
    (650, "cidr"), (700, "float4"), (701, "float8"), (702, "abstime"), (703, "reltime"),
    (704, "tinterval"), (705, "unknown"), (718, "circle"), (719, "_circle"), (790, "money"),
    (791, "_money"), (829, "macaddr"), (869, "inet"), (1000, "_bool"), (1001, "_bytea"),
    (1002, "_char"), (1003, "_name"), (1005, "_int2"), (1006, "_int2vector"), (1007, "_int4"),
    (1008, "_regproc"), (1009, "_text"), (1010, "_tid"), (1011, "_xid"), (1012, "_cid"),
    (1013, "_oidvector"), (1014, "_bpchar"), (1015, "_varchar"), (1016, "_int8"), (1017, "_point"),
    (1018, "_lseg"), (1019, "_path"), (1020, "_box"), (1021, "_float4"), (1022, "_float8"),
    (1023, "_abstime"), (1024, "_reltime"), (1025, "_tinterval"), (1027, "_polygon"),
    (1028, "_oid"), (1033, "aclitem"), (1034, "_aclitem"), (1040, "_macaddr"), (1041, "_inet"),
    (1042, "bpchar"), (1043, "varchar"), (1082, "date"), (1083, "time"), (1114, "timestamp"),
    (1115, "_timestamp"), (1182, "_date"), (1183, "_time"), (1184, "timestamptz"),
    (1185, "_timestamptz"), (1186, "interval"), (1187, "_interval"), (1231, "_numeric"),
    (1263, "_cstring"), (1266, "timetz"), (1270, "_timetz"), (1560, "bit"), (1561, "_bit"),
    (1562, "varbit"), (1563, "_varbit"), (1700, "numeric"), (1790, "refcursor"),
    (2201, "_refcursor"), (2202, "regprocedure"), (2203, "regoper"), (2204, "regoperator"),
    (2205, "regclass"), (2206, "regtype"), (2207, "_regprocedure"), (2208, "_regoper"),
    (2209, "_regoperator"), (2210, "_regclass"), (2211, "_regtype"), (2249, "record"),
    (2275, "cstring"), (2276, "any"), (2277, "anyarray"), (2278, "void"), (2279, "trigger"),
    (2280, "language_handler"), (2281, "internal"), (2282, "opaque"), (2283, "anyelement"),
    (2287, "_record"), (2776, "anynonarray"), (2949, "_txid_snapshot"), (2950, "uuid"),
    (2951, "_uuid"), (2970, "txid_snapshot"), (3115, "fdw_handler"), (3220, "pg_lsn"),
    (3221, "_pg_lsn"), (3310, "tsm_handler"), (3500, "anyenum"), (3614, "tsvector"),
    (3615, "tsquery"), (3642, "gtsvector"), (3643, "_tsvector"), (3644, "_gtsvector"),
    (3645, "_tsquery"), (3734, "regconfig"), (3735, "_regconfig"), (3769, "regdictionary"),
    (3770, "_regdictionary"), (3802, "jsonb"), (3807, "_jsonb"), (3831, "anyrange"),
    (3838, "event_trigger"), (3904, "int4range"), (3905, "_int4range"), (3906, "numrange"),
    (3907, "_numrange"), (3908, "tsrange"), (3909, "_tsrange"), (3910, "tstzrange"),
    (3911, "_tstzrange"), (3912, "daterange"), (3913, "_daterange"), (3926, "int8range"),
    (3927, "_int8range"), (4089, "regnamespace"), (4090, "_regnamespace"), (4096, "regrole"),
    (4097, "_regrole"),
];

fn std_type_name(oid: u32) -> Option<&'static str> {
    PG_TYPE_NAMES
        .binary_search_by_key(&oid, |&(o, _)| o)
        .ok()
        .map(|i| PG_TYPE_NAMES[i].1)
}

const SPATIAL_TYPES: [&str; 3] = ["geometry", "geography", "raster"];

/// What CARTO calls a column's type, before the `[]` suffix.
fn carto_type_of(cname: &str) -> String {
    let t = if cname.contains("bool") {
        "boolean"
    } else if ["int", "float", "numeric"]
        .iter()
        .any(|p| cname.contains(p))
    {
        "number"
    } else if ["text", "char", "unknown"]
        .iter()
        .any(|p| cname.contains(p))
    {
        "string"
    } else if cname.contains("date") || cname.contains("time") {
        "date"
    } else {
        cname
    };
    let mut t = t.to_string();
    if cname.starts_with('_') {
        t.push_str("[]");
    }
    t
}

/// The pg type name the SQL API would know for this column, if any.
pub fn known_type_name(ty: &Type) -> Option<String> {
    if let Some(n) = std_type_name(ty.oid()) {
        return Some(n.to_string());
    }
    SPATIAL_TYPES
        .contains(&ty.name())
        .then(|| ty.name().to_string())
}

/// The `fields` entry of one column, e.g. `{"type":"number","pgtype":"int4"}` or, for spatial
/// columns, `{"type":"geometry","wkbtype":"Point","dims":2,"srid":4326}`.
pub fn field_json(ty: &Type, typmod: i32) -> Value {
    let Some(cname) = known_type_name(ty) else {
        return json!({ "type": format!("unknown({})", ty.oid()) });
    };
    let tname = carto_type_of(&cname);
    if SPATIAL_TYPES.contains(&cname.as_str()) {
        let info = typmod_info(typmod);
        let mut m = Map::new();
        m.insert("type".into(), Value::String(tname));
        if let Some(w) = info.wkbtype {
            m.insert("wkbtype".into(), Value::String(w.into()));
        }
        m.insert("dims".into(), json!(info.dims));
        m.insert("srid".into(), json!(info.srid));
        Value::Object(m)
    } else {
        json!({ "type": tname, "pgtype": cname })
    }
}

/// A field of unknown type (multi-statement queries cannot be described beforehand).
pub fn untyped_field_json() -> Value {
    json!({ "type": "string", "pgtype": "text" })
}

pub struct TypmodInfo {
    pub wkbtype: Option<&'static str>,
    pub dims: i32,
    pub srid: i32,
}

/// Decodes PostGIS's typmod bits the way the SQL API does (so typmod -1 gives srid -1, dims 4,
/// and no wkbtype).
pub fn typmod_info(typmod: i32) -> TypmodInfo {
    const WKB_TYPES: [&str; 15] = [
        "Unknown",
        "Point",
        "LineString",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
        "CircularString",
        "CompoundCurve",
        "CurvePolygon",
        "MultiCurvePolygon",
        "PolyhedralSurface",
        "Triangle",
        "TIN",
    ];
    let srid = ((typmod & 0x0FFF_FF00) - (typmod & 0x1000_0000)) >> 8;
    let lwtype = ((typmod & 0xFC) >> 2) as usize;
    let has_z = (typmod & 0x02) >> 1;
    let has_m = typmod & 0x01;
    TypmodInfo {
        wkbtype: WKB_TYPES.get(lwtype).copied(),
        dims: 2 + has_z + has_m,
        srid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_types_follow_the_sql_api_mapping() {
        assert_eq!(
            field_json(&Type::INT4, -1),
            json!({"type":"number","pgtype":"int4"})
        );
        assert_eq!(
            field_json(&Type::TEXT, -1),
            json!({"type":"string","pgtype":"text"})
        );
        assert_eq!(
            field_json(&Type::BOOL, -1),
            json!({"type":"boolean","pgtype":"bool"})
        );
        assert_eq!(
            field_json(&Type::TIMESTAMPTZ, -1),
            json!({"type":"date","pgtype":"timestamptz"})
        );
        assert_eq!(
            field_json(&Type::INT4_ARRAY, -1),
            json!({"type":"number[]","pgtype":"_int4"})
        );
        assert_eq!(
            field_json(&Type::TEXT_ARRAY, -1),
            json!({"type":"string[]","pgtype":"_text"})
        );
        // Quirks of the original: json is upper case, interval contains "int".
        assert_eq!(
            field_json(&Type::JSON, -1),
            json!({"type":"JSON","pgtype":"JSON"})
        );
        assert_eq!(
            field_json(&Type::INTERVAL, -1),
            json!({"type":"number","pgtype":"interval"})
        );
        assert_eq!(
            field_json(&Type::NAME, -1),
            json!({"type":"name","pgtype":"name"})
        );
        assert_eq!(
            field_json(&Type::UUID, -1),
            json!({"type":"uuid","pgtype":"uuid"})
        );
        assert_eq!(
            field_json(&Type::JSONPATH, -1),
            json!({"type":"unknown(4072)"})
        );
    }

    #[test]
    fn typmod_decoding_matches_postgis() {
        // geometry(Point,4326)
        let i = typmod_info(4326 << 8 | 1 << 2);
        assert_eq!((i.wkbtype, i.dims, i.srid), (Some("Point"), 2, 4326));
        // geometry(Geometry,3857)
        let i = typmod_info(3857 << 8);
        assert_eq!((i.wkbtype, i.dims, i.srid), (Some("Unknown"), 2, 3857));
        // geometry(PolygonZM,0)
        let i = typmod_info(3 << 2 | 3);
        assert_eq!((i.wkbtype, i.dims), (Some("Polygon"), 4));
        // no typmod (an expression)
        let i = typmod_info(-1);
        assert_eq!((i.wkbtype, i.dims, i.srid), (None, 4, -1));
    }

    #[test]
    fn the_oid_table_is_sorted_for_binary_search() {
        assert!(PG_TYPE_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(std_type_name(16), Some("bool"));
        assert_eq!(std_type_name(4097), Some("_regrole"));
        assert_eq!(std_type_name(4072), None);
    }
}
