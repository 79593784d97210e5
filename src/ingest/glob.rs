//! Shell-style globs for `ingest --include / --exclude` (no glob crate is in the tree).
//!
//! `*` matches any run of characters except `/`, `?` one character except `/`, `**` any run
//! including `/` (`**/` also matches nothing, so `**/*.md` matches `a.md`), `[abc]`, `[a-z]`
//! and `[!a-z]` / `[^a-z]` one character of (not of) the set. A pattern without `/` is matched
//! against the file name alone, one with `/` against the path below the folder being ingested.

/// A parsed glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    tokens: Vec<Token>,
    /// No `/` in the pattern: match the file name only.
    name_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    Any,
    Star,
    /// `**`; `slash` when written `**/` (then it may also match nothing at all).
    DoubleStar {
        slash: bool,
    },
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

impl Glob {
    /// Parse a pattern, or say what is wrong with it.
    pub fn new(pattern: &str) -> Result<Glob, String> {
        if pattern.is_empty() {
            return Err("empty glob pattern".into());
        }
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            match c {
                '*' if chars.get(i) == Some(&'*') => {
                    i += 1;
                    let slash = chars.get(i) == Some(&'/');
                    if slash {
                        i += 1;
                    }
                    tokens.push(Token::DoubleStar { slash });
                }
                '*' => tokens.push(Token::Star),
                '?' => tokens.push(Token::Any),
                '[' => {
                    let (class, next) = parse_class(&chars, i)
                        .ok_or_else(|| format!("glob '{pattern}': '[' without a closing ']'"))?;
                    tokens.push(class);
                    i = next;
                }
                '\\' if i < chars.len() => {
                    tokens.push(Token::Char(chars[i]));
                    i += 1;
                }
                c => tokens.push(Token::Char(c)),
            }
        }
        Ok(Glob {
            text: pattern.to_string(),
            name_only: !pattern.contains('/'),
            tokens,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the entry at `rel` (path below the ingested folder, `/`-separated) matches.
    pub fn matches_path(&self, rel: &str) -> bool {
        let subject = if self.name_only {
            rel.rsplit('/').next().unwrap_or(rel)
        } else {
            rel.trim_start_matches("./")
        };
        let s: Vec<char> = subject.chars().collect();
        match_from(&self.tokens, &s)
    }
}

/// `[...]` starting after the `[` at `start`; returns the class and the index after `]`.
fn parse_class(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start;
    let negated = matches!(chars.get(i), Some('!') | Some('^'));
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && !first {
            return Some((Token::Class { negated, items }, i + 1));
        }
        first = false;
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&e| e != ']') {
            items.push((c, chars[i + 2]));
            i += 3;
        } else {
            items.push((c, c));
            i += 1;
        }
    }
    None
}

/// Backtracking match; patterns are short, so the worst case stays small.
fn match_from(tokens: &[Token], s: &[char]) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return s.is_empty();
    };
    match first {
        Token::Char(c) => s.first() == Some(c) && match_from(rest, &s[1..]),
        Token::Any => s.first().is_some_and(|&c| c != '/') && match_from(rest, &s[1..]),
        Token::Class { negated, items } => {
            s.first().is_some_and(|&c| {
                let inside = items.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                c != '/' && inside != *negated
            }) && match_from(rest, &s[1..])
        }
        Token::Star => {
            for skip in 0..=s.len() {
                if match_from(rest, &s[skip..]) {
                    return true;
                }
                if s.get(skip) == Some(&'/') {
                    return false;
                }
            }
            false
        }
        Token::DoubleStar { slash } => {
            if *slash && match_from(rest, s) {
                return true;
            }
            (0..=s.len()).any(|skip| {
                let after_slash = !*slash || (skip > 0 && s[skip - 1] == '/');
                after_slash && match_from(rest, &s[skip..])
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        Glob::new(pattern).unwrap().matches_path(path)
    }

    #[test]
    fn star_and_question_mark_stay_inside_one_path_component() {
        assert!(m("*.md", "notes.md"));
        assert!(m("*.md", "deep/down/notes.md"), "no slash: the file name");
        assert!(!m("*.md", "notes.mdx"));
        assert!(m("ch?.txt", "ch1.txt"));
        assert!(!m("ch?.txt", "ch10.txt"));
        assert!(m("drafts/*.md", "drafts/a.md"));
        assert!(!m("drafts/*.md", "drafts/old/a.md"));
        assert!(!m("a*b/x", "a/b/x"), "* never crosses /");
    }

    #[test]
    fn double_star_crosses_folders_and_may_match_nothing() {
        assert!(m("**/*.md", "a.md"));
        assert!(m("**/*.md", "x/y/a.md"));
        assert!(m("drafts/**", "drafts/a/b.md"));
        assert!(m("a/**/z.txt", "a/z.txt"));
        assert!(m("a/**/z.txt", "a/b/c/z.txt"));
        assert!(!m("a/**/z.txt", "b/z.txt"));
        assert!(!m("**/x.md", "ax.md"), "**/ starts at a component");
    }

    #[test]
    fn classes_ranges_negation_and_escapes() {
        assert!(m("[abc].md", "b.md"));
        assert!(!m("[abc].md", "d.md"));
        assert!(m("report-[0-9][0-9].pdf", "report-07.pdf"));
        assert!(!m("report-[0-9].pdf", "report-x.pdf"));
        assert!(m("[!a-c]*", "zeta.md"));
        assert!(!m("[^a-c]*", "beta.md"));
        assert!(m("[]x].md", "].md"), "a leading ] is a member");
        assert!(m(r"\*.md", "*.md"));
        assert!(!m(r"\*.md", "a.md"));
    }

    #[test]
    fn bad_patterns_are_refused_with_the_reason() {
        assert!(Glob::new("").unwrap_err().contains("empty"));
        let e = Glob::new("[abc.md").unwrap_err();
        assert!(e.contains("'[abc.md'") && e.contains("closing ']'"), "{e}");
    }
}
