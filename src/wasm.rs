//! The page's bridge to the core: async wasm-bindgen exports that take the
//! dropped `File`s, read the small ones (graph, `.index` or V1 tables) and the
//! few ranges of `.data` the core asks for with `gloo-file`, and hand back
//! plain JS values. The weights themselves never enter wasm memory whole: the
//! page builds the download from slices of the dropped `.data` files, and only
//! streams them through [`crc32c_update`].
//! Every error becomes a JS `Error` whose message is the core's sentence.

use gloo_file::futures::read_as_bytes;
use gloo_file::Blob;
use js_sys::{Array, Object, Reflect, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::File;

use crate::bundle::{self, BundleIndex, Footer, V1Checkpoint};
use crate::cleanup::parse_assignments;
use crate::{CheckpointFiles, FreezeOptions, FreezeRequest, InputFile, Plan, Segment};

/// Tables larger than this are taken for V1 checkpoints by their magic alone
/// (the freeze checks them), so sniffing never reads a huge file whole.
const V1_SNIFF_LIMIT: u64 = 256 * 1024 * 1024;
/// A table's footer: the last bytes of every `.index` and V1 table file.
const FOOTER_LEN: u64 = bundle::FOOTER_LEN as u64;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(err: crate::Error) -> JsError {
    JsError::new(&err.to_string())
}

/// A core value as JS, through the JSON the core writes for the CLI.
fn parse_json(text: &str) -> Result<JsValue, JsError> {
    JSON::parse(text).map_err(|_| JsError::new("the core wrote JSON the page cannot read"))
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (key, value) in pairs {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(key), value);
    }
    obj.into()
}

fn field(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn text(obj: &JsValue, key: &str) -> String {
    field(obj, key).as_string().unwrap_or_default()
}

fn flag(obj: &JsValue, key: &str) -> bool {
    field(obj, key).as_bool().unwrap_or(false)
}

fn file_list(value: &JsValue) -> Vec<File> {
    value
        .dyn_ref::<Array>()
        .map(|list| list.iter().filter_map(|f| f.dyn_into().ok()).collect())
        .unwrap_or_default()
}

/// A file read whole: its name and bytes.
struct Read {
    name: String,
    bytes: Vec<u8>,
}

impl Read {
    fn input(&self) -> InputFile<'_> {
        InputFile {
            name: &self.name,
            bytes: &self.bytes,
        }
    }
}

async fn read_blob(blob: &Blob, name: &str) -> Result<Vec<u8>, JsError> {
    read_as_bytes(blob)
        .await
        .map_err(|err| JsError::new(&format!("{name}: the browser could not read it ({err})")))
}

async fn read_file(file: &File) -> Result<Read, JsError> {
    let name = file.name();
    let bytes = read_blob(&Blob::from(file.clone()), &name).await?;
    Ok(Read { name, bytes })
}

async fn read_all(list: &[File]) -> Result<Vec<Read>, JsError> {
    let mut read = Vec::with_capacity(list.len());
    for file in list {
        read.push(read_file(file).await?);
    }
    Ok(read)
}

/// True if `file` is a V1 checkpoint (a table file named like a prefix, no `.index`).
#[wasm_bindgen(js_name = isV1Checkpoint)]
pub async fn is_v1_checkpoint(file: File) -> Result<bool, JsError> {
    let blob = Blob::from(file.clone());
    let size = blob.size();
    if size < FOOTER_LEN {
        return Ok(false);
    }
    let tail = read_blob(&blob.slice(size - FOOTER_LEN, size), &file.name()).await?;
    if Footer::parse(&file.name(), &tail).is_err() {
        return Ok(false);
    }
    if size > V1_SNIFF_LIMIT {
        return Ok(true);
    }
    Ok(bundle::is_v1_table(&read_file(&file).await?.bytes))
}

