//! PDF to blocks: the text layer of each page is read with lopdf (a small content-stream
//! interpreter places every shown string on the page), then `pdf_layout.rs` turns the positioned
//! text into lines, paragraphs, headings and list items, drops running headers and footers, and
//! joins hyphenated line ends. The locator is the page and the bounding box of the block.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, LoadOptions, Object, ObjectId};

use super::pdf_layout::{layout, Page, Span};
use super::pdf_metrics::standard_width;
use super::Drafts;

/// Most bytes one page's content streams may inflate to.
const MAX_PAGE_CONTENT: usize = 64 * 1024 * 1024;

pub(crate) fn pdf_drafts(raw: &[u8]) -> Result<(Cow<'static, str>, Drafts), String> {
    if raw.is_empty() {
        return Err("empty file: nothing to ingest".into());
    }
    let head = &raw[..raw.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err("not a PDF file: no %PDF- header".into());
    }
    // Readers look for the end marker in the last 1024 bytes; a file cut short has none.
    let tail = &raw[raw.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err("damaged or truncated PDF: the file ends without its %%EOF marker".into());
    }
    let doc = load(raw)?;
    if doc.trailer.get(b"Encrypt").is_ok() && doc.encryption_state.is_none() {
        return Err(
            "the PDF is encrypted and needs a password: remove the password and save it again to \
             ingest it"
                .into(),
        );
    }
    let page_ids = doc.get_pages();
    if page_ids.is_empty() {
        return Err("damaged PDF: it has no pages".into());
    }
    let mut pages = Vec::with_capacity(page_ids.len());
    let mut images = 0usize;
    let mut fonts = FontCache::new();
    for (&number, &id) in &page_ids {
        let (page, page_images) = read_page(&doc, number, id, &mut fonts)?;
        images += page_images;
        pages.push(page);
    }
    if pages
        .iter()
        .all(|p| p.spans.iter().all(|s| s.text.trim().is_empty()))
    {
        return Err(if images > 0 {
            format!(
                "the PDF has no text layer ({} page(s) of images, a scan?): OCR is needed, which \
                 blockwise does not do; run it through an OCR tool first",
                page_ids.len()
            )
        } else {
            "the PDF has no text to read".into()
        });
    }
    let title = info_title(&doc);
    drop(fonts);
    drop(doc); // not needed past here: freed before the layout (memory)
    let mut r = layout(pages);
    if let Some(title) = title {
        r.fallback_title(&title);
    }
    let (text, drafts) = r.finish();
    Ok((Cow::Owned(text), drafts))
}

/// The document without the objects the reader never looks at ([`unread`]); a file whose page
/// tree only a full load can rebuild (damaged cross-references) is loaded in full.
fn load(raw: &[u8]) -> Result<Document, String> {
    let failed = |e: lopdf::Error| format!("damaged or truncated PDF: cannot be parsed ({e})");
    let doc = Document::load_mem_with_options(raw, LoadOptions::with_filter(unread));
    match doc {
        Ok(doc) if !doc.get_pages().is_empty() => Ok(doc),
        _ => Document::load_mem(raw).map_err(failed),
    }
}

/// Drop a tagged PDF's structure elements while loading (text comes from content streams):
/// Chromium writes one per HTML element, 7,451 of 7,893 objects (most memory) in Node's http.md.
fn unread(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let structure = match &*object {
        Object::Dictionary(d) => d
            .get(b"Type")
            .and_then(Object::as_name)
            .is_ok_and(|t| t == b"StructElem"),
        _ => false,
    };
    // lopdf keeps the object it passed for a top-level object but the returned one for a
    // member of an object stream: a copy serves both (one object at a time).
    (!structure).then(|| (id, object.clone()))
}

/// The graphics and text state the interpreter tracks (PDF 32000-1 §9.3, §9.4).
#[derive(Clone, Copy)]
struct State {
    ctm: [f32; 6],
    char_spacing: f32,
    word_spacing: f32,
    scale: f32,
    leading: f32,
    rise: f32,
    size: f32,
}

