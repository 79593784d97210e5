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
use import_graph::paths::edges;
use import_graph::{cycles, Edge};

/// Cycles between top-level modules, then between the children of each top-level module.
fn crate_cycles(root: &Path) -> (usize, usize, Vec<String>, Vec<String>) {
    let (files, top) = edges(root, 1, None);
    let top_cycles = cycles(&top, "src/");
    let (_, inner) = edges(root, 2, None);
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
