//! Unit tests of the sandbox's PATs: issue and verify, AUTH-2's header grammar, AUTH-3's
//! acceptance rule against forged and misdirected tokens, AUTH-4's identity by `jti`, and no
//! panic on any input.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use proptest::prelude::*;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::EncodePrivateKey;

use super::*;

const ORIGIN: &str = "http://127.0.0.1:4000";
const MANAGEMENT: &str = "http://127.0.0.1:4000/management";
const ISSUER: &str = "http://127.0.0.1:4000/";
const PATH: &str = "/v2/proj/master";

/// The server key, generated once per test process (keygen is the slow part).
fn server_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().unwrap())
}

/// A second, unrelated key.
fn other_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().unwrap())
}

fn ring() -> KeyRing {
    KeyRing::new(server_key().clone())
}

fn claims() -> PatClaims {
    PatClaims::new(
        &content_endpoint(ORIGIN, "proj", "master"),
        MANAGEMENT,
        ISSUER,
        "7b0c7c5e-3f3b-4a53-9d1c-1f6f8d2b7a10",
    )
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Every jti is live, in every environment.
fn all_live(_: &str, _: &str) -> bool {
    true
}

fn auth(values: &[&str]) -> Result<Credential, Rejection> {
    authorize(values, PATH, &ring(), all_live)
}

/// A token issued by the server for `proj/master`, and its jti.
fn valid() -> (String, String) {
    let c = claims();
    (issue(&ring(), &c).unwrap().into_exposed(), c.jti)
}

/// A compact JWS of arbitrary header and claims, signed RS256 by `key`.
fn sign_raw(header: &Value, claims: &Value, key: &SigningKey) -> String {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &key.encoding, Algorithm::RS256).unwrap();
    format!("{message}.{signature}")
}

fn rs256_header(kid: &str) -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": kid})
}

