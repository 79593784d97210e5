//! Where the join reads a result file from. A provider returns the lines in any order (the
//! fake shuffles them), and joining them in that order makes every commit touch store pages
//! all over the run's overlays, calls and status index. So the file is first spooled to an
//! unnamed temporary file (disk, not memory: only an index of 16 bytes a line stays in memory)
//! and read back in request order, a chunk at a time: each commit then touches a narrow range
//! of keys. Nothing is decided by this order: every line is still decoded in full, resolved
//! and joined as before, and duplicates keep their order in the file (the first one joins).
//! When no temporary file can be made, the lines are joined as they come.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::provider::batch::LineStream;

/// One line in the spool: the request its `custom_id` names (`u32::MAX`: none, joined last),
/// and where it is.
pub(super) struct Entry {
    key: u32,
    at: u64,
    len: u32,
}

/// The lines of a result file, read in request order.
pub(super) enum Source {
    Spooled {
        file: File,
        entries: Vec<Entry>,
        next: usize,
        /// Why the download broke off before its end; given with the last chunk.
        broke: Option<String>,
    },
    Streamed(LineStream),
}

impl Source {
    /// Spool `lines` to an unnamed temporary file next to the store (else in the system's
    /// temporary directory), ordered by `key`; as they come when neither can be made.
    pub(super) async fn open(
        mut lines: LineStream,
        store_dir: Option<&Path>,
        key: impl Fn(&[u8]) -> u32,
    ) -> Source {
        let made = store_dir
            .filter(|d| !d.as_os_str().is_empty())
            .and_then(|d| crate::files::unnamed_temp_file_in(d).ok())
            .or_else(|| crate::files::unnamed_temp_file_in(&std::env::temp_dir()).ok());
        let Some(file) = made else {
            tracing::warn!(
                "no temporary file for the result file: its lines are joined as they come"
            );
            return Source::Streamed(lines);
        };
        let mut out = BufWriter::with_capacity(1 << 16, file);
        let mut entries = Vec::new();
        let mut at = 0u64;
        let mut broke = None;
        loop {
            match lines.next_line().await {
                Ok(Some(line)) => {
                    if let Err(e) = out.write_all(&line) {
                        broke = Some(format!("the result file could not be kept on disk: {e}"));
                        break;
                    }
                    let len = line.len() as u32;
                    entries.push(Entry {
                        key: key(&line),
                        at,
                        len,
                    });
                    at += u64::from(len);
                }
                Ok(None) => break,
                Err(e) => {
                    broke = Some(e.to_string());
                    break;
                }
            }
        }
        if let Err(e) = out.flush() {
            broke = Some(format!("the result file could not be kept on disk: {e}"));
            entries.clear();
        }
        let (file, _) = out.into_parts();
        // Stable: lines naming the same request keep their order in the file.
        entries.sort_by_key(|e| e.key);
        Source::Spooled {
            file,
            entries,
            next: 0,
            broke,
        }
    }

    /// Up to `n` lines with their keys; empty at the end. The second value says why the
    /// download broke off (the lines before it are all given first).
    pub(super) async fn next_chunk(
        &mut self,
        n: usize,
        key: impl Fn(&[u8]) -> u32,
    ) -> (Vec<(u32, Vec<u8>)>, Option<String>) {
        match self {
            Source::Streamed(lines) => read_chunk(lines, n, key).await,
            Source::Spooled {
                file,
                entries,
                next,
                broke,
            } => {
                let end = (*next + n).min(entries.len());
                let mut chunk = Vec::with_capacity(end - *next);
                for e in &entries[*next..end] {
                    let mut line = vec![0; e.len as usize];
                    if let Err(e) = file.read_exact_at(&mut line, e.at) {
                        *next = entries.len();
                        return (
                            chunk,
                            Some(format!("the kept result file could not be read: {e}")),
                        );
                    }
                    chunk.push((e.key, line));
                }
                *next = end;
                let last = *next == entries.len();
                (chunk, if last { broke.take() } else { None })
            }
        }
    }
}

/// Up to `n` lines as they come, with their keys; empty at the end. A broken download returns
/// what came before it.
async fn read_chunk(
    lines: &mut LineStream,
    n: usize,
    key: impl Fn(&[u8]) -> u32,
) -> (Vec<(u32, Vec<u8>)>, Option<String>) {
    let mut chunk = Vec::with_capacity(n);
    while chunk.len() < n {
        match lines.next_line().await {
            Ok(Some(line)) => chunk.push((key(&line), line)),
            Ok(None) => break,
            Err(e) => return (chunk, Some(e.to_string())),
        }
    }
    (chunk, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, n: u32) -> Vec<u8> {
        format!(r#"{{"custom_id":"{id}","n":{n}}}"#).into_bytes()
    }

    /// The key a line's `custom_id` names: its number after the last '-'.
    fn key(l: &[u8]) -> u32 {
        let v: serde_json::Value = serde_json::from_slice(l).unwrap_or_default();
        v["custom_id"]
            .as_str()
            .and_then(|id| id.rsplit('-').next()?.parse().ok())
            .unwrap_or(u32::MAX)
    }

    #[tokio::test]
    async fn lines_come_back_in_key_order_in_chunks_with_equal_keys_in_file_order() {
        let lines = vec![
            line("r-3", 0),
            line("r-1", 1),
            line("bad", 2),
            line("r-1", 3),
            line("r-2", 4),
        ];
        let stream = LineStream::from_lines(lines.clone(), "");
        let mut source = Source::open(stream, None, key).await;
        assert!(matches!(source, Source::Spooled { .. }), "a temporary file");
        let mut got = Vec::new();
        loop {
            let (chunk, broke) = source.next_chunk(2, key).await;
            assert!(broke.is_none());
            if chunk.is_empty() {
                break;
            }
            assert!(chunk.len() <= 2);
            got.extend(chunk);
        }
        let want = [
            (1, &lines[1]),
            (1, &lines[3]),
            (2, &lines[4]),
            (3, &lines[0]),
            (u32::MAX, &lines[2]),
        ];
        assert_eq!(got.len(), want.len());
        for ((k, l), (wk, wl)) in got.iter().zip(want) {
            assert_eq!((*k, l), (wk, wl), "every line, byte for byte, in key order");
        }
    }
}
