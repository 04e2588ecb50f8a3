//! The TUI's module graph, checked: panes depend on the shared modules only (never on each
//! other or on the app side), the shared modules never depend on a pane or the app side, and
//! no two TUI files import each other, directly or around a loop. So a pane can be added,
//! changed or removed without touching another pane.

use std::collections::BTreeSet;

/// Modules that put the app together; nothing below them may name them.
const APP_SIDE: &[&str] = &[
    "app", "stack", "keymap", "views", "runtime", "headless", "panes", "bench",
];

/// Every pane file, by name.
const PANES: &[(&str, &str)] = &[
    ("agreement", include_str!("panes/agreement.rs")),
    ("evidence", include_str!("panes/evidence.rs")),
    ("help", include_str!("panes/help.rs")),
    ("judge", include_str!("panes/judge.rs")),
    ("list", include_str!("panes/list.rs")),
    ("metrics", include_str!("panes/metrics.rs")),
    ("replay_form", include_str!("panes/replay_form.rs")),
    ("replay_view", include_str!("panes/replay_view.rs")),
    ("replays", include_str!("panes/replays.rs")),
    ("session", include_str!("panes/session.rs")),
    ("span", include_str!("panes/span.rs")),
    ("trace", include_str!("panes/trace.rs")),
    ("trace_diff", include_str!("panes/trace_diff.rs")),
    ("triage", include_str!("panes/triage.rs")),
];

/// Files a pane is split into (`panes/<pane>/<part>.rs`): they may name their own pane's items
/// through `super::`, and otherwise follow the pane rules.
const PANE_PARTS: &[(&str, &str)] = &[
    ("trace/header", include_str!("panes/trace/header.rs")),
    ("triage/draw", include_str!("panes/triage/draw.rs")),
];

/// The modules panes build on, directly under `tui/`.
const SHARED: &[(&str, &str)] = &[
    ("action", include_str!("action.rs")),
    ("commandline", include_str!("commandline.rs")),
    ("compare", include_str!("compare.rs")),
    ("detail", include_str!("detail.rs")),
    ("judge_run", include_str!("judge_run.rs")),
    ("keys", include_str!("keys.rs")),
    ("pane", include_str!("pane.rs")),
    ("spantree", include_str!("spantree.rs")),
    ("status", include_str!("status.rs")),
    ("theme", include_str!("theme.rs")),
];

/// The shared drawing pieces, under `tui/widgets/`.
const WIDGETS: &[(&str, &str)] = &[
    ("chrome", include_str!("widgets/chrome.rs")),
    ("evidence", include_str!("widgets/evidence.rs")),
    ("lines", include_str!("widgets/lines.rs")),
    ("scroll", include_str!("widgets/scroll.rs")),
    ("text", include_str!("widgets/text.rs")),
];

