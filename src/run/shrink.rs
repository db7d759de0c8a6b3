//! Shrinking a divergence: the smallest case found, within a budget, that still shows the same
//! divergence ([`Signature`]) on a freshly provisioned project.
//!
//! Each candidate is first checked to load (the reference accepts its environments, its schemas
//! encode, every token names a PAT the case has or creates — what a scenario file needs), then
//! run in full by [`Runner::run_case`]; it is kept when some step diverges with the same
//! signature *and* it is smaller than the best so far (fewer steps, else a shorter JSON form),
//! and it is cut after that step. Phases, in order:
//!
//! 1. cut the case after the divergent step;
//! 2. when the case came from a generator, the proptest value tree's `simplify`/`complicate`
//!    loop with that predicate ([`CaseTree`]; run on a blocking thread, since value trees are
//!    not `Send`), with half the budget, so the structural passes always get the rest;
//! 3. structural passes on the [`Case`] until none makes progress: remove steps (in halves,
//!    quarters, … then one at a time), environments, models (with their entries, the relation
//!    fields pointing at them and their grants), entries, PATs (their credentials become public),
//!    grants, fields (with their values), custom stages and extra locales; then simplify steps
//!    (root fields, arguments, `where` members, `data` members, nested selections, `gcms-*`
//!    headers), grants (condition members, the condition itself, locale and stage lists) and
//!    entries (data members, localizations, stage documents, publications, timestamps, long
//!    strings).
//!
//! The budget ([`ShrinkConfig`]) bounds both the runs and the time; the defaults keep a shrink
//! against the local sandbox under about 20 seconds.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::case::Case;
use crate::model::spec::EnvSpec;
use crate::op::{Credential, Manage, Operation, Selection, Target};
use crate::run::case::{CaseRun, Runner};
use crate::run::signature::Signature;

/// The budget of one shrink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShrinkConfig {
    /// Candidate runs at most.
    pub max_runs: u64,
    /// Wall-clock time at most (a run in progress is finished).
    pub max_time: Duration,
}

impl Default for ShrinkConfig {
    fn default() -> Self {
        ShrinkConfig {
            max_runs: 1_000,
            max_time: Duration::from_secs(20),
        }
    }
}

/// A generator's value tree for one case (proptest's `ValueTree<Value = Case>` seen through
/// three methods, so the runner does not depend on proptest): `current` is the case now,
/// `simplify` makes it simpler, `complicate` backs off after a simplification that lost the
/// failure. Both return whether anything changed.
pub trait CaseTree {
    /// The case the tree stands at.
    fn current(&self) -> Case;
    /// Moves to a simpler case; `false` when there is none.
    fn simplify(&mut self) -> bool;
    /// Moves back toward the last failing case; `false` when it cannot.
    fn complicate(&mut self) -> bool;
}

/// Makes a case's value tree on the thread that will use it (value trees are not `Send`).
pub type TreeMaker = Box<dyn FnOnce() -> Option<Box<dyn CaseTree>> + Send>;

/// The result of a shrink.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest case found.
    pub case: Case,
    /// Its run (steps cut after the divergent one).
    pub run: CaseRun,
    /// The divergent step's index in it (its last step).
    pub step: usize,
    /// Candidate runs spent.
    pub runs: u64,
    /// Steps in the case before shrinking.
    pub original_steps: usize,
    /// The budget ran out before the passes stopped making progress.
    pub budget_exhausted: bool,
}

/// Whether a case can be run and persisted: the reference loads it, its schemas encode, it has
/// steps, and every token names a PAT of the case (or one an earlier step creates).
pub fn loads(case: &Case) -> bool {
    if case.steps.is_empty() || case.reference_state().is_err() || case.encoders().is_err() {
        return false;
    }
    let mut pats: BTreeSet<&str> = case
        .environments
        .iter()
        .flat_map(|e| e.pats.iter().map(|p| p.name.as_str()))
        .collect();
    for step in &case.steps {
        match step {
            Operation::Manage(Manage::CreatePat { name, .. }) => {
                pats.insert(name);
            }
            Operation::Request(r) => {
                if let Credential::Token { pat, .. } = &r.credential {
                    if !pats.contains(pat.as_str()) {
                        return false;
                    }
                }
            }
            Operation::Manage(_) => {}
        }
    }
    true
}

