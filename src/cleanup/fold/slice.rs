//! `StridedSlice`, with its five masks read as TF's `ValidateStridedSliceOp`
//! reads them (tensorflow/core/util/strided_slice_op.cc): the sparse spec is
//! expanded around the ellipsis into one entry per input dimension, each
//! begin/end is made canonical, then new axes are put in and shrunk axes
//! taken out of the final shape.

use super::value::{element_count, Value};
use super::{int_attr, value_at, Operand};
use crate::proto::NodeDef;

/// Where a final dimension comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Gather {
    Dim(usize),
    NewAxis,
    Shrink,
}

/// The five masks, as the int32 bit sets TF reads.
struct Masks {
    begin: u32,
    end: u32,
    ellipsis: u32,
    new_axis: u32,
    shrink: u32,
}

impl Masks {
    fn of(node: &NodeDef) -> Option<Masks> {
        let mask = |name: &str| {
            let v = int_attr(node, name).unwrap_or(0);
            i32::try_from(v).ok().map(|m| m as u32)
        };
        Some(Masks {
            begin: mask("begin_mask")?,
            end: mask("end_mask")?,
            ellipsis: mask("ellipsis_mask")?,
            new_axis: mask("new_axis_mask")?,
            shrink: mask("shrink_axis_mask")?,
        })
    }
}

fn bit(mask: u32, i: usize) -> bool {
    u32::try_from(i)
        .ok()
        .and_then(|i| mask.checked_shr(i))
        .is_some_and(|m| m & 1 == 1)
}

/// One entry per input dimension (TF's dense spec).
struct Dense {
    begin: Vec<i64>,
    end: Vec<i64>,
    strides: Vec<i64>,
    begin_mask: Vec<bool>,
    end_mask: Vec<bool>,
    shrink: Vec<bool>,
    gather: Vec<Gather>,
}

/// TF's `BuildDenseSpec`: the ellipsis (one is added at the end if none is
/// given) stands for every dimension the other entries do not name.
fn dense_spec(
    rank: usize,
    begin: &[i64],
    end: &[i64],
    strides: &[i64],
    m: &Masks,
) -> Option<Dense> {
    let n = begin.len();
    if end.len() != n || strides.len() != n || n >= 32 || m.ellipsis.count_ones() > 1 {
        return None;
    }
    let mut ellipsis = m.ellipsis;
    let mut after_ellipsis = 0usize;
    let mut seen = false;
    for i in 0..n {
        if seen && bit(m.new_axis, i) {
            after_ellipsis += 1;
        }
        seen |= bit(ellipsis, i);
    }
    let mut sparse_dims = n;
    if !seen {
        ellipsis |= 1 << n;
        sparse_dims += 1;
    }
    let mut d = Dense {
        begin: vec![0; rank],
        end: vec![0; rank],
        strides: vec![0; rank],
        begin_mask: vec![false; rank],
        end_mask: vec![false; rank],
        shrink: vec![false; rank],
        gather: Vec::new(),
    };
    let mut full = 0usize;
    for i in 0..sparse_dims {
        if bit(ellipsis, i) {
            let next = (rank + 1 + after_ellipsis)
                .saturating_sub(sparse_dims - i)
                .min(rank);
            while full < next {
                *d.strides.get_mut(full)? = 1;
                *d.begin_mask.get_mut(full)? = true;
                *d.end_mask.get_mut(full)? = true;
                d.gather.push(Gather::Dim(full));
                full += 1;
            }
        } else if bit(m.new_axis, i) {
            d.gather.push(Gather::NewAxis);
        } else {
            if full == rank {
                return None;
            }
            *d.begin.get_mut(full)? = *begin.get(i)?;
            *d.end.get_mut(full)? = *end.get(i)?;
            *d.strides.get_mut(full)? = *strides.get(i)?;
            *d.begin_mask.get_mut(full)? = bit(m.begin, i);
            *d.end_mask.get_mut(full)? = bit(m.end, i);
            if bit(m.shrink, i) {
                d.gather.push(Gather::Shrink);
                *d.shrink.get_mut(full)? = true;
            } else {
                d.gather.push(Gather::Dim(full));
            }
            full += 1;
        }
    }
    Some(d)
}

