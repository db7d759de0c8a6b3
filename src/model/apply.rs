//! The one entry point of the reference: [`apply`] an [`Operation`] to a [`State`]. It runs
//! ERR-1's steps in order for a content request and carries out provisioning calls (§9).

use serde_json::{Map, Value as J};

use crate::model::auth;
use crate::model::ctx::{self, Invalid};
use crate::model::grant::{Action, Grant, GrantSpec};
use crate::model::profile::PatDefaultGrant;
use crate::model::project::{Document, Entry};
use crate::model::read::{self, ConnPart, EdgePart, Reader, Root, Shape};
use crate::model::state::{resolve_grant, State};
use crate::model::write;
use crate::model::{condition::Limits, grant::Pat};
use crate::op::{DeniedError, Manage, Method, Operation, OperationType, Outcome, Request, Target};

/// Applies an operation to the state and returns its outcome. A denied or failed operation
/// leaves the state unchanged (WRITE-8).
pub fn apply(state: &mut State, op: &Operation) -> Outcome {
    match op {
        Operation::Request(r) => request(state, r),
        Operation::Manage(m) => manage(state, m),
    }
}

fn from_invalid(e: Invalid) -> Outcome {
    Outcome::invalid(e.rule, e.message)
}

fn request(state: &mut State, r: &Request) -> Outcome {
    // Step 1: the path names an existing project and environment.
    if r.project.as_ref().is_some_and(|p| p != &state.project_id) {
        return Outcome::NotFound;
    }
    let Some(env) = state.env_index(r.environment.as_deref()) else {
        return Outcome::NotFound;
    };
    // Step 2: body size (ERR-3).
    if r.body_bytes
        .is_some_and(|n| n > state.profile.max_body_bytes)
    {
        return Outcome::TooLarge;
    }
    // Step 3: envelope (ERR-3): a mutation by GET.
    if r.method == Method::Get && r.operation == OperationType::Mutation && r.invalid.is_none() {
        return Outcome::invalid("ERR-3", "a mutation cannot be sent by GET");
    }
    // Step 4: credentials.
    let principal = match auth::authenticate(state, env, &r.credential) {
        Ok(p) => p,
        Err(o) => return o,
    };
    // Step 5: document validation.
    if let Some(msg) = &r.invalid {
        // A duplicate key in an input object is WHERE-4's (or CTX-3's) refusal; every other
        // document-level problem (syntax, operation choice, variables) is ERR-3's envelope.
        let rule = if msg.contains("only one input field") {
            "WHERE-4"
        } else {
            "ERR-3"
        };
        return Outcome::invalid(rule, msg.clone());
    }
    let default_stage = auth::default_stage(state, env, principal);
    let State {
        environments,
        profile,
        ..
    } = state;
    let profile: &crate::model::profile::Profile = profile;
    let Some(crate::model::Environment {
        schema,
        content,
        public,
        pats,
        ..
    }) = environments.get_mut(env)
    else {
        return Outcome::NotFound;
    };
    let schema: &crate::model::project::Schema = schema;
    let grants = auth::grants_of(public, pats, principal, profile.public_adds_to_pat);
    let stage_h = match ctx::stage_header(schema, &r.stage_header) {
        Ok(s) => s,
        Err(e) => return from_invalid(e),
    };
    let locales_h = match ctx::locales_header(schema, &r.locales_header) {
        Ok(s) => s,
        Err(e) => return from_invalid(e),
    };
    if ctx::depth(&r.fields) > profile.max_selection_depth {
        return Outcome::invalid(
            "LIMIT-1",
            format!("selection depth exceeds {}", profile.max_selection_depth),
        );
    }
    if let Some(n) = ctx::longest_list(&r.fields) {
        if n > profile.max_list_len {
            return Outcome::invalid(
                "LIMIT-1",
                format!(
                    "a list of {n} members exceeds {} in the arguments",
                    profile.max_list_len
                ),
            );
        }
    }
    match r.operation {
        OperationType::Query => {
            let roots = match read::plan_query(schema, profile, &r.fields) {
                Ok(p) => p,
                Err(e) => return from_invalid(e),
            };
            let read_grants = read::read_grants(grants);
            let reader = Reader {
                schema,
                content,
                grants: &read_grants,
                profile,
            };
            let pick_stage = |arg: Option<usize>| {
                if profile.arg_beats_header {
                    arg.or(stage_h).unwrap_or(default_stage)
                } else {
                    stage_h.or(arg).unwrap_or(default_stage)
                }
            };
            let pick_locales = |arg: &Option<Vec<usize>>| -> Vec<usize> {
                let chosen = if profile.arg_beats_header {
                    arg.clone().or(locales_h.clone())
                } else {
                    locales_h.clone().or(arg.clone())
                };
                chosen.unwrap_or_else(|| vec![0])
            };
            query(&reader, &roots, &pick_stage, &pick_locales)
        }
        OperationType::Mutation => {
            let roots = match write::plan_mutation(schema, profile, &r.fields) {
                Ok(p) => p,
                Err(e) => return from_invalid(e),
            };
            write::execute(schema, profile, &grants, content, &roots)
        }
    }
}

