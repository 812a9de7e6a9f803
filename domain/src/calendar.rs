//! Dates as the ward reads them. Vietnam keeps one time all year (Asia/Ho_Chi_Minh, UTC+07:00,
//! no daylight saving since 1975), so a day or a month of the ward is a fixed span of UTC and
//! needs no time-zone database: a report at 23:30 on 31/01 local time is January's, whatever
//! the time zone of the server or of the supervisor's browser.

/// The ward's offset from UTC, in milliseconds.
pub const WARD_OFFSET_MS: i64 = 7 * 3_600_000;
/// One day, in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
}

/// A moment as the ward's clocks show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub date: Date,
    pub hour: u32,
    pub minute: u32,
}

/// Days in `month` of `year`.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The date, if it exists (31/02 does not).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        (day >= 1 && day <= days_in_month(year, month)).then_some(Date { year, month, day })
    }

    /// `dd/mm/yyyy` (also `d/m/yyyy`), years 1900–9999; anything else, or a day that does not
    /// exist, is `None` — refused, not guessed.
    pub fn parse_dmy(s: &str) -> Option<Date> {
        let mut parts = s.trim().split('/');
        let mut next = || parts.next().map(str::trim).filter(|p| !p.is_empty());
        let (d, m, y) = (next()?, next()?, next()?);
        if next().is_some()
            || [d, m, y]
                .iter()
                .any(|p| !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        if !(1900..=9999).contains(&year) {
            return None;
        }
        Date::new(year, m.parse().ok()?, d.parse().ok()?)
    }

    /// `yyyy-mm-dd`, as a date field stores it; anything else is `None`.
    pub fn parse_iso(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if !s.is_ascii() || b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        Date::parse_dmy(&format!("{}/{}/{}", &s[8..10], &s[5..7], &s[..4]))
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's `days_from_civil`.
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01 (Hinnant's `civil_from_days`).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The ward's midnight starting this date, in ms since the Unix epoch.
    pub fn start_ms(self) -> i64 {
        self.days_since_epoch() * DAY_MS - WARD_OFFSET_MS
    }

    /// The day after.
    pub fn next_day(self) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + 1)
    }

    /// The first day of this date's month.
    pub fn month_start(self) -> Date {
        Date { day: 1, ..self }
    }

    /// The first day of the next month.
    pub fn next_month(self) -> Date {
        match self.month {
            12 => Date {
                year: self.year + 1,
                month: 1,
                day: 1,
            },
            m => Date {
                year: self.year,
                month: m + 1,
                day: 1,
            },
        }
    }

    /// `dd/mm/yyyy`.
    pub fn dmy(self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }

    /// `yyyy-mm-dd` (ISO 8601), as date fields hold it.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl LocalTime {
    /// `ms` since the Unix epoch on the ward's clocks.
    pub fn at(ms: i64) -> LocalTime {
        let local = ms + WARD_OFFSET_MS;
        let minutes = local.rem_euclid(DAY_MS) / 60_000;
        LocalTime {
            date: Date::from_days_since_epoch(local.div_euclid(DAY_MS)),
            hour: (minutes / 60) as u32,
            minute: (minutes % 60) as u32,
        }
    }

    /// `dd/mm/yyyy HH:MM`.
    pub fn dmy_hm(self) -> String {
        format!("{} {:02}:{:02}", self.date.dmy(), self.hour, self.minute)
    }

    /// `yyyy-mm-ddThh:mm` (ISO 8601, without the offset).
    pub fn iso_hm(self) -> String {
        format!("{}T{:02}:{:02}", self.date.iso(), self.hour, self.minute)
    }
}

/// When a record was filed, from the phone's `created_at` (RFC 3339): never later than
/// `received` (ms), and `received` itself when the phone's time cannot be read.
pub fn filed_at_ms(created_at: &str, received: i64) -> i64 {
    parse_rfc3339_ms(created_at).map_or(received, |t| t.min(received))
}

