//! Issue 20 ("Trust II"), items 0, 1, 5-9: one test per promise, each through real parts (the
//! `blockwise` binary as a subprocess, the real redb file, the fake provider over loopback).

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// A temp folder whose commands run the real binary with its own config/data/state dirs.
struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cli(&self, store: &Path, args: &[&str]) -> (i32, String, String) {
        let mut c = support::blockwise_in(self.dir.path());
        c.arg("--store").arg(store).args(args);
        support::outcome(c.output().unwrap())
    }

    fn json(&self, store: &Path, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let (code, out, err) = self.cli(store, &all);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        serde_json::from_str(&out).unwrap()
    }
}

fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn demo_refuses_to_wipe_a_demo_store_holding_the_users_work() {
    let d = Dir::new();
    let store = d.path("demo.redb");
    let (code, out, err) = d.cli(&store, &["demo", "--headless", "-q"]);
    assert_eq!(code, 0, "{out}{err}");
    // A pristine demo store is replaced by a fresh one.
    let (code, out, err) = d.cli(&store, &["demo", "--headless", "-q"]);
    assert_eq!(code, 0, "a pristine demo store may be reset: {out}{err}");
    // The user adds a document of their own, then asks for the demo again.
    let mine = d.path("mine.md");
    std::fs::write(&mine, "# Mine\n\nMy own paragraph.\n").unwrap();
    let (code, _, err) = d.cli(&store, &["ingest", mine.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let before = file_bytes(&store);
    let (code, _, err) = d.cli(&store, &["demo", "--headless"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("would lose 1 document (mine.md)"),
        "names what would be lost: {err}"
    );
    assert_eq!(file_bytes(&store), before, "store untouched");
    assert_eq!(d.json(&store, &["docs"]).as_array().unwrap().len(), 2);
    // `demo` without --headless and without a terminal refuses the same way.
    let (code, _, err) = d.cli(&store, &["demo"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(file_bytes(&store), before);
}

#[test]
fn demo_refuses_runs_policy_changes_and_reviews_added_to_a_demo_store() {
    let d = Dir::new();
    let store = d.path("demo.redb");
    assert_eq!(d.cli(&store, &["demo", "--headless", "-q"]).0, 0);
    let runs = d.json(&store, &["run", "list"]);
    let demo_run = runs[0]["run_id"].as_str().unwrap().to_string();
    let conv = runs[0]["conv_uid"].as_str().unwrap().to_string();
    let (code, _, err) = d.cli(&store, &["review", "confirm", &demo_run, "--blocks", "0"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = d.cli(
        &store,
        &["policy", "set", "worker.concurrency", "2", "--reason", "mine"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = d.cli(
        &store,
        &["run", "create", &conv, "classification", "--provider", "demo"],
    );
    assert_eq!(code, 0, "{err}");
    let before = file_bytes(&store);
    let (code, _, err) = d.cli(&store, &["demo", "--headless"]);
    assert_eq!(code, 1, "{err}");
    for lost in ["1 run (run_", "1 review action", "1 policy audit entry"] {
        assert!(err.contains(lost), "names {lost:?}: {err}");
    }
    assert_eq!(file_bytes(&store), before, "store untouched");
}

#[test]
fn demo_never_writes_over_a_file_beside_the_store() {
    let d = Dir::new();
    let store = d.path("fresh.redb");
    std::fs::create_dir_all(d.path("samples")).unwrap();
    let theirs = d.path("samples/service_agreement.md");
    std::fs::write(&theirs, "my own agreement, not the demo's\n").unwrap();
    let (code, _, err) = d.cli(&store, &["demo", "--headless"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is not the demo's sample"), "{err}");
    assert_eq!(file_bytes(&theirs), b"my own agreement, not the demo's\n");
    assert!(!store.exists(), "no store created beside the user's file");
}
