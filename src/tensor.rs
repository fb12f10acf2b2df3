//! Const values encoded as TF 2.21's `make_tensor_proto` encodes them
//! (python/framework/tensor_util.py): raw `tensor_content` for multi-element
//! tensors of the dtypes in `_TENSOR_CONTENT_TYPES`, typed value fields otherwise.

#![deny(clippy::indexing_slicing)]

use crate::error::{Error, Result};
use crate::proto::{DataType, TensorProto, TensorShapeProto};

/// A known shape of these dimensions (-1 for an unknown one).
pub fn shape_proto(dims: &[i64]) -> TensorShapeProto {
    TensorShapeProto {
        dim: dims
            .iter()
            .map(|&size| crate::proto::tensor_shape_proto::Dim {
                size,
                name: String::new(),
            })
            .collect(),
        ..Default::default()
    }
}

/// True when TF writes this tensor as raw bytes in `tensor_content`.
pub fn uses_tensor_content(dtype: i32, num_elements: u64) -> bool {
    use DataType as D;
    let content_type = matches!(
        DataType::try_from(dtype),
        Ok(D::DtHalf
            | D::DtFloat
            | D::DtDouble
            | D::DtInt32
            | D::DtUint8
            | D::DtInt16
            | D::DtInt8
            | D::DtInt64
            | D::DtQint8
            | D::DtQuint8
            | D::DtQint16
            | D::DtQuint16
            | D::DtQint32
            | D::DtUint32
            | D::DtUint64
            | D::DtFloat8E5m2
            | D::DtFloat8E4m3fn
            | D::DtFloat8E4m3fnuz
            | D::DtFloat8E4m3b11fnuz
            | D::DtFloat8E5m2fnuz
            | D::DtFloat4E2m1fn
            | D::DtBfloat16)
    );
    content_type && num_elements > 1
}

/// A TensorProto with dtype and shape but no values yet.
pub fn header(dtype: i32, shape: &TensorShapeProto) -> TensorProto {
    TensorProto {
        dtype,
        tensor_shape: Some(shape.clone()),
        ..Default::default()
    }
}

fn chunks<const N: usize>(bytes: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    bytes
        .chunks_exact(N)
        .filter_map(|c| <[u8; N]>::try_from(c).ok())
}

/// Fills the typed value field of `tensor` from little-endian element bytes.
/// `what` names the tensor in errors.
pub fn fill_typed(tensor: &mut TensorProto, bytes: &[u8], what: &str) -> Result<()> {
    use DataType as D;
    let dtype = DataType::try_from(tensor.dtype)
        .map_err(|_| Error::unsupported(format!("{what}: unknown dtype {}", tensor.dtype)))?;
    match dtype {
        D::DtFloat => tensor.float_val = chunks::<4>(bytes).map(f32::from_le_bytes).collect(),
        D::DtDouble => tensor.double_val = chunks::<8>(bytes).map(f64::from_le_bytes).collect(),
        D::DtInt32 | D::DtQint32 => {
            tensor.int_val = chunks::<4>(bytes).map(i32::from_le_bytes).collect()
        }
        D::DtInt16 | D::DtQint16 => {
            tensor.int_val = chunks::<2>(bytes)
                .map(|b| i32::from(i16::from_le_bytes(b)))
                .collect()
        }
        D::DtUint16 | D::DtQuint16 => {
            tensor.int_val = chunks::<2>(bytes)
                .map(|b| i32::from(u16::from_le_bytes(b)))
                .collect()
        }
        D::DtInt8 | D::DtQint8 => {
            tensor.int_val = bytes.iter().map(|&b| i32::from(b as i8)).collect()
        }
        D::DtUint8 | D::DtQuint8 => tensor.int_val = bytes.iter().map(|&b| i32::from(b)).collect(),
        D::DtInt64 => tensor.int64_val = chunks::<8>(bytes).map(i64::from_le_bytes).collect(),
        D::DtUint32 => tensor.uint32_val = chunks::<4>(bytes).map(u32::from_le_bytes).collect(),
        D::DtUint64 => tensor.uint64_val = chunks::<8>(bytes).map(u64::from_le_bytes).collect(),
        D::DtBool => tensor.bool_val = bytes.iter().map(|&b| b != 0).collect(),
        D::DtHalf | D::DtBfloat16 => {
            tensor.half_val = chunks::<2>(bytes)
                .map(|b| i32::from(u16::from_le_bytes(b)))
                .collect()
        }
        D::DtComplex64 => {
            tensor.scomplex_val = chunks::<4>(bytes).map(f32::from_le_bytes).collect()
        }
        D::DtComplex128 => {
            tensor.dcomplex_val = chunks::<8>(bytes).map(f64::from_le_bytes).collect()
        }
        D::DtFloat8E5m2
        | D::DtFloat8E4m3fn
        | D::DtFloat8E4m3fnuz
        | D::DtFloat8E4m3b11fnuz
        | D::DtFloat8E5m2fnuz => tensor.float8_val = bytes.to_vec(),
        other => {
            return Err(Error::unsupported(format!(
                "{what}: variables of dtype {} cannot be frozen into a constant",
                other.as_str_name()
            )))
        }
    }
    Ok(())
}

/// A scalar of an integer dtype (for the `axis` Const of a rewritten gather).
pub fn integer_scalar(dtype: i32, value: i64) -> TensorProto {
    let mut tensor = header(dtype, &TensorShapeProto::default());
    if dtype == DataType::DtInt64 as i32 {
        tensor.int64_val = vec![value];
    } else {
        tensor.int_val = vec![i32::try_from(value).unwrap_or(0)];
    }
    tensor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_only_for_multi_element_content_types() {
        assert!(uses_tensor_content(DataType::DtFloat as i32, 2));
        assert!(!uses_tensor_content(DataType::DtFloat as i32, 1));
        assert!(!uses_tensor_content(DataType::DtBool as i32, 4));
        assert!(!uses_tensor_content(DataType::DtUint16 as i32, 4));
        assert!(!uses_tensor_content(DataType::DtComplex64 as i32, 4));
        assert!(uses_tensor_content(DataType::DtBfloat16 as i32, 3));
    }

    #[test]
    fn typed_values_decode_little_endian() {
        let mut t = header(DataType::DtInt8 as i32, &TensorShapeProto::default());
        fill_typed(&mut t, &[0xff], "x").expect("int8");
        assert_eq!(t.int_val, vec![-1]);
        let mut t = header(DataType::DtHalf as i32, &TensorShapeProto::default());
        fill_typed(&mut t, &[0x00, 0x3c], "x").expect("half");
        assert_eq!(t.half_val, vec![0x3c00]);
        let mut t = header(DataType::DtFloat as i32, &TensorShapeProto::default());
        fill_typed(&mut t, &1.5f32.to_le_bytes(), "x").expect("float");
        assert_eq!(t.float_val, vec![1.5]);
    }

    #[test]
    fn resource_values_are_refused() {
        let mut t = header(DataType::DtResource as i32, &TensorShapeProto::default());
        assert!(fill_typed(&mut t, &[], "v").is_err());
    }
}
