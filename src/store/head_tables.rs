//! The tables a run's head is written to (store format 8): `RUN_HEADS` for every run,
//! `SOLO_HEADS` as well for a run of no group, and a group member's difference into its
//! group's tally (`GROUP_TALLIES`). Every writer of a head goes through [`HeadTables`], in the
//! transaction that writes the run record, so the three never disagree after a commit.

use redb::{ReadableTable, ReadableTableMetadata, Table};

use super::group_tally::{GroupTally, Part};
use super::tables::{GROUP_TALLIES, RUNS, RUN_GROUPS, RUN_HEADS, SOLO_HEADS};
use super::{run_heads, sealed, Store, StoreError};
use crate::model::{Run, RunGroup};

type Bytes<'t> = Table<'t, &'static str, &'static [u8]>;

/// The head tables of one write transaction.
pub(super) struct HeadTables<'t> {
    heads: Bytes<'t>,
    solo: Bytes<'t>,
    tallies: Bytes<'t>,
}

/// A head's part in its group's tally: `Err(())` when the head does not decode.
fn part_of(sealed_head: &[u8]) -> Result<Part, ()> {
    let p = sealed::verify(sealed_head)
        .and_then(run_heads::parse)
        .ok_or(())?;
    Ok(Part::new(p.status, &p.counters, &p.usage))
}

