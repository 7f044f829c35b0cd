//! The signed issuance document of a certificate, and the values that it
//! and the ledger's entries carry. Its RFC 8785 bytes are what the registry
//! signs and what the `certificate.issued` entry holds, so these types are
//! part of the log's format: a verifier needs them to rebuild the entry
//! from a certificate.
//!
//! Every struct refuses unknown fields, so a document reads back as exactly
//! what was signed.
//!
//! # Examples
//!
//! ```
//! use tlog::document::{Category, CertificateDocument};
//!
//! let document: CertificateDocument = serde_json::from_str(r#"{
//!     "certificate_number": "20261131000000001", "registration_number": "3100202600000017",
//!     "holder": {"name": "上海数据科技有限公司", "credit_code": "91310000MA1FL4B24G"},
//!     "product": {"name": "长三角物流时效数据集", "category": "data_collection", "abstract": "物流时效数据"},
//!     "materials": [{"kind": "summary", "sha256": "ab"}],
//!     "issued_at": "2026-11-26T08:00:00Z", "valid_from": "2026-11-26T08:00:00Z",
//!     "valid_until": "2029-11-26T08:00:00Z", "issuer": {"name": "Data Product IP Registry", "code": "3100"}
//! }"#)?;
//! assert_eq!(document.product.category, Category::DataCollection);
//! assert_eq!(document.validity_bounded_by, None);
//! # Ok::<(), serde_json::Error>(())
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The issuance record: immutable once signed. Its RFC 8785 bytes are what
/// the registry signs and what the `certificate.issued` ledger entry holds;
/// unknown fields are refused, so a document reads back as exactly what was
/// signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CertificateDocument {
    /// The certificate's 17-digit number.
    pub certificate_number: String,
    /// The number of the registration it certifies.
    pub registration_number: String,
    /// To whom it was issued.
    pub holder: Party,
    /// The registered data product.
    pub product: Product,
    /// The hashes of the registration's materials.
    pub materials: Vec<MaterialHash>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When its validity begins.
    pub valid_from: DateTime<Utc>,
    /// When its validity ends, unless renewed.
    pub valid_until: DateTime<Utc>,
    /// The registry that issued it.
    pub issuer: Issuer,
    /// Present when `valid_until` is earlier than the full validity period
    /// because the data's authorization ends first (a data-source agreement);
    /// absent otherwise, and from documents issued before the registry
    /// recorded it, which therefore read back and verify as they were signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_bounded_by: Option<ValidityBound>,
}

/// Who holds a certificate, as the signed document and the ledger name
/// them: an organization by its credit code, a natural person by a
/// commitment to their resident identity number (the number itself is never
/// written). An organization's shape is the one the registry has always
/// written, so old and new documents of organizations are byte-identical.
///
/// # Examples
///
/// ```
/// use tlog::document::Party;
///
/// let organization: Party =
///     serde_json::from_str(r#"{"name": "上海数据科技有限公司", "credit_code": "91310000MA1FL4B24G"}"#)?;
/// assert_eq!(organization.credit_code(), Some("91310000MA1FL4B24G"));
/// let person: Party = serde_json::from_str(r#"{"kind": "person", "name": "张伟", "id_commitment": "ab12"}"#)?;
/// assert_eq!((person.name(), person.credit_code()), ("张伟", None));
/// assert_eq!(serde_json::to_string(&person)?, r#"{"kind":"person","name":"张伟","id_commitment":"ab12"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Party {
    /// A legal person or unincorporated organization.
    Organization(Organization),
    /// A natural person.
    Person(Person),
}

impl Party {
    /// An organization named by its credit code.
    pub fn organization(name: impl Into<String>, credit_code: impl Into<String>) -> Self {
        Self::Organization(Organization { name: name.into(), credit_code: credit_code.into() })
    }

    /// A natural person named by the commitment to their identity number
    /// (see [`HOLDER_ID_NUMBER`]).
    pub fn person(name: impl Into<String>, id_commitment: impl Into<String>) -> Self {
        Self::Person(Person { kind: PersonKind::Person, name: name.into(), id_commitment: id_commitment.into() })
    }

    /// The party's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Organization(organization) => &organization.name,
            Self::Person(person) => &person.name,
        }
    }

    /// A person's commitment to their identity number; `None` for an
    /// organization.
    pub fn id_commitment(&self) -> Option<&str> {
        match self {
            Self::Organization(_) => None,
            Self::Person(person) => Some(&person.id_commitment),
        }
    }

    /// An organization's credit code; `None` for a person.
    pub fn credit_code(&self) -> Option<&str> {
        match self {
            Self::Organization(organization) => Some(&organization.credit_code),
            Self::Person(_) => None,
        }
    }
}

/// The field path a person holder's identity number is committed under in
/// a certificate document: see [`crate::commitment::commit`].
pub const HOLDER_ID_NUMBER: &str = "holder.id_number";

