//! The demo of `tollgate serve --demo`: a small blog (project [`PROJECT`], environment
//! [`ENVIRONMENT`]; models Author, Post with a localized title, Tag; stages DRAFT, QA,
//! PUBLISHED; locales en, de; public READ on PUBLISHED) with four tokens:
//!
//! - `reader`: READ on PUBLISHED, like the public principal;
//! - `drafts`: READ on DRAFT and QA (posts in English only), default stage DRAFT;
//! - `editor`: READ everything, and writes on posts under conditions (update while not DONE,
//!   delete ideas, publish to and unpublish from QA);
//! - `revoked`: a deleted PAT, whose token is rejected (401).
//!
//! The data is `demo.yaml` next to this file (the shape of a scenario file's environment).
//! [`load`] puts it into a running server (or finds it there, for a file store kept over a
//! restart) and [`Demo::first_line`] is what `serve --demo` prints first.

use std::collections::BTreeMap;

use serde_json::json;

use crate::model::spec::EnvSpec;
use crate::sandbox::server::{BulkError, Running, ServerError};
use crate::sandbox::token::redact;

/// The demo's project id.
pub const PROJECT: &str = "demo";

/// The demo's environment.
pub const ENVIRONMENT: &str = "master";

/// The demo's data.
pub const DATA: &str = include_str!("demo.yaml");

/// Why the demo could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The embedded data does not parse (a bug).
    #[error("the demo data does not parse: {0}")]
    Data(String),
    /// Loading it was refused or failed.
    #[error("cannot load the demo: {0}")]
    Load(#[from] BulkError),
    /// Reading its tokens back failed.
    #[error("cannot read the demo's tokens: {0}")]
    Server(#[from] ServerError),
}

/// The demo environment.
pub fn environment() -> Result<EnvSpec, DemoError> {
    serde_yaml_ng::from_str(DATA).map_err(|e| DemoError::Data(e.to_string()))
}

/// What `serve --demo` announces. Tokens and the admin secret are secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct Demo {
    /// The content endpoint.
    pub endpoint: String,
    /// The Management API's URL.
    pub management: String,
    /// Token by PAT name.
    pub tokens: BTreeMap<String, String>,
    /// The admin secret.
    pub admin_secret: String,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.first_line(false))
    }
}

impl Demo {
    /// One JSON object on one line: `{"endpoint", "management", "tokens": {name: token},
    /// "admin_secret"}`, tokens and secret [`redact`]ed unless `show_secrets`.
    pub fn first_line(&self, show_secrets: bool) -> String {
        let shown = |s: &str| {
            if show_secrets {
                s.to_string()
            } else {
                redact(s)
            }
        };
        let tokens: serde_json::Map<String, serde_json::Value> = self
            .tokens
            .iter()
            .map(|(k, v)| (k.clone(), json!(shown(v))))
            .collect();
        json!({
            "endpoint": self.endpoint,
            "management": self.management,
            "tokens": tokens,
            "admin_secret": shown(&self.admin_secret),
        })
        .to_string()
    }
}

/// Loads the demo into `server` (unless a file store already holds it) and returns what to
/// announce.
pub async fn load(server: &Running) -> Result<Demo, DemoError> {
    let env = environment()?;
    let tokens: BTreeMap<String, String> = match server.load_project(PROJECT, vec![env]).await {
        Ok(loaded) => loaded
            .environments
            .into_iter()
            .flat_map(|e| e.pats)
            .map(|p| (p.name, p.token))
            .collect(),
        Err(BulkError::Conflict(_)) => server
            .tokens(PROJECT, ENVIRONMENT)
            .await?
            .into_iter()
            .collect(),
        Err(e) => return Err(e.into()),
    };
    Ok(Demo {
        endpoint: server.content_endpoint(PROJECT, ENVIRONMENT),
        management: server.management_url(),
        tokens,
        admin_secret: server.admin_secret().to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::sandbox::store::Store;

    #[test]
    fn the_data_loads() {
        let env = environment().unwrap();
        let mut store = Store::in_memory().unwrap();
        let key = store.load(PROJECT, &env).unwrap();
        let pats = crate::sandbox::principals::load_principals(&store, key, &env).unwrap();
        let names: Vec<&str> = pats.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["reader", "drafts", "editor", "revoked"]);
        assert!(pats[3].revoked && !pats[0].revoked);
        assert_eq!(
            store.env(key).unwrap().schema.stages,
            ["DRAFT", "PUBLISHED", "QA"]
        );
    }

    #[test]
    fn the_first_line_redacts_secrets() {
        let demo = Demo {
            endpoint: "http://127.0.0.1:1/v2/demo/master".into(),
            management: "http://127.0.0.1:1/management/graphql".into(),
            tokens: [(
                "reader".to_string(),
                "eyJhbGciOiJSUzI1NiJ9.secret.sig".to_string(),
            )]
            .into(),
            admin_secret: "0123456789abcdef".into(),
        };
        let line = demo.first_line(false);
        assert!(
            !line.contains("secret.sig") && !line.contains("0123456789abcdef"),
            "{line}"
        );
        assert!(!format!("{demo:?}").contains("secret.sig"));
        let v: serde_json::Value = serde_json::from_str(&demo.first_line(true)).unwrap();
        assert_eq!(v["tokens"]["reader"], "eyJhbGciOiJSUzI1NiJ9.secret.sig");
        assert_eq!(v["admin_secret"], "0123456789abcdef");
        assert!(!line.contains('\n'));
    }
}
