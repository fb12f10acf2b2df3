//! `Cast` between int32, int64, float32 and bool, element by element as
//! the CPU kernel's `static_cast` does (tensorflow/core/kernels/cast_op_impl.h):
//! narrowing integers wrap, integers round to the nearest float, bool is
//! `x != 0` one way and 0/1 the other. A float that does not truncate to an
//! integer in range (NaN, infinities, too large) has no defined result, so
//! such a Cast is left alone.

use super::value::{Elements, Value};
use super::{value_at, Operand};
use crate::graph::attrs::type_attr;
use crate::proto::{DataType, NodeDef};

/// A float truncated toward zero, when the result fits `[min, max]`.
fn truncate(x: f32, min: f64, max: f64) -> Option<i64> {
    let t = f64::from(x).trunc();
    (t >= min && t <= max).then_some(t as i64)
}

fn to_int32(e: &Elements) -> Option<Vec<i32>> {
    Some(match e {
        Elements::Int32(v) => v.clone(),
        Elements::Int64(v) => v.iter().map(|&x| x as i32).collect(),
        Elements::Float(v) => v
            .iter()
            .map(|&x| truncate(x, f64::from(i32::MIN), f64::from(i32::MAX)).map(|t| t as i32))
            .collect::<Option<_>>()?,
        Elements::Bool(v) => v.iter().map(|&b| i32::from(b)).collect(),
    })
}

fn to_int64(e: &Elements) -> Option<Vec<i64>> {
    Some(match e {
        Elements::Int32(v) => v.iter().map(|&x| i64::from(x)).collect(),
        Elements::Int64(v) => v.clone(),
        // 2^63 is the first float past i64::MAX.
        Elements::Float(v) => v
            .iter()
            .map(|&x| truncate(x, -(2f64.powi(63)), 2f64.powi(63) - 1024.0))
            .collect::<Option<_>>()?,
        Elements::Bool(v) => v.iter().map(|&b| i64::from(b)).collect(),
    })
}

fn to_float(e: &Elements) -> Vec<f32> {
    match e {
        Elements::Int32(v) => v.iter().map(|&x| x as f32).collect(),
        Elements::Int64(v) => v.iter().map(|&x| x as f32).collect(),
        Elements::Float(v) => v.clone(),
        Elements::Bool(v) => v.iter().map(|&b| f32::from(u8::from(b))).collect(),
    }
}

fn to_bool(e: &Elements) -> Vec<bool> {
    match e {
        Elements::Int32(v) => v.iter().map(|&x| x != 0).collect(),
        Elements::Int64(v) => v.iter().map(|&x| x != 0).collect(),
        // NaN is not zero, so it casts to true, as in C++.
        Elements::Float(v) => v.iter().map(|&x| x != 0.0).collect(),
        Elements::Bool(v) => v.clone(),
    }
}

/// `Cast(x)` to `DstT`; `SrcT` must be the input's dtype.
pub fn cast(node: &NodeDef, inputs: &[Operand<'_>]) -> Option<Value> {
    let x = value_at(inputs, 0)?;
    let source = type_attr(node, "SrcT").and_then(|t| DataType::try_from(t).ok());
    if source.is_some_and(|s| s != x.dtype()) {
        return None;
    }
    let target = DataType::try_from(type_attr(node, "DstT")?).ok()?;
    let e = x.elements();
    let elements = match target {
        DataType::DtInt32 => Elements::Int32(to_int32(e)?),
        DataType::DtInt64 => Elements::Int64(to_int64(e)?),
        DataType::DtFloat => Elements::Float(to_float(e)),
        DataType::DtBool => Elements::Bool(to_bool(e)),
        _ => return None,
    };
    Value::new(x.shape().to_vec(), elements)
}

#[cfg(test)]
mod tests {
    use super::super::value::tests::{ints, longs};
    use super::*;
    use crate::graph::test_graph::{node, with_attr};
    use crate::proto::attr_value;

    fn cast_to(x: &Value, to: DataType) -> Option<Value> {
        let n = with_attr(
            with_attr(
                node("c", "Cast", &[]),
                "SrcT",
                attr_value::Value::Type(x.dtype() as i32),
            ),
            "DstT",
            attr_value::Value::Type(to as i32),
        );
        cast(&n, &[Operand::Value(x)])
    }

    #[test]
    fn narrowing_wraps_and_widening_keeps_the_value() {
        let big = longs(&[3], &[1 << 32, (1 << 31) + 5, -1]);
        let got = cast_to(&big, DataType::DtInt32).unwrap();
        assert_eq!(got, ints(&[3], &[0, i32::MIN + 5, -1]));
        let back = cast_to(&got, DataType::DtInt64).unwrap();
        assert_eq!(back, longs(&[3], &[0, i64::from(i32::MIN) + 5, -1]));
    }

    #[test]
    fn floats_truncate_toward_zero_and_bools_are_nonzero() {
        let f = Value::new(vec![3], Elements::Float(vec![-2.7, 2.7, 0.0])).unwrap();
        assert_eq!(
            cast_to(&f, DataType::DtInt32).unwrap(),
            ints(&[3], &[-2, 2, 0])
        );
        let b = cast_to(&f, DataType::DtBool).unwrap();
        assert_eq!(b.elements(), &Elements::Bool(vec![true, true, false]));
        assert_eq!(
            cast_to(&b, DataType::DtInt64).unwrap(),
            longs(&[3], &[1, 1, 0])
        );
        let odd = longs(&[1], &[(1 << 24) + 1]);
        let got = cast_to(&odd, DataType::DtFloat).unwrap();
        assert_eq!(got.elements(), &Elements::Float(vec![16777216.0]));
    }

    #[test]
    fn undefined_float_to_int_casts_are_left_alone() {
        for bad in [f32::NAN, f32::INFINITY, 3e9] {
            let f = Value::new(vec![], Elements::Float(vec![bad])).unwrap();
            assert!(cast_to(&f, DataType::DtInt32).is_none(), "{bad}");
        }
        let f = Value::new(vec![], Elements::Float(vec![3e9])).unwrap();
        assert_eq!(
            cast_to(&f, DataType::DtInt64).unwrap().scalar(),
            Some(3_000_000_000)
        );
    }
}
