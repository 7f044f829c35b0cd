//! Registration: applications, their materials, review, announcements, the re-filing bar, quotas and working days.

pub mod announcements;
pub mod applications;
pub mod materials;
pub mod quotas;
pub mod refiling;
pub mod refusal_grounds;
pub mod review;
pub mod working_days;
