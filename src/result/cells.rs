//! How one JSON value of the SQL API becomes a typed cell: numbers (also NaN and the
//! infinities, which CARTO sends as strings), ISO 8601 times, and hex EWKB geometries.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// `+infinity` timestamps, as PostgreSQL stores them internally.
pub const TIME_INFINITY: i64 = i64::MAX;
/// `-infinity` timestamps.
pub const TIME_MINUS_INFINITY: i64 = i64::MIN;

/// An integer from a JSON number (`12`, also `12.0` or `1e3` when they are whole) or a string
/// holding one (node-postgres sends int8 as text unless told otherwise).
pub fn int64(raw: &str) -> Option<i64> {
    if let Ok(i) = raw.parse::<i64>() {
        return Some(i);
    }
    let f = raw.parse::<f64>().ok()?;
    // Whole and inside the range where f64 -> i64 is exact and cannot saturate.
    (f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15).then_some(f as i64)
}

/// A double from a JSON number, or from "NaN", "Infinity", "-Infinity" (or any number text).
pub fn double(raw: &str) -> Option<f64> {
    match raw {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => raw.parse::<f64>().ok().filter(|f| f.is_finite()),
    }
}

/// Microseconds since 1970-01-01 UTC from CARTO's `2020-01-02T03:04:05.678Z` (or with an
/// offset, or PostgreSQL's own `2020-01-02 03:04:05.678+01` text); "Infinity"/"-Infinity" give
/// [`TIME_INFINITY`]/[`TIME_MINUS_INFINITY`].
pub fn timestamp_micros(text: &str) -> Option<i64> {
    match text {
        "Infinity" | "infinity" => return Some(TIME_INFINITY),
        "-Infinity" | "-infinity" => return Some(TIME_MINUS_INFINITY),
        _ => {}
    }
    let utc = DateTime::parse_from_rfc3339(text)
        .map(|d| d.naive_utc())
        .or_else(|_| {
            DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z").map(|d| d.naive_utc())
        })
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()?;
    let micros = utc.and_utc().timestamp_micros();
    // The two extremes mean infinity; a real time there would be read back wrongly.
    (micros != TIME_INFINITY && micros != TIME_MINUS_INFINITY).then_some(micros)
}

/// Days since 1970-01-01 from `2020-01-02` or a timestamp (CARTO sends dates as midnight in the
/// server's time zone, converted to UTC: the nearest midnight is the date).
pub fn date_days(text: &str) -> Option<i32> {
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return i32::try_from(d.signed_duration_since(epoch()).num_days()).ok();
    }
    let micros = timestamp_micros(text)?;
    if micros == TIME_INFINITY || micros == TIME_MINUS_INFINITY {
        return None;
    }
    i32::try_from((micros + DAY_MICROS / 2).div_euclid(DAY_MICROS)).ok()
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("1970-01-01 is a date")
}

/// `2020-01-02T03:04:05.678901Z` (microseconds, UTC), or "Infinity"/"-Infinity".
pub fn format_timestamp(micros: i64) -> String {
    match micros {
        TIME_INFINITY => "Infinity".to_owned(),
        TIME_MINUS_INFINITY => "-Infinity".to_owned(),
        _ => DateTime::from_timestamp_micros(micros)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
            .unwrap_or_default(),
    }
}

/// `2020-01-02`.
pub fn format_date(days: i32) -> String {
    epoch()
        .checked_add_signed(chrono::TimeDelta::days(i64::from(days)))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A double as text: shortest round-trip form, "NaN", "Infinity", "-Infinity".
pub fn format_double(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        f.to_string()
    }
}

const EWKB_SRID_FLAG: u32 = 0x2000_0000;

