//! Persisting a minimized divergence as a scenario file (`--out`, default `tollgate-out/`), so it
//! can be replayed (`tollgate replay FILE --target …`) and committed as a regression test.
//!
//! The file is `NNN-<slug of the signature>.yaml`, `NNN` the next free number in the directory
//! (an existing file is never overwritten). Its body is the case as a scenario
//! ([`Case::to_scenario`](crate::case::Case::to_scenario)) whose expectations are the **reference's** outcomes, so replaying it
//! against the reference agrees and against the target diverges while the bug is there. It opens
//! with YAML comments: the signature, where it was found, the target's outcome at the divergent
//! step and the differences, the rule ids, the exact GraphQL request sent and a curl command
//! (its token redacted unless `--show-tokens`; its project was dropped after the run).
//!
//! Before the file is written its text is loaded back ([`load_str`]) and replayed against the
//! reference, which must agree on every step: a file that would not replay is an error, never
//! written.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::compare::Verdict;
use crate::latency::OpClass;
use crate::op::{Operation, Outcome};
use crate::run::shrink::Shrunk;
use crate::run::signature::Signature;
use crate::scenario::load::{load_str, wire_length};
use crate::scenario::replay::replay;

/// The default output directory.
pub const DEFAULT_OUT: &str = "tollgate-out";

/// Where a divergence came from, for the file's comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The campaign's seed.
    pub seed: u64,
    /// The case's index.
    pub case_index: u64,
    /// The target (`sandbox` or a URL).
    pub target: String,
    /// Faults switched on in an embedded sandbox.
    pub faults: Vec<String>,
}

/// Why a divergence could not be persisted.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// The case cannot be written as a scenario.
    #[error("the minimized case cannot be written as a scenario: {0}")]
    Case(#[from] crate::case::CaseError),
    /// The scenario text does not serialize.
    #[error("the scenario does not serialize: {0}")]
    Yaml(String),
    /// The written text would not load or replay against the reference.
    #[error("the scenario text would not replay: {0}")]
    Replay(String),
    /// The file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The rule ids of a minimized divergence: the divergent step's reference rule, then every
/// other rule the reference named along the case; when none (a 200 whose data differ), the rule
/// that governs the operation's class.
pub fn rules(shrunk: &Shrunk) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let divergent = shrunk.run.steps.get(shrunk.step);
    let all = divergent
        .into_iter()
        .chain(shrunk.run.steps.iter())
        .filter_map(|s| s.reference.rule());
    for r in all {
        if !out.iter().any(|x| x == r) {
            out.push(r.to_string());
        }
    }
    if out.is_empty() {
        out.push(class_rule(divergent.map_or(OpClass::Meta, |s| s.class)).to_string());
    }
    out
}

/// The rule that governs an operation class (used when no outcome names one).
pub fn class_rule(class: OpClass) -> &'static str {
    match class {
        OpClass::ReadList | OpClass::ReadOne => "READ-2",
        OpClass::Count => "READ-5",
        OpClass::Meta => "READ-8",
        OpClass::Create => "WRITE-1",
        OpClass::Update => "WRITE-2",
        OpClass::Delete => "WRITE-3",
        OpClass::Publish => "WRITE-4",
        OpClass::Unpublish => "WRITE-5",
        OpClass::MutationBatch => "WRITE-11",
        OpClass::Manage => "PERM-4",
    }
}

fn comment_block(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "#{indent}{line}");
    }
}

