//! `.index` files with valid block checksums but arbitrary header and entries:
//! every field a BundleEntryProto has, slice keys, out-of-order keys.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tf_freeze::bundle::{self, BundleIndex};
use tf_freeze::proto::tensor_shape_proto::Dim;
use tf_freeze::proto::tensor_slice_proto::{extent::HasLength, Extent};
use tf_freeze::proto::{
    BundleEntryProto, BundleHeaderProto, TensorShapeProto, TensorSliceProto, VersionDef,
};
use tf_freeze::wire::Message;
use tf_freeze_fuzz::build_table;

#[derive(Arbitrary, Debug)]
enum Key {
    Name(String),
    Slice(String, Vec<(i64, i64)>),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Value {
    Entry {
        dtype: i32,
        dims: Vec<i64>,
        unknown_rank: bool,
        shard_id: i32,
        offset: i64,
        size: i64,
        crc32c: u32,
        slices: Vec<Vec<(i64, i64)>>,
    },
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    header: Option<(i32, i32, i32, i32, Vec<i32>)>,
    raw_header: Option<Vec<u8>>,
    rows: Vec<(Key, Value)>,
    sort: bool,
}

fn slice(extents: &[(i64, i64)]) -> TensorSliceProto {
    let extent = extents
        .iter()
        .map(|&(start, length)| Extent {
            start,
            has_length: (length != -1).then_some(HasLength::Length(length)),
        })
        .collect();
    TensorSliceProto { extent }
}

fn encode_value(value: Value) -> Vec<u8> {
    match value {
        Value::Raw(bytes) => bytes,
        Value::Entry {
            dtype,
            dims,
            unknown_rank,
            shard_id,
            offset,
            size,
            crc32c,
            slices,
        } => BundleEntryProto {
            dtype,
            shape: Some(TensorShapeProto {
                dim: dims
                    .into_iter()
                    .map(|size| Dim {
                        size,
                        name: String::new(),
                    })
                    .collect(),
                unknown_rank,
            }),
            shard_id,
            offset,
            size,
            crc32c,
            slices: slices.iter().map(|s| slice(s)).collect(),
        }
        .encode_to_vec(),
    }
}

fn encode_key(key: Key) -> Vec<u8> {
    match key {
        Key::Name(name) => name.into_bytes(),
        Key::Slice(name, extents) => bundle::slice_key(&name, &extents),
        Key::Raw(bytes) => bytes,
    }
}

fuzz_target!(|input: Input| {
    let header = match (input.raw_header, input.header) {
        (Some(raw), _) => raw,
        (None, Some((num_shards, endianness, producer, min_consumer, bad_consumers))) => {
            BundleHeaderProto {
                num_shards,
                endianness,
                version: Some(VersionDef {
                    producer,
                    min_consumer,
                    bad_consumers,
                }),
            }
            .encode_to_vec()
        }
        (None, None) => BundleHeaderProto {
            num_shards: 1,
            ..Default::default()
        }
        .encode_to_vec(),
    };
    let mut rows: Vec<(Vec<u8>, Vec<u8>)> = input
        .rows
        .into_iter()
        .map(|(k, v)| (encode_key(k), encode_value(v)))
        .collect();
    if input.sort {
        rows.sort();
        rows.dedup_by(|a, b| a.0 == b.0);
    }
    rows.insert(0, (Vec::new(), header));
    let table = build_table(&rows);
    let Ok(index) = BundleIndex::parse("model.ckpt.index", &table) else {
        return;
    };
    for (key, entry) in &index.entries {
        assert!(
            index.entry_raw(key).is_some(),
            "a parsed key cannot be found"
        );
        let _ = bundle::decode_slice_key(key);
        let shape = entry.shape.clone().unwrap_or_default();
        let _ = (bundle::num_elements(&shape), bundle::shape_text(&shape));
        let _ = bundle::display_key(key);
    }
    let _ = index.tensor_names();
});
