//! Tests of `pdf_layout.rs` (kept apart so the module stays small).
use super::*;

fn span(x0: f32, y: f32, size: f32, text: &str) -> Span {
    Span {
        x0,
        x1: x0 + text.len() as f32 * size * 0.5,
        y,
        size,
        bold: false,
        mono: false,
        text: text.into(),
    }
}

fn page(number: u32, spans: Vec<Span>) -> Page {
    Page {
        number,
        width: 600.0,
        height: 800.0,
        origin: (0.0, 0.0),
        spans,
        marks: Vec::new(),
    }
}

#[test]
fn running_headers_and_page_numbers_are_typed_and_sizes_make_headings() {
    let pages: Vec<Page> = (1..=3)
        .map(|n| {
            page(
                n,
                vec![
                    span(50.0, 770.0, 9.0, "Annual Report 2024"),
                    span(50.0, 700.0, 18.0, &format!("Section {n}")),
                    span(50.0, 670.0, 10.0, "Body text that goes on for a while and"),
                    span(50.0, 658.0, 10.0, "wraps onto a second line."),
                    span(50.0, 630.0, 10.0, "• a bullet point"),
                    span(290.0, 30.0, 9.0, &format!("Page {n} of 3")),
                ],
            )
        })
        .collect();
    let (text, drafts) = layout(pages).finish();
    let got: Vec<(BlockType, &str)> = drafts
        .blocks
        .iter()
        .take(6)
        .map(|b| (b.block_type, &text[b.start..b.end]))
        .collect();
    assert_eq!(
        got,
        [
            (BlockType::PageHeader, "Annual Report 2024"),
            (BlockType::Heading, "# Section 1"),
            (
                BlockType::Paragraph,
                "Body text that goes on for a while and wraps onto a second line."
            ),
            (BlockType::ListItem, "- a bullet point"),
            (BlockType::PageFooter, "Page 1 of 3"),
            (BlockType::PageHeader, "Annual Report 2024"),
        ]
    );
    let footers = drafts
        .blocks
        .iter()
        .filter(|b| b.block_type == BlockType::PageFooter);
    assert_eq!(footers.count(), 3, "one footer per page: {text}");
}

#[test]
fn monospace_lines_are_code_with_their_spacing_and_diagrams_are_not_tables() {
    let mono = |x0: f32, y: f32, text: &str| Span {
        mono: true,
        x1: x0 + text.len() as f32 * 6.0,
        ..span(x0, y, 10.0, text)
    };
    let spans = vec![
        span(50.0, 700.0, 10.0, "Run this:"),
        mono(50.0, 680.0, "fn main() {"),
        mono(74.0, 668.0, "println!(\"hi\");"),
        mono(50.0, 656.0, "}"),
        mono(50.0, 630.0, "+-----+"),
        mono(110.0, 630.0, "+-----+"),
        mono(50.0, 618.0, "| a   |-->"),
        mono(110.0, 618.0, "| b   |"),
    ];
    let (text, drafts) = layout(vec![page(1, spans)]).finish();
    let got: Vec<(BlockType, &str)> = drafts
        .blocks
        .iter()
        .map(|b| (b.block_type, &text[b.start..b.end]))
        .collect();
    assert_eq!(
        got,
        [
            (BlockType::Paragraph, "Run this:"),
            (
                BlockType::CodeBlock,
                "```\nfn main() {\n    println!(\"hi\");\n}\n\n+-----+   +-----+\n| a   |-->| b   |\n```"
            ),
        ]
    );
}

fn mono_span(x0: f32, y: f32, size: f32, text: &str) -> Span {
    Span {
        mono: true,
        ..span(x0, y, size, text)
    }
}

fn types_and_texts(pages: &[Page]) -> Vec<(BlockType, String)> {
    let (text, drafts) = layout(pages.to_vec()).finish();
    drafts
        .blocks
        .iter()
        .map(|b| (b.block_type, text[b.start..b.end].to_string()))
        .collect()
}

#[test]
fn prose_of_a_code_heavy_document_is_paragraphs_not_headings() {
    // Chromium printing pandoc's HTML of a command reference: more characters of 10.2 pt code
    // than of 12 pt prose. The body size is the prose's, so the prose is no heading.
    let mut spans = vec![span(
        50.0,
        700.0,
        12.0,
        "The terminal UI is the main face of it",
    )];
    for i in 0..8 {
        let y = 670.0 - 12.0 * i as f32;
        spans.push(mono_span(
            50.0,
            y,
            10.2,
            "blockwise ingest PATH... [--project REF] [--recursive]",
        ));
    }
    let got = types_and_texts(&[page(1, spans)]);
    assert_eq!(
        got[0],
        (
            BlockType::Paragraph,
            "The terminal UI is the main face of it".into()
        )
    );
    assert_eq!(got[1].0, BlockType::CodeBlock);
    assert_eq!(got.len(), 2);
}

#[test]
fn a_line_with_a_long_inline_code_span_stays_in_its_paragraph() {
    // The longest span of the second line is inline code at 85% size: the line's size is still
    // the prose's, so the paragraph is not cut there.
    let spans = vec![
        span(
            50.0,
            700.0,
            12.0,
            "Each block has a locator and a type set at ingest,",
        ),
        span(50.0, 686.0, 12.0, "for"),
        mono_span(70.0, 686.0, 10.2, "text_offset_range_and_more_code"),
        span(232.0, 686.0, 12.0, "ranges."),
    ];
    let got = types_and_texts(&[page(1, spans)]);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, BlockType::Paragraph);
}

