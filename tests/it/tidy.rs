//! Tidy: the architecture's invariants, checked on every `cargo test`.

mod imports;

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn src_files() -> Vec<(String, String)> {
    rust_files(&root().join("src"))
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
            (rel, fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The module a source file belongs to: `src/warehouse/load.rs` → `warehouse`.
fn module_of(rel: &str) -> &str {
    let rest = rel.trim_start_matches("src/");
    let first = rest.split('/').next().unwrap();
    first.trim_end_matches(".rs")
}

/// Lines of code, without comments, so that docs may name what code must not use.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")).map(|(i, l)| (i + 1, l))
}

fn offenders(allowed: &[&str], needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (rel, text) in src_files() {
        if allowed.contains(&module_of(&rel)) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if needles.iter().any(|needle| line.contains(needle)) {
                found.push(format!("{rel}:{n}: {}", line.trim()));
            }
        }
    }
    found
}

/// One row of ARCHITECTURE.md's layer diagram: its modules, and what they may use.
#[derive(Debug)]
struct Layer {
    modules: Vec<String>,
    /// Every module of the layers below.
    below: bool,
    /// The other modules of this layer too.
    each_other: bool,
    /// Otherwise, only these.
    only: Vec<String>,
}

/// The layers, top first, read from the diagram in ARCHITECTURE.md's Layers section: each line
/// `a, b → what they may use` ("anything below", "anything below, and each other", a list, or "nothing").
fn layers() -> Vec<Layer> {
    let architecture = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let section = architecture.split("\n## Layers").nth(1).expect("ARCHITECTURE.md has a Layers section");
    let diagram = section.split("```").nth(1).expect("the Layers section draws the layers in a ``` block");
    diagram
        .lines()
        .filter_map(|line| line.split_once('→'))
        .map(|(left, right)| {
            let right = right.split('(').next().unwrap_or_default();
            let names = |s: &str| s.split(',').map(|m| m.trim().to_owned()).filter(|m| !m.is_empty()).collect();
            let below = right.contains("anything below");
            Layer {
                modules: names(left),
                below,
                each_other: right.contains("and each other"),
                only: if below || right.contains("nothing") { Vec::new() } else { names(right) },
            }
        })
        .collect()
}

#[test]
fn modules_import_only_downward() {
    let layers = layers();
    let layer_of = |module: &str| layers.iter().position(|l| l.modules.iter().any(|m| m == module));
    let files = src_files();
    let mut found = Vec::new();
    for (rel, _) in files.iter().filter(|(rel, _)| !["src/lib.rs", "src/main.rs"].contains(&rel.as_str())) {
        if layer_of(module_of(rel)).is_none() {
            found.push(format!("{rel}: module `{}` is in no layer of ARCHITECTURE.md", module_of(rel)));
        }
    }
    for edge in imports::graph(&files) {
        let (from, to) = (imports::top_module(&edge.from), imports::top_module(&edge.to));
        if from == to || edge.from == "src/lib.rs" {
            continue;
        }
        let (Some(a), Some(b)) = (layer_of(from), layer_of(to)) else { continue };
        let layer = &layers[a];
        let allowed =
            if layer.below { b > a || (a == b && layer.each_other) } else { layer.only.iter().any(|m| m == to) };
        if !allowed {
            let direction = if b < a { "up" } else { "sideways" };
            found.push(format!(
                "{}:{}: `crate::{}` points {direction}, from `{from}` to `{to}`",
                edge.from, edge.line, edge.path
            ));
        }
    }
    assert!(found.is_empty(), "imports against ARCHITECTURE.md's layers:\n{}", found.join("\n"));
}

#[test]
fn no_circle_of_imports() {
    let edges: Vec<(String, String)> = imports::graph(&src_files()).into_iter().map(|e| (e.from, e.to)).collect();
    let circles = imports::circles(&edges);
    let shown: Vec<String> = circles.iter().map(|c| c.join(" → ")).collect();
    assert!(circles.is_empty(), "files whose imports run in a circle:\n{}", shown.join("\n"));
}

