//! Placeholder shapes: set by the user (`input_shapes`), or written the way
//! converters read them (`fix_legacy_shapes`).

use crate::error::{Error, Result};
use crate::graph::names::{endpoint, node_name};
use crate::graph::ops::is_placeholder;
use crate::proto::{attr_value, AttrValue, GraphDef, NodeDef, TensorShapeProto};
use crate::tensor::shape_proto;

use super::cut::{declared_shape, placeholder_name};

/// The last producer version whose graphs write an unknown placeholder shape
/// as `shape {}`: TF's Placeholder shape function reads a scalar `shape` as
/// unknown up to this version (tensorflow/core/ops/array_ops.cc, "Placeholder
/// has legacy behavior"); tf2onnx and the TF.js converter read a scalar.
pub const LEGACY_SHAPE_PRODUCER: i32 = 21;

/// Sets the shape of each placeholder named (`name`, or `name:port` for the
/// placeholder a cut made of output `port`). A shape may open a known
/// dimension (`-1`), never change a known one or the rank.
pub fn set_input_shapes(
    graph: &mut GraphDef,
    shapes: &[(String, Vec<i64>)],
) -> Result<Vec<String>> {
    let legacy = graph.versions.as_ref().map_or(0, |v| v.producer) <= LEGACY_SHAPE_PRODUCER;
    let mut changes = Vec::new();
    for (given, dims) in shapes {
        let (node, port) = endpoint(given.trim());
        let name = placeholder_name(node_name(node), port);
        let Some(placeholder) = graph.node.iter_mut().rev().find(|n| n.name == name) else {
            return Err(Error::mismatch(
                &name,
                format!("`input_shapes` names '{given}', but the graph has no such placeholder"),
            ));
        };
        if !is_placeholder(&placeholder.op) {
            return Err(Error::mismatch(
                &name,
                format!(
                    "is a {}, not a placeholder: `input_shapes` sets placeholder shapes \
                     (cut the graph there with `input_names` first)",
                    placeholder.op
                ),
            ));
        }
        // A legacy graph's `shape {}` is an unknown shape, as TF reads it.
        let before = declared_shape(placeholder).filter(|d| !(legacy && d.is_empty()));
        if let Some(known) = &before {
            check_fits(&name, known, dims)?;
        }
        set_shape(placeholder, shape_proto(dims));
        changes.push(format!(
            "set the shape of placeholder '{name}' to {dims:?} (was {})",
            before.map_or("unknown".to_owned(), |d| format!("{d:?}"))
        ));
    }
    Ok(changes)
}

/// Refuses a shape that contradicts the graph's: another rank, or another
/// size for a dimension the graph knows.
fn check_fits(name: &str, known: &[i64], given: &[i64]) -> Result<()> {
    if known.len() != given.len() {
        return Err(Error::mismatch(
            name,
            format!(
                "has shape {known:?} (rank {}); `input_shapes` gives {given:?} (rank {})",
                known.len(),
                given.len()
            ),
        ));
    }
    let clash = known
        .iter()
        .zip(given)
        .position(|(&k, &g)| k >= 0 && g >= 0 && k != g);
    if let Some(axis) = clash {
        return Err(Error::mismatch(
            name,
            format!(
                "has shape {known:?}; `input_shapes` gives {given:?}, which changes dimension \
                 {axis} (only an unknown dimension can be set, or a known one opened with -1)"
            ),
        ));
    }
    Ok(())
}

/// Writes `shape` into the `shape` attr and, when there is one, the first
/// `_output_shapes` entry, so the two never disagree.
fn set_shape(node: &mut NodeDef, shape: TensorShapeProto) {
    if let Some(attr_value::Value::List(list)) = node
        .attr
        .get_mut("_output_shapes")
        .and_then(|a| a.value.as_mut())
    {
        if let Some(first) = list.shape.first_mut() {
            first.clone_from(&shape);
        }
    }
    node.attr.insert(
        "shape".into(),
        AttrValue {
            value: Some(attr_value::Value::Shape(Box::new(shape))),
        },
    );
}

