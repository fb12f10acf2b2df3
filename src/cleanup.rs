//! Opt-in rewrites that make a training graph freezable and runnable for
//! inference: the edits users otherwise make by hand in Python. Each is a pure
//! function over a GraphDef that returns one line per change, and each rewrites
//! only patterns it recognises for sure.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::bundle::BundleIndex;
use crate::error::{Error, Result};
use crate::freeze::VARIABLE_OPS;
use crate::inspect::{python_dtype_name, resolve_output, shape_dims, type_attr};
use crate::names::{endpoint, node_name};
use crate::plan::tensor_attr;
use crate::proto::tensor_shape_proto::Dim;
use crate::proto::{
    attr_value, AttrValue, DataType, GraphDef, NodeDef, SaverDef, TensorProto, TensorShapeProto,
};
use crate::saver::{self, Source};

// ---- Reference ops ----

/// The value form of each reference op (core/ops/state_ops.cc, control_flow_ops.cc).
const REF_REWRITES: [(&str, &str); 9] = [
    ("RefSwitch", "Switch"),
    ("RefEnter", "Enter"),
    ("RefExit", "Exit"),
    ("RefMerge", "Merge"),
    ("RefIdentity", "Identity"),
    ("RefNextIteration", "NextIteration"),
    ("AssignSub", "Sub"),
    ("AssignAdd", "Add"),
    ("Assign", "Identity"),
];

/// Rewrites reference ops into their value forms, the fix for TF1 batch norm's
/// "Input 0 of node .../RefSwitch was passed float from ... incompatible with
/// expected float_ref" once its moving averages are constants: `RefSwitch` →
/// `Switch` (and the other `Ref*` control-flow ops likewise), `AssignSub` →
/// `Sub`, `AssignAdd` → `Add` (without `use_locking`), `Assign` → `Identity`
/// of its value (without `validate_shape` and `use_locking`).
pub fn fix_ref_ops(graph: &mut GraphDef) -> Vec<String> {
    let mut changes = Vec::new();
    for node in &mut graph.node {
        let Some(&(from, to)) = REF_REWRITES.iter().find(|(from, _)| node.op == *from) else {
            continue;
        };
        if from == "Assign" {
            // Identity(value), keeping the control inputs.
            let data: Vec<usize> = (0..node.input.len())
                .filter(|&i| node.input.get(i).is_some_and(|s| !s.starts_with('^')))
                .collect();
            let Some(value) = data.get(1).and_then(|&i| node.input.get(i)).cloned() else {
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

// ---- Placeholders to constants ----

/// Parses `is_training=false,keep_prob=1.0` into name/value pairs.
pub fn parse_assignments(text: &str) -> Result<Vec<(String, String)>> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(Error::Usage(format!(
                "'{item}' is not name=value (as in is_training=false,keep_prob=1.0)"
            ))),
        })
        .collect()
}

/// Replaces each named `Placeholder` / `PlaceholderWithDefault` by a `Const`
/// of its dtype holding the value: a scalar, or the value repeated over the
/// placeholder's fully known shape, encoded as `tf.constant(value, shape=...)`
/// does (make_tensor_proto: one typed value, TF repeats the last one).
pub fn placeholder_to_const(
    graph: &mut GraphDef,
    assignments: &[(String, String)],
) -> Result<Vec<String>> {
    let mut changes = Vec::new();
    for (given, value) in assignments {
        let name = resolve_output(graph, given)?;
        let node = graph
            .node
            .iter_mut()
            .rev()
            .find(|n| n.name == name)
            .ok_or_else(|| Error::Usage(format!("node '{name}' vanished")))?;
        if !matches!(
            node.op.as_str(),
            "Placeholder" | "PlaceholderV2" | "PlaceholderWithDefault"
        ) {
            return Err(Error::Usage(format!(
                "'{name}' is a {}, not a placeholder: only placeholders can be set to a constant",
                node.op
            )));
        }
        let dtype = type_attr(node, "dtype")
            .ok_or_else(|| Error::mismatch(&name, "the placeholder has no dtype attr"))?;
        let shape = const_shape(node)?;
        let mut tensor = crate::tensor::header(dtype, &shape);
        set_scalar(&mut tensor, value, &name)?;
        let mut constant = NodeDef {
            name: node.name.clone(),
            op: "Const".into(),
            input: node
                .input
                .iter()
                .filter(|i| i.starts_with('^'))
                .cloned()
                .collect(),
            device: node.device.clone(),
            ..Default::default()
        };
        if let Some(shapes) = node.attr.get("_output_shapes") {
            constant
                .attr
                .insert("_output_shapes".into(), shapes.clone());
        }
        constant.attr.insert("dtype".into(), type_value(dtype));
        constant.attr.insert("value".into(), tensor_attr(tensor));
        changes.push(format!(
            "'{name}': {} → Const {} {value}",
            node.op,
            python_dtype_name(dtype).unwrap_or_default()
        ));
        *node = constant;
    }
    Ok(changes)
}

fn type_value(dtype: i32) -> AttrValue {
    AttrValue {
        value: Some(attr_value::Value::Type(dtype)),
    }
}

/// The Const's shape: the placeholder's when fully known, a scalar when its
/// rank is unknown (what a `keep_prob = tf.placeholder(tf.float32)` is fed).
fn const_shape(node: &NodeDef) -> Result<TensorShapeProto> {
    let declared = match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Shape(shape)) => shape.clone(),
        _ => return Ok(TensorShapeProto::default()),
    };
    match shape_dims(&declared) {
        None => Ok(TensorShapeProto::default()),
        Some(dims) if dims.iter().all(|&d| d >= 0) => Ok(declared),
        Some(dims) => Err(Error::Usage(format!(
            "'{}' has shape {dims:?} with unknown dimensions: a constant needs a fully known shape",
            node.name
        ))),
    }
}

