//! The maps instantiated through `/v3/maps/{connection}/{query|table}`: what their TileJSON,
//! GeoJSON and tile URLs serve. An id names one source (account, connection, SQL, spatial
//! column), so instantiating the same source again gives the same URLs.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Maps kept at once; the oldest is forgotten past this.
const MAX_MAPS: usize = 1_000;

#[derive(Debug, Clone, PartialEq)]
pub struct MapDef {
    pub id: String,
    pub account: String,
    pub connection: String,
    /// `query` or `table`.
    pub kind: String,
    /// What a grant must cover: the query, or the table's name.
    pub source: String,
    /// The statement the data comes from (parameters bound).
    pub sql: String,
    pub geo_column: String,
    /// The role the statements run as.
    pub role: String,
    /// The other columns, with their v3 type names.
    pub columns: Vec<(String, &'static str)>,
    pub nrows: u64,
    /// `[west, south, east, north]` in degrees, when there are geometries.
    pub bounds: Option<[f64; 4]>,
    /// PostGIS's name of the geometry type when all rows share one (`ST_Point`, ...).
    pub geometry_type: Option<String>,
}

/// FNV-1a over the fields that make a map, as a stable id.
pub fn map_id(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("m{hash:016x}")
}

#[derive(Default)]
pub struct Maps {
    inner: Mutex<(HashMap<String, MapDef>, VecDeque<String>)>,
}

impl Maps {
    pub fn insert(&self, def: MapDef) {
        let mut g = self.inner.lock().unwrap();
        let (maps, order) = &mut *g;
        if maps.insert(def.id.clone(), def.clone()).is_none() {
            order.push_back(def.id);
            while order.len() > MAX_MAPS {
                if let Some(old) = order.pop_front() {
                    maps.remove(&old);
                }
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<MapDef> {
        self.inner.lock().unwrap().0.get(id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(id: &str) -> MapDef {
        MapDef {
            id: id.into(),
            account: "a".into(),
            connection: "c".into(),
            kind: "table".into(),
            source: "t".into(),
            sql: "SELECT 1".into(),
            geo_column: "geom".into(),
            role: "r".into(),
            columns: vec![],
            nrows: 0,
            bounds: None,
            geometry_type: None,
        }
    }

    #[test]
    fn ids_are_stable_and_the_store_is_bounded() {
        assert_eq!(map_id(&["a", "b"]), map_id(&["a", "b"]));
        assert_ne!(map_id(&["a", "b"]), map_id(&["ab", ""]));
        let maps = Maps::default();
        for i in 0..MAX_MAPS + 5 {
            maps.insert(def(&format!("m{i}")));
        }
        assert!(maps.get("m0").is_none());
        assert!(maps.get(&format!("m{}", MAX_MAPS + 4)).is_some());
        assert_eq!(maps.inner.lock().unwrap().0.len(), MAX_MAPS);
    }
}
