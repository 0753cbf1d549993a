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
