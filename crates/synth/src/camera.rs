//! Turns a board-space image into a "photo": camera pose (rotation, scale, tilt), optional
//! lens distortion, lighting gradient, white balance, gamma, vignetting, sensor noise.
use boarddiff_core::geometry::Homography;
use boarddiff_core::rng::Rng;
use boarddiff_core::sample::bilinear_rgb;
use boarddiff_output::encode::encode_jpeg;
use image::RgbImage;
use nalgebra::Matrix3;
use rayon::prelude::*;

#[derive(Clone, Debug)]
pub struct Camera {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) photo_from_board: Homography,
    /// Radial distortion k1 on coordinates normalised by the half diagonal (0 = none).
    pub(crate) k1: f64,
    pub(crate) white_balance: [f64; 3],
    pub(crate) gamma: f64,
    pub(crate) exposure: f64,
    /// Multiplicative light gradient: direction (unit) and strength across the frame.
    pub(crate) gradient: ([f64; 2], f64),
    pub(crate) vignette: f64,
    pub(crate) noise_sigma: f64,
}

pub(crate) struct PoseSpec {
    pub(crate) rotation_deg: f64,
    pub(crate) scale: f64,
    pub(crate) tilt_deg: [f64; 2],
    pub(crate) shift_px: [f64; 2],
}

/// Pose that maps board centre to photo centre, rotated, scaled and tilted as a camera
/// turned about its own axes would (H = K R K^-1).
pub(crate) fn pose(board: (u32, u32), photo: (u32, u32), spec: &PoseSpec) -> Homography {
    let to_origin =
        Homography::translation(-(board.0 as f64 - 1.0) / 2.0, -(board.1 as f64 - 1.0) / 2.0);
    let sim = Homography::similarity(spec.scale, spec.rotation_deg.to_radians(), 0.0, 0.0);
    let f = 1.2 * photo.0.max(photo.1) as f64;
    let (ax, ay) = (spec.tilt_deg[0].to_radians(), spec.tilt_deg[1].to_radians());
    let rx = Matrix3::new(
        1.0,
        0.0,
        0.0,
        0.0,
        ax.cos(),
        -ax.sin(),
        0.0,
        ax.sin(),
        ax.cos(),
    );
    let ry = Matrix3::new(
        ay.cos(),
        0.0,
        ay.sin(),
        0.0,
        1.0,
        0.0,
        -ay.sin(),
        0.0,
        ay.cos(),
    );
    let k = Matrix3::new(f, 0.0, 0.0, 0.0, f, 0.0, 0.0, 0.0, 1.0);
    let k_inv = Matrix3::new(1.0 / f, 0.0, 0.0, 0.0, 1.0 / f, 0.0, 0.0, 0.0, 1.0);
    let tilt = Homography(k * ry * rx * k_inv);
    let to_photo = Homography::translation(
        (photo.0 as f64 - 1.0) / 2.0 + spec.shift_px[0],
        (photo.1 as f64 - 1.0) / 2.0 + spec.shift_px[1],
    );
    to_origin.then(&sim).then(&tilt).then(&to_photo)
}

impl Camera {
    pub(crate) fn random_lighting(mut self, rng: &mut Rng, strength: f64) -> Self {
        self.white_balance = [
            1.0 + rng.range(-0.12, 0.12) * strength,
            1.0,
            1.0 + rng.range(-0.12, 0.12) * strength,
        ];
        self.gamma = 1.0 + rng.range(-0.2, 0.2) * strength;
        self.exposure = 1.0 + rng.range(-0.2, 0.15) * strength;
        let a = rng.range(0.0, std::f64::consts::TAU);
        self.gradient = ([a.cos(), a.sin()], rng.range(0.1, 0.35) * strength);
        self.vignette = rng.range(0.05, 0.25) * strength;
        self
    }

