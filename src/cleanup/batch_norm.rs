//! Inference batch norms folded into the weights of the `Conv2D`,
//! `DepthwiseConv2dNative` or `MatMul` before them (`fold_batch_norms`), as
//! `optimize_for_inference` does (tensorflow/python/tools/
//! optimize_for_inference_lib.py): first `fuse_decomposed_batch_norm` turns the
//! `x * m + (beta - mean * m)` form, `m = rsqrt(var + eps) [* gamma]`, into a
//! `FusedBatchNorm`; then `fold_batch_norms` scales the weights by
//! `gamma / sqrt(var + eps)` and adds `beta - mean * scale` with a `BiasAdd`.
//! The arithmetic is TF's to the bit: `var + eps` in float32, the scale and
//! offset in float64 (numpy's `np.vectorize(math.sqrt)`), each scaled weight
//! rounded once to float32. New nodes and their order are TF's too.
//!
//! Beyond TF: `FusedBatchNormV2` and `MatMul` are folded, `AddV2` (TF 2's `+`)
//! matches as `Add` does; a batch norm is folded only in inference mode, when
//! nothing reads its other outputs and the nodes it replaces feed nothing else.

use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::graph::attrs::{tensor_attr, type_attr};
use crate::graph::names::node_name;
use crate::proto::{attr_value, AttrValue, DataType, GraphDef, NodeDef};

mod values;

use values::{float_tensor, float_values, Floats};

const FUSED: &[&str] = &["FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"];
const GLOBAL: &str = "BatchNormWithGlobalNormalization";
const WEIGHTED: &[&str] = &["Conv2D", "DepthwiseConv2dNative", "MatMul"];
const ADDS: &[&str] = &["BiasAdd", "Add", "AddV2"];

/// The Consts whose values a fold of `graph` would read: the caller makes
/// them part of the graph (instead of ranges of a checkpoint shard) first.
pub fn folded_consts(graph: &GraphDef) -> HashSet<String> {
    let view = View::new(graph);
    let mut names = HashSet::new();
    for node in &graph.node {
        let fused = FUSED.contains(&node.op.as_str()) || node.op == GLOBAL;
        let decomposed = matches!(node.op.as_str(), "Add" | "AddV2");
        if !fused && !decomposed {
            continue;
        }
        // Every Const within the few nodes a pattern spans.
        let mut frontier: Vec<&NodeDef> = vec![node];
        for _ in 0..5 {
            let mut next = Vec::new();
            for n in frontier {
                for input in n.input.iter().filter(|i| !i.starts_with('^')) {
                    if let Some((name, _)) = view.constant(input) {
                        names.insert(name.to_owned());
                    } else if let Some(producer) = view.node(input) {
                        next.push(producer);
                    }
                }
            }
            frontier = next;
        }
    }
    names
}

/// Fuses the decomposed batch norms, then folds every batch norm it can;
/// `_outputs` are not needed (a folded batch norm keeps its name).
pub fn fold_batch_norms(graph: &mut GraphDef, _outputs: &[String]) -> Result<Vec<String>> {
    let decomposed = fuse_decomposed(graph);
    let mut changes = Vec::new();
    let view = View::new(graph);
    let mut folds = Vec::new();
    for node in &graph.node {
        if let Some(fold) = match_fold(&view, &BatchNorm::of(node), &[]) {
            folds.push(fold);
        }
    }
    shared_weights_folded(&view, &mut folds);
    if folds.is_empty() {
        return Ok(changes);
    }
    let mut skip: HashSet<String> = HashSet::new();
    let mut added: Vec<NodeDef> = Vec::new();
    for fold in folds {
        let form = if decomposed.contains(&fold.bn) {
            "the mul/add batch norm"
        } else {
            "batch norm"
        };
        changes.push(format!(
            "folded {form} '{}' into {} '{}': its weights '{}' ({} bytes, read into memory) \
             are scaled into '{}_weights', plus a BiasAdd of '{}_bn_offset'",
            fold.bn,
            fold.conv.op,
            fold.conv.name,
            fold.weights_const,
            fold.weights_bytes,
            fold.conv.name,
            fold.conv.name
        ));
        skip.extend(fold.skip.iter().cloned());
        added.extend(fold.into_nodes());
    }
    rebuild(graph, &skip, added);
    Ok(changes)
}

