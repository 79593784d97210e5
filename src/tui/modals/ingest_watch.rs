//! A folder ingest in progress: the folder, files done of files found, and how to stop. Esc
//! asks the job to stop between files (every finished file stays ingested, none is left half
//! written); the dialog closes when the job reports, and the summary line goes to the status bar.

use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::kit::draw::centered;
use crate::tui::kit::job::IngestProgress;
use crate::tui::kit::text::cut_to_width;
use crate::tui::kit::{Action, Component, Ctx, Effect, View};
use crate::tui::kit::{Hints, JobDone, JobFate, JobKind, KeyMode, Modal};

pub struct IngestWatch {
    pub path: PathBuf,
    pub progress: Arc<IngestProgress>,
}

impl IngestWatch {
    pub fn new(path: PathBuf, progress: Arc<IngestProgress>) -> IngestWatch {
        IngestWatch { path, progress }
    }

    /// `[#####.....]` of files done.
    fn bar(&self, width: usize) -> String {
        let (done, total) = (
            self.progress.done.load(Relaxed),
            self.progress.total.load(Relaxed),
        );
        let filled = (done * width) / total.max(1);
        format!(
            "[{}{}]",
            "#".repeat(filled.min(width)),
            ".".repeat(width - filled.min(width))
        )
    }
}

impl Modal for IngestWatch {
    fn key_mode(&self) -> KeyMode {
        KeyMode::Bound
    }
    fn hints(&self) -> Hints {
        Hints::Line(" esc stops after the files in progress (finished files stay ingested)")
    }
    /// Its ingest reported: close, and let the app show the summary line.
    fn job_done(&mut self, done: JobDone) -> JobFate {
        if done.kind == JobKind::Ingest {
            JobFate::Close(done)
        } else {
            JobFate::Pass(done)
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for IngestWatch {
    fn update(&mut self, action: Action, _ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::Cancel => {
                self.progress.stop.store(true, Relaxed);
                vec![Effect::Info(
                    "stopping the ingest after the files in progress".into(),
                )]
            }
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let rect = centered(area, 64.min(area.width), 6.min(area.height));
        frame.render_widget(Clear, rect);
        let inner = rect.width.saturating_sub(2) as usize;
        let path = crate::model::sanitize_line(&self.path.display().to_string()).into_owned();
        let lines = vec![
            Line::from(Span::raw(cut_to_width(&path, inner))),
            Line::from(vec![
                Span::styled(self.bar(20), theme.fg("claimed")),
                Span::raw(format!(" {}", self.progress.describe())),
            ]),
            Line::from(Span::styled(
                "esc stops; finished files stay ingested",
                theme.fg("muted"),
            )),
        ];
        let p = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border())
                .title(Span::styled(" Ingesting a folder ", theme.title())),
        );
        frame.render_widget(p, rect);
    }
}
