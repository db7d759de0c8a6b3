//! What the generators cover, counted from the generated data over many cases: every field
//! type and relation shape, every action and grant scope, every operator family, every
//! operation kind and argument, every token form; and that the reference's outcomes over
//! generated cases are not degenerate (a healthy mix of 200s with data, 403s, 400s, 401s).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value as Json;
use tollgate::case::{placeholder_index, substitute, Case};
use tollgate::gen::{generate, GenConfig};
use tollgate::model::grant::GrantSpec;
use tollgate::model::{apply, State};
use tollgate::op::{
    Credential, Manage, Method, Operation, OperationType, Outcome, Request, Selection, TokenForm,
};

fn cases(seed: u64, n: u64, cfg: &GenConfig) -> Vec<Case> {
    (0..n)
        .map(|i| generate(seed, i, cfg).unwrap().case)
        .collect()
}

/// Counts of named features.
#[derive(Default)]
struct Seen(BTreeMap<String, usize>);

impl Seen {
    fn add(&mut self, what: impl Into<String>) {
        *self.0.entry(what.into()).or_default() += 1;
    }

    fn missing<'a>(&self, wanted: &[&'a str]) -> Vec<&'a str> {
        wanted
            .iter()
            .copied()
            .filter(|w| !self.0.contains_key(*w))
            .collect()
    }
}

/// The operator family of a `where`/condition key (generated field names have no `_`).
fn key_family(key: &str, value: &Json) -> String {
    match key {
        "AND" | "OR" | "NOT" => key.to_string(),
        _ => match key.split_once('_') {
            Some((_, suffix)) => format!("_{suffix}"),
            None if value.is_object() => "relation".into(),
            None if value.is_null() => "eq null".into(),
            None => "eq".into(),
        },
    }
}

/// Counts the operator families of a filter (`prefix` tells conditions from `where`s).
fn filter_families(w: &Json, seen: &mut Seen, prefix: &str) {
    let Json::Object(m) = w else { return };
    for (k, v) in m {
        seen.add(format!("{prefix}{}", key_family(k, v)));
        match v {
            Json::Object(_) => filter_families(v, seen, prefix),
            Json::Array(items) if matches!(k.as_str(), "AND" | "OR" | "NOT") => {
                if items.is_empty() {
                    seen.add(format!("{prefix}{k} []"));
                }
                items.iter().for_each(|x| filter_families(x, seen, prefix));
            }
            _ => {}
        }
    }
}

fn grant_features(g: &GrantSpec, seen: &mut Seen) {
    seen.add(format!("action {}", g.action.name()));
    seen.add(if g.model.is_some() {
        "grant model"
    } else {
        "grant all models"
    });
    if !g.enabled {
        seen.add("grant disabled");
    }
    for (name, list) in [
        ("locales", &g.locales),
        ("stages", &g.stages),
        ("fromStages", &g.from_stages),
        ("toStages", &g.to_stages),
    ] {
        match list {
            Some(l) if l.is_empty() => seen.add(format!("grant {name} []")),
            Some(_) => seen.add(format!("grant {name} list")),
            None => {}
        }
    }
    if let Some(c) = &g.condition {
        seen.add("grant condition");
        if let Ok(w) = serde_json::from_str::<Json>(c) {
            filter_families(&w, seen, "condition ");
        }
    }
}

