//! Training-only nodes: dropout, `CheckNumerics`, and the input queue (see
//! `input_queue`).

use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::graph::names::node_name;
use crate::proto::{GraphDef, NodeDef};

use super::input_queue::cut_input_queue;

/// Bypasses dropout, drops `CheckNumerics`, and, when `cut_at` is given, cuts
/// the input queue there: see [`bypass_dropout`], [`drop_check_numerics`] and
/// [`cut_input_queue`].
pub fn strip_training_nodes(graph: &mut GraphDef, cut_at: Option<&str>) -> Result<Vec<String>> {
    let mut changes = bypass_dropout(graph);
    changes.extend(drop_check_numerics(graph));
    if let Some(name) = cut_at {
        changes.extend(cut_input_queue(graph, name)?);
    }
    Ok(changes)
}

/// Replaces every read of `old` (`old`, `old:0`, `^old`) outside `keep` by `new`.
fn rewire(graph: &mut GraphDef, old: &str, new: &str, keep: impl Fn(&str) -> bool) -> usize {
    let mut count = 0;
    for node in graph.node.iter_mut().filter(|n| !keep(&n.name)) {
        let before = count;
        for input in &mut node.input {
            if let Some(control) = input.strip_prefix('^') {
                if control == old {
                    *input = format!("^{}", node_name(new));
                    count += 1;
                }
            } else if *input == old || *input == format!("{old}:0") {
                *input = new.to_owned();
                count += 1;
            }
        }
        if count > before {
            drop_redundant_waits(&mut node.input);
        }
    }
    count
}

/// Control inputs on a node the inputs already read, or given twice: a reader
/// of both `x` and `^x` made `[new, ^new]`, and the later rewrites
/// (strip_debug_ops) splice out only nodes read through data edges alone.
fn drop_redundant_waits(inputs: &mut Vec<String>) {
    let data: HashSet<String> = inputs
        .iter()
        .filter(|i| !i.starts_with('^'))
        .map(|i| node_name(i).to_owned())
        .collect();
    let mut seen = HashSet::new();
    inputs.retain(|input| match input.strip_prefix('^') {
        Some(control) => !data.contains(control) && seen.insert(control.to_owned()),
        None => true,
    });
}

/// The scopes `tf.nn.dropout` made: a `dropout` (or `dropout_N`) scope that
/// holds a `RandomUniform`.
fn dropout_scopes(graph: &GraphDef) -> HashSet<String> {
    let mut scopes = HashSet::new();
    for node in graph.node.iter().filter(|n| n.op == "RandomUniform") {
        let mut end = 0;
        for part in node.name.split('/') {
            end += part.len();
            let base = part.rsplit_once('_').map_or(part, |(b, n)| {
                if n.bytes().all(|c| c.is_ascii_digit()) {
                    b
                } else {
                    part
                }
            });
            if base == "dropout" {
                if let Some(scope) = node.name.get(..end) {
                    scopes.insert(scope.to_owned());
                }
            }
            end += 1;
        }
    }
    scopes
}

/// Makes each dropout an identity: consumers outside the scope read the
/// dropout's input instead of its output. The recognised outputs are
/// `Mul(Div(x, keep_prob), Floor(...))` (TF ≤ 1.12),
/// `Mul(Mul(x, scale), Cast(GreaterEqual(...)))` (TF 1.13+) and
/// `SelectV2(keep_mask, Mul(x, scale), zeros)` (TF 2), each checked
/// operand by operand (python/ops/nn_ops.py `dropout_v2`).
pub fn bypass_dropout(graph: &mut GraphDef) -> Vec<String> {
    let scopes = dropout_scopes(graph);
    let by_name: HashMap<&str, &NodeDef> =
        graph.node.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut plans: Vec<(String, String, String)> = Vec::new();
    for node in &graph.node {
        let Some((scope, _)) = node.name.rsplit_once('/') else {
            continue;
        };
        if !scopes.contains(scope) {
            continue;
        }
        if let Some(input) = dropout_input(&by_name, node, scope) {
            plans.push((scope.to_owned(), node.name.clone(), input));
        }
    }
    // A dropout can read another one (stacked RNN cells): follow the chain.
    let bypassed: HashMap<String, String> = plans
        .iter()
        .map(|(_, output, input)| (output.clone(), input.clone()))
        .collect();
    let mut changes = Vec::new();
    for (scope, output, mut input) in plans {
        for _ in 0..bypassed.len() {
            match bypassed.get(input.strip_suffix(":0").unwrap_or(&input)) {
                Some(next) => input = next.clone(),
                None => break,
            }
        }
        let inside = format!("{scope}/");
        let count = rewire(graph, &output, &input, |name| name.starts_with(&inside));
        if count > 0 {
            changes.push(format!(
                "bypassed dropout '{scope}': {count} input(s) that read '{output}' now read '{input}'"
            ));
        }
    }
    changes
}

fn dropout_input(by_name: &HashMap<&str, &NodeDef>, node: &NodeDef, scope: &str) -> Option<String> {
    let inside = |input: &str| node_name(input).starts_with(&format!("{scope}/"));
    let producer = |input: &str| by_name.get(node_name(input)).copied();
    let data: Vec<&String> = node.input.iter().filter(|i| !i.starts_with('^')).collect();
    let scaled = match (node.op.as_str(), data.as_slice()) {
        ("Mul", [a, b]) => {
            let is_mask = |s: &str| {
                inside(s) && producer(s).is_some_and(|p| matches!(p.op.as_str(), "Floor" | "Cast"))
            };
            match (is_mask(a), is_mask(b)) {
                (false, true) => a.as_str(),
                (true, false) => b.as_str(),
                _ => return None,
            }
        }
        ("SelectV2", [condition, kept, _zeros]) => {
            let mask = producer(condition)?;
            if !inside(condition) || mask.op != "GreaterEqual" {
                return None;
            }
            kept.as_str()
        }
        _ => return None,
    };
    let scale = producer(scaled)?;
    if !inside(scaled) || !matches!(scale.op.as_str(), "Div" | "RealDiv" | "Mul") {
        return None;
    }
    let x = scale.input.first()?;
    (!x.starts_with('^') && !inside(x)).then(|| x.clone())
}

