//! Reads `src/**/*.rs` well enough to draw trawl's module graph: a small lexer (comments,
//! strings and char literals dropped), `#[cfg(test)]` items skipped, `use` trees expanded, and
//! every `crate::`/`super::`/`self::`/child-module path resolved to the file that defines it
//! (following `pub use` re-exports of `mod.rs` files). Heuristic, not a Rust parser: macros
//! are not expanded and a name shadowing a module can fool it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path from the crate root: `[]` is `lib.rs`, `["tui", "app"]` is `src/tui/app.rs`.
pub type ModPath = Vec<String>;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

/// One source file: where it is, which module it defines, and its tokens outside test code.
pub struct SourceFile {
    /// Relative to the repository root, e.g. `src/tui/app.rs`.
    pub rel: String,
    pub module: ModPath,
    pub tokens: Vec<Tok>,
}

pub struct Crate {
    pub files: Vec<SourceFile>,
    by_module: BTreeMap<ModPath, usize>,
    /// `pub use` re-exports per file module: exported name → absolute target path.
    reexports: BTreeMap<ModPath, BTreeMap<String, ModPath>>,
}

/// Reads the library crate under `root/src`: the files `lib.rs` reaches through `mod`
/// declarations outside test code (the binary's `main.rs` is left out: it only calls the
/// library).
pub fn read_crate(root: &Path) -> Crate {
    let mut paths = Vec::new();
    collect_rs(&root.join("src"), &mut paths);
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        let rel = p
            .strip_prefix(root)
            .unwrap_or(&p)
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "src/main.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
        files.push(SourceFile {
            module: module_of(&rel),
            tokens: strip_test_items(&lex(&text)),
            rel,
        });
    }
    // Only files the library compiles: a module declared under `#[cfg(test)]` (its `mod`
    // line is gone with the test items) is test code, like the items themselves.
    let declared: BTreeSet<ModPath> = files
        .iter()
        .flat_map(|f| {
            f.tokens.windows(3).filter_map(|w| match w {
                [Tok::Ident(kw), Tok::Ident(name), Tok::Punct(';')] if kw == "mod" => {
                    let mut m = f.module.clone();
                    m.push(name.clone());
                    Some(m)
                }
                _ => None,
            })
        })
        .collect();
    let compiled = |m: &ModPath| (1..=m.len()).all(|n| declared.contains(&m[..n]));
    files.retain(|f| compiled(&f.module));
    let by_module = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.module.clone(), i))
        .collect();
    let mut krate = Crate {
        files,
        by_module,
        reexports: BTreeMap::new(),
    };
    for i in 0..krate.files.len() {
        let module = krate.files[i].module.clone();
        let mut map = BTreeMap::new();
        for u in uses(&krate.files[i].tokens)
            .into_iter()
            .filter(|u| u.public)
        {
            if let (Some(name), Some(abs)) = (u.name.clone(), krate.absolute(&module, &u.path)) {
                map.insert(name, abs);
            }
        }
        krate.reexports.insert(module, map);
    }
    krate
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` → `[a, b]`; `src/lib.rs` → `[]`.
fn module_of(rel: &str) -> ModPath {
    let inner = rel.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = inner.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

impl Crate {
    /// Edges between files: `(from file index, to file index)`, self-edges left out.
    pub fn file_edges(&self) -> BTreeSet<(usize, usize)> {
        let mut edges = BTreeSet::new();
        for (i, f) in self.files.iter().enumerate() {
            for (scope, path) in references(&f.tokens) {
                let mut here = f.module.clone();
                here.extend(scope);
                if let Some(j) = self.absolute(&here, &path).and_then(|a| self.file_of(&a))
                    && j != i
                {
                    edges.insert((i, j));
                }
            }
        }
        edges
    }

    /// Turns `path` as written in module `here` into an absolute module path, or `None` when it
    /// does not start in this crate (`std::…`, another crate, a local name).
    fn absolute(&self, here: &ModPath, path: &[String]) -> Option<ModPath> {
        let first = path.first()?;
        let (mut abs, rest) = match first.as_str() {
            "crate" => (Vec::new(), &path[1..]),
            "self" => (here.clone(), &path[1..]),
            "super" => {
                let mut abs = here.clone();
                let mut rest = path;
                while rest.first().map(String::as_str) == Some("super") {
                    abs.pop()?;
                    rest = &rest[1..];
                }
                (abs, rest)
            }
            name => {
                let mut child = here.clone();
                child.push(name.to_string());
                self.by_module.contains_key(&child).then_some(())?;
                (here.clone(), path)
            }
        };
        abs.extend(rest.iter().cloned());
        Some(abs)
    }

    /// The file that defines the item at `abs`: the longest prefix that is a file module,
    /// looking through that module's `pub use` re-exports.
    fn file_of(&self, abs: &ModPath) -> Option<usize> {
        let mut abs = abs.clone();
        for _ in 0..8 {
            let n = (0..=abs.len())
                .rev()
                .find(|&n| self.by_module.contains_key(&abs[..n]))?;
            let module = abs[..n].to_vec();
            let via = abs
                .get(n)
                .and_then(|name| self.reexports.get(&module)?.get(name));
            match via {
                Some(target) if !target.starts_with(&abs) => {
                    let mut next = target.clone();
                    next.extend(abs[n + 1..].iter().cloned());
                    abs = next;
                }
                _ => return self.by_module.get(&module).copied(),
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Lexing.

fn lex(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = skip_string(&c, i + 1);
        } else if let Some(end) = raw_string_end(&c, i) {
            i = end;
        } else if ch == '\'' {
            i = skip_char_or_lifetime(&c, i);
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            // b"…" and b'…' are byte literals, not an identifier `b`.
            if word == "b" && matches!(c.get(i), Some('"' | '\'')) {
                continue;
            }
            out.push(Tok::Ident(word));
        } else if ch == ':' && next == Some(':') {
            out.push(Tok::PathSep);
            i += 2;
        } else {
            if !ch.is_whitespace() {
                out.push(Tok::Punct(ch));
            }
            i += 1;
        }
    }
    out
}

fn skip_string(c: &[char], mut i: usize) -> usize {
    while i < c.len() {
        match c[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// `r"…"`, `r#"…"#`, `br#"…"#`: the index after the literal, if one starts at `i`.
