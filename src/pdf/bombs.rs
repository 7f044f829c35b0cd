//! Hostile PDFs for tests, after the three that took the lopdf-based `/verify` down.
//!
//! Each is a syntactically valid PDF whose catalog lives inside the hostile object stream, listed by a
//! cross-reference stream, so any reader must decode the hostile part to find the catalog.

use miniz_oxide::{
    MZFlush,
    deflate::{CompressionLevel, compress_to_vec_zlib, core::CompressorOxide, stream::deflate},
};

/// The catalog kept in each bomb's object stream.
const CATALOG: &str = "<< /Type /Catalog >>";

/// An object stream whose `/DecodeParms` ask for a 1 GiB predictor row (`/Columns 1073741824`): lopdf reserved
/// two rows before reading any data. About 300 bytes.
pub fn predictor_columns() -> Vec<u8> {
    let header = "1 0 ";
    let data = compress_to_vec_zlib(format!("{header}{CATALOG}").as_bytes(), 9);
    let dict = format!(
        "/Type /ObjStm /N 1 /First {} /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 1073741824 >>",
        header.len()
    );
    with_object_stream(&dict, &data, 0)
}

/// An object stream of about `target_bytes / 1000` bytes that inflates to at least `target_bytes` of zeros, the
/// catalog at its very end. `inflation(1536 << 20)` is about 1.5 MB, inflating to 1.5 GiB.
pub fn inflation(target_bytes: usize) -> Vec<u8> {
    const CHUNK: usize = 1 << 20;
    let chunks = target_bytes.div_ceil(CHUNK).max(1);
    let zeros = chunks * CHUNK;
    let header = format!("1 {zeros} ");
    // The zeros are compressed once and the compressed chunk repeated: it refers only to zeros before it.
    let mut data = vec![0x78, 0xDA];
    data.extend(raw_deflate(header.as_bytes(), MZFlush::Sync));
    let chunk = raw_deflate(&vec![0; CHUNK], MZFlush::Sync);
    for _ in 0..chunks {
        data.extend_from_slice(&chunk);
    }
    data.extend(raw_deflate(CATALOG.as_bytes(), MZFlush::Finish));
    let adler = Adler32::default().bytes(header.as_bytes()).zeros(zeros).bytes(CATALOG.as_bytes());
    data.extend(adler.value().to_be_bytes());
    let dict = format!("/Type /ObjStm /N 1 /First {} /Filter /FlateDecode", header.len());
    with_object_stream(&dict, &data, 0)
}

/// An object stream of `entries` index pairs all naming object 1 at offset 0, the catalog listed as the last:
/// lopdf parsed the object once per pair. `repeated_offsets(100_000)` is about 700 bytes.
pub fn repeated_offsets(entries: usize) -> Vec<u8> {
    let entries = entries.max(1);
    let index = "1 0 ".repeat(entries);
    let data = compress_to_vec_zlib(format!("{index}{CATALOG}").as_bytes(), 9);
    let dict = format!("/Type /ObjStm /N {entries} /First {} /Filter /FlateDecode", index.len());
    with_object_stream(&dict, &data, entries - 1)
}

/// A PDF of three objects: the catalog (1) as the `catalog_index`th object of object stream 2, whose dictionary
/// less `/Length` is `stream_dict`, and the uncompressed cross-reference stream 3.
fn with_object_stream(stream_dict: &str, stream: &[u8], catalog_index: usize) -> Vec<u8> {
    object_stream_pdf(stream_dict, stream, &[catalog_index])
}

/// A PDF whose objects 1, 4, 5… are the objects at `indexes` in object stream 2, whose dictionary less `/Length`
/// is `stream_dict`, listed by the uncompressed cross-reference stream 3; object 1 is the catalog.
pub(crate) fn object_stream_pdf(stream_dict: &str, stream: &[u8], indexes: &[usize]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let object_stream = pdf.len();
    pdf.extend(format!("2 0 obj\n<< {stream_dict} /Length {} >>\nstream\n", stream.len()).bytes());
    pdf.extend_from_slice(stream);
    pdf.extend_from_slice(b"\nendstream\nendobj\n");
    let xref = pdf.len();
    let catalog = indexes.first().copied().unwrap_or_default();
    let others = indexes.iter().skip(1).map(|&index| (2, 2, index));
    let entries = [(0, 0, 65535), (2, 2, catalog), (1, object_stream, 0), (1, xref, 0)].into_iter().chain(others);
    let rows: Vec<u8> = entries.flat_map(row).collect();
    let size = 3 + indexes.len();
    pdf.extend(
        format!("3 0 obj\n<< /Type /XRef /Size {size} /W [1 4 4] /Root 1 0 R /Length {} >>\nstream\n", rows.len())
            .bytes(),
    );
    pdf.extend(rows);
    pdf.extend(format!("\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n").bytes());
    pdf
}

/// A cross-reference stream row for `/W [1 4 4]`.
fn row((kind, field, index): (u8, usize, usize)) -> Vec<u8> {
    let mut row = vec![kind];
    row.extend(u32::try_from(field).unwrap_or(u32::MAX).to_be_bytes());
    row.extend(u32::try_from(index).unwrap_or(u32::MAX).to_be_bytes());
    row
}

/// Raw deflate data that ends on a byte boundary (`Sync`) or ends the stream (`Finish`).
fn raw_deflate(data: &[u8], flush: MZFlush) -> Vec<u8> {
    let mut compressor = CompressorOxide::default();
    compressor.set_format_and_level(miniz_oxide::DataFormat::Raw, CompressionLevel::BestCompression as u8);
    let mut out = Vec::new();
    let mut buffer = vec![0; 64 << 10];
    let mut input = data;
    loop {
        let result = deflate(&mut compressor, input, &mut buffer, flush);
        out.extend_from_slice(buffer.get(..result.bytes_written).unwrap_or_default());
        input = input.get(result.bytes_consumed..).unwrap_or_default();
        let finished = matches!(result.status, Ok(miniz_oxide::MZStatus::StreamEnd) | Err(_));
        if finished || (input.is_empty() && result.bytes_written < buffer.len()) {
            return out;
        }
    }
}

/// Adler-32 (RFC 1950), able to add a run of zeros without touching them.
#[derive(Clone, Copy)]
struct Adler32 {
    a: u64,
    b: u64,
}

impl Default for Adler32 {
    fn default() -> Self {
        Self { a: 1, b: 0 }
    }
}

impl Adler32 {
    const MOD: u64 = 65521;

    fn bytes(self, bytes: &[u8]) -> Self {
        bytes.iter().fold(self, |Self { a, b }, &byte| {
            let a = (a + u64::from(byte)) % Self::MOD;
            Self { a, b: (b + a) % Self::MOD }
        })
    }

    /// A zero leaves `a` alone and adds `a` to `b`.
    fn zeros(self, count: usize) -> Self {
        let count = u64::try_from(count).unwrap_or(u64::MAX) % Self::MOD;
        Self { a: self.a, b: (self.b + count * self.a) % Self::MOD }
    }

    fn value(self) -> u32 {
        u32::try_from(self.b << 16 | self.a).unwrap_or(0)
    }
}
