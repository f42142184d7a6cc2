//! The import graph of `src/`: every `crate::` and `super::` path (use trees expanded), resolved to the file it
//! names, with the line it stands on. The tidy checks hold it to ARCHITECTURE.md's layers and keep it free of
//! circles.

use std::collections::{BTreeMap, BTreeSet};

/// One path from one file to another.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub line: usize,
    pub to: String,
    pub path: String,
}

/// A source file's module path: `src/warehouse/load.rs` → `["warehouse", "load"]`; `src/lib.rs` → `[]`.
fn module_path(rel: &str) -> Vec<String> {
    let rest = rel.trim_start_matches("src/").trim_end_matches(".rs");
    if rest == "lib" { Vec::new() } else { rest.split('/').map(str::to_owned).collect() }
}

/// The code of a source file with comments, string literals and char literals blanked (spaces, newlines kept), so
/// offsets still give line numbers and no `crate::` or brace inside them counts.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(b.len(), |e| i + e);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 1;
                    } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 1;
                    }
                    j += 1;
                }
                blank(&mut out, i, j);
                i = j;
            }
            b'r' if matches!(b.get(i + 1), Some(b'"') | Some(b'#'))
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let start = i + 2 + hashes;
                let end = text[start..].find(&close).map_or(b.len(), |e| start + e + close.len());
                blank(&mut out, i, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i, j + 1);
                i = j + 1;
            }
            // A char literal ('x', '\n', '\''), not a lifetime ('a).
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                let end = text[i + 2..].find('\'').map_or(b.len(), |e| i + 2 + e + 1);
                blank(&mut out, i, end);
                i = end;
            }
            b'\'' if text[i + 1..].chars().nth(1) == Some('\'') => {
                let end = i + 1 + text[i + 1..].chars().next().map_or(1, char::len_utf8) + 1;
                blank(&mut out, i, end);
                i = end;
            }
            _ => i += 1,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Inline modules (`mod tests { … }`): their names and the byte span of their bodies, outermost first.
fn inline_modules(code: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        if at > 0 && code[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + 4..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let after = rest[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = at + 4 + name.len() + (rest[name.len()..].len() - after.len());
        let mut depth = 0;
        let close = code[open..]
            .char_indices()
            .find_map(|(i, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(open + i)
            })
            .unwrap_or(code.len());
        found.push((name, open..close));
    }
    found
}

/// Expands a use tree (`a::{b, c::{d, e}}`) into its paths (`a::b`, `a::c::d`, `a::c::e`).
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = Vec::new();
    fn walk(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        if let Some(inner) = tree.strip_prefix('{') {
            let inner = inner.strip_suffix('}').unwrap_or(inner);
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        walk(prefix, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            walk(prefix, &inner[start..], out);
            return;
        }
        let (head, rest) = tree.split_once("::").unwrap_or((tree, ""));
        let ident: String = head.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if ident.is_empty() || ident == "self" || ident == "*" {
            out.push(prefix.to_vec());
            return;
        }
        let mut next = prefix.to_vec();
        next.push(ident);
        if rest.is_empty() { out.push(next) } else { walk(&next, rest, out) }
    }
    walk(&[], &tree, &mut out);
    out
}

/// The use tree starting at `text[start..]`: up to the end of the path, or the matching `}` of a group.
fn tree_at(text: &str, start: usize) -> &str {
    let bytes = text.as_bytes();
    let mut depth = 0;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        match b {
            b'{' => depth += 1,
            b'}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return &text[start..=i];
                }
            }
            b if depth == 0 && !(b.is_ascii_alphanumeric() || b == b'_' || b == b':') => return &text[start..i],
            _ => {}
        }
    }
    &text[start..]
}

