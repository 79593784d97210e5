//! Which worker process holds a run (META `holder/<run_id>`), so a second worker is refused
//! with who holds it. Taken and released by the engine; a holder whose process is gone is
//! replaced.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::tables::{META, RUNS};
use super::{Store, StoreError};
use crate::model::Run;

const PREFIX: &str = "holder/";

/// The worker session working on a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// `host:pid:start_ms`, as written on its claims.
    pub worker: String,
    pub host: String,
    pub pid: u32,
    /// The command line of that process, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// When it took the run (RFC 3339).
    pub since: String,
    /// Milliseconds since the epoch, for the lease rule of other hosts.
    pub since_ms: u64,
}

impl Holder {
    /// `pid 1234 on host-a (blockwise run start run_…) since 2026-…`.
    pub fn describe(&self) -> String {
        let command = self
            .command
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        format!(
            "pid {} on {}{command} since {}",
            self.pid, self.host, self.since
        )
    }
}

/// Whether a stored holder still counts, given the run's record: `alive` says whether its
/// process lives (same host: a pid check; other hosts cannot be checked and count while the run
/// has claims or the holder is younger than `lease_ms`).
pub type Alive<'a> = &'a dyn Fn(&Holder, Option<&Run>) -> bool;

impl Store {
    /// Take `run_id` for `me`, unless another live worker holds it: then that holder, and
    /// nothing is written. One write transaction, so two workers cannot both take it.
    pub fn acquire_holder(
        &self,
        run_id: &str,
        me: &Holder,
        alive: Alive,
    ) -> Result<Option<Holder>, StoreError> {
        let _reading = super::guard::reading(format!("the workers of run {run_id}"));
        let key = format!("{PREFIX}{run_id}");
        let tx = self.write()?;
        {
            let run: Option<Run> = match tx.open_table(RUNS)?.get(run_id)? {
                Some(raw) => Some(super::sealed::open_json(raw.value(), || {
                    format!("run {run_id}")
                })?),
                None => None,
            };
            let mut meta = tx.open_table(META)?;
            let current: Option<Holder> = match meta.get(key.as_str())? {
                Some(raw) => serde_json::from_slice(raw.value()).ok(),
                None => None,
            };
            if let Some(h) = current {
                if h.worker != me.worker && alive(&h, run.as_ref()) {
                    return Ok(Some(h));
                }
            }
            meta.insert(key.as_str(), serde_json::to_vec(me)?.as_slice())?;
        }
        tx.commit()?;
        Ok(None)
    }

    /// Give `run_id` up, if `worker` holds it.
    pub fn release_holder(&self, run_id: &str, worker: &str) -> Result<(), StoreError> {
        let _reading = super::guard::reading(format!("the workers of run {run_id}"));
        let key = format!("{PREFIX}{run_id}");
        let tx = self.write()?;
        {
            let mut meta = tx.open_table(META)?;
            let ours = match meta.get(key.as_str())? {
                Some(raw) => serde_json::from_slice::<Holder>(raw.value())
                    .map(|h| h.worker == worker)
                    .unwrap_or(true),
                None => false,
            };
            if ours {
                meta.remove(key.as_str())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every recorded holder, by run id (live or not: the caller decides).
    pub fn holders(&self) -> Result<Vec<(String, Holder)>, StoreError> {
        let _reading = super::guard::reading("the run workers");
        let tx = self.read()?;
        let meta = tx.open_table(META)?;
        let mut out = Vec::new();
        for entry in meta.range(PREFIX..)? {
            let (k, v) = entry?;
            let Some(run_id) = k.value().strip_prefix(PREFIX).map(str::to_string) else {
                break;
            };
            if let Ok(h) = serde_json::from_slice::<Holder>(v.value()) {
                out.push((run_id, h));
            }
        }
        Ok(out)
    }
}