#[test]
fn a_heading_set_all_in_code_is_a_heading_not_a_code_block() {
    // pandoc's `### \`url.hash\``: code font at 85% of the 14 pt heading, above 10.2 pt code.
    let mut spans = vec![span(50.0, 740.0, 18.0, "The WHATWG API")];
    spans.push(span(50.0, 718.0, 14.0, "Class: URL"));
    spans.push(span(
        50.0,
        700.0,
        12.0,
        "Gets and sets the fragment portion of the URL.",
    ));
    spans.push(mono_span(
        50.0,
        680.0,
        10.2,
        "const myURL = new URL('https://example.org/foo#bar');",
    ));
    spans.push(mono_span(50.0, 668.0, 10.2, "console.log(myURL.hash);"));
    spans.push(mono_span(50.0, 640.0, 11.9, "url.host"));
    spans.push(span(
        50.0,
        620.0,
        12.0,
        "Gets and sets the host portion of the URL.",
    ));
    let got = types_and_texts(&[page(1, spans)]);
    let types: Vec<BlockType> = got.iter().map(|g| g.0).collect();
    assert_eq!(
        types,
        [
            BlockType::Heading,
            BlockType::Heading,
            BlockType::Paragraph,
            BlockType::CodeBlock,
            BlockType::Heading,
            BlockType::Paragraph
        ],
        "{got:?}"
    );
    // At the level of the 14 pt heading, the next size up from the code heading's.
    assert_eq!(got[4].1, "## url.host");
}

#[test]
fn a_code_block_at_a_browser_line_pitch_keeps_its_blank_lines() {
    // Chromium printing pandoc's `<pre>`: 10.2 pt code at an 18 pt pitch, so a blank line
    // leaves 36 pt between baselines. One source code block, one block.
    let spans = vec![
        mono_span(
            50.0,
            700.0,
            10.2,
            "let myURL = new URL('http://Example.com/');",
        ),
        mono_span(50.0, 682.0, 10.2, "// http://example.com/"),
        mono_span(
            50.0,
            646.0,
            10.2,
            "myURL = new URL('https://Example.com/');",
        ),
        mono_span(50.0, 628.0, 10.2, "// https://example.com/"),
    ];
    let got = types_and_texts(&[page(1, spans)]);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, BlockType::CodeBlock);
    assert!(got[0].1.contains("example.com/\n\nmyURL"), "{got:?}");
}

#[test]
fn a_paragraph_or_code_block_cut_by_a_page_break_is_one_block() {
    let furniture = |n: u32| {
        vec![
            span(50.0, 770.0, 9.0, "Manual"),
            span(290.0, 30.0, 9.0, &format!("{n}/3")),
        ]
    };
    let mut p1 = furniture(1);
    p1.extend([
        span(
            50.0,
            700.0,
            10.0,
            "A paragraph that is long enough to wrap and",
        ),
        span(50.0, 688.0, 10.0, "it runs on past the end of the page and"),
    ]);
    let mut p2 = furniture(2);
    p2.extend([
        span(50.0, 740.0, 10.0, "ends on the next page."),
        mono_span(50.0, 700.0, 10.0, "fn main() {"),
    ]);
    let mut p3 = furniture(3);
    p3.extend([
        mono_span(50.0, 740.0, 10.0, "}"),
        span(50.0, 700.0, 10.0, "Done here."),
    ]);
    let got = types_and_texts(&[page(1, p1), page(2, p2), page(3, p3)]);
    let body: Vec<_> = got
        .iter()
        .filter(|(t, _)| !matches!(t, BlockType::PageHeader | BlockType::PageFooter))
        .map(|(t, s)| (*t, s.as_str()))
        .collect();
    assert_eq!(
        body,
        [
            (
                BlockType::Paragraph,
                "A paragraph that is long enough to wrap and it runs on past the end of the \
                 page and ends on the next page."
            ),
            (BlockType::CodeBlock, "```\nfn main() {\n}\n```"),
            (BlockType::Paragraph, "Done here."),
        ]
    );
    // Nothing is dropped: each page's header and footer is still there, after the block.
    use BlockType::{CodeBlock as C, PageFooter as F, PageHeader as H, Paragraph as P};
    let types: Vec<BlockType> = got.iter().map(|(t, _)| *t).collect();
    assert_eq!(types, [H, P, F, H, C, F, H, P, F]);
}

#[test]
fn blocks_that_end_at_a_page_end_are_not_joined_to_the_next_page() {
    let pages = [
        page(
            1,
            vec![
                span(50.0, 700.0, 10.0, "The first page ends here."),
                mono_span(50.0, 600.0, 10.0, "import a from 'a';"),
                mono_span(50.0, 590.0, 10.0, "a();"),
            ],
        ),
        page(
            2,
            vec![
                mono_span(50.0, 740.0, 10.0, "const a = require('a');"),
                span(50.0, 700.0, 10.0, "Another paragraph starts."),
            ],
        ),
        page(3, vec![span(50.0, 740.0, 10.0, "Yet another one.")]),
    ];
    let got = types_and_texts(&pages);
    assert_eq!(got.len(), 5, "{got:?}");
}