/// Stores `text`, parsed for the tensor's dtype, in its typed value field.
fn set_scalar(tensor: &mut TensorProto, text: &str, name: &str) -> Result<()> {
    use DataType as D;
    let dtype = D::try_from(tensor.dtype).unwrap_or(D::DtInvalid);
    let type_name = python_dtype_name(tensor.dtype).unwrap_or_else(|| "this dtype".into());
    let bad = || {
        Error::Usage(format!(
            "'{text}' is not a {type_name} value (for '{name}')"
        ))
    };
    let int = |low: i64, high: i64| {
        text.parse::<i64>()
            .ok()
            .filter(|v| (low..=high).contains(v))
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(bad)
    };
    match dtype {
        D::DtBool => {
            tensor.bool_val = vec![match text.to_lowercase().as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(bad()),
            }]
        }
        D::DtFloat => tensor.float_val = vec![text.parse().map_err(|_| bad())?],
        D::DtDouble => tensor.double_val = vec![text.parse().map_err(|_| bad())?],
        D::DtHalf => tensor.half_val = vec![i32::from(f16_bits(text.parse().map_err(|_| bad())?))],
        D::DtBfloat16 => {
            tensor.half_val = vec![i32::from(bf16_bits(text.parse().map_err(|_| bad())?))]
        }
        D::DtInt8 => tensor.int_val = vec![int(-128, 127)?],
        D::DtUint8 => tensor.int_val = vec![int(0, 255)?],
        D::DtInt16 => tensor.int_val = vec![int(-32768, 32767)?],
        D::DtUint16 => tensor.int_val = vec![int(0, 65535)?],
        D::DtInt32 => tensor.int_val = vec![int(i64::from(i32::MIN), i64::from(i32::MAX))?],
        D::DtInt64 => tensor.int64_val = vec![text.parse().map_err(|_| bad())?],
        D::DtUint32 => tensor.uint32_val = vec![text.parse().map_err(|_| bad())?],
        D::DtUint64 => tensor.uint64_val = vec![text.parse().map_err(|_| bad())?],
        D::DtString => tensor.string_val = vec![text.as_bytes().to_vec()],
        _ => {
            return Err(Error::unsupported(format!(
                "setting '{name}' to a constant: {type_name} placeholders are not supported \
                 (bool, integers, floats and strings are)"
            )))
        }
    }
    Ok(())
}

