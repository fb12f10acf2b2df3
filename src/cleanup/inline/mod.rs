//! Function calls inlined into the frozen graph (`inline_functions`): each
//! `PartitionedCall` / `StatefulPartitionedCall` (and a node whose op names a
//! library function) is replaced by the nodes of its body, calls inside
//! bodies too, and the library keeps only the functions something still
//! calls (functional `While`/`If`/`Case` stay, with their bodies). Consumers
//! such as TF.js and tract do not run function calls; TF's own inliner is
//! tensorflow/core/common_runtime/inline_function_utils.cc
//! (`InlineFunctionBody`), whose handling of control edges this copies:
//! - the call's control inputs go to an `input_control_node` NoOp that every
//!   inlined node without an input from inside the body waits for;
//! - what waited for the call (`^call`) waits for an `output_control_node`
//!   NoOp that waits for the body's `control_ret` nodes;
//! - a call that is an output of the graph stays fetchable: a node of its
//!   name (Identity for one output, IdentityN for several, NoOp for none)
//!   gives what the body returns.
//!
//! Unlike TF, no Identity is put on each input and output: consumers read the
//! body's tensors directly, which leaves fewer nodes for a converter to map.

#![deny(clippy::indexing_slicing)]

mod body;
mod control;
mod library;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::{Error, Result};
use crate::graph::attrs::op_defs;
use crate::graph::names::{endpoint, node_name};
use crate::proto::{attr_value, AttrValue, FunctionDef, GraphDef, NodeDef, OpList};

use body::{Call, Ops};

/// Ops whose `f` attr names the function they call.
const CALL_OPS: [&str; 2] = ["PartitionedCall", "StatefulPartitionedCall"];

/// The deepest nesting of calls inlined; a function calling itself would
/// otherwise never end.
const MAX_DEPTH: usize = 100;

/// Most nodes inlining may add: a small library calling its functions many
/// times over, level after level, could otherwise grow without bound.
const MAX_ADDED: usize = 1 << 21;

/// Inlines every function call of `graph`; `outputs` (node names) stay
/// fetchable; devices are blanked when `clear_devices`. `op_list` numbers the
/// outputs of custom ops. Returns one line per change.
pub fn inline_functions(
    graph: &mut GraphDef,
    outputs: &[String],
    clear_devices: bool,
    op_list: Option<&OpList>,
) -> Result<Vec<String>> {
    let functions: HashMap<String, FunctionDef> = graph
        .library
        .iter()
        .flat_map(|l| &l.function)
        .filter_map(|f| Some((f.signature.as_ref()?.name.clone(), f.clone())))
        .collect();
    let ops = Ops {
        op_list: op_defs(op_list),
        functions: &functions,
    };
    let kept: HashSet<&str> = outputs.iter().map(|o| node_name(o)).collect();
    let mut changes = Vec::new();
    let mut depth: HashMap<String, usize> = HashMap::new();
    let mut added = 0usize;
    let mut i = 0usize;
    while let Some(node) = graph.node.get(i) {
        let Some(function) = called(node, &functions) else {
            i = i.saturating_add(1);
            continue;
        };
        let level = depth.get(&node.name).copied().unwrap_or(0);
        if level >= MAX_DEPTH {
            return Err(Error::unsupported(format!(
                "node '{}' calls function '{function}' through more than {MAX_DEPTH} nested \
                 calls (a function calling itself cannot be inlined)",
                node.name
            )));
        }
        let call = graph.node.remove(i);
        let expansion = inline_call(graph, &call, function, &ops, &kept, clear_devices)?;
        added = added.saturating_add(expansion.len());
        if added > MAX_ADDED {
            return Err(Error::TooLarge {
                what: "the graph with its function calls inlined (nodes added)".into(),
                size: added as u64,
                limit: MAX_ADDED as u64,
            });
        }
        for inner in expansion.iter().filter(|n| called(n, &functions).is_some()) {
            depth.insert(inner.name.clone(), level.saturating_add(1));
        }
        changes.push(format!(
            "inlined {} '{}' (function '{function}', {} nodes)",
            call.op,
            call.name,
            expansion.len()
        ));
        let at = i.min(graph.node.len());
        graph.node.splice(at..at, expansion);
    }
    changes.extend(library::drop_uncalled(graph));
    Ok(changes)
}

