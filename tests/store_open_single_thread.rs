//! `Store::open` keeps a process single-threaded when nobody else holds the store (issue 25's
//! PDF wall): from a process's second thread on, glibc's malloc locks on every call, and the
//! conversion that follows the open (a PDF's objects, thousands of allocations) ran 5% slower.
//! A store another process holds is still opened on a helper thread that gives up after
//! `WRITE_WAIT` (tests/trust.rs, item 11).
//!
//! No libtest harness (`harness = false` in Cargo.toml): the harness runs every test on a thread
//! of its own, and glibc's flag never turns back. The lines below read like libtest's, so
//! `.ci/run` counts them.

use std::ffi::c_char;
use std::path::Path;

use blockwise::store::Store;

extern "C" {
    /// glibc (2.32 on): non-zero until the process creates its first thread.
    static __libc_single_threaded: c_char;
}

fn single_threaded() -> bool {
    // SAFETY: a byte glibc exports for reading; this process writes it nowhere.
    unsafe { std::ptr::read_volatile(&raw const __libc_single_threaded) != 0 }
}

fn opens_on_this_thread(path: &Path) -> Result<(), String> {
    let store = Store::open(path).map_err(|e| format!("open: {e}"))?;
    if !single_threaded() {
        return Err("the open started a thread".into());
    }
    drop(store);
    if !single_threaded() {
        return Err("the close started a thread".into());
    }
    Ok(())
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.redb");
    assert!(single_threaded(), "the test began single-threaded");
    let cases = [
        ("a new store", path.clone()),
        ("the same store again, now set up and closed", path),
    ];
    let mut failed = 0;
    for (what, path) in &cases {
        let outcome = opens_on_this_thread(path);
        let name = format!("store_open_keeps_the_process_single_threaded: {what}");
        match outcome {
            Ok(()) => println!("test {name} ... ok"),
            Err(e) => {
                failed += 1;
                println!("test {name} ... FAILED ({e})");
            }
        }
    }
    println!(
        "\ntest result: {}. {} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out",
        if failed == 0 { "ok" } else { "FAILED" },
        cases.len() - failed
    );
    if failed > 0 {
        std::process::exit(101);
    }
}
