//! Fixed-width little-endian integers and base-128 varints, the primitives of
//! the table format (tensorflow/core/lib/core/coding.cc, now tsl/platform/coding.cc).
//!
//! Each reader takes its value off the front of `input` and returns `None`
//! when the bytes run out or the varint is malformed; callers add context.

/// A fixed32, little-endian.
pub(crate) fn get_fixed32(input: &mut &[u8]) -> Option<u32> {
    let (head, rest) = input.split_first_chunk::<4>()?;
    *input = rest;
    Some(u32::from_le_bytes(*head))
}

/// A varint32: at most 5 bytes, and the value must fit in 32 bits.
pub(crate) fn get_varint32(input: &mut &[u8]) -> Option<u32> {
    let mut probe = *input;
    let value = get_varint(&mut probe, 5)?;
    let value = u32::try_from(value).ok()?;
    *input = probe;
    Some(value)
}

/// A varint64: at most 10 bytes, and the value must fit in 64 bits.
pub(crate) fn get_varint64(input: &mut &[u8]) -> Option<u64> {
    get_varint(input, 10)
}

/// A varint32 as a `usize` (lossless on the 32- and 64-bit targets we build for).
pub(crate) fn get_varint32_len(input: &mut &[u8]) -> Option<usize> {
    get_varint32(input).and_then(|v| usize::try_from(v).ok())
}

fn get_varint(input: &mut &[u8], max_len: usize) -> Option<u64> {
    let mut value: u64 = 0;
    for (i, &byte) in input.iter().enumerate().take(max_len) {
        let shift = 7 * u32::try_from(i).ok()?;
        let payload = u64::from(byte & 0x7F);
        // Refuse bits that would fall off the top of a u64 instead of dropping them.
        if shift == 63 && payload > 1 {
            return None;
        }
        value |= payload << shift;
        if byte & 0x80 == 0 {
            *input = input.get(i + 1..)?;
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fixed32() {
        let mut input: &[u8] = &[0x57, 0xFB, 0x80, 0x8B, 9];
        assert_eq!(get_fixed32(&mut input), Some(0x8B80_FB57));
        assert_eq!(input, &[9]);
        assert_eq!(get_fixed32(&mut input), None);
    }

    #[test]
    fn reads_varints() {
        let mut input: &[u8] = &[0x00, 0xE9, 0x01, 0x82, 0x01, 7];
        assert_eq!(get_varint64(&mut input), Some(0));
        assert_eq!(get_varint64(&mut input), Some(233));
        assert_eq!(get_varint32(&mut input), Some(130));
        assert_eq!(input, &[7]);
    }

    #[test]
    fn varint_limits() {
        let max64 = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        assert_eq!(get_varint64(&mut &max64[..]), Some(u64::MAX));
        let over64 = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02];
        assert_eq!(get_varint64(&mut &over64[..]), None);
        let eleven = [0x80; 11];
        assert_eq!(get_varint64(&mut &eleven[..]), None);
        let max32 = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
        assert_eq!(get_varint32(&mut &max32[..]), Some(u32::MAX));
        let over32 = [0xFF, 0xFF, 0xFF, 0xFF, 0x1F];
        let mut input = &over32[..];
        assert_eq!(get_varint32(&mut input), None);
        assert_eq!(input.len(), 5, "a failed read consumes nothing");
        assert_eq!(get_varint64(&mut &[0x80][..]), None);
        assert_eq!(get_varint64(&mut &[][..]), None);
    }
}
