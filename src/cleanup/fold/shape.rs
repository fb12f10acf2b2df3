//! The shape ops (`Shape`, `ShapeN`, `Size`, `Rank`), from a Const or from
//! a static shape, as grappler's `MaterializeShapes` and the kernels of
//! tensorflow/core/kernels/shape_ops.h compute them; and the ops that only
//! give elements another shape (`Reshape`, `ExpandDims`, `Squeeze`, `Fill`,
//! `Identity`).

use super::value::{element_count, Elements, Value};
use super::{int_attr, ints_attr, out_type, value_at, Operand};
use crate::proto::{DataType, NodeDef};

/// The shape an operand is known to have; `full` asks for every dimension.
fn known_shape(operand: Option<&Operand<'_>>, full: bool) -> Option<Vec<i64>> {
    match operand? {
        Operand::Value(v) => Some(v.shape().to_vec()),
        Operand::Shape(s) => {
            let known = !full || s.iter().all(|&d| d >= 0);
            // Grappler's workaround for b/150861569: an inferred zero-size
            // first dimension is not trusted.
            let suspect = full && s.first() == Some(&0);
            (known && !suspect).then(|| s.to_vec())
        }
    }
}

fn integer_value(dtype: DataType, shape: Vec<i64>, values: &[i64]) -> Option<Value> {
    Value::new(shape, Elements::integers(dtype, values)?)
}

