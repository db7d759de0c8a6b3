//! AUTH-1..AUTH-4: which principal a request acts as, or the 401 it gets. A rejected token
//! never falls back to public access.

use crate::model::grant::{Grant, Pat, Public};
use crate::model::state::State;
use crate::op::{Credential, Outcome, TokenForm};

/// The principal a request is judged as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// The public principal of the addressed environment.
    Public,
    /// A PAT of the addressed environment, by index.
    Pat(usize),
}

/// AUTH-2's header form: `Bearer` in any letter case, one or more spaces, a token of non-space
/// characters; the value trimmed of ASCII whitespace first. Returns the token part.
pub fn parse_bearer(value: &str) -> Option<&str> {
    let v = value.trim_matches(|c: char| c.is_ascii_whitespace());
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() || token.chars().any(|c| c.is_whitespace()) {
        return None;
    }
    Some(token)
}

/// Authenticates a credential against environment `env` of `state` (AUTH-1..AUTH-4).
pub fn authenticate(state: &State, env: usize, cred: &Credential) -> Result<Principal, Outcome> {
    let malformed = |reason: &str| {
        if state.profile.malformed_token_status == 400 {
            Outcome::invalid("AUTH-3", format!("token verification failed: {reason}"))
        } else {
            Outcome::unauthenticated("AUTH-3", format!("token verification failed: {reason}"))
        }
    };
    match cred {
        Credential::Public => Ok(Principal::Public),
        Credential::Header { values } => match values.as_slice() {
            [] => Ok(Principal::Public),
            [one] => match parse_bearer(one) {
                None => Err(Outcome::unauthenticated(
                    "AUTH-2",
                    "token verification failed: the Authorization header is not `Bearer <token>`",
                )),
                // A raw token the case did not issue cannot verify.
                Some(_) => Err(malformed("not a token issued for this environment")),
            },
            _ => Err(Outcome::unauthenticated(
                "AUTH-2",
                "token verification failed: more than one Authorization header",
            )),
        },
        Credential::Token { pat, form, scheme } => {
            // The header value as sent: scheme, one space, token.
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(Outcome::unauthenticated(
                    "AUTH-2",
                    "token verification failed: the Authorization scheme is not Bearer",
                ));
            }
            // The PAT the token was issued for, in whichever environment it lives.
            let issued = state.environments.iter().enumerate().find_map(|(ei, e)| {
                e.pats
                    .iter()
                    .position(|p| &p.name == pat)
                    .map(|pi| (ei, pi))
            });
            let Some((pat_env, pat_idx)) = issued else {
                return Err(malformed("unknown token"));
            };
            let aud_env = match form {
                TokenForm::Valid | TokenForm::Reencoded => Some(pat_env),
                TokenForm::Audience(name) => state.env_index(Some(name)),
                TokenForm::Malformed => return Err(malformed("not a compact JWS")),
                TokenForm::Tampered => {
                    return Err(Outcome::unauthenticated(
                        "AUTH-3",
                        "token verification failed: invalid signature",
                    ))
                }
                TokenForm::OtherKey => {
                    return Err(Outcome::unauthenticated(
                        "AUTH-3",
                        "token verification failed: signed by an unknown key",
                    ))
                }
            };
            if aud_env != Some(env) {
                return Err(Outcome::unauthenticated(
                    "AUTH-3",
                    "token verification failed: audience is another environment",
                ));
            }
            if pat_env != env {
                return Err(Outcome::unauthenticated(
                    "AUTH-3",
                    "token verification failed: no such token in this environment",
                ));
            }
            let revoked = state
                .environments
                .get(env)
                .and_then(|e| e.pats.get(pat_idx))
                .is_none_or(|p| p.revoked);
            if revoked {
                return Err(Outcome::unauthenticated(
                    "AUTH-3",
                    "token verification failed: token revoked",
                ));
            }
            Ok(Principal::Pat(pat_idx))
        }
    }
}

/// The grants a principal is judged by (AUTH-1; knob `public_adds_to_pat`).
/// Borrowed from the environment's principals, so a request copies no grant.
pub fn grants_of<'e>(
    public: &'e Public,
    pats: &'e [Pat],
    principal: Principal,
    public_adds_to_pat: bool,
) -> Vec<&'e Grant> {
    match principal {
        Principal::Public => public.grants.iter().collect(),
        Principal::Pat(i) => {
            let own = pats.get(i).map(|p| p.grants.as_slice()).unwrap_or_default();
            let public = if public_adds_to_pat {
                public.grants.as_slice()
            } else {
                &[]
            };
            own.iter().chain(public).collect()
        }
    }
}

/// The principal's default stage (CTX-1).
pub fn default_stage(state: &State, env: usize, principal: Principal) -> usize {
    let Some(e) = state.environments.get(env) else {
        return 1;
    };
    match principal {
        Principal::Public => e.public.default_stage,
        Principal::Pat(i) => e.pats.get(i).map(|p| p.default_stage).unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bearer;

    #[test]
    fn bearer_forms() {
        assert_eq!(parse_bearer("Bearer abc"), Some("abc"));
        assert_eq!(parse_bearer("  bearer   abc "), Some("abc"));
        assert_eq!(parse_bearer("BEARER abc"), Some("abc"));
        assert_eq!(parse_bearer("Bearer"), None);
        assert_eq!(parse_bearer(""), None);
        assert_eq!(parse_bearer("Basic abc"), None);
        assert_eq!(parse_bearer("Bearer a b"), None);
    }
}
