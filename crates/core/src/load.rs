//! Decoding photos from disk: format sniffing, limits, EXIF orientation and checks that turn
//! every kind of bad file into a clear [`EngineError`] instead of a panic or a grey image.
use crate::error::{EngineError, Result};
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Largest image we accept. 200 MP photos must load; anything far above is a bomb.
pub(crate) const MAX_MEGAPIXELS: u32 = 250;
/// Largest session, mask or truth file read: a session of 100 000 regions is ~20 MB.
pub const MAX_TEXT_FILE_BYTES: u64 = 64 << 20;
/// Smaller images carry too little detail to align or inspect.
pub(crate) const MIN_SIDE: u32 = 64;

/// Largest image file read: a 250 MP 16-bit TIFF without compression is 1.5 GB.
pub const MAX_IMAGE_FILE_BYTES: u64 = 2 << 30;

/// A decoded photo, upright, 8-bit RGB, with the hash of the very bytes it was decoded
/// from (hashing the file again later could hash a file that changed in between).
pub struct LoadedImage {
    pub rgb: RgbImage,
    pub sha256: String,
    /// The photo has no colour: a greyscale file, or RGB with equal channels.
    pub grey: bool,
}

/// Opens a file the user named, refusing anything but a regular file (a device such as
/// /dev/zero, or a FIFO, would be read forever or block); returns it and its size.
pub fn open_regular(path: &Path) -> Result<(std::fs::File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO for reading waits for a writer; non-blocking, it opens at once and
    // is then refused below. Regular files ignore the flag.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(|e| EngineError::io(path, e))?;
    let meta = file.metadata().map_err(|e| EngineError::io(path, e))?;
    if !meta.is_file() {
        return Err(EngineError::NotAFile {
            path: path.to_owned(),
        });
    }
    Ok((file, meta.len()))
}

/// The text of a small file the user named (a session, a mask, a truth file): a regular
/// file of at most `max_bytes`, read no further than that.
pub fn read_text(path: &Path, max_bytes: u64) -> Result<String> {
    let (file, len) = open_regular(path)?;
    if len > max_bytes {
        return Err(EngineError::FileTooLarge {
            path: path.to_owned(),
            bytes: len,
            limit: max_bytes,
        });
    }
    let mut text = String::new();
    file.take(max_bytes + 1)
        .read_to_string(&mut text)
        .map_err(|e| EngineError::io(path, e))?;
    if text.len() as u64 > max_bytes {
        return Err(EngineError::FileTooLarge {
            path: path.to_owned(),
            bytes: text.len() as u64,
            limit: max_bytes,
        });
    }
    Ok(text)
}

