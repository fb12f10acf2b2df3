//! The folding pass: nodes in data-flow order, each evaluated when all its
//! data inputs are known; then each folded node becomes a Const of its name
//! and the Consts only the folded nodes read are removed.

use std::collections::{HashMap, HashSet};

use super::value::{element_count, shape_proto, Value, MAX_INPUT_BYTES};
use super::{evaluate, Operand, FOLDED_OPS, SHAPE_OPS};
use crate::cleanup::shapes::LEGACY_SHAPE_PRODUCER;
use crate::dtype::dtype_text;
use crate::graph::attrs::{shape_dims, tensor_attr, type_attr, type_value};
use crate::graph::names::{endpoint, node_name};
use crate::graph::ops::is_placeholder;
use crate::proto::{attr_value, AttrValue, DataType, GraphDef, NodeDef};

/// The most bytes of Consts the freeze reads into memory for a fold.
const MAX_READ_BYTES: usize = 16 << 20;

/// The most elements a folded node's value has: a fold stands for a small
/// computed tensor, never for a copy of weights that stay in the graph.
const MAX_FOLDED_ELEMENTS: usize = 4096;

/// Values shown in a change line at most.
const SHOWN: usize = 8;

/// What is known of a node: the value of each output and the control edges
/// a Const in its place needs.
struct Known {
    values: Vec<Value>,
    controls: Vec<String>,
}

pub fn reads(graph: &GraphDef) -> HashSet<String> {
    let consts: HashMap<&str, &NodeDef> = graph
        .node
        .iter()
        .filter(|n| n.op == "Const")
        .map(|n| (n.name.as_str(), n))
        .collect();
    let mut names = HashSet::new();
    let mut budget = MAX_READ_BYTES;
    let readers = graph
        .node
        .iter()
        .filter(|n| FOLDED_OPS.contains(&n.op.as_str()) && !SHAPE_OPS.contains(&n.op.as_str()));
    for node in readers {
        // Only a StridedSlice gives fewer elements than it reads; any other
        // op's value is at least as large as each input.
        let shrinks = node.op == "StridedSlice";
        for input in node.input.iter().filter(|i| !i.starts_with('^')) {
            let Some(c) = consts.get(node_name(input)) else {
                continue;
            };
            let fits = |(elements, bytes): (usize, usize)| {
                (shrinks || elements <= MAX_FOLDED_ELEMENTS)
                    && bytes <= MAX_INPUT_BYTES
                    && bytes <= budget
            };
            if let Some((_, b)) = const_size(c).filter(|&size| fits(size)) {
                if names.insert(c.name.clone()) {
                    budget -= b;
                }
            }
        }
    }
    names
}

/// The elements and bytes of a Const of a dtype a fold computes with.
fn const_size(node: &NodeDef) -> Option<(usize, usize)> {
    let width = match DataType::try_from(type_attr(node, "dtype")?).ok()? {
        DataType::DtInt32 | DataType::DtFloat => 4,
        DataType::DtInt64 => 8,
        DataType::DtBool => 1,
        _ => return None,
    };
    let elements = element_count(&const_shape(node)?)?;
    Some((elements, elements.checked_mul(width)?))
}

fn const_shape(node: &NodeDef) -> Option<Vec<i64>> {
    match node.attr.get("value")?.value.as_ref()? {
        attr_value::Value::Tensor(t) => {
            t.tensor_shape.as_ref().map_or(Some(Vec::new()), shape_dims)
        }
        _ => None,
    }
}

fn const_value(node: &NodeDef) -> Option<Value> {
    match node.attr.get("value")?.value.as_ref()? {
        attr_value::Value::Tensor(t) => Value::from_tensor(t),
        _ => None,
    }
}

fn control_inputs(node: &NodeDef) -> impl Iterator<Item = &String> {
    node.input.iter().filter(|i| i.starts_with('^'))
}

/// Where static shapes come from.
struct Shapes {
    /// The graph's producer is TF <= 1.0, whose placeholder `shape {}` means unknown.
    legacy: bool,
    /// `_output_shapes` are trusted.
    recorded: bool,
}

