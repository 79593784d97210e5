//! Byte-flip sweep of issue 20 on a large store:
//! `cargo run --release --example byte_flip` (defaults: 10,000 blocks, every 97th byte;
//! `FLIP_BLOCKS`, `FLIP_EVERY`, and `FLIP_MAX` to stop after that many flips).
//!
//! Builds a populated store (ingest, a run on the offline demo provider, confirmed blocks, an
//! edit, a policy change), flips one byte at a time on a copy, and reads it back with `check`,
//! a JSONL export and `run status` + `docs` through the library the CLI calls. Prints the
//! counts; FAIL (exit 1) on any panic or silent change of exported data.

#[path = "../tests/flip_sweep/mod.rs"]
mod flip_sweep;

fn env(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let blocks = env("FLIP_BLOCKS", 10_000);
    let every = env("FLIP_EVERY", 97);
    let max = env("FLIP_MAX", usize::MAX);
    let t = std::time::Instant::now();
    let p = flip_sweep::populate(blocks);
    let len = std::fs::metadata(&p.store).unwrap().len();
    println!(
        "store of {blocks} blocks: {len} bytes, built in {:.1}s; flipping every {every}th byte{}",
        t.elapsed().as_secs_f64(),
        if max < usize::MAX {
            format!(", at most {max} flips")
        } else {
            String::new()
        }
    );
    let t = std::time::Instant::now();
    let c = flip_sweep::sweep_limited(&p, every, max);
    println!(
        "{} flips in {:.0}s: {} no effect, {} reported as damage, {} panics, {} silent export \
         changes, {} other silent changes, {} refused by a read that check passed {}",
        c.flips,
        t.elapsed().as_secs_f64(),
        c.no_effect,
        c.reported,
        c.panics,
        c.silent_export,
        c.silent_other,
        c.read_only,
        if c.panics == 0 && c.silent_export + c.silent_other + c.read_only == 0 {
            "PASS"
        } else {
            "FAIL"
        }
    );
    if !c.first_silent.is_empty() {
        println!(
            "silent flips at: {:?}",
            &c.first_silent[..c.first_silent.len().min(20)]
        );
    }
    if c.panics > 0 || c.silent_export + c.silent_other + c.read_only > 0 {
        std::process::exit(1);
    }
}
