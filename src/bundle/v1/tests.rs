//! Tests of the V1 reader over hand-built SavedTensorSlices tables, and over a
//! real V1 file from tensorflow/serving when that test data is present.

use std::path::PathBuf;

use super::*;
use crate::bundle::test_table::{build_table, TableOptions};
use crate::proto::tensor_shape_proto::Dim;
use crate::proto::tensor_slice_proto::Extent;
use crate::proto::{SavedSlice, SavedTensorSliceMeta, TensorProto};

/// A tensor to store: name, dtype, shape and its slices with their values.
pub(crate) struct Stored {
    pub(crate) name: &'static str,
    pub(crate) dtype: DataType,
    pub(crate) dims: Vec<i64>,
    pub(crate) slices: Vec<(Vec<(i64, i64)>, TensorProto)>,
}

fn shape(dims: &[i64]) -> TensorShapeProto {
    TensorShapeProto {
        dim: dims
            .iter()
            .map(|&size| Dim {
                size,
                ..Dim::default()
            })
            .collect(),
        unknown_rank: false,
    }
}

fn slice_proto(extents: &[(i64, i64)]) -> TensorSliceProto {
    let extent = extents
        .iter()
        .map(|&(start, length)| Extent {
            start,
            has_length: (length != FULL_EXTENT).then_some(HasLength::Length(length)),
        })
        .collect();
    TensorSliceProto { extent }
}

fn full(rank: usize) -> Vec<(i64, i64)> {
    vec![(0, FULL_EXTENT); rank]
}

pub(crate) fn current() -> VersionDef {
    VersionDef {
        producer: 1,
        ..VersionDef::default()
    }
}

/// A V1 table as `TensorSliceWriter` writes one (tensor_slice_writer.cc).
pub(crate) fn v1_file(tensors: &[Stored], versions: VersionDef) -> Vec<u8> {
    let meta = SavedTensorSliceMeta {
        tensor: tensors
            .iter()
            .map(|t| SavedSliceMeta {
                name: t.name.into(),
                shape: Some(shape(&t.dims)),
                r#type: t.dtype as i32,
                slice: t.slices.iter().map(|(e, _)| slice_proto(e)).collect(),
            })
            .collect(),
        versions: Some(versions),
    };
    let header = SavedTensorSlices {
        meta: Some(meta),
        data: None,
    };
    let mut rows = vec![(Vec::new(), header.encode_to_vec())];
    for t in tensors {
        for (extents, values) in &t.slices {
            let data = SavedSlice {
                name: t.name.into(),
                slice: Some(slice_proto(extents)),
                data: Some(values.clone()),
            };
            let value = SavedTensorSlices {
                meta: None,
                data: Some(data),
            };
            rows.push((slice_key(t.name, extents), value.encode_to_vec()));
        }
    }
    rows.sort();
    build_table(&rows, TableOptions::default())
}

pub(crate) fn floats(values: &[f32]) -> TensorProto {
    TensorProto {
        float_val: values.to_vec(),
        ..TensorProto::default()
    }
}

fn ints(values: &[i32]) -> TensorProto {
    TensorProto {
        int_val: values.to_vec(),
        ..TensorProto::default()
    }
}

fn le_floats(values: &[f32]) -> V1Value {
    V1Value::Raw(values.iter().flat_map(|v| v.to_le_bytes()).collect())
}

pub(crate) fn one(
    name: &'static str,
    dtype: DataType,
    dims: &[i64],
    values: TensorProto,
) -> Stored {
    Stored {
        name,
        dtype,
        dims: dims.to_vec(),
        slices: vec![(full(dims.len()), values)],
    }
}

/// `emb` [5,2] saved in two parts, rows 0..3 and 3..5, as a partitioner cuts it.
pub(crate) fn two_part_emb() -> Stored {
    Stored {
        name: "emb",
        dtype: DataType::DtFloat,
        dims: vec![5, 2],
        slices: vec![
            (vec![(3, 2), (0, 2)], floats(&[6., 7., 8., 9.])),
            (vec![(0, 3), (0, 2)], floats(&[0., 1., 2., 3., 4., 5.])),
        ],
    }
}

