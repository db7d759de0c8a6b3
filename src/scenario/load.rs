//! Loading a scenario file: YAML text → [`Scenario`] → a checked case (the initial reference
//! [`State`] and one [`Operation`] per step), with every refusal reported as file, line and
//! reason.
//!
//! Lines come from the YAML parser: a syntax error or an unknown field carries its location, and
//! a refusal found later (by [`State::load`] or by the step checks here) names a path such as
//! `environments[0].entries[3].data.title`, which [`locate`] maps back to the line of that node
//! by walking the YAML document again.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::model::profile::Profile;
use crate::model::State;
use crate::op::graphql;
use crate::op::{Credential, Manage, Method, Operation, Outcome, Request, Target, TokenForm};
use crate::scenario::{Scenario, Step};

/// The profile used when a scenario names none.
pub const DEFAULT_PROFILE: &str = "hygraph-2025";
/// The project id used when a scenario names none.
pub const DEFAULT_PROJECT: &str = "project";

/// Why a scenario file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{}: cannot read the file: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid scenario.
    #[error("{}", display_malformed(file, *line, reason))]
    Malformed {
        /// The file.
        file: PathBuf,
        /// The 1-based line, when known.
        line: Option<usize>,
        /// What is wrong (with the item's path where there is one).
        reason: String,
    },
}

fn display_malformed(file: &Path, line: Option<usize>, reason: &str) -> String {
    match line {
        Some(l) => format!("{}:{l}: {reason}", file.display()),
        None => format!("{}: {reason}", file.display()),
    }
}

impl ScenarioError {
    /// The file the error is about.
    pub fn file(&self) -> &Path {
        match self {
            ScenarioError::Io { file, .. } | ScenarioError::Malformed { file, .. } => file,
        }
    }

    /// The 1-based line, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ScenarioError::Io { .. } => None,
            ScenarioError::Malformed { line, .. } => *line,
        }
    }
}

/// A loaded, checked scenario.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file it came from.
    pub file: PathBuf,
    /// The scenario as written.
    pub scenario: Scenario,
    /// The state before the first step.
    pub state: State,
    /// One operation per step, in order.
    pub operations: Vec<Operation>,
    /// The 1-based line of each step (when found).
    pub step_lines: Vec<Option<usize>>,
}

/// Reads and loads a scenario file.
pub fn load_file(file: &Path) -> Result<Loaded, ScenarioError> {
    let text = std::fs::read_to_string(file).map_err(|source| ScenarioError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    load_str(&text, file)
}

/// Loads a scenario from its text; `file` is only used in errors.
pub fn load_str(text: &str, file: &Path) -> Result<Loaded, ScenarioError> {
    let malformed = |path: Option<&str>, reason: String| {
        let line = path.and_then(|p| locate(text, p));
        let reason = match path {
            Some(p) if !p.is_empty() => format!("{p}: {reason}"),
            _ => reason,
        };
        ScenarioError::Malformed {
            file: file.to_path_buf(),
            line,
            reason,
        }
    };
    let scenario: Scenario = serde_yaml_ng::from_str(text).map_err(|e| {
        let reason = e.to_string();
        let line = e
            .location()
            .map(|l| refine_unknown_field_line(text, l.line(), &reason));
        ScenarioError::Malformed {
            file: file.to_path_buf(),
            line,
            reason,
        }
    })?;
    let profile_name = scenario.profile.as_deref().unwrap_or(DEFAULT_PROFILE);
    let profile =
        Profile::named(profile_name).map_err(|e| malformed(Some("profile"), e.to_string()))?;
    let project = scenario.project.as_deref().unwrap_or(DEFAULT_PROJECT);
    let state = State::load(project, &scenario.environments, profile).map_err(|e| {
        let line = locate(text, &e.path).or_else(|| locate(text, "environments"));
        ScenarioError::Malformed {
            file: file.to_path_buf(),
            line,
            reason: format!("{}: {}", e.path, e.message),
        }
    })?;
    if scenario.description.trim().is_empty() {
        return Err(malformed(
            Some("description"),
            "a scenario needs a description".into(),
        ));
    }
    if scenario.rules.is_empty() {
        return Err(malformed(
            Some("rules"),
            "a scenario names the rules it exercises".into(),
        ));
    }
    for (i, r) in scenario.rules.iter().enumerate() {
        if !is_rule_id(r) {
            return Err(malformed(
                Some(&format!("rules[{i}]")),
                format!("{r:?} is not a rule id like READ-2"),
            ));
        }
    }
    if scenario.steps.is_empty() {
        return Err(malformed(Some("steps"), "a scenario needs steps".into()));
    }
    let mut pats: BTreeSet<String> = scenario
        .environments
        .iter()
        .flat_map(|e| e.pats.iter().map(|p| p.name.clone()))
        .collect();
    let mut operations = Vec::new();
    let mut step_lines = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        let path = format!("steps[{i}]");
        step_lines.push(locate(text, &path));
        let op = step_operation(step, &pats)
            .map_err(|(sub, reason)| malformed(Some(&join(&path, sub)), reason))?;
        if let Operation::Manage(Manage::CreatePat { name, .. }) = &op {
            pats.insert(name.clone());
        }
        operations.push(op);
    }
    Ok(Loaded {
        file: file.to_path_buf(),
        scenario,
        state,
        operations,
        step_lines,
    })
}

