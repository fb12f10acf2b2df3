//! The `inspect` report: which nodes look like the model's outputs, what the
//! graph must be fed, what the checkpoint holds, and what will not fit, so a
//! user can choose `output_node_names` and trust the frozen result.
//!
//! Output ranking: a real output is consumed by nothing, or only by nodes that
//! serve training, saving, initialisation or summaries ("left out" nodes, see
//! [`Flags`]), and computes from a placeholder or a variable, not only from
//! constants or shapes. Candidates are then tiered: plain outputs; the logits a
//! cross-entropy loss reads; losses and metrics; control-flow leftovers.

use std::collections::{HashMap, HashSet};

use crate::bundle::{self, BundleIndex};
use crate::error::{Error, Result};
use crate::freeze::VARIABLE_OPS;
use crate::graph::LoadedGraph;
use crate::names::{node_name, suggestions};
use crate::proto::{attr_value, DataType, GraphDef, NodeDef, OpDef, OpList, TensorShapeProto};
use crate::saver::{self, Source};

/// The whole report; [`Report::to_json`] writes it for the CLI and the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Likely outputs, best first.
    pub suggested_outputs: Vec<SuggestedOutput>,
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

/// What a [`Problem`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// The node or key concerned.
    pub name: String,
    /// A sentence for people.
    pub message: String,
}

/// Counts for the report's header.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    index: Option<&BundleIndex>,
    outputs: Option<&[String]>,
) -> Report {
    let g = &graph.graph;
    let op_list = stripped_op_list(graph);
    let ix = GraphIndex::new(g);
    let flags = Flags::new(&ix);
    let ranked = rank(&ix, &flags);
    let op_defs = op_defs(op_list);
    let suggested_outputs: Vec<SuggestedOutput> = ranked
        .iter()
        .filter_map(|c| suggestion(&ix, &op_defs, c))
        .collect();

    let mut problems = Vec::new();
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
        None => top_choices(&ranked),
    };
    let needed = ix.needs(&chosen);
    let inputs = graph_inputs(&ix, &flags, &op_defs, &needed, chosen.is_empty());

    let sources = match saver::sources(g, graph.saver_def.as_ref()) {
        Ok(found) => found,
        Err(err) => {
            problems.push(problem(ProblemKind::Saver, "saver", err.to_string()));
            HashMap::new()
        }
    };
    let mut variables = Vec::new();
    if let Some(index) = index {
        let used = check_variables(&ix, index, &sources, &needed, &mut problems);
        variables = checkpoint_variables(index, &used);
        for unused in variables.iter().filter(|v| !v.used_by_graph) {
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
    problems.extend(ref_problems(g, is_needed, op_list, Expecting::Freeze));
    problems.extend(pipeline_problems(&ix, &needed));

    Report {
        suggested_outputs,
        inputs,
        variables,
        problems,
        summary: ReportSummary {
            graph_kind: graph.kind.describe().to_owned(),
            nodes: g.node.len(),
            variables: g
                .node
                .iter()
                .filter(|n| VARIABLE_OPS.contains(&n.op.as_str()))
                .count(),
            checkpoint_bytes: index.map_or(0, checkpoint_bytes),
        },
    }
}

fn problem(kind: ProblemKind, name: &str, message: String) -> Problem {
    Problem {
        kind,
        name: name.to_owned(),
        message,
    }
}

fn stripped_op_list(graph: &LoadedGraph) -> Option<&OpList> {
    graph
        .meta_graph
        .as_ref()
        .and_then(|m| m.meta_info_def.as_ref())
        .and_then(|m| m.stripped_op_list.as_ref())
}

fn op_defs(op_list: Option<&OpList>) -> HashMap<&str, &OpDef> {
    op_list
        .map(|l| l.op.iter().map(|op| (op.name.as_str(), op)).collect())
        .unwrap_or_default()
}

// ---- The graph as indices ----

/// Node indices by name, producers and consumers. A duplicated name resolves
/// to its last node, as in `subgraph::extract`.
struct GraphIndex<'g> {
    nodes: &'g [NodeDef],
    /// The GraphDef's producer version.
    producer: i32,
    by_name: HashMap<&'g str, usize>,
    /// Producers of each node's data inputs.
    data_inputs: Vec<Vec<usize>>,
    /// Nodes reading each node, through data or control inputs.
    consumers: Vec<Vec<usize>>,
    /// Nodes reading each node through data inputs.
    data_consumers: Vec<Vec<usize>>,
}

impl<'g> GraphIndex<'g> {
    fn new(graph: &'g GraphDef) -> Self {
        let nodes = graph.node.as_slice();
        let by_name: HashMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        let mut data_inputs = vec![Vec::new(); nodes.len()];
        let mut consumers = vec![Vec::new(); nodes.len()];
        let mut data_consumers = vec![Vec::new(); nodes.len()];
        for (i, node) in nodes.iter().enumerate() {
            for input in &node.input {
                let Some(&from) = by_name.get(node_name(input)) else {
                    continue;
                };
                consumers[from].push(i);
                if !input.starts_with('^') {
                    data_inputs[i].push(from);
                    data_consumers[from].push(i);
                }
            }
        }
        GraphIndex {
            nodes,
            producer: graph.versions.as_ref().map_or(0, |v| v.producer),
            by_name,
            data_inputs,
            consumers,
            data_consumers,
        }
    }

    fn node(&self, i: usize) -> Option<&'g NodeDef> {
        self.nodes.get(i)
    }

    fn op(&self, i: usize) -> &'g str {
        self.node(i).map_or("", |n| n.op.as_str())
    }

    /// Everything the freeze would keep for `outputs` (`subgraph::extract`'s walk).
    fn needs(&self, outputs: &[usize]) -> Vec<bool> {
        let mut kept = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = outputs.to_vec();
        while let Some(i) = stack.pop() {
            match kept.get_mut(i) {
                Some(seen) if !*seen => *seen = true,
                _ => continue,
            }
            if let Some(node) = self.node(i) {
                let deps = crate::subgraph::dependencies(node);
                stack.extend(deps.iter().filter_map(|d| self.by_name.get(d).copied()));
            }
        }
        kept
    }
}

