//! Random cases and queries for the differential read tests: content over Post (localized
//! `title`, single `author`, list `tags`), Author and Tag (reverse fields `posts`) in DRAFT,
//! PUBLISHED and QA with dangling links (DATA-4); READ grants for the public principal and a
//! PAT `t`; queries with every argument of §6 at any depth, `where` values in variables.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use serde_json::{json, Value as J};
use tollgate::fuzzing::{gen_where, Bytes};
use tollgate::model::grant::{Action, GrantSpec};
use tollgate::model::project::Schema;
use tollgate::model::spec::{DocSpec, EntrySpec, EnvSpec, PatSpec};

use super::Ask;

pub const MODELS: &str = r#"
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

pub const STAGES: [&str; 3] = ["DRAFT", "PUBLISHED", "QA"];
pub const LOCALES: [&str; 3] = ["en", "de", "fr"];
pub const MODEL_NAMES: [&str; 3] = ["Post", "Author", "Tag"];
pub const LISTS: [&[&str]; 8] = [
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
pub const PLAN: [(&str, &str); 9] = [
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

pub fn pick<T: Copy>(b: &mut Bytes<'_>, items: &[T]) -> T {
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

pub fn gen_content(b: &mut Bytes<'_>) -> EnvSpec {
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
pub fn list(b: &mut Bytes<'_>, items: &[&str]) -> Option<Vec<String>> {
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
pub fn gen_grant(b: &mut Bytes<'_>, schema: &Schema) -> GrantSpec {
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

pub fn gen_case(b: &mut Bytes<'_>) -> EnvSpec {
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
pub struct Gen<'s> {
    /// The case's schema.
    pub schema: &'s Schema,
    /// The variables declared so far: name, type, value.
    pub vars: Vec<(String, String, J)>,
    /// How often (1 in n) an argument is one that step 5 refuses; 0: never.
    pub invalid_odds: usize,
}

/// (scalar fields, relation fields as (name, target, list)) of a model.
pub fn shape(
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

impl<'s> Gen<'s> {
    /// A generator over `schema`.
    pub fn new(schema: &'s Schema, invalid_odds: usize) -> Gen<'s> {
        Gen {
            schema,
            vars: Vec::new(),
            invalid_odds,
        }
    }

    /// The `query(...)` header declaring the variables, and the variables' values.
    pub fn declarations(&self) -> (String, Option<J>) {
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
        (
            header,
            (!variables.is_empty()).then_some(J::Object(variables)),
        )
    }

    fn bad(&self, b: &mut Bytes<'_>) -> bool {
        self.invalid_odds > 0 && b.below(self.invalid_odds) == 0
    }

    /// Declares a variable and returns its reference (`$v0`).
    pub fn var(&mut self, ty: String, value: J) -> String {
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
    pub fn selection(&mut self, b: &mut Bytes<'_>, model: &str, depth: usize) -> String {
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

    /// A whole request: one or two root fields, variables, maybe `gcms-*` headers.
    pub fn ask(&mut self, b: &mut Bytes<'_>) -> Ask {
        self.vars.clear();
        let n = 1 + b.below(2);
        let roots: Vec<String> = (0..n).map(|i| self.root(b, &format!("r{i}"))).collect();
        let (header, variables) = self.declarations();
        Ask {
            query: format!("query{header} {{ {} }}", roots.join(" ")),
            variables,
            stage: (b.below(4) == 0).then(|| pick(b, &STAGES).to_string()),
            locales: (b.below(4) == 0).then(|| pick(b, &LISTS).join(",")),
        }
    }
}
