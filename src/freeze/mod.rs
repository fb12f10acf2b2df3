//! Variables to constants, as TF 2.21's `convert_variables_to_constants` does
//! it (python/framework/convert_to_constants.py), minus its bugs: the legacy
//! `Variable` op is converted and `Merge` is retyped.
//!
//! Freezing is split in two so the shells can do the reading: [`prepare`]
//! decides everything from the graph and the `.index`, and lists the small
//! ranges of `.data` it needs in memory (values TF writes as typed fields);
//! [`Prepared::finish`] takes those bytes and returns the [`Plan`].

#![deny(clippy::indexing_slicing)]

use std::collections::{HashMap, HashSet};

use crate::bundle;
use crate::bundle::crc::mask;
use crate::bundle::region::{copy_region, intersect};
use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::graph::initializers::Initial;
use crate::graph::ops::{is_placeholder, is_variable};
use crate::graph::saver::{self, Source};
use crate::graph::{refs, subgraph};
use crate::input::CheckpointFiles;
use crate::options::Options;
use crate::plan::{self, ContentRef, FrozenVariable, InitializedVariable, Plan, Summary};
use crate::proto::{attr_value, FunctionDefLibrary, GraphDef, NodeDef, OpList, SaverDef};
use crate::target::{self, Target};
use crate::tensor;
use crate::variables;

mod checks;
mod constants;
mod initial;
mod propagate;
mod rewrite;

use checks::{
    check_deprecated_names, check_initializers, check_shards, check_size, check_stale_output_shapes,
};
use propagate::{keep_still_called, Library};

/// A range of a `.data` shard the core needs in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataRange {
    /// The shard id.
    pub shard: u32,
    /// Where the range starts.
    pub offset: u64,
    /// How many bytes.
    pub len: u64,
}

#[derive(Debug, Clone)]
enum Fill {
    /// `tensor_content` straight from the shard.
    Content(ContentRef),
    /// Typed value fields, decoded from the bytes of read `read`.
    Typed { read: usize, crc: u32 },
    /// `string_val`, decoded from the bytes of read `read`.
    Strings {
        read: usize,
        crc: u32,
        elements: u64,
    },
    /// Assembled from the reads of stored pieces (read, crc, the box each
    /// holds) into the `wanted` box, `width` bytes an element.
    Assembled {
        pieces: Vec<ReadPiece>,
        wanted: Vec<(u64, u64)>,
        width: usize,
        elements: u64,
    },
    /// An empty tensor: no value field.
    Empty,
    /// `tensor_content` decoded from the bytes of read `read` (a value a late
    /// rewrite computes with, see [`Prepared::read_values`]); `crc` unmasked.
    Read { read: usize, crc: u32 },
}

/// A stored entry read for an assembled part: which read, its stored crc32c
/// (masked), and the box of the full tensor it holds.
#[derive(Debug, Clone)]
struct ReadPiece {
    read: usize,
    crc: u32,
    stored: Vec<(u64, u64)>,
}

#[derive(Debug, Clone)]
struct Pending {
    node: usize,
    key: String,
    fill: Fill,
}

/// A freeze whose decisions are made, waiting for the bytes of [`Prepared::reads`].
#[derive(Debug, Clone)]
pub struct Prepared {
    graph: GraphDef,
    pending: Vec<Pending>,
    reads: Vec<DataRange>,
    data_files: Vec<String>,
    input_nodes: usize,
    warnings: Vec<String>,
    allow_over_2gb: bool,
    frozen: Vec<FrozenVariable>,
    initialized: Vec<InitializedVariable>,
    outputs: Vec<String>,
    changes: Vec<String>,
    late: Vec<Late>,
    tf_version: Option<String>,
    target: Target,
}

/// A rewrite of the frozen graph once its values are filled in, run by
/// [`Prepared::finish`] before encoding: it may add, remove and reorder
/// nodes. It gets the output names (to keep) and returns its changes.
pub(crate) type Late = fn(&mut GraphDef, &[String]) -> Result<Vec<String>>;

