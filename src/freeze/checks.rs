//! Checks made before anything is written: flags that name nodes, shards,
//! and each variable against its checkpoint entry.

use std::collections::{HashMap, HashSet};

use crate::bundle;
use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::graph::names::{node_name, suggestions};
use crate::graph::ops::{is_assignment, is_variable, output_count};
use crate::input::CheckpointFiles;
use crate::options::Options;
use crate::plan::ContentRef;
use crate::proto::{attr_value, GraphDef, NodeDef};
use crate::variables;

/// TF 2.21 ignores `--restore_op_name` and `--filename_tensor_name`; scripts
/// pass TF's defaults for graphs that lack them, so a miss is only a warning.
pub(super) fn check_deprecated_names(
    graph: &GraphDef,
    options: &Options,
    warnings: &mut Vec<String>,
) {
    let exists = |name: &str| graph.node.iter().any(|n| n.name == node_name(name));
    let flags = [
        ("restore_op_name", &options.restore_op_name),
        ("filename_tensor_name", &options.filename_tensor_name),
    ];
    for (flag, value) in flags {
        if let Some(name) = value.as_deref().filter(|n| !exists(n)) {
            warnings.push(format!(
                "--{flag}={name} names nothing in the graph; the flag is deprecated and ignored, as in TensorFlow"
            ));
        }
    }
}

/// TF runs `--initializer_nodes` after restoring. One that (itself or through
/// its inputs) assigns a variable being frozen would make TF freeze the
/// assigned value instead of the checkpoint's, which we cannot compute: refuse.
pub(super) fn check_initializers(
    graph: &GraphDef,
    kept: &[usize],
    options: &Options,
    warnings: &mut Vec<String>,
) -> Result<()> {
    // The indexes below cost a word per node; most freezes name no initializer.
    if options.initializer_nodes.is_empty() {
        return Ok(());
    }
    // The variables `variables::to_convert` finds in the pruned graph.
    let frozen: HashSet<&str> = kept
        .iter()
        .filter_map(|&i| graph.node.get(i))
        .filter(|n| is_variable(&n.op) && variables::should_convert(&n.name, options))
        .map(|n| n.name.as_str())
        .collect();
    let by_name: HashMap<&str, &NodeDef> =
        graph.node.iter().map(|n| (n.name.as_str(), n)).collect();
    for name in &options.initializer_nodes {
        let Some(start) = by_name.get(node_name(name)) else {
            return Err(Error::UnknownNode {
                name: name.clone(),
                suggestions: suggestions(name, graph.node.iter().map(|n| n.name.as_str())),
            });
        };
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&NodeDef> = vec![start];
        while let Some(node) = stack.pop() {
            if !seen.insert(node.name.as_str()) {
                continue;
            }
            if is_assignment(&node.op) {
                let target = node.input.first().map(|i| node_name(i)).unwrap_or_default();
                if frozen.contains(target) {
                    return Err(Error::mismatch(
                        name,
                        format!(
                            "initializer node runs '{}', which assigns variable '{target}' after it is restored, \
                             so the frozen value would not be the checkpoint's; leave it out of \
                             `initializer_nodes` or keep the variable with `variable_names_denylist`",
                            node.name
                        ),
                    ));
                }
            }
            stack.extend(
                node.input
                    .iter()
                    .filter_map(|i| by_name.get(node_name(i)).copied()),
            );
        }
        warnings.push(format!(
            "initializer node '{name}' changes no frozen value; TensorFlow would run it after restoring, \
             which leaves the frozen constants as they are"
        ));
    }
    Ok(())
}

/// Every `.data` shard the index lists must be there; their names, by shard id.
pub(super) fn check_shards(
    files: &CheckpointFiles<'_>,
    checkpoint: &Checkpoint,
) -> Result<Vec<String>> {
    let count = checkpoint.num_shards();
    let prefix = files.prefix;
    (0..count)
        .map(|shard| {
            let name = bundle::data_file_name(prefix, shard, count);
            match files.shard_sizes.get(shard as usize) {
                Some(Some(_)) => Ok(name),
                _ => Err(Error::MissingFile {
                    file: name,
                    detail: format!(
                        "{} lists {count} data shard(s) and every one is needed",
                        checkpoint.file()
                    ),
                }),
            }
        })
        .collect()
}