fn mul(a: [f32; 6], b: [f32; 6]) -> [f32; 6] {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

const IDENTITY: [f32; 6] = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn num(o: &Object) -> f32 {
    match o {
        Object::Integer(i) => *i as f32,
        Object::Real(r) => *r,
        _ => 0.0,
    }
}

fn nums<const N: usize>(ops: &[Object]) -> Option<[f32; N]> {
    if ops.len() < N {
        return None;
    }
    let mut out = [0.0; N];
    for (o, v) in out.iter_mut().zip(&ops[ops.len() - N..]) {
        *o = num(v);
    }
    Some(out)
}

/// What the interpreter needs of a font: how to decode its codes and how wide each glyph is.
struct Font<'a> {
    encoding: Option<Encoding<'a>>,
    two_byte: bool,
    widths: BTreeMap<u32, f32>,
    default_width: f32,
    /// Glyph space to text space for widths: 1/1000, or a Type3 font's `FontMatrix`.
    width_scale: f32,
    bold: bool,
    /// A fixed-pitch font (Courier, a "Mono" face): its lines are code.
    mono: bool,
    /// Lower-case `BaseFont`, for standard-font widths.
    base: String,
}

impl<'a> Font<'a> {
    fn load(doc: &'a Document, dict: &'a Dictionary) -> Font<'a> {
        let subtype = dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .unwrap_or(b"");
        let two_byte = subtype == b"Type0";
        let (fixed_pitch, missing_width) = descriptor(doc, dict);
        let base = dict
            .get(b"BaseFont")
            .and_then(Object::as_name)
            .map(|n| String::from_utf8_lossy(n).to_ascii_lowercase())
            .unwrap_or_default();
        let mut widths = BTreeMap::new();
        let mut default_width = 500.0;
        if two_byte {
            let descendant = dict
                .get_deref(b"DescendantFonts", doc)
                .and_then(Object::as_array)
                .ok()
                .and_then(|a| a.first())
                .and_then(|d| doc.dereference(d).ok())
                .and_then(|(_, d)| d.as_dict().ok());
            if let Some(d) = descendant {
                default_width = d.get(b"DW").map(num).unwrap_or(1000.0);
                if let Ok(w) = d.get_deref(b"W", doc).and_then(Object::as_array) {
                    cid_widths(doc, w, &mut widths);
                }
            }
        } else {
            let first = dict.get(b"FirstChar").map(num).unwrap_or(0.0) as u32;
            if let Ok(w) = dict.get_deref(b"Widths", doc).and_then(Object::as_array) {
                for (i, v) in w.iter().enumerate() {
                    let v = doc.dereference(v).map(|(_, o)| num(o)).unwrap_or(0.0);
                    widths.insert(first + i as u32, v);
                }
            }
            default_width = match missing_width {
                Some(w) if w > 0.0 => w,
                // The standard 14 fonts need no widths: a Helvetica-like average.
                _ if base.contains("courier") || fixed_pitch => 600.0,
                _ if widths.is_empty() => 520.0,
                _ => default_width,
            };
        }
        // A Type3 font's glyph space is its FontMatrix's (often not 1/1000 of an em).
        let width_scale = match dict.get(b"FontMatrix").and_then(Object::as_array) {
            Ok(m) if subtype == b"Type3" => m.first().map(num).filter(|v| *v > 0.0),
            _ => None,
        }
        .unwrap_or(0.001);
        Font {
            encoding: to_unicode_first(doc, dict).or_else(|| dict.get_font_encoding(doc).ok()),
            two_byte,
            widths,
            default_width,
            width_scale,
            bold: base.contains("bold") || base.contains("black") || base.contains("heavy"),
            mono: fixed_pitch || super::pdf_words::is_monospace(&base),
            base,
        }
    }

    fn codes(&self, bytes: &[u8]) -> Vec<u32> {
        if self.two_byte {
            bytes
                .chunks(2)
                .map(|c| (c[0] as u32) << 8 | *c.get(1).unwrap_or(&0) as u32)
                .collect()
        } else {
            bytes.iter().map(|&b| b as u32).collect()
        }
    }

    fn decode(&self, bytes: &[u8]) -> String {
        match &self.encoding {
            Some(e) => Document::decode_text(e, bytes)
                .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned()),
            None => bytes.iter().map(|&b| b as char).collect(),
        }
    }
}

