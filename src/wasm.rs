//! The page's bridge to the core: reads the small files and the few `.data` ranges
//! the core asks for (the download is built from slices of the `.data` files, so
//! weights never enter wasm memory whole); core errors become JS `Error`s.

use gloo_file::{futures::read_as_bytes, Blob};
use js_sys::{Array, Uint8Array, JSON};
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::File;

use crate::detect;
use crate::dropped::{self, Dropped, DroppedFiles};
use crate::layout::{self, V1Sniff};
use crate::options::{self, OptionRow, OptionValues};
use crate::plan::OutputFile;
use crate::{tfjs, zip, Error, ErrorKind, Prepared, Segment};

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// A JS `Error` whose `kind` says who is at fault (`input`, `unsupported`,
/// `usage`, `limit`), so the page can answer each its own way.
fn js_error(kind: ErrorKind, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property on a fresh Error cannot fail.
    let _ = js_sys::Reflect::set(&error, &"kind".into(), &kind.as_str().into());
    error.into()
}

impl From<Error> for JsValue {
    fn from(err: Error) -> JsValue {
        js_error(err.kind(), &page(&err.to_string()))
    }
}

/// The page names an option by its control's label, else by its TF name.
fn label(row: &OptionRow) -> String {
    row.page
        .map_or(row.flag.to_owned(), |p| format!("“{}”", p.label))
}

/// A core message in the page's words.
fn page(message: &str) -> String {
    options::phrase(message, label)
}

fn parse_json(text: &str) -> Result<JsValue, JsValue> {
    JSON::parse(text)
        .map_err(|_| js_error(ErrorKind::Limit, "the core wrote JSON the page cannot read"))
}

async fn read(blob: &Blob, name: &str) -> Result<Vec<u8>, JsValue> {
    let failed = |err| {
        js_error(
            ErrorKind::Input,
            &format!("{name}: the browser could not read it ({err})"),
        )
    };
    read_as_bytes(blob).await.map_err(failed)
}

async fn read_file(file: &File) -> Result<(String, Vec<u8>), JsValue> {
    Ok((file.name(), read(&file.clone().into(), &file.name()).await?))
}

async fn read_all(list: &[File]) -> Result<Vec<(String, Vec<u8>)>, JsValue> {
    let mut read_files = Vec::with_capacity(list.len());
    for file in list {
        read_files.push(read_file(file).await?);
    }
    Ok(read_files)
}

#[wasm_bindgen(js_name = optionTable)]
pub fn option_table() -> Result<JsValue, JsValue> {
    parse_json(&options::table_json())
}

/// Each `--target`'s preset: `{target: {flag: value}}` (see `options::presets_json`).
#[wasm_bindgen(js_name = targetPresets)]
pub fn target_presets() -> Result<JsValue, JsValue> {
    parse_json(&options::presets_json())
}

/// What each file is, from its first and last bytes and its name:
/// `{kind, text?, shard?, count?, candidates?, prefix, savedModelVariables}`.
#[wasm_bindgen(js_name = detectFiles)]
pub async fn detect_files(files: Vec<File>) -> Result<JsValue, JsValue> {
    let mut detected = Vec::with_capacity(files.len());
    for file in &files {
        let (blob, name) = (Blob::from(file.clone()), file.name());
        let size = blob.size();
        let head = read(&blob.slice(0, size.min(detect::HEAD_LEN as u64)), &name).await?;
        let tail_start = size.saturating_sub(detect::TAIL_LEN as u64);
        let tail = read(&blob.slice(tail_start, size), &name).await?;
        detected.push(detect::detect_file(&name, &head, &tail));
    }
    parse_json(&serde_json::to_string(&detected).unwrap_or_default())
}

#[wasm_bindgen(js_name = isV1Checkpoint)]
pub async fn is_v1_checkpoint(file: File) -> Result<bool, JsValue> {
    let (blob, name) = (Blob::from(file.clone()), file.name());
    let size = blob.size();
    let tail = blob.slice(size.saturating_sub(layout::TAIL_LEN), size);
    let answer = match layout::sniff_v1_tail(&name, size, &read(&tail, &name).await?) {
        V1Sniff::No => false,
        V1Sniff::Yes => true,
        V1Sniff::ReadWhole => layout::is_v1_table(&read(&blob, &name).await?),
    };
    Ok(answer)
}

