//! The byte-flip sweep of issue 20 (shared by `tests/damage.rs` and
//! `examples/byte_flip.rs`): a populated store (ingest, a run on the offline demo provider,
//! some confirmed blocks, an edit, a policy change), then one flipped byte at a time on a copy,
//! read back by `check`, an export and `run status`/`docs` through the library the CLI calls.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use blockwise::export::{self, Format, Mode};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::review::{self, Selection, Target};
use blockwise::schema::{self, SaveRequest};
use blockwise::store::{guard, Store, StoreError};
use blockwise::worker::{self, CreateRunOptions, EngineOptions};
use serde_json::json;

pub const ADMIN: &str = "tester";

pub struct Populated {
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
    pub conv: String,
    pub run_id: String,
}

/// A store with one document of `blocks` paragraphs and a finished demo run over it.
pub fn populate(blocks: usize) -> Populated {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.redb");
    let store = Arc::new(Store::open(&path).unwrap());
    blockwise::policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let doc = dir.path().join("doc.md");
    let text: String = (0..blocks)
        .map(|i| format!("Paragraph {i} says something plain and a little longer.\n\n"))
        .collect();
    std::fs::write(&doc, text).unwrap();
    let conv = ingest_path(&store, &doc, IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    let schema = json!({"type": "object", "properties": {"label": {"type": "string"}}});
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), ADMIN)).unwrap();
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    let run = worker::create_run(&store, &conv, "s", &opts).unwrap();
    let provider = Arc::new(worker::connect_provider(&store, &run).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_stop, rx) = tokio::sync::watch::channel(false);
    let engine = EngineOptions::default();
    rt.block_on(worker::run_worker(
        store.clone(),
        provider,
        &run.run_id,
        engine,
        None,
        rx,
    ))
    .unwrap();
    let some = Target::Blocks(Selection::range(0, (blocks as u32 / 3).max(1)));
    review::confirm(&store, &run.run_id, &some, ADMIN).unwrap();
    let last = blocks as u32 - 1;
    review::edit(&store, &run.run_id, last, "label", "edited by hand", ADMIN).unwrap();
    blockwise::policy::set_value(&store, ADMIN, "worker.max_retries", json!(2), Some("t")).unwrap();
    Populated {
        dir,
        store: path,
        conv,
        run_id: run.run_id,
    }
}

/// What the read commands show of a store: `Ok(text)` or `Err(message)`.
pub struct Reads {
    pub check: Result<String, String>,
    pub export: Result<Vec<u8>, String>,
    pub status: Result<String, String>,
}

/// `check`, a JSONL export of both modes and `run status` + `docs`, each as the CLI runs it
/// (inside [`guard::catch_damage`]); a panic that escapes is `Err("PANIC ...")`.
pub fn read_all(store: &Path, run_id: &str) -> Reads {
    let guarded = |f: &dyn Fn() -> Result<String, String>| match std::panic::catch_unwind(
        std::panic::AssertUnwindSafe(f),
    ) {
        Ok(r) => r,
        Err(_) => Err("PANIC".to_string()),
    };
    let check = guarded(&|| {
        guard::catch_damage(|| {
            let s = Store::open_read_only(store)?;
            let r = s.check()?;
            Ok::<_, StoreError>(format!("{:?}", r.damage))
        })
        .map_err(|e| e.to_string())
        .and_then(|d| if d == "[]" { Ok(d) } else { Err(d) })
    });
    // The open is inside the guard too, as in the CLI (its whole dispatch is guarded): a flip
    // in the META page panics redb while the format version is read.
    let export = guarded(&|| {
        let mut out = Vec::new();
        guard::catch_damage(|| {
            let s = Store::open_read_only(store)?;
            export::export_to_writer(&s, run_id, Format::Jsonl, Mode::Both, &mut out, "-")
        })
        .map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    })
    .map(String::into_bytes);
    let status = guarded(&|| {
        guard::catch_damage(|| {
            let s = Store::open_read_only(store)?;
            let run = s.get_run(run_id)?;
            let docs = s.list_documents()?;
            Ok::<_, StoreError>(format!("{run:?}{docs:?}"))
        })
        .map_err(|e| e.to_string())
    });
    Reads {
        check,
        export,
        status,
    }
}

#[derive(Debug, Default)]
pub struct Counts {
    pub flips: u64,
    /// Every read gave the same output as the undamaged store.
    pub no_effect: u64,
    /// `check` reported damage (or refused to open the store).
    pub reported: u64,
    /// A panic escaped a read.
    pub panics: u64,
    /// An export succeeded with other data than the undamaged store's.
    pub silent_export: u64,
    /// Another read changed while `check` said nothing.
    pub silent_other: u64,
    /// `check` said nothing but a read refused with an error (reported by that command only).
    pub read_only: u64,
    pub first_silent: Vec<usize>,
}

/// Flip every `every`-th byte (xor 0x5a), one at a time, on a copy of the store.
pub fn sweep(p: &Populated, every: usize) -> Counts {
    sweep_limited(p, every, usize::MAX)
}

/// [`sweep`], stopping after `max` flips.
pub fn sweep_limited(p: &Populated, every: usize, max: usize) -> Counts {
    let base = read_all(&p.store, &p.run_id);
    assert!(base.check.is_ok(), "undamaged store: {:?}", base.check);
    let clean = std::fs::read(&p.store).unwrap();
    let copy = p.dir.path().join("flipped.redb");
    let mut c = Counts::default();
    for at in (0..clean.len()).step_by(every).take(max) {
        let mut bytes = clean.clone();
        bytes[at] ^= 0x5a;
        std::fs::write(&copy, &bytes).unwrap();
        let r = read_all(&copy, &p.run_id);
        c.flips += 1;
        let panicked = [&r.check, &r.status]
            .iter()
            .any(|x| matches!(x, Err(m) if m == "PANIC"))
            || matches!(&r.export, Err(m) if m == "PANIC");
        if panicked {
            c.panics += 1;
            continue;
        }
        let same = r.export == base.export && r.status == base.status && r.check.is_ok();
        if same {
            c.no_effect += 1;
            continue;
        }
        if r.check.is_err() {
            c.reported += 1;
        } else if r.export.is_ok() && r.export != base.export {
            c.silent_export += 1;
            c.first_silent.push(at);
        } else if r.status.is_ok() && r.status != base.status {
            c.silent_other += 1;
            c.first_silent.push(at);
        } else {
            // check passed, every read that changed refused with an error: reported by the
            // command that read it, not by `check` (issue 20 wants both).
            c.read_only += 1;
            c.first_silent.push(at);
        }
    }
    c
}