/// The `tui` modules a source file names through `prefix` (`crate::tui::`, `super::`).
fn named(src: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in src.match_indices(prefix) {
        // `crate::tui::x` also contains `tui::x`; only count whole prefixes.
        let before = src[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let name: String = src[i + prefix.len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

#[test]
fn panes_name_only_shared_modules() {
    for (pane, src) in PANES {
        assert!(
            named(src, "super::").is_empty(),
            "panes/{pane}.rs reaches a sibling through super::"
        );
        for m in named(src, "crate::tui::") {
            assert!(
                !APP_SIDE.contains(&m.as_str()),
                "panes/{pane}.rs depends on tui::{m}"
            );
        }
    }
    for (part, src) in PANE_PARTS {
        for m in named(src, "super::") {
            assert!(
                m.starts_with(char::is_uppercase),
                "panes/{part}.rs reaches module {m} through super::"
            );
        }
        for m in named(src, "crate::tui::") {
            assert!(
                !APP_SIDE.contains(&m.as_str()),
                "panes/{part}.rs depends on tui::{m}"
            );
        }
    }
}

#[test]
fn shared_modules_name_no_pane_and_no_app_module() {
    let top = SHARED
        .iter()
        .map(|(n, s)| (format!("tui/{n}.rs"), *s, "super::"));
    let widgets = WIDGETS
        .iter()
        .map(|(n, s)| (format!("tui/widgets/{n}.rs"), *s, "super::super::"));
    for (file, src, up) in top.chain(widgets) {
        let deps = named(src, "crate::tui::").into_iter().chain(named(src, up));
        for m in deps {
            assert!(
                !APP_SIDE.contains(&m.as_str()),
                "{file} depends on tui::{m}"
            );
        }
    }
}

/// The app side, for the cycle check (files other engineers own are left out).
const APP_FILES: &[(&str, &str)] = &[
    ("app", include_str!("app.rs")),
    ("headless", include_str!("headless.rs")),
    ("keymap", include_str!("keymap.rs")),
    ("panes", include_str!("panes/mod.rs")),
    ("runtime", include_str!("runtime.rs")),
    ("stack", include_str!("stack.rs")),
    ("terminal", include_str!("terminal.rs")),
    ("views", include_str!("views.rs")),
    ("widgets", include_str!("widgets/mod.rs")),
];

/// Every file as (module path under `tui`, source).
fn all_files() -> Vec<(String, &'static str)> {
    let under = |dir: &str, list: &'static [(&str, &str)]| {
        list.iter()
            .map(|(n, s)| (format!("{dir}{n}"), *s))
            .collect::<Vec<_>>()
    };
    [
        under("panes::", PANES),
        under("", SHARED),
        under("widgets::", WIDGETS),
        under("", APP_FILES),
    ]
    .concat()
}

/// The files `src` (the file at module path `at`) imports, as module paths.
fn imports(at: &str, src: &str, files: &[String]) -> BTreeSet<String> {
    let parent: Vec<&str> = {
        let mut p: Vec<&str> = at.split("::").collect();
        // `panes` and `widgets` are mod.rs files: their `super` is `tui`.
        if !matches!(at, "panes" | "widgets") {
            p.pop();
        }
        p
    };
    let mut paths: Vec<Vec<String>> = Vec::new();
    for start in ["crate::tui::", "super::"] {
        for (i, _) in src.match_indices(start) {
            let before = src[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut base: Vec<String> = if start == "super::" {
                parent.iter().map(|s| s.to_string()).collect()
            } else {
                Vec::new()
            };
            let rest = &src[i + start.len()..];
            let mut segs = rest.split("::");
            let mut group = None;
            for seg in segs.by_ref() {
                if let Some(g) = seg.strip_prefix('{') {
                    group = Some(g);
                    break;
                }
                let name: String = seg
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                match name.as_str() {
                    "super" => {
                        base.pop();
                    }
                    "" => break,
                    _ => {
                        let whole = name.len() == seg.len();
                        base.push(name);
                        if !whole {
                            break;
                        }
                    }
                }
            }
            match group {
                // `use super::{a, b::C}`: each member is a path of its own.
                Some(g) => {
                    let g = g.split('}').next().unwrap_or("");
                    for member in g.split(',') {
                        let name: String = member
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let mut p = base.clone();
                        p.push(name);
                        paths.push(p);
                    }
                }
                None => paths.push(base),
            }
        }
    }
    let mut out = BTreeSet::new();
    for p in paths {
        // The longest prefix that is a file.
        for k in (1..=p.len()).rev() {
            let m = p[..k].join("::");
            if files.contains(&m) {
                if m != at {
                    out.insert(m);
                }
                break;
            }
        }
    }
    out
}

#[test]
fn no_tui_files_import_each_other_in_a_loop() {
    let all = all_files();
    let names: Vec<String> = all.iter().map(|(n, _)| n.clone()).collect();
    let edges: Vec<(String, BTreeSet<String>)> = all
        .iter()
        .map(|(n, s)| (n.clone(), imports(n, s, &names)))
        .collect();
    // Depth-first search from every file; meeting a file still on the path is a loop.
    fn visit(
        n: &str,
        edges: &[(String, BTreeSet<String>)],
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(n) {
            return;
        }
        if let Some(i) = path.iter().position(|p| p == n) {
            panic!("import cycle: {} → {n}", path[i..].join(" → "));
        }
        path.push(n.to_string());
        if let Some((_, next)) = edges.iter().find(|(m, _)| m == n) {
            for m in next {
                visit(m, edges, path, done);
            }
        }
        path.pop();
        done.insert(n.to_string());
    }
    let mut done = BTreeSet::new();
    for (n, _) in &edges {
        visit(n, &edges, &mut Vec::new(), &mut done);
    }
    // The check sees real imports.
    let app = edges.iter().find(|(n, _)| n == "app").map(|(_, e)| e);
    assert!(app.is_some_and(|e| e.contains("panes::list") && e.contains("stack")));
    let pane = edges.iter().find(|(n, _)| n == "pane").map(|(_, e)| e);
    assert!(pane.is_some_and(|e| e.contains("widgets::chrome") && e.contains("detail")));
}

#[test]
fn a_loop_is_found() {
    let names = vec!["a".to_string(), "b".to_string()];
    assert!(imports("a", "use super::{b, c::D};", &names).contains("b"));
    assert!(imports("widgets::x", "use super::super::a::T;", &["a".into()]).contains("a"));
}

#[test]
fn the_check_sees_dependencies() {
    let src =
        "use crate::tui::app::App;\nuse super::keys::Key;\nlet x = crate::tui::panes::list::PAGE;";
    let deps = named(src, "crate::tui::");
    assert!(deps.contains("app") && deps.contains("panes"));
    assert!(named(src, "super::").contains("keys"));
}