fn claims_json() -> Value {
    serde_json::to_value(claims()).unwrap()
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

fn decode_json(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

// ---- keys -------------------------------------------------------------------------------------

#[test]
fn generated_key_is_2048_bits_and_named_by_its_thumbprint() {
    let key = server_key();
    assert_eq!(key.bits(), 2048);
    assert_eq!(key.kid(), key.thumbprint());
    assert_eq!(key.kid().len(), 43);
    assert_ne!(key.kid(), other_key().kid());
}

#[test]
fn keys_load_from_pkcs1_and_pkcs8_pem() {
    let key = server_key();
    let pkcs1 = key.private.to_pkcs1_pem(LineEnding::LF).unwrap();
    let pkcs8 = key.private.to_pkcs8_pem(LineEnding::LF).unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
    for pem in [pkcs1.as_str(), pkcs8.as_str()] {
        let loaded = KeyRing::from_pem(pem).unwrap();
        assert_eq!(loaded.signing_key().kid(), key.kid());
        // A token of the loaded ring verifies under the original, and back.
        let c = claims();
        let token = issue(&loaded, &c).unwrap();
        assert_eq!(verify(token.expose(), PATH, &ring()), Ok(c.jti.clone()));
        let token = issue(&ring(), &c).unwrap();
        assert_eq!(verify(token.expose(), PATH, &loaded), Ok(c.jti));
    }
}

#[test]
fn garbage_and_public_pem_are_not_keys() {
    let public = server_key().public_pem().unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    for pem in ["", "not a key", public.as_str()] {
        assert!(
            matches!(KeyRing::from_pem(pem), Err(TokenError::Pem(_))),
            "{pem:?}"
        );
    }
}

#[test]
fn public_jwk_and_jwks() {
    let key = server_key();
    let jwk = key.public_jwk();
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["kid"], key.kid());
    assert_eq!(jwk["e"], "AQAB");
    // The JWK's (n, e) verify the server's tokens.
    let decoding =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let (token, _) = valid();
    jsonwebtoken::decode::<Map<String, Value>>(&token, &decoding, &validation()).unwrap();
    let mut keys = ring();
    keys.add(other_key().clone()).unwrap();
    let jwks = keys.jwks();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(jwks["keys"][0]["kid"], key.kid());
}

#[test]
fn a_ring_refuses_a_duplicate_kid() {
    let mut keys = ring();
    assert!(matches!(
        keys.add(server_key().clone()),
        Err(TokenError::DuplicateKid(_))
    ));
    assert!(matches!(
        keys.add(other_key().clone().with_kid(server_key().kid())),
        Err(TokenError::DuplicateKid(_))
    ));
}

#[test]
fn a_verification_key_of_the_ring_verifies_its_tokens() {
    let old = KeyRing::new(other_key().clone());
    let c = claims();
    let token = issue(&old, &c).unwrap();
    let mut keys = ring();
    assert_eq!(auth(&[&bearer(token.expose())]), Err(Rejection::UnknownKid));
    keys.add(other_key().clone()).unwrap();
    assert_eq!(
        authorize(&[&bearer(token.expose())], PATH, &keys, all_live),
        Ok(Credential::Pat { jti: c.jti })
    );
}

#[test]
fn debug_of_a_key_shows_no_key_material() {
    let text = format!("{:?}", ring());
    assert!(text.contains(server_key().kid()));
    assert!(!text.contains("BigUint"), "{text}");
    assert!(text.len() < 300, "{text}");
}

// ---- issuing ----------------------------------------------------------------------------------

#[test]
fn issued_token_has_the_pat_header_and_claims() {
    let c = claims();
    let token = issue(&ring(), &c).unwrap();
    let parts = segments(token.expose());
    assert_eq!(parts.len(), 3);
    assert_eq!(
        decode_json(&parts[0]),
        json!({"alg": "RS256", "typ": "JWT", "kid": server_key().kid()})
    );
    let payload = decode_json(&parts[1]);
    let object = payload.as_object().unwrap();
    let mut names: Vec<&str> = object.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["aud", "iat", "iss", "jti", "sub", "version"]);
    assert_eq!(payload["version"], 3);
    assert_eq!(
        payload["aud"],
        json!(["http://127.0.0.1:4000/v2/proj/master", MANAGEMENT])
    );
    assert_eq!(payload["iss"], ISSUER);
    assert_eq!(payload["jti"], c.jti.as_str());
    assert!(payload["iat"].as_u64().unwrap() > 1_700_000_000);
}

