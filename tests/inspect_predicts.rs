//! `--inspect` predicts the freeze: given the same flags, the checkpoint
//! tensors it marks `will_freeze` are exactly the ones the freeze's `--report`
//! lists in `variables_frozen`, on every fixture (and each of its variants),
//! every real-world checkpoint and every real SavedModel.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::{fixture, fixtures_dir, flags, realworld, saved_model_args};

/// Runs `--inspect` and the freeze with `args`; `None` when the freeze refuses
/// (then there is nothing to predict), else the two sets of tensor names.
fn predicted_and_frozen(args: &[String]) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let inspect = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .arg("--inspect")
        .output()
        .expect("runs freeze_graph --inspect");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("frozen.pb");
    let summary = dir.path().join("report.json");
    let freeze = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .arg(format!("--output_graph={}", out.display()))
        .arg(format!("--report={}", summary.display()))
        .output()
        .expect("runs freeze_graph");
    if !inspect.status.success() {
        // What cannot be inspected cannot be frozen either.
        assert!(
            !freeze.status.success(),
            "{args:?}: froze what --inspect refused"
        );
        return None;
    }
    if !freeze.status.success() {
        return None;
    }
    let report: Value = serde_json::from_slice(&inspect.stdout).expect("--inspect prints JSON");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("report written"))
            .expect("report is JSON");
    let listed: BTreeSet<&str> = report["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    let predicted = report["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .filter(|v| v["will_freeze"].as_bool().expect("will_freeze is a bool"))
        .filter_map(|v| v["name"].as_str().map(str::to_owned))
        .collect();
    let frozen = summary["variables_frozen"]
        .as_array()
        .expect("variables_frozen")
        .iter()
        .map(|v| {
            let key = v["key"].as_str().expect("key");
            full_tensor(key, &listed)
        })
        .collect();
    Some((predicted, frozen))
}

/// The full tensor a frozen key comes from: a partitioned variable's key is
/// the slice `name[0,5:-]` of tensor `name`.
fn full_tensor(key: &str, listed: &BTreeSet<&str>) -> String {
    if listed.contains(key) {
        return key.to_owned();
    }
    match key.rsplit_once('[') {
        Some((name, slice)) if slice.ends_with(']') => name.to_owned(),
        _ => key.to_owned(),
    }
}

fn assert_predicts(what: &str, args: &[String], compared: &mut usize) {
    if let Some((predicted, frozen)) = predicted_and_frozen(args) {
        assert!(!frozen.is_empty(), "{what}: nothing frozen");
        assert_eq!(predicted, frozen, "{what}: will_freeze is not what froze");
        *compared += 1;
    }
}

#[test]
fn inspect_predicts_the_freeze_on_every_fixture() {
    let mut compared = 0;
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .flatten()
        .filter(|e| e.path().join("fixture.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        let meta = fixture(name);
        if meta["args"].as_object().is_none() {
            continue;
        }
        assert_predicts(name, &flags(name, &meta, None), &mut compared);
        for (variant, spec) in meta["variants"].as_object().into_iter().flatten() {
            let args = flags(name, &meta, Some(&spec["args"]));
            assert_predicts(&format!("{name} [{variant}]"), &args, &mut compared);
        }
    }
    assert!(compared >= 20, "only {compared} fixture runs compared");
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
}

#[test]
fn inspect_predicts_the_freeze_on_real_checkpoints() {
    let Some(root) = realworld() else { return };
    let mut compared = 0;
    let records = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&records)
        .expect("tests/realworld")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in &paths {
        let record = json(path);
        let folder = root.join(record["folder"].as_str().expect("folder"));
        let outputs: Vec<&str> = record["output_node_names"]
            .as_array()
            .expect("outputs")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let text = |key: &str| record[key].as_str().expect(key).to_owned();
        let args = vec![
            format!("--input_meta_graph={}", folder.join(text("meta")).display()),
            format!(
                "--input_checkpoint={}",
                folder.join(text("prefix")).display()
            ),
            format!("--output_node_names={}", outputs.join(",")),
        ];
        assert_predicts(&path.display().to_string(), &args, &mut compared);
    }
    let expected =
        json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/saved_models/expected.json"));
    for case in expected["saved_models"].as_array().expect("list") {
        let args = saved_model_args(&root, case);
        let what = case["folder"].as_str().expect("folder");
        assert_predicts(what, &args, &mut compared);
    }
    assert!(compared >= 12, "only {compared} real runs compared");
}
