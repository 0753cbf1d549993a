//! Sub-stage timings for profiling, printed to stderr only when `BOARDDIFF_TRACE` is set.
//! Stage totals for users live in `progress::Timings`; this is for finding where they go.
use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BOARDDIFF_TRACE").is_some())
}

/// Prints the time from creation to drop under `name`.
pub struct Span {
    name: &'static str,
    start: Option<(Instant, f64)>,
}

pub fn span(name: &'static str) -> Span {
    Span {
        name,
        start: enabled().then(|| (Instant::now(), process_cpu_seconds())),
    }
}

/// CPU time of all threads: against wall time it shows how well a stage uses the cores.
/// NaN where the platform has no per-process CPU clock (the trace then prints "cpu xNaN").
#[cfg(unix)]
fn process_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer for the duration of the call.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } == 0;
    if ok {
        ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
    } else {
        f64::NAN
    }
}

#[cfg(not(unix))]
fn process_cpu_seconds() -> f64 {
    f64::NAN
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some((start, cpu_start)) = self.start {
            let wall = start.elapsed().as_secs_f64();
            let cpu = process_cpu_seconds() - cpu_start;
            eprintln!(
                "trace {:<24} {:>8.1} ms  cpu x{:.2}",
                self.name,
                wall * 1e3,
                cpu / wall.max(1e-9)
            );
        }
    }
}
