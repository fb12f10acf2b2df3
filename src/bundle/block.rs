//! Table blocks: reading one by its handle (trailer, checksum, Snappy), and
//! walking its prefix-compressed entries (tsl/lib/io/format.cc `ReadBlock`,
//! tsl/lib/io/block.cc `Block::Iter`).

use std::borrow::Cow;

use super::coding::{get_fixed32, get_varint32_len};
use super::crc;
use super::footer::BlockHandle;
use super::slice_key::display_key;
use crate::error::{Error, Result};

/// The trailer after every block: a type byte and a masked CRC32C.
pub const TRAILER_LEN: u64 = 5;
/// `kNoCompression` (format.h).
const NO_COMPRESSION: u8 = 0;
/// `kSnappyCompression` (format.h): Snappy's raw block format.
const SNAPPY_COMPRESSION: u8 = 1;
/// The largest uncompressed Snappy block we accept. TF cuts data blocks at
/// 256 KiB, so only a single huge entry makes a block bigger, and even that
/// stays far below this.
pub const MAX_SNAPPY_BLOCK: u64 = 256 << 20;
/// Snappy cannot expand by more than about 22× (a 3-byte copy of 64 bytes),
/// so a larger claimed ratio is a lie we refuse before allocating.
const MAX_SNAPPY_RATIO: u64 = 64;

/// Reads the block `handle` points at in `bytes` (the file named `file`),
/// checks its trailer and returns its uncompressed contents.
pub fn read_block<'a>(file: &str, bytes: &'a [u8], handle: BlockHandle) -> Result<Cow<'a, [u8]>> {
    let BlockHandle { offset, size } = handle;
    let place = || format!("table block at offset {offset} ({size} bytes)");
    // format.cc: "truncated block read" when the block and trailer run past the end.
    let Some((contents, kind, masked)) = stored_parts(bytes, handle) else {
        return Err(Error::corrupt(
            file,
            format!(
                "{} and its {TRAILER_LEN}-byte trailer run past the end of the file ({} bytes)",
                place(),
                bytes.len()
            ),
        ));
    };
    let stored_crc = crc::unmask(masked);
    // The CRC covers the stored (possibly compressed) bytes and the type byte.
    let computed = crc::extend(crc::value(contents), &[kind]);
    if stored_crc != computed {
        return Err(Error::Checksum {
            file: file.to_owned(),
            what: place(),
            stored: stored_crc,
            computed,
        });
    }
    match kind {
        NO_COMPRESSION => Ok(Cow::Borrowed(contents)),
        SNAPPY_COMPRESSION => decompress_snappy(file, &place(), contents).map(Cow::Owned),
        other => Err(Error::corrupt(
            file,
            format!("{} has unknown compression type {other}", place()),
        )),
    }
}

/// The stored contents, type byte and masked CRC of a block, if all are inside `bytes`.
fn stored_parts(bytes: &[u8], handle: BlockHandle) -> Option<(&[u8], u8, u32)> {
    let start = usize::try_from(handle.offset).ok()?;
    let size = usize::try_from(handle.size).ok()?;
    let (contents, trailer) = bytes.get(start..)?.split_at_checked(size)?;
    let (&kind, mut masked) = trailer.split_first()?;
    Some((contents, kind, get_fixed32(&mut masked)?))
}

fn decompress_snappy(file: &str, place: &str, contents: &[u8]) -> Result<Vec<u8>> {
    let corrupted =
        |e: snap::Error| Error::corrupt(file, format!("corrupted Snappy contents in {place}: {e}"));
    let claimed = snap::raw::decompress_len(contents).map_err(corrupted)? as u64;
    let limit = (contents.len() as u64)
        .saturating_mul(MAX_SNAPPY_RATIO)
        .saturating_add(64)
        .min(MAX_SNAPPY_BLOCK);
    if claimed > limit {
        return Err(Error::TooLarge {
            what: format!("{file}: the uncompressed {place}"),
            size: claimed,
            limit,
        });
    }
    snap::raw::Decoder::new()
        .decompress_vec(contents)
        .map_err(corrupted)
}

/// The entries of one uncompressed block.
#[derive(Debug, Clone)]
pub struct Block<'a> {
    file: &'a str,
    offset: u64,
    /// The entries, up to the restart array.
    entries: &'a [u8],
    /// The restart array (fixed32 offsets into `entries`).
    restarts: &'a [u8],
}

impl<'a> Block<'a> {
    /// Splits `contents`, the block read from `offset` of `file`, into entries and restarts.
    pub fn new(file: &'a str, offset: u64, contents: &'a [u8]) -> Result<Self> {
        let bad = |detail: String| {
            Error::corrupt(
                file,
                format!(
                    "table block at offset {offset} ({} bytes): {detail}",
                    contents.len()
                ),
            )
        };
        let (body, mut count) = contents
            .split_last_chunk::<4>()
            .map(|(body, count)| (body, &count[..]))
            .ok_or_else(|| bad("too short to hold its restart count".into()))?;
        let num_restarts = get_fixed32(&mut count).unwrap_or(0);
        // block.cc: more restarts than fit is corruption; zero restarts is an empty block.
        let restarts_len = usize::try_from(num_restarts)
            .ok()
            .and_then(|n| n.checked_mul(4))
            .filter(|&len| len <= body.len())
            .ok_or_else(|| bad(format!("{num_restarts} restart points do not fit")))?;
        // Cannot underflow: `restarts_len <= body.len()` was checked above.
        let (entries, restarts) = body.split_at(body.len() - restarts_len);
        let entries = if num_restarts == 0 { &[][..] } else { entries };
        Ok(Block {
            file,
            offset,
            entries,
            restarts,
        })
    }

