//! Moving averages: reading a variable's `ExponentialMovingAverage` shadow
//! (`--use_moving_averages`), in V2 and V1 checkpoints alike.

use std::collections::{BTreeMap, HashMap};

use crate::checkpoint::Checkpoint;
use crate::error::Result;
use crate::graph::attrs::type_attr;
use crate::graph::ops::is_variable;
use crate::graph::saver::{self, Source};
use crate::proto::{GraphDef, SaverDef};

const EMA_SUFFIX: &str = "/ExponentialMovingAverage";

/// For each variable whose `ExponentialMovingAverage` shadow the checkpoint
/// holds, the shadow's key, so the freeze reads the averaged value as
/// `ema.variables_to_restore()` would (python/training/moving_averages.py).
pub fn use_moving_averages(
    graph: &GraphDef,
    checkpoint: &Checkpoint,
    saver_def: Option<&SaverDef>,
) -> Result<BTreeMap<String, String>> {
    let sources = saver::sources(graph, saver_def)?;
    Ok(moving_average_keys(graph, checkpoint, &sources))
}

/// `--use_moving_averages`: each variable whose shadow the checkpoint holds
/// reads the shadow instead; one line per change.
pub fn use_shadows(
    graph: &GraphDef,
    checkpoint: &Checkpoint,
    sources: &mut HashMap<String, Source>,
) -> Vec<String> {
    let mut changes = Vec::new();
    for (variable, shadow) in moving_average_keys(graph, checkpoint, sources) {
        changes.push(format!("'{variable}' takes its moving average '{shadow}'"));
        sources.insert(
            variable,
            Source {
                key: shadow,
                slice: None,
                restore_dtype: None,
            },
        );
    }
    changes
}

/// [`use_moving_averages`] with the saver's sources already known. The shadow
/// is looked up as the shadow variable's own key, then as `<key>/ExponentialMovingAverage`,
/// then `<variable>/ExponentialMovingAverage`; it must match the variable's dtype
/// and the shape of its own entry. Partitioned variables are left alone.
pub fn moving_average_keys(
    graph: &GraphDef,
    checkpoint: &Checkpoint,
    sources: &HashMap<String, Source>,
) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    for node in &graph.node {
        if !is_variable(&node.op) || node.name.contains(EMA_SUFFIX) {
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
        let own_dims = checkpoint.tensor(key).map(|t| t.dims);
        let fits = |shadow: &str| {
            checkpoint.tensor(shadow).is_some_and(|t| {
                !t.sliced
                    && dtype.is_none_or(|d| d == t.dtype)
                    && own_dims.as_ref().is_none_or(|d| *d == t.dims)
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
    use crate::bundle::BundleIndex;
    use crate::graph::test_graph::{graph, node, shape, with_attr};
    use crate::proto::{attr_value, BundleEntryProto, BundleHeaderProto, DataType};

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
        let checkpoint = Checkpoint::from_bundle("model.ckpt.index", index);
        let keys = use_moving_averages(&g, &checkpoint, None).expect("no saver needed");
        let expected: BTreeMap<String, String> =
            [("w".to_owned(), "w/ExponentialMovingAverage".to_owned())].into();
        assert_eq!(keys, expected);
    }
}
