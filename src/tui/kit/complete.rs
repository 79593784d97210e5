//! Tab completion of file paths for the ingest prompt.

use std::path::{Path, PathBuf};

/// What a Tab did: the new text and every entry that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub candidates: Vec<String>,
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(text: &str) -> PathBuf {
    match (text.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(text),
    }
}

/// Complete the last path component of `text` against the directory it names: one match is
/// completed (with `/` for a directory), several are completed to their common prefix.
/// Hidden entries are offered only when the typed prefix starts with `.`.
pub fn complete_path(text: &str) -> Completion {
    let (dir_text, prefix) = match text.rfind('/') {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None => ("", text),
    };
    let dir = if dir_text.is_empty() {
        PathBuf::from(".")
    } else {
        expand_home(dir_text)
    };
    let mut names: Vec<(String, bool)> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.to_string();
                    let hidden_ok = !name.starts_with('.') || prefix.starts_with('.');
                    (name.starts_with(prefix) && hidden_ok).then(|| (name, e.path().is_dir()))
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let candidates: Vec<String> = names
        .iter()
        .map(|(n, d)| if *d { format!("{n}/") } else { n.clone() })
        .collect();
    let completed = match candidates.as_slice() {
        [] => prefix.to_string(),
        [one] => one.clone(),
        many => common_prefix(many),
    };
    Completion {
        text: format!("{dir_text}{completed}"),
        candidates,
    }
}

fn common_prefix(names: &[String]) -> String {
    let first = &names[0];
    let mut end = first.len();
    for n in &names[1..] {
        end = end.min(
            first
                .char_indices()
                .zip(n.chars())
                .find(|((_, a), b)| a != b)
                .map_or(end.min(n.len()), |((i, _), _)| i),
        );
    }
    first[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_one_match_and_the_common_prefix_of_several() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        std::fs::write(dir.path().join("contract_a.md"), "x").unwrap();
        std::fs::write(dir.path().join("contract_b.md"), "x").unwrap();
        std::fs::create_dir(dir.path().join("notes")).unwrap();
        std::fs::write(dir.path().join(".hidden.md"), "x").unwrap();
        let c = complete_path(&format!("{d}/con"));
        assert_eq!(c.text, format!("{d}/contract_"));
        assert_eq!(c.candidates, vec!["contract_a.md", "contract_b.md"]);
        let c = complete_path(&format!("{d}/no"));
        assert_eq!(c.text, format!("{d}/notes/"));
        let c = complete_path(&format!("{d}/"));
        assert_eq!(c.candidates.len(), 3, "hidden files are not offered: {c:?}");
        let c = complete_path(&format!("{d}/zzz"));
        assert!(c.candidates.is_empty());
        assert_eq!(c.text, format!("{d}/zzz"));
    }
}
