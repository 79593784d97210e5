//! What the two import checks share (tests/tui_floors.rs and tests/module_cycles.rs): the edge
//! record, `use`-tree expansion, the cycle finder, and (in [`paths`]) reading a tree's imports.

use std::collections::{BTreeMap, BTreeSet};

pub mod paths;

/// One import between two modules: where it is written and what it names.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub file: String,
    pub line: usize,
    pub path: String,
}

/// Expand `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
pub fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len().saturating_sub(1)];
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
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(&format!("{prefix}{p}")))
        .collect()
}

/// Groups of more than one unit that reach each other, each with the imports inside it.
pub fn cycles(edges: &[Edge], dir: &str) -> Vec<String> {
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in edges {
        graph.entry(&e.from).or_default().insert(&e.to);
        graph.entry(&e.to).or_default();
    }
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            for m in &graph[n] {
                if seen.insert(*m) {
                    stack.push(m);
                }
            }
        }
        seen
    };
    let nodes: Vec<&str> = graph.keys().copied().collect();
    let reaches: BTreeMap<&str, BTreeSet<&str>> = nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut groups = Vec::new();
    for n in &nodes {
        if done.contains(n) || !reaches[n].contains(n) {
            continue;
        }
        let group: BTreeSet<&str> = nodes
            .iter()
            .filter(|m| reaches[n].contains(*m) && reaches[*m].contains(n))
            .copied()
            .collect();
        done.extend(group.iter().copied());
        let inside: Vec<String> = edges
            .iter()
            .filter(|e| group.contains(e.from.as_str()) && group.contains(e.to.as_str()))
            .map(|e| {
                format!(
                    "  {dir}{}:{}: {} -> {} (`{}`)",
                    e.file, e.line, e.from, e.to, e.path
                )
            })
            .collect();
        let names: Vec<&str> = group.into_iter().collect();
        groups.push(format!(
            "cycle between {}:\n{}",
            names.join(", "),
            inside.join("\n")
        ));
    }
    groups
}
