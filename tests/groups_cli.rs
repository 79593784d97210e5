//! Run groups through the real binary (issue 22 items 3 and 5): `run estimate|create --project`,
//! `run start|status GROUP` by prefix on the offline demo provider, and `export GROUP` as
//! JSONL / CSV in project order and as one Markdown file per document.

mod support;

use std::path::Path;
use std::sync::Arc;

use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::workspace::Workspace;
use serde_json::{json, Value};

fn cli(store: &Path, args: &[&str]) -> (i32, String, String) {
    let mut c = support::blockwise_in(store.parent().unwrap());
    c.arg("--store").arg(store).args(args);
    support::outcome(c.output().unwrap())
}

/// Three documents in project `p` (two share the stem `notes`), schema `s`; returns the store
/// path and the documents' texts in project order.
fn setup(dir: &Path) -> (std::path::PathBuf, Vec<String>) {
    let path = dir.join("s.redb");
    let store = Arc::new(Store::open(&path).unwrap());
    blockwise::policy::ensure_workspace_admin_as(&store, "tester").unwrap();
    let ws = Workspace::new(store.clone());
    let limits = ws.ingest_limits().unwrap();
    let mut docs = Vec::new();
    let mut texts = Vec::new();
    for (name, n) in [("notes.md", 3), ("minutes.md", 12), ("notes.txt", 2)] {
        let text: String = (0..n)
            .map(|i| format!("{name} paragraph {i}.\n\n"))
            .collect();
        std::fs::write(dir.join(name), &text).unwrap();
        docs.push(
            ws.ingest(&dir.join(name), limits)
                .unwrap()
                .document
                .conv_uid,
        );
        texts.push(text);
    }
    let schema = json!({"type": "object", "properties": {"label": {"type": "string"}}});
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), "tester")).unwrap();
    ws.create_project("p", None).unwrap();
    ws.add_to_project("p", &docs).unwrap();
    (path, texts)
}

