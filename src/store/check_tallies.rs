//! `blockwise check` for store format 8: every run of no group has a solo head that says what
//! its record says (and no other run has one), and every group's tally equals its members
//! summed afresh (`head_tables.rs` keeps them; `group_tally.rs` is the layout).

use std::collections::HashMap;

use redb::{ReadOnlyTable, ReadableTable};

use super::group_tally::{totals_of, GroupTally};
use super::tables::{GROUP_TALLIES, SOLO_HEADS};
use super::{run_heads, Damage, StoreError};
use crate::model::Run;

type Records = ReadOnlyTable<&'static str, &'static [u8]>;
type ById<'a> = HashMap<&'a str, &'a Run>;

fn damage(out: &mut Vec<Damage>, subject: String, problem: &str) {
    out.push(Damage {
        subject,
        problem: problem.to_string(),
    })
}

pub(super) fn check_tallies(
    tx: &redb::ReadTransaction,
    runs: &[Run],
    report: &mut super::CheckReport,
) -> Result<(), StoreError> {
    let _reading = super::guard::reading("the solo heads and group tallies");
    let (solo, tallies) = match (tx.open_table(SOLO_HEADS), tx.open_table(GROUP_TALLIES)) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(redb::TableError::TableDoesNotExist(_)), _)
        | (_, Err(redb::TableError::TableDoesNotExist(_))) => {
            damage(
                &mut report.damage,
                "the solo heads and group tallies".into(),
                "a table is missing (lists read every head; a writing open writes them again)",
            );
            return Ok(());
        }
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    let by_id: ById = runs.iter().map(|r| (r.run_id.as_str(), r)).collect();
    check_solo(&solo, runs, &by_id, &mut report.damage)?;
    check_groups(tx, &tallies, &by_id, &mut report.damage)
}

/// Each run of no group has a solo head equal to its head; no solo head of another run.
fn check_solo(
    solo: &Records,
    runs: &[Run],
    by_id: &ById,
    out: &mut Vec<Damage>,
) -> Result<(), StoreError> {
    for run in runs.iter().filter(|r| r.group_id.is_none()) {
        let subject = format!("the solo head of run {}", run.run_id);
        let problem = match solo.get(run.run_id.as_str())? {
            None => "it is missing (lists read every head instead)",
            Some(raw) => match run_heads::decode(raw.value()) {
                None => "its checksum or layout is wrong: it does not decode",
                Some(h) if h != run_heads::head_of(run) => {
                    "it does not say what the run record says"
                }
                Some(_) => continue,
            },
        };
        damage(out, subject, problem);
    }
    for entry in solo.iter()? {
        let (k, _) = entry?;
        let problem = match by_id.get(k.value()) {
            Some(r) if r.group_id.is_none() => continue,
            Some(_) => "its run is a group member",
            None => "its run does not exist",
        };
        damage(out, format!("the solo head of run {}", k.value()), problem);
    }
    Ok(())
}

/// Each group's tally equals its members summed afresh; no tally of a group that is gone.
fn check_groups(
    tx: &redb::ReadTransaction,
    tallies: &Records,
    by_id: &ById,
    out: &mut Vec<Damage>,
) -> Result<(), StoreError> {
    let groups = super::run_overview::groups_in(tx)?;
    for g in &groups {
        let members: Option<Vec<Run>> = g
            .run_ids
            .iter()
            .map(|id| by_id.get(id.as_str()).map(|r| (*r).clone()))
            .collect();
        let Some(members) = members else {
            continue; // a missing member is named with the group's runs
        };
        let want = GroupTally::of_members(totals_of(&members), &members);
        let problem = match tallies.get(g.group_id.as_str())? {
            None => "it is missing (lists sum the members instead)",
            Some(raw) => match GroupTally::decode(raw.value()) {
                None => "its checksum or layout is wrong: it does not decode",
                Some(t) if t != want => "it does not equal the sum of the group's member runs",
                Some(_) => continue,
            },
        };
        damage(
            out,
            format!("the tally of run group {}", g.group_id),
            problem,
        );
    }
    for entry in tallies.iter()? {
        let (k, _) = entry?;
        if !groups.iter().any(|g| g.group_id == k.value()) {
            let subject = format!("the tally of run group {}", k.value());
            damage(out, subject, "its group does not exist");
        }
    }
    Ok(())
}
