//! PNG writing spread over the cores. A PNG's pixels are one zlib stream, which the usual
//! encoders fill on one thread (35-40 ms for the 4.4 MP overview, while the other core
//! idles). Here bands of rows are Paeth-filtered and Huffman-coded in parallel, each band
//! a deflate block with a table from its own histogram; a band that is not the last ends
//! with an empty stored block, as zlib's sync flush does, so the bands' bytes simply
//! follow each other. Literals only, no LZ77: photo residuals hardly repeat, and the files
//! come out as small as the `png` crate's fast setting.
use crate::engine::simd::wide_fn;
use image::RgbImage;
use rayon::prelude::*;

/// Rows per band: big enough that a band's table costs nothing (~150 bytes), small enough
/// that both cores stay busy to the end.
const BAND_ROWS: usize = 128;

/// Encodes an 8-bit RGB image as PNG.
pub fn encode_rgb(img: &RgbImage) -> Vec<u8> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    let row_bytes = 3 * w;
    let bands: Vec<(Vec<u8>, u32, usize)> = (0..h.div_ceil(BAND_ROWS).max(1))
        .into_par_iter()
        .map(|band| {
            let rows = band * BAND_ROWS..((band + 1) * BAND_ROWS).min(h);
            let mut filtered = vec![0u8; rows.len() * (row_bytes + 1)];
            for (y, out) in rows.clone().zip(filtered.chunks_exact_mut(row_bytes + 1)) {
                let line = &raw[y * row_bytes..(y + 1) * row_bytes];
                let above = (y > 0).then(|| &raw[(y - 1) * row_bytes..y * row_bytes]);
                out[0] = 4; // Paeth
                paeth_row(line, above, &mut out[1..]);
            }
            let last = rows.end == h;
            (
                deflate_block(&filtered, last),
                adler32(&filtered),
                filtered.len(),
            )
        })
        .collect();
    let mut checksum = 1u32;
    let mut zlib = vec![0x78, 0x01];
    for (bytes, adler, len) in &bands {
        zlib.extend_from_slice(bytes);
        checksum = adler32_combine(checksum, *adler, *len);
    }
    zlib.extend_from_slice(&checksum.to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&(w as u32).to_be_bytes());
    header.extend_from_slice(&(h as u32).to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, per-row filters, no interlace
    chunk(&mut png, b"IHDR", &header);
    // A chunk holds at most 2^31 - 1 bytes; a full 200 MP photo can come near that.
    for piece in zlib.chunks(1 << 30) {
        chunk(&mut png, b"IDAT", piece);
    }
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.finalize().to_be_bytes());
}

wide_fn! {
    /// Paeth filter of one RGB row. Encoding predicts from the unfiltered neighbours, so
    /// there is no dependency between pixels and the loop vectorises.
    fn paeth_row(line: &[u8], above: Option<&[u8]>, out: &mut [u8]) {
        let zeros = vec![0u8; line.len()];
        let up = above.unwrap_or(&zeros);
        out[..3].iter_mut().zip(line).zip(up).for_each(|((o, x), b)| *o = x.wrapping_sub(*b));
        let n = line.len() - 3;
        let (x, a, b, c) = (&line[3..], &line[..n], &up[3..], &up[..n]);
        for i in 0..n {
            let (ai, bi, ci) = (i16::from(a[i]), i16::from(b[i]), i16::from(c[i]));
            let pa = (bi - ci).abs();
            let pb = (ai - ci).abs();
            let pc = (ai + bi - 2 * ci).abs();
            let predicted = if pa <= pb && pa <= pc {
                a[i]
            } else if pb <= pc {
                b[i]
            } else {
                c[i]
            };
            out[3 + i] = x[i].wrapping_sub(predicted);
        }
    }
}

/// Little-endian bit writer, as deflate packs bits.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, len: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += len;
        if self.n >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.n -= 32;
        }
    }

    fn align(&mut self) {
        while self.n > 0 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n = self.n.saturating_sub(8);
        }
        self.acc = 0;
    }
}

