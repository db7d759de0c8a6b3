//! Principals and grants (spec §2, §3): the public principal with its default stage and
//! grants, 1–4 PATs with varied default stages (one sometimes revoked), grants of all seven
//! actions on one model or all, with locale and stage lists (`[]` included), disabled ones and
//! conditions ([`filter`](crate::gen::filter)); and the small second environment a case
//! sometimes has (for AUTH-3's tokens of another environment).

use proptest::prelude::*;

use crate::gen::{maybe, pick};

use crate::gen::config::GenConfig;
use crate::gen::filter::{where_raw, Scope, WhereRaw};
use crate::gen::world::World;
use crate::model::grant::{Action, GrantSpec};
use crate::model::spec::{EnvSpec, PatSpec, PublicSpec};

/// PAT names of the first environment (unique across the project: the reference resolves
/// credentials by name).
pub(crate) const PAT_NAMES: [&str; 4] = ["ann", "bob", "cyd", "dan"];

/// PAT names of the second environment.
pub(crate) const SECOND_PAT_NAMES: [&str; 2] = ["sam", "sue"];

/// The second environment's name.
pub(crate) const SECOND_ENV: &str = "staging";

/// A grant, index-based; lists are bit masks (`Some(0)` is `[]`), `None` is null (all).
#[derive(Debug, Clone)]
pub(crate) struct GrantRaw {
    pub action: Action,
    pub model: Option<u8>,
    pub condition: Option<WhereRaw>,
    pub locales: Option<u8>,
    pub stages: Option<u8>,
    pub from: Option<u8>,
    pub to: Option<u8>,
    pub disabled: bool,
}

/// Broad grants a PAT starts with (all models, locales and stages), before its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persona {
    /// None.
    Nobody,
    /// `READ`.
    Reader,
    /// `READ`, `CREATE`, `UPDATE`.
    Editor,
    /// `READ`, `PUBLISH`, `UNPUBLISH`.
    Publisher,
    /// Every action but `READ_VERSIONS`.
    Admin,
}

impl Persona {
    /// Its actions.
    fn actions(self) -> &'static [Action] {
        match self {
            Persona::Nobody => &[],
            Persona::Reader => &[Action::Read],
            Persona::Editor => &[Action::Read, Action::Create, Action::Update],
            Persona::Publisher => &[Action::Read, Action::Publish, Action::Unpublish],
            Persona::Admin => &[
                Action::Read,
                Action::Create,
                Action::Update,
                Action::Delete,
                Action::Publish,
                Action::Unpublish,
            ],
        }
    }
}

/// What a persona's grants are limited to: one model, a condition on it, a locale list.
#[derive(Debug, Clone)]
pub(crate) struct ScopeRaw {
    pub model: u8,
    pub condition: Option<WhereRaw>,
    pub locales: Option<u8>,
}

/// A PAT: default stage, revoked, a persona's grants (on everything, or within a scope, so
/// that its conditions decide) first, and grants of its own.
#[derive(Debug, Clone)]
pub(crate) struct PatRaw {
    pub default_stage: Option<u8>,
    pub revoked: bool,
    pub persona: Persona,
    pub scope: Option<ScopeRaw>,
    pub grants: Vec<GrantRaw>,
}

/// The principals of the first environment (the public one with PERM-5's "initialize
/// defaults" grant or not), and the second environment (when `Some`: its public grants
/// READ-everything or none, and whether its second PAT reads everything).
#[derive(Debug, Clone)]
pub(crate) struct PrincipalsRaw {
    pub public_stage: Option<u8>,
    pub public_defaults: bool,
    pub public: Vec<GrantRaw>,
    pub pats: Vec<PatRaw>,
    pub second: Option<(bool, bool)>,
}

/// An action, READ most often.
pub(crate) fn action() -> strategy!(Action) {
    pick([
        (8, Action::Read),
        (1, Action::ReadVersions),
        (3, Action::Create),
        (3, Action::Update),
        (2, Action::Delete),
        (3, Action::Publish),
        (2, Action::Unpublish),
    ])
}

/// A locale or stage list as a bit mask: `[]` (PERM-2: covers nothing) one time in four.
fn list_mask() -> strategy!(u8) {
    (0..4u8, 1..=u8::MAX).prop_map(|(empty, mask)| if empty == 3 { 0 } else { mask })
}

/// The grant strategy.
pub(crate) fn grant_raw(cfg: &GenConfig) -> strategy!(GrantRaw) {
    (
        action(),
        maybe(65, any::<u8>()),
        maybe(35, where_raw(cfg.max_where_nodes.min(3))),
        maybe(25, list_mask()),
        maybe(35, list_mask()),
        maybe(20, list_mask()),
        maybe(35, list_mask()),
        prop::bool::weighted(0.08),
    )
        .prop_map(
            |(action, model, condition, locales, stages, from, to, disabled)| GrantRaw {
                action,
                model,
                condition,
                locales,
                stages,
                from,
                to,
                disabled,
            },
        )
}

