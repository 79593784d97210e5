use std::fmt;

use crate::workspace::{self, ReviewError, WorkerError};

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

/// How a refused workspace operation leaves the CLI (CLI.md exit codes), read from the one
/// [`workspace::Error`]: a worker refusal (bad input for a run or group: nothing was created)
/// is exit 1 with its own message; a refused review operation, a vault error and a policy error
/// are `error: <message>` with exit 1 (a policy error: 2 for an unknown key or a bad value);
/// anything else (a store failure) goes on as it is, to be printed with the store's path.
pub(super) fn refused(e: impl Into<workspace::Error>) -> anyhow::Error {
    use workspace::Error;
    match e.into() {
        Error::Worker(WorkerError::Refused(msg)) => Exit::new(1, msg).into(),
        Error::Review(ReviewError::Store(e)) => e.into(),
        Error::Review(e) => Exit::new(1, format!("error: {e}")).into(),
        Error::Policy(e) => Exit::new(e.exit_code(), format!("error: {e}")).into(),
        Error::Vault(e) => Exit::new(1, format!("error: {e}")).into(),
        other => other.into(),
    }
}
