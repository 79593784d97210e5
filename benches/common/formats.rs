//! Generators of synthetic documents for the ingest benches (a report of sections with a
//! heading, paragraphs, list items and a table), shared by `ingest_formats` and
//! `ingest_folder` through `#[path]`.
#![allow(dead_code)]

use std::io::Write;

pub const WORDS: &[&str] = &[
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
pub fn sentence(seed: usize, n: usize) -> String {
    let mut words: Vec<&str> = (0..n)
        .map(|i| WORDS[(seed * 7 + i * 13) % WORDS.len()])
        .collect();
    words[0] = "The";
    format!("{}.", words.join(" "))
}

pub fn paragraph(seed: usize) -> String {
    (0..4)
        .map(|i| sentence(seed + i, 12))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn html(sections: usize) -> Vec<u8> {
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

pub fn csv(rows: usize) -> Vec<u8> {
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

pub fn zip_of(files: &[(&str, String)]) -> Vec<u8> {
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

pub fn docx(sections: usize) -> Vec<u8> {
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

pub fn epub(sections: usize) -> Vec<u8> {
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
pub fn pdf(sections: usize) -> Vec<u8> {
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
