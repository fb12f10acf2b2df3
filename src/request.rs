//! A request carried through the passes: the graph loaded from whichever file
//! holds it, the opt-in cleanups, then the freeze or the report. The passes
//! never call each other; this is where they meet.

use crate::bundle::BundleIndex;
use crate::checkpoint::Checkpoint;
use crate::cleanup;
use crate::detect::{self, FileKind};
use crate::error::{Error, Result};
use crate::freeze::{self, Prepared};
use crate::graph::names::{node_name, resolve_output};
use crate::graph::{self, Expect, LoadedGraph};
use crate::input::{CheckpointFiles, FreezeRequest, InputFile};
use crate::inspect::{self, Report, SuggestedOutput};
use crate::options::{saved_model_tags, Options, DEFAULT_SAVED_MODEL_TAGS};
use crate::plan::Plan;
use crate::proto::{GraphDef, OpList};

/// A graph to freeze, parsed from whichever file holds it.
#[derive(Debug, Clone)]
pub struct Graph {
    loaded: LoadedGraph,
}

impl Graph {
    /// Parses a GraphDef, MetaGraphDef or SavedModel (with TF's default tag
    /// set, `serve`), binary or text, told apart by its bytes.
    pub fn parse(file: InputFile<'_>) -> Result<Graph> {
        let loaded = match detect::detect_bytes(file.name, file.bytes) {
            FileKind::SavedModel { .. } => {
                graph::load_saved_model(file, &saved_model_tags(DEFAULT_SAVED_MODEL_TAGS))?
            }
            FileKind::MetaGraphDef { text } => {
                graph::load(file, Expect::MetaGraphDef, Some(!text))?
            }
            FileKind::GraphDef { text } => graph::load(file, Expect::GraphDef, Some(!text))?,
            _ => graph::load(file, Expect::GraphDef, None)?,
        };
        Ok(Graph { loaded })
    }

    /// Parses a SavedModel's `saved_model.pb`, choosing the MetaGraphDef of `tags`.
    pub fn parse_saved_model(file: InputFile<'_>, tags: &[String]) -> Result<Graph> {
        Ok(Graph {
            loaded: graph::load_saved_model(file, tags)?,
        })
    }

    /// The number of nodes of the graph as parsed.
    pub fn nodes(&self) -> usize {
        self.loaded.graph.node.len()
    }

    /// The graph of `request` (its checkpoint is not read), as the freeze loads it.
    pub fn load(request: &FreezeRequest<'_>) -> Result<Graph> {
        Ok(Graph {
            loaded: load_graphs(request)?,
        })
    }

    /// The nodes whose names contain `query`, at most `limit` (see [`inspect::graph_nodes`]).
    pub fn nodes_matching(&self, query: &str, limit: usize) -> inspect::NodeMatches {
        inspect::graph_nodes(&self.loaded, query, limit)
    }

    /// Each of `names` as the freeze resolves it: `(given, Ok(node))`, or
    /// `(given, Err(suggestions))` for a name not in the graph, nearest first.
    pub fn check_outputs<'n>(
        &self,
        names: &'n [String],
    ) -> Vec<(&'n str, std::result::Result<String, Vec<String>>)> {
        names
            .iter()
            .map(|given| {
                let found = match resolve_output(&self.loaded.graph, given) {
                    Ok(node) => Ok(node),
                    Err(Error::UnknownNode { suggestions, .. }) => Err(suggestions),
                    Err(_) => Err(Vec::new()),
                };
                (given.as_str(), found)
            })
            .collect()
    }

    /// What node `name` is computed from and what reads it (see [`inspect::node_neighbourhood`]).
    pub fn neighbourhood(&self, name: &str, depth: usize) -> Result<inspect::Neighbourhood> {
        let found = resolve_output(&self.loaded.graph, name)?;
        inspect::node_neighbourhood(&self.loaded, &found, depth).ok_or_else(|| Error::UnknownNode {
            name: found,
            suggestions: Vec::new(),
        })
    }
}

