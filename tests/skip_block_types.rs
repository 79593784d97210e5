//! `worker.skip_block_types` (issue 25 item 5, SPEC §3/§5): the list-valued policy key, the run
//! snapshot carrying it, runs marking those blocks `skipped` at creation, the worker never
//! sending them (real HTTP to the fake provider), counters, `run status`, `review confirm
//! --all`, export with `data: null`, and `blockwise check` agreeing.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use blockwise::export::{self, Format, Mode};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{BlockType, OverlayStatus, Run, RunStatus};
use blockwise::policy;
use blockwise::provider::prompt;
use blockwise::review::{self, Target};
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::{self, CreateRunOptions, EngineOptions};
use serde_json::{json, Value};
use tokio::sync::watch;

const ADMIN: &str = "tester";
const KEY: &str = "worker.skip_block_types";

/// The PDF fixture: running headers and footers on both pages (4 furniture blocks of 39).
fn pdf_fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pdf/library-annual-report.pdf")
}

struct Env {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    conv: String,
}

fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.redb")).unwrap();
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let conv = ingest_path(&store, &pdf_fixture(), IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    let schema = json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]}
    }});
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), ADMIN)).unwrap();
    Env {
        dir,
        store: Arc::new(store),
        conv,
    }
}

impl Env {
    fn create(&self) -> Run {
        let opts = CreateRunOptions {
            provider: Some("demo".into()),
            model: Some("claude-sonnet-4-5".into()),
            ..Default::default()
        };
        worker::create_run(&self.store, &self.conv, "s", &opts).unwrap()
    }

    /// Indices of the document's blocks of the furniture types.
    fn furniture(&self) -> Vec<u32> {
        let furniture = [BlockType::PageHeader, BlockType::PageFooter];
        let blocks = self.store.blocks(&self.conv).unwrap();
        blocks
            .iter()
            .filter(|b| furniture.contains(&b.block_type))
            .map(|b| b.block_index)
            .collect()
    }

    fn statuses(&self, run: &Run) -> Vec<OverlayStatus> {
        let mut out = Vec::new();
        self.store
            .for_each_overlay(&run.run_id, |ov| {
                out.push(ov.status);
                Ok(())
            })
            .unwrap();
        out
    }
}

