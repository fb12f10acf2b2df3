//! Files given without flags, as the page gets them: a graph whose role its
//! bytes tell, and a checkpoint's `.index` or V1 tables. The CLI names each
//! file's role with a flag; the page has only the files.

use serde::{Deserialize, Serialize};

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
        // An unsure graph is loaded as a GraphDef, which also takes a MetaGraphDef.
        let (meta, saved_model) = match detect::detect_bytes(graph.name, graph.bytes) {
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

/// How a checkpoint is laid out, from its `.index` or its V1 tables. The page
/// hands it back to [`diagnose`], so it reads as it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointLayout {
    /// A V1 checkpoint (tables only, no `.index`).
    pub v1: bool,
    /// The `.data` shards the index declares (0 for V1).
    pub num_shards: u32,
    /// The tensors it holds.
    pub tensors: usize,
    /// Its V1 tables by number. A V2 index's data files are not listed: their
    /// names follow from `num_shards` (`bundle::data_file_name`), and an index
    /// may claim two billion of them.
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
    // A table's name holds five digits of count, so at most 99,999 names.
    let files = match parse_v1_table_name(first.name) {
        _ if checkpoint.v1().is_none() => Vec::new(),
        Some((prefix, _, tables)) => (0..tables)
            .map(|i| v1_table_name(prefix, i, tables))
            .collect(),
        None => vec![first.name.to_owned()],
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

// ---- What stops a freeze of the dropped files --------------------------------

/// What was dropped, as far as [`diagnose`] needs it: the chosen graph, the
/// chosen checkpoint and the files that are neither.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Dropped {
    /// The chosen graph, if any.
    pub graph: Option<DroppedGraph>,
    /// The chosen checkpoint, if any.
    pub checkpoint: Option<DroppedCheckpoint>,
    /// The names of the files that are neither a graph nor a checkpoint's.
    pub other_files: Vec<String>,
}

/// How a graph is read: as a GraphDef, a MetaGraphDef or a SavedModel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GraphRole {
    /// A GraphDef, in binary or text.
    #[default]
    Graph,
    /// A MetaGraphDef (`.meta`).
    Meta,
    /// A SavedModel, whose checkpoint is its `variables/` folder.
    SavedModel,
}

/// A graph file and what loading it alone gave.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DroppedGraph {
    /// Its file name.
    pub name: String,
    /// How it is read.
    pub role: GraphRole,
    /// The variable nodes it holds, once loaded.
    pub variables: Option<usize>,
    /// Why it could not be loaded.
    pub error: Option<String>,
}

/// The files of one checkpoint prefix, as dropped.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DroppedCheckpoint {
    /// The prefix (`model.ckpt-1000`).
    pub prefix: String,
    /// A V1 checkpoint: tables, no `.index`.
    pub v1: bool,
    /// The `.index` file's name (V2).
    pub index: Option<String>,
    /// The V1 tables' names by their number, `None` where one was not dropped.
    pub tables: Vec<Option<String>>,
    /// The `.data` shards' names by shard id, `None` where one was not dropped.
    pub shards: Vec<Option<String>>,
    /// What [`checkpoint_layout`] read from the index or the tables.
    pub layout: Option<CheckpointLayout>,
    /// Why the index or the tables could not be read.
    pub error: Option<String>,
}

/// What kind of thing stops a freeze.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DropProblemKind {
    /// The graph could not be loaded.
    UnreadableGraph,
    /// The graph holds no variables: frozen already.
    NoVariables,
    /// Data shards without their `.index`.
    NoIndex,
    /// The `.index` or the V1 tables could not be read.
    UnreadableCheckpoint,
    /// Some tables of a V1 checkpoint were not dropped.
    MissingTables,
    /// A checkpoint without a graph.
    NoGraph,
    /// Some `.data` shards the index names were not dropped.
    MissingData,
    /// A graph without a checkpoint.
    NoCheckpoint,
    /// Files, but no graph and no checkpoint among them.
    NothingUsable,
}

