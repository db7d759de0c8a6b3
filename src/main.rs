//! The `tollgate` command line (filled in by the CLI work).
fn main() {}
