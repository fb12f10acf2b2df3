//! What happens to the nodes that read a frozen variable
//! (python/framework/convert_to_constants.py, `convert_variable_to_constant`
//! of each node class), with TF 2.21's `Merge` gap closed.

use crate::error::{Error, Result};
use crate::graph::attrs::{tensor_attr, type_value};
use crate::proto::{attr_value, AttrValue, DataType, NameAttrList, NodeDef, TensorShapeProto};
use crate::tensor;

/// Sets type attr `T` for the value arriving at `input`: a list attr at that
/// position, a single type otherwise (Merge has one `T` for all its inputs).
pub(super) fn set_type(node: &mut NodeDef, input: usize, dtype: i32) -> Result<()> {
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

pub(super) fn read_to_identity(node: &NodeDef) -> NodeDef {
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
pub(super) fn gather_to_gather_v2(node: &NodeDef, in_function: bool) -> Result<(NodeDef, NodeDef)> {
    let batch_dims = int_attr(node, "batch_dims");
    let axis_name = format!("{}/axis", node.name);
    // Inside a function a Const's output is named `name:output:0`.
    let axis_input = if in_function {
        format!("{axis_name}:output:0")
    } else {
        axis_name.clone()
    };
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
        tensor_attr(tensor::integer_scalar(index_type, batch_dims)),
    );
    let mut inputs: Vec<String> = node.input.iter().take(2).cloned().collect();
    inputs.push(axis_input);
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

pub(super) fn gather_nd(node: &NodeDef) -> NodeDef {
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

/// `VariableShape(resource)` becomes `Shape(value)`.
pub(super) fn variable_shape(node: &NodeDef, dtype: i32) -> NodeDef {
    let mut shape = NodeDef {
        name: node.name.clone(),
        op: "Shape".into(),
        input: node.input.first().cloned().into_iter().collect(),
        ..Default::default()
    };
    shape.attr.insert("T".into(), type_value(dtype));
    if let Some(out_type) = node.attr.get("out_type") {
        shape.attr.insert("out_type".into(), out_type.clone());
    }
    copy_class(node, &mut shape);
    shape
}

/// Sets element `index` of a list-of-types attr.
pub(super) fn set_type_list(
    node: &mut NodeDef,
    attr: &str,
    index: usize,
    dtype: i32,
) -> Result<()> {
    let name = node.name.clone();
    let Some(attr_value::Value::List(list)) =
        node.attr.get_mut(attr).and_then(|a| a.value.as_mut())
    else {
        return Err(Error::mismatch(&name, format!("has no list attr {attr}")));
    };
    let len = list.r#type.len();
    let slot = list.r#type.get_mut(index).ok_or_else(|| {
        Error::mismatch(
            &name,
            format!("input {index} is out of range for attr {attr}, which has {len} types"),
        )
    })?;
    *slot = dtype;
    Ok(())
}

/// Sets element `index` of a list-of-shapes attr, when the list has one.
pub(super) fn set_shape_list(
    node: &mut NodeDef,
    attr: &str,
    index: usize,
    shape: &TensorShapeProto,
) {
    if let Some(attr_value::Value::List(list)) =
        node.attr.get_mut(attr).and_then(|a| a.value.as_mut())
    {
        if let Some(slot) = list.shape.get_mut(index) {
            *slot = shape.clone();
        }
    }
}

/// Makes element `index` of a list-of-shapes attr an unknown shape, as TF
/// does for a function argument whose type changed.
pub(super) fn forget_shape(attr: Option<&mut AttrValue>, index: usize) {
    if let Some(attr_value::Value::List(list)) = attr.and_then(|a| a.value.as_mut()) {
        if let Some(shape) = list.shape.get_mut(index) {
            shape.dim.clear();
            shape.unknown_rank = true;
        }
    }
}

/// The function names a caller's attr refers to (one, or a list for `Case`).
pub(super) fn function_names(node: &NodeDef, attr: &str) -> Vec<String> {
    match node.attr.get(attr).and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Func(func)) => vec![func.name.clone()],
        Some(attr_value::Value::List(list)) => list.func.iter().map(|f| f.name.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Points a caller's function attr at the renamed functions.
pub(super) fn set_function_names(node: &mut NodeDef, attr: &str, names: &[String]) {
    let rename = |func: &mut NameAttrList, name: Option<&String>| {
        if let Some(name) = name {
            func.name = name.clone();
        }
    };
    match node.attr.get_mut(attr).and_then(|a| a.value.as_mut()) {
        Some(attr_value::Value::Func(func)) => rename(func, names.first()),
        Some(attr_value::Value::List(list)) => {
            for (func, name) in list.func.iter_mut().zip(names) {
                rename(func, Some(name));
            }
        }
        _ => {}
    }
}
