//! Shared by the `sandbox_read_*` tests: one case (an [`EnvSpec`] with content and principals)
//! loaded into the reference ([`State`]) and into the sandbox ([`Store`]), and the same query
//! asked of both, each answer reduced to what the harness compares (spec "How a harness
//! compares"): `data` of a 200, the paths of a 403, or just "a 400".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

pub mod gen;

use serde_json::Value as J;
use tollgate::model::profile::Profile;
use tollgate::model::spec::EnvSpec;
use tollgate::model::{apply, State};
use tollgate::op::graphql::decode;
use tollgate::op::{Credential, Operation, Outcome, Request};
use tollgate::sandbox::faults::Faults;
use tollgate::sandbox::principals::{load_principals, Principal};
use tollgate::sandbox::read::{execute_query, ReadError};
use tollgate::sandbox::schema::ContentSchema;
use tollgate::sandbox::store::{EnvKey, Store};

/// What a read answered, as the harness compares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// 200 with this `data`.
    Data(J),
    /// 403 with these `extensions.path`s, in order.
    Denied(Vec<Vec<String>>),
    /// 400.
    Invalid,
}

/// Who asks: the public principal or the case's PAT named `t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// No `Authorization` header.
    Public,
    /// The PAT `t`.
    Pat,
}

/// A request: query text, variables and `gcms-*` headers.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// The GraphQL document.
    pub query: String,
    /// `variables`.
    pub variables: Option<J>,
    /// `gcms-stage`.
    pub stage: Option<String>,
    /// `gcms-locales` (comma-separated).
    pub locales: Option<String>,
}

impl Ask {
    /// A query without variables or headers.
    pub fn new(query: impl Into<String>) -> Ask {
        Ask {
            query: query.into(),
            ..Ask::default()
        }
    }
}

/// One case on both sides.
pub struct Both {
    /// The case.
    pub env: EnvSpec,
    /// The reference.
    pub state: State,
    /// The sandbox.
    pub store: Store,
    /// The sandbox environment.
    pub key: EnvKey,
    /// The sandbox's PAT `t`, if the case has one.
    pub pat: Option<Principal>,
    /// The sandbox's schema.
    pub schema: ContentSchema,
}

impl Both {
    /// Loads `env` into both sides.
    pub fn load(env: &EnvSpec) -> Both {
        let state = State::load("p", std::slice::from_ref(env), Profile::default())
            .unwrap_or_else(|e| panic!("reference load: {e}"));
        let mut store = Store::in_memory().unwrap();
        let key = store.load("p", env).unwrap();
        let pats = load_principals(&store, key, env).unwrap();
        let pat = pats
            .iter()
            .find(|p| p.name == "t")
            .map(|p| Principal::Pat(p.id.clone()));
        let schema = ContentSchema::new(&store.env(key).unwrap().schema).unwrap();
        Both {
            env: env.clone(),
            state,
            store,
            key,
            pat,
            schema,
        }
    }

    /// Loads a case written in YAML.
    pub fn yaml(text: &str) -> Both {
        Both::load(&serde_yaml_ng::from_str(text).unwrap())
    }

    /// Switches the sandbox's faults.
    pub fn faults(&mut self, faults: Faults) {
        self.store.set_faults(faults);
    }

    /// The reference's answer.
    pub fn reference(&mut self, who: Who, ask: &Ask) -> Answer {
        let d = match decode(&ask.query, ask.variables.as_ref(), None) {
            Ok(d) => d,
            Err(_) => return Answer::Invalid,
        };
        let credential = match who {
            Who::Public => Credential::Public,
            Who::Pat => Credential::Token {
                pat: "t".into(),
                form: Default::default(),
                scheme: "Bearer".into(),
            },
        };
        let op = Operation::Request(Request {
            credential,
            operation: d.operation,
            fields: d.fields,
            stage_header: ask.stage.clone().into_iter().collect(),
            locales_header: ask.locales.clone().into_iter().collect(),
            ..Request::default()
        });
        match apply(&mut self.state, &op) {
            Outcome::Ok { data } => Answer::Data(data),
            Outcome::Denied { errors, .. } => Answer::Denied(
                errors
                    .into_iter()
                    .map(|e| e.path.unwrap_or_default())
                    .collect(),
            ),
            Outcome::Invalid { .. } => Answer::Invalid,
            other => panic!("reference answered {other:?} to {}", ask.query),
        }
    }

    /// The sandbox's answer.
    pub fn sandbox(&self, who: Who, ask: &Ask) -> Answer {
        let principal = match who {
            Who::Public => Principal::Public,
            Who::Pat => self.pat.clone().expect("the case has no PAT t"),
        };
        let v = match self
            .schema
            .validate(&ask.query, ask.variables.as_ref(), None)
        {
            Ok(v) => v,
            Err(_) => return Answer::Invalid,
        };
        let locales = ask
            .locales
            .as_ref()
            .map(|l| l.split(',').map(|s| s.trim().to_string()).collect());
        match execute_query(
            &self.store,
            self.key,
            &principal,
            &v,
            ask.stage.as_deref(),
            locales,
        ) {
            Ok(data) => Answer::Data(data),
            Err(ReadError::Denied { paths }) => Answer::Denied(paths),
            Err(ReadError::Invalid(_)) => Answer::Invalid,
            Err(e) => panic!("sandbox failed on {}: {e}", ask.query),
        }
    }

    /// Both answers, reference first.
    pub fn both(&mut self, who: Who, ask: &Ask) -> (Answer, Answer) {
        (self.reference(who, ask), self.sandbox(who, ask))
    }

    /// Asserts the sandbox agrees with the reference and returns the answer.
    pub fn agree(&mut self, who: Who, query: &str) -> Answer {
        let ask = Ask::new(query);
        let (r, s) = self.both(who, &ask);
        assert_eq!(s, r, "{who:?}: {query}");
        r
    }
}
