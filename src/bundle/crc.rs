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
    // WebAssembly has no CRC instruction: the crate falls back to 8 tables
    // there, and 16 tables halve the loop overhead per byte.
    #[cfg(target_arch = "wasm32")]
    return sliced::extend(crc, data);
    #[cfg(not(target_arch = "wasm32"))]
    crc32c::crc32c_append(crc, data)
}

/// The CRC of `a ‖ b` from `crc_a = value(a)`, `crc_b = value(b)` and `b`'s
/// length, so pieces of one tensor can be checksummed apart (zlib's `crc32_combine`).
pub fn combine(crc_a: u32, crc_b: u32, len_b: usize) -> u32 {
    crc32c::crc32c_combine(crc_a, crc_b, len_b)
}

/// Slicing-by-16 (Intel's "slicing-by-8" with twice the tables): 16 bytes
/// per step, each through its own 256-entry table.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod sliced {
    /// CRC-32C's polynomial, bit-reversed.
    const POLY: u32 = 0x82F6_3B78;

    // Evaluated while compiling (`static T`): an index out of range would stop
    // the build, never a run; `get` is not available in a const fn loop.
    #[allow(clippy::indexing_slicing)]
    const fn tables() -> [[u32; 256]; 16] {
        let mut t = [[0u32; 256]; 16];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
                k += 1;
            }
            t[0][n] = c;
            n += 1;
        }
        let mut n = 0;
        while n < 256 {
            let mut c = t[0][n];
            let mut k = 1;
            while k < 16 {
                c = t[0][(c & 0xFF) as usize] ^ (c >> 8);
                t[k][n] = c;
                k += 1;
            }
            n += 1;
        }
        t
    }

    static T: [[u32; 256]; 16] = tables();

    /// Entry `b` of table `k`; a byte never lies outside a 256-entry table.
    #[inline(always)]
    fn at(k: usize, b: u8) -> u32 {
        // Always in range (k < 16, a byte < 256): the checks fold away.
        T.get(k)
            .and_then(|t| t.get(usize::from(b)))
            .copied()
            .unwrap_or(0)
    }

    /// One 16-byte step of `crc` (not inverted) over `b`.
    #[inline(always)]
    fn step(crc: u32, b: &[u8; 16]) -> u32 {
        let [c0, c1, c2, c3] = crc.to_le_bytes();
        at(15, b[0] ^ c0)
            ^ at(14, b[1] ^ c1)
            ^ at(13, b[2] ^ c2)
            ^ at(12, b[3] ^ c3)
            ^ at(11, b[4])
            ^ at(10, b[5])
            ^ at(9, b[6])
            ^ at(8, b[7])
            ^ at(7, b[8])
            ^ at(6, b[9])
            ^ at(5, b[10])
            ^ at(4, b[11])
            ^ at(3, b[12])
            ^ at(2, b[13])
            ^ at(1, b[14])
            ^ at(0, b[15])
    }

    /// `crc` (not inverted) over `data`, 16 bytes a step.
    fn run(mut crc: u32, data: &[u8]) -> u32 {
        let blocks = data.chunks_exact(16);
        let tail = blocks.remainder();
        for block in blocks {
            let Ok(b) = <&[u8; 16]>::try_from(block) else {
                break;
            };
            crc = step(crc, b);
        }
        for &byte in tail {
            crc = at(0, (crc as u8) ^ byte) ^ (crc >> 8);
        }
        crc
    }

    /// Below this, one lane: combining three costs more than it saves.
    const LANES_FROM: usize = 3 * 4096;

    pub fn extend(crc: u32, data: &[u8]) -> u32 {
        if data.len() < LANES_FROM {
            return !run(!crc, data);
        }
        // Three lanes in one loop: each step waits on its own lane's last
        // one only, so the CPU works on three at once; then they are combined.
        let lane = data.len() / 3 / 16 * 16;
        let (a, rest) = data.split_at(lane);
        let (b, c) = rest.split_at(lane);
        let (mut x, mut y, mut z) = (!crc, !0u32, !0u32);
        for ((pa, pb), pc) in a
            .chunks_exact(16)
            .zip(b.chunks_exact(16))
            .zip(c.chunks_exact(16))
        {
            let (Ok(pa), Ok(pb), Ok(pc)) = (
                <&[u8; 16]>::try_from(pa),
                <&[u8; 16]>::try_from(pb),
                <&[u8; 16]>::try_from(pc),
            ) else {
                break;
            };
            x = step(x, pa);
            y = step(y, pb);
            z = step(z, pc);
        }
        // `c` is longer than the others by up to 47 bytes.
        let z = run(z, c.get(lane..).unwrap_or_default());
        let ab = crc32c::crc32c_combine(!x, !y, lane);
        crc32c::crc32c_combine(ab, !z, c.len())
    }
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
    fn sixteen_tables_agree_with_the_crate() {
        let data: Vec<u8> = (0..40_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in [
            0, 1, 15, 16, 17, 33, 999, 1000, 12_287, 12_288, 12_300, 39_999, 40_000,
        ] {
            let part = data.get(..len).unwrap_or_default();
            assert_eq!(sliced::extend(0, part), value(part), "{len} bytes");
            assert_eq!(sliced::extend(0x1234_5678, part), extend(0x1234_5678, part));
        }
    }

    #[test]
    fn combined_pieces_give_the_whole_crc() {
        let data = b"The quick brown fox jumps over the lazy dog";
        for cut in [0, 1, 20, data.len()] {
            let (a, b) = data.split_at(cut);
            assert_eq!(combine(value(a), value(b), b.len()), value(data));
        }
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
