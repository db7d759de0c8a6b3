//! Properties of the condition language, by proptest over the fixture schema of
//! `tollgate::fuzzing`: parse → print → parse is the identity; `NOT:[a]` and `a` never both
//! hold under two-valued logic; `eval` agrees with the slow evaluator that interprets the raw
//! JSON where by string keys; the compiled form of a condition agrees with `eval`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::json;
use tollgate::fuzzing::{fixture_schema, gen_content, gen_where, slow_eval, Bytes, SlowCtx};
use tollgate::model::condition::{
    eval, parse_condition, parse_value, print, Compiled, EvalCtx, Limits, Where,
};
use tollgate::model::profile::NullLogic;
use tollgate::model::project::{Content, Schema};

/// Keys and values that make up hand-written-looking where values, valid or not.
fn arb_where(depth: u32) -> impl Strategy<Value = serde_json::Value> {
    let leaf_key = prop::sample::select(vec![
        "title",
        "title_not",
        "title_in",
        "title_not_in",
        "title_contains",
        "title_not_starts_with",
        "title_ends_with",
        "views",
        "views_gt",
        "views_lte",
        "views_in",
        "score",
        "score_lt",
        "live",
        "live_not",
        "kind",
        "kind_in",
        "when_gte",
        "id",
        "id_in",
        "in",
        "in_not_in",
        "createdAt_lt",
        "publishedAt",
        "bogus",
        "stage",
    ]);
    let leaf_val = prop_oneof![
        Just(json!(null)),
        Just(json!("")),
        Just(json!("a")),
        Just(json!("NEWS")),
        Just(json!("2024-01-01T10:00:00+02:00")),
        Just(json!(1)),
        Just(json!(1.5)),
        Just(json!(true)),
        Just(json!(["a", "b"])),
        Just(json!([1, 2])),
        Just(json!([])),
        Just(json!([null])),
    ];
    let leaf = prop::collection::vec((leaf_key, leaf_val), 0..4).prop_map(|kvs| {
        let mut m = serde_json::Map::new();
        for (k, v) in kvs {
            m.insert(k.to_string(), v);
        }
        serde_json::Value::Object(m)
    });
    leaf.prop_recursive(depth, 32, 3, |inner| {
        prop_oneof![
            (
                prop::sample::select(vec!["AND", "OR", "NOT"]),
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(k, v)| json!({ k: v })),
            (
                prop::sample::select(vec!["AND", "OR", "NOT"]),
                inner.clone()
            )
                .prop_map(|(k, v)| json!({ k: v })),
            inner.clone().prop_map(|v| json!({ "author": v })),
            inner.prop_map(|v| json!({ "tags_some": v })),
        ]
    })
}

