//! Writes (spec §7): mutation fields planned by `plan` (ERR-1 step 5), then WRITE-0's
//! model-level check, matching (WRITE-6), the requirements table, data checks (step 7:
//! WRITE-9, WRITE-10, required fields set to null), atomic batches (WRITE-11), and the
//! read-back of results (WRITE-7).

mod plan;

pub use plan::*;

use std::collections::BTreeSet;

use serde_json::{Map, Value as J};

use crate::model::condition::EvalCtx;
use crate::model::ctx::Invalid;
use crate::model::grant::{Action, Grant};
use crate::model::profile::{Profile, WriteConditionMiss};
use crate::model::project::{
    Content, Document, Entry, FieldKind, Link, LocaleIdx, ModelIdx, Schema, StageIdx, DRAFT_IDX,
    PUBLISHED_IDX,
};
use crate::model::read::{self, Item, Reader};
use crate::model::value::Value;
use crate::op::{DeniedError, FailedAction, Outcome};

/// A requirement (§7): ACTION(model, stage, locale, document).
struct Req {
    action: Action,
    model: ModelIdx,
    stage: StageIdx,
    locale: LocaleIdx,
    /// The document the condition is read on, with the content and entry it belongs to and
    /// its stage; `None` for a dependency whose condition is not consulted.
    doc: Option<DocRef>,
}

#[derive(Clone, Copy)]
enum Which {
    Old,
    New,
}

struct DocRef {
    which: Which,
    entry_id: String,
    stage: StageIdx,
}

impl Req {
    /// A requirement whose condition is read on entry `id`'s document in `doc_stage` of the
    /// `which` content.
    fn on(
        action: Action,
        model: ModelIdx,
        stage: StageIdx,
        locale: LocaleIdx,
        which: Which,
        id: &str,
        doc_stage: StageIdx,
    ) -> Req {
        Req {
            action,
            model,
            stage,
            locale,
            doc: Some(DocRef {
                which,
                entry_id: id.to_string(),
                stage: doc_stage,
            }),
        }
    }
}

/// What one mutation field did.
enum FieldOutcome {
    Denied(BTreeSet<FailedAction>, &'static str),
    DataError(Invalid),
    NoMatch,
    Done(Box<Content>, J),
}

struct Writer<'a> {
    schema: &'a Schema,
    profile: &'a Profile,
    grants: &'a [&'a Grant],
    read_grants: Vec<&'a Grant>,
}

fn doc_locales(doc: &Document) -> Vec<LocaleIdx> {
    doc.localizations.locales().collect()
}

impl<'a> Writer<'a> {
    fn grant_locale(&self, model: ModelIdx, l: LocaleIdx) -> Option<LocaleIdx> {
        let localized = self
            .schema
            .models
            .get(model)
            .is_some_and(|m| m.has_localized_fields());
        (localized || self.profile.unlocalized_locales).then_some(l)
    }

    fn met(&self, r: &Req, old: &Content, new: &Content) -> bool {
        let gl = self.grant_locale(r.model, r.locale);
        self.grants.iter().any(|g| {
            if !g.covers(r.action, r.model, r.stage, gl) {
                return false;
            }
            let consult = r.action != Action::Read || self.profile.dependency_conditions;
            let (Some(_), Some(d), true) = (&g.condition, &r.doc, consult) else {
                return true;
            };
            let content = match d.which {
                Which::Old => old,
                Which::New => new,
            };
            let Some(entry) = content.get(&d.entry_id) else {
                return false;
            };
            let Some(doc) = entry.document(d.stage) else {
                return false;
            };
            g.holds(
                &EvalCtx {
                    schema: self.schema,
                    content,
                    stage: d.stage,
                    locale: 0,
                    null_logic: self.profile.null_logic,
                },
                entry,
                doc,
            )
        })
    }

    fn failed(&self, r: &Req) -> FailedAction {
        FailedAction {
            action: r.action.failed_name().to_string(),
            model: self
                .schema
                .models
                .get(r.model)
                .map(|m| m.api_id.clone())
                .unwrap_or_default(),
            stage: self.schema.stages.get(r.stage).cloned().unwrap_or_default(),
        }
    }

