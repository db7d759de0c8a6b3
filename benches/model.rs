//! Benchmarks of the reference model: condition evaluation, read visibility over 10 000
//! entries under 8 grants with depth-3 conditions, a whole list query, and a mutation.
//!
//! Run with `cargo bench --bench model`; criterion prints time per iteration and, where a
//! throughput is set, elements (visibility decisions) per second.

use criterion::{black_box, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::json;
use tollgate::model::condition::{eval, EvalCtx};
use tollgate::model::profile::{NullLogic, Profile};
use tollgate::model::read::{read_grants, Reader};
use tollgate::model::spec::EnvSpec;
use tollgate::model::{apply, State};
use tollgate::op::{Credential, Operation, OperationType, Request, Selection};

const ENTRIES: usize = 10_000;

/// Eight READ grants on `Post` whose conditions have depth 3 and test scalars only: an `OR`
/// of two `AND`s and an `id_in`.
fn scalar_grants() -> Vec<serde_json::Value> {
    (0..8)
        .map(|i| {
            let cond = json!({
                "OR": [
                    {"AND": [{"views_gt": 9_000 + i * 100}, {"title_contains": format!("t{i}")}]},
                    {"AND": [{"status": "LIVE"}, {"score_lt": (i as f64) * 0.01}]},
                    {"id_in": [format!("p{}", i * 7), format!("p{}", i * 13)]}
                ]
            });
            json!({"action": "READ", "model": "Post", "condition": cond.to_string(),
                   "stages": ["PUBLISHED", "DRAFT"], "locales": ["en", "de"]})
        })
        .collect()
}

/// Eight READ grants on `Post`, each with a condition of depth 3 (top object, an `OR`
/// element, an `AND` element or a relation operand) that follows the `author` relation.
fn grants() -> Vec<serde_json::Value> {
    (0..8)
        .map(|i| {
            let cond = json!({
                "OR": [
                    {"AND": [{"views_gt": 9_000 + i * 100}, {"title_contains": format!("t{i}")}]},
                    {"author": {"name_in": [format!("author-{i}"), format!("author-{}", i + 40)]}},
                    {"status": "LIVE", "score_lt": (i as f64) * 0.01}
                ]
            });
            json!({"action": "READ", "model": "Post", "condition": cond.to_string(),
                   "stages": ["PUBLISHED", "DRAFT"], "locales": ["en", "de"]})
        })
        .collect()
}

fn env_spec(entries: usize) -> EnvSpec {
    let authors: Vec<serde_json::Value> = (0..50)
        .map(|a| json!({"model": "Author", "id": format!("a{a}"), "data": {"name": format!("author-{a}")}, "publish": ["PUBLISHED"]}))
        .collect();
    let posts: Vec<serde_json::Value> = (0..entries)
        .map(|n| {
            let status = ["DRAFTY", "LIVE", "OLD"][n % 3];
            json!({"model": "Post", "id": format!("p{n}"),
                   "data": {"title": format!("t{} post {n}", n % 11), "views": (n * 7919) % 10_000,
                            "score": ((n * 31) % 100) as f64 / 100.0, "status": status,
                            "author": format!("a{}", n % 50)},
                   "localizations": {"de": {"title": format!("de {n}")}},
                   "publish": ["PUBLISHED"]})
        })
        .collect();
    let mut all = authors;
    all.extend(posts);
    let spec = json!({
        "name": "master",
        "locales": ["en", "de"],
        "models": [
            {"name": "Author", "fields": [{"name": "name", "type": "String"}]},
            {"name": "Post", "fields": [
                {"name": "title", "type": "String", "localized": true},
                {"name": "views", "type": "Int"},
                {"name": "score", "type": "Float"},
                {"name": "status", "type": "Enum", "values": ["DRAFTY", "LIVE", "OLD"]},
                {"name": "author", "type": "Author", "reverse": "posts"}
            ]}
        ],
        "entries": all,
        "pats": [{"name": "reader", "grants": grants()},
                 {"name": "scalar", "grants": scalar_grants()},
                 {"name": "editor", "grants": [{"action": "READ"}, {"action": "UPDATE", "model": "Post",
                    "condition": "{\"OR\":[{\"views_gte\":0},{\"author\":{\"name_starts_with\":\"author\"}}]}"}]}]
    });
    match serde_json::from_value(spec) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench spec does not deserialize: {e}");
            std::process::exit(2);
        }
    }
}

