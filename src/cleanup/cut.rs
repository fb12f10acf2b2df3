//! The graph cut at named tensors (`input_names`): each becomes a
//! `Placeholder`, as `strip_unused_lib.strip_unused` does for
//! `optimize_for_inference`'s `--input_names`
//! (tensorflow/python/tools/strip_unused_lib.py), and what only fed those
//! tensors is pruned by the freeze. Unlike `strip_unused`, a tensor may be any
//! output of a node (`name:1`), and the dtype and shape are the tensor's own
//! instead of one `placeholder_type_enum` for all.

use std::collections::{BTreeMap, HashMap};

use crate::dtype::python_dtype_name;
use crate::error::{Error, Result};
use crate::graph::attrs::{op_defs, output_dtype, output_shape, shape_dims, type_value};
use crate::graph::names::{endpoint, resolve_output};
use crate::graph::ops::is_placeholder;
use crate::proto::{attr_value, AttrValue, GraphDef, NodeDef, OpList, TensorShapeProto};

/// The placeholder name for output `port` of `node`: the node's own name for
/// output 0 (so its readers need no change), `node_port` for the others.
pub fn placeholder_name(node: &str, port: usize) -> String {
    if port == 0 {
        node.to_owned()
    } else {
        format!("{node}_{port}")
    }
}

/// Cuts the graph at each of `names` (`node` or `node:port`); `op_list` (a
/// `.meta`'s op definitions) tells output dtypes where attrs do not.
pub fn cut_inputs(
    graph: &mut GraphDef,
    names: &[String],
    op_list: Option<&OpList>,
) -> Result<Vec<String>> {
    // Ports to cut, by node, in the order given.
    let mut wanted: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for given in names {
        let node = resolve_output(graph, given)?;
        let (_, port) = endpoint(given.trim());
        if !order.contains(&node) {
            order.push(node.clone());
        }
        let ports = wanted.entry(node).or_default();
        if !ports.contains(&port) {
            ports.push(port);
        }
    }
    let defs = op_defs(op_list);
    let mut changes = Vec::new();
    for node_name in order {
        let ports = wanted.get(&node_name).cloned().unwrap_or_default();
        let node = graph
            .node
            .iter()
            .rev()
            .find(|n| n.name == node_name)
            .cloned()
            .ok_or_else(|| Error::mismatch(&node_name, "the node vanished"))?;
        check_cut(graph, &node, &ports)?;
        for &port in &ports {
            let dtype = output_dtype(&node, &defs, port).ok_or_else(|| {
                Error::mismatch(
                    &node.name,
                    format!(
                        "cannot cut at output {port} of this {}: its dtype is not recorded",
                        node.op
                    ),
                )
            })?;
            let shape = output_shape(&node, port);
            let placeholder = placeholder(&node, port, dtype, shape.as_deref());
            changes.push(format!(
                "cut the graph at '{}' ({}): it is now placeholder '{}' ({}, shape {})",
                tensor_text(&node.name, port),
                node.op,
                placeholder.name,
                python_dtype_name(dtype).unwrap_or_default(),
                shape.map_or("unknown".to_owned(), |d| format!("{d:?}"))
            ));
            install(graph, &node.name, port, placeholder);
        }
    }
    Ok(changes)
}

fn tensor_text(node: &str, port: usize) -> String {
    if port == 0 {
        node.to_owned()
    } else {
        format!("{node}:{port}")
    }
}

/// Refuses a cut that cannot be made: at a placeholder, at a name taken by
/// another node, or at output 0 while other outputs are still read (the
/// placeholder takes the node's name).
fn check_cut(graph: &GraphDef, node: &NodeDef, ports: &[usize]) -> Result<()> {
    if is_placeholder(&node.op) {
        return Err(Error::mismatch(
            &node.name,
            "is a placeholder already: there is nothing to cut (`input_names`)",
        ));
    }
    for &port in ports.iter().filter(|&&p| p != 0) {
        let name = placeholder_name(&node.name, port);
        if graph.node.iter().any(|n| n.name == name) {
            return Err(Error::mismatch(
                &node.name,
                format!("cannot cut at output {port}: a node named '{name}' exists already"),
            ));
        }
    }
    if ports.contains(&0) {
        let mut read: Vec<usize> = readers(graph, &node.name)
            .into_values()
            .filter(|p| !ports.contains(p))
            .collect();
        read.sort_unstable();
        read.dedup();
        if let Some(other) = read.first() {
            return Err(Error::mismatch(
                &node.name,
                format!(
                    "cannot cut at output 0 only: output {other} is read too; cut it as well \
                     (`input_names` {}:{other})",
                    node.name
                ),
            ));
        }
    }
    Ok(())
}

