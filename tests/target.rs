//! `--target`: the preset is the options it names, the lint lists on stderr
//! and in the report every node the target rejects, and the graph is
//! written all the same.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use serde_json::Value;
use tf_freeze::options::find;
use tf_freeze::target::{preset, Target};

struct Run {
    status: i32,
    stderr: String,
    graph: Option<Vec<u8>>,
    report: Option<Value>,
}

/// freeze_graph on fixture `name` with `extra` flags, writing a graph and a report.
fn run(name: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (graph, report) = (dir.path().join("frozen.pb"), dir.path().join("report.json"));
    let out = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(common::flags(name, &common::fixture(name), None))
        .args(extra)
        .arg(format!("--output_graph={}", graph.display()))
        .arg(format!("--report={}", report.display()))
        .output()
        .unwrap();
    Run {
        status: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        graph: std::fs::read(&graph).ok(),
        report: std::fs::read_to_string(&report)
            .ok()
            .map(|text| serde_json::from_str(&text).unwrap()),
    }
}

#[test]
fn unsupported_nodes_are_listed_and_the_graph_still_written() {
    // tract has no ArgMax: both of the classifier's are listed.
    let out = run("heads_classifier", &["--target=tract"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.graph.is_some(), "the graph is written");
    let report = out.report.unwrap();
    let lint = &report["target_lint"];
    assert_eq!(lint["target"], "tract");
    let unsupported = lint["unsupported"].as_array().unwrap();
    assert!(!unsupported.is_empty(), "{report:#}");
    for entry in unsupported {
        assert_eq!(entry["op"], "ArgMax", "{report:#}");
        let node = entry["node"].as_str().unwrap();
        assert!(
            out.stderr
                .contains(&format!("freeze_graph:   {node} (ArgMax)\n")),
            "{}",
            out.stderr
        );
    }
    assert!(out.stderr.contains(&format!(
        "freeze_graph: warning: --target=tract: {} node",
        unsupported.len()
    )));
    // The lint comes before the line that says the graph was written.
    let said = out.stderr.find("--target=tract").unwrap();
    assert!(said < out.stderr.find("wrote ").unwrap(), "{}", out.stderr);
    assert!(report["command"]
        .as_str()
        .unwrap()
        .contains("--target=tract"));
}

#[test]
fn a_supported_graph_says_so_and_the_preset_runs() {
    let out = run("debug_ops", &["--target=tract"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report = out.report.unwrap();
    let lint = &report["target_lint"];
    assert_eq!(lint["unsupported"], Value::Array(Vec::new()), "{report:#}");
    assert!(
        out.stderr
            .contains("--target=tract: every node is an op tract supports"),
        "{}",
        out.stderr
    );
    // strip_debug_ops came with the preset: the CheckNumerics and the rest are gone.
    let plain = run("debug_ops", &[]);
    assert!(plain.report.unwrap()["target_lint"].is_null());
    let changes = report["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "{report:#}");
    assert!(out.graph != plain.graph, "the preset changed nothing");
}

#[test]
fn the_user_value_wins_over_the_preset() {
    let with = run("debug_ops", &["--target=tfjs", "--strip_debug_ops=false"]);
    assert_eq!(with.status, 0, "{}", with.stderr);
    // The same as the rest of tfjs's preset given as flags.
    let rest: Vec<String> = preset(Target::Tfjs)
        .iter()
        .filter(|(flag, _)| *flag != "strip_debug_ops" && find(flag).is_some())
        .map(|(flag, value)| format!("--{flag}={value}"))
        .collect();
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let spelled = run("debug_ops", &rest);
    assert!(
        with.graph == spelled.graph,
        "--target=tfjs differs from its preset spelled out"
    );
    // TF.js has no CheckNumerics kernel: left in, the lint names it.
    let lint = &with.report.unwrap()["target_lint"];
    let ops: Vec<&str> = lint["unsupported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["op"].as_str().unwrap())
        .collect();
    assert!(ops.contains(&"CheckNumerics"), "{lint:#}");
}

#[test]
fn target_tf_changes_nothing() {
    let tf = run("mlp_binary", &["--target=tf"]);
    assert_eq!(tf.status, 0, "{}", tf.stderr);
    assert_eq!(
        tf.graph.unwrap(),
        common::read("mlp_binary", "tf_frozen.pb")
    );
    assert!(tf.report.unwrap()["target_lint"].is_null());
    assert!(!tf.stderr.contains("--target"), "{}", tf.stderr);
}

#[test]
fn an_unknown_target_is_a_usage_error() {
    let out = run("mlp_binary", &["--target=coreml"]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr
            .contains("--target takes one of tf, tflite, tfjs, onnx, opencv, tract, not 'coreml'"),
        "{}",
        out.stderr
    );
    assert!(out.graph.is_none());
}