#[test]
fn only_warehouse_imports_duckdb() {
    let found = offenders(&["warehouse"], &["duckdb::", "use duckdb"]);
    assert!(found.is_empty(), "duckdb outside warehouse:\n{}", found.join("\n"));
}

#[test]
fn only_server_imports_axum() {
    let found = offenders(&["server"], &["axum::", "use axum"]);
    assert!(found.is_empty(), "axum outside server:\n{}", found.join("\n"));
}

#[test]
fn sql_lives_in_the_sql_folder() {
    let keywords =
        ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "DROP ", "ALTER ", "COPY ", "CHECKPOINT", "PRAGMA "];
    let needles: Vec<String> = keywords.iter().map(|k| format!("\"{k}")).collect();
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    let found = offenders(&[], &needles);
    assert!(found.is_empty(), "SQL strings in src (move them to sql/):\n{}", found.join("\n"));
}

/// The backticked `src/…rs` paths on the line of `readme` that starts with "Run by".
fn run_by(readme: &str) -> Vec<String> {
    let line = readme.lines().find(|l| l.starts_with("Run by")).unwrap_or_default();
    line.split('`')
        .skip(1)
        .step_by(2)
        .filter(|p| p.starts_with("src/") && p.ends_with(".rs"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn sql_lives_by_store_and_each_folder_readme_is_current() {
    let sql = root().join("sql");
    let top = fs::read_to_string(sql.join("README.md")).unwrap();
    let sources = src_files();
    let mut problems = Vec::new();
    for entry in fs::read_dir(&sql).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() {
            if name.ends_with(".sql") {
                problems
                    .push(format!("sql/{name}: SQL files live in a store's folder (sql/warehouse/, sql/service/, …)"));
            }
            continue;
        }
        let folder = name;
        if !top.contains(&format!("`{folder}/`")) {
            problems.push(format!("sql/README.md does not list the folder `{folder}/`"));
        }
        let Ok(readme) = fs::read_to_string(entry.path().join("README.md")) else {
            problems.push(format!("sql/{folder}/ has no README.md listing its files"));
            continue;
        };
        let runners = run_by(&readme);
        if runners.is_empty() {
            problems.push(format!("sql/{folder}/README.md has no line \"Run by `src/….rs`\""));
        }
        let mut files: Vec<String> = fs::read_dir(entry.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        // Table rows: the files in the first cell, run by the Rust file a row names (`x.rs`), or else by the first
        // file of the "Run by" line.
        let mut listed: Vec<(String, String)> = Vec::new();
        for row in readme.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = row.split('|').collect();
            let named = |cell: &str| -> Vec<String> { cell.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
            let runner = cells[2..]
                .iter()
                .flat_map(|c| named(c))
                .find(|n| n.ends_with(".rs"))
                .and_then(|n| runners.iter().find(|r| r.ends_with(&format!("/{n}")) || **r == n).cloned())
                .or_else(|| runners.first().cloned())
                .unwrap_or_default();
            listed.extend(named(cells[1]).into_iter().filter(|n| n.ends_with(".sql")).map(|n| (n, runner.clone())));
        }
        for file in &files {
            let include = format!("sql/{folder}/{file}\")");
            let users: Vec<&str> =
                sources.iter().filter(|(_, text)| text.contains(&include)).map(|(rel, _)| rel.as_str()).collect();
            if users.is_empty() {
                problems.push(format!("sql/{folder}/{file} is not include_str!'d anywhere"));
            }
            let Some((_, runner)) = listed.iter().find(|(name, _)| name == file) else {
                problems.push(format!("sql/{folder}/README.md does not list `{file}` in its table"));
                continue;
            };
            for user in users.iter().filter(|u| **u != runner.as_str()) {
                problems
                    .push(format!("{user} runs sql/{folder}/{file}, but sql/{folder}/README.md says {runner} runs it"));
            }
        }
        for (name, _) in &listed {
            if !files.iter().any(|f| f == name) {
                problems.push(format!("sql/{folder}/README.md lists `{name}`, which is not in the folder"));
            }
        }
        for runner in &runners {
            if !root().join(runner).is_file() {
                problems.push(format!("sql/{folder}/README.md names {runner}, which does not exist"));
            }
        }
    }
    assert!(problems.is_empty(), "sql/ has drifted from its READMEs:\n{}", problems.join("\n"));
}

#[test]
fn pure_modules_do_no_io() {
    let io = ["std::fs", "std::net", "tokio::", "std::process", "File::", "TcpStream"];
    let mut found = Vec::new();
    for (rel, text) in src_files() {
        if !["model", "analytics", "dv", "chaos", "analyst", "handoff"].contains(&module_of(&rel)) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if io.iter().any(|needle| line.contains(needle)) {
                found.push(format!("{rel}:{n}: {}", line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "I/O in a pure module:\n{}", found.join("\n"));
}

#[test]
fn no_outbound_network_calls() {
    // The one egress module may; nothing else.
    let found = offenders(
        &["egress"],
        &["TcpStream::connect", "UdpSocket", "reqwest", "ureq::", "hyper::client", "ToSocketAddrs"],
    );
    assert!(found.is_empty(), "outbound network code outside src/egress.rs:\n{}", found.join("\n"));
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    for client in ["reqwest", "ureq", "isahc", "surf"] {
        assert!(!manifest.contains(&format!("\n{client} ")), "{client} in Cargo.toml");
    }
    // The one HTTP client is hyper's HTTP/1, for src/egress.rs: plain HTTP to this machine, no TLS stack.
    let hyper = manifest.lines().find(|l| l.starts_with("hyper ")).expect("hyper's client, for src/egress.rs");
    assert!(hyper.contains("default-features = false") && !hyper.contains("tls"), "{hyper}");
}

#[test]
fn every_source_file_has_module_docs() {
    for (rel, text) in src_files() {
        assert!(text.trim_start().starts_with("//!"), "{rel} lacks a //! module doc");
    }
}

#[test]
fn no_stubs_left_in_src() {
    let found = offenders(&[], &["todo!(", "unimplemented!("]);
    assert!(found.is_empty(), "stubs:\n{}", found.join("\n"));
}

#[test]
fn architecture_map_names_every_source_file() {
    let architecture = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut missing = Vec::new();
    for (rel, _) in src_files() {
        let name = rel.rsplit('/').next().unwrap_or_default();
        // Test modules are named for what they test.
        if name == "tests.rs" {
            continue;
        }
        let short = rel.trim_start_matches("src/");
        let tail = short.split_once('/').map_or(short, |(_, t)| t);
        if ![format!("`{rel}`"), format!("`{tail}`"), format!("`{name}`")].iter().any(|n| architecture.contains(n)) {
            missing.push(rel);
        }
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md's code map does not name:\n{}", missing.join("\n"));
}

#[test]
fn architecture_map_names_every_module() {
    let architecture = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut modules: Vec<String> = src_files().iter().map(|(rel, _)| module_of(rel).to_owned()).collect();
    modules.dedup();
    for module in modules {
        assert!(architecture.contains(&format!("`src/{module}")), "ARCHITECTURE.md does not map src/{module}");
    }
}

#[test]
fn dashboard_views_are_listed_with_their_modules() {
    let embedded = root().join("embedded");
    let main = fs::read_to_string(embedded.join("js/main.js")).unwrap();
    let readme = fs::read_to_string(embedded.join("README.md")).unwrap();
    // `import * as alias from "./views/file.js";`
    let modules: Vec<(&str, &str)> = main
        .lines()
        .filter_map(|l| l.strip_prefix("import * as ")?.split_once(" from \"./views/"))
        .map(|(alias, rest)| (alias, rest.trim_end_matches("\";").trim_end_matches(".js")))
        .collect();
    let table =
        main.split("const VIEWS = {").nth(1).and_then(|t| t.split("};").next()).expect("a VIEWS table in js/main.js");
    // `name: alias,` or the shorthand `name,`.
    let views: Vec<(String, String)> = table
        .lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| match l.split_once(':') {
            Some((name, alias)) => (name.trim().to_owned(), alias.trim().to_owned()),
            None => (l.to_owned(), l.to_owned()),
        })
        .collect();
    assert!(!views.is_empty(), "no views in js/main.js's VIEWS table");
    // README rows: | `#/name` | what | `js/views/file.js` | `src/server/file.rs` |
    let rows: Vec<Vec<String>> = readme
        .lines()
        .filter(|l| l.starts_with("| `#/"))
        .map(|l| l.split('|').map(|c| c.trim().trim_matches('`').to_owned()).collect())
        .collect();
    let expected: Vec<(String, String)> = views
        .iter()
        .map(|(name, alias)| {
            let file = modules
                .iter()
                .find(|(a, _)| a == alias)
                .map(|(_, f)| *f)
                .unwrap_or_else(|| panic!("view {name}: `{alias}` is not imported from ./views/"));
            assert!(
                embedded.join(format!("js/views/{file}.js")).is_file(),
                "view {name}: js/views/{file}.js is missing"
            );
            (format!("#/{name}"), format!("js/views/{file}.js"))
        })
        .collect();
    let listed: Vec<(String, String)> = rows.iter().map(|r| (r[1].clone(), r[3].clone())).collect();
    assert_eq!(listed, expected, "embedded/README.md's view table (route, module) differs from js/main.js's VIEWS");
    for row in &rows {
        assert!(
            root().join(&row[4]).is_file(),
            "embedded/README.md: {} is served by {}, which does not exist",
            row[1],
            row[4]
        );
    }
    for (alias, file) in &modules {
        assert!(views.iter().any(|(_, a)| a == alias), "js/views/{file}.js is imported but not in the VIEWS table");
    }
    for entry in fs::read_dir(embedded.join("js/views")).unwrap().flatten() {
        let file = entry.file_name().to_string_lossy().trim_end_matches(".js").to_owned();
        assert!(modules.iter().any(|(_, f)| *f == file), "js/views/{file}.js is not imported by js/main.js");
    }
}

#[test]
fn lib_tour_names_every_module() {
    let lib = fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let tour: String = lib.lines().filter(|l| l.starts_with("//!")).collect();
    let declared = lib.lines().filter(|l| !l.starts_with("//")).filter_map(|l| {
        let (_, rest) = l.split_once("mod ")?;
        rest.trim().strip_suffix(';')
    });
    for module in declared {
        assert!(tour.contains(&format!("[`{module}`]")), "src/lib.rs's tour does not name [`{module}`]");
    }
}

#[test]
fn readme_commands_are_current() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let ci = fs::read_to_string(root().join(".ci/run")).unwrap();
    let run = "cargo run -- demo";
    let test = "cargo test";
    assert!(readme.contains(run), "README lacks `{run}`");
    assert!(readme.contains(test), "README lacks `{test}`");
    assert!(ci.contains(test), ".ci/run does not run README's test command");
    // One build profile for both: no --release on one and not the other.
    assert!(!readme.contains("cargo run --release"), "README's run command must share the test profile");
}

#[test]
fn top_level_layout_is_as_documented() {
    for entry in [
        "Cargo.toml",
        "src",
        "embedded",
        "models",
        "scenarios",
        "sql",
        "tests",
        "docker",
        "README.md",
        ".ci",
        "ARCHITECTURE.md",
    ] {
        assert!(root().join(entry).exists(), "{entry} missing at the top level");
    }
}

#[test]
fn architecture_shows_the_current_role_matrix() {
    let architecture = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let matrix = safehaven::privacy::roles::matrix_markdown();
    assert!(architecture.contains(&matrix), "ARCHITECTURE.md's role matrix is stale; paste:\n{matrix}");
}
