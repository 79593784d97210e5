//! Type sizes of a PDF document: body, heading and code sizes (a child of `pdf_layout`).

use std::collections::BTreeMap;

use super::{Line, Page};

/// The document's type sizes: the body size (the one most characters are set in) and the
/// larger sizes that mark headings, largest first.
pub(super) struct Sizes {
    body: i32,
    heading_sizes: Vec<i32>,
    /// The size most monospace characters are set in (code blocks and inline code).
    code: Option<i32>,
}

impl Sizes {
    pub(super) fn measure(pages: &[(Page, Vec<Line>)]) -> Sizes {
        let mut by_size: BTreeMap<i32, usize> = BTreeMap::new();
        // Code is set in its own (usually smaller) size: a code-heavy document's body size is
        // that of its prose, else its prose would all read as headings.
        let prose = pages.iter().flat_map(|(_, ls)| ls).any(|l| !l.mono);
        for (_, lines) in pages {
            for l in lines.iter().filter(|l| !prose || !l.mono) {
                *by_size.entry(size_key(l.size)).or_default() += l.text.chars().count();
            }
        }
        let body = by_size
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(k, _)| *k)
            .unwrap_or(20);
        let body_pt = body as f32 / 2.0;
        let mut heading_sizes: Vec<i32> = by_size
            .keys()
            .copied()
            .filter(|k| (*k as f32 / 2.0) > body_pt * 1.15)
            .collect();
        heading_sizes.sort_unstable_by(|a, b| b.cmp(a));
        let code = most_common(pages.iter().flat_map(|(_, ls)| ls).filter(|l| l.mono));
        Sizes {
            body,
            heading_sizes,
            code,
        }
    }

    /// The heading level of a line set in a heading size, or of a short bold body-size line.
    pub(super) fn level_of(&self, l: &Line) -> Option<usize> {
        let k = size_key(l.size);
        if l.mono {
            return self.code_heading(l);
        }
        if let Some(i) = self.heading_sizes.iter().position(|s| *s == k) {
            return (l.text.chars().count() < 200).then_some((i + 1).min(6));
        }
        let short = l.text.chars().count() < 90 && !l.text.ends_with(['.', ',', ';', ':']);
        (l.bold && k == self.body && short).then_some((self.heading_sizes.len() + 1).min(6))
    }

    /// A heading set all in code (`### \`url.hash\``): a short monospace line clearly larger
    /// than the document's code, at the level of the next heading size up from it.
    fn code_heading(&self, l: &Line) -> Option<usize> {
        let k = size_key(l.size);
        let larger = self.code.is_some_and(|c| k as f32 > c as f32 * 1.15);
        if !larger || l.text.chars().count() >= 90 {
            return None;
        }
        let up = self.heading_sizes.iter().rposition(|s| *s >= k);
        Some(up.map_or(self.heading_sizes.len() + 1, |i| i + 1).min(6))
    }
}

fn most_common<'a>(lines: impl Iterator<Item = &'a Line>) -> Option<i32> {
    let mut by_size: BTreeMap<i32, usize> = BTreeMap::new();
    for l in lines {
        *by_size.entry(size_key(l.size)).or_default() += l.text.chars().count();
    }
    by_size.into_iter().max_by_key(|(_, n)| *n).map(|(k, _)| k)
}

pub(super) fn size_key(size: f32) -> i32 {
    (size * 2.0).round() as i32
}
