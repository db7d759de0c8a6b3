//! A case: the unit of a differential campaign. A project (environments with their schema,
//! content and principals, as [`EnvSpec`]s) and a sequence of steps ([`Operation`]s), run in
//! order against the reference and a target — the same data a scenario file holds, minus the
//! expectations. Generators produce cases, the runner runs them, shrinking makes them smaller,
//! and a minimized case is persisted as a scenario ([`Case::to_scenario`]).
//!
//! Steps are structured (root [`Selection`](crate::op::Selection)s with JSON arguments) and are
//! encoded to GraphQL text only when sent ([`crate::wire::graphql`]). An entry created during
//! the run is named in later steps by the placeholder string `{{created:K}}` (K: its 0-based
//! place among the entries the case's steps created, in creation order), wherever an id goes;
//! each side substitutes its own id before the step is sent ([`substitute`], DATA-2).

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::model::profile::Profile;
use crate::model::spec::{EnvSpec, SchemaError};
use crate::model::{LoadError, State};
use crate::op::{Operation, Outcome, Request};
use crate::scenario::load::DEFAULT_PROFILE;
use crate::scenario::{HeaderValue, Scenario, Step};
use crate::wire::graphql::{EncodeError, Encoder};

/// The project id a case's reference state is loaded under (targets use ids of their own).
pub const CASE_PROJECT: &str = "project";

/// A case: environments and steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The profile name (`hygraph-2025` by default).
    #[serde(default = "default_profile")]
    pub profile: String,
    /// The environments; steps address the first unless they name another.
    pub environments: Vec<EnvSpec>,
    /// The steps, in order.
    pub steps: Vec<Operation>,
}

fn default_profile() -> String {
    DEFAULT_PROFILE.to_string()
}

/// Why a case could not be turned into a reference state or a scenario.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseError {
    /// The profile name is unknown.
    #[error("unknown profile {0:?}")]
    Profile(String),
    /// The reference refuses the case's environments (DATA-1, DATA-5, PERM-4, …).
    #[error("the reference refuses the case: {0}")]
    Load(String),
    /// A schema does not build for encoding.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The case has no environment to encode a step with.
    #[error("step {step} (environment {env:?}) cannot be encoded: the case has no environment")]
    Environment {
        /// The step's index.
        step: usize,
        /// The name.
        env: String,
    },
}

impl From<SchemaError> for CaseError {
    fn from(e: SchemaError) -> Self {
        CaseError::Load(format!("{}: {}", e.path, e.message))
    }
}

impl From<LoadError> for CaseError {
    fn from(e: LoadError) -> Self {
        CaseError::Load(format!("{}: {}", e.path, e.message))
    }
}

/// The placeholder for the `k`-th entry created during a case's run.
pub fn placeholder(k: usize) -> String {
    format!("{{{{created:{k}}}}}")
}

/// The index a placeholder string names, if it is one.
pub fn placeholder_index(s: &str) -> Option<usize> {
    s.strip_prefix("{{created:")?
        .strip_suffix("}}")?
        .parse()
        .ok()
}

/// `op` with every placeholder string (`{{created:K}}`, anywhere in arguments) replaced by
/// `created[K]`; a placeholder past the end of `created` stays as it is (an id no entry has).
pub fn substitute(op: &Operation, created: &[String]) -> Operation {
    let mut op = op.clone();
    if let Operation::Request(r) = &mut op {
        let mut stack: Vec<&mut crate::op::Selection> = r.fields.iter_mut().collect();
        while let Some(sel) = stack.pop() {
            for v in sel.args.values_mut() {
                substitute_json(v, created);
            }
            stack.extend(sel.selection.iter_mut());
        }
    }
    op
}

