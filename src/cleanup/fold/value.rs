//! The small tensors a fold computes with: int32, int64, float32 and bool,
//! read from a Const as TF's `Tensor::FromProto` reads it
//! (tensorflow/core/framework/tensor.cc) and written back as the freeze
//! writes its Consts (`make_tensor_proto`: `tensor_content` for more than one
//! numeric element, the typed field otherwise).

use crate::graph::attrs::shape_dims;
use crate::proto::{DataType, TensorProto};
pub use crate::tensor::shape_proto;
use crate::tensor::uses_tensor_content;

/// The largest Const a fold reads.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// The most elements a fold computes or writes.
pub const MAX_ELEMENTS: usize = 1 << 18;

/// A tensor's elements, row-major, by dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum Elements {
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Float(Vec<f32>),
    Bool(Vec<bool>),
}

/// A small tensor: its shape and elements, which always agree.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    shape: Vec<i64>,
    elements: Elements,
}

/// The element count of a fully known `shape`, within [`MAX_ELEMENTS`].
pub fn element_count(shape: &[i64]) -> Option<usize> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(usize::try_from(d).ok()?))
        .filter(|&n| n <= MAX_ELEMENTS)
}

impl Elements {
    pub fn len(&self) -> usize {
        match self {
            Elements::Int32(v) => v.len(),
            Elements::Int64(v) => v.len(),
            Elements::Float(v) => v.len(),
            Elements::Bool(v) => v.len(),
        }
    }

    pub fn dtype(&self) -> DataType {
        match self {
            Elements::Int32(_) => DataType::DtInt32,
            Elements::Int64(_) => DataType::DtInt64,
            Elements::Float(_) => DataType::DtFloat,
            Elements::Bool(_) => DataType::DtBool,
        }
    }

    /// The elements at `indices`, in that order; `None` if one is out of range.
    pub fn pick(&self, indices: &[usize]) -> Option<Elements> {
        fn take<T: Copy>(v: &[T], indices: &[usize]) -> Option<Vec<T>> {
            indices.iter().map(|&i| v.get(i).copied()).collect()
        }
        Some(match self {
            Elements::Int32(v) => Elements::Int32(take(v, indices)?),
            Elements::Int64(v) => Elements::Int64(take(v, indices)?),
            Elements::Float(v) => Elements::Float(take(v, indices)?),
            Elements::Bool(v) => Elements::Bool(take(v, indices)?),
        })
    }