/// The canonical begin and end of dimension `i` (of size `dim`) and the
/// number of elements taken.
fn canonical(d: &Dense, i: usize, dim: i64) -> Option<(i64, i64, i64)> {
    let stride = *d.strides.get(i)?;
    if stride == 0 {
        return None;
    }
    let (mut begin, mut end) = (*d.begin.get(i)?, *d.end.get(i)?);
    let masks = [*d.begin_mask.get(i)?, *d.end_mask.get(i)?];
    let valid = if stride > 0 { [0, dim] } else { [-1, dim - 1] };
    let place = |x: i64, c: usize| -> Option<i64> {
        if *masks.get(c)? {
            return if stride > 0 {
                valid.get(c).copied()
            } else {
                valid.get((c + 1) & 1).copied()
            };
        }
        let forward = if x < 0 { dim.checked_add(x)? } else { x };
        Some(forward.clamp(valid[0], valid[1]))
    };
    if *d.shrink.get(i)? {
        // A shrunk index ignores the masks and the given end (foo[-1] has
        // end 0): TF takes exactly begin, which must be in range.
        if stride <= 0 {
            return None;
        }
        let forward = if begin < 0 {
            dim.checked_add(begin)?
        } else {
            begin
        };
        if forward < 0 || forward >= dim {
            return None;
        }
        return Some((forward, forward + 1, 1));
    }
    begin = place(begin, 0)?;
    end = place(end, 1)?;
    let interval = end.checked_sub(begin)?;
    let size = if interval == 0 || ((interval < 0) != (stride < 0)) {
        0
    } else {
        interval / stride + i64::from(interval % stride != 0)
    };
    Some((begin, end, size))
}

