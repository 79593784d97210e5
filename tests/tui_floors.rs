//! The TUI's floors (src/tui/mod.rs docs, DESIGN.md "tui/"): kit → jobs → modals → panes → app
//! → frame, each importing only its own floor or lower ones, and no import cycle between the
//! TUI's modules. This reads every `use` and inline `crate::tui::` / `super::` path under
//! `src/tui` and fails naming the file and line of each upward import and of one edge of each
//! cycle. `cargo test --test tui_floors -- --nocapture` prints the summary.
//!
//! A module here is a floor's `mod.rs` or one direct child of a floor (a file, or a directory
//! with everything under it: `modals/studio/`, `panes/grid/`, `modals/prompt/`). Imports inside
//! one module are its own business and not counted, nor are a file's unit tests (`mod tests`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

mod import_graph;
use import_graph::{cycles, expand, Edge};

/// The floors, lowest first. `tui` itself (src/tui/mod.rs, the event loop) sits above them all.
const FLOORS: [&str; 6] = ["kit", "jobs", "modals", "panes", "app", "frame"];

fn floor_of(unit: &str) -> usize {
    let top = unit.split("::").next().unwrap_or("");
    FLOORS
        .iter()
        .position(|f| *f == top)
        .unwrap_or(FLOORS.len())
}

/// The module path of a file under `root` (`modals/studio/gallery.rs` → [modals, studio,
/// gallery]; a `mod.rs` is its directory).
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    if last != "mod.rs" {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    parts
}

/// The module an absolute tui path (`[modals, prompt, Prompt]`) lands in: the floor and its
/// direct child when that child is a file or directory, else the floor's `mod.rs`.
fn unit_of(root: &Path, path: &[String]) -> String {
    let Some(floor) = path.first() else {
        return "tui".into();
    };
    if !root.join(floor).is_dir() && !root.join(format!("{floor}.rs")).is_file() {
        return "tui".into();
    }
    match path.get(1) {
        Some(child)
            if root.join(floor).join(format!("{child}.rs")).is_file()
                || root.join(floor).join(child).is_dir() =>
        {
            format!("{floor}::{child}")
        }
        _ => floor.clone(),
    }
}

/// The module a file belongs to.
fn unit_of_file(root: &Path, file: &Path) -> String {
    let m = module_of(root, file);
    if m.is_empty() {
        return "tui".into();
    }
    unit_of(root, &m)
}

/// A path as written in `module` resolved to an absolute path under `tui` (`None`: outside the
/// TUI, such as `crate::workspace` or `ratatui`).
fn resolve(root: &Path, module: &[String], path: &str) -> Option<Vec<String>> {
    let path = path.split(" as ").next().unwrap_or(path);
    let segs: Vec<String> = path.split("::").map(str::to_string).collect();
    let mut here = module.to_vec();
    let mut rest = &segs[..];
    match rest.first().map(String::as_str) {
        Some("crate") => {
            if rest.get(1).map(String::as_str) != Some("tui") {
                return None;
            }
            here.clear();
            rest = &rest[2..];
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
            let child_file = dir.join(format!("{first}.rs"));
            if !child_file.is_file() && !dir.join(first).is_dir() {
                return None;
            }
        }
        None => return None,
    }
    here.extend(rest.iter().cloned());
    Some(here)
}

