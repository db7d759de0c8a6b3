//! The executor of one request ([`Exec`]) and the SQL that selects documents (READ-2, READ-3,
//! READ-9, ORDER-1, DATA-4): visibility, the request's `where`, the scope of a relation field,
//! ordering and paging, in one statement per list. Its checks (READ-6) are in `check`, its
//! rendering (fields, relations, `documentInStages`, connections) in `render`.
//!
//! # One query per list
//!
//! Every list of documents (a root list, a page of edges, a count, one parent's relation
//! field, one stage of `documentInStages`, a single entry) is one SQL statement:
//!
//! ```text
//! SELECT s.id, s.served, s.vis, x.created_at, x.updated_at, x.published_at, x.f_a, lo.f_b, …
//! FROM (SELECT d.entry_id AS id, <served> AS served, d.creation_order AS co, 1 AS vis, k.seq AS seq
//!       FROM doc d [JOIN link k ON k.<far> = d.entry_id AND k.stage = d.stage]
//!       WHERE d.stage = ? [AND <scope>] AND <visible> [AND <where>]) s
//! JOIN doc x ON x.entry_id = s.id AND x.stage = ?
//! LEFT JOIN loc lo ON lo.entry_id = s.id AND lo.stage = x.stage AND lo.locale = s.served
//! ORDER BY [(<key> IS NULL) dir, <key> dir,] [s.seq,] s.co LIMIT ? OFFSET ?
//! ```
//!
//! `<visible>` and `<served>` are READ-2 compiled by
//! [`principals::visibility`](crate::sandbox::principals::visibility) for the rows' model, stage
//! and locale list; the request's `where` is compiled over the same row with the served locale.
//! The scope is an entry id (`post(where: {id})`, `documentInStages`), a parent's first link of
//! a single relation, or a parent's links of a list relation (`k` the owner's link table:
//! `far` = `target_id`, `near` = `owner_id`) or reverse field (the same table from the other
//! end). Joining `doc d` in the link's stage drops dangling links (DATA-4). Without `orderBy` a
//! relation lists its entries in link order (`seq`), a root in creation order (`co`); with
//! one, ties go by creation order (ORDER-1). So each document's row and its served
//! localization are read once, with the page that selects them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;

use crate::model::condition::Where;
use crate::model::project::{FieldKind, Model, ModelIdx, Schema};
use crate::sandbox::faults::Fault;
use crate::sandbox::principals::{
    covered, default_stage, visibility, Principal, Visibility, VisibilityQuery,
};
use crate::sandbox::read::plan::{ListArgs, Order, OrderKey, Rel};
use crate::sandbox::read::ReadError;
use crate::sandbox::sql::{compile_with, served_locale, Compiled, LocaleSql};
use crate::sandbox::store::{field_column, EnvKey, LoadedEnv, Pagination, Store};

/// How a query decides which documents it may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Access {
    /// READ-2: visible to the principal.
    Visible,
    /// READ-2 without grant conditions (model, stage and locale coverage only).
    Covered,
    /// Present in a requested locale; grants not consulted.
    Present,
}

/// Which documents of a model a query ranges over.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'q> {
    /// Every document in the stage.
    All,
    /// One entry's document.
    Entry(&'q str),
    /// The entry a parent's single relation links to (its first link).
    Single {
        /// The parent's model.
        owner_model: ModelIdx,
        /// The relation field.
        field: usize,
        /// The parent's id.
        owner: &'q str,
    },
    /// The entries a parent's list relation or reverse field links to.
    Many {
        /// The parent's model.
        parent_model: ModelIdx,
        /// Which relation.
        rel: Rel,
        /// The parent's id.
        parent: &'q str,
    },
}

