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
use crate::graph::{self, Expect, LoadedGraph};
use crate::names::node_name;
use crate::plan::{self, ContentRef, FrozenVariable, Plan, Summary};
use crate::proto::{
    attr_value, BundleEntryProto, DataType, FunctionDef, FunctionDefLibrary, GraphDef, NodeDef,
};
use crate::saver::{self, Source};
use crate::tensor;

mod checks;
mod propagate;
mod rewrite;

use crate::bundle::v1::{V1Checkpoint, V1Value};
use crate::{Checkpoint, FreezeOptions, FreezeRequest};
use checks::{
    check_deprecated_names, check_entry, check_initializers, check_shards, check_value,
    should_convert,
};
use propagate::{Library, Value};
use rewrite::{type_attr, type_value};

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
                variables_frozen: self.pending.len(),
                nodes_kept: self.graph.node.len(),
                nodes_removed: self.input_nodes.saturating_sub(self.graph.node.len()),
                output_bytes,
            },
            data_files: self.data_files,
            warnings: self.warnings,
        })
    }
}

/// A converted function is renamed in place, as TF does; an original that
/// some other node or function still calls is kept as well.
fn keep_still_called(
    graph: &GraphDef,
    functions: &mut Vec<FunctionDef>,
    originals: &[FunctionDef],
    renamed: &HashMap<String, String>,
) {
    let mut called: HashSet<String> = HashSet::new();
    let mut note = |node: &NodeDef| {
        for attr in node.attr.values() {
            match &attr.value {
                Some(attr_value::Value::Func(f)) => {
                    called.insert(f.name.clone());
                }
                Some(attr_value::Value::List(list)) => {
                    called.extend(list.func.iter().map(|f| f.name.clone()));
                }
                _ => {}
            }
        }
    };
    graph.node.iter().for_each(&mut note);
    functions
        .iter()
        .flat_map(|f| &f.node_def)
        .for_each(&mut note);
    for original in originals {
        let name = original
            .signature
            .as_ref()
            .map(|s| s.name.as_str())
            .unwrap_or_default();
        if renamed.contains_key(name) && called.contains(name) {
            functions.push(original.clone());
        }
    }
}

/// Protobuf (and so TF) cannot parse a message of 2 GiB or more.
const GRAPHDEF_LIMIT: u64 = (1 << 31) - 1;

