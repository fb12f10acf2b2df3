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
use super::flow::Flow;
use super::graph_index::GraphIndex;
use super::heads::{self, Place};
use super::SuggestedOutput;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Tier {
    Output,
    /// An output that needs a variable the checkpoint lacks.
    Unfreezable,
    LossOrMetric,
    Leftover,
}

pub(super) struct Candidate {
    pub(super) node: usize,
    pub(super) tier: Tier,
    why: String,
    needs: Needs,
    score: i32,
    place: Place,
}

/// What a candidate computes from.
#[derive(Default)]
struct Needs {
    nodes: usize,
    variables: usize,
    /// Variables the checkpoint has no value for.
    missing: usize,
    /// Variables the checkpoint lacks whose initializer is a constant.
    supplied: usize,
    placeholders: Vec<usize>,
    loss_op: bool,
    reduction: bool,
    label: bool,
}

/// What the ranking reads besides the graph.
pub(super) struct Evidence<'a> {
    pub(super) flags: &'a Flags,
    pub(super) flow: &'a Flow,
    /// Variable nodes the checkpoint has no value for (empty: no checkpoint).
    pub(super) missing: &'a [bool],
    /// Variable nodes the checkpoint lacks that `initialize_missing` would
    /// give their constant initializer's value.
    pub(super) supplied: &'a [bool],
}

fn needs_of(ix: &GraphIndex<'_>, ev: &Evidence<'_>, node: usize) -> Needs {
    let mut needs = Needs {
        label: ev.flow.from_labels.get(node).copied().unwrap_or(false),
        ..Needs::default()
    };
    let kept = ix.needs(&[node]);
    for (i, _) in kept.iter().enumerate().filter(|(_, &k)| k) {
        needs.nodes += 1;
        let Some(n) = ix.node(i) else { continue };
        let op = n.op.as_str();
        if VARIABLE_OPS.contains(&op) {
            needs.variables += 1;
            needs.missing += usize::from(ev.missing.get(i).copied().unwrap_or(false));
            needs.supplied += usize::from(ev.supplied.get(i).copied().unwrap_or(false));
        } else if PLACEHOLDER_OPS.contains(&op) {
            needs.placeholders.push(i);
        }
        needs.loss_op |= XENT_OPS.contains(&op) || op == "L2Loss";
        needs.reduction |= i != node && REDUCTION_OPS.contains(&op);
    }
    needs
}

fn has_loss_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    LOSS_WORDS.iter().any(|w| lower.contains(w))
}

/// Bounds the extra candidates on huge graphs: a model has a few heads.
const MAX_SEEDS: usize = 64;

pub(super) fn rank(ix: &GraphIndex<'_>, ev: &Evidence<'_>) -> Vec<Candidate> {
    let flags = ev.flags;
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
    let mut loss_roots: Vec<usize> = Vec::new();
    for i in (0..ix.nodes.len()).filter(|&i| eligible(i)) {
        let consumers = ix.consumers.get(i).map_or(&[][..], Vec::as_slice);
        let differentiated = consumers.iter().any(|&c| {
            ix.node(c)
                .is_some_and(|n| n.name.split('/').any(|s| strip_number(s) == "gradients"))
        });
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
        let needs = needs_of(ix, ev, i);
        let (mut tier, mut why) = classify(ix, i, &needs, differentiated, why);
        if tier == Tier::Output && needs.variables == 0 && graph_has_variables {
            tier = Tier::Leftover;
            why.push_str(", but reads no variable: there is nothing to freeze");
        }
        if tier == Tier::LossOrMetric {
            loss_roots.push(i);
        }
        found.push(candidate(ix, i, tier, why, needs, Place::Sink));
    }
    let no_plain_output = !found.iter().any(|c| c.tier == Tier::Output);
    let mut seeds = loss_inputs(ix, flags, no_plain_output);
    for loss in found.iter().filter(|c| c.needs.label).map(|c| c.node) {
        seeds.extend(label_free_inputs(ix, ev, loss));
    }
    seeds.extend(frontier(ix, ev, &loss_roots));
    let mut seeded = 0;
    for (node, why, place) in seeds.into_iter().chain(network_outputs(ix, ev)) {
        if seeded >= MAX_SEEDS {
            break;
        }
        if eligible(node) && !found.iter().any(|c| c.node == node) {
            let needs = needs_of(ix, ev, node);
            let name = ix.node(node).map_or("", |n| n.name.as_str());
            if needs.variables == 0 || needs.label || needs.loss_op || has_loss_name(name) {
                continue;
            }
            seeded += 1;
            found.push(candidate(ix, node, Tier::Output, why, needs, place));
        }
    }
    let heads: Vec<usize> = found
        .iter()
        .filter(|c| c.tier == Tier::Output)
        .map(|c| c.node)
        .collect();
    for (node, why) in heads.into_iter().flat_map(|h| head_forms(ix, ev, h)) {
        if eligible(node) && !found.iter().any(|c| c.node == node) {
            let needs = needs_of(ix, ev, node);
            if needs.variables == 0 || needs.label || needs.loss_op {
                continue;
            }
            found.push(candidate(
                ix,
                node,
                Tier::Output,
                why,
                needs,
                Place::Follows,
            ));
        }
    }
    found.sort_by(|a, b| {
        (a.tier, b.score, b.needs.variables, b.needs.nodes, a.node).cmp(&(
            b.tier,
            a.score,
            a.needs.variables,
            a.needs.nodes,
            b.node,
        ))
    });
    found
}

