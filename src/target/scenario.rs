//! Replaying a scenario over HTTP against a sandbox server: its project is provisioned under a
//! fresh project id ([`Session::provision`]), each `manage` step becomes a Management-API call
//! and each `query` step a real request (method, body or URL, `Authorization` and `gcms-*`
//! headers, a body padded to `body_bytes`), whose response is decoded and compared with the
//! step's `expect` by [`compare`] in [`Mode::Target`] (rule ids are the reference's business,
//! not a target's), after the same normalization as the reference's replay.
//!
//! Entries created during the replay are paired as the campaign runner pairs them
//! ([`CreatedIds`], DATA-2): the reference runs alongside to know which entries each step
//! creates, the target's ids are learned through the harness PAT, and a `{{created:K}}`
//! placeholder in a step's query text or variables is replaced by the target's id of the K-th
//! created entry before the step is sent.

use crate::case::substitute;
use crate::compare::{compare, Mode};
use crate::model;
use crate::normalize::Normalizer;
use crate::op::{Operation, Request};
use crate::scenario::load::{Loaded, DEFAULT_PROJECT};
use crate::scenario::replay::{FileReport, StepReport};
use crate::scenario::Step;
use crate::target::http::{ProvisionError, RetryPolicy, Session, WireRequest};
use crate::target::ids::{
    created_since, creation_marks, substitute_json, substitute_text, CreatedIds,
};
use crate::target::sandbox::SandboxAdmin;
use crate::wire::is_introspection;

pub use crate::target::http::REQUEST_TIMEOUT;

/// Replays `loaded` against the sandbox behind `admin`, under project id `project` (which must
/// not exist there yet; the caller drops it afterwards). An `Err` is a harness failure (the
/// project could not be provisioned); every step's outcome, indeterminate ones included, is in
/// the report.
pub async fn replay(
    admin: &SandboxAdmin,
    loaded: &Loaded,
    project: &str,
) -> Result<FileReport, ProvisionError> {
    let case_project = loaded
        .scenario
        .project
        .as_deref()
        .unwrap_or(DEFAULT_PROJECT);
    let mut session = Session::provision(
        admin,
        project,
        case_project,
        &loaded.scenario.environments,
        &loaded.state.profile,
        RetryPolicy::default(),
    )
    .await?;
    let mut state = loaded.state.clone();
    let mut normalizer = Normalizer::for_state(&state);
    let mut ids = CreatedIds::new(&loaded.scenario.environments);
    let mut steps = Vec::new();
    for (index, (step, op)) in loaded
        .scenario
        .steps
        .iter()
        .zip(&loaded.operations)
        .enumerate()
    {
        let marks = creation_marks(&state);
        let (reference_op, observed) = match op {
            Operation::Manage(m) => (op.clone(), session.manage(m).await.outcome),
            Operation::Request(req) => {
                let wire = wire_request(step, req, ids.target());
                let mut reference_op = substitute(op, ids.reference());
                let envelope = wire.envelope();
                if let Operation::Request(r) = &mut reference_op {
                    // As loaded when the scenario gives it, else the length actually sent.
                    r.body_bytes = Some(step.body_bytes.unwrap_or(envelope.len()));
                }
                (reference_op, session.send(&wire, &envelope).await.outcome)
            }
        };
        // The reference runs alongside only to know which entries each step creates.
        let _ = model::apply(&mut state, &reference_op);
        let created = created_since(&state, &marks);
        if !created.is_empty() {
            // A failure leaves stand-ins; the comparison below shows what it costs.
            let _ = ids.pair(&session, &created, &mut normalizer).await;
        }
        let verdict = match op {
            Operation::Request(req) => compare(
                &normalizer.outcome(req, &step.expect, false),
                &normalizer.outcome(req, &observed, true),
                Mode::Target,
            ),
            Operation::Manage(_) => compare(&step.expect, &observed, Mode::Target),
        };
        steps.push(StepReport {
            index,
            line: loaded.step_lines.get(index).copied().flatten(),
            note: step.note.clone(),
            expected: step.expect.clone(),
            observed,
            verdict,
        });
    }
    Ok(FileReport {
        file: loaded.file.display().to_string(),
        rules: loaded.scenario.rules.clone(),
        steps,
    })
}

/// A scenario step's request as sent: its text and variables as written, with the target's
/// created ids in place of `{{created:K}}`.
fn wire_request(step: &Step, req: &Request, created: &[String]) -> WireRequest {
    let query = substitute_text(step.query.as_deref().unwrap_or_default(), created);
    let variables = step.variables.as_ref().map(|v| substitute_json(v, created));
    let mut headers = Vec::new();
    for (name, value) in &step.headers {
        for line in value.lines() {
            headers.push((name.clone(), line));
        }
    }
    WireRequest {
        environment: step.environment.clone(),
        project: step.project.clone(),
        credential: req.credential.clone(),
        method: req.method,
        pad_to: step.body_bytes,
        introspection: is_introspection(&req.fields),
        operation_name: step.operation_name.clone(),
        headers,
        variables,
        query,
    }
}
