//! Unit tests of the principals module: PATs, grants and their PERM-4 refusals, loading a
//! case's principals, and READ visibility.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::model::spec::EnvSpec;
use rusqlite::types::Value as SqlValue;

const ENV: &str = r#"
stages: [QA]
locales: [en, de]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: views, type: Int}
  - name: Author
    fields: [{name: name, type: String}]
entries:
  - {model: Post, id: p1, data: {title: a, views: 1}, localizations: {de: {title: b}}, publish: [PUBLISHED]}
  - {model: Post, id: p2, data: {title: c, views: 2}}
  - {model: Author, id: a1, data: {name: x}}
"#;

fn setup() -> (Store, EnvKey) {
    let env: EnvSpec = serde_yaml_ng::from_str(ENV).unwrap();
    let mut s = Store::in_memory().unwrap();
    let k = s.load("p", &env).unwrap();
    (s, k)
}

fn read() -> GrantSpec {
    serde_yaml_ng::from_str("{action: READ}").unwrap()
}

fn grant(yaml: &str) -> GrantSpec {
    serde_yaml_ng::from_str(yaml).unwrap()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The (id, served locale) pairs visible in `stage`.
fn visible(
    s: &Store,
    k: EnvKey,
    p: &Principal,
    model: &str,
    stage: &str,
    locales: &[&str],
) -> Vec<(String, String)> {
    let v = visible_predicate(s, k, p, model, stage, &strs(locales), "d").unwrap();
    let sql = format!(
        "SELECT d.entry_id, {} FROM {} d WHERE d.stage = ? AND {} ORDER BY d.creation_order",
        v.served.sql,
        k.doc_table(model),
        v.visible.sql
    );
    let mut params = v.served.params.clone();
    params.push(SqlValue::Text(stage.into()));
    params.extend(v.visible.params);
    let mut st = s.conn().prepare(&sql).unwrap();
    st.query_map(rusqlite::params_from_iter(params.iter()), |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .unwrap()
    .collect::<rusqlite::Result<Vec<_>>>()
    .unwrap()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_new_pat_holds_the_default_read_grant() {
    let (s, k) = setup();
    let pat = create_pat(&s, k, "t", None).unwrap();
    assert_eq!(pat.default_stage, "PUBLISHED");
    assert!(pat.id.starts_with('c') && pat.id.len() == 25);
    let p = Principal::Pat(pat.id.clone());
    let g = list_grants(&s, k, &p).unwrap();
    assert_eq!(g.len(), 1);
    let mut expected = read();
    expected.id = Some(g[0].id.clone());
    assert_eq!(g[0].spec, expected);
    assert!(is_live(&s, k, &pat.jti).unwrap());
    assert_eq!(default_stage(&s, k, &p).unwrap(), "PUBLISHED");
    for stage in ["DRAFT", "PUBLISHED", "QA"] {
        assert!(covered(&s, k, &p, "Author", stage, &strs(&["de"])).unwrap());
    }
    assert_eq!(
        visible(&s, k, &p, "Post", "DRAFT", &["de", "en"]),
        pairs(&[("p1", "de"), ("p2", "en")])
    );
    let qa = create_pat(&s, k, "q", Some("QA")).unwrap();
    assert_eq!(qa.default_stage, "QA");
    assert!(matches!(
        create_pat(&s, k, "x", Some("draft")),
        Err(PrincipalError::UnknownStage(_))
    ));
}

#[test]
fn deleting_a_pat_revokes_its_jti() {
    let (s, k) = setup();
    let pat = create_pat(&s, k, "t", None).unwrap();
    let p = Principal::Pat(pat.id.clone());
    delete_pat(&s, k, &pat.id).unwrap();
    assert!(!is_live(&s, k, &pat.jti).unwrap());
    assert!(pat_by_jti(&s, k, &pat.jti).unwrap().unwrap().revoked);
    assert!(!is_live(&s, k, "no-such-jti").unwrap());
    assert!(!covered(&s, k, &p, "Post", "DRAFT", &strs(&["en"])).unwrap());
    assert!(visible(&s, k, &p, "Post", "DRAFT", &["en"]).is_empty());
    assert!(matches!(
        delete_pat(&s, k, &pat.id),
        Err(PrincipalError::UnknownPat(_))
    ));
    assert!(matches!(
        create_grant(&s, k, &p, &read()),
        Err(PrincipalError::UnknownPat(_))
    ));
    assert!(matches!(
        set_default_stage(&s, k, &p, "DRAFT"),
        Err(PrincipalError::UnknownPat(_))
    ));
    // A PAT of another environment is not live here.
    let mut s2 = s;
    let other: EnvSpec = serde_yaml_ng::from_str("{name: staging}").unwrap();
    let k2 = s2.load("p", &other).unwrap();
    let q = create_pat(&s2, k, "q", None).unwrap();
    assert!(!is_live(&s2, k2, &q.jti).unwrap());
    assert!(is_live(&s2, k, &q.jti).unwrap());
}

#[test]
fn grants_are_created_enabled_disabled_and_deleted_at_once() {
    let (s, k) = setup();
    let p = Principal::Public;
    assert!(list_grants(&s, k, &p).unwrap().is_empty(), "PERM-5: none");
    assert!(!covered(&s, k, &p, "Post", "PUBLISHED", &strs(&["en"])).unwrap());
    let id = create_grant(&s, k, &p, &grant("{action: READ, model: Post}")).unwrap();
    assert!(covered(&s, k, &p, "Post", "PUBLISHED", &strs(&["en"])).unwrap());
    assert!(!covered(&s, k, &p, "Author", "PUBLISHED", &strs(&["en"])).unwrap());
    set_grant_enabled(&s, k, &id, false).unwrap();
    assert!(!list_grants(&s, k, &p).unwrap()[0].spec.enabled);
    assert!(!covered(&s, k, &p, "Post", "PUBLISHED", &strs(&["en"])).unwrap());
    assert!(visible(&s, k, &p, "Post", "PUBLISHED", &["en"]).is_empty());
    set_grant_enabled(&s, k, &id, true).unwrap();
    assert_eq!(
        visible(&s, k, &p, "Post", "PUBLISHED", &["en"]),
        pairs(&[("p1", "en")])
    );
    delete_grant(&s, k, &id).unwrap();
    assert!(list_grants(&s, k, &p).unwrap().is_empty());
    assert!(matches!(
        delete_grant(&s, k, &id),
        Err(PrincipalError::UnknownGrant(_))
    ));
    assert!(matches!(
        set_grant_enabled(&s, k, "nope", true),
        Err(PrincipalError::UnknownGrant(_))
    ));
    let disabled = create_grant(&s, k, &p, &grant("{action: READ, enabled: false}")).unwrap();
    assert!(!list_grants(&s, k, &p).unwrap()[0].spec.enabled);
    assert!(!covered(&s, k, &p, "Post", "DRAFT", &strs(&["en"])).unwrap());
    delete_grant(&s, k, &disabled).unwrap();
    // A given id is kept, and refused when used again.
    let given = create_grant(&s, k, &p, &grant("{id: g1, action: CREATE}")).unwrap();
    assert_eq!(given, "g1");
    assert!(matches!(
        create_grant(&s, k, &p, &grant("{id: g1, action: READ}")),
        Err(PrincipalError::Refused(Refusal::DuplicateId(_)))
    ));
    // Default stages.
    assert_eq!(default_stage(&s, k, &p).unwrap(), "PUBLISHED");
    set_default_stage(&s, k, &p, "QA").unwrap();
    assert_eq!(default_stage(&s, k, &p).unwrap(), "QA");
    assert!(matches!(
        set_default_stage(&s, k, &p, "NOPE"),
        Err(PrincipalError::UnknownStage(_))
    ));
}

#[test]
fn perm_4_refusals_create_nothing() {
    let (s, k) = setup();
    let p = Principal::Public;
    type Is = fn(&Refusal) -> bool;
    let cases: &[(&str, Is)] = &[
        (r#"{action: READ, model: Post, condition: ""}"#, |r| {
            matches!(r, Refusal::Condition(_))
        }),
        (r#"{action: READ, model: Post, condition: "null"}"#, |r| {
            matches!(r, Refusal::Condition(_))
        }),
        (r#"{action: READ, model: Post, condition: "[]"}"#, |r| {
            matches!(r, Refusal::Condition(_))
        }),
        (r#"{action: READ, model: Post, condition: "{} {}"}"#, |r| {
            matches!(r, Refusal::Condition(_))
        }),
        (
            r#"{action: READ, model: Post, condition: '{"nope": 1}'}"#,
            |r| matches!(r, Refusal::Condition(_)),
        ),
        (
            r#"{action: READ, model: Post, condition: '{"views": 1, "views": 2}'}"#,
            |r| matches!(r, Refusal::Condition(_)),
        ),
        (
            r#"{action: READ, model: Post, condition: '{"views_lt": null}'}"#,
            |r| matches!(r, Refusal::Condition(_)),
        ),
        (
            r#"{action: READ, model: Post, condition: '{"views": 1.5}'}"#,
            |r| matches!(r, Refusal::Condition(_)),
        ),
        (r#"{action: UPDATE, condition: "{}"}"#, |r| {
            matches!(r, Refusal::ConditionWithoutModel)
        }),
        (r#"{action: READ, model: Comment}"#, |r| {
            matches!(r, Refusal::UnknownModel(_))
        }),
        (r#"{action: READ, stages: [DRAFT, draft]}"#, |r| {
            matches!(r, Refusal::UnknownStage { list: "stages", .. })
        }),
        (
            r#"{action: PUBLISH, from_stages: [DRAFT], to_stages: [LIVE]}"#,
            |r| {
                matches!(
                    r,
                    Refusal::UnknownStage {
                        list: "toStages",
                        ..
                    }
                )
            },
        ),
        (r#"{action: PUBLISH, from_stages: [X]}"#, |r| {
            matches!(
                r,
                Refusal::UnknownStage {
                    list: "fromStages",
                    ..
                }
            )
        }),
        (r#"{action: READ, locales: [en, fr]}"#, |r| {
            matches!(r, Refusal::UnknownLocale(_))
        }),
        (r#"{action: READ_VERSIONS, locales: [en]}"#, |r| {
            matches!(r, Refusal::ReadVersionsScoped)
        }),
        (r#"{action: READ_VERSIONS, stages: [DRAFT]}"#, |r| {
            matches!(r, Refusal::ReadVersionsScoped)
        }),
        (
            r#"{action: READ_VERSIONS, model: Post, condition: "{}"}"#,
            |r| matches!(r, Refusal::ReadVersionsScoped),
        ),
        (r#"{action: CREATE, stages: [DRAFT]}"#, |r| {
            matches!(r, Refusal::StagesNotTaken { list: "stages", .. })
        }),
        (r#"{action: READ, to_stages: [DRAFT]}"#, |r| {
            matches!(
                r,
                Refusal::StagesNotTaken {
                    list: "toStages",
                    ..
                }
            )
        }),
        (r#"{action: UNPUBLISH, from_stages: [DRAFT]}"#, |r| {
            matches!(
                r,
                Refusal::StagesNotTaken {
                    list: "fromStages",
                    ..
                }
            )
        }),
        (r#"{action: PUBLISH, stages: [DRAFT]}"#, |r| {
            matches!(r, Refusal::StagesNotTaken { list: "stages", .. })
        }),
    ];
    for (yaml, is) in cases {
        match create_grant(&s, k, &p, &grant(yaml)) {
            Err(PrincipalError::Refused(r)) => assert!(is(&r), "{yaml}: wrong reason {r:?}"),
            other => panic!("{yaml}: {other:?}"),
        }
    }
    assert!(list_grants(&s, k, &p).unwrap().is_empty());
    // Accepted: whitespace around the object, `{}`, empty lists, PUBLISH lists, all models.
    for yaml in [
        r#"{action: READ, model: Post, condition: ' {"views_gt": 1} '}"#,
        r#"{action: DELETE, model: Post, condition: "{}", locales: []}"#,
        r#"{action: READ, stages: [], locales: []}"#,
        r#"{action: PUBLISH, from_stages: [DRAFT], to_stages: [QA]}"#,
        r#"{action: UNPUBLISH, stages: [PUBLISHED]}"#,
        r#"{action: READ_VERSIONS, model: Author}"#,
    ] {
        create_grant(&s, k, &p, &grant(yaml)).unwrap_or_else(|e| panic!("{yaml}: {e}"));
    }
    assert_eq!(list_grants(&s, k, &p).unwrap().len(), 6);
}

