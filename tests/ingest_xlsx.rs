//! Issue 25 items 2 and 4: XLSX ingest (calamine) and bad PPTX/XLSX input. One heading per
//! visible sheet, then the used range as CSV is read (header row + rows), cached formula
//! values, ISO 8601 dates, merged cells once, locator `{type: "sheet", sheet, row}`, hidden
//! sheets skipped and counted. Truncated files, zip bombs, encrypted workbooks and oversized
//! sheets are refused by name and write nothing. Through a real redb store.

#![cfg(feature = "xlsx")]

mod office;

use std::path::{Path, PathBuf};

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::Locator;
use blockwise::store::Store;
use office::*;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn refused(path: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let before = store.fingerprint().unwrap();
    let err = ingest_path(&store, path, IngestLimits::default())
        .unwrap_err()
        .to_string();
    assert_eq!(store.fingerprint().unwrap(), before, "nothing written");
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(err.contains(&name), "{err}");
    err
}

fn cells(list: &[(&str, &str)]) -> String {
    list.iter()
        .map(|(r, body)| format!(r#"<c r="{r}"{body}</c>"#))
        .collect()
}

fn workbook() -> Vec<u8> {
    let sales = sheet_xml(
        &[
            (
                1,
                cells(&[
                    ("A1", r#" t="s"><v>0</v>"#),
                    ("B1", r#" t="s"><v>1</v>"#),
                    ("C1", r#" t="s"><v>2</v>"#),
                ]),
            ),
            (
                2,
                cells(&[
                    ("A2", r#" t="s"><v>3</v>"#),
                    ("B2", "><v>10</v>"),
                    ("C2", r#" s="1"><v>45943</v>"#),
                ]),
            ),
            (
                3,
                cells(&[
                    ("A3", r#" t="inlineStr"><is><t>South</t></is>"#),
                    ("B3", "><f>B2*2</f><v>20</v>"),
                    ("C3", r#" s="2"><v>45943.5</v>"#),
                ]),
            ),
            (4, cells(&[("A4", r#" s="0">"#)])),
            (
                5,
                cells(&[
                    ("A5", r#" t="s"><v>4</v>"#),
                    ("B5", r#" s="0">"#),
                    ("C5", r#" t="e"><f>1/0</f><v>#DIV/0!</v>"#),
                ]),
            ),
        ],
        r#"<mergeCells count="1"><mergeCell ref="A5:B5"/></mergeCells>"#,
    );
    let hidden = sheet_xml(
        &[(
            1,
            cells(&[("A1", r#" t="inlineStr"><is><t>secret</t></is>"#)]),
        )],
        "",
    );
    let notes = sheet_xml(
        &[(
            3,
            cells(&[
                ("D3", r#" t="inlineStr"><is><t>solo</t></is>"#),
                ("G3", r#" t="inlineStr"><is><t>x|y</t></is>"#),
            ]),
        )],
        "",
    );
    xlsx(
        &[
            ("Sales", "", sales),
            ("Hidden", "hidden", hidden),
            ("Notes", "", notes),
        ],
        &["Region", "Amount", "Date", "North", "Total"],
    )
}

#[test]
fn sheets_become_a_heading_and_rows_with_cached_values_and_iso_dates() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "book.xlsx", &workbook());
    let s = tempfile::tempdir().unwrap();
    let store = Store::open(&s.path().join("s.redb")).unwrap();
    let rep = ingest_path(&store, &path, IngestLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(store.check().unwrap().ok());
    let blocks = store.blocks(&rep.document.conv_uid).unwrap();
    let got: Vec<(&str, &str, String, u32)> = blocks
        .iter()
        .map(|b| {
            let Locator::Sheet { sheet, row, .. } = &b.block_locator else {
                panic!("{:?}", b.block_locator)
            };
            (
                b.block_type.as_str(),
                b.block_content.as_str(),
                sheet.clone(),
                *row,
            )
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        got,
        [
            ("heading", "## Sales", s("Sales"), 1),
            (
                "table",
                "| Region | Amount | Date |\n| --- | --- | --- |",
                s("Sales"),
                1
            ),
            ("table", "| North | 10 | 2025-10-13 |", s("Sales"), 2),
            (
                "table",
                "| South | 20 | 2025-10-13T12:00:00 |",
                s("Sales"),
                3
            ),
            ("table", "| Total |  | #DIV/0! |", s("Sales"), 5),
            ("heading", "## Notes", s("Notes"), 3),
            (
                "table",
                "| solo |  |  | x\\|y |\n| --- | --- | --- | --- |",
                s("Notes"),
                3
            ),
        ]
    );
    // Rows of a sheet sit on consecutive lines: the rendering is one Markdown table per sheet.
    assert_eq!(blocks[2].separator_after, "\n");
    let hidden = rep.document.hidden_skipped.as_ref().unwrap();
    assert_eq!((hidden.count, hidden.kind.as_str()), (1, "sheets"));
    assert!(blocks.iter().all(|b| !b.block_content.contains("secret")));
    let json = serde_json::to_value(&blocks[2].block_locator).unwrap();
    assert_eq!(
        (json["type"].as_str(), json["row"].as_u64()),
        (Some("sheet"), Some(2))
    );
}

#[test]
fn two_cells_a_million_rows_apart_cost_two_rows_not_a_dense_range() {
    let dir = tempfile::tempdir().unwrap();
    let far = sheet_xml(
        &[
            (1, cells(&[("A1", r#" t="inlineStr"><is><t>top</t></is>"#)])),
            (
                1_048_576,
                cells(&[("XFD1048576", r#" t="inlineStr"><is><t>corner</t></is>"#)]),
            ),
        ],
        "",
    );
    let path = write(dir.path(), "far.xlsx", &xlsx(&[("Far", "", far)], &[]));
    let s = tempfile::tempdir().unwrap();
    let store = Store::open(&s.path().join("s.redb")).unwrap();
    let started = std::time::Instant::now();
    let err = ingest_path(&store, &path, IngestLimits::default());
    // 16,384 columns by two rows: refused as too wide, or rendered; never a dense grid.
    match err {
        Ok(rep) => {
            let blocks = store.blocks(&rep.document.conv_uid).unwrap();
            assert_eq!(blocks.len(), 3);
            assert_eq!(blocks[2].block_locator, blocks[2].block_locator.clone());
            assert!(blocks[2].block_content.ends_with("| corner |"));
        }
        Err(e) => panic!("{e}"),
    }
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn bad_office_files_are_refused_by_name_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = workbook();
    let e = refused(&write(d, "cut.xlsx", &good[..good.len() / 2]));
    assert!(e.contains("damaged or truncated XLSX"), "{e}");
    let deck = pptx(
        &[slide(
            &[text_shape(2, Some("title"), &[(0, "", "T")])],
            false,
        )],
        &[],
    );
    let e = refused(&write(d, "cut.pptx", &deck[..deck.len() - 30]));
    assert!(e.contains("damaged or truncated PPTX"), "{e}");
    let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    cfb.resize(4096, 0);
    let e = refused(&write(d, "locked.xlsx", &cfb));
    assert!(e.contains("password-protected"), "{e}");
    let e = refused(&write(d, "locked.pptx", &cfb));
    assert!(e.contains("password-protected"), "{e}");
    let e = refused(&write(d, "notzip.xlsx", b"just text, no zip"));
    assert!(
        e.contains("not a XLSX file") || e.contains("not an XLSX file"),
        "{e}"
    );
    let e = refused(&write(
        d,
        "empty.xlsx",
        &xlsx(&[("Blank", "", sheet_xml(&[], ""))], &[]),
    ));
    assert!(e.contains("no cells with values"), "{e}");
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // 300 MiB of one byte deflates to well under a megabyte.
    let bomb = {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opt = zip::write::SimpleFileOptions::default().large_file(true);
        zip.start_file("xl/sharedStrings.xml", opt).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..300 {
            zip.write_all(&chunk).unwrap();
        }
        zip.finish().unwrap().into_inner()
    };
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    for name in ["bomb.xlsx", "bomb.pptx"] {
        let e = refused(&write(dir.path(), name, &bomb));
        assert!(e.contains("refused as a zip bomb"), "{e}");
    }
}

#[test]
fn a_sheet_with_excels_full_1048576_rows_is_refused_by_the_row_cap() {
    let dir = tempfile::tempdir().unwrap();
    // Rows and cells without `r` attributes (allowed; Excel numbers them in order) keep the
    // stored file under the 50 MiB default size limit.
    let body = "<row><c><v>7</v></c></row>".repeat(1_048_576);
    let xml = format!(
        r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>"#
    );
    let path = write(
        dir.path(),
        "full.xlsx",
        &xlsx(&[("Full", "", xml.into_bytes())], &[]),
    );
    let e = refused(&path);
    assert!(
        e.contains("more than 1000000 rows") && e.contains("sheet 'Full' reaches row 1000001"),
        "{e}"
    );
}
