//! No import cycles between a crate's modules.
//!
//! Reads every crate's sources, lists the crate-internal edges (`use crate::…`, `use super::…`,
//! and paths such as `crate::store::now_ms()` in code) and, for every module that has children,
//! checks that its children depend on one another without a cycle: a child may use its parent
//! (the parent holds what its children share), siblings form a layering. A module's own inline
//! `#[cfg(test)]` code is left out: it compiles only into tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// The crates of the workspace, by their source folder.
const CRATES: &[&str] = &[
    "src",
    "crates/protocol/src",
    "crates/hub/src",
    "crates/bench/src",
    "xtask/src",
];

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut failures = Vec::new();
    for source in CRATES {
        let graph = Graph::read(&root.join(source));
        assert!(
            graph.modules.len() > 1 || *source == "crates/bench/src",
            "{source}: no modules found; the scan is broken"
        );
        println!("{source}: {} modules", graph.modules.len());
        for (from, to) in &graph.edges {
            println!("  {} -> {}", show(from), show(to));
        }
        for cycle in graph.cycles() {
            failures.push(format!("{source}: {}", cycle.join(", ")));
        }
    }
    assert!(
        failures.is_empty(),
        "import cycles between sibling modules (break them by moving the shared piece down or \
         into the parent):\n{}",
        failures.join("\n")
    );
}

/// The scanner itself finds a planted cycle, including one through a grouped `use`.
#[test]
fn the_scan_finds_a_planted_cycle() {
    let dir = std::env::temp_dir().join(format!("tenfour-imports-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("net")).unwrap();
    let write = |path: &str, text: &str| std::fs::write(dir.join(path), text).unwrap();
    write("lib.rs", "mod store;\nmod net;\n");
    write("store.rs", "use crate::net::wire::Frame;\n");
    write("net/mod.rs", "mod wire;\nmod engine;\n");
    write("net/wire.rs", "pub struct Frame;\n");
    write(
        "net/engine.rs",
        "use crate::{net::wire, x::y};\nfn f() { let _ = crate::store::open(); }\n",
    );
    let graph = Graph::read(&dir);
    let cycles = graph.cycles();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(cycles, vec![vec!["net -> store", "store -> net"]]);
}

fn show(module: &Module) -> String {
    if module.is_empty() {
        "crate".to_string()
    } else {
        module.join("::")
    }
}

struct Graph {
    modules: BTreeSet<Module>,
    edges: BTreeSet<(Module, Module)>,
}

impl Graph {
    fn read(source: &Path) -> Graph {
        let mut files = Vec::new();
        collect(source, &mut files);
        let has_lib = source.join("lib.rs").exists();
        let mut texts = BTreeMap::new();
        for file in files {
            let relative = file.strip_prefix(source).unwrap();
            // A crate with a library: its main.rs is a second crate that uses the library by
            // name, so its paths are not this crate's.
            if has_lib && relative == Path::new("main.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            texts.insert(module_of(relative), text);
        }
        let modules: BTreeSet<Module> = texts.keys().cloned().collect();
        let mut edges = BTreeSet::new();
        for (module, text) in &texts {
            for path in paths_in(without_tests(&strip_comments(text))) {
                let Some(absolute) = absolute(module, &path) else {
                    continue;
                };
                // The longest prefix that is a module of this crate.
                let target = (0..=absolute.len())
                    .rev()
                    .map(|n| absolute[..n].to_vec())
                    .find(|prefix| modules.contains(prefix));
                if let Some(target) = target
                    && &target != module
                {
                    edges.insert((module.clone(), target));
                }
            }
        }
        Graph { modules, edges }
    }

    /// For every module, its children's dependencies on one another; each group of children
    /// that depend on each other in a circle (a strongly connected component), with the edges
    /// that close it.
    fn cycles(&self) -> Vec<Vec<String>> {
        let mut found = Vec::new();
        for parent in &self.modules {
            let child_of = |m: &Module| {
                (m.len() > parent.len() && m.starts_with(parent))
                    .then(|| m[..parent.len() + 1].to_vec())
            };
            let mut depends: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
            for (from, to) in &self.edges {
                if let (Some(a), Some(b)) = (child_of(from), child_of(to))
                    && a != b
                {
                    depends.entry(a).or_default().insert(b);
                }
            }
            let reach: BTreeMap<&Module, BTreeSet<Module>> = depends
                .keys()
                .map(|m| (m, reachable(m, &depends)))
                .collect();
            let mut seen = BTreeSet::new();
            for (node, reached) in &reach {
                if seen.contains(*node) || !reached.contains(*node) {
                    continue;
                }
                let group: BTreeSet<&Module> = reached
                    .iter()
                    .filter(|other| reach.get(other).is_some_and(|r| r.contains(*node)))
                    .collect();
                let mut closing = Vec::new();
                for from in &group {
                    for to in depends.get(*from).into_iter().flatten() {
                        if group.contains(to) {
                            closing.push(format!("{} -> {}", show(from), show(to)));
                        }
                    }
                }
                seen.extend(group.into_iter().cloned());
                found.push(closing);
            }
        }
        found
    }
}

fn reachable(from: &Module, depends: &BTreeMap<Module, BTreeSet<Module>>) -> BTreeSet<Module> {
    let mut reached = BTreeSet::new();
    let mut todo: Vec<&Module> = depends.get(from).into_iter().flatten().collect();
    while let Some(next) = todo.pop() {
        if reached.insert(next.clone()) {
            todo.extend(depends.get(next).into_iter().flatten());
        }
    }
    reached
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

fn module_of(relative: &Path) -> Module {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    }
}

/// Every path starting with `crate`, `super` or `self`, with grouped `use` trees expanded.
fn paths_in(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = text;
    // `use` statements, whose braces group several paths.
    let mut code = String::new();
    while let Some(at) = find_use(rest) {
        code.push_str(&rest[..at]);
        let end = rest[at..].find(';').map_or(rest.len(), |e| at + e);
        let tree: String = rest[at + 4..end]
            .replace(" as ", "@")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        expand(&tree, &mut Vec::new(), &mut paths);
        rest = &rest[end..];
    }
    code.push_str(rest);
    // Paths written in code.
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start) {
            let at = from + at;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let end = code[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| at + e);
            paths.push(
                code[at..end]
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            );
        }
    }
    paths
        .into_iter()
        .filter(|p: &Vec<String>| matches!(p.first().map(String::as_str), Some("crate" | "super")))
        .collect()
}

fn find_use(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find("use ") {
        let at = from + at;
        let before = text[..at].chars().last();
        if before.is_none_or(|c| c.is_whitespace() || c == '{' || c == ';' || c == '}') {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim_start_matches("::");
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let depth = prefix.len();
        prefix.extend(head);
        for part in split_top(inner) {
            expand(part, prefix, out);
        }
        prefix.truncate(depth);
    } else {
        let mut path = prefix.clone();
        let tree = tree.split('@').next().unwrap_or(tree);
        path.extend(
            tree.split("::")
                .filter(|s| !s.is_empty() && *s != "*" && *s != "self")
                .map(str::to_string),
        );
        out.push(path);
    }
}

fn split_top(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// The path from the crate root, or None for a path outside the crate.
fn absolute(module: &Module, path: &[String]) -> Option<Module> {
    let mut base = module.clone();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}