/// The size order of cases: steps first, then the length of the JSON form.
fn size(case: &Case) -> (usize, usize) {
    (
        case.steps.len(),
        serde_json::to_string(case).map_or(usize::MAX, |s| s.len()),
    )
}

/// The first step of `run` that diverges with `signature`.
fn reproduces(run: &CaseRun, signature: &Signature) -> Option<usize> {
    run.steps
        .iter()
        .position(|s| Signature::of(s).as_ref() == Some(signature))
}

fn cut(mut case: Case, mut run: CaseRun, step: usize) -> (Case, CaseRun) {
    case.steps.truncate(step + 1);
    run.steps.truncate(step + 1);
    (case, run)
}

/// The best case so far and the budget.
struct Shrinker<'a> {
    runner: &'a Runner,
    signature: Signature,
    config: ShrinkConfig,
    deadline: Instant,
    runs: u64,
    best: Case,
    best_run: CaseRun,
    best_step: usize,
}

impl Shrinker<'_> {
    fn budget_left(&self) -> bool {
        self.runs < self.config.max_runs && Instant::now() < self.deadline
    }

    /// Runs `candidate`; keeps it (cut) when it reproduces and is smaller.
    async fn test(&mut self, candidate: Case) -> bool {
        let best_size = size(&self.best);
        if !self.budget_left() || size(&candidate) >= best_size || !loads(&candidate) {
            return false;
        }
        self.runs += 1;
        let Ok(run) = self.runner.run_case(&candidate).await else {
            return false;
        };
        match reproduces(&run, &self.signature) {
            Some(step) => {
                let (case, run) = cut(candidate, run, step);
                if size(&case) < best_size {
                    self.best = case;
                    self.best_run = run;
                    self.best_step = step;
                    true
                } else {
                    false
                }
            }
            None => false,
        }
    }

    /// Removes chunks of a list (halves, quarters, … single items) while the divergence stays.
    async fn remove_chunks(
        &mut self,
        len: impl Fn(&Case) -> usize,
        remove: impl Fn(&mut Case, usize, usize),
    ) -> bool {
        let mut progress = false;
        let mut k = (len(&self.best) / 2).max(1);
        loop {
            let mut start = 0;
            while start < len(&self.best) && self.budget_left() {
                let mut c = self.best.clone();
                remove(&mut c, start, k);
                if self.test(c).await {
                    progress = true;
                } else {
                    start += k;
                }
            }
            if k == 1 || !self.budget_left() {
                return progress;
            }
            k = (k / 2).max(1);
        }
    }

    /// Tries each variant `generate` makes of the best case, regenerating after each success.
    async fn variants(&mut self, generate: impl Fn(&Case) -> Vec<Case>) -> bool {
        let mut progress = false;
        // Variant `i` onwards of the best case; rebuilt only when the best case changes.
        let mut i = 0;
        let mut pending = generate(&self.best).into_iter();
        while self.budget_left() {
            let Some(c) = pending.next() else {
                break;
            };
            if self.test(c).await {
                progress = true;
                let mut fresh = generate(&self.best);
                fresh.drain(..i.min(fresh.len()));
                pending = fresh.into_iter();
            } else {
                i += 1;
            }
        }
        progress
    }

    async fn removal_passes(&mut self) -> bool {
        let mut progress = self
            .remove_chunks(|c| c.steps.len(), |c, s, k| drain(&mut c.steps, s, k))
            .await;
        progress |= self
            .remove_chunks(
                |c| c.environments.len().saturating_sub(1),
                |c, s, k| drain(&mut c.environments, s + 1, k),
            )
            .await;
        let envs = self.best.environments.len();
        for e in 0..envs {
            progress |= self
                .remove_chunks(
                    move |c| env(c, e).map_or(0, |x| x.models.len()),
                    move |c, s, k| {
                        for _ in 0..k {
                            remove_model(c, e, s);
                        }
                    },
                )
                .await;
            progress |= self
                .remove_chunks(
                    move |c| env(c, e).map_or(0, |x| x.entries.len()),
                    move |c, s, k| {
                        if let Some(x) = c.environments.get_mut(e) {
                            drain(&mut x.entries, s, k);
                        }
                    },
                )
                .await;
            progress |= self
                .remove_chunks(
                    move |c| env(c, e).map_or(0, |x| x.pats.len()),
                    move |c, s, k| {
                        for _ in 0..k {
                            remove_pat(c, e, s);
                        }
                    },
                )
                .await;
            progress |= self
                .remove_chunks(
                    move |c| env(c, e).map_or(0, |x| x.public.grants.len()),
                    move |c, s, k| {
                        if let Some(x) = c.environments.get_mut(e) {
                            drain(&mut x.public.grants, s, k);
                        }
                    },
                )
                .await;
            let pats = env(&self.best, e).map_or(0, |x| x.pats.len());
            for p in 0..pats {
                progress |= self
                    .remove_chunks(
                        move |c| {
                            env(c, e)
                                .and_then(|x| x.pats.get(p))
                                .map_or(0, |x| x.grants.len())
                        },
                        move |c, s, k| {
                            if let Some(x) =
                                c.environments.get_mut(e).and_then(|x| x.pats.get_mut(p))
                            {
                                drain(&mut x.grants, s, k);
                            }
                        },
                    )
                    .await;
            }
            let models = env(&self.best, e).map_or(0, |x| x.models.len());
            for m in 0..models {
                progress |= self
                    .remove_chunks(
                        move |c| {
                            env(c, e)
                                .and_then(|x| x.models.get(m))
                                .map_or(0, |x| x.fields.len())
                        },
                        move |c, s, k| {
                            for _ in 0..k {
                                remove_field(c, e, m, s);
                            }
                        },
                    )
                    .await;
            }
            progress |= self
                .remove_chunks(
                    move |c| env(c, e).map_or(0, |x| x.stages.len()),
                    move |c, s, k| {
                        if let Some(x) = c.environments.get_mut(e) {
                            drain(&mut x.stages, s, k);
                        }
                    },
                )
                .await;
            progress |= self
                .remove_chunks(
                    move |c| env(c, e).map_or(0, |x| x.locales.len().saturating_sub(1)),
                    move |c, s, k| {
                        if let Some(x) = c.environments.get_mut(e) {
                            drain(&mut x.locales, s + 1, k);
                        }
                    },
                )
                .await;
        }
        progress
    }

    async fn simplification_passes(&mut self) -> bool {
        let mut progress = self.variants(step_variants).await;
        progress |= self.variants(grant_variants).await;
        progress |= self.variants(entry_variants).await;
        progress
    }
}

