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
