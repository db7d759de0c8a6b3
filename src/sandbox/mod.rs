//! The sandbox target: an independent second implementation of the permission contract
//! (`spec/permission-model.md`), built the way a real CMS would be, with content in SQLite,
//! grants and `where` filters compiled into SQL, and PATs as RS256 JWTs.
//!
//! It shares only data types with the reference [`model`](crate::model): the schema
//! ([`Schema`](crate::model::project::Schema)), the case description
//! ([`EnvSpec`](crate::model::spec::EnvSpec)), scalar values and their coercion
//! ([`Value::coerce`](crate::model::value::Value::coerce), DATA-1) and the condition AST with its
//! parser ([`Where`](crate::model::condition::Where)). It never calls the reference's semantics
//! (evaluation, reads, writes, authorization): agreement between the two is evidence, so they
//! must not share the code that decides (`tests/it/sandbox_independence.rs` checks this).
//!
//! Modules:
//! - [`store`]: the SQLite store: DDL generated from a schema per environment, and loading an
//!   environment's content (refusing what DATA-1 and DATA-5 refuse).
//! - [`sql`]: compilation of a [`Where`](crate::model::condition::Where) into a boolean SQL
//!   expression over a document row (§5, WHERE-1..5, DATA-4).
//! - [`token`]: the server's RS256 keys, issuing Permanent Auth Tokens as JWTs, and verifying
//!   the `Authorization` header of a Content API request (AUTH-2, AUTH-3, AUTH-4).
//! - [`principals`]: PATs, the public principal and their grants in SQLite (§2, §3, §9: PERM-4
//!   refusals, revocation, PERM-5's default grant), and READ visibility compiled into SQL
//!   (READ-1, READ-2).
//! - [`schema`]: the per-environment GraphQL schema (READ-10) and request validation with
//!   `apollo-compiler` (ERR-1 step 5: document, operation, variables, CTX-5, LIMIT-1).
//! - [`read`]: executing queries in SQL: root lists, single entries and connections, relation
//!   and reverse fields and `documentInStages`, with ERR-1's order (step-5 checks, then READ-1
//!   and READ-6, then execution), READ-2..9, CTX-4 and ORDER-1; and WRITE-7's read-back.
//! - [`write`](mod@write): mutations (§7) in one SQLite transaction with a savepoint per field:
//!   WRITE-0's model check, the requirement table, data checks, DATA-2..5, WRITE-8 atomicity.
//! - [`context`]: the `gcms-stage` and `gcms-locales` headers (CTX-1, CTX-2).
//! - [`manage`]: the Management API subset of §9 over GraphQL (tokens, content permissions,
//!   default stages; PERM-4 refusals).
//! - [`server`]: the HTTP server (`tollgate serve`, or in process): the Content API in ERR-1's
//!   order, introspection (READ-8), and the admin surface (management, bulk project loading,
//!   token re-encoding).
//! - [`demo`]: the demo blog of `tollgate serve --demo`.
//! - [`faults`]: the switchable enforcement bugs.

pub mod context;
pub mod demo;
pub mod faults;
pub mod manage;
pub mod principals;
pub mod read;
pub mod schema;
pub mod server;
pub mod sql;
pub mod store;
pub mod token;
pub mod write;