pub fn load_rgb(path: &Path) -> Result<LoadedImage> {
    let (file, file_bytes) = open_regular(path)?;
    if file_bytes == 0 {
        return Err(EngineError::Empty {
            path: path.to_owned(),
        });
    }
    if file_bytes > MAX_IMAGE_FILE_BYTES {
        return Err(EngineError::FileTooLarge {
            path: path.to_owned(),
            bytes: file_bytes,
            limit: MAX_IMAGE_FILE_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(file_bytes as usize);
    file.take(MAX_IMAGE_FILE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| EngineError::io(path, e))?;
    let sha256 = {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(&bytes))
    };
    let mut reader = std::io::Cursor::new(&bytes[..]);
    let format = sniff_format(&mut reader).ok_or_else(|| EngineError::UnsupportedFormat {
        path: path.to_owned(),
    })?;
    let (rgb, grey_file) = if format == image::ImageFormat::Jpeg {
        check_jpeg_complete(&mut reader, path)?;
        decode_jpeg_strict(&bytes, path)?
    } else {
        decode_other(&bytes, format, path)?
    };
    let grey = grey_file || channels_equal(&rgb);
    Ok(LoadedImage { rgb, sha256, grey })
}

/// JPEG through zune-jpeg in strict mode: the image crate runs it lenient, and a lenient
/// decoder paints corrupt entropy data grey, which the comparison then reports as one
/// board-sized change that hides every real one.
fn decode_jpeg_strict(bytes: &[u8], path: &Path) -> Result<(RgbImage, bool)> {
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    let corrupt = |e: zune_jpeg::errors::DecodeErrors| EngineError::Corrupt {
        path: path.to_owned(),
        detail: e.to_string(),
    };
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .set_max_width(100_000)
        .set_max_height(100_000);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    decoder.decode_headers().map_err(corrupt)?;
    let (width, height) = decoder
        .dimensions()
        .map(|(w, h)| (w as u32, h as u32))
        .ok_or_else(|| EngineError::Corrupt {
            path: path.to_owned(),
            detail: "JPEG header gives no size".into(),
        })?;
    check_dimensions(path, width, height)?;
    let grey = matches!(
        decoder.input_colorspace(),
        Some(ColorSpace::Luma | ColorSpace::LumaA)
    );
    let orientation = decoder
        .exif()
        .and_then(|exif| image::metadata::Orientation::from_exif_chunk(exif))
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let (whole, pixels) = rayon::join(
        || crate::jpeg_check::check_entropy_data(bytes),
        || decoder.decode(),
    );
    whole.map_err(|detail| EngineError::Corrupt {
        path: path.to_owned(),
        detail,
    })?;
    let pixels = pixels.map_err(corrupt)?;
    let rgb = RgbImage::from_raw(width, height, pixels).ok_or_else(|| EngineError::Corrupt {
        path: path.to_owned(),
        detail: "decoded JPEG data does not match its header's size".into(),
    })?;
    let mut dynamic = DynamicImage::ImageRgb8(rgb);
    dynamic.apply_orientation(orientation);
    Ok((dynamic.into_rgb8(), grey))
}

fn decode_other(bytes: &[u8], format: image::ImageFormat, path: &Path) -> Result<(RgbImage, bool)> {
    let corrupt = |e: image::ImageError| classify_decode_error(path, e);
    let reader = |limits: image::Limits| {
        let mut r = ImageReader::with_format(std::io::Cursor::new(bytes), format);
        r.limits(limits);
        r
    };
    // Headers first, under a small allocation cap: metadata (a PNG's compressed colour
    // profile, say) may not inflate beyond it, whatever the image's size. Then the pixels,
    // under a cap from the size the header gave.
    let (width, height) = reader(limits(HEADER_ALLOC_BYTES))
        .into_dimensions()
        .map_err(corrupt)?;
    if width == 0 || height == 0 {
        return Err(zero_size(bytes, path));
    }
    check_dimensions(path, width, height)?;
    let pixel_bytes = u64::from(width) * u64::from(height) * 8;
    let mut decoder = reader(limits(pixel_bytes + HEADER_ALLOC_BYTES))
        .into_decoder()
        .map_err(corrupt)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut dynamic = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    dynamic.apply_orientation(orientation);
    let grey = !dynamic.color().has_color();
    let rgb = match dynamic {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    };
    Ok((rgb, grey))
}

/// The warning a report must carry when one photo is greyscale and the other in colour.
/// The photos are compared as they are: turning the colour one grey was measured to give
/// far more false regions (the part/board segmentation needs colour), and a change of
/// colour alone cannot be seen against a grey photo either way.
pub fn colour_mismatch(reference_grey: bool, suspect_grey: bool) -> Option<String> {
    let role = match (reference_grey, suspect_grey) {
        (false, true) => "suspect",
        (true, false) => "reference",
        _ => return None,
    };
    Some(format!(
        "The {role} photo is greyscale and the other in colour: expect false regions where \
         colours differ, and a change of colour alone (a recoloured part, another marking \
         ink) cannot be found. Photograph both boards in colour."
    ))
}

/// A decoder that reports a zero side: image-webp wraps a lossless WebP's 16384 px side
/// to 0, so the size is read from the header itself to say what is wrong.
fn zero_size(bytes: &[u8], path: &Path) -> EngineError {
    let lossless = bytes.get(12..16) == Some(b"VP8L") && bytes.get(20) == Some(&0x2F);
    if let (true, Some(h)) = (lossless, bytes.get(21..25)) {
        let header = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let (width, height) = ((header & 0x3FFF) + 1, ((header >> 14) & 0x3FFF) + 1);
        return match check_dimensions(path, width, height) {
            Err(e) => e,
            Ok(()) => EngineError::Corrupt {
                path: path.to_owned(),
                detail: format!(
                    "a lossless WebP of {width}x{height}: the decoder cannot read a side of 16384 px"
                ),
            },
        };
    }
    EngineError::Corrupt {
        path: path.to_owned(),
        detail: "the header gives a size of 0 pixels".into(),
    }
}

/// Equal channels on a sample of pixels: a greyscale photo saved as RGB.
fn channels_equal(rgb: &RgbImage) -> bool {
    rgb.as_raw()
        .chunks_exact(3)
        .step_by(97)
        .all(|p| p[0].abs_diff(p[1]) <= 2 && p[1].abs_diff(p[2]) <= 2)
}

/// Memory a decoder may use besides the pixels: headers, colour profiles, text chunks.
const HEADER_ALLOC_BYTES: u64 = 64 << 20;

/// The decoders' limits: our pixel limit on each side, and `max_alloc` bytes in all.
fn limits(max_alloc: u64) -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(100_000);
    limits.max_image_height = Some(100_000);
    limits.max_alloc = Some(max_alloc);
    limits
}

/// A size a photo may have, for sizes stated in files rather than decoded.
pub fn check_image_size(width: u32, height: u32) -> std::result::Result<(), String> {
    check_dimensions(Path::new(""), width, height).map_err(|_| {
        format!(
            "a size of {width}x{height} is outside {MIN_SIDE}x{MIN_SIDE} to {MAX_MEGAPIXELS} megapixels"
        )
    })
}

fn check_dimensions(path: &Path, width: u32, height: u32) -> Result<()> {
    if u64::from(width) * u64::from(height) > u64::from(MAX_MEGAPIXELS) * 1_000_000 {
        return Err(EngineError::TooLarge {
            path: path.to_owned(),
            width,
            height,
            limit_mp: MAX_MEGAPIXELS,
        });
    }
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(EngineError::TooSmall {
            path: path.to_owned(),
            width,
            height,
            min: MIN_SIDE,
        });
    }
    Ok(())
}

