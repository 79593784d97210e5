//! The fuzzy step of grounding: token alignment of a value against its block (SPEC §4a).
//!
//! Tokens are runs of letters and digits, lower-cased; each CJK ideograph, kana or hangul
//! syllable is a token of its own (those scripts put no spaces between words). A sliding
//! window as long as the value finds where most of its tokens occur (a bag count, linear in
//! the block); the best windows are then aligned in order (longest common subsequence) and
//! the ratio is `2·matched / (value tokens + span tokens)`, as difflib's ratio.

use std::collections::HashMap;

/// Least ratio that counts as `fuzzy`.
pub const MIN_RATIO: f64 = 0.75;
/// Values longer than this (bytes) skip the fuzzy step, so a huge value takes bounded time.
pub const MAX_VALUE_BYTES: usize = 4096;
/// Blocks with more tokens than this skip the fuzzy step.
pub const MAX_BLOCK_TOKENS: usize = 200_000;
/// Best windows aligned in order.
const CANDIDATES: usize = 8;

/// A fuzzy match: byte range in the block and its ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FuzzyMatch {
    pub start: usize,
    pub end: usize,
    pub ratio: f64,
}

/// Why the fuzzy step did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    ValueTooLong(usize),
    BlockTooLong(usize),
}

impl Skipped {
    pub fn note(&self) -> String {
        match self {
            Skipped::ValueTooLong(n) => format!(
                "fuzzy step skipped: the value is {n} bytes, over the {MAX_VALUE_BYTES}-byte cap"
            ),
            Skipped::BlockTooLong(n) => format!(
                "fuzzy step skipped: the block has {n} tokens, over the {MAX_BLOCK_TOKENS}-token cap"
            ),
        }
    }
}

fn own_token(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// A combining mark stays part of the token it follows (`cafe` + U+0301 is not `cafe`).
fn combining(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Tokens of `text` (lower-cased) with their byte ranges.
pub fn tokens(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut cur: Option<(String, usize)> = None;
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        if own_token(c) {
            if let Some((t, s)) = cur.take() {
                out.push((t, s, at));
            }
            out.push((c.to_lowercase().collect(), at, end));
        } else if c.is_alphanumeric() || (combining(c) && cur.is_some()) {
            let (t, _) = cur.get_or_insert_with(|| (String::new(), at));
            t.extend(c.to_lowercase());
        } else if let Some((t, s)) = cur.take() {
            out.push((t, s, at));
        }
    }
    if let Some((t, s)) = cur {
        out.push((t, s, text.len()));
    }
    out
}

/// Window starts whose bag overlap with the value is highest (at most [`CANDIDATES`]), and
/// that overlap.
fn best_windows(value: &[&str], block: &[&str]) -> (usize, Vec<usize>) {
    let n = value.len();
    let mut want: HashMap<&str, i32> = HashMap::new();
    for t in value {
        *want.entry(t).or_default() += 1;
    }
    let mut have: HashMap<&str, i32> = HashMap::new();
    let (mut overlap, mut best, mut starts) = (0usize, 0usize, Vec::new());
    for (i, t) in block.iter().enumerate() {
        let h = have.entry(t).or_default();
        *h += 1;
        if *h <= *want.get(t).unwrap_or(&0) {
            overlap += 1;
        }
        if i >= n {
            let old = block[i - n];
            let h = have.get_mut(old).expect("counted when it entered");
            if *h <= *want.get(old).unwrap_or(&0) {
                overlap -= 1;
            }
            *h -= 1;
        }
        let start = (i + 1).saturating_sub(n);
        if overlap > best {
            (best, starts) = (overlap, vec![start]);
        } else if overlap == best && best > 0 && starts.len() < CANDIDATES {
            starts.push(start);
        }
    }
    (best, starts)
}

/// Longest common subsequence of `a` and `b`: its length and the first and last matched
/// positions in `b`.
fn align(a: &[&str], b: &[&str]) -> (usize, usize, usize) {
    let w = b.len() + 1;
    let mut dp = vec![0u32; (a.len() + 1) * w];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            dp[i * w + j] = if a[i - 1] == b[j - 1] {
                dp[(i - 1) * w + j - 1] + 1
            } else {
                dp[(i - 1) * w + j].max(dp[i * w + j - 1])
            };
        }
    }
    let (mut i, mut j, mut first, mut last) = (a.len(), b.len(), usize::MAX, 0);
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            last = last.max(j - 1);
            first = j - 1;
            i -= 1;
            j -= 1;
        } else if dp[(i - 1) * w + j] >= dp[i * w + j - 1] {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    (dp[a.len() * w + b.len()] as usize, first, last)
}

/// The best fuzzy match of `value` in `block`, if its ratio reaches [`MIN_RATIO`].
pub fn find(value: &str, block: &str) -> Result<Option<FuzzyMatch>, Skipped> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(Skipped::ValueTooLong(value.len()));
    }
    let v = tokens(value);
    let b = tokens(block);
    if b.len() > MAX_BLOCK_TOKENS {
        return Err(Skipped::BlockTooLong(b.len()));
    }
    if v.is_empty() || b.is_empty() {
        return Ok(None);
    }
    let vs: Vec<&str> = v.iter().map(|t| t.0.as_str()).collect();
    let bs: Vec<&str> = b.iter().map(|t| t.0.as_str()).collect();
    let n = vs.len();
    let (overlap, starts) = best_windows(&vs, &bs);
    if (overlap as f64) < MIN_RATIO * n as f64 {
        return Ok(None);
    }
    let slack = n / 4 + 1;
    let mut best: Option<FuzzyMatch> = None;
    for s in starts {
        let window = &bs[s..(s + n + slack).min(bs.len())];
        let (matched, first, last) = align(&vs, window);
        if matched == 0 {
            continue;
        }
        let span = last - first + 1;
        let ratio = 2.0 * matched as f64 / (n + span) as f64;
        if ratio >= MIN_RATIO && best.is_none_or(|m| ratio > m.ratio) {
            best = Some(FuzzyMatch {
                start: b[s + first].1,
                end: b[s + last].2,
                ratio,
            });
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_with_one_word_changed_is_found_with_its_ratio() {
        let block = "Intro. The quick brown fox jumps over the lazy dog. Outro.";
        let m = find("the quick brown cat jumps over the lazy dog", block)
            .unwrap()
            .unwrap();
        assert_eq!(
            &block[m.start..m.end],
            "The quick brown fox jumps over the lazy dog"
        );
        assert!((m.ratio - 8.0 / 9.0).abs() < 1e-9, "{}", m.ratio);
    }

    #[test]
    fn unrelated_text_is_no_match() {
        assert_eq!(
            find("completely different words here", "The quick brown fox").unwrap(),
            None
        );
    }

    #[test]
    fn cjk_characters_are_tokens_and_offsets_are_bytes() {
        let block = "前文。東京都は日本の首都です。後文";
        let m = find("東京都は日本の首府です", block).unwrap().unwrap();
        assert_eq!(&block[m.start..m.end], "東京都は日本の首都です");
    }

    #[test]
    fn a_huge_value_skips_the_step_and_says_so() {
        let big = "word ".repeat(300_000);
        let err = find(&big, "word word").unwrap_err();
        assert!(err.note().contains("4096-byte cap"), "{}", err.note());
    }
}
