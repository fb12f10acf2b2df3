//! Tests of `BundleIndex` over the spec's worked example (a real 319-byte
//! `.index` written by TF 2.21) and over hand-built tables.

use super::test_table::{build_table, hex, TableOptions};
use super::*;
use crate::proto::tensor_shape_proto::Dim;
use crate::proto::{DataType, TensorShapeProto};

/// `dense/bias`, `dense/kernel`, partitioned `emb`, `global_step`, `strvar`.
const EXAMPLE_INDEX: &str = "
00000608011a020801000c1500656d62000101028083808208011208120208031202080220202818356b3e3aa8080415
8382808208011208120208021202080220382810352337cbbb000a0f64656e73652f6269617308011204120208022808
35421ef0fc0606156b65726e656c0801120812020803120208022008281835c0db3d17000322656d6208011208120208
05120208023a080a0210030a0210023a0a0a04080310020a021002000b0d676c6f62616c5f7374657008091200204828
08352903980700061273747276617208071204120208032050288c01356d5ecb6a0000000001000000006803b5a80000
00000100000000c0f2a1b00001037400e901000000000100000000d8d22e47ee0108fb010f0000000000000000000000
000000000000000000000000000000000000000000000057fb808b247547db";

fn example() -> Vec<u8> {
    hex(EXAMPLE_INDEX)
}

fn dims(entry: &BundleEntryProto) -> Vec<i64> {
    entry
        .shape
        .iter()
        .flat_map(|s| s.dim.iter().map(|d| d.size))
        .collect()
}

#[test]
fn parses_the_worked_example() {
    let bytes = example();
    assert_eq!(bytes.len(), 319);
    let index = BundleIndex::parse("model.ckpt.index", &bytes).unwrap();
    assert_eq!(index.num_shards(), 1);
    assert_eq!(index.header.version.as_ref().map(|v| v.producer), Some(1));

    let bias = index.entry("dense/bias").unwrap();
    assert_eq!(
        (bias.dtype, bias.offset, bias.size),
        (DataType::DtFloat as i32, 0, 8)
    );
    assert_eq!(dims(bias), [2]);
    let kernel = index.entry("dense/kernel").unwrap();
    assert_eq!((kernel.offset, kernel.size), (8, 24));
    assert_eq!(dims(kernel), [3, 2]);

    let emb = index.entry("emb").unwrap();
    assert_eq!(dims(emb), [5, 2]);
    let extents: Vec<_> = emb.slices.iter().map(slice_extents).collect();
    assert_eq!(extents, [vec![(0, 3), (0, 2)], vec![(3, 2), (0, 2)]]);
    let part0 = index
        .entry_raw(&slice_key("emb", &[(0, 3), (0, 2)]))
        .unwrap();
    assert_eq!(
        (part0.offset, part0.size, part0.crc32c),
        (32, 24, 0xA83A_3E6B)
    );
    assert_eq!(dims(part0), [3, 2]);
    let part1 = index
        .entry_raw(&slice_key("emb", &[(3, 2), (0, 2)]))
        .unwrap();
    assert_eq!((part1.offset, part1.size), (56, 16));

    let step = index.entry("global_step").unwrap();
    assert_eq!((step.dtype, step.offset, step.size), (9, 72, 8));
    assert!(dims(step).is_empty());
    let strvar = index.entry("strvar").unwrap();
    assert_eq!((strvar.dtype, strvar.offset, strvar.size), (7, 80, 140));

    let names = index.tensor_names();
    assert_eq!(
        names,
        ["dense/bias", "dense/kernel", "emb", "global_step", "strvar"]
    );
    let shown: Vec<String> = index.entries.iter().map(|(k, _)| display_key(k)).collect();
    assert_eq!(shown[..2], ["emb[0,3:0,2]", "emb[3,2:0,2]"]);
    assert!(!is_v1_table(&bytes));
}

#[test]
fn every_truncation_fails_cleanly() {
    let bytes = example();
    for len in 0..bytes.len() {
        assert!(
            BundleIndex::parse("m.index", &bytes[..len]).is_err(),
            "prefix {len}"
        );
        assert!(
            BundleIndex::parse("m.index", &bytes[len + 1..]).is_err(),
            "suffix from {}",
            len + 1
        );
    }
}

