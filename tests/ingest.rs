//! Ingest behaviour on real files and a real redb store (issue 2).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use blockwise::ingest::{ingest_path, prepare_path, IngestLimits, Prepared};
use blockwise::model::BlockType;
use blockwise::store::Store;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn fixtures_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn prepare(path: &Path) -> Prepared {
    prepare_path(path, IngestLimits::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// SPEC §1 invariants: exact content, dense ordered indices, no overlap, every non-whitespace
/// byte in exactly one block, exact reconstruction from blocks and separators.
fn check_invariants(path: &Path) {
    let source = std::fs::read_to_string(path).unwrap();
    let p = prepare(path);
    let blocks = p.blocks();
    assert!(!blocks.is_empty(), "{}: no blocks", path.display());
    let mut covered = vec![0u8; source.len()];
    let mut prev_end = 0u64;
    let mut rebuilt = p.document.leading_whitespace.clone();
    for (i, b) in blocks.iter().enumerate() {
        assert_eq!(
            b.block_index as usize,
            i,
            "{}: indices dense",
            path.display()
        );
        assert_eq!(b.block_uid, format!("{}:{}", p.document.conv_uid, i));
        let (start, end) = b.block_locator.range();
        assert!(start >= prev_end, "{}: block {i} overlaps", path.display());
        assert!(end > start, "{}: block {i} empty", path.display());
        assert_eq!(
            b.block_content,
            source[start as usize..end as usize],
            "{}: block {i} content != source[start..end]",
            path.display()
        );
        for c in &mut covered[start as usize..end as usize] {
            *c += 1;
        }
        prev_end = end;
        rebuilt.push_str(&b.block_content);
        rebuilt.push_str(&b.separator_after);
    }
    for (i, ch) in source.char_indices() {
        if !ch.is_whitespace() && ch != '\u{feff}' {
            assert_eq!(
                covered[i],
                1,
                "{}: byte {i} ({ch:?}) covered {} times",
                path.display(),
                covered[i]
            );
        }
    }
    assert_eq!(
        rebuilt,
        source,
        "{}: reconstruction differs",
        path.display()
    );
    assert_eq!(p.document.total_blocks as usize, blocks.len());
    let freq_total: u32 = p.document.block_type_freq.values().sum();
    assert_eq!(freq_total as usize, blocks.len());
    assert_eq!(p.document.source_filesize as usize, source.len());
}

#[test]
fn every_fixture_satisfies_the_block_invariants() {
    let mut files = fixtures_in("markdown");
    files.extend(fixtures_in("text"));
    assert!(files.len() >= 12, "fixtures missing: {files:?}");
    for f in files {
        check_invariants(&f);
    }
}

fn types(rel: &str) -> Vec<BlockType> {
    prepare(&fixture(rel))
        .blocks()
        .iter()
        .map(|b| b.block_type)
        .collect()
}

#[test]
fn all_types_fixture_has_each_markdown_block_type_in_order() {
    use BlockType::*;
    assert_eq!(
        types("markdown/all_types.md"),
        vec![
            Other, Heading, Paragraph, Figure, ListItem, ListItem, CodeBlock, Table, Blockquote,
            Paragraph, Footnote, HtmlBlock, Divider, Definition
        ]
    );
}

#[test]
fn nested_loose_tight_and_task_lists_split_per_top_level_item() {
    let p = prepare(&fixture("markdown/lists.md"));
    let items: Vec<String> = p
        .blocks()
        .into_iter()
        .filter(|b| b.block_type == BlockType::ListItem)
        .map(|b| b.block_content)
        .collect();
    assert_eq!(items.len(), 10, "{items:#?}");
    assert!(items[1].starts_with("- beta\n  - beta one") && items[1].ends_with("2. deep two"));
    assert_eq!(
        items[4],
        "2. second item with two paragraphs\n\n   The second paragraph of item two."
    );
    assert_eq!(items[6], "- [x] done task");
}

#[test]
fn code_blocks_keep_blank_lines_and_reference_definitions_are_never_dropped() {
    let p = prepare(&fixture("markdown/code.md"));
    let blocks = p.blocks();
    assert!(blocks[1]
        .block_content
        .contains("let a = 1;\n\n    let b = 2;\n\n\n"));
    assert_eq!(blocks[2].block_type, BlockType::CodeBlock);
    assert!(blocks[2]
        .block_content
        .ends_with("indented code after a blank line"));

    use BlockType::*;
    assert_eq!(
        types("markdown/refdefs.md"),
        vec![Heading, Paragraph, Definition, Definition, Definition, Definition, Blockquote]
    );
}

#[test]
fn titles_come_from_the_first_h1_else_the_file_name() {
    assert_eq!(
        prepare(&fixture("markdown/unicode.md")).document.title,
        "Ünïcödé Tïtle — 東京"
    );
    assert_eq!(
        prepare(&fixture("markdown/setext.md")).document.title,
        "Setext Title"
    );
    assert_eq!(
        prepare(&fixture("markdown/front_matter.md")).document.title,
        "front_matter.md"
    );
    assert_eq!(
        prepare(&fixture("text/plain.txt")).document.title,
        "plain.txt"
    );
}

#[test]
fn crlf_documents_keep_exact_byte_offsets() {
    let p = prepare(&fixture("markdown/crlf.md"));
    let b = p.blocks();
    assert_eq!(b[1].block_content, "First paragraph\r\nwith two lines.");
    assert_eq!(b[1].separator_after, "\r\n\r\n");
    let t = prepare(&fixture("text/crlf.txt")).blocks();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].block_content, "First CRLF paragraph.\r\nSecond line.");
}