impl Shapes {
    /// The shape of output `port` of `node`, whose value is not known.
    fn of(&self, node: &NodeDef, port: usize) -> Option<Vec<i64>> {
        if node.op == "Const" {
            return const_shape(node).filter(|_| port == 0);
        }
        if is_placeholder(&node.op) {
            let dims = match node.attr.get("shape")?.value.as_ref()? {
                attr_value::Value::Shape(s) if port == 0 => shape_dims(s)?,
                _ => return None,
            };
            return (!(self.legacy && dims.is_empty())).then_some(dims);
        }
        if !self.recorded {
            return None;
        }
        match node.attr.get("_output_shapes")?.value.as_ref()? {
            attr_value::Value::List(list) => shape_dims(list.shape.get(port)?),
            _ => None,
        }
    }
}

/// The node indices in data-flow order (Kahn's); nodes on a cycle or reading
/// a node not in the graph never come.
fn flow_order(graph: &GraphDef, index: &HashMap<&str, usize>) -> Vec<usize> {
    let mut waiting: Vec<usize> = vec![0; graph.node.len()];
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); graph.node.len()];
    for (i, node) in graph.node.iter().enumerate() {
        for input in &node.input {
            let count = waiting.get_mut(i);
            match (index.get(node_name(input)), count) {
                (Some(&p), Some(c)) => {
                    *c = c.saturating_add(1);
                    if let Some(r) = readers.get_mut(p) {
                        r.push(i);
                    }
                }
                (None, Some(c)) => *c = usize::MAX,
                _ => {}
            }
        }
    }
    let mut ready: Vec<usize> = (0..graph.node.len())
        .filter(|&i| waiting.get(i) == Some(&0))
        .collect();
    let mut order = Vec::with_capacity(graph.node.len());
    while let Some(i) = ready.pop() {
        order.push(i);
        for &r in readers.get(i).map(Vec::as_slice).unwrap_or_default() {
            if let Some(w) = waiting.get_mut(r) {
                *w = w.saturating_sub(1);
                if *w == 0 {
                    ready.push(r);
                }
            }
        }
    }
    order
}

/// What a fold has of one data input.
enum Got<'k> {
    Known(&'k Value),
    /// The index of a Const decoded for this fold.
    Decoded(usize),
    Shape(Vec<i64>),
}

/// The value of `node` from what is known of its producers.
fn fold_one(
    graph: &GraphDef,
    index: &HashMap<&str, usize>,
    known: &HashMap<usize, Known>,
    shapes: &Shapes,
    node: &NodeDef,
) -> Option<Known> {
    let reads_shapes = SHAPE_OPS.contains(&node.op.as_str());
    let mut controls: Vec<String> = control_inputs(node).cloned().collect();
    // Consts are decoded when a fold reads them, not all at once.
    let mut decoded: Vec<Value> = Vec::new();
    let mut got: Vec<Got<'_>> = Vec::new();
    for input in node.input.iter().filter(|i| !i.starts_with('^')) {
        let (name, port) = endpoint(input);
        let producer = *index.get(name)?;
        if let Some(k) = known.get(&producer) {
            got.push(Got::Known(k.values.get(port)?));
            controls.extend(k.controls.iter().cloned());
            continue;
        }
        let source = graph.node.get(producer)?;
        let value = (source.op == "Const" && port == 0 && !reads_shapes)
            .then(|| const_value(source))
            .flatten();
        if let Some(v) = value {
            got.push(Got::Decoded(decoded.len()));
            decoded.push(v);
            controls.extend(control_inputs(source).cloned());
            continue;
        }
        let shape = reads_shapes.then(|| shapes.of(source, port)).flatten()?;
        // A Const gives its shape as it is; any other node must still run first.
        if source.op == "Const" {
            controls.extend(control_inputs(source).cloned());
        } else {
            controls.push(format!("^{name}"));
        }
        got.push(Got::Shape(shape));
    }
    let operands = got
        .into_iter()
        .map(|g| match g {
            Got::Known(v) => Some(Operand::Value(v)),
            Got::Decoded(i) => decoded.get(i).map(Operand::Value),
            Got::Shape(s) => Some(Operand::Shape(s)),
        })
        .collect::<Option<Vec<_>>>()?;
    let values = evaluate(node, &operands)?;
    if values.iter().any(|v| v.len() > MAX_FOLDED_ELEMENTS) {
        return None;
    }
    let mut seen = HashSet::new();
    controls.retain(|c| seen.insert(c.clone()));
    Some(Known { values, controls })
}