/// Data inputs that read `node`, each with the output port it reads.
fn readers(graph: &GraphDef, node: &str) -> HashMap<String, usize> {
    graph
        .node
        .iter()
        .flat_map(|n| n.input.iter())
        .filter(|i| !i.starts_with('^'))
        .filter(|i| endpoint(i).0 == node)
        .map(|i| (i.clone(), endpoint(i).1))
        .collect()
}

fn placeholder(node: &NodeDef, port: usize, dtype: i32, dims: Option<&[i64]>) -> NodeDef {
    let shape = match dims {
        Some(dims) => crate::tensor::shape_proto(dims),
        None => TensorShapeProto {
            unknown_rank: true,
            ..Default::default()
        },
    };
    let mut placeholder = NodeDef {
        name: placeholder_name(&node.name, port),
        op: "Placeholder".into(),
        device: node.device.clone(),
        ..Default::default()
    };
    placeholder.attr.insert("dtype".into(), type_value(dtype));
    placeholder.attr.insert(
        "shape".into(),
        AttrValue {
            value: Some(attr_value::Value::Shape(Box::new(shape))),
        },
    );
    placeholder
}

/// Puts the placeholder in: in place of the node for output 0, after it for
/// the others, whose readers are rewired.
fn install(graph: &mut GraphDef, node: &str, port: usize, placeholder: NodeDef) {
    if port == 0 {
        if let Some(slot) = graph.node.iter_mut().rev().find(|n| n.name == node) {
            *slot = placeholder;
        }
        return;
    }
    for consumer in &mut graph.node {
        for input in &mut consumer.input {
            if !input.starts_with('^') && endpoint(input) == (node, port) {
                input.clone_from(&placeholder.name);
            }
        }
    }
    let at = graph
        .node
        .iter()
        .position(|n| n.name == node)
        .map_or(graph.node.len(), |i| i.saturating_add(1));
    graph.node.insert(at.min(graph.node.len()), placeholder);
}

/// The known dimensions of a placeholder's `shape` attr (`None`: unknown rank).
pub(super) fn declared_shape(node: &NodeDef) -> Option<Vec<i64>> {
    match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Shape(s)) => shape_dims(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_graph::{find, graph, node, shape, with_attr};
    use crate::proto::DataType;

    fn split_graph() -> GraphDef {
        let float = attr_value::Value::Type(DataType::DtFloat as i32);
        let shapes = attr_value::Value::List(Box::new(attr_value::ListValue {
            shape: vec![shape(&[-1, 2]), shape(&[-1, 2])],
            ..Default::default()
        }));
        graph(vec![
            node("file", "ReadFile", &["path"]),
            with_attr(
                with_attr(node("split", "Split", &["dim", "file"]), "T", float),
                "_output_shapes",
                shapes,
            ),
            node("a", "Relu", &["split"]),
            node("b", "Relu", &["split:1", "^split"]),
        ])
    }

    #[test]
    fn tensors_become_placeholders() {
        let mut g = split_graph();
        let names = vec!["split:1".to_owned(), "split".to_owned()];
        let changes = cut_inputs(&mut g, &names, None).expect("cuts");
        assert_eq!(
            changes,
            vec![
                "cut the graph at 'split:1' (Split): it is now placeholder 'split_1' (float32, shape [-1, 2])",
                "cut the graph at 'split' (Split): it is now placeholder 'split' (float32, shape [-1, 2])",
            ]
        );
        assert_eq!(find(&g, "split").op, "Placeholder");
        assert!(find(&g, "split").input.is_empty());
        assert_eq!(find(&g, "b").input, vec!["split_1", "^split"]);
        assert_eq!(declared_shape(find(&g, "split_1")), Some(vec![-1, 2]));
    }

    #[test]
    fn cuts_the_graph_cannot_make_are_refused_naming_the_node() {
        let err = cut_inputs(&mut split_graph(), &["split".to_owned()], None).expect_err("port 1");
        assert!(
            err.to_string()
                .starts_with("split: cannot cut at output 0 only: output 1 is read too"),
            "{err}"
        );
        assert_eq!(err.kind(), crate::ErrorKind::Input);
        let err = cut_inputs(&mut split_graph(), &["file".to_owned()], None).expect_err("no dtype");
        assert!(
            err.to_string().contains("its dtype is not recorded"),
            "{err}"
        );
        let err = cut_inputs(&mut split_graph(), &["splt".to_owned()], None).expect_err("unknown");
        assert!(matches!(err, Error::UnknownNode { .. }), "{err}");
    }
}