/// The font's `ToUnicode` CMap as its encoding when it also has an `Encoding` (lopdf reads the
/// `Encoding` first): Skia's Type3 fonts name glyphs `/g0 /g1 ...`, which mean nothing, and
/// pdftotext reads the CMap too.
fn to_unicode_first(doc: &Document, dict: &Dictionary) -> Option<Encoding<'static>> {
    dict.get_deref(b"ToUnicode", doc)
        .and_then(Object::as_stream)
        .ok()?;
    dict.get(b"Encoding").ok()?;
    let mut bare = dict.clone();
    bare.remove(b"Encoding");
    match bare.get_font_encoding(doc) {
        Ok(Encoding::UnicodeMapEncoding(cmap)) => Some(Encoding::UnicodeMapEncoding(cmap)),
        _ => None,
    }
}

/// The font descriptor's FixedPitch flag (bit 1 of `Flags`) and `MissingWidth`, looked up on the
/// font or, for a Type0 font, on its descendant: subset fonts of browser PDFs have names like
/// `ABCDEF+Iosevka` that say nothing of their pitch.
fn descriptor(doc: &Document, dict: &Dictionary) -> (bool, Option<f32>) {
    let own = dict
        .get_deref(b"FontDescriptor", doc)
        .and_then(Object::as_dict);
    let descendant = || {
        dict.get_deref(b"DescendantFonts", doc)
            .and_then(Object::as_array)
            .ok()
            .and_then(|a| a.first())
            .and_then(|d| doc.dereference(d).ok())
            .and_then(|(_, d)| d.as_dict().ok())
            .and_then(|d| {
                d.get_deref(b"FontDescriptor", doc)
                    .and_then(Object::as_dict)
                    .ok()
            })
    };
    let Some(fd) = own.ok().or_else(descendant) else {
        return (false, None);
    };
    let flags = fd.get(b"Flags").and_then(Object::as_i64).unwrap_or(0);
    let missing = fd.get(b"MissingWidth").ok().map(num);
    (flags & 1 == 1, missing)
}

/// `W` array of a CID font: `c [w1 w2 ...]` or `c_first c_last w`.
fn cid_widths(doc: &Document, w: &[Object], out: &mut BTreeMap<u32, f32>) {
    let mut i = 0;
    while i < w.len() {
        let start = num(&w[i]) as u32;
        match w.get(i + 1).map(|o| doc.dereference(o).map(|(_, o)| o)) {
            Some(Ok(Object::Array(list))) => {
                for (k, v) in list.iter().enumerate() {
                    out.insert(start + k as u32, num(v));
                }
                i += 2;
            }
            Some(Ok(end)) => {
                let (end, width) = (num(end) as u32, w.get(i + 2).map(num).unwrap_or(0.0));
                for c in start..=end.min(start + 65535) {
                    out.insert(c, width);
                }
                i += 3;
            }
            _ => break,
        }
    }
}

/// Interpret one page's content: every shown string becomes a span with its position.
fn read_page<'a>(
    doc: &'a Document,
    number: u32,
    id: ObjectId,
    cache: &mut FontCache<'a>,
) -> Result<(Page, usize), String> {
    let media = media_box(doc, id);
    let fonts = page_fonts(doc, number, id, cache)?;
    let images = doc.get_page_images(id).map(|v| v.len()).unwrap_or(0);
    let content = page_content(doc, number, id)?;
    let mut spans = Vec::new();
    let mut stack: Vec<State> = Vec::new();
    let mut st = START;
    let mut font: Option<&Font<'_>> = None;
    let mut tm = IDENTITY;
    let mut tlm = IDENTITY;
    let mut draws = 0usize;
    let mut marks = super::pdf_marks::Marks::default();
    for op in &content.operations {
        let o = &op.operands;
        if marks.op(&op.operator, o, st.ctm) {
            continue;
        }
        match op.operator.as_str() {
            "q" => stack.push(st),
            "Q" => {
                if let Some(s) = stack.pop() {
                    st = s;
                }
            }
            "cm" => {
                if let Some(m) = nums::<6>(o) {
                    st.ctm = mul(m, st.ctm);
                }
            }
            "BT" | "Td" | "TD" | "Tm" | "T*" => {
                move_text(&op.operator, o, &mut st, &mut tm, &mut tlm)
            }
            "Tf" => {
                font = o
                    .first()
                    .and_then(|n| n.as_name().ok())
                    .and_then(|n| fonts.get(n))
                    .map(|f| &**f);
                st.size = o.get(1).map(num).unwrap_or(0.0);
            }
            "Tc" => st.char_spacing = o.first().map(num).unwrap_or(0.0),
            "Tw" => st.word_spacing = o.first().map(num).unwrap_or(0.0),
            "Tz" => st.scale = o.first().map(num).unwrap_or(100.0) / 100.0,
            "TL" => st.leading = o.first().map(num).unwrap_or(0.0),
            "Ts" => st.rise = o.first().map(num).unwrap_or(0.0),
            "Tj" | "'" | "\"" | "TJ" => {
                quote_moves(&op.operator, o, &mut st, &mut tm, &mut tlm);
                let Some(f) = font else { continue };
                draws += 1;
                show(f, &st, &mut tm, &shown_parts(&op.operator, o), &mut spans);
            }
            _ => {}
        }
        if draws > 2_000_000 {
            return Err(format!("page {number} has too many text operations"));
        }
    }
    // Every page's spans live until the layout: no growth slack kept (memory, issue 25).
    spans.shrink_to_fit();
    Ok((
        Page {
            number,
            width: media[2] - media[0],
            height: media[3] - media[1],
            origin: (media[0], media[1]),
            spans,
            marks: marks.found,
        },
        images,
    ))
}