// ---- What each node is ----

const PLACEHOLDER_OPS: [&str; 3] = ["Placeholder", "PlaceholderV2", "PlaceholderWithDefault"];
/// Ops whose output never is a model output.
const NOT_OUTPUT_OPS: [&str; 5] = ["NoOp", "Const", "Assert", "ControlTrigger", "HostConst"];
/// Ops that only run for saving, restoring, initialising or input bookkeeping.
const LEFT_OUT_OPS: [&str; 17] = [
    "NoOp",
    "Assert",
    "SaveV2",
    "Save",
    "SaveSlices",
    "RestoreV2",
    "Restore",
    "RestoreSlice",
    "MergeV2Checkpoints",
    "ShardedFilename",
    "ShardedFilespec",
    "VarIsInitializedOp",
    "IsVariableInitialized",
    "CountUpTo",
    "InitializeTable",
    "InitializeTableV2",
    "InitializeTableFromTextFileV2",
];
/// Name scopes (`name` or `name_N`) that training and saving code creates.
const LEFT_OUT_SCOPES: [&str; 16] = [
    "gradients",
    "save",
    "Initializer",
    "GradientDescent",
    "Momentum",
    "Adagrad",
    "AdagradDA",
    "Adadelta",
    "Adam",
    "AdaMax",
    "Ftrl",
    "ProximalAdagrad",
    "ProximalGradientDescent",
    "RMSProp",
    "Nadam",
    "Adamax",
];
/// First name components that only initialise or count steps.
const LEFT_OUT_ROOTS: [&str; 5] = [
    "init",
    "init_all_tables",
    "report_uninitialized_variables",
    "report_uninitialized_resources",
    "global_step",
];
/// Ops whose output depends only on their input's shape, not its values.
const SHAPE_OPS: [&str; 7] = [
    "Shape",
    "ShapeN",
    "Size",
    "Rank",
    "VariableShape",
    "ZerosLike",
    "OnesLike",
];
const CONTROL_FLOW_OPS: [&str; 9] = [
    "Exit",
    "RefExit",
    "Switch",
    "RefSwitch",
    "Merge",
    "RefMerge",
    "Enter",
    "NextIteration",
    "LoopCond",
];
const XENT_OPS: [&str; 2] = [
    "SoftmaxCrossEntropyWithLogits",
    "SparseSoftmaxCrossEntropyWithLogits",
];
const REDUCTION_OPS: [&str; 8] = [
    "Mean",
    "Sum",
    "Prod",
    "Max",
    "Min",
    "All",
    "Any",
    "EuclideanNorm",
];
/// Words in a name component that mark a loss or a metric.
const LOSS_WORDS: [&str; 9] = [
    "loss",
    "xent",
    "cross_entropy",
    "crossentropy",
    "accuracy",
    "regulariz",
    "mean_squared_error",
    "correct_prediction",
    "metric",
];

fn is_assignment(op: &str) -> bool {
    op.starts_with("Assign")
        || (op.starts_with("Scatter") && !matches!(op, "ScatterNd" | "ScatterNdNonAliasingAdd"))
        || op.starts_with("ResourceScatter")
        || apply_ref_count(op).is_some()
}

/// A queue or dataset op that hands out input values.
fn is_pipeline_source(op: &str) -> bool {
    op.starts_with("QueueDequeue")
        || op.starts_with("IteratorGetNext")
        || op.starts_with("ReaderRead")
}

fn strip_number(component: &str) -> &str {
    match component.rsplit_once('_') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => component,
    }
}

fn left_out_by_itself(node: &NodeDef) -> bool {
    let op = node.op.as_str();
    if LEFT_OUT_OPS.contains(&op)
        || op.contains("Summary")
        || is_assignment(op)
        || (op.starts_with("Queue") && !op.starts_with("QueueDequeue"))
    {
        return true;
    }
    let root = node.name.split('/').next().unwrap_or_default();
    let enclosing = node.name.rsplit_once('/').map_or("", |(scope, _)| scope);
    LEFT_OUT_ROOTS.contains(&strip_number(root))
        || enclosing
            .split('/')
            .any(|c| LEFT_OUT_SCOPES.contains(&strip_number(c)))
}

/// Two facts per node, each a fixed point over the data edges.
struct Flags {
    /// Serves training, saving, initialisation or summaries: a node left out
    /// by op or scope, or one all of whose data comes from such nodes or constants.
    left_out: Vec<bool>,
    /// Computes from the values of a placeholder, variable or input queue (not
    /// only from constants or from shapes).
    value: Vec<bool>,
}

impl Flags {
    fn new(ix: &GraphIndex<'_>) -> Self {
        let n = ix.nodes.len();
        let mut value = vec![false; n];
        let mut work: Vec<usize> = Vec::new();
        for (i, node) in ix.nodes.iter().enumerate() {
            let op = node.op.as_str();
            if PLACEHOLDER_OPS.contains(&op) || VARIABLE_OPS.contains(&op) || is_pipeline_source(op)
            {
                value[i] = true;
                work.push(i);
            }
        }
        while let Some(i) = work.pop() {
            for &c in ix.data_consumers.get(i).map_or(&[][..], Vec::as_slice) {
                if !value[c] && !SHAPE_OPS.contains(&ix.op(c)) {
                    value[c] = true;
                    work.push(c);
                }
            }
        }
        let mut left_out: Vec<bool> = ix.nodes.iter().map(left_out_by_itself).collect();
        let mut work: Vec<usize> = (0..n).filter(|&i| left_out[i]).collect();
        while let Some(i) = work.pop() {
            for &c in ix.data_consumers.get(i).map_or(&[][..], Vec::as_slice) {
                let inputs = ix.data_inputs.get(c).map_or(&[][..], Vec::as_slice);
                if !left_out[c] && inputs.iter().all(|&p| left_out[p] || !value[p]) {
                    left_out[c] = true;
                    work.push(c);
                }
            }
        }
        Flags { left_out, value }
    }
}

