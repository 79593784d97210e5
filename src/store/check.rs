//! Store verification (issue 10 item 5, `blockwise check`): read-only, one snapshot, never a
//! panic. Every document's text must hash to its ids, its blocks must decode and cover the text
//! ("nothing dropped"), every run's overlays must decode, point at existing blocks and agree
//! with the status index and the counters.

use std::collections::BTreeMap;

use redb::{ReadOnlyTable, ReadableTable};
use sha2::{Digest, Sha256};

use super::check_report::{contain, damage_text, CheckReport, Damage};
use super::tables::{BLOCKS, DOCUMENTS, DOC_TEXT, OVERLAYS, OVERLAY_STATUS, RUNS, SCHEMAS};
use super::{block_codec, Store, StoreError};
use crate::model::{Document, Overlay, Run, RunCounters};

type Pages = ReadOnlyTable<(&'static str, u32), &'static [u8]>;

/// The document's whole text, read page by page; `Err` names a missing page.
fn read_text(pages: &Pages, conv_uid: &str) -> Result<Vec<u8>, StoreError> {
    let mut text = Vec::new();
    for entry in pages.range((conv_uid, 0u32)..=(conv_uid, u32::MAX))? {
        let (k, v) = entry?;
        let expected = (text.len() / super::text_pages::PAGE) as u32;
        if k.value().1 != expected {
            return Err(StoreError::Corrupt(format!(
                "document {conv_uid}: text page {expected} is missing"
            )));
        }
        text.extend_from_slice(v.value());
    }
    Ok(text)
}

/// Whether the source file is itself the stored text (Markdown, plain text), as
/// `ingest::SourceFormat::is_own_representation` says; other formats store a conversion, so only
/// `conv_uid` can be checked against the text.
/// A UTF-16 source is stored decoded: its parsing tool says `(from UTF-16LE)` / `(from UTF-16BE)`.
fn text_is_source(doc: &Document) -> bool {
    matches!(doc.source_type.as_str(), "md" | "txt") && !doc.parsing_tool.contains("(from UTF-16")
}

/// What is wrong with `doc`'s stored text, if anything: it must hash to its `conv_uid`, and
/// where the text is the source itself, have the source's length and hash to its `source_uid`.
fn text_problem(text: &[u8], doc: &Document) -> Option<String> {
    let own = text_is_source(doc);
    if own && text.len() as u64 != doc.source_filesize {
        return Some(format!(
            "its stored text has {} bytes, the source had {}",
            text.len(),
            doc.source_filesize
        ));
    }
    let mut h = Sha256::new();
    h.update(doc.parsing_tool.as_bytes());
    h.update(doc.representation_type.as_bytes());
    h.update(text);
    if hex::encode(h.finalize()) != doc.conv_uid {
        return Some("its stored text does not hash to its conv_uid".into());
    }
    if !own {
        return None;
    }
    let mut h = Sha256::new();
    h.update(doc.source_type.as_bytes());
    h.update(text);
    if hex::encode(h.finalize()) != doc.source_uid {
        return Some("its stored text does not hash to its source_uid".into());
    }
    None
}

/// Check that `doc`'s stored text is the text it was ingested from. Run before any block
/// content of the document is shown or exported, so damaged text is refused, never printed.
pub(super) fn verify_text(pages: &Pages, doc: &Document) -> Result<(), StoreError> {
    let text = read_text(pages, &doc.conv_uid)?;
    match text_problem(&text, doc) {
        None => Ok(()),
        Some(why) => Err(StoreError::Corrupt(format!(
            "document {} ({}): {why}; run `blockwise check` for details and re-ingest the \
             source file into a fresh store",
            doc.conv_uid,
            crate::model::sanitize_line(&doc.file_name)
        ))),
    }
}

/// [`verify_text`] for `conv_uid` inside an open read transaction (nothing to verify when the
/// document has no record: then it has no text to show either).
pub(super) fn verify_in(tx: &redb::ReadTransaction, conv_uid: &str) -> Result<(), StoreError> {
    let docs = tx.open_table(DOCUMENTS)?;
    let Some(raw) = docs.get(conv_uid)? else {
        return Ok(());
    };
    let doc: Document = super::sealed::open_json(raw.value(), || format!("document {conv_uid}"))?;
    let pages = tx.open_table(DOC_TEXT)?;
    verify_text(&pages, &doc)
}

impl Store {
    /// Verify the document's text against its ids (see [`verify_text`]).
    pub fn verify_document_text(&self, doc: &Document) -> Result<(), StoreError> {
        let tx = self.read()?;
        let pages = tx.open_table(DOC_TEXT)?;
        verify_text(&pages, doc)
    }

    /// Verify the whole store (read-only). A table or record that cannot be read (a panic
    /// inside redb, a checksum mismatch) is listed as damage and the check goes on with the rest.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let _reading = super::guard::reading("the store's tables");
        let tx = self.read()?;
        let mut report = CheckReport::default();
        let docs = contain(&mut report, |r| read_documents(&tx, r))?.unwrap_or_default();
        for doc in docs.values() {
            contain(&mut report, |r| check_document(&tx, doc, r))?;
        }
        let projects = contain(&mut report, |r| {
            super::check_projects::check_projects(&tx, &docs, &mut r.damage)
        })?;
        report.projects = projects.unwrap_or(0);
        let runs = contain(&mut report, |r| read_runs(&tx, r))?.unwrap_or_default();
        for run in &runs {
            contain(&mut report, |r| check_run(&tx, run, &docs, r))?;
        }
        contain(&mut report, |r| {
            super::run_heads::check_heads(&tx, &runs, r)
        })?;
        contain(&mut report, |r| {
            super::check_tallies::check_tallies(&tx, &runs, r)
        })?;
        super::check_records::check_sealed_tables(&tx, &mut report)?;
        let _reading = super::guard::reading("the provider batch tables");
        contain(&mut report, |r| super::check_batches::check_batches(&tx, r))?;
        Ok(report)
    }
}

