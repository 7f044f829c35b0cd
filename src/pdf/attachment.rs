//! The signed certificate carried inside its PDF as an attached file (PDF
//! 1.7 §7.11.4, the catalog's `EmbeddedFiles` name tree), so that the PDF
//! alone verifies: `/verify` and any PDF reader find it there.

use lopdf::{Dictionary, Document, Object, Stream, StringFormat};

/// The attached file's name.
pub const FILENAME: &str = "certificate.json";

/// The largest attachment read back: a signed certificate is a few KiB.
const MAX_ATTACHMENT: usize = 1 << 20;

/// `pdf` with `json` attached as [`FILENAME`].
pub fn attach(pdf: &[u8], json: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut document = Document::load_mem(pdf)?;
    let mut params = Dictionary::new();
    params.set("Size", Object::Integer(i64::try_from(json.len())?));
    let mut file = Dictionary::new();
    file.set("Type", Object::Name(b"EmbeddedFile".to_vec()));
    file.set("Subtype", Object::Name(b"application/json".to_vec()));
    file.set("Params", Object::Dictionary(params));
    let file = document.add_object(Stream::new(file, json.to_vec()));
    let mut embedded = Dictionary::new();
    embedded.set("F", Object::Reference(file));
    let name = Object::String(FILENAME.as_bytes().to_vec(), StringFormat::Literal);
    let mut spec = Dictionary::new();
    spec.set("Type", Object::Name(b"Filespec".to_vec()));
    spec.set("F", name.clone());
    spec.set("UF", name.clone());
    spec.set("Desc", Object::string_literal("The signed certificate, with its ledger receipt"));
    spec.set("AFRelationship", Object::Name(b"Source".to_vec()));
    spec.set("EF", Object::Dictionary(embedded));
    let spec = document.add_object(spec);
    let mut tree = Dictionary::new();
    tree.set("Names", Object::Array(vec![name, Object::Reference(spec)]));
    let mut names = Dictionary::new();
    names.set("EmbeddedFiles", Object::Dictionary(tree));
    let catalog = document.catalog_mut()?;
    catalog.set("Names", Object::Dictionary(names));
    catalog.set("AF", Object::Array(vec![Object::Reference(spec)]));
    let mut out = Vec::new();
    document.save_to(&mut out)?;
    Ok(out)
}

/// The attached [`FILENAME`] of a PDF, if it has one.
pub fn extract(pdf: &[u8]) -> Option<Vec<u8>> {
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
        if deref(name)?.as_str().ok() != Some(FILENAME.as_bytes()) {
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

        let attached = attach(&pdf, br#"{"document":{}}"#).expect("attached");
        assert_eq!(extract(&attached).as_deref(), Some(&br#"{"document":{}}"#[..]));
        assert_eq!(extract(&pdf), None);
        assert_eq!(extract(b"not a pdf"), None);
    }
}
