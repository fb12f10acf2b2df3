//! Files given without flags, as the page gets them: a graph whose role its
//! bytes tell, and a checkpoint's `.index` or V1 tables. The CLI names each
//! file's role with a flag; the page has only the files.

use serde::Serialize;

use crate::bundle;
use crate::checkpoint::Checkpoint;
use crate::detect::{self, FileKind};
use crate::error::{Error, Result};
use crate::input::{CheckpointFiles, FreezeRequest, InputFile};
use crate::layout::{checkpoint_prefix, json, parse_v1_table_name, v1_table_name};
use crate::options::{OptionRow, OptionValues};

/// One graph, read as its bytes say (a GraphDef, a MetaGraphDef or a
/// SavedModel), and a checkpoint.
#[derive(Debug, Clone, Default)]
pub struct DroppedFiles {
    /// The graph's name and bytes.
    pub graph: (String, Vec<u8>),
    /// The checkpoint's `.index`, or its V1 tables; none when not given.
    pub tables: Vec<(String, Vec<u8>)>,
    /// The checkpoint prefix, for messages.
    pub prefix: String,
    /// The size of each `.data` shard by shard id, `None` where it is missing.
    pub shard_sizes: Vec<Option<u64>>,
    /// The options.
    pub options: OptionValues,
}

fn input((name, bytes): &(String, Vec<u8>)) -> InputFile<'_> {
    InputFile { name, bytes }
}

impl DroppedFiles {
    /// A graph and its checkpoint's `.index` or V1 tables, with no `.data` shard yet.
    pub fn new(
        graph: (String, Vec<u8>),
        tables: Vec<(String, Vec<u8>)>,
        prefix: String,
        options: OptionValues,
    ) -> Self {
        DroppedFiles {
            graph,
            tables,
            prefix,
            shard_sizes: Vec::new(),
            options,
        }
    }

    /// The core's request; `name_of` names an option in messages.
    pub fn request(&self, name_of: impl Fn(&OptionRow) -> String) -> Result<FreezeRequest<'_>> {
        let graph = input(&self.graph);
        let bytes = graph.bytes;
        let head = bytes
            .get(..bytes.len().min(detect::HEAD_LEN))
            .unwrap_or_default();
        let tail = bytes
            .get(bytes.len().saturating_sub(detect::TAIL_LEN)..)
            .unwrap_or_default();
        // An unsure graph is loaded as a GraphDef, which also takes a MetaGraphDef.
        let (meta, saved_model) = match detect::detect(graph.name, head, tail) {
            FileKind::MetaGraphDef { .. } => (true, false),
            FileKind::SavedModel { .. } => (false, true),
            _ => (false, false),
        };
        let mut tables = self.tables.iter().map(input);
        Ok(FreezeRequest {
            graph: Some(graph).filter(|_| !meta && !saved_model),
            meta_graph: Some(graph).filter(|_| meta),
            saver: None,
            saved_model: Some(graph).filter(|_| saved_model),
            saved_model_tags: self.options.saved_model_tags(),
            checkpoint: CheckpointFiles {
                prefix: &self.prefix,
                index: tables.next().unwrap_or(InputFile {
                    name: "",
                    bytes: &[],
                }),
                more_tables: tables.collect(),
                shard_sizes: self.shard_sizes.clone(),
            },
            input_binary: None,
            options: self.options.freeze_options(name_of)?,
        })
    }

    /// These files with `tables` as the checkpoint's.
    pub fn with_tables(self, tables: Vec<(String, Vec<u8>)>) -> Self {
        DroppedFiles { tables, ..self }
    }

    /// The layout of the checkpoint given.
    pub fn checkpoint_layout(&self) -> Result<CheckpointLayout> {
        checkpoint_layout(&self.tables.iter().map(input).collect::<Vec<_>>())
    }
}

/// How a checkpoint is laid out, from its `.index` or its V1 tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointLayout {
    /// A V1 checkpoint (tables only, no `.index`).
    pub v1: bool,
    /// The `.data` shards the index declares (0 for V1).
    pub num_shards: u32,
    /// The tensors it holds.
    pub tensors: usize,
    /// The files it is made of besides the `.index`: its data shards, or its V1 tables.
    pub files: Vec<String>,
}

/// The layout of the checkpoint whose `.index` (or whose V1 tables, the
/// first one first) are `files`.
pub fn checkpoint_layout(files: &[InputFile<'_>]) -> Result<CheckpointLayout> {
    let (first, rest) = files
        .split_first()
        .ok_or_else(|| Error::Usage("a checkpoint needs at least one file".into()))?;
    let checkpoint = Checkpoint::parse(&CheckpointFiles {
        prefix: checkpoint_prefix(first.name),
        index: *first,
        more_tables: rest.to_vec(),
        shard_sizes: Vec::new(),
    })?;
    let count = checkpoint.num_shards();
    let files = if checkpoint.v1().is_some() {
        match parse_v1_table_name(first.name) {
            Some((prefix, _, tables)) => (0..tables)
                .map(|i| v1_table_name(prefix, i, tables))
                .collect(),
            None => vec![first.name.to_owned()],
        }
    } else {
        let prefix = checkpoint_prefix(first.name);
        (0..count)
            .map(|i| bundle::data_file_name(prefix, i, count))
            .collect()
    };
    Ok(CheckpointLayout {
        v1: checkpoint.v1().is_some(),
        num_shards: count,
        tensors: checkpoint.tensor_names().len(),
        files,
    })
}

impl CheckpointLayout {
    /// `{"v1", "numShards", "tensors", "files"}`.
    pub fn to_json(&self) -> String {
        json(self)
    }
}

#[cfg(test)]
mod tests;
