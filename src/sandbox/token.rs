//! Permanent Auth Tokens (PATs) of the sandbox: the server's RS256 keys, issuing a PAT as a JWT,
//! and verifying the `Authorization` header of a Content API request.
//!
//! This is the sandbox's own reading of `spec/permission-model.md` §2, written independently of
//! the reference model (nothing here calls or copies `model::auth`):
//!
//! - **AUTH-1** no `Authorization` header is the public principal ([`Credential::Public`]).
//! - **AUTH-2** the header value, trimmed of ASCII whitespace, is `Bearer` in any letter case, one
//!   or more spaces (U+0020), and a token of non-space characters ([`bearer_token`]); anything
//!   else, an empty value included, and more than one `Authorization` header, is a [`Rejection`].
//!   A PAT's JWT has the header `{"alg":"RS256","typ":"JWT","kid":…}` and the claims of
//!   [`PatClaims`]; there is no `exp`: PATs never expire.
//! - **AUTH-3** a token is accepted iff it is a compact JWS whose `alg` is RS256, whose signature
//!   verifies under the server key its `kid` names, whose `aud` is an array whose first element is
//!   a URL with the path of the request (`/v2/{projectId}/{environment}`; scheme, host, port, query
//!   and fragment ignored), and whose `jti` names a live PAT of that environment. No other claim is
//!   checked: not `exp`, `nbf`, `iat`, `iss`, `sub` nor `version`.
//! - **AUTH-4** a PAT is its `jti`: two JWT strings with the same `jti` are the same PAT, so a token
//!   re-encoded (another `iss`, another host in `aud[0]`) and signed by a server key stays valid.
//!
//! A rejection is answered `401 token verification failed: <reason>` ([`Rejection::message`]);
//! by ERR-1 that check runs after the 404, 413 and 400-envelope checks, which are the caller's.
//!
//! Tokens are secrets: nothing here prints one in full. [`PatToken`] shows only [`redact`]ed
//! text in `Debug` and `Display`, and no [`Rejection`] quotes the token it rejects.
//!
//! JWS encoding and verification are the `jsonwebtoken` crate's (RustCrypto backend); keys are
//! the `rsa` crate's.
//!
//! ```
//! use tollgate::sandbox::token::{authorize, content_endpoint, issue, Credential, KeyRing, PatClaims};
//!
//! let keys = KeyRing::generate().unwrap();
//! let endpoint = content_endpoint("http://127.0.0.1:4000", "proj", "master");
//! let claims = PatClaims::new(&endpoint, "http://127.0.0.1:4000/management", "http://127.0.0.1:4000/", "pat-1");
//! let jti = claims.jti.clone();
//! let token = issue(&keys, &claims).unwrap();
//! let header = format!("Bearer {}", token.expose());
//! let live = |j: &str, env: &str| j == jti && env == "/v2/proj/master";
//! let who = authorize(&[&header], "/v2/proj/master", &keys, live).unwrap();
//! assert_eq!(who, Credential::Pat { jti: claims.jti.clone() });
//! // The same token sent to another environment is rejected.
//! assert!(authorize(&[&header], "/v2/proj/staging", &keys, live).is_err());
//! ```

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng as _;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::sha2::{Digest as _, Sha256};
use rsa::traits::PublicKeyParts as _;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Size in bits of a generated signing key.
pub const GENERATED_KEY_BITS: usize = 2048;

/// Smallest RSA modulus, in bits, accepted for a server key.
pub const MIN_KEY_BITS: usize = 2048;

/// Largest RSA modulus, in bits, accepted for a server key (the `rsa` crate verifies no larger).
pub const MAX_KEY_BITS: usize = 4096;

/// The `version` claim of every PAT the sandbox issues.
pub const PAT_CLAIMS_VERSION: u32 = 3;

/// Length of a generated `jti`.
pub const JTI_LEN: usize = 25;

/// How many characters of a token [`redact`] keeps.
pub const REDACT_KEEP: usize = 8;

