//! Issue 25 item 3: HTML, XHTML and EPUB honour a BOM, `<meta charset>`, `http-equiv` and the XML
//! declaration (WHATWG windows-1252 default for legacy HTML); text and Markdown accept UTF-8 and
//! BOM-marked UTF-16; an unknown declared charset is refused by name and writes nothing. Every
//! file is generated here and ingested into a real redb store.

use std::io::Write;
use std::path::{Path, PathBuf};

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::store::Store;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Ingest `path` into a fresh store; the store's own check and text verification pass; return
/// the block contents.
fn ingest_contents(path: &Path) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let report =
        ingest_path(&store, path, IngestLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    store.verify_document_text(&report.document).unwrap();
    let check = store.check().unwrap();
    assert!(check.ok(), "{}: {check:?}", path.display());
    let again = ingest_path(&store, path, IngestLimits::default()).unwrap();
    assert!(!again.created, "re-ingest is idempotent");
    store
        .blocks(&report.document.conv_uid)
        .unwrap()
        .into_iter()
        .map(|b| b.block_content)
        .collect()
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

#[test]
fn html_honours_each_charset_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "meta.html",
            b"<html><head><meta charset=\"iso-8859-1\"></head><body><p>Caf\xe9 cr\xe8me</p></body></html>".to_vec(),
            "Caf\u{e9} cr\u{e8}me",
        ),
        (
            "equiv.html",
            b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\"></head><body><p>\xcf\xf0\xe8\xe2\xe5\xf2</p></body></html>".to_vec(),
            "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}",
        ),
        (
            "decl.xhtml",
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>Price \xa4 5</p></body></html>".to_vec(),
            "Price \u{20ac} 5",
        ),
        (
            "legacy.html",
            b"<html><body><p>\x93quoted\x94 na\xefve</p></body></html>".to_vec(),
            "\u{201c}quoted\u{201d} na\u{ef}ve",
        ),
        (
            "bom.html",
            b"\xef\xbb\xbf<html><head><meta charset=\"latin1\"></head><body><p>\xc3\xa9t\xc3\xa9</p></body></html>".to_vec(),
            "\u{e9}t\u{e9}",
        ),
    ];
    for (name, bytes, want) in cases {
        let got = ingest_contents(&write(d, name, &bytes));
        assert_eq!(got, vec![want.to_string()], "{name}");
    }
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(
        "<html><body><p>\u{3b1}\u{3b2}\u{3b3}</p></body></html>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    assert_eq!(
        ingest_contents(&write(d, "utf16.html", &utf16)),
        ["\u{3b1}\u{3b2}\u{3b3}"]
    );
}

#[test]
fn unknown_or_broken_declared_charsets_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = refused(&write(
        d,
        "klingon.html",
        b"<meta charset=\"x-klingon-1\"><p>qapla'</p>",
    ));
    assert!(
        e.contains("x-klingon-1") && e.contains("not a known encoding"),
        "{e}"
    );
    let e = refused(&write(
        d,
        "bad.html",
        b"<meta charset=\"utf-8\"><p>caf\xe9</p>",
    ));
    assert!(
        e.contains("not valid UTF-8") && e.contains("offset 28"),
        "{e}"
    );
}

#[test]
fn text_and_markdown_accept_utf8_bom_and_bom_marked_utf16() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let md = "# Titre \u{e9}t\u{e9}\n\nUn paragraphe.\n";
    let mut le = vec![0xff, 0xfe];
    le.extend(md.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xfe, 0xff];
    be.extend(md.encode_utf16().flat_map(u16::to_be_bytes));
    let mut bom8 = b"\xef\xbb\xbf".to_vec();
    bom8.extend(md.as_bytes());
    let want = ["# Titre \u{e9}t\u{e9}", "Un paragraphe."];
    for (name, bytes) in [("le.md", &le), ("be.txt", &be), ("bom8.md", &bom8)] {
        assert_eq!(ingest_contents(&write(d, name, bytes)), want, "{name}");
    }
    // Without a BOM, UTF-16 and Latin-1 are still refused as before, naming what and where.
    let bare: Vec<u8> = md.encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert!(refused(&write(d, "bare16.md", &bare)).contains("UTF-16"));
    let e = refused(&write(d, "latin.txt", b"caf\xe9\n"));
    assert!(e.contains("offset 3"), "{e}");
    let mut lone = vec![0xff, 0xfe];
    lone.extend([b'a', 0, 0x00, 0xd8, b'b', 0]);
    let e = refused(&write(d, "surrogate.md", &lone));
    assert!(e.contains("UTF-16LE") && e.contains("offset 4"), "{e}");
}

#[test]
fn epub_chapters_honour_their_xml_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opt = zip::write::SimpleFileOptions::default();
    let mut add = |name: &str, bytes: &[u8]| {
        zip.start_file(name, opt).unwrap();
        zip.write_all(bytes).unwrap();
    };
    add("mimetype", b"application/epub+zip");
    add(
        "META-INF/container.xml",
        b"<?xml version=\"1.0\"?><container><rootfiles><rootfile full-path=\"OEBPS/p.opf\"/></rootfiles></container>",
    );
    add(
        "OEBPS/p.opf",
        b"<?xml version=\"1.0\"?><package><manifest><item id=\"c1\" href=\"c1.xhtml\" media-type=\"application/xhtml+xml\"/></manifest><spine><itemref idref=\"c1\"/></spine></package>",
    );
    add(
        "OEBPS/c1.xhtml",
        b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>\x93Ol\xe9\x94</p></body></html>",
    );
    let bytes = zip.finish().unwrap().into_inner();
    let got = ingest_contents(&write(dir.path(), "legacy.epub", &bytes));
    assert_eq!(got, ["\u{201c}Ol\u{e9}\u{201d}"]);
}
