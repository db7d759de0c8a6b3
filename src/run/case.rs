//! Running one case against the reference and a target, step by step, and comparing.
//!
//! [`Runner::run_case`] provisions the case on a fresh project of the target
//! ([`Session::provision`]: the bulk load plus the harness PAT), then runs each step in order on
//! both sides:
//!
//! - the reference: [`model::apply()`] on the step with `{{created:K}}` replaced by the
//!   reference's ids ([`substitute`]);
//! - the target: the step with the target's ids, encoded as GraphQL text by the environment's
//!   [`Encoder`], sent with its credential, headers and method ([`Session::send`]), decoded; a
//!   `manage` step is a Management-API call ([`Session::manage`]). Its latency is recorded under
//!   its [`Key`] (determinate outcomes only).
//!
//! After a step in which the reference created entries, the target's new ids are learned and
//! paired ([`CreatedIds::pair`], DATA-2); then both outcomes are normalized alike
//! ([`Normalizer::outcome`]) and compared ([`compare`] in [`Mode::Target`]). The project is
//! dropped at the end whatever happened.
//!
//! The reference is told the exact length of what was sent (ERR-3): a step's `body_bytes`, when
//! set and longer than its encoding, pads the body to that size. A request whose document the
//! decoder refused (`invalid`, a 400 at ERR-1 step 5) has no structure to encode; it is sent as
//! its encoding followed by a stray `}` ([`request_text`]), a syntax error at the same step.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::case::{request_text, substitute, Case, CaseError, CASE_PROJECT};
use crate::compare::{compare, Mode, Verdict};
use crate::latency::{Key, OpClass, Recorder};
use crate::model;
use crate::normalize::Normalizer;
use crate::op::{Operation, Outcome};
use crate::target::http::{ProvisionError, RetryPolicy, Session, WireRequest};
use crate::target::ids::{created_since, creation_marks, CreatedIds};
use crate::target::sandbox::SandboxAdmin;
use crate::wire::graphql::Encoder;

/// Why a case could not be run (a harness problem, not a verdict).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// The reference refuses the case, or a schema does not encode.
    #[error("the case does not load: {0}")]
    Case(#[from] CaseError),
    /// The target could not be provisioned.
    #[error("provisioning the case on the target failed: {0}")]
    Provision(#[from] ProvisionError),
}

/// One step, run on both sides.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRun {
    /// The reference's outcome (as it answered, before normalization).
    pub reference: Outcome,
    /// The target's outcome.
    pub target: Outcome,
    /// The comparison of the two, normalized.
    pub verdict: Verdict,
    /// The operation's class (latency accounting, signatures).
    pub class: OpClass,
    /// The target's time for it, µs (0 when nothing was sent).
    pub micros: u64,
    /// The GraphQL text sent to the target (a request step).
    pub request: Option<String>,
    /// A curl command reproducing the request, for a step that differs (token redacted unless
    /// the runner shows tokens).
    pub curl: Option<String>,
}

/// A case run to its end.
#[derive(Debug, Clone)]
pub struct CaseRun {
    /// The project id it ran under on the target (dropped since).
    pub project: String,
    /// One per step of the case.
    pub steps: Vec<StepRun>,
    /// The reference's ids of the entries created, in creation order.
    pub created_reference: Vec<String>,
    /// The target's ids of the same entries.
    pub created_target: Vec<String>,
    /// The latency of the target's answers.
    pub latency: Recorder,
    /// Harness remarks: ids that could not be paired, a project that could not be dropped.
    pub notes: Vec<String>,
}

impl CaseRun {
    /// The index of the first step whose outcomes differ.
    pub fn first_divergence(&self) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| matches!(s.verdict, Verdict::Differ { .. }))
    }

    /// Steps that agree, differ, and are unknown.
    pub fn counts(&self) -> (u64, u64, u64) {
        let mut c = (0, 0, 0);
        for s in &self.steps {
            match s.verdict {
                Verdict::Agree => c.0 += 1,
                Verdict::Differ { .. } => c.1 += 1,
                Verdict::Unknown { .. } => c.2 += 1,
            }
        }
        c
    }
}

/// Runs cases against one target.
#[derive(Debug)]
pub struct Runner {
    admin: SandboxAdmin,
    retry: RetryPolicy,
    show_tokens: bool,
    prefix: String,
    next: AtomicU64,
}

