//! A Const's value as the bytes of a TF.js weight: what
//! `write_weights.py` writes for the array `MakeNdarray` makes of it.
//! float64, int64 and complex128 are narrowed as `_AUTO_DTYPE_CONVERSION`
//! does; strings are each prefixed by their uint32 length
//! (`_serialize_string_array`); every other value is its little-endian bytes.

#![deny(clippy::indexing_slicing)]

use crate::error::{Error, Result};
use crate::graph::attrs::shape_dims;
use crate::proto::{DataType, TensorProto};

/// Elements one weight may have when its value is built in memory from
/// typed fields (a splat can declare far more than it stores): 1 GiB of float32.
const MAX_ELEMENTS: u64 = 1 << 28;

/// The manifest dtype a TF dtype becomes; `None` for dtypes TF.js cannot load.
pub fn tfjs_dtype(dtype: i32) -> Option<&'static str> {
    use DataType as D;
    match DataType::try_from(dtype).ok()? {
        D::DtFloat | D::DtDouble => Some("float32"),
        D::DtInt32 | D::DtInt64 => Some("int32"),
        D::DtBool => Some("bool"),
        D::DtString => Some("string"),
        D::DtComplex64 | D::DtComplex128 => Some("complex64"),
        _ => None,
    }
}

/// True when the checkpoint's bytes are already the weight's bytes, so the
/// weight can be a range of a `.data` shard.
pub fn stored_as_is(dtype: i32) -> bool {
    use DataType as D;
    matches!(
        DataType::try_from(dtype),
        Ok(D::DtFloat | D::DtInt32 | D::DtComplex64)
    )
}

/// True when the value is narrowed on the way (float64, int64, complex128).
pub fn narrowed(dtype: i32) -> bool {
    use DataType as D;
    matches!(
        DataType::try_from(dtype),
        Ok(D::DtDouble | D::DtInt64 | D::DtComplex128)
    )
}

/// The tensor's shape; unknown dimensions are refused (a Const has none).
pub fn shape(tensor: &TensorProto, name: &str) -> Result<Vec<i64>> {
    let dims = tensor
        .tensor_shape
        .as_ref()
        .map_or(Some(Vec::new()), shape_dims)
        .filter(|dims| dims.iter().all(|&d| d >= 0));
    dims.ok_or_else(|| Error::mismatch(name, "the Const has no complete shape"))
}

fn elements(shape: &[i64], name: &str) -> Result<usize> {
    let count = shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(u64::try_from(d).ok()?));
    let too_large = |size| Error::TooLarge {
        what: format!("the value of Const '{name}'"),
        size,
        limit: MAX_ELEMENTS,
    };
    let count = count.ok_or_else(|| too_large(u64::MAX))?;
    if count > MAX_ELEMENTS {
        return Err(too_large(count));
    }
    usize::try_from(count).map_err(|_| too_large(count))
}

/// `values` as `count` elements: as given, or the last repeated (zero when
/// none), as `MakeNdarray` fills a short typed field.
fn splat<T: Copy + Default>(values: &[T], count: usize, name: &str) -> Result<Vec<T>> {
    if values.len() > count {
        return Err(Error::mismatch(
            name,
            format!(
                "the Const holds {} values for {count} elements",
                values.len()
            ),
        ));
    }
    let last = values.last().copied().unwrap_or_default();
    Ok(values
        .iter()
        .copied()
        .chain(std::iter::repeat(last))
        .take(count)
        .collect())
}

fn from_content<const N: usize, T>(
    content: &[u8],
    count: usize,
    name: &str,
    read: fn([u8; N]) -> T,
) -> Result<Vec<T>> {
    if Some(content.len()) != count.checked_mul(N) {
        return Err(Error::mismatch(
            name,
            format!(
                "tensor_content holds {} bytes for {count} elements of {N}",
                content.len()
            ),
        ));
    }
    Ok(content
        .chunks_exact(N)
        .filter_map(|c| <[u8; N]>::try_from(c).ok())
        .map(read)
        .collect())
}

/// The float32 values of a float32 Const (for quantizing).
pub fn float_values(tensor: &TensorProto, name: &str) -> Result<Vec<f32>> {
    let count = elements(&shape(tensor, name)?, name)?;
    if tensor.tensor_content.is_empty() {
        splat(&tensor.float_val, count, name)
    } else {
        from_content(&tensor.tensor_content, count, name, f32::from_le_bytes)
    }
}

