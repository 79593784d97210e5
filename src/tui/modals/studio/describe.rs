//! Describe, the studio's first step (issue 26): say in plain words what each block should
//! give, optionally pick a Library document to sample, pick the provider and model, see what
//! the call costs before it is sent, then send it. The checked proposal opens in the wizard;
//! a long call shows a spinner with the elapsed time and Esc cancels it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use serde_json::Value;
use tui_textarea::{Input, Key};

use super::{boxed, safe, split_rows, split_rows_bottom, Next, Origin, Screen, Wizard};
use crate::tui::kit::{Action, Effect, Job, Reply, TextInput, View};
use crate::workspace::schema_suggest::DEFAULT_SAMPLE_BLOCKS;
use crate::workspace::{
    format_cost, AssistEstimate, AssistOutcome, AssistTask, WizardModel, Workspace,
};

/// Providers in the order `←` / `→` cycles them; the offline demo first.
pub const PROVIDERS: [&str; 5] = ["demo", "anthropic", "openai", "google", "custom"];

/// Tells the answer to the latest request from a stale one, across every studio.
static NEXT_ASK: AtomicU64 = AtomicU64::new(1);

pub fn next_ask() -> u64 {
    NEXT_ASK.fetch_add(1, Ordering::Relaxed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Intent,
    Document,
    Provider,
    Model,
}

const FOCUS: [Focus; 4] = [
    Focus::Intent,
    Focus::Document,
    Focus::Provider,
    Focus::Model,
];

/// A call in flight: what it was, since when, and its cancel switch.
pub struct Busy {
    pub ask: u64,
    pub since: Instant,
    pub cancel: Arc<AtomicBool>,
    pub what: String,
}

impl Busy {
    /// `⠹ asking anthropic claude-… · 3.4 s · Esc cancels`.
    pub fn line(&self) -> String {
        const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        let ms = self.since.elapsed().as_millis();
        let spin = FRAMES[(ms / 100) as usize % FRAMES.len()];
        let state = if self.cancel.load(Ordering::Relaxed) {
            "cancelling…"
        } else {
            "Esc cancels"
        };
        format!(
            "{spin} {} · {:.1} s · {state}",
            self.what,
            ms as f64 / 1000.0
        )
    }
}

/// The provider / model the proposal came from, which the wizard's `r` asks again.
#[derive(Debug, Clone, PartialEq)]
pub struct AssistWith {
    pub provider: String,
    pub model: Option<String>,
}

pub struct Describe {
    pub intent: TextInput,
    pub focus: Focus,
    /// (conv_uid, title, blocks) of the Library's documents.
    docs: Vec<(String, String, u64)>,
    /// 0: no document; `i`: `docs[i - 1]`.
    pub doc: usize,
    pub provider: usize,
    pub model: TextInput,
    /// The request without its intent, for the document chosen (samples read once per choice).
    request: Option<Value>,
    pub estimate: Option<AssistEstimate>,
    pub busy: Option<Busy>,
    pub error: Option<String>,
    armed: bool,
}

impl Describe {
    pub fn new(ws: &Workspace) -> Describe {
        let docs = ws
            .list_documents()
            .map(|d| {
                d.into_iter()
                    .map(|d| (d.conv_uid, d.title, u64::from(d.total_blocks)))
                    .collect()
            })
            .unwrap_or_default();
        let mut d = Describe {
            intent: TextInput::lines(""),
            focus: Focus::Intent,
            doc: usize::from(!Vec::is_empty(&docs)),
            docs,
            provider: 0,
            model: TextInput::line(""),
            request: None,
            estimate: None,
            busy: None,
            error: None,
            armed: false,
        };
        d.refresh(ws);
        d
    }

    pub fn provider(&self) -> &'static str {
        PROVIDERS[self.provider % PROVIDERS.len()]
    }

    /// The model typed, if any (the offline demo has none, so it is not sent there).
    fn model_text(&self) -> Option<String> {
        Some(self.model.text().trim().to_string())
            .filter(|m| !m.is_empty() && self.provider() != "demo")
    }

    fn conv_uid(&self) -> Option<String> {
        self.doc
            .checked_sub(1)
            .and_then(|i| self.docs.get(i))
            .map(|d| d.0.clone())
    }

    /// The task as it would be sent now.
    fn task(&self) -> AssistTask {
        let mut request = self.request.clone().unwrap_or(Value::Null);
        request["intent"] = Value::from(self.intent.text().trim());
        AssistTask::Suggest {
            request,
            conv_uid: self.conv_uid(),
        }
    }

    /// Re-read the samples (when the document changed) and the cost of the call.
    fn refresh(&mut self, ws: &Workspace) {
        if self.request.is_none() {
            let uid = self.conv_uid();
            match ws.suggest_request(uid.as_deref(), "", DEFAULT_SAMPLE_BLOCKS) {
                Ok(r) => self.request = Some(r),
                Err(e) => self.error = Some(format!("cannot sample the document: {e}")),
            }
        }
        let task = self.task();
        let model = self.model_text();
        self.estimate = Some(ws.assist_estimate(&task, self.provider(), model.as_deref()));
    }

    fn send(&mut self) -> Next {
        if self.intent.text().trim().is_empty() {
            self.error = Some("say what each block should give first (the intent is empty)".into());
            return Next::Stay;
        }
        let ask = next_ask();
        let cancel = Arc::new(AtomicBool::new(false));
        let model = self.model_text();
        let what = match &model {
            Some(m) => format!("asking {} {}", self.provider(), safe(m)),
            None => format!("asking {}", self.provider()),
        };
        self.busy = Some(Busy {
            ask,
            since: Instant::now(),
            cancel: cancel.clone(),
            what,
        });
        self.error = None;
        let job = Job::Assist {
            ask,
            task: self.task(),
            provider: self.provider().to_string(),
            model,
            cancel,
        };
        Next::Run(vec![Effect::Job(job, Reply::Status)])
    }

    /// The answer came back: the proposal opens in the wizard, a refusal stays here.
    pub fn done(&mut self, ask: u64, result: Result<Box<AssistOutcome>, String>) -> Next {
        if self.busy.as_ref().is_none_or(|b| b.ask != ask) {
            return Next::Stay;
        }
        self.busy = None;
        let outcome = match result {
            Ok(o) => o,
            Err(e) => {
                self.error = Some(format!("no proposal: {e}"));
                return Next::Stay;
            }
        };
        let with = AssistWith {
            provider: outcome.provider.clone(),
            model: self.model_text(),
        };
        match WizardModel::from_schema(&outcome.schema) {
            Ok(model) => {
                let mut w = Wizard::new(model, Origin::New, String::new());
                w.assist = Some(with);
                w.message = Some(proposal_note(&outcome));
                Next::Go(Screen::Wizard(Box::new(w)))
            }
            Err(e) => {
                self.error = Some(format!("the proposal is outside the wizard's subset: {e}"));
                Next::Stay
            }
        }
    }

    pub fn update(&mut self, action: Action, ws: &Workspace) -> Next {
        if let Some(b) = &self.busy {
            if matches!(action, Action::Cancel) {
                b.cancel.store(true, Ordering::Relaxed);
            }
            return Next::Stay;
        }
        let armed = std::mem::take(&mut self.armed);
        match action {
            Action::Cancel if armed => Next::Back,
            Action::Cancel => {
                self.armed = true;
                Next::Stay
            }
            Action::Submit if self.focus == Focus::Intent => {
                self.type_key(
                    Input {
                        key: Key::Enter,
                        ..Input::default()
                    },
                    ws,
                );
                Next::Stay
            }
            Action::Submit => self.send(),
            Action::Input(input) => self.key(input, ws),
            _ => Next::Stay,
        }
    }

    fn key(&mut self, input: Input, ws: &Workspace) -> Next {
        let i = FOCUS.iter().position(|f| *f == self.focus).unwrap_or(0);
        match input.key {
            Key::F(5) => return self.send(),
            Key::Tab => {
                let n = FOCUS.len();
                self.focus = FOCUS[if input.shift { i + n - 1 } else { i + 1 } % n];
            }
            Key::Left | Key::Right | Key::Char(' ')
                if matches!(self.focus, Focus::Document | Focus::Provider) =>
            {
                let by = if input.key == Key::Left { -1 } else { 1 };
                self.cycle(by, ws);
            }
            _ => self.type_key(input, ws),
        }
        Next::Stay
    }

    fn cycle(&mut self, by: isize, ws: &Workspace) {
        let step = |at: usize, n: usize| (at as isize + by).rem_euclid(n as isize) as usize;
        if self.focus == Focus::Document {
            self.doc = step(self.doc, self.docs.len() + 1);
            self.request = None;
        } else {
            self.provider = step(self.provider, PROVIDERS.len());
        }
        self.refresh(ws);
    }

    fn type_key(&mut self, input: Input, ws: &Workspace) {
        let changed = match self.focus {
            Focus::Intent => self.intent.input(input),
            Focus::Model if self.provider() != "demo" => self.model.input(input),
            _ => false,
        };
        if changed {
            self.error = None;
            self.refresh(ws);
        }
    }

    fn doc_label(&self) -> String {
        match self.doc.checked_sub(1).and_then(|i| self.docs.get(i)) {
            Some((_, title, n)) => format!(
                "{} ({n} blocks; samples up to {DEFAULT_SAMPLE_BLOCKS})",
                safe(title)
            ),
            None if self.docs.is_empty() => "none (the Library is empty: the intent alone)".into(),
            None => "none (the intent alone, no samples)".into(),
        }
    }

    fn cost_line(&self) -> String {
        let Some(e) = &self.estimate else {
            return String::new();
        };
        if self.provider() == "demo" {
            return "this call: DEMO, offline and deterministic · free".into();
        }
        let cost = match e.cost {
            Some(c) => format!("≤ {}", format_cost(Some(c))),
            None => "no price known (prices.json can add one)".into(),
        };
        format!(
            "this call: ≈ {} tokens in, ≤ {} out · {cost} · {}",
            e.input_tokens,
            e.max_output_tokens,
            safe(&e.model)
        )
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let [body, hints] = split_rows_bottom(area, 2);
        let rows = 7u16;
        let [text, rest] = split_rows(body, body.height.saturating_sub(rows).max(3));
        let mut ta = self.intent.area().clone();
        let mark = if self.focus == Focus::Intent {
            "›"
        } else {
            " "
        };
        ta.set_block(boxed(
            view,
            format!("{mark}Describe · what should each block give you?"),
        ));
        frame.render_widget(&ta, text);
        let row = |f: Focus, label: &str, value: String| {
            let style = if self.focus == f {
                theme.selection()
            } else {
                theme.fg("text")
            };
            Line::from(vec![
                Span::styled(format!(" {label:<9}"), theme.fg("muted")),
                Span::styled(value, style),
            ])
        };
        let model = match self.model_text() {
            Some(m) => safe(&m),
            None if self.provider() == "demo" => "(none: offline)".into(),
            None => "(the key's or the provider's default; type to change)".into(),
        };
        let mut lines = vec![
            row(
                Focus::Document,
                "document",
                format!("‹ {} ›", self.doc_label()),
            ),
            row(
                Focus::Provider,
                "provider",
                format!("‹ {} ›", self.provider()),
            ),
            row(Focus::Model, "model", model),
            Line::from(Span::styled(
                format!(" {}", self.cost_line()),
                theme.fg("muted"),
            )),
        ];
        match (&self.busy, &self.error) {
            (Some(b), _) => lines.push(Line::from(Span::styled(
                format!(" {}", b.line()),
                theme.fg("title"),
            ))),
            (None, Some(e)) => lines.push(Line::from(Span::styled(
                format!(" {}", safe(e)),
                theme.fg("error"),
            ))),
            _ => {}
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), rest);
        let keys = if self.busy.is_some() {
            "Esc cancels the call (nothing is saved)"
        } else if self.armed {
            "Esc again goes back; any other key keeps this description"
        } else {
            "Tab next field · ←/→ choose · F5 (or Enter off the intent) sends · Esc back"
        };
        frame.render_widget(
            Paragraph::new(Span::styled(keys, theme.fg("muted"))).wrap(Wrap { trim: false }),
            hints,
        );
    }
}

/// The wizard's first note about a proposal: where it came from and what it cost.
pub fn proposal_note(o: &AssistOutcome) -> String {
    let (tokens_in, tokens_out): (u64, u64) = o.calls.iter().fold((0, 0), |(i, out), c| {
        (i + c.usage.input_tokens, out + c.usage.output_tokens)
    });
    let cost: f64 = o.calls.iter().filter_map(|c| c.cost).sum();
    let from = match o.label {
        Some(l) => format!("{l} proposal (offline, not a model)"),
        None => format!("proposal from {} {}", safe(&o.provider), safe(&o.model)),
    };
    format!(
        "{from} · {} call(s), {tokens_in}/{tokens_out} tokens, {}",
        o.calls.len(),
        format_cost(Some(cost))
    )
}
