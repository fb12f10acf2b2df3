//! The `inspect` report: which nodes look like the model's outputs, what the
//! graph must be fed, what the checkpoint holds, and what will not fit, so a
//! user can choose `output_node_names` and trust the frozen result.
//!
//! Output ranking: a real output is consumed by nothing, or only by nodes that
//! serve training, saving, initialisation or summaries ("left out" nodes, see
//! [`Flags`]), and computes from a placeholder or a variable, not only from
//! constants or shapes. Candidates are then tiered: plain outputs; the logits a
//! cross-entropy loss reads; losses and metrics; control-flow leftovers.

mod checkpoint;
mod choices;
mod flags;
mod flow;
mod graph_index;
mod heads;
mod neighbours;
mod rank;
mod signatures;

use std::collections::HashMap;

use serde::Serialize;

use crate::checkpoint::Checkpoint;
use crate::dtype::python_dtype_name;
use crate::graph::attrs::{op_defs, output_dtype, output_shape};
use crate::graph::names::resolve_output;
use crate::graph::ops::{is_pipeline_source, is_placeholder, is_variable};
use crate::graph::refs::{ref_inputs, Expecting};
use crate::graph::saver;
use crate::graph::LoadedGraph;
use crate::options::Options;
use crate::proto::{GraphDef, NodeDef, OpDef, OpList};
use crate::variables;

use checkpoint::{check_variables, checkpoint_variables};
pub use choices::OutputChoice;
use flags::Flags;
use flow::Flow;
use graph_index::GraphIndex;
pub use neighbours::{
    graph_nodes, node_neighbourhood, Consumer, GraphNode, Neighbourhood, NodeMatches, Producer,
};
use rank::{rank, suggestion, Evidence};
pub use signatures::{Signature, SignatureTensor};

/// The whole report; [`Report::to_json`] writes it for the CLI and the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Likely outputs, one node each, best first; the forms of the best
    /// head come first.
    pub suggested_outputs: Vec<SuggestedOutput>,
    /// Whole choices of `output_node_names` (the forms of one model head, or
    /// a signature's outputs), best first; only outputs that would freeze.
    pub output_choices: Vec<OutputChoice>,
    /// The signatures the graph file carries, `serving_default` first.
    pub signatures: Vec<Signature>,
    /// The placeholders the chosen (or suggested) outputs need.
    pub inputs: Vec<GraphInput>,
    /// Every full tensor of the checkpoint, in key order.
    pub variables: Vec<CheckpointVariable>,
    /// What will fail or is suspicious.
    pub problems: Vec<Problem>,
    /// Counts.
    pub summary: ReportSummary,
}

/// One node that looks like an output of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestedOutput {
    /// The node name, as `output_node_names` takes it.
    pub name: String,
    /// Its op.
    pub op: String,
    /// The dtype of output 0 as TF's Python names it, when known.
    pub dtype: Option<String>,
    /// The shape of output 0 (-1: unknown dimension), `None` for unknown rank.
    pub shape: Option<Vec<i64>>,
    /// Why it is suggested, and what it needs.
    pub reason: String,
}

/// A placeholder the outputs need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphInput {
    /// The placeholder's name.
    pub name: String,
    /// Its dtype (Python name), when known.
    pub dtype: Option<String>,
    /// Its shape, `None` for unknown rank.
    pub shape: Option<Vec<i64>>,
    /// A `PlaceholderWithDefault`: feeding it is optional.
    pub has_default: bool,
}

/// A tensor stored in the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointVariable {
    /// The checkpoint key.
    pub name: String,
    /// Its dtype (Python name).
    pub dtype: Option<String>,
    /// Its full shape.
    pub shape: Option<Vec<i64>>,
    /// Bytes stored in the `.data` shards (all parts of a partitioned tensor).
    pub bytes: u64,
    /// True when a variable of the graph restores from it.
    pub used_by_graph: bool,
    /// True when the freeze, with these outputs and options, turns a variable
    /// restored from it into a constant.
    pub will_freeze: bool,
}

/// What a [`Problem`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// An output name that is not in the graph.
    UnknownOutput,
    /// A variable the outputs need has no checkpoint entry.
    MissingVariable,
    /// A variable and its entry differ in dtype.
    DtypeMismatch,
    /// A variable and its entry differ in shape.
    ShapeMismatch,
    /// A checkpoint entry that no variable of the graph restores from.
    UnusedEntry,
    /// A constant where an op needs a variable reference or resource.
    RefInput,
    /// The outputs read their input from a queue or dataset, not a placeholder.
    InputPipeline,
    /// The saver subgraph cannot be read.
    Saver,
}

