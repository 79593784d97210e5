//! Ingest: a source file becomes a Document and its ordered, immutable blocks (SPEC §1).
//!
//! Each format module turns text into `BlockDraft`s (a type and a byte range); identity hashing,
//! validation, separators and the store write are shared here.

mod assemble;
mod markdown;
mod text;
mod validate;

use std::path::{Path, PathBuf};

pub use assemble::{assemble, block_refs, convert, document, identity, Identity, Prepared};
pub use markdown::markdown_drafts;
pub use text::text_drafts;
pub use validate::{validate_text, DEFAULT_MAX_FILE_BYTES};

use crate::model::{BlockType, Document};
use crate::store::{DocumentWriter, Store, StoreError};

/// A block before identities are assigned: a type and a byte range of the representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockDraft {
    pub block_type: BlockType,
    pub start: usize,
    pub end: usize,
}

/// Drafts plus the title a format found (first level-1 heading for Markdown).
#[derive(Debug, Clone, Default)]
pub struct Drafts {
    pub blocks: Vec<BlockDraft>,
    pub title: Option<String>,
}

/// Supported source formats and their extension families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Markdown,
    Text,
}

impl SourceFormat {
    /// Map a file extension to a format, or say why not.
    pub fn from_path(path: &Path) -> Result<SourceFormat, String> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "md" | "markdown" | "mdown" | "mkd" | "mdx" => Ok(SourceFormat::Markdown),
            "txt" | "text" => Ok(SourceFormat::Text),
            "" => Err("no file extension: cannot tell the format (supported: .md, .txt)".into()),
            "html" | "htm" | "docx" | "pdf" => Err(format!(
                "'.{ext}' files are not supported yet (supported: .md, .txt)"
            )),
            other => Err(format!(
                "unknown extension '.{other}' (supported: .md, .markdown, .txt)"
            )),
        }
    }

    /// The lower-case extension family used in `source_uid`.
    pub fn source_type(self) -> &'static str {
        match self {
            SourceFormat::Markdown => "md",
            SourceFormat::Text => "txt",
        }
    }

    /// `parsing_tool` recorded on the document and hashed into `conv_uid`.
    pub fn parsing_tool(self) -> &'static str {
        match self {
            SourceFormat::Markdown => "blockwise-markdown/1 (pulldown-cmark 0.13)",
            SourceFormat::Text => "blockwise-text/1",
        }
    }

    pub fn representation_type(self) -> &'static str {
        match self {
            SourceFormat::Markdown => "markdown",
            SourceFormat::Text => "text",
        }
    }

    /// Split validated text into drafts.
    pub fn drafts(self, text: &str) -> Drafts {
        match self {
            SourceFormat::Markdown => markdown_drafts(text),
            SourceFormat::Text => text_drafts(text),
        }
    }
}

/// An ingest failure: always names the file and the reason.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{}: {reason}", path.display())]
    BadInput { path: PathBuf, reason: String },
    #[error("{}: {source}", path.display())]
    Store { path: PathBuf, source: StoreError },
}

/// Limits that come from policy.
#[derive(Debug, Clone, Copy)]
pub struct IngestLimits {
    pub max_file_bytes: u64,
}

impl IngestLimits {
    /// The limits policy sets (`upload.max_file_bytes`).
    pub fn from_policy(store: &Store) -> Result<IngestLimits, crate::policy::PolicyError> {
        let v = crate::policy::effective_value(store, crate::policy::keys::MAX_FILE_BYTES)?;
        Ok(IngestLimits {
            max_file_bytes: v.value.as_u64().unwrap_or(DEFAULT_MAX_FILE_BYTES),
        })
    }
}

impl Default for IngestLimits {
    fn default() -> Self {
        IngestLimits {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// What an ingest did.
#[derive(Debug, Clone)]
pub struct IngestReport {
    pub document: Document,
    pub created: bool,
}

fn bad(path: &Path, reason: String) -> IngestError {
    IngestError::BadInput {
        path: path.to_path_buf(),
        reason,
    }
}

/// Check a path (exists, a file, a known format, within the size limit) and read it.
fn read_checked(
    path: &Path,
    limits: IngestLimits,
) -> Result<(SourceFormat, String, Vec<u8>), IngestError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => bad(path, "no such file".into()),
        _ => bad(path, format!("cannot read: {e}")),
    })?;
    if meta.is_dir() {
        return Err(bad(path, "is a directory, not a file".into()));
    }
    let format = SourceFormat::from_path(path).map_err(|r| bad(path, r))?;
    let too_big = |len: u64| {
        bad(
            path,
            format!(
                "file is {len} bytes, over the limit of {} bytes (policy upload.max_file_bytes)",
                limits.max_file_bytes
            ),
        )
    };
    if meta.len() > limits.max_file_bytes {
        return Err(too_big(meta.len()));
    }
    let raw = std::fs::read(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    // The file may have grown between metadata and read.
    if raw.len() as u64 > limits.max_file_bytes {
        return Err(too_big(raw.len() as u64));
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok((format, file_name, raw))
}

/// Read, validate and convert a file without touching any store.
pub fn prepare_path(path: &Path, limits: IngestLimits) -> Result<Prepared, IngestError> {
    let (format, file_name, raw) = read_checked(path, limits)?;
    assemble(format, &file_name, &raw).map_err(|r| bad(path, r))
}

/// Ingest one file in one write transaction. Re-ingesting the same bytes returns the existing
/// document and writes nothing; a file that fails validation writes nothing either.
///
/// Two threads share the work: one hashes the file and, in the open write transaction, stores
/// its text pages; meanwhile this thread validates and parses it. The block records and the
/// document record follow, then one durable commit.
pub fn ingest_path(
    store: &Store,
    path: &Path,
    limits: IngestLimits,
) -> Result<IngestReport, IngestError> {
    let (format, file_name, raw) = read_checked(path, limits)?;
    let store_err = |source| IngestError::Store {
        path: path.to_path_buf(),
        source,
    };
    let raw = raw.as_slice();
    let (staged, converted) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<(Identity, DocumentWriter), StoreError> {
            let ids = identity(format, raw);
            let mut w = store.begin_document(&ids.conv_uid)?;
            if w.existing().is_none() {
                w.write_text(raw)?;
            }
            Ok((ids, w))
        });
        let converted = convert(format, raw);
        let staged = writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (staged, converted)
    });
    let (ids, writer) = staged.map_err(store_err)?;
    if let Some(existing) = writer.existing() {
        return Ok(IngestReport {
            document: existing.clone(),
            created: false,
        });
    }
    // A file that fails validation drops the transaction: nothing is written.
    let (text, drafts) = converted.map_err(|r| bad(path, r))?;
    let document = document(format, &file_name, ids, text, &drafts);
    writer
        .finish(&document, block_refs(text, &drafts.blocks))
        .map_err(store_err)?;
    Ok(IngestReport {
        document,
        created: true,
    })
}
