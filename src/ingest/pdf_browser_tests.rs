//! PDFs written the way browser engines write them (issue 25 item 4), built by hand here: no
//! browser, wkhtmltopdf or pdftotext is installed, so each test reproduces one construct of
//! Chromium (Skia) or WebKit (Qt, CoreGraphics) output and checks the text that comes out:
//! - a page `cm` that flips and scales CSS pixels to points, plus a `Tm` per glyph run;
//! - one `Tj` per word (Skia, Qt) placed by `Tm` / `Td`, no space glyphs between them;
//! - `TJ` arrays whose large negative offsets are the word gaps, small ones kerning;
//! - a Type3 font whose `FontMatrix` is not 1/1000;
//! - a fixed-pitch font known only by its descriptor's flags (a subset name), code and diagrams;
//! - list bullets painted as small filled shapes, not text.
use super::super::pdf_metrics::standard_width;
use super::pdf_drafts;
use crate::model::{BlockType, Locator};

/// A one-font-per-name PDF: `fonts` are `(resource name, font dictionary)`, each page a content
/// stream. Offsets in the xref table are exact.
fn build(fonts: &[(&str, &str)], pages: &[String]) -> Vec<u8> {
    build_with(&[], fonts, pages)
}

/// [`build`] with `extra` objects first: they are objects 3, 4, ... (fonts refer to them).
fn build_with(extra: &[String], fonts: &[(&str, &str)], pages: &[String]) -> Vec<u8> {
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        String::new(), // the page tree, filled in below
    ];
    objects.extend(extra.iter().cloned());
    let font_ids: Vec<(String, usize)> = fonts
        .iter()
        .map(|(name, dict)| {
            objects.push(dict.to_string());
            (name.to_string(), objects.len())
        })
        .collect();
    let resources: String = font_ids
        .iter()
        .map(|(n, id)| format!("/{n} {id} 0 R "))
        .collect();
    let mut kids = Vec::new();
    for content in pages {
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len() + 1
        ));
        let stream = objects.len();
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {stream} 0 R \
             /Resources << /Font << {resources}>> >> >>"
        ));
        kids.push(format!("{} 0 R", objects.len()));
    }
    objects[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        kids.len()
    );
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

const HELVETICA: (&str, &str) = (
    "F1",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
);

/// Width of `text` in Helvetica at 1 unit per em.
fn em_width(text: &str) -> f32 {
    text.bytes()
        .map(|b| standard_width("helvetica", b as u32).unwrap_or(556.0) / 1000.0)
        .sum()
}

/// `(type, text, locator)` of every block.
fn blocks(pdf: &[u8]) -> Vec<(BlockType, String, Option<Locator>)> {
    let (text, drafts) = pdf_drafts(pdf).expect("the PDF reads");
    drafts
        .blocks
        .iter()
        .map(|b| {
            (
                b.block_type,
                text[b.start..b.end].to_string(),
                b.locator.clone(),
            )
        })
        .collect()
}

fn bbox(l: &Option<Locator>) -> [f64; 4] {
    match l {
        Some(Locator::PdfBox { bbox, .. }) => *bbox,
        other => panic!("not a pdf box: {other:?}"),
    }
}

/// Prose of `n` lines, each about `width` CSS pixels wide at `px` pixels per em.
fn prose_lines(n: usize, width: f32, px: f32) -> Vec<Vec<String>> {
    let words = [
        "the", "harbour", "keeper", "walked", "along", "wide", "stone", "quay", "before", "dawn",
        "counting", "boats", "and", "noting", "every", "change", "in", "weather",
    ];
    let space = em_width(" ") * px;
    let mut k = 0;
    (0..n)
        .map(|_| {
            let mut line = Vec::new();
            let mut used = 0.0;
            loop {
                let w = words[k % words.len()];
                let next = used + em_width(w) * px + if line.is_empty() { 0.0 } else { space };
                if next > width {
                    break;
                }
                used = next;
                line.push(w.to_string());
                k += 1;
            }
            line
        })
        .collect()
}

/// Chromium style: `cm` maps CSS pixels (top-left origin) to points, and every word is its own
/// glyph run with a flipped `Tm`; no space glyphs. A single column of long lines.
fn skia_page(lines: &[Vec<String>], px: f32, left: f32, top: f32) -> String {
    let mut s = String::from("1 0 0 -1 0 792 cm\n0.75 0 0 0.75 0 0 cm\n");
    let space = em_width(" ") * px;
    for (i, line) in lines.iter().enumerate() {
        let y = top + i as f32 * px * 1.4;
        let mut x = left;
        for w in line {
            s.push_str(&format!(
                "BT /F1 {px} Tf 1 0 0 -1 {x:.2} {y:.2} Tm ({w}) Tj ET\n"
            ));
            x += em_width(w) * px + space;
        }
    }
    s
}

