//! Attrs as the passes read and write them: types, shapes, tensor values,
//! and the dtype and shape of a node's outputs.

use std::collections::HashMap;

use crate::proto::{
    attr_value, AttrValue, DataType, NodeDef, OpDef, OpList, TensorProto, TensorShapeProto,
};

use super::ops::{is_placeholder, is_variable, BOOL_OPS};

/// A `type` attr's value.
pub fn type_attr(node: &NodeDef, attr: &str) -> Option<i32> {
    match node.attr.get(attr).and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Type(t)) => Some(*t),
        _ => None,
    }
}

/// A `type` attr.
pub fn type_value(dtype: i32) -> AttrValue {
    AttrValue {
        value: Some(attr_value::Value::Type(dtype)),
    }
}

/// A Const node's `value` attr.
pub fn tensor_attr(tensor: TensorProto) -> AttrValue {
    AttrValue {
        value: Some(attr_value::Value::Tensor(Box::new(tensor))),
    }
}

/// Dimensions with -1 for unknown ones; `None` for an unknown rank.
pub fn shape_dims(shape: &TensorShapeProto) -> Option<Vec<i64>> {
    if shape.unknown_rank {
        return None;
    }
    Some(shape.dim.iter().map(|d| d.size.max(-1)).collect())
}

/// The op definitions of a `.meta`'s `stripped_op_list`, by op name.
pub fn op_defs(op_list: Option<&OpList>) -> HashMap<&str, &OpDef> {
    op_list
        .map(|l| l.op.iter().map(|op| (op.name.as_str(), op)).collect())
        .unwrap_or_default()
}

/// The dtype of output `k`: from the op's definition when the `.meta` has it,
/// else from the attrs that usually carry it.
pub fn output_dtype(node: &NodeDef, op_defs: &HashMap<&str, &OpDef>, k: usize) -> Option<i32> {
    if let Some(def) = op_defs.get(node.op.as_str()) {
        let mut first = 0usize;
        for arg in &def.output_arg {
            if !arg.type_list_attr.is_empty() {
                if let Some(attr_value::Value::List(list)) = node
                    .attr
                    .get(&arg.type_list_attr)
                    .and_then(|a| a.value.as_ref())
                {
                    if let Some(t) = k.checked_sub(first).and_then(|j| list.r#type.get(j)) {
                        return Some(*t);
                    }
                    first += list.r#type.len();
                    continue;
                }
                return None;
            }
            let count = match node
                .attr
                .get(&arg.number_attr)
                .and_then(|a| a.value.as_ref())
            {
                Some(attr_value::Value::I(n)) => usize::try_from(*n).unwrap_or(0),
                _ => 1,
            };
            if k < first + count {
                return if arg.r#type != 0 {
                    Some(arg.r#type)
                } else {
                    type_attr(node, &arg.type_attr)
                };
            }
            first += count;
        }
        return None;
    }
    if BOOL_OPS.contains(&node.op.as_str()) {
        return Some(DataType::DtBool as i32);
    }
    if let Some(attr_value::Value::List(list)) = node
        .attr
        .get("component_types")
        .and_then(|a| a.value.as_ref())
    {
        return list.r#type.get(k).copied();
    }
    [
        "out_type",
        "DstT",
        "output_type",
        "Tout",
        "dtype",
        "T",
        "type",
    ]
    .iter()
    .find_map(|attr| type_attr(node, attr))
}

/// The shape of output `k`: `_output_shapes` when present, else the `shape`
/// attr of a placeholder or variable, or a Const's value.
pub fn output_shape(node: &NodeDef, k: usize) -> Option<Vec<i64>> {
    if let Some(attr_value::Value::List(list)) = node
        .attr
        .get("_output_shapes")
        .and_then(|a| a.value.as_ref())
    {
        return list.shape.get(k).and_then(shape_dims);
    }
    if k != 0 {
        return None;
    }
    match node
        .attr
        .get(if node.op == "Const" { "value" } else { "shape" })?
        .value
        .as_ref()?
    {
        attr_value::Value::Tensor(t) => {
            t.tensor_shape.as_ref().map_or(Some(Vec::new()), shape_dims)
        }
        attr_value::Value::Shape(s) if is_placeholder(&node.op) || is_variable(&node.op) => {
            shape_dims(s)
        }
        _ => None,
    }
}
