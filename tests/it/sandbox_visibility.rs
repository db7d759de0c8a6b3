//! The sandbox's principals and READ visibility (`sandbox::principals`) against the reference:
//! a differential property test that provisions random READ grants (model, stage and locale
//! lists, `[]`, conditions from `tollgate::fuzzing::gen_where`, disabled ones, other actions)
//! for the public principal and a PAT over random content with localizations and stages, and
//! compares, for every model × stage × requested-locale list, the (entry id, served locale)
//! pairs the sandbox's SQL selects with the reference's `Reader::visible` (READ-2), and
//! `covered` with `Reader::covered` (READ-1); and one that compares PERM-4 refusals of random
//! grant specs with the reference's load.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rusqlite::types::Value as SqlValue;
use tollgate::fuzzing::{gen_where, Bytes};
use tollgate::model::grant::{Action, Grant, GrantSpec};
use tollgate::model::profile::Profile;
use tollgate::model::read::{read_grants, Reader};
use tollgate::model::spec::{EnvSpec, PatSpec};
use tollgate::model::State;
use tollgate::sandbox::principals::{
    covered, create_grant, load_principals, pat_by_name, visible_predicate, Principal,
    PrincipalError,
};
use tollgate::sandbox::store::{EnvKey, Store};

// The content, the constants and the list picker are the read tests' (one Post/Author/Tag
// schema, three stages, three locales).
use crate::sandbox_read_support::gen::{
    gen_content, list, pick, LISTS, LOCALES, MODELS, MODEL_NAMES, STAGES,
};

/// A random valid grant: mostly READ, with model, stage and locale lists, maybe a condition
/// (with a model), maybe disabled; sometimes another action (which READ ignores).
fn gen_grant(b: &mut Bytes<'_>, env: &EnvSpec) -> GrantSpec {
    let schema = tollgate::sandbox::store::build_schema(env).unwrap();
    let action = match b.below(8) {
        0 => Action::Create,
        1 => Action::ReadVersions,
        _ => Action::Read,
    };
    let model = (b.below(3) > 0).then(|| b.below(3));
    let scoped = action != Action::ReadVersions;
    let condition = match model {
        Some(m) if scoped && b.below(2) == 0 => {
            let depth = 1 + b.below(3);
            Some(gen_where(&schema, m, b, depth).to_string())
        }
        _ => None,
    };
    GrantSpec {
        id: None,
        action,
        model: model.map(|m| MODEL_NAMES[m].to_string()),
        condition,
        locales: if scoped { list(b, &LOCALES) } else { None },
        stages: if action == Action::Read {
            list(b, &STAGES)
        } else {
            None
        },
        from_stages: None,
        to_stages: None,
        enabled: b.below(5) > 0,
    }
}

