//! Reading a source tree's imports into [`Edge`]s, for both checks: `src` for
//! tests/module_cycles.rs, `src/tui` (paths `crate::tui::…`) for tests/tui_floors.rs.

use std::path::{Path, PathBuf};

use super::{expand, Edge};

/// The module path of a file under `root` (`cli/run.rs` → [cli, run]; a `mod.rs` is its
/// directory; `lib.rs` and `main.rs` are the crate root, []).
pub fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let root_file = parts.is_empty() && (last == "lib.rs" || last == "main.rs");
    if last != "mod.rs" && !root_file {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    parts
}

/// The unit (`label` for the root itself) an absolute module path lands in, `depth` segments deep at most (1: the top-level
/// module; 2: its direct child when that child is a file or directory, else its `mod.rs`).
pub fn unit_of(root: &Path, path: &[String], depth: usize, label: &str) -> String {
    let Some(top) = path.first() else {
        return label.into();
    };
    if !root.join(top).is_dir() && !root.join(format!("{top}.rs")).is_file() {
        return label.into();
    }
    match path.get(1) {
        Some(child)
            if depth > 1
                && (root.join(top).join(format!("{child}.rs")).is_file()
                    || root.join(top).join(child).is_dir()) =>
        {
            format!("{top}::{child}")
        }
        _ => top.clone(),
    }
}

/// A path as written in `module` resolved to an absolute path in the tree (`None`: outside
/// it, such as `std::…`, `ratatui::…`, or `crate::workspace` for the `tui` tree).
pub fn resolve(
    root: &Path,
    module: &[String],
    path: &str,
    inner: Option<&str>,
) -> Option<Vec<String>> {
    let path = path.split(" as ").next().unwrap_or(path);
    let segs: Vec<String> = path.split("::").map(str::to_string).collect();
    let mut here = module.to_vec();
    let mut rest = &segs[..];
    match rest.first().map(String::as_str) {
        Some("crate") => {
            // Under `inner` (`tui`), only `crate::tui::…` is inside the tree.
            if let Some(inner) = inner {
                if rest.get(1).map(String::as_str) != Some(inner) {
                    return None;
                }
                rest = &rest[1..];
            }
            here.clear();
            rest = &rest[1..];
        }
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                here.pop()?;
                rest = &rest[1..];
            }
        }
        Some("self") => rest = &rest[1..],
        Some(first) => {
            // A child module of this one (`use detail::Detail;` beside `mod detail;`).
            let dir = root.join(module.join("/"));
            if !dir.join(format!("{first}.rs")).is_file() && !dir.join(first).is_dir() {
                return None;
            }
        }
        None => return None,
    }
    here.extend(rest.iter().cloned());
    Some(here)
}

/// Every path a file names, with its line: `use` trees (also across lines) and inline
/// `prefix…` (`crate::` or `crate::tui::`) / `super::…` paths.
pub fn paths_in(text: &str, prefix: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let line_at = |offset: usize| text[..offset].matches('\n').count() + 1;
    let mut search = 0;
    while let Some(found) = text[search..].find("use ") {
        let start = search + found;
        search = start + 4;
        // Only a `use` item: at the start of its line, perhaps after a visibility.
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let lead = text[line_start..start].trim();
        if !matches!(lead, "" | "pub" | "pub(crate)" | "pub(super)") {
            continue;
        }
        let Some(end) = text[start..].find(';') else {
            break;
        };
        let tree = &text[start + 4..start + end];
        if tree.contains('"') || tree.contains('\n') && !tree.contains('{') {
            continue;
        }
        for p in expand(tree) {
            // `use crate::schema::{self, …}` names `crate::schema`.
            let p = p.strip_suffix("::self").map_or(p.clone(), str::to_string);
            out.push((line_at(start), p));
        }
    }
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if code.trim_start().starts_with("use ") || code.contains(" use ") {
            continue;
        }
        for prefix in [prefix, "super::"] {
            let mut from = 0;
            while let Some(at) = code[from..].find(prefix) {
                let start = from + at;
                let before = code[..start].chars().next_back();
                from = start + prefix.len();
                // `$crate::`, `blockwise::crate::`, `super::super::` (counted once) are skipped.
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':' || c == '$') {
                    continue;
                }
                let tail: String = code[start..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                out.push((i + 1, tail.trim_end_matches(':').to_string()));
            }
        }
    }
    out
}

pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
            out.push(path);
        }
    }
}

/// All imports between different units (`depth` as in [`unit_of`]) of the tree at `root`
/// (`src`, or `src/tui` with `inner` = `tui`). A file's unit tests (`#[cfg(test)] mod tests`
/// at its end, or a `tests.rs`) are not read: they see their module through `super::*`.
pub fn edges(root: &Path, depth: usize, inner: Option<&str>) -> (usize, Vec<Edge>) {
    let label = inner.unwrap_or("crate");
    let prefix = inner.map_or("crate::".to_string(), |i| format!("crate::{i}::"));
    let mut files = Vec::new();
    rust_files(root, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let text = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => text[..at].to_string(),
            None => text,
        };
        let module = module_of(root, file);
        let from = unit_of(root, &module, depth, label);
        for (line, path) in paths_in(&text, &prefix) {
            let Some(abs) = resolve(root, &module, &path, inner) else {
                continue;
            };
            let to = unit_of(root, &abs, depth, label);
            if to != from {
                out.push(Edge {
                    from: from.clone(),
                    to,
                    file: file.strip_prefix(root).unwrap().display().to_string(),
                    line,
                    path,
                });
            }
        }
    }
    (files.len(), out)
}
