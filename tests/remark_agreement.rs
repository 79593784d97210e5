//! Blockwise's Markdown blocks agree with remark's top-level nodes (list items split out).
//!
//! `fixtures/remark/<name>.json` holds what remark (`remark-parse` + `remark-gfm` +
//! `remark-frontmatter`) gives for `fixtures/markdown/<name>.md`, as `{type, start, end}` with
//! UTF-8 byte offsets trimmed like Blockwise trims. Regenerate with
//! `cd fixtures/remark && npm install && node dump.mjs`. Fixtures without a JSON are skipped.
//!
//! Known, deliberate differences live in `ALLOWED` with a reason each; an entry that no longer
//! matches any disagreement fails the test, so the list cannot go stale silently.

use std::path::{Path, PathBuf};

use blockwise::ingest::markdown_drafts;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Block {
    #[serde(rename = "type")]
    block_type: String,
    start: usize,
    end: usize,
}

/// Which parser produced a block that the other did not produce identically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// In remark's list only.
    Remark,
    /// In Blockwise's drafts only.
    Blockwise,
}

/// A block one side has and the other lacks (same type and same range counts as agreement).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mismatch {
    side: Side,
    block: Block,
}

/// A deliberate difference: in `fixture`, `side` has a `block_type` block whose text starts
/// with `starts_with`.
struct Allowed {
    fixture: &'static str,
    side: Side,
    block_type: &'static str,
    starts_with: &'static str,
    reason: &'static str,
}

