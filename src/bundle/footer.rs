//! The table footer: the last 48 bytes of an `.index` file, holding the
//! handles of the metaindex and index blocks and the table magic
//! (tsl/lib/io/format.{h,cc}: `BlockHandle`, `Footer`).

use super::coding::get_varint64;
use crate::error::{Error, Result};

/// `Footer::kEncodedLength`: two maximal handles (2 × 20 bytes) and the 8-byte magic.
pub const FOOTER_LEN: usize = 48;
/// `2 * BlockHandle::kMaxEncodedLength`: the handles and their zero padding.
const HANDLES_LEN: usize = 40;
/// `kTableMagicNumber` (format.h), stored as a fixed64 little-endian.
pub const TABLE_MAGIC: u64 = 0xDB47_7524_8B80_FB57;

/// Where a block sits in the file. `size` excludes the 5-byte block trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHandle {
    /// Byte offset of the block in the file.
    pub offset: u64,
    /// Length of the stored block, without its trailer.
    pub size: u64,
}

impl BlockHandle {
    /// Takes a handle (varint64 offset, varint64 size) off the front of `input`.
    pub fn decode(input: &mut &[u8]) -> Option<Self> {
        let offset = get_varint64(input)?;
        let size = get_varint64(input)?;
        Some(BlockHandle { offset, size })
    }
}

/// The two handles a table's footer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// The metaindex block (TF writes it empty and never reads it).
    pub metaindex: BlockHandle,
    /// The index block: one entry per data block.
    pub index: BlockHandle,
}

impl Footer {
    /// Reads the footer at the end of `bytes`, the whole file named `file`.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self> {
        let start = bytes.len().checked_sub(FOOTER_LEN).ok_or_else(|| {
            Error::corrupt(
                file,
                format!(
                    "not a TensorFlow checkpoint index: the file is {} bytes, shorter than a table footer ({FOOTER_LEN} bytes)",
                    bytes.len()
                ),
            )
        })?;
        let footer = bytes.get(start..).unwrap_or_default();
        let (handles, magic) = footer.split_at_checked(HANDLES_LEN).unwrap_or_default();
        let magic = magic.try_into().map(u64::from_le_bytes).unwrap_or(0);
        if magic != TABLE_MAGIC {
            return Err(Error::corrupt(
                file,
                "not a TensorFlow checkpoint index (no table magic at the end)",
            ));
        }
        let mut input = handles;
        let bad = |which: &str| {
            Error::corrupt(
                file,
                format!("bad {which} block handle in the table footer at offset {start}"),
            )
        };
        let metaindex = BlockHandle::decode(&mut input).ok_or_else(|| bad("metaindex"))?;
        let index = BlockHandle::decode(&mut input).ok_or_else(|| bad("index"))?;
        Ok(Footer { metaindex, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footer_bytes(handles: &[u8]) -> Vec<u8> {
        let mut out = handles.to_vec();
        out.resize(HANDLES_LEN, 0);
        out.extend_from_slice(&TABLE_MAGIC.to_le_bytes());
        out
    }

    #[test]
    fn parses_the_worked_example_footer() {
        // spec §3.11: metaindex 238/8, index 251/15.
        let bytes = footer_bytes(&[0xEE, 0x01, 0x08, 0xFB, 0x01, 0x0F]);
        assert_eq!(
            &bytes[40..],
            &[0x57, 0xFB, 0x80, 0x8B, 0x24, 0x75, 0x47, 0xDB]
        );
        let footer = Footer::parse("x.index", &bytes).unwrap();
        assert_eq!(
            footer.metaindex,
            BlockHandle {
                offset: 238,
                size: 8
            }
        );
        assert_eq!(
            footer.index,
            BlockHandle {
                offset: 251,
                size: 15
            }
        );
    }

    #[test]
    fn rejects_short_files() {
        let err = Footer::parse("x.index", &[0; 47]).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("x.index: "), "{text}");
        assert!(text.contains("47 bytes"), "{text}");
    }

    #[test]
    fn rejects_bad_magic() {
        let mut bytes = footer_bytes(&[0, 0, 0, 0]);
        bytes[47] ^= 1;
        let err = Footer::parse("model.data-00000-of-00001", &bytes).unwrap_err();
        assert_eq!(
            err,
            Error::corrupt(
                "model.data-00000-of-00001",
                "not a TensorFlow checkpoint index (no table magic at the end)"
            )
        );
    }

    #[test]
    fn rejects_bad_handles() {
        // 40 continuation bytes: no varint ends inside the handle area.
        let bytes = footer_bytes(&[0x80; HANDLES_LEN]);
        let text = Footer::parse("x.index", &bytes).unwrap_err().to_string();
        assert!(text.contains("bad metaindex block handle"), "{text}");
        let mut handles = vec![0, 0];
        handles.resize(HANDLES_LEN, 0x80);
        let text = Footer::parse("x.index", &footer_bytes(&handles))
            .unwrap_err()
            .to_string();
        assert!(text.contains("bad index block handle"), "{text}");
    }
}
