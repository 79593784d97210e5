//! Issue 20 ("Trust II"), items 0, 1, 5-9: one test per promise, each through real parts (the
//! `blockwise` binary as a subprocess, the real redb file, the fake provider over loopback).

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{OverlayStatus, Run};
use blockwise::policy;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::{self, CreateRunOptions, EngineOptions, RunEnd};
use serde_json::{json, Value};
use support::{FakeScript, Fault};
use tokio::sync::watch;

const ADMIN: &str = "tester";

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

/// A store in `d` with one document of `blocks` paragraphs and schema `s` = `schema`.
fn workspace(d: &Dir, blocks: usize, schema: Value) -> (PathBuf, String) {
    let path = d.path("ws.redb");
    let store = Store::open(&path).unwrap();
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let doc = d.path("doc.md");
    let text: String = (0..blocks)
        .map(|i| format!("Paragraph {i} says something plain.\n\n"))
        .collect();
    std::fs::write(&doc, text).unwrap();
    let conv = ingest_path(&store, &doc, IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), ADMIN)).unwrap();
    (path, conv)
}

fn create_run(store: &Store, conv: &str, provider: &str) -> Run {
    worker::create_run(
        store,
        conv,
        "s",
        &CreateRunOptions {
            provider: Some(provider.into()),
            model: Some("claude-sonnet-4-5".into()),
            ..Default::default()
        },
    )
    .unwrap()
}

