//! Builders for the PPTX and XLSX files the office ingest tests read: real zip containers with
//! the parts PowerPoint and Excel write, made here so every case is visible in the test.

#![allow(dead_code)]

use std::io::Write;

/// A zip file of `(name, bytes)` members, deflated.
pub fn zip_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in members {
        // Large parts are stored: deflating tens of megabytes in a debug build is slow.
        let method = if bytes.len() > 1 << 20 {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let opt = zip::write::SimpleFileOptions::default().compression_method(method);
        zip.start_file(*name, opt).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const P: &str = r#"xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

/// A text shape: `ph` is the placeholder type (`None`: a text box), paragraphs are
/// `(level, bullet xml, text)`.
pub fn text_shape(id: u32, ph: Option<&str>, paras: &[(u32, &str, &str)]) -> String {
    let ph = match ph {
        Some("body") => r#"<p:nvPr><p:ph idx="1"/></p:nvPr>"#.to_string(),
        Some(t) => format!(r#"<p:nvPr><p:ph type="{t}"/></p:nvPr>"#),
        None => "<p:nvPr/>".to_string(),
    };
    let paras: String = paras
        .iter()
        .map(|(lvl, bu, t)| {
            format!(r#"<a:p><a:pPr lvl="{lvl}">{bu}</a:pPr><a:r><a:rPr lang="en-US"/><a:t>{t}</a:t></a:r></a:p>"#)
        })
        .collect();
    format!(
        r#"<p:sp><p:nvSpPr><p:cNvPr id="{id}" name="Shape {id}"/><p:cNvSpPr/>{ph}</p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/>{paras}</p:txBody></p:sp>"#
    )
}

pub fn table_shape(id: u32, rows: &[&[&str]]) -> String {
    let rows: String = rows
        .iter()
        .map(|r| {
            let cells: String = r
                .iter()
                .map(|c| format!("<a:tc><a:txBody><a:bodyPr/><a:p><a:r><a:t>{c}</a:t></a:r></a:p></a:txBody></a:tc>"))
                .collect();
            format!(r#"<a:tr h="370840">{cells}</a:tr>"#)
        })
        .collect();
    format!(
        r#"<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="{id}" name="Table {id}"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl>{rows}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>"#
    )
}

pub fn picture(id: u32, descr: &str) -> String {
    format!(
        r#"<p:pic><p:nvPicPr><p:cNvPr id="{id}" name="Picture {id}" descr="{descr}"/><p:cNvPicPr/><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed="rId9"/></p:blipFill></p:pic>"#
    )
}

pub fn chart(id: u32, name: &str) -> String {
    format!(
        r#"<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="{id}" name="{name}"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="rId3"/></a:graphicData></a:graphic></p:graphicFrame>"#
    )
}

pub fn slide(shapes: &[String], hidden: bool) -> Vec<u8> {
    let show = if hidden { r#" show="0""# } else { "" };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:sld {P}{show}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>{}</p:spTree></p:cSld></p:sld>"#,
        shapes.concat()
    )
    .into_bytes()
}

pub fn notes(text: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><p:notes {P}><p:cSld><p:spTree>{}{}</p:spTree></p:cSld></p:notes>"#,
        r#"<p:sp><p:nvSpPr><p:cNvPr id="2" name="Slide Image"/><p:cNvSpPr/><p:nvPr><p:ph type="sldImg"/></p:nvPr></p:nvSpPr><p:spPr/></p:sp>"#,
        text_shape(3, Some("body"), &[(0, "", text)])
    )
    .into_bytes()
}

/// A presentation of `slides` (in this order, listed in `p:sldIdLst` in reverse file order to
/// prove the list, not the file names, gives the order); `notes[i]` is slide i's notes.
pub fn pptx(slides: &[Vec<u8>], notes_of: &[Option<Vec<u8>>]) -> Vec<u8> {
    let n = slides.len();
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    let mut ids = String::new();
    let mut rels = String::new();
    for (i, s) in slides.iter().enumerate() {
        // Slide i (presentation order) is stored as slide{n-i}.xml.
        let file = format!("slide{}.xml", n - i);
        ids.push_str(&format!(
            r#"<p:sldId id="{}" r:id="rId{}"/>"#,
            256 + i,
            10 + i
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/{file}"/>"#,
            10 + i
        ));
        members.push((format!("ppt/slides/{file}"), s.clone()));
        if let Some(Some(nx)) = notes_of.get(i) {
            let nfile = format!("notesSlide{}.xml", i + 1);
            members.push((format!("ppt/notesSlides/{nfile}"), nx.clone()));
            members.push((
                format!("ppt/slides/_rels/{file}.rels"),
                format!(r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideLayout" Target="../slideLayouts/slideLayout1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/notesSlide" Target="../notesSlides/{nfile}"/></Relationships>"#).into_bytes(),
            ));
        }
    }
    members.push((
        "ppt/presentation.xml".into(),
        format!(r#"<?xml version="1.0"?><p:presentation {P}><p:sldIdLst>{ids}</p:sldIdLst></p:presentation>"#).into_bytes(),
    ));
    members.push((
        "ppt/_rels/presentation.xml.rels".into(),
        format!(r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#).into_bytes(),
    ));
    members.push((
        "docProps/core.xml".into(),
        br#"<?xml version="1.0"?><cp:coreProperties xmlns:cp="cp" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Quarterly Plan</dc:title></cp:coreProperties>"#.to_vec(),
    ));
    let refs: Vec<(&str, Vec<u8>)> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    zip_of(&refs)
}

/// A worksheet part: `rows` are `(row number, cells xml)`; `extra` follows `sheetData`.
pub fn sheet_xml(rows: &[(u32, String)], extra: &str) -> Vec<u8> {
    let rows: String = rows
        .iter()
        .map(|(n, cells)| format!(r#"<row r="{n}">{cells}</row>"#))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>{rows}</sheetData>{extra}</worksheet>"#
    )
    .into_bytes()
}

/// A workbook of `(name, state, worksheet xml)` sheets with shared strings `strings` and a
/// style table where `s="1"` is a date (numFmt 14) and `s="2"` a date-time (numFmt 22).
pub fn xlsx(sheets: &[(&str, &str, Vec<u8>)], strings: &[&str]) -> Vec<u8> {
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut list = String::new();
    let mut rels = String::new();
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, (name, state, xml)) in sheets.iter().enumerate() {
        let n = i + 1;
        let state = if state.is_empty() {
            String::new()
        } else {
            format!(r#" state="{state}""#)
        };
        list.push_str(&format!(
            r#"<sheet name="{name}" sheetId="{n}"{state} r:id="rId{n}"/>"#
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="{rel}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
        members.push((format!("xl/worksheets/sheet{n}.xml"), xml.clone()));
    }
    let sst: String = strings
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    members.push((
        "[Content_Types].xml".into(),
        br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_vec(),
    ));
    members.push((
        "xl/workbook.xml".into(),
        format!(r#"<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>{list}</sheets></workbook>"#).into_bytes(),
    ));
    members.push((
        "xl/_rels/workbook.xml.rels".into(),
        format!(r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}<Relationship Id="rIdS" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rIdT" Type="{rel}/styles" Target="styles.xml"/></Relationships>"#).into_bytes(),
    ));
    members.push((
        "xl/sharedStrings.xml".into(),
        format!(
            r#"<?xml version="1.0"?><sst xmlns="{main}" count="{0}" uniqueCount="{0}">{sst}</sst>"#,
            strings.len()
        )
        .into_bytes(),
    ));
    members.push((
        "xl/styles.xml".into(),
        format!(r#"<?xml version="1.0"?><styleSheet xmlns="{main}"><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="22" applyNumberFormat="1"/></cellXfs></styleSheet>"#).into_bytes(),
    ));
    let refs: Vec<(&str, Vec<u8>)> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    zip_of(&refs)
}
