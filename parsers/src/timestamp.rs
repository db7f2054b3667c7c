//! Timestamps: RFC 3339 / ISO 8601 and the BSD `Mmm dd hh:mm:ss` form, and
//! the year a BSD timestamp most likely belongs to.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// An RFC 3339 / ISO 8601 timestamp as written, with its length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IsoStamp {
    pub(crate) datetime: PrimitiveDateTime,
    /// `None` when the text carries no zone.
    pub(crate) offset: Option<UtcOffset>,
    pub(crate) len: usize,
}

impl IsoStamp {
    /// The instant, reading a zone-less timestamp in `default`.
    pub(crate) fn resolve(self, default: UtcOffset) -> OffsetDateTime {
        self.datetime.assume_offset(self.offset.unwrap_or(default))
    }
}

/// A BSD syslog timestamp (`Nov 25 10:00:00`, `Nov  5 10:00:00.123`,
/// `Nov 25 2026 10:00:00`), with its length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BsdStamp {
    pub(crate) month: Month,
    pub(crate) day: u8,
    /// Present only in the Cisco-like `Mmm dd yyyy hh:mm:ss` variant.
    pub(crate) year: Option<i32>,
    pub(crate) time: Time,
    pub(crate) len: usize,
}

impl BsdStamp {
    /// The instant, in `offset`; without a year, the year that puts it
    /// nearest to `received`. `None` for a date that exists in no candidate
    /// year (Feb 30, or Feb 29 far from a leap year).
    pub(crate) fn resolve(
        self,
        received: OffsetDateTime,
        offset: UtcOffset,
    ) -> Option<OffsetDateTime> {
        match self.year {
            Some(y) => {
                let date = Date::from_calendar_date(y, self.month, self.day).ok()?;
                Some(PrimitiveDateTime::new(date, self.time).assume_offset(offset))
            }
            None => nearest_year(self.month, self.day, self.time, received, offset),
        }
    }
}

/// How far ahead of the receive time a year-less timestamp may land: a
/// sender's clock may run fast, or its zone differ from the default one.
const FUTURE_TOLERANCE: time::Duration = time::Duration::days(2);

/// The instant on `month`/`day` at `time` in `offset` whose year (the
/// received year, the one before or the one after) puts it nearest to
/// `received` without being more than [`FUTURE_TOLERANCE`] ahead of it: a
/// `Dec 31 23:59:59` line received on January 1st belongs to the year
/// before, a `Jan 1` line received on December 31st (a fast clock) to the
/// year after, and a `Feb 5` line received on November 25th to the same
/// year, not to the next February, which is nearer but in the future. When
/// only a future year has the date (Feb 29), that year.
pub(crate) fn nearest_year(
    month: Month,
    day: u8,
    time: Time,
    received: OffsetDateTime,
    offset: UtcOffset,
) -> Option<OffsetDateTime> {
    let year = received.to_offset(offset).year();
    // The usual case: the receive year's date is not in the future and
    // under half a year away, so the other years, a year off, are farther.
    if let Ok(date) = Date::from_calendar_date(year, month, day) {
        let t = PrimitiveDateTime::new(date, time).assume_offset(offset);
        let ahead = t - received;
        if ahead <= FUTURE_TOLERANCE && ahead.abs() < time::Duration::days(182) {
            return Some(t);
        }
    }
    let mut best: Option<(OffsetDateTime, time::Duration)> = None;
    let mut any: Option<(OffsetDateTime, time::Duration)> = None;
    for y in [year - 1, year, year + 1] {
        let Ok(date) = Date::from_calendar_date(y, month, day) else {
            continue;
        };
        let t = PrimitiveDateTime::new(date, time).assume_offset(offset);
        let ahead = t - received;
        let distance = ahead.abs();
        if any.is_none_or(|(_, d)| distance < d) {
            any = Some((t, distance));
        }
        if ahead <= FUTURE_TOLERANCE && best.is_none_or(|(_, d)| distance < d) {
            best = Some((t, distance));
        }
    }
    best.or(any).map(|(t, _)| t)
}

