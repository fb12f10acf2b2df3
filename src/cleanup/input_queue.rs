//! The input queue cut: a dequeue's outputs become placeholders.

use crate::dtype::python_dtype_name;
use crate::error::{Error, Result};
use crate::graph::attrs::{shape_dims, type_attr};
use crate::graph::names::{endpoint, node_name};
use crate::proto::tensor_shape_proto::Dim;
use crate::proto::{attr_value, AttrValue, GraphDef, NodeDef, TensorShapeProto};

use super::type_value;

/// Replaces the outputs of the graph's one queue dequeue (or iterator
/// `GetNext`) by placeholders: `name` when one output is read, `name_K` for
/// output K when several are. Refused when there is no such op, or several.
pub fn cut_input_queue(graph: &mut GraphDef, name: &str) -> Result<Vec<String>> {
    let sources: Vec<&NodeDef> = graph
        .node
        .iter()
        .filter(|n| n.op.starts_with("QueueDequeue") || n.op.starts_with("IteratorGetNext"))
        .collect();
    let source = match sources.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(Error::mismatch(
                name,
                "cannot cut the input here: the graph has no queue dequeue or iterator op",
            ))
        }
        many => {
            let names: Vec<&str> = many.iter().map(|n| n.name.as_str()).collect();
            return Err(Error::mismatch(
                name,
                format!(
                    "cannot cut the input here: the graph reads several queues or iterators ({})",
                    names.join(", ")
                ),
            ));
        }
    };
    if graph.node.iter().any(|n| n.name == name) {
        return Err(Error::mismatch(
            name,
            "cannot cut the input here: a node of that name exists already",
        ));
    }
    let read = read_outputs(graph, &source.name);
    if read.is_empty() {
        return Err(Error::mismatch(
            name,
            format!(
                "cannot cut the input here: nothing reads the outputs of '{}'",
                source.name
            ),
        ));
    }
    let mut changes = Vec::new();
    let mut placeholders = Vec::new();
    for &k in &read {
        let placeholder = if read.len() == 1 {
            name.to_owned()
        } else {
            format!("{name}_{k}")
        };
        let node = queue_placeholder(graph, &source, k, &placeholder)?;
        let wanted = if k == 0 {
            source.name.clone()
        } else {
            format!("{}:{k}", source.name)
        };
        for consumer in &mut graph.node {
            for input in &mut consumer.input {
                if endpoint(input) == (source.name.as_str(), k) && !input.starts_with('^') {
                    *input = placeholder.clone();
                } else if *input == format!("^{}", source.name) {
                    *input = format!("^{placeholder}");
                }
            }
        }
        changes.push(format!(
            "cut the input at '{wanted}' ({}): it is now placeholder '{placeholder}' ({}, shape {})",
            source.op,
            python_dtype_name(type_attr(&node, "dtype").unwrap_or(0)).unwrap_or_default(),
            shape_text(&node)
        ));
        placeholders.push(node);
    }
    graph.node.extend(placeholders);
    Ok(changes)
}

fn shape_text(node: &NodeDef) -> String {
    match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Shape(s)) => match shape_dims(s) {
            Some(dims) => format!("{dims:?}"),
            None => "unknown".into(),
        },
        _ => "unknown".into(),
    }
}

/// The output indices of `source` that some data input reads, in order.
fn read_outputs(graph: &GraphDef, source: &str) -> Vec<usize> {
    let mut read: Vec<usize> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter())
        .filter(|i| !i.starts_with('^'))
        .map(|i| endpoint(i))
        .filter(|(n, _)| *n == source)
        .map(|(_, k)| k)
        .collect();
    read.sort_unstable();
    read.dedup();
    read
}

fn list_attr<'a>(node: &'a NodeDef, name: &str) -> Option<&'a attr_value::ListValue> {
    match node.attr.get(name).and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::List(list)) => Some(list),
        _ => None,
    }
}

