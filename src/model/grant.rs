//! Principals and their content permissions (spec §2, §3): the seven actions, grants with their
//! model, condition, locale and stage scopes, the public principal and Permanent Auth Tokens.

use serde::{Deserialize, Serialize};

use crate::model::condition::{eval, Compiled, EvalCtx, Where};
use crate::model::project::{Document, Entry, LocaleIdx, ModelIdx, StageIdx, DRAFT_IDX};

/// A content-permission action (§3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    /// `READ`.
    Read,
    /// `READ_VERSIONS` (PERM-6: affects no operation).
    ReadVersions,
    /// `CREATE`.
    Create,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `PUBLISH`.
    Publish,
    /// `UNPUBLISH`.
    Unpublish,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 7] = [
        Action::Read,
        Action::ReadVersions,
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Publish,
        Action::Unpublish,
    ];

    /// The lower-case name used in `failedActions` (§7).
    pub fn failed_name(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::ReadVersions => "read_versions",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Publish => "publish",
            Action::Unpublish => "unpublish",
        }
    }

    /// The upper-case name used in provisioning and scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Action::Read => "READ",
            Action::ReadVersions => "READ_VERSIONS",
            Action::Create => "CREATE",
            Action::Update => "UPDATE",
            Action::Delete => "DELETE",
            Action::Publish => "PUBLISH",
            Action::Unpublish => "UNPUBLISH",
        }
    }
}

/// A content permission as provisioned, by names (what a scenario or the Management API says).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantSpec {
    /// An id to refer to the grant in later provisioning steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The action.
    pub action: Action,
    /// The model's api id, or absent/null for all models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The condition: a JSON string holding a `<Model>WhereInput` (PERM-3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Locale list; absent/null means all (PERM-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locales: Option<Vec<String>>,
    /// `stages` of READ and UNPUBLISH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<String>>,
    /// `fromStages` of PUBLISH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_stages: Option<Vec<String>>,
    /// `toStages` of PUBLISH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_stages: Option<Vec<String>>,
    /// `enabled` (PERM-1); true when absent.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

impl GrantSpec {
    /// An enabled grant of `action` on all models, locales and stages: PERM-5's default grant
    /// of a new PAT for `READ`.
    pub fn all(action: Action) -> GrantSpec {
        GrantSpec {
            id: None,
            action,
            model: None,
            condition: None,
            locales: None,
            stages: None,
            from_stages: None,
            to_stages: None,
            enabled: true,
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A grant resolved against the schema: indices instead of names, the condition parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// Provisioning id (stable within an environment).
    pub id: String,
    /// The action.
    pub action: Action,
    /// The model, or `None` for all models.
    pub model: Option<ModelIdx>,
    /// The parsed condition (only with a model).
    pub condition: Option<Where>,
    /// `condition` compiled for evaluation ([`Compiled`]); [`Grant::holds`] uses it when present.
    pub compiled: Option<Compiled>,
    /// Locales, or `None` for all.
    pub locales: Option<Vec<LocaleIdx>>,
    /// `stages` (READ, UNPUBLISH), or `None` for all.
    pub stages: Option<Vec<StageIdx>>,
    /// `fromStages` (PUBLISH).
    pub from_stages: Option<Vec<StageIdx>>,
    /// `toStages` (PUBLISH).
    pub to_stages: Option<Vec<StageIdx>>,
    /// `enabled` (PERM-1).
    pub enabled: bool,
    /// The specification it was made from (for listing and printing).
    pub spec: GrantSpec,
}

impl Grant {
    /// Whether the grant's condition holds on `doc`, the document of `entry` in `ctx.stage`
    /// (true without a condition): the compiled form when there is one, else [`eval()`](crate::model::condition::eval()).
    #[inline]
    pub fn holds(&self, ctx: &EvalCtx<'_>, entry: &Entry, doc: &Document) -> bool {
        match (&self.compiled, &self.condition) {
            (Some(c), _) => c.holds(ctx, entry, doc),
            (None, Some(w)) => eval(w, ctx, entry, doc),
            (None, None) => true,
        }
    }

    /// PERM-2 without the condition: does this enabled grant of `action` cover
    /// (model, stage, locale)? `stage` is the stage the action's stage list is checked against
    /// (READ/UNPUBLISH `stages`, PUBLISH `toStages` with `fromStages` needing DRAFT; ignored by
    /// CREATE, UPDATE and DELETE). `locale: None` skips the locale check.
    #[inline]
    pub fn covers(
        &self,
        action: Action,
        model: ModelIdx,
        stage: StageIdx,
        locale: Option<LocaleIdx>,
    ) -> bool {
        if !self.enabled || self.action != action {
            return false;
        }
        if self.model.is_some_and(|m| m != model) {
            return false;
        }
        if let (Some(list), Some(l)) = (&self.locales, locale) {
            if !list.contains(&l) {
                return false;
            }
        }
        let in_list = |list: &Option<Vec<StageIdx>>, s: StageIdx| match list {
            None => true,
            Some(v) => v.contains(&s),
        };
        match action {
            Action::Read | Action::Unpublish => in_list(&self.stages, stage),
            Action::Publish => {
                in_list(&self.from_stages, DRAFT_IDX) && in_list(&self.to_stages, stage)
            }
            Action::Create | Action::Update | Action::Delete | Action::ReadVersions => true,
        }
    }
}

/// A Permanent Auth Token (AUTH-2).
#[derive(Debug, Clone, PartialEq)]
pub struct Pat {
    /// The PAT's provisioning id.
    pub id: String,
    /// Its name (scenarios refer to tokens by name).
    pub name: String,
    /// The JWT's `jti`: the token's identity (AUTH-4).
    pub jti: String,
    /// `defaults.stage`.
    pub default_stage: StageIdx,
    /// Deleted (revoked) PATs keep their record so that tokens carrying the jti can be sent;
    /// they are never accepted (AUTH-3).
    pub revoked: bool,
    /// Its content permissions (none once deleted: they are deleted with the PAT).
    pub grants: Vec<Grant>,
}

/// The public principal of an environment (AUTH-1).
#[derive(Debug, Clone, PartialEq)]
pub struct Public {
    /// The public default stage (`PUBLISHED` in a new project).
    pub default_stage: StageIdx,
    /// Its content permissions (none in a new project, PERM-5).
    pub grants: Vec<Grant>,
}
