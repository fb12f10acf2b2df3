//! Where TensorFlow puts things: the file names of a checkpoint (a V2 `.index`
//! with its `.data-SSSSS-of-NNNNN` shards, or V1 tables) and the layout of a
//! SavedModel folder. Pure functions over names and bytes: the CLI lists
//! folders and the page gets dropped files, and both ask here what they mean.

use serde::Serialize;

use crate::bundle::{self, Footer};
use crate::error::{Error, Result};
pub use crate::options::{saved_model_tags, DEFAULT_SAVED_MODEL_TAGS};

mod name;
pub mod prefix;
pub use name::{frozen_file_name, model_name};

/// The SavedModel protos a folder may hold, in the order TF's loader tries
/// them (tensorflow/cc/saved_model/reader.cc).
pub const SAVED_MODEL_FILES: [&str; 2] = ["saved_model.pb", "saved_model.pbtxt"];

/// Written instead of `saved_model.pb` for models over 2 GB (chunked protos).
const CHUNKED_SAVED_MODEL: &str = "saved_model.cpb";

/// The file-name part of a SavedModel's checkpoint prefix, inside its
/// `variables/` folder (saved_model/constants.py: `VARIABLES_FILENAME`).
pub const SAVED_MODEL_VARIABLES: &str = "variables";

/// TF's `checkpoint` state file beside a checkpoint: it only names the latest prefix.
const CHECKPOINT_STATE: &str = "checkpoint";

/// Tables larger than this are taken for V1 checkpoints by their footer alone
/// (the freeze checks them later), so sniffing never reads a huge file whole.
pub const V1_SNIFF_LIMIT: u64 = 256 * 1024 * 1024;

/// The length of the tail that [`sniff_v1_tail`] needs.
pub const TAIL_LEN: u64 = bundle::FOOTER_LEN as u64;

/// A SavedModel folder's checkpoint prefix: `<dir>/variables/variables`.
pub fn saved_model_variables_prefix(dir: &str) -> String {
    let dir = dir.trim_end_matches('/');
    format!("{dir}/{SAVED_MODEL_VARIABLES}/{SAVED_MODEL_VARIABLES}")
}

/// The SavedModel proto of folder `dir`, given the names of the files in it.
pub fn saved_model_file(dir: &str, present: &[&str]) -> Result<String> {
    let dir = dir.trim_end_matches('/');
    if let Some(name) = SAVED_MODEL_FILES.iter().find(|n| present.contains(n)) {
        return Ok(format!("{dir}/{name}"));
    }
    if present.contains(&CHUNKED_SAVED_MODEL) {
        return Err(Error::Unsupported {
            what: format!("{dir}/{CHUNKED_SAVED_MODEL}: chunked SavedModels (written for models over 2 GB) cannot be read"),
        });
    }
    Err(Error::MissingFile {
        file: format!("{dir}/saved_model.pb"),
        detail: "SavedModel file does not exist (`input_saved_model_dir` must name the SavedModel folder)".into(),
    })
}

/// The checkpoint prefix from what the user gave: the prefix itself, or the
/// path of its `.index` or of one of its `.data` shards.
pub fn checkpoint_prefix(given: &str) -> &str {
    if let Some(prefix) = given.strip_suffix(".index") {
        return prefix;
    }
    parse_data_file_name(given).map_or(given, |(prefix, _, _)| prefix)
}

/// `(prefix, shard, count)` of `<prefix>.data-SSSSS-of-NNNNN`, the names
/// [`bundle::data_file_name`] makes.
pub fn parse_data_file_name(name: &str) -> Option<(&str, u32, u32)> {
    let (prefix, rest) = name.rsplit_once(".data-")?;
    shard_of(prefix, rest)
}

/// `(prefix, shard, count)` of a sharded V1 table, `<prefix>-SSSSS-of-NNNNN`
/// (`ShardedFilespec`, tensorflow/core/kernels/save_op.cc).
pub fn parse_v1_table_name(name: &str) -> Option<(&str, u32, u32)> {
    let split = name.len().checked_sub(15)?;
    // A V1 table's prefix names the file itself, so it cannot be empty.
    let prefix = name.get(..split).filter(|p| !p.is_empty())?;
    shard_of(prefix, name.get(split..)?.strip_prefix('-')?)
}