#[test]
fn bit_flips_never_panic() {
    let mut bytes = example();
    let mut accepted = 0;
    for i in 0..bytes.len() {
        for bit in 0..8 {
            bytes[i] ^= 1 << bit;
            if BundleIndex::parse("m.index", &bytes).is_ok() {
                accepted += 1;
                // Only the metaindex block (238..251), which TF never reads
                // either, its handle and the footer's padding (271..311) are unchecked.
                let unchecked = (238..251).contains(&i) || (271..311).contains(&i);
                assert!(unchecked, "flip of byte {i} bit {bit} went unnoticed");
            }
            let _ = is_v1_table(&bytes);
            bytes[i] ^= 1 << bit;
        }
    }
    assert!(accepted <= (13 + 40) * 8);
}

fn shape(dims: &[i64]) -> TensorShapeProto {
    TensorShapeProto {
        dim: dims
            .iter()
            .map(|&size| Dim {
                size,
                name: String::new(),
            })
            .collect(),
        unknown_rank: false,
    }
}

fn float_entry(dims: &[i64], offset: i64) -> Vec<u8> {
    let elements: i64 = dims.iter().product();
    BundleEntryProto {
        dtype: DataType::DtFloat as i32,
        shape: Some(shape(dims)),
        offset,
        size: 4 * elements,
        ..Default::default()
    }
    .encode_to_vec()
}

fn header(num_shards: i32) -> BundleHeaderProto {
    BundleHeaderProto {
        num_shards,
        endianness: 0,
        version: Some(VersionDef {
            producer: 1,
            ..Default::default()
        }),
    }
}

fn table(header: &BundleHeaderProto, rows: &[(&[u8], Vec<u8>)], options: TableOptions) -> Vec<u8> {
    let mut all = vec![(Vec::new(), header.encode_to_vec())];
    all.extend(rows.iter().map(|(k, v)| (k.to_vec(), v.clone())));
    build_table(&all, options)
}

#[test]
fn reads_a_snappy_compressed_index() {
    // Like tensorflow/serving's half_plus_two variables.index: a type-1 data block.
    let rows = [
        (&b"a"[..], float_entry(&[], 0)),
        (b"b", float_entry(&[], 4)),
    ];
    let options = TableOptions {
        snappy: true,
        ..TableOptions::default()
    };
    let bytes = table(&header(1), &rows, options);
    let index = BundleIndex::parse("half_plus_two/variables.index", &bytes).unwrap();
    assert_eq!(index.tensor_names(), ["a", "b"]);
    assert_eq!(index.entry("b").map(|e| e.offset), Some(4));
}

