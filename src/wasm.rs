//! The page's bridge to the core: wasm-bindgen exports that take the bytes of
//! the small files (graph, `.index` or V1 table, the few ranges of `.data` the
//! core asks for) and hand back plain JS objects. The weights themselves never enter
//! wasm memory whole: the page builds the download from slices of the
//! dropped `.data` files, and only streams them through [`crc32c_update`].
//! Every error becomes a JS `Error` whose message is the core's sentence.

use std::collections::HashSet;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::bundle::{self, BundleIndex};
use crate::graph::{self, Expect};
use crate::names::node_name;
use crate::proto::{attr_value, GraphDef, NodeDef, TensorShapeProto};
use crate::{Checkpoint, FreezeOptions, FreezeRequest, InputFile, Plan, Prepared, Segment};

/// Ops whose output is a variable (as in `freeze`).
const VARIABLE_OPS: [&str; 3] = ["Variable", "VariableV2", "VarHandleOp"];

/// Ops that are never what a user wants as an output: state, saving,
/// initialisation and bookkeeping.
const NOT_OUTPUT_OPS: [&str; 24] = [
    "NoOp",
    "Const",
    "Shape",
    "Placeholder",
    "PlaceholderWithDefault",
    "Variable",
    "VariableV2",
    "VarHandleOp",
    "Assign",
    "AssignAdd",
    "AssignSub",
    "AssignVariableOp",
    "AssignAddVariableOp",
    "AssignSubVariableOp",
    "Save",
    "SaveV2",
    "SaveSlices",
    "Restore",
    "RestoreV2",
    "RestoreSlice",
    "MergeV2Checkpoints",
    "VarIsInitializedOp",
    "IsVariableInitialized",
    "ReadVariableOp",
];

/// Name scopes of TF's savers, initialisers and optimizers (and their slots).
const NOT_OUTPUT_SCOPES: [&str; 13] = [
    "save",
    "init",
    "init_all_tables",
    "report_uninitialized_variables",
    "gradients",
    "train",
    "global_step",
    "Adam",
    "GradientDescent",
    "Momentum",
    "RMSProp",
    "Adagrad",
    "Ftrl",
];

/// Last name parts of nodes TF adds around variables and `tf.cond`.
const NOT_OUTPUT_LEAVES: [&str; 4] = ["read", "switch_t", "switch_f", "pred_id"];

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(err: crate::Error) -> JsError {
    JsError::new(&err.to_string())
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (key, value) in pairs {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(key), value);
    }
    obj.into()
}

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> JsValue {
    items
        .into_iter()
        .map(JsValue::from_str)
        .collect::<Array>()
        .into()
}

/// What a graph file holds: `{kind, nodes, variables, placeholders, suggestedOutputs}`.
/// `role` is `"graph"` (`.pb`/`.pbtxt`), `"meta"` (`.meta`) or `"savedModel"`
/// (`saved_model.pb`, whose MetaGraphDef is picked by `tags`, comma-separated).
#[wasm_bindgen(js_name = inspectGraph)]
pub fn inspect_graph(name: &str, bytes: &[u8], role: &str, tags: &str) -> Result<JsValue, JsError> {
    let file = InputFile { name, bytes };
    let loaded = match role {
        "savedModel" => graph::load_saved_model(file, &saved_model_tags(tags)),
        "meta" => graph::load(file, Expect::MetaGraphDef, None),
        _ => graph::load(file, Expect::GraphDef, None),
    }
    .map_err(js_error)?;
    // A SavedModel names its outputs in its serving signature.
    let signature = loaded
        .meta_graph
        .as_ref()
        .and_then(graph::signature_outputs);
    let graph = &loaded.graph;
    // Saver placeholders (`save/Const`) are no input a user feeds.
    let typed = |ops: &[&str], inputs: bool| -> Array {
        graph
            .node
            .iter()
            .filter(|n| ops.contains(&n.op.as_str()) && !(inputs && in_training_scope(&n.name)))
            .map(|n| {
                object(&[
                    ("name", n.name.as_str().into()),
                    ("op", n.op.as_str().into()),
                    ("dtype", dtype_attr(n).into()),
                    ("shape", shape_attr(n).into()),
                ])
            })
            .collect()
    };
    Ok(object(&[
        ("kind", loaded.kind.describe().into()),
        ("nodes", (graph.node.len() as f64).into()),
        ("variables", typed(&VARIABLE_OPS, false).into()),
        (
            "placeholders",
            typed(&["Placeholder", "PlaceholderWithDefault"], true).into(),
        ),
        (
            "suggestedOutputs",
            match &signature {
                Some((_, outputs)) => strings(outputs.iter().map(String::as_str)),
                None => strings(suggested_outputs(graph)),
            },
        ),
    ]))
}

