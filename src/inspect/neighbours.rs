//! Node data for choosing outputs by hand: the names that match what is being
//! typed (with op, dtype and shape), and a candidate's neighbourhood, what it
//! is computed from back to the inputs and variables and what reads it, so
//! logits and a loss can be told apart at a glance. Graphs can have hundreds
//! of thousands of nodes: both answers are capped, and the walks keep node
//! indices until the few nodes sent are written out.

use std::collections::HashMap;

use serde::Serialize;

use crate::dtype::python_dtype_name;
use crate::graph::attrs::{op_defs, output_dtype, output_shape};
use crate::graph::ops::{is_placeholder, is_variable, SHAPE_OPS, XENT_OPS};
use crate::graph::LoadedGraph;
use crate::proto::OpDef;

use super::flags::LOSS_WORDS;
use super::graph_index::GraphIndex;

/// One node as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphNode {
    /// The node name, as `output_node_names` takes it.
    pub name: String,
    /// Its op.
    pub op: String,
    /// The dtype of output 0 (Python name), when known.
    pub dtype: Option<String>,
    /// The shape of output 0 (-1: unknown dimension), `None` for unknown rank.
    pub shape: Option<Vec<i64>>,
}

/// The nodes whose names match a query, at most `limit` of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeMatches {
    /// Names starting with the query first, then names containing it; each in graph order.
    pub nodes: Vec<GraphNode>,
    /// How many nodes match in all.
    pub total: usize,
}

/// What a node is computed from and what reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Neighbourhood {
    /// The node asked about.
    pub node: GraphNode,
    /// Its data inputs, each with its own, up to the depth asked.
    pub producers: Vec<Producer>,
    /// The nodes reading it through data inputs, training nodes left out.
    pub consumers: Vec<Consumer>,
    /// How many nodes of training (gradients, optimizer updates) read it.
    pub training_consumers: usize,
}

/// One node the asked node is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Producer {
    /// The node.
    pub node: GraphNode,
    /// `input`, `variable` or `constant`: where the walk ends; else `None`.
    pub role: Option<&'static str>,
    /// Its own data inputs, when within the depth and not shown before.
    pub inputs: Vec<Producer>,
    /// Shown earlier in the tree; its inputs are not repeated.
    pub repeated: bool,
    /// Inputs not shown, past the depth or the caps.
    pub hidden: usize,
}

/// A node reading the asked one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consumer {
    /// The node.
    pub node: GraphNode,
    /// `loss` or `metric`, when it is one or leads to one within a few steps.
    pub role: Option<&'static str>,
    /// The loss or metric it leads to, when that is another node.
    pub leads_to: Option<String>,
}

/// Caps on what one answer holds, so a huge graph sends a small answer.
const MAX_TREE_NODES: usize = 48;
const MAX_INPUTS_SHOWN: usize = 6;
const MAX_CONSUMERS: usize = 12;
const MAX_DEPTH: usize = 6;
/// A loss or metric sits a few ops after the prediction it reads.
const FORWARD_STEPS: usize = 4;
const FORWARD_VISITS: usize = 256;

/// The nodes whose names contain `query` (ignoring case), at most `limit`.
pub fn graph_nodes(graph: &LoadedGraph, query: &str, limit: usize) -> NodeMatches {
    let wanted = query.trim().to_lowercase();
    let defs = op_defs(graph.stripped_op_list());
    let mut starting = Vec::new();
    let mut containing = Vec::new();
    let mut total = 0usize;
    for (i, node) in graph.graph.node.iter().enumerate() {
        let lower = node.name.to_lowercase();
        let Some(at) = lower.find(&wanted) else {
            continue;
        };
        total += 1;
        // Indices only: the few nodes sent are written out below. The name
        // itself comes first, so Enter after typing it whole picks it.
        if lower == wanted {
            starting.insert(0, i);
            starting.truncate(limit);
            continue;
        }
        let list = if at == 0 {
            &mut starting
        } else {
            &mut containing
        };
        if list.len() < limit {
            list.push(i);
        }
    }
    let nodes = starting
        .into_iter()
        .chain(containing)
        .take(limit)
        .filter_map(|i| graph.graph.node.get(i))
        .map(|n| describe(n, &defs))
        .collect();
    NodeMatches { nodes, total }
}

/// What `name` is computed from, `depth` levels back (at most 6), and what
/// reads it; `None` when no node has that name.
pub fn node_neighbourhood(graph: &LoadedGraph, name: &str, depth: usize) -> Option<Neighbourhood> {
    let ix = GraphIndex::new(&graph.graph);
    let defs = op_defs(graph.stripped_op_list());
    let &at = ix.by_name.get(name)?;
    let mut walk = Walk {
        ix: &ix,
        defs: &defs,
        shown: vec![false; ix.nodes.len()],
        count: 0,
    };
    if let Some(seen) = walk.shown.get_mut(at) {
        *seen = true;
    }
    let (producers, _) = walk.inputs(at, depth.min(MAX_DEPTH));
    let (consumers, training_consumers) = consumers(&ix, &defs, at);
    Some(Neighbourhood {
        node: describe(ix.node(at)?, &defs),
        producers,
        consumers,
        training_consumers,
    })
}

