//! The ledger as C2SP tlog-tiles: tile paths, which tiles a tree of a
//! given size consists of, and entry bundles.
//!
//! A hash tile at level L holds up to 256 consecutive Merkle tree hashes of
//! subtrees of 256^L leaves, which are exactly the stored perfect subtrees
//! at tree level 8·L: the registry serves tiles from the subtrees it stores,
//! never keeping them twice.
//!
//! # Examples
//!
//! ```
//! use tlog::tiles::{self, Kind, Tile};
//!
//! // A tree of 300 leaves: a full and a partial tile of level-0 hashes and
//! // of entries, and a partial tile of one level-1 hash.
//! let paths: Vec<String> = tiles::tiles_of(300).iter().map(Tile::path).collect();
//! assert_eq!(paths, ["tile/0/000", "tile/0/001.p/44", "tile/entries/000", "tile/entries/001.p/44", "tile/1/000.p/1"]);
//! assert_eq!(Tile::parse("tile/0/001.p/44"), Some(Tile { kind: Kind::Hashes(0), index: 1, width: 44 }));
//!
//! let bundle = tiles::bundle([&b"one"[..], b"two"]);
//! assert_eq!(tiles::unbundle(&bundle)?, [&b"one"[..], b"two"]);
//! # Ok::<(), String>(())
//! ```

/// Hashes (or entries) in a full tile.
pub const WIDTH: u64 = 256;
/// Tree levels spanned by one tile.
pub const HEIGHT: u32 = 8;
/// The largest entry a bundle can carry (its length is a big-endian u16).
pub const MAX_ENTRY: usize = u16::MAX as usize;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Hashes at tile level L (tree level 8·L).
    Hashes(u8),
    /// An entry bundle (beside level 0).
    Entries,
}

/// One tile: its kind, index in its level and width (256 when full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Hashes (of which level) or entries.
    pub kind: Kind,
    /// The tile's index in its level.
    pub index: u64,
    /// How many hashes or entries it holds: 256, or fewer for a partial tile.
    pub width: u64,
}

impl Tile {
    /// Whether the tile holds 256 hashes or entries.
    pub fn is_full(&self) -> bool {
        self.width == WIDTH
    }

    /// The stored subtrees' tree level: 8·L (entries: 0).
    pub fn tree_level(&self) -> u32 {
        match self.kind {
            Kind::Hashes(level) => u32::from(level) * HEIGHT,
            Kind::Entries => 0,
        }
    }

    /// The index (in its tree level) of the tile's first hash or entry.
    pub fn first(&self) -> u64 {
        self.index * WIDTH
    }

    /// The path under the log's prefix, e.g. `tile/0/x001/x234/067.p/5`.
    pub fn path(&self) -> String {
        let level = match self.kind {
            Kind::Hashes(level) => level.to_string(),
            Kind::Entries => "entries".to_owned(),
        };
        let mut groups = Vec::new();
        let mut rest = self.index;
        loop {
            groups.push(rest % 1000);
            rest /= 1000;
            if rest == 0 {
                break;
            }
        }
        let last = groups.len() - 1;
        let index: Vec<String> = groups
            .iter()
            .rev()
            .enumerate()
            .map(|(i, group)| if i == last { format!("{group:03}") } else { format!("x{group:03}") })
            .collect();
        let partial = if self.is_full() { String::new() } else { format!(".p/{}", self.width) };
        format!("tile/{level}/{}{partial}", index.join("/"))
    }

    /// Parses a path as [`Tile::path`] writes it (exactly: no leading
    /// zeroes where the specification forbids them).
    pub fn parse(path: &str) -> Option<Self> {
        let rest = path.strip_prefix("tile/")?;
        let (level, rest) = rest.split_once('/')?;
        let kind = match level {
            "entries" => Kind::Entries,
            _ => Kind::Hashes(decimal(level).filter(|&l| l <= 63).and_then(|l| u8::try_from(l).ok())?),
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => (index, decimal(width).filter(|w| (1..WIDTH).contains(w))?),
            None => (rest, WIDTH),
        };
        let groups: Vec<&str> = index.split('/').collect();
        let (last, leading) = groups.split_last()?;
        let mut value: u64 = 0;
        for (group, is_last) in leading.iter().map(|g| (g.strip_prefix('x'), false)).chain([(Some(*last), true)]) {
            let group = group?;
            if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) || (!is_last && group.starts_with('x')) {
                return None;
            }
            value = value.checked_mul(1000)?.checked_add(group.parse::<u64>().ok()?)?;
        }
        let tile = Self { kind, index: value, width };
        // One path per tile: "x000/005" would name tile 5 a second way.
        (tile.path() == path).then_some(tile)
    }
}

fn decimal(text: &str) -> Option<u64> {
    let canonical = text == "0" || (!text.starts_with('0') && !text.is_empty());
    if canonical && text.bytes().all(|b| b.is_ascii_digit()) { text.parse().ok() } else { None }
}

