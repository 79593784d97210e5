//! Issue 25 item 1: PPTX ingest. Slides in presentation order, titles as headings, body text as
//! paragraphs and list items with their level, tables as GFM, pictures and charts as figures
//! with alt text, speaker notes as `other` blocks marked as notes, hidden slides skipped and
//! counted; locator `{type: "pptx", slide, shape}`. Through a real redb store.

mod office;

use std::path::{Path, PathBuf};

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{Block, Document, Locator};
use blockwise::store::Store;
use office::*;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn ingest(path: &Path) -> (Document, Vec<Block>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let rep = ingest_path(&store, path, IngestLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(store.check().unwrap().ok());
    let blocks = store.blocks(&rep.document.conv_uid).unwrap();
    (rep.document, blocks)
}

fn deck() -> Vec<u8> {
    let s1 = slide(
        &[
            text_shape(3, Some("subTitle"), &[(0, "", "Second quarter")]),
            text_shape(2, Some("ctrTitle"), &[(0, "", "Quarterly Plan")]),
        ],
        false,
    );
    let s2 = slide(
        &[
            text_shape(2, Some("title"), &[(0, "", "Goals &amp; risks")]),
            text_shape(
                3,
                Some("body"),
                &[
                    (0, "", "Grow revenue"),
                    (1, "", "In the north"),
                    (0, "<a:buNone/>", "A plain closing line."),
                ],
            ),
            text_shape(
                4,
                None,
                &[
                    (0, "", "# not a heading"),
                    (0, r#"<a:buAutoNum type="arabicPeriod"/>"#, "First step"),
                    (0, r#"<a:buAutoNum type="arabicPeriod"/>"#, "Second step"),
                ],
            ),
        ],
        false,
    );
    let s3 = slide(&[text_shape(2, Some("title"), &[(0, "", "Secret")])], true);
    let s4 = slide(
        &[
            text_shape(2, Some("title"), &[(0, "", "Numbers")]),
            table_shape(5, &[&["Region", "Sales"], &["North", "10 | 12"]]),
            picture(6, "A bar of [gold]"),
            chart(7, "Chart 7"),
        ],
        false,
    );
    pptx(
        &[s1, s2, s3, s4],
        &[
            None,
            Some(notes("Mention the north first.")),
            Some(notes("hidden notes")),
            None,
        ],
    )
}

#[test]
fn slides_become_typed_blocks_in_presentation_order() {
    let dir = tempfile::tempdir().unwrap();
    let (doc, blocks) = ingest(&write(dir.path(), "plan.pptx", &deck()));
    let got: Vec<(&str, &str)> = blocks
        .iter()
        .map(|b| (b.block_type.as_str(), b.block_content.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("heading", "# Quarterly Plan"),
            ("paragraph", "Second quarter"),
            ("heading", "## Goals & risks"),
            ("list_item", "- Grow revenue"),
            ("list_item", "  - In the north"),
            ("paragraph", "A plain closing line."),
            ("paragraph", "\\# not a heading"),
            ("list_item", "1. First step"),
            ("list_item", "2. Second step"),
            ("other", "Notes: Mention the north first."),
            ("heading", "## Numbers"),
            (
                "table",
                "| Region | Sales |\n| --- | --- |\n| North | 10 \\| 12 |"
            ),
            ("figure", "![A bar of gold](picture)"),
            ("figure", "![Chart 7](chart)"),
        ]
    );
    assert_eq!(doc.title, "Quarterly Plan");
    assert_eq!(doc.source_type, "pptx");
    let hidden = doc.hidden_skipped.as_ref().unwrap();
    assert_eq!((hidden.count, hidden.kind.as_str()), (1, "slides"));
    let locs: Vec<(u32, u32, bool)> = blocks
        .iter()
        .map(|b| match &b.block_locator {
            Locator::Pptx {
                slide,
                shape,
                notes,
                ..
            } => (*slide, *shape, *notes),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        locs,
        [
            (1, 2, false),
            (1, 3, false),
            (2, 2, false),
            (2, 3, false),
            (2, 3, false),
            (2, 3, false),
            (2, 4, false),
            (2, 4, false),
            (2, 4, false),
            (2, 3, true),
            (4, 2, false),
            (4, 5, false),
            (4, 6, false),
            (4, 7, false),
        ]
    );
    let json = serde_json::to_value(&blocks[9].block_locator).unwrap();
    assert_eq!(json["type"], "pptx");
    assert_eq!(json["notes"], true);
    assert!(serde_json::to_value(&blocks[0].block_locator)
        .unwrap()
        .get("notes")
        .is_none());
}

#[test]
fn an_all_hidden_or_empty_deck_is_refused_with_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let only_hidden = pptx(
        &[slide(
            &[text_shape(2, Some("title"), &[(0, "", "x")])],
            true,
        )],
        &[],
    );
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let before = store.fingerprint().unwrap();
    let err = ingest_path(
        &store,
        &write(dir.path(), "h.pptx", &only_hidden),
        IngestLimits::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("h.pptx") && err.contains("1 hidden slides skipped"),
        "{err}"
    );
    assert_eq!(store.fingerprint().unwrap(), before);
}