    /// WRITE-7: the result read back under READ rules in `stage` (DRAFT unless the knob
    /// `mutation_result_stage` says otherwise) with locales `[defaultLocale]`.
    fn readback(&self, content: &Content, id: &str, sel: &[Item], stage: StageIdx) -> J {
        let reader = Reader {
            schema: self.schema,
            content,
            grants: &self.read_grants,
            profile: self.profile,
        };
        let Some(entry) = content.get(id) else {
            return J::Null;
        };
        let Some(doc) = entry.document(stage) else {
            return J::Null;
        };
        match reader.visible(entry, doc, stage, &[0]) {
            Some(l) => reader.render(entry, doc, stage, l, &[0], sel),
            None => J::Null,
        }
    }

    /// Knob `write_condition_miss = no_match`: the own action's conditions are AND-ed into
    /// matching, so an entry no such grant's condition holds on is not matched.
    fn condition_match(&self, content: &Content, entry: &Entry, action: Action) -> bool {
        let Some(doc) = entry.document(DRAFT_IDX) else {
            return false;
        };
        let ctx = EvalCtx {
            schema: self.schema,
            content,
            stage: DRAFT_IDX,
            locale: 0,
            null_logic: self.profile.null_logic,
        };
        self.grants.iter().any(|g| {
            g.enabled
                && g.action == action
                && g.model.is_none_or(|m| m == entry.model)
                && g.holds(&ctx, entry, doc)
        })
    }