/// Nodes TF adds around real ones: a variable's `read`, a cond's `switch_t`.
fn is_bookkeeping(ix: &GraphIndex<'_>, i: usize) -> bool {
    let Some(node) = ix.node(i) else {
        return true;
    };
    let last = node.name.rsplit('/').next().unwrap_or_default();
    if node.op == "Identity" && matches!(last, "switch_t" | "switch_f" | "pred_id") {
        return true;
    }
    let reads_own_variable = ix.data_inputs.get(i).is_some_and(|inputs| {
        inputs.len() == 1
            && inputs.iter().all(|&p| {
                ix.node(p).is_some_and(|v| {
                    VARIABLE_OPS.contains(&v.op.as_str())
                        && node.name.starts_with(&format!("{}/", v.name))
                })
            })
    });
    matches!(node.op.as_str(), "Identity" | "ReadVariableOp") && reads_own_variable
}

// ---- Ranking ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    Output,
    FeedsLoss,
    LossOrMetric,
    Leftover,
}

struct Candidate {
    node: usize,
    tier: Tier,
    why: String,
    needs: Needs,
}

/// What a candidate computes from.
#[derive(Default)]
struct Needs {
    nodes: usize,
    variables: usize,
    placeholders: Vec<usize>,
    loss_op: bool,
    reduction: bool,
    label: bool,
}

fn needs_of(ix: &GraphIndex<'_>, node: usize) -> Needs {
    let mut needs = Needs::default();
    let kept = ix.needs(&[node]);
    for (i, _) in kept.iter().enumerate().filter(|(_, &k)| k) {
        needs.nodes += 1;
        let Some(n) = ix.node(i) else { continue };
        let op = n.op.as_str();
        if VARIABLE_OPS.contains(&op) {
            needs.variables += 1;
        } else if PLACEHOLDER_OPS.contains(&op) {
            needs.placeholders.push(i);
            needs.label |= is_label_name(&n.name);
        }
        needs.loss_op |= XENT_OPS.contains(&op) || op == "L2Loss";
        needs.reduction |= i != node && REDUCTION_OPS.contains(&op);
    }
    needs
}

fn is_label_name(name: &str) -> bool {
    let last = name.rsplit('/').next().unwrap_or(name).to_lowercase();
    last.contains("label")
        || matches!(
            last.as_str(),
            "y_" | "y_true" | "target" | "targets" | "ground_truth" | "gt"
        )
}

fn has_loss_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    LOSS_WORDS.iter().any(|w| lower.contains(w))
}

fn rank(ix: &GraphIndex<'_>, flags: &Flags) -> Vec<Candidate> {
    let eligible = |i: usize| {
        !flags.left_out[i]
            && flags.value[i]
            && !is_bookkeeping(ix, i)
            && ix.node(i).is_some_and(|n| {
                let op = n.op.as_str();
                !NOT_OUTPUT_OPS.contains(&op)
                    && !PLACEHOLDER_OPS.contains(&op)
                    && !VARIABLE_OPS.contains(&op)
            })
    };
    let graph_has_variables = ix
        .nodes
        .iter()
        .any(|n| VARIABLE_OPS.contains(&n.op.as_str()));
    let mut found: Vec<Candidate> = Vec::new();
    for i in (0..ix.nodes.len()).filter(|&i| eligible(i)) {
        let consumers = ix.consumers.get(i).map_or(&[][..], Vec::as_slice);
        if consumers.iter().any(|&c| !flags.left_out[c]) {
            continue;
        }
        // Computes a variable's update (moving averages), not a result.
        if !consumers.is_empty() && consumers.iter().all(|&c| is_assignment(ix.op(c))) {
            continue;
        }
        let why = if consumers.is_empty() {
            "nothing consumes it"
        } else {
            "only training, saving or summary nodes consume it"
        };
        let differentiated = consumers.iter().any(|&c| {
            ix.node(c)
                .is_some_and(|n| n.name.split('/').any(|s| strip_number(s) == "gradients"))
        });
        let needs = needs_of(ix, i);
        let (mut tier, mut why) = classify(ix, i, &needs, differentiated, why);
        if tier == Tier::Output && needs.variables == 0 && graph_has_variables {
            tier = Tier::Leftover;
            why.push_str(", but reads no variable: there is nothing to freeze");
        }
        found.push(Candidate {
            node: i,
            tier,
            why,
            needs,
        });
    }
    let no_plain_output = !found.iter().any(|c| c.tier == Tier::Output);
    for (node, why) in loss_inputs(ix, flags, no_plain_output) {
        if eligible(node) && !found.iter().any(|c| c.node == node) {
            let needs = needs_of(ix, node);
            let name = ix.node(node).map_or("", |n| n.name.as_str());
            if needs.variables == 0 || needs.label || needs.loss_op || has_loss_name(name) {
                continue;
            }
            found.push(Candidate {
                node,
                tier: Tier::FeedsLoss,
                why,
                needs,
            });
        }
    }
    found.sort_by(|a, b| {
        (a.tier, b.needs.variables, b.needs.nodes, a.node).cmp(&(
            b.tier,
            a.needs.variables,
            a.needs.nodes,
            b.node,
        ))
    });
    found
}

