//! Character encodings: HTML, XHTML and EPUB chapters honour a byte-order mark, `<meta charset>`,
//! an `http-equiv` content type and the XML declaration, falling back to UTF-8 when the bytes
//! are valid UTF-8 and to the WHATWG legacy default (windows-1252) otherwise. Text and Markdown
//! accept UTF-8 (with or without a BOM) and BOM-marked UTF-16.

use std::borrow::Cow;

use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// How far into a file the charset declaration is looked for (the WHATWG prescan reads 1024).
const PRESCAN_BYTES: usize = 1024;

/// Decode an HTML document. `xml` marks XHTML (EPUB chapters, `.xhtml`), whose default is UTF-8.
pub(crate) fn decode_html(raw: &[u8], xml: bool) -> Result<Cow<'_, str>, String> {
    if let Some((enc, bom)) = Encoding::for_bom(raw) {
        return decode_strict(&raw[bom..], enc, bom);
    }
    match declared(raw)? {
        Some(enc) => decode_strict(raw, enc, 0),
        None if xml => decode_strict(raw, UTF_8, 0),
        None => match std::str::from_utf8(raw) {
            Ok(s) => Ok(Cow::Borrowed(s)),
            Err(_) => Ok(WINDOWS_1252.decode_without_bom_handling(raw).0),
        },
    }
}

/// Text and Markdown: UTF-8 as is; a UTF-16 byte-order mark decodes the rest. `None` means
/// "not UTF-16 with a BOM": the caller validates the bytes as UTF-8.
pub(crate) fn decode_utf16_bom(raw: &[u8]) -> Option<Result<(String, &'static str), String>> {
    let enc = match raw {
        [0xff, 0xfe, ..] => UTF_16LE,
        [0xfe, 0xff, ..] => UTF_16BE,
        _ => return None,
    };
    Some(decode_strict(&raw[2..], enc, 2).map(|s| (s.into_owned(), enc.name())))
}

/// Decode `raw` as `enc`, refusing malformed input with the byte offset (`base` = bytes before).
fn decode_strict<'a>(
    raw: &'a [u8],
    enc: &'static Encoding,
    base: usize,
) -> Result<Cow<'a, str>, String> {
    if enc == UTF_8 {
        return std::str::from_utf8(raw).map(Cow::Borrowed).map_err(|e| {
            format!(
                "not valid UTF-8: invalid byte sequence at offset {} (convert the file to UTF-8)",
                base + e.valid_up_to()
            )
        });
    }
    let mut decoder = enc.new_decoder_without_bom_handling();
    let cap = decoder
        .max_utf8_buffer_length_without_replacement(raw.len())
        .unwrap_or(raw.len().saturating_mul(3));
    let mut out = String::with_capacity(cap);
    let (result, read) = decoder.decode_to_string_without_replacement(raw, &mut out, true);
    match result {
        DecoderResult::InputEmpty => Ok(Cow::Owned(out)),
        DecoderResult::Malformed(bad, extra) => Err(format!(
            "not valid {}: invalid byte sequence at offset {}",
            enc.name(),
            base + read - bad as usize - extra as usize
        )),
        DecoderResult::OutputFull => Err(format!("cannot decode the file as {}", enc.name())),
    }
}

/// The encoding the head of the file declares: the XML declaration, `<meta charset>` or an
/// `http-equiv="Content-Type"` content. An unknown label is refused, naming it.
fn declared(raw: &[u8]) -> Result<Option<&'static Encoding>, String> {
    let head = &raw[..raw.len().min(PRESCAN_BYTES)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let label = xml_declaration(&head).or_else(|| meta_charset(&head));
    let Some(label) = label else {
        return Ok(None);
    };
    match Encoding::for_label(label.trim().as_bytes()) {
        // WHATWG: a UTF-16 label in a byte-oriented declaration means UTF-8.
        Some(enc) if enc == UTF_16LE || enc == UTF_16BE => Ok(Some(UTF_8)),
        Some(enc) if enc.name() == "replacement" => Err(unknown(&label)),
        Some(enc) => Ok(Some(enc)),
        None => Err(unknown(&label)),
    }
}

fn unknown(label: &str) -> String {
    format!(
        "the file declares the character encoding \"{}\", which is not a known encoding \
         (convert the file to UTF-8 or fix the declaration)",
        label.escape_debug()
    )
}