#[test]
fn jti_is_25_lowercase_alphanumerics_and_unique() {
    let a = new_jti();
    assert_eq!(a.len(), JTI_LEN);
    assert!(a
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    assert_ne!(a, new_jti());
}

#[test]
fn tokens_are_redacted_in_debug_and_display() {
    let (token, _) = valid();
    let wrapped = PatToken::new(token.clone());
    for shown in [format!("{wrapped}"), format!("{wrapped:?}")] {
        assert!(!shown.contains(&token));
        assert!(shown.contains(&token[..8]));
        assert!(shown.contains('…'));
    }
    assert_eq!(redact("abcdefghij"), "abcdefgh…");
    assert_eq!(redact("abc"), "abc");
    assert_eq!(redact("ééééééééé"), "éééééééé…");
}

#[test]
fn endpoints() {
    assert_eq!(environment_path("p", "e"), "/v2/p/e");
    assert_eq!(
        content_endpoint("http://h:1/", "p", "e"),
        "http://h:1/v2/p/e"
    );
}

// ---- AUTH-1, AUTH-2: the header ---------------------------------------------------------------

#[test]
fn round_trip_issue_then_authorize() {
    let (token, jti) = valid();
    assert_eq!(auth(&[&bearer(&token)]), Ok(Credential::Pat { jti }));
}

#[test]
fn no_header_is_the_public_principal() {
    assert_eq!(auth(&[]), Ok(Credential::Public));
}

#[test]
fn bearer_in_any_case_and_surrounding_whitespace_are_accepted() {
    let (token, jti) = valid();
    for value in [
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("bEaReR {token}"),
        format!("Bearer    {token}"),
        format!("  Bearer {token}  "),
        format!("\t Bearer {token}\r\n"),
    ] {
        assert_eq!(
            auth(&[&value]),
            Ok(Credential::Pat { jti: jti.clone() }),
            "{value:?}"
        );
    }
}

#[test]
fn bad_header_values_are_rejected() {
    let (token, _) = valid();
    let cases: Vec<(String, Rejection)> = vec![
        (String::new(), Rejection::EmptyHeader),
        ("   \t ".into(), Rejection::EmptyHeader),
        ("Bearer".into(), Rejection::MissingToken),
        ("bearer  ".into(), Rejection::MissingToken),
        ("Basic x".into(), Rejection::NotBearer),
        (format!("Basic {token}"), Rejection::NotBearer),
        (token.clone(), Rejection::NotBearer),
        (format!("Bearer{token}"), Rejection::NotBearer),
        (format!("Bearer\t{token}"), Rejection::NotBearer),
        (format!("Bearer: {token}"), Rejection::NotBearer),
        (format!("Token {token}"), Rejection::NotBearer),
        (format!("Bearer {token} x"), Rejection::SpaceInToken),
        (format!("Bearer {token} {token}"), Rejection::SpaceInToken),
        ("Beaé x".into(), Rejection::NotBearer),
        ("Beareé x".into(), Rejection::NotBearer),
        ("é".into(), Rejection::NotBearer),
    ];
    for (value, expected) in cases {
        assert_eq!(auth(&[&value]), Err(expected), "{value:?}");
    }
}

#[test]
fn two_authorization_headers_are_rejected_even_if_both_are_valid() {
    let (token, _) = valid();
    let value = bearer(&token);
    assert_eq!(auth(&[&value, &value]), Err(Rejection::MultipleHeaders));
    assert_eq!(auth(&[&value, ""]), Err(Rejection::MultipleHeaders));
}

#[test]
fn rejection_message_has_the_401_prefix_and_never_the_token() {
    let (token, _) = valid();
    let tampered = format!("{token}x");
    let rejection = auth(&[&bearer(&tampered)]).unwrap_err();
    assert_eq!(Rejection::STATUS, 401);
    let message = rejection.message();
    assert!(
        message.starts_with("token verification failed: "),
        "{message}"
    );
    assert!(!message.contains(&token[..20]));
    assert!(!format!("{rejection:?}").contains(&token[..20]));
    assert_eq!(
        Rejection::Segments.message(),
        "token verification failed: token contains an invalid number of segments"
    );
}

// ---- AUTH-3: forged tokens --------------------------------------------------------------------

#[test]
fn malformed_tokens_are_rejected() {
    let (token, _) = valid();
    let parts = segments(&token);
    let cases: Vec<(String, Rejection)> = vec![
        ("x".into(), Rejection::Segments),
        ("a.b".into(), Rejection::Segments),
        (format!("{token}.x"), Rejection::Segments),
        ("..".into(), Rejection::MalformedHeader),
        (
            format!("!!.{}.{}", parts[1], parts[2]),
            Rejection::MalformedHeader,
        ),
        (
            format!("{}.!!.{}", parts[0], parts[2]),
            Rejection::BadSignature,
        ),
        (
            format!("{}.{}.!!", parts[0], parts[1]),
            Rejection::Malformed("not base64url"),
        ),
        (
            format!("{}.{}.", parts[0], parts[1]),
            Rejection::BadSignature,
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(auth(&[&bearer(&value)]), Err(expected), "{value:?}");
    }
}

#[test]
fn tampered_signature_is_rejected() {
    let (token, _) = valid();
    let parts = segments(&token);
    let mut signature = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap();
    for index in [0, signature.len() / 2, signature.len() - 1] {
        signature[index] ^= 0x01;
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            URL_SAFE_NO_PAD.encode(&signature)
        );
        assert_eq!(auth(&[&bearer(&forged)]), Err(Rejection::BadSignature));
        signature[index] ^= 0x01;
    }
    // A signature one byte short, or one byte long.
    let short = URL_SAFE_NO_PAD.encode(&signature[1..]);
    let mut long = signature.clone();
    long.push(0);
    for forged_signature in [short, URL_SAFE_NO_PAD.encode(&long)] {
        let forged = format!("{}.{}.{}", parts[0], parts[1], forged_signature);
        assert_eq!(auth(&[&bearer(&forged)]), Err(Rejection::BadSignature));
    }
}

#[test]
fn changed_payload_is_rejected() {
    let (token, _) = valid();
    let parts = segments(&token);
    let mut payload = decode_json(&parts[1]);
    payload["jti"] = json!(new_jti());
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    assert_eq!(auth(&[&bearer(&forged)]), Err(Rejection::BadSignature));
}

#[test]
fn token_of_another_key_ring_is_rejected() {
    let c = claims();
    // Another key under another kid: unknown key.
    let token = issue(&KeyRing::new(other_key().clone()), &c).unwrap();
    assert_eq!(auth(&[&bearer(token.expose())]), Err(Rejection::UnknownKid));
    // Another key claiming the server's kid: its signature does not verify.
    let impostor = KeyRing::new(other_key().clone().with_kid(server_key().kid()));
    let token = issue(&impostor, &c).unwrap();
    assert_eq!(
        auth(&[&bearer(token.expose())]),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn header_without_kid_is_rejected() {
    let token = sign_raw(
        &json!({"alg": "RS256", "typ": "JWT"}),
        &claims_json(),
        server_key(),
    );
    assert_eq!(auth(&[&bearer(&token)]), Err(Rejection::MissingKid));
}

#[test]
fn alg_none_is_rejected() {
    let kid = server_key().kid();
    for alg in ["none", "None", "NONE"] {
        let header = json!({"alg": alg, "typ": "JWT", "kid": kid});
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims_json().to_string())
        );
        assert_eq!(auth(&[&bearer(&unsigned)]), Err(Rejection::MalformedHeader));
        // With the server's valid RS256 signature appended: still rejected.
        let (token, _) = valid();
        let stolen_signature = segments(&token)[2].clone();
        let forged = format!("{unsigned}{stolen_signature}");
        assert_eq!(auth(&[&bearer(&forged)]), Err(Rejection::MalformedHeader));
    }
}

#[test]
fn hs256_with_the_public_key_as_secret_is_rejected() {
    // The classic confusion attack: HMAC keyed by the (public) verification key.
    let key = server_key();
    let c = claims();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.kid().to_owned());
    let mut secrets = vec![key.public_pem().unwrap().into_bytes()];
    secrets.push(
        key.public()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec(),
    );
    for secret in secrets {
        let forged = jsonwebtoken::encode(&header, &c, &EncodingKey::from_secret(&secret)).unwrap();
        assert_eq!(
            auth(&[&bearer(&forged)]),
            Err(Rejection::Algorithm("HS256".into()))
        );
    }
}

