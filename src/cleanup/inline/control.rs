//! The control edges around an inlined body, as TF's `InlineFunctionBody`
//! makes them (inline_function_utils.cc): an `input_control_node` NoOp for
//! the call's control inputs, an `output_control_node` NoOp for what waited
//! for the call, and a node of the call's name when the call is fetched.

use std::collections::HashSet;

use crate::graph::attrs::type_value;
use crate::graph::names::node_name;
use crate::proto::{attr_value, AttrValue, NodeDef};

use super::body::Placed;

/// The names of the NoOps, under the call's prefix.
pub(super) const NAMES: [&str; 2] = ["input_control_node", "output_control_node"];

/// The NoOps made for one call.
pub(super) struct Edges<'a> {
    prefix: &'a str,
    device: &'a str,
    input: Option<NodeDef>,
    output: Option<NodeDef>,
}

impl<'a> Edges<'a> {
    pub fn new(prefix: &'a str, device: &'a str) -> Self {
        Edges {
            prefix,
            device,
            input: None,
            output: None,
        }
    }

    /// The call's control inputs (`^x`) reach every inlined node without an
    /// input from inside the body (TF gives them to the input Identities and
    /// to the nodes without inputs), through one NoOp.
    pub fn inputs(&mut self, nodes: &mut [NodeDef], control: &[&str]) {
        if control.is_empty() {
            return;
        }
        let name = self.fresh("input_control_node", nodes);
        let body: HashSet<String> = nodes.iter().map(|n| n.name.clone()).collect();
        for node in nodes.iter_mut() {
            let inside = node.input.iter().any(|i| body.contains(node_name(i)));
            if !inside {
                node.input.push(format!("^{name}"));
            }
        }
        let waits = control.iter().map(|c| node_name(c).to_owned());
        self.input = Some(self.no_op(name, waits));
    }

    /// What waited for the call waits for the body's `control_ret` nodes
    /// (or, with none, for the call's control inputs), through one NoOp.
    pub fn outputs(&mut self, nodes: &[NodeDef], control_ret: &[String]) {
        let name = self.fresh("output_control_node", nodes);
        let waits: Vec<String> = if control_ret.is_empty() {
            self.input.iter().map(|n| n.name.clone()).collect()
        } else {
            control_ret.to_vec()
        };
        self.output = Some(self.no_op(name, waits.into_iter()));
    }

    /// The name of the output control NoOp, if one was made.
    pub fn output_node(&self) -> Option<&str> {
        self.output.as_ref().map(|n| n.name.as_str())
    }

    /// The inlined nodes with the NoOps around them, then the stand-in.
    pub fn around(self, nodes: Vec<NodeDef>, stand_in: Option<NodeDef>) -> Vec<NodeDef> {
        self.input
            .into_iter()
            .chain(nodes)
            .chain(self.output)
            .chain(stand_in)
            .collect()
    }

    /// `prefix + base`, or with `_1`, `_2`, ... when a body node has that name.
    fn fresh(&self, base: &str, nodes: &[NodeDef]) -> String {
        let taken = |name: &str| nodes.iter().any(|n| n.name == name);
        let first = format!("{}{base}", self.prefix);
        if !taken(&first) {
            return first;
        }
        (1usize..)
            .map(|k| format!("{first}_{k}"))
            .find(|name| !taken(name))
            .unwrap_or(first)
    }

    fn no_op(&self, name: String, waits_for: impl Iterator<Item = String>) -> NodeDef {
        NodeDef {
            name,
            op: "NoOp".into(),
            input: waits_for.map(|n| format!("^{n}")).collect(),
            device: self.device.to_owned(),
            ..Default::default()
        }
    }
}

/// The node keeping a fetched call under its name: an Identity of its one
/// result, an IdentityN of several, a NoOp for none (TF keeps an IdentityN
/// or a NoOp; an Identity is the same tensor, and more converters map it).
pub(super) fn stand_in(
    call: &NodeDef,
    placed: &Placed,
    control: Option<&str>,
    device: &str,
) -> NodeDef {
    let types: Vec<i32> = match call.attr.get("Tout").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::List(list)) if list.r#type.len() == placed.outputs.len() => {
            list.r#type.clone()
        }
        _ => placed.types.clone(),
    };
    let mut node = NodeDef {
        name: call.name.clone(),
        input: placed.outputs.clone(),
        device: device.to_owned(),
        ..Default::default()
    };
    match types.as_slice() {
        [] => node.op = "NoOp".into(),
        [one] => {
            node.op = "Identity".into();
            node.attr.insert("T".into(), type_value(*one));
        }
        many => {
            node.op = "IdentityN".into();
            let list = attr_value::ListValue {
                r#type: many.to_vec(),
                ..Default::default()
            };
            node.attr.insert(
                "T".into(),
                AttrValue {
                    value: Some(attr_value::Value::List(Box::new(list))),
                },
            );
        }
    }
    if let Some(shapes) = call.attr.get("_output_shapes") {
        node.attr.insert("_output_shapes".into(), shapes.clone());
    }
    if let Some(control) = control {
        node.input.push(format!("^{control}"));
    }
    node
}