/// Protobuf (and so TF) cannot parse a message of 2 GiB or more.
pub(super) const GRAPHDEF_LIMIT: u64 = (1 << 31) - 1;

pub(super) fn check_size(
    size: u64,
    content: &HashMap<usize, ContentRef>,
    allow: bool,
    warnings: &mut Vec<String>,
) -> Result<()> {
    if size <= GRAPHDEF_LIMIT {
        return Ok(());
    }
    let mut largest: Vec<&ContentRef> = content.values().collect();
    largest.sort_by(|a, b| b.len.cmp(&a.len).then_with(|| a.tensor.cmp(&b.tensor)));
    let names: Vec<String> = largest
        .iter()
        .take(5)
        .map(|c| format!("'{}' ({} MiB)", c.tensor, c.len >> 20))
        .collect();
    if allow {
        warnings.push(format!(
            "the frozen graph is {size} bytes, over protobuf's 2 GiB limit: TensorFlow will not load it"
        ));
        return Ok(());
    }
    Err(Error::TooLarge {
        what: format!(
            "the frozen graph (largest constants: {}; keep some as variables with `variable_names_denylist`, \
             or write it anyway with `allow_over_2gb`, though TensorFlow cannot load it)",
            names.join(", ")
        ),
        size,
        limit: GRAPHDEF_LIMIT,
    })
}

/// Nodes whose `_output_shapes` lists another number of shapes than the op has
/// outputs, as graphs of older TF carry (`FusedBatchNormGrad` gained outputs):
/// TF 2.21's import refuses the graph for them. Those the outputs do not need
/// are dropped with the rest; those kept stay as written. Either way the
/// report says so.
pub(super) fn check_stale_output_shapes(
    full: &GraphDef,
    kept: &[usize],
    warnings: &mut Vec<String>,
) {
    let stale = |node: &&NodeDef| {
        let listed = match node
            .attr
            .get("_output_shapes")
            .and_then(|a| a.value.as_ref())
        {
            Some(attr_value::Value::List(list)) => list.shape.len(),
            _ => return false,
        };
        output_count(&node.op).is_some_and(|outputs| outputs != listed)
    };
    let found: Vec<&NodeDef> = full.node.iter().filter(stale).collect();
    if found.is_empty() {
        // The common case: no index of the frozen graph's names is built.
        return;
    }
    let in_frozen: HashSet<&str> = kept
        .iter()
        .filter_map(|&i| full.node.get(i))
        .map(|n| n.name.as_str())
        .collect();
    let (still, dropped): (Vec<&NodeDef>, Vec<&NodeDef>) = found
        .into_iter()
        .partition(|n| in_frozen.contains(n.name.as_str()));
    let example = |nodes: &[&NodeDef]| {
        nodes
            .first()
            .map_or(String::new(), |n| format!(" (e.g. '{}', {})", n.name, n.op))
    };
    if !dropped.is_empty() {
        warnings.push(format!(
            "{} node(s) carry _output_shapes that TensorFlow 2.21's import refuses{}; \
             the outputs do not need them, so they were dropped with the other unneeded nodes",
            dropped.len(),
            example(&dropped)
        ));
    }
    if !still.is_empty() {
        warnings.push(format!(
            "{} node(s) the outputs need carry _output_shapes that TensorFlow 2.21's import \
             refuses{}; they are kept as written, so TensorFlow may refuse the frozen graph",
            still.len(),
            example(&still)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn huge(tensor: &str, len: u64) -> ContentRef {
        ContentRef {
            shard: 0,
            offset: 0,
            len,
            crc32c: 0,
            tensor: tensor.into(),
        }
    }

    #[test]
    fn graphs_over_2_gib_are_refused_with_the_largest_constants() {
        let content: HashMap<usize, ContentRef> =
            [(0, huge("embedding", 3 << 30)), (1, huge("small", 1 << 20))].into();
        let mut warnings = Vec::new();
        let err = check_size(3 << 30, &content, false, &mut warnings).expect_err("too large");
        let text = err.to_string();
        assert!(
            text.contains("'embedding' (3072 MiB), 'small' (1 MiB)"),
            "{text}"
        );
        assert!(text.contains("`allow_over_2gb`"), "{text}");
        check_size(3 << 30, &content, true, &mut warnings).expect("allowed");
        assert_eq!(warnings.len(), 1);
        check_size(GRAPHDEF_LIMIT, &content, false, &mut warnings).expect("at the limit");
    }
}