/// One list of documents to select.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocQuery<'q> {
    /// The rows' model.
    pub model: ModelIdx,
    /// The rows' stage.
    pub stage: &'q str,
    /// The stage whose grants decide visibility (the rows' stage, but for fault
    /// `document-in-stages-leak`).
    pub grant_stage: &'q str,
    /// The requested locales in force (CTX-2, CTX-4).
    pub locales: &'q [String],
    /// How visibility is decided.
    pub access: Access,
    /// Which documents.
    pub scope: Scope<'q>,
    /// The request's `where`.
    pub filter: Option<&'q Where>,
    /// `orderBy`.
    pub order: Option<Order>,
    /// `(first, skip)`, when the list is paged.
    pub page: Option<(i64, i64)>,
}

impl<'q> DocQuery<'q> {
    /// A query over `scope` of `model` in `stage` for `locales`, visible by READ-2, unfiltered,
    /// unordered and unpaged.
    pub fn new(model: ModelIdx, stage: &'q str, locales: &'q [String], scope: Scope<'q>) -> Self {
        DocQuery {
            model,
            stage,
            grant_stage: stage,
            locales,
            access: Access::Visible,
            scope,
            filter: None,
            order: None,
            page: None,
        }
    }

    /// `args`' filter and order; paged by `first` / `skip` when `page_default` (the `first`
    /// of a list that gives none) is given.
    pub(super) fn with_list(mut self, args: &'q ListArgs, page_default: Option<i64>) -> Self {
        self.filter = args.filter.as_ref();
        self.order = args.order;
        if let Some(default) = page_default {
            self.page = Some((args.first.unwrap_or(default), args.skip));
        }
        self
    }
}

/// A selected document: what its selection may read.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// The entry's id.
    pub id: String,
    /// READ-2's served locale.
    pub served: String,
    /// `createdAt`, µs.
    pub created_at: i64,
    /// `updatedAt`, µs.
    pub updated_at: i64,
    /// `publishedAt`, µs.
    pub published_at: Option<i64>,
    /// By field index of the model: the value (localized fields in the served locale); NULL
    /// for relation fields.
    pub values: Vec<SqlValue>,
}

type VisKey = (ModelIdx, String, Vec<String>, Access);
type CovKey = (ModelIdx, String, Vec<String>);

/// One request's executor: the store, the principal, and caches of the visibility predicates
/// and coverage answers it has compiled.
pub(crate) struct Exec<'a> {
    store: &'a Store,
    env: EnvKey,
    schema: &'a Schema,
    principal: &'a Principal,
    vis: RefCell<HashMap<VisKey, Rc<Visibility>>>,
    cov: RefCell<HashMap<CovKey, bool>>,
    default_stage: RefCell<Option<String>>,
    pagination: Pagination,
}

impl<'a> Exec<'a> {
    /// An executor for one request in environment `env` of `store`.
    pub fn new(store: &'a Store, env: &'a LoadedEnv, principal: &'a Principal) -> Exec<'a> {
        Exec {
            store,
            env: env.key,
            schema: &env.schema,
            principal,
            vis: RefCell::new(HashMap::new()),
            cov: RefCell::new(HashMap::new()),
            default_stage: RefCell::new(None),
            pagination: env.pagination,
        }
    }

    /// The project's `first` for a list that gives none (READ-3, READ-9).
    pub(super) fn page_default(&self) -> Option<i64> {
        Some(self.pagination.default)
    }

    pub(super) fn model(&self, m: ModelIdx) -> Result<&'a Model, ReadError> {
        self.schema
            .models
            .get(m)
            .ok_or_else(|| ReadError::Unsupported(format!("model #{m}")))
    }

    pub(super) fn has(&self, f: Fault) -> bool {
        self.store.has_fault(f)
    }

    /// The principal's default stage (CTX-1), read once.
    pub fn default_stage(&self) -> Result<String, ReadError> {
        if let Some(s) = self.default_stage.borrow().as_ref() {
            return Ok(s.clone());
        }
        let s = default_stage(self.store, self.env, self.principal)?;
        *self.default_stage.borrow_mut() = Some(s.clone());
        Ok(s)
    }

