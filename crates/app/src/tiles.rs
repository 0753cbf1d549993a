//! Tiled display of photos far larger than a GPU texture. Each image keeps a CPU pyramid of
//! halved levels; a frame picks the level that matches the zoom and uploads only the
//! visible tiles, a few per frame, with the coarsest level drawn underneath as a fallback.
use crate::view_transform::ViewTransform;
use boarddiff_core::pyramid::resize_rgb;
use egui::{Color32, ColorImage, Context, Painter, Pos2, Rect, TextureHandle, TextureOptions};
use image::RgbImage;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Tile side in pixels; also the largest side of the coarsest level.
pub(crate) const TILE: u32 = 512;
/// Textures kept on the GPU before the least recently used are dropped (~256 MB).
const MAX_TILES: usize = 256;
/// CPU time per frame spent converting and uploading tiles.
const UPLOAD_BUDGET: Duration = Duration::from_millis(6);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// An image and its halved copies. Level 0 pixel (x, y) covers
/// `[x, x+1) * space_per_pixel` of its coordinate space (reference or suspect pixels).
pub(crate) struct Pyramid {
    pub(crate) id: u64,
    pub(crate) levels: Vec<Arc<RgbImage>>,
    pub(crate) space_per_pixel: f64,
}

impl Pyramid {
    pub(crate) fn build(base: Arc<RgbImage>, space_per_pixel: f64) -> Self {
        let mut levels = vec![base];
        loop {
            let last = levels.last().expect("level 0 exists");
            if last.width().max(last.height()) <= TILE {
                break;
            }
            let (w, h) = ((last.width() / 2).max(1), (last.height() / 2).max(1));
            let next = resize_rgb(last, w, h).0;
            levels.push(Arc::new(next));
        }
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            levels,
            space_per_pixel,
        }
    }

    pub(crate) fn size_in_space(&self) -> [f64; 2] {
        let b = &self.levels[0];
        [
            b.width() as f64 * self.space_per_pixel,
            b.height() as f64 * self.space_per_pixel,
        ]
    }

    /// Level 0 pixel at a position in this pyramid's space.
    pub(crate) fn pixel(&self, pos_in_space: [f64; 2]) -> Option<[u8; 3]> {
        let b = &self.levels[0];
        let x = (pos_in_space[0] / self.space_per_pixel).floor();
        let y = (pos_in_space[1] / self.space_per_pixel).floor();
        (x >= 0.0 && y >= 0.0 && x < b.width() as f64 && y < b.height() as f64)
            .then(|| b.get_pixel(x as u32, y as u32).0)
    }

    /// The level whose pixels are closest to (not smaller than) physical screen pixels.
    pub(crate) fn level_for(&self, screen_px_per_space: f64) -> usize {
        let per_level0 = screen_px_per_space * self.space_per_pixel;
        if per_level0 >= 1.0 {
            return 0;
        }
        ((1.0 / per_level0).log2().floor() as usize).min(self.levels.len() - 1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TileKey {
    image: u64,
    level: usize,
    tx: u32,
    ty: u32,
}

struct Tile {
    texture: TextureHandle,
    last_used: u64,
}

/// GPU textures of tiles, shared by every pane and image.
pub(crate) struct TileCache {
    tiles: HashMap<TileKey, Tile>,
    frame: u64,
    frame_start: Instant,
    upload_time: Duration,
    /// Visible tiles still waiting for upload after this frame (0 = the view is sharp).
    pub(crate) pending: usize,
    pub(crate) uploads_total: u64,
    tile: u32,
}

impl Default for TileCache {
    fn default() -> Self {
        Self {
            tiles: HashMap::new(),
            frame: 0,
            frame_start: Instant::now(),
            upload_time: Duration::ZERO,
            pending: 0,
            uploads_total: 0,
            tile: TILE,
        }
    }
}

impl TileCache {
    pub(crate) fn begin_frame(&mut self, max_texture_side: usize) {
        self.frame += 1;
        self.frame_start = Instant::now();
        self.upload_time = Duration::ZERO;
        self.pending = 0;
        self.tile = TILE.min(max_texture_side as u32);
        if self.tiles.len() > MAX_TILES {
            let mut ages: Vec<(u64, TileKey)> =
                self.tiles.iter().map(|(k, t)| (t.last_used, *k)).collect();
            ages.sort_unstable_by_key(|a| a.0);
            let excess = self.tiles.len() - MAX_TILES * 3 / 4;
            for (used, key) in ages.into_iter().take(excess) {
                if used + 1 < self.frame {
                    self.tiles.remove(&key);
                }
            }
        }
    }

    /// Paints the part of `pyramid` visible in `pane`, placed by `view` (in the pyramid's
    /// space), multiplied by `tint`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn paint(
        &mut self,
        ctx: &Context,
        painter: &Painter,
        pane: Rect,
        view: &ViewTransform,
        pyramid: &Pyramid,
        tint: Color32,
    ) {
        let painter = painter.with_clip_rect(pane);
        let coarsest = pyramid.levels.len() - 1;
        self.paint_level(ctx, &painter, pane, view, pyramid, coarsest, tint, true);
        let level = pyramid.level_for(view.scale * ctx.pixels_per_point() as f64);
        if level != coarsest {
            self.paint_level(ctx, &painter, pane, view, pyramid, level, tint, false);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn paint_level(
        &mut self,
        ctx: &Context,
        painter: &Painter,
        pane: Rect,
        view: &ViewTransform,
        pyramid: &Pyramid,
        level: usize,
        tint: Color32,
        must_upload: bool,
    ) {
        let img = &pyramid.levels[level];
        let space_per_level_px =
            pyramid.space_per_pixel * (pyramid.levels[0].width() as f64 / img.width() as f64);
        let [x0, y0, x1, y1] = view.visible_reference(pane);
        let t = self.tile as f64 * space_per_level_px;
        let tiles_x = img.width().div_ceil(self.tile);
        let tiles_y = img.height().div_ceil(self.tile);
        let tx0 = (x0 / t).floor().max(0.0) as u32;
        let ty0 = (y0 / t).floor().max(0.0) as u32;
        let tx1 = ((x1 / t).ceil().max(0.0) as u32).min(tiles_x);
        let ty1 = ((y1 / t).ceil().max(0.0) as u32).min(tiles_y);
        for ty in ty0..ty1 {
            for tx in tx0..tx1 {
                let key = TileKey {
                    image: pyramid.id,
                    level,
                    tx,
                    ty,
                };
                if !self.tiles.contains_key(&key) {
                    let over_budget = self.upload_time >= UPLOAD_BUDGET;
                    if over_budget && !must_upload {
                        self.pending += 1;
                        continue;
                    }
                    let start = Instant::now();
                    let texture = upload(ctx, img, tx, ty, self.tile, level);
                    self.upload_time += start.elapsed();
                    self.uploads_total += 1;
                    self.tiles.insert(
                        key,
                        Tile {
                            texture,
                            last_used: self.frame,
                        },
                    );
                }
                let tile = self.tiles.get_mut(&key).expect("inserted above");
                tile.last_used = self.frame;
                let px = tx * self.tile;
                let py = ty * self.tile;
                let w = self.tile.min(img.width() - px);
                let h = self.tile.min(img.height() - py);
                let rect = view.screen_rect(
                    pane,
                    [
                        px as f64 * space_per_level_px,
                        py as f64 * space_per_level_px,
                        w as f64 * space_per_level_px,
                        h as f64 * space_per_level_px,
                    ],
                );
                painter.image(
                    tile.texture.id(),
                    rect,
                    Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                    tint,
                );
            }
        }
        if self.pending > 0 {
            ctx.request_repaint();
        }
    }
}

fn upload(
    ctx: &Context,
    img: &RgbImage,
    tx: u32,
    ty: u32,
    tile: u32,
    level: usize,
) -> TextureHandle {
    let px = tx * tile;
    let py = ty * tile;
    let w = tile.min(img.width() - px) as usize;
    let h = tile.min(img.height() - py) as usize;
    let stride = img.width() as usize * 3;
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        let start = (py as usize + y) * stride + px as usize * 3;
        rgb.extend_from_slice(&img.as_raw()[start..start + 3 * w]);
    }
    let options = TextureOptions {
        // Level 0 is what an inspector zooms into: show crisp pixels, not a blur.
        magnification: if level == 0 {
            egui::TextureFilter::Nearest
        } else {
            egui::TextureFilter::Linear
        },
        minification: egui::TextureFilter::Linear,
        ..TextureOptions::LINEAR
    };
    ctx.load_texture(
        format!("tile-{level}-{tx}-{ty}"),
        ColorImage::from_rgb([w, h], &rgb),
        options,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyramid_levels_halve_down_to_one_tile() {
        let p = Pyramid::build(Arc::new(RgbImage::new(3000, 1000)), 1.0);
        let sizes: Vec<(u32, u32)> = p.levels.iter().map(|l| l.dimensions()).collect();
        assert_eq!(
            sizes,
            vec![(3000, 1000), (1500, 500), (750, 250), (375, 125)]
        );
        assert_eq!(p.level_for(1.0), 0);
        assert_eq!(p.level_for(2.0), 0);
        assert_eq!(p.level_for(0.5), 1);
        assert_eq!(p.level_for(0.3), 1);
        assert_eq!(p.level_for(0.01), 3);
        let heat = Pyramid::build(Arc::new(RgbImage::new(100, 50)), 4.0);
        assert_eq!(heat.size_in_space(), [400.0, 200.0]);
        assert_eq!(heat.level_for(0.25), 0);
        assert_eq!(heat.pixel([399.0, 199.0]), Some([0, 0, 0]));
        assert_eq!(heat.pixel([400.0, 0.0]), None);
    }
}
