//! String tensors as stored in `.data` shards: arbitrary bytes, and tensors
//! written as TF writes them then damaged. An undamaged tensor must decode to
//! the strings it was written from.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tf_freeze::bundle::{crc, decode_string_tensor};

#[derive(Arbitrary, Debug)]
enum Input {
    Raw {
        bytes: Vec<u8>,
        elements: u64,
        crc32c: u32,
    },
    Written {
        strings: Vec<Vec<u8>>,
        flip: Option<(u16, u8)>,
        cut: Option<u16>,
        extra_elements: i8,
    },
}

/// TF's `WriteStringTensor`: varint lengths, their masked checksum, the bytes;
/// returns the bytes and the entry's masked crc32c.
fn write(strings: &[Vec<u8>]) -> (Vec<u8>, u32) {
    let mut out = Vec::new();
    let mut lengths_crc = 0;
    for s in strings {
        let mut len = s.len() as u64;
        while len >= 0x80 {
            out.push(len as u8 | 0x80);
            len >>= 7;
        }
        out.push(len as u8);
        lengths_crc = crc::extend(lengths_crc, &(s.len() as u32).to_le_bytes());
    }
    let stored = crc::mask(lengths_crc).to_le_bytes();
    out.extend_from_slice(&stored);
    let mut entry_crc = crc::extend(lengths_crc, &stored);
    for s in strings {
        out.extend_from_slice(s);
        entry_crc = crc::extend(entry_crc, s);
    }
    (out, crc::mask(entry_crc))
}

fuzz_target!(|input: Input| match input {
    Input::Raw {
        bytes,
        elements,
        crc32c,
    } => {
        let _ = decode_string_tensor("d", "s", &bytes, elements, crc32c);
    }
    Input::Written {
        strings,
        flip,
        cut,
        extra_elements,
    } => {
        let (mut bytes, crc32c) = write(&strings);
        let intact = flip.is_none() && cut.is_none() && extra_elements == 0;
        if let Some((at, mask)) = flip {
            let len = bytes.len();
            if let Some(byte) = bytes.get_mut(usize::from(at) % len.max(1)) {
                *byte ^= mask;
            }
        }
        if let Some(cut) = cut {
            bytes.truncate(usize::from(cut));
        }
        let elements = (strings.len() as i64 + i64::from(extra_elements)).max(0) as u64;
        let decoded = decode_string_tensor("d", "s", &bytes, elements, crc32c);
        if intact {
            assert_eq!(decoded, Ok(strings), "a valid string tensor must decode");
        }
    }
});
