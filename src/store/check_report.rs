//! What `blockwise check` reports (`CheckReport`, `Damage`) and the two helpers every part of
//! the check shares: `contain` (a part that stops on damage is listed, the check goes on) and
//! `damage_text`. Its own file so `check` and `check_records` both import it and not each other.

use serde::Serialize;

use super::StoreError;

/// One thing found wrong, naming what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Damage {
    /// `document <conv_uid> (<file name>)` or `run <run_id>`, or `store`.
    pub subject: String,
    pub problem: String,
}

/// What `check` looked at and what it found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub documents: u32,
    pub blocks: u64,
    pub runs: u32,
    pub overlays: u64,
    pub projects: u32,
    pub damage: Vec<Damage>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.damage.is_empty()
    }
}

/// Run one part of the check; damage that stops it (a panic inside redb, an unreadable
/// record) is listed under what was being read, and the check goes on.
pub(super) fn contain<T>(
    report: &mut CheckReport,
    part: impl FnOnce(&mut CheckReport) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    match super::guard::catch_damage(|| part(report)) {
        Ok(t) => Ok(Some(t)),
        Err(StoreError::Damaged { what, detail }) => {
            report.damage.push(Damage {
                subject: what,
                problem: format!("could not be read: {detail}"),
            });
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// What a failed record read says, without repeating the record's name.
pub(super) fn damage_text(e: StoreError) -> String {
    match e {
        StoreError::Damaged { detail, .. } => detail,
        other => other.to_string(),
    }
}