/// One thing that stops a freeze, as a sentence naming the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DropProblem {
    /// What kind.
    pub kind: DropProblemKind,
    /// A sentence for people (the page adds the capital and full stop).
    pub message: String,
}

/// What stops a freeze of the dropped files, and which files the checkpoint lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// Each thing that stops a freeze, in the order to tell them.
    pub problems: Vec<DropProblem>,
    /// The checkpoint's files (data shards, or V1 tables) that were not dropped;
    /// of more than [`NAMED_MISSING`] data shards, only the first.
    pub missing: Vec<String>,
    /// How many of its files were not dropped.
    #[serde(rename = "missingCount")]
    pub missing_count: u64,
}

/// Missing data shards named one by one; past this many, the first and a count.
pub const NAMED_MISSING: usize = 10;

impl Diagnosis {
    /// `{"problems": [{"kind", "message"}], "missing", "missingCount"}`.
    pub fn to_json(&self) -> String {
        json(self)
    }

    fn push(&mut self, kind: DropProblemKind, message: String) {
        self.problems.push(DropProblem { kind, message });
    }
}

/// What stops the dropped files from being frozen, one problem per thing the
/// user can fix: an unreadable or frozen graph, a checkpoint's missing pieces,
/// a graph without checkpoint or the other way round.
pub fn diagnose(dropped: &Dropped) -> Diagnosis {
    let mut found = Diagnosis::default();
    let graph = dropped.graph.as_ref();
    if let Some(graph) = graph {
        if let Some(error) = &graph.error {
            found.push(DropProblemKind::UnreadableGraph, error.clone());
        } else if graph.variables == Some(0) {
            let message = format!(
                "{} holds no variables: it is most likely frozen already",
                graph.name
            );
            found.push(DropProblemKind::NoVariables, message);
        }
    }
    match &dropped.checkpoint {
        Some(checkpoint) => diagnose_checkpoint(checkpoint, graph.is_some(), &mut found),
        None => diagnose_alone(dropped, &mut found),
    }
    found
}

/// The problems of a checkpoint; `with_graph` when a graph was dropped too.
fn diagnose_checkpoint(checkpoint: &DroppedCheckpoint, with_graph: bool, found: &mut Diagnosis) {
    let prefix = &checkpoint.prefix;
    if checkpoint.index.is_none() && !checkpoint.v1 {
        if let Some(shard) = checkpoint.shards.iter().flatten().next() {
            let message = format!("{shard} has no {prefix}.index beside it; add that file too");
            found.push(DropProblemKind::NoIndex, message);
        }
    }
    if let Some(error) = &checkpoint.error {
        found.push(DropProblemKind::UnreadableCheckpoint, error.clone());
    }
    let layout = checkpoint
        .layout
        .as_ref()
        .filter(|_| checkpoint.error.is_none());
    let present = if checkpoint.v1 {
        &checkpoint.tables
    } else {
        &checkpoint.shards
    };
    if checkpoint.v1 {
        found.missing = layout.map_or_else(Vec::new, |l| missing_files(&l.files, present));
        found.missing_count = found.missing.len() as u64;
        diagnose_v1(checkpoint, layout, with_graph, found);
    } else if let Some(index) = &checkpoint.index {
        let shards = layout.map_or(0, |l| l.num_shards);
        (found.missing, found.missing_count) = missing_shards(index, shards, present);
        diagnose_v2(index, shards, with_graph, found);
    }
}

/// `is` or `are`, for the names in `missing`.
fn verb(missing: &[String]) -> &'static str {
    if missing.len() == 1 {
        "is"
    } else {
        "are"
    }
}

/// A V1 checkpoint's missing tables, and its graph.
fn diagnose_v1(
    checkpoint: &DroppedCheckpoint,
    layout: Option<&CheckpointLayout>,
    with_graph: bool,
    found: &mut Diagnosis,
) {
    let prefix = &checkpoint.prefix;
    if !found.missing.is_empty() {
        let (missing, verb) = (found.missing.join(", "), verb(&found.missing));
        let tables = layout.map_or(0, |l| l.files.len());
        let message =
            format!("{missing} {verb} missing: the V1 checkpoint {prefix} has {tables} files");
        found.push(DropProblemKind::MissingTables, message);
    }
    if !with_graph {
        let message = format!(
            "{prefix} is a V1 checkpoint; add the graph it belongs to (a .pb, .pbtxt or .meta file) too"
        );
        found.push(DropProblemKind::NoGraph, message);
    }
}

