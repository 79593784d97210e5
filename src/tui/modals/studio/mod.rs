//! The schema studio: the five ways to a new schema (SPEC §2) — templates, fork, the wizard,
//! import, the raw JSON editor — each ending at the one save screen ([`save::SaveForm`]), which
//! calls the workspace's save boundary and shows the outcome or the conflict.
//!
//! The studio takes raw keys (it is mostly text fields); each screen names its keys in a hint
//! line. Esc goes back one screen; Esc on the menu closes the studio.

mod describe;
mod fields;
mod gallery;
mod import;
mod json_editor;
mod save;
mod wizard;

use crate::tui::kit::TextInput;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, Paragraph, Wrap};
use ratatui::Frame;
use serde_json::Value;
use tui_textarea::{Input, Key};

use crate::model::Schema;
use crate::tui::kit::Action;
use crate::tui::kit::Effect;
use crate::tui::kit::{Component, Ctx, View};
use crate::tui::kit::{Hints, JobDone, JobFate, KeyMode, Modal, Output};
use crate::workspace::Workspace;

pub use describe::{
    AssistWith, Busy, Describe, Focus as DescribeFocus, PROVIDERS as DESCRIBE_PROVIDERS,
};
pub use gallery::Gallery;
pub use import::ImportForm;
pub use json_editor::JsonEditor;
pub use save::SaveForm;
pub use wizard::{Step, Wizard};

pub(crate) use crate::tui::kit::text::safe;

/// Where a draft came from: decides which save call is made.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    New,
    Template(String),
    /// A fork of this schema (id, ref); the original is never written.
    Fork {
        source_id: String,
        source_ref: String,
    },
}

/// The ways, in menu order: Describe first (issue 26), then the five of SPEC §2.
const WAYS: [(&str, &str); 6] = [
    (
        "d",
        "Describe · say what you want; a model proposes the fields",
    ),
    (
        "t",
        "Templates · a gallery of built-in schemas to start from",
    ),
    (
        "f",
        "Fork the selected schema (the original stays untouched)",
    ),
    ("w", "Wizard · intent, fields, prompt, preview, save"),
    ("i", "Import a JSON file"),
    ("e", "Raw JSON editor"),
];

pub enum Screen {
    Menu { cursor: usize },
    Describe(Box<Describe>),
    Gallery(Gallery),
    Import(Box<ImportForm>),
    Json(Box<JsonEditor>),
    Wizard(Box<Wizard>),
    Save(Box<SaveForm>),
}

pub struct Studio {
    pub screen: Screen,
    /// The schema selected in the pane when the studio opened (what "fork" forks).
    selected: Option<Schema>,
    /// The last problem or note to show under the screen.
    pub note: Option<String>,
    /// Opened straight on a screen (fork from the pane): leaving it closes the studio.
    close_on_back: bool,
}

/// What a screen's key handling asks of the studio.
pub enum Next {
    Stay,
    Go(Screen),
    /// Leave this screen (Esc): back to the menu.
    Back,
    /// Done: close the studio with these effects.
    Close(Vec<Effect>),
    /// Stay on this screen and run these effects (a job).
    Run(Vec<Effect>),
    /// Go to the save screen with this draft (`now`: try the save at once, ctrl-s / F2).
    Save {
        json: Value,
        origin: Origin,
        schema_ref: String,
        now: bool,
    },
}

impl Studio {
    /// `n` in the Schemas pane: the menu of the five ways.
    pub fn menu(selected: Option<&Schema>) -> Studio {
        Studio {
            screen: Screen::Menu { cursor: 0 },
            selected: selected.cloned(),
            note: None,
            close_on_back: false,
        }
    }

    /// `f` in the Schemas pane: straight to the save screen of a fork of `source`.
    pub fn fork(ws: &Workspace, source: &Schema) -> Result<Studio, String> {
        let mut s = Studio::menu(Some(source));
        s.screen = Screen::Save(Box::new(SaveForm::fork(ws, source)?));
        s.close_on_back = true;
        Ok(s)
    }

