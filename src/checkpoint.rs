//! The checkpoint model: one type over TF's two formats, a V2 bundle (an
//! `.index` and its `.data` shards) or a V1 table (one file, or the shards of
//! one), so every pass asks the same questions of either: which tensors it
//! stores, with which dtype and shape, and how one of them is cut into slices.

#![deny(clippy::indexing_slicing)]

use std::collections::HashMap;

use crate::bundle::{self, BundleIndex, V1Checkpoint, FULL_EXTENT};
use crate::error::Result;
use crate::input::CheckpointFiles;
use crate::proto::{BundleEntryProto, TensorShapeProto};

/// A parsed checkpoint.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    file: String,
    store: Store,
}

#[derive(Debug, Clone)]
enum Store {
    V2(BundleIndex),
    V1(V1Checkpoint),
}

/// What the checkpoint stores under one name, or one slice of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<'c> {
    /// The `DataType` number.
    pub dtype: i32,
    /// The dimensions of the value (of the slice, for a slice).
    pub dims: Vec<i64>,
    /// True when the tensor is stored as slices (a partitioned variable).
    pub sliced: bool,
    /// The V2 entry that holds the value; V1 values are read from the tables.
    pub entry: Option<&'c BundleEntryProto>,
}

/// One full tensor of the checkpoint, as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its name.
    pub name: String,
    /// The `DataType` number.
    pub dtype: i32,
    /// Its full dimensions.
    pub dims: Vec<i64>,
    /// The bytes its values take in the checkpoint (all slices of a partitioned one).
    pub bytes: u64,
}

impl Checkpoint {
    /// Reads the checkpoint's index (V2) or tables (V1), told apart by content.
    pub fn parse(files: &CheckpointFiles<'_>) -> Result<Checkpoint> {
        let index = files.index;
        let store = if bundle::is_v1_table(index.bytes) {
            let mut tables: Vec<(&str, &[u8])> = vec![(index.name, index.bytes)];
            tables.extend(files.more_tables.iter().map(|f| (f.name, f.bytes)));
            Store::V1(V1Checkpoint::parse(&tables)?)
        } else {
            Store::V2(BundleIndex::parse(index.name, index.bytes)?)
        };
        Ok(Checkpoint {
            file: index.name.to_owned(),
            store,
        })
    }

    /// A V2 checkpoint over an index already parsed.
    pub fn from_bundle(file: &str, index: BundleIndex) -> Checkpoint {
        Checkpoint {
            file: file.to_owned(),
            store: Store::V2(index),
        }
    }

    /// The file that names the checkpoint in messages (the `.index`, or the
    /// first V1 table).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The V2 index, for reading values out of `.data` shards.
    pub fn bundle(&self) -> Option<&BundleIndex> {
        match &self.store {
            Store::V2(index) => Some(index),
            Store::V1(_) => None,
        }
    }

    /// The V1 tables, whose values are read from the tables themselves.
    pub fn v1(&self) -> Option<&V1Checkpoint> {
        match &self.store {
            Store::V1(v1) => Some(v1),
            Store::V2(_) => None,
        }
    }

    /// How many `.data` shards the values are in (none for V1).
    pub fn num_shards(&self) -> u32 {
        self.bundle().map_or(0, BundleIndex::num_shards)
    }

    /// The names of the full tensors, in key order.
    pub fn tensor_names(&self) -> Vec<String> {
        match &self.store {
            Store::V2(index) => index.tensor_names(),
            Store::V1(v1) => v1.tensor_names(),
        }
    }

