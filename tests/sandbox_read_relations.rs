//! The sandbox's reads (`sandbox::read::execute_query`) against the reference on generated
//! cases: random content over Post (localized title, single `author`, list `tags`), Author and
//! Tag (reverse fields `posts`), with documents in DRAFT, PUBLISHED and QA, some links dangling
//! in a stage (DATA-4); random READ grants for the public principal and a PAT (model, stage and
//! locale lists, conditions, disabled ones); and random queries: root lists, single entries and
//! connections with `stage`, `locales`, `where`, `orderBy`, `first`, `skip`, nested single,
//! list and reverse relation fields with their own `locales`, `where`, `orderBy` and paging
//! (READ-6, READ-9, CTX-4), `documentInStages` (READ-7), aliases, `gcms-*` headers, and now
//! and then an argument that step 5 refuses (READ-3, READ-9, CTX-2, WHERE-1) next to a field
//! the principal may not read (ERR-1: the 400 wins). Both sides must give the same `data`, the
//! same 403 paths in the same order, or both a 400.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_read_support;

use proptest::prelude::*;
use serde_json::{json, Value as J};
use tollgate::fuzzing::{gen_where, Bytes};
use tollgate::model::grant::{Action, GrantSpec};
use tollgate::model::project::Schema;
use tollgate::model::spec::{DocSpec, EntrySpec, EnvSpec, PatSpec};

use sandbox_read_support::{Answer, Ask, Both, Who};

const MODELS: &str = r#"
stages: [QA]
locales: [en, de, fr]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: views, type: Int}
      - {name: author, type: Author, reverse: posts}
      - {name: tags, type: Tag, list: true, reverse: posts}
  - name: Author
    fields:
      - {name: name, type: String}
      - {name: age, type: Int}
  - name: Tag
    fields:
      - {name: label, type: String, localized: true}
"#;

const STAGES: [&str; 3] = ["DRAFT", "PUBLISHED", "QA"];
const LOCALES: [&str; 3] = ["en", "de", "fr"];
const MODEL_NAMES: [&str; 3] = ["Post", "Author", "Tag"];
const LISTS: [&[&str]; 8] = [
    &["en"],
    &["de"],
    &["fr"],
    &["de", "en"],
    &["fr", "de"],
    &["de", "fr", "en"],
    &["en", "fr"],
    &["fr", "en", "de"],
];
const STRINGS: [&str; 5] = ["", "a", "ab", "A", "é"];
const INTS: [i64; 4] = [-1, 0, 1, 2];
const PLAN: [(&str, &str); 9] = [
    ("Post", "p0"),
    ("Post", "p1"),
    ("Post", "p2"),
    ("Post", "p3"),
    ("Author", "a0"),
    ("Author", "a1"),
    ("Tag", "t0"),
    ("Tag", "t1"),
    ("Tag", "t2"),
];

fn pick<T: Copy>(b: &mut Bytes<'_>, items: &[T]) -> T {
    items[b.below(items.len())]
}

fn value(b: &mut Bytes<'_>, ty: &str) -> Option<J> {
    match b.below(6) {
        0 => None,
        1 => Some(J::Null),
        _ if ty == "Int" => Some(json!(pick(b, &INTS))),
        _ => Some(json!(pick(b, &STRINGS))),
    }
}

