//! Carrying out one mutation field's write in SQLite, inside the field's savepoint: rows of
//! `doc`, `loc` and `link` tables written, changed, copied or removed (DATA-2..4, WRITE-1..5,
//! WRITE-9, WRITE-10). Every write acts on the DRAFT document; publish copies it.
//!
//! Data checks that need the stored state (WRITE-9: creating an existing localization,
//! updating or deleting an absent one; WRITE-10: an unknown id, a link already made or not
//! made; DATA-5: a required field set to null) do not stop the write: the invalid part is
//! skipped, the failure recorded ([`Applied::errors`]) and the rest applied, because
//! permissions (ERR-1 step 6) are judged on the written document before the data checks
//! (step 7) decide. Either way a field with a failure is rolled back.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use crate::model::project::{FieldKind, LocaleIdx, Model, ModelIdx, DRAFT};
use crate::sandbox::store::{field_column, quote, sql_value};

use super::clock;
use super::plan::{DataPlan, LocWrite, RelField, RelOp, Values};
use super::{Cx, WriteError};

/// The system columns of a `doc` row, in table order.
const DOC_SYSTEM: [&str; 6] = [
    "entry_id",
    "stage",
    "creation_order",
    "created_at",
    "updated_at",
    "published_at",
];

/// What a create or update wrote.
#[derive(Debug, Clone, Default)]
pub(super) struct Applied {
    /// The entry written (the new id for a create).
    pub id: String,
    /// The entries at the other end of each two-way link made or removed (WRITE-10), by model.
    pub ends: Vec<(ModelIdx, String)>,
    /// Step-7 data-check failures (those of the input included).
    pub errors: Vec<String>,
    /// `doc` columns of required fields set to null (see [`DocRef`](super::require::DocRef)).
    pub nulled: Vec<String>,
}

fn exec(conn: &Connection, sql: &str, params: &[SqlValue]) -> Result<usize, WriteError> {
    let mut st = conn.prepare_cached(sql)?;
    Ok(st.execute(params_from_iter(params.iter()))?)
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_string())
}