/// A token shortened for logs and error texts: its first [`REDACT_KEEP`] characters, then `…`
/// when anything was cut.
pub fn redact(token: &str) -> String {
    let mut chars = token.chars();
    let prefix: String = chars.by_ref().take(REDACT_KEEP).collect();
    if chars.next().is_some() {
        format!("{prefix}…")
    } else {
        prefix
    }
}

/// The path of an environment's content endpoint: `/v2/{projectId}/{environment}`.
pub fn environment_path(project_id: &str, environment: &str) -> String {
    format!("/v2/{project_id}/{environment}")
}

/// An environment's content endpoint URL: `origin` (such as `http://127.0.0.1:4000`, a trailing
/// `/` ignored) followed by its [`environment_path`].
pub fn content_endpoint(origin: &str, project_id: &str, environment: &str) -> String {
    format!(
        "{}{}",
        origin.trim_end_matches('/'),
        environment_path(project_id, environment)
    )
}

/// A fresh PAT identity: [`JTI_LEN`] random lowercase ASCII letters and digits.
pub fn new_jti() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..JTI_LEN)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// Errors of key handling and of issuing a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// RSA key generation failed.
    #[error("cannot generate an rsa key: {0}")]
    Generate(String),
    /// The PEM text is neither a PKCS#1 (`RSA PRIVATE KEY`) nor a PKCS#8 (`PRIVATE KEY`) RSA
    /// private key.
    #[error("not a pkcs#1 or pkcs#8 pem rsa private key: {0}")]
    Pem(String),
    /// The key's modulus is outside [`MIN_KEY_BITS`]..=[`MAX_KEY_BITS`].
    #[error("rsa key of {bits} bits, expected {MIN_KEY_BITS} to {MAX_KEY_BITS}")]
    KeySize {
        /// The key's size in bits.
        bits: usize,
    },
    /// A key ring already holds a key with this `kid`.
    #[error("duplicate key id {0:?}")]
    DuplicateKid(String),
    /// A key could not be encoded (DER or PEM).
    #[error("cannot encode the key: {0}")]
    Encode(String),
    /// Signing a token failed.
    #[error("cannot sign the token: {0}")]
    Sign(String),
}

/// One RS256 server key: an RSA private key and the `kid` that names it in a token's header.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    private: RsaPrivateKey,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh [`GENERATED_KEY_BITS`]-bit key; its `kid` is its [`thumbprint`](Self::thumbprint).
    pub fn generate() -> Result<Self, TokenError> {
        let private = RsaPrivateKey::new(&mut rand::thread_rng(), GENERATED_KEY_BITS)
            .map_err(|e| TokenError::Generate(e.to_string()))?;
        Self::from_private(private)
    }

    /// A key read from PEM text: PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`) or PKCS#8
    /// (`-----BEGIN PRIVATE KEY-----`, unencrypted). Its `kid` is its
    /// [`thumbprint`](Self::thumbprint).
    pub fn from_pem(pem: &str) -> Result<Self, TokenError> {
        let private = match RsaPrivateKey::from_pkcs1_pem(pem) {
            Ok(key) => key,
            Err(pkcs1) => RsaPrivateKey::from_pkcs8_pem(pem)
                .map_err(|pkcs8| TokenError::Pem(format!("pkcs#1: {pkcs1}; pkcs#8: {pkcs8}")))?,
        };
        Self::from_private(private)
    }

    fn from_private(private: RsaPrivateKey) -> Result<Self, TokenError> {
        let bits = private.size() * 8;
        if !(MIN_KEY_BITS..=MAX_KEY_BITS).contains(&bits) {
            return Err(TokenError::KeySize { bits });
        }
        let der = private
            .to_pkcs1_der()
            .map_err(|e| TokenError::Encode(e.to_string()))?;
        let encoding = EncodingKey::from_rsa_der(der.as_bytes());
        let public = private.to_public_key();
        let decoding = DecodingKey::from_rsa_raw_components(
            &public.n().to_bytes_be(),
            &public.e().to_bytes_be(),
        );
        let mut key = SigningKey {
            kid: String::new(),
            private,
            encoding,
            decoding,
        };
        key.kid = key.thumbprint();
        Ok(key)
    }

    /// The same key under another `kid` (Hygraph's is `gcms-main-production`).
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// The key's id, as written in the `kid` header of the tokens it signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The size of the key's modulus in bits.
    pub fn bits(&self) -> usize {
        self.private.size() * 8
    }

    fn public(&self) -> RsaPublicKey {
        self.private.to_public_key()
    }

    /// The RFC 7638 JWK thumbprint of the public key (SHA-256, base64url without padding).
    pub fn thumbprint(&self) -> String {
        let public = self.public();
        let canonical = format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            URL_SAFE_NO_PAD.encode(public.n().to_bytes_be())
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// The public key as a JWK: `{"kty":"RSA","use":"sig","alg":"RS256","kid":…,"n":…,"e":…}`.
    pub fn public_jwk(&self) -> Value {
        let public = self.public();
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }

    /// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_pem(&self) -> Result<String, TokenError> {
        self.public()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| TokenError::Encode(e.to_string()))
    }
}

