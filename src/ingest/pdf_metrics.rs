//! Glyph widths of the standard Helvetica fonts (Adobe AFM, printable ASCII), for PDFs that use
//! a standard-14 font without a `/Widths` array: without them a line's right edge is a guess.

/// Widths of codes 32..=126 in thousandths of an em.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// The width of `code` in a standard font named `base` (lower-case), if known.
pub(crate) fn standard_width(base: &str, code: u32) -> Option<f32> {
    if base.contains("courier") {
        return Some(600.0);
    }
    let table = if base.contains("bold") {
        &HELVETICA_BOLD
    } else {
        &HELVETICA
    };
    let w = *table.get(code.checked_sub(32)? as usize)? as f32;
    // Times is narrower than Helvetica: scale rather than carry four more tables.
    Some(if base.contains("times") { w * 0.9 } else { w })
}
