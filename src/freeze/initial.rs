//! Variables the checkpoint lacks, frozen from their constant initializers
//! when `initialize_missing` asks for it, and otherwise named with what their
//! initializer is, so the refusal says whether that option would help.

use crate::error::{Error, Result};
use crate::graph::initializers::{Initial, Nodes};
use crate::plan::InitializedVariable;
use crate::proto::NodeDef;

use super::propagate::Value;
use super::Freezer;

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
        let full = self.full;
        let initial = self
            .initializers
            .get_or_insert_with(|| Nodes::new(full))
            .initial_value(&node.name);
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
