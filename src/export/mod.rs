//! Export (SPEC §4): JSONL, CSV and Markdown reconstruction of one run.
//!
//! Every format streams: one read snapshot walks blocks and overlays together in block order
//! ([`Store::for_each_block_overlay`]), so memory does not grow with the number of blocks.
//! [`export_to_path`] writes a temporary file next to the target and renames it into place, so
//! a failed export never leaves half a file.
//!
//! Modes (`--mode`):
//! - `confirmed` (default): only confirmed values; other blocks carry `data: null`.
//! - `staging`: the value a reviewer sees: confirmed when confirmed, else the staged (draft)
//!   value. JSONL marks each line with `user_defined.draft` (`true` when `data` is an
//!   unconfirmed staged value); CSV's `status` column says the same.
//! - `both`: confirmed values in `data` plus the unconfirmed staged value in `staging` (JSONL
//!   key `user_defined.staging`, CSV columns `staging.<field>`), `null` / empty when absent.
//!   Markdown treats `both` like `staging`.

mod atomic;
mod csv;
mod group;
pub use group::{export_group_markdown_dir, export_group_to_path, export_group_to_writer};
pub(crate) mod guard;
mod interrupt;
mod jsonl;
mod markdown;
mod valid;

use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde_json::value::RawValue;

pub use atomic::AtomicFile;
pub use jsonl::threads as jsonl_threads;
pub use valid::check_exportable;

use crate::model::{Document, Run, Schema, Shown};
use crate::store::{OverlayView, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Markdown,
}

impl Format {
    /// The format a file name asks for by its extension (`.jsonl`/`.json`, `.csv`,
    /// `.md`/`.markdown`); `None` for anything else.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension().and_then(|e| e.to_str())? {
            "jsonl" | "json" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            "md" | "markdown" => Some(Format::Markdown),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Markdown => "md",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Confirmed,
    Staging,
    Both,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Confirmed => "confirmed",
            Mode::Staging => "staging",
            Mode::Both => "both",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Mode, String> {
        [Mode::Confirmed, Mode::Staging, Mode::Both]
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown export mode '{s}': use confirmed, staging or both"))
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub blocks: u64,
    pub bytes: u64,
    /// Blocks whose exported `data` is a confirmed value.
    pub confirmed: u64,
    /// Blocks whose exported value is an unconfirmed staged value (staging / both modes).
    pub drafts: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export to {target}: {source}")]
    Io { target: String, source: io::Error },
    #[error(transparent)]
    Refused(#[from] guard::Refused),
    #[error("run {run_id} refers to document {conv_uid}, which is not in the store")]
    DocumentMissing { run_id: String, conv_uid: String },
    #[error("run {run_id} refers to schema {schema_id}, which is not in the store")]
    SchemaMissing { run_id: String, schema_id: String },
    #[error(
        "run {run_id}: values of blocks {blocks} do not obey the run's schema, so nothing was \
         exported (first: {first}); fix them with `blockwise review edit`, `review unconfirm` \
         or `review reject`"
    )]
    Invalid {
        run_id: String,
        blocks: String,
        first: String,
    },
}

/// Everything an export needs besides the blocks and overlays.
pub(crate) struct Context {
    pub run: Run,
    pub doc: Document,
    pub schema: Schema,
    pub mode: Mode,
    /// CSV of a run group: `conv_uid` and `file_name` columns lead each row.
    pub group_columns: bool,
    /// CSV: write the header row (a group's later members do not repeat it).
    pub header: bool,
}

/// The value exported as `data` and the unconfirmed staged value, per the mode.
pub(crate) struct Picked<'a> {
    /// `data`: the confirmed value, or (staging mode) the staged value of an unconfirmed block.
    pub data: Option<&'a RawValue>,
    /// `data` is an unconfirmed staged value.
    pub draft: bool,
    /// Both mode: the unconfirmed staged value.
    pub staging: Option<&'a RawValue>,
}

pub(crate) fn pick<'a>(mode: Mode, ov: &OverlayView<'a>) -> Picked<'a> {
    let Shown { confirmed, staged } = ov.status.shown(ov.confirmed, ov.staging);
    match mode {
        Mode::Confirmed => Picked {
            data: confirmed,
            draft: false,
            staging: None,
        },
        Mode::Staging => Picked {
            data: confirmed.or(staged),
            draft: confirmed.is_none() && staged.is_some(),
            staging: None,
        },
        Mode::Both => Picked {
            data: confirmed,
            draft: false,
            staging: staged,
        },
    }
}

pub(crate) fn context(store: &Store, run_id: &str, mode: Mode) -> Result<Context, ExportError> {
    let run = store.get_run(run_id)?.ok_or_else(|| StoreError::NotFound {
        kind: "run",
        prefix: run_id.to_string(),
    })?;
    let doc = store
        .get_document(&run.conv_uid)?
        .ok_or_else(|| ExportError::DocumentMissing {
            run_id: run.run_id.clone(),
            conv_uid: run.conv_uid.clone(),
        })?;
    let schema = store
        .get_schema(&run.schema_id)?
        .ok_or_else(|| ExportError::SchemaMissing {
            run_id: run.run_id.clone(),
            schema_id: run.schema_id.clone(),
        })?;
    Ok(Context {
        run,
        doc,
        schema,
        mode,
        group_columns: false,
        header: true,
    })
}

/// Counts bytes on their way to the real writer.
pub(crate) struct Counting<W> {
    pub inner: W,
    pub bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Stream the export of `run_id` to `out` (buffered here; `target` names it in errors).
pub fn export_to_writer<W: Write>(
    store: &Store,
    run_id: &str,
    format: Format,
    mode: Mode,
    out: W,
    target: &str,
) -> Result<ExportSummary, ExportError> {
    let ctx = context(store, run_id, mode)?;
    let mut w = BufWriter::with_capacity(
        256 * 1024,
        Counting {
            inner: out,
            bytes: 0,
        },
    );
    let io_err = |source| ExportError::Io {
        target: target.to_string(),
        source,
    };
    let mut summary = match format {
        Format::Jsonl => jsonl::write(store, &ctx, &mut w, target)?,
        Format::Csv => csv::write(store, &ctx, &mut w, target)?,
        Format::Markdown => markdown::write(store, &ctx, &mut w, target)?,
    };
    w.flush().map_err(io_err)?;
    summary.bytes = w.get_ref().bytes;
    Ok(summary)
}

/// Export to `path` atomically: a temporary file in the same directory, renamed into place only
/// when the whole export succeeded. Refused (nothing written) when `path` is the store, one of
/// Blockwise's own files, or not a plain file (`guard::check_output`).
pub fn export_to_path(
    store: &Store,
    run_id: &str,
    format: Format,
    mode: Mode,
    path: &Path,
) -> Result<ExportSummary, ExportError> {
    let target = path.display().to_string();
    let io_err = |source| ExportError::Io {
        target: target.clone(),
        source,
    };
    let path = guard::check_output(path, &guard::Protected::for_store(store.path()))?;
    let mut file = AtomicFile::create(&path).map_err(io_err)?;
    let summary = export_to_writer(store, run_id, format, mode, &mut file, &target)?;
    file.commit().map_err(io_err)?;
    Ok(summary)
}

/// Map an I/O error while writing to `target`.
pub(crate) fn io_at(target: &str) -> impl Fn(io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        target: target.to_string(),
        source,
    }
}
