//! Whole choices of outputs: the forms of one model head (logits with their
//! softmax and class index) offered together, best first, so the page can
//! pre-fill all the names one head needs.

use serde::Serialize;

use super::flow::Flow;
use super::graph_index::GraphIndex;
use super::rank::{head_root, Candidate, Tier};

/// One whole choice of `output_node_names`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputChoice {
    /// The node names, best first.
    pub names: Vec<String>,
    /// Why, in a few words.
    pub reason: String,
}

/// The ranked candidates that would freeze, grouped by the head they are
/// forms of; each group holds indices into `ranked`, in rank order.
pub(super) fn head_groups(
    ix: &GraphIndex<'_>,
    flow: &Flow,
    ranked: &[Candidate],
) -> Vec<Vec<usize>> {
    let mut roots: Vec<usize> = Vec::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (k, c) in ranked.iter().enumerate() {
        if c.tier != Tier::Output {
            continue;
        }
        let root = head_root(ix, flow, c.node);
        match roots.iter().position(|&r| r == root) {
            Some(g) => {
                if let Some(group) = groups.get_mut(g) {
                    group.push(k);
                }
            }
            None => {
                roots.push(root);
                groups.push(vec![k]);
            }
        }
    }
    groups
}

/// The rank order with each head's forms next to each other: the first
/// entries are the first choice.
pub(super) fn grouped_order(groups: &[Vec<usize>], ranked: &[Candidate]) -> Vec<usize> {
    let mut order: Vec<usize> = groups.iter().flatten().copied().collect();
    let mut placed = vec![false; ranked.len()];
    for &k in &order {
        if let Some(p) = placed.get_mut(k) {
            *p = true;
        }
    }
    order.extend((0..ranked.len()).filter(|&k| !placed.get(k).copied().unwrap_or(true)));
    order
}

/// The outputs the problems and inputs are checked for when the user chose
/// none: the first choice, and every other plain output that nothing
/// consumes and no sign speaks against; with no choice that would freeze,
/// the best candidate.
pub(super) fn default_outputs(
    ix: &GraphIndex<'_>,
    groups: &[Vec<usize>],
    ranked: &[Candidate],
) -> Vec<usize> {
    let Some(first) = groups.first() else {
        return ranked.first().map(|c| c.node).into_iter().collect();
    };
    let mut nodes: Vec<usize> = first
        .iter()
        .filter_map(|&k| ranked.get(k))
        .map(|c| c.node)
        .collect();
    for c in ranked
        .iter()
        .filter(|c| c.tier == Tier::Output && c.is_plain_sink(ix))
    {
        if !nodes.contains(&c.node) {
            nodes.push(c.node);
        }
    }
    nodes
}

/// Caps how many forms one choice offers: logits, probabilities, a class index.
const MAX_NAMES: usize = 3;

pub(super) fn output_choices(
    ix: &GraphIndex<'_>,
    groups: &[Vec<usize>],
    ranked: &[Candidate],
) -> Vec<OutputChoice> {
    groups
        .iter()
        .filter_map(|group| {
            let members: Vec<&Candidate> = group.iter().filter_map(|&k| ranked.get(k)).collect();
            let best = members.first()?;
            let names: Vec<String> = members
                .iter()
                .take(MAX_NAMES)
                .filter_map(|c| ix.node(c.node).map(|n| n.name.clone()))
                .collect();
            let reason = if names.len() > 1 {
                format!("one model head in {} forms; {}", names.len(), best.reason())
            } else {
                best.reason().to_owned()
            };
            Some(OutputChoice { names, reason })
        })
        .collect()
}
