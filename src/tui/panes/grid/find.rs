//! The grid's side of finding: start a search or the filter, take their results, step
//! between hits and highlight what a search matched. Which
//! blocks a search hits or a filter keeps is decided in `review::find` (behind the workspace).

use std::sync::Arc;

use super::{no_run, GridPane};
use crate::model::sanitize_line;
use crate::tui::kit::text::thousands;
use crate::tui::kit::Effect;
use crate::tui::modals::{FilterPicker, Prompt, PromptKind};
use crate::workspace::{BlockFilter as Filter, Workspace};

impl GridPane {
    /// A filter's result arrived: show only those blocks, keeping the cursor's block if kept.
    pub fn set_view(
        &mut self,
        (filter, docs): (Filter, Vec<usize>),
        kept: Arc<[u32]>,
        ws: &Workspace,
    ) -> Vec<Effect> {
        let at = self.index();
        self.look = None;
        self.view = if filter.is_empty() && docs.is_empty() {
            None
        } else {
            Some((filter, kept))
        };
        self.doc_filter = docs;
        // A range being drawn is kept as marked blocks: its positions belong to the old view.
        self.keep_range();
        self.cursor = self.position_of(at);
        self.clamp();
        self.refresh(ws)
    }

    /// A search's result arrived: go to the first match at or after the cursor.
    pub fn set_search(&mut self, query: String, hits: Arc<[u32]>, ws: &Workspace) -> Vec<Effect> {
        if query.is_empty() {
            self.search = None;
            return vec![Effect::Info("search cleared".into())];
        }
        let n = hits.len();
        let first = next_in(&hits, self.index().saturating_sub(1), true);
        self.search = Some((query.clone(), hits));
        let shown = sanitize_line(&query).into_owned();
        match first {
            Some(i) => {
                let mut fx = self.goto(i, ws);
                fx.push(Effect::Info(format!(
                    "/{shown}: {} block(s) match · n / N next / previous",
                    thousands(n as u32)
                )));
                fx
            }
            None => vec![Effect::Info(format!("/{shown}: no block matches"))],
        }
    }

    /// `n` / `N`: the next / previous match (wrapping).
    pub(super) fn next_match(&mut self, forward: bool, ws: &Workspace) -> Vec<Effect> {
        let Some((_, hits)) = &self.search else {
            return vec![Effect::Info("no search yet: / searches".into())];
        };
        match next_in(hits, self.index(), forward) {
            Some(i) => self.goto(i, ws),
            None => vec![Effect::Info("no block matches the search".into())],
        }
    }

    /// `/`: ask for the text to find (empty clears the search).
    pub(super) fn begin_search(&mut self, ws: &Workspace) -> Vec<Effect> {
        let Some(scope) = self.scope(ws) else {
            return vec![no_run()];
        };
        let what = if self.group.is_some() {
            "Search every document of the group"
        } else {
            "Search block content and values"
        };
        let current = self
            .search
            .as_ref()
            .map(|(q, _)| q.clone())
            .unwrap_or_default();
        let prompt = Prompt::new(
            PromptKind::Search { scope },
            what.into(),
            "case-insensitive · Enter searches (empty clears), Esc cancels · then n / N".into(),
            current,
        );
        vec![Effect::Open(Box::new(prompt))]
    }

    /// `f`: choose statuses and block types.
    pub(super) fn begin_filter(&mut self, ws: &Workspace) -> Vec<Effect> {
        let Some(scope) = self.scope(ws) else {
            return vec![no_run()];
        };
        let current = self
            .view
            .as_ref()
            .map(|(f, _)| f.clone())
            .unwrap_or_default();
        let docs = match &mut self.group {
            Some(g) => g.all_names(ws),
            None => Vec::new(),
        };
        let picker = FilterPicker::new(scope, &current, docs, &self.doc_filter);
        vec![Effect::Open(Box::new(picker))]
    }

    /// The filter job that re-applies the current filter (after a review changed statuses).
    pub fn refilter_job(&mut self, ws: &Workspace) -> Option<crate::tui::kit::Job> {
        let (filter, _) = self.view.as_ref().filter(|_| self.look.is_none())?;
        let filter = filter.clone();
        Some(crate::tui::kit::Job::Filter {
            scope: self.scope(ws)?,
            filter,
            docs: self.doc_filter.clone(),
            announce: false,
        })
    }
}

/// Byte ranges of `needle` (lower-cased) in `text`, ignoring ASCII case, for highlighting.
pub fn match_ranges(text: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if needle.is_empty() || !needle.is_ascii() {
        return out;
    }
    let (h, n) = (text.as_bytes(), needle.as_bytes());
    let mut i = 0;
    while i + n.len() <= h.len() {
        if h[i..i + n.len()].eq_ignore_ascii_case(n)
            && text.is_char_boundary(i)
            && text.is_char_boundary(i + n.len())
        {
            out.push((i, i + n.len()));
            i += n.len();
        } else {
            i += 1;
        }
    }
    out
}

/// The first of `sorted` after (`forward`) or before `index`, wrapping around.
pub fn next_in(sorted: &[u32], index: u32, forward: bool) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    if forward {
        let p = sorted.partition_point(|&i| i <= index);
        Some(*sorted.get(p).unwrap_or(&sorted[0]))
    } else {
        let p = sorted.partition_point(|&i| i < index);
        Some(if p == 0 {
            sorted[sorted.len() - 1]
        } else {
            sorted[p - 1]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_ignores_case_and_next_wraps() {
        assert_eq!(match_ranges("aXa xa", "xa"), vec![(1, 3), (4, 6)]);
        assert_eq!(next_in(&[2, 5, 9], 5, true), Some(9));
        assert_eq!(next_in(&[2, 5, 9], 9, true), Some(2));
        assert_eq!(next_in(&[2, 5, 9], 2, false), Some(9));
        assert_eq!(next_in(&[], 2, false), None);
    }
}
