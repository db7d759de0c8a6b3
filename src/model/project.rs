//! The shape of one environment's project (spec §1): stages, locales, models and their fields,
//! resolved field references, and the entries/documents/localizations that hold content.
//!
//! Everything here is plain data plus lookups. Semantics (who may see what) live in
//! `read.rs`/`write.rs`; values and their coercion live in `value.rs`.

use serde::{Deserialize, Serialize};

use crate::model::value::{ScalarType, Value};

/// The two system stages every environment has.
pub const DRAFT: &str = "DRAFT";
/// The stage a new project's public principal reads by default.
pub const PUBLISHED: &str = "PUBLISHED";

/// Index of a stage in [`Schema::stages`]. `DRAFT` is always 0 and `PUBLISHED` 1.
pub type StageIdx = usize;
/// The index of `DRAFT`.
pub const DRAFT_IDX: StageIdx = 0;
/// The index of `PUBLISHED`.
pub const PUBLISHED_IDX: StageIdx = 1;
/// Index of a locale in [`Schema::locales`]. The default locale is always 0.
pub type LocaleIdx = usize;
/// Index of a model in [`Schema::models`].
pub type ModelIdx = usize;
/// Index of a field in [`Model::fields`].
pub type FieldIdx = usize;
/// Index of an entry in [`Content::entries`].
pub type EntryIdx = usize;

/// One environment's schema: stages, locales (default first) and models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// `DRAFT`, `PUBLISHED`, then the custom stages in declaration order.
    pub stages: Vec<String>,
    /// Locale api ids; index 0 is the default locale.
    pub locales: Vec<String>,
    /// The models.
    pub models: Vec<Model>,
}

/// A content model (`Post`, plural `posts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The api id, e.g. `Post`.
    pub api_id: String,
    /// The plural used for list root fields, e.g. `posts`.
    pub plural: String,
    /// Declared fields (scalars and owned relations), in declaration order.
    pub fields: Vec<Field>,
    /// Reverse fields of two-way relations owned by other models (DATA-4), always lists.
    pub reverse: Vec<ReverseField>,
}

/// A declared field of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The api id, e.g. `title`.
    pub api_id: String,
    /// Scalar or relation.
    pub kind: FieldKind,
    /// Localized fields hold one value per localization (never true for relations).
    pub localized: bool,
    /// Required fields are non-null in every document and localization (DATA-5).
    pub required: bool,
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldKind {
    /// A scalar of the given type.
    Scalar(ScalarType),
    /// A relation owned by this model (DATA-4).
    Relation {
        /// The related model.
        target: ModelIdx,
        /// `true` for a list relation (`tags: [Tag]`).
        list: bool,
        /// The reverse field's api id on the related model, for a two-way relation.
        reverse: Option<String>,
    },
}

/// A reverse field: the other end of a two-way relation declared on `owner`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReverseField {
    /// The api id on this model.
    pub api_id: String,
    /// The model that declares the relation.
    pub owner: ModelIdx,
    /// The relation field on the owner.
    pub owner_field: FieldIdx,
}

/// A system field (spec §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SystemField {
    /// `id`, an `ID`.
    Id,
    /// `stage`, not filterable.
    Stage,
    /// `locale`, not filterable.
    Locale,
    /// `createdAt`.
    CreatedAt,
    /// `updatedAt`.
    UpdatedAt,
    /// `publishedAt`.
    PublishedAt,
}

impl SystemField {
    /// Every system field, in output order.
    pub const ALL: [SystemField; 6] = [
        SystemField::Id,
        SystemField::Stage,
        SystemField::Locale,
        SystemField::CreatedAt,
        SystemField::UpdatedAt,
        SystemField::PublishedAt,
    ];