#[test]
fn rejects_a_damaged_block_naming_the_file() {
    let mut bytes = example();
    bytes[100] ^= 0x04;
    match BundleIndex::parse("model.ckpt.index", &bytes).unwrap_err() {
        Error::Checksum { file, what, .. } => {
            assert_eq!(file, "model.ckpt.index");
            assert_eq!(what, "table block at offset 0 (233 bytes)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rejects_files_that_are_not_tables() {
    let err = BundleIndex::parse("model.ckpt.data-00000-of-00001", &[0u8; 220]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "model.ckpt.data-00000-of-00001: not a TensorFlow checkpoint index (no table magic at the end)"
    );
}

#[test]
fn needs_a_header_entry() {
    let bytes = build_table(
        &[(b"a".to_vec(), float_entry(&[], 0))],
        TableOptions::default(),
    );
    let text = BundleIndex::parse("m.index", &bytes)
        .unwrap_err()
        .to_string();
    assert_eq!(
        text,
        "m.index: no header entry (the first key is 'a', not \"\")"
    );
    let bytes = build_table(&[], TableOptions::default());
    let text = BundleIndex::parse("m.index", &bytes)
        .unwrap_err()
        .to_string();
    assert_eq!(text, "m.index: no header entry (the table is empty)");
}

#[test]
fn detects_v1_checkpoints() {
    use crate::proto::{SavedSliceMeta, SavedTensorSliceMeta};
    let meta = SavedTensorSlices {
        meta: Some(SavedTensorSliceMeta {
            tensor: vec![SavedSliceMeta {
                name: "a".into(),
                ..Default::default()
            }],
            versions: Some(VersionDef {
                producer: 1,
                ..Default::default()
            }),
        }),
        data: None,
    };
    let rows = [
        (Vec::new(), meta.encode_to_vec()),
        (slice_key("a", &[]), b"\x12\x00".to_vec()),
    ];
    let bytes = build_table(&rows, TableOptions::default());
    assert!(is_v1_table(&bytes));
    let err = BundleIndex::parse("model.ckpt-1000", &bytes).unwrap_err();
    assert_eq!(err, Error::v1_not_index("model.ckpt-1000"));
    assert!(!is_v1_table(b"not a table"));
}

#[test]
fn checks_the_header() {
    let entry = [(&b"w"[..], float_entry(&[2], 0))];
    let parse = |header: BundleHeaderProto| {
        BundleIndex::parse("m.index", &table(&header, &entry, TableOptions::default()))
    };
    let big = BundleHeaderProto {
        endianness: 1,
        ..header(1)
    };
    assert!(matches!(parse(big), Err(Error::Unsupported { .. })));
    let odd = BundleHeaderProto {
        endianness: 7,
        ..header(1)
    };
    assert!(parse(odd)
        .unwrap_err()
        .to_string()
        .contains("unknown byte order 7"));
    let newer = BundleHeaderProto {
        version: Some(VersionDef {
            producer: 3,
            min_consumer: 2,
            bad_consumers: vec![],
        }),
        ..header(1)
    };
    assert!(parse(newer)
        .unwrap_err()
        .to_string()
        .contains("version 2 or newer"));
    let banned = BundleHeaderProto {
        version: Some(VersionDef {
            producer: 1,
            min_consumer: 0,
            bad_consumers: vec![1],
        }),
        ..header(1)
    };
    assert!(matches!(parse(banned), Err(Error::Unsupported { .. })));
    let negative = BundleHeaderProto {
        version: Some(VersionDef {
            producer: -1,
            ..Default::default()
        }),
        ..header(1)
    };
    assert!(matches!(parse(negative), Err(Error::Corrupt { .. })));
    // No version at all is the default version 0, which TF accepts too.
    assert!(parse(BundleHeaderProto {
        version: None,
        ..header(1)
    })
    .is_ok());
    let text = parse(header(0)).unwrap_err().to_string();
    assert!(
        text.contains("entry 'w': shard 0 is outside the 0 shards"),
        "{text}"
    );
}

#[test]
fn names_the_key_of_a_bad_entry() {
    let key = slice_key("emb", &[(0, 3), (0, 2)]);
    let rows = [(key.as_slice(), vec![0x0A, 0x05])];
    let text = BundleIndex::parse(
        "m.index",
        &table(&header(1), &rows, TableOptions::default()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        text.starts_with("m.index: entry for key 'emb[0,3:0,2]' is not parseable"),
        "{text}"
    );
}

#[test]
fn data_file_names() {
    assert_eq!(
        data_file_name("/d/model.ckpt-7", 0, 1),
        "/d/model.ckpt-7.data-00000-of-00001"
    );
    assert_eq!(data_file_name("p", 12, 123_456), "p.data-00012-of-123456");
}

#[test]
fn damaged_snappy_tables_never_panic() {
    let rows: Vec<(Vec<u8>, Vec<u8>)> = (0..20)
        .map(|i| {
            (
                format!("layer/{i:02}/kernel").into_bytes(),
                float_entry(&[4, 4], 64 * i),
            )
        })
        .collect();
    let rows: Vec<(&[u8], Vec<u8>)> = rows
        .iter()
        .map(|(k, v)| (k.as_slice(), v.clone()))
        .collect();
    let options = TableOptions {
        entries_per_block: 6,
        restart_interval: 4,
        snappy: true,
    };
    let mut bytes = table(&header(1), &rows, options);
    assert_eq!(
        BundleIndex::parse("m.index", &bytes).unwrap().entries.len(),
        20
    );
    for i in 0..bytes.len() {
        for bit in [0, 3, 7] {
            bytes[i] ^= 1 << bit;
            let _ = BundleIndex::parse("m.index", &bytes);
            bytes[i] ^= 1 << bit;
        }
        let _ = BundleIndex::parse("m.index", &bytes[..i]);
    }
}
