//! Mutations of the sandbox (spec §7): `create/update/delete/publish/unpublish<Model>` executed
//! in one SQLite transaction per request, with WRITE-0's model-level check, matching
//! (WRITE-6), the requirements of §7's table checked against the principal's grants with
//! their conditions compiled into SQL, the data checks of ERR-1 step 7, batches (WRITE-11),
//! atomicity (WRITE-8) and the read-back of results (WRITE-7).
//!
//! # How a request runs
//!
//! 1. Every root field is planned (`plan`): the checks of ERR-1 step 5 the validator leaves
//!    to the executor (`to` / `from`, explicit nulls in relation and localization inputs,
//!    required create fields) answer a 400 before any permission is looked at.
//! 2. The principal's acting grants are fetched once (`require::Grants`).
//! 3. One transaction; each field in document order runs inside its own savepoint on the
//!    state the previous fields left (the working copy of WRITE-11):
//!    - WRITE-0: no grant of the field's own action covers the model at all → denied with
//!      exactly its own action's triples;
//!    - WRITE-6: `where` matches no entry of the model → `null`;
//!    - the requirements on **stored** documents (the update's stored document, the other
//!      ends of two-way links, everything of delete, publish and unpublish) are judged before
//!      the write, those on the **new or updated** document (create, update) after it, by
//!      querying the written rows (`require`);
//!    - the write itself (`apply`), with the data checks that need the stored state;
//!    - a denied field or one failing a data check is rolled back to its savepoint; a
//!      successful one is read back right away ([`read_back`]; a delete before it deletes).
//! 4. Any denied field → 403 with the union of failed actions; else any failed data check →
//!    400; both roll the whole transaction back. Otherwise the transaction commits.
//!
//! Ids, creation order, link sequence numbers and timestamps come from `clock`.
//!
//! The knobs this follows are those of the default profile: `write_locales` touched,
//! `update_condition_on` both, `dependency_conditions` off, `write_condition_miss` a 403,
//! `one_way_connect_needs_update` off, `publish_copies` all, `mutation_result_stage` DRAFT,
//! `mutation_batch` atomic, `no_match_result` null.
//!
//! # Faults (area `Writes`)
//!
//! Each lives at the one place the bug would: `update-condition-stored-only` (the updated
//! document's UPDATE requirement is not checked), `create-skips-default-locale` (create's
//! touched locales and READ dependency leave out the default locale), `delete-skips-unpublish`
//! (delete lists no UNPUBLISH requirement), `publish-ignores-to-stages` (PUBLISH coverage skips
//! `toStages`, in `require`), `connect-skips-related-update` (the other ends of two-way links
//! are not checked), `half-applied-mutation` (a batch with a denied field keeps the fields
//! before it).

mod apply;
mod clock;
mod plan;
mod require;

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

use crate::model::grant::Action;
use crate::model::project::{ModelIdx, Schema, DRAFT};
use crate::op::FailedAction;
use crate::sandbox::faults::Fault;
use crate::sandbox::principals::{Principal, PrincipalError};
use crate::sandbox::read::{read_back, validate_selection, ReadError};
use crate::sandbox::schema::{OperationKind, Validated};
use crate::sandbox::sql::CompileError;
use crate::sandbox::store::{EnvKey, Store, StoreError};

use plan::{FieldPlan, RootPlan, Verb};
use require::{DocRef, Grants, Req};