/// One dynamic-Huffman block of literals; ends on a byte boundary (with an empty stored
/// block when more blocks follow).
fn deflate_block(data: &[u8], last: bool) -> Vec<u8> {
    // Four partial histograms: runs of equal bytes would otherwise wait on each other's
    // increments.
    let mut partial = [[0u32; 256]; 4];
    let mut quads = data.chunks_exact(4);
    for q in &mut quads {
        for (h, v) in partial.iter_mut().zip(q) {
            h[*v as usize] += 1;
        }
    }
    for v in quads.remainder() {
        partial[0][*v as usize] += 1;
    }
    let mut freq = [0u32; 257];
    for (s, f) in freq[..256].iter_mut().enumerate() {
        *f = partial.iter().map(|h| h[s]).sum();
    }
    freq[256] = 1; // end of block
    let lit_lengths = limited_lengths(&freq, 15);
    let lit_codes = canonical_codes(&lit_lengths);
    // One distance code of one bit: none is used, but decoders want a distance tree.
    let mut all_lengths: Vec<u8> = lit_lengths.clone();
    all_lengths.push(1);
    let mut cl_freq = [0u32; 19];
    for l in &all_lengths {
        cl_freq[*l as usize] += 1;
    }
    let cl_lengths = limited_lengths(&cl_freq, 7);
    let cl_codes = canonical_codes(&cl_lengths);
    const CL_ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let hclen = CL_ORDER
        .iter()
        .rposition(|&s| cl_lengths[s] > 0)
        .map_or(4, |p| (p + 1).max(4));

    let mut bits = Bits {
        out: Vec::with_capacity(data.len() / 2 + 512),
        acc: 0,
        n: 0,
    };
    bits.put(u32::from(last), 1);
    bits.put(2, 2); // dynamic Huffman
    bits.put(0, 5); // HLIT: 257 literal/length codes (257 + 0)
    bits.put(0, 5); // HDIST: 1 distance code (1 + 0)
    bits.put((hclen - 4) as u32, 4);
    for &s in &CL_ORDER[..hclen] {
        bits.put(u32::from(cl_lengths[s]), 3);
    }
    for l in &all_lengths {
        let s = *l as usize;
        bits.put(cl_codes[s], u32::from(cl_lengths[s]));
    }
    let as_table = |v: &[u32]| -> [u32; 257] { std::array::from_fn(|i| v[i]) };
    let lengths_table: [u8; 257] = std::array::from_fn(|i| lit_lengths[i]);
    encode_literals(data, &as_table(&lit_codes), &lengths_table, &mut bits);
    bits.put(lit_codes[256], u32::from(lit_lengths[256]));
    if !last {
        bits.put(0, 3); // empty stored block: BFINAL 0, type 00
        bits.align();
        bits.out.extend_from_slice(&[0, 0, 0xFF, 0xFF]);
    } else {
        bits.align();
    }
    bits.out
}

wide_fn! {
    /// Appends the codes of `data`. Pairs of literals (at most 30 bits) go into a 64-bit
    /// accumulator held in locals, so the hot loop touches memory only to flush 4 bytes.
    fn encode_literals(data: &[u8], codes: &[u32; 257], lengths: &[u8; 257], bits: &mut Bits) {
        let (mut acc, mut n) = (bits.acc, bits.n);
        let out = &mut bits.out;
        let mut pairs = data.chunks_exact(2);
        for pair in &mut pairs {
            let (a, b) = (pair[0] as usize, pair[1] as usize);
            let la = u32::from(lengths[a]);
            acc |= (u64::from(codes[a]) | u64::from(codes[b]) << la) << n;
            n += la + u32::from(lengths[b]);
            if n >= 32 {
                out.extend_from_slice(&(acc as u32).to_le_bytes());
                acc >>= 32;
                n -= 32;
            }
        }
        (bits.acc, bits.n) = (acc, n);
        for &v in pairs.remainder() {
            bits.put(codes[v as usize], u32::from(lengths[v as usize]));
        }
    }
}

/// Huffman code lengths of at most `limit` bits; zero for unused symbols. Over-long codes
/// are rare (very skewed counts); flattening the counts and rebuilding fixes them.
fn limited_lengths(freq: &[u32], limit: u8) -> Vec<u8> {
    let mut counts: Vec<u64> = freq.iter().map(|&f| u64::from(f)).collect();
    loop {
        let lengths = huffman_lengths(&counts);
        if lengths.iter().all(|&l| l <= limit) {
            return lengths;
        }
        for c in counts.iter_mut().filter(|c| **c > 0) {
            *c = (*c >> 1).max(1);
        }
    }
}

