//! Who is inside a write transaction (issue 10 item 11). redb's locks are OFD locks, which never
//! report a pid, so a waiter could only list every process with the file open. While a process
//! holds a write transaction it also holds a classic POSIX record lock (shared, one byte) on the
//! store file, at `MARK_BASE + <unix seconds when the transaction began>`, far below the bytes
//! redb locks. `F_GETLK` over the mark range then tells a waiter the holder's pid and since
//! when. The kernel drops the lock when its process ends, SIGKILL included, so a dead process is
//! never named.
//!
//! POSIX locks belong to a process and an inode, and closing *any* descriptor of the file drops
//! them all; so one registry per process counts the transactions per inode, takes the lock on
//! the first and drops it (closing its own descriptor) on the last. A `Store` of the same file
//! dropped by this process while it writes drops the mark early: a waiter then falls back to
//! the list of processes with the file open. Best effort throughout: failing to mark never
//! fails a write.

use std::collections::HashMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

/// First byte of the mark range: below redb's lock bytes (from 2^62), above any real file.
const MARK_BASE: i64 = 1 << 61;
/// Seconds since the epoch fit far inside this.
const MARK_SPAN: i64 = 1 << 40;

struct Marked {
    file: File,
    count: usize,
}

fn registry() -> &'static Mutex<HashMap<(u64, u64), Marked>> {
    static REGISTRY: OnceLock<Mutex<HashMap<(u64, u64), Marked>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Held while this process is inside a write transaction on one store file.
#[must_use]
pub(crate) struct Mark {
    key: Option<(u64, u64)>,
}

impl Mark {
    /// Mark `path` as being written by this process from now on.
    pub(crate) fn take(path: &Path) -> Mark {
        let Ok(meta) = std::fs::metadata(path) else {
            return Mark { key: None };
        };
        let key = (meta.dev(), meta.ino());
        let mut all = registry().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = all.get_mut(&key) {
            m.count += 1;
            return Mark { key: Some(key) };
        }
        let Ok(file) = File::open(path) else {
            return Mark { key: None };
        };
        let since = crate::clock::now_millis() as i64 / 1000;
        if lock(
            &file,
            libc::F_RDLCK,
            MARK_BASE + since.clamp(0, MARK_SPAN - 1),
            1,
        )
        .is_err()
        {
            return Mark { key: None };
        }
        all.insert(key, Marked { file, count: 1 });
        Mark { key: Some(key) }
    }
}

impl Drop for Mark {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut all = registry().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = all.get_mut(&key) {
            m.count -= 1;
            if m.count == 0 {
                // Closing the descriptor drops the lock (and only our own POSIX locks).
                let _ = lock(&m.file, libc::F_UNLCK, MARK_BASE, MARK_SPAN);
                all.remove(&key);
            }
        }
    }
}

/// The process inside a write transaction on `path` (another process: a process never sees
/// its own POSIX locks through `F_GETLK`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    pub pid: u32,
    /// Unix seconds when its write transaction began.
    pub since: u64,
}

/// Who holds the write mark on `path`, if anyone.
pub fn writer(path: &Path) -> Option<Writer> {
    with_file(path, query).flatten()
}

/// Run `f` on a descriptor of `path`: our registered one when this process holds a mark there,
/// since opening and closing another would drop this process's own mark.
fn with_file<T>(path: &Path, f: impl FnOnce(&File) -> T) -> Option<T> {
    if let Ok(meta) = std::fs::metadata(path) {
        let all = registry().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = all.get(&(meta.dev(), meta.ino())) {
            return Some(f(&m.file));
        }
    }
    Some(f(&File::open(path).ok()?))
}

/// redb 4's writer byte (`WRITER_BYTE` = 2^62 in redb's `db.rs`): in multi-writer mode a
/// process holds it (an OFD lock, so no pid) during a write transaction and while its open
/// repairs the file. Whether any other open file description holds it now.
const REDB_WRITER_BYTE: i64 = 1 << 62;

pub(crate) fn redb_writer_byte_held(path: &Path) -> bool {
    with_file(path, |file| {
        let mut fl = flock(libc::F_WRLCK, REDB_WRITER_BYTE, 1);
        // SAFETY: a valid descriptor and a fully initialised flock; F_OFD_GETLK wants l_pid 0.
        let r = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut fl) };
        r == 0 && fl.l_type != libc::F_UNLCK as libc::c_short
    })
    .unwrap_or(false)
}

/// redb 4's header lock (`HEADER_LOCK` = 0..`DB_HEADER_SIZE`, 320 bytes, in redb's
/// `page_manager.rs`): a writer holds it exclusively while it writes and syncs the header of a
/// commit, and every open takes it shared, waiting. Whether another open file description holds
/// it exclusively now: a writer stopped (SIGSTOP, a debugger) inside that moment keeps it.
const REDB_HEADER_LEN: i64 = 320;

pub(crate) fn redb_header_held(path: &Path) -> bool {
    with_file(path, |file| {
        let mut fl = flock(libc::F_RDLCK, 0, REDB_HEADER_LEN);
        // SAFETY: a valid descriptor and a fully initialised flock; F_OFD_GETLK wants l_pid 0.
        let r = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut fl) };
        r == 0 && fl.l_type != libc::F_UNLCK as libc::c_short
    })
    .unwrap_or(false)
}

fn query(file: &File) -> Option<Writer> {
    let mut fl = flock(libc::F_WRLCK, MARK_BASE, MARK_SPAN);
    // SAFETY: a valid descriptor and a fully initialised flock for F_GETLK.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut fl) } != 0 {
        return None;
    }
    // OFD locks report pid -1; only a process lock names a process.
    if fl.l_type == libc::F_UNLCK as libc::c_short || fl.l_pid <= 0 {
        return None;
    }
    Some(Writer {
        pid: fl.l_pid as u32,
        since: (fl.l_start - MARK_BASE).max(0) as u64,
    })
}

fn flock(kind: i32, start: i64, len: i64) -> libc::flock {
    // SAFETY: flock is plain data; all-zero is a valid value.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = start;
    fl.l_len = len;
    fl
}

fn lock(file: &File, kind: i32, start: i64, len: i64) -> std::io::Result<()> {
    let fl = flock(kind, start, len);
    loop {
        // SAFETY: a valid descriptor and a fully initialised flock; F_SETLK never blocks.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &fl) } == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_never_sees_its_own_mark_and_marks_nest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        std::fs::write(&path, b"x").unwrap();
        let a = Mark::take(&path);
        let b = Mark::take(&path);
        assert!(a.key.is_some() && b.key.is_some());
        assert_eq!(writer(&path), None, "F_GETLK ignores our own locks");
        drop(a);
        let key = b.key.unwrap();
        assert_eq!(registry().lock().unwrap()[&key].count, 1);
        drop(b);
        assert!(!registry().lock().unwrap().contains_key(&key));
    }
}