/// The layout of the checkpoint whose `.index` (or V1 tables) are `tables`.
#[wasm_bindgen(js_name = inspectCheckpoint)]
pub async fn inspect_checkpoint(tables: Vec<File>) -> Result<JsValue, JsValue> {
    let files = DroppedFiles::default().with_tables(read_all(&tables).await?);
    parse_json(&files.checkpoint_layout()?.to_json())
}

/// What stops a freeze of the dropped files: `dropped` is
/// `{graph?, checkpoint?, otherFiles}` as [`Dropped`] reads it; returns
/// `{problems: [{kind, message}], missing}`.
#[wasm_bindgen]
pub fn diagnose(dropped: JsValue) -> Result<JsValue, JsValue> {
    let described = |err: String| {
        js_error(
            ErrorKind::Usage,
            &format!("the page described its files in a way the core cannot read ({err})"),
        )
    };
    let text = String::from(JSON::stringify(&dropped).map_err(|_| described("not JSON".into()))?);
    let dropped: Dropped = serde_json::from_str(&text).map_err(|err| described(err.to_string()))?;
    parse_json(&dropped::diagnose(&dropped).to_json())
}

/// A graph and its checkpoint's `.index` or V1 tables; `options` are
/// `flag=value` items of the option table.
async fn dropped(
    graph: File,
    tables: &[File],
    prefix: String,
    options: &[String],
) -> Result<DroppedFiles, JsValue> {
    let options = OptionValues::from_pairs(options)?;
    let (graph, tables) = (read_file(&graph).await?, read_all(tables).await?);
    Ok(DroppedFiles::new(graph, tables, prefix, options))
}

/// The core's `--inspect` report on a graph and its checkpoint.
#[wasm_bindgen]
pub async fn inspect(
    graph: File,
    tables: Vec<File>,
    prefix: String,
    options: Vec<String>,
) -> Result<JsValue, JsValue> {
    let files = dropped(graph, &tables, prefix, &options).await?;
    let report = crate::inspect_request(&files.request(label)?)?;
    parse_json(&page(&report.to_json()))
}

/// The dropped files of a freeze, with the data shards (a `File` or null
/// each) and their sizes.
async fn with_shards(
    graph: File,
    tables: &[File],
    prefix: String,
    shards: Vec<JsValue>,
    options: &[String],
) -> Result<(DroppedFiles, Vec<Option<File>>), JsValue> {
    let shards: Vec<Option<File>> = shards.into_iter().map(|f| f.dyn_into().ok()).collect();
    let mut files = dropped(graph, tables, prefix, options).await?;
    let size = |f: &Option<File>| f.as_ref().map(|f| f.size() as u64);
    files.shard_sizes = shards.iter().map(size).collect();
    Ok((files, shards))
}

/// Freezes; `shards` has a `File` or null per data shard, `command` goes into
/// the report. Returns `[segments, reportJson]`, each segment a `Uint8Array`
/// or `{shard, offset, len, crc32c, tensor}`.
#[wasm_bindgen]
pub async fn freeze(
    graph: File,
    tables: Vec<File>,
    prefix: String,
    shards: Vec<JsValue>,
    options: Vec<String>,
    command: String,
) -> Result<Array, JsValue> {
    let (files, shards) = with_shards(graph, &tables, prefix, shards, &options).await?;
    let prepared = crate::prepare(&files.request(label)?)?;
    let loaded = read_ranges(&prepared, &shards).await?;
    let plan = prepared.finish(&loaded)?;
    let segments: Result<Array, _> = plan.segments.iter().map(segment).collect();
    Ok(Array::of2(
        &segments?.into(),
        &page(&plan.report_json(&command)).into(),
    ))
}

/// Exports a TF.js graph model (the options' `quantize_*` and
/// `weight_shard_size_bytes` as the CLI takes them), from the same arguments
/// as [`freeze`]. Returns `[modelJson, files, segments, reportJson]`:
/// `files` the weight files `[{name, bytes}]` in order, `segments` their
/// contents one after the other, as [`freeze`]'s.
#[wasm_bindgen(js_name = exportTfjs)]
pub async fn export_tfjs(
    graph: File,
    tables: Vec<File>,
    prefix: String,
    shards: Vec<JsValue>,
    options: Vec<String>,
    command: String,
) -> Result<Array, JsValue> {
    let (files, shards) = with_shards(graph, &tables, prefix, shards, &options).await?;
    let export_options = tfjs::ExportOptions::from_values(&files.options)?;
    let mut prepared = crate::prepare(&files.request(label)?)?;
    tfjs::prepare_export(&mut prepared, &export_options)?;
    let loaded = read_ranges(&prepared, &shards).await?;
    let export = tfjs::export(prepared, &loaded, &export_options)?;
    let segments: Result<Array, _> = export.weights.iter().map(segment).collect();
    let weight_files: Vec<OutputFile> = export
        .files
        .iter()
        .map(|(name, bytes)| OutputFile {
            name: name.clone(),
            bytes: *bytes,
        })
        .collect();
    let result = Array::new();
    result.push(&Uint8Array::from(export.model_json.as_slice()).into());
    result.push(&parse_json(
        &serde_json::to_string(&weight_files).unwrap_or_default(),
    )?);
    result.push(&segments?.into());
    result.push(&page(&export.plan.report_json(&command)).into());
    Ok(result)
}

