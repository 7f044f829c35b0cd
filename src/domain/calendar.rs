//! The working calendar: which days are working days in mainland China.
//! Monday to Friday, except the public holidays the State Council lists
//! each year, plus the weekend days it lists as make-up working days
//! (调休). The lists are data (`config/calendar.toml`, replaceable with
//! `workflow.calendar_file`); outside the years they cover, only the week
//! counts.

use std::{collections::BTreeSet, sync::Arc};

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc, Weekday};
use serde::Deserialize;

use super::IsoDuration;

/// The registry's calendar: its time zone, its working days, and whether
/// a deadline counted in calendar days that ends on a rest day moves to the
/// next working day. Built once from the settings (`registry.time_zone`,
/// `workflow.calendar_file`, `workflow.deadlines_skip_rest_days`); every
/// date and deadline of the procedure is counted on it.
#[derive(Debug, Clone)]
pub struct RegistryCalendar {
    pub zone: chrono_tz::Tz,
    pub working_days: Arc<WorkingCalendar>,
    pub skip_rest_days: bool,
}

impl Default for RegistryCalendar {
    fn default() -> Self {
        Self { zone: chrono_tz::Asia::Shanghai, working_days: Arc::default(), skip_rest_days: false }
    }
}

impl RegistryCalendar {
    /// The registry's date at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.zone).date_naive()
    }

    /// `start + duration` on the registry's calendar, in UTC; working days
    /// (`15WD`) are counted on the working calendar, keeping the time of day.
    pub fn deadline(&self, start: DateTime<Utc>, duration: IsoDuration) -> Option<DateTime<Utc>> {
        let local = start.with_timezone(&self.zone);
        let end = match duration.working_days {
            0 => duration.after(&local)?,
            count => {
                let date = self.working_days.add_working_days(local.date_naive(), count)?;
                on_date(&local, date)?
            }
        };
        Some(end.with_timezone(&Utc))
    }

    /// The deadline of something to be done by `duration` after `start`:
    /// [`deadline`](Self::deadline), moved to the next working day when a
    /// period counted in calendar days ends on a rest day and
    /// the rest-day rule (`workflow.deadlines_skip_rest_days`) is on (as the Civil Code, art.
    /// 203, has it for periods ending on statutory rest days).
    pub fn due(&self, start: DateTime<Utc>, duration: IsoDuration) -> Option<DateTime<Utc>> {
        let end = self.deadline(start, duration)?;
        if !(self.skip_rest_days && duration.has_calendar_days()) {
            return Some(end);
        }
        let local = end.with_timezone(&self.zone);
        let date = self.working_days.next_working_day(local.date_naive())?;
        Some(on_date(&local, date)?.with_timezone(&Utc))
    }

    /// `end - duration` on the registry's calendar, in UTC.
    pub fn deadline_before(&self, end: DateTime<Utc>, duration: IsoDuration) -> Option<DateTime<Utc>> {
        duration.before(&end.with_timezone(&self.zone)).map(|start| start.with_timezone(&Utc))
    }
}

/// `at`'s time of day on `date`, in `at`'s zone.
fn on_date<Tz: TimeZone>(at: &DateTime<Tz>, date: NaiveDate) -> Option<DateTime<Tz>> {
    let shifted = date.and_time(at.naive_local().time());
    let zone = at.timezone();
    zone.from_local_datetime(&shifted)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(shifted + chrono::Duration::hours(1))).earliest())
}

/// The calendar shipped with dataip.
pub const BUILT_IN: &str = include_str!("../../config/calendar.toml");