/// Freezes `graph` with the values of `checkpoint`, whose `.data` shards are
/// `shards` in memory (shard order), and returns the plan; write it with
/// [`Plan::write_to`]. For files too large to hold, use [`prepare`] and
/// [`Prepared::finish`] with the ranges read from disk.
pub fn freeze(
    graph: &Graph,
    checkpoint: &CheckpointFiles<'_>,
    shards: &[&[u8]],
    options: &Options,
) -> Result<Plan> {
    let prepared = prepare_loaded(graph.loaded.clone(), checkpoint, options)?;
    let loaded = prepared
        .reads()
        .iter()
        .map(|r| shard_range(shards, prepared.data_files(), r.shard, r.offset, r.len))
        .collect::<Result<Vec<_>>>()?;
    prepared.finish(&loaded)
}

/// Bytes `offset..offset + len` of shard `shard`.
fn shard_range(
    shards: &[&[u8]],
    names: &[String],
    shard: u32,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>> {
    let name = || names.get(shard as usize).cloned().unwrap_or_default();
    let bytes = shards
        .get(shard as usize)
        .ok_or_else(|| Error::MissingFile {
            file: name(),
            detail: "the checkpoint's values are in it".into(),
        })?;
    let range = usize::try_from(offset)
        .ok()
        .zip(
            offset
                .checked_add(len)
                .and_then(|end| usize::try_from(end).ok()),
        )
        .and_then(|(start, end)| bytes.get(start..end));
    range.map(<[u8]>::to_vec).ok_or_else(|| {
        Error::corrupt(
            &name(),
            format!(
                "too short ({} bytes; the checkpoint needs bytes up to {})",
                bytes.len(),
                offset.saturating_add(len)
            ),
        )
    })
}

/// Loads the inputs and decides the freeze; the shell then reads
/// [`Prepared::reads`] and calls [`Prepared::finish`].
pub fn prepare(request: &FreezeRequest<'_>) -> Result<Prepared> {
    let loaded = load_graphs(request)?;
    prepare_loaded(loaded, &request.checkpoint, &request.options)
}

/// [`prepare`] over a graph already loaded.
fn prepare_loaded(
    mut loaded: LoadedGraph,
    checkpoint: &CheckpointFiles<'_>,
    options: &Options,
) -> Result<Prepared> {
    // A graph TF could not import must not become a `.pb` that looks fine.
    graph::structure::check(&loaded.graph)?;
    let mut warnings = Vec::new();
    // TF freezes the graph its import has completed with attr defaults.
    graph::op_defaults::add_defaults(&mut loaded.graph);
    let input_nodes = loaded.graph.node.len();
    let op_list = loaded.stripped_op_list().cloned();
    let changes = clean_before(&mut loaded.graph, options, op_list.as_ref())?;
    let outputs = output_names(options, &loaded, &mut warnings)?;
    let mut prepared = freeze::prepare(freeze::Input {
        graph: std::mem::take(&mut loaded.graph),
        input_nodes,
        saver_def: loaded.saver_def.as_ref(),
        outputs,
        files: checkpoint,
        options,
        warnings,
        changes,
    })?;
    if options.fix_ref_ops {
        prepared.rewrite(cleanup::fix_ref_ops);
    }
    // These run on the frozen graph, as optimize_for_inference does: the
    // outputs are known and the weights are Consts. Inlining comes first:
    // the freeze has already turned the reads of variables inside function
    // bodies into reads of the frozen Consts, and the transforms after it
    // then see the bodies' nodes too.
    if options.inline_functions {
        let op_list = loaded.stripped_op_list();
        let clear_devices = options.clear_devices;
        prepared.restructure(|graph, outputs| {
            cleanup::inline_functions(graph, outputs, clear_devices, op_list)
        })?;
    }
    if options.strip_debug_ops {
        prepared.rewrite_filled(cleanup::strip_debug_ops);
    }
    if options.fold_batch_norms {
        let folded = cleanup::folded_consts(prepared.graph());
        prepared.read_values(&folded);
        prepared.rewrite_filled(cleanup::fold_batch_norms);
    }
    if options.fold_constants {
        prepared.read_values(&cleanup::fold_reads(prepared.graph()));
        // Shapes set afresh may open a dimension the recorded shapes know.
        prepared.rewrite_filled(if options.input_shapes.is_empty() {
            cleanup::fold_constants
        } else {
            cleanup::fold_constants_placeholder_shapes
        });
    }
    prepared.warn_ref_inputs(loaded.stripped_op_list());
    prepared.set_tf_version(
        loaded
            .meta_graph
            .as_ref()
            .and_then(|m| m.meta_info_def.as_ref())
            .map(|i| i.tensorflow_version.clone()),
    );
    Ok(prepared)
}

/// Loads the graph and checkpoint of `request` and reports on them without
/// freezing (`--inspect`). A missing or unreadable checkpoint only leaves the
/// variables out.
pub fn inspect_request(request: &FreezeRequest<'_>) -> Result<Report> {
    let mut loaded = load_graphs(request)?;
    // The cleanups change what the outputs need, so the report sees the graph
    // the freeze would.
    let op_list = loaded.stripped_op_list().cloned();
    clean_before(&mut loaded.graph, &request.options, op_list.as_ref())?;
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

/// The opt-in cleanups that change what the outputs need, so they run
/// before pruning; `op_list` tells the dtypes of cut tensors.
fn clean_before(
    graph: &mut GraphDef,
    options: &Options,
    op_list: Option<&OpList>,
) -> Result<Vec<String>> {
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
    if !options.input_names.is_empty() {
        changes.extend(cleanup::cut_inputs(graph, &options.input_names, op_list)?);
    }
    if options.fix_legacy_shapes {
        changes.extend(cleanup::fix_legacy_shapes(graph));
    }
    if !options.input_shapes.is_empty() {
        changes.extend(cleanup::set_input_shapes(graph, &options.input_shapes)?);
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
    report.output_choices.insert(
        0,
        inspect::OutputChoice {
            names,
            reason: format!("the outputs of signature '{signature}'"),
        },
    );
}

/// The graph the request names, with the saver of `--input_saver` in place
/// of the meta graph's own when one is given.
fn load_graphs(request: &FreezeRequest<'_>) -> Result<LoadedGraph> {
    let hint = request.input_binary;
    // With a meta graph, TF freezes the meta graph's GraphDef; `--input_graph`
    // is only imported, so it must still parse.
    let graph = request
        .graph
        .map(|file| graph::load(file, Expect::GraphDef, hint))
        .transpose()?;
    let mut loaded = if let Some(file) = request.meta_graph {
        graph::load(file, Expect::MetaGraphDef, hint)?
    } else if let Some(file) = request.saved_model {
        graph::load_saved_model(file, &request.saved_model_tags)?
    } else {
        graph.ok_or_else(|| Error::Usage(NO_GRAPH.into()))?
    };
    if let Some(file) = request.saver {
        loaded.saver_def = Some(graph::load_saver(file)?);
    }
    Ok(loaded)
}

const NO_GRAPH: &str =
    "give a graph: `input_graph` (.pb/.pbtxt), `input_meta_graph` (.meta) or `input_saved_model_dir`";

/// The error for a checkpoint given without any graph. A TF2 object-based
/// checkpoint (`tf.train.Checkpoint`, Keras `save_weights`) never had one.
pub fn no_graph_error(index_name: &str, index_bytes: &[u8]) -> Error {
    let object_based = BundleIndex::parse(index_name, index_bytes)
        .map(|index| index.entry("_CHECKPOINTABLE_OBJECT_GRAPH").is_some())
        .unwrap_or(false);
    if object_based {
        Error::unsupported(format!(
            "{index_name} is a TF2 object-based checkpoint (tf.train.Checkpoint or Keras save_weights): it holds \
             the values but no graph. Freezing needs the graph too: rebuild the model in Python, restore the \
             checkpoint and export it with tf.saved_model.save(model, 'export_dir'), then freeze that folder \
             (`input_saved_model_dir`)"
        ))
    } else {
        Error::Usage(NO_GRAPH.into())
    }
}

/// The nodes to keep: as given, or a SavedModel's serving signature outputs.
fn output_names(
    options: &Options,
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
                "no `output_node_names` given: using the outputs of signature '{signature}': {}",
                names.join(",")
            ));
            Ok(names)
        }
        _ => {
            let mut message =
                String::from("You need to supply the name of a node to `output_node_names`.");
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
            message.push_str(&best_choices(loaded, options));
            Err(Error::Usage(message))
        }
    }
}

