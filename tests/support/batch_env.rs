//! What the batch-mode tests share (tests/worker_batch.rs against the fake's Anthropic batch
//! API, tests/google_batch.rs against its Gemini one; tests/run_status_live.rs uses its store):
//! a real store with one document of plain paragraphs and a two-field schema, the fake over
//! loopback, fast batch options, and runs that name the offline provider (no key) while the
//! session talks to the fake.

use std::sync::Arc;
use std::time::Duration;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::Run;
use blockwise::policy;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::batch::BatchOptions;
use blockwise::worker::{self, CreateRunOptions, EngineOptions};
use serde_json::{json, Value};

use super::FakeServer;

pub const ADMIN: &str = "tester";

pub struct BatchEnv {
    _dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub fake: FakeServer,
    pub conv: String,
    pub properties: Value,
    model: &'static str,
}

/// `blocks` paragraphs and the schema `s`; runs created by [`BatchEnv::create`] name `model`.
pub fn setup(blocks: usize, model: &'static str) -> BatchEnv {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.redb")).unwrap();
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let doc = dir.path().join("doc.md");
    let text: String = (0..blocks)
        .map(|i| format!("Paragraph {i} says something plain.\n\n"))
        .collect();
    std::fs::write(&doc, text).unwrap();
    let conv = ingest_path(&store, &doc, IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    let schema = json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 9}
    }});
    let properties = schema["properties"].clone();
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), ADMIN)).unwrap();
    BatchEnv {
        _dir: dir,
        store: Arc::new(store),
        fake: super::fake(),
        conv,
        properties,
        model,
    }
}

/// Batch options with short backoffs and polls, two calls at once.
pub fn fast() -> BatchOptions {
    BatchOptions {
        engine: EngineOptions {
            concurrency: Some(2),
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            cancel_poll: Duration::from_millis(20),
            ..EngineOptions::default()
        },
        poll: Some((Duration::from_millis(20), Duration::from_millis(80))),
        limits: None,
    }
}

impl BatchEnv {
    /// The store file (in the env's temporary folder), for the CLI.
    pub fn store_path(&self) -> std::path::PathBuf {
        self._dir.path().join("store.redb")
    }

    /// The env's temporary folder.
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn policy(&self, key: &str, value: Value) {
        policy::set_value(&self.store, ADMIN, key, value, Some("test")).unwrap();
    }

    /// A run of schema `s` over the document, naming the offline provider (no key needed)
    /// and this env's model; the batch session talks to the fake.
    pub fn create(&self) -> Run {
        worker::create_run(
            &self.store,
            &self.conv,
            "s",
            &CreateRunOptions {
                provider: Some("demo".into()),
                model: Some(self.model.into()),
                ..Default::default()
            },
        )
        .unwrap()
    }
}
