//! Deliberately invalid requests, so that 400 paths are compared too (ERR-1 steps 3, 5 and 7):
//! unknown fields and arguments (CTX-3, READ-10), values their types refuse (DATA-1), paging
//! bounds (READ-3), empty or unknown locales and stages and bad `gcms-*` headers (CTX-1, CTX-2),
//! explicit nulls (CTX-5), LIMIT-1's bounds, conflicting response keys (CTX-3); for mutations
//! also missing required data, bad `to`/`from` lists (WRITE-5), system fields in data and
//! nested creates (WRITE-10), and a mutation by GET (ERR-3). Any request may also be padded to
//! ERR-3's body limit or one byte past it (413).

use serde_json::{json, Map, Value as Json};

use crate::gen::world::World;
use crate::model::profile::Profile;
use crate::model::value::ScalarType;
use crate::op::{Method, OperationType, Request, Selection};

/// What can be done to a query.
const QUERY: [u8; 21] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 27,
];
/// What can be done to a mutation.
const MUTATION: [u8; 15] = [0, 1, 11, 12, 13, 17, 20, 21, 22, 23, 24, 25, 26, 19, 27];

/// A string over LIMIT-1's operand length.
fn long_string() -> String {
    "a".repeat(4097)
}

/// A `where` nested 33 levels deep (LIMIT-1's depth is 32).
fn deep_where() -> Json {
    let mut w = json!({"id": "x"});
    for _ in 0..32 {
        w = json!({"AND": [w]});
    }
    w
}

/// `documentInStages` nested until the selection is 11 deep (LIMIT-1's depth is 10).
fn deep_selection() -> Selection {
    let mut s = Selection {
        name: "id".into(),
        ..Selection::default()
    };
    for _ in 0..11 {
        s = Selection {
            name: "documentInStages".into(),
            selection: vec![s],
            ..Selection::default()
        };
    }
    s
}

/// The entry selection set of a root field (below `edges { node }` for a connection).
fn entry_set(f: &mut Selection) -> &mut Vec<Selection> {
    let edges = f.selection.iter().position(|s| s.name == "edges");
    match edges {
        Some(i) if f.name.ends_with("Connection") => {
            let e = &mut f.selection[i];
            match e.selection.iter().position(|s| s.name == "node") {
                Some(j) => &mut e.selection[j].selection,
                None => &mut e.selection,
            }
        }
        _ => &mut f.selection,
    }
}

/// The first Int field's name of the model a root or mutation field is about, if any.
fn int_field(world: &World, f: &Selection) -> Option<String> {
    world
        .models
        .iter()
        .find(|m| {
            f.name == m.plural
                || f.name == m.single
                || f.name == format!("{}Connection", m.plural)
                || f.name.ends_with(&m.name)
        })
        .and_then(|m| m.scalars.iter().find(|s| s.ty == ScalarType::Int))
        .map(|s| s.name.clone())
}

/// `from` for an unpublish, `to` otherwise: the stage-list argument of a (un)publish.
fn stage_list_arg(f: &Selection) -> &'static str {
    if f.name.starts_with("unpublish") {
        "from"
    } else {
        "to"
    }
}

/// Edits the field's `data` object (a new one when it has none, or one that is not an object).
fn edit_data(f: &mut Selection, edit: impl FnOnce(&mut Map<String, Json>)) {
    let mut d = match f.args.get("data") {
        Some(Json::Object(d)) => d.clone(),
        _ => Map::new(),
    };
    edit(&mut d);
    f.args.insert("data".into(), Json::Object(d));
}

