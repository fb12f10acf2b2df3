//! The op lint: every node of the frozen graph its target will not load, so
//! the user learns it before the consumer says so. The freeze still writes
//! the graph: a consumer may have extensions (custom ops, TF.js custom
//! kernels) this table cannot know.

use serde::Serialize;

use crate::proto::GraphDef;

use super::{ops, Target};

/// What the lint found, for `--report` (`target_lint`), the CLI and the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TargetLint {
    /// The target's name (`tract`).
    pub target: String,
    /// The nodes it will reject, in graph order.
    pub unsupported: Vec<UnsupportedNode>,
}

/// One node the target has no op for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnsupportedNode {
    /// The node's name.
    pub node: String,
    /// Its op.
    pub op: String,
}

/// The nodes of `graph` whose ops `target` does not run; `None` for TF.
/// Only the graph's own nodes count: a function a node still calls is
/// listed through that call node.
pub fn lint(graph: &GraphDef, target: Target) -> Option<TargetLint> {
    let supported = ops::supported(target)?;
    let unsupported = graph
        .node
        .iter()
        .filter(|node| !supported.contains(node.op.as_str()))
        .map(|node| UnsupportedNode {
            node: node.name.clone(),
            op: node.op.clone(),
        })
        .collect();
    Some(TargetLint {
        target: target.name().to_owned(),
        unsupported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::NodeDef;

    fn graph(nodes: &[(&str, &str)]) -> GraphDef {
        GraphDef {
            node: nodes
                .iter()
                .map(|(name, op)| NodeDef {
                    name: (*name).into(),
                    op: (*op).into(),
                    ..NodeDef::default()
                })
                .collect(),
            ..GraphDef::default()
        }
    }

    #[test]
    fn lists_each_node_the_target_lacks_in_graph_order() {
        let g = graph(&[
            ("x", "Placeholder"),
            ("w", "Const"),
            ("gelu/erf", "Erf"),
            ("mm", "MatMul"),
            ("call", "StatefulPartitionedCall"),
            ("out", "Identity"),
        ]);
        let found = lint(&g, Target::Tract).unwrap();
        assert_eq!(found.target, "tract");
        let listed: Vec<(&str, &str)> = found
            .unsupported
            .iter()
            .map(|u| (u.node.as_str(), u.op.as_str()))
            .collect();
        assert_eq!(
            listed,
            [("gelu/erf", "Erf"), ("call", "StatefulPartitionedCall")]
        );
        let tfjs = lint(&g, Target::Tfjs).unwrap();
        assert_eq!(tfjs.unsupported.len(), 1, "TF.js has Erf: {tfjs:?}");
        assert_eq!(lint(&g, Target::Tf), None);
    }

    #[test]
    fn serializes_as_the_report_says() {
        let found = lint(&graph(&[("e", "Erf")]), Target::Opencv).unwrap();
        assert_eq!(
            serde_json::to_string(&found).unwrap(),
            r#"{"target":"opencv","unsupported":[{"node":"e","op":"Erf"}]}"#
        );
    }
}
