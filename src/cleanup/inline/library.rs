//! The library after inlining: only the functions the graph still calls
//! (through a func attr, such as `While`'s `body`, or as an op), the ones
//! those call, and their gradients.

use std::collections::{HashMap, HashSet};

use crate::proto::{attr_value, GraphDef, NodeDef};

/// Most dropped functions named in the change line.
const MAX_NAMED: usize = 8;

/// Drops the functions nothing calls any more; the library goes when empty.
pub(super) fn drop_uncalled(graph: &mut GraphDef) -> Vec<String> {
    let Some(library) = graph.library.as_mut() else {
        return Vec::new();
    };
    let by_name: HashMap<&str, usize> = library
        .function
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((f.signature.as_ref()?.name.as_str(), i)))
        .collect();
    let gradients: HashMap<&str, &str> = library
        .gradient
        .iter()
        .map(|g| (g.function_name.as_str(), g.gradient_func.as_str()))
        .collect();
    let mut called: HashSet<String> = HashSet::new();
    let mut queue: Vec<String> = Vec::new();
    let note = |node: &NodeDef, queue: &mut Vec<String>| {
        queue.extend(calls(node).filter(|n| by_name.contains_key(n.as_str())));
    };
    for node in &graph.node {
        note(node, &mut queue);
    }
    while let Some(name) = queue.pop() {
        if !called.insert(name.clone()) {
            continue;
        }
        if let Some(gradient) = gradients.get(name.as_str()) {
            queue.push((*gradient).to_owned());
        }
        let body = by_name
            .get(name.as_str())
            .and_then(|&i| library.function.get(i));
        for node in body.iter().flat_map(|f| &f.node_def) {
            note(node, &mut queue);
        }
    }
    let mut dropped: Vec<String> = by_name
        .keys()
        .filter(|name| !called.contains(**name))
        .map(|name| (*name).to_owned())
        .collect();
    dropped.sort();
    library.function.retain(|f| {
        f.signature
            .as_ref()
            .is_some_and(|s| called.contains(&s.name))
    });
    library
        .gradient
        .retain(|g| called.contains(&g.function_name));
    if library.function.is_empty()
        && library.gradient.is_empty()
        && library.registered_gradients.is_empty()
    {
        graph.library = None;
    }
    if dropped.is_empty() {
        return Vec::new();
    }
    // Keras models bring a hundred functions and more: a few names say enough.
    let shown = dropped.len().min(MAX_NAMED);
    let mut named = dropped.get(..shown).unwrap_or_default().join(", ");
    if dropped.len() > shown {
        named.push_str(&format!(
            " and {} more",
            dropped.len().saturating_sub(shown)
        ));
    }
    vec![format!(
        "dropped {} function{} nothing calls any more: {named}",
        dropped.len(),
        if dropped.len() == 1 { "" } else { "s" },
    )]
}

/// The functions a node names: its func attrs (and lists of them), and its op.
fn calls(node: &NodeDef) -> impl Iterator<Item = String> + '_ {
    let attrs = node.attr.values().flat_map(|attr| match &attr.value {
        Some(attr_value::Value::Func(f)) => vec![f.name.clone()],
        Some(attr_value::Value::List(list)) => list.func.iter().map(|f| f.name.clone()).collect(),
        _ => Vec::new(),
    });
    std::iter::once(node.op.clone()).chain(attrs)
}
