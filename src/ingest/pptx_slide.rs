//! One PowerPoint slide (or notes slide) part read into its shapes, in tree order: text shapes
//! with their paragraphs (bullet level and kind kept), tables, pictures and charts with their
//! alt text. Group shapes are walked through; their members are shapes of their own.

use super::xml::{attr, walk, XmlEvent};

/// What a text shape is, from its placeholder type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `ctrTitle` (level 1) or `title` (level 2).
    Title(usize),
    Subtitle,
    /// A body or content placeholder: paragraphs are bullets unless `a:buNone` says otherwise.
    Body,
    /// A text box or any other shape: paragraphs unless they carry a bullet.
    Text,
    /// Slide number, date, footer, slide image on a notes page: not content of the slide.
    Furniture,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bullet {
    Inherit,
    None,
    Char,
    Number,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paragraph {
    pub text: String,
    /// `a:pPr/@lvl`, 0-based.
    pub level: usize,
    pub bullet: Bullet,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    Text(Role, Vec<Paragraph>),
    Table(Vec<Vec<String>>),
    /// A picture, chart or diagram: its alt text (`descr`, else `title`, else the name) and kind.
    Figure {
        alt: String,
        kind: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    pub id: u32,
    pub content: Content,
}

/// A shape being read: where it opened and what has been seen so far.
#[derive(Default)]
struct Open {
    element: &'static str,
    depth: usize,
    id: Option<u32>,
    name: String,
    descr: String,
    title: String,
    placeholder: Option<String>,
    chart: Option<&'static str>,
    paras: Vec<Paragraph>,
    rows: Option<Vec<Vec<String>>>,
}

#[derive(Default)]
struct Reader {
    shapes: Vec<Shape>,
    open: Option<Open>,
    para: Option<Paragraph>,
    cell: Option<String>,
    in_text: bool,
    depth: usize,
}

/// Whether a slide part is hidden (`<p:sld show="0">`) and its shapes.
pub(crate) fn read_slide(xml: &[u8], what: &str) -> Result<(bool, Vec<Shape>), String> {
    let mut r = Reader::default();
    let mut hidden = false;
    walk(xml, what, |ev| match ev {
        XmlEvent::Open { name, attrs } => {
            if name == "sld" && matches!(attr(attrs, "show"), Some("0" | "false")) {
                hidden = true;
            }
            r.depth += 1;
            r.open_element(name, attrs);
        }
        XmlEvent::Close { name } => {
            r.close_element(name);
            r.depth -= 1;
        }
        XmlEvent::Text(t) if r.in_text => r.text(t),
        XmlEvent::Text(_) => {}
    })?;
    Ok((hidden, r.shapes))
}

fn shape_element(name: &str) -> Option<&'static str> {
    match name {
        "sp" => Some("sp"),
        "pic" => Some("pic"),
        "graphicFrame" => Some("graphicFrame"),
        "cxnSp" => Some("cxnSp"),
        _ => None,
    }
}

impl Reader {
    fn open_element(&mut self, name: &str, attrs: &[(String, String)]) {
        if let Some(element) = shape_element(name) {
            if self.open.is_none() {
                self.open = Some(Open {
                    element,
                    depth: self.depth,
                    ..Open::default()
                });
            }
            return;
        }
        let Some(open) = self.open.as_mut() else {
            return;
        };
        match name {
            "cNvPr" if open.id.is_none() => {
                open.id = attr(attrs, "id").and_then(|v| v.parse().ok());
                open.name = attr(attrs, "name").unwrap_or("").to_string();
                open.descr = attr(attrs, "descr").unwrap_or("").to_string();
                open.title = attr(attrs, "title").unwrap_or("").to_string();
            }
            "ph" => open.placeholder = Some(attr(attrs, "type").unwrap_or("body").to_string()),
            "graphicData" => {
                let uri = attr(attrs, "uri").unwrap_or("");
                if uri.contains("chart") {
                    open.chart = Some("chart");
                } else if uri.contains("diagram") {
                    open.chart = Some("diagram");
                }
            }
            "tbl" => open.rows = Some(Vec::new()),
            "tr" => open.rows.get_or_insert_with(Vec::new).push(Vec::new()),
            "tc" => self.cell = Some(String::new()),
            "p" => {
                self.para = Some(Paragraph {
                    text: String::new(),
                    level: 0,
                    bullet: Bullet::Inherit,
                })
            }
            "pPr" => {
                if let Some(p) = self.para.as_mut() {
                    p.level = attr(attrs, "lvl").and_then(|v| v.parse().ok()).unwrap_or(0);
                }
            }
            "buNone" | "buChar" | "buAutoNum" | "buBlip" => {
                if let Some(p) = self.para.as_mut() {
                    p.bullet = match name {
                        "buNone" => Bullet::None,
                        "buAutoNum" => Bullet::Number,
                        _ => Bullet::Char,
                    };
                }
            }
            "t" => self.in_text = true,
            "br" => self.text("\n"),
            _ => {}
        }
    }

    fn text(&mut self, t: &str) {
        if let Some(p) = self.para.as_mut() {
            p.text.push_str(t);
        }
    }

    fn close_element(&mut self, name: &str) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        match name {
            "t" => self.in_text = false,
            "p" => {
                if let Some(p) = self.para.take() {
                    match self.cell.as_mut() {
                        Some(cell) => {
                            if !cell.is_empty() {
                                cell.push(' ');
                            }
                            cell.push_str(&p.text);
                        }
                        None => open.paras.push(p),
                    }
                }
            }
            "tc" => {
                let cell = self.cell.take().unwrap_or_default();
                if let Some(row) = open.rows.as_mut().and_then(|rows| rows.last_mut()) {
                    row.push(cell);
                }
            }
            _ if name == open.element && self.depth == open.depth => {
                if let Some(open) = self.open.take() {
                    if let Some(shape) = open.finish() {
                        self.shapes.push(shape);
                    }
                }
            }
            _ => {}
        }
    }
}

