//! Boxes of a tensor (one `(start, length)` per dimension) and copying
//! between them, as `TensorSlice` and `CopyDataFromTensorSliceToTensorSlice`
//! do (tensorflow/core/framework/tensor_slice.cc, util/tensor_slice_util.h).

use super::slice_key::FULL_EXTENT;

/// `(start, length)` per dimension, all concrete.
pub(crate) type Region = Vec<(u64, u64)>;

/// `(start, length)` as a concrete range inside `0..dim`; length -1 is the
/// whole dimension and then requires start 0.
pub(crate) fn extent_region((start, length): (i64, i64), dim: u64) -> Option<(u64, u64)> {
    let start = u64::try_from(start).ok()?;
    if length == FULL_EXTENT {
        return (start == 0).then_some((0, dim));
    }
    let length = u64::try_from(length).ok()?;
    (start.checked_add(length)? <= dim).then_some((start, length))
}

/// A box as the key extents of its slice (for messages).
pub(crate) fn region_key(region: &[(u64, u64)]) -> Vec<(i64, i64)> {
    region
        .iter()
        .map(|&(s, l)| {
            (
                i64::try_from(s).unwrap_or(i64::MAX),
                i64::try_from(l).unwrap_or(i64::MAX),
            )
        })
        .collect()
}

pub(crate) fn region_elements(region: &[(u64, u64)]) -> Option<u64> {
    region
        .iter()
        .try_fold(1u64, |n, &(_, len)| n.checked_mul(len))
}

/// The common box of two boxes of the same rank, if it holds any element.
pub(crate) fn intersect(a: &[(u64, u64)], b: &[(u64, u64)]) -> Option<Region> {
    if a.len() != b.len() {
        return None;
    }
    a.iter()
        .zip(b)
        .map(|(&(sa, la), &(sb, lb))| {
            let start = sa.max(sb);
            let end = sa.saturating_add(la).min(sb.saturating_add(lb));
            (end > start).then(|| (start, end - start))
        })
        .collect()
}

/// Copies the box `common` from `src` (laid out as `src_box`) to `dst` (laid
/// out as `dst_box`), `width` items per element, one contiguous run of the
/// last dimension at a time; `None` if an offset falls outside a buffer.
pub(crate) fn copy_region<T: Clone>(
    src: &[T],
    src_box: &[(u64, u64)],
    dst: &mut [T],
    dst_box: &[(u64, u64)],
    common: &[(u64, u64)],
    width: usize,
) -> Option<()> {
    let src_strides = strides(src_box)?;
    let dst_strides = strides(dst_box)?;
    let run = usize::try_from(common.last().map_or(1, |&(_, len)| len))
        .ok()?
        .checked_mul(width)?;
    let outer = common.len().saturating_sub(1);
    let mut index: Vec<u64> = common.iter().take(outer).map(|&(start, _)| start).collect();
    loop {
        let offset = |layout: &[(u64, u64)], strides: &[u64]| -> Option<usize> {
            let mut at = 0u64;
            for (d, &(start, _)) in common.iter().enumerate() {
                let i = if d < outer { *index.get(d)? } else { start };
                let rel = i.checked_sub(layout.get(d)?.0)?;
                at = at.checked_add(rel.checked_mul(*strides.get(d)?)?)?;
            }
            usize::try_from(at).ok()?.checked_mul(width)
        };
        let from = offset(src_box, &src_strides)?;
        let to = offset(dst_box, &dst_strides)?;
        dst.get_mut(to..to.checked_add(run)?)?
            .clone_from_slice(src.get(from..from.checked_add(run)?)?);
        // Odometer over the outer dimensions, last one fastest.
        let mut d = outer;
        loop {
            if d == 0 {
                return Some(());
            }
            d -= 1;
            let (start, len) = *common.get(d)?;
            let i = index.get_mut(d)?;
            *i = i.checked_add(1)?;
            if *i < start.checked_add(len)? {
                break;
            }
            *i = start;
        }
    }
}

/// Row-major strides of a box, in elements.
fn strides(region: &[(u64, u64)]) -> Option<Vec<u64>> {
    let mut strides = vec![1u64; region.len()];
    let mut step = 1u64;
    for (stride, &(_, len)) in strides.iter_mut().zip(region).rev() {
        *stride = step;
        step = step.checked_mul(len)?;
    }
    Some(strides)
}
