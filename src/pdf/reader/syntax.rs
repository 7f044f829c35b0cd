//! The parser: PDF 1.7 §7.2 lexical conventions and §7.3 objects.

use super::{
    ReadError, Result,
    budget::Budget,
    malformed,
    object::{Dict, Object},
    too_large,
};

pub(super) fn is_space(byte: u8) -> bool {
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
pub(super) struct Parser<'d, 'b> {
    data: &'d [u8],
    clipped: bool,
    start: usize,
    pub(super) pos: usize,
    pub(super) budget: &'b mut Budget,
}

impl Drop for Parser<'_, '_> {
    fn drop(&mut self) {
        let read = self.pos.saturating_sub(self.start);
        self.budget.parsed = self.budget.parsed.saturating_add(read);
    }
}

impl<'d, 'b> Parser<'d, 'b> {
    pub(super) fn new(data: &'d [u8], pos: usize, budget: &'b mut Budget) -> Self {
        let end = pos.saturating_add(budget.parse_room()).min(data.len());
        Self { data: data.get(..end).unwrap_or_default(), clipped: end < data.len(), start: pos, pos, budget }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.data.get(self.pos.saturating_add(ahead)).copied()
    }

    pub(super) fn rest(&self) -> &'d [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// The error for running out of data: out of budget if the data was cut short for the budget.
    fn end_of_data(&self) -> ReadError {
        if self.clipped { self.budget.parsed_too_much() } else { malformed("unexpected end of data") }
    }

    pub(super) fn skip_space(&mut self) -> Result<()> {
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
    pub(super) fn word(&mut self) -> Result<&'d [u8]> {
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.budget.step()?;
            self.pos += 1;
        }
        Ok(self.data.get(start..self.pos).unwrap_or_default())
    }

    /// A non-negative integer, as in cross-reference tables, object headers and object stream indexes.
    pub(super) fn unsigned(&mut self) -> Result<usize> {
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
    pub(super) fn object_header(&mut self) -> Result<u32> {
        let number = self.unsigned()?;
        self.unsigned()?;
        self.keyword(b"obj")?;
        u32::try_from(number).map_err(|_| malformed("object number out of range"))
    }

    /// Where a stream's data starts, if the `stream` keyword follows.
    pub(super) fn stream_start(&mut self) -> Result<Option<usize>> {
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

    pub(super) fn object(&mut self, depth: usize) -> Result<Object> {
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