/// A placeholder for output `k` of a dequeue op: its dtype from
/// `component_types` (`output_types`), its shape from `_output_shapes`, else
/// from the queue's `shapes` with the batch dimension of `DequeueMany`.
fn queue_placeholder(graph: &GraphDef, source: &NodeDef, k: usize, name: &str) -> Result<NodeDef> {
    let dtype = list_attr(source, "component_types")
        .or_else(|| list_attr(source, "output_types"))
        .and_then(|l| l.r#type.get(k).copied())
        .ok_or_else(|| {
            Error::mismatch(&source.name, format!("no dtype is recorded for output {k}"))
        })?;
    let known = list_attr(source, "_output_shapes")
        .or_else(|| list_attr(source, "output_shapes"))
        .and_then(|l| l.shape.get(k).cloned());
    let mut shape = known.unwrap_or_else(|| queue_shape(graph, source, k));
    // The training batch size is no part of the model: any batch may be fed.
    if is_batched_dequeue(&source.op) {
        if let Some(batch) = shape.dim.first_mut() {
            batch.size = -1;
        }
    }
    let mut node = NodeDef {
        name: name.to_owned(),
        op: "Placeholder".into(),
        ..Default::default()
    };
    node.attr.insert("dtype".into(), type_value(dtype));
    node.attr.insert(
        "shape".into(),
        AttrValue {
            value: Some(attr_value::Value::Shape(Box::new(shape))),
        },
    );
    Ok(node)
}

fn is_batched_dequeue(op: &str) -> bool {
    op.starts_with("QueueDequeueMany") || op.starts_with("QueueDequeueUpTo")
}

fn queue_shape(graph: &GraphDef, source: &NodeDef, k: usize) -> TensorShapeProto {
    let unknown = TensorShapeProto {
        unknown_rank: true,
        ..Default::default()
    };
    let queue = source
        .input
        .first()
        .and_then(|q| graph.node.iter().find(|n| n.name == node_name(q)));
    let Some(element) = queue
        .and_then(|q| list_attr(q, "shapes"))
        .and_then(|l| l.shape.get(k))
    else {
        return unknown;
    };
    if is_batched_dequeue(&source.op) {
        let mut batched = element.clone();
        batched.dim.insert(
            0,
            Dim {
                size: -1,
                name: String::new(),
            },
        );
        batched
    } else {
        element.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cleanup::strip_training_nodes;
    use crate::graph::test_graph::{find, graph, node, shape, with_attr};
    use crate::proto::DataType;

    fn queue_graph() -> GraphDef {
        let types = attr_value::ListValue {
            r#type: vec![
                DataType::DtInt64 as i32,
                DataType::DtFloat as i32,
                DataType::DtFloat as i32,
            ],
            ..Default::default()
        };
        let shapes = attr_value::ListValue {
            shape: vec![shape(&[]), shape(&[28, 28]), shape(&[10])],
            ..Default::default()
        };
        graph(vec![
            with_attr(
                node("queue", "RandomShuffleQueueV2", &[]),
                "shapes",
                attr_value::Value::List(Box::new(shapes)),
            ),
            with_attr(
                node("dequeue", "QueueDequeueManyV2", &["queue", "dequeue/n"]),
                "component_types",
                attr_value::Value::List(Box::new(types)),
            ),
            node("Reshape", "Reshape", &["dequeue:1", "shape"]),
            node("loss", "Sub", &["logits", "dequeue:2"]),
        ])
    }

    #[test]
    fn input_queue_is_cut() {
        let mut g = queue_graph();
        let changes = strip_training_nodes(&mut g, Some("images")).expect("cuts");
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(
            changes[0],
            "cut the input at 'dequeue:1' (QueueDequeueManyV2): it is now placeholder 'images_1' (float32, shape [-1, 28, 28])"
        );
        assert_eq!(find(&g, "Reshape").input[0], "images_1");
        assert_eq!(find(&g, "loss").input[1], "images_2");
        assert_eq!(find(&g, "images_2").op, "Placeholder");
        let err = cut_input_queue(&mut queue_graph(), "Reshape").expect_err("exists");
        assert!(err.to_string().contains("exists already"), "{err}");
        let err = cut_input_queue(&mut graph(vec![]), "images").expect_err("no queue");
        assert!(err.to_string().contains("no queue dequeue"), "{err}");
    }
}
