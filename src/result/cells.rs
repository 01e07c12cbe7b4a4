//! How one JSON value of the SQL API becomes a typed cell: numbers (also NaN and the
//! infinities, which CARTO sends as strings), ISO 8601 times, and hex EWKB geometries.

use super::calendar::{self, DAY_MICROS};
use std::borrow::Cow;

/// `+infinity` timestamps, as PostgreSQL stores them internally.
pub const TIME_INFINITY: i64 = i64::MAX;
/// `-infinity` timestamps.
pub const TIME_MINUS_INFINITY: i64 = i64::MIN;
/// `+infinity` dates, as PostgreSQL stores them internally.
pub const DATE_INFINITY: i32 = i32::MAX;
/// `-infinity` dates.
pub const DATE_MINUS_INFINITY: i32 = i32::MIN;

/// Why a value does not fit its column's type, as the rest of a message: "row 3 of column 'x'
/// (int4) holds 1.5, which {why}".
pub(crate) type Unfit = &'static str;

/// An integer from a JSON number (`12`, also `12.0` or `1e3` when they are whole) or a string
/// holding one (node-postgres sends int8 as text unless told otherwise).
pub fn int64(raw: &str) -> Result<i64, Unfit> {
    if let Ok(i) = raw.parse::<i64>() {
        return Ok(i);
    }
    let f = raw.parse::<f64>().map_err(|_| "is not an integer")?;
    // Whole and inside the range where f64 -> i64 is exact and cannot saturate.
    if f.fract() != 0.0 {
        Err("is not a whole number")
    } else if f.abs() < 9.007_199_254_740_992e15 {
        Ok(f as i64)
    } else {
        Err("is not an integer that 64 bits hold exactly")
    }
}

/// A double from a JSON number, or from "NaN", "Infinity", "-Infinity" (or any number text).
/// A number beyond the range of a double (numeric's `1e400`) does not fit: it is not
/// rounded to an infinity.
pub fn double(raw: &str) -> Result<f64, Unfit> {
    match raw {
        "NaN" => Ok(f64::NAN),
        "Infinity" => Ok(f64::INFINITY),
        "-Infinity" => Ok(f64::NEG_INFINITY),
        _ => match raw.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(f),
            Ok(_) => Err("is beyond the range of a double"),
            Err(_) => Err("is not a number, NaN or ±Infinity"),
        },
    }
}

/// Microseconds since 1970-01-01 UTC from CARTO's `2020-01-02T03:04:05.678Z` (or with an
/// offset, an expanded or BC year, or PostgreSQL's own `2020-01-02 03:04:05.678+01` text);
/// "Infinity"/"-Infinity" give [`TIME_INFINITY`]/[`TIME_MINUS_INFINITY`].
pub fn timestamp_micros(text: &str) -> Result<i64, Unfit> {
    match text {
        "Infinity" | "infinity" => return Ok(TIME_INFINITY),
        "-Infinity" | "-infinity" => return Ok(TIME_MINUS_INFINITY),
        _ => {}
    }
    let parsed = calendar::parse(text).ok_or("is not an ISO 8601 time")?;
    match parsed.utc_micros() {
        // The two extremes mean infinity; a real time there would be read back wrongly.
        Some(micros) if micros != TIME_INFINITY && micros != TIME_MINUS_INFINITY => Ok(micros),
        _ => Err("is a time too far from 1970 for 64-bit microseconds"),
    }
}

