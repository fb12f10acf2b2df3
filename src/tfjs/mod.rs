//! The TF.js graph model format, as `tensorflowjs_converter` 4.x writes it
//! (tfjs-converter/python/tensorflowjs/converters/tf_saved_model_conversion_v2.py,
//! `extract_weights` and `write_artifacts`; write_weights.py): a `model.json`
//! holding the GraphDef in protobuf's JSON mapping with every `Const`'s value
//! taken out, and the values, in graph order, concatenated and cut into
//! `group1-shard{i}of{n}.bin` files.
//!
//! Like the frozen `.pb`, the weights are a list of segments: float32, int32
//! and complex64 values stay ranges of the `.data` shards; only quantized or
//! narrowed values (float64, int64, complex128) pass through memory.

#![deny(clippy::indexing_slicing)]

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, Write};

use crate::error::{Error, Result};
use crate::freeze::Prepared;
use crate::options::{split_list, OptionValues};
use crate::plan::{self, ContentRef, Plan, Segment};
use crate::proto::{attr_value, DataType, GraphDef, NodeDef, TensorProto};

mod model_json;
pub mod quantize;
mod shards;
mod weights;

pub use model_json::ManifestWeight;
pub use quantize::{Quantization, Selection};

/// The converter's default `--weight_shard_size_bytes`: 4 MiB, the largest
/// file every major browser caches (write_weights.py).
pub const DEFAULT_SHARD_SIZE: u64 = 4 * 1024 * 1024;

/// The model's file, beside the weight files.
pub const MODEL_JSON: &str = "model.json";

/// How to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// Quantizations and the weights they apply to.
    pub quantize: Vec<(Quantization, Selection)>,
    /// The size of each weight file but the last.
    pub shard_size: u64,
}

impl ExportOptions {
    /// The export that the option values ask for: `quantize_float16`,
    /// `quantize_uint8`, `quantize_uint16` (given bare: every float32 weight;
    /// with patterns: the weights whose names match) and
    /// `weight_shard_size_bytes`.
    pub fn from_values(values: &OptionValues) -> Result<ExportOptions> {
        let text = values.text("weight_shard_size_bytes");
        let shard_size = text.parse::<u64>().ok().filter(|&n| n > 0).ok_or_else(|| {
            Error::Usage(format!(
                "`weight_shard_size_bytes` takes a number of bytes greater than 0, not '{text}'"
            ))
        })?;
        let mut quantize = Vec::new();
        for (flag, quantization) in [
            ("quantize_float16", Quantization::Float16),
            ("quantize_uint8", Quantization::Uint8),
            ("quantize_uint16", Quantization::Uint16),
        ] {
            match values.given(flag) {
                Some("") => quantize.push((quantization, Selection::All)),
                Some(patterns) => {
                    quantize.push((quantization, Selection::Patterns(split_list(patterns))))
                }
                None => {}
            }
        }
        Ok(ExportOptions {
            quantize,
            shard_size,
        })
    }
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            quantize: Vec::new(),
            shard_size: DEFAULT_SHARD_SIZE,
        }
    }
}

/// A TF.js graph model, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportPlan {
    /// The `model.json` file.
    pub model_json: Vec<u8>,
    /// The weight files' contents, one after the other.
    pub weights: Vec<Segment>,
    /// The weight files, with their sizes, in order.
    pub files: Vec<(String, u64)>,
    /// The manifest's weights, in order.
    pub manifest: Vec<ManifestWeight>,
    /// What the freeze did (its `segments` are empty) and its warnings.
    pub plan: Plan,
}

impl ExportPlan {
    /// Writes the weight files: `open(name)` gives the writer of each file in
    /// turn; shard ranges are copied from `shards` and, with `verify`,
    /// checked against their stored crc32c. Returns the bytes written.
    pub fn write_weights<W: Write, S: Read + Seek>(
        &self,
        open: impl FnMut(&str) -> std::io::Result<W>,
        shards: &mut [S],
        verify: bool,
    ) -> Result<u64> {
        let mut out = shards::Cutter::new(&self.files, open);
        let written = plan::stream_segments(
            &self.weights,
            &self.plan.data_files,
            &mut out,
            shards,
            verify,
        )?;
        out.finish().map_err(|e| Error::Output {
            file: "the output".into(),
            detail: e.to_string(),
        })?;
        Ok(written)
    }
}

/// The Consts, in graph order, with their tensors.
fn consts(graph: &GraphDef) -> impl Iterator<Item = (usize, &NodeDef, &TensorProto)> {
    graph.node.iter().enumerate().filter_map(|(i, node)| {
        if node.op != "Const" {
            return None;
        }
        match node.attr.get("value").and_then(|a| a.value.as_ref()) {
            Some(attr_value::Value::Tensor(t)) => Some((i, node, &**t)),
            _ => None,
        }
    })
}

