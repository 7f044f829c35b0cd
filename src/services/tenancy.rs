//! The tenancy rule, written once: what one party holds (its applications,
//! certificates and their acts, webhooks, API keys, members) does not exist
//! to any other party, organization or person: `404`, never `403`, so that
//! an id tells a stranger nothing. Queries that take the party's id
//! (`db::applications::find_in_org`, `db::webhooks::find`, ...) apply it in
//! SQL; a row read by its id alone passes through [`theirs`]. The test
//! `accounts::tenancy` tries every applicant-side address as another party.

use uuid::Uuid;

use crate::{auth::Tenant, db::certificates::CertificateRow, services::Error};

/// Something one party holds.
pub trait Held {
    /// The party (`organizations.id`) that holds it now.
    fn party_id(&self) -> Uuid;
}

impl Held for CertificateRow {
    fn party_id(&self) -> Uuid {
        self.org_id
    }
}

/// `found`, if the tenant's party holds it; otherwise not found.
pub fn theirs<T: Held>(tenant: &Tenant, found: Option<T>) -> Result<T, Error> {
    found.filter(|row| row.party_id() == tenant.org_id).ok_or(Error::NotFound)
}