fn query(
    reader: &Reader<'_>,
    roots: &[Root],
    pick_stage: &dyn Fn(Option<usize>) -> usize,
    pick_locales: &dyn Fn(&Option<Vec<usize>>) -> Vec<usize>,
) -> Outcome {
    // Step 6: READ-1 and READ-6, for every root field, before execution.
    let mut errors: Vec<DeniedError> = Vec::new();
    let mut root_denied = false;
    for root in roots {
        let Root::Model(t, shape) = root else {
            continue;
        };
        let (stage, locales) = (pick_stage(t.stage), pick_locales(&t.locales));
        let mut path = vec![t.key.clone()];
        if !reader.covered(t.model, stage, &locales) {
            root_denied = true;
            errors.push(DeniedError {
                message: "not allowed".into(),
                path: Some(path),
                failed_actions: None,
            });
            continue;
        }
        let mut check = |sel: &[read::Item], path: &mut Vec<String>| {
            reader.check_relations(t.model, sel, stage, &locales, path, &mut errors)
        };
        match shape {
            Shape::One { sel, .. } | Shape::List { sel, .. } => check(sel, &mut path),
            Shape::Connection { parts, .. } => {
                for p in parts {
                    let ConnPart::Edges(ek, eparts) = p else {
                        continue;
                    };
                    path.push(ek.clone());
                    for e in eparts {
                        if let EdgePart::Node(nk, sel) = e {
                            path.push(nk.clone());
                            check(sel, &mut path);
                            path.pop();
                        }
                    }
                    path.pop();
                }
            }
        }
    }
    if !errors.is_empty() {
        return Outcome::Denied {
            rule: Some(if root_denied { "READ-1" } else { "READ-6" }.into()),
            errors,
        };
    }
    let mut introspection = false;
    let mut data = Map::new();
    for root in roots {
        let (t, shape) = match root {
            Root::Typename(k) => {
                data.insert(k.clone(), J::String("Query".into()));
                continue;
            }
            Root::Introspection(_) => {
                introspection = true;
                continue;
            }
            Root::Model(t, shape) => (t, shape),
        };
        let (stage, locales) = (pick_stage(t.stage), pick_locales(&t.locales));
        let value = match shape {
            Shape::One { id, sel } => reader
                .content
                .get(id)
                .filter(|e| e.model == t.model)
                .and_then(|e| {
                    let d = e.document(stage)?;
                    let l = reader.visible(e, d, stage, &locales)?;
                    Some(reader.render(e, d, stage, l, &locales, sel))
                })
                .unwrap_or(J::Null),
            Shape::List { args, sel } => {
                let chosen = reader.select(
                    t.model,
                    candidates(reader, t.model, stage),
                    stage,
                    &locales,
                    args,
                );
                J::Array(
                    reader
                        .page(chosen, args, true)
                        .into_iter()
                        .map(|(e, d, l)| reader.render(e, d, stage, l, &locales, sel))
                        .collect(),
                )
            }
            Shape::Connection { args, parts } => {
                let chosen = reader.select(
                    t.model,
                    candidates(reader, t.model, stage),
                    stage,
                    &locales,
                    args,
                );
                connection(reader, t.model, stage, &locales, chosen, args, parts)
            }
        };
        data.insert(t.key.clone(), value);
    }
    if introspection {
        return Outcome::Introspection;
    }
    Outcome::Ok {
        data: J::Object(data),
    }
}