/// `encoding="..."` of a leading `<?xml ...?>` declaration.
fn xml_declaration(head: &str) -> Option<String> {
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    attribute_value(decl, "encoding")
}

/// The charset of the first `<meta>` that declares one.
fn meta_charset(head: &str) -> Option<String> {
    let mut rest = head;
    while let Some(at) = rest.find("<meta") {
        let tag = &rest[at + 5..];
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        if let Some(v) = attribute_value(tag, "charset") {
            return Some(v);
        }
        let is_content_type =
            attribute_value(tag, "http-equiv").is_some_and(|v| v.trim() == "content-type");
        if let (true, Some(content)) = (is_content_type, attribute_value(tag, "content")) {
            if let Some(v) = charset_in_content(&content) {
                return Some(v);
            }
        }
        rest = &rest[at + 5..];
    }
    None
}

/// `charset=...` inside a content type such as `text/html; charset=iso-8859-1`.
fn charset_in_content(content: &str) -> Option<String> {
    let at = content.find("charset")?;
    let v = content[at + 7..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let v = v.trim_start_matches(['"', '\'']);
    let end = v.find(|c: char| matches!(c, ';' | '"' | '\'') || c.is_whitespace());
    let v = &v[..end.unwrap_or(v.len())];
    (!v.is_empty()).then(|| v.to_string())
}

/// The value of attribute `name` in a tag's attribute text (quoted or bare); text inside
/// another attribute's quoted value never matches.
fn attribute_value(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        let key_end = rest.find(|c: char| c.is_whitespace() || matches!(c, '=' | '>' | '/'))?;
        let (key, after) = rest.split_at(key_end);
        let after = after.trim_start();
        let Some(value) = after.strip_prefix('=') else {
            if key.is_empty() {
                return None;
            }
            rest = after;
            continue;
        };
        let value = value.trim_start();
        let (v, next) = match value.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &value[1..];
                let close = body.find(q).unwrap_or(body.len());
                (&body[..close], &body[(close + 1).min(body.len())..])
            }
            _ => {
                let end = value
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(value.len());
                value.split_at(end)
            }
        };
        if key == name {
            return Some(v.to_string());
        }
        rest = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_found_in_each_form() {
        let latin = b"<html><head><meta charset=\"iso-8859-1\"></head><body>caf\xe9</body></html>";
        assert!(decode_html(latin, false).unwrap().contains("caf\u{e9}"));
        let equiv =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"><p>\xc1";
        assert!(decode_html(equiv, false).unwrap().ends_with("\u{430}"));
        let xml = b"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><html><p>\xa4</p></html>";
        assert!(decode_html(xml, true).unwrap().contains('\u{20ac}'));
        let legacy = b"<p>na\xefve</p>";
        assert_eq!(decode_html(legacy, false).unwrap(), "<p>na\u{ef}ve</p>");
        assert!(decode_html(legacy, true).unwrap_err().contains("offset 5"));
        let bom = b"\xef\xbb\xbf<meta charset=latin1><p>\xc3\xa9";
        assert!(decode_html(bom, false).unwrap().ends_with('\u{e9}'));
    }

    #[test]
    fn unknown_and_malformed_are_refused_with_reason() {
        let e = decode_html(b"<meta charset=\"x-klingon\"><p>hi", false).unwrap_err();
        assert!(
            e.contains("x-klingon") && e.contains("not a known encoding"),
            "{e}"
        );
        let e = decode_html(b"<meta charset=\"shift_jis\"><p>\x81", false).unwrap_err();
        assert!(e.contains("Shift_JIS") && e.contains("offset 29"), "{e}");
    }

    #[test]
    fn utf16_with_a_bom_decodes_and_bad_surrogates_are_refused() {
        let mut le = vec![0xff, 0xfe];
        le.extend("# T\u{e9}\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode_utf16_bom(&le).unwrap().unwrap().0, "# T\u{e9}\n");
        let mut be = vec![0xfe, 0xff];
        be.extend("ok".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(
            decode_utf16_bom(&be).unwrap().unwrap(),
            ("ok".into(), "UTF-16BE")
        );
        let bad = [0xff, 0xfe, b'a', 0, 0x00, 0xdc];
        assert!(decode_utf16_bom(&bad)
            .unwrap()
            .unwrap_err()
            .contains("offset 4"));
        assert!(decode_utf16_bom(b"plain").is_none());
    }
}
