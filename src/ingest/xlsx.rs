//! XLSX / XLSM to blocks with calamine: per visible worksheet a `heading` (the sheet's name),
//! then its used range the way CSV is read: the first non-empty row is the header, each later
//! non-empty row one `table` block. Rows are GFM table rows on consecutive lines, so a sheet
//! renders as one Markdown table. Formula cells give their cached values, dates ISO 8601, a
//! merged region its value once (in its top-left cell). Hidden sheets are skipped and counted.
//! Locator `{type: "sheet", sheet, row}` (row 1-based, as Excel numbers it).
//!
//! Cells are streamed (`worksheet_cells_reader`), never laid out as a dense range, so two cells
//! far apart cost two cells; the archive is inflated once first to refuse zip bombs.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx, XlsxError};

use super::archive::Archive;
use super::render::{self, Renderer};
use super::Drafts;
use crate::model::{BlockType, Locator};

/// Most data rows one workbook may yield (each is a block).
pub(crate) const MAX_ROWS: usize = 1_000_000;
/// Most bytes the Markdown rendering may reach.
const MAX_TEXT_BYTES: usize = 256 * 1024 * 1024;
/// Most bytes the whole archive may inflate to.
const MAX_INFLATED_BYTES: u64 = 512 * 1024 * 1024;

/// One sheet's non-empty rows: `(row number 1-based, [(column 0-based, text)])`.
type Rows = Vec<(u32, Vec<(u32, String)>)>;

pub(crate) fn xlsx_drafts(raw: &[u8]) -> Result<(Cow<'static, str>, Drafts), String> {
    Archive::open(raw, "XLSX")?.check_inflated_sizes(MAX_INFLATED_BYTES)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(raw)).map_err(|e| workbook_error(&e))?;
    let sheets = book.sheets_metadata().to_vec();
    let mut r = Renderer::new();
    let (mut hidden, mut rows_total) = (0u32, 0usize);
    for sheet in &sheets {
        if sheet.visible != SheetVisible::Visible {
            hidden += 1;
            continue;
        }
        if sheet.typ != SheetType::WorkSheet {
            continue;
        }
        let rows = sheet_rows(&mut book, &sheet.name, &mut rows_total)?;
        render_sheet(&mut r, &sheet.name, &rows)?;
    }
    if r.is_empty() {
        return Err(match hidden {
            0 => "the XLSX has no cells with values".to_string(),
            n => format!("the XLSX has no cells with values on its visible sheets ({n} hidden sheets skipped)"),
        });
    }
    let (text, mut drafts) = r.finish();
    drafts.hidden_skipped = (hidden > 0).then_some((hidden, "sheets"));
    Ok((Cow::Owned(text), drafts))
}

fn workbook_error(e: &XlsxError) -> String {
    match e {
        XlsxError::Password => {
            "the XLSX is password-protected: remove the password and save it again to ingest it"
                .into()
        }
        e => format!("damaged XLSX: {e}"),
    }
}

/// The non-empty rows of one sheet, streamed; `rows_total` counts rows across the workbook.
fn sheet_rows<RS: std::io::Read + std::io::Seek>(
    book: &mut Xlsx<RS>,
    name: &str,
    rows_total: &mut usize,
) -> Result<Rows, String> {
    let shown = crate::model::sanitize_line(name);
    let mut cells = book
        .worksheet_cells_reader(name)
        .map_err(|e| format!("sheet '{shown}': {}", workbook_error(&e)))?;
    let mut rows: Rows = Vec::new();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| format!("sheet '{shown}': {}", workbook_error(&e)))?
    {
        let text = cell_text(cell.get_value());
        if text.trim().is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        let row = row + 1;
        if rows.last().is_none_or(|(r, _)| *r != row) {
            *rows_total += 1;
            if *rows_total > MAX_ROWS {
                return Err(format!(
                    "the XLSX has more than {MAX_ROWS} rows (sheet '{shown}' reaches row {row}): \
                     refused; split the workbook or export the sheet as CSV"
                ));
            }
            rows.push((row, Vec::new()));
        }
        if let Some((_, cols)) = rows.last_mut() {
            cols.push((col, text));
        }
    }
    Ok(rows)
}

/// A sheet's heading, its header row and its data rows; the columns span the used range.
fn render_sheet(r: &mut Renderer, name: &str, rows: &Rows) -> Result<(), String> {
    let Some((first_row, _)) = rows.first() else {
        return Ok(());
    };
    let min_col = rows
        .iter()
        .flat_map(|(_, c)| c.iter().map(|(i, _)| *i))
        .min()
        .unwrap_or(0);
    let max_col = rows
        .iter()
        .flat_map(|(_, c)| c.iter().map(|(i, _)| *i))
        .max()
        .unwrap_or(0);
    let width = (max_col - min_col + 1) as usize;
    let loc = |row: u32| Locator::Sheet {
        start: 0,
        end: 0,
        sheet: name.to_string(),
        row,
    };
    r.heading(2, &render::inline(name), loc(*first_row));
    for (i, (row, cols)) in rows.iter().enumerate() {
        let mut line = vec![String::new(); width];
        for (col, text) in cols {
            line[(col - min_col) as usize] = render::inline(text).replace('|', "\\|");
        }
        let mut content = format!("| {} |", line.join(" | "));
        if i == 0 {
            content.push_str(&format!("\n|{}", " --- |".repeat(width)));
            r.push(BlockType::Table, &content, loc(*row));
        } else {
            r.push_next_line(BlockType::Table, &content, loc(*row));
        }
        if r.len() > MAX_TEXT_BYTES {
            return Err(format!(
                "the XLSX renders to more than {MAX_TEXT_BYTES} bytes of text (sheet '{}', row \
                 {row}): refused",
                crate::model::sanitize_line(name)
            ));
        }
    }
    Ok(())
}

/// A cell's shown value: cached formula results as stored, numbers without a trailing `.0`,
/// dates and times ISO 8601.
fn cell_text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(dt) if dt.is_duration() => duration(dt.as_f64()),
        DataRef::DateTime(dt) => {
            let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            let time = match ms {
                0 => format!("{h:02}:{mi:02}:{s:02}"),
                ms => format!("{h:02}:{mi:02}:{s:02}.{ms:03}"),
            };
            if dt.as_f64() < 1.0 {
                time
            } else if dt.as_f64().fract() == 0.0 {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02}T{time}")
            }
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Days as an ISO 8601 duration (`PT36H30M`).
fn duration(days: f64) -> String {
    let secs = (days * 86_400.0).round() as i64;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = format!("PT{h}H");
    if m > 0 || s > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 {
        out.push_str(&format!("{s}S"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn values_print_as_a_reader_expects() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.5), "2.5");
        let date = |v, t| cell_text(&DataRef::DateTime(ExcelDateTime::new(v, t, false)));
        assert_eq!(date(45943.0, ExcelDateTimeType::DateTime), "2025-10-13");
        assert_eq!(
            date(45943.5, ExcelDateTimeType::DateTime),
            "2025-10-13T12:00:00"
        );
        assert_eq!(date(0.75, ExcelDateTimeType::DateTime), "18:00:00");
        assert_eq!(date(1.5, ExcelDateTimeType::TimeDelta), "PT36H");
        let d1904 = ExcelDateTime::new(0.0 + 1.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(cell_text(&DataRef::DateTime(d1904)), "1904-01-02");
    }
}
