//! Replays the committed seed corpora of the `fuzz/` targets through their library functions on
//! stable Rust, plus a deterministic pseudo-random sweep of each target.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use tollgate::fuzzing::{condition_eval, condition_parse};

fn replay(target: &str, f: fn(&[u8]) -> Result<(), String>, min_files: usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let data = std::fs::read(&path).unwrap();
        if let Err(e) = f(&data) {
            panic!("{}: {e}", path.display());
        }
        n += 1;
    }
    assert!(n >= min_files, "{target}: only {n} corpus files");
}

#[test]
fn condition_parse_corpus() {
    replay("condition_parse", condition_parse, 30);
}

#[test]
fn condition_eval_corpus() {
    replay("condition_eval", condition_eval, 15);
}

/// A small xorshift generator, so the sweep is the same on every run.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn condition_eval_sweep() {
    for seed in 0..3000u64 {
        let data = bytes(seed, 64 + (seed as usize % 400));
        if let Err(e) = condition_eval(&data) {
            panic!("seed {seed}: {e}");
        }
    }
}

#[test]
fn condition_parse_sweep() {
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"title\"",
        "\"AND\"",
        "\"NOT\"",
        "\"views_gt\"",
        "1",
        "null",
        "\"x\"",
        "\"author\"",
        "\"tags_some\"",
        "\"title_not_in\"",
        "{}",
        "1.5",
        " ",
    ];
    for seed in 0..3000u64 {
        let raw = bytes(seed, 24);
        let text: String = raw
            .iter()
            .map(|b| pieces[*b as usize % pieces.len()])
            .collect();
        if let Err(e) = condition_parse(text.as_bytes()) {
            panic!("{text}: {e}");
        }
        condition_parse(&raw).unwrap();
    }
}