/// The server's signing keys. The first signs every token [`issue`]d; every key verifies the
/// tokens whose `kid` names it (so an old key can stay for verification after a rotation).
#[derive(Debug, Clone)]
pub struct KeyRing {
    signing: SigningKey,
    verifying: Vec<SigningKey>,
}

impl KeyRing {
    /// A ring whose signing key is `signing`.
    pub fn new(signing: SigningKey) -> Self {
        KeyRing {
            signing,
            verifying: Vec::new(),
        }
    }

    /// A ring with one freshly generated key.
    pub fn generate() -> Result<Self, TokenError> {
        SigningKey::generate().map(Self::new)
    }

    /// A ring whose signing key is read from PKCS#1 or PKCS#8 PEM (`--key PEM`).
    pub fn from_pem(pem: &str) -> Result<Self, TokenError> {
        SigningKey::from_pem(pem).map(Self::new)
    }

    /// Adds a verification-only key; its `kid` must be new to the ring.
    pub fn add(&mut self, key: SigningKey) -> Result<(), TokenError> {
        if self.get(key.kid()).is_some() {
            return Err(TokenError::DuplicateKid(key.kid));
        }
        self.verifying.push(key);
        Ok(())
    }

    /// The key that signs new tokens.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// The key named `kid`, if the ring holds one.
    pub fn get(&self, kid: &str) -> Option<&SigningKey> {
        self.keys().find(|k| k.kid == kid)
    }

    /// Every key of the ring, the signing key first.
    pub fn keys(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.signing).chain(&self.verifying)
    }

    /// The public keys as a JWK set: `{"keys":[…]}`.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys().map(SigningKey::public_jwk).collect::<Vec<_>>() })
    }
}

/// The claims of a PAT's JWT (AUTH-2). There is no `exp`: PATs never expire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatClaims {
    /// Always [`PAT_CLAIMS_VERSION`] (3) for tokens the sandbox issues.
    pub version: u32,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: u64,
    /// The environment's content endpoint, then the management URL.
    pub aud: Vec<String>,
    /// The issuer (Hygraph: its management host).
    pub iss: String,
    /// The PAT principal (Hygraph: a UUID).
    pub sub: String,
    /// The PAT's identity: the key of revocation (AUTH-4).
    pub jti: String,
}

impl PatClaims {
    /// Claims issued now, with a fresh [`new_jti`]: `aud` is `[content_endpoint, management_url]`.
    pub fn new(content_endpoint: &str, management_url: &str, issuer: &str, subject: &str) -> Self {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        PatClaims {
            version: PAT_CLAIMS_VERSION,
            iat,
            aud: vec![content_endpoint.to_owned(), management_url.to_owned()],
            iss: issuer.to_owned(),
            sub: subject.to_owned(),
            jti: new_jti(),
        }
    }
}

/// A PAT's JWT string. `Debug` and `Display` show only a [`redact`]ed prefix; the whole string
/// is reached through [`expose`](Self::expose) alone.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PatToken(String);

impl PatToken {
    /// Wraps a token string.
    pub fn new(token: impl Into<String>) -> Self {
        PatToken(token.into())
    }

    /// The whole token, for an `Authorization` header or the management API's `token` field.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The whole token, by value.
    pub fn into_exposed(self) -> String {
        self.0
    }
}