/// Days since 1970-01-01 from `2020-01-02` or a timestamp (CARTO sends dates as midnight in the
/// server's time zone, converted to UTC: the nearest midnight is the date); "Infinity" and
/// "-Infinity" give [`DATE_INFINITY`]/[`DATE_MINUS_INFINITY`].
pub fn date_days(text: &str) -> Result<i32, Unfit> {
    match text {
        "Infinity" | "infinity" => return Ok(DATE_INFINITY),
        "-Infinity" | "-infinity" => return Ok(DATE_MINUS_INFINITY),
        _ => {}
    }
    let parsed = calendar::parse(text).ok_or("is not an ISO 8601 date")?;
    let days = match parsed.time {
        None => i128::from(parsed.days),
        Some(time) => {
            let micros = i128::from(parsed.days) * i128::from(DAY_MICROS) + i128::from(time)
                - i128::from(parsed.offset_seconds) * 1_000_000;
            (micros + i128::from(DAY_MICROS / 2)).div_euclid(i128::from(DAY_MICROS))
        }
    };
    match i32::try_from(days) {
        Ok(days) if days != DATE_INFINITY && days != DATE_MINUS_INFINITY => Ok(days),
        _ => Err("is a date too far from 1970 for 32-bit days"),
    }
}

/// `2020-01-02T03:04:05.678901Z` (microseconds, UTC), or "Infinity"/"-Infinity".
pub fn format_timestamp(micros: i64) -> String {
    match micros {
        TIME_INFINITY => "Infinity".to_owned(),
        TIME_MINUS_INFINITY => "-Infinity".to_owned(),
        _ => calendar::format_timestamp(micros),
    }
}

/// `2020-01-02` (years outside 0..=9999 as `+275760-09-13`, `-000043-03-15`), or
/// "Infinity"/"-Infinity".
pub fn format_date(days: i32) -> String {
    match days {
        DATE_INFINITY => "Infinity".to_owned(),
        DATE_MINUS_INFINITY => "-Infinity".to_owned(),
        _ => calendar::format_date(i64::from(days)),
    }
}

