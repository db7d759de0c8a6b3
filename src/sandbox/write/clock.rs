//! The environment's sequences a write draws from: generated ids (DATA-2), creation order
//! (DATA-2), link sequence numbers (DATA-4) and mutation timestamps (DATA-3).
//!
//! They live in one row of the table `"{key}/write_counters"` (`next_order`, `next_seq`,
//! `latest_us`), created on an environment's first mutation and initialized from its loaded
//! content: the next creation order and link sequence number follow the largest loaded ones,
//! and `latest_us` is the latest timestamp of any document. Keeping them in a table (rather than
//! recomputing them from the content) means a deleted entry's order, its links' numbers and its
//! timestamps are never handed out again, and the table takes part in the mutation's
//! transaction, so a denied or failed mutation draws nothing (WRITE-8).

use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;
use rusqlite::{Connection, OptionalExtension};

use crate::model::project::{FieldKind, Schema};
use crate::sandbox::store::{quote, EnvKey};

use super::WriteError;

/// Length of a generated id after its leading `c` (DATA-2: `^c[a-z0-9]{24}$`).
const ID_TAIL: usize = 24;
/// How many fresh ids to try before giving up (a collision is already astronomically rare).
const ID_ATTEMPTS: usize = 16;

fn table_name(env: EnvKey) -> String {
    format!("{env}/write_counters")
}

/// Creates and initializes the counters of `env` unless they exist.
pub(super) fn ensure(conn: &Connection, env: EnvKey, schema: &Schema) -> Result<(), WriteError> {
    let present: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            [table_name(env)],
            |r| r.get(0),
        )
        .optional()?;
    if present.is_some() {
        return Ok(());
    }
    let next_order: i64 = conn.query_row(
        &format!(
            "SELECT COALESCE(MAX(\"creation_order\") + 1, 0) FROM {}",
            env.entries_table()
        ),
        [],
        |r| r.get(0),
    )?;
    let mut seq_parts = Vec::new();
    let mut time_parts = Vec::new();
    for m in &schema.models {
        let doc = env.doc_table(&m.api_id);
        for col in ["created_at", "updated_at", "published_at"] {
            time_parts.push(format!("SELECT MAX({}) AS x FROM {doc}", quote(col)));
        }
        for f in &m.fields {
            if let FieldKind::Relation { .. } = f.kind {
                seq_parts.push(format!(
                    "SELECT MAX(\"seq\") AS x FROM {}",
                    env.link_table(&m.api_id, &f.api_id)
                ));
            }
        }
    }
    let max_of = |parts: &[String]| -> Result<Option<i64>, WriteError> {
        if parts.is_empty() {
            return Ok(None);
        }
        let sql = format!("SELECT MAX(x) FROM ({})", parts.join(" UNION ALL "));
        Ok(conn.query_row(&sql, [], |r| r.get(0))?)
    };
    let next_seq = max_of(&seq_parts)?.map_or(0, |s| s.saturating_add(1));
    let latest = max_of(&time_parts)?.unwrap_or(i64::MIN);
    conn.execute_batch(&format!(
        "CREATE TABLE {} (\"one\" INTEGER PRIMARY KEY CHECK (\"one\" = 1), \
         \"next_order\" INTEGER NOT NULL, \"next_seq\" INTEGER NOT NULL, \
         \"latest_us\" INTEGER NOT NULL) STRICT",
        quote(&table_name(env))
    ))?;
    conn.execute(
        &format!(
            "INSERT INTO {} (\"one\", \"next_order\", \"next_seq\", \"latest_us\") VALUES (1, ?, ?, ?)",
            quote(&table_name(env))
        ),
        rusqlite::params![next_order, next_seq, latest],
    )?;
    Ok(())
}

/// Reads counter `col` and stores `next(value)` in its place; returns what was read.
fn bump(
    conn: &Connection,
    env: EnvKey,
    col: &str,
    next: impl FnOnce(i64) -> i64,
) -> Result<i64, WriteError> {
    let table = quote(&table_name(env));
    let col = quote(col);
    let v: i64 = conn.query_row(
        &format!("SELECT {col} FROM {table} WHERE \"one\" = 1"),
        [],
        |r| r.get(0),
    )?;
    conn.execute(
        &format!("UPDATE {table} SET {col} = ? WHERE \"one\" = 1"),
        [next(v)],
    )?;
    Ok(v)
}

/// The next creation order (DATA-2).
pub(super) fn next_order(conn: &Connection, env: EnvKey) -> Result<i64, WriteError> {
    bump(conn, env, "next_order", |v| v.saturating_add(1))
}

/// The next link sequence number (DATA-4).
pub(super) fn next_seq(conn: &Connection, env: EnvKey) -> Result<i64, WriteError> {
    bump(conn, env, "next_seq", |v| v.saturating_add(1))
}

/// Microseconds since the epoch, now.
fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// The timestamp of one mutation field (DATA-3): `max(now, latest + 1 µs)`, strictly later
/// than every timestamp of the environment; it becomes the latest.
pub(super) fn timestamp(conn: &Connection, env: EnvKey) -> Result<i64, WriteError> {
    let mut t = 0;
    bump(conn, env, "latest_us", |latest| {
        t = now_us().max(latest.saturating_add(1));
        t
    })?;
    Ok(t)
}

/// A fresh entry id (DATA-2): `c` and 24 lower-case letters and digits, unused by any entry of
/// the environment.
pub(super) fn new_id(conn: &Connection, env: EnvKey) -> Result<String, WriteError> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let sql = format!(
        "SELECT 1 FROM {} WHERE \"entry_id\" = ?",
        env.entries_table()
    );
    for _ in 0..ID_ATTEMPTS {
        let tail: String = (0..ID_TAIL)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        let id = format!("c{tail}");
        let used: Option<i64> = conn.query_row(&sql, [&id], |r| r.get(0)).optional()?;
        if used.is_none() {
            return Ok(id);
        }
    }
    Err(WriteError::Corrupt(
        "no unused entry id found after repeated attempts".into(),
    ))
}