/// Folds `graph`; `recorded` trusts `_output_shapes`.
pub fn fold(graph: &mut GraphDef, outputs: &[String], recorded: bool) -> Vec<String> {
    let producer = graph.versions.as_ref().map_or(0, |v| v.producer);
    let shapes = Shapes {
        legacy: producer <= LEGACY_SHAPE_PRODUCER,
        recorded,
    };
    let index: HashMap<&str, usize> = graph
        .node
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    let kept: HashSet<&str> = outputs.iter().map(|o| node_name(o)).collect();
    let mut known: HashMap<usize, Known> = HashMap::new();
    let mut folded = Vec::new();
    for i in flow_order(graph, &index) {
        let Some(node) = graph.node.get(i) else {
            continue;
        };
        // A multi-output output keeps its node; a Const has one output.
        let multi = node.op == "ShapeN";
        if !FOLDED_OPS.contains(&node.op.as_str()) || (multi && kept.contains(node.name.as_str())) {
            continue;
        }
        if let Some(k) = fold_one(graph, &index, &known, &shapes, node) {
            known.insert(i, k);
            folded.push(i);
        }
    }
    // What the folded nodes read, before their inputs become control edges.
    let mut read: Vec<usize> = folded.clone();
    for &i in &folded {
        let inputs = graph
            .node
            .get(i)
            .map(|n| n.input.as_slice())
            .unwrap_or_default();
        read.extend(
            inputs
                .iter()
                .filter_map(|i| index.get(node_name(i)).copied()),
        );
    }
    drop(index);
    let mut changes: Vec<(String, String)> = Vec::new();
    let mut added = Vec::new();
    for &i in &folded {
        let (Some(k), Some(node)) = (known.get(&i), graph.node.get_mut(i)) else {
            continue;
        };
        if node.op == "ShapeN" {
            added.extend(split_shape_n(node, k, &mut changes));
        } else if let Some(v) = k.values.first() {
            changes.push((node.name.clone(), change(&node.op, &node.name, v)));
            become_const(node, v, k.controls.clone());
        }
    }
    let added = rewire_shape_n(graph, added);
    let present: HashSet<&str> = added.iter().map(|c| c.name.as_str()).collect();
    changes.retain(|(name, line)| {
        !line.starts_with("folded ShapeN") || present.contains(name.as_str())
    });
    // The Consts of a ShapeN are folded nodes too.
    let first_added = graph.node.len();
    folded.extend(first_added..first_added + added.len());
    read.extend(first_added..first_added + added.len());
    graph.node.extend(added);
    let candidates: HashSet<usize> = folded.iter().copied().collect();
    let removed = prune(graph, &candidates, read, &kept);
    let gone: HashSet<&str> = removed.iter().map(String::as_str).collect();
    let mut changes: Vec<String> = changes
        .into_iter()
        .filter(|(name, _)| !gone.contains(name.as_str()))
        .map(|(_, line)| line)
        .collect();
    if !removed.is_empty() {
        changes.push(format!(
            "removed {} node(s) that only folded nodes read: {}",
            removed.len(),
            crate::graph::names::shorten(&removed.join(", "))
        ));
    }
    changes
}

/// The change line of a fold.
fn change(op: &str, name: &str, v: &Value) -> String {
    let shown = v.integers().filter(|i| i.len() <= SHOWN);
    format!(
        "folded {op} '{name}' into a Const ({} {:?}){}",
        dtype_text(v.dtype() as i32),
        v.shape(),
        shown.map_or(String::new(), |i| format!(" = {i:?}"))
    )
}

/// Makes `node` the Const of `v`, as grappler does: the name, device and
/// `_`-prefixed attrs stay, except `_output_shapes`, which now is known.
fn become_const(node: &mut NodeDef, v: &Value, controls: Vec<String>) {
    let recorded = node.attr.contains_key("_output_shapes");
    node.op = "Const".into();
    node.input = controls;
    node.attr.clear();
    node.attr
        .insert("dtype".into(), type_value(v.dtype() as i32));
    node.attr.insert("value".into(), tensor_attr(v.to_tensor()));
    if recorded {
        let list = attr_value::ListValue {
            shape: vec![shape_proto(v.shape())],
            ..Default::default()
        };
        node.attr.insert(
            "_output_shapes".into(),
            AttrValue {
                value: Some(attr_value::Value::List(Box::new(list))),
            },
        );
    }
}

