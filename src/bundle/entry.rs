//! Checks on each `BundleEntryProto`, mirroring what `BundleReader` verifies
//! before it trusts an entry (tensorflow/core/util/tensor_bundle/tensor_bundle.cc
//! `GetBundleEntryProto`, `GetValue`, `GetSliceValue`).

use super::block::quoted;
use super::slice_key::{slice_extents, FULL_EXTENT};
use crate::error::{Error, Result};
use crate::proto::{BundleEntryProto, DataType, TensorShapeProto};

/// `kDataTypeRefOffset` (types.proto): reference types are the base type + 100.
const REF_OFFSET: i32 = 100;

/// Bytes per element of the dtypes stored by plain copy (`DataTypeCanUseMemcpy`,
/// tensorflow/core/framework/types.h); `None` for string, resource, variant,
/// invalid and unknown dtypes. TF 2.x also copies the float8 and 4/2-bit
/// integer types, one byte per element; float4_e2m1fn is not in its memcpy set.
pub fn element_size(dtype: i32) -> Option<u64> {
    use DataType as D;
    let size = match DataType::try_from(dtype).ok()? {
        D::DtBool | D::DtInt8 | D::DtUint8 | D::DtQint8 | D::DtQuint8 => 1,
        D::DtFloat8E5m2
        | D::DtFloat8E4m3fn
        | D::DtFloat8E4m3fnuz
        | D::DtFloat8E4m3b11fnuz
        | D::DtFloat8E5m2fnuz
        | D::DtInt4
        | D::DtUint4
        | D::DtInt2
        | D::DtUint2 => 1,
        D::DtInt16 | D::DtUint16 | D::DtQint16 | D::DtQuint16 | D::DtHalf | D::DtBfloat16 => 2,
        D::DtInt32 | D::DtUint32 | D::DtQint32 | D::DtFloat => 4,
        D::DtInt64 | D::DtUint64 | D::DtDouble | D::DtComplex64 => 8,
        D::DtComplex128 => 16,
        _ => return None,
    };
    Some(size)
}

/// The number of elements of a fully known shape; `None` for an unknown
/// rank, a negative (unknown) dimension or a count beyond `u64`.
pub fn num_elements(shape: &TensorShapeProto) -> Option<u64> {
    if shape.unknown_rank {
        return None;
    }
    shape
        .dim
        .iter()
        .try_fold(1u64, |n, dim| n.checked_mul(u64::try_from(dim.size).ok()?))
}

/// A name for a dtype in messages: `DT_FLOAT`, or the number if unknown.
pub fn dtype_name(dtype: i32) -> String {
    DataType::try_from(dtype)
        .map(|d| d.as_str_name().to_owned())
        .unwrap_or_else(|_| format!("dtype {dtype}"))
}

/// Checks one entry of `file` under `key`; `num_shards` comes from the header.
pub(crate) fn validate(
    file: &str,
    key: &[u8],
    entry: &BundleEntryProto,
    num_shards: i32,
) -> Result<()> {
    let bad = |detail: String| Error::corrupt(file, format!("entry {}: {detail}", quoted(key)));
    // A real TF writer never stores DT_INVALID or a reference type.
    if entry.dtype <= 0 || (entry.dtype > REF_OFFSET && entry.dtype <= 2 * REF_OFFSET) {
        return Err(bad(format!("invalid dtype {}", dtype_name(entry.dtype))));
    }
    // A missing shape is the default (scalar) shape, as in TF's C++ reader.
    let shape = entry.shape.clone().unwrap_or_default();
    let elements = num_elements(&shape)
        .ok_or_else(|| bad(format!("invalid tensor shape {}", shape_text(&shape))))?;
    if !entry.slices.is_empty() {
        // A partitioned tensor's entry holds no data of its own.
        return validate_slices(entry, &shape).map_err(bad);
    }
    if entry.shard_id < 0 || entry.shard_id >= num_shards {
        return Err(bad(format!(
            "shard {} is outside the {num_shards} shards the header declares",
            entry.shard_id
        )));
    }
    let (offset, size) = (entry.offset, entry.size);
    if offset < 0 || size < 0 || offset.checked_add(size).is_none() {
        return Err(bad(format!(
            "invalid data range: offset {offset}, size {size}"
        )));
    }
    let size = size.unsigned_abs();
    if let Some(element) = element_size(entry.dtype) {
        let expected = elements
            .checked_mul(element)
            .ok_or_else(|| bad(format!("{elements} elements of {element} bytes overflow")))?;
        if size != expected {
            return Err(bad(format!(
                "stored size {size} bytes, expected {expected} ({elements} elements of {} × {element} bytes)",
                dtype_name(entry.dtype)
            )));
        }
    } else if entry.dtype == DataType::DtString as i32 && elements > 0 {
        // At least a one-byte length per element and the 4-byte length checksum.
        let least = elements.saturating_add(4);
        if size < least {
            return Err(bad(format!(
                "stored size {size} bytes is too small for {elements} strings (at least {least})"
            )));
        }
    }
    Ok(())
}

