//! Debug and gradient-only ops removed from a frozen graph (`strip_debug_ops`,
//! the name of `tensorflowjs_converter`'s option). Two TF passes are copied:
//! grappler's debug stripper (tensorflow/core/grappler/optimizers/
//! debug_stripper.cc: `Assert` and `PrintV2` do nothing, `CheckNumerics` and
//! `Print` pass their input through) and `remove_training_nodes`
//! (tensorflow/python/framework/graph_util_impl.py, run by
//! `optimize_for_inference`), which splices out `Identity` and `StopGradient`
//! unless they are protected, colocated with, or on a control edge.
//! Unlike `remove_training_nodes`, a data input that read a `CheckNumerics`
//! reads its input instead of being dropped, and `name:0` reads are followed.

use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::graph::names::node_name;
use crate::graph::subgraph;
use crate::proto::{attr_value, GraphDef};

/// Ops whose output is their first input (debug_stripper.cc turns them into
/// `Identity`).
const PASS_THROUGH: &[&str] = &["CheckNumerics", "CheckNumericsV2", "Print"];
/// Ops without outputs that only check or log (debug_stripper.cc turns them
/// into `NoOp`); the control edges to them go too.
const NO_OUTPUT: &[&str] = &["Assert", "PrintV2"];
/// Ops spliced out like `Identity` (`remove_training_nodes`' `types_to_splice`,
/// plus `PreventGradient`, an identity outside gradients).
const SPLICED: &[&str] = &["Identity", "StopGradient", "PreventGradient"];

/// Removes the debug ops, then the spliceable identities; `outputs` (and
/// their identities) are kept. The graph is pruned to the outputs after, so
/// what only fed an `Assert` goes too.
pub fn strip_debug_ops(graph: &mut GraphDef, outputs: &[String]) -> Result<Vec<String>> {
    let protected: HashSet<&str> = outputs.iter().map(|o| node_name(o)).collect();
    let mut changes = Vec::new();
    let mut bypass: HashMap<String, String> = HashMap::new();
    let mut dropped: HashSet<String> = HashSet::new();
    let mut guards: HashSet<String> = HashSet::new();
    for node in &graph.node {
        if protected.contains(node.name.as_str()) {
            continue;
        }
        if PASS_THROUGH.contains(&node.op.as_str()) {
            if let Some(input) = node.input.first().filter(|i| !i.starts_with('^')) {
                bypass.insert(node.name.clone(), input.clone());
                changes.push(format!("removed {} '{}'", node.op, node.name));
            }
        } else if NO_OUTPUT.contains(&node.op.as_str()) {
            dropped.insert(node.name.clone());
            changes.push(format!("removed {} '{}'", node.op, node.name));
            if let Some(guard) = assert_guard(&node.name) {
                guards.insert(format!("{guard}/Merge"));
            }
        }
    }
    let removed: HashSet<String> = bypass.keys().chain(dropped.iter()).cloned().collect();
    graph.node.retain(|n| !removed.contains(&n.name));
    // The cond around an Assert is only ever a control input: its edges go.
    let gates: HashSet<String> = removed.union(&guards).cloned().collect();
    rewire(graph, &bypass, &gates);
    let spliced = spliceable(graph, &protected);
    graph.node.retain(|n| !spliced.contains_key(&n.name));
    rewire(graph, &spliced, &HashSet::new());
    if !spliced.is_empty() {
        changes.push(format!(
            "spliced out {} Identity/StopGradient node(s): {}",
            spliced.len(),
            sorted(spliced.keys())
        ));
    }
    if !changes.is_empty() {
        let before = graph.node.len();
        *graph = subgraph::extract(graph, outputs)?;
        let pruned = before.saturating_sub(graph.node.len());
        if pruned > 0 {
            changes.push(format!("pruned {pruned} node(s) that only fed them"));
        }
    }
    Ok(changes)
}

/// The `tf.cond` that `tf.debugging.Assert` wraps its `Assert` in when the
/// condition is not a constant (python/ops/control_flow_assert.py,
/// `cond(condition, no_op, true_assert, name="AssertGuard")`).
fn assert_guard(assert: &str) -> Option<&str> {
    const GUARD: &str = "AssertGuard";
    let at = assert.find("/AssertGuard/")?;
    assert.get(..at.checked_add(1 + GUARD.len())?)
}

