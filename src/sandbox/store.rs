//! The sandbox's SQLite store: many projects and environments in one
//! [`rusqlite::Connection`], each environment with tables generated from its [`Schema`], and
//! [`Store::load`], which creates them and loads an environment's content in one transaction.
//!
//! # Layout
//!
//! Every environment gets a key `e{n}` ([`EnvKey`]); its tables are named
//! `"{key}/{Model}/doc"`, `"{key}/{Model}/loc"` and `"{key}/{Model}/link/{field}"`. The `/`
//! cannot occur in an api id (`[A-Za-z][A-Za-z0-9_]*`), so no two tables collide whatever the
//! model and field names are (`__` could: model `Post__link` vs field `doc`). Every identifier is
//! quoted ([`quote`]).
//!
//! - `doc`: one row per document (entry × stage): `entry_id` TEXT, `stage` TEXT (the stage's api
//!   id), `creation_order` INTEGER (DATA-2), `created_at`, `updated_at` INTEGER µs since the epoch,
//!   `published_at` INTEGER µs or NULL (always NULL in DRAFT), and one column per non-localized
//!   scalar field, named `f_{field}` (the prefix keeps a field named `stage` or `entry_id` apart
//!   from the system columns): String → TEXT, Int → INTEGER, Float → REAL, Boolean → INTEGER 0/1,
//!   DateTime → INTEGER µs, Enum → INTEGER (the value's declaration index, ORDER-1). Primary key
//!   `(entry_id, stage)`.
//! - `loc`: one row per localization present: `entry_id`, `stage`, `locale` TEXT and one
//!   `f_{field}` column per localized field. Every document has its default-locale row, also in a
//!   model without localized fields (READ-2 treats every locale as present there; the row only
//!   records that the document exists in the default locale).
//! - `link/{field}`: one row per link of an owned relation field: `owner_id`, `stage`,
//!   `target_id`, `seq` (DATA-4's per-environment sequence number). A target may have no
//!   document in the stage (a dangling link): readers join on `(target_id, stage)` and so ignore it.
//! - `"{key}/entries"`: one row per entry (`entry_id` primary key, so ids are unique across the
//!   models of an environment; `model`; `creation_order`).
//! - `tollgate_environments`: the catalog: key, project, environment name and the schema as JSON,
//!   so that a file store can be reopened.
//!
//! Tables are `STRICT`; required non-localized fields are also `NOT NULL`, Booleans and Enums
//! carry range checks, and `loc` and `link` rows belong to their document (`ON DELETE CASCADE`).
//!
//! # Load
//!
//! [`Store::load`] builds the schema from the [`EnvSpec`] itself (names must be api ids, types
//! known, relations well formed), then loads entries in order, refusing what DATA-1 (via
//! [`Value::coerce`]) and DATA-5 refuse, links to ids that are not entries of the related model,
//! a link given twice, and the like, with an error naming the entry and the field. Ids, the
//! timestamps given and link order are kept. Defaults:
//!
//! - creation order: the entry's position in the load (0, 1, …);
//! - `createdAt`: [`BASE_TIME_US`] (2024-01-01T00:00:00Z) plus one minute per creation order;
//!   `updatedAt`: the document's `createdAt`; `publishedAt` (outside DRAFT): its `updatedAt`;
//! - a stage listed in `publish` holds a copy of the DRAFT document (same links, same sequence
//!   numbers, same localizations) with `publishedAt` = `updatedAt`;
//! - link sequence numbers: one per-environment counter from 0, in load order (an entry's DRAFT
//!   links in the order written, then its explicit stage documents in stage-name order).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, Transaction};

use crate::model::project::{Field, FieldKind, Model, ModelIdx, Schema, DRAFT};
use crate::model::spec::{DocSpec, EnvSpec};
use crate::model::value::{parse_datetime, ScalarType, Value};
use crate::sandbox::faults::{Fault, Faults};

/// The base of default timestamps: 2024-01-01T00:00:00Z, in µs since the epoch.
pub const BASE_TIME_US: i64 = 1_704_067_200_000_000;
/// The step between the default `createdAt` of consecutive entries: one minute.
pub const DEFAULT_TIME_STEP_US: i64 = 60_000_000;

/// The catalog table.
const CATALOG: &str = "tollgate_environments";

/// Why the store refused or failed something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A load refused: the schema or content breaks a rule (DATA-1, DATA-5, …). Nothing was
    /// stored.
    #[error("{path}: {message}")]
    Refused {
        /// Where, e.g. `entries[3] "p1".data.title`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// SQLite failed.
    #[error("SQLite failed while {doing}: {source}")]
    Sql {
        /// What the store was doing.
        doing: String,
        /// The error.
        #[source]
        source: rusqlite::Error,
    },
    /// The catalog of a reopened store could not be read.
    #[error("the store's catalog is unreadable: {0}")]
    Catalog(String),
    /// No environment with that key.
    #[error("no environment {0} in this store")]
    UnknownEnv(EnvKey),
    /// A project already has an environment of that name.
    #[error("project {project:?} already has an environment {name:?}")]
    Duplicate {
        /// The project id.
        project: String,
        /// The environment's name.
        name: String,
    },
    /// A model or field name that the environment's schema lacks.
    #[error("environment {env} has no {what}")]
    Unknown {
        /// The environment.
        env: EnvKey,
        /// What was asked for, e.g. `model "Post"`.
        what: String,
    },
}

/// Adds context to a rusqlite result.
trait SqlContext<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, StoreError>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sql {
            doing: what(),
            source,
        })
    }
}

fn refuse<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, StoreError> {
    Err(StoreError::Refused {
        path: path.into(),
        message: message.into(),
    })
}