#[test]
fn other_rsa_and_ec_algorithms_are_rejected() {
    let key = server_key();
    let c = claims();
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        let mut header = Header::new(alg);
        header.kid = Some(key.kid().to_owned());
        let token = jsonwebtoken::encode(&header, &c, &key.encoding).unwrap();
        assert_eq!(
            auth(&[&bearer(&token)]),
            Err(Rejection::Algorithm(format!("{alg:?}")))
        );
    }
    // An RS256 header over a PS256 signature by the right key.
    let mut header = Header::new(Algorithm::PS256);
    header.kid = Some(key.kid().to_owned());
    let ps = jsonwebtoken::encode(&header, &c, &key.encoding).unwrap();
    let rs = issue(&ring(), &c).unwrap();
    let forged = format!(
        "{}.{}.{}",
        segments(rs.expose())[0],
        segments(rs.expose())[1],
        segments(&ps)[2]
    );
    assert_eq!(auth(&[&bearer(&forged)]), Err(Rejection::BadSignature));
}

// ---- AUTH-3: the audience and the claims ------------------------------------------------------

#[test]
fn aud_naming_another_environment_or_project_is_rejected_even_when_signed() {
    for endpoint in [
        "http://127.0.0.1:4000/v2/proj/staging",
        "http://127.0.0.1:4000/v2/other/master",
        "http://127.0.0.1:4000/v2/proj/master/",
        "http://127.0.0.1:4000/v2/proj/master/upload",
        "http://127.0.0.1:4000/v2/proj",
        "http://127.0.0.1:4000/content/proj/master",
        "http://127.0.0.1:4000/V2/proj/master",
        "http://127.0.0.1:4000/v2/proj/%6Daster",
    ] {
        let c = PatClaims::new(endpoint, MANAGEMENT, ISSUER, "sub");
        let token = issue(&ring(), &c).unwrap();
        assert_eq!(
            auth(&[&bearer(token.expose())]),
            Err(Rejection::OtherEnvironment),
            "{endpoint}"
        );
    }
}