    pub fn plain(width: u32, height: u32, photo_from_board: Homography) -> Self {
        Self {
            width,
            height,
            photo_from_board,
            k1: 0.0,
            white_balance: [1.0; 3],
            gamma: 1.0,
            exposure: 1.0,
            gradient: ([1.0, 0.0], 0.0),
            vignette: 0.0,
            noise_sigma: 2.0,
        }
    }

    /// Where a photo pixel looks on the board.
    pub(crate) fn board_from_photo(&self, p: [f64; 2]) -> [f64; 2] {
        let undistorted = self.undistort(p);
        self.photo_from_board
            .inverse()
            .expect("camera pose invertible")
            .apply(undistorted)
    }

    /// Where a board point appears in the photo (inverse of the above).
    pub(crate) fn photo_from_board_point(&self, b: [f64; 2]) -> [f64; 2] {
        let p = self.photo_from_board.apply(b);
        self.distort(p)
    }

    fn centre_scale(&self) -> ([f64; 2], f64) {
        let c = [
            (self.width as f64 - 1.0) / 2.0,
            (self.height as f64 - 1.0) / 2.0,
        ];
        (c, c[0].hypot(c[1]))
    }

    /// Photo position (distorted) -> ideal pinhole position.
    fn undistort(&self, p: [f64; 2]) -> [f64; 2] {
        if self.k1 == 0.0 {
            return p;
        }
        let (c, s) = self.centre_scale();
        let (x, y) = ((p[0] - c[0]) / s, (p[1] - c[1]) / s);
        let f = 1.0 + self.k1 * (x * x + y * y);
        [c[0] + x * f * s, c[1] + y * f * s]
    }

    /// Inverse of `undistort` by fixed-point iteration (k1 is small).
    fn distort(&self, p: [f64; 2]) -> [f64; 2] {
        if self.k1 == 0.0 {
            return p;
        }
        let (c, s) = self.centre_scale();
        let (ux, uy) = ((p[0] - c[0]) / s, (p[1] - c[1]) / s);
        let (mut x, mut y) = (ux, uy);
        for _ in 0..20 {
            let f = 1.0 + self.k1 * (x * x + y * y);
            x = ux / f;
            y = uy / f;
        }
        [c[0] + x * s, c[1] + y * s]
    }

    pub fn shoot(&self, board: &RgbImage, seed: u64) -> RgbImage {
        let (w, h) = (self.width, self.height);
        let board_from_photo = self
            .photo_from_board
            .inverse()
            .expect("camera pose invertible");
        let (c, s) = self.centre_scale();
        let mut out = RgbImage::new(w, h);
        out.par_chunks_mut(3 * w as usize)
            .enumerate()
            .for_each(|(y, row)| {
                let mut rng = Rng::new(seed ^ (y as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
                for (x, px) in row.chunks_exact_mut(3).enumerate() {
                    let p = self.undistort([x as f64, y as f64]);
                    let b = board_from_photo.apply(p);
                    let rgb = bilinear_rgb(board, b[0], b[1]).unwrap_or([50.0, 48.0, 47.0]);
                    let (nx, ny) = ((x as f64 - c[0]) / s, (y as f64 - c[1]) / s);
                    let light = self.exposure
                        * (1.0
                            + self.gradient.1
                                * (nx * self.gradient.0[0] + ny * self.gradient.0[1]))
                        * (1.0 - self.vignette * (nx * nx + ny * ny));
                    for ch in 0..3 {
                        let v = (rgb[ch] as f64 / 255.0).powf(self.gamma)
                            * light
                            * self.white_balance[ch];
                        let noisy =
                            v * 255.0 + rng.normal() * self.noise_sigma * (0.6 + 0.8 * v.sqrt());
                        px[ch] = noisy.round().clamp(0.0, 255.0) as u8;
                    }
                }
            });
        out
    }
}

/// Encodes and decodes as JPEG, to put real compression artefacts into an in-memory image.
pub(crate) fn jpeg_roundtrip(img: &RgbImage, quality: u8) -> RgbImage {
    let bytes = encode_jpeg(img, quality);
    image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .expect("our own JPEG decodes")
        .into_rgb8()
}