fn selection_features(s: &Selection, depth: usize, seen: &mut Seen) {
    if s.alias.is_some() {
        seen.add("alias");
    }
    match s.name.as_str() {
        "__typename" => seen.add("__typename"),
        "documentInStages" => {
            seen.add("documentInStages");
            if s.args
                .get("stages")
                .is_some_and(|v| v == &Json::Array(vec![]))
            {
                seen.add("documentInStages []");
            }
            if s.args.contains_key("includeCurrent") {
                seen.add("includeCurrent");
            }
        }
        "aggregate" => seen.add("count"),
        "edges" => seen.add("edges"),
        _ => {}
    }
    // A field with its own selection below an entry: a relation (not edges/node/aggregate).
    if depth > 0
        && !s.selection.is_empty()
        && !matches!(
            s.name.as_str(),
            "edges" | "node" | "aggregate" | "documentInStages"
        )
    {
        seen.add("relation selection");
        if depth > 1 {
            seen.add("nested relation selection");
        }
        for a in s.args.keys() {
            seen.add(format!("relation arg {a}"));
        }
        if s.args.get("locales").is_some_and(Json::is_null) {
            seen.add("relation locales null");
        }
    }
    if let Some(w) = s.args.get("where") {
        filter_families(w, seen, "");
    }
    for c in &s.selection {
        let d = if matches!(s.name.as_str(), "edges") {
            depth
        } else {
            depth + 1
        };
        selection_features(c, d, seen);
    }
}

fn has_placeholder(v: &Json) -> bool {
    match v {
        Json::String(s) => placeholder_index(s).is_some(),
        Json::Array(a) => a.iter().any(has_placeholder),
        Json::Object(m) => m.values().any(has_placeholder),
        _ => false,
    }
}

fn request_features(r: &Request, seen: &mut Seen) {
    match &r.credential {
        Credential::Public => seen.add("public"),
        Credential::Header { .. } => seen.add("raw Authorization header"),
        Credential::Token { form, scheme, .. } => {
            seen.add(match form {
                TokenForm::Valid => "token valid",
                TokenForm::Reencoded => "token reencoded",
                TokenForm::Tampered => "token tampered",
                TokenForm::OtherKey => "token other_key",
                TokenForm::Malformed => "token malformed",
                TokenForm::Audience(_) => "token audience",
            });
            if scheme != "Bearer" {
                seen.add("scheme not Bearer");
            }
        }
    }
    if !r.stage_header.is_empty() {
        seen.add("gcms-stage header");
    }
    if !r.locales_header.is_empty() {
        seen.add("gcms-locales header");
    }
    if r.method == Method::Get {
        seen.add("GET");
    }
    if r.environment.is_some() {
        seen.add("other environment");
    }
    if r.project.is_some() {
        seen.add("other project");
    }
    if r.operation == OperationType::Mutation && r.fields.len() == 2 {
        seen.add("mutation batch");
    }
    for f in &r.fields {
        let kind = ["create", "update", "delete", "publish", "unpublish"]
            .into_iter()
            .find(|k| r.operation == OperationType::Mutation && f.name.starts_with(k));
        match kind {
            Some(k) => seen.add(format!("mutation {k}")),
            None if f.name.ends_with("Connection") => seen.add("root connection"),
            None if f.name == "__typename" => seen.add("root __typename"),
            None if f.name == "__schema" || f.name == "__type" => seen.add("introspection"),
            None if f.args.get("where").is_some_and(|w| {
                w.get("id").is_some() && w.as_object().is_some_and(|m| m.len() == 1)
            }) && !f.name.ends_with('s') =>
            {
                seen.add("root single")
            }
            None => seen.add("root list"),
        }
        for a in [
            "stage", "locales", "orderBy", "first", "skip", "where", "to", "from",
        ] {
            if let Some(v) = f.args.get(a) {
                seen.add(format!("arg {a}"));
                if matches!(a, "first" | "skip") {
                    seen.add(format!("{a} {v}"));
                }
            }
        }
        if r.operation == OperationType::Query
            && !f.args.contains_key("stage")
            && r.stage_header.is_empty()
        {
            seen.add("stage by default");
        }
        if let Some(Json::Object(d)) = f.args.get("data") {
            for (k, v) in d {
                if k == "localizations" {
                    for op in v.as_object().into_iter().flat_map(|m| m.keys()) {
                        seen.add(format!("localizations {op}"));
                    }
                } else if let Some(m) = v.as_object() {
                    for op in m.keys() {
                        seen.add(format!("relation input {op}"));
                    }
                }
            }
        }
        if f.args.values().any(has_placeholder) {
            seen.add("{{created:K}}");
        }
        selection_features(f, 0, seen);
    }
}

