//! Which checkpoint key holds which variable: the graph's own saver subgraph
//! says so (python/training/saver.py; core/kernels/save_restore_v2_ops.cc).
//! Walk from the restore op through `NoOp`s to the `Assign`/`AssignVariableOp`
//! nodes, then back from their values to `RestoreV2:k` or `RestoreSlice`,
//! whose Const inputs hold the key and the slice of entry `k`.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::graph::names::{endpoint, node_name};
use crate::graph::ops::RESTORE_ASSIGN_OPS;
use crate::proto::{attr_value, GraphDef, NodeDef, SaverDef, TensorProto};

/// Where one variable's value is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The checkpoint key.
    pub key: String,
    /// The part of the full tensor this variable holds (partitioned variables).
    pub slice: Option<Slice>,
    /// The dtype the restore op asks for, when known.
    pub restore_dtype: Option<i32>,
}

/// A `shape_and_slice` spec: `"5 2 0,3:0,2"` is full shape [5, 2] and the box
/// starting at (0, 0) of size (3, 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// The full tensor's shape.
    pub full_shape: Vec<i64>,
    /// `(start, length)` per dimension; length -1 is the whole dimension.
    pub extents: Vec<(i64, i64)>,
}

impl Slice {
    /// Parses TF's `shape_and_slice` string (checkpoint::ParseShapeAndSlice).
    pub fn parse(spec: &str) -> Option<Slice> {
        let parts: Vec<&str> = spec.split(' ').collect();
        let (slice_part, dims) = parts.split_last()?;
        let full_shape: Vec<i64> = dims.iter().map(|d| d.parse().ok()).collect::<Option<_>>()?;
        let items: Vec<&str> = slice_part.split(':').collect();
        if items.len() != full_shape.len() {
            return None;
        }
        let extents = items
            .iter()
            .map(|item| {
                if *item == "-" {
                    Some((0, -1))
                } else {
                    let (start, length) = item.split_once(',')?;
                    Some((start.parse().ok()?, length.parse().ok()?))
                }
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Slice {
            full_shape,
            extents,
        })
    }
}

/// The restore op TF would run: the SaverDef's, else `save/restore_all`, else
/// the last `save_N/restore_all`.
fn restore_op<'g>(
    by_name: &HashMap<&str, &'g NodeDef>,
    saver: Option<&SaverDef>,
) -> Option<&'g NodeDef> {
    if let Some(saver) = saver {
        return by_name.get(node_name(&saver.restore_op_name)).copied();
    }
    if let Some(node) = by_name.get("save/restore_all") {
        return Some(node);
    }
    let mut numbered: Vec<(u64, &NodeDef)> = by_name
        .iter()
        .filter_map(|(name, node)| {
            let n = name.strip_prefix("save_")?.strip_suffix("/restore_all")?;
            Some((n.parse().ok()?, *node))
        })
        .collect();
    numbered.sort_by_key(|(n, _)| *n);
    numbered.last().map(|(_, node)| *node)
}

/// Maps variable node names to their checkpoint source, from the saver
/// subgraph. Variables the saver does not restore are absent.
pub fn sources(graph: &GraphDef, saver: Option<&SaverDef>) -> Result<HashMap<String, Source>> {
    let by_name: HashMap<&str, &NodeDef> =
        graph.node.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut found = HashMap::new();
    let Some(restore) = restore_op(&by_name, saver) else {
        return Ok(found);
    };
    if matches!(
        restore.op.as_str(),
        "PartitionedCall" | "StatefulPartitionedCall"
    ) {
        return through_function(graph, &by_name, restore);
    }
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack: Vec<&NodeDef> = vec![restore];
    while let Some(node) = stack.pop() {
        if !seen.insert(node.name.as_str()) {
            continue;
        }
        match node.op.as_str() {
            op if RESTORE_ASSIGN_OPS.contains(&op) => {
                if let Some((variable, source)) = assignment(&by_name, node)? {
                    found.insert(variable, source);
                }
            }
            _ => {
                // restore_all and the per-shard/per-device NoOps only group
                // their control inputs.
                for input in &node.input {
                    if let Some(next) = by_name.get(node_name(input)) {
                        if next.op == "NoOp" || RESTORE_ASSIGN_OPS.contains(&next.op.as_str()) {
                            stack.push(next);
                        }
                    }
                }
            }
        }
    }
    Ok(found)
}

/// A TF2 SavedModel restores through a call of `__inference__traced_restore_N`:
/// inside it, `AssignVariableOp(arg_m, RestoreV2:tensors:j)`, and argument `m`
/// is the call's input `m`, a `VarHandleOp` of the main graph.
fn through_function(
    graph: &GraphDef,
    by_name: &HashMap<&str, &NodeDef>,
    call: &NodeDef,
) -> Result<HashMap<String, Source>> {
    let mut found = HashMap::new();
    let name = match call.attr.get("f").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Func(f)) => f.name.as_str(),
        _ => return Ok(found),
    };
    let Some(function) = graph
        .library
        .iter()
        .flat_map(|l| &l.function)
        .find(|f| f.signature.as_ref().is_some_and(|s| s.name == name))
    else {
        return Err(Error::mismatch(
            &call.name,
            format!(
                "the restore op calls function '{name}', which the graph's library does not have"
            ),
        ));
    };
    let inside: HashMap<&str, &NodeDef> = function
        .node_def
        .iter()
        .map(|n| (n.name.as_str(), n))
        .collect();
    let arguments: Vec<&str> = function
        .signature
        .iter()
        .flat_map(|s| &s.input_arg)
        .map(|a| a.name.as_str())
        .collect();
    for node in &function.node_def {
        if !RESTORE_ASSIGN_OPS.contains(&node.op.as_str()) {
            continue;
        }
        let Some((target, source)) = assignment(&inside, node)? else {
            continue;
        };
        let position = arguments.iter().position(|a| *a == target);
        if let Some(input) = position.and_then(|m| call.input.get(m)) {
            found.insert(follow_identities(by_name, node_name(input)), source);
        }
    }
    Ok(found)
}

