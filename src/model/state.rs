//! The reference's state: a project with its environments, each holding a schema, content and
//! principals; and [`State::load`], which resolves the by-name [`spec`](crate::model::spec)
//! into it, refusing what DATA-1, DATA-5 and PERM-4 refuse (a refused load is an error with the
//! path of the offending item, never a partial state).

use std::collections::HashMap;

use crate::model::condition::{parse_condition, Compiled, Limits};
use crate::model::grant::{Action, Grant, GrantSpec, Pat, Public};
use crate::model::profile::Profile;
use crate::model::project::{
    Content, Document, Entry, FieldKind, Link, ModelIdx, Schema, StageIdx,
};
use crate::model::spec::{DocSpec, EnvSpec, SchemaError};
use crate::model::value::{parse_datetime, Value};

/// The base of default timestamps for loaded documents without any: 2024-01-01T00:00:00Z.
const BASE_TIME_US: i64 = 1_704_067_200_000_000;

/// The whole reference state of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The project id.
    pub project_id: String,
    /// The environments; the first is the one requests address by default.
    pub environments: Vec<Environment>,
    /// The knobs.
    pub profile: Profile,
}

/// One environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// Its name.
    pub name: String,
    /// Its schema.
    pub schema: Schema,
    /// Its content.
    pub content: Content,
    /// The public principal.
    pub public: Public,
    /// PATs (revoked ones kept, marked).
    pub pats: Vec<Pat>,
    /// Counter for generated grant ids.
    pub next_grant: u64,
}

/// Why a case could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct LoadError {
    /// Where, e.g. `environments[0].entries[3].data.title`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl From<SchemaError> for LoadError {
    fn from(e: SchemaError) -> Self {
        LoadError {
            path: e.path,
            message: e.message,
        }
    }
}

fn err<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, LoadError> {
    Err(LoadError {
        path: path.into(),
        message: message.into(),
    })
}

impl State {
    /// Resolves a case's environments.
    pub fn load(project_id: &str, envs: &[EnvSpec], profile: Profile) -> Result<State, LoadError> {
        if envs.is_empty() {
            return err("environments", "a case needs at least one environment");
        }
        let mut environments = Vec::new();
        for (i, e) in envs.iter().enumerate() {
            let path = format!("environments[{i}]");
            if environments.iter().any(|x: &Environment| x.name == e.name) {
                return err(path, format!("environment {:?} given twice", e.name));
            }
            environments.push(Environment::load(e, &profile, &path)?);
        }
        Ok(State {
            project_id: project_id.to_string(),
            environments,
            profile,
        })
    }

    /// The environment with a name, or the first one for `None`.
    pub fn env_index(&self, name: Option<&str>) -> Option<usize> {
        match name {
            None => (!self.environments.is_empty()).then_some(0),
            Some(n) => self.environments.iter().position(|e| e.name == n),
        }
    }
}

