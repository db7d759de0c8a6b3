//! Compiling a condition or `where` filter ([`Where`], spec §5) into a boolean SQL expression
//! over a document row of the sandbox [`store`](crate::sandbox::store).
//!
//! # Scheme
//!
//! [`compile`] turns a `Where` over model M into `(sql, params)`: an expression usable in a
//! `WHERE` clause, evaluated on the row of M's `doc` table named by an alias (e.g. `d`), whose
//! `stage` column is the stage of the document tested, in a locale L given as a bound parameter
//! or as an SQL expression ([`LocaleSql`]: the served locale, READ-2). Values are always bound
//! (`?`, in textual order, so the caller's own parameters can precede or follow); identifiers
//! come only from the schema's api ids and are quoted.
//!
//! - **Two-valued logic (WHERE-1).** Every leaf is `COALESCE(<leaf>, 0)` (or a test that is never
//!   NULL: `IS NULL`, `IS NOT NULL`, a constant), so each subexpression is 0 or 1 and `NOT`,
//!   `r_every` and `r_none` negate two-valued results: on a null `title`, `NOT:[{title:"x"}]` is
//!   true.
//! - **Leaves.** `f: x` → `v = ?`; `f: null` → `v IS NULL`; `f_not: null` → `v IS NOT NULL`;
//!   `f_not: x` → `v <> ?` (false on null: "exists and differs"); `f_in: [..]` → `v IN (?, …)`,
//!   `[]` → `0`; `f_not_in: [..]` → `v NOT IN (…)`, `[]` → `v IS NOT NULL`; `_lt` … `_gte` →
//!   `<`, `<=`, `>`, `>=`. Numbers compare numerically (INTEGER and REAL columns), DateTimes as µs
//!   integers, Booleans as 0/1, Enums by their declaration index (equality only).
//! - **Strings (WHERE-5)** are literal and case-sensitive, never `LIKE`/`GLOB`: `_contains` →
//!   `instr(v, ?) > 0`, `_starts_with` → `substr(v, 1, n) = ?`, `_ends_with` → `substr(v, -n) = ?`
//!   with n the operand's length in Unicode scalar values (SQLite counts characters of TEXT the
//!   same way); the `_not_` forms compare with `=`/`<>` instead, still false on null. An empty
//!   operand gives `v IS NOT NULL` for the three positive forms and `0` for the `_not_` forms.
//! - **Fields.** `id` → `entry_id`, `createdAt` → `created_at`, `updatedAt` → `updated_at`,
//!   `publishedAt` → `published_at`; a non-localized field → its `f_{field}` column; a localized
//!   field → a scalar subquery on the `loc` row `(entry, stage, L)`, NULL when the document has no
//!   localization in L (WHERE-2).
//! - **Relations (DATA-4, WHERE-2, WHERE-3).** `r: w` and `r_some: w` → `EXISTS (SELECT 1 FROM
//!   link JOIN related doc ON (target_id, stage) WHERE owner = d AND stage = d.stage AND w)`; the
//!   join with the related model's document **in the same stage** drops dangling links. `r_none`
//!   → `NOT EXISTS (… AND w)`; `r_every` → `NOT EXISTS (… AND NOT w)` (true when there is none).
//!   A reverse field runs the same subquery from the other end: the owner model's link table
//!   where `target_id` is the tested entry, joined to the owner's document in the same stage.
//!   Related entries' localized fields are read in the same L, without fallback.
//! - **AND / OR / NOT** (`NOT` = not all): empty lists give `1`, `0`, `0`; an object's keys are
//!   AND-ed, the empty object is `1`.
//!
//! Subquery aliases are `_l{n}` and `_r{n}`; the caller's alias must be an api id-like name
//! (a letter first), so it never collides with them.
//!
//! # Faults
//!
//! [`compile_with`] takes the store's [`Faults`]; each filter fault changes one rule above:
//! `three-valued-nulls` leaves leaves uncollapsed (no `COALESCE`), `not-matches-null` compiles
//! `f_not: x` to `v IS NOT ?`, `contains-case-insensitive` compiles `_contains` to `LIKE`,
//! `not-as-not-any` joins `NOT`'s list with `OR`, `relation-filter-any-stage` drops the
//! same-stage condition of the related document's join. [`compile`] is the faithful compiler;
//! [`select_ids`] and [`select_ids_served`] use the store's faults.

