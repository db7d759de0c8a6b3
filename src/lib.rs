//! tollgate: a conformance fuzzer and audit tool for the permission systems of headless-CMS
//! content APIs, starting with Hygraph's.
//!
//! The crate's spine is the reference [`model`]: a pure implementation of the permission model
//! that every target is compared with.

pub mod compare;
pub mod fuzzing;
pub mod model;
pub mod op;
pub mod scenario;
