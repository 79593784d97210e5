//! Which files a folder ingest takes (issue 22 item 2), in path order.
//!
//! Paths given on the command line are taken as they are (a file of an unknown type is refused,
//! as for a single-file ingest). Inside a folder: hidden entries (`.name`) are skipped, files
//! of an unknown extension are skipped and counted, `--include` / `--exclude` globs filter by
//! name or by path below the folder, subfolders are walked only with `--recursive`. Symlinks
//! are followed only while they stay inside the folder; every folder is walked once (by its
//! canonical path), so a symlink loop ends at once.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::glob::Glob;
use super::SourceFormat;

/// Deeper than this a folder is reported, not walked (paths would hit PATH_MAX anyway).
const MAX_DEPTH: usize = 128;

/// What to take from folders.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    pub recursive: bool,
    pub include: Vec<Glob>,
    pub exclude: Vec<Glob>,
}

/// Why an entry was left out on purpose (counted, and named when it is a symlink).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipKind {
    UnknownType,
    Hidden,
    Excluded,
    /// A subfolder without `--recursive`.
    Folder,
    /// A symlink whose target lies outside the folder being ingested.
    SymlinkOut,
    /// A folder reached again through a symlink, or a symlink that resolves to itself.
    Loop,
}

impl SkipKind {
    /// The words of the summary line: `skipped 7 (unknown type)`.
    pub fn label(self) -> &'static str {
        match self {
            SkipKind::UnknownType => "unknown type",
            SkipKind::Hidden => "hidden",
            SkipKind::Excluded => "excluded",
            SkipKind::Folder => "folder: use --recursive",
            SkipKind::SymlinkOut => "symlink out of the folder",
            SkipKind::Loop => "symlink loop or folder seen twice",
        }
    }

    /// Whether each one is named on stderr (the others are only counted).
    pub fn is_named(self) -> bool {
        matches!(
            self,
            SkipKind::SymlinkOut | SkipKind::Loop | SkipKind::Folder
        )
    }
}

/// An entry left out, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub kind: SkipKind,
    pub reason: String,
}

/// What the walk found: files to ingest in path order, entries skipped, entries refused.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
    /// Entries that could not be listed or resolved: `(path, reason)`.
    pub refused: Vec<(PathBuf, String)>,
}

struct Walker<'a> {
    opts: &'a WalkOptions,
    out: Walk,
    /// Canonical paths of the folders walked so far.
    seen: HashSet<PathBuf>,
}

/// Walk `paths` (files and folders) into the list of files to ingest.
pub fn walk(paths: &[PathBuf], opts: &WalkOptions) -> Walk {
    let mut w = Walker {
        opts,
        out: Walk::default(),
        seen: HashSet::new(),
    };
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => match std::fs::canonicalize(path) {
                Ok(root) => {
                    let before = (w.out.files.len(), w.out.skipped.len(), w.out.refused.len());
                    if w.seen.insert(root.clone()) {
                        w.dir(path, &root, "", 0);
                    }
                    if w.out.files.len() == before.0 && w.out.refused.len() == before.2 {
                        let skipped = w.out.skipped.len() - before.1;
                        w.refuse(
                            path,
                            format!("no file to ingest in this folder ({skipped} skipped)"),
                        );
                    }
                }
                Err(e) => w.refuse(path, format!("cannot resolve the folder: {e}")),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                w.refuse(path, "no such file or folder".into())
            }
            // A named file goes to the reader, which names its kind (FIFO, device, ...).
            _ => w.out.files.push(path.clone()),
        }
    }
    w.out
}

impl Walker<'_> {
    fn refuse(&mut self, path: &Path, reason: String) {
        self.out.refused.push((path.to_path_buf(), reason));
    }

    fn skip(&mut self, path: PathBuf, kind: SkipKind, reason: String) {
        self.out.skipped.push(Skipped { path, kind, reason });
    }

    fn excluded(&self, rel: &str) -> bool {
        self.opts.exclude.iter().any(|g| g.matches_path(rel))
    }

    fn included(&self, rel: &str) -> bool {
        self.opts.include.is_empty() || self.opts.include.iter().any(|g| g.matches_path(rel))
    }

    /// Walk the folder at `path` (canonical `root` of the tree) whose entries are `rel/NAME`.
    fn dir(&mut self, path: &Path, root: &Path, rel: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return self.refuse(
                path,
                format!("nested deeper than {MAX_DEPTH} folders; not walked"),
            );
        }
        let mut entries: Vec<(OsString, PathBuf)> = match std::fs::read_dir(path) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| (e.file_name(), e.path()))
                .collect(),
            Err(e) => return self.refuse(path, format!("cannot list the folder: {e}")),
        };
        entries.sort();
        for (name, child) in entries {
            let name = name.to_string_lossy().into_owned();
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if name.starts_with('.') {
                self.skip(child, SkipKind::Hidden, "hidden".into());
                continue;
            }
            self.entry(child, root, &child_rel, depth);
        }
    }

    fn entry(&mut self, child: PathBuf, root: &Path, rel: &str, depth: usize) {
        let link = match std::fs::symlink_metadata(&child) {
            Ok(m) => m.file_type().is_symlink(),
            Err(e) => return self.refuse(&child, vanished(e)),
        };
        let meta = match std::fs::metadata(&child) {
            Ok(m) => m,
            Err(e) if link && e.raw_os_error() == Some(libc::ELOOP) => {
                let reason = "symlink loop: it resolves to itself".to_string();
                return self.skip(child, SkipKind::Loop, reason);
            }
            Err(e) if link && e.kind() == std::io::ErrorKind::NotFound => {
                return self.refuse(&child, "broken symlink: its target does not exist".into())
            }
            Err(e) => return self.refuse(&child, vanished(e)),
        };
        let mut canonical = None;
        if link || meta.is_dir() {
            let target = match std::fs::canonicalize(&child) {
                Ok(t) => t,
                Err(e) => return self.refuse(&child, vanished(e)),
            };
            if link && !target.starts_with(root) {
                let reason = format!(
                    "symlink leads out of the folder (to {}); not followed",
                    target.display()
                );
                return self.skip(child, SkipKind::SymlinkOut, reason);
            }
            canonical = Some(target);
        }
        if self.excluded(rel) {
            return self.skip(child, SkipKind::Excluded, "excluded".into());
        }
        if meta.is_dir() {
            return self.subdir(child, canonical.unwrap_or_default(), root, rel, depth);
        }
        if SourceFormat::from_path(&child).is_err() {
            return self.skip(child, SkipKind::UnknownType, "unknown type".into());
        }
        if !self.included(rel) {
            return self.skip(child, SkipKind::Excluded, "not included".into());
        }
        self.out.files.push(child);
    }

    fn subdir(&mut self, child: PathBuf, canonical: PathBuf, root: &Path, rel: &str, depth: usize) {
        if !self.opts.recursive {
            let reason = "a subfolder; pass --recursive to ingest it too".to_string();
            return self.skip(child, SkipKind::Folder, reason);
        }
        if !self.seen.insert(canonical.clone()) {
            let reason = format!(
                "{} was walked already (symlink loop); not walked again",
                canonical.display()
            );
            return self.skip(child, SkipKind::Loop, reason);
        }
        self.dir(&child, root, rel, depth + 1);
    }
}

fn vanished(e: std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        "vanished while the folder was being read".into()
    } else {
        format!("cannot read: {e}")
    }
}