impl Cx<'_> {
    fn conn(&self) -> &Connection {
        self.store.conn()
    }

    fn model(&self, m: ModelIdx) -> Result<&Model, WriteError> {
        self.schema
            .models
            .get(m)
            .ok_or_else(|| WriteError::Corrupt(format!("no model #{m}")))
    }

    fn locale(&self, l: LocaleIdx) -> String {
        self.schema.locales.get(l).cloned().unwrap_or_default()
    }

    fn ids(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<String>, WriteError> {
        Ok(self.store.query_ids(sql, params)?)
    }

    /// Whether `id` is an entry of model `m` (every entry has a DRAFT document).
    pub(super) fn has_draft(&self, m: ModelIdx, id: &str) -> Result<bool, WriteError> {
        let model = self.model(m)?;
        let sql = format!(
            "SELECT 1 FROM {} WHERE \"entry_id\" = ? AND \"stage\" = ?",
            self.env.doc_table(&model.api_id)
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let hit: Option<i64> = st.query_row([id, DRAFT], |r| r.get(0)).optional()?;
        Ok(hit.is_some())
    }

    /// The stages in which entry `id` of `m` has a document, in the schema's stage order.
    pub(super) fn stages_of(&self, m: ModelIdx, id: &str) -> Result<Vec<String>, WriteError> {
        let model = self.model(m)?;
        let sql = format!(
            "SELECT \"stage\" FROM {} WHERE \"entry_id\" = ?",
            self.env.doc_table(&model.api_id)
        );
        let present = self.ids(&sql, &[text(id)])?;
        Ok(self
            .schema
            .stages
            .iter()
            .filter(|s| present.contains(s))
            .cloned()
            .collect())
    }

    /// The locales of the localizations of entry `id`'s document in `stage`.
    pub(super) fn locales_of(
        &self,
        m: ModelIdx,
        id: &str,
        stage: &str,
    ) -> Result<Vec<LocaleIdx>, WriteError> {
        let model = self.model(m)?;
        let names = self
            .store
            .localizations(self.env, &model.api_id, id, stage)?;
        Ok(names.iter().filter_map(|n| self.schema.locale(n)).collect())
    }

    /// Targets of entry `owner`'s DRAFT links in link table `table`, in link order.
    fn draft_targets(&self, table: &str, owner: &str) -> Result<Vec<String>, WriteError> {
        self.ids(
            &format!(
                "SELECT \"target_id\" FROM {table} WHERE \"owner_id\" = ? AND \"stage\" = ? \
                 ORDER BY \"seq\""
            ),
            &[text(owner), text(DRAFT)],
        )
    }

    /// Owners of DRAFT links to `target` in link table `table`, in link order.
    fn draft_owners(&self, table: &str, target: &str) -> Result<Vec<String>, WriteError> {
        self.ids(
            &format!(
                "SELECT \"owner_id\" FROM {table} WHERE \"target_id\" = ? AND \"stage\" = ? \
                 ORDER BY \"seq\""
            ),
            &[text(target), text(DRAFT)],
        )
    }

    fn link(&self, table: &str, owner: &str, target: &str) -> Result<(), WriteError> {
        let seq = clock::next_seq(self.conn(), self.env)?;
        exec(
            self.conn(),
            &format!(
                "INSERT INTO {table} (\"owner_id\", \"stage\", \"target_id\", \"seq\") \
                 VALUES (?, ?, ?, ?)"
            ),
            &[
                text(owner),
                text(DRAFT),
                text(target),
                SqlValue::Integer(seq),
            ],
        )?;
        Ok(())
    }

    fn unlink(&self, table: &str, owner: &str, target: Option<&str>) -> Result<(), WriteError> {
        let mut sql = format!("DELETE FROM {table} WHERE \"owner_id\" = ? AND \"stage\" = ?");
        let mut params = vec![text(owner), text(DRAFT)];
        if let Some(t) = target {
            sql.push_str(" AND \"target_id\" = ?");
            params.push(text(t));
        }
        exec(self.conn(), &sql, &params)?;
        Ok(())
    }

    /// The link table and related model of a relation-like field of `model`, with whether the
    /// link's owner is the written entry, whether the owner's field is a list, and whether the
    /// relation is two-way.
    fn relation_of(&self, model: &Model, rf: RelField) -> Option<RelationSite> {
        match rf {
            RelField::Own(fi) => {
                let f = model.fields.get(fi)?;
                let FieldKind::Relation {
                    target,
                    list,
                    reverse,
                } = &f.kind
                else {
                    return None;
                };
                Some(RelationSite {
                    table: self.env.link_table(&model.api_id, &f.api_id),
                    other: *target,
                    owned: true,
                    owner_list: *list,
                    two_way: reverse.is_some(),
                })
            }
            RelField::Reverse(ri) => {
                let rev = model.reverse.get(ri)?;
                let om = self.schema.models.get(rev.owner)?;
                let f = om.fields.get(rev.owner_field)?;
                let FieldKind::Relation { list, .. } = &f.kind else {
                    return None;
                };
                Some(RelationSite {
                    table: self.env.link_table(&om.api_id, &f.api_id),
                    other: rev.owner,
                    owned: false,
                    owner_list: *list,
                    two_way: true,
                })
            }
        }
    }

    /// Every entry that may end up at the other end of a two-way link the relation inputs of
    /// `plan` make or remove on entry `id` (`None` for a create): the ids they name and the
    /// entries linked now. Only existing entries are listed.
    pub(super) fn candidates(
        &self,
        m: ModelIdx,
        id: Option<&str>,
        plan: &DataPlan,
    ) -> Result<Vec<(ModelIdx, String)>, WriteError> {
        let model = self.model(m)?;
        let mut out: Vec<(ModelIdx, String)> = Vec::new();
        for (rf, op) in &plan.relations {
            let Some(site) = self.relation_of(model, *rf) else {
                continue;
            };
            if !site.two_way {
                continue;
            }
            let mut ids: Vec<String> = op.ids().to_vec();
            if let Some(id) = id {
                if site.owned {
                    ids.extend(self.draft_targets(&site.table, id)?);
                } else {
                    ids.extend(self.draft_owners(&site.table, id)?);
                }
            }
            for x in ids {
                let key = (site.other, x);
                if !out.contains(&key) && self.has_draft(key.0, &key.1)? {
                    out.push(key);
                }
            }
        }
        Ok(out)
    }

    /// Inserts (or, with `replace`, replaces) entry `id`'s DRAFT localization in `l` with
    /// `vals` (other localized fields null).
    fn put_localization(
        &self,
        model: &Model,
        id: &str,
        l: LocaleIdx,
        vals: &[(usize, crate::model::value::Value)],
        replace: bool,
    ) -> Result<(), WriteError> {
        let mut cols = vec![quote("entry_id"), quote("stage"), quote("locale")];
        let mut params = vec![text(id), text(DRAFT), SqlValue::Text(self.locale(l))];
        for (fi, v) in vals {
            if let Some(f) = model.fields.get(*fi) {
                cols.push(field_column(&f.api_id));
                params.push(sql_value(v));
            }
        }
        let marks = vec!["?"; cols.len()].join(", ");
        let verb = if replace {
            "INSERT OR REPLACE"
        } else {
            "INSERT"
        };
        exec(
            self.conn(),
            &format!(
                "{verb} INTO {} ({}) VALUES ({marks})",
                self.env.loc_table(&model.api_id),
                cols.join(", ")
            ),
            &params,
        )?;
        Ok(())
    }

    /// Sets localized values of entry `id`'s DRAFT localization in `l`.
    fn set_localized(
        &self,
        model: &Model,
        id: &str,
        l: LocaleIdx,
        vals: &[(usize, crate::model::value::Value)],
    ) -> Result<(), WriteError> {
        let mut sets = Vec::new();
        let mut params = Vec::new();
        for (fi, v) in vals {
            if let Some(f) = model.fields.get(*fi) {
                sets.push(format!("{} = ?", field_column(&f.api_id)));
                params.push(sql_value(v));
            }
        }
        if sets.is_empty() {
            return Ok(());
        }
        params.extend([text(id), text(DRAFT), SqlValue::Text(self.locale(l))]);
        exec(
            self.conn(),
            &format!(
                "UPDATE {} SET {} WHERE \"entry_id\" = ? AND \"stage\" = ? AND \"locale\" = ?",
                self.env.loc_table(&model.api_id),
                sets.join(", ")
            ),
            &params,
        )?;
        Ok(())
    }

    fn has_localization(&self, model: &Model, id: &str, l: LocaleIdx) -> Result<bool, WriteError> {
        let sql = format!(
            "SELECT 1 FROM {} WHERE \"entry_id\" = ? AND \"stage\" = ? AND \"locale\" = ?",
            self.env.loc_table(&model.api_id)
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let hit: Option<i64> = st
            .query_row([id, DRAFT, &self.locale(l)], |r| r.get(0))
            .optional()?;
        Ok(hit.is_some())
    }

    /// `createX(data)` (WRITE-1): a new entry with a DRAFT document only, timestamps `t`, the
    /// next creation order and a fresh id (DATA-2, DATA-3), its localizations (WRITE-9) and
    /// links (WRITE-10).
    pub(super) fn create(
        &self,
        m: ModelIdx,
        plan: &DataPlan,
        t: i64,
    ) -> Result<Applied, WriteError> {
        let model = self.model(m)?;
        let conn = self.conn();
        let id = clock::new_id(conn, self.env)?;
        let order = clock::next_order(conn, self.env)?;
        exec(
            conn,
            &format!(
                "INSERT INTO {} (\"entry_id\", \"model\", \"creation_order\") VALUES (?, ?, ?)",
                self.env.entries_table()
            ),
            &[text(&id), text(&model.api_id), SqlValue::Integer(order)],
        )?;
        let mut cols: Vec<String> = DOC_SYSTEM.iter().map(|c| quote(c)).collect();
        let mut params = vec![
            text(&id),
            text(DRAFT),
            SqlValue::Integer(order),
            SqlValue::Integer(t),
            SqlValue::Integer(t),
            SqlValue::Null,
        ];
        let mut localized: Values = Vec::new();
        for (fi, v) in &plan.scalars {
            let Some(f) = model.fields.get(*fi) else {
                continue;
            };
            if f.localized {
                localized.push((*fi, v.clone()));
            } else {
                cols.push(field_column(&f.api_id));
                params.push(sql_value(v));
            }
        }
        let marks = vec!["?"; cols.len()].join(", ");
        exec(
            conn,
            &format!(
                "INSERT INTO {} ({}) VALUES ({marks})",
                self.env.doc_table(&model.api_id),
                cols.join(", ")
            ),
            &params,
        )?;
        self.put_localization(model, &id, 0, &localized, false)?;
        for w in &plan.localizations {
            // Create data holds creates only. The default locale or a locale twice is a data
            // check already recorded; the later values win, as they would in the document
            // being judged.
            if let LocWrite::Create(l, vals) = w {
                self.put_localization(model, &id, *l, vals, true)?;
            }
        }
        let mut applied = Applied {
            id,
            errors: plan.errors.clone(),
            ..Applied::default()
        };
        self.relations(m, plan, &mut applied)?;
        Ok(applied)
    }

    /// `updateX(where, data)` (WRITE-2) on entry `id`'s DRAFT document, `updatedAt` set to `t`.
    pub(super) fn update(
        &self,
        m: ModelIdx,
        id: &str,
        plan: &DataPlan,
        t: i64,
    ) -> Result<Applied, WriteError> {
        let model = self.model(m)?;
        let mut applied = Applied {
            id: id.to_string(),
            errors: plan.errors.clone(),
            ..Applied::default()
        };
        let null_required = |vals: &Values, applied: &mut Applied| {
            for (fi, v) in vals {
                if let Some(f) = model.fields.get(*fi).filter(|f| f.required && v.is_null()) {
                    applied.errors.push(format!(
                        "required field {:?} set to null (DATA-5)",
                        f.api_id
                    ));
                }
            }
        };
        null_required(&plan.scalars, &mut applied);
        let mut sets = vec![format!("{} = ?", quote("updated_at"))];
        let mut params = vec![SqlValue::Integer(t)];
        let mut localized: Values = Vec::new();
        for (fi, v) in &plan.scalars {
            let Some(f) = model.fields.get(*fi) else {
                continue;
            };
            if f.localized {
                localized.push((*fi, v.clone()));
            } else if f.required && v.is_null() {
                applied.nulled.push(field_column(&f.api_id));
            } else {
                sets.push(format!("{} = ?", field_column(&f.api_id)));
                params.push(sql_value(v));
            }
        }
        params.extend([text(id), text(DRAFT)]);
        exec(
            self.conn(),
            &format!(
                "UPDATE {} SET {} WHERE \"entry_id\" = ? AND \"stage\" = ?",
                self.env.doc_table(&model.api_id),
                sets.join(", ")
            ),
            &params,
        )?;
        self.set_localized(model, id, 0, &localized)?;
        let mut items: Vec<&LocWrite> = plan.localizations.iter().collect();
        items.sort_by_key(|w| w.rank());
        for w in items {
            let l = w.locale();
            let exists = self.has_localization(model, id, l)?;
            let missing = match (w, exists) {
                (LocWrite::Create(..), true) => Some("exists already"),
                (LocWrite::Create(_, vals) | LocWrite::Upsert(_, vals, _), false) => {
                    self.put_localization(model, id, l, vals, false)?;
                    None
                }
                (LocWrite::Update(_, vals), _) => {
                    null_required(vals, &mut applied);
                    if exists {
                        self.set_localized(model, id, l, vals)?;
                        None
                    } else {
                        Some("does not exist")
                    }
                }
                (LocWrite::Upsert(_, _, vals), true) => {
                    null_required(vals, &mut applied);
                    self.set_localized(model, id, l, vals)?;
                    None
                }
                // The default localization is never removed (WRITE-9's failure is recorded).
                (LocWrite::Delete(_), true) if l != 0 => {
                    exec(
                        self.conn(),
                        &format!(
                            "DELETE FROM {} WHERE \"entry_id\" = ? AND \"stage\" = ? AND \"locale\" = ?",
                            self.env.loc_table(&model.api_id)
                        ),
                        &[text(id), text(DRAFT), SqlValue::Text(self.locale(l))],
                    )?;
                    None
                }
                (LocWrite::Delete(_), _) => Some("does not exist"),
            };
            if let Some(why) = missing {
                applied
                    .errors
                    .push(format!("localization {:?} {why} (WRITE-9)", self.locale(l)));
            }
        }
        self.relations(m, plan, &mut applied)?;
        Ok(applied)
    }

    /// Applies the relation inputs of `plan` to entry `applied.id` (WRITE-10), recording the
    /// other ends of two-way links made or removed and the data-check failures.
    fn relations(
        &self,
        m: ModelIdx,
        plan: &DataPlan,
        applied: &mut Applied,
    ) -> Result<(), WriteError> {
        let model = self.model(m)?;
        let id = applied.id.clone();
        for (rf, op) in &plan.relations {
            let Some(site) = self.relation_of(model, *rf) else {
                continue;
            };
            let other_name = self
                .schema
                .models
                .get(site.other)
                .map_or("?", |o| o.api_id.as_str());
            let mut touched: Vec<String> = Vec::new();
            if site.owned {
                let mut current = self.draft_targets(&site.table, &id)?;
                let connect = |ids: &[String],
                               current: &mut Vec<String>,
                               touched: &mut Vec<String>,
                               applied: &mut Applied|
                 -> Result<(), WriteError> {
                    for tid in ids {
                        if !self.has_draft(site.other, tid)? {
                            applied.errors.push(format!(
                                "{tid:?} names no entry of {other_name} to connect (WRITE-10)"
                            ));
                            continue;
                        }
                        if site.owner_list {
                            if current.contains(tid) {
                                applied
                                    .errors
                                    .push(format!("{tid:?} is linked already (WRITE-10)"));
                                continue;
                            }
                        } else {
                            self.unlink(&site.table, &id, None)?;
                            touched.append(current);
                        }
                        self.link(&site.table, &id, tid)?;
                        current.push(tid.clone());
                        touched.push(tid.clone());
                    }
                    Ok(())
                };
                match op {
                    RelOp::Connect(ids) => connect(ids, &mut current, &mut touched, applied)?,
                    RelOp::Set(ids) => {
                        self.unlink(&site.table, &id, None)?;
                        touched.append(&mut current);
                        connect(ids, &mut current, &mut touched, applied)?;
                    }
                    RelOp::Disconnect(ids) => {
                        for tid in ids {
                            if let Some(p) = current.iter().position(|x| x == tid) {
                                current.remove(p);
                                self.unlink(&site.table, &id, Some(tid))?;
                                touched.push(tid.clone());
                            } else {
                                applied
                                    .errors
                                    .push(format!("{tid:?} is not linked (WRITE-10)"));
                            }
                        }
                    }
                    RelOp::DisconnectSingle(true) => {
                        self.unlink(&site.table, &id, None)?;
                        touched.append(&mut current);
                    }
                    RelOp::DisconnectSingle(false) => {}
                }
            } else {
                let linked = self.draft_owners(&site.table, &id)?;
                let connect = |oid: &String,
                               touched: &mut Vec<String>,
                               applied: &mut Applied|
                 -> Result<(), WriteError> {
                    if !self.has_draft(site.other, oid)? {
                        applied.errors.push(format!(
                            "{oid:?} names no entry of {other_name} to connect (WRITE-10)"
                        ));
                        return Ok(());
                    }
                    let links = self.draft_targets(&site.table, oid)?;
                    if links.contains(&id) {
                        applied
                            .errors
                            .push(format!("{oid:?} is linked already (WRITE-10)"));
                    } else if !site.owner_list && !links.is_empty() {
                        applied.errors.push(format!(
                            "{oid:?} already links another entry through its single relation (WRITE-10)"
                        ));
                    } else {
                        self.link(&site.table, oid, &id)?;
                        touched.push(oid.clone());
                    }
                    Ok(())
                };
                match op {
                    RelOp::Connect(ids) => {
                        for oid in ids {
                            connect(oid, &mut touched, applied)?;
                        }
                    }
                    RelOp::Set(ids) => {
                        for oid in &linked {
                            self.unlink(&site.table, oid, Some(&id))?;
                            touched.push(oid.clone());
                        }
                        for oid in ids {
                            connect(oid, &mut touched, applied)?;
                        }
                    }
                    RelOp::Disconnect(ids) => {
                        for oid in ids {
                            if linked.contains(oid) {
                                self.unlink(&site.table, oid, Some(&id))?;
                                touched.push(oid.clone());
                            } else {
                                applied
                                    .errors
                                    .push(format!("{oid:?} is not linked (WRITE-10)"));
                            }
                        }
                    }
                    RelOp::DisconnectSingle(_) => {}
                }
            }
            if site.two_way {
                applied
                    .ends
                    .extend(touched.into_iter().map(|t| (site.other, t)));
            }
        }
        Ok(())
    }

    /// `deleteX(where)` (WRITE-3): removes every document of the entry (their localizations and
    /// owned links with them) and the entry; links to it from other entries dangle (DATA-4).
    pub(super) fn delete(&self, m: ModelIdx, id: &str) -> Result<(), WriteError> {
        let model = self.model(m)?;
        exec(
            self.conn(),
            &format!(
                "DELETE FROM {} WHERE \"entry_id\" = ?",
                self.env.doc_table(&model.api_id)
            ),
            &[text(id)],
        )?;
        exec(
            self.conn(),
            &format!(
                "DELETE FROM {} WHERE \"entry_id\" = ?",
                self.env.entries_table()
            ),
            &[text(id)],
        )?;
        Ok(())
    }

    /// `publishX(where, to)` (WRITE-4): replaces the document in each stage of `to` by a copy of
    /// the DRAFT document (values, every localization, links with their sequence numbers,
    /// `createdAt`, `updatedAt`) with `publishedAt` = `t`.
    pub(super) fn publish(
        &self,
        m: ModelIdx,
        id: &str,
        to: &[String],
        t: i64,
    ) -> Result<(), WriteError> {
        let model = self.model(m)?;
        let doc = self.env.doc_table(&model.api_id);
        let loc = self.env.loc_table(&model.api_id);
        let mut doc_cols: Vec<String> = DOC_SYSTEM.iter().map(|c| quote(c)).collect();
        let mut doc_src = vec![
            quote("entry_id"),
            "?".to_string(),
            quote("creation_order"),
            quote("created_at"),
            quote("updated_at"),
            "?".to_string(),
        ];
        let mut loc_cols = vec![quote("entry_id"), quote("stage"), quote("locale")];
        let mut loc_src = vec![quote("entry_id"), "?".to_string(), quote("locale")];
        for f in &model.fields {
            if matches!(f.kind, FieldKind::Scalar(_)) {
                let col = field_column(&f.api_id);
                if f.localized {
                    loc_cols.push(col.clone());
                    loc_src.push(col);
                } else {
                    doc_cols.push(col.clone());
                    doc_src.push(col);
                }
            }
        }
        let from_draft = "WHERE \"entry_id\" = ? AND \"stage\" = ?";
        for stage in to {
            exec(
                self.conn(),
                &format!("DELETE FROM {doc} WHERE \"entry_id\" = ? AND \"stage\" = ?"),
                &[text(id), text(stage)],
            )?;
            exec(
                self.conn(),
                &format!(
                    "INSERT INTO {doc} ({}) SELECT {} FROM {doc} {from_draft}",
                    doc_cols.join(", "),
                    doc_src.join(", ")
                ),
                &[text(stage), SqlValue::Integer(t), text(id), text(DRAFT)],
            )?;
            exec(
                self.conn(),
                &format!(
                    "INSERT INTO {loc} ({}) SELECT {} FROM {loc} {from_draft}",
                    loc_cols.join(", "),
                    loc_src.join(", ")
                ),
                &[text(stage), text(id), text(DRAFT)],
            )?;
            for f in &model.fields {
                if let FieldKind::Relation { .. } = f.kind {
                    let link = self.env.link_table(&model.api_id, &f.api_id);
                    exec(
                        self.conn(),
                        &format!(
                            "INSERT INTO {link} (\"owner_id\", \"stage\", \"target_id\", \"seq\") \
                             SELECT \"owner_id\", ?, \"target_id\", \"seq\" FROM {link} \
                             WHERE \"owner_id\" = ? AND \"stage\" = ?"
                        ),
                        &[text(stage), text(id), text(DRAFT)],
                    )?;
                }
            }
        }
        Ok(())
    }

    /// `unpublishX(where, from)` (WRITE-5): removes the entry's document in each stage of
    /// `from` (never DRAFT); a stage without one stays as it is.
    pub(super) fn unpublish(
        &self,
        m: ModelIdx,
        id: &str,
        from: &[String],
    ) -> Result<(), WriteError> {
        let model = self.model(m)?;
        let doc = self.env.doc_table(&model.api_id);
        for stage in from.iter().filter(|s| s.as_str() != DRAFT) {
            exec(
                self.conn(),
                &format!("DELETE FROM {doc} WHERE \"entry_id\" = ? AND \"stage\" = ?"),
                &[text(id), text(stage)],
            )?;
        }
        Ok(())
    }
}

/// Where the links of a relation-like field live.
struct RelationSite {
    /// The quoted link table.
    table: String,
    /// The model at the other end.
    other: ModelIdx,
    /// Whether the written entry owns the links (a relation field) or is their target (a
    /// reverse field).
    owned: bool,
    /// Whether the owner's field is a list.
    owner_list: bool,
    /// Whether the relation is two-way.
    two_way: bool,
}