/// A connection's value: `aggregate.count` over every visible match (READ-5), `edges` paged.
fn connection(
    reader: &Reader<'_>,
    model: usize,
    stage: usize,
    locales: &[usize],
    chosen: Vec<(&Entry, &Document, usize)>,
    args: &read::ListArgs,
    parts: &[ConnPart],
) -> J {
    let total = chosen.len();
    let paged = reader.page(chosen, args, true);
    let api = reader
        .schema
        .models
        .get(model)
        .map(|m| m.api_id.clone())
        .unwrap_or_default();
    let mut obj = Map::new();
    for p in parts {
        match p {
            ConnPart::Typename(k) => {
                obj.insert(k.clone(), J::String(format!("{api}Connection")));
            }
            ConnPart::Aggregate(k, items) => {
                let count = if reader.profile.count_ignores_paging {
                    total
                } else {
                    paged.len()
                };
                let agg = items
                    .iter()
                    .map(|(ak, is_count)| {
                        let v = if *is_count {
                            J::from(count)
                        } else {
                            J::String("Aggregate".into())
                        };
                        (ak.clone(), v)
                    })
                    .collect();
                obj.insert(k.clone(), J::Object(agg));
            }
            ConnPart::Edges(k, eparts) => {
                let edges = paged
                    .iter()
                    .map(|(e, d, l)| {
                        let edge = eparts
                            .iter()
                            .map(|ep| match ep {
                                EdgePart::Typename(tk) => {
                                    (tk.clone(), J::String(format!("{api}Edge")))
                                }
                                EdgePart::Node(nk, sel) => {
                                    (nk.clone(), reader.render(e, d, stage, *l, locales, sel))
                                }
                            })
                            .collect();
                        J::Object(edge)
                    })
                    .collect();
                obj.insert(k.clone(), J::Array(edges));
            }
        }
    }
    J::Object(obj)
}

fn candidates<'a>(
    reader: &Reader<'a>,
    model: usize,
    stage: usize,
) -> impl Iterator<
    Item = (
        &'a crate::model::project::Entry,
        &'a crate::model::project::Document,
    ),
> {
    let content = reader.content;
    content
        .of_model(model)
        .filter_map(move |e| e.document(stage).map(|d| (e, d)))
}

// ----------------------------------------------------------------------------------------
// Provisioning (§9, AUTH-5, PERM-4, PERM-5).

