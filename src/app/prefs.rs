//! What persists between runs through eframe storage: recent files and view preferences.
//! Runtime handles (textures, channels) never go in here.
use crate::app::actions::ViewMode;
use crate::engine::regions::DetectSettings;
use crate::engine::review_export::ExportOptions;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub const STORAGE_KEY: &str = "boarddiff-prefs";
const MAX_RECENT: usize = 10;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Recent {
    Pair {
        reference: PathBuf,
        suspect: PathBuf,
    },
    Session(PathBuf),
}

impl Recent {
    pub fn label(&self) -> String {
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewPrefs {
    pub mode: ViewMode,
    pub overlay_alpha: f32,
    pub blink_auto: bool,
    pub blink_hz: f32,
    pub heat_opacity: f32,
    pub show_boxes: bool,
    pub loupe: bool,
    /// Side by side shows the raw suspect (its own geometry) instead of the warped one.
    pub raw_suspect: bool,
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
    pub recent: Vec<Recent>,
    pub view: ViewPrefs,
    pub detect: DetectSettings,
    pub export: ExportOptions,
    pub last_export_dir: Option<PathBuf>,
}

impl Prefs {
    pub fn remember(&mut self, entry: Recent) {
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
