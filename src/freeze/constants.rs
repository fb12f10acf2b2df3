//! Each variable's value: found in the checkpoint by its saver key (or its
//! name), checked against the graph, and turned into a Const whose value is
//! either filled now or left in its `.data` shard for the plan.

use crate::bundle::{self, V1Value};
use crate::dtype::dtype_text;
use crate::error::{Error, Result};
use crate::graph::attrs::{tensor_attr, type_value};
use crate::plan::{ContentRef, FrozenVariable};
use crate::proto::{BundleEntryProto, DataType, NodeDef, TensorProto, TensorShapeProto};
use crate::tensor::{self, shape_proto};
use crate::variables::{self, Located, NotFound};

use super::propagate::Value;
use super::{DataRange, Fill, Freezer, Pending, ReadPiece};

impl<'a> Freezer<'a, '_> {
    /// Replaces variable node `index` by a Const holding `value`: only name,
    /// `dtype` and `value`, as TF's `_VarHandle` conversion leaves it.
    pub(super) fn install_const(
        &mut self,
        index: usize,
        node: &NodeDef,
        dtype: i32,
        value: TensorProto,
    ) {
        let mut constant = NodeDef {
            name: node.name.clone(),
            op: "Const".into(),
            ..Default::default()
        };
        let dtype_attr = node
            .attr
            .get("dtype")
            .cloned()
            .unwrap_or_else(|| type_value(dtype));
        constant.attr.insert("dtype".into(), dtype_attr);
        constant.attr.insert("value".into(), tensor_attr(value));
        if let Some(slot) = self.graph.node.get_mut(index) {
            *slot = constant;
        }
    }

    /// Resolves the variable's value, replaces the node by a Const and records
    /// how its value is filled in.
    pub(super) fn freeze_variable(&mut self, index: usize) -> Result<(String, Value)> {
        let node = self
            .graph
            .node
            .get(index)
            .cloned()
            .ok_or_else(|| Error::mismatch("graph", "variable index out of range"))?;
        let file = self.checkpoint.file();
        let dtype = variables::variable_dtype(&node)?;
        let located = match variables::locate(self.checkpoint, self.sources, &node, true) {
            Ok(located) => located,
            Err(missing @ NotFound::Missing { .. }) => {
                let err = missing.to_error(&node.name, file);
                return self.freeze_from_initializer(index, &node, dtype, err);
            }
            Err(other) => return Err(other.to_error(&node.name, file)),
        };
        variables::check(&node, file, &located).map_err(|(_, err)| err)?;
        let key = located.key();
        let shape = shape_proto(&located.stored.dims);
        let elements = bundle::num_elements(&shape)
            .ok_or_else(|| Error::mismatch(&key, "the checkpoint shape has no element count"))?;
        let (value, fill, bytes) = match located.stored.entry {
            None if located.stored.assembly.is_some() => (
                tensor::header(dtype, &shape),
                self.plan_assembly(&key, &located, dtype, elements)?,
                bundle::element_size(dtype)
                    .and_then(|size| size.checked_mul(elements))
                    .unwrap_or(0),
            ),
            Some(entry) => (
                tensor::header(dtype, &shape),
                self.plan_fill(&key, entry, dtype, elements)?,
                u64::try_from(entry.size).unwrap_or(0),
            ),
            // A V1 checkpoint's values are in its tables, so the Const is
            // complete right away (TF converts them through numpy with the
            // same encoding).
            None => (
                self.v1_value(&located, &key, dtype, &shape, elements)?,
                Fill::Empty,
                bundle::element_size(dtype)
                    .and_then(|size| size.checked_mul(elements))
                    .unwrap_or(0),
            ),
        };
        self.frozen
            .push(frozen_variable(&node.name, &key, dtype, &shape, bytes));
        self.install_const(index, &node, dtype, value);
        self.pending.push(Pending {
            node: index,
            key,
            fill,
        });
        Ok((node.name, Value { dtype, shape }))
    }

    /// The value of a variable stored in V1 tables, read and assembled.
    fn v1_value(
        &self,
        located: &Located<'_>,
        key: &str,
        dtype: i32,
        shape: &TensorShapeProto,
        elements: u64,
    ) -> Result<TensorProto> {
        let v1 = self
            .checkpoint
            .v1()
            .ok_or_else(|| Error::mismatch(key, "the checkpoint has no V1 tables to read"))?;
        let mut value = tensor::header(dtype, shape);
        match v1.read(&located.tensor, located.extents.as_deref())? {
            V1Value::Raw(_) if elements == 0 => {}
            V1Value::Raw(bytes) if tensor::uses_tensor_content(dtype, elements) => {
                value.tensor_content = bytes;
            }
            V1Value::Raw(bytes) => tensor::fill_typed(&mut value, &bytes, key)?,
            V1Value::Strings(strings) => value.string_val = strings,
        }
        Ok(value)
    }

    /// A part the checkpoint stores cut otherwise (or whole): each stored
    /// entry that holds some of it is read and checked, then the part is copied
    /// out of them in `finish`, as `RestoreV2` assembles a slice.
    fn plan_assembly(
        &mut self,
        key: &str,
        located: &Located<'_>,
        dtype: i32,
        elements: u64,
    ) -> Result<Fill> {
        let Some(assembly) = &located.stored.assembly else {
            return Ok(Fill::Empty);
        };
        let width = bundle::element_size(dtype)
            .filter(|_| dtype != DataType::DtString as i32)
            .and_then(|w| usize::try_from(w).ok())
            .ok_or_else(|| {
                Error::unsupported(format!(
                    "{key}: the checkpoint stores this {} variable cut otherwise than the graph's \
                     part; only numeric parts are re-assembled",
                    dtype_text(dtype)
                ))
            })?;
        let mut pieces = Vec::with_capacity(assembly.pieces.len());
        for piece in &assembly.pieces {
            let range = self.entry_range(key, piece.entry)?;
            self.reads.push(range);
            pieces.push(ReadPiece {
                read: self.reads.len() - 1,
                crc: piece.entry.crc32c,
                stored: piece.stored.clone(),
            });
        }
        Ok(Fill::Assembled {
            pieces,
            wanted: assembly.wanted.clone(),
            width,
            elements,
        })
    }

    /// Where an entry's bytes are, checked against the shard's size.
    fn entry_range(&self, key: &str, entry: &BundleEntryProto) -> Result<DataRange> {
        let index = self.checkpoint.file();
        let shard = u32::try_from(entry.shard_id)
            .map_err(|_| Error::corrupt(index, format!("{key}: bad shard id")))?;
        let offset = u64::try_from(entry.offset)
            .map_err(|_| Error::corrupt(index, format!("{key}: bad offset")))?;
        let len = u64::try_from(entry.size)
            .map_err(|_| Error::corrupt(index, format!("{key}: bad size")))?;
        let file = self
            .data_files
            .get(shard as usize)
            .cloned()
            .unwrap_or_default();
        let shard_size = self
            .files
            .shard_sizes
            .get(shard as usize)
            .copied()
            .flatten()
            .unwrap_or(0);
        let end = offset
            .checked_add(len)
            .ok_or_else(|| Error::corrupt(&file, format!("{key}: offset overflows")))?;
        if end > shard_size {
            return Err(Error::corrupt(
                &file,
                format!(
                    "tensor '{key}' needs bytes {offset}..{end} but the file has {shard_size}: \
                     it is truncated or belongs to another checkpoint"
                ),
            ));
        }
        Ok(DataRange { shard, offset, len })
    }

    fn plan_fill(
        &mut self,
        key: &str,
        entry: &BundleEntryProto,
        dtype: i32,
        elements: u64,
    ) -> Result<Fill> {
        let range = self.entry_range(key, entry)?;
        let DataRange { shard, offset, len } = range;
        let crc = entry.crc32c;
        if elements == 0 {
            return Ok(Fill::Empty);
        }
        if tensor::uses_tensor_content(dtype, elements) {
            return Ok(Fill::Content(ContentRef {
                shard,
                offset,
                len,
                crc32c: bundle::crc::unmask(crc),
                tensor: key.to_owned(),
            }));
        }
        self.reads.push(range);
        let read = self.reads.len() - 1;
        if dtype == DataType::DtString as i32 {
            Ok(Fill::Strings {
                read,
                crc,
                elements,
            })
        } else {
            Ok(Fill::Typed { read, crc })
        }
    }
}

pub(super) fn frozen_variable(
    name: &str,
    key: &str,
    dtype: i32,
    shape: &crate::proto::TensorShapeProto,
    bytes: u64,
) -> FrozenVariable {
    FrozenVariable {
        name: name.to_owned(),
        key: key.to_owned(),
        dtype: dtype_text(dtype),
        shape: shape.dim.iter().map(|d| d.size).collect(),
        bytes,
    }
}