    /// READ-1's and READ-6's coverage test, answered once per (model, stage, locales).
    pub fn covered(
        &self,
        model: ModelIdx,
        stage: &str,
        locales: &[String],
    ) -> Result<bool, ReadError> {
        let key = (model, stage.to_string(), locales.to_vec());
        if let Some(c) = self.cov.borrow().get(&key) {
            return Ok(*c);
        }
        let m = self.model(model)?;
        let c = covered(
            self.store,
            self.env,
            self.principal,
            &m.api_id,
            stage,
            locales,
        )?;
        self.cov.borrow_mut().insert(key, c);
        Ok(c)
    }

    /// The locale list a relation field reads its entries with (CTX-4): its own `locales:`,
    /// else the parent's list. Fault `relation-locale-reset` forgets the parent's list and
    /// uses the default locale.
    pub(super) fn relation_locales(
        &self,
        own: Option<&[String]>,
        inherited: &[String],
    ) -> Vec<String> {
        match own {
            Some(list) => list.to_vec(),
            None if self.has(Fault::RelationLocaleReset) => {
                vec![self.schema.default_locale().to_string()]
            }
            None => inherited.to_vec(),
        }
    }

    /// How relation fields decide visibility: READ-6's "visible to the same principal", or,
    /// under fault `relation-ignores-grants`, mere presence.
    pub(super) fn relation_access(&self) -> Access {
        if self.has(Fault::RelationIgnoresGrants) {
            Access::Present
        } else {
            Access::Visible
        }
    }

    // --- SQL ---------------------------------------------------------------------------------

    fn visibility(
        &self,
        model: ModelIdx,
        grant_stage: &str,
        locales: &[String],
        access: Access,
    ) -> Result<Rc<Visibility>, ReadError> {
        let key = (model, grant_stage.to_string(), locales.to_vec(), access);
        if let Some(v) = self.vis.borrow().get(&key) {
            return Ok(Rc::clone(v));
        }
        let m = self.model(model)?;
        let v = match access {
            Access::Visible | Access::Covered => visibility(
                self.store,
                self.env,
                self.principal,
                &VisibilityQuery {
                    model: &m.api_id,
                    stage: grant_stage,
                    locales,
                    alias: "d",
                    conditions: access == Access::Visible,
                },
            )?,
            Access::Present => {
                let served = match served_locale(self.env, self.schema, model, "d", locales)? {
                    LocaleSql::Bound(l) => Compiled {
                        sql: "?".into(),
                        params: vec![SqlValue::Text(l)],
                    },
                    LocaleSql::Expr { sql, params } => Compiled {
                        sql: format!("({sql})"),
                        params,
                    },
                };
                Visibility {
                    visible: Compiled {
                        sql: format!("({} IS NOT NULL)", served.sql),
                        params: served.params.clone(),
                    },
                    served,
                }
            }
        };
        let v = Rc::new(v);
        self.vis.borrow_mut().insert(key, Rc::clone(&v));
        Ok(v)
    }

    /// The link table of a list relation or reverse field of `parent_model` and its (near, far)
    /// columns: `near` holds the parent's id, `far` the related entry's.
    fn link_of(
        &self,
        parent_model: ModelIdx,
        rel: Rel,
    ) -> Result<(String, &'static str, &'static str), ReadError> {
        let pm = self.model(parent_model)?;
        match rel {
            Rel::Own(f) => {
                let field = pm
                    .fields
                    .get(f)
                    .ok_or_else(|| ReadError::Unsupported(format!("field #{f}")))?;
                Ok((
                    self.env.link_table(&pm.api_id, &field.api_id),
                    "owner_id",
                    "target_id",
                ))
            }
            Rel::Reverse(r) => {
                let rf = pm
                    .reverse
                    .get(r)
                    .ok_or_else(|| ReadError::Unsupported(format!("reverse field #{r}")))?;
                let om = self.model(rf.owner)?;
                let field = om
                    .fields
                    .get(rf.owner_field)
                    .ok_or_else(|| ReadError::Unsupported(format!("field #{}", rf.owner_field)))?;
                Ok((
                    self.env.link_table(&om.api_id, &field.api_id),
                    "target_id",
                    "owner_id",
                ))
            }
        }
    }

