//! Small graphs for the cleanup tests.

use crate::proto::tensor_shape_proto::Dim;
use crate::proto::{attr_value, AttrValue, GraphDef, NodeDef, TensorShapeProto};

pub(super) fn node(name: &str, op: &str, inputs: &[&str]) -> NodeDef {
    NodeDef {
        name: name.into(),
        op: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

pub(super) fn with_attr(mut node: NodeDef, name: &str, value: attr_value::Value) -> NodeDef {
    node.attr
        .insert(name.into(), AttrValue { value: Some(value) });
    node
}

pub(super) fn shape(dims: &[i64]) -> TensorShapeProto {
    TensorShapeProto {
        dim: dims
            .iter()
            .map(|&size| Dim {
                size,
                name: String::new(),
            })
            .collect(),
        ..Default::default()
    }
}

pub(super) fn graph(nodes: Vec<NodeDef>) -> GraphDef {
    GraphDef {
        node: nodes,
        ..Default::default()
    }
}

pub(super) fn find<'a>(graph: &'a GraphDef, name: &str) -> &'a NodeDef {
    graph.node.iter().find(|n| n.name == name).expect("node")
}
