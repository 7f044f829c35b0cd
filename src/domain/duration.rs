//! ISO 8601 durations (`P15D`, `P3Y`, `PT2S`) with calendar arithmetic:
//! years and months move the calendar date (clamping to the month's last
//! day), weeks and days move it by whole days in the given time zone, and the
//! time part is an exact span of seconds. Periods may also be given in
//! working days (`15WD`), which only a working calendar can count (see
//! `domain::calendar` and `Config::deadline`).

use std::{fmt, str::FromStr};

use chrono::{DateTime, Days, Months, TimeZone};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IsoDuration {
    pub years: u32,
    pub months: u32,
    pub weeks: u32,
    pub days: u32,
    pub hours: u32,
    pub minutes: u32,
    pub seconds: u32,
    /// Working days (`15WD`); never combined with the other parts.
    pub working_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not an ISO 8601 duration such as P15D, P3Y or PT2S, or working days such as 15WD: {reason}")]
pub struct DurationError {
    input: String,
    reason: &'static str,
}

impl IsoDuration {
    pub const fn days(days: u32) -> Self {
        Self { years: 0, months: 0, weeks: 0, days, hours: 0, minutes: 0, seconds: 0, working_days: 0 }
    }

    pub const fn seconds(seconds: u32) -> Self {
        Self { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds, working_days: 0 }
    }

    pub const fn working_days(working_days: u32) -> Self {
        Self { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0, working_days }
    }

    /// Whether the period counts calendar days (years, months, weeks or
    /// days), so that its end falls on a date that may be a holiday.
    pub fn has_calendar_days(&self) -> bool {
        self.years + self.months + self.weeks + self.days > 0
    }

    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// The exact length, if the duration has no calendar part (no Y, M, W
    /// or D); those depend on where on the calendar they start.
    pub fn exact(&self) -> Option<std::time::Duration> {
        let calendar = self.years + self.months + self.weeks + self.days + self.working_days;
        (calendar == 0).then(|| std::time::Duration::from_secs(self.time_seconds()))
    }

    fn time_seconds(&self) -> u64 {
        u64::from(self.hours) * 3600 + u64::from(self.minutes) * 60 + u64::from(self.seconds)
    }

    /// `start + self`, on the calendar of `start`'s time zone. `None` when
    /// the result is out of chrono's range, or for working days (which
    /// need a working calendar: `Config::deadline`).
    pub fn after<Tz: TimeZone>(&self, start: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        if self.working_days > 0 {
            return None;
        }
        let tz = start.timezone();
        let local = start.naive_local();
        let date = local
            .date()
            .checked_add_months(Months::new(self.years.checked_mul(12)?.checked_add(self.months)?))?
            .checked_add_days(Days::new(u64::from(self.weeks) * 7 + u64::from(self.days)))?;
        let shifted = date.and_time(local.time());
        // A local time skipped by a daylight-saving change resolves to the
        // earliest valid instant after it.
        let moved = tz
            .from_local_datetime(&shifted)
            .earliest()
            .or_else(|| tz.from_local_datetime(&(shifted + chrono::Duration::hours(1))).earliest())?;
        let exact = chrono::Duration::try_seconds(i64::try_from(self.time_seconds()).ok()?)?;
        moved.checked_add_signed(exact)
    }

    /// `end - self`: the start of the span that ends at `end`.
    pub fn before<Tz: TimeZone>(&self, end: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        if self.working_days > 0 {
            return None;
        }
        let tz = end.timezone();
        let exact = chrono::Duration::try_seconds(i64::try_from(self.time_seconds()).ok()?)?;
        let local = end.clone().checked_sub_signed(exact)?.naive_local();
        let date = local
            .date()
            .checked_sub_months(Months::new(self.years.checked_mul(12)?.checked_add(self.months)?))?
            .checked_sub_days(Days::new(u64::from(self.weeks) * 7 + u64::from(self.days)))?;
        let shifted = date.and_time(local.time());
        tz.from_local_datetime(&shifted)
            .earliest()
            .or_else(|| tz.from_local_datetime(&(shifted + chrono::Duration::hours(1))).earliest())
    }
}

impl FromStr for IsoDuration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason| DurationError { input: input.to_owned(), reason };
        if let Some(count) = input.strip_suffix("WD") {
            let count: u32 = count.parse().map_err(|_| fail("working days are a whole number before WD"))?;
            return Ok(Self::working_days(count));
        }
        let rest = input.strip_prefix('P').ok_or_else(|| fail("it must start with P"))?;
        if rest.is_empty() {
            return Err(fail("it names no amount"));
        }
        let mut duration = IsoDuration::default();
        let mut in_time = false;
        let mut number = String::new();
        // Designators must appear in this order, each at most once.
        let mut last_rank = 0;
        let mut time_has_amount = false;
        for c in rest.chars() {
            match c {
                'T' if !in_time && number.is_empty() => in_time = true,
                '0'..='9' => number.push(c),
                _ => {
                    if number.is_empty() {
                        return Err(fail("each designator needs a whole number before it"));
                    }
                    let value: u32 = number.parse().map_err(|_| fail("a number is too large"))?;
                    number.clear();
                    let (rank, slot) = match (in_time, c) {
                        (false, 'Y') => (1, &mut duration.years),
                        (false, 'M') => (2, &mut duration.months),
                        (false, 'W') => (3, &mut duration.weeks),
                        (false, 'D') => (4, &mut duration.days),
                        (true, 'H') => (5, &mut duration.hours),
                        (true, 'M') => (6, &mut duration.minutes),
                        (true, 'S') => (7, &mut duration.seconds),
                        _ => return Err(fail("unknown or misplaced designator")),
                    };
                    if rank <= last_rank {
                        return Err(fail("designators out of order or repeated"));
                    }
                    last_rank = rank;
                    time_has_amount |= in_time;
                    *slot = value;
                }
            }
        }
        if !number.is_empty() {
            return Err(fail("a number lacks its designator"));
        }
        if in_time && !time_has_amount {
            return Err(fail("T must be followed by an amount"));
        }
        Ok(duration)
    }
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.working_days > 0 {
            return write!(f, "{}WD", self.working_days);
        }
        f.write_str("P")?;
        for (value, unit) in [(self.years, 'Y'), (self.months, 'M'), (self.weeks, 'W'), (self.days, 'D')] {
            if value > 0 {
                write!(f, "{value}{unit}")?;
            }
        }
        if self.hours + self.minutes + self.seconds > 0 {
            f.write_str("T")?;
            for (value, unit) in [(self.hours, 'H'), (self.minutes, 'M'), (self.seconds, 'S')] {
                if value > 0 {
                    write!(f, "{value}{unit}")?;
                }
            }
        } else if self.is_zero() {
            f.write_str("T0S")?;
        }
        Ok(())
    }
}