/// The quantization of each Const, by graph order.
fn chosen(graph: &GraphDef, options: &ExportOptions) -> Result<Vec<Option<Quantization>>> {
    let names: Vec<&str> = consts(graph).map(|(_, n, _)| n.name.as_str()).collect();
    quantize::choose(&options.quantize, &names)
}

/// Asks for the values that pass through memory (quantized float32 and
/// narrowed dtypes) to be read: call before reading [`Prepared::reads`].
pub fn prepare_export(prepared: &mut Prepared, options: &ExportOptions) -> Result<()> {
    let graph = prepared.graph();
    let quantizations = chosen(graph, options)?;
    let in_memory: HashSet<String> = consts(graph)
        .zip(quantizations)
        .filter(|((_, _, t), q)| {
            (q.is_some() && t.dtype == DataType::DtFloat as i32) || !weights::stored_as_is(t.dtype)
        })
        .map(|((_, n, _), _)| n.name.clone())
        .collect();
    prepared.read_values(&in_memory);
    Ok(())
}

/// Completes the freeze with the bytes of [`Prepared::reads`] (after
/// [`prepare_export`]) and lays out the TF.js model.
pub fn export(
    mut prepared: Prepared,
    loaded: &[Vec<u8>],
    options: &ExportOptions,
) -> Result<ExportPlan> {
    if options.shard_size == 0 {
        return Err(Error::Usage(
            "`weight_shard_size_bytes` must be greater than 0".into(),
        ));
    }
    let content = prepared.fill(loaded)?;
    let mut graph = prepared.graph().clone();
    let quantizations = chosen(&graph, options)?;
    let mut warnings = Vec::new();
    let (weights, manifest) = take_weights(&mut graph, &content, &quantizations, &mut warnings)?;
    let total: u64 = weights.iter().map(Segment::len).sum();
    let files = shards::file_names(total, options.shard_size);
    let signature = model_json::signature(&graph, prepared.outputs());
    let model_json = model_json::write(model_json::Model {
        graph: &graph,
        signature,
        generated_by: prepared.tf_version().unwrap_or("unknown"),
        paths: files.iter().map(|(name, _)| name.clone()).collect(),
        manifest: &manifest,
    })?;
    let mut plan = prepared.into_plan(Vec::new(), total);
    plan.warnings.extend(warnings);
    plan.summary.output_files = std::iter::once((MODEL_JSON.to_owned(), model_json.len() as u64))
        .chain(files.iter().cloned())
        .map(|(name, bytes)| plan::OutputFile { name, bytes })
        .collect();
    Ok(ExportPlan {
        model_json,
        weights,
        files,
        manifest,
        plan,
    })
}