impl Prepared {
    /// The ranges to read, in order; pass their bytes to [`Prepared::finish`].
    pub fn reads(&self) -> &[DataRange] {
        &self.reads
    }

    /// The data file name of each shard.
    pub fn data_files(&self) -> &[String] {
        &self.data_files
    }

    /// Completes the freeze with the bytes of [`Prepared::reads`].
    pub fn finish(mut self, loaded: &[Vec<u8>]) -> Result<Plan> {
        let content = self.fill(loaded)?;
        let segments = plan::encode(&self.graph, |i| content.get(&i).cloned());
        let output_bytes: u64 = segments.iter().map(|s| s.len()).sum();
        check_size(
            output_bytes,
            &content,
            self.allow_over_2gb,
            &mut self.warnings,
        )?;
        Ok(self.into_plan(segments, output_bytes))
    }

    /// Fills the frozen Consts with the bytes of [`Prepared::reads`] and runs
    /// the late rewrites; returns the Consts whose values stay ranges of a
    /// shard, by node index of [`Prepared::graph`].
    pub(crate) fn fill(&mut self, loaded: &[Vec<u8>]) -> Result<HashMap<usize, ContentRef>> {
        if loaded.len() != self.reads.len() {
            return Err(Error::Usage(format!(
                "finish() needs {} ranges of data, got {}",
                self.reads.len(),
                loaded.len()
            )));
        }
        let mut content: HashMap<usize, ContentRef> = HashMap::new();
        for pending in &self.pending {
            let node = self
                .graph
                .node
                .get_mut(pending.node)
                .ok_or_else(|| Error::mismatch(&pending.key, "frozen node vanished"))?;
            let Some(attr_value::Value::Tensor(tensor)) =
                node.attr.get_mut("value").and_then(|a| a.value.as_mut())
            else {
                continue;
            };
            let file = |read: usize| {
                self.reads
                    .get(read)
                    .and_then(|r| self.data_files.get(r.shard as usize))
                    .cloned()
                    .unwrap_or_default()
            };
            match &pending.fill {
                Fill::Content(range) => {
                    content.insert(pending.node, range.clone());
                }
                Fill::Typed { read, crc } => {
                    let bytes = checked_read(loaded, &self.reads, *read, &pending.key)?;
                    bundle::verify_numeric(&file(*read), &pending.key, bytes, *crc)?;
                    tensor::fill_typed(tensor, bytes, &pending.key)?;
                }
                Fill::Strings {
                    read,
                    crc,
                    elements,
                } => {
                    let bytes = checked_read(loaded, &self.reads, *read, &pending.key)?;
                    tensor.string_val = bundle::decode_string_tensor(
                        &file(*read),
                        &pending.key,
                        bytes,
                        *elements,
                        *crc,
                    )?;
                }
                Fill::Assembled {
                    pieces,
                    wanted,
                    width,
                    elements,
                } => {
                    let read: u64 = pieces
                        .iter()
                        .filter_map(|piece| self.reads.get(piece.read))
                        .map(|r| r.len)
                        .fold(0, u64::saturating_add);
                    let mut out = assembled_buffer(&pending.key, *elements, *width, read)?;
                    for ReadPiece { read, crc, stored } in pieces {
                        let bytes = checked_read(loaded, &self.reads, *read, &pending.key)?;
                        bundle::verify_numeric(&file(*read), &pending.key, bytes, *crc)?;
                        let common = intersect(stored, wanted).unwrap_or_default();
                        copy_region(bytes, stored, &mut out, wanted, &common, *width).ok_or_else(
                            || {
                                Error::mismatch(
                                    &pending.key,
                                    "a stored piece is shorter than its shape",
                                )
                            },
                        )?;
                    }
                    if tensor::uses_tensor_content(tensor.dtype, *elements) {
                        tensor.tensor_content = out;
                    } else {
                        tensor::fill_typed(tensor, &out, &pending.key)?;
                    }
                }
                Fill::Read { read, crc } => {
                    let bytes = checked_read(loaded, &self.reads, *read, &pending.key)?;
                    bundle::verify_numeric(&file(*read), &pending.key, bytes, mask(*crc))?;
                    tensor.tensor_content = bytes.to_vec();
                }
                Fill::Empty => {}
            }
        }
        if !self.late.is_empty() {
            content = self.run_late(content)?;
        }
        Ok(content)
    }

