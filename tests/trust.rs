//! Issue 10 ("Trust"): one test per promise, each failing when the behaviour it names breaks.
//! Real parts: the `blockwise` binary as a subprocess, real signals, the real redb file, the
//! fake provider over loopback HTTP.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// A workspace folder with a store holding one document of `blocks` paragraphs, schema `s`
/// and one demo run (created through the library, then closed so subprocesses can open it).
struct Ws {
    dir: tempfile::TempDir,
    store: PathBuf,
    conv: String,
    run_id: String,
}

fn label_schema() -> Value {
    json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 9}
    }})
}

fn doc_text(blocks: usize) -> String {
    (0..blocks)
        .map(|i| format!("Paragraph {i} says something plain and a little longer.\n\n"))
        .collect()
}

fn ws(blocks: usize) -> Ws {
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("ws.redb");
    let store = Store::open(&store_path).unwrap();
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let doc = dir.path().join("doc.md");
    std::fs::write(&doc, doc_text(blocks)).unwrap();
    let conv = ingest_path(&store, &doc, IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    schema::save(
        &store,
        SaveRequest::new(label_schema(), Some("s".into()), ADMIN),
    )
    .unwrap();
    let run = create(&store, &conv);
    Ws {
        dir,
        store: store_path,
        conv,
        run_id: run.run_id,
    }
}

fn create(store: &Store, conv: &str) -> Run {
    create_with(store, conv, "s").unwrap()
}

/// A run of `schema_ref` on the offline demo provider.
fn create_with(
    store: &Store,
    conv: &str,
    schema_ref: &str,
) -> Result<Run, blockwise::worker::WorkerError> {
    worker::create_run(
        store,
        conv,
        schema_ref,
        &CreateRunOptions {
            provider: Some("demo".into()),
            model: Some("claude-sonnet-4-5".into()),
            ..Default::default()
        },
    )
}

fn set_policy(store: &Store, key: &str, value: Value) {
    policy::set_value(store, ADMIN, key, value, Some("test")).unwrap();
}

impl Ws {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = support::blockwise_in(self.dir.path());
        c.arg("--store").arg(&self.store).args(args);
        c
    }

    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        support::outcome(self.cmd(args).output().unwrap())
    }

    fn config_dir(&self) -> PathBuf {
        self.path("config")
    }

    fn open(&self) -> Store {
        Store::open(&self.store).unwrap()
    }
}

// ------------------------------------------------------------------ 1. export -o refusals

#[test]
fn item1_export_refuses_the_store_its_siblings_config_files_and_non_files() {
    let w = ws(3);
    std::fs::create_dir_all(w.config_dir()).unwrap();
    std::fs::write(w.config_dir().join("identity.txt"), "AGE-SECRET-KEY-1X\n").unwrap();
    std::fs::write(w.config_dir().join("keymap.toml"), "# mine\n").unwrap();
    std::os::unix::fs::symlink(&w.store, w.path("link.jsonl")).unwrap();
    std::fs::hard_link(&w.store, w.path("hard.jsonl")).unwrap();
    std::fs::create_dir(w.path("folder")).unwrap();
    let fifo = w.path("pipe.jsonl");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let cases: Vec<(PathBuf, &str)> = vec![
        (w.store.clone(), "open Blockwise store"),
        (w.dir.path().join("sub/../ws.redb"), "open Blockwise store"),
        (w.path("link.jsonl"), "open Blockwise store"),
        (w.path("hard.jsonl"), "open Blockwise store"),
        (w.path("ws.redb.lock"), "lock or temporary file"),
        (w.path(".ws.redb.1.tmp"), "lock or temporary file"),
        (w.config_dir().join("identity.txt"), "config folder"),
        (w.config_dir().join("keymap.toml"), "config folder"),
        (w.config_dir().join("prices.json"), "config folder"),
        (PathBuf::from("/dev/null"), "character device"),
        (w.path("folder"), "directory"),
        (fifo.clone(), "FIFO"),
    ];
    std::fs::create_dir(w.path("sub")).unwrap();
    for (target, why) in &cases {
        let (code, out, err) = w.cli(&["export", &w.run_id, "-o", target.to_str().unwrap()]);
        assert_eq!(code, 1, "{}: {err}", target.display());
        assert!(out.is_empty());
        assert!(
            err.contains("refusing to export") && err.contains(why),
            "{}: {err}",
            target.display()
        );
    }
    let store = w.open();
    assert!(
        store.get_run(&w.run_id).unwrap().is_some(),
        "the workspace was damaged"
    );
    assert_eq!(store.blocks(&w.conv).unwrap().len(), 3);
    drop(store);
    assert_eq!(
        std::fs::read_to_string(w.config_dir().join("keymap.toml")).unwrap(),
        "# mine\n"
    );
    assert!(!w.config_dir().join("prices.json").exists());
    assert!(!w.path("ws.redb.lock").exists());
    // The workspace still works, and a plain path is accepted.
    let (code, _, err) = w.cli(&[
        "export",
        &w.run_id,
        "-o",
        w.path("ok.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(w.path("ok.jsonl"))
            .unwrap()
            .lines()
            .count(),
        3
    );
}

// ------------------------------------------------------------------ 2. mode, signals, stale temps

fn temps(dir: &Path, name: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(&format!(".{name}.")) && n.ends_with(".tmp")
        })
        .collect()
}

#[test]
fn item2_export_keeps_mode_and_a_signal_removes_its_temp_file() {
    let w = ws(6000);
    let out = w.path("out.jsonl");
    std::fs::write(&out, "previous\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _, err) = w.cli(&["export", &w.run_id, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::write(&out, "previous\n").unwrap();

    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // Catch the export while its temp file exists: stop it, queue the signal, let it go.
        let mut caught = false;
        for _attempt in 0..20 {
            let mut cmd = w.cmd(&["export", &w.run_id, "-o", out.to_str().unwrap()]);
            // The signals' default action, whatever this test inherited: under `nohup` SIGHUP
            // is ignored, and an export rightly keeps an ignored signal ignored.
            // SAFETY: only signal(2), async-signal-safe, between fork and exec.
            unsafe {
                use std::os::unix::process::CommandExt;
                cmd.pre_exec(|| {
                    for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                        libc::signal(s, libc::SIG_DFL);
                    }
                    Ok(())
                });
            }
            let mut child = cmd.spawn().unwrap();
            let pid = child.id() as i32;
            let deadline = Instant::now() + Duration::from_secs(30);
            while temps(w.dir.path(), "out.jsonl").is_empty() && Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            // SAFETY: pid is our own child.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
            std::thread::sleep(Duration::from_millis(20));
            if temps(w.dir.path(), "out.jsonl").is_empty() {
                unsafe { libc::kill(pid, libc::SIGCONT) };
                let _ = child.wait();
                std::fs::write(&out, "previous\n").unwrap();
                continue; // finished before we caught it; try again
            }
            unsafe {
                libc::kill(pid, sig);
                libc::kill(pid, libc::SIGCONT);
            }
            let status = child.wait().unwrap();
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(status.signal(), Some(sig), "ends by the signal: {status:?}");
            caught = true;
            break;
        }
        assert!(caught, "never caught the export mid-write (signal {sig})");
        assert!(
            temps(w.dir.path(), "out.jsonl").is_empty(),
            "temp file left by signal {sig}"
        );
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");
    }
}

