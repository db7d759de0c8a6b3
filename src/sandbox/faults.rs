//! The sandbox's switchable enforcement bugs (`tollgate serve --fault NAME`): each [`Fault`] is
//! one realistic mistake a CMS could make, named, with the rule it violates and one line on
//! what it breaks. They exist to measure the fuzzer: a campaign against the sandbox with a
//! fault on should find a divergence citing that rule (issue 4's fault score).
//!
//! Without any fault the sandbox follows the spec exactly. A fault is switched on for a whole
//! [`Store`](crate::sandbox::store::Store) ([`Store::set_faults`](crate::sandbox::store::Store::set_faults)),
//! and the code it concerns asks [`Faults::has`] at the one place where the bug would live, so
//! each fault is a small, local deviation rather than a second code path.

use std::fmt;
use std::str::FromStr;

/// The part of the sandbox a fault lives in (for `--list-faults` and for the reader).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Area {
    /// Grants and principals (§2, §3).
    Grants,
    /// Conditions and `where` filters compiled into SQL (§5).
    Filters,
    /// Reads (§6) and the request context (§4).
    Reads,
    /// Writes (§7).
    Writes,
    /// Tokens and the HTTP layer (§2, §8).
    Auth,
}

impl Area {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Area::Grants => "grants",
            Area::Filters => "filters",
            Area::Reads => "reads",
            Area::Writes => "writes",
            Area::Auth => "auth",
        }
    }
}

macro_rules! faults {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $area:ident, $rule:literal, $what:literal; )*) => {
        /// One switchable enforcement bug of the sandbox.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault {
            $( $(#[$doc])* $variant, )*
        }

        impl Fault {
            /// Every fault, in the order `--list-faults` prints them.
            pub const ALL: &'static [Fault] = &[ $( Fault::$variant, )* ];

            /// The name given to `--fault`.
            pub fn name(self) -> &'static str {
                match self { $( Fault::$variant => $name, )* }
            }

            /// Where in the sandbox it lives.
            pub fn area(self) -> Area {
                match self { $( Fault::$variant => Area::$area, )* }
            }

            /// The spec rule it violates.
            pub fn rule(self) -> &'static str {
                match self { $( Fault::$variant => $rule, )* }
            }

            /// One line on what it breaks.
            pub fn description(self) -> &'static str {
                match self { $( Fault::$variant => $what, )* }
            }
        }
    };
}