/// Milliseconds since the Unix epoch of an RFC 3339 timestamp (`2025-06-30T21:05:00.123+07:00`,
/// `...Z`; fractions beyond milliseconds are dropped), as phones write `created_at`. Anything
/// else is `None`.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = Date::new(
        i32::try_from(num(0, 4)?).ok()?,
        u32::try_from(num(5, 2)?).ok()?,
        u32::try_from(num(8, 2)?).ok()?,
    )?;
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..3 {
            millis *= 10;
        }
    }
    let offset_min = match b.get(i)? {
        b'Z' | b'z' if b.len() == i + 1 => 0,
        sign @ (b'+' | b'-') if b.len() == i + 6 && b[i + 3] == b':' => {
            let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let seconds = date.days_since_epoch() * 86_400 + hour * 3600 + minute * 60 + second.min(59);
    Some((seconds - offset_min * 60) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_dates_are_read_and_anything_else_is_refused() {
        assert_eq!(
            super::Date::parse_iso("2025-02-28"),
            super::Date::new(2025, 2, 28)
        );
        for bad in [
            "2025-02-29",
            "2025-2-28",
            "28/02/2025",
            "2025-02-2ạ",
            "ạ025-02-28",
        ] {
            assert_eq!(super::Date::parse_iso(bad), None, "{bad}");
        }
    }

    use super::*;
    use proptest::prelude::*;

    /// The same date, by the `time` crate.
    fn reference(d: Date) -> Option<time::Date> {
        time::Date::from_calendar_date(
            d.year,
            time::Month::try_from(d.month as u8).ok()?,
            d.day as u8,
        )
        .ok()
    }

    #[test]
    fn dates_are_read_as_written_and_impossible_ones_refused() {
        assert_eq!(Date::parse_dmy("05/12/2026"), Date::new(2026, 12, 5));
        assert_eq!(Date::parse_dmy(" 5/1/2025 "), Date::new(2025, 1, 5));
        assert_eq!(Date::parse_dmy("29/02/2024"), Date::new(2024, 2, 29));
        for bad in [
            "29/02/2025",
            "31/04/2026",
            "0/1/2026",
            "1/13/2026",
            "1/1/26",
            "1/1/1899",
            "2026-12-05",
            "1/1/2026/1",
            "+1/1/2026",
            "1//2026",
            "",
            "a/b/c",
        ] {
            assert_eq!(Date::parse_dmy(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_moment_late_on_the_last_day_of_a_month_belongs_to_that_month_in_the_ward() {
        // 31/01/2026 23:30 in Hà Nội is 16:30 UTC.
        let ms = 1_769_877_000_000;
        let t = LocalTime::at(ms);
        assert_eq!(t.dmy_hm(), "31/01/2026 23:30");
        assert_eq!(t.iso_hm(), "2026-01-31T23:30");
        assert_eq!(t.date.iso(), "2026-01-31");
        let jan = Date::new(2026, 1, 1).unwrap();
        assert!(jan.start_ms() <= ms && ms < jan.next_month().start_ms());
        assert_eq!(jan.start_ms(), 1_767_200_400_000, "31/12/2025 17:00 UTC");
    }

    #[test]
    fn phone_timestamps_are_read_in_their_own_offset() {
        let ms = parse_rfc3339_ms;
        assert_eq!(ms("2026-01-31T23:30:00+07:00"), Some(1_769_877_000_000));
        assert_eq!(ms("2026-01-31T16:30:00Z"), Some(1_769_877_000_000));
        assert_eq!(ms("2026-01-31T16:30:00.250Z"), Some(1_769_877_000_250));
        assert_eq!(ms("2026-01-31T16:30:00.25Z"), Some(1_769_877_000_250));
        assert_eq!(
            ms("2026-01-31T16:30:00.123456789Z"),
            Some(1_769_877_000_123)
        );
        assert_eq!(ms("2026-01-31T09:30:00-07:00"), Some(1_769_877_000_000));
        for bad in [
            "",
            "2026-01-31",
            "2026-01-31T16:30:00",
            "2026-02-30T16:30:00Z",
            "2026-01-31T24:30:00Z",
            "2026-01-31T16:30:00.Z",
            "2026-01-31T16:30:00+0700",
            "2026-01-31T16:30:00Zjunk",
            "2026-01-31T16:3a:00Z",
            "2026-01-31T16:30:00+07:00 ",
            "２０２６-01-31T16:30:00Z",
        ] {
            assert_eq!(ms(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn timestamps_agree_with_the_time_crate(
            secs in -2_000_000_000i64..10_000_000_000,
            millis in 0i64..1000,
            offset_min in -1439i64..1440,
        ) {
            let at = time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
                + time::Duration::milliseconds(millis);
            let offset = time::UtcOffset::from_whole_seconds(i32::try_from(offset_min * 60).unwrap()).unwrap();
            let text = at
                .to_offset(offset)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            prop_assume!(at.year() >= 0 && at.to_offset(offset).year() <= 9999 && at.to_offset(offset).year() >= 0);
            prop_assert_eq!(parse_rfc3339_ms(&text), Some(secs * 1000 + millis), "{}", text);
        }

        #[test]
        fn days_agree_with_the_time_crate(days in -800_000i64..2_900_000) {
            let d = Date::from_days_since_epoch(days);
            let r = reference(d).expect("a valid date");
            prop_assert_eq!(i64::from(r.to_julian_day()) - 2_440_588, days);
            prop_assert_eq!(d.days_since_epoch(), days);
            prop_assert_eq!(d.next_day().days_since_epoch(), days + 1);
        }

        #[test]
        fn validity_agrees_with_the_time_crate(y in 1900i32..2100, m in 0u32..14, d in 0u32..33) {
            let date = Date { year: y, month: m, day: d };
            prop_assert_eq!(Date::new(y, m, d).is_some(), reference(date).is_some());
        }

        #[test]
        fn local_time_agrees_with_the_time_crate(ms in -2_000_000_000_000i64..8_000_000_000_000) {
            let t = LocalTime::at(ms);
            let r = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .unwrap()
                .to_offset(time::macros::offset!(+7));
            prop_assert_eq!((t.date.year, t.date.month, t.date.day), (r.year(), u32::from(u8::from(r.month())), u32::from(r.day())));
            prop_assert_eq!((t.hour, t.minute), (u32::from(r.hour()), u32::from(r.minute())));
            prop_assert!(t.date.start_ms() <= ms && ms < t.date.next_day().start_ms());
        }
    }
}
