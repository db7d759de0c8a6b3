//! The generators' size knobs ([`GenConfig`]) and their named presets.

use crate::scenario::load::DEFAULT_PROFILE;

/// Size knobs of the generators, and the profile the cases are judged under.
///
/// Every count is an upper bound drawn from (`1..=max` or `0..=max` as each field says); the
/// generators clamp them to what the spec's naming pools allow (at most 4 models, 3 locales,
/// 2 custom stages, 4 PATs). Percentages are weights out of 100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    /// The preset's name (`small`, `default`, `large`), for reports.
    pub name: String,
    /// The profile name every case carries (`--profile`; `hygraph-2025` by default).
    pub profile: String,
    /// Models per environment: `1..=max_models` (at most 4).
    pub max_models: u8,
    /// Declared fields per model: `1..=max_fields`.
    pub max_fields: u8,
    /// Entries of the first environment: `0..=max_entries`.
    pub max_entries: u8,
    /// PATs of the first environment: `1..=max_pats` (at most 4).
    pub max_pats: u8,
    /// Grants per principal: `0..=max_grants`.
    pub max_grants: u8,
    /// Steps per case: `min_steps..=max_steps`.
    pub min_steps: u16,
    /// See [`GenConfig::min_steps`].
    pub max_steps: u16,
    /// Root fields of a query: `1..=max_root_fields`.
    pub max_root_fields: u8,
    /// Clauses (keys, logic and relation nodes) of one `where` or condition: `0..=max_where_nodes`.
    pub max_where_nodes: u8,
    /// Relation selections under one root field: `0..=max_relation_selections`.
    pub max_relation_selections: u8,
    /// Weight of cases with a second environment (AUTH-3's other-environment tokens).
    pub second_environment_percent: u8,
    /// Weight of requests made deliberately invalid (400 paths), out of 100.
    pub invalid_percent: u8,
    /// Weight of mutation steps, out of 100 (the rest after manage steps are queries).
    pub mutation_percent: u8,
    /// Weight of provisioning steps, out of 100.
    pub manage_percent: u8,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            name: "default".into(),
            profile: DEFAULT_PROFILE.into(),
            max_models: 4,
            max_fields: 5,
            max_entries: 14,
            max_pats: 4,
            max_grants: 4,
            min_steps: 20,
            max_steps: 60,
            max_root_fields: 3,
            max_where_nodes: 4,
            max_relation_selections: 3,
            second_environment_percent: 20,
            invalid_percent: 6,
            mutation_percent: 35,
            manage_percent: 10,
        }
    }
}

impl GenConfig {
    /// The names [`GenConfig::preset`] knows.
    pub const PRESETS: [&'static str; 3] = ["small", "default", "large"];

    /// Small cases for CI runs that shrink fast: 1–2 models of up to 3 fields, up to 6
    /// entries, 1–2 PATs, 4–16 steps.
    pub fn small() -> GenConfig {
        GenConfig {
            name: "small".into(),
            max_models: 2,
            max_fields: 3,
            max_entries: 6,
            max_pats: 2,
            max_grants: 3,
            min_steps: 4,
            max_steps: 16,
            max_root_fields: 2,
            max_where_nodes: 3,
            max_relation_selections: 2,
            ..GenConfig::default()
        }
    }

    /// Larger projects and longer sequences (setup is costly; more operations per project).
    pub fn large() -> GenConfig {
        GenConfig {
            name: "large".into(),
            max_fields: 7,
            max_entries: 30,
            max_grants: 6,
            min_steps: 60,
            max_steps: 150,
            max_where_nodes: 6,
            max_relation_selections: 4,
            ..GenConfig::default()
        }
    }

    /// A preset by name (one of [`GenConfig::PRESETS`]).
    pub fn preset(name: &str) -> Option<GenConfig> {
        match name {
            "small" => Some(GenConfig::small()),
            "default" => Some(GenConfig::default()),
            "large" => Some(GenConfig::large()),
            _ => None,
        }
    }

    /// The same knobs with another profile name.
    pub fn with_profile(mut self, profile: impl Into<String>) -> GenConfig {
        self.profile = profile.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_found_by_its_name() {
        for name in GenConfig::PRESETS {
            assert_eq!(
                GenConfig::preset(name).map(|c| c.name),
                Some(name.to_string())
            );
        }
        assert_eq!(GenConfig::preset("huge"), None);
        let legacy = GenConfig::small().with_profile("hygraph-legacy");
        assert_eq!(legacy.profile, "hygraph-legacy");
        assert!(GenConfig::small().max_steps < GenConfig::default().max_steps);
    }
}