/// The graph less `skip` (and the control edges to it), then `added`, as
/// TF's passes assemble their result.
fn rebuild(graph: &mut GraphDef, skip: &HashSet<String>, added: Vec<NodeDef>) {
    graph.node.retain(|n| !skip.contains(&n.name));
    for node in &mut graph.node {
        node.input
            .retain(|i| i.strip_prefix('^').is_none_or(|c| !skip.contains(c)));
    }
    graph.node.extend(added);
}

/// The graph by name, with each node's readers.
struct View<'g> {
    by_name: HashMap<&'g str, &'g NodeDef>,
    readers: HashMap<&'g str, Vec<(&'g str, &'g str)>>,
}

impl<'g> View<'g> {
    fn new(graph: &'g GraphDef) -> Self {
        let mut readers: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
        for node in &graph.node {
            for input in &node.input {
                readers
                    .entry(node_name(input))
                    .or_default()
                    .push((node.name.as_str(), input.as_str()));
            }
        }
        View {
            by_name: graph.node.iter().map(|n| (n.name.as_str(), n)).collect(),
            readers,
        }
    }

    fn node(&self, input: &str) -> Option<&'g NodeDef> {
        self.by_name.get(node_name(input)).copied()
    }

    /// The Const `input` reads, directly or through `Identity` nodes (left by
    /// a freeze of `w/read`), with the identities passed.
    fn constant(&self, input: &str) -> Option<(&'g str, Vec<&'g str>)> {
        let mut chain = Vec::new();
        let mut node = self.node(input)?;
        while node.op == "Identity" {
            chain.push(node.name.as_str());
            node = self.node(node.input.first()?)?;
            if chain.len() > self.by_name.len() {
                return None;
            }
        }
        (node.op == "Const").then_some((node.name.as_str(), chain))
    }

    /// True when every reader of `name` is in `within`.
    fn only_read_by(&self, name: &str, within: &HashSet<&str>) -> bool {
        self.readers
            .get(name)
            .is_none_or(|r| r.iter().all(|(reader, _)| within.contains(reader)))
    }

    /// True when something reads an output of `name` other than output 0.
    fn other_outputs_read(&self, name: &str) -> bool {
        self.readers.get(name).is_some_and(|r| {
            r.iter().any(|(_, input)| {
                !input.starts_with('^')
                    && input.rsplit_once(':').is_some_and(|(_, port)| port != "0")
            })
        })
    }

    fn floats(&self, input: &str) -> Option<Floats> {
        let (name, _) = self.constant(input)?;
        float_values(self.by_name.get(name)?)
    }
}

/// A batch norm's inputs, by role, whichever op spelled it.
struct BatchNorm<'n> {
    node: &'n NodeDef,
    x: Option<&'n String>,
    mean: Option<&'n String>,
    variance: Option<&'n String>,
    beta: Option<&'n String>,
    gamma: Option<&'n String>,
    epsilon: f32,
    scale_after_normalization: bool,
    inference: bool,
    /// A gamma of ones not in the graph yet (the mul/add form without one).
    gamma_ones: bool,
}

impl<'n> BatchNorm<'n> {
    fn of(node: &'n NodeDef) -> Self {
        let input = |i: usize| node.input.get(i).filter(|s| !s.starts_with('^'));
        let float = |name: &str| match node.attr.get(name).and_then(|a| a.value.as_ref()) {
            Some(attr_value::Value::F(f)) => Some(*f),
            _ => None,
        };
        let flag = |name: &str| match node.attr.get(name).and_then(|a| a.value.as_ref()) {
            Some(attr_value::Value::B(b)) => Some(*b),
            _ => None,
        };
        if node.op == GLOBAL {
            // t, m, v, beta, gamma (nn_ops.cc BatchNormWithGlobalNormalization).
            return BatchNorm {
                node,
                x: input(0),
                mean: input(1),
                variance: input(2),
                beta: input(3),
                gamma: input(4),
                epsilon: float("variance_epsilon").unwrap_or(0.0),
                scale_after_normalization: flag("scale_after_normalization").unwrap_or(false),
                inference: true,
                gamma_ones: false,
            };
        }
        let fused = FUSED.contains(&node.op.as_str());
        BatchNorm {
            node,
            x: input(0).filter(|_| fused),
            gamma: input(1),
            beta: input(2),
            mean: input(3),
            variance: input(4),
            // The op's default epsilon is 1e-4; `is_training` defaults to true.
            epsilon: float("epsilon").unwrap_or(1e-4),
            scale_after_normalization: true,
            inference: fused && flag("is_training") == Some(false),
            gamma_ones: false,
        }
    }
}

