//! The campaign's generators (`tollgate::gen`): determinism from (seed, index), validity of
//! every generated case (the reference loads it, the sandbox's bulk loader loads it, every
//! request encodes to text that decodes back to the same fields), and generation time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use proptest::strategy::ValueTree;
use tollgate::case::Case;
use tollgate::gen::{generate, GenConfig};
use tollgate::op::graphql::decode;
use tollgate::op::Operation;

fn case(seed: u64, index: u64, cfg: &GenConfig) -> Case {
    generate(seed, index, cfg).unwrap().case
}

#[test]
fn the_same_seed_and_index_give_the_same_case() {
    for cfg in [GenConfig::small(), GenConfig::default()] {
        for index in 0..5 {
            let a = case(7, index, &cfg);
            let b = case(7, index, &cfg);
            assert_eq!(a, b, "index {index}");
        }
        assert_ne!(case(7, 0, &cfg), case(7, 1, &cfg));
        assert_ne!(case(7, 0, &cfg), case(8, 0, &cfg));
    }
}

#[test]
fn the_value_tree_starts_at_the_case_and_shrinks_to_valid_cases() {
    let cfg = GenConfig::small();
    let mut g = generate(3, 0, &cfg).unwrap();
    assert_eq!(g.tree.current(), g.case);
    let mut steps = 0;
    while steps < 300 && g.tree.simplify() {
        steps += 1;
        let c = g.tree.current();
        c.reference_state()
            .unwrap_or_else(|e| panic!("after {steps} simplifications: {e}"));
    }
    assert!(steps > 0, "the tree never simplified");
}

/// Every generated case loads in the reference.
#[test]
fn generated_cases_load_in_the_reference() {
    for cfg in [
        GenConfig::small(),
        GenConfig::default(),
        GenConfig::large(),
        GenConfig::default().with_profile("hygraph-legacy"),
    ] {
        for index in 0..150 {
            let c = case(11, index, &cfg);
            if let Err(e) = c.reference_state() {
                panic!(
                    "{} case {index}: {e}\n{}",
                    cfg.name,
                    serde_yaml_ng::to_string(&c.environments).unwrap()
                );
            }
            let n = c.steps.len();
            assert!(
                (usize::from(cfg.min_steps)..=usize::from(cfg.max_steps)).contains(&n),
                "{n} steps"
            );
        }
    }
}

/// Every generated case loads in the sandbox's bulk loader: its store (schema, tables,
/// content), the Content API schema of each environment, and its principals — the same steps
/// as `POST /sandbox/projects` (the HTTP path is exercised by `gen_sandbox.rs`).
#[test]
fn generated_cases_load_in_the_sandbox_store() {
    use tollgate::sandbox::principals::load_principals;
    use tollgate::sandbox::schema::ContentSchema;
    use tollgate::sandbox::store::Store;
    let mut loaded = 0;
    for cfg in [GenConfig::small(), GenConfig::default()] {
        for index in 0..120 {
            let c = case(17, index, &cfg);
            let mut store = Store::in_memory().unwrap();
            for env in &c.environments {
                let yaml = || serde_yaml_ng::to_string(env).unwrap();
                let key = store
                    .load("p", env)
                    .unwrap_or_else(|e| panic!("{} case {index}: {e}\n{}", cfg.name, yaml()));
                ContentSchema::new(&store.env(key).unwrap().schema)
                    .unwrap_or_else(|e| panic!("{} case {index}: {e}\n{}", cfg.name, yaml()));
                load_principals(&store, key, env)
                    .unwrap_or_else(|e| panic!("{} case {index}: {e}\n{}", cfg.name, yaml()));
                loaded += 1;
            }
        }
    }
    assert!(loaded >= 240, "{loaded}");
}

/// Every request step encodes to text that decodes back to the same fields.
#[test]
fn generated_requests_round_trip_through_the_encoder() {
    let cfg = GenConfig::default();
    let mut checked = 0;
    for index in 0..120 {
        let c = case(13, index, &cfg);
        let encoders = c.encoders().unwrap();
        for (i, op) in c.steps.iter().enumerate() {
            let Operation::Request(r) = op else { continue };
            let env = c.env_index(r.environment.as_deref()).unwrap_or(0);
            let text = encoders[env].encode(r.operation, &r.fields);
            let d = decode(&text, None, None)
                .unwrap_or_else(|e| panic!("case {index} step {i}: {e}\n{text}"));
            assert_eq!(d.operation, r.operation, "case {index} step {i}: {text}");
            assert_eq!(d.fields, r.fields, "case {index} step {i}: {text}");
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
}

/// Generation time per case (printed, not asserted).
#[test]
fn generation_time_per_case() {
    for cfg in [GenConfig::small(), GenConfig::default()] {
        let n = 200u64;
        let start = Instant::now();
        let mut steps = 0;
        for index in 0..n {
            steps += case(1, index, &cfg).steps.len();
        }
        let per = start.elapsed() / u32::try_from(n).unwrap();
        println!(
            "{}: {per:?} per case ({} steps per case on average, {} build)",
            cfg.name,
            steps / usize::try_from(n).unwrap(),
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
        );
    }
}

/// proptest's shrinking loop over a value tree: simplify while `fails` holds, complicate when
/// it stops holding; returns the last failing case and the number of steps taken.
fn shrink(tree: &mut dyn ValueTree<Value = Case>, fails: impl Fn(&Case) -> bool) -> (Case, usize) {
    let mut last = tree.current();
    let mut steps = 0;
    if !tree.simplify() {
        return (last, steps);
    }
    while steps < 5_000 {
        steps += 1;
        let c = tree.current();
        if fails(&c) {
            last = c;
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    (last, steps)
}

/// A `where` anywhere in a request uses a `_starts_with` operator.
fn starts_with(c: &Case) -> bool {
    c.steps.iter().any(|s| match s {
        Operation::Request(r) => serde_json::to_string(&r.fields)
            .unwrap()
            .contains("_starts_with"),
        Operation::Manage(_) => false,
    })
}

/// Index-based cross references shrink well: a case whose only "failure" is one request with
/// a `_starts_with` filter shrinks to one step, no entries and one or two models in a few
/// hundred shrink steps (each removal keeps the rest valid).
#[test]
fn cases_shrink_to_a_minimal_reproduction() {
    for cfg in [GenConfig::small(), GenConfig::default()] {
        let mut done = 0;
        for index in 0..200 {
            let mut g = generate(31, index, &cfg).unwrap();
            if !starts_with(&g.case) {
                continue;
            }
            let (min, steps) = shrink(g.tree.as_mut(), starts_with);
            let env = &min.environments[0];
            println!(
                "{} case {index}: {} steps, {} entries, {} models → {} step(s), {} entries, {} model(s) in {steps} shrink steps",
                cfg.name,
                g.case.steps.len(),
                g.case.environments[0].entries.len(),
                g.case.environments[0].models.len(),
                min.steps.len(),
                env.entries.len(),
                env.models.len()
            );
            assert!(starts_with(&min));
            assert_eq!(min.steps.len(), 1, "{min:?}");
            assert!(env.entries.is_empty(), "{:?}", env.entries);
            // proptest deletes list elements in one pass before shrinking them, so a model
            // that the surviving step needed at that time may stay.
            assert!(env.models.len() <= 2, "{:?}", env.models);
            assert_eq!(min.environments.len(), 1);
            min.reference_state().unwrap();
            done += 1;
            if done == 3 {
                break;
            }
        }
        assert_eq!(done, 3, "too few cases with a _starts_with filter");
    }
}
