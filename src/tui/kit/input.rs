//! The one text-input widget of the TUI: every prompt, form field and editor that takes typed
//! text edits it through [`TextInput`] (a `tui_textarea` underneath), so the keys are the same
//! everywhere, as the README documents them:
//! `ctrl-a` / `ctrl-e` start / end of the line, `ctrl-w` deletes the word before the cursor,
//! `ctrl-u` deletes to the start of the line, `ctrl-k` to its end; in a path field `Tab`
//! completes the path (a list of candidates when several match). A one-line field never takes a
//! line feed or a tab; a multi-line one (the JSON editors) types Enter as a new line.

use ratatui::style::Style;
use tui_textarea::{CursorMove, Input, Key, TextArea};

use super::complete::complete_path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Line,
    /// One line holding a file path: Tab completes it.
    Path,
    Lines,
}

#[derive(Debug, Clone)]
pub struct TextInput {
    area: TextArea<'static>,
    kind: Kind,
    /// What the last Tab found when it did not complete to one path (candidates, no match).
    note: Option<String>,
}

impl TextInput {
    fn with(kind: Kind, text: &str) -> TextInput {
        // A value with line feeds keeps them even in a one-line field (saving it must not change
        // them); only typing a new one is refused there.
        let mut area = TextArea::new(text.split('\n').map(str::to_string).collect());
        area.set_cursor_line_style(Style::default());
        area.move_cursor(CursorMove::Bottom);
        area.move_cursor(CursorMove::End);
        TextInput {
            area,
            kind,
            note: None,
        }
    }

    /// A one-line field holding `text`, the cursor at its end.
    pub fn line(text: &str) -> TextInput {
        TextInput::with(Kind::Line, text)
    }

    /// A one-line file path field: Tab completes.
    pub fn path(text: &str) -> TextInput {
        TextInput::with(Kind::Path, text)
    }

    /// A multi-line editor: Enter types a new line.
    pub fn lines(text: &str) -> TextInput {
        TextInput::with(Kind::Lines, text)
    }

    /// Make it a multi-line editor (Enter types a new line), or a one-line field again.
    pub fn set_multiline(&mut self, on: bool) {
        self.kind = match (on, self.kind) {
            (true, _) => Kind::Lines,
            (false, Kind::Lines) => Kind::Line,
            (false, kind) => kind,
        };
    }

    /// The cursor to the start of the text (an editor opened on a whole document).
    pub fn cursor_to_start(&mut self) {
        self.area.move_cursor(CursorMove::Top);
        self.area.move_cursor(CursorMove::Head);
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Replace the text, the cursor at its end.
    pub fn set_text(&mut self, text: &str) {
        let mut fresh = TextInput::with(self.kind, text);
        if let Some(mask) = self.area.mask_char() {
            fresh.area.set_mask_char(mask);
        }
        fresh.area.set_style(self.area.style());
        fresh.area.set_cursor_style(self.area.cursor_style());
        self.area = fresh.area;
    }

    /// What the last Tab said when it could not complete to one path.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The text area, to draw (clone it to give it a block) or style.
    pub fn area(&self) -> &TextArea<'static> {
        &self.area
    }

    pub fn area_mut(&mut self) -> &mut TextArea<'static> {
        &mut self.area
    }

    /// Apply one key. Returns whether the text changed.
    pub fn input(&mut self, input: Input) -> bool {
        let before_tab = input.key == Key::Tab && !input.ctrl && !input.alt;
        if !before_tab {
            self.note = None;
        }
        let ta = &mut self.area;
        match (input.key, input.ctrl, input.alt) {
            (Key::Char('u'), true, false) => ta.delete_line_by_head(),
            (Key::Char('k'), true, false) => ta.delete_line_by_end(),
            (Key::Char('w'), true, false) => ta.delete_word(),
            (Key::Char('a'), true, false) => {
                ta.move_cursor(CursorMove::Head);
                false
            }
            (Key::Char('e'), true, false) => {
                ta.move_cursor(CursorMove::End);
                false
            }
            (Key::Tab, false, false) if self.kind == Kind::Path => self.complete(),
            // A one-line field takes neither a line feed nor a tab (Enter submits elsewhere).
            (Key::Enter | Key::Tab, _, _) if self.kind != Kind::Lines => false,
            _ => ta.input(input),
        }
    }

    /// Tab in a path field: complete as far as it is unambiguous; several candidates or none
    /// are said in [`TextInput::note`].
    fn complete(&mut self) -> bool {
        let text = self.text();
        let done = complete_path(&text);
        let changed = done.text != text;
        if changed {
            self.set_text(&done.text);
        }
        self.note = match done.candidates.len() {
            0 => Some(format!("nothing matches '{text}'")),
            1 => None,
            n => Some(format!(
                "{n} matches: {}",
                done.candidates
                    .iter()
                    .take(12)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("  ")
            )),
        };
        changed
    }
}

/// Edit a plain `String` field (a form's typed value, its cursor at the end) with the widget's
/// keys. Returns whether it changed.
pub fn edit_string(text: &mut String, input: Input) -> bool {
    let mut field = TextInput::line(text);
    let changed = field.input(input);
    if changed {
        *text = field.text();
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctrl(c: char) -> Input {
        Input {
            key: Key::Char(c),
            ctrl: true,
            ..Input::default()
        }
    }

    fn typed(field: &mut TextInput, text: &str) {
        for c in text.chars() {
            field.input(Input {
                key: Key::Char(c),
                ..Input::default()
            });
        }
    }

    #[test]
    fn ctrl_u_clears_to_the_start_and_ctrl_w_takes_a_word() {
        let mut f = TextInput::line("doc_tags_v2");
        assert!(f.input(ctrl('u')));
        assert_eq!(f.text(), "");
        typed(&mut f, "classification more");
        f.input(ctrl('w'));
        assert_eq!(f.text(), "classification ");
        f.input(ctrl('a'));
        f.input(ctrl('k'));
        assert_eq!(f.text(), "");
    }

    #[test]
    fn a_line_takes_no_tab_or_line_feed_and_a_string_edits_the_same() {
        let mut f = TextInput::line("a");
        f.input(Input {
            key: Key::Tab,
            ..Input::default()
        });
        f.input(Input {
            key: Key::Enter,
            ..Input::default()
        });
        assert_eq!(f.text(), "a");
        let mut s = String::from("field_1");
        assert!(edit_string(&mut s, ctrl('u')));
        assert_eq!(s, "");
    }

    #[test]
    fn tab_completes_a_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("contract.md"), "x").unwrap();
        let mut f = TextInput::path(&format!("{}/con", dir.path().display()));
        assert!(f.input(Input {
            key: Key::Tab,
            ..Input::default()
        }));
        assert!(f.text().ends_with("/contract.md"), "{}", f.text());
        assert_eq!(f.note(), None);
    }
}