fn state(entries: usize) -> State {
    match State::load("bench", &[env_spec(entries)], Profile::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench state does not load: {e}");
            std::process::exit(2);
        }
    }
}

fn bench(c: &mut Criterion) {
    let st = state(ENTRIES);
    let env = &st.environments[0];
    let pat = env
        .pat("reader")
        .map(|p| p.grants.clone())
        .unwrap_or_default();
    let post = env.schema.model("Post").unwrap_or(1);

    // One depth-3 condition on one document.
    let cond = pat[3].condition.clone();
    let entry = &env.content.entries[100];
    let doc = entry.document(1);
    let ctx = EvalCtx {
        schema: &env.schema,
        content: &env.content,
        stage: 1,
        locale: 0,
        null_logic: NullLogic::TwoValued,
    };
    if let (Some(cond), Some(doc)) = (cond, doc) {
        c.bench_function("condition_eval/depth3", |b| {
            b.iter(|| eval(black_box(&cond), &ctx, entry, doc))
        });
    }

    // READ-2 visibility of every Post in PUBLISHED under 8 conditional grants.
    let rg = read_grants(&pat);
    let reader = Reader {
        schema: &env.schema,
        content: &env.content,
        grants: &rg,
        profile: &st.profile,
    };
    let posts: Vec<_> = env
        .content
        .of_model(post)
        .filter_map(|e| e.document(1).map(|d| (e, d)))
        .collect();
    let scalar = env
        .pat("scalar")
        .map(|p| p.grants.clone())
        .unwrap_or_default();
    let sg = read_grants(&scalar);
    let scalar_reader = Reader {
        grants: &sg,
        ..reader
    };
    let mut g = c.benchmark_group("visibility");
    g.throughput(Throughput::Elements(posts.len() as u64));
    g.bench_function("10k_entries_8_grants_depth3_relation", |b| {
        b.iter(|| {
            posts
                .iter()
                .filter(|(e, d)| reader.visible(e, d, 1, &[1, 0]).is_some())
                .count()
        })
    });
    g.bench_function("10k_entries_8_grants_depth3_scalar", |b| {
        b.iter(|| {
            posts
                .iter()
                .filter(|(e, d)| scalar_reader.visible(e, d, 1, &[1, 0]).is_some())
                .count()
        })
    });
    g.finish();

    // A whole list query through `apply` (plan, READ-1, visibility, sort, page, render).
    let list = Operation::Request(Request {
        credential: Credential::Token {
            pat: "reader".into(),
            form: Default::default(),
            scheme: "Bearer".into(),
        },
        operation: OperationType::Query,
        fields: vec![Selection {
            name: "posts".into(),
            args: json!({"first": 100, "orderBy": "views_DESC", "locales": ["de", "en"]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            selection: vec![
                Selection {
                    name: "id".into(),
                    ..Default::default()
                },
                Selection {
                    name: "title".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        ..Default::default()
    });
    let mut read_state = st.clone();
    let mut g = c.benchmark_group("query");
    g.throughput(Throughput::Elements(ENTRIES as u64));
    g.bench_function("posts_first100_orderBy_10k", |b| {
        b.iter(|| apply(&mut read_state, black_box(&list)))
    });
    g.finish();

    // A conditional update (WRITE-2) on a state of 1 000 entries.
    let small = state(1_000);
    let update = Operation::Request(Request {
        credential: Credential::Token {
            pat: "editor".into(),
            form: Default::default(),
            scheme: "Bearer".into(),
        },
        operation: OperationType::Mutation,
        fields: vec![Selection {
            name: "updatePost".into(),
            args: json!({"where": {"id": "p10"}, "data": {"views": 5, "title": "x"}})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            selection: vec![Selection {
                name: "views".into(),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    });
    c.bench_function("mutation/update_1k_entries", |b| {
        b.iter_batched(
            || small.clone(),
            |mut s| apply(&mut s, black_box(&update)),
            BatchSize::LargeInput,
        )
    });
}

#[allow(missing_docs)]
mod group {
    use super::bench;
    criterion::criterion_group!(benches, bench);
}
criterion_main!(group::benches);
