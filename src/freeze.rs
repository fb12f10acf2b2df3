//! Variables to constants, as TF 2.21's `convert_variables_to_constants` does
//! it (python/framework/convert_to_constants.py), minus its bugs: the legacy
//! `Variable` op is converted and `Merge` is retyped.
//!
//! Freezing is split in two so the shells can do the reading: [`prepare`]
//! decides everything from the graph and the `.index`, and lists the small
//! ranges of `.data` it needs in memory (values TF writes as typed fields);
//! [`Prepared::finish`] takes those bytes and returns the [`Plan`].

use std::collections::{HashMap, HashSet, VecDeque};

use crate::bundle::{self, BundleIndex};
use crate::error::{Error, Result};
use crate::graph::{self, Expect, LoadedGraph};
use crate::names::{endpoint, node_name};
use crate::plan::{self, ContentRef, Plan, Summary};
use crate::proto::{
    attr_value, AttrValue, BundleEntryProto, DataType, GraphDef, NodeDef, TensorShapeProto,
};
use crate::saver::{self, Source};
use crate::tensor;
use crate::{FreezeOptions, FreezeRequest};

/// Ops whose output is a variable.
const VARIABLE_OPS: [&str; 3] = ["Variable", "VariableV2", "VarHandleOp"];

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
        let output_bytes = segments.iter().map(|s| s.len()).sum();
        Ok(Plan {
            segments,
            summary: Summary {
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
    let outputs: Vec<String> = options
        .output_node_names
        .iter()
        .map(|n| node_name(n.trim()).to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if outputs.is_empty() {
        return Err(Error::Usage(
            "You need to supply the name of a node to --output_node_names.".into(),
        ));
    }
    let mut loaded = load_graphs(request, binary_hint)?;
    let saver_def = match request.saver {
        Some(file) => Some(graph::load_saver(file)?),
        None => loaded.saver_def.clone(),
    };
    let mut warnings = Vec::new();
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
    let index = BundleIndex::parse(
        request.checkpoint.index.name,
        request.checkpoint.index.bytes,
    )?;
    let data_files = check_shards(request, &index)?;
    let sources = saver::sources(&loaded.graph, saver_def.as_ref())?;
    let extracted = crate::subgraph::extract(&loaded.graph, &outputs)?;
    check_initializers(&loaded.graph, &extracted, options, &mut warnings)?;

    let mut freezer = Freezer {
        graph: extracted,
        index: &index,
        sources: &sources,
        request,
        data_files: &data_files,
        pending: Vec::new(),
        reads: Vec::new(),
        appended: Vec::new(),
    };
    freezer.convert_all(options)?;
    let Freezer {
        mut graph,
        pending,
        reads,
        appended,
        ..
    } = freezer;
    let existing: HashSet<String> = graph.node.iter().map(|n| n.name.clone()).collect();
    graph
        .node
        .extend(appended.into_iter().filter(|n| !existing.contains(&n.name)));
    Ok(Prepared {
        graph,
        pending,
        reads,
        data_files,
        input_nodes: loaded.graph.node.len(),
        warnings,
    })
}

fn load_graphs(request: &FreezeRequest<'_>, binary_hint: Option<bool>) -> Result<LoadedGraph> {
    // With a meta graph, TF freezes the meta graph's GraphDef; `--input_graph`
    // is only imported, so it must still parse.
    let graph = request
        .graph
        .map(|file| graph::load(file, Expect::GraphDef, binary_hint))
        .transpose()?;
    match request.meta_graph {
        Some(file) => graph::load(file, Expect::MetaGraphDef, binary_hint),
        None => graph.ok_or_else(|| {
            Error::Usage(
                "give a graph: --input_graph (.pb/.pbtxt) or --input_meta_graph (.meta)".into(),
            )
        }),
    }
}

/// TF 2.21 ignores `--restore_op_name` and `--filename_tensor_name`; scripts
/// pass TF's defaults for graphs that lack them, so a miss is only a warning.
fn check_deprecated_names(graph: &GraphDef, options: &FreezeOptions, warnings: &mut Vec<String>) {
    let exists = |name: &str| graph.node.iter().any(|n| n.name == node_name(name));
    let flags = [
        ("restore_op_name", &options.restore_op_name),
        ("filename_tensor_name", &options.filename_tensor_name),
    ];
    for (flag, value) in flags {
        if let Some(name) = value.as_deref().filter(|n| !exists(n)) {
            warnings.push(format!(
                "--{flag}={name} names nothing in the graph; the flag is deprecated and ignored, as in TensorFlow"
            ));
        }
    }
}

/// TF runs `--initializer_nodes` after restoring. One that (itself or through
/// its inputs) assigns a variable being frozen would make TF freeze the
/// assigned value instead of the checkpoint's, which we cannot compute: refuse.
fn check_initializers(
    graph: &GraphDef,
    extracted: &GraphDef,
    options: &FreezeOptions,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let frozen: HashSet<&str> = extracted
        .node
        .iter()
        .filter(|n| VARIABLE_OPS.contains(&n.op.as_str()) && should_convert(&n.name, options))
        .map(|n| n.name.as_str())
        .collect();
    let by_name: HashMap<&str, &NodeDef> =
        graph.node.iter().map(|n| (n.name.as_str(), n)).collect();
    for name in &options.initializer_nodes {
        let Some(start) = by_name.get(node_name(name)) else {
            return Err(Error::UnknownNode {
                name: name.clone(),
                suggestions: crate::names::suggestions(
                    name,
                    graph.node.iter().map(|n| n.name.as_str()),
                ),
            });
        };
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&NodeDef> = vec![start];
        while let Some(node) = stack.pop() {
            if !seen.insert(node.name.as_str()) {
                continue;
            }
            if node.op.starts_with("Assign") {
                let target = node.input.first().map(|i| node_name(i)).unwrap_or_default();
                if frozen.contains(target) {
                    return Err(Error::mismatch(
                        name,
                        format!(
                            "initializer node runs '{}', which assigns variable '{target}' after it is restored, \
                             so the frozen value would not be the checkpoint's; leave it out of \
                             --initializer_nodes or keep the variable with --variable_names_denylist",
                            node.name
                        ),
                    ));
                }
            }
            stack.extend(
                node.input
                    .iter()
                    .filter_map(|i| by_name.get(node_name(i)).copied()),
            );
        }
        warnings.push(format!(
            "initializer node '{name}' changes no frozen value; TensorFlow would run it after restoring, \
             which leaves the frozen constants as they are"
        ));
    }
    Ok(())
}

fn check_shards(request: &FreezeRequest<'_>, index: &BundleIndex) -> Result<Vec<String>> {
    let count = index.num_shards();
    let prefix = request.checkpoint.prefix;
    (0..count)
        .map(|shard| {
            let name = bundle::data_file_name(prefix, shard, count);
            match request.checkpoint.shard_sizes.get(shard as usize) {
                Some(Some(_)) => Ok(name),
                _ => Err(Error::MissingFile {
                    file: name,
                    detail: format!(
                        "{} lists {count} data shard(s) and every one is needed",
                        request.checkpoint.index.name
                    ),
                }),
            }
        })
        .collect()
}

struct Freezer<'a, 'r> {
    graph: GraphDef,
    index: &'a BundleIndex,
    sources: &'a HashMap<String, Source>,
    request: &'a FreezeRequest<'r>,
    data_files: &'a [String],
    pending: Vec<Pending>,
    reads: Vec<DataRange>,
    appended: Vec<NodeDef>,
}

fn should_convert(name: &str, options: &FreezeOptions) -> bool {
    let allowed = options
        .variable_names_whitelist
        .as_ref()
        .is_none_or(|list| list.iter().any(|n| n == name));
    let denied = options
        .variable_names_denylist
        .as_ref()
        .is_some_and(|list| list.iter().any(|n| n == name));
    allowed && !denied
}

fn type_attr(node: &NodeDef, attr: &str) -> Option<i32> {
    match node.attr.get(attr).and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Type(t)) => Some(*t),
        _ => None,
    }
}

fn type_value(dtype: i32) -> AttrValue {
    AttrValue {
        value: Some(attr_value::Value::Type(dtype)),
    }
}

fn dtype_name(dtype: i32) -> String {
    DataType::try_from(dtype)
        .map(|d| d.as_str_name().trim_start_matches("DT_").to_lowercase())
        .unwrap_or_else(|_| format!("dtype {dtype}"))
}

fn dims(shape: &TensorShapeProto) -> Vec<i64> {
    shape.dim.iter().map(|d| d.size).collect()
}

impl<'a> Freezer<'a, '_> {
    fn convert_all(&mut self, options: &FreezeOptions) -> Result<()> {
        let consumers = consumers(&self.graph);
        let variables: Vec<usize> = (0..self.graph.node.len())
            .filter(|&i| {
                self.graph.node.get(i).is_some_and(|n| {
                    VARIABLE_OPS.contains(&n.op.as_str()) && should_convert(&n.name, options)
                })
            })
            .collect();
        for index in variables {
            let dtype = self.freeze_variable(index)?;
            self.propagate(index, dtype, &consumers)?;
        }
        Ok(())
    }

    /// Resolves the variable's entry, replaces the node by a Const and records
    /// how its value is filled in.
    fn freeze_variable(&mut self, index: usize) -> Result<i32> {
        let node = self
            .graph
            .node
            .get(index)
            .cloned()
            .ok_or_else(|| Error::mismatch("graph", "variable index out of range"))?;
        let dtype = type_attr(&node, "dtype")
            .ok_or_else(|| Error::mismatch(&node.name, "the variable has no dtype attr"))?;
        let (key, entry) = self.entry_for(&node)?;
        check_entry(&node, &key, entry, dtype)?;
        let shape = entry.shape.clone().unwrap_or_default();
        let elements = bundle::num_elements(&shape)
            .ok_or_else(|| Error::mismatch(&key, "the checkpoint shape has no element count"))?;
        let fill = self.plan_fill(&key, entry, dtype, elements)?;

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
        Ok(dtype)
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

    /// Follows the frozen variable's outputs and rewrites what reads it
    /// (convert_to_constants.py's `convert_variable_to_constant` methods).
    fn propagate(&mut self, variable: usize, dtype: i32, consumers: &Consumers) -> Result<()> {
        let mut queue: VecDeque<(usize, usize)> = consumers.of(variable).collect();
        let mut seen: HashSet<(usize, usize)> = HashSet::new();
        while let Some((index, input)) = queue.pop_front() {
            if !seen.insert((index, input)) {
                continue;
            }
            let Some(node) = self.graph.node.get_mut(index) else {
                continue;
            };
            match node.op.as_str() {
                "ReadVariableOp" => *node = read_to_identity(node),
                "Enter" | "Exit" | "Identity" | "NextIteration" | "Switch" | "_SwitchN" | "RefSwitch"
                | "RefEnter" | "RefExit" | "RefNextIteration" | "RefIdentity" | "Merge" | "RefMerge" => {
                    set_type(node, input, dtype)?;
                    node.attr.remove("_output_shapes");
                    queue.extend(consumers.of(index));
                }
                "ResourceGather" => {
                    let (gather, axis) = gather_to_gather_v2(node)?;
                    *node = gather;
                    self.appended.push(axis);
                }
                "ResourceGatherNd" => *node = gather_nd(node),
                "If" | "StatelessIf" | "While" | "StatelessWhile" | "Case" | "PartitionedCall"
                | "StatefulPartitionedCall" => {
                    return Err(Error::unsupported(format!(
                        "node '{}' ({}) reads a frozen variable inside a function (control flow v2 or tf.function); \
                         freezing such graphs comes in a later version",
                        node.name, node.op
                    )))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn check_entry(node: &NodeDef, key: &str, entry: &BundleEntryProto, dtype: i32) -> Result<()> {
    if entry.dtype != dtype {
        return Err(Error::mismatch(
            &node.name,
            format!(
                "the variable is {} but checkpoint entry '{key}' is {}",
                dtype_name(dtype),
                dtype_name(entry.dtype)
            ),
        ));
    }
    let stored = entry.shape.as_ref().map(dims).unwrap_or_default();
    if let Some(attr_value::Value::Shape(shape)) =
        node.attr.get("shape").and_then(|a| a.value.as_ref())
    {
        let declared = dims(shape);
        let fully_defined = !shape.unknown_rank && declared.iter().all(|&d| d >= 0);
        if fully_defined && declared != stored {
            return Err(Error::mismatch(
                &node.name,
                format!("the variable has shape {declared:?} but checkpoint entry '{key}' has shape {stored:?}"),
            ));
        }
    }
    Ok(())
}

/// Sets type attr `T` for the value arriving at `input`: a list attr at that
/// position, a single type otherwise (Merge has one `T` for all its inputs).
fn set_type(node: &mut NodeDef, input: usize, dtype: i32) -> Result<()> {
    let name = node.name.clone();
    match node.attr.get_mut("T").and_then(|a| a.value.as_mut()) {
        Some(attr_value::Value::List(list)) => {
            let len = list.r#type.len();
            let slot = list.r#type.get_mut(input).ok_or_else(|| {
                Error::mismatch(
                    &name,
                    format!("input {input} is out of range for attr T, which has {len} types"),
                )
            })?;
            *slot = dtype;
        }
        _ => {
            node.attr.insert("T".into(), type_value(dtype));
        }
    }
    Ok(())
}

fn copy_class(from: &NodeDef, to: &mut NodeDef) {
    if let Some(class) = from.attr.get("_class") {
        to.attr.insert("_class".into(), class.clone());
    }
}

fn read_to_identity(node: &NodeDef) -> NodeDef {
    let mut identity = NodeDef {
        name: node.name.clone(),
        op: "Identity".into(),
        input: node.input.first().cloned().into_iter().collect(),
        ..Default::default()
    };
    if let Some(dtype) = node.attr.get("dtype") {
        identity.attr.insert("T".into(), dtype.clone());
    }
    copy_class(node, &mut identity);
    identity
}

fn int_attr(node: &NodeDef, attr: &str) -> i64 {
    match node.attr.get(attr).and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::I(i)) => *i,
        _ => 0,
    }
}

/// `ResourceGather` becomes `GatherV2` with a `<name>/axis` Const. TF refuses
/// `batch_dims != 0`; `GatherV2(axis = batch_dims, batch_dims)` computes the
/// same, so it is kept.
fn gather_to_gather_v2(node: &NodeDef) -> Result<(NodeDef, NodeDef)> {
    let batch_dims = int_attr(node, "batch_dims");
    let axis_name = format!("{}/axis", node.name);
    let tindices = node
        .attr
        .get("Tindices")
        .cloned()
        .ok_or_else(|| Error::mismatch(&node.name, "ResourceGather without a Tindices attr"))?;
    let index_type = match tindices.value {
        Some(attr_value::Value::Type(t)) => t,
        _ => DataType::DtInt32 as i32,
    };
    let mut axis = NodeDef {
        name: axis_name.clone(),
        op: "Const".into(),
        ..Default::default()
    };
    axis.attr.insert("dtype".into(), tindices.clone());
    axis.attr.insert(
        "value".into(),
        plan::tensor_attr(tensor::integer_scalar(index_type, batch_dims)),
    );
    let mut inputs: Vec<String> = node.input.iter().take(2).cloned().collect();
    inputs.push(axis_name);
    let mut gather = NodeDef {
        name: node.name.clone(),
        op: "GatherV2".into(),
        input: inputs,
        ..Default::default()
    };
    if let Some(dtype) = node.attr.get("dtype") {
        gather.attr.insert("Tparams".into(), dtype.clone());
    }
    gather.attr.insert("Tindices".into(), tindices.clone());
    gather.attr.insert("Taxis".into(), tindices);
    if batch_dims != 0 {
        gather.attr.insert(
            "batch_dims".into(),
            AttrValue {
                value: Some(attr_value::Value::I(batch_dims)),
            },
        );
    }
    copy_class(node, &mut gather);
    Ok((gather, axis))
}

fn gather_nd(node: &NodeDef) -> NodeDef {
    let mut gather = NodeDef {
        name: node.name.clone(),
        op: "GatherNd".into(),
        input: node.input.iter().take(2).cloned().collect(),
        ..Default::default()
    };
    if let Some(dtype) = node.attr.get("dtype") {
        gather.attr.insert("Tparams".into(), dtype.clone());
    }
    if let Some(tindices) = node.attr.get("Tindices") {
        gather.attr.insert("Tindices".into(), tindices.clone());
    }
    copy_class(node, &mut gather);
    gather
}

/// For each node, the (consumer, input position) pairs of its data outputs.
struct Consumers(HashMap<usize, Vec<(usize, usize)>>);

impl Consumers {
    fn of(&self, node: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.0.get(&node).into_iter().flatten().copied()
    }
}

fn consumers(graph: &GraphDef) -> Consumers {
    let by_name: HashMap<&str, usize> = graph
        .node
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    let mut map: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    for (i, node) in graph.node.iter().enumerate() {
        for (position, input) in node.input.iter().enumerate() {
            if input.starts_with('^') {
                continue;
            }
            let (source, _) = endpoint(input);
            if let Some(&producer) = by_name.get(source) {
                map.entry(producer).or_default().push((i, position));
            }
        }
    }
    Consumers(map)
}
