//! Pure domain types: no I/O. Constructors parse and return `Result`, so a
//! value of one of these types is always valid.

mod credit_code;
mod duration;
mod identity;
mod role;

pub use credit_code::{CreditCode, CreditCodeError};
pub use duration::{DurationError, IsoDuration};
pub use identity::{Email, Name, Password};
pub use role::{OrgRole, Role, StaffRole};