/// The scenario file's text for a minimized divergence (comments, then the scenario).
pub fn scenario_text(
    shrunk: &Shrunk,
    signature: &Signature,
    provenance: &Provenance,
) -> Result<String, PersistError> {
    let case = &shrunk.case;
    let rules = rules(shrunk);
    let expects: Vec<Outcome> = shrunk
        .run
        .steps
        .iter()
        .map(|s| s.reference.clone())
        .collect();
    let k = shrunk.step;
    let description = format!(
        "A divergence found by tollgate fuzz and minimized ({signature}): the target's answer to \
         step {k} differs from the reference's."
    );
    let mut scenario = case.to_scenario(&description, rules.clone(), expects)?;
    // Send exactly what the runner sent: the query text is the runner's (a refused document
    // stays refused); padding stays.
    for (i, (op, step)) in case.steps.iter().zip(scenario.steps.iter_mut()).enumerate() {
        let Operation::Request(r) = op else {
            continue;
        };
        if let Some(text) = &step.query {
            let natural = wire_length(r.method, text, None, None);
            if r.body_bytes.is_some_and(|n| n > natural) {
                step.body_bytes = r.body_bytes;
            }
        }
        if i == k {
            step.note = Some(format!("diverges: {signature}"));
        }
    }
    // Through JSON: YAML's own enum tags (`!pat name`) do not read back inside the internally
    // tagged `manage` call; the JSON form (`{pat: name}`) is what scenario files write.
    let json = serde_json::to_value(&scenario).map_err(|e| PersistError::Yaml(e.to_string()))?;
    let yaml = serde_yaml_ng::to_string(&json).map_err(|e| PersistError::Yaml(e.to_string()))?;

    let mut out = String::new();
    let _ = writeln!(out, "# tollgate: a minimized divergence: {signature}");
    let faults = if provenance.faults.is_empty() {
        String::new()
    } else {
        format!(" (faults: {})", provenance.faults.join(", "))
    };
    let _ = writeln!(
        out,
        "# Found by `tollgate fuzz --seed {}` against {}{faults}, case {}; minimized from {} to {} steps in {} runs.",
        provenance.seed,
        provenance.target,
        provenance.case_index,
        shrunk.original_steps,
        case.steps.len(),
        shrunk.runs
    );
    let _ = writeln!(out, "# Rules: {}", rules.join(", "));
    if let Some(s) = shrunk.run.steps.get(k) {
        let _ = writeln!(out, "# Step {k} (the last) differs:");
        let _ = writeln!(out, "#   reference: {}", s.reference.compact());
        let _ = writeln!(out, "#   target:    {}", s.target.compact());
        if let Verdict::Differ { differences } = &s.verdict {
            for d in differences {
                let _ = writeln!(
                    out,
                    "#   at {}: reference {}, target {}",
                    d.path, d.expected, d.observed
                );
            }
        }
        if let Some(text) = &s.request {
            let _ = writeln!(out, "# The GraphQL request sent to the target:");
            comment_block(&mut out, "   ", text);
        }
        if let Some(curl) = &s.curl {
            let _ = writeln!(
                out,
                "# As curl (the run's project has been dropped since; replay the file instead):"
            );
            comment_block(&mut out, "   ", curl);
        }
    }
    let _ = writeln!(
        out,
        "# Replay: `tollgate replay FILE --target reference` agrees; against the target it diverges while the bug is there."
    );
    out.push_str(&yaml);
    check_replays(&out)?;
    Ok(out)
}

/// Loads `text` as a scenario and replays it against the reference: every step must agree.
fn check_replays(text: &str) -> Result<(), PersistError> {
    let loaded = load_str(text, Path::new("persisted.yaml"))
        .map_err(|e| PersistError::Replay(e.to_string()))?;
    let report = replay(&loaded);
    match report.steps.iter().find(|s| !s.verdict.is_agree()) {
        None => Ok(()),
        Some(s) => Err(PersistError::Replay(format!(
            "step {} does not agree with the reference: {}",
            s.index,
            serde_json::to_string(&s.verdict).unwrap_or_default()
        ))),
    }
}

/// The next free `NNN` in `dir` (one past the largest number a `NNN-…` file there has).
fn next_number(dir: &Path) -> Result<u32, PersistError> {
    let entries = std::fs::read_dir(dir).map_err(|source| PersistError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut max = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && name[digits.len()..].starts_with('-') {
            if let Ok(n) = digits.parse::<u32>() {
                max = max.max(n);
            }
        }
    }
    Ok(max + 1)
}

