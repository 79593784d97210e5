//! The PPTX/XLSX files `cargo bench --bench ingest_formats` generates are OOXML packages that
//! other readers accept (issue 25): python-pptx and openpyxl refused them for want of
//! `[Content_Types].xml`, so the reference ratios were never measured. Checked here without
//! Python: the package parts a reader opens first, a content type for every part, and our own
//! ingest of the same files.

#[path = "../benches/common/formats.rs"]
mod formats;
#[path = "../benches/common/office.rs"]
mod office;

use std::io::Read;

fn parts(bytes: &[u8]) -> Vec<(String, String)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            (f.name().unwrap().to_string(), s)
        })
        .collect()
}

/// Every part has a content type (an Override, or the `rels` Default), the package relationship
/// names `main` as the office document, and `main` is typed `main_type`.
fn assert_package(bytes: &[u8], main: &str, main_type: &str) {
    let parts = parts(bytes);
    let get = |n: &str| parts.iter().find(|(p, _)| p == n).map(|(_, s)| s.as_str());
    let types = get("[Content_Types].xml").expect("[Content_Types].xml");
    let rels = get("_rels/.rels").expect("_rels/.rels");
    assert!(rels.contains(&format!(
        "/relationships/officeDocument\" Target=\"{main}\""
    )));
    assert!(types.contains(&format!("PartName=\"/{main}\" ContentType=\"{main_type}\"")));
    assert!(types.contains("<Default Extension=\"rels\""));
    for (name, _) in &parts {
        let typed = name.ends_with(".rels")
            || name == "[Content_Types].xml"
            || types.contains(&format!("PartName=\"/{name}\""));
        assert!(typed, "{name} has no content type");
    }
}

fn ingest(name: &str, bytes: &[u8]) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let store = blockwise::store::Store::open(&dir.path().join("s.redb")).unwrap();
    let limits = blockwise::ingest::IngestLimits::default();
    let rep = blockwise::ingest::ingest_path(&store, &path, limits).unwrap();
    u64::from(rep.document.total_blocks)
}

#[test]
fn the_bench_deck_is_a_package_with_content_types_and_still_ingests() {
    let deck = office::pptx(3);
    let main = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml";
    assert_package(&deck, "ppt/presentation.xml", main);
    let presentation = parts(&deck)
        .into_iter()
        .find(|(n, _)| n == "ppt/presentation.xml")
        .unwrap()
        .1;
    assert!(presentation.contains("<p:notesSz "), "notesSz is required");
    // 3 slides: title, 4 bullets, a table and a note each.
    assert_eq!(ingest("deck.pptx", &deck), 3 * 7);
}

#[cfg(feature = "xlsx")]
#[test]
fn the_bench_workbook_is_a_package_with_content_types_and_still_ingests() {
    let book = office::xlsx(10);
    let main = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
    assert_package(&book, "xl/workbook.xml", main);
    let styles = parts(&book)
        .into_iter()
        .find(|(n, _)| n == "xl/styles.xml")
        .unwrap()
        .1;
    assert!(
        styles.contains("<cellStyle name=\"Normal\""),
        "a default style"
    );
    assert!(ingest("sheet.xlsx", &book) > 0);
}
