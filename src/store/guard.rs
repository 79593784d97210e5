//! A damaged store file never panics a command (issue 20 item 2).
//!
//! redb trusts its file: a flipped byte in a page header or a length can make it index past a
//! page (`btree_base.rs: range end index ... out of range`) and panic, where a clean error was
//! wanted. Two parts turn that into [`StoreError::Damaged`] naming what was being read:
//!
//! - [`reading`]: a one-line marker at the top of a store function
//!   (`let _r = reading(format!("run {run_id}"))`) saying what it reads: a thread-local push and
//!   pop of a short string, next to a redb transaction that costs far more.
//! - [`catch_damage`]: `catch_unwind` around a unit of store work (a CLI command, one section
//!   of `check`). A panic raised inside redb, or while a marker is live, is silenced (no
//!   "thread panicked" on stderr) and returned as `Damaged` naming the innermost marker. Any
//!   other panic is a bug and keeps unwinding as before.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, Once};

use super::StoreError;

thread_local! {
    /// What the store functions on this thread's stack are reading, innermost last.
    static READING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// What a caught panic was reading and what redb said, set by the panic hook (which runs on
/// the panicking thread, before unwinding pops the markers) and taken by [`catch_damage`]
/// (possibly on another thread: export renders on several).
static LAST_DAMAGE: Mutex<Option<(String, String)>> = Mutex::new(None);

/// Marks what the enclosing store function reads until it is dropped.
pub(crate) struct Reading(());

/// Mark that the current scope reads `what` (e.g. `format!("overlay {run} block {i}")`).
pub(crate) fn reading(what: impl Into<String>) -> Reading {
    install_hook();
    let what = what.into();
    READING.with(|r| r.borrow_mut().push(what));
    Reading(())
}

impl Drop for Reading {
    fn drop(&mut self) {
        READING.with(|r| {
            r.borrow_mut().pop();
        });
    }
}

/// The innermost marker's description on this thread, if any.
fn current() -> Option<String> {
    READING.with(|r| r.borrow().last().cloned())
}

/// The innermost marker's description, else `fallback` (for errors redb returns).
pub(crate) fn current_or(fallback: &str) -> String {
    current().unwrap_or_else(|| fallback.to_string())
}

/// Run `f`; a panic from reading a damaged store becomes [`StoreError::Damaged`], any other
/// panic unwinds on. Errors `f` returns pass through unchanged.
pub fn catch_damage<T, E: From<StoreError>>(f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    install_hook();
    take_damage();
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => match take_damage() {
            Some((what, detail)) => Err(StoreError::Damaged { what, detail }.into()),
            None => panic::resume_unwind(payload),
        },
    }
}

fn take_damage() -> Option<(String, String)> {
    LAST_DAMAGE.lock().map(|mut d| d.take()).unwrap_or(None)
}

/// Chain a hook before the current one (the TUI's terminal restore, or the default printer):
/// a panic inside redb or under a marker is recorded quietly; every other panic goes on to the
/// previous hook as before.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let in_redb = info
                .location()
                .is_some_and(|l| l.file().contains("/redb-") || l.file().contains("\\redb-"));
            let what = current();
            if !in_redb && what.is_none() {
                return previous(info);
            }
            let detail = match (info.payload_as_str(), info.location()) {
                (Some(m), Some(l)) => format!("{m} at {}:{}", short_file(l.file()), l.line()),
                (Some(m), None) => m.to_string(),
                (None, _) => "a panic without a message".to_string(),
            };
            let what = what.unwrap_or_else(|| "the store file".to_string());
            tracing::error!(%what, %detail, "panic while reading the store: reported as damage");
            if let Ok(mut d) = LAST_DAMAGE.lock() {
                d.get_or_insert((what, detail));
            }
        }));
    });
}

/// `.../redb-4.6.0/src/tree_store/btree_base.rs` -> `redb-4.6.0/src/tree_store/btree_base.rs`.
fn short_file(file: &str) -> &str {
    file.find("redb-").map(|i| &file[i..]).unwrap_or(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_under_a_marker_becomes_damage_naming_the_innermost_read() {
        let got: Result<(), StoreError> = catch_damage(|| {
            let _outer = reading("run r1");
            let _inner = reading("overlay r1 block 3");
            panic!("slice index starts at 468 but ends at 420");
        });
        let msg = got.unwrap_err().to_string();
        assert!(
            msg.starts_with("store is damaged: could not read overlay r1 block 3"),
            "{msg}"
        );
        assert!(msg.contains("468"), "{msg}");
        assert!(current().is_none(), "markers popped while unwinding");
    }

    #[test]
    fn a_panic_outside_the_store_keeps_unwinding() {
        let caught = panic::catch_unwind(|| {
            let _: Result<(), StoreError> = catch_damage(|| panic!("a real bug"));
        });
        assert!(caught.is_err(), "a bug is not disguised as damage");
    }
}
