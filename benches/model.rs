//! Criterion benchmarks of the reference model (placeholder until the model lands).

fn main() {}
