//! The differential harness of the sandbox's writes: one case loaded side by side into the
//! reference (`model::State`) and the sandbox (`Store`, with its principals), the same
//! operations run through both, outcomes normalized by `tollgate::normalize` (run-created ids
//! paired by creation order, DATA-2; run-set timestamps ranked, DATA-3) and compared by
//! `tollgate::compare`, and whole-environment dumps compared after any step.
//!
//! Operation texts may name entries created during the run as `{{k}}`: the k-th created entry
//! (0-based, creation order), each side getting its own id.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};

use serde_json::Value as J;
use tollgate::compare::{compare, kind, Mode, Verdict};
use tollgate::model::grant::Action;
use tollgate::model::grant::GrantSpec;
use tollgate::model::profile::Profile;
use tollgate::model::project::FieldKind;
use tollgate::model::spec::{EnvSpec, PatSpec};
use tollgate::model::{apply, State};
use tollgate::normalize::Normalizer;
use tollgate::op::graphql::decode;
use tollgate::op::{
    Credential, DeniedError, Manage, Operation, OperationType, Outcome, Request, Target,
};
use tollgate::sandbox::faults::Faults;
use tollgate::sandbox::principals::{
    create_grant, create_pat, delete_grant, delete_pat, load_principals, set_default_stage,
    set_grant_enabled, Principal,
};
use tollgate::sandbox::read::{execute_query, ReadError};
use tollgate::sandbox::schema::{ContentSchema, OperationKind};
use tollgate::sandbox::store::{EnvKey, Store};
use tollgate::sandbox::write::{execute_mutation, WriteError};

/// The PAT the harness adds to every case to read everything back.
pub const ALL: &str = "__all";

/// Links per `"Model.field STAGE"`: (owner, target) in link order.
type Links = BTreeMap<String, Vec<(String, String)>>;

/// One case, on both sides.
pub struct Pair {
    /// The reference.
    pub state: State,
    /// The sandbox.
    pub store: Store,
    /// The sandbox environment.
    pub env: EnvKey,
    /// The sandbox's Content API schema.
    pub schema: ContentSchema,
    /// PAT name → sandbox PAT id.
    pats: BTreeMap<String, String>,
    /// Normalizes outcomes (ids paired, timestamps ranked).
    pub norm: Normalizer,
    /// Ids of loaded entries (the same on both sides).
    loaded: HashSet<String>,
    /// Run-created entries in creation order: (reference id, sandbox id).
    pub created: Vec<(String, String)>,
}

/// One operation's outcomes, normalized.
#[derive(Debug, Clone)]
pub struct Step {
    /// The operation text (placeholders unexpanded).
    pub query: String,
    /// The reference's outcome.
    pub reference: Outcome,
    /// The sandbox's outcome.
    pub sandbox: Outcome,
    /// Whether they agree by the comparison policy.
    pub verdict: Verdict,
}

impl Step {
    /// Whether the two sides agree.
    pub fn agrees(&self) -> bool {
        self.verdict.is_agree()
    }

    /// The reference outcome's kind (`ok`, `denied`, `invalid`, …).
    pub fn kind(&self) -> &'static str {
        kind(&self.reference)
    }
}

fn pat_spec(name: &str, grants: Vec<GrantSpec>) -> PatSpec {
    serde_json::from_value(serde_json::json!({"name": name}))
        .map(|mut p: PatSpec| {
            p.grants = grants;
            p
        })
        .expect("a PAT spec")
}

impl Pair {
    /// Loads the case `yaml` (an `EnvSpec`) on both sides, the sandbox with `faults`.
    pub fn new(yaml: &str, faults: Faults) -> Pair {
        Pair::from_spec(
            serde_yaml_ng::from_str(yaml).expect("the case parses"),
            faults,
        )
    }