fn sorted<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let mut names: Vec<&str> = names.map(String::as_str).collect();
    names.sort_unstable();
    names.join(", ")
}

/// The identities `remove_training_nodes` splices, each with the input its
/// readers get instead: not protected, not colocated with, with no control
/// inputs and not a control input themselves.
fn spliceable(graph: &GraphDef, protected: &HashSet<&str>) -> HashMap<String, String> {
    let mut control_inputs: HashSet<&str> = HashSet::new();
    let mut with_control: HashSet<&str> = HashSet::new();
    let mut colocated: HashSet<&str> = HashSet::new();
    for node in &graph.node {
        for input in node.input.iter().filter_map(|i| i.strip_prefix('^')) {
            control_inputs.insert(input);
            with_control.insert(node.name.as_str());
        }
        if let Some(attr_value::Value::List(list)) =
            node.attr.get("_class").and_then(|a| a.value.as_ref())
        {
            for value in &list.s {
                if let Some(name) = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.strip_prefix("loc:@"))
                {
                    colocated.insert(name);
                }
            }
        }
    }
    graph
        .node
        .iter()
        .filter(|n| SPLICED.contains(&n.op.as_str()))
        .filter(|n| {
            let name = n.name.as_str();
            !protected.contains(name)
                && !colocated.contains(name)
                && !with_control.contains(name)
                && !control_inputs.contains(name)
        })
        .filter_map(|n| Some((n.name.clone(), n.input.first()?.clone())))
        .collect()
}

/// Reads of a bypassed node (`name`, `name:0`) read its input instead,
/// through chains; control edges to a removed node are dropped.
fn rewire(graph: &mut GraphDef, bypass: &HashMap<String, String>, removed: &HashSet<String>) {
    for node in &mut graph.node {
        let mut inputs = Vec::with_capacity(node.input.len());
        for input in &node.input {
            if let Some(control) = input.strip_prefix('^') {
                if !removed.contains(control) && !bypass.contains_key(control) {
                    inputs.push(input.clone());
                }
                continue;
            }
            let mut current = input.clone();
            // A chain is at most as long as the bypassed nodes.
            for _ in 0..=bypass.len() {
                let name = current.strip_suffix(":0").unwrap_or(&current);
                match bypass.get(name) {
                    Some(next) => current.clone_from(next),
                    None => break,
                }
            }
            inputs.push(current);
        }
        node.input = inputs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_graph::{find, graph, node};

    #[test]
    fn debug_ops_and_identity_chains_go() {
        let mut g = graph(vec![
            node("x", "Placeholder", &[]),
            node("check", "CheckNumerics", &["x"]),
            node("a", "Identity", &["check:0"]),
            node("b", "StopGradient", &["a"]),
            node("print", "Print", &["b", "x"]),
            node("msg", "Const", &[]),
            node("assert", "Assert", &["x", "msg"]),
            node("kept", "Identity", &["print", "^assert"]),
            node("relu", "Relu", &["kept"]),
            node("out", "Identity", &["relu"]),
        ]);
        let changes = strip_debug_ops(&mut g, &["out".to_owned()]).expect("strips");
        assert_eq!(
            changes,
            vec![
                "removed CheckNumerics 'check'",
                "removed Print 'print'",
                "removed Assert 'assert'",
                "spliced out 3 Identity/StopGradient node(s): a, b, kept",
                "pruned 1 node(s) that only fed them",
            ]
        );
        assert_eq!(find(&g, "relu").input, vec!["x"]);
        let names: Vec<&str> = g.node.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["x", "relu", "out"]);
    }

    #[test]
    fn identities_on_control_edges_stay() {
        let mut g = graph(vec![
            node("x", "Placeholder", &[]),
            node("a", "Identity", &["x"]),
            node("b", "Identity", &["x", "^a"]),
            node("out", "Add", &["b", "a"]),
        ]);
        let changes = strip_debug_ops(&mut g, &["out".to_owned()]).expect("strips");
        assert!(changes.is_empty(), "{changes:?}");
        assert_eq!(find(&g, "out").input, vec!["b", "a"]);
    }
}