/// A batch norm to fold, with the values computed.
struct Fold {
    bn: String,
    conv: NodeDef,
    weights_input: String,
    weights_const: String,
    weights_bytes: usize,
    dtype: Option<AttrValue>,
    scaled: Floats,
    offset: Floats,
    skip: Vec<String>,
    /// The weights Const and the identities to it.
    weights_nodes: Vec<String>,
}

impl Fold {
    /// The four nodes TF's `fold_batch_norms` appends, in its order.
    fn into_nodes(self) -> Vec<NodeDef> {
        let weights_name = format!("{}_weights", self.conv.name);
        let offset_name = format!("{}_bn_offset", self.conv.name);
        let constant = |name: &str, values: Floats| {
            let mut node = NodeDef {
                name: name.to_owned(),
                op: "Const".into(),
                ..Default::default()
            };
            if let Some(dtype) = &self.dtype {
                node.attr.insert("dtype".into(), dtype.clone());
            }
            node.attr
                .insert("value".into(), tensor_attr(float_tensor(values)));
            node
        };
        let mut conv = self.conv.clone();
        for input in &mut conv.input {
            if *input == self.weights_input {
                input.clone_from(&weights_name);
            }
        }
        let mut bias_add = NodeDef {
            name: self.bn.clone(),
            op: "BiasAdd".into(),
            input: vec![conv.name.clone(), offset_name.clone()],
            ..Default::default()
        };
        for attr in ["T", "data_format"] {
            if let Some(value) = conv.attr.get(attr) {
                bias_add.attr.insert(attr.into(), value.clone());
            }
        }
        vec![
            constant(&weights_name, self.scaled),
            conv,
            constant(&offset_name, self.offset),
            bias_add,
        ]
    }
}

/// TF's `fold_batch_norms` match for one batch norm, with our safety checks;
/// `pattern` may also read the nodes the fold removes (the mul/add form about
/// to become this batch norm).
fn match_fold(view: &View<'_>, bn: &BatchNorm<'_>, pattern: &[String]) -> Option<Fold> {
    if !bn.inference || view.other_outputs_read(&bn.node.name) {
        return None;
    }
    if type_attr(bn.node, "T").is_some_and(|t| t != DataType::DtFloat as i32) {
        return None;
    }
    let mut conv = view.node(bn.x?)?;
    let mut bias: Option<&NodeDef> = None;
    let mut add: Option<&NodeDef> = None;
    // An Add or BiasAdd between the conv and the batch norm folds into the mean.
    if ADDS.contains(&conv.op.as_str()) {
        let (a, b) = (conv.input.first()?, conv.input.get(1)?);
        add = Some(conv);
        let first = view.node(a)?;
        let (data, other) = if WEIGHTED.contains(&first.op.as_str()) {
            (a, b)
        } else {
            (b, a)
        };
        conv = view.node(data)?;
        let (name, _) = view.constant(other)?;
        bias = view.by_name.get(name).copied();
    }
    if !WEIGHTED.contains(&conv.op.as_str()) {
        return None;
    }
    if type_attr(conv, "T").is_some_and(|t| t != DataType::DtFloat as i32) {
        return None;
    }
    let weights_input = conv.input.get(1)?;
    let (weights_const, chain) = view.constant(weights_input)?;
    let weights = view.floats(weights_input)?;
    let channels = channel_count(conv, &weights.shape)?;
    let per_channel = |input: Option<&String>| {
        view.floats(input?)
            .filter(|v| v.shape == [channels as i64] && v.values.len() == channels)
    };
    let mut mean = per_channel(bn.mean)?;
    let variance = per_channel(bn.variance)?;
    let beta = per_channel(bn.beta)?;
    let gamma = if bn.gamma_ones {
        Floats {
            shape: vec![channels as i64],
            values: vec![1.0; channels],
        }
    } else {
        per_channel(bn.gamma)?
    };
    if let Some(bias) = bias {
        let bias = float_values(bias)?;
        for (c, m) in mean.values.iter_mut().enumerate() {
            let b = match bias.values.as_slice() {
                [one] => *one,
                all => *all.get(c)?,
            };
            *m -= b;
        }
    }
    // What the fold removes must feed nothing else; the weights may feed
    // other convs folded too (checked over all folds, see `shared_weights_folded`).
    let mut skip: Vec<&str> = vec![bn.node.name.as_str(), conv.name.as_str()];
    skip.extend(add.map(|a| a.name.as_str()));
    let readers: HashSet<&str> = skip
        .iter()
        .copied()
        .chain(pattern.iter().map(String::as_str))
        .collect();
    if skip
        .iter()
        .filter(|n| **n != bn.node.name)
        .any(|name| !view.only_read_by(name, &readers))
    {
        return None;
    }
    let weights_nodes: Vec<String> = std::iter::once(weights_const)
        .chain(chain)
        .map(str::to_owned)
        .collect();
    skip.extend(weights_nodes.iter().map(String::as_str));
    let removed: HashSet<&str> = skip.iter().copied().collect();
    let scale = scales(bn, &variance.values, &gamma.values);
    let offset: Vec<f32> = mean
        .values
        .iter()
        .zip(&scale)
        .zip(&beta.values)
        .map(|((&m, &s), &b)| (f64::from(-m) * s + f64::from(b)) as f32)
        .collect();
    let scaled = scale_weights(conv, &weights, &scale)?;
    let skip: Vec<String> = removed.iter().map(|s| (*s).to_owned()).collect();
    Some(Fold {
        bn: bn.node.name.clone(),
        conv: conv.clone(),
        weights_input: weights_input.clone(),
        weights_const: weights_const.to_owned(),
        weights_bytes: weights.values.len().saturating_mul(4),
        dtype: view
            .by_name
            .get(weights_const)
            .and_then(|w| w.attr.get("dtype"))
            .cloned(),
        scaled,
        offset: Floats {
            shape: vec![channels as i64],
            values: offset,
        },
        skip,
        weights_nodes,
    })
}

