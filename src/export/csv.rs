//! CSV export: RFC 4180 (CRLF line ends, fields quoted when they hold a comma, quote or line
//! break, quotes doubled), a header row, one row per block: fixed columns, then one column per
//! top-level schema property, named `data.<field>` (strings as they are, other values as compact
//! JSON, empty when absent). In `both` mode each property also gets a `staging.<field>` column.
//! A schema without `properties` gets a single `data` column holding the whole value. Fixed
//! columns have no dot and user columns always do, so no header repeats whatever the field
//! names are (a field named `status` is `data.status`).

use std::io::Write;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{io_at, pick, Context, ExportError, ExportSummary, Mode};
use crate::store::Store;

/// Columns before the schema's properties.
pub const FIXED_COLUMNS: [&str; 5] = [
    "block_index",
    "block_uid",
    "block_type",
    "status",
    "block_content",
];

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn object(raw: Option<&RawValue>) -> Option<Value> {
    serde_json::from_str(raw?.get()).ok()
}

fn push_fields(row: &mut Vec<String>, fields: &Option<Vec<String>>, value: Option<&Value>) {
    match fields {
        Some(fields) => {
            let map: Option<&Map<String, Value>> = value.and_then(Value::as_object);
            for f in fields {
                row.push(cell(map.and_then(|m| m.get(f))));
            }
        }
        None => row.push(cell(value)),
    }
}

/// Header names of the user columns (see the module comment for the layout).
pub fn user_columns(fields: Option<&[String]>, mode: Mode) -> Vec<String> {
    let Some(fields) = fields else {
        let mut cols = vec!["data".to_string()];
        if mode == Mode::Both {
            cols.push("staging".to_string());
        }
        return cols;
    };
    let mut cols: Vec<String> = fields.iter().map(|n| format!("data.{n}")).collect();
    if mode == Mode::Both {
        cols.extend(fields.iter().map(|n| format!("staging.{n}")));
    }
    cols
}

pub(super) fn write<W: Write>(
    store: &Store,
    ctx: &Context,
    w: &mut W,
    target: &str,
) -> Result<ExportSummary, ExportError> {
    let io = io_at(target);
    let csv_err = |e: ::csv::Error| match e.into_kind() {
        ::csv::ErrorKind::Io(e) => io(e),
        other => io(std::io::Error::other(format!("{other:?}"))),
    };
    let fields: Option<Vec<String>> =
        crate::schema::properties(&ctx.schema.json).map(|p| p.keys().cloned().collect());
    let mut out = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(&mut *w);
    let mut header: Vec<String> = Vec::new();
    if ctx.group_columns {
        header.extend(["conv_uid".to_string(), "file_name".to_string()]);
    }
    header.extend(FIXED_COLUMNS.iter().map(|s| s.to_string()));
    header.extend(user_columns(fields.as_deref(), ctx.mode));
    if ctx.header {
        out.write_record(&header).map_err(csv_err)?;
    }
    let mut summary = ExportSummary {
        blocks: 0,
        bytes: 0,
        confirmed: 0,
        drafts: 0,
    };
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    store.for_each_block_overlay(&ctx.doc.conv_uid, &ctx.run.run_id, |block, ov| {
        let picked = pick(ctx.mode, ov);
        row.clear();
        if ctx.group_columns {
            row.push(ctx.doc.conv_uid.clone());
            row.push(ctx.doc.file_name.clone());
        }
        row.push(block.block_index.to_string());
        row.push(block.block_uid.clone());
        row.push(block.block_type.as_str().to_string());
        row.push(ov.status.as_str().to_string());
        row.push(block.block_content.clone());
        push_fields(&mut row, &fields, object(picked.data).as_ref());
        if ctx.mode == Mode::Both {
            push_fields(&mut row, &fields, object(picked.staging).as_ref());
        }
        out.write_record(&row).map_err(csv_err)?;
        summary.blocks += 1;
        if picked.draft || picked.staging.is_some() {
            summary.drafts += 1;
        }
        if picked.data.is_some() && !picked.draft {
            summary.confirmed += 1;
        }
        Ok::<(), ExportError>(())
    })?;
    out.flush().map_err(&io)?;
    Ok(summary)
}