    /// Runs one mutation field against `content`.
    fn run(
        &self,
        content: &Content,
        model: ModelIdx,
        id: Option<&str>,
        kind: &MutKind,
        sel: &[Item],
    ) -> FieldOutcome {
        let action = kind.action();
        // WRITE-0: a grant of the mutation's own action on the model at all.
        let any = self
            .grants
            .iter()
            .any(|g| g.enabled && g.action == action && g.model.is_none_or(|m| m == model));
        if !any {
            let stages: Vec<StageIdx> = match kind {
                MutKind::Publish(s) | MutKind::Unpublish(s) => s.clone(),
                _ => vec![DRAFT_IDX],
            };
            let set = stages
                .into_iter()
                .map(|stage| {
                    self.failed(&Req {
                        action,
                        model,
                        stage,
                        locale: 0,
                        doc: None,
                    })
                })
                .collect();
            return FieldOutcome::Denied(set, "WRITE-0");
        }
        // Matching (WRITE-6).
        let matched: Option<&Entry> = match id {
            None => None,
            Some(id) => match content.get(id).filter(|e| e.model == model) {
                Some(e) => Some(e),
                None => return FieldOutcome::NoMatch,
            },
        };
        if let Some(e) = matched {
            if self.profile.write_condition_miss == WriteConditionMiss::NoMatch
                && !self.condition_match(content, e, action)
            {
                return FieldOutcome::NoMatch;
            }
        }
        let mut new = content.clone();
        let mut errors: Vec<Invalid> = Vec::new();
        let mut reqs: Vec<Req> = Vec::new();
        let t = new.latest_timestamp.saturating_add(1);
        let read_dep = |stage: StageIdx| Req {
            action: Action::Read,
            model,
            stage,
            locale: 0,
            doc: None,
        };
        let result_id: String;
        match (kind, matched) {
            (MutKind::Create(plan), _) => {
                new.next_id += 1;
                let new_id = format!("cref{:021}", new.next_id);
                result_id = new_id.clone();
                errors.extend(plan.data_errors.iter().cloned());
                let doc = self.new_document(model, plan, t);
                let order = new.next_order;
                new.next_order += 1;
                let mut documents = vec![None; self.schema.stages.len()];
                if let Some(slot) = documents.get_mut(DRAFT_IDX) {
                    *slot = Some(doc);
                }
                new.entries.push(Entry {
                    id: new_id.clone(),
                    model,
                    order,
                    documents,
                });
                new.reindex();
                let ends = self.apply_relations(&mut new, model, &new_id, plan, &mut errors);
                let mut touched = vec![0];
                for (l, _) in &plan.loc_create {
                    if !touched.contains(l) {
                        touched.push(*l);
                    }
                }
                for l in self.touched(touched) {
                    reqs.push(Req::on(
                        Action::Create,
                        model,
                        DRAFT_IDX,
                        l,
                        Which::New,
                        &new_id,
                        DRAFT_IDX,
                    ));
                }
                reqs.push(read_dep(DRAFT_IDX));
                self.other_ends(&ends, content, &mut reqs);
            }
            (MutKind::Update(plan), Some(entry)) => {
                result_id = entry.id.clone();
                errors.extend(plan.data_errors.iter().cloned());
                self.update_document(&mut new, entry, plan, t, &mut errors);
                let ends = self.apply_relations(&mut new, model, &entry.id, plan, &mut errors);
                let mut touched = Vec::new();
                if plan.sets_top_level() {
                    touched.push(0);
                }
                for l in plan.named_locales() {
                    if !touched.contains(&l) {
                        touched.push(l);
                    }
                }
                if touched.is_empty() {
                    touched.push(0);
                }
                for l in self.touched(touched) {
                    reqs.push(Req::on(
                        Action::Update,
                        model,
                        DRAFT_IDX,
                        l,
                        Which::Old,
                        &entry.id,
                        DRAFT_IDX,
                    ));
                    if self.profile.update_condition_on_both {
                        reqs.push(Req::on(
                            Action::Update,
                            model,
                            DRAFT_IDX,
                            l,
                            Which::New,
                            &entry.id,
                            DRAFT_IDX,
                        ));
                    }
                }
                reqs.push(read_dep(DRAFT_IDX));
                self.other_ends(&ends, content, &mut reqs);
            }
            (MutKind::Delete, Some(entry)) => {
                result_id = entry.id.clone();
                let draft_locs = entry
                    .document(DRAFT_IDX)
                    .map(doc_locales)
                    .unwrap_or_default();
                for l in self.touched(draft_locs) {
                    reqs.push(Req::on(
                        Action::Delete,
                        model,
                        DRAFT_IDX,
                        l,
                        Which::Old,
                        &entry.id,
                        DRAFT_IDX,
                    ));
                }
                for (s, d) in entry.documents.iter().enumerate() {
                    let Some(d) = d else { continue };
                    reqs.push(read_dep(s));
                    if s != DRAFT_IDX {
                        for l in self.touched(doc_locales(d)) {
                            reqs.push(Req::on(
                                Action::Unpublish,
                                model,
                                s,
                                l,
                                Which::Old,
                                &entry.id,
                                s,
                            ));
                        }
                    }
                }
                new.entries.retain(|e| e.id != entry.id);
                new.reindex();
            }
            (MutKind::Publish(to), Some(entry)) => {
                result_id = entry.id.clone();
                let Some(draft) = entry.document(DRAFT_IDX) else {
                    return FieldOutcome::NoMatch;
                };
                for &s in to {
                    for l in self.touched(doc_locales(draft)) {
                        reqs.push(Req::on(
                            Action::Publish,
                            model,
                            s,
                            l,
                            Which::Old,
                            &entry.id,
                            DRAFT_IDX,
                        ));
                    }
                }
                reqs.push(read_dep(DRAFT_IDX));
                if let Some(e) = new
                    .by_id
                    .get(&entry.id)
                    .and_then(|&i| new.entries.get_mut(i))
                {
                    for &s in to {
                        let mut copy = draft.clone();
                        if !self.profile.publish_copies_all {
                            copy.localizations.retain(|l| l == 0);
                        }
                        copy.published_at = Some(t);
                        if let Some(slot) = e.documents.get_mut(s) {
                            *slot = Some(copy);
                        }
                    }
                }
            }
            (MutKind::Unpublish(from), Some(entry)) => {
                result_id = entry.id.clone();
                for &s in from {
                    let (doc_stage, d) = match entry.document(s) {
                        Some(d) => (s, d),
                        None => match entry.document(DRAFT_IDX) {
                            Some(d) => (DRAFT_IDX, d),
                            None => continue,
                        },
                    };
                    for l in self.touched(doc_locales(d)) {
                        reqs.push(Req::on(
                            Action::Unpublish,
                            model,
                            s,
                            l,
                            Which::Old,
                            &entry.id,
                            doc_stage,
                        ));
                    }
                }
                for (s, d) in entry.documents.iter().enumerate() {
                    if d.is_some() {
                        reqs.push(read_dep(s));
                    }
                }
                if let Some(e) = new
                    .by_id
                    .get(&entry.id)
                    .and_then(|&i| new.entries.get_mut(i))
                {
                    for &s in from {
                        if let Some(slot) = e.documents.get_mut(s) {
                            *slot = None;
                        }
                    }
                }
            }
            (_, None) => return FieldOutcome::NoMatch,
        }
        let unmet: BTreeSet<FailedAction> = reqs
            .iter()
            .filter(|r| !self.met(r, content, &new))
            .map(|r| self.failed(r))
            .collect();
        if !unmet.is_empty() {
            return FieldOutcome::Denied(unmet, kind.rule());
        }
        if let Some(e) = errors.into_iter().next() {
            return FieldOutcome::DataError(e);
        }
        new.latest_timestamp = t;
        let data = match kind {
            MutKind::Delete => self.readback(content, &result_id, sel, DRAFT_IDX),
            MutKind::Publish(to) if !self.profile.mutation_result_draft => {
                let first = to.first().copied().unwrap_or(PUBLISHED_IDX);
                self.readback(&new, &result_id, sel, first)
            }
            _ => self.readback(&new, &result_id, sel, DRAFT_IDX),
        };
        FieldOutcome::Done(Box::new(new), data)
    }

