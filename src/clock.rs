//! Wall-clock helpers: every timestamp the product stores is UTC RFC 3339 with second precision.

use std::time::SystemTime;

/// The current time as `2026-11-25T21:27:28Z`.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// Milliseconds since the Unix epoch (for leases and telemetry).
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