/// Drops the folds whose weights something else reads: only the convs folded
/// (TF removes the weights of a fold even when an unfolded conv reads them).
fn shared_weights_folded(view: &View<'_>, folds: &mut Vec<Fold>) {
    loop {
        let convs: HashSet<String> = folds.iter().map(|f| f.conv.name.clone()).collect();
        let before = folds.len();
        folds.retain(|fold| {
            let within: HashSet<&str> = convs
                .iter()
                .chain(&fold.weights_nodes)
                .map(String::as_str)
                .collect();
            fold.weights_nodes
                .iter()
                .all(|w| view.only_read_by(w, &within))
        });
        if folds.len() == before {
            return;
        }
    }
}

/// `1 / sqrt(var + eps) [* gamma]`: the sum in float32 (numpy adds a Python
/// float to a float32 array in float32), the rest in float64.
fn scales(bn: &BatchNorm<'_>, variance: &[f32], gamma: &[f32]) -> Vec<f64> {
    variance
        .iter()
        .zip(gamma)
        .map(|(&v, &g)| {
            let inverse = 1.0 / f64::from(v + bn.epsilon).sqrt();
            if bn.scale_after_normalization {
                inverse * f64::from(g)
            } else {
                inverse
            }
        })
        .collect()
}

/// The output channels the weights of `conv` have.
fn channel_count(conv: &NodeDef, shape: &[i64]) -> Option<usize> {
    let dim = |i: usize| shape.get(i).and_then(|&d| usize::try_from(d).ok());
    match conv.op.as_str() {
        "Conv2D" if shape.len() == 4 => dim(3),
        "DepthwiseConv2dNative" if shape.len() == 4 => dim(2)?.checked_mul(dim(3)?),
        "MatMul" if shape.len() == 2 => {
            let transposed = matches!(
                conv.attr.get("transpose_b").and_then(|a| a.value.as_ref()),
                Some(attr_value::Value::B(true))
            );
            dim(if transposed { 0 } else { 1 })
        }
        _ => None,
    }
}

