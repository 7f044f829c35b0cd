//! Preservation measures (查封等保全措施): an order of a court, a
//! procuratorate, a public security organ or an administrative authority
//! that holds a certificate where it is, recorded by registry staff.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::vocabulary::vocabulary;

vocabulary! {
    /// What the order does. Stored as text in `preservation_measures.kind`.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum MeasureKind {
        /// 查封: seized.
        Seizure = "seizure",
        /// 冻结: frozen.
        Freeze = "freeze",
        /// 临时控制: under temporary control.
        TemporaryControl = "temporary_control",
        /// Another measure the order names.
        Other = "other",
    }
}

impl MeasureKind {
    /// Its name in Chinese, as orders and the register say it.
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Seizure => "查封",
            Self::Freeze => "冻结",
            Self::TemporaryControl => "临时控制",
            Self::Other => "其他保全措施",
        }
    }

    /// Its name in English.
    pub fn english(self) -> &'static str {
        match self {
            Self::Seizure => "Seizure",
            Self::Freeze => "Freeze",
            Self::TemporaryControl => "Temporary control",
            Self::Other => "Other preservation measure",
        }
    }
}
