//! Who holds a lease: `host:pid:start_ms`, and whether that worker is still alive.

use std::sync::OnceLock;

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_string())
}

/// This process's worker id (stable for the life of the process).
pub fn worker_id() -> String {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        format!(
            "{}:{}:{}",
            hostname(),
            std::process::id(),
            crate::clock::now_millis()
        )
    })
    .clone()
}

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