/// Applies invalid variant `v` to `r`.
pub(crate) fn apply(world: &World, r: &mut Request, v: u8) {
    let mutation = r.operation == OperationType::Mutation;
    let table: &[u8] = if mutation { &MUTATION } else { &QUERY };
    let kind = table[usize::from(v) % table.len()];
    let default_locale = world.locale_at(0);
    let stage = world.stage_at(1);
    let Some(f) = r.fields.first_mut() else {
        return;
    };
    let list = !mutation
        && world
            .models
            .iter()
            .any(|m| f.name == m.plural || f.name == format!("{}Connection", m.plural));
    let is_create = f.name.starts_with("create");
    match kind {
        0 => entry_set(f).push(Selection {
            name: "nope".into(),
            ..Selection::default()
        }),
        1 => {
            f.args.insert("nope".into(), json!(1));
        }
        2 => {
            f.args.insert("first".into(), json!(101));
        }
        3 => {
            let key = if v % 2 == 0 { "first" } else { "skip" };
            f.args.insert(key.into(), json!(-1));
        }
        4 => {
            f.args.insert("locales".into(), json!([]));
        }
        5 => {
            f.args.insert("locales".into(), json!(["xx"]));
        }
        6 => {
            let key = if v % 2 == 0 { "stage" } else { "locales" };
            f.args.insert(key.into(), Json::Null);
        }
        7 if list => {
            f.args.insert("where".into(), deep_where());
        }
        8 if list => {
            let ids: Vec<String> = (0..1001).map(|i| format!("x{i}")).collect();
            f.args.insert("where".into(), json!({"id_in": ids}));
        }
        9 => {
            f.args.insert("where".into(), json!({"id": long_string()}));
        }
        10 => entry_set(f).push(deep_selection()),
        11 => {
            r.stage_header = vec![if v % 2 == 0 {
                "draft".into()
            } else {
                String::new()
            }]
        }
        12 => {
            r.locales_header = vec![if v % 2 == 0 {
                format!("{default_locale},,{default_locale}")
            } else {
                default_locale.to_uppercase()
            }]
        }
        13 => r.stage_header = vec![stage.clone(), stage],
        14 => {
            f.args.insert("first".into(), json!("x"));
        }
        15 => {
            f.args.insert("orderBy".into(), json!("nope_ASC"));
        }
        16 => {
            let w = if list { json!({"nope": 1}) } else { json!({}) };
            f.args.insert("where".into(), w);
        }
        17 => {
            f.args.insert("where".into(), json!({"id": "a\u{0}b"}));
        }
        18 => match int_field(world, f) {
            Some(name) if list => {
                f.args
                    .insert("where".into(), json!({ name: 2_147_483_648_i64 }));
            }
            _ => {
                f.args.insert("first".into(), json!(2_147_483_648_i64));
            }
        },
        19 => {
            // The same response key twice with different arguments.
            let mut twin = f.clone();
            f.args.insert("stage".into(), json!(world.stage_at(0)));
            twin.args.insert("stage".into(), json!(world.stage_at(1)));
            r.fields.push(twin);
        }
        20 => match (is_create, f.args.get_mut("data")) {
            (true, Some(Json::Object(d))) => {
                let required = world
                    .models
                    .iter()
                    .find(|m| f.name == format!("create{}", m.name))
                    .and_then(|m| m.scalars.iter().find(|s| s.required))
                    .map(|s| s.name.clone());
                match required {
                    Some(n) => {
                        d.remove(&n);
                    }
                    None => {
                        d.insert("nope".into(), json!(1));
                    }
                }
            }
            (_, Some(Json::Object(d))) => {
                d.insert("nope".into(), json!(1));
            }
            _ => {
                f.args.insert("data".into(), json!({"nope": 1}));
            }
        },
        21 => {
            f.args.insert(stage_list_arg(f).into(), json!([]));
        }
        22 => {
            f.args.insert(stage_list_arg(f).into(), json!(["DRAFT"]));
        }
        23 => edit_data(f, |d| {
            d.insert("createdAt".into(), json!("2024-01-01T00:00:00Z"));
        }),
        24 => {
            let rel = world
                .models
                .iter()
                .find(|m| f.name.ends_with(&m.name))
                .and_then(|m| m.rels.first())
                .map(|r| r.name.clone());
            edit_data(f, |d| {
                d.insert(
                    rel.unwrap_or_else(|| "nope".into()),
                    json!({"create": [{}]}),
                );
            });
        }
        25 => {
            let name = world
                .models
                .iter()
                .find(|m| f.name.ends_with(&m.name))
                .and_then(|m| m.scalars.first())
                .map(|s| (s.name.clone(), s.ty.clone()));
            edit_data(f, |d| {
                if let Some((n, ty)) = name {
                    let bad = match ty {
                        ScalarType::String | ScalarType::Id => json!(5),
                        _ => json!("x"),
                    };
                    d.insert(n, bad);
                }
            });
        }
        26 => r.method = Method::Get,
        // A body of exactly ERR-3's limit (accepted) or one byte over (413). Only by POST: a
        // GET's URL that long is refused by the HTTP layer before any server logic (414).
        27 if r.method == Method::Post => {
            let limit = Profile::hygraph_2025().max_body_bytes;
            r.body_bytes = Some(if v % 2 == 0 { limit } else { limit + 1 });
        }
        // A variant that does not fit this field: an unknown argument.
        _ => {
            f.args.insert("nope".into(), json!(1));
        }
    }
}