use rusqlite::types::Value as SqlValue;

use crate::model::condition::ast::{
    Clause, ListRelation, Op, Operand, Quantifier, ScalarRef, Where,
};
use crate::model::project::{FieldKind, Model, ModelIdx, Schema, SystemField};
use crate::model::value::Value;
use crate::sandbox::faults::{Fault, Faults};
use crate::sandbox::store::{field_column, quote, sql_value, EnvKey, Store, StoreError};

/// Why a [`Where`] could not be compiled (it does not fit the schema it is compiled against).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The AST names a model, field or reverse field the schema lacks, or of the wrong kind.
    #[error("the filter does not fit the schema: {0}")]
    Schema(String),
    /// An operand of the wrong shape for its operator (a list for `f`, a null for `_lt`, …).
    #[error("operand of {field}{suffix} is not valid for the operator")]
    Operand {
        /// The field's name.
        field: String,
        /// The operator's suffix.
        suffix: &'static str,
    },
    /// The alias given for the document row is not a plain identifier.
    #[error("alias {0:?} is not an identifier starting with a letter")]
    Alias(String),
}

/// The locale L that localized fields are read in.
#[derive(Debug, Clone, PartialEq)]
pub enum LocaleSql {
    /// A locale api id, bound as a parameter at every use.
    Bound(String),
    /// An SQL expression evaluating to the locale, with its own parameters (bound again at every
    /// use), e.g. the one [`served_locale`] builds. It must come from the sandbox's own code,
    /// never from user input.
    Expr {
        /// The expression.
        sql: String,
        /// Its parameters, in textual order.
        params: Vec<SqlValue>,
    },
}

/// A compiled boolean SQL expression and its parameters, in textual order.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// The expression (0 or 1, never NULL).
    pub sql: String,
    /// The values of its `?` placeholders.
    pub params: Vec<SqlValue>,
}

fn is_alias(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Compiles `w` (a filter over model `w.model`) into a boolean expression on the `doc` row
/// aliased `alias` of environment `env`, reading localized fields in `locale`, faithfully (no
/// fault; see [`compile_with`]).
pub fn compile(
    env: EnvKey,
    schema: &Schema,
    w: &Where,
    alias: &str,
    locale: &LocaleSql,
) -> Result<Compiled, CompileError> {
    compile_with(env, schema, w, alias, locale, Faults::NONE)
}

/// [`compile`] with the filter faults of `faults` switched on (pass
/// [`Store::faults`](crate::sandbox::store::Store::faults)): `not-matches-null`,
/// `contains-case-insensitive`, `not-as-not-any`, `three-valued-nulls` and
/// `relation-filter-any-stage` each change one rule of the scheme above.
pub fn compile_with(
    env: EnvKey,
    schema: &Schema,
    w: &Where,
    alias: &str,
    locale: &LocaleSql,
    faults: Faults,
) -> Result<Compiled, CompileError> {
    if !is_alias(alias) {
        return Err(CompileError::Alias(alias.to_string()));
    }
    let mut c = Compiler {
        env,
        schema,
        locale,
        params: Vec::new(),
        next_alias: 0,
        faults,
    };
    let sql = c.filter(w, &quote(alias))?;
    Ok(Compiled {
        sql,
        params: c.params,
    })
}

/// READ-2's served locale of the document row `alias` of `model` for a requested locale list:
/// the first locale in `locales` in which the document has a localization (NULL when none); for
/// a model without localized fields, the first requested locale.
pub fn served_locale(
    env: EnvKey,
    schema: &Schema,
    model: ModelIdx,
    alias: &str,
    locales: &[String],
) -> Result<LocaleSql, CompileError> {
    if !is_alias(alias) {
        return Err(CompileError::Alias(alias.to_string()));
    }
    let m = model_of(schema, model)?;
    if !m.has_localized_fields() {
        return Ok(match locales.first() {
            Some(l) => LocaleSql::Bound(l.clone()),
            None => LocaleSql::Expr {
                sql: "NULL".into(),
                params: Vec::new(),
            },
        });
    }
    let a = quote(alias);
    let loc = env.loc_table(&m.api_id);
    let mut sql = String::from("(CASE");
    let mut params = Vec::new();
    for l in locales {
        sql.push_str(&format!(
            " WHEN EXISTS (SELECT 1 FROM {loc} \"_sl\" WHERE \"_sl\".\"entry_id\" = {a}.\"entry_id\" \
             AND \"_sl\".\"stage\" = {a}.\"stage\" AND \"_sl\".\"locale\" = ?) THEN ?"
        ));
        params.push(SqlValue::Text(l.clone()));
        params.push(SqlValue::Text(l.clone()));
    }
    sql.push_str(" ELSE NULL END)");
    Ok(LocaleSql::Expr { sql, params })
}

fn model_of(schema: &Schema, model: ModelIdx) -> Result<&Model, CompileError> {
    schema
        .models
        .get(model)
        .ok_or_else(|| CompileError::Schema(format!("no model #{model}")))
}

struct Compiler<'a> {
    env: EnvKey,
    schema: &'a Schema,
    locale: &'a LocaleSql,
    params: Vec<SqlValue>,
    next_alias: usize,
    faults: Faults,
}

