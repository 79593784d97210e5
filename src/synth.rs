//! Synthetic documents for benchmarks and large-document tests. Deterministic: the same
//! arguments always give the same bytes, on every machine.

/// A small deterministic PRNG (SplitMix64), so no dependency is needed for reproducible data.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const WORDS: &[&str] = &[
    "the", "contract", "party", "shall", "deliver", "notice", "within", "days", "of", "receipt",
    "agreement", "term", "provider", "customer", "data", "review", "block", "schema", "model",
    "result", "obligation", "payment", "invoice", "clause", "section", "liability", "warranty",
    "confidential", "information", "service", "level", "report", "quarterly", "annual", "café",
    "naïve", "résumé", "Zürich", "straße", "東京", "emoji🙂", "and", "or", "not", "with",
];

fn sentence(rng: &mut SplitMix64, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    if let Some(first) = s.get(..1) {
        let upper = first.to_uppercase();
        s.replace_range(..1, &upper);
    }
    s.push('.');
    s
}

/// A Markdown document of about `blocks` top-level blocks mixing every kind the Markdown
/// ingest produces: headings, paragraphs (some long), list items (with nesting), code, tables,
/// block quotes, footnotes, link definitions, HTML, dividers and figures.
pub fn markdown(blocks: usize, seed: u64) -> String {
    let mut rng = SplitMix64::new(seed);
    let mut out = String::with_capacity(blocks * 200);
    out.push_str("# Synthetic benchmark document\n\n");
    let mut made = 1;
    let mut footnote = 0;
    while made < blocks {
        match rng.below(20) {
            0 => {
                out.push_str(&format!("## Section {made}\n\n"));
                made += 1;
            }
            1..=9 => {
                let n = 2 + rng.below(6) as usize;
                let mut p = Vec::new();
                for _ in 0..n {
                    let words = 6 + rng.below(14) as usize;
                    p.push(sentence(&mut rng, words));
                }
                out.push_str(&p.join(" "));
                out.push_str("\n\n");
                made += 1;
            }
            10..=12 => {
                let items = 2 + rng.below(4) as usize;
                for i in 0..items {
                    out.push_str(&format!("- {}\n", sentence(&mut rng, 8)));
                    if i == 0 && rng.below(3) == 0 {
                        out.push_str(&format!("  - {}\n", sentence(&mut rng, 5)));
                    }
                }
                out.push('\n');
                made += items;
            }
            13 => {
                out.push_str("```rust\nfn main() {\n    println!(\"hi\");\n\n    let x = 1;\n}\n```\n\n");
                made += 1;
            }
            14 => {
                out.push_str("| key | value |\n|---|---|\n");
                for _ in 0..3 {
                    let k = rng.below(100);
                    let v = sentence(&mut rng, 3);
                    out.push_str(&format!("| {k} | `a\\|b` {v} |\n"));
                }
                out.push('\n');
                made += 1;
            }
            15 => {
                let a = sentence(&mut rng, 9);
                let b = sentence(&mut rng, 7);
                out.push_str(&format!("> {a}\n> {b}\n\n"));
                made += 1;
            }
            16 => {
                footnote += 1;
                out.push_str(&format!(
                    "See note[^n{footnote}] and [ref {footnote}][r{footnote}].\n\n[^n{footnote}]: {}\n\n[r{footnote}]: https://example.com/{footnote} \"Ref\"\n\n",
                    sentence(&mut rng, 6)
                ));
                made += 3;
            }
            17 => {
                out.push_str("<div class=\"note\">\n<p>Inline HTML block</p>\n</div>\n\n");
                made += 1;
            }
            18 => {
                out.push_str("---\n\n");
                made += 1;
            }
            _ => {
                out.push_str(&format!("![figure {made}](images/fig{made}.png)\n\n"));
                made += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn generator_is_deterministic() {
        assert_eq!(super::markdown(300, 7), super::markdown(300, 7));
        assert_ne!(super::markdown(300, 7), super::markdown(300, 8));
    }
}