fn check_size(
    size: u64,
    content: &HashMap<usize, ContentRef>,
    allow: bool,
    warnings: &mut Vec<String>,
) -> Result<()> {
    if size <= GRAPHDEF_LIMIT {
        return Ok(());
    }
    let mut largest: Vec<&ContentRef> = content.values().collect();
    largest.sort_by(|a, b| b.len.cmp(&a.len).then_with(|| a.tensor.cmp(&b.tensor)));
    let names: Vec<String> = largest
        .iter()
        .take(5)
        .map(|c| format!("'{}' ({} MiB)", c.tensor, c.len >> 20))
        .collect();
    if allow {
        warnings.push(format!(
            "the frozen graph is {size} bytes, over protobuf's 2 GiB limit: TensorFlow will not load it"
        ));
        return Ok(());
    }
    Err(Error::TooLarge {
        what: format!(
            "the frozen graph (largest constants: {}; keep some as variables with --variable_names_denylist, \
             or write it anyway with --allow_over_2gb, though TensorFlow cannot load it)",
            names.join(", ")
        ),
        size,
        limit: GRAPHDEF_LIMIT,
    })
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
        warnings.push(format!(
            "{} (--fix_ref_ops rewrites such ops)",
            problem.message
        ));
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

/// The opt-in cleanups that change what the outputs need, so they run
/// before pruning.
fn clean_before(graph: &mut GraphDef, options: &FreezeOptions) -> Result<Vec<String>> {
    let mut changes = Vec::new();
    if options.strip_training_nodes || options.input_placeholder.is_some() {
        changes.extend(cleanup::strip_training_nodes(
            graph,
            options.input_placeholder.as_deref(),
        )?);
    }
    if !options.placeholder_to_const.is_empty() {
        changes.extend(cleanup::placeholder_to_const(
            graph,
            &options.placeholder_to_const,
        )?);
    }
    Ok(changes)
}

/// `--use_moving_averages`: read each variable's ExponentialMovingAverage
/// shadow instead, where the checkpoint has one.
fn use_shadows(
    graph: &GraphDef,
    index: &BundleIndex,
    sources: &mut HashMap<String, Source>,
    changes: &mut Vec<String>,
) {
    for (variable, shadow) in cleanup::moving_average_keys(graph, index, sources) {
        changes.push(format!("'{variable}' takes its moving average '{shadow}'"));
        sources.insert(
            variable,
            Source {
                key: shadow,
                slice: None,
                restore_dtype: None,
            },
        );
    }
}

/// Loads the graph and checkpoint of `request` and reports on them without
/// freezing (`--inspect`). A missing or unreadable checkpoint only leaves the
/// variables out.
pub fn inspect_request(request: &FreezeRequest<'_>) -> Result<crate::inspect::Report> {
    let loaded = load_graphs(request, request.input_binary)?;
    let index = BundleIndex::parse(
        request.checkpoint.index.name,
        request.checkpoint.index.bytes,
    )
    .ok();
    let outputs: Vec<String> = request
        .options
        .output_node_names
        .iter()
        .filter_map(|n| crate::inspect::resolve_output(&loaded.graph, n).ok())
        .collect();
    let chosen = (!outputs.is_empty()).then_some(outputs.as_slice());
    Ok(crate::inspect::inspect(&loaded, index.as_ref(), chosen))
}

fn load_graphs(request: &FreezeRequest<'_>, binary_hint: Option<bool>) -> Result<LoadedGraph> {
    // With a meta graph, TF freezes the meta graph's GraphDef; `--input_graph`
    // is only imported, so it must still parse.
    let graph = request
        .graph
        .map(|file| graph::load(file, Expect::GraphDef, binary_hint))
        .transpose()?;
    if let Some(file) = request.meta_graph {
        return graph::load(file, Expect::MetaGraphDef, binary_hint);
    }
    if let Some(file) = request.saved_model {
        return graph::load_saved_model(file, &request.saved_model_tags);
    }
    graph.ok_or_else(|| {
        Error::Usage(
            "give a graph: --input_graph (.pb/.pbtxt), --input_meta_graph (.meta) or --input_saved_model_dir"
                .into(),
        )
    })
}

fn frozen_variable(
    name: &str,
    key: &str,
    dtype: i32,
    shape: &crate::proto::TensorShapeProto,
    bytes: u64,
) -> FrozenVariable {
    FrozenVariable {
        name: name.to_owned(),
        key: key.to_owned(),
        dtype: crate::inspect::python_dtype_name(dtype).unwrap_or_else(|| format!("dtype {dtype}")),
        shape: shape.dim.iter().map(|d| d.size).collect(),
        bytes,
    }
}

/// The checkpoint as a V1 table (one file, or the shards of one), when it is one.
fn v1_checkpoint(checkpoint: &Checkpoint<'_>) -> Result<Option<V1Checkpoint>> {
    if !bundle::is_v1_table(checkpoint.index.bytes) {
        return Ok(None);
    }
    let mut files: Vec<(&str, &[u8])> = vec![(checkpoint.index.name, checkpoint.index.bytes)];
    files.extend(checkpoint.more_tables.iter().map(|f| (f.name, f.bytes)));
    V1Checkpoint::parse(&files).map(Some)
}

/// The error for a checkpoint given without any graph. A TF2 object-based
/// checkpoint (`tf.train.Checkpoint`, Keras `save_weights`) never had one.
pub fn no_graph_error(index_name: &str, index_bytes: &[u8]) -> Error {
    let object_based = BundleIndex::parse(index_name, index_bytes)
        .map(|index| index.entry("_CHECKPOINTABLE_OBJECT_GRAPH").is_some())
        .unwrap_or(false);
    if object_based {
        Error::Usage(format!(
            "{index_name} is a TF2 object-based checkpoint (tf.train.Checkpoint or Keras save_weights): it holds \
             the values but no graph. Freezing needs the graph too: rebuild the model in Python, restore the \
             checkpoint and export it with tf.saved_model.save(model, 'export_dir'), then freeze that folder \
             (--input_saved_model_dir)"
        ))
    } else {
        Error::Usage(
            "give a graph: --input_graph (.pb/.pbtxt), --input_meta_graph (.meta) or --input_saved_model_dir".into(),
        )
    }
}

/// The nodes to keep: as given, or a SavedModel's serving signature outputs.
fn output_names(
    options: &FreezeOptions,
    loaded: &LoadedGraph,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>> {
    let given: Vec<String> = options
        .output_node_names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(|n| crate::inspect::resolve_output(&loaded.graph, n))
        .collect::<Result<_>>()?;
    if !given.is_empty() {
        return Ok(given);
    }
    let from_signature = loaded
        .meta_graph
        .as_ref()
        .and_then(graph::signature_outputs);
    match from_signature {
        Some((signature, names)) if loaded.kind == graph::GraphKind::SavedModel => {
            warnings.push(format!(
                "no --output_node_names given: using the outputs of signature '{signature}': {}",
                names.join(",")
            ));
            Ok(names)
        }
        _ => {
            let mut message =
                String::from("You need to supply the name of a node to --output_node_names.");
            let signatures = loaded.meta_graph.iter().flat_map(|m| &m.signature_def);
            let listed: Vec<String> = signatures
                .filter(|(key, _)| !key.starts_with("__"))
                .map(|(key, sig)| {
                    let outputs: Vec<String> = sig
                        .outputs
                        .values()
                        .filter_map(|info| match &info.encoding {
                            Some(crate::proto::tensor_info::Encoding::Name(n)) => {
                                Some(node_name(n).to_owned())
                            }
                            _ => None,
                        })
                        .collect();
                    format!("{key} -> {}", outputs.join(","))
                })
                .collect();
            if !listed.is_empty() {
                message.push_str(&format!(
                    " The graph's signatures name these outputs: {}",
                    listed.join("; ")
                ));
            }
            Err(Error::Usage(message))
        }
    }
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

    /// Resolves the variable's entry, replaces the node by a Const and records
    /// how its value is filled in.
    fn freeze_variable(&mut self, index: usize) -> Result<(String, Value)> {
        let node = self
            .graph
            .node
            .get(index)
            .cloned()
            .ok_or_else(|| Error::mismatch("graph", "variable index out of range"))?;
        let dtype = type_attr(&node, "dtype")
            .ok_or_else(|| Error::mismatch(&node.name, "the variable has no dtype attr"))?;
        if let Some(v1) = self.v1 {
            return self.freeze_from_v1(v1, index, &node, dtype);
        }
        let (key, entry) = self.entry_for(&node)?;
        check_entry(&node, &key, entry, dtype)?;
        let shape = entry.shape.clone().unwrap_or_default();
        let elements = bundle::num_elements(&shape)
            .ok_or_else(|| Error::mismatch(&key, "the checkpoint shape has no element count"))?;
        let fill = self.plan_fill(&key, entry, dtype, elements)?;
        self.frozen.push(frozen_variable(
            &node.name,
            &key,
            dtype,
            &shape,
            u64::try_from(entry.size).unwrap_or(0),
        ));

        let mut constant = NodeDef {
            name: node.name.clone(),
            op: "Const".into(),
            ..Default::default()
        };
        constant.attr.insert(
            "dtype".into(),
            node.attr
                .get("dtype")
                .cloned()
                .unwrap_or_else(|| type_value(dtype)),
        );
        constant.attr.insert(
            "value".into(),
            plan::tensor_attr(tensor::header(dtype, &shape)),
        );
        if let Some(slot) = self.graph.node.get_mut(index) {
            *slot = constant;
        }
        self.pending.push(Pending {
            node: index,
            key,
            fill,
        });
        Ok((node.name, Value { dtype, shape }))
    }

    /// A V1 checkpoint's values are in its table, so the Const is complete
    /// right away (TF converts them through numpy with the same encoding).
    fn freeze_from_v1(
        &mut self,
        v1: &V1Checkpoint,
        index: usize,
        node: &NodeDef,
        dtype: i32,
    ) -> Result<(String, Value)> {
        let source = self.sources.get(&node.name);
        let key = source.map_or_else(|| node.name.clone(), |s| s.key.clone());
        let extents = source
            .and_then(|s| s.slice.as_ref())
            .map(|s| s.extents.as_slice());
        let Some((stored_dtype, full)) = v1.dtype_and_shape(&key) else {
            return Err(Error::Mismatch {
                name: node.name.clone(),
                detail: format!(
                    "the checkpoint {} has no value for this variable (no tensor '{key}')",
                    self.request.checkpoint.index.name
                ),
            });
        };
        let full_dims: Vec<i64> = full.dim.iter().map(|d| d.size).collect();
        let dims: Vec<i64> = match extents {
            Some(extents) => extents
                .iter()
                .zip(&full_dims)
                .map(|(&(_, len), &whole)| if len < 0 { whole } else { len })
                .collect(),
            None => full_dims,
        };
        check_value(node, &key, stored_dtype, &dims, dtype)?;
        let shape = crate::proto::TensorShapeProto {
            dim: dims
                .iter()
                .map(|&size| crate::proto::tensor_shape_proto::Dim {
                    size,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let elements = bundle::num_elements(&shape)
            .ok_or_else(|| Error::mismatch(&key, "the checkpoint shape has no element count"))?;
        let mut value = tensor::header(dtype, &shape);
        let bytes = bundle::element_size(dtype)
            .and_then(|size| size.checked_mul(elements))
            .unwrap_or(0);
        self.frozen
            .push(frozen_variable(&node.name, &key, dtype, &shape, bytes));
        match v1.read(&key, extents)? {
            V1Value::Raw(bytes) if elements == 0 => drop(bytes),
            V1Value::Raw(bytes) if tensor::uses_tensor_content(dtype, elements) => {
                value.tensor_content = bytes;
            }
            V1Value::Raw(bytes) => tensor::fill_typed(&mut value, &bytes, &key)?,
            V1Value::Strings(strings) => value.string_val = strings,
        }
        let mut constant = NodeDef {
            name: node.name.clone(),
            op: "Const".into(),
            ..Default::default()
        };
        constant.attr.insert(
            "dtype".into(),
            node.attr
                .get("dtype")
                .cloned()
                .unwrap_or_else(|| type_value(dtype)),
        );
        constant
            .attr
            .insert("value".into(), plan::tensor_attr(value));
        if let Some(slot) = self.graph.node.get_mut(index) {
            *slot = constant;
        }
        self.pending.push(Pending {
            node: index,
            key,
            fill: Fill::Empty,
        });
        Ok((node.name.clone(), Value { dtype, shape }))
    }

    /// The checkpoint key and entry holding a variable's value.
    fn entry_for(&self, node: &NodeDef) -> Result<(String, &'a BundleEntryProto)> {
        let index: &'a BundleIndex = self.index;
        let source = self.sources.get(&node.name);
        let key = source.map_or_else(|| node.name.clone(), |s| s.key.clone());
        if let Some(slice) = source.and_then(|s| s.slice.as_ref()) {
            let raw = bundle::slice_key(&key, &slice.extents);
            return match index.entry_raw(&raw) {
                Some(entry) => Ok((bundle::display_key(&raw), entry)),
                None => Err(Error::unsupported(format!(
                    "variable '{}' is part {} of '{key}', which the checkpoint stores cut differently; \
                     re-assembling such parts is not supported yet",
                    node.name,
                    bundle::display_key(&raw)
                ))),
            };
        }
        if let Some(entry) = index.entry(&key) {
            if entry.slices.is_empty() {
                return Ok((key, entry));
            }
        }
        if let Some(found) = self.partition_by_name(&node.name) {
            return Ok(found);
        }
        let names = index.tensor_names();
        Err(Error::Mismatch {
            name: node.name.clone(),
            detail: format!(
                "the checkpoint {} has no value for this variable (no key '{key}'){}",
                self.request.checkpoint.index.name,
                match crate::names::suggestions(&key, names.iter().map(String::as_str)).first() {
                    Some(near) => format!("; it has '{near}'"),
                    None => String::new(),
                }
            ),
        })
    }

    /// `emb/part_1` with no saver: the second stored part of `emb`, parts
    /// ordered by where they start (TF itself refuses these graphs).
    fn partition_by_name(&self, name: &str) -> Option<(String, &'a BundleEntryProto)> {
        let index: &'a BundleIndex = self.index;
        let (full, part) = name.rsplit_once("/part_")?;
        let part: usize = part.parse().ok()?;
        let entry = index.entry(full)?;
        let mut boxes: Vec<Vec<(i64, i64)>> = entry
            .slices
            .iter()
            .map(|s| {
                s.extent
                    .iter()
                    .map(|e| {
                        let length = match e.has_length {
                            Some(crate::proto::tensor_slice_proto::extent::HasLength::Length(
                                l,
                            )) => l,
                            None => -1,
                        };
                        (e.start, length)
                    })
                    .collect()
            })
            .collect();
        boxes.sort();
        let extents = boxes.get(part)?;
        let raw = bundle::slice_key(full, extents);
        index
            .entry_raw(&raw)
            .map(|e| (bundle::display_key(&raw), e))
    }

    fn plan_fill(
        &mut self,
        key: &str,
        entry: &BundleEntryProto,
        dtype: i32,
        elements: u64,
    ) -> Result<Fill> {
        let shard = u32::try_from(entry.shard_id).map_err(|_| {
            Error::corrupt(
                self.request.checkpoint.index.name,
                format!("{key}: bad shard id"),
            )
        })?;
        let offset = u64::try_from(entry.offset).map_err(|_| {
            Error::corrupt(
                self.request.checkpoint.index.name,
                format!("{key}: bad offset"),
            )
        })?;
        let len = u64::try_from(entry.size).map_err(|_| {
            Error::corrupt(
                self.request.checkpoint.index.name,
                format!("{key}: bad size"),
            )
        })?;
        let file = self
            .data_files
            .get(shard as usize)
            .cloned()
            .unwrap_or_default();
        let shard_size = self
            .request
            .checkpoint
            .shard_sizes
            .get(shard as usize)
            .copied()
            .flatten()
            .unwrap_or(0);
        let end = offset
            .checked_add(len)
            .ok_or_else(|| Error::corrupt(&file, format!("{key}: offset overflows")))?;
        if end > shard_size {
            return Err(Error::corrupt(
                &file,
                format!(
                    "tensor '{key}' needs bytes {offset}..{end} but the file has {shard_size}: \
                     it is truncated or belongs to another checkpoint"
                ),
            ));
        }
        let range = DataRange { shard, offset, len };
        let crc = entry.crc32c;
        if elements == 0 {
            return Ok(Fill::Empty);
        }
        if tensor::uses_tensor_content(dtype, elements) {
            return Ok(Fill::Content(ContentRef {
                shard,
                offset,
                len,
                crc32c: bundle::crc::unmask(crc),
                tensor: key.to_owned(),
            }));
        }
        self.reads.push(range);
        let read = self.reads.len() - 1;
        if dtype == DataType::DtString as i32 {
            Ok(Fill::Strings {
                read,
                crc,
                elements,
            })
        } else {
            Ok(Fill::Typed { read, crc })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn huge(tensor: &str, len: u64) -> ContentRef {
        ContentRef {
            shard: 0,
            offset: 0,
            len,
            crc32c: 0,
            tensor: tensor.into(),
        }
    }

    #[test]
    fn graphs_over_2_gib_are_refused_with_the_largest_constants() {
        let content: HashMap<usize, ContentRef> =
            [(0, huge("embedding", 3 << 30)), (1, huge("small", 1 << 20))].into();
        let mut warnings = Vec::new();
        let err = check_size(3 << 30, &content, false, &mut warnings).expect_err("too large");
        let text = err.to_string();
        assert!(
            text.contains("'embedding' (3072 MiB), 'small' (1 MiB)"),
            "{text}"
        );
        assert!(text.contains("--allow_over_2gb"), "{text}");
        check_size(3 << 30, &content, true, &mut warnings).expect("allowed");
        assert_eq!(warnings.len(), 1);
        check_size(GRAPHDEF_LIMIT, &content, false, &mut warnings).expect("at the limit");
    }
}
