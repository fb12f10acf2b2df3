//! Small graphs for the cleanup tests.

use crate::proto::{attr_value, AttrValue, GraphDef, NodeDef, TensorShapeProto};

pub(crate) fn node(name: &str, op: &str, inputs: &[&str]) -> NodeDef {
    NodeDef {
        name: name.into(),
        op: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

pub(crate) fn with_attr(mut node: NodeDef, name: &str, value: attr_value::Value) -> NodeDef {
    node.attr
        .insert(name.into(), AttrValue { value: Some(value) });
    node
}

pub(crate) fn shape(dims: &[i64]) -> TensorShapeProto {
    crate::tensor::shape_proto(dims)
}

pub(crate) fn graph(nodes: Vec<NodeDef>) -> GraphDef {
    GraphDef {
        node: nodes,
        ..Default::default()
    }
}

pub(crate) fn find<'a>(graph: &'a GraphDef, name: &str) -> &'a NodeDef {
    graph.node.iter().find(|n| n.name == name).expect("node")
}