fn substitute_json(v: &mut Json, created: &[String]) {
    match v {
        Json::String(s) => {
            if let Some(id) = placeholder_index(s).and_then(|k| created.get(k)) {
                *s = id.clone();
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|x| substitute_json(x, created)),
        Json::Object(m) => m.values_mut().for_each(|x| substitute_json(x, created)),
        _ => {}
    }
}

impl Case {
    /// The reference's initial state for this case.
    pub fn reference_state(&self) -> Result<State, CaseError> {
        let profile =
            Profile::named(&self.profile).map_err(|_| CaseError::Profile(self.profile.clone()))?;
        Ok(State::load(CASE_PROJECT, &self.environments, profile)?)
    }

    /// One encoder per environment, in the case's order.
    pub fn encoders(&self) -> Result<Vec<Encoder>, CaseError> {
        self.environments
            .iter()
            .map(|e| {
                let schema = e.schema("environment")?;
                Ok(Encoder::new(&schema)?)
            })
            .collect()
    }

    /// The index of the environment a step addresses (`None`: the first).
    pub fn env_index(&self, name: Option<&str>) -> Option<usize> {
        match name {
            None => (!self.environments.is_empty()).then_some(0),
            Some(n) => self.environments.iter().position(|e| e.name == n),
        }
    }

    /// The GraphQL text step `i` (a request) is sent as ([`request_text`]), placeholders left
    /// as they are.
    pub fn query_text(&self, encoders: &[Encoder], i: usize) -> Result<Option<String>, CaseError> {
        let Some(Operation::Request(r)) = self.steps.get(i) else {
            return Ok(None);
        };
        // A step may address an environment the case lacks (a 404, ERR-1 step 1): its text is
        // then written with the first environment's types.
        let env = self.env_index(r.environment.as_deref()).unwrap_or(0);
        let encoder = encoders.get(env).ok_or_else(|| CaseError::Environment {
            step: i,
            env: r.environment.clone().unwrap_or_default(),
        })?;
        Ok(Some(request_text(encoder, r)))
    }

    /// The case as a scenario file whose expectations are `expects` (one per step; for a
    /// persisted divergence, the reference's outcomes).
    pub fn to_scenario(
        &self,
        description: &str,
        rules: Vec<String>,
        expects: Vec<Outcome>,
    ) -> Result<Scenario, CaseError> {
        let encoders = self.encoders()?;
        let mut steps = Vec::with_capacity(self.steps.len());
        for (i, (op, expect)) in self.steps.iter().zip(expects).enumerate() {
            let step = match op {
                Operation::Manage(m) => Step {
                    manage: Some(m.clone()),
                    ..empty_step(expect)
                },
                Operation::Request(r) => {
                    let mut headers = std::collections::BTreeMap::new();
                    if !r.stage_header.is_empty() {
                        headers.insert("gcms-stage".into(), header(&r.stage_header));
                    }
                    if !r.locales_header.is_empty() {
                        headers.insert("gcms-locales".into(), header(&r.locales_header));
                    }
                    Step {
                        credential: (r.credential != crate::op::Credential::Public)
                            .then(|| r.credential.clone()),
                        environment: r.environment.clone(),
                        project: r.project.clone(),
                        query: self.query_text(&encoders, i)?,
                        headers,
                        method: (r.method != crate::op::Method::Post).then_some(r.method),
                        body_bytes: None,
                        ..empty_step(expect)
                    }
                }
            };
            steps.push(step);
        }
        Ok(Scenario {
            description: description.to_string(),
            rules,
            profile: (self.profile != DEFAULT_PROFILE).then(|| self.profile.clone()),
            project: None,
            environments: self.environments.clone(),
            steps,
        })
    }
}

/// The GraphQL text a request step is sent as: its encoding by the environment's encoder; a
/// request whose document the decoder refused (`invalid`) gets a stray `}` appended, a syntax
/// error (ERR-1 step 5) as its original text was.
pub fn request_text(encoder: &Encoder, r: &Request) -> String {
    let text = encoder.encode(r.operation, &r.fields);
    if r.invalid.is_some() {
        format!("{text} }}")
    } else {
        text
    }
}

fn header(lines: &[String]) -> HeaderValue {
    match lines {
        [one] => HeaderValue::One(one.clone()),
        many => HeaderValue::Many(many.to_vec()),
    }
}

fn empty_step(expect: Outcome) -> Step {
    Step {
        note: None,
        token: None,
        credential: None,
        environment: None,
        project: None,
        query: None,
        variables: None,
        operation_name: None,
        headers: Default::default(),
        method: None,
        body_bytes: None,
        manage: None,
        expect,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::op::graphql::decode;
    use crate::op::{Credential, Request};

    #[test]
    fn placeholders_are_substituted_anywhere_in_arguments() {
        assert_eq!(placeholder_index(&placeholder(3)), Some(3));
        assert_eq!(placeholder_index("{{created:x}}"), None);
        let d = decode(
            r#"mutation { updatePost(where: {id: "{{created:0}}"}, data: {author: {connect: {id: "{{created:1}}"}}}) { id } }"#,
            None,
            None,
        )
        .unwrap();
        let op = Operation::Request(Request {
            operation: d.operation,
            fields: d.fields,
            ..Request::default()
        });
        let Operation::Request(r) = substitute(&op, &["a".into()]) else {
            panic!()
        };
        let args = serde_json::to_string(&r.fields[0].args).unwrap();
        assert!(args.contains(r#""id":"a""#), "{args}");
        assert!(args.contains("{{created:1}}"), "{args}");
    }

    #[test]
    fn manage_targets_round_trip_through_yaml() {
        use crate::op::{Manage, Target};
        for target in [Target::Public, Target::Pat("ann".into())] {
            let m = Operation::Manage(Manage::SetDefaultStage {
                environment: None,
                target,
                stage: "DRAFT".into(),
            });
            let text = serde_yaml_ng::to_string(&m).unwrap();
            assert!(!text.contains('!'), "no YAML tags: {text}");
            let back: Operation = serde_yaml_ng::from_str(&text).unwrap();
            assert_eq!(back, m, "{text}");
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), m);
        }
    }

    #[test]
    fn a_case_becomes_a_scenario_that_loads_and_replays() {
        let env: EnvSpec = serde_yaml_ng::from_str(
            r#"
models: [{name: Post, fields: [{name: title, type: String}]}]
entries: [{model: Post, id: p1, data: {title: Hi}, publish: [PUBLISHED]}]
pats: [{name: t, grants: [{action: READ}]}]
"#,
        )
        .unwrap();
        let d = decode("{ posts(stage: DRAFT) { title } }", None, None).unwrap();
        let case = Case {
            profile: DEFAULT_PROFILE.into(),
            environments: vec![env],
            steps: vec![Operation::Request(Request {
                credential: Credential::Token {
                    pat: "t".into(),
                    form: Default::default(),
                    scheme: "Bearer".into(),
                },
                stage_header: vec!["PUBLISHED".into()],
                operation: d.operation,
                fields: d.fields,
                ..Request::default()
            })],
        };
        let mut state = case.reference_state().unwrap();
        let outcome = crate::model::apply(&mut state, &case.steps[0]);
        let scenario = case
            .to_scenario("test", vec!["CTX-1".into()], vec![outcome])
            .unwrap();
        let text = serde_yaml_ng::to_string(&scenario).unwrap();
        let loaded = crate::scenario::load::load_str(&text, std::path::Path::new("x.yaml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let report = crate::scenario::replay::replay(&loaded);
        assert_eq!(report.agreed(), 1, "{text}");
    }
}
