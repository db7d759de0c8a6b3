//! The sandbox is an independent implementation of the contract: its code may share the data
//! types, value coercion and the condition parser/AST with the reference, never the
//! reference's semantics. This test reads every source file under `src/sandbox/` and fails on
//! any path into the reference other than the allowed ones.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// Paths into `crate::model` the sandbox may use: types and coercion (`project`, `spec`,
/// `value`, `grant` types, `profile`), and the condition AST and parser — not `eval`.
const ALLOWED: &[&str] = &[
    "model::project",
    "model::spec",
    "model::value",
    "model::grant",
    "model::profile",
    "model::condition::ast",
    "model::condition::parse",
    "model::condition::Where",
    "model::condition::Clause",
    "model::condition::{parse_value, Limits}",
    "model::condition::{parse_condition, Limits}",
    "model::condition::{parse_condition, parse_value, Limits}",
];

/// Names of the reference's semantics that must not appear in sandbox code at all.
const FORBIDDEN_NAMES: &[&str] = &[
    "model::read",
    "model::write",
    "model::apply",
    "model::auth",
    "model::ctx",
    "model::state",
    "condition::eval",
    "EvalCtx",
    "Reader",
    "Writer",
    "State::load",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The library part of a file: everything before its `#[cfg(test)]` module (tests may compare
/// the sandbox with the reference — that agreement is the evidence).
fn library_part(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    }
}

#[test]
fn sandbox_code_never_reaches_for_the_reference_semantics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sandbox");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(!files.is_empty(), "no sandbox sources found in {dir:?}");
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lib = library_part(&text);
        for (n, line) in lib.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for bad in FORBIDDEN_NAMES {
                if code.contains(bad) {
                    problems.push(format!(
                        "{}:{}: uses {bad}: {}",
                        f.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
            let mut rest = code;
            while let Some(i) = rest.find("model::") {
                let tail = &rest[i..];
                if !ALLOWED.iter().any(|a| tail.starts_with(a)) {
                    problems.push(format!(
                        "{}:{}: path into the reference not on the allow-list: {}",
                        f.display(),
                        n + 1,
                        line.trim()
                    ));
                }
                rest = &tail["model::".len()..];
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_itself_catches_a_forbidden_use() {
    // The scanner above must flag these lines; guard against a check that cannot fail.
    let sample = "use crate::model::read::Reader;\nlet o = crate::model::apply(&mut s, &op);\n";
    let flagged = sample
        .lines()
        .filter(|l| FORBIDDEN_NAMES.iter().any(|b| l.contains(b)))
        .count();
    assert_eq!(flagged, 2);
    assert!(!ALLOWED
        .iter()
        .any(|a| "model::condition::eval::eval".starts_with(a)));
}