    /// The plan of `segments`, with what the freeze did.
    pub(crate) fn into_plan(self, segments: Vec<plan::Segment>, output_bytes: u64) -> Plan {
        let inputs = self
            .graph
            .node
            .iter()
            .filter(|n| is_placeholder(&n.op))
            .map(|n| n.name.clone())
            .collect();
        Plan {
            segments,
            summary: Summary {
                frozen: self.frozen,
                initialized: self.initialized,
                outputs: self.outputs,
                inputs,
                changes: self.changes,
                nodes_kept: self.graph.node.len(),
                nodes_removed: self.input_nodes.saturating_sub(self.graph.node.len()),
                output_bytes,
                output_files: Vec::new(),
            },
            data_files: self.data_files,
            warnings: self.warnings,
            target_lint: target::lint(&self.graph, self.target),
        }
    }

    /// The TF version the graph records (`meta_info_def.tensorflow_version`).
    pub(crate) fn tf_version(&self) -> Option<&str> {
        self.tf_version.as_deref()
    }

    /// Sets what [`Prepared::tf_version`] says.
    pub(crate) fn set_tf_version(&mut self, version: Option<String>) {
        self.tf_version = version.filter(|v| !v.is_empty());
    }

    /// The output nodes.
    pub(crate) fn outputs(&self) -> &[String] {
        &self.outputs
    }
}

/// The bytes an assembled part takes; never more than the pieces read for
/// it hold, so a crafted shape cannot make it allocate more than the files give.
fn assembled_buffer(key: &str, elements: u64, width: usize, read: u64) -> Result<Vec<u8>> {
    let size = elements.saturating_mul(width as u64);
    let too_large = || Error::TooLarge {
        what: format!("the re-assembled part {key}"),
        size,
        limit: read,
    };
    let size = usize::try_from(size)
        .ok()
        .filter(|&s| s as u64 <= read)
        .ok_or_else(too_large)?;
    Ok(vec![0u8; size])
}

fn checked_read<'a>(
    loaded: &'a [Vec<u8>],
    reads: &[DataRange],
    read: usize,
    key: &str,
) -> Result<&'a [u8]> {
    let bytes = loaded.get(read).map(Vec::as_slice).unwrap_or_default();
    let wanted = reads.get(read).map(|r| r.len).unwrap_or(0);
    if bytes.len() as u64 != wanted {
        return Err(Error::mismatch(
            key,
            format!("read {} bytes of data, expected {wanted}", bytes.len()),
        ));
    }
    Ok(bytes)
}

/// What the freeze starts from: the graph as loaded and cleaned, the outputs
/// resolved, and the checkpoint.
pub(crate) struct Input<'a, 'f> {
    /// The graph, with TF's attr defaults and any opt-in cleanups applied.
    pub graph: GraphDef,
    /// Nodes in the graph as loaded.
    pub input_nodes: usize,
    /// The saver that names each variable's checkpoint key.
    pub saver_def: Option<&'a SaverDef>,
    /// The nodes to keep.
    pub outputs: Vec<String>,
    /// The checkpoint's files (prefix and shard sizes).
    pub files: &'a CheckpointFiles<'f>,
    /// The options.
    pub options: &'a Options,
    /// Warnings so far.
    pub warnings: Vec<String>,
    /// Changes the cleanups made so far.
    pub changes: Vec<String>,
}

