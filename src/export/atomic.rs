//! A file that appears at its final path only when complete: written to a temporary file in the
//! same directory (same filesystem, so the rename is atomic), synced, then renamed. Dropped
//! without [`AtomicFile::commit`], the temporary file is removed and the target is untouched.
//! The replaced file's permission bits are kept; a terminating signal removes the temporary
//! file; temporary files of exports killed earlier (`.NAME.<pid>.*.tmp`, pid dead) are swept.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::interrupt;

pub struct AtomicFile {
    tmp: PathBuf,
    target: PathBuf,
    file: Option<File>,
    _signal: interrupt::Guard,
}

/// The pid in a temp name of ours, `.NAME.<pid>.<nanos>.<attempt>.tmp`.
fn temp_pid(name: &str) -> Option<i32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = rest.rsplitn(4, '.');
    let (attempt, nanos, pid, base) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if base.is_empty() || !digits(attempt) || !digits(nanos) || !digits(pid) {
        return None;
    }
    pid.parse().ok()
}

fn pid_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists; no signal is sent.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Remove temp files in `dir` left by exports whose process is gone. Best effort.
pub fn sweep_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(temp_pid) else {
            continue;
        };
        let plain = e.file_type().is_ok_and(|t| t.is_file());
        if plain && pid > 0 && pid != std::process::id() as i32 && !pid_alive(pid) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

impl AtomicFile {
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "the output path names no file")
            })?
            .to_string_lossy()
            .into_owned();
        sweep_stale(&dir);
        // Keep the permission bits of the file being replaced (a 0600 file stays 0600).
        let mode = std::fs::metadata(target)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.permissions().mode() & 0o7777);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut attempt = 0u32;
        loop {
            let tmp = dir.join(format!(
                ".{name}.{}.{nanos}.{attempt}.tmp",
                std::process::id()
            ));
            let mut opts = OpenOptions::new();
            opts.write(true).create_new(true);
            if let Some(mode) = mode {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(mode & 0o777);
            }
            // Registered before the file exists, so no signal can slip between the two.
            let _signal = interrupt::register(&tmp);
            match opts.open(&tmp) {
                Ok(file) => {
                    if let Some(mode) = mode {
                        // The open mode was masked by the umask; set the exact bits.
                        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
                    }
                    return Ok(AtomicFile {
                        tmp,
                        target: target.to_path_buf(),
                        file: Some(file),
                        _signal,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Flush, sync and rename into place.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("export file already closed"))?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.target)?;
        Ok(())
    }

    fn file(&mut self) -> io::Result<&mut File> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("export file already closed"))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file()?.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() || self.tmp.exists() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_committed_file_appears() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.jsonl");
        std::fs::write(&target, "old").unwrap();
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"half").unwrap();
            // dropped without commit
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file left"
        );
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn keeps_the_mode_of_the_replaced_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("secret.csv");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[test]
    fn sweeps_temp_files_of_dead_exports_only() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".out.jsonl.2147483646.5.0.tmp");
        let alive = dir
            .path()
            .join(format!(".out.jsonl.{}.5.0.tmp", std::process::id()));
        let parent_alive = dir.path().join(".x.csv.1.7.0.tmp"); // pid 1 is always alive
        let foreign = dir.path().join(".notes.tmp");
        for p in [&dead, &alive, &parent_alive, &foreign] {
            std::fs::write(p, "x").unwrap();
        }
        let mut f = AtomicFile::create(&dir.path().join("other.md")).unwrap();
        f.write_all(b"x").unwrap();
        f.commit().unwrap();
        assert!(!dead.exists(), "stale temp of a dead pid kept");
        assert!(alive.exists() && parent_alive.exists() && foreign.exists());
    }
}
