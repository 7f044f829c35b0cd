//! The use-cases. Each takes the application state and parsed input, owns
//! its transaction, and answers a view or an `Error`.

pub mod accounts;
mod error;
pub mod organization;
pub mod sessions;
pub mod staff;
pub mod throttle;

pub use error::{Error, FieldError, Fields, Result};