fn manage(state: &mut State, m: &Manage) -> Outcome {
    let env_name = match m {
        Manage::CreateGrant { environment, .. }
        | Manage::SetGrantEnabled { environment, .. }
        | Manage::DeleteGrant { environment, .. }
        | Manage::CreatePat { environment, .. }
        | Manage::DeletePat { environment, .. }
        | Manage::SetDefaultStage { environment, .. } => environment.as_deref(),
    };
    let Some(ei) = state.env_index(env_name) else {
        return Outcome::refused("PERM-4", "no such environment");
    };
    let limits = Limits::from(&state.profile);
    let pat_default_grant = state.profile.pat_default_grant;
    let pat_default_stage = state.profile.pat_default_stage.clone();
    let Some(env) = state.environments.get_mut(ei) else {
        return Outcome::refused("PERM-4", "no such environment");
    };
    match m {
        Manage::CreateGrant { target, grant, .. } => {
            env.next_grant += 1;
            let id = grant
                .id
                .clone()
                .unwrap_or_else(|| format!("grant-{}", env.next_grant));
            if all_grants(env).any(|g| g.id == id) {
                return Outcome::refused("PERM-4", format!("grant id {id:?} exists already"));
            }
            let resolved = match resolve_grant(&env.schema, grant, &limits, id) {
                Ok(g) => g,
                Err(msg) => return Outcome::refused("PERM-4", msg),
            };
            match grants_mut(env, target) {
                Some(list) => {
                    list.push(resolved);
                    Outcome::Provisioned
                }
                None => Outcome::refused("PERM-4", "no such principal"),
            }
        }
        Manage::SetGrantEnabled { id, enabled, .. } => {
            match all_grants_mut(env).find(|g| &g.id == id) {
                Some(g) => {
                    g.enabled = *enabled;
                    g.spec.enabled = *enabled;
                    Outcome::Provisioned
                }
                None => Outcome::refused("PERM-1", format!("no grant {id:?}")),
            }
        }
        Manage::DeleteGrant { id, .. } => {
            let before = all_grants(env).count();
            env.public.grants.retain(|g| &g.id != id);
            for p in &mut env.pats {
                p.grants.retain(|g| &g.id != id);
            }
            if all_grants(env).count() < before {
                Outcome::Provisioned
            } else {
                Outcome::refused("PERM-1", format!("no grant {id:?}"))
            }
        }
        Manage::CreatePat {
            name,
            default_stage,
            ..
        } => {
            if env.pats.iter().any(|p| &p.name == name) {
                return Outcome::refused("AUTH-2", format!("PAT {name:?} exists already"));
            }
            let stage_name = default_stage.clone().unwrap_or(pat_default_stage);
            let Some(stage) = env.schema.stage(&stage_name) else {
                return Outcome::refused("AUTH-2", format!("stage {stage_name:?} does not exist"));
            };
            let mut grants: Vec<Grant> = Vec::new();
            if pat_default_grant == PatDefaultGrant::ReadAll {
                env.next_grant += 1;
                let spec = GrantSpec::all(Action::Read);
                match resolve_grant(
                    &env.schema,
                    &spec,
                    &limits,
                    format!("grant-{}", env.next_grant),
                ) {
                    Ok(g) => grants.push(g),
                    Err(msg) => return Outcome::refused("PERM-5", msg),
                }
            }
            let env_name = env.name.clone();
            env.pats.push(Pat {
                id: format!("pat-{name}"),
                name: name.clone(),
                jti: format!("jti-{env_name}-{name}"),
                default_stage: stage,
                revoked: false,
                grants,
            });
            Outcome::Provisioned
        }
        Manage::DeletePat { name, .. } => match env.pats.iter_mut().find(|p| &p.name == name) {
            Some(p) if !p.revoked => {
                // Its content permissions go with it: later calls naming them are refused.
                p.revoked = true;
                p.grants.clear();
                Outcome::Provisioned
            }
            _ => Outcome::refused("AUTH-4", format!("no live PAT {name:?}")),
        },
        Manage::SetDefaultStage { target, stage, .. } => {
            let Some(s) = env.schema.stage(stage) else {
                return Outcome::refused("CTX-1", format!("stage {stage:?} does not exist"));
            };
            match target {
                Target::Public => {
                    env.public.default_stage = s;
                    Outcome::Provisioned
                }
                // A deleted PAT is gone: it has no default stage to set.
                Target::Pat(name) => {
                    match env.pats.iter_mut().find(|p| &p.name == name && !p.revoked) {
                        Some(p) => {
                            p.default_stage = s;
                            Outcome::Provisioned
                        }
                        None => Outcome::refused("AUTH-2", format!("no live PAT {name:?}")),
                    }
                }
            }
        }
    }
}

fn all_grants(env: &crate::model::Environment) -> impl Iterator<Item = &Grant> {
    env.public
        .grants
        .iter()
        .chain(env.pats.iter().flat_map(|p| p.grants.iter()))
}

fn all_grants_mut(env: &mut crate::model::Environment) -> impl Iterator<Item = &mut Grant> {
    env.public
        .grants
        .iter_mut()
        .chain(env.pats.iter_mut().flat_map(|p| p.grants.iter_mut()))
}

fn grants_mut<'a>(
    env: &'a mut crate::model::Environment,
    target: &Target,
) -> Option<&'a mut Vec<Grant>> {
    match target {
        Target::Public => Some(&mut env.public.grants),
        Target::Pat(name) => env
            .pats
            .iter_mut()
            .find(|p| &p.name == name && !p.revoked)
            .map(|p| &mut p.grants),
    }
}
