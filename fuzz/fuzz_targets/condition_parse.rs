//! Fuzz target: raw bytes → UTF-8 → `parse_condition` never panics, and a parsed condition
//! prints and parses back to itself (`tollgate::fuzzing::condition_parse`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = tollgate::fuzzing::condition_parse(data) {
        panic!("{e}");
    }
});
