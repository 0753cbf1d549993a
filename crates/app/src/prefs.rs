//! What persists between runs through eframe storage: recent files and view preferences.
//! Runtime handles (textures, channels) never go in here.
use boarddiff_core::settings::DetectSettings;
use boarddiff_output::export_options::ExportOptions;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub(crate) const STORAGE_KEY: &str = "boarddiff-prefs";
const MAX_RECENT: usize = 10;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Recent {
    Pair {
        reference: PathBuf,
        suspect: PathBuf,
    },
    Session(PathBuf),
}

impl Recent {
    pub(crate) fn label(&self) -> String {
        let name = |p: &PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string())
        };
        match self {
            Recent::Pair { reference, suspect } => {
                format!("{} vs {}", name(reference), name(suspect))
            }
            Recent::Session(p) => format!("session {}", name(p)),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewMode {
    #[default]
    SideBySide,
    Overlay,
    Blink,
    Swipe,
    Heatmap,
}

impl ViewMode {
    pub(crate) const ALL: [ViewMode; 5] = [
        ViewMode::SideBySide,
        ViewMode::Overlay,
        ViewMode::Blink,
        ViewMode::Swipe,
        ViewMode::Heatmap,
    ];

    pub(crate) fn label(self) -> &'static str {
        match self {
            ViewMode::SideBySide => "Side by side",
            ViewMode::Overlay => "Overlay",
            ViewMode::Blink => "Blink",
            ViewMode::Swipe => "Swipe",
            ViewMode::Heatmap => "Heatmap",
        }
    }

    /// The keyboard shortcut shown in tooltips.
    pub(crate) fn key(self) -> egui::Key {
        match self {
            ViewMode::SideBySide => egui::Key::S,
            ViewMode::Overlay => egui::Key::O,
            ViewMode::Blink => egui::Key::B,
            ViewMode::Swipe => egui::Key::W,
            ViewMode::Heatmap => egui::Key::H,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase().replace(['-', '_', ' '], "");
        Self::ALL
            .into_iter()
            .find(|m| m.label().to_ascii_lowercase().replace(' ', "") == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewPrefs {
    pub mode: ViewMode,
    pub(crate) overlay_alpha: f32,
    pub(crate) blink_auto: bool,
    pub(crate) blink_hz: f32,
    pub(crate) heat_opacity: f32,
    pub(crate) show_boxes: bool,
    pub(crate) loupe: bool,
    /// Side by side shows the raw suspect (its own geometry) instead of the warped one.
    pub(crate) raw_suspect: bool,
}

impl Default for ViewPrefs {
    fn default() -> Self {
        Self {
            mode: ViewMode::SideBySide,
            overlay_alpha: 0.5,
            blink_auto: false,
            blink_hz: 2.0,
            heat_opacity: 0.75,
            show_boxes: true,
            loupe: false,
            raw_suspect: false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub(crate) recent: Vec<Recent>,
    pub view: ViewPrefs,
    pub(crate) detect: DetectSettings,
    pub(crate) export: ExportOptions,
    pub(crate) last_export_dir: Option<PathBuf>,
}

impl Prefs {
    pub(crate) fn remember(&mut self, entry: Recent) {
        // Absolute, so the list works whatever directory the app starts in next time.
        let abs = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
        let entry = match entry {
            Recent::Pair { reference, suspect } => Recent::Pair {
                reference: abs(reference),
                suspect: abs(suspect),
            },
            Recent::Session(p) => Recent::Session(abs(p)),
        };
        self.recent.retain(|r| r != &entry);
        self.recent.insert(0, entry);
        self.recent.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_absolute_unique_and_bounded() {
        let mut p = Prefs::default();
        for i in 0..15 {
            p.remember(Recent::Session(PathBuf::from(format!("s{i}.boarddiff"))));
        }
        p.remember(Recent::Session(PathBuf::from("s3.boarddiff")));
        assert_eq!(p.recent.len(), MAX_RECENT);
        match &p.recent[0] {
            Recent::Session(path) => assert!(path.is_absolute() && path.ends_with("s3.boarddiff")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            p.recent
                .iter()
                .filter(|r| r.label().contains("s3."))
                .count(),
            1
        );
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Prefs>(&text).unwrap(), p);
    }
}
