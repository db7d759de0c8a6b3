//! Rendering selected documents into the response's JSON: system and scalar fields from the
//! row each document was selected with, relation fields (READ-6, READ-9, CTX-4) and
//! `documentInStages` (READ-7) by further queries, connections (READ-5).

use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value as Json};

use crate::model::project::{FieldKind, ModelIdx, SystemField};
use crate::model::value::{format_datetime, ScalarType};
use crate::sandbox::faults::Fault;
use crate::sandbox::read::exec::{Access, DocQuery, Exec, Row, Scope};
use crate::sandbox::read::plan::{ConnPart, EdgePart, Item, ListArgs};
use crate::sandbox::read::ReadError;

impl Exec<'_> {
    /// The first document `q` selects, rendered, or `null`.
    pub fn one(&self, q: &DocQuery<'_>, items: &[Item]) -> Result<Json, ReadError> {
        let rows = self.fetch(q)?;
        let mut out = self.render(q.model, q.stage, q.locales, &rows, items)?;
        Ok(if out.is_empty() {
            Json::Null
        } else {
            out.swap_remove(0)
        })
    }

    /// A list field's value: `q` paged by `args` (READ-3, READ-9), rendered.
    pub fn list(
        &self,
        q: DocQuery<'_>,
        args: &ListArgs,
        items: &[Item],
    ) -> Result<Json, ReadError> {
        let q = q.with_list(args, self.page_default());
        let rows = self.fetch(&q)?;
        Ok(Json::Array(
            self.render(q.model, q.stage, q.locales, &rows, items)?,
        ))
    }

    /// A connection's value (READ-5): `aggregate.count` over every visible match, `edges`
    /// paged as a list. Fault `count-ignores-conditions` counts without grant conditions.
    pub fn connection(
        &self,
        q: DocQuery<'_>,
        args: &ListArgs,
        parts: &[ConnPart],
    ) -> Result<Json, ReadError> {
        let api = &self.model(q.model)?.api_id;
        let mut page: Option<Vec<Row>> = None;
        let mut obj = Map::new();
        for p in parts {
            match p {
                ConnPart::Typename(k) => {
                    obj.insert(k.clone(), Json::String(format!("{api}Connection")));
                }
                ConnPart::Aggregate(k, items) => {
                    let mut cq = q.with_list(args, None);
                    if self.has(Fault::CountIgnoresConditions) {
                        cq.access = Access::Covered;
                    }
                    let n = self.count(&cq)?;
                    let agg = items
                        .iter()
                        .map(|(ak, is_count)| {
                            let v = if *is_count {
                                Json::from(n)
                            } else {
                                Json::String("Aggregate".into())
                            };
                            (ak.clone(), v)
                        })
                        .collect();
                    obj.insert(k.clone(), Json::Object(agg));
                }
                ConnPart::Edges(k, eparts) => {
                    if page.is_none() {
                        page = Some(self.fetch(&q.with_list(args, self.page_default()))?);
                    }
                    let rows = page.as_deref().unwrap_or_default();
                    let mut edges = Vec::with_capacity(rows.len());
                    for row in rows {
                        let mut edge = Map::new();
                        for ep in eparts {
                            match ep {
                                EdgePart::Typename(tk) => {
                                    edge.insert(tk.clone(), Json::String(format!("{api}Edge")));
                                }
                                EdgePart::Node(nk, sel) => {
                                    let mut n = self.render(
                                        q.model,
                                        q.stage,
                                        q.locales,
                                        std::slice::from_ref(row),
                                        sel,
                                    )?;
                                    let v = if n.is_empty() {
                                        Json::Null
                                    } else {
                                        n.swap_remove(0)
                                    };
                                    edge.insert(nk.clone(), v);
                                }
                            }
                        }
                        edges.push(Json::Object(edge));
                    }
                    obj.insert(k.clone(), Json::Array(edges));
                }
            }
        }
        Ok(Json::Object(obj))
    }

    /// Renders `items` of each row of `model`, served from `stage` with the locale list
    /// `locales` in force (which relation fields and `documentInStages` inherit, CTX-4).
    pub fn render(
        &self,
        model: ModelIdx,
        stage: &str,
        locales: &[String],
        rows: &[Row],
        items: &[Item],
    ) -> Result<Vec<Json>, ReadError> {
        let m = self.model(model)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut obj = Map::new();
            for it in items {
                let (key, value) = match it {
                    Item::Typename(k) => (k, Json::String(m.api_id.clone())),
                    Item::System(k, f) => (k, system_json(*f, row, stage)),
                    Item::Scalar(k, i) => {
                        let v = match (m.fields.get(*i).map(|f| &f.kind), row.values.get(*i)) {
                            (Some(FieldKind::Scalar(ty)), Some(v)) => scalar_json(ty, v.clone()),
                            _ => Json::Null,
                        };
                        (k, v)
                    }
                    Item::Single {
                        key,
                        field,
                        target,
                        locales: own,
                        sel,
                    } => {
                        let locs = self.relation_locales(own.as_deref(), locales);
                        let mut q = DocQuery::new(
                            *target,
                            stage,
                            &locs,
                            Scope::Single {
                                owner_model: model,
                                field: *field,
                                owner: &row.id,
                            },
                        );
                        q.access = self.relation_access();
                        (key, self.one(&q, sel)?)
                    }
                    Item::Many {
                        key,
                        rel,
                        target,
                        locales: own,
                        args,
                        sel,
                    } => {
                        let locs = self.relation_locales(own.as_deref(), locales);
                        let mut q = DocQuery::new(
                            *target,
                            stage,
                            &locs,
                            Scope::Many {
                                parent_model: model,
                                rel: *rel,
                                parent: &row.id,
                            },
                        );
                        q.access = self.relation_access();
                        (key, self.list(q, args, sel)?)
                    }
                    Item::Stages {
                        key,
                        stages,
                        include_current,
                        sel,
                    } => (
                        key,
                        self.stages(model, stage, locales, row, stages, *include_current, sel)?,
                    ),
                };
                obj.insert(key.clone(), value);
            }
            out.push(Json::Object(obj));
        }
        Ok(out)
    }

    /// `documentInStages` of one entry (READ-7): in the order of `stages`, the entry's
    /// document in each stage where it is visible with the inherited locale list, the
    /// parent's own stage skipped unless `include_current`; relation fields below read that
    /// document's stage. Never a 403. Fault `document-in-stages-leak` judges every stage by
    /// the grants of the parent's stage.
    #[allow(clippy::too_many_arguments)]
    fn stages(
        &self,
        model: ModelIdx,
        stage: &str,
        locales: &[String],
        row: &Row,
        stages: &[String],
        include_current: bool,
        sel: &[Item],
    ) -> Result<Json, ReadError> {
        let mut list = Vec::new();
        for s in stages {
            if !include_current && s == stage {
                continue;
            }
            let mut q = DocQuery::new(model, s, locales, Scope::Entry(&row.id));
            if self.has(Fault::DocumentInStagesLeak) {
                q.grant_stage = stage;
            }
            let rows = self.fetch(&q)?;
            list.extend(self.render(model, s, locales, &rows, sel)?);
        }
        Ok(Json::Array(list))
    }
}

