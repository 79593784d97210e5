//! Remove an export's temporary file when SIGINT, SIGTERM or SIGHUP ends the process (issue 10
//! item 2). The handler only reads fixed atomic slots and calls `unlink`, both
//! async-signal-safe; it then hands the signal to whatever handled it before (by default: the
//! process ends by that signal, as the user asked).

use std::ffi::{c_char, c_int, CString};
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Mutex;

const SLOTS: usize = 8;
const SIGNALS: [c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: AtomicPtr<c_char> = AtomicPtr::new(ptr::null_mut());
static TEMPS: [AtomicPtr<c_char>; SLOTS] = [EMPTY; SLOTS];

/// Handlers in place before ours, restored when the last temp file is gone.
struct Installed {
    count: usize,
    previous: [Option<libc::sigaction>; 3],
}

static STATE: Mutex<Installed> = Mutex::new(Installed {
    count: 0,
    previous: [None; 3],
});
/// Read by the handler; written only while our handlers are not installed.
static mut PREVIOUS: [Option<libc::sigaction>; 3] = [None; 3];

extern "C" fn on_signal(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    for slot in &TEMPS {
        let p = slot.load(Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: p is a leaked, NUL-terminated CString owned by the slot.
            unsafe { libc::unlink(p) };
        }
    }
    let Some(i) = SIGNALS.iter().position(|&s| s == sig) else {
        return;
    };
    // SAFETY: PREVIOUS is not written while our handler is installed; sigaction and raise are
    // async-signal-safe.
    unsafe {
        let prev = (*ptr::addr_of!(PREVIOUS))[i];
        match prev {
            Some(act) if act.sa_sigaction != libc::SIG_DFL && act.sa_sigaction != libc::SIG_IGN => {
                if act.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(act.sa_sigaction);
                    f(sig, info, ctx);
                } else {
                    let f: extern "C" fn(c_int) = std::mem::transmute(act.sa_sigaction);
                    f(sig);
                }
            }
            _ => {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &dfl, ptr::null_mut());
                libc::raise(sig);
            }
        }
    }
}

/// A registered temp file; dropping it unregisters (the file itself is removed by its owner).
pub struct Guard {
    slot: Option<usize>,
}

/// Register `tmp` for removal on a terminating signal.
pub fn register(tmp: &Path) -> Guard {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = CString::new(tmp.as_os_str().as_bytes()) else {
        return Guard { slot: None };
    };
    let raw = c.into_raw();
    let Some(slot) = TEMPS.iter().position(|s| {
        s.compare_exchange(ptr::null_mut(), raw, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }) else {
        // SAFETY: raw came from into_raw just above and was not stored.
        drop(unsafe { CString::from_raw(raw) });
        return Guard { slot: None };
    };
    let mut st = STATE.lock().unwrap_or_else(|e| e.into_inner());
    if st.count == 0 {
        install(&mut st);
    }
    st.count += 1;
    Guard { slot: Some(slot) }
}

fn install(st: &mut Installed) {
    for (i, &sig) in SIGNALS.iter().enumerate() {
        // SAFETY: plain sigaction calls with valid pointers; our handler is installed after
        // PREVIOUS is written.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(sig, ptr::null(), &mut old);
            st.previous[i] = Some(old);
            (*ptr::addr_of_mut!(PREVIOUS))[i] = Some(old);
            if old.sa_sigaction == libc::SIG_IGN {
                continue; // e.g. SIGHUP under nohup: the process does not end, keep it so.
            }
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_signal as *const () as usize;
            act.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(sig, &act, ptr::null_mut());
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Some(slot) = self.slot else { return };
        let p = TEMPS[slot].swap(ptr::null_mut(), Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: p came from CString::into_raw in register.
            drop(unsafe { CString::from_raw(p) });
        }
        let mut st = STATE.lock().unwrap_or_else(|e| e.into_inner());
        st.count = st.count.saturating_sub(1);
        if st.count == 0 {
            for (i, &sig) in SIGNALS.iter().enumerate() {
                if let Some(old) = st.previous[i].take() {
                    // SAFETY: restoring the action saved in install.
                    unsafe { libc::sigaction(sig, &old, ptr::null_mut()) };
                }
            }
        }
    }
}
