//! The reference model: a pure, synchronous, in-memory implementation of the permission model
//! of `spec/permission-model.md` (sections 1–8). No I/O, no async, no HTTP types.
//!
//! [`apply()`] is the one entry point: it applies an
//! [`Operation`](crate::op::Operation) for a credential to a [`State`] and
//! returns an [`Outcome`](crate::op::Outcome).

pub mod apply;
pub mod auth;
pub mod condition;
pub mod ctx;
pub mod grant;
pub mod profile;
pub mod project;
pub mod read;
pub mod spec;
pub mod state;
pub mod value;
pub mod write;

pub use apply::apply;
pub use state::{Environment, LoadError, State};
