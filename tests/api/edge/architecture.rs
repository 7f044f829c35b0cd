//! The floor plan of `src/`, as a test: data flows one way, and each folder
//! imports only what lies below it (docs/architecture.md draws the map).
//! Every `use crate::…` statement (grouped ones included) and every inline
//! `crate::x::` path is read; an import the table forbids fails the test,
//! naming its file and line.

use std::{
    fs,
    path::{Path, PathBuf},
};

/// The web edge's siblings: none imports another, but all use `http`.
const EDGE: [&str; 3] = ["api", "portal", "workbench"];

/// For each folder (or top-level file) of `src/`, the folders it may not
/// import. `domain` may import nothing of the crate but itself.
fn forbidden(folder: &str) -> Option<Forbidden> {
    let none_of = |names: &[&'static str]| Some(Forbidden::These(names.to_vec()));
    match folder {
        "domain" => Some(Forbidden::AllBut("domain")),
        "db" => none_of(&["http", "api", "portal", "workbench", "services", "state", "ledger"]),
        "auth" => none_of(&["http", "api", "portal", "workbench", "services", "state", "db"]),
        "services" => none_of(&["http", "api", "portal", "workbench", "startup", "commands", "jobs"]),
        "notifications" => none_of(&["http", "api", "portal", "workbench", "services", "state", "jobs"]),
        "config" => none_of(&["http", "api", "portal", "workbench", "services", "state", "db", "ledger", "signing"]),
        "signing" => none_of(&["http", "api", "portal", "workbench", "services", "state", "db", "config"]),
        "ledger" => none_of(&["http", "api", "portal", "workbench", "services", "state"]),
        "state" => none_of(&["http", "api", "portal", "workbench", "services", "jobs", "startup", "commands"]),
        "jobs" => none_of(&["http", "api", "portal", "workbench", "startup", "commands"]),
        "http" => none_of(&["api", "portal", "workbench", "startup", "commands", "jobs"]),
        "api" => none_of(&["portal", "workbench", "startup", "commands", "jobs"]),
        "portal" => none_of(&["api", "workbench", "startup", "commands", "jobs"]),
        "workbench" => none_of(&["api", "portal", "startup", "commands", "jobs"]),
        _ => None,
    }
}

enum Forbidden {
    These(Vec<&'static str>),
    AllBut(&'static str),
}

impl Forbidden {
    fn forbids(&self, target: &str, known: &[String]) -> bool {
        match self {
            Self::These(names) => names.contains(&target),
            Self::AllBut(own) => target != *own && known.iter().any(|name| name == target),
        }
    }
}

#[test]
fn imports_only_flow_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known = top_level_modules(&src);
    let mut violations = Vec::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("under src");
        let folder = folder_of(relative);
        let Some(rule) = forbidden(&folder) else { continue };
        let text = fs::read_to_string(&file).expect("readable source");
        for (line, target) in imports(&text) {
            if target != folder && rule.forbids(&target, &known) {
                violations.push(format!("src/{}:{line}: {folder} imports {target}", relative.display()));
            }
        }
    }
    assert!(violations.is_empty(), "imports that run upward:\n{}", violations.join("\n"));
}

/// A file past this many lines says why in its first five lines.
const LONG: usize = 600;

#[test]
fn long_files_say_why() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = rust_files(&root.join("src"));
    for entry in fs::read_dir(root.join("crates")).expect("crates").filter_map(Result::ok) {
        files.extend(rust_files(&entry.path().join("src")));
    }
    let unexplained: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let text = fs::read_to_string(file).expect("readable source");
            let head = text.lines().take(5).collect::<Vec<_>>().join(" ").to_lowercase();
            let explained = head.contains("long because") || head.contains("one concern");
            (text.lines().count() > LONG && !explained).then(|| file.display().to_string())
        })
        .collect();
    assert!(unexplained.is_empty(), "files over {LONG} lines that do not say why:\n{}", unexplained.join("\n"));
}

#[test]
fn the_reader_sees_grouped_and_inline_imports() {
    let text = "use crate::{\n    db::{self, users},\n    http::error::ApiError,\n};\n\
                fn f() { crate::services::x(); }\n// crate::portal::not_code\nuse crate::state::AppState;\n";
    let found = imports(text);
    assert_eq!(
        found,
        vec![(2, "db".to_owned()), (3, "http".to_owned()), (5, "services".to_owned()), (7, "state".to_owned())]
    );
    for edge in EDGE {
        assert!(
            forbidden(edge)
                .is_some_and(|rule| EDGE.iter().filter(|other| **other != edge).all(|other| rule.forbids(other, &[])))
        );
    }
}

/// The folder a file belongs to: its first component (`http/serve.rs` →
/// `http`), or its own name for a file at the top (`state.rs` → `state`).
fn folder_of(relative: &Path) -> String {
    let first = relative.components().next().expect("a path").as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

fn top_level_modules(src: &Path) -> Vec<String> {
    fs::read_dir(src)
        .expect("src")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().trim_end_matches(".rs").to_owned())
        .filter(|name| !["lib", "main"].contains(&name.as_str()))
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("readable directory").filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Every module of the crate a text imports, with the line it does so on:
/// the first segment after `crate::` in `use` statements (each member of a
/// group) and in inline paths. Comments are skipped.
fn imports(text: &str) -> Vec<(usize, String)> {
    let code = without_comments(text);
    let mut found = Vec::new();
    let mut rest = code.as_str();
    let mut offset = 0;
    while let Some(at) = rest.find("crate::") {
        let start = offset + at;
        let preceded_by_ident =
            code[..start].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        let after = &code[start + "crate::".len()..];
        if !preceded_by_ident {
            if let Some(group) = after.strip_prefix('{') {
                for (relative, name) in group_members(group) {
                    let position = start + "crate::{".len() + relative;
                    found.push((line_of(&code, position), name));
                }
            } else {
                let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    found.push((line_of(&code, start), name));
                }
            }
        }
        offset = start + "crate::".len();
        rest = &code[offset..];
    }
    found
}

/// The first segment of each member of a `{…}` group (the text after its
/// opening brace), with its offset in that text.
fn group_members(group: &str) -> Vec<(usize, String)> {
    let mut members = Vec::new();
    let mut depth = 0;
    let mut expecting = true;
    for (index, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expecting = true,
            c if expecting && depth == 0 && (c.is_alphanumeric() || c == '_') => {
                let name: String = group[index..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                members.push((index, name));
                expecting = false;
            }
            _ => {}
        }
    }
    members
}

fn line_of(text: &str, position: usize) -> usize {
    text[..position].matches('\n').count() + 1
}

/// The text with `//` comments blanked (line numbers kept); string
/// contents are left alone, which no import hides in.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}