impl Compiler<'_> {
    /// A leaf's comparison collapsed to 0/1 (WHERE-1); left three-valued under fault
    /// `three-valued-nulls`, so that `NOT` of a leaf on a null value stays NULL (false).
    fn collapse(&self, cmp: String) -> String {
        if self.faults.has(Fault::ThreeValuedNulls) {
            format!("({cmp})")
        } else {
            format!("COALESCE({cmp}, 0)")
        }
    }

    fn bind(&mut self, v: SqlValue) -> &'static str {
        self.params.push(v);
        "?"
    }

    /// `(SELECT 1 FROM link JOIN doc …)`: the related documents reached through `link` from
    /// the tested row `alias` in the same stage (DATA-4: a dangling link joins nothing), where
    /// the related entry is the link's `far` end and the tested one its `near` end, filtered by
    /// `filter` (negated when `negate`).
    #[allow(clippy::too_many_arguments)]
    fn link_subquery(
        &mut self,
        link: &str,
        doc: &str,
        far: &str,
        near: &str,
        negate: bool,
        filter: &Where,
        alias: &str,
    ) -> Result<String, CompileError> {
        let (l, r) = self.fresh();
        let inner = self.filter(filter, &r)?;
        let inner = if negate {
            format!("NOT {inner}")
        } else {
            inner
        };
        // DATA-4: the related document in the link's own stage. Fault
        // `relation-filter-any-stage` drops that join condition, so a link reaches the related
        // entry's document in any stage (and a dangling link counts).
        let same_stage = if self.faults.has(Fault::RelationFilterAnyStage) {
            String::new()
        } else {
            format!(" AND {r}.\"stage\" = {l}.\"stage\"")
        };
        Ok(format!(
            "(SELECT 1 FROM {link} {l} JOIN {doc} {r} ON {r}.\"entry_id\" = {l}.\"{far}\"{same_stage} \
             WHERE {l}.\"{near}\" = {alias}.\"entry_id\" \
             AND {l}.\"stage\" = {alias}.\"stage\" AND {inner})"
        ))
    }

    fn fresh(&mut self) -> (String, String) {
        self.next_alias += 1;
        (
            quote(&format!("_l{}", self.next_alias)),
            quote(&format!("_r{}", self.next_alias)),
        )
    }

    /// A `Where` object: its clauses AND-ed (`1` when empty).
    fn filter(&mut self, w: &Where, alias: &str) -> Result<String, CompileError> {
        let mut parts = Vec::with_capacity(w.clauses.len());
        for clause in &w.clauses {
            parts.push(self.clause(w.model, clause, alias)?);
        }
        Ok(match parts.len() {
            0 => "1".into(),
            1 => parts.remove(0),
            _ => format!("({})", parts.join(" AND ")),
        })
    }

    fn all(&mut self, ws: &[Where], alias: &str, joiner: &str) -> Result<String, CompileError> {
        let mut parts = Vec::with_capacity(ws.len());
        for w in ws {
            parts.push(self.filter(w, alias)?);
        }
        Ok(format!("({})", parts.join(joiner)))
    }

    fn clause(
        &mut self,
        model: ModelIdx,
        clause: &Clause,
        alias: &str,
    ) -> Result<String, CompileError> {
        match clause {
            Clause::And(ws) if ws.is_empty() => Ok("1".into()),
            Clause::Or(ws) | Clause::Not(ws) if ws.is_empty() => Ok("0".into()),
            Clause::And(ws) => self.all(ws, alias, " AND "),
            Clause::Or(ws) => self.all(ws, alias, " OR "),
            Clause::Not(ws) => {
                // NOT is not-all; fault `not-as-not-any` reads it as none-of.
                let joiner = if self.faults.has(Fault::NotAsNotAny) {
                    " OR "
                } else {
                    " AND "
                };
                Ok(format!("(NOT {})", self.all(ws, alias, joiner)?))
            }
            Clause::Field { field, op, operand } => self.leaf(model, field, *op, operand, alias),
            Clause::Single { field, filter, .. } => {
                let (sub, _) = self.owned(model, *field, false, filter, alias)?;
                Ok(format!("EXISTS {sub}"))
            }
            Clause::List {
                relation,
                quantifier,
                filter,
                ..
            } => {
                let negate_inner = *quantifier == Quantifier::Every;
                let sub = match relation {
                    ListRelation::Own(field) => {
                        self.owned(model, *field, negate_inner, filter, alias)?.0
                    }
                    ListRelation::Reverse(r) => {
                        self.reverse(model, *r, negate_inner, filter, alias)?
                    }
                };
                Ok(match quantifier {
                    Quantifier::Some => format!("EXISTS {sub}"),
                    Quantifier::Every | Quantifier::None => format!("(NOT EXISTS {sub})"),
                })
            }
        }
    }

    /// The subquery over an owned relation's links joined to the related documents in the same
    /// stage, filtered by `filter` (or `NOT filter`).
    fn owned(
        &mut self,
        model: ModelIdx,
        field: usize,
        negate: bool,
        filter: &Where,
        alias: &str,
    ) -> Result<(String, ModelIdx), CompileError> {
        let m = model_of(self.schema, model)?;
        let f = m
            .fields
            .get(field)
            .ok_or_else(|| CompileError::Schema(format!("{} has no field #{field}", m.api_id)))?;
        let FieldKind::Relation { target, .. } = f.kind else {
            return Err(CompileError::Schema(format!(
                "{}.{} is not a relation",
                m.api_id, f.api_id
            )));
        };
        let t = model_of(self.schema, target)?;
        if filter.model != target {
            return Err(CompileError::Schema(format!(
                "the filter of {}.{} is not over {}",
                m.api_id, f.api_id, t.api_id
            )));
        }
        let link = self.env.link_table(&m.api_id, &f.api_id);
        let doc = self.env.doc_table(&t.api_id);
        let sub =
            self.link_subquery(&link, &doc, "target_id", "owner_id", negate, filter, alias)?;
        Ok((sub, target))
    }

    /// The subquery over a reverse field: the owner model's links to the tested entry, joined
    /// to the owners' documents in the same stage.
    fn reverse(
        &mut self,
        model: ModelIdx,
        reverse: usize,
        negate: bool,
        filter: &Where,
        alias: &str,
    ) -> Result<String, CompileError> {
        let m = model_of(self.schema, model)?;
        let rf = m.reverse.get(reverse).ok_or_else(|| {
            CompileError::Schema(format!("{} has no reverse field #{reverse}", m.api_id))
        })?;
        let o = model_of(self.schema, rf.owner)?;
        let of = o.fields.get(rf.owner_field).ok_or_else(|| {
            CompileError::Schema(format!("{} has no field #{}", o.api_id, rf.owner_field))
        })?;
        if filter.model != rf.owner {
            return Err(CompileError::Schema(format!(
                "the filter of {}.{} is not over {}",
                m.api_id, rf.api_id, o.api_id
            )));
        }
        let link = self.env.link_table(&o.api_id, &of.api_id);
        let doc = self.env.doc_table(&o.api_id);
        self.link_subquery(&link, &doc, "owner_id", "target_id", negate, filter, alias)
    }

    /// The SQL reading a scalar of the document row `alias` (pushing the locale's parameters for
    /// a localized field).
    fn column(
        &mut self,
        model: ModelIdx,
        field: &ScalarRef,
        alias: &str,
    ) -> Result<String, CompileError> {
        let m = model_of(self.schema, model)?;
        match field {
            ScalarRef::System(s) => {
                let col = match s {
                    SystemField::Id => "entry_id",
                    SystemField::CreatedAt => "created_at",
                    SystemField::UpdatedAt => "updated_at",
                    SystemField::PublishedAt => "published_at",
                    SystemField::Stage | SystemField::Locale => {
                        return Err(CompileError::Schema(format!(
                            "{} cannot be filtered",
                            s.name()
                        )))
                    }
                };
                Ok(format!("{alias}.{}", quote(col)))
            }
            ScalarRef::Field { index, .. } => {
                let f = m.fields.get(*index).ok_or_else(|| {
                    CompileError::Schema(format!("{} has no field #{index}", m.api_id))
                })?;
                if !matches!(f.kind, FieldKind::Scalar(_)) {
                    return Err(CompileError::Schema(format!(
                        "{}.{} is not a scalar",
                        m.api_id, f.api_id
                    )));
                }
                let col = field_column(&f.api_id);
                if !f.localized {
                    return Ok(format!("{alias}.{col}"));
                }
                let loc = self.env.loc_table(&m.api_id);
                let (lc, _) = self.fresh();
                let locale = match self.locale {
                    LocaleSql::Bound(l) => {
                        self.params.push(SqlValue::Text(l.clone()));
                        "?".to_string()
                    }
                    LocaleSql::Expr { sql, params } => {
                        self.params.extend(params.iter().cloned());
                        sql.clone()
                    }
                };
                Ok(format!(
                    "(SELECT {lc}.{col} FROM {loc} {lc} WHERE {lc}.\"entry_id\" = {alias}.\"entry_id\" \
                     AND {lc}.\"stage\" = {alias}.\"stage\" AND {lc}.\"locale\" = {locale})"
                ))
            }
        }
    }

    fn leaf(
        &mut self,
        model: ModelIdx,
        field: &ScalarRef,
        op: Op,
        operand: &Operand,
        alias: &str,
    ) -> Result<String, CompileError> {
        let bad = || CompileError::Operand {
            field: match field {
                ScalarRef::System(s) => s.name().to_string(),
                ScalarRef::Field { name, .. } => name.clone(),
            },
            suffix: op.suffix(),
        };
        // The column's own parameters (a localized field's locale) come first in the text;
        // a leaf that turns out constant drops them again.
        let mark = self.params.len();
        let v = self.column(model, field, alias)?;
        let one = |operand: &Operand| match operand {
            Operand::One(x) => Some(x.clone()),
            Operand::List(_) => None,
        };
        let non_null = |operand: &Operand| one(operand).filter(|x| !x.is_null());
        let sql = match op {
            Op::Eq | Op::NotEq => {
                let x = one(operand).ok_or_else(bad)?;
                match (op, x) {
                    (Op::Eq, Value::Null) => format!("({v} IS NULL)"),
                    (_, Value::Null) => format!("({v} IS NOT NULL)"),
                    (Op::Eq, x) => {
                        let cmp = format!("{v} = {}", self.bind(sql_value(&x)));
                        self.collapse(cmp)
                    }
                    (_, x) if self.faults.has(Fault::NotMatchesNull) => {
                        // The bug: `IS NOT` is true on a null value.
                        format!("({v} IS NOT {})", self.bind(sql_value(&x)))
                    }
                    (_, x) => {
                        let cmp = format!("{v} <> {}", self.bind(sql_value(&x)));
                        self.collapse(cmp)
                    }
                }
            }
            Op::In | Op::NotIn => {
                let Operand::List(xs) = operand else {
                    return Err(bad());
                };
                if xs.iter().any(Value::is_null) {
                    return Err(bad());
                }
                match (op, xs.is_empty()) {
                    (Op::In, true) => {
                        self.params.truncate(mark);
                        "0".into()
                    }
                    (_, true) => format!("({v} IS NOT NULL)"),
                    _ => {
                        let marks: Vec<&str> = xs.iter().map(|x| self.bind(sql_value(x))).collect();
                        let not = if op == Op::NotIn { "NOT " } else { "" };
                        self.collapse(format!("{v} {not}IN ({})", marks.join(", ")))
                    }
                }
            }
            Op::Lt | Op::Lte | Op::Gt | Op::Gte => {
                let x = non_null(operand).ok_or_else(bad)?;
                let cmp = match op {
                    Op::Lt => "<",
                    Op::Lte => "<=",
                    Op::Gt => ">",
                    _ => ">=",
                };
                let cmp = format!("{v} {cmp} {}", self.bind(sql_value(&x)));
                self.collapse(cmp)
            }
            Op::Contains
            | Op::NotContains
            | Op::StartsWith
            | Op::NotStartsWith
            | Op::EndsWith
            | Op::NotEndsWith => {
                let Some(Value::String(s)) = non_null(operand) else {
                    return Err(bad());
                };
                let negated = matches!(op, Op::NotContains | Op::NotStartsWith | Op::NotEndsWith);
                if s.is_empty() {
                    // WHERE-5: true on every non-null value; the `_not_` forms false on every value.
                    return Ok(if negated {
                        self.params.truncate(mark);
                        "0".into()
                    } else {
                        format!("({v} IS NOT NULL)")
                    });
                }
                let n = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
                let (eq, ne) = ("=", "<>");
                let rel = if negated { ne } else { eq };
                let cmp = match op {
                    Op::Contains | Op::NotContains
                        if self.faults.has(Fault::ContainsCaseInsensitive) =>
                    {
                        // The bug: LIKE folds ASCII case and reads `%` and `_` as wildcards.
                        let not = if negated { "NOT " } else { "" };
                        let x = self.bind(SqlValue::Text(s));
                        format!("{v} {not}LIKE '%' || {x} || '%'")
                    }
                    Op::Contains | Op::NotContains => {
                        let cmp = if negated { "= 0" } else { "> 0" };
                        format!("instr({v}, {}) {cmp}", self.bind(SqlValue::Text(s)))
                    }
                    Op::StartsWith | Op::NotStartsWith => {
                        let n = self.bind(SqlValue::Integer(n));
                        let x = self.bind(SqlValue::Text(s));
                        format!("substr({v}, 1, {n}) {rel} {x}")
                    }
                    _ => {
                        let n = self.bind(SqlValue::Integer(-n));
                        let x = self.bind(SqlValue::Text(s));
                        format!("substr({v}, {n}) {rel} {x}")
                    }
                };
                self.collapse(cmp)
            }
        };
        Ok(sql)
    }
}

