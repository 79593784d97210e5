//! Leases (SPEC §3): how long a claim lasts, whether its owner is still alive, and recovery —
//! claims whose lease expired or whose worker is gone return to `pending` without using an
//! attempt. Recovery runs when a store is opened for writing and when a worker starts.

use std::time::Duration;

use super::identity::{hostname, worker_id};
use super::steps::release_where;
use crate::store::{Store, StoreError};

/// A claim older than this returns to pending.
pub const LEASE: Duration = Duration::from_secs(600);

/// `false` when `owner` is a worker of this host whose process is gone (its leases can be
/// recovered at once). Workers of other hosts are assumed alive until their lease expires.
pub fn owner_alive(owner: &str) -> bool {
    let mut parts = owner.splitn(3, ':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    if host != hostname() {
        return true;
    }
    let Ok(pid) = pid.parse::<i32>() else {
        return false;
    };
    if owner == worker_id() {
        return true;
    }
    if pid == std::process::id() as i32 {
        // Same pid, different start time: an earlier process with a recycled pid.
        return false;
    }
    #[cfg(unix)]
    {
        // SAFETY: signal 0 only checks that the process exists; no signal is sent.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Lease recovery: claims whose lease expired or whose worker is gone return to `pending`.
pub fn recover(
    store: &Store,
    run_id: &str,
    now_ms: u64,
    lease_ms: u64,
    owner_alive: impl Fn(&str) -> bool,
) -> Result<u32, StoreError> {
    store.with_run(run_id, |rt| {
        release_where(rt, None, |ov| {
            let expired = ov.claimed_at.is_none_or(|t| t + lease_ms < now_ms);
            let dead = ov.claimed_by.as_deref().is_none_or(|w| !owner_alive(w));
            expired || dead
        })
    })
}

/// Recover leases on every run that holds claims, with the default lease and liveness check.
/// Returns how many claims went back to `pending`.
pub fn recover_all(store: &Store, now_ms: u64) -> Result<u32, StoreError> {
    let mut released = 0;
    for run in store.list_runs()? {
        if run.counters.claimed > 0 {
            released += recover(
                store,
                &run.run_id,
                now_ms,
                LEASE.as_millis() as u64,
                owner_alive,
            )?;
        }
    }
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_id_is_alive_and_a_dead_pid_is_not() {
        assert!(owner_alive(&worker_id()));
        let host = hostname();
        // PID 0x7ffffffe is never a live process.
        assert!(!owner_alive(&format!("{host}:2147483646:1")));
        assert!(owner_alive("some-other-host:1:1"));
        assert!(!owner_alive("garbage"));
    }
}