fn huffman_lengths(counts: &[u64]) -> Vec<u8> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut lengths = vec![0u8; counts.len()];
    let used: Vec<usize> = (0..counts.len()).filter(|&s| counts[s] > 0).collect();
    match used.len() {
        0 => return lengths,
        // A code needs two symbols to be a code; the spare one is never written.
        1 => {
            lengths[used[0]] = 1;
            lengths[if used[0] == 0 { 1 } else { 0 }] = 1;
            return lengths;
        }
        _ => {}
    }
    // Nodes: leaves first, then merges; parent links give each leaf's depth.
    let mut parent: Vec<usize> = vec![usize::MAX; 2 * used.len()];
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = used
        .iter()
        .enumerate()
        .map(|(i, &s)| Reverse((counts[s], i)))
        .collect();
    let mut next = used.len();
    while heap.len() > 1 {
        let (Some(Reverse((a, i))), Some(Reverse((b, j)))) = (heap.pop(), heap.pop()) else {
            break;
        };
        parent[i] = next;
        parent[j] = next;
        heap.push(Reverse((a + b, next)));
        next += 1;
    }
    for (i, &s) in used.iter().enumerate() {
        let (mut depth, mut node) = (0u8, i);
        while parent[node] != usize::MAX {
            node = parent[node];
            depth = depth.saturating_add(1);
        }
        lengths[s] = depth;
    }
    lengths
}

/// Canonical codes (RFC 1951 3.2.2), bit-reversed for the LSB-first writer.
fn canonical_codes(lengths: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 16];
    for &l in lengths.iter().filter(|&&l| l > 0) {
        count[l as usize] += 1;
    }
    let mut next = [0u32; 16];
    let mut code = 0u32;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[l as usize];
            next[l as usize] += 1;
            c.reverse_bits() >> (32 - u32::from(l))
        })
        .collect()
}

fn adler32(data: &[u8]) -> u32 {
    let mut hash = simd_adler32::Adler32::new();
    hash.write(data);
    hash.finish()
}

/// The Adler-32 of two pieces joined, from theirs (zlib's adler32_combine).
fn adler32_combine(first: u32, second: u32, second_len: usize) -> u32 {
    const MOD: u64 = 65521;
    let rem = second_len as u64 % MOD;
    let (a1, b1) = (u64::from(first & 0xFFFF), u64::from(first >> 16));
    let (a2, b2) = (u64::from(second & 0xFFFF), u64::from(second >> 16));
    let a = (a1 + a2 + MOD - 1) % MOD;
    let b = (rem * a1 % MOD + b1 + b2 + MOD - rem) % MOD;
    ((b << 16) | a) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::Rng;

    fn roundtrip(img: &RgbImage) {
        let png = encode_rgb(img);
        let back = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
            .expect("decodes")
            .to_rgb8();
        assert_eq!(back.dimensions(), img.dimensions());
        assert!(back.as_raw() == img.as_raw(), "pixels differ");
    }

    #[test]
    fn photos_flat_areas_and_odd_sizes_decode_to_the_same_pixels() {
        let mut rng = Rng::new(3);
        // Noisy gradients (a photo), a flat block (one symbol per band), a 1-px image,
        // and a height that leaves a short last band.
        let photo = RgbImage::from_fn(301, 300, |x, y| {
            let n = (rng.f64() * 12.0) as u32;
            image::Rgb([(x + n) as u8, (y / 2 + n) as u8, ((x ^ y) % 97 + n) as u8])
        });
        roundtrip(&photo);
        roundtrip(&RgbImage::from_pixel(130, 260, image::Rgb([7, 7, 7])));
        roundtrip(&RgbImage::from_pixel(1, 1, image::Rgb([255, 0, 3])));
        let skewed = RgbImage::from_fn(64, 129, |x, y| {
            image::Rgb([
                if (x * 31 + y * 17) % 1000 == 0 {
                    200
                } else {
                    0
                },
                0,
                0,
            ])
        });
        roundtrip(&skewed);
    }

    #[test]
    fn huffman_lengths_respect_the_limit_and_form_a_complete_code() {
        // Fibonacci counts make the deepest possible tree.
        let mut freq = vec![0u32; 40];
        let (mut a, mut b) = (1u32, 1u32);
        for f in freq.iter_mut() {
            *f = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let lengths = limited_lengths(&freq, 15);
        assert!(lengths.iter().all(|&l| (1..=15).contains(&l)));
        let kraft: f64 = lengths.iter().map(|&l| 0.5f64.powi(l as i32)).sum();
        assert!(kraft <= 1.0 + 1e-12, "Kraft sum {kraft}");
    }

    #[test]
    fn adler_of_joined_pieces_is_the_combination() {
        let data: Vec<u8> = (0..20000u32).map(|i| (i * 7 % 251) as u8).collect();
        // Straight from the definition.
        let (mut a, mut b) = (1u64, 0u64);
        for v in &data {
            a = (a + u64::from(*v)) % 65521;
            b = (b + a) % 65521;
        }
        assert_eq!(adler32(&data), ((b << 16) | a) as u32);
        let (x, y) = data.split_at(12345);
        assert_eq!(
            adler32_combine(adler32(x), adler32(y), y.len()),
            adler32(&data)
        );
    }
}