    fn touched(&self, locales: Vec<LocaleIdx>) -> Vec<LocaleIdx> {
        if self.profile.write_locales_touched {
            locales
        } else {
            vec![0]
        }
    }

    fn new_document(&self, model: ModelIdx, plan: &DataPlan, t: i64) -> Document {
        let nf = self
            .schema
            .models
            .get(model)
            .map(|m| m.fields.len())
            .unwrap_or(0);
        let mut doc = Document {
            values: vec![Value::Null; nf],
            links: vec![Vec::new(); nf],
            localizations: vec![(0, vec![Value::Null; nf])].into(),
            created_at: t,
            updated_at: t,
            published_at: None,
        };
        self.set_scalars(model, &mut doc, &plan.scalars);
        for (l, vals) in &plan.loc_create {
            let mut lv = vec![Value::Null; nf];
            for (fi, v) in vals {
                if let Some(slot) = lv.get_mut(*fi) {
                    *slot = v.clone();
                }
            }
            doc.localizations.insert(*l, lv);
        }
        doc
    }

    fn set_scalars(&self, model: ModelIdx, doc: &mut Document, vals: &Values) {
        let Some(m) = self.schema.models.get(model) else {
            return;
        };
        for (fi, v) in vals {
            let localized = m.fields.get(*fi).is_some_and(|f| f.localized);
            let slot = if localized {
                doc.localizations.get_mut(0).and_then(|lv| lv.get_mut(*fi))
            } else {
                doc.values.get_mut(*fi)
            };
            if let Some(s) = slot {
                *s = v.clone();
            }
        }
    }