/// The few ranges of the `.data` files that the core reads itself.
async fn read_ranges(
    prepared: &Prepared,
    shards: &[Option<File>],
) -> Result<Vec<Vec<u8>>, JsValue> {
    let mut loaded = Vec::with_capacity(prepared.reads().len());
    for range in prepared.reads() {
        let shard = range.shard as usize;
        let name = prepared.data_files().get(shard).map_or("", |n| n.as_str());
        let file = shards.get(shard).and_then(Option::as_ref);
        let file = file.ok_or_else(|| js_error(ErrorKind::Input, &format!("{name} is missing")))?;
        let end = range.offset.saturating_add(range.len);
        loaded.push(read(&Blob::from(file.clone()).slice(range.offset, end), name).await?);
    }
    Ok(loaded)
}

/// A stored `.zip` of `entries` (`[{name, len, crc32}]`, in order): its
/// parts, each header bytes (`Uint8Array`) or the number of the entry whose
/// bytes go there.
#[wasm_bindgen(js_name = storedZip)]
pub fn stored_zip(entries: JsValue) -> Result<Array, JsValue> {
    #[derive(serde::Deserialize)]
    struct Given {
        name: String,
        len: u64,
        crc32: u32,
    }
    let text = String::from(
        JSON::stringify(&entries)
            .map_err(|_| js_error(ErrorKind::Usage, "zip: the entries are not JSON"))?,
    );
    let given: Vec<Given> = serde_json::from_str(&text).map_err(|err| {
        js_error(
            ErrorKind::Usage,
            &format!("zip: the entries are not [{{name, len, crc32}}] ({err})"),
        )
    })?;
    let entries: Vec<zip::Entry> = given
        .into_iter()
        .map(|g| zip::Entry {
            name: g.name,
            len: g.len,
            crc32: g.crc32,
        })
        .collect();
    Ok(zip::stored(&entries)?
        .into_iter()
        .map(|part| match part {
            zip::Part::Bytes(bytes) => JsValue::from(Uint8Array::from(bytes.as_slice())),
            zip::Part::File(n) => JsValue::from(n as u32),
        })
        .collect())
}

/// Continues a file's CRC-32 over `data` (start from 0), for [`stored_zip`].
#[wasm_bindgen(js_name = crc32Update)]
pub fn crc32_update(crc: u32, data: &[u8]) -> u32 {
    zip::crc32_update(crc, data)
}

fn segment(segment: &Segment) -> Result<JsValue, JsValue> {
    match segment {
        Segment::Bytes(bytes) => Ok(Uint8Array::from(bytes.as_slice()).into()),
        Segment::Shard { shard, offset, len, crc32c, tensor } => parse_json(&format!(
            "{{\"shard\":{shard},\"offset\":{offset},\"len\":{len},\"crc32c\":{crc32c},\"tensor\":{}}}",
            serde_json::Value::from(tensor.as_str())
        )),
    }
}

/// Continues a CRC32C over `data` (start from 0), to compare with a segment's `crc32c`.
#[wasm_bindgen(js_name = crc32cUpdate)]
pub fn crc32c_update(crc: u32, data: &[u8]) -> u32 {
    crate::bundle::crc::extend(crc, data)
}

/// The model's name for its downloads, from its files' paths as given, most
/// telling first (the checkpoint prefix, then the graph): see `layout::model_name`.
#[wasm_bindgen(js_name = modelName)]
pub fn model_name(paths: Vec<String>) -> String {
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    layout::model_name(&paths)
}

