//! The by-name description of a case's environments (what a scenario file or a generator
//! writes): schema, content and principals, as strict serde data. [`crate::model::State::load`]
//! resolves it into the indexed model, refusing what DATA-1, DATA-5 and PERM-4 refuse.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::grant::GrantSpec;
use crate::model::project::{
    Field, FieldKind, Model, ModelIdx, ReverseField, Schema, DRAFT, PUBLISHED,
};
use crate::model::value::ScalarType;

/// Why a schema could not be built from its spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SchemaError {
    /// Where, e.g. `environments[0].models[1].fields[2]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn schema_err<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, SchemaError> {
    Err(SchemaError {
        path: path.into(),
        message: message.into(),
    })
}

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

/// The plural api id a model gets when its spec gives none (`Post` → `posts`).
pub(crate) fn default_plural(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => format!("{}{}s", f.to_lowercase(), c.as_str()),
        None => String::new(),
    }
}

fn is_api_id(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

fn scalar_type(f: &FieldSpec) -> Option<ScalarType> {
    Some(match f.ty.as_str() {
        "String" => ScalarType::String,
        "Int" => ScalarType::Int,
        "Float" => ScalarType::Float,
        "Boolean" => ScalarType::Boolean,
        "DateTime" => ScalarType::DateTime,
        "Enum" => ScalarType::Enum(f.values.clone().unwrap_or_default()),
        _ => return None,
    })
}

impl EnvSpec {
    /// Builds the indexed schema (stages `DRAFT`, `PUBLISHED`, then the custom ones; locales
    /// with the default first; models, fields and reverse fields in declaration order),
    /// refusing names that are not api ids, clashes and unknown types. `path` prefixes error
    /// paths (e.g. `environments[0]`).
    pub fn schema(&self, path: &str) -> Result<Schema, SchemaError> {
        let e = self;
        let mut stages = vec![DRAFT.to_string(), PUBLISHED.to_string()];
        for (i, s) in e.stages.iter().enumerate() {
            let ok = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && s.starts_with(|c: char| c.is_ascii_uppercase());
            if !ok {
                return schema_err(
                    format!("{path}.stages[{i}]"),
                    format!("stage {s:?} is not an upper-case api id"),
                );
            }
            if stages.contains(s) {
                return schema_err(
                    format!("{path}.stages[{i}]"),
                    format!("stage {s:?} given twice"),
                );
            }
            stages.push(s.clone());
        }
        if e.locales.is_empty() {
            return schema_err(format!("{path}.locales"), "at least one locale is needed");
        }
        for (i, l) in e.locales.iter().enumerate() {
            if !is_api_id(l) || e.locales[..i].contains(l) {
                return schema_err(
                    format!("{path}.locales[{i}]"),
                    format!("locale {l:?} is not a unique api id"),
                );
            }
        }
        let mut models: Vec<Model> = Vec::new();
        for (mi, m) in e.models.iter().enumerate() {
            if !is_api_id(&m.name) || models.iter().any(|x| x.api_id == m.name) {
                return schema_err(
                    format!("{path}.models[{mi}]"),
                    format!("model name {:?} is not a unique api id", m.name),
                );
            }
            models.push(Model {
                api_id: m.name.clone(),
                plural: m.plural.clone().unwrap_or_else(|| default_plural(&m.name)),
                fields: Vec::new(),
                reverse: Vec::new(),
            });
        }
        for (mi, m) in e.models.iter().enumerate() {
            for (fi, f) in m.fields.iter().enumerate() {
                let fpath = format!("{path}.models[{mi}].fields[{fi}]");
                if !is_api_id(&f.name)
                    || crate::model::project::SystemField::from_name(&f.name).is_some()
                    || m.fields[..fi].iter().any(|x| x.name == f.name)
                {
                    return schema_err(
                        fpath,
                        format!("field name {:?} is not a unique, non-system api id", f.name),
                    );
                }
                let kind = if let Some(t) = scalar_type(f) {
                    if f.list || f.reverse.is_some() {
                        return schema_err(fpath, "list and reverse are for relations");
                    }
                    if let ScalarType::Enum(v) = &t {
                        if v.is_empty() || v.iter().any(|x| !is_api_id(x)) {
                            return schema_err(fpath, "an Enum needs `values`: non-empty api ids");
                        }
                    }
                    FieldKind::Scalar(t)
                } else {
                    let Some(target) = models.iter().position(|x| x.api_id == f.ty) else {
                        return schema_err(
                            fpath,
                            format!("type {:?} is neither a scalar type nor a model", f.ty),
                        );
                    };
                    if f.localized || f.required || f.values.is_some() {
                        return schema_err(
                            fpath,
                            "relations are never localized, required or enums",
                        );
                    }
                    FieldKind::Relation {
                        target,
                        list: f.list,
                        reverse: f.reverse.clone(),
                    }
                };
                if let Some(model) = models.get_mut(mi) {
                    model.fields.push(Field {
                        api_id: f.name.clone(),
                        kind,
                        localized: f.localized,
                        required: f.required,
                    });
                }
            }
        }
        // Reverse fields.
        let mut reverses: Vec<(ModelIdx, ReverseField, String)> = Vec::new();
        for (mi, m) in models.iter().enumerate() {
            for (fi, f) in m.fields.iter().enumerate() {
                if let FieldKind::Relation {
                    target,
                    reverse: Some(r),
                    ..
                } = &f.kind
                {
                    reverses.push((
                        *target,
                        ReverseField {
                            api_id: r.clone(),
                            owner: mi,
                            owner_field: fi,
                        },
                        format!("{path}.models[{mi}].fields[{fi}].reverse"),
                    ));
                }
            }
        }
        for (target, rf, rpath) in reverses {
            let Some(model) = models.get_mut(target) else {
                continue;
            };
            if model.field(&rf.api_id).is_some() || !is_api_id(&rf.api_id) {
                return schema_err(
                    rpath,
                    format!(
                        "reverse field {:?} clashes with a field of {}",
                        rf.api_id, model.api_id
                    ),
                );
            }
            model.reverse.push(rf);
        }
        let plurals: Vec<&String> = models.iter().map(|m| &m.plural).collect();
        for (i, p) in plurals.iter().enumerate() {
            if plurals[..i].contains(p) || models.iter().any(|m| m.api_id.to_lowercase() == **p) {
                return schema_err(
                    format!("{path}.models[{i}].plural"),
                    format!("plural {p:?} clashes"),
                );
            }
        }
        Ok(Schema {
            stages,
            locales: e.locales.clone(),
            models,
        })
    }
}