/// The function `node` calls, if it is a call this pass inlines.
fn called<'f>(node: &NodeDef, functions: &'f HashMap<String, FunctionDef>) -> Option<&'f str> {
    let name = if CALL_OPS.contains(&node.op.as_str()) {
        match node.attr.get("f").and_then(|a| a.value.as_ref()) {
            Some(attr_value::Value::Func(f)) => f.name.as_str(),
            _ => return None,
        }
    } else {
        node.op.as_str()
    };
    functions.get_key_value(name).map(|(k, _)| k.as_str())
}

/// Replaces `call` (already out of `graph`) by its body; returns the nodes
/// to put where it was, and rewires its consumers.
fn inline_call(
    graph: &mut GraphDef,
    call: &NodeDef,
    function: &str,
    ops: &Ops<'_>,
    kept: &HashSet<&str>,
    clear_devices: bool,
) -> Result<Vec<NodeDef>> {
    let definition = ops
        .functions
        .get(function)
        .ok_or_else(|| Error::mismatch(&call.name, "its function is not in the library"))?;
    let prefix = free_prefix(graph, &call.name);
    let (data, control_inputs): (Vec<&str>, Vec<&str>) = call
        .input
        .iter()
        .map(String::as_str)
        .partition(|i| !i.starts_with('^'));
    let device = if clear_devices {
        ""
    } else {
        call.device.as_str()
    };
    let mut placed = body::place(
        definition,
        &Call {
            name: &call.name,
            inputs: data,
            attrs: instantiation_attrs(call),
            prefix: prefix.clone(),
            device: (!clear_devices).then_some(device),
        },
        ops,
    )?;
    let mut edges = control::Edges::new(&prefix, device);
    edges.inputs(&mut placed.nodes, &control_inputs);
    let waited_on = graph.node.iter().any(|n| {
        n.input
            .iter()
            .any(|i| i.strip_prefix('^') == Some(call.name.as_str()))
    });
    let fetched = kept.contains(call.name.as_str());
    if waited_on || (fetched && !placed.control.is_empty()) {
        edges.outputs(&placed.nodes, &placed.control);
    }
    rewire(graph, &call.name, &placed.outputs, edges.output_node())?;
    let stand_in = fetched.then(|| control::stand_in(call, &placed, edges.output_node(), device));
    Ok(edges.around(placed.nodes, stand_in))
}

/// The attrs a function is instantiated with: those of the `f` attr, then
/// the call node's own.
fn instantiation_attrs(call: &NodeDef) -> BTreeMap<String, AttrValue> {
    let mut attrs = call.attr.clone();
    if let Some(attr_value::Value::Func(f)) = call.attr.get("f").and_then(|a| a.value.as_ref()) {
        attrs.extend(f.attr.clone());
    }
    attrs
}

/// `call/`, or `call_1/`, ... when a node of the graph already has that prefix.
fn free_prefix(graph: &GraphDef, call: &str) -> String {
    let taken = |prefix: &str| graph.node.iter().any(|n| n.name.starts_with(prefix));
    let first = format!("{call}/");
    if !taken(&first) {
        return first;
    }
    (1usize..)
        .map(|k| format!("{call}_{k}/"))
        .find(|p| !taken(p) && !graph.node.iter().any(|n| n.name == p.trim_end_matches('/')))
        .unwrap_or(first)
}

/// Consumers of `call:k` read `outputs[k]`; those waiting for `^call` wait
/// for `output_control`.
fn rewire(
    graph: &mut GraphDef,
    call: &str,
    outputs: &[String],
    output_control: Option<&str>,
) -> Result<()> {
    for node in &mut graph.node {
        let mut inputs = Vec::with_capacity(node.input.len());
        for input in &node.input {
            if node_name(input) != call {
                inputs.push(input.clone());
            } else if input.starts_with('^') {
                if let Some(control) = output_control {
                    let wait = format!("^{control}");
                    if !inputs.contains(&wait) {
                        inputs.push(wait);
                    }
                }
            } else {
                let (_, k) = endpoint(input);
                let output = outputs.get(k).ok_or_else(|| {
                    Error::mismatch(
                        &node.name,
                        format!(
                            "it reads '{input}', but the function called there has {} outputs",
                            outputs.len()
                        ),
                    )
                })?;
                inputs.push(output.clone());
            }
        }
        node.input = inputs;
    }
    Ok(())
}
