//! tollgate: a conformance fuzzer and audit tool for the permission systems of headless-CMS
//! content APIs, starting with Hygraph's.
//!
//! The crate's spine is the reference [`model`]: a pure, synchronous implementation of the
//! permission model (`spec/permission-model.md`, rules such as `READ-2` or `WRITE-0`) that
//! every target is compared with. Its vocabulary is [`op`]: an [`Operation`](op::Operation)
//! (a Content API request or a provisioning call) goes in, an [`Outcome`](op::Outcome) comes
//! out, normalized and comparable by the policy in [`compare`]. [`scenario`] reads the
//! hand-written cases of `scenarios/*.yaml` and replays them; [`fuzzing`] holds the logic of the
//! cargo-fuzz targets so that stable `cargo test` runs their corpora too.
//!
//! # Example
//!
//! A DRAFT-only token asking for the default `PUBLISHED` stage is denied (READ-1); naming the
//! stage works:
//!
//! ```
//! use tollgate::model::{apply, profile::Profile, spec::EnvSpec, State};
//! use tollgate::op::{graphql, Credential, Operation, Outcome, Request};
//!
//! let env: EnvSpec = serde_yaml_ng::from_str(r#"
//! models: [{name: Post, fields: [{name: title, type: String}]}]
//! entries: [{model: Post, id: p1, data: {title: Hello}}]
//! pats: [{name: drafts, grants: [{action: READ, stages: [DRAFT]}]}]
//! "#).unwrap();
//! let mut state = State::load("project", &[env], Profile::default()).unwrap();
//! let ask = |q: &str| {
//!     let d = graphql::decode(q, None, None).unwrap();
//!     Operation::Request(Request {
//!         credential: Credential::Token { pat: "drafts".into(), form: Default::default(), scheme: "Bearer".into() },
//!         operation: d.operation,
//!         fields: d.fields,
//!         ..Default::default()
//!     })
//! };
//! let denied = apply(&mut state, &ask("{ posts { title } }"));
//! assert_eq!(denied.status(), 403);
//! assert_eq!(denied.rule(), Some("READ-1"));
//! let ok = apply(&mut state, &ask("{ posts(stage: DRAFT) { title } }"));
//! assert_eq!(ok, Outcome::Ok { data: serde_json::json!({"posts": [{"title": "Hello"}]}) });
//! ```

pub mod case;
pub mod compare;
pub mod fuzzing;
pub mod gen;
pub mod latency;
pub mod model;
pub mod normalize;
pub mod op;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod scenario;
pub mod target;
pub mod wire;