impl fmt::Debug for PatToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PatToken").field(&redact(&self.0)).finish()
    }
}

impl fmt::Display for PatToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// Selects jsonwebtoken's RustCrypto backend for this process, unless one is already chosen.
fn ensure_crypto_provider() {
    // Err only means a provider is installed already, which is what we want.
    let _ = CryptoProvider::install_default(&jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER);
}

/// Signs `claims` with the ring's signing key: header `{"alg":"RS256","typ":"JWT","kid":…}`.
pub fn issue(keys: &KeyRing, claims: &PatClaims) -> Result<PatToken, TokenError> {
    ensure_crypto_provider();
    let key = keys.signing_key();
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("JWT".to_owned());
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding)
        .map(PatToken)
        .map_err(|e| TokenError::Sign(e.to_string()))
}

/// Who a request acts as, once its `Authorization` header is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Credential {
    /// No `Authorization` header: the public principal (AUTH-1).
    Public,
    /// The PAT whose identity is `jti` (AUTH-2, AUTH-4).
    Pat {
        /// The token's `jti` claim.
        jti: String,
    },
}

/// Why a request's credentials were refused: always HTTP 401 with the body's message
/// `token verification failed: <reason>`, `<reason>` being this value's `Display`. No variant
/// carries any part of the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// More than one `Authorization` header (AUTH-2).
    #[error("more than one Authorization header")]
    MultipleHeaders,
    /// An `Authorization` header whose value is empty or whitespace (AUTH-2).
    #[error("empty Authorization header")]
    EmptyHeader,
    /// A value that is not `Bearer`, one or more spaces, then a token (AUTH-2).
    #[error("Authorization header is not `Bearer <token>`")]
    NotBearer,
    /// `Bearer` with no token after it (AUTH-2).
    #[error("no token after Bearer")]
    MissingToken,
    /// A token with a space in it (AUTH-2).
    #[error("token contains a space")]
    SpaceInToken,
    /// Not three dot-separated segments.
    #[error("token contains an invalid number of segments")]
    Segments,
    /// The JOSE header is not base64url JSON with a known `alg`.
    #[error("malformed token header or unsupported algorithm")]
    MalformedHeader,
    /// An `alg` other than RS256 (`HS256`, `PS256`, …).
    #[error("unsupported algorithm {0}, expected RS256")]
    Algorithm(String),
    /// The header names no `kid`.
    #[error("token header has no kid")]
    MissingKid,
    /// The `kid` names no key of the server.
    #[error("token signed by an unknown key")]
    UnknownKid,
    /// The signature does not verify under the key its `kid` names.
    #[error("invalid signature")]
    BadSignature,
    /// The payload or signature is not valid base64url, or the claims are not a JSON object.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// `aud` is missing, not an array, empty, or its first element is not a URL string.
    #[error("invalid aud: {0}")]
    Audience(&'static str),
    /// `aud[0]` names another environment (or project) than the request's.
    #[error("token was issued for another environment")]
    OtherEnvironment,
    /// `jti` is missing or not a string.
    #[error("token has no jti")]
    MissingJti,
    /// `jti` names no live PAT of the environment: revoked, or never issued there.
    #[error("token has been revoked")]
    Revoked,
}

impl Rejection {
    /// The HTTP status of every rejection.
    pub const STATUS: u16 = 401;

    /// The error message of the 401 body: `token verification failed: <reason>`.
    pub fn message(&self) -> String {
        format!("token verification failed: {self}")
    }
}

/// The token of one `Authorization` header value (AUTH-2): trimmed of ASCII whitespace, the value
/// must be `Bearer` in any letter case, one or more spaces (U+0020), and a token without spaces.
pub fn bearer_token(value: &str) -> Result<&str, Rejection> {
    let value = value.trim_matches(|c: char| c.is_ascii_whitespace());
    if value.is_empty() {
        return Err(Rejection::EmptyHeader);
    }
    let rest = match (value.get(..6), value.get(6..)) {
        (Some(scheme), Some(rest)) if scheme.eq_ignore_ascii_case("bearer") => rest,
        _ => return Err(Rejection::NotBearer),
    };
    if rest.is_empty() {
        return Err(Rejection::MissingToken);
    }
    let token = rest.trim_start_matches(' ');
    if token.len() == rest.len() {
        // `Bearerx`, or a separator other than a space (`Bearer\tx`).
        return Err(Rejection::NotBearer);
    }
    if token.contains(' ') {
        return Err(Rejection::SpaceInToken);
    }
    Ok(token)
}

