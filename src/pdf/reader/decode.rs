//! Stream decoding (PDF 1.7 §7.4): FlateDecode inflated within the budget, then PNG or TIFF row predictors
//! undone.

use miniz_oxide::inflate::{
    TINFLStatus,
    core::{
        DecompressorOxide, decompress,
        inflate_flags::{TINFL_FLAG_PARSE_ZLIB_HEADER, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF},
    },
};

use super::{ReadError, Result, budget::Budget, malformed, object::Dict, too_large};

/// A row predictor applied after FlateDecode (§7.4.4.4), with its row size already checked.
pub(super) enum Predictor {
    None,
    Tiff { row: usize, pixel: usize },
    Png { row: usize, pixel: usize },
}

pub(super) fn unsupported_filter(name: &[u8]) -> ReadError {
    // Only a few characters of the input are echoed, and only printable ones.
    let shown: String =
        name.iter().take(24).map(|&byte| if byte.is_ascii_graphic() { char::from(byte) } else { '?' }).collect();
    ReadError::Malformed(format!("unsupported filter {shown}"))
}

/// Inflates zlib data into at most `limit` bytes, beyond which it answers `exceeded`. Unlike miniz_oxide's
/// `decompress_to_vec_zlib_with_limit`, whose `Vec::resize` may reserve up to twice the limit, the buffer grows
/// exactly; and the clock is read after every `STEP` bytes.
pub(super) fn inflate(raw: &[u8], limit: usize, exceeded: ReadError, budget: &Budget) -> Result<Vec<u8>> {
    const FLAGS: u32 = TINFL_FLAG_PARSE_ZLIB_HEADER | TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    const STEP: usize = 256 << 10;
    let mut decompressor = Box::<DecompressorOxide>::default();
    let mut out = Vec::new();
    let mut input = raw;
    let mut written = 0;
    loop {
        if written == out.len() {
            if out.len() >= limit {
                return Err(exceeded);
            }
            let len = out.len().max(raw.len()).saturating_mul(2).max(4096).min(limit);
            grow(&mut out, len);
        }
        // Earlier output stays in the window: later data refers back to it.
        let end = written.saturating_add(STEP).min(out.len());
        let window = out.get_mut(..end).unwrap_or_default();
        let (status, consumed, produced) = decompress(&mut decompressor, input, window, written, FLAGS);
        written += produced;
        input = input.get(consumed..).unwrap_or_default();
        match status {
            TINFLStatus::Done => {
                out.truncate(written);
                return Ok(out);
            }
            TINFLStatus::HasMoreOutput if produced > 0 || consumed > 0 => {}
            _ => return Err(malformed("corrupt compressed data")),
        }
        budget.check_clock()?;
    }
}

/// Lengthens `buffer` to `len` zeros, reserving no more.
fn grow(buffer: &mut Vec<u8>, len: usize) {
    buffer.reserve_exact(len.saturating_sub(buffer.len()));
    buffer.resize(len, 0);
}

/// The predictor of `/DecodeParms`, its row size checked against `max_row` before any data is decoded.
pub(super) fn row_predictor(params: &Dict, max_row: usize) -> Result<Predictor> {
    let integer = |key: &[u8], default: usize| match params.get(key) {
        None => Some(default),
        Some(value) => value.as_usize(),
    };
    let bad = || malformed("bad predictor parameters");
    let kind = integer(b"Predictor", 1).ok_or_else(bad)?;
    if kind == 1 {
        return Ok(Predictor::None);
    }
    let colors = integer(b"Colors", 1).filter(|&colors| colors > 0).ok_or_else(bad)?;
    let bits = integer(b"BitsPerComponent", 8).filter(|bits| matches!(bits, 1 | 2 | 4 | 8 | 16)).ok_or_else(bad)?;
    let columns = integer(b"Columns", 1).filter(|&columns| columns > 0).ok_or_else(bad)?;
    let pixel_bits = colors.checked_mul(bits);
    let row_bits = pixel_bits.and_then(|pixel_bits| pixel_bits.checked_mul(columns));
    let row = row_bits.map(|bits| bits.div_ceil(8)).filter(|&row| row <= max_row);
    let (Some(row), Some(pixel_bits)) = (row, pixel_bits) else { return Err(too_large("predictor row", max_row)) };
    // PNG filters work on whole bytes: a pixel narrower than a byte counts as one.
    let pixel = pixel_bits.div_ceil(8).max(1);
    match kind {
        2 if bits == 8 => Ok(Predictor::Tiff { row, pixel }),
        2 => Err(malformed("TIFF predictor with other than 8-bit components")),
        10..=15 => Ok(Predictor::Png { row, pixel }),
        _ => Err(malformed("unknown predictor")),
    }
}