/// The tag sets of a SavedModel's MetaGraphDefs, in file order, each sorted
/// (`[["serve"], ["gpu", "serve"]]`), so the page offers a choice of them.
#[wasm_bindgen(js_name = savedModelTagSets)]
pub async fn saved_model_tag_sets(file: File) -> Result<JsValue, JsValue> {
    use prost::Message;
    let (name, bytes) = read_file(&file).await?;
    let model = match crate::proto::SavedModel::decode(bytes.as_slice()) {
        Ok(model) if !model.meta_graphs.is_empty() => model,
        _ => {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| js_error(ErrorKind::Input, &format!("{name}: not a SavedModel")))?;
            crate::graph::parse_text::<crate::proto::SavedModel>(
                &name,
                text,
                "tensorflow.SavedModel",
            )?
        }
    };
    let sets: Vec<Vec<String>> = model
        .meta_graphs
        .iter()
        .map(|m| {
            let tags: std::collections::BTreeSet<&String> =
                m.meta_info_def.iter().flat_map(|i| &i.tags).collect();
            tags.into_iter().cloned().collect()
        })
        .collect();
    parse_json(&serde_json::to_string(&sets).unwrap_or_default())
}

/// The crc32c of `a ‖ b` from those of `a` and `b` and `b`'s length, so
/// workers can checksum pieces of one tensor apart.
#[wasm_bindgen(js_name = crc32cCombine)]
pub fn crc32c_combine(crc_a: u32, crc_b: u32, len_b: u32) -> u32 {
    crate::bundle::crc::combine(crc_a, crc_b, len_b as usize)
}

thread_local! {
    /// The last graph the output field asked about, by file and tag set: the
    /// field asks on every key press, and parsing a large graph each time
    /// would make typing lag. One graph only, so memory stays one graph's.
    static FIELD_GRAPH: std::cell::RefCell<Option<(String, std::rc::Rc<crate::Graph>)>> =
        const { std::cell::RefCell::new(None) };
}

/// The graph of `graph` (a SavedModel's meta graph per `options`), parsed once
/// for the output field's questions.
async fn field_graph(
    graph: File,
    options: &[String],
) -> Result<std::rc::Rc<crate::Graph>, JsValue> {
    let key = format!(
        "{}|{}|{}|{}",
        graph.name(),
        graph.size(),
        graph.last_modified(),
        options.join("|")
    );
    if let Some(cached) = FIELD_GRAPH.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, g)| g.clone())
    }) {
        return Ok(cached);
    }
    let files = dropped(graph, &[], String::new(), options).await?;
    let loaded = std::rc::Rc::new(crate::Graph::load(&files.request(label)?)?);
    FIELD_GRAPH.with(|c| *c.borrow_mut() = Some((key, loaded.clone())));
    Ok(loaded)
}

/// The output field's type-ahead: at most `limit` nodes whose names contain
/// `query`, `{nodes: [{name, op, dtype, shape}], total}`.
#[wasm_bindgen(js_name = graphNodes)]
pub async fn graph_nodes(
    graph: File,
    options: Vec<String>,
    query: String,
    limit: usize,
) -> Result<JsValue, JsValue> {
    let loaded = field_graph(graph, &options).await?;
    let found = loaded.nodes_matching(&query, limit);
    parse_json(&serde_json::to_string(&found).unwrap_or_default())
}

/// What node `name` is computed from (`depth` levels) and what reads it:
/// `{node, producers: [{node, role, inputs, repeated, hidden}], consumers: [{node, role, leads_to}], training_consumers}`.
#[wasm_bindgen(js_name = nodeNeighbourhood)]
pub async fn node_neighbourhood(
    graph: File,
    options: Vec<String>,
    name: String,
    depth: usize,
) -> Result<JsValue, JsValue> {
    let loaded = field_graph(graph, &options).await?;
    let near = loaded.neighbourhood(&name, depth)?;
    parse_json(&serde_json::to_string(&near).unwrap_or_default())
}

/// The output field's names as the freeze resolves them:
/// `[{given, node}]` or `[{given, suggestions}]` for a name not in the graph.
#[wasm_bindgen(js_name = checkOutputs)]
pub async fn check_outputs(
    graph: File,
    options: Vec<String>,
    names: Vec<String>,
) -> Result<JsValue, JsValue> {
    let loaded = field_graph(graph, &options).await?;
    let checked: Vec<serde_json::Value> = loaded
        .check_outputs(&names)
        .into_iter()
        .map(|(given, found)| match found {
            Ok(node) => serde_json::json!({ "given": given, "node": node }),
            Err(near) => serde_json::json!({ "given": given, "suggestions": near }),
        })
        .collect();
    parse_json(&serde_json::Value::from(checked).to_string())
}
