//! The checks TF's graph import makes on a GraphDef's structure alone
//! (core/common_runtime/graph_constructor.cc): unique node names, inputs
//! that name existing nodes and outputs, and no cycle other than a while
//! loop's. A graph failing them cannot be imported by TF, so freezing it
//! would write a `.pb` nobody can load, or one computing something else.
//! Attrs and op definitions are deliberately not checked: graphs that only
//! a newer or older TF refuses for those reasons still freeze.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::proto::{GraphDef, NodeDef};

use super::names::shorten;
use super::ops::output_count;

/// Refuses a graph TF could not import, naming the first offending node.
pub fn check(graph: &GraphDef) -> Result<()> {
    let by_name = unique_names(graph)?;
    let edges = input_edges(graph, &by_name)?;
    check_cycles(graph, &edges)
}

fn unique_names(graph: &GraphDef) -> Result<HashMap<&str, usize>> {
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(graph.node.len());
    for (i, node) in graph.node.iter().enumerate() {
        if let Some(first) = by_name.insert(node.name.as_str(), i) {
            return Err(Error::mismatch(
                &node.name,
                format!(
                    "two nodes have this name (nodes {first} and {i} of the graph); TensorFlow \
                     refuses such a graph, and which one an input means is undefined"
                ),
            ));
        }
    }
    Ok(by_name)
}

/// An input as TF parses it (core/graph/tensor_id.cc `ParseTensorName`):
/// `^node`, `node:index` or `node`. An index that does not fit TF's int
/// is kept as text, so the error can show it.
enum Input<'a> {
    Control(&'a str),
    Data(&'a str, Result<usize, &'a str>),
}

fn parse_input(input: &str) -> Input<'_> {
    if let Some(node) = input.strip_prefix('^') {
        return Input::Control(node);
    }
    match input.rsplit_once(':') {
        Some((node, index)) if !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) => {
            let parsed = index
                .parse::<i32>()
                .ok()
                .and_then(|i| usize::try_from(i).ok());
            Input::Data(node, parsed.ok_or(index))
        }
        _ => Input::Data(input, Ok(0)),
    }
}

/// For each node, the indices of the nodes its inputs name, in input order.
fn input_edges(graph: &GraphDef, by_name: &HashMap<&str, usize>) -> Result<Vec<Vec<usize>>> {
    let mut edges = Vec::with_capacity(graph.node.len());
    for node in &graph.node {
        let mut sources = Vec::with_capacity(node.input.len());
        for input in &node.input {
            let (source, index) = match parse_input(input) {
                Input::Control(source) => (source, None),
                Input::Data(source, index) => (source, Some(index)),
            };
            let Some(&producer) = by_name.get(source) else {
                return Err(Error::mismatch(
                    &node.name,
                    format!("input '{}' names no node of the graph", shorten(input)),
                ));
            };
            let count = graph.node.get(producer).and_then(|p| output_count(&p.op));
            match (index, count) {
                (Some(Err(text)), _) => return Err(bad_output(node, source, shorten(text), None)),
                (Some(Ok(index)), Some(count)) if index >= count => {
                    return Err(bad_output(node, source, index.to_string(), Some(count)))
                }
                _ => {}
            }
            sources.push(producer);
        }
        edges.push(sources);
    }
    Ok(edges)
}

fn bad_output(node: &NodeDef, source: &str, index: String, count: Option<usize>) -> Error {
    let has = match count {
        Some(1) => " (it has 1 output)".to_owned(),
        Some(n) => format!(" (it has {n} outputs)"),
        None => String::new(),
    };
    Error::mismatch(
        &node.name,
        format!("input asks for output {index} of node '{source}', which it does not have{has}"),
    )
}

fn is_merge(op: &str) -> bool {
    matches!(op, "Merge" | "RefMerge")
}

fn is_next_iteration(op: &str) -> bool {
    matches!(op, "NextIteration" | "RefNextIteration")
}

