//! The tables a run's head is written to (store format 8): `RUN_HEADS` for every run,
//! `SOLO_HEADS` as well for a run of no group, and a group member's difference into its
//! group's tally (`GROUP_TALLIES`). Every writer of a head goes through [`HeadTables`], in the
//! transaction that writes the run record, so the three never disagree after a commit.

use std::collections::HashMap;

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

/// A head's part in its group's tally, and its group: `Err(())` when the head does not decode.
fn part_of(sealed_head: &[u8]) -> Result<(Part, Option<String>), ()> {
    let p = sealed::verify(sealed_head)
        .and_then(run_heads::parse)
        .ok_or(())?;
    let group = match p.o[4] {
        Some(b) => Some(String::from_utf8(b.to_vec()).map_err(|_| ())?),
        None => None,
    };
    Ok((Part::new(p.status, &p.counters, &p.usage), group))
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
        let new = Part::new(run.status, &run.counters, &run.usage);
        match (old, &run.group_id) {
            // The run was in another group, or in none (no writer does this today): out of
            // the old one, into the new.
            (Some(Ok((part, was))), now) if was.as_ref() != now.as_ref() => {
                match &was {
                    Some(g) => self.change(g, Some(Ok(part)), None)?,
                    None => {
                        self.solo.remove(run.run_id.as_str())?;
                    }
                }
                self.enter(run, &bytes, None, new)?;
            }
            (old, _) => self.enter(run, &bytes, old.map(|o| o.map(|(p, _)| p)), new)?,
        }
        Ok(())
    }

    /// `run`'s new head into the solo heads, or its difference into its group's tally.
    fn enter(
        &mut self,
        run: &Run,
        bytes: &[u8],
        old: Option<Result<Part, ()>>,
        new: Part,
    ) -> Result<(), StoreError> {
        match &run.group_id {
            None => {
                self.solo.insert(run.run_id.as_str(), bytes)?;
            }
            Some(group) => self.change(group, old, Some(new))?,
        }
        Ok(())
    }

    /// Remove the head of `run` (its record is being deleted).
    pub(super) fn remove(&mut self, run: &Run) -> Result<(), StoreError> {
        let old = self
            .heads
            .remove(run.run_id.as_str())?
            .map(|g| part_of(g.value()).map(|(p, _)| p));
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
    // Each readable run's part in a tally and its block total, by id: every record is
    // decoded once.
    let mut parts: HashMap<String, (Part, u32)> = HashMap::new();
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
            let part = Part::new(run.status, &run.counters, &run.usage);
            parts.insert(run.run_id, (part, run.counters.total));
        }
    }
    let mut included = 0u64;
    for g in &groups {
        let members: Option<Vec<&(Part, u32)>> =
            g.run_ids.iter().map(|id| parts.get(id.as_str())).collect();
        if let Some(members) = members {
            let mut t = GroupTally::new(members.iter().map(|(_, total)| *total).collect());
            for (part, _) in &members {
                t.add(part);
            }
            included += u64::from(t.included);
            tables
                .tallies
                .insert(g.group_id.as_str(), t.encode().as_slice())?;
        }
    }
    // What this fill left, in the order of `counts_in`.
    let left = [
        runs.len()?,
        tx.open_table(RUN_GROUPS)?.len()?,
        tables.heads.len()?,
        tables.solo.len()?,
        tables.tallies.len()?,
        included,
    ];
    tx.open_table(super::tables::META)?
        .insert(FILLED_AT, encode_counts(&left).as_slice())?;
    Ok(())
}

/// `META` key: the counts of the head tables as the last [`fill`] left them (see
/// [`fill_if_out_of_step`]).
const FILLED_AT: &str = "head_tables_filled_at";

/// The counts that say whether the head tables are in step, read in `tx`: runs, groups,
/// heads, solo heads, tallies, and the members the tallies include (`u64::MAX` for a table
/// that is missing or a tally that does not decode).
fn counts_in(tx: &redb::ReadTransaction) -> Result<[u64; 6], StoreError> {
    let runs = tx.open_table(RUNS)?.len()?;
    let groups = tx.open_table(RUN_GROUPS)?.len()?;
    let len = |def| match tx.open_table(def) {
        Ok(t) => t.len().map_err(StoreError::from),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(u64::MAX),
        Err(e) => Err(StoreError::from(e)),
    };
    let (heads, solo) = (len(RUN_HEADS)?, len(SOLO_HEADS)?);
    let (tallies, included) = match tx.open_table(GROUP_TALLIES) {
        Ok(t) => {
            let mut included = 0u64;
            for entry in t.iter()? {
                included = match super::group_tally::included_in(entry?.1.value()) {
                    Some(n) => included.saturating_add(u64::from(n)),
                    None => u64::MAX,
                };
            }
            (t.len()?, included)
        }
        Err(redb::TableError::TableDoesNotExist(_)) => (u64::MAX, u64::MAX),
        Err(e) => return Err(e.into()),
    };
    Ok([runs, groups, heads, solo, tallies, included])
}

fn encode_counts(c: &[u64; 6]) -> Vec<u8> {
    c.iter().flat_map(|n| n.to_le_bytes()).collect()
}

/// On a writing open: when a head table is missing or holds another number of records than
/// it should (a store stamped by a build that skipped a migration, or a head or tally lost to
/// damage), write them all again. Otherwise a read of table lengths and of the tallies' counts.
/// A store whose damage [`fill`] cannot mend (an unreadable run or group record) is filled
/// once, not at every open: the counts it left are kept in `META` and an open that finds the
/// same counts leaves the tables alone.
pub(super) fn fill_if_out_of_step(store: &Store) -> Result<(), StoreError> {
    let (now, filled) = {
        let tx = store.read()?;
        let filled = tx
            .open_table(super::tables::META)?
            .get(FILLED_AT)?
            .map(|v| v.value().to_vec());
        (counts_in(&tx)?, filled)
    };
    let [runs, groups, heads, solo, tallies, included] = now;
    let in_step = heads == runs
        && tallies == groups
        && solo != u64::MAX
        && included.checked_add(solo) == Some(runs);
    if in_step || filled.as_deref() == Some(encode_counts(&now).as_slice()) {
        return Ok(());
    }
    let tx = store.write()?;
    fill(&tx)?;
    tx.commit()?;
    Ok(())
}
