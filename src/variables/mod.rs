//! Variable -> checkpoint value: the one lookup the freeze and the report
//! share, so `--inspect` says what the freeze will do. The graph's saver names
//! each variable's key (and slice, for a partitioned one); without a saver the
//! key is the variable's name, and `x/part_N` is the N-th stored slice of `x`.

#![deny(clippy::indexing_slicing)]

mod shadows;

use std::collections::HashMap;

use crate::checkpoint::{Checkpoint, Coverage, Stored};
use crate::dtype::dtype_text;
use crate::error::{Error, Result};
use crate::graph::attrs::type_attr;
use crate::graph::names::suggestions;
use crate::graph::ops::is_variable;
use crate::graph::saver::Source;
use crate::options::Options;
use crate::proto::{attr_value, GraphDef, NodeDef};

pub use shadows::{moving_average_keys, use_moving_averages, use_shadows};

/// Where a variable's value is.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<'c> {
    /// The full tensor's name in the checkpoint.
    pub tensor: String,
    /// The slice of it the variable holds, `None` for the whole tensor.
    pub extents: Option<Vec<(i64, i64)>>,
    /// The stored dtype and the value's dimensions.
    pub stored: Stored<'c>,
}

impl Located<'_> {
    /// The key as reports show it: the tensor's name, or `name[0,5:-]` for a slice.
    pub fn key(&self) -> String {
        match &self.extents {
            Some(extents) => {
                crate::bundle::display_key(&crate::bundle::slice_key(&self.tensor, extents))
            }
            None => self.tensor.clone(),
        }
    }
}

/// Why a variable has no value in the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFound {
    /// No tensor under the key; `near` is the closest stored name.
    Missing {
        /// The key looked for.
        key: String,
        /// The nearest name the checkpoint has.
        near: Option<String>,
    },
    /// The tensor is stored, but the slice the variable is lies outside its
    /// shape, or the stored entries leave elements of it out or hold some twice.
    Uncovered {
        /// The slice wanted, as reports show it.
        part: String,
        /// What is wrong; `None` when the slice does not fit the tensor's shape.
        gap: Option<Coverage>,
    },
}

/// Finds variable `node`'s value. `near` asks for the nearest stored name of
/// a missing key, which costs an edit distance per stored name.
pub fn locate<'c>(
    checkpoint: &'c Checkpoint,
    sources: &HashMap<String, Source>,
    node: &NodeDef,
    near: bool,
) -> Result<Located<'c>, NotFound> {
    let source = sources.get(&node.name);
    let key = source.map_or(node.name.as_str(), |s| s.key.as_str());
    if let Some(slice) = source.and_then(|s| s.slice.as_ref()) {
        match checkpoint.slice_or_coverage(key, &slice.extents) {
            Ok(stored) => {
                return Ok(Located {
                    tensor: key.to_owned(),
                    extents: Some(slice.extents.clone()),
                    stored,
                })
            }
            Err(gap) if checkpoint.tensor(key).is_some() => {
                return Err(NotFound::Uncovered {
                    part: crate::bundle::display_key(&crate::bundle::slice_key(
                        key,
                        &slice.extents,
                    )),
                    gap,
                });
            }
            Err(_) => {}
        }
    } else if let Some(stored) = checkpoint.tensor(key).filter(|s| !s.sliced) {
        return Ok(Located {
            tensor: key.to_owned(),
            extents: None,
            stored,
        });
    }
    if source.is_none() {
        if let Some(found) = part_by_name(checkpoint, &node.name) {
            return Ok(found);
        }
    }
    let near = near
        .then(|| {
            let names = checkpoint.tensor_names();
            suggestions(key, names.iter().map(String::as_str))
                .into_iter()
                .next()
        })
        .flatten();
    Err(NotFound::Missing {
        key: key.to_owned(),
        near,
    })
}