#[test]
fn one_run_per_word_under_a_scaling_cm_reads_as_whole_lines() {
    // 20 lines of 16 px text from x = 96 px to about 600 px (72 pt to 450 pt).
    let lines = prose_lines(20, 504.0, 16.0);
    let pdf = build(&[HELVETICA], &[skia_page(&lines, 16.0, 96.0, 120.0)]);
    let got = blocks(&pdf);
    let words: Vec<String> = lines.iter().flatten().cloned().collect();
    assert_eq!(got.len(), 1, "one paragraph: {got:#?}");
    assert_eq!(got[0].0, BlockType::Paragraph);
    assert_eq!(got[0].1, words.join(" "));
    let b = bbox(&got[0].2);
    assert!((b[0] - 72.0).abs() < 1.0, "{b:?}");
    assert!(
        b[2] > 440.0 && b[2] <= 451.0,
        "the right edge is the lines' end: {b:?}"
    );
}

#[test]
fn tj_offsets_between_words_are_spaces_and_kerning_is_not() {
    // CoreGraphics style: size 1 in Tf, the size in Tm, the page flipped and scaled by cm.
    let content = "1 0 0 -1 0 792 cm 0.75 0 0 0.75 0 0 cm\n\
        BT /F1 1 Tf 16 0 0 -16 96 120 Tm \
        [(W) 60 (ord) -278 (gaps) -600 (made) -278.5 (by) 12 -290 (offsets)] TJ ET\n\
        BT /F1 1 Tf 16 0 0 -16 96 140 Tm [(kern) 80 (ing) -40 (stays) -190 (condensed)] TJ ET";
    let got = blocks(&build(&[HELVETICA], &[content.to_string()]));
    let texts: Vec<&str> = got.iter().map(|b| b.1.as_str()).collect();
    assert_eq!(texts, ["Word gaps made by offsets kerningstays condensed"]);
}

#[test]
fn one_tj_per_word_placed_with_td_is_spaced() {
    // Qt (wkhtmltopdf) style: a flipped stretch Tm, then `dx dy Td (word) Tj` per word.
    let mut s = String::from("0.75 0 0 -0.75 0 792 cm\nBT /F1 16 Tf 1 0 0 -1 0 0 Tm\n");
    let words = ["Every", "word", "is", "placed", "on", "its", "own"];
    let (mut last_x, mut last_y) = (0.0f32, 0.0f32);
    let mut x = 96.0f32;
    for w in words {
        let y = 120.0;
        s.push_str(&format!("{} {} Td ({w}) Tj\n", x - last_x, last_y - y));
        (last_x, last_y) = (x, y);
        x += (em_width(w) + em_width(" ")) * 16.0;
    }
    s.push_str("ET");
    let got = blocks(&build(&[HELVETICA], &[s]));
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].1, words.join(" "));
}

#[test]
fn a_type3_font_measures_its_glyphs_through_its_font_matrix() {
    // Glyph space of 100 units per em; widths 60 (0.6 em); codes are ASCII.
    let type3 = (
        "T3",
        "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 100 100] /FontMatrix [0.01 0 0 0.01 0 0] \
         /CharProcs << >> /Resources << >> /FirstChar 32 /LastChar 122 \
         /Widths [60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 \
         60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 \
         60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 60 \
         60 60 60 60 60 60] >>",
    );
    // Two words a word space (3 pt) apart after "abcdef" (6 x 0.6 x 10 pt = 36 pt wide):
    // measured at 1/1000 the first word would end at 75.6 pt, a column gap away.
    let content = "BT /T3 10 Tf 72 700 Td (abcdef) Tj ET\nBT /T3 10 Tf 111 700 Td (ghij) Tj ET";
    let got = blocks(&build(&[type3], &[content.to_string()]));
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].1, "abcdef ghij");
    let b = bbox(&got[0].2);
    assert!((b[2] - 135.0).abs() < 0.5, "ends at 111 + 24 pt: {b:?}");
}