fn parse_one(bytes: &[u8]) -> Result<V1Checkpoint> {
    V1Checkpoint::parse(&[("model.ckpt", bytes)])
}

#[test]
fn reads_each_dtype() {
    let tensors = [
        one(
            "a/float",
            DataType::DtFloat,
            &[2, 2],
            floats(&[1., 2., 3., 4.]),
        ),
        one("b/int16", DataType::DtInt16, &[3], ints(&[-2, 70000, 5])),
        one("c/uint8", DataType::DtUint8, &[2], ints(&[255, 257])),
        Stored {
            name: "d/step",
            dtype: DataType::DtInt64,
            dims: vec![],
            slices: vec![(
                vec![],
                TensorProto {
                    int64_val: vec![-7],
                    ..TensorProto::default()
                },
            )],
        },
        one(
            "e/half",
            DataType::DtHalf,
            &[1],
            TensorProto {
                half_val: vec![0x3c00],
                ..TensorProto::default()
            },
        ),
        one(
            "f/bool",
            DataType::DtBool,
            &[2],
            TensorProto {
                bool_val: vec![true, false],
                ..TensorProto::default()
            },
        ),
        one(
            "g/complex",
            DataType::DtComplex64,
            &[1],
            TensorProto {
                scomplex_val: vec![1.5, -2.0],
                ..TensorProto::default()
            },
        ),
        one(
            "h/strings",
            DataType::DtString,
            &[2],
            TensorProto {
                string_val: vec![b"ab".to_vec(), Vec::new()],
                ..TensorProto::default()
            },
        ),
    ];
    let checkpoint = parse_one(&v1_file(&tensors, current())).unwrap();
    let names: Vec<&str> = tensors.iter().map(|t| t.name).collect();
    assert_eq!(checkpoint.tensor_names(), names);
    assert_eq!(
        checkpoint.dtype_and_shape("a/float"),
        Some((DataType::DtFloat as i32, shape(&[2, 2])))
    );
    assert_eq!(checkpoint.dtype_and_shape("nope"), None);
    let read = |name: &str| checkpoint.read(name, None).unwrap();
    assert_eq!(read("a/float"), le_floats(&[1., 2., 3., 4.]));
    // Narrow integers are the low bytes of int_val, as C++'s cast keeps them.
    assert_eq!(
        read("b/int16"),
        V1Value::Raw(vec![0xFE, 0xFF, 0x70, 0x11, 5, 0])
    );
    assert_eq!(read("c/uint8"), V1Value::Raw(vec![255, 1]));
    assert_eq!(read("d/step"), V1Value::Raw((-7i64).to_le_bytes().to_vec()));
    assert_eq!(read("e/half"), V1Value::Raw(vec![0x00, 0x3c]));
    assert_eq!(read("f/bool"), V1Value::Raw(vec![1, 0]));
    assert_eq!(read("g/complex"), le_floats(&[1.5, -2.0]));
    assert_eq!(
        read("h/strings"),
        V1Value::Strings(vec![b"ab".to_vec(), Vec::new()])
    );
    // A box of a whole tensor.
    assert_eq!(
        checkpoint
            .read("a/float", Some(&[(1, 1), (0, -1)]))
            .unwrap(),
        le_floats(&[3., 4.])
    );
    assert_eq!(
        checkpoint.read("h/strings", Some(&[(1, 1)])).unwrap(),
        V1Value::Strings(vec![Vec::new()])
    );
}

#[test]
fn assembles_a_two_slice_tensor() {
    let checkpoint = parse_one(&v1_file(&[two_part_emb()], current())).unwrap();
    assert_eq!(checkpoint.tensor_names(), ["emb"]);
    let all: Vec<f32> = (0..10u8).map(f32::from).collect();
    assert_eq!(checkpoint.read("emb", None).unwrap(), le_floats(&all));
    // Exactly one stored part, and a box across both.
    let part = checkpoint.read("emb", Some(&[(3, 2), (0, 2)])).unwrap();
    assert_eq!(part, le_floats(&[6., 7., 8., 9.]));
    let across = checkpoint.read("emb", Some(&[(2, 2), (1, 1)])).unwrap();
    assert_eq!(across, le_floats(&[5., 7.]));
    let empty = checkpoint.read("emb", Some(&[(2, 0), (0, -1)])).unwrap();
    assert_eq!(empty, V1Value::Raw(Vec::new()));
}

