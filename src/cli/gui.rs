//! `boarddiff gui`: the review app.
use super::{samples_dir, GuiArgs};
use anyhow::{Context, Result};
use boarddiff_app::{AppConfig, Launch};
use boarddiff_output::profile::GoldenProfile;

/// Opens the review app; blocks until its window closes.
pub fn gui(args: &GuiArgs) -> Result<u8> {
    let launch = match (&args.reference, &args.suspect, &args.session) {
        _ if args.quiz.is_some() => Launch::Quiz(args.quiz.clone().unwrap_or_default()),
        (Some(r), Some(s), _) => Launch::Pair {
            reference: r.clone(),
            suspect: s.clone(),
        },
        (None, Some(s), _) => match &args.profile {
            // Loaded here, so a damaged profile is refused before a window opens.
            Some(p) => Launch::Profile {
                profile: Box::new(GoldenProfile::load(p)?),
                suspect: s.clone(),
            },
            None => anyhow::bail!("--suspect needs --reference or --profile"),
        },
        (Some(_), None, _) => anyhow::bail!("--reference needs --suspect"),
        (_, _, Some(session)) => Launch::Session(session.clone()),
        _ => {
            let dir = samples_dir()?;
            Launch::Pair {
                reference: dir.join("reference.jpg"),
                suspect: dir.join("suspect.jpg"),
            }
        }
    };
    let mode = args.mode.map(Into::into);
    let (w, h) = args
        .window
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse::<f32>().ok()?, h.trim().parse::<f32>().ok()?)))
        .filter(|(w, h)| *w >= 400.0 && *h >= 300.0)
        .with_context(|| format!("--window must look like 1600x1000, got {:?}", args.window))?;
    let config = AppConfig {
        launch,
        screenshot: args.screenshot.clone(),
        mode,
        select: args.select,
        raw_suspect: args.raw_suspect,
        loupe: args.loupe,
        autosave_dir: None,
        fresh_prefs: args.screenshot.is_some(),
    };
    boarddiff_app::run(config, [w, h]).map_err(|e| {
        anyhow::anyhow!(
            "could not open the window: {e}. The app needs a display (X11 or Wayland) and a \
             Vulkan or OpenGL driver; headless, use `boarddiff compare`."
        )
    })?;
    Ok(0)
}