/// The principals strategy.
pub(crate) fn principals_raw(cfg: &GenConfig) -> strategy!(PrincipalsRaw) {
    let grants = usize::from(cfg.max_grants);
    let pat = (
        maybe(50, any::<u8>()),
        prop::bool::weighted(0.05),
        pick([
            (2, Persona::Nobody),
            (3, Persona::Reader),
            (4, Persona::Editor),
            (3, Persona::Publisher),
            (5, Persona::Admin),
        ]),
        maybe(
            40,
            (
                any::<u8>(),
                maybe(75, where_raw(cfg.max_where_nodes.min(3))),
                maybe(25, any::<u8>()),
            )
                .prop_map(|(model, condition, locales)| ScopeRaw {
                    model,
                    condition,
                    locales,
                }),
        ),
        prop::collection::vec(grant_raw(cfg), 0..=grants),
    )
        .prop_map(|(default_stage, revoked, persona, scope, grants)| PatRaw {
            default_stage,
            revoked,
            persona,
            scope,
            grants,
        });
    (
        maybe(30, any::<u8>()),
        (
            prop::bool::weighted(0.55),
            prop::collection::vec(grant_raw(cfg), 0..=grants.min(3)),
        ),
        prop::collection::vec(pat, 1..=usize::from(cfg.max_pats.clamp(1, 4))),
        maybe(
            cfg.second_environment_percent,
            (any::<bool>(), any::<bool>()),
        ),
    )
        .prop_map(
            |(public_stage, (public_defaults, public), pats, second)| PrincipalsRaw {
                public_stage,
                public_defaults,
                public,
                pats,
                second,
            },
        )
}

/// The grant spec of `raw` (valid by construction: lists only where the action takes them, a
/// condition only with a model).
pub(crate) fn grant_spec(world: &World, raw: &GrantRaw, id: Option<String>) -> GrantSpec {
    let action = raw.action;
    let model = raw.model.map(|m| world.model_at(m));
    let versions = action == Action::ReadVersions;
    let condition = match (&raw.condition, model) {
        (Some(w), Some(m)) if !versions => {
            let scope = Scope {
                world,
                request: false,
            };
            Some(scope.build(m, w).to_string())
        }
        _ => None,
    };
    let takes_stages = matches!(action, Action::Read | Action::Unpublish);
    let publish = action == Action::Publish;
    GrantSpec {
        id,
        action,
        model: model
            .and_then(|m| world.models.get(m))
            .map(|m| m.name.clone()),
        condition,
        locales: raw
            .locales
            .filter(|_| !versions)
            .map(|mask| world.locale_mask(mask)),
        stages: raw
            .stages
            .filter(|_| takes_stages)
            .map(|mask| world.stage_mask(mask, 0)),
        from_stages: raw
            .from
            .filter(|_| publish)
            .map(|mask| world.stage_mask(mask, 0)),
        to_stages: raw
            .to
            .filter(|_| publish)
            .map(|mask| world.stage_mask(mask, 1)),
        enabled: !raw.disabled,
    }
}

/// The public principal and PATs of the first environment (grant ids `g1`, `g2`, … recorded
/// in the world, PAT names too).
pub(crate) fn build(raw: &PrincipalsRaw, world: &mut World) -> (PublicSpec, Vec<PatSpec>) {
    let mut next = 0usize;
    let mut ids = Vec::new();
    let mut id = || {
        next += 1;
        let id = format!("g{next}");
        ids.push(id.clone());
        Some(id)
    };
    let mut public_grants = Vec::new();
    if raw.public_defaults {
        // PERM-5: READ, all models and locales, stages [PUBLISHED].
        public_grants.push(GrantSpec {
            id: id(),
            stages: Some(vec!["PUBLISHED".into()]),
            ..GrantSpec::all(Action::Read)
        });
    }
    public_grants.extend(raw.public.iter().map(|g| grant_spec(world, g, id())));
    let public = PublicSpec {
        default_stage: raw.public_stage.map(|s| world.stage_at(s)),
        grants: public_grants,
    };
    let mut pats = Vec::new();
    for (p, name) in raw.pats.iter().zip(PAT_NAMES) {
        let mut grants = Vec::new();
        for a in p.persona.actions() {
            let scoped = p.scope.as_ref().map(|s| GrantRaw {
                action: *a,
                model: Some(s.model),
                condition: s.condition.clone(),
                locales: s.locales,
                stages: None,
                from: None,
                to: None,
                disabled: false,
            });
            grants.push(match scoped {
                Some(g) => grant_spec(world, &g, id()),
                None => GrantSpec {
                    id: id(),
                    ..GrantSpec::all(*a)
                },
            });
        }
        grants.extend(p.grants.iter().map(|g| grant_spec(world, g, id())));
        pats.push(PatSpec {
            name: name.to_string(),
            default_stage: p.default_stage.map(|s| world.stage_at(s)),
            revoked: p.revoked,
            grants,
        });
    }
    world.pats = pats.iter().map(|p| p.name.clone()).collect();
    for p in &pats {
        for g in &p.grants {
            world.record_grant(&p.name, g);
        }
    }
    world.revoked = pats
        .iter()
        .filter(|p| p.revoked)
        .map(|p| p.name.clone())
        .collect();
    world.grants = ids;
    (public, pats)
}

/// The second environment: the first one's schema and content under another name, its own
/// principals (`sam` reads everything, `sue` per `raw`).
pub(crate) fn second_env(first: &EnvSpec, raw: (bool, bool), world: &mut World) -> EnvSpec {
    let (public_reads, sue_reads) = raw;
    let all = || vec![GrantSpec::all(Action::Read)];
    world.second_env = Some(SECOND_ENV.to_string());
    world.second_pats = SECOND_PAT_NAMES.iter().map(|s| s.to_string()).collect();
    EnvSpec {
        name: SECOND_ENV.to_string(),
        public: PublicSpec {
            default_stage: None,
            grants: if public_reads { all() } else { Vec::new() },
        },
        pats: vec![
            PatSpec {
                name: SECOND_PAT_NAMES[0].to_string(),
                default_stage: Some("DRAFT".into()),
                revoked: false,
                grants: all(),
            },
            PatSpec {
                name: SECOND_PAT_NAMES[1].to_string(),
                default_stage: None,
                revoked: false,
                grants: if sue_reads { all() } else { Vec::new() },
            },
        ],
        ..first.clone()
    }
}