/// Runs `w` (compiled with the store's faults) over the documents of its model in `stage`,
/// reading localized fields in `locale`: the matching entry ids in creation order
/// (`SELECT entry_id FROM doc d WHERE d.stage = ? AND <expr>`).
pub fn select_ids(
    store: &Store,
    env: EnvKey,
    w: &Where,
    stage: &str,
    locale: &LocaleSql,
) -> Result<Vec<String>, SelectError> {
    let schema = &store.env(env)?.schema;
    let m = model_of(schema, w.model)?;
    let c = compile_with(env, schema, w, "d", locale, store.faults())?;
    let sql = format!(
        "SELECT \"d\".\"entry_id\" FROM {} \"d\" WHERE \"d\".\"stage\" = ? AND {} \
         ORDER BY \"d\".\"creation_order\"",
        env.doc_table(&m.api_id),
        c.sql
    );
    let mut params = vec![SqlValue::Text(stage.to_string())];
    params.extend(c.params);
    Ok(store.query_ids(&sql, &params)?)
}

/// [`select_ids`] with READ-2's served locale for a requested locale list: each document is
/// tested in the first requested locale it has a localization in, and documents with none are
/// left out.
pub fn select_ids_served(
    store: &Store,
    env: EnvKey,
    w: &Where,
    stage: &str,
    locales: &[String],
) -> Result<Vec<String>, SelectError> {
    let schema = &store.env(env)?.schema;
    let m = model_of(schema, w.model)?;
    let locale = served_locale(env, schema, w.model, "d", locales)?;
    let c = compile_with(env, schema, w, "d", &locale, store.faults())?;
    let (served, served_params) = match &locale {
        LocaleSql::Bound(l) => ("?".to_string(), vec![SqlValue::Text(l.clone())]),
        LocaleSql::Expr { sql, params } => (sql.clone(), params.clone()),
    };
    let sql = format!(
        "SELECT \"d\".\"entry_id\" FROM {} \"d\" WHERE \"d\".\"stage\" = ? AND {served} IS NOT NULL \
         AND {} ORDER BY \"d\".\"creation_order\"",
        env.doc_table(&m.api_id),
        c.sql
    );
    let mut params = vec![SqlValue::Text(stage.to_string())];
    params.extend(served_params);
    params.extend(c.params);
    Ok(store.query_ids(&sql, &params)?)
}

