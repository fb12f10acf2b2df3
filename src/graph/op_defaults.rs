//! The attr defaults TF's import fills in before freezing.
//!
//! TF's freeze_graph imports the graph it then converts, and the import adds,
//! in place, every attr that a node lacks and its op defines with a default
//! (python/framework/importer.py `_ProcessGraphDefParam` and
//! `_SetDefaultAttrValues`). Older graphs and SavedModels with stripped
//! defaults therefore come out of TF with attrs their files did not have.
//! `op_defaults.pb` holds those defaults for every op TF 2.21 registers
//! (made by scripts/op_defaults.py).

use std::collections::HashMap;
use std::sync::OnceLock;

use prost::Message;

use crate::proto::{AttrValue, GraphDef, OpList};

type Defaults = HashMap<String, Vec<(String, AttrValue)>>;

fn defaults() -> &'static Defaults {
    static TABLE: OnceLock<Defaults> = OnceLock::new();
    TABLE.get_or_init(|| {
        let ops = OpList::decode(include_bytes!("op_defaults.pb").as_slice()).unwrap_or_default();
        ops.op
            .into_iter()
            .map(|op| {
                let attrs = op
                    .attr
                    .into_iter()
                    .filter_map(|a| a.default_value.map(|d| (a.name, d)))
                    .collect();
                (op.name, attrs)
            })
            .collect()
    })
}

/// Adds the missing defaulted attrs to the main graph's nodes, as TF's import
/// does. Nodes of ops TF does not know (function calls) are left alone, and
/// so are function bodies, which the import does not touch.
pub fn add_defaults(graph: &mut GraphDef) {
    let table = defaults();
    for node in &mut graph.node {
        let Some(attrs) = table.get(&node.op) else {
            continue;
        };
        for (name, default) in attrs {
            let slot = node.attr.entry(name.clone()).or_default();
            if slot.value.is_none() {
                *slot = default.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{attr_value, NodeDef};

    #[test]
    fn missing_defaults_are_added_and_present_ones_kept() {
        let mut node = NodeDef {
            name: "m".into(),
            op: "MatMul".into(),
            ..Default::default()
        };
        node.attr.insert(
            "transpose_a".into(),
            AttrValue {
                value: Some(attr_value::Value::B(true)),
            },
        );
        let mut graph = GraphDef {
            node: vec![
                node,
                NodeDef {
                    name: "f".into(),
                    op: "some_function".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        add_defaults(&mut graph);
        let attrs = &graph.node[0].attr;
        assert_eq!(attrs["transpose_a"].value, Some(attr_value::Value::B(true)));
        assert_eq!(attrs["grad_a"].value, Some(attr_value::Value::B(false)));
        assert!(
            !attrs.contains_key("T"),
            "attrs without a default stay absent"
        );
        assert!(graph.node[1].attr.is_empty());
    }
}