impl<'t> HeadTables<'t> {
    pub(super) fn open(tx: &'t redb::WriteTransaction) -> Result<HeadTables<'t>, StoreError> {
        Ok(HeadTables {
            heads: tx.open_table(RUN_HEADS)?,
            solo: tx.open_table(SOLO_HEADS)?,
            tallies: tx.open_table(GROUP_TALLIES)?,
        })
    }

    /// Write `run`'s head (in the transaction that writes its record).
    pub(super) fn put(&mut self, run: &Run) -> Result<(), StoreError> {
        let bytes = run_heads::encode(run);
        let old = self
            .heads
            .insert(run.run_id.as_str(), bytes.as_slice())?
            .map(|g| part_of(g.value()));
        match &run.group_id {
            None => {
                self.solo.insert(run.run_id.as_str(), bytes.as_slice())?;
            }
            Some(group) => {
                let new = Part::new(run.status, &run.counters, &run.usage);
                self.change(group, old, Some(new))?;
            }
        }
        Ok(())
    }

    /// Remove the head of `run` (its record is being deleted).
    pub(super) fn remove(&mut self, run: &Run) -> Result<(), StoreError> {
        let old = self
            .heads
            .remove(run.run_id.as_str())?
            .map(|g| part_of(g.value()));
        self.solo.remove(run.run_id.as_str())?;
        if let Some(group) = &run.group_id {
            self.change(group, old, None)?;
        }
        Ok(())
    }

    /// Write a new group's tally: nothing included yet, its members' block totals.
    pub(super) fn start_group(
        &mut self,
        group_id: &str,
        totals: Vec<u32>,
    ) -> Result<(), StoreError> {
        let t = GroupTally::new(totals);
        self.tallies.insert(group_id, t.encode().as_slice())?;
        Ok(())
    }

    /// Take member head `old` out of `group_id`'s tally and put `new` in. A difference that
    /// cannot be taken (old head or tally damaged) removes the tally: readers then sum the
    /// members, `check` names it, and the next writing open writes it again.
    fn change(
        &mut self,
        group_id: &str,
        old: Option<Result<Part, ()>>,
        new: Option<Part>,
    ) -> Result<(), StoreError> {
        let tally = match self.tallies.get(group_id)? {
            Some(raw) => GroupTally::decode(raw.value()),
            // No tally (removed after damage): nothing to keep in step until it is written.
            None => return Ok(()),
        };
        let (Some(mut tally), Ok(old)) = (tally, old.transpose()) else {
            self.tallies.remove(group_id)?;
            return Ok(());
        };
        if let Some(p) = old {
            tally.remove(&p);
        }
        if let Some(p) = new {
            tally.add(&p);
        }
        self.tallies.insert(group_id, tally.encode().as_slice())?;
        Ok(())
    }
}

/// Every head, solo head and tally written again from the run and group records (migrations 6
/// and 8, and a writing open that finds them out of step). An unreadable run record gets no
/// head (left for `check`); a group with an unreadable member gets no tally (lists sum it).
pub(super) fn fill(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    let groups: Vec<RunGroup> = {
        let t = tx.open_table(RUN_GROUPS)?;
        let mut out = Vec::new();
        for entry in t.iter()? {
            let (k, v) = entry?;
            if let Ok(g) = sealed::open_json(v.value(), || format!("run group {}", k.value())) {
                out.push(g);
            }
        }
        out
    };
    let mut tables = HeadTables::open(tx)?;
    tables.heads.retain(|_, _| false)?;
    tables.solo.retain(|_, _| false)?;
    tables.tallies.retain(|_, _| false)?;
    let runs = tx.open_table(RUNS)?;
    for entry in runs.iter()? {
        let (k, v) = entry?;
        if let Ok(run) = sealed::open_json::<Run>(v.value(), || format!("run {}", k.value())) {
            if run.group_id.is_none() {
                tables.put(&run)?;
            } else {
                // A member's head now; its tally below, from every member at once.
                tables
                    .heads
                    .insert(run.run_id.as_str(), run_heads::encode(&run).as_slice())?;
            }
        }
    }
    for g in &groups {
        let mut members = Vec::with_capacity(g.run_ids.len());
        for id in &g.run_ids {
            let run = runs
                .get(id.as_str())?
                .and_then(|raw| sealed::open_json::<Run>(raw.value(), || id.clone()).ok());
            match run {
                Some(r) => members.push(r),
                None => break,
            }
        }
        if members.len() == g.run_ids.len() {
            let totals = super::group_tally::totals_of(&members);
            let t = GroupTally::of_members(totals, &members);
            tables
                .tallies
                .insert(g.group_id.as_str(), t.encode().as_slice())?;
        }
    }
    Ok(())
}

/// On a writing open: when a head table is missing or holds another number of records than
/// it should (a store stamped by a build that skipped a migration, or a head or tally lost to
/// damage), write them all again. Otherwise a read of table lengths and of the tallies' counts.
pub(super) fn fill_if_out_of_step(store: &Store) -> Result<(), StoreError> {
    let in_step = {
        let tx = store.read()?;
        let runs = tx.open_table(RUNS)?.len()?;
        let groups = tx.open_table(RUN_GROUPS)?.len()?;
        let open = |def| match tx.open_table(def) {
            Ok(t) => Ok(Some(t)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(StoreError::from(e)),
        };
        let (heads, solo, tallies) = (open(RUN_HEADS)?, open(SOLO_HEADS)?, open(GROUP_TALLIES)?);
        match (heads, solo, tallies) {
            (Some(heads), Some(solo), Some(tallies)) => {
                // Members summed: every run is a solo head or included in one tally.
                let mut included = Some(0u64);
                for entry in tallies.iter()? {
                    let t = GroupTally::decode(entry?.1.value());
                    included = included.zip(t).map(|(n, t)| n + u64::from(t.included));
                }
                let solo = solo.len()?;
                heads.len()? == runs
                    && tallies.len()? == groups
                    && included.is_some_and(|n| n + solo == runs)
            }
            (None, _, _) | (_, None, _) | (_, _, None) => runs == 0 && groups == 0,
        }
    };
    if in_step {
        return Ok(());
    }
    let tx = store.write()?;
    fill(&tx)?;
    tx.commit()?;
    Ok(())
}

/// `blockwise check`: every run of no group has a solo head that says what its record says
/// (and no other run has one), and every group's tally equals its members summed afresh.
pub(super) fn check_tallies(
    tx: &redb::ReadTransaction,
    runs: &[Run],
    report: &mut super::CheckReport,
) -> Result<(), StoreError> {
    let _reading = super::guard::reading("the solo heads and group tallies");
    let mut damage = |subject: String, problem: &str| {
        report.damage.push(super::Damage {
            subject,
            problem: problem.to_string(),
        })
    };
    let (solo, tallies) = match (tx.open_table(SOLO_HEADS), tx.open_table(GROUP_TALLIES)) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(redb::TableError::TableDoesNotExist(_)), _)
        | (_, Err(redb::TableError::TableDoesNotExist(_))) => {
            damage(
                "the solo heads and group tallies".into(),
                "a table is missing (lists read every head; a writing open writes them again)",
            );
            return Ok(());
        }
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    let by_id: std::collections::HashMap<&str, &Run> =
        runs.iter().map(|r| (r.run_id.as_str(), r)).collect();
    for run in runs.iter().filter(|r| r.group_id.is_none()) {
        let subject = format!("the solo head of run {}", run.run_id);
        match solo.get(run.run_id.as_str())? {
            None => damage(subject, "it is missing (lists read every head instead)"),
            Some(raw) => match run_heads::decode(raw.value()) {
                None => damage(
                    subject,
                    "its checksum or layout is wrong: it does not decode",
                ),
                Some(h) if h != run_heads::head_of(run) => {
                    damage(subject, "it does not say what the run record says")
                }
                Some(_) => {}
            },
        }
    }
    for entry in solo.iter()? {
        let (k, _) = entry?;
        match by_id.get(k.value()) {
            Some(r) if r.group_id.is_none() => {}
            Some(_) => damage(
                format!("the solo head of run {}", k.value()),
                "its run is a group member",
            ),
            None => damage(
                format!("the solo head of run {}", k.value()),
                "its run does not exist",
            ),
        }
    }
    let groups = super::run_overview::groups_in(tx)?;
    for g in &groups {
        let subject = format!("the tally of run group {}", g.group_id);
        let members: Option<Vec<Run>> = g
            .run_ids
            .iter()
            .map(|id| by_id.get(id.as_str()).map(|r| (*r).clone()))
            .collect();
        let Some(members) = members else {
            continue; // a missing member is named with the group's runs
        };
        let want = GroupTally::of_members(super::group_tally::totals_of(&members), &members);
        match tallies.get(g.group_id.as_str())? {
            None => damage(subject, "it is missing (lists sum the members instead)"),
            Some(raw) => match GroupTally::decode(raw.value()) {
                None => damage(
                    subject,
                    "its checksum or layout is wrong: it does not decode",
                ),
                Some(t) if t != want => damage(
                    subject,
                    "it does not equal the sum of the group's member runs",
                ),
                Some(_) => {}
            },
        }
    }
    for entry in tallies.iter()? {
        let (k, _) = entry?;
        if !groups.iter().any(|g| g.group_id == k.value()) {
            damage(
                format!("the tally of run group {}", k.value()),
                "its group does not exist",
            );
        }
    }
    Ok(())
}