    /// The GraphQL name.
    pub fn name(self) -> &'static str {
        match self {
            SystemField::Id => "id",
            SystemField::Stage => "stage",
            SystemField::Locale => "locale",
            SystemField::CreatedAt => "createdAt",
            SystemField::UpdatedAt => "updatedAt",
            SystemField::PublishedAt => "publishedAt",
        }
    }

    /// Looks a system field up by its GraphQL name.
    pub fn from_name(name: &str) -> Option<SystemField> {
        SystemField::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A field of a model as a name resolves to it: system, scalar, owned relation or reverse field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FieldRef {
    /// A system field.
    System(SystemField),
    /// A declared scalar field.
    Scalar(FieldIdx),
    /// A declared relation field (single or list).
    Relation(FieldIdx),
    /// A reverse field, by its index in [`Model::reverse`].
    Reverse(usize),
}

impl Schema {
    /// The default locale (DATA: exactly one; index 0).
    pub fn default_locale(&self) -> &str {
        self.locales.first().map(String::as_str).unwrap_or("")
    }

    /// Index of a stage by api id (exact match).
    pub fn stage(&self, name: &str) -> Option<StageIdx> {
        self.stages.iter().position(|s| s == name)
    }

    /// Index of a locale by api id (exact match, CTX-2).
    pub fn locale(&self, name: &str) -> Option<LocaleIdx> {
        self.locales.iter().position(|l| l == name)
    }

    /// Index of a model by api id.
    pub fn model(&self, api_id: &str) -> Option<ModelIdx> {
        self.models.iter().position(|m| m.api_id == api_id)
    }
}

impl Model {
    /// Resolves a field name: system fields, declared fields, then reverse fields.
    pub fn field(&self, name: &str) -> Option<FieldRef> {
        if let Some(s) = SystemField::from_name(name) {
            return Some(FieldRef::System(s));
        }
        if let Some(i) = self.fields.iter().position(|f| f.api_id == name) {
            return Some(match self.fields[i].kind {
                FieldKind::Scalar(_) => FieldRef::Scalar(i),
                FieldKind::Relation { .. } => FieldRef::Relation(i),
            });
        }
        self.reverse
            .iter()
            .position(|r| r.api_id == name)
            .map(FieldRef::Reverse)
    }

    /// The scalar type of a declared scalar field.
    pub fn scalar_type(&self, field: FieldIdx) -> Option<&ScalarType> {
        match &self.fields.get(field)?.kind {
            FieldKind::Scalar(t) => Some(t),
            FieldKind::Relation { .. } => None,
        }
    }

    /// Whether the model has any localized field (READ-2's "model with no localized fields").
    pub fn has_localized_fields(&self) -> bool {
        self.fields.iter().any(|f| f.localized)
    }
}

/// A link of a relation (DATA-4): the target entry's id and the link's sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The id of the entry at the other end (may dangle).
    pub target: String,
    /// Per-environment sequence number, given when the link is made, kept by publish.
    pub seq: u64,
    /// Where the target entry was last seen in [`Content::entries`], and the target's creation
    /// order (unique and never reused in an environment, DATA-2): a hint that makes following a
    /// link cheap. The entry at `hint` is the target exactly when its order is `order`; a
    /// stale or missing hint falls back to the id index, so the hint never decides anything.
    #[serde(skip, default = "no_hint")]
    pub hint: (EntryIdx, u64),
}

fn no_hint() -> (EntryIdx, u64) {
    (EntryIdx::MAX, u64::MAX)
}

impl Link {
    /// A link to `target` with sequence number `seq`, without a position hint.
    pub fn new(target: String, seq: u64) -> Link {
        Link {
            target,
            seq,
            hint: no_hint(),
        }
    }

    /// A link with a position hint taken from `content`'s id index.
    pub fn hinted(target: String, seq: u64, content: &Content) -> Link {
        let hint = content.hint_for(&target);
        Link { target, seq, hint }
    }
}

/// One stage's document of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Non-localized scalar values, by field index (relations and localized fields hold `Null`).
    pub values: Vec<Value>,
    /// Links of owned relation fields, by field index (empty for scalars).
    pub links: Vec<Vec<Link>>,
    /// Localizations present: locale index → localized values by field index.
    pub localizations: Localizations,
    /// `createdAt`, microseconds since the epoch (DATA-3).
    pub created_at: i64,
    /// `updatedAt`.
    pub updated_at: i64,
    /// `publishedAt`; `None` in DRAFT.
    pub published_at: Option<i64>,
}

/// The localizations of a document, sorted by locale, with a bit set of the locales present
/// kept beside them so that READ-2's presence test reads no heap memory. The set is derived
/// and maintained by every method; the list is reachable only through them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(
    from = "Vec<(LocaleIdx, Vec<Value>)>",
    into = "Vec<(LocaleIdx, Vec<Value>)>"
)]
pub struct Localizations {
    items: Vec<(LocaleIdx, Vec<Value>)>,
    present: u64,
}

