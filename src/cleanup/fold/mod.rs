//! Constant folding of the frozen graph (`fold_constants`): every node of a
//! listed op whose data inputs are all constant becomes the Const of its
//! value, and shape ops read static shapes, as TF's constant folding does
//! (tensorflow/core/common_runtime/constant_folding.cc and grappler's
//! `MaterializeShapes`). The control edges are TF's: a folded node keeps its
//! own, takes those of the constants it read, and a shape read from a
//! non-constant node becomes a control edge from it, so nothing runs earlier
//! or more often than before. Ops outside the list, and any node whose
//! kernel would fail or whose values are large, are left alone.

use std::collections::HashSet;

use crate::error::Result;
use crate::graph::attrs::type_attr;
use crate::proto::{attr_value, DataType, GraphDef, NodeDef};

mod arith;
mod cast;
mod join;
mod pass;
mod shape;
mod slice;
mod value;

#[cfg(test)]
mod tests;

use value::Value;

/// The ops folded, and nothing else.
pub const FOLDED_OPS: &[&str] = &[
    "Shape",
    "ShapeN",
    "Size",
    "Rank",
    "StridedSlice",
    "Pack",
    "Concat",
    "ConcatV2",
    "Cast",
    "Reshape",
    "Fill",
    "Range",
    "ExpandDims",
    "Squeeze",
    "Identity",
    "Add",
    "AddV2",
    "Sub",
    "Mul",
    "FloorDiv",
    "FloorMod",
    "Maximum",
    "Minimum",
    "Neg",
];

/// Ops that read only their inputs' shapes.
const SHAPE_OPS: &[&str] = &["Shape", "ShapeN", "Size", "Rank"];

/// What a fold knows of a data input.
#[derive(Debug)]
pub enum Operand<'v> {
    /// A constant value.
    Value(&'v Value),
    /// A static shape (unknown dimensions -1) of a tensor not known otherwise.
    Shape(Vec<i64>),
}

fn value_at<'v>(inputs: &[Operand<'v>], i: usize) -> Option<&'v Value> {
    match inputs.get(i)? {
        Operand::Value(v) => Some(v),
        _ => None,
    }
}

fn int_attr(node: &NodeDef, name: &str) -> Option<i64> {
    match node.attr.get(name)?.value.as_ref()? {
        attr_value::Value::I(i) => Some(*i),
        _ => None,
    }
}

fn ints_attr(node: &NodeDef, name: &str) -> Option<Vec<i64>> {
    match node.attr.get(name)?.value.as_ref()? {
        attr_value::Value::List(list) => Some(list.i.clone()),
        _ => None,
    }
}

/// `out_type` of the shape ops: int32 unless set.
fn out_type(node: &NodeDef) -> Option<DataType> {
    DataType::try_from(type_attr(node, "out_type").unwrap_or(DataType::DtInt32 as i32)).ok()
}

/// The value of each output of `node`, or `None` to leave it alone.
fn evaluate(node: &NodeDef, inputs: &[Operand<'_>]) -> Option<Vec<Value>> {
    let one = match node.op.as_str() {
        "Shape" => shape::shape(node, inputs, 0),
        "ShapeN" => {
            let n = shape::shape_n_count(node, inputs)?;
            return (0..n).map(|k| shape::shape(node, inputs, k)).collect();
        }
        "Size" => shape::size(node, inputs),
        "Rank" => shape::rank(inputs),
        "StridedSlice" => slice::strided_slice(node, inputs),
        "Pack" => join::pack(node, inputs),
        "Concat" | "ConcatV2" => join::concat(node, inputs),
        "Cast" => cast::cast(node, inputs),
        "Reshape" => shape::reshape(inputs),
        "Fill" => shape::fill(inputs),
        "Range" => arith::range(inputs),
        "ExpandDims" => shape::expand_dims(inputs),
        "Squeeze" => shape::squeeze(node, inputs),
        "Identity" => shape::identity(inputs),
        "Neg" => arith::neg(inputs),
        op => arith::binary(op, inputs),
    };
    one.map(|v| vec![v])
}

/// The Consts a fold of `graph` may compute with: the caller makes their
/// values part of the graph (instead of ranges of a checkpoint shard) first.
pub fn fold_reads(graph: &GraphDef) -> HashSet<String> {
    pass::reads(graph)
}

/// Folds the constants of the frozen graph, reading static shapes from
/// placeholders and from the `_output_shapes` TF recorded.
pub fn fold_constants(graph: &mut GraphDef, outputs: &[String]) -> Result<Vec<String>> {
    Ok(pass::fold(graph, outputs, true))
}

/// [`fold_constants`] when placeholder shapes were set afresh: the recorded
/// `_output_shapes` may be those of the old shapes (a dimension opened with
/// `-1` was known when TF recorded them), so only placeholders give shapes.
pub fn fold_constants_placeholder_shapes(
    graph: &mut GraphDef,
    outputs: &[String],
) -> Result<Vec<String>> {
    Ok(pass::fold(graph, outputs, false))
}