fn classify(
    ix: &GraphIndex<'_>,
    i: usize,
    needs: &Needs,
    differentiated: bool,
    why: &str,
) -> (Tier, String) {
    let Some(node) = ix.node(i) else {
        return (Tier::Leftover, why.to_owned());
    };
    let op = node.op.as_str();
    let shape = output_shape(node, 0);
    let scalar_reduction = match &shape {
        Some(dims) => dims.is_empty() && (needs.reduction || REDUCTION_OPS.contains(&op)),
        None => REDUCTION_OPS.contains(&op),
    };
    let loss = if has_loss_name(&node.name) {
        Some("its name says loss or metric")
    } else if needs.loss_op {
        Some("it is computed from a loss op")
    } else if differentiated {
        Some("training computes its gradients")
    } else if needs.label {
        Some("it reads a labels placeholder")
    } else if scalar_reduction {
        Some("it reduces to a scalar")
    } else {
        None
    };
    if let Some(because) = loss {
        return (
            Tier::LossOrMetric,
            format!("{why}, but looks like a loss or metric ({because})"),
        );
    }
    if let Some(owner) = functional_owner(ix, i) {
        return (
            Tier::Leftover,
            format!("{why}, but only passes on an output of {owner}"),
        );
    }
    if CONTROL_FLOW_OPS.contains(&op) {
        return (
            Tier::Leftover,
            format!("{why}, but is a control-flow {op} left over from a loop or cond"),
        );
    }
    (Tier::Output, why.to_owned())
}

/// `while/Identity_2` for a `While` op `while`: control flow v2 gives every
/// loop variable (counters and handles too) and cond output such an Identity.
fn functional_owner(ix: &GraphIndex<'_>, i: usize) -> Option<String> {
    let node = ix.node(i)?;
    let &[input] = ix.data_inputs.get(i)?.as_slice() else {
        return None;
    };
    let owner = ix.node(input)?;
    let functional = matches!(
        owner.op.as_str(),
        "While" | "StatelessWhile" | "If" | "StatelessIf" | "Case" | "StatelessCase"
    );
    let named_after = node.name.starts_with(&format!("{}/", owner.name));
    (node.op == "Identity" && functional && named_after)
        .then(|| format!("{} '{}'", owner.op, owner.name))
}

/// The name scope of a loss or metric a node is in: its name up to the first
/// component naming one, or the node itself for a cross-entropy op.
fn loss_scope(node: &NodeDef) -> Option<&str> {
    let mut end = 0;
    for component in node.name.split('/') {
        end += component.len();
        if has_loss_name(component) {
            return node.name.get(..end);
        }
        end += 1;
    }
    XENT_OPS
        .contains(&node.op.as_str())
        .then_some(node.name.as_str())
}

/// What losses and metrics are computed from: the producers outside a loss
/// scope that its nodes read (the logits), and, with no plain output at all,
/// each `Softmax` (`-reduce_sum(y_ * log(softmax))`, as in TF's first tutorial).
fn loss_inputs(ix: &GraphIndex<'_>, flags: &Flags, with_softmax: bool) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, node) in ix.nodes.iter().enumerate() {
        if with_softmax && node.op == "Softmax" {
            found.push((i, "a softmax that only losses or metrics read".to_owned()));
        }
        if flags.left_out[i] || SHAPE_OPS.contains(&node.op.as_str()) {
            continue;
        }
        let Some(scope) = loss_scope(node) else {
            continue;
        };
        let inside = format!("{scope}/");
        for &p in ix.data_inputs.get(i).map_or(&[][..], Vec::as_slice) {
            let Some(producer) = ix.node(p) else { continue };
            if producer.name != scope && !producer.name.starts_with(&inside) {
                let logits = through_reshapes(ix, flags, p);
                found.push((
                    logits,
                    format!("what '{scope}' (a loss or metric) is computed from"),
                ));
            }
        }
    }
    found
}

/// Old loss helpers reshape the logits in the caller's scope; a reshape that
/// only the loss reads is skipped back over.
fn through_reshapes(ix: &GraphIndex<'_>, flags: &Flags, mut node: usize) -> usize {
    for _ in 0..ix.nodes.len() {
        let reshape = matches!(ix.op(node), "Reshape" | "Identity");
        let readers = ix.consumers.get(node).map_or(&[][..], Vec::as_slice);
        let only_one = readers.iter().filter(|&&c| !flags.left_out[c]).count() == 1;
        match ix.data_inputs.get(node).and_then(|d| d.first()) {
            Some(&input) if reshape && only_one && flags.value[input] => node = input,
            _ => break,
        }
    }
    node
}

fn top_choices(ranked: &[Candidate]) -> Vec<usize> {
    let outputs: Vec<usize> = ranked
        .iter()
        .filter(|c| c.tier == Tier::Output)
        .map(|c| c.node)
        .collect();
    if outputs.is_empty() {
        ranked.first().map(|c| c.node).into_iter().collect()
    } else {
        outputs
    }
}

fn suggestion(
    ix: &GraphIndex<'_>,
    op_defs: &HashMap<&str, &OpDef>,
    candidate: &Candidate,
) -> Option<SuggestedOutput> {
    let node = ix.node(candidate.node)?;
    let needs = &candidate.needs;
    let mut parts: Vec<String> = needs
        .placeholders
        .iter()
        .filter_map(|&p| ix.node(p).map(|n| format!("'{}'", n.name)))
        .collect();
    match needs.variables {
        0 => {}
        1 => parts.push("1 variable".to_owned()),
        n => parts.push(format!("{n} variables")),
    }
    let reads = if parts.is_empty() {
        "reads no placeholder or variable".to_owned()
    } else {
        format!("reads {}", parts.join(", "))
    };
    Some(SuggestedOutput {
        name: node.name.clone(),
        op: node.op.clone(),
        dtype: output_dtype(node, op_defs, 0).and_then(python_dtype_name),
        shape: output_shape(node, 0),
        reason: format!("{}; {reads}", candidate.why),
    })
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
            PLACEHOLDER_OPS.contains(&n.op.as_str())
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

/// Graphs older than version 21 wrote an unknown placeholder shape as a
/// scalar one (core/ops/array_ops.cc, `Placeholder`'s shape function).
fn placeholder_shape(node: &NodeDef, producer: i32) -> Option<Vec<i64>> {
    let shape = output_shape(node, 0);
    let written_by_attr = !node.attr.contains_key("_output_shapes");
    if written_by_attr && producer < 21 && shape.as_ref().is_some_and(Vec::is_empty) {
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
            problem(
                ProblemKind::InputPipeline,
                &n.name,
                format!(
                    "the outputs read their input from '{}' ({}), not from a placeholder: the frozen \
                     graph cannot be fed; cut the input pipeline there (strip_training_nodes) to get one",
                    n.name, n.op
                ),
            )
        })
        .collect()
}