#[test]
fn visibility_follows_locale_lists_stage_lists_and_conditions() {
    let (s, k) = setup();
    let p = Principal::Public;
    create_grant(
        &s,
        k,
        &p,
        &grant("{action: READ, model: Post, locales: [de]}"),
    )
    .unwrap();
    // p1 is served in de (covered), p2 in en (not covered): no fallback.
    assert_eq!(
        visible(&s, k, &p, "Post", "DRAFT", &["de", "en"]),
        pairs(&[("p1", "de")])
    );
    assert!(visible(&s, k, &p, "Post", "DRAFT", &["en", "de"]).is_empty());
    assert!(covered(&s, k, &p, "Post", "DRAFT", &strs(&["en", "de"])).unwrap());
    assert!(!covered(&s, k, &p, "Post", "DRAFT", &strs(&["en"])).unwrap());
    create_grant(
        &s,
        k,
        &p,
        &grant(r#"{action: READ, model: Post, stages: [DRAFT], condition: '{"title": "c"}'}"#),
    )
    .unwrap();
    assert_eq!(
        visible(&s, k, &p, "Post", "DRAFT", &["en", "de"]),
        pairs(&[("p2", "en")])
    );
    assert!(visible(&s, k, &p, "Post", "PUBLISHED", &["en"]).is_empty());
    // A model without localized fields is served in the first requested locale.
    create_grant(
        &s,
        k,
        &p,
        &grant("{action: READ, model: Author, locales: [en]}"),
    )
    .unwrap();
    assert_eq!(
        visible(&s, k, &p, "Author", "DRAFT", &["en", "de"]),
        pairs(&[("a1", "en")])
    );
    assert!(visible(&s, k, &p, "Author", "DRAFT", &["de", "en"]).is_empty());
    assert!(covered(&s, k, &p, "Author", "DRAFT", &strs(&["de", "en"])).unwrap());
    assert!(visible(&s, k, &p, "Author", "DRAFT", &[]).is_empty());
    assert!(!covered(&s, k, &p, "Author", "DRAFT", &[]).unwrap());
    assert!(matches!(
        covered(&s, k, &p, "Nope", "DRAFT", &strs(&["en"])),
        Err(PrincipalError::UnknownModel(_))
    ));
}

#[test]
fn load_puts_exactly_the_cases_principals() {
    let (s, k) = setup();
    let env: EnvSpec = serde_yaml_ng::from_str(
        r#"
public: {default_stage: DRAFT, grants: [{action: READ, model: Post, stages: [DRAFT]}]}
pats:
  - {name: a, grants: [{action: READ, model: Author}]}
  - {name: b, default_stage: QA}
  - {name: c, revoked: true, grants: [{action: READ}]}
"#,
    )
    .unwrap();
    let loaded = load_principals(&s, k, &env).unwrap();
    assert_eq!(loaded.len(), 3);
    assert_eq!(default_stage(&s, k, &Principal::Public).unwrap(), "DRAFT");
    assert_eq!(list_grants(&s, k, &Principal::Public).unwrap().len(), 1);
    let a = Principal::Pat(loaded[0].id.clone());
    let b = Principal::Pat(loaded[1].id.clone());
    assert_eq!(list_grants(&s, k, &a).unwrap().len(), 1);
    assert!(
        list_grants(&s, k, &b).unwrap().is_empty(),
        "no default grant"
    );
    assert_eq!(default_stage(&s, k, &b).unwrap(), "QA");
    assert_eq!(default_stage(&s, k, &a).unwrap(), "PUBLISHED");
    assert!(loaded[2].revoked && !is_live(&s, k, &loaded[2].jti).unwrap());
    assert_eq!(pat_by_name(&s, k, "a").unwrap().unwrap(), loaded[0]);
    assert!(pat_by_name(&s, k, "c").unwrap().is_none());
    // A refused grant anywhere stores nothing of the load.
    let (s, k) = setup();
    let bad: EnvSpec = serde_yaml_ng::from_str(
        r#"
public: {grants: [{action: READ}]}
pats: [{name: a, grants: [{action: READ, condition: "{}"}]}]
"#,
    )
    .unwrap();
    let e = load_principals(&s, k, &bad).unwrap_err();
    assert!(e.to_string().starts_with("pats[0].grants[0]"), "{e}");
    assert!(list_grants(&s, k, &Principal::Public).unwrap().is_empty());
    assert!(pats(&s, k).unwrap().is_empty());
}

#[test]
fn values_are_bound_never_spliced() {
    let (s, k) = setup();
    let p = Principal::Public;
    create_grant(
        &s,
        k,
        &p,
        &grant(r#"{action: READ, model: Post, locales: [de], condition: '{"title": "x''y"}'}"#),
    )
    .unwrap();
    let v = visible_predicate(&s, k, &p, "Post", "DRAFT", &strs(&["de"]), "d").unwrap();
    assert!(!v.visible.sql.contains("x'y") && !v.visible.sql.contains("'de'"));
}