/// Minimizes `case`, which diverged at `step` of `found` (see the module docs). `tree` makes
/// the generator's value tree when the case came from one.
pub async fn shrink(
    runner: &Arc<Runner>,
    case: &Case,
    tree: Option<TreeMaker>,
    found: &CaseRun,
    step: usize,
    config: &ShrinkConfig,
) -> Option<Shrunk> {
    let signature = Signature::of(found.steps.get(step)?)?;
    let start = Instant::now();
    let (best, best_run) = cut(case.clone(), found.clone(), step);
    let mut s = Shrinker {
        runner,
        signature: signature.clone(),
        config: *config,
        deadline: start + config.max_time,
        runs: 0,
        best,
        best_run,
        best_step: step,
    };
    if let Some(maker) = tree {
        let runner = Arc::clone(runner);
        let handle = tokio::runtime::Handle::current();
        let best = (s.best.clone(), s.best_run.clone(), s.best_step);
        // The value tree gets half the budget: its simplify/complicate walk can use any amount,
        // and the structural passes after it are what cut a case down to a few steps.
        let (deadline, max_runs) = (start + config.max_time / 2, config.max_runs / 2);
        let phase = tokio::task::spawn_blocking(move || {
            tree_phase(
                &handle, &runner, maker, &signature, best, deadline, max_runs,
            )
        })
        .await;
        if let Ok((best, runs)) = phase {
            s.runs += runs;
            if size(&best.0) < size(&s.best) {
                (s.best, s.best_run, s.best_step) = best;
            }
        }
    }
    loop {
        let mut progress = s.removal_passes().await;
        progress |= s.simplification_passes().await;
        if !progress || !s.budget_left() {
            break;
        }
    }
    Some(Shrunk {
        budget_exhausted: !s.budget_left(),
        original_steps: case.steps.len(),
        runs: s.runs,
        step: s.best_step,
        case: s.best,
        run: s.best_run,
    })
}

