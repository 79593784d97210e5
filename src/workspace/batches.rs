//! Provider batches of runs, for `run status`, `run cancel` and the Runs pane.

use super::Workspace;
use crate::model::BatchRecord;
use crate::store::StoreError;

impl Workspace {
    /// Every batch of these runs (a run, or a group's members), oldest first.
    pub fn batches(&self, run_ids: &[String]) -> Result<Vec<BatchRecord>, StoreError> {
        self.store.batches_of_runs(run_ids)
    }

    /// Whether the provider may still hold work of these runs.
    pub fn has_open_batches(&self, run_ids: &[String]) -> Result<bool, StoreError> {
        crate::worker::batch::has_open_batches(&self.store, run_ids)
    }

    /// One line per run that has batches, and per group whose members have batches (keyed by
    /// the group id): the first line of [`batch_summary`] plus the next poll of its newest open
    /// batch (the Runs pane's batch progress).
    pub fn batch_lines(&self) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let all = self.store.all_batches()?;
        let mut by_run: std::collections::HashMap<String, Vec<BatchRecord>> = Default::default();
        for b in &all {
            for r in &b.run_ids {
                by_run.entry(r.clone()).or_default().push(b.clone());
            }
        }
        let mut lines: std::collections::HashMap<String, String> = by_run
            .into_iter()
            .filter_map(|(run, list)| Some((run, batch_line(&list)?)))
            .collect();
        if all.is_empty() {
            return Ok(lines);
        }
        for g in self.store.list_groups()? {
            let members: Vec<BatchRecord> = all
                .iter()
                .filter(|b| b.run_ids.iter().any(|r| g.run_ids.contains(r)))
                .cloned()
                .collect();
            if let Some(line) = batch_line(&members) {
                lines.insert(g.group_id, line);
            }
        }
        Ok(lines)
    }
}

/// The Runs pane's one batch line for these batches: `None` when there are none.
fn batch_line(list: &[BatchRecord]) -> Option<String> {
    let mut line = batch_summary(list)?.into_iter().next()?;
    if let Some(at) = list
        .iter()
        .rev()
        .find(|b| b.state.is_open())
        .and_then(|b| b.next_poll_at.as_deref())
    {
        line.push_str(&format!(" · next poll {at}"));
    }
    Some(line)
}

/// Batches by state and their requests by outcome, for people: `None` when there are none.
pub fn batch_summary(batches: &[BatchRecord]) -> Option<Vec<String>> {
    if batches.is_empty() {
        return None;
    }
    let open = batches.iter().filter(|b| b.state.is_open()).count();
    let mut c = crate::model::BatchCounts::default();
    for b in batches {
        c.processing += b.counts.processing;
        c.succeeded += b.counts.succeeded;
        c.errored += b.counts.errored;
        c.canceled += b.counts.canceled;
        c.expired += b.counts.expired;
    }
    let mut lines = vec![format!(
        "{open} open, {} ended; requests {} processing, {} succeeded, {} errored, {} expired, {} canceled",
        batches.len() - open,
        c.processing,
        c.succeeded,
        c.errored,
        c.expired,
        c.canceled
    )];
    for b in batches {
        let id = b.provider_batch_id.as_deref().unwrap_or(&b.key);
        let mut line = format!(
            "{}  {}  {} requests  submitted {}",
            crate::model::one_line(id, 40),
            b.state.as_str(),
            b.requests,
            b.submitted_at.as_deref().unwrap_or("-")
        );
        if b.state.is_open() {
            if let Some(at) = &b.next_poll_at {
                line.push_str(&format!("  next poll {at}"));
            }
        }
        if let Some(at) = &b.results_expire_at {
            line.push_str(&format!("  results until {at}"));
        }
        let j = b.join;
        if j.unknown + j.duplicate + j.malformed + j.missing > 0 {
            line.push_str(&format!(
                "  ignored lines: {} unknown, {} duplicate, {} malformed; {} requests without a line",
                j.unknown, j.duplicate, j.malformed, j.missing
            ));
        }
        if let Some(m) = &b.message {
            line.push_str(&format!(" — {}", crate::model::one_line(m, 240)));
        }
        lines.push(line);
    }
    Some(lines)
}