fn candidate(
    ix: &GraphIndex<'_>,
    node: usize,
    mut tier: Tier,
    mut why: String,
    needs: Needs,
    place: Place,
) -> Candidate {
    let (score, signs) = heads::score(ix, node, place);
    if tier == Tier::Output && !signs.is_empty() {
        why = format!("{}; {why}", signs.join(", "));
    }
    if tier == Tier::Output && needs.missing > 0 {
        tier = Tier::Unfreezable;
        why.push_str(&format!(
            ", but needs {} variable(s) the checkpoint lacks",
            needs.missing
        ));
    } else if tier == Tier::Output && needs.supplied > 0 {
        // Still a choice: the option freezes it, and the reason says so.
        why.push_str(&format!(
            ", with {} variable(s) the checkpoint lacks: `initialize_missing` gives them \
             their initializers' constant values",
            needs.supplied
        ));
    }
    Candidate {
        node,
        tier,
        why,
        needs,
        score,
        place,
    }
}

/// Walking back from each loss or metric through its own arithmetic, the
/// first nodes computed from the inputs and weights but not the labels:
/// what the model predicted (logits, a regression's `pred`, Q values).
fn frontier(
    ix: &GraphIndex<'_>,
    ev: &Evidence<'_>,
    roots: &[usize],
) -> Vec<(usize, String, Place)> {
    // A prediction sits a few ops above its loss.
    const MAX_VISITS: usize = 256;
    let mut found = Vec::new();
    for &root in roots {
        let name = ix.node(root).map_or("", |n| n.name.as_str());
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            if !seen.insert(node) || seen.len() > MAX_VISITS {
                continue;
            }
            for &p in ix.data_inputs.get(node).map_or(&[][..], Vec::as_slice) {
                if ev.flags.left_out[p] || SHAPE_OPS.contains(&ix.op(p)) {
                    continue;
                }
                let model = ev.flow.forward_value(p)
                    && (ev.flow.weighted[p] || !heads::is_loss_arithmetic(ix.op(p)));
                if model {
                    found.push((
                        p,
                        format!("feeds the loss or metric '{name}'"),
                        Place::FeedsLoss,
                    ));
                } else if ev.flow.from_variables[p] {
                    stack.push(p);
                }
            }
        }
    }
    found
}

/// The last node of a network that another network reads: a generator's
/// sample read by the discriminator, an actor's action read by the critic.
fn network_outputs(ix: &GraphIndex<'_>, ev: &Evidence<'_>) -> Vec<(usize, String, Place)> {
    let root = |i: usize| {
        ix.node(i)
            .and_then(|n| n.name.split_once('/'))
            .map(|(r, _)| r)
    };
    let mut found = Vec::new();
    for i in (0..ix.nodes.len()).filter(|&i| ev.flow.forward_value(i)) {
        let Some(own) = root(i) else { continue };
        if !heads::follows_head(ix.op(i)) && !ev.flow.weighted[i] {
            continue;
        }
        let consumers = ix.data_consumers.get(i).map_or(&[][..], Vec::as_slice);
        let reader = consumers.iter().find(|&&c| {
            !ev.flags.left_out[c]
                && root(c).is_some_and(|r| r != own && !has_loss_name(r))
                && ev.flow.forward_value(c)
        });
        if let Some(&c) = reader {
            let by = root(c).unwrap_or_default();
            found.push((
                i,
                format!("the output of '{own}/' that '{by}/' reads"),
                Place::FeedsNetwork,
            ));
        }
        if found.len() >= MAX_SEEDS {
            break;
        }
    }
    found
}