    fn choose(&mut self, way: usize, ws: &Workspace) -> Next {
        match way {
            0 => Next::Go(Screen::Describe(Box::new(Describe::new(ws)))),
            1 => match Gallery::new() {
                Ok(g) => Next::Go(Screen::Gallery(g)),
                Err(e) => self.fail(e),
            },
            2 => match &self.selected {
                Some(s) => match SaveForm::fork(ws, s) {
                    Ok(f) => Next::Go(Screen::Save(Box::new(f))),
                    Err(e) => self.fail(e),
                },
                None => self.fail("no schema is selected in the pane to fork".into()),
            },
            3 => Next::Go(Screen::Wizard(Box::new(Wizard::new(
                crate::workspace::WizardModel::new(""),
                Origin::New,
                String::new(),
            )))),
            4 => Next::Go(Screen::Import(Box::default())),
            _ => Next::Go(Screen::Json(Box::new(JsonEditor::new(
                "{\n  \"type\": \"object\",\n  \"properties\": {}\n}",
                Origin::New,
                String::new(),
            )))),
        }
    }

    fn fail(&mut self, e: String) -> Next {
        self.note = Some(e);
        Next::Stay
    }

    fn update_menu(&mut self, cursor: usize, action: Action, ws: &Workspace) -> Next {
        let pick = match action {
            Action::Cancel => {
                return Next::Close(vec![Effect::Info("closed the schema studio".into())])
            }
            Action::Submit => cursor,
            Action::Input(Input { key: Key::Down, .. })
            | Action::Input(Input {
                key: Key::Char('j'),
                ..
            }) => {
                self.screen = Screen::Menu {
                    cursor: (cursor + 1).min(WAYS.len() - 1),
                };
                return Next::Stay;
            }
            Action::Input(Input { key: Key::Up, .. })
            | Action::Input(Input {
                key: Key::Char('k'),
                ..
            }) => {
                self.screen = Screen::Menu {
                    cursor: cursor.saturating_sub(1),
                };
                return Next::Stay;
            }
            Action::Input(Input {
                key: Key::Char(c), ..
            }) => match WAYS.iter().position(|(k, _)| k.starts_with(c)) {
                Some(i) => i,
                None => return Next::Stay,
            },
            _ => return Next::Stay,
        };
        self.choose(pick, ws)
    }

    fn render_menu(&self, frame: &mut Frame, area: Rect, view: &View, cursor: usize) {
        let theme = view.theme;
        let items: Vec<ListItem> = WAYS
            .iter()
            .enumerate()
            .map(|(i, (k, label))| {
                let mark = if i == cursor { "›" } else { " " };
                let item = ListItem::new(format!("{mark}{k}  {label}"));
                if i == cursor {
                    item.style(theme.selection())
                } else {
                    item
                }
            })
            .collect();
        let [list, info] = split_rows(area, 8);
        frame.render_widget(
            List::new(items).block(boxed(view, "New schema · choose a way".into())),
            list,
        );
        let selected = match &self.selected {
            Some(s) => format!("selected in the pane: {}", safe(&s.schema_ref)),
            None => "no schema selected in the pane (fork needs one)".into(),
        };
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(selected, theme.fg("muted"))),
                Line::from(Span::styled(
                    "Every way ends at the same save: created, unchanged, or a conflict you \
                     resolve with a free ref.",
                    theme.fg("muted"),
                )),
            ])
            .wrap(Wrap { trim: false }),
            info,
        );
    }
}

