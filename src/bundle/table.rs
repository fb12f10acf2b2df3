//! The table (SSTable) container of `.index` files and V1 checkpoints: footer,
//! index block, data blocks (tsl/lib/io/table.cc, two_level_iterator.cc).
//!
//! The metaindex block is ignored, as TF's reader ignores it.

use std::ops::ControlFlow;

use super::block::{quoted, read_block, Block, TRAILER_LEN};
use super::footer::{BlockHandle, Footer};
use crate::error::{Error, Result};

/// Every entry of every data block of the table `bytes` (the file named
/// `file`), in key order; keys must be strictly increasing.
pub fn read_table(file: &str, bytes: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for_each_entry(file, bytes, |key, value| {
        if let Some((last, _)) = entries.last() {
            if key <= *last {
                return Err(Error::corrupt(
                    file,
                    format!(
                        "table keys out of order: {} after {}",
                        quoted(&key),
                        quoted(last)
                    ),
                ));
            }
        }
        entries.push((key, value.to_vec()));
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(entries)
}

/// The first entry of the table, without reading the rest.
pub fn first_entry(file: &str, bytes: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut first = None;
    for_each_entry(file, bytes, |key, value| {
        first = Some((key, value.to_vec()));
        Ok(ControlFlow::Break(()))
    })?;
    Ok(first)
}

/// Calls `visit` on each entry in order, until it breaks or fails.
fn for_each_entry(
    file: &str,
    bytes: &[u8],
    mut visit: impl FnMut(Vec<u8>, &[u8]) -> Result<ControlFlow<()>>,
) -> Result<()> {
    let footer = Footer::parse(file, bytes)?;
    let index = read_block(file, bytes, footer.index)?;
    // Data blocks come in file order and do not overlap; this also bounds the
    // total work (and Snappy output) by the file's size.
    let mut free_from = 0u64;
    for item in Block::new(file, footer.index.offset, &index)?.iter() {
        let (separator, mut handle_bytes) = item?;
        // Bytes after the handle are allowed and ignored (table.cc).
        let handle = BlockHandle::decode(&mut handle_bytes).ok_or_else(|| {
            Error::corrupt(
                file,
                format!(
                    "index entry {} holds a bad block handle",
                    quoted(&separator)
                ),
            )
        })?;
        if handle.offset < free_from {
            return Err(Error::corrupt(
                file,
                format!(
                    "data block at offset {} overlaps the previous block, which ends at {free_from}",
                    handle.offset
                ),
            ));
        }
        let contents = read_block(file, bytes, handle)?;
        // read_block checked that the block and its trailer lie inside the file.
        free_from = handle
            .offset
            .saturating_add(handle.size)
            .saturating_add(TRAILER_LEN);
        for entry in Block::new(file, handle.offset, &contents)?.iter() {
            let (key, value) = entry?;
            // TF's lookups rely on every key of a block sorting at or before its separator.
            if key > separator {
                return Err(Error::corrupt(
                    file,
                    format!(
                        "key {} in the data block at offset {} sorts after its index key {}",
                        quoted(&key),
                        handle.offset,
                        quoted(&separator)
                    ),
                ));
            }
            if visit(key, value)?.is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_table::{build_table, TableOptions};
    use super::*;

    fn rows(n: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..n)
            .map(|i| (format!("key/{i:04}").into_bytes(), vec![b'v'; i % 40]))
            .collect()
    }

    #[test]
    fn reads_tables_of_many_blocks() {
        let want = rows(100);
        for options in [
            TableOptions::default(),
            TableOptions {
                entries_per_block: 7,
                restart_interval: 3,
                snappy: false,
            },
            TableOptions {
                entries_per_block: 10,
                restart_interval: 16,
                snappy: true,
            },
        ] {
            let bytes = build_table(&want, options);
            assert_eq!(read_table("t.index", &bytes).unwrap(), want, "{options:?}");
            let first = first_entry("t.index", &bytes).unwrap();
            assert_eq!(first.as_ref(), want.first());
        }
    }

    #[test]
    fn reads_an_empty_table() {
        let bytes = build_table(&[], TableOptions::default());
        assert_eq!(read_table("t.index", &bytes).unwrap(), vec![]);
        assert_eq!(first_entry("t.index", &bytes).unwrap(), None);
    }

    #[test]
    fn rejects_unordered_keys() {
        let mut unordered = rows(3);
        unordered.swap(1, 2);
        let options = TableOptions {
            entries_per_block: 1,
            ..TableOptions::default()
        };
        let bytes = build_table(&unordered, options);
        let text = read_table("t.index", &bytes).unwrap_err().to_string();
        assert!(
            text.contains("out of order: 'key/0001' after 'key/0002'"),
            "{text}"
        );
        let mut duplicate = rows(2);
        duplicate[1].0 = duplicate[0].0.clone();
        let bytes = build_table(&duplicate, TableOptions::default());
        assert!(read_table("t.index", &bytes).is_err());
    }

    #[test]
    fn rejects_a_damaged_data_block() {
        let bytes = build_table(
            &rows(5),
            TableOptions {
                snappy: true,
                ..TableOptions::default()
            },
        );
        let mut damaged = bytes.clone();
        damaged[3] ^= 0x10;
        match read_table("t.index", &damaged).unwrap_err() {
            Error::Checksum { file, what, .. } => {
                assert_eq!(file, "t.index");
                assert!(what.starts_with("table block at offset 0 "), "{what}");
            }
            other => panic!("{other:?}"),
        }
    }
}