fn classify_decode_error(path: &Path, error: image::ImageError) -> EngineError {
    match error {
        image::ImageError::Limits(e) => EngineError::Corrupt {
            path: path.to_owned(),
            detail: format!(
                "decoding it would exceed the limits for a photo ({e}; at most \
                 {MAX_MEGAPIXELS} megapixels, and metadata no larger than the pixels): a \
                 decompression bomb or a damaged header"
            ),
        },
        image::ImageError::Unsupported(e) => EngineError::Corrupt {
            path: path.to_owned(),
            detail: format!("unsupported variant: {e}"),
        },
        other => EngineError::Corrupt {
            path: path.to_owned(),
            detail: other.to_string(),
        },
    }
}

fn sniff_format<R: Read + Seek>(reader: &mut R) -> Option<image::ImageFormat> {
    let mut head = [0u8; 16];
    let n = reader.read(&mut head).ok()?;
    let format = image::guess_format(&head[..n]).ok()?;
    use image::ImageFormat::*;
    matches!(format, Jpeg | Png | Tiff | WebP | Bmp).then_some(format)
}

/// zune-jpeg fills a truncated scan with grey instead of failing; a silently half-grey
/// board would be diffed as a giant "removed" region, so insist on the end-of-image marker.
fn check_jpeg_complete<R: Read + Seek>(reader: &mut R, path: &Path) -> Result<()> {
    let io = |e| EngineError::Io {
        path: path.to_owned(),
        source: e,
    };
    let len = reader.seek(SeekFrom::End(0)).map_err(io)?;
    let tail_len = len.min(4096);
    reader.seek(SeekFrom::End(-(tail_len as i64))).map_err(io)?;
    let mut tail = vec![0u8; tail_len as usize];
    reader.read_exact(&mut tail).map_err(io)?;
    if tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
        Ok(())
    } else {
        Err(EngineError::Corrupt {
            path: path.to_owned(),
            detail: "JPEG data ends before the end-of-image marker (file truncated?)".into(),
        })
    }
}

