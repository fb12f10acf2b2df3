//! Calls inside the bodies of the functions the graph keeps (a `While` body
//! or an `If` branch calling a `tf.function`), inlined there too. The body is
//! put in GraphDef naming (its arguments as placeholder nodes), expanded as
//! the graph is, and written back in FunctionDef naming
//! (`node:out_arg:index`). Its results and `control_ret` nodes keep their
//! names, so its signature does not change.

use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::graph::names::endpoint;
use crate::graph::op_outputs;
use crate::proto::{FunctionDef, GraphDef, NodeDef};

use super::body::{self, Call, Ops};

/// Inlines the calls in every kept function's body; one line per change.
pub(super) fn inline_in_bodies(
    graph: &mut GraphDef,
    clear_devices: bool,
    ops: &Ops<'_>,
    limit: usize,
) -> Result<Vec<String>> {
    let mut changes = Vec::new();
    let Some(library) = graph.library.as_mut() else {
        return Ok(changes);
    };
    for function in &mut library.function {
        let calls = function
            .node_def
            .iter()
            .any(|n| super::called(n, ops.functions).is_some());
        if !calls || !plain_arguments(function) {
            continue;
        }
        let name = function
            .signature
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let inlined = inline_body(function, clear_devices, ops, limit)?;
        changes.extend(
            inlined
                .into_iter()
                .map(|c| format!("in function '{name}': {c}")),
        );
    }
    Ok(changes)
}

/// Only single-tensor arguments, none named like a node: each can stand as
/// one placeholder node.
fn plain_arguments(function: &FunctionDef) -> bool {
    let nodes: HashSet<&str> = function.node_def.iter().map(|n| n.name.as_str()).collect();
    function.signature.as_ref().is_some_and(|s| {
        s.input_arg.iter().all(|a| {
            a.number_attr.is_empty()
                && a.type_list_attr.is_empty()
                && !nodes.contains(a.name.as_str())
        })
    })
}

fn inline_body(
    function: &mut FunctionDef,
    clear_devices: bool,
    ops: &Ops<'_>,
    limit: usize,
) -> Result<Vec<String>> {
    let signature = function.signature.clone().unwrap_or_default();
    let args: Vec<String> = signature.input_arg.iter().map(|a| a.name.clone()).collect();
    let placed = body::place(
        function,
        &Call {
            name: &signature.name,
            inputs: args.iter().map(String::as_str).collect(),
            attrs: Default::default(),
            prefix: String::new(),
            device: Some(""),
        },
        ops,
    )?;
    let mut kept: Vec<String> = placed
        .outputs
        .iter()
        .map(|o| endpoint(o).0.to_owned())
        .collect();
    kept.extend(placed.control.iter().cloned());
    let mut nodes: Vec<NodeDef> = args
        .iter()
        .map(|a| NodeDef {
            name: a.clone(),
            op: "Placeholder".into(),
            ..Default::default()
        })
        .collect();
    nodes.extend(placed.nodes);
    let (nodes, changes) = super::expand(nodes, &kept, clear_devices, ops, limit)?;
    let arguments: HashSet<&str> = args.iter().map(String::as_str).collect();
    let by_name: HashMap<&str, &NodeDef> = nodes.iter().map(|n| (n.name.as_str(), n)).collect();
    let naming = Naming {
        nodes: &by_name,
        arguments: &arguments,
        ops,
        function: &signature.name,
    };
    let mut body = Vec::with_capacity(nodes.len());
    for node in nodes
        .iter()
        .filter(|n| !arguments.contains(n.name.as_str()))
    {
        let mut copy = node.clone();
        copy.input = node
            .input
            .iter()
            .map(|i| naming.reference(i))
            .collect::<Result<_>>()?;
        body.push(copy);
    }
    for (arg, output) in signature.output_arg.iter().zip(&placed.outputs) {
        function
            .ret
            .insert(arg.name.clone(), naming.reference(output)?);
    }
    function.node_def = body;
    Ok(changes)
}

/// GraphDef names back to FunctionDef names.
struct Naming<'a> {
    nodes: &'a HashMap<&'a str, &'a NodeDef>,
    arguments: &'a HashSet<&'a str>,
    ops: &'a Ops<'a>,
    function: &'a str,
}

impl Naming<'_> {
    fn reference(&self, input: &str) -> Result<String> {
        if input.starts_with('^') {
            return Ok(input.to_owned());
        }
        let (source, port) = endpoint(input);
        if self.arguments.contains(source) {
            return Ok(source.to_owned());
        }
        let what = format!("node '{source}' of function '{}'", self.function);
        let node = self.nodes.get(source).copied();
        let outputs = node.and_then(|n| self.ops.outputs(n)).unwrap_or_default();
        let attrs = node.map(|n| n.attr.clone()).unwrap_or_default();
        let (arg, index) = op_outputs::arg_of_port(&outputs, &attrs, port, &what)?;
        Ok(format!("{source}:{arg}:{index}"))
    }
}
