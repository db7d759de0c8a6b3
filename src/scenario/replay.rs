//! Replaying a loaded scenario against the reference: its steps in order on one state
//! ([`State::load`](crate::model::State::load) then [`model::apply()`](crate::model::apply()) per
//! step), each reference outcome compared with the step's `expect` by
//! [`compare`](crate::compare) in [`Mode::Scenario`]. A step may name an entry created earlier
//! in the replay by the placeholder `{{created:K}}` (the K-th created, 0-based; persisted
//! divergences have them): the reference is given its own id there.

use serde::Serialize;

use crate::case::substitute;
use crate::compare::{compare, Mode, Verdict};
use crate::model;
use crate::normalize::Normalizer;
use crate::op::{Operation, Outcome};
use crate::scenario::load::{wire_length, Loaded};
use crate::target::ids::{created_since, creation_marks, substitute_json, substitute_text};

/// The result of one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    /// The 0-based step index.
    pub index: usize,
    /// The 1-based line of the step in its file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The step's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What the scenario expects.
    pub expected: Outcome,
    /// What the reference answered.
    pub observed: Outcome,
    /// The comparison.
    pub verdict: Verdict,
}

impl StepReport {
    /// The rule ids involved: the expected one, then the observed one if different.
    pub fn rules(&self) -> Vec<String> {
        let mut r: Vec<String> = Vec::new();
        for o in [&self.expected, &self.observed] {
            if let Some(id) = o.rule() {
                if !r.iter().any(|x| x == id) {
                    r.push(id.to_string());
                }
            }
        }
        r
    }
}

/// The result of one scenario file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileReport {
    /// The file.
    pub file: String,
    /// The scenario's rules.
    pub rules: Vec<String>,
    /// One report per step.
    pub steps: Vec<StepReport>,
}

impl FileReport {
    /// Steps that agree.
    pub fn agreed(&self) -> usize {
        self.steps.iter().filter(|s| s.verdict.is_agree()).count()
    }

    /// Steps that do not agree (differences and unknowns).
    pub fn differed(&self) -> usize {
        self.steps.len() - self.agreed()
    }
}

/// The reference's outcome for each step, in order, on one state. A `{{created:K}}`
/// placeholder in a step (a persisted divergence has them) is replaced by the id the reference
/// gave the K-th entry created during the replay ([`crate::case::substitute`]).
pub fn reference_outcomes(loaded: &Loaded) -> Vec<Outcome> {
    let mut state = loaded.state.clone();
    let mut created = Vec::new();
    loaded
        .scenario
        .steps
        .iter()
        .zip(&loaded.operations)
        .map(|(step, op)| {
            let mut op = substitute(op, &created);
            let ids_in_text = !created.is_empty();
            if let (Operation::Request(r), None, Some(q), true) =
                (&mut op, step.body_bytes, &step.query, ids_in_text)
            {
                // ERR-3 judges the text as sent, with the ids in place (the loader measured it
                // with none, which stands until an entry is created).
                r.body_bytes = Some(wire_length(
                    r.method,
                    &substitute_text(q, &created),
                    step.variables
                        .as_ref()
                        .map(|v| substitute_json(v, &created))
                        .as_ref(),
                    step.operation_name.as_deref(),
                ));
            }
            let marks = creation_marks(&state);
            let outcome = model::apply(&mut state, &op);
            created.extend(created_since(&state, &marks).into_iter().map(|n| n.id));
            outcome
        })
        .collect()
}

/// Replays a scenario against the reference.
pub fn replay(loaded: &Loaded) -> FileReport {
    let observed = reference_outcomes(loaded);
    let normalizer = Normalizer::for_state(&loaded.state);
    let steps = loaded
        .scenario
        .steps
        .iter()
        .zip(observed)
        .zip(&loaded.operations)
        .enumerate()
        .map(|(index, ((step, observed), op))| {
            // Both sides normalized alike (READ-3's unordered lists); shown as written.
            let verdict = match op {
                Operation::Request(r) => compare(
                    &normalizer.outcome(r, &step.expect, false),
                    &normalizer.outcome(r, &observed, false),
                    Mode::Scenario,
                ),
                Operation::Manage(_) => compare(&step.expect, &observed, Mode::Scenario),
            };
            StepReport {
                index,
                line: loaded.step_lines.get(index).copied().flatten(),
                note: step.note.clone(),
                verdict,
                expected: step.expect.clone(),
                observed,
            }
        })
        .collect();
    FileReport {
        file: loaded.file.display().to_string(),
        rules: loaded.scenario.rules.clone(),
        steps,
    }
}