/// `CheckNumerics` passes its input through unchanged when it is finite;
/// consumers read the input directly and the node becomes an `Identity`.
pub fn drop_check_numerics(graph: &mut GraphDef) -> Vec<String> {
    let checks: Vec<(String, String)> = graph
        .node
        .iter()
        .filter(|n| matches!(n.op.as_str(), "CheckNumerics" | "CheckNumericsV2"))
        .filter_map(|n| Some((n.name.clone(), n.input.first()?.clone())))
        .filter(|(_, input)| !input.starts_with('^'))
        .collect();
    let mut changes = Vec::new();
    for (name, input) in checks {
        let count = rewire(graph, &name, &input, |n| n == name);
        if let Some(node) = graph.node.iter_mut().find(|n| n.name == name) {
            node.op = "Identity".into();
            node.attr.remove("message");
        }
        changes.push(format!(
            "removed CheckNumerics '{name}': {count} input(s) now read '{input}'"
        ));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_graph::{find, graph, node, with_attr};
    use crate::proto::attr_value;

    fn dropout_graph() -> GraphDef {
        graph(vec![
            node("relu", "Relu", &["x"]),
            node("keep", "Placeholder", &[]),
            // TF <= 1.12
            node(
                "fc/dropout/random_uniform/RandomUniform",
                "RandomUniform",
                &["fc/dropout/Shape"],
            ),
            node(
                "fc/dropout/add",
                "Add",
                &["keep", "fc/dropout/random_uniform"],
            ),
            node("fc/dropout/Floor", "Floor", &["fc/dropout/add"]),
            node("fc/dropout/div", "RealDiv", &["relu", "keep"]),
            node(
                "fc/dropout/mul",
                "Mul",
                &["fc/dropout/div", "fc/dropout/Floor"],
            ),
            // TF 1.13+, reading the first dropout (stacked)
            node(
                "dropout_1/random_uniform/RandomUniform",
                "RandomUniform",
                &["dropout_1/Shape"],
            ),
            node(
                "dropout_1/GreaterEqual",
                "GreaterEqual",
                &["dropout_1/random_uniform", "rate"],
            ),
            node("dropout_1/Cast", "Cast", &["dropout_1/GreaterEqual"]),
            node(
                "dropout_1/mul",
                "Mul",
                &["fc/dropout/mul", "dropout_1/truediv"],
            ),
            node(
                "dropout_1/mul_1",
                "Mul",
                &["dropout_1/mul", "dropout_1/Cast"],
            ),
            // TF 2
            node(
                "d2/dropout/random_uniform/RandomUniform",
                "RandomUniform",
                &["d2/dropout/Shape"],
            ),
            node(
                "d2/dropout/GreaterEqual",
                "GreaterEqual",
                &["d2/dropout/random_uniform", "rate"],
            ),
            node("d2/dropout/Mul", "Mul", &["relu:0", "d2/dropout/Const"]),
            node(
                "d2/dropout/SelectV2",
                "SelectV2",
                &[
                    "d2/dropout/GreaterEqual",
                    "d2/dropout/Mul",
                    "d2/dropout/Const_1",
                ],
            ),
            node("logits", "MatMul", &["dropout_1/mul_1", "w"]),
            node(
                "logits2",
                "MatMul",
                &["d2/dropout/SelectV2:0", "w", "^fc/dropout/mul"],
            ),
            // Not dropout: no random op in this scope.
            node("other/dropout/mul", "Mul", &["relu", "other/dropout/Floor"]),
            node("other/dropout/Floor", "Floor", &["relu"]),
            node("out", "Identity", &["other/dropout/mul"]),
        ])
    }

    #[test]
    fn dropout_is_bypassed() {
        let mut g = dropout_graph();
        let changes = bypass_dropout(&mut g);
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert_eq!(find(&g, "logits").input, vec!["relu", "w"]);
        // The wait on a node it now reads anyway is dropped.
        assert_eq!(find(&g, "logits2").input, vec!["relu:0", "w"]);
        assert_eq!(find(&g, "out").input, vec!["other/dropout/mul"]);
        // Reads from inside a bypassed scope stay; the next dropout is outside.
        assert_eq!(find(&g, "dropout_1/mul_1").input[0], "dropout_1/mul");
        assert_eq!(find(&g, "dropout_1/mul").input[0], "relu");
    }

    #[test]
    fn check_numerics_is_dropped() {
        let mut g = graph(vec![
            node("y", "Relu", &["x"]),
            with_attr(
                node("check", "CheckNumerics", &["y:0"]),
                "message",
                attr_value::Value::S(b"nan".to_vec()),
            ),
            node("out", "Identity", &["check", "^check"]),
        ]);
        let changes = drop_check_numerics(&mut g);
        assert_eq!(
            changes,
            vec!["removed CheckNumerics 'check': 2 input(s) now read 'y:0'"]
        );
        // One edge, not `[y:0, ^y]`: a later splice (strip_debug_ops) needs a
        // node read through data edges alone.
        assert_eq!(find(&g, "out").input, vec!["y:0"]);
        assert_eq!(find(&g, "check").op, "Identity");
    }
}
