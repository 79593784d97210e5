//! Ingest: a source file becomes a Document and its ordered, immutable blocks (SPEC §1).
//!
//! Each format module turns a file into `BlockDraft`s (a type and a byte range of the text
//! representation); identity hashing, validation, separators and the store write are shared here.
//! Markdown and plain text are their own representation. HTML, DOCX, PDF and EPUB are rendered to
//! Markdown (`render.rs`) and CSV/TSV to normalised CSV rows; those blocks also carry a locator
//! into the source (element path, paragraph index, page and box, row).

mod archive;
mod assemble;
mod charset;
mod csv_rows;
mod docx;
mod docx_furniture;
mod docx_part;
mod epub;
mod folder;
mod glob;
mod html;
mod html_dom;
mod html_text;
mod inline_md;
mod markdown;
mod pdf;
mod pdf_layout;
mod pdf_marks;
mod pdf_metrics;
mod pdf_words;
mod pptx;
mod pptx_slide;
mod render;
mod text;
mod validate;
mod walk;
#[cfg(feature = "xlsx")]
mod xlsx;
mod xml;

use std::path::{Path, PathBuf};

pub use assemble::{
    assemble, block_refs, convert, document, identity, parsing_tool, Converted, Identity, Prepared,
};
pub use folder::{default_threads, ingest_many, FileDone, FileOutcome, ManyOptions};
pub use glob::Glob;
pub use markdown::markdown_drafts;
pub use text::text_drafts;
pub use validate::{validate_text, DEFAULT_MAX_FILE_BYTES};
pub use walk::{walk, SkipKind, Skipped, Walk, WalkOptions};

use crate::model::{BlockType, Document, Locator};
use crate::store::{DocumentWriter, Store, StoreError};

/// A block before identities are assigned: a type and a byte range of the representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockDraft {
    pub block_type: BlockType,
    pub start: usize,
    pub end: usize,
    /// Where the block sits in a non-text source (its range is set to `start..end` on store).
    pub locator: Option<Locator>,
}

/// Drafts plus the title a format found (first level-1 heading for Markdown).
#[derive(Debug, Clone, Default)]
pub struct Drafts {
    pub blocks: Vec<BlockDraft>,
    pub title: Option<String>,
    /// CSV/TSV column names, kept on the document record.
    pub table_header: Option<Vec<String>>,
    /// The encoding a text/Markdown source was decoded from (UTF-16 with a BOM); its stored
    /// text is then the UTF-8 decoding, not the file.
    pub decoded_from: Option<&'static str>,
    /// Hidden slides or sheets skipped (`(count, "slides" | "sheets")`), kept on the record.
    pub hidden_skipped: Option<(u32, &'static str)>,
}

/// Supported source formats and their extension families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Markdown,
    Text,
    Html,
    Csv,
    Tsv,
    Docx,
    Epub,
    Pdf,
    Pptx,
    Xlsx,
}

/// The formats ingest reads, as said to the user (refusals, the ingest prompt).
pub const SUPPORTED: &str =
    "supported: .md, .txt, .html, .csv, .tsv, .docx, .epub, .pdf, .pptx, .xlsx, .xlsm";

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
            "html" | "htm" | "xhtml" => Ok(SourceFormat::Html),
            "csv" => Ok(SourceFormat::Csv),
            "tsv" | "tab" => Ok(SourceFormat::Tsv),
            "docx" => Ok(SourceFormat::Docx),
            "epub" => Ok(SourceFormat::Epub),
            "pdf" => Ok(SourceFormat::Pdf),
            "pptx" => Ok(SourceFormat::Pptx),
            "xlsx" | "xlsm" => Ok(SourceFormat::Xlsx),
            "" => Err(format!(
                "no file extension: cannot tell the format ({SUPPORTED})"
            )),
            "doc" | "rtf" | "odt" => Err(format!(
                "'.{ext}' files are not supported: save the document as .docx ({SUPPORTED})"
            )),
            "ppt" | "odp" => Err(format!(
                "'.{ext}' files are not supported: save the presentation as .pptx ({SUPPORTED})"
            )),
            "xls" | "ods" | "xlsb" => Err(format!(
                "'.{ext}' files are not supported: save the workbook as .xlsx ({SUPPORTED})"
            )),
            other => Err(format!("unknown extension '.{other}' ({SUPPORTED})")),
        }
    }

    /// The lower-case extension family used in `source_uid`.
    pub fn source_type(self) -> &'static str {
        match self {
            SourceFormat::Markdown => "md",
            SourceFormat::Text => "txt",
            SourceFormat::Html => "html",
            SourceFormat::Csv => "csv",
            SourceFormat::Tsv => "tsv",
            SourceFormat::Docx => "docx",
            SourceFormat::Epub => "epub",
            SourceFormat::Pdf => "pdf",
            SourceFormat::Pptx => "pptx",
            SourceFormat::Xlsx => "xlsx",
        }
    }

    /// `parsing_tool` recorded on the document and hashed into `conv_uid`.
    pub fn parsing_tool(self) -> &'static str {
        match self {
            SourceFormat::Markdown => "blockwise-markdown/1 (pulldown-cmark 0.13)",
            SourceFormat::Text => "blockwise-text/1",
            SourceFormat::Html => "blockwise-html/1 (html5ever 0.40)",
            SourceFormat::Csv => "blockwise-csv/1 (csv 1)",
            SourceFormat::Tsv => "blockwise-tsv/1 (csv 1)",
            SourceFormat::Docx => "blockwise-docx/1 (zip 9, quick-xml 0.42)",
            SourceFormat::Epub => "blockwise-epub/1 (zip 9, quick-xml 0.42, html5ever 0.40)",
            SourceFormat::Pdf => "blockwise-pdf/1 (lopdf 0.47)",
            SourceFormat::Pptx => "blockwise-pptx/1 (zip 9, quick-xml 0.42)",
            SourceFormat::Xlsx => "blockwise-xlsx/1 (calamine 0.32)",
        }
    }

    pub fn representation_type(self) -> &'static str {
        match self {
            SourceFormat::Text => "text",
            SourceFormat::Csv | SourceFormat::Tsv => "csv",
            _ => "markdown",
        }
    }

    /// Whether the source file is its own text representation (blocks index the file itself).
    pub fn is_own_representation(self) -> bool {
        matches!(self, SourceFormat::Markdown | SourceFormat::Text)
    }

    /// Whether the stored text of this very file is the file itself: an own-representation
    /// format that is not UTF-16 (which is decoded to UTF-8).
    pub fn is_own_representation_of(self, raw: &[u8]) -> bool {
        self.is_own_representation() && !matches!(raw, [0xff, 0xfe, ..] | [0xfe, 0xff, ..])
    }

    /// Convert a source into its representation and drafts.
    pub fn convert(self, raw: &[u8]) -> Result<(std::borrow::Cow<'_, str>, Drafts), String> {
        match self {
            SourceFormat::Markdown | SourceFormat::Text => self.convert_text(raw),
            SourceFormat::Csv => csv_rows::csv_drafts(raw, b','),
            SourceFormat::Tsv => csv_rows::csv_drafts(raw, b'\t'),
            SourceFormat::Html => html::html_drafts(raw),
            SourceFormat::Docx => docx::docx_drafts(raw),
            SourceFormat::Epub => epub::epub_drafts(raw),
            SourceFormat::Pdf => pdf::pdf_drafts(raw),
            SourceFormat::Pptx => pptx::pptx_drafts(raw),
            #[cfg(feature = "xlsx")]
            SourceFormat::Xlsx => xlsx::xlsx_drafts(raw),
            #[cfg(not(feature = "xlsx"))]
            SourceFormat::Xlsx => Err(
                "this build of blockwise reads no .xlsx files (built without the 'xlsx' feature)"
                    .into(),
            ),
        }
    }
}

