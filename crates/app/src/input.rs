//! Keyboard shortcuts as actions. Nothing here changes state.
use crate::actions::{Action, Actions, ReviewAction, Tool, ViewAction};
use crate::prefs::{ViewMode, ViewPrefs};
use crate::view_transform::ViewTransform;
use crate::viewer_ui::ViewerState;
use boarddiff_core::report::Verdict;
use egui::Key;

pub(crate) fn keyboard_actions(
    ctx: &egui::Context,
    view: &ViewTransform,
    prefs: &ViewPrefs,
    viewer: &ViewerState,
) -> Vec<Action> {
    let mut actions = Actions::default();
    if ctx.input(|i| i.key_pressed(Key::F1)) {
        actions.push(ViewAction::ToggleHelp);
    }
    if ctx.egui_wants_keyboard_input() {
        return actions.into_iter().collect();
    }
    ctx.input(|i| {
        let pan = 120.0;
        let mut v = *view;
        let mut moved = false;
        for (key, d) in [
            (Key::ArrowLeft, egui::vec2(pan, 0.0)),
            (Key::ArrowRight, egui::vec2(-pan, 0.0)),
            (Key::ArrowUp, egui::vec2(0.0, pan)),
            (Key::ArrowDown, egui::vec2(0.0, -pan)),
        ] {
            if i.key_pressed(key) {
                v.pan(d);
                moved = true;
            }
        }
        if moved {
            actions.push(ViewAction::SetView(v));
        }
        let simple: [(Key, Action); 5] = [
            (Key::F, ViewAction::Fit.into()),
            (Key::Num0, ViewAction::ActualSize.into()),
            (Key::N, ReviewAction::Step(1).into()),
            (Key::P, ReviewAction::Step(-1).into()),
            (Key::Space, ViewAction::FlipBlink.into()),
        ];
        for (key, action) in simple {
            if i.key_pressed(key) {
                actions.push(action);
            }
        }
        for m in ViewMode::ALL {
            if i.key_pressed(m.key()) && !i.modifiers.any() {
                actions.push(ViewAction::SetMode(m));
            }
        }
        if i.key_pressed(Key::L) {
            let mut p = prefs.clone();
            p.loupe = !p.loupe;
            actions.push(ViewAction::SetViewPrefs(p));
        }
        if i.key_pressed(Key::M) {
            actions.push(ViewAction::SetTool(match viewer.tool {
                Tool::Pan => Tool::Mask,
                Tool::Mask => Tool::Pan,
            }));
        }
        if let Some(id) = viewer.selected {
            for (n, key) in [Key::Num1, Key::Num2, Key::Num3, Key::Num4]
                .into_iter()
                .enumerate()
            {
                if i.key_pressed(key) {
                    actions.push(ReviewAction::SetVerdict(id, Verdict::ALL[n]));
                }
            }
        }
    });
    actions.into_iter().collect()
}

/// Every key [`keyboard_actions`] answers to, as the Help window lists it. Kept beside
/// it: a key added there is added here.
pub(crate) fn key_help() -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = vec![
        ("F1".into(), "this help".into()),
        ("Arrow keys".into(), "pan".into()),
        ("Mouse wheel, drag".into(), "zoom at the cursor, pan".into()),
        ("F".into(), "fit the board to the window".into()),
        ("0".into(), "actual size (1:1)".into()),
        (
            "N / P".into(),
            "next / previous region in the list's order".into(),
        ),
        (
            "Space".into(),
            "flip reference and suspect (blink view)".into(),
        ),
        ("L".into(), "loupe on / off".into()),
        (
            "M".into(),
            "mask tool: drag a rectangle the detector ignores".into(),
        ),
    ];
    for m in ViewMode::ALL {
        keys.push((format!("{:?}", m.key()), format!("{} view", m.label())));
    }
    for (n, v) in Verdict::ALL.iter().enumerate() {
        keys.push((
            format!("{}", n + 1),
            format!("mark the selected region {}", v.label()),
        ));
    }
    keys
}