/// The name of table `shard` of a sharded V1 checkpoint of `count` tables
/// (an unsharded one is named like its prefix).
pub fn v1_table_name(prefix: &str, shard: u32, count: u32) -> String {
    format!("{prefix}-{shard:05}-of-{count:05}")
}

/// `SSSSS-of-NNNNN` after a prefix, which may be empty: `saver.save(sess,
/// "model/")` writes `model/.data-00000-of-00001`.
fn shard_of<'a>(prefix: &'a str, rest: &str) -> Option<(&'a str, u32, u32)> {
    let (shard, count) = rest.split_once("-of-")?;
    // TF writes `%05d`: five digits, or more without a leading zero (a
    // checkpoint of 100,000 shards or more).
    let digits = |s: &str| {
        s.bytes().all(|b| b.is_ascii_digit())
            && (s.len() == 5 || (s.len() > 5 && !s.starts_with('0')))
    };
    if !digits(shard) || !digits(count) {
        return None;
    }
    Some((prefix, shard.parse().ok()?, count.parse().ok()?))
}

/// V1 tables are told by their header, as the checkpoint reader tells them.
pub use crate::bundle::is_v1_table;

/// What the last [`TAIL_LEN`] bytes of a file of `size` bytes say about it
/// being a V1 table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V1Sniff {
    /// It has no table footer: not a checkpoint.
    No,
    /// A table too large to read whole here; the freeze checks it.
    Yes,
    /// A table: read it whole and ask [`is_v1_table`].
    ReadWhole,
}

/// The first step of telling a V1 table from other files without reading it whole.
pub fn sniff_v1_tail(name: &str, size: u64, tail: &[u8]) -> V1Sniff {
    if size < TAIL_LEN || Footer::parse(name, tail).is_err() {
        V1Sniff::No
    } else if size > V1_SNIFF_LIMIT {
        V1Sniff::Yes
    } else {
        V1Sniff::ReadWhole
    }
}

/// What a file is, by its name alone (its bytes say more: see `detect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A GraphDef, `.pb` or `.pbtxt`.
    Graph,
    /// A MetaGraphDef, `.meta`.
    MetaGraph,
    /// `saved_model.pb` or `saved_model.pbtxt`.
    SavedModel,
    /// A V2 checkpoint's `<prefix>.index`.
    Index,
    /// A V2 checkpoint's `<prefix>.data-SSSSS-of-NNNNN`.
    Data,
    /// Expected beside checkpoints but not read: the `checkpoint` state file, hidden files.
    Ignored,
    /// Anything else; it may be a V1 table, which only its bytes tell.
    Other,
}

/// A file name read as part of a checkpoint or graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileName<'a> {
    /// What it is.
    pub kind: NameKind,
    /// The checkpoint prefix it belongs to; for [`NameKind::Other`], the prefix
    /// it has if it is a V1 table.
    pub prefix: &'a str,
    /// Its shard number (data shard, or V1 table), else 0.
    pub shard: u32,
    /// How many shards its name declares, else 1.
    pub count: u32,
}

/// What `name` (a file name without folders) is.
pub fn describe(name: &str) -> FileName<'_> {
    let one = |kind, prefix| FileName {
        kind,
        prefix,
        shard: 0,
        count: 1,
    };
    if let Some((prefix, shard, count)) = parse_data_file_name(name) {
        return FileName {
            kind: NameKind::Data,
            prefix,
            shard,
            count,
        };
    }
    // `.index` alone is a checkpoint with an empty base name, not a hidden file.
    if let Some(prefix) = name.strip_suffix(".index") {
        return one(NameKind::Index, prefix);
    }
    let lower = name.to_ascii_lowercase();
    if SAVED_MODEL_FILES.contains(&lower.as_str()) {
        return one(NameKind::SavedModel, "");
    }
    if lower.ends_with(".meta") {
        return one(NameKind::MetaGraph, "");
    }
    if lower.ends_with(".pb") || lower.ends_with(".pbtxt") {
        return one(NameKind::Graph, "");
    }
    if name == CHECKPOINT_STATE || name.starts_with('.') {
        return one(NameKind::Ignored, "");
    }
    match parse_v1_table_name(name) {
        Some((prefix, shard, count)) => FileName {
            kind: NameKind::Other,
            prefix,
            shard,
            count,
        },
        None => one(NameKind::Other, name),
    }
}

pub(crate) fn json(value: &impl Serialize) -> String {
    // Serialising strings, numbers and booleans cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests;