/// How a checkpoint is laid out, given its `.index` (or every file of a V1
/// checkpoint): `{numShards, tensors}`, `numShards` 0 for V1.
#[wasm_bindgen(js_name = inspectCheckpoint)]
pub async fn inspect_checkpoint(files: Array) -> Result<JsValue, JsError> {
    let read = read_all(&file_list(&files.into())).await?;
    let first = read
        .first()
        .ok_or_else(|| JsError::new("inspectCheckpoint() needs at least one file"))?;
    let (num_shards, tensors) = if bundle::is_v1_table(&first.bytes) {
        let tables: Vec<(&str, &[u8])> = read
            .iter()
            .map(|r| (r.name.as_str(), r.bytes.as_slice()))
            .collect();
        let checkpoint = V1Checkpoint::parse(&tables).map_err(js_error)?;
        (0, checkpoint.tensor_names().len())
    } else {
        let index = BundleIndex::parse(&first.name, &first.bytes).map_err(js_error)?;
        (index.num_shards(), index.tensor_names().len())
    };
    Ok(object(&[
        ("numShards", num_shards.into()),
        ("tensors", (tensors as f64).into()),
    ]))
}

/// The files of a request, read: the graph, the checkpoint's `.index` (or
/// first V1 table, absent when none was dropped) and its other V1 tables.
struct RequestFiles {
    graph: Read,
    index: Option<Read>,
    more_tables: Vec<Read>,
}

impl RequestFiles {
    async fn read(request: &JsValue) -> Result<Self, JsError> {
        let graph = field(request, "graph")
            .dyn_into::<File>()
            .map_err(|_| JsError::new("the request has no graph file"))?;
        let index = match field(request, "index").dyn_into::<File>() {
            Ok(file) => Some(read_file(&file).await?),
            Err(_) => None,
        };
        Ok(RequestFiles {
            graph: read_file(&graph).await?,
            index,
            more_tables: read_all(&file_list(&field(request, "moreTables"))).await?,
        })
    }

    /// The core's request. `request` is `{role, tags, prefix, shardSizes,
    /// outputNodes, ...}`; `role` is `"graph"` (`.pb`/`.pbtxt`), `"meta"`
    /// (`.meta`) or `"savedModel"` (`saved_model.pb`).
    fn request<'a>(
        &'a self,
        request: &JsValue,
        prefix: &'a str,
        options: FreezeOptions,
    ) -> FreezeRequest<'a> {
        let graph = Some(self.graph.input());
        let role = text(request, "role");
        let empty = InputFile {
            name: "",
            bytes: &[],
        };
        FreezeRequest {
            graph: graph.filter(|_| role == "graph"),
            meta_graph: graph.filter(|_| role == "meta"),
            saver: None,
            saved_model: graph.filter(|_| role == "savedModel"),
            saved_model_tags: saved_model_tags(&text(request, "tags")),
            checkpoint: CheckpointFiles {
                prefix,
                index: self.index.as_ref().map_or(empty, Read::input),
                more_tables: self.more_tables.iter().map(Read::input).collect(),
                shard_sizes: files_or_gaps(&field(request, "shards"))
                    .iter()
                    .map(|f| f.as_ref().map(|f| f.size() as u64))
                    .collect(),
            },
            input_binary: None,
            options,
        }
    }
}

/// The core's `--inspect` report (see `inspect::Report::to_json`) on the
/// graph and checkpoint of `request` (`{graph, role, tags, index, moreTables,
/// prefix, outputNodes}`; `index` may be null).
#[wasm_bindgen]
pub async fn inspect(request: JsValue) -> Result<JsValue, JsError> {
    let read = RequestFiles::read(&request).await?;
    let prefix = text(&request, "prefix");
    let options = FreezeOptions {
        output_node_names: crate::split_list(&text(&request, "outputNodes")),
        ..FreezeOptions::default()
    };
    let report =
        crate::inspect_request(&read.request(&request, &prefix, options)).map_err(js_error)?;
    parse_json(&report.to_json())
}