#[test]
fn item2_next_export_sweeps_temp_files_of_dead_exports() {
    let w = ws(3);
    // A killed export's leftovers: pid 2147483646 is never alive; pid 1 always is.
    let dead = w.path(".report.csv.2147483646.12.0.tmp");
    let live = w.path(".report.csv.1.12.0.tmp");
    std::fs::write(&dead, "half").unwrap();
    std::fs::write(&live, "half").unwrap();
    let (code, _, err) = w.cli(&[
        "export",
        &w.run_id,
        "-o",
        w.path("out.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!dead.exists(), "stale temp of a dead export kept");
    assert!(live.exists(), "temp of a live process removed");
}

// ------------------------------------------------------------------ 3. answers obey the schema

fn fast() -> EngineOptions {
    EngineOptions {
        concurrency: Some(1),
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        ..EngineOptions::default()
    }
}

async fn work(store: &Arc<Store>, fake: &support::FakeServer, run: &str) -> RunEnd {
    let p = worker::connect(
        "anthropic",
        Some("test-key".into()),
        Some(fake.anthropic_base_url()),
    )
    .unwrap();
    let (_stop, rx) = watch::channel(false);
    worker::run_worker(store.clone(), Arc::new(p), run, fast(), None, rx)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item3_an_invalid_answer_is_retried_alone_then_failed_naming_field_and_rule() {
    let w = ws(3);
    let store = Arc::new(w.open());
    set_policy(&store, "worker.max_retries", json!(2));
    let run = create(&store, &w.conv);
    let fake = support::fake();
    let bad = || Fault::InvalidValue {
        field: "score".into(),
        value: json!(12),
    };
    // Call 1: the batch, block 0 invalid -> blocks 1 and 2 staged, block 0 retried alone
    // (call 2, invalid again: attempt 1), then once more (call 3, invalid: failed at attempt 2).
    fake.script(FakeScript::new().then(bad()).then(bad()).then(bad()));
    assert_eq!(work(&store, &fake, &run.run_id).await, RunEnd::Complete);
    let ov0 = store.overlay(&run.run_id, 0).unwrap().unwrap();
    assert_eq!(ov0.status, OverlayStatus::Failed);
    assert_eq!(ov0.staging, None, "an invalid value was staged");
    let err = ov0.last_error.unwrap();
    assert!(err.contains("'score'") && err.contains("maximum"), "{err}");
    for i in [1, 2] {
        let ov = store.overlay(&run.run_id, i).unwrap().unwrap();
        assert_eq!(ov.status, OverlayStatus::AiComplete, "block {i}");
    }
    // The retries went alone: every call after the first sent one block.
    let sizes: Vec<u32> = store
        .calls(&run.run_id)
        .unwrap()
        .iter()
        .map(|c| c.pack_size)
        .collect();
    assert_eq!(sizes, vec![3, 1, 1], "{sizes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item3_a_wrong_type_and_a_missing_required_field_are_bad_answers_too() {
    let w = ws(1);
    let store = Arc::new(w.open());
    let strict = json!({"type": "object", "required": ["label"], "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]},
        "score": {"type": "integer"}
    }});
    schema::save(
        &store,
        SaveRequest::new(strict, Some("strict".into()), ADMIN),
    )
    .unwrap();
    set_policy(&store, "worker.max_retries", json!(1));
    let run = create_with(&store, &w.conv, "strict").unwrap();
    let fake = support::fake();
    fake.script(FakeScript::new().then(Fault::InvalidValue {
        field: "score".into(),
        value: json!("seven"),
    }));
    work(&store, &fake, &run.run_id).await;
    let ov = store.overlay(&run.run_id, 0).unwrap().unwrap();
    assert_eq!(ov.status, OverlayStatus::Failed);
    let err = ov.last_error.unwrap();
    assert!(err.contains("'score'") && err.contains("integer"), "{err}");
}

#[test]
fn item3_confirm_refuses_a_staged_value_that_does_not_validate() {
    let w = ws(2);
    let store = w.open();
    // As staged by a build that did not validate answers.
    store
        .with_run(&w.run_id, |rt| {
            for (i, v) in [
                (0u32, json!({"label": "fact", "score": 3})),
                (1, json!({"label": "opinion", "score": 3})),
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
    let (code, _, err) = w.cli(&["review", "confirm", &w.run_id, "--all"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("block 1") && err.contains("'label'") && err.contains("nothing was confirmed"),
        "{err}"
    );
    let store = w.open();
    for i in [0, 1] {
        assert_eq!(
            store.overlay(&w.run_id, i).unwrap().unwrap().status,
            OverlayStatus::AiComplete
        );
    }
    // The valid one alone can be confirmed; an export never carries the invalid value.
    drop(store);
    let (code, _, err) = w.cli(&["review", "confirm", &w.run_id, "--blocks", "0"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = w.cli(&["export", &w.run_id]);
    assert!(!out.contains("opinion"));
}

// ------------------------------------------------------------------ 4. unique CSV headers

#[test]
fn item4_csv_headers_are_unique_whatever_the_field_names() {
    let w = ws(2);
    let store = w.open();
    let clash = json!({"type": "object", "properties": {
        "status": {"type": "string"}, "block_index": {"type": "integer"},
        "staging.status": {"type": "string"}, "data": {"type": "string"},
        "block_content": {"type": "string"}
    }});
    schema::save(&store, SaveRequest::new(clash, Some("clash".into()), ADMIN)).unwrap();
    let run = create_with(&store, &w.conv, "clash").unwrap();
    let value = json!({"status": "S", "block_index": 77, "staging.status": "SS", "data": "D",
        "block_content": "BC"});
    store
        .with_run(&run.run_id, |rt| {
            let mut ov = rt.overlay(0)?.unwrap();
            ov.status = OverlayStatus::AiComplete;
            ov.staging = Some(value.clone());
            ov.model_output = Some(value.clone());
            rt.put_overlay(&ov)?;
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
    drop(store);
    let (code, out, err) = w.cli(&["export", &run.run_id, "--format", "csv", "--mode", "both"]);
    assert_eq!(code, 0, "{err}");
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let unique: std::collections::BTreeSet<&String> = header.iter().collect();
    assert_eq!(unique.len(), header.len(), "repeated header: {header:?}");
    // A DictReader-style read (name -> value) gives every column.
    let row = rd.records().next().unwrap().unwrap();
    let dict: std::collections::BTreeMap<&str, &str> =
        header.iter().map(String::as_str).zip(row.iter()).collect();
    assert_eq!(dict.len(), header.len());
    assert_eq!(dict["status"], "ai_complete");
    assert_eq!(dict["block_index"], "0");
    assert_eq!(dict["staging.status"], "S");
    assert_eq!(dict["staging.staging.status"], "SS");
    assert_eq!(dict["staging.block_index"], "77");
    assert_eq!(
        dict["data.status"], "",
        "unconfirmed: data is empty in both mode"
    );
    assert!(dict.contains_key("data.data") && dict.contains_key("data.block_content"));
}

// ------------------------------------------------------------------ 5. damage is detected

/// Change one stored value of the store file directly (as a bad disk or a bug would).
fn tamper(
    store: &Path,
    table: redb::TableDefinition<(&'static str, u32), &'static [u8]>,
    key: (&str, u32),
    change: impl FnOnce(&mut Vec<u8>),
) {
    use redb::ReadableTable;
    let db = redb::Database::create(store).unwrap();
    let tx = db.begin_write().unwrap();
    {
        let mut t = tx.open_table(table).unwrap();
        let mut bytes = t
            .get(key)
            .unwrap()
            .expect("value to tamper with")
            .value()
            .to_vec();
        change(&mut bytes);
        t.insert(key, bytes.as_slice()).unwrap();
    }
    tx.commit().unwrap();
}

#[test]
fn item5_check_finds_a_flipped_text_byte_and_blocks_and_export_refuse_it() {
    use blockwise::store::tables::DOC_TEXT;
    let w = ws(4);
    let (code, out, err) = w.cli(&["check"]);
    println!("== check, clean store: exit {code}\n{out}");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no damage found"), "{out}");
    let (code, out, _) = w.cli(&["check", "--json"]);
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["documents"], 1);
    assert_eq!(report["blocks"], 4);
    assert_eq!(report["damage"], json!([]));

    // "Paragraph 2" becomes "Paragraph 3": valid UTF-8, same length, wrong text.
    tamper(&w.store, DOC_TEXT, (w.conv.as_str(), 0u32), |b| {
        let at = b.windows(11).position(|x| x == b"Paragraph 2").unwrap();
        b[at + 10] = b'3';
    });
    let (code, out, err) = w.cli(&["check"]);
    println!("== check, one flipped byte in document text: exit {code}\n{out}");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!("document {} (doc.md)", w.conv))
            && out.contains("does not hash to its conv_uid"),
        "{out}"
    );
    for args in [
        vec!["blocks", w.conv.as_str()],
        vec!["export", w.run_id.as_str()],
        vec!["export", w.run_id.as_str(), "--format", "md"],
    ] {
        let (code, out, err) = w.cli(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            !out.contains("Paragraph 3"),
            "{args:?} printed damaged text: {out}"
        );
        println!("== {args:?}: exit {code}\n{err}");
        assert!(
            err.contains("store is corrupt: document") && err.contains(&w.conv),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn item5_check_names_a_truncated_overlay_and_bad_block_ranges_never_panic() {
    use blockwise::store::tables::{BLOCKS, OVERLAYS};
    let w = ws(3);
    tamper(&w.store, OVERLAYS, (w.run_id.as_str(), 1u32), |b| {
        b.truncate(b.len() / 2)
    });
    let (code, out, err) = w.cli(&["check"]);
    println!("== check, truncated overlay record: exit {code}\n{out}");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!(
            "run {}: overlay of block 1: its checksum does not match",
            w.run_id
        )),
        "{out}"
    );
    let (code, _, err) = w.cli(&["export", &w.run_id]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "store is damaged: could not read overlay {} block 1",
            w.run_id
        )),
        "{err}"
    );

    // A block record claiming a huge range (and a matching checksum, as a bug would write
    // it): refused by name, never an abort.
    tamper(&w.store, BLOCKS, (w.conv.as_str(), 0u32), |b| {
        b.truncate(b.len() - blockwise::store::sealed::SEAL_LEN);
        let end = 1 + 4 + 1 + 8; // version, index, type, start
        b[end..end + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        blockwise::store::sealed::seal_in_place(b);
    });
    let (code, out, err) = w.cli(&["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("block 0 has the range"), "{out}");
    let (code, _, err) = w.cli(&["blocks", &w.conv]);
    assert_eq!(code, 1, "exit {code}: {err}");
    assert!(err.contains("store is corrupt"), "{err}");
}

// ------------------------------------------------------------------ 9. one sanitizer

const HOSTILE: &str = "Evil \x1b[2J\x1b]0;t\x07 \u{9b}31m\r title";

fn assert_inert(what: &str, text: &str) {
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{what} let a control character through: {text:?}"
    );
    assert!(
        text.contains("␛[2J") && text.contains("␛]0;t␇"),
        "{what}: {text:?}"
    );
}

#[test]
fn item9_cli_output_shows_escape_sequences_and_never_obeys_them() {
    let w = ws(1);
    let name = "evil\x1b[2J\x1b]0;t\x07.md";
    let file = w.path(name);
    std::fs::write(
        &file,
        format!("# {HOSTILE}\n\nBody with \x1b[2J\x1b]0;t\x07 inside.\n"),
    )
    .unwrap();
    let (code, out, err) = w.cli(&["ingest", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_inert("ingest", &out);
    let (_, out, _) = w.cli(&["docs"]);
    assert_inert("docs", &out);
    let conv = {
        let s = w.open();
        s.list_documents()
            .unwrap()
            .into_iter()
            .find(|d| d.title.contains("Evil"))
            .unwrap()
            .conv_uid
    };
    let (_, out, _) = w.cli(&["blocks", &conv]);
    assert_inert("blocks", &out);
    // An error naming a hostile file name (unknown extension).
    let bad = w.path("bad\x1b[2J\x1b]0;t\x07.xyz");
    std::fs::write(&bad, "x").unwrap();
    let (code, _, err) = w.cli(&["ingest", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_inert("ingest error", &err);
    // JSON output stays valid JSON with the same data, and inert.
    let (_, out, _) = w.cli(&["docs", "--json"]);
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
    let docs: Value = serde_json::from_str(&out).unwrap();
    assert!(
        docs.as_array().unwrap().iter().any(|d| d["title"]
            .as_str()
            .is_some_and(|t| t.contains("\x1b[2J\x1b]0;t\x07"))),
        "{docs}"
    );
}

#[test]
fn item9_tui_shows_hostile_titles_inert_in_the_picker() {
    use blockwise::tui::theme::ColorMode;
    use blockwise::tui::{draw, Action, App, Keymap, Theme};
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
    let w = ws(1);
    let store = w.open();
    let file = w.path("evil\x1b[2J.md");
    let filler = "A perfectly ordinary paragraph of text. ".repeat(10);
    std::fs::write(
        &file,
        format!("# {HOSTILE}\n\n{filler}\n\nBody \x1b]0;t\x07.\n"),
    )
    .unwrap();
    ingest_path(&store, &file, IngestLimits::default()).unwrap();
    let mut app = App::new(
        blockwise::workspace::Workspace::new(Arc::new(store)),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(160, 30));
    app.handle_key(KeyEvent {
        code: KeyCode::Char('n'),
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    });
    // The new-run form lists documents in order; → shows the hostile one.
    app.handle_key(KeyEvent {
        code: KeyCode::Right,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    });
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 30)).unwrap();
    term.draw(|f| draw(f, &app)).unwrap();
    let buf = term.backend().buffer();
    let mut screen = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            screen.push_str(buf[(x, y)].symbol());
        }
        screen.push('\n');
    }
    assert!(screen.contains("pick a document"), "{screen}");
    assert_inert("TUI picker", &screen);
}

// ------------------------------------------------------------------ 8. identity from the OS

#[test]
fn item8_no_environment_variable_makes_anyone_an_admin() {
    let me = policy::current_user();
    assert_ne!(me, "alice");
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("shared.redb");
    // alice created this workspace (library API acting as alice).
    policy::ensure_workspace_admin_as(&Store::open(&store_path).unwrap(), "alice").unwrap();
    let as_alice = |args: &[&str]| {
        let out = support::blockwise_in(dir.path())
            .arg("--store")
            .arg(&store_path)
            .args(args)
            .env("BLOCKWISE_USER", "alice")
            .env("USER", "alice")
            .env("USERNAME", "alice")
            .env("LOGNAME", "alice")
            .output()
            .unwrap();
        support::outcome(out)
    };
    let (code, _, err) = as_alice(&["policy", "set", "worker.max_retries", "5"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("user '{me}' may not change")) && !err.contains("user 'alice'"),
        "{err}"
    );
    let (code, _, err) = as_alice(&["policy", "admins", "add", "mallory"]);
    assert_eq!(code, 1, "{err}");
    let store = Store::open(&store_path).unwrap();
    let admins: Vec<String> = policy::list_admins(&store)
        .unwrap()
        .into_iter()
        .map(|a| a.user)
        .collect();
    assert_eq!(admins, vec!["alice".to_string()]);
    drop(store);

    // The first account to create a store is its admin: the OS account, whatever USER says.
    let fresh = dir.path().join("fresh.redb");
    let out = support::blockwise_in(dir.path())
        .arg("--store")
        .arg(&fresh)
        // A writing command makes the workspace (`policy list` is read-only).
        .args(["schema", "from-template", "classification"])
        .env("BLOCKWISE_USER", "alice")
        .env("USER", "alice")
        .output()
        .unwrap();
    assert!(out.status.success());
    let store = Store::open(&fresh).unwrap();
    let admins: Vec<String> = policy::list_admins(&store)
        .unwrap()
        .into_iter()
        .map(|a| a.user)
        .collect();
    assert_eq!(admins, vec![me]);
}

// ------------------------------------------------------------------ 14. exit 5 on failures

/// A run on the anthropic provider, created through the CLI (the key comes from the
/// environment, as a user would give it).
fn anthropic_run(w: &Ws) -> String {
    let out = w
        .cmd(&[
            "--json",
            "run",
            "create",
            &w.conv,
            "s",
            "--provider",
            "anthropic",
        ])
        .env("ANTHROPIC_API_KEY", "sk-ant-test")
        .output()
        .unwrap();
    let (code, out, err) = support::outcome(out);
    assert_eq!(code, 0, "{err}");
    let run: Value = serde_json::from_str(&out).unwrap();
    run["run_id"].as_str().unwrap().to_string()
}

#[test]
fn item14_run_start_exits_5_with_failures_by_cause_and_0_when_already_done() {
    let w = ws(3);
    {
        let store = w.open();
        set_policy(&store, "worker.max_retries", json!(1));
        set_policy(&store, "worker.batching.enabled", json!(false));
    }
    let run_id = anthropic_run(&w);
    let fake = support::fake();
    // Blocks 0 and 1 fail for two different causes; block 2 succeeds.
    fake.script(
        FakeScript::new()
            .then(Fault::BadRequest)
            .then(Fault::InvalidValue {
                field: "score".into(),
                value: json!(99),
            }),
    );
    let start = || {
        let out = w
            .cmd(&["run", "start", &run_id, "--concurrency", "1"])
            .env("ANTHROPIC_API_KEY", "sk-ant-test")
            .env("ANTHROPIC_BASE_URL", fake.anthropic_base_url())
            .output()
            .unwrap();
        support::outcome(out)
    };
    let (code, out, err) = start();
    assert_eq!(code, 5, "{out}{err}");
    assert!(err.contains("2 blocks failed"), "{err}");
    assert!(
        err.contains("invalid answer (field 'score') (block 1)"),
        "{err}"
    );
    assert!(err.contains("(block 0)"), "{err}");
    // Another worker (or a second start) finds it finished: nothing failed in this call.
    let (code, out, err) = start();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("already complete"), "{out}");
}

// ------------------------------------------------------------------ 11. never wait forever

#[test]
fn item11_a_writer_behind_a_held_write_gives_up_naming_the_holder_and_readers_never_wait() {
    let w = ws(2);
    // Another process's write transaction, held open (as a stopped writer would hold it).
    let db = redb::Database::builder()
        .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
        .create(&w.store)
        .unwrap();
    let held = db.begin_write().unwrap();

    let t = Instant::now();
    let (code, out, err) = w.cli(&["docs"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("doc.md") || out.contains("Paragraph"), "{out}");
    let (code, _, err) = w.cli(&["export", &w.run_id]);
    assert_eq!(code, 0, "{err}");
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "readers waited {:?}",
        t.elapsed()
    );

    // This raw redb handle carries no Blockwise write mark: the message falls back to the
    // processes with the file open.
    let t = Instant::now();
    let (code, _, err) = w.cli(&["review", "confirm", &w.run_id, "--all"]);
    let waited = t.elapsed();
    println!("== review confirm behind an unmarked write: exit {code} after {waited:?}\n{err}");
    assert_eq!(code, 1, "{err}");
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    assert!(err.contains("is busy"), "{err}");
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "names the holder: {err}"
    );
    assert!(err.contains("trust-"), "names the holder's command: {err}");
    assert!(err.contains("nothing was changed"), "{err}");
    drop(held);
    drop(db);
}

fn signal(pid: u32, sig: i32) {
    assert_eq!(
        unsafe { libc::kill(pid as i32, sig) },
        0,
        "signal {sig} to {pid}"
    );
}

/// Stop `child` while it is inside a write transaction (its write mark names it), retrying
/// between its transactions. Returns how many tries it took.
/// Whether another process holds redb's header lock (bytes 0..320 of the file) exclusively.
fn header_locked(store: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = std::fs::File::open(store) else {
        return false;
    };
    // SAFETY: flock is plain data; all-zero is a valid value.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_RDLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_len = 320;
    // SAFETY: a valid descriptor and a fully initialised flock; F_OFD_GETLK wants l_pid 0.
    let r = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut fl) };
    r == 0 && fl.l_type != libc::F_UNLCK as libc::c_short
}

fn stop_inside_a_write(store: &Path, child: u32) -> usize {
    let inside = || blockwise::store::write_holder(store).is_some_and(|h| h.pid == child);
    for attempt in 1..=500 {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !inside() {
            assert!(Instant::now() < deadline, "child {child} never wrote");
            std::thread::sleep(Duration::from_micros(200));
        }
        signal(child, libc::SIGSTOP);
        // Let the stop land, then check that it is still inside (it may have committed).
        std::thread::sleep(Duration::from_millis(30));
        // Inside a write transaction but not inside redb's header commit: a writer stopped
        // there keeps redb's header lock, which every open waits on (the product then refuses
        // after a moment, see `Store::open_read_only`); this test is about the first case.
        if inside() && !header_locked(store) {
            return attempt;
        }
        signal(child, libc::SIGCONT);
    }
    panic!("could not stop {child} inside a write transaction");
}

/// A writer stopped inside redb's header commit keeps the header lock every open waits on: a
/// reader gives up after a moment, says why and changes nothing, instead of waiting for ever.
#[test]
fn item11_a_reader_gives_up_on_a_header_lock_that_is_never_released() {
    use std::os::fd::AsRawFd;
    let w = ws(2);
    let before = w.open().fingerprint().unwrap();
    // Hold redb's header lock (bytes 0..320) the way a writer stopped mid-commit does.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&w.store)
        .unwrap();
    // SAFETY: flock is plain data; all-zero is a valid value.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_len = 320;
    // SAFETY: a valid descriptor and a fully initialised flock; F_OFD_SETLK never blocks.
    assert_eq!(
        unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &fl) },
        0
    );
    let t = Instant::now();
    let (code, _, err) = w.cli(&["docs"]);
    let took = t.elapsed();
    println!("== docs behind a held header lock: exit {code} after {took:?}\n{err}");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("stopped in the middle of a commit"), "{err}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    drop(file);
    assert_eq!(w.open().fingerprint().unwrap(), before);
    let (code, _, err) = w.cli(&["docs"]);
    assert_eq!(
        code, 0,
        "once the lock is gone the store reads again: {err}"
    );
}

/// A real `blockwise run start` stopped (SIGSTOP) inside a write transaction: readers answer at
/// once, writers give up after a few seconds naming its pid and command and how to continue
/// it; once it is SIGKILLed, nobody names it and everything works again.
#[test]
fn item11_a_stopped_writer_process_is_named_and_readers_never_wait_on_it() {
    let w = ws(400);
    let mut child = w
        .cmd(&["run", "start", &w.run_id, "--concurrency", "8"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let tries = stop_inside_a_write(&w.store, pid);
    let holder = blockwise::store::write_holder(&w.store).unwrap();
    println!("== run start pid {pid} stopped inside a write transaction (try {tries}): {holder:?}");

    let mut slowest = Duration::ZERO;
    // Every read-only command (issue 20 item 9: the whole list of CLI.md, not a sample).
    let mut reads: Vec<Vec<&str>> = READ_ONLY
        .iter()
        .map(|a| fill(a, &w.conv, &w.run_id))
        .collect();
    reads.push(vec!["export", &w.run_id, "--mode", "staging"]);
    reads.push(vec!["schema", "templates"]);
    for args in reads {
        let t = Instant::now();
        let (code, _, err) = w.cli(&args);
        let took = t.elapsed();
        assert_eq!(code, 0, "{args:?} beside a stopped writer: {err}");
        slowest = slowest.max(took);
        println!("== {args:?} beside the stopped writer: exit 0 in {took:?}");
    }
    assert!(
        slowest < Duration::from_secs(3),
        "a reader waited {slowest:?}"
    );

    // A write transaction (confirm) and a writable open (ingest) each give up, naming it.
    std::fs::write(w.path("more.md"), "More text.\n").unwrap();
    let more = w.path("more.md");
    for args in [
        vec!["review", "confirm", &w.run_id, "--all"],
        vec!["ingest", more.to_str().unwrap()],
    ] {
        let t = Instant::now();
        let (code, _, err) = w.cli(&args);
        let waited = t.elapsed();
        println!("== {args:?} behind the stopped writer: exit {code} after {waited:?}\n{err}");
        assert_eq!(code, 1, "{err}");
        assert!(
            waited >= Duration::from_secs(4) && waited < Duration::from_secs(15),
            "{waited:?}"
        );
        assert!(err.contains("is busy"), "{err}");
        assert!(
            err.contains(&format!("pid {pid} (")),
            "names the writer: {err}"
        );
        assert!(err.contains("run start"), "names its command: {err}");
        assert!(err.contains("is stopped"), "{err}");
        assert!(err.contains(&format!("kill -CONT {pid}")), "{err}");
        assert!(err.contains("nothing was changed"), "{err}");
        assert!(
            !err.contains("processes with it open"),
            "named exactly: {err}"
        );
    }

    // SIGKILL inside the write: the kernel drops its mark with it; it is never named again.
    signal(pid, libc::SIGKILL);
    child.wait().unwrap();
    assert_eq!(blockwise::store::write_holder(&w.store), None);
    // The file is now unclean. While a writer repairs it (it holds redb's writer byte, 2^62,
    // as an OFD lock during its open; here the test holds that byte), a read does not wait for
    // the repair: it retries briefly, then says so.
    {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&w.store)
            .unwrap();
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = libc::F_WRLCK as libc::c_short;
        fl.l_whence = libc::SEEK_SET as libc::c_short;
        fl.l_start = 1 << 62;
        fl.l_len = 1;
        use std::os::fd::AsRawFd;
        assert_eq!(
            unsafe { libc::fcntl(f.as_raw_fd(), libc::F_OFD_SETLK, &fl) },
            0
        );
        let t = Instant::now();
        let (code, _, err) = w.cli(&["docs"]);
        let took = t.elapsed();
        println!(
            "== docs while the unclean store is being repaired: exit {code} in {took:?}\n{err}"
        );
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("is repairing it now"), "{err}");
        assert!(took < Duration::from_secs(3), "{took:?}");
    }
    let t = Instant::now();
    let (code, out, err) = w.cli(&["run", "status", &w.run_id]);
    println!(
        "== run status after SIGKILL: exit {code} in {:?}",
        t.elapsed()
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&w.run_id), "{out}");
    // The kill left the file unclean with no live writer: the read repaired it (redb's
    // recovery) instead of waiting or failing.
    let log = std::fs::read_to_string(w.path("state/blockwise/blockwise.log")).unwrap();
    assert!(
        log.contains("repairing a store left unclean before reading it"),
        "{log}"
    );
    let (code, _, err) = w.cli(&["review", "confirm", &w.run_id, "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains(&format!("pid {pid}")), "{err}");
}

// ------------------------------------------------------------------ 17. calls never vanish

#[test]
fn item17_a_killed_workers_calls_in_flight_show_as_lost_and_count_at_their_upper_bound() {
    let w = ws(2);
    {
        let store = w.open();
        set_policy(&store, "worker.batching.enabled", json!(false));
    }
    let run_id = anthropic_run(&w);
    // The fake is not Anthropic's own endpoint, where built-in prices do not apply (issue 14):
    // the user's prices.json prices the model there, so the upper bound has a value.
    std::fs::create_dir_all(w.config_dir()).unwrap();
    std::fs::write(
        w.config_dir().join("prices.json"),
        r#"{"models": {"claude": {"input": 3.0, "output": 15.0, "cache_write": 3.75, "cache_read": 0.3}}}"#,
    )
    .unwrap();
    let fake = support::fake();
    fake.set_default_latency(Duration::from_secs(60));
    let with_fake = |c: &mut Command| {
        c.env("ANTHROPIC_API_KEY", "sk-ant-test")
            .env("ANTHROPIC_BASE_URL", fake.anthropic_base_url());
    };
    let mut start = w.cmd(&["run", "start", &run_id, "--concurrency", "2"]);
    with_fake(&mut start);
    let mut child = start
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until both calls are recorded as started and have reached the provider.
    let deadline = Instant::now() + Duration::from_secs(60);
    let calls = |w: &Ws| -> Vec<Value> {
        let (code, out, err) = w.cli(&["--json", "run", "calls", &run_id]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    loop {
        let c = calls(&w);
        let in_flight = c.iter().filter(|c| c["outcome"] == "in_flight").count();
        if in_flight == 2 && fake.call_count() == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "calls never started: {c:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let c = calls(&w);
    assert_eq!(c.len(), 2, "{c:?}");
    assert!(c.iter().all(|c| c["outcome"] == "lost"), "{c:?}");
    let upper: f64 = c
        .iter()
        .map(|c| c["cost_upper_usd"].as_f64().unwrap())
        .sum();
    assert!(upper > 0.0);

    // The next worker counts them (calls and cost upper bound) and finishes the run.
    fake.set_default_latency(Duration::ZERO);
    let mut again = w.cmd(&["run", "start", &run_id]);
    with_fake(&mut again);
    let (code, _, err) = support::outcome(again.output().unwrap());
    assert_eq!(code, 0, "{err}");
    let run = w.open().get_run(&run_id).unwrap().unwrap();
    assert_eq!(run.usage.calls, 4, "2 lost + 2 answered");
    assert_eq!(run.usage.failed_calls, 2);
    // The lost calls' upper bound is in the run's cost (plus what the answered calls cost).
    assert!(run.usage.cost_usd.unwrap() > upper, "{:?}", run.usage);
    let stored = w.open().calls(&run_id).unwrap();
    assert_eq!(stored.iter().filter(|c| c.outcome == "lost").count(), 2);
}

// ------------------------------------------------------------------ 6. no secrets in URLs

#[test]
fn item6_base_urls_with_credentials_or_a_query_are_refused_and_never_shown() {
    let w = ws(1);
    for url in [
        "http://user:sk-secret-1234@127.0.0.1:9/v1",
        "http://127.0.0.1:9/v1?api_key=sk-secret-1234",
    ] {
        let mut c = w.cmd(&["keys", "set", "custom", "--stdin", "--base-url", url]);
        c.stdin(std::process::Stdio::piped());
        let mut child = c
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        support::feed_stdin(&mut child, b"sk-local-key\n");
        let (code, out, err) = support::outcome(child.wait_with_output().unwrap());
        assert_eq!(code, 1, "{url}: {out}{err}");
        assert!(!err.contains("sk-secret"), "the secret was shown: {err}");
        assert!(
            err.contains("keys set PROVIDER --stdin"),
            "says where a key belongs: {err}"
        );
    }
    // A URL stored by an older build is listed without its credentials.
    {
        let store = w.open();
        store
            .put_api_key(&blockwise::model::StoredKey {
                provider: "custom".into(),
                encryption: "age-x25519".into(),
                ciphertext: String::new(),
                last4: "1234".into(),
                model: None,
                temperature: None,
                max_tokens: None,
                base_url: Some(
                    "http://user:sk-secret-1234@127.0.0.1:9/v1?token=sk-secret-1234".into(),
                ),
                is_valid: None,
                tested_at: None,
                created_at: "2026-01-01T00:00:00Z".into(),
                updated_at: "2026-01-01T00:00:00Z".into(),
            })
            .unwrap();
    }
    for args in [vec!["keys", "list"], vec!["--json", "keys", "list"]] {
        let (code, out, err) = w.cli(&args);
        assert_eq!(code, 0, "{err}");
        assert!(
            !out.contains("sk-secret") && !err.contains("sk-secret"),
            "{out}{err}"
        );
        assert!(out.contains("127.0.0.1:9/v1"), "{out}");
    }
}

// ------------------------------------------------------------------ 7. private files

#[test]
fn item7_store_log_and_their_folders_are_created_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("new/deeper/ws.redb");
    let out = support::blockwise_in(dir.path())
        .arg("--store")
        .arg(&store)
        // A writing command makes the workspace (`policy list` is read-only).
        .args(["schema", "from-template", "classification"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store), 0o600, "store");
    assert_eq!(mode(&dir.path().join("new/deeper")), 0o700, "store folder");
    assert_eq!(mode(&dir.path().join("new")), 0o700, "created parent");
    let log_dir = dir.path().join("state/blockwise");
    assert_eq!(mode(&log_dir.join("blockwise.log")), 0o600, "log");
    assert_eq!(mode(&log_dir), 0o700, "log folder");
}

// ------------------------------------------------------------------ 10. no hangs on input

#[test]
fn item10_fifos_devices_and_oversized_input_are_refused_at_once() {
    let w = ws(1);
    let fifo_md = w.path("pipe.md");
    let fifo_json = w.path("pipe.json");
    for f in [&fifo_md, &fifo_json] {
        let c = std::ffi::CString::new(f.to_str().unwrap()).unwrap();
        // SAFETY: valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }
    let zero = w.path("zero.md");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let t = Instant::now();
    for (args, why) in [
        (vec!["ingest", fifo_md.to_str().unwrap()], "FIFO"),
        (vec!["ingest", zero.to_str().unwrap()], "character device"),
        (vec!["schema", "add", fifo_json.to_str().unwrap()], "FIFO"),
        (vec!["schema", "check", fifo_json.to_str().unwrap()], "FIFO"),
        (
            vec![
                "policy",
                "set",
                "worker.default_block_prompt",
                "--file",
                fifo_md.to_str().unwrap(),
            ],
            "FIFO",
        ),
    ] {
        let mut c = w.cmd(&args);
        let mut child = c
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{args:?} hung");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let (code, _, err) = support::outcome(child.wait_with_output().unwrap());
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
    assert!(t.elapsed() < Duration::from_secs(20));
    // keys set --stdin reads at most its limit: an endless stdin is refused, not buffered.
    let (code, _, err) = support::outcome(
        w.cmd(&["keys", "set", "anthropic", "--stdin"])
            .stdin(std::fs::File::open("/dev/zero").unwrap())
            .output()
            .unwrap(),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("larger than the limit"), "{err}");
}

// ------------------------------------------------------------------ 12. reading never writes

/// Every read-only command of CLI.md (and `review log`, `policy admins list`), with `DOC`,
/// `RUN` and `SCHEMA` to be filled in.
const READ_ONLY: &[&[&str]] = &[
    &["docs"],
    &["blocks", "DOC"],
    &["check"],
    &["schema", "list"],
    &["schema", "show", "SCHEMA"],
    &["keys", "list"],
    &["policy", "list"],
    &["policy", "show", "worker.max_retries"],
    &["policy", "audit"],
    &["policy", "admins", "list"],
    &["run", "estimate", "DOC", "SCHEMA", "--provider", "demo"],
    &["run", "list"],
    &["run", "status", "RUN"],
    &["run", "calls", "RUN"],
    &["review", "log"],
    &["export", "RUN"],
    &["export", "RUN", "--format", "csv", "--mode", "both"],
    &["export", "RUN", "--format", "md"],
    &["--json", "docs"],
    &["--json", "policy", "list"],
    &["--json", "run", "status", "RUN"],
];

fn fill<'a>(args: &[&'a str], doc: &'a str, run: &'a str) -> Vec<&'a str> {
    args.iter()
        .map(|a| match *a {
            "DOC" => doc,
            "RUN" => run,
            "SCHEMA" => "s",
            a => a,
        })
        .collect()
}

/// Names and sizes of everything in `dir` (proof that no lock, temp or sidecar file appeared).
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut all: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let len = e.metadata().map(|m| m.len()).unwrap_or(0);
            (e.file_name().to_string_lossy().into_owned(), len)
        })
        .collect();
    all.sort();
    all
}

#[test]
fn item12_read_only_commands_never_create_or_change_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here.redb");
    for args in READ_ONLY {
        let args = fill(args, "abc", "run_abc");
        let out = support::blockwise_in(dir.path())
            .arg("--store")
            .arg(&missing)
            .args(&args)
            .output()
            .unwrap();
        let (code, _, err) = support::outcome(out);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            err.contains("no workspace at") && err.contains("ingest"),
            "{args:?}: {err}"
        );
        assert!(!missing.exists(), "{args:?} created a store");
    }
    // `schema templates` needs no store at all.
    let (code, out, err) = support::outcome(
        support::blockwise_in(dir.path())
            .arg("--store")
            .arg(&missing)
            .args(["schema", "templates"])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().count() > 1, "{out}");
    assert!(!missing.exists(), "schema templates created a store");

    // A store with something in every table a read shows: a finished run, a review action, a
    // policy change. Then the user may read it but not write it.
    let w = ws(2);
    set_policy(&w.open(), "worker.max_retries", json!(4));
    let (code, _, err) = w.cli(&["run", "start", &w.run_id]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = w.cli(&["review", "confirm", &w.run_id, "--blocks", "0"]);
    assert_eq!(code, 0, "{err}");
    let before = w.open().fingerprint().unwrap();
    let modified = std::fs::metadata(&w.store).unwrap().modified().unwrap();
    let files = listing(w.dir.path());

    let root = unsafe { libc::getuid() } == 0;
    // Root ignores permissions, so as root the reads run as the unprivileged uid 65534, from a
    // copy of the binary in a folder that account can reach (the checkout may sit under a
    // root-only folder, e.g. a CI clone into `mktemp -d`).
    let bin_dir = tempfile::tempdir().unwrap();
    let bin = bin_dir.path().join("blockwise");
    if root {
        std::fs::copy(env!("CARGO_BIN_EXE_blockwise"), &bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(bin_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&w.store, std::fs::Permissions::from_mode(0o444)).unwrap();
        std::fs::set_permissions(w.dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    } else {
        std::fs::set_permissions(&w.store, std::fs::Permissions::from_mode(0o400)).unwrap();
        std::fs::set_permissions(w.dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
    }
    let read = |args: &[&str]| {
        let mut c = if root {
            use std::os::unix::process::CommandExt;
            let mut c = support::blockwise_at(&bin, w.dir.path());
            c.uid(65534).gid(65534);
            c
        } else {
            support::blockwise_in(w.dir.path())
        };
        c.arg("--store").arg(&w.store).args(args);
        support::outcome(c.output().unwrap())
    };
    if root {
        // The test is about the store, not about reaching it: the account can read it.
        let (code, _, err) = read(&["--help"]);
        assert_eq!(code, 0, "uid 65534 cannot run the copied binary: {err}");
    }
    let mut outputs = Vec::new();
    for args in READ_ONLY {
        let args = fill(args, &w.conv, &w.run_id);
        let (code, out, err) = read(&args);
        assert_eq!(code, 0, "{args:?} on a read-only store: {err}");
        assert!(!out.trim().is_empty(), "{args:?} printed nothing");
        outputs.push((args, out));
    }
    let out_of = |args: &[&str]| {
        let args: Vec<&str> = args.to_vec();
        &outputs.iter().find(|(a, _)| *a == args).unwrap().1
    };
    assert!(out_of(&["docs"]).contains("doc.md"));
    assert!(out_of(&["schema", "list"]).contains('s'));
    assert!(out_of(&["policy", "list"]).contains("worker.max_retries"));
    assert!(out_of(&["policy", "audit"]).contains("worker.max_retries"));
    assert!(out_of(&["review", "log"]).contains("confirm"));
    assert!(out_of(&["run", "status", &w.run_id]).contains(&w.run_id));
    assert_eq!(out_of(&["export", &w.run_id]).lines().count(), 2);
    assert!(out_of(&["export", &w.run_id, "--format", "md"]).contains("Paragraph 1"));

    // A writing command on the same store fails saying why, and changes nothing either.
    let (code, _, err) = read(&["review", "confirm", &w.run_id, "--all"]);
    assert_ne!(code, 0, "a write to a read-only store succeeded");
    println!("== write to a read-only store: exit {code}\n{err}");

    std::fs::set_permissions(w.dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::set_permissions(&w.store, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        listing(w.dir.path()),
        files,
        "a read created or grew a file"
    );
    assert_eq!(
        std::fs::metadata(&w.store).unwrap().modified().unwrap(),
        modified
    );
    assert_eq!(w.open().fingerprint().unwrap(), before);
}

// ------------------------------------------------------------------ 13. errors name the cause

#[test]
fn item13_utf16_input_is_named_with_how_to_convert_it() {
    let w = ws(1);
    let utf16 = |bom: bool| {
        let mut bytes = if bom { vec![0xff, 0xfe] } else { Vec::new() };
        bytes.extend(
            "# Notes\n\nSome text.\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        bytes
    };
    // Without a byte order mark it is refused, naming the encoding and how to convert it.
    let file = w.path("notes.md");
    std::fs::write(&file, utf16(false)).unwrap();
    let (code, _, err) = w.cli(&["ingest", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("notes.md") && err.contains("UTF-16") && err.contains("iconv"),
        "{err}"
    );
    // With one it is read (issue 25 item 3: BOM-marked UTF-16 text is accepted, decoded).
    let marked = w.path("marked.md");
    std::fs::write(&marked, utf16(true)).unwrap();
    let (code, _, err) = w.cli(&["ingest", marked.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

// ------------------------------------------------------------------ 15. prompt must fit

#[test]
fn item15_a_run_whose_fixed_prompt_cannot_fit_one_block_is_refused_with_sizes() {
    let w = ws(1);
    let store = w.open();
    let long = "Be careful. ".repeat(4000); // ~12k tokens of system prompt
    let schema_json = json!({"type": "object", "properties": {"label": {"type": "string"}},
        "prompt_config": {"system_instructions": long}});
    schema::save(
        &store,
        SaveRequest::new(schema_json, Some("huge".into()), ADMIN),
    )
    .unwrap();
    set_policy(&store, "worker.batching.context_window_tokens", json!(8000));
    set_policy(&store, "worker.batching.output_reserve_tokens", json!(256));
    let runs_before = store.list_runs().unwrap().len();
    let err = create_with(&store, &w.conv, "huge")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("context window 8000") && err.contains("system prompt ~"),
        "{err}"
    );
    assert_eq!(
        store.list_runs().unwrap().len(),
        runs_before,
        "nothing created"
    );
    // The same document and a short prompt fit.
    assert!(create_with(&store, &w.conv, "s").is_ok());
}

// ------------------------------------------------------------------ 16. offline schemas only

#[test]
fn item16_remote_refs_are_refused_by_check_and_the_save_boundary() {
    let w = ws(1);
    for r in [
        "https://example.com/s.json",
        "http://example.com/s.json#/x",
        "file:///etc/passwd",
        "other.json",
    ] {
        let file = w.path("remote.json");
        std::fs::write(
            &file,
            serde_json::to_string(&json!({"type": "object", "properties": {
                "a": {"type": "object", "properties": {"b": {"$ref": r}}}
            }}))
            .unwrap(),
        )
        .unwrap();
        let (code, out, err) = w.cli(&["schema", "check", file.to_str().unwrap()]);
        assert_eq!(code, 1, "{r}: {out}{err}");
        assert!(
            out.contains("remote $ref") && out.contains("/properties/a/properties/b/$ref"),
            "{out}"
        );
        let (code, _, err) = w.cli(&["schema", "add", file.to_str().unwrap(), "--ref", "remote"]);
        assert_eq!(code, 1, "{r}: {err}");
        assert!(
            err.contains("rejected: remote $ref") && err.contains("$defs"),
            "{err}"
        );
    }
    let local = json!({"type": "object", "$defs": {"L": {"type": "string"}},
        "properties": {"a": {"$ref": "#/$defs/L"}}});
    let store = w.open();
    assert!(schema::save(&store, SaveRequest::new(local, Some("local".into()), ADMIN)).is_ok());
}

// ------------------------------------------------------------------ 13. a full disk is named

#[test]
fn item13_a_full_disk_says_no_space_left_and_names_the_store() {
    // Needs a tiny filesystem: a 256 KiB tmpfs, which only root may mount. Elsewhere this test
    // says so on stderr and checks nothing (see the issue-10 note).
    let mnt = tempfile::tempdir().unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(mnt.path())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED: cannot mount a small tmpfs here (needs root)");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let big = scratch.path().join("big.md");
    let text: String = (0..3000)
        .map(|i| format!("Paragraph {i} {}\n\n", "word ".repeat(40)))
        .collect();
    std::fs::write(&big, text).unwrap();
    let store = mnt.path().join("ws.redb");
    let out = support::blockwise_in(scratch.path())
        .arg("--store")
        .arg(&store)
        .args(["ingest", big.to_str().unwrap()])
        .output()
        .unwrap();
    let _ = Command::new("umount").arg(mnt.path()).status();
    let (code, _, err) = support::outcome(out);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        err.contains(&store.display().to_string()),
        "names the store: {err}"
    );
}