/// The value tree's simplify/complicate loop (on a blocking thread; runs block on `handle`).
fn tree_phase(
    handle: &tokio::runtime::Handle,
    runner: &Runner,
    maker: TreeMaker,
    signature: &Signature,
    mut best: (Case, CaseRun, usize),
    deadline: Instant,
    max_runs: u64,
) -> ((Case, CaseRun, usize), u64) {
    let mut runs = 0;
    let Some(mut tree) = maker() else {
        return (best, runs);
    };
    if !tree.simplify() {
        return (best, runs);
    }
    while runs < max_runs && Instant::now() < deadline {
        let candidate = tree.current();
        let mut failed = false;
        if loads(&candidate) {
            runs += 1;
            if let Ok(run) = handle.block_on(runner.run_case(&candidate)) {
                if let Some(step) = reproduces(&run, signature) {
                    failed = true;
                    let (case, run) = cut(candidate, run, step);
                    if size(&case) < size(&best.0) {
                        best = (case, run, step);
                    }
                }
            }
        }
        let moved = if failed {
            tree.simplify()
        } else {
            tree.complicate()
        };
        if !moved {
            break;
        }
    }
    (best, runs)
}

fn drain<T>(v: &mut Vec<T>, start: usize, k: usize) {
    let end = start.saturating_add(k).min(v.len());
    if start < end {
        v.drain(start..end);
    }
}

fn env(c: &Case, e: usize) -> Option<&EnvSpec> {
    c.environments.get(e)
}

/// Removes model `m` of environment `e` with its entries, the relation fields that point at it
/// (and their values) and the grants naming it.
fn remove_model(c: &mut Case, e: usize, m: usize) {
    let Some(x) = c.environments.get_mut(e) else {
        return;
    };
    if m >= x.models.len() {
        return;
    }
    let name = x.models.remove(m).name;
    x.entries.retain(|en| en.model != name);
    for model in &mut x.models {
        let gone: Vec<String> = model
            .fields
            .iter()
            .filter(|f| f.ty == name)
            .map(|f| f.name.clone())
            .collect();
        model.fields.retain(|f| f.ty != name);
        for en in x.entries.iter_mut().filter(|en| en.model == model.name) {
            for f in &gone {
                en.data.remove(f);
                for d in en.stages.values_mut() {
                    d.data.remove(f);
                }
            }
        }
    }
    let keep = |g: &crate::model::grant::GrantSpec| g.model.as_deref() != Some(name.as_str());
    x.public.grants.retain(keep);
    for p in &mut x.pats {
        p.grants.retain(keep);
    }
}

/// Removes field `f` of model `m` of environment `e` and its values.
fn remove_field(c: &mut Case, e: usize, m: usize, f: usize) {
    let Some(x) = c.environments.get_mut(e) else {
        return;
    };
    let Some(model) = x.models.get_mut(m) else {
        return;
    };
    if f >= model.fields.len() {
        return;
    }
    let field = model.fields.remove(f).name;
    let model = model.name.clone();
    for en in x.entries.iter_mut().filter(|en| en.model == model) {
        en.data.remove(&field);
        for l in en.localizations.values_mut() {
            l.remove(&field);
        }
        for d in en.stages.values_mut() {
            d.data.remove(&field);
            for l in d.localizations.values_mut() {
                l.remove(&field);
            }
        }
    }
}

/// Removes PAT `p` of environment `e`; requests that used it go out public, and the provisioning
/// steps about it are dropped.
fn remove_pat(c: &mut Case, e: usize, p: usize) {
    let Some(x) = c.environments.get_mut(e) else {
        return;
    };
    if p >= x.pats.len() {
        return;
    }
    let name = x.pats.remove(p).name;
    let still_there = c
        .environments
        .iter()
        .any(|x| x.pats.iter().any(|q| q.name == name));
    if still_there {
        return;
    }
    c.steps.retain(|s| match s {
        Operation::Manage(
            Manage::CreateGrant {
                target: Target::Pat(n),
                ..
            }
            | Manage::SetDefaultStage {
                target: Target::Pat(n),
                ..
            }
            | Manage::DeletePat { name: n, .. },
        ) => *n != name,
        _ => true,
    });
    for s in &mut c.steps {
        if let Operation::Request(r) = s {
            if matches!(&r.credential, Credential::Token { pat, .. } if *pat == name) {
                r.credential = Credential::Public;
            }
        }
    }
}