fn assignment(
    by_name: &HashMap<&str, &NodeDef>,
    assign: &NodeDef,
) -> Result<Option<(String, Source)>> {
    let (Some(target), Some(value)) = (assign.input.first(), assign.input.get(1)) else {
        return Ok(None);
    };
    let variable = follow_identities(by_name, node_name(target));
    let mut current = value.as_str();
    // Follow the value back through Identity and Reshape to the restore op.
    for _ in 0..by_name.len().max(1) {
        let (name, index) = endpoint(current);
        let Some(node) = by_name.get(name) else {
            return Ok(None);
        };
        match node.op.as_str() {
            "Identity" | "Reshape" => match node.input.first() {
                Some(input) => current = input,
                None => return Ok(None),
            },
            "RestoreV2" => {
                return restore_v2(by_name, node, index).map(|s| s.map(|s| (variable, s)))
            }
            "RestoreSlice" => {
                return restore_slice(by_name, node).map(|s| s.map(|s| (variable, s)))
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

fn follow_identities(by_name: &HashMap<&str, &NodeDef>, name: &str) -> String {
    let mut current = name;
    for _ in 0..by_name.len().max(1) {
        match by_name.get(current) {
            Some(node) if node.op == "Identity" => match node.input.first() {
                Some(input) => current = node_name(input),
                None => break,
            },
            _ => break,
        }
    }
    current.to_owned()
}

fn restore_v2(
    by_name: &HashMap<&str, &NodeDef>,
    restore: &NodeDef,
    index: usize,
) -> Result<Option<Source>> {
    let names = const_input(by_name, restore, 1)?;
    let slices = const_input(by_name, restore, 2)?;
    let Some(key) = string_element(names, index) else {
        return Err(Error::mismatch(
            &restore.name,
            format!("the restore op has no checkpoint key for its output {index}"),
        ));
    };
    let spec = string_element(slices, index).unwrap_or_default();
    let restore_dtype = match restore.attr.get("dtypes").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::List(list)) => list.r#type.get(index).copied(),
        _ => None,
    };
    source(&restore.name, key, &spec, restore_dtype).map(Some)
}

fn restore_slice(by_name: &HashMap<&str, &NodeDef>, restore: &NodeDef) -> Result<Option<Source>> {
    let names = const_input(by_name, restore, 1)?;
    let slices = const_input(by_name, restore, 2)?;
    let Some(key) = string_element(names, 0) else {
        return Ok(None);
    };
    let spec = string_element(slices, 0).unwrap_or_default();
    let restore_dtype = match restore.attr.get("dt").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Type(t)) => Some(*t),
        _ => None,
    };
    source(&restore.name, key, &spec, restore_dtype).map(Some)
}

fn source(restore: &str, key: String, spec: &str, restore_dtype: Option<i32>) -> Result<Source> {
    let slice = if spec.is_empty() {
        None
    } else {
        Some(Slice::parse(spec).ok_or_else(|| {
            Error::mismatch(
                restore,
                format!("cannot read the slice spec '{spec}' of key '{key}'"),
            )
        })?)
    };
    Ok(Source {
        key,
        slice,
        restore_dtype,
    })
}

fn const_input<'g>(
    by_name: &HashMap<&str, &'g NodeDef>,
    node: &NodeDef,
    i: usize,
) -> Result<&'g TensorProto> {
    let missing = || {
        Error::mismatch(
            &node.name,
            format!("input {i} of the restore op is not a Const"),
        )
    };
    let input = node.input.get(i).ok_or_else(missing)?;
    let producer = by_name.get(node_name(input)).ok_or_else(missing)?;
    match producer.attr.get("value").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Tensor(t)) if producer.op == "Const" => Ok(t),
        _ => Err(missing()),
    }
}

/// Element `k` of a string Const; a short `string_val` repeats its last
/// element, as TF fills tensors from protos (core/framework/tensor.cc).
fn string_element(tensor: &TensorProto, k: usize) -> Option<String> {
    let value = tensor.string_val.get(k).or_else(|| {
        let elements: i64 = tensor
            .tensor_shape
            .as_ref()
            .map(|s| s.dim.iter().map(|d| d.size).product())
            .unwrap_or(1);
        if i64::try_from(k).ok()? < elements {
            tensor.string_val.last()
        } else {
            None
        }
    })?;
    String::from_utf8(value.clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_specs_parse() {
        let slice = Slice::parse("5 2 3,2:0,2").expect("parses");
        assert_eq!(slice.full_shape, vec![5, 2]);
        assert_eq!(slice.extents, vec![(3, 2), (0, 2)]);
        let whole = Slice::parse("4 -").expect("parses");
        assert_eq!(whole.extents, vec![(0, -1)]);
        assert!(Slice::parse("5 2 0,3").is_none());
        assert!(Slice::parse("x 0,1").is_none());
    }
}
