//! The campaign's own check of the faithful sandbox: generated cases (three seeds, two presets,
//! both profiles: `hygraph-legacy` projects are loaded with their own page sizes)
//! run by the real campaign (`run::campaign` with the generator as its case source, creates,
//! `{{created:K}}` placeholders and id pairing included) against the embedded sandbox over
//! HTTP must agree with the reference on every step — no divergence, no unknown outcome, no
//! harness error. Any disagreement here is a bug in the reference, the sandbox or the harness.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use tollgate::gen::GenConfig;
use tollgate::run::source::GenSource;
use tollgate::run::{campaign, CampaignConfig, Runner};
use tollgate::sandbox::server::{start, Config};
use tollgate::target::http_client;
use tollgate::target::sandbox::SandboxAdmin;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_cases_agree_with_the_faithful_sandbox() {
    let server = start(Config::default()).await.unwrap();
    let admin = SandboxAdmin::new(http_client().unwrap(), server.url(), server.admin_secret());
    let runner = Arc::new(Runner::new(admin));
    let mut total = 0;
    for (seed, gen, cases) in [
        (1, GenConfig::default(), 25),
        (2, GenConfig::small(), 40),
        (3, GenConfig::small().with_profile("hygraph-legacy"), 25),
    ] {
        let mut config = CampaignConfig::new(seed);
        config.cases = Some(cases);
        config.jobs = 2;
        config.out = None;
        config.profile = gen.profile.clone();
        let result = campaign(
            Arc::clone(&runner),
            Arc::new(GenSource::new(seed, gen)),
            config,
            |_| {},
        )
        .await;
        let r = &result.report;
        assert!(
            result.harness_errors.is_empty(),
            "{:?}",
            result.harness_errors
        );
        assert_eq!(
            (r.verdicts.differ, r.verdicts.unknown),
            (0, 0),
            "seed {seed}: {}",
            tollgate::report::human(r)
        );
        assert_eq!(r.cases, cases);
        total += r.verdicts.agree;
    }
    println!("{total} generated operations agree");
    assert!(total > 1000, "{total}");
    server.shutdown().await.unwrap();
}