/// In a graph of producer <= 21, writes each `Placeholder`'s `shape {}` as
/// TF reads it: unknown rank, or the `_output_shapes` shape when that has a
/// known rank of at least one.
pub fn fix_legacy_shapes(graph: &mut GraphDef) -> Vec<String> {
    let producer = graph.versions.as_ref().map_or(0, |v| v.producer);
    if producer > LEGACY_SHAPE_PRODUCER {
        return Vec::new();
    }
    let mut changes = Vec::new();
    for node in graph.node.iter_mut().filter(|n| n.op == "Placeholder") {
        let scalar = matches!(
            node.attr.get("shape").and_then(|a| a.value.as_ref()),
            Some(attr_value::Value::Shape(s)) if !s.unknown_rank && s.dim.is_empty()
        );
        if !scalar {
            continue;
        }
        let recorded = match node
            .attr
            .get("_output_shapes")
            .and_then(|a| a.value.as_ref())
        {
            Some(attr_value::Value::List(list)) => list
                .shape
                .first()
                .filter(|s| !s.unknown_rank && !s.dim.is_empty())
                .cloned(),
            _ => None,
        };
        let (shape, text) = match recorded {
            Some(shape) => {
                let text = format!("{:?}, as its _output_shapes", declared_dims(&shape));
                (shape, text)
            }
            None => (
                TensorShapeProto {
                    unknown_rank: true,
                    ..Default::default()
                },
                "unknown".to_owned(),
            ),
        };
        node.attr.insert(
            "shape".into(),
            AttrValue {
                value: Some(attr_value::Value::Shape(Box::new(shape))),
            },
        );
        changes.push(format!(
            "placeholder '{}': the legacy shape {{}} of a producer {producer} graph is now {text}",
            node.name
        ));
    }
    changes
}

fn declared_dims(shape: &TensorShapeProto) -> Vec<i64> {
    shape.dim.iter().map(|d| d.size.max(-1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_graph::{find, graph, node, shape, with_attr};
    use crate::proto::VersionDef;

    fn placeholder(name: &str, dims: &[i64]) -> NodeDef {
        with_attr(
            node(name, "Placeholder", &[]),
            "shape",
            attr_value::Value::Shape(Box::new(shape(dims))),
        )
    }

    #[test]
    fn shapes_are_set_and_contradictions_refused() {
        let mut g = graph(vec![
            placeholder("x", &[1, 4]),
            placeholder("split_1", &[-1, 2]),
            node("relu", "Relu", &["x"]),
        ]);
        g.versions = Some(VersionDef {
            producer: 22,
            ..Default::default()
        });
        let set = |name: &str, dims: &[i64]| vec![(name.to_owned(), dims.to_vec())];
        let changes = set_input_shapes(&mut g, &set("x:0", &[-1, 4])).expect("opens the batch");
        assert_eq!(
            changes,
            vec!["set the shape of placeholder 'x' to [-1, 4] (was [1, 4])"]
        );
        assert_eq!(declared_shape(find(&g, "x")), Some(vec![-1, 4]));
        set_input_shapes(&mut g, &set("split:1", &[8, 2])).expect("a cut's placeholder");
        assert_eq!(declared_shape(find(&g, "split_1")), Some(vec![8, 2]));
        let err = set_input_shapes(&mut g, &set("x", &[-1, 5])).expect_err("known dim");
        assert!(err.to_string().starts_with("x: has shape [-1, 4]"), "{err}");
        assert_eq!(err.kind(), crate::ErrorKind::Input);
        let err = set_input_shapes(&mut g, &set("x", &[4])).expect_err("rank");
        assert!(err.to_string().contains("(rank 1)"), "{err}");
        let err = set_input_shapes(&mut g, &set("relu", &[4])).expect_err("not a placeholder");
        assert!(err.to_string().contains("input_names"), "{err}");
        assert!(set_input_shapes(&mut g, &set("y", &[4])).is_err());
    }

    #[test]
    fn legacy_scalar_shapes_become_unknown() {
        let outputs = attr_value::Value::List(Box::new(attr_value::ListValue {
            shape: vec![shape(&[-1, 3])],
            ..Default::default()
        }));
        let mut g = graph(vec![
            placeholder("a", &[]),
            with_attr(placeholder("b", &[]), "_output_shapes", outputs),
            placeholder("c", &[2]),
        ]);
        g.versions = Some(VersionDef {
            producer: 21,
            ..Default::default()
        });
        let mut modern = g.clone();
        let changes = fix_legacy_shapes(&mut g);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(declared_shape(find(&g, "a")), None);
        assert_eq!(declared_shape(find(&g, "b")), Some(vec![-1, 3]));
        assert_eq!(declared_shape(find(&g, "c")), Some(vec![2]));
        modern.versions = Some(VersionDef {
            producer: 22,
            ..Default::default()
        });
        assert!(fix_legacy_shapes(&mut modern).is_empty());
    }
}
