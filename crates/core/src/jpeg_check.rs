//! Walks the Huffman-coded data of a sequential JPEG without decoding pixels, to tell a
//! whole file from a damaged one. Decoders fill what they cannot read with grey and carry
//! on (zune-jpeg does even in strict mode when an end-of-image marker is reached early),
//! and a grey half-board would be reported as one board-sized change that hides every
//! real one. A file cut short, or with a stretch overwritten, leaves the entropy data out
//! of step with the block count the header promises; that is what this checks.
//! Progressive files are walked pass by pass and must deliver every coefficient down to
//! its last bit; arithmetic-coded and lossless files are left to the decoder.

/// Why a JPEG's entropy data does not add up.
pub(crate) type Damage = String;

/// Bytes of entropy data allowed after the last block of a scan: padding bits and the
/// odd encoder's stray byte, not a desynchronised stream.
const TRAILING_SLACK_BYTES: usize = 8;

#[derive(Clone, Default)]
struct Huffman {
    /// For each code length 1..=16: the largest code of that length (or -1), and the
    /// index of its first symbol in `symbols`, minus the first code.
    max_code: [i32; 17],
    offset: [i32; 17],
    symbols: Vec<u8>,
    /// Codes of up to FAST_BITS bits, looked up by the next FAST_BITS bits: the symbol
    /// and the code's length (0: a longer code).
    fast: Vec<(u8, u8)>,
}

const FAST_BITS: u32 = 9;

impl Huffman {
    fn new(counts: &[u8; 16], symbols: &[u8]) -> Self {
        let mut h = Huffman {
            max_code: [-1; 17],
            offset: [0; 17],
            symbols: symbols.to_vec(),
            fast: vec![(0, 0); 1 << FAST_BITS],
        };
        let (mut code, mut k) = (0i32, 0i32);
        for len in 1..=16 {
            let n = i32::from(counts[len - 1]);
            if n > 0 {
                if len as u32 <= FAST_BITS {
                    let spread = FAST_BITS - len as u32;
                    for i in 0..n {
                        let Some(&symbol) = symbols.get((k + i) as usize) else {
                            break;
                        };
                        let first = ((code + i) as usize) << spread;
                        let entries = h.fast.get_mut(first..first + (1 << spread));
                        entries
                            .into_iter()
                            .flatten()
                            .for_each(|e| *e = (symbol, len as u8));
                    }
                }
                h.offset[len] = k - code;
                code += n;
                k += n;
                h.max_code[len] = code - 1;
            }
            code <<= 1;
        }
        h
    }
}

#[derive(Clone, Copy)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    count: u32,
    /// A marker (other than stuffing) was reached: no more entropy bytes in this segment.
    at_marker: bool,
}

impl<'a> Bits<'a> {
    fn fill(&mut self) {
        while self.count <= 56 && !self.at_marker {
            let Some(&b) = self.data.get(self.pos) else {
                self.at_marker = true;
                return;
            };
            if b == 0xFF {
                match self.data.get(self.pos + 1) {
                    Some(0x00) => self.pos += 2,
                    _ => {
                        self.at_marker = true;
                        return;
                    }
                }
            } else {
                self.pos += 1;
            }
            self.acc |= u64::from(b) << (56 - self.count);
            self.count += 8;
        }
    }

    fn bit(&mut self) -> Option<u32> {
        if self.count == 0 {
            self.fill();
            if self.count == 0 {
                return None;
            }
        }
        let b = (self.acc >> 63) as u32;
        self.acc <<= 1;
        self.count -= 1;
        Some(b)
    }

    fn skip(&mut self, n: u32) -> Option<()> {
        if self.count < n {
            self.fill();
            if self.count < n {
                return None;
            }
        }
        self.acc = self.acc.checked_shl(n).unwrap_or(0);
        self.count -= n;
        Some(())
    }

    /// The next Huffman symbol; None when the data ends first, Err for a code the table
    /// does not have.
    fn symbol(&mut self, table: &Huffman) -> Result<Option<u8>, ()> {
        if self.count < 16 {
            self.fill();
        }
        let (symbol, len) = table.fast[(self.acc >> (64 - FAST_BITS)) as usize];
        if len > 0 {
            return Ok(self.skip(u32::from(len)).map(|()| symbol));
        }
        for len in FAST_BITS + 1..=16 {
            let code = (self.acc >> (64 - len)) as i32;
            if code <= table.max_code[len as usize] {
                if len > self.count {
                    return Ok(None);
                }
                let i = (code + table.offset[len as usize]) as usize;
                self.skip(len);
                return table.symbols.get(i).copied().map(Some).ok_or(());
            }
        }
        // No code matches: damage, unless the data ended inside the code.
        if self.count < 16 {
            Ok(None)
        } else {
            Err(())
        }
    }

