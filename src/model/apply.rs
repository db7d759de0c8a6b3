//! The one entry point of the reference: [`apply`] an [`Operation`] to a [`State`].

use crate::model::State;
use crate::op::{Operation, Outcome};

/// Applies an operation to the state and returns its outcome. A denied or failed operation
/// leaves the state unchanged (WRITE-8).
pub fn apply(_state: &mut State, _op: &Operation) -> Outcome {
    Outcome::Indeterminate {
        reason: "the reference does not implement this yet".into(),
    }
}
