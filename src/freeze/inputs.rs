//! What goes into a freeze: the graph from whichever file holds it, the
//! output names, the checkpoint kind, and the opt-in cleanups that run first.

use std::collections::HashMap;

use crate::bundle::v1::V1Checkpoint;
use crate::bundle::{self, BundleIndex};
use crate::cleanup;
use crate::error::{Error, Result};
use crate::graph::{self, Expect, LoadedGraph};
use crate::names::node_name;
use crate::proto::GraphDef;
use crate::saver::Source;
use crate::{CheckpointFiles, FreezeOptions, FreezeRequest};

/// The opt-in cleanups that change what the outputs need, so they run
/// before pruning.
pub(super) fn clean_before(graph: &mut GraphDef, options: &FreezeOptions) -> Result<Vec<String>> {
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
pub(super) fn use_shadows(
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
    let index = match v1_checkpoint(&request.checkpoint) {
        Ok(Some(v1)) => Some(v1_as_index(&v1)),
        _ => BundleIndex::parse(
            request.checkpoint.index.name,
            request.checkpoint.index.bytes,
        )
        .ok(),
    };
    let outputs: Vec<String> = request
        .options
        .output_node_names
        .iter()
        .filter_map(|n| crate::inspect::resolve_output(&loaded.graph, n).ok())
        .collect();
    // A SavedModel's serving signature names its outputs when the user did not.
    let signature = (loaded.kind == graph::GraphKind::SavedModel)
        .then(|| {
            loaded
                .meta_graph
                .as_ref()
                .and_then(graph::signature_outputs)
        })
        .flatten()
        .map(|(_, names)| names)
        .unwrap_or_default();
    let chosen = if outputs.is_empty() {
        &signature
    } else {
        &outputs
    };
    let chosen = (!chosen.is_empty()).then_some(chosen.as_slice());
    let mut report = crate::inspect::inspect(&loaded, index.as_ref(), chosen);
    if loaded.kind == graph::GraphKind::SavedModel {
        signature_first(&loaded, &mut report);
    }
    Ok(report)
}

/// A V1 checkpoint's tensors as index entries, for the report's variables.
fn v1_as_index(v1: &V1Checkpoint) -> BundleIndex {
    let entries = v1
        .tensor_names()
        .into_iter()
        .filter_map(|name| {
            let (dtype, shape) = v1.dtype_and_shape(&name)?;
            let size = bundle::num_elements(&shape)
                .zip(bundle::element_size(dtype))
                .and_then(|(n, s)| n.checked_mul(s))
                .and_then(|b| i64::try_from(b).ok())
                .unwrap_or(0);
            let entry = crate::proto::BundleEntryProto {
                dtype,
                shape: Some(shape),
                size,
                ..Default::default()
            };
            Some((name.into_bytes(), entry))
        })
        .collect();
    BundleIndex {
        header: Default::default(),
        entries,
    }
}

/// In a SavedModel the serving signature says what the outputs are; the
/// saver's own calls are never outputs.
fn signature_first(loaded: &LoadedGraph, report: &mut crate::inspect::Report) {
    let saver_nodes: Vec<&str> = loaded
        .saver_def
        .iter()
        .flat_map(|s| [s.save_tensor_name.as_str(), s.restore_op_name.as_str()])
        .map(node_name)
        .collect();
    report
        .suggested_outputs
        .retain(|s| !saver_nodes.contains(&s.name.as_str()));
    let Some((signature, names)) = loaded
        .meta_graph
        .as_ref()
        .and_then(graph::signature_outputs)
    else {
        return;
    };
    for name in names.iter().rev() {
        let existing = report
            .suggested_outputs
            .iter()
            .position(|s| &s.name == name);
        let mut suggestion = match existing {
            Some(i) => report.suggested_outputs.remove(i),
            None => match loaded.graph.node.iter().find(|n| &n.name == name) {
                Some(node) => crate::inspect::SuggestedOutput {
                    name: name.clone(),
                    op: node.op.clone(),
                    dtype: None,
                    shape: None,
                    reason: String::new(),
                },
                None => continue,
            },
        };
        suggestion.reason = format!("the output of signature '{signature}'");
        report.suggested_outputs.insert(0, suggestion);
    }
}

pub(super) fn load_graphs(
    request: &FreezeRequest<'_>,
    binary_hint: Option<bool>,
) -> Result<LoadedGraph> {
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

/// The checkpoint as a V1 table (one file, or the shards of one), when it is one.
pub(super) fn v1_checkpoint(checkpoint: &CheckpointFiles<'_>) -> Result<Option<V1Checkpoint>> {
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
pub(super) fn output_names(
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
                .map(|(key, sig)| format!("{key} -> {}", graph::output_nodes(sig).join(",")))
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
