//! What the shells hand the core: files as names and bytes, and the request
//! that names each file's role.

use crate::options::Options;

/// One input file: the name it had (for messages) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct InputFile<'a> {
    /// The file name or path as the user gave it.
    pub name: &'a str,
    /// Its whole contents.
    pub bytes: &'a [u8],
}

impl<'a> InputFile<'a> {
    /// A file called `name` holding `bytes`.
    pub const fn new(name: &'a str, bytes: &'a [u8]) -> Self {
        InputFile { name, bytes }
    }
}

/// The checkpoint the values come from: its `.index` and the sizes of the
/// `.data` shards that were found (the shards themselves are read by the shell).
#[derive(Debug, Clone)]
pub struct CheckpointFiles<'a> {
    /// The prefix (`model.ckpt-1000`), used to name the data files in messages.
    pub prefix: &'a str,
    /// The `<prefix>.index` file; for a V1 checkpoint, its table file (the
    /// first one when it is sharded).
    pub index: InputFile<'a>,
    /// The other files of a sharded V1 checkpoint (`<prefix>-00001-of-00003`…).
    pub more_tables: Vec<InputFile<'a>>,
    /// The size of each `.data-SSSSS-of-NNNNN` shard by shard id; `None` when
    /// that shard was not given.
    pub shard_sizes: Vec<Option<u64>>,
}

impl<'a> CheckpointFiles<'a> {
    /// A V2 checkpoint held in memory: its `.index` and every `.data` shard in
    /// shard order (only their sizes are kept; the shards are read later).
    pub fn v2(prefix: &'a str, index: InputFile<'a>, shards: &[&[u8]]) -> Self {
        CheckpointFiles {
            prefix,
            index,
            more_tables: Vec::new(),
            shard_sizes: shards.iter().map(|s| Some(s.len() as u64)).collect(),
        }
    }
}

/// Everything one freeze needs.
#[derive(Debug, Clone)]
pub struct FreezeRequest<'a> {
    /// `--input_graph`: a GraphDef (binary or text); a MetaGraphDef is accepted too.
    pub graph: Option<InputFile<'a>>,
    /// `--input_meta_graph`: a MetaGraphDef (binary or text). When given, its
    /// graph is the one frozen, as in TF.
    pub meta_graph: Option<InputFile<'a>>,
    /// `--input_saver`: a SaverDef (binary or text).
    pub saver: Option<InputFile<'a>>,
    /// `--input_saved_model_dir`: the SavedModel's `saved_model.pb` (or
    /// `.pbtxt`); its checkpoint is `variables/variables`.
    pub saved_model: Option<InputFile<'a>>,
    /// `--saved_model_tags`: the tag set of the MetaGraphDef to freeze.
    pub saved_model_tags: Vec<String>,
    /// The checkpoint.
    pub checkpoint: CheckpointFiles<'a>,
    /// `--input_binary`: only a hint of which encoding to try first.
    pub input_binary: Option<bool>,
    /// The parameters.
    pub options: Options,
}