fn case_features(c: &Case, seen: &mut Seen) {
    let env = &c.environments[0];
    seen.add(format!("custom stages {}", env.stages.len()));
    seen.add(format!("locales {}", env.locales.len()));
    seen.add(format!("models {}", env.models.len()));
    if c.environments.len() > 1 {
        seen.add("second environment");
    }
    for m in &env.models {
        for f in &m.fields {
            match f.ty.as_str() {
                "String" | "Int" | "Float" | "Boolean" | "DateTime" | "Enum" => {
                    seen.add(format!("type {}", f.ty));
                    if f.localized {
                        seen.add("localized");
                    }
                    if f.required {
                        seen.add("required");
                    }
                }
                _ => {
                    seen.add(if f.list {
                        "list relation"
                    } else {
                        "single relation"
                    });
                    seen.add(if f.reverse.is_some() {
                        "two-way"
                    } else {
                        "one-way"
                    });
                }
            }
        }
    }
    for e in &env.entries {
        if !e.publish.is_empty() {
            seen.add("entry published");
        }
        if !e.stages.is_empty() {
            seen.add("entry own stage document");
        }
        if !e.localizations.is_empty() {
            seen.add("entry localizations");
        }
        if e.data.values().any(Json::is_null) {
            seen.add("null value");
        }
        if e.data.values().any(|v| {
            v.is_array()
                || (v.is_string()
                    && env
                        .entries
                        .iter()
                        .any(|x| Some(x.id.as_str()) == v.as_str()))
        }) {
            seen.add("link");
        }
    }
    if env.public.default_stage.is_some() {
        seen.add("public default stage");
    }
    for g in &env.public.grants {
        seen.add("public grant");
        grant_features(g, seen);
    }
    seen.add(format!("pats {}", env.pats.len()));
    for p in &env.pats {
        if p.revoked {
            seen.add("revoked PAT");
        }
        if let Some(s) = &p.default_stage {
            seen.add(format!("PAT default stage {s}"));
        }
        p.grants.iter().for_each(|g| grant_features(g, seen));
    }
    for op in &c.steps {
        match op {
            Operation::Request(r) => request_features(r, seen),
            Operation::Manage(m) => {
                if let Manage::CreateGrant { grant, .. } = m {
                    grant_features(grant, seen);
                }
                seen.add(match m {
                    Manage::CreateGrant { .. } => "manage create_grant",
                    Manage::SetGrantEnabled { .. } => "manage set_grant_enabled",
                    Manage::DeleteGrant { .. } => "manage delete_grant",
                    Manage::CreatePat { .. } => "manage create_pat",
                    Manage::DeletePat { .. } => "manage delete_pat",
                    Manage::SetDefaultStage { .. } => "manage set_default_stage",
                })
            }
        }
    }
}