fn dtype_attr(node: &NodeDef) -> String {
    match node.attr.get("dtype").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Type(dtype)) => dtype_label(*dtype),
        _ => String::new(),
    }
}

fn shape_attr(node: &NodeDef) -> String {
    match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Shape(shape)) => bundle::shape_text(shape),
        _ => String::new(),
    }
}

/// `DT_FLOAT` as `float`, the spelling users know from Python.
fn dtype_label(dtype: i32) -> String {
    let name = bundle::dtype_name(dtype);
    name.strip_prefix("DT_")
        .map(str::to_lowercase)
        .unwrap_or(name)
}

/// Nodes nothing consumes, less those that save, restore, initialise or train.
fn suggested_outputs(graph: &GraphDef) -> Vec<&str> {
    let consumed: HashSet<&str> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter().map(|i| node_name(i)))
        .collect();
    graph
        .node
        .iter()
        .filter(|n| !consumed.contains(n.name.as_str()))
        .filter(|n| is_plausible_output(n))
        .map(|n| n.name.as_str())
        .collect()
}

fn is_plausible_output(node: &NodeDef) -> bool {
    let op = node.op.as_str();
    let leaf = node.name.rsplit('/').next().unwrap_or_default();
    !NOT_OUTPUT_OPS.contains(&op)
        && !op.ends_with("Summary")
        && !op.starts_with("Apply")
        && !op.starts_with("ResourceApply")
        && !NOT_OUTPUT_LEAVES.contains(&leaf)
        && !in_training_scope(&node.name)
}

/// True for names under a saver, initialiser, optimizer or loss scope
/// (`save_1/...`, `conv1/kernel/Adam_1/read`, `sparse_softmax_cross_entropy_loss/value`).
fn in_training_scope(name: &str) -> bool {
    let mut scopes = name.split('/');
    let first = scopes.next().unwrap_or_default();
    let is_loss = first == "loss" || first.ends_with("_loss") || first == "losses";
    is_loss
        || std::iter::once(first).chain(scopes).any(|scope| {
            let base = scope.trim_end_matches(|c: char| c.is_ascii_digit());
            let base = base.strip_suffix('_').unwrap_or(base);
            NOT_OUTPUT_SCOPES.contains(&base)
        })
}

/// What a `.index` holds: `{numShards, tensors: [{name, dtype, shape, size}]}`.
#[wasm_bindgen(js_name = inspectIndex)]
pub fn inspect_index(name: &str, bytes: &[u8]) -> Result<JsValue, JsError> {
    let index = BundleIndex::parse(name, bytes).map_err(js_error)?;
    let tensors: Array = index
        .tensor_names()
        .iter()
        .filter_map(|key| index.entry(key).map(|entry| (key, entry)))
        .map(|(key, entry)| {
            let shape = entry
                .shape
                .clone()
                .unwrap_or_else(TensorShapeProto::default);
            object(&[
                ("name", key.as_str().into()),
                ("dtype", dtype_label(entry.dtype).into()),
                ("shape", bundle::shape_text(&shape).into()),
                ("size", (entry.size as f64).into()),
            ])
        })
        .collect();
    Ok(object(&[
        ("numShards", index.num_shards().into()),
        ("tensors", tensors.into()),
    ]))
}

/// True if `bytes` is a V1 checkpoint (a table file named like a prefix, no `.index`).
#[wasm_bindgen(js_name = isV1Checkpoint)]
pub fn is_v1_checkpoint(bytes: &[u8]) -> bool {
    bundle::is_v1_table(bytes)
}