/// Decides the freeze (see the module docs).
pub(crate) fn prepare(input: Input<'_, '_>) -> Result<Prepared> {
    let Input {
        mut graph,
        input_nodes,
        saver_def,
        outputs,
        files,
        options,
        mut warnings,
        mut changes,
    } = input;
    check_deprecated_names(&graph, options, &mut warnings);
    if options.clear_devices {
        for node in &mut graph.node {
            node.device.clear();
        }
    }
    if !graph.node.iter().any(|n| is_variable(&n.op)) {
        return Err(Error::NoVariables);
    }
    let checkpoint = Checkpoint::parse(files)?;
    let data_files = check_shards(files, &checkpoint)?;
    let mut sources = saver::sources(&graph, saver_def)?;
    if options.use_moving_averages {
        changes.extend(variables::use_shadows(&graph, &checkpoint, &mut sources));
    }
    // The graph is pruned in place, not copied: what needs the nodes the
    // outputs do not (initializers, checks) reads them first.
    let kept = subgraph::kept(&graph, &outputs)?;
    check_stale_output_shapes(&graph, &kept, &mut warnings);
    check_initializers(&graph, &kept, options, &mut warnings)?;
    let initials = initial::missing_initials(&graph, &kept, &checkpoint, &sources);
    let extracted = subgraph::prune(graph, &kept);

    let mut freezer = Freezer {
        graph: extracted,
        initials,
        initialize_missing: options.initialize_missing,
        initialized: Vec::new(),
        checkpoint: &checkpoint,
        sources: &sources,
        files,
        data_files: &data_files,
        pending: Vec::new(),
        reads: Vec::new(),
        appended: Vec::new(),
        frozen: Vec::new(),
    };
    freezer.convert_all(options)?;
    let Freezer {
        graph: mut frozen_graph,
        pending,
        reads,
        appended,
        frozen,
        initialized,
        ..
    } = freezer;
    if !appended.is_empty() {
        let existing: HashSet<&str> = frozen_graph.node.iter().map(|n| n.name.as_str()).collect();
        let new: Vec<NodeDef> = appended
            .into_iter()
            .filter(|n| !existing.contains(n.name.as_str()))
            .collect();
        frozen_graph.node.extend(new);
    }
    Ok(Prepared {
        graph: frozen_graph,
        pending,
        reads,
        data_files,
        input_nodes,
        warnings,
        allow_over_2gb: options.allow_over_2gb,
        frozen,
        initialized,
        outputs,
        changes,
        late: Vec::new(),
        tf_version: None,
        target: options.target,
    })
}

impl Prepared {
    /// Runs a rewrite over the frozen graph (one that keeps every node where
    /// it is, so the values still to be filled in find their Consts).
    pub(crate) fn rewrite(&mut self, rewrite: impl FnOnce(&mut GraphDef) -> Vec<String>) {
        let changes = rewrite(&mut self.graph);
        self.changes.extend(changes);
    }

    /// Runs a rewrite over the frozen graph that may add, remove and reorder
    /// nodes, before the values are filled in: the frozen Consts are found
    /// again by name, and the rewrite must keep every one of them. It gets
    /// the output names (to keep) and returns its changes.
    pub(crate) fn restructure(
        &mut self,
        rewrite: impl FnOnce(&mut GraphDef, &[String]) -> Result<Vec<String>>,
    ) -> Result<()> {
        let names: Vec<String> = self
            .pending
            .iter()
            .map(|p| {
                self.graph
                    .node
                    .get(p.node)
                    .map(|n| n.name.clone())
                    .unwrap_or_default()
            })
            .collect();
        let changes = rewrite(&mut self.graph, &self.outputs)?;
        let at: HashMap<&str, usize> = self
            .graph
            .node
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        for (pending, name) in self.pending.iter_mut().zip(&names) {
            pending.node = *at
                .get(name.as_str())
                .ok_or_else(|| Error::mismatch(name, "a rewrite removed this frozen constant"))?;
        }
        self.changes.extend(changes);
        Ok(())
    }

    /// The frozen graph, its values not filled in yet.
    pub(crate) fn graph(&self) -> &GraphDef {
        &self.graph
    }

