use std::fmt;

use crate::workspace::WorkerError;

/// An error that carries its own exit code (CLI.md: 1 error, 2 usage, 3 conflict, 4 paused, 5 failed
/// blocks, 6 cancelled, 130 interrupted).
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl Exit {
    pub fn new(code: u8, message: impl Into<String>) -> Exit {
        Exit {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

/// A worker refusal (bad input for a run or group: nothing was created) is exit 1 with its own
/// message; any other worker error goes on as it is.
pub(super) fn refused(e: WorkerError) -> anyhow::Error {
    match e {
        WorkerError::Refused(msg) => Exit::new(1, msg).into(),
        other => other.into(),
    }
}
