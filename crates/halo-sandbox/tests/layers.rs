//! The sandbox's modules import in one direction: no module imports a module that imports it
//! back (directly or round a longer circle), the domain layer has no HTTP in it, and every
//! import goes down the layers (root, then HTTP, then replies and state, then the domain).
//!
//! The check reads the sources: every `crate::…`, `super::…` and `self::…` path (use trees
//! included) and every path through a child module declared in the same file, outside
//! comments and literals.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The domain layer: the files under `src/domain/`, which must all exist.
const DOMAIN: &[&str] = &[
    "domain",
    "domain::attachments",
    "domain::authorize",
    "domain::churn",
    "domain::clock",
    "domain::config",
    "domain::custom_fields",
    "domain::faults",
    "domain::journal",
    "domain::lock",
    "domain::outcome",
    "domain::query",
    "domain::rate_limit",
    "domain::reads",
    "domain::seed",
    "domain::sql",
    "domain::sql::report",
    "domain::sql::translate",
    "domain::sql::views",
    "domain::store",
    "domain::tokens",
    "domain::webhooks",
    "domain::webhooks::deliver",
    "domain::webhooks::event",
    "domain::webhooks::hooks",
    "domain::webhooks::payload",
    "domain::writes",
];

/// The layer of a module: an import may only go to the same layer or a lower one.
fn layer(module: &str) -> u8 {
    let top = module.split("::").next().unwrap_or(module);
    match top {
        "crate" => 3,
        "http" => 2,
        "reply" | "state" => 1,
        _ => 0,
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Punct(&'static str),
}

/// The tokens of a source file that matter for paths: identifiers and `::`, `{`, `}`, `,`,
/// `*`, `;` (comments, strings, characters and lifetimes dropped; other symbols kept as `?`).
fn tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            i = skip_string(&chars, i + 1, 0);
        } else if c == '\'' {
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                // A lifetime: its name follows as an identifier, harmless.
                i += 1;
            }
        } else if ident(c) {
            let start = i;
            while i < chars.len() && ident(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let raw = matches!(word.as_str(), "r" | "br" | "b" | "c" | "cr");
            if raw && matches!(chars.get(i), Some('"') | Some('#')) {
                let mut hashes = 0;
                while chars.get(i) == Some(&'#') {
                    hashes += 1;
                    i += 1;
                }
                if chars.get(i) == Some(&'"') {
                    i = skip_string(&chars, i + 1, hashes);
                    continue;
                }
            }
            if !c.is_numeric() {
                out.push(Token::Ident(word));
            }
        } else if c == ':' && next == Some(':') {
            out.push(Token::Punct("::"));
            i += 2;
        } else {
            out.push(Token::Punct(match c {
                '{' => "{",
                '}' => "}",
                ',' => ",",
                '*' => "*",
                ';' => ";",
                c if c.is_whitespace() => {
                    i += 1;
                    continue;
                }
                _ => "?",
            }));
            i += 1;
        }
    }
    out
}

/// The index after a string literal whose body starts at `i` (raw when `hashes` > 0 or
/// when called for `r"`: escapes are then plain characters, which no source here relies on).
fn skip_string(chars: &[char], mut i: usize, hashes: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' if hashes == 0 => i += 2,
            '"' if chars[i + 1..]
                .iter()
                .take(hashes)
                .filter(|c| **c == '#')
                .count()
                == hashes =>
            {
                return i + 1 + hashes;
            }
            _ => i += 1,
        }
    }
    i
}

/// One source file: its module path (`crate` for `lib.rs`) and its tokens.
struct File {
    module: String,
    tokens: Vec<Token>,
}

fn read_sources(dir: &Path, prefix: &[String], out: &mut Vec<File>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 file name")
            .to_string();
        if path.is_dir() {
            let mut inner = prefix.to_vec();
            inner.push(stem);
            read_sources(&path, &inner, out);
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let mut module = prefix.to_vec();
        if !(stem == "mod" || (prefix.is_empty() && stem == "lib")) {
            module.push(stem);
        }
        let text = fs::read_to_string(&path).expect("a readable source file");
        out.push(File {
            module: if module.is_empty() {
                "crate".into()
            } else {
                module.join("::")
            },
            tokens: tokens(&text),
        });
    }
}

/// Segments of a module path below the root (`crate` is the empty path).
fn segments(module: &str) -> Vec<String> {
    if module == "crate" {
        Vec::new()
    } else {
        module.split("::").map(str::to_string).collect()
    }
}