    fn update_document(
        &self,
        new: &mut Content,
        entry: &Entry,
        plan: &DataPlan,
        t: i64,
        errors: &mut Vec<Invalid>,
    ) {
        let Some(m) = self.schema.models.get(entry.model) else {
            return;
        };
        let nf = m.fields.len();
        let Some(e) = new
            .by_id
            .get(&entry.id)
            .and_then(|&i| new.entries.get_mut(i))
        else {
            return;
        };
        let Some(doc) = e.documents.get_mut(DRAFT_IDX).and_then(Option::as_mut) else {
            return;
        };
        let null_required = |vals: &Values, errors: &mut Vec<Invalid>| {
            for (fi, v) in vals {
                if v.is_null() && m.fields.get(*fi).is_some_and(|f| f.required) {
                    errors.push(Invalid {
                        rule: "DATA-5",
                        message: format!(
                            "required field {:?} set to null",
                            m.fields.get(*fi).map(|f| f.api_id.as_str()).unwrap_or("")
                        ),
                    });
                }
            }
        };
        null_required(&plan.scalars, errors);
        self.set_scalars(entry.model, doc, &plan.scalars);
        let put = |doc: &mut Document, l: LocaleIdx, vals: &Values| {
            if let Some(lv) = doc.localizations.get_mut(l) {
                for (fi, v) in vals {
                    if let Some(s) = lv.get_mut(*fi) {
                        *s = v.clone();
                    }
                }
            }
        };
        let create = |doc: &mut Document, l: LocaleIdx, vals: &Values| {
            let mut lv = vec![Value::Null; nf];
            for (fi, v) in vals {
                if let Some(s) = lv.get_mut(*fi) {
                    *s = v.clone();
                }
            }
            doc.localizations.insert(l, lv);
        };
        let name = |l: LocaleIdx| self.schema.locales.get(l).cloned().unwrap_or_default();
        for (l, vals) in &plan.loc_create {
            if doc.has_locale(*l) {
                errors.push(Invalid {
                    rule: "WRITE-9",
                    message: format!("localization {:?} exists already", name(*l)),
                });
            } else {
                create(doc, *l, vals);
            }
        }
        for (l, vals) in &plan.loc_update {
            null_required(vals, errors);
            if doc.has_locale(*l) {
                put(doc, *l, vals);
            } else {
                errors.push(Invalid {
                    rule: "WRITE-9",
                    message: format!("localization {:?} does not exist", name(*l)),
                });
            }
        }
        for (l, c, u) in &plan.loc_upsert {
            if doc.has_locale(*l) {
                null_required(u, errors);
                put(doc, *l, u);
            } else {
                create(doc, *l, c);
            }
        }
        for l in &plan.loc_delete {
            if doc.has_locale(*l) && *l != 0 {
                doc.localizations.retain(|x| x != *l);
            } else {
                errors.push(Invalid {
                    rule: "WRITE-9",
                    message: format!("localization {:?} does not exist", name(*l)),
                });
            }
        }
        doc.updated_at = t;
    }