/// `n` ASCII digits at `b[at..]` as a number.
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let d = b.get(at..at.checked_add(n)?)?;
    d.iter().try_fold(0u32, |v, &c| {
        c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
    })
}

/// `hh:mm:ss[.fraction]` at `b[at..]`: the time and where it ends. A leap
/// second (`:60`) becomes the last nanosecond of second 59.
fn clock(b: &[u8], at: usize) -> Option<(Time, usize)> {
    let h = digits(b, at, 2)?;
    (b.get(at + 2) == Some(&b':')).then_some(())?;
    let m = digits(b, at + 3, 2)?;
    (b.get(at + 5) == Some(&b':')).then_some(())?;
    let mut s = digits(b, at + 6, 2)?;
    let mut end = at + 8;
    let mut nanos = 0u32;
    if matches!(b.get(end), Some(b'.' | b',')) && b.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end += 1;
        let mut scale = 100_000_000u32;
        while let Some(&c) = b.get(end).filter(|c| c.is_ascii_digit()) {
            // Digits past nanoseconds are read and dropped.
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
            end += 1;
        }
    }
    if s == 60 {
        s = 59;
        nanos = 999_999_999;
    }
    let t = Time::from_hms_nano(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(s).ok()?,
        nanos,
    )
    .ok()?;
    Some((t, end))
}

/// An RFC 3339 timestamp at the start of `s`, leniently: `T`, `t` or a
/// space between date and time, 1 to 9 (or more, truncated) fraction
/// digits after `.` or `,`, and a zone (`Z`, `+hh:mm`, `+hhmm`) that may be
/// missing.
pub(crate) fn parse_iso(s: &str) -> Option<IsoStamp> {
    let b = s.as_bytes();
    let year = digits(b, 0, 4)?;
    (b.get(4) == Some(&b'-')).then_some(())?;
    let month = digits(b, 5, 2)?;
    (b.get(7) == Some(&b'-')).then_some(())?;
    let day = digits(b, 8, 2)?;
    matches!(b.get(10), Some(b'T' | b't' | b' ')).then_some(())?;
    let (time, mut end) = clock(b, 11)?;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let offset = match b.get(end) {
        Some(b'Z' | b'z') => {
            end += 1;
            Some(UtcOffset::UTC)
        }
        Some(&sign @ (b'+' | b'-')) => {
            let h = digits(b, end + 1, 2)?;
            let colon = usize::from(b.get(end + 3) == Some(&b':'));
            let m = digits(b, end + 3 + colon, 2)?;
            end += 5 + colon;
            let (h, m) = (i8::try_from(h).ok()?, i8::try_from(m).ok()?);
            let (h, m) = if sign == b'-' { (-h, -m) } else { (h, m) };
            Some(UtcOffset::from_hms(h, m, 0).ok()?)
        }
        _ => None,
    };
    Some(IsoStamp {
        datetime: PrimitiveDateTime::new(date, time),
        offset,
        len: end,
    })
}

fn month(name: &[u8]) -> Option<Month> {
    let lower = [
        name.first()?.to_ascii_lowercase(),
        name.get(1)?.to_ascii_lowercase(),
        name.get(2)?.to_ascii_lowercase(),
    ];
    Some(match &lower {
        b"jan" => Month::January,
        b"feb" => Month::February,
        b"mar" => Month::March,
        b"apr" => Month::April,
        b"may" => Month::May,
        b"jun" => Month::June,
        b"jul" => Month::July,
        b"aug" => Month::August,
        b"sep" => Month::September,
        b"oct" => Month::October,
        b"nov" => Month::November,
        b"dec" => Month::December,
        _ => return None,
    })
}

