//! Who has the store open (for the "store is busy" message): Linux lists every process with the
//! file open in `/proc/<pid>/fd`; we name their pid and command line. Best effort: elsewhere, or
//! when `/proc` is not readable, the message says so.

use std::path::Path;

/// "pid 1234 (blockwise run start r1), pid 99 (...)" for the other processes with `store`
/// open, or a sentence saying none could be found.
pub fn describe(store: &Path) -> String {
    let found = find(store);
    if found.is_empty() {
        return "no other process with it open could be found in /proc".to_string();
    }
    let list: Vec<String> = found
        .iter()
        .map(|(pid, cmd)| format!("pid {pid} ({cmd})"))
        .collect();
    format!("held by {}", list.join(", "))
}

fn find(store: &Path) -> Vec<(u32, String)> {
    let Ok(target) = std::fs::canonicalize(store) else {
        return Vec::new();
    };
    let me = std::process::id();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == target));
        if holds {
            out.push((pid, command_line(pid)));
        }
    }
    out
}

fn command_line(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let words: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    let cmd = if words.is_empty() {
        "command unknown".to_string()
    } else {
        words.join(" ")
    };
    crate::model::sanitize_line(&cmd).into_owned()
}