    /// The entries in order, each a full key and its value.
    pub fn iter(&self) -> BlockIter<'a> {
        BlockIter {
            block: self.clone(),
            pos: 0,
            key: Vec::new(),
            done: false,
        }
    }
}

/// Walks a block's entries; stops after the first error.
#[derive(Debug)]
pub struct BlockIter<'a> {
    block: Block<'a>,
    /// Offset of the next entry within `block.entries`.
    pos: usize,
    /// The previous key, which the next entry shares a prefix with.
    key: Vec<u8>,
    done: bool,
}

impl<'a> BlockIter<'a> {
    fn corrupt(&self, detail: impl std::fmt::Display) -> Error {
        Error::corrupt(
            self.block.file,
            format!(
                "bad entry in table block at offset {}, at byte {} of the block: {detail}",
                self.block.offset, self.pos
            ),
        )
    }

    /// Consumes the restart point at `pos`, if there is one; true if so.
    fn at_restart(&mut self) -> Result<bool> {
        let mut restarts = self.block.restarts;
        let Some(offset) = get_fixed32(&mut restarts) else {
            return Ok(false);
        };
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        if offset > self.pos {
            return Ok(false);
        }
        if offset < self.pos {
            // TF's Seek would start decoding in the middle of an entry.
            return Err(self.corrupt(format!("restart point {offset} is not at an entry")));
        }
        self.block.restarts = restarts;
        Ok(true)
    }

    fn next_entry(&mut self) -> Result<(Vec<u8>, &'a [u8])> {
        let restart = self.at_restart()?;
        let mut input = self.block.entries.get(self.pos..).unwrap_or_default();
        let available = input.len();
        let (Some(shared), Some(unshared), Some(value_len)) = (
            get_varint32_len(&mut input),
            get_varint32_len(&mut input),
            get_varint32_len(&mut input),
        ) else {
            return Err(self.corrupt("truncated entry header"));
        };
        if shared > self.key.len() || (restart && shared != 0) {
            return Err(self.corrupt(format!(
                "shares {shared} bytes with a previous key of {} bytes{}",
                self.key.len(),
                if restart { " at a restart point" } else { "" }
            )));
        }
        // `input` is a suffix of the `available` bytes, so this cannot underflow.
        let header_len = available - input.len();
        let Some((delta, value)) = unshared
            .checked_add(value_len)
            .and_then(|len| input.get(..len))
            .map(|both| both.split_at(unshared))
        else {
            return Err(self.corrupt(format!(
                "a {unshared}-byte key delta and a {value_len}-byte value overrun the block"
            )));
        };
        self.key.truncate(shared);
        self.key.extend_from_slice(delta);
        // Cannot overflow: all three lengths lie within `entries`.
        self.pos += header_len + unshared + value_len;
        Ok((self.key.clone(), value))
    }

    fn check_unused_restarts(&mut self) -> Result<()> {
        let mut restarts = self.block.restarts;
        match get_fixed32(&mut restarts) {
            Some(offset) if usize::try_from(offset).ok() != Some(self.pos) => {
                Err(self.corrupt(format!("restart point {offset} is past the last entry")))
            }
            _ => Ok(()),
        }
    }
}

impl<'a> Iterator for BlockIter<'a> {
    type Item = Result<(Vec<u8>, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.pos >= self.block.entries.len() {
            self.done = true;
            return self.check_unused_restarts().err().map(Err);
        }
        let entry = self.next_entry();
        self.done = entry.is_err();
        Some(entry)
    }
}

/// Names a key in an error message.
pub(crate) fn quoted(key: &[u8]) -> String {
    format!("'{}'", display_key(key))
}

#[cfg(test)]
mod tests {
    use super::super::test_table::{encode_block, stored_block, with_trailer};
    use super::*;

    fn pairs(keys: &[&str]) -> Vec<(Vec<u8>, Vec<u8>)> {
        keys.iter()
            .map(|k| (k.as_bytes().to_vec(), format!("v-{k}").into_bytes()))
            .collect()
    }

    fn read_all(contents: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        Block::new("t.index", 0, contents)?
            .iter()
            .map(|r| r.map(|(k, v)| (k, v.to_vec())))
            .collect()
    }

    #[test]
    fn walks_prefix_compressed_entries() {
        let want = pairs(&[
            "dense/bias",
            "dense/kernel",
            "dense/kernel/Adam",
            "emb",
            "x",
        ]);
        for interval in [1, 2, 16] {
            let contents = encode_block(&want, interval);
            assert_eq!(read_all(&contents).unwrap(), want, "interval {interval}");
        }
    }