fn describe(node: &crate::proto::NodeDef, defs: &HashMap<&str, &OpDef>) -> GraphNode {
    GraphNode {
        name: node.name.clone(),
        op: node.op.clone(),
        dtype: output_dtype(node, defs, 0).and_then(python_dtype_name),
        shape: output_shape(node, 0),
    }
}

/// The producer tree, built once per node: a node met again is a leaf.
struct Walk<'a, 'g> {
    ix: &'a GraphIndex<'g>,
    defs: &'a HashMap<&'a str, &'a OpDef>,
    shown: Vec<bool>,
    count: usize,
}

impl Walk<'_, '_> {
    /// The data inputs of `i` as trees, and how many were not shown.
    fn inputs(&mut self, i: usize, depth: usize) -> (Vec<Producer>, usize) {
        let inputs = self.ix.data_inputs.get(i).map_or(&[][..], Vec::as_slice);
        if depth == 0 {
            return (Vec::new(), inputs.len());
        }
        let mut shown = Vec::new();
        for &p in inputs.iter().take(MAX_INPUTS_SHOWN) {
            if self.count >= MAX_TREE_NODES {
                break;
            }
            if let Some(tree) = self.producer(p, depth - 1) {
                shown.push(tree);
            }
        }
        let hidden = inputs.len().saturating_sub(shown.len());
        (shown, hidden)
    }

    fn producer(&mut self, p: usize, depth: usize) -> Option<Producer> {
        let node = self.ix.node(p)?;
        self.count += 1;
        let role = role(&node.op);
        let repeated = self.shown.get(p).copied().unwrap_or(true);
        if let Some(seen) = self.shown.get_mut(p) {
            *seen = true;
        }
        // The walk ends at what the graph is fed or holds.
        let (inputs, hidden) = if repeated || role.is_some() {
            (Vec::new(), 0)
        } else {
            self.inputs(p, depth)
        };
        Some(Producer {
            node: describe(node, self.defs),
            role,
            inputs,
            repeated,
            hidden,
        })
    }
}

fn role(op: &str) -> Option<&'static str> {
    if is_placeholder(op) {
        Some("input")
    } else if is_variable(op) {
        Some("variable")
    } else if op == "Const" {
        Some("constant")
    } else {
        None
    }
}

/// Gradients and optimizer updates read every prediction: counted, not listed.
fn is_training(name: &str, op: &str) -> bool {
    name.starts_with("gradients")
        || name.contains("/gradients")
        || op.starts_with("Apply")
        || op.starts_with("ResourceApply")
}

fn loss_or_metric(name: &str, op: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    // Metric words first: the report's loss words include a few metrics.
    const METRIC_WORDS: [&str; 6] = [
        "accuracy",
        "metric",
        "auc",
        "precision",
        "recall",
        "correct_prediction",
    ];
    if METRIC_WORDS.iter().any(|w| lower.contains(w)) {
        Some("metric")
    } else if XENT_OPS.contains(&op)
        || op == "L2Loss"
        || LOSS_WORDS.iter().any(|w| lower.contains(w))
    {
        Some("loss")
    } else {
        None
    }
}

fn consumers(
    ix: &GraphIndex<'_>,
    defs: &HashMap<&str, &OpDef>,
    at: usize,
) -> (Vec<Consumer>, usize) {
    let mut listed = Vec::new();
    let mut training = 0usize;
    for &c in ix.data_consumers.get(at).map_or(&[][..], Vec::as_slice) {
        let Some(node) = ix.node(c) else { continue };
        if is_training(&node.name, &node.op) {
            training += 1;
            continue;
        }
        // A shape op reads only the shape, not the values: it decides nothing.
        if listed.len() >= MAX_CONSUMERS || SHAPE_OPS.contains(&node.op.as_str()) {
            continue;
        }
        let (role, leads_to) = match loss_or_metric(&node.name, &node.op) {
            Some(role) => (Some(role), None),
            None => match leads_to(ix, c) {
                Some((role, name)) => (Some(role), Some(name)),
                None => (None, None),
            },
        };
        listed.push(Consumer {
            node: describe(node, defs),
            role,
            leads_to,
        });
    }
    (listed, training)
}

