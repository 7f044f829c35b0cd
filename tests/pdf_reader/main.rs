//! The bounded PDF reader (`dataip::pdf::reader`) on files from outside:
//! PDFs as real tools write them, and mutations of them. A test binary of
//! its own, because it counts allocations with a global allocator.
//!
//! On mutated PDFs the reader never panics, answers within its time limit, and allocates no more than its limits
//! allow: the allocator refuses anything past `input + decompressed + 8 MiB` during a read, which aborts the test.

use std::{
    alloc::System,
    sync::OnceLock,
    time::{Duration, Instant},
};

use cap::Cap;
use dataip::pdf::reader::{Limits, ReadError, attachment};
use proptest::{
    prelude::*,
    sample::Index,
    test_runner::{Config, TestCaseError, TestRunner},
};

#[path = "../../src/pdf/bombs.rs"]
mod bombs;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const MAX_FILE: usize = 1 << 20;
/// Memory a read may use beyond its decoded streams: parsed objects, the cross-reference map, buffers.
const OVERHEAD: usize = 8 << 20;

const FIXTURES: [&[u8]; 4] = [
    include_bytes!("fixtures/lopdf-classic.pdf"),
    include_bytes!("fixtures/lopdf-objstm.pdf"),
    include_bytes!("fixtures/lopdf-qdf.pdf"),
    include_bytes!("fixtures/dataip-certificate.pdf"),
];

/// Text spliced in at random places: structure, and numbers that ask for huge amounts.
const SPLICES: [&str; 16] = [
    " 99999999999999999999 ",
    " /Length 2147483647 ",
    " /N 100000000 ",
    " /First 4294967295 ",
    " /DecodeParms << /Predictor 12 /Columns 1073741824 >> ",
    " /DecodeParms << /Predictor 2 /Colors 3 /BitsPerComponent 8 /Columns 4 >> ",
    " /W [8 8 8] ",
    " /Index [0 4294967295] ",
    " /Prev 0 ",
    " 1 0 R ",
    "(((((((((\\",
    "stream\n",
    "endstream",
    "%",
    " /Filter /FlateDecode ",
    " /Kids [1 0 R 2 0 R 3 0 R] ",
];

/// Values put in place of the value after a key.
const KEYS: [&str; 9] = ["/Length", "/N", "/First", "/Columns", "/W", "/Size", "/Prev", "/Index", "/Root"];
const VALUES: [&str; 9] =
    ["0", "-1", "4294967296", "1073741824", "99999999999999999999", "[0 999999999]", "[8 8 8]", "1 0 R", "3.5"];

/// A change to a PDF. Most keep its length, so that the cross-reference offsets still hold and the reader gets
/// past them to the changed objects.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Truncate(Index),
    /// Splices one of `SPLICES` in, over existing bytes unless inserting.
    Splice(Index, usize, bool),
    /// Deep nesting, over existing bytes unless inserting.
    Nest(Index, usize, bool),
    /// Puts one of `VALUES` in place of the value after an occurrence of one of `KEYS`.
    Replace(usize, Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let insert = prop::bool::weighted(0.2);
    prop_oneof![
        3 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip(at, byte)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        3 => (any::<Index>(), 0..SPLICES.len(), insert).prop_map(|(at, splice, insert)| Mutation::Splice(at, splice, insert)),
        1 => (any::<Index>(), 1..5000usize, insert).prop_map(|(at, depth, insert)| Mutation::Nest(at, depth, insert)),
        4 => (0..KEYS.len(), any::<Index>(), 0..VALUES.len()).prop_map(|(key, nth, value)| Mutation::Replace(key, nth, value)),
    ]
}

