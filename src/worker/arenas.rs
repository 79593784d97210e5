//! The C allocator's arenas for a worker process.
//!
//! glibc gives threads their own malloc arenas (up to 8 per core). A session's threads (the
//! runtime's, the blocking pool's, the writer) mostly wait on the network and the disk, but
//! each arena keeps its own free fragments: over 10x more calls the peak grew with the calls
//! (`cargo bench --bench worker_group`, 100 -> 1,000 documents: x1.32 with the default, x1.15
//! with two arenas at the same load). Two arenas are shared by every thread that first
//! allocates after this call; arenas already made stay in use.

/// Limit the process to two malloc arenas (once; glibc on Linux only, a no-op elsewhere).
pub(crate) fn limit() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt only sets an allocator parameter; it is thread-safe in glibc.
        ONCE.call_once(|| unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        });
    }
}