#[test]
fn the_key_defaults_to_page_furniture_and_takes_a_list_of_known_types() {
    let env = setup();
    let now = policy::effective_value(&env.store, KEY).unwrap();
    assert_eq!(now.value, json!(["page_header", "page_footer"]));
    assert_eq!(now.value_type, "list of block types");
    // Names separated by commas or spaces, repeated names once; a JSON list; empty.
    for (text, stored) in [
        (
            "other, heading  footnote,heading",
            json!(["other", "heading", "footnote"]),
        ),
        (r#"["page_footer"]"#, json!(["page_footer"])),
        ("", json!([])),
        ("none", json!([])),
    ] {
        policy::set_value_text(&env.store, ADMIN, KEY, text, Some("t")).unwrap();
        let v = policy::effective_value(&env.store, KEY).unwrap().value;
        assert_eq!(v, stored, "from {text:?}");
    }
    // An unknown type is refused by name with the known ones listed; nothing changes.
    let err = policy::set_value_text(&env.store, ADMIN, KEY, "page_header, sidebar", Some("t"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown block type 'sidebar'"), "{err}");
    assert!(
        err.contains("page_footer") && err.contains("nothing was changed"),
        "{err}"
    );
    let err = policy::set_value(&env.store, ADMIN, KEY, json!("page_header"), Some("t"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected a list of block types"), "{err}");
    let err = policy::set_value(&env.store, ADMIN, KEY, json!(["table", "table"]), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("'table' is listed twice"), "{err}");
    assert_eq!(
        policy::effective_value(&env.store, KEY).unwrap().value,
        json!([])
    );
}

#[test]
fn a_new_run_marks_furniture_skipped_and_its_snapshot_keeps_the_list() {
    let env = setup();
    let furniture = env.furniture();
    assert_eq!(
        furniture.len(),
        4,
        "the fixture has a header and a footer per page"
    );
    let run = env.create();
    assert_eq!(
        run.model_config.policy[KEY],
        json!(["page_header", "page_footer"])
    );
    let c = run.counters;
    assert_eq!((c.total, c.skipped, c.pending), (39, 4, 35));
    for (i, s) in env.statuses(&run).iter().enumerate() {
        let want = if furniture.contains(&(i as u32)) {
            OverlayStatus::Skipped
        } else {
            OverlayStatus::Pending
        };
        assert_eq!(*s, want, "block {i}");
    }
    assert_eq!(
        env.store
            .indices_with_status(&run.run_id, OverlayStatus::Skipped)
            .unwrap(),
        furniture
    );
    // A later policy change does not touch the run; a run made after it skips nothing.
    policy::set_value(&env.store, ADMIN, KEY, json!([]), Some("t")).unwrap();
    assert_eq!(
        env.store
            .get_run(&run.run_id)
            .unwrap()
            .unwrap()
            .counters
            .skipped,
        4
    );
    let all = env.create();
    assert_eq!((all.counters.skipped, all.counters.pending), (0, 39));
    assert_eq!(all.model_config.policy[KEY], json!([]));
    let report = env.store.check().unwrap();
    assert!(report.ok(), "{:?}", report.damage);
}

#[test]
fn the_estimate_leaves_skipped_blocks_out() {
    let env = setup();
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    let prices = blockwise::provider::PriceTable::builtin();
    let with = worker::estimate_run(&env.store, &env.conv, "s", &opts, &prices).unwrap();
    policy::set_value(&env.store, ADMIN, KEY, json!([]), Some("t")).unwrap();
    let without = worker::estimate_run(&env.store, &env.conv, "s", &opts, &prices).unwrap();
    assert_eq!((with.skipped, without.skipped), (4, 0));
    assert!(
        with.input_tokens < without.input_tokens,
        "{} vs {}",
        with.input_tokens,
        without.input_tokens
    );
}

/// Block indices in each request the fake received.
fn sent_blocks(fake: &support::FakeServer) -> Vec<u32> {
    let mut out = Vec::new();
    for r in fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
    {
        let content = &r.body["messages"][0]["content"];
        let text = content
            .as_str()
            .map(str::to_string)
            .or_else(|| content[0]["text"].as_str().map(str::to_string))
            .unwrap_or_default();
        out.extend(prompt::parse_blocks(&text).iter().map(|b| b.block_index));
    }
    out.sort_unstable();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_never_sends_skipped_blocks_and_they_export_with_null_data() {
    let env = setup();
    let fake = support::fake();
    let furniture = env.furniture();
    let run = env.create();
    let provider = worker::connect(
        "anthropic",
        Some("k".into()),
        Some(fake.anthropic_base_url()),
    )
    .unwrap();
    let (_stop, rx) = watch::channel(false);
    let opts = EngineOptions {
        concurrency: Some(2),
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        ..EngineOptions::default()
    };
    let id = run.run_id.clone();
    worker::run_worker(env.store.clone(), Arc::new(provider), &id, opts, None, rx)
        .await
        .unwrap();
    let sent = sent_blocks(&fake);
    let expected: Vec<u32> = (0..39).filter(|i| !furniture.contains(i)).collect();
    assert_eq!(sent, expected, "every other block once, no furniture");
    let done = env.store.get_run(&id).unwrap().unwrap();
    assert_eq!(done.status, RunStatus::Complete);
    let c = done.counters;
    assert_eq!(
        (c.ai_complete, c.skipped, c.pending, c.claimed),
        (35, 4, 0, 0)
    );

    // `confirm --all` confirms the staged blocks and leaves the skipped ones skipped.
    let out = review::confirm(&env.store, &id, &Target::AllStaged, ADMIN).unwrap();
    assert_eq!(out.count, 35);
    assert!(out.skipped.is_empty());
    let c = env.store.get_run(&id).unwrap().unwrap().counters;
    assert_eq!((c.confirmed, c.skipped), (35, 4));
    // Naming a skipped block refuses it by its state.
    let sel = review::Selection::from_indices([furniture[0]]);
    let err = review::confirm(&env.store, &id, &Target::Blocks(sel), ADMIN)
        .unwrap_err()
        .to_string();
    assert!(err.contains("skipped"), "{err}");

    let path = env.dir.path().join("out.jsonl");
    export::export_to_path(&env.store, &id, Format::Jsonl, Mode::Confirmed, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        39,
        "the skipped blocks are exported, not dropped"
    );
    for l in &lines {
        let index = l["immutable"]["block"]["block_index"].as_u64().unwrap() as u32;
        let data = &l["user_defined"]["data"];
        if furniture.contains(&index) {
            assert!(data.is_null(), "block {index}: {data}");
            let t = l["immutable"]["block"]["block_type"].as_str().unwrap();
            assert!(t.starts_with("page_"), "{t}");
        } else {
            assert!(data["label"].is_string(), "block {index}: {data}");
        }
    }
    let report = env.store.check().unwrap();
    assert!(report.ok(), "{:?}", report.damage);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_only_skipped_blocks_completes_without_a_call() {
    let env = setup();
    let fake = support::fake();
    let every: Vec<&str> = BlockType::ALL.iter().map(|t| t.as_str()).collect();
    policy::set_value(&env.store, ADMIN, KEY, json!(every), Some("t")).unwrap();
    let run = env.create();
    assert_eq!((run.counters.skipped, run.counters.pending), (39, 0));
    let provider = worker::connect(
        "anthropic",
        Some("k".into()),
        Some(fake.anthropic_base_url()),
    )
    .unwrap();
    let (_stop, rx) = watch::channel(false);
    worker::run_worker(
        env.store.clone(),
        Arc::new(provider),
        &run.run_id,
        EngineOptions::default(),
        None,
        rx,
    )
    .await
    .unwrap();
    assert!(sent_blocks(&fake).is_empty());
    let done = env.store.get_run(&run.run_id).unwrap().unwrap();
    assert_eq!(done.status, RunStatus::Complete);
    assert_eq!(done.usage.calls, 0);
}

#[test]
fn the_cli_sets_the_list_shows_skipped_blocks_and_confirm_all_leaves_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let cli = |args: &[&str]| {
        let out = support::blockwise_in(dir.path())
            .arg("--store")
            .arg(&store)
            .args(args)
            .output()
            .unwrap();
        support::outcome(out)
    };
    let pdf = pdf_fixture();
    let (code, _, err) = cli(&["ingest", pdf.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(&["policy", "set", KEY, "page_header,sidebar", "--reason", "t"]);
    // Like an integer out of bounds: refused (exit 1), naming the value and the known types.
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unknown block type 'sidebar'"), "{err}");
    let (code, out, err) = cli(&["--json", "policy", "list"]);
    assert_eq!(code, 0, "{err}");
    let keys: Value = serde_json::from_str(&out).unwrap();
    let entry = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == KEY)
        .unwrap();
    assert_eq!(
        entry["value"],
        json!(["page_header", "page_footer"]),
        "{entry}"
    );
    let (code, _, err) = cli(&["schema", "from-template", "classification", "--ref", "c"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(&["--json", "docs"]);
    assert_eq!(code, 0, "{err}");
    let docs: Value = serde_json::from_str(&out).unwrap();
    let conv = docs[0]["conv_uid"].as_str().unwrap().to_string();
    let (code, out, err) = cli(&["--json", "run", "create", &conv, "c", "--provider", "demo"]);
    assert_eq!(code, 0, "{err}");
    let run: Value = serde_json::from_str(&out).unwrap();
    let id = run["run_id"].as_str().unwrap().to_string();
    let (code, _, err) = cli(&["run", "start", &id]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(&["run", "status", &id]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("skipped 4 (by type)"), "{out}");
    assert!(
        out.contains("skip_block_types=page_header,page_footer (run snapshot)"),
        "{out}"
    );
    let (code, out, err) = cli(&["review", "confirm", &id, "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("confirmed 35 blocks"), "{out}");
    assert!(
        out.contains("4 blocks skipped by type (worker.skip_block_types) stay skipped"),
        "{out}"
    );
    let (code, out, err) = cli(&["export", &id, "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().filter(|l| l.contains(",skipped,")).count(),
        4,
        "{out}"
    );
    let (code, out, err) = cli(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
}
