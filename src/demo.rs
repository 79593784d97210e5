//! The offline demo workspace: a sample contract, template schemas and runs on the `demo`
//! provider, so a newcomer sees the whole flow with no network and no API key. Everything it
//! produces is labelled as demo output.

use std::path::Path;

use crate::ingest::{ingest_path, IngestLimits};
use crate::model::{ProviderKind, Run};
use crate::schema;
use crate::store::Store;
use crate::worker::{self, CreateRunOptions, WorkerError};

pub use crate::demo_guard::{inspect, DemoRecord, DemoStore, DEMO_MARK};
use crate::demo_guard::{DEMO_RECORD, DEMO_VALUE};

/// The sample document shipped with the program.
pub const SAMPLE_NAME: &str = "service_agreement.md";
pub const SAMPLE: &str = include_str!("../fixtures/demo/service_agreement.md");

/// Templates the demo applies, and the one its run uses.
pub const DEMO_TEMPLATES: [&str; 3] = ["clause_review", "classification", "summary_key_points"];
pub const DEMO_RUN_TEMPLATE: &str = "clause_review";

/// Fill a fresh store: sample document, template schemas, one run on the demo provider.
pub fn populate(store: &Store, samples_dir: &Path) -> Result<Run, WorkerError> {
    store.set_meta(DEMO_MARK, DEMO_VALUE)?;
    let admin = crate::policy::current_user();
    crate::policy::ensure_workspace_admin_as(store, &admin)?;
    std::fs::create_dir_all(samples_dir).map_err(|e| {
        WorkerError::Refused(format!("cannot create {}: {e}", samples_dir.display()))
    })?;
    let sample = samples_dir.join(SAMPLE_NAME);
    if let Some(why) = sample_in_the_way(samples_dir) {
        return Err(WorkerError::Refused(why));
    }
    if !sample.exists() {
        std::fs::write(&sample, SAMPLE)
            .map_err(|e| WorkerError::Refused(format!("cannot write {}: {e}", sample.display())))?;
    }
    let doc = ingest_path(store, &sample, IngestLimits::default())
        .map_err(|e| WorkerError::Refused(e.to_string()))?
        .document;
    let mut schema_ids = Vec::new();
    for id in DEMO_TEMPLATES {
        let saved = schema::apply_template(store, id, None, &admin)
            .map_err(|e| WorkerError::Refused(format!("template {id}: {e}")))?;
        schema_ids.push(saved.schema().schema_id.clone());
    }
    let run = worker::create_run(
        store,
        &doc.conv_uid,
        DEMO_RUN_TEMPLATE,
        &CreateRunOptions {
            provider: Some(ProviderKind::Demo.as_str().into()),
            ..Default::default()
        },
    )?;
    let record = DemoRecord {
        conv_uid: doc.conv_uid,
        schema_ids,
        run_id: run.run_id.clone(),
    };
    let bytes = serde_json::to_vec(&record).map_err(|e| WorkerError::Refused(e.to_string()))?;
    store.set_meta(DEMO_RECORD, &bytes)?;
    Ok(run)
}

/// Why the sample cannot be written into `samples_dir`: a file of its name that is not the
/// demo's sample (the user's, never written over) or not a plain file.
pub fn sample_in_the_way(samples_dir: &Path) -> Option<String> {
    let sample = samples_dir.join(SAMPLE_NAME);
    let meta = std::fs::symlink_metadata(&sample).ok()?;
    let same = meta.is_file() && std::fs::read(&sample).is_ok_and(|b| b == SAMPLE.as_bytes());
    (!same).then(|| {
        format!(
            "{} exists and is not the demo's sample: refusing to write over it (move it, or \
             pass another --store folder)",
            sample.display()
        )
    })
}
