//! `Pack`, `Concat` and `ConcatV2`, with the shape checks of
//! tensorflow/core/kernels/pack_op.cc and concat_op.cc.

use super::value::{element_count, Elements, Value};
use super::{int_attr, value_at, Operand};
use crate::proto::NodeDef;

/// The values of the data inputs `range`, all of one dtype.
fn values<'v>(inputs: &[Operand<'v>], range: std::ops::Range<usize>) -> Option<Vec<&'v Value>> {
    let values: Vec<&Value> = range.map(|i| value_at(inputs, i)).collect::<Option<_>>()?;
    let first = values.first()?;
    values
        .iter()
        .all(|v| v.dtype() == first.dtype())
        .then_some(values)
}

/// Interleaves the parts: for each of `outer` rows, each part's next `chunk`
/// elements in turn.
fn interleave(parts: &[&Value], chunks: &[usize], outer: usize, shape: Vec<i64>) -> Option<Value> {
    element_count(&shape)?;
    let mut at = Vec::new();
    for row in 0..outer {
        for (p, &chunk) in chunks.iter().enumerate() {
            let start = row.checked_mul(chunk)?;
            at.extend((start..start.checked_add(chunk)?).map(|i| (p, i)));
        }
    }
    let elements: Vec<&Elements> = parts.iter().map(|v| v.elements()).collect();
    Value::new(shape, Elements::gather(&elements, &at)?)
}

fn axis_in(axis: i64, rank: usize) -> Option<usize> {
    let rank = rank as i64;
    let at = if axis < 0 { axis + rank } else { axis };
    (0..rank)
        .contains(&at)
        .then(|| usize::try_from(at).ok())
        .flatten()
}

/// `Pack`: the values, of one shape, stacked along a new `axis`.
pub fn pack(node: &NodeDef, inputs: &[Operand<'_>]) -> Option<Value> {
    let parts = values(inputs, 0..inputs.len())?;
    let shape = parts.first()?.shape().to_vec();
    if parts.iter().any(|v| v.shape() != shape.as_slice()) {
        return None;
    }
    let axis = axis_in(int_attr(node, "axis").unwrap_or(0), shape.len() + 1)?;
    let outer = element_count(shape.get(..axis)?)?;
    let chunk = element_count(shape.get(axis..)?)?;
    let mut out_shape = shape;
    out_shape.insert(axis, parts.len() as i64);
    interleave(&parts, &vec![chunk; parts.len()], outer, out_shape)
}

/// `Concat` (axis first) and `ConcatV2` (axis last): the values joined
/// along an existing `axis`, every other dimension equal.
pub fn concat(node: &NodeDef, inputs: &[Operand<'_>]) -> Option<Value> {
    let last = inputs.len().checked_sub(1)?;
    let (axis, parts) = if node.op == "Concat" {
        (
            value_at(inputs, 0)?.scalar()?,
            values(inputs, 1..inputs.len())?,
        )
    } else {
        (value_at(inputs, last)?.scalar()?, values(inputs, 0..last)?)
    };
    let first = parts.first()?.shape().to_vec();
    // Scalars cannot be concatenated (use Pack).
    let axis = axis_in(axis, first.len())?;
    let same_elsewhere = |s: &[i64]| {
        s.len() == first.len()
            && s.iter()
                .zip(&first)
                .enumerate()
                .all(|(i, (a, b))| i == axis || a == b)
    };
    if !parts.iter().all(|v| same_elsewhere(v.shape())) {
        return None;
    }
    let outer = element_count(first.get(..axis)?)?;
    let inner = element_count(first.get(axis + 1..)?)?;
    let chunks = parts
        .iter()
        .map(|v| element_count(v.shape().get(axis..=axis)?)?.checked_mul(inner))
        .collect::<Option<Vec<_>>>()?;
    let mut shape = first;
    *shape.get_mut(axis)? = parts
        .iter()
        .map(|v| v.shape().get(axis).copied())
        .sum::<Option<i64>>()?;
    interleave(&parts, &chunks, outer, shape)
}

#[cfg(test)]
mod tests {
    use super::super::value::tests::{ints, longs};
    use super::*;
    use crate::graph::test_graph::{node, with_attr};
    use crate::proto::attr_value;

    #[test]
    fn pack_stacks_along_the_axis() {
        let a = ints(&[2], &[1, 2]);
        let b = ints(&[2], &[3, 4]);
        let n = node("p", "Pack", &[]);
        let got = pack(&n, &[Operand::Value(&a), Operand::Value(&b)]).unwrap();
        assert_eq!(got, ints(&[2, 2], &[1, 2, 3, 4]));
        let n = with_attr(n, "axis", attr_value::Value::I(-1));
        let got = pack(&n, &[Operand::Value(&a), Operand::Value(&b)]).unwrap();
        assert_eq!(got, ints(&[2, 2], &[1, 3, 2, 4]));
        // Scalars, as tf.stack([tf.shape(x)[0], -1]) packs them.
        let (s, t) = (ints(&[], &[5]), ints(&[], &[-1]));
        let got = pack(
            &node("p", "Pack", &[]),
            &[Operand::Value(&s), Operand::Value(&t)],
        )
        .unwrap();
        assert_eq!(got, ints(&[2], &[5, -1]));
        let other = longs(&[], &[1]);
        assert!(pack(
            &node("p", "Pack", &[]),
            &[Operand::Value(&s), Operand::Value(&other)]
        )
        .is_none());
    }

    #[test]
    fn concat_joins_along_an_existing_axis() {
        let a = ints(&[2, 1], &[1, 2]);
        let b = ints(&[2, 2], &[3, 4, 5, 6]);
        let axis = ints(&[], &[1]);
        let n = node("c", "ConcatV2", &[]);
        let got = concat(
            &n,
            &[
                Operand::Value(&a),
                Operand::Value(&b),
                Operand::Value(&axis),
            ],
        )
        .unwrap();
        assert_eq!(got, ints(&[2, 3], &[1, 3, 4, 2, 5, 6]));
        let zero = ints(&[], &[0]);
        assert!(concat(
            &n,
            &[
                Operand::Value(&a),
                Operand::Value(&b),
                Operand::Value(&zero)
            ]
        )
        .is_none());
        let v1 = node("c", "Concat", &[]);
        let (x, y) = (ints(&[1], &[7]), ints(&[2], &[8, 9]));
        let got = concat(
            &v1,
            &[
                Operand::Value(&zero),
                Operand::Value(&x),
                Operand::Value(&y),
            ],
        )
        .unwrap();
        assert_eq!(got, ints(&[3], &[7, 8, 9]));
        let scalar = ints(&[], &[1]);
        assert!(concat(
            &n,
            &[
                Operand::Value(&scalar),
                Operand::Value(&scalar),
                Operand::Value(&zero)
            ]
        )
        .is_none());
    }
}