/// Resolves a grant spec against a schema (PERM-4): the reason of a refusal, else the grant.
pub fn resolve_grant(
    schema: &Schema,
    spec: &GrantSpec,
    limits: &Limits,
    id: String,
) -> Result<Grant, String> {
    let model = match &spec.model {
        None => None,
        Some(m) => Some(
            schema
                .model(m)
                .ok_or_else(|| format!("model {m:?} does not exist"))?,
        ),
    };
    let condition = match (&spec.condition, model) {
        (None, _) => None,
        (Some(_), None) => return Err("a condition needs a model".into()),
        (Some(text), Some(m)) => {
            Some(parse_condition(schema, m, text, limits).map_err(|e| format!("condition: {e}"))?)
        }
    };
    let stage_list = |list: &Option<Vec<String>>, what: &str| -> Result<_, String> {
        match list {
            None => Ok(None),
            Some(v) => v
                .iter()
                .map(|s| {
                    schema
                        .stage(s)
                        .ok_or_else(|| format!("{what}: stage {s:?} does not exist"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    };
    let locales = match &spec.locales {
        None => None,
        Some(v) => Some(
            v.iter()
                .map(|l| {
                    schema
                        .locale(l)
                        .ok_or_else(|| format!("locale {l:?} does not exist"))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let (allows_stages, allows_publish_stages) = match spec.action {
        Action::Read | Action::Unpublish => (true, false),
        Action::Publish => (false, true),
        _ => (false, false),
    };
    if !allows_stages && spec.stages.is_some() {
        return Err(format!("{} takes no `stages`", spec.action.name()));
    }
    if !allows_publish_stages && (spec.from_stages.is_some() || spec.to_stages.is_some()) {
        return Err(format!(
            "{} takes no `fromStages`/`toStages`",
            spec.action.name()
        ));
    }
    if spec.action == Action::ReadVersions && (spec.locales.is_some() || spec.condition.is_some()) {
        return Err("READ_VERSIONS takes no locales, stages or condition".into());
    }
    Ok(Grant {
        id,
        action: spec.action,
        model,
        compiled: condition.as_ref().map(|w| Compiled::new(schema, w)),
        condition,
        locales,
        stages: stage_list(&spec.stages, "stages")?,
        from_stages: stage_list(&spec.from_stages, "fromStages")?,
        to_stages: stage_list(&spec.to_stages, "toStages")?,
        enabled: spec.enabled,
        spec: spec.clone(),
    })
}

impl Environment {
    /// Resolves one environment spec.
    pub fn load(e: &EnvSpec, profile: &Profile, path: &str) -> Result<Environment, LoadError> {
        let schema = e.schema(path)?;
        let limits = Limits::from(profile);
        let mut env = Environment {
            name: e.name.clone(),
            schema,
            content: Content::default(),
            public: Public {
                default_stage: 1,
                grants: Vec::new(),
            },
            pats: Vec::new(),
            next_grant: 0,
        };
        if let Some(s) = &e.public.default_stage {
            env.public.default_stage = env.schema.stage(s).ok_or_else(|| LoadError {
                path: format!("{path}.public.default_stage"),
                message: format!("stage {s:?} does not exist"),
            })?;
        }
        for (i, g) in e.public.grants.iter().enumerate() {
            let id = env.grant_id(g);
            let grant = resolve_grant(&env.schema, g, &limits, id).map_err(|m| LoadError {
                path: format!("{path}.public.grants[{i}]"),
                message: m,
            })?;
            env.public.grants.push(grant);
        }
        for (pi, p) in e.pats.iter().enumerate() {
            let ppath = format!("{path}.pats[{pi}]");
            if env.pats.iter().any(|x| x.name == p.name) {
                return err(ppath, format!("PAT {:?} given twice", p.name));
            }
            let stage_name = p
                .default_stage
                .clone()
                .unwrap_or_else(|| profile.pat_default_stage.clone());
            let default_stage = env.schema.stage(&stage_name).ok_or_else(|| LoadError {
                path: format!("{ppath}.default_stage"),
                message: format!("stage {stage_name:?} does not exist"),
            })?;
            let mut grants = Vec::new();
            for (i, g) in p.grants.iter().enumerate() {
                let id = env.grant_id(g);
                grants.push(
                    resolve_grant(&env.schema, g, &limits, id).map_err(|m| LoadError {
                        path: format!("{ppath}.grants[{i}]"),
                        message: m,
                    })?,
                );
            }
            env.pats.push(Pat {
                id: format!("pat-{}", p.name),
                name: p.name.clone(),
                jti: format!("jti-{}-{}", e.name, p.name),
                default_stage,
                revoked: p.revoked,
                // A deleted PAT's content permissions are deleted with it (§9): a revoked PAT
                // is created with its grants (so they are validated) and then deleted.
                grants: if p.revoked { Vec::new() } else { grants },
            });
        }
        let mut ids: HashMap<String, ModelIdx> = HashMap::new();
        for (i, en) in e.entries.iter().enumerate() {
            let m = env.schema.model(&en.model).ok_or_else(|| LoadError {
                path: format!("{path}.entries[{i}].model"),
                message: format!("model {:?} does not exist", en.model),
            })?;
            if en.id.is_empty() || ids.insert(en.id.clone(), m).is_some() {
                return err(
                    format!("{path}.entries[{i}].id"),
                    format!("id {:?} is empty or given twice", en.id),
                );
            }
        }
        for (i, en) in e.entries.iter().enumerate() {
            let epath = format!("{path}.entries[{i}]");
            let m = ids.get(&en.id).copied().unwrap_or_default();
            let order = env.content.next_order;
            env.content.next_order += 1;
            let default_time = BASE_TIME_US + i64::try_from(order).unwrap_or(0) * 60_000_000;
            let nstages = env.schema.stages.len();
            let mut documents: Vec<Option<Document>> = vec![None; nstages];
            let draft = load_doc(&mut env, m, &en.draft(), &ids, default_time, false, &epath)?;
            for (si, s) in en.publish.iter().enumerate() {
                let st = stage_of(&env.schema, s, &format!("{epath}.publish[{si}]"))?;
                if st == 0 {
                    return err(format!("{epath}.publish[{si}]"), "DRAFT is not a target");
                }
                let mut copy = draft.clone();
                copy.published_at = Some(copy.updated_at);
                documents[st] = Some(copy);
            }
            for (s, d) in &en.stages {
                let spath = format!("{epath}.stages.{s}");
                let st = stage_of(&env.schema, s, &spath)?;
                if st == 0 {
                    return err(spath, "the DRAFT document is given inline");
                }
                if documents[st].is_some() {
                    return err(spath, "stage also listed in `publish`");
                }
                documents[st] = Some(load_doc(&mut env, m, d, &ids, default_time, true, &spath)?);
            }
            documents[0] = Some(draft);
            for d in documents.iter().flatten() {
                let t = d
                    .created_at
                    .max(d.updated_at)
                    .max(d.published_at.unwrap_or(i64::MIN));
                env.content.latest_timestamp = env.content.latest_timestamp.max(t);
            }
            env.content.entries.push(Entry {
                id: en.id.clone(),
                model: m,
                order,
                documents,
            });
        }
        env.content.reindex();
        Ok(env)
    }

    fn grant_id(&mut self, g: &GrantSpec) -> String {
        self.next_grant += 1;
        g.id.clone()
            .unwrap_or_else(|| format!("grant-{}", self.next_grant))
    }

    /// The PAT with a name.
    pub fn pat(&self, name: &str) -> Option<&Pat> {
        self.pats.iter().find(|p| p.name == name)
    }
}

fn stage_of(schema: &Schema, s: &str, path: &str) -> Result<StageIdx, LoadError> {
    schema.stage(s).ok_or_else(|| LoadError {
        path: path.to_string(),
        message: format!("stage {s:?} does not exist"),
    })
}

fn time_of(v: &Option<String>, default: i64, path: &str) -> Result<i64, LoadError> {
    match v {
        None => Ok(default),
        Some(s) => parse_datetime(s).ok_or_else(|| LoadError {
            path: path.to_string(),
            message: format!("{s:?} is not an RFC 3339 date-time"),
        }),
    }
}

/// Loads one document of model `m`.
fn load_doc(
    env: &mut Environment,
    m: ModelIdx,
    d: &DocSpec,
    ids: &HashMap<String, ModelIdx>,
    default_time: i64,
    published: bool,
    path: &str,
) -> Result<Document, LoadError> {
    let schema = &env.schema;
    let Some(model) = schema.models.get(m) else {
        return err(path, "no such model");
    };
    let nf = model.fields.len();
    let mut values = vec![Value::Null; nf];
    let mut links: Vec<Vec<Link>> = vec![Vec::new(); nf];
    let mut default_loc = vec![Value::Null; nf];
    let localized_model = model.has_localized_fields();
    for (k, v) in &d.data {
        let fpath = format!("{path}.data.{k}");
        let Some(fi) = model.fields.iter().position(|f| &f.api_id == k) else {
            return err(fpath, format!("{} has no field {k:?}", model.api_id));
        };
        let f = &model.fields[fi];
        match &f.kind {
            FieldKind::Scalar(t) => {
                let val = Value::coerce(t, v).map_err(|e| LoadError {
                    path: fpath.clone(),
                    message: e.0,
                })?;
                if f.localized {
                    default_loc[fi] = val;
                } else {
                    values[fi] = val;
                }
            }
            FieldKind::Relation { target, list, .. } => {
                let targets: Vec<&serde_json::Value> = match (v, list) {
                    (serde_json::Value::Null, _) => Vec::new(),
                    (serde_json::Value::Array(a), true) => a.iter().collect(),
                    (one, _) => vec![one],
                };
                if !*list && targets.len() > 1 {
                    return err(fpath, "a single relation links at most one entry");
                }
                for (ti, t) in targets.iter().enumerate() {
                    let Some(id) = t.as_str() else {
                        return err(format!("{fpath}[{ti}]"), "a link is an entry id string");
                    };
                    if ids.get(id) != Some(target) {
                        return err(
                            format!("{fpath}[{ti}]"),
                            format!("{id:?} is not an entry of the related model"),
                        );
                    }
                    if links[fi].iter().any(|l| l.target == id) {
                        return err(format!("{fpath}[{ti}]"), format!("{id:?} linked twice"));
                    }
                    let seq = env.content.next_link_seq;
                    env.content.next_link_seq += 1;
                    links[fi].push(Link::new(id.to_string(), seq));
                }
            }
        }
    }
    let mut localizations = vec![(0, default_loc)];
    for (loc, vals) in &d.localizations {
        let lpath = format!("{path}.localizations.{loc}");
        let Some(li) = schema.locale(loc) else {
            return err(lpath, format!("locale {loc:?} does not exist"));
        };
        if li == 0 {
            return err(lpath, "the default locale's values are given in `data`");
        }
        if !localized_model {
            return err(lpath, "the model has no localized fields");
        }
        let mut lv = vec![Value::Null; nf];
        for (k, v) in vals {
            let fpath = format!("{lpath}.{k}");
            let Some(fi) = model
                .fields
                .iter()
                .position(|f| &f.api_id == k && f.localized)
            else {
                return err(fpath, format!("{k:?} is not a localized field"));
            };
            if let Some(t) = model.scalar_type(fi) {
                lv[fi] = Value::coerce(t, v).map_err(|e| LoadError {
                    path: fpath.clone(),
                    message: e.0,
                })?;
            }
        }
        localizations.push((li, lv));
    }
    let localizations = crate::model::project::Localizations::from(localizations);
    // DATA-5: required fields non-null in the document and every localization present.
    for (fi, f) in model.fields.iter().enumerate() {
        if !f.required {
            continue;
        }
        if f.localized {
            for (li, lv) in localizations.iter() {
                if lv.get(fi).is_none_or(Value::is_null) {
                    return err(
                        path,
                        format!(
                            "required field {:?} is null in locale {:?} (DATA-5)",
                            f.api_id, schema.locales[li]
                        ),
                    );
                }
            }
        } else if values[fi].is_null() {
            return err(
                path,
                format!("required field {:?} is null (DATA-5)", f.api_id),
            );
        }
    }
    let created_at = time_of(&d.created_at, default_time, &format!("{path}.createdAt"))?;
    let updated_at = time_of(&d.updated_at, created_at, &format!("{path}.updatedAt"))?;
    let published_at = if published {
        Some(time_of(
            &d.published_at,
            updated_at,
            &format!("{path}.publishedAt"),
        )?)
    } else if d.published_at.is_some() {
        return err(
            format!("{path}.publishedAt"),
            "publishedAt is null in DRAFT (DATA-3)",
        );
    } else {
        None
    };
    Ok(Document {
        values,
        links,
        localizations,
        created_at,
        updated_at,
        published_at,
    })
}
