//! Issue 25 targets against the real reference tools: `cargo bench --bench pdf_browser`
//! (PPTX / XLSX against python-pptx / openpyxl are in `ingest_formats`; run both with
//! `cargo bench --bench ingest_formats --bench pdf_browser`).
//!
//! Corpus: real Markdown documents found on this machine (the repo's README.md,
//! /work/shared/{SPEC,DESIGN,CLI}.md, Node.js documentation under /usr/share/doc; override with
//! `BENCH_CORPUS=a.md:b.md`). Each is turned by `pandoc -s` into HTML, EPUB and DOCX, and the
//! HTML by `chromium --headless --print-to-pdf` (default header and footer: date and title on
//! top, file URL and "n/N" at the bottom of every page) into a PDF. The tools are looked up at
//! run time; a missing one prints NOT MEASURED for the figures that need it.
//!
//! Figures (all documents pooled), each printed against its target, PASS or FAIL:
//! - word recall / precision: the multiset of our words (all blocks, furniture included;
//!   a word = whitespace-separated token with leading/trailing non-alphanumerics trimmed) against
//!   `pdftotext` of the same PDF (>= 0.98 each);
//! - glued words per 5,000 of ours: a word of ours absent from pdftotext's that splits into two
//!   of pdftotext's words (<= 1);
//! - ligature glyphs U+FB00–FB06 in our text (0);
//! - source blocks matched: a block of the Markdown source (our Markdown reader; what the
//!   printed page does not show dropped: link targets, HTML comments, a code fence's info
//!   string; a block left with no words, i.e. an HTML comment or a link reference definition
//!   `[x]: url`, is not counted) is *matched*
//!   when one single non-furniture PDF block has a lower-cased word bag
//!   with token F1 >= 0.9 against it — i.e. the PDF block has the same boundaries, neither
//!   merged with a neighbour nor split (>= 0.85);
//! - pages with a `page_header` block and pages with a `page_footer` block, over `pdfinfo`'s page
//!   count (>= 0.95 each);
//! - wall and peak memory: our full ingest (this bench re-run as a child process, new store)
//!   against `pdftotext FILE /dev/null`, each a process run under `/usr/bin/time -f %M`, best of
//!   3, wall summed over the corpus; memory is the worst peak-RSS ratio of any document (wall
//!   <= 1.0x, memory <= 1.5x; without /usr/bin/time speed is NOT MEASURED);
//! - inline: code spans, emphases and link URLs of pandoc's AST of the source, kept (multiset
//!   match of their text / URL) in our HTML, EPUB and DOCX block contents read as CommonMark
//!   (>= 0.95 each).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use blockwise::ingest::{ingest_path, markdown_drafts, prepare_path, IngestLimits, Prepared};
use blockwise::model::{BlockType, Locator};
use blockwise::store::Store;

#[path = "common/words.rs"]
mod words;
use words::{bag, f1, glued, ligatures, lower_bag, overlap, seen_text, tokens, Bag};

const LIMITS: IngestLimits = IngestLimits {
    max_file_bytes: 1 << 30,
};
const CHILD: &str = "BLOCKWISE_PDF_BENCH_CHILD";

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn corpus() -> Vec<PathBuf> {
    let list = std::env::var("BENCH_CORPUS").unwrap_or_else(|_| {
        let repo = env!("CARGO_MANIFEST_DIR");
        format!(
            "{repo}/README.md:/work/shared/SPEC.md:/work/shared/DESIGN.md:/work/shared/CLI.md:\
             /usr/share/doc/nodejs/BUILDING.md:/usr/share/doc/nodejs/api/url.md:\
             /usr/share/doc/nodejs/api/http.md"
        )
    });
    list.split(':')
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect()
}

/// One document of the corpus, converted: (name, md, html, pdf?, epub, docx).
struct Doc {
    name: String,
    md: PathBuf,
    pdf: Option<PathBuf>,
    others: Vec<PathBuf>,
}

