//! `blockwise check` over the provider batch tables (issue 24): every batch record and every
//! request record must be sealed intact and decode; the run → batch index must name batches
//! that exist and hold that run, and each batch's runs must be indexed. Damage names the record.

use std::collections::BTreeMap;

use redb::{ReadTransaction, ReadableTable, TableError};

use super::check_report::{damage_text, CheckReport, Damage};
use super::tables::{BATCHES, BATCH_REQUESTS, RUN_BATCHES};
use super::{sealed, StoreError};
use crate::model::{BatchRecord, BatchRequest};

/// `None` when the table was never created (a store with no batch yet).
fn opened<T>(t: Result<T, TableError>) -> Result<Option<T>, StoreError> {
    match t {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn damage(report: &mut CheckReport, subject: String, problem: String) {
    report.damage.push(Damage { subject, problem });
}

/// Batches, their requests and the run index.
pub(super) fn check_batches(
    tx: &ReadTransaction,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    let batches = batch_records(tx, report)?;
    check_requests(tx, &batches, report)?;
    check_run_index(tx, &batches, report)
}

/// Each batch record by key; damaged ones are listed and left out (`None`).
fn batch_records(
    tx: &ReadTransaction,
    report: &mut CheckReport,
) -> Result<BTreeMap<String, Option<BatchRecord>>, StoreError> {
    let mut out = BTreeMap::new();
    let Some(t) = opened(tx.open_table(BATCHES))? else {
        return Ok(out);
    };
    for entry in t.iter()? {
        let (k, v) = entry?;
        let key = k.value().to_string();
        let subject = format!("batch {key}");
        match sealed::open_json::<BatchRecord>(v.value(), || subject.clone()) {
            Ok(b) => {
                out.insert(key, Some(b));
            }
            Err(e) => {
                damage(report, subject, damage_text(e));
                out.insert(key, None);
            }
        }
    }
    Ok(out)
}

/// Every request record intact and naming a known batch.
fn check_requests(
    tx: &ReadTransaction,
    batches: &BTreeMap<String, Option<BatchRecord>>,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    let Some(t) = opened(tx.open_table(BATCH_REQUESTS))? else {
        return Ok(());
    };
    for entry in t.iter()? {
        let (k, v) = entry?;
        let (key, n) = k.value();
        let subject = format!("request {n} of batch {key}");
        if let Err(e) = sealed::open_json::<BatchRequest>(v.value(), || subject.clone()) {
            damage(report, subject, damage_text(e));
        } else if !batches.contains_key(key) {
            damage(report, subject, "its batch record is missing".into());
        }
    }
    Ok(())
}

/// The run → batch rows agree with the batches' run lists, both ways.
fn check_run_index(
    tx: &ReadTransaction,
    batches: &BTreeMap<String, Option<BatchRecord>>,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(t) = opened(tx.open_table(RUN_BATCHES))? {
        for entry in t.iter()? {
            let (k, _) = entry?;
            let (run, key) = k.value();
            rows.push((run.to_string(), key.to_string()));
        }
    }
    for (run, key) in &rows {
        let holds = match batches.get(key) {
            None => Some("names a batch that is not stored"),
            Some(Some(b)) if !b.run_ids.contains(run) => {
                Some("names a batch whose runs do not include it")
            }
            _ => None,
        };
        if let Some(problem) = holds {
            damage(
                report,
                format!("batch index row of run {run}"),
                format!("{problem} ({key})"),
            );
        }
    }
    for (key, b) in batches {
        for run in b.iter().flat_map(|b| &b.run_ids) {
            if !rows.iter().any(|(r, k)| r == run && k == key) {
                damage(
                    report,
                    format!("batch {key}"),
                    format!("run {run} of this batch has no row in the batch index"),
                );
            }
        }
    }
    Ok(())
}