/// The field path a person transferee's identity number is committed under
/// in a `certificate.transferred` entry.
pub const NEW_HOLDER_ID_NUMBER: &str = "new_holder.id_number";

/// An organization as public records name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Its registered name.
    pub name: String,
    /// Its unified social credit code.
    pub credit_code: String,
}

/// A natural person as public records name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Always `person`: what tells this shape from an organization's.
    pub kind: PersonKind,
    /// Their name.
    pub name: String,
    /// Hex of the salted commitment to their resident identity number
    /// (`SHA-256("dataip-commit/v1\n" ‖ field_path ‖ "\n" ‖ salt ‖
    /// JCS(number))`); the holder has the opening.
    pub id_commitment: String,
}

/// The one word of [`Person::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    /// A natural person.
    Person,
}

/// The registered data product as the certificate names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// The product's name.
    pub name: String,
    /// What kind of data product it is.
    pub category: Category,
    /// The product's abstract (`abstract` in JSON).
    #[serde(rename = "abstract")]
    #[cfg_attr(feature = "openapi", schema(rename = "abstract"))]
    pub summary: String,
}

/// A material as the public may see it: its kind and the hash of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MaterialHash {
    /// Which material.
    pub kind: MaterialKind,
    /// Lowercase hex of the SHA-256 of its bytes.
    pub sha256: String,
}

/// The registry that issued a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Issuer {
    /// The registry's name.
    pub name: String,
    /// The registry code, e.g. 3100 for Shanghai.
    pub code: String,
}

/// What kind of data product is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "postgres", derive(sqlx::Type))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "postgres", sqlx(type_name = "product_category", rename_all = "snake_case"))]
pub enum Category {
    /// A data processing collection (数据加工集合).
    DataCollection,
    /// A data processing product (数据加工产品).
    DataProduct,
    /// A data technical algorithm, e.g. an AI model (数据技术算法).
    DataAlgorithm,
}

/// The documents an application carries.
///
/// # Examples
///
/// ```
/// use tlog::document::MaterialKind;
///
/// assert!(MaterialKind::REQUIRED.iter().all(|kind| MaterialKind::ALL.contains(kind)));
/// assert_eq!(MaterialKind::DataSourceProof.as_str(), "data_source_proof");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "postgres", derive(sqlx::Type))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "postgres", sqlx(type_name = "material_kind", rename_all = "snake_case"))]
pub enum MaterialKind {
    /// The registration form.
    ApplicationForm,
    /// A summary of the product.
    Summary,
    /// The substantive processing and innovation.
    ProcessingInnovation,
    /// The application scenarios.
    ApplicationScenarios,
    /// Proof that the data sources are lawful.
    DataSourceProof,
    /// A sample of the data.
    Sample,
}

impl MaterialKind {
    /// Every kind, in their order.
    pub const ALL: [MaterialKind; 6] = [
        MaterialKind::ApplicationForm,
        MaterialKind::Summary,
        MaterialKind::ProcessingInnovation,
        MaterialKind::ApplicationScenarios,
        MaterialKind::DataSourceProof,
        MaterialKind::Sample,
    ];

    /// The materials without which an application cannot be submitted.
    pub const REQUIRED: [MaterialKind; 4] = [
        MaterialKind::ApplicationForm,
        MaterialKind::Summary,
        MaterialKind::ProcessingInnovation,
        MaterialKind::ApplicationScenarios,
    ];

    /// The kind's name in JSON (snake case).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApplicationForm => "application_form",
            Self::Summary => "summary",
            Self::ProcessingInnovation => "processing_innovation",
            Self::ApplicationScenarios => "application_scenarios",
            Self::DataSourceProof => "data_source_proof",
            Self::Sample => "sample",
        }
    }
}

/// Why a certificate's validity ends before the full validity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ValidityBound {
    /// What bounds it: `data_source_agreement`, the agreement under which
    /// the product's data is held.
    pub kind: ValidityBoundKind,
    /// The day that agreement ends: the certificate is valid through it,
    /// until midnight at its end on the registry's calendar.
    pub agreement_ends_on: NaiveDate,
}

/// What can bound a certificate's validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ValidityBoundKind {
    /// A data-source agreement that ends before the full validity period.
    DataSourceAgreement,
}

/// An amount of money as filed: a decimal string and its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "eserde", derive(eserde::Deserialize))]
#[cfg_attr(not(feature = "eserde"), derive(Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// A decimal string: "5000000.00".
    #[cfg_attr(feature = "openapi", schema(pattern = r"^\s*[0-9]{1,15}(\.[0-9]{1,2})?\s*$", example = "5000000.00"))]
    pub amount: String,
    /// ISO 4217, e.g. CNY.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^\s*[A-Za-z]{3}\s*$", example = "CNY"))]
    pub currency: String,
}
