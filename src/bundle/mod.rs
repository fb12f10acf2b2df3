//! TensorBundle, TF's V2 checkpoint format: the `.index` table and the
//! `.data-SSSSS-of-NNNNN` shards it points into.
//! (tensorflow/core/util/tensor_bundle/tensor_bundle.cc)

use crate::error::{Error, Result};
use crate::proto::{BundleEntryProto, BundleHeaderProto};

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
    pub fn parse(file: &str, _bytes: &[u8]) -> Result<Self> {
        Err(Error::corrupt(file, "bundle reader not implemented yet"))
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
}

/// `<prefix>.data-SSSSS-of-NNNNN` (tensor_bundle/naming.cc).
pub fn data_file_name(prefix: &str, shard: u32, num_shards: u32) -> String {
    format!("{prefix}.data-{shard:05}-of-{num_shards:05}")
}