/// Every tui path a file names, with its line: `use` trees (also across lines) and inline
/// `crate::tui::…` / `super::…` paths.
fn paths_in(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let line_at = |offset: usize| text[..offset].matches('\n').count() + 1;
    let mut search = 0;
    while let Some(found) = text[search..].find("use ") {
        let start = search + found;
        search = start + 4;
        // Only a `use` item: at the start of its line, perhaps after `pub` or `pub(crate)`.
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
            out.push((line_at(start), p));
        }
    }
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if code.trim_start().starts_with("use ") || code.contains(" use ") {
            continue;
        }
        for prefix in ["crate::tui::", "super::"] {
            let mut from = 0;
            while let Some(at) = code[from..].find(prefix) {
                let start = from + at;
                let tail: String = code[start..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                out.push((i + 1, tail.trim_end_matches(':').to_string()));
                from = start + prefix.len();
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
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// All imports between different modules of the tree at `root`.
fn edges(root: &Path) -> (usize, Vec<Edge>) {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // A file's unit tests (`mod tests`, last in the file) see it through `super::*`.
        let text = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => text[..at].to_string(),
            None => text,
        };
        let module = module_of(root, file);
        let from = unit_of_file(root, file);
        for (line, path) in paths_in(&text) {
            let Some(abs) = resolve(root, &module, &path) else {
                continue;
            };
            let to = unit_of(root, &abs);
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

fn upward(edges: &[Edge]) -> Vec<String> {
    edges
        .iter()
        .filter(|e| floor_of(&e.to) > floor_of(&e.from))
        .map(|e| {
            format!(
                "src/tui/{}:{}: `{}` imports {} (floor {}) from {} (floor {})",
                e.file,
                e.line,
                e.path,
                e.to,
                floor_name(&e.to),
                e.from,
                floor_name(&e.from)
            )
        })
        .collect()
}

fn floor_name(unit: &str) -> &'static str {
    FLOORS.get(floor_of(unit)).copied().unwrap_or("tui")
}

#[test]
fn tui_floors_import_only_downward_and_without_cycles() {
    // `TUI_FLOORS_ROOT=<dir>` checks another tree (an older checkout, to compare).
    let root = std::env::var_os("TUI_FLOORS_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui"));
    let (files, edges) = edges(&root);
    let up = upward(&edges);
    let cyc = cycles(&edges, "src/tui/");
    let modules: BTreeSet<&str> = edges
        .iter()
        .flat_map(|e| [e.from.as_str(), e.to.as_str()])
        .collect();
    println!(
        "tui floors: {files} files, {} modules, {} imports between modules; {} upward imports, \
         {} cycles",
        modules.len(),
        edges.len(),
        up.len(),
        cyc.len()
    );
    for floor in FLOORS.iter().chain(["tui"].iter()) {
        let mut to: BTreeSet<&str> = BTreeSet::new();
        for e in edges.iter().filter(|e| floor_name(&e.from) == *floor) {
            to.insert(floor_name(&e.to));
        }
        let to: Vec<&str> = to.into_iter().filter(|f| f != floor).collect();
        println!(
            "  {floor:7} imports {}",
            if to.is_empty() {
                "nothing else in tui".to_string()
            } else {
                to.join(", ")
            }
        );
    }
    assert!(
        files > 40 && edges.len() > 100,
        "the check read the tree ({files} files)"
    );
    assert!(up.is_empty(), "upward imports:\n{}", up.join("\n"));
    assert!(cyc.is_empty(), "import cycles:\n{}", cyc.join("\n"));
}

/// The check itself catches what it is for, on a small tree written here.
#[test]
fn the_floor_check_names_an_upward_import_and_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("mod.rs", "pub mod kit;\npub mod modals;\npub mod panes;\n");
    write("kit/mod.rs", "pub mod action;\npub use action::Action;\n");
    write(
        "kit/action.rs",
        "use crate::tui::panes::runs::RunsPane;\npub enum Action {}\n",
    );
    write("modals/mod.rs", "pub mod ask;\npub mod help;\n");
    write(
        "modals/ask.rs",
        "use super::help::Help;\nuse crate::tui::kit::Action;\n",
    );
    write(
        "modals/help.rs",
        "use crate::tui::kit::Action;\n\nfn f() {\n    let _ = super::ask::Ask::new();\n}\n",
    );
    write("panes/mod.rs", "pub mod runs;\n");
    write(
        "panes/runs.rs",
        "use crate::tui::{kit::action, kit::Action};\n",
    );
    let (_, edges) = edges(root);
    let up = upward(&edges);
    assert_eq!(up.len(), 1, "{up:?}");
    assert!(
        up[0].starts_with("src/tui/kit/action.rs:1:")
            && up[0].contains("panes::runs (floor panes)"),
        "{}",
        up[0]
    );
    let cyc = cycles(&edges, "src/tui/");
    let text = cyc.join("\n");
    // kit::action -> panes::runs -> kit -> kit::action, and ask <-> help.
    assert_eq!(cyc.len(), 2, "{text}");
    assert!(
        text.contains("src/tui/modals/help.rs:4: modals::help -> modals::ask"),
        "{text}"
    );
    assert!(
        text.contains("src/tui/modals/ask.rs:1: modals::ask -> modals::help"),
        "{text}"
    );
    assert!(text.contains("kit::action -> panes::runs"), "{text}");
}