/// Each slice must have one extent per dimension and lie inside the shape
/// (TF's `TensorSlice::SliceTensorShape`).
fn validate_slices(entry: &BundleEntryProto, shape: &TensorShapeProto) -> Result<(), String> {
    for (i, slice) in entry.slices.iter().enumerate() {
        let extents = slice_extents(slice);
        if extents.len() != shape.dim.len() {
            return Err(format!(
                "slice {i} has {} dimensions, the tensor has {}",
                extents.len(),
                shape.dim.len()
            ));
        }
        for (d, (&(start, length), dim)) in extents.iter().zip(&shape.dim).enumerate() {
            if length == FULL_EXTENT {
                continue;
            }
            let end = start.checked_add(length);
            if start < 0 || length < 0 || !matches!(end, Some(end) if end <= dim.size) {
                return Err(format!(
                    "slice {i} extent {start},{length} of dimension {d} is outside its size {}",
                    dim.size
                ));
            }
        }
    }
    Ok(())
}

/// A shape as `[3,2]`, `[?,2]` or `<unknown rank>`.
pub fn shape_text(shape: &TensorShapeProto) -> String {
    if shape.unknown_rank {
        return "<unknown rank>".to_owned();
    }
    let dims: Vec<String> = shape
        .dim
        .iter()
        .map(|d| {
            if d.size < 0 {
                "?".to_owned()
            } else {
                d.size.to_string()
            }
        })
        .collect();
    format!("[{}]", dims.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::tensor_shape_proto::Dim;
    use crate::proto::tensor_slice_proto::{extent::HasLength, Extent};
    use crate::proto::TensorSliceProto;

    pub(crate) fn shape(dims: &[i64]) -> TensorShapeProto {
        TensorShapeProto {
            dim: dims
                .iter()
                .map(|&size| Dim {
                    size,
                    name: String::new(),
                })
                .collect(),
            unknown_rank: false,
        }
    }

    fn entry(dtype: DataType, dims: &[i64], size: i64) -> BundleEntryProto {
        BundleEntryProto {
            dtype: dtype as i32,
            shape: Some(shape(dims)),
            size,
            ..Default::default()
        }
    }

    fn check(entry: &BundleEntryProto) -> Result<(), String> {
        validate("m.index", b"w", entry, 2).map_err(|e| e.to_string())
    }

    #[test]
    fn element_sizes() {
        assert_eq!(element_size(DataType::DtFloat as i32), Some(4));
        assert_eq!(element_size(DataType::DtComplex128 as i32), Some(16));
        assert_eq!(element_size(DataType::DtBfloat16 as i32), Some(2));
        assert_eq!(element_size(DataType::DtFloat8E4m3fn as i32), Some(1));
        assert_eq!(element_size(DataType::DtString as i32), None);
        assert_eq!(element_size(DataType::DtResource as i32), None);
        assert_eq!(element_size(DataType::DtVariant as i32), None);
        assert_eq!(element_size(DataType::DtFloatRef as i32), None);
        assert_eq!(element_size(0), None);
        assert_eq!(element_size(9999), None);
    }

    #[test]
    fn element_counts() {
        assert_eq!(num_elements(&shape(&[])), Some(1));
        assert_eq!(num_elements(&shape(&[5, 2])), Some(10));
        assert_eq!(num_elements(&shape(&[0, 7])), Some(0));
        assert_eq!(num_elements(&shape(&[-1, 2])), None);
        assert_eq!(num_elements(&shape(&[1 << 40, 1 << 40])), None);
        let unknown = TensorShapeProto {
            unknown_rank: true,
            ..Default::default()
        };
        assert_eq!(num_elements(&unknown), None);
    }

    #[test]
    fn accepts_good_entries() {
        assert_eq!(check(&entry(DataType::DtFloat, &[3, 2], 24)), Ok(()));
        assert_eq!(check(&entry(DataType::DtString, &[3], 140)), Ok(()));
        assert_eq!(check(&entry(DataType::DtString, &[0], 0)), Ok(()));
        assert_eq!(check(&entry(DataType::DtVariant, &[], 77)), Ok(()));
        let mut scalar = entry(DataType::DtInt64, &[], 8);
        scalar.shape = None;
        scalar.shard_id = 1;
        assert_eq!(check(&scalar), Ok(()));
    }

    #[test]
    fn rejects_bad_entries() {
        let text = check(&entry(DataType::DtFloat, &[3, 2], 20)).unwrap_err();
        assert_eq!(
            text,
            "m.index: entry 'w': stored size 20 bytes, expected 24 (6 elements of DT_FLOAT × 4 bytes)"
        );
        let text = check(&entry(DataType::DtInvalid, &[], 0)).unwrap_err();
        assert!(text.contains("invalid dtype DT_INVALID"), "{text}");
        let text = check(&entry(DataType::DtFloatRef, &[], 4)).unwrap_err();
        assert!(text.contains("DT_FLOAT_REF"), "{text}");
        let text = check(&entry(DataType::DtFloat, &[-1, 2], 8)).unwrap_err();
        assert!(text.contains("invalid tensor shape [?,2]"), "{text}");
        let text = check(&entry(DataType::DtString, &[3], 6)).unwrap_err();
        assert!(text.contains("too small for 3 strings"), "{text}");
        let text = check(&entry(DataType::DtDouble, &[1 << 31, 1 << 31], 0)).unwrap_err();
        assert!(text.contains("overflow"), "{text}");
        let mut far = entry(DataType::DtFloat, &[1], 4);
        far.shard_id = 2;
        assert!(check(&far)
            .unwrap_err()
            .contains("shard 2 is outside the 2 shards"));
        far.shard_id = 0;
        far.offset = i64::MAX;
        assert!(check(&far).unwrap_err().contains("invalid data range"));
        far.offset = -4;
        assert!(check(&far).unwrap_err().contains("invalid data range"));
    }

    #[test]
    fn checks_slices_instead_of_data() {
        let slice = |start, length| TensorSliceProto {
            extent: vec![
                Extent {
                    start,
                    has_length: Some(HasLength::Length(length)),
                },
                Extent::default(),
            ],
        };
        let mut emb = entry(DataType::DtFloat, &[5, 2], 0);
        emb.shard_id = 99;
        emb.slices = vec![slice(0, 3), slice(3, 2)];
        assert_eq!(check(&emb), Ok(()));
        emb.slices.push(slice(4, 2));
        let text = check(&emb).unwrap_err();
        assert!(text.contains("slice 2 extent 4,2 of dimension 0"), "{text}");
        emb.slices = vec![TensorSliceProto::default()];
        assert!(check(&emb)
            .unwrap_err()
            .contains("slice 0 has 0 dimensions"));
    }
}