    /// Loads `spec` on both sides, the sandbox with `faults`.
    pub fn from_spec(mut spec: EnvSpec, faults: Faults) -> Pair {
        spec.pats
            .push(pat_spec(ALL, vec![GrantSpec::all(Action::Read)]));
        let state = State::load("p", std::slice::from_ref(&spec), Profile::default())
            .expect("reference load");
        let mut store = Store::in_memory().expect("a store");
        let env = store.load("p", &spec).expect("sandbox load");
        store.set_faults(faults);
        let pats = load_principals(&store, env, &spec)
            .expect("sandbox principals")
            .into_iter()
            .map(|p| (p.name, p.id))
            .collect();
        let schema =
            ContentSchema::new(&store.env(env).expect("the env").schema).expect("a schema");
        let latest = state.environments[0].content.latest_timestamp;
        let loaded = spec.entries.iter().map(|e| e.id.clone()).collect();
        Pair {
            state,
            store,
            env,
            schema,
            pats,
            norm: Normalizer::new(10, latest),
            loaded,
            created: Vec::new(),
        }
    }

    fn expand(&self, query: &str, reference: bool) -> String {
        let mut q = query.to_string();
        for (i, (r, s)) in self.created.iter().enumerate() {
            q = q.replace(&format!("{{{{{i}}}}}"), if reference { r } else { s });
        }
        q
    }

    fn reference(&mut self, who: Option<&str>, query: &str) -> (Outcome, Request) {
        let q = self.expand(query, true);
        let request = match decode(&q, None, None) {
            Ok(d) => Request {
                credential: match who {
                    Some(who) => Credential::Token {
                        pat: who.to_string(),
                        form: Default::default(),
                        scheme: "Bearer".into(),
                    },
                    None => Credential::Public,
                },
                operation: d.operation,
                fields: d.fields,
                ..Request::default()
            },
            Err(e) => {
                return (
                    Outcome::invalid("ERR-3", e),
                    Request {
                        operation: OperationType::Query,
                        ..Request::default()
                    },
                )
            }
        };
        let o = apply(&mut self.state, &Operation::Request(request.clone()));
        (o, request)
    }

    fn principal(&self, who: Option<&str>) -> Principal {
        match who {
            Some(who) => Principal::Pat(self.pats.get(who).cloned().unwrap_or_default()),
            None => Principal::Public,
        }
    }

    /// The sandbox's outcome; `Err` when the sandbox does not execute the request yet
    /// (`Unsupported`: relation fields in a selection, until the read helper's support lands).
    fn sandbox(&self, who: Option<&str>, query: &str) -> Result<Outcome, String> {
        let q = self.expand(query, false);
        let principal = self.principal(who);
        let v = match self.schema.validate(&q, None, None) {
            Ok(v) => v,
            Err(e) => {
                return Ok(Outcome::Invalid {
                    rule: None,
                    message: e.join("; "),
                })
            }
        };
        Ok(match v.kind {
            OperationKind::Query => {
                match execute_query(&self.store, self.env, &principal, &v, None, None) {
                    Ok(data) => Outcome::Ok { data },
                    Err(ReadError::Denied { paths }) => Outcome::Denied {
                        rule: None,
                        errors: paths
                            .into_iter()
                            .map(|p| DeniedError {
                                message: "not allowed".into(),
                                path: Some(p),
                                failed_actions: None,
                            })
                            .collect(),
                    },
                    Err(ReadError::Invalid(m)) => Outcome::Invalid {
                        rule: None,
                        message: m,
                    },
                    Err(ReadError::Unsupported(what)) => return Err(what),
                    Err(e) => panic!("the sandbox failed on {q}: {e}"),
                }
            }
            OperationKind::Mutation => {
                match execute_mutation(&self.store, self.env, &principal, &v) {
                    Ok(data) => Outcome::Ok { data },
                    Err(WriteError::Denied { failed_actions }) => Outcome::Denied {
                        rule: None,
                        errors: vec![DeniedError {
                            message: "Mutation failed due to permission errors".into(),
                            path: None,
                            failed_actions: Some(failed_actions),
                        }],
                    },
                    Err(WriteError::Invalid(m)) => Outcome::Invalid {
                        rule: None,
                        message: m,
                    },
                    Err(WriteError::Read(ReadError::Unsupported(what))) => return Err(what),
                    Err(e) => panic!("the sandbox failed on {q}: {e}"),
                }
            }
        })
    }