/// What a V1 checkpoint holds, given all its files as `[{name, bytes}]`:
/// `{numShards: 0, tensors: [{name, dtype, shape, size}]}` as for a `.index`.
#[wasm_bindgen(js_name = inspectV1)]
pub fn inspect_v1(files: Array) -> Result<JsValue, JsError> {
    let files = files
        .iter()
        .map(|file| file_value(&file, "inspectV1()"))
        .collect::<Result<Vec<_>, _>>()?;
    let borrowed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    let checkpoint = bundle::V1Checkpoint::parse(&borrowed).map_err(js_error)?;
    let tensors: Array = checkpoint
        .tensor_names()
        .iter()
        .filter_map(|name| checkpoint.dtype_and_shape(name).map(|t| (name, t)))
        .map(|(name, (dtype, shape))| {
            let size = bundle::element_size(dtype)
                .zip(bundle::num_elements(&shape))
                .and_then(|(size, count)| size.checked_mul(count));
            object(&[
                ("name", name.as_str().into()),
                ("dtype", dtype_label(dtype).into()),
                ("shape", bundle::shape_text(&shape).into()),
                ("size", size.map_or(JsValue::NULL, |s| (s as f64).into())),
            ])
        })
        .collect();
    Ok(object(&[
        ("numShards", 0.into()),
        ("tensors", tensors.into()),
    ]))
}

/// Continues a CRC32C over `data` (start from 0); compare the result with a
/// plan segment's `crc32c`.
#[wasm_bindgen(js_name = crc32cUpdate)]
pub fn crc32c_update(crc: u32, data: &[u8]) -> u32 {
    bundle::crc::extend(crc, data)
}

/// A freeze whose decisions are made: read the ranges of [`Freeze::reads`]
/// from the `.data` files, then call [`Freeze::finish`] with their bytes.
#[wasm_bindgen]
pub struct Freeze {
    prepared: Option<Prepared>,
}

#[wasm_bindgen]
impl Freeze {
    /// `[{shard, offset, len}]`: the small ranges of `.data` the core needs.
    pub fn reads(&self) -> Array {
        let reads = self
            .prepared
            .as_ref()
            .map(Prepared::reads)
            .unwrap_or_default();
        reads
            .iter()
            .map(|r| {
                object(&[
                    ("shard", r.shard.into()),
                    ("offset", (r.offset as f64).into()),
                    ("len", (r.len as f64).into()),
                ])
            })
            .collect()
    }

