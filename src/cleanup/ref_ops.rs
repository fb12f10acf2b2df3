//! Reference ops rewritten into their value forms.

use crate::graph::ops::value_form;
use crate::proto::GraphDef;

/// Rewrites reference ops into their value forms, the fix for TF1 batch norm's
/// "Input 0 of node .../RefSwitch was passed float from ... incompatible with
/// expected float_ref" once its moving averages are constants: `RefSwitch` →
/// `Switch` (and the other `Ref*` control-flow ops likewise), `AssignSub` →
/// `Sub`, `AssignAdd` → `Add` (without `use_locking`), `Assign` → `Identity`
/// of its value (without `validate_shape` and `use_locking`).
pub fn fix_ref_ops(graph: &mut GraphDef) -> Vec<String> {
    let mut changes = Vec::new();
    for node in &mut graph.node {
        let Some(to) = value_form(&node.op) else {
            continue;
        };
        let from = std::mem::take(&mut node.op);
        if from == "Assign" {
            // Identity(value), keeping the control inputs.
            let data: Vec<usize> = (0..node.input.len())
                .filter(|&i| node.input.get(i).is_some_and(|s| !s.starts_with('^')))
                .collect();
            let Some(value) = data.get(1).and_then(|&i| node.input.get(i)).cloned() else {
                node.op = from;
                continue;
            };
            let controls = node.input.iter().filter(|s| s.starts_with('^')).cloned();
            node.input = std::iter::once(value).chain(controls).collect();
            node.attr.remove("validate_shape");
        }
        node.attr.remove("use_locking");
        node.op = to.to_owned();
        changes.push(format!("'{}': {from} → {to}", node.name));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_graph::{find, graph, node, with_attr};
    use crate::proto::{attr_value, DataType};

    #[test]
    fn ref_ops_become_value_ops() {
        let locking = attr_value::Value::B(true);
        let t = attr_value::Value::Type(DataType::DtFloat as i32);
        let mut g = graph(vec![
            node("mean", "Const", &[]),
            node("pred", "Const", &[]),
            node("sw", "RefSwitch", &["mean", "pred"]),
            with_attr(
                with_attr(
                    node("sub", "AssignSub", &["mean", "d"]),
                    "use_locking",
                    locking.clone(),
                ),
                "T",
                t.clone(),
            ),
            with_attr(
                node("add", "AssignAdd", &["mean", "d"]),
                "use_locking",
                locking.clone(),
            ),
            with_attr(
                with_attr(
                    node("set", "Assign", &["mean", "d:1", "^sw"]),
                    "validate_shape",
                    locking,
                ),
                "T",
                t,
            ),
            node("other", "MatMul", &["mean", "mean"]),
        ]);
        let changes = fix_ref_ops(&mut g);
        assert_eq!(changes.len(), 4, "{changes:?}");
        assert_eq!(changes[0], "'sw': RefSwitch → Switch");
        assert_eq!(find(&g, "sw").op, "Switch");
        let sub = find(&g, "sub");
        assert_eq!((sub.op.as_str(), sub.input.len()), ("Sub", 2));
        assert!(!sub.attr.contains_key("use_locking") && sub.attr.contains_key("T"));
        assert_eq!(find(&g, "add").op, "Add");
        let set = find(&g, "set");
        assert_eq!(set.op, "Identity");
        assert_eq!(set.input, vec!["d:1", "^sw"]);
        assert!(!set.attr.contains_key("validate_shape") && set.attr.contains_key("T"));
        assert_eq!(find(&g, "other").op, "MatMul");
    }
}