/// Simpler forms of a `where` (or condition) value: a member removed, an `AND`/`OR`/`NOT` list
/// cut to one element, a list operand cut to one element, and the same inside members.
pub fn json_variants(v: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) => {
            if m.len() > 1 {
                for k in m.keys() {
                    let mut x = m.clone();
                    x.remove(k);
                    out.push(Value::Object(x));
                }
            }
            for (k, inner) in m {
                for w in json_variants(inner) {
                    let mut x = m.clone();
                    x.insert(k.clone(), w);
                    out.push(Value::Object(x));
                }
            }
        }
        Value::Array(items) => {
            if items.len() > 1 {
                for it in items {
                    out.push(Value::Array(vec![it.clone()]));
                }
            }
            for (i, it) in items.iter().enumerate() {
                for w in json_variants(it) {
                    let mut x = items.clone();
                    x[i] = w;
                    out.push(Value::Array(x));
                }
            }
        }
        Value::String(s) if s.chars().count() > 1 && !s.starts_with("{{") => {
            out.push(Value::String(s.chars().take(1).collect()));
        }
        _ => {}
    }
    out
}

/// Simpler forms of a selection list: a field dropped (when others remain), or a field's
/// arguments or sub-selection simplified.
fn selection_variants(fields: &[Selection], root: bool) -> Vec<Vec<Selection>> {
    let mut out = Vec::new();
    if fields.len() > 1 {
        for i in 0..fields.len() {
            let mut x = fields.to_vec();
            x.remove(i);
            out.push(x);
        }
    }
    for (i, f) in fields.iter().enumerate() {
        let mut push = |g: Selection| {
            let mut x = fields.to_vec();
            x[i] = g;
            out.push(x);
        };
        for k in f.args.keys() {
            let mut g = f.clone();
            g.args.remove(k);
            push(g);
        }
        for (k, v) in &f.args {
            // Root `data` and `where` are simplified member by member; other arguments whole.
            if (root || k == "where") && (v.is_object() || v.is_array()) {
                for w in json_variants(v) {
                    let mut g = f.clone();
                    g.args.insert(k.clone(), w);
                    push(g);
                }
            }
        }
        for sub in selection_variants(&f.selection, false) {
            let mut g = f.clone();
            g.selection = sub;
            push(g);
        }
    }
    out
}

/// Simpler forms of each request step.
fn step_variants(c: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    for (i, s) in c.steps.iter().enumerate() {
        let Operation::Request(r) = s else {
            continue;
        };
        let mut push = |r2: crate::op::Request| {
            let mut x = c.clone();
            x.steps[i] = Operation::Request(r2);
            out.push(x);
        };
        if !r.stage_header.is_empty() {
            let mut r2 = r.clone();
            r2.stage_header.clear();
            push(r2);
        }
        if r.body_bytes.is_some() {
            let mut r2 = r.clone();
            r2.body_bytes = None;
            push(r2);
        }
        if !r.locales_header.is_empty() {
            let mut r2 = r.clone();
            r2.locales_header.clear();
            push(r2);
        }
        for fields in selection_variants(&r.fields, true) {
            let mut r2 = r.clone();
            r2.fields = fields;
            push(r2);
        }
    }
    out
}

fn grants_mut(x: &mut EnvSpec) -> Vec<&mut crate::model::grant::GrantSpec> {
    x.public
        .grants
        .iter_mut()
        .chain(x.pats.iter_mut().flat_map(|p| p.grants.iter_mut()))
        .collect()
}