#[test]
fn identities_are_pinned_across_runs_and_machines() {
    let p = prepare(&fixture("markdown/all_types.md"));
    let raw = std::fs::read(fixture("markdown/all_types.md")).unwrap();
    // The definitions, recomputed independently of the ingest code.
    assert_eq!(
        p.document.source_uid,
        blockwise::hashing::sha256_hex(&[b"md", &raw])
    );
    assert_eq!(
        p.document.conv_uid,
        blockwise::hashing::sha256_hex(&[
            b"blockwise-markdown/1 (pulldown-cmark 0.13)",
            b"markdown",
            &raw
        ])
    );
    // Pinned values (checked with coreutils sha256sum): a change here means every existing
    // store's ids change.
    assert_eq!(
        blockwise::hashing::source_uid("md", b"# Hello\n"),
        "5155952531de3c5ea5854c4a0342cfa10225913b0803ebce47581d8af92883ee"
    );
    assert_eq!(
        p.document.source_uid,
        "edbccb52dbe778b074f3b0c4575f35d406c970f8a329cbe323f3c4c4bc927721"
    );
    assert_eq!(
        p.document.conv_uid,
        "49037f327e74974afb6591dac00d388374760407d892568e3d06755d622e12f3"
    );
    assert_eq!(
        p.blocks()[5].block_uid,
        "49037f327e74974afb6591dac00d388374760407d892568e3d06755d622e12f3:5"
    );
}

#[test]
fn large_generated_fixture_matches_its_generator_and_holds_invariants() {
    let path = fixture("markdown/large.md");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        on_disk,
        blockwise::synth::markdown(3000, 2026),
        "fixtures/markdown/large.md is stale: run `cargo test --test ingest regenerate_large_fixture -- --ignored`"
    );
    let p = prepare(&path);
    assert!(
        p.document.total_blocks >= 3000,
        "{}",
        p.document.total_blocks
    );
}

/// Regenerates `fixtures/markdown/large.md` from `blockwise::synth` (the script kept in the repo).
#[test]
#[ignore]
fn regenerate_large_fixture() {
    std::fs::write(
        fixture("markdown/large.md"),
        blockwise::synth::markdown(3000, 2026),
    )
    .unwrap();
}

// ---- the store ----

fn temp_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    drop(Store::open(&path).unwrap());
    (dir, path)
}

#[test]
fn ingest_stores_blocks_readable_in_order_and_reingest_writes_nothing() {
    let (_dir, path) = temp_store();
    let store = Store::open(&path).unwrap();
    let file = fixture("markdown/lists.md");
    let first = ingest_path(&store, &file, IngestLimits::default()).unwrap();
    assert!(first.created);
    let expected = prepare(&file).blocks();
    assert_eq!(store.blocks(&first.document.conv_uid).unwrap(), expected);
    assert_eq!(
        store.block(&first.document.conv_uid, 3).unwrap().as_ref(),
        Some(&expected[3])
    );
    let before = store.fingerprint().unwrap();
    let again = ingest_path(&store, &file, IngestLimits::default()).unwrap();
    assert!(!again.created);
    assert_eq!(
        again.document, first.document,
        "returns the existing document"
    );
    assert!(
        store.fingerprint().unwrap() == before,
        "re-ingest changed the store"
    );
}