    /// The plan, given one `Uint8Array` per read: `{segments, summary, dataFiles, warnings}`,
    /// each segment a `Uint8Array` or `{shard, offset, len, crc32c, tensor}`.
    pub fn finish(&mut self, loaded: Array) -> Result<JsValue, JsError> {
        let prepared = self
            .prepared
            .take()
            .ok_or_else(|| JsError::new("this freeze has already finished"))?;
        let loaded: Vec<Vec<u8>> = loaded
            .iter()
            .map(|chunk| chunk.dyn_into::<Uint8Array>().map(|a| a.to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|_| JsError::new("finish() takes one Uint8Array per read"))?;
        let plan = prepared.finish(&loaded).map_err(js_error)?;
        Ok(plan_object(&plan))
    }
}

fn plan_object(plan: &Plan) -> JsValue {
    let segments: Array = plan
        .segments
        .iter()
        .map(|segment| match segment {
            Segment::Bytes(bytes) => Uint8Array::from(bytes.as_slice()).into(),
            Segment::Shard {
                shard,
                offset,
                len,
                crc32c,
                tensor,
            } => object(&[
                ("shard", (*shard).into()),
                ("offset", (*offset as f64).into()),
                ("len", (*len as f64).into()),
                ("crc32c", (*crc32c).into()),
                ("tensor", tensor.as_str().into()),
            ]),
        })
        .collect();
    let s = &plan.summary;
    let summary = object(&[
        ("variablesFrozen", (s.variables_frozen as f64).into()),
        ("nodesKept", (s.nodes_kept as f64).into()),
        ("nodesRemoved", (s.nodes_removed as f64).into()),
        ("outputBytes", (s.output_bytes as f64).into()),
    ]);
    object(&[
        ("segments", segments.into()),
        ("summary", summary),
        (
            "dataFiles",
            strings(plan.data_files.iter().map(String::as_str)),
        ),
        (
            "warnings",
            strings(plan.warnings.iter().map(String::as_str)),
        ),
    ])
}

/// Decides a freeze. `request` is `{graph: {name, bytes}, role, tags, index: {name, bytes},
/// moreTables: [{name, bytes}] (the other files of a sharded V1 checkpoint), prefix, shardSizes: [number|null], outputNodes, clearDevices, whitelist, denylist,
/// initializerNodes}` (`role` and `tags` as for [`inspect_graph`]); the lists are
/// comma-separated text, as TF's flags.
#[wasm_bindgen]
pub fn prepare(request: &JsValue) -> Result<Freeze, JsError> {
    let (graph_name, graph_bytes) = file_field(request, "graph")?;
    let (index_name, index_bytes) = file_field(request, "index")?;
    let more_tables = match field(request, "moreTables").dyn_into::<Array>() {
        Ok(files) => files
            .iter()
            .map(|file| file_value(&file, "prepare() moreTables"))
            .collect::<Result<Vec<_>, _>>()?,
        Err(_) => Vec::new(),
    };
    let prefix = text(request, "prefix");
    let graph_file = InputFile {
        name: &graph_name,
        bytes: &graph_bytes,
    };
    let role = text(request, "role");
    let request = FreezeRequest {
        graph: (role == "graph").then_some(graph_file),
        meta_graph: (role == "meta").then_some(graph_file),
        saver: None,
        saved_model: (role == "savedModel").then_some(graph_file),
        saved_model_tags: saved_model_tags(&text(request, "tags")),
        checkpoint: Checkpoint {
            prefix: &prefix,
            index: InputFile {
                name: &index_name,
                bytes: &index_bytes,
            },
            more_tables: more_tables
                .iter()
                .map(|(name, bytes)| InputFile { name, bytes })
                .collect(),
            shard_sizes: shard_sizes(&field(request, "shardSizes")),
        },
        input_binary: None,
        options: options(request),
    };
    let prepared = crate::prepare(&request).map_err(js_error)?;
    Ok(Freeze {
        prepared: Some(prepared),
    })
}

fn options(request: &JsValue) -> FreezeOptions {
    let list = |key: &str| crate::split_list(&text(request, key));
    let optional = |key: &str| Some(list(key)).filter(|names| !names.is_empty());
    FreezeOptions {
        output_node_names: list("outputNodes"),
        clear_devices: field(request, "clearDevices").as_bool().unwrap_or(true),
        variable_names_whitelist: optional("whitelist"),
        variable_names_denylist: optional("denylist"),
        initializer_nodes: list("initializerNodes"),
        ..FreezeOptions::default()
    }
}

/// TF's `--saved_model_tags`: comma-separated, `serve` when empty.
fn saved_model_tags(tags: &str) -> Vec<String> {
    let tags = crate::split_list(tags);
    if tags.is_empty() {
        vec!["serve".to_owned()]
    } else {
        tags
    }
}

fn field(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn text(obj: &JsValue, key: &str) -> String {
    field(obj, key).as_string().unwrap_or_default()
}

/// `{name, bytes: Uint8Array}` as the name and a copy of the bytes.
fn file_value(file: &JsValue, what: &str) -> Result<(String, Vec<u8>), JsError> {
    let bytes = field(file, "bytes").dyn_into::<Uint8Array>().map_err(|_| {
        JsError::new(&format!(
            "{what} needs files as {{name, bytes: Uint8Array}}"
        ))
    })?;
    Ok((text(file, "name"), bytes.to_vec()))
}

fn file_field(obj: &JsValue, key: &str) -> Result<(String, Vec<u8>), JsError> {
    file_value(&field(obj, key), &format!("prepare() {key}"))
}

fn shard_sizes(value: &JsValue) -> Vec<Option<u64>> {
    let Some(sizes) = value.dyn_ref::<Array>() else {
        return Vec::new();
    };
    sizes
        .iter()
        .map(|v| v.as_f64().filter(|n| *n >= 0.0).map(|n| n as u64))
        .collect()
}
