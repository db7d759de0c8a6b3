//! Generated mutation sequences against the reference: random grants for two PATs, then a
//! sequence of mutation operations (one or two fields each: every mutation kind, scalar,
//! localization and relation inputs, valid and invalid, on loaded entries, run-created ones
//! and missing ids), each run through the reference and the sandbox. Every step must agree,
//! and the whole environments must agree after every refused step and at the end (WRITE-8).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::sandbox_write_harness;

use proptest::prelude::*;
use sandbox_write_harness::run_case;
use tollgate::sandbox::faults::Faults;

const SCHEMA: &str = r#"
stages: [QA]
locales: [en, de]
models:
  - name: Author
    fields:
      - {name: name, type: String}
      - {name: rank, type: Int}
  - name: Tag
    fields: [{name: label, type: String}]
  - name: Post
    fields:
      - {name: title, type: String, localized: true, required: true}
      - {name: views, type: Int}
      - {name: locked, type: Boolean}
      - {name: author, type: Author, reverse: posts}
      - {name: tags, type: Tag, list: true}
      - {name: related, type: Post, list: true, reverse: relatedBy}
entries:
  - {model: Author, id: ann, data: {name: Ann, rank: 1}, publish: [PUBLISHED]}
  - {model: Author, id: bob, data: {name: Bob}}
  - {model: Tag, id: t1, data: {label: one}, publish: [QA]}
  - {model: Tag, id: t2, data: {label: two}}
  - model: Post
    id: p1
    data: {title: One, views: 1, locked: false, author: ann, tags: [t1]}
    localizations: {de: {title: Eins}}
    publish: [PUBLISHED]
  - model: Post
    id: p2
    data: {title: Two, views: 5, locked: true, related: [p1]}
    publish: [PUBLISHED]
    stages: {QA: {data: {title: Zwei, views: 50}}}
  - {model: Post, id: p3, data: {title: Three, views: 3, author: bob}}
"#;

/// Grants a PAT may draw (each with its own odds).
const GRANTS: &[&str] = &[
    "{action: READ}",
    "{action: READ}",
    "{action: READ, model: Post, stages: [DRAFT]}",
    "{action: READ, model: Post, condition: '{\"views_gt\": 1}'}",
    "{action: READ, locales: [de]}",
    "{action: CREATE}",
    "{action: CREATE, model: Post, locales: [en]}",
    "{action: CREATE, model: Post, condition: '{\"views_lt\": 4}'}",
    "{action: CREATE, model: Author}",
    "{action: UPDATE}",
    "{action: UPDATE, model: Post, condition: '{\"locked\": false}'}",
    "{action: UPDATE, model: Post, locales: [de]}",
    "{action: UPDATE, model: Post, condition: '{\"author\": {\"name\": \"Ann\"}}'}",
    "{action: UPDATE, model: Author, condition: '{\"name_not\": \"Bob\"}'}",
    "{action: UPDATE, model: Tag}",
    "{action: DELETE}",
    "{action: DELETE, model: Post, condition: '{\"views_gt\": 2}'}",
    "{action: PUBLISH}",
    "{action: PUBLISH, to_stages: [QA]}",
    "{action: PUBLISH, model: Post, locales: [en], condition: '{\"views_lt\": 10}'}",
    "{action: UNPUBLISH}",
    "{action: UNPUBLISH, stages: [QA]}",
    "{action: UNPUBLISH, model: Post, condition: '{\"views_gt\": 1}'}",
    "{action: PUBLISH, from_stages: [QA]}",
    "{action: UPDATE, enabled: false}",
    "{action: CREATE, locales: []}",
    "{action: DELETE, model: Tag}",
    "{action: UPDATE, model: Post, condition: '{\"relatedBy_some\": {\"views_gt\": 2}}'}",
];

/// A deterministic reader of random choices.
struct Gen {
    choices: Vec<u32>,
    at: usize,
}

