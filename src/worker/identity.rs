//! Who this worker is: `host:pid:start_ms` (the owner written on each claim).

use std::sync::OnceLock;

pub(super) fn hostname() -> String {
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