/// Freezes. `request` is as for [`inspect`], plus `shards` (one `File` or
/// null per data shard), the options (`clearDevices`, `whitelist`,
/// `denylist`, `initializerNodes`, `fixRefOps`, `placeholderToConst`,
/// `stripTrainingNodes`, `inputPlaceholder`, `useMovingAverages`,
/// `allowOver2gb`; lists as comma-separated text, as TF's flags) and
/// `command` (the equivalent command line, for the report). Returns
/// `{segments, dataFiles, report, reportJson}`: each segment a `Uint8Array`
/// or `{shard, offset, len, crc32c, tensor}`, `report` the CLI's `--report`.
#[wasm_bindgen]
pub async fn freeze(request: JsValue) -> Result<JsValue, JsError> {
    let read = RequestFiles::read(&request).await?;
    let prefix = text(&request, "prefix");
    let options = options(&request)?;
    let prepared = crate::prepare(&read.request(&request, &prefix, options)).map_err(js_error)?;
    let shards = files_or_gaps(&field(&request, "shards"));
    let mut loaded = Vec::with_capacity(prepared.reads().len());
    for range in prepared.reads() {
        let name = prepared
            .data_files()
            .get(range.shard as usize)
            .cloned()
            .unwrap_or_default();
        let file = shards
            .get(range.shard as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| JsError::new(&format!("{name} is missing")))?;
        let end = range.offset.saturating_add(range.len);
        let blob = Blob::from(file.clone()).slice(range.offset, end);
        loaded.push(read_blob(&blob, &name).await?);
    }
    let plan = prepared.finish(&loaded).map_err(js_error)?;
    let report_json = plan.report_json(&text(&request, "command"));
    Ok(object(&[
        ("segments", segments(&plan).into()),
        (
            "dataFiles",
            plan.data_files
                .iter()
                .map(|name| JsValue::from_str(name))
                .collect::<Array>()
                .into(),
        ),
        ("report", parse_json(&report_json)?),
        ("reportJson", report_json.into()),
    ]))
}

fn segments(plan: &Plan) -> Array {
    plan.segments
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
        .collect()
}

/// Continues a CRC32C over `data` (start from 0); compare the result with a
/// plan segment's `crc32c`.
#[wasm_bindgen(js_name = crc32cUpdate)]
pub fn crc32c_update(crc: u32, data: &[u8]) -> u32 {
    bundle::crc::extend(crc, data)
}

/// TF's `freeze_graph` flags and the opt-in cleanups, from the request.
fn options(request: &JsValue) -> Result<FreezeOptions, JsError> {
    let list = |key: &str| crate::split_list(&text(request, key));
    let optional = |key: &str| Some(list(key)).filter(|names| !names.is_empty());
    let placeholder_to_const = parse_assignments(&text(request, "placeholderToConst"))
        .map_err(|err| JsError::new(&format!("Replace placeholders by constants: {err}")))?;
    let input_placeholder = text(request, "inputPlaceholder").trim().to_owned();
    Ok(FreezeOptions {
        output_node_names: list("outputNodes"),
        clear_devices: field(request, "clearDevices").as_bool().unwrap_or(true),
        variable_names_whitelist: optional("whitelist"),
        variable_names_denylist: optional("denylist"),
        initializer_nodes: list("initializerNodes"),
        allow_over_2gb: flag(request, "allowOver2gb"),
        fix_ref_ops: flag(request, "fixRefOps"),
        placeholder_to_const,
        strip_training_nodes: flag(request, "stripTrainingNodes"),
        input_placeholder: Some(input_placeholder).filter(|name| !name.is_empty()),
        use_moving_averages: flag(request, "useMovingAverages"),
        ..FreezeOptions::default()
    })
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

/// `[File | null]`: one entry per data shard, `None` where it was not dropped.
fn files_or_gaps(value: &JsValue) -> Vec<Option<File>> {
    value
        .dyn_ref::<Array>()
        .map(|list| list.iter().map(|f| f.dyn_into().ok()).collect())
        .unwrap_or_default()
}
