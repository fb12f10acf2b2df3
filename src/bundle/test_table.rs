//! A tiny table writer for tests, after tsl/lib/io/table_builder.cc and
//! block_builder.cc, with the index key of a block being its last key.

use super::crc;
use super::footer::{BlockHandle, FOOTER_LEN, TABLE_MAGIC};

#[derive(Debug, Clone, Copy)]
pub(crate) struct TableOptions {
    pub entries_per_block: usize,
    pub restart_interval: usize,
    /// Store data blocks Snappy-compressed (type 1).
    pub snappy: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            entries_per_block: usize::MAX,
            restart_interval: 16,
            snappy: false,
        }
    }
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The uncompressed contents of a block holding `entries`.
pub(crate) fn encode_block(entries: &[(Vec<u8>, Vec<u8>)], restart_interval: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut restarts = vec![0u32];
    let mut last: &[u8] = &[];
    for (i, (key, value)) in entries.iter().enumerate() {
        let shared = if i % restart_interval == 0 {
            if i > 0 {
                restarts.push(out.len() as u32);
            }
            0
        } else {
            last.iter().zip(key).take_while(|(a, b)| a == b).count()
        };
        put_varint(&mut out, shared as u64);
        put_varint(&mut out, (key.len() - shared) as u64);
        put_varint(&mut out, value.len() as u64);
        out.extend_from_slice(&key[shared..]);
        out.extend_from_slice(value);
        last = key;
    }
    for r in &restarts {
        out.extend_from_slice(&r.to_le_bytes());
    }
    out.extend_from_slice(&(restarts.len() as u32).to_le_bytes());
    out
}

/// A block as stored: contents (Snappy-compressed if `kind` is 1) and trailer.
pub(crate) fn stored_block(contents: &[u8], kind: u8) -> Vec<u8> {
    if kind == 1 {
        with_trailer(
            &snap::raw::Encoder::new().compress_vec(contents).unwrap(),
            kind,
        )
    } else {
        with_trailer(contents, kind)
    }
}

/// `stored` followed by a trailer of type `kind` with the right CRC.
pub(crate) fn with_trailer(stored: &[u8], kind: u8) -> Vec<u8> {
    let mut out = stored.to_vec();
    let crc32c = crc::mask(crc::extend(crc::value(&out), &[kind]));
    out.push(kind);
    out.extend_from_slice(&crc32c.to_le_bytes());
    out
}

fn append_block(file: &mut Vec<u8>, contents: &[u8], kind: u8) -> BlockHandle {
    let stored = stored_block(contents, kind);
    let handle = BlockHandle {
        offset: file.len() as u64,
        size: stored.len() as u64 - 5,
    };
    file.extend_from_slice(&stored);
    handle
}

fn put_handle(out: &mut Vec<u8>, handle: BlockHandle) {
    put_varint(out, handle.offset);
    put_varint(out, handle.size);
}

/// A whole table holding `entries` (which should be sorted).
pub(crate) fn build_table(entries: &[(Vec<u8>, Vec<u8>)], options: TableOptions) -> Vec<u8> {
    let mut file = Vec::new();
    let mut index = Vec::new();
    for chunk in entries.chunks(options.entries_per_block.min(entries.len().max(1))) {
        let contents = encode_block(chunk, options.restart_interval);
        let handle = append_block(&mut file, &contents, u8::from(options.snappy));
        let mut value = Vec::new();
        put_handle(&mut value, handle);
        index.push((chunk.last().unwrap().0.clone(), value));
    }
    let metaindex = append_block(&mut file, &encode_block(&[], 1), 0);
    let index = append_block(&mut file, &encode_block(&index, 1), 0);
    let mut footer = Vec::new();
    put_handle(&mut footer, metaindex);
    put_handle(&mut footer, index);
    footer.resize(FOOTER_LEN - 8, 0);
    footer.extend_from_slice(&TABLE_MAGIC.to_le_bytes());
    file.extend_from_slice(&footer);
    file
}

/// Bytes from a hex dump, ignoring whitespace.
pub(crate) fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| (b as char).to_digit(16).unwrap() as u8)
        .collect();
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}