    /// Element `i` of part `p` for each `(p, i)` of `at`; the parts share a
    /// dtype.
    pub fn gather(parts: &[&Elements], at: &[(usize, usize)]) -> Option<Elements> {
        fn take<'e, T: Copy + 'e>(
            parts: &[&'e Elements],
            at: &[(usize, usize)],
            typed: impl Fn(&'e Elements) -> Option<&'e [T]>,
        ) -> Option<Vec<T>> {
            let parts: Vec<&[T]> = parts.iter().map(|e| typed(e)).collect::<Option<_>>()?;
            at.iter()
                .map(|&(p, i)| parts.get(p)?.get(i).copied())
                .collect()
        }
        Some(match parts.first()? {
            Elements::Int32(_) => Elements::Int32(take(parts, at, |e| match e {
                Elements::Int32(v) => Some(v.as_slice()),
                _ => None,
            })?),
            Elements::Int64(_) => Elements::Int64(take(parts, at, |e| match e {
                Elements::Int64(v) => Some(v.as_slice()),
                _ => None,
            })?),
            Elements::Float(_) => Elements::Float(take(parts, at, |e| match e {
                Elements::Float(v) => Some(v.as_slice()),
                _ => None,
            })?),
            Elements::Bool(_) => Elements::Bool(take(parts, at, |e| match e {
                Elements::Bool(v) => Some(v.as_slice()),
                _ => None,
            })?),
        })
    }

    /// Integer elements widened to i64; `None` for other dtypes.
    pub fn as_i64(&self) -> Option<Vec<i64>> {
        match self {
            Elements::Int32(v) => Some(v.iter().map(|&x| i64::from(x)).collect()),
            Elements::Int64(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// Integers of `dtype` (int32 or int64); `None` where one does not fit.
    pub fn integers(dtype: DataType, values: &[i64]) -> Option<Elements> {
        match dtype {
            DataType::DtInt32 => values
                .iter()
                .map(|&v| i32::try_from(v).ok())
                .collect::<Option<_>>()
                .map(Elements::Int32),
            DataType::DtInt64 => Some(Elements::Int64(values.to_vec())),
            _ => None,
        }
    }
}

impl Value {
    /// `None` when `shape` is not fully known, too large, or does not hold
    /// exactly `elements`.
    pub fn new(shape: Vec<i64>, elements: Elements) -> Option<Value> {
        (element_count(&shape)? == elements.len()).then_some(Value { shape, elements })
    }

    pub fn shape(&self) -> &[i64] {
        &self.shape
    }

    pub fn elements(&self) -> &Elements {
        &self.elements
    }

    pub fn dtype(&self) -> DataType {
        self.elements.dtype()
    }

    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// The integers of an int32/int64 tensor, widened.
    pub fn integers(&self) -> Option<Vec<i64>> {
        self.elements.as_i64()
    }

    /// The one integer of a scalar.
    pub fn scalar(&self) -> Option<i64> {
        match (self.shape.is_empty(), self.integers()?.as_slice()) {
            (true, [v]) => Some(*v),
            _ => None,
        }
    }

    /// The integers of a vector (rank 1).
    pub fn vector(&self) -> Option<Vec<i64>> {
        (self.shape.len() == 1).then(|| self.integers()).flatten()
    }

    /// The same elements with another shape.
    pub fn reshaped(&self, shape: Vec<i64>) -> Option<Value> {
        Value::new(shape, self.elements.clone())
    }

    /// Reads a Const's value. `None` for other dtypes, a shape not fully
    /// known, more than [`MAX_INPUT_BYTES`], values that do not fit the shape,
    /// and no values at all for a non-empty shape: the freeze leaves the
    /// values of large variables in their shard until the end, so an empty
    /// Const may still be filled.
    pub fn from_tensor(tensor: &TensorProto) -> Option<Value> {
        let dtype = DataType::try_from(tensor.dtype).ok()?;
        let shape = tensor
            .tensor_shape
            .as_ref()
            .map_or(Some(Vec::new()), shape_dims)?;
        let count = element_count(&shape)?;
        let width = match dtype {
            DataType::DtInt32 | DataType::DtFloat => 4,
            DataType::DtInt64 => 8,
            DataType::DtBool => 1,
            _ => return None,
        };
        if count.checked_mul(width)? > MAX_INPUT_BYTES {
            return None;
        }
        let content = &tensor.tensor_content;
        let elements = if !content.is_empty() {
            if content.len() != count.checked_mul(width)? {
                return None;
            }
            from_content(dtype, content)?
        } else {
            match dtype {
                DataType::DtInt32 => Elements::Int32(filled(&tensor.int_val, count)?),
                DataType::DtInt64 => Elements::Int64(filled(&tensor.int64_val, count)?),
                DataType::DtFloat => Elements::Float(filled(&tensor.float_val, count)?),
                _ => Elements::Bool(filled(&tensor.bool_val, count)?),
            }
        };
        Value::new(shape, elements)
    }

    /// The TensorProto of this value, as the freeze writes a Const.
    pub fn to_tensor(&self) -> TensorProto {
        let dtype = self.dtype() as i32;
        let mut tensor = TensorProto {
            dtype,
            tensor_shape: Some(shape_proto(&self.shape)),
            ..Default::default()
        };
        if uses_tensor_content(dtype, self.len() as u64) {
            tensor.tensor_content = match &self.elements {
                Elements::Int32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                Elements::Int64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                Elements::Float(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                Elements::Bool(v) => v.iter().map(|&b| u8::from(b)).collect(),
            };
            return tensor;
        }
        match &self.elements {
            Elements::Int32(v) => tensor.int_val.clone_from(v),
            Elements::Int64(v) => tensor.int64_val.clone_from(v),
            Elements::Float(v) => tensor.float_val.clone_from(v),
            Elements::Bool(v) => tensor.bool_val.clone_from(v),
        }
        tensor
    }
}

/// A typed value field as FromProto reads it: the last value repeats to the
/// end; more values than elements is an error, none at all is refused here.
fn filled<T: Copy>(given: &[T], count: usize) -> Option<Vec<T>> {
    if given.len() > count || (given.is_empty() && count > 0) {
        return None;
    }
    let last = given.last().copied();
    Some(
        given
            .iter()
            .copied()
            .chain(std::iter::repeat_n(last, count.saturating_sub(given.len())).flatten())
            .collect(),
    )
}

fn from_content(dtype: DataType, bytes: &[u8]) -> Option<Elements> {
    fn chunks<const N: usize>(bytes: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
        bytes
            .chunks_exact(N)
            .filter_map(|c| <[u8; N]>::try_from(c).ok())
    }
    Some(match dtype {
        DataType::DtInt32 => Elements::Int32(chunks::<4>(bytes).map(i32::from_le_bytes).collect()),
        DataType::DtInt64 => Elements::Int64(chunks::<8>(bytes).map(i64::from_le_bytes).collect()),
        DataType::DtFloat => Elements::Float(chunks::<4>(bytes).map(f32::from_le_bytes).collect()),
        DataType::DtBool => Elements::Bool(bytes.iter().map(|&b| b != 0).collect()),
        _ => return None,
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn ints(shape: &[i64], v: &[i32]) -> Value {
        Value::new(shape.to_vec(), Elements::Int32(v.to_vec())).unwrap()
    }

    pub fn longs(shape: &[i64], v: &[i64]) -> Value {
        Value::new(shape.to_vec(), Elements::Int64(v.to_vec())).unwrap()
    }

    #[test]
    fn typed_fields_repeat_their_last_value_and_content_round_trips() {
        let t = TensorProto {
            dtype: DataType::DtInt32 as i32,
            tensor_shape: Some(shape_proto(&[3])),
            int_val: vec![7, 1],
            ..Default::default()
        };
        let v = Value::from_tensor(&t).unwrap();
        assert_eq!(v, ints(&[3], &[7, 1, 1]));
        let written = v.to_tensor();
        assert_eq!(written.tensor_content.len(), 12);
        assert_eq!(Value::from_tensor(&written), Some(v));
        let scalar = longs(&[], &[-5]).to_tensor();
        assert_eq!(scalar.int64_val, vec![-5]);
    }

    #[test]
    fn consts_without_values_or_too_large_are_not_read() {
        let empty = TensorProto {
            dtype: DataType::DtFloat as i32,
            tensor_shape: Some(shape_proto(&[4])),
            ..Default::default()
        };
        assert_eq!(Value::from_tensor(&empty), None);
        let big = TensorProto {
            dtype: DataType::DtInt32 as i32,
            tensor_shape: Some(shape_proto(&[1 << 19])),
            int_val: vec![0],
            ..Default::default()
        };
        assert_eq!(Value::from_tensor(&big), None);
        let short = TensorProto {
            tensor_content: vec![0; 5],
            ..empty
        };
        assert_eq!(Value::from_tensor(&short), None);
    }
}