    /// Drops the padding bits of the current byte, for a restart marker.
    fn align(&mut self) {
        let partial = self.count % 8;
        self.acc = self.acc.checked_shl(partial).unwrap_or(0);
        self.count -= partial;
    }

    /// Whole entropy bytes left before the marker.
    fn bytes_left(&mut self) -> usize {
        self.fill();
        let mut n = (self.count / 8) as usize;
        let mut p = self.pos;
        while let Some(&b) = self.data.get(p) {
            if b == 0xFF {
                if self.data.get(p + 1) == Some(&0x00) {
                    p += 2;
                    n += 1;
                    continue;
                }
                break;
            }
            p += 1;
            n += 1;
        }
        n
    }
}

/// Checks every scan of a baseline or extended sequential Huffman JPEG; Ok(()) for a
/// whole file and for kinds it does not check.
pub(crate) fn check_entropy_data(bytes: &[u8]) -> Result<(), Damage> {
    if bytes.len() < 4 || bytes[0..2] != [0xFF, 0xD8] {
        return Err("not a JPEG stream".into());
    }
    let mut dc: [Huffman; 4] = Default::default();
    let mut ac: [Huffman; 4] = Default::default();
    let mut frame: Option<(usize, usize, Vec<Component>)> = None;
    let mut progressive = false;
    // Per component and coefficient, the lowest bit a progressive scan has delivered.
    let mut precision: Vec<[Option<u8>; 64]> = Vec::new();
    // Per component and block, which AC coefficients are non-zero so far: a refinement
    // pass codes those differently from the rest.
    let mut nonzero: Vec<Vec<u64>> = Vec::new();
    let mut restart_interval = 0usize;
    let mut pos = 2;
    loop {
        // Fill bytes may precede a marker.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return Err(format!("expected a marker at byte {pos}"));
        };
        pos += 2;
        match marker {
            0xD9 if progressive => return complete(&precision),
            0xD9 => return Ok(()),
            0xD0..=0xD7 | 0x01 => continue,
            _ => {}
        }
        let len = match bytes.get(pos..pos + 2) {
            Some(l) => usize::from(u16::from_be_bytes([l[0], l[1]])),
            None => return Err("the file ends inside a header".into()),
        };
        let Some(segment) = bytes.get(pos + 2..pos + len).filter(|_| len >= 2) else {
            return Err(format!(
                "a header at byte {pos} runs past the end of the file"
            ));
        };
        pos += len;
        match marker {
            0xC4 => read_tables(segment, &mut dc, &mut ac)?,
            0xDD if segment.len() >= 2 => {
                restart_interval = usize::from(u16::from_be_bytes([segment[0], segment[1]]));
            }
            0xC0..=0xC2 => {
                let f = read_frame(segment)?;
                progressive = marker == 0xC2;
                precision = vec![[None; 64]; f.2.len()];
                nonzero = vec![Vec::new(); f.2.len()];
                frame = Some(f);
            }
            // Lossless, arithmetic: the decoder's own checks apply.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return Ok(()),
            0xDA => {
                let Some((width, height, components)) = &frame else {
                    return Err("a scan comes before the frame header".into());
                };
                let scan = Scan::read(segment, components, *width, *height)?;
                if progressive {
                    for &c in &scan.component_indices {
                        precision[c][scan.spectral_start..=scan.spectral_end]
                            .fill(Some(scan.low_bit));
                    }
                }
                let state = (progressive && scan.spectral_start > 0)
                    .then(|| &mut nonzero[scan.component_indices[0]]);
                pos = scan.walk(bytes, pos, &dc, &ac, restart_interval, state)?;
            }
            _ => {}
        }
    }
}

/// A progressive file is whole when every coefficient of every component has been
/// delivered down to its last bit.
fn complete(precision: &[[Option<u8>; 64]]) -> Result<(), Damage> {
    for (c, coefficients) in precision.iter().enumerate() {
        let missing = coefficients.iter().filter(|p| **p != Some(0)).count();
        if missing > 0 {
            return Err(format!(
                "the file ends before its last scan: {missing} of 64 coefficients of component {} are incomplete (the file is cut short)",
                c + 1
            ));
        }
    }
    Ok(())
}