/// The graphics and text state at the start of a page.
const START: State = State {
    ctm: IDENTITY,
    char_spacing: 0.0,
    word_spacing: 0.0,
    scale: 1.0,
    leading: 0.0,
    rise: 0.0,
    size: 0.0,
};

/// The fonts of a page's resources by name.
/// Fonts already loaded, by their dictionary: a CID font's thousands of widths are read once.
type FontCache<'a> = HashMap<*const Dictionary, Rc<Font<'a>>>;

fn page_fonts<'a>(
    doc: &'a Document,
    number: u32,
    id: ObjectId,
    cache: &mut FontCache<'a>,
) -> Result<BTreeMap<Vec<u8>, Rc<Font<'a>>>, String> {
    Ok(doc
        .get_page_fonts(id)
        .map_err(|e| format!("damaged PDF: page {number} fonts cannot be read ({e})"))?
        .into_iter()
        .map(|(name, dict)| {
            let font = cache
                .entry(dict as *const Dictionary)
                .or_insert_with(|| Rc::new(Font::load(doc, dict)));
            (name, Rc::clone(font))
        })
        .collect())
}

/// A page's content stream, decoded into operations.
fn page_content(doc: &Document, number: u32, id: ObjectId) -> Result<Content, String> {
    let bytes = doc
        .get_page_content_with_limit(id, MAX_PAGE_CONTENT)
        .map_err(|e| format!("damaged PDF: page {number} content cannot be read ({e})"))?;
    Content::decode(&bytes)
        .map_err(|e| format!("damaged PDF: page {number} content cannot be parsed ({e})"))
}

/// The text-positioning operators `BT`, `Td`, `TD`, `Tm` and `T*` (PDF 32000-1 §9.4.2).
fn move_text(op: &str, o: &[Object], st: &mut State, tm: &mut [f32; 6], tlm: &mut [f32; 6]) {
    match op {
        "BT" => {
            *tm = IDENTITY;
            *tlm = IDENTITY;
        }
        "Td" | "TD" => {
            if let Some([tx, ty]) = nums::<2>(o) {
                if op == "TD" {
                    st.leading = -ty;
                }
                *tlm = mul([1.0, 0.0, 0.0, 1.0, tx, ty], *tlm);
                *tm = *tlm;
            }
        }
        "Tm" => {
            if let Some(m) = nums::<6>(o) {
                *tlm = m;
                *tm = m;
            }
        }
        "T*" => {
            *tlm = mul([1.0, 0.0, 0.0, 1.0, 0.0, -st.leading], *tlm);
            *tm = *tlm;
        }
        _ => {}
    }
}

/// The operands a text-showing operator shows: the `TJ` array's items, else its last operand.
/// The `'` and `"` operators move to the next line (and `"` sets the spacings) first.
fn quote_moves(op: &str, o: &[Object], st: &mut State, tm: &mut [f32; 6], tlm: &mut [f32; 6]) {
    if op == "'" || op == "\"" {
        if let Some([aw, ac]) = o.get(..2).and_then(nums::<2>).filter(|_| op == "\"") {
            st.word_spacing = aw;
            st.char_spacing = ac;
        }
        *tlm = mul([1.0, 0.0, 0.0, 1.0, 0.0, -st.leading], *tlm);
        *tm = *tlm;
    }
}

