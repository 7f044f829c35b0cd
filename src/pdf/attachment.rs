//! The signed certificate carried inside its PDF as an attached file (PDF
//! 1.7 §7.11.4, the catalog's `EmbeddedFiles` name tree), so that the PDF
//! alone verifies: `/verify` and any PDF reader find it there. Attached
//! here with lopdf, to PDFs we made; read back, from anyone's file, by the
//! bounded [`reader`](super::reader).

use lopdf::{Dictionary, Document, Object, Stream, StringFormat};

use super::reader::{self, Limits, ReadError};

/// The signed certificate's file name.
pub const FILENAME: &str = "certificate.json";
/// The offline proof's file name (C2SP tlog-proof).
pub const PROOF_FILENAME: &str = "certificate.tlog-proof";

/// The largest attached file read back: a signed certificate or its proof
/// is a few KiB.
const MAX_READ_BACK: usize = 1 << 20;

/// A file to attach.
pub struct Attachment<'a> {
    pub name: &'a str,
    pub media_type: &'a str,
    pub description: &'a str,
    pub bytes: &'a [u8],
}

/// `pdf` with `files` attached.
pub fn attach(pdf: &[u8], files: &[Attachment<'_>]) -> anyhow::Result<Vec<u8>> {
    let mut document = Document::load_mem(pdf)?;
    let (mut tree_names, mut specs) = (Vec::new(), Vec::new());
    for attachment in files {
        let mut params = Dictionary::new();
        params.set("Size", Object::Integer(i64::try_from(attachment.bytes.len())?));
        let mut file = Dictionary::new();
        file.set("Type", Object::Name(b"EmbeddedFile".to_vec()));
        file.set("Subtype", Object::Name(attachment.media_type.as_bytes().to_vec()));
        file.set("Params", Object::Dictionary(params));
        let file = document.add_object(Stream::new(file, attachment.bytes.to_vec()));
        let mut embedded = Dictionary::new();
        embedded.set("F", Object::Reference(file));
        let name = Object::String(attachment.name.as_bytes().to_vec(), StringFormat::Literal);
        let mut spec = Dictionary::new();
        spec.set("Type", Object::Name(b"Filespec".to_vec()));
        spec.set("F", name.clone());
        spec.set("UF", name.clone());
        spec.set("Desc", Object::string_literal(attachment.description));
        spec.set("AFRelationship", Object::Name(b"Source".to_vec()));
        spec.set("EF", Object::Dictionary(embedded));
        let spec = document.add_object(spec);
        tree_names.extend([name, Object::Reference(spec)]);
        specs.push(Object::Reference(spec));
    }
    // The name tree's keys must be sorted.
    let mut pairs: Vec<(Object, Object)> =
        tree_names.chunks(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect();
    pairs.sort_by(|a, b| a.0.as_str().ok().cmp(&b.0.as_str().ok()));
    let mut tree = Dictionary::new();
    tree.set("Names", Object::Array(pairs.into_iter().flat_map(|(name, spec)| [name, spec]).collect()));
    let mut names = Dictionary::new();
    names.set("EmbeddedFiles", Object::Dictionary(tree));
    let catalog = document.catalog_mut()?;
    catalog.set("Names", Object::Dictionary(names));
    catalog.set("AF", Object::Array(specs));
    let mut out = Vec::new();
    document.save_to(&mut out)?;
    Ok(out)
}

/// The attached file `filename` of anyone's PDF, if it has one, read
/// within the [`reader`]'s default limits. CPU-bound for up to their time:
/// from async code, call it on a blocking thread.
pub fn read_back(pdf: &[u8], filename: &str) -> Result<Option<Vec<u8>>, ReadError> {
    reader::attachment(pdf, filename, MAX_READ_BACK, &Limits::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attached_file_comes_back_out() {
        let mut document = Document::with_version("1.7");
        let pages = document.new_object_id();
        let catalog = document.add_object(lopdf::dictionary! { "Type" => "Catalog", "Pages" => pages });
        document.objects.insert(
            pages,
            Object::Dictionary(lopdf::dictionary! { "Type" => "Pages", "Kids" => vec![], "Count" => 0 }),
        );
        document.trailer.set("Root", catalog);
        let mut pdf = Vec::new();
        document.save_to(&mut pdf).expect("saved");

        let json = Attachment { name: FILENAME, media_type: "application/json", description: "", bytes: b"{}" };
        let proof = Attachment { name: PROOF_FILENAME, media_type: "text/plain", description: "", bytes: b"p" };
        let attached = attach(&pdf, &[json, proof]).expect("attached");
        assert_eq!(read_back(&attached, FILENAME), Ok(Some(b"{}".to_vec())));
        assert_eq!(read_back(&attached, PROOF_FILENAME), Ok(Some(b"p".to_vec())));
        assert_eq!(read_back(&pdf, FILENAME), Ok(None));
        assert!(read_back(b"not a pdf", FILENAME).is_err());
    }
}