/// The credentials of a Content API request (AUTH-1 to AUTH-4).
///
/// `header_values` are the values of every `Authorization` header of the request (none: the
/// public principal); `request_path` is its path, `/v2/{projectId}/{environment}`, already known
/// to name an existing environment (ERR-1 step 1). `is_live(jti, request_path)` tells whether
/// `jti` names a PAT of that environment that has not been deleted.
///
/// This is ERR-1 step 4: the caller answers the 404, 413 and 400-envelope checks first. Values
/// are taken as received; an HTTP layer holding bytes should convert them with
/// `std::str::from_utf8` (not `http::HeaderValue::to_str`, which refuses tabs and non-ASCII) and
/// answer a value that is not UTF-8 with [`Rejection::NotBearer`].
pub fn authorize(
    header_values: &[&str],
    request_path: &str,
    keys: &KeyRing,
    is_live: impl Fn(&str, &str) -> bool,
) -> Result<Credential, Rejection> {
    let value = match header_values {
        [] => return Ok(Credential::Public),
        [value] => *value,
        _ => return Err(Rejection::MultipleHeaders),
    };
    let token = bearer_token(value)?;
    let jti = verify(token, request_path, keys)?;
    if !is_live(&jti, request_path) {
        return Err(Rejection::Revoked);
    }
    Ok(Credential::Pat { jti })
}

/// The `jti` of a token that AUTH-3 accepts for `request_path`, liveness aside.
pub fn verify(token: &str, request_path: &str, keys: &KeyRing) -> Result<String, Rejection> {
    ensure_crypto_provider();
    if token.split('.').count() != 3 {
        return Err(Rejection::Segments);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::MalformedHeader)?;
    if header.alg != Algorithm::RS256 {
        return Err(Rejection::Algorithm(format!("{:?}", header.alg)));
    }
    let kid = header.kid.ok_or(Rejection::MissingKid)?;
    let key = keys.get(&kid).ok_or(Rejection::UnknownKid)?;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, &validation())
        .map_err(|e| decode_rejection(e.kind()))?
        .claims;
    check_audience(claims.get("aud"), request_path)?;
    match claims.get("jti") {
        Some(Value::String(jti)) => Ok(jti.clone()),
        _ => Err(Rejection::MissingJti),
    }
}

/// RS256 only, signature checked, and no claim validated by jsonwebtoken (AUTH-3 checks `aud`
/// and `jti` itself, and nothing else).
fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    validation
}

fn decode_rejection(kind: &ErrorKind) -> Rejection {
    match kind {
        ErrorKind::InvalidSignature => Rejection::BadSignature,
        ErrorKind::InvalidAlgorithm => Rejection::Algorithm("mismatch".to_owned()),
        ErrorKind::InvalidToken => Rejection::Segments,
        ErrorKind::Base64(_) => Rejection::Malformed("not base64url"),
        ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            Rejection::Malformed("claims are not a JSON object")
        }
        _ => Rejection::Malformed("cannot be verified"),
    }
}

/// AUTH-3: `aud` is an array whose first element is a URL with the path `request_path`.
fn check_audience(aud: Option<&Value>, request_path: &str) -> Result<(), Rejection> {
    let items = match aud {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Err(Rejection::Audience("missing")),
        Some(_) => return Err(Rejection::Audience("not an array")),
    };
    let first = match items.first() {
        Some(Value::String(first)) => first,
        Some(_) => return Err(Rejection::Audience("first element is not a string")),
        None => return Err(Rejection::Audience("empty array")),
    };
    let url =
        url::Url::parse(first).map_err(|_| Rejection::Audience("first element is not a URL"))?;
    if url.path() == request_path {
        Ok(())
    } else {
        Err(Rejection::OtherEnvironment)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
