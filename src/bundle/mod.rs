//! TensorBundle, TF's V2 checkpoint format: the `.index` table and the
//! `.data-SSSSS-of-NNNNN` shards it points into.
//! (tensorflow/core/util/tensor_bundle/tensor_bundle.cc)
//!
//! `table`, `block` and `footer` read the table container; `entry` checks
//! each `BundleEntryProto`; `slice_key` encodes the keys of partitioned
//! tensors; `data` checks and decodes a tensor's bytes from its shard.

#![deny(clippy::indexing_slicing)]

mod block;
mod coding;
pub mod crc;
mod data;
mod entry;
mod footer;
pub(crate) mod region;
mod slice_key;
mod table;
#[cfg(test)]
pub(crate) mod test_table;
pub mod v1;

use prost::Message;

pub use data::{decode_string_tensor, verify_numeric};
pub use entry::{dtype_name, element_size, num_elements, shape_text};
pub use footer::{BlockHandle, Footer, FOOTER_LEN, TABLE_MAGIC};
pub use slice_key::{
    decode_slice_key, display_key, is_slice_key, slice_extents, slice_key, SliceKey, FULL_EXTENT,
};
pub use table::{first_entry, read_table};
pub use v1::{is_v1_shard_of, V1Checkpoint, V1Value};

use crate::error::{Error, Result};
use crate::proto::{bundle_header_proto::Endianness, BundleEntryProto, BundleHeaderProto};
use crate::proto::{SavedTensorSlices, VersionDef};

/// The bundle format version this reader is (`kTensorBundleVersion`, as a consumer).
const CONSUMER_VERSION: i32 = 1;
/// The oldest producer version it reads (`kTensorBundleMinProducer`).
const MIN_PRODUCER: i32 = 0;

/// A parsed `.index` file.
#[derive(Debug, Clone)]
pub struct BundleIndex {
    /// The header entry (key `""`).
    pub header: BundleHeaderProto,
    /// Every other entry, sorted by raw key.
    pub entries: Vec<(Vec<u8>, BundleEntryProto)>,
}

impl BundleIndex {
    /// Parses an `.index` file; `file` names it in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self> {
        let mut rows = read_table(file, bytes)?.into_iter();
        let header_bytes = match rows.next() {
            Some((key, value)) if key.is_empty() => value,
            Some((key, _)) => {
                return Err(Error::corrupt(
                    file,
                    format!(
                        "no header entry (the first key is '{}', not \"\")",
                        display_key(&key)
                    ),
                ))
            }
            None => return Err(Error::corrupt(file, "no header entry (the table is empty)")),
        };
        if is_v1_header(&header_bytes) {
            return Err(Error::v1_not_index(file));
        }
        let header = BundleHeaderProto::decode(header_bytes.as_slice())
            .map_err(|e| Error::corrupt(file, format!("unable to parse the header entry: {e}")))?;
        check_header(file, &header)?;
        let entries = rows
            .map(|(key, value)| {
                let entry = BundleEntryProto::decode(value.as_slice()).map_err(|e| {
                    Error::corrupt(
                        file,
                        format!(
                            "entry for key '{}' is not parseable: {e}",
                            display_key(&key)
                        ),
                    )
                })?;
                entry::validate(file, &key, &entry, header.num_shards)?;
                Ok((key, entry))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(BundleIndex { header, entries })
    }

    /// The number of `.data` shards the header declares.
    pub fn num_shards(&self) -> u32 {
        u32::try_from(self.header.num_shards).unwrap_or(0)
    }

    /// The entry stored under a tensor name.
    pub fn entry(&self, key: &str) -> Option<&BundleEntryProto> {
        self.entry_raw(key.as_bytes())
    }

    /// The entry stored under a raw key (slice keys are binary).
    pub fn entry_raw(&self, key: &[u8]) -> Option<&BundleEntryProto> {
        self.entries
            .binary_search_by(|(k, _)| k.as_slice().cmp(key))
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, e)| e)
    }

    /// The names of the full tensors, in key order: every key but the slice
    /// keys of partitioned tensors, which TF's `CheckpointReader` hides too
    /// (tensorflow/c/checkpoint_reader.cc). Keys that are not UTF-8, which no
    /// graph could name, are left out.
    pub fn tensor_names(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(key, _)| !is_slice_key(key))
            .filter_map(|(key, _)| String::from_utf8(key.clone()).ok())
            .collect()
    }
}

/// True if `bytes` is a table whose header entry is a `SavedTensorSlices`:
/// a V1 checkpoint (tensorflow/core/util/tensor_slice_reader.cc).
pub fn is_v1_table(bytes: &[u8]) -> bool {
    matches!(first_entry("", bytes), Ok(Some((key, value))) if key.is_empty() && is_v1_header(&value))
}

/// A V1 header starts with field 1 (`meta`), length-delimited; a V2 header
/// starts with field 1 as a varint (`num_shards`), so the two cannot be confused.
fn is_v1_header(value: &[u8]) -> bool {
    value.first() == Some(&0x0A)
        && SavedTensorSlices::decode(value).is_ok_and(|slices| slices.meta.is_some())
}

/// The header checks of `BundleReader`'s constructor: byte order, then
/// `CheckVersions` (tensorflow/core/framework/versions.cc).
fn check_header(file: &str, header: &BundleHeaderProto) -> Result<()> {
    match Endianness::try_from(header.endianness) {
        Ok(Endianness::Little) => {}
        Ok(Endianness::Big) => {
            return Err(Error::unsupported(format!(
                "{file} was written on a big-endian machine; this version reads little-endian checkpoints only"
            )))
        }
        Err(_) => {
            return Err(Error::corrupt(
                file,
                format!("the header declares an unknown byte order {}", header.endianness),
            ))
        }
    }
    if header.num_shards < 0 {
        return Err(Error::corrupt(
            file,
            format!("the header declares {} shards", header.num_shards),
        ));
    }
    let version = header.version.clone().unwrap_or_default();
    check_version(file, &version)
}

fn check_version(file: &str, version: &VersionDef) -> Result<()> {
    if version.producer < MIN_PRODUCER {
        return Err(Error::corrupt(
            file,
            format!(
                "checkpoint producer version {} is below the minimum {MIN_PRODUCER}",
                version.producer
            ),
        ));
    }
    if version.min_consumer > CONSUMER_VERSION {
        return Err(Error::unsupported(format!(
            "{file} needs a checkpoint reader of version {} or newer (this one is version {CONSUMER_VERSION}); \
             it was written by a newer TensorFlow",
            version.min_consumer
        )));
    }
    if version.bad_consumers.contains(&CONSUMER_VERSION) {
        return Err(Error::unsupported(format!(
            "{file} disallows checkpoint readers of version {CONSUMER_VERSION}"
        )));
    }
    Ok(())
}

/// `<prefix>.data-SSSSS-of-NNNNN` (tensor_bundle/naming.cc).
pub fn data_file_name(prefix: &str, shard: u32, num_shards: u32) -> String {
    format!("{prefix}.data-{shard:05}-of-{num_shards:05}")
}

#[cfg(test)]
mod tests;
