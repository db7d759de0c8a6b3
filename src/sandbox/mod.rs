//! The sandbox: an embedded, Hygraph-compatible target served by the harness itself.
//!
//! The sandbox is an **independent second implementation** of the permission contract
//! (`spec/permission-model.md`). It may share data types with the reference [`model`](crate::model),
//! never its semantics: nothing here calls or copies `model::auth`, `model::read` or
//! `model::write`, so that an agreement between the two means something.
//!
//! For now it holds only [`token`]: the server's RS256 keys, issuing Permanent Auth Tokens as
//! JWTs, and verifying the `Authorization` header of a Content API request (AUTH-2, AUTH-3,
//! AUTH-4).

pub mod token;