fn read_tables(mut s: &[u8], dc: &mut [Huffman; 4], ac: &mut [Huffman; 4]) -> Result<(), Damage> {
    while !s.is_empty() {
        let class_id = s[0];
        let counts: [u8; 16] = s
            .get(1..17)
            .and_then(|c| c.try_into().ok())
            .ok_or("a Huffman table is cut short")?;
        let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let symbols = s.get(17..17 + n).ok_or("a Huffman table is cut short")?;
        let table = Huffman::new(&counts, symbols);
        let id = usize::from(class_id & 0x0F);
        if id > 3 {
            return Err("a Huffman table has an id above 3".into());
        }
        if class_id >> 4 == 0 {
            dc[id] = table;
        } else {
            ac[id] = table;
        }
        s = &s[17 + n..];
    }
    Ok(())
}

fn read_frame(s: &[u8]) -> Result<(usize, usize, Vec<Component>), Damage> {
    if s.len() < 6 {
        return Err("the frame header is cut short".into());
    }
    let height = usize::from(u16::from_be_bytes([s[1], s[2]]));
    let width = usize::from(u16::from_be_bytes([s[3], s[4]]));
    let n = usize::from(s[5]);
    let mut components = Vec::with_capacity(n);
    for i in 0..n {
        let c = s
            .get(6 + 3 * i..9 + 3 * i)
            .ok_or("the frame header is cut short")?;
        let (h, v) = (usize::from(c[1] >> 4), usize::from(c[1] & 0x0F));
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
            return Err("a component has a sampling factor outside 1-4".into());
        }
        components.push(Component { id: c[0], h, v });
    }
    if width == 0 || height == 0 || components.is_empty() {
        return Err("the frame header gives no size or no components".into());
    }
    Ok((width, height, components))
}

struct Scan {
    /// Per component of the scan: its blocks per MCU (h x v when interleaved, else 1),
    /// and its DC and AC table ids.
    members: Vec<(usize, usize, usize)>,
    component_indices: Vec<usize>,
    mcus: usize,
    spectral_start: usize,
    spectral_end: usize,
    /// Successive approximation: the bit refined (0 on a first pass) and the bit coded.
    high_bit: u8,
    low_bit: u8,
}

impl Scan {
    fn read(
        s: &[u8],
        components: &[Component],
        width: usize,
        height: usize,
    ) -> Result<Scan, Damage> {
        let n = usize::from(*s.first().ok_or("a scan header is empty")?);
        let h_max = components.iter().map(|c| c.h).max().unwrap_or(1);
        let v_max = components.iter().map(|c| c.v).max().unwrap_or(1);
        let mut members = Vec::new();
        let mut component_indices = Vec::new();
        let mut only = None;
        for i in 0..n {
            let c = s
                .get(1 + 2 * i..3 + 2 * i)
                .ok_or("a scan header is cut short")?;
            let index = components
                .iter()
                .position(|k| k.id == c[0])
                .ok_or("a scan names a component the frame does not have")?;
            let comp = &components[index];
            component_indices.push(index);
            let blocks = if n == 1 { 1 } else { comp.h * comp.v };
            members.push((
                blocks,
                usize::from(c[1] >> 4) & 3,
                usize::from(c[1] & 0x0F) & 3,
            ));
            only = Some(*comp);
        }
        let tail = s
            .get(1 + 2 * n..4 + 2 * n)
            .ok_or("a scan header is cut short")?;
        let (spectral_start, spectral_end) = (usize::from(tail[0]), usize::from(tail[1]));
        if spectral_start > spectral_end || spectral_end > 63 {
            return Err("a scan's spectral range is outside 0-63".into());
        }
        let mcus = match (n, only) {
            (1, Some(c)) => {
                // A lone component is coded in its own blocks, not in MCUs.
                let cw = (width * c.h).div_ceil(h_max);
                let ch = (height * c.v).div_ceil(v_max);
                cw.div_ceil(8) * ch.div_ceil(8)
            }
            _ => width.div_ceil(8 * h_max) * height.div_ceil(8 * v_max),
        };
        Ok(Scan {
            members,
            component_indices,
            mcus,
            spectral_start,
            spectral_end,
            high_bit: tail[2] >> 4,
            low_bit: tail[2] & 0x0F,
        })
    }