// ---- Checkpoint ----

/// Checks each needed variable against its entry; returns the full tensor
/// names the graph's variables restore from.
fn check_variables(
    ix: &GraphIndex<'_>,
    index: &BundleIndex,
    sources: &HashMap<String, Source>,
    needed: &[bool],
    problems: &mut Vec<Problem>,
) -> HashSet<String> {
    let mut used = HashSet::new();
    let mut missing = 0usize;
    let names = index.tensor_names();
    for (i, node) in ix.nodes.iter().enumerate() {
        if !VARIABLE_OPS.contains(&node.op.as_str()) {
            continue;
        }
        let source = sources.get(&node.name);
        let key = source.map_or_else(|| node.name.clone(), |s| s.key.clone());
        let slice = source.and_then(|s| s.slice.as_ref());
        let partition = node.name.rsplit_once("/part_").map(|(full, _)| full);
        let found = match slice {
            Some(slice) => index
                .entry_raw(&bundle::slice_key(&key, &slice.extents))
                .map(|e| (key.clone(), e, false)),
            None => match index.entry(&key) {
                Some(e) => Some((key.clone(), e, true)),
                None => partition
                    .and_then(|full| index.entry(full).map(|e| (full.to_owned(), e, false))),
            },
        };
        let is_needed = needed.get(i).copied().unwrap_or(false);
        let Some((full, entry, whole)) = found else {
            if is_needed {
                // Nearest names cost an edit distance per key: only for the first few.
                let near = if missing < 20 {
                    suggestions(&key, names.iter().map(String::as_str))
                } else {
                    Vec::new()
                };
                missing += 1;
                let hint = near
                    .first()
                    .map_or(String::new(), |n| format!("; it has '{n}'"));
                problems.push(problem(
                    ProblemKind::MissingVariable,
                    &node.name,
                    format!("the outputs need variable '{}' but the checkpoint has no key '{key}'{hint}", node.name),
                ));
            }
            continue;
        };
        used.insert(full.clone());
        if is_needed {
            problems.extend(entry_mismatch(node, &full, entry, whole));
        }
    }
    used
}

fn entry_mismatch(
    node: &NodeDef,
    key: &str,
    entry: &crate::proto::BundleEntryProto,
    whole: bool,
) -> Option<Problem> {
    let dtype = type_attr(node, "dtype")?;
    if dtype != entry.dtype {
        return Some(problem(
            ProblemKind::DtypeMismatch,
            &node.name,
            format!(
                "variable '{}' is {} but checkpoint entry '{key}' is {}",
                node.name,
                dtype_text(dtype),
                dtype_text(entry.dtype)
            ),
        ));
    }
    let declared = match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Shape(s)) => shape_dims(s)?,
        _ => return None,
    };
    let stored = entry
        .shape
        .as_ref()
        .and_then(shape_dims)
        .unwrap_or_default();
    if whole && declared.iter().all(|&d| d >= 0) && declared != stored {
        return Some(problem(
            ProblemKind::ShapeMismatch,
            &node.name,
            format!(
                "variable '{}' has shape {declared:?} but checkpoint entry '{key}' has shape {stored:?}",
                node.name
            ),
        ));
    }
    None
}

fn dtype_text(dtype: i32) -> String {
    python_dtype_name(dtype).unwrap_or_else(|| format!("dtype {dtype}"))
}

fn checkpoint_variables(index: &BundleIndex, used: &HashSet<String>) -> Vec<CheckpointVariable> {
    // A partitioned tensor's data lives under its slice keys.
    let mut part_bytes: HashMap<Vec<u8>, u64> = HashMap::new();
    for (key, entry) in &index.entries {
        if let Some(slice) = bundle::decode_slice_key(key) {
            let size = u64::try_from(entry.size).unwrap_or(0);
            let total = part_bytes.entry(slice.name).or_insert(0);
            *total = total.saturating_add(size);
        }
    }
    index
        .tensor_names()
        .into_iter()
        .filter_map(|name| {
            let entry = index.entry(&name)?;
            let bytes = if entry.slices.is_empty() {
                u64::try_from(entry.size).unwrap_or(0)
            } else {
                part_bytes.get(name.as_bytes()).copied().unwrap_or(0)
            };
            Some(CheckpointVariable {
                dtype: python_dtype_name(entry.dtype),
                shape: Some(
                    entry
                        .shape
                        .as_ref()
                        .and_then(shape_dims)
                        .unwrap_or_default(),
                ),
                bytes,
                used_by_graph: used.contains(&name),
                name,
            })
        })
        .collect()
}

fn checkpoint_bytes(index: &BundleIndex) -> u64 {
    index
        .entries
        .iter()
        .map(|(_, e)| u64::try_from(e.size).unwrap_or(0))
        .fold(0, u64::saturating_add)
}

// ---- Output names ----

/// The node an output name refers to: `name`, `name:0`, `^name`, and a stray
/// `import/` prefix (from `tf.import_graph_def` or TensorBoard) either way.
pub fn resolve_output(graph: &GraphDef, given: &str) -> Result<String> {
    let name = node_name(given.trim());
    let exists = |wanted: &str| graph.node.iter().any(|n| n.name == wanted);
    if exists(name) {
        return Ok(name.to_owned());
    }
    let mut stripped = name;
    while let Some(rest) = stripped.strip_prefix("import/") {
        if exists(rest) {
            return Ok(rest.to_owned());
        }
        stripped = rest;
    }
    let prefixed = format!("import/{name}");
    if exists(&prefixed) {
        return Ok(prefixed);
    }
    Err(Error::UnknownNode {
        name: name.to_owned(),
        suggestions: suggestions(stripped, graph.node.iter().map(|n| n.name.as_str())),
    })
}

