//! Float32 Const values as TF's `tensor_util.MakeNdarray` reads them and
//! `make_tensor_proto` writes them (python/framework/tensor_util.py).

use crate::graph::attrs::shape_dims;
use crate::proto::{attr_value, DataType, NodeDef, TensorProto};
use crate::tensor::{shape_proto, uses_tensor_content};

/// Elements a fold computes with at most: a 1 GiB float32 tensor.
const MAX_ELEMENTS: usize = 1 << 28;

/// A float32 tensor's shape and values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Floats {
    pub shape: Vec<i64>,
    pub values: Vec<f32>,
}

/// The values of a float32 Const: `tensor_content`, or `float_val` with the
/// last value repeated to fill the shape, as MakeNdarray does. `None` for
/// other dtypes, unknown shapes, or values that do not fit the shape.
pub fn float_values(node: &NodeDef) -> Option<Floats> {
    let Some(attr_value::Value::Tensor(tensor)) = node.attr.get("value")?.value.as_ref() else {
        return None;
    };
    if tensor.dtype != DataType::DtFloat as i32 {
        return None;
    }
    let shape = tensor
        .tensor_shape
        .as_ref()
        .map_or(Some(Vec::new()), shape_dims)?;
    let count = shape.iter().try_fold(1usize, |n, &d| {
        usize::try_from(d).ok().and_then(|d| n.checked_mul(d))
    })?;
    if count > MAX_ELEMENTS {
        return None;
    }
    let values: Vec<f32> = if !tensor.tensor_content.is_empty() {
        if tensor.tensor_content.len() != count.checked_mul(4)? {
            return None;
        }
        tensor
            .tensor_content
            .chunks_exact(4)
            .filter_map(|c| <[u8; 4]>::try_from(c).ok())
            .map(f32::from_le_bytes)
            .collect()
    } else {
        let given = &tensor.float_val;
        if given.len() > count {
            return None;
        }
        let last = given.last().copied().unwrap_or(0.0);
        given
            .iter()
            .copied()
            .chain(std::iter::repeat(last))
            .take(count)
            .collect()
    };
    Some(Floats { shape, values })
}

/// `make_tensor_proto(values, float32, shape)`: raw bytes for more than one
/// element, `float_val` otherwise.
pub fn float_tensor(floats: Floats) -> TensorProto {
    let mut tensor = TensorProto {
        dtype: DataType::DtFloat as i32,
        tensor_shape: Some(shape_proto(&floats.shape)),
        ..Default::default()
    };
    if uses_tensor_content(tensor.dtype, floats.values.len() as u64) {
        tensor.tensor_content = floats.values.iter().flat_map(|v| v.to_le_bytes()).collect();
    } else {
        tensor.float_val = floats.values;
    }
    tensor
}

/// `make_tensor_proto(1, float32, shape, allow_broadcast=True)`: one value,
/// which TF repeats over the shape.
pub fn broadcast_one(shape: &[i64]) -> TensorProto {
    TensorProto {
        dtype: DataType::DtFloat as i32,
        tensor_shape: Some(shape_proto(shape)),
        float_val: vec![1.0],
        ..Default::default()
    }
}
