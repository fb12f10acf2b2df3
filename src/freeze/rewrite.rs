//! What happens to the nodes that read a frozen variable
//! (python/framework/convert_to_constants.py, `convert_variable_to_constant`
//! of each node class), with TF 2.21's `Merge` gap closed.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::error::{Error, Result};
use crate::names::endpoint;
use crate::plan;
use crate::proto::{attr_value, AttrValue, DataType, GraphDef, NodeDef};
use crate::tensor;

pub(super) fn type_attr(node: &NodeDef, attr: &str) -> Option<i32> {
    match node.attr.get(attr).and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Type(t)) => Some(*t),
        _ => None,
    }
}

pub(super) fn type_value(dtype: i32) -> AttrValue {
    AttrValue {
        value: Some(attr_value::Value::Type(dtype)),
    }
}

/// Follows the frozen variable's outputs and rewrites what reads it
/// (convert_to_constants.py's `convert_variable_to_constant` methods).
pub(super) fn propagate(
    graph: &mut GraphDef,
    appended: &mut Vec<NodeDef>,
    variable: usize,
    dtype: i32,
    consumers: &Consumers,
) -> Result<()> {
    let mut queue: VecDeque<(usize, usize)> = consumers.of(variable).collect();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    while let Some((index, input)) = queue.pop_front() {
        if !seen.insert((index, input)) {
            continue;
        }
        let Some(node) = graph.node.get_mut(index) else {
            continue;
        };
        match node.op.as_str() {
            "ReadVariableOp" => *node = read_to_identity(node),
            "Enter" | "Exit" | "Identity" | "NextIteration" | "Switch" | "_SwitchN" | "RefSwitch"
            | "RefEnter" | "RefExit" | "RefNextIteration" | "RefIdentity" | "Merge" | "RefMerge" => {
                set_type(node, input, dtype)?;
                node.attr.remove("_output_shapes");
                queue.extend(consumers.of(index));
            }
            "ResourceGather" => {
                let (gather, axis) = gather_to_gather_v2(node)?;
                *node = gather;
                appended.push(axis);
            }
            "ResourceGatherNd" => *node = gather_nd(node),
            "If" | "StatelessIf" | "While" | "StatelessWhile" | "Case" | "PartitionedCall"
            | "StatefulPartitionedCall" => {
                return Err(Error::unsupported(format!(
                    "node '{}' ({}) reads a frozen variable inside a function (control flow v2 or tf.function); \
                     freezing such graphs comes in a later version",
                    node.name, node.op
                )))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Sets type attr `T` for the value arriving at `input`: a list attr at that
/// position, a single type otherwise (Merge has one `T` for all its inputs).
fn set_type(node: &mut NodeDef, input: usize, dtype: i32) -> Result<()> {
    let name = node.name.clone();
    match node.attr.get_mut("T").and_then(|a| a.value.as_mut()) {
        Some(attr_value::Value::List(list)) => {
            let len = list.r#type.len();
            let slot = list.r#type.get_mut(input).ok_or_else(|| {
                Error::mismatch(
                    &name,
                    format!("input {input} is out of range for attr T, which has {len} types"),
                )
            })?;
            *slot = dtype;
        }
        _ => {
            node.attr.insert("T".into(), type_value(dtype));
        }
    }
    Ok(())
}

fn copy_class(from: &NodeDef, to: &mut NodeDef) {
    if let Some(class) = from.attr.get("_class") {
        to.attr.insert("_class".into(), class.clone());
    }
}

fn read_to_identity(node: &NodeDef) -> NodeDef {
    let mut identity = NodeDef {
        name: node.name.clone(),
        op: "Identity".into(),
        input: node.input.first().cloned().into_iter().collect(),
        ..Default::default()
    };
    if let Some(dtype) = node.attr.get("dtype") {
        identity.attr.insert("T".into(), dtype.clone());
    }
    copy_class(node, &mut identity);
    identity
}

fn int_attr(node: &NodeDef, attr: &str) -> i64 {
    match node.attr.get(attr).and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::I(i)) => *i,
        _ => 0,
    }
}

/// `ResourceGather` becomes `GatherV2` with a `<name>/axis` Const. TF refuses
/// `batch_dims != 0`; `GatherV2(axis = batch_dims, batch_dims)` computes the
/// same, so it is kept.
fn gather_to_gather_v2(node: &NodeDef) -> Result<(NodeDef, NodeDef)> {
    let batch_dims = int_attr(node, "batch_dims");
    let axis_name = format!("{}/axis", node.name);
    let tindices = node
        .attr
        .get("Tindices")
        .cloned()
        .ok_or_else(|| Error::mismatch(&node.name, "ResourceGather without a Tindices attr"))?;
    let index_type = match tindices.value {
        Some(attr_value::Value::Type(t)) => t,
        _ => DataType::DtInt32 as i32,
    };
    let mut axis = NodeDef {
        name: axis_name.clone(),
        op: "Const".into(),
        ..Default::default()
    };
    axis.attr.insert("dtype".into(), tindices.clone());
    axis.attr.insert(
        "value".into(),
        plan::tensor_attr(tensor::integer_scalar(index_type, batch_dims)),
    );
    let mut inputs: Vec<String> = node.input.iter().take(2).cloned().collect();
    inputs.push(axis_name);
    let mut gather = NodeDef {
        name: node.name.clone(),
        op: "GatherV2".into(),
        input: inputs,
        ..Default::default()
    };
    if let Some(dtype) = node.attr.get("dtype") {
        gather.attr.insert("Tparams".into(), dtype.clone());
    }
    gather.attr.insert("Tindices".into(), tindices.clone());
    gather.attr.insert("Taxis".into(), tindices);
    if batch_dims != 0 {
        gather.attr.insert(
            "batch_dims".into(),
            AttrValue {
                value: Some(attr_value::Value::I(batch_dims)),
            },
        );
    }
    copy_class(node, &mut gather);
    Ok((gather, axis))
}

fn gather_nd(node: &NodeDef) -> NodeDef {
    let mut gather = NodeDef {
        name: node.name.clone(),
        op: "GatherNd".into(),
        input: node.input.iter().take(2).cloned().collect(),
        ..Default::default()
    };
    if let Some(dtype) = node.attr.get("dtype") {
        gather.attr.insert("Tparams".into(), dtype.clone());
    }
    if let Some(tindices) = node.attr.get("Tindices") {
        gather.attr.insert("Tindices".into(), tindices.clone());
    }
    copy_class(node, &mut gather);
    gather
}

/// For each node, the (consumer, input position) pairs of its data outputs.
pub(super) struct Consumers(HashMap<usize, Vec<(usize, usize)>>);

impl Consumers {
    fn of(&self, node: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.0.get(&node).into_iter().flatten().copied()
    }
}

pub(super) fn consumers(graph: &GraphDef) -> Consumers {
    let by_name: HashMap<&str, usize> = graph
        .node
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    let mut map: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    for (i, node) in graph.node.iter().enumerate() {
        for (position, input) in node.input.iter().enumerate() {
            if input.starts_with('^') {
                continue;
            }
            let (source, _) = endpoint(input);
            if let Some(&producer) = by_name.get(source) {
                map.entry(producer).or_default().push((i, position));
            }
        }
    }
    Consumers(map)
}