// ---- Reference and resource inputs ----

/// Which producers [`ref_problems`] reports.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expecting {
    /// A frozen graph: `Const` producers.
    Frozen,
    /// A graph about to be frozen: ref variables, which will become `Const`s.
    Freeze,
}

/// `Const` nodes feeding an input that needs a variable reference or a
/// resource, which TF refuses at import ("expected float_ref"). The op's
/// definition in `op_list` (a `.meta`'s `stripped_op_list`) says which inputs
/// those are; ops it lacks are looked up in a built-in list.
pub fn ref_input_problems(frozen: &GraphDef, op_list: Option<&OpList>) -> Vec<Problem> {
    ref_problems(frozen, |_| true, op_list, Expecting::Frozen)
}

/// The reference-input problems of the nodes `check` selects.
fn ref_problems(
    graph: &GraphDef,
    check: impl Fn(usize) -> bool,
    op_list: Option<&OpList>,
    expecting: Expecting,
) -> Vec<Problem> {
    let defs = op_defs(op_list);
    let by_name: HashMap<&str, &NodeDef> =
        graph.node.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut problems = Vec::new();
    for (_, node) in graph.node.iter().enumerate().filter(|(i, _)| check(*i)) {
        let positions = match defs.get(node.op.as_str()) {
            Some(def) => ref_positions_from_def(node, def),
            None => ref_positions_built_in(node),
        };
        let data: Vec<&String> = node.input.iter().filter(|i| !i.starts_with('^')).collect();
        for (pos, wanted) in positions {
            let Some(producer) = data.get(pos).and_then(|i| by_name.get(node_name(i))) else {
                continue;
            };
            let hit = match expecting {
                Expecting::Frozen => producer.op == "Const",
                Expecting::Freeze => matches!(producer.op.as_str(), "VariableV2" | "Variable"),
            };
            if hit {
                problems.push(problem(
                    ProblemKind::RefInput,
                    &node.name,
                    ref_message(node, pos, &wanted, producer, expecting),
                ));
            }
        }
    }
    problems
}

fn ref_message(
    node: &NodeDef,
    pos: usize,
    wanted: &str,
    producer: &NodeDef,
    expecting: Expecting,
) -> String {
    let fix = if FIXABLE_REF_OPS.contains(&node.op.as_str()) {
        "the fix_ref_ops cleanup rewrites it into its value form"
    } else {
        "keep that variable a variable, or choose outputs that do not need this node"
    };
    let what = format!(
        "input {pos} of '{}' ({}) needs a {wanted}",
        node.name, node.op
    );
    match expecting {
        Expecting::Frozen => format!(
            "{what} but gets Const '{}': TensorFlow will refuse to load the graph; {fix}",
            producer.name
        ),
        Expecting::Freeze => format!(
            "{what}; once variable '{}' is frozen into a Const, TensorFlow will refuse to load the graph; {fix}",
            producer.name
        ),
    }
}

/// The ops `cleanup::fix_ref_ops` rewrites.
pub(crate) const FIXABLE_REF_OPS: [&str; 9] = [
    "RefSwitch",
    "RefEnter",
    "RefExit",
    "RefMerge",
    "RefIdentity",
    "RefNextIteration",
    "Assign",
    "AssignAdd",
    "AssignSub",
];

/// Data input positions that need a ref or resource, with the type wanted.
fn ref_positions_from_def(node: &NodeDef, def: &OpDef) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut position = 0usize;
    for arg in &def.input_arg {
        let count = if !arg.number_attr.is_empty() {
            match node
                .attr
                .get(&arg.number_attr)
                .and_then(|a| a.value.as_ref())
            {
                Some(attr_value::Value::I(n)) => usize::try_from(*n).unwrap_or(0),
                _ => 1,
            }
        } else if !arg.type_list_attr.is_empty() {
            match node
                .attr
                .get(&arg.type_list_attr)
                .and_then(|a| a.value.as_ref())
            {
                Some(attr_value::Value::List(l)) => l.r#type.len(),
                _ => 1,
            }
        } else {
            1
        };
        let base = if arg.r#type != 0 {
            Some(arg.r#type)
        } else {
            type_attr(node, &arg.type_attr)
        };
        let wanted = if arg.r#type == DataType::DtResource as i32 {
            Some("resource".to_owned())
        } else if arg.is_ref {
            Some(base.map_or("reference".to_owned(), |t| format!("{}_ref", dtype_text(t))))
        } else {
            None
        };
        for k in 0..count.min(node.input.len()) {
            if let Some(wanted) = &wanted {
                found.push((position + k, wanted.clone()));
            }
        }
        position = position.saturating_add(count);
    }
    found
}

/// The number of leading ref (or resource) inputs of TF's optimizer apply ops
/// (core/ops/training_ops.cc), keyed by the name without `Resource`/`Sparse`.
fn apply_ref_count(op: &str) -> Option<usize> {
    let base = op.strip_prefix("Resource").unwrap_or(op);
    let base = base.strip_prefix("Sparse").unwrap_or(base);
    let count = match base {
        "ApplyGradientDescent" | "ApplyProximalGradientDescent" => 1,
        "ApplyAdagrad"
        | "ApplyAdagradV2"
        | "ApplyProximalAdagrad"
        | "ApplyMomentum"
        | "ApplyKerasMomentum"
        | "ApplyAddSign"
        | "ApplyPowerSign" => 2,
        "ApplyAdadelta" | "ApplyAdagradDA" | "ApplyFtrl" | "ApplyFtrlV2" | "ApplyAdam"
        | "ApplyAdaMax" | "ApplyRMSProp" => 3,
        "ApplyCenteredRMSProp" | "ApplyAdamWithAmsgrad" => 4,
        other if other.starts_with("Apply") => 1,
        _ => return None,
    };
    Some(count)
}

