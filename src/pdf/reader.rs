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

use std::{
    collections::{HashMap, HashSet},
    fmt,
    ops::Deref,
    rc::Rc,
    time::{Duration, Instant},
};

use miniz_oxide::inflate::{
    TINFLStatus,
    core::{
        DecompressorOxide, decompress,
        inflate_flags::{TINFL_FLAG_PARSE_ZLIB_HEADER, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF},
    },
};

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

// ---------------------------------------------------------------------------------------------------------------
// Objects

#[derive(Debug, Clone, PartialEq)]
enum Object {
    Null,
    Bool(bool),
    Integer(i64),
    Real(f64),
    String(Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Object>),
    Dict(Dict),
    /// An indirect reference by object number; generations are not needed to find an attachment.
    Reference(u32),
    Stream(Stream),
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Dict(Vec<(Vec<u8>, Object)>);

/// A stream's dictionary and where its raw data lies in the file.
#[derive(Debug, Clone, PartialEq)]
struct Stream {
    dict: Dict,
    start: usize,
    end: usize,
}

impl Dict {
    /// The value of `key`; a repeated key's last value, as lopdf does.
    fn get(&self, key: &[u8]) -> Option<&Object> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, value)| value)
    }
}

impl Object {
    fn as_dict(&self) -> Option<&Dict> {
        match self {
            Self::Dict(dict) => Some(dict),
            Self::Stream(stream) => Some(&stream.dict),
            _ => None,
        }
    }

    fn as_usize(&self) -> Option<usize> {
        match self {
            Self::Integer(n) => usize::try_from(*n).ok(),
            _ => None,
        }
    }