/// Each weight times the scale of its output channel, rounded once to float32.
fn scale_weights(conv: &NodeDef, weights: &Floats, scale: &[f64]) -> Option<Floats> {
    let dim = |i: usize| weights.shape.get(i).and_then(|&d| usize::try_from(d).ok());
    // The channel of flat index i, from the innermost dimensions.
    let channel: Box<dyn Fn(usize) -> usize> = match conv.op.as_str() {
        "Conv2D" => {
            let out = dim(3)?.max(1);
            Box::new(move |i| i % out)
        }
        // Channel in * multiplier + m: the last two dimensions, flattened.
        "DepthwiseConv2dNative" => {
            let inner = dim(2)?.checked_mul(dim(3)?)?.max(1);
            Box::new(move |i| i % inner)
        }
        _ => {
            let transposed = matches!(
                conv.attr.get("transpose_b").and_then(|a| a.value.as_ref()),
                Some(attr_value::Value::B(true))
            );
            let cols = dim(1)?.max(1);
            if transposed {
                Box::new(move |i| i / cols)
            } else {
                Box::new(move |i| i % cols)
            }
        }
    };
    let values = weights
        .values
        .iter()
        .enumerate()
        .map(|(i, &w)| Some((f64::from(w) * scale.get(channel(i))?) as f32))
        .collect::<Option<Vec<f32>>>()?;
    Some(Floats {
        shape: weights.shape.clone(),
        values,
    })
}

/// TF's `fuse_decomposed_batch_norm`: each `Add(Mul(x, m), Sub(beta,
/// Mul(mean, m)))` over a conv (or, here, a MatMul) becomes a `FusedBatchNorm`
/// named as the `Add`, a `gamma` of ones made when there is none. Returns the
/// names of the batch norms made.
fn fuse_decomposed(graph: &mut GraphDef) -> HashSet<String> {
    let view = View::new(graph);
    let mut skip: HashSet<String> = HashSet::new();
    let mut added: Vec<NodeDef> = Vec::new();
    for node in &graph.node {
        let Some(found) = match_decomposed(&view, node) else {
            continue;
        };
        // Fuse only what the fold then takes, so no FusedBatchNorm is left
        // over a MatMul (TF fuses conv patterns the fold may not take).
        let bn = BatchNorm {
            gamma_ones: found.gamma.is_some(),
            ..BatchNorm::of(&found.fused)
        };
        let mut folds: Vec<Fold> = match_fold(&view, &bn, &found.skip).into_iter().collect();
        shared_weights_folded(&view, &mut folds);
        if folds.is_empty() {
            continue;
        }
        skip.extend(found.skip);
        added.extend(found.gamma);
        added.push(found.fused);
    }
    let made: HashSet<String> = added
        .iter()
        .filter(|n| n.op == "FusedBatchNorm")
        .map(|n| n.name.clone())
        .collect();
    if !made.is_empty() {
        rebuild(graph, &skip, added);
    }
    made
}

struct Decomposed {
    fused: NodeDef,
    gamma: Option<NodeDef>,
    skip: Vec<String>,
}

fn is_add(op: &str) -> bool {
    matches!(op, "Add" | "AddV2")
}