/// Decodes hex EWKB (what PostGIS's geometry output and CARTO send) into `wkb`, without the
/// SRID: the SRID flag is cleared and its 4 bytes dropped; the SRID is returned (0 when the
/// geometry has none). Z and M stay as EWKB flag bits, which GDAL, GEOS, wk and sf read.
pub fn ewkb_hex_to_wkb(hex: &str, wkb: &mut Vec<u8>) -> Result<i32, String> {
    let hex = hex.as_bytes();
    if !hex.len().is_multiple_of(2) {
        return Err("hex EWKB of odd length".to_owned());
    }
    if hex.len() < 10 {
        return Err("hex EWKB shorter than a geometry header".to_owned());
    }
    let start = wkb.len();
    wkb.reserve(hex.len() / 2);
    for pair in hex.chunks_exact(2) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(h), Some(l)) => wkb.push(h << 4 | l),
            _ => {
                wkb.truncate(start);
                return Err("not hexadecimal".to_owned());
            }
        }
    }
    let little = match wkb[start] {
        0 => false,
        1 => true,
        other => {
            wkb.truncate(start);
            return Err(format!("byte order marker {other} is neither 0 nor 1"));
        }
    };
    let read_u32 = |b: &[u8]| {
        let b = [b[0], b[1], b[2], b[3]];
        if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let type_word = read_u32(&wkb[start + 1..start + 5]);
    if type_word & EWKB_SRID_FLAG == 0 {
        return Ok(0);
    }
    if wkb.len() < start + 9 {
        wkb.truncate(start);
        return Err("the SRID flag is set but the SRID is missing".to_owned());
    }
    let srid = read_u32(&wkb[start + 5..start + 9]) as i32;
    let cleared = type_word & !EWKB_SRID_FLAG;
    let bytes = if little {
        cleared.to_le_bytes()
    } else {
        cleared.to_be_bytes()
    };
    wkb[start + 1..start + 5].copy_from_slice(&bytes);
    wkb.drain(start + 5..start + 9);
    Ok(srid)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_exact_or_refused() {
        assert_eq!(int64("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(int64("9223372036854775807"), Some(i64::MAX));
        assert_eq!(int64("3.0"), Some(3));
        assert_eq!(int64("1e3"), Some(1000));
        assert_eq!(int64("1.5"), None);
        assert_eq!(int64("9223372036854775808"), None);
        assert_eq!(int64("1e300"), None);
        assert_eq!(int64("abc"), None);
    }

    #[test]
    fn doubles_take_carto_special_values() {
        assert!(double("NaN").unwrap().is_nan());
        assert_eq!(double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(double("0.1"), Some(0.1));
        assert_eq!(double("inf"), None);
        assert_eq!(format_double(0.1), "0.1");
        assert_eq!(format_double(f64::INFINITY), "Infinity");
    }

    #[test]
    fn times_are_utc_microseconds() {
        assert_eq!(timestamp_micros("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(timestamp_micros("1969-12-31T23:59:59.999Z"), Some(-1_000));
        assert_eq!(
            timestamp_micros("2020-01-01 01:00:00.5+01"),
            Some(1_577_836_800_500_000)
        );
        assert_eq!(timestamp_micros("Infinity"), Some(TIME_INFINITY));
        assert_eq!(timestamp_micros("yesterday"), None);
        assert_eq!(format_timestamp(-1_000), "1969-12-31T23:59:59.999000Z");
        assert_eq!(date_days("1969-12-31T00:00:00.000Z"), Some(-1));
        assert_eq!(date_days("1900-01-01"), Some(-25567));
        // A server at UTC+2 sends midnight as 22:00 the day before.
        assert_eq!(date_days("2020-01-01T22:00:00.000Z"), Some(18263));
        assert_eq!(format_date(-25567), "1900-01-01");
        assert_eq!(date_days("Infinity"), None);
    }

    #[test]
    fn ewkb_loses_its_srid_and_keeps_the_rest() {
        // SRID=4326;POINT(1 2), little endian.
        let mut wkb = Vec::new();
        let srid = ewkb_hex_to_wkb(
            "0101000020E6100000000000000000F03F0000000000000040",
            &mut wkb,
        )
        .unwrap();
        assert_eq!(srid, 4326);
        assert_eq!(to_hex(&wkb), "0101000000000000000000f03f0000000000000040");
        // Big endian, SRID 3857, point with Z (flag kept).
        let mut wkb = Vec::new();
        let srid = ewkb_hex_to_wkb(
            "00A000000100000F113FF000000000000040000000000000004008000000000000",
            &mut wkb,
        )
        .unwrap();
        assert_eq!(srid, 3857);
        assert_eq!(&wkb[..5], &[0x00, 0x80, 0, 0, 1]);
        assert_eq!(wkb.len(), 5 + 24);
        // No SRID: unchanged.
        let mut wkb = Vec::new();
        assert_eq!(ewkb_hex_to_wkb("010400000000000000", &mut wkb), Ok(0));
        for bad in ["0101", "01010000002", "zz01000000", "0501000000"] {
            let mut wkb = vec![7];
            assert!(ewkb_hex_to_wkb(bad, &mut wkb).is_err(), "{bad}");
            assert_eq!(wkb, [7], "{bad}");
        }
        let mut wkb = Vec::new();
        assert!(ewkb_hex_to_wkb("0101000020E610", &mut wkb).is_err());
    }
}