/// A random document of `model`: values, links (dangling ones come from targets without a
/// document in the stage) and, for localized models, `de` and/or `fr` localizations.
fn doc(b: &mut Bytes<'_>, model: &str) -> DocSpec {
    let mut d = DocSpec::default();
    let fields: &[(&str, &str)] = match model {
        "Post" => &[("title", "String"), ("views", "Int")],
        "Author" => &[("name", "String"), ("age", "Int")],
        _ => &[("label", "String")],
    };
    for (f, ty) in fields {
        if let Some(v) = value(b, ty) {
            d.data.insert(f.to_string(), v);
        }
    }
    if model == "Post" {
        if b.below(3) > 0 {
            d.data
                .insert("author".into(), json!(pick(b, &["a0", "a1"])));
        }
        let mut tags: Vec<&str> = Vec::new();
        for _ in 0..b.below(4) {
            let t = pick(b, &["t0", "t1", "t2"]);
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        d.data.insert("tags".into(), json!(tags));
    }
    let localized = match model {
        "Post" => Some("title"),
        "Tag" => Some("label"),
        _ => None,
    };
    if let Some(f) = localized {
        for l in ["de", "fr"] {
            if b.below(2) == 0 {
                let mut m = serde_json::Map::new();
                if let Some(v) = value(b, "String") {
                    m.insert(f.to_string(), v);
                }
                d.localizations.insert(l.into(), m);
            }
        }
    }
    d
}

fn gen_content(b: &mut Bytes<'_>) -> EnvSpec {
    let mut env: EnvSpec = serde_yaml_ng::from_str(MODELS).unwrap();
    for (model, id) in PLAN {
        let draft = doc(b, model);
        let mut e = EntrySpec {
            model: model.into(),
            id: id.into(),
            data: draft.data,
            localizations: draft.localizations,
            created_at: None,
            updated_at: None,
            publish: Vec::new(),
            stages: Default::default(),
        };
        for stage in ["PUBLISHED", "QA"] {
            match b.below(3) {
                0 => {}
                1 => e.publish.push(stage.into()),
                _ => {
                    e.stages.insert(stage.into(), doc(b, model));
                }
            }
        }
        env.entries.push(e);
    }
    env
}

/// `None`, `[]` or a random sub-list of `items`.
fn list(b: &mut Bytes<'_>, items: &[&str]) -> Option<Vec<String>> {
    match b.below(5) {
        0..=2 => None,
        3 => Some(Vec::new()),
        _ => Some(
            items
                .iter()
                .filter(|_| b.below(2) == 0)
                .map(|s| s.to_string())
                .collect(),
        ),
    }
}

/// A random READ grant (sometimes another action, which reads ignore), maybe scoped to a
/// model with a condition, to stages and locales, maybe disabled.
fn gen_grant(b: &mut Bytes<'_>, schema: &Schema) -> GrantSpec {
    let action = if b.below(10) == 0 {
        Action::Create
    } else {
        Action::Read
    };
    let model = (b.below(3) > 0).then(|| b.below(3));
    let condition = match model {
        Some(m) if b.below(3) == 0 => Some(gen_where(schema, m, b, 2).to_string()),
        _ => None,
    };
    GrantSpec {
        id: None,
        action,
        model: model.map(|m| MODEL_NAMES[m].to_string()),
        condition,
        locales: list(b, &LOCALES),
        stages: if action == Action::Read {
            list(b, &STAGES)
        } else {
            None
        },
        from_stages: None,
        to_stages: None,
        enabled: b.below(6) > 0,
    }
}

fn gen_case(b: &mut Bytes<'_>) -> EnvSpec {
    let mut env = gen_content(b);
    let schema = tollgate::sandbox::store::build_schema(&env).unwrap();
    // Grants: often one broad grant so that something is readable, then narrower ones.
    for _ in 0..1 + b.below(3) {
        let g = gen_grant(b, &schema);
        env.public.grants.push(g);
    }
    if b.below(3) == 0 {
        env.public.default_stage = Some(pick(b, &STAGES).to_string());
    }
    let mut grants = Vec::new();
    for _ in 0..1 + b.below(3) {
        grants.push(gen_grant(b, &schema));
    }
    env.pats.push(PatSpec {
        name: "t".into(),
        default_stage: (b.below(2) == 0).then(|| pick(b, &STAGES).to_string()),
        revoked: false,
        grants,
    });
    env
}

/// Builds random queries over the case's schema; `where` values go into variables.
struct Gen<'s> {
    schema: &'s Schema,
    vars: Vec<(String, String, J)>,
    /// How often (1 in n) an argument is one that step 5 refuses; 0: never.
    invalid_odds: usize,
}

/// (scalar fields, relation fields as (name, target, list)) of a model.
fn shape(
    model: &str,
) -> (
    &'static [&'static str],
    &'static [(&'static str, &'static str, bool)],
) {
    match model {
        "Post" => (
            &["title", "views"],
            &[("author", "Author", false), ("tags", "Tag", true)],
        ),
        "Author" => (&["name", "age"], &[("posts", "Post", true)]),
        _ => (&["label"], &[("posts", "Post", true)]),
    }
}

fn plural(model: &str) -> &'static str {
    match model {
        "Post" => "posts",
        "Author" => "authors",
        _ => "tags",
    }
}

fn graphql_list(items: &[&str]) -> String {
    format!("[{}]", items.join(", "))
}

