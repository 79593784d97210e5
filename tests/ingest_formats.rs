//! Ingest of HTML, CSV/TSV, DOCX, EPUB and PDF (issue 15) on the fixtures in `fixtures/<format>/`,
//! each checked against its `.expected.json` (block types, order, content, locators, and the
//! document record's title, type counts and CSV header), through a real redb store.
//!
//! The expected files were written by `BLOCKWISE_BLESS=1 cargo test --test ingest_formats` and
//! then read and corrected by hand; a mismatch prints both sides.

use std::path::{Path, PathBuf};

use blockwise::ingest::{ingest_path, markdown_drafts, prepare_path, IngestLimits, Prepared};
use blockwise::model::{BlockType, Locator};
use blockwise::store::Store;
use serde_json::{json, Value};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// Source files of a format directory (not the expected files, not the bad ones).
fn sources(dir: &str, ext: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ext.contains(&e))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {dir}");
    files
}

fn prepare(path: &Path) -> Prepared {
    prepare_path(path, IngestLimits::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// What a fixture is checked against: the record fields that depend on the content, and every
/// block with its type, content and full locator.
fn observed(p: &Prepared) -> Value {
    let blocks: Vec<Value> = p
        .blocks()
        .iter()
        .map(|b| {
            json!({
                "type": b.block_type.as_str(),
                "content": b.block_content,
                "locator": serde_json::to_value(&b.block_locator).unwrap(),
            })
        })
        .collect();
    json!({
        "title": p.document.title,
        "representation_type": p.document.representation_type,
        "block_type_freq": p.document.block_type_freq,
        "table_header": p.document.table_header,
        "blocks": blocks,
    })
}

fn expected_path(source: &Path) -> PathBuf {
    let mut name = source.file_name().unwrap().to_os_string();
    name.push(".expected.json");
    source.with_file_name(name)
}

/// Compare a fixture with its expected blocks (or write them when blessing).
fn check_expected(source: &Path) -> Prepared {
    let p = prepare(source);
    let got = observed(&p);
    let exp_path = expected_path(source);
    if std::env::var_os("BLOCKWISE_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
        std::fs::write(&exp_path, text).unwrap();
    }
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(&exp_path)
            .unwrap_or_else(|e| panic!("{}: {e}", exp_path.display())),
    )
    .unwrap();
    let (gb, wb) = (
        got["blocks"].as_array().unwrap(),
        want["blocks"].as_array().unwrap(),
    );
    for (i, (g, w)) in gb.iter().zip(wb).enumerate() {
        assert_eq!(g, w, "{}: block {i} differs", source.display());
    }
    assert_eq!(gb.len(), wb.len(), "{}: block count", source.display());
    assert_eq!(got, want, "{}: document fields differ", source.display());
    p
}

/// Shared invariants of every rendered format: blocks are ordered, non-overlapping ranges of
/// the representation; the representation is blocks + separators; for a Markdown
/// representation, parsing it as Markdown finds the same block ranges (so the Markdown rebuild
/// export is a faithful Markdown document).
fn check_representation(p: &Prepared, source: &Path) {
    let blocks = p.blocks();
    let mut rebuilt = p.document.leading_whitespace.clone();
    let mut prev_end = 0;
    for b in &blocks {
        let (s, e) = b.block_locator.range();
        assert!(s >= prev_end && e > s, "{}: ranges", source.display());
        prev_end = e;
        assert_eq!(b.block_content, p.text[s as usize..e as usize]);
        assert!(b.block_locator.is_source_specific());
        rebuilt.push_str(&b.block_content);
        rebuilt.push_str(&b.separator_after);
    }
    assert_eq!(rebuilt, p.text, "{}: rebuild", source.display());
    if p.document.representation_type == "markdown" {
        let md = markdown_drafts(&p.text);
        let md_ranges: Vec<(usize, usize)> = md.blocks.iter().map(|d| (d.start, d.end)).collect();
        let ranges: Vec<(usize, usize)> = p.drafts.iter().map(|d| (d.start, d.end)).collect();
        assert_eq!(
            md_ranges,
            ranges,
            "{}: the rendering does not read back as the same Markdown blocks",
            source.display()
        );
    }
}

/// Ingest into a real store: blocks read back equal (locators included), ids are
/// deterministic, and a second ingest writes nothing.
fn check_store_round_trip(source: &Path, p: &Prepared) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let first = ingest_path(&store, source, IngestLimits::default()).unwrap();
    assert!(first.created);
    assert_eq!(
        first.document.conv_uid, p.document.conv_uid,
        "deterministic ids"
    );
    assert_eq!(first.document.source_uid, p.document.source_uid);
    assert_eq!(
        first.document.source_filesize,
        std::fs::metadata(source).unwrap().len()
    );
    let stored = store.blocks(&p.document.conv_uid).unwrap();
    assert_eq!(stored, p.blocks(), "{}: stored blocks", source.display());
    let before = store.fingerprint().unwrap();
    let again = ingest_path(&store, source, IngestLimits::default()).unwrap();
    assert!(!again.created, "re-ingest returns the existing document");
    assert_eq!(again.document, first.document);
    assert_eq!(
        store.fingerprint().unwrap(),
        before,
        "re-ingest wrote nothing"
    );
    assert_eq!(store.list_documents().unwrap().len(), 1);
}