faults! {
    // --- grants and principals -------------------------------------------------------------
    /// READ grants' locale lists are ignored (a grant for `[en]` also serves `de`).
    GrantLocalesIgnored = "grant-locales-ignored", Grants, "PERM-2",
        "a grant's locale list is ignored: a grant for [en] also covers every other locale";
    /// Disabled grants grant as if enabled.
    DisabledGrantsHonoured = "disabled-grants-honoured", Grants, "PERM-1",
        "disabled grants are honoured as if enabled";
    /// An empty stage list covers every stage instead of none.
    EmptyStagesMeanAll = "empty-stages-mean-all", Grants, "PERM-2",
        "a grant's empty stage list [] covers every stage instead of none";
    /// The public principal's grants are added to every PAT request.
    PublicAddsToPat = "public-adds-to-pat", Grants, "AUTH-1",
        "public grants are added to the grants of every PAT request";
    /// A PAT's `defaults.stage` is ignored: PAT requests default to the public default stage.
    PatDefaultStageIgnored = "pat-default-stage-ignored", Grants, "CTX-1",
        "a PAT's default stage is ignored: its requests default to the public default stage";
    /// A document whose grant condition fails in its served locale is tried in the next
    /// requested locale.
    LocaleFallbackOnCondition = "locale-fallback-on-condition", Grants, "READ-2",
        "an entry hidden in its first present locale (a grant condition failing there) is served in the next requested locale where it is visible";

    // --- conditions and where filters ----------------------------------------------------
    /// `f_not: x` is also true on a null value.
    NotMatchesNull = "not-matches-null", Filters, "WHERE-1",
        "`f_not: x` matches documents whose f is null (SQL `IS NOT` instead of `<>`)";
    /// `_contains` is SQL `LIKE`: case-insensitive for ASCII, `%` and `_` are wildcards.
    ContainsCaseInsensitive = "contains-case-insensitive", Filters, "WHERE-5",
        "`_contains` is compiled to SQL LIKE: case-insensitive, with `%` and `_` as wildcards";
    /// `NOT: [a, b]` is read as "none of them" instead of "not all of them".
    NotAsNotAny = "not-as-not-any", Filters, "WHERE-1",
        "`NOT: [a, b]` is read as none-of (¬a ∧ ¬b) instead of not-all (¬(a ∧ b))";
    /// SQL three-valued logic: `NOT` of a leaf on a null value is null, so false.
    ThreeValuedNulls = "three-valued-nulls", Filters, "WHERE-1",
        "leaves are not collapsed to 0/1 (SQL three-valued logic): NOT of a leaf on a null value is false, and _every ignores related entries where its filter is null";
    /// Relation filters follow a link to the related entry's document in any stage.
    RelationFilterAnyStage = "relation-filter-any-stage", Filters, "DATA-4",
        "relation filters follow links to the related entry in any stage, not only the document's own";

    // --- reads and the request context ---------------------------------------------------
    /// The `gcms-stage` header beats the root field's `stage` argument.
    HeaderBeatsStageArg = "header-beats-stage-arg", Reads, "CTX-1",
        "the gcms-stage header beats the root field's stage argument";
    /// `first`/`skip` are applied before the permission filter.
    PaginateBeforeFilter = "paginate-before-filter", Reads, "READ-3",
        "first/skip are applied before permission filtering (root lists, edges and relation lists), so pages come back short";
    /// `aggregate.count` ignores grant conditions.
    CountIgnoresConditions = "count-ignores-conditions", Reads, "READ-5",
        "aggregate.count counts entries that grant conditions hide";
    /// Relation fields ignore the related model's READ grants.
    RelationIgnoresGrants = "relation-ignores-grants", Reads, "READ-6",
        "relation fields ignore the related model's READ grants: no READ-6 check (no 403) and every related entry present in the locales shows";
    /// Relation fields read related entries in the default locale, not the inherited list.
    RelationLocaleReset = "relation-locale-reset", Reads, "CTX-4",
        "relation fields read related entries in the default locale instead of the parent's locale list";
    /// `documentInStages` returns documents of stages no grant covers.
    DocumentInStagesLeak = "document-in-stages-leak", Reads, "READ-7",
        "documentInStages judges every stage by the grants of the parent's stage, returning documents in stages the principal cannot read";
    /// `post(where: {id})` returns an entry that grant conditions hide.
    SingleIgnoresConditions = "single-ignores-conditions", Reads, "READ-4",
        "a single-entry query by id returns the entry even when grant conditions hide it";

    // --- writes --------------------------------------------------------------------------
    /// Update checks its grant condition on the stored document only.
    UpdateConditionStoredOnly = "update-condition-stored-only", Writes, "WRITE-2",
        "an update's grant condition is checked on the stored document only, not on the updated one";
    /// Create does not require the default locale.
    CreateSkipsDefaultLocale = "create-skips-default-locale", Writes, "WRITE-1",
        "create does not require CREATE and READ in the default locale";
    /// Delete does not require UNPUBLISH on the stages the entry is published to.
    DeleteSkipsUnpublish = "delete-skips-unpublish", Writes, "WRITE-3",
        "delete does not check UNPUBLISH on the stages the entry is published to";
    /// Publish checks `fromStages` but not `toStages`.
    PublishIgnoresToStages = "publish-ignores-to-stages", Writes, "WRITE-4",
        "publish does not check that the grant's toStages cover the target stage";
    /// Connecting a two-way relation does not require UPDATE on the other end.
    ConnectSkipsRelatedUpdate = "connect-skips-related-update", Writes, "WRITE-10",
        "connecting or disconnecting a two-way relation does not require UPDATE on the other end";
    /// A batch with a denied field keeps the writes of the fields before it.
    HalfAppliedMutation = "half-applied-mutation", Writes, "WRITE-8",
        "a mutation batch with a denied field keeps the writes of the fields before it";
    /// A mutation's result is read back without READ visibility.
    MutationResultUnfiltered = "mutation-result-unfiltered", Writes, "WRITE-7",
        "a mutation's result is read back without READ visibility (the written entry always shows)";

    // --- tokens and the HTTP layer -------------------------------------------------------
    /// A deleted PAT's tokens stay valid.
    RevokedTokenAccepted = "revoked-token-accepted", Auth, "AUTH-4",
        "a deleted (revoked) PAT's tokens are still accepted";
    /// A token issued for another environment of the server is accepted.
    ForeignEnvironmentToken = "foreign-environment-token", Auth, "AUTH-3",
        "a token issued for another environment is accepted (aud is not checked)";
    /// A token that does not verify falls back to the public principal.
    MalformedTokenPublic = "malformed-token-public", Auth, "AUTH-3",
        "a token that fails verification falls back to public access instead of a 401";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown fault name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?} (`tollgate serve --list-faults` lists them)")]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Fault, UnknownFault> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFault(s.to_string()))
    }
}