impl ProblemKind {
    /// The name used in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::UnknownOutput => "unknown_output",
            ProblemKind::MissingVariable => "missing_variable",
            ProblemKind::DtypeMismatch => "dtype_mismatch",
            ProblemKind::ShapeMismatch => "shape_mismatch",
            ProblemKind::UnusedEntry => "unused_entry",
            ProblemKind::RefInput => "ref_input",
            ProblemKind::InputPipeline => "input_pipeline",
            ProblemKind::Saver => "saver",
        }
    }
}

/// One problem, naming the node or checkpoint key it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// The node or key concerned.
    pub name: String,
    /// A sentence for people.
    pub message: String,
    /// The option (its TF name) that would settle it, when one would.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<&'static str>,
}

/// Counts for the report's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSummary {
    /// How the graph file was recognised.
    pub graph_kind: String,
    /// Nodes in the graph.
    pub nodes: usize,
    /// Variable nodes in the graph.
    pub variables: usize,
    /// Bytes of tensor data the checkpoint stores.
    pub checkpoint_bytes: u64,
}

/// Builds the report. `outputs`, when given, are the outputs the problems are
/// checked for; otherwise the best suggestions are.
pub fn inspect(
    graph: &LoadedGraph,
    checkpoint: Option<&Checkpoint>,
    outputs: Option<&[String]>,
    options: &Options,
) -> Report {
    let g = &graph.graph;
    let op_list = graph.stripped_op_list();
    let ix = GraphIndex::new(g);
    let flags = Flags::new(&ix);
    let flow = Flow::new(&ix, &flags);
    let mut problems = Vec::new();
    let mut sources = match saver::sources(g, graph.saver_def.as_ref()) {
        Ok(found) => found,
        Err(err) => {
            problems.push(problem(ProblemKind::Saver, "saver", err.to_string()));
            HashMap::new()
        }
    };
    if let (Some(checkpoint), true) = (checkpoint, options.use_moving_averages) {
        variables::use_shadows(g, checkpoint, &mut sources);
    }
    let (missing, supplied) = missing_variables(g, &ix, checkpoint, &sources);
    let evidence = Evidence {
        flags: &flags,
        flow: &flow,
        missing: &missing,
        supplied: &supplied,
    };
    let ranked = rank(&ix, &evidence);
    let groups = choices::head_groups(&ix, &flow, &ranked);
    let op_defs = op_defs(op_list);
    let suggested_outputs: Vec<SuggestedOutput> = choices::grouped_order(&groups, &ranked)
        .into_iter()
        .filter_map(|k| ranked.get(k))
        .filter_map(|c| suggestion(&ix, &op_defs, c))
        .collect();
    let output_choices = choices::output_choices(&ix, &groups, &ranked);

    let chosen: Vec<usize> = match outputs {
        Some(given) => given
            .iter()
            .filter_map(|name| match resolve_output(g, name) {
                Ok(found) => ix.by_name.get(found.as_str()).copied(),
                Err(err) => {
                    problems.push(problem(ProblemKind::UnknownOutput, name, err.to_string()));
                    None
                }
            })
            .collect(),
        None => choices::default_outputs(&ix, &groups, &ranked),
    };
    let needed = ix.needs(&chosen);
    let inputs = graph_inputs(&ix, &flags, &op_defs, &needed, chosen.is_empty());

    let mut variables = Vec::new();
    if let Some(checkpoint) = checkpoint {
        let used = check_variables(
            g,
            &ix,
            checkpoint,
            &sources,
            &needed,
            options,
            &mut problems,
        );
        variables = checkpoint_variables(checkpoint, &used);
        // The object graph of a TF2 checkpoint is metadata, not a weight.
        let metadata = |name: &str| name == "_CHECKPOINTABLE_OBJECT_GRAPH";
        for unused in variables
            .iter()
            .filter(|v| !v.used_by_graph && !metadata(&v.name))
        {
            problems.push(problem(
                ProblemKind::UnusedEntry,
                &unused.name,
                format!(
                    "the checkpoint holds '{}' but no variable of the graph restores from it; \
                     the graph and the checkpoint may come from different models",
                    unused.name
                ),
            ));
        }
    }
    let is_needed = |i: usize| needed.get(i).copied().unwrap_or(false);
    problems.extend(
        ref_inputs(g, is_needed, op_list, Expecting::Freeze)
            .into_iter()
            .map(|r| problem(ProblemKind::RefInput, &r.node, r.message)),
    );
    problems.extend(pipeline_problems(&ix, &needed));

    Report {
        suggested_outputs,
        output_choices,
        signatures: signatures::signatures(graph.meta_graph.as_ref()),
        inputs,
        variables,
        problems,
        summary: ReportSummary {
            graph_kind: graph.kind.describe().to_owned(),
            nodes: g.node.len(),
            variables: g.node.iter().filter(|n| is_variable(&n.op)).count(),
            checkpoint_bytes: checkpoint.map_or(0, Checkpoint::total_bytes),
        },
    }
}

