//! Types and shapes of node outputs, and dtype names as TF's Python API
//! writes them.

use std::collections::HashMap;

use crate::freeze::VARIABLE_OPS;
use crate::proto::{attr_value, DataType, NodeDef, OpDef, TensorShapeProto};

use super::flags::PLACEHOLDER_OPS;

pub(crate) fn type_attr(node: &NodeDef, attr: &str) -> Option<i32> {
    match node.attr.get(attr).and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Type(t)) => Some(*t),
        _ => None,
    }
}

/// A dtype as TF's Python API names it (`tf.float32.name`): `float16` for
/// half, `float32_ref` for a reference type (python/framework/dtypes.py).
pub fn python_dtype_name(dtype: i32) -> Option<String> {
    use DataType as D;
    let (base, reference) = if dtype > 100 {
        (dtype - 100, true)
    } else {
        (dtype, false)
    };
    let name = match D::try_from(base).ok()? {
        D::DtInvalid => return None,
        D::DtFloat => "float32",
        D::DtDouble => "float64",
        D::DtHalf => "float16",
        D::DtInt32 => "int32",
        other => {
            let text = other.as_str_name().trim_start_matches("DT_").to_lowercase();
            return Some(if reference {
                format!("{text}_ref")
            } else {
                text
            });
        }
    };
    Some(if reference {
        format!("{name}_ref")
    } else {
        name.to_owned()
    })
}

pub(super) fn dtype_text(dtype: i32) -> String {
    python_dtype_name(dtype).unwrap_or_else(|| format!("dtype {dtype}"))
}

/// Dimensions with -1 for unknown ones; `None` for an unknown rank.
pub(crate) fn shape_dims(shape: &TensorShapeProto) -> Option<Vec<i64>> {
    if shape.unknown_rank {
        return None;
    }
    Some(shape.dim.iter().map(|d| d.size.max(-1)).collect())
}

/// Ops whose output dtype is fixed whatever their attrs.
const BOOL_OPS: [&str; 12] = [
    "Equal",
    "NotEqual",
    "Less",
    "LessEqual",
    "Greater",
    "GreaterEqual",
    "LogicalAnd",
    "LogicalOr",
    "LogicalNot",
    "IsFinite",
    "IsNan",
    "IsInf",
];

/// The dtype of output `k`: from the op's definition when the `.meta` has it,
/// else from the attrs that usually carry it.
pub(crate) fn output_dtype(
    node: &NodeDef,
    op_defs: &HashMap<&str, &OpDef>,
    k: usize,
) -> Option<i32> {
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
pub(crate) fn output_shape(node: &NodeDef, k: usize) -> Option<Vec<i64>> {
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
        attr_value::Value::Shape(s)
            if PLACEHOLDER_OPS.contains(&node.op.as_str())
                || VARIABLE_OPS.contains(&node.op.as_str()) =>
        {
            shape_dims(s)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_dtype_names() {
        assert_eq!(python_dtype_name(1).as_deref(), Some("float32"));
        assert_eq!(python_dtype_name(19).as_deref(), Some("float16"));
        assert_eq!(python_dtype_name(14).as_deref(), Some("bfloat16"));
        assert_eq!(python_dtype_name(7).as_deref(), Some("string"));
        assert_eq!(python_dtype_name(20).as_deref(), Some("resource"));
        assert_eq!(python_dtype_name(101).as_deref(), Some("float32_ref"));
        assert_eq!(python_dtype_name(12).as_deref(), Some("quint8"));
        assert_eq!(python_dtype_name(0), None);
    }
}
