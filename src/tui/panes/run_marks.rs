//! Evidence in the Runs pane (SPEC §4a): `m` marks runs (A, then B), `C` opens the compare view
//! on the two marked runs, `*` makes the run under the cursor the gold run, and the detail box
//! then shows the selected run's score against the gold run's confirmed values (one line).

use crate::evidence::compare_runs::Comparison;
use crate::model::Run;
use crate::tui::kit::{Action, Ctx, Effect};
use crate::tui::modals::CompareView;
use crate::workspace::{Against, Workspace};

#[derive(Debug, Default)]
pub struct RunMarks {
    /// Marked runs, A first; marking a third drops the oldest.
    pub marked: Vec<String>,
    pub gold: Option<String>,
    /// `(scored run, gold run, the score line)`, for the run last selected.
    score: Option<(String, String, String)>,
    /// When the shown score was read: reloads while a worker writes read it again at most
    /// every [`RESCORE`], not on every store change.
    scored_at: Option<std::time::Instant>,
}

/// Least time between two scorings of the same pair on reloads.
const RESCORE: std::time::Duration = std::time::Duration::from_secs(2);

impl RunMarks {
    /// The evidence keys on a run row (`None`: not one of them).
    pub fn update(&mut self, action: &Action, run: &Run, ctx: &Ctx) -> Option<Vec<Effect>> {
        let fx = match action {
            Action::ToggleSelect => self.toggle(&run.run_id),
            Action::SetGold => self.set_gold(&run.run_id, ctx.ws),
            Action::CompareRuns => self.compare(ctx.ws),
            _ => return None,
        };
        Some(fx)
    }

    fn toggle(&mut self, run_id: &str) -> Vec<Effect> {
        if let Some(at) = self.marked.iter().position(|r| r == run_id) {
            self.marked.remove(at);
        } else {
            self.marked.push(run_id.to_string());
            if self.marked.len() > 2 {
                self.marked.remove(0);
            }
        }
        let names: Vec<String> = ["A", "B"]
            .iter()
            .zip(&self.marked)
            .map(|(n, r)| format!("{n} {r}"))
            .collect();
        vec![Effect::Info(match self.marked.len() {
            0 => "no run marked".into(),
            1 => format!(
                "marked {}; mark a second run, then C compares them",
                names[0]
            ),
            _ => format!("marked {}; C compares them", names.join(", ")),
        })]
    }

    fn set_gold(&mut self, run_id: &str, ws: &Workspace) -> Vec<Effect> {
        self.score = None;
        if self.gold.as_deref() == Some(run_id) {
            self.gold = None;
            return vec![
                Effect::Against(None),
                Effect::Info("no gold run: scores are off".into()),
            ];
        }
        self.gold = Some(run_id.to_string());
        let confirmed = ws
            .get_run(run_id)
            .ok()
            .flatten()
            .map_or(0, |r| r.counters.confirmed);
        vec![
            Effect::Against(Some(Against {
                run_id: run_id.to_string(),
                gold: true,
            })),
            Effect::Info(format!(
                "gold run {run_id}: {confirmed} confirmed block(s) score the other runs over its \
                 document; L in the grid puts what differs from it first"
            )),
        ]
    }

    fn compare(&self, ws: &Workspace) -> Vec<Effect> {
        let [a, b] = self.marked.as_slice() else {
            return vec![Effect::Info(format!(
                "C compares two marked runs: {} marked (m marks the run under the cursor)",
                self.marked.len()
            ))];
        };
        let run = |id: &str| match ws.get_run(id) {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(format!("run {id} is gone")),
            Err(e) => Err(e.to_string()),
        };
        let opened = run(a)
            .and_then(|ra| run(b).map(|rb| (ra, rb)))
            .and_then(|(ra, rb)| CompareView::load(ws, &ra, &rb));
        match opened {
            Ok(view) => vec![
                Effect::Against(Some(Against {
                    run_id: b.clone(),
                    gold: false,
                })),
                Effect::Open(Box::new(view)),
            ],
            Err(e) => vec![Effect::Error(format!("cannot compare {a} with {b}: {e}"))],
        }
    }

    /// Score `run` against the gold run again (after a reload or a move); one streamed read
    /// of the two runs in block order. On a reload (`forced` false) the same pair is read again
    /// at most every [`RESCORE`]; a key in the pane always reads it.
    pub fn refresh(&mut self, ws: &Workspace, run: Option<&Run>, forced: bool) {
        let (Some(gold), Some(run)) = (self.gold.clone(), run) else {
            self.score = None;
            return;
        };
        let same = self
            .score
            .as_ref()
            .is_some_and(|(r, g, _)| *r == run.run_id && *g == gold);
        if same && !forced && self.scored_at.is_some_and(|t| t.elapsed() < RESCORE) {
            return;
        }
        self.scored_at = Some(std::time::Instant::now());
        let line = if run.run_id == gold {
            "this is the gold run: its confirmed values score the others".to_string()
        } else {
            match ws.compare_runs(&run.run_id, &gold, None, true) {
                Ok(c) => score_line(&c),
                Err(e) => format!("not scored: {e}"),
            }
        };
        self.score = Some((run.run_id.clone(), gold, line));
    }

    /// The gold line of `run_id`'s detail box, when it is scored.
    pub fn score_of(&self, run_id: &str) -> Option<String> {
        let (scored, gold, line) = self.score.as_ref()?;
        let short: String = gold.chars().take(12).collect();
        (scored == run_id).then(|| format!("vs {short}: {line}"))
    }

    /// ` · A abc… B def… · gold xyz…` for the list's title.
    pub fn title(&self) -> String {
        let short = |r: &String| r.chars().take(10).collect::<String>();
        let mut out = String::new();
        for (name, r) in ["A", "B"].iter().zip(&self.marked) {
            out.push_str(&format!(" · {name} {}", short(r)));
        }
        if let Some(g) = &self.gold {
            out.push_str(&format!(" · gold {}", short(g)));
        }
        out
    }
}

/// `quote 95.0% (19/20) · label 100.0% (20/20) κ 1.00 · 1 wrong`, over the gold run's confirmed
/// blocks.
pub fn score_line(c: &Comparison) -> String {
    if c.fields.iter().all(|t| t.compared == 0) {
        return "the gold run has no confirmed block yet".into();
    }
    let mut parts: Vec<String> = c
        .fields
        .iter()
        .map(|t| {
            let acc = t
                .exact_rate()
                .map_or("–".into(), |r| format!("{:.1}%", r * 100.0));
            let kappa = t.kappa().map(|k| format!(" κ {k:.2}")).unwrap_or_default();
            format!("{} {acc} ({}/{}){kappa}", t.field, t.exact, t.compared)
        })
        .collect();
    let mut wrong: Vec<u32> = c
        .fields
        .iter()
        .flat_map(|t| t.differing.iter().map(|&(_, i)| i))
        .collect();
    wrong.sort_unstable();
    wrong.dedup();
    parts.push(format!("{} block(s) wrong", wrong.len()));
    parts.join(" · ")
}