#[test]
fn assembles_column_parts_from_sharded_files() {
    // [2,3] cut by columns over two files, as a sharded V1 saver writes it.
    let part = |extents: Vec<(i64, i64)>, values: &[f32]| Stored {
        name: "w",
        dtype: DataType::DtFloat,
        dims: vec![2, 3],
        slices: vec![(extents, floats(values))],
    };
    let first = v1_file(&[part(vec![(0, -1), (0, 2)], &[0., 1., 3., 4.])], current());
    let second = v1_file(&[part(vec![(0, -1), (2, 1)], &[2., 5.])], current());
    let files: [(&str, &[u8]); 2] = [
        ("model-00001-of-00002", &second),
        ("model-00000-of-00002", &first),
    ];
    let checkpoint = V1Checkpoint::parse(&files).unwrap();
    assert_eq!(
        checkpoint.read("w", None).unwrap(),
        le_floats(&[0., 1., 2., 3., 4., 5.])
    );
    assert_eq!(
        checkpoint.read("w", Some(&[(1, 1), (1, 2)])).unwrap(),
        le_floats(&[4., 5.])
    );
    // Only one of the files: the tensor is incomplete.
    let text = V1Checkpoint::parse(&files[..1])
        .unwrap()
        .read("w", None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        text,
        "model-00001-of-00002: tensor 'w' ([2,3]): the stored slices hold 2 of the 6 elements of w[0,2:0,3]"
    );
}

#[test]
fn shard_names() {
    assert!(is_v1_shard_of("export", "export-00000-of-00001"));
    assert!(is_v1_shard_of(
        "a/model.ckpt",
        "a/model.ckpt-00002-of-00003"
    ));
    assert!(!is_v1_shard_of("export", "export-0000-of-00001"));
    assert!(!is_v1_shard_of("export", "export-00000-of-0000x"));
    assert!(!is_v1_shard_of("export", "export.index"));
    assert!(!is_v1_shard_of("export", "exporter-00000-of-00001"));
}

fn error_of(tensors: &[Stored]) -> String {
    let checkpoint = match parse_one(&v1_file(tensors, current())) {
        Ok(checkpoint) => checkpoint,
        Err(e) => return e.to_string(),
    };
    let name = tensors.first().map_or("", |t| t.name);
    checkpoint.read(name, None).unwrap_err().to_string()
}

#[test]
fn refuses_a_wrong_amount_of_data() {
    let short = one("w", DataType::DtFloat, &[3], floats(&[1., 2.]));
    assert_eq!(
        error_of(&[short]),
        "model.ckpt: slice w[-] holds 2 values of DT_FLOAT, its shape needs 3"
    );
    let empty = one("w", DataType::DtInt32, &[2], TensorProto::default());
    assert_eq!(
        error_of(&[empty]),
        "model.ckpt: slice w[-] holds 0 values of DT_INT32, its shape needs 2"
    );
    // Values in a field of another dtype count as none.
    let wrong_field = one("w", DataType::DtInt64, &[1], ints(&[1]));
    assert!(error_of(&[wrong_field]).contains("holds 0 values of DT_INT64"));
}

#[test]
fn refuses_inconsistent_slices() {
    let mut overlapping = two_part_emb();
    overlapping.slices[0].0 = vec![(2, 3), (0, 2)];
    overlapping.slices[0].1 = floats(&[0.; 6]);
    assert_eq!(
        error_of(&[overlapping]),
        "model.ckpt: tensor 'emb': slices emb[0,3:0,2] and emb[2,3:0,2] overlap"
    );
    let mut outside = two_part_emb();
    outside.slices[0].0 = vec![(3, 3), (0, 2)];
    assert_eq!(
        error_of(&[outside]),
        "model.ckpt: tensor 'emb': slice extent 3,3 of dimension 0 is outside its size 5"
    );
    let mut wrong_rank = two_part_emb();
    wrong_rank.slices[0].0 = vec![(3, 2)];
    assert!(error_of(&[wrong_rank]).contains("a slice has 1 dimensions, the tensor has 2"));
    let mut missing_part = two_part_emb();
    missing_part.slices.pop();
    assert!(error_of(&[missing_part]).contains("hold 4 of the 10 elements of emb[0,5:0,2]"));
}

