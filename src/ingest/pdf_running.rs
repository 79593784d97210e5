//! Running headers and footers of `pdf_layout.rs`: margin lines (top or bottom 9% of the page)
//! whose text, digits folded, repeats on at least half the pages.

use std::collections::{HashMap, HashSet};

use super::{Line, Page};

/// Text with digits folded, so "Page 3" and "Page 4" repeat.
pub(super) fn margin_key(text: &str) -> String {
    let mut out = String::new();
    let mut last_digit = false;
    for c in text.to_lowercase().chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            if !last_digit {
                out.push('#');
            }
            last_digit = true;
        } else {
            out.push(c);
            last_digit = false;
        }
    }
    out
}

pub(super) fn in_margin(page: &Page, line: &Line) -> bool {
    let rel = (line.y - page.origin.1) / page.height.max(1.0);
    !(0.09..=0.91).contains(&rel)
}

/// Keys of margin lines that repeat on at least half the pages (at least two).
pub(super) fn running_lines(pages: &[(Page, Vec<Line>)]) -> HashSet<String> {
    let mut seen: HashMap<String, HashSet<u32>> = HashMap::new();
    for (page, lines) in pages {
        for l in lines.iter().filter(|l| in_margin(page, l)) {
            seen.entry(margin_key(&l.text))
                .or_default()
                .insert(page.number);
        }
    }
    let need = pages.len().div_ceil(2).max(2);
    seen.into_iter()
        .filter(|(_, p)| p.len() >= need)
        .map(|(k, _)| k)
        .collect()
}
