//! The reader's unit tests: whole PDFs read through `attachment`, the bombs of `crate::pdf::bombs`, and the
//! parser and the predictors on their own.

use std::time::Instant;

use lopdf::{Document, Object as Lopdf, Stream as LopdfStream, StringFormat, dictionary};

use super::{
    budget::Budget,
    decode::{paeth, unpredict_png, unpredict_tiff},
    object::Object,
    syntax::Parser,
    *,
};
use crate::pdf::bombs;

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
    pdf.extend(format!("trailer\n<< /Size 5 /Root 1 0 R /XRefStm {stream} >>\nstartxref\n{table_at}\n%%EOF\n").bytes());
    assert_eq!(read(&pdf, "a.json"), Ok(Some(b"abc".to_vec())));
}

#[test]
fn a_prev_loop_ends() {
    let original = classic(&[TREE, SPEC, "<< /Length 3 >>\nstream\nold\nendstream"], "/Root 1 0 R");
    let xref = String::from_utf8_lossy(&original).rfind("xref\n0 ").unwrap_or_default();
    let pdf = classic(&[TREE, SPEC, "<< /Length 3 >>\nstream\nold\nendstream"], &format!("/Root 1 0 R /Prev {xref}"));
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
    // Had it inflated on, the decompressed limit would have stopped it: the
    // clock stopped it first (no bound on the time taken, which depends on
    // the machine's load).
    let result = attachment(&bomb, "a", MAX_FILE, &limits);
    assert_eq!(result, Err(ReadError::TimedOut(limits.time)));
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
    let catalog = "<< /Type /Catalog /Names << /EmbeddedFiles << /Names [4 0 R 1 0 R 5 0 R 1 0 R 6 0 R 1 0 R] >> >> >>";
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
    let tree = "<< /Type /Cat#61log /Names << /EmbeddedFiles << /Names [<FEFF00E9002E006A0073006F006E> 2 0 R] >> >> >>";
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
    let mut parser = Parser::new(b"(a(b)c\\)\\n\\101\\1010\\\r\nd\r\ne) <61 62 6> /A#42 -1.5 7 0 R 8", 0, &mut budget);
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