#[test]
fn a_fixed_pitch_font_known_by_its_flags_keeps_code_and_diagrams() {
    let mono = (
        "F2",
        "<< /Type /Font /Subtype /TrueType /BaseFont /ABCDEF+Iosevka-Term /FirstChar 32 \
         /LastChar 126 /FontDescriptor << /Type /FontDescriptor /FontName /ABCDEF+Iosevka-Term \
         /Flags 33 /ItalicAngle 0 /MissingWidth 600 >> /Encoding /WinAnsiEncoding >>",
    );
    let rows = [
        "+------+     +------+",
        "| ingest | --> | store |",
        "+------+     +------+",
    ];
    let mut s = String::new();
    for (i, r) in rows.iter().enumerate() {
        let y = 700.0 - i as f32 * 12.0;
        s.push_str(&format!("BT /F2 10 Tf 72 {y} Td ({r}) Tj ET\n"));
    }
    let got = blocks(&build(&[mono, HELVETICA], &[s]));
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].0, BlockType::CodeBlock, "{got:#?}");
    for r in rows {
        assert!(got[0].1.contains(r), "{r} in {}", got[0].1);
    }
}

#[test]
fn bullets_painted_as_shapes_make_list_items() {
    // Chromium paints a disc marker as a filled path left of the item's text.
    let mut s = String::from("BT /F1 10 Tf 72 720 Td (Things to bring:) Tj ET\n");
    let items = ["a lamp and a spare wick", "the tide tables", "dry matches"];
    for (i, item) in items.iter().enumerate() {
        let y = 704.0 - i as f32 * 14.0;
        let (cx, cy) = (80.0, y + 3.0);
        s.push_str(&format!(
            "{} {} m {} {} {} {} {} {} c {} {} {} {} {} {} c f\n",
            cx - 2.0,
            cy,
            cx - 2.0,
            cy + 2.7,
            cx + 2.0,
            cy + 2.7,
            cx + 2.0,
            cy,
            cx + 2.0,
            cy - 2.7,
            cx - 2.0,
            cy - 2.7,
            cx - 2.0,
            cy
        ));
        s.push_str(&format!("BT /F1 10 Tf 90 {y} Td ({item}) Tj ET\n"));
    }
    s.push_str("BT /F1 10 Tf 72 650 Td (Then set out.) Tj ET\n");
    let got = blocks(&build(&[HELVETICA], &[s]));
    let kinds: Vec<(BlockType, &str)> = got.iter().map(|b| (b.0, b.1.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (BlockType::Paragraph, "Things to bring:"),
            (BlockType::ListItem, "- a lamp and a spare wick"),
            (BlockType::ListItem, "- the tide tables"),
            (BlockType::ListItem, "- dry matches"),
            (BlockType::Paragraph, "Then set out."),
        ]
    );
}

#[test]
fn a_painted_bullet_item_keeps_its_wrapped_line_and_rules_are_no_bullets() {
    // A square bullet (`re f`) before a two-line item, then a thin rule before a paragraph.
    let s = "76 707 4 4 re f\n\
        BT /F1 10 Tf 90 704 Td (an item long enough to wrap onto) Tj ET\n\
        BT /F1 10 Tf 90 692 Td (a second line) Tj ET\n\
        72 672 200 0.8 re f\n\
        BT /F1 10 Tf 76 660 Td (After the rule.) Tj ET\n";
    let got = blocks(&build(&[HELVETICA], &[s.to_string()]));
    let kinds: Vec<(BlockType, &str)> = got.iter().map(|b| (b.0, b.1.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (
                BlockType::ListItem,
                "- an item long enough to wrap onto a second line"
            ),
            (BlockType::Paragraph, "After the rule."),
        ]
    );
}

#[test]
fn a_to_unicode_map_wins_over_glyph_name_differences() {
    // Skia's Type3 fonts name their glyphs /g0 /g1 ... (no Unicode meaning) and carry the text
    // in a ToUnicode CMap: the CMap must be read, not the names.
    let cmap = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
        /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
        1 begincodespacerange <00> <FF> endcodespacerange\n\
        5 beginbfchar <00> <0048> <01> <0069> <02> <0020> <03> <0079> <04> <006F> endbfchar\n\
        endcmap CMapName currentdict /CMap defineresource pop end end";
    let stream = format!(
        "<< /Length {} >>\nstream\n{cmap}\nendstream",
        cmap.len() + 1
    );
    let type3 = (
        "T3",
        "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] \
         /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << >> /Resources << >> \
         /Encoding << /Type /Encoding /Differences [0 /g0 /g1 /g2 /g3 /g4] >> \
         /FirstChar 0 /LastChar 4 /Widths [722 222 278 500 556] /ToUnicode 3 0 R >>",
    );
    // "Hi yo" as codes 00 01 02 03 04.
    let content = "BT /T3 12 Tf 72 700 Td <0001020304> Tj ET";
    let got = blocks(&build_with(&[stream], &[type3], &[content.to_string()]));
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].1, "Hi yo");
}