    /// Walks the scan's entropy data from `start`; returns the position of the marker
    /// after it.
    fn walk(
        &self,
        bytes: &[u8],
        start: usize,
        dc: &[Huffman; 4],
        ac: &[Huffman; 4],
        restart_interval: usize,
        mut nonzero: Option<&mut Vec<u64>>,
    ) -> Result<usize, Damage> {
        let mut bits = Bits {
            data: bytes,
            pos: start,
            acc: 0,
            count: 0,
            at_marker: false,
        };
        let blocks_per_mcu: usize = self.members.iter().map(|m| m.0).sum();
        let total = self.mcus * blocks_per_mcu;
        if let Some(state) = nonzero.as_deref_mut() {
            state.resize(total, 0);
        }
        let short = |done: usize| Fault::Short.message(done, total);
        let mut next_restart = 0u8;
        let mut eob_run = 0u32;
        for mcu in 0..self.mcus {
            if restart_interval > 0 && mcu > 0 && mcu % restart_interval == 0 {
                bits.align();
                if bits.count >= 8 || !bits.at_marker {
                    bits.fill();
                }
                if bits.count > 0 || bytes.get(bits.pos) != Some(&0xFF) {
                    return Err(format!(
                        "restart marker {next_restart} is missing where block {} of {total} begins (the image data is damaged)",
                        mcu * blocks_per_mcu
                    ));
                }
                if bytes.get(bits.pos + 1) != Some(&(0xD0 + next_restart)) {
                    return Err(format!(
                        "restart marker {next_restart} is out of sequence (the image data is damaged)"
                    ));
                }
                next_restart = (next_restart + 1) % 8;
                bits.pos += 2;
                bits.at_marker = false;
            }
            if restart_interval > 0 && mcu % restart_interval == 0 {
                eob_run = 0;
            }
            for &(blocks, dc_id, ac_id) in &self.members {
                for b in 0..blocks {
                    let done = mcu * blocks_per_mcu + b;
                    if self.spectral_start == 0 {
                        if self.high_bit > 0 {
                            // A DC refinement pass: one bit per block.
                            bits.skip(1).ok_or_else(|| short(done))?;
                            continue;
                        }
                        let s =
                            symbol(&mut bits, &dc[dc_id]).map_err(|e| e.message(done, total))?;
                        if s > 16 {
                            return Err(Fault::BadCode.message(done, total));
                        }
                        bits.skip(u32::from(s)).ok_or_else(|| short(done))?;
                    }
                    if self.spectral_end == 0 {
                        continue;
                    }
                    let mut mask = nonzero.as_deref().map_or(0, |n| n[done]);
                    if self.high_bit > 0 {
                        refine_block(&mut bits, &ac[ac_id], self, &mut eob_run, &mut mask)
                            .map_err(|e| e.message(done, total))?;
                    } else {
                        first_block(&mut bits, &ac[ac_id], self, &mut eob_run, &mut mask)
                            .map_err(|e| e.message(done, total))?;
                    }
                    if let Some(state) = nonzero.as_deref_mut() {
                        state[done] = mask;
                    }
                }
            }
        }
        bits.align();
        let left = bits.bytes_left();
        if left > TRAILING_SLACK_BYTES {
            return Err(format!(
                "{left} bytes of image data follow the last of its {total} blocks (the data is damaged)"
            ));
        }
        // Past the remaining entropy bytes to the marker.
        let mut p = bits.pos;
        while let Some(&b) = bytes.get(p) {
            if b == 0xFF && bytes.get(p + 1) != Some(&0x00) {
                break;
            }
            p += if b == 0xFF { 2 } else { 1 };
        }
        Ok(p)
    }
}

enum Fault {
    Short,
    BadCode,
    TooManyCoefficients,
}

impl Fault {
    fn message(self, block: usize, total: usize) -> Damage {
        match self {
            Fault::Short => format!(
                "the image data ends after {block} of its {total} blocks (the file is cut short or overwritten)"
            ),
            Fault::BadCode => format!(
                "invalid Huffman code in block {block} of {total} (the image data is damaged)"
            ),
            Fault::TooManyCoefficients => format!(
                "block {block} of {total} has more than 64 coefficients (the image data is damaged)"
            ),
        }
    }
}