impl SourceFormat {
    /// Markdown and text: UTF-8 as is, BOM-marked UTF-16 decoded (and recorded on the drafts).
    fn convert_text(self, raw: &[u8]) -> Result<(std::borrow::Cow<'_, str>, Drafts), String> {
        use std::borrow::Cow;
        let split = |t: &str| match self {
            SourceFormat::Markdown => markdown_drafts(t),
            _ => text_drafts(t),
        };
        match charset::decode_utf16_bom(raw) {
            None => validate_text(raw).map(|t| (Cow::Borrowed(t), split(t))),
            Some(decoded) => {
                let (text, encoding) = decoded?;
                validate_text(text.as_bytes())?;
                let mut drafts = split(&text);
                drafts.decoded_from = Some(encoding);
                Ok((Cow::Owned(text), drafts))
            }
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
    if !meta.is_file() {
        // A FIFO would block the read forever, a device could be endless (/dev/zero).
        return Err(bad(
            path,
            format!(
                "it is {}, not a plain file",
                crate::files::file_kind(&meta.file_type())
            ),
        ));
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
    // Never more than limit + 1 bytes, and the type is checked again on the open handle.
    let raw = crate::files::read_regular(path, limits.max_file_bytes).map_err(|e| match e {
        crate::files::ReadError::TooLarge { .. } => too_big(limits.max_file_bytes + 1),
        e => bad(path, format!("cannot read: {e}")),
    })?;
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
/// For Markdown and text two threads share the work: one hashes the file and, in the open write
/// transaction, stores its text pages; meanwhile this thread validates and parses it. Other
/// formats are converted first (their `conv_uid` hashes the rendered text). The block records
/// and the document record follow, then one durable commit.
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
    let (ids, writer, converted) = if format.is_own_representation_of(raw) {
        let (staged, converted) = std::thread::scope(|scope| {
            let writer = scope.spawn(move || -> Result<(Identity, DocumentWriter), StoreError> {
                let ids = identity(format, format.parsing_tool(), raw, raw);
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
        (ids, writer, converted)
    } else {
        // A file that fails conversion never opens a write transaction.
        let converted = convert(format, raw).map_err(|r| bad(path, r))?;
        let tool = parsing_tool(format, &converted.drafts);
        let ids = identity(format, &tool, raw, converted.text.as_bytes());
        let mut w = store.begin_document(&ids.conv_uid).map_err(store_err)?;
        if w.existing().is_none() {
            w.write_text(converted.text.as_bytes()).map_err(store_err)?;
        }
        (ids, w, Ok(converted))
    };
    if let Some(existing) = writer.existing() {
        return Ok(IngestReport {
            document: existing.clone(),
            created: false,
        });
    }
    // A file that fails validation drops the transaction: nothing is written.
    let Converted { text, drafts } = converted.map_err(|r| bad(path, r))?;
    let document = document(format, &file_name, ids, raw.len() as u64, &text, &drafts);
    writer
        .finish(&document, block_refs(&text, &drafts.blocks))
        .map_err(store_err)?;
    Ok(IngestReport {
        document,
        created: true,
    })
}