const ALLOWED: &[Allowed] = &[
    // TOML front matter: Blockwise reads `+++` fenced front matter at the very start (Hugo and
    // Zola use it) as one `other` block; remark, configured with `['yaml']` only, sees a
    // paragraph over the same bytes.
    Allowed {
        fixture: "cases/toml_front_matter",
        side: Side::Remark,
        block_type: "paragraph",
        starts_with: "+++",
        reason: "remark-frontmatter is configured for YAML only; +++ is a paragraph there",
    },
    Allowed {
        fixture: "cases/toml_front_matter",
        side: Side::Blockwise,
        block_type: "other",
        starts_with: "+++",
        reason: "Blockwise keeps TOML (+++) front matter at the start as one `other` block",
    },
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn blockwise_blocks(text: &str) -> Vec<Block> {
    markdown_drafts(text)
        .blocks
        .iter()
        .map(|d| Block {
            block_type: d.block_type.as_str().to_string(),
            start: d.start,
            end: d.end,
        })
        .collect()
}

/// Blocks present on one side only. Both lists are in document order; an LCS alignment keeps
/// one shifted boundary from cascading into a wall of false mismatches.
fn mismatches(remark: &[Block], blockwise: &[Block]) -> Vec<Mismatch> {
    let (n, m) = (remark.len(), blockwise.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if remark[i] == blockwise[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && remark[i] == blockwise[j] {
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(Mismatch {
                side: Side::Blockwise,
                block: blockwise[j].clone(),
            });
            j += 1;
        } else {
            out.push(Mismatch {
                side: Side::Remark,
                block: remark[i].clone(),
            });
            i += 1;
        }
    }
    out.sort_by_key(|x| (x.block.start, x.side == Side::Blockwise));
    out
}

fn allowed_index(fixture: &str, text: &str, x: &Mismatch) -> Option<usize> {
    ALLOWED.iter().position(|a| {
        a.fixture == fixture
            && a.side == x.side
            && a.block_type == x.block.block_type
            && text
                .get(x.block.start..x.block.end)
                .is_some_and(|s| s.starts_with(a.starts_with))
    })
}

fn describe(text: &str, x: &Mismatch) -> String {
    let who = match x.side {
        Side::Remark => "remark only   ",
        Side::Blockwise => "blockwise only",
    };
    let snippet: String = text
        .get(x.block.start..x.block.end)
        .unwrap_or("<range not on a char boundary or past the end>")
        .chars()
        .take(60)
        .collect();
    format!(
        "  {who} {:<12} {:>5}..{:<5} {:?}",
        x.block.block_type, x.block.start, x.block.end, snippet
    )
}

/// Fixtures that have a remark JSON, sorted by name: the shared `fixtures/markdown/*.md`
/// (JSON in `fixtures/remark/`) and this comparison's edge cases `fixtures/remark/cases/*.md`
/// (JSON next to them, names prefixed `cases/`).
fn fixtures() -> Vec<(String, PathBuf, PathBuf)> {
    let mut out = collect(
        "",
        &root().join("fixtures/markdown"),
        &root().join("fixtures/remark"),
    );
    let cases = root().join("fixtures/remark/cases");
    out.extend(collect("cases/", &cases, &cases));
    out
}

fn collect(prefix: &str, md_dir: &Path, remark_dir: &Path) -> Vec<(String, PathBuf, PathBuf)> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(md_dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", md_dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("UTF-8 fixture name")
            .to_string();
        let json = remark_dir.join(format!("{name}.json"));
        if json.exists() {
            out.push((format!("{prefix}{name}"), path, json));
        }
    }
    out.sort();
    out
}

fn load(md: &Path, json: &Path) -> (String, Vec<Block>) {
    let raw = std::fs::read(md).unwrap_or_else(|e| panic!("cannot read {}: {e}", md.display()));
    let text =
        String::from_utf8(raw).unwrap_or_else(|e| panic!("{} is not UTF-8: {e}", md.display()));
    let data =
        std::fs::read_to_string(json).unwrap_or_else(|e| panic!("read {}: {e}", json.display()));
    let remark: Vec<Block> = serde_json::from_str(&data).unwrap_or_else(|e| {
        panic!(
            "{} is not a list of {{type,start,end}}: {e}",
            json.display()
        )
    });
    (text, remark)
}

#[test]
fn blockwise_blocks_agree_with_remark() {
    let fixtures = fixtures();
    assert!(
        fixtures.len() >= 13,
        "expected the remark JSON of every Markdown fixture, found {}",
        fixtures.len()
    );
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let mut used = vec![false; ALLOWED.len()];
    for (name, md, json) in &fixtures {
        let (text, remark) = load(md, json);
        assert!(
            !remark.is_empty(),
            "{}: remark found no blocks",
            json.display()
        );
        for b in &remark {
            assert!(
                b.start < b.end && text.is_char_boundary(b.start) && text.is_char_boundary(b.end),
                "{}: bad range {}..{} (not a non-empty range on char boundaries)",
                json.display(),
                b.start,
                b.end
            );
        }
        let ours = blockwise_blocks(&text);
        let diff = mismatches(&remark, &ours);
        let mut unexplained = Vec::new();
        let mut explained = 0;
        for x in &diff {
            match allowed_index(name, &text, x) {
                Some(k) => {
                    used[k] = true;
                    explained += 1;
                }
                None => unexplained.push(x),
            }
        }
        report.push(format!(
            "{name}: remark {} blocks, blockwise {} blocks, {} mismatches ({explained} allow-listed)",
            remark.len(),
            ours.len(),
            diff.len()
        ));
        if !unexplained.is_empty() {
            let mut lines = vec![format!("{name}.md disagrees with remark:")];
            lines.extend(unexplained.iter().take(8).map(|x| describe(&text, x)));
            if unexplained.len() > 8 {
                lines.push(format!("  ... and {} more", unexplained.len() - 8));
            }
            failures.push(lines.join("\n"));
        }
    }
    eprintln!("{}", report.join("\n"));
    for (k, a) in ALLOWED.iter().enumerate() {
        if !used[k] && fixtures.iter().any(|(n, _, _)| n == a.fixture) {
            failures.push(format!(
                "stale allow-list entry ({}, {:?}, {}, {:?}): no such disagreement any more; \
                 remove it (reason was: {})",
                a.fixture, a.side, a.block_type, a.starts_with, a.reason
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n\n"));
}

#[test]
fn a_shifted_boundary_is_reported_on_both_sides_and_nothing_else() {
    let (_, md, json) = fixtures()
        .into_iter()
        .find(|(n, _, _)| n == "all_types")
        .expect("fixtures/remark/all_types.json");
    let (text, remark) = load(&md, &json);
    let mut moved = remark.clone();
    moved[2].end -= 1;
    moved[3].block_type = "paragraph".into();
    let diff = mismatches(&remark, &moved);
    assert_eq!(diff.len(), 4, "{diff:?}");
    assert!(diff
        .iter()
        .any(|x| x.side == Side::Remark && x.block == remark[2]));
    assert!(diff
        .iter()
        .any(|x| x.side == Side::Blockwise && x.block == moved[3]));
    assert!(mismatches(&remark, &remark).is_empty());
    assert!(describe(&text, &diff[0]).contains("only"));
}