/// Quotes an SQL identifier (`"…"`, inner quotes doubled).
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// The column of a scalar field (`"f_title"`), in `doc` or `loc`.
pub fn field_column(api_id: &str) -> String {
    quote(&format!("f_{api_id}"))
}

/// The key of an environment in a store; it prefixes the environment's table names (`e1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvKey(pub u32);

impl fmt::Display for EnvKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "e{}", self.0)
    }
}

impl EnvKey {
    /// The quoted document table of a model.
    pub fn doc_table(self, model: &str) -> String {
        quote(&format!("{self}/{model}/doc"))
    }

    /// The quoted localization table of a model.
    pub fn loc_table(self, model: &str) -> String {
        quote(&format!("{self}/{model}/loc"))
    }

    /// The quoted link table of an owned relation field.
    pub fn link_table(self, model: &str, field: &str) -> String {
        quote(&format!("{self}/{model}/link/{field}"))
    }

    /// The quoted entries table of the environment.
    pub fn entries_table(self) -> String {
        quote(&format!("{self}/entries"))
    }
}

/// The SQLite form of a stored value: Booleans as 0/1, DateTimes as µs, Enums as their index.
pub fn sql_value(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::String(s) => SqlValue::Text(s.clone()),
        Value::Int(i) => SqlValue::Integer(*i),
        Value::Float(f) => SqlValue::Real(*f),
        Value::Boolean(b) => SqlValue::Integer(i64::from(*b)),
        Value::DateTime(us) => SqlValue::Integer(*us),
        Value::Enum(i) => SqlValue::Integer(i64::from(*i)),
    }
}

/// The SQLite column type of a scalar type.
fn column_type(ty: &ScalarType) -> &'static str {
    match ty {
        ScalarType::String | ScalarType::Id => "TEXT",
        ScalarType::Float => "REAL",
        ScalarType::Int | ScalarType::Boolean | ScalarType::DateTime | ScalarType::Enum(_) => {
            "INTEGER"
        }
    }
}

/// A project's page sizes (READ-3, READ-9): `first` when absent, and its largest value.
/// Hygraph's projects created before 2022-06-14 have 100 and 1000, newer ones 10 and 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pagination {
    /// `first` when a list gives none.
    pub default: i64,
    /// The largest `first` accepted.
    pub max: i64,
}

impl Default for Pagination {
    fn default() -> Self {
        Pagination {
            default: 10,
            max: 100,
        }
    }
}

impl Pagination {
    /// The largest `max` a project may have.
    pub const LIMIT: i64 = 10_000;

    /// Refuses sizes no project has: a default above the maximum, below 1, or a maximum
    /// above [`Pagination::LIMIT`].
    pub fn check(&self) -> Result<(), String> {
        if self.default < 1 || self.max < self.default || self.max > Self::LIMIT {
            return Err(format!(
                "pagination: default {} and max {} must satisfy 1 <= default <= max <= {}",
                self.default,
                self.max,
                Self::LIMIT
            ));
        }
        Ok(())
    }
}

/// Adds the page-size columns to a catalog written before they existed (a `--db` file of an
/// earlier version): its projects keep the default sizes.
fn migrate_catalog(conn: &Connection) -> Result<(), StoreError> {
    let has_pages: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = 'page_max'",
            [CATALOG],
            |r| r.get::<_, i64>(0),
        )
        .doing(|| "reading the catalog's columns".into())?
        > 0;
    if !has_pages {
        conn.execute_batch(&format!(
            "ALTER TABLE {t} ADD COLUMN \"page_default\" INTEGER NOT NULL DEFAULT 10;
             ALTER TABLE {t} ADD COLUMN \"page_max\" INTEGER NOT NULL DEFAULT 100;",
            t = quote(CATALOG)
        ))
        .doing(|| "adding page sizes to the catalog".into())?;
    }
    Ok(())
}

/// One loaded environment.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedEnv {
    /// Its key (table prefix).
    pub key: EnvKey,
    /// The project it belongs to.
    pub project: String,
    /// Its name (`master`, …).
    pub name: String,
    /// Its schema, as the store built it from the spec.
    pub schema: Schema,
    /// Its project's page sizes.
    pub pagination: Pagination,
}

/// The store: one SQLite connection holding many projects' environments.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    envs: Vec<LoadedEnv>,
    faults: Faults,
}