#[test]
fn generated_cases_cover_the_contract() {
    let mut seen = Seen::default();
    for c in cases(21, 300, &GenConfig::default()) {
        case_features(&c, &mut seen);
    }
    let wanted = [
        // §1
        "type String",
        "type Int",
        "type Float",
        "type Boolean",
        "type DateTime",
        "type Enum",
        "localized",
        "required",
        "single relation",
        "list relation",
        "one-way",
        "two-way",
        "custom stages 0",
        "custom stages 1",
        "custom stages 2",
        "locales 1",
        "locales 2",
        "locales 3",
        "models 1",
        "models 4",
        "entry published",
        "entry own stage document",
        "entry localizations",
        "null value",
        "link",
        "second environment",
        // §2, §3
        "action READ",
        "action READ_VERSIONS",
        "action CREATE",
        "action UPDATE",
        "action DELETE",
        "action PUBLISH",
        "action UNPUBLISH",
        "grant model",
        "grant all models",
        "grant disabled",
        "grant locales []",
        "grant locales list",
        "grant stages []",
        "grant stages list",
        "grant fromStages list",
        "grant toStages list",
        "grant toStages []",
        "grant condition",
        "public grant",
        "public default stage",
        "pats 1",
        "pats 4",
        "revoked PAT",
        "PAT default stage DRAFT",
        "PAT default stage PUBLISHED",
        // §5 operator families (conditions and `where`)
        "eq",
        "eq null",
        "_not",
        "_in",
        "_not_in",
        "_contains",
        "_not_contains",
        "_starts_with",
        "_not_starts_with",
        "_ends_with",
        "_not_ends_with",
        "_lt",
        "_lte",
        "_gt",
        "_gte",
        "relation",
        "_some",
        "_every",
        "_none",
        "AND",
        "OR",
        "NOT",
        "AND []",
        // the same in grant conditions (PERM-3)
        "condition eq",
        "condition eq null",
        "condition _not",
        "condition _in",
        "condition _not_in",
        "condition _contains",
        "condition _not_contains",
        "condition _starts_with",
        "condition _not_starts_with",
        "condition _ends_with",
        "condition _not_ends_with",
        "condition _lt",
        "condition _lte",
        "condition _gt",
        "condition _gte",
        "condition relation",
        "condition _some",
        "condition _every",
        "condition _none",
        "condition AND",
        "condition OR",
        "condition NOT",
        // reads
        "root list",
        "root single",
        "root connection",
        "root __typename",
        "count",
        "edges",
        "documentInStages",
        "documentInStages []",
        "includeCurrent",
        "__typename",
        "alias",
        "relation selection",
        "nested relation selection",
        "relation arg where",
        "relation arg orderBy",
        "relation arg first",
        "relation arg skip",
        "relation arg locales",
        "relation locales null",
        "arg stage",
        "arg locales",
        "arg orderBy",
        "arg first",
        "arg skip",
        "arg where",
        "first 0",
        "first 100",
        "first 101",
        "first -1",
        "skip -1",
        "stage by default",
        "gcms-stage header",
        "gcms-locales header",
        "GET",
        // writes
        "mutation create",
        "mutation update",
        "mutation delete",
        "mutation publish",
        "mutation unpublish",
        "mutation batch",
        "arg to",
        "arg from",
        "{{created:K}}",
        "localizations create",
        "localizations update",
        "localizations upsert",
        "localizations delete",
        "relation input connect",
        "relation input disconnect",
        "relation input set",
        // principals and tokens
        "public",
        "raw Authorization header",
        "token valid",
        "token reencoded",
        "token tampered",
        "token other_key",
        "token malformed",
        "token audience",
        "scheme not Bearer",
        "other environment",
        "other project",
        // provisioning
        "manage create_grant",
        "manage set_grant_enabled",
        "manage delete_grant",
        "manage create_pat",
        "manage delete_pat",
        "manage set_default_stage",
    ];
    let report: Vec<String> = seen.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    println!("features over 300 cases:\n  {}", report.join("\n  "));
    let missing = seen.missing(&wanted);
    assert!(missing.is_empty(), "never generated: {missing:?}");
}

/// The ids of entries the reference created during a run, in creation order.
fn record_created(state: &State, known: &mut HashSet<String>, created: &mut Vec<String>) {
    let mut fresh: Vec<(u64, String)> = state.environments[0]
        .content
        .entries
        .iter()
        .filter(|e| !known.contains(&e.id))
        .map(|e| (e.order, e.id.clone()))
        .collect();
    fresh.sort();
    for (_, id) in fresh {
        known.insert(id.clone());
        created.push(id);
    }
}

