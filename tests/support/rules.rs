//! Shared by the issue 20 ("Trust II") tests: a temp folder running the real binary, a store
//! with one document and schema `s`, a run, and the worker against the fake provider.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::Run;
use blockwise::policy;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::{self, CreateRunOptions, EngineOptions, RunEnd};
use serde_json::{json, Value};
use tokio::sync::watch;

pub const ADMIN: &str = "tester";

/// A temp folder whose commands run the real binary with its own config/data/state dirs.
pub struct Dir {
    pub dir: tempfile::TempDir,
}

impl Default for Dir {
    fn default() -> Dir {
        Dir::new()
    }
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn cli(&self, store: &Path, args: &[&str]) -> (i32, String, String) {
        let mut c = super::blockwise_in(self.dir.path());
        c.arg("--store").arg(store).args(args);
        super::outcome(c.output().unwrap())
    }

    pub fn json(&self, store: &Path, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let (code, out, err) = self.cli(store, &all);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        serde_json::from_str(&out).unwrap()
    }
}

/// A store in `d` with one document of `blocks` paragraphs and schema `s` = `schema`.
pub fn workspace(d: &Dir, blocks: usize, schema: Value) -> (PathBuf, String) {
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

pub fn create_run(store: &Store, conv: &str, provider: &str) -> Run {
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

pub async fn work(store: &Arc<Store>, fake: &super::FakeServer, run: &str) -> RunEnd {
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

pub fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// A schema that forbids keys it does not name.
pub fn closed_schema() -> Value {
    json!({"type": "object", "additionalProperties": false, "properties": {
        "label": {"type": "string"},
        "score": {"type": "integer"}
    }})
}
