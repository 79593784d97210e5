//! What the Runs list shows at launch (issue 22), in one read transaction: the heads of the
//! runs of no group, every group and its tally. A group of 1,000 members is then one record
//! and one tally, not 1,000 heads. When the solo heads or a tally are not in step with the
//! runs (see `head_tables.rs`), it lists every head instead and the reader sums the members.

use redb::{ReadableTable, ReadableTableMetadata};

use super::group_tally::GroupTally;
use super::tables::{GROUP_TALLIES, RUNS, RUN_GROUPS, SOLO_HEADS};
use super::{run_heads, sealed, Head, Store, StoreError};
use crate::model::RunGroup;

/// The runs and groups a list shows (see the module doc).
#[derive(Debug, Clone)]
pub struct RunOverview {
    /// Heads oldest first: of the runs of no group, or of every run when `members_listed`.
    pub runs: Vec<Head>,
    /// Every run group, oldest first.
    pub groups: Vec<RunGroup>,
    /// `tallies[i]` sums `groups[i]`'s members (`None` when `members_listed`).
    pub tallies: Vec<Option<GroupTally>>,
    /// `runs` holds the group members too (the tallies could not be trusted).
    pub members_listed: bool,
}

impl Store {
    /// The heads of the runs of no group, every group and its tally (one read transaction).
    pub fn run_overview(&self) -> Result<RunOverview, StoreError> {
        let _reading = super::guard::reading("the run heads and group tallies");
        let (groups, fast) = {
            let tx = self.read()?;
            let groups = groups_in(&tx)?;
            let fast = fast_path(&tx, &groups)?;
            (groups, fast)
        };
        if let Some((runs, tallies)) = fast {
            return Ok(RunOverview {
                runs,
                tallies: tallies.into_iter().map(Some).collect(),
                groups,
                members_listed: false,
            });
        }
        // The groups as read above; every head (a transaction of its own, as before).
        Ok(RunOverview {
            runs: self.list_heads()?,
            tallies: vec![None; groups.len()],
            groups,
            members_listed: true,
        })
    }

    /// Group `group_id`'s tally, when it is stored and whole.
    pub fn group_tally(&self, group: &RunGroup) -> Result<Option<GroupTally>, StoreError> {
        let tx = self.read()?;
        let t = match tx.open_table(GROUP_TALLIES) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let tally = t
            .get(group.group_id.as_str())?
            .and_then(|raw| GroupTally::decode(raw.value()));
        Ok(tally.filter(|t| t.is_whole(group)))
    }
}

/// Every run group in `tx`, oldest first.
pub(super) fn groups_in(tx: &redb::ReadTransaction) -> Result<Vec<RunGroup>, StoreError> {
    let t = tx.open_table(RUN_GROUPS)?;
    let mut out = Vec::new();
    for entry in t.iter()? {
        out.push(sealed::open_json::<RunGroup>(entry?.1.value(), || {
            "a run group".to_string()
        })?);
    }
    out.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then(a.group_id.cmp(&b.group_id))
    });
    Ok(out)
}

/// The heads of the runs of no group, and each group's tally in the groups' order.
type SoloAndTallies = (Vec<Head>, Vec<GroupTally>);

/// The solo heads and each group's tally, or `None` when they are not in step with the runs:
/// a table missing, a tally damaged or not whole, a head damaged or of a member, or the counts
/// not adding up to the runs.
fn fast_path(
    tx: &redb::ReadTransaction,
    groups: &[RunGroup],
) -> Result<Option<SoloAndTallies>, StoreError> {
    let (solo, tallies) = match (tx.open_table(SOLO_HEADS), tx.open_table(GROUP_TALLIES)) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(redb::TableError::TableDoesNotExist(_)), _)
        | (_, Err(redb::TableError::TableDoesNotExist(_))) => return Ok(None),
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    let mut sums = Vec::with_capacity(groups.len());
    let mut members = 0u64;
    for g in groups {
        let tally = tallies
            .get(g.group_id.as_str())?
            .and_then(|raw| GroupTally::decode(raw.value()));
        match tally {
            Some(t) if t.is_whole(g) => {
                members += u64::from(t.included);
                sums.push(t);
            }
            _ => return Ok(None),
        }
    }
    if tallies.len()? != groups.len() as u64
        || solo.len()? + members != tx.open_table(RUNS)?.len()?
    {
        return Ok(None);
    }
    let Some(heads) = run_heads::lazy_heads(&solo)? else {
        return Ok(None);
    };
    if heads.iter().any(|h| h.group_id().is_some()) {
        return Ok(None);
    }
    Ok(Some((heads, sums)))
}