/// Writes a minimized divergence to `dir` (created if missing) as `NNN-<slug>.yaml`, never
/// overwriting a file, and returns its path.
pub fn persist(
    dir: &Path,
    shrunk: &Shrunk,
    signature: &Signature,
    provenance: &Provenance,
) -> Result<PathBuf, PersistError> {
    let text = scenario_text(shrunk, signature, provenance)?;
    std::fs::create_dir_all(dir).map_err(|source| PersistError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut n = next_number(dir)?;
    loop {
        let path = dir.join(format!("{n:03}-{}.yaml", signature.slug()));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                f.write_all(text.as_bytes())
                    .map_err(|source| PersistError::Io {
                        path: path.clone(),
                        source,
                    })?;
                return Ok(path);
            }
            // Another writer took this number meanwhile: the next one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(source) => return Err(PersistError::Io { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::case::Case;
    use crate::compare::{compare, Mode};
    use crate::latency::{OpClass, Recorder};
    use crate::run::case::{CaseRun, StepRun};
    use crate::scenario::load::load_file;

    /// A shrunk case whose last step "diverged": the target answered a 403 where the reference
    /// answered a 200 (a hand-made target outcome; the reference's are real).
    fn shrunk() -> (Shrunk, Signature) {
        let loaded = load_str(
            r#"
description: x
rules: [PERM-1]
environments:
  - models: [{name: Post, fields: [{name: title, type: String}]}]
    entries: [{model: Post, id: p1, data: {title: a}}]
    pats: [{name: t}]
steps:
  - manage: {call: create_grant, target: {pat: t}, grant: {action: READ, id: g1}}
    expect: {outcome: provisioned}
  - token: t
    query: '{ posts(stage: DRAFT) { title } }'
    expect: {outcome: ok, data: {posts: [{title: a}]}}
"#,
            Path::new("x.yaml"),
        )
        .unwrap();
        let case = Case {
            profile: "hygraph-2025".into(),
            environments: loaded.scenario.environments.clone(),
            steps: loaded.operations.clone(),
        };
        let reference = crate::scenario::replay::reference_outcomes(&loaded);
        let denied = Outcome::Denied {
            rule: None,
            errors: vec![],
        };
        let steps: Vec<StepRun> = reference
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let target = if i == 1 { denied.clone() } else { r.clone() };
                StepRun {
                    verdict: compare(r, &target, Mode::Target),
                    reference: r.clone(),
                    target,
                    class: if i == 1 {
                        OpClass::ReadList
                    } else {
                        OpClass::Manage
                    },
                    micros: 1,
                    request: (i == 1).then(|| "{ posts(stage: DRAFT) { title } }".to_string()),
                    curl: (i == 1)
                        .then(|| "curl -sS 'http://x' -H 'authorization: Bearer eyJ…'".to_string()),
                }
            })
            .collect();
        let signature = Signature::of(&steps[1]).unwrap();
        let run = CaseRun {
            project: "p".into(),
            steps,
            created_reference: vec![],
            created_target: vec![],
            latency: Recorder::new(),
            notes: vec![],
        };
        let shrunk = Shrunk {
            case,
            run,
            step: 1,
            runs: 3,
            original_steps: 9,
            budget_exhausted: false,
        };
        (shrunk, signature)
    }

    #[test]
    fn a_divergence_persists_as_a_replayable_scenario_without_overwriting() {
        let (shrunk, signature) = shrunk();
        let provenance = Provenance {
            seed: 5,
            case_index: 12,
            target: "sandbox".into(),
            faults: vec!["disabled-grants-honoured".into()],
        };
        let dir = std::env::temp_dir().join(format!("tollgate-persist-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("007-old.yaml"), "keep me").unwrap();
        let a = persist(&dir, &shrunk, &signature, &provenance).unwrap();
        let b = persist(&dir, &shrunk, &signature, &provenance).unwrap();
        assert_eq!(
            a.file_name().unwrap().to_string_lossy(),
            "008-read-list-200-403-status.yaml"
        );
        assert_eq!(
            b.file_name().unwrap().to_string_lossy(),
            "009-read-list-200-403-status.yaml"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("007-old.yaml")).unwrap(),
            "keep me"
        );
        let text = std::fs::read_to_string(&a).unwrap();
        assert!(
            text.starts_with("# tollgate: a minimized divergence: read_list 200≠403 status\n"),
            "{text}"
        );
        assert!(text.contains("--seed 5` against sandbox (faults: disabled-grants-honoured), case 12; minimized from 9 to 2 steps in 3 runs"), "{text}");
        assert!(
            text.contains("#   target:    {\"outcome\":\"denied\",\"errors\":[]}"),
            "{text}"
        );
        assert!(
            text.contains("#   { posts(stage: DRAFT) { title } }"),
            "{text}"
        );
        assert!(text.contains("# Rules: READ-2"), "{text}");
        // The manage step's target is written as scenario files write it.
        assert!(text.contains("pat: t"), "{text}");
        let loaded = load_file(&a).unwrap();
        assert_eq!(loaded.scenario.steps.len(), 2);
        assert_eq!(
            loaded.scenario.steps[1].expect,
            shrunk.run.steps[1].reference
        );
        assert_eq!(replay(&loaded).agreed(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