/// Why [`select_ids`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// The filter does not compile against the environment's schema.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::model::condition::{parse_value, Limits};
    use serde_json::json;

    fn setup() -> (Store, EnvKey) {
        let env: crate::model::spec::EnvSpec = serde_yaml_ng::from_str(
            r#"
locales: [en, de]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: views, type: Int}
  - name: Tag
    fields: [{name: label, type: String, localized: true}]
entries:
  - {model: Post, id: p1, data: {title: "50%_off", views: 1}, localizations: {de: {title: x}}}
  - {model: Post, id: p2, data: {views: 2}}
  - {model: Post, id: p3, data: {title: "a'b"}}
"#,
        )
        .unwrap();
        let mut s = Store::in_memory().unwrap();
        let k = s.load("p", &env).unwrap();
        (s, k)
    }

    fn ids(s: &Store, k: EnvKey, w: serde_json::Value, locale: &str) -> Vec<String> {
        let schema = &s.env(k).unwrap().schema;
        let w = parse_value(schema, 0, &w, &Limits::SPEC).unwrap();
        select_ids(s, k, &w, "DRAFT", &LocaleSql::Bound(locale.into())).unwrap()
    }

    #[test]
    fn values_are_bound_never_spliced() {
        let (s, k) = setup();
        let schema = &s.env(k).unwrap().schema;
        let w = parse_value(schema, 0, &json!({"title": "a'b"}), &Limits::SPEC).unwrap();
        let c = compile(k, schema, &w, "d", &LocaleSql::Bound("en".into())).unwrap();
        assert!(!c.sql.contains("a'b"), "{}", c.sql);
        assert_eq!(ids(&s, k, json!({"title": "a'b"}), "en"), ["p3"]);
    }

    #[test]
    fn string_operands_are_literal() {
        let (s, k) = setup();
        assert_eq!(ids(&s, k, json!({"title_contains": "%_"}), "en"), ["p1"]);
        assert_eq!(
            ids(&s, k, json!({"title_contains": "_"}), "en"),
            ["p1"],
            "`_` is no wildcard"
        );
        assert!(ids(&s, k, json!({"title_starts_with": "%"}), "en").is_empty());
        assert_eq!(ids(&s, k, json!({"title_ends_with": "off"}), "en"), ["p1"]);
        assert!(ids(&s, k, json!({"title_ends_with": "OFF"}), "en").is_empty());
    }

    #[test]
    fn localized_fields_read_the_given_locale() {
        let (s, k) = setup();
        assert_eq!(ids(&s, k, json!({"title": "x"}), "de"), ["p1"]);
        // p2 and p3 have no `de` localization: their title is null there.
        assert_eq!(ids(&s, k, json!({"title": null}), "de"), ["p2", "p3"]);
        assert_eq!(
            ids(&s, k, json!({"NOT": {"title": "x"}}), "de"),
            ["p2", "p3"]
        );
    }

    #[test]
    fn bad_aliases_are_refused() {
        let (s, k) = setup();
        let schema = &s.env(k).unwrap().schema;
        let w = parse_value(schema, 0, &json!({}), &Limits::SPEC).unwrap();
        for a in ["", "_l1", "d\"", "1d"] {
            assert!(matches!(
                compile(k, schema, &w, a, &LocaleSql::Bound("en".into())),
                Err(CompileError::Alias(_))
            ));
        }
    }
}