impl Open {
    fn finish(self) -> Option<Shape> {
        let id = self.id.unwrap_or(0);
        let alt = [self.descr, self.title, self.name]
            .into_iter()
            .find(|s| !s.trim().is_empty())
            .unwrap_or_default();
        let content = if let Some(rows) = self.rows {
            Content::Table(rows)
        } else if self.element == "pic" {
            Content::Figure {
                alt,
                kind: "picture",
            }
        } else if let Some(kind) = self.chart {
            Content::Figure { alt, kind }
        } else if self.paras.iter().any(|p| !p.text.trim().is_empty()) {
            Content::Text(role(self.placeholder.as_deref()), self.paras)
        } else {
            return None;
        };
        Some(Shape { id, content })
    }
}

fn role(placeholder: Option<&str>) -> Role {
    match placeholder {
        None => Role::Text,
        Some("ctrTitle") => Role::Title(1),
        Some("title") => Role::Title(2),
        Some("subTitle") => Role::Subtitle,
        Some("sldNum" | "dt" | "ftr" | "hdr" | "sldImg") => Role::Furniture,
        Some(_) => Role::Body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_keep_roles_levels_bullets_tables_and_alt_text() {
        let xml = br#"<p:sld xmlns:p="p" xmlns:a="a" show="0"><p:cSld><p:spTree>
<p:sp><p:nvSpPr><p:cNvPr id="2" name="Title 1"/><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr>
<p:txBody><a:p><a:r><a:t>Plan</a:t></a:r></a:p></p:txBody></p:sp>
<p:grpSp><p:sp><p:nvSpPr><p:cNvPr id="3" name="C"/><p:nvPr><p:ph idx="1"/></p:nvPr></p:nvSpPr>
<p:txBody><a:p><a:r><a:t>One</a:t></a:r><a:br/><a:r><a:t>more</a:t></a:r></a:p>
<a:p><a:pPr lvl="1"><a:buNone/></a:pPr><a:r><a:t>Two</a:t></a:r></a:p></p:txBody></p:sp></p:grpSp>
<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="4" name="T"/></p:nvGraphicFramePr><a:graphic>
<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl>
<a:tr><a:tc><a:txBody><a:p><a:r><a:t>k</a:t></a:r></a:p></a:txBody></a:tc><a:tc><a:txBody><a:p><a:r><a:t>v</a:t></a:r></a:p></a:txBody></a:tc></a:tr>
</a:tbl></a:graphicData></a:graphic></p:graphicFrame>
<p:pic><p:nvPicPr><p:cNvPr id="5" name="Picture 4" descr="A red barn"/></p:nvPicPr></p:pic>
</p:spTree></p:cSld></p:sld>"#;
        let (hidden, shapes) = read_slide(xml, "ppt/slides/slide1.xml").unwrap();
        assert!(hidden);
        let ids: Vec<u32> = shapes.iter().map(|s| s.id).collect();
        assert_eq!(ids, [2, 3, 4, 5]);
        assert_eq!(
            shapes[0].content,
            Content::Text(
                Role::Title(2),
                vec![Paragraph {
                    text: "Plan".into(),
                    level: 0,
                    bullet: Bullet::Inherit
                }]
            )
        );
        let Content::Text(Role::Body, paras) = &shapes[1].content else {
            panic!("{:?}", shapes[1]);
        };
        assert_eq!(paras[0].text, "One\nmore");
        assert_eq!((paras[1].level, paras[1].bullet), (1, Bullet::None));
        assert_eq!(
            shapes[2].content,
            Content::Table(vec![vec!["k".into(), "v".into()]])
        );
        assert_eq!(
            shapes[3].content,
            Content::Figure {
                alt: "A red barn".into(),
                kind: "picture"
            }
        );
    }
}