pub(super) fn unpredict(data: &mut Vec<u8>, predictor: &Predictor, budget: &mut Budget) -> Result<()> {
    match *predictor {
        Predictor::None => Ok(()),
        Predictor::Tiff { row, pixel } => unpredict_tiff(data, row, pixel, budget),
        Predictor::Png { row, pixel } => unpredict_png(data, row, pixel, budget),
    }
}

/// TIFF predictor 2 for 8-bit components: each byte is stored as the difference from the same component of the
/// pixel to its left.
pub(super) fn unpredict_tiff(data: &mut [u8], row: usize, pixel: usize, budget: &mut Budget) -> Result<()> {
    for line in data.chunks_mut(row) {
        budget.step()?;
        for i in pixel..line.len() {
            let left = line.get(i - pixel).copied().unwrap_or(0);
            if let Some(byte) = line.get_mut(i) {
                *byte = byte.wrapping_add(left);
            }
        }
    }
    Ok(())
}

/// PNG predictors (10–15): each row is a filter-type byte and `row` filtered bytes. Decoded in place, rows moving
/// down by one byte each; a short last row is decoded as far as it goes.
pub(super) fn unpredict_png(data: &mut Vec<u8>, row: usize, pixel: usize, budget: &mut Budget) -> Result<()> {
    // `row` was checked against `Limits::predictor_row`, and no row is longer than the data.
    let row = row.min(data.len());
    let mut previous = vec![0u8; row];
    let mut current = vec![0u8; row];
    let mut written = 0;
    let mut read = 0;
    while let Some(&filter) = data.get(read) {
        budget.step()?;
        let line = data.get(read + 1..).unwrap_or_default();
        let len = line.len().min(row);
        let (Some(current_line), Some(source)) = (current.get_mut(..len), line.get(..len)) else { break };
        current_line.copy_from_slice(source);
        png_row(filter, current_line, &previous, pixel)?;
        if let Some(target) = data.get_mut(written..written + len) {
            target.copy_from_slice(current_line);
        }
        std::mem::swap(&mut previous, &mut current);
        written += len;
        read += 1 + len;
    }
    data.truncate(written);
    Ok(())
}

fn png_row(filter: u8, line: &mut [u8], previous: &[u8], pixel: usize) -> Result<()> {
    if filter > 4 {
        return Err(malformed("unknown PNG filter type"));
    }
    for i in 0..line.len() {
        let left = i.checked_sub(pixel).and_then(|j| line.get(j)).copied().unwrap_or(0);
        let up = previous.get(i).copied().unwrap_or(0);
        let up_left = i.checked_sub(pixel).and_then(|j| previous.get(j)).copied().unwrap_or(0);
        let predicted = match filter {
            1 => left,
            2 => up,
            3 => (left >> 1) + (up >> 1) + (left & up & 1),
            4 => paeth(left, up, up_left),
            _ => 0,
        };
        if let Some(byte) = line.get_mut(i) {
            *byte = byte.wrapping_add(predicted);
        }
    }
    Ok(())
}

pub(super) fn paeth(left: u8, up: u8, up_left: u8) -> u8 {
    let estimate = i16::from(left) + i16::from(up) - i16::from(up_left);
    let distance = |value: u8| (estimate - i16::from(value)).abs();
    if distance(left) <= distance(up) && distance(left) <= distance(up_left) {
        left
    } else if distance(up) <= distance(up_left) {
        up
    } else {
        up_left
    }
}