fn join(path: &str, sub: &str) -> String {
    if sub.is_empty() {
        path.to_string()
    } else {
        format!("{path}.{sub}")
    }
}

/// Whether `s` looks like a rule id: upper-case letters, `-`, digits (`READ-10`).
pub fn is_rule_id(s: &str) -> bool {
    match s.split_once('-') {
        Some((a, n)) => {
            !a.is_empty()
                && a.chars().all(|c| c.is_ascii_uppercase())
                && !n.is_empty()
                && n.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// A step refusal: the sub-path inside the step (`""` for the step itself) and the reason.
type StepError = (&'static str, String);

/// Checks one step and converts it to an operation. `pats` are the PAT names known so far.
fn step_operation(step: &Step, pats: &BTreeSet<String>) -> Result<Operation, StepError> {
    if let Outcome::Indeterminate { .. } = step.expect {
        return Err((
            "expect",
            "`indeterminate` is never an expected outcome".into(),
        ));
    }
    match (&step.query, &step.manage) {
        (Some(_), Some(_)) => Err(("", "a step has `query` or `manage`, not both".into())),
        (None, None) => Err(("", "a step needs `query` or `manage`".into())),
        (None, Some(m)) => manage_step(step, m),
        (Some(q), None) => query_step(step, q, pats),
    }
}

fn manage_step(step: &Step, m: &Manage) -> Result<Operation, StepError> {
    let request_only = [
        ("token", step.token.is_some()),
        ("credential", step.credential.is_some()),
        ("environment", step.environment.is_some()),
        ("project", step.project.is_some()),
        ("variables", step.variables.is_some()),
        ("operation_name", step.operation_name.is_some()),
        ("headers", !step.headers.is_empty()),
        ("method", step.method.is_some()),
        ("body_bytes", step.body_bytes.is_some()),
    ];
    if let Some((name, _)) = request_only.iter().find(|(_, set)| *set) {
        return Err((
            "",
            format!(
                "`{name}` belongs to a query step (a manage call names its `environment` itself)"
            ),
        ));
    }
    if !matches!(step.expect, Outcome::Provisioned | Outcome::Refused { .. }) {
        return Err((
            "expect",
            "a manage step expects `provisioned` or `refused`".into(),
        ));
    }
    if let Manage::CreateGrant {
        target: Target::Pat(p),
        ..
    }
    | Manage::SetDefaultStage {
        target: Target::Pat(p),
        ..
    } = m
    {
        if p.is_empty() {
            return Err(("manage.target", "a PAT target needs a name".into()));
        }
    }
    Ok(Operation::Manage(m.clone()))
}

fn query_step(step: &Step, query: &str, pats: &BTreeSet<String>) -> Result<Operation, StepError> {
    if matches!(step.expect, Outcome::Provisioned | Outcome::Refused { .. }) {
        return Err((
            "expect",
            "`provisioned` and `refused` are outcomes of manage steps".into(),
        ));
    }
    let credential = match (&step.token, &step.credential) {
        (Some(_), Some(_)) => {
            return Err(("", "`token` and `credential` are exclusive".into()));
        }
        (Some(pat), None) => Credential::Token {
            pat: pat.clone(),
            form: TokenForm::Valid,
            scheme: "Bearer".into(),
        },
        (None, Some(c)) => c.clone(),
        (None, None) => Credential::Public,
    };
    if let Credential::Token { pat, .. } = &credential {
        if !pats.contains(pat) {
            return Err((
                "",
                format!(
                    "the token names PAT {pat:?}, which no environment (or earlier create_pat) has"
                ),
            ));
        }
    }
    let mut stage_header = Vec::new();
    let mut locales_header = Vec::new();
    for (name, value) in &step.headers {
        match name.to_ascii_lowercase().as_str() {
            "gcms-stage" => stage_header.extend(value.lines()),
            "gcms-locales" => locales_header.extend(value.lines()),
            _ => {
                return Err((
                    "headers",
                    format!("header {name:?} is not one a scenario can set (gcms-stage, gcms-locales; use `credential` for Authorization)"),
                ));
            }
        }
    }
    let method = step.method.unwrap_or_default();
    let body_bytes = match step.body_bytes {
        Some(n) => n,
        None => wire_length(
            method,
            query,
            step.variables.as_ref(),
            step.operation_name.as_deref(),
        ),
    };
    let mut request = Request {
        environment: step.environment.clone(),
        project: step.project.clone(),
        credential,
        stage_header,
        locales_header,
        method,
        body_bytes: Some(body_bytes),
        ..Request::default()
    };
    match graphql::decode(
        query,
        step.variables.as_ref(),
        step.operation_name.as_deref(),
    ) {
        Ok(d) => {
            request.operation = d.operation;
            request.fields = d.fields;
        }
        Err(msg) => request.invalid = Some(msg),
    }
    Ok(Operation::Request(request))
}

/// The length of what the wire would send (ERR-3): for POST the compact JSON body
/// `{"query":…,"variables":…,"operationName":…}` (absent members as `null`); for GET the URL's
/// query component `query=…&variables=…&operationName=…` (absent members left out),
/// percent-encoded.
pub fn wire_length(
    method: Method,
    query: &str,
    variables: Option<&serde_json::Value>,
    operation_name: Option<&str>,
) -> usize {
    match method {
        Method::Post => {
            let mut body = serde_json::Map::new();
            body.insert("query".into(), serde_json::Value::String(query.into()));
            body.insert(
                "variables".into(),
                variables.cloned().unwrap_or(serde_json::Value::Null),
            );
            body.insert(
                "operationName".into(),
                operation_name.map_or(serde_json::Value::Null, |s| {
                    serde_json::Value::String(s.into())
                }),
            );
            serde_json::Value::Object(body).to_string().len()
        }
        Method::Get => {
            let mut len = "query=".len() + percent_encoded_len(query);
            if let Some(v) = variables {
                len += "&variables=".len() + percent_encoded_len(&v.to_string());
            }
            if let Some(n) = operation_name {
                len += "&operationName=".len() + percent_encoded_len(n);
            }
            len
        }
    }
}

/// The length of `s` percent-encoded, RFC 3986 unreserved characters kept.
fn percent_encoded_len(s: &str) -> usize {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                1
            } else {
                3
            }
        })
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Mapping a path back to a line.

/// serde buffers internally tagged enums (such as `expect`), so an unknown field inside one is
/// reported at the start of the enclosing mapping. When the reason names an unknown field,
/// the line of the first such key at or after `line` is the better answer.
fn refine_unknown_field_line(text: &str, line: usize, reason: &str) -> usize {
    let Some(name) = reason
        .split_once("unknown field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name)
    else {
        return line;
    };
    let is_key_at = |l: &str| {
        l.match_indices(name).any(|(i, _)| {
            let before = l[..i].chars().last();
            let after = l[i + name.len()..].trim_start();
            key_may_start_after(before) && after.starts_with(':')
        })
    };
    text.lines()
        .enumerate()
        .skip(line.saturating_sub(1))
        .find(|(_, l)| is_key_at(l))
        .map_or(line, |(i, _)| i + 1)
}

/// Whether a YAML key may start right after `c` (`None`: at the start of the line).
fn key_may_start_after(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => c.is_whitespace() || matches!(c, '{' | ',' | '-' | '"' | '\''),
    }
}

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Splits `environments[0].entries[3].data.title` into segments; `None` when it is not a path.
fn parse_path(path: &str) -> Option<Vec<Seg>> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            segs.push(Seg::Key(key.to_string()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            segs.push(Seg::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(segs)
}

/// The 1-based line of the node at `path` in the YAML `text`, or of the deepest node of the path
/// that exists (a refusal of a defaulted item points at its parent).
pub fn locate(text: &str, path: &str) -> Option<usize> {
    let segs = parse_path(path)?;
    let de = serde_yaml_ng::Deserializer::from_str(text);
    let result = Locate { segs: &segs }.deserialize(de);
    match result {
        Ok(()) => None,
        Err(e) if e.to_string().contains(HERE) => e.location().map(|l| l.line()),
        Err(_) => None,
    }
}

/// The message of the error [`Locate`] raises at the node it looks for.
const HERE: &str = "tollgate-locate-here";

/// Walks a YAML document along a path and raises an error at the node it names, so that the
/// parser stamps it with that node's position.
struct Locate<'a> {
    segs: &'a [Seg],
}

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Locate<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Seg::Key(want), rest)) = self.segs.split_first() else {
            return Err(de::Error::custom(HERE));
        };
        while let Some(key) = map.next_key::<serde_yaml_ng::Value>()? {
            let matches = match &key {
                serde_yaml_ng::Value::String(s) => s == want,
                other => serde_yaml_ng::to_string(other)
                    .map(|s| s.trim() == want)
                    .unwrap_or(false),
            };
            if matches {
                return map.next_value_seed(Locate { segs: rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Err(de::Error::custom(HERE))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Seg::Index(want), rest)) = self.segs.split_first() else {
            return Err(de::Error::custom(HERE));
        };
        let mut i = 0;
        while i < *want {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(de::Error::custom(HERE));
            }
            i += 1;
        }
        match seq.next_element_seed(Locate { segs: rest })? {
            Some(()) => Ok(()),
            None => Err(de::Error::custom(HERE)),
        }
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const TEXT: &str = "\
description: x
rules: [READ-1]
environments:
  - name: master
    entries:
      - model: Post
        id: p1
        data:
          title: 3
steps:
  - query: '{ posts { id } }'
    expect: {outcome: not_found}
";

    #[test]
    fn locates_nodes() {
        assert_eq!(locate(TEXT, "environments"), Some(4));
        assert_eq!(
            locate(TEXT, "environments[0].entries[0].data.title"),
            Some(9)
        );
        assert_eq!(locate(TEXT, "steps[0]"), Some(11));
        assert_eq!(locate(TEXT, "steps[0].expect"), Some(12));
        // A defaulted item: the deepest node that exists.
        assert_eq!(locate(TEXT, "environments[0].public.grants[0]"), Some(4));
    }

    #[test]
    fn parses_paths() {
        assert_eq!(
            parse_path("a[0].b.c[12][3]"),
            Some(vec![
                Seg::Key("a".into()),
                Seg::Index(0),
                Seg::Key("b".into()),
                Seg::Key("c".into()),
                Seg::Index(12),
                Seg::Index(3)
            ])
        );
        assert_eq!(parse_path("a[x]"), None);
    }

    #[test]
    fn wire_length_of_post() {
        let n = wire_length(Method::Post, "{ a }", None, None);
        assert_eq!(
            n,
            r#"{"query":"{ a }","variables":null,"operationName":null}"#.len()
        );
    }
}
