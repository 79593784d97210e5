//! Files and folders in one go (issue 22 item 2): walk, parse on every core, write in batches,
//! join a project in path order, and count what happened for the summary line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::projects::validate_project_ref;
use super::{Error, ProjectError, Workspace};
use crate::ingest::{FileDone, FileOutcome, IngestLimits, ManyOptions, SkipKind, Walk};
use crate::model::{MembershipChange, Project};

pub use crate::ingest::{Glob, Skipped, WalkOptions};

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct IngestRequest<'a> {
    pub paths: &'a [PathBuf],
    pub walk: WalkOptions,
    /// Every ingested or unchanged document joins this project (created if needed).
    pub project: Option<&'a str>,
    pub limits: IngestLimits,
    /// Parser threads (default: every core).
    pub threads: Option<usize>,
    /// Set by a Ctrl-C handler: finish the files being parsed, start no new one.
    pub interrupt: Option<&'a AtomicBool>,
}

/// What the caller hears while an ingest runs.
pub enum IngestEvent<'a> {
    /// The walk is done: what will be ingested, what was left out and why.
    Walked(&'a Walk),
    /// One file is finished (durable when ingested), in path order; `done` of `total`.
    File {
        file: &'a FileDone,
        done: usize,
        total: usize,
    },
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default)]
pub struct IngestSummary {
    pub ingested: usize,
    pub unchanged: usize,
    pub skipped: BTreeMap<SkipKind, usize>,
    pub refused: usize,
    /// Files never started because of an interrupt.
    pub not_started: usize,
    pub interrupted: bool,
    /// What joining the project did.
    pub joined: Option<MembershipChange>,
    /// Write transactions the documents took (batched: far fewer than files).
    pub commits: usize,
}

impl IngestSummary {
    /// `ingested 380 · unchanged 10 · skipped 7 (unknown type) · refused 3 (see above)`.
    pub fn line(&self) -> String {
        let mut parts = vec![
            format!("ingested {}", self.ingested),
            format!("unchanged {}", self.unchanged),
        ];
        let skipped: usize = self.skipped.values().sum();
        if skipped > 0 {
            let kinds: Vec<String> = if self.skipped.len() == 1 {
                self.skipped.keys().map(|k| k.label().to_string()).collect()
            } else {
                self.skipped
                    .iter()
                    .map(|(k, n)| format!("{n} {}", k.label()))
                    .collect()
            };
            parts.push(format!("skipped {skipped} ({})", kinds.join(", ")));
        }
        if self.refused > 0 {
            parts.push(format!("refused {} (see above)", self.refused));
        }
        if self.interrupted {
            parts.push(format!("interrupted: {} not started", self.not_started));
        }
        parts.join(" · ")
    }
}

impl Workspace {
    /// Ingest files and folders. Bad files are reported through `on_event` and counted; the
    /// rest go in. An error is returned only for a bad project ref or a store failure (batches
    /// committed before it stay).
    pub fn ingest_paths(
        &self,
        req: &IngestRequest<'_>,
        mut on_event: impl FnMut(IngestEvent<'_>),
    ) -> Result<IngestSummary, Error> {
        if let Some(p) = req.project {
            validate_project_ref(p)?;
        }
        let walk = crate::ingest::walk(req.paths, &req.walk);
        on_event(IngestEvent::Walked(&walk));
        let mut summary = IngestSummary {
            refused: walk.refused.len(),
            ..Default::default()
        };
        for s in &walk.skipped {
            *summary.skipped.entry(s.kind).or_default() += 1;
        }
        let opts = ManyOptions {
            limits: req.limits,
            threads: req.threads.unwrap_or_else(crate::ingest::default_threads),
            interrupt: req.interrupt,
        };
        let total = walk.files.len();
        let mut members = Vec::new();
        let mut done = 0;
        summary.commits = crate::ingest::ingest_many(&self.store, &walk.files, opts, |file| {
            done += 1;
            match &file.outcome {
                FileOutcome::Created(d) => {
                    summary.ingested += 1;
                    members.push(d.conv_uid.clone());
                }
                FileOutcome::Unchanged(d) => {
                    summary.unchanged += 1;
                    members.push(d.conv_uid.clone());
                }
                FileOutcome::Refused(_) => summary.refused += 1,
            }
            on_event(IngestEvent::File {
                file: &file,
                done,
                total,
            });
        })
        .map_err(ProjectError::from)?;
        summary.not_started = total - done;
        summary.interrupted = req.interrupt.is_some_and(|f| f.load(Ordering::SeqCst));
        if let (Some(project_ref), false) = (req.project, members.is_empty()) {
            summary.joined = Some(self.join_project(project_ref, &members)?);
        }
        Ok(summary)
    }

    /// Add documents to a project in order, creating the project when it does not exist yet.
    fn join_project(
        &self,
        project_ref: &str,
        conv_uids: &[String],
    ) -> Result<MembershipChange, ProjectError> {
        let fresh = Project {
            project_ref: project_ref.to_string(),
            description: None,
            created_at: crate::clock::now_rfc3339(),
            member_count: 0,
            next_position: 0,
        };
        Ok(self.store.join_project(&fresh, conv_uids)?)
    }
}

/// How a refused file or folder is named: path and reason.
pub fn refused_line(path: &Path, reason: &str) -> String {
    format!("{}: {reason}", path.display())
}
