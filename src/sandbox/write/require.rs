//! The requirements of §7's table and how one is met: `ACTION(model, stage, locale, document)`
//! is met when some enabled grant of ACTION acting for the principal covers (model, stage,
//! locale) by PERM-2 and its condition holds on the document, read in the default locale
//! (WRITE-0, WHERE-2, WHERE-3). A `READ` requirement is a dependency whose condition is not
//! consulted.
//!
//! Conditions are compiled into SQL ([`sql::compile`]) and evaluated on the document's row as
//! the database holds it at the time of the check: the stored document before the field's
//! write, the new or updated one after it (inside the field's savepoint). A required field set
//! to null in update data cannot be written into its `NOT NULL` column; the updated document is
//! then read through a derived row with that column null ([`DocRef::nulled`]).

use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;

use crate::model::condition::ast::Where;
use crate::model::condition::{parse_condition, Limits};
use crate::model::grant::{Action, GrantSpec};
use crate::model::project::{FieldKind, LocaleIdx, ModelIdx, Schema, DRAFT};
use crate::op::FailedAction;
use crate::sandbox::faults::Fault;
use crate::sandbox::principals::{acting_grants, Principal};
use crate::sandbox::sql::{compile_with, LocaleSql};
use crate::sandbox::store::{field_column, quote, EnvKey, Store};

use super::{Cx, WriteError};

/// Stored conditions were validated when their grants were created; none of LIMIT-1's bounds
/// apply again.
const STORED: Limits = Limits {
    max_depth: usize::MAX,
    max_size: usize::MAX,
    max_list_len: usize::MAX,
    max_string: usize::MAX,
};

/// The actions a mutation may need.
const ACTIONS: [Action; 6] = [
    Action::Read,
    Action::Create,
    Action::Update,
    Action::Delete,
    Action::Publish,
    Action::Unpublish,
];

/// A grant with its condition parsed against its model.
#[derive(Debug, Clone)]
struct Prepared {
    spec: GrantSpec,
    condition: Option<Where>,
}

/// The grants a mutation request acts with, per action, fetched once per request
/// ([`acting_grants`]: enabled, the principal's own).
#[derive(Debug, Clone)]
pub(super) struct Grants {
    by_action: Vec<(Action, Vec<Prepared>)>,
}

impl Grants {
    /// Fetches and prepares `principal`'s acting grants for every write-relevant action.
    pub(super) fn fetch(
        store: &Store,
        env: EnvKey,
        principal: &Principal,
        schema: &Schema,
    ) -> Result<Grants, WriteError> {
        let mut by_action = Vec::new();
        for action in ACTIONS {
            let mut list = Vec::new();
            for spec in acting_grants(store, env, principal, action)? {
                let condition = match (&spec.condition, &spec.model) {
                    (Some(text), Some(model)) => {
                        let m = schema.model(model).ok_or_else(|| {
                            WriteError::Corrupt(format!("a grant names no model {model:?}"))
                        })?;
                        Some(parse_condition(schema, m, text, &STORED).map_err(|e| {
                            WriteError::Corrupt(format!("stored condition {text:?}: {e}"))
                        })?)
                    }
                    _ => None,
                };
                list.push(Prepared { spec, condition });
            }
            by_action.push((action, list));
        }
        Ok(Grants { by_action })
    }

    fn of(&self, action: Action) -> &[Prepared] {
        self.by_action
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(&[], |(_, l)| l.as_slice())
    }

    /// WRITE-0: whether some grant of `action` covers `model` at all (conditions, locales and
    /// stages aside).
    pub(super) fn any_for_model(&self, action: Action, model: &str) -> bool {
        self.of(action)
            .iter()
            .any(|g| g.spec.model.as_deref().is_none_or(|m| m == model))
    }
}

/// The document a requirement's condition is read on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DocRef {
    /// The entry.
    pub entry: String,
    /// The stage of the document (also the stage relation filters follow links in).
    pub stage: String,
    /// Columns of the `doc` row read as null although stored otherwise (a required field
    /// set to null in update data, which its `NOT NULL` column cannot hold).
    pub nulled: Vec<String>,
}

impl DocRef {
    /// Entry `entry`'s document in `stage`, as stored.
    pub(super) fn at(entry: &str, stage: &str) -> DocRef {
        DocRef {
            entry: entry.to_string(),
            stage: stage.to_string(),
            nulled: Vec::new(),
        }
    }

    /// Entry `entry`'s DRAFT document, as stored.
    pub(super) fn draft(entry: &str) -> DocRef {
        DocRef::at(entry, DRAFT)
    }
}

