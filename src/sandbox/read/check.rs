//! The permission checks of ERR-1 step 6 below the root fields: READ-6's check of every
//! relation field of a selection, made before execution with the stage and locale list each
//! field inherits (CTX-4). READ-1's check of the root fields is in the module above.

use crate::sandbox::faults::Fault;
use crate::sandbox::read::exec::Exec;
use crate::sandbox::read::plan::{ConnPart, EdgePart, Item};
use crate::sandbox::read::ReadError;

impl Exec<'_> {
    /// READ-6's check of every relation field of `items` (any depth; not below
    /// `documentInStages`, READ-7) for the stage and locale list in force: pushes the path of
    /// each denied field (response keys, no list indices); fields below a denied one are not
    /// checked. Fault `relation-ignores-grants` skips the check.
    pub fn check_items(
        &self,
        items: &[Item],
        stage: &str,
        locales: &[String],
        path: &mut Vec<String>,
        denied: &mut Vec<Vec<String>>,
    ) -> Result<(), ReadError> {
        if self.has(Fault::RelationIgnoresGrants) {
            return Ok(());
        }
        for it in items {
            let (key, target, own, sel) = match it {
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
                } => (key, *target, locales, sel),
                _ => continue,
            };
            let locs = self.relation_locales(own, locales);
            path.push(key.clone());
            if self.covered(target, stage, &locs)? {
                self.check_items(sel, stage, &locs, path, denied)?;
            } else {
                denied.push(path.clone());
            }
            path.pop();
        }
        Ok(())
    }

    /// [`Exec::check_items`] for a connection's `edges { node { … } }`.
    pub fn check_connection(
        &self,
        parts: &[ConnPart],
        stage: &str,
        locales: &[String],
        path: &mut Vec<String>,
        denied: &mut Vec<Vec<String>>,
    ) -> Result<(), ReadError> {
        for p in parts {
            let ConnPart::Edges(ek, eparts) = p else {
                continue;
            };
            path.push(ek.clone());
            for e in eparts {
                if let EdgePart::Node(nk, sel) = e {
                    path.push(nk.clone());
                    self.check_items(sel, stage, locales, path, denied)?;
                    path.pop();
                }
            }
            path.pop();
        }
        Ok(())
    }
}