/// `StridedSlice(input, begin, end, strides)`.
pub fn strided_slice(node: &NodeDef, inputs: &[Operand<'_>]) -> Option<Value> {
    let input = value_at(inputs, 0)?;
    let begin = value_at(inputs, 1)?.vector()?;
    let end = value_at(inputs, 2)?.vector()?;
    let strides = value_at(inputs, 3)?.vector()?;
    let shape = input.shape();
    let d = dense_spec(shape.len(), &begin, &end, &strides, &Masks::of(node)?)?;
    let mut starts = Vec::new();
    let mut sizes = Vec::new();
    for (i, &dim) in shape.iter().enumerate() {
        let (b, _, size) = canonical(&d, i, dim)?;
        starts.push(b);
        sizes.push(size);
    }
    let final_shape: Vec<i64> = d
        .gather
        .iter()
        .filter_map(|g| match g {
            Gather::Dim(j) => sizes.get(*j).copied(),
            Gather::NewAxis => Some(1),
            Gather::Shrink => None,
        })
        .collect();
    let indices = source_indices(shape, &starts, &sizes, &d.strides)?;
    Value::new(final_shape, input.elements().pick(&indices)?)
}

/// The flat index in the input of each element taken, in row-major order.
fn source_indices(
    shape: &[i64],
    starts: &[i64],
    sizes: &[i64],
    strides: &[i64],
) -> Option<Vec<usize>> {
    let count = element_count(sizes)?;
    // The input's row-major strides.
    let mut step = vec![1i64; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        *step.get_mut(i)? = step.get(i + 1)?.checked_mul(*shape.get(i + 1)?)?;
    }
    let mut out = Vec::with_capacity(count);
    let mut at = vec![0i64; shape.len()];
    for _ in 0..count {
        let mut flat = 0i64;
        for i in 0..shape.len() {
            let coordinate = starts.get(i)? + at.get(i)? * strides.get(i)?;
            flat += coordinate * step.get(i)?;
        }
        out.push(usize::try_from(flat).ok()?);
        // Advance the multi-index, last dimension fastest.
        for i in (0..shape.len()).rev() {
            let a = at.get_mut(i)?;
            *a += 1;
            if *a < *sizes.get(i)? {
                break;
            }
            *a = 0;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::value::tests::ints;
    use super::*;
    use crate::graph::test_graph::{node, with_attr};
    use crate::proto::attr_value;

    fn slice(x: &Value, b: &[i32], e: &[i32], s: &[i32], masks: [i64; 5]) -> Option<Value> {
        let mut n = node("s", "StridedSlice", &[]);
        let names = [
            "begin_mask",
            "end_mask",
            "ellipsis_mask",
            "new_axis_mask",
            "shrink_axis_mask",
        ];
        for (name, m) in names.iter().zip(masks) {
            n = with_attr(n, name, attr_value::Value::I(m));
        }
        let len = b.len() as i64;
        let (b, e, s) = (ints(&[len], b), ints(&[len], e), ints(&[len], s));
        strided_slice(
            &n,
            &[
                Operand::Value(x),
                Operand::Value(&b),
                Operand::Value(&e),
                Operand::Value(&s),
            ],
        )
    }

    fn grid() -> Value {
        ints(&[3, 4], &(0..12).collect::<Vec<_>>())
    }

    #[test]
    fn shrink_takes_one_index_and_drops_the_dimension() {
        // x[0], as tf.shape(x)[0] is written.
        let v = ints(&[2], &[7, 5]);
        let got = slice(&v, &[0], &[1], &[1], [0, 0, 0, 0, 1]).unwrap();
        assert_eq!(got, ints(&[], &[7]));
        // x[-1]: begin -1, end 0.
        let got = slice(&v, &[-1], &[0], &[1], [0, 0, 0, 0, 1]).unwrap();
        assert_eq!(got, ints(&[], &[5]));
        assert!(slice(&v, &[2], &[3], &[1], [0, 0, 0, 0, 1]).is_none());
    }

    #[test]
    fn ranges_clamp_and_masks_take_the_whole_dimension() {
        // x[1:, ::2]
        let got = slice(&grid(), &[1, 0], &[0, 0], &[1, 2], [0b10, 0b11, 0, 0, 0]).unwrap();
        assert_eq!(got, ints(&[2, 2], &[4, 6, 8, 10]));
        // x[5:9] is empty, x[-10:2] clamps to x[0:2].
        let got = slice(&grid(), &[5], &[9], &[1], [0; 5]).unwrap();
        assert_eq!(got.shape(), &[0, 4]);
        let got = slice(&grid(), &[-10], &[2], &[1], [0; 5]).unwrap();
        assert_eq!(got.shape(), &[2, 4]);
    }

    #[test]
    fn negative_strides_run_backwards_from_the_end() {
        // x[::-1, -1]
        let got = slice(
            &grid(),
            &[0, -1],
            &[0, 0],
            &[-1, 1],
            [0b01, 0b01, 0, 0, 0b10],
        )
        .unwrap();
        assert_eq!(got, ints(&[3], &[11, 7, 3]));
        // x[2:0:-1, 3]
        let got = slice(&grid(), &[2, 3], &[0, 0], &[-1, 1], [0, 0, 0, 0, 0b10]).unwrap();
        assert_eq!(got, ints(&[2], &[11, 7]));
    }

    #[test]
    fn ellipsis_and_new_axes_place_dimensions() {
        // x[..., 1]
        let got = slice(&grid(), &[0, 1], &[0, 2], &[1, 1], [0, 0, 0b01, 0, 0b10]).unwrap();
        assert_eq!(got, ints(&[3], &[1, 5, 9]));
        // x[tf.newaxis, ..., tf.newaxis]
        let got = slice(
            &grid(),
            &[0, 0, 0],
            &[0, 0, 0],
            &[1, 1, 1],
            [0, 0, 0b010, 0b101, 0],
        )
        .unwrap();
        assert_eq!(got.shape(), &[1, 3, 4, 1]);
        // x[:, tf.newaxis, 2]
        let got = slice(
            &grid(),
            &[0, 0, 2],
            &[0, 0, 3],
            &[1, 1, 1],
            [0b001, 0b001, 0, 0b010, 0b100],
        )
        .unwrap();
        assert_eq!(got, ints(&[3, 1], &[2, 6, 10]));
        // Two ellipses, a zero stride and too many indices are refused.
        assert!(slice(&grid(), &[0, 0], &[0, 0], &[1, 1], [0, 0, 0b11, 0, 0]).is_none());
        assert!(slice(&grid(), &[0], &[1], &[0], [0; 5]).is_none());
        assert!(slice(&grid(), &[0, 0, 0], &[1, 1, 1], &[1, 1, 1], [0; 5]).is_none());
    }
}
