//! The reader: cross-reference data, object lookup (from the file and from object streams), streams, and the
//! search of the embedded-files name tree for the attachment.

use std::{
    collections::{HashMap, HashSet},
    rc::Rc,
};

use super::{
    HEADER_WINDOW, Limits, ReadError, Result, TAIL_WINDOW,
    budget::Budget,
    decode::{Predictor, inflate, row_predictor, unpredict, unsupported_filter},
    malformed,
    object::{Dict, Object, Stream, Val},
    syntax::{Parser, is_space},
    too_large,
};

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

/// A name-tree search: the file specification whose key matched, and the others in case none does.
struct Search<'n> {
    filename: &'n str,
    found: Option<Object>,
    others: Vec<Object>,
    visited: HashSet<u32>,
}

pub(super) struct Reader<'f> {
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
    pub(super) fn open(file: &'f [u8], limits: &Limits) -> Result<(Self, Object)> {
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

    pub(super) fn attachment(&mut self, root: &Object, filename: &str, max_file: usize) -> Result<Option<Vec<u8>>> {
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
