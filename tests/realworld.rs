//! The `freeze_graph` binary on real TF1 checkpoints that other people trained
//! (`realworld/`, kept outside this repository because the files are not ours).
//!
//! Each `tests/realworld/<name>.json` names a checkpoint, its meta graph and the
//! model's output nodes, with outputs that TensorFlow computed from the
//! restored checkpoint (`scripts/record_realworld.py`). Without TensorFlow these
//! tests check what every correctly frozen graph must satisfy, and that the
//! output is byte for byte the one `scripts/record_realworld.py --verify` ran in
//! TensorFlow and found to compute the recorded outputs.

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use prost::Message;
use serde_json::Value;
use tf_freeze::proto::{attr_value, GraphDef, NodeDef, TensorProto};

mod common;
use common::realworld;

/// Every record, by name, sorted.
fn records() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld");
    let mut records: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .expect("tests/realworld exists")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".json")?
                .to_owned();
            let text = std::fs::read_to_string(&path).expect("record is readable");
            Some((name, serde_json::from_str(&text).expect("record is JSON")))
        })
        .collect();
    records.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!records.is_empty(), "no records in {}", dir.display());
    records
}

fn text<'a>(record: &'a Value, key: &str) -> &'a str {
    record[key]
        .as_str()
        .unwrap_or_else(|| panic!("record has no '{key}'"))
}

fn output_nodes(record: &Value) -> Vec<String> {
    record["output_node_names"]
        .as_array()
        .expect("output_node_names")
        .iter()
        .map(|v| v.as_str().expect("a node name").to_owned())
        .collect()
}

/// Freezes the record's checkpoint; the frozen graph's bytes, or why not.
fn freeze(root: &Path, record: &Value) -> Result<Vec<u8>, String> {
    let folder = root.join(text(record, "folder"));
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("frozen.pb");
    let run = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .arg(format!(
            "--input_meta_graph={}",
            folder.join(text(record, "meta")).display()
        ))
        .arg("--input_binary=true")
        .arg(format!(
            "--input_checkpoint={}",
            folder.join(text(record, "prefix")).display()
        ))
        .arg(format!(
            "--output_node_names={}",
            output_nodes(record).join(",")
        ))
        .arg(format!("--output_graph={}", out.display()))
        .output()
        .expect("runs freeze_graph");
    if !run.status.success() {
        return Err(format!(
            "freeze_graph exited with {:?}: {}",
            run.status.code(),
            String::from_utf8_lossy(&run.stderr).trim()
        ));
    }
    std::fs::read(&out).map_err(|e| format!("no output graph: {e}"))
}

/// Ops that must not survive freezing: variables and the saver's ops.
fn is_stateful_leftover(op: &str) -> bool {
    matches!(op, "Variable" | "VariableV2" | "VarHandleOp")
        || op.starts_with("Assign")
        || op.starts_with("Restore")
        || op.starts_with("Save")
}

fn const_value(node: &NodeDef) -> Option<&TensorProto> {
    match node.attr.get("value")?.value.as_ref()? {
        attr_value::Value::Tensor(tensor) => Some(tensor),
        _ => None,
    }
}

/// True if the tensor holds its elements, or has none to hold.
fn has_values(tensor: &TensorProto) -> bool {
    let elements = tensor.tensor_shape.as_ref().map_or(1, |shape| {
        shape.dim.iter().map(|d| d.size.max(0)).product::<i64>()
    });
    elements == 0
        || !tensor.tensor_content.is_empty()
        || !tensor.float_val.is_empty()
        || !tensor.double_val.is_empty()
        || !tensor.int_val.is_empty()
        || !tensor.int64_val.is_empty()
        || !tensor.bool_val.is_empty()
        || !tensor.string_val.is_empty()
        || !tensor.half_val.is_empty()
        || !tensor.scomplex_val.is_empty()
        || !tensor.dcomplex_val.is_empty()
        || !tensor.uint32_val.is_empty()
        || !tensor.uint64_val.is_empty()
        || !tensor.float8_val.is_empty()
}

/// What a correctly frozen graph must satisfy; every problem found.
fn structural_problems(graph: &GraphDef, outputs: &[String]) -> Vec<String> {
    let names: HashSet<&str> = graph.node.iter().map(|n| n.name.as_str()).collect();
    let mut problems = Vec::new();
    for output in outputs {
        if !names.contains(output.as_str()) {
            problems.push(format!("output node '{output}' is missing"));
        }
    }
    for node in &graph.node {
        if is_stateful_leftover(&node.op) {
            problems.push(format!("node '{}' is still a {}", node.name, node.op));
        }
        for input in &node.input {
            let source = input.trim_start_matches('^');
            let source = source.split(':').next().unwrap_or(source);
            if !names.contains(source) {
                problems.push(format!(
                    "node '{}' reads '{input}', which is not in the graph",
                    node.name
                ));
            }
        }
        if node.op == "Const" && !const_value(node).is_some_and(has_values) {
            problems.push(format!("Const '{}' has no value", node.name));
        }
    }
    problems
}