/// Every edge of the graph over `files` (path relative to the crate root, text).
pub fn graph(files: &[(String, String)]) -> Vec<Edge> {
    let modules: BTreeMap<Vec<String>, &str> =
        files.iter().filter(|(rel, _)| rel != "src/main.rs").map(|(rel, _)| (module_path(rel), rel.as_str())).collect();
    // The deepest file a module path lies in.
    let resolve = |path: &[String]| (1..=path.len()).rev().find_map(|n| modules.get(&path[..n]).copied());
    let mut edges = Vec::new();
    for (rel, text) in files.iter().filter(|(rel, _)| rel != "src/main.rs") {
        let own = module_path(rel);
        let code = code_only(text);
        // Paths inside an inline module (`mod tests { … }`) start from that module, inside the file's.
        let inline = inline_modules(&code);
        for (at, _) in code.match_indices("crate::").chain(code.match_indices("super::")) {
            // `super::super::x` is found once, at its first `super`.
            if at >= 7 && &code[at - 7..at] == "super::" {
                continue;
            }
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let (base, tree_start) = if code[at..].starts_with("crate::") {
                (Vec::new(), at + "crate::".len())
            } else {
                let mut depth = 0;
                let mut i = at;
                while code[i..].starts_with("super::") {
                    depth += 1;
                    i += "super::".len();
                }
                let mut base = own.clone();
                base.extend(inline.iter().filter(|(_, span)| span.contains(&at)).map(|(name, _)| name.clone()));
                base.truncate(base.len().saturating_sub(depth));
                (base, i)
            };
            let tree = tree_at(&code, tree_start);
            let line = code[..at].matches('\n').count() + 1;
            for path in expand(tree) {
                let full: Vec<String> = base.iter().cloned().chain(path.iter().cloned()).collect();
                if let Some(to) = resolve(&full).filter(|to| *to != rel.as_str()) {
                    edges.push(Edge { from: rel.clone(), line, to: to.to_owned(), path: full.join("::") });
                }
            }
        }
    }
    edges
}

/// The top-level module a file belongs to: `src/warehouse/load.rs` → `warehouse`.
pub fn top_module(rel: &str) -> &str {
    rel.trim_start_matches("src/").split('/').next().unwrap_or_default().trim_end_matches(".rs")
}

/// The circles of a graph (its strongly connected components of more than one node), each sorted.
pub fn circles(edges: &[(String, String)]) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().insert(b);
        next.entry(b).or_default();
    }
    // Two nodes share a circle when each reaches the other.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(n) = todo.pop() {
            for &m in &next[n] {
                if seen.insert(m) {
                    todo.push(m);
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&str, BTreeSet<&str>> = next.keys().map(|&n| (n, reach(n))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for (&n, from_n) in &reaches {
        if !from_n.contains(n) || out.iter().any(|c| c.iter().any(|x| x == n)) {
            continue;
        }
        let circle: Vec<String> = from_n.iter().filter(|m| reaches[*m].contains(n)).map(|m| (*m).to_owned()).collect();
        out.push(circle);
    }
    out
}

#[test]
fn use_trees_expand_and_resolve_to_files() {
    assert_eq!(
        expand("a::{b, c::{d, e}, self}"),
        vec![vec!["a", "b"], vec!["a", "c", "d"], vec!["a", "c", "e"], vec!["a"]]
    );
    let files = vec![
        ("src/lib.rs".to_owned(), "pub mod a;\npub mod b;\n".to_owned()),
        ("src/a.rs".to_owned(), "//! a\nuse crate::b::{self, X};\n".to_owned()),
        ("src/b.rs".to_owned(), "//! b\nmod c;\n".to_owned()),
        ("src/b/c.rs".to_owned(), "//! c\nuse super::super::a::Y;\nfn f() { super::Z }\n".to_owned()),
        (
            "src/d.rs".to_owned(),
            "//! d\nmod sql {\n    const Q: &str = \"crate::a\";\n}\nfn g() {}\n#[cfg(test)]\nmod tests {\n    use super::super::b::X; // crate::a\n    use super::g;\n}\n/* crate::a */\n".to_owned(),
        ),
    ];
    let edges: Vec<(String, usize, String)> = graph(&files).into_iter().map(|e| (e.from, e.line, e.to)).collect();
    assert_eq!(
        edges,
        vec![
            ("src/a.rs".into(), 2, "src/b.rs".into()),
            ("src/a.rs".into(), 2, "src/b.rs".into()),
            ("src/b/c.rs".into(), 2, "src/a.rs".into()),
            ("src/b/c.rs".into(), 3, "src/b.rs".into()),
            // From inside `mod tests`, `super::super` is the crate; strings and comments are not paths.
            ("src/d.rs".into(), 8, "src/b.rs".into()),
        ]
    );
    let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect::<Vec<_>>();
    assert_eq!(circles(&pairs(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])), vec![vec!["a", "b", "c"]]);
    assert!(circles(&pairs(&[("a", "b"), ("b", "c")])).is_empty());
}
