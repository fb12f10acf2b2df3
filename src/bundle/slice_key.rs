//! Keys of tensor slices: `EncodeTensorNameSlice` (tensorflow/core/util/
//! saved_tensor_slice_util.cc) over the `OrderedCode` primitives
//! (tensorflow/core/lib/strings/ordered_code.cc), and their display.
//!
//! A slice key is `NumIncreasing(0) ‖ String(name) ‖ NumIncreasing(rank) ‖
//! (SignedNumIncreasing(start) ‖ SignedNumIncreasing(length))` per dimension,
//! where a full dimension is start 0, length -1 (`kFullExtent`).

use std::fmt::Write;

use crate::proto::tensor_slice_proto::extent::HasLength;
use crate::proto::TensorSliceProto;

/// `TensorSlice::kFullExtent`: the length stored for a whole dimension.
pub const FULL_EXTENT: i64 = -1;

/// The header bits `WriteSignedNumIncreasing` XORs into the first two bytes of
/// an encoding of each length (`kLengthToHeaderBits` in ordered_code.cc).
const HEADER_BITS: [[u8; 2]; 11] = [
    [0, 0],
    [0x80, 0],
    [0xC0, 0],
    [0xE0, 0],
    [0xF0, 0],
    [0xF8, 0],
    [0xFC, 0],
    [0xFE, 0],
    [0xFF, 0],
    [0xFF, 0x80],
    [0xFF, 0xC0],
];

/// The table key of the slice `extents` (one `(start, length)` per
/// dimension, length [`FULL_EXTENT`] for a whole one) of tensor `name`.
pub fn slice_key(name: &str, extents: &[(i64, i64)]) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 4 + 4 * extents.len());
    write_num_increasing(&mut key, 0);
    write_string(&mut key, name.as_bytes());
    write_num_increasing(&mut key, extents.len() as u64);
    for &(start, length) in extents {
        write_signed_num_increasing(&mut key, start);
        write_signed_num_increasing(&mut key, length);
    }
    key
}

/// The `(start, length)` pairs of a `TensorSliceProto`, as [`slice_key`] takes
/// them: an extent without a length covers its whole dimension.
pub fn slice_extents(slice: &TensorSliceProto) -> Vec<(i64, i64)> {
    slice
        .extent
        .iter()
        .map(|e| match e.has_length {
            Some(HasLength::Length(length)) => (e.start, length),
            None => (0, FULL_EXTENT),
        })
        .collect()
}

/// A decoded slice key: the tensor name and its extents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceKey {
    /// The full tensor's name, as stored (normally UTF-8).
    pub name: Vec<u8>,
    /// `(start, length)` per dimension; length [`FULL_EXTENT`] for a whole one.
    pub extents: Vec<(i64, i64)>,
}

/// Decodes a slice key; `None` if `key` is not exactly one, canonically encoded.
pub fn decode_slice_key(key: &[u8]) -> Option<SliceKey> {
    let mut input = key;
    if read_num_increasing(&mut input)? != 0 {
        return None;
    }
    let name = read_string(&mut input)?;
    let rank = read_num_increasing(&mut input)?;
    // Each dimension takes at least two bytes; refuse a rank the key cannot hold.
    if rank > input.len() as u64 / 2 {
        return None;
    }
    let mut extents = Vec::new();
    for _ in 0..rank {
        let start = read_signed_num_increasing(&mut input)?;
        let length = read_signed_num_increasing(&mut input)?;
        extents.push((start, length));
    }
    input.is_empty().then_some(SliceKey { name, extents })
}

/// True if `key` is a slice key rather than a tensor name.
pub fn is_slice_key(key: &[u8]) -> bool {
    key.first() == Some(&0) && decode_slice_key(key).is_some()
}

/// A key as a person reads it: slice keys as `name[0,3:-]` (TF's
/// `TensorSlice::DebugString`), printable names as they are, anything else
/// with its odd bytes escaped.
pub fn display_key(key: &[u8]) -> String {
    if key.is_empty() {
        return "\"\"".to_owned();
    }
    if let Some(SliceKey { name, extents }) = decode_slice_key(key) {
        let dims: Vec<String> = extents
            .iter()
            .map(|&(start, length)| {
                if length == FULL_EXTENT {
                    "-".to_owned()
                } else {
                    format!("{start},{length}")
                }
            })
            .collect();
        return format!("{}[{}]", escape(&name), dims.join(":"));
    }
    escape(key)
}