fn shown_parts<'o>(op: &str, o: &'o [Object]) -> Vec<&'o Object> {
    match op {
        "TJ" => o
            .first()
            .and_then(|a| a.as_array().ok())
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        _ => o.last().into_iter().collect(),
    }
}

/// Show strings (and `TJ` kerning numbers) with font `f`, advancing the text matrix.
fn show(f: &Font<'_>, st: &State, tm: &mut [f32; 6], parts: &[&Object], spans: &mut Vec<Span>) {
    let mut text = String::new();
    let start = mul(*tm, st.ctm);
    for part in parts {
        match part {
            Object::String(bytes, _) => {
                let mut advance = 0.0;
                for code in f.codes(bytes) {
                    let w = f
                        .widths
                        .get(&code)
                        .copied()
                        .or_else(|| {
                            (f.widths.is_empty() && !f.two_byte)
                                .then(|| standard_width(&f.base, code))
                                .flatten()
                        })
                        .unwrap_or(f.default_width)
                        * f.width_scale;
                    let space = if !f.two_byte && code == 32 {
                        st.word_spacing
                    } else {
                        0.0
                    };
                    advance += (w * st.size + st.char_spacing + space) * st.scale;
                }
                text.push_str(&super::pdf_words::expand_ligatures(&f.decode(bytes)));
                *tm = mul([1.0, 0.0, 0.0, 1.0, advance, 0.0], *tm);
            }
            other => {
                // A kerning adjustment in thousandths of text space; one over 0.1 em is a word
                // space, as pdftotext's minimum word break (browser engines drop the space
                // glyph and move by its width, 0.2 em or less in a condensed face).
                let adjust = -num(other) / 1000.0 * st.size * st.scale;
                if adjust > st.size * st.scale * 0.1 && !text.ends_with(' ') {
                    text.push(' ');
                }
                *tm = mul([1.0, 0.0, 0.0, 1.0, adjust, 0.0], *tm);
            }
        }
    }
    if text.is_empty() {
        return;
    }
    let end = mul(*tm, st.ctm);
    // The size on the page: the font size scaled by the vertical part of text and page matrices.
    let m = mul([st.size * st.scale, 0.0, 0.0, st.size, 0.0, st.rise], start);
    let size = (m[2] * m[2] + m[3] * m[3]).sqrt();
    spans.push(Span {
        x0: start[4].min(end[4]),
        x1: start[4].max(end[4]),
        y: start[5] + st.rise,
        size,
        bold: f.bold,
        mono: f.mono,
        text,
    });
}

fn media_box(doc: &Document, page: ObjectId) -> [f32; 4] {
    let mut id = Some(page);
    for _ in 0..32 {
        let Some(dict) = id.and_then(|i| doc.get_dictionary(i).ok()) else {
            break;
        };
        if let Ok(a) = dict.get_deref(b"MediaBox", doc).and_then(Object::as_array) {
            if let Some(b) = nums::<4>(a) {
                return b;
            }
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok();
    }
    [0.0, 0.0, 612.0, 792.0]
}

/// The Info dictionary's `Title`, decoded (UTF-16 with a byte-order mark, else PDFDocEncoding
/// read as Latin-1).
fn info_title(doc: &Document) -> Option<String> {
    let info = doc
        .trailer
        .get_deref(b"Info", doc)
        .and_then(Object::as_dict)
        .ok()?;
    let raw = info
        .get_deref(b"Title", doc)
        .and_then(Object::as_str)
        .ok()?;
    let text = if let Some(utf16) = raw.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = utf16
            .chunks(2)
            .map(|c| (c[0] as u16) << 8 | *c.get(1).unwrap_or(&0) as u16)
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        raw.iter().map(|&b| b as char).collect()
    };
    // Generators that leave the title unset often write a placeholder.
    Some(text).filter(|t| {
        !t.trim().is_empty()
            && !matches!(
                t.trim().to_ascii_lowercase().as_str(),
                "untitled" | "(anonymous)" | "anonymous"
            )
    })
}

#[cfg(test)]
#[path = "pdf_browser_tests.rs"]
mod browser_tests;
