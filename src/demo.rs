//! The offline demo workspace: a sample contract, template schemas and runs on the `demo`
//! provider, so a newcomer sees the whole flow with no network and no API key. Everything it
//! produces is labelled as demo output.

use std::path::Path;

use crate::ingest::{ingest_path, IngestLimits};
use crate::model::{ProviderKind, Run};
use crate::schema;
use crate::store::Store;
use crate::worker::{self, CreateRunOptions, WorkerError};

/// META key marking a store as a demo workspace (so `demo` never wipes a real one).
pub const DEMO_MARK: &str = "workspace_kind";
const DEMO_VALUE: &[u8] = b"demo";

/// The sample document shipped with the program.
pub const SAMPLE_NAME: &str = "service_agreement.md";
pub const SAMPLE: &str = include_str!("../fixtures/demo/service_agreement.md");

/// Templates the demo applies, and the one its run uses.
pub const DEMO_TEMPLATES: [&str; 3] = ["clause_review", "classification", "summary_key_points"];
pub const DEMO_RUN_TEMPLATE: &str = "clause_review";

/// Whether `path` may be (re)created as a demo workspace: absent, or already a demo.
pub fn may_reset(path: &Path) -> Result<bool, WorkerError> {
    if !path.exists() {
        return Ok(true);
    }
    // A look at its mark is a read: never waits on a writer there, works on a read-only file.
    let store = Store::open_read_only(path)?;
    Ok(store.meta(DEMO_MARK)?.as_deref() == Some(DEMO_VALUE))
}

/// Fill a fresh store: sample document, template schemas, one run on the demo provider.
pub fn populate(store: &Store, samples_dir: &Path) -> Result<Run, WorkerError> {
    store.set_meta(DEMO_MARK, DEMO_VALUE)?;
    let admin = crate::policy::current_user();
    crate::policy::ensure_workspace_admin_as(store, &admin)?;
    std::fs::create_dir_all(samples_dir).map_err(|e| {
        WorkerError::Refused(format!("cannot create {}: {e}", samples_dir.display()))
    })?;
    let sample = samples_dir.join(SAMPLE_NAME);
    std::fs::write(&sample, SAMPLE)
        .map_err(|e| WorkerError::Refused(format!("cannot write {}: {e}", sample.display())))?;
    let doc = ingest_path(store, &sample, IngestLimits::default())
        .map_err(|e| WorkerError::Refused(e.to_string()))?
        .document;
    for id in DEMO_TEMPLATES {
        schema::apply_template(store, id, None, &admin)
            .map_err(|e| WorkerError::Refused(format!("template {id}: {e}")))?;
    }
    worker::create_run(
        store,
        &doc.conv_uid,
        DEMO_RUN_TEMPLATE,
        &CreateRunOptions {
            provider: Some(ProviderKind::Demo.as_str().into()),
            ..Default::default()
        },
    )
}