    /// The reference's entry ids in creation order.
    fn reference_ids(&self) -> Vec<String> {
        let mut e: Vec<_> = self.state.environments[0].content.entries.iter().collect();
        e.sort_by_key(|e| e.order);
        e.into_iter().map(|e| e.id.clone()).collect()
    }

    /// The sandbox's entry ids in creation order.
    fn sandbox_ids(&self) -> Vec<String> {
        let sql = format!(
            "SELECT entry_id FROM {} ORDER BY creation_order",
            self.env.entries_table()
        );
        self.store.query_ids(&sql, &[]).expect("entry ids")
    }

    /// Pairs the entries each side created since the last call, by creation order (DATA-2).
    fn pair_new(&mut self) -> Result<(), String> {
        let known_r: HashSet<String> = self.created.iter().map(|(r, _)| r.clone()).collect();
        let known_s: HashSet<String> = self.created.iter().map(|(_, s)| s.clone()).collect();
        let new_r: Vec<String> = self
            .reference_ids()
            .into_iter()
            .filter(|i| !self.loaded.contains(i) && !known_r.contains(i))
            .collect();
        let new_s: Vec<String> = self
            .sandbox_ids()
            .into_iter()
            .filter(|i| !self.loaded.contains(i) && !known_s.contains(i))
            .collect();
        if new_r.len() != new_s.len() {
            return Err(format!(
                "the reference created {new_r:?}, the sandbox {new_s:?}"
            ));
        }
        for (r, s) in new_r.into_iter().zip(new_s) {
            self.norm.pair_id(&r, &s);
            self.created.push((r, s));
        }
        Ok(())
    }

    /// Runs `query` as PAT `who` on both sides and compares the outcomes.
    pub fn step(&mut self, who: &str, query: &str) -> Step {
        self.run(Some(who), query)
    }

    /// Runs `query` as PAT `who` (`None`: the public principal) on both sides and compares
    /// the outcomes. A request the sandbox does not execute yet gives an `Unknown` verdict.
    pub fn run(&mut self, who: Option<&str>, query: &str) -> Step {
        let (r, request) = self.reference(who, query);
        let s = self.sandbox(who, query);
        // An unsupported request was rolled back on the sandbox side: nothing to pair.
        let paired = if s.is_ok() { self.pair_new() } else { Ok(()) };
        let reference = self.norm.outcome(&request, &r, false);
        let (sandbox, mut verdict) = match s {
            Ok(s) => {
                let s = self.norm.outcome(&request, &s, true);
                let v = compare(&reference, &s, Mode::Target);
                (s, v)
            }
            Err(what) => (
                Outcome::Indeterminate {
                    reason: format!("unsupported: {what}"),
                },
                Verdict::Unknown {
                    reason: format!("the sandbox does not execute {what} yet"),
                },
            ),
        };
        if let Err(e) = paired {
            verdict = Verdict::Differ {
                differences: vec![tollgate::compare::Difference {
                    path: "created entries".into(),
                    expected: J::Null,
                    observed: J::String(e),
                }],
            };
        }
        Step {
            query: query.to_string(),
            reference,
            sandbox,
            verdict,
        }
    }

    /// The request `query` decodes to on the reference side (for normalizing other outcomes
    /// of the same operation, e.g. a scenario's expectation).
    pub fn request(&self, query: &str) -> Request {
        let q = self.expand(query, true);
        decode(&q, None, None)
            .map(|d| Request {
                operation: d.operation,
                fields: d.fields,
                ..Request::default()
            })
            .unwrap_or_default()
    }