impl Serialize for IsoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A duration that must be exact and positive: a timeout, a lifetime, an
/// interval, a throttle's window. Written as an [`IsoDuration`] of hours,
/// minutes and seconds (`PT15M`); a period of the calendar (`P1D`, `P1M`,
/// working days) or zero is refused when read, so that a value of this type
/// always has its exact length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactDuration {
    written: IsoDuration,
    length: std::time::Duration,
}

/// Why a duration is not an [`ExactDuration`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}: give a positive exact duration in hours, minutes or seconds (e.g. PT15M)")]
pub struct NotExact(IsoDuration);

impl ExactDuration {
    pub const fn seconds(seconds: u32) -> Self {
        Self { written: IsoDuration::seconds(seconds), length: std::time::Duration::from_secs(seconds as u64) }
    }

    /// Its length.
    pub fn get(self) -> std::time::Duration {
        self.length
    }

    /// As it was written.
    pub fn written(self) -> IsoDuration {
        self.written
    }
}

impl TryFrom<IsoDuration> for ExactDuration {
    type Error = NotExact;

    fn try_from(written: IsoDuration) -> Result<Self, NotExact> {
        match written.exact() {
            Some(length) if !length.is_zero() => Ok(Self { written, length }),
            _ => Err(NotExact(written)),
        }
    }
}

impl FromStr for ExactDuration {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::try_from(text.parse::<IsoDuration>()?)?)
    }
}

impl fmt::Display for ExactDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.written.fmt(f)
    }
}

