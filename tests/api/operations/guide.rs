//! The README and the user guide link only to files that exist in the
//! repository.

use std::path::{Path, PathBuf};

/// Every Markdown link target `](target)` in a text.
fn links(text: &str) -> Vec<String> {
    text.match_indices("](").filter_map(|(at, _)| text[at + 2..].split_once(')').map(|(t, _)| t.to_owned())).collect()
}

#[test]
fn every_link_of_the_readme_and_the_guide_stays_in_the_repository_and_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages: Vec<PathBuf> = vec![root.join("README.md")];
    let guide = std::fs::read_dir(root.join("docs")).expect("a docs/ directory");
    pages.extend(guide.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "md")));
    assert!(pages.len() >= 8, "the README and the guide's pages: {pages:?}");
    for page in pages {
        let text = std::fs::read_to_string(&page).expect("readable");
        for target in links(&text) {
            if target.starts_with("http://") || target.starts_with("https://") || target.starts_with('#') {
                continue;
            }
            let file = target.split('#').next().unwrap_or_default();
            let resolved = page.parent().expect("a directory").join(file);
            let resolved =
                resolved.canonicalize().unwrap_or_else(|_| panic!("{}: {target} does not exist", page.display()));
            assert!(resolved.starts_with(root), "{}: {target} leaves the repository", page.display());
        }
    }
}
