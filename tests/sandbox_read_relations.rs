//! The sandbox's reads (`sandbox::read::execute_query`) against the reference on generated
//! cases: random content over Post (localized title, single `author`, list `tags`), Author and
//! Tag (reverse fields `posts`), with documents in DRAFT, PUBLISHED and QA, some links dangling
//! in a stage (DATA-4); random READ grants for the public principal and a PAT (model, stage and
//! locale lists, conditions, disabled ones); and random queries: root lists, single entries and
//! connections with `stage`, `locales`, `where`, `orderBy`, `first`, `skip`, nested single,
//! list and reverse relation fields with their own `locales`, `where`, `orderBy` and paging
//! (READ-6, READ-9, CTX-4), `documentInStages` (READ-7), aliases, `gcms-*` headers, and now
//! and then an argument that step 5 refuses (READ-3, READ-9, CTX-2, WHERE-1) next to a field
//! the principal may not read (ERR-1: the 400 wins). Both sides must give the same `data`, the
//! same 403 paths in the same order, or both a 400.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_read_support;

use proptest::prelude::*;
use tollgate::fuzzing::Bytes;

use sandbox_read_support::gen::{gen_case, Gen};
use sandbox_read_support::{Answer, Both, Who};

fn differential(
    b: &mut Bytes<'_>,
    queries: usize,
    invalid_odds: usize,
) -> Result<(), TestCaseError> {
    let env = gen_case(b);
    let mut both = Both::load(&env);
    let schema = tollgate::sandbox::store::build_schema(&env).unwrap();
    let mut g = Gen::new(&schema, invalid_odds);
    for _ in 0..queries {
        let ask = g.ask(b);
        for who in [Who::Public, Who::Pat] {
            let (r, s) = both.both(who, &ask);
            prop_assert_eq!(
                &s,
                &r,
                "{:?} {:?}\nvariables {:?}\nheaders {:?} {:?}\n{}",
                who,
                ask.query,
                ask.variables,
                ask.stage,
                ask.locales,
                serde_yaml_ng::to_string(&env).unwrap()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// READ-6, READ-9, CTX-4, DATA-4, READ-7 on valid queries.
    #[test]
    fn relation_reads_agree_with_the_reference(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        let mut b = Bytes::new(&bytes);
        differential(&mut b, 6, 0)?;
    }

    /// ERR-1: with now and then an argument step 5 refuses, anywhere in the selection.
    #[test]
    fn invalid_arguments_are_400s_before_any_403(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        let mut b = Bytes::new(&bytes);
        differential(&mut b, 6, 40)?;
    }
}

#[test]
fn the_generator_reaches_every_outcome() {
    // Guard against a generator that only ever produces one kind of answer.
    let (mut data, mut denied, mut invalid, mut nonempty_relation) = (0, 0, 0, 0);
    for seed in 0u32..60 {
        let bytes: Vec<u8> = (0..1500u32)
            .map(|i| {
                (i.wrapping_mul(2_654_435_761)
                    .wrapping_add(seed.wrapping_mul(97))
                    >> 13) as u8
            })
            .collect();
        let mut b = Bytes::new(&bytes);
        let env = gen_case(&mut b);
        let mut both = Both::load(&env);
        let schema = tollgate::sandbox::store::build_schema(&env).unwrap();
        let mut g = Gen::new(&schema, if seed % 2 == 0 { 0 } else { 40 });
        for _ in 0..4 {
            let ask = g.ask(&mut b);
            match both.reference(Who::Pat, &ask) {
                Answer::Data(d) => {
                    data += 1;
                    let text = d.to_string();
                    if text.contains("\"tags\":[{") || text.contains("\"posts\":[{") {
                        nonempty_relation += 1;
                    }
                }
                Answer::Denied(_) => denied += 1,
                Answer::Invalid => invalid += 1,
            }
        }
    }
    assert!(data > 20 && denied > 5 && invalid > 5 && nonempty_relation > 3,
        "data {data}, denied {denied}, invalid {invalid}, non-empty relation lists {nonempty_relation}");
}