fn ref_positions_built_in(node: &NodeDef) -> Vec<(usize, String)> {
    let op = node.op.as_str();
    let data = node.input.iter().filter(|i| !i.starts_with('^')).count();
    let resource = op.starts_with("Resource")
        || matches!(
            op,
            "AssignVariableOp"
                | "AssignAddVariableOp"
                | "AssignSubVariableOp"
                | "ReadVariableOp"
                | "VarIsInitializedOp"
                | "VariableShape"
                | "DestroyResourceOp"
        );
    let wanted = if resource {
        "resource".to_owned()
    } else {
        let base = type_attr(node, "T").or_else(|| type_attr(node, "dtype"));
        base.map_or("reference".to_owned(), |t| format!("{}_ref", dtype_text(t)))
    };
    let positions: Vec<usize> = if let Some(n) = apply_ref_count(op) {
        (0..n).collect()
    } else if op == "RefMerge" {
        (0..data).collect()
    } else if op == "RefSelect" {
        (1..data).collect()
    } else if resource
        || is_assignment(op)
        || matches!(
            op,
            "RefSwitch"
                | "RefEnter"
                | "RefExit"
                | "RefIdentity"
                | "RefNextIteration"
                | "CountUpTo"
                | "IsVariableInitialized"
                | "DestroyTemporaryVariable"
        )
    {
        vec![0]
    } else {
        Vec::new()
    };
    positions
        .into_iter()
        .filter(|&p| p < data)
        .map(|p| (p, wanted.clone()))
        .collect()
}

// ---- Types and shapes ----

pub(crate) fn type_attr(node: &NodeDef, attr: &str) -> Option<i32> {
    match node.attr.get(attr).and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Type(t)) => Some(*t),
        _ => None,
    }
}

/// A dtype as TF's Python API names it (`tf.float32.name`): `float16` for
/// half, `float32_ref` for a reference type (python/framework/dtypes.py).
pub fn python_dtype_name(dtype: i32) -> Option<String> {
    use DataType as D;
    let (base, reference) = if dtype > 100 {
        (dtype - 100, true)
    } else {
        (dtype, false)
    };
    let name = match D::try_from(base).ok()? {
        D::DtInvalid => return None,
        D::DtFloat => "float32",
        D::DtDouble => "float64",
        D::DtHalf => "float16",
        D::DtInt32 => "int32",
        other => {
            let text = other.as_str_name().trim_start_matches("DT_").to_lowercase();
            return Some(if reference {
                format!("{text}_ref")
            } else {
                text
            });
        }
    };
    Some(if reference {
        format!("{name}_ref")
    } else {
        name.to_owned()
    })
}

/// Dimensions with -1 for unknown ones; `None` for an unknown rank.
pub(crate) fn shape_dims(shape: &TensorShapeProto) -> Option<Vec<i64>> {
    if shape.unknown_rank {
        return None;
    }
    Some(shape.dim.iter().map(|d| d.size.max(-1)).collect())
}

/// Ops whose output dtype is fixed whatever their attrs.
const BOOL_OPS: [&str; 12] = [
    "Equal",
    "NotEqual",
    "Less",
    "LessEqual",
    "Greater",
    "GreaterEqual",
    "LogicalAnd",
    "LogicalOr",
    "LogicalNot",
    "IsFinite",
    "IsNan",
    "IsInf",
];

/// The dtype of output `k`: from the op's definition when the `.meta` has it,
/// else from the attrs that usually carry it.
pub(crate) fn output_dtype(
    node: &NodeDef,
    op_defs: &HashMap<&str, &OpDef>,
    k: usize,
) -> Option<i32> {
    if let Some(def) = op_defs.get(node.op.as_str()) {
        let mut first = 0usize;
        for arg in &def.output_arg {
            if !arg.type_list_attr.is_empty() {
                if let Some(attr_value::Value::List(list)) = node
                    .attr
                    .get(&arg.type_list_attr)
                    .and_then(|a| a.value.as_ref())
                {
                    if let Some(t) = k.checked_sub(first).and_then(|j| list.r#type.get(j)) {
                        return Some(*t);
                    }
                    first += list.r#type.len();
                    continue;
                }
                return None;
            }
            let count = match node
                .attr
                .get(&arg.number_attr)
                .and_then(|a| a.value.as_ref())
            {
                Some(attr_value::Value::I(n)) => usize::try_from(*n).unwrap_or(0),
                _ => 1,
            };
            if k < first + count {
                return if arg.r#type != 0 {
                    Some(arg.r#type)
                } else {
                    type_attr(node, &arg.type_attr)
                };
            }
            first += count;
        }
        return None;
    }
    if BOOL_OPS.contains(&node.op.as_str()) {
        return Some(DataType::DtBool as i32);
    }
    if let Some(attr_value::Value::List(list)) = node
        .attr
        .get("component_types")
        .and_then(|a| a.value.as_ref())
    {
        return list.r#type.get(k).copied();
    }
    [
        "out_type",
        "DstT",
        "output_type",
        "Tout",
        "dtype",
        "T",
        "type",
    ]
    .iter()
    .find_map(|attr| type_attr(node, attr))
}

/// The shape of output `k`: `_output_shapes` when present, else the `shape`
/// attr of a placeholder or variable, or a Const's value.
pub(crate) fn output_shape(node: &NodeDef, k: usize) -> Option<Vec<i64>> {
    if let Some(attr_value::Value::List(list)) = node
        .attr
        .get("_output_shapes")
        .and_then(|a| a.value.as_ref())
    {
        return list.shape.get(k).and_then(shape_dims);
    }
    if k != 0 {
        return None;
    }
    match node
        .attr
        .get(if node.op == "Const" { "value" } else { "shape" })?
        .value
        .as_ref()?
    {
        attr_value::Value::Tensor(t) => {
            t.tensor_shape.as_ref().map_or(Some(Vec::new()), shape_dims)
        }
        attr_value::Value::Shape(s)
            if PLACEHOLDER_OPS.contains(&node.op.as_str())
                || VARIABLE_OPS.contains(&node.op.as_str()) =>
        {
            shape_dims(s)
        }
        _ => None,
    }
}

