//! What each node is: the scope and name lists the ranking reads (the op
//! lists are the graph's catalogue), and the
//! [`Flags`] that follow from them over the data edges.

use crate::graph::ops::{
    is_assignment, is_pipeline_source, is_placeholder, is_variable, BOOKKEEPING_OPS, SHAPE_OPS,
};
use crate::proto::NodeDef;

use super::graph_index::GraphIndex;

/// Name scopes (`name` or `name_N`) that training and saving code creates.
pub(super) const LEFT_OUT_SCOPES: [&str; 16] = [
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
pub(super) const LEFT_OUT_ROOTS: [&str; 5] = [
    "init",
    "init_all_tables",
    "report_uninitialized_variables",
    "report_uninitialized_resources",
    "global_step",
];
/// Words in a name component that mark a loss or a metric.
pub(super) const LOSS_WORDS: [&str; 9] = [
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

pub(super) fn strip_number(component: &str) -> &str {
    match component.rsplit_once('_') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => component,
    }
}

fn left_out_by_itself(node: &NodeDef) -> bool {
    let op = node.op.as_str();
    if BOOKKEEPING_OPS.contains(&op)
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
pub(super) struct Flags {
    /// Serves training, saving, initialisation or summaries: a node left out
    /// by op or scope, or one all of whose data comes from such nodes or constants.
    pub(super) left_out: Vec<bool>,
    /// Computes from the values of a placeholder, variable or input queue (not
    /// only from constants or from shapes).
    pub(super) value: Vec<bool>,
}

impl Flags {
    pub(super) fn new(ix: &GraphIndex<'_>) -> Self {
        let n = ix.nodes.len();
        let mut value = vec![false; n];
        let mut work: Vec<usize> = Vec::new();
        for (i, node) in ix.nodes.iter().enumerate() {
            let op = node.op.as_str();
            if is_placeholder(op) || is_variable(op) || is_pipeline_source(op) {
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
pub(super) fn is_bookkeeping(ix: &GraphIndex<'_>, i: usize) -> bool {
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
                    is_variable(&v.op) && node.name.starts_with(&format!("{}/", v.name))
                })
            })
    });
    matches!(node.op.as_str(), "Identity" | "ReadVariableOp") && reads_own_variable
}