/// One requirement of §7's table.
#[derive(Debug, Clone)]
pub(super) struct Req {
    /// The action.
    pub action: Action,
    /// The model.
    pub model: ModelIdx,
    /// The requirement's stage.
    pub stage: String,
    /// The locale.
    pub locale: LocaleIdx,
    /// The document the condition is read on (`None`: conditions are not consulted).
    pub doc: Option<DocRef>,
}

impl Req {
    /// A `READ` dependency on (model, stage, default locale); its condition is not consulted.
    pub(super) fn read(model: ModelIdx, stage: &str) -> Req {
        Req {
            action: Action::Read,
            model,
            stage: stage.to_string(),
            locale: 0,
            doc: None,
        }
    }

    /// `action(model, stage, locale, doc)`.
    pub(super) fn on(
        action: Action,
        model: ModelIdx,
        stage: &str,
        locale: LocaleIdx,
        doc: DocRef,
    ) -> Req {
        Req {
            action,
            model,
            stage: stage.to_string(),
            locale,
            doc: Some(doc),
        }
    }
}

impl Cx<'_> {
    /// The (action, model, stage) triple of a requirement, for `failedActions`.
    pub(super) fn failed(&self, action: Action, model: ModelIdx, stage: &str) -> FailedAction {
        FailedAction {
            action: action.failed_name().to_string(),
            model: self
                .schema
                .models
                .get(model)
                .map(|m| m.api_id.clone())
                .unwrap_or_default(),
            stage: stage.to_string(),
        }
    }

    /// Whether grant `g` covers the requirement's (model, stage, locale) by PERM-2, conditions
    /// aside. Fault `publish-ignores-to-stages` (WRITE-4) skips PUBLISH's `toStages`.
    fn covers(&self, g: &GrantSpec, r: &Req) -> bool {
        let Some(model) = self.schema.models.get(r.model) else {
            return false;
        };
        let Some(locale) = self.schema.locales.get(r.locale) else {
            return false;
        };
        let has = |list: &Option<Vec<String>>, x: &str| {
            list.as_ref().is_none_or(|l| l.iter().any(|y| y == x))
        };
        if g.model.as_deref().is_some_and(|m| m != model.api_id) || !has(&g.locales, locale) {
            return false;
        }
        match r.action {
            Action::Read | Action::Unpublish => has(&g.stages, &r.stage),
            Action::Publish => {
                has(&g.from_stages, DRAFT)
                    && (self.store.has_fault(Fault::PublishIgnoresToStages)
                        || has(&g.to_stages, &r.stage))
            }
            Action::Create | Action::Update | Action::Delete | Action::ReadVersions => true,
        }
    }

    /// Whether requirement `r` is met on the database as it is now.
    pub(super) fn met(&self, r: &Req) -> Result<bool, WriteError> {
        let mut conditional = Vec::new();
        for g in self.grants.of(r.action) {
            if !self.covers(&g.spec, r) {
                continue;
            }
            match (&g.condition, &r.doc) {
                (Some(w), Some(d)) if r.action != Action::Read => conditional.push((w, d)),
                _ => return Ok(true),
            }
        }
        for (w, d) in conditional {
            if self.holds(r.model, w, d)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether condition `w` holds on document `d` of `model`, read in the default locale.
    fn holds(&self, model: ModelIdx, w: &Where, d: &DocRef) -> Result<bool, WriteError> {
        let Some(m) = self.schema.models.get(model) else {
            return Ok(false);
        };
        let table = self.env.doc_table(&m.api_id);
        let source = if d.nulled.is_empty() {
            table
        } else {
            let mut cols: Vec<String> = [
                "entry_id",
                "stage",
                "creation_order",
                "created_at",
                "updated_at",
                "published_at",
            ]
            .iter()
            .map(|c| quote(c))
            .collect();
            for f in &m.fields {
                if matches!(f.kind, FieldKind::Scalar(_)) && !f.localized {
                    let col = field_column(&f.api_id);
                    if d.nulled.contains(&col) {
                        cols.push(format!("NULL AS {col}"));
                    } else {
                        cols.push(col);
                    }
                }
            }
            format!("(SELECT {} FROM {table})", cols.join(", "))
        };
        let default = self.schema.default_locale().to_string();
        let c = compile_with(
            self.env,
            self.schema,
            w,
            "d",
            &LocaleSql::Bound(default),
            self.store.faults(),
        )?;
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {source} \"d\" WHERE \"d\".\"entry_id\" = ? \
             AND \"d\".\"stage\" = ? AND ({}))",
            c.sql
        );
        let mut params = vec![
            SqlValue::Text(d.entry.clone()),
            SqlValue::Text(d.stage.clone()),
        ];
        params.extend(c.params);
        let conn = self.store.conn();
        let mut st = conn.prepare_cached(&sql)?;
        let hit: bool = st.query_row(params_from_iter(params.iter()), |r| r.get(0))?;
        Ok(hit)
    }
}