#[test]
fn blocks_of_a_large_document_come_back_in_numeric_order() {
    let (_dir, path) = temp_store();
    let store = Store::open(&path).unwrap();
    let report = ingest_path(
        &store,
        &fixture("markdown/large.md"),
        IngestLimits::default(),
    )
    .unwrap();
    let mut n = 0u32;
    store
        .for_each_block(&report.document.conv_uid, |b| {
            assert_eq!(b.block_index, n);
            n += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(n, report.document.total_blocks);
    assert!(n > 256, "spans several chunks");
}

// ---- bad input through the real binary ----

fn blockwise(store: &Path, args: &[&str]) -> std::process::Output {
    support::blockwise_in(store.parent().unwrap())
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_bad_input_is_refused_by_name_with_exit_1_and_leaves_the_store_unchanged() {
    let (dir, path) = temp_store();
    let big = dir.path().join("big.md");
    std::fs::write(&big, "# x\n").unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (fixture("bad/not_utf8.md"), "not valid UTF-8"),
        (fixture("bad/empty.md"), "empty file"),
        (fixture("bad/whitespace.md"), "only whitespace"),
        (fixture("bad/binary.md"), "binary content"),
        (fixture("bad/unknown.xyz"), "unknown extension '.xyz'"),
        (fixture("bad/noext"), "no file extension"),
        (
            fixture("bad/directory.md"),
            "no file to ingest in this folder",
        ),
        (fixture("bad/missing.md"), "no such file"),
    ];
    let fingerprint = || Store::open(&path).unwrap().fingerprint().unwrap();
    // The first writing command on a store creates the workspace (first admin); ingest comes
    // after. (`docs`, `policy list`… are read-only: they never create or change a store.)
    assert_eq!(
        blockwise(&path, &["schema", "from-template", "classification"])
            .status
            .code(),
        Some(0)
    );
    let before = fingerprint();
    for (file, reason) in &cases {
        let out = blockwise(&path, &["ingest", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file:?}: {stderr}");
        assert!(
            stderr.contains(file.to_str().unwrap()),
            "names the file: {stderr}"
        );
        assert!(
            stderr.contains(reason),
            "{file:?}: expected '{reason}' in {stderr}"
        );
        assert!(fingerprint() == before, "{file:?} changed the store");
    }
    // Over the size limit (library API: the limit comes from policy).
    let store = Store::open(&path).unwrap();
    let err = ingest_path(&store, &big, IngestLimits { max_file_bytes: 2 }).unwrap_err();
    assert!(
        err.to_string().contains("over the limit of 2 bytes"),
        "{err}"
    );
    assert!(store.list_documents().unwrap().is_empty());
}

#[test]
fn a_bad_file_among_good_ones_is_reported_and_the_good_ones_are_ingested() {
    let (_dir, path) = temp_store();
    let out = blockwise(
        &path,
        &[
            "--json",
            "ingest",
            fixture("markdown/tables.md").to_str().unwrap(),
            fixture("bad/empty.md").to_str().unwrap(),
            fixture("text/plain.txt").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<&str> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["created", "error", "created"]);
    let docs = blockwise(&path, &["--json", "docs"]);
    let docs: serde_json::Value = serde_json::from_slice(&docs.stdout).unwrap();
    assert_eq!(docs.as_array().unwrap().len(), 2);
}

#[test]
fn blocks_command_filters_by_type_and_resolves_prefixes() {
    let (dir, path) = temp_store();
    let out = blockwise(
        &path,
        &[
            "--json",
            "ingest",
            fixture("markdown/all_types.md").to_str().unwrap(),
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let conv = report[0]["conv_uid"].as_str().unwrap().to_string();

    let out = blockwise(
        &path,
        &["--json", "blocks", &conv[..8], "--type", "list_item"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let blocks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let contents: Vec<&str> = blocks
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["block_content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, vec!["- first item", "- second item"]);
    assert_eq!(blocks[0]["block_uid"], format!("{conv}:4"));
    assert_eq!(blocks[0]["block_locator"]["type"], "text_offset_range");

    let bad_type = blockwise(&path, &["blocks", &conv[..8], "--type", "chapter"]);
    assert_eq!(bad_type.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_type.stderr).contains("unknown block type 'chapter'"));

    // 17 documents: by pigeonhole two share their first hex digit → ambiguous prefix.
    let mut convs = vec![conv];
    for i in 0..16 {
        let f = dir.path().join(format!("doc{i}.md"));
        std::fs::write(&f, format!("# Doc {i}\n\nBody {i}.\n")).unwrap();
        let out = blockwise(&path, &["--json", "ingest", f.to_str().unwrap()]);
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        convs.push(r[0]["conv_uid"].as_str().unwrap().to_string());
    }
    let shared = convs
        .iter()
        .map(|c| &c[..1])
        .find(|p| convs.iter().filter(|c| c.starts_with(*p)).count() > 1)
        .unwrap()
        .to_string();
    let out = blockwise(&path, &["blocks", &shared]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ambiguous"), "{stderr}");
    let missing = blockwise(&path, &["blocks", "zzzz"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no document matches 'zzzz'"));
    let unique: BTreeSet<&String> = convs.iter().collect();
    assert_eq!(unique.len(), 17);
}

#[test]
fn blocks_spanning_several_text_pages_read_back_exactly() {
    let (dir, path) = temp_store();
    let store = Store::open(&path).unwrap();
    let file = dir.path().join("big.md");
    // A 300 KB code block with multi-byte characters crosses several 64 KiB text pages.
    let body: String = (0..6000)
        .map(|i| format!("línea {i} — ünïcödé 東京\n"))
        .collect();
    std::fs::write(&file, format!("# Big\n\n```\n{body}```\n\nAfter.\n")).unwrap();
    let report = ingest_path(&store, &file, IngestLimits::default()).unwrap();
    let expected = prepare(&file).blocks();
    assert!(expected[1].block_content.len() > 200_000);
    assert_eq!(store.blocks(&report.document.conv_uid).unwrap(), expected);
    assert_eq!(
        store.block(&report.document.conv_uid, 2).unwrap().unwrap(),
        expected[2]
    );
}

/// A refused file is the first thing sent to a new store: it writes nothing, and the store is
/// still set up when it closes (its set-up rides in the first committed write, not this one).
#[test]
fn a_refused_first_file_leaves_a_new_store_empty_and_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let bad = dir.path().join("bad.md");
    std::fs::write(&bad, b"ok \x80 not UTF-8").unwrap();
    let store = Store::open(&path).unwrap();
    let err = ingest_path(&store, &bad, IngestLimits::default()).unwrap_err();
    assert!(err.to_string().contains("UTF-8"), "{err}");
    drop(store);
    let reader = Store::open_read_only(&path).unwrap();
    assert!(reader.list_documents().unwrap().is_empty());
    assert!(reader.check().unwrap().damage.is_empty());
}

/// Folder ingest (`prepare_path`) hashes a small Markdown source inline and a large one (from
/// 256 KiB) beside its parse; either way its ids are the ones the single-file ingest stores.
#[test]
fn prepared_ids_match_the_single_file_ingest_below_and_above_the_threaded_hash_size() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    for (name, paragraphs) in [("small.md", 10), ("large.md", 6_000)] {
        let path = dir.path().join(name);
        let text: String = (0..paragraphs)
            .map(|i| format!("Paragraph {i} of {name}, with some words to hash.\n\n"))
            .collect();
        std::fs::write(&path, &text).unwrap();
        let large = text.len() >= 256 * 1024;
        assert_eq!(large, name == "large.md", "{name}: {} bytes", text.len());
        let prepared = prepare(&path);
        let stored = ingest_path(&store, &path, IngestLimits::default()).unwrap();
        assert_eq!(
            prepared.document.conv_uid, stored.document.conv_uid,
            "{name}"
        );
        assert_eq!(
            prepared.document.source_uid, stored.document.source_uid,
            "{name}"
        );
    }
}