#[test]
fn a_project_group_is_created_worked_and_exported_in_project_order() {
    let dir = tempfile::tempdir().unwrap();
    let (store, texts) = setup(dir.path());
    let (code, out, err) = cli(
        &store,
        &[
            "run",
            "estimate",
            "--project",
            "p",
            "s",
            "--provider",
            "demo",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("blocks 17  calls 2"),
        "packs across documents: {out}"
    );
    let (code, out, err) = cli(
        &store,
        &["run", "create", "--project", "p", "s", "--provider", "demo"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("created grp_") && out.contains("3 runs  17 blocks"),
        "{out}"
    );
    let (code, _, err) = cli(&store, &["run", "start", "grp_"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = cli(&store, &["--json", "run", "status", "grp"]);
    assert_eq!(code, 0);
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["summary"]["status"], "complete");
    assert_eq!(status["summary"]["counters"]["ai_complete"], 17);
    assert_eq!(status["summary"]["usage"]["calls"], 2);
    let gid = status["group"]["group_id"].as_str().unwrap().to_string();
    let runs: Vec<String> = status["group"]["run_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();

    // JSONL: one line per block, members in project order, each line naming its run.
    let (code, out, err) = cli(&store, &["export", &gid, "--mode", "staging"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 17);
    let order: Vec<&str> = lines
        .iter()
        .map(|l| l["user_defined"]["run_id"].as_str().unwrap())
        .collect();
    let mut expected = vec![runs[0].as_str(); 3];
    expected.extend(vec![runs[1].as_str(); 12]);
    expected.extend(vec![runs[2].as_str(); 2]);
    assert_eq!(order, expected);

    // CSV: one header, conv_uid and file_name first.
    let csv = dir.path().join("out.csv");
    let (code, _, err) = cli(
        &store,
        &[
            "export",
            &gid,
            "--format",
            "csv",
            "-o",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(
        rows[0].starts_with("conv_uid,file_name,block_index,"),
        "{}",
        rows[0]
    );
    assert_eq!(rows.len(), 18, "one header, 17 rows");
    assert!(rows[17].contains(",notes.txt,1,"), "{}", rows[17]);

    // Markdown: one file per document, names from the source files, the collision suffixed.
    let out_dir = dir.path().join("md");
    let (code, _, err) = cli(
        &store,
        &[
            "export",
            &gid,
            "--format",
            "md",
            "-o",
            out_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    for (name, text) in ["notes.md", "minutes.md", "notes-2.md"].iter().zip(&texts) {
        let got = std::fs::read_to_string(out_dir.join(name)).unwrap();
        assert_eq!(
            got.trim_end(),
            text.trim_end(),
            "{name}: an unchanged run rebuilds the source"
        );
    }

    // Review: blocks are named per document (--doc); --all covers every member.
    let (code, _, err) = cli(&store, &["review", "confirm", &gid, "--blocks", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("add --doc DOC"), "{err}");
    let minutes = status["group"]["conv_uids"][1].as_str().unwrap()[..12].to_string();
    let (code, out, err) = cli(
        &store,
        &[
            "review", "confirm", &gid, "--doc", &minutes, "--blocks", "0,1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("confirmed 2 blocks of run {}", runs[1])),
        "{out}"
    );
    let (code, out, err) = cli(&store, &["review", "confirm", &gid, "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("confirmed 15 blocks over 3 runs"), "{out}");
    let (code, out, _) = cli(&store, &["--json", "review", "log", &gid]);
    assert_eq!(code, 0);
    let log: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        log.as_array().unwrap().len(),
        4,
        "one event per confirm that changed something"
    );
}

#[test]
fn group_exports_refuse_what_would_lose_or_overwrite_data() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = setup(dir.path());
    let (code, _, err) = cli(
        &store,
        &["run", "create", "--project", "p", "s", "--provider", "demo"],
    );
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read(&store).unwrap();
    let (code, _, err) = cli(&store, &["export", "grp", "--format", "md"]);
    assert_eq!(code, 2);
    assert!(err.contains("-o DIR"), "{err}");
    let (code, _, err) = cli(
        &store,
        &[
            "export",
            "grp",
            "--format",
            "md",
            "-o",
            store.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("must name a folder"), "{err}");
    let (code, _, err) = cli(
        &store,
        &[
            "export",
            "grp",
            "--format",
            "jsonl",
            "-o",
            store.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("refusing to export"), "{err}");
    assert_eq!(
        std::fs::read(&store).unwrap(),
        before,
        "the store is untouched"
    );
    let (code, _, err) = cli(
        &store,
        &[
            "run",
            "create",
            "--project",
            "nope",
            "s",
            "--provider",
            "demo",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("no project 'nope'"), "{err}");
    let (code, _, err) = cli(&store, &["run", "create", "--project", "p", "x", "s"]);
    assert_eq!(code, 2, "{err}");
}

/// `run estimate --project` needs no key and no network, like `run estimate` on one document
/// (issue 22): with no key anywhere it estimates the project for a hosted provider, while
/// `run create --project` still refuses without a key and writes nothing.
#[test]
fn a_project_estimate_needs_no_key_and_a_group_create_still_does() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = setup(dir.path());
    let (code, out, err) = cli(
        &store,
        &[
            "--json",
            "run",
            "estimate",
            "--project",
            "p",
            "s",
            "--provider",
            "anthropic",
        ],
    );
    assert_eq!(code, 0, "no key needed for an estimate: {out}{err}");
    let e: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["blocks"], 17, "{e}");
    assert_eq!(e["calls"], 2, "packs across documents: {e}");
    assert!(e["cost_usd"].is_number(), "a hosted model is priced: {e}");
    assert_eq!(e["sources"]["model"], "provider default", "{e}");
    let before = Store::open_read_only(&store)
        .unwrap()
        .fingerprint()
        .unwrap();
    let (code, _, err) = cli(
        &store,
        &[
            "run",
            "create",
            "--project",
            "p",
            "s",
            "--provider",
            "anthropic",
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("no API key for anthropic"), "{err}");
    let after = Store::open_read_only(&store)
        .unwrap()
        .fingerprint()
        .unwrap();
    assert_eq!(before, after, "a refused group create writes nothing");
}

/// `review confirm GROUP --all` is one transaction (issue 22): a member whose staged value its
/// schema refuses makes the whole command refuse and confirm nothing in any member; once it is
/// fixed, every member is confirmed with one review event each, as before.
#[test]
fn confirming_a_whole_group_is_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = setup(dir.path());
    let args = ["run", "create", "--project", "p", "s", "--provider", "demo"];
    assert_eq!(cli(&store, &args).0, 0);
    assert_eq!(cli(&store, &["run", "start", "grp_"]).0, 0);
    let (_, out, _) = cli(&store, &["--json", "run", "status", "grp"]);
    let status: Value = serde_json::from_str(&out).unwrap();
    let gid = status["group"]["group_id"].as_str().unwrap().to_string();
    let last = status["group"]["run_ids"][2].as_str().unwrap().to_string();
    // The last member's block 0 holds a value its schema refuses (a label must be a string).
    let bad = |value: Value| {
        let s = Store::open(&store).unwrap();
        s.with_run(&last, |rt| {
            let mut ov = rt.overlay(0)?.unwrap();
            ov.staging = Some(value);
            rt.put_overlay(&ov)
        })
        .unwrap();
    };
    bad(json!({"label": 5}));
    let before = Store::open_read_only(&store)
        .unwrap()
        .fingerprint()
        .unwrap();
    let (code, _, err) = cli(&store, &["review", "confirm", &gid, "--all"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&last) && err.contains("block 0"), "{err}");
    let after = Store::open_read_only(&store)
        .unwrap()
        .fingerprint()
        .unwrap();
    assert_eq!(before, after, "no member was confirmed");
    bad(json!({"label": "fixed"}));
    let (code, out, err) = cli(&store, &["--json", "review", "confirm", &gid, "--all"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["count"], 17, "{v}");
    assert_eq!(v["runs"].as_array().unwrap().len(), 3, "{v}");
    let (_, out, _) = cli(&store, &["--json", "run", "status", &gid]);
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["summary"]["counters"]["confirmed"], 17, "{status}");
    let (code, out, _) = cli(&store, &["review", "log", &gid]);
    assert_eq!(code, 0);
    assert_eq!(
        out.matches("confirm").count(),
        3,
        "one event per member: {out}"
    );
}
