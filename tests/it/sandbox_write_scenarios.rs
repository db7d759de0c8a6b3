//! The hand-checked write scenarios (`scenarios/*.yaml` with mutations) replayed against the
//! sandbox: each step runs through the reference and the sandbox (provisioning calls too), and
//! the sandbox's outcome must agree with the reference's and with the scenario's expectation.
//!
//! A scenario is replayed up to its first step the sandbox side of this harness cannot run:
//! a step with headers, variables, another method, environment or project, or a credential
//! other than a PAT or the public principal (the HTTP layer's business, tested with the
//! server), or a selection with relation fields, which `read_back` and `execute_query` do not
//! render until the read helper's relation support lands (031, 051 and 055 open with such
//! steps, so none of theirs is compared yet). Each scenario must get at least the number of steps
//! compared that [`SCENARIOS`] gives, and together they must compare [`MIN_COMPARED`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::sandbox_write_harness;

use std::path::Path;

use sandbox_write_harness::Pair;
use tollgate::compare::{compare, Mode};
use tollgate::op::Credential;
use tollgate::sandbox::faults::Faults;
use tollgate::scenario::load::load_file;

/// The scenarios with mutations, and the fewest steps each must get compared now.
const SCENARIOS: &[(&str, usize)] = &[
    ("022-denied-create-lists-every-action.yaml", 3),
    ("023-write0-missing-id-probe.yaml", 8),
    ("024-write6-no-match.yaml", 7),
    ("025-create-and-read-back.yaml", 5),
    ("026-update-conditions.yaml", 4),
    ("027-delete-requirements.yaml", 8),
    ("028-publish-requirements.yaml", 7),
    ("029-unpublish.yaml", 8),
    ("030-localizations-input.yaml", 11),
    ("031-relation-inputs.yaml", 0),
    ("032-mutation-batch.yaml", 4),
    ("049-required-fields.yaml", 5),
    ("050-timestamps.yaml", 4),
    ("051-links-per-stage.yaml", 0),
    ("039-explicit-null-arguments.yaml", 4),
    ("045-schema-surface.yaml", 7),
    ("055-mutation-result-visibility.yaml", 0),
];

/// Steps compared over all the scenarios, at least.
const MIN_COMPARED: usize = 80;

#[test]
fn write_scenarios_agree_on_the_sandbox() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut failures = Vec::new();
    let mut total = 0;
    for (file, min) in SCENARIOS {
        let loaded = load_file(&root.join(file)).unwrap();
        let sc = &loaded.scenario;
        assert_eq!(sc.environments.len(), 1, "{file}");
        let mut pair = Pair::from_spec(sc.environments[0].clone(), Faults::NONE);
        let mut compared = 0;
        for (i, step) in sc.steps.iter().enumerate() {
            let http_only = !step.headers.is_empty()
                || step.variables.is_some()
                || step.operation_name.is_some()
                || step.method.is_some()
                || step.body_bytes.is_some()
                || step.environment.is_some()
                || step.project.is_some();
            let who = match (&step.token, &step.credential) {
                (Some(t), None) => Some(t.as_str()),
                (None, None) | (None, Some(Credential::Public)) => None,
                _ => break,
            };
            if http_only {
                break;
            }
            let s = if let Some(m) = &step.manage {
                pair.manage(m)
            } else if let Some(q) = &step.query {
                let s = pair.run(who, q);
                if matches!(s.verdict, tollgate::compare::Verdict::Unknown { .. }) {
                    break;
                }
                // The scenario's own expectation, normalized as the reference's outcome was.
                let request = pair.request(q);
                let expected = pair.norm.outcome(&request, &step.expect, false);
                let v = compare(&expected, &s.sandbox, Mode::Target);
                if !v.is_agree() {
                    failures.push(format!(
                        "{file} step {i}: the sandbox differs from the expectation: {v:?}"
                    ));
                }
                s
            } else {
                break;
            };
            if !s.agrees() {
                failures.push(format!(
                    "{file} step {i}: the sandbox differs from the reference: {:?}",
                    s.verdict
                ));
            }
            compared += 1;
        }
        if compared < *min {
            failures.push(format!(
                "{file}: only {compared} steps compared, expected at least {min}"
            ));
        }
        total += compared;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(total >= MIN_COMPARED, "{total} steps compared");
}
