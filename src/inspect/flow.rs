//! Where values flow: which placeholders are labels, what is computed from
//! them, and which nodes are weighted by a variable. A person tells a model's
//! outputs from its losses by these: the outputs are computed from the inputs
//! and the weights, the losses also from the labels.
//!
//! Each fact is one bit per node, found by a walk over the data edges, so a
//! graph of a million nodes costs a few megabytes here.

use crate::graph::ops::{
    is_pipeline_source, is_placeholder, is_variable, FUNCTION_CALL_OPS, SHAPE_OPS,
};

use super::flags::Flags;
use super::graph_index::GraphIndex;

/// Ops that apply a weight to their other input: a placeholder whose values
/// reach one of these (next to a variable's value) feeds the model.
const WEIGHTED_OPS: [&str; 16] = [
    "MatMul",
    "BatchMatMul",
    "BatchMatMulV2",
    "BatchMatMulV3",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv2DBackpropInput",
    "Conv3DBackpropInputV2",
    "DepthwiseConv2dNative",
    "BiasAdd",
    "Gather",
    "GatherV2",
    "ResourceGather",
    "Mul",
    "Tensordot",
];

pub(super) struct Flow {
    /// Computed from a label placeholder: one whose values never meet a
    /// weight (labels, targets).
    pub(super) from_labels: Vec<bool>,
    /// Computed from a placeholder or input queue that is not a label.
    pub(super) from_inputs: Vec<bool>,
    /// Computed from a variable.
    pub(super) from_variables: Vec<bool>,
    /// Applies a weight (a value computed from variables only) to its input.
    pub(super) weighted: Vec<bool>,
}

impl Flow {
    pub(super) fn new(ix: &GraphIndex<'_>, flags: &Flags) -> Flow {
        let n = ix.nodes.len();
        let is = |i: usize, test: fn(&str) -> bool| test(ix.op(i));
        let sources = |test: fn(&str) -> bool| (0..n).filter(move |&i| is(i, test));
        let feeds = |i: usize| is_placeholder(ix.op(i)) || is_pipeline_source(ix.op(i));
        let from_variables = forward(ix, flags, sources(is_variable));
        let from_feeds = forward(ix, flags, (0..n).filter(|&i| feeds(i)));
        // A function call or loop reading a variable weighs its inputs in
        // its body, where this index does not look.
        let applies_weights = |op: &str| {
            WEIGHTED_OPS.contains(&op)
                || FUNCTION_CALL_OPS.contains(&op)
                || matches!(
                    op,
                    "While" | "StatelessWhile" | "If" | "StatelessIf" | "Case"
                )
        };
        let weighted: Vec<bool> = (0..n)
            .map(|i| {
                applies_weights(ix.op(i))
                    && inputs(ix, i)
                        .iter()
                        .any(|&p| from_variables[p] && !from_feeds[p])
            })
            .collect();
        let reaches_weight = backward(ix, flags, &weighted);
        // Without a single fed value meeting a weight there is no model to
        // tell labels from (a graph of only function calls, say).
        let model_seen = (0..n).any(|i| feeds(i) && reaches_weight[i]);
        let label: Vec<bool> = (0..n)
            .map(|i| {
                model_seen && is_placeholder(ix.op(i)) && !reaches_weight[i] && !flags.left_out[i]
            })
            .collect();
        let from_labels = forward(ix, flags, (0..n).filter(|&i| label[i]));
        let from_inputs = forward(ix, flags, (0..n).filter(|&i| feeds(i) && !label[i]));
        Flow {
            from_labels,
            from_inputs,
            from_variables,
            weighted,
        }
    }

    /// Computed from the model's inputs and variables, not from the labels.
    pub(super) fn forward_value(&self, i: usize) -> bool {
        let get = |bits: &[bool]| bits.get(i).copied().unwrap_or(false);
        get(&self.from_inputs) && get(&self.from_variables) && !get(&self.from_labels)
    }
}

fn inputs<'a>(ix: &'a GraphIndex<'_>, i: usize) -> &'a [usize] {
    ix.data_inputs.get(i).map_or(&[][..], Vec::as_slice)
}

/// Everything computed from `sources` over data edges, not through shapes
/// and not into training or saving nodes.
fn forward(ix: &GraphIndex<'_>, flags: &Flags, sources: impl Iterator<Item = usize>) -> Vec<bool> {
    let mut reached = vec![false; ix.nodes.len()];
    let mut work: Vec<usize> = Vec::new();
    for s in sources {
        if let Some(bit) = reached.get_mut(s) {
            *bit = true;
            work.push(s);
        }
    }
    while let Some(i) = work.pop() {
        for &c in ix.data_consumers.get(i).map_or(&[][..], Vec::as_slice) {
            let through = !SHAPE_OPS.contains(&ix.op(c)) && !flags.left_out[c];
            match reached.get_mut(c) {
                Some(bit) if through && !*bit => {
                    *bit = true;
                    work.push(c);
                }
                _ => {}
            }
        }
    }
    reached
}

/// Everything whose values reach a node of `targets`, the same way.
fn backward(ix: &GraphIndex<'_>, flags: &Flags, targets: &[bool]) -> Vec<bool> {
    let mut reached = targets.to_vec();
    let mut work: Vec<usize> = (0..targets.len()).filter(|&i| targets[i]).collect();
    while let Some(i) = work.pop() {
        if SHAPE_OPS.contains(&ix.op(i)) || flags.left_out[i] {
            continue;
        }
        for &p in inputs(ix, i) {
            if let Some(bit) = reached.get_mut(p) {
                if !*bit {
                    *bit = true;
                    work.push(p);
                }
            }
        }
    }
    reached
}
