//! Reference and resource inputs: which inputs of an op need a variable
//! reference or a resource, from its `OpDef` or a built-in list of TF's ops.

use std::collections::HashMap;

use crate::names::node_name;
use crate::proto::{attr_value, DataType, GraphDef, NodeDef, OpDef, OpList};

use super::flags::is_assignment;
use super::types::{dtype_text, type_attr};
use super::{op_defs, problem, Problem, ProblemKind};

/// Which producers [`ref_problems`] reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Expecting {
    /// A frozen graph: `Const` producers.
    Frozen,
    /// A graph about to be frozen: ref variables, which will become `Const`s.
    Freeze,
}

/// `Const` nodes feeding an input that needs a variable reference or a
/// resource, which TF refuses at import ("expected float_ref"). The op's
/// definition in `op_list` (a `.meta`'s `stripped_op_list`) says which inputs
/// those are; ops it lacks are looked up in a built-in list.
pub fn ref_input_problems(frozen: &GraphDef, op_list: Option<&OpList>) -> Vec<Problem> {
    ref_problems(frozen, |_| true, op_list, Expecting::Frozen)
}

/// The reference-input problems of the nodes `check` selects.
pub(super) fn ref_problems(
    graph: &GraphDef,
    check: impl Fn(usize) -> bool,
    op_list: Option<&OpList>,
    expecting: Expecting,
) -> Vec<Problem> {
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
                Expecting::Freeze => matches!(producer.op.as_str(), "VariableV2" | "Variable"),
            };
            if hit {
                problems.push(problem(
                    ProblemKind::RefInput,
                    &node.name,
                    ref_message(node, pos, &wanted, producer, expecting),
                ));
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
    let fix = if crate::cleanup::is_fixable(&node.op) {
        "--fix_ref_ops rewrites it into its value form"
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

/// The number of leading ref (or resource) inputs of TF's optimizer apply ops
/// (core/ops/training_ops.cc), keyed by the name without `Resource`/`Sparse`.
pub(super) fn apply_ref_count(op: &str) -> Option<usize> {
    let base = op.strip_prefix("Resource").unwrap_or(op);
    let base = base.strip_prefix("Sparse").unwrap_or(base);
    let count = match base {
        "ApplyGradientDescent" | "ApplyProximalGradientDescent" => 1,
        "ApplyAdagrad"
        | "ApplyAdagradV2"
        | "ApplyProximalAdagrad"
        | "ApplyMomentum"
        | "ApplyKerasMomentum"
        | "ApplyAddSign"
        | "ApplyPowerSign" => 2,
        "ApplyAdadelta" | "ApplyAdagradDA" | "ApplyFtrl" | "ApplyFtrlV2" | "ApplyAdam"
        | "ApplyAdaMax" | "ApplyRMSProp" => 3,
        "ApplyCenteredRMSProp" | "ApplyAdamWithAmsgrad" => 4,
        other if other.starts_with("Apply") => 1,
        _ => return None,
    };
    Some(count)
}

fn ref_positions_built_in(node: &NodeDef) -> Vec<(usize, String)> {
    let op = node.op.as_str();
    let data = node.input.iter().filter(|i| !i.starts_with('^')).count();
    let resource = op.starts_with("Resource")
        || matches!(
            op,
            "AssignVariableOp"
                | "AssignAddVariableOp"
                | "AssignSubVariableOp"
                | "ReadVariableOp"
                | "VarIsInitializedOp"
                | "VariableShape"
                | "DestroyResourceOp"
        );
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
    } else if resource
        || is_assignment(op)
        || matches!(
            op,
            "RefSwitch"
                | "RefEnter"
                | "RefExit"
                | "RefIdentity"
                | "RefNextIteration"
                | "CountUpTo"
                | "IsVariableInitialized"
                | "DestroyTemporaryVariable"
        )
    {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_ops_have_their_ref_inputs() {
        assert_eq!(apply_ref_count("ApplyAdam"), Some(3));
        assert_eq!(apply_ref_count("ResourceSparseApplyMomentum"), Some(2));
        assert_eq!(apply_ref_count("MatMul"), None);
    }
}