fn symbol(bits: &mut Bits, table: &Huffman) -> Result<u8, Fault> {
    match bits.symbol(table) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(Fault::Short),
        Err(()) => Err(Fault::BadCode),
    }
}

/// An AC symbol as its run of zeros and the size of the value after them.
fn ac_symbol(bits: &mut Bits, table: &Huffman) -> Result<(u32, u32), Fault> {
    let rs = symbol(bits, table)?;
    Ok((u32::from(rs >> 4), u32::from(rs & 0x0F)))
}

fn read_bits(bits: &mut Bits, n: u32) -> Result<u32, Fault> {
    let mut v = 0;
    for _ in 0..n {
        v = (v << 1) | bits.bit().ok_or(Fault::Short)?;
    }
    Ok(v)
}

/// The AC coefficients of one block in a sequential scan or a progressive first pass;
/// marks in `mask` the ones it makes non-zero.
fn first_block(
    bits: &mut Bits,
    table: &Huffman,
    scan: &Scan,
    eob_run: &mut u32,
    mask: &mut u64,
) -> Result<(), Fault> {
    if *eob_run > 0 {
        *eob_run -= 1;
        return Ok(());
    }
    let mut k = scan.spectral_start.max(1);
    while k <= scan.spectral_end {
        let (r, s) = ac_symbol(bits, table)?;
        if s == 0 {
            if r != 15 {
                // End of band; in a progressive pass, of 2^r + n bands.
                *eob_run = (1u32 << r) + read_bits(bits, r)? - 1;
                break;
            }
            k += 16;
        } else {
            k += r as usize;
            bits.skip(s).ok_or(Fault::Short)?;
            if k <= 63 {
                *mask |= 1 << k;
            }
            k += 1;
        }
    }
    if k > scan.spectral_end + 1 {
        return Err(Fault::TooManyCoefficients);
    }
    Ok(())
}

/// One block of a progressive AC refinement pass (ITU T.81 G.1.2.3, as libjpeg reads
/// it): a correction bit for each coefficient already non-zero, new coefficients of
/// magnitude one placed among the zero ones.
fn refine_block(
    bits: &mut Bits,
    table: &Huffman,
    scan: &Scan,
    eob_run: &mut u32,
    mask: &mut u64,
) -> Result<(), Fault> {
    let mut k = scan.spectral_start;
    let end = scan.spectral_end;
    if *eob_run == 0 {
        while k <= end {
            let (r, s) = ac_symbol(bits, table)?;
            let mut zeros_to_skip = r as i32;
            if s == 0 && r != 15 {
                *eob_run = (1u32 << r) + read_bits(bits, r)?;
                break;
            }
            if s != 0 {
                if s != 1 {
                    return Err(Fault::BadCode);
                }
                bits.skip(1).ok_or(Fault::Short)?;
            }
            while k <= end {
                if *mask & (1 << k) != 0 {
                    bits.skip(1).ok_or(Fault::Short)?;
                } else {
                    zeros_to_skip -= 1;
                    if zeros_to_skip < 0 {
                        break;
                    }
                }
                k += 1;
            }
            if s != 0 {
                if k > end {
                    return Err(Fault::TooManyCoefficients);
                }
                *mask |= 1 << k;
            }
            k += 1;
        }
    }
    if *eob_run > 0 {
        while k <= end {
            if *mask & (1 << k) != 0 {
                bits.skip(1).ok_or(Fault::Short)?;
            }
            k += 1;
        }
        *eob_run -= 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            let v = ((x * 7 + y * 13) % 251) as u8 ^ ((x / 9 + y / 5) % 3 * 60) as u8;
            image::Rgb([v, v.wrapping_mul(3), 255 - v])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_whole_file_passes_and_damage_is_named() {
        let bytes = board_jpeg(320, 240);
        check_entropy_data(&bytes).unwrap();

        let mut cut = bytes[..bytes.len() / 2].to_vec();
        cut.extend_from_slice(&[0xFF, 0xD9]);
        let err = check_entropy_data(&cut).unwrap_err();
        assert!(err.contains("ends after"), "{err}");

        let mut zeroed = bytes.clone();
        let mid = zeroed.len() / 2;
        zeroed[mid..mid + 2000].fill(0);
        assert!(check_entropy_data(&zeroed).is_err());
    }
}