/// A V2 checkpoint's graph and missing data shards, named after its `index`.
fn diagnose_v2(index: &str, shards: u32, with_graph: bool, found: &mut Diagnosis) {
    let (missing, verb) = (found.missing.join(", "), verb(&found.missing));
    // Without a graph, an index with none of its data asks for both in one sentence.
    let no_data = found.missing_count > 0 && found.missing_count == u64::from(shards);
    if !with_graph {
        let also = if no_data { " and its data files" } else { "" };
        let message = format!(
            "{index} is a checkpoint index; add the graph it belongs to (a .pb, .pbtxt or .meta file){also} too"
        );
        found.push(DropProblemKind::NoGraph, message);
    }
    if found.missing.is_empty() || (no_data && !with_graph) {
        return;
    }
    let given = u64::from(shards).saturating_sub(found.missing_count);
    let message = if shards == 1 {
        format!("{missing} is missing: the values of {index} are in it")
    } else if found.missing_count > found.missing.len() as u64 {
        let more = found
            .missing_count
            .saturating_sub(found.missing.len() as u64);
        let was = if given == 1 { "was" } else { "were" };
        format!("{index} lists {shards} data files and {given} {was} given: {missing} and {more} more are missing")
    } else {
        format!("{missing} {verb} missing: {index} needs all {shards} data files")
    };
    found.push(DropProblemKind::MissingData, message);
}

/// With no checkpoint: ask for one, or say nothing here can be used.
fn diagnose_alone(dropped: &Dropped, found: &mut Diagnosis) {
    if !found.problems.is_empty() {
        return;
    }
    match &dropped.graph {
        Some(graph) if graph.role == GraphRole::SavedModel => found.push(
            DropProblemKind::NoCheckpoint,
            format!(
                "Add the variables folder that goes with {} too (variables.index and its .data files)",
                graph.name
            ),
        ),
        Some(graph) => found.push(
            DropProblemKind::NoCheckpoint,
            format!(
                "Add the checkpoint that goes with {}: its .index file and its .data files",
                graph.name
            ),
        ),
        None if !dropped.other_files.is_empty() => found.push(
            DropProblemKind::NothingUsable,
            "None of these files is a graph or a checkpoint: drop a .pb, .pbtxt or .meta file \
             with its .index and .data files"
                .to_owned(),
        ),
        None => {}
    }
}

/// The data files of an index of `count` shards that `present` (by shard id)
/// lacks (past [`NAMED_MISSING`], the first), and how many it lacks: work in
/// the files given, not in the count the index claims.
fn missing_shards(index: &str, count: u32, present: &[Option<String>]) -> (Vec<String>, u64) {
    let prefix = checkpoint_prefix(index);
    let given = |shard: u32| {
        let name = present.get(shard as usize).and_then(Option::as_deref);
        name.is_some_and(|name| name == bundle::data_file_name(prefix, shard, count))
    };
    let ids = || (0..count).take(present.len());
    let missing = u64::from(count).saturating_sub(ids().filter(|&i| given(i)).count() as u64);
    // All of a few; of many, the first, beside their count.
    let named = usize::try_from(missing).map_or(1, |m| if m > NAMED_MISSING { 1 } else { m });
    let named = (0..count)
        .filter(|&i| !given(i))
        .take(named)
        .map(|i| bundle::data_file_name(prefix, i, count))
        .collect();
    (named, missing)
}

/// The names in `expected` (by shard or table number) that `present` lacks there.
fn missing_files(expected: &[String], present: &[Option<String>]) -> Vec<String> {
    let dropped = |i: usize| present.get(i).and_then(Option::as_deref);
    expected
        .iter()
        .enumerate()
        .filter(|&(i, name)| dropped(i) != Some(name.as_str()))
        .map(|(_, name)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests;
