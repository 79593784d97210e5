//! Issue 20 item 4: deeply nested HTML never stalls or overflows the stack. Up to
//! `MAX_DEPTH` (512) levels every text is kept; deeper is refused naming the file and the depth,
//! and nothing is stored. Real parts: the ingest of real files into a real store.

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::store::Store;

fn nested(levels: usize, text_every: usize) -> String {
    let mut s = String::from("<!doctype html><html><head><title>Deep</title></head><body>");
    for i in 0..levels {
        s.push_str("<div>");
        if i % text_every == 0 {
            s.push_str(&format!("level {i} "));
        }
    }
    s.push_str("bottom");
    s.push_str(&"</div>".repeat(levels));
    s.push_str("</body></html>");
    s
}

#[test]
fn html_nested_to_the_limit_keeps_every_text() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let file = dir.path().join("deep.html");
    // 510 divs inside html > body: 512 elements deep, the limit.
    std::fs::write(&file, nested(510, 50)).unwrap();
    let report = ingest_path(&store, &file, IngestLimits::default()).unwrap();
    let text: String = store
        .blocks(&report.document.conv_uid)
        .unwrap()
        .iter()
        .map(|b| b.block_content.clone())
        .collect();
    for i in (0..510).step_by(50) {
        assert!(
            text.contains(&format!("level {i}")),
            "level {i} lost: {text}"
        );
    }
    assert!(text.contains("bottom"), "{text}");
}

#[test]
fn html_nested_past_the_limit_is_refused_naming_file_and_depth_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    for levels in [511, 200_000] {
        let file = dir.path().join(format!("deep{levels}.html"));
        std::fs::write(&file, nested(levels, 1000)).unwrap();
        let err = match ingest_path(&store, &file, IngestLimits::default()) {
            Ok(_) => panic!("{levels} levels were accepted"),
            Err(e) => e.to_string(),
        };
        println!("{levels} levels: {err}");
        assert!(err.contains(&format!("deep{levels}.html")), "{err}");
        assert!(
            err.contains("nested more than 512 levels deep") && err.contains("level 513"),
            "{err}"
        );
    }
    assert!(store.list_documents().unwrap().is_empty(), "nothing stored");
}
