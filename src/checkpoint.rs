//! The checkpoint model: one type over TF's two formats, a V2 bundle (an
//! `.index` and its `.data` shards) or a V1 table (one file, or the shards of
//! one), so every pass asks the same questions of either: which tensors it
//! stores, with which dtype and shape, and how one of them is cut into slices.

#![deny(clippy::indexing_slicing)]

use std::collections::HashMap;

use crate::bundle::region::{extent_region, intersect, region_elements};
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
    /// A V2 slice stored cut otherwise: how it is assembled from stored
    /// entries (`None` when `entry` holds the value).
    pub assembly: Option<Assembly<'c>>,
}

/// A slice assembled from the stored V2 entries that hold its elements.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembly<'c> {
    /// The slice, `(start, length)` per dimension of the full tensor.
    pub wanted: Vec<(u64, u64)>,
    /// The entries that hold it, each element exactly once.
    pub pieces: Vec<Piece<'c>>,
}

/// One stored V2 entry that holds part of a wanted slice.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece<'c> {
    /// The box the entry holds, `(start, length)` per dimension of the full tensor.
    pub stored: Vec<(u64, u64)>,
    /// The entry.
    pub entry: &'c BundleEntryProto,
}

/// Why a slice cannot be assembled from what a V2 checkpoint stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Elements of the slice no stored entry holds, e.g. `[4:6, 0:3]`.
    Missing(String),
    /// Elements two stored entries both hold.
    Doubled(String),
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
                assembly: None,
            }),
            Store::V1(v1) => {
                let (dtype, shape) = v1.dtype_and_shape(name)?;
                let slices = v1.slices(name).unwrap_or_default();
                Some(Stored {
                    dtype,
                    dims: dims(Some(&shape)),
                    sliced: !is_whole(&slices),
                    entry: None,
                    assembly: None,
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

    /// The slice of `name` with these extents, as `RestoreV2` reads it from
    /// whatever is stored: a V2 entry of exactly that slice; the whole tensor
    /// when the slice covers it; else the stored entries (the whole tensor, or
    /// slices cut otherwise) it is assembled from, which must cover it once.
    /// A V1 table assembles any box of a tensor it holds (checked when read).
    pub fn slice(&self, name: &str, extents: &[(i64, i64)]) -> Option<Stored<'_>> {
        self.slice_or_coverage(name, extents).ok()
    }

    /// [`Checkpoint::slice`], or why not: `Err(None)` when the tensor is not
    /// stored or the extents do not fit its shape, `Err(Some(_))` when the
    /// stored entries leave elements of the slice out or hold some twice.
    pub fn slice_or_coverage(
        &self,
        name: &str,
        extents: &[(i64, i64)],
    ) -> Result<Stored<'_>, Option<Coverage>> {
        match &self.store {
            Store::V2(index) => {
                if let Some(entry) = index.entry_raw(&bundle::slice_key(name, extents)) {
                    return Ok(Stored {
                        dtype: entry.dtype,
                        dims: dims(entry.shape.as_ref()),
                        sliced: true,
                        entry: Some(entry),
                        assembly: None,
                    });
                }
                v2_pieces(index, name, extents)
            }
            Store::V1(v1) => {
                let (dtype, shape) = v1.dtype_and_shape(name).ok_or(None)?;
                let full = dims(Some(&shape));
                if extents.len() != full.len() {
                    return Err(None);
                }
                let dims = extents
                    .iter()
                    .zip(&full)
                    .map(|(&(_, len), &whole)| if len == FULL_EXTENT { whole } else { len })
                    .collect();
                Ok(Stored {
                    dtype,
                    dims,
                    sliced: true,
                    entry: None,
                    assembly: None,
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

/// The stored V2 entries slice `extents` of `name` is read from, when the
/// bundle stores the tensor whole or cut otherwise than the graph's part.
fn v2_pieces<'c>(
    index: &'c BundleIndex,
    name: &str,
    extents: &[(i64, i64)],
) -> Result<Stored<'c>, Option<Coverage>> {
    let full = index.entry(name).ok_or(None)?;
    let full_dims = dims(full.shape.as_ref());
    let concrete = |extents: &[(i64, i64)]| -> Option<Vec<(u64, u64)>> {
        (extents.len() == full_dims.len()).then_some(())?;
        extents
            .iter()
            .zip(&full_dims)
            .map(|(&e, &d)| extent_region(e, u64::try_from(d).ok()?))
            .collect()
    };
    let wanted = concrete(extents).ok_or(None)?;
    let whole: Vec<(u64, u64)> = full_dims
        .iter()
        .map(|&d| u64::try_from(d).map(|d| (0, d)))
        .collect::<Result<_, _>>()
        .map_err(|_| None)?;
    let stored: Vec<(Vec<(u64, u64)>, &BundleEntryProto)> = if full.slices.is_empty() {
        if wanted == whole {
            // The part is the whole tensor (a one-part partitioner).
            return Ok(Stored {
                dtype: full.dtype,
                dims: full_dims,
                sliced: false,
                entry: Some(full),
                assembly: None,
            });
        }
        vec![(whole, full)]
    } else {
        full.slices
            .iter()
            .map(|slice| {
                let extents = bundle::slice_extents(slice);
                let entry = index.entry_raw(&bundle::slice_key(name, &extents))?;
                Some((concrete(&extents)?, entry))
            })
            .collect::<Option<_>>()
            .ok_or(None)?
    };
    let pieces = covering(&wanted, &stored)?;
    Ok(Stored {
        dtype: full.dtype,
        dims: wanted
            .iter()
            .map(|&(_, len)| i64::try_from(len).unwrap_or(i64::MAX))
            .collect(),
        sliced: true,
        entry: None,
        assembly: Some(Assembly { wanted, pieces }),
    })
}

/// The stored boxes that meet `wanted`, which together must hold each of its
/// elements exactly once.
fn covering<'c>(
    wanted: &[(u64, u64)],
    stored: &[(Vec<(u64, u64)>, &'c BundleEntryProto)],
) -> Result<Vec<Piece<'c>>, Option<Coverage>> {
    let mut pieces: Vec<Piece<'c>> = Vec::new();
    let mut covered = 0u64;
    for (region, entry) in stored {
        let Some(common) = intersect(region, wanted) else {
            continue;
        };
        for earlier in &pieces {
            if let Some(both) = intersect(&earlier.stored, &common) {
                return Err(Some(Coverage::Doubled(box_text(&both))));
            }
        }
        covered = covered.saturating_add(region_elements(&common).unwrap_or(u64::MAX));
        pieces.push(Piece {
            stored: region.clone(),
            entry,
        });
    }
    if Some(covered) != region_elements(wanted) {
        return Err(Some(Coverage::Missing(uncovered(wanted, &pieces))));
    }
    Ok(pieces)
}

/// A box of elements of `wanted` that no piece holds, for the message: the
/// first row (along the first dimension) with a gap, or the whole box.
fn uncovered(wanted: &[(u64, u64)], pieces: &[Piece<'_>]) -> String {
    let Some(&(start, len)) = wanted.first() else {
        return box_text(wanted);
    };
    for row in start..start.saturating_add(len).min(start.saturating_add(1 << 20)) {
        let mut line: Vec<(u64, u64)> = wanted.to_vec();
        if let Some(first) = line.first_mut() {
            *first = (row, 1);
        }
        let held: u64 = pieces
            .iter()
            .filter_map(|p| intersect(&p.stored, &line))
            .map(|c| region_elements(&c).unwrap_or(0))
            .sum();
        if Some(held) != region_elements(&line) {
            return box_text(&line);
        }
    }
    box_text(wanted)
}

/// `[0:4, 2:3]`: start and end per dimension.
fn box_text(region: &[(u64, u64)]) -> String {
    let dims: Vec<String> = region
        .iter()
        .map(|&(start, len)| format!("{start}:{}", start.saturating_add(len)))
        .collect();
    format!("[{}]", dims.join(", "))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(ranges: &[(u64, u64)]) -> Vec<(Vec<(u64, u64)>, BundleEntryProto)> {
        ranges
            .iter()
            .map(|&(start, len)| (vec![(start, len), (0, 4)], BundleEntryProto::default()))
            .collect()
    }

    fn cover(stored: &[(u64, u64)], wanted: (u64, u64)) -> Result<usize, Option<Coverage>> {
        let stored = rows(stored);
        let borrowed: Vec<(Vec<(u64, u64)>, &BundleEntryProto)> =
            stored.iter().map(|(r, e)| (r.clone(), e)).collect();
        covering(&[wanted, (0, 4)], &borrowed).map(|pieces| pieces.len())
    }

    #[test]
    fn a_part_is_read_from_every_stored_slice_it_meets() {
        assert_eq!(cover(&[(0, 3), (3, 3), (6, 3)], (2, 5)), Ok(3));
        assert_eq!(cover(&[(0, 9)], (3, 3)), Ok(1));
    }

    #[test]
    fn gaps_and_overlaps_name_the_range() {
        assert_eq!(
            cover(&[(0, 3), (4, 2)], (0, 6)),
            Err(Some(Coverage::Missing("[3:4, 0:4]".into())))
        );
        assert_eq!(
            cover(&[(0, 4), (3, 3)], (0, 6)),
            Err(Some(Coverage::Doubled("[3:4, 0:4]".into())))
        );
    }
}