/// Checks `Compiled::holds` (and its two-valued path) against `eval` on every document of the
/// content, in every stage and locale, under both null logics.
fn compiled_agrees(schema: &Schema, content: &Content, w: &Where) -> Result<(), TestCaseError> {
    let compiled = Compiled::new(schema, w);
    for e in content.of_model(w.model) {
        for stage in 0..schema.stages.len() {
            let Some(d) = e.document(stage) else { continue };
            for locale in 0..schema.locales.len() {
                for null_logic in [NullLogic::TwoValued, NullLogic::SqlThreeValued] {
                    let ctx = EvalCtx {
                        schema,
                        content,
                        stage,
                        locale,
                        null_logic,
                    };
                    prop_assert_eq!(
                        compiled.holds(&ctx, e, d),
                        eval(w, &ctx, e, d),
                        "{:?} on {}",
                        w,
                        e.id
                    );
                }
                let ctx = EvalCtx {
                    schema,
                    content,
                    stage,
                    locale,
                    null_logic: NullLogic::TwoValued,
                };
                prop_assert_eq!(compiled.holds_two_valued(&ctx, e, d), eval(w, &ctx, e, d));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_print_parse_is_identity(w in arb_where(4)) {
        let schema = fixture_schema();
        let text = w.to_string();
        if let Ok(parsed) = parse_condition(&schema, 0, &text, &Limits::SPEC) {
            let printed = print(&schema, &parsed);
            let again = parse_condition(&schema, 0, &printed, &Limits::SPEC).unwrap();
            prop_assert_eq!(&again, &parsed);
            prop_assert_eq!(print(&schema, &again), printed);
        }
    }

    #[test]
    fn generated_conditions_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let schema = fixture_schema();
        let mut b = Bytes::new(&bytes);
        let model = b.below(3);
        let wj = gen_where(&schema, model, &mut b, 1);
        let w = parse_value(&schema, model, &wj, &Limits::SPEC).unwrap();
        let again = parse_condition(&schema, model, &print(&schema, &w), &Limits::SPEC).unwrap();
        prop_assert_eq!(again, w);
    }

    #[test]
    fn not_and_its_operand_never_both_hold(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let schema = fixture_schema();
        let mut b = Bytes::new(&bytes);
        let model = b.below(3);
        let wj = gen_where(&schema, model, &mut b, 1);
        let content = gen_content(&schema, &mut b);
        let w = parse_value(&schema, model, &wj, &Limits::SPEC).unwrap();
        let not_w = parse_value(&schema, model, &json!({"NOT": [wj]}), &Limits::SPEC).unwrap();
        for e in content.of_model(model) {
            for stage in 0..3 {
                let Some(d) = e.document(stage) else { continue };
                for locale in 0..2 {
                    let ctx = EvalCtx { schema: &schema, content: &content, stage, locale, null_logic: NullLogic::TwoValued };
                    prop_assert_ne!(eval(&w, &ctx, e, d), eval(&not_w, &ctx, e, d));
                    let ctx3 = EvalCtx { null_logic: NullLogic::SqlThreeValued, ..ctx };
                    prop_assert!(!(eval(&w, &ctx3, e, d) && eval(&not_w, &ctx3, e, d)));
                }
            }
        }
    }

    #[test]
    fn eval_agrees_with_the_slow_evaluator(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let schema = fixture_schema();
        let mut b = Bytes::new(&bytes);
        let model = b.below(3);
        let wj = gen_where(&schema, model, &mut b, 1);
        let content = gen_content(&schema, &mut b);
        let w = parse_value(&schema, model, &wj, &Limits::SPEC).unwrap();
        for e in content.of_model(model) {
            for stage in 0..3 {
                let Some(d) = e.document(stage) else { continue };
                for locale in 0..2 {
                    for three_valued in [false, true] {
                        let null_logic = if three_valued { NullLogic::SqlThreeValued } else { NullLogic::TwoValued };
                        let ctx = EvalCtx { schema: &schema, content: &content, stage, locale, null_logic };
                        let slow = SlowCtx { schema: &schema, content: &content, stage, locale, three_valued };
                        prop_assert_eq!(eval(&w, &ctx, e, d), slow_eval(&slow, model, &wj, e, d), "{} on {}", wj, e.id);
                    }
                }
            }
        }
    }

    #[test]
    fn compiled_agrees_with_eval(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let schema = fixture_schema();
        let mut b = Bytes::new(&bytes);
        let model = b.below(3);
        let wj = gen_where(&schema, model, &mut b, 1);
        let content = gen_content(&schema, &mut b);
        let w = parse_value(&schema, model, &wj, &Limits::SPEC).unwrap();
        compiled_agrees(&schema, &content, &w)?;
        let not_w = parse_value(&schema, model, &json!({"NOT": [wj]}), &Limits::SPEC).unwrap();
        compiled_agrees(&schema, &content, &not_w)?;
    }

    #[test]
    fn compiled_agrees_with_eval_on_hand_written_wheres(
        w in arb_where(4),
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let schema = fixture_schema();
        let content = gen_content(&schema, &mut Bytes::new(&bytes));
        if let Ok(parsed) = parse_value(&schema, 0, &w, &Limits::SPEC) {
            compiled_agrees(&schema, &content, &parsed)?;
        }
    }
}

/// Every operator against every kind of operand (including ones the parser never produces:
/// mismatched types, NaN, nulls in lists, empty lists) on every kind of stored value, on a
/// plain field, a localized field and system fields: the compiled leaf agrees with `eval`.
#[test]
fn compiled_leaves_agree_with_eval_exhaustively() {
    use tollgate::model::condition::{Clause, Op, Operand, ScalarRef};
    use tollgate::model::project::{Document, Entry, SystemField};
    use tollgate::model::value::Value;

    let schema = fixture_schema();
    let values = vec![
        Value::Null,
        Value::String(String::new()),
        Value::String("a".into()),
        Value::String("ab".into()),
        Value::String("p0".into()),
        Value::Int(1),
        Value::Int(2),
        Value::Float(1.0),
        Value::Float(1.5),
        Value::Float(f64::NAN),
        Value::Boolean(false),
        Value::Boolean(true),
        Value::DateTime(0),
        Value::DateTime(5),
        Value::Enum(0),
        Value::Enum(1),
    ];
    let mut operands: Vec<Operand> = values.iter().cloned().map(Operand::One).collect();
    operands.push(Operand::List(vec![]));
    operands.push(Operand::List(vec![Value::Null]));
    operands.push(Operand::List(vec![
        Value::String("a".into()),
        Value::String("b".into()),
    ]));
    operands.push(Operand::List(vec![Value::Enum(1), Value::Enum(2)]));
    operands.push(Operand::List(vec![
        Value::Int(1),
        Value::Float(1.5),
        Value::Null,
    ]));
    operands.push(Operand::List(
        (0..12)
            .map(|i| Value::String(format!("m{i}")))
            .chain([Value::String("a".into())])
            .collect(),
    ));
    let nf = schema.models[0].fields.len();
    let mut content = Content::default();
    for (i, v) in values.iter().enumerate() {
        let doc = Document {
            values: vec![v.clone(); nf],
            links: vec![Vec::new(); nf],
            localizations: vec![(0, vec![v.clone(); nf])].into(),
            created_at: 3,
            updated_at: 5,
            published_at: if i % 2 == 0 { None } else { Some(1) },
        };
        content.entries.push(Entry {
            id: format!("p{i}"),
            model: 0,
            order: i as u64,
            documents: vec![Some(doc)],
        });
    }
    content.reindex();
    let fields = [
        ScalarRef::Field {
            index: 0,
            name: "title".into(),
        },
        ScalarRef::Field {
            index: 1,
            name: "views".into(),
        },
        ScalarRef::System(SystemField::Id),
        ScalarRef::System(SystemField::CreatedAt),
        ScalarRef::System(SystemField::PublishedAt),
        ScalarRef::System(SystemField::Stage),
    ];
    for field in &fields {
        for op in Op::ALL {
            for operand in &operands {
                let w = Where {
                    model: 0,
                    clauses: vec![Clause::Field {
                        field: field.clone(),
                        op,
                        operand: operand.clone(),
                    }],
                };
                for locale in 0..2 {
                    let compiled = Compiled::new(&schema, &w);
                    for e in &content.entries {
                        let d = e.document(0).unwrap();
                        let ctx = EvalCtx {
                            schema: &schema,
                            content: &content,
                            stage: 0,
                            locale,
                            null_logic: NullLogic::TwoValued,
                        };
                        assert_eq!(
                            compiled.holds(&ctx, e, d),
                            eval(&w, &ctx, e, d),
                            "{field:?} {op:?} {operand:?} on {:?}, locale {locale}",
                            d.values[1]
                        );
                    }
                }
            }
        }
    }
}
