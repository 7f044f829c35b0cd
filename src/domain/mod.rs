//! Pure domain types: no I/O. Constructors parse and return `Result`, so a
//! value of one of these types is always valid.

mod act;
mod application;
mod audit;
pub mod authorization;
pub mod calendar;
mod certificate;
mod credit_code;
mod duration;
pub mod fields;
mod history;
mod id_number;
mod identity;
mod lang;
mod measure;
pub mod media;
mod party;
mod product_name;
mod refusal;
mod registration_number;
mod role;
mod verification;
pub(crate) mod vocabulary;

pub use act::{
    ActDetails, ActKind, ActState, Counterparty, ExtendedAgreement, FormerHolder, LicenseTerms, Money, PledgeTerms,
    RegisteredParty, parse_amount, parse_currency,
};
pub use application::{Action, ApplicationState, Category, DataSource, DataSourceKind, MaterialKind};
pub use audit::{AuditAction, AuditTarget};
pub use authorization::{ValidityBound, ValidityBoundKind};
pub use certificate::{
    CertificateDocument, CertificateNumber, CertificateNumberError, CertificateStatus, Issuer, MaterialHash,
    ObjectionDecision, ObjectionState, Party, Product,
};
pub use credit_code::{CreditCode, CreditCodeError};
pub use duration::{DurationError, ExactDuration, IsoDuration, NotExact};
pub use fields::{
    Abstract, AuthorityName, Comment, CreditCodeText, DataAttribute, DisplayName, DocumentNumber, IdNumberText,
    KeyName, LicenseScope, ObjectorName, OrganizationName, PersonName, ProductName, Reason, RecordDate,
    SourceDescription, Statement, WithdrawalReason,
};
pub use history::HistoryAction;
pub use id_number::{IdNumber, IdNumberError, mask as mask_id_number};
pub use identity::{Email, Name, Password, Text};
pub use lang::Lang;
pub use measure::MeasureKind;
pub use party::PartyKind;
pub use product_name::normalized_product_name;
pub use refusal::RefusalGround;
pub use registration_number::{RegistrationNumber, RegistrationNumberError, mod11_2_check};
pub use role::{OrgRole, Role, StaffRole};
pub use verification::{Verification, VerificationStep};
