//! A short differential smoke test of generated cases against the embedded faithful sandbox:
//! each case is bulk-loaded (`POST /sandbox/projects`) under a project of its own, each step is
//! sent over HTTP as `tollgate replay --target sandbox` sends it ([`target::scenario::replay`]),
//! and the response is compared with the reference's outcome after the same normalization.
//!
//! Steps that create entries, and steps that name entries created during the run
//! (`{{created:K}}`), are left out here: pairing run-created ids across the sides (DATA-2) is
//! the campaign runner's business. Every remaining step must agree, except where a known
//! reference deviation explains the difference exactly ([`known_deviation`]; each is reported
//! and printed, and the quarantine goes once the reference is fixed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value as Json;
use tollgate::case::{placeholder_index, Case};
use tollgate::gen::{generate, GenConfig};
use tollgate::model::apply;
use tollgate::op::{Manage, Operation, OperationType, Outcome, Target};
use tollgate::sandbox::server::{self, Config};
use tollgate::scenario::load::load_str;
use tollgate::target::sandbox::SandboxAdmin;
use tollgate::target::{http_client, scenario};

fn has_placeholder(v: &Json) -> bool {
    match v {
        Json::String(s) => placeholder_index(s).is_some(),
        Json::Array(a) => a.iter().any(has_placeholder),
        Json::Object(m) => m.values().any(has_placeholder),
        _ => false,
    }
}

/// Whether a step stays in the smoke test: no creates, no placeholders.
fn kept(op: &Operation) -> bool {
    match op {
        Operation::Manage(_) => true,
        Operation::Request(r) => {
            let creates = r.operation == OperationType::Mutation
                && r.fields.iter().any(|f| f.name.starts_with("create"));
            let placeholders = r
                .fields
                .iter()
                .any(|f| f.args.values().any(has_placeholder));
            !creates && !placeholders
        }
    }
}

/// Known deviations of the reference (reported to the coordinator; not fixed here):
///
/// 1. A single-entry or mutation `where: {id}` whose id holds U+0000 passes the reference's
///    validation (then a 200, or a 403 from WRITE-0), where DATA-1 and §10 make any string
///    with U+0000 a 400 at ERR-1 step 5 (the sandbox's answer, and the reference's own for
///    `posts(where: {id})`).
/// 2. After a PAT is deleted (§9, AUTH-4), the reference still toggles and deletes its grants
///    and sets its default stage (200); the sandbox refuses, the PAT and its grants being gone
///    (the reference's own `create_grant` refuses a deleted PAT as target).
fn known_deviation(
    case: &Case,
    step: usize,
    reference: &Outcome,
    sandbox: &Outcome,
) -> Option<&'static str> {
    let op = case.steps.get(step)?;
    match op {
        Operation::Request(r) => {
            let unique_nul = r.fields.iter().any(|f| {
                f.args
                    .get("where")
                    .and_then(|w| w.get("id"))
                    .and_then(Json::as_str)
                    .is_some_and(|id| id.contains('\u{0}'))
            });
            (unique_nul && reference.status() != 400 && sandbox.status() == 400)
                .then_some("reference accepts U+0000 in a unique where id")
        }
        Operation::Manage(m) => {
            if !(matches!(reference, Outcome::Provisioned)
                && matches!(sandbox, Outcome::Refused { .. }))
            {
                return None;
            }
            let env = &case.environments[0];
            let mut deleted: Vec<&str> = env
                .pats
                .iter()
                .filter(|p| p.revoked)
                .map(|p| p.name.as_str())
                .collect();
            let mut owner: Vec<(String, String)> = env
                .pats
                .iter()
                .flat_map(|p| {
                    p.grants
                        .iter()
                        .filter_map(|g| g.id.clone().map(|id| (id, p.name.clone())))
                })
                .collect();
            for earlier in &case.steps[..step] {
                match earlier {
                    Operation::Manage(Manage::DeletePat { name, .. }) => deleted.push(name),
                    Operation::Manage(Manage::CreateGrant {
                        target: Target::Pat(p),
                        grant,
                        ..
                    }) => {
                        if let Some(id) = &grant.id {
                            owner.push((id.clone(), p.clone()));
                        }
                    }
                    _ => {}
                }
            }
            let of_deleted = |id: &str| {
                owner
                    .iter()
                    .any(|(g, p)| g == id && deleted.contains(&p.as_str()))
            };
            let hit = match m {
                Manage::SetGrantEnabled { id, .. } | Manage::DeleteGrant { id, .. } => {
                    of_deleted(id)
                }
                Manage::SetDefaultStage {
                    target: Target::Pat(p),
                    ..
                } => deleted.contains(&p.as_str()),
                _ => false,
            };
            hit.then_some("reference provisions a deleted PAT or its grants")
        }
    }
}