/// The tiles of a tree of `size` leaves, entry bundles included: every
/// full tile and the partial tile of each level, lowest level first.
pub fn tiles_of(size: u64) -> Vec<Tile> {
    let mut tiles = Vec::new();
    let mut level = 0u8;
    let mut count = size;
    while count > 0 {
        let kinds: &[Kind] = if level == 0 { &[Kind::Hashes(0), Kind::Entries] } else { &[Kind::Hashes(level)] };
        for &kind in kinds {
            tiles.extend((0..count / WIDTH).map(|index| Tile { kind, index, width: WIDTH }));
            if !count.is_multiple_of(WIDTH) {
                tiles.push(Tile { kind, index: count / WIDTH, width: count % WIDTH });
            }
        }
        count /= WIDTH;
        level += 1;
    }
    tiles
}

/// Whether a tree of `size` leaves has this tile (full, or partial of
/// exactly this width).
///
/// # Examples
///
/// ```
/// use tlog::tiles::{self, Kind, Tile};
///
/// let partial = Tile { kind: Kind::Hashes(0), index: 0, width: 5 };
/// assert!(tiles::exists_in(&partial, 5));
/// assert!(!tiles::exists_in(&partial, 6), "a tree of 6 has the partial tile of width 6");
/// ```
pub fn exists_in(tile: &Tile, size: u64) -> bool {
    let count = match tile.kind {
        Kind::Entries => size,
        Kind::Hashes(level) => WIDTH.checked_pow(u32::from(level)).map_or(0, |span| size / span),
    };
    let end = tile.first().saturating_add(tile.width);
    end <= count && (tile.is_full() || end == count)
}

/// An entry bundle: each entry prefixed with its length as a big-endian u16.
pub fn bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in entries {
        let length = u16::try_from(entry.len()).unwrap_or(u16::MAX);
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(&entry[..usize::from(length)]);
    }
    bytes
}

/// The entries of a bundle.
///
/// # Errors
///
/// When the bundle ends inside an entry or its length.
///
/// # Examples
///
/// ```
/// assert_eq!(tlog::tiles::unbundle(&[0, 2, b'h', b'i'])?, [b"hi"]);
/// assert!(tlog::tiles::unbundle(&[0, 3, b'h', b'i']).is_err());
/// # Ok::<(), String>(())
/// ```
pub fn unbundle(mut bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let [high, low, rest @ ..] = bytes else { return Err("the bundle ends inside a length".into()) };
        let length = usize::from(u16::from_be_bytes([*high, *low]));
        if rest.len() < length {
            return Err(format!("entry {} claims {length} bytes but the bundle ends first", entries.len()));
        }
        entries.push(&rest[..length]);
        bytes = &rest[length..];
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_specification() {
        let tile = Tile { kind: Kind::Hashes(0), index: 1_234_067, width: WIDTH };
        assert_eq!(tile.path(), "tile/0/x001/x234/067");
        assert_eq!(Tile::parse("tile/0/x001/x234/067"), Some(tile));
        let partial = Tile { kind: Kind::Entries, index: 5, width: 17 };
        assert_eq!(partial.path(), "tile/entries/005.p/17");
        assert_eq!(Tile::parse("tile/entries/005.p/17"), Some(partial));
        assert_eq!(Tile { kind: Kind::Hashes(2), index: 1000, width: 1 }.path(), "tile/2/x001/000.p/1");
        for bad in [
            "tile/0/5",
            "tile/0/x000/005",
            "tile/00/005",
            "tile/64/000",
            "tile/0/005.p/0",
            "tile/0/005.p/256",
            "tile/0/005.p/07",
            "tile/0/005/",
            "tile/x/005",
            "tile/0/x005",
            "tile/0/-05",
        ] {
            assert_eq!(Tile::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_tree_of_70000_has_the_tiles_the_specification_lists() {
        let tiles = tiles_of(70_000);
        let count = |kind: Kind, full: bool| tiles.iter().filter(|t| t.kind == kind && t.is_full() == full).count();
        assert_eq!(count(Kind::Hashes(0), true), 273);
        assert_eq!(count(Kind::Entries, true), 273);
        assert!(tiles.contains(&Tile { kind: Kind::Hashes(0), index: 273, width: 112 }));
        assert_eq!(count(Kind::Hashes(1), true), 1);
        assert!(tiles.contains(&Tile { kind: Kind::Hashes(1), index: 1, width: 17 }));
        assert!(tiles.contains(&Tile { kind: Kind::Hashes(2), index: 0, width: 1 }));
        assert_eq!(tiles.len(), 273 * 2 + 2 + 1 + 1 + 1);
        assert!(tiles.iter().all(|tile| exists_in(tile, 70_000)));
        assert!(!exists_in(&Tile { kind: Kind::Hashes(0), index: 273, width: 111 }, 70_000));
        assert!(!exists_in(&Tile { kind: Kind::Hashes(0), index: 274, width: WIDTH }, 70_000));
        assert_eq!(tiles_of(256).len(), 3);
        assert!(tiles_of(0).is_empty());
    }

    #[test]
    fn bundles_round_trip() {
        let entries: Vec<&[u8]> = vec![b"one", b"", &[7u8; 300]];
        let bytes = bundle(entries.clone());
        assert_eq!(&bytes[..2], &[0, 3]);
        assert_eq!(unbundle(&bytes), Ok(entries));
        assert!(unbundle(&bytes[..bytes.len() - 1]).is_err());
        assert!(unbundle(&[0]).is_err());
    }
}
