//! The schema assistant job: one suggest / refine request, run to the end on its own
//! current-thread runtime on a scoped thread (so it works from the blocking pool and inline in
//! headless tests alike), cancelled by its flag.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::model::sanitize_line;
use crate::tui::kit::Output;
use crate::workspace::{AssistTask, Workspace};

pub(super) fn assist(
    ws: &Workspace,
    ask: u64,
    task: AssistTask,
    (provider, model): (&str, Option<&str>),
    cancel: Arc<AtomicBool>,
) -> Result<Output, String> {
    let answer = std::thread::scope(|s| {
        s.spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))?;
            runtime
                .block_on(ws.assist(task, provider, model, Some(cancel)))
                .map_err(|e| sanitize_line(&e.message).into_owned())
        })
        .join()
        .unwrap_or_else(|_| Err("the schema assistant call panicked".into()))
    });
    Ok(Output::Assist {
        ask,
        result: answer.map(Box::new),
    })
}
