//! A stored slice's values: the typed field of its TensorProto as
//! little-endian element bytes (tensorflow/core/util/saved_tensor_slice_util.h).

use crate::proto::{DataType, TensorProto};

/// Values of one slice: little-endian element bytes, or strings.
#[derive(Debug)]
pub(super) enum Loaded {
    Raw(Vec<u8>),
    Strings(Vec<Vec<u8>>),
}

/// Bytes per element of the dtypes V1 stores (`SaveTypeTraits`,
/// saved_tensor_slice_util.h); `None` for string and the unsupported rest.
pub(super) fn v1_element_size(dtype: i32) -> Option<usize> {
    use DataType as D;
    Some(match DataType::try_from(dtype).ok()? {
        D::DtBool | D::DtInt8 | D::DtUint8 | D::DtQint8 | D::DtQuint8 => 1,
        D::DtInt16 | D::DtUint16 | D::DtQuint16 | D::DtHalf => 2,
        D::DtFloat | D::DtInt32 | D::DtUint32 | D::DtQint32 => 4,
        D::DtDouble | D::DtInt64 | D::DtUint64 | D::DtComplex64 => 8,
        D::DtComplex128 => 16,
        _ => return None,
    })
}

fn le_bytes<T: Copy, const N: usize>(
    values: &[T],
    to_bytes: impl Fn(T) -> [u8; N],
) -> (usize, Loaded) {
    let bytes = values.iter().flat_map(|&v| to_bytes(v)).collect();
    (values.len(), Loaded::Raw(bytes))
}

/// The element count and values of a slice's TensorProto, read from the
/// field `TensorProtoData<T>` reads for the dtype (saved_tensor_slice_util.h).
/// Narrow integers come from `int_val` truncated, as the C++ cast does; half
/// from the low 16 bits of `half_val`; complex from value pairs.
pub(super) fn stored_values(dtype: i32, data: TensorProto) -> Option<(usize, Loaded)> {
    use DataType as D;
    Some(match DataType::try_from(dtype).ok()? {
        D::DtFloat => le_bytes(&data.float_val, f32::to_le_bytes),
        D::DtDouble => le_bytes(&data.double_val, f64::to_le_bytes),
        D::DtInt32 | D::DtQint32 => le_bytes(&data.int_val, i32::to_le_bytes),
        D::DtInt16 | D::DtUint16 | D::DtQuint16 => {
            le_bytes(&data.int_val, |v| (v as u16).to_le_bytes())
        }
        D::DtInt8 | D::DtUint8 | D::DtQint8 | D::DtQuint8 => le_bytes(&data.int_val, |v| [v as u8]),
        D::DtHalf => le_bytes(&data.half_val, |v| (v as u16).to_le_bytes()),
        D::DtUint32 => le_bytes(&data.uint32_val, u32::to_le_bytes),
        D::DtInt64 => le_bytes(&data.int64_val, i64::to_le_bytes),
        D::DtUint64 => le_bytes(&data.uint64_val, u64::to_le_bytes),
        D::DtBool => le_bytes(&data.bool_val, |v| [u8::from(v)]),
        // TensorProtoDataSize counts pairs; an odd last value is ignored.
        D::DtComplex64 => complex(&data.scomplex_val, f32::to_le_bytes),
        D::DtComplex128 => complex(&data.dcomplex_val, f64::to_le_bytes),
        D::DtString => (data.string_val.len(), Loaded::Strings(data.string_val)),
        _ => return None,
    })
}

fn complex<T: Copy, const N: usize>(
    values: &[T],
    to_bytes: impl Fn(T) -> [u8; N],
) -> (usize, Loaded) {
    let pairs = values.len() / 2;
    let (_, loaded) = le_bytes(values.get(..pairs * 2).unwrap_or_default(), to_bytes);
    (pairs, loaded)
}
