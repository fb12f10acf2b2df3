//! V1 checkpoints: TF's older format, one or more "SavedTensorSlices" tables
//! (tensorflow/core/util/tensor_slice_reader.cc, saved_tensor_slice.proto).
//!
//! Each file is the same table container as a V2 `.index`. Its key `""` holds
//! a `SavedTensorSliceMeta` listing every tensor's dtype, shape and the slices
//! this file stores; every other key is `EncodeTensorNameSlice(name, slice)`
//! and holds that slice's values in the typed `*_val` field of a TensorProto.
//! A sharded checkpoint is several such files (`P-00000-of-00003` …), read
//! together as TF's `TensorSliceReader` reads all files matching a pattern.

mod values;

use std::collections::BTreeMap;

use prost::Message;

use super::entry::{dtype_name, num_elements, shape_text};
use super::region::{copy_region, extent_region, intersect, region_elements, region_key, Region};
use super::slice_key::{display_key, slice_key, FULL_EXTENT};
use super::table::read_table;
use crate::error::{Error, Result};
use crate::proto::tensor_slice_proto::extent::HasLength;
use crate::proto::{
    DataType, SavedSliceMeta, SavedTensorSlices, TensorShapeProto, TensorSliceProto, VersionDef,
};
use values::{stored_values, v1_element_size, Loaded};

/// `TF_CHECKPOINT_VERSION`: the reader's version as a consumer
/// (tensorflow/core/public/version.h).
const CHECKPOINT_VERSION: i32 = 1;
/// `TF_CHECKPOINT_VERSION_MIN_PRODUCER`.
const CHECKPOINT_MIN_PRODUCER: i32 = 0;
/// More slices of one tensor than any partitioner makes; bounds the overlap check.
const MAX_SLICES_PER_TENSOR: usize = 1 << 14;

/// A V1 checkpoint: the tensors listed by the headers of all its files.
#[derive(Debug, Clone)]
pub struct V1Checkpoint {
    files: Vec<TableFile>,
    tensors: BTreeMap<String, Tensor>,
}

/// A tensor's value: element bytes or strings, in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub enum V1Value {
    /// Little-endian element bytes, C order, exactly as a V2 `.data` file stores them.
    Raw(Vec<u8>),
    /// The elements of a string tensor.
    Strings(Vec<Vec<u8>>),
}

#[derive(Debug, Clone)]
struct TableFile {
    name: String,
    entries: Vec<(Vec<u8>, Vec<u8>)>,
}

#[derive(Debug, Clone)]
struct Tensor {
    dtype: i32,
    shape: TensorShapeProto,
    dims: Vec<u64>,
    slices: Vec<StoredSlice>,
}

/// One registered slice: where it is, its key extents and the box it covers.
#[derive(Debug, Clone)]
struct StoredSlice {
    file: usize,
    key_extents: Vec<(i64, i64)>,
    region: Region,
}

impl V1Checkpoint {
    /// Reads the header of every file: `files` are (name, bytes) of every
    /// table file of the checkpoint, in any order.
    pub fn parse(files: &[(&str, &[u8])]) -> Result<Self> {
        if files.is_empty() {
            return Err(Error::Usage(
                "a V1 checkpoint needs at least one file".into(),
            ));
        }
        let mut checkpoint = V1Checkpoint {
            files: Vec::new(),
            tensors: BTreeMap::new(),
        };
        for (index, &(name, bytes)) in files.iter().enumerate() {
            let entries = read_table(name, bytes)?;
            let meta = header(name, &entries)?;
            check_versions(name, &meta.versions.unwrap_or_default())?;
            for tensor in meta.tensor {
                checkpoint.register(name, index, tensor)?;
            }
            checkpoint.files.push(TableFile {
                name: name.to_owned(),
                entries,
            });
        }
        for (name, tensor) in &checkpoint.tensors {
            check_overlaps(&checkpoint.files, name, tensor)?;
        }
        Ok(checkpoint)
    }

    /// The names of all tensors, sorted.
    pub fn tensor_names(&self) -> Vec<String> {
        self.tensors.keys().cloned().collect()
    }

    /// A tensor's dtype (a `DataType` number) and full shape.
    pub fn dtype_and_shape(&self, name: &str) -> Option<(i32, TensorShapeProto)> {
        self.tensors.get(name).map(|t| (t.dtype, t.shape.clone()))
    }

