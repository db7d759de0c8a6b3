//! The by-name description of a case's environments (what a scenario file or a generator
//! writes): schema, content and principals, as strict serde data. [`crate::model::State::load`]
//! resolves it into the indexed model, refusing what DATA-1, DATA-5 and PERM-4 refuse.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::grant::GrantSpec;

/// One environment: schema, content, principals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvSpec {
    /// The environment's name (`master` by default).
    #[serde(default = "master")]
    pub name: String,
    /// Custom stages (upper-case api ids); `DRAFT` and `PUBLISHED` always exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
    /// Locales; the first is the default locale. Default: `[en]`.
    #[serde(default = "en")]
    pub locales: Vec<String>,
    /// Models.
    #[serde(default)]
    pub models: Vec<ModelSpec>,
    /// Entries, in creation (load) order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<EntrySpec>,
    /// The public principal.
    #[serde(default)]
    pub public: PublicSpec,
    /// Permanent Auth Tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pats: Vec<PatSpec>,
}

fn master() -> String {
    "master".into()
}

fn en() -> Vec<String> {
    vec!["en".into()]
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A model by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The api id (`Post`).
    pub name: String,
    /// The plural (`posts`); default: the api id with a lower-case first letter, plus `s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plural: Option<String>,
    /// Fields in declaration order.
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

/// A field by name. `type` is a scalar type name (`String`, `Int`, `Float`, `Boolean`,
/// `DateTime`, `Enum`) or the api id of a model (a relation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The api id.
    pub name: String,
    /// Scalar type name or related model.
    #[serde(rename = "type")]
    pub ty: String,
    /// A list relation.
    #[serde(default, skip_serializing_if = "is_false")]
    pub list: bool,
    /// Localized (scalars only).
    #[serde(default, skip_serializing_if = "is_false")]
    pub localized: bool,
    /// Required (non-null) (scalars only).
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Enum values in declaration order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// For a two-way relation: the reverse field's api id on the related model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse: Option<String>,
}

/// One document by names: non-localized values and links in `data` (a single relation as an
/// id, a list as a list of ids; localized fields given here are the default locale's), the
/// other locales' localized values in `localizations`, optional timestamps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocSpec {
    /// Field values and links.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub data: serde_json::Map<String, serde_json::Value>,
    /// Locale → localized values (not the default locale's, which live in `data`). A locale
    /// listed with `{}` has a localization whose values are all null.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub localizations: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// `createdAt` (RFC 3339).
    #[serde(default, rename = "createdAt", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// `updatedAt`.
    #[serde(default, rename = "updatedAt", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// `publishedAt` (not in DRAFT).
    #[serde(
        default,
        rename = "publishedAt",
        skip_serializing_if = "Option::is_none"
    )]
    pub published_at: Option<String>,
}

/// An entry: its DRAFT document inline (`data`, `localizations`, timestamps), `publish` to copy
/// it into other stages, and `stages` for documents that differ from DRAFT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntrySpec {
    /// The model's api id.
    pub model: String,
    /// The entry's id.
    pub id: String,
    /// DRAFT field values and links (see [`DocSpec::data`]).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub data: serde_json::Map<String, serde_json::Value>,
    /// DRAFT localizations other than the default locale's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub localizations: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// DRAFT `createdAt`.
    #[serde(default, rename = "createdAt", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// DRAFT `updatedAt`.
    #[serde(default, rename = "updatedAt", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Stages that hold a copy of the DRAFT document (`publishedAt` = its `updatedAt`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub publish: Vec<String>,
    /// Stages whose document is given explicitly.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stages: BTreeMap<String, DocSpec>,
}

impl EntrySpec {
    /// The DRAFT document as a [`DocSpec`].
    pub fn draft(&self) -> DocSpec {
        DocSpec {
            data: self.data.clone(),
            localizations: self.localizations.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            published_at: None,
        }
    }
}

/// The public principal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicSpec {
    /// The public default stage (default `PUBLISHED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_stage: Option<String>,
    /// Its grants (exactly these).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantSpec>,
}

/// A PAT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatSpec {
    /// Its name (credentials refer to it).
    pub name: String,
    /// `defaults.stage` (default: the profile's `pat_default_stage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_stage: Option<String>,
    /// Deleted before the steps run (its tokens are revoked).
    #[serde(default, skip_serializing_if = "is_false")]
    pub revoked: bool,
    /// Its grants (exactly these: the harness removes PERM-5's default grant, §9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantSpec>,
}