impl From<Vec<(LocaleIdx, Vec<Value>)>> for Localizations {
    fn from(mut items: Vec<(LocaleIdx, Vec<Value>)>) -> Self {
        items.sort_by_key(|(l, _)| *l);
        items.dedup_by_key(|(l, _)| *l);
        let mut out = Localizations { items, present: 0 };
        out.recount();
        out
    }
}

impl From<Localizations> for Vec<(LocaleIdx, Vec<Value>)> {
    fn from(l: Localizations) -> Self {
        l.items
    }
}

impl Localizations {
    fn recount(&mut self) {
        self.present = self
            .items
            .iter()
            .filter(|(l, _)| *l < 64)
            .fold(0, |m, (l, _)| m | (1u64 << l));
    }

    /// Whether a localization in `locale` is present.
    #[inline]
    pub fn has(&self, locale: LocaleIdx) -> bool {
        if locale < 64 {
            self.present & (1u64 << locale) != 0
        } else {
            self.items.iter().any(|(l, _)| *l == locale)
        }
    }

    /// The localized values of one locale.
    #[inline]
    pub fn get(&self, locale: LocaleIdx) -> Option<&[Value]> {
        if !self.has(locale) {
            return None;
        }
        self.items
            .iter()
            .find(|(l, _)| *l == locale)
            .map(|(_, v)| v.as_slice())
    }

    /// The localized values of one locale, to change in place.
    pub fn get_mut(&mut self, locale: LocaleIdx) -> Option<&mut Vec<Value>> {
        self.items
            .iter_mut()
            .find(|(l, _)| *l == locale)
            .map(|(_, v)| v)
    }

    /// Adds (or replaces) the localization of `locale`.
    pub fn insert(&mut self, locale: LocaleIdx, values: Vec<Value>) {
        match self.items.binary_search_by_key(&locale, |(l, _)| *l) {
            Ok(i) => {
                if let Some(slot) = self.items.get_mut(i) {
                    slot.1 = values;
                }
            }
            Err(i) => self.items.insert(i, (locale, values)),
        }
        self.recount();
    }

    /// Keeps the localizations whose locale passes `keep`.
    pub fn retain(&mut self, mut keep: impl FnMut(LocaleIdx) -> bool) {
        self.items.retain(|(l, _)| keep(*l));
        self.recount();
    }

    /// The locales present, in locale order.
    pub fn locales(&self) -> impl Iterator<Item = LocaleIdx> + '_ {
        self.items.iter().map(|(l, _)| *l)
    }

    /// The localizations, in locale order.
    pub fn iter(&self) -> impl Iterator<Item = (LocaleIdx, &[Value])> + '_ {
        self.items.iter().map(|(l, v)| (*l, v.as_slice()))
    }
}

impl Document {
    /// The localized values of one locale, when the document has that localization.
    #[inline]
    pub fn localization(&self, locale: LocaleIdx) -> Option<&[Value]> {
        self.localizations.get(locale)
    }

    /// Whether the document has a localization in `locale`.
    #[inline]
    pub fn has_locale(&self, locale: LocaleIdx) -> bool {
        self.localizations.has(locale)
    }

    /// The value of a scalar field as served in `locale` (localized fields read that locale's
    /// localization, `Null` when absent).
    pub fn scalar(&self, model: &Model, field: FieldIdx, locale: LocaleIdx) -> &Value {
        let localized = model.fields.get(field).is_some_and(|f| f.localized);
        let v = if localized {
            self.localization(locale).and_then(|vals| vals.get(field))
        } else {
            self.values.get(field)
        };
        v.unwrap_or(&Value::Null)
    }
}

/// An entry: its id, model, creation order and one optional document per stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's id (DATA-2).
    pub id: String,
    /// Its model.
    pub model: ModelIdx,
    /// Creation order: per-environment sequence, same in every stage (DATA-2).
    pub order: u64,
    /// Documents by stage index; `documents[0]` (DRAFT) is always `Some`.
    pub documents: Vec<Option<Document>>,
}

