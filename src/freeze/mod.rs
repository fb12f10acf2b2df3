//! Variables to constants, as TF 2.21's `convert_variables_to_constants` does
//! it (python/framework/convert_to_constants.py), minus its bugs: the legacy
//! `Variable` op is converted and `Merge` is retyped.
//!
//! Freezing is split in two so the shells can do the reading: [`prepare`]
//! decides everything from the graph and the `.index`, and lists the small
//! ranges of `.data` it needs in memory (values TF writes as typed fields);
//! [`Prepared::finish`] takes those bytes and returns the [`Plan`].

use std::collections::{HashMap, HashSet};

use crate::bundle::{self, BundleIndex};
use crate::cleanup;
use crate::error::{Error, Result};
use crate::graph::{self};
use crate::plan::{self, ContentRef, FrozenVariable, Plan, Summary};
use crate::proto::{attr_value, FunctionDefLibrary, GraphDef, NodeDef};
use crate::saver::{self, Source};
use crate::tensor;

mod checks;
mod inputs;
mod propagate;
mod rewrite;
mod variables;

use crate::bundle::v1::V1Checkpoint;
use crate::{FreezeOptions, FreezeRequest};
use checks::check_size;
use checks::{check_deprecated_names, check_initializers, check_shards, should_convert};
use inputs::{clean_before, load_graphs, output_names, use_shadows, v1_checkpoint};
pub use inputs::{inspect_request, no_graph_error};
use propagate::{keep_still_called, Library};

/// Ops whose output is a variable.
pub(crate) const VARIABLE_OPS: [&str; 3] = ["Variable", "VariableV2", "VarHandleOp"];

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
    /// An empty tensor: no value field.
    Empty,
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
    outputs: Vec<String>,
    inputs: Vec<String>,
    changes: Vec<String>,
}

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
                Fill::Empty => {}
            }
        }
        let segments = plan::encode(&self.graph, |i| content.get(&i).cloned());
        let output_bytes: u64 = segments.iter().map(|s| s.len()).sum();
        check_size(
            output_bytes,
            &content,
            self.allow_over_2gb,
            &mut self.warnings,
        )?;
        Ok(Plan {
            segments,
            summary: Summary {
                frozen: self.frozen,
                outputs: self.outputs,
                inputs: self.inputs,
                changes: self.changes,
                nodes_kept: self.graph.node.len(),
                nodes_removed: self.input_nodes.saturating_sub(self.graph.node.len()),
                output_bytes,
            },
            data_files: self.data_files,
            warnings: self.warnings,
        })
    }
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

/// Loads the inputs and decides the freeze (see the module docs).
pub fn prepare(request: &FreezeRequest<'_>) -> Result<Prepared> {
    let binary_hint = request.input_binary;
    let options = &request.options;
    let mut loaded = load_graphs(request, binary_hint)?;
    let mut warnings = Vec::new();
    let saver_def = match request.saver {
        Some(file) => Some(graph::load_saver(file)?),
        None => loaded.saver_def.clone(),
    };
    // TF freezes the graph its import has completed with attr defaults.
    crate::op_defaults::add_defaults(&mut loaded.graph);
    let input_nodes = loaded.graph.node.len();
    let mut changes = clean_before(&mut loaded.graph, options)?;
    let outputs = output_names(options, &loaded, &mut warnings)?;
    check_deprecated_names(&loaded.graph, options, &mut warnings);
    if options.clear_devices {
        for node in &mut loaded.graph.node {
            node.device.clear();
        }
    }
    if !loaded
        .graph
        .node
        .iter()
        .any(|n| VARIABLE_OPS.contains(&n.op.as_str()))
    {
        return Err(Error::NoVariables);
    }
    let v1 = v1_checkpoint(&request.checkpoint)?;
    let index = if v1.is_some() {
        BundleIndex {
            header: Default::default(),
            entries: Vec::new(),
        }
    } else {
        BundleIndex::parse(
            request.checkpoint.index.name,
            request.checkpoint.index.bytes,
        )?
    };
    let data_files = check_shards(request, &index)?;
    let mut sources = saver::sources(&loaded.graph, saver_def.as_ref())?;
    if options.use_moving_averages {
        use_shadows(&loaded.graph, &index, &mut sources, &mut changes);
    }
    let extracted = crate::subgraph::extract(&loaded.graph, &outputs)?;
    check_initializers(&loaded.graph, &extracted, options, &mut warnings)?;

    let mut freezer = Freezer {
        graph: extracted,
        index: &index,
        v1: v1.as_ref(),
        sources: &sources,
        request,
        data_files: &data_files,
        pending: Vec::new(),
        reads: Vec::new(),
        appended: Vec::new(),
        frozen: Vec::new(),
    };
    freezer.convert_all(options)?;
    let Freezer {
        mut graph,
        pending,
        reads,
        appended,
        frozen,
        ..
    } = freezer;
    let existing: HashSet<String> = graph.node.iter().map(|n| n.name.clone()).collect();
    graph
        .node
        .extend(appended.into_iter().filter(|n| !existing.contains(&n.name)));
    if options.fix_ref_ops {
        changes.extend(cleanup::fix_ref_ops(&mut graph));
    }
    let op_list = loaded
        .meta_graph
        .as_ref()
        .and_then(|m| m.meta_info_def.as_ref())
        .and_then(|i| i.stripped_op_list.as_ref());
    for problem in crate::inspect::ref_input_problems(&graph, op_list) {
        warnings.push(problem.message);
    }
    let inputs = graph
        .node
        .iter()
        .filter(|n| matches!(n.op.as_str(), "Placeholder" | "PlaceholderWithDefault"))
        .map(|n| n.name.clone())
        .collect();
    Ok(Prepared {
        graph,
        pending,
        reads,
        data_files,
        input_nodes,
        warnings,
        allow_over_2gb: options.allow_over_2gb,
        frozen,
        outputs,
        inputs,
        changes,
    })
}

struct Freezer<'a, 'r> {
    graph: GraphDef,
    index: &'a BundleIndex,
    v1: Option<&'a V1Checkpoint>,
    sources: &'a HashMap<String, Source>,
    request: &'a FreezeRequest<'r>,
    data_files: &'a [String],
    pending: Vec<Pending>,
    reads: Vec<DataRange>,
    appended: Vec<NodeDef>,
    frozen: Vec<FrozenVariable>,
}

impl<'a> Freezer<'a, '_> {
    fn convert_all(&mut self, options: &FreezeOptions) -> Result<()> {
        let variables: Vec<usize> = (0..self.graph.node.len())
            .filter(|&i| {
                self.graph.node.get(i).is_some_and(|n| {
                    VARIABLE_OPS.contains(&n.op.as_str()) && should_convert(&n.name, options)
                })
            })
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
            let each: Vec<String> = mismatches.iter().map(Error::to_string).collect();
            return Err(Error::Mismatch {
                name: format!("{} variables", mismatches.len()),
                detail: format!("cannot be frozen from this checkpoint: {}", each.join("; ")),
            });
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
