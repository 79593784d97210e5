//! Who holds the store (for the "store is busy" message): the process inside a write
//! transaction, named by its write mark ([`super::writer_mark`]) with its command line and
//! whether it is stopped; when no mark names one, every process with the file open (Linux
//! `/proc/<pid>/fd`). Best effort: elsewhere, or when `/proc` is not readable, the message says so.

use std::path::Path;

/// Who is writing and what to do about it, as one or two sentences for [`super::StoreError::Busy`].
pub fn describe(store: &Path) -> String {
    if let Some(w) = super::writer_mark::writer(store) {
        let pid = w.pid;
        let now = crate::clock::now_millis() / 1000;
        let held = now.saturating_sub(w.since);
        let who = format!(
            "pid {pid} ({}) has been inside a write transaction for {held}s",
            command_line(pid)
        );
        return if stopped(pid) {
            format!(
                "{who} and is stopped (Ctrl-Z or SIGSTOP). Continue it (`fg` in its terminal, or \
                 `kill -CONT {pid}`) or end it (`kill {pid}`), then try again"
            )
        } else {
            format!("{who}. Wait for it to finish (or end it: `kill {pid}`), then try again")
        };
    }
    format!(
        "another process is writing to it and could not be named ({}). Wait for it to \
         finish; a stopped process (Ctrl-Z) keeps the store until it is continued (`fg`, \
         `kill -CONT PID`) or ended, then try again",
        open_by(store)
    )
}

/// "processes with it open: pid 1 (cmd), …", or a sentence saying none could be found.
pub fn open_by(store: &Path) -> String {
    let found = find(store);
    if found.is_empty() {
        return "no other process with it open could be found in /proc".to_string();
    }
    let list: Vec<String> = found
        .iter()
        .map(|(pid, cmd)| format!("pid {pid} ({cmd})"))
        .collect();
    format!("processes with it open: {}", list.join(", "))
}

/// Whether `pid` is stopped (state `T`) or being traced (`t`).
fn stopped(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) S ...": the command may hold spaces and parentheses; the state follows the
    // last ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|s| s == "T" || s == "t")
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