/// The `fuse_decomposed_batch_norm` pattern at `add`, checked as TF does, and
/// with every node it replaces feeding only the pattern.
fn match_decomposed(view: &View<'_>, add: &NodeDef) -> Option<Decomposed> {
    if !is_add(&add.op) {
        return None;
    }
    let (a, b) = (
        view.node(add.input.first()?)?,
        view.node(add.input.get(1)?)?,
    );
    let (mul, sub) = match (a.op.as_str(), b.op.as_str()) {
        ("Mul", "Sub") => (a, b),
        ("Sub", "Mul") => (b, a),
        _ => return None,
    };
    let x = mul.input.first()?;
    let scale = view.node(mul.input.get(1)?)?;
    data_format(view, view.node(x)?)?;
    let (rsqrt, gamma) = match scale.op.as_str() {
        "Rsqrt" => (scale, None),
        "Mul" => {
            let rsqrt = view.node(scale.input.first()?)?;
            let gamma = scale.input.get(1)?;
            (rsqrt.op == "Rsqrt").then_some(())?;
            (view.floats(gamma)?.shape.len() == 1).then_some(())?;
            (rsqrt, Some(gamma))
        }
        _ => return None,
    };
    let beta = sub.input.first()?;
    let mean_mul = view.node(sub.input.get(1)?)?;
    (mean_mul.op == "Mul").then_some(())?;
    let beta_values = view.floats(beta)?;
    (beta_values.shape.len() == 1).then_some(())?;
    // One scale for the input and the mean.
    (view.node(mean_mul.input.get(1)?)?.name == scale.name).then_some(())?;
    let mean = mean_mul.input.first()?;
    (view.floats(mean)?.shape.len() == 1).then_some(())?;
    let variance_add = view.node(rsqrt.input.first()?)?;
    is_add(&variance_add.op).then_some(())?;
    let variance = variance_add.input.first()?;
    let epsilon = view.floats(variance_add.input.get(1)?)?;
    (view.floats(variance)?.shape.len() == 1).then_some(())?;
    let epsilon = match (epsilon.shape.as_slice(), epsilon.values.as_slice()) {
        ([], [e]) => *e,
        _ => return None,
    };
    let mut skip = vec![
        add.name.as_str(),
        mul.name.as_str(),
        sub.name.as_str(),
        mean_mul.name.as_str(),
        scale.name.as_str(),
        variance_add.name.as_str(),
    ];
    if scale.name != rsqrt.name {
        skip.push(rsqrt.name.as_str());
    }
    let within: HashSet<&str> = skip.iter().copied().collect();
    if skip
        .iter()
        .filter(|n| **n != add.name)
        .any(|n| !view.only_read_by(n, &within))
    {
        return None;
    }
    let beta_dtype = view
        .constant(beta)
        .and_then(|(name, _)| view.by_name.get(name))
        .and_then(|n| n.attr.get("dtype"))
        .cloned();
    let made_gamma = gamma.is_none().then(|| {
        // Named beside the Rsqrt, as TF names it.
        let name = match rsqrt.name.rsplit_once('/') {
            Some((scope, _)) => format!("{scope}/gamma"),
            None => format!("{}/gamma", rsqrt.name),
        };
        let mut node = NodeDef {
            name,
            op: "Const".into(),
            ..Default::default()
        };
        if let Some(dtype) = &beta_dtype {
            node.attr.insert("dtype".into(), dtype.clone());
        }
        node.attr.insert(
            "value".into(),
            tensor_attr(values::broadcast_one(&beta_values.shape)),
        );
        node
    });
    let gamma_input = gamma
        .cloned()
        .or_else(|| made_gamma.as_ref().map(|g| g.name.clone()))?;
    let mut fused = NodeDef {
        name: add.name.clone(),
        op: "FusedBatchNorm".into(),
        input: vec![
            node_name(x).to_owned(),
            node_name(&gamma_input).to_owned(),
            node_name(beta).to_owned(),
            node_name(mean).to_owned(),
            node_name(variance).to_owned(),
        ],
        ..Default::default()
    };
    if let Some(t) = add.attr.get("T") {
        fused.attr.insert("T".into(), t.clone());
    }
    let value = |v| AttrValue { value: Some(v) };
    fused
        .attr
        .insert("is_training".into(), value(attr_value::Value::B(false)));
    fused
        .attr
        .insert("epsilon".into(), value(attr_value::Value::F(epsilon)));
    Some(Decomposed {
        fused,
        gamma: made_gamma,
        skip: skip.into_iter().map(str::to_owned).collect(),
    })
}

/// TF fuses only over an NHWC conv (the input itself, or one of its inputs);
/// a MatMul's channels are its last dimension, as NHWC's are.
fn data_format(view: &View<'_>, input: &NodeDef) -> Option<()> {
    let nhwc = |node: &NodeDef| match node.op.as_str() {
        "Conv2D" | "DepthwiseConv2dNative" => matches!(
            node.attr.get("data_format").and_then(|a| a.value.as_ref()),
            Some(attr_value::Value::S(s)) if s == b"NHWC"
        ),
        "MatMul" => true,
        _ => false,
    };
    if WEIGHTED.contains(&input.op.as_str()) {
        return nhwc(input).then_some(());
    }
    input
        .input
        .iter()
        .filter_map(|i| view.node(i))
        .find(|n| WEIGHTED.contains(&n.op.as_str()))
        .filter(|n| nhwc(n))
        .map(|_| ())
}

#[cfg(test)]
mod tests;