/// Where what follows a full month name and its space starts (`s[3..]`
/// spelling the rest of `month`'s English name, ASCII case ignored).
#[cold]
fn full_month(b: &[u8], month: Month) -> Option<usize> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = NAMES[usize::from(u8::from(month)) - 1].as_bytes();
    let n = name.len();
    (n > 3 && b.get(..n)?.eq_ignore_ascii_case(name) && b.get(n) == Some(&b' ')).then_some(n + 1)
}

/// A BSD timestamp at the start of `s`: `Mmm dd hh:mm:ss` with the day
/// padded by a space, by a zero or not at all, optional fraction digits,
/// and optionally a year before the time (`Mmm dd yyyy hh:mm:ss`).
pub(crate) fn parse_bsd(s: &str) -> Option<BsdStamp> {
    let b = s.as_bytes();
    let month = month(b)?;
    let mut at = 4;
    if b.get(3) != Some(&b' ') {
        // A full month name (`July 16 10:34:23`, Kaspersky's mail gateway).
        at = full_month(b, month)?;
    }
    if b.get(at) == Some(&b' ') {
        at += 1;
    }
    let day = match digits(b, at, 2) {
        Some(d) => {
            at += 2;
            d
        }
        None => {
            let d = digits(b, at, 1)?;
            at += 1;
            d
        }
    };
    let day = u8::try_from(day).ok().filter(|d| (1..=31).contains(d))?;
    (b.get(at) == Some(&b' ')).then_some(())?;
    at += 1;
    let mut year = None;
    if b.get(at + 4) == Some(&b' ') {
        if let Some(y) = digits(b, at, 4) {
            year = Some(i32::try_from(y).ok()?);
            at += 5;
        }
    }
    let (time, len) = clock(b, at)?;
    Some(BsdStamp {
        month,
        day,
        year,
        time,
        len,
    })
}

/// A RouterOS console timestamp (`/log print`, and log files written by
/// the router): `mmm/dd/yyyy hh:mm:ss`, `mmm/dd hh:mm:ss` (this year),
/// as a [`BsdStamp`].
pub(crate) fn parse_routeros_date(s: &str) -> Option<BsdStamp> {
    let b = s.as_bytes();
    let month = month(b)?;
    (b.get(3) == Some(&b'/')).then_some(())?;
    let day = u8::try_from(digits(b, 4, 2)?)
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    let mut at = 6;
    let mut year = None;
    if b.get(at) == Some(&b'/') {
        year = Some(i32::try_from(digits(b, at + 1, 4)?).ok()?);
        at += 5;
    }
    (b.get(at) == Some(&b' ')).then_some(())?;
    let (time, len) = clock(b, at + 1)?;
    Some(BsdStamp {
        month,
        day,
        year,
        time,
        len,
    })
}

/// Sophos UTM's `yyyy:mm:dd-hh:mm:ss` (local time), as a [`BsdStamp`].
pub(crate) fn parse_utm(s: &str) -> Option<BsdStamp> {
    let b = s.as_bytes();
    let year = i32::try_from(digits(b, 0, 4)?).ok()?;
    (b.get(4) == Some(&b':') && b.get(7) == Some(&b':') && b.get(10) == Some(&b'-'))
        .then_some(())?;
    let month = Month::try_from(u8::try_from(digits(b, 5, 2)?).ok()?).ok()?;
    let day = u8::try_from(digits(b, 8, 2)?)
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    let (time, len) = clock(b, 11)?;
    Some(BsdStamp {
        month,
        day,
        year: Some(year),
        time,
        len,
    })
}

/// A time of day alone at the start of `s` (`hh:mm:ss[.fff]`, as RouterOS
/// writes for today's records) and its length.
pub(crate) fn parse_clock(s: &str) -> Option<(Time, usize)> {
    clock(s.as_bytes(), 0)
}