/// How many whole choices the refusal lists.
const LISTED_CHOICES: usize = 3;

/// The refusal's hint: the report's best choices and the flag to re-run with.
fn best_choices(loaded: &LoadedGraph, options: &Options) -> String {
    let report = inspect::inspect(loaded, None, None, options);
    let choices: Vec<String> = report
        .output_choices
        .iter()
        .take(LISTED_CHOICES)
        .map(|c| format!("{} ({})", c.names.join(","), c.reason))
        .collect();
    match report.output_choices.first() {
        Some(best) => format!(
            " Likely outputs, best first: {}. Re-run with --output_node_names={}",
            choices.join("; "),
            best.names.join(",")
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::bundle::v1::tests::{current, floats, one, two_part_emb, v1_file};
    use crate::graph::test_graph::{graph, node, shape, with_attr};
    use crate::input::{CheckpointFiles, InputFile};
    use crate::proto::{attr_value, DataType, TensorProto};

    /// A request for a binary GraphDef and a one-table V1 checkpoint.
    fn graph_request<'a>(graph: &'a [u8], table: &'a [u8], options: Options) -> FreezeRequest<'a> {
        FreezeRequest {
            graph: Some(InputFile::new("graph.pb", graph)),
            meta_graph: None,
            saver: None,
            saved_model: None,
            saved_model_tags: Vec::new(),
            checkpoint: CheckpointFiles {
                prefix: "model.ckpt",
                index: InputFile::new("model.ckpt", table),
                more_tables: Vec::new(),
                shard_sizes: Vec::new(),
            },
            input_binary: None,
            options,
        }
    }

    fn variable(name: &str, dims: &[i64]) -> crate::proto::NodeDef {
        let typed = with_attr(
            node(name, "VariableV2", &[]),
            "dtype",
            attr_value::Value::Type(DataType::DtFloat as i32),
        );
        with_attr(
            typed,
            "shape",
            attr_value::Value::Shape(Box::new(shape(dims))),
        )
    }

    fn values(tensor: &TensorProto) -> Vec<f32> {
        if tensor.float_val.is_empty() {
            tensor
                .tensor_content
                .chunks_exact(4)
                .filter_map(|b| b.try_into().ok().map(f32::from_le_bytes))
                .collect()
        } else {
            tensor.float_val.clone()
        }
    }

    /// Freezes `out` and `part` from a V1 table holding `w`, its moving
    /// average and a two-part `emb`; the frozen values by node.
    fn freeze_v1(use_moving_averages: bool) -> (Vec<String>, Vec<(String, Vec<f32>)>) {
        let table = v1_file(
            &[
                one("w", DataType::DtFloat, &[2], floats(&[1., 2.])),
                one(
                    "w/ExponentialMovingAverage",
                    DataType::DtFloat,
                    &[2],
                    floats(&[3., 4.]),
                ),
                two_part_emb(),
            ],
            current(),
        );
        let g = graph(vec![
            variable("w", &[2]),
            variable("emb/part_1", &[2, 2]),
            node("out", "Identity", &["w"]),
            node("part", "Identity", &["emb/part_1"]),
        ]);
        let graph_bytes = g.encode_to_vec();
        let request = FreezeRequest {
            graph: Some(InputFile {
                name: "graph.pb",
                bytes: &graph_bytes,
            }),
            meta_graph: None,
            saver: None,
            saved_model: None,
            saved_model_tags: Vec::new(),
            checkpoint: CheckpointFiles {
                prefix: "model.ckpt",
                index: InputFile {
                    name: "model.ckpt",
                    bytes: &table,
                },
                more_tables: Vec::new(),
                shard_sizes: Vec::new(),
            },
            input_binary: None,
            options: Options {
                output_node_names: vec!["out".into(), "part".into()],
                use_moving_averages,
                ..Options::default()
            },
        };
        let plan = prepare(&request)
            .and_then(|p| p.finish(&[]))
            .expect("freezes");
        let keys = plan.summary.frozen.iter().map(|v| v.key.clone()).collect();
        let bytes = plan.to_bytes(|_, _, _| Ok(Vec::new())).expect("bytes");
        let frozen = GraphDef::decode(bytes.as_slice()).expect("a GraphDef");
        let consts = frozen
            .node
            .iter()
            .filter_map(|n| match n.attr.get("value")?.value.as_ref()? {
                attr_value::Value::Tensor(t) => Some((n.name.clone(), values(t))),
                _ => None,
            })
            .collect();
        (keys, consts)
    }

    #[test]
    fn v1_checkpoints_give_parts_by_name_and_moving_averages() {
        let (keys, consts) = freeze_v1(false);
        assert_eq!(keys, ["w", "emb[3,2:0,2]"]);
        assert_eq!(
            consts,
            [
                ("w".to_owned(), vec![1., 2.]),
                ("emb/part_1".to_owned(), vec![6., 7., 8., 9.])
            ]
        );
        let (keys, consts) = freeze_v1(true);
        assert_eq!(keys, ["w/ExponentialMovingAverage", "emb[3,2:0,2]"]);
        assert_eq!(consts.first(), Some(&("w".to_owned(), vec![3., 4.])));
    }

    #[test]
    fn missing_variables_take_constant_initializers_only_when_asked_never_random_ones() {
        let table = v1_file(
            &[one("other", DataType::DtFloat, &[1], floats(&[5.]))],
            current(),
        );
        let zeros = TensorProto {
            dtype: DataType::DtFloat as i32,
            tensor_shape: Some(shape(&[2])),
            float_val: vec![0.],
            ..Default::default()
        };
        let g = graph(vec![
            variable("mean", &[2]),
            with_attr(
                node("mean/Initializer/zeros", "Const", &[]),
                "value",
                attr_value::Value::Tensor(Box::new(zeros)),
            ),
            node("mean/Assign", "Assign", &["mean", "mean/Initializer/zeros"]),
            variable("noise", &[2]),
            node("noise/shape", "Const", &[]),
            node("noise/RandomUniform", "RandomUniform", &["noise/shape"]),
            node("noise/Assign", "Assign", &["noise", "noise/RandomUniform"]),
            node("out", "Identity", &["mean"]),
            node("noisy", "Add", &["mean", "noise"]),
        ]);
        let bytes = g.encode_to_vec();
        let freeze = |outputs: &str, initialize_missing: bool| {
            let mut options = Options::outputs([outputs]);
            options.initialize_missing = initialize_missing;
            let request = graph_request(&bytes, &table, options);
            prepare(&request).and_then(|p| p.finish(&[]))
        };
        let refused = freeze("out", false).expect_err("missing").to_string();
        assert!(
            refused.contains("`initialize_missing` freezes it"),
            "{refused}"
        );
        let plan = freeze("out", true).expect("freezes from the initializer");
        assert_eq!(plan.summary.initialized.len(), 1);
        assert_eq!(
            plan.summary.initialized[0].initializer,
            "mean/Initializer/zeros"
        );
        let random = freeze("noisy", true).expect_err("random").to_string();
        assert!(
            random.contains("noise: ") && random.contains("random (RandomUniform)"),
            "{random}"
        );
    }

    #[test]
    fn fold_constants_trusts_recorded_shapes_only_when_no_input_shape_is_set() {
        let table = v1_file(
            &[one("w", DataType::DtFloat, &[2], floats(&[1., 2.]))],
            current(),
        );
        // TF recorded [1, 2] for 'relu' when x was [1, 2]; `input_shapes` may
        // open that batch again.
        let recorded = attr_value::Value::List(Box::new(attr_value::ListValue {
            shape: vec![shape(&[1, 2])],
            ..Default::default()
        }));
        let x = with_attr(
            node("x", "Placeholder", &[]),
            "dtype",
            attr_value::Value::Type(DataType::DtFloat as i32),
        );
        let g = graph(vec![
            with_attr(
                x,
                "shape",
                attr_value::Value::Shape(Box::new(shape(&[1, 2]))),
            ),
            variable("w", &[2]),
            with_attr(node("relu", "Relu", &["x"]), "_output_shapes", recorded),
            node("size", "Size", &["relu"]),
            node("out", "Mul", &["relu", "w"]),
        ]);
        let bytes = g.encode_to_vec();
        let freeze = |input_shapes: Vec<(String, Vec<i64>)>| {
            let mut options = Options::outputs(["out,size"]);
            options.fold_constants = true;
            options.input_shapes = input_shapes;
            let request = graph_request(&bytes, &table, options);
            let plan = prepare(&request)
                .and_then(|p| p.finish(&[]))
                .expect("freezes");
            let bytes = plan.to_bytes(|_, _, _| Ok(Vec::new())).expect("bytes");
            let frozen = GraphDef::decode(bytes.as_slice()).expect("a GraphDef");
            let size = frozen.node.iter().find(|n| n.name == "size").expect("size");
            size.op.clone()
        };
        assert_eq!(freeze(Vec::new()), "Const");
        assert_eq!(freeze(vec![("x".into(), vec![-1, 2])]), "Size");
    }
}
