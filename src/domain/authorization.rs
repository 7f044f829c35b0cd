//! The data's authorization. A data source obtained under an agreement
//! (`licensed`, `purchased`, `public_authorized`) that ends on a day bounds
//! the registration of the product made from it: an application is neither
//! approved nor issued a certificate once such an agreement has ended, and
//! the certificate is valid no longer than the earliest agreement runs
//! (Beijing measures, art. 13). An agreement ending on a day is in force
//! for the whole of that day on the registry's calendar.

use std::fmt;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
// Certificates and renewal entries carry the bound, so it is part of the
// ledger's format (tlog).
pub use tlog::document::{ValidityBound, ValidityBoundKind};

#[cfg(test)]
use super::RecordDate;
use super::{DataSource, DataSourceKind, ExtendedAgreement};

/// A data source's agreement and its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agreement<'a> {
    /// The source's position in `data_sources`, from 0.
    pub index: usize,
    pub source: &'a DataSource,
    pub ends_on: NaiveDate,
}

impl fmt::Display for Agreement<'_> {
    /// Names the data source as a field path and by its description, which
    /// says whose agreement it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "data_sources[{}] ({}: {})", self.index, kind_name(self.source.kind), self.source.description)
    }
}

fn kind_name(kind: DataSourceKind) -> &'static str {
    match kind {
        DataSourceKind::SelfCollected => "self_collected",
        DataSourceKind::Licensed => "licensed",
        DataSourceKind::Purchased => "purchased",
        DataSourceKind::PublicAuthorized => "public_authorized",
    }
}

/// Whether the kind is one obtained under an agreement; a self-collected
/// source's `agreement_ends_on`, if given, bounds nothing.
pub fn under_agreement(kind: DataSourceKind) -> bool {
    !matches!(kind, DataSourceKind::SelfCollected)
}

/// The sources' agreements that have an end, in their order.
pub fn agreements(sources: &[DataSource]) -> impl Iterator<Item = Agreement<'_>> {
    sources.iter().enumerate().filter(|(_, source)| under_agreement(source.kind)).filter_map(|(index, source)| {
        source.agreement_ends_on.map(|ends_on| Agreement { index, source, ends_on: ends_on.date() })
    })
}

/// The agreement that ends first (the first listed among equals).
pub fn earliest(sources: &[DataSource]) -> Option<Agreement<'_>> {
    agreements(sources).min_by_key(|agreement| agreement.ends_on)
}

/// The agreements that ended before `today` (the registry's date).
pub fn ended(sources: &[DataSource], today: NaiveDate) -> Vec<Agreement<'_>> {
    agreements(sources).filter(|agreement| agreement.ends_on < today).collect()
}

/// The sources with the agreements' ends that `extensions` record.
pub fn extended(sources: &[DataSource], extensions: &[ExtendedAgreement]) -> Vec<DataSource> {
    let mut sources = sources.to_vec();
    for extension in extensions {
        if let Some(source) = usize::try_from(extension.data_source).ok().and_then(|i| sources.get_mut(i)) {
            source.agreement_ends_on = Some(extension.agreement_ends_on);
        }
    }
    sources
}

/// The first instant after `day` on the calendar of `zone`, in UTC.
pub fn end_of_day<Z: TimeZone>(day: NaiveDate, zone: &Z) -> Option<DateTime<Utc>> {
    let next = day.checked_add_days(Days::new(1))?;
    // Where a zone skips midnight (a change of offset at 00:00), the day
    // starts at the first instant that exists.
    (0..=2).find_map(|hour| {
        zone.from_local_datetime(&next.and_hms_opt(hour, 0, 0)?).earliest().map(|at| at.with_timezone(&Utc))
    })
}

/// The end of validity: `full` (the end the validity period gives), or the
/// end of the day on which the earliest agreement ends if that comes
/// sooner, with the bound that says so.
pub fn bounded_validity<Z: TimeZone>(
    full: DateTime<Utc>,
    sources: &[DataSource],
    zone: &Z,
) -> (DateTime<Utc>, Option<ValidityBound>) {
    let bound = earliest(sources).and_then(|agreement| Some((agreement.ends_on, end_of_day(agreement.ends_on, zone)?)));
    match bound {
        Some((ends_on, limit)) if limit < full => {
            (limit, Some(ValidityBound { kind: ValidityBoundKind::DataSourceAgreement, agreement_ends_on: ends_on }))
        }
        _ => (full, None),
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Asia::Shanghai;

    use super::*;

    fn source(kind: DataSourceKind, ends_on: Option<&str>) -> DataSource {
        DataSource {
            kind,
            description: "某物流平台运单数据授权".into(),
            agreement_ends_on: ends_on.map(|d| RecordDate::new(d.parse().expect("date")).expect("of the era")),
        }
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn only_agreements_bound_and_the_earliest_first() {
        let sources = [
            source(DataSourceKind::SelfCollected, Some("2027-01-01")),
            source(DataSourceKind::Licensed, Some("2028-06-30")),
            source(DataSourceKind::Purchased, None),
            source(DataSourceKind::PublicAuthorized, Some("2027-06-30")),
        ];
        let first = earliest(&sources).expect("an agreement");
        assert_eq!((first.index, first.ends_on), (3, day("2027-06-30")));
        assert_eq!(first.to_string(), "data_sources[3] (public_authorized: 某物流平台运单数据授权)");
        assert!(ended(&sources, day("2027-06-30")).is_empty(), "in force through its last day");
        let ended = ended(&sources, day("2027-07-01"));
        assert_eq!(ended.iter().map(|a| a.index).collect::<Vec<_>>(), [3]);
        assert!(earliest(&[source(DataSourceKind::SelfCollected, Some("2027-01-01"))]).is_none());
    }

    #[test]
    fn validity_ends_with_the_day_the_earliest_agreement_ends() {
        let full: DateTime<Utc> = "2029-11-26T05:16:00Z".parse().expect("time");
        let sources = [source(DataSourceKind::Licensed, Some("2027-06-30"))];
        let (until, bound) = bounded_validity(full, &sources, &Shanghai);
        // Midnight at the end of 30 June in Shanghai is 16:00 UTC.
        assert_eq!(until, "2027-06-30T16:00:00Z".parse::<DateTime<Utc>>().expect("time"));
        assert_eq!(
            bound,
            Some(ValidityBound { kind: ValidityBoundKind::DataSourceAgreement, agreement_ends_on: day("2027-06-30") })
        );
        let later = [source(DataSourceKind::Licensed, Some("2031-01-01"))];
        assert_eq!(bounded_validity(full, &later, &Shanghai), (full, None));
        assert_eq!(bounded_validity(full, &[], &Shanghai), (full, None));
    }

    #[test]
    fn the_bound_reads_as_the_document_shows_it() {
        let bound =
            ValidityBound { kind: ValidityBoundKind::DataSourceAgreement, agreement_ends_on: day("2027-06-30") };
        assert_eq!(
            serde_json::to_value(bound).expect("json"),
            serde_json::json!({"kind": "data_source_agreement", "agreement_ends_on": "2027-06-30"})
        );
    }
}
