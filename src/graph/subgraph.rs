//! `extract_sub_graph`: the nodes the outputs need, in the graph's own order
//! (python/framework/graph_util_impl.py).

use std::collections::{HashMap, VecDeque};

use crate::error::{Error, Result};
use crate::graph::names::{node_name, shorten, suggestions};
use crate::proto::{attr_value, FunctionDefLibrary, GraphDef, NodeDef, VersionDef};

/// The names of the nodes a node depends on: inputs, control inputs, and the
/// nodes it is colocated with through `_class` (`loc:@name`), as TF 2.x does.
pub fn dependencies(node: &NodeDef) -> Vec<&str> {
    let mut deps: Vec<&str> = node.input.iter().map(|i| node_name(i)).collect();
    if let Some(attr_value::Value::List(list)) =
        node.attr.get("_class").and_then(|a| a.value.as_ref())
    {
        for value in &list.s {
            if let Ok(text) = std::str::from_utf8(value) {
                deps.push(text.strip_prefix("loc:@").unwrap_or(text));
            }
        }
    }
    deps
}

/// Keeps the nodes reachable from `outputs`, in their original order. The
/// library and versions are copied whole, as TF does; debug info is not.
pub fn extract(graph: &GraphDef, outputs: &[String]) -> Result<GraphDef> {
    let kept = kept(graph, outputs)?;
    let node = kept
        .into_iter()
        .filter_map(|i| graph.node.get(i).cloned())
        .collect();
    Ok(pruned(node, graph.versions.clone(), graph.library.clone()))
}

/// [`extract`] without a copy: `graph` keeps only its nodes at `kept` (the
/// indices [`kept`] gave), in place, and loses the rest.
pub fn prune(graph: GraphDef, kept: &[usize]) -> GraphDef {
    let GraphDef {
        mut node,
        versions,
        library,
        ..
    } = graph;
    let mut keep = vec![false; node.len()];
    for &i in kept {
        if let Some(flag) = keep.get_mut(i) {
            *flag = true;
        }
    }
    let mut flags = keep.into_iter();
    node.retain(|_| flags.next().unwrap_or(false));
    pruned(node, versions, library)
}

fn pruned(
    node: Vec<NodeDef>,
    versions: Option<VersionDef>,
    library: Option<FunctionDefLibrary>,
) -> GraphDef {
    GraphDef {
        node,
        versions,
        // TF's `out.library.CopyFrom(...)` marks the field present even when
        // the library is empty, so the output always has one.
        library: Some(library.unwrap_or_default()),
        ..Default::default()
    }
}

/// The indices of the nodes reachable from `outputs`, in the graph's order.
pub fn kept(graph: &GraphDef, outputs: &[String]) -> Result<Vec<usize>> {
    // The last node of a duplicated name wins, as in TF's summary pass.
    // Sized once: growing a map of a million names rehashes every one of them
    // at each doubling.
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(graph.node.len());
    for (i, node) in graph.node.iter().enumerate() {
        by_name.insert(node.name.as_str(), i);
    }
    for output in outputs {
        if !by_name.contains_key(output.as_str()) {
            return Err(Error::UnknownNode {
                name: shorten(output),
                suggestions: suggestions(output, graph.node.iter().map(|n| n.name.as_str())),
            });
        }
    }
    let mut kept = vec![false; graph.node.len()];
    let mut queue: VecDeque<(&str, Option<&str>)> =
        outputs.iter().map(|o| (o.as_str(), None)).collect();
    while let Some((name, needed_by)) = queue.pop_front() {
        let Some(&index) = by_name.get(name) else {
            let consumer = needed_by.unwrap_or("the outputs");
            return Err(Error::mismatch(
                consumer,
                format!("needs node '{name}', which is not in the graph"),
            ));
        };
        match kept.get_mut(index) {
            Some(seen @ false) => *seen = true,
            _ => continue,
        }
        if let Some(node) = graph.node.get(index) {
            for dep in dependencies(node) {
                queue.push_back((dep, Some(node.name.as_str())));
            }
        }
    }
    Ok((0..kept.len())
        .filter(|&i| kept.get(i) == Some(&true))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, inputs: &[&str]) -> NodeDef {
        NodeDef {
            name: name.into(),
            op: "Op".into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn keeps_original_order_and_control_inputs() {
        let graph = GraphDef {
            node: vec![
                node("a", &[]),
                node("unused", &["a"]),
                node("b", &["a:0"]),
                node("c", &["b", "^d"]),
                node("d", &[]),
            ],
            ..Default::default()
        };
        let out = extract(&graph, &["c".into()]).expect("extracts");
        let names: Vec<&str> = out.node.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }

    #[test]
    fn unknown_output_suggests_names() {
        let graph = GraphDef {
            node: vec![node("output", &[])],
            ..Default::default()
        };
        let err = extract(&graph, &["outptu".into()]).expect_err("unknown");
        assert!(
            matches!(err, Error::UnknownNode { ref suggestions, .. } if suggestions == &["output"])
        );
    }

    #[test]
    fn dangling_input_is_named() {
        let graph = GraphDef {
            node: vec![node("c", &["ghost"])],
            ..Default::default()
        };
        let err = extract(&graph, &["c".into()]).expect_err("dangling");
        assert_eq!(
            err.to_string(),
            "c: needs node 'ghost', which is not in the graph"
        );
    }
}
