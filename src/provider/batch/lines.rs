//! A response body read line by line: at most one chunk and one unfinished line in memory.

use super::ProviderError;

/// Lines of a streamed HTTP body (JSONL), without their line ends; empty lines are skipped.
pub struct LineStream {
    response: Option<reqwest::Response>,
    /// Bodies read after this one (OpenAI: the error file after the output file).
    then: std::collections::VecDeque<reqwest::Response>,
    buf: Vec<u8>,
    /// Where the next line starts in `buf`.
    at: usize,
    secret: String,
}

impl LineStream {
    pub(crate) fn new(response: reqwest::Response, secret: &str) -> LineStream {
        LineStream {
            response: Some(response),
            then: Default::default(),
            buf: Vec::new(),
            at: 0,
            secret: secret.to_string(),
        }
    }

    /// A stream with no body yet; [`LineStream::push`] adds them in order.
    pub(crate) fn empty(secret: &str) -> LineStream {
        LineStream {
            response: None,
            then: Default::default(),
            buf: Vec::new(),
            at: 0,
            secret: secret.to_string(),
        }
    }

    /// Read `response` after the bodies already there.
    pub(crate) fn push(&mut self, response: reqwest::Response) {
        if self.response.is_none() {
            self.response = Some(response);
        } else {
            self.then.push_back(response);
        }
    }

    /// The next line, `None` at the end. A body cut off mid-way is a transient error.
    pub async fn next_line(&mut self) -> Result<Option<Vec<u8>>, ProviderError> {
        loop {
            if let Some(pos) = self.buf[self.at..].iter().position(|b| *b == b'\n') {
                let line = self.buf[self.at..self.at + pos].to_vec();
                self.at += pos + 1;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(line));
            }
            // Keep only the unfinished line before reading more.
            self.buf.drain(..self.at);
            self.at = 0;
            let Some(response) = self.response.as_mut() else {
                return Ok(self.rest());
            };
            match response.chunk().await {
                Ok(Some(chunk)) => self.buf.extend_from_slice(&chunk),
                Ok(None) => {
                    self.response = self.then.pop_front();
                    if self.response.is_some() {
                        // A file that did not end with a line end still ends its last line.
                        if !self.buf.is_empty() {
                            self.buf.push(b'\n');
                        }
                        continue;
                    }
                    return Ok(self.rest());
                }
                Err(e) => {
                    return Err(crate::provider::errors::classify_transport(
                        &e,
                        &self.secret,
                    ))
                }
            }
        }
    }

    /// The last line when the body did not end with a line end.
    fn rest(&mut self) -> Option<Vec<u8>> {
        let line = std::mem::take(&mut self.buf);
        self.at = 0;
        (!line.iter().all(u8::is_ascii_whitespace)).then_some(line)
    }
}

impl LineStream {
    /// Lines already in memory (Gemini's inline responses come inside the batch object, at most
    /// the 20 MB the inline requests may take).
    pub(crate) fn from_lines(lines: Vec<Vec<u8>>, secret: &str) -> LineStream {
        let mut buf = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in lines {
            buf.extend_from_slice(&line);
            buf.push(b'\n');
        }
        LineStream {
            response: None,
            then: Default::default(),
            buf,
            at: 0,
            secret: secret.to_string(),
        }
    }
}
