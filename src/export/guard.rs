//! Where an export may write (issue 10 item 1): never onto the open store, its lock or temp
//! files, the age identity, the keymap/theme/prices files or anything else in the config
//! directory, the log, or anything that is not a plain file. Symlinks are resolved and files are
//! compared by canonical path and by device + inode, so a hard link or `a/../b` cannot slip by.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Files and folders an export must never replace.
#[derive(Debug, Clone, Default)]
pub struct Protected {
    /// The store file: it, and every sibling whose name starts with `.<name>` or `<name>`
    /// (redb and our own lock / temp files), are refused.
    pub store: Option<PathBuf>,
    /// Folders whose every file is refused (the config directory: identity, keymap, prices).
    pub dirs: Vec<PathBuf>,
    /// Single files refused (the log).
    pub files: Vec<PathBuf>,
}

impl Protected {
    /// The store at `store` plus this user's config directory and log file.
    pub fn for_store(store: &Path) -> Protected {
        Protected {
            store: Some(store.to_path_buf()),
            dirs: crate::paths::config_dir().into_iter().collect(),
            files: crate::paths::state_dir()
                .map(|d| d.join(crate::logging::LOG_FILE))
                .into_iter()
                .collect(),
        }
    }
}

/// Why an output path is refused.
#[derive(Debug, thiserror::Error)]
#[error("refusing to export to {target}: {reason}; nothing was written")]
pub struct Refused {
    pub target: String,
    pub reason: String,
}

/// Canonical form of `p` even when the file does not exist yet (its folder must).
fn canonical(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = std::fs::canonicalize(p) {
        return Some(c);
    }
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(p.file_name()?))
}

fn same_file(a: &std::fs::Metadata, b: &Path) -> bool {
    std::fs::metadata(b).is_ok_and(|m| m.dev() == a.dev() && m.ino() == a.ino())
}

/// Check `target` and return the path to write: the canonical path, so a symlink to a plain
/// file is written through (the link stays a link).
pub fn check_output(target: &Path, protected: &Protected) -> Result<PathBuf, Refused> {
    let refuse = |reason: String| Refused {
        target: target.display().to_string(),
        reason,
    };
    let meta = existing_plain_file(target).map_err(refuse)?;
    let canon = canonical(target).ok_or_else(|| refuse("its folder does not exist".to_string()))?;
    if let Some(store) = &protected.store {
        if let Some(reason) = store_reason(&canon, meta.as_ref(), store) {
            return Err(refuse(reason));
        }
    }
    if let Some(reason) = protected_reason(&canon, meta.as_ref(), protected) {
        return Err(refuse(reason));
    }
    Ok(canon)
}

/// What is at `target` today: nothing (`None`) or a plain file (followed through symlinks);
/// anything else is the reason to refuse it.
fn existing_plain_file(target: &Path) -> Result<Option<std::fs::Metadata>, String> {
    let meta = match std::fs::metadata(target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot inspect it ({e})")),
    };
    if let Some(m) = &meta {
        if !m.file_type().is_file() {
            let kind = crate::files::file_kind(&m.file_type());
            return Err(format!(
                "it is {kind}, not a plain file; choose a file path"
            ));
        }
    } else if std::fs::symlink_metadata(target).is_ok() {
        return Err("it is a dangling symbolic link".into());
    }
    Ok(meta)
}

/// Why `canon` may not be written because of the open `store` (it, or its lock and temporary
/// files beside it), if it may not.
fn store_reason(canon: &Path, meta: Option<&std::fs::Metadata>, store: &Path) -> Option<String> {
    let store_canon = canonical(store).unwrap_or_else(|| store.to_path_buf());
    let name = store_canon
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let target_name = canon
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sibling = canon.parent() == store_canon.parent()
        && !name.is_empty()
        && (target_name.starts_with(&name) || target_name.starts_with(&format!(".{name}")));
    if canon == store_canon || meta.is_some_and(|m| same_file(m, store)) {
        return Some(
            "it is the open Blockwise store; exporting there would destroy the workspace".into(),
        );
    }
    if sibling {
        return Some(format!(
            "it belongs to the store {} (a lock or temporary file)",
            store.display()
        ));
    }
    None
}

/// Why `canon` may not be written because it is one of Blockwise's own files or folders (also
/// through a hard link), if it may not.
fn protected_reason(
    canon: &Path,
    meta: Option<&std::fs::Metadata>,
    protected: &Protected,
) -> Option<String> {
    for dir in &protected.dirs {
        let Ok(dir_canon) = std::fs::canonicalize(dir) else {
            continue;
        };
        if canon.starts_with(&dir_canon) {
            return Some(format!(
                "it is inside Blockwise's config folder {} (keys identity, keymap, prices)",
                dir.display()
            ));
        }
    }
    // A hard link to a protected file has another path but the same inode.
    if let Some(m) = meta {
        let protected_files = protected.files.iter().cloned().chain(
            protected
                .dirs
                .iter()
                .filter_map(|d| std::fs::read_dir(d).ok())
                .flatten()
                .flatten()
                .map(|e| e.path()),
        );
        for f in protected_files {
            if same_file(m, &f) {
                return Some(format!("it is Blockwise's own file {}", f.display()));
            }
        }
    }
    protected
        .files
        .iter()
        .find(|f| canonical(f).is_some_and(|c| c == canon))
        .map(|f| format!("it is Blockwise's own file {}", f.display()))
}
