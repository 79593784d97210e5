//! Ingest benchmark for HTML, CSV, DOCX, EPUB and PDF (issue 15):
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

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use blockwise::ingest::{ingest_path, markdown_drafts, prepare_path, IngestLimits};
use blockwise::store::Store;

const WORDS: &[&str] = &[
    "library",
    "loans",
    "visitors",
    "council",
    "budget",
    "reading",
    "children",
    "events",
    "staff",
    "collection",
    "survey",
    "branch",
    "hours",
    "digital",
    "autumn",
    "report",
    "figures",
    "plan",
];

/// A deterministic sentence of `n` words.
fn sentence(seed: usize, n: usize) -> String {
    let mut words: Vec<&str> = (0..n)
        .map(|i| WORDS[(seed * 7 + i * 13) % WORDS.len()])
        .collect();
    words[0] = "The";
    format!("{}.", words.join(" "))
}

fn paragraph(seed: usize) -> String {
    (0..4)
        .map(|i| sentence(seed + i, 12))
        .collect::<Vec<_>>()
        .join(" ")
}

fn html(sections: usize) -> Vec<u8> {
    let mut s = String::from(
        "<!doctype html><html><head><title>Report</title><script>var x=1;</script></head>\
         <body><nav><a href=/>Home</a></nav><main>\n",
    );
    for i in 0..sections {
        s += &format!("<h2>Section {i}</h2>\n");
        for p in 0..3 {
            s += &format!("<p>{}</p>\n", paragraph(i * 3 + p));
        }
        s += "<ul>";
        for l in 0..3 {
            s += &format!("<li>{}</li>", sentence(i + l, 8));
        }
        s += "</ul>\n<table><tr><th>Year</th><th>Loans</th></tr>";
        s += &format!(
            "<tr><td>202{}</td><td>{}</td></tr></table>\n",
            i % 10,
            i * 17
        );
    }
    s += "</main><footer>(c) Library</footer></body></html>\n";
    s.into_bytes()
}

fn csv(rows: usize) -> Vec<u8> {
    let mut s = String::from("id,title,author,borrowed,due,notes\n");
    for i in 0..rows {
        s += &format!(
            "L-{i},\"{}\",Author {},2024-02-{:02},2024-03-{:02},\"{}\"\n",
            sentence(i, 4),
            i % 97,
            i % 28 + 1,
            i % 28 + 1,
            sentence(i + 3, 9)
        );
    }
    s.into_bytes()
}

fn zip_of(files: &[(&str, String)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in files {
            z.start_file(*name, opts).expect("zip entry");
            z.write_all(body.as_bytes()).expect("zip write");
        }
        z.finish().expect("zip finish");
    }
    buf.into_inner()
}

fn docx(sections: usize) -> Vec<u8> {
    let p = |style: &str, text: &str| {
        format!(
            "<w:p><w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"
        )
    };
    let mut body = String::new();
    for i in 0..sections {
        body += &p("Heading1", &format!("Section {i}"));
        for k in 0..3 {
            body += &p("Normal", &paragraph(i * 3 + k));
        }
        for l in 0..3 {
            body += &p("ListBullet", &sentence(i + l, 8));
        }
        body += "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Year</w:t></w:r></w:p></w:tc>\
                 <w:tc><w:p><w:r><w:t>Loans</w:t></w:r></w:p></w:tc></w:tr></w:tbl>";
    }
    let ns = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"";
    zip_of(&[
        ("[Content_Types].xml", "<Types/>".into()),
        (
            "word/document.xml",
            format!("<w:document {ns}><w:body>{body}</w:body></w:document>"),
        ),
        (
            "word/styles.xml",
            format!(
                "<w:styles {ns}><w:style w:type=\"paragraph\" w:styleId=\"Heading1\">\
                 <w:name w:val=\"heading 1\"/></w:style>\
                 <w:style w:type=\"paragraph\" w:styleId=\"ListBullet\"><w:name w:val=\"List Bullet\"/>\
                 <w:pPr><w:numPr><w:numId w:val=\"1\"/></w:numPr></w:pPr></w:style></w:styles>"
            ),
        ),
    ])
}

fn epub(sections: usize) -> Vec<u8> {
    let chapters = 20;
    let per = sections.div_ceil(chapters);
    let mut files: Vec<(String, String)> = vec![
        ("mimetype".into(), "application/epub+zip".into()),
        (
            "META-INF/container.xml".into(),
            "<container><rootfiles><rootfile full-path=\"OEBPS/content.opf\"/></rootfiles></container>"
                .into(),
        ),
    ];
    let mut manifest = String::new();
    let mut spine = String::new();
    for c in 0..chapters {
        let page = String::from_utf8(html(per)).expect("utf-8");
        files.push((format!("OEBPS/ch{c}.xhtml"), page));
        manifest += &format!(
            "<item id=\"c{c}\" href=\"ch{c}.xhtml\" media-type=\"application/xhtml+xml\"/>"
        );
        spine += &format!("<itemref idref=\"c{c}\"/>");
    }
    files.push((
        "OEBPS/content.opf".into(),
        format!(
            "<package><metadata><title>Report</title></metadata><manifest>{manifest}</manifest>\
             <spine>{spine}</spine></package>"
        ),
    ));
    let refs: Vec<(&str, String)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    zip_of(&refs)
}

/// A PDF in Helvetica: per section a 16 pt heading and 10 pt paragraphs, 60 lines a page.
fn pdf(sections: usize) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{dictionary, Document, Object, Stream};

    let mut lines: Vec<(f32, String)> = Vec::new();
    for i in 0..sections {
        lines.push((16.0, format!("Section {i}")));
        for k in 0..3 {
            let words: Vec<String> = paragraph(i * 3 + k).split(' ').map(String::from).collect();
            for chunk in words.chunks(12) {
                lines.push((10.0, chunk.join(" ")));
            }
            lines.push((0.0, String::new()));
        }
    }
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids: Vec<Object> = Vec::new();
    for page_lines in lines.chunks(60) {
        let mut ops = Vec::new();
        let mut y = 780.0;
        for (size, text) in page_lines {
            if *size == 0.0 {
                y -= 8.0;
                continue;
            }
            y -= size * 1.3;
            ops.push(Operation::new("BT", vec![]));
            ops.push(Operation::new("Tf", vec!["F1".into(), (*size).into()]));
            ops.push(Operation::new("Td", vec![60.into(), y.into()]));
            ops.push(Operation::new(
                "Tj",
                vec![Object::string_literal(text.as_str())],
            ));
            ops.push(Operation::new("ET", vec![]));
        }
        let content = Content { operations: ops };
        let content_id = doc.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("encode content"),
        ));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count,
            "Resources" => resources_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save pdf");
    out
}

fn best_of(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..n).map(|_| f()).min().unwrap_or_default()
}

fn measure(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write bench file");
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let prepared = prepare_path(&path, limits).expect("convert");
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
    measure(dir.path(), "report.pdf", &pdf(sections));
}
