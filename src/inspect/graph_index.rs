//! The graph as indices: node indices by name, producers and consumers.

use std::collections::HashMap;

use crate::graph::names::node_name;
use crate::proto::{GraphDef, NodeDef};

/// Node indices by name, producers and consumers. A duplicated name resolves
/// to its last node, as in `subgraph::extract`.
pub(super) struct GraphIndex<'g> {
    pub(super) nodes: &'g [NodeDef],
    /// The GraphDef's producer version.
    pub(super) producer: i32,
    pub(super) by_name: HashMap<&'g str, usize>,
    /// Producers of each node's data inputs.
    pub(super) data_inputs: Vec<Vec<usize>>,
    /// Nodes reading each node, through data or control inputs.
    pub(super) consumers: Vec<Vec<usize>>,
    /// Nodes reading each node through data inputs.
    pub(super) data_consumers: Vec<Vec<usize>>,
}

impl<'g> GraphIndex<'g> {
    pub(super) fn new(graph: &'g GraphDef) -> Self {
        let nodes = graph.node.as_slice();
        let by_name: HashMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        let mut data_inputs = vec![Vec::new(); nodes.len()];
        let mut consumers = vec![Vec::new(); nodes.len()];
        let mut data_consumers = vec![Vec::new(); nodes.len()];
        for (i, node) in nodes.iter().enumerate() {
            for input in &node.input {
                let Some(&from) = by_name.get(node_name(input)) else {
                    continue;
                };
                consumers[from].push(i);
                if !input.starts_with('^') {
                    data_inputs[i].push(from);
                    data_consumers[from].push(i);
                }
            }
        }
        GraphIndex {
            nodes,
            producer: graph.versions.as_ref().map_or(0, |v| v.producer),
            by_name,
            data_inputs,
            consumers,
            data_consumers,
        }
    }

    pub(super) fn node(&self, i: usize) -> Option<&'g NodeDef> {
        self.nodes.get(i)
    }

    pub(super) fn op(&self, i: usize) -> &'g str {
        self.node(i).map_or("", |n| n.op.as_str())
    }

    /// Everything the freeze would keep for `outputs` (`subgraph::extract`'s walk).
    pub(super) fn needs(&self, outputs: &[usize]) -> Vec<bool> {
        let mut kept = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = outputs.to_vec();
        while let Some(i) = stack.pop() {
            match kept.get_mut(i) {
                Some(seen) if !*seen => *seen = true,
                _ => continue,
            }
            if let Some(node) = self.node(i) {
                let deps = crate::graph::subgraph::dependencies(node);
                stack.extend(deps.iter().filter_map(|d| self.by_name.get(d).copied()));
            }
        }
        kept
    }
}