/// `Shape` and `ShapeN` (output `port`): the dims, as `out_type`.
pub fn shape(node: &NodeDef, inputs: &[Operand<'_>], port: usize) -> Option<Value> {
    let dims = known_shape(inputs.get(port), true)?;
    integer_value(out_type(node)?, vec![dims.len() as i64], &dims)
}

/// `Size`: the element count, as `out_type`.
pub fn size(node: &NodeDef, inputs: &[Operand<'_>]) -> Option<Value> {
    let dims = known_shape(inputs.first(), true)?;
    let count = dims.iter().try_fold(1i64, |n, &d| n.checked_mul(d))?;
    integer_value(out_type(node)?, Vec::new(), &[count])
}

/// `Rank`: an int32 scalar; the rank alone need be known.
pub fn rank(inputs: &[Operand<'_>]) -> Option<Value> {
    let dims = known_shape(inputs.first(), false)?;
    integer_value(DataType::DtInt32, Vec::new(), &[dims.len() as i64])
}

/// `Reshape`: one `-1` takes what the others leave.
pub fn reshape(inputs: &[Operand<'_>]) -> Option<Value> {
    let tensor = value_at(inputs, 0)?;
    let mut dims = value_at(inputs, 1)?.vector()?;
    let count = tensor.len() as i64;
    let open: Vec<usize> = (0..dims.len())
        .filter(|&i| dims.get(i) == Some(&-1))
        .collect();
    let known = dims
        .iter()
        .filter(|&&d| d != -1)
        .try_fold(1i64, |n, &d| (d >= 0).then(|| n.checked_mul(d)).flatten())?;
    match open.as_slice() {
        [] => {}
        [i] if known > 0 && count % known == 0 => *dims.get_mut(*i)? = count / known,
        _ => return None,
    }
    tensor.reshaped(dims)
}

/// `ExpandDims`: a 1 inserted at `dim` (in `[-rank - 1, rank]`).
pub fn expand_dims(inputs: &[Operand<'_>]) -> Option<Value> {
    let tensor = value_at(inputs, 0)?;
    let dim = match value_at(inputs, 1)?.integers()?.as_slice() {
        [d] => *d,
        _ => return None,
    };
    let rank = tensor.shape().len() as i64;
    if dim < -rank - 1 || dim > rank {
        return None;
    }
    let at = if dim < 0 { dim + rank + 1 } else { dim };
    let mut shape = tensor.shape().to_vec();
    shape.insert(usize::try_from(at).ok()?, 1);
    tensor.reshaped(shape)
}

/// `Squeeze`: the `squeeze_dims` (each of size 1), or every dim of size 1.
pub fn squeeze(node: &NodeDef, inputs: &[Operand<'_>]) -> Option<Value> {
    let tensor = value_at(inputs, 0)?;
    let rank = tensor.shape().len() as i64;
    let listed = ints_attr(node, "squeeze_dims").unwrap_or_default();
    let mut drop = vec![false; tensor.shape().len()];
    for d in listed.iter() {
        if *d < -rank || *d >= rank {
            return None;
        }
        let at = usize::try_from(if *d < 0 { d + rank } else { *d }).ok()?;
        if tensor.shape().get(at) != Some(&1) {
            return None;
        }
        *drop.get_mut(at)? = true;
    }
    let shape = tensor
        .shape()
        .iter()
        .zip(&drop)
        .filter(|&(&size, &dropped)| !(dropped || (listed.is_empty() && size == 1)))
        .map(|(&size, _)| size)
        .collect();
    tensor.reshaped(shape)
}

/// `Fill`: a scalar repeated over `dims`.
pub fn fill(inputs: &[Operand<'_>]) -> Option<Value> {
    let dims = value_at(inputs, 0)?.vector()?;
    let value = value_at(inputs, 1)?;
    if !value.shape().is_empty() {
        return None;
    }
    let count = element_count(&dims)?;
    Value::new(dims, value.elements().pick(&vec![0; count])?)
}

/// `Identity`: the value itself.
pub fn identity(inputs: &[Operand<'_>]) -> Option<Value> {
    value_at(inputs, 0).cloned()
}

/// Only the `N` attr's count of inputs is read by `ShapeN`.
pub fn shape_n_count(node: &NodeDef, inputs: &[Operand<'_>]) -> Option<usize> {
    let n = usize::try_from(int_attr(node, "N")?).ok()?;
    (n == inputs.len()).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::super::value::tests::ints;
    use super::*;
    use crate::graph::test_graph::{node, with_attr};
    use crate::proto::attr_value;

    fn typed(op: &str, dtype: DataType) -> NodeDef {
        with_attr(
            node("n", op, &[]),
            "out_type",
            attr_value::Value::Type(dtype as i32),
        )
    }

    #[test]
    fn shapes_come_from_values_or_fully_known_static_shapes() {
        let x = ints(&[2, 3], &[0; 6]);
        let node = typed("Shape", DataType::DtInt64);
        let got = shape(&node, &[Operand::Value(&x)], 0).unwrap();
        assert_eq!(got.elements(), &Elements::Int64(vec![2, 3]));
        assert!(shape(&node, &[Operand::Shape(vec![-1, 3])], 0).is_none());
        assert!(shape(&node, &[Operand::Shape(vec![0, 3])], 0).is_none());
        assert_eq!(
            rank(&[Operand::Shape(vec![-1, 3])]).unwrap().scalar(),
            Some(2)
        );
        let int32 = typed("Size", DataType::DtInt32);
        assert_eq!(
            size(&int32, &[Operand::Shape(vec![4, 5])])
                .unwrap()
                .scalar(),
            Some(20)
        );
        assert!(size(&int32, &[Operand::Shape(vec![1 << 16, 1 << 16])]).is_none());
    }

    #[test]
    fn reshape_takes_one_open_dimension() {
        let x = ints(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        let to = ints(&[2], &[-1, 2]);
        let got = reshape(&[Operand::Value(&x), Operand::Value(&to)]).unwrap();
        assert_eq!(got.shape(), &[3, 2]);
        let bad = ints(&[2], &[-1, 4]);
        assert!(reshape(&[Operand::Value(&x), Operand::Value(&bad)]).is_none());
        let two_open = ints(&[2], &[-1, -1]);
        assert!(reshape(&[Operand::Value(&x), Operand::Value(&two_open)]).is_none());
    }

    #[test]
    fn expand_and_squeeze_check_their_axes() {
        let x = ints(&[3], &[1, 2, 3]);
        let at = ints(&[], &[-1]);
        let got = expand_dims(&[Operand::Value(&x), Operand::Value(&at)]).unwrap();
        assert_eq!(got.shape(), &[3, 1]);
        let far = ints(&[], &[-3]);
        assert!(expand_dims(&[Operand::Value(&x), Operand::Value(&far)]).is_none());
        let all = node("s", "Squeeze", &[]);
        assert_eq!(
            squeeze(&all, &[Operand::Value(&got)]).unwrap().shape(),
            &[3]
        );
        let listed = with_attr(
            node("s", "Squeeze", &[]),
            "squeeze_dims",
            attr_value::Value::List(Box::new(attr_value::ListValue {
                i: vec![0],
                ..Default::default()
            })),
        );
        assert!(squeeze(&listed, &[Operand::Value(&got)]).is_none());
    }

    #[test]
    fn fill_repeats_a_scalar() {
        let dims = ints(&[2], &[2, 2]);
        let v = ints(&[], &[9]);
        let got = fill(&[Operand::Value(&dims), Operand::Value(&v)]).unwrap();
        assert_eq!(got, ints(&[2, 2], &[9; 4]));
        let negative = ints(&[1], &[-2]);
        assert!(fill(&[Operand::Value(&negative), Operand::Value(&v)]).is_none());
    }
}
