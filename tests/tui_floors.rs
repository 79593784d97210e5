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
use import_graph::paths::edges;
use import_graph::{cycles, Edge};

/// The floors, lowest first. `tui` itself (src/tui/mod.rs, the event loop) sits above them all.
const FLOORS: [&str; 6] = ["kit", "jobs", "modals", "panes", "app", "frame"];

fn floor_of(unit: &str) -> usize {
    let top = unit.split("::").next().unwrap_or("");
    FLOORS
        .iter()
        .position(|f| *f == top)
        .unwrap_or(FLOORS.len())
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
    let (files, edges) = edges(&root, 2, Some("tui"));
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
    let (_, edges) = edges(root, 2, Some("tui"));
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