#[test]
fn generated_cases_agree_with_the_faithful_sandbox() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = server::start(Config::default()).await.unwrap();
        let admin = SandboxAdmin::new(http_client().unwrap(), server.url(), server.admin_secret());
        let mut steps = 0;
        let mut disagreements = Vec::new();
        let mut known: Vec<String> = Vec::new();
        for (seed, index, cfg) in (0..(std::env::var("GEN_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(20u64))).map(|i| {
            let cfg = if i % 2 == 0 {
                GenConfig::default()
            } else {
                GenConfig::small()
            };
            (101, i, cfg)
        }) {
            let generated = generate(seed, index, &cfg).unwrap().case;
            let case = Case {
                steps: generated.steps.iter().filter(|s| kept(s)).cloned().collect(),
                ..generated
            };
            let mut state = case.reference_state().unwrap();
            let expects: Vec<_> = case.steps.iter().map(|s| apply(&mut state, s)).collect();
            let scenario = case
                .to_scenario("a generated case", vec!["ERR-1".into()], expects)
                .unwrap();
            // Through JSON: serde_yaml_ng writes `Target::Pat` as a YAML tag (`!pat ann`),
            // which the internally tagged `Manage` cannot read back.
            let text = serde_yaml_ng::to_string(&serde_json::to_value(&scenario).unwrap()).unwrap();
            let loaded = load_str(&text, std::path::Path::new("generated.yaml"))
                .unwrap_or_else(|e| panic!("case {index}: {e}\n{text}"));
            let project = format!("gen-{seed}-{index}");
            let report = scenario::replay(&admin, &loaded, &project)
                .await
                .unwrap_or_else(|e| panic!("case {index}: {e}"));
            admin.delete_project(&project).await.unwrap();
            steps += report.steps.len();
            for s in report.steps.iter().filter(|s| !s.verdict.is_agree()) {
                if let Some(why) = known_deviation(&case, s.index, &s.expected, &s.observed) {
                    known.push(format!("case {index} step {}: {why}", s.index));
                    continue;
                }
                let step = &loaded.scenario.steps[s.index];
                disagreements.push(format!(
                    "case {index} ({}) step {}: {}\n  credential: {:?}\n  headers: {:?}\n  manage: {:?}\n  reference: {}\n  sandbox:   {}\n  verdict: {:?}",
                    cfg.name,
                    s.index,
                    step.query.as_deref().unwrap_or(""),
                    step.credential,
                    step.headers,
                    step.manage,
                    serde_json::to_string(&s.expected).unwrap(),
                    serde_json::to_string(&s.observed).unwrap(),
                    s.verdict,
                ));
            }
        }
        server.shutdown().await.unwrap();
        println!(
            "{steps} steps of generated cases, {} disagreements, {} explained by known reference deviations:\n  {}",
            disagreements.len(),
            known.len(),
            known.join("\n  ")
        );
        assert!(steps > 300, "{steps}");
        assert!(
            disagreements.is_empty(),
            "{} of {steps} steps disagree:\n{}",
            disagreements.len(),
            disagreements.join("\n")
        );
    });
}
