//! CRC32C and TF's masking of stored CRCs (tsl/lib/hash/crc32c.h).
//!
//! Every CRC the table and the bundle store is masked, because "it is
//! problematic to compute the CRC of a string that contains embedded CRCs"
//! (crc32c.h); `unmask` undoes that before comparing.

/// `kMaskDelta` in crc32c.h.
const MASK_DELTA: u32 = 0xA282_EAD8;

/// The CRC32C (Castagnoli) of `data`: TF's `crc32c::Value`.
pub fn value(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// Continues `crc` over `data`, so `extend(value(a), b) == value(a ‖ b)`: TF's `crc32c::Extend`.
pub fn extend(crc: u32, data: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, data)
}

/// The stored form of a CRC: rotate right by 15 bits, then add the delta.
pub fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// The inverse of [`mask`].
pub fn unmask(masked: u32) -> u32 {
    masked.wrapping_sub(MASK_DELTA).rotate_left(15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_test_vectors() {
        assert_eq!(value(b"123456789"), 0xE306_9283);
        assert_eq!(value(b""), 0);
    }

    #[test]
    fn extend_continues_a_crc() {
        assert_eq!(extend(value(b"1234"), b"56789"), value(b"123456789"));
        assert_eq!(extend(0, b"123456789"), value(b"123456789"));
    }

    #[test]
    fn mask_matches_tf() {
        assert_eq!(mask(0), 0xA282_EAD8);
        // The empty metaindex block's trailer CRC from the spec's worked example
        // (spec §3.3.5): 8 block bytes plus the type byte 0.
        let block = [0, 0, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(mask(value(&block)), 0xB0A1_F2C0);
    }

    #[test]
    fn unmask_inverts_mask() {
        for x in [0, 1, 0xFFFF_FFFF, 0x8000_0000, 0xE306_9283, 0x1234_5678] {
            assert_eq!(unmask(mask(x)), x);
            assert_eq!(mask(unmask(x)), x);
        }
    }
}
