//! Benchmarks of the differential campaign (issue 4, item 9), against the embedded sandbox on
//! 127.0.0.1. Criterion prints time per iteration and operations (steps) per second:
//!
//! - `differential/case`: one generated case run end to end by the runner — provisioning a
//!   fresh project, every step on the reference and over HTTP on the sandbox, decoding,
//!   normalizing and comparing, dropping the project: the campaign's rate per worker;
//! - `raw_http/case`: the same case's requests, already encoded, sent by a plain reqwest loop
//!   (no reference, no decoding, no comparison) to a project provisioned once: what the
//!   sandbox itself can answer;
//! - `harness/generate`, `harness/reference`, `harness/compare`: the harness's own time per case
//!   for generating it, running it on the reference, and normalizing and comparing a run's
//!   outcomes — generation must not dominate.
//!
//! Run with `cargo bench --bench campaign`.

use std::sync::Arc;

use criterion::{black_box, criterion_main, Criterion, Throughput};
use tokio::runtime::Runtime;

use tollgate::case::{substitute, Case};
use tollgate::compare::{compare, Mode};
use tollgate::gen::{generate, GenConfig};
use tollgate::model::apply;
use tollgate::model::profile::Profile;
use tollgate::normalize::Normalizer;
use tollgate::op::{Operation, Outcome};
use tollgate::run::Runner;
use tollgate::sandbox::server::{start, Config, Running};
use tollgate::target::http::{RetryPolicy, Session, WireRequest};
use tollgate::target::http_client;
use tollgate::target::sandbox::SandboxAdmin;
use tollgate::wire::Envelope;

const SEED: u64 = 1;
const CASES: u64 = 8;

fn cases() -> Vec<Case> {
    (0..CASES)
        .filter_map(|i| generate(SEED, i, &GenConfig::default()).ok())
        .map(|g| g.case)
        .collect()
}

fn steps(cases: &[Case]) -> u64 {
    cases.iter().map(|c| c.steps.len() as u64).sum()
}

fn sandbox(rt: &Runtime) -> Option<(Running, SandboxAdmin)> {
    rt.block_on(async {
        let s = start(Config::default()).await.ok()?;
        let admin = SandboxAdmin::new(http_client().ok()?, s.url(), s.admin_secret());
        Some((s, admin))
    })
}

/// One request of the raw loop: URL, headers and envelope, fixed in advance.
struct Raw {
    url: String,
    headers: Vec<(String, String)>,
    envelope: Envelope,
}

/// Provisions each case once and encodes its requests (credentials resolved to headers).
fn raw_requests(rt: &Runtime, admin: &SandboxAdmin, cases: &[Case]) -> Vec<Raw> {
    rt.block_on(async {
        let mut out = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let Ok(encoders) = case.encoders() else {
                continue;
            };
            let project = format!("raw-{i}");
            let Ok(session) = Session::provision(
                admin,
                &project,
                "project",
                &case.environments,
                &Profile::default(),
                RetryPolicy::default(),
            )
            .await
            else {
                continue;
            };
            for (k, op) in case.steps.iter().enumerate() {
                let Operation::Request(r) = op else { continue };
                let Ok(Some(text)) = case.query_text(&encoders, k) else {
                    continue;
                };
                let w = WireRequest::from_request(r, text);
                let Ok(auth) = session.authorization(&w.credential).await else {
                    continue;
                };
                let mut headers = w.headers.clone();
                headers.extend(auth.into_iter().map(|v| ("authorization".to_string(), v)));
                out.push(Raw {
                    url: session.url(&w),
                    headers,
                    envelope: w.envelope(),
                });
            }
        }
        out
    })
}

async fn send_raw(http: &reqwest::Client, r: &Raw) -> usize {
    let mut req = match &r.envelope {
        Envelope::Post(body) => http
            .post(&r.url)
            .header("content-type", "application/json")
            .body(body.clone()),
        Envelope::Get(q) => http.get(format!("{}?{q}", r.url)),
    };
    for (k, v) in &r.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    match req.send().await {
        Ok(resp) => resp.bytes().await.map_or(0, |b| b.len()),
        Err(_) => 0,
    }
}

/// The reference's outcomes of a case, placeholders substituted by its own created ids.
fn reference_outcomes(case: &Case) -> Vec<Outcome> {
    let Ok(mut state) = case.reference_state() else {
        return Vec::new();
    };
    let mut created: Vec<String> = Vec::new();
    let mut seen: usize = state
        .environments
        .first()
        .map_or(0, |e| e.content.entries.len());
    let loaded_orders: u64 = state
        .environments
        .first()
        .map_or(0, |e| e.content.next_order);
    let mut out = Vec::with_capacity(case.steps.len());
    for op in &case.steps {
        out.push(apply(&mut state, &substitute(op, &created)));
        if let Some(e) = state.environments.first() {
            if e.content.entries.len() != seen {
                seen = e.content.entries.len();
                created = e
                    .content
                    .entries
                    .iter()
                    .filter(|x| x.order >= loaded_orders)
                    .map(|x| x.id.clone())
                    .collect();
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let Ok(rt) = Runtime::new() else {
        eprintln!("campaign bench: no tokio runtime");
        return;
    };
    let cases = cases();
    let ops = steps(&cases);
    let Some((server, admin)) = sandbox(&rt) else {
        eprintln!("campaign bench: the sandbox did not start");
        return;
    };
    let runner = Arc::new(Runner::new(admin.clone()));

    let mut g = c.benchmark_group("differential");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ops));
    g.bench_function("case", |b| {
        b.iter(|| {
            rt.block_on(async {
                for case in &cases {
                    black_box(runner.run_case(case).await.ok());
                }
            })
        })
    });
    g.finish();

    let raw = raw_requests(&rt, &admin, &cases);
    let http = http_client().ok();
    if let Some(http) = http {
        let mut g = c.benchmark_group("raw_http");
        g.sample_size(10);
        g.throughput(Throughput::Elements(raw.len() as u64));
        g.bench_function("case", |b| {
            b.iter(|| {
                rt.block_on(async {
                    for r in &raw {
                        black_box(send_raw(&http, r).await);
                    }
                })
            })
        });
        g.finish();
    }

    let mut g = c.benchmark_group("harness");
    g.throughput(Throughput::Elements(ops));
    g.bench_function("generate", |b| {
        b.iter(|| {
            for i in 0..CASES {
                black_box(generate(SEED, i, &GenConfig::default()).ok());
            }
        })
    });
    g.bench_function("reference", |b| {
        b.iter(|| {
            for case in &cases {
                black_box(reference_outcomes(case));
            }
        })
    });
    // Comparing: the reference's outcomes against themselves, normalized as the runner does.
    let outcomes: Vec<(Case, Vec<Outcome>)> = cases
        .iter()
        .map(|c| (c.clone(), reference_outcomes(c)))
        .collect();
    g.bench_function("compare", |b| {
        b.iter(|| {
            for (case, outs) in &outcomes {
                let n = Normalizer::new(10, 0);
                for (op, o) in case.steps.iter().zip(outs) {
                    let v = match op {
                        Operation::Request(r) => compare(
                            &n.outcome(r, o, false),
                            &n.outcome(r, o, true),
                            Mode::Target,
                        ),
                        Operation::Manage(_) => compare(o, o, Mode::Target),
                    };
                    black_box(v);
                }
            }
        })
    });
    g.finish();
    let _ = rt.block_on(server.shutdown());
}

fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
