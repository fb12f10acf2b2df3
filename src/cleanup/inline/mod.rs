//! Function calls inlined into the frozen graph (`inline_functions`): each
//! `PartitionedCall` / `StatefulPartitionedCall` (and a node whose op names a
//! library function) is replaced by the nodes of its body, calls inside
//! bodies too, and the library keeps only the functions something still
//! calls (functional `While`/`If`/`Case` stay, with their bodies, where calls
//! are inlined too: see `functions`). Consumers
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
//! And the control edges of inlined nodes on frozen constants go (see
//! `constant_waits`).

#![deny(clippy::indexing_slicing)]

mod body;
mod constant_waits;
mod control;
mod functions;
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
const MAX_ADDED: usize = 1 << 20;

/// Calls named one by one in the changes; the rest are counted.
const MAX_LISTED: usize = 50;

/// Inlines every function call of `graph`; `outputs` (node names) stay
/// fetchable; devices are blanked when `clear_devices`. `op_list` numbers the
/// outputs of custom ops. Returns one line per change.
pub fn inline_functions(
    graph: &mut GraphDef,
    outputs: &[String],
    clear_devices: bool,
    op_list: Option<&OpList>,
) -> Result<Vec<String>> {
    inline_within(graph, outputs, clear_devices, op_list, MAX_ADDED)
}

/// [`inline_functions`], adding at most `limit` nodes.
fn inline_within(
    graph: &mut GraphDef,
    outputs: &[String],
    clear_devices: bool,
    op_list: Option<&OpList>,
    limit: usize,
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
    let nodes = std::mem::take(&mut graph.node);
    let (nodes, mut changes) = expand(nodes, outputs, clear_devices, &ops, limit)?;
    graph.node = nodes;
    changes.extend(library::drop_uncalled(graph));
    let bodies = functions::inline_in_bodies(graph, clear_devices, &ops, limit)?;
    if !bodies.is_empty() {
        changes.extend(bodies);
        changes.extend(library::drop_uncalled(graph));
    }
    Ok(changes)
}

/// Inlines the calls among `nodes`; `outputs` stay fetchable.
fn expand(
    nodes: Vec<NodeDef>,
    outputs: &[String],
    clear_devices: bool,
    ops: &Ops<'_>,
    limit: usize,
) -> Result<(Vec<NodeDef>, Vec<String>)> {
    let mut state = State::new(&nodes, outputs, clear_devices, limit);
    // A stack keeps each body where its call was, and reaches the calls
    // inside it next: one pass, however deep the nesting.
    let mut stack: Vec<(NodeDef, usize)> = nodes.into_iter().rev().map(|n| (n, 0)).collect();
    let mut nodes = Vec::with_capacity(stack.len());
    while let Some((node, level)) = stack.pop() {
        let Some(function) = called(&node, ops.functions) else {
            nodes.push(node);
            continue;
        };
        if level >= MAX_DEPTH {
            return Err(Error::unsupported(format!(
                "node '{}' calls function '{function}' through more than {MAX_DEPTH} nested \
                 calls (a function calling itself cannot be inlined)",
                node.name
            )));
        }
        let expansion = state.inline_call(&node, function, ops)?;
        stack.extend(
            expansion
                .into_iter()
                .rev()
                .map(|n| (n, level.saturating_add(1))),
        );
    }
    for node in &mut nodes {
        state.resolve(node)?;
    }
    if state.calls > 0 {
        let waits =
            constant_waits::drop_constant_waits(&mut nodes, &state.added_names, &state.kept);
        if waits > 0 {
            state.changes.push(format!(
                "dropped {waits} control edge{} of the inlined nodes on frozen constants",
                if waits == 1 { "" } else { "s" }
            ));
        }
    }
    let mut changes = state.changes;
    if state.calls > MAX_LISTED {
        changes.push(format!(
            "inlined {} more calls",
            state.calls.saturating_sub(MAX_LISTED)
        ));
    }
    Ok((nodes, changes))
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

/// What inlining knows of the whole graph. Consumers are rewired once, at
/// the end, through `aliases`: a call's output may name a call inlined later.
struct State<'k> {
    /// Every node name.
    taken: HashSet<String>,
    /// The names of the nodes inlining made.
    added_names: HashSet<String>,
    /// Nodes something waits for by a control edge (`^name`).
    waited: HashSet<String>,
    /// The outputs to keep fetchable.
    kept: HashSet<&'k str>,
    clear_devices: bool,
    /// `(call, port)` → what reads it now.
    aliases: HashMap<(String, usize), String>,
    /// Call → the NoOp that waits for its body.
    control_aliases: HashMap<String, String>,
    /// Call → its number of outputs.
    inlined: HashMap<String, usize>,
    added: usize,
    /// Most nodes to add.
    limit: usize,
    calls: usize,
    changes: Vec<String>,
}

impl<'k> State<'k> {
    fn new(nodes: &[NodeDef], outputs: &'k [String], clear_devices: bool, limit: usize) -> Self {
        let mut state = State {
            taken: HashSet::new(),
            added_names: HashSet::new(),
            waited: HashSet::new(),
            kept: outputs.iter().map(|o| node_name(o)).collect(),
            clear_devices,
            aliases: HashMap::new(),
            control_aliases: HashMap::new(),
            inlined: HashMap::new(),
            added: 0,
            limit,
            calls: 0,
            changes: Vec::new(),
        };
        nodes.iter().for_each(|n| state.note(n));
        state
    }