async fn work(store: &Arc<Store>, fake: &support::FakeServer, run: &str) -> RunEnd {
    let p = worker::connect(
        "anthropic",
        Some("test-key".into()),
        Some(fake.anthropic_base_url()),
    )
    .unwrap();
    let options = EngineOptions {
        concurrency: Some(1),
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        ..EngineOptions::default()
    };
    let (_stop, rx) = watch::channel(false);
    worker::run_worker(store.clone(), Arc::new(p), run, options, None, rx)
        .await
        .unwrap()
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
    assert!(file_bytes(&store) == before, "store untouched");
    assert_eq!(d.json(&store, &["docs"]).as_array().unwrap().len(), 2);
    // `demo` without --headless and without a terminal refuses the same way.
    let (code, _, err) = d.cli(&store, &["demo"]);
    assert_eq!(code, 1, "{err}");
    assert!(file_bytes(&store) == before, "store untouched");
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
        &[
            "policy",
            "set",
            "worker.concurrency",
            "2",
            "--reason",
            "mine",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = d.cli(
        &store,
        &[
            "run",
            "create",
            &conv,
            "classification",
            "--provider",
            "demo",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let before = file_bytes(&store);
    let (code, _, err) = d.cli(&store, &["demo", "--headless"]);
    assert_eq!(code, 1, "{err}");
    for lost in ["1 run (run_", "1 review action", "1 policy audit entry"] {
        assert!(err.contains(lost), "names {lost:?}: {err}");
    }
    assert!(file_bytes(&store) == before, "store untouched");
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
    assert!(file_bytes(&theirs) == b"my own agreement, not the demo's\n");
    assert!(!store.exists(), "no store created beside the user's file");
}

// ------------------------------------------------------------ 1. answers obey the whole schema

fn closed_schema() -> Value {
    json!({"type": "object", "additionalProperties": false, "properties": {
        "label": {"type": "string"},
        "score": {"type": "integer"}
    }})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item1_an_answer_with_a_key_the_schema_forbids_is_never_staged() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 3, closed_schema());
    let store = Arc::new(Store::open(&path).unwrap());
    policy::set_value(&store, ADMIN, "worker.max_retries", json!(1), Some("t")).unwrap();
    let run = create_run(&store, &conv, "demo");
    let fake = support::fake();
    let extra = || Fault::InvalidValue {
        field: "zzz".into(),
        value: json!(1),
    };
    fake.script(FakeScript::new().then(extra()).then(extra()));
    assert_eq!(work(&store, &fake, &run.run_id).await, RunEnd::Complete);
    let ov0 = store.overlay(&run.run_id, 0).unwrap().unwrap();
    assert_eq!(ov0.status, OverlayStatus::Failed);
    assert_eq!(ov0.staging, None, "the forbidden key was staged");
    let err = ov0.last_error.unwrap();
    assert!(err.contains("zzz"), "names the extra key: {err}");
    for i in [1, 2] {
        let ov = store.overlay(&run.run_id, i).unwrap().unwrap();
        assert_eq!(ov.status, OverlayStatus::AiComplete, "block {i}");
        assert!(!ov.staging.unwrap().as_object().unwrap().contains_key("zzz"));
    }
}

#[test]
fn item1_confirm_refuses_a_staged_value_breaking_an_object_rule() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 2, closed_schema());
    let store = Store::open(&path).unwrap();
    let run = create_run(&store, &conv, "demo");
    // As staged by a build that checked fields only.
    store
        .with_run(&run.run_id, |rt| {
            for (i, v) in [
                (0u32, json!({"label": "a", "score": 1})),
                (1, json!({"label": "b", "score": 2, "zzz": 1})),
            ] {
                let mut ov = rt.overlay(i)?.unwrap();
                ov.status = OverlayStatus::AiComplete;
                ov.staging = Some(v.clone());
                ov.model_output = Some(v);
                rt.put_overlay(&ov)?;
            }
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
    drop(store);
    let (code, _, err) = d.cli(&path, &["review", "confirm", &run.run_id, "--all"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("block 1") && err.contains("zzz"), "{err}");
    let (code, _, err) = d.cli(&path, &["review", "confirm", &run.run_id, "--blocks", "0"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = d.cli(&path, &["export", &run.run_id]);
    assert_eq!(code, 0);
    assert!(!out.contains("zzz"), "{out}");
}

// ------------------------------------------------------- 6. a field named like the pack key

fn index_field_schema() -> Value {
    json!({"type": "object", "required": ["block_index"], "properties": {
        "block_index": {"type": "string", "description": "the clause number as printed"},
        "label": {"type": "string"}
    }})
}

async fn work_with(store: &Arc<Store>, provider: worker::AnyProvider, run: &str) -> RunEnd {
    let (_stop, rx) = watch::channel(false);
    let options = EngineOptions {
        concurrency: Some(2),
        ..EngineOptions::default()
    };
    worker::run_worker(store.clone(), Arc::new(provider), run, options, None, rx)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item6_a_field_named_block_index_is_staged_on_both_wire_protocols() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 12, index_field_schema());
    let store = Arc::new(Store::open(&path).unwrap());
    let fake = support::fake();
    for (name, url) in [
        ("anthropic", fake.anthropic_base_url()),
        ("openai", fake.openai_base_url()),
    ] {
        let run = create_run(&store, &conv, "demo");
        let p = worker::connect(name, Some("test-key".into()), Some(url)).unwrap();
        assert_eq!(work_with(&store, p, &run.run_id).await, RunEnd::Complete);
        let done = store.get_run(&run.run_id).unwrap().unwrap();
        assert_eq!(done.counters.ai_complete, 12, "{name}: {:?}", done.counters);
        for i in 0..12 {
            let ov = store.overlay(&run.run_id, i).unwrap().unwrap();
            let staged = ov.staging.unwrap();
            assert!(
                staged["block_index"].is_string(),
                "{name} block {i}: {staged}"
            );
            assert!(!staged.as_object().unwrap().contains_key("_block_index"));
        }
        let calls = store.calls(&run.run_id).unwrap();
        assert!(
            calls.iter().any(|c| c.pack_size > 1),
            "{name}: packs were batched"
        );
    }
    let tool = &fake.last_request().unwrap().body;
    assert!(tool.to_string().contains("_block_index"), "{tool}");
}

#[test]
fn item6_schema_check_warns_about_names_the_worker_reserves() {
    let d = Dir::new();
    let file = d.path("s.json");
    let mut schema = index_field_schema();
    schema["properties"]["word_count"] = json!({"type": "integer"});
    std::fs::write(&file, schema.to_string()).unwrap();
    let (code, out, err) = d.cli(
        &d.path("x.redb"),
        &["schema", "check", file.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("field 'block_index'") && out.contains("'_block_index'"),
        "{out}"
    );
    assert!(out.contains("field 'word_count' is reserved"), "{out}");
    assert!(!out.contains("compat     pass"), "{out}");
}

// ------------------------------------------------------------- 5. a cancelled run exits 6

#[test]
fn item5_run_start_exits_6_when_the_run_ends_cancelled() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 12, closed_schema());
    let run = create_run(&Store::open(&path).unwrap(), &conv, "demo");
    let (code, _, err) = d.cli(&path, &["run", "cancel", &run.run_id]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = d.cli(&path, &["run", "start", &run.run_id]);
    assert_eq!(code, 6, "{out}{err}");
    assert!(err.contains("cancelled (12 blocks pending)"), "{err}");
    // Resumed, the same command finishes it and exits 0.
    assert_eq!(d.cli(&path, &["run", "resume", &run.run_id]).0, 0);
    let (code, out, err) = d.cli(&path, &["run", "start", &run.run_id]);
    assert_eq!(code, 0, "{out}{err}");
}

// --------------------------------------------------- 8. the format follows the file name

#[test]
fn item8_export_takes_the_format_from_the_extension_and_refuses_a_contradiction() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 3, closed_schema());
    let run = create_run(&Store::open(&path).unwrap(), &conv, "demo");
    let csv = d.path("x.csv");
    let (code, _, err) = d.cli(&path, &["export", &run.run_id, "-o", csv.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("block_index,block_uid,block_type,status,block_content"),
        "CSV, not JSONL: {text}"
    );
    let md = d.path("x.md");
    assert_eq!(
        d.cli(&path, &["export", &run.run_id, "-o", md.to_str().unwrap()])
            .0,
        0
    );
    assert!(std::fs::read_to_string(&md)
        .unwrap()
        .starts_with("Paragraph 0"));
    let jsonl = d.path("x.jsonl");
    let args = [
        "export",
        &run.run_id,
        "--format",
        "csv",
        "-o",
        jsonl.to_str().unwrap(),
    ];
    let (code, _, err) = d.cli(&path, &args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--format csv contradicts") && err.contains(".jsonl"),
        "{err}"
    );
    assert!(!jsonl.exists(), "nothing written");
    // An explicit format agreeing with the name, or an unknown extension, is fine.
    let (code, _, err) = d.cli(
        &path,
        &[
            "export",
            &run.run_id,
            "--format",
            "csv",
            "-o",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let out = d.path("x.out");
    let (code, _, err) = d.cli(&path, &["export", &run.run_id, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("{\"immutable\""));
}

// ------------------------------------------- 7. export to a terminal is shown, not obeyed

/// Run `cmd` with its stdout on a new pseudo-terminal; what the terminal received, and the
/// exit code.
fn on_a_terminal(mut cmd: std::process::Command) -> (i32, Vec<u8>) {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two fresh descriptors; null name/termios/winsize are allowed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned here alone.
    let (master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::process::Stdio::from_raw_fd(slave),
        )
    };
    let mut child = cmd.stdout(slave).spawn().unwrap();
    drop(cmd); // the parent's copy of the slave end, so EOF comes when the child exits
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut master = master;
        let mut buf = [0u8; 4096];
        // Linux reports EIO on the master once the last slave descriptor is closed.
        while let Ok(n @ 1..) = master.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, reader.join().unwrap())
}

#[test]
fn item7_export_to_a_terminal_shows_escapes_and_piped_output_stays_exact() {
    let d = Dir::new();
    let (path, _) = workspace(&d, 1, closed_schema());
    let hostile = d.path("hostile.md");
    std::fs::write(
        &hostile,
        "Clear \x1b[2J the \x1b]0;owned\x07 screen.\n\nSecond.\n",
    )
    .unwrap();
    let (code, _, err) = d.cli(&path, &["ingest", hostile.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let docs = d.json(&path, &["docs"]);
    let conv = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["file_name"] == "hostile.md")
        .unwrap()["conv_uid"]
        .as_str()
        .unwrap()
        .to_string();
    let run = create_run(&Store::open(&path).unwrap(), &conv, "demo");
    for format in ["csv", "md", "jsonl"] {
        let args = ["export", &run.run_id, "--format", format, "--mode", "both"];
        let mut cmd = support::blockwise_in(d.dir.path());
        cmd.arg("--store").arg(&path).args(args);
        let (code, shown) = on_a_terminal(cmd);
        assert_eq!(code, 0, "{format}");
        let shown = String::from_utf8_lossy(&shown);
        assert!(
            !shown.contains('\x1b') && !shown.contains('\x07'),
            "{format}: {shown:?}"
        );
        if format != "jsonl" {
            assert!(
                shown.contains("␛[2J") && shown.contains("␇"),
                "{format}: {shown:?}"
            );
        }
        // Piped, the same export is byte-exact (the raw escape is data, not for a screen).
        let (code, piped, _) = d.cli(&path, &args);
        assert_eq!(code, 0);
        if format != "jsonl" {
            assert!(piped.contains("\x1b[2J"), "{format}: piped output changed");
        }
    }
}

// ------------------------------------------------------------------ 9. the smaller fixes

/// A store the test's OS account administers (made by a writing command of the binary).
fn own_store(d: &Dir) -> PathBuf {
    let path = d.path("own.redb");
    let (code, _, err) = d.cli(&path, &["schema", "from-template", "classification"]);
    assert_eq!(code, 0, "{err}");
    path
}

#[test]
fn item9_admins_add_refuses_an_account_that_does_not_exist() {
    let d = Dir::new();
    let path = own_store(&d);
    let admins = d.json(&path, &["policy", "admins", "list"]);
    let audit = d.json(&path, &["policy", "audit"]);
    let (code, _, err) = d.cli(&path, &["policy", "admins", "add", "no-such-account-bw20"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("'no-such-account-bw20'") && err.contains("no such account"),
        "{err}"
    );
    assert_eq!(
        d.json(&path, &["policy", "admins", "list"]),
        admins,
        "nothing written"
    );
    assert_eq!(
        d.json(&path, &["policy", "audit"]),
        audit,
        "nothing written"
    );
    let (code, _, err) = d.cli(&path, &["policy", "admins", "add", "root"]);
    assert_eq!(code, 0, "an existing account is accepted: {err}");
}

#[test]
fn item9_policy_set_takes_a_negative_value_and_names_the_bounds() {
    let d = Dir::new();
    let path = own_store(&d);
    let (code, _, err) = d.cli(&path, &["policy", "set", "worker.max_retries", "-1"]);
    assert_eq!(code, 1, "a value out of bounds, not a usage error: {err}");
    assert!(!err.contains("unexpected argument"), "{err}");
    assert!(
        err.contains("max_retries = -1") && err.contains("at least 1"),
        "{err}"
    );
    let (code, _, err) = d.cli(
        &path,
        &[
            "policy",
            "set",
            "models.platform_default_temperature",
            "-0.5",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("temperature"), "{err}");
}

#[test]
fn item9_a_base_url_with_a_fragment_is_refused_naming_the_fragment() {
    let d = Dir::new();
    let path = d.path("k.redb");
    let mut c = support::blockwise_in(d.dir.path());
    c.arg("--store").arg(&path).args([
        "keys",
        "set",
        "custom",
        "--stdin",
        "--base-url",
        "http://127.0.0.1:9/v1#frag",
    ]);
    c.stdin(std::process::Stdio::piped());
    c.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"sk-test-1234\n")
        .unwrap();
    let (code, _, err) = support::outcome(child.wait_with_output().unwrap());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("fragment") && !err.contains("query string"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item9_the_call_log_keeps_a_cut_of_a_huge_invalid_answer() {
    let d = Dir::new();
    let schema = json!({"type": "object", "properties": {
        "label": {"type": "string", "maxLength": 10}
    }});
    let (path, conv) = workspace(&d, 2, schema);
    let store = Arc::new(Store::open(&path).unwrap());
    policy::set_value(&store, ADMIN, "worker.max_retries", json!(2), Some("t")).unwrap();
    let run = create_run(&store, &conv, "demo");
    let fake = support::fake();
    let huge = || Fault::InvalidValue {
        field: "label".into(),
        value: json!("x".repeat(2_000_000)),
    };
    fake.script(FakeScript::new().then(huge()).then(huge()).then(huge()));
    assert_eq!(work(&store, &fake, &run.run_id).await, RunEnd::Complete);
    let calls = store.calls(&run.run_id).unwrap();
    assert!(calls.len() >= 3, "{}", calls.len());
    for c in &calls {
        let detail = c.detail.as_deref().unwrap_or_default();
        assert!(
            detail.len() < 2100,
            "call {} keeps {} bytes",
            c.seq,
            detail.len()
        );
    }
    assert!(
        calls
            .iter()
            .any(|c| c.detail.as_deref().unwrap_or_default().contains("[cut: ")),
        "marked as cut"
    );
    let ov = store.overlay(&run.run_id, 0).unwrap().unwrap();
    assert_eq!(ov.status, OverlayStatus::Failed);
    let err = ov.last_error.unwrap();
    assert!(
        err.len() < 2100 && err.contains("'label'") && err.contains("[cut: "),
        "{}",
        err.len()
    );
    drop(store);
    // Three 2 MB answers were refused: the store keeps kilobytes of them, not megabytes.
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 3_000_000, "store is {size} bytes");
}

#[test]
fn item9_run_estimate_needs_no_key_nor_network_and_prices_a_gateway() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 4, closed_schema());
    let estimate = |env: &[(&str, &str)]| {
        let mut c = support::blockwise_in(d.dir.path());
        c.arg("--store").arg(&path).args([
            "--json",
            "run",
            "estimate",
            &conv,
            "s",
            "--provider",
            "anthropic",
        ]);
        for (k, v) in env {
            c.env(k, v);
        }
        let (code, out, err) = support::outcome(c.output().unwrap());
        assert_eq!(code, 0, "{env:?}: {out}{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    // No key anywhere, no network: an estimate all the same.
    let e = estimate(&[]);
    assert_eq!(e["calls"], 1, "{e}");
    assert_eq!(e["sources"]["model"], "provider default", "{e}");
    // The default system prompt is far below Sonnet's 1024-token minimum: never cached.
    assert_eq!(e["cache_write_tokens"], 0, "{e}");
    assert_eq!(e["cache_read_tokens"], 0, "{e}");
    assert!(e["cost_usd"].is_number(), "{e}");
    // A gateway in ANTHROPIC_BASE_URL and a key from the environment: the model keeps its
    // price, the model's source says where the key came from, and nothing is called.
    let fake = support::fake();
    let gateway = fake.anthropic_base_url();
    let e = estimate(&[
        ("ANTHROPIC_BASE_URL", gateway.as_str()),
        ("ANTHROPIC_API_KEY", "sk-ant-test-0000"),
    ]);
    assert!(
        e["cost_usd"].is_number(),
        "cost is not unknown behind a gateway: {e}"
    );
    assert_eq!(e["sources"]["model"], "environment", "{e}");
    assert_eq!(fake.call_count(), 0, "an estimate makes no call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item9_a_run_through_an_anthropic_gateway_is_priced() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 3, closed_schema());
    let store = Arc::new(Store::open(&path).unwrap());
    let run = worker::create_run(
        &store,
        &conv,
        "s",
        &CreateRunOptions {
            provider: Some("demo".into()),
            model: Some("claude-sonnet-4-5".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let fake = support::fake();
    assert_eq!(work(&store, &fake, &run.run_id).await, RunEnd::Complete);
    let r = store.get_run(&run.run_id).unwrap().unwrap();
    assert!(
        r.usage.cost_usd.is_some_and(|c| c > 0.0),
        "an Anthropic model behind a gateway keeps its price: {:?}",
        r.usage.cost_usd
    );
}