    /// Applies relation inputs; returns the (model, entry id) at the other end of every link
    /// made or removed through a two-way relation (or any, per the one-way knob).
    fn apply_relations(
        &self,
        new: &mut Content,
        model: ModelIdx,
        id: &str,
        plan: &DataPlan,
        errors: &mut Vec<Invalid>,
    ) -> Vec<(ModelIdx, String)> {
        let mut ends = Vec::new();
        let Some(m) = self.schema.models.get(model) else {
            return ends;
        };
        let data_err = |errors: &mut Vec<Invalid>, msg: String| {
            errors.push(Invalid {
                rule: "WRITE-10",
                message: msg,
            })
        };
        for (rf, op) in &plan.relations {
            match rf {
                RelField::Own(fi) => {
                    let Some(FieldKind::Relation {
                        target,
                        list,
                        reverse,
                    }) = m.fields.get(*fi).map(|f| &f.kind)
                    else {
                        continue;
                    };
                    let counts = reverse.is_some() || self.profile.one_way_connect_needs_update;
                    let exists =
                        |new: &Content, tid: &str| new.get(tid).is_some_and(|e| e.model == *target);
                    let mut current: Vec<Link> = new
                        .get(id)
                        .and_then(|e| e.document(DRAFT_IDX))
                        .and_then(|d| d.links.get(*fi))
                        .cloned()
                        .unwrap_or_default();
                    let mut made: Vec<String> = Vec::new();
                    let mut removed: Vec<String> = Vec::new();
                    let connect = |current: &mut Vec<Link>,
                                   new: &mut Content,
                                   ids: &[String],
                                   errors: &mut Vec<Invalid>,
                                   made: &mut Vec<String>,
                                   removed: &mut Vec<String>| {
                        for tid in ids {
                            if !exists(new, tid) {
                                data_err(errors, format!("{tid:?} names no entry to connect"));
                                continue;
                            }
                            if *list {
                                if current.iter().any(|l| &l.target == tid) {
                                    data_err(errors, format!("{tid:?} is linked already"));
                                    continue;
                                }
                            } else {
                                removed.extend(current.drain(..).map(|l| l.target));
                            }
                            let seq = new.next_link_seq;
                            new.next_link_seq += 1;
                            current.push(Link::hinted(tid.clone(), seq, new));
                            made.push(tid.clone());
                        }
                    };
                    match op {
                        RelOp::Connect(ids) => {
                            connect(&mut current, new, ids, errors, &mut made, &mut removed)
                        }
                        RelOp::Set(ids) => {
                            removed.extend(current.drain(..).map(|l| l.target));
                            connect(&mut current, new, ids, errors, &mut made, &mut removed);
                        }
                        RelOp::Disconnect(ids) => {
                            for tid in ids {
                                if let Some(p) = current.iter().position(|l| &l.target == tid) {
                                    current.remove(p);
                                    removed.push(tid.clone());
                                } else {
                                    data_err(errors, format!("{tid:?} is not linked"));
                                }
                            }
                        }
                        RelOp::DisconnectSingle(true) => {
                            removed.extend(current.drain(..).map(|l| l.target));
                        }
                        RelOp::DisconnectSingle(false) => {}
                    }
                    if let Some(d) = new
                        .by_id
                        .get(id)
                        .copied()
                        .and_then(|i| new.entries.get_mut(i))
                        .and_then(|e| e.documents.get_mut(DRAFT_IDX))
                        .and_then(Option::as_mut)
                    {
                        if let Some(slot) = d.links.get_mut(*fi) {
                            *slot = current;
                        }
                    }
                    if counts {
                        for tid in made.into_iter().chain(removed) {
                            ends.push((*target, tid));
                        }
                    }
                }
                RelField::Reverse(ri) => {
                    let Some(rev) = m.reverse.get(*ri) else {
                        continue;
                    };
                    let (owner, ofi) = (rev.owner, rev.owner_field);
                    let owner_single = matches!(
                        self.schema
                            .models
                            .get(owner)
                            .and_then(|om| om.fields.get(ofi))
                            .map(|f| &f.kind),
                        Some(FieldKind::Relation { list: false, .. })
                    );
                    let linked_owners: Vec<String> = new
                        .reverse_links(owner, ofi, id, DRAFT_IDX)
                        .into_iter()
                        .map(|(_, e, _)| e.id.clone())
                        .collect();
                    let unlink = |new: &mut Content, oid: &str| {
                        if let Some(d) = new
                            .by_id
                            .get(oid)
                            .copied()
                            .and_then(|i| new.entries.get_mut(i))
                            .and_then(|e| e.documents.get_mut(DRAFT_IDX))
                            .and_then(Option::as_mut)
                        {
                            if let Some(ls) = d.links.get_mut(ofi) {
                                ls.retain(|l| l.target != id);
                            }
                        }
                    };
                    let self_hint = new.hint_for(id);
                    let link = |new: &mut Content, oid: &str, errors: &mut Vec<Invalid>| -> bool {
                        let seq = new.next_link_seq;
                        let Some(d) = new
                            .by_id
                            .get(oid)
                            .copied()
                            .and_then(|i| new.entries.get_mut(i))
                            .filter(|e| e.model == owner)
                            .and_then(|e| e.documents.get_mut(DRAFT_IDX))
                            .and_then(Option::as_mut)
                        else {
                            data_err(errors, format!("{oid:?} names no entry to connect"));
                            return false;
                        };
                        let Some(ls) = d.links.get_mut(ofi) else {
                            return false;
                        };
                        if ls.iter().any(|l| l.target == id) {
                            data_err(errors, format!("{oid:?} is linked already"));
                            return false;
                        }
                        if owner_single && !ls.is_empty() {
                            data_err(
                                errors,
                                format!("{oid:?} already links another entry through its single relation"),
                            );
                            return false;
                        }
                        let mut l = Link::new(id.to_string(), seq);
                        l.hint = self_hint;
                        ls.push(l);
                        new.next_link_seq += 1;
                        true
                    };
                    match op {
                        RelOp::Connect(ids) => {
                            for oid in ids {
                                if link(new, oid, errors) {
                                    ends.push((owner, oid.clone()));
                                }
                            }
                        }
                        RelOp::Set(ids) => {
                            for oid in &linked_owners {
                                unlink(new, oid);
                                ends.push((owner, oid.clone()));
                            }
                            for oid in ids {
                                if link(new, oid, errors) {
                                    ends.push((owner, oid.clone()));
                                }
                            }
                        }
                        RelOp::Disconnect(ids) => {
                            for oid in ids {
                                if linked_owners.contains(oid) {
                                    unlink(new, oid);
                                    ends.push((owner, oid.clone()));
                                } else {
                                    data_err(errors, format!("{oid:?} is not linked"));
                                }
                            }
                        }
                        RelOp::DisconnectSingle(_) => {}
                    }
                }
            }
        }
        ends
    }

