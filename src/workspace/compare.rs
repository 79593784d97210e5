//! Run comparison and gold scores (SPEC §4a) for both fronts: names resolve to runs or groups
//! the git way, then `evidence::compare_runs` does the work.

use super::{RunOrGroup, Workspace};
use crate::evidence::compare_runs::{self, CompareError, Comparison, Side};
use crate::store::StoreError;

impl Workspace {
    /// One side of a comparison from a run or group name.
    fn compare_side(&self, name: &str) -> Result<Side, CompareError> {
        let resolved = self
            .resolve_run_or_group(name)
            .map_err(|e| CompareError::Name(e.to_string()))?;
        let (label, runs) = match resolved {
            RunOrGroup::Run(id) => {
                let run = self.store.get_run(&id)?.ok_or(StoreError::NotFound {
                    kind: "run",
                    prefix: id.clone(),
                })?;
                (id, vec![run])
            }
            RunOrGroup::Group(g) => {
                let runs = self.store.group_runs(&g)?;
                (g.group_id.clone(), runs)
            }
        };
        let schema = match runs.first() {
            Some(r) => self
                .store
                .get_schema(&r.schema_id)?
                .map(|s| s.json)
                .unwrap_or_default(),
            None => serde_json::Value::Null,
        };
        Ok(Side {
            name: label,
            runs,
            schema,
        })
    }

    /// Compare run (or group) `a` with `b` on every shared field, or only `field`; with
    /// `gold`, `b`'s confirmed values are the answers `a` is scored against.
    pub fn compare_runs(
        &self,
        a: &str,
        b: &str,
        field: Option<&str>,
        gold: bool,
    ) -> Result<Comparison, CompareError> {
        let (sa, sb) = (self.compare_side(a)?, self.compare_side(b)?);
        compare_runs::compare(&self.store, &sa, &sb, field, gold)
    }
}

/// A run the grid compares its run with: the blocks where they disagree need a look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Against {
    pub run_id: String,
    /// Score against the other run's confirmed values (a gold run) rather than compare.
    pub gold: bool,
}

impl Workspace {
    /// The staged blocks of `run` that need a look and the clean ones (SPEC §4a); with
    /// `against`, the blocks that disagree with that run (or differ from it as gold) too. The
    /// second value says why `against` was left out (another document, the run itself).
    pub fn look_set(
        &self,
        run: &crate::model::Run,
        against: Option<&Against>,
    ) -> Result<(crate::review::look::LookSet, Option<String>), super::Error> {
        let mut differing = std::collections::BTreeSet::new();
        let mut note = None;
        match against {
            Some(a) if a.run_id == run.run_id => {
                note = Some(format!("{} is the run itself: not compared", a.run_id));
            }
            Some(a) => match self.compare_runs(&run.run_id, &a.run_id, None, a.gold) {
                Ok(c) => {
                    for t in &c.fields {
                        differing.extend(t.differing.iter().map(|&(_, i)| i));
                    }
                }
                Err(e) => note = Some(format!("not compared with {}: {e}", a.run_id)),
            },
            None => {}
        }
        let set = crate::review::look::look_set(&self.store, run, &differing)?;
        Ok((set, note))
    }
}
