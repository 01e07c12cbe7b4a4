//! Dates and times as the SQL API sends them, over PostgreSQL's whole range.
//!
//! PostgreSQL dates run from 4713 BC to 5874897 AD and timestamps to 294276 AD; CARTO sends
//! them as JavaScript's ISO text (`2020-01-02T03:04:05.678Z`, `+275760-09-13T00:00:00.000Z`,
//! `-000043-03-15T00:00:00.000Z` for 44 BC) or, where node-postgres gives up, as PostgreSQL's
//! own text (`0044-03-15 BC`, `20000-01-01 00:00:00+00`). Date libraries stop far earlier
//! (chrono at 262143 AD), so the proleptic Gregorian arithmetic is done here, on `i64` days.
//! Years are astronomical: year 0 is 1 BC, year -43 is 44 BC.

/// Microseconds in a day.
pub(crate) const DAY_MICROS: i64 = 86_400_000_000;

/// A date and time of day, and the UTC offset it was given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime {
    /// Days since 1970-01-01.
    pub days: i64,
    /// Microseconds since midnight; `None` for a date alone.
    pub time: Option<i64>,
    /// Seconds east of UTC (0 for `Z` or no offset).
    pub offset_seconds: i64,
}

impl DateTime {
    /// Microseconds since 1970-01-01T00:00:00Z, if they fit in an `i64`.
    pub(crate) fn utc_micros(&self) -> Option<i64> {
        let micros = i128::from(self.days) * i128::from(DAY_MICROS)
            + i128::from(self.time.unwrap_or(0))
            - i128::from(self.offset_seconds) * 1_000_000;
        i64::try_from(micros).ok()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01 (`civil_from_days`): year, month, day.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year.rem_euclid(4) == 0
            && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0) =>
        {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The most year digits read: beyond PostgreSQL's range, and far from overflowing `i64` days.
const MAX_YEAR_DIGITS: usize = 9;

/// Reads `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.ffffff]]`, an
/// offset (`Z`, `+01`, `-05:30`, `+00:19:32`) and PostgreSQL's ` BC`. The year has 4 or more
/// digits and may carry a sign (ISO 8601's expanded years).
pub(crate) fn parse(text: &str) -> Option<DateTime> {
    let (text, bc) = match text.strip_suffix(" BC") {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let mut s = Scanner(text.as_bytes());
    let sign = match s.peek() {
        Some(b'+') if !bc => {
            s.advance(1);
            1
        }
        Some(b'-') if !bc => {
            s.advance(1);
            -1
        }
        _ => 1,
    };
    let year_digits = s.digit_run();
    if !(4..=MAX_YEAR_DIGITS).contains(&year_digits) {
        return None;
    }
    let mut year = sign * s.number(year_digits)?;
    if bc {
        // 1 BC is year 0; there is no year 0 BC.
        if year < 1 {
            return None;
        }
        year = 1 - year;
    }
    s.expect(b'-')?;
    let month = u32::try_from(s.fixed(2)?).ok()?;
    s.expect(b'-')?;
    let day = u32::try_from(s.fixed(2)?).ok()?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if s.is_empty() {
        return Some(DateTime {
            days,
            time: None,
            offset_seconds: 0,
        });
    }
    if !matches!(s.peek(), Some(b'T' | b't' | b' ')) {
        return None;
    }
    s.advance(1);
    let hour = s.fixed(2)?;
    s.expect(b':')?;
    let minute = s.fixed(2)?;
    let mut second = 0;
    let mut micros = 0;
    if s.peek() == Some(b':') {
        s.advance(1);
        second = s.fixed(2)?;
        if matches!(s.peek(), Some(b'.' | b',')) {
            s.advance(1);
            let digits = s.digit_run();
            if digits == 0 {
                return None;
            }
            // Digits past microseconds are dropped (PostgreSQL sends at most 6).
            let kept = digits.min(6);
            micros = s.number(kept)? * 10i64.pow((6 - kept) as u32);
            s.advance(digits - kept);
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset_seconds = match s.peek() {
        None => 0,
        Some(b'Z' | b'z') => {
            s.advance(1);
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            s.advance(1);
            let sign = if sign == b'+' { 1 } else { -1 };
            let mut seconds = s.fixed(2)? * 3600;
            for unit in [60, 1] {
                if s.is_empty() {
                    break;
                }
                if s.peek() == Some(b':') {
                    s.advance(1);
                }
                seconds += s.fixed(2)? * unit;
            }
            if seconds > 18 * 3600 {
                return None;
            }
            sign * seconds
        }
        Some(_) => return None,
    };
    if !s.is_empty() {
        return None;
    }
    Some(DateTime {
        days,
        time: Some(((hour * 60 + minute) * 60 + second) * 1_000_000 + micros),
        offset_seconds,
    })
}

/// `2020-01-02` for years 0 to 9999; other years with a sign and at least 6 digits
/// (`+275760-09-13`, `-000043-03-15`), as ISO 8601's expanded years and JavaScript write them.
pub(crate) fn format_date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    if (0..=9999).contains(&year) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:+07}-{month:02}-{day:02}")
    }
}

/// `2020-01-02T03:04:05.678901Z` for microseconds since 1970-01-01 UTC.
pub(crate) fn format_timestamp(micros: i64) -> String {
    let days = micros.div_euclid(DAY_MICROS);
    let of_day = micros.rem_euclid(DAY_MICROS);
    let seconds = of_day / 1_000_000;
    format!(
        "{}T{:02}:{:02}:{:02}.{:06}Z",
        format_date(days),
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        of_day % 1_000_000
    )
}

/// A cursor over ASCII text.
struct Scanner<'a>(&'a [u8]);

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn advance(&mut self, n: usize) {
        self.0 = &self.0[n.min(self.0.len())..];
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.advance(1))
    }

    /// How many ASCII digits come next.
    fn digit_run(&self) -> usize {
        self.0.iter().take_while(|b| b.is_ascii_digit()).count()
    }

    /// The number made of the next `n` bytes, which must all be digits.
    fn number(&mut self, n: usize) -> Option<i64> {
        let digits = self.0.get(..n)?;
        let mut value: i64 = 0;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(d - b'0');
        }
        self.advance(n);
        Some(value)
    }

    /// Exactly `n` digits, not followed by another digit.
    fn fixed(&mut self, n: usize) -> Option<i64> {
        if self.digit_run() != n {
            return None;
        }
        self.number(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts_round_trip_across_the_whole_postgresql_range() {
        for days in (-2_500_000..2_500_000)
            .step_by(997)
            .chain([-1, 0, 1, 59, 60])
        {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1900, 1, 1), -25_567);
        // PostgreSQL's ends: 4713 BC (year -4712) and 5874897 AD.
        assert_eq!(civil_from_days(days_from_civil(-4712, 1, 1)), (-4712, 1, 1));
        assert_eq!(
            civil_from_days(days_from_civil(5_874_897, 12, 31)),
            (5_874_897, 12, 31)
        );
    }

    #[test]
    fn iso_javascript_and_postgresql_forms_are_read() {
        let at = |text: &str| parse(text).and_then(|t| t.utc_micros());
        assert_eq!(at("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(at("1970-01-01 00:00:00"), Some(0));
        assert_eq!(at("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(at("1970-01-01 01:00:00+01"), Some(0));
        assert_eq!(at("1970-01-01 00:19:32+00:19:32"), Some(0));
        assert_eq!(at("1970-01-01T00:00:00.1234567Z"), Some(123_456));
        assert_eq!(at("1969-12-31T23:59:59.999Z"), Some(-1_000));
        let year = |text: &str| parse(text).map(|t| civil_from_days(t.days).0);
        assert_eq!(year("+275760-09-13T00:00:00.000Z"), Some(275_760));
        assert_eq!(year("-000043-03-15T00:00:00.000Z"), Some(-43));
        assert_eq!(year("0044-03-15 BC"), Some(-43));
        assert_eq!(year("0044-03-15 12:00:00+00 BC"), Some(-43));
        assert_eq!(year("20000-01-01 00:00:00+00"), Some(20_000));
        assert_eq!(year("5874897-12-31"), Some(5_874_897));
        for bad in [
            "2020-02-30",
            "2019-02-29",
            "2020-13-01",
            "202-01-01",
            "2020-1-01",
            "2020-01-01T24:00:00",
            "2020-01-01T10:60",
            "2020-01-01X",
            "2020-01-01T10:00:00+19",
            "0000-01-01 BC",
            "-2020-01-01 BC",
            "1234567890-01-01",
            "yesterday",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(parse("2000-02-29").is_some());
        assert!(parse("1900-02-29").is_none());
    }

    #[test]
    fn dates_and_times_are_written_back_as_iso_text() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(days_from_civil(-43, 3, 15)), "-000043-03-15");
        assert_eq!(
            format_date(days_from_civil(275_760, 9, 13)),
            "+275760-09-13"
        );
        assert_eq!(format_timestamp(-1_000), "1969-12-31T23:59:59.999000Z");
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000000Z");
    }
}