    /// The full tensor stored under `name`.
    pub fn tensor(&self, name: &str) -> Option<Stored<'_>> {
        match &self.store {
            Store::V2(index) => index.entry(name).map(|entry| Stored {
                dtype: entry.dtype,
                dims: dims(entry.shape.as_ref()),
                sliced: !entry.slices.is_empty(),
                entry: Some(entry),
            }),
            Store::V1(v1) => {
                let (dtype, shape) = v1.dtype_and_shape(name)?;
                let slices = v1.slices(name).unwrap_or_default();
                Some(Stored {
                    dtype,
                    dims: dims(Some(&shape)),
                    sliced: !is_whole(&slices),
                    entry: None,
                })
            }
        }
    }

    /// The boxes `name` is stored in, ordered by where they start.
    pub fn slices(&self, name: &str) -> Vec<Vec<(i64, i64)>> {
        let mut boxes = match &self.store {
            Store::V2(index) => index
                .entry(name)
                .map(|e| e.slices.iter().map(bundle::slice_extents).collect())
                .unwrap_or_default(),
            Store::V1(v1) => v1.slices(name).unwrap_or_default(),
        };
        boxes.sort();
        boxes
    }

    /// The slice of `name` with these extents, when the checkpoint can give it:
    /// a V2 bundle must store exactly that slice; a V1 table assembles any box
    /// of a tensor it holds (checked when read).
    pub fn slice(&self, name: &str, extents: &[(i64, i64)]) -> Option<Stored<'_>> {
        match &self.store {
            Store::V2(index) => index
                .entry_raw(&bundle::slice_key(name, extents))
                .map(|entry| Stored {
                    dtype: entry.dtype,
                    dims: dims(entry.shape.as_ref()),
                    sliced: true,
                    entry: Some(entry),
                }),
            Store::V1(v1) => {
                let (dtype, shape) = v1.dtype_and_shape(name)?;
                let full = dims(Some(&shape));
                if extents.len() != full.len() {
                    return None;
                }
                let dims = extents
                    .iter()
                    .zip(&full)
                    .map(|(&(_, len), &whole)| if len == FULL_EXTENT { whole } else { len })
                    .collect();
                Some(Stored {
                    dtype,
                    dims,
                    sliced: true,
                    entry: None,
                })
            }
        }
    }

    /// Every full tensor with the bytes its values take.
    pub fn listing(&self) -> Vec<Listed> {
        match &self.store {
            Store::V2(index) => v2_listing(index),
            Store::V1(v1) => v1
                .tensor_names()
                .into_iter()
                .filter_map(|name| {
                    let (dtype, shape) = v1.dtype_and_shape(&name)?;
                    let bytes = bundle::num_elements(&shape)
                        .zip(bundle::element_size(dtype))
                        .and_then(|(n, s)| n.checked_mul(s))
                        .unwrap_or(0);
                    Some(Listed {
                        name,
                        dtype,
                        dims: dims(Some(&shape)),
                        bytes,
                    })
                })
                .collect(),
        }
    }

    /// The bytes of tensor data the checkpoint stores.
    pub fn total_bytes(&self) -> u64 {
        match &self.store {
            Store::V2(index) => index
                .entries
                .iter()
                .map(|(_, e)| u64::try_from(e.size).unwrap_or(0))
                .fold(0, u64::saturating_add),
            Store::V1(_) => self
                .listing()
                .iter()
                .map(|t| t.bytes)
                .fold(0, u64::saturating_add),
        }
    }
}

/// One box that covers every dimension whole: a tensor saved unpartitioned.
fn is_whole(slices: &[Vec<(i64, i64)>]) -> bool {
    match slices {
        [] => true,
        [one] => one
            .iter()
            .all(|&(start, len)| start == 0 && len == FULL_EXTENT),
        _ => false,
    }
}

fn v2_listing(index: &BundleIndex) -> Vec<Listed> {
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
            Some(Listed {
                dtype: entry.dtype,
                dims: dims(entry.shape.as_ref()),
                bytes,
                name,
            })
        })
        .collect()
}

fn dims(shape: Option<&TensorShapeProto>) -> Vec<i64> {
    shape.map_or_else(Vec::new, |s| s.dim.iter().map(|d| d.size).collect())
}
