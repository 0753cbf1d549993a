//! Allocator settings for big images, and what the system says of memory.
//!
//! glibc hands every buffer above its mmap threshold (128 KiB to start) to the kernel
//! and back. A comparison allocates and frees dozens of 8-32 MB working buffers, so each
//! one would be faulted in afresh, page by page, and in a VM each fault is expensive
//! (profiles of a 24 MP comparison showed a quarter of all time in the fault path).
//! Keeping those buffers in the heap lets freed memory be reused without faults.
/// Call once at start-up, before any threads allocate. No effect off glibc.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocation policy; called before other threads
    // exist, and a refused setting leaves the default behaviour.
    unsafe {
        // 32 MiB is glibc's ceiling for the threshold: working buffers of an 8 MP working
        // image (24-32 MB) fit under it; full-resolution photos still get their own maps.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        // Keep freed heap memory for the next buffer instead of returning it at once.
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
        // One arena: a buffer freed by one worker thread is reused by the others.
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// The most memory this process has held (resident), where the platform says (Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    proc_kib("/proc/self/status", "VmHWM:")
}

/// Memory the system can give without swapping, where the platform says (Linux).
pub fn available_bytes() -> Option<u64> {
    proc_kib("/proc/meminfo", "MemAvailable:")
}

fn proc_kib(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
}
