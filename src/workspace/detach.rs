//! A worker that outlives the TUI (issue 23 item 5): `blockwise --store PATH run start RUN` as
//! a process of its own session (`setsid`), so closing the terminal or the TUI does not stop
//! it. It takes the run like any `run start`, so the next TUI and `run status` show its pid.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::Workspace;

impl Workspace {
    /// Start a detached `run start` on `run_id` with the `blockwise` program at `exe` and this
    /// store; its pid. Its output goes nowhere (its progress is in the store and the log).
    pub fn spawn_background_worker(
        &self,
        exe: &std::path::Path,
        run_id: &str,
    ) -> std::io::Result<u32> {
        let mut cmd = Command::new(exe);
        cmd.arg("--store")
            .arg(self.path())
            .args(["--quiet", "run", "start", run_id])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: `setsid` is async-signal-safe and touches no memory of the parent; it makes
        // the child leader of a new session, free of the terminal's SIGHUP and SIGINT.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        Ok(child.id())
    }
}