/// A time of day on the day that puts it nearest to `received`, not more
/// than [`FUTURE_TOLERANCE`] ahead of it.
pub(crate) fn nearest_day(
    time: Time,
    received: OffsetDateTime,
    offset: UtcOffset,
) -> OffsetDateTime {
    let local = received.to_offset(offset);
    let at = PrimitiveDateTime::new(local.date(), time).assume_offset(offset);
    // A time later today than the receive time (beyond a clock's drift) was
    // yesterday's.
    if at - received > time::Duration::hours(1) {
        at - time::Duration::days(1)
    } else {
        at
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn full_month_names() {
        let t = parse_bsd("July 16 10:34:23 host x").unwrap();
        assert_eq!((t.month, t.day, t.len), (Month::July, 16, 16));
        assert!(parse_bsd("Jul 16 10:34:23").is_some());
        assert!(parse_bsd("Julys 16 10:34:23").is_none());
        assert!(parse_bsd("Juno 16 10:34:23").is_none());
        assert_eq!(parse_bsd("September  5 10:00:00").map(|t| t.day), Some(5));
    }

    #[test]
    fn routeros_console_times() {
        let t = parse_routeros_date("sep/15 12:42:14 system,info x").unwrap();
        assert_eq!(
            (t.month, t.day, t.year, t.time, t.len),
            (Month::September, 15, None, time!(12:42:14), 15)
        );
        let t = parse_routeros_date("nov/25/2026 23:58:10 x").unwrap();
        assert_eq!((t.year, t.len), (Some(2026), 20));
        assert!(parse_routeros_date("sep 15 12:42:14").is_none());
        assert!(parse_routeros_date("sep/32 12:42:14").is_none());
        // Received at 10:00 +07: 09:20 is today's, 23:50 yesterday's.
        let rx = datetime!(2026-11-25 03:00 UTC);
        assert_eq!(
            nearest_day(time!(09:20), rx, offset!(+7)),
            datetime!(2026-11-25 09:20 +7)
        );
        assert_eq!(
            nearest_day(time!(23:50), rx, offset!(+7)),
            datetime!(2026-11-24 23:50 +7)
        );
    }

    use super::*;
    use time::macros::{datetime, offset, time};

    const HCM: UtcOffset = offset!(+7);

    #[test]
    fn iso_forms() {
        let t = parse_iso("2026-11-25T10:00:00.123456+07:00 host").unwrap();
        assert_eq!(t.len, 32);
        assert_eq!(
            t.resolve(UtcOffset::UTC),
            datetime!(2026-11-25 03:00:00.123456 UTC)
        );
        let t = parse_iso("2003-10-11T22:14:15.003Z").unwrap();
        assert_eq!(t.offset, Some(UtcOffset::UTC));
        assert_eq!(t.len, 24);
        let t = parse_iso("2003-08-24T05:14:15.000003-07:00").unwrap();
        assert_eq!(
            t.resolve(UtcOffset::UTC),
            datetime!(2003-08-24 12:14:15.000003 UTC)
        );
        let t = parse_iso("2026-11-25 10:00:00+0700").unwrap();
        assert_eq!(t.len, 24);
        assert_eq!(t.offset, Some(HCM));
        let t = parse_iso("2026-11-25T10:00:00").unwrap();
        assert_eq!(t.offset, None);
        assert_eq!(t.resolve(HCM), datetime!(2026-11-25 03:00:00 UTC));
        // Fractions longer than nanoseconds are truncated.
        let t = parse_iso("2026-11-25T10:00:00.1234567891234Z").unwrap();
        assert_eq!(t.datetime.nanosecond(), 123_456_789);
        // A leap second.
        let t = parse_iso("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(t.datetime.second(), 59);
    }

    #[test]
    fn iso_rejects() {
        for s in [
            "",
            "2026",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25X10:00:00Z",
            "2026-11-25T10:00",
            "2026-11-25T10:00:00+7",
            "2026-11-25T10:00:00+99:00",
            "2026-11-25T10:00:0\u{fffd}",
        ] {
            assert_eq!(parse_iso(s), None, "{s}");
        }
    }

    #[test]
    fn bsd_forms() {
        let t = parse_bsd("Nov 25 10:00:00 host").unwrap();
        assert_eq!(
            (t.month, t.day, t.time, t.len),
            (Month::November, 25, time!(10:00:00), 15)
        );
        let t = parse_bsd("Feb  5 17:32:18 10.0.0.99").unwrap();
        assert_eq!((t.day, t.len), (5, 15));
        let t = parse_bsd("Feb 5 17:32:18").unwrap();
        assert_eq!((t.day, t.len), (5, 14));
        let t = parse_bsd("feb 05 17:32:18.250").unwrap();
        assert_eq!((t.day, t.time, t.len), (5, time!(17:32:18.25), 19));
        let t = parse_bsd("Nov 25 2026 10:00:00").unwrap();
        assert_eq!((t.year, t.len), (Some(2026), 20));
        for s in [
            "",
            "Nov",
            "Foo 25 10:00:00",
            "Nov 32 10:00:00",
            "Nov 25 1000:00",
            "Nov 0 10:00:00",
            "Nov25 10:00:00",
        ] {
            assert_eq!(parse_bsd(s), None, "{s}");
        }
    }

    #[test]
    fn year_nearest_to_received() {
        let t = time!(23:59:59);
        // A December 31st line received (UTC) on January 1st: last year.
        let received = datetime!(2027-01-01 00:00:30 UTC);
        let got = nearest_year(Month::December, 31, t, received, UtcOffset::UTC).unwrap();
        assert_eq!(got, datetime!(2026-12-31 23:59:59 UTC));
        // The same in +07:00, received when it is already January 1st there.
        let received = datetime!(2026-12-31 17:00:30 UTC);
        let got = nearest_year(Month::December, 31, t, received, HCM).unwrap();
        assert_eq!(got, datetime!(2026-12-31 16:59:59 UTC));
        // A fast sender clock: January 1st received on December 31st.
        let received = datetime!(2026-12-31 23:59:00 UTC);
        let got =
            nearest_year(Month::January, 1, time!(00:00:10), received, UtcOffset::UTC).unwrap();
        assert_eq!(got, datetime!(2027-01-01 00:00:10 UTC));
        // The usual case.
        let received = datetime!(2026-11-25 03:00:00 UTC);
        let got = nearest_year(Month::November, 25, time!(10:00:00), received, HCM).unwrap();
        assert_eq!(got, datetime!(2026-11-25 03:00:00 UTC));
        // Nearer but months ahead: the past year wins.
        let received = datetime!(2026-11-25 03:00:00 UTC);
        let got = nearest_year(Month::February, 5, time!(17:32:18), received, HCM).unwrap();
        assert_eq!(got, datetime!(2026-02-05 10:32:18 UTC));
        // A day ahead (a zone mismatch) stays in the received year.
        let got = nearest_year(Month::November, 26, time!(10:00:00), received, HCM).unwrap();
        assert_eq!(got.year(), 2026);
        // Feb 29 picks the nearest leap year among the candidates.
        let received = datetime!(2028-03-01 00:00:00 UTC);
        let got = nearest_year(Month::February, 29, t, received, UtcOffset::UTC).unwrap();
        assert_eq!(got.year(), 2028);
        let received = datetime!(2027-12-01 00:00:00 UTC);
        let got = nearest_year(Month::February, 29, t, received, UtcOffset::UTC).unwrap();
        assert_eq!(got.year(), 2028);
        let received = datetime!(2026-06-01 00:00:00 UTC);
        assert_eq!(
            nearest_year(Month::February, 29, t, received, UtcOffset::UTC),
            None
        );
    }

    #[test]
    fn bsd_with_year_ignores_received() {
        let s = parse_bsd("Jan 02 2020 01:02:03").unwrap();
        let got = s
            .resolve(datetime!(2026-11-25 03:00:00 UTC), UtcOffset::UTC)
            .unwrap();
        assert_eq!(got, datetime!(2020-01-02 01:02:03 UTC));
    }
}
