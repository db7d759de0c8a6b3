//! The sandbox's mutations (`sandbox::write`) against the reference, rule by rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_write_harness;

use sandbox_write_harness::agree;

const BLOG: &str = r#"
stages: [QA]
locales: [en, de]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: views, type: Int}
entries:
  - {model: Post, id: p1, data: {title: One, views: 1}, localizations: {de: {title: Eins}}, publish: [PUBLISHED]}
pats:
  - name: all
    grants: [{action: READ}, {action: CREATE}, {action: UPDATE}, {action: DELETE}, {action: PUBLISH}, {action: UNPUBLISH}]
"#;

#[test]
fn smoke() {
    agree(
        BLOG,
        &[
            (
                "all",
                r#"mutation { createPost(data: {title: "Two", views: 2}) { id title views stage locale createdAt updatedAt publishedAt } }"#,
            ),
            (
                "all",
                r#"mutation { updatePost(where: {id: "{{0}}"}, data: {views: 3}) { id views updatedAt createdAt } }"#,
            ),
            (
                "all",
                r#"mutation { publishPost(where: {id: "{{0}}"}, to: [QA]) { id stage publishedAt } }"#,
            ),
            (
                "all",
                r#"mutation { deletePost(where: {id: "p1"}) { id title } }"#,
            ),
        ],
        &["ok", "ok", "ok", "ok"],
    );
}