/// The weight bytes of a Const whose value is in the tensor itself.
pub fn weight_bytes(tensor: &TensorProto, name: &str) -> Result<Vec<u8>> {
    use DataType as D;
    let count = elements(&shape(tensor, name)?, name)?;
    let content = tensor.tensor_content.as_slice();
    let typed = content.is_empty();
    let le = |v: Vec<f32>| {
        v.into_iter()
            .flat_map(f32::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    let bytes = match DataType::try_from(tensor.dtype) {
        Ok(D::DtFloat) => le(float_values(tensor, name)?),
        Ok(D::DtDouble) => le(if typed {
            splat(&tensor.double_val, count, name)?
                .into_iter()
                .map(|v| v as f32)
                .collect()
        } else {
            from_content(content, count, name, |b| f64::from_le_bytes(b) as f32)?
        }),
        Ok(D::DtInt32) => {
            let values = if typed {
                splat(&tensor.int_val, count, name)?
            } else {
                from_content(content, count, name, i32::from_le_bytes)?
            };
            values.into_iter().flat_map(i32::to_le_bytes).collect()
        }
        // numpy's astype(int32) keeps the low 32 bits.
        Ok(D::DtInt64) => {
            let values = if typed {
                splat(&tensor.int64_val, count, name)?
            } else {
                from_content(content, count, name, i64::from_le_bytes)?
            };
            values
                .into_iter()
                .flat_map(|v| (v as i32).to_le_bytes())
                .collect()
        }
        Ok(D::DtBool) => {
            let values = if typed {
                splat(&tensor.bool_val, count, name)?
            } else {
                from_content(content, count, name, |[b]: [u8; 1]| b != 0)?
            };
            values.into_iter().map(u8::from).collect()
        }
        Ok(D::DtComplex64) if typed => le(pairs(&tensor.scomplex_val, count, name)?),
        Ok(D::DtComplex64) => le(from_content(
            content,
            count.saturating_mul(2),
            name,
            f32::from_le_bytes,
        )?),
        Ok(D::DtComplex128) if typed => {
            let wide = pairs(&tensor.dcomplex_val, count, name)?;
            le(wide.into_iter().map(|v| v as f32).collect())
        }
        Ok(D::DtComplex128) => le(from_content(content, count.saturating_mul(2), name, |b| {
            f64::from_le_bytes(b) as f32
        })?),
        Ok(D::DtString) => strings(&tensor.string_val, count, name)?,
        _ => return Err(unsupported_dtype(tensor.dtype, name)),
    };
    Ok(bytes)
}

/// Complex values stored as (real, imaginary) pairs, the last pair repeated.
fn pairs<T: Copy + Default>(values: &[T], count: usize, name: &str) -> Result<Vec<T>> {
    let given: Vec<[T; 2]> = values
        .chunks_exact(2)
        .filter_map(|c| <[T; 2]>::try_from(c).ok())
        .collect();
    let filled = splat(&given, count, name)?;
    Ok(filled.into_iter().flatten().collect())
}

fn strings(values: &[Vec<u8>], count: usize, name: &str) -> Result<Vec<u8>> {
    let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
    let mut out = Vec::new();
    for value in splat(&refs, count, name)? {
        let len = u32::try_from(value.len())
            .map_err(|_| Error::mismatch(name, "a string is longer than 4 GiB"))?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(value);
    }
    Ok(out)
}

/// The refusal of a dtype TF.js cannot load (tfjs-core's `decodeWeights`
/// reads float32, int32, bool, string and complex64 weights only).
pub fn unsupported_dtype(dtype: i32, name: &str) -> Error {
    Error::unsupported(format!(
        "Const '{name}' is {}, which a TF.js graph model cannot hold as a weight \
         (it takes float32, int32, bool, string and complex64; float64, int64 and complex128 are narrowed)",
        crate::dtype::dtype_text(dtype)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(dtype: DataType, dims: &[i64]) -> TensorProto {
        TensorProto {
            dtype: dtype as i32,
            tensor_shape: Some(crate::tensor::shape_proto(dims)),
            ..Default::default()
        }
    }

    #[test]
    fn typed_fields_splat_and_narrow() {
        let mut t = tensor(DataType::DtFloat, &[3]);
        t.float_val = vec![1.5];
        assert_eq!(
            weight_bytes(&t, "c").unwrap(),
            [1.5f32; 3]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<_>>()
        );
        let mut t = tensor(DataType::DtInt64, &[2]);
        t.int64_val = vec![7, -1];
        assert_eq!(
            weight_bytes(&t, "c").unwrap(),
            [7u8, 0, 0, 0, 255, 255, 255, 255]
        );
        let mut t = tensor(DataType::DtString, &[2]);
        t.string_val = vec![b"ab".to_vec(), Vec::new()];
        assert_eq!(
            weight_bytes(&t, "c").unwrap(),
            [2, 0, 0, 0, b'a', b'b', 0, 0, 0, 0]
        );
        let mut t = tensor(DataType::DtBool, &[]);
        t.bool_val = vec![true];
        assert_eq!(weight_bytes(&t, "c").unwrap(), [1]);
    }

    #[test]
    fn bad_values_are_refused() {
        let mut t = tensor(DataType::DtFloat, &[2]);
        t.tensor_content = vec![0; 7];
        assert!(weight_bytes(&t, "c").unwrap_err().to_string().contains("c"));
        let t = tensor(DataType::DtFloat, &[1 << 40, 1 << 40]);
        assert!(matches!(weight_bytes(&t, "c"), Err(Error::TooLarge { .. })));
        let t = tensor(DataType::DtUint8, &[2]);
        assert!(matches!(
            weight_bytes(&t, "c"),
            Err(Error::Unsupported { .. })
        ));
    }
}
