//! Library jobs: ingest a folder with progress (as `blockwise ingest -r` does, with its summary
//! line), create a project, add documents to one.

use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;

use super::{err, text};
use crate::tui::kit::job::IngestProgress;
use crate::tui::kit::Output;
use crate::workspace::{
    refused_line, FileOutcome, IngestEvent, IngestRequest, WalkOptions, Workspace,
};

/// Every file under `path` that Blockwise reads; bad ones are counted and the first is named.
pub(super) fn ingest_folder(
    ws: &Workspace,
    path: &Path,
    progress: &IngestProgress,
) -> Result<Output, String> {
    let paths = [path.to_path_buf()];
    let req = IngestRequest {
        paths: &paths,
        walk: WalkOptions {
            recursive: true,
            ..WalkOptions::default()
        },
        project: None,
        limits: ws.ingest_limits().map_err(|e| err(&e))?,
        threads: None,
        interrupt: Some(&progress.stop),
    };
    let (mut last, mut first_refusal) = (None, None);
    let summary = ws
        .ingest_paths(&req, |ev| match ev {
            IngestEvent::Walked(walk) => {
                progress.total.store(walk.files.len(), Relaxed);
                progress.walked.store(true, Relaxed);
                if let Some((p, why)) = walk.refused.first() {
                    first_refusal.get_or_insert_with(|| refused_line(p, why));
                }
            }
            IngestEvent::File { file, done, .. } => {
                progress.done.store(done, Relaxed);
                match &file.outcome {
                    FileOutcome::Created(d) | FileOutcome::Unchanged(d) => {
                        last = Some(d.conv_uid.clone())
                    }
                    FileOutcome::Refused(why) => {
                        first_refusal.get_or_insert_with(|| refused_line(&file.path, why));
                    }
                }
            }
        })
        .map_err(|e| err(&e))?;
    // The CLI's summary line; its "(see above)" is the first refusal here (one status row).
    let mut message = summary.line().replace(" (see above)", "");
    if let Some(first) = first_refusal {
        message.push_str(&format!(" · first refused: {first}"));
    }
    Ok(Output::Ingested {
        conv_uid: last,
        message: crate::model::sanitize_line(&message).into_owned(),
    })
}

pub(super) fn create_project(ws: &Workspace, project_ref: &str) -> Result<Output, String> {
    let p = ws.create_project(project_ref, None).map_err(|e| err(&e))?;
    text(format!(
        "created project {}; space selects documents, a adds them to it",
        p.project_ref
    ))
}

pub(super) fn add_to_project(
    ws: &Workspace,
    project_ref: &str,
    docs: &[String],
) -> Result<Output, String> {
    let change = ws.add_to_project(project_ref, docs).map_err(|e| err(&e))?;
    text(format!(
        "project {project_ref}: {} document(s) added, {} already in it; n on the project creates a \
         run group",
        change.changed.len(),
        change.unchanged.len()
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering::SeqCst;
    use std::sync::Arc;

    use super::*;
    use crate::store::Store;

    #[test]
    fn a_stopped_folder_ingest_starts_no_new_file_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(Arc::new(Store::open(&dir.path().join("s.redb")).unwrap()));
        let folder = dir.path().join("many");
        std::fs::create_dir_all(&folder).unwrap();
        for i in 0..6 {
            std::fs::write(folder.join(format!("f{i}.md")), format!("File {i}.\n")).unwrap();
        }
        // Esc in the progress dialog sets this switch; set before the job starts, no file starts.
        let progress = IngestProgress::default();
        progress.stop.store(true, SeqCst);
        let Output::Ingested { message, conv_uid } =
            ingest_folder(&ws, &folder, &progress).unwrap()
        else {
            panic!("an ingest summary");
        };
        assert!(message.contains("interrupted: 6 not started"), "{message}");
        assert_eq!(conv_uid, None);
        assert_eq!(progress.total.load(SeqCst), 6);
        assert!(progress.describe().contains("stopping"));
        assert!(
            ws.list_documents().unwrap().is_empty(),
            "nothing half-ingested"
        );
        // Not stopped: every file, counted as the CLI counts them.
        let progress = IngestProgress::default();
        let Output::Ingested { message, .. } = ingest_folder(&ws, &folder, &progress).unwrap()
        else {
            panic!("an ingest summary");
        };
        assert_eq!(message, "ingested 6 · unchanged 0");
        assert_eq!(progress.describe(), "6/6 files");
    }
}