impl Modal for Studio {
    /// Mostly text fields: it reads raw keys (shift-Tab as a shifted Tab).
    fn key_mode(&self) -> KeyMode {
        KeyMode::Raw
    }
    /// It draws its own hint line inside its screens.
    fn hints(&self) -> Hints {
        Hints::Own
    }
    /// A schema assistant answer: Describe opens the proposal in the wizard, the wizard shows
    /// a refinement's diff; a stale answer (an earlier, cancelled ask) is dropped.
    fn job_done(&mut self, done: JobDone) -> JobFate {
        let Ok(Output::Assist { ask, result }) = done.result else {
            return JobFate::Pass(done);
        };
        match &mut self.screen {
            Screen::Describe(d) => {
                if let Next::Go(screen) = d.done(ask, result) {
                    self.screen = screen;
                }
            }
            Screen::Wizard(w) => w.refine_done(ask, result),
            _ => {}
        }
        JobFate::Taken
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for Studio {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        // Enter arrives as `Submit`, Esc as `Cancel`; every other key as `Input`.
        self.note = None;
        // F1: the key help over the studio (on the modal stack; any key returns here intact).
        if let Action::Input(tui_textarea::Input {
            key: tui_textarea::Key::F(1),
            ..
        }) = action
        {
            return vec![Effect::Open(Box::new(super::help::Help::default()))];
        }
        let step = match &mut self.screen {
            Screen::Menu { cursor } => {
                let c = *cursor;
                self.update_menu(c, action, ctx.ws)
            }
            Screen::Describe(d) => d.update(action, ctx.ws),
            Screen::Gallery(g) => g.update(action, ctx.ws),
            Screen::Import(f) => f.update(action),
            Screen::Json(e) => e.update(action, ctx.ws),
            Screen::Wizard(w) => w.update(action, ctx.ws),
            Screen::Save(f) => f.update(action, ctx.ws),
        };
        match step {
            Next::Stay => Vec::new(),
            Next::Go(screen) => {
                self.screen = screen;
                Vec::new()
            }
            Next::Back if self.close_on_back => vec![
                Effect::Close,
                Effect::Info("closed; nothing was saved".into()),
            ],
            Next::Back => {
                self.screen = Screen::Menu { cursor: 0 };
                Vec::new()
            }
            Next::Save {
                json,
                origin,
                schema_ref,
                now,
            } => {
                let back = std::mem::replace(&mut self.screen, Screen::Menu { cursor: 0 });
                let mut form = SaveForm::draft(json, origin, &schema_ref, Some(back));
                if now {
                    if let Next::Close(mut fx) = form.save(ctx.ws) {
                        fx.insert(0, Effect::Close);
                        return fx;
                    }
                }
                self.screen = Screen::Save(Box::new(form));
                Vec::new()
            }
            Next::Close(mut fx) => {
                fx.insert(0, Effect::Close);
                fx
            }
            Next::Run(fx) => fx,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        frame.render_widget(Clear, area);
        let [body, note] = split_rows_bottom(area, u16::from(self.note.is_some()));
        match &self.screen {
            Screen::Menu { cursor } => self.render_menu(frame, body, view, *cursor),
            Screen::Describe(d) => d.render(frame, body, view),
            Screen::Gallery(g) => g.render(frame, body, view),
            Screen::Import(f) => f.render(frame, body, view),
            Screen::Json(e) => e.render(frame, body, view),
            Screen::Wizard(w) => w.render(frame, body, view),
            Screen::Save(f) => f.render(frame, body, view),
        }
        if let Some(n) = &self.note {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(n), view.theme.fg("error"))),
                note,
            );
        }
    }
}

/// A bordered block with a title in the theme's style.
pub(crate) fn boxed(view: &View, title: String) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(view.theme.border())
        .title(Span::styled(format!(" {title} "), view.theme.title()))
}

/// `area` split into the top `rows` rows and the rest.
pub(crate) fn split_rows(area: Rect, rows: u16) -> [Rect; 2] {
    let top = rows.min(area.height);
    [
        Rect {
            height: top,
            ..area
        },
        Rect {
            y: area.y + top,
            height: area.height - top,
            ..area
        },
    ]
}

/// `area` split into the rest and the bottom `rows` rows.
pub(crate) fn split_rows_bottom(area: Rect, rows: u16) -> [Rect; 2] {
    let [a, b] = split_rows(area, area.height.saturating_sub(rows));
    [a, b]
}

/// A hint line in the muted style.
pub(crate) fn hint(frame: &mut Frame, area: Rect, view: &View, text: &str) {
    frame.render_widget(
        Paragraph::new(Span::styled(text.to_string(), view.theme.fg("muted")))
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// A one-line text field holding `text`, cursor at the end (the one text-input widget).
pub(crate) fn line_field(text: &str) -> TextInput {
    TextInput::line(text)
}

/// The key as a character when no modifier but shift is held.
pub(crate) fn plain_char(input: &Input) -> Option<char> {
    match input.key {
        Key::Char(c) if !input.ctrl && !input.alt => Some(c),
        _ => None,
    }
}

/// ctrl-s or F2: save.
pub(crate) fn is_save(input: &Input) -> bool {
    matches!(input.key, Key::Char('s') if input.ctrl) || input.key == Key::F(2)
}

/// F3: switch between the wizard and the JSON editor.
pub(crate) fn is_switch(input: &Input) -> bool {
    input.key == Key::F(3)
}

/// Pretty JSON for the editor and previews.
pub(crate) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}
