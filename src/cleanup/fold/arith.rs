//! Elementwise integer arithmetic with numpy broadcasting (TF's `BCast`),
//! and `Range`. Integers wrap on overflow as the two's-complement CPU kernels
//! do; `FloorDiv` and `FloorMod` round toward negative infinity
//! (tensorflow/core/kernels/cwise_ops.h `google_floor_div`/`google_floor_mod`).
//! Where TF's kernel fails or has no defined result (division by zero,
//! `MIN / -1`), the node is left alone.

use super::value::{element_count, Elements, Value};
use super::{value_at, Operand};
use crate::proto::DataType;

/// An integer type the arithmetic runs in.
trait Int: Copy + Ord + Default {
    const MIN: Self;
    fn wrapping_add(self, o: Self) -> Self;
    fn wrapping_sub(self, o: Self) -> Self;
    fn wrapping_mul(self, o: Self) -> Self;
    fn checked_div(self, o: Self) -> Option<Self>;
    fn checked_rem(self, o: Self) -> Option<Self>;
    fn minus_one() -> Self;
}

macro_rules! int {
    ($t:ty) => {
        impl Int for $t {
            const MIN: Self = <$t>::MIN;
            fn wrapping_add(self, o: Self) -> Self {
                <$t>::wrapping_add(self, o)
            }
            fn wrapping_sub(self, o: Self) -> Self {
                <$t>::wrapping_sub(self, o)
            }
            fn wrapping_mul(self, o: Self) -> Self {
                <$t>::wrapping_mul(self, o)
            }
            fn checked_div(self, o: Self) -> Option<Self> {
                <$t>::checked_div(self, o)
            }
            fn checked_rem(self, o: Self) -> Option<Self> {
                <$t>::checked_rem(self, o)
            }
            fn minus_one() -> Self {
                -1
            }
        }
    };
}
int!(i32);
int!(i64);

/// One binary op on two elements; `None` where TF fails or is undefined.
fn apply<T: Int>(op: &str, x: T, y: T) -> Option<T> {
    let zero = T::default();
    Some(match op {
        "Add" | "AddV2" => x.wrapping_add(y),
        "Sub" => x.wrapping_sub(y),
        "Mul" => x.wrapping_mul(y),
        "Maximum" => x.max(y),
        "Minimum" => x.min(y),
        // checked_div and checked_rem refuse y == 0 and MIN / -1.
        "FloorDiv" => {
            let z = x.checked_div(y)?;
            let exact = z.wrapping_mul(y) == x;
            if !exact && ((x < zero) != (y < zero)) {
                z.wrapping_add(T::minus_one())
            } else {
                z
            }
        }
        "FloorMod" => {
            if x == T::MIN && y == T::minus_one() {
                return None;
            }
            let r = x.checked_rem(y)?;
            if r != zero && ((y < zero) != (r < zero)) {
                r.wrapping_add(y)
            } else {
                r
            }
        }
        _ => return None,
    })
}

