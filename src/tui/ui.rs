//! Drawing: reads `&App`, never changes it.

use ratatui::layout::{Constraint, Direction, Layout};
use ratatui::Frame;

use super::app::{App, Modal, Pane};
use super::{grid, policy, runs, schemas, widgets};

pub fn draw(frame: &mut Frame, app: &App) {
    let [top, main, bottom] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(frame.area());
    widgets::tabs(frame, top, app);
    match app.pane {
        Pane::Runs => {
            let working: Vec<String> = app.workers.keys().cloned().collect();
            runs::render(frame, main, &app.runs, &app.theme, &working)
        }
        Pane::Grid => {
            let demo = app
                .grid
                .run
                .as_ref()
                .is_some_and(|r| r.model_config.is_demo());
            grid::render(frame, main, &app.grid, &app.theme, demo)
        }
        Pane::Schemas => schemas::render(frame, main, &app.schemas, &app.theme),
        Pane::Policy => policy::render(frame, main, &app.policy, &app.theme, &app.user),
    }
    widgets::status_bar(frame, bottom, app);
    match &app.modal {
        Modal::None => {}
        Modal::Help => widgets::help(frame, main, app),
        Modal::Prompt(p) => widgets::prompt(frame, main, app, p),
        Modal::Picker(p) => widgets::picker(frame, main, app, p),
    }
}
