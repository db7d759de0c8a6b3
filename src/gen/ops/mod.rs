//! Operation sequences: queries ([`query`]), mutations ([`mutation`]) and provisioning calls
//! ([`manage`]), each request with a credential (public, a PAT's token in one of its forms, or
//! raw `Authorization` values), `gcms-stage`/`gcms-locales` headers or none, POST or GET, and
//! sometimes made deliberately invalid ([`invalid`]) or sent to a path that does not exist.
//!
//! Steps are built in order against the [`World`], which they update: PATs and grants created
//! by earlier steps can be used and toggled by later ones, and entries created by earlier
//! `create` fields are named by `{{created:K}}` placeholders.

pub(crate) mod invalid;
pub(crate) mod manage;
pub(crate) mod mutation;
pub(crate) mod query;

use proptest::prelude::*;

use crate::gen::{chance, long_vec, maybe, pick, zero_or};

use crate::gen::config::GenConfig;
use crate::gen::world::World;
use crate::op::{Credential, Method, Operation, Request, TokenForm};

/// The first environment's name.
pub(crate) const FIRST_ENV: &str = "master";

/// Raw `Authorization` header values (AUTH-2): empty, a scheme alone, another scheme, a token
/// nobody issued, two headers, a token with a space, none at all.
const RAW_HEADERS: [&[&str]; 7] = [
    &[""],
    &["Bearer"],
    &["Basic dXNlcjpwYXNz"],
    &["Bearer not-a-token"],
    &["Bearer a", "Bearer b"],
    &["bearer   x y"],
    &[],
];

/// Whose credential a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredKind {
    /// A PAT's token (in a form).
    Pat,
    /// No `Authorization` header.
    Public,
    /// Raw header values.
    Header,
}

/// A credential, index-based: kind, which PAT (or raw header), token form (0 valid, 1
/// re-encoded, 2 tampered, 3 other key, 4 malformed, 5 audience of another environment, 6 a
/// valid token of the other environment), scheme word (0 `Bearer`, 1 `bearer`, 2 `BEARER`, 3
/// `Basic`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CredRaw {
    pub kind: CredKind,
    pub pat: u8,
    pub form: u8,
    pub scheme: u8,
}

/// Where a request goes besides its environment: the case's project, or another project (404,
/// ERR-1 step 1). (Not an unknown environment of the case's project: a case cannot encode a
/// step addressed to an environment it lacks, [`Case::query_text`](crate::case::Case::query_text).)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// The case's project.
    Normal,
    /// A project id that does not exist.
    OtherProject,
}

/// What every content request has besides its fields.
#[derive(Debug, Clone)]
pub(crate) struct ReqRaw {
    pub cred: CredRaw,
    pub second_env: bool,
    pub stage_header: Option<u8>,
    pub locales_header: Option<Vec<u8>>,
    pub spaced: bool,
    pub get: bool,
    pub route: Route,
    pub invalid: Option<u8>,
}

/// One step.
#[derive(Debug, Clone)]
pub(crate) enum StepRaw {
    /// A query.
    Query(query::QueryRaw),
    /// A mutation (one or two fields).
    Mutation(mutation::MutationRaw),
    /// A provisioning call.
    Manage(manage::ManageRaw),
}

fn cred_raw(queries: bool) -> strategy!(CredRaw) {
    // Mutations by the public principal are rare in practice.
    let public = if queries { 8 } else { 2 };
    (
        pick([
            (30, CredKind::Pat),
            (public, CredKind::Public),
            (1, CredKind::Header),
        ]),
        any::<u8>(),
        zero_or(60, 7),
        pick([(60, 0u8), (1, 1), (1, 2), (1, 3)]),
    )
        .prop_map(|(kind, pat, form, scheme)| CredRaw {
            kind,
            pat,
            form,
            scheme,
        })
}

pub(crate) fn req_raw(cfg: &GenConfig, queries: bool) -> strategy!(ReqRaw) {
    let get = if queries { 6 } else { 0 };
    (
        cred_raw(queries),
        // Mutations stay in the first environment: every entry a case creates lives there, so
        // `{{created:K}}` counts them unambiguously.
        chance(if queries { 12 } else { 0 }),
        maybe(20, any::<u8>()),
        maybe(20, prop::collection::vec(any::<u8>(), 1..3)),
        prop::bool::weighted(0.3),
        chance(get),
        pick([(98, Route::Normal), (2, Route::OtherProject)]),
        maybe(cfg.invalid_percent, any::<u8>()),
    )
        .prop_map(
            |(cred, second_env, stage_header, locales_header, spaced, get, route, invalid)| {
                ReqRaw {
                    cred,
                    second_env,
                    stage_header,
                    locales_header,
                    spaced,
                    get,
                    route,
                    invalid,
                }
            },
        )
}

