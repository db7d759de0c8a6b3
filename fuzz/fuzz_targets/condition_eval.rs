//! Fuzz target: structured input (content, a condition, the document tested, stage, locale)
//! decoded from the bytes by `tollgate::fuzzing::condition_eval`, which checks that `eval`
//! never panics and agrees with the slow reference evaluator.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = tollgate::fuzzing::condition_eval(data) {
        panic!("{e}");
    }
});
