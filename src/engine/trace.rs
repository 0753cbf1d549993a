//! Sub-stage timings for profiling, printed to stderr only when `BOARDDIFF_TRACE` is set.
//! Stage totals for users live in `pipeline::Timings`; this is for finding where they go.
use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BOARDDIFF_TRACE").is_some())
}

/// Prints the time from creation to drop under `name`.
pub struct Span {
    name: &'static str,
    start: Option<Instant>,
}

pub fn span(name: &'static str) -> Span {
    Span {
        name,
        start: enabled().then(Instant::now),
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            eprintln!(
                "trace {:<24} {:>8.1} ms",
                self.name,
                start.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}
