//! Registration: an application from its draft through review and its
//! public announcement to its registration (or its end), with its
//! materials, its history and the bar on filing the same product again.

pub mod announcements;
pub mod application_views;
pub mod applications;
pub mod closing;
pub mod materials;
pub mod refiling;
pub mod review;
