//! Export to a terminal (issue 20 item 7): when stdout is a terminal, the export's bytes pass
//! through the one sanitizer, so an escape sequence in a document or an answer is shown, never
//! obeyed. Piped or redirected output is not wrapped and stays byte-exact.
//!
//! JSONL keeps being valid JSON ([`json_escape_controls`]: the risky characters serde_json
//! leaves raw become `\uXXXX`); CSV and Markdown go through [`sanitize`] (line feeds and tabs
//! kept), except that a carriage return directly before a line feed (CSV's CRLF) is kept too:
//! it cannot move the cursor anywhere a line feed does not.

use std::io::{self, Write};

use crate::model::{json_escape_controls, sanitize};

/// A writer that makes what it is given safe for a terminal before passing it on. Text may be
/// split anywhere by the caller: an incomplete UTF-8 sequence or a trailing `\r` waits for the
/// next write (or [`flush`](Write::flush)).
pub struct TerminalSafe<W: Write> {
    inner: W,
    pending: Vec<u8>,
    json: bool,
}

impl<W: Write> TerminalSafe<W> {
    /// `json`: the text is JSON lines (escape, keeping it valid JSON); else plain text.
    pub fn new(inner: W, json: bool) -> TerminalSafe<W> {
        TerminalSafe {
            inner,
            pending: Vec::new(),
            json,
        }
    }

    /// Write out everything complete in `pending`; with `all`, the held-back tail too.
    fn drain(&mut self, all: bool) -> io::Result<()> {
        let mut end = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // An incomplete sequence at the end waits; invalid bytes are shown as U+FFFD below.
            Err(e) if e.error_len().is_none() && !all => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        if !all && end > 0 && self.pending[end - 1] == b'\r' {
            end -= 1;
        }
        let text = String::from_utf8_lossy(&self.pending[..end]).into_owned();
        let safe = if self.json {
            json_escape_controls(&text).into_owned()
        } else {
            let parts: Vec<String> = text
                .split("\r\n")
                .map(|p| sanitize(p).into_owned())
                .collect();
            parts.join("\r\n")
        };
        self.inner.write_all(safe.as_bytes())?;
        self.pending.drain(..end);
        Ok(())
    }
}

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        self.drain(false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain(true)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for TerminalSafe<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(json: bool, chunks: &[&[u8]]) -> String {
        let mut out = Vec::new();
        {
            let mut w = TerminalSafe::new(&mut out, json);
            for c in chunks {
                w.write_all(c).unwrap();
            }
            w.flush().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_are_shown_and_crlf_is_kept_across_split_writes() {
        let text = "a\x1b[2Jb,\"c\"\r\nnext\rline\u{9b}é\n";
        let bytes = text.as_bytes();
        // Split inside the CRLF and inside the two-byte 'é'.
        let at_cr = text.find("\r\n").unwrap() + 1;
        let at_e = text.find('é').unwrap() + 1;
        let got = through(
            false,
            &[&bytes[..at_cr], &bytes[at_cr..at_e], &bytes[at_e..]],
        );
        assert_eq!(got, "a␛[2Jb,\"c\"\r\nnext␍line<U+009B>é\n");
        let json = through(true, &[b"{\"x\":\"\xc2", b"\x9b\"}\n"]);
        assert_eq!(json, "{\"x\":\"\\u009b\"}\n");
        serde_json::from_str::<serde_json::Value>(json.trim()).unwrap();
    }
}