/// IEEE half-precision bits of `value`, rounded to nearest even (numpy's
/// `float16`, whose bits make_tensor_proto stores in `half_val`).
fn f16_bits(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = bits & 0x7f_ffff;
    if exponent == 0xff {
        return sign | 0x7c00 | if mantissa != 0 { 0x200 } else { 0 };
    }
    let e = exponent - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    let (kept, shift) = if e <= 0 {
        if e < -10 {
            return sign;
        }
        // Subnormal: the implicit leading 1 becomes explicit.
        (mantissa | 0x80_0000, (14 - e) as u32)
    } else {
        ((e as u32) << 23 | mantissa, 13)
    };
    let half = kept >> shift;
    let rest = kept & ((1 << shift) - 1);
    let halfway = 1 << (shift - 1);
    let rounded = if rest > halfway || (rest == halfway && half & 1 == 1) {
        half + 1
    } else {
        half
    };
    sign | rounded as u16
}

/// bfloat16 bits of `value`, rounded to nearest even.
fn bf16_bits(value: f32) -> u16 {
    let bits = value.to_bits();
    if value.is_nan() {
        return ((bits >> 16) | 0x40) as u16;
    }
    let rounding = 0x7fff + ((bits >> 16) & 1);
    (bits.wrapping_add(rounding) >> 16) as u16
}

// ---- Training-only nodes ----

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
    }
    count
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

/// Replaces the outputs of the graph's one queue dequeue (or iterator
/// `GetNext`) by placeholders: `name` when one output is read, `name_K` for
/// output K when several are. Refused when there is no such op, or several.
pub fn cut_input_queue(graph: &mut GraphDef, name: &str) -> Result<Vec<String>> {
    let sources: Vec<&NodeDef> = graph
        .node
        .iter()
        .filter(|n| n.op.starts_with("QueueDequeue") || n.op.starts_with("IteratorGetNext"))
        .collect();
    let source = match sources.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(Error::Usage(format!(
                "cannot cut the input at '{name}': the graph has no queue dequeue or iterator op"
            )))
        }
        many => {
            let names: Vec<&str> = many.iter().map(|n| n.name.as_str()).collect();
            return Err(Error::Usage(format!(
                "cannot cut the input at '{name}': the graph reads several queues or iterators ({})",
                names.join(", ")
            )));
        }
    };
    if graph.node.iter().any(|n| n.name == name) {
        return Err(Error::Usage(format!(
            "cannot cut the input at '{name}': a node of that name exists already"
        )));
    }
    let read = read_outputs(graph, &source.name);
    if read.is_empty() {
        return Err(Error::Usage(format!(
            "cannot cut the input at '{name}': nothing reads the outputs of '{}'",
            source.name
        )));
    }
    let mut changes = Vec::new();
    let mut placeholders = Vec::new();
    for &k in &read {
        let placeholder = if read.len() == 1 {
            name.to_owned()
        } else {
            format!("{name}_{k}")
        };
        let node = queue_placeholder(graph, &source, k, &placeholder)?;
        let wanted = if k == 0 {
            source.name.clone()
        } else {
            format!("{}:{k}", source.name)
        };
        for consumer in &mut graph.node {
            for input in &mut consumer.input {
                if endpoint(input) == (source.name.as_str(), k) && !input.starts_with('^') {
                    *input = placeholder.clone();
                } else if *input == format!("^{}", source.name) {
                    *input = format!("^{placeholder}");
                }
            }
        }
        changes.push(format!(
            "cut the input at '{wanted}' ({}): it is now placeholder '{placeholder}' ({}, shape {})",
            source.op,
            python_dtype_name(type_attr(&node, "dtype").unwrap_or(0)).unwrap_or_default(),
            shape_text(&node)
        ));
        placeholders.push(node);
    }
    graph.node.extend(placeholders);
    Ok(changes)
}

