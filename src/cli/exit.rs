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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{PolicyError, StoreError, VaultError};

    /// The code and message an error leaves the CLI with; `None`: it goes on as it is.
    fn exit_of(e: impl Into<workspace::Error>) -> Option<(u8, String)> {
        let err = refused(e);
        err.downcast_ref::<Exit>()
            .map(|x| (x.code, x.message.clone()))
    }

    #[test]
    fn each_refusal_keeps_its_exit_code_and_message() {
        let why = "run group grp_x has no runs".to_string();
        assert_eq!(
            exit_of(WorkerError::Refused(why.clone())),
            Some((1, why)),
            "a worker refusal is its own message"
        );
        let unknown = PolicyError::UnknownKey {
            key: "nope".into(),
            suggestion: None,
        };
        let text = format!("error: {unknown}");
        assert_eq!(exit_of(unknown), Some((2, text)));
        let last = PolicyError::LastAdmin { user: "ann".into() };
        assert_eq!(exit_of(last).map(|(code, _)| code), Some(1));
        let vault = VaultError::UnknownProvider("acme".into());
        let text = format!("error: {vault}");
        assert_eq!(exit_of(vault), Some((1, text)));
        let range = ReviewError::OutOfRange {
            run_id: "run_1".into(),
            index: 9,
            total: 3,
        };
        let text = format!("error: {range}");
        assert_eq!(exit_of(range), Some((1, text)));
    }

    #[test]
    fn a_store_failure_goes_on_as_it_is_with_its_message() {
        let store = || StoreError::Corrupt("page 3 is missing".into());
        let wrapped = [
            workspace::Error::from(store()),
            workspace::Error::from(ReviewError::Store(store())),
            workspace::Error::from(WorkerError::Store(store())),
        ];
        for e in wrapped {
            let err = refused(e);
            assert!(err.downcast_ref::<Exit>().is_none(), "{err}");
            assert_eq!(err.to_string(), store().to_string());
        }
    }
}
