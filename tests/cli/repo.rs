//! Checks on the repository's shape rather than on behaviour: the module graph of `src/` (no
//! import cycles between top-level modules or between TUI files, SQL only in the store), the
//! test layout (at most four integration test crates sharing `tests/util`) and the fixture
//! index.

use std::collections::BTreeSet;
use std::path::Path;

use crate::module_graph::{Crate, Tok, cycles, read_crate};

// No allow-lists: when these checks were written (issue 16) they found ingest <-> store,
// tui action <-> state, app <-> flows, views/mod.rs <-> every view, and SQL in cli/traces_cmd.rs,
// import.rs, metrics/ and tui/data.rs. All of that was fixed in the same issue, so any cycle or
// query outside the store now is new.

/// Adapters that read *other* programs' databases (Phoenix and `llm` SQLite files, ClickHouse
/// over HTTP) may use SQL.
const FOREIGN_DATABASE_ADAPTERS: &[&str] = &[
    "src/ingest/detect.rs",
    "src/ingest/llm_logs/mod.rs",
    "src/ingest/llm_logs/responses.rs",
    "src/ingest/llm_logs/turns.rs",
    "src/ingest/phoenix.rs",
    // Opening SQLite files (URIs, "has this table") for the store and the foreign adapters alike.
    "src/sqlite_file.rs",
    // ClickHouse SQL sent over HTTP to other programs' tables (the OpenTelemetry exporter's,
    // Langfuse's): remote SQL, never the store's SQLite (issue 14).
    "src/remote/client.rs",
    "src/remote/figures.rs",
    "src/remote/langfuse.rs",
    "src/remote/otel_sql.rs",
    "src/remote/pull.rs",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn krate() -> Crate {
    read_crate(root())
}

/// Fails with the cycles (strongly connected components) and the imports that close them.
fn assert_no_cycles(what: &str, found: &[Vec<String>], edges: &[String]) {
    assert!(
        found.is_empty(),
        "{what} (break them: move what both sides need into a module of its own): {found:?}\n  \
         imports inside them:\n    {}",
        edges.join("\n    ")
    );
}

#[test]
fn no_import_cycles_between_top_level_modules() {
    let k = krate();
    let top = |i: usize| k.files[i].module.first().cloned();
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    for (a, b) in k.file_edges() {
        if let (Some(x), Some(y)) = (top(a), top(b))
            && x != y
        {
            nodes.insert(x.clone());
            nodes.insert(y.clone());
            edges.insert((x, y));
        }
    }
    let found = cycles(&nodes, &edges);
    let inside: Vec<String> = k
        .file_edges()
        .into_iter()
        .filter(|&(a, b)| {
            let (x, y) = (top(a), top(b));
            x != y
                && found.iter().any(|c| {
                    x.as_ref().is_some_and(|x| c.contains(x))
                        && y.as_ref().is_some_and(|y| c.contains(y))
                })
        })
        .map(|(a, b)| format!("{} -> {}", k.files[a].rel, k.files[b].rel))
        .collect();
    assert_no_cycles(
        "import cycles between top-level modules of src/",
        &found,
        &inside,
    );
}

#[test]
fn no_import_cycles_between_tui_files() {
    let k = krate();
    let in_tui = |i: usize| k.files[i].rel.starts_with("src/tui/");
    let files: BTreeSet<String> = (0..k.files.len())
        .filter(|&i| in_tui(i))
        .map(|i| k.files[i].rel.clone())
        .collect();
    // A module's private parts (`panes/triage/draw.rs` under `panes/triage.rs`) are that module:
    // a child naming `super::` is not a cycle between two files.
    let unit = |rel: &str| -> String {
        let mut cur = rel.to_string();
        while let Some((dir, _)) = cur.rsplit_once('/') {
            let parent = format!("{dir}.rs");
            if files.contains(&parent) {
                cur = parent;
            } else {
                break;
            }
        }
        cur
    };
    let nodes: BTreeSet<String> = files.iter().map(|f| unit(f)).collect();
    let edges: BTreeSet<(String, String)> = k
        .file_edges()
        .into_iter()
        .filter(|&(a, b)| in_tui(a) && in_tui(b))
        .map(|(a, b)| (unit(&k.files[a].rel), unit(&k.files[b].rel)))
        .filter(|(a, b)| a != b)
        .collect();
    let found = cycles(&nodes, &edges);
    let inside: Vec<String> = edges
        .iter()
        .filter(|(a, b)| found.iter().any(|c| c.contains(a) && c.contains(b)))
        .map(|(a, b)| format!("{a} -> {b}"))
        .collect();
    assert_no_cycles("import cycles between files of src/tui/", &found, &inside);
}

/// Whether a file uses SQLite directly: names `rusqlite` or calls `.execute(`, `.prepare(`,
/// `.query_row(` and friends. A heuristic on code (comments and strings are not looked at).
fn uses_sql(tokens: &[Tok]) -> bool {
    const CALLS: &[&str] = &[
        "execute",
        "execute_batch",
        "prepare",
        "prepare_cached",
        "query_row",
        "query_map",
    ];
    tokens.windows(3).any(|w| match w {
        [Tok::Punct('.'), Tok::Ident(m), Tok::Punct('(')] => CALLS.contains(&m.as_str()),
        _ => false,
    }) || tokens
        .iter()
        .any(|t| matches!(t, Tok::Ident(s) if s == "rusqlite"))
}

#[test]
fn sql_only_in_the_store() {
    let k = krate();
    let found: Vec<String> = k
        .files
        .iter()
        .filter(|f| !f.rel.starts_with("src/store/"))
        .filter(|f| !FOREIGN_DATABASE_ADAPTERS.contains(&f.rel.as_str()))
        .filter(|f| uses_sql(&f.tokens))
        .map(|f| f.rel.clone())
        .collect();
    assert!(
        found.is_empty(),
        "SQL outside src/store (ask the store a named question instead): {found:?}"
    );
}

/// The module-graph reader itself, on edges that must exist: a `super::` path, a child-module
/// path and a `crate::` path, each resolved to the file that defines the item.
#[test]
fn module_graph_sees_known_edges() {
    let k = krate();
    let file = |module: &[&str]| {
        k.files
            .iter()
            .position(|f| f.module == module)
            .unwrap_or_else(|| panic!("module {module:?} not read"))
    };
    let edges = k.file_edges();
    let runner = file(&["judge", "runner"]);
    assert!(
        edges.contains(&(runner, file(&["judge", "provider"]))),
        "judge::runner uses super::provider"
    );
    assert!(
        edges.contains(&(runner, file(&["judge", "runner", "cache"]))),
        "judge::runner uses its child cache"
    );
    assert!(
        edges.iter().any(
            |&(a, b)| k.files[a].module.first().is_some_and(|m| m == "import")
                && k.files[b].module.first().is_some_and(|m| m == "store")
        ),
        "import uses crate::store"
    );
}

/// `tests/` holds at most four integration test crates (`tests/NAME/main.rs`), each sharing
/// `tests/util`; a stray `tests/*.rs` would become a fifth crate with its own link step.
#[test]
fn at_most_four_test_crates_sharing_util() {
    let tests = root().join("tests");
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(&tests).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(
            path.extension().is_none_or(|x| x != "rs"),
            "tests/{name} would be its own test crate: make it a module of tests/cli, tests/judge, tests/sources or tests/tui"
        );
        let main = path.join("main.rs");
        if main.is_file() {
            let text = std::fs::read_to_string(&main).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                text.contains("#[path = \"../util/mod.rs\"]\nmod util;"),
                "tests/{name}/main.rs does not share tests/util"
            );
            crates.push(name);
        }
    }
    crates.sort();
    assert_eq!(crates, ["cli", "judge", "sources", "tui"]);
}

/// Every fixture is listed, with where it comes from, in tests/fixtures/README.md.
#[test]
fn every_fixture_is_listed_in_the_fixture_readme() {
    let dir = root().join("tests/fixtures");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
        let name = entry
            .unwrap_or_else(|e| panic!("{e}"))
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            name == "README.md" || readme.contains(&format!("`{name}`")),
            "tests/fixtures/{name} is not listed in tests/fixtures/README.md"
        );
    }
}