#[test]
fn a_token_of_environment_a_is_rejected_by_environment_b() {
    let (token, _) = valid();
    for path in ["/v2/proj/staging", "/v2/other/master", "/v2/proj/master/"] {
        assert_eq!(
            authorize(&[&bearer(&token)], path, &ring(), all_live),
            Err(Rejection::OtherEnvironment),
            "{path}"
        );
    }
}

#[test]
fn scheme_host_port_query_and_fragment_of_aud0_are_ignored() {
    for endpoint in [
        "https://api-eu-central-1.hygraph.com/v2/proj/master",
        "http://localhost/v2/proj/master",
        "http://127.0.0.1:9/v2/proj/master?x=1#frag",
        "ftp://user:pw@h/v2/proj/master",
    ] {
        let c = PatClaims::new(endpoint, MANAGEMENT, ISSUER, "sub");
        let token = issue(&ring(), &c).unwrap();
        assert_eq!(
            auth(&[&bearer(token.expose())]),
            Ok(Credential::Pat { jti: c.jti.clone() }),
            "{endpoint}"
        );
    }
}

#[test]
fn aud_that_is_not_an_array_of_a_url_first_is_rejected() {
    let endpoint = "http://127.0.0.1:4000/v2/proj/master";
    for (aud, reason) in [
        (json!(endpoint), "not an array"),
        (json!({"0": endpoint}), "not an array"),
        (Value::Null, "missing"),
        (json!([]), "empty array"),
        (json!([1, endpoint]), "first element is not a string"),
        (json!([[endpoint]]), "first element is not a string"),
        (json!(["/v2/proj/master"]), "first element is not a URL"),
        (
            json!(["127.0.0.1:4000/v2/proj/master"]),
            "first element is not a URL",
        ),
        (json!([""]), "first element is not a URL"),
    ] {
        let mut c = claims_json();
        c["aud"] = aud.clone();
        let token = sign_raw(&rs256_header(server_key().kid()), &c, server_key());
        assert_eq!(
            auth(&[&bearer(&token)]),
            Err(Rejection::Audience(reason)),
            "{aud}"
        );
    }
    // aud missing altogether.
    let mut c = claims_json();
    c.as_object_mut().unwrap().remove("aud");
    let token = sign_raw(&rs256_header(server_key().kid()), &c, server_key());
    assert_eq!(
        auth(&[&bearer(&token)]),
        Err(Rejection::Audience("missing"))
    );
    // Only aud[0] counts: a second element naming another environment is fine.
    let mut c = claims_json();
    c["aud"] = json!([endpoint, "http://127.0.0.1:4000/v2/other/env", 3]);
    let token = sign_raw(&rs256_header(server_key().kid()), &c, server_key());
    assert!(auth(&[&bearer(&token)]).is_ok());
}

#[test]
fn jti_must_be_a_string() {
    for jti in [Value::Null, json!(12), json!(["a"])] {
        let mut c = claims_json();
        c["jti"] = jti.clone();
        let token = sign_raw(&rs256_header(server_key().kid()), &c, server_key());
        assert_eq!(
            auth(&[&bearer(&token)]),
            Err(Rejection::MissingJti),
            "{jti}"
        );
    }
    let mut c = claims_json();
    c.as_object_mut().unwrap().remove("jti");
    let token = sign_raw(&rs256_header(server_key().kid()), &c, server_key());
    assert_eq!(auth(&[&bearer(&token)]), Err(Rejection::MissingJti));
}