/// UTF-8 text with control characters escaped; other bytes as `\xNN`.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() || c == '\\' {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// `WriteNumIncreasing`: a length byte, then the big-endian significant bytes.
fn write_num_increasing(out: &mut Vec<u8>, value: u64) {
    let be = value.to_be_bytes();
    let skip = (value.leading_zeros() / 8) as usize;
    let digits = be.get(skip..).unwrap_or_default();
    out.push(digits.len() as u8);
    out.extend_from_slice(digits);
}

fn read_num_increasing(input: &mut &[u8]) -> Option<u64> {
    let (&len, rest) = input.split_first()?;
    let digits = rest.get(..usize::from(len)).filter(|d| d.len() <= 8)?;
    let value = digits.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
    // Only the canonical (shortest) form, so that a key has one meaning.
    let mut canonical = Vec::new();
    write_num_increasing(&mut canonical, value);
    *input = input.strip_prefix(canonical.as_slice())?;
    Some(value)
}

/// `WriteString`: `00` as `00 FF`, `FF` as `FF 00`, then the terminator `00 01`.
fn write_string(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        match b {
            0x00 => out.extend_from_slice(&[0x00, 0xFF]),
            0xFF => out.extend_from_slice(&[0xFF, 0x00]),
            _ => out.push(b),
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

fn read_string(input: &mut &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = *input;
    loop {
        let (&b, after) = rest.split_first()?;
        match b {
            0x00 | 0xFF => {
                let (&next, after) = after.split_first()?;
                match (b, next) {
                    (0x00, 0x01) => {
                        *input = after;
                        return Some(out);
                    }
                    (0x00, 0xFF) => out.push(0x00),
                    (0xFF, 0x00) => out.push(0xFF),
                    _ => return None,
                }
                rest = after;
            }
            _ => {
                out.push(b);
                rest = after;
            }
        }
    }
}

/// `WriteSignedNumIncreasing`: a self-delimiting, order-preserving encoding
/// of an i64 in 1 to 10 bytes.
fn write_signed_num_increasing(out: &mut Vec<u8>, value: i64) {
    // Non-negative magnitude: the value itself, or its complement if negative.
    let x = if value < 0 { !value } else { value } as u64;
    if x < 64 {
        out.push(0x80 ^ (value as u8));
        return;
    }
    let bits = 64 - x.leading_zeros() as usize;
    let len = (bits / 7 + 1).min(10);
    let sign = if value < 0 { 0xFF } else { 0x00 };
    // The value big-endian, sign-extended to 10 bytes; keep the last `len`.
    let mut buf = [sign; 10];
    for (slot, b) in buf.iter_mut().skip(2).zip(value.to_be_bytes()) {
        *slot = b;
    }
    let [h0, h1] = HEADER_BITS.get(len).copied().unwrap_or_default();
    let tail = buf.iter().skip(10 - len);
    for (i, &b) in tail.enumerate() {
        out.push(match i {
            0 => b ^ h0,
            1 => b ^ h1,
            _ => b,
        });
    }
}

fn read_signed_num_increasing(input: &mut &[u8]) -> Option<i64> {
    let &first = input.first()?;
    // Negative numbers are stored complemented; undo that to read the length.
    let flip = if first & 0x80 == 0 { 0xFF } else { 0x00 };
    let len = match first ^ flip {
        0xFF => {
            let second = input.get(1)? ^ flip;
            let third = input.get(2).map(|b| b ^ flip);
            match second {
                0x00..=0x7F => 8,
                0x80..=0xBF => 9,
                0xC0 if third.is_some_and(|t| t < 0x80) => 10,
                _ => return None,
            }
        }
        // The number of leading one bits is the length.
        head => (!head).leading_zeros() as usize,
    };
    let bytes = input.get(..len)?;
    // Sign-extend from the complement flag, then drop the header bits.
    let mut value = if flip == 0xFF { u64::MAX } else { 0 };
    for &b in bytes.iter().rev().take(8).rev() {
        value = (value << 8) | u64::from(b);
    }
    // The header bits that fall within the last 8 bytes (`kLengthToMask`).
    let [h0, h1] = *HEADER_BITS.get(len)?;
    let header = match len {
        10 => 0,
        9 => u64::from(h1) << 56,
        _ => u64::from(h0) << (8 * (len - 1)),
    };
    let value = (value ^ header) as i64;
    let mut canonical = Vec::new();
    write_signed_num_increasing(&mut canonical, value);
    *input = input.strip_prefix(canonical.as_slice())?;
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::tensor_slice_proto::Extent;

    fn signed(value: i64) -> Vec<u8> {
        let mut out = Vec::new();
        write_signed_num_increasing(&mut out, value);
        out
    }

    #[test]
    fn verified_keys_from_the_spec() {
        let key = slice_key("emb", &[(0, 3), (0, 2)]);
        assert_eq!(key, b"\x00emb\x00\x01\x01\x02\x80\x83\x80\x82");
        let key = slice_key("emb", &[(3, 2), (0, 2)]);
        assert_eq!(key, b"\x00emb\x00\x01\x01\x02\x83\x82\x80\x82");
        let key = slice_key("custom/a_name", &[(0, -1), (0, -1)]);
        assert_eq!(key, b"\x00custom/a_name\x00\x01\x01\x02\x80\x7F\x80\x7F");
        assert_eq!(slice_key("a", &[]), b"\x00a\x00\x01\x00");
    }

    #[test]
    fn ordered_code_primitives() {
        let mut out = Vec::new();
        for v in [0, 2, 300] {
            write_num_increasing(&mut out, v);
        }
        assert_eq!(out, [0x00, 0x01, 0x02, 0x02, 0x01, 0x2C]);
        assert_eq!(signed(0), [0x80]);
        assert_eq!(signed(3), [0x83]);
        assert_eq!(signed(-1), [0x7F]);
        assert_eq!(signed(63), [0xBF]);
        assert_eq!(signed(-64), [0x40]);
        assert_eq!(signed(64), [0xC0, 0x40]);
        assert_eq!(signed(10000), [0xE0, 0x27, 0x10]);
        let mut out = Vec::new();
        write_string(&mut out, b"a\x00b\xFF");
        assert_eq!(out, b"a\x00\xFFb\xFF\x00\x00\x01");
    }

    #[test]
    fn signed_numbers_round_trip_and_keep_order() {
        let mut values = vec![i64::MIN, i64::MAX, 0, -1, 1, 63, 64, -64, -65];
        for shift in 0..63 {
            let p = 1i64 << shift;
            values.extend([p, p - 1, p + 1, -p, -p - 1, -p + 1]);
        }
        values.sort_unstable();
        values.dedup();
        let encoded: Vec<Vec<u8>> = values.iter().map(|&v| signed(v)).collect();
        for (v, e) in values.iter().zip(&encoded) {
            assert!(e.len() <= 10, "{v}");
            let mut input = e.as_slice();
            assert_eq!(read_signed_num_increasing(&mut input), Some(*v), "{e:02x?}");
            assert!(input.is_empty());
        }
        assert!(
            encoded.windows(2).all(|w| w[0] < w[1]),
            "memcmp order is numeric order"
        );
        assert_eq!(signed(i64::MAX).len(), 10);
        assert_eq!(signed(i64::MIN).len(), 10);
    }

    #[test]
    fn decodes_and_displays_keys() {
        let key = slice_key("emb", &[(3, 2), (0, -1)]);
        let decoded = decode_slice_key(&key).unwrap();
        assert_eq!(decoded.name, b"emb");
        assert_eq!(decoded.extents, [(3, 2), (0, -1)]);
        assert!(is_slice_key(&key));
        assert_eq!(display_key(&key), "emb[3,2:-]");
        assert_eq!(display_key(&slice_key("a", &[])), "a[]");
        assert_eq!(display_key(b"dense/kernel"), "dense/kernel");
        assert_eq!(display_key(b""), "\"\"");
        assert_eq!(display_key(b"a\x00b\xFFc\n"), "a\\u{0}b\\xffc\\n");
        assert!(!is_slice_key(b"emb"));
        assert!(!is_slice_key(&key[..key.len() - 1]));
        let mut trailing = key.clone();
        trailing.push(0x80);
        assert!(!is_slice_key(&trailing));
        // A name with the escaped bytes survives the round trip.
        let key = slice_key("x\u{0}\u{ff}", &[(10000, 7)]);
        assert_eq!(
            decode_slice_key(&key).unwrap().name,
            "x\u{0}\u{ff}".as_bytes()
        );
    }

    #[test]
    fn extents_of_a_proto() {
        let slice = TensorSliceProto {
            extent: vec![
                Extent {
                    start: 3,
                    has_length: Some(HasLength::Length(2)),
                },
                Extent::default(),
            ],
        };
        assert_eq!(slice_extents(&slice), [(3, 2), (0, -1)]);
    }

    #[test]
    fn decoding_never_panics() {
        let mut key = slice_key("emb", &[(10000, -70000), (i64::MAX, i64::MIN)]);
        for i in 0..key.len() {
            for bit in 0..8 {
                key[i] ^= 1 << bit;
                let _ = display_key(&key);
                let _ = decode_slice_key(&key[..i]);
                key[i] ^= 1 << bit;
            }
        }
    }
}