fn check_format(dir: &str, ext: &[&str]) -> Vec<Prepared> {
    sources(dir, ext)
        .iter()
        .map(|src| {
            let p = check_expected(src);
            check_representation(&p, src);
            check_store_round_trip(src, &p);
            p
        })
        .collect()
}

/// A bad file: a clear error naming the file and the reason, and an untouched store.
fn check_refused(path: &Path, reason: &str) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let before = store.fingerprint().unwrap();
    let err = ingest_path(&store, path, IngestLimits::default())
        .unwrap_err()
        .to_string();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(err.contains(&name), "error does not name the file: {err}");
    assert!(
        err.to_lowercase().contains(&reason.to_lowercase()),
        "error for {name} does not say '{reason}': {err}"
    );
    assert_eq!(
        store.fingerprint().unwrap(),
        before,
        "{name}: store changed"
    );
}

fn locator_paths(p: &Prepared) -> Vec<String> {
    p.blocks()
        .iter()
        .filter_map(|b| match &b.block_locator {
            Locator::HtmlElement { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn html_fixtures_match_their_expected_blocks() {
    let docs = check_format("html", &["html", "htm"]);
    let article = &docs[0];
    // Page chrome is gone: nothing from the nav, cookie banner, share box, related posts,
    // site footer or scripts reached a block.
    for b in article.blocks() {
        for chrome in [
            "Skip to content",
            "cookies",
            "Archive",
            "Share this",
            "Related",
            "rights reserved",
            "dataLayer",
        ] {
            assert!(
                !b.block_content.contains(chrome),
                "chrome '{chrome}' kept: {}",
                b.block_content
            );
        }
    }
    // Each locator's source range holds the element's own markup.
    let raw = std::fs::read_to_string(&sources("html", &["html"])[0]).unwrap();
    for b in article.blocks() {
        let Locator::HtmlElement {
            path,
            source_start,
            source_end,
            ..
        } = &b.block_locator
        else {
            panic!("not an HTML locator")
        };
        let markup = &raw[*source_start as usize..*source_end as usize];
        let leaf = path.rsplit('/').next().unwrap();
        let tag = leaf.split('[').next().unwrap();
        assert!(markup.starts_with(&format!("<{tag}")), "{path}: {markup}");
    }
    assert!(locator_paths(article)
        .iter()
        .all(|p| p.starts_with("/html/body/main")));
}

#[test]
fn csv_and_tsv_fixtures_match_their_expected_blocks() {
    let docs = check_format("csv", &["csv", "tsv"]);
    for p in &docs {
        let header = p
            .document
            .table_header
            .as_ref()
            .expect("header on the record");
        assert!(!header.is_empty());
        // No row repeats the header: it is on the record, not a block.
        let header_line = header.join(",");
        assert!(p.blocks().iter().all(|b| b.block_content != header_line));
    }
}

#[test]
fn bad_html_and_csv_are_refused_by_name_and_change_nothing() {
    check_refused(&fixture("bad/only-chrome.html"), "no readable text");
    check_refused(&fixture("bad/header-only.csv"), "no data rows");
    // Undeclared Latin-1 now decodes as windows-1252 (tests/ingest_encodings.rs); an unknown
    // declared charset is refused by name.
    check_refused(
        &fixture("bad/unknown-charset.html"),
        "\"x-mac-klingon\", which is not a known encoding",
    );
}

#[test]
fn docx_fixture_matches_its_expected_blocks() {
    let docs = check_format("docx", &["docx"]);
    let p = &docs[0];
    // Footnotes come from word/footnotes.xml, body blocks from word/document.xml.
    let parts: Vec<String> = p
        .blocks()
        .iter()
        .filter_map(|b| match &b.block_locator {
            Locator::DocxParagraph { part, .. } => Some(part.clone()),
            _ => None,
        })
        .collect();
    assert!(parts.iter().any(|x| x == "word/footnotes.xml"));
    assert!(parts.iter().any(|x| x == "word/document.xml"));
}

#[test]
fn bad_docx_files_are_refused_by_name_and_change_nothing() {
    check_refused(&fixture("bad/truncated.docx"), "truncated");
    check_refused(&fixture("bad/password.docx"), "password-protected");
    check_refused(&fixture("bad/not-a-zip.docx"), "not a zip archive");
}

#[test]
fn epub_fixture_reads_chapters_in_spine_order() {
    let docs = check_format("epub", &["epub"]);
    let p = &docs[0];
    let mut parts: Vec<String> = Vec::new();
    for b in p.blocks() {
        let Locator::HtmlElement {
            part: Some(part), ..
        } = &b.block_locator
        else {
            panic!("EPUB block without its chapter: {:?}", b.block_locator)
        };
        if parts.last() != Some(part) {
            parts.push(part.clone());
        }
    }
    assert_eq!(
        parts,
        [
            "EPUB/chap_01.xhtml",
            "EPUB/chap_02.xhtml",
            "EPUB/chap_03.xhtml"
        ],
        "one run of blocks per chapter, in spine order, navigation skipped"
    );
    check_refused(&fixture("bad/truncated.epub"), "truncated");
}

#[test]
fn pdf_fixture_matches_its_expected_blocks() {
    let docs = check_format("pdf", &["pdf"]);
    let p = &docs[0];
    for b in p.blocks() {
        let Locator::PdfBox { page, bbox, .. } = &b.block_locator else {
            panic!("PDF block without a page box")
        };
        assert!(*page >= 1);
        assert!(bbox[0] < bbox[2] && bbox[1] < bbox[3], "{bbox:?}");
        // Running header and page numbers are typed as page furniture (issue 25), not body.
        let furniture = matches!(b.block_type, BlockType::PageHeader | BlockType::PageFooter);
        if b.block_content.starts_with("Page ") || b.block_content.contains("Annual Report 2023 -")
        {
            assert!(furniture, "{b:?}");
        }
    }
    let pages = p
        .blocks()
        .iter()
        .filter_map(|b| match &b.block_locator {
            Locator::PdfBox { page, .. } => Some(*page),
            _ => None,
        })
        .max()
        .unwrap();
    let footers = p
        .blocks()
        .iter()
        .filter(|b| b.block_type == BlockType::PageFooter)
        .count();
    assert_eq!(
        footers as u32, pages,
        "a page_footer (page number) on every page"
    );
    // "doc-<br/>ument" was set as a hyphenated line end in the source.
    assert!(p.text.contains("the document planning"));
    // Two columns: the left column is read to its end before the right one starts.
    let news = docs
        .iter()
        .find(|d| d.document.file_name == "two-column-newsletter.pdf")
        .expect("two-column fixture");
    let items: Vec<usize> = news
        .blocks()
        .iter()
        .filter_map(|b| {
            let rest = b.block_content.strip_prefix("Item ")?;
            rest.split(':').next()?.parse().ok()
        })
        .collect();
    let mut sorted = items.clone();
    sorted.sort_unstable();
    assert_eq!(items, sorted, "items out of reading order");
}

#[test]
fn bad_pdfs_are_refused_by_name_and_change_nothing() {
    check_refused(&fixture("bad/truncated.pdf"), "truncated");
    check_refused(&fixture("bad/garbage.pdf"), "damaged");
    check_refused(&fixture("bad/scan.pdf"), "OCR is needed");
    check_refused(
        &fixture("bad/encrypted.pdf"),
        "encrypted and needs a password",
    );
}
