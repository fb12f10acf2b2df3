//! Variables the checkpoint lacks, frozen from their constant initializers
//! when `initialize_missing` asks for it, and otherwise named with what their
//! initializer is, so the refusal says whether that option would help.

use std::collections::HashMap;

use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::graph::initializers::{Initial, Nodes};
use crate::graph::ops::is_variable;
use crate::graph::saver::Source;
use crate::plan::InitializedVariable;
use crate::proto::{GraphDef, NodeDef};
use crate::variables::{self, NotFound};

use super::propagate::Value;
use super::Freezer;

/// What the initializer gives each variable at `kept` that the checkpoint
/// lacks, read from the whole `graph` before pruning drops the initializers;
/// no index of the graph is built when the checkpoint has them all.
pub(super) fn missing_initials(
    graph: &GraphDef,
    kept: &[usize],
    checkpoint: &Checkpoint,
    sources: &HashMap<String, Source>,
) -> HashMap<String, Initial> {
    let mut nodes: Option<Nodes<'_>> = None;
    let mut found = HashMap::new();
    let variables = kept
        .iter()
        .filter_map(|&i| graph.node.get(i))
        .filter(|n| is_variable(&n.op));
    for node in variables {
        if let Err(NotFound::Missing { .. }) = variables::locate(checkpoint, sources, node, false) {
            let nodes = nodes.get_or_insert_with(|| Nodes::new(graph));
            found.insert(node.name.clone(), nodes.initial_value(&node.name));
        }
    }
    found
}

impl<'a> Freezer<'a, '_> {
    /// The freeze of variable `index`, which the checkpoint does not hold
    /// (`missing` says so); its initializer's constant when allowed.
    pub(super) fn freeze_from_initializer(
        &mut self,
        index: usize,
        node: &NodeDef,
        dtype: i32,
        missing: Error,
    ) -> Result<(String, Value)> {
        let initial = self
            .initials
            .get(&node.name)
            .cloned()
            .unwrap_or_else(|| Initial::Other("no initializer".into()));
        let why = match initial {
            Initial::Constant { value, from } if self.initialize_missing => {
                if value.dtype != dtype {
                    return Err(note(
                        missing,
                        format!("its initializer '{from}' has another dtype than the variable"),
                    ));
                }
                let shape = value.tensor_shape.clone().unwrap_or_default();
                if let Some(declared) = declared_shape(node) {
                    let dims: Vec<i64> = shape.dim.iter().map(|d| d.size).collect();
                    if dims != declared {
                        return Err(note(
                            missing,
                            format!(
                                "its initializer '{from}' has shape {dims:?}, the variable {declared:?}"
                            ),
                        ));
                    }
                }
                self.install_const(index, node, dtype, *value);
                self.initialized.push(InitializedVariable {
                    name: node.name.clone(),
                    initializer: from,
                });
                return Ok((node.name.clone(), Value { dtype, shape }));
            }
            other => other.note(),
        };
        Err(note(missing, why))
    }
}

/// `err` (a mismatch) with `note` added to its detail.
fn note(err: Error, note: String) -> Error {
    match err {
        Error::Mismatch { name, detail } => Error::Mismatch {
            name,
            detail: format!("{detail}; {note}"),
        },
        other => other,
    }
}

/// The variable's declared shape when it is fully known.
fn declared_shape(node: &NodeDef) -> Option<Vec<i64>> {
    match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        Some(crate::proto::attr_value::Value::Shape(shape)) if !shape.unknown_rank => {
            let dims: Vec<i64> = shape.dim.iter().map(|d| d.size).collect();
            dims.iter().all(|&d| d >= 0).then_some(dims)
        }
        _ => None,
    }
}