impl Gen<'_> {
    fn bad(&self, b: &mut Bytes<'_>) -> bool {
        self.invalid_odds > 0 && b.below(self.invalid_odds) == 0
    }

    fn var(&mut self, ty: String, value: J) -> String {
        let name = format!("v{}", self.vars.len());
        self.vars.push((name.clone(), ty, value));
        format!("${name}")
    }

    fn locales_arg(&self, b: &mut Bytes<'_>, args: &mut Vec<String>) {
        if self.bad(b) {
            args.push("locales: []".into());
        } else if b.below(3) == 0 {
            args.push(format!("locales: {}", graphql_list(pick(b, &LISTS))));
        }
    }

    /// `where`, `orderBy`, `first`, `skip` of a list over `model`.
    fn list_args(&mut self, b: &mut Bytes<'_>, model: &str, args: &mut Vec<String>) {
        let m = self.schema.model(model).unwrap();
        if self.bad(b) {
            // WHERE-1: a null operand; LIMIT-1 aside, the simplest refusal.
            let v = self.var(
                format!("{model}WhereInput"),
                json!({"id_in": ["x"], "AND": null}),
            );
            args.push(format!("where: {v}"));
        } else if b.below(3) == 0 {
            let w = gen_where(self.schema, m, b, 2);
            let v = self.var(format!("{model}WhereInput"), w);
            args.push(format!("where: {v}"));
        }
        if b.below(3) == 0 {
            let (scalars, _) = shape(model);
            let mut keys: Vec<&str> = vec!["id", "createdAt"];
            keys.extend_from_slice(scalars);
            let dir = if b.below(2) == 0 { "ASC" } else { "DESC" };
            args.push(format!("orderBy: {}_{dir}", pick(b, &keys)));
        }
        if self.bad(b) {
            args.push(pick(b, &["first: 101", "first: -1", "skip: -1"]).to_string());
        } else {
            if b.below(3) == 0 {
                args.push(format!("first: {}", pick(b, &[0, 1, 2, 5])));
            }
            if b.below(4) == 0 {
                args.push(format!("skip: {}", pick(b, &[0, 1, 3])));
            }
        }
    }

    /// An entry selection of `model` at `depth` (a root's entries are at depth 1).
    fn selection(&mut self, b: &mut Bytes<'_>, model: &str, depth: usize) -> String {
        let (scalars, relations) = shape(model);
        let mut parts = vec!["id".to_string()];
        for f in ["locale", "stage", "__typename"] {
            if b.below(3) == 0 {
                parts.push(f.into());
            }
        }
        for f in scalars {
            if b.below(2) == 0 {
                parts.push(f.to_string());
            }
        }
        if depth < 3 {
            for (name, target, list) in relations {
                for alias in [String::new(), format!("x{name}: ")] {
                    if b.below(if alias.is_empty() { 2 } else { 6 }) != 0 {
                        continue;
                    }
                    let mut args = Vec::new();
                    self.locales_arg(b, &mut args);
                    if *list {
                        self.list_args(b, target, &mut args);
                    }
                    let args = if args.is_empty() {
                        String::new()
                    } else {
                        format!("({})", args.join(", "))
                    };
                    let sel = self.selection(b, target, depth + 1);
                    parts.push(format!("{alias}{name}{args} {{ {sel} }}"));
                }
            }
            if b.below(4) == 0 {
                let mut args = Vec::new();
                match b.below(4) {
                    0 => {}
                    1 => args.push("stages: []".to_string()),
                    _ => {
                        let n = 1 + b.below(3);
                        let stages: Vec<&str> = (0..n).map(|_| pick(b, &STAGES)).collect();
                        args.push(format!("stages: {}", graphql_list(&stages)));
                    }
                }
                if b.below(2) == 0 {
                    args.push(format!("includeCurrent: {}", b.below(2) == 0));
                }
                let args = if args.is_empty() {
                    String::new()
                } else {
                    format!("({})", args.join(", "))
                };
                let sel = self.selection(b, model, depth + 1);
                parts.push(format!("documentInStages{args} {{ {sel} }}"));
            }
        }
        parts.join(" ")
    }

    fn root(&mut self, b: &mut Bytes<'_>, key: &str) -> String {
        let model = pick(b, &MODEL_NAMES);
        let mut args = Vec::new();
        if b.below(2) == 0 {
            args.push(format!("stage: {}", pick(b, &STAGES)));
        }
        if b.below(3) == 0 {
            args.push(format!("locales: {}", graphql_list(pick(b, &LISTS))));
        }
        let fmt = |args: &[String]| {
            if args.is_empty() {
                String::new()
            } else {
                format!("({})", args.join(", "))
            }
        };
        match b.below(4) {
            0 => {
                let id = pick(b, &PLAN).1;
                let id = if b.below(8) == 0 { "nope" } else { id };
                args.push(format!("where: {{id: \"{id}\"}}"));
                let sel = self.selection(b, model, 1);
                let name = model.to_lowercase();
                format!("{key}: {name}{} {{ {sel} }}", fmt(&args))
            }
            1 => {
                self.list_args(b, model, &mut args);
                let mut parts = Vec::new();
                if b.below(2) == 0 {
                    parts.push("aggregate { count }".to_string());
                }
                if parts.is_empty() || b.below(3) > 0 {
                    let sel = self.selection(b, model, 1);
                    parts.push(format!("edges {{ node {{ {sel} }} }}"));
                }
                format!(
                    "{key}: {}Connection{} {{ {} }}",
                    plural(model),
                    fmt(&args),
                    parts.join(" ")
                )
            }
            _ => {
                self.list_args(b, model, &mut args);
                let sel = self.selection(b, model, 1);
                format!("{key}: {}{} {{ {sel} }}", plural(model), fmt(&args))
            }
        }
    }

    fn ask(&mut self, b: &mut Bytes<'_>) -> Ask {
        self.vars.clear();
        let n = 1 + b.below(2);
        let roots: Vec<String> = (0..n).map(|i| self.root(b, &format!("r{i}"))).collect();
        let decls: Vec<String> = self
            .vars
            .iter()
            .map(|(n, t, _)| format!("${n}: {t}"))
            .collect();
        let header = if decls.is_empty() {
            String::new()
        } else {
            format!("({})", decls.join(", "))
        };
        let variables: serde_json::Map<String, J> = self
            .vars
            .iter()
            .map(|(n, _, v)| (n.clone(), v.clone()))
            .collect();
        Ask {
            query: format!("query{header} {{ {} }}", roots.join(" ")),
            variables: (!variables.is_empty()).then_some(J::Object(variables)),
            stage: (b.below(4) == 0).then(|| pick(b, &STAGES).to_string()),
            locales: (b.below(4) == 0).then(|| pick(b, &LISTS).join(",")),
        }
    }
}

