//! The `--target` of the commands that talk to a server (`replay`, `fuzz`, `score`): the
//! embedded sandbox (started in process on 127.0.0.1 with `--fault`s) or the URL of a running
//! sandbox with its admin secret; plus the small parsers those commands share.

use std::time::Duration;

use anyhow::{bail, Context as _};

use tollgate::gen::GenConfig;
use tollgate::model::profile::Profile;
use tollgate::sandbox::faults::{Fault, Faults};
use tollgate::sandbox::server::{self, Config, Running};
use tollgate::target::http_client;
use tollgate::target::sandbox::SandboxAdmin;

use super::serve::ADMIN_SECRET_ENV;

/// Where a command sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// The embedded sandbox with these faults.
    Embedded(Faults),
    /// A running sandbox.
    Url {
        /// Its origin, without a trailing `/`.
        url: String,
        /// Its admin secret.
        secret: String,
    },
}

impl TargetSpec {
    /// The label used in reports: `sandbox` or the URL.
    pub fn label(&self) -> String {
        match self {
            TargetSpec::Embedded(_) => "sandbox".into(),
            TargetSpec::Url { url, .. } => url.clone(),
        }
    }
}

/// Parses `--fault` names.
pub fn parse_faults(names: &[String]) -> anyhow::Result<Faults> {
    names
        .iter()
        .map(|n| n.parse::<Fault>().map_err(anyhow::Error::from))
        .collect()
}

/// Parses `--target` (`sandbox` or a sandbox server's `http://HOST:PORT`) with its `--fault`s and admin secret.
pub fn parse_target(
    target: &str,
    faults: &[String],
    admin_secret: Option<&str>,
) -> anyhow::Result<TargetSpec> {
    let faults = parse_faults(faults)?;
    match target {
        "sandbox" => Ok(TargetSpec::Embedded(faults)),
        url if url.starts_with("https://") => bail!(
            "--target {url}: https targets are not supported yet (this build has no TLS, and only sandbox servers can be provisioned so far); use a sandbox URL (http://127.0.0.1:PORT)"
        ),
        url if url.starts_with("http://") => {
            let parsed =
                url::Url::parse(url).with_context(|| format!("--target {url}: not a URL"))?;
            if parsed.path() != "/" || parsed.query().is_some() {
                bail!(
                    "--target {url}: give the sandbox server's base URL (http://{}), not an endpoint: each case is provisioned as a project of its own",
                    &url["http://".len()..]
                        .split(['/', '?'])
                        .next()
                        .unwrap_or_default()
                );
            }
            if !faults.is_empty() {
                bail!("--fault applies to `--target sandbox`; start a URL target with `tollgate serve --fault`");
            }
            let secret = admin_secret
                .map(str::to_string)
                .or_else(|| std::env::var(ADMIN_SECRET_ENV).ok().filter(|s| !s.is_empty()))
                .with_context(|| {
                    format!("--target {url} needs the server's admin secret (--admin-secret or ${ADMIN_SECRET_ENV}); only sandbox servers can be provisioned so far")
                })?;
            Ok(TargetSpec::Url {
                url: url.trim_end_matches('/').to_string(),
                secret,
            })
        }
        other => bail!(
            "unknown target {other:?}: use `sandbox` (embedded) or a sandbox URL (http://127.0.0.1:PORT)"
        ),
    }
}

/// A connected target: the admin client, and the embedded server when one was started (stop
/// it with [`Connected::close`]).
pub struct Connected {
    /// The admin surface.
    pub admin: SandboxAdmin,
    server: Option<Running>,
}

impl Connected {
    /// Starts (embedded) or reaches (URL) the target.
    pub async fn open(spec: &TargetSpec) -> anyhow::Result<Connected> {
        let http = http_client().context("building the HTTP client")?;
        match spec {
            TargetSpec::Embedded(faults) => {
                let s = server::start(Config {
                    faults: *faults,
                    ..Config::default()
                })
                .await
                .context("starting the embedded sandbox")?;
                let admin = SandboxAdmin::new(http, s.url(), s.admin_secret());
                Ok(Connected {
                    admin,
                    server: Some(s),
                })
            }
            TargetSpec::Url { url, secret } => Ok(Connected {
                admin: SandboxAdmin::new(http, url.clone(), secret.clone()),
                server: None,
            }),
        }
    }

    /// Stops the embedded server, if any.
    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(s) = self.server {
            s.shutdown()
                .await
                .context("stopping the embedded sandbox")?;
        }
        Ok(())
    }
}

/// The generator's preset `name`, with the reference profile `profile`.
pub fn preset(name: &str, profile: &str) -> anyhow::Result<GenConfig> {
    if Profile::named(profile).is_err() {
        bail!("unknown profile {profile:?}");
    }
    match GenConfig::preset(name) {
        Some(g) => Ok(g.with_profile(profile)),
        None => bail!(
            "unknown preset {name:?} (one of {})",
            GenConfig::PRESETS.join(", ")
        ),
    }
}

/// Parses a duration: a positive number with a unit `ms`, `s`, `m` or `h` (`60s`, `1.5m`,
/// `500ms`); every duration flag is a budget, so zero is refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 60s, 5m, 500ms or 1h"))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => return Err(format!("unknown unit {other:?} in {text:?} (ms, s, m, h)")),
    };
    if !secs.is_finite() || !(0.0..=365.0 * 86400.0).contains(&secs) {
        return Err(format!("{text:?} is out of range"));
    }
    if secs < 0.001 {
        return Err(format!("{text:?}: a budget must be at least 1ms"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("1.5m").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
        for bad in ["", "s", "1x", "-1s", "1e400s", "0s", "0"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("sandbox", &["not-as-not-any".into()], None).unwrap(),
            TargetSpec::Embedded(Faults::NONE.with(Fault::NotAsNotAny))
        );
        assert!(parse_target("sandbox", &["nope".into()], None).is_err());
        assert!(parse_target("ftp://x", &[], None).is_err());
        let https = parse_target("https://127.0.0.1:1", &[], Some("s")).unwrap_err();
        assert!(https.to_string().contains("no TLS"), "{https}");
        let endpoint = parse_target("http://127.0.0.1:1/v2/p/master", &[], Some("s")).unwrap_err();
        assert!(
            endpoint.to_string().contains("(http://127.0.0.1:1)"),
            "{endpoint}"
        );
        assert!(parse_target("http://127.0.0.1:1", &["not-as-not-any".into()], Some("s")).is_err());
        assert_eq!(
            parse_target("http://127.0.0.1:1/", &[], Some("s")).unwrap(),
            TargetSpec::Url {
                url: "http://127.0.0.1:1".into(),
                secret: "s".into()
            }
        );
    }
}
