//! Profiles: the spec's `[D]` decisions as named knobs (spec preamble). `hygraph-2025` is the
//! default and behaves exactly as the spec states; a user can describe a deployment that behaves
//! otherwise by switching knobs instead of forking the model.
//!
//! Knobs the spec names whose alternative is not modelled yet (so they have no field here):
//! `null_operand` (ignore the key), `where_sees_unreadable_relations`, `string_order`
//! (a collation), `no_match_result` (an error), `mutation_batch` (per-field), `relation_check`
//! (only when a visible parent has a link).

use serde::{Deserialize, Serialize};

/// `pat_default_grant` (PERM-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatDefaultGrant {
    /// A new PAT starts with one READ grant on everything.
    ReadAll,
    /// A new PAT starts with no grant.
    None,
}

/// `null_logic` (WHERE-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NullLogic {
    /// Every leaf is true or false; NOT negates two-valued results.
    TwoValued,
    /// SQL three-valued logic: NOT of an unknown leaf stays unknown (false).
    SqlThreeValued,
}

/// `write_condition_miss` (WRITE-0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteConditionMiss {
    /// A matched entry failing the condition is a 403 with failedActions.
    Denied,
    /// Conditions are AND-ed into matching: answered as WRITE-6.
    NoMatch,
}

/// The knobs. Field names are the spec's knob names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Profile {
    /// The profile's name.
    pub name: String,
    /// AUTH-1: public grants also apply to PAT requests.
    pub public_adds_to_pat: bool,
    /// AUTH-2: `defaults.stage` of a PAT created without one.
    pub pat_default_stage: String,
    /// AUTH-3: status of a malformed token (401; Hygraph's docs say 400).
    pub malformed_token_status: u16,
    /// PERM-5: the grant a new PAT starts with.
    pub pat_default_grant: PatDefaultGrant,
    /// CTX-1, CTX-2: the argument beats the header.
    pub arg_beats_header: bool,
    /// CTX-5: an explicit null for a non-null argument is a 400 (else: as absent).
    pub explicit_null_arg: bool,
    /// WHERE-1: two-valued or SQL three-valued logic.
    pub null_logic: NullLogic,
    /// READ-2: locale lists apply to models without localized fields.
    pub unlocalized_locales: bool,
    /// READ-3: default `first`.
    pub page_default: usize,
    /// READ-3: maximum `first`.
    pub page_max: usize,
    /// READ-5: `aggregate.count` ignores `first`/`skip`.
    pub count_ignores_paging: bool,
    /// READ-7: a stage no grant covers contributes nothing to `documentInStages` (else a 403).
    pub stages_field_silent: bool,
    /// READ-9: list relation fields are paged with `page_default` when `first` is absent.
    pub relation_paging: bool,
    /// ORDER-1: enums order by declaration (else by name).
    pub enum_order_declaration: bool,
    /// WRITE-0: what a matched entry failing a condition gets.
    pub write_condition_miss: WriteConditionMiss,
    /// WRITE-2: the update condition is checked on the stored and the updated document (else stored only).
    pub update_condition_on_both: bool,
    /// WRITE-4: publish copies all localizations (else the base and the default locale only).
    pub publish_copies_all: bool,
    /// WRITE-7 (`mutation_result_stage`): a publish result is read back in DRAFT (else in the
    /// first target stage).
    pub mutation_result_draft: bool,
    /// WRITE-10: a one-way connect needs UPDATE on the related model.
    pub one_way_connect_needs_update: bool,
    /// §7: READ dependencies consult conditions.
    pub dependency_conditions: bool,
    /// §7: touched locales are the written ones (else the default locale only).
    pub write_locales_touched: bool,
    /// AUTH-5: revocation delay. The reference applies every change at once; the campaign
    /// treats requests inside this window as indeterminate.
    pub revocation_delay_ms: u64,
    /// AUTH-5: delay of other provisioning changes (a campaign-side window, as above).
    pub provisioning_delay_ms: u64,
    /// ERR-3: body limit in bytes.
    pub max_body_bytes: usize,
    /// LIMIT-1: nesting of a where/condition.
    pub max_where_depth: usize,
    /// LIMIT-1: keys, and objects, in one where/condition.
    pub max_where_size: usize,
    /// LIMIT-1: members of any list.
    pub max_list_len: usize,
    /// LIMIT-1: length of a string operand, in Unicode scalar values.
    pub max_filter_string: usize,
    /// LIMIT-1: selection depth.
    pub max_selection_depth: usize,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::hygraph_2025()
    }
}

/// Error for an unknown profile name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile {0:?} (known: hygraph-2025, hygraph-legacy)")]
pub struct UnknownProfile(pub String);

impl Profile {
    /// The default profile: every `[D]` as the spec states it.
    pub fn hygraph_2025() -> Profile {
        Profile {
            name: "hygraph-2025".into(),
            public_adds_to_pat: false,
            pat_default_stage: "PUBLISHED".into(),
            malformed_token_status: 401,
            pat_default_grant: PatDefaultGrant::ReadAll,
            arg_beats_header: true,
            explicit_null_arg: true,
            null_logic: NullLogic::TwoValued,
            unlocalized_locales: true,
            page_default: 10,
            page_max: 100,
            count_ignores_paging: true,
            stages_field_silent: true,
            relation_paging: true,
            enum_order_declaration: true,
            write_condition_miss: WriteConditionMiss::Denied,
            update_condition_on_both: true,
            publish_copies_all: true,
            mutation_result_draft: true,
            one_way_connect_needs_update: false,
            dependency_conditions: false,
            write_locales_touched: true,
            revocation_delay_ms: 0,
            provisioning_delay_ms: 0,
            max_body_bytes: 81_920,
            max_where_depth: 32,
            max_where_size: 256,
            max_list_len: 1000,
            max_filter_string: 4096,
            max_selection_depth: 10,
        }
    }

    /// Projects created before 2022-06-14: `page_default` 100 and `page_max` 1000 (READ-3).
    pub fn hygraph_legacy() -> Profile {
        Profile {
            name: "hygraph-legacy".into(),
            page_default: 100,
            page_max: 1000,
            ..Profile::hygraph_2025()
        }
    }

    /// A profile by name.
    pub fn named(name: &str) -> Result<Profile, UnknownProfile> {
        match name {
            "hygraph-2025" => Ok(Profile::hygraph_2025()),
            "hygraph-legacy" => Ok(Profile::hygraph_legacy()),
            other => Err(UnknownProfile(other.to_string())),
        }
    }
}