fn system_json(f: SystemField, row: &Row, stage: &str) -> Json {
    match f {
        SystemField::Id => Json::String(row.id.clone()),
        SystemField::Stage => Json::String(stage.to_string()),
        SystemField::Locale => Json::String(row.served.clone()),
        SystemField::CreatedAt => Json::String(format_datetime(row.created_at)),
        SystemField::UpdatedAt => Json::String(format_datetime(row.updated_at)),
        SystemField::PublishedAt => row
            .published_at
            .map_or(Json::Null, |us| Json::String(format_datetime(us))),
    }
}

/// A stored scalar as its JSON output (DATA-1).
fn scalar_json(ty: &ScalarType, v: SqlValue) -> Json {
    match (ty, v) {
        (_, SqlValue::Null) => Json::Null,
        (ScalarType::Boolean, SqlValue::Integer(i)) => Json::Bool(i != 0),
        (ScalarType::DateTime, SqlValue::Integer(us)) => Json::String(format_datetime(us)),
        (ScalarType::Enum(values), SqlValue::Integer(i)) => usize::try_from(i)
            .ok()
            .and_then(|i| values.get(i))
            .map_or(Json::Null, |s| Json::String(s.clone())),
        (ScalarType::Float, SqlValue::Integer(i)) => {
            serde_json::Number::from_f64(i as f64).map_or(Json::Null, Json::Number)
        }
        (_, SqlValue::Integer(i)) => Json::from(i),
        (_, SqlValue::Real(f)) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        (_, SqlValue::Text(s)) => Json::String(s),
        (_, SqlValue::Blob(_)) => Json::Null,
    }
}