fn sandbox_visible(
    store: &Store,
    key: EnvKey,
    p: &Principal,
    model: &str,
    stage: &str,
    locales: &[String],
) -> Vec<(String, String)> {
    let v = visible_predicate(store, key, p, model, stage, locales, "d").unwrap();
    let sql = format!(
        "SELECT d.entry_id, {} FROM {} d WHERE d.stage = ? AND {} ORDER BY d.creation_order",
        v.served.sql,
        key.doc_table(model),
        v.visible.sql
    );
    let mut params: Vec<SqlValue> = v.served.params.clone();
    params.push(SqlValue::Text(stage.into()));
    params.extend(v.visible.params);
    let mut st = store.conn().prepare(&sql).unwrap();
    st.query_map(rusqlite::params_from_iter(params.iter()), |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .unwrap()
    .collect::<rusqlite::Result<Vec<_>>>()
    .unwrap()
}

fn differential(env: &EnvSpec) -> Result<(), TestCaseError> {
    let state = State::load("vis", std::slice::from_ref(env), Profile::default())
        .map_err(|e| TestCaseError::fail(format!("reference load: {e}")))?;
    let renv = &state.environments[0];
    let (schema, content) = (&renv.schema, &renv.content);
    let mut store = Store::in_memory().unwrap();
    let key = store.load("vis", env).unwrap();
    load_principals(&store, key, env).unwrap();
    let pat = pat_by_name(&store, key, "t").unwrap().unwrap();
    let principals: [(Principal, &[Grant]); 2] = [
        (Principal::Public, &renv.public.grants),
        (
            Principal::Pat(pat.id.clone()),
            &renv.pat("t").unwrap().grants,
        ),
    ];
    let profile = Profile::default();
    for (principal, grants) in &principals {
        let reads = read_grants(grants.iter());
        let reader = Reader {
            schema,
            content,
            grants: &reads,
            profile: &profile,
        };
        for (m, model) in schema.models.iter().enumerate() {
            for (s, stage) in schema.stages.iter().enumerate() {
                for names in LISTS {
                    let idx: Vec<usize> = names.iter().map(|l| schema.locale(l).unwrap()).collect();
                    let names: Vec<String> = names.iter().map(|l| l.to_string()).collect();
                    let reference: Vec<(String, String)> = content
                        .of_model(m)
                        .filter_map(|e| {
                            let d = e.document(s)?;
                            let l = reader.visible(e, d, s, &idx)?;
                            Some((e.id.clone(), schema.locales[l].clone()))
                        })
                        .collect();
                    let sandbox =
                        sandbox_visible(&store, key, principal, &model.api_id, stage, &names);
                    let why = || {
                        format!(
                            "{principal:?} {} {stage} {names:?}\n{}",
                            model.api_id,
                            serde_yaml_ng::to_string(env).unwrap()
                        )
                    };
                    prop_assert_eq!(&sandbox, &reference, "visible: {}", why());
                    let c = covered(&store, key, principal, &model.api_id, stage, &names).unwrap();
                    prop_assert_eq!(c, reader.covered(m, s, &idx), "covered: {}", why());
                }
            }
        }
    }
    Ok(())
}

fn gen_case(b: &mut Bytes<'_>) -> EnvSpec {
    let mut env = gen_content(b);
    for _ in 0..b.below(4) {
        let g = gen_grant(b, &env);
        env.public.grants.push(g);
    }
    let mut grants = Vec::new();
    for _ in 0..b.below(4) {
        grants.push(gen_grant(b, &env));
    }
    env.pats.push(PatSpec {
        name: "t".into(),
        default_stage: None,
        revoked: false,
        grants,
    });
    env
}

/// Condition texts, valid and not, for the PERM-4 comparison.
const CONDITIONS: [&str; 9] = [
    "",
    "null",
    "[]",
    "{} {}",
    r#"{"nope": 1}"#,
    r#"{"views_lt": null}"#,
    r#"{"views": 1, "views": 2}"#,
    r#" {"title_contains": "a"} "#,
    "{}",
];

/// A random grant spec, often one PERM-4 refuses.
fn gen_any_grant(b: &mut Bytes<'_>, env: &EnvSpec) -> GrantSpec {
    let schema = tollgate::sandbox::store::build_schema(env).unwrap();
    let some = |b: &mut Bytes<'_>, good: &[&str], bad: &str| -> Option<Vec<String>> {
        match b.below(7) {
            0..=3 => None,
            4 => Some(Vec::new()),
            5 => Some(vec![pick(b, good).to_string()]),
            _ => Some(vec![pick(b, good).to_string(), bad.to_string()]),
        }
    };
    let model = match b.below(5) {
        0 | 1 => None,
        2 => Some("Comment".to_string()),
        _ => Some(pick(b, &MODEL_NAMES).to_string()),
    };
    let condition = match b.below(4) {
        0 | 1 => None,
        2 => Some(pick(b, &CONDITIONS).to_string()),
        _ => Some(
            model
                .as_deref()
                .and_then(|m| schema.model(m))
                .map(|m| gen_where(&schema, m, b, 2).to_string())
                .unwrap_or_else(|| "{}".into()),
        ),
    };
    GrantSpec {
        id: None,
        action: pick(b, &Action::ALL),
        model,
        condition,
        locales: some(b, &LOCALES, "it"),
        stages: some(b, &STAGES, "draft"),
        from_stages: some(b, &STAGES, "LIVE"),
        to_stages: some(b, &STAGES, "LIVE"),
        enabled: true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sandbox_visibility_agrees_with_the_reference(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let mut b = Bytes::new(&bytes);
        let env = gen_case(&mut b);
        differential(&env)?;
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sandbox_refuses_the_grants_the_reference_refuses(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut b = Bytes::new(&bytes);
        let mut env: EnvSpec = serde_yaml_ng::from_str(MODELS).unwrap();
        let g = gen_any_grant(&mut b, &env);
        let mut store = Store::in_memory().unwrap();
        let key = store.load("perm4", &env).unwrap();
        let sandbox = create_grant(&store, key, &Principal::Public, &g);
        env.public.grants.push(g.clone());
        let reference = State::load("perm4", std::slice::from_ref(&env), Profile::default());
        match (&sandbox, &reference) {
            (Ok(_), Ok(_)) | (Err(PrincipalError::Refused(_)), Err(_)) => {}
            _ => prop_assert!(false, "{:?}: sandbox {:?}, reference {:?}", g, sandbox, reference.map(|_| ())),
        }
    }
}
