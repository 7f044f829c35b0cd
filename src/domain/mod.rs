//! Pure domain types: no I/O. Constructors parse and return `Result`, so a
//! value of one of these types is always valid.

mod application;
mod certificate;
mod credit_code;
mod duration;
mod identity;
mod registration_number;
mod role;

pub use application::{Action, ApplicationState, Category, DataSourceKind, MaterialKind};
pub use certificate::{
    ActKind, ActState, CertificateNumber, CertificateNumberError, CertificateStatus, ObjectionDecision, ObjectionState,
};
pub use credit_code::{CreditCode, CreditCodeError};
pub use duration::{DurationError, IsoDuration};
pub use identity::{Email, Name, Password, Text};
pub use registration_number::{RegistrationNumber, RegistrationNumberError, mod11_2_check};
pub use role::{OrgRole, Role, StaffRole};