#[test]
fn refuses_disagreeing_files() {
    let a = v1_file(
        &[one("w", DataType::DtFloat, &[2], floats(&[1., 2.]))],
        current(),
    );
    let b = v1_file(
        &[one("w", DataType::DtFloat, &[3], floats(&[1., 2., 3.]))],
        current(),
    );
    let c = v1_file(
        &[one("w", DataType::DtInt32, &[2], ints(&[1, 2]))],
        current(),
    );
    let text = V1Checkpoint::parse(&[("p-0", &a), ("p-1", &b)])
        .unwrap_err()
        .to_string();
    assert_eq!(
        text,
        "p-1: tensor 'w': incompatible shapes in the checkpoint's files: [2] and [3]"
    );
    let text = V1Checkpoint::parse(&[("p-0", &a), ("p-1", &c)])
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("incompatible dtypes in the checkpoint's files: DT_FLOAT and DT_INT32"),
        "{text}"
    );
    // The same full slice in two files overlaps itself.
    let text = V1Checkpoint::parse(&[("p-0", &a), ("p-1", &a)])
        .unwrap_err()
        .to_string();
    assert!(text.contains("overlap"), "{text}");
}

#[test]
fn refuses_bad_requests_and_dtypes() {
    let checkpoint = parse_one(&v1_file(&[two_part_emb()], current())).unwrap();
    let text = checkpoint.read("embb", None).unwrap_err().to_string();
    assert_eq!(
        text,
        "embb: the V1 checkpoint model.ckpt has no such tensor"
    );
    let text = checkpoint
        .read("emb", Some(&[(4, 2), (0, -1)]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        text,
        "emb: slice emb[4,2:-] does not fit the checkpoint's shape [5,2]"
    );
    assert!(checkpoint.read("emb", Some(&[(0, -1)])).is_err());
    assert!(checkpoint.read("emb", Some(&[(1, -1), (0, 2)])).is_err());
    let bf16 = one(
        "w",
        DataType::DtBfloat16,
        &[1],
        TensorProto {
            half_val: vec![1],
            ..TensorProto::default()
        },
    );
    assert_eq!(
        error_of(&[bf16]),
        "not supported: tensor 'w' has dtype DT_BFLOAT16, which V1 checkpoints cannot hold"
    );
}

#[test]
fn refuses_other_tables_and_newer_versions() {
    let newer = VersionDef {
        producer: 3,
        min_consumer: 2,
        bad_consumers: vec![],
    };
    let bytes = v1_file(&[], newer);
    let text = parse_one(&bytes).unwrap_err().to_string();
    assert!(
        text.contains("needs a checkpoint reader of version 2 or newer"),
        "{text}"
    );
    let banned = VersionDef {
        producer: 1,
        min_consumer: 0,
        bad_consumers: vec![1],
    };
    assert!(parse_one(&v1_file(&[], banned)).is_err());
    // A V2 .index: header `num_shards: 1`, no SavedTensorSliceMeta.
    let v2 = build_table(&[(Vec::new(), vec![0x08, 0x01])], TableOptions::default());
    let text = parse_one(&v2).unwrap_err().to_string();
    assert!(text.contains("this is not a V1 checkpoint"), "{text}");
    let empty = build_table(&[], TableOptions::default());
    assert!(parse_one(&empty)
        .unwrap_err()
        .to_string()
        .contains("the table is empty"));
    assert!(V1Checkpoint::parse(&[]).unwrap_err().is_usage());
    // A listed slice whose entry is missing.
    let mut rows = vec![(
        Vec::new(),
        SavedTensorSlices {
            meta: Some(SavedTensorSliceMeta {
                tensor: vec![SavedSliceMeta {
                    name: "w".into(),
                    shape: Some(shape(&[1])),
                    r#type: DataType::DtFloat as i32,
                    slice: vec![slice_proto(&full(1))],
                }],
                versions: None,
            }),
            data: None,
        }
        .encode_to_vec(),
    )];
    let checkpoint = parse_one(&build_table(&rows, TableOptions::default())).unwrap();
    let text = checkpoint.read("w", None).unwrap_err().to_string();
    assert_eq!(
        text,
        "model.ckpt: the header lists slice w[-] but the file holds no entry for it"
    );
    rows.push((slice_key("w", &full(1)), vec![0xFF]));
    let checkpoint = parse_one(&build_table(&rows, TableOptions::default())).unwrap();
    let text = checkpoint.read("w", None).unwrap_err().to_string();
    assert!(
        text.starts_with("model.ckpt: entry w[-] is not parseable"),
        "{text}"
    );
}

/// The real-world test data folder: `TF_FREEZE_REALWORLD`, else
/// `../shared/realworld` beside the project.
fn realworld() -> PathBuf {
    std::env::var_os("TF_FREEZE_REALWORLD").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/realworld"),
        PathBuf::from,
    )
}

