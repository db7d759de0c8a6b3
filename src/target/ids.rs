//! Entries created during a run, paired across the reference and a target (DATA-2).
//!
//! Each side gives new entries ids of its own. After a step in which the reference created
//! entries (its state's creation order moved: [`creation_marks`] before, [`created_since`]
//! after), the target's newest entries of the same models are read through the harness PAT
//! ([`Session::newest_ids`]), ids already known are dropped, and the rest are paired with the
//! reference's new entries model by model in creation order. Both sides' lists grow in the
//! reference's creation order, so `{{created:K}}` in a later step ([`crate::case::substitute`])
//! names the same entry on both sides, and the [`Normalizer`] maps the target's ids to the
//! reference's before outcomes are compared.
//!
//! A target entry that cannot be found (the target created fewer entries than the reference —
//! a divergence already — or the harness read failed) is given a stand-in id no entry has
//! ([`unpaired`]), so later steps address nothing there rather than a wrong entry.

use std::collections::HashSet;

use crate::model::spec::EnvSpec;
use crate::model::State;
use crate::normalize::Normalizer;
use crate::target::http::Session;

/// An entry the reference created during a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// The environment's index.
    pub env: usize,
    /// The model's plural (its list root field).
    pub plural: String,
    /// The reference's id.
    pub id: String,
}

/// Each environment's next creation-order number: taken before a step, it tells which entries
/// the step created.
pub fn creation_marks(state: &State) -> Vec<u64> {
    state
        .environments
        .iter()
        .map(|e| e.content.next_order)
        .collect()
}

/// The entries created since `marks` were taken (and still present), in creation order.
pub fn created_since(state: &State, marks: &[u64]) -> Vec<NewEntry> {
    let mut out: Vec<(u64, NewEntry)> = Vec::new();
    for (env, e) in state.environments.iter().enumerate() {
        let mark = marks.get(env).copied().unwrap_or(0);
        // Most steps create nothing: no entry can be newer than the next creation order.
        if e.content.next_order <= mark {
            continue;
        }
        for entry in e.content.entries.iter().filter(|x| x.order >= mark) {
            let plural = e
                .schema
                .models
                .get(entry.model)
                .map(|m| m.plural.clone())
                .unwrap_or_default();
            out.push((
                entry.order,
                NewEntry {
                    env,
                    plural,
                    id: entry.id.clone(),
                },
            ));
        }
    }
    out.sort_by_key(|(order, x)| (x.env, *order));
    out.into_iter().map(|(_, x)| x).collect()
}

/// The stand-in id of the `k`-th created entry when the target's could not be found.
pub fn unpaired(k: usize) -> String {
    format!("__tollgate_unpaired_{k}")
}

/// The ids of the entries created during a run, on both sides, in the reference's creation
/// order.
#[derive(Debug, Clone, Default)]
pub struct CreatedIds {
    reference: Vec<String>,
    target: Vec<String>,
    known: HashSet<String>,
}

impl CreatedIds {
    /// Nothing created yet; the ids the case loads are known (never taken for new ones).
    pub fn new(environments: &[EnvSpec]) -> CreatedIds {
        CreatedIds {
            reference: Vec::new(),
            target: Vec::new(),
            known: environments
                .iter()
                .flat_map(|e| e.entries.iter().map(|x| x.id.clone()))
                .collect(),
        }
    }

    /// The reference's ids, by creation order.
    pub fn reference(&self) -> &[String] {
        &self.reference
    }

    /// The target's ids, by the reference's creation order.
    pub fn target(&self) -> &[String] {
        &self.target
    }

    /// Learns the target's ids of the entries the reference created in the last step (`new`),
    /// pairs them in `normalizer`, and appends both sides. `Err`: some could not be learned
    /// (they get [`unpaired`] stand-ins); the lists stay aligned either way.
    pub async fn pair(
        &mut self,
        session: &Session,
        new: &[NewEntry],
        normalizer: &mut Normalizer,
    ) -> Result<(), String> {
        let mut found: Vec<Option<String>> = vec![None; new.len()];
        let mut problems = Vec::new();
        let mut envs: Vec<usize> = new.iter().map(|n| n.env).collect();
        envs.dedup();
        for env in envs {
            // Models in order of first appearance, with how many entries each got.
            let mut models: Vec<(String, usize)> = Vec::new();
            for n in new.iter().filter(|n| n.env == env) {
                match models.iter_mut().find(|(p, _)| *p == n.plural) {
                    Some((_, c)) => *c += 1,
                    None => models.push((n.plural.clone(), 1)),
                }
            }
            let lists = match session.newest_ids(env, &models).await {
                Ok(l) => l,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            for ((plural, count), ids) in models.iter().zip(lists) {
                let fresh: Vec<String> = ids
                    .into_iter()
                    .filter(|id| !self.known.contains(id))
                    .collect();
                if fresh.len() < *count {
                    problems.push(format!(
                        "the target shows {} new {plural} where the reference created {count}",
                        fresh.len()
                    ));
                }
                // The newest `count` of the fresh ones, oldest first.
                let skip = fresh.len().saturating_sub(*count);
                let mut fresh = fresh.into_iter().skip(skip);
                for (slot, n) in found.iter_mut().zip(new) {
                    if n.env == env && &n.plural == plural {
                        *slot = fresh.next();
                    }
                }
            }
        }
        for (n, t) in new.iter().zip(found) {
            let k = self.reference.len();
            let t = match t {
                Some(t) => {
                    normalizer.pair_id(&n.id, &t);
                    self.known.insert(t.clone());
                    t
                }
                None => unpaired(k),
            };
            self.reference.push(n.id.clone());
            self.target.push(t);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

/// `text` with every `{{created:K}}` replaced by `created[K]` (a placeholder past the end of
/// `created` stays as it is): the substitution of [`crate::case::substitute`] on GraphQL text.
pub fn substitute_text(text: &str, created: &[String]) -> String {
    const OPEN: &str = "{{created:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let replaced = after.find("}}").and_then(|end| {
            let k = crate::case::placeholder_index(&after[..end + 2])?;
            Some((created.get(k)?, end + 2))
        });
        match replaced {
            Some((id, len)) => {
                out.push_str(id);
                rest = &after[len..];
            }
            None => {
                out.push_str(OPEN);
                rest = &after[OPEN.len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `v` with [`substitute_text`] applied to every string in it.
pub fn substitute_json(v: &serde_json::Value, created: &[String]) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(substitute_text(s, created)),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute_json(x, created)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), substitute_json(x, created)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::case::placeholder;

    #[test]
    fn text_placeholders_are_substituted() {
        let ids = vec!["a1".to_string(), "b2".to_string()];
        let t = format!(
            r#"{{ x(where: {{id: "{}"}}) {{ id }} y(where: {{id_in: ["{}", "{}"]}}) }}"#,
            placeholder(1),
            placeholder(0),
            placeholder(7)
        );
        assert_eq!(
            substitute_text(&t, &ids),
            r#"{ x(where: {id: "b2"}) { id } y(where: {id_in: ["a1", "{{created:7}}"]}) }"#
        );
        assert_eq!(
            substitute_text("{{created:}} {{created:1", &ids),
            "{{created:}} {{created:1"
        );
        let v = serde_json::json!({"a": [placeholder(0)], "b": 1});
        assert_eq!(
            substitute_json(&v, &ids),
            serde_json::json!({"a": ["a1"], "b": 1})
        );
    }
}
