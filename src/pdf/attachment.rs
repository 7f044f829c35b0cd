//! The signed certificate carried inside its PDF as an attached file (PDF
//! 1.7 §7.11.4, the catalog's `EmbeddedFiles` name tree), so that the PDF
//! alone verifies: `/verify` and any PDF reader find it there.

use lopdf::{Dictionary, Document, Object, Stream, StringFormat};

/// The signed certificate's file name.
pub const FILENAME: &str = "certificate.json";
/// The offline proof's file name (C2SP tlog-proof).
pub const PROOF_FILENAME: &str = "certificate.tlog-proof";

/// The largest attachment read back: a signed certificate is a few KiB.
const MAX_ATTACHMENT: usize = 1 << 20;

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

/// The attached file `filename` of a PDF, if it has one.
pub fn extract(pdf: &[u8], filename: &str) -> Option<Vec<u8>> {
    let document = Document::load_mem(pdf).ok()?;
    let deref = |object: &Object| -> Option<Object> {
        match object {
            Object::Reference(id) => document.get_object(*id).ok().cloned(),
            other => Some(other.clone()),
        }
    };
    let names = deref(document.catalog().ok()?.get(b"Names").ok()?)?;
    let tree = deref(names.as_dict().ok()?.get(b"EmbeddedFiles").ok()?)?;
    let entries = deref(tree.as_dict().ok()?.get(b"Names").ok()?)?;
    let entries = entries.as_array().ok()?;
    for pair in entries.chunks(2) {
        let [name, spec] = pair else { continue };
        if deref(name)?.as_str().ok() != Some(filename.as_bytes()) {
            continue;
        }
        let spec = deref(spec)?;
        let embedded = deref(spec.as_dict().ok()?.get(b"EF").ok()?)?;
        let stream = deref(embedded.as_dict().ok()?.get(b"F").ok()?)?;
        let stream = stream.as_stream().ok()?;
        return match stream.dict.get(b"Filter") {
            Ok(_) => stream.decompressed_content_with_limit(MAX_ATTACHMENT).ok(),
            Err(_) => (stream.content.len() <= MAX_ATTACHMENT).then(|| stream.content.clone()),
        };
    }
    None
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
        assert_eq!(extract(&attached, FILENAME).as_deref(), Some(&b"{}"[..]));
        assert_eq!(extract(&attached, PROOF_FILENAME).as_deref(), Some(&b"p"[..]));
        assert_eq!(extract(&pdf, FILENAME), None);
        assert_eq!(extract(b"not a pdf", FILENAME), None);
    }
}