/// A date as microseconds since 1970-01-01 UTC (its midnight), if a timestamp can hold it.
pub fn date_micros(days: i32) -> Option<i64> {
    match days {
        DATE_INFINITY => Some(TIME_INFINITY),
        DATE_MINUS_INFINITY => Some(TIME_MINUS_INFINITY),
        _ => i64::from(days)
            .checked_mul(DAY_MICROS)
            .filter(|&m| m != TIME_INFINITY && m != TIME_MINUS_INFINITY),
    }
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
pub fn ewkb_hex_to_wkb(hex: &str, wkb: &mut Vec<u8>) -> Result<i32, Unfit> {
    let hex = hex.as_bytes();
    if !hex.len().is_multiple_of(2) {
        return Err("is not hex EWKB (odd length)");
    }
    if hex.len() < 10 {
        return Err("is not hex EWKB (shorter than a geometry header)");
    }
    let start = wkb.len();
    wkb.reserve(hex.len() / 2);
    for pair in hex.chunks_exact(2) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(h), Some(l)) => wkb.push(h << 4 | l),
            _ => {
                wkb.truncate(start);
                return Err("is not hex EWKB (not hexadecimal)");
            }
        }
    }
    let little = match wkb[start] {
        0 => false,
        1 => true,
        _ => {
            wkb.truncate(start);
            return Err("is not hex EWKB (its byte order marker is neither 0 nor 1)");
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
        return Err("is not hex EWKB (the SRID flag is set but the SRID is missing)");
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

/// The string inside a JSON string literal, or `None` for other JSON values. A `\\u` escape of
/// half a surrogate pair (`"\\ud800"`), which no text of PostgreSQL's holds but a server may
/// send, becomes U+FFFD, as a lenient JSON reader makes it.
pub(crate) fn json_string(raw: &str) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    unescape(inner).map(Cow::Owned)
}

/// The text of a JSON string's escaped content (`RawValue` checked its syntax).
fn unescape(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    let hex4 = |chars: &mut std::str::Chars<'_>| -> Option<u32> {
        let digits: String = chars.by_ref().take(4).collect();
        (digits.len() == 4).then(|| u32::from_str_radix(&digits, 16).ok())?
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let unit = match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let first = hex4(&mut chars)?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate: a low one must follow as `\\uDC00`..`\\uDFFF`.
                    let mut ahead = chars.clone();
                    let low = (ahead.next() == Some('\\') && ahead.next() == Some('u'))
                        .then(|| hex4(&mut ahead))
                        .flatten()
                        .filter(|low| (0xDC00..0xE000).contains(low));
                    match low {
                        Some(low) => {
                            chars = ahead;
                            0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
                        }
                        None => 0xFFFD,
                    }
                } else {
                    first
                };
                char::from_u32(code).unwrap_or('\u{FFFD}')
            }
            _ => return None,
        };
        out.push(unit);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_exact_or_refused() {
        assert_eq!(int64("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(int64("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(int64("3.0"), Ok(3));
        assert_eq!(int64("1e3"), Ok(1000));
        assert!(int64("1.5").is_err());
        assert!(int64("9223372036854775808").is_err());
        assert!(int64("1e300").is_err());
        assert_eq!(int64("abc"), Err("is not an integer"));
    }

    #[test]
    fn doubles_take_carto_special_values() {
        assert!(double("NaN").unwrap().is_nan());
        assert_eq!(double("-Infinity"), Ok(f64::NEG_INFINITY));
        assert_eq!(double("0.1"), Ok(0.1));
        assert!(double("inf").is_err());
        assert_eq!(double("1e400"), Err("is beyond the range of a double"));
        assert_eq!(format_double(0.1), "0.1");
        assert_eq!(format_double(f64::INFINITY), "Infinity");
    }

    #[test]
    fn times_are_utc_microseconds() {
        assert_eq!(timestamp_micros("1970-01-01T00:00:00.000Z"), Ok(0));
        assert_eq!(timestamp_micros("1969-12-31T23:59:59.999Z"), Ok(-1_000));
        assert_eq!(
            timestamp_micros("2020-01-01 01:00:00.5+01"),
            Ok(1_577_836_800_500_000)
        );
        assert_eq!(timestamp_micros("Infinity"), Ok(TIME_INFINITY));
        assert_eq!(timestamp_micros("-infinity"), Ok(TIME_MINUS_INFINITY));
        assert!(timestamp_micros("yesterday").is_err());
        assert_eq!(format_timestamp(-1_000), "1969-12-31T23:59:59.999000Z");
        assert_eq!(date_days("1969-12-31T00:00:00.000Z"), Ok(-1));
        assert_eq!(date_days("1900-01-01"), Ok(-25567));
        // A server at UTC+2 sends midnight as 22:00 the day before.
        assert_eq!(date_days("2020-01-01T22:00:00.000Z"), Ok(18263));
        assert_eq!(format_date(-25567), "1900-01-01");
    }

    #[test]
    fn bc_far_future_and_infinite_dates_and_times_are_values() {
        assert_eq!(date_days("infinity"), Ok(DATE_INFINITY));
        assert_eq!(date_days("-Infinity"), Ok(DATE_MINUS_INFINITY));
        assert_eq!(format_date(DATE_INFINITY), "Infinity");
        assert_eq!(date_micros(DATE_MINUS_INFINITY), Some(TIME_MINUS_INFINITY));
        // 44 BC in PostgreSQL's text and JavaScript's.
        let ides = date_days("0044-03-15 BC").unwrap();
        assert_eq!(date_days("-000043-03-15T00:00:00.000Z"), Ok(ides));
        assert_eq!(format_date(ides), "-000043-03-15");
        let bc_time = timestamp_micros("0044-03-15 12:00:00+00 BC").unwrap();
        assert_eq!(bc_time, i64::from(ides) * 86_400_000_000 + 43_200_000_000);
        // Past chrono's 262143, up to PostgreSQL's ends.
        let far = date_days("275760-09-13").unwrap();
        assert_eq!(format_date(far), "+275760-09-13");
        assert!(date_days("5874897-12-31").is_ok());
        assert!(timestamp_micros("+275760-09-13T00:00:00.000Z").is_ok());
        assert!(timestamp_micros("294276-12-31 23:59:59+00").is_err());
        assert!(date_micros(date_days("5874897-12-31").unwrap()).is_none());
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