    /// The inner `SELECT` (see the module docs): the documents in scope, with their served
    /// locale, creation order, link order and (unless `filter_visible`) their visibility as a
    /// column instead of a condition.
    fn inner(
        &self,
        q: &DocQuery<'_>,
        filter_visible: bool,
    ) -> Result<(String, Vec<SqlValue>), ReadError> {
        let m = self.model(q.model)?;
        let vis = self.visibility(q.model, q.grant_stage, q.locales, q.access)?;
        let mut sql = format!(
            "SELECT \"d\".\"entry_id\" AS \"id\", {} AS \"served\", \"d\".\"creation_order\" AS \"co\"",
            vis.served.sql
        );
        let mut params: Vec<SqlValue> = vis.served.params.clone();
        if filter_visible {
            sql.push_str(", 1 AS \"vis\"");
        } else {
            sql.push_str(&format!(", {} AS \"vis\"", vis.visible.sql));
            params.extend(vis.visible.params.iter().cloned());
        }
        let link = match q.scope {
            Scope::Many {
                parent_model, rel, ..
            } => Some(self.link_of(parent_model, rel)?),
            _ => None,
        };
        match &link {
            Some(_) => sql.push_str(", \"k\".\"seq\" AS \"seq\""),
            None => sql.push_str(", NULL AS \"seq\""),
        }
        sql.push_str(&format!(" FROM {} \"d\"", self.env.doc_table(&m.api_id)));
        if let Some((table, _, far)) = &link {
            sql.push_str(&format!(
                " JOIN {table} \"k\" ON \"k\".\"{far}\" = \"d\".\"entry_id\" \
                 AND \"k\".\"stage\" = \"d\".\"stage\""
            ));
        }
        sql.push_str(" WHERE \"d\".\"stage\" = ?");
        params.push(SqlValue::Text(q.stage.to_string()));
        match q.scope {
            Scope::All => {}
            Scope::Entry(id) => {
                sql.push_str(" AND \"d\".\"entry_id\" = ?");
                params.push(SqlValue::Text(id.to_string()));
            }
            Scope::Single {
                owner_model,
                field,
                owner,
            } => {
                let om = self.model(owner_model)?;
                let f = om
                    .fields
                    .get(field)
                    .ok_or_else(|| ReadError::Unsupported(format!("field #{field}")))?;
                sql.push_str(&format!(
                    " AND \"d\".\"entry_id\" = (SELECT \"s1\".\"target_id\" FROM {} \"s1\" \
                     WHERE \"s1\".\"owner_id\" = ? AND \"s1\".\"stage\" = \"d\".\"stage\" \
                     ORDER BY \"s1\".\"seq\" LIMIT 1)",
                    self.env.link_table(&om.api_id, &f.api_id)
                ));
                params.push(SqlValue::Text(owner.to_string()));
            }
            Scope::Many { parent, .. } => {
                if let Some((_, near, _)) = &link {
                    sql.push_str(&format!(" AND \"k\".\"{near}\" = ?"));
                    params.push(SqlValue::Text(parent.to_string()));
                }
            }
        }
        if filter_visible {
            sql.push_str(&format!(" AND {}", vis.visible.sql));
            params.extend(vis.visible.params.iter().cloned());
        }
        if let Some(w) = q.filter {
            let locale = LocaleSql::Expr {
                sql: vis.served.sql.clone(),
                params: vis.served.params.clone(),
            };
            let c = compile_with(self.env, self.schema, w, "d", &locale, self.store.faults())?;
            sql.push_str(&format!(" AND ({})", c.sql));
            params.extend(c.params);
        }
        Ok((sql, params))
    }

