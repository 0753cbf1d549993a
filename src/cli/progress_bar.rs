//! The progress bar on stderr: drawn only on a terminal, and never with --quiet.
use boarddiff_core::progress::{Progress, Stage};
use std::io::IsTerminal;

pub(crate) struct Bar(Option<indicatif::ProgressBar>);

impl Progress for Bar {
    fn update(&self, stage: Stage, fraction: f32) {
        if let Some(bar) = &self.0 {
            bar.set_message(stage.label());
            bar.set_position((stage.overall(fraction) * 100.0) as u64);
        }
    }
}

impl Bar {
    pub(crate) fn new(quiet: bool) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::new(100);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {percent:>3}% {msg}")
                .expect("static template"),
        );
        Bar(Some(bar))
    }

    pub(crate) fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
