//! Export of a run group (SPEC §1a, issue 22 item 5): JSONL or CSV as one file in project
//! order (each JSONL line already names its document and run; CSV rows lead with `conv_uid`
//! and `file_name`), or Markdown as one reconstructed file per document in a folder. The export
//! guard and atomic writes apply to every file.

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{
    context, csv, guard, io_at, jsonl, markdown, AtomicFile, Counting, ExportError, ExportSummary,
    Format, Mode,
};
use crate::model::RunGroup;
use crate::store::Store;

fn add(total: &mut ExportSummary, s: ExportSummary) {
    total.blocks += s.blocks;
    total.confirmed += s.confirmed;
    total.drafts += s.drafts;
}

/// Stream the group's members, in project order, as one JSONL or CSV document to `out`.
/// Markdown is one file per document: see [`export_group_markdown_dir`].
pub fn export_group_to_writer<W: Write>(
    store: &Store,
    group: &RunGroup,
    format: Format,
    mode: Mode,
    out: W,
    target: &str,
) -> Result<ExportSummary, ExportError> {
    if format == Format::Markdown {
        return Err(guard::Refused {
            target: target.to_string(),
            reason: "a run group exports Markdown as one file per document: give a folder \
                     with `--format md -o DIR`"
                .to_string(),
        }
        .into());
    }
    let mut w = BufWriter::with_capacity(
        256 * 1024,
        Counting {
            inner: out,
            bytes: 0,
        },
    );
    let mut total = ExportSummary {
        blocks: 0,
        bytes: 0,
        confirmed: 0,
        drafts: 0,
    };
    for (i, run_id) in group.run_ids.iter().enumerate() {
        let mut ctx = context(store, run_id, mode)?;
        ctx.group_columns = true;
        ctx.header = i == 0;
        let s = match format {
            Format::Csv => csv::write(store, &ctx, &mut w, target)?,
            _ => jsonl::write(store, &ctx, &mut w, target)?,
        };
        add(&mut total, s);
    }
    w.flush().map_err(io_at(target))?;
    total.bytes = w.get_ref().bytes;
    Ok(total)
}

/// The group as one JSONL or CSV file at `path`, atomically, behind the export guard.
pub fn export_group_to_path(
    store: &Store,
    group: &RunGroup,
    format: Format,
    mode: Mode,
    path: &Path,
) -> Result<ExportSummary, ExportError> {
    let target = path.display().to_string();
    let path = guard::check_output(path, &guard::Protected::for_store(store.path()))?;
    let mut file = AtomicFile::create(&path).map_err(io_at(&target))?;
    let summary = export_group_to_writer(store, group, format, mode, &mut file, &target)?;
    file.commit().map_err(io_at(&target))?;
    Ok(summary)
}

/// `report.docx` → `report`, with path separators, control characters and a leading dot
/// taken out, so a name can only ever be a plain file inside the folder.
fn stem_of(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = match base.rfind('.') {
        Some(dot) if dot > 0 => &base[..dot],
        _ => base,
    };
    let clean: String = stem
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    let clean = clean.trim_start_matches('.').trim();
    if clean.is_empty() {
        "document".to_string()
    } else {
        clean.chars().take(120).collect()
    }
}

/// One name per document: `<stem>.md`, then `<stem>-2.md`, `-3`, ... on a collision
/// (compared case-insensitively, so two names never land on one file anywhere).
pub fn markdown_names(file_names: &[String]) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    file_names
        .iter()
        .map(|f| {
            let stem = stem_of(f);
            let mut n = 1;
            loop {
                let name = if n == 1 {
                    format!("{stem}.md")
                } else {
                    format!("{stem}-{n}.md")
                };
                if taken.insert(name.to_lowercase()) {
                    return name;
                }
                n += 1;
            }
        })
        .collect()
}

/// One reconstructed Markdown file per member document in `dir` (created if missing), in
/// project order. Every file goes through the export guard and is written atomically. Returns
/// each file with what it holds.
pub fn export_group_markdown_dir(
    store: &Store,
    group: &RunGroup,
    mode: Mode,
    dir: &Path,
) -> Result<Vec<(PathBuf, ExportSummary)>, ExportError> {
    let target = dir.display().to_string();
    if dir.exists() && !dir.is_dir() {
        return Err(guard::Refused {
            target,
            reason: "a run group's Markdown export is one file per document: -o must name a \
                     folder, and this is a file"
                .to_string(),
        }
        .into());
    }
    std::fs::create_dir_all(dir).map_err(io_at(&target))?;
    let mut contexts = Vec::with_capacity(group.run_ids.len());
    for run_id in &group.run_ids {
        contexts.push(context(store, run_id, mode)?);
    }
    let names = markdown_names(
        &contexts
            .iter()
            .map(|c| c.doc.file_name.clone())
            .collect::<Vec<_>>(),
    );
    let protected = guard::Protected::for_store(store.path());
    // Every target is checked before the first is written: a refused one writes nothing.
    let mut paths = Vec::with_capacity(names.len());
    for name in &names {
        paths.push(guard::check_output(&dir.join(name), &protected)?);
    }
    let mut out = Vec::with_capacity(paths.len());
    for (ctx, path) in contexts.iter().zip(paths) {
        let t = path.display().to_string();
        let mut file = AtomicFile::create(&path).map_err(io_at(&t))?;
        let mut w = BufWriter::new(Counting {
            inner: &mut file,
            bytes: 0,
        });
        let mut s = markdown::write(store, ctx, &mut w, &t)?;
        w.flush().map_err(io_at(&t))?;
        s.bytes = w.get_ref().bytes;
        drop(w);
        file.commit().map_err(io_at(&t))?;
        out.push((path, s));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_source_files_and_collisions_are_suffixed() {
        let names = markdown_names(&[
            "minutes.docx".into(),
            "minutes.md".into(),
            "Minutes.txt".into(),
            "../../etc/passwd".into(),
            ".hidden".into(),
            "a\u{1b}[2Jb.pdf".into(),
        ]);
        assert_eq!(
            names,
            vec![
                "minutes.md",
                "minutes-2.md",
                "Minutes-3.md",
                "passwd.md",
                "hidden.md",
                "a_[2Jb.md"
            ]
        );
    }
}
