//! The grid's side of finding: highlight what a search matched and step between hits. Which
//! blocks a search hits or a filter keeps is decided in `review::find` (behind the workspace).

/// Byte ranges of `needle` (lower-cased) in `text`, ignoring ASCII case, for highlighting.
pub fn match_ranges(text: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if needle.is_empty() || !needle.is_ascii() {
        return out;
    }
    let (h, n) = (text.as_bytes(), needle.as_bytes());
    let mut i = 0;
    while i + n.len() <= h.len() {
        if h[i..i + n.len()].eq_ignore_ascii_case(n)
            && text.is_char_boundary(i)
            && text.is_char_boundary(i + n.len())
        {
            out.push((i, i + n.len()));
            i += n.len();
        } else {
            i += 1;
        }
    }
    out
}

/// The first of `sorted` after (`forward`) or before `index`, wrapping around.
pub fn next_in(sorted: &[u32], index: u32, forward: bool) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    if forward {
        let p = sorted.partition_point(|&i| i <= index);
        Some(*sorted.get(p).unwrap_or(&sorted[0]))
    } else {
        let p = sorted.partition_point(|&i| i < index);
        Some(if p == 0 {
            sorted[sorted.len() - 1]
        } else {
            sorted[p - 1]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_ignores_case_and_next_wraps() {
        assert_eq!(match_ranges("aXa xa", "xa"), vec![(1, 3), (4, 6)]);
        assert_eq!(next_in(&[2, 5, 9], 5, true), Some(9));
        assert_eq!(next_in(&[2, 5, 9], 9, true), Some(2));
        assert_eq!(next_in(&[2, 5, 9], 2, false), Some(9));
        assert_eq!(next_in(&[], 2, false), None);
    }
}