fn apply(pdf: &mut Vec<u8>, mutation: &Mutation) {
    match mutation {
        Mutation::Flip(at, byte) => {
            let at = at.index(pdf.len().max(1));
            if let Some(target) = pdf.get_mut(at) {
                *target = *byte;
            }
        }
        Mutation::Truncate(at) => pdf.truncate(at.index(pdf.len() + 1)),
        Mutation::Splice(at, splice, insert) => {
            let text = SPLICES.get(*splice).copied().unwrap_or_default();
            let at = at.index(pdf.len() + 1);
            put(pdf, at, text.as_bytes(), *insert);
        }
        Mutation::Nest(at, depth, insert) => {
            let nest = if depth % 2 == 0 { "[".repeat(*depth) } else { "<< /A ".repeat(*depth) };
            let at = at.index(pdf.len() + 1);
            put(pdf, at, nest.as_bytes(), *insert);
        }
        Mutation::Replace(key, nth, value) => replace_value(pdf, KEYS.get(*key), *nth, VALUES.get(*value)),
    }
}

/// Puts `text` at `at`, inserted or written over what is there (never past the end).
fn put(pdf: &mut Vec<u8>, at: usize, text: &[u8], insert: bool) {
    let end = if insert { at } else { (at + text.len()).min(pdf.len()) };
    let text = if insert { text } else { text.get(..end - at).unwrap_or_default() };
    pdf.splice(at..end, text.iter().copied());
}

/// Writes `value` over the token after an occurrence of `key`, padded with spaces when shorter, running over
/// what follows when longer.
fn replace_value(pdf: &mut Vec<u8>, key: Option<&&str>, nth: Index, value: Option<&&str>) {
    let (Some(key), Some(value)) = (key, value) else { return };
    let found: Vec<usize> = pdf
        .windows(key.len())
        .enumerate()
        .filter(|(_, w)| w == &key.as_bytes())
        .map(|(at, _)| at + key.len())
        .collect();
    if found.is_empty() {
        return;
    }
    let start = found.get(nth.index(found.len())).copied().unwrap_or_default();
    let rest = pdf.get(start..).unwrap_or_default();
    let token_start = rest.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(rest.len());
    let token_len = match rest.get(token_start) {
        Some(b'[') => rest.iter().skip(token_start).position(|&b| b == b']').map_or(1, |end| end + 1),
        _ => rest.iter().skip(token_start).position(|&b| b"/<>[]() \r\n".contains(&b)).unwrap_or(0),
    };
    let mut text = value.as_bytes().to_vec();
    text.resize(text.len().max(token_len), b' ');
    put(pdf, start + token_start, &text, false);
}

/// The result of one read, how long it took, and what was allocated before it.
fn measured_read(pdf: &[u8], limits: &Limits) -> (Result<Option<Vec<u8>>, ReadError>, Duration, usize) {
    let before = ALLOCATOR.allocated();
    let ceiling = before + limits.input + limits.decompressed + OVERHEAD;
    assert!(ALLOCATOR.set_limit(ceiling).is_ok());
    let started = Instant::now();
    let result = attachment(pdf, "certificate.json", MAX_FILE, limits);
    let elapsed = started.elapsed();
    assert!(ALLOCATOR.set_limit(usize::MAX).is_ok());
    (result, elapsed, before)
}

fn bases() -> &'static [Vec<u8>] {
    static BASES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    BASES.get_or_init(|| {
        let mut bases: Vec<Vec<u8>> = FIXTURES.iter().map(|pdf| pdf.to_vec()).collect();
        bases.extend([bombs::predictor_columns(), bombs::repeated_offsets(50), bombs::inflation(16 << 20)]);
        bases
    })
}

/// One mutated PDF read with the default limits: no panic, in time, within the memory its limits allow.
fn read_mutated(base: usize, mutations: &[Mutation]) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    let mut pdf = bases().get(base).cloned().unwrap_or_default();
    for mutation in mutations {
        apply(&mut pdf, mutation);
    }
    let peak_before = ALLOCATOR.max_allocated();
    let (result, elapsed, before) = measured_read(&pdf, &limits);
    prop_assert!(elapsed < limits.time + Duration::from_millis(500), "{elapsed:?} for {result:?}");
    // A new peak set by this read is its own, and so is seen.
    let peak = ALLOCATOR.max_allocated();
    prop_assert!(peak == peak_before || peak - before <= limits.decompressed + OVERHEAD, "peak {}", peak - before);
    if let Ok(Some(file)) = result {
        prop_assert!(file.len() <= MAX_FILE);
    }
    Ok(())
}

