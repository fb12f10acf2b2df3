//! The bytes of one tensor in a `.data` shard: checking a copied tensor's CRC
//! and decoding a string tensor (tensorflow/core/util/tensor_bundle/
//! tensor_bundle.cc `GetValue`, `WriteStringTensor`, `ReadStringTensor`).

use super::coding::{get_fixed32, get_varint64};
use super::crc;
use crate::error::{Error, Result};

/// Checks the CRC of a fixed-size tensor's `bytes` (exactly `entry.size`
/// bytes from its shard) against the entry's stored, masked `crc32c`.
pub fn verify_numeric(file: &str, key: &str, bytes: &[u8], stored_masked_crc: u32) -> Result<()> {
    check(
        file,
        &format!("tensor '{key}'"),
        stored_masked_crc,
        crc::value(bytes),
    )
}

/// Decodes the `num_elements` strings of a string tensor from its stored
/// `bytes`, checking both the length checksum and the entry's CRC.
///
/// Layout: a varint64 length per string, a fixed32 masked CRC of the lengths
/// (each as a u32 LE, or u64 LE when it does not fit in 32 bits), then the
/// string bytes back to back. The entry's CRC covers those length encodings,
/// the 4 stored checksum bytes and the string bytes, but not the varints.
pub fn decode_string_tensor(
    file: &str,
    key: &str,
    bytes: &[u8],
    num_elements: u64,
    stored_masked_crc: u32,
) -> Result<Vec<Vec<u8>>> {
    // Older writers store nothing at all for an empty string tensor.
    if bytes.is_empty() && num_elements == 0 {
        return Ok(Vec::new());
    }
    let bad = |detail: String| Error::corrupt(file, format!("string tensor '{key}': {detail}"));
    let mut input = bytes;
    let lengths = read_lengths(&mut input, num_elements).ok_or_else(|| {
        bad(format!(
            "its {} bytes cannot hold {num_elements} string lengths",
            bytes.len()
        ))
    })?;
    // TF: "The length checksum does not match".
    let mut lengths_crc = 0;
    for &len in &lengths {
        lengths_crc = match u32::try_from(len) {
            Ok(short) => crc::extend(lengths_crc, &short.to_le_bytes()),
            Err(_) => crc::extend(lengths_crc, &len.to_le_bytes()),
        };
    }
    let checksum_bytes = input.get(..4).unwrap_or_default();
    let stored_lengths_crc = get_fixed32(&mut input)
        .ok_or_else(|| bad("its data ends before the length checksum".into()))?;
    check(
        file,
        &format!("the string lengths of tensor '{key}'"),
        stored_lengths_crc,
        lengths_crc,
    )?;
    let total = lengths
        .iter()
        .try_fold(0u64, |sum, &len| sum.checked_add(len));
    if total != Some(input.len() as u64) {
        return Err(bad(format!(
            "the lengths add up to {}, but {} bytes of string data follow them",
            total.map_or_else(|| "more than 2^64".to_owned(), |t| t.to_string()),
            input.len()
        )));
    }
    let string_bytes = input;
    let mut strings = Vec::with_capacity(lengths.len());
    for len in lengths {
        // Each length is at most the remaining bytes: their sum equals them.
        let (head, rest) = usize::try_from(len)
            .ok()
            .and_then(|len| input.split_at_checked(len))
            .ok_or_else(|| bad("a string runs past the end of its data".into()))?;
        strings.push(head.to_vec());
        input = rest;
    }
    let computed = crc::extend(crc::extend(lengths_crc, checksum_bytes), string_bytes);
    check(
        file,
        &format!("tensor '{key}'"),
        stored_masked_crc,
        computed,
    )?;
    Ok(strings)
}

/// Reads `count` varint64 lengths, refusing a count the bytes cannot hold
/// before allocating for it.
fn read_lengths(input: &mut &[u8], count: u64) -> Option<Vec<u64>> {
    if count > input.len() as u64 {
        return None;
    }
    let mut lengths = Vec::with_capacity(usize::try_from(count).ok()?);
    for _ in 0..count {
        let len = get_varint64(input)?;
        // No string can be longer than the whole tensor; stops sums overflowing early.
        if len > input.len() as u64 {
            return None;
        }
        lengths.push(len);
    }
    Some(lengths)
}

