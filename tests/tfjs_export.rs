//! `--output_format=tfjs_graph_model`: the files, the flags that contradict
//! it, and a failed export that leaves nothing. That the model computes TF's
//! outputs in TF.js itself is checked by tests/tfjs/export.test.mjs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use prost::Message;
use serde_json::Value;
use tf_freeze::proto::{attr_value, GraphDef};

fn run(args: &[String]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .output()
        .expect("runs freeze_graph");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn mlp_args() -> Vec<String> {
    common::flags("mlp_binary", &common::fixture("mlp_binary"), None)
}

fn export(name: &str, dir: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = common::flags(name, &common::fixture(name), None);
    args.push("--output_format=tfjs_graph_model".into());
    args.push(format!("--output_dir={}", dir.display()));
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    run(&args)
}

fn model_json(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("model.json")).unwrap()).unwrap()
}

/// The Const values of the frozen `.pb`, in graph order.
fn frozen_const_bytes() -> Vec<u8> {
    let graph = GraphDef::decode(common::read("mlp_binary", "tf_frozen.pb").as_slice()).unwrap();
    let mut bytes = Vec::new();
    for node in graph.node.iter().filter(|n| n.op == "Const") {
        if let Some(attr_value::Value::Tensor(t)) = node.attr["value"].value.as_ref() {
            bytes.extend_from_slice(&t.tensor_content);
        }
    }
    bytes
}

#[test]
fn the_model_json_and_weights_are_the_converters() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new/model");
    let (code, stderr) = export("mlp_binary", &dir, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("wrote model.json"), "{stderr}");
    let json = model_json(&dir);
    assert_eq!(json["format"], "graph-model");
    assert_eq!(json["generatedBy"], "unknown");
    assert_eq!(
        json["convertedBy"],
        format!("tf-freeze {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(json["signature"]["inputs"]["x:0"]["dtype"], "DT_FLOAT");
    assert_eq!(json["signature"]["outputs"]["probs:0"]["name"], "probs:0");
    let group = &json["weightsManifest"][0];
    assert_eq!(group["paths"], serde_json::json!(["group1-shard1of1.bin"]));
    assert_eq!(group["weights"][0]["name"], "hidden1/weights");
    assert_eq!(group["weights"][0]["shape"], serde_json::json!([4, 8]));
    // The Consts keep dtype and shape, not their values.
    let nodes = json["modelTopology"]["node"].as_array().unwrap();
    let weights = nodes
        .iter()
        .find(|n| n["name"] == "hidden1/weights")
        .unwrap();
    let tensor = &weights["attr"]["value"]["tensor"];
    assert_eq!(tensor["dtype"], "DT_FLOAT");
    assert!(tensor.get("tensorContent").is_none());
    // The weights are the frozen graph's values, byte for byte.
    let bin = std::fs::read(dir.join("group1-shard1of1.bin")).unwrap();
    assert_eq!(bin, frozen_const_bytes());
    // Nothing is left beside the folder.
    assert_eq!(
        std::fs::read_dir(tmp.path().join("new")).unwrap().count(),
        1
    );
}

#[test]
fn a_meta_graph_names_its_tensorflow_version() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let (code, stderr) = export("cnn_meta", &dir, &[]);
    assert_eq!(code, 0, "{stderr}");
    let version = common::fixture("cnn_meta")["tensorflow_version"].clone();
    assert_eq!(model_json(&dir)["generatedBy"], version);
}

#[test]
fn weights_are_cut_at_the_shard_size() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let (code, stderr) = export("mlp_binary", &dir, &["--weight_shard_size_bytes=100"]);
    assert_eq!(code, 0, "{stderr}");
    let paths = model_json(&dir)["weightsManifest"][0]["paths"].clone();
    let names: Vec<String> = (1..=5).map(|i| format!("group1-shard{i}of5.bin")).collect();
    assert_eq!(paths, serde_json::json!(names));
    let mut all = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(bytes.len(), if i < 4 { 100 } else { 60 }, "{name}");
        all.extend(bytes);
    }
    assert_eq!(all, frozen_const_bytes());
}

#[test]
fn quantized_weights_say_how() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let (code, stderr) = export(
        "mlp_binary",
        &dir,
        &["--quantize_uint8=hidden1/*", "--quantize_float16"],
    );
    assert_eq!(code, 0, "{stderr}");
    let weights = model_json(&dir)["weightsManifest"][0]["weights"].clone();
    let q = &weights[0]["quantization"];
    assert_eq!(
        (q["dtype"].as_str(), q["original_dtype"].as_str()),
        (Some("uint8"), Some("float32"))
    );
    assert!(q["scale"].as_f64().unwrap() > 0.0 && q["min"].is_number());
    assert_eq!(weights[2]["quantization"]["dtype"], "float16");
    assert_eq!(weights[0]["dtype"], "float32");
    // 32 + 8 bytes of uint8, then 48 + 6 + 18 + 3 float16 values.
    let bin = std::fs::read(dir.join("group1-shard1of1.bin")).unwrap();
    assert_eq!(bin.len(), 40 + 2 * 75);
}