// ---- JSON ----

/// A JSON value with keys in the order they were added. Hand-written so the
/// core (and its wasm build) carries no serialisation framework for one report.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(&'static str, Json)>),
}

impl Json {
    fn str(text: &str) -> Json {
        Json::Str(text.to_owned())
    }

    fn opt_str(text: &Option<String>) -> Json {
        text.as_deref().map_or(Json::Null, Json::str)
    }

    fn shape(shape: &Option<Vec<i64>>) -> Json {
        shape.as_ref().map_or(Json::Null, |dims| {
            Json::Array(dims.iter().map(|&d| Json::Int(d)).collect())
        })
    }

    fn is_scalar(&self) -> bool {
        !matches!(self, Json::Array(_) | Json::Object(_))
    }

    /// Pretty-prints with two-space indents; arrays of scalars stay on one line.
    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => out.push_str(&n.to_string()),
            Json::UInt(n) => out.push_str(&n.to_string()),
            Json::Str(s) => write_string(out, s),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Array(items) if items.iter().all(Json::is_scalar) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, indent);
                }
                out.push(']');
            }
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i > 0 { ",\n" } else { "\n" });
                    push_indent(out, indent + 1);
                    item.write(out, indent + 1);
                }
                out.push('\n');
                push_indent(out, indent);
                out.push(']');
            }
            Json::Object(fields) if fields.is_empty() => out.push_str("{}"),
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    out.push_str(if i > 0 { ",\n" } else { "\n" });
                    push_indent(out, indent + 1);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write(out, indent + 1);
                }
                out.push('\n');
                push_indent(out, indent);
                out.push('}');
            }
        }
    }
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// A JSON string (RFC 8259 section 7): quotes, backslashes and control
/// characters escaped; U+2028/U+2029 too, so the text is also valid JavaScript.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Report {
    /// The report as one pretty-printed JSON object, keys in a fixed order.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.to_value().write(&mut out, 0);
        out.push('\n');
        out
    }

    /// The names of the suggestions TF would most likely want, best first.
    pub fn suggested_names(&self) -> Vec<&str> {
        self.suggested_outputs
            .iter()
            .map(|s| s.name.as_str())
            .collect()
    }

    fn to_value(&self) -> Json {
        let outputs = self.suggested_outputs.iter().map(|s| {
            Json::Object(vec![
                ("name", Json::str(&s.name)),
                ("op", Json::str(&s.op)),
                ("dtype", Json::opt_str(&s.dtype)),
                ("shape", Json::shape(&s.shape)),
                ("reason", Json::str(&s.reason)),
            ])
        });
        let inputs = self.inputs.iter().map(|i| {
            Json::Object(vec![
                ("name", Json::str(&i.name)),
                ("dtype", Json::opt_str(&i.dtype)),
                ("shape", Json::shape(&i.shape)),
                ("has_default", Json::Bool(i.has_default)),
            ])
        });
        let variables = self.variables.iter().map(|v| {
            Json::Object(vec![
                ("name", Json::str(&v.name)),
                ("dtype", Json::opt_str(&v.dtype)),
                ("shape", Json::shape(&v.shape)),
                ("bytes", Json::UInt(v.bytes)),
                ("used_by_graph", Json::Bool(v.used_by_graph)),
            ])
        });
        let problems = self.problems.iter().map(|p| {
            Json::Object(vec![
                ("kind", Json::str(p.kind.as_str())),
                ("name", Json::str(&p.name)),
                ("message", Json::str(&p.message)),
            ])
        });
        let s = &self.summary;
        let count = |n: usize| Json::UInt(u64::try_from(n).unwrap_or(u64::MAX));
        Json::Object(vec![
            ("suggested_outputs", Json::Array(outputs.collect())),
            ("inputs", Json::Array(inputs.collect())),
            ("variables", Json::Array(variables.collect())),
            ("problems", Json::Array(problems.collect())),
            (
                "summary",
                Json::Object(vec![
                    ("graph_kind", Json::str(&s.graph_kind)),
                    ("nodes", count(s.nodes)),
                    ("variables", count(s.variables)),
                    ("checkpoint_bytes", Json::UInt(s.checkpoint_bytes)),
                ]),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\nd\u{1}e\u{2028}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001e\u2028é""#);
    }

    #[test]
    fn scalar_arrays_stay_on_one_line() {
        let value = Json::Object(vec![
            ("shape", Json::shape(&Some(vec![2, -1]))),
            ("none", Json::shape(&None)),
            ("empty", Json::Array(Vec::new())),
        ]);
        let mut out = String::new();
        value.write(&mut out, 0);
        assert_eq!(
            out,
            "{\n  \"shape\": [2, -1],\n  \"none\": null,\n  \"empty\": []\n}"
        );
    }

    #[test]
    fn python_dtype_names() {
        assert_eq!(python_dtype_name(1).as_deref(), Some("float32"));
        assert_eq!(python_dtype_name(19).as_deref(), Some("float16"));
        assert_eq!(python_dtype_name(14).as_deref(), Some("bfloat16"));
        assert_eq!(python_dtype_name(7).as_deref(), Some("string"));
        assert_eq!(python_dtype_name(20).as_deref(), Some("resource"));
        assert_eq!(python_dtype_name(101).as_deref(), Some("float32_ref"));
        assert_eq!(python_dtype_name(12).as_deref(), Some("quint8"));
        assert_eq!(python_dtype_name(0), None);
    }

    #[test]
    fn apply_ops_have_their_ref_inputs() {
        assert_eq!(apply_ref_count("ApplyAdam"), Some(3));
        assert_eq!(apply_ref_count("ResourceSparseApplyMomentum"), Some(2));
        assert_eq!(apply_ref_count("MatMul"), None);
    }
}
