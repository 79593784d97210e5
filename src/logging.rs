//! Tracing goes to a log file, never to the screen (the TUI owns the terminal).

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// Name of the log file inside the state directory.
pub const LOG_FILE: &str = "blockwise.log";

/// Install a file logger at `<dir>/blockwise.log`. Failing to log is never fatal.
pub fn init_file_logging(dir: Option<&Path>) {
    let Some(dir) = dir else { return };
    if crate::files::create_private_dir(dir).is_err() {
        return;
    }
    // Owner-only: the log names files, runs and errors.
    let Ok(file) = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(dir.join(LOG_FILE))
    else {
        return;
    };
    let filter =
        EnvFilter::try_from_env("BLOCKWISE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
}