/// `emb/part_1` with no saver: the second stored slice of `emb`, slices
/// ordered by where they start (TF itself refuses these graphs).
fn part_by_name<'c>(checkpoint: &'c Checkpoint, name: &str) -> Option<Located<'c>> {
    let (full, part) = name.rsplit_once("/part_")?;
    let part: usize = part.parse().ok()?;
    let extents = checkpoint.slices(full).into_iter().nth(part)?;
    let stored = checkpoint.slice(full, &extents)?;
    Some(Located {
        tensor: full.to_owned(),
        extents: Some(extents),
        stored,
    })
}

impl NotFound {
    /// The freeze's error for variable `node` of checkpoint `file`.
    pub fn to_error(&self, node: &str, file: &str) -> Error {
        match self {
            NotFound::Missing { key, near } => Error::mismatch(
                node,
                format!(
                    "the checkpoint {file} has no value for this variable (no key '{key}'){}",
                    near.as_ref()
                        .map_or(String::new(), |n| format!("; it has '{n}'"))
                ),
            ),
            NotFound::Uncovered { part, gap } => Error::mismatch(
                node,
                match gap {
                    Some(Coverage::Missing(range)) => format!(
                        "the variable is part {part}, but the checkpoint {file} stores no value \
                         for its elements {range}"
                    ),
                    Some(Coverage::Doubled(range)) => format!(
                        "the variable is part {part}, but the checkpoint {file} stores its \
                         elements {range} twice, in slices that overlap"
                    ),
                    None => format!(
                        "the variable is part {part}, which lies outside the tensor the \
                         checkpoint {file} stores"
                    ),
                },
            ),
        }
    }
}

/// What a variable and its checkpoint value disagree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disagreement {
    /// The dtype (or the variable has none).
    Dtype,
    /// The shape.
    Shape,
}

/// The checkpoint's dtype and shape for a variable must be the graph's. The
/// shape is checked when the variable declares a fully known one.
pub fn check(
    node: &NodeDef,
    file: &str,
    located: &Located<'_>,
) -> Result<(), (Disagreement, Error)> {
    let stored = &located.stored;
    let dtype = variable_dtype(node).map_err(|e| (Disagreement::Dtype, e))?;
    if stored.dtype != dtype {
        return Err((
            Disagreement::Dtype,
            Error::mismatch(
                &node.name,
                format!(
                    "the variable is {} but checkpoint entry '{}' in {file} is {}",
                    dtype_text(dtype),
                    located.key(),
                    dtype_text(stored.dtype)
                ),
            ),
        ));
    }
    if let Some(attr_value::Value::Shape(shape)) =
        node.attr.get("shape").and_then(|a| a.value.as_ref())
    {
        let declared: Vec<i64> = shape.dim.iter().map(|d| d.size).collect();
        let fully_defined = !shape.unknown_rank && declared.iter().all(|&d| d >= 0);
        if fully_defined && declared != stored.dims {
            return Err((Disagreement::Shape, Error::mismatch(
                &node.name,
                format!(
                    "the variable has shape {declared:?} but checkpoint entry '{}' in {file} has shape {:?}",
                    located.key(),
                    stored.dims
                ),
            )));
        }
    }
    Ok(())
}

/// A variable node's `dtype` attr.
pub fn variable_dtype(node: &NodeDef) -> Result<i32> {
    type_attr(node, "dtype")
        .ok_or_else(|| Error::mismatch(&node.name, "the variable has no dtype attr"))
}

/// Whether the whitelist and denylist let variable `name` become a constant.
pub fn should_convert(name: &str, options: &Options) -> bool {
    let allowed = options
        .variable_names_whitelist
        .as_ref()
        .is_none_or(|list| list.iter().any(|n| n == name));
    let denied = options
        .variable_names_denylist
        .as_ref()
        .is_some_and(|list| list.iter().any(|n| n == name));
    allowed && !denied
}

/// The variables of `graph` the options let become constants, with their index.
pub fn to_convert<'g>(
    graph: &'g GraphDef,
    options: &'g Options,
) -> impl Iterator<Item = (usize, &'g NodeDef)> {
    graph
        .node
        .iter()
        .enumerate()
        .filter(|(_, n)| is_variable(&n.op) && should_convert(&n.name, options))
}
