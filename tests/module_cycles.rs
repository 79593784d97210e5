//! Crate-wide import cycles (issue 21: "0 import cycles in the crate"). This reads every `use`
//! tree and inline `crate::…` / `super::…` path under `src/` and reports cycles between the
//! crate's top-level modules (cli, workspace, worker, store, …: the first segment after
//! `crate::`) and, inside each top-level module, between its direct children (a file, or a
//! directory with everything under it). Each cycle names the file and line of every import on
//! it. `cargo test --test module_cycles -- --nocapture` prints the summary.
//!
//! A file's unit tests (`#[cfg(test)] mod tests` at its end, or a `tests.rs` file) are not
//! counted: they see their module through `super::*`, which is no design dependency.
//! (The TUI's own floors are checked more strictly by tests/tui_floors.rs.)

use std::path::{Path, PathBuf};

mod import_graph;
use import_graph::{cycles, expand, Edge};

/// The module path of a file under `root` (`cli/run.rs` → [cli, run]; a `mod.rs` is its
/// directory; `lib.rs` and `main.rs` are the crate root, []).
fn module_of(root: &Path, file: &Path) -> Vec<String> {
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

/// The unit an absolute module path lands in, `depth` segments deep at most (1: the top-level
/// module; 2: its direct child when that child is a file or directory, else its `mod.rs`).
fn unit_of(root: &Path, path: &[String], depth: usize) -> String {
    let Some(top) = path.first() else {
        return "crate".into();
    };
    if !root.join(top).is_dir() && !root.join(format!("{top}.rs")).is_file() {
        return "crate".into();
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

/// A path as written in `module` resolved to an absolute path in the crate (`None`: outside
/// it, such as `std::…` or `ratatui::…`).
fn resolve(root: &Path, module: &[String], path: &str) -> Option<Vec<String>> {
    let path = path.split(" as ").next().unwrap_or(path);
    let segs: Vec<String> = path.split("::").map(str::to_string).collect();
    let mut here = module.to_vec();
    let mut rest = &segs[..];
    match rest.first().map(String::as_str) {
        Some("crate") => {
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

/// Every crate path a file names, with its line: `use` trees (also across lines) and inline
/// `crate::…` / `super::…` paths.
fn paths_in(text: &str) -> Vec<(usize, String)> {
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
        for prefix in ["crate::", "super::"] {
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

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
            out.push(path);
        }
    }
}

/// All imports between different units (`depth` as in [`unit_of`]) of the tree at `root`.
fn edges(root: &Path, depth: usize) -> (usize, Vec<Edge>) {
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
        let from = unit_of(root, &module, depth);
        for (line, path) in paths_in(&text) {
            let Some(abs) = resolve(root, &module, &path) else {
                continue;
            };
            let to = unit_of(root, &abs, depth);
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

/// Cycles between top-level modules, then between the children of each top-level module.
fn crate_cycles(root: &Path) -> (usize, usize, Vec<String>, Vec<String>) {
    let (files, top) = edges(root, 1);
    let top_cycles = cycles(&top, "src/");
    let (_, inner) = edges(root, 2);
    // Only imports between two children of one top-level module (`cli::run -> cli::progress`).
    // A child naming its parent's `mod.rs` (`super::Workspace`) while that `mod.rs` re-exports
    // the child is Rust's usual facade, not counted.
    let inner: Vec<Edge> = inner
        .into_iter()
        .filter(|e| {
            let (a, b) = (e.from.split_once("::"), e.to.split_once("::"));
            matches!((a, b), (Some((a, _)), Some((b, _))) if a == b)
        })
        .collect();
    (files, top.len(), top_cycles, cycles(&inner, "src/"))
}

#[test]
fn the_crate_has_no_import_cycles_between_modules() {
    // `MODULE_CYCLES_ROOT=<dir>` checks another tree (an older checkout, to compare).
    let root = std::env::var_os("MODULE_CYCLES_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let (files, top_edges, top, inner) = crate_cycles(&root);
    println!(
        "module cycles: {files} files, {top_edges} imports between top-level modules; \
         {} cycles between top-level modules, {} inside them",
        top.len(),
        inner.len()
    );
    for c in top.iter().chain(&inner) {
        println!("{c}");
    }
    assert!(
        files > 100 && top_edges > 100,
        "the check read the tree ({files} files, {top_edges} imports)"
    );
    assert!(
        top.is_empty() && inner.is_empty(),
        "import cycles:\n{}",
        top.iter()
            .chain(&inner)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The check itself catches what it is for, on a small tree written here.
#[test]
fn the_cycle_check_names_the_imports_on_each_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "pub mod cli;\npub mod store;\npub mod model;\n");
    write("model.rs", "pub struct Block;\n");
    write("store/mod.rs", "pub mod blocks;\npub mod runs;\n");
    write(
        "store/blocks.rs",
        "use crate::model::Block;\nuse super::runs::Run;\n",
    );
    write(
        "store/runs.rs",
        "pub struct Run;\nfn f() {\n    let _ = super::blocks::load();\n}\n",
    );
    write("cli/mod.rs", "pub mod run;\n");
    write(
        "cli/run.rs",
        "use crate::{model::Block, store::runs::Run};\n",
    );
    // store -> cli: a cycle with cli -> store.
    write(
        "store/report.rs",
        "fn g() {\n    crate::cli::run::print();\n}\n\
         #[cfg(test)]\nmod tests {\n    use crate::model::Block;\n}\n",
    );
    let (_, _, top, inner) = crate_cycles(root);
    let top_text = top.join("\n");
    assert_eq!(top.len(), 1, "{top_text}");
    assert!(
        top_text.starts_with("cycle between cli, store:"),
        "{top_text}"
    );
    assert!(
        top_text.contains("src/store/report.rs:2: store -> cli (`crate::cli::run::print`)"),
        "{top_text}"
    );
    assert!(
        top_text.contains("src/cli/run.rs:1: cli -> store (`crate::store::runs::Run`)"),
        "{top_text}"
    );
    assert!(!top_text.contains("model"), "{top_text}");
    let inner_text = inner.join("\n");
    assert_eq!(inner.len(), 1, "{inner_text}");
    assert!(
        inner_text.contains("src/store/blocks.rs:2: store::blocks -> store::runs"),
        "{inner_text}"
    );
    assert!(
        inner_text.contains("src/store/runs.rs:3: store::runs -> store::blocks"),
        "{inner_text}"
    );
}