    /// The whole tensor, or with `extents` (one `(start, length)` per
    /// dimension, length -1 for a whole one) just that box, assembled
    /// row-major from the stored slices as `TensorSliceReader::CopySliceData`
    /// does for `RestoreV2`'s V1 fallback (tensor_slice_reader.h).
    pub fn read(&self, name: &str, extents: Option<&[(i64, i64)]>) -> Result<V1Value> {
        let tensor = self.tensors.get(name).ok_or_else(|| {
            Error::mismatch(
                name,
                format!(
                    "the V1 checkpoint {} has no such tensor",
                    self.display_name()
                ),
            )
        })?;
        let wanted = tensor.requested_region(name, extents)?;
        let count = region_elements(&wanted).ok_or_else(|| too_large(name, u64::MAX))?;
        let mut sources = Vec::new();
        let mut covered = 0u64;
        for slice in &tensor.slices {
            if let Some(common) = intersect(&slice.region, &wanted) {
                covered = covered.saturating_add(region_elements(&common).unwrap_or(u64::MAX));
                sources.push((slice, common));
            }
        }
        // TensorSliceSet::QueryMeta: the stored slices, which do not overlap,
        // must cover the whole box.
        if covered != count {
            return Err(Error::corrupt(
                &self.display_name(),
                format!(
                    "tensor '{name}' ({}): the stored slices hold {covered} of the {count} elements of {}",
                    shape_text(&tensor.shape),
                    display_key(&slice_key(name, &region_key(&wanted)))
                ),
            ));
        }
        let mut loaded = Vec::with_capacity(sources.len());
        for (slice, common) in sources {
            loaded.push((self.load(name, tensor.dtype, slice)?, slice, common));
        }
        assemble(name, tensor.dtype, count, &wanted, &loaded)
    }

    /// The boxes a tensor is stored in, as `(start, length)` per dimension
    /// (length -1 for a whole dimension), in the order the files list them.
    pub fn slices(&self, name: &str) -> Option<Vec<Vec<(i64, i64)>>> {
        self.tensors
            .get(name)
            .map(|t| t.slices.iter().map(|s| s.key_extents.clone()).collect())
    }

    /// The names of the files, as given to [`V1Checkpoint::parse`].
    pub fn file_names(&self) -> Vec<String> {
        self.files.iter().map(|f| f.name.clone()).collect()
    }