/// CRC-32 as zlib computes it (IEEE, reflected), to compare with the
/// fingerprint `record_realworld.py --verify` stores.
fn zlib_crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Freezes one record's checkpoint and checks the result.
fn check(root: &Path, name: &str, record: &Value) -> Result<(), String> {
    let bytes = freeze(root, record)?;
    let graph =
        GraphDef::decode(bytes.as_slice()).map_err(|e| format!("output is not a GraphDef: {e}"))?;
    let problems = structural_problems(&graph, &output_nodes(record));
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    if let Some(verified) = record.get("verified_output") {
        let fingerprint = (bytes.len() as u64, u64::from(zlib_crc32(&bytes)));
        let expected = (verified["bytes"].as_u64(), verified["crc32"].as_u64());
        if expected != (Some(fingerprint.0), Some(fingerprint.1)) {
            return Err(format!(
                "the frozen graph ({} bytes, crc32 {:#010x}) is not the one verified in TensorFlow \
                 ({expected:?}); if the change is intended, run scripts/record_realworld.py --verify",
                fingerprint.0, fingerprint.1
            ));
        }
    }
    println!("{name}: {} nodes, {} bytes", graph.node.len(), bytes.len());
    Ok(())
}

#[test]
fn freezes_every_recorded_checkpoint() {
    let Some(root) = realworld() else { return };
    let failures: Vec<String> = records()
        .iter()
        .filter_map(|(name, record)| {
            check(&root, name, record)
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The legacy SessionBundle export: a sharded V1 checkpoint holding `a` = 0.5
/// and `b` = 2.0 for `y = a * x + b`.
#[test]
fn freezes_the_v1_session_bundle() {
    let Some(root) = realworld() else { return };
    let record = records()
        .into_iter()
        .find(|(name, _)| name == "half_plus_two_v1")
        .map(|(_, record)| record)
        .expect("half_plus_two_v1.json");
    assert_eq!(output_nodes(&record), ["y"]);
    let bytes = freeze(&root, &record).unwrap_or_else(|e| panic!("{e}"));
    let graph = GraphDef::decode(bytes.as_slice()).expect("a GraphDef");
    assert_eq!(
        structural_problems(&graph, &["y".into()]),
        Vec::<String>::new()
    );
    let value = |name: &str| {
        let node = graph
            .node
            .iter()
            .find(|n| n.name == name)
            .expect("variable kept");
        assert_eq!(node.op, "Const", "{name}");
        const_value(node).expect("a value").float_val.clone()
    };
    assert_eq!(value("a"), [0.5]);
    assert_eq!(value("b"), [2.0]);
}

#[test]
fn checks_catch_broken_graphs() {
    let node = |name: &str, op: &str, inputs: &[&str]| NodeDef {
        name: name.into(),
        op: op.into(),
        input: inputs.iter().map(|s| (*s).into()).collect(),
        ..NodeDef::default()
    };
    let graph = GraphDef {
        node: vec![
            node("w", "VariableV2", &[]),
            node("c", "Const", &[]),
            node("y", "MatMul", &["x:0", "^w", "c"]),
        ],
        ..GraphDef::default()
    };
    let problems = structural_problems(&graph, &["y".into(), "z".into()]);
    assert_eq!(
        problems,
        [
            "output node 'z' is missing",
            "node 'w' is still a VariableV2",
            "Const 'c' has no value",
            "node 'y' reads 'x:0', which is not in the graph",
        ]
    );
    assert_eq!(zlib_crc32(b"123456789"), 0xCBF4_3926);
}

/// The report on a record's checkpoint, as `--inspect` prints it.
fn inspect(root: &Path, record: &Value) -> Value {
    let folder = root.join(text(record, "folder"));
    let run = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .arg("--inspect")
        .arg(format!(
            "--input_meta_graph={}",
            folder.join(text(record, "meta")).display()
        ))
        .arg("--input_binary=true")
        .arg(format!(
            "--input_checkpoint={}",
            folder.join(text(record, "prefix")).display()
        ))
        .output()
        .expect("runs freeze_graph --inspect");
    serde_json::from_slice(&run.stdout).expect("the report is JSON")
}

/// Each record's `real_outputs` are what the repository's own inference code
/// fetches (its `source` names the file and line, or says it could not be
/// confirmed). They must be among the first (outputs + 2) suggestions, and
/// the choice the page pre-fills must hold no loss or metric.
#[test]
fn suggests_the_real_outputs() {
    let Some(root) = realworld() else { return };
    let mut failures = Vec::new();
    for (name, record) in records() {
        let Some(real) = record["real_outputs"].as_array() else {
            continue;
        };
        assert!(record["source"].is_string(), "{name}: no source");
        let report = inspect(&root, &record);
        let suggested: Vec<&str> = report["suggested_outputs"]
            .as_array()
            .expect("suggested_outputs")
            .iter()
            .filter_map(|s| s["name"].as_str())
            .collect();
        let top = suggested
            .get(..(real.len() + 2).min(suggested.len()))
            .unwrap_or_default();
        for output in real.iter().filter_map(Value::as_str) {
            if !top.contains(&output) {
                failures.push(format!("{name}: '{output}' not in the top {top:?}"));
            }
        }
        let losses: Vec<&str> = report["suggested_outputs"]
            .as_array()
            .expect("suggested_outputs")
            .iter()
            .filter(|s| {
                s["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("loss or metric ("))
            })
            .filter_map(|s| s["name"].as_str())
            .collect();
        let prefilled: Vec<&str> = report["output_choices"][0]["names"]
            .as_array()
            .expect("a first choice")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for name_ in &prefilled {
            if losses.contains(name_) || name_.to_lowercase().contains("loss") {
                failures.push(format!(
                    "{name}: the page would pre-fill the loss '{name_}'"
                ));
            }
        }
        println!("{name}: real {real:?}, pre-filled {prefilled:?}");
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
