//! Who is acting: the operating system's account of this process (issue 10 item 8). Never an
//! environment variable: `USER`, `USERNAME` and `BLOCKWISE_USER` can be set to anything, so
//! they cannot decide who is a workspace admin.

/// The account name of the process's real uid (`getpwuid_r`), or `uid:<n>` when the account
/// database has no entry for it.
pub fn os_user() -> String {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    account_name(uid).unwrap_or_else(|| format!("uid:{uid}"))
}

/// Whether `name` is an account of this machine (`getpwnam_r`), or the `uid:<n>` form
/// [`os_user`] gives an account the database has no entry for.
pub fn account_exists(name: &str) -> bool {
    if let Some(n) = name.strip_prefix("uid:") {
        return !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    }
    let Ok(c_name) = std::ffi::CString::new(name) else {
        return false;
    };
    let mut buf = vec![0 as libc::c_char; 1024];
    loop {
        // SAFETY: as in account_name: valid out-parameters, buf's length passed.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = unsafe {
            libc::getpwnam_r(
                c_name.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        return rc == 0 && !result.is_null();
    }
}

fn account_name(uid: libc::uid_t) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 1024];
    loop {
        // SAFETY: zeroed passwd is a valid out-parameter; buf outlives the call and its length
        // is passed; result points to pwd or is null.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc =
            unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: pw_name points into buf, NUL-terminated by getpwuid_r.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        let name = name.to_string_lossy().trim().to_string();
        return (!name.is_empty()).then_some(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_root_and_the_environment_is_ignored() {
        assert_eq!(account_name(0).as_deref(), Some("root"));
        std::env::set_var("BLOCKWISE_USER", "someone-else");
        assert_ne!(os_user(), "someone-else");
    }

    #[test]
    fn accounts_are_looked_up_in_the_account_database() {
        assert!(account_exists("root"));
        assert!(account_exists(&os_user()));
        assert!(account_exists("uid:4242"));
        assert!(!account_exists("no-such-account-bw20"));
        assert!(!account_exists("uid:"));
    }
}