impl Serialize for ExactDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.written.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ExactDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::try_from(IsoDuration::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    #[test]
    fn exact_durations_refuse_periods_of_the_calendar_and_zero() {
        assert_eq!("PT15M".parse::<ExactDuration>().expect("exact").get(), std::time::Duration::from_secs(900));
        assert_eq!(ExactDuration::seconds(2).to_string(), "PT2S");
        for inexact in ["P1D", "P1M", "15WD", "PT0S"] {
            assert!(inexact.parse::<ExactDuration>().is_err(), "{inexact}");
        }
    }

    fn parse(s: &str) -> IsoDuration {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("timestamp")
    }

    #[test]
    fn working_days_parse_and_print_on_their_own() {
        assert_eq!(parse("15WD"), IsoDuration::working_days(15));
        assert_eq!(parse("15WD").to_string(), "15WD");
        assert!(parse("15WD").exact().is_none() && parse("15WD").after(&utc("2026-01-01T00:00:00Z")).is_none());
        for bad in ["WD", "P15WD", "-3WD", "1.5WD"] {
            assert!(bad.parse::<IsoDuration>().is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_the_configured_forms() {
        assert_eq!(parse("P15D"), IsoDuration::days(15));
        assert_eq!(parse("P3Y").years, 3);
        assert_eq!(parse("PT2S"), IsoDuration::seconds(2));
        assert_eq!(parse("P90D").days, 90);
        let full = parse("P1Y2M3W4DT5H6M7S");
        assert_eq!(
            (full.years, full.months, full.weeks, full.days, full.hours, full.minutes, full.seconds),
            (1, 2, 3, 4, 5, 6, 7)
        );
        assert_eq!(parse("PT0S"), IsoDuration::default());
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "P",
            "15D",
            "PT",
            "P1",
            "PD",
            "P1H",
            "PT1D",
            "P1D1Y",
            "P1D1D",
            "P1.5D",
            "P-1D",
            "pt2s",
            "P1YT",
            "PT1S1M",
            "P99999999999D",
            "P 1D",
        ] {
            assert!(bad.parse::<IsoDuration>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["P15D", "P3Y", "PT2S", "P1Y2M3W4DT5H6M7S", "PT15M", "PT0S"] {
            assert_eq!(parse(text).to_string(), text);
        }
    }

    #[test]
    fn exact_only_without_calendar_units() {
        assert_eq!(parse("PT1H30M").exact(), Some(std::time::Duration::from_secs(5400)));
        assert_eq!(parse("P1D").exact(), None);
        assert_eq!(parse("P1M").exact(), None);
    }

    #[test]
    fn years_are_calendar_years() {
        let start = utc("2024-02-29T10:00:00Z");
        assert_eq!(parse("P3Y").after(&start), Some(utc("2027-02-28T10:00:00Z")));
        assert_eq!(parse("P4Y").after(&start), Some(utc("2028-02-29T10:00:00Z")));
        let start = utc("2025-01-31T00:00:00Z");
        assert_eq!(parse("P1M").after(&start), Some(utc("2025-02-28T00:00:00Z")));
    }

    #[test]
    fn days_count_on_the_local_calendar() {
        let shanghai = FixedOffset::east_opt(8 * 3600).expect("offset");
        // 20:00 UTC is already the next day in Shanghai.
        let start = utc("2026-03-01T20:00:00Z").with_timezone(&shanghai);
        let end = parse("P15D").after(&start).expect("in range");
        assert_eq!(end.with_timezone(&Utc), utc("2026-03-16T20:00:00Z"));
        assert_eq!(end.to_rfc3339(), "2026-03-17T04:00:00+08:00");
    }

    #[test]
    fn time_part_is_exact() {
        let start = utc("2026-01-01T23:59:59Z");
        assert_eq!(parse("PT2S").after(&start), Some(utc("2026-01-02T00:00:01Z")));
        assert_eq!(parse("P1DT1H").after(&start), Some(utc("2026-01-03T00:59:59Z")));
    }

    #[test]
    fn before_inverts_after_for_day_durations() {
        let end = utc("2026-06-30T08:00:00Z");
        assert_eq!(parse("P90D").before(&end), Some(utc("2026-04-01T08:00:00Z")));
        assert_eq!(parse("PT30S").before(&end), Some(utc("2026-06-30T07:59:30Z")));
    }

    #[test]
    fn deserializes_from_strings() {
        #[derive(Deserialize)]
        struct Holder {
            period: IsoDuration,
        }
        let holder: Holder = serde_json::from_str(r#"{"period":"P30D"}"#).expect("valid");
        assert_eq!(holder.period, IsoDuration::days(30));
        assert!(serde_json::from_str::<Holder>(r#"{"period":"30 days"}"#).is_err());
    }
}
