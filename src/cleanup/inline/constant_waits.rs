//! Control edges on constants, dropped from inlined bodies. A TF2 function
//! waits for every read of a variable it makes (automatic control
//! dependencies: a `NoOp` on its `ReadVariableOp`s, its results on that
//! `NoOp`, the `control_ret` on the reads). Frozen, each read is an
//! `Identity` of a `Const`: waiting for it has no effect, and the edges would
//! keep the weights from `fold_batch_norms` and the Identities from
//! `strip_debug_ops`, which leave a node alone when a control edge reads it.

use std::collections::{HashMap, HashSet};

use crate::graph::names::node_name;
use crate::proto::NodeDef;

/// Drops the control inputs of the `added` nodes that name a constant (a
/// `Const`, an `Identity` of one, a `NoOp` waiting only for such), then the
/// added NoOps nothing waits for any more, except the `kept` ones.
pub(super) fn drop_constant_waits(
    nodes: &mut Vec<NodeDef>,
    added: &HashSet<String>,
    kept: &HashSet<&str>,
) -> usize {
    let constant = constants(nodes);
    let mut dropped = 0usize;
    for node in nodes.iter_mut().filter(|n| added.contains(&n.name)) {
        let before = node.input.len();
        node.input.retain(|i| {
            i.strip_prefix('^')
                .is_none_or(|source| !constant.contains(source))
        });
        dropped = dropped.saturating_add(before.saturating_sub(node.input.len()));
    }
    let waited: HashSet<String> = nodes
        .iter()
        .flat_map(|n| &n.input)
        .filter_map(|i| i.strip_prefix('^').map(str::to_owned))
        .collect();
    nodes.retain(|n| {
        n.op != "NoOp"
            || !added.contains(&n.name)
            || waited.contains(&n.name)
            || kept.contains(n.name.as_str())
    });
    dropped
}

/// The nodes whose outputs are fixed values, in any order of the graph.
fn constants(nodes: &[NodeDef]) -> HashSet<String> {
    let by_name: HashMap<&str, &NodeDef> = nodes.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut known: HashMap<&str, bool> = HashMap::new();
    for node in nodes {
        is_constant(node, &by_name, &mut known, 0);
    }
    known
        .into_iter()
        .filter(|(_, constant)| *constant)
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Deepest chain of Identities and NoOps followed; deeper counts as not constant.
const MAX_CHAIN: usize = 64;

fn is_constant<'g>(
    node: &'g NodeDef,
    by_name: &HashMap<&str, &'g NodeDef>,
    known: &mut HashMap<&'g str, bool>,
    depth: usize,
) -> bool {
    if let Some(&answer) = known.get(node.name.as_str()) {
        return answer;
    }
    let answer = match node.op.as_str() {
        "Const" | "Identity" | "NoOp" if depth < MAX_CHAIN => node.input.iter().all(|i| {
            by_name
                .get(node_name(i))
                .is_some_and(|source| is_constant(source, by_name, known, depth.saturating_add(1)))
        }),
        _ => false,
    };
    known.insert(node.name.as_str(), answer);
    answer
}
