//! Reference and resource inputs: which inputs of an op need a variable
//! reference or a resource, from its `OpDef` or a built-in list of TF's ops.

use std::collections::HashMap;

use crate::dtype::dtype_text;
use crate::proto::{attr_value, DataType, GraphDef, NodeDef, OpDef, OpList};

use super::attrs::{op_defs, type_attr};
use super::names::node_name;
use super::ops::{
    apply_ref_count, has_value_form, is_assignment, is_resource_op, REF_INPUT_OPS, REF_VARIABLE_OPS,
};

/// One input that needs a variable reference or a resource and will not get one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefInput {
    /// The node whose input it is.
    pub node: String,
    /// A sentence for people, with the fix.
    pub message: String,
}

/// Which producers [`ref_inputs`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expecting {
    /// A frozen graph: `Const` producers.
    Frozen,
    /// A graph about to be frozen: ref variables, which will become `Const`s.
    Freeze,
}

/// `Const` nodes feeding an input that needs a variable reference or a
/// resource, which TF refuses at import ("expected float_ref"). The op's
/// definition in `op_list` (a `.meta`'s `stripped_op_list`) says which inputs
/// those are; ops it lacks are looked up in a built-in list.
pub fn frozen_ref_inputs(frozen: &GraphDef, op_list: Option<&OpList>) -> Vec<RefInput> {
    ref_inputs(frozen, |_| true, op_list, Expecting::Frozen)
}

/// The reference-input problems of the nodes `check` selects.
pub fn ref_inputs(
    graph: &GraphDef,
    check: impl Fn(usize) -> bool,
    op_list: Option<&OpList>,
    expecting: Expecting,
) -> Vec<RefInput> {
    let defs = op_defs(op_list);
    let by_name: HashMap<&str, &NodeDef> =
        graph.node.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut problems = Vec::new();
    for (_, node) in graph.node.iter().enumerate().filter(|(i, _)| check(*i)) {
        let positions = match defs.get(node.op.as_str()) {
            Some(def) => ref_positions_from_def(node, def),
            None => ref_positions_built_in(node),
        };
        let data: Vec<&String> = node.input.iter().filter(|i| !i.starts_with('^')).collect();
        for (pos, wanted) in positions {
            let Some(producer) = data.get(pos).and_then(|i| by_name.get(node_name(i))) else {
                continue;
            };
            let hit = match expecting {
                Expecting::Frozen => producer.op == "Const",
                Expecting::Freeze => REF_VARIABLE_OPS.contains(&producer.op.as_str()),
            };
            if hit {
                problems.push(RefInput {
                    node: node.name.clone(),
                    message: ref_message(node, pos, &wanted, producer, expecting),
                });
            }
        }
    }
    problems
}

fn ref_message(
    node: &NodeDef,
    pos: usize,
    wanted: &str,
    producer: &NodeDef,
    expecting: Expecting,
) -> String {
    let fix = if has_value_form(&node.op) {
        "`fix_ref_ops` rewrites it into its value form"
    } else {
        "keep that variable a variable, or choose outputs that do not need this node"
    };
    let what = format!(
        "input {pos} of '{}' ({}) needs a {wanted}",
        node.name, node.op
    );
    match expecting {
        Expecting::Frozen => format!(
            "{what} but gets Const '{}': TensorFlow will refuse to load the graph; {fix}",
            producer.name
        ),
        Expecting::Freeze => format!(
            "{what}; once variable '{}' is frozen into a Const, TensorFlow will refuse to load the graph; {fix}",
            producer.name
        ),
    }
}

/// Data input positions that need a ref or resource, with the type wanted.
fn ref_positions_from_def(node: &NodeDef, def: &OpDef) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut position = 0usize;
    for arg in &def.input_arg {
        let count = if !arg.number_attr.is_empty() {
            match node
                .attr
                .get(&arg.number_attr)
                .and_then(|a| a.value.as_ref())
            {
                Some(attr_value::Value::I(n)) => usize::try_from(*n).unwrap_or(0),
                _ => 1,
            }
        } else if !arg.type_list_attr.is_empty() {
            match node
                .attr
                .get(&arg.type_list_attr)
                .and_then(|a| a.value.as_ref())
            {
                Some(attr_value::Value::List(l)) => l.r#type.len(),
                _ => 1,
            }
        } else {
            1
        };
        let base = if arg.r#type != 0 {
            Some(arg.r#type)
        } else {
            type_attr(node, &arg.type_attr)
        };
        let wanted = if arg.r#type == DataType::DtResource as i32 {
            Some("resource".to_owned())
        } else if arg.is_ref {
            Some(base.map_or("reference".to_owned(), |t| format!("{}_ref", dtype_text(t))))
        } else {
            None
        };
        for k in 0..count.min(node.input.len()) {
            if let Some(wanted) = &wanted {
                found.push((position + k, wanted.clone()));
            }
        }
        position = position.saturating_add(count);
    }
    found
}

fn ref_positions_built_in(node: &NodeDef) -> Vec<(usize, String)> {
    let op = node.op.as_str();
    let data = node.input.iter().filter(|i| !i.starts_with('^')).count();
    let resource = is_resource_op(op);
    let wanted = if resource {
        "resource".to_owned()
    } else {
        let base = type_attr(node, "T").or_else(|| type_attr(node, "dtype"));
        base.map_or("reference".to_owned(), |t| format!("{}_ref", dtype_text(t)))
    };
    let positions: Vec<usize> = if let Some(n) = apply_ref_count(op) {
        (0..n).collect()
    } else if op == "RefMerge" {
        (0..data).collect()
    } else if op == "RefSelect" {
        (1..data).collect()
    } else if resource || is_assignment(op) || REF_INPUT_OPS.contains(&op) {
        vec![0]
    } else {
        Vec::new()
    };
    positions
        .into_iter()
        .filter(|&p| p < data)
        .map(|p| (p, wanted.clone()))
        .collect()
}
