//! Targets: the endpoints a case is run against besides the reference. Today: a sandbox server
//! reached over HTTP ([`sandbox`]: its admin surface, for bulk provisioning and the harness's
//! token forms); [`http`], one provisioned project and the request path every caller shares
//! (credentials, headers, 429 retries, decoding); [`ids`], the pairing of entries created during
//! a run (DATA-2); and scenario replay over HTTP ([`scenario`]).

pub mod http;
pub mod ids;
pub mod sandbox;
pub mod scenario;

/// The HTTP client every target uses: no proxy (tests and the sandbox talk to 127.0.0.1 only,
/// and a proxy from the environment must not intercept that), keep-alive on.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(64)
        .build()
}