impl Runner {
    /// A runner against the sandbox behind `admin`. Project ids are `tg-<run>-<n>`, `<run>`
    /// unique to this runner so that runners can share a server.
    pub fn new(admin: SandboxAdmin) -> Runner {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Runner {
            admin,
            retry: RetryPolicy::default(),
            show_tokens: false,
            prefix: format!("tg-{}-{:x}", std::process::id(), nanos % (1 << 40)),
            next: AtomicU64::new(0),
        }
    }

    /// Sets how 429 answers are retried.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Runner {
        self.retry = retry;
        self
    }

    /// Shows tokens in curl commands in full (`--show-tokens`).
    pub fn with_show_tokens(mut self, show: bool) -> Runner {
        self.show_tokens = show;
        self
    }

    /// Whether curl commands show tokens in full.
    pub fn shows_tokens(&self) -> bool {
        self.show_tokens
    }

    /// The target's admin surface.
    pub fn admin(&self) -> &SandboxAdmin {
        &self.admin
    }

    /// A project id not used before by this runner.
    pub fn fresh_project(&self) -> String {
        format!(
            "{}-{}",
            self.prefix,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Runs `case` on a fresh project (see the module docs).
    pub async fn run_case(&self, case: &Case) -> Result<CaseRun, RunError> {
        let mut state = case.reference_state()?;
        let encoders = case.encoders()?;
        let project = self.fresh_project();
        let session = Session::provision(
            &self.admin,
            &project,
            CASE_PROJECT,
            &case.environments,
            &state.profile,
            self.retry,
        )
        .await?;
        let run = self.steps(case, &mut state, &encoders, session).await;
        Ok(run)
    }

    async fn steps(
        &self,
        case: &Case,
        state: &mut model::State,
        encoders: &[Encoder],
        mut session: Session,
    ) -> CaseRun {
        let mut normalizer = Normalizer::for_state(state);
        let mut ids = CreatedIds::new(&case.environments);
        let mut latency = Recorder::new();
        let mut notes = Vec::new();
        let mut steps = Vec::with_capacity(case.steps.len());
        for (i, step) in case.steps.iter().enumerate() {
            let target_op = substitute(step, ids.target());
            let mut reference_op = substitute(step, ids.reference());
            let env = state
                .env_index(match step {
                    Operation::Request(r) => r.environment.as_deref(),
                    Operation::Manage(_) => None,
                })
                .unwrap_or(0);
            let class = state
                .environments
                .get(env)
                .map_or(OpClass::Meta, |e| OpClass::of(step, &e.schema));
            let (sent, wire) = match &target_op {
                Operation::Manage(m) => (session.manage(m).await, None),
                Operation::Request(r) => {
                    // An environment the case lacks (a 404 anyway) is encoded with the first's
                    // types (`env` is 0 then).
                    let text = encoders
                        .get(env)
                        .map_or_else(|| "{ __typename }".to_string(), |e| request_text(e, r));
                    let wire = WireRequest::from_request(r, text);
                    let envelope = wire.envelope();
                    if let Operation::Request(rr) = &mut reference_op {
                        rr.body_bytes = Some(envelope.len());
                    }
                    (session.send(&wire, &envelope).await, Some(wire))
                }
            };
            let marks = creation_marks(state);
            let reference = model::apply(state, &reference_op);
            let created = created_since(state, &marks);
            if !created.is_empty() {
                if let Err(e) = ids.pair(&session, &created, &mut normalizer).await {
                    notes.push(format!("step {i}: {e}"));
                }
            }
            let target = sent.outcome;
            let verdict = match &reference_op {
                Operation::Request(r) => compare(
                    &normalizer.outcome(r, &reference, false),
                    &normalizer.outcome(r, &target, true),
                    Mode::Target,
                ),
                Operation::Manage(_) => compare(&reference, &target, Mode::Target),
            };
            if !matches!(target, Outcome::Indeterminate { .. }) {
                latency.record(
                    Key {
                        class,
                        allowed: target.status() == 200,
                    },
                    sent.micros,
                );
            }
            let curl = match (&verdict, &wire) {
                (Verdict::Differ { .. }, Some(w)) => Some(session.curl(w, self.show_tokens).await),
                _ => None,
            };
            steps.push(StepRun {
                reference,
                target,
                verdict,
                class,
                micros: sent.micros,
                request: wire.map(|w| w.query),
                curl,
            });
        }
        if let Err(e) = session.drop_project().await {
            notes.push(format!("could not drop project {}: {e}", session.project()));
        }
        CaseRun {
            project: session.project().to_string(),
            steps,
            created_reference: ids.reference().to_vec(),
            created_target: ids.target().to_vec(),
            latency,
            notes,
        }
    }
}