/// A set of faults switched on (empty: the sandbox follows the spec).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Faults(u64);

impl Faults {
    /// No fault: the faithful sandbox.
    pub const NONE: Faults = Faults(0);

    fn bit(f: Fault) -> u64 {
        1u64 << (f as u32)
    }

    /// This set with `f` switched on.
    pub fn with(self, f: Fault) -> Faults {
        Faults(self.0 | Faults::bit(f))
    }

    /// Whether `f` is on.
    pub fn has(self, f: Fault) -> bool {
        self.0 & Faults::bit(f) != 0
    }

    /// Whether no fault is on.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The faults switched on, in [`Fault::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Fault> {
        Fault::ALL.iter().copied().filter(move |f| self.has(*f))
    }
}

impl FromIterator<Fault> for Faults {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> Faults {
        iter.into_iter().fold(Faults::NONE, Faults::with)
    }
}

/// The `--list-faults` text: one line per fault, `name  [rule, area]  what it breaks`.
pub fn list() -> String {
    let width = Fault::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for f in Fault::ALL {
        out.push_str(&format!(
            "{:width$}  {:<8} {:<8} {}\n",
            f.name(),
            f.rule(),
            f.area().name(),
            f.description()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for f in Fault::ALL {
            assert!(seen.insert(f.name()), "duplicate name {}", f.name());
            assert_eq!(f.name().parse::<Fault>().unwrap(), *f);
        }
        assert!("no-such-fault".parse::<Fault>().is_err());
        assert!(Fault::ALL.len() >= 20 && Fault::ALL.len() <= 64);
    }

    #[test]
    fn sets_hold_what_was_put_in() {
        let s: Faults = [Fault::NotAsNotAny, Fault::RevokedTokenAccepted]
            .into_iter()
            .collect();
        assert!(s.has(Fault::NotAsNotAny) && s.has(Fault::RevokedTokenAccepted));
        assert!(!s.has(Fault::PublicAddsToPat));
        assert_eq!(s.iter().count(), 2);
        assert!(Faults::NONE.is_empty() && !s.is_empty());
    }

    #[test]
    fn every_area_has_faults_and_every_rule_is_a_spec_id() {
        for a in [
            Area::Grants,
            Area::Filters,
            Area::Reads,
            Area::Writes,
            Area::Auth,
        ] {
            assert!(Fault::ALL.iter().any(|f| f.area() == a), "{a:?}");
        }
        let rules = include_str!("../../docs/rules.md");
        for f in Fault::ALL {
            assert!(rules.contains(f.rule()), "{} cites {}", f.name(), f.rule());
        }
        assert_eq!(list().lines().count(), Fault::ALL.len());
    }
}