    #[test]
    fn empty_blocks() {
        // TF's empty metaindex: no entries, one restart at 0.
        assert!(read_all(&[0, 0, 0, 0, 1, 0, 0, 0]).unwrap().is_empty());
        // Zero restarts: an empty block whatever precedes the count.
        assert!(read_all(&[9, 9, 0, 0, 0, 0]).unwrap().is_empty());
    }

    #[test]
    fn rejects_bad_restart_arrays() {
        let text = read_all(&[1, 2]).unwrap_err().to_string();
        assert!(text.contains("too short"), "{text}");
        let text = read_all(&[0, 0, 0, 0, 2, 0, 0, 0]).unwrap_err().to_string();
        assert!(text.contains("2 restart points do not fit"), "{text}");
        // A restart in the middle of the only entry.
        let mut contents = encode_block(&pairs(&["ab"]), 16);
        let n = contents.len();
        contents.splice(n - 4..n - 4, [1, 0, 0, 0]);
        contents[n] = 2;
        let text = read_all(&contents).unwrap_err().to_string();
        assert!(text.contains("restart point 1"), "{text}");
    }

    #[test]
    fn rejects_bad_entries() {
        let mut contents = encode_block(&pairs(&["ab", "ac"]), 16);
        // The second entry claims to share 5 bytes with "ab".
        let second = 3 + 2 + 4;
        contents[second] = 5;
        let text = read_all(&contents).unwrap_err().to_string();
        assert!(text.contains("shares 5 bytes"), "{text}");
        assert!(
            text.starts_with("t.index: bad entry in table block at offset 0"),
            "{text}"
        );
        // A value length that runs into the restart array.
        let mut contents = encode_block(&pairs(&["ab"]), 16);
        contents[2] = 100;
        let text = read_all(&contents).unwrap_err().to_string();
        assert!(text.contains("overrun"), "{text}");
        // A shared prefix at a restart point.
        let mut contents = encode_block(&pairs(&["ab", "ac"]), 1);
        contents[second] = 1;
        contents[second + 1] = 1;
        let text = read_all(&contents).unwrap_err().to_string();
        assert!(text.contains("at a restart point"), "{text}");
    }

    #[test]
    fn reads_raw_and_snappy_blocks() {
        let contents = encode_block(&pairs(&["a", "b", "c"]), 16);
        for kind in [0, 1] {
            let file = stored_block(&contents, kind);
            let handle = BlockHandle {
                offset: 0,
                size: file.len() as u64 - TRAILER_LEN,
            };
            let block = read_block("t.index", &file, handle).unwrap();
            assert_eq!(block.as_ref(), contents.as_slice(), "type {kind}");
            assert_eq!(matches!(block, Cow::Borrowed(_)), kind == 0);
        }
    }

    #[test]
    fn rejects_bad_trailers() {
        let contents = encode_block(&pairs(&["a", "b"]), 16);
        let handle = BlockHandle {
            offset: 0,
            size: contents.len() as u64,
        };
        let mut file = stored_block(&contents, 0);
        file[1] ^= 0x40;
        match read_block("t.index", &file, handle).unwrap_err() {
            Error::Checksum {
                file,
                what,
                stored,
                computed,
            } => {
                assert_eq!(file, "t.index");
                assert_eq!(
                    what,
                    format!("table block at offset 0 ({} bytes)", contents.len())
                );
                assert_ne!(stored, computed);
            }
            other => panic!("{other:?}"),
        }
        let file = stored_block(&contents, 7);
        let text = read_block("t.index", &file, handle)
            .unwrap_err()
            .to_string();
        assert!(text.contains("unknown compression type 7"), "{text}");
        let file = stored_block(&contents, 0);
        let text = read_block("t.index", &file[..file.len() - 1], handle)
            .unwrap_err()
            .to_string();
        assert!(text.contains("run past the end of the file"), "{text}");
        let huge = BlockHandle {
            offset: u64::MAX - 2,
            size: 2,
        };
        assert!(read_block("t.index", &file, huge).is_err());
    }

    #[test]
    fn refuses_snappy_bombs_and_garbage() {
        // Claims 2^31 bytes uncompressed from a handful of stored bytes.
        let claim = [0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0];
        let file = with_trailer(&claim, 1);
        let handle = BlockHandle {
            offset: 0,
            size: claim.len() as u64,
        };
        match read_block("t.index", &file, handle).unwrap_err() {
            Error::TooLarge { what, size, limit } => {
                assert!(what.starts_with("t.index: "), "{what}");
                assert_eq!(size, 1 << 31);
                assert_eq!(limit, 8 * 64 + 64);
            }
            other => panic!("{other:?}"),
        }
        // Claims 10 bytes but holds a 1-byte literal.
        let garbage = [10, 0, b'x'];
        let file = with_trailer(&garbage, 1);
        let handle = BlockHandle {
            offset: 0,
            size: garbage.len() as u64,
        };
        let text = read_block("t.index", &file, handle)
            .unwrap_err()
            .to_string();
        assert!(text.contains("corrupted Snappy contents"), "{text}");
    }
}
