//! Block selections like `0,3,7-12`: parsed into sorted, merged inclusive ranges so that a
//! selection of a whole 100k-block run costs a few bytes, and printed back the same way.

use std::fmt;
use std::str::FromStr;

/// Why a selection did not parse. Messages quote the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error("empty block selection: give block indices like 0,3,7-12")]
    Empty,
    #[error("'{part}' in block selection '{spec}' is not a block index (expected a number like 7 or a range like 7-12)")]
    NotANumber { spec: String, part: String },
    #[error("range '{part}' in block selection '{spec}' runs backwards: write it as {lo}-{hi}")]
    Backwards {
        spec: String,
        part: String,
        lo: u32,
        hi: u32,
    },
}

/// A set of block indices as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    ranges: Vec<(u32, u32)>,
}

impl Selection {
    /// The selection of exactly these indices (any order, duplicates allowed).
    pub fn from_indices(indices: impl IntoIterator<Item = u32>) -> Selection {
        Selection::from_ranges(indices.into_iter().map(|i| (i, i)).collect())
    }

    /// One inclusive range.
    pub fn range(lo: u32, hi: u32) -> Selection {
        Selection::from_ranges(vec![(lo.min(hi), lo.max(hi))])
    }

    fn from_ranges(mut ranges: Vec<(u32, u32)>) -> Selection {
        ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
        for (lo, hi) in ranges {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        Selection { ranges: merged }
    }

    /// This selection plus the inclusive range `lo..=hi`.
    pub fn with_range(mut self, lo: u32, hi: u32) -> Selection {
        self.ranges.push((lo.min(hi), lo.max(hi)));
        Selection::from_ranges(self.ranges)
    }

    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Number of indices selected.
    pub fn len(&self) -> u64 {
        self.ranges
            .iter()
            .map(|&(lo, hi)| u64::from(hi - lo) + 1)
            .sum()
    }

    /// Largest index selected.
    pub fn max(&self) -> Option<u32> {
        self.ranges.last().map(|r| r.1)
    }

    pub fn contains(&self, index: u32) -> bool {
        self.ranges
            .binary_search_by(|&(lo, hi)| {
                if hi < index {
                    std::cmp::Ordering::Less
                } else if lo > index {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }

    /// Every index, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.ranges.iter().flat_map(|&(lo, hi)| lo..=hi)
    }
}

impl FromStr for Selection {
    type Err = SelectionError;

    fn from_str(spec: &str) -> Result<Selection, SelectionError> {
        let mut ranges = Vec::new();
        for raw in spec.split(',') {
            let part = raw.trim();
            if part.is_empty() {
                // Tolerate a trailing comma or doubled comma; an all-empty spec is an error below.
                continue;
            }
            let num = |s: &str| {
                s.trim()
                    .parse::<u32>()
                    .map_err(|_| SelectionError::NotANumber {
                        spec: spec.to_string(),
                        part: part.to_string(),
                    })
            };
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (num(a)?, num(b)?),
                None => {
                    let n = num(part)?;
                    (n, n)
                }
            };
            if lo > hi {
                return Err(SelectionError::Backwards {
                    spec: spec.to_string(),
                    part: part.to_string(),
                    lo: hi,
                    hi: lo,
                });
            }
            ranges.push((lo, hi));
        }
        if ranges.is_empty() {
            return Err(SelectionError::Empty);
        }
        Ok(Selection::from_ranges(ranges))
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(lo, hi)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_ranges_merging_overlaps() {
        let s: Selection = "12, 0,3,7-12,8".parse().unwrap();
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![0, 3, 7, 8, 9, 10, 11, 12]
        );
        assert_eq!(s.to_string(), "0,3,7-12");
        assert_eq!(s.len(), 8);
        assert!(s.contains(9) && !s.contains(4));
        // Adjacent ranges merge.
        assert_eq!("0-2,3-5".parse::<Selection>().unwrap().to_string(), "0-5");
        assert_eq!(Selection::from_indices([5, 1, 2, 3]).to_string(), "1-3,5");
    }

    #[test]
    fn refuses_bad_specs_naming_the_part() {
        assert_eq!("".parse::<Selection>(), Err(SelectionError::Empty));
        assert_eq!(" , ".parse::<Selection>(), Err(SelectionError::Empty));
        let e = "1,x,3".parse::<Selection>().unwrap_err().to_string();
        assert!(e.contains("'x'"), "{e}");
        let e = "7-".parse::<Selection>().unwrap_err().to_string();
        assert!(e.contains("'7-'"), "{e}");
        let e = "-3".parse::<Selection>().unwrap_err().to_string();
        assert!(e.contains("'-3'"), "{e}");
        let e = "12-7".parse::<Selection>().unwrap_err();
        assert!(
            matches!(e, SelectionError::Backwards { lo: 7, hi: 12, .. }),
            "{e}"
        );
        assert!("99999999999".parse::<Selection>().is_err());
    }

    #[test]
    fn a_huge_range_is_cheap() {
        let s: Selection = "0-4294967295".parse().unwrap();
        assert_eq!(s.len(), 1u64 << 32);
        assert_eq!(s.ranges().len(), 1);
    }
}