#[test]
fn claims_that_are_not_an_object_are_rejected() {
    let endpoint = "http://127.0.0.1:4000/v2/proj/master";
    for c in [json!([[endpoint], "jti"]), json!("x"), json!(3)] {
        let token = sign_raw(&rs256_header(server_key().kid()), &c, server_key());
        assert_eq!(
            auth(&[&bearer(&token)]),
            Err(Rejection::Malformed("claims are not a JSON object")),
            "{c}"
        );
    }
}

#[test]
fn no_other_claim_is_checked() {
    let now = claims().iat;
    let variants: Vec<(&str, Value)> = vec![
        ("exp", json!(1)),
        ("exp", json!("yesterday")),
        ("nbf", json!(now + 1_000_000)),
        ("iat", json!(now + 1_000_000)),
        ("iat", json!("soon")),
        ("iss", json!("https://evil.example/")),
        ("iss", json!(42)),
        ("sub", json!(null)),
        ("version", json!(1)),
        ("extra", json!({"nested": [1, 2]})),
    ];
    for (name, value) in variants {
        let mut c = claims_json();
        c[name] = value.clone();
        let token = sign_raw(&rs256_header(server_key().kid()), &c, server_key());
        assert!(auth(&[&bearer(&token)]).is_ok(), "{name}: {value}");
    }
    // Only aud and jti at all.
    let c = json!({"aud": ["http://x/v2/proj/master"], "jti": "j"});
    let token = sign_raw(&rs256_header(server_key().kid()), &c, server_key());
    assert_eq!(
        auth(&[&bearer(&token)]),
        Ok(Credential::Pat { jti: "j".into() })
    );
    // A header without typ, or with other string members, is fine too.
    let header = json!({"alg": "RS256", "kid": server_key().kid(), "x": "y"});
    let token = sign_raw(&header, &claims_json(), server_key());
    assert!(auth(&[&bearer(&token)]).is_ok());
}

#[test]
fn header_members_that_jsonwebtoken_cannot_read_are_malformed() {
    // jsonwebtoken reads unknown header members as strings only: a signed token whose header has
    // a non-string extra member (or a non-string typ or kid) is refused. Only the holder of a
    // server key can make one; pinned here so that a change of the library shows.
    for header in [
        json!({"alg": "RS256", "kid": server_key().kid(), "x": 1}),
        json!({"alg": "RS256", "kid": server_key().kid(), "typ": 1}),
        json!({"alg": "RS256", "kid": 1}),
        json!({"kid": server_key().kid()}),
        json!([]),
    ] {
        let token = sign_raw(&header, &claims_json(), server_key());
        assert_eq!(
            auth(&[&bearer(&token)]),
            Err(Rejection::MalformedHeader),
            "{header}"
        );
    }
}

// ---- AUTH-3, AUTH-4: liveness and identity ----------------------------------------------------

#[test]
fn revoked_pat_is_rejected_and_never_falls_back_to_public() {
    let (token, _) = valid();
    let revoked = authorize(&[&bearer(&token)], PATH, &ring(), |_, _| false);
    assert_eq!(revoked, Err(Rejection::Revoked));
}

#[test]
fn is_live_is_asked_about_the_tokens_jti_and_the_request_path() {
    let (token, jti) = valid();
    let asked = std::cell::RefCell::new(Vec::new());
    let result = authorize(&[&bearer(&token)], PATH, &ring(), |j, env| {
        asked.borrow_mut().push((j.to_owned(), env.to_owned()));
        j == jti
    });
    assert_eq!(result, Ok(Credential::Pat { jti: jti.clone() }));
    assert_eq!(asked.into_inner(), vec![(jti, PATH.to_owned())]);
}

