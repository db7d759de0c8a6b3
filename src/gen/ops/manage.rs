//! Provisioning steps (§9, AUTH-5): grants created (valid ones, and ones PERM-4 refuses),
//! enabled, disabled and deleted; PATs created and deleted (revoked); default stages changed.
//! Grants and PATs are named by index into those the case knows at that step (loaded, then
//! created by earlier steps).

use proptest::prelude::*;

use crate::gen::{maybe, pick};

use crate::gen::config::GenConfig;
use crate::gen::principals::{grant_raw, grant_spec, GrantRaw};
use crate::gen::world::World;
use crate::model::grant::{Action, GrantSpec};
use crate::op::{Manage, Target};

/// Which call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ManageKind {
    /// `create…ContentPermission`.
    CreateGrant,
    /// `updateContentPermissionEnabled`.
    SetEnabled,
    /// `deleteContentPermission`.
    DeleteGrant,
    /// `createPermanentAuthToken`.
    CreatePat,
    /// `deletePermanentAuthToken`.
    DeletePat,
    /// A default stage.
    DefaultStage,
}

/// A provisioning step: the call, whose (0 public, else a PAT), the grant to create and how
/// to make PERM-4 refuse it, which grant or PAT (index), a flag (`enabled`; a created PAT's
/// default stage given) and a stage.
#[derive(Debug, Clone)]
pub(crate) struct ManageRaw {
    pub kind: ManageKind,
    pub principal: u8,
    pub grant: GrantRaw,
    pub refuse: Option<u8>,
    pub pick: u16,
    pub flag: bool,
    pub stage: u8,
}

/// The provisioning strategy.
pub(crate) fn manage_raw(cfg: &GenConfig) -> strategy!(ManageRaw) {
    (
        pick([
            (6, ManageKind::CreateGrant),
            (3, ManageKind::SetEnabled),
            (2, ManageKind::DeleteGrant),
            (1, ManageKind::CreatePat),
            (1, ManageKind::DeletePat),
            (2, ManageKind::DefaultStage),
        ]),
        any::<u8>(),
        grant_raw(cfg),
        maybe(30, any::<u8>()),
        any::<u16>(),
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(
            |(kind, principal, grant, refuse, pick, flag, stage)| ManageRaw {
                kind,
                principal,
                grant,
                refuse,
                pick,
                flag,
                stage,
            },
        )
}

fn target(world: &World, principal: u8) -> Target {
    let i = usize::from(principal) % (world.pats.len() + 1);
    match i.checked_sub(1).and_then(|p| world.pats.get(p)) {
        Some(name) => Target::Pat(name.clone()),
        None => Target::Public,
    }
}

/// Makes `g` a grant PERM-4 refuses (variant `v`): a condition that is not one JSON object or
/// breaks §5, a condition without a model, an unknown model, stage or locale, `READ_VERSIONS`
/// with scopes, `stages` on an action without them.
fn refuse(world: &World, g: &mut GrantSpec, v: u8) {
    let first_model = world.models.first().map(|m| m.name.clone());
    let with_model = |g: &mut GrantSpec| {
        if g.model.is_none() {
            g.model = first_model.clone();
        }
        if g.action == Action::ReadVersions {
            g.action = Action::Read;
        }
    };
    match v % 14 {
        0 => {
            with_model(g);
            g.condition = Some(String::new());
        }
        1 => {
            with_model(g);
            g.condition = Some("null".into());
        }
        2 => {
            with_model(g);
            g.condition = Some("[{}]".into());
        }
        3 => {
            with_model(g);
            g.condition = Some("{} x".into());
        }
        4 => {
            with_model(g);
            g.condition = Some(r#"{"nope":1}"#.into());
        }
        5 => {
            g.model = None;
            g.condition = Some("{}".into());
        }
        6 => g.model = Some("Nope".into()),
        7 => {
            g.action = Action::Read;
            g.stages = Some(vec!["NOPE".into()]);
        }
        8 => {
            if g.action == Action::ReadVersions {
                g.action = Action::Read;
            }
            g.locales = Some(vec!["xx".into()]);
        }
        9 => {
            *g = GrantSpec {
                stages: Some(vec!["DRAFT".into()]),
                ..GrantSpec::all(Action::ReadVersions)
            };
        }
        10 => {
            with_model(g);
            g.condition = Some(r#"{"id_in":[null]}"#.into());
        }
        11 => {
            with_model(g);
            g.condition = Some(r#"{"id_lt":"a"}"#.into());
        }
        12 => {
            with_model(g);
            g.condition = Some(r#"{"id":"a","id":"b"}"#.into());
        }
        _ => {
            g.action = Action::Create;
            g.stages = Some(vec!["DRAFT".into()]);
        }
    }
}

/// Builds a provisioning step, recording grants and PATs it creates.
pub(crate) fn build(raw: &ManageRaw, world: &mut World) -> Manage {
    let pick = usize::from(raw.pick);
    match raw.kind {
        ManageKind::SetEnabled | ManageKind::DeleteGrant if !world.grants.is_empty() => {
            let id = world.grants[pick % world.grants.len()].clone();
            if raw.kind == ManageKind::SetEnabled {
                Manage::SetGrantEnabled {
                    environment: None,
                    id,
                    enabled: raw.flag,
                }
            } else {
                Manage::DeleteGrant {
                    environment: None,
                    id,
                }
            }
        }
        ManageKind::CreatePat => {
            let name = format!("new{}", world.made_pats);
            world.made_pats += 1;
            world.pats.push(name.clone());
            Manage::CreatePat {
                environment: None,
                name,
                default_stage: raw.flag.then(|| world.stage_at(raw.stage)),
            }
        }
        // A PAT created by a step if there is one (else a loaded one): revoking a loaded PAT
        // early turns every later request of it into a 401.
        ManageKind::DeletePat if !world.pats.is_empty() => {
            let created: Vec<&String> =
                world.pats.iter().filter(|p| p.starts_with("new")).collect();
            let name = match created.get(pick % created.len().max(1)) {
                Some(n) => (*n).clone(),
                None => world.pats[pick % world.pats.len()].clone(),
            };
            world.revoked.push(name.clone());
            Manage::DeletePat {
                environment: None,
                name,
            }
        }
        ManageKind::DefaultStage => Manage::SetDefaultStage {
            environment: None,
            target: target(world, raw.principal),
            stage: world.stage_at(raw.stage),
        },
        // A grant (also when there is none to toggle or delete yet).
        _ => {
            world.made_grants += 1;
            let id = format!("c{}", world.made_grants);
            let mut grant = grant_spec(world, &raw.grant, Some(id.clone()));
            let target = target(world, raw.principal);
            match raw.refuse {
                Some(v) => refuse(world, &mut grant, v),
                None => {
                    world.grants.push(id);
                    if let Target::Pat(p) = &target {
                        world.record_grant(p, &grant);
                    }
                }
            }
            Manage::CreateGrant {
                environment: None,
                target,
                grant,
            }
        }
    }
}