/// Every document record (an unreadable one is listed and skipped).
fn read_documents(
    tx: &redb::ReadTransaction,
    report: &mut CheckReport,
) -> Result<BTreeMap<String, Document>, StoreError> {
    let docs_t = tx.open_table(DOCUMENTS)?;
    let mut docs = BTreeMap::new();
    for entry in docs_t.iter()? {
        let (k, v) = entry?;
        let key = k.value().to_string();
        let what = || format!("document {key}");
        match super::sealed::open_json::<Document>(v.value(), what) {
            Ok(d) if d.conv_uid == key => {
                docs.insert(key, d);
            }
            Ok(d) => report.damage.push(Damage {
                subject: what(),
                problem: format!("its record says it is document {}", d.conv_uid),
            }),
            Err(e) => report.damage.push(Damage {
                subject: what(),
                problem: damage_text(e),
            }),
        }
    }
    Ok(docs)
}

/// The document's text hashes to its ids and its blocks cover it.
fn check_document(
    tx: &redb::ReadTransaction,
    doc: &Document,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    let _reading = super::guard::reading(format!("document {}", doc.conv_uid));
    let pages = tx.open_table(DOC_TEXT)?;
    let blocks_t = tx.open_table(BLOCKS)?;
    report.documents += 1;
    let subject = format!(
        "document {} ({})",
        doc.conv_uid,
        crate::model::sanitize_line(&doc.file_name)
    );
    let mut found = Vec::new();
    let mut damage = |problem: String| {
        found.push(Damage {
            subject: subject.clone(),
            problem,
        })
    };
    let text = match read_text(&pages, &doc.conv_uid) {
        Ok(t) => t,
        Err(StoreError::Corrupt(m)) => {
            damage(m);
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    if let Some(why) = text_problem(&text, doc) {
        damage(why);
    }
    let n = check_blocks(&blocks_t, doc, &text, &mut damage)?;
    report.blocks += n;
    report.damage.extend(found);
    Ok(())
}

/// Every run record (an unreadable one is listed and skipped).
fn read_runs(tx: &redb::ReadTransaction, report: &mut CheckReport) -> Result<Vec<Run>, StoreError> {
    let runs_t = tx.open_table(RUNS)?;
    let mut runs = Vec::new();
    for entry in runs_t.iter()? {
        let (k, v) = entry?;
        let run_id = k.value().to_string();
        report.runs += 1;
        let what = || format!("run {run_id}");
        match super::sealed::open_json::<Run>(v.value(), what) {
            Ok(r) if r.run_id == run_id => runs.push(r),
            Ok(r) => report.damage.push(Damage {
                subject: what(),
                problem: format!("its record says it is run {}", r.run_id),
            }),
            Err(e) => report.damage.push(Damage {
                subject: what(),
                problem: damage_text(e),
            }),
        }
    }
    Ok(runs)
}

/// A run's document and schema exist; its overlays agree with the index and the counters.
fn check_run(
    tx: &redb::ReadTransaction,
    run: &Run,
    docs: &BTreeMap<String, Document>,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    let _reading = super::guard::reading(format!("run {}", run.run_id));
    let overlays_t = tx.open_table(OVERLAYS)?;
    let status_t = tx.open_table(OVERLAY_STATUS)?;
    let schemas_t = tx.open_table(SCHEMAS)?;
    let subject = format!("run {}", run.run_id);
    let mut found = Vec::new();
    let mut damage = |problem: String| {
        found.push(Damage {
            subject: subject.clone(),
            problem,
        })
    };
    let total_blocks = match docs.get(&run.conv_uid) {
        Some(d) => Some(d.total_blocks),
        None => {
            damage(format!("its document {} is not in the store", run.conv_uid));
            None
        }
    };
    if schemas_t.get(run.schema_id.as_str())?.is_none() {
        damage(format!("its schema {} is not in the store", run.schema_id));
    }
    report.overlays += check_overlays(&overlays_t, &status_t, run, total_blocks, &mut damage)?;
    report.damage.extend(found);
    Ok(())
}

/// Blocks decode, are dense, lie inside the text in order, and every byte between them is
/// whitespace. Returns the number of blocks.
fn check_blocks(
    blocks_t: &ReadOnlyTable<(&'static str, u32), &'static [u8]>,
    doc: &Document,
    text: &[u8],
    damage: &mut impl FnMut(String),
) -> Result<u64, StoreError> {
    let conv = doc.conv_uid.as_str();
    let mut expected_index = 0u32;
    let mut pos = 0u64;
    let mut freq: BTreeMap<String, u32> = BTreeMap::new();
    let blank_between = |from: u64, to: u64| -> bool {
        let (f, t) = (from as usize, to as usize);
        match text.get(f..t).map(std::str::from_utf8) {
            // The ingest rule for what separates blocks: whitespace or a byte-order mark.
            Some(Ok(s)) => s.chars().all(|c| c.is_whitespace() || c == '\u{feff}'),
            _ => false,
        }
    };
    for entry in blocks_t.range((conv, 0u32)..=(conv, u32::MAX))? {
        let (k, v) = entry?;
        let chunk = k.value().1;
        let records = match block_codec::chunk_records(conv, chunk, v.value()) {
            Ok(r) => r,
            Err(e) => {
                damage(format!("block chunk {chunk}: {}", damage_text(e)));
                return Ok(expected_index as u64);
            }
        };
        for r in records {
            if r.index != expected_index {
                damage(format!(
                    "block {expected_index} is missing (found block {} instead)",
                    r.index
                ));
                return Ok(expected_index as u64);
            }
            if r.start < pos || r.end < r.start || r.end > text.len() as u64 {
                damage(format!(
                    "block {} has the range {}..{}, outside the text or overlapping the block \
                     before it",
                    r.index, r.start, r.end
                ));
                return Ok(expected_index as u64 + 1);
            }
            if !blank_between(pos, r.start) {
                damage(format!(
                    "text {}..{} before block {} lies in no block (something was dropped)",
                    pos, r.start, r.index
                ));
            }
            *freq.entry(r.block_type.as_str().to_string()).or_default() += 1;
            pos = r.end;
            expected_index += 1;
        }
    }
    if !blank_between(pos, text.len() as u64) {
        damage(format!(
            "text {}..{} after the last block lies in no block (something was dropped)",
            pos,
            text.len()
        ));
    }
    if expected_index != doc.total_blocks {
        damage(format!(
            "it has {expected_index} blocks, its record says {}",
            doc.total_blocks
        ));
    } else if freq != doc.block_type_freq {
        damage("its block type frequencies do not match its blocks".into());
    }
    Ok(expected_index as u64)
}

/// Overlays decode, one per block, agree with the status index and the run's counters.
fn check_overlays(
    overlays_t: &ReadOnlyTable<(&'static str, u32), &'static [u8]>,
    status_t: &ReadOnlyTable<(&'static str, u8, u32), ()>,
    run: &Run,
    total_blocks: Option<u32>,
    damage: &mut impl FnMut(String),
) -> Result<u64, StoreError> {
    let id = run.run_id.as_str();
    let mut counted = RunCounters::default();
    let mut n = 0u64;
    for entry in overlays_t.range((id, 0u32)..=(id, u32::MAX))? {
        let (k, v) = entry?;
        let index = k.value().1;
        n += 1;
        let ov: Overlay = match super::sealed::open_json(v.value(), String::new) {
            Ok(o) => o,
            Err(e) => {
                damage(format!("overlay of block {index}: {}", damage_text(e)));
                continue;
            }
        };
        if ov.block_index != index || ov.run_id != run.run_id {
            damage(format!(
                "overlay stored at block {index} says block {}",
                ov.block_index
            ));
        }
        if total_blocks.is_some_and(|t| index >= t) {
            damage(format!(
                "overlay of block {index} points past the document's last block"
            ));
        }
        if status_t.get((id, ov.status.code(), index))?.is_none() {
            damage(format!(
                "overlay of block {index} is {} but the status index does not say so",
                ov.status.as_str()
            ));
        }
        counted.total += 1;
        *counted.get_mut(ov.status) += 1;
    }
    let indexed = status_t
        .range((id, 0u8, 0u32)..=(id, u8::MAX, u32::MAX))?
        .count() as u64;
    if indexed != n {
        damage(format!(
            "the status index has {indexed} entries for {n} overlays"
        ));
    }
    let c = &run.counters;
    for (name, stored, actual) in [
        ("total", c.total, counted.total),
        ("pending", c.pending, counted.pending),
        ("claimed", c.claimed, counted.claimed),
        ("ai_complete", c.ai_complete, counted.ai_complete),
        ("confirmed", c.confirmed, counted.confirmed),
        ("failed", c.failed, counted.failed),
        ("skipped", c.skipped, counted.skipped),
    ] {
        if stored != actual {
            damage(format!(
                "counter {name} is {stored} but {actual} overlays are {name}"
            ));
        }
    }
    Ok(n)
}