impl Gen {
    fn pick(&mut self, n: usize) -> usize {
        let c = self.choices.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 {
            0
        } else {
            c as usize % n
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.pick(100) < percent
    }

    fn one<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.pick(items.len())]
    }

    fn post(&mut self) -> String {
        self.one(&["p1", "p2", "p3", "{{0}}", "{{1}}", "{{2}}", "nope", "ann"])
            .to_string()
    }

    fn author(&mut self) -> String {
        self.one(&["ann", "bob", "{{0}}", "{{1}}", "p1", "nope"])
            .to_string()
    }

    fn tag(&mut self) -> String {
        self.one(&["t1", "t2", "{{0}}", "nope"]).to_string()
    }

    fn ids(&mut self, f: fn(&mut Gen) -> String) -> String {
        let n = self.pick(3);
        let ids: Vec<String> = (0..n).map(|_| format!("{{id: \"{}\"}}", f(self))).collect();
        format!("[{}]", ids.join(", "))
    }

    fn list_op(&mut self, f: fn(&mut Gen) -> String, create: bool) -> String {
        let op = if create {
            "connect"
        } else {
            self.one(&["connect", "connect", "disconnect", "set"])
        };
        let mut s = format!("{op}: {}", self.ids(f));
        if !create && self.chance(5) {
            let other = if op == "set" { "connect" } else { "set" };
            s.push_str(&format!(", {other}: {}", self.ids(f)));
        }
        format!("{{{s}}}")
    }

    fn title(&mut self) -> String {
        self.one(&["\"A\"", "\"B\"", "\"Ann\"", "null"]).to_string()
    }

    fn post_data(&mut self, create: bool) -> String {
        let mut parts = Vec::new();
        if create || self.chance(40) {
            let t = self.title();
            parts.push(format!(
                "title: {}",
                if create && t == "null" { "\"N\"" } else { &t }
            ));
        }
        if self.chance(40) {
            parts.push(format!(
                "views: {}",
                self.one(&["0", "2", "5", "20", "null"])
            ));
        }
        if self.chance(30) {
            parts.push(format!("locked: {}", self.one(&["true", "false", "null"])));
        }
        if self.chance(30) {
            let a = if create {
                format!("{{connect: {{id: \"{}\"}}}}", self.author())
            } else {
                match self.pick(3) {
                    0 => "{disconnect: true}".to_string(),
                    1 => "{disconnect: false}".to_string(),
                    _ => format!("{{connect: {{id: \"{}\"}}}}", self.author()),
                }
            };
            parts.push(format!("author: {a}"));
        }
        if self.chance(30) {
            parts.push(format!("tags: {}", self.list_op(Gen::tag, create)));
        }
        if self.chance(20) {
            parts.push(format!("related: {}", self.list_op(Gen::post, create)));
        }
        if self.chance(15) {
            parts.push(format!("relatedBy: {}", self.list_op(Gen::post, create)));
        }
        if self.chance(30) {
            let locale = self.one(&["de", "de", "en"]);
            let t = self.title();
            let t = if t == "null" { "\"L\"".to_string() } else { t };
            let loc = if create {
                format!("create: [{{locale: {locale}, data: {{title: {t}}}}}]")
            } else {
                match self.pick(4) {
                    0 => format!("create: [{{locale: {locale}, data: {{title: {t}}}}}]"),
                    1 => format!("update: [{{locale: {locale}, data: {{title: {}}}}}]", self.title()),
                    2 => format!(
                        "upsert: [{{locale: {locale}, create: {{title: {t}}}, update: {{title: {}}}}}]",
                        self.title()
                    ),
                    _ => format!("delete: [{locale}]"),
                }
            };
            parts.push(format!("localizations: {{{loc}}}"));
        }
        format!("{{{}}}", parts.join(", "))
    }

    fn stages(&mut self) -> &'static str {
        ["[PUBLISHED]", "[QA]", "[QA, PUBLISHED]", "[]", "[DRAFT]"]
            [[0, 0, 1, 2, 0, 1, 2, 3, 4][self.pick(9)]]
    }

    fn field(&mut self, key: usize) -> String {
        let sel = self.one(&[
            "{ id }",
            "{ id title views locked updatedAt }",
            "{ id stage locale publishedAt createdAt }",
        ]);
        let author_sel = "{ id name rank updatedAt }";
        match self.pick(14) {
            0..=2 => format!("f{key}: createPost(data: {}) {sel}", self.post_data(true)),
            3..=5 => format!(
                "f{key}: updatePost(where: {{id: \"{}\"}}, data: {}) {sel}",
                self.post(),
                self.post_data(false)
            ),
            6 => format!("f{key}: deletePost(where: {{id: \"{}\"}}) {sel}", self.post()),
            7 | 8 => format!(
                "f{key}: publishPost(where: {{id: \"{}\"}}, to: {}) {sel}",
                self.post(),
                self.stages()
            ),
            9 => format!(
                "f{key}: unpublishPost(where: {{id: \"{}\"}}, from: {}) {sel}",
                self.post(),
                self.stages()
            ),
            10 => format!(
                "f{key}: createAuthor(data: {{name: {}, posts: {}}}) {author_sel}",
                self.title(),
                self.list_op(Gen::post, true)
            ),
            11 => format!(
                "f{key}: updateAuthor(where: {{id: \"{}\"}}, data: {{rank: {}, posts: {}}}) {author_sel}",
                self.author(),
                self.pick(3),
                self.list_op(Gen::post, false)
            ),
            12 => format!(
                "f{key}: {}Author(where: {{id: \"{}\"}}) {author_sel}",
                self.one(&["delete", "publish", "unpublish"]),
                self.author()
            ),
            _ => format!(
                "f{key}: updateTag(where: {{id: \"{}\"}}, data: {{label: {}}}) {{ id label }}",
                self.tag(),
                self.title()
            ),
        }
    }

    fn operation(&mut self) -> String {
        let n = 1 + usize::from(self.chance(30));
        let fields: Vec<String> = (0..n).map(|k| self.field(k)).collect();
        format!("mutation {{ {} }}", fields.join(" "))
    }

    fn pats(&mut self) -> String {
        let mut out = String::new();
        for name in ["a", "b"] {
            let grants: Vec<&str> = GRANTS.iter().copied().filter(|_| self.chance(35)).collect();
            out.push_str(&format!(
                "  - {{name: {name}, grants: [{}]}}\n",
                grants.join(", ")
            ));
        }
        out
    }
}

/// A readable operation at the end of every sequence, compared like the others.
const READ_ALL: &str =
    "{ posts(stage: DRAFT) { id title views locked } authors(stage: DRAFT) { id name rank } }";

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn generated_mutation_sequences_agree_with_the_reference(
        choices in prop::collection::vec(any::<u32>(), 400..600),
        steps in 4usize..10,
    ) {
        let mut g = Gen { choices, at: 0 };
        let yaml = format!("{SCHEMA}pats:\n{}", g.pats());
        let ops: Vec<(String, String)> = (0..steps)
            .map(|_| (g.one(&["a", "a", "b"]).to_string(), g.operation()))
            .chain(std::iter::once(("a".to_string(), READ_ALL.to_string())))
            .collect();
        let refs: Vec<(&str, &str)> = ops.iter().map(|(w, q)| (w.as_str(), q.as_str())).collect();
        if let Err(e) = run_case(&yaml, Faults::NONE, &refs) {
            panic!("{e}\ncase:\n{yaml}\noperations:\n{}", ops.iter().map(|(w, q)| format!("{w}: {q}")).collect::<Vec<_>>().join("\n"));
        }
    }
}