fn the_bombs_stay_within_the_limits() {
    let limits = Limits::default();
    for (bomb, what) in [
        (bombs::predictor_columns(), "predictor row"),
        (bombs::inflation(1536 << 20), "decompressed streams"),
        (bombs::repeated_offsets(100_000), "object stream index"),
    ] {
        let total_before = ALLOCATOR.total_allocated();
        let (result, elapsed, before) = measured_read(&bomb, &limits);
        let total = ALLOCATOR.total_allocated() - total_before;
        assert!(ALLOCATOR.allocated() <= before, "the read kept memory");
        eprintln!("{what}: {} bytes in, {result:?} in {elapsed:?}, {total} bytes allocated in all", bomb.len());
        assert!(matches!(result, Err(ReadError::TooLarge { what: named, .. }) if named == what));
        assert!(elapsed < Duration::from_secs(1));
    }
}

fn tight_limits_are_obeyed_too() {
    let limits = Limits { decompressed: 64 << 10, objects: 200, ..Limits::default() };
    for base in bases() {
        let (result, elapsed, _) = measured_read(base, &limits);
        assert!(elapsed < Duration::from_secs(1), "{result:?}");
    }
}

const JSON: &[u8] = include_bytes!("fixtures/cert.json");
const PROOF: &[u8] = include_bytes!("fixtures/proof.txt");

/// A lopdf page with the two files attached by qpdf, saved by qpdf with
/// object streams, with classic tables, linearized and as QDF.
const QPDF: [(&str, &[u8]); 4] = [
    ("lopdf-classic", include_bytes!("fixtures/lopdf-classic.pdf")),
    ("lopdf-objstm", include_bytes!("fixtures/lopdf-objstm.pdf")),
    ("lopdf-linear", include_bytes!("fixtures/lopdf-linear.pdf")),
    ("lopdf-qdf", include_bytes!("fixtures/lopdf-qdf.pdf")),
];

fn read(pdf: &[u8], name: &str) -> Result<Option<Vec<u8>>, ReadError> {
    attachment(pdf, name, MAX_FILE, &Limits::default())
}

/// What real tools write is read: qpdf's structures, and dataip's own
/// certificate (printpdf, then lopdf attaching the files).
fn real_files_are_read() {
    for (fixture, pdf) in QPDF {
        assert_eq!(read(pdf, "certificate.json"), Ok(Some(JSON.to_vec())), "{fixture}");
        assert_eq!(read(pdf, "certificate.tlog-proof"), Ok(Some(PROOF.to_vec())), "{fixture}");
        // qpdf keys the tree by the name given; the file specification
        // keeps the file's own, which is read when no key matches.
        assert_eq!(read(pdf, "proof.txt"), Ok(Some(PROOF.to_vec())), "{fixture}");
        assert_eq!(read(pdf, "missing.json"), Ok(None), "{fixture}");
    }
    let certificate: &[u8] = include_bytes!("fixtures/dataip-certificate.pdf");
    let json = read(certificate, "certificate.json");
    assert!(matches!(&json, Ok(Some(json)) if json.starts_with(b"{")), "{json:?}");
    let proof = read(certificate, "certificate.tlog-proof");
    assert!(matches!(&proof, Ok(Some(proof)) if proof.starts_with(b"c2sp.org/tlog-proof@v1")), "{proof:?}");
}

/// One test, so that nothing else in this process allocates while a read is measured.
#[test]
fn reads_stay_within_their_limits() {
    real_files_are_read();
    the_bombs_stay_within_the_limits();
    tight_limits_are_obeyed_too();
    let config = Config { cases: 256, failure_persistence: None, ..Config::default() };
    let strategy = (0..bases().len(), prop::collection::vec(mutation(), 1..4));
    let outcome = TestRunner::new(config).run(&strategy, |(base, mutations)| read_mutated(base, &mutations));
    assert!(outcome.is_ok(), "{outcome:?}");
}
