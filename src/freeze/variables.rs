//! Each variable's value: found in the checkpoint by its saver key (or its
//! name), checked against the graph, and turned into a Const whose value is
//! either filled now or left in its `.data` shard for the plan.

use crate::bundle::v1::{V1Checkpoint, V1Value};
use crate::bundle::{self, BundleIndex};
use crate::error::{Error, Result};
use crate::plan::{self, ContentRef, FrozenVariable};
use crate::proto::{BundleEntryProto, DataType, NodeDef};
use crate::tensor;

use super::checks::{check_entry, check_value};
use super::propagate::Value;
use super::rewrite::{type_attr, type_value};
use super::{DataRange, Fill, Freezer, Pending};

impl<'a> Freezer<'a, '_> {
    /// Replaces variable node `index` by a Const holding `value`: only name,
    /// `dtype` and `value`, as TF's `_VarHandle` conversion leaves it.
    fn install_const(
        &mut self,
        index: usize,
        node: &NodeDef,
        dtype: i32,
        value: crate::proto::TensorProto,
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
        constant
            .attr
            .insert("value".into(), plan::tensor_attr(value));
        if let Some(slot) = self.graph.node.get_mut(index) {
            *slot = constant;
        }
    }

    /// Resolves the variable's entry, replaces the node by a Const and records
    /// how its value is filled in.
    pub(super) fn freeze_variable(&mut self, index: usize) -> Result<(String, Value)> {
        let node = self
            .graph
            .node
            .get(index)
            .cloned()
            .ok_or_else(|| Error::mismatch("graph", "variable index out of range"))?;
        let dtype = type_attr(&node, "dtype")
            .ok_or_else(|| Error::mismatch(&node.name, "the variable has no dtype attr"))?;
        if let Some(v1) = self.v1 {
            return self.freeze_from_v1(v1, index, &node, dtype);
        }
        let (key, entry) = self.entry_for(&node)?;
        check_entry(
            &node,
            self.request.checkpoint.index.name,
            &key,
            entry,
            dtype,
        )?;
        let shape = entry.shape.clone().unwrap_or_default();
        let elements = bundle::num_elements(&shape)
            .ok_or_else(|| Error::mismatch(&key, "the checkpoint shape has no element count"))?;
        let fill = self.plan_fill(&key, entry, dtype, elements)?;
        self.frozen.push(frozen_variable(
            &node.name,
            &key,
            dtype,
            &shape,
            u64::try_from(entry.size).unwrap_or(0),
        ));

        self.install_const(index, &node, dtype, tensor::header(dtype, &shape));
        self.pending.push(Pending {
            node: index,
            key,
            fill,
        });
        Ok((node.name, Value { dtype, shape }))
    }

    /// A V1 checkpoint's values are in its table, so the Const is complete
    /// right away (TF converts them through numpy with the same encoding).
    fn freeze_from_v1(
        &mut self,
        v1: &V1Checkpoint,
        index: usize,
        node: &NodeDef,
        dtype: i32,
    ) -> Result<(String, Value)> {
        let source = self.sources.get(&node.name);
        let key = source.map_or_else(|| node.name.clone(), |s| s.key.clone());
        let extents = source
            .and_then(|s| s.slice.as_ref())
            .map(|s| s.extents.as_slice());
        let Some((stored_dtype, full)) = v1.dtype_and_shape(&key) else {
            return Err(Error::Mismatch {
                name: node.name.clone(),
                detail: format!(
                    "the checkpoint {} has no value for this variable (no tensor '{key}')",
                    self.request.checkpoint.index.name
                ),
            });
        };
        let full_dims: Vec<i64> = full.dim.iter().map(|d| d.size).collect();
        let dims: Vec<i64> = match extents {
            Some(extents) => extents
                .iter()
                .zip(&full_dims)
                .map(|(&(_, len), &whole)| if len < 0 { whole } else { len })
                .collect(),
            None => full_dims,
        };
        check_value(
            node,
            self.request.checkpoint.index.name,
            &key,
            stored_dtype,
            &dims,
            dtype,
        )?;
        let shape = crate::proto::TensorShapeProto {
            dim: dims
                .iter()
                .map(|&size| crate::proto::tensor_shape_proto::Dim {
                    size,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let elements = bundle::num_elements(&shape)
            .ok_or_else(|| Error::mismatch(&key, "the checkpoint shape has no element count"))?;
        let mut value = tensor::header(dtype, &shape);
        let bytes = bundle::element_size(dtype)
            .and_then(|size| size.checked_mul(elements))
            .unwrap_or(0);
        self.frozen
            .push(frozen_variable(&node.name, &key, dtype, &shape, bytes));
        match v1.read(&key, extents)? {
            V1Value::Raw(bytes) if elements == 0 => drop(bytes),
            V1Value::Raw(bytes) if tensor::uses_tensor_content(dtype, elements) => {
                value.tensor_content = bytes;
            }
            V1Value::Raw(bytes) => tensor::fill_typed(&mut value, &bytes, &key)?,
            V1Value::Strings(strings) => value.string_val = strings,
        }
        self.install_const(index, node, dtype, value);
        self.pending.push(Pending {
            node: index,
            key,
            fill: Fill::Empty,
        });
        Ok((node.name.clone(), Value { dtype, shape }))
    }

    /// The checkpoint key and entry holding a variable's value.
    fn entry_for(&self, node: &NodeDef) -> Result<(String, &'a BundleEntryProto)> {
        let index: &'a BundleIndex = self.index;
        let source = self.sources.get(&node.name);
        let key = source.map_or_else(|| node.name.clone(), |s| s.key.clone());
        if let Some(slice) = source.and_then(|s| s.slice.as_ref()) {
            let raw = bundle::slice_key(&key, &slice.extents);
            return match index.entry_raw(&raw) {
                Some(entry) => Ok((bundle::display_key(&raw), entry)),
                None => Err(Error::unsupported(format!(
                    "variable '{}' is part {} of '{key}', which the checkpoint stores cut differently; \
                     re-assembling such parts is not supported yet",
                    node.name,
                    bundle::display_key(&raw)
                ))),
            };
        }
        if let Some(entry) = index.entry(&key) {
            if entry.slices.is_empty() {
                return Ok((key, entry));
            }
        }
        if let Some(found) = self.partition_by_name(&node.name) {
            return Ok(found);
        }
        let names = index.tensor_names();
        Err(Error::Mismatch {
            name: node.name.clone(),
            detail: format!(
                "the checkpoint {} has no value for this variable (no key '{key}'){}",
                self.request.checkpoint.index.name,
                match crate::names::suggestions(&key, names.iter().map(String::as_str)).first() {
                    Some(near) => format!("; it has '{near}'"),
                    None => String::new(),
                }
            ),
        })
    }

    /// `emb/part_1` with no saver: the second stored part of `emb`, parts
    /// ordered by where they start (TF itself refuses these graphs).
    fn partition_by_name(&self, name: &str) -> Option<(String, &'a BundleEntryProto)> {
        let index: &'a BundleIndex = self.index;
        let (full, part) = name.rsplit_once("/part_")?;
        let part: usize = part.parse().ok()?;
        let entry = index.entry(full)?;
        let mut boxes: Vec<Vec<(i64, i64)>> = entry
            .slices
            .iter()
            .map(|s| {
                s.extent
                    .iter()
                    .map(|e| {
                        let length = match e.has_length {
                            Some(crate::proto::tensor_slice_proto::extent::HasLength::Length(
                                l,
                            )) => l,
                            None => -1,
                        };
                        (e.start, length)
                    })
                    .collect()
            })
            .collect();
        boxes.sort();
        let extents = boxes.get(part)?;
        let raw = bundle::slice_key(full, extents);
        index
            .entry_raw(&raw)
            .map(|e| (bundle::display_key(&raw), e))
    }

    fn plan_fill(
        &mut self,
        key: &str,
        entry: &BundleEntryProto,
        dtype: i32,
        elements: u64,
    ) -> Result<Fill> {
        let shard = u32::try_from(entry.shard_id).map_err(|_| {
            Error::corrupt(
                self.request.checkpoint.index.name,
                format!("{key}: bad shard id"),
            )
        })?;
        let offset = u64::try_from(entry.offset).map_err(|_| {
            Error::corrupt(
                self.request.checkpoint.index.name,
                format!("{key}: bad offset"),
            )
        })?;
        let len = u64::try_from(entry.size).map_err(|_| {
            Error::corrupt(
                self.request.checkpoint.index.name,
                format!("{key}: bad size"),
            )
        })?;
        let file = self
            .data_files
            .get(shard as usize)
            .cloned()
            .unwrap_or_default();
        let shard_size = self
            .request
            .checkpoint
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
        let range = DataRange { shard, offset, len };
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
        dtype: crate::inspect::python_dtype_name(dtype).unwrap_or_else(|| format!("dtype {dtype}")),
        shape: shape.dim.iter().map(|d| d.size).collect(),
        bytes,
    }
}