/// Every absolute path (below the root) a file names, with where it was found.
fn paths(file: &File) -> Vec<Vec<String>> {
    let t = &file.tokens;
    let own = segments(&file.module);
    // Children declared by `mod name;` in this file, reachable by bare paths at its top level.
    let children: BTreeSet<&str> = t
        .windows(3)
        .filter_map(|w| match w {
            [Token::Ident(m), Token::Ident(name), Token::Punct(";")] if m == "mod" => {
                Some(name.as_str())
            }
            _ => None,
        })
        .collect();
    let mut found = Vec::new();
    // Inline modules (`mod tests { … }`): their names and the brace depth they opened at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < t.len() {
        let here: Vec<String> = own
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        let follows_path = i > 0 && t[i - 1] == Token::Punct("::");
        match (&t[i], t.get(i + 1)) {
            (Token::Punct("{"), _) => depth += 1,
            (Token::Punct("}"), _) => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            (Token::Ident(m), Some(Token::Ident(name)))
                if m == "mod" && t.get(i + 2) == Some(&Token::Punct("{")) =>
            {
                inline.push((name.clone(), depth));
                depth += 1;
                i += 3;
                continue;
            }
            (Token::Ident(word), Some(Token::Punct("::"))) if !follows_path => {
                let start = match word.as_str() {
                    "crate" => Some((Vec::new(), i + 2)),
                    "self" => Some((here.clone(), i + 2)),
                    "super" => {
                        let mut base = here.clone();
                        let mut j = i;
                        while matches!(&t.get(j), Some(Token::Ident(w)) if w == "super")
                            && t.get(j + 1) == Some(&Token::Punct("::"))
                        {
                            base.pop();
                            j += 2;
                        }
                        Some((base, j))
                    }
                    w if inline.is_empty() && children.contains(w) => Some((own.clone(), i)),
                    _ => None,
                };
                if let Some((base, at)) = start {
                    i = tree(t, at, base, &mut found);
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Reads a use tree (or a plain path) at `i` under `base`; returns the index after it.
fn tree(t: &[Token], mut i: usize, mut base: Vec<String>, found: &mut Vec<Vec<String>>) -> usize {
    loop {
        match t.get(i) {
            Some(Token::Ident(w)) if w == "self" => {
                i += 1;
            }
            Some(Token::Ident(w)) => {
                base.push(w.clone());
                i += 1;
            }
            Some(Token::Punct("{")) => {
                i += 1;
                while let Some(tok) = t.get(i) {
                    match tok {
                        Token::Punct("}") => return i + 1,
                        Token::Punct(",") => i += 1,
                        _ => i = tree(t, i, base.clone(), found).max(i + 1),
                    }
                }
                return i;
            }
            Some(Token::Punct("*")) => i += 1,
            _ => {}
        }
        if t.get(i) == Some(&Token::Punct("::")) {
            i += 1;
            continue;
        }
        if matches!(t.get(i), Some(Token::Ident(w)) if w == "as") {
            i += 2;
        }
        found.push(base);
        return i;
    }
}

/// The module graph: each module (by path) and the modules it imports.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    read_sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut files,
    );
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| segments(&f.module)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let own = segments(&file.module);
        let mut edges = BTreeSet::new();
        for path in paths(file) {
            let target = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|prefix| modules.contains(prefix))
                .unwrap_or_default();
            if target != own {
                edges.insert(if target.is_empty() {
                    "crate".to_string()
                } else {
                    target.join("::")
                });
            }
        }
        graph.insert(file.module.clone(), edges);
    }
    graph
}

/// A circle of imports, if there is one (`a -> b -> a`).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, done, stack) {
                return Some(circle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

fn shown(graph: &BTreeMap<String, BTreeSet<String>>) -> String {
    graph
        .iter()
        .map(|(m, to)| {
            format!(
                "  {m} -> {}",
                to.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let graph = graph();
    println!("the module graph:\n{}", shown(&graph));
    if let Some(circle) = cycle(&graph) {
        panic!(
            "the sandbox's modules import in a circle: {}\nthe module graph:\n{}",
            circle.join(" -> "),
            shown(&graph)
        );
    }
}

#[test]
fn imports_go_down_the_layers() {
    let graph = graph();
    let upward: Vec<String> = graph
        .iter()
        .flat_map(|(from, to)| to.iter().map(move |to| (from, to)))
        .filter(|(from, to)| layer(to) > layer(from))
        .map(|(from, to)| format!("{from} -> {to}"))
        .collect();
    assert!(
        upward.is_empty(),
        "imports going up the layers (root > http > reply, state > domain):\n  {}",
        upward.join("\n  ")
    );
}

#[test]
fn the_domain_has_no_http_in_it() {
    let mut files = Vec::new();
    read_sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut files,
    );
    let present: BTreeSet<&str> = files.iter().map(|f| f.module.as_str()).collect();
    let missing: Vec<&&str> = DOMAIN.iter().filter(|m| !present.contains(**m)).collect();
    assert!(missing.is_empty(), "domain modules missing: {missing:?}");
    let graph = graph();
    for file in files
        .iter()
        // Beside the sandbox, not in it: a misbehaving server, a browser's part of a sign-in.
        .filter(|f| layer(&f.module) == 0 && !["fake", "browser"].contains(&f.module.as_str()))
    {
        assert!(
            DOMAIN.contains(&file.module.as_str()),
            "{} is in the domain layer but not named in DOMAIN",
            file.module
        );
        let axum = file
            .tokens
            .iter()
            .any(|t| matches!(t, Token::Ident(w) if w == "axum"));
        assert!(!axum, "the domain module {} names axum", file.module);
        let outside: Vec<&String> = graph[&file.module]
            .iter()
            .filter(|m| !m.starts_with("domain"))
            .collect();
        assert!(
            outside.is_empty(),
            "the domain module {} imports {outside:?}",
            file.module
        );
    }
}

#[test]
fn the_reader_sees_use_trees_relative_paths_and_skips_literals() {
    let file = File {
        module: "http::api".into(),
        tokens: tokens(
            r##"
            use crate::{state::Shared, domain::{self, store::Key as K}};
            // crate::commented::out
            const S: &str = "crate::in_a_string";
            const R: &str = r#"crate::in_a_raw "string""#;
            fn f<'a>(c: char) -> bool { c == '{' || super::reply::ok() }
            mod tests { use super::*; fn g() { super::super::routes(); } }
            "##,
        ),
    };
    let found: Vec<String> = paths(&file).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        found,
        [
            "state::Shared",
            "domain",
            "domain::store::Key",
            "http::reply::ok",
            "http::api",
            "http::routes"
        ]
    );
}