fn convert(dir: &Path, md: &Path, chromium: bool) -> Option<Doc> {
    let stem = md.file_stem()?.to_string_lossy().to_string();
    let name = format!("{}-{stem}", md.parent()?.file_name()?.to_string_lossy());
    let out = |ext: &str| dir.join(format!("{name}.{ext}"));
    let mut others = Vec::new();
    for ext in ["html", "epub", "docx"] {
        let ok = run(Command::new("pandoc")
            .args(["-s", "-f", "gfm", "--metadata", &format!("title={stem}")])
            .arg(md)
            .arg("-o")
            .arg(out(ext)));
        if ok {
            others.push(out(ext));
        }
    }
    let pdf = (chromium && others.first() == Some(&out("html")))
        .then(|| {
            run(Command::new("chromium")
                .args(["--headless", "--no-sandbox", "--disable-gpu"])
                .arg(format!("--print-to-pdf={}", out("pdf").display()))
                .arg(out("html")))
            .then(|| out("pdf"))
        })
        .flatten();
    Some(Doc {
        name,
        md: md.to_path_buf(),
        pdf,
        others,
    })
}

fn block_texts(p: &Prepared) -> impl Iterator<Item = (&blockwise::ingest::BlockDraft, &str)> {
    p.drafts.iter().map(|d| (d, &p.text[d.start..d.end]))
}