fn shape_text(node: &NodeDef) -> String {
    match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Shape(s)) => match shape_dims(s) {
            Some(dims) => format!("{dims:?}"),
            None => "unknown".into(),
        },
        _ => "unknown".into(),
    }
}

/// The output indices of `source` that some data input reads, in order.
fn read_outputs(graph: &GraphDef, source: &str) -> Vec<usize> {
    let mut read: Vec<usize> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter())
        .filter(|i| !i.starts_with('^'))
        .map(|i| endpoint(i))
        .filter(|(n, _)| *n == source)
        .map(|(_, k)| k)
        .collect();
    read.sort_unstable();
    read.dedup();
    read
}

fn list_attr<'a>(node: &'a NodeDef, name: &str) -> Option<&'a attr_value::ListValue> {
    match node.attr.get(name).and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::List(list)) => Some(list),
        _ => None,
    }
}

/// A placeholder for output `k` of a dequeue op: its dtype from
/// `component_types` (`output_types`), its shape from `_output_shapes`, else
/// from the queue's `shapes` with the batch dimension of `DequeueMany`.
fn queue_placeholder(graph: &GraphDef, source: &NodeDef, k: usize, name: &str) -> Result<NodeDef> {
    let dtype = list_attr(source, "component_types")
        .or_else(|| list_attr(source, "output_types"))
        .and_then(|l| l.r#type.get(k).copied())
        .ok_or_else(|| {
            Error::mismatch(&source.name, format!("no dtype is recorded for output {k}"))
        })?;
    let known = list_attr(source, "_output_shapes")
        .or_else(|| list_attr(source, "output_shapes"))
        .and_then(|l| l.shape.get(k).cloned());
    let mut shape = known.unwrap_or_else(|| queue_shape(graph, source, k));
    // The training batch size is no part of the model: any batch may be fed.
    if is_batched_dequeue(&source.op) {
        if let Some(batch) = shape.dim.first_mut() {
            batch.size = -1;
        }
    }
    let mut node = NodeDef {
        name: name.to_owned(),
        op: "Placeholder".into(),
        ..Default::default()
    };
    node.attr.insert("dtype".into(), type_value(dtype));
    node.attr.insert(
        "shape".into(),
        AttrValue {
            value: Some(attr_value::Value::Shape(shape)),
        },
    );
    Ok(node)
}

fn is_batched_dequeue(op: &str) -> bool {
    op.starts_with("QueueDequeueMany") || op.starts_with("QueueDequeueUpTo")
}

fn queue_shape(graph: &GraphDef, source: &NodeDef, k: usize) -> TensorShapeProto {
    let unknown = TensorShapeProto {
        unknown_rank: true,
        ..Default::default()
    };
    let queue = source
        .input
        .first()
        .and_then(|q| graph.node.iter().find(|n| n.name == node_name(q)));
    let Some(element) = queue
        .and_then(|q| list_attr(q, "shapes"))
        .and_then(|l| l.shape.get(k))
    else {
        return unknown;
    };
    if is_batched_dequeue(&source.op) {
        let mut batched = element.clone();
        batched.dim.insert(
            0,
            Dim {
                size: -1,
                name: String::new(),
            },
        );
        batched
    } else {
        element.clone()
    }
}

// ---- Moving averages ----

const EMA_SUFFIX: &str = "/ExponentialMovingAverage";

/// For each variable whose `ExponentialMovingAverage` shadow the checkpoint
/// holds, the shadow's key, so the freeze reads the averaged value as
/// `ema.variables_to_restore()` would (python/training/moving_averages.py).
pub fn use_moving_averages(
    graph: &GraphDef,
    checkpoint: &BundleIndex,
    saver_def: Option<&SaverDef>,
) -> Result<BTreeMap<String, String>> {
    let sources = saver::sources(graph, saver_def)?;
    Ok(moving_average_keys(graph, checkpoint, &sources))
}

/// [`use_moving_averages`] with the saver's sources already known. The shadow
/// is looked up as the shadow variable's own key, then as `<key>/ExponentialMovingAverage`,
/// then `<variable>/ExponentialMovingAverage`; it must match the variable's dtype
/// and the shape of its own entry. Partitioned variables are left alone.
pub(crate) fn moving_average_keys(
    graph: &GraphDef,
    checkpoint: &BundleIndex,
    sources: &HashMap<String, Source>,
) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    for node in &graph.node {
        if !VARIABLE_OPS.contains(&node.op.as_str()) || node.name.contains(EMA_SUFFIX) {
            continue;
        }
        let source = sources.get(&node.name);
        if source.is_some_and(|s| s.slice.is_some()) {
            continue;
        }
        let key = source.map_or(node.name.as_str(), |s| s.key.as_str());
        let shadow_variable = format!("{}{EMA_SUFFIX}", node.name);
        let candidates = [
            sources.get(&shadow_variable).map(|s| s.key.clone()),
            Some(format!("{key}{EMA_SUFFIX}")),
            Some(shadow_variable),
        ];
        let dtype = type_attr(node, "dtype");
        let own_shape = checkpoint.entry(key).and_then(|e| e.shape.clone());
        let fits = |shadow: &str| {
            checkpoint.entry(shadow).is_some_and(|e| {
                e.slices.is_empty()
                    && dtype.is_none_or(|d| d == e.dtype)
                    && own_shape
                        .as_ref()
                        .is_none_or(|s| e.shape.as_ref() == Some(s))
            })
        };
        if let Some(shadow) = candidates.into_iter().flatten().find(|s| fits(s)) {
            keys.insert(node.name.clone(), shadow);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{BundleEntryProto, BundleHeaderProto};

    fn node(name: &str, op: &str, inputs: &[&str]) -> NodeDef {
        NodeDef {
            name: name.into(),
            op: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn with_attr(mut node: NodeDef, name: &str, value: attr_value::Value) -> NodeDef {
        node.attr
            .insert(name.into(), AttrValue { value: Some(value) });
        node
    }

    fn shape(dims: &[i64]) -> TensorShapeProto {
        TensorShapeProto {
            dim: dims
                .iter()
                .map(|&size| Dim {
                    size,
                    name: String::new(),
                })
                .collect(),
            ..Default::default()
        }
    }

    fn placeholder(name: &str, dtype: DataType, dims: Option<&[i64]>) -> NodeDef {
        let shape = dims.map_or(
            TensorShapeProto {
                unknown_rank: true,
                ..Default::default()
            },
            shape,
        );
        let node = with_attr(
            node(name, "Placeholder", &[]),
            "dtype",
            attr_value::Value::Type(dtype as i32),
        );
        with_attr(node, "shape", attr_value::Value::Shape(shape))
    }

    fn graph(nodes: Vec<NodeDef>) -> GraphDef {
        GraphDef {
            node: nodes,
            ..Default::default()
        }
    }

    fn find<'a>(graph: &'a GraphDef, name: &str) -> &'a NodeDef {
        graph.node.iter().find(|n| n.name == name).expect("node")
    }

    fn value(graph: &GraphDef, name: &str) -> TensorProto {
        match find(graph, name)
            .attr
            .get("value")
            .and_then(|a| a.value.clone())
        {
            Some(attr_value::Value::Tensor(t)) => t,
            other => panic!("{name} has no tensor: {other:?}"),
        }
    }

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

    #[test]
    fn assignments_parse() {
        let parsed = parse_assignments(" is_training=false, keep_prob = 1.0 ,").expect("parses");
        assert_eq!(
            parsed,
            vec![
                ("is_training".to_owned(), "false".to_owned()),
                ("keep_prob".to_owned(), "1.0".to_owned())
            ]
        );
        assert!(parse_assignments("keep_prob").is_err());
    }

    #[test]
    fn placeholders_become_constants() {
        let mut default = with_attr(
            node(
                "training",
                "PlaceholderWithDefault",
                &["training/input", "^init"],
            ),
            "dtype",
            attr_value::Value::Type(DataType::DtBool as i32),
        );
        default = with_attr(default, "shape", attr_value::Value::Shape(shape(&[])));
        let mut g = graph(vec![
            placeholder("keep_prob", DataType::DtFloat, None),
            default,
            placeholder("ids", DataType::DtInt32, Some(&[2, 3])),
            placeholder("h", DataType::DtHalf, Some(&[])),
            placeholder("name", DataType::DtString, Some(&[])),
        ]);
        let set: Vec<(String, String)> = [
            ("keep_prob:0", "1.0"),
            ("training", "False"),
            ("ids", "7"),
            ("h", "0.5"),
            ("name", "a,b"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        let changes = placeholder_to_const(&mut g, &set).expect("rewrites");
        assert_eq!(changes[0], "'keep_prob': Placeholder → Const float32 1.0");
        let keep = value(&g, "keep_prob");
        assert_eq!(
            (keep.float_val.as_slice(), keep.tensor_shape.clone()),
            (&[1.0f32][..], Some(TensorShapeProto::default()))
        );
        assert_eq!(find(&g, "training").input, vec!["^init"]);
        assert_eq!(value(&g, "training").bool_val, vec![false]);
        let ids = value(&g, "ids");
        assert_eq!(ids.int_val, vec![7]);
        assert_eq!(ids.tensor_shape, Some(shape(&[2, 3])));
        assert!(ids.tensor_content.is_empty());
        assert_eq!(value(&g, "h").half_val, vec![0x3800]);
        assert_eq!(value(&g, "name").string_val, vec![b"a,b".to_vec()]);
        assert_eq!(find(&g, "ids").op, "Const");
    }

    #[test]
    fn placeholder_errors_name_the_node() {
        let mut g = graph(vec![
            placeholder("flag", DataType::DtBool, Some(&[])),
            placeholder("batch", DataType::DtFloat, Some(&[-1, 3])),
            placeholder("small", DataType::DtInt8, Some(&[])),
            node("relu", "Relu", &["flag"]),
        ]);
        let one = |n: &str, v: &str| vec![(n.to_owned(), v.to_owned())];
        let err = placeholder_to_const(&mut g, &one("flag", "maybe")).expect_err("bad bool");
        assert_eq!(err.to_string(), "'maybe' is not a bool value (for 'flag')");
        let err = placeholder_to_const(&mut g, &one("relu", "1")).expect_err("not a placeholder");
        assert!(
            err.to_string()
                .starts_with("'relu' is a Relu, not a placeholder"),
            "{err}"
        );
        let err = placeholder_to_const(&mut g, &one("batch", "1")).expect_err("unknown dims");
        assert!(err.to_string().contains("unknown dimensions"), "{err}");
        assert!(placeholder_to_const(&mut g, &one("small", "300")).is_err());
        let err = placeholder_to_const(&mut g, &one("flga", "true")).expect_err("unknown");
        assert!(matches!(err, Error::UnknownNode { .. }), "{err}");
    }

    #[test]
    fn half_and_bfloat16_round_to_nearest_even() {
        assert_eq!(f16_bits(1.0), 0x3c00);
        assert_eq!(f16_bits(-2.0), 0xc000);
        assert_eq!(f16_bits(65504.0), 0x7bff);
        assert_eq!(f16_bits(65520.0), 0x7c00);
        assert_eq!(f16_bits(5.960_464_5e-8), 0x0001);
        assert_eq!(f16_bits(0.0), 0);
        assert_eq!(bf16_bits(1.0), 0x3f80);
        assert_eq!(bf16_bits(-0.5), 0xbf00);
    }

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
        assert_eq!(find(&g, "logits2").input, vec!["relu:0", "w", "^relu"]);
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
        assert_eq!(find(&g, "out").input, vec!["y:0", "^y"]);
        assert_eq!(find(&g, "check").op, "Identity");
    }

    fn queue_graph() -> GraphDef {
        let types = attr_value::ListValue {
            r#type: vec![
                DataType::DtInt64 as i32,
                DataType::DtFloat as i32,
                DataType::DtFloat as i32,
            ],
            ..Default::default()
        };
        let shapes = attr_value::ListValue {
            shape: vec![shape(&[]), shape(&[28, 28]), shape(&[10])],
            ..Default::default()
        };
        graph(vec![
            with_attr(
                node("queue", "RandomShuffleQueueV2", &[]),
                "shapes",
                attr_value::Value::List(shapes),
            ),
            with_attr(
                node("dequeue", "QueueDequeueManyV2", &["queue", "dequeue/n"]),
                "component_types",
                attr_value::Value::List(types),
            ),
            node("Reshape", "Reshape", &["dequeue:1", "shape"]),
            node("loss", "Sub", &["logits", "dequeue:2"]),
        ])
    }

    #[test]
    fn input_queue_is_cut() {
        let mut g = queue_graph();
        let changes = strip_training_nodes(&mut g, Some("images")).expect("cuts");
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(
            changes[0],
            "cut the input at 'dequeue:1' (QueueDequeueManyV2): it is now placeholder 'images_1' (float32, shape [-1, 28, 28])"
        );
        assert_eq!(find(&g, "Reshape").input[0], "images_1");
        assert_eq!(find(&g, "loss").input[1], "images_2");
        assert_eq!(find(&g, "images_2").op, "Placeholder");
        let err = cut_input_queue(&mut queue_graph(), "Reshape").expect_err("exists");
        assert!(err.to_string().contains("exists already"), "{err}");
        let err = cut_input_queue(&mut graph(vec![]), "images").expect_err("no queue");
        assert!(err.to_string().contains("no queue dequeue"), "{err}");
    }

    fn entry(dtype: DataType, dims: &[i64]) -> BundleEntryProto {
        BundleEntryProto {
            dtype: dtype as i32,
            shape: Some(shape(dims)),
            ..Default::default()
        }
    }

    #[test]
    fn moving_average_shadows_are_found() {
        let mut entries: Vec<(Vec<u8>, BundleEntryProto)> = [
            ("w", entry(DataType::DtFloat, &[2, 2])),
            (
                "w/ExponentialMovingAverage",
                entry(DataType::DtFloat, &[2, 2]),
            ),
            ("b", entry(DataType::DtFloat, &[2])),
            ("c", entry(DataType::DtFloat, &[3])),
            ("c/ExponentialMovingAverage", entry(DataType::DtFloat, &[4])),
            ("step", entry(DataType::DtInt64, &[])),
            (
                "step/ExponentialMovingAverage",
                entry(DataType::DtFloat, &[]),
            ),
        ]
        .into_iter()
        .map(|(k, e)| (k.as_bytes().to_vec(), e))
        .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let index = BundleIndex {
            header: BundleHeaderProto::default(),
            entries,
        };
        let variable = |name: &str, dtype: DataType| {
            with_attr(
                node(name, "VariableV2", &[]),
                "dtype",
                attr_value::Value::Type(dtype as i32),
            )
        };
        let g = graph(vec![
            variable("w", DataType::DtFloat),
            variable("w/ExponentialMovingAverage", DataType::DtFloat),
            variable("b", DataType::DtFloat),
            variable("c", DataType::DtFloat),
            variable("step", DataType::DtInt64),
        ]);
        let keys = use_moving_averages(&g, &index, None).expect("no saver needed");
        let expected: BTreeMap<String, String> =
            [("w".to_owned(), "w/ExponentialMovingAverage".to_owned())].into();
        assert_eq!(keys, expected);
    }
}