#[test]
fn contradicting_flags_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = format!("--output_dir={}", tmp.path().join("m").display());
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--output_format=tfjs_graph_model",
                "--output_graph=x.pb",
                &dir,
            ],
            "--output_graph writes a frozen .pb",
        ),
        (&["--output_format=tfjs_graph_model"], "needs --output_dir"),
        (
            &[&dir],
            "--output_dir is for --output_format=tfjs_graph_model",
        ),
        (&["--quantize_uint8"], "--quantize_uint8 is for"),
        (
            &["--output_format=onnx"],
            "takes frozen_pb or tfjs_graph_model",
        ),
        (
            &[
                "--output_format=tfjs_graph_model",
                &dir,
                "--weight_shard_size_bytes=0",
            ],
            "greater than 0",
        ),
        (
            &[
                "--output_format=tfjs_graph_model",
                &dir,
                "--quantize_uint8=",
            ],
            "needs patterns",
        ),
        (
            &[
                "--output_format=tfjs_graph_model",
                &dir,
                "--quantize_uint8",
                "--quantize_float16",
            ],
            "only one quantization",
        ),
    ];
    for (extra, message) in cases {
        let mut args = mlp_args();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let (code, stderr) = run(&args);
        assert_eq!(code, 2, "{extra:?}: {stderr}");
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
    }
    assert!(!tmp.path().join("m").exists());
}

#[test]
fn a_folder_that_is_not_empty_is_refused_and_a_failed_export_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("keep.txt"), "mine").unwrap();
    let (code, stderr) = export("mlp_binary", &full, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert_eq!(std::fs::read_dir(&full).unwrap().count(), 1);
    // An empty folder is taken; a dtype TF.js lacks fails the export whole.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, stderr) = export("dtypes_meta", &empty, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("float16, which a TF.js graph model cannot hold"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2);
    let (code, stderr) = export("mlp_binary", &empty, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(empty.join("model.json").is_file());
}

/// The export through the library: float32 weights stay ranges of the
/// `.data` file (zero copy), quantized ones are bytes of their own.
#[test]
fn float32_weights_are_ranges_of_the_data_file() {
    use std::io::Cursor;
    use tf_freeze::tfjs::{self, ExportOptions, Quantization, Selection};
    use tf_freeze::{CheckpointFiles, FreezeRequest, InputFile, Options, Segment};

    let (graph, index) = (
        common::read("mlp_binary", "graph.pb"),
        common::read("mlp_binary", "model.ckpt.index"),
    );
    let data = common::read("mlp_binary", "model.ckpt.data-00000-of-00001");
    let request = FreezeRequest {
        graph: Some(InputFile::new("graph.pb", &graph)),
        meta_graph: None,
        saver: None,
        saved_model: None,
        saved_model_tags: Vec::new(),
        checkpoint: CheckpointFiles::v2(
            "model.ckpt",
            InputFile::new("model.ckpt.index", &index),
            &[&data],
        ),
        input_binary: None,
        options: Options::outputs(["probs"]),
    };
    let run = |options: &ExportOptions| {
        let mut prepared = tf_freeze::prepare(&request).unwrap();
        tfjs::prepare_export(&mut prepared, options).unwrap();
        let loaded: Vec<Vec<u8>> = prepared
            .reads()
            .iter()
            .map(|r| data[r.offset as usize..(r.offset + r.len) as usize].to_vec())
            .collect();
        tfjs::export(prepared, &loaded, options).unwrap()
    };
    let plain = run(&ExportOptions::default());
    assert_eq!(plain.weights.len(), 6);
    assert!(plain
        .weights
        .iter()
        .all(|s| matches!(s, Segment::Shard { .. })));
    let mut files: Vec<Vec<u8>> = Vec::new();
    plain
        .write_weights(
            |_| {
                files.push(Vec::new());
                Ok(Cursor::new(Vec::new()))
            },
            &mut [Cursor::new(&data)],
            true,
        )
        .unwrap();
    assert_eq!(files.len(), 1);

    let quantized = run(&ExportOptions {
        quantize: vec![(
            Quantization::Uint8,
            Selection::Patterns(vec!["*/weights".into()]),
        )],
        ..ExportOptions::default()
    });
    let kinds: Vec<bool> = quantized
        .weights
        .iter()
        .map(|s| matches!(s, Segment::Bytes(_)))
        .collect();
    assert_eq!(kinds, [true, false, true, false, true, false]);

    // A flipped byte in the .data file fails the crc32c check on the way out.
    let mut bad = data.clone();
    let Segment::Shard { offset, .. } = &plain.weights[0] else {
        unreachable!()
    };
    bad[*offset as usize] ^= 1;
    let err = plain
        .write_weights(|_| Ok(Vec::new()), &mut [Cursor::new(&bad)], true)
        .unwrap_err();
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
}

#[test]
fn the_same_files_export_to_the_same_model_json() {
    // Map fields (a node's attrs) are written in key order: a hash map's order
    // changes from run to run, and a model must not.
    let tmp = tempfile::tempdir().unwrap();
    let written: Vec<Vec<u8>> = (0..3)
        .map(|n| {
            let dir = tmp.path().join(format!("m{n}"));
            let (code, stderr) = export("cnn_meta", &dir, &[]);
            assert_eq!(code, 0, "{stderr}");
            std::fs::read(dir.join("model.json")).unwrap()
        })
        .collect();
    assert!(written.iter().all(|bytes| *bytes == written[0]));
    let json: Value = serde_json::from_slice(&written[0]).unwrap();
    for node in json["modelTopology"]["node"].as_array().unwrap() {
        let keys: Vec<&String> = node["attr"].as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{}", node["name"]);
    }
}