/// Takes every Const's value out of the graph (`extract_const_nodes`: the
/// tensor keeps its dtype and shape) and returns the weight bytes and the
/// manifest entries, in graph order.
fn take_weights(
    graph: &mut GraphDef,
    content: &HashMap<usize, ContentRef>,
    quantizations: &[Option<Quantization>],
    warnings: &mut Vec<String>,
) -> Result<(Vec<Segment>, Vec<ManifestWeight>)> {
    let indices: Vec<usize> = consts(graph).map(|(i, _, _)| i).collect();
    let mut segments = Vec::new();
    let mut manifest = Vec::new();
    for (k, i) in indices.into_iter().enumerate() {
        let Some(node) = graph.node.get_mut(i) else {
            continue;
        };
        let name = node.name.clone();
        let Some(attr_value::Value::Tensor(tensor)) =
            node.attr.get_mut("value").and_then(|a| a.value.as_mut())
        else {
            continue;
        };
        let dtype = weights::tfjs_dtype(tensor.dtype)
            .ok_or_else(|| weights::unsupported_dtype(tensor.dtype, &name))?;
        let shape = weights::shape(tensor, &name)?;
        let float = tensor.dtype == DataType::DtFloat as i32;
        let quantization = quantizations.get(k).copied().flatten().filter(|_| float);
        let mut entry = ManifestWeight {
            name: name.clone(),
            shape,
            dtype,
            quantization: None,
        };
        match (content.get(&i), quantization) {
            (Some(range), None) if weights::stored_as_is(tensor.dtype) => {
                segments.push(Segment::Shard {
                    shard: range.shard,
                    offset: range.offset,
                    len: range.len,
                    crc32c: range.crc32c,
                    tensor: range.tensor.clone(),
                });
            }
            (Some(_), _) => {
                return Err(Error::Usage(format!(
                    "the value of Const '{name}' was not read: call prepare_export before reading"
                )))
            }
            (None, Some(q)) => {
                let values = weights::float_values(tensor, &name)?;
                match quantize::quantize(&values, q) {
                    Some((bytes, info)) => {
                        entry.quantization = Some(info);
                        segments.push(Segment::Bytes(bytes));
                    }
                    None => {
                        warnings.push(format!(
                            "weight '{name}' holds values that are not finite: left unquantized"
                        ));
                        segments.push(Segment::Bytes(weights::weight_bytes(tensor, &name)?));
                    }
                }
            }
            (None, None) => segments.push(Segment::Bytes(weights::weight_bytes(tensor, &name)?)),
        }
        if weights::narrowed(tensor.dtype) {
            warnings.push(format!(
                "weight '{name}' is {} and is written as {dtype}, as the TF.js converter does",
                crate::dtype::dtype_text(tensor.dtype)
            ));
        }
        clear_values(tensor);
        manifest.push(entry);
    }
    if let Some(library) = graph.library.as_mut() {
        for function in &mut library.function {
            let prefix = function
                .signature
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            rename_constants(&mut function.node_def, &prefix);
            for node in function.node_def.iter_mut().filter(|n| n.op == "Const") {
                let Some(attr_value::Value::Tensor(tensor)) =
                    node.attr.get_mut("value").and_then(|a| a.value.as_mut())
                else {
                    continue;
                };
                let dtype = weights::tfjs_dtype(tensor.dtype)
                    .ok_or_else(|| weights::unsupported_dtype(tensor.dtype, &node.name))?;
                manifest.push(ManifestWeight {
                    name: node.name.clone(),
                    shape: weights::shape(tensor, &node.name)?,
                    dtype,
                    quantization: None,
                });
                segments.push(Segment::Bytes(weights::weight_bytes(tensor, &node.name)?));
                clear_values(tensor);
            }
        }
    }
    segments.retain(|s| !s.is_empty());
    Ok((segments, manifest))
}

/// `rename_constants` (graph_rewrite_util.py): a function body's Consts
/// become `<function>/<name>`, so their weights cannot clash with the graph's
/// or another function's; the inputs naming them follow. (The converter
/// matches inputs by prefix, which also renames `w_1` for a Const `w`; here
/// the node name must match whole.)
fn rename_constants(nodes: &mut [NodeDef], prefix: &str) {
    let names: HashSet<String> = nodes
        .iter()
        .filter(|n| n.op == "Const")
        .map(|n| n.name.clone())
        .collect();
    if names.is_empty() {
        return;
    }
    for node in nodes.iter_mut() {
        if node.op == "Const" {
            node.name = format!("{prefix}/{}", node.name);
        }
        for input in &mut node.input {
            let (control, rest) = match input.strip_prefix('^') {
                Some(rest) => ("^", rest),
                None => ("", input.as_str()),
            };
            let base = rest.split(':').next().unwrap_or(rest);
            if names.contains(base) {
                *input = format!("{control}{prefix}/{rest}");
            }
        }
    }
}

/// `CLEARED_TENSOR_FIELDS`: every value field of the tensor.
fn clear_values(tensor: &mut TensorProto) {
    *tensor = TensorProto {
        dtype: tensor.dtype,
        tensor_shape: tensor.tensor_shape.take(),
        version_number: tensor.version_number,
        ..Default::default()
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::OPTIONS;

    #[test]
    fn every_tfjs_page_control_reaches_the_export_options() {
        let base = ExportOptions::from_values(&OptionValues::default()).unwrap();
        assert_eq!(base, ExportOptions::default());
        for row in OPTIONS.iter().filter(|r| r.tfjs_only && r.page.is_some()) {
            let mut values = OptionValues::default();
            let value = if row.flag == "weight_shard_size_bytes" {
                "1000"
            } else {
                "conv*"
            };
            values.set(row.flag, value).unwrap();
            let options = ExportOptions::from_values(&values).unwrap();
            assert_ne!(options, base, "{} changes nothing", row.flag);
        }
    }

    #[test]
    fn a_bare_quantization_is_every_weight_and_a_bad_shard_size_names_its_option() {
        let mut values = OptionValues::default();
        values.set("quantize_uint8", "").unwrap();
        let options = ExportOptions::from_values(&values).unwrap();
        assert_eq!(
            options.quantize,
            vec![(Quantization::Uint8, Selection::All)]
        );
        values.set("weight_shard_size_bytes", "0").unwrap();
        let err = ExportOptions::from_values(&values).unwrap_err();
        assert!(
            err.to_string().contains("`weight_shard_size_bytes`"),
            "{err}"
        );
    }
}