fn check(file: &str, what: &str, stored_masked: u32, computed: u32) -> Result<()> {
    let stored = crc::unmask(stored_masked);
    if stored == computed {
        return Ok(());
    }
    Err(Error::Checksum {
        file: file.to_owned(),
        what: what.to_owned(),
        stored,
        computed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a string tensor as `WriteStringTensor` does; returns (bytes, masked entry crc).
    fn write_strings(strings: &[&[u8]]) -> (Vec<u8>, u32) {
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
        let checksum = crc::mask(lengths_crc).to_le_bytes();
        out.extend_from_slice(&checksum);
        let mut entry_crc = crc::extend(lengths_crc, &checksum);
        for s in strings {
            out.extend_from_slice(s);
            entry_crc = crc::extend(entry_crc, s);
        }
        (out, crc::mask(entry_crc))
    }

    fn spec_example() -> Vec<Vec<u8>> {
        vec![b"ab".to_vec(), Vec::new(), vec![b'c'; 130]]
    }

    #[test]
    fn decodes_the_spec_example() {
        let strings = spec_example();
        let refs: Vec<&[u8]> = strings.iter().map(Vec::as_slice).collect();
        let (bytes, crc32c) = write_strings(&refs);
        assert_eq!(bytes.len(), 140);
        assert_eq!(&bytes[..4], &[0x02, 0x00, 0x82, 0x01]);
        assert_eq!(&bytes[8..10], b"ab");
        let decoded = decode_string_tensor("m.data-00000-of-00001", "strvar", &bytes, 3, crc32c);
        assert_eq!(decoded, Ok(strings));
    }

    #[test]
    fn empty_string_tensors() {
        // n = 0: the writer still writes mask(0), the reader also accepts nothing.
        let (bytes, crc32c) = write_strings(&[]);
        assert_eq!(bytes, [0xD8, 0xEA, 0x82, 0xA2]);
        assert_eq!(
            decode_string_tensor("f", "k", &bytes, 0, crc32c),
            Ok(vec![])
        );
        assert_eq!(decode_string_tensor("f", "k", &[], 0, 0), Ok(vec![]));
        assert!(decode_string_tensor("f", "k", &[], 1, 0).is_err());
    }

    #[test]
    fn rejects_a_bad_length_checksum() {
        let strings = spec_example();
        let refs: Vec<&[u8]> = strings.iter().map(Vec::as_slice).collect();
        let (mut bytes, crc32c) = write_strings(&refs);
        bytes[5] ^= 0x01;
        match decode_string_tensor("d", "strvar", &bytes, 3, crc32c).unwrap_err() {
            Error::Checksum { file, what, .. } => {
                assert_eq!(file, "d");
                assert_eq!(what, "the string lengths of tensor 'strvar'");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_a_bad_entry_checksum_and_bad_lengths() {
        let strings = spec_example();
        let refs: Vec<&[u8]> = strings.iter().map(Vec::as_slice).collect();
        let (mut bytes, crc32c) = write_strings(&refs);
        let err = decode_string_tensor("d", "s", &bytes, 3, crc32c ^ 1).unwrap_err();
        assert!(matches!(err, Error::Checksum { ref what, .. } if what == "tensor 's'"));
        // A byte more than the lengths account for.
        let mut longer = bytes.clone();
        longer.push(b'c');
        let text = decode_string_tensor("d", "s", &longer, 3, crc32c)
            .unwrap_err()
            .to_string();
        assert_eq!(
            text,
            "d: string tensor 's': the lengths add up to 132, but 133 bytes of string data follow them"
        );
        // Fewer elements than stored: the lengths' checksum no longer matches.
        let err = decode_string_tensor("d", "s", &bytes, 2, crc32c).unwrap_err();
        assert!(matches!(err, Error::Checksum { .. }));
        // A count the bytes cannot hold is refused before allocating.
        let text = decode_string_tensor("d", "s", &bytes, u64::MAX, crc32c)
            .unwrap_err()
            .to_string();
        assert!(text.contains("cannot hold"), "{text}");
        bytes.pop();
        assert!(decode_string_tensor("d", "s", &bytes, 3, crc32c).is_err());
    }

    #[test]
    fn numeric_checksums() {
        let bytes = [0u8, 0, 0x80, 0x3F];
        let crc32c = crc::mask(crc::value(&bytes));
        assert_eq!(verify_numeric("d", "w", &bytes, crc32c), Ok(()));
        match verify_numeric("d", "w", &bytes[..3], crc32c).unwrap_err() {
            Error::Checksum {
                file,
                what,
                stored,
                computed,
            } => {
                assert_eq!((file.as_str(), what.as_str()), ("d", "tensor 'w'"));
                assert_eq!(stored, crc::value(&bytes));
                assert_eq!(computed, crc::value(&bytes[..3]));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn never_panics_on_damaged_strings() {
        let strings = spec_example();
        let refs: Vec<&[u8]> = strings.iter().map(Vec::as_slice).collect();
        let (bytes, crc32c) = write_strings(&refs);
        for i in 0..bytes.len() {
            let _ = decode_string_tensor("d", "s", &bytes[..i], 3, crc32c);
            let mut flipped = bytes.clone();
            flipped[i] ^= 0xFF;
            let _ = decode_string_tensor("d", "s", &flipped, 3, crc32c);
        }
    }
}