#[test]
fn re_encoded_token_with_the_same_jti_is_the_same_pat() {
    let (original, jti) = valid();
    let mut c = claims();
    c.jti = jti.clone();
    c.iss = "https://management-eu-central-1.hygraph.com/".into();
    c.aud = vec![
        "https://api-eu-central-1.hygraph.com/v2/proj/master".into(),
        "management-next.graphcms.com".into(),
    ];
    c.iat += 7;
    let reencoded = issue(&ring(), &c).unwrap().into_exposed();
    assert_ne!(original, reencoded);
    let live = |j: &str, _: &str| j == jti;
    for token in [&original, &reencoded] {
        assert_eq!(
            authorize(&[&bearer(token)], PATH, &ring(), live),
            Ok(Credential::Pat { jti: jti.clone() })
        );
    }
    // Deleting the PAT invalidates both strings.
    for token in [&original, &reencoded] {
        assert_eq!(
            authorize(&[&bearer(token)], PATH, &ring(), |_, _| false),
            Err(Rejection::Revoked)
        );
    }
}

// ---- never panic ------------------------------------------------------------------------------

#[test]
fn huge_headers_do_not_panic() {
    let (token, _) = valid();
    let huge = "a".repeat(1 << 20);
    let values = [
        format!("Bearer {huge}"),
        format!("Bearer {huge}.{huge}.{huge}"),
        format!("Bearer {token}{huge}"),
        format!("Bearer {}", ".".repeat(1 << 16)),
        huge.clone(),
    ];
    for value in &values {
        assert!(auth(&[value]).is_err());
    }
    // Whitespace around the value is trimmed, however much of it there is.
    let padded = format!(
        "{}Bearer {token}{}",
        " ".repeat(1 << 16),
        "\t".repeat(1 << 16)
    );
    assert!(auth(&[&padded]).is_ok());
    let many: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(auth(&many), Err(Rejection::MultipleHeaders));
}

#[test]
fn every_truncation_of_a_valid_token_is_rejected() {
    let (token, _) = valid();
    for end in 0..token.len() {
        let value = bearer(&token[..end]);
        assert!(auth(&[&value]).is_err(), "{end}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_header_values_never_panic(value in any::<String>()) {
        let _ = auth(&[&value]);
        let _ = auth(&[&bearer(&value)]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = auth(&[&text]);
        let _ = auth(&[&bearer(&text)]);
        // Three base64url segments of random bytes: well-formed enough to reach the decoder.
        let third = bytes.len() / 3;
        let forged = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(&bytes[..third]),
            URL_SAFE_NO_PAD.encode(&bytes[third..2 * third]),
            URL_SAFE_NO_PAD.encode(&bytes[2 * third..]),
        );
        prop_assert!(auth(&[&bearer(&forged)]).is_err());
    }

    #[test]
    fn random_json_header_and_claims_never_panic(
        header in json_value(),
        claims in json_value(),
        signature in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let forged = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(&signature),
        );
        prop_assert!(auth(&[&bearer(&forged)]).is_err());
    }

    #[test]
    fn mutated_valid_tokens_are_rejected(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let (token, _) = valid_cached();
        let mut bytes = token.as_bytes().to_vec();
        let at = index.index(bytes.len());
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        // A changed byte may only be accepted if it decodes to the same token (base64's
        // unused low bits in the last character of a segment are the one way).
        if let Ok(Credential::Pat { jti }) = auth(&[&bearer(&text)]) {
            prop_assert_eq!(&jti, &token_jti());
        }
    }
}

/// One valid token per process, for the mutation property.
fn valid_cached() -> &'static (String, String) {
    static TOKEN: OnceLock<(String, String)> = OnceLock::new();
    TOKEN.get_or_init(valid)
}

fn token_jti() -> String {
    valid_cached().1.clone()
}

fn json_value() -> impl Strategy<Value = Value> {
    let kid = server_key().kid().to_owned();
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9:/._-]{0,40}".prop_map(Value::String),
        Just(json!("RS256")),
        Just(json!(kid)),
        Just(json!("http://127.0.0.1:4000/v2/proj/master")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("alg".to_owned()),
                        Just("kid".to_owned()),
                        Just("aud".to_owned()),
                        Just("jti".to_owned()),
                        "[a-z]{1,4}"
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}