/// The other forms of a head: the softmax and class index computed from
/// logits, and the logits a softmax or class index is computed from.
fn head_forms(ix: &GraphIndex<'_>, ev: &Evidence<'_>, head: usize) -> Vec<(usize, String)> {
    let name = ix.node(head).map_or("", |n| n.name.as_str());
    let mut found = Vec::new();
    let mut frontier = vec![head];
    for _ in 0..3 {
        let mut next = Vec::new();
        for &n in &frontier {
            let after_head = heads::is_head_op(ix.op(n));
            for &c in ix.data_consumers.get(n).map_or(&[][..], Vec::as_slice) {
                let op = ix.op(c);
                let form = heads::is_head_op(op)
                    || (after_head && (heads::follows_head(op) || scales(ix, ev.flow, c)));
                let same_network = match (heads::root_scope(ix, c), heads::root_scope(ix, head)) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                };
                let name = ix.node(c).map_or("", |n| n.name.as_str());
                if form
                    && same_network
                    && !has_loss_name(name)
                    && ev.flow.forward_value(c)
                    && !ev.flags.left_out[c]
                {
                    found.push((c, format!("computed from '{name}'")));
                    next.push(c);
                }
            }
        }
        frontier = next;
    }
    let mut node = head;
    while heads::follows_head(ix.op(node)) {
        let Some(&input) = ix.data_inputs.get(node).and_then(|d| d.first()) else {
            break;
        };
        let op = ix.op(input);
        let form = heads::is_head_op(op) || heads::is_layer_end(op);
        if !form || !ev.flow.forward_value(input) || found.iter().any(|(f, _)| *f == input) {
            break;
        }
        found.push((input, format!("what '{name}' is computed from")));
        node = input;
    }
    found
}

/// The node a head's forms are computed from (the logits of a softmax and
/// its class index): candidates with the same root are one choice.
pub(super) fn head_root(ix: &GraphIndex<'_>, flow: &Flow, head: usize) -> usize {
    let mut node = head;
    for _ in 0..8 {
        let inputs = ix.data_inputs.get(node).map_or(&[][..], Vec::as_slice);
        let next = if heads::follows_head(ix.op(node)) {
            inputs.first().copied()
        } else if scales(ix, flow, node) {
            inputs
                .iter()
                .copied()
                .find(|&p| heads::is_head_op(ix.op(p)))
        } else {
            None
        };
        match next {
            Some(input) if flow.forward_value(input) => node = input,
            _ => break,
        }
    }
    node
}

/// `tanh * 2` or `sigmoid + 1`: a head rescaled by constants, still the head.
fn scales(ix: &GraphIndex<'_>, flow: &Flow, i: usize) -> bool {
    let inputs = ix.data_inputs.get(i).map_or(&[][..], Vec::as_slice);
    let computed = |p: usize| {
        flow.from_inputs.get(p).copied().unwrap_or(true)
            || flow.from_variables.get(p).copied().unwrap_or(true)
    };
    matches!(ix.op(i), "Mul" | "Add" | "AddV2" | "Sub" | "RealDiv")
        && inputs.iter().filter(|&&p| computed(p)).count() == 1
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
fn loss_inputs(
    ix: &GraphIndex<'_>,
    flags: &Flags,
    with_softmax: bool,
) -> Vec<(usize, String, Place)> {
    let mut found = Vec::new();
    for (i, node) in ix.nodes.iter().enumerate() {
        if with_softmax && node.op == "Softmax" {
            found.push((
                i,
                "a softmax that only losses or metrics read".to_owned(),
                Place::FeedsLoss,
            ));
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
                    Place::FeedsLoss,
                ));
            }
        }
    }
    found
}

/// A loss that reads a labels placeholder is computed from the model's
/// output and the labels: walking back from it, the first producers that
/// read variables but not the labels are what the model predicts.
fn label_free_inputs(
    ix: &GraphIndex<'_>,
    ev: &Evidence<'_>,
    loss: usize,
) -> Vec<(usize, String, Place)> {
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
            if ev.flags.left_out[p] || SHAPE_OPS.contains(&ix.op(p)) {
                continue;
            }
            let needs = needs_of(ix, ev, p);
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
                    Place::FeedsLoss,
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

impl Candidate {
    /// Nothing consumes it, and no sign (a target network's scope, a
    /// scalar) speaks against it.
    pub(super) fn is_plain_sink(&self, ix: &GraphIndex<'_>) -> bool {
        let name = ix.node(self.node).map_or("", |n| n.name.as_str());
        self.place == Place::Sink && self.score > 0 && !heads::in_training_scope(name)
    }

    /// Why it is suggested, without what it reads.
    pub(super) fn reason(&self) -> &str {
        &self.why
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