/// Decodes both photos in parallel: each decoder is single-threaded.
pub fn load_pair(reference: &Path, suspect: &Path) -> Result<(LoadedImage, LoadedImage)> {
    let (r, s) = rayon::join(|| load_rgb(reference), || load_rgb(suspect));
    Ok((r?, s?))
}

/// SHA-256 of a file, hex encoded, for reports and sessions.
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::Digest;
    let (mut file, _) = open_regular(path)?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| EngineError::io(path, e))?;
    Ok(format!("{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("boarddiff-load-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn png_bytes(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn loads_png_and_reports_errors() {
        let d = temp_dir("errors");
        let ok = write(&d, "ok.png", &png_bytes(80, 70));
        let img = load_rgb(&ok).unwrap();
        assert_eq!(img.rgb.dimensions(), (80, 70));

        let missing = d.join("nope.png");
        assert!(matches!(
            load_rgb(&missing),
            Err(EngineError::NotFound { .. })
        ));
        let empty = write(&d, "empty.jpg", b"");
        assert!(matches!(load_rgb(&empty), Err(EngineError::Empty { .. })));
        let text = write(&d, "text.jpg", b"hello, this is not an image at all");
        assert!(matches!(
            load_rgb(&text),
            Err(EngineError::UnsupportedFormat { .. })
        ));
        let small = write(&d, "small.png", &png_bytes(32, 100));
        assert!(matches!(
            load_rgb(&small),
            Err(EngineError::TooSmall { .. })
        ));
        let full = png_bytes(200, 200);
        let trunc = write(&d, "trunc.png", &full[..full.len() / 2]);
        assert!(matches!(load_rgb(&trunc), Err(EngineError::Corrupt { .. })));
    }

    #[test]
    fn refuses_decompression_bomb_header() {
        let d = temp_dir("bomb");
        // A valid PNG header claiming 60000 x 60000 pixels, with no data behind it.
        let mut bytes = png_bytes(64, 64);
        bytes[16..20].copy_from_slice(&60000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&60000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let bomb = write(&d, "bomb.png", &bytes);
        let err = load_rgb(&bomb).err().unwrap();
        assert!(matches!(err, EngineError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn truncated_jpeg_is_refused() {
        let d = temp_dir("jpeg");
        let img = RgbImage::from_fn(128, 128, |x, y| image::Rgb([x as u8, y as u8, 99]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        let bytes = out.into_inner();
        let good = write(&d, "good.jpg", &bytes);
        assert!(load_rgb(&good).is_ok());
        let bad = write(&d, "bad.jpg", &bytes[..bytes.len() * 2 / 3]);
        let err = load_rgb(&bad).err().unwrap();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn loads_sixteen_bit_tiff_and_webp_and_bmp() {
        let d = temp_dir("formats");
        let wide = image::ImageBuffer::<image::Rgb<u16>, Vec<u16>>::from_fn(96, 80, |x, y| {
            image::Rgb([(x * 600) as u16, (y * 700) as u16, 65535])
        });
        let tiff = d.join("deep.tiff");
        image::DynamicImage::ImageRgb16(wide).save(&tiff).unwrap();
        let img = load_rgb(&tiff).unwrap();
        assert_eq!(img.rgb.dimensions(), (96, 80));
        assert_eq!(img.rgb.get_pixel(0, 0)[2], 255);
        let rgb = RgbImage::from_fn(100, 90, |x, y| image::Rgb([x as u8, y as u8, 1]));
        for ext in ["webp", "bmp"] {
            let p = d.join(format!("img.{ext}"));
            rgb.save(&p).unwrap();
            assert_eq!(load_rgb(&p).unwrap().rgb.dimensions(), (100, 90), "{ext}");
        }
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