/// Variable nodes the checkpoint has no value for, by the freeze's own
/// lookup (all false without a checkpoint), and of those the ones whose
/// initializer is a constant, which `initialize_missing` would supply.
fn missing_variables(
    g: &GraphDef,
    ix: &GraphIndex<'_>,
    checkpoint: Option<&Checkpoint>,
    sources: &HashMap<String, crate::graph::saver::Source>,
) -> (Vec<bool>, Vec<bool>) {
    let mut missing = vec![false; ix.nodes.len()];
    let mut supplied = vec![false; ix.nodes.len()];
    let Some(checkpoint) = checkpoint else {
        return (missing, supplied);
    };
    // Built only when a variable is missing: initializers are looked up there.
    let mut initializers = None;
    for (i, n) in ix.nodes.iter().enumerate() {
        if !is_variable(&n.op) {
            continue;
        }
        let Err(not_found) = variables::locate(checkpoint, sources, n, false) else {
            continue;
        };
        let constant = matches!(not_found, variables::NotFound::Missing { .. })
            && matches!(
                initializers
                    .get_or_insert_with(|| crate::graph::initializers::Nodes::new(g))
                    .initial_value(&n.name),
                crate::graph::initializers::Initial::Constant { .. }
            );
        let slot = if constant {
            supplied.get_mut(i)
        } else {
            missing.get_mut(i)
        };
        if let Some(flag) = slot {
            *flag = true;
        }
    }
    (missing, supplied)
}

fn problem(kind: ProblemKind, name: &str, message: String) -> Problem {
    Problem {
        kind,
        name: name.to_owned(),
        message,
        fix: None,
    }
}

/// `Const` nodes of a frozen graph feeding an input that needs a variable
/// reference or a resource, which TF refuses at import ("expected float_ref").
/// The op's definition in `op_list` (a `.meta`'s `stripped_op_list`) says
/// which inputs those are; ops it lacks are looked up in the op catalogue.
pub fn ref_input_problems(frozen: &GraphDef, op_list: Option<&OpList>) -> Vec<Problem> {
    crate::graph::refs::frozen_ref_inputs(frozen, op_list)
        .into_iter()
        .map(|r| problem(ProblemKind::RefInput, &r.node, r.message))
        .collect()
}

fn graph_inputs(
    ix: &GraphIndex<'_>,
    flags: &Flags,
    op_defs: &HashMap<&str, &OpDef>,
    needed: &[bool],
    nothing_chosen: bool,
) -> Vec<GraphInput> {
    ix.nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| {
            is_placeholder(&n.op)
                && if nothing_chosen {
                    !flags.left_out[*i]
                } else {
                    needed.get(*i).copied().unwrap_or(false)
                }
        })
        .map(|(_, n)| GraphInput {
            name: n.name.clone(),
            dtype: output_dtype(n, op_defs, 0).and_then(python_dtype_name),
            shape: placeholder_shape(n, ix.producer),
            has_default: n.op == "PlaceholderWithDefault",
        })
        .collect()
}

/// Graphs up to version 21 wrote an unknown placeholder shape as a scalar
/// one (core/ops/array_ops.cc, `Placeholder`'s shape function:
/// `graph_def_version() <= 21`).
fn placeholder_shape(node: &NodeDef, producer: i32) -> Option<Vec<i64>> {
    let shape = output_shape(node, 0);
    let written_by_attr = !node.attr.contains_key("_output_shapes");
    if written_by_attr && producer <= 21 && shape.as_ref().is_some_and(Vec::is_empty) {
        return None;
    }
    shape
}

fn pipeline_problems(ix: &GraphIndex<'_>, needed: &[bool]) -> Vec<Problem> {
    ix.nodes
        .iter()
        .zip(needed)
        .filter(|(n, &k)| k && is_pipeline_source(&n.op))
        .map(|(n, _)| {
            let mut found = problem(
                ProblemKind::InputPipeline,
                &n.name,
                format!(
                    "the outputs read their input from '{}' ({}), not from a placeholder: the frozen \
                     graph cannot be fed; cut the queue there with `input_queue_placeholder`, or \
                     any tensor with `input_names`",
                    n.name, n.op
                ),
            );
            found.fix = Some("input_queue_placeholder");
            found
        })
        .collect()
}

impl Report {
    /// The report as one pretty-printed JSON object, keys in a fixed order.
    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings and numbers cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The names of the suggestions TF would most likely want, best first.
    pub fn suggested_names(&self) -> Vec<&str> {
        self.suggested_outputs
            .iter()
            .map(|s| s.name.as_str())
            .collect()
    }
}
