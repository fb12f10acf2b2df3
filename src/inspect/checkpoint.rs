//! The checkpoint side of the report: each variable against its entry, and
//! what the checkpoint holds.

use std::collections::{HashMap, HashSet};

use crate::bundle::{self, BundleIndex};
use crate::freeze::VARIABLE_OPS;
use crate::names::suggestions;
use crate::proto::{attr_value, NodeDef};
use crate::saver::Source;

use super::graph_index::GraphIndex;
use super::types::{dtype_text, python_dtype_name, shape_dims, type_attr};
use super::{problem, CheckpointVariable, Problem, ProblemKind};

/// Checks each needed variable against its entry; returns the full tensor
/// names the graph's variables restore from.
pub(super) fn check_variables(
    ix: &GraphIndex<'_>,
    index: &BundleIndex,
    sources: &HashMap<String, Source>,
    needed: &[bool],
    problems: &mut Vec<Problem>,
) -> HashSet<String> {
    let mut used = HashSet::new();
    let mut missing = 0usize;
    let names = index.tensor_names();
    for (i, node) in ix.nodes.iter().enumerate() {
        if !VARIABLE_OPS.contains(&node.op.as_str()) {
            continue;
        }
        let source = sources.get(&node.name);
        let key = source.map_or_else(|| node.name.clone(), |s| s.key.clone());
        let slice = source.and_then(|s| s.slice.as_ref());
        let partition = node.name.rsplit_once("/part_").map(|(full, _)| full);
        let found = match slice {
            Some(slice) => index
                .entry_raw(&bundle::slice_key(&key, &slice.extents))
                .map(|e| (key.clone(), e, false)),
            None => match index.entry(&key) {
                Some(e) => Some((key.clone(), e, true)),
                None => partition
                    .and_then(|full| index.entry(full).map(|e| (full.to_owned(), e, false))),
            },
        };
        let is_needed = needed.get(i).copied().unwrap_or(false);
        let Some((full, entry, whole)) = found else {
            if is_needed {
                // Nearest names cost an edit distance per key: only for the first few.
                let near = if missing < 20 {
                    suggestions(&key, names.iter().map(String::as_str))
                } else {
                    Vec::new()
                };
                missing += 1;
                let hint = near
                    .first()
                    .map_or(String::new(), |n| format!("; it has '{n}'"));
                problems.push(problem(
                    ProblemKind::MissingVariable,
                    &node.name,
                    format!("the outputs need variable '{}' but the checkpoint has no key '{key}'{hint}", node.name),
                ));
            }
            continue;
        };
        used.insert(full.clone());
        if is_needed {
            problems.extend(entry_mismatch(node, &full, entry, whole));
        }
    }
    used
}

fn entry_mismatch(
    node: &NodeDef,
    key: &str,
    entry: &crate::proto::BundleEntryProto,
    whole: bool,
) -> Option<Problem> {
    let dtype = type_attr(node, "dtype")?;
    if dtype != entry.dtype {
        return Some(problem(
            ProblemKind::DtypeMismatch,
            &node.name,
            format!(
                "variable '{}' is {} but checkpoint entry '{key}' is {}",
                node.name,
                dtype_text(dtype),
                dtype_text(entry.dtype)
            ),
        ));
    }
    let declared = match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Shape(s)) => shape_dims(s)?,
        _ => return None,
    };
    let stored = entry
        .shape
        .as_ref()
        .and_then(shape_dims)
        .unwrap_or_default();
    if whole && declared.iter().all(|&d| d >= 0) && declared != stored {
        return Some(problem(
            ProblemKind::ShapeMismatch,
            &node.name,
            format!(
                "variable '{}' has shape {declared:?} but checkpoint entry '{key}' has shape {stored:?}",
                node.name
            ),
        ));
    }
    None
}

pub(super) fn checkpoint_variables(
    index: &BundleIndex,
    used: &HashSet<String>,
) -> Vec<CheckpointVariable> {
    // A partitioned tensor's data lives under its slice keys.
    let mut part_bytes: HashMap<Vec<u8>, u64> = HashMap::new();
    for (key, entry) in &index.entries {
        if let Some(slice) = bundle::decode_slice_key(key) {
            let size = u64::try_from(entry.size).unwrap_or(0);
            let total = part_bytes.entry(slice.name).or_insert(0);
            *total = total.saturating_add(size);
        }
    }
    index
        .tensor_names()
        .into_iter()
        .filter_map(|name| {
            let entry = index.entry(&name)?;
            let bytes = if entry.slices.is_empty() {
                u64::try_from(entry.size).unwrap_or(0)
            } else {
                part_bytes.get(name.as_bytes()).copied().unwrap_or(0)
            };
            Some(CheckpointVariable {
                dtype: python_dtype_name(entry.dtype),
                shape: Some(
                    entry
                        .shape
                        .as_ref()
                        .and_then(shape_dims)
                        .unwrap_or_default(),
                ),
                bytes,
                used_by_graph: used.contains(&name),
                name,
            })
        })
        .collect()
}

pub(super) fn checkpoint_bytes(index: &BundleIndex) -> u64 {
    index
        .entries
        .iter()
        .map(|(_, e)| u64::try_from(e.size).unwrap_or(0))
        .fold(0, u64::saturating_add)
}
