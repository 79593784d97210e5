//! Synthetic PPTX and XLSX files for the ingest benchmark (issue 25): a deck of slides with a
//! title, bullets, a table and notes; a workbook of rows with text, numbers, dates and formulas.

use super::formats::{sentence, zip_of};

const P: &str = r#"xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const OFFICE: &str = "application/vnd.openxmlformats-officedocument";

/// `[Content_Types].xml` and `_rels/.rels`, which every OOXML package has (ECMA-376 part 2):
/// without them python-pptx and openpyxl refuse the file ("no member '/[Content_Types].xml'").
/// `parts` are (part name, content type after "application/vnd.openxmlformats-officedocument.").
fn package(main: &str, parts: &[(String, String)]) -> [(String, String); 2] {
    let overrides: String = parts
        .iter()
        .map(|(name, ty)| format!(r#"<Override PartName="/{name}" ContentType="{OFFICE}.{ty}"/>"#))
        .collect();
    [
        (
            "[Content_Types].xml".into(),
            format!(
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>"#
            ),
        ),
        (
            "_rels/.rels".into(),
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="{main}"/></Relationships>"#
            ),
        ),
    ]
}

/// The content type of a generated part, by its folder (`None`: a `.rels` part, by Default).
fn content_type(name: &str) -> Option<&'static str> {
    let types = [
        (
            "ppt/presentation.xml",
            "presentationml.presentation.main+xml",
        ),
        ("ppt/slides/slide", "presentationml.slide+xml"),
        ("ppt/notesSlides/", "presentationml.notesSlide+xml"),
        ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
        ("xl/worksheets/", "spreadsheetml.worksheet+xml"),
        ("xl/styles.xml", "spreadsheetml.styles+xml"),
    ];
    if name.ends_with(".rels") {
        return None;
    }
    types
        .iter()
        .find(|(p, _)| name.starts_with(p))
        .map(|(_, t)| *t)
}

/// Zip `files` as a package whose main part is `main`.
fn zip_package(main: &str, mut files: Vec<(String, String)>) -> Vec<u8> {
    let parts: Vec<(String, String)> = files
        .iter()
        .filter_map(|(n, _)| Some((n.clone(), content_type(n)?.to_string())))
        .collect();
    files.extend(package(main, &parts));
    let refs: Vec<(&str, String)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    zip_of(&refs)
}

fn sp(id: usize, ph: &str, paras: &[String]) -> String {
    let body: String = paras
        .iter()
        .map(|t| format!("<a:p><a:r><a:rPr lang=\"en-US\"/><a:t>{t}</a:t></a:r></a:p>"))
        .collect();
    format!(
        r#"<p:sp><p:nvSpPr><p:cNvPr id="{id}" name="S{id}"/><p:cNvSpPr/><p:nvPr>{ph}</p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/>{body}</p:txBody></p:sp>"#
    )
}

pub fn pptx(slides: usize) -> Vec<u8> {
    let mut files: Vec<(String, String)> = Vec::new();
    let (mut ids, mut rels) = (String::new(), String::new());
    for n in 1..=slides {
        let bullets: Vec<String> = (0..4).map(|i| sentence(n * 7 + i, 12)).collect();
        let cells: String = (0..3)
            .map(|r| {
                let tds: String = (0..3)
                    .map(|c| format!("<a:tc><a:txBody><a:bodyPr/><a:p><a:r><a:t>r{r}c{c} {n}</a:t></a:r></a:p></a:txBody></a:tc>"))
                    .collect();
                format!("<a:tr>{tds}</a:tr>")
            })
            .collect();
        let table = format!(
            r#"<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="4" name="T"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl>{cells}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>"#
        );
        let shapes = format!(
            "{}{}{table}",
            sp(
                2,
                r#"<p:ph type="title"/>"#,
                &[format!("Slide {n}: {}", sentence(n, 4))]
            ),
            sp(3, r#"<p:ph idx="1"/>"#, &bullets)
        );
        files.push((
            format!("ppt/slides/slide{n}.xml"),
            format!(r#"<?xml version="1.0"?><p:sld {P}><p:cSld><p:spTree>{shapes}</p:spTree></p:cSld></p:sld>"#),
        ));
        files.push((
            format!("ppt/slides/_rels/slide{n}.xml.rels"),
            format!(r#"<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId2" Type="{REL}/notesSlide" Target="../notesSlides/notesSlide{n}.xml"/></Relationships>"#),
        ));
        files.push((
            format!("ppt/notesSlides/notesSlide{n}.xml"),
            format!(r#"<?xml version="1.0"?><p:notes {P}><p:cSld><p:spTree>{}</p:spTree></p:cSld></p:notes>"#, sp(3, r#"<p:ph type="body" idx="1"/>"#, &[sentence(n * 3, 20)])),
        ));
        ids.push_str(&format!(
            r#"<p:sldId id="{}" r:id="rId{}"/>"#,
            255 + n,
            10 + n
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{}" Type="{REL}/slide" Target="slides/slide{n}.xml"/>"#,
            10 + n
        ));
    }
    files.push((
        "ppt/presentation.xml".into(),
        format!(r#"<?xml version="1.0"?><p:presentation {P}><p:sldIdLst>{ids}</p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>"#),
    ));
    files.push((
        "ppt/_rels/presentation.xml.rels".into(),
        format!(r#"<?xml version="1.0"?><Relationships xmlns="{RELS}">{rels}</Relationships>"#),
    ));
    zip_package("ppt/presentation.xml", files)
}

pub fn xlsx(rows: usize) -> Vec<u8> {
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let mut data = String::from(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Amount</t></is></c><c r="C1" t="inlineStr"><is><t>Double</t></is></c><c r="D1" t="inlineStr"><is><t>Date</t></is></c><c r="E1" t="inlineStr"><is><t>Note</t></is></c></row>"#,
    );
    for r in 2..=rows + 1 {
        data.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>Customer {r}</t></is></c><c r="B{r}"><v>{}</v></c><c r="C{r}"><f>B{r}*2</f><v>{}</v></c><c r="D{r}" s="1"><v>{}</v></c><c r="E{r}" t="inlineStr"><is><t>{}</t></is></c></row>"#,
            r * 3,
            r * 6,
            40000 + r % 3000,
            sentence(r, 6)
        ));
    }
    let files = [
        (
            "xl/workbook.xml".to_string(),
            format!(
                r#"<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{REL}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".to_string(),
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/styles.xml".to_string(),
            format!(
                r#"<?xml version="1.0"?><styleSheet xmlns="{main}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#
            ),
        ),
        (
            "xl/worksheets/sheet1.xml".to_string(),
            format!(
                r#"<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData>{data}</sheetData></worksheet>"#
            ),
        ),
    ];
    zip_package("xl/workbook.xml", files.into())
}