fn furniture(t: BlockType) -> bool {
    matches!(t, BlockType::PageHeader | BlockType::PageFooter)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

#[derive(Default)]
struct PdfTotals {
    ref_words: usize,
    our_words: usize,
    matched_words: usize,
    glued: usize,
    ligatures: usize,
    src_blocks: usize,
    src_matched: usize,
    pages: usize,
    header_pages: usize,
    footer_pages: usize,
}

fn pdf_pages(pdf: &Path) -> usize {
    let out = Command::new("pdfinfo").arg(pdf).output().ok();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).to_string());
    text.unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("Pages:")
                .map(|n| n.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

fn measure_pdf_quality(doc: &Doc, pdf: &Path, t: &mut PdfTotals) {
    let reference = Command::new("pdftotext").arg(pdf).arg("-").output();
    let reference = String::from_utf8_lossy(&reference.expect("pdftotext").stdout).to_string();
    let ours = match prepare_path(pdf, LIMITS) {
        Ok(p) => p,
        Err(e) => {
            println!("  {:<24} FAIL: refused ({e})", doc.name);
            return;
        }
    };
    let all: String = block_texts(&ours).map(|(_, s)| format!("{s}\n")).collect();
    let (rb, ob) = (bag(&tokens(&reference)), bag(&tokens(&all)));
    let (rn, on, m) = (
        tokens(&reference).len(),
        tokens(&all).len(),
        overlap(&rb, &ob),
    );
    let g = glued(&ob, &rb);
    let lig = ligatures(&all);
    let (sn, sm, unseen) = source_blocks_matched(&doc.md, &ours);
    let pages = pdf_pages(pdf);
    let on_pages = |want: BlockType| {
        let mut p: Vec<u32> = block_texts(&ours)
            .filter(|(d, _)| d.block_type == want)
            .filter_map(|(d, _)| match d.locator {
                Some(Locator::PdfBox { page, .. }) => Some(page),
                _ => None,
            })
            .collect();
        p.dedup();
        p.len()
    };
    let (hp, fp) = (
        on_pages(BlockType::PageHeader),
        on_pages(BlockType::PageFooter),
    );
    println!(
        "  {:<24} {pages:>3} pages {rn:>6} words | recall {:.3} precision {:.3} | glued {g} \
         ligatures {lig} | source blocks {sm}/{sn} ({unseen} unseen) | header pages {hp} footer pages {fp}",
        doc.name,
        m as f64 / rn.max(1) as f64,
        m as f64 / on.max(1) as f64
    );
    t.ref_words += rn;
    t.our_words += on;
    t.matched_words += m;
    t.glued += g;
    t.ligatures += lig;
    t.src_blocks += sn;
    t.src_matched += sm;
    t.pages += pages;
    t.header_pages += hp;
    t.footer_pages += fp;
}

/// (source blocks with words, of them matched by one PDF block with token F1 >= 0.9, blocks
/// with no word the page shows, not counted).
fn source_blocks_matched(md: &Path, ours: &Prepared) -> (usize, usize, usize) {
    let text = &std::fs::read_to_string(md).unwrap_or_default();
    let pdf_bags: Vec<Bag> = block_texts(ours)
        .filter(|(d, _)| !furniture(d.block_type))
        .map(|(_, s)| lower_bag(s))
        .collect();
    let drafts = markdown_drafts(text);
    let all: Vec<Bag> = drafts.blocks.iter().map(|d| source_bag(d, text)).collect();
    let unseen = all.iter().filter(|b| b.is_empty()).count();
    let src: Vec<Bag> = all.into_iter().filter(|b| !b.is_empty()).collect();
    let matched = src
        .iter()
        .filter(|s| pdf_bags.iter().any(|p| f1(s, p) >= 0.9))
        .count();
    if let Ok(dump) = std::env::var("BENCH_MISSES") {
        write_misses(Path::new(&dump), md, text, ours, &pdf_bags);
    }
    (src.len(), matched, unseen)
}

/// The lower-cased words of source block `d` that the printed page shows ([`seen_text`]); a
/// link reference definition (`[x]: url`) shows none.
fn source_bag(d: &blockwise::ingest::BlockDraft, text: &str) -> Bag {
    if d.block_type == BlockType::Definition {
        return Bag::new();
    }
    lower_bag(&seen_text(&text[d.start..d.end]))
}

/// For reading the misses (`BENCH_MISSES=FILE`, appended; no target): each unmatched source
/// block with its type, and the PDF block closest to it with its F1.
fn write_misses(dump: &Path, md: &Path, text: &str, ours: &Prepared, pdf_bags: &[Bag]) {
    use std::io::Write;
    let pdf: Vec<(BlockType, &str)> = block_texts(ours)
        .filter(|(d, _)| !furniture(d.block_type))
        .map(|(d, s)| (d.block_type, s))
        .collect();
    let mut out = String::new();
    for d in &markdown_drafts(text).blocks {
        let s = source_bag(d, text);
        if s.is_empty() {
            continue;
        }
        let best = (0..pdf_bags.len())
            .max_by(|&a, &b| f1(&s, &pdf_bags[a]).total_cmp(&f1(&s, &pdf_bags[b])));
        let Some(b) = best.filter(|&b| f1(&s, &pdf_bags[b]) < 0.9) else {
            continue;
        };
        out.push_str(&format!(
            "=== {} {:?} (best {:?} F1 {:.2})\n{}\n--- best:\n{}\n",
            md.display(),
            d.block_type,
            pdf[b].0,
            f1(&s, &pdf_bags[b]),
            &text[d.start..d.end],
            pdf[b].1
        ));
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dump)
    {
        let _ = f.write_all(out.as_bytes());
    }
}

fn print_pdf_totals(t: &PdfTotals) {
    let ratio = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    let recall = ratio(t.matched_words, t.ref_words);
    let precision = ratio(t.matched_words, t.our_words);
    let glued = ratio(t.glued * 5000, t.our_words);
    let blocks = ratio(t.src_matched, t.src_blocks);
    let (hp, fp) = (
        ratio(t.header_pages, t.pages),
        ratio(t.footer_pages, t.pages),
    );
    println!("PDF quality, all documents ({} pages):", t.pages);
    println!(
        "  word recall vs pdftotext       {recall:.4} (target >= 0.98) {}",
        verdict(recall >= 0.98)
    );
    println!(
        "  word precision vs pdftotext    {precision:.4} (target >= 0.98) {}",
        verdict(precision >= 0.98)
    );
    println!(
        "  glued words per 5,000          {glued:.2} ({} of {}) (target <= 1) {}",
        t.glued,
        t.our_words,
        verdict(glued <= 1.0)
    );
    println!(
        "  ligature glyphs                {} (target 0) {}",
        t.ligatures,
        verdict(t.ligatures == 0)
    );
    println!(
        "  source blocks matched          {blocks:.3} ({}/{}) (target >= 0.85) {}",
        t.src_matched,
        t.src_blocks,
        verdict(blocks >= 0.85)
    );
    println!(
        "  pages with a page_header       {hp:.3} ({}/{}) (target >= 0.95) {}",
        t.header_pages,
        t.pages,
        verdict(hp >= 0.95)
    );
    println!(
        "  pages with a page_footer       {fp:.3} ({}/{}) (target >= 0.95) {}",
        t.footer_pages,
        t.pages,
        verdict(fp >= 0.95)
    );
}

/// Wall time and peak RSS (KiB) of one process. The memory is read by GNU `time -f %M`: a
/// child forked straight from this bench would count the bench's own pages in its ru_maxrss.
fn timed(cmd: &mut Command) -> Option<(Duration, i64)> {
    let report = tempfile::NamedTempFile::new().ok()?;
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped.args(["-f", "%M", "-o"]).arg(report.path());
    wrapped.arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            wrapped.env(k, v);
        }
    }
    let start = Instant::now();
    let ok = run(&mut wrapped);
    let wall = start.elapsed();
    let kib = std::fs::read_to_string(report.path())
        .ok()?
        .trim()
        .parse()
        .ok()?;
    ok.then_some((wall, kib))
}

