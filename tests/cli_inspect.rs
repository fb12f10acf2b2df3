//! `--inspect`, `--report` and the opt-in cleanups, through the CLI.

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn inspect_prints_one_json_object_on_stdout_only() {
    let dir = fixture("cnn_meta");
    let out = run(&[
        format!(
            "--input_meta_graph={}",
            dir.join("model.ckpt.meta").display()
        ),
        format!("--input_checkpoint={}", dir.join("model.ckpt").display()),
        "--inspect".into(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("fixture.json")).expect("fixture"))
            .expect("json");
    let wanted = meta["args"]["output_node_names"].as_str().expect("outputs");
    assert_eq!(report["suggested_outputs"][0]["name"], wanted);
    assert_eq!(report["summary"]["graph_kind"], "binary MetaGraphDef");
    assert!(report["variables"]
        .as_array()
        .is_some_and(|v| !v.is_empty()));
    assert!(
        report["problems"].as_array().is_some_and(Vec::is_empty),
        "{}",
        report["problems"]
    );
}

#[test]
fn inspect_works_on_a_graph_alone() {
    let dir = fixture("seed_text");
    let out = run(&[
        format!("--input_graph={}", dir.join("graph.pbtxt").display()),
        "--inspect".into(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["suggested_outputs"][0]["name"], "out");
    assert_eq!(report["summary"]["graph_kind"], "text GraphDef");
}

#[test]
fn report_lists_what_was_frozen_and_the_command() {
    let dir = fixture("mlp_binary");
    let tmp = tempfile::tempdir().expect("temp");
    let report = tmp.path().join("report.json");
    let out = run(&[
        format!("--input_graph={}", dir.join("graph.pb").display()),
        format!("--input_checkpoint={}", dir.join("model.ckpt").display()),
        "--output_node_names=import/probs".into(),
        format!("--output_graph={}", tmp.path().join("f.pb").display()),
        format!("--report={}", report.display()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(report["outputs"], serde_json::json!(["probs"]));
    assert_eq!(report["inputs"], serde_json::json!(["x"]));
    let frozen = report["variables_frozen"].as_array().expect("list");
    assert_eq!(frozen.len(), 6);
    assert_eq!(frozen[0]["name"], "hidden1/weights");
    assert_eq!(frozen[0]["bytes"], 128);
    assert!(report["command"]
        .as_str()
        .is_some_and(|c| c.starts_with("freeze_graph --input_graph=")));
}

#[test]
fn every_missing_variable_is_named() {
    let graph = fixture("mlp_binary").join("graph.pb");
    let other = fixture("seed_text").join("model.ckpt");
    let out = run(&[
        format!("--input_graph={}", graph.display()),
        format!("--input_checkpoint={}", other.display()),
        "--output_node_names=probs".into(),
        "--output_graph=/nonexistent/never-written.pb".into(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("6 variables: cannot be frozen from this checkpoint"),
        "{stderr}"
    );
    for name in ["hidden1/weights", "hidden2/biases", "logits/weights"] {
        assert!(stderr.contains(name), "{name} in {stderr}");
    }
}

#[test]
fn placeholder_to_const_replaces_a_scalar_and_refuses_unknown_shapes() {
    let dir = fixture("cond_v1_resource");
    let tmp = tempfile::tempdir().expect("temp");
    let meta = format!(
        "--input_meta_graph={}",
        dir.join("model.ckpt.meta").display()
    );
    let checkpoint = format!("--input_checkpoint={}", dir.join("model.ckpt").display());
    let out = run(&[
        meta.clone(),
        checkpoint.clone(),
        "--output_node_names=out_select".into(),
        "--placeholder_to_const=pred=true".into(),
        format!("--output_graph={}", tmp.path().join("f.pb").display()),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("'pred'"),
        "the change is reported: {stderr}"
    );

    let mlp = fixture("mlp_binary");
    let unknown = run(&[
        format!("--input_graph={}", mlp.join("graph.pb").display()),
        format!("--input_checkpoint={}", mlp.join("model.ckpt").display()),
        "--output_node_names=probs".into(),
        "--placeholder_to_const=x=1.0".into(),
        format!("--output_graph={}", tmp.path().join("g.pb").display()),
    ]);
    // The flag is well formed; the graph does not fit it (x has unknown
    // dimensions): bad input, not bad usage.
    assert_eq!(
        unknown.status.code(),
        Some(1),
        "a flag that does not fit the graph is bad input"
    );
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("x: has shape [-1, 4] with unknown dimensions"),
        "{stderr}"
    );
    assert!(!tmp.path().join("g.pb").exists());
}

#[test]
fn inspect_of_a_tf2_saved_model_starts_from_its_signature() {
    let dir = fixture("tf2_saved_model").join("saved_model");
    let out = run(&[
        format!("--input_saved_model_dir={}", dir.display()),
        "--inspect".into(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        report["suggested_outputs"][0]["name"],
        "StatefulPartitionedCall"
    );
    let inputs: Vec<&str> = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert_eq!(inputs, ["serving_default_ids", "serving_default_x"]);
    // The object graph is metadata, not an unused weight; the saver's calls are no outputs.
    assert!(
        report["problems"].as_array().is_some_and(Vec::is_empty),
        "{}",
        report["problems"]
    );
    let names: Vec<&str> = report["suggested_outputs"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(!names.contains(&"StatefulPartitionedCall_1"), "{names:?}");
}
