//! A request carried through the passes: the graph loaded from whichever file
//! holds it, the opt-in cleanups, then the freeze or the report. The passes
//! never call each other; this is where they meet.

use crate::bundle::BundleIndex;
use crate::checkpoint::Checkpoint;
use crate::cleanup;
use crate::error::{Error, Result};
use crate::freeze::{self, Prepared};
use crate::graph::names::{node_name, resolve_output};
use crate::graph::{self, Expect, LoadedGraph};
use crate::inspect::{self, Report, SuggestedOutput};
use crate::proto::{GraphDef, OpList};
use crate::{FreezeOptions, FreezeRequest};

/// Loads the inputs and decides the freeze; the shell then reads
/// [`Prepared::reads`] and calls [`Prepared::finish`].
pub fn prepare(request: &FreezeRequest<'_>) -> Result<Prepared> {
    let options = &request.options;
    let mut loaded = load_graphs(request, request.input_binary)?;
    let mut warnings = Vec::new();
    let saver_def = match request.saver {
        Some(file) => Some(graph::load_saver(file)?),
        None => loaded.saver_def.clone(),
    };
    // TF freezes the graph its import has completed with attr defaults.
    graph::op_defaults::add_defaults(&mut loaded.graph);
    let input_nodes = loaded.graph.node.len();
    let changes = clean_before(&mut loaded.graph, options)?;
    let outputs = output_names(options, &loaded, &mut warnings)?;
    let op_list = stripped_op_list(&loaded).cloned();
    let mut prepared = freeze::prepare(freeze::Input {
        graph: loaded.graph,
        input_nodes,
        saver_def: saver_def.as_ref(),
        outputs,
        files: &request.checkpoint,
        options,
        warnings,
        changes,
    })?;
    if options.fix_ref_ops {
        prepared.rewrite(cleanup::fix_ref_ops);
    }
    prepared.warn_ref_inputs(op_list.as_ref());
    Ok(prepared)
}

/// Loads the graph and checkpoint of `request` and reports on them without
/// freezing (`--inspect`). A missing or unreadable checkpoint only leaves the
/// variables out.
pub fn inspect_request(request: &FreezeRequest<'_>) -> Result<Report> {
    let loaded = load_graphs(request, request.input_binary)?;
    let checkpoint = Checkpoint::parse(&request.checkpoint).ok();
    let outputs: Vec<String> = request
        .options
        .output_node_names
        .iter()
        .filter_map(|n| resolve_output(&loaded.graph, n).ok())
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
    let mut report = inspect::inspect(&loaded, checkpoint.as_ref(), chosen, &request.options);
    if loaded.kind == graph::GraphKind::SavedModel {
        signature_first(&loaded, &mut report);
    }
    Ok(report)
}

fn stripped_op_list(loaded: &LoadedGraph) -> Option<&OpList> {
    loaded
        .meta_graph
        .as_ref()
        .and_then(|m| m.meta_info_def.as_ref())
        .and_then(|i| i.stripped_op_list.as_ref())
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

/// In a SavedModel the serving signature says what the outputs are; the
/// saver's own calls are never outputs.
fn signature_first(loaded: &LoadedGraph, report: &mut Report) {
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
                Some(node) => SuggestedOutput {
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
        .map(|n| resolve_output(&loaded.graph, n))
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
