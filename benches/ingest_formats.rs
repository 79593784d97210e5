//! Ingest benchmark for HTML, CSV, DOCX, EPUB, PDF (issue 15), PPTX and XLSX (issue 25):
//! `cargo bench --bench ingest_formats`.
//!
//! For each format a large file is generated here (the same synthetic report: sections with a
//! heading, paragraphs, list items and a table; CSV gets rows), then measured in the same run
//! (best of 3):
//! - convert: read, unpack/parse, render the text representation, identities (no store);
//! - full ingest: the same plus one durable redb transaction;
//! - the bound: the Markdown parser on the text representation that conversion produced, i.e.
//!   what parsing that text as a `.md` file costs.
//!
//! Prints blocks/s of each and the ratio convert / bound. There is no target: the ratio says
//! what each container format costs over parsing plain Markdown of the same content.
//!
//! Issue 25 targets against reference tools on the same file, in the same run: PDF full ingest
//! <= 1.0x the wall of `pdftotext`, PPTX <= 0.2x `python-pptx`, XLSX <= 0.2x `openpyxl`
//! (reading every shape / cell). A tool that is not installed is named and its ratio is not
//! measured; a missed target prints FAIL.

use std::path::Path;
use std::time::{Duration, Instant};

use blockwise::ingest::{ingest_path, markdown_drafts, prepare_path, IngestLimits};
use blockwise::store::Store;

#[path = "common/formats.rs"]
mod formats;
use formats::{csv, docx, epub, html, pdf};
#[path = "common/office.rs"]
mod office;

fn best_of(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..n).map(|_| f()).min().unwrap_or_default()
}

/// Measure one file; returns the full-ingest wall time, or `None` (said on stdout, with FAIL)
/// when this build refuses the file (e.g. `.xlsx` without the `xlsx` feature).
fn measure(dir: &Path, name: &str, bytes: &[u8]) -> Option<Duration> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write bench file");
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let prepared = match prepare_path(&path, limits) {
        Ok(p) => p,
        Err(e) => {
            println!("  {name:<11} FAIL: refused by this build, NOT MEASURED ({e})");
            return None;
        }
    };
    let blocks = prepared.drafts.len();
    let convert = best_of(3, || {
        let t = Instant::now();
        let p = prepare_path(&path, limits).expect("convert");
        assert_eq!(p.drafts.len(), blocks);
        t.elapsed()
    });
    let mut n = 0;
    let full = best_of(3, || {
        n += 1;
        let store = Store::open(&dir.join(format!("{name}.{n}.redb"))).expect("store");
        let t = Instant::now();
        let report = ingest_path(&store, &path, limits).expect("ingest");
        let e = t.elapsed();
        assert_eq!(report.document.total_blocks as usize, blocks);
        e
    });
    let bound = best_of(3, || {
        let t = Instant::now();
        let d = markdown_drafts(&prepared.text);
        assert!(!d.blocks.is_empty());
        t.elapsed()
    });
    let rate = |d: Duration| blocks as f64 / d.as_secs_f64();
    println!(
        "  {name:<11} {:>5.1} MB {blocks:>7} blocks | convert {:>7.1} ms {:>8.0} blocks/s | \
         full ingest {:>7.1} ms {:>8.0} blocks/s | bound (Markdown parse of its text) {:>6.1} ms \
         {:>8.0} blocks/s | convert/bound {:>5.1}",
        bytes.len() as f64 / 1e6,
        convert.as_secs_f64() * 1e3,
        rate(convert),
        full.as_secs_f64() * 1e3,
        rate(full),
        bound.as_secs_f64() * 1e3,
        rate(bound),
        convert.as_secs_f64() / bound.as_secs_f64()
    );
    Some(full)
}

/// The Python interpreter itself (`sys.executable`), not the `python3` on PATH: a pyenv shim
/// is a shell script that adds its own start-up to every timed run.
fn python() -> &'static str {
    static EXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    EXE.get_or_init(|| {
        std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "python3".into())
    })
}

/// A reference reader: the program and arguments that read `path` fully.
fn reference(tool: &str, path: &Path) -> Option<std::process::Command> {
    let p = path.to_str()?;
    let (program, args): (&str, Vec<String>) = match tool {
        "pdftotext" => ("pdftotext", vec![p.into(), "/dev/null".into()]),
        "python-pptx" => (
            python(),
            vec!["-c".into(), format!("import pptx\nd=pptx.Presentation({p:?})\nn=sum(len(s.shapes) for s in d.slides)")],
        ),
        _ => (
            python(),
            vec!["-c".into(), format!("import openpyxl\nw=openpyxl.load_workbook({p:?}, read_only=True)\nn=sum(1 for s in w for r in s.iter_rows(values_only=True))")],
        ),
    };
    let mut c = std::process::Command::new(program);
    c.args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    Some(c)
}

/// One untimed run of the reference tool; on failure, why (its last line of stderr: a failure
/// on the bench's own file was once reported as "not installed").
fn try_reference(tool: &str, path: &Path) -> Result<(), String> {
    let mut c = reference(tool, path).ok_or("no path")?;
    let out = c
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| format!("not installed ({e})"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!(
        "failed on the file ({}: {})",
        out.status,
        last.trim()
    ))
}

/// Time the reference tool on `path` (best of 3) and print ours / its against `target`.
fn versus(tool: &str, path: &Path, ours: Option<Duration>, target: f64) {
    let Some(ours) = ours else {
        println!(
            "  {tool:<11} ours was not measured: ratio to it NOT MEASURED (target <= {target}x)"
        );
        return;
    };
    if let Err(why) = try_reference(tool, path) {
        println!("  {tool:<11} {why}: ratio to it NOT MEASURED (target <= {target}x)");
        return;
    }
    let theirs = best_of(3, || {
        let t = Instant::now();
        let _ = reference(tool, path).map(|mut c| c.status());
        t.elapsed()
    });
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
    let verdict = if ratio <= target { "ok" } else { "FAIL" };
    println!(
        "  {tool:<11} {:>7.1} ms; ours/{tool} = {ratio:.3} (target <= {target}) {verdict}",
        theirs.as_secs_f64() * 1e3
    );
}

fn main() {
    let sections: usize = std::env::var("BENCH_SECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "ingest formats benchmark: {sections} sections per document (best of 3); \
         bound = Markdown parse of the same text representation"
    );
    measure(dir.path(), "report.html", &html(sections));
    measure(dir.path(), "loans.csv", &csv(sections * 8));
    measure(dir.path(), "report.docx", &docx(sections));
    measure(dir.path(), "report.epub", &epub(sections));
    let pdf_wall = measure(dir.path(), "report.pdf", &pdf(sections));
    let pptx_wall = measure(dir.path(), "deck.pptx", &office::pptx(sections / 4));
    // Not behind `cfg(feature = "xlsx")`: a build without the reader says so here (a missing
    // line was the symptom of issue 25's last bench run).
    let xlsx_wall = measure(dir.path(), "sheet.xlsx", &office::xlsx(sections * 8));
    println!("reference tools (issue 25 targets), same files:");
    versus("pdftotext", &dir.path().join("report.pdf"), pdf_wall, 1.0);
    versus("python-pptx", &dir.path().join("deck.pptx"), pptx_wall, 0.2);
    versus("openpyxl", &dir.path().join("sheet.xlsx"), xlsx_wall, 0.2);
}