/// Simpler forms of each grant: its condition simplified or gone, its lists gone.
fn grant_variants(c: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    for e in 0..c.environments.len() {
        let n = c.environments.get(e).map_or(0, |x| {
            x.public.grants.len() + x.pats.iter().map(|p| p.grants.len()).sum::<usize>()
        });
        for g in 0..n {
            let edit = |f: &dyn Fn(&mut crate::model::grant::GrantSpec) -> bool| -> Option<Case> {
                let mut x = c.clone();
                let env = x.environments.get_mut(e)?;
                let mut all = grants_mut(env);
                let grant = all.get_mut(g)?;
                f(grant).then_some(x)
            };
            let mut variants: Vec<Option<Case>> = vec![
                edit(&|g| g.condition.take().is_some()),
                edit(&|g| g.locales.take().is_some()),
                edit(&|g| g.stages.take().is_some()),
                edit(&|g| g.from_stages.take().is_some()),
                edit(&|g| g.to_stages.take().is_some()),
            ];
            let condition = c.environments.get(e).and_then(|x| {
                x.public
                    .grants
                    .iter()
                    .chain(x.pats.iter().flat_map(|p| p.grants.iter()))
                    .nth(g)
                    .and_then(|g| g.condition.clone())
            });
            if let Some(json) = condition.and_then(|t| serde_json::from_str::<Value>(&t).ok()) {
                for w in json_variants(&json) {
                    let text = w.to_string();
                    variants.push(edit(&|g| {
                        g.condition = Some(text.clone());
                        true
                    }));
                }
            }
            out.extend(variants.into_iter().flatten());
        }
    }
    out
}

/// Simpler forms of each entry: a data member gone or shortened, localizations, stage documents,
/// publications and timestamps gone.
fn entry_variants(c: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    for (e, x) in c.environments.iter().enumerate() {
        for (i, en) in x.entries.iter().enumerate() {
            let mut push = |f: &dyn Fn(&mut crate::model::spec::EntrySpec)| {
                let mut y = c.clone();
                if let Some(target) = y.environments.get_mut(e).and_then(|x| x.entries.get_mut(i)) {
                    f(target);
                    out.push(y);
                }
            };
            for k in en.data.keys() {
                push(&|t| {
                    t.data.remove(k);
                });
            }
            for (k, v) in &en.data {
                if let Value::String(s) = v {
                    if s.chars().count() > 1 {
                        let short: String = s.chars().take(1).collect();
                        push(&|t| {
                            t.data.insert(k.clone(), Value::String(short.clone()));
                        });
                    }
                }
            }
            if !en.localizations.is_empty() {
                push(&|t| t.localizations.clear());
            }
            for k in en.stages.keys() {
                push(&|t| {
                    t.stages.remove(k);
                });
            }
            for p in 0..en.publish.len() {
                push(&|t| {
                    t.publish.remove(p);
                });
            }
            if en.created_at.is_some() || en.updated_at.is_some() {
                push(&|t| {
                    t.created_at = None;
                    t.updated_at = None;
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use serde_json::json;

    #[test]
    fn json_variants_are_simpler() {
        let v = json!({"AND": [{"a": 1}, {"b": "xy"}], "c": 2});
        let vs = json_variants(&v);
        assert!(vs.contains(&json!({"c": 2})));
        assert!(vs.contains(&json!({"AND": [{"a": 1}, {"b": "xy"}]})));
        assert!(vs.contains(&json!({"AND": [{"a": 1}], "c": 2})));
        assert!(vs.contains(&json!({"AND": [{"a": 1}, {"b": "x"}], "c": 2})));
        // Placeholders are never cut.
        assert!(json_variants(&json!("{{created:0}}")).is_empty());
        for w in &vs {
            assert!(w.to_string().len() < v.to_string().len(), "{w}");
        }
    }

    #[test]
    fn removing_a_model_takes_what_depends_on_it() {
        let env: EnvSpec = serde_yaml_ng::from_str(
            r#"
models:
  - {name: Post, fields: [{name: title, type: String}, {name: author, type: Author}]}
  - {name: Author, fields: [{name: name, type: String}]}
entries:
  - {model: Author, id: a1, data: {name: A}}
  - {model: Post, id: p1, data: {title: T, author: a1}}
pats: [{name: t, grants: [{action: READ, model: Author}, {action: READ}]}]
"#,
        )
        .unwrap();
        let mut c = Case {
            profile: "hygraph-2025".into(),
            environments: vec![env],
            steps: vec![],
        };
        remove_model(&mut c, 0, 1);
        let e = &c.environments[0];
        assert_eq!(e.models.len(), 1);
        assert_eq!(e.models[0].fields.len(), 1);
        assert_eq!(e.entries.len(), 1);
        assert!(!e.entries[0].data.contains_key("author"));
        assert_eq!(e.pats[0].grants.len(), 1);
        assert!(c.reference_state().is_ok());
    }
}