    fn as_name(&self) -> Option<&[u8]> {
        match self {
            Self::Name(name) => Some(name),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<&[u8]> {
        match self {
            Self::String(string) => Some(string),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&[Object]> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// A resolved object: borrowed when it was direct, shared with the cache when it was indirect.
enum Val<'o> {
    Borrowed(&'o Object),
    Shared(Rc<Object>),
}

impl Deref for Val<'_> {
    type Target = Object;

    fn deref(&self) -> &Object {
        match self {
            Self::Borrowed(object) => object,
            Self::Shared(object) => object,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The budget: what has been spent of each limit.

struct Budget {
    limits: Limits,
    deadline: Option<Instant>,
    steps: u32,
    objects: usize,
    parsed: usize,
    decompressed: usize,
    xref_entries: usize,
    index_pairs: usize,
}

impl Budget {
    fn new(limits: &Limits) -> Self {
        Self {
            limits: Limits { depth: limits.depth.min(MAX_DEPTH), ..limits.clone() },
            // A time too far ahead to represent is no deadline.
            deadline: Instant::now().checked_add(limits.time),
            steps: 0,
            objects: 0,
            parsed: 0,
            decompressed: 0,
            xref_entries: 0,
            index_pairs: 0,
        }
    }

    /// One small step of work.
    fn step(&mut self) -> Result<()> {
        self.steps = self.steps.wrapping_add(1);
        if self.steps.is_multiple_of(STEPS_PER_CLOCK_READ) { self.check_clock() } else { Ok(()) }
    }

    fn check_clock(&self) -> Result<()> {
        match self.deadline {
            Some(deadline) if Instant::now() >= deadline => Err(ReadError::TimedOut(self.limits.time)),
            _ => Ok(()),
        }
    }

    /// One more parsed object, held in memory at up to ~150 bytes, which is why fewer objects may be parsed than
    /// cross-reference entries (~30 bytes) kept.
    fn object(&mut self) -> Result<()> {
        self.step()?;
        charge(&mut self.objects, 1, self.limits.objects / 10, "objects")
    }

    fn xref_entries(&mut self, count: usize) -> Result<()> {
        charge(&mut self.xref_entries, count, self.limits.objects, "cross-reference entries")
    }

    fn index_pair(&mut self) -> Result<()> {
        self.step()?;
        charge(&mut self.index_pairs, 1, self.limits.object_stream_entries, "object stream index")
    }

    fn parse_room(&self) -> usize {
        self.limits.input.saturating_sub(self.parsed)
    }

    fn parsed_too_much(&self) -> ReadError {
        too_large("parsed bytes", self.limits.input)
    }

    fn decode_room(&self) -> usize {
        self.limits.decompressed.saturating_sub(self.decompressed)
    }
}

fn charge(used: &mut usize, amount: usize, limit: usize, what: &'static str) -> Result<()> {
    match used.checked_add(amount) {
        Some(total) if total <= limit => {
            *used = total;
            Ok(())
        }
        _ => Err(too_large(what, limit)),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The parser: PDF 1.7 §7.2 lexical conventions and §7.3 objects.

fn is_space(byte: u8) -> bool {
    matches!(byte, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delimiter(byte: u8) -> bool {
    matches!(byte, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn is_regular(byte: u8) -> bool {
    !is_space(byte) && !is_delimiter(byte)
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Reads objects from `data` starting at a position. It sees only as many bytes as the parse budget has left,
/// and pays for the bytes it read when dropped, whether it succeeded or not.
struct Parser<'d, 'b> {
    data: &'d [u8],
    clipped: bool,
    start: usize,
    pos: usize,
    budget: &'b mut Budget,
}

impl Drop for Parser<'_, '_> {
    fn drop(&mut self) {
        let read = self.pos.saturating_sub(self.start);
        self.budget.parsed = self.budget.parsed.saturating_add(read);
    }
}

impl<'d, 'b> Parser<'d, 'b> {
    fn new(data: &'d [u8], pos: usize, budget: &'b mut Budget) -> Self {
        let end = pos.saturating_add(budget.parse_room()).min(data.len());
        Self { data: data.get(..end).unwrap_or_default(), clipped: end < data.len(), start: pos, pos, budget }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.data.get(self.pos.saturating_add(ahead)).copied()
    }

    fn rest(&self) -> &'d [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// The error for running out of data: out of budget if the data was cut short for the budget.
    fn end_of_data(&self) -> ReadError {
        if self.clipped { self.budget.parsed_too_much() } else { malformed("unexpected end of data") }
    }

    fn skip_space(&mut self) -> Result<()> {
        loop {
            self.budget.step()?;
            match self.peek() {
                Some(byte) if is_space(byte) => self.pos += 1,
                Some(b'%') => {
                    while let Some(byte) = self.peek()
                        && byte != b'\n'
                        && byte != b'\r'
                    {
                        self.budget.step()?;
                        self.pos += 1;
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// A run of regular characters: a keyword, or part of a number.
    fn word(&mut self) -> Result<&'d [u8]> {
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.budget.step()?;
            self.pos += 1;
        }
        Ok(self.data.get(start..self.pos).unwrap_or_default())
    }

    /// A non-negative integer, as in cross-reference tables, object headers and object stream indexes.
    fn unsigned(&mut self) -> Result<usize> {
        self.skip_space()?;
        if self.peek().is_none() {
            return Err(self.end_of_data());
        }
        let digits = self.word()?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(malformed("expected a non-negative integer"));
        }
        digits
            .iter()
            .try_fold(0usize, |n, digit| n.checked_mul(10)?.checked_add(usize::from(digit - b'0')))
            .ok_or_else(|| malformed("integer out of range"))
    }

    fn keyword(&mut self, expected: &[u8]) -> Result<()> {
        self.skip_space()?;
        if self.peek().is_none() {
            return Err(self.end_of_data());
        }
        if self.word()? == expected { Ok(()) } else { Err(malformed("unexpected keyword")) }
    }

    /// `n g obj`, answering n.
    fn object_header(&mut self) -> Result<u32> {
        let number = self.unsigned()?;
        self.unsigned()?;
        self.keyword(b"obj")?;
        u32::try_from(number).map_err(|_| malformed("object number out of range"))
    }

    /// Where a stream's data starts, if the `stream` keyword follows.
    fn stream_start(&mut self) -> Result<Option<usize>> {
        self.skip_space()?;
        let Some(after) = self.rest().strip_prefix(b"stream") else { return Ok(None) };
        let eol = match after {
            [b'\r', b'\n', ..] => 2,
            [b'\n' | b'\r', ..] => 1,
            _ => 0,
        };
        self.pos += "stream".len() + eol;
        Ok(Some(self.pos))
    }

    fn object(&mut self, depth: usize) -> Result<Object> {
        if depth > self.budget.limits.depth {
            return Err(too_large("nesting", self.budget.limits.depth));
        }
        self.budget.object()?;
        self.skip_space()?;
        match self.peek() {
            None => Err(self.end_of_data()),
            Some(b'[') => self.array(depth),
            Some(b'<') if self.peek_at(1) == Some(b'<') => self.dict(depth).map(Object::Dict),
            Some(b'<') => self.hex_string(),
            Some(b'(') => self.literal_string(),
            Some(b'/') => self.name().map(Object::Name),
            Some(b'0'..=b'9' | b'+' | b'-' | b'.') => self.number_or_reference(),
            Some(_) => match self.word()? {
                b"true" => Ok(Object::Bool(true)),
                b"false" => Ok(Object::Bool(false)),
                b"null" => Ok(Object::Null),
                _ => Err(malformed("unexpected token")),
            },
        }
    }

    fn array(&mut self, depth: usize) -> Result<Object> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space()?;
            match self.peek() {
                None => return Err(self.end_of_data()),
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Object::Array(items));
                }
                Some(_) => items.push(self.object(depth + 1)?),
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Dict> {
        self.pos += 2;
        let mut entries = Vec::new();
        loop {
            self.skip_space()?;
            match self.peek() {
                None => return Err(self.end_of_data()),
                Some(b'>') if self.peek_at(1) == Some(b'>') => {
                    self.pos += 2;
                    return Ok(Dict(entries));
                }
                Some(b'/') => {
                    self.budget.object()?;
                    let key = self.name()?;
                    let value = self.object(depth + 1)?;
                    entries.push((key, value));
                }
                Some(_) => return Err(malformed("a dictionary key is not a name")),
            }
        }
    }

    /// `/Name`, with `#xx` escapes decoded.
    fn name(&mut self) -> Result<Vec<u8>> {
        self.pos += 1;
        let mut name = Vec::new();
        while let Some(byte) = self.peek()
            && is_regular(byte)
        {
            self.budget.step()?;
            self.pos += 1;
            let escaped = self.peek().and_then(hex_value).zip(self.peek_at(1).and_then(hex_value));
            match escaped {
                Some((high, low)) if byte == b'#' => {
                    name.push(high << 4 | low);
                    self.pos += 2;
                }
                _ => name.push(byte),
            }
        }
        Ok(name)
    }

    /// `(...)`: balanced parentheses, backslash escapes, end-of-line markers read as `\n`.
    fn literal_string(&mut self) -> Result<Object> {
        self.pos += 1;
        let mut string = Vec::new();
        let mut open = 0usize;
        loop {
            self.budget.step()?;
            let Some(byte) = self.peek() else { return Err(self.end_of_data()) };
            self.pos += 1;
            match byte {
                b'(' => {
                    open += 1;
                    string.push(byte);
                }
                b')' if open == 0 => return Ok(Object::String(string)),
                b')' => {
                    open -= 1;
                    string.push(byte);
                }
                b'\\' => self.escape(&mut string)?,
                b'\r' => {
                    self.skip_byte(b'\n');
                    string.push(b'\n');
                }
                _ => string.push(byte),
            }
        }
    }

    fn escape(&mut self, string: &mut Vec<u8>) -> Result<()> {
        let Some(byte) = self.peek() else { return Err(self.end_of_data()) };
        self.pos += 1;
        match byte {
            b'n' => string.push(b'\n'),
            b'r' => string.push(b'\r'),
            b't' => string.push(b'\t'),
            b'b' => string.push(b'\x08'),
            b'f' => string.push(b'\x0c'),
            b'0'..=b'7' => {
                let mut value = byte - b'0';
                for _ in 0..2 {
                    match self.peek() {
                        Some(digit @ b'0'..=b'7') => {
                            // A high-order overflow is ignored (§7.3.4.2).
                            value = value.wrapping_mul(8).wrapping_add(digit - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                string.push(value);
            }
            // A backslash before an end of line continues the string on the next line.
            b'\r' => self.skip_byte(b'\n'),
            b'\n' => {}
            // \( \) \\ and unknown escapes stand for the character itself.
            _ => string.push(byte),
        }
        Ok(())
    }

    fn skip_byte(&mut self, byte: u8) {
        if self.peek() == Some(byte) {
            self.pos += 1;
        }
    }

    /// `<...>`: hex digits, whitespace ignored, a missing last digit read as 0.
    fn hex_string(&mut self) -> Result<Object> {
        self.pos += 1;
        let mut string = Vec::new();
        let mut high = None;
        loop {
            self.budget.step()?;
            let Some(byte) = self.peek() else { return Err(self.end_of_data()) };
            self.pos += 1;
            if byte == b'>' {
                string.extend(high.map(|high: u8| high << 4));
                return Ok(Object::String(string));
            }
            if is_space(byte) {
                continue;
            }
            let Some(value) = hex_value(byte) else { return Err(malformed("bad hex string")) };
            match high.take() {
                Some(high) => string.push(high << 4 | value),
                None => high = Some(value),
            }
        }
    }

    fn number_or_reference(&mut self) -> Result<Object> {
        let unsigned = self.peek().is_some_and(|byte| byte.is_ascii_digit());
        let number = self.number()?;
        if let Object::Integer(n) = number
            && unsigned
            && let Ok(object_number) = u32::try_from(n)
        {
            let after = self.pos;
            if self.reference_tail()? {
                return Ok(Object::Reference(object_number));
            }
            self.pos = after;
        }
        Ok(number)
    }

    /// Whether ` g R` follows, consuming it if so.
    fn reference_tail(&mut self) -> Result<bool> {
        self.skip_space()?;
        if !self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            return Ok(false);
        }
        let generation = self.word()?;
        if !generation.iter().all(u8::is_ascii_digit) {
            return Ok(false);
        }
        self.skip_space()?;
        let is_reference = self.peek() == Some(b'R') && !self.peek_at(1).is_some_and(is_regular);
        if is_reference {
            self.pos += 1;
        }
        Ok(is_reference)
    }

    fn number(&mut self) -> Result<Object> {
        let start = self.pos;
        while let Some(byte) = self.peek()
            && (byte.is_ascii_digit() || matches!(byte, b'+' | b'-' | b'.'))
        {
            self.budget.step()?;
            self.pos += 1;
        }
        let text = self.data.get(start..self.pos).and_then(|text| std::str::from_utf8(text).ok()).unwrap_or_default();
        let number = if text.contains('.') {
            text.parse().map(Object::Real).ok()
        } else {
            text.parse().map(Object::Integer).ok()
        };
        number.ok_or_else(|| malformed("bad number"))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The reader: cross-reference data, object lookup, streams.

/// Where an object lives, from the cross-reference data.
#[derive(Debug, Clone, Copy)]
enum Entry {
    InFile(usize),
    InStream { stream: u32, index: usize },
}

/// A decoded object stream, its index read only as far as needed.
struct ObjectStream {
    data: Vec<u8>,
    first: usize,
    count: usize,
    offsets: Vec<(usize, usize)>,
    index_pos: usize,
}

impl ObjectStream {
    /// The offset of the `index`th object, which must be object `number`, reading index pairs up to it.
    fn offset_of(&mut self, index: usize, number: u32, budget: &mut Budget) -> Result<usize> {
        if index >= self.count {
            return Err(malformed("an object stream index is out of range"));
        }
        let header = self.data.get(..self.first).unwrap_or_default();
        while self.offsets.len() <= index {
            budget.index_pair()?;
            let mut parser = Parser::new(header, self.index_pos, budget);
            let pair = (parser.unsigned()?, parser.unsigned()?);
            self.index_pos = parser.pos;
            self.offsets.push(pair);
        }
        match self.offsets.get(index) {
            Some(&(listed, offset)) if u32::try_from(listed) == Ok(number) => Ok(offset),
            _ => Err(malformed("an object stream index names another object")),
        }
    }
}

/// A row predictor applied after FlateDecode (§7.4.4.4), with its row size already checked.
enum Predictor {
    None,
    Tiff { row: usize, pixel: usize },
    Png { row: usize, pixel: usize },
}

/// A name-tree search: the file specification whose key matched, and the others in case none does.
struct Search<'n> {
    filename: &'n str,
    found: Option<Object>,
    others: Vec<Object>,
    visited: HashSet<u32>,
}

struct Reader<'f> {
    file: &'f [u8],
    budget: Budget,
    xref: HashMap<u32, Entry>,
    cache: HashMap<u32, Rc<Object>>,
    object_streams: HashMap<u32, ObjectStream>,
    /// Objects being loaded, innermost last: a reference cycle shows up here.
    resolving: Vec<u32>,
}

impl<'f> Reader<'f> {
    /// The reader and the catalog reference, from the header and the cross-reference data.
    fn open(file: &'f [u8], limits: &Limits) -> Result<(Self, Object)> {
        let mut reader = Self {
            file,
            budget: Budget::new(limits),
            xref: HashMap::new(),
            cache: HashMap::new(),
            object_streams: HashMap::new(),
            resolving: Vec::new(),
        };
        let head = file.get(..HEADER_WINDOW).unwrap_or(file);
        if !head.windows(5).any(|window| window == b"%PDF-") {
            return Err(malformed("no %PDF- header"));
        }
        let newest = reader.startxref()?;
        let root = reader.read_cross_references(newest)?;
        // What was looked up while the cross-reference data was incomplete (a /Length, say) may have been
        // resolved against too few entries.
        reader.cache.clear();
        reader.object_streams.clear();
        Ok((reader, root))
    }

    fn startxref(&mut self) -> Result<usize> {
        let tail_start = self.file.len().saturating_sub(TAIL_WINDOW);
        let tail = self.file.get(tail_start..).unwrap_or_default();
        let Some(at) = tail.windows(9).rposition(|window| window == b"startxref") else {
            return Err(malformed("no startxref near the end"));
        };
        Parser::new(self.file, tail_start + at + "startxref".len(), &mut self.budget).unsigned()
    }

    /// Reads the cross-reference sections from the newest back along `/Prev`, the newest entry for each object
    /// winning, and answers the trailer's `/Root`.
    fn read_cross_references(&mut self, newest: usize) -> Result<Object> {
        let mut root = None;
        let mut seen = HashSet::new();
        let mut next = Some(newest);
        while let Some(offset) = next {
            self.budget.check_clock()?;
            // A /Prev loop leads back to a section already read.
            if !seen.insert(offset) {
                break;
            }
            if seen.len() > self.budget.limits.depth {
                return Err(too_large("cross-reference sections", self.budget.limits.depth));
            }
            let trailer = self.read_section(offset, &mut seen)?;
            if trailer.get(b"Encrypt").is_some() {
                return Err(malformed("encrypted PDFs are not read"));
            }
            if root.is_none() {
                root = trailer.get(b"Root").cloned();
            }
            next = trailer.get(b"Prev").and_then(Object::as_usize);
        }
        root.ok_or_else(|| malformed("no /Root in the trailer"))
    }

    /// One section, a table or a stream, answering its trailer dictionary.
    fn read_section(&mut self, offset: usize, seen: &mut HashSet<usize>) -> Result<Dict> {
        let at = {
            let mut parser = Parser::new(self.file, offset, &mut self.budget);
            parser.skip_space()?;
            parser.rest().starts_with(b"xref").then_some(parser.pos + "xref".len())
        };
        let Some(table) = at else { return self.read_xref_stream(offset) };
        let trailer = self.read_xref_table(table)?;
        // A hybrid file's table leaves the objects in object streams to the stream (§7.5.8.4); the table's
        // entries were read first, so they win.
        if let Some(stream) = trailer.get(b"XRefStm").and_then(Object::as_usize)
            && seen.insert(stream)
        {
            self.read_xref_stream(stream)?;
        }
        Ok(trailer)
    }

    /// A classic `xref` table (§7.5.4) from just after the keyword, then its `trailer` dictionary.
    fn read_xref_table(&mut self, pos: usize) -> Result<Dict> {
        let mut parser = Parser::new(self.file, pos, &mut self.budget);
        loop {
            parser.skip_space()?;
            if parser.rest().starts_with(b"trailer") {
                parser.pos += "trailer".len();
                return match parser.object(0)? {
                    Object::Dict(trailer) => Ok(trailer),
                    _ => Err(malformed("the trailer is not a dictionary")),
                };
            }
            let first = parser.unsigned()?;
            let count = parser.unsigned()?;
            parser.budget.xref_entries(count)?;
            for i in 0..count {
                let offset = parser.unsigned()?;
                parser.unsigned()?;
                parser.skip_space()?;
                match parser.word()? {
                    b"n" => {
                        let number = object_number(first, i)?;
                        self.xref.entry(number).or_insert(Entry::InFile(offset));
                    }
                    b"f" => {}
                    _ => return Err(malformed("bad cross-reference table entry")),
                }
            }
        }
    }

    /// A cross-reference stream (§7.5.8), answering its dictionary, which is also the trailer.
    fn read_xref_stream(&mut self, offset: usize) -> Result<Dict> {
        let Object::Stream(stream) = self.object_at(offset, None)? else {
            return Err(malformed("startxref points at neither a table nor a stream"));
        };
        if stream.dict.get(b"Type").and_then(Object::as_name) != Some(b"XRef") {
            return Err(malformed("startxref points at a stream that is not /Type /XRef"));
        }
        let widths = xref_widths(&stream.dict)?;
        let sections = xref_index(&stream.dict)?;
        let total = sections.iter().try_fold(0usize, |total, &(_, count)| total.checked_add(count));
        self.budget.xref_entries(total.unwrap_or(usize::MAX))?;
        let data = self.decode(&stream, None)?;
        let row: usize = widths.iter().sum();
        if row == 0 || total.and_then(|total| total.checked_mul(row)).is_none_or(|size| size > data.len()) {
            return Err(malformed("the cross-reference stream is shorter than its /Index"));
        }
        let mut rows = data.chunks_exact(row);
        for (first, count) in sections {
            for i in 0..count {
                self.budget.step()?;
                let Some(bytes) = rows.next() else { break };
                let (kind, field, index) = xref_fields(bytes, widths);
                let entry = match (kind, usize::try_from(field), u32::try_from(field)) {
                    (1, Ok(offset), _) => Entry::InFile(offset),
                    (2, _, Ok(stream)) => {
                        Entry::InStream { stream, index: usize::try_from(index).unwrap_or(usize::MAX) }
                    }
                    // Free entries, and types this reader does not know, which read as null (§7.5.8.3).
                    _ => continue,
                };
                self.xref.entry(object_number(first, i)?).or_insert(entry);
            }
        }
        Ok(stream.dict)
    }

    /// The object at a file offset, which must be object `expected` when given.
    fn object_at(&mut self, offset: usize, expected: Option<u32>) -> Result<Object> {
        let (number, value, data_start) = {
            let mut parser = Parser::new(self.file, offset, &mut self.budget);
            let number = parser.object_header()?;
            let value = parser.object(0)?;
            (number, value, parser.stream_start()?)
        };
        if expected.is_some_and(|expected| expected != number) {
            return Err(malformed("a cross-reference offset points at another object"));
        }
        match (value, data_start) {
            (Object::Dict(dict), Some(start)) => {
                let end = self.stream_end(&dict, start)?;
                Ok(Object::Stream(Stream { dict, start, end }))
            }
            (value, _) => Ok(value),
        }
    }

    /// Where a stream's data ends: at `/Length` if `endstream` follows there, else before the next `endstream`.
    fn stream_end(&mut self, dict: &Dict, start: usize) -> Result<usize> {
        let length = match dict.get(b"Length").map(|length| self.resolve(length)) {
            Some(Ok(length)) => length.as_usize(),
            // A /Length that cannot be resolved, such as one referring to its own stream, is as good as wrong.
            None | Some(Err(ReadError::Malformed(_))) => None,
            Some(Err(limit)) => return Err(limit),
        };
        if let Some(end) = length.and_then(|length| start.checked_add(length))
            && self.endstream_at(end)
        {
            return Ok(end);
        }
        self.search_endstream(start)
    }

    fn endstream_at(&self, end: usize) -> bool {
        let rest = self.file.get(end..).unwrap_or_default();
        let keyword = rest.iter().take(32).position(|&byte| !is_space(byte)).and_then(|at| rest.get(at..));
        keyword.is_some_and(|keyword| keyword.starts_with(b"endstream"))
    }

    /// The fallback for a wrong `/Length`: the search is paid for from the parse budget.
    fn search_endstream(&mut self, start: usize) -> Result<usize> {
        let window_end = start.saturating_add(self.budget.parse_room()).min(self.file.len());
        let window = self.file.get(start..window_end).unwrap_or_default();
        let found = find(window, b"endstream", &mut self.budget)?;
        let searched = found.map_or(window.len(), |at| at + "endstream".len());
        self.budget.parsed = self.budget.parsed.saturating_add(searched);
        let Some(at) = found else {
            return Err(if window_end < self.file.len() {
                self.budget.parsed_too_much()
            } else {
                malformed("a stream has no endstream")
            });
        };
        let data = window.get(..at).unwrap_or_default();
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        let data = data.strip_suffix(b"\r").unwrap_or(data);
        Ok(start + data.len())
    }

    /// Follows references until a direct object; a reference to a missing object is null (§7.3.10).
    fn resolve<'o>(&mut self, object: &'o Object) -> Result<Val<'o>> {
        let Object::Reference(mut number) = *object else { return Ok(Val::Borrowed(object)) };
        for _ in 0..=self.budget.limits.depth {
            let target = self.lookup(number)?;
            match *target {
                Object::Reference(next) => number = next,
                _ => return Ok(Val::Shared(target)),
            }
        }
        Err(too_large("nesting", self.budget.limits.depth))
    }

    /// Object `number`, parsed once and cached.
    fn lookup(&mut self, number: u32) -> Result<Rc<Object>> {
        self.budget.check_clock()?;
        if let Some(object) = self.cache.get(&number) {
            return Ok(Rc::clone(object));
        }
        if self.resolving.contains(&number) {
            return Err(malformed("an object refers to itself"));
        }
        if self.resolving.len() >= self.budget.limits.depth {
            return Err(too_large("nesting", self.budget.limits.depth));
        }
        self.resolving.push(number);
        let loaded = self.load(number);
        self.resolving.pop();
        let object = Rc::new(loaded?);
        self.cache.insert(number, Rc::clone(&object));
        Ok(object)
    }

    fn load(&mut self, number: u32) -> Result<Object> {
        match self.xref.get(&number).copied() {
            None => Ok(Object::Null),
            Some(Entry::InFile(offset)) => self.object_at(offset, Some(number)),
            Some(Entry::InStream { stream, index }) => self.compressed_object(number, stream, index),
        }
    }

    /// Object `number`, the `index`th of object stream `stream` (§7.5.7).
    fn compressed_object(&mut self, number: u32, stream: u32, index: usize) -> Result<Object> {
        if !self.object_streams.contains_key(&stream) {
            let opened = self.open_object_stream(stream)?;
            self.object_streams.insert(stream, opened);
        }
        let Some(objects) = self.object_streams.get_mut(&stream) else {
            return Err(malformed("an object stream could not be opened"));
        };
        let offset = objects.offset_of(index, number, &mut self.budget)?;
        let start = objects.first.checked_add(offset).ok_or_else(|| malformed("bad object stream offset"))?;
        Parser::new(&objects.data, start, &mut self.budget).object(0)
    }

    fn open_object_stream(&mut self, number: u32) -> Result<ObjectStream> {
        // An object stream inside an object stream is not allowed (§7.5.7), and would be a way to loop.
        if !matches!(self.xref.get(&number), Some(Entry::InFile(_))) {
            return Err(malformed("an object stream is not stored in the file itself"));
        }
        let object = self.lookup(number)?;
        let Object::Stream(stream) = &*object else { return Err(malformed("an object stream is not a stream")) };
        if stream.dict.get(b"Type").and_then(Object::as_name) != Some(b"ObjStm") {
            return Err(malformed("an object stream is not /Type /ObjStm"));
        }
        let count = stream.dict.get(b"N").and_then(Object::as_usize);
        let first = stream.dict.get(b"First").and_then(Object::as_usize);
        let (Some(count), Some(first)) = (count, first) else {
            return Err(malformed("an object stream lacks /N or /First"));
        };
        if count > self.budget.limits.object_stream_entries {
            return Err(too_large("object stream index", self.budget.limits.object_stream_entries));
        }
        let data = self.decode(stream, None)?;
        if first > data.len() {
            return Err(malformed("an object stream's /First is past its end"));
        }
        Ok(ObjectStream { data, first, count, offsets: Vec::new(), index_pos: 0 })
    }

    // -- Streams (§7.4)

    /// A stream's decoded data; `file_limit`, when given, bounds it as an attached file.
    fn decode(&mut self, stream: &Stream, file_limit: Option<usize>) -> Result<Vec<u8>> {
        let raw = self.file.get(stream.start..stream.end).ok_or_else(|| malformed("a stream is past the end"))?;
        let filter = self.filter(&stream.dict)?;
        let room = self.budget.decode_room();
        let (limit, exceeded) = match file_limit {
            Some(max_file) if max_file < room => (max_file, too_large("attached file", max_file)),
            _ => (room, too_large("decompressed streams", self.budget.limits.decompressed)),
        };
        let data = match filter {
            None if raw.len() > limit => return Err(exceeded),
            None => raw.to_vec(),
            Some(filter) if filter == b"FlateDecode" => {
                // The row size is checked before anything is inflated.
                let predictor = self.predictor(&stream.dict)?;
                let mut data = inflate(raw, limit, exceeded, &self.budget)?;
                self.budget.decompressed = self.budget.decompressed.saturating_add(data.len());
                self.budget.check_clock()?;
                unpredict(&mut data, &predictor, &mut self.budget)?;
                return Ok(data);
            }
            Some(filter) => return Err(unsupported_filter(&filter)),
        };
        self.budget.decompressed = self.budget.decompressed.saturating_add(data.len());
        Ok(data)
    }

    /// The stream's one filter, if any: a name, or an array of at most one.
    fn filter(&mut self, dict: &Dict) -> Result<Option<Vec<u8>>> {
        let Some(filter) = dict.get(b"Filter") else { return Ok(None) };
        let filter = self.resolve(filter)?;
        match &*filter {
            Object::Null => Ok(None),
            Object::Name(name) => Ok(Some(name.clone())),
            Object::Array(filters) => match filters.as_slice() {
                [] => Ok(None),
                [Object::Name(name)] => Ok(Some(name.clone())),
                _ => Err(malformed("unsupported filter chain")),
            },
            _ => Err(malformed("a /Filter is not a name")),
        }
    }

    fn predictor(&mut self, dict: &Dict) -> Result<Predictor> {
        let Some(params) = dict.get(b"DecodeParms") else { return Ok(Predictor::None) };
        let params = self.resolve(params)?;
        let params = match &*params {
            Object::Array(params) => params.first().unwrap_or(&Object::Null),
            params => params,
        };
        let params = self.resolve(params)?;
        match params.as_dict() {
            Some(params) => row_predictor(params, self.budget.limits.predictor_row),
            None => Ok(Predictor::None),
        }
    }

    // -- The attachment (§7.11)

    fn attachment(&mut self, root: &Object, filename: &str, max_file: usize) -> Result<Option<Vec<u8>>> {
        let catalog = self.resolve(root)?;
        if catalog.as_dict().is_none() {
            return Err(malformed("the catalog is not a dictionary"));
        }
        let Some(names) = self.entry(&catalog, b"Names")? else { return Ok(None) };
        let Some(tree) = self.entry(&names, b"EmbeddedFiles")? else { return Ok(None) };
        let mut search = Search { filename, found: None, others: Vec::new(), visited: HashSet::new() };
        self.search_tree(&tree, 0, &mut search)?;
        let spec = match search.found.take() {
            Some(spec) => Some(spec),
            None => self.spec_named(filename, &search.others)?,
        };
        match spec {
            Some(spec) => self.embedded_file(&spec, max_file),
            None => Ok(None),
        }
    }

    /// The value of a dictionary's `key`, resolved; `None` when absent or null.
    fn entry<'o>(&mut self, holder: &'o Object, key: &[u8]) -> Result<Option<Val<'o>>> {
        let Some(value) = holder.as_dict().and_then(|dict| dict.get(key)) else { return Ok(None) };
        let value = self.resolve(value)?;
        Ok((!matches!(*value, Object::Null)).then_some(value))
    }

    /// Walks a name tree (§7.9.6) for the key `search.filename`, noting the other entries on the way.
    fn search_tree(&mut self, node: &Object, depth: usize, search: &mut Search<'_>) -> Result<()> {
        if depth > self.budget.limits.depth {
            return Err(too_large("nesting", self.budget.limits.depth));
        }
        if let Some(names) = self.entry(node, b"Names")? {
            let Some(names) = names.as_array() else { return Err(malformed("a name tree's /Names is not an array")) };
            for pair in names.chunks(2) {
                // Each entry looked at is paid for, in case many nodes share one /Names array.
                self.budget.object()?;
                let [key, spec] = pair else { break };
                let key = self.resolve(key)?;
                if key.as_string().is_some_and(|key| text_is(key, search.filename)) {
                    search.found = Some(spec.clone());
                    return Ok(());
                }
                search.others.push(spec.clone());
            }
        }
        if let Some(kids) = self.entry(node, b"Kids")? {
            let Some(kids) = kids.as_array() else { return Err(malformed("a name tree's /Kids is not an array")) };
            for kid in kids {
                self.budget.step()?;
                if let Object::Reference(number) = kid
                    && !search.visited.insert(*number)
                {
                    continue;
                }
                let kid = self.resolve(kid)?;
                self.search_tree(&kid, depth + 1, search)?;
                if search.found.is_some() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The first file specification whose own name, `/UF` or `/F`, is `filename`: for trees keyed otherwise.
    fn spec_named(&mut self, filename: &str, specs: &[Object]) -> Result<Option<Object>> {
        for spec in specs {
            self.budget.step()?;
            let resolved = self.resolve(spec)?;
            for key in [&b"UF"[..], b"F"] {
                let name = self.entry(&resolved, key)?;
                if name.as_deref().and_then(Object::as_string).is_some_and(|name| text_is(name, filename)) {
                    return Ok(Some(spec.clone()));
                }
            }
        }
        Ok(None)
    }

    /// The decoded embedded file of a file specification: its `/EF` `/F` (or `/UF`) stream.
    fn embedded_file(&mut self, spec: &Object, max_file: usize) -> Result<Option<Vec<u8>>> {
        let spec = self.resolve(spec)?;
        let Some(embedded) = self.entry(&spec, b"EF")? else { return Ok(None) };
        let file = match self.entry(&embedded, b"F")? {
            Some(file) => Some(file),
            None => self.entry(&embedded, b"UF")?,
        };
        let Some(file) = file else { return Ok(None) };
        let Object::Stream(stream) = &*file else { return Err(malformed("an embedded file is not a stream")) };
        self.decode(stream, Some(max_file)).map(Some)
    }
}

fn object_number(first: usize, i: usize) -> Result<u32> {
    first
        .checked_add(i)
        .and_then(|number| u32::try_from(number).ok())
        .ok_or_else(|| malformed("object number out of range"))
}

/// `/W`: the byte widths of a cross-reference stream's three fields, each at most 8.
fn xref_widths(dict: &Dict) -> Result<[usize; 3]> {
    let widths = dict.get(b"W").and_then(Object::as_array).unwrap_or_default();
    match widths {
        [a, b, c] => {
            let widths = [a, b, c].map(|width| width.as_usize().filter(|&width| width <= 8));
            match widths {
                [Some(a), Some(b), Some(c)] => Ok([a, b, c]),
                _ => Err(malformed("bad /W in a cross-reference stream")),
            }
        }
        _ => Err(malformed("bad /W in a cross-reference stream")),
    }
}

/// `/Index`: the (first object, count) subsections, by default `[0 /Size]`.
fn xref_index(dict: &Dict) -> Result<Vec<(usize, usize)>> {
    let bad = || malformed("bad /Index in a cross-reference stream");
    let Some(index) = dict.get(b"Index") else {
        let size = dict.get(b"Size").and_then(Object::as_usize).ok_or_else(bad)?;
        return Ok(vec![(0, size)]);
    };
    let index = index.as_array().ok_or_else(bad)?;
    index
        .chunks(2)
        .map(|pair| match pair {
            [first, count] => first.as_usize().zip(count.as_usize()).ok_or_else(bad),
            _ => Err(bad()),
        })
        .collect()
}

/// A cross-reference stream row's three big-endian fields; a missing type field means type 1.
fn xref_fields(row: &[u8], widths: [usize; 3]) -> (u64, u64, u64) {
    let [kind, field, _] = widths;
    let (kind_bytes, rest) = row.split_at_checked(kind).unwrap_or_default();
    let (field_bytes, index_bytes) = rest.split_at_checked(field).unwrap_or_default();
    // Widths are at most 8 bytes, so every field fits.
    let big_endian = |bytes: &[u8]| bytes.iter().fold(0u64, |n, &byte| n << 8 | u64::from(byte));
    let kind = if kind == 0 { 1 } else { big_endian(kind_bytes) };
    (kind, big_endian(field_bytes), big_endian(index_bytes))
}

fn unsupported_filter(name: &[u8]) -> ReadError {
    // Only a few characters of the input are echoed, and only printable ones.
    let shown: String =
        name.iter().take(24).map(|&byte| if byte.is_ascii_graphic() { char::from(byte) } else { '?' }).collect();
    ReadError::Malformed(format!("unsupported filter {shown}"))
}

/// Inflates zlib data into at most `limit` bytes, beyond which it answers `exceeded`. Unlike miniz_oxide's
/// `decompress_to_vec_zlib_with_limit`, whose `Vec::resize` may reserve up to twice the limit, the buffer grows
/// exactly; and the clock is read after every `STEP` bytes.
fn inflate(raw: &[u8], limit: usize, exceeded: ReadError, budget: &Budget) -> Result<Vec<u8>> {
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
fn row_predictor(params: &Dict, max_row: usize) -> Result<Predictor> {
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

fn unpredict(data: &mut Vec<u8>, predictor: &Predictor, budget: &mut Budget) -> Result<()> {
    match *predictor {
        Predictor::None => Ok(()),
        Predictor::Tiff { row, pixel } => unpredict_tiff(data, row, pixel, budget),
        Predictor::Png { row, pixel } => unpredict_png(data, row, pixel, budget),
    }
}

/// TIFF predictor 2 for 8-bit components: each byte is stored as the difference from the same component of the
/// pixel to its left.
fn unpredict_tiff(data: &mut [u8], row: usize, pixel: usize, budget: &mut Budget) -> Result<()> {
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
fn unpredict_png(data: &mut Vec<u8>, row: usize, pixel: usize, budget: &mut Budget) -> Result<()> {
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

fn paeth(left: u8, up: u8, up_left: u8) -> u8 {
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

/// The first position of `needle` in `haystack`, reading the clock between chunks.
fn find(haystack: &[u8], needle: &[u8], budget: &mut Budget) -> Result<Option<usize>> {
    const CHUNK: usize = 64 << 10;
    let mut from = 0;
    while from < haystack.len() {
        budget.check_clock()?;
        let to = from.saturating_add(CHUNK + needle.len()).min(haystack.len());
        let chunk = haystack.get(from..to).unwrap_or_default();
        if let Some(at) = chunk.windows(needle.len()).position(|window| window == needle) {
            return Ok(Some(from + at));
        }
        from += CHUNK;
    }
    Ok(None)
}

/// Whether a PDF text string (§7.9.2.2: UTF-16BE with a BOM, UTF-8 with a BOM, or PDFDocEncoding, read here as
/// Latin-1) is `wanted`. Raw UTF-8 without a BOM, as lopdf writes it, also matches.
fn text_is(text: &[u8], wanted: &str) -> bool {
    if let Some(utf16) = text.strip_prefix(&[0xFE, 0xFF]) {
        let units = utf16.chunks_exact(2).map(|pair| pair.try_into().map_or(0, u16::from_be_bytes));
        utf16.len().is_multiple_of(2) && char::decode_utf16(units).map(|c| c.ok()).eq(wanted.chars().map(Some))
    } else if let Some(utf8) = text.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        utf8 == wanted.as_bytes()
    } else {
        text == wanted.as_bytes() || text.iter().map(|&byte| char::from(byte)).eq(wanted.chars())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use lopdf::{Document, Object as Lopdf, Stream as LopdfStream, StringFormat, dictionary};

    use super::{super::bombs, *};

    const MAX_FILE: usize = 1 << 20;

    fn read(pdf: &[u8], filename: &str) -> Result<Option<Vec<u8>>> {
        attachment(pdf, filename, MAX_FILE, &Limits::default())
    }

    /// A one-page-less PDF with `files` attached the way `pdf::attachment::attach` does, saved by lopdf with a
    /// classic table, or with object and cross-reference streams when `modern`.
    fn lopdf_pdf(files: &[(&str, &[u8])], modern: bool) -> Vec<u8> {
        let mut document = Document::with_version("1.7");
        let pages = document.new_object_id();
        document
            .objects
            .insert(pages, Lopdf::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![], "Count" => 0 }));
        let catalog = document.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
        document.trailer.set("Root", catalog);
        let mut tree = Vec::new();
        for &(name, bytes) in files {
            let params = dictionary! { "Size" => i64::try_from(bytes.len()).unwrap_or_default() };
            let file = dictionary! { "Type" => "EmbeddedFile", "Subtype" => "application#2Fjson", "Params" => params };
            let file = document.add_object(LopdfStream::new(file, bytes.to_vec()));
            let name = Lopdf::String(name.as_bytes().to_vec(), StringFormat::Literal);
            let spec = dictionary! {
                "Type" => "Filespec", "F" => name.clone(), "UF" => name.clone(), "EF" => dictionary! { "F" => file },
            };
            let spec = document.add_object(spec);
            tree.extend([name, Lopdf::Reference(spec)]);
        }
        if !files.is_empty()
            && let Ok(Lopdf::Dictionary(catalog)) = document.get_object_mut(catalog)
        {
            catalog.set("Names", dictionary! { "EmbeddedFiles" => dictionary! { "Names" => tree } });
        }
        let mut pdf = Vec::new();
        let saved = if modern { document.save_modern(&mut pdf) } else { document.save_to(&mut pdf) };
        assert!(saved.is_ok());
        pdf
    }

    /// A PDF with a classic table whose object n is `objects[n - 1]`, and `trailer` inside the trailer dictionary.
    fn classic(objects: &[&str], trailer: &str) -> Vec<u8> {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).bytes());
        }
        let xref = pdf.len();
        pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
        for offset in offsets {
            pdf.extend(format!("{offset:010} 00000 n \n").bytes());
        }
        pdf.extend(format!("trailer\n<< /Size {} {trailer} >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).bytes());
        pdf
    }

    /// `pdf` with an incremental update that replaces or adds `objects`, its trailer holding `trailer`.
    fn updated(pdf: &[u8], objects: &[(u32, &str)], trailer: &str) -> Vec<u8> {
        let previous = String::from_utf8_lossy(pdf);
        let previous = previous.rsplit("startxref").next().unwrap_or_default().trim().trim_end_matches("%%EOF").trim();
        let mut pdf = pdf.to_vec();
        let mut table = String::from("xref\n");
        for &(number, body) in objects {
            table.push_str(&format!("{number} 1\n{:010} 00000 n \n", pdf.len()));
            pdf.extend(format!("{number} 0 obj\n{body}\nendobj\n").bytes());
        }
        let xref = pdf.len();
        pdf.extend(format!("{table}trailer\n<< {trailer} /Prev {previous} >>\nstartxref\n{xref}\n%%EOF\n").bytes());
        pdf
    }

    const TREE: &str = "<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(a.json) 2 0 R] >> >> >>";
    const SPEC: &str = "<< /Type /Filespec /F (a.json) /UF (a.json) /EF << /F 3 0 R >> >>";

    #[test]
    fn reads_an_attachment_lopdf_saved_with_a_classic_table() {
        let pdf = lopdf_pdf(&[("certificate.json", b"{\"a\":1}"), ("certificate.tlog-proof", b"proof")], false);
        assert_eq!(read(&pdf, "certificate.json"), Ok(Some(b"{\"a\":1}".to_vec())));
        assert_eq!(read(&pdf, "certificate.tlog-proof"), Ok(Some(b"proof".to_vec())));
        assert_eq!(read(&pdf, "other.json"), Ok(None));
    }

    #[test]
    fn reads_an_attachment_lopdf_saved_with_object_streams() {
        let pdf = lopdf_pdf(&[("certificate.json", b"{}"), ("certificate.tlog-proof", b"proof")], true);
        assert!(pdf.windows(7).any(|w| w == b"/ObjStm"));
        assert_eq!(read(&pdf, "certificate.json"), Ok(Some(b"{}".to_vec())));
        assert_eq!(read(&pdf, "certificate.tlog-proof"), Ok(Some(b"proof".to_vec())));
    }

    #[test]
    fn a_pdf_without_attachments_has_none() {
        assert_eq!(read(&lopdf_pdf(&[], false), "certificate.json"), Ok(None));
        assert_eq!(read(&lopdf_pdf(&[], true), "certificate.json"), Ok(None));
    }

    #[test]
    fn what_is_not_a_pdf_is_malformed() {
        for input in [&b"not a pdf"[..], b"", b"%PDF-1.7\n", b"%PDF-1.7\nstartxref\n999\n%%EOF"] {
            assert!(matches!(read(input, "a"), Err(ReadError::Malformed(_))), "{input:?}");
        }
        let pdf = lopdf_pdf(&[("a.json", b"{}")], false);
        for cut in [pdf.len() / 3, pdf.len() / 2, pdf.len() - 40] {
            assert!(matches!(read(pdf.get(..cut).unwrap_or_default(), "a.json"), Err(ReadError::Malformed(_))));
        }
    }

    /// Runs one bomb, answering the error and how long it took.
    fn explode(pdf: &[u8]) -> (ReadError, Duration) {
        let started = Instant::now();
        let result = read(pdf, "certificate.json");
        let elapsed = started.elapsed();
        eprintln!("{} bytes: {result:?} in {elapsed:?}", pdf.len());
        (result.err().unwrap_or(ReadError::Malformed("read".into())), elapsed)
    }

    #[test]
    fn a_huge_predictor_row_is_refused_before_allocating() {
        let (error, elapsed) = explode(&bombs::predictor_columns());
        assert_eq!(error, ReadError::TooLarge { what: "predictor row", limit: 64 << 10 });
        assert!(elapsed < Duration::from_millis(100));
    }

    #[test]
    fn an_inflation_bomb_stops_at_the_decompressed_limit() {
        let (error, elapsed) = explode(&bombs::inflation(1536 << 20));
        assert_eq!(error, ReadError::TooLarge { what: "decompressed streams", limit: 8 << 20 });
        assert!(elapsed < Duration::from_secs(1));
    }

    #[test]
    fn a_repeated_object_stream_index_is_refused() {
        let (error, elapsed) = explode(&bombs::repeated_offsets(100_000));
        assert_eq!(error, ReadError::TooLarge { what: "object stream index", limit: 10_000 });
        assert!(elapsed < Duration::from_millis(100));
    }

    #[test]
    fn the_bombs_shapes_are_read_when_within_the_limits() {
        // The catalog has no /Names: read all the way, no attachment.
        assert_eq!(read(&bombs::inflation(1 << 20), "a"), Ok(None));
        assert_eq!(read(&bombs::repeated_offsets(10_000), "a"), Ok(None));
        // Allowed its row, the predictor finds the catalog is not PNG-filtered.
        let limits = Limits { predictor_row: 1 << 30, ..Limits::default() };
        let result = attachment(&bombs::predictor_columns(), "a", MAX_FILE, &limits);
        assert_eq!(result, Err(ReadError::Malformed("unknown PNG filter type".into())));
    }

    #[test]
    fn an_incremental_update_wins_over_what_it_replaces() {
        let original = classic(&[TREE, SPEC, "<< /Length 3 >>\nstream\nold\nendstream"], "/Root 1 0 R");
        let pdf = updated(&original, &[(3, "<< /Length 3 >>\nstream\nnew\nendstream")], "/Size 4 /Root 1 0 R");
        assert_eq!(read(&original, "a.json"), Ok(Some(b"old".to_vec())));
        assert_eq!(read(&pdf, "a.json"), Ok(Some(b"new".to_vec())));
        // The catalog may come from an older trailer.
        let pdf = updated(&original, &[(3, "<< /Length 3 >>\nstream\nnew\nendstream")], "/Size 4");
        assert_eq!(read(&pdf, "a.json"), Ok(Some(b"new".to_vec())));
    }

    #[test]
    fn a_hybrid_file_reads_objects_from_its_xrefstm() {
        // The table marks object 3 free; the cross-reference stream named by /XRefStm has it.
        let table = classic(&[TREE, SPEC, "<< /Length 3 >>\nstream\nabc\nendstream"], "/Root 1 0 R");
        let text = String::from_utf8_lossy(&table).into_owned();
        let file_offset = text.find("3 0 obj").unwrap_or_default();
        let xref = text.rfind("xref\n0 ").unwrap_or_default();
        let mut pdf = table.get(..xref).unwrap_or_default().to_vec();
        let stream = pdf.len();
        let [_, offset @ ..] = u32::try_from(file_offset).unwrap_or_default().to_be_bytes();
        pdf.extend(b"4 0 obj\n<< /Type /XRef /Size 5 /Index [3 1] /W [1 3 1] /Length 5 >>\nstream\n\x01");
        pdf.extend(offset);
        pdf.extend(b"\x00\nendstream\nendobj\n");
        let table_at = pdf.len();
        let entries: String =
            text.get(xref..).unwrap_or_default().lines().skip(2).take(3).map(|line| format!("{line}\n")).collect();
        pdf.extend(format!("xref\n0 5\n{entries}0000000000 00001 f \n0000000000 00001 f \n").bytes());
        pdf.extend(
            format!("trailer\n<< /Size 5 /Root 1 0 R /XRefStm {stream} >>\nstartxref\n{table_at}\n%%EOF\n").bytes(),
        );
        assert_eq!(read(&pdf, "a.json"), Ok(Some(b"abc".to_vec())));
    }

    #[test]
    fn a_prev_loop_ends() {
        let original = classic(&[TREE, SPEC, "<< /Length 3 >>\nstream\nold\nendstream"], "/Root 1 0 R");
        let xref = String::from_utf8_lossy(&original).rfind("xref\n0 ").unwrap_or_default();
        let pdf =
            classic(&[TREE, SPEC, "<< /Length 3 >>\nstream\nold\nendstream"], &format!("/Root 1 0 R /Prev {xref}"));
        assert_eq!(read(&pdf, "a.json"), Ok(Some(b"old".to_vec())));
    }

    #[test]
    fn too_many_sections_are_refused() {
        let mut pdf = classic(&[TREE, SPEC, "<< /Length 3 >>\nstream\nold\nendstream"], "/Root 1 0 R");
        for _ in 0..40 {
            pdf = updated(&pdf, &[(3, "<< /Length 3 >>\nstream\nnew\nendstream")], "/Size 4");
        }
        assert_eq!(read(&pdf, "a.json"), Err(ReadError::TooLarge { what: "cross-reference sections", limit: 32 }));
    }

    #[test]
    fn a_wrong_or_indirect_length_is_coped_with() {
        for file in ["<< /Length 99 >>\nstream\nabc\nendstream", "<< /Length 4 0 R >>\nstream\nabc\nendstream"] {
            let pdf = classic(&[TREE, SPEC, file, "3"], "/Root 1 0 R");
            assert_eq!(read(&pdf, "a.json"), Ok(Some(b"abc".to_vec())), "{file}");
        }
        let pdf = classic(&[TREE, SPEC, "<< /Length 3 0 R >>\nstream\nabc\nendstream"], "/Root 1 0 R");
        assert_eq!(read(&pdf, "a.json"), Ok(Some(b"abc".to_vec())));
    }

    #[test]
    fn a_reference_cycle_is_malformed() {
        let pdf = classic(&["2 0 R", "1 0 R"], "/Root 1 0 R");
        assert!(matches!(read(&pdf, "a.json"), Err(ReadError::Malformed(_) | ReadError::TooLarge { .. })));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("<< /Type /Catalog /X {}1{} >>", "[".repeat(1000), "]".repeat(1000));
        let pdf = classic(&[&deep], "/Root 1 0 R");
        assert_eq!(read(&pdf, "a"), Err(ReadError::TooLarge { what: "nesting", limit: 32 }));
    }

    #[test]
    fn nesting_is_bounded_whatever_the_limit() {
        let deep = format!("<< /Type /Catalog /X {}1{} >>", "[<< /A ".repeat(5000), " >>]".repeat(5000));
        let pdf = classic(&[&deep], "/Root 1 0 R");
        let limits = Limits { depth: usize::MAX, ..Limits::default() };
        let result = attachment(&pdf, "a", 1, &limits);
        assert_eq!(result, Err(ReadError::TooLarge { what: "nesting", limit: MAX_DEPTH as u64 }));
    }

    #[test]
    fn an_attachment_over_max_file_is_refused() {
        let pdf = lopdf_pdf(&[("a.json", &[b'x'; 100])], false);
        let result = attachment(&pdf, "a.json", 99, &Limits::default());
        assert_eq!(result, Err(ReadError::TooLarge { what: "attached file", limit: 99 }));
        assert_eq!(attachment(&pdf, "a.json", 100, &Limits::default()), Ok(Some(vec![b'x'; 100])));
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&[b'x'; 100], 6);
        let file = format!("<< /Filter /FlateDecode /Length {} >>\nstream\n", compressed.len());
        let mut pdf = b"%PDF-1.7\n".to_vec();
        let offsets: Vec<usize> = [TREE, SPEC, &file]
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let offset = pdf.len();
                pdf.extend(format!("{} 0 obj\n{body}", i + 1).bytes());
                if i < 2 {
                    pdf.extend_from_slice(b"\nendobj\n");
                }
                offset
            })
            .collect();
        pdf.extend(compressed);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        let xref = pdf.len();
        pdf.extend(b"xref\n0 4\n0000000000 65535 f \n");
        for offset in offsets {
            pdf.extend(format!("{offset:010} 00000 n \n").bytes());
        }
        pdf.extend(format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").bytes());
        assert_eq!(attachment(&pdf, "a.json", 99, &Limits::default()), result);
        assert_eq!(attachment(&pdf, "a.json", 100, &Limits::default()), Ok(Some(vec![b'x'; 100])));
    }

    #[test]
    fn the_clock_stops_an_inflation_part_way() {
        let limits = Limits { time: Duration::from_millis(1), ..Limits::default() };
        let bomb = bombs::inflation(1536 << 20);
        let started = Instant::now();
        let result = attachment(&bomb, "a", MAX_FILE, &limits);
        assert_eq!(result, Err(ReadError::TimedOut(limits.time)));
        assert!(started.elapsed() < Duration::from_millis(50), "{:?}", started.elapsed());
    }

    #[test]
    fn many_objects_are_refused() {
        let many = format!("<< /Type /Catalog /X [{}] >>", "0 ".repeat(20_000));
        let pdf = classic(&[&many], "/Root 1 0 R");
        assert_eq!(read(&pdf, "a"), Err(ReadError::TooLarge { what: "objects", limit: 10_000 }));
        let pdf = String::from_utf8_lossy(&classic(&[TREE], "/Root 1 0 R")).replace("0 2\n", "0 200000\n");
        let result = read(pdf.as_bytes(), "a");
        assert_eq!(result, Err(ReadError::TooLarge { what: "cross-reference entries", limit: 100_000 }));
    }

    #[test]
    fn bytes_parsed_again_and_again_are_paid_for() {
        // Objects 4, 5 and 6 are one 900 KiB string; the name tree's keys point at each in turn.
        let string = format!("({})", "a".repeat(900 << 10));
        let catalog =
            "<< /Type /Catalog /Names << /EmbeddedFiles << /Names [4 0 R 1 0 R 5 0 R 1 0 R 6 0 R 1 0 R] >> >> >>";
        let index = format!("1 0 4 {0} 5 {0} 6 {0} ", catalog.len());
        let data = miniz_oxide::deflate::compress_to_vec_zlib(format!("{index}{catalog}{string}").as_bytes(), 6);
        let dict = format!("/Type /ObjStm /N 4 /First {} /Filter /FlateDecode", index.len());
        let pdf = bombs::object_stream_pdf(&dict, &data, &[0, 1, 2, 3]);
        assert_eq!(read(&pdf, "a"), Err(ReadError::TooLarge { what: "parsed bytes", limit: 2 << 20 }));
        let limits = Limits { input: 3 << 20, ..Limits::default() };
        assert_eq!(attachment(&pdf, "a", MAX_FILE, &limits), Ok(None));
    }

    #[test]
    fn a_file_over_the_input_limit_is_refused_first() {
        let limits = Limits { input: 8, ..Limits::default() };
        assert_eq!(attachment(b"not a pdf", "a", 1, &limits), Err(ReadError::TooLarge { what: "file", limit: 8 }));
    }

    #[test]
    fn the_clock_is_checked() {
        let pdf = lopdf_pdf(&[("a.json", b"{}")], false);
        let limits = Limits { time: Duration::ZERO, ..Limits::default() };
        assert_eq!(attachment(&pdf, "a.json", 10, &limits), Err(ReadError::TimedOut(Duration::ZERO)));
    }

    #[test]
    fn an_encrypted_pdf_is_refused() {
        let pdf = classic(&[TREE, SPEC, "<< /Length 3 >>\nstream\nabc\nendstream"], "/Root 1 0 R /Encrypt << >>");
        assert!(matches!(read(&pdf, "a.json"), Err(ReadError::Malformed(_))));
    }

    #[test]
    fn other_filters_are_refused() {
        let pdf = classic(&[TREE, SPEC, "<< /Length 3 /Filter /LZWDecode >>\nstream\nabc\nendstream"], "/Root 1 0 R");
        assert_eq!(read(&pdf, "a.json"), Err(ReadError::Malformed("unsupported filter LZWDecode".into())));
    }

    #[test]
    fn names_are_matched_as_pdf_text() {
        // UTF-16BE with a BOM, a hex string and #-escaped names.
        let tree =
            "<< /Type /Cat#61log /Names << /EmbeddedFiles << /Names [<FEFF00E9002E006A0073006F006E> 2 0 R] >> >> >>";
        let pdf = classic(&[tree, SPEC, "<< /Length 3 >>\nstream\nabc\nendstream"], "/Root 1 0 R");
        assert_eq!(read(&pdf, "é.json"), Ok(Some(b"abc".to_vec())));
        // A key that differs from the file specification's name: the name is used.
        assert_eq!(read(&pdf, "a.json"), Ok(Some(b"abc".to_vec())));
        assert_eq!(read(&pdf, "b.json"), Ok(None));
    }

    #[test]
    fn name_trees_with_kids_are_walked_once() {
        let tree = "<< /Names << /EmbeddedFiles 4 0 R >> >>";
        let kids = "<< /Kids [5 0 R 4 0 R 5 0 R 6 0 R] >>";
        let pdf = classic(
            &[
                tree,
                SPEC,
                "<< /Length 3 >>\nstream\nabc\nendstream",
                kids,
                "<< /Kids [4 0 R] >>",
                "<< /Names [(a.json) 2 0 R] >>",
            ],
            "/Root 1 0 R",
        );
        assert_eq!(read(&pdf, "a.json"), Ok(Some(b"abc".to_vec())));
    }

    #[test]
    fn literal_strings_are_unescaped() {
        let mut budget = Budget::new(&Limits::default());
        let mut parser =
            Parser::new(b"(a(b)c\\)\\n\\101\\1010\\\r\nd\r\ne) <61 62 6> /A#42 -1.5 7 0 R 8", 0, &mut budget);
        assert_eq!(parser.object(0), Ok(Object::String(b"a(b)c)\nAA0d\ne".to_vec())));
        assert_eq!(parser.object(0), Ok(Object::String(b"ab`".to_vec())));
        assert_eq!(parser.object(0), Ok(Object::Name(b"AB".to_vec())));
        assert_eq!(parser.object(0), Ok(Object::Real(-1.5)));
        assert_eq!(parser.object(0), Ok(Object::Reference(7)));
        assert_eq!(parser.object(0), Ok(Object::Integer(8)));
    }

    /// PNG-filters `rows` with the filter types in turn, the way an encoder would.
    fn png_encode(rows: &[&[u8]], pixel: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut previous = vec![0u8; rows.first().map_or(0, |row| row.len())];
        for (n, row) in rows.iter().enumerate() {
            let filter = u8::try_from(n % 5).unwrap_or_default();
            out.push(filter);
            for (i, &byte) in row.iter().enumerate() {
                let left = i.checked_sub(pixel).and_then(|j| row.get(j)).copied().unwrap_or(0);
                let up = previous.get(i).copied().unwrap_or(0);
                let up_left = i.checked_sub(pixel).and_then(|j| previous.get(j)).copied().unwrap_or(0);
                let predicted = match filter {
                    1 => left,
                    2 => up,
                    3 => u8::try_from((u16::from(left) + u16::from(up)) / 2).unwrap_or_default(),
                    4 => paeth(left, up, up_left),
                    _ => 0,
                };
                out.push(byte.wrapping_sub(predicted));
            }
            previous = row.to_vec();
        }
        out
    }

    #[test]
    fn png_and_tiff_predictors_are_undone() {
        let rows: [&[u8]; 7] = [
            b"\x01\x02\x03\x04\xff\xfe",
            b"\x10\x80\x03\x04\x05\x06",
            b"\x00\x00\x00\xff\xff\xff",
            b"abcdef",
            b"zyxwvu",
            b"\x7f\x80\x81\x82\x83\x84",
            b"\x09\x08",
        ];
        let mut budget = Budget::new(&Limits::default());
        let mut data = png_encode(&rows, 2);
        assert!(unpredict_png(&mut data, 6, 2, &mut budget).is_ok());
        assert_eq!(data, rows.concat());
        let mut data = vec![1, 2, 3, 1, 1, 1, 5, 5, 5, 1, 1, 1];
        assert!(unpredict_tiff(&mut data, 6, 3, &mut budget).is_ok());
        assert_eq!(data, [1, 2, 3, 2, 3, 4, 5, 5, 5, 6, 6, 6]);
        let mut data = vec![7, 0];
        assert!(unpredict_png(&mut data, 6, 2, &mut budget).is_err());
    }

    #[test]
    fn a_cross_reference_stream_with_a_png_predictor_is_read() {
        // qpdf's shape: /W [1 2 1] rows, each PNG-filtered with Up, then Flate.
        let classic = classic(&[TREE, SPEC, "<< /Length 3 >>\nstream\nabc\nendstream"], "/Root 1 0 R");
        let table = classic.windows(5).rposition(|w| w == b"xref\n").unwrap_or_default();
        let text = String::from_utf8_lossy(&classic).into_owned();
        let offsets = text.match_indices(" 0 obj").filter_map(|(at, _)| text.get(..at)?.rfind('\n').map(|nl| nl + 1));
        let mut pdf = classic.get(..table).unwrap_or_default().to_vec();
        let xref = pdf.len();
        let mut rows = vec![[0, 0, 0, 255]];
        rows.extend(offsets.chain([xref]).map(|offset| {
            let [high, low] = u16::try_from(offset).unwrap_or_default().to_be_bytes();
            [1, high, low, 0]
        }));
        let mut filtered = Vec::new();
        let mut previous = [0u8; 4];
        for row in &rows {
            filtered.push(2);
            filtered.extend(row.iter().zip(previous).map(|(byte, above)| byte.wrapping_sub(above)));
            previous = *row;
        }
        let data = miniz_oxide::deflate::compress_to_vec_zlib(&filtered, 6);
        let dict = format!(
            "<< /Type /XRef /Size 5 /W [1 2 1] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 \
             /Columns 4 >> /Length {} >>",
            data.len()
        );
        pdf.extend(format!("4 0 obj\n{dict}\nstream\n").bytes());
        pdf.extend(data);
        pdf.extend(format!("\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n").bytes());
        assert_eq!(read(&pdf, "a.json"), Ok(Some(b"abc".to_vec())));
    }

    #[test]
    fn errors_read_as_sentences() {
        let error = ReadError::TooLarge { what: "decompressed streams", limit: 8_388_608 };
        assert_eq!(error.to_string(), "the PDF's decompressed streams exceed 8388608 bytes");
        let error = ReadError::TooLarge { what: "nesting", limit: 32 };
        assert_eq!(error.to_string(), "the PDF's nesting exceeds 32 levels");
        assert_eq!(ReadError::TooLarge { what: "file", limit: 9 }.to_string(), "the PDF is larger than 9 bytes");
        assert_eq!(ReadError::TimedOut(Duration::from_secs(2)).to_string(), "reading the PDF took longer than 2s");
    }

    #[test]
    fn the_bombs_are_as_small_as_reported() {
        assert!(bombs::predictor_columns().len() < 410, "{}", bombs::predictor_columns().len());
        assert!(bombs::repeated_offsets(100_000).len() < 2_900, "{}", bombs::repeated_offsets(100_000).len());
    }

    #[test]
    fn the_inflation_bomb_is_valid_zlib() {
        let pdf = bombs::inflation(3 << 20);
        let start = pdf.windows(7).position(|w| w == b"stream\n").map(|at| at + 7).unwrap_or_default();
        let end = pdf.windows(10).position(|w| w == b"\nendstream").unwrap_or_default();
        let data = miniz_oxide::inflate::decompress_to_vec_zlib(pdf.get(start..end).unwrap_or_default());
        let data = data.map_err(|error| error.status);
        let expected =
            [format!("1 {} ", 3 << 20).into_bytes(), vec![0; 3 << 20], b"<< /Type /Catalog >>".to_vec()].concat();
        assert!(data == Ok(expected));
    }
}