    /// UPDATE(R, DRAFT, default locale, r's stored DRAFT document) per other end (WRITE-10).
    fn other_ends(&self, ends: &[(ModelIdx, String)], old: &Content, reqs: &mut Vec<Req>) {
        for (m, id) in ends {
            if old.get(id).is_none() {
                continue;
            }
            reqs.push(Req::on(
                Action::Update,
                *m,
                DRAFT_IDX,
                0,
                Which::Old,
                id,
                DRAFT_IDX,
            ));
        }
    }
}

/// Runs a planned mutation operation (ERR-1 steps 6–7, WRITE-11) on `content`; on success
/// replaces it and returns the data.
pub fn execute(
    schema: &Schema,
    profile: &Profile,
    grants: &[&Grant],
    content: &mut Content,
    roots: &[MutRoot],
) -> Outcome {
    let writer = Writer {
        schema,
        profile,
        grants,
        read_grants: read::read_grants(grants.iter().copied()),
    };
    let mut work: Option<Box<Content>> = None;
    let mut failed: BTreeSet<FailedAction> = BTreeSet::new();
    let mut rule: Option<&'static str> = None;
    let mut data_error: Option<Invalid> = None;
    let mut data = Map::new();
    for r in roots {
        match r {
            MutRoot::Typename(k) => {
                data.insert(k.clone(), J::String("Mutation".into()));
            }
            MutRoot::Field {
                key,
                model,
                id,
                kind,
                sel,
            } => {
                let current: &Content = work.as_deref().unwrap_or(content);
                match writer.run(current, *model, id.as_deref(), kind, sel) {
                    FieldOutcome::Denied(set, r) => {
                        failed.extend(set);
                        rule.get_or_insert(r);
                    }
                    FieldOutcome::DataError(e) => {
                        data_error.get_or_insert(e);
                    }
                    FieldOutcome::NoMatch => {
                        data.insert(key.clone(), J::Null);
                    }
                    FieldOutcome::Done(new, value) => {
                        work = Some(new);
                        data.insert(key.clone(), value);
                    }
                }
            }
        }
    }
    if !failed.is_empty() {
        return Outcome::Denied {
            rule: rule.map(str::to_string),
            errors: vec![DeniedError {
                message: "Mutation failed due to permission errors".into(),
                path: None,
                failed_actions: Some(failed.into_iter().collect()),
            }],
        };
    }
    if let Some(e) = data_error {
        return Outcome::invalid(e.rule, e.message);
    }
    if let Some(w) = work {
        *content = *w;
    }
    Outcome::Ok {
        data: J::Object(data),
    }
}
