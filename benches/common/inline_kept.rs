//! Inline markup kept through HTML, EPUB and DOCX (issue 25): the `pdf_browser` bench's last part.

use std::path::PathBuf;
use std::process::Command;

use blockwise::ingest::{prepare_path, IngestLimits};

use super::words::{inline_of_markdown, inline_of_pandoc, overlap, Bag, Inline};

fn total(b: &Bag) -> usize {
    b.values().sum()
}

fn source_inline(md: &PathBuf) -> Option<Inline> {
    let out = Command::new("pandoc")
        .args(["-f", "gfm", "-t", "json"])
        .arg(md)
        .output()
        .ok()?;
    let ast: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let mut inline = Inline::default();
    inline_of_pandoc(&ast["blocks"], &mut inline);
    Some(inline)
}

/// Print, per format, the share of the source's code spans, emphases and link URLs kept.
pub fn report(docs: &[(PathBuf, Vec<PathBuf>)]) {
    println!("Inline markup kept (pandoc AST of the source vs our block contents as CommonMark):");
    for ext in ["html", "epub", "docx"] {
        let mut kept = [0usize; 4];
        let mut of = [0usize; 4];
        for (md, files) in docs {
            let Some(file) = files
                .iter()
                .find(|f| f.extension().is_some_and(|e| e == ext))
            else {
                continue;
            };
            let Some(src) = source_inline(md) else {
                continue;
            };
            let limits = IngestLimits {
                max_file_bytes: 1 << 30,
            };
            let Ok(p) = prepare_path(file, limits) else {
                println!("  {ext:<5} {}: refused", file.display());
                continue;
            };
            let ours = inline_of_markdown(
                &p.drafts
                    .iter()
                    .map(|d| format!("{}\n\n", &p.text[d.start..d.end]))
                    .collect::<String>(),
            );
            for (i, (s, o)) in [
                (&src.code, &ours.code),
                (&src.emph, &ours.emph),
                (&src.links, &ours.links),
            ]
            .into_iter()
            .enumerate()
            {
                kept[i] += overlap(s, o);
                of[i] += total(s);
            }
            let outside = |b: &Bag| -> Bag {
                b.iter()
                    .filter(|(k, _)| !k.starts_with('#'))
                    .map(|(k, n)| (k.clone(), *n))
                    .collect()
            };
            kept[3] += overlap(&outside(&src.links), &outside(&ours.links));
            of[3] += total(&outside(&src.links));
        }
        let share = |i: usize| kept[i] as f64 / of[i].max(1) as f64;
        let (ek, eo) = (kept[3], of[3]);
        let v = |i: usize| if share(i) >= 0.95 { "PASS" } else { "FAIL" };
        println!(
            "  {ext:<5} code spans {:.3} ({}/{}) {} | emphases {:.3} ({}/{}) {} | link URLs {:.3} ({}/{}) {}  (target >= 0.95 each)",
            share(0), kept[0], of[0], v(0), share(1), kept[1], of[1], v(1), share(2), kept[2], of[2], v(2)
        );
        println!(
            "        (of which link URLs leaving the page, i.e. not `#fragment`: {:.3} ({ek}/{eo}); no target, for reading the miss)",
            ek as f64 / eo.max(1) as f64
        );
    }
}