    fn display_name(&self) -> String {
        match self.files.as_slice() {
            [one] => one.name.clone(),
            many => many
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// `RegisterTensorSlice` (tensor_slice_set.cc): a tensor seen in several
    /// files must have the same shape and dtype everywhere.
    fn register(&mut self, file: &str, index: usize, meta: SavedSliceMeta) -> Result<()> {
        let bad =
            |detail: String| Error::corrupt(file, format!("tensor '{}': {detail}", meta.name));
        let shape = meta.shape.clone().unwrap_or_default();
        let dims: Option<Vec<u64>> = if shape.unknown_rank {
            None
        } else {
            shape
                .dim
                .iter()
                .map(|d| u64::try_from(d.size).ok())
                .collect()
        };
        let dims = match (dims, num_elements(&shape)) {
            (Some(dims), Some(_)) => dims,
            _ => return Err(bad(format!("invalid shape {}", shape_text(&shape)))),
        };
        let tensor = self.tensors.entry(meta.name.clone()).or_insert(Tensor {
            dtype: meta.r#type,
            shape: shape.clone(),
            dims: dims.clone(),
            slices: Vec::new(),
        });
        if tensor.dims != dims {
            return Err(bad(format!(
                "incompatible shapes in the checkpoint's files: {} and {}",
                shape_text(&tensor.shape),
                shape_text(&shape)
            )));
        }
        if tensor.dtype != meta.r#type {
            return Err(bad(format!(
                "incompatible dtypes in the checkpoint's files: {} and {}",
                dtype_name(tensor.dtype),
                dtype_name(meta.r#type)
            )));
        }
        for proto in &meta.slice {
            let (key_extents, region) = stored_region(proto, &dims).map_err(&bad)?;
            if tensor.slices.len() >= MAX_SLICES_PER_TENSOR {
                return Err(bad(format!(
                    "more than {MAX_SLICES_PER_TENSOR} slices; this reader stops there"
                )));
            }
            tensor.slices.push(StoredSlice {
                file: index,
                key_extents,
                region,
            });
        }
        Ok(())
    }

    /// The values of one stored slice (`CopySliceData`: look up its key,
    /// parse the SavedSlice, check the amount of data).
    fn load(&self, name: &str, dtype: i32, slice: &StoredSlice) -> Result<Loaded> {
        let file = self
            .files
            .get(slice.file)
            .ok_or_else(|| Error::mismatch(name, "slice refers to a file that was not read"))?;
        let key = slice_key(name, &slice.key_extents);
        let what = display_key(&key);
        let value = file
            .entries
            .binary_search_by(|(k, _)| k.as_slice().cmp(&key))
            .ok()
            .and_then(|i| file.entries.get(i))
            .map(|(_, v)| v)
            .ok_or_else(|| {
                Error::corrupt(
                    &file.name,
                    format!("the header lists slice {what} but the file holds no entry for it"),
                )
            })?;
        let stored = SavedTensorSlices::decode(value.as_slice()).map_err(|e| {
            Error::corrupt(&file.name, format!("entry {what} is not parseable: {e}"))
        })?;
        let data = stored.data.and_then(|d| d.data).unwrap_or_default();
        let expected = region_elements(&slice.region).ok_or_else(|| too_large(name, u64::MAX))?;
        let (count, loaded) = stored_values(dtype, data).ok_or_else(|| {
            Error::unsupported(format!(
                "tensor '{name}' has dtype {}, which V1 checkpoints cannot hold",
                dtype_name(dtype)
            ))
        })?;
        // TF 2.x refuses a slice whose typed field has the wrong length
        // ("had an unexpected amount of data", tensor_slice_reader.h).
        if count as u64 != expected {
            return Err(Error::corrupt(
                &file.name,
                format!(
                    "slice {what} holds {count} values of {}, its shape needs {expected}",
                    dtype_name(dtype)
                ),
            ));
        }
        Ok(loaded)
    }
}

impl Tensor {
    /// The box a read asks for, checked against the shape.
    fn requested_region(&self, name: &str, extents: Option<&[(i64, i64)]>) -> Result<Region> {
        let Some(extents) = extents else {
            return Ok(self.dims.iter().map(|&d| (0, d)).collect());
        };
        let outside = || {
            Error::mismatch(
                name,
                format!(
                    "slice {} does not fit the checkpoint's shape {}",
                    display_key(&slice_key(name, extents)),
                    shape_text(&self.shape)
                ),
            )
        };
        if extents.len() != self.dims.len() {
            return Err(outside());
        }
        extents
            .iter()
            .zip(&self.dims)
            .map(|(&extent, &dim)| extent_region(extent, dim).ok_or_else(outside))
            .collect()
    }
}

/// The first entry must be `""` holding a `SavedTensorSliceMeta`
/// ("Failed to find the saved tensor slices at the beginning of the
/// checkpoint file", tensor_slice_reader.cc).
fn header(
    file: &str,
    entries: &[(Vec<u8>, Vec<u8>)],
) -> Result<crate::proto::SavedTensorSliceMeta> {
    let Some((key, value)) = entries.first() else {
        return Err(Error::corrupt(
            file,
            "the table is empty: no V1 checkpoint header",
        ));
    };
    if !key.is_empty() {
        return Err(Error::corrupt(
            file,
            format!(
                "no V1 checkpoint header (the first key is '{}', not \"\")",
                display_key(key)
            ),
        ));
    }
    let not_v1 = "this is not a V1 checkpoint (a V2 checkpoint's .index file?)";
    let slices = SavedTensorSlices::decode(value.as_slice()).map_err(|e| {
        Error::corrupt(
            file,
            format!("the header entry is not a SavedTensorSlices, so {not_v1}: {e}"),
        )
    })?;
    slices.meta.ok_or_else(|| {
        Error::corrupt(
            file,
            format!("the header entry holds no SavedTensorSliceMeta, so {not_v1}"),
        )
    })
}

/// `CheckVersions` (tensorflow/core/framework/versions.cc) for checkpoints.
fn check_versions(file: &str, version: &VersionDef) -> Result<()> {
    if version.producer < CHECKPOINT_MIN_PRODUCER {
        return Err(Error::corrupt(
            file,
            format!(
                "checkpoint producer version {} is below the minimum {CHECKPOINT_MIN_PRODUCER}",
                version.producer
            ),
        ));
    }
    if version.min_consumer > CHECKPOINT_VERSION {
        return Err(Error::unsupported(format!(
            "{file} needs a checkpoint reader of version {} or newer (this one is version \
             {CHECKPOINT_VERSION}); it was written by a newer TensorFlow",
            version.min_consumer
        )));
    }
    if version.bad_consumers.contains(&CHECKPOINT_VERSION) {
        return Err(Error::unsupported(format!(
            "{file} disallows checkpoint readers of version {CHECKPOINT_VERSION}"
        )));
    }
    Ok(())
}

/// A stored slice's key extents and box. TF builds the slice with
/// `TensorSlice::BuildTensorSlice` and `SliceTensorShape` checks it against
/// the shape (tensor_slice.cc); a whole dimension is an extent without length.
fn stored_region(
    proto: &TensorSliceProto,
    dims: &[u64],
) -> Result<(Vec<(i64, i64)>, Region), String> {
    if proto.extent.len() != dims.len() {
        return Err(format!(
            "a slice has {} dimensions, the tensor has {}",
            proto.extent.len(),
            dims.len()
        ));
    }
    let mut key = Vec::with_capacity(dims.len());
    let mut region = Vec::with_capacity(dims.len());
    for (d, (extent, &dim)) in proto.extent.iter().zip(dims).enumerate() {
        let length = match extent.has_length {
            Some(HasLength::Length(length)) => length,
            None => FULL_EXTENT,
        };
        let concrete = extent_region((extent.start, length), dim).ok_or_else(|| {
            format!(
                "slice extent {},{length} of dimension {d} is outside its size {dim}",
                extent.start
            )
        })?;
        key.push((extent.start, length));
        region.push(concrete);
    }
    Ok((key, region))
}

/// `TensorSliceSet::Register` refuses a slice that overlaps one already
/// registered ("Overlapping slices"). Sorting by the first dimension's start
/// keeps the usual partitioning along one axis from costing n² comparisons.
fn check_overlaps(files: &[TableFile], name: &str, tensor: &Tensor) -> Result<()> {
    let mut slices: Vec<&StoredSlice> = tensor.slices.iter().collect();
    slices.sort_by_key(|s| s.region.first().map_or(0, |&(start, _)| start));
    for (i, a) in slices.iter().enumerate() {
        let a_end = a
            .region
            .first()
            .map_or(u64::MAX, |&(s, l)| s.saturating_add(l));
        for b in slices.iter().skip(i + 1) {
            if b.region.first().is_some_and(|&(start, _)| start >= a_end) {
                break;
            }
            if intersect(&a.region, &b.region).is_some() {
                let file = files.get(b.file).map_or("checkpoint", |f| f.name.as_str());
                return Err(Error::corrupt(
                    file,
                    format!(
                        "tensor '{name}': slices {} and {} overlap",
                        display_key(&slice_key(name, &a.key_extents)),
                        display_key(&slice_key(name, &b.key_extents))
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Copies the common part of every loaded slice into a fresh tensor of the
/// box `wanted` (`CopyDataFromTensorSliceToTensorSlice`, tensor_slice_util.h).
fn assemble(
    name: &str,
    dtype: i32,
    count: u64,
    wanted: &[(u64, u64)],
    loaded: &[(Loaded, &StoredSlice, Region)],
) -> Result<V1Value> {
    let lost = || Error::mismatch(name, "a stored slice does not fit its own box");
    if dtype == DataType::DtString as i32 {
        // `count` elements were decoded from the files, so it fits in memory.
        let mut out = vec![Vec::new(); usize::try_from(count).map_err(|_| too_large(name, count))?];
        for (values, slice, common) in loaded {
            let Loaded::Strings(values) = values else {
                return Err(lost());
            };
            copy_region(values, &slice.region, &mut out, wanted, common, 1).ok_or_else(lost)?;
        }
        return Ok(V1Value::Strings(out));
    }
    let width = v1_element_size(dtype).ok_or_else(|| {
        Error::unsupported(format!("tensor '{name}' has dtype {}", dtype_name(dtype)))
    })?;
    let bytes = count
        .checked_mul(width as u64)
        .ok_or_else(|| too_large(name, u64::MAX))?;
    let mut out = vec![0u8; usize::try_from(bytes).map_err(|_| too_large(name, bytes))?];
    for (values, slice, common) in loaded {
        let Loaded::Raw(values) = values else {
            return Err(lost());
        };
        copy_region(values, &slice.region, &mut out, wanted, common, width).ok_or_else(lost)?;
    }
    Ok(V1Value::Raw(out))
}

fn too_large(name: &str, size: u64) -> Error {
    Error::TooLarge {
        what: format!("tensor '{name}'"),
        size,
        limit: usize::MAX as u64,
    }
}

/// True if `file` is a shard of the sharded V1 checkpoint `prefix`: the
/// restore pattern `<prefix>-?????-of-?????` (`ShardedFilespec`, save_op.cc).
pub fn is_v1_shard_of(prefix: &str, file: &str) -> bool {
    let Some(rest) = file.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    let bytes = rest.as_bytes();
    bytes.len() == 14
        && bytes.get(5..9) == Some(b"-of-".as_slice())
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| (5..9).contains(&i) || b.is_ascii_digit())
}

#[cfg(test)]
pub(crate) mod tests;