    /// Makes the values of the frozen Consts `names` part of the graph
    /// instead of ranges of a shard: one more read each, for a late rewrite
    /// that computes with them. Other Consts stay ranges.
    pub(crate) fn read_values(&mut self, names: &HashSet<String>) {
        for pending in &mut self.pending {
            let named = self
                .graph
                .node
                .get(pending.node)
                .is_some_and(|n| names.contains(&n.name));
            if let (true, Fill::Content(range)) = (named, &pending.fill) {
                self.reads.push(DataRange {
                    shard: range.shard,
                    offset: range.offset,
                    len: range.len,
                });
                pending.fill = Fill::Read {
                    read: self.reads.len().saturating_sub(1),
                    crc: range.crc32c,
                };
            }
        }
    }

    /// Adds a rewrite for [`Prepared::finish`] to run once the values are in.
    pub(crate) fn rewrite_filled(&mut self, rewrite: Late) {
        self.late.push(rewrite);
    }

    /// Runs the late rewrites; the Consts still left in their shards are
    /// found again by name, wherever the rewrites moved them.
    fn run_late(
        &mut self,
        content: HashMap<usize, ContentRef>,
    ) -> Result<HashMap<usize, ContentRef>> {
        let mut by_name: HashMap<String, ContentRef> = content
            .into_iter()
            .filter_map(|(i, range)| Some((self.graph.node.get(i)?.name.clone(), range)))
            .collect();
        for rewrite in &self.late {
            let changes = rewrite(&mut self.graph, &self.outputs)?;
            self.changes.extend(changes);
        }
        Ok(self
            .graph
            .node
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((i, by_name.remove(&n.name)?)))
            .collect())
    }

    /// Warns of every input that needs a variable and now gets a Const.
    pub(crate) fn warn_ref_inputs(&mut self, op_list: Option<&OpList>) {
        for problem in refs::frozen_ref_inputs(&self.graph, op_list) {
            self.warnings.push(problem.message);
        }
    }
}

struct Freezer<'a, 'f> {
    graph: GraphDef,
    /// What the initializers give the variables the checkpoint lacks, read
    /// before pruning dropped them.
    initials: HashMap<String, Initial>,
    initialize_missing: bool,
    initialized: Vec<InitializedVariable>,
    checkpoint: &'a Checkpoint,
    sources: &'a HashMap<String, Source>,
    files: &'a CheckpointFiles<'f>,
    data_files: &'a [String],
    pending: Vec<Pending>,
    reads: Vec<DataRange>,
    appended: Vec<NodeDef>,
    frozen: Vec<FrozenVariable>,
}

impl Freezer<'_, '_> {
    fn convert_all(&mut self, options: &Options) -> Result<()> {
        let variables: Vec<usize> = variables::to_convert(&self.graph, options)
            .map(|(i, _)| i)
            .collect();
        let original = self.graph.library.clone().unwrap_or_default();
        let mut library = Library::new(original.function.clone());
        let consumers = propagate::consumers(&self.graph.node);
        // Every variable the checkpoint cannot give is named, not just the first.
        let mut mismatches: Vec<Error> = Vec::new();
        for index in variables {
            let (name, value) = match self.freeze_variable(index) {
                Ok(frozen) => frozen,
                Err(err @ Error::Mismatch { .. }) => {
                    mismatches.push(err);
                    continue;
                }
                Err(err) => return Err(err),
            };
            propagate::from_variable(
                &mut self.graph.node,
                &consumers,
                &mut self.appended,
                &mut library,
                &name,
                &value,
            )?;
        }
        if mismatches.len() > 1 {
            return Err(Error::Mismatches(mismatches));
        }
        if let Some(err) = mismatches.pop() {
            return Err(err);
        }
        if !library.renamed.is_empty() {
            let mut functions = library.functions;
            keep_still_called(
                &self.graph,
                &mut functions,
                &original.function,
                &library.renamed,
            );
            self.graph.library = Some(FunctionDefLibrary {
                function: functions,
                ..original
            });
        }
        Ok(())
    }
}
