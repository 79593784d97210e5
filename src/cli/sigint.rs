//! Ctrl-C during a folder ingest: the first SIGINT sets a flag (the ingest finishes the files
//! being parsed, commits them and stops); the handler is installed with `SA_RESETHAND`, so a
//! second Ctrl-C ends the process at once (a file is still whole or absent: one transaction).

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// While alive, SIGINT sets [`Catch::flag`] instead of ending the process.
pub struct Catch {
    previous: libc::sigaction,
}

impl Catch {
    pub fn install() -> Catch {
        INTERRUPTED.store(false, Ordering::SeqCst);
        // SAFETY: a zeroed sigaction is valid to fill in; the handler only stores an atomic.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as usize;
            act.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut act.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGINT, &act, &mut previous);
            Catch { previous }
        }
    }

    pub fn flag(&self) -> &'static AtomicBool {
        &INTERRUPTED
    }
}

impl Drop for Catch {
    fn drop(&mut self) {
        // SAFETY: restores the disposition saved by `install`.
        unsafe {
            libc::sigaction(libc::SIGINT, &self.previous, std::ptr::null_mut());
        }
    }
}
