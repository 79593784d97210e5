//! CommonMark inline syntax for text that comes from HTML, EPUB and DOCX: literal characters
//! that would turn into markup are escaped, code spans, emphasis, strong emphasis, links and
//! hard line breaks are written in their Markdown forms, and paragraphs of such text keep
//! their inline markup at line starts (only block-level starts are escaped).

use super::render::{inline, list_item_body};

/// Escape literal text so it reads back as itself: `\`, `` ` ``, `*`, `[`, `]`, `<`, an `_`
/// at a word boundary and an `&` that starts an entity.
pub(crate) fn escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let escaped = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' => true,
            '_' => {
                let before = i.checked_sub(1).and_then(|j| chars.get(j));
                let after = chars.get(i + 1);
                !(before.is_some_and(|c| c.is_alphanumeric())
                    && after.is_some_and(|c| c.is_alphanumeric()))
            }
            '&' => starts_entity(&chars[i + 1..]),
            _ => false,
        };
        if escaped {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether `&` followed by `rest` reads as an entity (`&amp;`, `&#38;`).
fn starts_entity(rest: &[char]) -> bool {
    let name = rest
        .iter()
        .take(32)
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
        .count();
    name > 0 && rest.get(name) == Some(&';')
}

/// A code span around `code` (whitespace collapsed, as a code span reads): the fence is longer
/// than any backtick run inside, padded when the code starts or ends with a backtick.
pub(crate) fn code_span(code: &str) -> String {
    let code = inline(code);
    if code.is_empty() {
        return String::new();
    }
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if code.starts_with('`') || code.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{code}{pad}{fence}")
}

/// `inner` (already Markdown) wrapped in `marker` (`*`, `**`), the delimiters tight against the
/// text: surrounding whitespace goes outside them.
pub(crate) fn emphasis(inner: &str, marker: &str) -> String {
    let body = inner.trim();
    if body.is_empty() || body == "\\" {
        return inner.to_string();
    }
    let lead = &inner[..inner.len() - inner.trim_start().len()];
    let trail = &inner[inner.trim_end().len()..];
    format!("{lead}{marker}{body}{marker}{trail}")
}

/// A link `[text](destination)`; a destination with spaces, parentheses or angle brackets is
/// written `<...>`. A text-less link keeps nothing but the text it has.
pub(crate) fn link(inner: &str, href: &str) -> String {
    let body = inner.trim();
    let href = href.trim();
    if body.is_empty() || href.is_empty() {
        return inner.to_string();
    }
    let dest = if href.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", href.replace('<', "%3C").replace('>', "%3E"))
    } else {
        href.to_string()
    };
    emphasis_like(inner, &format!("[{body}]({dest})"))
}

fn emphasis_like(inner: &str, middle: &str) -> String {
    let lead = &inner[..inner.len() - inner.trim_start().len()];
    let trail = &inner[inner.trim_end().len()..];
    format!("{lead}{middle}{trail}")
}

/// A hard line break as CommonMark writes it: a backslash at the end of the line.
pub(crate) const HARD_BREAK: &str = "\\\n";

/// Inline Markdown on one line: hard breaks become spaces (headings, table cells).
pub(crate) fn one_line(md: &str) -> String {
    inline(&md.replace(HARD_BREAK, " "))
}

/// Paragraph text that already is inline Markdown: whitespace collapsed per line, a line that
/// would start a block (heading, quote, list, table, fence, thematic break) escaped, and no
/// hard break left dangling at the end.
pub(crate) fn paragraph(md: &str) -> String {
    let lines: Vec<String> = md
        .lines()
        .map(inline)
        .filter(|l| !l.is_empty() && l != "\\")
        .map(|l| escape_block_start(&l))
        .collect();
    let mut out = lines.join("\n");
    while out.ends_with('\\') && !out.ends_with("\\\\") {
        out.pop();
        out.truncate(out.trim_end().len());
    }
    out
}

/// A list item (`render::list_item`) of text that already is inline Markdown.
pub(crate) fn list_item(md: &str, ordinal: Option<usize>, depth: usize) -> String {
    list_item_body(&paragraph(md), ordinal, depth)
}

/// Escape what would start a block at the start of a line. Inline markers (`*`, `` ` ``, `[`,
/// `<`) are not escaped here: in literal text they already are.
fn escape_block_start(line: &str) -> String {
    let first = line.chars().next().unwrap_or(' ');
    let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
    let ordered =
        digits > 0 && digits < 10 && matches!(line[digits..].chars().next(), Some('.') | Some(')'));
    let bullet_star = line.starts_with("* ") || line == "*";
    if matches!(first, '#' | '>' | '-' | '+' | '=' | '|' | '~') || bullet_star {
        format!("\\{line}")
    } else if ordered {
        format!("{}\\{}", &line[..digits], &line[digits..])
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_markup_is_escaped_and_inline_forms_are_written() {
        assert_eq!(
            escape("a*b* [x] <i> snake_case _x_ \\ `c` &amp; & b"),
            "a\\*b\\* \\[x\\] \\<i> snake_case \\_x\\_ \\\\ \\`c\\` \\&amp; & b"
        );
        assert_eq!(code_span("let x = `y`;"), "``let x = `y`;``");
        assert_eq!(code_span("`"), "`` ` ``");
        assert_eq!(emphasis(" word ", "*"), " *word* ");
        assert_eq!(emphasis("  ", "**"), "  ");
        assert_eq!(
            link("the docs", "https://x.org/a b"),
            "[the docs](<https://x.org/a b>)"
        );
        assert_eq!(link(" site", "https://x.org"), " [site](https://x.org)");
        assert_eq!(
            paragraph("*lead* text\\\n# not heading\\\n"),
            "*lead* text\\\n\\# not heading"
        );
        assert_eq!(one_line("a\\\nb"), "a b");
    }
}