fn differential(
    b: &mut Bytes<'_>,
    queries: usize,
    invalid_odds: usize,
) -> Result<(), TestCaseError> {
    let env = gen_case(b);
    let mut both = Both::load(&env);
    let schema = tollgate::sandbox::store::build_schema(&env).unwrap();
    let mut g = Gen {
        schema: &schema,
        vars: Vec::new(),
        invalid_odds,
    };
    for _ in 0..queries {
        let ask = g.ask(b);
        for who in [Who::Public, Who::Pat] {
            let (r, s) = both.both(who, &ask);
            prop_assert_eq!(
                &s,
                &r,
                "{:?} {:?}\nvariables {:?}\nheaders {:?} {:?}\n{}",
                who,
                ask.query,
                ask.variables,
                ask.stage,
                ask.locales,
                serde_yaml_ng::to_string(&env).unwrap()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// READ-6, READ-9, CTX-4, DATA-4, READ-7 on valid queries.
    #[test]
    fn relation_reads_agree_with_the_reference(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        let mut b = Bytes::new(&bytes);
        differential(&mut b, 6, 0)?;
    }

    /// ERR-1: with now and then an argument step 5 refuses, anywhere in the selection.
    #[test]
    fn invalid_arguments_are_400s_before_any_403(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        let mut b = Bytes::new(&bytes);
        differential(&mut b, 6, 40)?;
    }
}

#[test]
fn the_generator_reaches_every_outcome() {
    // Guard against a generator that only ever produces one kind of answer.
    let (mut data, mut denied, mut invalid, mut nonempty_relation) = (0, 0, 0, 0);
    for seed in 0u32..60 {
        let bytes: Vec<u8> = (0..1500u32)
            .map(|i| {
                (i.wrapping_mul(2_654_435_761)
                    .wrapping_add(seed.wrapping_mul(97))
                    >> 13) as u8
            })
            .collect();
        let mut b = Bytes::new(&bytes);
        let env = gen_case(&mut b);
        let mut both = Both::load(&env);
        let schema = tollgate::sandbox::store::build_schema(&env).unwrap();
        let mut g = Gen {
            schema: &schema,
            vars: Vec::new(),
            invalid_odds: if seed % 2 == 0 { 0 } else { 40 },
        };
        for _ in 0..4 {
            let ask = g.ask(&mut b);
            match both.reference(Who::Pat, &ask) {
                Answer::Data(d) => {
                    data += 1;
                    let text = d.to_string();
                    if text.contains("\"tags\":[{") || text.contains("\"posts\":[{") {
                        nonempty_relation += 1;
                    }
                }
                Answer::Denied(_) => denied += 1,
                Answer::Invalid => invalid += 1,
            }
        }
    }
    assert!(data > 20 && denied > 5 && invalid > 5 && nonempty_relation > 3,
        "data {data}, denied {denied}, invalid {invalid}, non-empty relation lists {nonempty_relation}");
}