/// Kahn's algorithm with TF's one exception: a `Merge` fed by a
/// `NextIteration` (a while loop's back edge) is ready once its control
/// inputs and any one data input are.
fn check_cycles(graph: &GraphDef, edges: &[Vec<usize>]) -> Result<()> {
    let op = |i: usize| graph.node.get(i).map_or("", |n| n.op.as_str());
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); graph.node.len()];
    let mut pending: Vec<usize> = Vec::with_capacity(graph.node.len());
    for (i, (node, sources)) in graph.node.iter().zip(edges).enumerate() {
        for &source in sources {
            if let Some(list) = consumers.get_mut(source) {
                list.push(i);
            }
        }
        let back_edge = sources.iter().any(|&s| is_next_iteration(op(s)));
        let count = if is_merge(&node.op) && back_edge {
            let controls = node.input.iter().filter(|i| i.starts_with('^')).count();
            controls.saturating_add(1)
        } else {
            sources.len()
        };
        pending.push(count);
    }
    let mut ready: Vec<usize> = (0..pending.len())
        .filter(|&i| pending.get(i) == Some(&0))
        .collect();
    let mut done = vec![false; pending.len()];
    while let Some(i) = ready.pop() {
        if let Some(flag) = done.get_mut(i) {
            *flag = true;
        }
        for &consumer in consumers.get(i).into_iter().flatten() {
            if let Some(count) = pending.get_mut(consumer) {
                if *count == 1 {
                    ready.push(consumer);
                }
                *count = count.saturating_sub(1);
            }
        }
    }
    match done.iter().position(|d| !d).and_then(|i| graph.node.get(i)) {
        Some(node) => Err(Error::mismatch(
            &node.name,
            "this node is in a cycle (its inputs lead back to it), which TensorFlow refuses \
             except through a while loop's NextIteration",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_graph::{graph, node};

    fn refused(nodes: Vec<NodeDef>) -> String {
        check(&graph(nodes)).unwrap_err().to_string()
    }

    #[test]
    fn a_sound_graph_passes_with_a_while_loop() {
        let g = graph(vec![
            node("x", "Placeholder", &[]),
            node("enter", "Enter", &["x"]),
            node("merge", "Merge", &["enter", "next", "^x"]),
            node("switch", "Switch", &["merge", "cond"]),
            node("cond", "LoopCond", &["merge:1"]),
            node("body", "Identity", &["switch:1"]),
            node("next", "NextIteration", &["body"]),
            node("exit", "Exit", &["switch"]),
            node("split", "Split", &["x:0", "x:0"]),
            node("out", "Identity", &["split:7"]),
        ]);
        assert_eq!(check(&g), Ok(()));
    }

    #[test]
    fn duplicate_names_are_refused() {
        let err = refused(vec![
            node("a", "Placeholder", &[]),
            node("b", "Identity", &["a"]),
            node("a", "Const", &[]),
        ]);
        assert!(
            err.starts_with("a: two nodes have this name (nodes 0 and 2"),
            "{err}"
        );
    }

    #[test]
    fn inputs_must_name_nodes_and_outputs_they_have() {
        let err = refused(vec![node("b", "Identity", &["^nope"])]);
        assert_eq!(err, "b: input '^nope' names no node of the graph");
        let huge = "probs:99999999999999999999999";
        let err = refused(vec![
            node("probs", "Softmax", &[]),
            node("b", "Identity", &[huge]),
        ]);
        assert!(
            err.starts_with("b: input asks for output 99999999999999999999999 of node 'probs'"),
            "{err}"
        );
        let err = refused(vec![
            node("a", "Const", &[]),
            node("b", "Identity", &["a:1"]),
        ]);
        assert!(err.ends_with("(it has 1 output)"), "{err}");
        let err = refused(vec![
            node("s", "SaveV2", &[]),
            node("b", "Identity", &["s"]),
        ]);
        assert!(err.ends_with("(it has 0 outputs)"), "{err}");
        // A control input names a node, not an output.
        let g = graph(vec![
            node("s", "SaveV2", &[]),
            node("b", "Identity", &["^s"]),
        ]);
        assert_eq!(check(&g), Ok(()));
        let long = "n".repeat(120_000);
        let err = refused(vec![node("b", "Identity", &[long.as_str()])]);
        assert!(err.len() < 300, "{}", err.len());
    }

    #[test]
    fn cycles_are_refused_naming_a_node() {
        let err = refused(vec![node("a", "Identity", &["a"])]);
        assert!(err.starts_with("a: this node is in a cycle"), "{err}");
        let err = refused(vec![
            node("x", "Placeholder", &[]),
            node("a", "Add", &["x", "b"]),
            node("b", "Identity", &["a"]),
        ]);
        assert!(err.starts_with("a: this node is in a cycle"), "{err}");
        // A Merge without a NextIteration input is no loop.
        let err = refused(vec![
            node("m", "Merge", &["i", "x"]),
            node("i", "Identity", &["m"]),
            node("x", "Const", &[]),
        ]);
        assert!(err.starts_with("m: this node is in a cycle"), "{err}");
    }
}