impl Entry {
    /// The document in a stage, if the entry has one there.
    pub fn document(&self, stage: StageIdx) -> Option<&Document> {
        self.documents.get(stage).and_then(Option::as_ref)
    }
}

/// All entries of an environment, with an id index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// Entries in creation order (deleted entries are removed).
    pub entries: Vec<Entry>,
    /// id → index into `entries`.
    #[serde(skip)]
    pub by_id: rustc_hash::FxHashMap<String, EntryIdx>,
    /// Next creation-order number.
    pub next_order: u64,
    /// Next link sequence number.
    pub next_link_seq: u64,
    /// The latest timestamp in the environment (DATA-3), microseconds.
    pub latest_timestamp: i64,
    /// Counter for generated ids.
    pub next_id: u64,
}

impl Content {
    /// Rebuilds the id index after entries were removed or reordered.
    pub fn reindex(&mut self) {
        self.by_id = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        let hints: Vec<Vec<(EntryIdx, u64)>> = self
            .entries
            .iter()
            .map(|e| {
                e.documents
                    .iter()
                    .flatten()
                    .flat_map(|d| d.links.iter().flatten())
                    .map(|l| self.hint_for(&l.target))
                    .collect()
            })
            .collect();
        for (e, hs) in self.entries.iter_mut().zip(hints) {
            let links = e
                .documents
                .iter_mut()
                .flatten()
                .flat_map(|d| d.links.iter_mut().flatten());
            for (l, h) in links.zip(hs) {
                l.hint = h;
            }
        }
    }

    /// The position and creation order of the entry with an id, for a [`Link`] hint.
    pub fn hint_for(&self, id: &str) -> (EntryIdx, u64) {
        match self.by_id.get(id) {
            Some(&i) => (i, self.entries.get(i).map_or(u64::MAX, |e| e.order)),
            None => no_hint(),
        }
    }

    /// The entry with an id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).and_then(|&i| self.entries.get(i))
    }

    /// Entries of one model, in creation order.
    pub fn of_model(&self, model: ModelIdx) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.model == model)
    }

    /// The document that a link leads to in `stage`, or `None` when it dangles there (DATA-4).
    pub fn follow(&self, link: &Link, stage: StageIdx) -> Option<(&Entry, &Document)> {
        let e = match self.entries.get(link.hint.0) {
            Some(e) if e.order == link.hint.1 => e,
            _ => self.get(&link.target)?,
        };
        e.document(stage).map(|d| (e, d))
    }

    /// The entries whose owner relation `owner_field` (declared on `owner`) links to `id` in
    /// `stage`, with the link's sequence number, in link order (a reverse field, DATA-4).
    pub fn reverse_links(
        &self,
        owner: ModelIdx,
        owner_field: FieldIdx,
        id: &str,
        stage: StageIdx,
    ) -> Vec<(u64, &Entry, &Document)> {
        let mut out: Vec<(u64, &Entry, &Document)> = self
            .of_model(owner)
            .filter_map(|e| {
                let d = e.document(stage)?;
                let seq = d
                    .links
                    .get(owner_field)?
                    .iter()
                    .find(|l| l.target == id)?
                    .seq;
                Some((seq, e, d))
            })
            .collect();
        out.sort_by_key(|(seq, _, _)| *seq);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn present(l: &Localizations) -> Vec<LocaleIdx> {
        (0..70).filter(|&i| l.has(i)).collect()
    }

    #[test]
    fn localizations_keep_their_presence_set() {
        let mut l = Localizations::from(vec![(2, vec![]), (0, vec![Value::Int(1)]), (65, vec![])]);
        assert_eq!(l.locales().collect::<Vec<_>>(), [0, 2, 65]);
        assert_eq!(present(&l), [0, 2, 65]);
        l.insert(1, vec![Value::Int(7)]);
        l.insert(0, vec![Value::Int(2)]);
        assert_eq!(present(&l), [0, 1, 2, 65]);
        assert_eq!(l.get(0), Some(&[Value::Int(2)][..]));
        l.retain(|x| x != 2 && x != 65);
        assert_eq!(present(&l), [0, 1]);
        assert_eq!(l.get(2), None);
        assert_eq!(l.get(65), None);
        let back: Vec<(LocaleIdx, Vec<Value>)> = l.clone().into();
        assert_eq!(Localizations::from(back), l);
    }
}
