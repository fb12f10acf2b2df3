//! Output ranking: the candidates, their tiers and why each is suggested.

use std::collections::HashMap;

use crate::dtype::python_dtype_name;
use crate::graph::attrs::{output_dtype, output_shape};
use crate::graph::ops::{
    is_assignment, CONTROL_FLOW_OPS, NOT_OUTPUT_OPS, PLACEHOLDER_OPS, REDUCTION_OPS, SHAPE_OPS,
    VARIABLE_OPS, XENT_OPS,
};
use crate::proto::{NodeDef, OpDef};

use super::flags::{is_bookkeeping, strip_number, Flags, LOSS_WORDS};
use super::graph_index::GraphIndex;
use super::SuggestedOutput;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    Output,
    FeedsLoss,
    LossOrMetric,
    Leftover,
}

pub(super) struct Candidate {
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

pub(super) fn rank(ix: &GraphIndex<'_>, flags: &Flags) -> Vec<Candidate> {
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
    let mut feeding = loss_inputs(ix, flags, no_plain_output);
    for loss in found.iter().filter(|c| c.needs.label).map(|c| c.node) {
        feeding.extend(label_free_inputs(ix, flags, loss));
    }
    for (node, why) in feeding {
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

/// A loss that reads a labels placeholder is computed from the model's
/// output and the labels: walking back from it, the first producers that
/// read variables but not the labels are what the model predicts.
fn label_free_inputs(ix: &GraphIndex<'_>, flags: &Flags, loss: usize) -> Vec<(usize, String)> {
    // Bounds the walk on huge graphs; a prediction sits a few ops above its loss.
    const MAX_VISITS: usize = 256;
    let name = ix.node(loss).map_or("", |n| n.name.as_str());
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![loss];
    while let Some(node) = stack.pop() {
        if !seen.insert(node) || seen.len() > MAX_VISITS {
            continue;
        }
        for &p in ix.data_inputs.get(node).map_or(&[][..], Vec::as_slice) {
            if flags.left_out[p] || SHAPE_OPS.contains(&ix.op(p)) {
                continue;
            }
            let needs = needs_of(ix, p);
            if needs.variables == 0 {
                continue;
            }
            if needs.label {
                stack.push(p);
            } else {
                // Named as the user named it: a final Identity is often the output.
                found.push((
                    p,
                    format!("what '{name}' (a loss: it reads the labels) is computed from"),
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

pub(super) fn top_choices(ranked: &[Candidate]) -> Vec<usize> {
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

pub(super) fn suggestion(
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