/// A V1 checkpoint from tensorflow/serving (`y = 0.5 x + 2`), when present.
fn half_plus_two() -> Option<Vec<u8>> {
    let path = realworld().join(
        "tensorflow-serving/session_bundle/testdata/half_plus_two/00000123/export-00000-of-00001",
    );
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            println!(
                "skipped: real-world checkpoints not found at {} (set TF_FREEZE_REALWORLD)",
                path.display()
            );
            None
        }
    }
}

#[test]
fn reads_a_real_v1_file() {
    let Some(bytes) = half_plus_two() else { return };
    assert!(crate::bundle::is_v1_table(&bytes));
    let checkpoint = V1Checkpoint::parse(&[("export-00000-of-00001", &bytes)]).unwrap();
    assert_eq!(checkpoint.tensor_names(), ["a", "b"]);
    assert_eq!(
        checkpoint.dtype_and_shape("a"),
        Some((DataType::DtFloat as i32, TensorShapeProto::default()))
    );
    assert_eq!(checkpoint.read("a", None).unwrap(), le_floats(&[0.5]));
    assert_eq!(checkpoint.read("b", Some(&[])).unwrap(), le_floats(&[2.0]));
}

#[test]
fn never_panics_on_a_damaged_real_file() {
    let Some(bytes) = half_plus_two() else { return };
    let attempt = |damaged: &[u8]| {
        if let Ok(checkpoint) = V1Checkpoint::parse(&[("export", damaged)]) {
            for name in checkpoint.tensor_names() {
                let _ = checkpoint.read(&name, None);
                let _ = checkpoint.read(&name, Some(&[(0, 1)]));
            }
        }
    };
    for len in 0..bytes.len() {
        attempt(&bytes[..len]);
    }
    let mut damaged = bytes.clone();
    for i in 0..damaged.len() {
        for bit in 0..8 {
            damaged[i] ^= 1 << bit;
            attempt(&damaged);
            damaged[i] ^= 1 << bit;
        }
    }
}

#[test]
fn never_panics_on_damaged_values() {
    // Bit flips inside the SavedSlice values: the table CRCs are recomputed,
    // so the damage reaches the proto decoding and the copy.
    let stored = [two_part_emb()];
    let clean = v1_file(&stored, current());
    let checkpoint = parse_one(&clean).unwrap();
    for (extents, values) in &stored[0].slices {
        let value = SavedTensorSlices {
            meta: None,
            data: Some(SavedSlice {
                name: "emb".into(),
                slice: Some(slice_proto(extents)),
                data: Some(values.clone()),
            }),
        }
        .encode_to_vec();
        for i in 0..value.len() {
            let mut damaged = value.clone();
            damaged[i] ^= 0x41;
            let mut file = checkpoint.files[0].clone();
            let key = slice_key("emb", extents);
            for (k, v) in &mut file.entries {
                if *k == key {
                    v.clone_from(&damaged);
                }
            }
            let patched = V1Checkpoint {
                files: vec![file],
                tensors: checkpoint.tensors.clone(),
            };
            let _ = patched.read("emb", None);
            let _ = patched.read("emb", Some(&[(1, 3), (1, 1)]));
        }
    }
}
