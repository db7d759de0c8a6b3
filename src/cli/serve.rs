//! `tollgate serve`: runs the sandbox server until Ctrl-C (or SIGTERM), then shuts it down
//! gracefully. `--demo` loads the demo blog and prints, as the first line on stdout, one JSON
//! object with the endpoint, the management URL, the demo's tokens and the admin secret (both
//! redacted unless `--show-tokens`); then one line per request.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;

use crate::cli::Exit;
use tollgate::sandbox::demo;
use tollgate::sandbox::faults::{self, Fault, Faults};
use tollgate::sandbox::server::{self, Config};
use tollgate::sandbox::token::{redact, KeyRing};

/// The environment variable read for the admin secret when `--admin-secret` is not given.
pub const ADMIN_SECRET_ENV: &str = "TOLLGATE_ADMIN_SECRET";

/// Arguments of `tollgate serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:4000")]
    pub addr: SocketAddr,
    /// A SQLite database file (created if missing) whose content, principals and signing key
    /// survive a restart; in memory without it.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The RS256 signing key, a PKCS#1 or PKCS#8 PEM file; generated (and kept in the database)
    /// without it.
    #[arg(long, value_name = "PEM")]
    pub key: Option<PathBuf>,
    /// The admin secret guarding the admin routes (else $TOLLGATE_ADMIN_SECRET, else random).
    #[arg(long, value_name = "S")]
    pub admin_secret: Option<String>,
    /// Load the demo blog and print its endpoint and tokens as the first line.
    #[arg(long)]
    pub demo: bool,
    /// Switch on an enforcement bug (repeatable; see --list-faults).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Print the faults, one per line, and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Print tokens and the admin secret in full instead of redacted.
    #[arg(long)]
    pub show_tokens: bool,
}

/// Runs `tollgate serve`.
pub fn run(args: &ServeArgs) -> anyhow::Result<Exit> {
    if args.list_faults {
        print!("{}", faults::list());
        return Ok(Exit::Agree);
    }
    let faults: Faults = args
        .faults
        .iter()
        .map(|n| n.parse::<Fault>())
        .collect::<Result<Faults, _>>()?;
    let keys = match &args.key {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(KeyRing::from_pem(&pem).with_context(|| format!("key {}", path.display()))?)
        }
        None => None,
    };
    let admin_secret = args.admin_secret.clone().or_else(|| {
        std::env::var(ADMIN_SECRET_ENV)
            .ok()
            .filter(|s| !s.is_empty())
    });
    let config = Config {
        addr: args.addr,
        db: args.db.clone(),
        keys,
        admin_secret,
        faults,
        log_requests: true,
    };
    let runtime = super::runtime()?;
    runtime.block_on(serve(config, args.demo, args.show_tokens))?;
    Ok(Exit::Agree)
}

async fn serve(config: Config, with_demo: bool, show: bool) -> anyhow::Result<()> {
    let stop = stop_signal()?;
    let running = server::start(config).await?;
    let line = if with_demo {
        demo::load(&running).await?.first_line(show)
    } else {
        let secret = running.admin_secret();
        json!({
            "content": format!("{}/v2/{{projectId}}/{{environment}}", running.url()),
            "management": running.management_url(),
            "admin_secret": if show { secret.to_string() } else { redact(secret) },
        })
        .to_string()
    };
    // The first line on stdout; a closed stdout is no reason to stop serving.
    let _ = writeln!(std::io::stdout().lock(), "{line}");
    if !show {
        eprintln!(
            "tollgate serve: tokens and the admin secret are redacted; --show-tokens prints them"
        );
    }
    let faults: Vec<&str> = running.faults().iter().map(Fault::name).collect();
    if !faults.is_empty() {
        eprintln!("tollgate serve: faults on: {}", faults.join(", "));
    }
    eprintln!(
        "tollgate serve: listening on {} (Ctrl-C stops)",
        running.url()
    );
    stop.await;
    eprintln!("tollgate serve: shutting down");
    running.shutdown().await?;
    Ok(())
}

/// Ctrl-C (SIGINT), or SIGTERM on Unix. The handlers are installed when this is called, so a
/// signal that arrives after the first line is printed is never missed.
#[cfg(unix)]
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