/// Whether a 200's data holds something: an entry, a non-empty list, a non-zero count.
fn non_empty(data: &Json) -> bool {
    fn holds(v: &Json) -> bool {
        match v {
            Json::Array(a) => !a.is_empty(),
            Json::Object(m) if m.contains_key("aggregate") || m.contains_key("edges") => {
                m.get("edges").is_some_and(holds)
                    || m.get("aggregate")
                        .and_then(|a| a.get("count"))
                        .and_then(Json::as_u64)
                        .is_some_and(|n| n > 0)
            }
            Json::Object(_) => true,
            _ => false,
        }
    }
    data.as_object().is_some_and(|m| m.values().any(holds))
}

#[test]
fn the_reference_outcomes_of_generated_cases_are_a_healthy_mix() {
    let mut mix: BTreeMap<&str, usize> = BTreeMap::new();
    let mut requests = 0usize;
    let mut steps = 0usize;
    let mut rules: BTreeSet<String> = BTreeSet::new();
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for c in cases(23, 150, &GenConfig::default()) {
        let mut state = c.reference_state().unwrap();
        let mut known: HashSet<String> = state.environments[0]
            .content
            .entries
            .iter()
            .map(|e| e.id.clone())
            .collect();
        let mut created = Vec::new();
        for op in &c.steps {
            let op = substitute(op, &created);
            let out = apply(&mut state, &op);
            record_created(&state, &mut known, &mut created);
            steps += 1;
            if matches!(op, Operation::Request(_)) {
                requests += 1;
            }
            if let Some(r) = out.rule() {
                rules.insert(r.to_string());
                *by_rule.entry(format!("{} {r}", out.status())).or_default() += 1;
            }
            let kind = match &out {
                Outcome::Ok { data } if non_empty(data) => "200 with data",
                Outcome::Ok { .. } => "200 empty",
                Outcome::Introspection => "200 introspection",
                Outcome::Denied { .. } => "403",
                Outcome::Invalid { .. } => "400",
                Outcome::Unauthenticated { .. } => "401",
                Outcome::NotFound => "404",
                Outcome::TooLarge => "413",
                Outcome::Provisioned => "provisioned",
                Outcome::Refused { .. } => "refused",
                Outcome::Indeterminate { .. } => "indeterminate",
            };
            *mix.entry(kind).or_default() += 1;
        }
    }
    let share = |k: &str| mix.get(k).copied().unwrap_or(0) as f64 / requests as f64;
    println!("outcome mix over {steps} steps ({requests} requests):");
    for (k, v) in &mix {
        println!(
            "  {k:>18}: {v:>5} ({:.1} % of requests)",
            100.0 * *v as f64 / requests as f64
        );
    }
    println!("rule ids decided: {rules:?}");
    println!("by status and rule: {by_rule:?}");
    assert!(
        share("200 with data") > 0.2,
        "too few successful reads with data"
    );
    assert!(share("200 empty") > 0.05, "too few empty answers");
    assert!(share("403") > 0.05, "too few denials");
    assert!(share("400") > 0.03, "too few validation errors");
    assert!(share("401") > 0.03, "too few authentication failures");
    assert!(share("403") < 0.5 && share("401") < 0.3 && share("400") < 0.3);
    assert!(
        mix.get("refused").is_some_and(|n| *n > 10),
        "too few PERM-4 refusals"
    );
    assert!(mix.get("provisioned").is_some_and(|n| *n > 50));
    assert!(
        mix.get("413").is_some_and(|n| *n > 0),
        "no body over ERR-3's limit"
    );
    // Many of the rules are exercised, not just the common ones.
    for rule in [
        "READ-1", "READ-6", "WRITE-0", "WRITE-1", "WRITE-2", "WRITE-3", "WRITE-4", "WRITE-5",
        "WRITE-9", "WRITE-10", "AUTH-2", "AUTH-3", "PERM-4", "CTX-1", "CTX-2", "CTX-3", "LIMIT-1",
        "DATA-1", "READ-3",
    ] {
        assert!(rules.contains(rule), "no outcome decided by {rule}");
    }
}