    /// The number of documents `q` selects, unpaged (READ-5).
    pub fn count(&self, q: &DocQuery<'_>) -> Result<i64, ReadError> {
        let (inner, params) = self.inner(q, true)?;
        let sql = format!("SELECT COUNT(*) FROM ({inner}) \"s\"");
        let conn = self.store.conn();
        let mut st = conn.prepare_cached(&sql)?;
        Ok(st.query_row(params_from_iter(params.iter()), |r| r.get(0))?)
    }

    /// The documents `q` selects, ordered and paged, each with its row and served
    /// localization. Fault `paginate-before-filter` pages first and drops what is not
    /// visible afterwards.
    pub fn fetch(&self, q: &DocQuery<'_>) -> Result<Vec<Row>, ReadError> {
        let m = self.model(q.model)?;
        let page_first = q.page.is_some() && self.has(Fault::PaginateBeforeFilter);
        let (inner, mut params) = self.inner(q, !page_first)?;
        let column = |i: usize| -> String {
            match m.fields.get(i) {
                Some(f) if matches!(f.kind, FieldKind::Scalar(_)) => {
                    let table = if f.localized { "\"lo\"" } else { "\"x\"" };
                    format!("{table}.{}", field_column(&f.api_id))
                }
                _ => "NULL".to_string(),
            }
        };
        let mut cols = vec![
            "\"s\".\"id\"".to_string(),
            "\"s\".\"served\"".to_string(),
            "\"s\".\"vis\"".to_string(),
            "\"x\".\"created_at\"".to_string(),
            "\"x\".\"updated_at\"".to_string(),
            "\"x\".\"published_at\"".to_string(),
        ];
        cols.extend((0..m.fields.len()).map(column));
        let mut sql = format!(
            "SELECT {} FROM ({inner}) \"s\" JOIN {} \"x\" ON \"x\".\"entry_id\" = \"s\".\"id\" \
             AND \"x\".\"stage\" = ? LEFT JOIN {} \"lo\" ON \"lo\".\"entry_id\" = \"s\".\"id\" \
             AND \"lo\".\"stage\" = \"x\".\"stage\" AND \"lo\".\"locale\" = \"s\".\"served\" ORDER BY ",
            cols.join(", "),
            self.env.doc_table(&m.api_id),
            self.env.loc_table(&m.api_id),
        );
        params.push(SqlValue::Text(q.stage.to_string()));
        match q.order {
            Some(o) => {
                let key = match o.key {
                    OrderKey::Id => "\"s\".\"id\"".to_string(),
                    OrderKey::CreatedAt => "\"x\".\"created_at\"".to_string(),
                    OrderKey::UpdatedAt => "\"x\".\"updated_at\"".to_string(),
                    OrderKey::PublishedAt => "\"x\".\"published_at\"".to_string(),
                    OrderKey::Field(i) => column(i),
                };
                let dir = if o.desc { "DESC" } else { "ASC" };
                sql.push_str(&format!("({key} IS NULL) {dir}, {key} {dir}, "));
            }
            None => {
                if matches!(q.scope, Scope::Many { .. }) {
                    sql.push_str("\"s\".\"seq\" ASC, ");
                }
            }
        }
        sql.push_str("\"s\".\"co\" ASC");
        if let Some((first, skip)) = q.page {
            sql.push_str(" LIMIT ? OFFSET ?");
            params.push(SqlValue::Integer(first));
            params.push(SqlValue::Integer(skip));
        }
        let conn = self.store.conn();
        let mut st = conn.prepare_cached(&sql)?;
        let n = m.fields.len();
        let rows = st.query_map(params_from_iter(params.iter()), |r| {
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                values.push(r.get::<_, SqlValue>(6 + i)?);
            }
            Ok((
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
                Row {
                    id: r.get(0)?,
                    served: String::new(),
                    created_at: r.get(3)?,
                    updated_at: r.get(4)?,
                    published_at: r.get(5)?,
                    values,
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (served, vis, mut row) = row?;
            // Under `paginate-before-filter` the page holds invisible rows: dropped only now.
            if let (Some(served), true) = (served, vis != 0) {
                row.served = served;
                out.push(row);
            }
        }
        Ok(out)
    }
}
