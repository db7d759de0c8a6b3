//! The permission checks of ERR-1 step 6 below the root fields: READ-6's check of every
//! relation field of a selection, made before execution with the stage and locale list each
//! field inherits (CTX-4). READ-1's check of the root fields is in the module above.
//!
//! The selection is walked with a work list in document order: each relation field is judged
//! once; a covered one queues the relation fields of its sub-selection with the locale list
//! it reads with, a denied one records its path and hides what is below it.

use crate::model::project::ModelIdx;
use crate::sandbox::faults::Fault;
use crate::sandbox::read::exec::Exec;
use crate::sandbox::read::plan::{ConnPart, EdgePart, Item, Shape};
use crate::sandbox::read::ReadError;

/// A relation field still to judge: the path to its parent, the field, the parent's locales.
type Pending<'s> = (Vec<String>, Relation<'s>, Vec<String>);

/// A relation field's response key, related model, own `locales:` and sub-selection.
type Relation<'s> = (&'s str, ModelIdx, Option<&'s [String]>, &'s [Item]);

/// Queues the relation fields of `items` (below `path`, inheriting `inherited`) so that they
/// are popped in document order: last first.
fn queue<'s>(
    work: &mut Vec<Pending<'s>>,
    path: &[String],
    items: &'s [Item],
    inherited: &[String],
) {
    for rel in items.iter().rev().filter_map(Item::relation) {
        work.push((path.to_vec(), rel, inherited.to_vec()));
    }
}

impl Item {
    /// A relation field's response key, related model, own `locales:` and sub-selection.
    fn relation(&self) -> Option<Relation<'_>> {
        match self {
            Item::Single {
                key,
                target,
                locales,
                sel,
                ..
            }
            | Item::Many {
                key,
                target,
                locales,
                sel,
                ..
            } => Some((key, *target, locales.as_deref(), sel)),
            _ => None,
        }
    }
}

impl Shape {
    /// The entry selections of a root field with their paths below it: the field's own
    /// selection, or each `edges { node { … } }` of a connection.
    pub(crate) fn entry_selections(&self) -> Vec<(Vec<String>, &[Item])> {
        match self {
            Shape::One { sel, .. } | Shape::List { sel, .. } => vec![(Vec::new(), sel)],
            Shape::Connection { parts, .. } => parts
                .iter()
                .filter_map(|p| match p {
                    ConnPart::Edges(edges, inner) => Some((edges, inner)),
                    _ => None,
                })
                .flat_map(|(edges, inner)| {
                    inner.iter().filter_map(move |e| match e {
                        EdgePart::Node(node, sel) => {
                            Some((vec![edges.clone(), node.clone()], sel.as_slice()))
                        }
                        EdgePart::Typename(_) => None,
                    })
                })
                .collect(),
        }
    }
}

impl Exec<'_> {
    /// READ-6: the paths (response keys from the root field `root`, no list indices) of the
    /// relation fields of `shape` that the principal may not read in `stage` with the locale
    /// list each inherits, at any depth but not below `documentInStages` (READ-7) nor below a
    /// denied field. Fault `relation-ignores-grants` skips the check.
    pub fn denied_relations(
        &self,
        root: &str,
        shape: &Shape,
        stage: &str,
        locales: &[String],
    ) -> Result<Vec<Vec<String>>, ReadError> {
        let mut denied = Vec::new();
        if self.has(Fault::RelationIgnoresGrants) {
            return Ok(denied);
        }
        let mut work: Vec<Pending<'_>> = Vec::new();
        for (below, items) in shape.entry_selections().into_iter().rev() {
            let path: Vec<String> = std::iter::once(root.to_string()).chain(below).collect();
            queue(&mut work, &path, items, locales);
        }
        while let Some((mut path, (key, target, own, sel), inherited)) = work.pop() {
            path.push(key.to_string());
            let reads_with = self.relation_locales(own, &inherited);
            if self.covered(target, stage, &reads_with)? {
                queue(&mut work, &path, sel, &reads_with);
            } else {
                denied.push(path);
            }
        }
        Ok(denied)
    }
}
