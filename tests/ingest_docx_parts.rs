//! Issue 25 item 5 (DOCX): header and footer parts become `page_header` / `page_footer` blocks
//! once per distinct text; a text box (`mc:AlternateContent` with a VML fallback) is read once
//! and the paragraph around it keeps its own text; "Block Text", "Quote" and "Intense Quote"
//! are blockquotes; bold, italic, code (monospace) runs and hyperlinks are inline Markdown
//! (item 6). Through a real redb store.

mod office;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{BlockType, Locator};
use blockwise::store::Store;

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:wps="wps" xmlns:v="v" xmlns:r="r""#;

fn para(style: &str, text: &str) -> String {
    let ppr = if style.is_empty() {
        String::new()
    } else {
        format!(r#"<w:pPr><w:pStyle w:val="{style}"/></w:pPr>"#)
    };
    format!("<w:p>{ppr}<w:r><w:t>{text}</w:t></w:r></w:p>")
}

fn part(root: &str, body: &str) -> Vec<u8> {
    format!(r#"<?xml version="1.0"?><w:{root} {W}>{body}</w:{root}>"#).into_bytes()
}

fn docx() -> Vec<u8> {
    let text_box = format!(
        r#"<w:p><w:r><w:t xml:space="preserve">Before the box. </w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>{}</w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox><w:txbxContent>{}</w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>After the box.</w:t></w:r></w:p>"#,
        para("", "Boxed words."),
        para("", "Boxed words."),
    );
    let inline = r#"<w:p><w:r><w:t xml:space="preserve">Use </w:t></w:r><w:r><w:rPr><w:rFonts w:ascii="Consolas"/></w:rPr><w:t>make all</w:t></w:r><w:r><w:t xml:space="preserve">, </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>not</w:t></w:r><w:r><w:rPr><w:b/><w:i w:val="0"/></w:rPr><w:t xml:space="preserve"> ever</w:t></w:r><w:r><w:t xml:space="preserve"> </w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t>2*3</w:t></w:r><w:r><w:t xml:space="preserve">; see </w:t></w:r><w:hyperlink r:id="rId9"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t>the guide</w:t></w:r></w:hyperlink><w:r><w:br/><w:t>[next]</w:t></w:r></w:p>"#;
    let body = format!(
        "<w:body>{}{inline}{}{}{}{}</w:body>",
        para("", "Body paragraph."),
        text_box,
        para("BlockText", "A block of text."),
        para("Quote", "A quotation."),
        para("IntenseQuote", "A strong quotation."),
    );
    let styles = r#"<w:style w:type="paragraph" w:styleId="BlockText"><w:name w:val="Block Text"/></w:style><w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/></w:style><w:style w:type="paragraph" w:styleId="IntenseQuote"><w:name w:val="Intense Quote"/></w:style>"#;
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let rels = format!(
        r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/styles" Target="styles.xml"/><Relationship Id="rId2" Type="{rel}/header" Target="header1.xml"/><Relationship Id="rId3" Type="{rel}/footer" Target="footer1.xml"/><Relationship Id="rId4" Type="{rel}/footer" Target="footer2.xml"/><Relationship Id="rId9" Type="{rel}/hyperlink" Target="https://example.org/guide" TargetMode="External"/></Relationships>"#
    );
    office::zip_of(&[
        ("word/document.xml", part("document", &body)),
        ("word/styles.xml", part("styles", styles)),
        ("word/_rels/document.xml.rels", rels.into_bytes()),
        (
            "word/header1.xml",
            part("hdr", &para("", "Acme Corp — Confidential")),
        ),
        (
            "word/footer1.xml",
            part("ftr", &para("", "Internal use only")),
        ),
        (
            "word/footer2.xml",
            part("ftr", &para("", "Internal use only")),
        ),
    ])
}

#[test]
fn headers_footers_text_boxes_and_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("memo.docx");
    std::fs::write(&path, docx()).unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let rep = ingest_path(&store, &path, IngestLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    let blocks = store.blocks(&rep.document.conv_uid).unwrap();
    let got: Vec<(BlockType, &str)> = blocks
        .iter()
        .map(|b| (b.block_type, b.block_content.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (BlockType::PageHeader, "Acme Corp — Confidential"),
            (BlockType::Paragraph, "Body paragraph."),
            (
                BlockType::Paragraph,
                "Use `make all`, **not ever** *2\\*3*; see [the guide](https://example.org/guide)\\\n\\[next\\]"
            ),
            (BlockType::Paragraph, "Boxed words."),
            (BlockType::Paragraph, "Before the box. After the box."),
            (BlockType::Blockquote, "> A block of text."),
            (BlockType::Blockquote, "> A quotation."),
            (BlockType::Blockquote, "> A strong quotation."),
            (BlockType::PageFooter, "Internal use only"),
        ]
    );
    let Locator::DocxParagraph { part, .. } = &blocks[0].block_locator else {
        panic!("{:?}", blocks[0].block_locator)
    };
    assert_eq!(part, "word/header1.xml");
}
