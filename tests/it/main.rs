//! tollgate's integration and property tests, in one binary (one link, one process: the
//! architecture's habit 10). Each module is one former test file; the `*_support` and
//! `*_harness` modules are their shared helpers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod run_support;
mod sandbox_http_support;
mod sandbox_read_support;
mod sandbox_write_harness;

mod condition;
mod condition_props;
mod fuzz_corpus;
mod gen;
mod gen_coverage;
mod gen_sandbox;
mod manage_client;
mod model_props;
mod report;
mod run_campaign;
mod run_case;
mod run_faults;
mod run_http;
mod run_shrink;
mod sandbox_http;
mod sandbox_http_admin;
mod sandbox_http_behaviour;
mod sandbox_independence;
mod sandbox_read;
mod sandbox_read_back;
mod sandbox_read_checks;
mod sandbox_read_faults;
mod sandbox_read_relations;
mod sandbox_read_stages;
mod sandbox_scenarios;
mod sandbox_sql;
mod sandbox_visibility;
mod sandbox_write;
mod sandbox_write_faults;
mod sandbox_write_props;
mod sandbox_write_scenarios;
mod scenarios;
mod score;