#[test]
fn a_type0_identity_font_with_glyph_ids_and_tj_positions_reads_as_text() {
    // Skia's usual text: a Type0 font, Identity-H, two-byte glyph ids mapped by ToUnicode,
    // widths in the descendant's W array, small TJ position fixes inside words, the space
    // glyph dropped and replaced by an offset, under a flipped and scaled page cm.
    let cmap = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
        /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
        1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
        6 beginbfchar <0003> <0074> <0004> <0069> <0005> <0064> <0006> <0065> \
        <0007> <0073> <0008> <0077> endbfchar\n\
        endcmap CMapName currentdict /CMap defineresource pop end end";
    let stream = format!(
        "<< /Length {} >>\nstream\n{cmap}\nendstream",
        cmap.len() + 1
    );
    let descendant = "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /AAAAAA+Arimo \
        /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
        /DW 500 /W [3 [278 222 556 556 500 722]] >>";
    let type0 = format!(
        "<< /Type /Font /Subtype /Type0 /BaseFont /AAAAAA+Arimo /Encoding /Identity-H \
         /DescendantFonts [{descendant}] /ToUnicode 3 0 R >>"
    );
    // "tides" -250 "wide" under the flip: glyphs t i d e s, a dropped space, w i d e.
    let content = "1 0 0 -1 0 792 cm 0.75 0 0 0.75 0 0 cm\n\
        BT /F0 16 Tf 1 0 0 -1 96 120 Tm \
        [<00030004> 4 <000500060007> -250 <0008> -6 <000400050006>] TJ ET";
    let got = blocks(&build_with(
        &[stream],
        &[("F0", &type0)],
        &[content.to_string()],
    ));
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].1, "tides wide");
}

#[test]
fn two_columns_of_one_run_per_word_read_column_by_column() {
    // CSS columns: the same per-word runs, two columns 36 px apart; each column reads whole.
    let left = prose_lines(14, 230.0, 16.0);
    let right: Vec<Vec<String>> = prose_lines(28, 230.0, 16.0).split_off(14);
    let mut page = skia_page(&left, 16.0, 96.0, 120.0);
    page.push_str(
        &skia_page(&right, 16.0, 362.0, 120.0)
            .replace("1 0 0 -1 0 792 cm\n0.75 0 0 0.75 0 0 cm\n", ""),
    );
    let got = blocks(&build(&[HELVETICA], &[page]));
    let texts: Vec<String> = got.iter().map(|b| b.1.clone()).collect();
    let words = |ls: &[Vec<String>]| ls.iter().flatten().cloned().collect::<Vec<_>>().join(" ");
    assert_eq!(texts, [words(&left), words(&right)]);
}

#[test]
fn a_tagged_pdfs_structure_tree_is_not_loaded_and_its_text_still_reads() {
    // Chromium writes a structure element per HTML element; the reader never needs them.
    let extra = [
        "<< /Type /StructTreeRoot /K 4 0 R >>".to_string(),
        "<< /Type /StructElem /S /P /P 3 0 R /K 0 >>".to_string(),
    ];
    let content = "BT /F1 12 Tf 72 700 Td (Tagged text reads.) Tj ET".to_string();
    let pdf = build_with(&extra, &[HELVETICA], &[content]);
    let doc = super::load(&pdf).unwrap();
    assert!(
        doc.get_object((4, 0)).is_err(),
        "the StructElem is not loaded"
    );
    assert!(doc.get_object((3, 0)).is_ok(), "other objects are");
    assert_eq!(doc.get_pages().len(), 1);
    let got = blocks(&pdf);
    assert_eq!(got[0].1, "Tagged text reads.");
}

#[test]
fn a_font_shared_by_pages_is_loaded_once() {
    let page = |t: &str| format!("BT /F1 12 Tf 72 700 Td ({t}) Tj ET");
    let pdf = build(&[HELVETICA], &[page("One."), page("Two.")]);
    let doc = super::load(&pdf).unwrap();
    let mut cache = super::FontCache::new();
    for (&number, &id) in &doc.get_pages() {
        let (page, _) = super::read_page(&doc, number, id, &mut cache).unwrap();
        assert_eq!(page.spans.len(), 1);
    }
    assert_eq!(cache.len(), 1, "one font dictionary, one load");
}
