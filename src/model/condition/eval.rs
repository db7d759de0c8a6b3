//! Evaluating a [`Where`] on one document (WHERE-1..3, relation filters, AND/OR/NOT).

use crate::model::condition::ast::Where;
use crate::model::profile::NullLogic;
use crate::model::project::{Content, Document, Entry, LocaleIdx, Schema, StageIdx};

/// What evaluation reads besides the document: the schema, the content (for relations), the
/// stage of the document tested and the one locale it is read in (WHERE-2, WHERE-3).
#[derive(Debug, Clone, Copy)]
pub struct EvalCtx<'a> {
    /// The schema.
    pub schema: &'a Schema,
    /// All content of the environment.
    pub content: &'a Content,
    /// The stage of the document tested; relation filters follow links in this stage.
    pub stage: StageIdx,
    /// The locale localized fields are read in, at every depth.
    pub locale: LocaleIdx,
    /// WHERE-1's knob.
    pub null_logic: NullLogic,
}

/// Whether `w` holds on `doc`, the document of `entry` in `ctx.stage`.
pub fn eval(_w: &Where, _ctx: &EvalCtx<'_>, _entry: &Entry, _doc: &Document) -> bool {
    false
}