    /// A provisioning call (§9) on both sides, compared by outcome kind.
    pub fn manage(&mut self, m: &Manage) -> Step {
        let reference = apply(&mut self.state, &Operation::Manage(m.clone()));
        let env = self.env;
        let target = |t: &Target, pats: &BTreeMap<String, String>| match t {
            Target::Public => Principal::Public,
            Target::Pat(name) => Principal::Pat(pats.get(name).cloned().unwrap_or_default()),
        };
        let done: Result<(), String> = match m {
            Manage::CreateGrant {
                target: t, grant, ..
            } => create_grant(&self.store, env, &target(t, &self.pats), grant)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Manage::SetGrantEnabled { id, enabled, .. } => {
                set_grant_enabled(&self.store, env, id, *enabled).map_err(|e| e.to_string())
            }
            Manage::DeleteGrant { id, .. } => {
                delete_grant(&self.store, env, id).map_err(|e| e.to_string())
            }
            Manage::CreatePat {
                name,
                default_stage,
                ..
            } => create_pat(&self.store, env, name, default_stage.as_deref())
                .map(|p| {
                    self.pats.insert(name.clone(), p.id);
                })
                .map_err(|e| e.to_string()),
            Manage::DeletePat { name, .. } => {
                let id = self.pats.get(name).cloned().unwrap_or_default();
                delete_pat(&self.store, env, &id).map_err(|e| e.to_string())
            }
            Manage::SetDefaultStage {
                target: t, stage, ..
            } => set_default_stage(&self.store, env, &target(t, &self.pats), stage)
                .map_err(|e| e.to_string()),
        };
        let sandbox = match done {
            Ok(()) => Outcome::Provisioned,
            Err(message) => Outcome::Refused {
                rule: None,
                message,
            },
        };
        let verdict = compare(&reference, &sandbox, Mode::Target);
        Step {
            query: format!("{m:?}"),
            reference,
            sandbox,
            verdict,
        }
    }

    /// A query reading every document of every model in every stage and locale, with every
    /// scalar and system field, as one request (so run timestamps are ranked together).
    fn dump_query(&self) -> String {
        let schema = &self.state.environments[0].schema;
        let mut q = String::from("{ ");
        for (mi, m) in schema.models.iter().enumerate() {
            let mut fields = String::from("id locale createdAt updatedAt publishedAt");
            for f in &m.fields {
                if let FieldKind::Scalar(_) = f.kind {
                    fields.push(' ');
                    fields.push_str(&f.api_id);
                }
            }
            for stage in &schema.stages {
                for locale in &schema.locales {
                    q.push_str(&format!(
                        "m{mi}_{stage}_{locale}: {}(stage: {stage}, locales: [{locale}], first: 100) {{ {fields} }} ",
                        m.plural
                    ));
                }
            }
        }
        q.push('}');
        q
    }