/// A Const for each output of a folded `ShapeN`, named as grappler names
/// them; `(ShapeN, port, Const)`.
fn split_shape_n(
    node: &NodeDef,
    k: &Known,
    changes: &mut Vec<(String, String)>,
) -> Vec<(String, usize, NodeDef)> {
    let mut out = Vec::new();
    for (port, v) in k.values.iter().enumerate() {
        let mut c = NodeDef {
            name: format!("ConstantFolding/{}-matshapes-{port}", node.name),
            device: node.device.clone(),
            ..Default::default()
        };
        become_const(&mut c, v, k.controls.clone());
        let line = change("ShapeN", &format!("{}:{port}", node.name), v);
        changes.push((c.name.clone(), line));
        out.push((node.name.clone(), port, c));
    }
    out
}

/// Points the readers of each folded `ShapeN` output at its Const and
/// returns the Consts; a name already taken leaves that `ShapeN` as it was.
fn rewire_shape_n(graph: &mut GraphDef, added: Vec<(String, usize, NodeDef)>) -> Vec<NodeDef> {
    if added.is_empty() {
        return Vec::new();
    }
    let names: HashSet<&str> = graph.node.iter().map(|n| n.name.as_str()).collect();
    let clash: HashSet<String> = added
        .iter()
        .filter(|(_, _, c)| names.contains(c.name.as_str()))
        .map(|(s, _, _)| s.clone())
        .collect();
    let added: Vec<(String, usize, NodeDef)> = added
        .into_iter()
        .filter(|(s, _, _)| !clash.contains(s))
        .collect();
    let by_output: HashMap<(&str, usize), &str> = added
        .iter()
        .map(|(s, p, c)| ((s.as_str(), *p), c.name.as_str()))
        .collect();
    for node in &mut graph.node {
        for input in node.input.iter_mut().filter(|i| !i.starts_with('^')) {
            if let Some(c) = by_output.get(&endpoint(input)) {
                *input = (*c).to_owned();
            }
        }
    }
    added.into_iter().map(|(_, _, c)| c).collect()
}

/// The nodes `node` is colocated with, each `loc:@name` of its `_class`.
fn colocations(node: &NodeDef) -> impl Iterator<Item = &str> {
    let list = match node.attr.get("_class").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::List(list)) => list.s.as_slice(),
        _ => &[],
    };
    list.iter()
        .filter_map(|s| std::str::from_utf8(s).ok()?.strip_prefix("loc:@"))
}

/// Removes the folded nodes and the Consts they read that nothing reads any
/// more (outputs and placeholders stay); returns their names.
fn prune(
    graph: &mut GraphDef,
    folded: &HashSet<usize>,
    mut queue: Vec<usize>,
    kept: &HashSet<&str>,
) -> Vec<String> {
    let index: HashMap<&str, usize> = graph
        .node
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    let mut readers = vec![0usize; graph.node.len()];
    for node in &graph.node {
        // A node others are colocated with (`_class: loc:@name`) must stay:
        // TF's import refuses a colocation with a node not in the graph.
        let located = colocations(node);
        for input in node.input.iter().map(|i| node_name(i)).chain(located) {
            if let Some(r) = index.get(input).and_then(|&p| readers.get_mut(p)) {
                *r += 1;
            }
        }
    }
    let removable = |i: usize| {
        graph.node.get(i).is_some_and(|n| {
            (n.op == "Const" || folded.contains(&i)) && !kept.contains(n.name.as_str())
        })
    };
    let mut gone = vec![false; graph.node.len()];
    while let Some(i) = queue.pop() {
        let unread = readers.get(i) == Some(&0);
        if !unread || gone.get(i) != Some(&false) || !removable(i) {
            continue;
        }
        if let Some(g) = gone.get_mut(i) {
            *g = true;
        }
        let Some(node) = graph.node.get(i) else {
            continue;
        };
        for input in &node.input {
            if let Some(&p) = index.get(node_name(input)) {
                if let Some(r) = readers.get_mut(p) {
                    *r = r.saturating_sub(1);
                }
                queue.push(p);
            }
        }
    }
    drop(index);
    let mut removed = Vec::new();
    let mut i = 0;
    graph.node.retain(|n| {
        let drop_it = gone.get(i) == Some(&true);
        i += 1;
        if drop_it {
            removed.push(n.name.clone());
        }
        !drop_it
    });
    removed
}