fn best3(mut make: impl FnMut() -> Command) -> Option<(Duration, i64)> {
    let runs: Option<Vec<_>> = (0..3).map(|_| timed(&mut make())).collect();
    let runs = runs?;
    Some((
        runs.iter().map(|r| r.0).min()?,
        runs.iter().map(|r| r.1).min()?,
    ))
}

fn measure_speed(dir: &Path, pdfs: &[PathBuf]) {
    let exe = std::env::current_exe().expect("bench exe");
    let (mut ours, mut theirs, mut worst_mem) = (Duration::ZERO, Duration::ZERO, 0.0f64);
    for (i, pdf) in pdfs.iter().enumerate() {
        let mut n = 0;
        let o = best3(|| {
            n += 1;
            let mut c = Command::new(&exe);
            c.env(CHILD, pdf)
                .env("BENCH_STORE", dir.join(format!("s{i}-{n}.redb")));
            c
        });
        let t = best3(|| {
            let mut c = Command::new("pdftotext");
            c.arg(pdf).arg("/dev/null");
            c
        });
        let convert = best3(|| {
            let mut c = Command::new(&exe);
            c.env(CHILD, pdf);
            c
        });
        let (Some(o), Some(t), Some(cv)) = (o, t, convert) else {
            println!("  {} : a process failed, speed NOT MEASURED", pdf.display());
            return;
        };
        let mem = o.1 as f64 / t.1 as f64;
        println!(
            "  {:<30} ours {:>7.1} ms {:>7} KiB | pdftotext {:>7.1} ms {:>7} KiB | wall {:.2}x memory {mem:.2}x",
            pdf.file_name().unwrap_or_default().to_string_lossy(),
            o.0.as_secs_f64() * 1e3, o.1, t.0.as_secs_f64() * 1e3, t.1,
            o.0.as_secs_f64() / t.0.as_secs_f64()
        );
        println!(
            "  {:<30} (convert only, no store: {:>7.1} ms, {:.2}x; no target)",
            "",
            cv.0.as_secs_f64() * 1e3,
            cv.0.as_secs_f64() / t.0.as_secs_f64()
        );
        ours += o.0;
        theirs += t.0;
        worst_mem = worst_mem.max(mem);
    }
    let wall = ours.as_secs_f64() / theirs.as_secs_f64();
    println!(
        "  PDF wall ours/pdftotext (summed)  {wall:.3} (target <= 1.0) {}",
        verdict(wall <= 1.0)
    );
    println!(
        "  PDF memory ours/pdftotext (worst) {worst_mem:.3} (target <= 1.5) {}",
        verdict(worst_mem <= 1.5)
    );
}

/// Child mode: one full ingest of the PDF named in `CHILD` into a new store.
fn child(pdf: &str) {
    if std::env::var("BENCH_STORE").is_err() {
        prepare_path(Path::new(pdf), LIMITS).expect("convert");
        return;
    }
    let store =
        Store::open(Path::new(&std::env::var("BENCH_STORE").expect("store"))).expect("store");
    ingest_path(&store, Path::new(pdf), LIMITS).expect("ingest");
}

#[path = "common/inline_kept.rs"]
mod inline_kept;

fn main() {
    if let Ok(pdf) = std::env::var(CHILD) {
        return child(&pdf);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let files = corpus();
    println!("pdf_browser benchmark: {} source documents", files.len());
    if !have("pandoc") {
        println!("  pandoc not installed: every figure NOT MEASURED");
        return;
    }
    let chromium = have("chromium");
    let docs: Vec<Doc> = files
        .iter()
        .filter_map(|f| convert(dir.path(), f, chromium))
        .collect();
    let pdfs: Vec<PathBuf> = docs.iter().filter_map(|d| d.pdf.clone()).collect();
    if pdfs.is_empty() || !have("pdftotext") {
        println!("  chromium or pdftotext not installed: PDF figures NOT MEASURED");
    } else {
        println!("PDF (chromium --print-to-pdf) per document:");
        let mut totals = PdfTotals::default();
        for d in &docs {
            if let Some(p) = &d.pdf {
                measure_pdf_quality(d, p, &mut totals);
            }
        }
        print_pdf_totals(&totals);
        println!("PDF speed, full ingest (child process) vs pdftotext, best of 3:");
        measure_speed(dir.path(), &pdfs);
    }
    inline_kept::report(
        &docs
            .iter()
            .map(|d| (d.md.clone(), d.others.clone()))
            .collect::<Vec<_>>(),
    );
}