impl Store {
    /// A new, empty in-memory store.
    pub fn in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory().doing(|| "opening an in-memory database".into())?;
        Store::init(conn)
    }

    /// A store in a database file, created if missing; environments already in it are kept.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).doing(|| format!("opening {}", path.display()))?;
        Store::init(conn)
    }

    fn init(conn: Connection) -> Result<Store, StoreError> {
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE IF NOT EXISTS {} (
               \"key\" INTEGER PRIMARY KEY, \"project\" TEXT NOT NULL, \"name\" TEXT NOT NULL,
               \"schema\" TEXT NOT NULL, \"page_default\" INTEGER NOT NULL DEFAULT 10,
               \"page_max\" INTEGER NOT NULL DEFAULT 100, UNIQUE (\"project\", \"name\")) STRICT;",
            quote(CATALOG)
        ))
        .doing(|| "creating the catalog".into())?;
        migrate_catalog(&conn)?;
        let mut envs = Vec::new();
        {
            let mut st = conn
                .prepare(&format!(
                    "SELECT \"key\", \"project\", \"name\", \"schema\", \"page_default\", \"page_max\" \
                     FROM {} ORDER BY \"key\"",
                    quote(CATALOG)
                ))
                .doing(|| "reading the catalog".into())?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        Pagination {
                            default: r.get(4)?,
                            max: r.get(5)?,
                        },
                    ))
                })
                .doing(|| "reading the catalog".into())?;
            for row in rows {
                let (key, project, name, schema, pagination) =
                    row.doing(|| "reading the catalog".into())?;
                let key = u32::try_from(key)
                    .map_err(|_| StoreError::Catalog(format!("environment key {key}")))?;
                let schema: Schema = serde_json::from_str(&schema)
                    .map_err(|e| StoreError::Catalog(format!("schema of e{key}: {e}")))?;
                envs.push(LoadedEnv {
                    key: EnvKey(key),
                    project,
                    name,
                    schema,
                    pagination,
                });
            }
        }
        Ok(Store {
            conn,
            envs,
            faults: Faults::NONE,
        })
    }

    /// The enforcement bugs switched on ([`faults`](crate::sandbox::faults); none by default).
    pub fn faults(&self) -> Faults {
        self.faults
    }

    /// Switches on exactly `faults` (an empty set restores the faithful sandbox).
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// Whether `fault` is switched on.
    pub fn has_fault(&self, fault: Fault) -> bool {
        self.faults.has(fault)
    }

    /// The connection (for queries the sandbox compiles, and tests).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The environments loaded, in load order.
    pub fn envs(&self) -> &[LoadedEnv] {
        &self.envs
    }

    /// The environment with a key.
    pub fn env(&self, key: EnvKey) -> Result<&LoadedEnv, StoreError> {
        self.envs
            .iter()
            .find(|e| e.key == key)
            .ok_or(StoreError::UnknownEnv(key))
    }

    /// The key of a project's environment by name.
    pub fn find(&self, project: &str, name: &str) -> Option<EnvKey> {
        self.envs
            .iter()
            .find(|e| e.project == project && e.name == name)
            .map(|e| e.key)
    }

    /// Creates an environment of `project` from `env`: builds its schema, creates its tables and
    /// loads its content, all in one transaction, so a refused load stores nothing. Principals
    /// (`public`, `pats`) are not the store's business and are ignored.
    pub fn load(&mut self, project: &str, env: &EnvSpec) -> Result<EnvKey, StoreError> {
        self.load_paged(project, env, Pagination::default())
    }

    /// [`load`](Self::load) for a project with page sizes `pagination`.
    pub fn load_paged(
        &mut self,
        project: &str,
        env: &EnvSpec,
        pagination: Pagination,
    ) -> Result<EnvKey, StoreError> {
        if self.find(project, &env.name).is_some() {
            return Err(StoreError::Duplicate {
                project: project.to_string(),
                name: env.name.clone(),
            });
        }
        let schema = build_schema(env)?;
        let key = EnvKey(self.envs.iter().map(|e| e.key.0).max().unwrap_or(0) + 1);
        let schema_json = serde_json::to_string(&schema)
            .map_err(|e| StoreError::Catalog(format!("cannot serialize the schema: {e}")))?;
        let tx = self
            .conn
            .transaction()
            .doing(|| "starting the load".into())?;
        tx.execute(
            &format!(
                "INSERT INTO {} (\"key\", \"project\", \"name\", \"schema\", \"page_default\", \"page_max\") \
                 VALUES (?, ?, ?, ?, ?, ?)",
                quote(CATALOG)
            ),
            rusqlite::params![
                i64::from(key.0),
                project,
                env.name,
                schema_json,
                pagination.default,
                pagination.max
            ],
        )
        .doing(|| format!("registering environment {:?}", env.name))?;
        tx.execute_batch(&ddl(key, &schema))
            .doing(|| format!("creating the tables of environment {:?}", env.name))?;
        load_content(&tx, key, &schema, env)?;
        tx.commit().doing(|| "committing the load".into())?;
        self.envs.push(LoadedEnv {
            key,
            project: project.to_string(),
            name: env.name.clone(),
            schema,
            pagination,
        });
        Ok(key)
    }

    /// Drops an environment in one transaction: every table whose name starts with `{key}/`
    /// (content, and the principals' tables too), its catalog row, and its place in
    /// [`envs`](Self::envs). Its key may be given to a later [`load`](Self::load).
    pub fn drop_env(&mut self, key: EnvKey) -> Result<(), StoreError> {
        self.env(key)?;
        let prefix = format!("{key}/");
        let tx = self
            .conn
            .transaction()
            .doing(|| format!("starting to drop {key}"))?;
        let tables: Vec<String> = {
            let mut st = tx
                .prepare(
                    "SELECT \"name\" FROM \"sqlite_master\" WHERE \"type\" = 'table' \
                     AND substr(\"name\", 1, ?) = ? ORDER BY \"name\" LIKE '%/doc' , \"name\"",
                )
                .doing(|| format!("listing the tables of {key}"))?;
            let rows = st
                .query_map(
                    rusqlite::params![prefix.chars().count() as i64, prefix],
                    |r| r.get::<_, String>(0),
                )
                .doing(|| format!("listing the tables of {key}"))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
                .doing(|| format!("listing the tables of {key}"))?
        };
        // Link and localization tables first (`ORDER BY … LIKE '%/doc'` puts `doc` tables
        // last), so no cascade runs.
        for t in &tables {
            tx.execute_batch(&format!("DROP TABLE {}", quote(t)))
                .doing(|| format!("dropping table {t:?}"))?;
        }
        tx.execute(
            &format!("DELETE FROM {} WHERE \"key\" = ?", quote(CATALOG)),
            [i64::from(key.0)],
        )
        .doing(|| format!("removing {key} from the catalog"))?;
        tx.commit()
            .doing(|| format!("committing the drop of {key}"))?;
        self.envs.retain(|e| e.key != key);
        Ok(())
    }

    fn model<'a>(&'a self, key: EnvKey, model: &str) -> Result<&'a Model, StoreError> {
        let env = self.env(key)?;
        env.schema
            .models
            .iter()
            .find(|m| m.api_id == model)
            .ok_or_else(|| StoreError::Unknown {
                env: key,
                what: format!("model {model:?}"),
            })
    }

    /// Runs a query whose first column is an entry id and collects that column.
    pub fn query_ids(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(sql)
            .doing(|| format!("preparing {sql}"))?;
        let rows = st
            .query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(0))
            .doing(|| format!("running {sql}"))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .doing(|| format!("reading the rows of {sql}"))
    }

    /// The ids of a model's entries that have a document in `stage`, in creation order.
    pub fn entry_ids(
        &self,
        key: EnvKey,
        model: &str,
        stage: &str,
    ) -> Result<Vec<String>, StoreError> {
        self.model(key, model)?;
        let sql = format!(
            "SELECT \"entry_id\" FROM {} WHERE \"stage\" = ? ORDER BY \"creation_order\"",
            key.doc_table(model)
        );
        self.query_ids(&sql, &[SqlValue::Text(stage.to_string())])
    }

    /// The target ids of an entry's links through an owned relation field in `stage`, in link
    /// order (dangling ones included).
    pub fn link_targets(
        &self,
        key: EnvKey,
        model: &str,
        field: &str,
        owner: &str,
        stage: &str,
    ) -> Result<Vec<String>, StoreError> {
        let m = self.model(key, model)?;
        if !m
            .fields
            .iter()
            .any(|f| f.api_id == field && matches!(f.kind, FieldKind::Relation { .. }))
        {
            return Err(StoreError::Unknown {
                env: key,
                what: format!("relation {model}.{field}"),
            });
        }
        let sql = format!(
            "SELECT \"target_id\" FROM {} WHERE \"owner_id\" = ? AND \"stage\" = ? ORDER BY \"seq\"",
            key.link_table(model, field)
        );
        self.query_ids(
            &sql,
            &[
                SqlValue::Text(owner.to_string()),
                SqlValue::Text(stage.to_string()),
            ],
        )
    }

    /// The locales in which an entry's document in `stage` has a localization, in the schema's
    /// locale order.
    pub fn localizations(
        &self,
        key: EnvKey,
        model: &str,
        entry: &str,
        stage: &str,
    ) -> Result<Vec<String>, StoreError> {
        let env = self.env(key)?;
        self.model(key, model)?;
        let sql = format!(
            "SELECT \"locale\" FROM {} WHERE \"entry_id\" = ? AND \"stage\" = ?",
            key.loc_table(model)
        );
        let present = self.query_ids(
            &sql,
            &[
                SqlValue::Text(entry.to_string()),
                SqlValue::Text(stage.to_string()),
            ],
        )?;
        Ok(env
            .schema
            .locales
            .iter()
            .filter(|l| present.contains(l))
            .cloned()
            .collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Schema

/// Builds an environment's schema from its spec (§1) with the shared constructor
/// ([`EnvSpec::schema`]): names are api ids, which is also what makes them safe as SQL
/// identifiers.
pub fn build_schema(env: &EnvSpec) -> Result<Schema, StoreError> {
    env.schema("environment").map_err(|e| StoreError::Refused {
        path: e.path,
        message: e.message,
    })
}

/// The DDL of one environment's tables.
fn ddl(key: EnvKey, schema: &Schema) -> String {
    let mut out = format!(
        "CREATE TABLE {} (\"entry_id\" TEXT PRIMARY KEY, \"model\" TEXT NOT NULL, \
         \"creation_order\" INTEGER NOT NULL UNIQUE) STRICT;\n",
        key.entries_table()
    );
    for m in &schema.models {
        let column = |f: &Field, ty: &ScalarType, not_null: bool| {
            let col = field_column(&f.api_id);
            let mut s = format!("{col} {}", column_type(ty));
            if not_null {
                s.push_str(" NOT NULL");
            }
            match ty {
                ScalarType::Boolean => s.push_str(&format!(" CHECK ({col} IN (0, 1))")),
                ScalarType::Enum(values) => s.push_str(&format!(
                    " CHECK ({col} BETWEEN 0 AND {})",
                    values.len().saturating_sub(1)
                )),
                _ => {}
            }
            s
        };
        let mut doc_cols = Vec::new();
        let mut loc_cols = Vec::new();
        for f in &m.fields {
            if let FieldKind::Scalar(ty) = &f.kind {
                if f.localized {
                    loc_cols.push(column(f, ty, false));
                } else {
                    doc_cols.push(column(f, ty, f.required));
                }
            }
        }
        let doc = key.doc_table(&m.api_id);
        let extra = |cols: &[String]| cols.iter().map(|c| format!(",\n  {c}")).collect::<String>();
        out.push_str(&format!(
            "CREATE TABLE {doc} (\n  \"entry_id\" TEXT NOT NULL,\n  \"stage\" TEXT NOT NULL,\n  \
             \"creation_order\" INTEGER NOT NULL,\n  \"created_at\" INTEGER NOT NULL,\n  \
             \"updated_at\" INTEGER NOT NULL,\n  \"published_at\" INTEGER{},\n  \
             PRIMARY KEY (\"entry_id\", \"stage\")) STRICT;\n",
            extra(&doc_cols)
        ));
        out.push_str(&format!(
            "CREATE INDEX {} ON {doc} (\"stage\", \"creation_order\");\n",
            quote(&format!("{key}/{}/doc/by_stage", m.api_id))
        ));
        out.push_str(&format!(
            "CREATE TABLE {} (\n  \"entry_id\" TEXT NOT NULL,\n  \"stage\" TEXT NOT NULL,\n  \
             \"locale\" TEXT NOT NULL{},\n  PRIMARY KEY (\"entry_id\", \"stage\", \"locale\"),\n  \
             FOREIGN KEY (\"entry_id\", \"stage\") REFERENCES {doc} (\"entry_id\", \"stage\") \
             ON DELETE CASCADE) STRICT;\n",
            key.loc_table(&m.api_id),
            extra(&loc_cols)
        ));
        for f in &m.fields {
            if let FieldKind::Relation { .. } = f.kind {
                let link = key.link_table(&m.api_id, &f.api_id);
                out.push_str(&format!(
                    "CREATE TABLE {link} (\n  \"owner_id\" TEXT NOT NULL,\n  \"stage\" TEXT NOT NULL,\n  \
                     \"target_id\" TEXT NOT NULL,\n  \"seq\" INTEGER NOT NULL,\n  \
                     PRIMARY KEY (\"owner_id\", \"stage\", \"target_id\"),\n  \
                     FOREIGN KEY (\"owner_id\", \"stage\") REFERENCES {doc} (\"entry_id\", \"stage\") \
                     ON DELETE CASCADE) STRICT;\n"
                ));
                out.push_str(&format!(
                    "CREATE INDEX {} ON {link} (\"target_id\", \"stage\");\n",
                    quote(&format!("{key}/{}/link/{}/by_target", m.api_id, f.api_id))
                ));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Content

/// One document as parsed from a [`DocSpec`], before it is written.
#[derive(Debug, Clone)]
struct ParsedDoc {
    /// Non-localized scalar values by field index (`Null` elsewhere).
    values: Vec<Value>,
    /// Links by field index: (target id, sequence number).
    links: Vec<Vec<(String, i64)>>,
    /// Localizations present (the default locale first): locale index → values by field index.
    locs: Vec<(usize, Vec<Value>)>,
    created_at: i64,
    updated_at: i64,
    published_at: Option<i64>,
}

fn time_of(v: &Option<String>, default: i64, path: &str) -> Result<i64, StoreError> {
    match v {
        None => Ok(default),
        Some(s) => match parse_datetime(s) {
            Some(us) => Ok(us),
            None => refuse(path, format!("{s:?} is not an RFC 3339 date-time (DATA-1)")),
        },
    }
}

struct Loader<'a> {
    schema: &'a Schema,
    ids: HashMap<&'a str, ModelIdx>,
    next_seq: i64,
}

impl Loader<'_> {
    /// Parses one document of model `m` (DATA-1, DATA-4, DATA-5).
    fn doc(
        &mut self,
        m: &Model,
        d: &DocSpec,
        default_time: i64,
        in_draft: bool,
        path: &str,
    ) -> Result<ParsedDoc, StoreError> {
        let n = m.fields.len();
        let mut values = vec![Value::Null; n];
        let mut links: Vec<Vec<(String, i64)>> = vec![Vec::new(); n];
        let mut default_loc = vec![Value::Null; n];
        for (k, v) in &d.data {
            let fpath = format!("{path}.data.{k}");
            let Some((fi, f)) = m.fields.iter().enumerate().find(|(_, f)| &f.api_id == k) else {
                return refuse(fpath, format!("{} has no field {k:?}", m.api_id));
            };
            match &f.kind {
                FieldKind::Scalar(ty) => {
                    let val = Value::coerce(ty, v).map_err(|e| StoreError::Refused {
                        path: fpath.clone(),
                        message: format!("{} (DATA-1)", e.0),
                    })?;
                    let slot = if f.localized {
                        default_loc.get_mut(fi)
                    } else {
                        values.get_mut(fi)
                    };
                    if let Some(slot) = slot {
                        *slot = val;
                    }
                }
                FieldKind::Relation { target, list, .. } => {
                    let targets: Vec<&serde_json::Value> = match v {
                        serde_json::Value::Null => Vec::new(),
                        serde_json::Value::Array(a) if *list => a.iter().collect(),
                        one => vec![one],
                    };
                    if !*list && targets.len() > 1 {
                        return refuse(fpath, "a single relation links at most one entry");
                    }
                    let target_name = self
                        .schema
                        .models
                        .get(*target)
                        .map_or("?", |t| t.api_id.as_str());
                    let mut made: Vec<(String, i64)> = Vec::new();
                    for (ti, t) in targets.into_iter().enumerate() {
                        let tpath = format!("{fpath}[{ti}]");
                        let Some(id) = t.as_str() else {
                            return refuse(tpath, "a link is an entry id string");
                        };
                        if self.ids.get(id) != Some(target) {
                            return refuse(
                                tpath,
                                format!("{id:?} is not an entry of {target_name} (DATA-4)"),
                            );
                        }
                        if made.iter().any(|(x, _)| x == id) {
                            return refuse(tpath, format!("{id:?} is linked twice"));
                        }
                        made.push((id.to_string(), self.next_seq));
                        self.next_seq += 1;
                    }
                    if let Some(slot) = links.get_mut(fi) {
                        *slot = made;
                    }
                }
            }
        }
        let mut locs = vec![(0usize, default_loc)];
        for (loc, vals) in &d.localizations {
            let lpath = format!("{path}.localizations.{loc}");
            let Some(li) = self.schema.locales.iter().position(|l| l == loc) else {
                return refuse(lpath, format!("locale {loc:?} does not exist"));
            };
            if li == 0 {
                return refuse(lpath, "the default locale's values are given in `data`");
            }
            if !m.has_localized_fields() {
                return refuse(lpath, format!("{} has no localized fields", m.api_id));
            }
            let mut lv = vec![Value::Null; n];
            for (k, v) in vals {
                let fpath = format!("{lpath}.{k}");
                let found = m
                    .fields
                    .iter()
                    .enumerate()
                    .find(|(_, f)| &f.api_id == k && f.localized);
                let Some((fi, FieldKind::Scalar(ty))) = found.map(|(i, f)| (i, &f.kind)) else {
                    return refuse(fpath, format!("{k:?} is not a localized field"));
                };
                let val = Value::coerce(ty, v).map_err(|e| StoreError::Refused {
                    path: fpath.clone(),
                    message: format!("{} (DATA-1)", e.0),
                })?;
                if let Some(slot) = lv.get_mut(fi) {
                    *slot = val;
                }
            }
            locs.push((li, lv));
        }
        locs.sort_by_key(|(l, _)| *l);
        for (fi, f) in m.fields.iter().enumerate() {
            if !f.required {
                continue;
            }
            if f.localized {
                for (li, lv) in &locs {
                    if lv.get(fi).is_none_or(Value::is_null) {
                        let locale = self.schema.locales.get(*li).map_or("?", |s| s.as_str());
                        return refuse(
                            format!("{path}.{}", f.api_id),
                            format!("required field is null in locale {locale:?} (DATA-5)"),
                        );
                    }
                }
            } else if values.get(fi).is_none_or(Value::is_null) {
                return refuse(
                    format!("{path}.data.{}", f.api_id),
                    "required field is null (DATA-5)",
                );
            }
        }
        let created_at = time_of(&d.created_at, default_time, &format!("{path}.createdAt"))?;
        let updated_at = time_of(&d.updated_at, created_at, &format!("{path}.updatedAt"))?;
        let published_at = if in_draft {
            if d.published_at.is_some() {
                return refuse(
                    format!("{path}.publishedAt"),
                    "publishedAt is null in DRAFT (DATA-3)",
                );
            }
            None
        } else {
            Some(time_of(
                &d.published_at,
                updated_at,
                &format!("{path}.publishedAt"),
            )?)
        };
        Ok(ParsedDoc {
            values,
            links,
            locs,
            created_at,
            updated_at,
            published_at,
        })
    }
}

/// Loads the entries of `env` into the freshly created tables of `key`.
fn load_content(
    tx: &Transaction<'_>,
    key: EnvKey,
    schema: &Schema,
    env: &EnvSpec,
) -> Result<(), StoreError> {
    let mut loader = Loader {
        schema,
        ids: HashMap::new(),
        next_seq: 0,
    };
    for (i, e) in env.entries.iter().enumerate() {
        let path = format!("entries[{i}] {:?}", e.id);
        let Some(m) = schema.model(&e.model) else {
            return refuse(
                format!("{path}.model"),
                format!("model {:?} does not exist", e.model),
            );
        };
        if e.id.is_empty() || loader.ids.insert(e.id.as_str(), m).is_some() {
            return refuse(
                format!("{path}.id"),
                "an id is non-empty and unique in the environment (DATA-2)",
            );
        }
    }
    let insert_entry = format!(
        "INSERT INTO {} (\"entry_id\", \"model\", \"creation_order\") VALUES (?, ?, ?)",
        key.entries_table()
    );
    for (i, e) in env.entries.iter().enumerate() {
        let path = format!("entries[{i}] {:?}", e.id);
        let Some(model) = schema.model(&e.model).and_then(|m| schema.models.get(m)) else {
            return refuse(
                format!("{path}.model"),
                format!("model {:?} does not exist", e.model),
            );
        };
        let order = i64::try_from(i).unwrap_or(i64::MAX);
        let default_time = BASE_TIME_US.saturating_add(order.saturating_mul(DEFAULT_TIME_STEP_US));
        tx.execute(&insert_entry, rusqlite::params![e.id, e.model, order])
            .doing(|| format!("inserting {path}"))?;
        let draft = loader.doc(model, &e.draft(), default_time, true, &path)?;
        let mut docs: Vec<(String, ParsedDoc)> = Vec::new();
        for (si, s) in e.publish.iter().enumerate() {
            let spath = format!("{path}.publish[{si}]");
            if !schema.stages.contains(s) {
                return refuse(spath, format!("stage {s:?} does not exist"));
            }
            if s == DRAFT {
                return refuse(spath, "DRAFT is not a publish target");
            }
            if docs.iter().any(|(x, _)| x == s) {
                return refuse(spath, format!("stage {s:?} listed twice"));
            }
            let mut copy = draft.clone();
            copy.published_at = Some(copy.updated_at);
            docs.push((s.clone(), copy));
        }
        for (s, d) in &e.stages {
            let spath = format!("{path}.stages.{s}");
            if !schema.stages.contains(s) {
                return refuse(spath, format!("stage {s:?} does not exist"));
            }
            if s == DRAFT {
                return refuse(spath, "the DRAFT document is given inline");
            }
            if docs.iter().any(|(x, _)| x == s) {
                return refuse(spath, "stage also listed in `publish`");
            }
            let doc = loader.doc(model, d, default_time, false, &spath)?;
            docs.push((s.clone(), doc));
        }
        docs.insert(0, (DRAFT.to_string(), draft));
        for (stage, doc) in &docs {
            write_doc(tx, key, schema, model, &e.id, stage, order, doc).map_err(
                |err| match err {
                    StoreError::Sql { doing, source } => StoreError::Sql {
                        doing: format!("{doing} for {path} in {stage}"),
                        source,
                    },
                    other => other,
                },
            )?;
        }
    }
    Ok(())
}

/// Writes one document's rows: `doc`, its `loc` rows and its `link` rows.
#[allow(clippy::too_many_arguments)]
fn write_doc(
    tx: &Transaction<'_>,
    key: EnvKey,
    schema: &Schema,
    model: &Model,
    entry_id: &str,
    stage: &str,
    order: i64,
    doc: &ParsedDoc,
) -> Result<(), StoreError> {
    let mut cols = vec![
        quote("entry_id"),
        quote("stage"),
        quote("creation_order"),
        quote("created_at"),
        quote("updated_at"),
        quote("published_at"),
    ];
    let mut vals = vec![
        SqlValue::Text(entry_id.to_string()),
        SqlValue::Text(stage.to_string()),
        SqlValue::Integer(order),
        SqlValue::Integer(doc.created_at),
        SqlValue::Integer(doc.updated_at),
        doc.published_at.map_or(SqlValue::Null, SqlValue::Integer),
    ];
    for (fi, f) in model.fields.iter().enumerate() {
        if matches!(f.kind, FieldKind::Scalar(_)) && !f.localized {
            cols.push(field_column(&f.api_id));
            vals.push(doc.values.get(fi).map_or(SqlValue::Null, sql_value));
        }
    }
    insert(tx, &key.doc_table(&model.api_id), &cols, &vals)?;
    for (li, lv) in &doc.locs {
        let locale = schema.locales.get(*li).cloned().unwrap_or_default();
        let mut cols = vec![quote("entry_id"), quote("stage"), quote("locale")];
        let mut vals = vec![
            SqlValue::Text(entry_id.to_string()),
            SqlValue::Text(stage.to_string()),
            SqlValue::Text(locale),
        ];
        for (fi, f) in model.fields.iter().enumerate() {
            if matches!(f.kind, FieldKind::Scalar(_)) && f.localized {
                cols.push(field_column(&f.api_id));
                vals.push(lv.get(fi).map_or(SqlValue::Null, sql_value));
            }
        }
        insert(tx, &key.loc_table(&model.api_id), &cols, &vals)?;
    }
    for (fi, f) in model.fields.iter().enumerate() {
        let Some(links) = doc.links.get(fi) else {
            continue;
        };
        let table = key.link_table(&model.api_id, &f.api_id);
        let cols = [
            quote("owner_id"),
            quote("stage"),
            quote("target_id"),
            quote("seq"),
        ];
        for (target, seq) in links {
            let vals = [
                SqlValue::Text(entry_id.to_string()),
                SqlValue::Text(stage.to_string()),
                SqlValue::Text(target.clone()),
                SqlValue::Integer(*seq),
            ];
            insert(tx, &table, &cols, &vals)?;
        }
    }
    Ok(())
}

fn insert(
    tx: &Transaction<'_>,
    table: &str,
    cols: &[String],
    vals: &[SqlValue],
) -> Result<(), StoreError> {
    let marks = vec!["?"; cols.len()].join(", ");
    let sql = format!("INSERT INTO {table} ({}) VALUES ({marks})", cols.join(", "));
    let mut st = tx
        .prepare_cached(&sql)
        .doing(|| format!("preparing an insert into {table}"))?;
    st.execute(params_from_iter(vals.iter()))
        .doing(|| format!("inserting into {table}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn env(yaml: &str) -> EnvSpec {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    const BLOG: &str = r#"
locales: [en, de]
stages: [QA]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true, required: true}
      - {name: views, type: Int}
      - {name: stage_x, type: Boolean}
      - {name: kind, type: Enum, values: [NEWS, BLOG]}
      - {name: tags, type: Tag, list: true, reverse: posts}
  - name: Tag
    fields: [{name: label, type: String}]
entries:
  - {model: Tag, id: t1, data: {label: a}}
  - {model: Tag, id: t2, data: {label: b}, publish: [PUBLISHED]}
  - model: Post
    id: p1
    data: {title: Hi, views: 3, kind: BLOG, tags: [t2, t1]}
    localizations: {de: {title: Hallo}}
    publish: [PUBLISHED]
    stages: {QA: {data: {title: QA, tags: t1}}}
"#;

    #[test]
    fn loads_rows_links_and_localizations() {
        let mut s = Store::in_memory().unwrap();
        let k = s.load("proj", &env(BLOG)).unwrap();
        assert_eq!(s.entry_ids(k, "Post", "DRAFT").unwrap(), ["p1"]);
        assert_eq!(s.entry_ids(k, "Post", "QA").unwrap(), ["p1"]);
        assert_eq!(s.entry_ids(k, "Tag", "PUBLISHED").unwrap(), ["t2"]);
        assert_eq!(
            s.link_targets(k, "Post", "tags", "p1", "PUBLISHED")
                .unwrap(),
            ["t2", "t1"]
        );
        assert_eq!(
            s.link_targets(k, "Post", "tags", "p1", "QA").unwrap(),
            ["t1"]
        );
        assert_eq!(
            s.localizations(k, "Post", "p1", "DRAFT").unwrap(),
            ["en", "de"]
        );
        assert_eq!(s.localizations(k, "Post", "p1", "QA").unwrap(), ["en"]);
        assert_eq!(s.localizations(k, "Tag", "t1", "DRAFT").unwrap(), ["en"]);
        let (created, published, kind): (i64, Option<i64>, i64) = s
            .conn()
            .query_row(
                &format!(
                    "SELECT created_at, published_at, f_kind FROM {} WHERE stage = 'PUBLISHED'",
                    k.doc_table("Post")
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(created, BASE_TIME_US + 2 * DEFAULT_TIME_STEP_US);
        assert_eq!(published, Some(created));
        assert_eq!(kind, 1);
    }

    #[test]
    fn many_environments_and_reopening_a_file() {
        let dir = std::env::temp_dir().join(format!("tollgate-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.sqlite");
        let _ = std::fs::remove_file(&path);
        let key = {
            let mut s = Store::open(&path).unwrap();
            let a = s.load("one", &env(BLOG)).unwrap();
            let b = s.load("two", &env(BLOG)).unwrap();
            assert_ne!(a, b);
            assert!(matches!(
                s.load("one", &env(BLOG)),
                Err(StoreError::Duplicate { .. })
            ));
            b
        };
        let s = Store::open(&path).unwrap();
        assert_eq!(s.find("two", "master"), Some(key));
        assert_eq!(s.entry_ids(key, "Tag", "DRAFT").unwrap(), ["t1", "t2"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn page_sizes_survive_a_reopen_and_old_catalogs_get_the_defaults() {
        let dir = std::env::temp_dir().join(format!("tollgate-pages-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.sqlite");
        let _ = std::fs::remove_file(&path);
        let legacy = Pagination {
            default: 100,
            max: 1000,
        };
        {
            let mut s = Store::open(&path).unwrap();
            s.load_paged("old", &env(BLOG), legacy).unwrap();
            s.load("new", &env(BLOG)).unwrap();
        }
        let s = Store::open(&path).unwrap();
        let pages = |p: &str| s.env(s.find(p, "master").unwrap()).unwrap().pagination;
        assert_eq!(pages("old"), legacy);
        assert_eq!(pages("new"), Pagination::default());
        drop(s);

        // A catalog written before page sizes existed: its projects keep 10 and 100, and new
        // ones get their own.
        let old = dir.join("old.sqlite");
        let _ = std::fs::remove_file(&old);
        let before = {
            let mut s = Store::open(&old).unwrap();
            s.load_paged("before", &env(BLOG), legacy).unwrap()
        };
        {
            let conn = Connection::open(&old).unwrap();
            conn.execute_batch(&format!(
                "ALTER TABLE {t} DROP COLUMN \"page_default\"; ALTER TABLE {t} DROP COLUMN \"page_max\";",
                t = quote(CATALOG)
            ))
            .unwrap();
        }
        let mut s = Store::open(&old).unwrap();
        assert_eq!(s.env(before).unwrap().pagination, Pagination::default());
        let after = s.load_paged("after", &env(BLOG), legacy).unwrap();
        drop(s);
        let s = Store::open(&old).unwrap();
        assert_eq!(s.env(after).unwrap().pagination, legacy);
        assert_eq!(s.env(before).unwrap().pagination, Pagination::default());
        let _ = std::fs::remove_dir_all(&dir);

        assert!(Pagination { default: 0, max: 5 }.check().is_err());
        assert!(Pagination { default: 6, max: 5 }.check().is_err());
        assert!(Pagination {
            default: 1,
            max: 10_001
        }
        .check()
        .is_err());
        assert!(legacy.check().is_ok());
    }

    fn refused(yaml: &str) -> String {
        let mut s = Store::in_memory().unwrap();
        match s.load("p", &env(yaml)) {
            Err(e @ StoreError::Refused { .. }) => {
                // Nothing was stored.
                assert!(s.envs().is_empty());
                let n: i64 = s
                    .conn()
                    .query_row(
                        "SELECT count(*) FROM sqlite_master WHERE name LIKE 'e1/%'",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(n, 0);
                e.to_string()
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn refusals_name_entry_and_field() {
        let base = "models: [{name: Post, fields: [{name: title, type: String, required: true}, \
                    {name: n, type: Int}, {name: loc, type: String, localized: true, required: true}]}]\n\
                    locales: [en, de]\n";
        let e = refused(&format!(
            "{base}entries: [{{model: Post, id: p1, data: {{title: a, loc: x, n: 1.5}}}}]"
        ));
        assert!(
            e.contains("entries[0] \"p1\".data.n") && e.contains("DATA-1"),
            "{e}"
        );
        let e = refused(&format!(
            "{base}entries: [{{model: Post, id: p1, data: {{loc: x}}}}]"
        ));
        assert!(
            e.contains("\"p1\".data.title") && e.contains("DATA-5"),
            "{e}"
        );
        let e = refused(&format!(
            "{base}entries: [{{model: Post, id: p1, data: {{title: a, loc: x}}, localizations: {{de: {{}}}}}}]"
        ));
        assert!(e.contains("\"p1\".loc") && e.contains("\"de\""), "{e}");
        let e = refused(&format!(
            "{base}entries: [{{model: Post, id: p1, data: {{title: a, loc: x}}, \
             stages: {{PUBLISHED: {{data: {{title: null, loc: y}}}}}}}}]"
        ));
        assert!(e.contains("stages.PUBLISHED.data.title"), "{e}");
        let e = refused(&format!(
            "{base}entries: [{{model: Post, id: p1, data: {{title: \"a\\0\", loc: x}}}}]"
        ));
        assert!(e.contains("U+0000"), "{e}");
        let e = refused(
            "models: [{name: A, fields: [{name: b, type: B}]}, {name: B}]\n\
             entries: [{model: A, id: x, data: {b: x}}]",
        );
        assert!(e.contains("not an entry of B"), "{e}");
        let e = refused("models: [{name: A}]\nentries: [{model: A, id: x}, {model: A, id: x}]");
        assert!(e.contains("entries[1]"), "{e}");
        let e = refused("models: [{name: \"A\\\"; DROP\"}]");
        assert!(e.contains("api id"), "{e}");
    }
}