/// Why a mutation could not be answered with `data`.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A 403 `Mutation failed due to permission errors` with every failed (action, model,
    /// stage), sorted and distinct (§7, WRITE-0, WRITE-11).
    #[error("mutation failed due to permission errors: {failed_actions:?}")]
    Denied {
        /// The failed actions.
        failed_actions: Vec<FailedAction>,
    },
    /// A 400 (ERR-1 step 5 checks left to the executor, or step 7's data checks).
    #[error("invalid mutation: {0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading principals or grants failed.
    #[error(transparent)]
    Principals(#[from] PrincipalError),
    /// Reading a result back failed.
    #[error("reading the mutation result back failed: {0}")]
    Read(#[from] ReadError),
    /// A grant condition did not compile into SQL.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// Stored data the executor relies on is inconsistent (a bug, or a database edited by
    /// hand).
    #[error("inconsistent store: {0}")]
    Corrupt(String),
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// What one request's fields share: where they run and with which grants.
struct Cx<'a> {
    store: &'a Store,
    env: EnvKey,
    schema: &'a Schema,
    principal: &'a Principal,
    grants: &'a Grants,
}

/// An entry at the other end of a two-way link (its model and id), with whether the UPDATE
/// requirement on its stored DRAFT document is met.
type JudgedEnd = ((ModelIdx, String), bool);

/// What became of one mutation field.
enum FieldOutcome {
    /// Denied: its unmet (action, model, stage) triples.
    Denied(BTreeSet<FailedAction>),
    /// A data check failed (ERR-1 step 7).
    Failed(String),
    /// Written (or matched nothing): its result.
    Done(Json),
}

/// The savepoint of one field.
const FIELD_SAVEPOINT: &str = "\"tollgate_write_field\"";
/// The savepoint fault `half-applied-mutation` keeps the batch up to.
const KEPT_SAVEPOINT: &str = "\"tollgate_write_kept\"";

/// Executes a validated mutation for `principal` in environment `env` and returns its `data`.
/// A denied or failed mutation changes nothing (WRITE-8).
pub fn execute_mutation(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    validated: &Validated,
) -> Result<Json, WriteError> {
    if validated.kind != OperationKind::Mutation {
        return Err(WriteError::Invalid(
            "the operation is a query, not a mutation".into(),
        ));
    }
    let schema = &store.env(env)?.schema;
    // ERR-1 step 5 for every field before any permission check.
    let mut roots = Vec::with_capacity(validated.fields.len());
    for f in &validated.fields {
        let root = plan::root(schema, f).map_err(WriteError::Invalid)?;
        if let RootPlan::Field(p) = &root {
            // The result selection's own step-5 checks (relation `where`, paging, locales).
            let model = schema
                .models
                .get(p.model)
                .ok_or_else(|| WriteError::Corrupt(format!("model #{}", p.model)))?;
            match validate_selection(store, env, &model.api_id, &f.selection) {
                Ok(()) => {}
                Err(ReadError::Invalid(m)) => return Err(WriteError::Invalid(m)),
                Err(e) => return Err(e.into()),
            }
        }
        roots.push(root);
    }
    let grants = Grants::fetch(store, env, principal, schema)?;
    let cx = Cx {
        store,
        env,
        schema,
        principal,
        grants: &grants,
    };
    let conn = store.conn();
    let tx = conn.unchecked_transaction()?;
    clock::ensure(conn, env, schema)?;
    let mut failed: BTreeSet<FailedAction> = BTreeSet::new();
    let mut invalid: Option<String> = None;
    let mut kept = false;
    let mut data = Map::new();
    for root in &roots {
        match root {
            RootPlan::Typename(key) => {
                data.insert(key.clone(), Json::String("Mutation".into()));
            }
            RootPlan::Field(f) => match cx.field(f)? {
                FieldOutcome::Denied(set) => {
                    if failed.is_empty() && store.has_fault(Fault::HalfAppliedMutation) {
                        conn.execute_batch(&format!("SAVEPOINT {KEPT_SAVEPOINT}"))?;
                        kept = true;
                    }
                    failed.extend(set);
                }
                FieldOutcome::Failed(message) => {
                    invalid.get_or_insert(message);
                }
                FieldOutcome::Done(value) => {
                    data.insert(f.key.clone(), value);
                }
            },
        }
    }
    if !failed.is_empty() {
        if kept {
            // Fault half-applied-mutation (WRITE-8): what the fields before the first denied
            // one wrote is committed.
            conn.execute_batch(&format!(
                "ROLLBACK TO {KEPT_SAVEPOINT}; RELEASE {KEPT_SAVEPOINT}"
            ))?;
            tx.commit()?;
        }
        return Err(WriteError::Denied {
            failed_actions: failed.into_iter().collect(),
        });
    }
    if let Some(message) = invalid {
        return Err(WriteError::Invalid(message));
    }
    tx.commit()?;
    Ok(Json::Object(data))
}

impl Cx<'_> {
    /// Runs one mutation field inside its savepoint, rolled back unless it succeeds.
    fn field(&self, f: &FieldPlan<'_>) -> Result<FieldOutcome, WriteError> {
        let action = f.verb.action();
        let model = self
            .schema
            .models
            .get(f.model)
            .ok_or_else(|| WriteError::Corrupt(format!("no model #{}", f.model)))?;
        // WRITE-0: the model-level check, with exactly the field's own action's triples.
        if !self.grants.any_for_model(action, &model.api_id) {
            let stages = match f.verb {
                Verb::Publish | Verb::Unpublish => f.stages.clone(),
                Verb::Create | Verb::Update | Verb::Delete => vec![DRAFT.to_string()],
            };
            return Ok(FieldOutcome::Denied(
                stages
                    .iter()
                    .map(|s| self.failed(action, f.model, s))
                    .collect(),
            ));
        }
        // WRITE-6: no entry of the model matches.
        if let Some(id) = &f.id {
            if !self.has_draft(f.model, id)? {
                return Ok(FieldOutcome::Done(Json::Null));
            }
        }
        let conn = self.store.conn();
        conn.execute_batch(&format!("SAVEPOINT {FIELD_SAVEPOINT}"))?;
        let out = self.checked(f);
        let end = if matches!(out, Ok(FieldOutcome::Done(_))) {
            format!("RELEASE {FIELD_SAVEPOINT}")
        } else {
            format!("ROLLBACK TO {FIELD_SAVEPOINT}; RELEASE {FIELD_SAVEPOINT}")
        };
        let ended = conn.execute_batch(&end);
        let out = out?;
        ended?;
        Ok(out)
    }

    /// Adds the triple of every unmet requirement of `reqs` to `unmet`.
    fn check(&self, reqs: &[Req], unmet: &mut BTreeSet<FailedAction>) -> Result<(), WriteError> {
        for r in reqs {
            if !self.met(r)? {
                unmet.insert(self.failed(r.action, r.model, &r.stage));
            }
        }
        Ok(())
    }

    /// UPDATE(R, DRAFT, default locale, r's stored DRAFT document) for every entry that may
    /// end up at the other end of a two-way link the field makes or removes (WRITE-10),
    /// judged before the write.
    fn ends_met(
        &self,
        m: ModelIdx,
        id: Option<&str>,
        data: &plan::DataPlan,
    ) -> Result<Vec<JudgedEnd>, WriteError> {
        let mut out = Vec::new();
        for (om, oid) in self.candidates(m, id, data)? {
            let ok = self.met(&Req::on(Action::Update, om, DRAFT, 0, DocRef::draft(&oid)))?;
            out.push(((om, oid), ok));
        }
        Ok(out)
    }

    /// Adds an `update` triple for each other end of a two-way link made or removed whose
    /// UPDATE requirement is unmet. Every existing end is among the judged candidates; an end
    /// that is not is a dangling link's, which needs nothing. Fault
    /// `connect-skips-related-update` (WRITE-10) checks none.
    fn check_ends(
        &self,
        ends: &[(ModelIdx, String)],
        judged: &[JudgedEnd],
        unmet: &mut BTreeSet<FailedAction>,
    ) {
        if self.store.has_fault(Fault::ConnectSkipsRelatedUpdate) {
            return;
        }
        for end in ends {
            if judged.iter().any(|(k, ok)| k == end && !ok) {
                unmet.insert(self.failed(Action::Update, end.0, DRAFT));
            }
        }
    }

    /// The field's requirements, write and result (inside its savepoint).
    fn checked(&self, f: &FieldPlan<'_>) -> Result<FieldOutcome, WriteError> {
        let conn = self.store.conn();
        let m = f.model;
        let t = clock::timestamp(conn, self.env)?;
        let mut unmet = BTreeSet::new();
        let (id, errors) = match (f.verb, f.id.as_deref()) {
            (Verb::Create, _) => {
                let judged = self.ends_met(m, None, &f.data)?;
                let applied = self.create(m, &f.data, t)?;
                let skip_default = self.store.has_fault(Fault::CreateSkipsDefaultLocale);
                let mut reqs: Vec<Req> = f
                    .data
                    .create_locales(!skip_default)
                    .into_iter()
                    .map(|l| Req::on(Action::Create, m, DRAFT, l, DocRef::draft(&applied.id)))
                    .collect();
                if !skip_default {
                    reqs.push(Req::read(m, DRAFT));
                }
                self.check(&reqs, &mut unmet)?;
                self.check_ends(&applied.ends, &judged, &mut unmet);
                (applied.id, applied.errors)
            }
            (Verb::Update, Some(id)) => {
                let judged = self.ends_met(m, Some(id), &f.data)?;
                let touched = f.data.update_locales();
                let mut stored: Vec<Req> = touched
                    .iter()
                    .map(|l| Req::on(Action::Update, m, DRAFT, *l, DocRef::draft(id)))
                    .collect();
                stored.push(Req::read(m, DRAFT));
                self.check(&stored, &mut unmet)?;
                let applied = self.update(m, id, &f.data, t)?;
                if !self.store.has_fault(Fault::UpdateConditionStoredOnly) {
                    let updated = DocRef {
                        nulled: applied.nulled.clone(),
                        ..DocRef::draft(id)
                    };
                    let reqs: Vec<Req> = touched
                        .iter()
                        .map(|l| Req::on(Action::Update, m, DRAFT, *l, updated.clone()))
                        .collect();
                    self.check(&reqs, &mut unmet)?;
                }
                self.check_ends(&applied.ends, &judged, &mut unmet);
                (applied.id, applied.errors)
            }
            (Verb::Delete, Some(id)) => {
                let mut reqs: Vec<Req> = self
                    .locales_of(m, id, DRAFT)?
                    .into_iter()
                    .map(|l| Req::on(Action::Delete, m, DRAFT, l, DocRef::draft(id)))
                    .collect();
                for s in self.stages_of(m, id)? {
                    reqs.push(Req::read(m, &s));
                    if s != DRAFT && !self.store.has_fault(Fault::DeleteSkipsUnpublish) {
                        for l in self.locales_of(m, id, &s)? {
                            reqs.push(Req::on(Action::Unpublish, m, &s, l, DocRef::at(id, &s)));
                        }
                    }
                }
                self.check(&reqs, &mut unmet)?;
                if !unmet.is_empty() {
                    return Ok(FieldOutcome::Denied(unmet));
                }
                // WRITE-7: a delete returns the document as it was before.
                let model = self.model_name(m);
                let result = read_back(
                    self.store,
                    self.env,
                    self.principal,
                    &model,
                    id,
                    f.selection,
                )?;
                self.delete(m, id)?;
                return Ok(FieldOutcome::Done(result));
            }
            (Verb::Publish, Some(id)) => {
                let locales = self.locales_of(m, id, DRAFT)?;
                let mut reqs = Vec::new();
                for s in &f.stages {
                    for l in &locales {
                        reqs.push(Req::on(Action::Publish, m, s, *l, DocRef::draft(id)));
                    }
                }
                reqs.push(Req::read(m, DRAFT));
                self.check(&reqs, &mut unmet)?;
                if unmet.is_empty() {
                    self.publish(m, id, &f.stages, t)?;
                }
                (id.to_string(), Vec::new())
            }
            (Verb::Unpublish, Some(id)) => {
                let present = self.stages_of(m, id)?;
                let mut reqs = Vec::new();
                for s in &f.stages {
                    // A from-stage without a document: the same grants, on the DRAFT document.
                    let at = if present.contains(s) {
                        s.as_str()
                    } else {
                        DRAFT
                    };
                    for l in self.locales_of(m, id, at)? {
                        reqs.push(Req::on(Action::Unpublish, m, s, l, DocRef::at(id, at)));
                    }
                }
                for s in &present {
                    reqs.push(Req::read(m, s));
                }
                self.check(&reqs, &mut unmet)?;
                if unmet.is_empty() {
                    self.unpublish(m, id, &f.stages)?;
                }
                (id.to_string(), Vec::new())
            }
            (_, None) => {
                return Err(WriteError::Corrupt(format!(
                    "{}: a mutation without where.id",
                    f.key
                )))
            }
        };
        if !unmet.is_empty() {
            return Ok(FieldOutcome::Denied(unmet));
        }
        if let Some(first) = errors.into_iter().next() {
            return Ok(FieldOutcome::Failed(first));
        }
        // WRITE-7: read back right after the field's own write.
        let model = self.model_name(m);
        let result = read_back(
            self.store,
            self.env,
            self.principal,
            &model,
            &id,
            f.selection,
        )?;
        Ok(FieldOutcome::Done(result))
    }

    fn model_name(&self, m: ModelIdx) -> String {
        self.schema
            .models
            .get(m)
            .map(|x| x.api_id.clone())
            .unwrap_or_default()
    }
}