#[derive(Debug, Clone, Default)]
pub struct WorkingCalendar {
    holidays: BTreeSet<NaiveDate>,
    working_days: BTreeSet<NaiveDate>,
    years: BTreeSet<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    years: Vec<Year>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Year {
    year: i32,
    holidays: Vec<NaiveDate>,
    working_days: Vec<NaiveDate>,
}

impl WorkingCalendar {
    /// Reads a calendar file (TOML, as `config/calendar.toml`).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: CalendarFile =
            figment::Figment::from(<figment::providers::Toml as figment::providers::Format>::string(text))
                .extract()
                .context("the calendar must be TOML listing [[years]] with year, holidays and working_days")?;
        let mut calendar = Self::default();
        for year in file.years {
            anyhow::ensure!(calendar.years.insert(year.year), "the calendar lists {} twice", year.year);
            for date in year.holidays.iter().chain(&year.working_days) {
                anyhow::ensure!(date.year() == year.year, "{date} is listed under {}", year.year);
            }
            for date in year.working_days {
                anyhow::ensure!(is_weekend(date), "{date} is a make-up working day but not a weekend day");
                calendar.working_days.insert(date);
            }
            for date in year.holidays {
                anyhow::ensure!(!calendar.working_days.contains(&date), "{date} is both a holiday and a working day");
                calendar.holidays.insert(date);
            }
        }
        Ok(calendar)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.holidays.contains(&date) {
            return false;
        }
        self.working_days.contains(&date) || !is_weekend(date)
    }

    /// The `count`-th working day after `date` (`date` itself not counted).
    pub fn add_working_days(&self, date: NaiveDate, count: u32) -> Option<NaiveDate> {
        let mut day = date;
        let mut left = count;
        while left > 0 {
            day = day.succ_opt()?;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        Some(day)
    }

    /// `date` if it is a working day, else the next one.
    pub fn next_working_day(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut day = date;
        while !self.is_working_day(day) {
            day = day.succ_opt()?;
        }
        Some(day)
    }

    /// The last day the calendar's lists cover.
    pub fn covered_until(&self) -> Option<NaiveDate> {
        self.years.last().and_then(|year| NaiveDate::from_ymd_opt(*year, 12, 31))
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn the_built_in_calendar_knows_2026() {
        let calendar = WorkingCalendar::parse(BUILT_IN).expect("the shipped calendar");
        assert_eq!(calendar.covered_until(), Some(date("2026-12-31")));
        assert!(!calendar.is_working_day(date("2026-10-01")), "National Day");
        assert!(calendar.is_working_day(date("2026-10-10")), "a Saturday worked in exchange");
        assert!(calendar.is_working_day(date("2026-09-20")), "a Sunday worked in exchange");
        assert!(!calendar.is_working_day(date("2026-10-11")), "an ordinary Sunday");
        assert!(calendar.is_working_day(date("2026-10-12")), "an ordinary Monday");
        assert!(calendar.is_working_day(date("2027-10-01")), "past the lists, only the week counts");
    }

    #[test]
    fn working_days_are_counted_over_the_golden_week() {
        let calendar = WorkingCalendar::parse(BUILT_IN).expect("calendar");
        // Monday 28 September: 29 and 30 September, then 8, 9 and 10 October.
        assert_eq!(calendar.add_working_days(date("2026-09-28"), 5), Some(date("2026-10-10")));
        assert_eq!(calendar.add_working_days(date("2026-09-28"), 0), Some(date("2026-09-28")));
        assert_eq!(calendar.next_working_day(date("2026-10-01")), Some(date("2026-10-08")));
        assert_eq!(calendar.next_working_day(date("2026-10-09")), Some(date("2026-10-09")));
    }

    #[test]
    fn inconsistent_files_are_refused() {
        let both = "[[years]]\nyear = 2030\nholidays = [\"2030-01-05\"]\nworking_days = [\"2030-01-05\"]\n";
        assert!(WorkingCalendar::parse(both).is_err());
        let elsewhere = "[[years]]\nyear = 2030\nholidays = [\"2031-01-01\"]\nworking_days = []\n";
        assert!(WorkingCalendar::parse(elsewhere).is_err());
        let weekday = "[[years]]\nyear = 2030\nholidays = []\nworking_days = [\"2030-01-07\"]\n";
        assert!(WorkingCalendar::parse(weekday).is_err(), "a Monday is no make-up day");
        assert!(WorkingCalendar::parse("years = 3").is_err());
    }
}
