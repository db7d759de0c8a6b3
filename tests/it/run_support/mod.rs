//! Helpers shared by the runner tests: cases made from the scenario files (a scenario's
//! environments and loaded operations, its expectations dropped) and an embedded sandbox.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use tollgate::case::Case;
use tollgate::sandbox::faults::Faults;
use tollgate::sandbox::server::{start, Config, Running};
use tollgate::scenario::load::{load_file, Loaded, DEFAULT_PROFILE};
use tollgate::target::http_client;
use tollgate::target::sandbox::SandboxAdmin;

/// The scenario files, in name order.
pub fn scenario_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// The scenario file whose name starts with `prefix` (`"058"`).
pub fn scenario(prefix: &str) -> Loaded {
    let file = scenario_files()
        .into_iter()
        .find(|f| {
            f.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no scenario {prefix}"));
    load_file(&file).unwrap()
}

/// The case a loaded scenario stands for: its environments and operations.
pub fn case_of(loaded: &Loaded) -> Case {
    Case {
        profile: loaded
            .scenario
            .profile
            .clone()
            .unwrap_or_else(|| DEFAULT_PROFILE.to_string()),
        environments: loaded.scenario.environments.clone(),
        steps: loaded.operations.clone(),
    }
}

/// An embedded sandbox with these faults, and the admin client of it.
pub async fn sandbox(faults: Faults) -> (Running, SandboxAdmin) {
    let server = start(Config {
        faults,
        ..Config::default()
    })
    .await
    .unwrap();
    let admin = SandboxAdmin::new(http_client().unwrap(), server.url(), server.admin_secret());
    (server, admin)
}