fn raw_string_end(c: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') || (i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')) {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|&&h| h == '#').count();
    j += hashes;
    if c.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < c.len() {
        if c[j] == '"'
            && c[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&h| h == '#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(j)
}

/// A char literal (`'a'`, `'\n'`, `'\u{1b}'`) is skipped whole; a lifetime (`'a`) only its quote.
fn skip_char_or_lifetime(c: &[char], i: usize) -> usize {
    if c.get(i + 1) == Some(&'\\') {
        let mut j = i + 2;
        while j < c.len() && c[j] != '\'' {
            j += 1;
        }
        return j + 1;
    }
    if c.get(i + 2) == Some(&'\'') {
        return i + 3;
    }
    i + 1
}

/// Drops every item under `#[cfg(test)]`: test code may import anything.
fn strip_test_items(toks: &[Tok]) -> Vec<Tok> {
    let cfg_test = [
        Tok::Punct('#'),
        Tok::Punct('['),
        Tok::Ident("cfg".into()),
        Tok::Punct('('),
        Tok::Ident("test".into()),
        Tok::Punct(')'),
        Tok::Punct(']'),
    ];
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        if toks[i..].starts_with(&cfg_test) {
            i += cfg_test.len();
            // The item ends at its first `;` or with its first balanced `{…}`.
            let mut depth = 0usize;
            while i < toks.len() {
                match &toks[i] {
                    Tok::Punct('{') => depth += 1,
                    Tok::Punct('}') => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    Tok::Punct(';') if depth == 0 => {
                        i += 1;
                        break;
                    }
                    _ => {}
                }
                i += 1;
            }
        } else {
            out.push(toks[i].clone());
            i += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Paths.

/// One path imported by a `use` declaration.
pub struct Use {
    pub path: Vec<String>,
    /// The name it is bound to (`None` for globs).
    pub name: Option<String>,
    pub public: bool,
}

fn ident(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

/// Every `use` declaration, its trees expanded into single paths.
fn uses(toks: &[Tok]) -> Vec<Use> {
    let mut out = Vec::new();
    for i in 0..toks.len() {
        if ident(toks.get(i)) != Some("use") {
            continue;
        }
        let public = (1..=4).any(|back| i >= back && ident(toks.get(i - back)) == Some("pub"));
        let mut j = i + 1;
        let mut found = Vec::new();
        use_tree(toks, &mut j, Vec::new(), &mut found);
        out.extend(
            found
                .into_iter()
                .map(|(path, name)| Use { path, name, public }),
        );
    }
    out
}

fn use_tree(
    toks: &[Tok],
    j: &mut usize,
    mut prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    loop {
        match toks.get(*j) {
            Some(Tok::PathSep) => *j += 1,
            Some(Tok::Punct('{')) => {
                *j += 1;
                while !matches!(toks.get(*j), None | Some(Tok::Punct('}'))) {
                    use_tree(toks, j, prefix.clone(), out);
                    if toks.get(*j) == Some(&Tok::Punct(',')) {
                        *j += 1;
                    }
                }
                *j += 1;
                return;
            }
            Some(Tok::Punct('*')) => {
                *j += 1;
                out.push((prefix, None));
                return;
            }
            Some(Tok::Ident(s)) if s != "as" => {
                prefix.push(s.clone());
                *j += 1;
            }
            _ => {
                let mut name = prefix.last().cloned();
                if ident(toks.get(*j)) == Some("as") {
                    name = ident(toks.get(*j + 1)).map(str::to_string);
                    *j += 2;
                }
                if name.as_deref() == Some("self") {
                    prefix.pop();
                    name = prefix.last().cloned();
                }
                if !prefix.is_empty() {
                    out.push((prefix, name));
                }
                return;
            }
        }
    }
}

/// Every path in the file (`use` trees expanded, plus `a::b::c` in code), each with the inline
/// modules (`mod name { … }`) it sits in.
fn references(toks: &[Tok]) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    let mut scope: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let names = || scope.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        match &toks[i] {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if scope.last().is_some_and(|(_, d)| *d == depth) {
                    scope.pop();
                }
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some(name), Some(Tok::Punct('{'))) =
                    (ident(toks.get(i + 1)), toks.get(i + 2))
                {
                    scope.push((name.to_string(), depth));
                }
            }
            Tok::Ident(kw) if kw == "use" => {
                let mut j = i + 1;
                let mut found = Vec::new();
                use_tree(toks, &mut j, Vec::new(), &mut found);
                out.extend(found.into_iter().map(|(p, _)| (names(), p)));
                i = j;
                continue;
            }
            Tok::Ident(first) if toks.get(i + 1) == Some(&Tok::PathSep) => {
                // `$crate::…` belongs to whoever expands the macro.
                let after_dollar = i > 0 && toks[i - 1] == Tok::Punct('$');
                let after_sep = i > 0 && toks[i - 1] == Tok::PathSep;
                let mut path = vec![first.clone()];
                let mut j = i + 1;
                while toks.get(j) == Some(&Tok::PathSep) {
                    match ident(toks.get(j + 1)) {
                        Some(s) => path.push(s.to_string()),
                        None => break,
                    }
                    j += 2;
                }
                if !after_dollar && !after_sep {
                    out.push((names(), path));
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Cycles.

/// Strongly connected components with more than one node, each sorted, in sorted order.
pub fn cycles<N: Ord + Clone>(nodes: &BTreeSet<N>, edges: &BTreeSet<(N, N)>) -> Vec<Vec<N>> {
    let idx: BTreeMap<&N, usize> = nodes.iter().enumerate().map(|(i, n)| (n, i)).collect();
    let list: Vec<&N> = nodes.iter().collect();
    let mut adj = vec![Vec::new(); list.len()];
    for (a, b) in edges {
        if let (Some(&x), Some(&y)) = (idx.get(a), idx.get(b)) {
            adj[x].push(y);
        }
    }
    let sccs = tarjan(&adj);
    let mut out: Vec<Vec<N>> = sccs
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| {
            let mut v: Vec<N> = c.into_iter().map(|i| list[i].clone()).collect();
            v.sort();
            v
        })
        .collect();
    out.sort();
    out
}

fn tarjan(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        adj: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for k in 0..s.adj[v].len() {
            let w = s.adj[v][k];
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                comp.push(w);
                if w == v {
                    break;
                }
            }
            s.out.push(comp);
        }
    }
    let n = adj.len();
    let mut s = State {
        adj,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.out
}
