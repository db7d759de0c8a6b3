//! What the Management API and the server's admin endpoints look things up in: environment ids,
//! content endpoints, PATs and grants by id across the environments of a [`Store`], and the
//! token string of each PAT as issued (kept in the table `tollgate_pat_tokens`, so the `token`
//! field reads the same string every time, also after a restart of a file store).

use rusqlite::OptionalExtension;

use crate::model::project::Schema;
use crate::sandbox::principals::{self, Pat, Principal, PrincipalError, StoredGrant};
use crate::sandbox::store::{quote, EnvKey, LoadedEnv, Store, StoreError};
use crate::sandbox::token::{content_endpoint, issue, KeyRing, PatClaims, TokenError};

/// The table of issued PAT tokens: `env` (the environment's key number), `pat` (the PAT's id),
/// `token` (the JWT).
pub const TOKENS_TABLE: &str = "tollgate_pat_tokens";

/// The path of the Management API on the server.
pub const MANAGEMENT_PATH: &str = "/management/graphql";

/// Why a lookup or a token failed (an internal failure: a 500).
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading or changing principals failed.
    #[error(transparent)]
    Principals(#[from] PrincipalError),
    /// Signing a token failed.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// SQLite failed.
    #[error("sqlite failed on the token table: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// The store, the server's keys and its origin: everything provisioning needs.
#[derive(Debug, Clone, Copy)]
pub struct Directory<'a> {
    /// The store.
    pub store: &'a Store,
    /// The server's signing keys.
    pub keys: &'a KeyRing,
    /// The server's origin, `http://127.0.0.1:PORT`.
    pub origin: &'a str,
}

/// The opaque id of an environment: `c` and 24 hex digits of the SHA-256 of its project id and
/// name, stable across restarts (the shape of DATA-2's ids).
pub fn environment_id(project: &str, name: &str) -> String {
    use rsa::sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(format!("{project}\u{0}{name}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("c{}", hex.get(..24).unwrap_or(&hex))
}

/// Creates the token table if missing.
pub fn ensure_tables(store: &Store) -> Result<(), DirectoryError> {
    store.conn().execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {} (\"env\" INTEGER NOT NULL, \"pat\" TEXT NOT NULL, \
         \"token\" TEXT NOT NULL, PRIMARY KEY (\"env\", \"pat\")) STRICT;",
        quote(TOKENS_TABLE)
    ))?;
    Ok(())
}

/// Forgets the tokens of an environment that is being dropped.
pub fn forget_environment(store: &Store, env: EnvKey) -> Result<(), DirectoryError> {
    ensure_tables(store)?;
    store.conn().execute(
        &format!("DELETE FROM {} WHERE \"env\" = ?", quote(TOKENS_TABLE)),
        [i64::from(env.0)],
    )?;
    Ok(())
}

impl<'a> Directory<'a> {
    /// The Management API's URL.
    pub fn management_url(&self) -> String {
        format!("{}{MANAGEMENT_PATH}", self.origin.trim_end_matches('/'))
    }

    /// The issuer of the server's tokens: its origin and `/`.
    pub fn issuer(&self) -> String {
        format!("{}/", self.origin.trim_end_matches('/'))
    }

    /// The content endpoint of an environment.
    pub fn endpoint(&self, env: &LoadedEnv) -> String {
        content_endpoint(self.origin, &env.project, &env.name)
    }

    /// The environment with an opaque id.
    pub fn environment(&self, id: &str) -> Option<&'a LoadedEnv> {
        self.store
            .envs()
            .iter()
            .find(|e| environment_id(&e.project, &e.name) == id)
    }

    /// The schema of an environment.
    pub fn schema(&self, env: EnvKey) -> Result<&'a Schema, DirectoryError> {
        Ok(&self.store.env(env)?.schema)
    }

    /// The live PAT with an id, in whichever environment it lives.
    pub fn live_pat(&self, id: &str) -> Result<Option<(EnvKey, Pat)>, DirectoryError> {
        for env in self.store.envs() {
            if let Some(p) = principals::pats(self.store, env.key)?
                .into_iter()
                .find(|p| p.id == id && !p.revoked)
            {
                return Ok(Some((env.key, p)));
            }
        }
        Ok(None)
    }

    /// Every grant with an id, in every environment (the public principal's and live PATs').
    pub fn grants_with_id(&self, id: &str) -> Result<Vec<(EnvKey, StoredGrant)>, DirectoryError> {
        let mut out = Vec::new();
        for env in self.store.envs() {
            let mut principals_of_env = vec![Principal::Public];
            principals_of_env.extend(
                principals::pats(self.store, env.key)?
                    .into_iter()
                    .filter(|p| !p.revoked)
                    .map(|p| Principal::Pat(p.id)),
            );
            for p in &principals_of_env {
                for g in principals::list_grants(self.store, env.key, p)? {
                    if g.id == id {
                        out.push((env.key, g));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The token of a PAT: the one issued before, else a new one (claims of AUTH-2: `aud` the
    /// environment's content endpoint and the management URL, `iss` the server's origin, `sub`
    /// the PAT's id, `jti` the PAT's), recorded for the next time.
    pub fn pat_token(&self, env: EnvKey, pat: &Pat) -> Result<String, DirectoryError> {
        ensure_tables(self.store)?;
        let conn = self.store.conn();
        let known: Option<String> = conn
            .query_row(
                &format!(
                    "SELECT \"token\" FROM {} WHERE \"env\" = ? AND \"pat\" = ?",
                    quote(TOKENS_TABLE)
                ),
                rusqlite::params![i64::from(env.0), pat.id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(t) = known {
            return Ok(t);
        }
        let loaded = self.store.env(env)?;
        let mut claims = PatClaims::new(
            &self.endpoint(loaded),
            &self.management_url(),
            &self.issuer(),
            &pat.id,
        );
        claims.jti = pat.jti.clone();
        let token = issue(self.keys, &claims)?.into_exposed();
        conn.execute(
            &format!(
                "INSERT OR REPLACE INTO {} (\"env\", \"pat\", \"token\") VALUES (?, ?, ?)",
                quote(TOKENS_TABLE)
            ),
            rusqlite::params![i64::from(env.0), pat.id, token],
        )?;
        Ok(token)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn environment_ids_are_stable_opaque_and_distinct() {
        let a = environment_id("p", "master");
        assert_eq!(a, environment_id("p", "master"));
        assert_eq!(a.len(), 25);
        assert!(a.starts_with('c') && a[1..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, environment_id("p", "staging"));
        assert_ne!(environment_id("ab", "c"), environment_id("a", "bc"));
    }
}