    /// Records a node's name and whom it waits for.
    fn note(&mut self, node: &NodeDef) {
        self.taken.insert(node.name.clone());
        for input in &node.input {
            if let Some(source) = input.strip_prefix('^') {
                self.waited.insert(source.to_owned());
            }
        }
    }

    /// `call/`, or `call_1/`, ... when a body node, or a NoOp made for the
    /// call, would take the name of a node of the graph.
    fn free_prefix(&self, call: &str, function: &FunctionDef) -> String {
        let names = function
            .node_def
            .iter()
            .map(|n| n.name.as_str())
            .chain(control::NAMES);
        let free = |prefix: &str| {
            names
                .clone()
                .all(|n| !self.taken.contains(&format!("{prefix}{n}")))
        };
        std::iter::once(format!("{call}/"))
            .chain((1usize..).map(|k| format!("{call}_{k}/")))
            .find(|p| free(p))
            .unwrap_or_else(|| format!("{call}/"))
    }

    /// Replaces `call` by its body: returns the nodes to put where it was.
    fn inline_call(
        &mut self,
        call: &NodeDef,
        function: &str,
        ops: &Ops<'_>,
    ) -> Result<Vec<NodeDef>> {
        let definition = ops
            .functions
            .get(function)
            .ok_or_else(|| Error::mismatch(&call.name, "its function is not in the library"))?;
        let prefix = self.free_prefix(&call.name, definition);
        let (data, control_inputs): (Vec<&str>, Vec<&str>) = call
            .input
            .iter()
            .map(String::as_str)
            .partition(|i| !i.starts_with('^'));
        let device = if self.clear_devices {
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
                device: (!self.clear_devices).then_some(device),
            },
            ops,
        )?;
        let mut edges = control::Edges::new(&prefix, device);
        edges.inputs(&mut placed.nodes, &control_inputs);
        let fetched = self.kept.contains(call.name.as_str());
        if self.waited.contains(&call.name) || (fetched && !placed.control.is_empty()) {
            edges.outputs(&placed.nodes, &placed.control);
        }
        for (port, output) in placed.outputs.iter().enumerate() {
            self.aliases
                .insert((call.name.clone(), port), output.clone());
        }
        if let Some(control) = edges.output_node() {
            self.control_aliases
                .insert(call.name.clone(), control.to_owned());
        }
        self.inlined.insert(call.name.clone(), placed.outputs.len());
        let stand_in =
            fetched.then(|| control::stand_in(call, &placed, edges.output_node(), device));
        let expansion = edges.around(placed.nodes, stand_in);
        expansion.iter().for_each(|n| self.note(n));
        self.added_names
            .extend(expansion.iter().map(|n| n.name.clone()));
        self.count(call, function, expansion.len())?;
        Ok(expansion)
    }

    fn count(&mut self, call: &NodeDef, function: &str, nodes: usize) -> Result<()> {
        self.added = self.added.saturating_add(nodes);
        if self.added > self.limit {
            return Err(Error::TooLarge {
                what: "the graph with its function calls inlined (nodes added)".into(),
                size: self.added as u64,
                limit: self.limit as u64,
            });
        }
        self.calls = self.calls.saturating_add(1);
        if self.calls <= MAX_LISTED {
            self.changes.push(format!(
                "inlined {} '{}' (function '{function}', {nodes} nodes)",
                call.op, call.name
            ));
        }
        Ok(())
    }

    /// Consumers of `call:k` read what the body gives; those waiting for
    /// `^call` wait for its output control NoOp.
    fn resolve(&self, node: &mut NodeDef) -> Result<()> {
        let mut inputs: Vec<String> = Vec::with_capacity(node.input.len());
        for input in &node.input {
            let resolved = if let Some(source) = input.strip_prefix('^') {
                let mut source = source;
                let mut hops = 0usize;
                while let Some(next) = self.control_aliases.get(source) {
                    source = next;
                    hops = hops.saturating_add(1);
                    if hops > MAX_DEPTH.saturating_mul(2) {
                        break;
                    }
                }
                format!("^{source}")
            } else {
                self.data(input, &node.name)?
            };
            if !(resolved.starts_with('^') && inputs.contains(&resolved)) {
                inputs.push(resolved);
            }
        }
        node.input = inputs;
        Ok(())
    }

    /// A data input through the aliases (a body may return what an inner call gives).
    fn data(&self, input: &str, node: &str) -> Result<String> {
        let mut current = input.to_owned();
        for _ in 0..=MAX_DEPTH.saturating_mul(2) {
            let (source, port) = endpoint(&current);
            match self.aliases.get(&(source.to_owned(), port)) {
                Some(next) => current = next.clone(),
                None if self.inlined.contains_key(source) => {
                    let outputs = self.inlined.get(source).copied().unwrap_or(0);
                    return Err(Error::mismatch(
                        node,
                        format!("it reads '{current}', but the function called there has {outputs} outputs"),
                    ));
                }
                None => return Ok(current),
            }
        }
        Ok(current)
    }
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