    /// Links of both sides per (model, field, stage), each a list of (owner, target) in link
    /// order, sandbox ids mapped to the reference's.
    fn links(&self) -> (Links, Links) {
        let env = &self.state.environments[0];
        let schema = &env.schema;
        let mut reference: BTreeMap<String, Vec<(u64, String, String)>> = BTreeMap::new();
        for e in &env.content.entries {
            let Some(m) = schema.models.get(e.model) else {
                continue;
            };
            for (si, d) in e.documents.iter().enumerate() {
                let Some(d) = d else { continue };
                for (fi, links) in d.links.iter().enumerate() {
                    let Some(f) = m.fields.get(fi) else { continue };
                    let key = format!("{}.{} {}", m.api_id, f.api_id, schema.stages[si]);
                    for l in links {
                        reference.entry(key.clone()).or_default().push((
                            l.seq,
                            e.id.clone(),
                            l.target.clone(),
                        ));
                    }
                }
            }
        }
        let reference = reference
            .into_iter()
            .map(|(k, mut v)| {
                v.sort();
                (k, v.into_iter().map(|(_, o, t)| (o, t)).collect())
            })
            .collect();
        let map = |id: String| self.norm.paired(&id).map_or(id.clone(), str::to_string);
        let mut sandbox = BTreeMap::new();
        for m in &schema.models {
            for f in &m.fields {
                if !matches!(f.kind, FieldKind::Relation { .. }) {
                    continue;
                }
                let table = self.env.link_table(&m.api_id, &f.api_id);
                let conn = self.store.conn();
                let mut st = conn
                    .prepare(&format!(
                        "SELECT stage, owner_id, target_id FROM {table} ORDER BY seq"
                    ))
                    .expect("a link query");
                let rows = st
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    })
                    .expect("links");
                for row in rows {
                    let (stage, owner, target) = row.expect("a link");
                    sandbox
                        .entry(format!("{}.{} {stage}", m.api_id, f.api_id))
                        .or_insert_with(Vec::new)
                        .push((map(owner), map(target)));
                }
            }
        }
        (reference, sandbox)
    }

    /// Compares the whole environment of both sides: every document (values, localizations,
    /// timestamps ranked together), the links in order and the entries in creation order.
    /// `Err` describes the first difference.
    pub fn dumps_agree(&mut self) -> Result<(), String> {
        let q = self.dump_query();
        let step = self.step(ALL, &q);
        if !step.agrees() || step.kind() != "ok" {
            return Err(format!(
                "documents differ: {:?}\n reference: {}\n sandbox:   {}",
                step.verdict,
                serde_json::to_string(&step.reference).unwrap_or_default(),
                serde_json::to_string(&step.sandbox).unwrap_or_default()
            ));
        }
        let (r, s) = self.links();
        if r != s {
            return Err(format!(
                "links differ:\n reference: {r:?}\n sandbox:   {s:?}"
            ));
        }
        let map = |id: String| self.norm.paired(&id).map_or(id.clone(), str::to_string);
        let sr: Vec<String> = self.sandbox_ids().into_iter().map(map).collect();
        let rr = self.reference_ids();
        if rr != sr {
            return Err(format!("entries differ: reference {rr:?}, sandbox {sr:?}"));
        }
        Ok(())
    }
}

/// Runs `steps` (PAT name, operation) on a fresh pair of `yaml` with `faults`, checking after
/// each step that the outcomes agree and, after each one that is not a 200 (nothing may have
/// changed, WRITE-8) and at the end, that the whole environments agree. Returns the steps, or
/// the first disagreement.
pub fn run_case(yaml: &str, faults: Faults, steps: &[(&str, &str)]) -> Result<Vec<Step>, String> {
    let mut p = Pair::new(yaml, faults);
    let mut out = Vec::new();
    for (i, (who, q)) in steps.iter().enumerate() {
        let s = p.step(who, q);
        if !s.agrees() {
            return Err(format!(
                "step {i} ({who}) {q}\n verdict:   {:?}\n reference: {}\n sandbox:   {}",
                s.verdict,
                serde_json::to_string(&s.reference).unwrap_or_default(),
                serde_json::to_string(&s.sandbox).unwrap_or_default()
            ));
        }
        if s.kind() != "ok" {
            p.dumps_agree()
                .map_err(|e| format!("after step {i} {q}: {e}"))?;
        }
        out.push(s);
    }
    p.dumps_agree().map_err(|e| format!("at the end: {e}"))?;
    Ok(out)
}

/// [`run_case`] with the faithful sandbox, asserting agreement and that the reference's
/// outcome kinds are `kinds` (so a case cannot pass by both sides refusing it alike).
pub fn agree(yaml: &str, steps: &[(&str, &str)], kinds: &[&str]) -> Vec<Step> {
    let out = run_case(yaml, Faults::NONE, steps).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<&str> = out.iter().map(Step::kind).collect();
    assert_eq!(got, kinds, "outcome kinds of {steps:?}");
    out
}
