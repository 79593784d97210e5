//! One worker per run: a session takes the run's holder record before it claims anything and
//! gives it back when it ends. A second worker, in this process or another, is refused with who
//! holds the run (pid, host, command) while that worker lives.

use super::identity::hostname;
use super::lease::{owner_alive, LEASE};
use super::WorkerError;
use crate::model::Run;
use crate::store::{Holder, Store, StoreError};

/// The holder record for this process's worker `worker_id` (`host:pid:start_ms`).
pub fn me(worker_id: &str) -> Holder {
    let mut parts = worker_id.splitn(3, ':');
    let host = parts.next().unwrap_or_default().to_string();
    let pid = parts
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(std::process::id);
    Holder {
        worker: worker_id.to_string(),
        host,
        pid,
        command: command_line(),
        since: crate::clock::now_rfc3339(),
        since_ms: crate::clock::now_millis(),
    }
}

/// This process's command line, `blockwise run start run_…`, cut to 120 characters.
fn command_line() -> Option<String> {
    let raw = std::fs::read("/proc/self/cmdline").ok()?;
    let mut args = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned());
    let first = args.next()?;
    let name = std::path::Path::new(&first)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(first);
    let line: String = std::iter::once(name)
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ");
    Some(line.chars().take(120).collect())
}

/// Whether `h` still holds its run. Same host: its process exists. Other hosts cannot be asked:
/// they count while the run has claimed blocks or the record is younger than the lease.
pub fn alive(h: &Holder, run: Option<&Run>) -> bool {
    if h.host != hostname() {
        let young =
            crate::clock::now_millis().saturating_sub(h.since_ms) < LEASE.as_millis() as u64;
        return young || run.is_some_and(|r| r.counters.claimed > 0);
    }
    owner_alive(&h.worker)
}

/// Take `run_id` for `worker_id`, or refuse naming the live worker that holds it.
pub fn take(store: &Store, run_id: &str, worker_id: &str) -> Result<(), WorkerError> {
    match store.acquire_holder(run_id, &me(worker_id), &alive)? {
        None => Ok(()),
        Some(h) => Err(refusal(run_id, &h)),
    }
}

/// Take every run of `run_ids` (a group's members) for `worker_id` in one transaction, or
/// refuse naming a live worker that holds one of them.
pub fn take_all(store: &Store, run_ids: &[String], worker_id: &str) -> Result<(), WorkerError> {
    match store.acquire_holders(run_ids, &me(worker_id), &alive)? {
        None => Ok(()),
        Some((run_id, h)) => Err(refusal(&run_id, &h)),
    }
}

/// The refusal when another worker holds `run_id`.
pub fn refusal(run_id: &str, h: &Holder) -> WorkerError {
    WorkerError::Refused(format!(
        "run {run_id} is already being worked on by another worker: {}; wait for it to finish \
         or stop it (ctrl-c in its terminal, or X in its TUI) first",
        h.describe()
    ))
}

/// The live holder of `run_id` other than this process's worker `worker_id`.
pub fn other_holder(
    store: &Store,
    run_id: &str,
    worker_id: &str,
) -> Result<Option<Holder>, StoreError> {
    Ok(live_holders(store, worker_id)?
        .into_iter()
        .find(|(id, _)| id == run_id)
        .map(|(_, h)| h))
}

/// Every run held by a live worker other than `worker_id`.
pub fn live_holders(store: &Store, worker_id: &str) -> Result<Vec<(String, Holder)>, StoreError> {
    let mut out = Vec::new();
    for (run_id, h) in store.holders()? {
        if h.worker == worker_id {
            continue;
        }
        let run = store.get_run(&run_id)?;
        if alive(&h, run.as_ref()) {
            out.push((run_id, h));
        }
    }
    Ok(out)
}