/// The first loss or metric a few data steps after `start` (breadth first).
fn leads_to(ix: &GraphIndex<'_>, start: usize) -> Option<(&'static str, String)> {
    let mut frontier = vec![start];
    let mut seen = std::collections::HashSet::from([start]);
    for _ in 0..FORWARD_STEPS {
        let mut next = Vec::new();
        for &i in &frontier {
            for &c in ix.data_consumers.get(i).map_or(&[][..], Vec::as_slice) {
                if seen.len() >= FORWARD_VISITS || !seen.insert(c) {
                    continue;
                }
                let Some(node) = ix.node(c) else { continue };
                if is_training(&node.name, &node.op) {
                    continue;
                }
                if let Some(role) = loss_or_metric(&node.name, &node.op) {
                    return Some((role, node.name.clone()));
                }
                next.push(c);
            }
        }
        frontier = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphKind;
    use crate::proto::{GraphDef, NodeDef};

    fn node(name: &str, op: &str, inputs: &[&str]) -> NodeDef {
        NodeDef {
            name: name.into(),
            op: op.into(),
            input: inputs.iter().map(|s| (*s).into()).collect(),
            ..NodeDef::default()
        }
    }

    fn classifier() -> LoadedGraph {
        LoadedGraph {
            graph: GraphDef {
                node: vec![
                    node("x", "Placeholder", &[]),
                    node("labels", "Placeholder", &[]),
                    node("dense/kernel", "VariableV2", &[]),
                    node("dense/kernel/read", "Identity", &["dense/kernel"]),
                    node("dense/MatMul", "MatMul", &["x", "dense/kernel/read"]),
                    node("logits", "Identity", &["dense/MatMul"]),
                    node("Softmax", "Softmax", &["logits"]),
                    node(
                        "xent",
                        "SoftmaxCrossEntropyWithLogits",
                        &["logits", "labels"],
                    ),
                    node("Mean", "Mean", &["xent"]),
                    node("ArgMax", "ArgMax", &["Softmax"]),
                    node("Equal", "Equal", &["ArgMax", "labels"]),
                    node("accuracy", "Mean", &["Equal"]),
                    node("gradients/xent_grad/mul", "Mul", &["logits"]),
                    node("xent/Shape", "Shape", &["logits"]),
                ],
                ..GraphDef::default()
            },
            saver_def: None,
            meta_graph: None,
            kind: GraphKind::GraphDefBinary,
        }
    }

    #[test]
    fn names_starting_with_the_query_come_first_and_the_list_is_capped() {
        let found = graph_nodes(&classifier(), "MAT", 10);
        let names: Vec<&str> = found.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["dense/MatMul"]);
        let found = graph_nodes(&classifier(), "logits", 3);
        assert_eq!(found.nodes.first().map(|n| n.name.as_str()), Some("logits"));
        let found = graph_nodes(&classifier(), "a", 3);
        assert_eq!(found.nodes.first().map(|n| n.name.as_str()), Some("ArgMax"));
        assert_eq!(found.nodes.len(), 3);
        assert!(found.total > 3, "{}", found.total);
    }

    #[test]
    fn logits_come_from_input_and_variable_and_feed_the_loss() {
        let near = node_neighbourhood(&classifier(), "logits", 4).expect("logits");
        let matmul = near.producers.first().expect("MatMul");
        assert_eq!(matmul.node.op, "MatMul");
        let roles: Vec<Option<&str>> = matmul.inputs.iter().map(|p| p.role).collect();
        assert_eq!(roles, [Some("input"), None]);
        let read = matmul.inputs.get(1).expect("read");
        assert_eq!(read.inputs.first().and_then(|p| p.role), Some("variable"));
        let xent = near
            .consumers
            .iter()
            .find(|c| c.node.name == "xent")
            .expect("xent");
        assert_eq!(xent.role, Some("loss"));
        let softmax = near
            .consumers
            .iter()
            .find(|c| c.node.name == "Softmax")
            .expect("Softmax");
        assert_eq!(
            (softmax.role, softmax.leads_to.as_deref()),
            (Some("metric"), Some("accuracy"))
        );
        assert_eq!(near.training_consumers, 1);
        assert!(near.consumers.iter().all(|c| c.node.op != "Shape"));
    }

    #[test]
    fn depth_limits_the_tree_and_unknown_names_give_nothing() {
        let near = node_neighbourhood(&classifier(), "logits", 1).expect("logits");
        let matmul = near.producers.first().expect("MatMul");
        assert!(matmul.inputs.is_empty());
        assert_eq!(matmul.hidden, 2);
        assert!(node_neighbourhood(&classifier(), "nope", 3).is_none());
    }

    #[test]
    fn a_node_met_twice_is_shown_once() {
        let mut graph = classifier();
        graph
            .graph
            .node
            .push(node("sq", "Mul", &["logits", "logits"]));
        let near = node_neighbourhood(&graph, "sq", 3).expect("sq");
        let repeated: Vec<bool> = near.producers.iter().map(|p| p.repeated).collect();
        assert_eq!(repeated, [false, true]);
    }
}
