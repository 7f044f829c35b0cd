//! The object model (PDF 1.7 §7.3) as far as finding an attachment needs: what the parser produces and the
//! reader looks up.

use std::{ops::Deref, rc::Rc};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Object {
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
pub(super) struct Dict(pub(super) Vec<(Vec<u8>, Object)>);

/// A stream's dictionary and where its raw data lies in the file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stream {
    pub(super) dict: Dict,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Dict {
    /// The value of `key`; a repeated key's last value, as lopdf does.
    pub(super) fn get(&self, key: &[u8]) -> Option<&Object> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, value)| value)
    }
}

impl Object {
    pub(super) fn as_dict(&self) -> Option<&Dict> {
        match self {
            Self::Dict(dict) => Some(dict),
            Self::Stream(stream) => Some(&stream.dict),
            _ => None,
        }
    }

    pub(super) fn as_usize(&self) -> Option<usize> {
        match self {
            Self::Integer(n) => usize::try_from(*n).ok(),
            _ => None,
        }
    }

    pub(super) fn as_name(&self) -> Option<&[u8]> {
        match self {
            Self::Name(name) => Some(name),
            _ => None,
        }
    }

    pub(super) fn as_string(&self) -> Option<&[u8]> {
        match self {
            Self::String(string) => Some(string),
            _ => None,
        }
    }

    pub(super) fn as_array(&self) -> Option<&[Object]> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// A resolved object: borrowed when it was direct, shared with the cache when it was indirect.
pub(super) enum Val<'o> {
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
