//! `check` over the sealed tables that hold no blocks or overlays (issue 20 item 3): every
//! record's checksum must match and its JSON decode; each one that does not is listed by name.

use redb::{ReadableTable, TableDefinition};

use super::check_report::{contain, damage_text, CheckReport, Damage};
use super::tables::{ADMINS, API_KEYS, AUDIT, CALLS, POLICY, REVIEW_LOG, SCHEMAS};
use super::{sealed, StoreError};

/// Verify one record; list it as damage under `subject` when it fails.
fn verify(report: &mut CheckReport, raw: &[u8], subject: impl Fn() -> String) {
    if let Err(e) = sealed::open_json::<serde_json::Value>(raw, &subject) {
        report.damage.push(Damage {
            subject: subject(),
            problem: damage_text(e),
        });
    }
}

fn by_name(
    tx: &redb::ReadTransaction,
    table: TableDefinition<&str, &[u8]>,
    kind: &'static str,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    let t = tx.open_table(table)?;
    for entry in t.iter()? {
        let (k, v) = entry?;
        verify(report, v.value(), || format!("{kind} {}", k.value()));
    }
    Ok(())
}

fn by_seq(
    tx: &redb::ReadTransaction,
    table: TableDefinition<u64, &[u8]>,
    kind: &'static str,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    let t = tx.open_table(table)?;
    for entry in t.iter()? {
        let (k, v) = entry?;
        verify(report, v.value(), || format!("{kind} {}", k.value()));
    }
    Ok(())
}

fn calls(tx: &redb::ReadTransaction, report: &mut CheckReport) -> Result<(), StoreError> {
    let t = tx.open_table(CALLS)?;
    for entry in t.iter()? {
        let (k, v) = entry?;
        let (run, seq) = k.value();
        verify(report, v.value(), || format!("call {seq} of run {run}"));
    }
    Ok(())
}

/// Schemas, calls, policy values, admins, audit, API keys and the review log.
pub(super) fn check_sealed_tables(
    tx: &redb::ReadTransaction,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    let named = [
        (SCHEMAS, "schema", "the schemas table"),
        (POLICY, "policy value", "the policy values"),
        (ADMINS, "policy admin", "the policy admins"),
        (API_KEYS, "the API key of", "the API keys table"),
    ];
    for (table, kind, what) in named {
        let _reading = super::guard::reading(what);
        contain(report, |r| by_name(tx, table, kind, r))?;
    }
    let numbered = [
        (AUDIT, "policy audit entry", "the policy audit log"),
        (REVIEW_LOG, "review log entry", "the review log"),
    ];
    for (table, kind, what) in numbered {
        let _reading = super::guard::reading(what);
        contain(report, |r| by_seq(tx, table, kind, r))?;
    }
    let _reading = super::guard::reading("the calls log");
    contain(report, |r| calls(tx, r))?;
    let _reading = super::guard::reading("the schema assistant calls");
    contain(report, |r| assist_calls(tx, r))?;
    Ok(())
}

/// The schema assistant's log, created by its first call (none yet: nothing to verify).
fn assist_calls(tx: &redb::ReadTransaction, report: &mut CheckReport) -> Result<(), StoreError> {
    match tx.open_table(super::tables::ASSIST_CALLS) {
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(()),
        Err(e) => Err(e.into()),
        Ok(_) => by_seq(
            tx,
            super::tables::ASSIST_CALLS,
            "schema assistant call",
            report,
        ),
    }
}