/// The broadcast shape of `a` and `b`, numpy's rule.
fn broadcast_shape(a: &[i64], b: &[i64]) -> Option<Vec<i64>> {
    let rank = a.len().max(b.len());
    let dim = |s: &[i64], i: usize| {
        let pad = rank - s.len();
        i.checked_sub(pad).map_or(Some(1), |j| s.get(j).copied())
    };
    (0..rank)
        .map(|i| match (dim(a, i)?, dim(b, i)?) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// For each element of `out`, the flat index of the element of `shape`
/// broadcast to it.
fn broadcast_indices(shape: &[i64], out: &[i64]) -> Option<Vec<usize>> {
    let count = element_count(out)?;
    let pad = out.len() - shape.len();
    // Strides of `shape`, zero on broadcast dimensions, aligned to `out`.
    let mut strides = vec![0usize; out.len()];
    let mut step = 1usize;
    for i in (0..shape.len()).rev() {
        let d = usize::try_from(*shape.get(i)?).ok()?;
        if d != 1 {
            *strides.get_mut(i + pad)? = step;
        }
        step = step.checked_mul(d)?;
    }
    let mut indices = Vec::with_capacity(count);
    let mut at = vec![0usize; out.len()];
    for _ in 0..count {
        indices.push(at.iter().zip(&strides).map(|(a, s)| a * s).sum());
        for i in (0..out.len()).rev() {
            let a = at.get_mut(i)?;
            *a += 1;
            if (*a as i64) < *out.get(i)? {
                break;
            }
            *a = 0;
        }
    }
    Some(indices)
}

fn binary_typed<T: Int>(op: &str, x: &[T], y: &[T], xi: &[usize], yi: &[usize]) -> Option<Vec<T>> {
    xi.iter()
        .zip(yi)
        .map(|(&i, &j)| apply(op, *x.get(i)?, *y.get(j)?))
        .collect()
}

/// `Add`, `AddV2`, `Sub`, `Mul`, `FloorDiv`, `FloorMod`, `Maximum`,
/// `Minimum` on int32 or int64 tensors of one dtype.
pub fn binary(op: &str, inputs: &[Operand<'_>]) -> Option<Value> {
    let (x, y) = (value_at(inputs, 0)?, value_at(inputs, 1)?);
    let shape = broadcast_shape(x.shape(), y.shape())?;
    let xi = broadcast_indices(x.shape(), &shape)?;
    let yi = broadcast_indices(y.shape(), &shape)?;
    let elements = match (x.elements(), y.elements()) {
        (Elements::Int32(a), Elements::Int32(b)) => {
            Elements::Int32(binary_typed(op, a, b, &xi, &yi)?)
        }
        (Elements::Int64(a), Elements::Int64(b)) => {
            Elements::Int64(binary_typed(op, a, b, &xi, &yi)?)
        }
        _ => return None,
    };
    Value::new(shape, elements)
}

/// `Neg` on an int32 or int64 tensor (`-MIN` wraps to `MIN`).
pub fn neg(inputs: &[Operand<'_>]) -> Option<Value> {
    let x = value_at(inputs, 0)?;
    let elements = match x.elements() {
        Elements::Int32(v) => Elements::Int32(v.iter().map(|a| a.wrapping_neg()).collect()),
        Elements::Int64(v) => Elements::Int64(v.iter().map(|a| a.wrapping_neg()).collect()),
        _ => return None,
    };
    Value::new(x.shape().to_vec(), elements)
}

/// Integer `Range(start, limit, delta)` of scalars, with the checks and the
/// size of tensorflow/core/kernels/sequence_ops.cc.
pub fn range(inputs: &[Operand<'_>]) -> Option<Value> {
    let start = value_at(inputs, 0)?;
    let dtype = start.dtype();
    if !matches!(dtype, DataType::DtInt32 | DataType::DtInt64)
        || (1..3).any(|i| value_at(inputs, i).is_none_or(|v| v.dtype() != dtype))
    {
        return None;
    }
    let [s, l, d] = [0, 1, 2].map(|i| value_at(inputs, i).and_then(Value::scalar).map(i128::from));
    let (start, limit, delta) = (s?, l?, d?);
    if delta == 0 || (delta > 0 && start > limit) || (delta < 0 && start < limit) {
        return None;
    }
    let size = ((limit - start).abs() + delta.abs() - 1) / delta.abs();
    let count = usize::try_from(size).ok()?;
    element_count(&[i64::try_from(size).ok()?])?;
    let values: Vec<i64> = (0..count)
        .map(|i| i64::try_from(start + delta * i as i128).ok())
        .collect::<Option<_>>()?;
    Value::new(vec![size as i64], Elements::integers(dtype, &values)?)
}

#[cfg(test)]
mod tests {
    use super::super::value::tests::{ints, longs};
    use super::*;

    fn op(name: &str, x: &Value, y: &Value) -> Option<Value> {
        binary(name, &[Operand::Value(x), Operand::Value(y)])
    }

    #[test]
    fn floor_division_rounds_toward_negative_infinity() {
        let x = ints(&[4], &[7, -7, 7, -7]);
        let y = ints(&[4], &[2, 2, -2, -2]);
        assert_eq!(op("FloorDiv", &x, &y).unwrap(), ints(&[4], &[3, -4, -4, 3]));
        assert_eq!(op("FloorMod", &x, &y).unwrap(), ints(&[4], &[1, 1, -1, -1]));
        let exact = ints(&[2], &[-6, 6]);
        let three = ints(&[], &[-3]);
        assert_eq!(
            op("FloorDiv", &exact, &three).unwrap(),
            ints(&[2], &[2, -2])
        );
        assert_eq!(op("FloorMod", &exact, &three).unwrap(), ints(&[2], &[0, 0]));
    }

    #[test]
    fn division_by_zero_and_min_over_minus_one_are_left_alone() {
        let x = ints(&[2], &[1, 2]);
        let zero = ints(&[], &[0]);
        assert!(op("FloorDiv", &x, &zero).is_none());
        assert!(op("FloorMod", &x, &zero).is_none());
        let min = longs(&[], &[i64::MIN]);
        let minus_one = longs(&[], &[-1]);
        assert!(op("FloorDiv", &min, &minus_one).is_none());
        assert!(op("FloorMod", &min, &minus_one).is_none());
    }

    #[test]
    fn overflow_wraps_as_twos_complement() {
        let max = ints(&[], &[i32::MAX]);
        let one = ints(&[], &[1]);
        assert_eq!(op("AddV2", &max, &one).unwrap(), ints(&[], &[i32::MIN]));
        assert_eq!(op("Mul", &max, &max).unwrap(), ints(&[], &[1]));
        let min = ints(&[1], &[i32::MIN]);
        assert_eq!(neg(&[Operand::Value(&min)]).unwrap(), min);
    }

    #[test]
    fn operands_broadcast_as_numpy_does() {
        let col = ints(&[2, 1], &[10, 20]);
        let row = ints(&[3], &[1, 2, 3]);
        let got = op("Add", &col, &row).unwrap();
        assert_eq!(got, ints(&[2, 3], &[11, 12, 13, 21, 22, 23]));
        let got = op("Maximum", &row, &ints(&[], &[2])).unwrap();
        assert_eq!(got, ints(&[3], &[2, 2, 3]));
        assert!(op("Sub", &ints(&[2], &[1, 2]), &row).is_none());
        assert!(op("Add", &row, &longs(&[3], &[1, 2, 3])).is_none());
    }

    #[test]
    fn range_counts_as_the_kernel_does() {
        let r = |s: i32, l: i32, d: i32| {
            let (s, l, d) = (ints(&[], &[s]), ints(&[], &[l]), ints(&[], &[d]));
            range(&[Operand::Value(&s), Operand::Value(&l), Operand::Value(&d)])
        };
        assert_eq!(r(0, 5, 2).unwrap(), ints(&[3], &[0, 2, 4]));
        assert_eq!(r(5, 0, -2).unwrap(), ints(&[3], &[5, 3, 1]));
        assert_eq!(r(3, 3, 1).unwrap(), ints(&[0], &[]));
        assert!(r(0, 5, 0).is_none());
        assert!(r(5, 0, 1).is_none());
        assert!(r(0, i32::MAX, 1).is_none());
    }
}