/// The steps strategy.
pub(crate) fn steps_raw(cfg: &GenConfig) -> strategy!(Vec<StepRaw>) {
    let mutation = u32::from(cfg.mutation_percent.clamp(1, 98));
    let manage = u32::from(cfg.manage_percent.clamp(1, 98));
    let query = 100u32.saturating_sub(mutation + manage).max(1);
    let step = prop_oneof![
        query => query::query_raw(cfg).prop_map(StepRaw::Query),
        mutation => mutation::mutation_raw(cfg).prop_map(StepRaw::Mutation),
        manage => manage::manage_raw(cfg).prop_map(StepRaw::Manage),
    ];
    let min = usize::from(cfg.min_steps.max(1));
    let max = usize::from(cfg.max_steps).max(min);
    long_vec(min, max, step)
}

/// Whether any step has a `create` field.
pub(crate) fn creates(steps: &[StepRaw]) -> bool {
    steps.iter().any(|s| match s {
        StepRaw::Mutation(m) => m.fields.iter().any(|f| f.kind == mutation::MutKind::Create),
        _ => false,
    })
}

/// Builds every step in order, updating the world.
pub(crate) fn build(steps: &[StepRaw], world: &mut World) -> Vec<Operation> {
    steps
        .iter()
        .map(|s| match s {
            StepRaw::Query(q) => Operation::Request(query::build(q, world)),
            StepRaw::Mutation(m) => Operation::Request(mutation::build(m, world)),
            StepRaw::Manage(m) => Operation::Manage(manage::build(m, world)),
        })
        .collect()
}

/// The credential of `raw` for a request to the first (or, with `second`, the second)
/// environment.
fn credential(world: &World, raw: &CredRaw, second: bool, prefer: &[String]) -> Credential {
    match raw.kind {
        CredKind::Public => Credential::Public,
        CredKind::Header => Credential::Header {
            values: RAW_HEADERS[usize::from(raw.pat) % RAW_HEADERS.len()]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        },
        CredKind::Pat => {
            let other = world.second_env.as_deref();
            // Form 6: a valid token of the other environment (AUTH-3), when there is one.
            let cross = raw.form == 6 && other.is_some();
            // Mostly a live PAT of the first environment (a revoked one 1 time in 8).
            let live = world.live_pats();
            let pool: Vec<&String> = if second != cross {
                world.second_pats.iter().collect()
            } else if raw.pat < 192 && !prefer.is_empty() {
                prefer.iter().collect()
            } else if raw.pat < 224 && !live.is_empty() {
                live
            } else {
                world.pats.iter().collect()
            };
            let Some(pat) = pool.get(usize::from(raw.pat) % pool.len().max(1)) else {
                return Credential::Public;
            };
            let own_env = if second != cross {
                other.unwrap_or(FIRST_ENV)
            } else {
                FIRST_ENV
            };
            let form = match raw.form {
                1 => TokenForm::Reencoded,
                2 => TokenForm::Tampered,
                3 => TokenForm::OtherKey,
                4 => TokenForm::Malformed,
                // The token's audience moved to the other environment (else re-encoded for
                // its own: accepted).
                5 => match other {
                    Some(o) if own_env == FIRST_ENV => TokenForm::Audience(o.to_string()),
                    Some(_) => TokenForm::Audience(FIRST_ENV.to_string()),
                    None => TokenForm::Reencoded,
                },
                _ => TokenForm::Valid,
            };
            let scheme = ["Bearer", "bearer", "BEARER", "Basic"][usize::from(raw.scheme % 4)];
            Credential::Token {
                pat: (*pat).clone(),
                form,
                scheme: scheme.to_string(),
            }
        }
    }
}

/// A request with `raw`'s credential, headers, method and route (fields left empty); a PAT
/// credential is mostly one of `prefer` when it is not empty.
fn request(world: &World, raw: &ReqRaw, prefer: &[String]) -> Request {
    let second = raw.second_env && world.second_env.is_some();
    let environment = if second {
        world.second_env.clone()
    } else {
        None
    };
    let sep = if raw.spaced { " , " } else { "," };
    let locales_header = raw.locales_header.as_ref().map(|ls| {
        let names: Vec<String> = ls.iter().map(|l| world.locale_at(*l)).collect();
        let v = names.join(sep);
        if raw.spaced {
            format!(" {v} ")
        } else {
            v
        }
    });
    Request {
        environment,
        project: (raw.route == Route::OtherProject).then(|| "no-such-project".to_string()),
        credential: credential(world, &raw.cred, second, prefer),
        stage_header: raw
            .stage_header
            .map(|s| world.stage_at(s))
            .into_iter()
            .collect(),
        locales_header: locales_header.into_iter().collect(),
        method: if raw.get { Method::Get } else { Method::Post },
        ..Request::default()
    }
}
