//! Reads one attached file out of an untrusted PDF, and nothing else.
//!
//! `/verify` takes PDFs from anyone, so the cost of reading one is bounded by [`Limits`], each checked before
//! the memory or work it bounds is spent, and an error names the limit that was reached. lopdf's
//! `Document::load_mem` stays for PDFs we write ourselves: on hostile input it reserves predictor rows from an
//! untrusted `/Columns`, inflates streams without bound and parses every object of every object stream.
//!
//! Read: the `%PDF-` header, `startxref`, classic cross-reference tables and cross-reference streams with their
//! `/Prev` chains (incremental updates) and hybrid `/XRefStm`; indirect objects and objects in object streams,
//! looked up lazily and cached; the catalog's `/Names` → `/EmbeddedFiles` name tree; the embedded file stream.
//! Streams are unfiltered or `FlateDecode`, with PNG or TIFF predictors.
//!
//! Refused as [`ReadError::Malformed`]: encrypted PDFs, other filters on the way to the attachment, and files
//! whose cross-reference data is broken (a repairing reader would rescan the file; this one does not).
//!
//! Memory: the decoded streams (at most `decompressed`), the objects parsed and the cross-reference map (a few
//! MiB at most with the default limits); the input is borrowed, never copied.

mod budget;
mod decode;
mod document;
mod object;
mod syntax;
#[cfg(test)]
mod tests;

use std::{fmt, time::Duration};

use self::document::Reader;

/// Limits on reading one PDF; every one is checked before the memory or work it bounds is spent.
///
/// The defaults fit a certificate of a few hundred KiB with a handful of objects, with room to spare, while
/// keeping one read of a hostile file to about `input + decompressed` plus a few MiB of memory.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of the file (2 MiB). Also the bytes the parser may read over the whole read ("parsed bytes"):
    /// however many objects point at the same bytes, each is paid for again.
    pub input: usize,
    /// Bytes produced by decoding streams over the whole read, unfiltered copies included (8 MiB).
    pub decompressed: usize,
    /// Cross-reference entries kept (100 000, about 3 MiB at most); a tenth of it bounds the PDF objects parsed
    /// over the whole read, each number, name, string, array, dictionary and name-tree entry counting one (10 000,
    /// about 1.5 MiB at most). A certificate needs a few hundred.
    pub objects: usize,
    /// `/N` of an object stream, and index pairs read over all object streams (10 000).
    pub object_stream_entries: usize,
    /// Bytes per PNG/TIFF predictor row: Columns × Colors × BitsPerComponent / 8 (64 KiB).
    pub predictor_row: usize,
    /// Nesting of arrays and dictionaries, of name-tree `/Kids`, of references followed to reach one object,
    /// and the number of cross-reference sections (32). It bounds recursion, so at most 256 is used: much deeper
    /// would overflow a 2 MiB thread stack in a debug build.
    pub depth: usize,
    /// Wall time for the whole read (2 s), checked cooperatively in every loop.
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            input: 2 << 20,
            decompressed: 8 << 20,
            objects: 100_000,
            object_stream_entries: 10_000,
            predictor_row: 64 << 10,
            depth: 32,
            time: Duration::from_secs(2),
        }
    }
}

/// Why a PDF could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// A limit was reached: `what` names it in words a person understands, `limit` is the limit's value.
    TooLarge { what: &'static str, limit: u64 },
    /// The wall-time limit passed.
    TimedOut(Duration),
    /// Not a PDF this reader understands, and briefly why.
    Malformed(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { what: "file", limit } => write!(f, "the PDF is larger than {limit} bytes"),
            Self::TooLarge { what, limit } => {
                let verb = if what.ends_with('s') { "exceed" } else { "exceeds" };
                write!(f, "the PDF's {what} {verb} {limit}{}", unit(what))
            }
            Self::TimedOut(time) => write!(f, "reading the PDF took longer than {time:?}"),
            Self::Malformed(why) => write!(f, "not a PDF this reader understands: {why}"),
        }
    }
}

impl std::error::Error for ReadError {}

fn unit(what: &str) -> &'static str {
    match what {
        "nesting" => " levels",
        "object stream index" => " entries",
        "objects" | "cross-reference entries" | "cross-reference sections" => "",
        _ => " bytes",
    }
}

type Result<T> = std::result::Result<T, ReadError>;

fn malformed(why: &str) -> ReadError {
    ReadError::Malformed(why.to_owned())
}

fn too_large(what: &'static str, limit: usize) -> ReadError {
    ReadError::TooLarge { what, limit: u64::try_from(limit).unwrap_or(u64::MAX) }
}

/// The bytes of the embedded file named `filename` (PDF 1.7 §7.11.4: the catalog's /Names → /EmbeddedFiles name
/// tree → file specification → /EF → /F embedded-file stream), decoded; `Ok(None)` when the PDF has no such
/// attachment. `max_file` bounds the attachment's decoded size (over it: `TooLarge { what: "attached file", .. }`).
///
/// The name tree's key is matched first; failing that, a file specification's own `/UF` or `/F`. The read is
/// CPU-bound for up to `limits.time` on the calling thread: from async code, run it on a blocking thread.
pub fn attachment(pdf: &[u8], filename: &str, max_file: usize, limits: &Limits) -> Result<Option<Vec<u8>>> {
    if pdf.len() > limits.input {
        return Err(too_large("file", limits.input));
    }
    let (mut reader, root) = Reader::open(pdf, limits)?;
    reader.attachment(&root, filename, max_file)
}

/// How far from the start the header may be, and from the end `startxref`.
const HEADER_WINDOW: usize = 1024;
const TAIL_WINDOW: usize = 1024;
/// Work steps between readings of the clock, which costs more than most steps.
const STEPS_PER_CLOCK_READ: u32 = 256;
/// The most of `Limits::depth` used.
const MAX_DEPTH: usize = 256;
